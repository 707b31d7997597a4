#!/bin/sh
# Build what the microvm runtime boots, offline, from Debian's packages:
#   STORE/.microvm/vmlinuz     the host's linux-image-cloud-amd64 kernel
#   STORE/.microvm/initrd.img  busybox-static, the virtio modules that
#                              kernel needs, and /init (below)
#   STORE/NAME/TAG/ID/rootfs.ext4  for every image already in the store
#                              (images/build-*.sh make it for new ones)
# STORE is SSHBOX_IMAGES (default /var/lib/sshbox-images).  The driver
# appends box-agent to the initrd of each VM it starts (a second cpio
# archive), so that an upgraded agent needs no rebuild here.
# Usage: images/build-microvm.sh
set -eu
store=${SSHBOX_IMAGES:-/var/lib/sshbox-images}
bb=/bin/busybox
kver=${SSHBOX_VM_KERNEL:-}
if [ -z "$kver" ]; then
	# The newest cloud kernel installed.
	kver=$(ls /boot 2>/dev/null | sed -n 's/^vmlinuz-\(.*-cloud-amd64\)$/\1/p' | sort -V | tail -n 1)
fi
[ -n "$kver" ] && [ -f "/boot/vmlinuz-$kver" ] || {
	echo "build-microvm: no cloud kernel in /boot: apt-get install linux-image-cloud-amd64" >&2
	exit 1
}
[ -x "$bb" ] && ! ldd "$bb" >/dev/null 2>&1 || {
	echo "build-microvm: $bb missing or dynamic: apt-get install busybox-static" >&2
	exit 1
}
mods=/lib/modules/$kver
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ird=$work/initrd
mkdir -p "$ird/bin" "$ird/dev" "$ird/proc" "$ird/sys" "$ird/newroot" "$ird/lib/modules"
cp "$bb" "$ird/bin/busybox"
for app in sh mount umount mkdir insmod switch_root cat sleep echo poweroff cp chmod; do
	ln -s busybox "$ird/bin/$app"
done
# In load order: each after what it depends on.
for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_mmio \
	drivers/block/virtio_blk drivers/char/virtio_console fs/overlayfs/overlay; do
	f=$mods/kernel/$m.ko
	if [ ! -f "$f" ]; then
		for z in xz zst gz; do
			[ -f "$f.$z" ] && { echo "build-microvm: $f.$z: compressed modules are not supported" >&2; exit 1; }
		done
		echo "build-microvm: $f missing" >&2
		exit 1
	fi
	cp "$f" "$ird/lib/modules/"
	echo "$(basename "$f")" >> "$ird/lib/modules/order"
done
cat > "$ird/init" <<'INIT'
#!/bin/sh
# sshbox microVM init: load the virtio drivers, mount the box's disk,
# hand over to box-agent.  Its options come on the kernel's command line:
#   sshbox.ro=1         the root stays read-only
#   sshbox.disk=BYTES   the box's writes go to a tmpfs of this size
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() {
	echo "sshbox-init: $*" > /dev/console
	poweroff -f
}
while read -r m; do
	insmod "/lib/modules/$m" || fail "cannot load $m"
done < /lib/modules/order
ro=0 disk=0
for a in $(cat /proc/cmdline); do
	case $a in
	sshbox.probe=1)
		# box-runtime's KVM boot test: the kernel ran this far.
		echo sshbox-probe-ok > /dev/console
		poweroff -f ;;
	sshbox.ro=1) ro=1 ;;
	sshbox.disk=*) disk=${a#sshbox.disk=} ;;
	esac
done
n=0
while [ ! -b /dev/vda ]; do
	n=$((n + 1))
	[ $n -gt 500 ] && fail "no disk"
	sleep 0.01
done
if [ "$disk" != 0 ]; then
	mkdir -p /lower /layer
	mount -t ext4 -o ro /dev/vda /lower || fail "cannot mount the disk"
	mount -t tmpfs -o "size=$disk,mode=0755" layer /layer || fail "disk layer"
	mkdir -p /layer/upper /layer/work
	mount -t overlay -o lowerdir=/lower,upperdir=/layer/upper,workdir=/layer/work root /newroot ||
		fail "cannot mount the root"
elif [ "$ro" = 1 ]; then
	mount -t ext4 -o ro /dev/vda /newroot || fail "cannot mount the disk"
else
	mount -t ext4 /dev/vda /newroot || fail "cannot mount the disk"
fi
# box-agent (the second archive of this initrd), on a tmpfs of its own.
[ -d /newroot/.sshbox ] || fail "the image has no /.sshbox"
mount -t tmpfs -o size=16m,mode=0755 sshbox /newroot/.sshbox || fail "agent"
cat /box-agent > /newroot/.sshbox/box-agent || fail "no agent"
chmod 755 /newroot/.sshbox/box-agent
# The host's sftp-server and scp, with their loader and libc.
if [ -d /tools ]; then
	mkdir /newroot/.sshbox/tools && cp -a /tools/. /newroot/.sshbox/tools/ ||
		fail "tools"
fi
for d in dev proc sys; do
	[ -d /newroot/$d ] || fail "the image has no /$d"
	mount --move /$d /newroot/$d
done
exec switch_root /newroot /.sshbox/box-agent --vm
INIT
chmod 755 "$ird/init"
umask 077
mkdir -p "$store/.microvm"
chmod 700 "$store" "$store/.microvm"
(cd "$ird" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) | gzip -9n > "$work/initrd.img"
# Padded, so that the archive the driver appends starts aligned.
truncate -s %512 "$work/initrd.img"
cp "/boot/vmlinuz-$kver" "$work/vmlinuz"
chmod 644 "$work/initrd.img" "$work/vmlinuz"
mv "$work/initrd.img" "$store/.microvm/initrd.img"
mv "$work/vmlinuz" "$store/.microvm/vmlinuz"
echo "$kver" > "$store/.microvm/kernel"
echo "built microvm kernel $kver and initrd ($store/.microvm)"
# Disks for the images already in the store.
. "$(dirname "$0")/store.sh"
for cur in $(find "$store" -mindepth 2 -maxdepth 4 -name current 2>/dev/null); do
	d=$(dirname "$cur")
	id=$(cat "$cur")
	[ -d "$d/$id/rootfs" ] && _store_vm_disk "$d/$id"
done
