#!/bin/bash
# Redeeming invites through a real sshd and the stock ssh client: by
# command and at the prompt; bad, tampered, expired, revoked and reused
# tokens refused with a clear message and nothing consumed; the
# single-use race; per-source rate limiting.
REDEEM_MAX=40
. "$(dirname "$0")/lib.sh"
setup_bastion

uses_left() { $INVITE show --json "$1" | jq -r .uses_left; }

# --- by command
new_key k1
json=$($INVITE create --json --profile test)
tok=$(printf '%s' "$json" | jq -r .token)
id1=$(printf '%s' "$json" | jq -r .id)
t_like "create prints the guest's redeem command" \
	"$(printf '%s' "$json" | jq -r .commands.redeem)" \
	"^ssh -t -p $PORT box@127.0.0.1 redeem sbx1_"
out=$(gssh k1 redeem "$tok" </dev/null 2>&1); rc=$?
t_is "redeem by command exits 0" "$rc" 0
t_like "redeem says so" "$out" "invite redeemed: this key has a test box"
t_is "the use is consumed" "$(uses_left "$id1")" 0
t_is "the key now runs commands in its box" "$(gssh k1 'id -un')" guest

# --- at the prompt (a PTY made by expect)
new_key k2
tok2=$(new_invite --profile test)
cat > "$T/prompt.exp" <<EOX
set timeout 60
spawn ssh -F /dev/null -tt -i $T/k2 -o IdentitiesOnly=yes -o IdentityAgent=none -o UserKnownHostsFile=$T/known_hosts -o StrictHostKeyChecking=no -o LogLevel=ERROR -p $PORT box@127.0.0.1
expect "Invite token: " { send "$tok2\r" } timeout { exit 10 }
expect "invite redeemed" {} timeout { exit 11 }
expect -re {[\$#] } { send "echo marker-\\\$((6*7))\r" } timeout { exit 12 }
expect "marker-42" { send "exit\r" } timeout { exit 13 }
expect eof
EOX
out=$(expect "$T/prompt.exp" 2>&1); rc=$?
t_is "redeem at the hidden prompt, then a shell" "$rc" 0
t_ok "the token was not echoed" sh -c "! printf '%s' \"\$1\" | grep -q \"\$2\"" _ "$out" "$tok2"
t_is "the prompt key runs commands" "$(gssh k2 'echo ok')" ok

# --- refusals: nothing consumed, one clear line, exit 250
new_key k3
tok3json=$($INVITE create --json --profile test --uses 2)
tok3=$(printf '%s' "$tok3json" | jq -r .token)
id3=$(printf '%s' "$tok3json" | jq -r .id)
refused() {	# refused NAME TOKEN PATTERN
	out=$(gssh k3 redeem "$2" </dev/null 2>&1); rc=$?
	t_is "$1: exit 250" "$rc" 250
	t_like "$1: clear message" "$out" "$3"
	t_is "$1: one line" "$(printf '%s\n' "$out" | grep -c .)" 1
}
refused "garbage token" "not-a-token" "not a valid invite token"
tampered=$(printf '%s' "$tok3" | sed 's/^\(.\{40\}\)\(.\)/\1\2/' |
	awk '{ c = substr($0, 41, 1); r = (c == "A") ? "B" : "A";
	       print substr($0, 1, 40) r substr($0, 42) }')
refused "tampered token" "$tampered" "not a valid invite token"
refused "truncated token" "${tok3%?????}" "not a valid invite token"
refused "already used token" "$tok" "already been used"
exp=$(new_invite --profile test --expires 1s)
sleep 2
refused "expired token" "$exp" "expired"
rev=$($INVITE create --json --profile test)
$INVITE revoke "$(printf '%s' "$rev" | jq -r .id)" >/dev/null
refused "revoked token" "$(printf '%s' "$rev" | jq -r .token)" "revoked"
t_is "no use of the good invite was consumed by the refusals" \
	"$(uses_left "$id3")" 2
out=$(gssh k3 'echo hi' </dev/null 2>&1); rc=$?
t_is "an unbound key cannot run commands" "$rc" 250
t_like "and is told how to redeem" "$out" "redeem TOKEN first"
out=$(gssh k3 redeem </dev/null 2>&1); rc=$?
t_is "redeem without a token is a usage error" "$rc" 249
out=$(gssh k1 redeem "$tok3" </dev/null 2>&1); rc=$?
t_is "a bound key cannot redeem a second invite" "$rc" 250
t_is "and consumes nothing" "$(uses_left "$id3")" 2

# --- the single-use race: eight guests, one use, exactly one wins
race=$($INVITE create --json --profile test)
rtok=$(printf '%s' "$race" | jq -r .token)
for i in 1 2 3 4 5 6 7 8; do new_key "r$i"; done
for i in 1 2 3 4 5 6 7 8; do
	( gssh "r$i" redeem --bind-only "$rtok" </dev/null >/dev/null 2>&1
	  echo $? > "$T/race.$i" ) &
done
wait
wins=$(cat "$T"/race.* | grep -cx 0)
losses=$(cat "$T"/race.* | grep -cx 250)
t_is "exactly one racer wins" "$wins" 1
t_is "the seven others are refused" "$losses" 7
t_is "the invite has no use left, not a negative count" \
	"$(uses_left "$(printf '%s' "$race" | jq -r .id)")" 0

# --- rate limiting per source address
n=0; limited=
while [ $n -lt $((REDEEM_MAX + 5)) ]; do
	out=$(gssh k3 redeem sbx1_junk </dev/null 2>&1); rc=$?
	n=$((n + 1))
	if [ $rc = 248 ]; then limited=$out; break; fi
done
t_like "redemption is rate limited per source" "$limited" "too many redemption attempts"
audits() { sqlite3 "$T/state/state.db" "select count(*) from audit"; }
a0=$(audits)
for i in 1 2 3; do gssh k3 redeem sbx1_junk </dev/null >/dev/null 2>&1; done
t_is "refusals while limited do not grow the state" "$(audits)" "$a0"
out=$(gssh k3 redeem "$tok3" </dev/null 2>&1); rc=$?
t_is "even a good token is refused while limited" "$rc" 248
t_is "and consumes nothing" "$(uses_left "$id3")" 2
t_done
