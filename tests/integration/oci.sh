#!/bin/bash
# The OCI runtimes, with no daemon: runc and gVisor's runsc driven by
# box-runtime (setuid root) from bundles of sshbox's own, through the real
# sshd and the stock clients.  For each: a guest's box made and used
# (commands, exit status, a terminal, sftp and scp), its hardening and
# limits seen from inside and on the host, the reaper reconciling both
# ways, kill leaving nothing (no container, mount, bundle or process).
# Then the failures: a runtime that cannot run the box (crun under these
# hybrid cgroups) and a runtime binary that is missing: one line for the
# guest, no invite use lost, nothing left behind.
. "$(dirname "$0")/lib.sh"
setup_bastion
OD=$RUNTIME_DIR/.oci/$INSTANCE

status_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .status'; }
runtime_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .runtime'; }
uses_left() { $INVITE show --json "$1" | jq -r .uses_left; }
lines() { printf '%s\n' "$1" | grep -c .; }
# oci_state RUNTIME BOXID: the status the runtime itself reports, or none
oci_state() {
	"$1" --root "$OD/.$1" state "sshbox-$2" 2>/dev/null | jq -r .status 2>/dev/null |
		grep . || echo none
}
oci_pid() { "$1" --root "$OD/.$1" state "sshbox-$2" 2>/dev/null | jq -r .pid; }
mounted() { grep -c " $OD/$1/" /proc/mounts; }	# mounted BOXID: its mounts
# cg_limit PID CONTROLLER FILE: the box's cgroup limit as the host has it
cg_limit() {
	_p=$(awk -F: -v c="$2" '$2 == c { print $3 }' "/proc/$1/cgroup")
	cat "/sys/fs/cgroup/$2$_p/$3" 2>/dev/null || echo none
}
# guest KEY PROFILE: a key with a box of PROFILE (redeemed, bound)
guest() {
	new_key "$1"
	gssh "$1" redeem --bind-only "$(new_invite --profile "$2")" </dev/null >/dev/null 2>&1
}
# one LINE: box-runtime's answer to a request, as the box account
one() { printf '%s\n' "$@" | runuser -u "$BOX_USER" -- "$BIN/box-runtime" -c "$CONF" serve 2>&1 | tail -1; }

runtime_suite() {	# runtime_suite RUNTIME PROFILE KEY
	rt=$1 prof=$2 k=$3
	write_profile "$prof" "runtime: $rt" "tmpfs: [/tmp]" "tmpfs_size: 16m"
	guest "$k" "$prof"
	out=$(gssh "$k" 'echo in $(hostname); id -u' </dev/null 2>&1); rc=$?
	b=$(box_of "$k")
	t_is "$rt: a command in a new box" "$rc:$(echo $out)" "0:in box-${b:0:8} 1000"
	t_is "$rt: the state says which runtime holds it" "$(runtime_of "$b")" "$rt"
	t_is "$rt: the runtime itself runs it" "$(oci_state "$rt" "$b")" running
	t_is "$rt: its bundle is root's alone" "$(stat -c '%U %a' "$OD/$b")" "root 700"
	t_is "$rt: no Docker container for it" "$(box_containers "$b")" ""
	t_is "$rt: the exit status comes back" \
		"$(gssh "$k" 'exit 7' </dev/null >/dev/null 2>&1; echo $?)" 7
	t_is "$rt: stdin reaches the box" "$(printf 'abc\n' | gssh "$k" 'cat; echo .')" "abc
."
	t_like "$rt: a terminal" "$(gssh "$k" -tt 'tty' </dev/null 2>/dev/null | tr -d '\r')" \
		'^/dev/pts/[0-9]+$'
	# Files in and out, with the stock clients.
	head -c 300000 /dev/urandom > "$T/blob.$rt"
	gscp "$k" "$T/blob.$rt" "$BOX_USER@127.0.0.1:/tmp/blob" </dev/null 2>"$T/scp.err"
	t_is "$rt: scp into the box" "$?" 0
	printf 'get /tmp/blob %s\n' "$T/back.$rt" > "$T/batch.$rt"
	gsftp "$k" -b "$T/batch.$rt" "$BOX_USER@127.0.0.1" </dev/null >/dev/null 2>&1
	t_ok "$rt: sftp gets it back unchanged" cmp -s "$T/blob.$rt" "$T/back.$rt"

	# Hardening, from inside.
	probe=$(gssh "$k" 'grep -E "^(NoNewPrivs|CapEff|CapBnd):" /proc/self/status | tr -s "\t " " ";
		ls /sys/class/net | tr "\n" " "; echo;
		mount -t tmpfs x /mnt 2>/dev/null && echo mounted || echo mount-refused;
		ls /.sshbox' </dev/null 2>&1)
	# (gVisor's /proc does not show NoNewPrivs; the sandbox itself runs
	# with it, and the guest's capabilities are checked below.)
	[ "$rt" = runc ] && t_like "$rt: no_new_privs" "$probe" "NoNewPrivs: 1"
	t_like "$rt: no capabilities" "$probe" "^CapEff: 0000000000000000$"
	t_like "$rt: none to gain" "$probe" "^CapBnd: 0000000000000000$"
	t_like "$rt: only loopback" "$probe" "^lo $"
	t_like "$rt: no mount" "$probe" "mount-refused"
	t_like "$rt: the agent and its run directory, nothing else of the host" \
		"$probe" "box-agent"
	if [ "$rt" = runc ]; then
		t_like "$rt: a seccomp filter" \
			"$(gssh "$k" 'grep ^Seccomp: /proc/self/status' </dev/null)" "Seccomp:.2"
		t_is "$rt: no user namespace" \
			"$(gssh "$k" 'unshare -U true 2>/dev/null && echo made || echo refused' </dev/null)" refused
	else
		t_like "$rt: the guest kernel is gVisor's, not the bastion's" \
			"$(gssh "$k" 'dmesg 2>/dev/null | head -1; uname -r' </dev/null 2>&1)" \
			"gVisor|^4\.4\.0"
	fi
	t_is "$rt: /tmp is the profile's tmpfs" \
		"$(gssh "$k" 'df -k /tmp | tail -1 | awk "{print \$2}"' </dev/null)" 16384

	# Limits on the host: the runtime's cgroup for the box (under gVisor,
	# the sandbox's: the guest's count plus the sandbox's own threads).
	pid=$(oci_pid "$rt" "$b")
	t_is "$rt: memory limit in force on the host" \
		"$(cg_limit "$pid" memory memory.limit_in_bytes)" $((64 * 1024 * 1024))
	if [ "$rt" = runc ]; then
		t_is "$rt: process limit in force on the host" "$(cg_limit "$pid" pids pids.max)" 64
	else
		t_is "$rt: process limit in force on the host" "$(cg_limit "$pid" pids pids.max)" $((64 + 256))
	fi

	# Pause and unpause through box-runtime, for warm pools.
	t_is "$rt: pause through box-runtime" "$(one "use $rt" "pause $b -")" ok
	t_is "$rt:   the runtime froze it" "$(oci_state "$rt" "$b")" paused
	t_is "$rt: unpause" "$(one "use $rt" "unpause $b -")" ok
	t_is "$rt:   running again" "$(oci_state "$rt" "$b")" running
	t_is "$rt: and answers" "$(gssh "$k" 'echo back' </dev/null 2>&1)" back
	t_like "$rt: another runtime's driver leaves it alone" \
		"$(one "use $( [ "$rt" = runc ] && echo runsc || echo runc)" "destroy $b -")" \
		"^err 3 box $b was made by $rt"
	t_is "$rt:   still running" "$(oci_state "$rt" "$b")" running

	# Kill: nothing left.
	$INVITE kill "$b" >/dev/null 2>&1
	t_is "$rt: kill ends the row" "$(status_of "$b")" destroyed
	t_is "$rt:   the runtime has no container" "$(oci_state "$rt" "$b")" none
	t_ok "$rt:   no bundle" test ! -e "$OD/$b"
	t_is "$rt:   no mount" "$(mounted "$b")" 0
	t_ok "$rt:   no run directory" test ! -e "$RUNTIME_DIR/$INSTANCE/$b"
	t_is "$rt:   no process of it" "$(pgrep -f -- "$OD/$b" | wc -l)" 0

	# The reaper, both ways: an orphan (a box with no row) removed...
	orphan=$(openssl rand -hex 8)
	t_like "$rt: a box with no state row, made through box-runtime" \
		"$(one "create $orphan $prof $(( $(date +%s) + 600 ))")" "^ok sshbox-$orphan$"
	t_is "$rt:   running" "$(oci_state "$rt" "$orphan")" running
	out=$(runuser -u "$BOX_USER" -- $REAPER --once --json 2>/dev/null)
	t_is "$rt:   the reaper removes it" "$(jq -c '{orphans, errors}' <<<"$out")" \
		'{"orphans":1,"errors":0}'
	t_ok "$rt:   gone, bundle and all" test ! -e "$OD/$orphan"
	t_is "$rt:   no mount" "$(mounted "$orphan")" 0
	# ... and a row whose box vanished behind sshbox's back, ended.
	gssh "$k" true </dev/null >/dev/null 2>&1
	b2=$(box_of "$k")
	"$rt" --root "$OD/.$rt" delete --force "sshbox-$b2" >/dev/null 2>&1
	umount -l "$OD/$b2/rootfs" 2>/dev/null; umount -l "$OD/$b2/layer" 2>/dev/null
	umount -l "$RUNTIME_DIR/$INSTANCE/$b2" 2>/dev/null
	rm -rf "$OD/$b2" "$RUNTIME_DIR/$INSTANCE/$b2"
	out=$($REAPER --once --json 2>/dev/null)
	t_is "$rt: a box that vanished: the reaper ends its row" \
		"$(jq -r .vanished <<<"$out"):$(status_of "$b2")" 1:destroyed
	t_is "$rt: the key gets a new box" "$(gssh "$k" 'echo again' </dev/null 2>&1)" again
	# A box whose init stopped behind sshbox's back: the next session is
	# told so (251), the box goes at once, and the one after gets a box.
	b3=$(box_of "$k")
	"$rt" --root "$OD/.$rt" kill "sshbox-$b3" KILL >/dev/null 2>&1
	wait_for 20 sh -c "[ \"\$($rt --root '$OD/.$rt' state sshbox-$b3 2>/dev/null | jq -r .status)\" = stopped ]"
	out=$(gssh "$k" 'echo hi' </dev/null 2>&1); rc=$?
	t_is "$rt: a session to a box that stopped: exit 251" "$rc" 251
	t_like "  one line saying so" "$out" "^sshbox: your box stopped \(.*\): connect again for a new one$"
	t_is "  its row ended at once" "$(status_of "$b3"):$($INVITE boxes --all --json | jq -r --arg b "$b3" '.[] | select(.id == $b) | .end_reason')" "destroyed:box stopped"
	t_ok "  and its bundle is gone" test ! -e "$OD/$b3"
	t_is "  the next session gets a new box" "$(gssh "$k" 'echo fresh' </dev/null 2>&1)" fresh
	$INVITE kill "$(box_of "$k")" >/dev/null 2>&1
}

# What a caller hands down to the setuid box-runtime cannot break a
# create half-way: a file size limit of 0, SIGCHLD ignored.
hostile_caller() {	# hostile_caller NAME SHELL-PREFIX
	id=$(openssl rand -hex 8)
	out=$(printf 'create %s rc %s\n' "$id" $(( $(date +%s) + 600 )) |
		runuser -u "$BOX_USER" -- sh -c "$2 exec '$BIN/box-runtime' -c '$CONF' serve" 2>&1 | tail -1)
	t_is "runc: a caller with $1: the box is made all the same" "$out" "ok sshbox-$id"
	t_like "runc:   whole (its configuration reads)" \
		"$(jq -r '.annotations["io.sshbox.box"]' "$OD/$id/config.json" 2>&1)" "^$id$"
	t_is "runc:   and removed" "$(printf 'use runc\ndestroy %s -\n' "$id" |
		runuser -u "$BOX_USER" -- "$BIN/box-runtime" -c "$CONF" serve 2>&1 | tail -1)" ok
}

if [ -x /usr/sbin/runc ] || [ -x /usr/bin/runc ]; then
	runtime_suite runc rc r
	hostile_caller "a file size limit of 0" "ulimit -S -f 0;"
	hostile_caller "SIGCHLD ignored" "trap '' CHLD;"
	# Root in the box owns the run directory it is bound: a tiny file
	# system of its own, so that nothing fills the bastion's disk there
	# and nothing outlives the box.
	printf '%s\n' "image: $IMAGE" "runtime: runc" "user: root" "shell: /bin/sh" \
		"workdir: /" "memory: 64m" "pids: 64" "linger: 30s" > "$T/profiles/rroot.yaml"
	guest rr rroot
	out=$(gssh rr 'exec 2>&1; id -u; dd if=/dev/zero of=/.sshbox/run/fill bs=1k count=4096; echo "dd=$?"' </dev/null)
	t_like "runc: root in the box fills its run directory" "$out" "No space left on device"
	t_like "runc:   which stops at 64 KiB" "$(gssh rr 'ls -l /.sshbox/run/fill' </dev/null | awk '{print $5}')" '^(6[0-9]|5[0-9])[0-9]{3}$'
	rb=$(box_of rr)
	t_like "runc:   a tmpfs of its own on the host" \
		"$(awk -v d="$RUNTIME_DIR/$INSTANCE/$rb" '$2 == d { print $3, $4 }' /proc/mounts)" \
		"^tmpfs .*nosuid,nodev,noexec"
	$INVITE kill "$rb" >/dev/null 2>&1
	t_ok "runc:   gone with the box, mount and all" sh -c \
		"! grep -q ' $RUNTIME_DIR/$INSTANCE/$rb ' /proc/mounts && test ! -e '$RUNTIME_DIR/$INSTANCE/$rb'"
else
	t_skip "runc" "runc is not installed"
fi
if command -v runsc >/dev/null; then
	runtime_suite runsc sc s
else
	t_skip "runsc" "runsc (gVisor) is not installed"
fi

# ------------------------------------------------ a runtime that cannot run it
# crun: on hybrid cgroups (these machines) it refuses every container; where
# it runs, the same profile must get a box with its limits.
write_profile cr "runtime: crun"
inv=$($INVITE create --json --profile cr)
cid=$(jq -r .id <<<"$inv")
new_key c
gssh c redeem --bind-only "$(jq -r .token <<<"$inv")" </dev/null >/dev/null 2>&1
out=$(gssh c 'echo made' </dev/null 2>&1); rc=$?
cb=$($INVITE boxes --all --json | jq -r --arg fp "$(fp_of c)" '.[] | select(.key == $fp) | .id' | head -1)
if [ "$rc" = 0 ]; then
	t_is "crun runs here: the box is made" "$out" made
	t_is "crun: with its memory limit" \
		"$(cg_limit "$(oci_pid crun "$cb")" memory memory.limit_in_bytes)" $((64 * 1024 * 1024))
else
	t_is "crun cannot run the box here: exit 251" "$rc" 251
	t_like "crun: one line saying what the runtime said" "$out" \
		"^sshbox: cannot start your box: cannot start box: .*(cgroup|crun)"
	t_is "crun: that one line only" "$(lines "$out")" 1
	t_is "crun: the box row failed, nothing live" "$(status_of "$cb")" failed
	t_ok "crun: no bundle left" sh -c "! ls '$OD' 2>/dev/null | grep -q ."
	t_is "crun: no mount left" "$(grep -c " $OD/" /proc/mounts)" 0
	t_is "crun: the invite is as the redemption left it" "$(uses_left "$cid")" 0
	# The same key, once its profile names a runtime that works.
	write_profile cr "runtime: runc"
	t_is "crun: the key gets its box when the profile runs elsewhere" \
		"$(gssh c 'echo made' </dev/null 2>&1)" made
	$INVITE kill "$(box_of c)" >/dev/null 2>&1
fi

# ------------------------------------------------ a runtime binary missing
# sshd (and so box-shell and box-runtime) in a mount namespace of its own
# where runc is an empty, non-executable file.
runc_bin=$(command -v runc || echo /usr/sbin/runc)
: > "$T/not-runc"; chmod 644 "$T/not-runc"
cat > "$T/sshd-norunc" <<EOW
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount --bind "\$0" "\$1" && shift && exec $SSHD "\$@"' "$T/not-runc" "$runc_bin" "\$@"
EOW
chmod 755 "$T/sshd-norunc"
kill "$(cat "$T/sshd.pid")"; rm -f "$T/sshd.pid"
REAL_SSHD=$SSHD SSHD=$T/sshd-norunc
start_sshd || { echo "Bail out! sshd did not start without runc"; exit 1; }
write_profile mr "runtime: runc"
inv=$($INVITE create --json --profile mr)
mid=$(jq -r .id <<<"$inv")
new_key m
gssh m redeem --bind-only "$(jq -r .token <<<"$inv")" </dev/null >/dev/null 2>&1
out=$(gssh m 'echo made' </dev/null 2>&1); rc=$?
t_is "runc missing: exit 251" "$rc" 251
t_like "runc missing: one line saying so" "$out" \
	"^sshbox: cannot start your box: .*runtime runc is not installed"
t_is "runc missing: that one line only" "$(lines "$out")" 1
t_is "runc missing: the invite is as the redemption left it" "$(uses_left "$mid")" 0
t_ok "runc missing: nothing left" sh -c "! ls '$OD' 2>/dev/null | grep -q ."
kill "$(cat "$T/sshd.pid")"; rm -f "$T/sshd.pid"
SSHD=$REAL_SSHD
start_sshd || { echo "Bail out! sshd did not start again"; exit 1; }
t_is "runc back: the same key gets its box, no new invite" \
	"$(gssh m 'echo made' </dev/null 2>&1)" made
$INVITE kill "$(box_of m)" >/dev/null 2>&1
$REAPER --once >/dev/null 2>&1
# ------------------------------------- box-runtime killed half-way through
# What a SIGKILL leaves at each step of a create (it cannot be held off):
# a reserved bundle directory, then a bundle with its root mounted and no
# config.json.  The reaper removes both, mounts and all.
half1=$(openssl rand -hex 8) half2=$(openssl rand -hex 8)
mkdir -m 700 "$OD/$half1"
mkdir -p -m 700 "$OD/$half2/rootfs" "$OD/$half2/layer/upper" "$OD/$half2/layer/work"
imgroot=$OCI_IMAGES/sshbox/busybox/latest/$(cat "$OCI_IMAGES/sshbox/busybox/latest/current")/rootfs
mount -t overlay sshbox-root -o "lowerdir=$imgroot,upperdir=$OD/$half2/layer/upper,workdir=$OD/$half2/layer/work" "$OD/$half2/rootfs"
t_is "a half-made bundle is mounted" "$(mounted "$half2")" 1
out=$(runuser -u "$BOX_USER" -- $REAPER --once --json 2>/dev/null)
t_is "the reaper removes both half-made boxes as orphans" \
	"$(jq -c '{orphans, errors}' <<<"$out")" '{"orphans":2,"errors":0}'
t_ok "  nothing of them left" sh -c "test ! -e '$OD/$half1' && test ! -e '$OD/$half2'"
t_is "  no mount" "$(mounted "$half2")" 0

out=$($INVITE doctor --sshd-config "$T/sshd_config" 2>&1)
t_like "doctor checks runc" "$out" "^ok +runtime.runc: runc: 0 boxes of instance $INSTANCE"
t_like "  and the image of a runc profile, in the OCI store" "$out" \
	"^ok +image.rc: $IMAGE is present for runc$"
t_like "doctor checks runsc" "$out" "^ok +runtime.runsc: runsc: "
PROFILE_IMAGE=sshbox/nosuch:1 write_profile ghost "runtime: runc"
out=$($INVITE doctor --sshd-config "$T/sshd_config" 2>&1)
t_like "an image missing from the OCI store: FAIL" "$out" \
	"^FAIL +image.ghost: sshbox/nosuch:1 is missing from the OCI store of runc"
rm -f "$T/profiles/ghost.yaml"
t_ok "at the end: no OCI box of this bastion left" sh -c "! ls '$OD' 2>/dev/null | grep -q ."
t_done
