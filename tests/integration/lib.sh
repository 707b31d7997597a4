# Shared harness for the integration tests: a whole bastion in a temporary
# directory (configuration, keys, state, profiles), a private sshd on a
# loopback port with the project's own drop-in from etc/, the stock ssh
# client, and real Docker boxes.  Prints TAP.  Sourced by each test.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${SSHD:=/usr/sbin/sshd}"
: "${sysconfdir:=/usr/local/etc}"
: "${localstatedir:=/usr/local/var}"
RUNTIME_DIR=$localstatedir/lib/sshbox-runtime
# The root-only list of configurations box-runtime serves besides the
# installed one (box-runtime(8)); each test adds its own and takes it out.
RUNTIME_CONFIGS=$sysconfdir/sshbox/box-runtime.configs
BOX_USER=box
IMAGE=sshbox/busybox:latest
# The OCI runtimes' image store (images/store.sh), as configure's default.
OCI_IMAGES=$localstatedir/lib/sshbox-images
# The runtime the test profiles use: docker (default), runc, crun, runsc,
# microvm.
TEST_RUNTIME=${SSHBOX_TEST_RUNTIME:-docker}
VM_USER=sshbox-vm

. "$top_srcdir/tests/integration/common.sh"

# ---------------------------------------------------------------- capability
[ "$(id -u)" = 0 ] || t_skip_all "needs root (creates the box account, runs sshd)"
[ -x "$SSHD" ] || t_skip_all "no sshd at $SSHD"
command -v ssh >/dev/null || t_skip_all "no ssh client"
command -v docker >/dev/null || t_skip_all "no docker client"
docker info >/dev/null 2>&1 || t_skip_all "Docker daemon not reachable"
docker image inspect "$IMAGE" >/dev/null 2>&1 ||
	t_skip_all "image $IMAGE missing (images/build-busybox.sh builds it)"
command -v jq >/dev/null || t_skip_all "no jq"

box_account
if [ "$TEST_RUNTIME" = microvm ]; then
	command -v qemu-system-x86_64 >/dev/null ||
		t_skip_all "no QEMU (apt-get install qemu-system-x86 qemu-utils)"
	[ -f "$OCI_IMAGES/.microvm/vmlinuz" ] ||
		t_skip_all "no microVM kernel in $OCI_IMAGES (images/build-microvm.sh)"
	vm_account
fi

# sshd runs an AuthorizedKeysCommand only if it and every directory above
# it are root-owned and not group- or world-writable: a build tree under
# /tmp (or a user's home) is not.  The programs are copied to such a place.
for p in box-authkeys box-shell box-invite box-reaper box-proxy box-runtime box-agent box-notify; do
	[ -x "$top_builddir/$p" ] || t_skip_all "$p is not built in $top_builddir"
done
mkdir -p /run/sshbox-test && chmod 755 /run/sshbox-test
BIN=$(mktemp -d /run/sshbox-test/bin.XXXXXX) && chmod 755 "$BIN" &&
	cp "$top_builddir"/box-authkeys "$top_builddir"/box-shell \
	   "$top_builddir"/box-invite "$top_builddir"/box-reaper \
	   "$top_builddir"/box-proxy "$top_builddir"/box-runtime \
	   "$top_builddir"/box-agent "$top_builddir"/box-notify "$BIN"/ &&
	chown root:"$(id -gn "$BOX_USER")" "$BIN/box-runtime" &&
	chmod 4750 "$BIN/box-runtime" ||
	{ echo "Bail out! cannot copy the programs to /run/sshbox-test"; exit 1; }
BUILD_DIR=$top_builddir		# the build tree itself, for test programs
top_builddir=$BIN

# ----------------------------------------------------------------- the bastion
T=$(mktemp -d /tmp/sshbox-it.XXXXXX)
chmod 755 "$T"
INSTANCE="it-$(basename "$T" | tr -cd 'A-Za-z0-9')"
mkdir -p "$T/profiles" "$T/keys" "$T/home"
CONF=$T/sshbox.yaml
INVITE="$top_builddir/box-invite -c $CONF"
REAPER="$top_builddir/box-reaper -c $CONF"

cleanup() {
	# A test's own services (a second dockerd) go first.
	[ -n "${TEST_CLEANUP:-}" ] && $TEST_CLEANUP
	# Processes a test left running as its guest account (agents).
	[ -n "${GUEST_USER:-}" ] && pkill -u "$GUEST_USER" 2>/dev/null
	[ -f "$T/sshd.pid" ] && kill "$(cat "$T/sshd.pid")" 2>/dev/null
	docker ps -aq --filter "label=io.sshbox.instance=$INSTANCE" |
		xargs -r docker rm -f >/dev/null 2>&1
	oci_cleanup "$INSTANCE"
	# Run directories (each a small tmpfs) of boxes removed by hand.
	for _r in "$RUNTIME_DIR/$INSTANCE"/*; do
		[ -d "$_r" ] && umount -l "$_r" 2>/dev/null
	done
	rm -rf "${RUNTIME_DIR:?}/$INSTANCE" "$RUNTIME_DIR/create-$INSTANCE.lock"
	allow_config remove
	if [ -n "${KEEP_TEST_DIR:-}" ]; then
		echo "# kept $T" >&2
	else
		rm -rf "$T" "$BIN"
	fi
}
trap cleanup EXIT

# oci_cleanup INSTANCE: every OCI box of the instance gone, by hand (the
# runtimes, mounts, bundles and run directories), whatever the test left.
oci_cleanup() {
	_od=$RUNTIME_DIR/.oci/$1
	[ -d "$_od" ] || return 0
	for _b in "$_od"/*; do
		[ -d "$_b" ] || continue
		_id=$(basename "$_b")
		for _rt in runc crun runsc; do
			[ -d "$_od/.$_rt" ] && command -v "$_rt" >/dev/null &&
				"$_rt" --root "$_od/.$_rt" delete --force "sshbox-$_id" >/dev/null 2>&1
		done
		# A microVM's QEMU and link, when they are still ours.
		for _n in mux qemu; do
			_p=$(cat "$_b/$_n.pid" 2>/dev/null) && [ -n "$_p" ] &&
				[ "$(stat -c %U "/proc/$_p" 2>/dev/null)" = "${VM_USER:-sshbox-vm}" ] &&
				kill -9 "$_p" 2>/dev/null
		done
		rmdir "/sys/fs/cgroup/memory/sshbox/$1/$_id" 2>/dev/null
		umount -l "$_b/rootfs" 2>/dev/null
		umount -l "$_b/layer" 2>/dev/null
		umount -l "$RUNTIME_DIR/$1/$_id" 2>/dev/null
		rm -rf "$_b" "$RUNTIME_DIR/$1/$_id"
	done
	rm -rf "$_od"
	# QEMU of the instance whose bundle went first.
	for _p in $(pgrep -f -- "-initrd $_od/" 2>/dev/null); do
		kill -9 "$_p" 2>/dev/null
	done
	rmdir "/sys/fs/cgroup/memory/sshbox/$1"/* "/sys/fs/cgroup/memory/sshbox/$1" 2>/dev/null
	return 0
}

# allow_config add [PATH...]: list PATH ($CONF) for box-runtime;
# allow_config remove: take out every path of this test's directory.
allow_config() {
	op=$1; shift
	[ $# -gt 0 ] || set -- "$CONF"
	(
		flock 9
		mkdir -p "$(dirname "$RUNTIME_CONFIGS")"
		touch "$RUNTIME_CONFIGS"
		grep -v "^$T/" "$RUNTIME_CONFIGS" > "$RUNTIME_CONFIGS.new" || :
		if [ "$op" = add ]; then
			grep "^$T/" "$RUNTIME_CONFIGS" >> "$RUNTIME_CONFIGS.new" || :
			printf '%s\n' "$@" >> "$RUNTIME_CONFIGS.new"
		fi
		chmod 644 "$RUNTIME_CONFIGS.new"
		mv "$RUNTIME_CONFIGS.new" "$RUNTIME_CONFIGS"
	) 9>/run/sshbox-test-configs.lock
}
allow_config add

write_conf() {	# write_conf PORT
	cat > "$CONF" <<EOC
box_user: $BOX_USER
state_dir: state
signing_key: keys/invite.key
verify_key: keys/invite.pub
profiles_dir: profiles
shell: $top_builddir/box-shell
host: 127.0.0.1
port: $1
instance: $INSTANCE
$( [ "${HOST_KEY:-}" = none ] || echo "host_key: ${HOST_KEY:-hostkey.pub}")
runtime:
  docker:
    socket: ${DOCKER_SOCK:-/var/run/docker.sock}
    timeout: 60s
$( [ "$OCI_IMAGES" = none ] || printf '  oci:\n    images: %s' "$OCI_IMAGES")
redeem:
  max_attempts: ${REDEEM_MAX:-50}
  window: 60s
staff:
  ca_key: keys/user_ca
  revoked_keys: keys/revoked.krl
${EXTRA_CONF:-}
EOC
}

# A test profile: the busybox image, short linger so tests are quick.
write_profile() {	# write_profile NAME [EXTRA YAML LINES...]
	name=$1; shift
	{
		echo "description: test profile"
		echo "image: ${PROFILE_IMAGE:-$IMAGE}"
		case " $* " in
		*" runtime: "*) ;;
		*) echo "runtime: $TEST_RUNTIME" ;;
		esac
		echo "ttl: 10m"
		echo "max_ttl: 1h"
		echo "linger: ${LINGER:-30s}"
		echo "user: guest"
		echo "shell: /bin/sh"
		echo "workdir: /home/guest"
		echo "memory: 64m"
		echo "pids: 64"
		for l in "$@"; do echo "$l"; done
	} > "$T/profiles/$name.yaml"
}

start_sshd() {
	mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey" >/dev/null
	sed -e "s|@pkglibexecdir@|$top_builddir|g" \
	    -e "s|@sshbox_config@|$CONF|g" \
	    -e "s|@sshbox_ca@|$T/keys/user_ca|g" \
	    -e "s|@sshbox_krl@|$T/keys/revoked.krl|g" \
	    -e "s|@box_user@|$BOX_USER|g" \
	    "$top_srcdir/etc/sshbox.conf.in" > "$T/sshbox.conf"
	for try in 1 2 3 4 5 6 7 8; do
		PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		write_conf "$PORT"
		cat > "$T/sshd_config" <<EOS
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/sshd.pid
UsePAM no
LogLevel VERBOSE
AuthorizedKeysFile none
PasswordAuthentication no
KbdInteractiveAuthentication no
Subsystem sftp /usr/lib/openssh/sftp-server
${SSHD_EXTRA:-}
Include $T/sshbox.conf
EOS
		"$SSHD" -t -f "$T/sshd_config" || { diag "sshd -t failed"; return 1; }
		"$SSHD" -f "$T/sshd_config" -E "$T/sshd.log"
		for i in $(seq 1 50); do
			if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then
				return 0
			fi
			[ -f "$T/sshd.pid" ] || sleep 0.1
			sleep 0.1
		done
		diag "sshd did not come up on port $PORT, retrying"
		[ -f "$T/sshd.pid" ] && kill "$(cat "$T/sshd.pid")" 2>/dev/null
	done
	return 1
}

# A bastion with state, signing key, the test profile and a running sshd.
setup_bastion() {
	write_profile test
	sed "s/^runtime: .*/runtime: $TEST_RUNTIME/" \
		"$top_srcdir/profiles/secure-shell.yaml" > "$T/profiles/secure-shell.yaml"
	start_sshd || { echo "Bail out! sshd did not start"; exit 1; }
	$INVITE init >/dev/null || { echo "Bail out! box-invite init failed"; exit 1; }
}

new_key() {	# new_key NAME: an ed25519 key pair at $T/NAME
	ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$T/$1" >/dev/null
}

fp_of() {	# fp_of NAME: the key's SHA256 fingerprint
	ssh-keygen -lf "$T/$1.pub" | awk '{print $2}'
}

# gssh KEY [SSH ARGS...]: the stock ssh client as a guest using key KEY.
gssh() {
	key=$1; shift
	ssh -F /dev/null -i "$T/$key" -o IdentitiesOnly=yes \
		-o IdentityAgent=none -o BatchMode=yes \
		-o UserKnownHostsFile="$T/known_hosts" \
		-o StrictHostKeyChecking=no -o LogLevel=ERROR \
		-o ConnectTimeout=20 -p "$PORT" "$BOX_USER@127.0.0.1" "$@"
}

# gscp KEY ARGS...: the stock scp as a guest using key KEY (the box as
# "$BOX_USER@127.0.0.1:PATH"); gsftp KEY ARGS...: the stock sftp.
gscp() {
	key=$1; shift
	scp -q -F /dev/null -i "$T/$key" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" \
		-o StrictHostKeyChecking=no -P "$PORT" "$@"
}
gsftp() {
	key=$1; shift
	sftp -q -F /dev/null -i "$T/$key" -o IdentitiesOnly=yes -o IdentityAgent=none \
		-o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" \
		-o StrictHostKeyChecking=no -P "$PORT" "$@"
}

new_invite() {	# new_invite [create args]: prints the token
	$INVITE create --json "$@" | jq -r .token
}

box_of() {	# box_of KEYNAME: id of the key's live box, or empty
	fp=$(fp_of "$1")
	$INVITE boxes --json | jq -r --arg fp "$fp" \
		'.[] | select(.key == $fp) | .id' | head -1
}

# containers DOCKER-PS-ARGS...: the ids docker ps -aq lists, one a line.
# When docker ps itself fails it prints DOCKER-PS-FAILED instead, so that
# "no container" never passes because Docker could not be asked.
containers() {
	_c=$(docker ps -aq "$@") || { echo DOCKER-PS-FAILED; return 0; }
	[ -z "$_c" ] || printf '%s\n' "$_c"
}

# A box's container, by its labels (docker), or its bundle (the OCI
# runtimes: the runtime's own state is checked where a test needs it); an
# empty box id, or Docker that cannot be asked, makes both checks fail.
box_containers() {
	if [ "$TEST_RUNTIME" = docker ]; then
		containers --filter "label=io.sshbox.box=$1" \
			--filter "label=io.sshbox.instance=$INSTANCE"
	elif [ -n "$1" ] && [ -d "$RUNTIME_DIR/.oci/$INSTANCE/$1" ]; then
		echo "$1"
	fi
}

# vm_pid BOXID NAME: the pid in a microVM box's bundle (qemu, mux).
vm_pid() {
	cat "$RUNTIME_DIR/.oci/$INSTANCE/$1/$2.pid" 2>/dev/null
}

# box_pid BOXID: the host pid of the box's init (under gVisor, of its
# sandbox; of a microVM, its QEMU), as the runtime reports it.
box_pid() {
	if [ "$TEST_RUNTIME" = microvm ]; then
		vm_pid "$1" qemu
	elif [ "$TEST_RUNTIME" = docker ]; then
		docker inspect -f '{{.State.Pid}}' "sshbox-$1"
	else
		"$TEST_RUNTIME" --root "$RUNTIME_DIR/.oci/$INSTANCE/.$TEST_RUNTIME" \
			state "sshbox-$1" | jq -r .pid
	fi
}

# box_running BOXID: true when the runtime says the box runs.
box_running() {
	if [ "$TEST_RUNTIME" = microvm ]; then
		_p=$(vm_pid "$1" qemu) && [ -n "$_p" ] &&
			[ "$(ps -o stat= -p "$_p" 2>/dev/null | cut -c1)" != Z ] &&
			[ -n "$(ps -o pid= -p "$_p" 2>/dev/null)" ]
	elif [ "$TEST_RUNTIME" = docker ]; then
		[ "$(docker inspect -f '{{.State.Running}}' "sshbox-$1" 2>/dev/null)" = true ]
	else
		[ "$("$TEST_RUNTIME" --root "$RUNTIME_DIR/.oci/$INSTANCE/.$TEST_RUNTIME" \
			state "sshbox-$1" 2>/dev/null | jq -r .status)" = running ]
	fi
}

# vanish_box BOXID: remove a box behind sshbox's back, as an operator or a
# runtime crash would.
vanish_box() {
	if [ "$TEST_RUNTIME" = microvm ]; then
		_od=$RUNTIME_DIR/.oci/$INSTANCE
		for _n in mux qemu; do
			_p=$(vm_pid "$1" $_n) && [ -n "$_p" ] && kill -9 "$_p" 2>/dev/null
		done
		sleep 0.2
		umount -l "$RUNTIME_DIR/$INSTANCE/$1" 2>/dev/null
		rm -rf "${_od:?}/$1" "$RUNTIME_DIR/$INSTANCE/$1"
		rmdir "/sys/fs/cgroup/memory/sshbox/$INSTANCE/$1" 2>/dev/null
	elif [ "$TEST_RUNTIME" = docker ]; then
		docker rm -f "sshbox-$1" >/dev/null
	else
		_od=$RUNTIME_DIR/.oci/$INSTANCE
		"$TEST_RUNTIME" --root "$_od/.$TEST_RUNTIME" delete --force "sshbox-$1" >/dev/null 2>&1
		umount -l "$_od/$1/rootfs" 2>/dev/null
		umount -l "$_od/$1/layer" 2>/dev/null
		umount -l "$RUNTIME_DIR/$INSTANCE/$1" 2>/dev/null
		rm -rf "${_od:?}/$1" "$RUNTIME_DIR/$INSTANCE/$1"
	fi
}
container_exists() {	# container_exists BOXID
	[ -n "$1" ] && _o=$(box_containers "$1") && [ -n "$_o" ] &&
		[ "$_o" != DOCKER-PS-FAILED ]
}
no_container() { [ -n "$1" ] && [ -z "$(box_containers "$1")" ]; }

wait_for() {	# wait_for SECONDS COMMAND...: poll until true
	limit=$1; shift
	end=$(( $(date +%s) + limit ))
	while ! "$@"; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.2
	done
}
