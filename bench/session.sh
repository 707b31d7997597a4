#!/bin/bash
# Benchmarks: sshbox against plain ssh to the same sshd in the same run.
# Prints medians of wall time and ratios for:
#   - attach: `true` in a running box vs `ssh true` as a plain account;
#   - the first prompt byte of `ssh -tt` vs a plain login shell;
#   - a guest's first session (redeem + create the box + true);
#   - 200 MiB out of a box and into it, pass-through and relay, vs plain
#     (throughput ratio: plain time / sshbox time, higher is better);
#   - recording's cost: the first prompt byte and 50 MiB of text out of a
#     recorded box (record: all), against plain ssh.
# Usage (as root, after a build): bench/session.sh [ROUNDS]   (default 20)
set -u
rounds=${1:-20}
export top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
export top_builddir=${top_builddir:-$top_srcdir}
. "$top_srcdir/tests/integration/lib.sh"	# the bastion harness
setup_bastion >/dev/null
write_profile relay "session: relay"
write_profile recorded "record: all"

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
median() {	# median COMMAND...: median seconds of $rounds runs
	for i in $(seq 1 "$rounds"); do
		t0=$EPOCHREALTIME
		"$@" </dev/null >/dev/null 2>&1
		echo "$EPOCHREALTIME $t0"
	done | awk '{ print $1 - $2 }' | sort -n | mid
}
mid() {		# the median of the sorted numbers on stdin
	awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f", m }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Seconds until the first byte of a login shell over ssh -tt.  The ssh
# runs in the process substitution's subshell (a shell function: not
# something timeout(1) could run), and is ended with it.
first_byte() {	# first_byte SSH-FUNCTION
	t0=$EPOCHREALTIME
	exec 3< <("$1" -tt 2>/dev/null < <(sleep 20))
	bg=$!
	read -r -N 1 -t 20 -u 3 _ || echo "bench: no first byte from $1" >&2
	t1=$EPOCHREALTIME
	pkill -P "$bg" 2>/dev/null; kill "$bg" 2>/dev/null
	exec 3<&-
	echo "$t1 $t0" | awk '{ print $1 - $2 }' >> "$T/fb.$1"
}

new_key g
gssh g redeem --bind-only "$(new_invite --profile test --ttl 1h)" </dev/null 2>/dev/null
gssh g true </dev/null		# the box exists from here on
new_key r
gssh r redeem --bind-only "$(new_invite --profile relay --ttl 1h)" </dev/null 2>/dev/null
gssh r true </dev/null
new_key c
gssh c redeem --bind-only "$(new_invite --profile recorded --ttl 1h)" </dev/null 2>/dev/null
gssh c true </dev/null 2>/dev/null
pssh true </dev/null || { echo "bench: plain ssh baseline does not work" >&2; exit 1; }
gbox() { gssh g "$@"; }
rbox() { gssh r "$@"; }
# A recorded box; its recordings go as they are made (the disk is not
# what is measured, the writing is).
cbox() { gssh c "$@"; rm -f "$T"/state/recordings/*.cast; }

# Plain and sshbox take turns, so that both see the same machine (a
# burst of other work, a slow minute) and the ratio is of like with like.
: > "$T/t.pssh"; : > "$T/t.gbox"; : > "$T/fb.pssh"; : > "$T/fb.gbox"
: > "$T/fb.cbox"
for i in $(seq 1 "$rounds"); do
	for f in pssh gbox; do
		t0=$EPOCHREALTIME
		"$f" true </dev/null >/dev/null 2>&1
		echo "$EPOCHREALTIME $t0" | awk '{ print $1 - $2 }' >> "$T/t.$f"
	done
	first_byte pssh
	first_byte gbox
	first_byte cbox
done
plain=$(sort -n "$T/t.pssh" | mid)
attach=$(sort -n "$T/t.gbox" | mid)
p_fb=$(sort -n "$T/fb.pssh" | mid)
g_fb=$(sort -n "$T/fb.gbox" | mid)
c_fb=$(sort -n "$T/fb.cbox" | mid)
first() {
	k=first$RANDOM$RANDOM
	new_key "$k"
	gssh "$k" redeem --bind-only "$(new_invite --profile test)" </dev/null >/dev/null 2>&1
	gssh "$k" true
}
fresh=$(median first)
# The same program at both ends, plain or boxed (busybox's head and cat
# move 4 KiB at a time, GNU's 128 KiB: that would measure them, not us).
out200() { "$@" 'dd if=/dev/zero bs=131072 count=1600 2>/dev/null' </dev/null | dd of=/dev/null bs=131072 2>/dev/null; }
in200() { dd if=/dev/zero bs=131072 count=1600 2>/dev/null | "$@" 'dd of=/dev/null bs=131072 2>/dev/null'; }
rounds_bulk=${BULK_ROUNDS:-5}
p_out=$(rounds=$rounds_bulk median out200 pssh)
g_out=$(rounds=$rounds_bulk median out200 gbox)
r_out=$(rounds=$rounds_bulk median out200 rbox)
p_in=$(rounds=$rounds_bulk median in200 pssh)
g_in=$(rounds=$rounds_bulk median in200 gbox)
r_in=$(rounds=$rounds_bulk median in200 rbox)
# Text, as a terminal's output is (zero bytes would cost six each).
text50() { "$@" 'dd if=/dev/zero bs=131072 count=400 2>/dev/null | tr "\0" x' </dev/null | dd of=/dev/null bs=131072 2>/dev/null; }
p_txt=$(rounds=$rounds_bulk median text50 pssh)
r_txt=$(rounds=$rounds_bulk median text50 rbox)
c_txt=$(rounds=$rounds_bulk median text50 cbox)

echo "# sshbox benchmarks: medians of $rounds rounds ($rounds_bulk for 200 MiB), same sshd,"
echo "# $(nproc) CPUs, $(uname -r), $(date -u +%FT%TZ)"
row() { printf '%-50s %8ss  %s %s\n' "$1" "$2" "$3" "$4"; }
row "plain ssh: true" "$plain" "time ratio" 1.00
row "sshbox: true in a running box (attach)" "$attach" "time ratio" "$(ratio "$attach" "$plain")"
row "plain ssh -tt: first byte of a login shell" "$p_fb" "time ratio" 1.00
row "sshbox -tt: first prompt byte (relay)" "$g_fb" "time ratio" "$(ratio "$g_fb" "$p_fb")"
row "sshbox -tt: first byte (relay, recorded)" "$c_fb" "time ratio" "$(ratio "$c_fb" "$p_fb")"
row "sshbox: first session (redeem+create+true)" "$fresh" "time ratio" "$(ratio "$fresh" "$plain")"
row "plain ssh: 200 MiB out" "$p_out" "throughput" 1.00
row "sshbox: 200 MiB out, pass-through" "$g_out" "throughput" "$(ratio "$p_out" "$g_out")"
row "sshbox: 200 MiB out, relay" "$r_out" "throughput" "$(ratio "$p_out" "$r_out")"
row "plain ssh: 200 MiB in" "$p_in" "throughput" 1.00
row "sshbox: 200 MiB in, pass-through" "$g_in" "throughput" "$(ratio "$p_in" "$g_in")"
row "sshbox: 200 MiB in, relay" "$r_in" "throughput" "$(ratio "$p_in" "$r_in")"
row "plain ssh: 50 MiB of text out" "$p_txt" "throughput" 1.00
row "sshbox: 50 MiB of text out, relay" "$r_txt" "throughput" "$(ratio "$p_txt" "$r_txt")"
row "sshbox: 50 MiB of text out, relay, recorded" "$c_txt" "throughput" "$(ratio "$p_txt" "$c_txt")"
