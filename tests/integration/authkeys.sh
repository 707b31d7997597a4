#!/bin/bash
# box-authkeys as sshd runs it (as the box account): one line for an
# unknown key (redeem only) or a live binding (with expiry-time), a line
# without a terminal for revoked, expired or banned keys (box-shell says
# why), nothing for other accounts, nothing and a
# non-zero exit for hostile or mismatched input and for internal failure;
# no side effects on the state.  Then hostile keys through sshd itself.
. "$(dirname "$0")/lib.sh"
setup_bastion
AK="$top_builddir/box-authkeys -c $CONF"

ak() {	# ak ARGS...: run as the box account; stdout to $T/ak.out
	runuser -u "$BOX_USER" -- $AK "$@" >"$T/ak.out" 2>"$T/ak.err"
}
keyargs() {	# keyargs NAME: TYPE BLOB FP of a key
	set -- $(cat "$T/$1.pub")
	echo "$1 $2 $(fp_of "$K")"
}
tables() {
	sqlite3 "$T/state/state.db" 'select count(*) from invites; select count(*) from bindings; select count(*) from boxes; select count(*) from sessions; select count(*) from redeem_attempts; select count(*) from audit; select sum(uses_left) from invites' | tr '\n' ' '
}

new_key u; K=u
read -r typ blob fp <<<"$(keyargs u)"
before=$(tables)
ak box "$typ" "$blob" "$fp"; rc=$?
t_is "unknown key: exit 0" "$rc" 0
t_is "unknown key: exactly one line" "$(wc -l < "$T/ak.out")" 1
t_is "unknown key: restricted to box-shell" "$(cat "$T/ak.out")" \
	"restrict,pty,command=\"$top_builddir/box-shell -c $CONF\" ssh-ed25519 $blob"

gssh u redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
ak box "$typ" "$blob" "$fp"
t_like "bound key: expiry-time in UTC with Z" "$(cat "$T/ak.out")" \
	'^restrict,pty,expiry-time="20[0-9]{12}Z",command="[^"]+" ssh-ed25519 '
t_is "bound key: the key itself" "$(awk '{print $NF}' "$T/ak.out")" "$blob"
ak root "$typ" "$blob" "$fp"; rc=$?
t_is "another account: exit 0" "$rc" 0
t_is "another account: no line" "$(wc -c < "$T/ak.out")" 0

# revoked and expired bindings get a line without a terminal, for
# box-shell to say why and nothing more
new_key r; K=r
read -r rtyp rblob rfp <<<"$(keyargs r)"
inv=$($INVITE create --json --profile test)
gssh r redeem --bind-only "$(jq -r .token <<<"$inv")" </dev/null 2>/dev/null
$INVITE revoke "$(jq -r .id <<<"$inv")" >/dev/null
ak box "$rtyp" "$rblob" "$rfp"; rc=$?
t_is "revoked binding: in only to hear why (no pty, no expiry)" \
	"$(cat "$T/ak.out")" \
	"restrict,command=\"$top_builddir/box-shell -c $CONF\" ssh-ed25519 $rblob"
new_key e; K=e
read -r etyp eblob efp <<<"$(keyargs e)"
gssh e redeem --bind-only "$(new_invite --profile test --ttl 1s)" </dev/null 2>/dev/null
sleep 2
ak box "$etyp" "$eblob" "$efp"
t_is "expired binding: the same" "$(cat "$T/ak.out")" \
	"restrict,command=\"$top_builddir/box-shell -c $CONF\" ssh-ed25519 $eblob"

new_key bn; K=bn
read -r btyp bblob bfp <<<"$(keyargs bn)"
$INVITE ban "$bfp" >/dev/null
ak box "$btyp" "$bblob" "$bfp"
t_is "banned key, never redeemed: the same" "$(cat "$T/ak.out")" \
	"restrict,command=\"$top_builddir/box-shell -c $CONF\" ssh-ed25519 $bblob"
gssh bn true </dev/null 2>"$T/bn.err"; rc=$?
t_is "  through sshd: told so in one line" "$rc $(cat "$T/bn.err")" \
	"250 sshbox: this key is banned on this bastion"
gssh bn -tt true </dev/null 2>"$T/bn.err" >/dev/null; rc=$?
t_like "  and refused a terminal" "$(cat "$T/bn.err")" "PTY allocation request failed"

# hostile and mismatched arguments: no line, non-zero
hostile() {	# hostile NAME ARGS...
	name=$1; shift
	ak "$@"; rc=$?
	t_ok "$name: non-zero exit" [ "$rc" -ne 0 ]
	t_is "$name: no line" "$(wc -c < "$T/ak.out")" 0
}
before=$(tables)
hostile "empty key" box "" "" ""
hostile "no arguments at all"
hostile "garbage base64" box ssh-ed25519 'AAAA!!!!' "$fp"
hostile "type does not match blob" box ecdsa-sha2-nistp256 "$blob" "$fp"
hostile "fingerprint does not match key" box "$typ" "$blob" "$rfp"
hostile "truncated blob" box "$typ" "${blob%????????}" "$fp"
hostile "huge blob" box "$typ" "$(head -c 200000 /dev/zero | base64 -w0)" "$fp"
hostile "control characters in type" box "$(printf 'ssh-ed25519\n\033[2J')" "$blob" "$fp"
hostile "unknown key type" box ssh-dss "$blob" "$fp"
ssh-keygen -q -t rsa -b 1024 -N '' -f "$T/weak" >/dev/null
set -- $(cat "$T/weak.pub")
hostile "1024-bit RSA key" box "$1" "$2" "$(ssh-keygen -lf "$T/weak.pub" | awk '{print $2}')"
ak $'box\n' "$typ" "$blob" "$fp"
t_is "hostile user name: no line" "$(wc -c < "$T/ak.out")" 0
t_is "authkeys changed nothing in the state" "$(tables)" "$before"

# fail closed: broken configuration or state
cp "$CONF" "$T/conf.bak"
echo "bogus_key: 1" >> "$CONF"
ak box "$typ" "$blob" "$fp"; rc=$?
t_ok "bad configuration: non-zero" [ "$rc" -ne 0 ]
t_is "bad configuration: no line" "$(wc -c < "$T/ak.out")" 0
cp "$T/conf.bak" "$CONF"
mv "$T/state/state.db" "$T/state.db.bak"
printf 'not a database, just some bytes, enough to fill a header.......' > "$T/state/state.db"
chown "$BOX_USER" "$T/state/state.db"
ak box "$typ" "$blob" "$fp"; rc=$?
t_ok "corrupt state: non-zero" [ "$rc" -ne 0 ]
t_is "corrupt state: no line" "$(wc -c < "$T/ak.out")" 0
rm -f "$T/state/state.db"
mv "$T/state.db.bak" "$T/state/state.db"

# through sshd: hostile keys never get a session
gssh weak true </dev/null 2>/dev/null; rc=$?
t_is "sshd refuses a 1024-bit RSA key" "$rc" 255
new_key x
ssh -F /dev/null -i "$T/x" -o IdentitiesOnly=yes -o IdentityAgent=none \
	-o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" \
	-o StrictHostKeyChecking=no -p "$PORT" root@127.0.0.1 true \
	</dev/null 2>/dev/null; rc=$?
t_is "another account gets nothing from sshbox" "$rc" 255
t_like "sshd logged the AuthorizedKeysCommand lines it accepted" \
	"$(grep -c 'Accepted key ED25519' "$T/sshd.log")" '^[1-9]'
t_done
