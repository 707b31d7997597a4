#!/bin/sh
# Build the sshbox/dev image offline-from-registries: a minimal Debian 12
# root made with debootstrap from Debian's mirror, with a guest user, then
# stored for the runtimes (images/store.sh: Docker when it runs, and the
# OCI store).  Takes a few minutes; the result is cached.
# Usage: images/build-dev.sh [TAG]   (default sshbox/dev:latest)
set -eu
tag=${1:-sshbox/dev:latest}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || { echo "build-dev: apt-get install debootstrap" >&2; exit 1; }
# Inside a 0700 directory of root's: no other account reaches the tree
# (home/guest is uid 1000's) while it is built.
work=$(mktemp -d /var/tmp/sshbox-dev.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir "$root"
# The tools a development box is for: a guest cannot install any (no root,
# no network by default).
debootstrap --variant=minbase --include=procps,less,nano,ca-certificates,iproute2,git,make,gcc,libc6-dev,python3,curl,openssh-client,vim-tiny,file,xz-utils \
	bookworm "$root" "$mirror" >/dev/null
chmod 755 "$root"	# the image keeps its "/" mode (btrfs)
chroot "$root" useradd --create-home --uid 1000 --shell /bin/bash guest
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
. "$(dirname "$0")/store.sh"
image_store "$tag" "$root"
