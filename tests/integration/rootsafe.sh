#!/bin/bash
# Root never trusts what the box account owns (SECURITY.md, "Root and the
# box account").  Each check plays the attacker as the box account for real
# -- planting links in the state directory it owns, racing root's init,
# writing rows that name containers which are not its own -- then checks
# that nothing outside that account's own files changed.  Also: a local
# user cannot block box creation, and revocation wins against a claim.
. "$(dirname "$0")/lib.sh"
setup_bastion
S=$T/state
asbox() { runuser -u "$BOX_USER" -- "$@"; }
sq() { asbox sqlite3 -cmd '.timeout 5000' "$S/state.db" "$@"; }
meta() { stat -c '%u:%g %a %s %h' "$1"; }

# ---------------------------------------------------------------- the state
# Root's canaries: files the box account must never get hold of.
install -m 600 /dev/null "$T/canary-empty"	# any empty root file would do
printf 'secret\n' > "$T/canary" && chmod 600 "$T/canary"
printf 'shared\n' > "$T/canary-rw" && chmod 666 "$T/canary-rw"	# box may link it
before_empty=$(meta "$T/canary-empty") before=$(meta "$T/canary")
before_rw=$(meta "$T/canary-rw")

# 1. state.db swapped for a link to a root file, then root runs a verb: the
#    verb works as the box account and refuses the link.
mv "$S/state.db" "$S/state.db.real"
asbox ln -s "$T/canary-empty" "$S/state.db"
out=$($INVITE list 2>&1); rc=$?
t_is "state.db as a link to a root file: root's list fails" "$rc" 1
t_like "  with one line" "$out" "^box-invite: state: cannot open $S/state.db"
t_is "  and root's file is as it was (owner, mode, size)" \
	"$(meta "$T/canary-empty")" "$before_empty"
$REAPER --once >/dev/null 2>&1
t_is "  root's reaper does not touch it either" "$(meta "$T/canary-empty")" "$before_empty"
$INVITE doctor --sshd-config "$T/sshd_config" >/dev/null 2>&1
t_is "  nor root's doctor" "$(meta "$T/canary-empty")" "$before_empty"
rm -f "$S/state.db" && mv "$S/state.db.real" "$S/state.db"

# 2. A hard link to a root file planted as state.db-wal: SQLite run by root
#    would fchown it to the database's owner.  Root's verbs run as box.
asbox ln "$T/canary-rw" "$S/state.db-wal"
out=$($INVITE doctor --json --sshd-config "$T/sshd_config" 2>/dev/null |
	jq -r '.[] | select(.check == "state-db") | .status + " " + .detail')
t_like "a hard-linked -wal: doctor names it" "$out" "^FAIL .*state.db-wal is not a regular file with one link"
for run in "box-invite list" "box-reaper --once" "box-invite init"; do
	asbox ln -f "$T/canary-rw" "$S/state.db-wal"
	$top_builddir/${run%% *} -c "$CONF" ${run#* } >/dev/null 2>&1
	t_is "  root's $run keeps root's file root's, mode 666" \
		"$(meta "$T/canary-rw" | cut -d' ' -f1-2)" "$(echo "$before_rw" | cut -d' ' -f1-2)"
done
rm -f "$S/state.db-wal"

# 3. init racing a box process that keeps planting -wal and -shm as links
#    to root's file: root only ever works on that directory by descriptor.
# In a process group of its own, killed whole: an ln still running when
# only bash was killed would plant one more link after the cleanup below.
setsid setpriv --reuid="$BOX_USER" --regid="$BOX_USER" --init-groups bash -c "while :; do ln -sf '$T/canary' '$S/state.db-wal'; \
	ln -sf '$T/canary' '$S/state.db-shm'; rm -f '$S/state.db-wal' '$S/state.db-shm'; \
	done 2>/dev/null" &
racer=$!
for i in $(seq 1 40); do $INVITE init >/dev/null 2>&1; done
kill -KILL -- -"$racer" 2>/dev/null; wait "$racer" 2>/dev/null
while pgrep -g "$racer" >/dev/null 2>&1; do sleep 0.1; done
rm -f "$S/state.db-wal" "$S/state.db-shm"
t_is "40 inits against a racing box process: root's file untouched" \
	"$(meta "$T/canary") $(cat "$T/canary")" "$before secret"
t_ok "  and the state still works" sh -c "$INVITE list >/dev/null"

# 4. The state directory itself replaced by a link: init refuses it.
mv "$S" "$T/state.moved"
ln -s "$T/keys" "$S"
out=$($INVITE init 2>&1); rc=$?
t_is "state_dir as a link: init fails" "$rc" 1
t_like "  saying so" "$out" "is not a directory \(or is a link\)"
t_is "  and the link's target keeps its owner" "$(stat -c %U "$T/keys")" root
rm "$S" && mv "$T/state.moved" "$S"

# --------------------------------------------------------- rows naming boxes
new_key g1
tok=$(new_invite --profile test --ttl 10m)
gssh g1 redeem --bind-only "$tok" </dev/null >/dev/null 2>&1
gssh g1 -n true
b1=$(box_of g1)
real=$(docker ps -q --no-trunc --filter "label=io.sshbox.box=$b1" --filter "label=io.sshbox.instance=$INSTANCE")
t_like "a guest's box runs" "$real" '^[0-9a-f]{64}$'
plain=$(docker run -d --network none "$IMAGE" sleep 600)
foreign=$(docker run -d --network none --label io.sshbox.box="$b1" \
	--label io.sshbox.instance=someone-else "$IMAGE" sleep 600)
for victim in "$plain" "$foreign"; do
	sq "UPDATE boxes SET ref = '$victim' WHERE id = '$b1'"
	out=$($INVITE kill "$b1" 2>&1); rc=$?
	t_is "kill of a row naming a container not its own: fails" "$rc" 1
	t_like "  with one line" "$out" "container $victim is not box $b1 of this bastion: left alone"
	t_ok "  and that container is still there" sh -c "docker inspect $victim >/dev/null"
	sq "UPDATE boxes SET status = 'running', ended_at = 0, end_reason = '' WHERE id = '$b1'"
done
# A whole row written by the box account, past its deadline, for the reaper
# run as root.
fake=$(openssl rand -hex 8)
sq "INSERT INTO bindings (fp, invite_id, bound_at, deadline)
	SELECT 'SHA256:planted', invite_id, 1, 2 FROM boxes WHERE id = '$b1';
	INSERT INTO boxes (id, fp, invite_id, profile, ref, status, created_at, deadline)
	SELECT '$fake', 'SHA256:planted', invite_id, profile, '$plain', 'running', 1, 2
	FROM boxes WHERE id = '$b1'"
$REAPER --once >/dev/null 2>&1
t_is "root's reaper ended the planted row" \
	"$(sq "SELECT status FROM boxes WHERE id = '$fake'")" destroyed
t_ok "  leaving the container it names" sh -c "docker inspect $plain >/dev/null"
t_ok "  and the other instance's" sh -c "docker inspect $foreign >/dev/null"
sq "UPDATE boxes SET ref = '$real' WHERE id = '$b1'"
t_ok "the guest's own box is still there" sh -c "docker inspect $real >/dev/null"
docker rm -f "$plain" "$foreign" >/dev/null

# --------------------------------------------------------------- revocation
# The reaper ends boxes whose invite is revoked, whatever destroyed them or
# not before (here: the revocation written without box-invite's destroy).
inv1=$($INVITE boxes --json | jq -r --arg b "$b1" '.[] | select(.id == $b) | .invite')
sq "UPDATE invites SET revoked_at = strftime('%s','now') WHERE id = '$inv1'"
out=$($REAPER --once --json 2>/dev/null)
t_is "the reaper ends a box of a revoked invite" "$(jq -r .revoked <<<"$out")" 1
t_ok "  and its container is gone" no_container "$b1"
new_key g2
tok=$(new_invite --profile test --ttl 10m)
gssh g2 redeem --bind-only "$tok" </dev/null >/dev/null 2>&1
gssh g2 -n true
b2=$(box_of g2)
inv2=$($INVITE boxes --json | jq -r --arg b "$b2" '.[] | select(.id == $b) | .invite')
out=$($INVITE revoke "$inv2")
t_is "revoke says which boxes it ended" "$out" "invite $inv2 revoked; 1 box ended: $b2"
out=$(gssh g2 -n true 2>&1); rc=$?
t_is "the key of a revoked invite gets nothing but why" "$rc $out" \
	"250 sshbox: this key's invite was revoked"

# ---------------------------------------------------- nobody blocks creates
lockdir=$(sed -n 's/^runtime lock directory: \([^ ]*\).*/\1/p' <<<"$($INVITE init)")
t_like "init names the runtime lock directory" "$lockdir" '^/.*sshbox-runtime$'
t_is "it is root:root 0700" "$(stat -c '%U:%G %a' "$lockdir")" "root:root 700"
t_ok "nobody cannot take the create lock" sh -c \
	"! runuser -u nobody -- flock -n '$lockdir/create-$INSTANCE.lock' true 2>/dev/null"
t_ok "nor can the box account" sh -c \
	"! runuser -u $BOX_USER -- flock -n '$lockdir/create-$INSTANCE.lock' true 2>/dev/null"
# The name of the old abstract-socket lock, held by another user.
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	socat "ABSTRACT-LISTEN:sshbox-create-$INSTANCE,fork" /dev/null &
squat=$!
wait_for 5 sh -c "grep -q '@sshbox-create-$INSTANCE' /proc/net/unix"
new_key g3
tok=$(new_invite --profile test --ttl 10m)
gssh g3 redeem --bind-only "$tok" </dev/null >/dev/null 2>&1
out=$(gssh g3 -n echo made 2>&1); rc=$?
t_is "with another user squatting the old lock name, a box is still made" "$rc $out" "0 made"
kill "$squat" 2>/dev/null

t_done
