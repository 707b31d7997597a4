#!/bin/sh
# Build the sshbox/busybox image offline from Debian's busybox-static and
# store it for the runtimes (images/store.sh: Docker when it runs, and the
# OCI store of runc, crun and runsc).  Used by the secure-shell profile
# and the tests.
# Usage: images/build-busybox.sh [TAG]   (default sshbox/busybox:latest)
set -eu
tag=${1:-sshbox/busybox:latest}
bb=/bin/busybox
[ -x "$bb" ] || { echo "build-busybox: $bb missing: apt-get install busybox-static" >&2; exit 1; }
if ldd "$bb" >/dev/null 2>&1; then
	echo "build-busybox: $bb is dynamically linked: apt-get install busybox-static" >&2
	exit 1
fi
# The tree sits inside a 0700 directory of root's: while it is built, no
# other account (uid 1000 on the host, say) can reach home/guest in it.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home/guest" \
	"$root/proc" "$root/sys" "$root/dev"
cp "$bb" "$root/bin/busybox"
for app in $("$root/bin/busybox" --list); do
	[ "$app" = busybox ] || ln -s busybox "$root/bin/$app"
done
cat > "$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
guest:x:1000:1000:guest:/home/guest:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$root/etc/group" <<'G'
root:x:0:
guest:x:1000:
nogroup:x:65534:
G
echo "sshbox" > "$root/etc/hostname"
# The image's own "/" must be 0755: a storage driver that keeps it
# (btrfs) would lock the guest out of everything otherwise.
chmod 755 "$root"
chmod 1777 "$root/tmp"
chown 1000:1000 "$root/home/guest"
. "$(dirname "$0")/store.sh"
image_store "$tag" "$root"
