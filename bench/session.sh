#!/bin/bash
# Benchmarks: sshbox against plain ssh to the same sshd in the same run.
# Prints mean wall times and ratios (sshbox / plain) for:
#   - a command in an existing box vs the same command as a plain user,
#   - a guest's first session (redeem + create the box + command),
#   - 64 MiB through stdout.
# Usage (as root, after a build): bench/session.sh [ROUNDS]   (default 20)
set -u
rounds=${1:-20}
export top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
export top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/lib.sh"	# the bastion harness
setup_bastion >/dev/null

# A plain account on the same sshd, for the baseline.
# (sshd's StrictModes refuses key files under the world-writable /tmp.)
home=/var/lib/sshbox-bench
id sshbox-bench >/dev/null 2>&1 ||
	useradd --system --shell /bin/sh --home-dir $home sshbox-bench
mkdir -p $home && chmod 755 $home
usermod -p '*' sshbox-bench
new_key plain
install -m 644 "$T/plain.pub" $home/authorized_keys
printf 'Match User sshbox-bench\n\tAuthorizedKeysFile %s\n' "$home/authorized_keys" >> "$T/sshd_config"
kill -HUP "$(cat "$T/sshd.pid")"; sleep 1
pssh() {
	ssh -F /dev/null -i "$T/plain" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" \
		-o StrictHostKeyChecking=no -o LogLevel=ERROR -p "$PORT" \
		sshbox-bench@127.0.0.1 "$@"
}
now() { date +%s.%N; }
mean() {	# mean COMMAND...: mean seconds over $rounds runs
	t0=$(now)
	for i in $(seq 1 "$rounds"); do "$@" </dev/null >/dev/null 2>&1; done
	echo "$(now) $t0 $rounds" | awk '{ printf "%.4f", ($1 - $2) / $3 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

new_key g
gssh g redeem --bind-only "$(new_invite --profile test --ttl 1h)" </dev/null 2>/dev/null
gssh g true </dev/null		# the box exists from here on
pssh true || { echo "bench: plain ssh baseline does not work" >&2; exit 1; }

plain=$(mean pssh true)
attach=$(mean gssh g true)
first() {
	k=first$RANDOM$RANDOM
	new_key "$k"
	gssh "$k" redeem --bind-only "$(new_invite --profile test)" </dev/null >/dev/null 2>&1
	gssh "$k" true
}
fresh=$(mean first)
rounds_bulk=3
bulk() { "$@" 'head -c 67108864 /dev/zero' </dev/null | cat >/dev/null; }
p_bulk=$(rounds=$rounds_bulk mean bulk pssh)
b_bulk=$(rounds=$rounds_bulk mean bulk gssh g)

echo "# sshbox benchmarks, $rounds rounds, same sshd, $(date -u +%FT%TZ)"
printf '%-44s %8ss  ratio %s\n' "plain ssh: true" "$plain" "1.00"
printf '%-44s %8ss  ratio %s\n' "sshbox: true in an existing box" "$attach" "$(ratio "$attach" "$plain")"
printf '%-44s %8ss  ratio %s\n' "sshbox: first session (redeem+create+true)" "$fresh" "$(ratio "$fresh" "$plain")"
printf '%-44s %8ss  ratio %s\n' "plain ssh: 64 MiB to stdout" "$p_bulk" "1.00"
printf '%-44s %8ss  ratio %s\n' "sshbox: 64 MiB to stdout" "$b_bulk" "$(ratio "$b_bulk" "$p_bulk")"
