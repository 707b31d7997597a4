#!/bin/bash
# Benchmarks per runtime: sshbox with Docker, runc, crun, runsc (gVisor,
# platform ptrace) and microvm (QEMU, TCG here) against plain ssh to the
# same sshd in the same run, and
# against each runtime run bare (the "peer": what starting a container with
# that runtime costs without sshbox).
#
# For each runtime it measures, as medians of ROUNDS, with plain ssh taking
# turns with sshbox so that both see the same machine:
#   - attach: `true` in a running box, vs `ssh true` as a plain account;
#   - cold, no pool: a fresh key redeems (redeem --bind-only) and runs
#     `true` in a new box, vs the same two connections of plain `ssh true`
#     (keys and invites are made beforehand, outside the timing);
#   - cold with a pool: the same two connections (a fresh key redeems a
#     fresh invite, then `true`) with a profile of `pool: POOL`, filled by
#     one box-reaper pass (as the box account) beforehand.  Before each
#     round, outside the timing, the bench waits until the pool is full
#     again and no refill runs (box-shell's background refill of the round
#     before); after it, it checks that the guest's box is one of the ids
#     the pool held before the round.  A round that did not take a pooled
#     box is counted (it must be 0) and left out of the median.  Each
#     guest's box is killed after its round; at the end the pool is
#     emptied (pool: 0, a reaper pass);
#   - the first prompt byte of `ssh -tt` into a running box (relayed, as
#     terminals are), vs a plain login shell;
#   - 100 MiB out of a box with dd, pass-through and relay, vs plain
#     (throughput ratio: plain time / sshbox time, higher is better);
#   - peer: the runtime run bare through ssh, as root's remote command
#     (`docker run --rm --network none IMAGE true`; `runc run`, `crun run`,
#     `runsc run` of a bundle made here from the OCI store's busybox, args
#     /bin/true, no terminal, read-only root; microvm: QEMU booting the
#     store's kernel and initrd to its init, which powers off at once),
#     vs plain `ssh true`;
#   - microvm only: boot to agent, the seconds box-runtime's create takes
#     (QEMU started, the guest booted, its agent answering), as an
#     absolute figure;
#   - burst: BURST guests (50 keys, 50 invites made beforehand) redeem and
#     run `echo ok` at once: successes, wall time, p50/p99 per guest; then
#     the invites are revoked (their boxes destroyed), box-reaper --once
#     runs, and the bench checks that nothing is left: no live row, no
#     pooled box (row of the pool table), no container of the instance, no
#     OCI bundle, run directory or runtime state.
# A runtime that cannot run here (not installed; or a box it cannot start,
# as crun 1.8.1 under hybrid cgroups) is reported with its one line and
# skipped; a measure that fails prints why and the bench goes on.
# It ends with a markdown table: one row per measure, one column per
# runtime, each cell the ratio and the absolute median in parentheses.
#
# Usage (as root, after a build, with the images built, for the OCI
# runtimes into the store configure chose:
#   SSHBOX_IMAGES=/usr/local/var/lib/sshbox-images images/build-busybox.sh):
#   top_srcdir=SRC top_builddir=BUILD sysconfdir=/usr/local/etc \
#     localstatedir=/usr/local/var bench/runtimes.sh [ROUNDS]   (default 10)
# Environment: RUNTIMES (default "docker runc crun runsc microvm"),
# BULK_ROUNDS (100 MiB runs, default 3), BURST (guests at once, default
# 50; 0: none), BURST_MICROVM (default 10: fifty machines booting at once
# under emulation on 2 CPUs outlast box-runtime's 60 s), POOL (the warm
# pool's size for cold with a pool, default 4; POOL_MICROVM, default 2).
#
# The bastion is the integration tests' (tests/integration/lib.sh): a
# private sshd on a loopback port, removed with everything else at exit.
# The plain baseline is the account sshbox-bench on that sshd (made once,
# as bench/session.sh does); the peers log in as root to that sshd only,
# with a key allowed by a Match block of its configuration (HOME set to an
# empty directory there, so that root's ~/.bashrc is not what is timed).
set -u
rounds=${1:-10}
bulk_rounds=${BULK_ROUNDS:-3}
burst_n=${BURST:-50}
pool_n=${POOL:-4}
runtimes=${RUNTIMES:-docker runc crun runsc microvm}
export top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
export top_builddir=${top_builddir:-$top_srcdir}
# Many redemptions from one address: raise the per-source rate limit.
REDEEM_MAX=10000
. "$top_srcdir/tests/integration/lib.sh"	# the bastion harness
# Cleaning up: the peers' containers, this run's key files, then the
# harness's own cleanup (sshd, boxes, bundles, the temporary directory).
home=/var/lib/sshbox-bench
plainkeys=$home/plain_keys.$$
rootkeys=$home/root_keys.$$
peer_ids=()
bench_cleanup() {
	for p in "${peer_ids[@]}"; do		# "RUNTIME STATE ID"
		set -- $p
		"$1" --root "$2" delete --force "$3" >/dev/null 2>&1
	done
	rm -f "$plainkeys" "$rootkeys"
	cleanup
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM HUP
# The harness's defaults (limits: max_boxes 50, max_boxes_per_invite 20,
# max_boxes_per_source 5, all from 127.0.0.1 here) would refuse the burst
# and the cold rounds; sshd's MaxStartups (10:30:100) would drop some of
# the burst's connections before they log in.
EXTRA_CONF='limits:
  max_boxes: 500
  max_boxes_per_invite: 500
  max_boxes_per_source: 500'
SSHD_EXTRA="MaxStartups 300:30:600"
setup_bastion >/dev/null

# ------------------------------------------------------------ accounts
# A plain account on the same sshd, for the baseline (bench/session.sh's;
# this run's own key file, so that both can run at once).
# (sshd's StrictModes refuses key files under the world-writable /tmp.)
id sshbox-bench >/dev/null 2>&1 ||
	useradd --system --shell /bin/sh --home-dir $home sshbox-bench
mkdir -p $home && chmod 755 $home
usermod -p '*' sshbox-bench
new_key plain
install -m 644 "$T/plain.pub" "$plainkeys"
# root, for the peers (the runtimes need it), on this sshd alone.
new_key root
install -m 644 "$T/root.pub" "$rootkeys"
mkdir -p "$T/roothome"
{
	printf 'Match User sshbox-bench\n\tAuthorizedKeysFile %s\n' "$plainkeys"
	printf 'Match User root\n\tAuthorizedKeysFile %s\n' "$rootkeys"
	printf '\tPermitRootLogin prohibit-password\n\tSetEnv HOME=%s\n' "$T/roothome"
} >> "$T/sshd_config"
kill -HUP "$(cat "$T/sshd.pid")"; sleep 1

sshopts=(-F /dev/null -o IdentitiesOnly=yes -o IdentityAgent=none
	-o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts"
	-o StrictHostKeyChecking=no -o LogLevel=ERROR -o ConnectTimeout=20
	-p "$PORT")
pssh() { ssh "${sshopts[@]}" -i "$T/plain" sshbox-bench@127.0.0.1 "$@"; }
rssh() { ssh "${sshopts[@]}" -i "$T/root" root@127.0.0.1 "$@"; }
pssh2() { pssh true && pssh true; }	# cold's baseline: two connections

pssh true </dev/null >/dev/null 2>&1 ||
	{ echo "bench: plain ssh baseline does not work" >&2; exit 1; }
rssh true </dev/null >/dev/null 2>&1 ||
	echo "bench: ssh as root does not work: no peers" >&2

# --------------------------------------------------------------- helpers
mid() {		# the median of the numbers on stdin (sorted here)
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1;
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
		printf "%.4f", m }'
}
pct() {		# pct P: the P-th percentile (nearest rank) of stdin
	sort -g | awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) exit 1;
		r = int(p / 100 * NR); if (r < p / 100 * NR) r++; if (r < 1) r = 1;
		printf "%.3f", v[r] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.0f ms", s * 1000 }'; }

# sample FILE COMMAND...: run COMMAND once; its seconds go to FILE when it
# succeeds, its failure (one line of what it said) to FILE.fail otherwise.
sample() {
	local f=$1 t0 t1 rc; shift
	t0=$EPOCHREALTIME
	"$@" </dev/null >/dev/null 2>"$T/sample.err"; rc=$?
	t1=$EPOCHREALTIME
	if [ "$rc" = 0 ]; then
		echo "$t1 $t0" | awk '{ print $1 - $2 }' >> "$f"
	else
		echo "rc $rc: $(grep -m1 . "$T/sample.err")" >> "$f.fail"
	fi
	return "$rc"
}

# Seconds until the first byte of a login shell over ssh -tt.  The ssh
# runs in the process substitution's subshell (a shell function: not
# something timeout(1) could run), and is ended with it.
first_byte() {	# first_byte FILE SSH-FUNCTION
	local t0 t1 bg ok=0
	t0=$EPOCHREALTIME
	exec 3< <("$2" -tt 2>/dev/null < <(sleep 20))
	bg=$!
	read -r -N 1 -t 20 -u 3 _ && ok=1
	t1=$EPOCHREALTIME
	pkill -P "$bg" 2>/dev/null; kill "$bg" 2>/dev/null
	exec 3<&-
	if [ $ok = 1 ]; then
		echo "$t1 $t0" | awk '{ print $1 - $2 }' >> "$1"
	else
		echo "no first byte within 20 s" >> "$1.fail"
	fi
}

# The same program at both ends (busybox's head and cat move 4 KiB at a
# time, GNU's 128 KiB: that would measure them, not us).
out100() { "$@" 'dd if=/dev/zero bs=131072 count=800 2>/dev/null' </dev/null |
	dd of=/dev/null bs=131072 2>/dev/null; test "${PIPESTATUS[0]}" = 0; }

# Results: cell[MEASURE.RUNTIME] is the table's cell, plain[MEASURE] the
# files of plain samples (every runtime's turns together).
declare -A cell
note() { printf '%s\n' "$*" | tee -a "$T/notes"; }
# result MEASURE RUNTIME KIND SSHBOX-FILE PLAIN-FILE: the cell from medians
# of the two files (KIND time: sshbox/plain; throughput: plain/sshbox).
result() {
	local m=$1 rt=$2 kind=$3 s=$4 p=$5 sm pm r nf=0 why
	[ -f "$s.fail" ] && nf=$(wc -l < "$s.fail")
	if ! sm=$(mid 2>/dev/null < "$s") || ! pm=$(mid 2>/dev/null < "$p"); then
		why=$(head -1 "$s.fail" 2>/dev/null)
		cell[$m.$rt]="failed"
		note "  $rt: $m: failed: ${why:-no sample}"
		return 1
	fi
	cat "$p" >> "$T/plain.$m"
	if [ "$kind" = time ]; then r=$(ratio "$sm" "$pm"); else r=$(ratio "$pm" "$sm"); fi
	cell[$m.$rt]="$r ($(ms "$sm"))"
	[ "$nf" -gt 0 ] && cell[$m.$rt]+=" ($nf failed)" &&
		note "  $rt: $m: $nf failed, first: $(head -1 "$s.fail")"
	printf '  %-34s plain %9s  %-8s %9s  %s ratio %s\n' "$m" "$(ms "$pm")" \
		"$rt" "$(ms "$sm")" "$kind" "$r"
}

bind() {	# bind KEY PROFILE: a key bound to a new invite of PROFILE
	new_key "$1"
	gssh "$1" redeem --bind-only "$(new_invite --profile "$2" --ttl 1h)" \
		</dev/null >/dev/null 2>&1
}
# sq SQL: a query of the state, as the box account (root's sqlite3 could
# leave the WAL's files root's, which the box account then cannot open).
sq() {
	runuser -u "$BOX_USER" -- sqlite3 -cmd '.timeout 5000' \
		"$T/state/state.db" "$@" 2>/dev/null
}
# reap: one box-reaper --once --json pass as the box account (its counts,
# one line of JSON; nothing when another reaper held the lock).
# shellcheck disable=SC2086 # $REAPER is a command line
reap() { runuser -u "$BOX_USER" -- $REAPER --once --json 2>/dev/null | tail -1; }
# reaper_busy: a reaper pass or a refill holds the reaper's lock (opened
# for reading only, never made here: it must stay the box account's).
reaper_busy() {
	[ -f "$T/state/reaper.lock" ] || return 1
	! (exec 9<"$T/state/reaper.lock" && flock -n 9) 2>/dev/null
}
# vmcreate ID PROFILE: box-runtime's create of a box with no row (ok).
vmcreate() {
	printf 'create %s %s %s\n' "$1" "$2" $(( $(date +%s) + 600 )) |
		runuser -u "$BOX_USER" -- "$BIN/box-runtime" -c "$CONF" serve 2>&1 |
		tail -1 | grep -q '^ok '
}
kill_all_boxes() {	# every live box of the bastion destroyed
	$INVITE boxes --json 2>/dev/null | jq -r '.[].id' |
		while read -r b; do $INVITE kill "$b" >/dev/null 2>&1; done
}

# What is left of the instance: live rows, pooled boxes (rows of the pool
# table), Docker containers, OCI bundles, run directories and the OCI
# runtimes' own state.  Prints one line; succeeds when all are zero.
leftovers() {
	local rows pooled dock oci rund st=0 od=$RUNTIME_DIR/.oci/$INSTANCE rt
	rows=$($INVITE boxes --json | jq length) || rows=error
	pooled=$(sq "SELECT count(*) FROM pool") && [ -n "$pooled" ] || pooled=error
	dock=$(containers --filter "label=io.sshbox.instance=$INSTANCE")
	case $dock in *DOCKER-PS-FAILED*) dock=error ;; *) dock=$(printf '%s' "$dock" | grep -c .) ;; esac
	oci=$(find "$od" -mindepth 1 -maxdepth 1 -type d ! -name '.*' 2>/dev/null | grep -c .)
	rund=$(find "$RUNTIME_DIR/$INSTANCE" -mindepth 1 -maxdepth 1 2>/dev/null | grep -c .)
	for rt in runc crun runsc; do
		[ -d "$od/.$rt" ] && command -v "$rt" >/dev/null || continue
		st=$((st + $("$rt" --root "$od/.$rt" list -q 2>/dev/null | grep -c .)))
	done
	echo "live rows $rows, pooled boxes $pooled, docker containers $dock, OCI bundles $oci, run directories $rund, OCI runtime state $st"
	[ "$rows" = 0 ] && [ "$pooled" = 0 ] && [ "$dock" = 0 ] && [ "$oci" = 0 ] && [ "$rund" = 0 ] && [ "$st" = 0 ]
}

# ---------------------------------------------------------------- peers
# A bundle of the store's busybox for runc, crun and runsc: /bin/true, no
# terminal, the image's tree itself as a read-only root (nothing copied).
peer_bundle() {	# peer_bundle RUNTIME: prints the bundle's directory
	local rt=$1 b=$T/peer/$1 cur
	cur=$(cat "$OCI_IMAGES/sshbox/busybox/latest/current" 2>/dev/null) ||
		{ echo "no sshbox/busybox:latest in the OCI store $OCI_IMAGES" >&2; return 1; }
	mkdir -p "$b" "$T/peer/state-$rt" || return 1
	(cd "$b" && runc spec) || { echo "runc spec failed" >&2; return 1; }
	jq --arg root "$OCI_IMAGES/sshbox/busybox/latest/$cur/rootfs" \
		'.process.terminal = false | .process.args = ["/bin/true"] |
		 .root = { path: $root, readonly: true } | .hostname = "peer"' \
		"$b/config.json" > "$b/config.json.new" &&
		mv "$b/config.json.new" "$b/config.json" || return 1
	echo "$b"
}
peer_cmd() {	# peer_cmd RUNTIME: the peer's command line, for root
	local rt=$1 b st=$T/peer/state-$1 id=sshbox-peer-$$
	case $rt in
	docker) echo "docker run --rm --network none $IMAGE true" ;;
	runc|crun)
		b=$(peer_bundle "$rt") || return 1
		echo "$rt --root $st run --bundle $b $id" ;;
	runsc)
		b=$(peer_bundle "$rt") || return 1
		echo "runsc --root $st --platform=ptrace --network=none run --bundle $b $id" ;;
	microvm)
		# The same kernel and initrd, to the initrd's init, which
		# powers off at once (sshbox.probe=1): a bare boot.
		echo "qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on,acpi=on -accel tcg -cpu max -m 256M -smp 1 -nodefaults -no-user-config -display none -no-reboot -serial null -kernel $OCI_IMAGES/.microvm/vmlinuz -initrd $OCI_IMAGES/.microvm/initrd.img -append 'console=ttyS0 quiet panic=-1 reboot=t sshbox.probe=1 tsc_early_khz=$(awk '/cpu MHz/ { printf "%d", $4 * 1000; exit }' /proc/cpuinfo)'" ;;
	esac
}
peer() {	# peer RUNTIME
	local rt=$1 cmd out
	cmd=$(peer_cmd "$rt") || { cell[peer.$rt]="failed"; note "  $rt: peer: cannot make it"; return; }
	case $rt in docker|microvm) ;; *) peer_ids+=("$rt $T/peer/state-$rt sshbox-peer-$$") ;; esac
	if ! out=$(rssh "$cmd" </dev/null 2>&1); then
		cell[peer.$rt]="fails"
		note "  $rt: peer \`$cmd\` fails: $(printf '%s\n' "$out" | grep -m1 .)"
		return
	fi
	for i in $(seq 1 "$rounds"); do
		sample "$T/$rt.p.peer" pssh true
		sample "$T/$rt.s.peer" rssh "$cmd"
		sample "$T/rootssh" rssh true
	done
	result peer "$rt" time "$T/$rt.s.peer" "$T/$rt.p.peer"
}

# ---------------------------------------------------------------- burst
burst() {	# burst RUNTIME PROFILE
	local rt=$1 prof=$2 i json t0 t1 ok wall p50 p99 left
	local burst_n=$burst_n
	[ "$rt" = microvm ] && [ "$burst_n" -gt 0 ] && burst_n=${BURST_MICROVM:-10}
	[ "$burst_n" -gt 0 ] || return 0
	: > "$T/$rt.burst.ids"
	for i in $(seq 1 "$burst_n"); do
		new_key "b-$rt-$i"
		json=$($INVITE create --json --profile "$prof" --ttl 1h) || continue
		printf '%s' "$json" | jq -r .id >> "$T/$rt.burst.ids"
		printf '%s' "$json" | jq -r .token > "$T/$rt.burst.tok.$i"
	done
	t0=$EPOCHREALTIME
	for i in $(seq 1 "$burst_n"); do
		(
			s=$EPOCHREALTIME
			k=b-$rt-$i
			err=$T/$rt.burst.err.$i
			out=$(gssh "$k" redeem --bind-only "$(cat "$T/$rt.burst.tok.$i")" </dev/null 2>"$err" >/dev/null &&
				gssh "$k" 'echo ok' </dev/null 2>"$err")
			rc=$?
			e=$EPOCHREALTIME
			# A session that exits 0 without saying ok failed too.
			[ "$rc" = 0 ] && [ "$out" != ok ] && rc=99 && echo "said: $out" > "$err"
			printf '%s %s %s\n' "$rc" "$(awk -v a="$e" -v b="$s" 'BEGIN { print a - b }')" \
				"$(grep -m1 . "$err" | cut -c1-200)" > "$T/$rt.burst.$i"
		) &
	done
	wait
	t1=$EPOCHREALTIME
	wall=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
	ok=$(cat "$T/$rt.burst".[0-9]* | awk '$1 == 0' | grep -c .)
	p50=$(cat "$T/$rt.burst".[0-9]* | awk '$1 == 0 { print $2 }' | pct 50) || p50=-
	p99=$(cat "$T/$rt.burst".[0-9]* | awk '$1 == 0 { print $2 }' | pct 99) || p99=-
	note "burst $rt: $ok/$burst_n guests ok, wall ${wall} s, per guest p50 ${p50} s, p99 ${p99} s"
	if [ "$ok" -lt "$burst_n" ]; then
		cat "$T/$rt.burst".[0-9]* | awk '$1 != 0' | cut -d' ' -f1,3- | sort | uniq -c |
			sort -rn | head -3 | while read -r l; do note "  $rt burst failure: $l"; done
	fi
	# Revoking destroys each invite's boxes; the reaper then takes
	# whatever would be left (nothing, if revoke did its work).
	while read -r i; do $INVITE revoke "$i" >/dev/null 2>&1; done < "$T/$rt.burst.ids"
	kill_all_boxes
	# Its counts, those not zero.
	reap=$($REAPER --once --json 2>&1 | jq -c 'with_entries(select(.value != 0))' 2>&1 | tail -1)
	if left=$(leftovers); then
		note "  $rt after revoke + box-reaper --once (counts $reap): nothing left: $left"
	else
		note "  $rt after revoke + box-reaper --once (counts $reap): LEFT: $left"
	fi
}

# ----------------------------------------------------- cold with a pool
pool_ready() { sq "SELECT count(*) FROM pool WHERE profile = '$1' AND status = 'ready'"; }
pool_ids() { sq "SELECT id FROM pool WHERE profile = '$1' AND status = 'ready' ORDER BY id"; }
# pool_settle PROFILE N: wait until PROFILE's pool holds N ready boxes and
# no reaper pass or refill runs (up to 60 s; then one reaper pass).
pool_settle() {
	local end=$((SECONDS + 60))
	while [ "$SECONDS" -lt "$end" ]; do
		[ "$(pool_ready "$1")" -ge "$2" ] 2>/dev/null && ! reaper_busy &&
			return 0
		sleep 0.1
	done
	reap >/dev/null
	[ "$(pool_ready "$1")" -ge "$2" ] 2>/dev/null && ! reaper_busy
}
# pool_measure RUNTIME: cold with a pool.  Each round as cold's (a fresh
# key redeems a fresh invite, then `true`; two plain connections), but
# with PROFILE's pool full before it (waited for, not timed) and the box
# checked to be one the pool held; the box killed after it.
pool_measure() {
	local rt=$1 i out made before id miss=0 left target r verdict
	local prof=p-$rt pool_n=$pool_n
	[ "$rt" = microvm ] && pool_n=${POOL_MICROVM:-2}
	TEST_RUNTIME=$rt write_profile "$prof" "pool: $pool_n" "pool_max_age: 1h"
	for i in $(seq 1 "$rounds"); do
		new_key "q-$rt-$i"
		new_invite --profile "$prof" --ttl 1h > "$T/q-$rt-$i.tok"
	done
	out=$(reap)
	made=$(jq -r '.pool_made // "?"' <<<"$out" 2>/dev/null)
	if ! pool_settle "$prof" "$pool_n"; then
		cell[pool.$rt]="failed"
		note "  $rt: pool: one reaper pass did not fill a pool of $pool_n (pool_made ${made:-?}, $(pool_ready "$prof") ready)"
	else
		: > "$T/$rt.pool.misses"
		for i in $(seq 1 "$rounds"); do
			pool_settle "$prof" "$pool_n" ||
				note "  $rt: pool: before round $i the pool was not full again ($(pool_ready "$prof") of $pool_n ready)"
			before=$(pool_ids "$prof")
			sample "$T/$rt.p.pool" pssh2
			rm -f "$T/$rt.s.pool.try" "$T/$rt.s.pool.try.fail"
			sample "$T/$rt.s.pool.try" cold "q-$rt-$i" "$(cat "$T/q-$rt-$i.tok")"
			[ -f "$T/$rt.s.pool.try.fail" ] &&
				cat "$T/$rt.s.pool.try.fail" >> "$T/$rt.s.pool.fail"
			id=$(box_of "q-$rt-$i")
			if [ -n "$id" ] && grep -qxF "$id" <<<"$before"; then
				[ -f "$T/$rt.s.pool.try" ] &&
					cat "$T/$rt.s.pool.try" >> "$T/$rt.s.pool"
			else
				# Not what this row measures: counted, left out.
				miss=$((miss + 1))
				echo "round $i: ${id:-no box}" >> "$T/$rt.pool.misses"
			fi
			[ -n "$id" ] && $INVITE kill "$id" >/dev/null 2>&1
		done
		if result pool "$rt" time "$T/$rt.s.pool" "$T/$rt.p.pool"; then
			case $rt in runsc) target=1.15 ;; microvm) target=1.25 ;; *) target=1.10 ;; esac
			r=${cell[pool.$rt]%% *}
			if awk -v r="$r" -v t="$target" 'BEGIN { exit !(r <= t) }'; then
				verdict=met
			else
				verdict=missed
			fi
			cell[pool.$rt]+=", ≤ $target $verdict"
		fi
		if [ "$miss" = 0 ]; then
			note "pool $rt: $rounds/$rounds rounds took a pooled box (0 missed the pool); pool of $pool_n filled by one reaper pass (pool_made $made)"
		else
			cell[pool.$rt]+=" ($miss missed the pool)"
			note "pool $rt: $((rounds - miss))/$rounds rounds took a pooled box: $miss MISSED THE POOL (left out of the median; should be 0): $(paste -sd ';' "$T/$rt.pool.misses")"
		fi
	fi
	# The pool emptied: the last refill first, then pool: 0 and a pass.
	pool_settle "$prof" "$pool_n" >/dev/null
	TEST_RUNTIME=$rt write_profile "$prof" "pool: 0"
	for i in 1 2 3; do
		out=$(reap)
		[ -n "$out" ] && break
		sleep 1
	done
	left=$(sq "SELECT count(*) FROM pool WHERE profile = '$prof'")
	if [ "$left" = 0 ]; then
		note "  $rt: pool: emptied at the end (pool: 0, box-reaper --once: pool_replaced $(jq -r '.pool_replaced // "?"' <<<"$out" 2>/dev/null)), 0 pooled boxes left"
	else
		note "  $rt: pool: NOT emptied at the end: ${left:-?} pooled boxes left (reaper: ${out:-no pass})"
	fi
}

# ------------------------------------------------------------- per runtime
runtime_section() {	# runtime_section RUNTIME
	local rt=$1 out i
	local prof=t-$rt rprof=r-$rt
	echo "## $rt"
	case $rt in
	docker) ;;
	runc|crun|runsc)
		if ! command -v "$rt" >/dev/null; then
			note "$rt: skipped: $rt is not installed"
			for m in attach cold pool first_byte out_pt out_relay peer; do cell[$m.$rt]="skipped"; done
			return
		fi ;;
	microvm)
		if ! command -v qemu-system-x86_64 >/dev/null ||
		    [ ! -f "$OCI_IMAGES/.microvm/vmlinuz" ]; then
			note "$rt: skipped: no QEMU or no microVM kernel (images/build-microvm.sh)"
			for m in attach cold pool first_byte out_pt out_relay peer boot; do cell[$m.$rt]="skipped"; done
			return
		fi
		vm_account ;;
	*) note "$rt: skipped: not a runtime sshbox knows"; return ;;
	esac
	TEST_RUNTIME=$rt write_profile "$prof"
	TEST_RUNTIME=$rt write_profile "$rprof" "session: relay"
	# The two running boxes of attach, first byte and throughput.  A
	# runtime whose box does not start is skipped, with what it said.
	bind "g-$rt" "$prof"
	if ! out=$(gssh "g-$rt" true </dev/null 2>&1); then
		note "$rt: skipped: its box does not start: $(printf '%s\n' "$out" | grep -m1 .)"
		for m in attach cold pool first_byte out_pt out_relay; do cell[$m.$rt]="skipped"; done
		kill_all_boxes
		peer "$rt"
		return
	fi
	bind "r-$rt" "$rprof"
	gssh "r-$rt" true </dev/null >/dev/null 2>&1 ||
		note "  $rt: the relay box does not start"
	g() { gssh "g-$rt" "$@"; }
	r() { gssh "r-$rt" "$@"; }

	for i in $(seq 1 "$rounds"); do
		sample "$T/$rt.p.attach" pssh true
		sample "$T/$rt.s.attach" g true
		first_byte "$T/$rt.p.first_byte" pssh
		first_byte "$T/$rt.s.first_byte" g
	done
	result attach "$rt" time "$T/$rt.s.attach" "$T/$rt.p.attach"
	result first_byte "$rt" time "$T/$rt.s.first_byte" "$T/$rt.p.first_byte"

	for i in $(seq 1 "$bulk_rounds"); do
		sample "$T/$rt.p.out" out100 pssh
		sample "$T/$rt.s.out" out100 g
		sample "$T/$rt.s.rout" out100 r
	done
	result out_pt "$rt" throughput "$T/$rt.s.out" "$T/$rt.p.out"
	result out_relay "$rt" throughput "$T/$rt.s.rout" "$T/$rt.p.out"

	# Cold: keys and invites first, then each guest's two connections
	# (redeem, then true in the box it creates) against two plain ones.
	for i in $(seq 1 "$rounds"); do
		new_key "c-$rt-$i"
		new_invite --profile "$prof" --ttl 1h > "$T/c-$rt-$i.tok"
	done
	cold() { gssh "$1" redeem --bind-only "$2" && gssh "$1" true; }
	for i in $(seq 1 "$rounds"); do
		sample "$T/$rt.p.cold" pssh2
		sample "$T/$rt.s.cold" cold "c-$rt-$i" "$(cat "$T/c-$rt-$i.tok")"
	done
	result cold "$rt" time "$T/$rt.s.cold" "$T/$rt.p.cold"

	# A microVM's boot to its agent: box-runtime's create, timed.
	if [ "$rt" = microvm ]; then
		for i in $(seq 1 "$rounds"); do
			id=$(openssl rand -hex 8)
			sample "$T/$rt.boot" vmcreate "$id" "$prof"
			printf 'use microvm\ndestroy %s -\n' "$id" | runuser -u "$BOX_USER" -- \
				"$BIN/box-runtime" -c "$CONF" serve >/dev/null 2>&1
		done
		if b=$(mid < "$T/$rt.boot" 2>/dev/null); then
			cell[boot.$rt]=$(ms "$b")
			note "boot $rt: box-runtime create to a guest agent answering, median of $rounds: $(ms "$b") ($(cat /usr/local/var/lib/sshbox-runtime/.oci/.microvm-accel 2>/dev/null | cut -d' ' -f1 || echo tcg); accel of the profile: tcg)"
		else
			cell[boot.$rt]="failed"
		fi
	fi

	# Cold with a pool, from no live box (the attach boxes and cold's
	# are not needed any more).
	kill_all_boxes
	pool_measure "$rt"

	kill_all_boxes		# the burst starts from none
	peer "$rt"
	burst "$rt" "$prof"
}

{
	echo "# sshbox per-runtime benchmarks: medians of $rounds rounds ($bulk_rounds for 100 MiB), same sshd"
	echo "# $(nproc) CPUs, $(uname -r), $(date -u +%FT%TZ)"
	echo "# docker $(docker version -f '{{.Server.Version}}' 2>/dev/null)," \
		"runc $(runc --version 2>/dev/null | awk 'NR == 1 { print $3 }')," \
		"crun $(crun --version 2>/dev/null | awk 'NR == 1 { print $3 }')," \
		"runsc $(runsc --version 2>/dev/null | awk 'NR == 1 { print $3 }') (platform ptrace),"
	echo "# qemu $(qemu-system-x86_64 --version 2>/dev/null | awk 'NR == 1 { print $4 }'), microVM kernel $(cat "${OCI_IMAGES:-/usr/local/var/lib/sshbox-images}/.microvm/kernel" 2>/dev/null)"
}
: > "$T/notes"
for rt in $runtimes; do
	runtime_section "$rt" || note "$rt: the section failed"
	kill_all_boxes
done
# What the whole run left (the harness's cleanup removes it anyway).
if left=$(leftovers); then
	note "at the end, every box killed: nothing left: $left"
else
	note "at the end, every box killed: LEFT: $left"
fi

# ---------------------------------------------------------------- table
echo
echo "| measure | plain ssh |$(printf ' %s |' $runtimes)"
echo "|---|---|$(printf -- '---|%.0s' $runtimes)"
trow() {	# trow MEASURE LABEL
	local m=$1 p="" rt line
	p=$(mid 2>/dev/null < "$T/plain.$m") && p=$(ms "$p") || p=""
	line="| $2 | ${p:--} |"
	for rt in $runtimes; do
		line+=" ${cell[$m.$rt]:--} |"
	done
	echo "$line"
}
trow attach "attach: \`true\` in a running box (time ratio)"
trow cold "cold, no pool: redeem + new box + \`true\`, vs 2 plain \`ssh true\` (time ratio)"
trow pool "cold with a pool ($pool_n; microvm ${POOL_MICROVM:-2}): redeem + pooled box + \`true\`, vs 2 plain \`ssh true\` (time ratio; target ≤ 1.10, runsc ≤ 1.15, microvm ≤ 1.25)"
trow first_byte "first prompt byte, \`ssh -tt\` login (time ratio)"
trow out_pt "100 MiB out, pass-through (throughput ratio)"
trow out_relay "100 MiB out, relay (throughput ratio)"
trow peer "peer: the runtime run bare through ssh as root, \`true\` (time ratio)"
trow boot "microVM boot to agent: box-runtime create (absolute)"
echo
r=$(mid 2>/dev/null < "$T/rootssh") && p=$(mid 2>/dev/null < "$T/plain.peer") &&
	echo "Peers' account: \`ssh root true\` $(ms "$r"), $(ratio "$r" "$p") of plain \`ssh true\`."
echo "Cells: ratio to plain ssh in the same run (time: lower is better; throughput: higher is better), sshbox's median in parentheses."
echo
grep -v '^  ' "$T/notes"
echo
echo "Notes:"
grep '^  ' "$T/notes" | sed 's/^  /- /'
