#!/bin/bash
# The Debian packages, for real: build them (dpkg-buildpackage), check them
# with lintian, install sshbox into a fresh Debian 12 root this script
# makes (debootstrap minbase, from Debian's mirror), bring up a bastion
# there the way the postinst says (box-invite init, the drop-in, an image
# for runc), run a guest session against it with the stock ssh client on
# a loopback port, then remove and purge the package and check that what
# it made is gone.  As root; takes a few minutes; not part of .ci/run.
# Usage: tests/package/deb.sh [WORKDIR]   (default: a new /var/tmp dir)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
W=${1:-$(mktemp -d /var/tmp/sshbox-deb.XXXXXX)}
mkdir -p "$W"
. "$top/tests/integration/common.sh"
[ "$(id -u)" = 0 ] || t_skip_all "needs root"
for c in dpkg-buildpackage debootstrap lintian unshare; do
	command -v "$c" >/dev/null || t_skip_all "no $c (apt-get install dpkg-dev debhelper debootstrap lintian)"
done

# ------------------------------------------------------------ build
src=$W/sshbox-0.1.0
rm -rf "$src" && mkdir -p "$src"
(cd "$top" && git ls-files -co --exclude-standard) | grep -v '^share/asciinema-player' |
	(cd "$top" && tar -cf - -T -) | tar -C "$src" -xf -
rm -f "$src/configure" "$src/Makefile.in" "$src/aclocal.m4"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
t_is "dpkg-buildpackage -us -uc -b" "$?" 0
deb=$(ls "$W"/sshbox_*.deb 2>/dev/null | head -1)
pdeb=$(ls "$W"/sshbox-proxy_*.deb 2>/dev/null | head -1)
t_ok "two packages: sshbox and sshbox-proxy" test -f "$deb" -a -f "$pdeb"
t_is "sshbox-proxy holds box-proxy and its man page only" \
	"$(dpkg -c "$pdeb" | awk '$1 !~ /^d/ { print $6 }' | grep -v '^./usr/share/doc/' | sort | tr '\n' ' ')" \
	"./usr/bin/box-proxy ./usr/share/man/man1/box-proxy.1.gz "
lint=$(cd "$W" && lintian --tag-display-limit 0 ./*.changes 2>&1 | grep -v 'root privileges')
t_is "lintian: no errors" "$(printf '%s\n' "$lint" | grep -c '^E:')" 0
printf '%s\n' "$lint" | sed 's/^/# lintian: /'
t_ok "the drop-in is not where sshd reads it" \
	sh -c "! dpkg -c '$deb' | grep -q 'etc/ssh/sshd_config.d'"

# ------------------------------------------------- a fresh Debian 12 root
R=$W/root
if [ ! -x "$R/usr/bin/apt-get" ]; then
	rm -rf "$R"
	debootstrap --variant=minbase bookworm "$R" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
		>"$W/debootstrap.log" 2>&1 || { echo "Bail out! debootstrap failed (see $W/debootstrap.log)"; exit 1; }
fi
cp "$deb" "$R/tmp/sshbox.deb"
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null
PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
# inside SCRIPT: run SCRIPT as root of the fresh root, in a mount namespace
# of its own whose / it is (pivot_root: runc needs a real root), with
# /proc, /sys (cgroups) and /dev of the host's.
inside() {
	unshare -m --propagation private sh -c '
		R=$1; shift
		mount --bind "$R" "$R" && cd "$R" &&
		mount -t proc proc proc && mount --rbind /sys sys &&
		mount --rbind /dev dev && mkdir -p .old &&
		pivot_root . .old && umount -l /.old && cd / &&
		exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root sh -c "$1"' _ "$R" "$1"
}
out=$(inside "export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null &&
	apt-get install -y -q --no-install-recommends /tmp/sshbox.deb runc busybox-static openssh-client 2>&1" 2>&1)
rc=$?
t_is "apt-get install ./sshbox.deb into the fresh root" "$rc" 0
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -20 | sed 's/^/# /'
t_like "the postinst says nothing is offered yet, and how to enable it" "$out" \
	"nothing is offered to guests yet"
t_is "the box account exists" "$(inside 'id -u box >/dev/null && echo yes')" yes
t_is "box-runtime is setuid root for the box account's group" \
	"$(inside 'stat -c "%U:%G %a" /usr/libexec/sshbox/box-runtime')" "root:box 4750"
t_is "the state directory is the box account's" "$(inside 'stat -c "%U %a" /var/lib/sshbox')" "box 750"
t_is "sshd has no sshbox drop-in yet" "$(inside 'ls /etc/ssh/sshd_config.d/ 2>/dev/null | grep -c sshbox')" 0
t_is "the configuration is a conffile" \
	"$(inside 'dpkg-query -W -f="\${Conffiles}" sshbox' | grep -c '/etc/sshbox/sshbox.yaml')" 1

# --------------------------------------------- enable it, and a guest session
out=$(inside "set -e
	box-invite init >/dev/null
	cp /usr/share/sshbox/sshd-dropin.conf /etc/ssh/sshd_config.d/sshbox.conf
	SSHBOX_IMAGE_TARGETS=oci /usr/share/sshbox/images/build-busybox.sh >/dev/null
	sed -i -e 's|^#\{0,1\} *host:.*|host: 127.0.0.1|' -e 's|^#\{0,1\} *port:.*|port: $PORT|' /etc/sshbox/sshbox.yaml
	grep -q '^port: $PORT' /etc/sshbox/sshbox.yaml || echo 'port: $PORT' >> /etc/sshbox/sshbox.yaml
	sed -i 's/^runtime: .*/runtime: runc/' /etc/sshbox/profiles/secure-shell.yaml
	ssh-keygen -A >/dev/null
	mkdir -p /run/sshd
	/usr/sbin/sshd -p $PORT -o ListenAddress=127.0.0.1 -o PidFile=/run/sshd-test.pid
	tok=\$(box-invite create --json --profile secure-shell --ttl 10m | sed -n 's/.*\"token\": *\"\\([^\"]*\\)\".*/\\1/p')
	ssh-keygen -q -t ed25519 -N '' -f /root/guest >/dev/null
	o='-i /root/guest -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new -p $PORT'
	ssh \$o box@127.0.0.1 redeem --bind-only \$tok 2>/dev/null
	ssh \$o box@127.0.0.1 'echo hello from \$(hostname)'
	box-invite doctor >/tmp/doctor.out 2>&1 || true
	box-invite kill \$(box-invite boxes --json | sed -n 's/.*\"id\": *\"\\([0-9a-f]*\\)\".*/\\1/p' | head -1) >/dev/null
	kill \$(cat /run/sshd-test.pid)" 2>&1)
t_like "a guest's session in a runc box of the installed bastion" "$out" "^hello from box-[0-9a-f]{8}$"
[ -n "$(printf '%s' "$out" | grep '^hello')" ] || printf '%s\n' "$out" | tail -20 | sed 's/^/# /'
inside 'grep -E "^FAIL" /tmp/doctor.out' | sed 's/^/# doctor: /'

# ----------------------------------------------------- remove, then purge
out=$(inside "DEBIAN_FRONTEND=noninteractive apt-get remove -y -q sshbox 2>&1")
t_is "apt-get remove sshbox" "$?" 0
t_is "  the programs are gone" "$(inside 'ls /usr/libexec/sshbox 2>/dev/null | wc -l')" 0
t_is "  the configuration stays until purge" "$(inside 'test -f /etc/sshbox/sshbox.yaml && echo kept')" kept
out=$(inside "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q sshbox 2>&1")
t_is "apt-get purge sshbox" "$?" 0
t_is "  nothing of it is left" \
	"$(inside 'ls -d /etc/sshbox /var/lib/sshbox /var/lib/sshbox-runtime /var/lib/sshbox-images /etc/ssh/sshd_config.d/sshbox.conf 2>/dev/null' | wc -l)" 0
t_is "  the box account is gone" "$(inside 'id box >/dev/null 2>&1 && echo still' )" ""
t_is "  and box-runtime's mode override" "$(inside 'dpkg-statoverride --list | grep -c sshbox')" 0
t_done
