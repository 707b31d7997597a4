#!/bin/bash
# An administrator's control of guests after redemption, through a real
# sshd and the stock ssh client: box-invite keys; ban (one key of a
# multi-use invite, whatever its invite; a live session ends with why;
# the key is told so at every later login and redemption, with no box
# made and no invite use spent); unban; kill --ban; extend (within
# max_ttl, reaching a live session, which then outlives its first
# deadline); and the guest's own status, on request and at login.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/audit" && chown "$BOX_USER" "$T/audit" && chmod 750 "$T/audit"
AUDIT=$T/audit/audit.jsonl
EXTRA_CONF="audit_log: $AUDIT"
setup_bastion
write_profile short 'warn: [20s]'

status_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .status'; }
reason_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .end_reason'; }
nboxes() { $INVITE boxes --all --json | jq length; }
audit_count() { $INVITE audit --json | jq --arg e "$1" '[.[] | select(.event == $e)] | length'; }

# --- keys: two guests on one multi-use invite
inv=$($INVITE create --json --profile test --uses 3)
iid=$(jq -r .id <<<"$inv"); tok=$(jq -r .token <<<"$inv")
new_key g1; new_key g2
gssh g1 redeem --bind-only "$tok" </dev/null 2>/dev/null
gssh g2 redeem --bind-only "$tok" </dev/null 2>/dev/null
fp1=$(fp_of g1); fp2=$(fp_of g2)
t_ok "keys --json is strict JSON" eval '$INVITE keys --json | strict_json'
keys=$($INVITE keys --json)
t_is "keys: both keys of the invite" \
	"$(jq -r --arg i "$iid" '[.[] | select(.invite == $i) | .key] | sort | join(" ")' <<<"$keys")" \
	"$(printf '%s\n' "$fp1" "$fp2" | sort | tr '\n' ' ' | sed 's/ $//')"
t_is "keys: live, no box yet" \
	"$(jq -r --arg k "$fp1" '.[] | select(.key == $k) | "\(.state) \(.box)"' <<<"$keys")" "live null"
out=$($INVITE keys --json --invite nosuchinvite00000 2>&1); rc=$?
t_is "keys --invite of no invite: exit 1, said" "$rc $out" "1 box-invite: no invite nosuchinvite00000"
t_is "keys --invite narrows" "$($INVITE keys --json --invite "$iid" | jq length)" 2
t_like "keys: a table with a header" "$($INVITE keys)" "^KEY +INVITE +PROFILE +STATE"

# --- status: the key's box and its time, no box made
out=$(gssh g1 status </dev/null 2>&1); rc=$?
t_is "status before any box: exit 0" "$rc" 0
t_like "  says there is no box yet, and the key's time" "$out" \
	"^no box now \(profile test\): connect to get one; this key's time ends at 20[0-9-]+T[0-9:]+Z, [0-9hms]+ left$"
t_is "  and made none" "$(box_of g1)" ""
gssh g1 true </dev/null
b1=$(box_of g1)
st=$(gssh g1 status --json </dev/null)
t_ok "status --json is strict JSON" eval 'printf "%s" "$st" | strict_json'
t_is "status --json: the box, the profile" "$(jq -r '"\(.box.id) \(.profile) \(.invite) \(.key)"' <<<"$st")" \
	"$b1 test $iid $fp1"
t_ok "status --json: the time left, within the invite's 10m" \
	jq -e '.seconds_left > 0 and .seconds_left <= 600 and .deadline > 0' <<<"$st"
t_like "status: the box in words" "$(gssh g1 status </dev/null)" \
	"^box $b1 \(profile test\): running, 0 sessions; ends at 20[-0-9T:]+Z, [0-9hms]+ left$"
out=$(gssh g1 status now </dev/null 2>&1); rc=$?
t_is "status with an argument: usage, exit 249" "$rc $out" \
	"249 sshbox: usage: status [--json] (your box and the time it has left)"
new_key nobody
out=$(gssh nobody status </dev/null 2>&1); rc=$?
t_like "status from a key with no invite: told to redeem" "$rc $out" "^250 sshbox: this key has not redeemed an invite"

# --- at login: the time left, in the session
cat > "$T/login.exp" <<EOX
set timeout 60
spawn ssh -F /dev/null -tt -i $T/g2 -o IdentitiesOnly=yes -o IdentityAgent=none -o UserKnownHostsFile=$T/known_hosts -o StrictHostKeyChecking=no -o LogLevel=ERROR -p $PORT box@127.0.0.1
expect -re {sshbox: box [0-9a-f]+ \(profile test\) ends at [-0-9T:]+Z, [0-9ms]+ left} {} timeout { exit 10 }
expect -re {[\$#] } { send "exit\r" } timeout { exit 11 }
expect eof
EOX
expect "$T/login.exp" >/dev/null 2>&1; rc=$?
t_is "a login is told its box's end and the time left" "$rc" 0
b2=$(box_of g2)

# --- ban: one key of the invite, its live session ended with why
gssh g1 'echo started; sleep 300' </dev/null >"$T/ban.out" 2>"$T/ban.err" &
spid=$!
wait_for 30 grep -q started "$T/ban.out"
out=$($INVITE ban --reason "test ban: pasted secrets" "$fp1"); rc=$?
t_is "ban: the key banned, its box destroyed" "$rc $out" "0 key $fp1 banned; box $b1 destroyed"
wait $spid; rc=$?
t_is "  the live session ends: exit 247" "$rc" 247
t_like "  and the guest is told why" "$(cat "$T/ban.err")" "your box was destroyed \(key banned by an administrator\)"
t_is "  the box row says so" "$(status_of "$b1") $(reason_of "$b1")" "destroyed key banned by an administrator"
t_ok "  its container is gone" no_container "$b1"
n=$(nboxes)
out=$(gssh g1 true </dev/null 2>&1); rc=$?
t_is "a banned key is told so in one line, exit 250" "$rc $out" \
	"250 sshbox: this key is banned on this bastion"
out=$(gssh g1 </dev/null 2>&1); rc=$?
t_is "  at a login as well" "$rc $out" "250 sshbox: this key is banned on this bastion"
t_is "  and no box is made for it" "$(nboxes) $(box_of g1)" "$n "
t_ok "  scp gets nothing" sh -c "! scp -q -F /dev/null -i $T/g1 -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o UserKnownHostsFile=$T/known_hosts -o StrictHostKeyChecking=no -P $PORT $T/g1.pub $BOX_USER@127.0.0.1:/tmp/x 2>/dev/null"
left=$($INVITE show --json "$iid" | jq -r .uses_left)
inv2=$($INVITE create --json --profile test)
out=$(gssh g1 redeem "$(jq -r .token <<<"$inv2")" </dev/null 2>&1); rc=$?
t_is "  redeeming another invite: refused, banned" "$rc $out" \
	"250 sshbox: this key is banned on this bastion"
t_is "  that invite's use is not spent" \
	"$($INVITE show --json "$(jq -r .id <<<"$inv2")" | jq -r .uses_left)" 1
t_is "  nor this invite's" "$($INVITE show --json "$iid" | jq -r .uses_left)" "$left"
t_is "the other key of the same invite still works" "$(gssh g2 'echo ok' </dev/null 2>/dev/null)" ok
t_is "keys: the banned key says so" \
	"$($INVITE keys --json | jq -r --arg k "$fp1" '.[] | select(.key == $k) | .state')" banned
bans=$($INVITE bans --json)
t_ok "bans --json is strict JSON" eval 'printf "%s" "$bans" | strict_json'
t_is "bans: who and why" "$(jq -r --arg k "$fp1" '.[] | select(.key == $k) | .reason' <<<"$bans")" \
	"test ban: pasted secrets"
t_is "ban again: nothing new" "$($INVITE ban "$fp1")" "key $fp1 was banned already"
t_is "audit: one key-banned event, with the reason" \
	"$($INVITE audit --json | jq -r '[.[] | select(.event == "key-banned") | .detail] | join("|")')" \
	"by=root reason=test ban: pasted secrets"
t_is "refused logins go to the audit file, with why" \
	"$(jq -r --arg k "$fp1" 'select(.event == "login-refused" and .key == $k) | .detail' "$AUDIT" | sort -u)" \
	"this key is banned on this bastion"
t_is "  but are not rows of the state (a loop must not grow it)" "$(audit_count login-refused)" 0
out=$($INVITE ban "not-a-fingerprint" 2>&1); rc=$?
t_like "ban of a bad fingerprint: exit 2" "$rc $out" "^2 box-invite: ban: \"not-a-fingerprint\" is not a key fingerprint"
out=$($INVITE ban --reason "$(printf 'a\033[2Jb')" "$fp2" 2>&1); rc=$?
t_like "a reason with control characters: refused" "$rc $out" "^2 box-invite: --reason: UTF-8 text"
t_is "  and nothing banned" "$($INVITE keys --json | jq -r --arg k "$fp2" '.[] | select(.key == $k) | .state')" live

# --- unban: the key is let in again, with its time as it was
t_is "unban" "$($INVITE unban "$fp1")" "key $fp1 unbanned"
t_is "  the key runs commands again" "$(gssh g1 'echo back' </dev/null 2>/dev/null)" back
out=$($INVITE unban "$fp1" 2>&1); rc=$?
t_is "  unban of a key not banned: exit 1" "$rc $out" "1 box-invite: key $fp1 is not banned"

# --- kill without --ban: the guest may come back; with --ban it may not
gssh g2 true </dev/null
b2=$(box_of g2)
t_is "kill BOX" "$($INVITE kill "$b2")" "box $b2 destroyed"
gssh g2 true </dev/null; rc=$?
t_ok "  the guest connects again and gets a new box" [ "$rc" = 0 ] && [ -n "$(box_of g2)" ] && [ "$(box_of g2)" != "$b2" ]
b2=$(box_of g2)
out=$($INVITE kill --ban --reason "done" --json "$b2")
t_ok "kill --ban --json is strict JSON" eval 'printf "%s" "$out" | strict_json'
t_is "kill --ban: the key banned and the box ended" "$(jq -r '"\(.banned) \(.box_ended)"' <<<"$out")" "$fp2 $b2"
t_is "  the box is destroyed" "$(status_of "$b2")" destroyed
out=$(gssh g2 true </dev/null 2>&1); rc=$?
t_is "  and the guest cannot come back" "$rc $out" "250 sshbox: this key is banned on this bastion"
out=$($INVITE kill --reason x "$b2" 2>&1); rc=$?
t_like "kill --reason without --ban: usage" "$rc $out" "^2 box-invite: usage: box-invite kill"

# --- extend: a live session outlives its first deadline
new_key g3
gssh g3 redeem --bind-only "$(new_invite --profile short --ttl 30s)" </dev/null 2>/dev/null
gssh g3 'echo started; sleep 40; echo survived' </dev/null >"$T/ext.out" 2>"$T/ext.err" &
spid=$!
wait_for 30 grep -q started "$T/ext.out"
b3=$(box_of g3)
d0=$(gssh g3 status --json </dev/null | jq .deadline)
out=$($INVITE extend "$b3" 1m); rc=$?
t_like "extend BOX 1m" "$rc $out" "^0 box $b3 now ends at 20[-0-9T:]+Z \([0-9ms]+ left\)$"
d1=$(gssh g3 status --json </dev/null | jq .deadline)
t_is "  the guest's status shows 60s more" "$((d1 - d0))" 60
t_is "  and the key's time with it" \
	"$($INVITE keys --json | jq -r --arg k "$(fp_of g3)" '.[] | select(.key == $k) | .deadline')" "$d1"
wait $spid; rc=$?
t_is "  the session outlives its first deadline and exits 0" "$rc $(cat "$T/ext.out" | tr '\n' ' ')" "0 started survived "
t_like "  told of the extension" "$(cat "$T/ext.err")" "this box's time was extended: it now ends at 20[-0-9T:]+Z"
t_is "  the box still runs" "$(status_of "$b3")" running
out=$($INVITE extend "$b3" 2h 2>&1); rc=$?
t_like "extend past max_ttl: refused, saying how much may be" "$rc $out" \
	"^1 box-invite: box $b3 can be extended by at most [0-9hms]+ \(it may run 1h in all\)$"
t_is "  nothing changed" "$(gssh g3 status --json </dev/null | jq .deadline)" "$d1"
out=$($INVITE extend "$b3" 30 2>&1); rc=$?
t_like "extend by a number without a unit: exit 2" "$rc $out" "^2 box-invite: extend: "
out=$($INVITE extend nosuchbox0000000 1m 2>&1); rc=$?
t_is "extend of no box: exit 1" "$rc $out" "1 box-invite: no box nosuchbox0000000"
out=$($INVITE extend "$b1" 1m 2>&1); rc=$?
t_like "extend of an ended box: refused" "$rc $out" "^1 box-invite: box $b1 has already ended"
out=$($INVITE extend --json "$b3" 1m)
t_ok "extend --json is strict JSON" eval 'printf "%s" "$out" | strict_json'
t_is "  with the new deadline" "$(jq -r .deadline <<<"$out")" "$((d1 + 60))"
t_is "audit: box-extended twice" "$(audit_count box-extended)" 2
t_done
