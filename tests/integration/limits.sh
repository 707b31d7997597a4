#!/bin/bash
# Denial of service: live boxes are limited per source address (and per
# invite and per bastion, see test-state); a guest past the limit gets a
# clear line and exit 248, attaching to a running box is never limited,
# and room comes back when a box ends.
EXTRA_CONF='limits:
  max_boxes: 10
  max_boxes_per_invite: 10
  max_boxes_per_source: 2'
. "$(dirname "$0")/lib.sh"
setup_bastion

tok=$(new_invite --profile test --uses 3)
for k in a b c; do
	new_key $k
	gssh $k redeem --bind-only "$tok" </dev/null 2>/dev/null
done
t_is "first box from this address" "$(gssh a 'echo a' </dev/null)" a
t_is "second box from this address" "$(gssh b 'echo b' </dev/null)" b
out=$(gssh c 'echo c' </dev/null 2>&1); rc=$?
t_is "third box from the same address: exit 248" "$rc" 248
t_like "with one clear line" "$out" "^sshbox: cannot start your box: your address already has its maximum of 2 boxes running$"
t_is "no box was made for it" "$($INVITE boxes --json | jq length)" 2
t_is "attaching to a running box is not limited" "$(gssh a 'echo again' </dev/null)" again
$INVITE kill "$(box_of a)" >/dev/null
t_is "room again once a box ended" "$(gssh c 'echo c' </dev/null)" c

# A new guest while the address is at its limit: refused at redemption,
# before anything is spent (the invite's use, the key's time).
inv=$($INVITE create --json --profile test)
iid=$(jq -r .id <<<"$inv")
new_key e
out=$(gssh e redeem "$(jq -r .token <<<"$inv")" </dev/null 2>&1); rc=$?
t_is "redeeming while the address is at its limit: exit 248" "$rc" 248
t_like "  one line: nothing spent, come back later" "$out" \
	"^sshbox: cannot redeem now: your address already has its maximum of 2 boxes running; your invite is not spent, try again later$"
t_is "  the invite keeps its use" "$($INVITE show --json "$iid" | jq -r .uses_left)" 1
t_is "  the key is bound to nothing (its time has not started)" \
	"$(gssh e true </dev/null 2>&1 | grep -c 'has not redeemed')" 1
t_like "  the refusal is in the audit trail" \
	"$($INVITE audit --json | jq -r '.[] | select(.event == "redeem-refused") | .detail' | tail -1)" "maximum of 2"
$INVITE kill "$(box_of c)" >/dev/null
out=$(gssh e redeem "$(jq -r .token <<<"$inv")" </dev/null 2>&1); rc=$?
t_is "  with room again, the same token redeems" "$rc" 0
t_is "  and the box comes" "$(gssh e 'echo e' </dev/null)" e
t_is "  the invite's use spent now" "$($INVITE show --json "$iid" | jq -r .uses_left)" 0
$INVITE kill "$(box_of e)" >/dev/null

# A disk limit the runtime cannot enforce: no box rather than an unbounded
# one.  Docker's overlay2 enforces it only over XFS with project quotas
# (disk.sh shows a runtime that can).
write_profile quota "disk: 32m"
for k in b c; do $INVITE kill "$(box_of $k)" >/dev/null; done
new_key d
gssh d redeem --bind-only "$(new_invite --profile quota)" </dev/null 2>/dev/null
if [ "$TEST_RUNTIME" != docker ]; then
	# The OCI runtimes: the box's writable layer is a tmpfs of that size.
	avail0=$(df -Pk / | awk 'NR == 2 { print $4 }')
	out=$(gssh d 'exec 2>&1; dd if=/dev/zero of=/home/guest/fill bs=1M count=100; echo "dd=$?"; echo "size $(stat -c %s /home/guest/fill)"' </dev/null)
	t_like "disk: $TEST_RUNTIME: the box is made, and a fill ends in ENOSPC" "$out" "No space left on device"
	t_like "  dd failed" "$out" '^dd=[1-9]'
	size=$(printf '%s\n' "$out" | sed -n 's/^size //p')
	t_ok "  at 32m at most ($size bytes)" [ "${size:-99999999999}" -le 33554432 ]
	avail1=$(df -Pk / | awk 'NR == 2 { print $4 }')
	t_ok "  the bastion's / lost none of it ($(( (avail0 - avail1) / 1024 )) MB)" \
		[ $(( (avail0 - avail1) / 1024 )) -lt 24 ]
	t_is "  and the box goes on" "$(gssh d 'rm -f /home/guest/fill; echo ok' </dev/null)" ok
else
backing=$(docker info -f '{{.Driver}} {{range .DriverStatus}}{{if eq (index . 0) "Backing Filesystem"}}{{index . 1}}{{end}}{{end}}')
if [ "$backing" = "overlay2 extfs" ]; then
	out=$(gssh d 'echo in' </dev/null 2>&1); rc=$?
	t_is "disk: on overlay2 over ext4: exit 251" "$rc" 251
	t_like "with one line that says why" "$out" \
		"^sshbox: cannot start your box: cannot create box: --storage-opt is supported only for overlay over xfs with 'pquota' mount option \(HTTP [0-9]+\)$"
	t_is "and no container was made for it" \
		"$(containers --filter "label=io.sshbox.instance=$INSTANCE" --filter label=io.sshbox.profile=quota | wc -l)" 0
	t_is "nor is a box of it live" "$($INVITE boxes --json | jq '[.[] | select(.profile == "quota")] | length')" 0
else
	t_skip "disk: refused where the runtime cannot enforce it" "this Docker ($backing) may enforce it"
fi
fi
t_done
