#!/bin/bash
# The audit trail and the session history, through a real sshd: every
# flow's events in the state, in the JSON-lines file and (via box-invite)
# as JSON; who is connected now and who was; hostile commands kept as data
# and shown safely; an audit file planted as a link is not followed.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/audit" && chown "$BOX_USER" "$T/audit" && chmod 750 "$T/audit"
AUDIT=$T/audit/audit.jsonl
EXTRA_CONF="audit_log: $AUDIT"
REDEEM_MAX=3
setup_bastion

new_key a
inv=$($INVITE create --json --profile test --note "audit test")
id=$(jq -r .id <<<"$inv")
gssh a redeem --bind-only "$(jq -r .token <<<"$inv")" </dev/null 2>/dev/null
gssh a 'exit 3' </dev/null; rc=$?
t_is "a command's status comes back" "$rc" 3
b=$(box_of a)
# A command full of terminal controls, and a login over a terminal.
esc=$(printf '\033]0;pwned\007\033[2J')
gssh a "echo '$esc' >/dev/null; true" </dev/null
printf 'echo hi\nexit 5\n' | gssh a -tt >/dev/null 2>&1
# A session that is on while we look.
gssh a 'sleep 30' </dev/null >/dev/null 2>&1 & sp=$!
live() { [ "$($INVITE sessions --live --json | jq 'length')" = 1 ]; }
t_ok "sessions --live shows the one that is on" wait_for 20 live
t_is "  as live, with its command, source and key" \
	"$($INVITE sessions --live --json | jq -r '.[0] | [.live, .command, .source, .key, .box] | @tsv')" \
	"$(printf 'true\tsleep 30\t127.0.0.1\t%s\t%s' "$(fp_of a)" "$b")"
$INVITE kill "$b" >/dev/null
wait $sp 2>/dev/null

S=$($INVITE sessions --json)
t_is "sessions: all four, newest first" "$(jq -r '[.[].session] | (length == 4 and . == (sort | reverse))' <<<"$S")" true
t_is "the command's: exit 3, exited, no terminal, bytes not counted (pass-through)" \
	"$(jq -c '[.[] | select(.command == "exit 3")][0] | [.exit_status, .end, .terminal, .bytes_in, .bytes_out]' <<<"$S")" \
	'[3,"exited",false,null,null]'
t_is "the login: a terminal, relayed, its status and bytes counted" \
	"$(jq -c '[.[] | select(.terminal)][0] | [.command, .exit_status, .end, (.bytes_in > 0), (.bytes_out > 0)]' <<<"$S")" \
	'["",5,"exited",true,true]'
t_is "the one the kill ended: no status, the box's reason" \
	"$(jq -c '[.[] | select(.command == "sleep 30")][0] | [.exit_status, .end, .live]' <<<"$S")" \
	'[null,"killed by an administrator",false]'
# What box-invite reads back from the state (which the box account can
# write) has its control bytes shown as "?"; the audit file keeps them.
t_is "the hostile command is kept, its control bytes shown as ?" \
	"$(jq -r '[.[] | select(.command | startswith("echo"))][0].command' <<<"$S")" \
	"echo '$(printf '%s' "$esc" | tr '\033\007' '??')' >/dev/null; true"
human=$($INVITE sessions)
t_ok "  and the table shows it without one raw control byte" \
	sh -c '! printf "%s" "$1" | LC_ALL=C grep -q "[[:cntrl:]]" ' _ "$(printf '%s' "$human" | tr -d '\n')"
t_like "  but readable" "$human" "echo '.*pwned"

A=$($INVITE audit --json)
t_is "audit: the flow's events, in order" \
	"$(jq -r '[.[].event] | map(select(. != "session-started" and . != "session-ended")) | join(" ")' <<<"$A")" \
	"invite-created redeemed box-created box-destroyed"
t_is "  a start and an end for each of the four sessions" \
	"$(jq -r '[.[] | select(.event == "session-started")] | length' <<<"$A") $(jq -r '[.[] | select(.event == "session-ended")] | length' <<<"$A")" "4 4"
t_like "  the end of the command says how it went" \
	"$(jq -r '[.[] | select(.event == "session-ended" and (.detail | test("command=exit 3")))][0].detail' <<<"$A")" \
	"^session=[0-9]+ exit=3 end=exited seconds=[0-9]+ bytes_in=- bytes_out=- tty=0 recording=none command=exit 3$"
t_is "  the box's end names why" "$(jq -r '[.[] | select(.event == "box-destroyed")][0].detail' <<<"$A")" "killed by an administrator"
t_is "  each with its invite, box and key" \
	"$(jq -r '[.[] | select(.event == "session-ended")] | map([.invite, .box, .key] | join(" ")) | unique | join("|")' <<<"$A")" \
	"$id $b $(fp_of a)"
t_ok "  and no token anywhere" sh -c '! grep -q "sbx1_" "$1"' _ "$AUDIT"
t_is "--box narrows to one box" "$($INVITE audit --json --box "$b" | jq -r '[.[].box] | unique | join(" ")')" "$b"
t_is "--invite to one invite" "$($INVITE audit --json --invite "$id" | jq -r '[.[].invite] | unique | join(" ")')" "$id"
t_is "--since after everything: nothing" "$($INVITE audit --json --since $(( $(date +%s) + 1000 )) | jq length)" 0
out=$($INVITE audit --since yesterday 2>&1); rc=$?
t_like "--since that is no time: one line, exit 2" "$rc $out" "^2 box-invite: audit: --since: "

# The JSON-lines file: the same events, one valid object a line.
t_is "the audit file has every event" "$(wc -l < "$AUDIT")" "$(jq length <<<"$A")"
t_ok "  each line one JSON object" sh -c 'while IFS= read -r l; do printf "%s" "$l" | jq -e type >/dev/null || exit 1; done < "$1"' _ "$AUDIT"
t_is "  the hostile command escaped there, whole" \
	"$(grep '"session-started"' "$AUDIT" | jq -r 'select(.detail | test("pwned")) | .detail' | sed 's/^session=[0-9]* tty=0 recording=none command=//')" \
	"echo '$esc' >/dev/null; true"
t_ok "  with no raw control byte in the file" sh -c '! LC_ALL=C tr -d "\n" < "$1" | LC_ALL=C grep -q "[[:cntrl:]]"' _ "$AUDIT"
t_is "  owned by the box account, not world-readable" "$(stat -c '%U %a' "$AUDIT")" "$BOX_USER 640"

# Syslog: a listener of our own on /dev/log, when no daemon holds it (a
# socket left by an interrupted run, which nobody answers, goes first).
if [ -S /dev/log ] && ! socat -u OPEN:/dev/null UNIX-SENDTO:/dev/log 2>/dev/null; then
	rm -f /dev/log
fi
if [ -e /dev/log ]; then
	t_skip "syslog gets box-invite's events" "/dev/log belongs to a running syslog daemon here"
	t_skip "  and box-shell's" "/dev/log belongs to a running syslog daemon here"
	t_skip "log_format: json" "/dev/log belongs to a running syslog daemon here"
else
	# Sessions still ending (a box-shell writes session-ended before it
	# leaves the live list) would log into the listener's file.
	no_live() { [ "$($INVITE sessions --live --json | jq length)" = 0 ]; }
	wait_for 60 no_live
	socat -u UNIX-RECV:/dev/log,mode=666 "OPEN:$T/syslog,creat,append" & slp=$!
	for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
	$INVITE create --profile test --note "to syslog" >/dev/null
	gssh a "true 'x$(printf '\033[2J')y'" </dev/null
	for i in $(seq 50); do grep -qa "audit session-ended" "$T/syslog" 2>/dev/null && break; sleep 0.1; done
	kill "$slp" 2>/dev/null; wait "$slp" 2>/dev/null; rm -f /dev/log
	# Datagrams: one message each, with no newline between them.
	msgs=$(sed 's/<[0-9]*>/\n&/g' "$T/syslog")
	t_like "syslog gets box-invite's events" "$msgs" \
		"box-invite\\[[0-9]+\\]: audit invite-created invite=[0-9a-f]{16} box=- key=- source=-: to syslog$"
	t_like "  and box-shell's, in one line, control bytes escaped" "$msgs" \
		"box-shell\\[[0-9]+\\]: audit session-started invite=[0-9a-f]{16} box=[0-9a-f]{16} key=SHA256:[^ ]+ source=127.0.0.1: session=[0-9]+ tty=0 recording=none command=true 'x\\\\x1b\\[2Jy'$"

	# The same in log_format: json: every program's line one JSON object
	# (after syslog's own "<PRI>DATE PROG[PID]: "), a session's naming
	# its box, invite and key.
	echo "log_format: json" >> "$CONF"
	wait_for 60 no_live
	socat -u UNIX-RECV:/dev/log,mode=666 "OPEN:$T/syslog.json,creat,append" & slp=$!
	for i in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
	new_key j
	jinv=$($INVITE create --json --profile test --note 'json "quoted"')
	jid=$(jq -r .id <<<"$jinv")
	gssh j redeem --bind-only "$(jq -r .token <<<"$jinv")" </dev/null 2>/dev/null
	gssh j "true 'x$(printf '\033[2J')y'
echo second line" </dev/null
	gssh j redeem sbx1_again </dev/null 2>/dev/null
	for i in $(seq 50); do grep -qa '"exit 250: ' "$T/syslog.json" 2>/dev/null && break; sleep 0.1; done
	kill "$slp" 2>/dev/null; wait "$slp" 2>/dev/null; rm -f /dev/log
	jb=$(box_of j); jfp=$(fp_of j)
	# /dev/log is the machine's: tests running beside this one log there
	# too.  This test's lines are those of the processes that named its
	# invite, key or box, each line whole.
	sed 's/<[0-9]*>/\n&/g' "$T/syslog.json" | sed -E '/^$/d; s/^<[0-9]+>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [a-z-]+\[([0-9]+)\]: /\1\t/' > "$T/json.all"
	grep -aF -e "$jid" -e "$jfp" -e "$jb" "$T/json.all" | cut -f1 | sort -u > "$T/json.pids"
	awk -F'\t' 'NR == FNR { p[$1] = 1; next } ($1 in p) { sub(/^[0-9]+\t/, ""); print }' "$T/json.pids" "$T/json.all" > "$T/json.lines"
	t_ok "log_format json: every syslog line is one JSON object" \
		sh -c '[ -s "$1" ] && while IFS= read -r l; do printf "%s" "$l" | jq -e "type == \"object\" and (.time | test(\"^[0-9-]{10}T[0-9:]{8}Z$\")) and (.prog | type == \"string\") and (.pid | type == \"number\") and (.level | type == \"string\") and (.msg | type == \"string\")" >/dev/null || { echo "# not JSON: $l"; exit 1; }; done < "$1"' _ "$T/json.lines"
	J=$(jq -s . "$T/json.lines")
	t_is "  box-invite's event, with its invite and note" \
		"$(jq -r '.[] | select(.event == "invite-created" and .invite == "'"$jid"'") | [.prog, .msg, .detail] | @tsv' <<<"$J")" \
		"$(printf 'box-invite\taudit invite-created\tjson "quoted"')"
	rpid=$(jq -r '.[] | select(.event == "redeemed" and .key == "'"$jfp"'") | .pid' <<<"$J")
	t_is "  the redemption's box-shell: one line, its event, naming invite and key" \
		"$(jq -c '[.[] | select(.pid == '"${rpid:-0}"')] | map([.event, .invite, .key])' <<<"$J")" \
		"[[\"redeemed\",\"$jid\",\"$jfp\"]]"
	spid=$(jq -r '.[] | select(.event == "session-started" and .box == "'"$jb"'") | .pid' <<<"$J")
	t_is "  the session's box-shell: box created, session started and ended, each once" \
		"$(jq -r '[.[] | select(.pid == '"${spid:-0}"') | .event] | join(" ")' <<<"$J")" \
		"box-created session-started session-ended"
	t_is "  every line of it naming box, invite and key" \
		"$(jq -r '[.[] | select(.pid == '"${spid:-0}"') | [.box, .invite, .key] | join(" ")] | unique | join("|")' <<<"$J")" \
		"$jb $jid $jfp"
	t_is "  the command whole, ESC and newline come back from the JSON" \
		"$(jq -r '.[] | select(.pid == '"${spid:-0}"' and .event == "session-started") | .detail' <<<"$J" | sed 's/^session=[0-9]* tty=0 recording=none command=//')" \
		"$(printf "true 'x\033[2Jy'\necho second line")"
	t_is "  box-runtime's line of that box names it" \
		"$(jq -r '[.[] | select(.prog == "box-runtime" and (.msg | startswith("created box"))) | .box] | join(" ")' <<<"$J")" "$jb"
	t_is "  a refused request: the exit line, naming invite and key (no box yet)" \
		"$(jq -r '.[] | select(.prog == "box-shell" and (.msg | startswith("exit 250: "))) | [.level, .invite, .key, .box // "-"] | @tsv' <<<"$J")" \
		"$(printf 'notice\t%s\t%s\t-' "$jid" "$jfp")"
fi

# Redemptions past the rate limit: in the file (and syslog), not in the
# state, which a flood must not grow.
new_key r
for i in 1 2 3 4 5; do gssh r redeem --bind-only sbx1_notatoken </dev/null >/dev/null 2>&1; done
refused=$($INVITE audit --json | jq '[.[] | select(.event == "redeem-refused")] | length')
limited=$(grep -c '"rate-limited"' "$AUDIT")
t_is "a flood of bad redemptions: none of those past the limit in the state" \
	"$($INVITE audit --json | jq '[.[] | select(.event == "rate-limited")] | length')" 0
t_is "  each attempt either refused in the state or rate-limited in the file" \
	"$((refused + limited)) $([ "$limited" -ge 2 ] && echo some-limited)" "5 some-limited"
t_is "  the file names their source" \
	"$(grep '"rate-limited"' "$AUDIT" | jq -r '.source' | sort -u)" "127.0.0.1"

# A link planted where the file is: not followed, the event still in the state.
mv "$AUDIT" "$T/audit/old.jsonl"
: > "$T/target"
ln -s "$T/target" "$AUDIT"
$INVITE revoke "$id" >/dev/null
t_is "an audit file that is a link: not written through" "$(stat -c %s "$T/target")" 0
t_is "  the event is in the state all the same" "$($INVITE audit --json | jq '[.[] | select(.event == "invite-revoked")] | length')" 1
t_done
