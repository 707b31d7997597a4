#!/bin/bash
# A step of the wall clock during a session (an NTP correction, an
# administrator's date -s): the session's timers count on the monotonic
# clock from its start, so the step neither ends it nor lengthens it.
# box-shell runs with libfaketime, whose offset the test changes while
# the session runs; the box's deadline is 10 minutes away.
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
. "$(dirname "$0")/lib.sh"
[ -f "$FAKETIME_LIB" ] || t_skip_all "no libfaketime (apt-get install libfaketime)"
# libfaketime's constructor reads the clock, which ASan's runtime
# intercepts before it is set up: the two deadlock at start, whatever the
# order in LD_PRELOAD. The -Werror build runs this test.
ldd "$BIN/box-shell" 2>/dev/null | grep -q libasan &&
	t_skip_all "a sanitizer build: libfaketime deadlocks with ASan's runtime"
echo "+0" > "$T/clock"
chmod 644 "$T/clock"
# Only sessions' programs get it (sshd passes SetEnv to the session, and
# box-runtime, setuid, ignores LD_PRELOAD).
SSHD_EXTRA="SetEnv LD_PRELOAD=$FAKETIME_LIB FAKETIME_TIMESTAMP_FILE=$T/clock FAKETIME_NO_CACHE=1 DONT_FAKE_MONOTONIC=1"
setup_bastion
new_key c
gssh c redeem --bind-only "$(new_invite --profile test --ttl 10m)" </dev/null >/dev/null 2>&1
t_is "a first session, the clock as it is" "$(gssh c 'echo up' </dev/null 2>&1)" up

mkfifo "$T/in"
gssh c 'read line; echo "got $line"' <"$T/in" >"$T/out" 2>&1 &
sess=$!
exec 7>"$T/in"
t_ok "the session is live" wait_for 30 sh -c "$INVITE sessions --live --json | jq -e 'length == 1' >/dev/null"
# Two hours forward: past the box's deadline, as the wall clock reads.
echo "+2h" > "$T/clock"
echo go >&7
exec 7>&-
wait "$sess"; rc=$?
t_is "the wall clock stepped 2 h forward: the session ends as the guest's command does" \
	"$rc:$(cat "$T/out" | tr -d '\r')" "0:got go"
t_ok "  not \"time is up\"" sh -c "! grep -q 'time is up' '$T/out'"
echo "+0" > "$T/clock"
t_is "  the box is the guest's as before" "$($INVITE boxes --json | jq -r '.[0].status')" running
t_done
