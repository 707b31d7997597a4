#!/bin/bash
# Warm pools (pool: N in a profile), with runc: box-reaper fills a pool
# with paused boxes; a guest's first session takes one whole (its id, no
# new box made) and box-shell refills the pool in the background; two
# guests never get one box; a pooled box carries nothing of anyone; the
# reaper replaces pooled boxes that grew old, whose image changed or whose
# runtime object went, and never takes them for orphans; a pool shrinks
# with its profile.
. "$(dirname "$0")/lib.sh"
command -v runc >/dev/null || [ -x /usr/sbin/runc ] || t_skip_all "runc is not installed"
# An image store of the test's own, so that its image can change: below
# /run (root's, no sticky directory on the way, as box-runtime wants).
src=$OCI_IMAGES/sshbox/busybox/latest
[ -f "$src/current" ] || t_skip_all "no busybox image in $OCI_IMAGES (images/build-busybox.sh)"
STORE=$(mktemp -d /run/sshbox-test/images.XXXXXX)
pool_cleanup() { rm -rf "$STORE"; }
TEST_CLEANUP=pool_cleanup
mkdir -p "$STORE/t/pool/latest"
cp -a "$src/$(cat "$src/current")" "$STORE/t/pool/latest/aaaaaaaaaaaaaaaa"
echo aaaaaaaaaaaaaaaa > "$STORE/t/pool/latest/current"
OCI_IMAGES=$STORE
TEST_RUNTIME=runc
setup_bastion
OD=$RUNTIME_DIR/.oci/$INSTANCE
DB=$T/state/state.db

pool_ids() { sqlite3 "$DB" "SELECT id FROM pool WHERE profile = '$1' AND status = 'ready' ORDER BY id" 2>/dev/null; }
pool_n() { pool_ids "$1" | grep -c .; }
state_of() { runc --root "$OD/.runc" state "sshbox-$1" 2>/dev/null | jq -r .status 2>/dev/null | grep . || echo none; }
reap() { runuser -u "$BOX_USER" -- $REAPER --once --json 2>>"$T/reap.err"; }
guest() {	# guest KEY PROFILE: a key bound to an invite for PROFILE
	new_key "$1"
	gssh "$1" redeem --bind-only "$(new_invite --profile "$2")" </dev/null >/dev/null 2>&1
}

PROFILE_IMAGE=t/pool:latest write_profile pl "runtime: runc" "pool: 2" "pool_max_age: 1h"

# ----------------------------------------------------------- the reaper fills
out=$(reap)
t_is "the reaper fills the pool" "$(jq -c '{pool_made, errors}' <<<"$out")" '{"pool_made":2,"errors":0}'
ids=$(pool_ids pl)
t_is "two ready boxes in the pool" "$(pool_n pl)" 2
for id in $ids; do
	t_is "pooled box $id waits frozen" "$(state_of "$id")" paused
done
t_is "no guest has a box yet" "$($INVITE boxes --json | jq length)" 0
t_is "box-invite pools lists them" \
	"$($INVITE pools --json | jq -r '[.[] | select(.profile == "pl" and .status == "ready" and .runtime == "runc") | .id] | sort | join(" ")')" \
	"$(echo $ids)"
t_like "  and as a table" "$($INVITE pools | head -1)" "^BOX +PROFILE +RUNTIME +STATUS +AGE$"
out=$(reap)
t_is "a second pass leaves a full pool alone (no orphans)" \
	"$(jq -c '{pool_made, pool_replaced, orphans}' <<<"$out")" '{"pool_made":0,"pool_replaced":0,"orphans":0}'

# ------------------------------------------------------ a guest takes one
guest a pl
# shellcheck disable=SC2016
out=$(gssh a 'echo in $(hostname); me=$(cut -d" " -f6 /proc/$$/stat); o=0
for p in /proc/[0-9]*; do
	[ "$(cat $p/comm 2>/dev/null)" = box-agent ] && continue
	s=$(cut -d" " -f6 $p/stat 2>/dev/null) || continue
	[ -n "$s" ] && [ "$s" != "$me" ] && o=$((o + 1))
done
echo "tmp $(ls -A /tmp | wc -l) home $(ls -A /home/guest | wc -l) others $o"' </dev/null 2>&1); rc=$?
ab=$(box_of a)
t_is "the guest's first session runs" "$rc" 0
t_ok "in a box that was pooled" sh -c "printf '%s\n' \"$ids\" | grep -qx '$ab'"
t_like "its hostname is the pooled box's" "$out" "^in box-${ab:0:8}$"
# Fresh: nobody was ever in it, so nothing of anyone is there: no file in
# /tmp or the home, no process but the agent and this session's.
t_like "nothing in /tmp or the home, no process of anyone else" "$out" \
	"^tmp 0 home 0 others 0$"
t_is "it runs, thawed" "$(state_of "$ab")" running
t_is "its row says running, from the pool's runtime" \
	"$($INVITE boxes --json | jq -r '.[0] | "\(.status) \(.runtime)"')" "running runc"
t_ok "box-shell refilled the pool in the background" wait_for 30 sh -c "[ \$(sqlite3 '$DB' \"SELECT count(*) FROM pool WHERE profile = 'pl' AND status = 'ready'\") = 2 ]"
t_ok "with a new box, not the one taken" sh -c "! sqlite3 '$DB' \"SELECT id FROM pool\" | grep -qx '$ab'"
t_is "the same key again: the same box" "$(gssh a 'echo again; hostname' </dev/null | tr '\n' ' ')" "again box-${ab:0:8} "

# ------------------------------------------- many guests, one pooled box
# Pool of 1, refilled by the reaper only while the guests race (the
# background refill is held off: the reaper's lock is taken).
PROFILE_IMAGE=t/pool:latest write_profile p1 "runtime: runc" "pool: 1"
reap >/dev/null
one=$(pool_ids p1)
t_is "a pool of one" "$(pool_n p1)" 1
# (Four: the harness allows five live boxes from one address, and a has
# one.)
for i in 1 2 3 4; do guest "r$i" p1; done
exec 8>>"$T/state/reaper.lock"; flock 8
for i in 1 2 3 4; do
	gssh "r$i" 'hostname' </dev/null >"$T/race.$i" 2>&1 &
done
wait
flock -u 8; exec 8>&-
got=$(cat "$T"/race.* | sort)
t_is "four guests at once: four boxes" "$(printf '%s\n' "$got" | grep -c '^box-')" 4
t_is "  all different" "$(printf '%s\n' "$got" | sort -u | grep -c '^box-')" 4
t_is "  exactly one of them the pooled box" \
	"$(printf '%s\n' "$got" | grep -c "^box-${one:0:8}$")" 1
t_is "  the pool is empty (its refill waited for the reaper's lock)" "$(pool_n p1)" 0
out=$(reap)
t_is "the reaper refills it" "$(pool_n p1)" 1
for i in 1 2 3 4; do $INVITE kill "$(box_of "r$i")" >/dev/null 2>&1; done

# --------------------------------------------------- replaced by the reaper
old=$(pool_ids pl)
# The image changes: a new version in the store.
cp -a "$STORE/t/pool/latest/aaaaaaaaaaaaaaaa" "$STORE/t/pool/latest/bbbbbbbbbbbbbbbb"
echo bbbbbbbbbbbbbbbb > "$STORE/t/pool/latest/current"
out=$(reap)
t_is "its image changed: every pooled box of it replaced (pl's two, p1's one)" \
	"$(jq -c '{pool_replaced, pool_made}' <<<"$out")" '{"pool_replaced":3,"pool_made":3}'
new=$(pool_ids pl)
t_is "  by two new ones" "$(printf '%s\n%s\n' "$old" "$new" | sort | uniq -d | grep -c .)" 0
for id in $old; do
	t_ok "  the old $id is gone, bundle and all" sh -c "[ '$(state_of "$id")' = none ] && test ! -e '$OD/$id'"
done
t_is "  the new ones are of the new image" \
	"$(for id in $new; do jq -r '.annotations["io.sshbox.image"]' "$OD/$id/config.json"; done | sort -u)" bbbbbbbbbbbbbbbb
t_is "the guest's box of the old image is left alone" "$(state_of "$ab")" running
# Grown old.
PROFILE_IMAGE=t/pool:latest write_profile pl "runtime: runc" "pool: 2" "pool_max_age: 2s"
sleep 3
out=$(reap)
t_is "grown older than pool_max_age: replaced" \
	"$(jq -c '{pool_replaced, pool_made}' <<<"$out")" '{"pool_replaced":2,"pool_made":2}'
PROFILE_IMAGE=t/pool:latest write_profile pl "runtime: runc" "pool: 2" "pool_max_age: 1h"
# Gone behind sshbox's back.
gone=$(pool_ids pl | head -1)
vanish_box "$gone"
out=$(reap)
t_is "a pooled box whose object went: out of the pool, replaced" \
	"$(jq -c '{pool_replaced, pool_made, orphans}' <<<"$out")" '{"pool_replaced":1,"pool_made":1,"orphans":0}'
t_is "  and never given to a guest" "$(sqlite3 "$DB" "SELECT count(*) FROM pool WHERE id = '$gone'")" 0
# A box the pool made, whose row was lost (a crash): an orphan.
lost=$(pool_ids pl | head -1)
sqlite3 "$DB" "DELETE FROM pool WHERE id = '$lost'"
out=$(reap)
t_is "a pooled box with no row: removed as an orphan, the pool refilled" \
	"$(jq -c '{orphans, pool_made}' <<<"$out")" '{"orphans":1,"pool_made":1}'
t_is "  gone" "$(state_of "$lost")" none

# A pooled box being made by a filler that died (a crash): its row stays
# "creating"; past create_timeout it is dropped and the pool made whole.
sqlite3 "$DB" "INSERT INTO pool VALUES ('dead000000000000', 'pl', 'runc', '', 'creating', 1)"
out=$(reap)
t_is "a pool row stuck being made: dropped" "$(jq -r .pool_replaced <<<"$out")" 1
t_is "  the row is gone" "$(sqlite3 "$DB" "SELECT count(*) FROM pool WHERE id = 'dead000000000000'")" 0
t_is "  and the pool is whole" "$(pool_n pl)" 2

# ------------------------------------------- a pooled box is warmed first
# Before it is paused, a pooled box runs one session (`true` through the
# profile's shell, as its user), so that a guest's first session finds
# everything warm.  A box that cannot run it is not pooled: a profile
# whose shell does not exist gets an error and no pooled box, and nothing
# of the attempt is left.
PROFILE_IMAGE=t/pool:latest write_profile badsh "runtime: runc" "pool: 1"
sed -i 's|^shell: /bin/sh$|shell: /bin/no-such-shell|' "$T/profiles/badsh.yaml"
before=$(ls "$OD" | grep -c .)
out=$(runuser -u "$BOX_USER" -- $REAPER --once --json 2>"$T/badsh.err")
t_is "a pooled box whose first session cannot start: not pooled, an error" \
	"$(jq -c '{pool_made, errors}' <<<"$out"):$(pool_n badsh)" '{"pool_made":0,"errors":1}:0'
t_like "  the reaper says why" "$(cat "$T/badsh.err")" "first session.*no-such-shell"
t_is "  and its box is gone" "$(ls "$OD" | grep -c .)" "$before"
rm -f "$T/profiles/badsh.yaml"

# -------------------------------------------------------- the pool shrinks
PROFILE_IMAGE=t/pool:latest write_profile pl "runtime: runc" "pool: 1"
out=$(reap)
t_is "pool: 1 now: one pooled box removed" "$(jq -r .pool_replaced <<<"$out"):$(pool_n pl)" 1:1
PROFILE_IMAGE=t/pool:latest write_profile pl "runtime: runc"
PROFILE_IMAGE=t/pool:latest write_profile p1 "runtime: runc"
out=$(reap)
t_is "no pool: the rest removed" "$(sqlite3 "$DB" 'SELECT count(*) FROM pool')" 0
$INVITE kill "$ab" >/dev/null 2>&1
reap >/dev/null
t_ok "at the end: no OCI box of this bastion left" sh -c "! ls '$OD' 2>/dev/null | grep -q ."
t_done
