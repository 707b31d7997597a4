# Sourced by images/build-*.sh: put a built root tree where the box
# runtimes find it.
#
# image_store TAG ROOT
#   - Docker, when a daemon answers (or SSHBOX_IMAGE_TARGETS names docker):
#     imported as TAG;
#   - the OCI image store of the runc, crun and runsc runtimes
#     (SSHBOX_IMAGES, default /var/lib/sshbox-images; sshbox.yaml's
#     runtime.oci.images): an unpacked copy in NAME/TAG/ID/rootfs, ID the
#     digest of the tree, and NAME/TAG/current naming it, replaced last.
#     A rebuilt image is a new directory: boxes of the old one keep
#     theirs, which is removed once no box mounts it.
# SSHBOX_IMAGE_TARGETS: "docker oci" (default: oci, and docker when a
# daemon answers).

image_store() {
	_tag=$1 _root=$2
	_targets=${SSHBOX_IMAGE_TARGETS:-}
	if [ -z "$_targets" ]; then
		_targets=oci
		if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
			_targets="docker oci"
		fi
	fi
	for _t in $_targets; do
		case $_t in
		docker) _store_docker "$_tag" "$_root" ;;
		oci) _store_oci "$_tag" "$_root" ;;
		*) echo "image_store: unknown target $_t" >&2; return 1 ;;
		esac
	done
}

_store_docker() {
	tar -C "$2" --numeric-owner -c . | docker import \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'ENV HOME=/home/guest' \
		--message "sshbox image $1" - "$1" >/dev/null
	echo "built $1 (docker)"
}

_store_oci() {
	_store=${SSHBOX_IMAGES:-/var/lib/sshbox-images}
	case $1 in
	*:*) _dir=$_store/${1%:*}/${1##*:} ;;
	*) _dir=$_store/$1/latest ;;
	esac
	# The store is root's alone (0700): images carry setuid programs
	# (su, passwd, mount) that no account of the bastion may run from
	# here.  Every directory above it must be root's and not writable by
	# others: box-runtime refuses it otherwise.  Boxes see the tree
	# through their overlay, made by root.
	mkdir -p "$_dir"
	chmod 700 "$_store"
	_id=$(tar -C "$2" --numeric-owner --sort=name --mtime=@0 -c . |
		sha256sum | cut -c1-16)
	if [ ! -d "$_dir/$_id/rootfs" ]; then
		rm -rf "$_dir/$_id.new"
		mkdir -p "$_dir/$_id.new"
		cp -a "$2" "$_dir/$_id.new/rootfs"
		chmod 755 "$_dir/$_id.new"
		# The microvm runtime's disk, where it can run.
		if command -v qemu-system-x86_64 >/dev/null 2>&1 &&
		    command -v mkfs.ext4 >/dev/null 2>&1; then
			_store_vm_disk "$_dir/$_id.new"
		fi
		mv "$_dir/$_id.new" "$_dir/$_id"
	fi
	echo "$_id" > "$_dir/current.new"
	chmod 644 "$_dir/current.new"
	mv "$_dir/current.new" "$_dir/current"
	# Older versions no box mounts any more.
	for _old in "$_dir"/*/; do
		_old=${_old%/}
		[ "$(basename "$_old")" = "$_id" ] && continue
		grep -q "lowerdir=$_old/rootfs" /proc/mounts 2>/dev/null && continue
		rm -rf "$_old"
	done
	echo "built $1 (oci: $_dir/$_id)"
}

# _store_vm_disk DIR: DIR/rootfs.ext4 from DIR/rootfs, for the microvm
# runtime (a read-only backing file under each VM's own overlay), with
# SSHBOX_VM_DISK_FREE bytes free (default 256m) and /.sshbox, where the
# VM's init puts box-agent.
_store_vm_disk() {
	[ -f "$1/rootfs.ext4" ] && return 0
	_free=${SSHBOX_VM_DISK_FREE:-268435456}
	_used=$(du -sk --apparent-size "$1/rootfs" | cut -f1)
	_kb=$(( (_used * 5 / 4) + (_free / 1024) + 8192 ))
	rm -f "$1/rootfs.ext4.new"
	truncate -s "${_kb}K" "$1/rootfs.ext4.new"
	mkfs.ext4 -q -F -m 0 -L sshbox -E lazy_itable_init=0 \
		-d "$1/rootfs" "$1/rootfs.ext4.new"
	for _d in .sshbox dev proc sys tmp; do
		[ -e "$1/rootfs/$_d" ] || debugfs -w -R "mkdir $_d" "$1/rootfs.ext4.new" >/dev/null 2>&1
	done
	chmod 600 "$1/rootfs.ext4.new"
	mv "$1/rootfs.ext4.new" "$1/rootfs.ext4"
	echo "built $1/rootfs.ext4 (microvm)"
}
