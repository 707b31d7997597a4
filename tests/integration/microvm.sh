#!/bin/bash
# The microvm runtime: every box a QEMU -M microvm guest (TCG here, where a
# KVM guest does not boot), through the real sshd and the stock clients.
# A guest's box made and used (commands, exit status, a terminal, several
# sessions at once, sftp and scp); the guest's own kernel, limits and
# nothing of the host inside; QEMU confined on the host (its account,
# seccomp, chroot, memory cgroup); pause and unpause for pools; kill and
# the reaper (both ways) leaving nothing; then the faults: QEMU killed
# mid-session, a guest kernel panic, an agent that never answers, a VM
# that cannot boot -- each one line for the guest and nothing left.
SSHBOX_TEST_RUNTIME=microvm
. "$(dirname "$0")/lib.sh"
setup_bastion
OD=$RUNTIME_DIR/.oci/$INSTANCE

status_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .status'; }
reason_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .end_reason'; }
runtime_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .runtime'; }
uses_left() { $INVITE show --json "$1" | jq -r .uses_left; }
guest() {	# guest KEY PROFILE: a key with a box of PROFILE (redeemed, bound)
	new_key "$1"
	gssh "$1" redeem --bind-only "$(new_invite --profile "$2")" </dev/null >/dev/null 2>&1
}
one() { printf '%s\n' "$@" | runuser -u "$BOX_USER" -- "$BIN/box-runtime" -c "$CONF" serve 2>&1 | tail -1; }
qmp() {	# qmp BOXID COMMAND: QEMU's answer, as root on the box's monitor
	printf '{"execute":"qmp_capabilities"}\n{"execute":"%s"}\n' "$2" |
		timeout 5 socat - "UNIX-CONNECT:$OD/$1/qmp.sock" 2>/dev/null | tail -1
}
alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; }
# nothing_of BOXID: no bundle, run directory, cgroup or process of it left
no_vm() { ! pgrep -f -- "guest=sshbox-$1" >/dev/null; }
nothing_of() {
	[ ! -e "$OD/$1" ] && [ ! -e "$RUNTIME_DIR/$INSTANCE/$1" ] &&
		[ ! -e "/sys/fs/cgroup/memory/sshbox/$INSTANCE/$1" ] &&
		! pgrep -f -- "sshbox-$1" >/dev/null
}

write_profile vm "tmpfs: [/tmp]" "tmpfs_size: 16m" "accel: tcg"

# ------------------------------------------------------------- a guest's box
guest k vm
out=$(gssh k 'echo in $(hostname); id -u; uname -r' </dev/null 2>&1); rc=$?
b=$(box_of k)
t_is "a command in a new microVM" "$rc:$(echo $out)" \
	"0:in box-${b:0:8} 1000 $(cat "$OCI_IMAGES/.microvm/kernel")"
t_ok "  not the bastion's kernel" [ "$(uname -r)" != "$(cat "$OCI_IMAGES/.microvm/kernel")" ]
t_is "the state says which runtime holds it" "$(runtime_of "$b")" microvm
t_is "its bundle is root's alone" "$(stat -c '%U %a' "$OD/$b")" "root 700"
t_is "the exit status comes back" "$(gssh k 'exit 7' </dev/null >/dev/null 2>&1; echo $?)" 7
t_is "stdin reaches the box" "$(printf 'abc\n' | gssh k 'cat; echo .')" "abc
."
t_like "a terminal" "$(gssh k -tt 'tty' </dev/null 2>/dev/null | tr -d '\r')" '^/dev/pts/[0-9]+$'
t_is "a login shell on a terminal, its exit status" \
	"$(printf 'echo at $(hostname)\nexit 3\n' | gssh k -tt >/dev/null 2>&1; echo $?)" 3
# Several sessions at once, over the one link to the VM.
for i in 1 2 3 4 5; do gssh k "sleep 1; echo s$i" </dev/null >"$T/par.$i" 2>&1 & done
wait
t_is "five sessions at once" "$(cat "$T"/par.* | sort | tr '\n' ' ')" "s1 s2 s3 s4 s5 "
# A stream bigger than the link's window, both ways.
t_is "8 MiB out of the box, whole" "$(gssh k 'head -c 8388608 /dev/zero' </dev/null | wc -c)" 8388608
t_is "8 MiB into the box, whole" "$(head -c 8388608 /dev/zero | gssh k 'wc -c')" 8388608
head -c 300000 /dev/urandom > "$T/blob"
gscp k "$T/blob" "$BOX_USER@127.0.0.1:/tmp/blob" </dev/null 2>"$T/scp.err"
t_is "scp into the box" "$?" 0
printf 'get /tmp/blob %s\n' "$T/back" > "$T/batch"
gsftp k -b "$T/batch" "$BOX_USER@127.0.0.1" </dev/null >/dev/null 2>&1
t_ok "sftp gets it back unchanged" cmp -s "$T/blob" "$T/back"
t_is "a reconnect finds the same box" "$(gssh k 'cmp -s /tmp/blob /tmp/blob && hostname' </dev/null)" "box-${b:0:8}"

# ----------------------------------------------------- inside: its own machine
probe=$(gssh k 'exec 2>&1; cat /proc/1/cmdline | tr "\0" " "; echo;
	ls /sys/class/net | tr "\n" " "; echo;
	awk "/MemTotal/ { print \"mem\", int(\$2 / 1024) }" /proc/meminfo;
	echo "memory $(cat /sys/fs/cgroup/box/memory.max) swap $(cat /sys/fs/cgroup/box/memory.swap.max)";
	echo "cpus $(grep -c ^processor /proc/cpuinfo)";
	echo "pids $(cat /sys/fs/cgroup/box/pids.max)";
	echo "cg $(cat /proc/self/cgroup)";
	df -k /tmp | tail -1 | awk "{ print \"tmp\", \$2 }";
	grep -c " /home\| /usr/local/var\| /tmp/sshbox" /proc/mounts | sed "s/^/hostmounts /"' </dev/null)
t_like "the agent is the guest kernel's init" "$probe" "^/.sshbox/box-agent --vm $"
t_like "no network interface but loopback" "$probe" "^lo $"
t_like "the profile's memory (64m) limits the box's cgroup in the guest, no swap" "$probe" "^memory 67108864 swap 0$"
t_like "  the machine has 96m more for its kernel" "$probe" "^mem 1[0-5][0-9]$"
t_like "one vCPU" "$probe" "^cpus 1$"
t_like "the profile's process limit, in the guest" "$probe" "^pids 64$"
t_like "  every session under it" "$probe" "^cg 0::/box$"
t_like "/tmp is the profile's tmpfs" "$probe" "^tmp 16384$"
t_like "no file system of the host" "$probe" "^hostmounts 0$"
out=$(gssh k 'for i in $(seq 1 80); do sleep 30 & done 2>&1 | grep -c "fork\|Resource\|retry"; kill $(jobs -p) 2>/dev/null' </dev/null 2>&1)
t_like "more processes than the limit: refused" "$out" "^[1-9][0-9]*"

# The profile's disk size: the box's writes go to a layer of that size.
write_profile vmdisk "accel: tcg" "disk: 32m"
guest d vmdisk
out=$(gssh d 'dd if=/dev/zero of=/home/guest/fill bs=1M count=64 2>&1; echo "rc=$?"; du -m /home/guest/fill | cut -f1' </dev/null 2>&1)
t_like "disk: 32m: writing 64 MiB fails" "$out" "No space left on device"
t_like "  stopped at the layer's size" "$(tail -1 <<<"$out")" "^(2[0-9]|3[0-2])$"
$INVITE kill "$(box_of d)" >/dev/null 2>&1
# A read-only root, with the profile's tmpfs where it writes.
write_profile vmro "accel: tcg" "read_only: true" "tmpfs: [/tmp]"
guest o vmro
out=$(gssh o 'touch /home/guest/x 2>&1 || echo refused; touch /tmp/y && echo tmp-ok' </dev/null 2>&1)
t_like "read_only: the root is not writable" "$out" "Read-only file system"
t_like "  its tmpfs is" "$out" "tmp-ok"
t_like "  QEMU has the disk read-only too" \
	"$(tr '\0' ' ' < "/proc/$(vm_pid "$(box_of o)" qemu)/cmdline")" "format=qcow2,if=none,readonly=on"
$INVITE kill "$(box_of o)" >/dev/null 2>&1

# ------------------------------------------------------ QEMU, on the host
qpid=$(vm_pid "$b" qemu) mpid=$(vm_pid "$b" mux)
t_ok "QEMU runs" alive "$qpid"
t_is "  as the VM account, not root" "$(ps -o user= -p "$qpid")" "$VM_USER"
t_is "  every id dropped" "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$qpid/status")" \
	"$(id -u "$VM_USER")$(id -u "$VM_USER")$(id -u "$VM_USER")$(id -u "$VM_USER")"
t_is "  under a seccomp filter" "$(awk '/^Seccomp:/ { print $2 }' "/proc/$qpid/status")" 2
t_is "  chrooted to an empty directory" "$(readlink "/proc/$qpid/root")" "$OD/$b/empty"
t_is "  which is empty" "$(ls -A "$OD/$b/empty" | wc -l)" 0
mcg=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$qpid/cgroup")
t_is "  in a memory cgroup of its own" "$mcg" "/sshbox/$INSTANCE/$b"
t_is "  limited to the guest's memory and QEMU's own" \
	"$(cat "/sys/fs/cgroup/memory$mcg/memory.limit_in_bytes")" $(( (64 + 96 + 256) * 1024 * 1024 ))
t_is "  no network device on the command line" "$(tr '\0' '\n' < "/proc/$qpid/cmdline" | grep -c 'netdev\|virtio-net\|-nic')" 0
t_is "the link to the guest runs as the VM account too" "$(ps -o user= -p "$mpid")" "$VM_USER"
t_is "  and is the peer box-shell checks" "$(stat -c %U "$RUNTIME_DIR/$INSTANCE/$b/agent.sock")" "$VM_USER"
t_like "the guest's console goes to the link (which keeps 4 KiB), not to a file" \
	"$(tr '\0' ' ' < "/proc/$qpid/cmdline")" "socket,id=console,path=$OD/$b/console.sock"
t_is "  no file chardev at all" "$(tr '\0' '\n' < "/proc/$qpid/cmdline" | grep -c '^file')" 0

# ------------------------------------------------------------ pause (pools)
t_is "pause through box-runtime" "$(one "use microvm" "pause $b -")" ok
t_like "  QEMU stopped the guest" "$(qmp "$b" query-status)" '"status": *"paused"'
t_is "unpause" "$(one "use microvm" "unpause $b -")" ok
t_like "  running again" "$(qmp "$b" query-status)" '"status": *"running"'
t_is "  and answers" "$(gssh k 'echo back' </dev/null 2>&1)" back
t_like "another runtime's driver leaves it alone" "$(one "use runc" "destroy $b -")" \
	"^err 3 box $b was made by microvm"

# --------------------------------------------------------------- warm pools
# A pooled microVM is booted ahead and waits paused (QMP stop); a guest's
# claim resumes it: no boot in the guest's first session.
write_profile vmpool "accel: tcg" "pool: 1"
out=$(runuser -u "$BOX_USER" -- $REAPER --once --json 2>/dev/null)
t_is "a pool of 1: the reaper boots one" "$(jq -r .pool_made <<<"$out")" 1
pb=$($INVITE pools --json | jq -r '.[] | select(.profile == "vmpool" and .runtime == "microvm") | .id')
t_like "  it waits paused" "$(qmp "$pb" query-status)" '"status": *"paused"'
guest p vmpool
t_is "a guest's first session takes it" "$(gssh p 'hostname' </dev/null 2>&1)" "box-${pb:0:8}"
t_like "  running now" "$(qmp "$pb" query-status)" '"status": *"running"'
pool_refilled() {
	$INVITE pools --json | jq -e --arg b "$pb" '[.[] | select(.profile == "vmpool" and
		.status == "ready" and .id != $b)] | length == 1' >/dev/null
}
t_ok "  and the pool is refilled in the background" wait_for 90 pool_refilled
write_profile vmpool "accel: tcg" "pool: 0"
runuser -u "$BOX_USER" -- $REAPER --once >/dev/null 2>&1
t_is "  pool: 0 empties it" "$($INVITE pools --json | jq '[.[] | select(.profile == "vmpool")] | length')" 0
$INVITE kill "$pb" >/dev/null 2>&1
t_ok "  the claimed box killed: nothing of it left" nothing_of "$pb"

# ------------------------------------------------------------- kill, reaper
$INVITE kill "$b" >/dev/null 2>&1
t_is "kill ends the row" "$(status_of "$b")" destroyed
t_ok "  QEMU is gone" sh -c "! [ -d /proc/$qpid ] || [ \"\$(ps -o stat= -p $qpid | cut -c1)\" = Z ]"
t_ok "  nothing of it is left" nothing_of "$b"

orphan=$(openssl rand -hex 8)
t_like "a VM with no state row, made through box-runtime" \
	"$(one "create $orphan vm $(( $(date +%s) + 600 ))")" "^ok sshbox-$orphan$"
out=$(runuser -u "$BOX_USER" -- $REAPER --once --json 2>/dev/null)
t_is "  the reaper removes it" "$(jq -c '{orphans, errors}' <<<"$out")" '{"orphans":1,"errors":0}'
t_ok "  nothing of it is left" nothing_of "$orphan"
# A QEMU whose bundle went behind sshbox's back: still found, and ended.
orphan=$(openssl rand -hex 8)
one "create $orphan vm $(( $(date +%s) + 600 ))" >/dev/null
op=$(vm_pid "$orphan" qemu)
kill -9 "$(vm_pid "$orphan" mux)"
umount -l "$RUNTIME_DIR/$INSTANCE/$orphan" 2>/dev/null
rm -rf "${OD:?}/$orphan" "$RUNTIME_DIR/$INSTANCE/$orphan"
t_ok "a QEMU with no bundle runs on" alive "$op"
out=$(runuser -u "$BOX_USER" -- $REAPER --once --json 2>/dev/null)
t_is "  the reaper finds and ends it" "$(jq -c '{orphans, errors}' <<<"$out")" '{"orphans":1,"errors":0}'
t_ok "  gone" no_vm "$orphan"

# ------------------------------------------------------------------- faults
# QEMU killed in the middle of a session: one line, the box goes, the next
# session gets a new one.
gssh k 'echo started; sleep 120' </dev/null >"$T/qk.out" 2>"$T/qk.err" & sp=$!
t_ok "a session runs" wait_for 60 grep -q started "$T/qk.out"
b=$(box_of k)
kill -9 "$(vm_pid "$b" qemu)"
wait $sp; rc=$?
t_is "QEMU killed mid-session: the session ends (247)" "$rc" 247
t_is "  with one line" "$(cat "$T/qk.err")" "sshbox: your box went away"
t_is "  the next session is told the box stopped (251)" \
	"$(gssh k true </dev/null 2>"$T/qk2.err"; echo $?)" 251
t_like "  in one line" "$(cat "$T/qk2.err")" "^sshbox: your box stopped .*: connect again for a new one$"
t_ok "  and nothing of it is left" nothing_of "$b"
t_is "  the one after gets a new VM" "$(gssh k 'echo fresh' </dev/null 2>&1)" fresh

# A guest kernel panic (root in the box, through sysrq).
printf '%s\n' "image: $IMAGE" "runtime: microvm" "accel: tcg" "user: root" \
	"shell: /bin/sh" "workdir: /" "memory: 256m" "pids: 64" "linger: 30s" > "$T/profiles/vmroot.yaml"
guest r vmroot
t_is "root in a microVM" "$(gssh r 'id -u' </dev/null 2>&1)" 0
rb=$(box_of r)
gssh r 'echo c > /proc/sysrq-trigger; sleep 30' </dev/null >/dev/null 2>"$T/panic.err"; rc=$?
t_is "a kernel panic ends the session (247)" "$rc" 247
t_is "  with one line" "$(cat "$T/panic.err")" "sshbox: your box went away"
t_ok "  QEMU is gone (-no-reboot)" wait_for 20 no_vm "$rb"
t_like "  the console's panic line is kept for the host" \
	"$(cat "$OD/$rb/mux.log" 2>/dev/null)" "^console: .*Kernel panic - not syncing: sysrq triggered crash"
t_is "  the next session is told (251)" "$(gssh r true </dev/null >/dev/null 2>&1; echo $?)" 251
t_ok "  and nothing of the old one is left" nothing_of "$rb"
t_is "  the one after gets a new VM" "$(gssh r 'echo after-panic' </dev/null 2>&1)" after-panic

# An agent that never answers (the VM frozen): the session gives up with a
# line, the box is killed, nothing left.
rb=$(box_of r)
kill -STOP "$(vm_pid "$rb" qemu)"
out=$(gssh r 'echo never' </dev/null 2>&1); rc=$?
t_like "an agent that never answers: the session ends" "$rc" "^25[0-9]$"
t_like "  with one line" "$out" "^sshbox: .*agent"
kill -CONT "$(vm_pid "$rb" qemu)" 2>/dev/null
$INVITE kill "$rb" >/dev/null 2>&1
t_ok "  killed, nothing left" nothing_of "$rb"

# A VM that cannot boot its disk: one line, the invite use kept, nothing left.
mkdir -p "$T/badimg"
bad=sshbox/vm-broken:$(basename "$T" | tr -cd 'a-z0-9')
bid=0123456789abcdef
bdir=$OCI_IMAGES/${bad%:*}/${bad#*:}
mkdir -p "$bdir/$bid/rootfs/etc"
cp "$OCI_IMAGES/sshbox/busybox/latest/$(cat "$OCI_IMAGES/sshbox/busybox/latest/current")/rootfs/etc/passwd" "$bdir/$bid/rootfs/etc/"
head -c 1048576 /dev/zero > "$bdir/$bid/rootfs.ext4"	# no file system
chmod 600 "$bdir/$bid/rootfs.ext4"
echo $bid > "$bdir/current"
PROFILE_IMAGE=$bad write_profile vmbad "accel: tcg"
new_key f
tok=$($INVITE create --json --profile vmbad --uses 1)
gssh f redeem --bind-only "$(jq -r .token <<<"$tok")" </dev/null >/dev/null 2>&1
nb=$(ls "$OD" | grep -c .)
out=$(gssh f true </dev/null 2>&1); rc=$?
t_is "a VM that cannot mount its disk: exit 251" "$rc" 251
t_is "  one line from the guest's console" "$out" "sshbox: cannot start your box: the microVM stopped as it started: sshbox-init: cannot mount the disk"
t_is "  no box for the key" "$(box_of f)" ""
t_is "  no bundle left" "$(ls "$OD" | grep -c .)" "$nb"
t_is "  no QEMU of the image" "$(pgrep -c -f -- "vm-broken" || true)" 0
rm -rf "${OCI_IMAGES:?}/${bad%%/*}/vm-broken"

# The runtime's binary missing: one line, no use spent.
write_profile vmnoqemu "accel: tcg"
new_key m
tok=$($INVITE create --json --profile vmnoqemu --uses 1)
gssh m redeem --bind-only "$(jq -r .token <<<"$tok")" </dev/null >/dev/null 2>&1
t_like "the kernel missing from the store: one line" \
	"$(mv "$OCI_IMAGES/.microvm/vmlinuz" "$OCI_IMAGES/.microvm/vmlinuz.away"; gssh m true </dev/null 2>&1; mv "$OCI_IMAGES/.microvm/vmlinuz.away" "$OCI_IMAGES/.microvm/vmlinuz")" \
	"^sshbox: cannot start your box: no microVM kernel in .*images/build-microvm.sh builds it"
t_is "  the next try gets its box" "$(gssh m 'echo ok' </dev/null 2>&1)" ok
$INVITE kill "$(box_of m)" >/dev/null 2>&1

# accel: auto probes KVM once, bounded, and says what it chose.
write_profile vmauto "accel: auto"
guest a vmauto
t_is "accel auto: a box" "$(gssh a 'echo auto' </dev/null 2>&1)" auto
t_like "  the choice is remembered" "$(cat "$RUNTIME_DIR/.oci/.microvm-accel" 2>/dev/null)" "^(kvm|tcg) "
t_like "  doctor says which and why" \
	"$($INVITE doctor --sshd-config "$T/sshd_config" 2>&1 | grep -i 'microvm')" "(kvm|tcg|KVM|TCG)"
for b in $($INVITE boxes --json | jq -r '.[].id'); do $INVITE kill "$b" >/dev/null 2>&1; done
t_is "no VM of this bastion left" "$(pgrep -c -f -- "-initrd $OD/" || true)" 0
t_done
