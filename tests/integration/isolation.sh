#!/bin/bash
# Containment, shown from inside real boxes through real sessions (a
# container, a gVisor sandbox or a microVM, SSHBOX_TEST_RUNTIME): a fork
# bomb stops at the pids limit, a memory hog is OOM-killed inside its own
# cgroup, a disk fill ends in ENOSPC on the box's tmpfs without touching
# the bastion's disk, a box without a network has only its own loopback,
# and escape probes (mount, unshare, chroot, /proc/sys and /sys writes,
# mknod, sethostname, setuid binaries, keyctl, bpf) are refused, for the
# guest user and for root in the box alike.  Meanwhile the session, the
# box and a neighbour's box carry on.
. "$(dirname "$0")/lib.sh"
setup_bastion

# A profile written whole (write_profile fixes user and workdir).
raw_profile() {	# raw_profile NAME [YAML LINES...]
	name=$1; shift
	printf '%s\n' "$@" > "$T/profiles/$name.yaml"
}
raw_profile root "description: root in the box" "image: $IMAGE" \
	"runtime: $TEST_RUNTIME" \
	"ttl: 10m" "max_ttl: 1h" "linger: 30s" "user: root" "shell: /bin/sh" \
	"workdir: /" "memory: 64m" "pids: 64" "read_only: false" \
	"cap_add: [SETUID, SETGID]"

guest() {	# guest KEY PROFILE: a key bound to an invite for PROFILE
	new_key "$1"
	gssh "$1" redeem --bind-only "$(new_invite --profile "$2")" \
		</dev/null 2>/dev/null
}

cname() { echo "sshbox-$(box_of "$1")"; }	# the key's container

cg_dir() {	# cg_dir KEY CONTROLLER: the box's cgroup directory on the host
	pid=$(box_pid "$(box_of "$1")")
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo "/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")"
	else
		echo "/sys/fs/cgroup/$2$(awk -F: -v c="$2" \
			'$2 ~ "(^|,)" c "(,|$)" { print $3 }' "/proc/$pid/cgroup")"
	fi
}

# cg_read KEY CONTROLLER FILE: a file of the box's cgroup.  A microVM's
# limits are those of a cgroup inside the guest, read through a session.
cg_read() {
	if [ "$TEST_RUNTIME" = microvm ]; then
		gssh "$1" "cat /sys/fs/cgroup/box/$3" </dev/null 2>/dev/null
	else
		cat "$(cg_dir "$1" "$2")/$3" 2>/dev/null
	fi
}

cg_val() {	# cg_val KEY CONTROLLER FILE NAME: N from the line "NAME N"
	cg_read "$1" "$2" "$3" | awk -v k="$4" '$1 == k { print $2 }'
}

oom_kills() {	# oom_kills KEY: processes the OOM killer took in the box
	if [ "$TEST_RUNTIME" = microvm ] ||
		[ -f "$(cg_dir "$1" memory)/memory.events" ]; then
		cg_val "$1" memory memory.events oom_kill
	else
		cg_val "$1" memory memory.oom_control oom_kill
	fi
}

between() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }	# between N LO HI

pids_hits() { cg_val "$1" pids pids.events max; }	# forks refused

# probes KEY: runs "NAME<tab>SHELL CODE" lines from stdin in the box, one
# line "NAME|STATUS|OUTPUT" each, into $T/probes.KEY.
probes() {
	{
		# shellcheck disable=SC2016
		echo 'while IFS="	" read -r n c; do o=$(eval "$c" 2>&1 </dev/null); r=$?; echo "$n|$r|$(echo $o)"; done <<"EOP"'
		cat
		echo 'EOP'
	} > "$T/probes.$1.sh"
	gssh "$1" 'sh -s' < "$T/probes.$1.sh" > "$T/probes.$1" 2>&1
}
res() { grep "^$2|" "$T/probes.$1" | head -1 | cut -d'|' -f2-; }	# res KEY NAME
refused() {	# refused KEY NAME PATTERN...: failed, saying PATTERN
	r=$(res "$1" "$2")
	t_like "$1: $2 refused" "$r" "^[1-9][0-9]*\|.*($3)"
}

guest g test		# the box under attack
guest n test		# its neighbour, same profile
guest s secure-shell	# the shipped locked-down profile
guest r root		# root in the box, SETUID and SETGID added

t_is "neighbour's box is up" "$(gssh n 'echo up' </dev/null)" up
t_is "attacker's box is up" "$(gssh g 'echo up' </dev/null)" up

# ------------------------------------------------------------ 1. fork bomb
# (Under gVisor the host's limit is the sandbox's: the guest's 64 and the
# sandbox's own threads, lib/runtime/oci.c.)
pids_max=64
[ "$TEST_RUNTIME" = runsc ] && pids_max=$((64 + 256))
t_is "box has a pids limit of 64" "$(cg_read g pids pids.max)" "$pids_max"
t_is "no fork refused in the box yet" "$(pids_hits g)" 0

if [ "$TEST_RUNTIME" = runsc ]; then
# gVisor (Debian's runsc of 2022-12, ptrace platform) maps each guest
# process onto host processes and threads of its sandbox: the box's host
# process limit is met by the sandbox itself before a guest fork fails,
# and the sandbox ends.  The bomb takes down the guest's own box, nothing
# else; the reaper removes what is left, and the next login gets a box.
gb=$(box_of g)
out=$(gssh g 'n=0; while [ $n -lt 500 ]; do sleep 300 & n=$((n+1)); done; echo "all $n started"' </dev/null 2>&1)
diag "bomb: $(echo $out)"
t_ok "the bomb never got its 500 processes" sh -c "! printf '%s' \"\$1\" | grep -q 'all 500 started'" _ "$out"
t_like "it ended the guest's own sandbox, saying so" "$out" "your box went away|can't fork|Resource temporarily unavailable"
t_is "while it ran, the neighbour's box answers" "$(gssh n 'echo up' </dev/null)" up
t_is "and forks freely" "$(gssh n 'for i in 1 2 3; do (true); done; echo $(echo ok)' </dev/null)" ok
out=$($REAPER --once --json)
if box_running "$gb"; then
	t_ok "the box survived: the reaper leaves it" [ "$(jq -r .vanished <<<"$out")" = 0 ]
else
	t_is "the stopped box: the reaper removes it and ends its row" \
		"$(jq -r .vanished <<<"$out"):$($INVITE boxes --all --json | jq -r --arg b "$gb" '.[] | select(.id == $b) | .end_reason')" \
		"1:box stopped"
fi
box_running "$gb" ||
	t_is "no process of the stopped box is left on the host" \
		"$(pgrep -c -f "$RUNTIME_DIR/.oci/$INSTANCE/$gb")" 0
g_ok() { [ "$(gssh g 'echo $(echo ok)' </dev/null 2>/dev/null)" = ok ]; }
t_ok "the guest's next session works again" wait_for 30 g_ok
t_is "the neighbour's box is the same, untouched" "$(pids_hits n)" 0
else
# The bomb: 500 background sleeps from an inner shell, which dies at the
# first refused fork.  The outer shell then only uses builtins (a fork
# would fail too): it counts the processes, waits for a line on stdin
# while the box is full, then kills the sleeps it recorded.  (In a
# microVM /proc shows the guest kernel's threads too: the box's processes
# are those of its cgroup, whose count it reads while no session can
# start there.)
mkfifo "$T/bomb.in"
# shellcheck disable=SC2016
gssh g 'rm -f /tmp/bomb
sh -c '\''n=0; while [ $n -lt 500 ]; do sleep 300 & echo $! >> /tmp/bomb; n=$((n+1)); done; echo "all $n started"'\''
cg=/sys/fs/cgroup/box
if [ -r $cg/cgroup.procs ]; then np=0; while read -r p; do np=$((np+1)); done < $cg/cgroup.procs
read -r cur < $cg/pids.current; else set -- /proc/[0-9]*; np=$#; cur=; fi
n=0
while read -r p; do n=$((n+1)); done < /tmp/bomb
echo "full procs=$np started=$n cur=$cur"
read -r go
while read -r p; do kill "$p"; done < /tmp/bomb
echo released' <"$T/bomb.in" >"$T/bomb.out" 2>"$T/bomb.err" &
bomb=$!
exec 7>"$T/bomb.in"
wait_for 60 grep -q '^full ' "$T/bomb.out"
full=$(grep '^full ' "$T/bomb.out")
procs=$(printf '%s' "$full" | sed -n 's/.*procs=\([0-9]*\).*/\1/p')
started=$(printf '%s' "$full" | sed -n 's/.*started=\([0-9]*\).*/\1/p')
diag "bomb: $full"
# (stderr apart: its lines may land in the middle of stdout's.)
t_like "fork refused in the box (EAGAIN)" "$(cat "$T/bomb.err")" \
	"can't fork|Resource temporarily unavailable"
t_ok "the bomb got far, but not its 500 processes (${started:-none})" \
	between "$started" 30 499
t_ok "processes in the box at or below 64 (saw ${procs:-none})" \
	between "$procs" 1 64
if [ "$TEST_RUNTIME" = microvm ]; then
	cur=$(printf '%s' "$full" | sed -n 's/.*cur=\([0-9]*\).*/\1/p')
else
	cur=$(cat "$(cg_dir g pids)/pids.current")
fi
t_ok "the box's pids cgroup is full but at most 64 ($cur)" between "$cur" 60 64
t_is "while it is full, the neighbour's box answers" \
	"$(gssh n 'echo up' </dev/null)" up
t_is "and forks freely" "$(gssh n 'for i in 1 2 3; do (true); done; echo $(echo ok)' </dev/null)" ok
echo go >&7
exec 7>&-
wait "$bomb"; rc=$?
t_is "the bomb's own session survives and ends cleanly" "$rc" 0
t_like "it released what it held" "$(cat "$T/bomb.out")" '^released$'
t_ok "the kernel counted refused forks" [ "$(pids_hits g)" -gt 0 ]
g_ok() { [ "$(gssh g 'echo $(echo ok)' </dev/null 2>/dev/null)" = ok ]; }
t_ok "the guest's next session works again" wait_for 30 g_ok
t_is "the neighbour saw no refused fork" "$(pids_hits n)" 0
fi

# Where stderr and stdout are read together, they are merged inside the
# box ("exec 2>&1"), so that lines cannot interleave on the way.

# ---------------------------------------------------------- 2. memory hog
mem_limit() {	# mem_limit KEY: the box's memory limit, and with swap
	if [ "$TEST_RUNTIME" = microvm ]; then
		_m=$(cg_read "$1" memory memory.max) _s=$(cg_read "$1" memory memory.swap.max)
		echo "$_m $(( _m + ${_s:-0} ))"
		return
	fi
	_d=$(cg_dir "$1" memory)
	if [ -f "$_d/memory.max" ]; then
		echo "$(cat "$_d/memory.max") $(( $(cat "$_d/memory.max") + $(cat "$_d/memory.swap.max" 2>/dev/null || echo 0) ))"
	else
		echo "$(cat "$_d/memory.limit_in_bytes") $(cat "$_d/memory.memsw.limit_in_bytes" 2>/dev/null || cat "$_d/memory.limit_in_bytes")"
	fi
}
t_is "box has a 64 MiB memory limit, no swap beyond it" "$(mem_limit g)" \
	"67108864 67108864"
b_before=$(box_of g)
h_before=$(gssh g hostname </dev/null)
oom0=$(oom_kills g)
# awk doubles a string to 128 MiB: it really allocates (heap), a few
# times its 64 MiB limit, and is well within reach without the limit.
out=$(gssh g 'exec 2>&1; awk "BEGIN { s = \"0123456789abcdef\"; while (length(s) < 100000000) s = s s; print \"grew to \" length(s) }"; echo "hog=$?"; echo "session alive"' </dev/null 2>&1); rc=$?
diag "hog: $(echo $out)"
t_ok "it never got its 128 MiB" sh -c "! printf '%s' \"\$1\" | grep -q 'grew to'" _ "$out"
if [ "$TEST_RUNTIME" = runsc ]; then
	# Under gVisor the guest's memory is the sandbox's: the host's OOM
	# killer, in the box's cgroup, ends the sandbox, and the guest is
	# told.  Nothing else is touched; the next login gets a new box.
	t_like "the guest's own sandbox was ended, saying so" "$out" \
		"your box went away|^hog=137$"
	t_is "the session ended with its box (exit 247)" "$rc" 247
	$REAPER --once >/dev/null 2>&1
	t_is "a new box for the next login" \
		"$(gssh g 'echo up' </dev/null 2>&1):$( [ "$(box_of g)" != "$b_before" ] && echo new)" "up:new"
else
t_like "the hog was SIGKILLed (137)" "$out" '^hog=137$'
t_like "the shell that ran it lives on" "$out" '^session alive$'
t_is "the session ends normally" "$rc" 0
t_ok "the OOM killer acted in the box's own cgroup (${oom0:-?} -> $(oom_kills g))" \
	[ "$(oom_kills g)" -gt "${oom0:-0}" ]
t_ok "the box is still running" box_running "$(box_of g)"
t_is "and is the same box" "$(box_of g):$(gssh g hostname </dev/null)" \
	"$b_before:$h_before"
fi
t_is "no OOM kill in the neighbour's box" "$(oom_kills n)" 0
t_is "the neighbour still answers" "$(gssh n 'echo up' </dev/null)" up

# ---------------------------------------------------------- 3. disk fill
avail0=$(df -Pk / | awk 'NR == 2 { print $4 }')
out=$(gssh s 'exec 2>&1; dd if=/dev/zero of=/tmp/fill bs=1M count=100; echo "tmp=$?"
echo "size $(stat -c %s /tmp/fill)"
dd if=/dev/zero of=/home/guest/fill bs=1M count=100; echo "home=$?"
echo "homesize $(stat -c %s /home/guest/fill 2>/dev/null || echo 0)"' </dev/null 2>&1)
avail1=$(df -Pk / | awk 'NR == 2 { print $4 }')
diag "fill: $(echo $out)"
t_like "secure-shell: filling /tmp ends in ENOSPC" "$out" "/tmp/fill'?: No space left on device"
t_like "dd into /tmp failed" "$out" '^tmp=[1-9]'
t_is "/tmp stopped at tmpfs_size (32m)" "$(printf '%s\n' "$out" | sed -n 's/^size //p')" 33554432
# The home is a tmpfs of the same size, owned by the guest (uid=/gid=
# from the numeric profile user): writable, and full at 32m.
home=$(printf '%s\n' "$out" | sed -n 's/^homesize //p')
t_like "dd into /home/guest failed" "$out" '^home=[1-9]'
t_is "/home/guest is the guest's and stops at tmpfs_size" "$home" 33554432
# 200 MB were asked for; at most 64 MB landed in tmpfs (memory).  Leave
# room for whatever else runs on the bastion.
drop=$(( (avail0 - avail1) / 1024 ))
t_ok "the bastion's / lost no space to it (${drop} MB)" [ "$drop" -lt 48 ]
out=$(gssh s 'exec 2>&1; rm -f /tmp/fill /home/guest/fill
for d in / /etc /bin /home; do touch "$d/x" && echo "wrote $d"; done
dd if=/dev/zero of=/dev/shm/fill bs=1M count=100 2>&1; echo "shm=$?"; rm -f /dev/shm/fill' </dev/null 2>&1)
t_ok "secure-shell: nothing writable on the root" \
	sh -c "! printf '%s' \"\$1\" | grep -q '^wrote'" _ "$out"
if [ "$TEST_RUNTIME" = runsc ]; then
	# gVisor checks permissions before the mount's read-only flag.
	t_like "because it is a read-only file system" \
		"$(gssh s 'awk "\$2 == \"/\" { print \$4 }" /proc/mounts' </dev/null)" '^ro(,|$)'
else
t_is "because it is a read-only file system" \
	"$(printf '%s\n' "$out" | grep -c 'Read-only file system')" 4
fi
t_like "/dev/shm is a bounded tmpfs too" "$out" '^shm=[1-9]'
gssh s 'cp /bin/busybox /tmp/bb && /tmp/bb true' </dev/null >/dev/null 2>&1
t_ok "secure-shell: a binary copied to /tmp cannot run (noexec)" [ $? -ne 0 ]
t_is "the box still works after the fill" "$(gssh s 'echo ok' </dev/null)" ok

# -------------------------------------------------------------- 4. network
t_is "secure-shell: only lo in /sys/class/net" "$(gssh s 'ls /sys/class/net' </dev/null)" lo
t_is "test profile: only lo in /sys/class/net" "$(gssh g 'ls /sys/class/net' </dev/null)" lo
t_is "no routes in the box" "$(gssh s 'tail -n +2 /proc/net/route | wc -l' </dev/null)" 0
banner=$( (exec 3<>"/dev/tcp/127.0.0.1/$PORT" && head -c 7 <&3) 2>/dev/null)
t_is "control: the host's sshd answers on 127.0.0.1:$PORT" "$banner" SSH-2.0
out=$(gssh s "exec 2>&1; nc -w 3 127.0.0.1 $PORT </dev/null; echo \"nc=\$?\"" </dev/null 2>&1)
t_like "from the box, 127.0.0.1:$PORT is refused" "$out" 'Connection refused'
t_like "nc failed" "$out" '^nc=[1-9]'
t_ok "and no SSH banner came back" sh -c "! printf '%s' \"\$1\" | grep -q SSH-" _ "$out"
# shellcheck disable=SC2016
t_is "control: the box's own loopback works" "$(gssh s 'nc -l -p 4242 -e echo inside &
i=0; until o=$(nc -w 2 127.0.0.1 4242 </dev/null 2>/dev/null) && [ -n "$o" ]; do
	i=$((i + 1)); [ $i -ge 100 ] && break; sleep 0.1; done; echo "$o"' </dev/null)" inside

# ------------------------------------------------------ 5. escape probes
P=
if command -v gcc >/dev/null && cat > "$T/probe.c" <<'EOC' &&
/* Try one thing a box must refuse; print "WHAT: allowed" or the errno. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static int
report(const char *what, long rc)
{
	int e = errno;

	if (rc >= 0) {
		printf("%s: allowed\n", what);
		return 0;
	}
	printf("%s: %s\n", what, e == EPERM ? "EPERM" : e == EACCES ?
	    "EACCES" : e == ENOSYS ? "ENOSYS" : strerror(e));
	return 1;
}

int
main(int argc, char **argv)
{
	unsigned int attr[32];

	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "euid") == 0)
		return printf("%d\n", (int)geteuid()) < 0;
	if (strcmp(argv[1], "keyctl") == 0)	/* GET_KEYRING_ID, session, create */
		return report("keyctl", syscall(SYS_keyctl, 0, -3, 1));
	if (strcmp(argv[1], "add_key") == 0)
		return report("add_key", syscall(SYS_add_key, "user", "sshbox",
		    "x", 1, -3));
	if (strcmp(argv[1], "bpf") == 0) {	/* MAP_CREATE, 1-entry array */
		memset(attr, 0, sizeof(attr));
		attr[0] = 2; attr[1] = 4; attr[2] = 4; attr[3] = 1;
		return report("bpf", syscall(SYS_bpf, 0, attr, sizeof(attr)));
	}
	if (strcmp(argv[1], "userns") == 0)
		return report("userns", unshare(CLONE_NEWUSER));
	if (strcmp(argv[1], "clone3") == 0) {	/* into the root cgroup */
		unsigned long long a[11];
		int fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY);
		long rc;

		memset(a, 0, sizeof(a));
		a[0] = 0x200000000ULL;	/* CLONE_INTO_CGROUP */
		a[4] = SIGCHLD;		/* exit_signal */
		a[10] = fd < 0 ? 0 : (unsigned long long)fd;	/* cgroup */
		rc = syscall(SYS_clone3, a, sizeof(a));
		if (rc == 0)
			_exit(0);
		return report("clone3", rc);
	}
	return 2;
}
EOC
	gcc -static -O2 -o "$T/probe" "$T/probe.c" 2>"$T/gcc.err" &&
	[ "$("$T/probe" keyctl)" = "keyctl: allowed" ]; then
	P=$T/probe
	diag "probe on the host: $(for c in keyctl add_key bpf userns; do "$T/probe" $c; done | tr '\n' ' ')"
else
	diag "no gcc -static (or keyctl not allowed on the host): skipping the keyctl, bpf and setuid probes"
fi

# The same shell probes for guest (secure-shell) and root.
shell_probes() {
	cat <<'EOP'
mount	mkdir -p /tmp/m && mount -t tmpfs none /tmp/m
mounted	grep -q " /tmp/m " /proc/mounts
unshare-U	unshare -U true
unshare-Ur	unshare -Ur true
unshare-m	unshare -m true
unshare-n	unshare -n true
chroot	chroot / true
procsys	echo box > /proc/sys/kernel/hostname
dropcaches	echo 3 > /proc/sys/vm/drop_caches
corepattern	echo "|/tmp/x" > /proc/sys/kernel/core_pattern
sys	echo 1 > /sys/kernel/profiling
sysnet	echo 1280 > /sys/class/net/lo/mtu
hostname	hostname evil
mknod	mknod /tmp/sda b 8 0
kmod	modprobe dummy
nsenter	nsenter -t 1 -m -u -i -n -p true
id	id -u
caps	grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status | tr "\t" " "
EOP
}
DENIED='not permitted|denied|Read-only file system|are you root|No such file'

for k in s r; do
	shell_probes | probes $k
	refused $k mount 'not permitted|denied|are you root'
	t_like "$k: nothing got mounted" "$(res $k mounted)" '^1\|'
	if [ "$TEST_RUNTIME" = runsc ]; then
		# gVisor's own kernel implements user namespaces for the
		# guest: made there, they reach nothing of the host's.
		t_like "$k: unshare-U: gVisor's own user namespace" "$(res $k unshare-U)" '^0\|'
		t_like "$k: unshare-Ur: no setgroups to map in gVisor" "$(res $k unshare-Ur)" \
			"^[1-9][0-9]*\|.*(not permitted|setgroups)"
	else
	refused $k unshare-U 'not permitted'
	refused $k unshare-Ur 'not permitted'
	fi
	refused $k unshare-m 'not permitted'
	refused $k unshare-n 'not permitted'
	refused $k chroot 'not permitted'
	refused $k procsys 'Read-only file system|denied'
	refused $k dropcaches 'Read-only file system|denied'
	refused $k corepattern 'Read-only file system|denied'
	refused $k sys 'Read-only file system|denied'
	refused $k sysnet 'Read-only file system|denied'
	refused $k hostname 'not permitted'
	if [ "$TEST_RUNTIME" = runsc ] && [ "$(res $k mknod)" = "0|" ]; then
		# gVisor lets a node be made in its own tmpfs; it has no such
		# device behind it.
		t_like "$k: mknod in gVisor: a node with no device behind it" \
			"$(gssh $k 'exec 2>&1; head -c1 /tmp/sda; echo "rc=$?"' </dev/null)" \
			'rc=[1-9]'
	else
		refused $k mknod 'not permitted'
	fi
	refused $k kmod "$DENIED|not found|can't"
	refused $k nsenter 'not permitted|denied|No such file'
done
t_is "s: the guest is uid 1000" "$(res s id)" '0|1000'
# (gVisor's /proc shows no NoNewPrivs, and its filters are the sandbox's,
# below the guest kernel: the guest's own seccomp is none.)
if [ "$TEST_RUNTIME" = runsc ]; then nnp='' filt='Seccomp: 0'
else nnp='NoNewPrivs: 1 ' filt='Seccomp: 2'; fi
t_is "s: no capabilities, no_new_privs, seccomp filter" "$(res s caps)" \
	"0|CapEff: 0000000000000000 CapBnd: 0000000000000000 $nnp$filt"
t_is "r: really root in the box" "$(res r id)" '0|0'
# SETUID (7) and SETGID (6) only: no SYS_ADMIN, even in the bounding set.
t_is "r: root holds only SETUID+SETGID, no_new_privs, seccomp filter" "$(res r caps)" \
	"0|CapEff: 00000000000000c0 CapBnd: 00000000000000c0 $nnp$filt"
t_is "r: the hostname is unchanged" "$(gssh r hostname </dev/null)" "box-$(box_of r | cut -c1-8)"
if [ "$TEST_RUNTIME" = microvm ]; then
	# The guest kernel's own /dev (its disk, console, userfaultfd and
	# the rest, all root's) is replaced before any session.
	t_is "r: the VM's /dev is a container's, none of its kernel's devices" \
		"$(gssh r 'ls /dev | tr "\n" " "' </dev/null)" \
		"fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "
fi

if [ -n "$P" ]; then
	# The guest (test profile: writable root, so its home is not noexec).
	t_is "g: the probe arrives" "$(gssh g 'cat > probe && chmod +x probe && ./probe euid' <"$P" 2>&1)" 1000
	cs="keyctl add_key bpf userns clone3"
	if [ "$TEST_RUNTIME" = runsc ]; then
		cs="keyctl add_key bpf clone3"
		t_like "g: userns: gVisor's own, for the guest" \
			"$(gssh g "./probe userns" </dev/null 2>&1)" "^userns: allowed"
	fi
	for c in $cs; do
		t_like "g: $c refused for the guest" \
			"$(gssh g "./probe $c; echo rc=\$?" </dev/null 2>&1)" \
			"^$c: (EPERM|EACCES|ENOSYS)"
	done
	# Root in the box makes a setuid-root copy on a mount without nosuid
	# and runs it as guest: no_new_privs keeps the guest's uid.
	t_is "r: the probe arrives, setuid root" \
		"$(gssh r 'cat > /probe && chmod 4755 /probe && ls -ln /probe' <"$P" 2>&1 | awk '{print $1, $3}')" \
		'-rwsr-xr-x 0'
	opts=$(gssh r "awk '\$2 == \"/\" { print \$4 }' /proc/mounts" </dev/null)
	t_ok "r: the root filesystem honours setuid bits (no nosuid: $opts)" \
		sh -c "printf '%s' \"\$1\" | grep -q '^rw' && ! printf '%s' \"\$1\" | grep -q nosuid" _ "$opts"
	t_is "r: root can become guest (su)" \
		"$(gssh r "su -s /bin/sh guest -c 'id -u'" </dev/null 2>&1)" 1000
	t_is "r: a setuid-root binary run by guest stays uid 1000" \
		"$(gssh r "su -s /bin/sh guest -c '/probe euid'" </dev/null 2>&1)" 1000
	[ "$TEST_RUNTIME" = runsc ] &&
		t_like "r: userns: gVisor's own, for root" \
			"$(gssh r "/probe userns" </dev/null 2>&1)" "^userns: allowed"
	for c in $cs; do
		t_like "r: $c refused for root" \
			"$(gssh r "/probe $c; echo rc=\$?" </dev/null 2>&1)" \
			"^$c: (EPERM|EACCES|ENOSYS)"
	done
fi
t_is "the neighbour's box still answers at the end" "$(gssh n 'echo up' </dev/null)" up
t_done
