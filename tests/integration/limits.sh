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
t_done
