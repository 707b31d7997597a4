#!/bin/bash
# Soak: a bastion under steady, mixed use for a bounded time, with faults
# thrown in, then a reckoning.  Run on demand (not by make check or CI).
#
# Usage (as root, after a build; loopback only):
#
#   top_srcdir=$PWD top_builddir=BUILD sysconfdir=/usr/local/etc \
#   localstatedir=/usr/local/var tests/soak/soak.sh
#
# Settings, from the environment:
#   SOAK_SECONDS         how long guests keep starting work (default 900);
#                        a guest finishes the cycle it is in, so the run
#                        takes up to about 2 minutes more, then the checks
#   SOAK_GUESTS          guests working at once (default 8)
#   SSHBOX_TEST_RUNTIME  docker (default), runc, crun or runsc
#   SOAK_RESTART_DOCKER  1: restart the Docker daemon now and then (default
#                        1 for docker); 0: never
#   SOAK_DOCKERD         system (default): the machine's dockerd, stopped
#                        with its pidfile (SOAK_DOCKER_PIDFILE, default
#                        /var/run/docker.pid) and started again with
#                        scripts/start-dockerd; a restart is skipped (and
#                        counted as such) while that daemon runs any
#                        container that is not this soak's, or another
#                        bastion of the test harness runs (tests, benches),
#                        since a restart would break them.  private: a dockerd of the soak's
#                        own (its own socket, data root, pidfile; no
#                        bridge, no iptables), the image loaded into it:
#                        for a machine where others use the system daemon
#   SOAK_DOCKER_EVERY    seconds between daemon restarts (default 150;
#                        the first comes at a third of the run when that
#                        is sooner)
#   SOAK_CHAOS_EVERY     most seconds between box-shell kills (default 12)
#   SOAK_KEEP            1: keep the bastion's directory (logs, state)
#
# What runs, concurrently, for SOAK_SECONDS:
#   - SOAK_GUESTS guest loops.  Each cycle: an invite (ttl 20-60s, one to
#     three uses, one of three profiles: linger 20s, no linger, relayed
#     with linger 10s); each use redeemed by a fresh key (redeem TOKEN with
#     a script on stdin, or redeem --bind-only); a fresh key trying the
#     used-up invite; sessions with known output and exit status (the box's
#     hostname first, so that reconnects are seen to land in the same box),
#     stdin through the box, 100 kB out, short sleeps; now and then
#     box-invite kill of the key's box under a live session (247, and the
#     next session in a new box); then one of: a session sleeping past the
#     box's deadline (253), after which every key of the invite is refused;
#     revoke (under a live session or not: 247), after which every key and
#     a fresh redemption are refused; or leaving the box to the reaper.
#   - chaos: a random guest box-shell (never a redemption) SIGKILLed every
#     few seconds; with docker and SOAK_RESTART_DOCKER=1 the daemon
#     restarted now and then (sessions and boxes it breaks are expected to
#     fail, and are counted as disrupted, not as errors).
#   - box-reaper --interval 5s as the box account, the whole time; its RSS
#     and open descriptors, and the sshd listener's RSS, sampled every 10s.
#
# Then: the long-lived reaper is stopped, box-reaper --once runs, every box
# still live is killed and every open invite revoked, box-reaper --once
# runs again, and these must hold (SOAK PASS, exit 0; else SOAK FAIL, 1):
#   1. every invite's spent uses (uses - uses_left) equal the redemptions
#      the guests saw succeed;
#   2. after the first reaper run no live box is past its deadline or stuck
#      being created; after the second no live box, no live session, no
#      runtime object of the instance (containers; OCI bundles), no run
#      directory, no box-shell or box-runtime of this bastion;
#   3. no wrongful login: nothing that had to be refused (a revoked
#      invite's key, an expired key, a used-up or revoked invite) got in;
#   4. the long-lived reaper's RSS and the sshd listener's are flat: the
#      median of the last third of the samples is at most 20% + 1 MiB over
#      the first third's (and the reaper's descriptors grow by at most 4);
#   5. no unexpected result: every session's output and status as expected
#      (or explained by a chaos event), every administrator command worked.
# The figures are printed in one block.
set -u
SOAK_SECONDS=${SOAK_SECONDS:-900}
SOAK_GUESTS=${SOAK_GUESTS:-8}
SOAK_CHAOS_EVERY=${SOAK_CHAOS_EVERY:-12}
SOAK_DOCKER_EVERY=${SOAK_DOCKER_EVERY:-150}
SOAK_DOCKERD=${SOAK_DOCKERD:-system}
SOAK_DOCKER_PIDFILE=${SOAK_DOCKER_PIDFILE:-/var/run/docker.pid}
RT=${SSHBOX_TEST_RUNTIME:-docker}
if [ "$RT" = docker ]; then
	SOAK_RESTART_DOCKER=${SOAK_RESTART_DOCKER:-1}
else
	SOAK_RESTART_DOCKER=0
fi
export top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
export top_builddir=${top_builddir:-$top_srcdir}
[ -n "${SOAK_KEEP:-}" ] && export KEEP_TEST_DIR=1

# Until the harness has a bastion up, any exit is a failure (the harness
# "skips" when something is missing: not a pass for a soak).
PD=
soak_early() {
	[ -n "$PD" ] && pd_stop && rm -rf "$PD_DATA" "$PD"
	echo "SOAK FAIL: the harness did not start (see above)"
	exit 1
}
trap soak_early EXIT

# ------------------------------------------------- a private dockerd (opt.)
if [ "$RT" = docker ] && [ "$SOAK_DOCKERD" = private ]; then
	[ "$(id -u)" = 0 ] || { echo "soak: needs root"; exit 1; }
	PD=/run/sshbox-soak.$$
	PD_DATA=/var/tmp/sshbox-soak-docker.$$
	mkdir -p "$PD" "$PD_DATA" && chmod 755 "$PD"
	DOCKER_SOCK=$PD/docker.sock
	SOAK_DOCKER_PIDFILE=$PD/docker.pid
	pd_start() {
		dockerd --data-root "$PD_DATA" --exec-root "$PD/exec" \
			--pidfile "$PD/docker.pid" -H "unix://$DOCKER_SOCK" \
			--bridge none --iptables=false --ip-masq=false \
			--ip6tables=false >>"$PD/dockerd.log" 2>&1 </dev/null &
		for _ in $(seq 1 120); do
			docker -H "unix://$DOCKER_SOCK" info >/dev/null 2>&1 && return 0
			sleep 0.5
		done
		return 1
	}
	pd_stop() {
		[ -f "$PD/docker.pid" ] || return 0
		_p=$(cat "$PD/docker.pid")
		kill "$_p" 2>/dev/null
		for _ in $(seq 1 150); do
			kill -0 "$_p" 2>/dev/null || return 0
			sleep 0.2
		done
		kill -KILL "$_p" 2>/dev/null
	}
	pd_start || { tail -20 "$PD/dockerd.log"; echo "soak: the private dockerd did not start"; exit 1; }
	docker save sshbox/busybox:latest | docker -H "unix://$DOCKER_SOCK" load >/dev/null ||
		{ pd_stop; echo "soak: cannot load the image into the private dockerd"; exit 1; }
	export DOCKER_HOST=unix://$DOCKER_SOCK
fi

# ----------------------------------------------------------- the bastion
# Redemptions and live boxes from 127.0.0.1 well above what the guests use.
# (REDEEM_MAX, EXTRA_CONF and TEST_CLEANUP are read by lib.sh.)
# shellcheck disable=SC2034
REDEEM_MAX=10000
# shellcheck disable=SC2034
EXTRA_CONF='limits:
  max_boxes: 500
  max_boxes_per_invite: 20
  max_boxes_per_source: 500'
. "$top_srcdir/tests/integration/lib.sh"
trap cleanup EXIT
setup_bastion >/dev/null
LINGER=20s write_profile sk 'warn: [10s]'
LINGER=0s write_profile nl 'warn: []'
LINGER=10s write_profile rl 'session: relay'
declare -A LINGER_OF=([sk]=20 [nl]=0 [rl]=10)
PROFILES=(sk sk nl rl)

S=$T/soak
mkdir -p "$S/chaos" "$S/logs"
: > "$S/restarts"
: > "$S/errors"
: > "$S/wrongful"
: > "$S/disrupted"
START=$(date +%s)
END=$((START + SOAK_SECONDS))
GRACE=25	# after a daemon restart, until the reaper has caught up
FP_CACHE=$S/fp
mkdir -p "$FP_CACHE"

PIDS_BG=
soak_cleanup() {
	for _p in $PIDS_BG; do killtree "$_p"; done
	if [ -e "$S/restart.active" ] && [ -z "$PD" ]; then
		sh "$top_srcdir/scripts/start-dockerd" >/dev/null 2>&1
	fi
	if [ -n "$PD" ]; then
		docker ps -aq --filter "label=io.sshbox.instance=$INSTANCE" |
			xargs -r docker rm -f >/dev/null 2>&1
		pd_stop
		rm -rf "$PD_DATA" "$PD"
		unset DOCKER_HOST
	fi
}
# shellcheck disable=SC2034
TEST_CLEANUP=soak_cleanup
killtree() {	# killtree PID: PID and everything under it, by pid
	for _c in $(pgrep -P "$1" 2>/dev/null); do killtree "$_c"; done
	kill "$1" 2>/dev/null
}

now() { date +%s; }
rnd() { echo $(( $1 + RANDOM % ($2 - $1 + 1) )); }	# rnd LO HI
pause() { _r=$(rnd 2 15); sleep "$((_r / 10)).$((_r % 10))"; }

# gs SECONDS KEY ARGS...: gssh, given up after SECONDS (status 124).
export -f gssh
export T PORT BOX_USER
gs() {
	_lim=$1; shift
	timeout -k 5 "$_lim" bash -c 'gssh "$@"' _ "$@"
}

# --------------------------------------------------------------- logging
# Each guest appends to its own log, one event a line:
#   EPOCH gN EVENT ARGS...
ev() { echo "$(now) $G $*" >> "$S/logs/$G"; }
err() {	# err TAG MESSAGE: an unexpected result
	_l=$(printf '%s %s %s' "$G" "$1" "$2" | tr -d '\r\n' | head -c 600)
	printf '%s\n' "$_l" >> "$S/errors"
	ev error "$1"
}
oneline() { printf '%s' "$1" | tr '\n' '|' | head -c 200; }
# dis TAG WHY RC OUT ERRFILE: a result a chaos event explains, kept for
# the figures (which statuses the chaos produced) and for reading.
dis() {
	ev disrupted "$1" "$2"
	_l=$(printf '%s %s [%s] status %s, out %s, err %s' "$G" "$1" "$2" "$3" \
		"$(oneline "$4")" "$(oneline "$(grep -v 'will be destroyed in' "$5" 2>/dev/null)")" |
		tr -d '\r\n' | head -c 500)
	printf '%s\n' "$_l" >> "$S/disrupted"
}

# disrupted TAG T0 T1: a chaos event can explain a failure of the session
# TAG that ran from T0 to T1; prints which.
disrupted() {
	if [ -e "$S/chaos/$1" ]; then echo "box-shell killed"; return 0; fi
	restart_between "$2" "$3" && { echo "daemon restart"; return 0; }
	return 1
}
restart_between() {	# restart_between T0 T1: a daemon restart near then
	[ -e "$S/restart.active" ] && return 0
	awk -v a="$1" -v b="$2" -v g="$GRACE" \
		'$1 - 2 <= b && a <= $2 + g { f = 1 } END { exit !f }' "$S/restarts"
}

# ------------------------------------------------------------ one session
# session KEY CLASS TAG CMD EXPECTED-OUT EXPECTED-RC [LIMIT] [STDIN]:
# run CMD in the key's box (it prints the box's hostname first); its
# output after that line must be EXPECTED-OUT and its status EXPECTED-RC.
# Sets HOST (the box's hostname, or empty) and SRC (ok, disrupted,
# error).  CLASS names the kind in the log.
session() {
	_k=$1 _cl=$2 _tag=$3 _cmd=$4 _eo=$5 _er=$6 _lim=${7:-90} _in=${8:-}
	_t0=$(now)
	if [ -n "$_in" ]; then
		_out=$(printf '%s\n' "$_in" | gs "$_lim" "$_k" ": $_tag; hostname; $_cmd" 2>"$S/err.$G")
	else
		_out=$(gs "$_lim" "$_k" ": $_tag; hostname; $_cmd" </dev/null 2>"$S/err.$G")
	fi
	_rc=$?
	_t1=$(now)
	HOST=$(printf '%s\n' "$_out" | head -1)
	case $HOST in box-*) ;; *) HOST= ;; esac
	_body=$(printf '%s\n' "$_out" | tail -n +2)
	if [ "$_rc" = "$_er" ] && [ -n "$HOST" ] && [ "$_body" = "$_eo" ]; then
		SRC=ok
	elif _why=$(disrupted "$_tag" "$_t0" "$_t1"); then
		SRC=disrupted
		dis "$_tag" "$_why" "$_rc" "$_out" "$S/err.$G"
		HOST=
	else
		SRC=error
		err "$_tag" "session ($_cl): expected status $_er and '$(oneline "$_eo")', got status $_rc and '$(oneline "$_out")', stderr '$(oneline "$(grep -v 'will be destroyed in' "$S/err.$G")")'"
		HOST=
	fi
	ev session "$_tag" "$_cl" "$SRC" "$_rc"
}

# must_refuse TAG KEY [redeem TOKEN]: KEY must not get in: a login
# (or redeeming TOKEN, with a command on stdin that would show it ran).
must_refuse() {
	_tag=$1 _k=$2; shift 2
	_mark="WRONGFUL-$_tag"
	if [ "${1:-}" = redeem ]; then
		_out=$(printf 'echo %s\nexit 0\n' "$_mark" | gs 60 "$_k" redeem "$2" 2>"$S/err.$G"); _rc=$?
	else
		_out=$(gs 60 "$_k" ": $_tag; echo $_mark" </dev/null 2>"$S/err.$G"); _rc=$?
	fi
	if printf '%s' "$_out" | grep -q "$_mark" || [ "$_rc" = 0 ]; then
		echo "$G $_tag ${1:-login}: got in (status $_rc, '$(oneline "$_out")')" >> "$S/wrongful"
		ev wrongful "$_tag"
	elif [ "$_rc" = 255 ] || [ "$_rc" = 250 ]; then
		ev refused "$_tag" "$_rc"
	else
		err "$_tag" "refusal (${1:-login}): expected status 255 or 250, got $_rc, '$(oneline "$_out")', stderr '$(oneline "$(cat "$S/err.$G")")'"
	fi
}

# ------------------------------------------------------------ one guest
live_session_box() {	# live_session_box TAG: the box of TAG's live session
	$INVITE sessions --live --json 2>/dev/null |
		jq -r --arg t "$1" '.[] | select(.command // "" | contains($t)) | .box' 2>/dev/null | head -1
}

# redeem_key KEY TOKEN INVITE TAG FULL: the key redeems the token; logs the
# redemption when it happened.  Sets DEADLINE (unix seconds) on success.
redeem_key() {
	_k=$1 _tok=$2 _inv=$3 _tag=$4 _full=$5
	_t0=$(now)
	if [ "$_full" = 1 ]; then
		_x=$(rnd 0 9)
		_out=$(printf 'echo %s-$((6 * 7))\nexit %s\n' "$_tag" "$_x" |
			gs 90 "$_k" redeem "$_tok" 2>"$S/err.$G"); _rc=$?
		_want="$_tag-42" _wrc=$_x
	else
		_out=$(gs 60 "$_k" redeem --bind-only "$_tok" </dev/null 2>"$S/err.$G"); _rc=$?
		_want='' _wrc=0
	fi
	_t1=$(now)
	_dl=$(sed -n 's/.*invite redeemed: .* until \([0-9T:-]*Z\).*/\1/p' "$S/err.$G" | head -1)
	if [ -n "$_dl" ]; then
		# box-shell said so: the key is bound, whatever came after.
		ev redeemed "$_inv" "$_k"
		DEADLINE=$(date -d "$_dl" +%s)
		if [ "$_rc" = "$_wrc" ] && [ "$_out" = "$_want" ]; then
			ev session "$_tag" redeem ok "$_rc"
		elif _why=$(disrupted "$_tag" "$_t0" "$_t1"); then
			dis "$_tag" "$_why" "$_rc" "$_out" "$S/err.$G"
			ev session "$_tag" redeem disrupted "$_rc"
		else
			err "$_tag" "redeem: expected status $_wrc and '$_want', got $_rc and '$(oneline "$_out")', stderr '$(oneline "$(grep -v 'will be destroyed in' "$S/err.$G")")'"
			ev session "$_tag" redeem error "$_rc"
		fi
		return 0
	fi
	# No word of a redemption.  Whether it happened anyway (box-shell
	# or the connection died after the commit) the key itself tells:
	# a bound key gets into a box (or at least past the redeem step).
	_p=$(gs 60 "$_k" 'echo probe' </dev/null 2>"$S/err2.$G"); _prc=$?
	if [ "$_p" = probe ]; then
		ev redeemed "$_inv" "$_k"
		err "$_tag" "redeem: status $_rc, '$(oneline "$_out")', no word of the redemption, yet the key is bound; stderr '$(oneline "$(cat "$S/err.$G")")'"
		DEADLINE=$((_t1 + TTL))
		return 0
	elif ! grep -q 'has not redeemed an invite' "$S/err2.$G"; then
		err "$_tag" "redeem: status $_rc, '$(oneline "$_out")', and whether the key is bound cannot be told (probe: status $_prc, stderr '$(oneline "$(cat "$S/err2.$G")")')"
		return 1
	fi
	if _why=$(disrupted "$_tag" "$_t0" "$_t1"); then
		dis "$_tag" "$_why" "$_rc" "$_out" "$S/err.$G"
	else
		err "$_tag" "redeem: status $_rc, '$(oneline "$_out")', stderr '$(oneline "$(cat "$S/err.$G")")'"
	fi
	return 1
}

# A background session that must be ended by an administrator (kill,
# revoke): sleeps, then prints what must never be seen.
bg_start() {	# bg_start KEY TAG: sets BGP, BGOUT
	BGOUT=$S/bg.$G
	gs 150 "$1" ": $2; hostname; sleep 100; echo late-$2" </dev/null >"$BGOUT" 2>"$BGOUT.err" &
	BGP=$!
	BG_T0=$(now)
}
bg_attached() {	# bg_attached TAG: prints the box once its session is live
	_end=$(( $(now) + 30 ))
	while [ "$(now)" -lt "$_end" ]; do
		_b=$(live_session_box "$1")
		[ -n "$_b" ] && { echo "$_b"; return 0; }
		kill -0 "$BGP" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}
bg_check() {	# bg_check TAG WHAT: the background session ended with 247
	wait "$BGP"; _rc=$?
	_t1=$(now)
	if [ "$_rc" = 247 ] && ! grep -q "late-" "$BGOUT"; then
		ev session "$1" "$2" ok 247
	elif _why=$(disrupted "$1" "$BG_T0" "$_t1"); then
		dis "$1" "$_why" "$_rc" "$(cat "$BGOUT")" "$BGOUT.err"
		ev session "$1" "$2" disrupted "$_rc"
	else
		err "$1" "session under $2: expected status 247, got $_rc, '$(oneline "$(cat "$BGOUT")")', stderr '$(oneline "$(grep -v 'will be destroyed in' "$BGOUT.err")")'"
		ev session "$1" "$2" error "$_rc"
	fi
}

guest() {	# guest N: cycles until the end of the soak
	G=g$1
	c=0
	while [ "$(now)" -lt "$END" ]; do
		c=$((c + 1))
		cycle "$G-c$c"
		pause
	done
	ev finished
}

cycle() {	# cycle PREFIX: one invite, from creation to its end
	P=$1
	PROF=${PROFILES[RANDOM % ${#PROFILES[@]}]}
	TTL=$(rnd 20 60)
	case $((RANDOM % 20)) in
	[0-2]) USES=3 ;;
	[3-7]) USES=2 ;;
	*) USES=1 ;;
	esac
	inv=$($INVITE create --json --profile "$PROF" --ttl "${TTL}s" --uses "$USES" 2>"$S/err.$G")
	ID=$(jq -r .id <<<"$inv" 2>/dev/null) TOK=$(jq -r .token <<<"$inv" 2>/dev/null)
	if [ -z "$ID" ] || [ "$ID" = null ] || [ -z "$TOK" ]; then
		err "$P" "box-invite create failed: $(oneline "$(cat "$S/err.$G")")"
		sleep 2
		return
	fi
	ev invite "$ID" "$USES" "$TTL" "$PROF"
	KEYS=()
	DL='' LAST_DL=
	for u in $(seq 1 "$USES"); do
		k=$P-k$u
		new_key "$k"
		full=1
		[ "$u" -gt 1 ] && full=$((RANDOM % 2))
		DEADLINE=
		if redeem_key "$k" "$TOK" "$ID" "$P-r$u" "$full"; then
			KEYS+=("$k")
			[ -z "$DL" ] && DL=$DEADLINE
			LAST_DL=$DEADLINE	# the later the redemption, the later
		fi
		pause
	done
	[ "${#KEYS[@]}" -gt 0 ] || return
	if [ "${#KEYS[@]}" = "$USES" ]; then
		new_key "$P-x"
		must_refuse "$P-used" "$P-x" redeem "$TOK"	# used up
	fi
	K=${KEYS[0]}
	linger=${LINGER_OF[$PROF]}
	# The other keys: a session each, in boxes of their own.
	for k in "${KEYS[@]:1}"; do
		[ $((DL - $(now))) -gt 12 ] || break
		x=$(rnd 0 9)
		session "$k" other "$k-s" "echo other-\$((x=$x)); exit $x" "other-$x" "$x"
	done
	# The first key: sessions, reconnecting to its box.
	last_host='' last_t1=
	n=$(rnd 2 6)
	killed=0
	for s in $(seq 1 "$n"); do
		left=$((DL - $(now)))
		[ "$left" -gt 14 ] || break
		[ "$(now)" -lt "$END" ] || break
		tag=$P-s$s
		t0=$(now)
		case $((RANDOM % 10)) in
		0|1)	x=$(rnd 0 9)
			session "$K" echo "$tag" "echo \"\$((6*7)) $tag\"; exit $x" "42 $tag" "$x" ;;
		2|3)	session "$K" stdin "$tag" 'wc -l; exit 3' 3 3 90 "$(printf 'a\nb\nc\n')" ;;
		4)	session "$K" bulk "$tag" 'head -c 100000 /dev/zero | wc -c' 100000 0 ;;
		5|6|7)	session "$K" sleep "$tag" "sleep $(rnd 1 4); echo slept-$tag" "slept-$tag" 0 ;;
		*)	if [ "$killed" = 0 ] && [ "$left" -gt 30 ]; then
				killed=1
				kill_under_session "$tag"
				last_host=
				pause
				continue
			fi
			session "$K" echo "$tag" "echo $tag" "$tag" 0 ;;
		esac
		if [ "$SRC" = ok ] && [ "$linger" -gt 0 ] && [ -n "$last_host" ] &&
		   [ "$HOST" != "$last_host" ] && ! restart_between "$last_t1" "$t0"; then
			err "$tag" "reconnect landed in another box: $HOST, the last session's was $last_host (linger ${linger}s)"
		fi
		if [ "$SRC" = ok ]; then
			if [ -n "${KILLED_HOST:-}" ] && [ "$HOST" = "$KILLED_HOST" ]; then
				err "$tag" "after box-invite kill the key is still in the killed box $HOST"
			fi
			KILLED_HOST=
			last_host=$HOST last_t1=$(now)
		else
			last_host=
		fi
		pause
	done
	KILLED_HOST=
	# The end of the invite.
	r=$((RANDOM % 20))
	if [ "$(now)" -ge "$END" ]; then
		[ $r -lt 10 ] && end_revoke || ev walkaway "$ID"
	elif [ $r -lt 7 ] && [ $((DL - $(now))) -gt 3 ]; then
		end_expire
	elif [ $r -lt 14 ]; then
		end_revoke
	else
		ev walkaway "$ID"
	fi
}

kill_under_session() {	# kill_under_session TAG: box-invite kill under it
	bg_start "$K" "$1"
	if ! b=$(bg_attached "$1"); then
		killtree "$BGP"
		wait "$BGP"
		if _why=$(disrupted "$1" "$BG_T0" "$(now)"); then
			dis "$1" "$_why" "-" "$(cat "$BGOUT")" "$BGOUT.err"
		else
			err "$1" "kill: the session never became live: $(oneline "$(cat "$BGOUT" "$BGOUT.err")")"
		fi
		return
	fi
	KILLED_HOST=box-${b:0:8}
	o=$($INVITE kill "$b" 2>&1); rc=$?
	if [ "$rc" = 0 ]; then
		ev kill "$b"
	elif _why=$(disrupted "$1" "$BG_T0" "$(now)"); then
		dis "$1-kill" "$_why" "$rc" "$o" /dev/null
	else
		err "$1" "box-invite kill $b: status $rc: $(oneline "$o")"
	fi
	bg_check "$1" kill
}

end_revoke() {
	tag=$P-rv
	bg=0
	if [ $((RANDOM % 2)) = 0 ] && [ $((DL - $(now))) -gt 20 ]; then
		bg_start "$K" "$tag"
		if bg_attached "$tag" >/dev/null; then bg=1
		else
			killtree "$BGP"; wait "$BGP"
			disrupted "$tag" "$BG_T0" "$(now)" >/dev/null ||
				err "$tag" "revoke: the session never became live: $(oneline "$(cat "$BGOUT" "$BGOUT.err")")"
		fi
	fi
	t0=$(now)
	o=$($INVITE revoke "$ID" 2>&1); rc=$?
	st=$($INVITE show --json "$ID" 2>/dev/null | jq -r .state)
	if [ "$rc" = 0 ] && [ "$st" = revoked ]; then
		ev revoke "$ID"
	elif [ "$st" = revoked ] && _why=$(disrupted "$tag" "$t0" "$(now)"); then
		# Revoked; a box's container could not be removed for now
		# (box-reaper removes it): box-invite says so, status 1.
		ev revoke "$ID"
		dis "$tag-revoke" "$_why" "$rc" "$o" /dev/null
	else
		err "$tag" "box-invite revoke $ID: status $rc, state '$st': $(oneline "$o")"
	fi
	[ "$bg" = 1 ] && bg_check "$tag" revoke
	[ "$st" = revoked ] || return	# nothing to be refused
	for k in "${KEYS[@]}"; do must_refuse "$tag-$k" "$k"; done
	new_key "$P-y"
	must_refuse "$tag-new" "$P-y" redeem "$TOK"
}

end_expire() {
	tag=$P-ttl
	s=$(( DL - $(now) + 8 ))
	session "$K" expire "$tag" "sleep $s; echo late-$tag" "" 253 $((s + 60))
	[ "$SRC" = ok ] && ev expired "$tag"
	# Every key's time is over (each counts from its own redemption).
	while [ "$(now)" -lt $((LAST_DL + 2)) ]; do sleep 1; done
	for k in "${KEYS[@]}"; do must_refuse "$tag-$k" "$k"; done
}

# ------------------------------------------------------------------ chaos
restart_dockerd() {
	touch "$S/restart.active"
	rs=$(now)
	if [ "$SOAK_DOCKERD" = system ]; then
		# Anyone's running container but ours, or another bastion of
		# the test harness (its tests and benchmarks use this daemon).
		others=$( { docker ps -q | while read -r c; do
			[ "$(docker inspect -f '{{index .Config.Labels "io.sshbox.instance"}}' "$c" 2>/dev/null)" = "$INSTANCE" ] || echo "$c"
		done
		for f in /tmp/sshbox-it.*/sshd.pid; do
			[ -f "$f" ] && [ "$f" != "$T/sshd.pid" ] &&
				kill -0 "$(cat "$f")" 2>/dev/null && echo "$f"
		done; } | grep -c .)
		if [ "$others" -gt 0 ]; then
			echo "$(now) chaos restart-skipped $others" >> "$S/logs/chaos"
			rm -f "$S/restart.active"
			return 1
		fi
	fi
	ok=1
	if [ -f "$SOAK_DOCKER_PIDFILE" ]; then
		dp=$(cat "$SOAK_DOCKER_PIDFILE")
		kill -TERM "$dp" 2>/dev/null
		for _ in $(seq 1 300); do
			kill -0 "$dp" 2>/dev/null || break
			sleep 0.2
		done
		kill -0 "$dp" 2>/dev/null && { ok=0; echo "$(now) chaos restart-stuck $dp" >> "$S/logs/chaos"; }
	else
		ok=0
	fi
	if [ -n "$PD" ]; then
		pd_start || pd_start || ok=0
	else
		sh "$top_srcdir/scripts/start-dockerd" >>"$S/start-dockerd.log" 2>&1 ||
			sh "$top_srcdir/scripts/start-dockerd" >>"$S/start-dockerd.log" 2>&1 || ok=0
	fi
	re=$(now)
	echo "$rs $re" >> "$S/restarts"
	rm -f "$S/restart.active"
	if [ "$ok" = 1 ]; then
		echo "$re chaos restart $((re - rs))" >> "$S/logs/chaos"
	else
		echo "chaos restart the Docker daemon: failed (see $S/start-dockerd.log)" >> "$S/errors"
		echo "$re chaos restart-failed" >> "$S/logs/chaos"
	fi
}

kill_box_shell() {
	# The guests' box-shells, each the leader of its session (its parent
	# is sshd), running a command of a soak session: never a redemption.
	cands=()
	for p in $(pgrep -u "$BOX_USER" -f "box-shell -c $CONF"); do
		pp=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
		case $(cat "/proc/$pp/comm" 2>/dev/null) in sshd*) ;; *) continue ;; esac
		cmd=$(tr '\0' '\n' 2>/dev/null < "/proc/$p/environ" | sed -n 's/^SSH_ORIGINAL_COMMAND=//p')
		case $cmd in ": g"*) cands+=("$p:${cmd#: }") ;; esac
	done
	[ "${#cands[@]}" -gt 0 ] || return
	pick=${cands[RANDOM % ${#cands[@]}]}
	p=${pick%%:*} tag=${pick#*:}; tag=${tag%%;*}
	touch "$S/chaos/$tag"
	if kill -KILL "$p" 2>/dev/null; then
		echo "$(now) chaos bskill $tag" >> "$S/logs/chaos"
	fi
}

chaos() {
	first=$((START + SOAK_SECONDS / 3))
	[ $((START + SOAK_DOCKER_EVERY)) -lt "$first" ] && first=$((START + SOAK_DOCKER_EVERY))
	next_restart=$first
	while [ "$(now)" -lt "$END" ]; do
		sleep "$(rnd 3 "$SOAK_CHAOS_EVERY")"
		[ "$(now)" -lt "$END" ] || break
		kill_box_shell
		if [ "$SOAK_RESTART_DOCKER" = 1 ] && [ "$(now)" -ge "$next_restart" ] &&
		   [ $((END - $(now))) -gt 30 ]; then
			if restart_dockerd; then
				next_restart=$(( $(now) + SOAK_DOCKER_EVERY ))
			else	# skipped: the daemon is busy with others
				next_restart=$(( $(now) + 30 ))
			fi
		fi
	done
}

# ---------------------------------------------------- reaper and sampler
runuser -u "$BOX_USER" -- $REAPER --interval 5s --json >"$S/reaper.json" 2>"$S/reaper.err" &
RUNUSER=$!
PIDS_BG="$PIDS_BG $RUNUSER"
RP=
for _ in $(seq 1 50); do
	RP=$(pgrep -P "$RUNUSER" -f box-reaper | head -1)
	[ -n "$RP" ] && break
	# runuser may have become the reaper itself
	grep -q box-reaper "/proc/$RUNUSER/cmdline" 2>/dev/null && { RP=$RUNUSER; break; }
	sleep 0.1
done
[ -n "$RP" ] || { echo "SOAK FAIL: the long-lived box-reaper did not start"; cat "$S/reaper.err"; exit 1; }
SSHD_PID=$(cat "$T/sshd.pid")

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo -; }
sampler() {
	while [ ! -e "$S/stop-sampler" ]; do
		nfd=$(ls "/proc/$RP/fd" 2>/dev/null | wc -l)
		echo "$(now) $(rss "$RP") $(rss "$SSHD_PID") $nfd $(pgrep -u "$BOX_USER" -f -- "-c $CONF" | wc -l)" >> "$S/rss"
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ -e "$S/stop-sampler" ] && break
			sleep 1
		done
	done
}
sampler & SAMPLER=$!
PIDS_BG="$PIDS_BG $SAMPLER"

# ------------------------------------------------------------------- run
# The host key into known_hosts once, before the guests race to add it.
new_key probe
gssh probe true </dev/null >/dev/null 2>&1
echo "soak: $SOAK_GUESTS guests for ${SOAK_SECONDS}s on $RT (instance $INSTANCE, port $PORT, dir $T)"
GPIDS=
for i in $(seq 1 "$SOAK_GUESTS"); do
	guest "$i" & GPIDS="$GPIDS $!"
	sleep 0.3
done
PIDS_BG="$PIDS_BG $GPIDS"
chaos & CHAOS=$!
PIDS_BG="$PIDS_BG $CHAOS"

# Guests finish their cycle: at most a TTL, a sleep past it and a few
# sessions; past that they are stuck, which is a failure.
HARD=$((END + 240))
for p in $GPIDS; do
	while kill -0 "$p" 2>/dev/null && [ "$(now)" -lt "$HARD" ]; do sleep 1; done
	if kill -0 "$p" 2>/dev/null; then
		echo "soak: a guest loop (pid $p) did not finish within 240s of the end" >> "$S/errors"
		killtree "$p"
	fi
	wait "$p" 2>/dev/null
done
wait "$CHAOS" 2>/dev/null
GUESTS_DONE=$(now)

# ------------------------------------------------------------ reckoning
FAIL=
fail() { FAIL="$FAIL
  - $*"; }
# The daemon must be up after the chaos (restart failures are errors).
if [ "$RT" = docker ] && ! docker info >/dev/null 2>&1; then
	fail "the Docker daemon is not up after the run"
	if [ -n "$PD" ]; then pd_start; else sh "$top_srcdir/scripts/start-dockerd"; fi
fi
touch "$S/stop-sampler"
wait "$SAMPLER" 2>/dev/null
kill -TERM "$RP" 2>/dev/null
for _ in $(seq 1 100); do kill -0 "$RP" 2>/dev/null || break; sleep 0.2; done
kill -0 "$RP" 2>/dev/null && { fail "the long-lived box-reaper did not stop on SIGTERM"; kill -KILL "$RP"; }
wait "$RUNUSER" 2>/dev/null

# (2) after one reaper pass: nothing past its deadline, nothing stuck
r1=$($REAPER --once --json 2>"$S/reaper1.err"); r1rc=$?
[ "$r1rc" = 0 ] || fail "box-reaper --once (first): status $r1rc: $(oneline "$(cat "$S/reaper1.err")")"
t=$(now)
live1=$($INVITE boxes --json 2>/dev/null | jq length)
overdue=$($INVITE boxes --json 2>/dev/null | jq --arg t "$t" \
	'[.[] | select((.deadline | fromdateiso8601) < ($t | tonumber))] | length')
stuck=$($INVITE boxes --json 2>/dev/null | jq '[.[] | select(.status == "creating")] | length')
[ "${overdue:-x}" = 0 ] || fail "after the first reaper run $overdue live box(es) past their deadline"
[ "${stuck:-x}" = 0 ] || fail "after the first reaper run $stuck box(es) still being created"
# Everything still live goes, then the reaper once more.
for b in $($INVITE boxes --json | jq -r '.[].id'); do
	$INVITE kill "$b" >/dev/null 2>>"$S/final.err" || fail "box-invite kill $b at the end failed"
done
for i in $($INVITE list --json | jq -r '.[] | select(.state == "open") | .id'); do
	$INVITE revoke "$i" >/dev/null 2>>"$S/final.err" || fail "box-invite revoke $i at the end failed"
done
r2=$($REAPER --once --json 2>"$S/reaper2.err"); r2rc=$?
[ "$r2rc" = 0 ] || fail "box-reaper --once (second): status $r2rc: $(oneline "$(cat "$S/reaper2.err")")"
live2=$($INVITE boxes --json | jq length)
slive=$($INVITE sessions --live --json | jq length)
[ "$live2" = 0 ] || fail "$live2 live box row(s) left"
[ "$slive" = 0 ] || fail "$slive live session row(s) left"
if [ "$RT" = docker ]; then
	objs=$(docker ps -aq --filter "label=io.sshbox.instance=$INSTANCE" 2>&1 | grep -c .)
	docker ps -q >/dev/null 2>&1 || { objs='?'; fail "docker ps failed at the end"; }
else
	# Bundles, and containers the runtime itself still knows.
	objs=$( { find "$RUNTIME_DIR/.oci/$INSTANCE" -mindepth 1 -maxdepth 1 -type d ! -name '.*' 2>/dev/null
		[ -d "$RUNTIME_DIR/.oci/$INSTANCE/.$RT" ] &&
			"$RT" --root "$RUNTIME_DIR/.oci/$INSTANCE/.$RT" list -q 2>/dev/null; } | grep -c .)
fi
rundirs=$(find "$RUNTIME_DIR/$INSTANCE" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | grep -c .)
sleep 1
procs=$(pgrep -f -- "-c $CONF" | grep -vx "$$" | grep -c .)
[ "$objs" = 0 ] || fail "$objs runtime object(s) of the instance left"
[ "$rundirs" = 0 ] || fail "$rundirs run director(ies) left in $RUNTIME_DIR/$INSTANCE"
[ "$procs" = 0 ] || fail "$procs process(es) of this bastion left: $(pgrep -af -- "-c $CONF" | head -3 | tr '\n' '|')"

# (1) uses: spent = redemptions seen
cat "$S"/logs/g* > "$S/all.log" 2>/dev/null
mism=0 ninv=0 nred=0
while read -r _ _ _ id _; do
	ninv=$((ninv + 1))
	seen=$(awk -v i="$id" '$3 == "redeemed" && $4 == i' "$S/all.log" | wc -l)
	nred=$((nred + seen))
	left=$($INVITE show --json "$id" | jq -r .uses_left)
	total=$($INVITE show --json "$id" | jq -r .uses)
	if [ "$((total - left))" != "$seen" ]; then
		mism=$((mism + 1))
		[ "$mism" -le 3 ] && fail "invite $id: uses $total, left $left, but $seen redemption(s) seen"
	fi
done < <(awk '$3 == "invite"' "$S/all.log")
[ "$mism" -le 3 ] || fail "... $mism invites in all whose uses do not add up"

# (3) wrongful logins
wrongful=$(grep -c . "$S/wrongful")
[ "$wrongful" = 0 ] || fail "$wrongful wrongful login(s): $(head -3 "$S/wrongful" | tr '\n' '|')"

# (4) flat memory
flat() {	# flat COLUMN: first/last/max and whether the last third grew
	awk -v c="$1" '$c ~ /^[0-9]+$/ { v[n++] = $c }
	function med(a, b,   i, j, k, t, w) {
		k = 0; for (i = a; i < b; i++) w[k++] = v[i]
		for (i = 1; i < k; i++) { t = w[i]; for (j = i - 1; j >= 0 && w[j] > t; j--) w[j + 1] = w[j]; w[j + 1] = t }
		return k % 2 ? w[int(k / 2)] : (w[k / 2 - 1] + w[k / 2]) / 2
	}
	END {
		if (n < 3) { print "too few samples"; exit 2 }
		m = 0; for (i = 0; i < n; i++) if (v[i] > m) m = v[i]
		t = int(n / 3); a = med(0, t); b = med(n - t, n)
		printf "first %d, last %d, max %d kB; median first third %d, last third %d", v[0], v[n - 1], m, a, b
		exit (b > a * 1.2 + 1024) ? 1 : 0
	}' "$S/rss"
}
rss_reaper=$(flat 2) || fail "box-reaper's RSS grew: $rss_reaper"
rss_sshd=$(flat 3) || fail "the sshd listener's RSS grew: $rss_sshd"
fds=$(awk '$4 ~ /^[0-9]+$/ { if (!n++) f = $4; l = $4; if ($4 > m) m = $4 } END { printf "first %d, last %d, max %d", f, l, m; exit (l > f + 4) }' "$S/rss") ||
	fail "box-reaper's descriptors grew: $fds"
bprocs=$(awk '{ if (!n++) f = $5; l = $5; if ($5 > m) m = $5 } END { printf "first %d, last %d, max %d", f, l, m }' "$S/rss")
nsamples=$(grep -c . "$S/rss")

# (5) counts and errors
cnt() { awk -v e="$1" '$3 == e' "$S/all.log" | wc -l; }
sess=$(cnt session)
sess_ok=$(awk '$3 == "session" && $6 == "ok"' "$S/all.log" | wc -l)
sess_dis=$(awk '$3 == "session" && $6 == "disrupted"' "$S/all.log" | wc -l)
refused=$(cnt refused)
nerr=$(grep -c . "$S/errors")
[ "$nerr" = 0 ] || fail "$nerr unexpected result(s)"
kills=$(cnt kill) revokes=$(cnt revoke) expired=$(cnt expired) walk=$(cnt walkaway)
bskills=$(grep -c ' bskill ' "$S/logs/chaos" 2>/dev/null)
restarts=$(grep -c ' restart [0-9]' "$S/logs/chaos" 2>/dev/null)
rskipped=$(grep -c ' restart-skipped ' "$S/logs/chaos" 2>/dev/null)
rfailed=$(grep -c ' restart-failed' "$S/logs/chaos" 2>/dev/null)
rtimes=$(awk '$3 == "restart" { printf "%s%ss", s, $4; s = " " }' "$S/logs/chaos" 2>/dev/null)
allboxes=$($INVITE boxes --all --json)
boxes=$(jq length <<<"$allboxes")
ends=$(jq -r '[.[] | .end_reason | select(. != "")] | group_by(.) | map("\(.[0])=\(length)") | join(", ")' <<<"$allboxes")
failedb=$(jq '[.[] | select(.status == "failed")] | length' <<<"$allboxes")
passes=$(grep -c '^{' "$S/reaper.json")
rsum=$(jq -s -r '[.[] | to_entries[] | select(.value | type == "number")] | group_by(.key) | map(select((map(.value) | add) > 0) | "\(.[0].key)=\(map(.value) | add)") | join(", ")' "$S/reaper.json" 2>/dev/null)
took=$(( GUESTS_DONE - START ))
dstat=$(sed -n 's/^[^ ]* [^ ]* \[\([^]]*\)\] status \([^,]*\),.*/\1 \2/p' "$S/disrupted" |
	sort | uniq -c | awk '{ printf "%s%s %s: %s", s, ($2 == "box-shell" ? "box-shell kill" : "restart"), $NF, $1; s = "; " }')

echo "==================== sshbox soak ===================="
printf '%-22s %s\n' \
	"runtime" "$RT${PD:+ (private dockerd)}, $SOAK_GUESTS guests, ${SOAK_SECONDS}s (guests done after ${took}s)" \
	"invites" "$ninv, uses spent = redemptions seen: $([ "$mism" = 0 ] && echo yes || echo "NO ($mism differ)") ($nred redemptions)" \
	"sessions" "$sess run: $sess_ok as expected, $sess_dis disrupted by chaos, $nerr unexpected" \
	"disrupted (status)" "${dstat:-none}" \
	"refusals" "$refused as expected; wrongful logins: $wrongful" \
	"boxes" "$boxes made ($failedb failed); ended: ${ends:-none}" \
	"guest actions" "kills $kills, revokes $revokes, expiries under a session $expired, walked away $walk" \
	"chaos" "box-shell kills $bskills; daemon restarts $restarts${rtimes:+ ($rtimes)}, skipped $rskipped, failed $rfailed" \
	"reaper (long-lived)" "$passes passes: ${rsum:-nothing}" \
	"reaper --once" "first: $(jq -c 'with_entries(select(.value != 0))' <<<"$r1" 2>/dev/null | head -c 300)" \
	"" "live after it $live1, past deadline ${overdue:-?}, creating ${stuck:-?}" \
	"" "second (after kill): $(jq -c 'with_entries(select(.value != 0))' <<<"$r2" 2>/dev/null | head -c 300)" \
	"after kill+reaper" "live rows $live2, live sessions $slive, runtime objects $objs, run dirs $rundirs, processes $procs" \
	"RSS box-reaper" "$rss_reaper ($nsamples samples)" \
	"RSS sshd listener" "$rss_sshd" \
	"fds box-reaper" "$fds" \
	"box account procs" "$bprocs"
if [ "$nerr" != 0 ]; then
	echo "unexpected results (first 5 of $nerr):"
	head -5 "$S/errors" | cut -c1-400 | sed 's/^/  /'
fi
echo "====================================================="
if [ -n "$FAIL" ]; then
	echo "SOAK FAIL:$FAIL"
	export KEEP_TEST_DIR=1
	echo "(kept $T: soak/ has the logs, sshd.log sshd's)"
	exit 1
fi
echo "SOAK PASS"
exit 0
