#!/bin/bash
# Disk: a profile's "disk:" holds a guest's writable root to that size, on a
# runtime that can enforce it.  The test makes one: a private dockerd on a
# btrfs file system with quotas, in a loop file of its own (overlay2 on the
# machine's ext4 cannot; limits.sh shows such a box is refused instead).
# A profile without the key, on the same daemon, writes past that size: it
# is the limit that stops the guest, not the file system.  /dev/shm is
# bounded by shm_size everywhere.
BT=/run/sshbox-test/bt.$$
DOCKER_SOCK=$BT/docker.sock
LINGER=10m
. "$(dirname "$0")/lib.sh"

command -v mkfs.btrfs >/dev/null || t_skip_all "no mkfs.btrfs (btrfs-progs) to make a quota-capable file system"
command -v dockerd >/dev/null || t_skip_all "no dockerd to run a second daemon"

BD="docker -H unix://$DOCKER_SOCK"
bt_stop() {
	if [ -f "$BT/docker.pid" ]; then
		$BD ps -aq 2>/dev/null | xargs -r $BD rm -f >/dev/null 2>&1
		pid=$(cat "$BT/docker.pid")
		kill "$pid" 2>/dev/null
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
	fi
	mountpoint -q "$BT/mnt" && umount "$BT/mnt"
	rm -rf "$BT" "$T/btrfs.img"
}
TEST_CLEANUP=bt_stop

mkdir -p "$BT/mnt" && chmod 755 "$BT"
truncate -s 2G "$T/btrfs.img" && mkfs.btrfs -q "$T/btrfs.img" >/dev/null 2>&1 ||
	t_skip_all "cannot make a btrfs file system"
out=$(mount -o loop "$T/btrfs.img" "$BT/mnt" 2>&1) ||
	t_skip_all "cannot loop-mount a btrfs file system here: $out"
out=$(btrfs quota enable "$BT/mnt" 2>&1) ||
	t_skip_all "btrfs quotas are not available here: $out"
dockerd --data-root "$BT/mnt/docker" --exec-root "$BT/exec" \
	--pidfile "$BT/docker.pid" -H "unix://$DOCKER_SOCK" \
	--storage-driver btrfs --bridge none --iptables=false \
	--ip-masq=false --ip6tables=false >"$T/dockerd.log" 2>&1 &
wait_for 60 $BD info >/dev/null 2>&1 ||
	{ sed 's/^/# /' "$T/dockerd.log" | tail -20; echo "Bail out! the btrfs dockerd did not start"; exit 1; }
docker save "$IMAGE" | $BD load >/dev/null ||
	{ echo "Bail out! cannot load $IMAGE into the btrfs dockerd"; exit 1; }
t_is "a second dockerd stores on btrfs" "$($BD info -f '{{.Driver}}')" btrfs

setup_bastion
write_profile quota "disk: 32m"
t_like "that daemon's socket is the docker group's, as the default one" \
	"$(stat -c '%G %a' "$DOCKER_SOCK")" "^docker 660$"

new_key q; new_key free; new_key n
tq=$(new_invite --profile quota --uses 2)
tf=$(new_invite --profile test)
gssh q redeem --bind-only "$tq" </dev/null 2>/dev/null
gssh n redeem --bind-only "$tq" </dev/null 2>/dev/null
gssh free redeem --bind-only "$tf" </dev/null 2>/dev/null

fill='dd if=/dev/zero of=/tmp/fill bs=1M count=100 2>&1; echo "dd=$?"; wc -c </tmp/fill'
out=$(gssh free "$fill" </dev/null)
t_like "without disk: a guest writes 100 MiB to its root" "$out" "^dd=0$"
t_like "  all of it" "$(tail -1 <<<"$out")" "^104857600$"

out=$(gssh q "$fill" </dev/null)
t_like "with disk: 32m the same write fails" "$out" "Disk quota exceeded|No space left on device"
t_like "  with an error status" "$out" "^dd=[1-9]"
t_ok "  after at most 32 MiB" test "$(tail -1 <<<"$out")" -le 33554432
t_is "the box is made with that limit" \
	"$($BD inspect -f '{{index .HostConfig.StorageOpt "size"}}' "sshbox-$(box_of q)")" 33554432
t_is "the full box still works" "$(gssh q 'rm /tmp/fill; echo alive' </dev/null)" alive
t_like "and can write again once it made room" \
	"$(gssh q 'dd if=/dev/zero of=/tmp/again bs=1M count=8 2>&1; echo "dd=$?"' </dev/null)" "^dd=0$"
t_like "a neighbour box of the same profile has its own 32 MiB" \
	"$(gssh n 'dd if=/dev/zero of=/tmp/mine bs=1M count=20 2>&1; echo "dd=$?"' </dev/null)" "^dd=0$"

# /dev/shm: memory, bounded by shm_size (16m by default).
t_is "/dev/shm is 16 MiB" "$(gssh q 'df -k /dev/shm | tail -1' </dev/null | awk '{print $2}')" 16384
out=$(gssh q 'dd if=/dev/zero of=/dev/shm/x bs=1M count=64 2>&1; echo "dd=$?"; wc -c </dev/shm/x' </dev/null)
t_like "filling /dev/shm ends in ENOSPC" "$out" "No space left on device"
t_ok "  at 16 MiB" test "$(tail -1 <<<"$out")" -le 16777216
t_done
