#!/bin/bash
# box-invite doctor: passes on a correctly installed bastion, and when one
# thing at a time is broken it exits 1 and names the check that failed;
# --json gives the same verdicts to scripts.
. "$(dirname "$0")/lib.sh"
setup_bastion

doctor() { $INVITE doctor "$@" 2>&1; }
jqt() { jq -e "$1" >/dev/null <<<"$j"; }	# jqt FILTER: true for $j

passes() {	# passes NAME [DOCTOR ARGS...]: exit 0 and no FAIL line
	name=$1; shift
	out=$(doctor "$@"); rc=$?
	t_is "$name: exit 0" "$rc" 0
	t_is "$name: no FAIL line" "$(grep -c '^FAIL' <<<"$out")" 0
	[ "$rc" = 0 ] || grep '^FAIL' <<<"$out" | sed 's/^/# /'
}

fails() {	# fails NAME CHECK [DOCTOR ARGS...]: exit 1 and FAIL CHECK
	name=$1 check=$2; shift 2
	out=$(doctor "$@"); rc=$?
	t_is "$name: exit 1" "$rc" 1
	t_like "$name: FAIL $check" "$out" "^FAIL +$check: "
}

# A kernel with Yama but ptrace_scope 0 is a FAIL of doctor's own (checked
# below); the healthy bastion has it at 1, as the quick start sets it.
yama=/proc/sys/kernel/yama/ptrace_scope
[ -f "$yama" ] && [ "$(cat "$yama")" = 0 ] && echo 1 > "$yama"
passes "healthy bastion" --sshd-config "$T/sshd_config"
t_like "checks the account" "$out" "^ok +account: $BOX_USER "
t_like "checks box-authkeys" "$out" "^ok +box-authkeys: $top_builddir/box-authkeys"
t_like "checks the state" "$out" "^ok +state-db: .*schema [0-9]+"
t_like "checks the sshd drop-in" "$out" "^ok +sshd.disableforwarding: yes"
t_like "checks the runtime" "$out" "^ok +runtime: docker"
t_like "checks the profile's image" "$out" "^ok +image.test: $IMAGE is present"
t_like "warns about a writable root without a disk limit" "$out" \
	"^warn +disk.test: writable root with no disk limit"
t_is "but not about the read-only secure-shell" "$(grep -c '^warn +disk.secure-shell' <<<"$out")" 0
t_like "checks the runtime's lock directory" "$out" \
	"^ok +runtime-lock: .*sshbox-runtime, root 0700"
if [ -f "$yama" ]; then
	t_like "checks ptrace_scope" "$out" "^ok +ptrace_scope: kernel.yama.ptrace_scope = [1-3]"
else
	t_like "says this kernel has no Yama to limit ptrace" "$out" \
		"^warn +ptrace_scope: this kernel has no Yama"
fi
for s in protected_hardlinks protected_symlinks; do
	if [ "$(cat /proc/sys/fs/$s)" = 0 ]; then
		t_like "warns when fs.$s is 0" "$out" "^warn +$s: fs.$s is 0: .*sysctl -w fs.$s=1"
	else
		t_like "checks fs.$s" "$out" "^ok +$s: fs.$s = [12]"
	fi
done
t_like "every line is ok, warn or FAIL" \
	"$(grep -Evc '^(ok  |warn|FAIL) ' <<<"$out")" '^0$'
t_like "--sshd-config is needed for a private sshd" \
	"$(doctor --sshd-config "$T/nosuch")" "^FAIL +sshd: "
t_is "unknown argument" "$($INVITE doctor --frob >/dev/null 2>&1; echo $?)" 2
# The sshd that serves the bastion, named in sshbox.yaml: doctor checks
# it with no option (the quick start's own bastion, once 12 FAILs).
cp "$CONF" "$T/conf.saved"
echo "sshd_config: $T/sshd_config" >> "$CONF"
out=$($INVITE doctor 2>&1); rc=$?
cp "$T/conf.saved" "$CONF"
t_is "sshd_config in sshbox.yaml: doctor with no option is healthy" "$rc:$(grep -c '^FAIL' <<<"$out")" 0:0
t_like "  it checked that sshd's drop-in" "$out" "^ok +sshd.disableforwarding"

# The privilege model: the box account cannot use the socket, and
# box-runtime next to box-shell is setuid root, for the box account's group.
t_like "checks the box account cannot use the socket" "$out" \
	"^ok +confinement: $BOX_USER cannot use /var/run/docker.sock"
t_like "checks box-runtime" "$out" \
	"^ok +box-runtime: $top_builddir/box-runtime \(setuid root, group $(id -gn "$BOX_USER")\)"
t_like "checks what box-runtime will read" "$out" \
	"^ok +box-runtime.files: it can use $CONF and [0-9]+ profiles"
mkdir -p "$T/real-profiles" && cp "$T"/profiles/*.yaml "$T/real-profiles/" &&
	mkdir -p "$T/dots" && sed "s|^profiles_dir: profiles|profiles_dir: $T/./real-profiles|" "$CONF" > "$T/dots/sshbox.yaml"
allow_config add "$CONF" "$T/dots/sshbox.yaml"
out=$($top_builddir/box-invite -c "$T/dots/sshbox.yaml" doctor --sshd-config "$T/sshd_config" 2>&1)
t_like "profiles_dir with a . in it: FAIL, box-runtime would refuse it" "$out" \
	"^FAIL +box-runtime.files: it refuses profile [a-z-]+: .*not a plain path"
grep -v '^instance:' "$CONF" > "$T/noinst.yaml"
out=$($top_builddir/box-invite -c "$T/noinst.yaml" doctor --sshd-config "$T/sshd_config" 2>&1)
t_like "a configuration without instance, not named sshbox.yaml: box-runtime would refuse it" "$out" \
	"^FAIL +box-runtime.files: it refuses $T/noinst.yaml: it takes only a file named sshbox.yaml that sets box_user and instance"
mkdir -p "$T/unlisted" && cp "$CONF" "$T/unlisted/sshbox.yaml"
out=$($top_builddir/box-invite -c "$T/unlisted/sshbox.yaml" doctor --sshd-config "$T/sshd_config" 2>&1)
t_like "a configuration root did not list for box-runtime: FAIL" "$out" \
	"^FAIL +box-runtime.files: it refuses $T/unlisted/sshbox.yaml: .*not listed in $RUNTIME_CONFIGS"

# (The lock directory opened to others is not tried here: it is shared by
# every test running at once, and box-runtime refuses creates meanwhile.)
if [ -f "$yama" ]; then
	echo 0 > "$yama"
	fails "ptrace_scope 0" ptrace_scope --sshd-config "$T/sshd_config"
	echo 1 > "$yama"
else
	t_skip "ptrace_scope 0 is a FAIL" "this kernel has no Yama"
	t_skip "ptrace_scope 0 is a FAIL (exit)" "this kernel has no Yama"
fi
chmod 755 "$top_builddir/box-runtime"
fails "box-runtime not setuid" box-runtime --sshd-config "$T/sshd_config"
t_like "and says what to do" "$out" \
	"chown root:$BOX_USER $top_builddir/box-runtime && chmod 4750"
chmod 4755 "$top_builddir/box-runtime"
out=$(doctor --sshd-config "$T/sshd_config")
t_like "box-runtime any account may run: a warning" "$out" \
	"^warn +box-runtime: .* is setuid root and every account may run it"
chmod 4750 "$top_builddir/box-runtime"
socat "UNIX-LISTEN:$T/open.sock,fork" /dev/null & opensock=$!
for i in $(seq 100); do [ -S "$T/open.sock" ] && break; sleep 0.1; done
chgrp "$BOX_USER" "$T/open.sock" && chmod 660 "$T/open.sock"
sed "s|socket: /var/run/docker.sock|socket: $T/open.sock|" "$CONF" > "$T/open.yaml"
out=$($top_builddir/box-invite -c "$T/open.yaml" doctor --sshd-config "$T/sshd_config" 2>&1)
t_like "a socket the box account can use: FAIL confinement" "$out" \
	"^FAIL +confinement: $BOX_USER can use $T/open.sock directly, which is root in effect: gpasswd -d $BOX_USER $BOX_USER"
kill "$opensock" 2>/dev/null

# The signing key readable by others.
chmod 644 "$T/keys/invite.key"
fails "signing key 0644" signing-key --sshd-config "$T/sshd_config"
t_like "and says what to do" "$out" "chmod 600 $T/keys/invite.key"
chmod 600 "$T/keys/invite.key"

# The state file no longer the box account's.
chown root "$T/state/state.db"
fails "state.db owned by root" state-db --sshd-config "$T/sshd_config"
chown "$BOX_USER" "$T/state/state.db"

# A drop-in that forgets DisableForwarding.
sed '/DisableForwarding/d' "$T/sshbox.conf" > "$T/sshbox-fwd.conf"
sed "s|^Include .*|Include $T/sshbox-fwd.conf|" "$T/sshd_config" \
	> "$T/sshd_config-fwd"
fails "drop-in without DisableForwarding" sshd.disableforwarding \
	--sshd-config "$T/sshd_config-fwd"
t_like "the rest of the drop-in still passes" "$out" \
	"^ok +sshd.authorizedkeyscommand: "

# AuthorizedKeysCommand with every token, in another order, and with
# another configuration: both are another call than the drop-in's.
for variant in "%t %u %k %f|tokens in another order" "%u %t %k %f %u|a token too many"; do
	args=${variant%%|*} what=${variant#*|}
	sed "s|AuthorizedKeysCommand \(.*box-authkeys -c [^ ]*\) .*|AuthorizedKeysCommand \1 $args|" \
		"$T/sshbox.conf" > "$T/sshbox-ak.conf"
	sed "s|^Include .*|Include $T/sshbox-ak.conf|" "$T/sshd_config" > "$T/sshd_config-ak"
	fails "AuthorizedKeysCommand with $what" sshd.authorizedkeyscommand \
		--sshd-config "$T/sshd_config-ak"
	t_like "  says what the arguments must be" "$out" \
		"^FAIL +sshd.authorizedkeyscommand: its arguments must be exactly \"-c [^ ]+ %u %t %k %f\""
done
mkdir -p "$T/other" && cp "$CONF" "$T/other/sshbox.yaml"
sed "s|box-authkeys -c [^ ]*|box-authkeys -c $T/other/sshbox.yaml|" "$T/sshbox.conf" > "$T/sshbox-ak.conf"
fails "AuthorizedKeysCommand reading another configuration" sshd.authorizedkeyscommand \
	--sshd-config "$T/sshd_config-ak"

# The staff chain: the revocation list sshd needs, the CA, the principals
# command as the drop-in has it.
out=$(doctor --sshd-config "$T/sshd_config")
t_like "staff: the revocation list init made" "$out" "^ok +staff.revoked-keys: $T/keys/revoked.krl"
t_like "staff: no CA yet is a warning, saying how" "$out" "^warn +staff.ca: .*box-invite ca init"
t_like "staff: sshd trusts the CA's .pub the configuration names" "$out" \
	"^ok +sshd.trustedusercakeys: $T/keys/user_ca.pub"
t_like "staff: the principals command, exactly" "$out" \
	"^ok +sshd.authorizedprincipalscommand: .*box-authkeys -c $CONF --principals %u %s %i"
mv "$T/keys/revoked.krl" "$T/keys/revoked.krl.away"
fails "no revocation list (sshd would refuse every key)" staff.revoked-keys --sshd-config "$T/sshd_config"
mv "$T/keys/revoked.krl.away" "$T/keys/revoked.krl"
$INVITE ca init >/dev/null
chmod 644 "$T/keys/user_ca"
fails "a CA key others can read" staff.ca --sshd-config "$T/sshd_config"
chmod 600 "$T/keys/user_ca"
sed "s|--principals %u %s %i|--principals %u %i %s|" "$T/sshbox.conf" > "$T/sshbox-ap.conf"
sed "s|^Include .*|Include $T/sshbox-ap.conf|" "$T/sshd_config" > "$T/sshd_config-ap"
fails "AuthorizedPrincipalsCommand with its tokens swapped" sshd.authorizedprincipalscommand \
	--sshd-config "$T/sshd_config-ap"
t_like "  says what the arguments must be" "$out" \
	"^FAIL +sshd.authorizedprincipalscommand: its arguments must be exactly \"-c [^ ]+ --principals %u %s %i\""
sed "s|RevokedKeys .*|RevokedKeys $T/elsewhere.krl|" "$T/sshbox.conf" > "$T/sshbox-rk.conf"
sed "s|^Include .*|Include $T/sshbox-rk.conf|" "$T/sshd_config" > "$T/sshd_config-rk"
fails "RevokedKeys another file than the configuration's" sshd.revokedkeys --sshd-config "$T/sshd_config-rk"

# A profile that does not load.
echo "image: [" > "$T/profiles/broken.yaml"
fails "profile that does not parse" profile.broken --sshd-config "$T/sshd_config"
rm -f "$T/profiles/broken.yaml"

# A profile whose image does not exist.
PROFILE_IMAGE=sshbox/no-such-image:never write_profile ghost
fails "profile with a missing image" image.ghost --sshd-config "$T/sshd_config"
t_like "and names the image" "$out" "sshbox/no-such-image:never is missing"

# --json: parses, one entry per check, with the FAIL above.
j=$($INVITE doctor --json --sshd-config "$T/sshd_config" 2>/dev/null); rc=$?
t_is "--json: exit 1" "$rc" 1
t_ok "--json parses" jqt 'type == "array" and length > 10'
t_is "--json: the FAIL entry" \
	"$(jq -r '.[] | select(.status == "FAIL") | .check' <<<"$j")" image.ghost
t_ok "--json: every entry has check, status, detail" jqt \
	'all(.[]; (.check|type) == "string" and (.detail|type) == "string"
	    and (.status == "ok" or .status == "warn" or .status == "FAIL"))'
rm -f "$T/profiles/ghost.yaml"

# Everything restored: healthy again, in both forms.
passes "restored" --sshd-config "$T/sshd_config"
t_ok "--json: no FAIL when healthy" sh -c "$INVITE doctor --json \
	--sshd-config '$T/sshd_config' | jq -e 'all(.[]; .status != \"FAIL\")' \
	>/dev/null"
t_done
