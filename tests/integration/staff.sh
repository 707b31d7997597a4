#!/bin/bash
# Staff with short-lived SSH certificates, through a real sshd (the
# project's drop-in: TrustedUserCAKeys, RevokedKeys, box-authkeys
# --principals) and the stock ssh client: box-invite ca init and cert;
# self-service over ssh (new, list, attach, kill, extend, --json); the
# policy's groups, profiles, maximum TTL and quotas (under concurrency);
# certificates valid, expired, from another CA, revoked by serial and in
# the revocation list, unknown to sshbox, without principals, and
# principals not allowed a profile; guests' keys get nothing of it.
. "$(dirname "$0")/lib.sh"
EXTRA_CONF='policy:
  max_boxes_per_person: 2
  principals:
    zoe: [dev]
  groups:
    ops:
      profiles: [test, short]
      max_ttl: 20m
      max_boxes: 4
      invite: true
    dev:
      profiles: [test]'
setup_bastion
write_profile short 'warn: [1m]'

# sssh NAME ARGS...: ssh with NAME's key and only its certificate.
sssh() {
	key=$1; shift
	ssh -F /dev/null -i "$T/$key" \
		-o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
		-o PubkeyAcceptedAlgorithms=ssh-ed25519-cert-v01@openssh.com \
		-o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=no \
		-o LogLevel=ERROR -o ConnectTimeout=20 -p "$PORT" "$BOX_USER@127.0.0.1" "$@"
}
staff_key() {	# staff_key NAME [cert args...]: a key and its certificate
	name=$1; shift
	new_key "$name"
	$INVITE cert --principal "$name" "$@" "$T/$name.pub" > "$T/$name-cert.pub" 2>"$T/$name-cert.err"
}
status_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .status'; }
deadline_of() { $INVITE boxes --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .deadline'; }
sq() { sqlite3 "$T/state/state.db" "$1"; }

# --- the CA
out=$($INVITE ca init); rc=$?
t_like "ca init makes the CA" "$rc $out" "^0 staff CA: $T/keys/user_ca \(created\)"
t_is "  its key is root's, 0600" "$(stat -c '%U %a' "$T/keys/user_ca")" "root 600"
t_is "  the revocation list is there (init made it)" "$(stat -c '%U %a' "$T/keys/revoked.krl")" "root 644"
t_like "ca init again: nothing new" "$($INVITE ca init)" "\(already there\)"

# --- a valid certificate
staff_key alice --groups ops --ttl 1h; rc=$?
t_is "cert signs a key" "$rc" 0
t_is "  a certificate for alice alone" "$(ssh-keygen -Lf "$T/alice-cert.pub" | grep -A1 'Principals:' | tail -1 | tr -d ' \t')" alice
serial=$($INVITE cert list --json | jq -r '.[] | select(.principal == "alice") | .serial')
t_like "  recorded by serial" "$serial" '^[0-9]+$'
out=$(sssh alice </dev/null 2>&1); rc=$?
t_is "a certificate login with no command: who and what" "$rc $out" \
	"0 sshbox: you are alice (groups: ops); staff commands: new --profile P [--ttl T] [--json] [-- COMMAND] | list [--json] | attach BOX [--json | -- COMMAND] | kill BOX [--json] | extend BOX DURATION [--json] | invite --profile P [--ttl T] [--uses N] [--expires T] [--json]"
t_is "list: none yet" "$(sssh alice list --json </dev/null)" "[]"
out=$(ssh -F /dev/null -i "$T/alice" -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
	-o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=no -o LogLevel=ERROR \
	-p "$PORT" "$BOX_USER@127.0.0.1" list --json </dev/null 2>&1); rc=$?
t_is "plain ssh -i KEY (its -cert.pub beside it): the staff member, not the guests' token prompt" "$rc $out" "0 []"
t_is "  box-authkeys gives the plain key of a staff member no line (sshd goes on to the certificate)" \
	"$(set -- $(cat "$T/alice.pub"); runuser -u "$BOX_USER" -- "$top_builddir/box-authkeys" -c "$CONF" box "$1" "$2" | wc -c)" 0
j=$(sssh alice new --profile test --json </dev/null); rc=$?
t_ok "new --json is strict JSON" eval 'printf "%s" "$j" | strict_json'
a1=$(jq -r .box <<<"$j")
t_is "new --json: a box of the profile, running" "$rc $(jq -r '"\(.profile) \(.status)"' <<<"$j")" "0 test running"
t_is "  it is a real box" "$(status_of "$a1")" running
t_ok "  with the profile's time (10m)" jq -e '.seconds_left > 540 and .seconds_left <= 600' <<<"$j"
t_is "attach BOX --json: the box, no session" "$(sssh alice attach "$a1" --json </dev/null | jq -r '"\(.box) \(.status)"')" "$a1 running"
t_is "attach BOX -- COMMAND runs in it" "$(sssh alice attach "$a1" -- 'echo in-$(hostname)' </dev/null)" "in-box-${a1:0:8}"
out=$(sssh alice new --profile test -- 'id -un' </dev/null 2>&1); rc=$?
t_like "new -- COMMAND: a second box runs it" "$rc $out" "^0 sshbox: box [0-9a-f]{16} \(profile test\) is yours until .*Z
guest$"
t_is "list: both" "$(sssh alice list --json </dev/null | jq length)" 2
cat > "$T/attach.exp" <<EOX
set timeout 60
spawn ssh -F /dev/null -tt -i $T/alice -o IdentitiesOnly=yes -o IdentityAgent=none -o PubkeyAcceptedAlgorithms=ssh-ed25519-cert-v01@openssh.com -o UserKnownHostsFile=$T/known_hosts -o StrictHostKeyChecking=no -o LogLevel=ERROR -p $PORT box@127.0.0.1 attach $a1
expect -re {sshbox: box $a1 \(profile test\) ends at} {} timeout { exit 10 }
expect -re {[\$#] } { send "echo marker-\\\$((6*7))\r" } timeout { exit 11 }
expect "marker-42" { send "exit\r" } timeout { exit 12 }
expect eof
EOX
expect "$T/attach.exp" >/dev/null 2>&1; rc=$?
t_is "ssh -t attach BOX: a login shell in it, over a terminal" "$rc" 0
t_like "  as a table too" "$(sssh alice list </dev/null)" "^BOX +PROFILE +STATUS +SESSIONS +LEFT"
out=$(sssh alice new --profile test --json </dev/null 2>&1); rc=$?
t_is "a third: over max_boxes_per_person (2)" "$rc $out" \
	"248 sshbox: cannot make your box: alice already has the maximum of 2 boxes"
t_is "  and no third box" "$(sssh alice list --json </dev/null | jq length)" 2
t_is "  its invite is left spent and revoked" \
	"$(sq "select count(*) from invites where owner = 'alice' and revoked_at = 0 and id not in (select invite_id from boxes)")" 0

# --- extend within the group's maximum (ops: 20m), kill
d0=$(deadline_of "$a1")
out=$(sssh alice extend "$a1" 5m --json </dev/null); rc=$?
t_is "extend 5m" "$rc $(jq -r .deadline <<<"$out")" "0 $((d0 + 300))"
out=$(sssh alice extend "$a1" 30m </dev/null 2>&1); rc=$?
t_like "extend past the group's max_ttl: refused" "$rc $out" \
	"^250 sshbox: box $a1 can be extended by at most [0-9ms]+ \(it may run 20m in all\)$"
t_is "  nothing changed" "$(deadline_of "$a1")" "$((d0 + 300))"
out=$(sssh alice new --profile short --ttl 21m </dev/null 2>&1); rc=$?
t_is "new --ttl past the group's max_ttl: refused" "$rc $out" \
	"250 sshbox: --ttl 21m is more than group ops may have for a short box (20m)"
t_is "kill BOX" "$(sssh alice kill "$a1" </dev/null)" "box $a1 destroyed"
t_is "  the box is destroyed" "$(status_of "$a1")" destroyed
out=$(sssh alice attach "$a1" </dev/null 2>&1); rc=$?
t_is "  attach to it now: ended" "$rc $out" "247 sshbox: box $a1 has ended (killed by its owner (alice))"
t_like "audit: the staff box, its extension" "$($INVITE audit --json | jq -r '[.[] | .event] | join(" ")')" "staff-box.*box-extended"

# --- invites for guests, signed by box-runtime (the key stays root's)
j=$(sssh alice invite --profile test --ttl 5m --uses 2 --json </dev/null); rc=$?
t_ok "invite --json is strict JSON" eval 'printf "%s" "$j" | strict_json'
t_is "invite: a token for the profile, two uses, 5m boxes" "$rc $(jq -r '"\(.profile) \(.uses) \(.ttl)"' <<<"$j")" "0 test 2 300"
iid=$(jq -r .id <<<"$j")
t_is "  recorded, noting who asked" "$($INVITE show --json "$iid" | jq -r .note)" "from alice"
t_like "  audited as alice's" "$($INVITE audit --json --invite "$iid" | jq -r '.[0].detail')" "^by=staff:alice group=ops$"
new_key guest1
out=$(gssh guest1 redeem --bind-only "$(jq -r .token <<<"$j")" </dev/null 2>&1); rc=$?
t_like "  a guest redeems it" "$rc $out" "^0 sshbox: invite redeemed: this key has a test box"
t_is "  and runs a command in its box" "$(gssh guest1 'id -un' </dev/null)" guest
out=$(sssh alice invite --profile test --ttl 30m </dev/null 2>&1); rc=$?
t_is "invite --ttl past the group's max_ttl: refused" "$rc $out" \
	"250 sshbox: --ttl 30m is more than group ops may have for a test box (20m)"
t_like "invite as a table" "$(sssh alice invite --profile test </dev/null)" "^Invite [0-9a-f]{16}: profile test, box time 10m"

# --- policy: groups and profiles
staff_key bob --groups dev
out=$(sssh bob new --profile short </dev/null 2>&1); rc=$?
t_is "principal whose groups may not use the profile: refused" "$rc $out" \
	"250 sshbox: none of your groups (dev) may use profile short"
out=$(sssh bob invite --profile test </dev/null 2>&1); rc=$?
t_is "a group without invite: may not invite guests" "$rc $out" \
	"250 sshbox: group dev may not invite guests"
a2=$(sssh alice list --json </dev/null | jq -r '.[0].box')
for verb in "attach $a2" "kill $a2" "extend $a2 1m"; do
	out=$(sssh bob $verb </dev/null 2>&1); rc=$?
	t_is "another's box ($verb): not his" "$rc $out" "250 sshbox: you have no box $a2"
done
t_is "  alice's box untouched" "$(status_of "$a2")" running
staff_key carol
out=$(sssh carol new --profile test </dev/null 2>&1); rc=$?
t_is "a certificate with no group: refused" "$rc $out" \
	"250 sshbox: your certificate names no group, nor does the policy: ask an administrator"
staff_key zoe
j=$(sssh zoe new --profile test --json </dev/null); rc=$?
t_is "no group in the certificate, one in policy.principals: a box" "$rc $(jq -r .profile <<<"$j")" "0 test"
sssh zoe kill "$(jq -r .box <<<"$j")" </dev/null >/dev/null
out=$(sssh alice frobnicate </dev/null 2>&1); rc=$?
t_like "an unknown staff command: usage, exit 249" "$rc $out" "^249 sshbox: unknown command; staff commands: new "
out=$($INVITE cert --principal dave --groups nosuch "$T/carol.pub" 2>&1); rc=$?
t_is "cert with a group the policy lacks: refused" "$rc $out" \
	"2 box-invite: --groups: the policy has no group \"nosuch\" (policy.groups in $CONF)"

# --- quotas under concurrency: the group (ops: 4 boxes; alice's and her
# guest's hold 2), one at a time
staff_key erin --groups ops
for i in 1 2 3 4; do sssh erin new --profile test --json </dev/null >"$T/q$i.out" 2>&1 & done
wait
t_is "four at once for a member with room for 2, the group (ops) for 2 more: 2 made" \
	"$(cat "$T"/q?.out | grep -c '"box"')" 2
t_is "  the group holds its maximum of 4" \
	"$(sq "select count(*) from boxes b join invites i on i.id = b.invite_id where i.grp = 'ops' and b.status in ('creating','running')")" 4
staff_key gus --groups ops
out=$(sssh gus new --profile test </dev/null 2>&1); rc=$?
t_is "  another member of ops, with none: the group is full" "$rc $out" \
	"248 sshbox: cannot make your box: group ops already has its maximum of 4 boxes"
j=$(sssh erin invite --profile test --uses 5 --json </dev/null)
new_key guest2
gssh guest2 redeem --bind-only "$(jq -r .token <<<"$j")" </dev/null 2>/dev/null
out=$(gssh guest2 true </dev/null 2>&1); rc=$?
t_is "  erin's guests count as erin's: no box past her quota" "$rc $out" \
	"248 sshbox: cannot start your box: erin already has the maximum of 2 boxes"

# --- certificates refused
staff_key frank --groups ops --ttl 3s
wait_for 30 sh -c "! ssh -F /dev/null -i $T/frank -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o PubkeyAcceptedAlgorithms=ssh-ed25519-cert-v01@openssh.com -o UserKnownHostsFile=$T/known_hosts -o StrictHostKeyChecking=no -o LogLevel=ERROR -p $PORT $BOX_USER@127.0.0.1 list </dev/null >/dev/null 2>&1"
out=$(sssh frank list </dev/null 2>&1); rc=$?
t_is "an expired certificate: refused by sshd" "$rc" 255
ssh-keygen -q -t ed25519 -N '' -f "$T/otherca"
new_key gina
ssh-keygen -q -s "$T/otherca" -I "sshbox:gina:5" -n gina -z 5 -V -1m:+1h "$T/gina.pub"
out=$(sssh gina list </dev/null 2>&1); rc=$?
t_is "a certificate from another CA: refused" "$rc" 255
new_key hank
ssh-keygen -q -s "$T/keys/user_ca" -I "sshbox:hank:4242" -n hank -z 4242 -V -1m:+1h "$T/hank.pub"
out=$(sssh hank list </dev/null 2>&1); rc=$?
t_is "a certificate of sshbox's CA that sshbox did not record: refused" "$rc" 255
sq "insert into certs (serial, principal, groups, key_id, fp, issued_at, valid_before) values ('4242', 'hank', 'ops', 'sshbox:hank:4242', '$(fp_of hank)', strftime('%s','now'), strftime('%s','now') + 3600)"
t_is "  once recorded (as cert would), it gets in" "$(sssh hank list --json </dev/null)" "[]"
new_key ivan
ssh-keygen -q -s "$T/keys/user_ca" -I "sshbox:ivan:4343" -z 4343 -V -1m:+1h "$T/ivan.pub"
sq "insert into certs (serial, principal, groups, key_id, fp, issued_at, valid_before) values ('4343', 'ivan', 'ops', 'sshbox:ivan:4343', '$(fp_of ivan)', strftime('%s','now'), strftime('%s','now') + 3600)"
out=$(sssh ivan list </dev/null 2>&1); rc=$?
t_is "a certificate without principals, recorded all the same: refused" "$rc" 255
sq "update certs set revoked_at = strftime('%s','now') where serial = '4242'"
out=$(sssh hank list </dev/null 2>&1); rc=$?
t_is "revoked in the state by serial: refused" "$rc" 255
for bad in 0 0123 12345678901234567890123 18446744073709551616; do
	out=$($INVITE cert revoke "$bad" 2>&1); rc=$?
	t_like "cert revoke $bad: not a serial, exit 2" "$rc $out" "^2 box-invite: cert revoke: \"$bad\" is not a serial"
done
t_is "  the serials file untouched by them" "$(cat "$T/keys/revoked.krl.serials" 2>/dev/null | wc -l)" 0
out=$($INVITE cert revoke "$serial"); rc=$?
t_is "cert revoke SERIAL" "$rc $out" "0 certificate $serial of alice revoked"
t_is "  the revocation list has it" "$(ssh-keygen -Q -f "$T/keys/revoked.krl" "$T/alice-cert.pub" | awk '{print $NF}')" REVOKED
out=$(sssh alice list </dev/null 2>&1); rc=$?
t_is "  alice's certificate is refused" "$rc" 255
sq "update certs set revoked_at = 0 where serial = '$serial'"
out=$(sssh alice list </dev/null 2>&1); rc=$?
t_is "  by sshd's revocation list alone, whatever the state says" "$rc" 255
t_is "  her box stays hers, for an administrator to see" "$(status_of "$a2")" running
t_like "cert list: revoked and expired" "$($INVITE cert list --json | jq -r '[.[] | "\(.principal)=\(.state)"] | sort | join(" ")')" \
	"frank=expired"
t_is "audit: signed and revoked" "$($INVITE audit --json | jq '[.[] | select(.event == "cert-signed" or .event == "cert-revoked")] | length')" 8

# --- a guest's key: every staff verb is just a command in its own box
new_key g
gssh g redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
before=$(sq "select count(*) from invites where owner != ''")
da=$(deadline_of "$a2")
for verb in "new --profile test --json" "list --json" "attach $a2 -- id" "kill $a2" "extend $a2 1h" "invite --profile test"; do
	out=$(gssh g "$verb" </dev/null 2>&1); rc=$?
	t_ok "guest: \"$verb\" is no staff command (its box's shell fails it)" \
		sh -c '[ "$1" -ne 0 ] && ! printf "%s" "$2" | grep -q "sshbox:"' _ "$rc" "$out"
done
t_is "  no staff box made" "$(sq "select count(*) from invites where owner != ''")" "$before"
t_is "  alice's box neither killed nor extended" "$(status_of "$a2") $(deadline_of "$a2")" "running $da"
t_done
