#!/bin/bash
# Recordings and live watching, through a real sshd and real boxes: a
# recorded session plays with asciinema and matches what the guest saw;
# hostile output keeps every line valid JSON; the files are the box
# account's alone; record_required denies cleanly when the recording
# cannot be made (a directory planted as a link, a full disk) and ends a
# session whose recording fails; watchers see the screen as it is and
# what follows, are announced to the guest, and cannot type.
. "$(dirname "$0")/lib.sh"
EXTRA_CONF=$'limits:\n  max_boxes_per_source: 50'
setup_bastion
REC=$T/state/recordings
write_profile rec "record: output"
write_profile recall "record: all"
write_profile must "record: output" "record_required: true"
write_profile quiet "session: relay" "watch_notice: false"
write_profile nowatch "session: relay" "watch: false"

bind() {	# bind KEY PROFILE: a key bound to a new invite of PROFILE
	new_key "$1"
	gssh "$1" redeem --bind-only "$(new_invite --profile "$2")" </dev/null >/dev/null 2>&1
}
session_json() {	# session_json KEY: the key's newest session as JSON
	$INVITE sessions --json | jq -c --arg fp "$(fp_of "$1")" '[.[] | select(.key == $fp)][0]'
}
cast_of() {	# cast_of SESSION: its recording's path
	echo "$REC/$(sqlite3 "$T/state/state.db" "SELECT recording FROM session_log WHERE id = $1")"
}
# asciinema cat needs a terminal (script gives it one) and refuses to
# run in a locale that is neither ASCII nor UTF-8, as LC_ALL=C says.
acat() { LC_ALL=C.UTF-8 script -qec "asciinema cat $1" /dev/null </dev/null | tr -d '\r'; }
valid_cast() {	# every line one JSON value, the header an object
	head -1 "$1" | jq -e '.version == 2' >/dev/null &&
	while IFS= read -r l; do printf '%s' "$l" | jq -e 'type' >/dev/null || return 1; done < "$1"
}

# ------------------------------------------------------------ recording
bind a rec
# Input only once the shell is up: typed earlier, sshd's terminal would
# echo it before box-shell sets it raw, and that echo is not the box's.
mkfifo "$T/ain"
gssh a -tt < "$T/ain" > "$T/a.out" 2>&1 & ap=$!
exec 7>"$T/ain"
t_ok "a recorded login starts" wait_for 30 grep -qs '\$ ' "$T/a.out"
echo 'echo hello-$((6*7)); exit 4' >&7
wait $ap; rc=$?
exec 7>&-
t_is "a recorded login ends with its status" "$rc" 4
t_like "the guest is told, in one line, that it is recorded" "$(tr -d '\r' < "$T/a.out")" "^sshbox: this session is recorded$"
s=$(session_json a); sid=$(jq .session <<<"$s")
t_is "its history says the recording is complete" "$(jq -r .recording <<<"$s")" complete
f=$(cast_of "$sid")
t_ok "the recording is there" test -f "$f"
t_is "  the box account's, 0600, in a 0700 directory" \
	"$(stat -c '%U %a' "$f") $(stat -c '%U %a' "$REC")" "$BOX_USER 600 $BOX_USER 700"
t_ok "  asciicast v2, every line valid JSON" valid_cast "$f"
t_is "  ends with the exit status" "$(tail -1 "$f" | jq -c '.[1:]')" '["m","sshbox: end exit=4 reason=exited"]'
command -v asciinema >/dev/null || t_skip "asciinema cat plays it" "asciinema is not installed"
if command -v asciinema >/dev/null; then
	t_is "asciinema cat plays what the guest saw, byte for byte" \
		"$(acat "$f" | md5sum)" "$(tr -d '\r' < "$T/a.out" | md5sum)"
fi
# Replay in a terminal: what the guest saw, less what the filter keeps
# from an administrator's terminal (busybox's prompt asks for the cursor
# position, ESC [ 6 n: a query, dropped).
t_is "replay plays it back: the guest's screen, queries dropped" \
	"$($INVITE replay --speed 100 "$sid" </dev/null | tr -d '\r' | md5sum)" \
	"$(tr -d '\r' < "$T/a.out" | sed 's/\x1b\[6n//g' | md5sum)"
t_is "record: output keeps no input" "$(jq -r 'select(type == "array" and .[1] == "i")' < "$f" | wc -l)" 0

# A window resized during the session: the box sees it, the recording
# keeps it.
cat > "$T/resize.exp" <<'EOX'
set timeout 30
log_user 0
spawn {*}$argv
expect { -re {\$ } {} timeout { exit 8 } }
stty rows 40 columns 120 < $spawn_out(slave,name)
send "stty size\r"
expect { -re {40 120} {} timeout { exit 9 } }
send "exit\r"
expect eof
EOX
expect "$T/resize.exp" ssh -F /dev/null -i "$T/a" -o IdentitiesOnly=yes -o IdentityAgent=none \
	-o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=no \
	-o LogLevel=ERROR -p "$PORT" -t "$BOX_USER@127.0.0.1"; rc=$?
t_is "a window resized during a recorded session reaches the box" "$rc" 0
t_is "  and the recording keeps the new size" \
	"$(jq -c 'select(type == "array" and .[1] == "r") | .[2]' < "$(cast_of "$(session_json a | jq .session)")" | tail -1)" '"120x40"'

bind b recall
printf 'echo typed-$((1+1))\nexit\n' | gssh b -tt > "$T/b.out" 2>&1
t_like "record: all says so" "$(tr -d '\r' < "$T/b.out")" "what you type included"
f=$(cast_of "$(session_json b | jq .session)")
t_like "  and keeps what the guest typed" "$(jq -r 'select(type == "array" and .[1] == "i") | .[2]' < "$f")" 'echo typed-\$\(\(1\+1\)\)'

# A command is recorded too, stdout and stderr; a file transfer is not.
gssh a 'echo out-line; echo err-line >&2; exit 3' </dev/null > "$T/c.out" 2>&1; rc=$?
t_is "a recorded command keeps its status" "$rc" 3
f=$(cast_of "$(session_json a | jq .session)")
t_is "  its output and errors recorded" "$(jq -r 'select(type == "array" and .[1] == "o") | .[2]' < "$f" | grep -c -e out-line -e err-line)" 2
echo data > "$T/up.txt"
scp -q -F /dev/null -i "$T/a" -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
	-o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=no -o LogLevel=ERROR \
	-P "$PORT" "$T/up.txt" "$BOX_USER@127.0.0.1:up.txt"; rc=$?
t_is "scp to a recorded (not required) box works" "$rc" 0
t_is "  unrecorded: a transfer is bytes, not a screen" "$(session_json a | jq -r .recording)" null

# Hostile output: escapes, OSC, invalid UTF-8, a huge line.
gssh a "printf '\\033]52;c;cHduZWQ=\\007\\033[2J\\377\\376 \\303\\251 \\302\\233x\\n'; head -c 100000 /dev/zero | tr '\\0' A; echo; printf '\\300'" </dev/null > "$T/h.out" 2>&1
f=$(cast_of "$(session_json a | jq .session)")
t_ok "hostile output: every line still valid JSON" valid_cast "$f"
t_is "  one line an event: header, output, end" "$(tail -1 "$f" | jq -r '.[1]')" m
t_like "  invalid UTF-8 kept as U+FFFD, UTF-8 kept" \
	"$(jq -r 'select(type == "array" and .[1] == "o") | .[2]' < "$f" | grep -a 52)" $'\xef\xbf\xbd\xef\xbf\xbd \xc3\xa9'
t_is "  the 100 KB line whole" "$(jq -r 'select(type == "array" and .[1] == "o") | .[2]' < "$f" | tr -cd A | wc -c)" 100000

hs=$(session_json a | jq .session)
$INVITE replay --speed 100 "$hs" </dev/null > "$T/h.replay" 2>&1; rc=$?
t_is "hostile output replayed: exit 0" "$rc" 0
t_is "  the clipboard escape dropped, the rest shown" \
	"$(grep -c $'\033]52' "$T/h.replay") $(tr -cd A < "$T/h.replay" | wc -c)" "0 100000"
# A profile that records nothing: no file, no notice.
bind n test
gssh n -tt 'echo plain' </dev/null > "$T/n.out" 2>&1
t_is "an unrecorded profile: nothing said" "$(grep -c recorded "$T/n.out")" 0
t_is "  and no recording" "$(session_json n | jq -r .recording)" null

# ------------------------------------------------------ record_required
bind m must
mv "$REC" "$REC.real"
mkdir -p "$T/elsewhere" && chown "$BOX_USER" "$T/elsewhere" && chmod 700 "$T/elsewhere"
ln -s "$T/elsewhere" "$REC"
before=$($INVITE boxes --json | jq length)
out=$(gssh m 'echo should-not-run' </dev/null 2>&1); rc=$?
t_is "required, the directory planted as a link: denied (246)" "$rc" 246
t_is "  one line, that says why without the paths" "$out" \
	"sshbox: this box takes only recorded sessions, and sessions cannot be recorded now; try again later"
t_is "  nothing written through the link" "$(ls -A "$T/elsewhere" | wc -l)" 0
t_is "  no box made" "$($INVITE boxes --json | jq length)" "$before"
t_like "  the audit says why" "$($INVITE audit --json | jq -r '[.[] | select(.event == "recording-failed")][-1].detail')" "^required=1 recordings directory .*: "
out=$(gssh a 'echo runs-anyway' </dev/null 2>&1); rc=$?
t_is "not required: the session runs unrecorded" "$rc $out" "0 runs-anyway"
rm "$REC"; mv "$REC.real" "$REC"

scp -q -F /dev/null -i "$T/m" -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
	-o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=no -o LogLevel=ERROR \
	-P "$PORT" "$T/up.txt" "$BOX_USER@127.0.0.1:up.txt" 2>"$T/scp.err"; rc=$?
t_ok "required: a file transfer, which cannot be recorded, is refused" test "$rc" -ne 0
out=$(gssh m /usr/lib/openssh/sftp-server </dev/null 2>&1); rc=$?
t_is "  saying so (246)" "$rc $out" "246 sshbox: this box takes only recorded sessions, and a file transfer cannot be recorded"

# The disk full: a small filesystem for the recordings, filled up.
mv "$REC" "$REC.real"; mkdir "$REC"
if mount -t tmpfs -o size=64k,mode=0700 sshbox-rec "$REC" 2>/dev/null; then
	TEST_CLEANUP="umount $REC"
	chown "$BOX_USER" "$REC"
	dd if=/dev/zero of="$REC/fill" bs=4k 2>/dev/null
	out=$(gssh m 'echo should-not-run' </dev/null 2>&1); rc=$?
	t_is "required, the disk full: denied (246), one line" "$rc $(wc -l <<<"$out")" "246 1"
	t_is "  no box made" "$($INVITE boxes --json | jq length)" "$before"
	t_is "  no file left behind" "$(ls -A "$REC")" fill
	rm "$REC/fill"
	out=$(gssh m 'echo now-it-runs' </dev/null 2>&1); rc=$?
	t_is "  nothing lost: with room again the same key gets its session" "$rc $(grep -c now-it-runs <<<"$out")" "0 1"
	# Full while the session runs: it ends, and says so.
	mkfifo "$T/min"
	gssh m -tt < "$T/min" > "$T/m.out" 2>&1 & mp=$!
	exec 7>"$T/min"
	echo 'echo started-$((2*3))' >&7
	t_ok "  a recorded session runs" wait_for 30 grep -qs started-6 "$T/m.out"
	dd if=/dev/zero of="$REC/fill" bs=4k 2>/dev/null
	echo 'head -c 200000 /dev/zero | tr "\0" B; echo' >&7
	wait $mp; rc=$?
	exec 7>&-
	t_is "  the disk filled mid-session: the session ends (246)" "$rc" 246
	t_like "  and the guest is told why" "$(tr -d '\r' < "$T/m.out")" "the recording of this session failed"
	t_is "  its recording marked incomplete" "$(session_json m | jq -r '[.recording, .end] | join(" ")')" "incomplete unrecorded"
	mf=$(cast_of "$(session_json m | jq .session)")
	t_ok "  the guest was shown nothing that was not recorded" test \
		"$(tr -cd B < "$T/m.out" | wc -c)" -le \
		"$(jq -r 'select(type == "array" and .[1] == "o") | .[2]' < "$mf" 2>/dev/null | tr -cd B | wc -c)"
	umount "$REC"; TEST_CLEANUP=
else
	t_skip "record_required with the disk full" "cannot mount a tmpfs here"
fi
rmdir "$REC" 2>/dev/null; mv "$REC.real" "$REC"

# ------------------------------------------------------------- watching
bind w rec
mkfifo "$T/win"
gssh w -tt < "$T/win" > "$T/w.out" 2>&1 & wp=$!
exec 8>"$T/win"
echo 'echo before-$((6*7))' >&8
t_ok "a guest session is on" wait_for 30 grep -qs before-42 "$T/w.out"
wsid=$(session_json w | jq .session)
$INVITE watch "$wsid" > "$T/watch1.out" 2> "$T/watch1.err" < /dev/null & w1=$!
t_ok "a late watcher first sees the screen as it is" wait_for 20 grep -qs before-42 "$T/watch1.out"
$INVITE watch "$(box_of w)" > "$T/watch2.out" 2>/dev/null < /dev/null & w2=$!
t_ok "a second watcher, by box" wait_for 20 grep -qs before-42 "$T/watch2.out"
t_ok "the guest is told a watcher joined" wait_for 20 grep -qs "an administrator is now watching this session (read-only)" "$T/w.out"
echo 'printf "during-%s\033]52;c;cHduZWQ=\007\n" $((6*8))' >&8
t_ok "watchers see what the guest does while they watch" wait_for 20 grep -qs during-48 "$T/watch1.out"
t_ok "  both" wait_for 20 grep -qs during-48 "$T/watch2.out"
t_is "  through the filter: no clipboard escape reaches the admin" "$(grep -c $'\033]52' "$T/watch1.out")" 0
# Whatever reaches the watch socket goes nowhere.
printf 'echo typed-by-watcher\r\n' | socat -u STDIN "UNIX-CONNECT:$T/state/watch/$wsid.sock" 2>/dev/null
printf 'echo typed-by-watcher\r\n' | socat -t 2 - "UNIX-CONNECT:$T/state/watch/$wsid.sock" >/dev/null 2>&1
echo 'echo after-$((7*7))' >&8
t_ok "the session goes on" wait_for 20 grep -qs after-49 "$T/watch1.out"
t_is "  and nothing a watcher wrote reached it" "$(grep -c typed-by-watcher "$T/w.out")" 0
kill $w2; wait $w2 2>/dev/null
t_ok "the guest is told a watcher left" wait_for 20 grep -qs "an administrator stopped watching" "$T/w.out"
echo 'exit 6' >&8
wait $wp; rc=$?
exec 8>&-
t_is "the watched session ends as usual" "$rc" 6
wait $w1; rc=$?
t_is "the watcher ends with it" "$rc" 0
t_like "  saying how it ended" "$(cat "$T/watch1.err")" "session $wsid ended \(exit=6 reason=exited\)"
t_is "the audit: each watcher's start and end (two box-invites, two socats), and who asked" \
	"$($INVITE audit --json | jq -r --arg d "session=$wsid " '[.[] | select((.event | startswith("watch")) and (.detail | startswith($d))) | .event] | sort | join(" ")')" \
	"watch-ended watch-ended watch-ended watch-ended watch-requested watch-requested watch-started watch-started watch-started watch-started"
t_is "  box-invite says who asked" \
	"$($INVITE audit --json | jq -r --arg d "session=$wsid " '[.[] | select(.event == "watch-requested" and (.detail | startswith($d))) | .detail] | unique | join(" ")')" \
	"session=$wsid by=root"
f=$(cast_of "$wsid")
t_like "the recording shows the watcher notices too" "$(jq -r 'select(type == "array") | .[2]' < "$f" | tr -d '\r\n')" "an administrator is now watching"

bind q quiet
mkfifo "$T/qin"
gssh q -tt < "$T/qin" > "$T/q.out" 2>&1 & qp=$!
exec 9>"$T/qin"
echo 'echo quiet-$((1+2))' >&9
wait_for 30 grep -qs quiet-3 "$T/q.out"
$INVITE watch "$(session_json q | jq .session)" > "$T/watch3.out" 2>/dev/null < /dev/null & w3=$!
t_ok "an unrecorded relayed session can be watched" wait_for 20 grep -qs quiet-3 "$T/watch3.out"
echo 'exit' >&9; wait $qp; exec 9>&-; wait $w3
t_is "  with watch_notice: false the guest is not told" "$(grep -c "watching" "$T/q.out")" 0

bind x nowatch
gssh x 'sleep 20' </dev/null >/dev/null 2>&1 & xp=$!
live_x() { [ "$(session_json x | jq -r .live)" = true ]; }
wait_for 30 live_x
out=$($INVITE watch "$(session_json x | jq .session)" 2>&1 </dev/null); rc=$?
t_like "watch: false: watching is refused, saying why" "$rc $out" "^1 box-invite: watch: session [0-9]+ cannot be watched: its profile does not allow it"
kill $xp 2>/dev/null; wait $xp 2>/dev/null
out=$($INVITE watch "$sid" 2>&1 </dev/null); rc=$?
t_like "an ended session: refused, pointing at replay" "$rc $out" "^1 box-invite: watch: session $sid has ended; it was recorded: box-invite replay shows it"
out=$($INVITE watch 'nope;rm' 2>&1 </dev/null); rc=$?
t_like "a bad argument: exit 2" "$rc $out" "^2 box-invite: watch: .* is neither a session number nor a box"
t_done
