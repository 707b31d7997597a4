#!/bin/bash
# The end of boxes: the TTL warns and then ends the session and destroys
# the box; a box without linger goes with its last session; box-reaper
# cleans up after a SIGKILLed box-shell, reconciles both ways and keeps to
# its lock; box-invite kill and revoke end sessions and logins.
. "$(dirname "$0")/lib.sh"
setup_bastion
LINGER=0s write_profile nolinger
write_profile short 'warn: [3s]'

status_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .status'; }
reason_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .end_reason'; }
sessions_of() { $INVITE boxes --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .sessions'; }

# --- TTL: warned, then the session ends and the box is destroyed
new_key t
gssh t redeem --bind-only "$(new_invite --profile short --ttl 6s)" </dev/null 2>/dev/null
gssh t 'sleep 120' </dev/null 2>"$T/ttl.err"; rc=$?
tb=$(jq -r '.[0].id' <<<"$($INVITE boxes --all --json)")
t_is "TTL end: session exits 253" "$rc" 253
t_like "the guest was warned before the end" "$(cat "$T/ttl.err")" "will be destroyed in [0-9]+s"
t_like "and told when time was up" "$(cat "$T/ttl.err")" "time is up"
t_is "the box row is destroyed" "$(status_of "$tb")" destroyed
t_is "because it expired" "$(reason_of "$tb")" expired
t_ok "its container is gone" no_container "$tb"
out=$(gssh t true </dev/null 2>&1); rc=$?
t_is "the expired key cannot log in again: told so in one line, exit 253" \
	"$rc $out" "253 sshbox: this key's box time is over"

# --- a stalled peer cannot wedge box-shell: the box ignores its stdin
# while the guest floods it, then writes 30 MB
new_key w
gssh w redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
t_is "flooded stdin, unread by the box: output still complete" \
	"$(head -c 20000000 /dev/zero | gssh w 'head -c 30000000 /dev/zero' | wc -c)" 30000000
# ... and output that the guest reads late, after the command ended (a
# process left in the background writes it): nothing is dropped
t_is "output read late, after the command ended: complete" \
	"$(gssh w 'head -c 4000000 /dev/zero & exit 0' </dev/null | { sleep 4; cat; } | wc -c)" 4000000
# ... and a guest that stops reading still meets the deadline
new_key s
gssh s redeem --bind-only "$(new_invite --profile short --ttl 6s)" </dev/null 2>/dev/null
gssh s 'yes' 2>/dev/null | sleep 15
sb=$($INVITE boxes --all --json | jq -r --arg fp "$(fp_of s)" '.[] | select(.key == $fp) | .id')
t_is "a guest not reading output: box-shell still ends the box at its deadline" \
	"$(status_of "$sb") $(reason_of "$sb")" "destroyed expired"

# --- no linger: the last session's end destroys the box
new_key n
gssh n redeem --bind-only "$(new_invite --profile nolinger)" </dev/null 2>/dev/null
gssh n 'hostname' </dev/null >/dev/null
nb=$($INVITE boxes --all --json | jq -r '.[] | select(.profile == "nolinger") | .id' | head -1)
t_is "no linger: box destroyed after the last session" "$(status_of "$nb")" destroyed
t_is "because its last session ended" "$(reason_of "$nb")" "last session ended"
t_ok "its container is gone" no_container $nb

# --- linger: the box outlives its last session, then the reaper ends it
LINGER=3s write_profile linger3
new_key g
gssh g redeem --bind-only "$(new_invite --profile linger3)" </dev/null 2>/dev/null
gssh g true </dev/null
gb=$($INVITE boxes --json | jq -r '.[] | select(.profile == "linger3") | .id')
t_is "linger: the box is still running after its last session" "$(status_of "$gb")" running
t_ok "and so is its container" container_exists "$gb"
sleep 4
$REAPER --once >/dev/null 2>&1
t_is "after the linger time the reaper destroyed it" "$(status_of "$gb") $(reason_of "$gb")" "destroyed linger over"
t_ok "its container is gone" no_container "$gb"

# --- the runtime is down: one clear line, exit 251, nothing consumed
if [ "$TEST_RUNTIME" = docker ]; then
new_key z
gssh z redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
cp "$CONF" "$T/conf.good"
sed -i 's|socket: /var/run/docker.sock|socket: /nonexistent/docker.sock|' "$CONF"
out=$(gssh z true </dev/null 2>&1); rc=$?
cp "$T/conf.good" "$CONF"
t_is "Docker unreachable: exit 251" "$rc" 251
t_like "Docker unreachable: says so" "$out" "^sshbox: cannot start your box: .*cannot reach the Docker daemon at /nonexistent/docker.sock.*is dockerd running"
t_is "and the key gets its box once Docker is back" "$(gssh z 'echo back' </dev/null)" back
else
	# No daemon to be down: oci.sh runs with the runtime's binary missing.
	t_skip "the runtime is down" "$TEST_RUNTIME has no daemon (oci.sh: binary missing)"
	t_skip "the runtime is down: says so" "$TEST_RUNTIME has no daemon"
	t_skip "the runtime is down: the key gets its box" "$TEST_RUNTIME has no daemon"
fi

# --- box-shell killed with SIGKILL: the reaper cleans up
new_key d
gssh d redeem --bind-only "$(new_invite --profile nolinger)" </dev/null 2>/dev/null
gssh d 'sleep 300' </dev/null >/dev/null 2>&1 & sp=$!
t_ok "a session is attached" wait_for 30 sh -c "$INVITE boxes --json | jq -e '.[] | select(.profile == \"nolinger\" and .sessions == 1)' >/dev/null"
db=$($INVITE boxes --json | jq -r '.[] | select(.profile == "nolinger") | .id')
pkill -KILL -u "$BOX_USER" -f "box-shell -c $CONF"
wait $sp 2>/dev/null
t_is "after SIGKILL the box is still there" "$(status_of "$db")" running
t_ok "and so is its container" container_exists "$db"
out=$($REAPER --once --json); rc=$?
t_is "reaper run exits 0" "$rc" 0
t_is "reaper ended the dead session" "$(jq -r .stale_sessions <<<"$out")" 1
t_is "and destroyed the box" "$(status_of "$db")" destroyed
t_ok "its container is gone" no_container $db

# --- reconciliation both ways
if [ "$TEST_RUNTIME" = docker ]; then
	orphan=$(docker run -d --network none --label io.sshbox.box=0123456789abcdef \
		--label "io.sshbox.instance=$INSTANCE" "$IMAGE" sleep 600)
	other=$(docker run -d --network none --label io.sshbox.box=0123456789abcdef \
		--label "io.sshbox.instance=other-$INSTANCE" "$IMAGE" sleep 600)
	gone() { ! docker inspect "$1" >/dev/null 2>&1; }
	there() { docker inspect "$1" >/dev/null 2>&1; }
else
	# An orphan made through box-runtime with no row; another instance's
	# bundle, which no driver of this one may touch.
	orphan=$(openssl rand -hex 8)
	printf 'create %s test %s\n' "$orphan" $(( $(date +%s) + 600 )) |
		runuser -u "$BOX_USER" -- "$BIN/box-runtime" -c "$CONF" serve >/dev/null 2>&1
	other=$RUNTIME_DIR/.oci/other-$INSTANCE/0123456789abcdef
	mkdir -p "$other" && echo '{}' > "$other/config.json"
	gone() { case $1 in /*) ! test -e "$1" ;; *) ! box_running "$1" && no_container "$1" ;; esac; }
	there() { test -e "$1/config.json"; }
fi
new_key v
gssh v redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
gssh v true </dev/null
vb=$(box_of v)
vanish_box "$vb"
out=$($REAPER --once --json)
t_is "orphan container (no row) removed" "$(jq -r .orphans <<<"$out")" 1
t_ok "it is gone" gone "$orphan"
t_ok "another instance's container is left alone" there "$other"
if [ "$TEST_RUNTIME" = docker ]; then docker rm -f "$other" >/dev/null
else rm -rf "$RUNTIME_DIR/.oci/other-$INSTANCE"; fi
t_is "row whose container vanished is marked" "$(jq -r .vanished <<<"$out")" 1
t_is "as destroyed" "$(status_of "$vb")" destroyed

# --- the lock: a second reaper does nothing while one runs
new_key l
# A TTL the box outlives its making by: a microVM boots in seconds under
# emulation.  Then past its deadline, whenever that is.
lttl=2; [ "$TEST_RUNTIME" = microvm ] && lttl=30
gssh l redeem --bind-only "$(new_invite --profile test --ttl ${lttl}s)" </dev/null 2>/dev/null
gssh l true </dev/null
lb=$($INVITE boxes --json | jq -r '.[] | select(.profile == "test") | .id' | head -1)
ldl=$(date -d "$($INVITE boxes --json | jq -r --arg b "$lb" '.[] | select(.id == $b) | .deadline')" +%s)
wait_for $((lttl + 30)) sh -c "[ \$(date +%s) -gt $ldl ]"
flock "$T/state/reaper.lock" sleep 5 & lk=$!
sleep 0.5
out=$($REAPER --once 2>&1); rc=$?
t_is "locked out reaper exits 0" "$rc" 0
t_like "and says another one runs" "$out" "another box-reaper is running"
t_is "it destroyed nothing" "$(status_of "$lb")" running
wait $lk
$REAPER --once --json >"$T/r1" & $REAPER --once --json >"$T/r2" & wait
t_is "two reapers at once: the box is destroyed once" \
	"$(cat "$T/r1" "$T/r2" | jq -s 'map(.expired // 0) | add')" 1
t_is "expired box destroyed" "$(reason_of "$lb")" expired
t_ok "container gone" no_container $lb

# --- box-invite kill ends a live session with a clear line
new_key k
inv=$($INVITE create --json --profile test)
gssh k redeem --bind-only "$(jq -r .token <<<"$inv")" </dev/null 2>/dev/null
gssh k 'sleep 120' </dev/null 2>"$T/kill.err" & kp=$!
t_ok "session attached" wait_for 30 sh -c "[ \"\$($INVITE boxes --json | jq -r '.[] | select(.sessions == 1) | .id' | head -1)\" != '' ]"
kb=$(box_of k)
t_like "box-invite kill" "$($INVITE kill "$kb")" "destroyed"
wait $kp; rc=$?
t_is "the session ends with 247" "$rc" 247
t_like "and one clear line" "$(cat "$T/kill.err")" "your box was destroyed \\(killed by an administrator\\)"
t_ok "container gone" no_container $kb
t_is "a new session gets a new box" "$(gssh k 'echo fresh' </dev/null)" fresh
t_ok "which is another box" [ "$(box_of k)" != "$kb" ]

# --- a box that cannot be made: a clear line, exit 251, nothing left
PROFILE_IMAGE=sshbox/no-such-image:latest write_profile noimage
write_profile nonet 'network: sshbox-no-such-network'
for p in noimage nonet; do
	new_key "f$p"
	gssh "f$p" redeem --bind-only "$(new_invite --profile $p)" </dev/null 2>/dev/null
	out=$(gssh "f$p" true </dev/null 2>&1); rc=$?
	t_is "$p: box-shell exits 251" "$rc" 251
	t_like "$p: one clear line" "$out" "^sshbox: cannot start your box: .*(image|network)"
	t_is "$p: the row is marked failed" \
		"$($INVITE boxes --all --json | jq -r --arg p $p '.[] | select(.profile == $p) | .status' | head -1)" failed
	fb=$($INVITE boxes --all --json | jq -r --arg p $p '.[] | select(.profile == $p) | .id' | head -1)
	t_ok "$p: no container left behind" no_container "$fb"
done

# --- revoke: boxes destroyed, the key locked out
rb=$(box_of k)
$INVITE revoke "$(jq -r .id <<<"$inv")" >/dev/null
t_is "revoke destroys the invite's boxes" "$(status_of "$rb")" destroyed
out=$(gssh k true </dev/null 2>&1); rc=$?
t_is "a revoked key cannot log in: told so in one line" "$rc $out" \
	"250 sshbox: this key's invite was revoked"
t_is "  and no box was made for it" "$(box_of k)" ""
t_done
