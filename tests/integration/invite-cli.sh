#!/bin/bash
# box-invite as an administrator uses it: init is idempotent and sets safe
# owners and modes; create validates its options and prints what the guest
# runs; list, show, boxes, revoke and kill, human and --json; every program
# answers --help.
. "$(dirname "$0")/lib.sh"
setup_bastion

mode() { stat -c '%a %U' "$1"; }
t_is "signing key is 0600 root" "$(mode "$T/keys/invite.key")" "600 root"
t_is "verify key is 0644" "$(mode "$T/keys/invite.pub" | cut -d' ' -f1)" 644
t_is "state dir belongs to the box account" "$(mode "$T/state")" "750 $BOX_USER"
t_is "state file belongs to the box account" "$(mode "$T/state/state.db")" "600 $BOX_USER"
sum=$(md5sum < "$T/keys/invite.key")
out=$($INVITE init 2>&1); rc=$?
t_is "init again: exit 0" "$rc" 0
t_is "init again keeps the signing key" "$(md5sum < "$T/keys/invite.key")" "$sum"
t_ok "init --json" sh -c "$INVITE init --json | jq -e '.key_created == false' >/dev/null"

# create: validation
err() { $INVITE "$@" 2>&1 >/dev/null; }
$INVITE create --ttl 5m >/dev/null 2>&1; t_is "create needs --profile" "$?" 2
t_like "unknown profile: one line that names the profiles there are" "$(err create --profile nosuch)" \
	"^box-invite: create: no profile \"nosuch\" in $T/profiles \(there are: .*test.*\)$"
t_like "a duration needs a unit" "$(err create --profile test --ttl 30)" \
	"^box-invite: .*\"30\" needs a unit: 30s, 30m, 30h or 30d$"
t_like "a note that is not UTF-8 is refused" "$(err create --profile test --note "$(printf 'caf\351')")" \
	"--note: UTF-8 text without control characters"
t_like "  and one with a C1 control" "$(err create --profile test --note "$(printf 'a\302\233[31m')")" \
	"--note: UTF-8 text"

t_like "profile name cannot be a path" "$(err create --profile ../../etc/passwd)" "profile"
t_like "bad duration" "$(err create --profile test --ttl 5x)" "bad duration"
t_like "ttl over the profile's maximum" "$(err create --profile test --ttl 2h)" "more than profile test allows"
t_like "uses out of range" "$(err create --profile test --uses 0)" "--uses"
t_like "note with control characters" "$(err create --profile test --note "$(printf 'a\033b')")" "--note"
t_like "unknown command" "$(err frobnicate)" "unknown command"

# create: output
human=$($INVITE create --profile test --ttl 20m --uses 3 --note "interview")
t_like "human output names the profile and time" "$human" "profile test, box time 20m, 3 uses"
t_like "and prints the command to run" "$human" "ssh -t -p $PORT box@127.0.0.1 redeem sbx1_"
j=$($INVITE create --json --profile test --ttl 90s --expires 1h)
id=$(jq -r .id <<<"$j")
t_like "json: id" "$id" '^[0-9a-f]{16}$'
t_is "json: ttl in seconds" "$(jq -r .ttl <<<"$j")" 90
t_like "json: token" "$(jq -r .token <<<"$j")" '^sbx1_[A-Za-z0-9_-]+$'
t_like "json: connect command" "$(jq -r .commands.connect <<<"$j")" "^ssh -p $PORT box@127.0.0.1\$"

# list, show
t_is "list --json has both invites" "$($INVITE list --json | jq length)" 2
t_is "show --json" "$($INVITE show --json "$id" | jq -r '.state + " " + (.uses_left|tostring)')" "open 1"
t_like "list, human" "$($INVITE list)" "interview"
t_like "show of an unknown invite" "$(err show ffffffffffffffff)" "no invite"

# boxes, kill, revoke with a real box
new_key a
gssh a redeem --bind-only "$(jq -r .token <<<"$j")" </dev/null 2>/dev/null
gssh a true </dev/null
t_is "show lists the invite's box" "$($INVITE show --json "$id" | jq '.boxes | length')" 1
b=$($INVITE boxes --json | jq -r '.[0].id')
t_like "boxes, human" "$($INVITE boxes)" "$b"
t_is "kill --json" "$($INVITE kill --json "$b" | jq -r .killed)" "$b"
t_like "kill of an ended box" "$(err kill "$b")" "already ended"
t_is "boxes --json has no live box" "$($INVITE boxes --json | jq length)" 0
t_is "boxes --all --json shows it ended" "$($INVITE boxes --all --json | jq -r '.[0].end_reason')" "killed by an administrator"
t_is "revoke --json" "$($INVITE revoke --json "$id" | jq -r .revoked)" "$id"
t_is "show: revoked" "$($INVITE show --json "$id" | jq -r .state)" revoked
t_like "revoke of an unknown invite" "$(err revoke ffffffffffffffff)" "no invite"

# help and manuals
for p in box-invite box-authkeys box-shell box-reaper box-proxy; do
	t_like "$p --help" "$("$top_builddir/$p" --help)" "usage: $p"
done
for m in box-invite.1 box-proxy.1 box-authkeys.8 box-shell.8 box-reaper.8 sshbox.yaml.5 sshbox-profile.5; do
	t_ok "man page $m renders" sh -c "man -l '$top_srcdir/man/$m' 2>/dev/null | grep -q ."
done
# Notes: UTF-8 kept; every --json output strict JSON (valid UTF-8 too).
$INVITE create --profile test --note "$(printf 'caf\303\251 \342\202\254')" >/dev/null
$INVITE list --json > "$T/list.json"
t_ok "a UTF-8 note: list --json is strict JSON" strict_json < "$T/list.json"
t_is "  the note kept as given" "$(jq -r '[.[] | select(.note | startswith("caf"))][0].note' < "$T/list.json")" \
	"$(printf 'caf\303\251 \342\202\254')"
# A key no invite knows, with a command: told how to redeem, port and all.
new_key stranger
out=$(gssh stranger true </dev/null 2>&1); rc=$?
t_is "an unbound key's command: refused (250), told the whole command" "$rc $out" \
	"250 sshbox: this key has not redeemed an invite: run ssh -t -p $PORT $BOX_USER@127.0.0.1 redeem TOKEN first"
t_done
