#!/bin/bash
# Faults around the bastion (SSHBOX_TEST_RUNTIME: docker, or microvm
# through faults-microvm.sh): a Docker daemon that hangs or answers garbage,
# a state database that is locked by a long writer, corrupt, or on a full
# disk, sshd restarted under open sessions, reapers racing and killed.
# For each: nobody is let in who should not be, no invite use is lost or
# spent twice, no box outlives the next reaper run, and the guest or the
# administrator gets one clear line.
. "$(dirname "$0")/lib.sh"
command -v socat >/dev/null || t_skip_all "no socat (scripts/install-deps installs it)"
command -v sqlite3 >/dev/null || t_skip_all "no sqlite3"
setup_bastion

DB=$T/state/state.db
SERVERS=
SMALL_MOUNTED=
faults_cleanup() {
	exec 7>&- 2>/dev/null
	for p in $SERVERS; do kill -- "-$p" 2>/dev/null; done
	[ -n "${LOCKER:-}" ] && kill "$LOCKER" 2>/dev/null
	[ -n "$SMALL_MOUNTED" ] && umount "$T/small" 2>/dev/null
	cleanup
}
trap faults_cleanup EXIT

status_of() { $INVITE boxes --all --json | jq -r --arg b "$1" '.[] | select(.id == $b) | .status'; }
uses_left() { $INVITE show --json "$1" | jq -r .uses_left; }
statuses_of_key() {	# statuses_of_key KEYNAME: every box row of the key
	$INVITE boxes --all --json | jq -r --arg fp "$(fp_of "$1")" \
		'[.[] | select(.key == $fp) | .status] | sort | unique | join(",")'
}
lines() { printf '%s\n' "$1" | grep -c .; }
no_crash() {	# no_crash RC OUTPUT: no signal death, no sanitizer report
	[ "$1" != 134 ] && [ "$1" != 139 ] && [ "$1" != 135 ] &&
		! printf '%s\n' "$2" | grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:|Segmentation|core dumped'
}
# Boxes of this instance whose row is not live: leaks.  Docker's
# containers; or the bundles of the OCI and microVM runtimes, and any
# QEMU still running from this instance's bundles.
leaked() {
	if [ "$TEST_RUNTIME" = docker ]; then
		_l=$(docker ps -a --filter "label=io.sshbox.instance=$INSTANCE" \
			--format '{{.Label "io.sshbox.box"}}') || { echo DOCKER-PS-FAILED; return; }
	else
		_l=$( { ls "$RUNTIME_DIR/.oci/$INSTANCE" 2>/dev/null
			pgrep -af -- "-name guest=sshbox-" | grep -F "$RUNTIME_DIR/.oci/$INSTANCE/" |
				sed -n 's/.*guest=sshbox-\([0-9a-f]*\).*/\1/p'
		} | grep -E '^[0-9a-f]{16}$' | sort -u)
	fi
	printf '%s\n' "$_l" | while read -r b; do
		[ -z "$b" ] || [ "$(status_of "$b")" = running ] || echo "$b"
	done
}

cp "$CONF" "$T/conf.good"
use_socket() {	# use_socket PATH TIMEOUT: the runtime at PATH, for now
	sed -e "s|socket: /var/run/docker.sock|socket: $1|" \
	    -e "s|timeout: 60s|timeout: $2|" "$T/conf.good" > "$CONF"
}
restore_conf() { cp "$T/conf.good" "$CONF"; }

# serve NAME ADDRESS: a unix socket $T/NAME.sock, for the box account,
# whose every connection socat hands to ADDRESS.  In its own process group
# so that stop_servers also ends the per-connection children.
serve() {
	rm -f "$T/$1.sock"
	setsid socat "UNIX-LISTEN:$T/$1.sock,fork,user=$BOX_USER,mode=600" "$2" \
		</dev/null >/dev/null 2>&1 &
	SERVERS="$SERVERS $!"
	wait_for 5 test -S "$T/$1.sock"
}
stop_servers() {
	for p in $SERVERS; do kill -- "-$p" 2>/dev/null; done
	SERVERS=
}

if [ "$TEST_RUNTIME" = docker ]; then
# ------------------------------------------------ 1. the runtime daemon hangs
# A socket that accepts and never answers; runtime.docker.timeout 3s.
new_key h
inv=$($INVITE create --json --profile test)
hid=$(jq -r .id <<<"$inv")
gssh h redeem --bind-only "$(jq -r .token <<<"$inv")" </dev/null 2>/dev/null
serve hang "EXEC:sleep 30"
use_socket "$T/hang.sock" 3s
t0=$(date +%s)
out=$(gssh h true </dev/null 2>&1); rc=$?
took=$(( $(date +%s) - t0 ))
restore_conf
t_is "daemon hangs: box-shell exits 251" "$rc" 251
t_like "daemon hangs: says the daemon did not answer in time" "$out" \
	"^sshbox: cannot start your box: (.*: )?Docker daemon did not answer within 3s$"
t_is "daemon hangs: one line" "$(lines "$out")" 1
t_ok "daemon hangs: gave up after runtime.docker.timeout, not the daemon's 30s ($took s)" \
	[ "$took" -lt 15 ]
t_is "daemon hangs: the box row is failed, nothing left live" "$(statuses_of_key h)" failed
t_is "daemon hangs: no live box for the key" "$(box_of h)" ""
t_is "daemon hangs: the invite is as the redemption left it" "$(uses_left "$hid")" 0
# A slow daemon may still make the container after box-shell gave up:
# the next reaper run removes it, the row being failed.
fb=$($INVITE boxes --all --json | jq -r --arg fp "$(fp_of h)" \
	'.[] | select(.key == $fp and .status == "failed") | .id' | head -1)
late=$(docker run -d --network none --name "sshbox-$fb" --label "io.sshbox.box=$fb" \
	--label "io.sshbox.instance=$INSTANCE" "$IMAGE" sleep 600)
out=$($REAPER --once --json 2>&1)
t_is "daemon hangs: a container made after the timeout is an orphan to the reaper" \
	"$(jq -r .orphans <<<"$out")" 1
t_ok "daemon hangs: and is gone after its run" sh -c "! docker inspect $late >/dev/null 2>&1"
t_is "daemon hangs: the key still gets its box once Docker answers" \
	"$(gssh h 'echo back' </dev/null 2>&1)" back
hb=$(box_of h)
# ... and the same while attaching to a running box
use_socket "$T/hang.sock" 3s
out=$(gssh h true </dev/null 2>&1); rc=$?
restore_conf
t_is "daemon hangs on attach: exit 251" "$rc" 251
t_like "daemon hangs on attach: one clear line" "$out" \
	"^sshbox: cannot reach your box: (.*: )?Docker daemon did not answer within 3s$"
t_is "daemon hangs on attach: one line" "$(lines "$out")" 1
t_is "daemon hangs on attach: the box is still running" "$(status_of "$hb")" running
t_is "daemon hangs on attach: its session was ended" \
	"$($INVITE boxes --json | jq -r --arg b "$hb" '.[] | select(.id == $b) | .sessions')" 0
t_is "daemon hangs on attach: the same box afterwards" \
	"$(gssh h 'echo again' </dev/null 2>&1) $(box_of h)" "again $hb"
stop_servers

# ------------------------------------------- 2. the runtime answers garbage
# A fake daemon: one script per connection, the same garbage whatever it
# is asked (sessions go to the box's agent, not to the daemon).
r() { printf "$@"; }
mkdir -p "$T/fake"
cat > "$T/fake/daemon" <<'EOS'
#!/bin/sh
# fake Docker daemon, one connection: read the request line, answer MODE
IFS= read -r req || exit 0
sleep 0.05	# let socat take the whole request first
cat "$(dirname "$0")/$1"
EOS
chmod 755 "$T/fake/daemon"
r 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{{{{{' > "$T/fake/json"
{ r 'SSH-2.0-nope\r\n'; head -c 4096 /dev/zero | tr '\0' '\377'; } > "$T/fake/junk"
r 'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"Id":"ab' > "$T/fake/trunc"
r 'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]' > "$T/fake/type"
r 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 11\r\n\r\n<html>x</h>' > "$T/fake/html"
{ r 'HTTP/1.1 200 OK\r\nX-Junk: '; head -c 300000 /dev/zero | tr '\0' a; r '\r\n\r\n{}'; } > "$T/fake/hdr"
{ r 'HTTP/1.1 201 Created\r\nContent-Length: 5000000\r\n\r\n'; head -c 5000000 /dev/zero | tr '\0' ' '; } > "$T/fake/huge"

new_key g
gssh g redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
for mode in json junk trunc type html hdr huge; do
	serve "fake-$mode" "EXEC:$T/fake/daemon $mode"
	use_socket "$T/fake-$mode.sock" 5s
	# g has no box: the create path; h has a running box: the attach path
	for k in g h; do
		out=$(gssh "$k" 'echo should-not-run' </dev/null 2>&1); rc=$?
		t_is "garbage ($mode, key $k): exit 251" "$rc" 251
		t_like "garbage ($mode, key $k): one clear line" "$out" \
			"^sshbox: (cannot start your box: cannot (create box|list boxes)|cannot reach your box: cannot inspect box): .*(Docker|HTTP [0-9]{3})"
		t_is "garbage ($mode, key $k): just that line" "$(lines "$out")" 1
		t_ok "garbage ($mode, key $k): no crash" no_crash "$rc" "$out"
	done
	restore_conf
	stop_servers
	t_is "garbage ($mode): no box of the key left live" "$(box_of g)" ""
	t_is "garbage ($mode): the running box is untouched" "$(status_of "$hb")" running
done
t_is "after the garbage the keys still work" \
	"$(gssh g 'echo g' </dev/null 2>&1) $(gssh h 'echo h' </dev/null 2>&1)" "g h"
else
	# No daemon between box-runtime and the boxes: a microVM's own
	# faults (QEMU killed mid-session, a guest kernel panic, an agent
	# that never answers, a disk that does not mount) are microvm.sh's.
	t_skip "the runtime daemon hangs or answers garbage" \
		"$TEST_RUNTIME has no daemon (microvm.sh: QEMU killed, a kernel panic, an agent that never answers)"
	new_key h
	gssh h redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
	t_is "a running box for what follows" "$(gssh h 'echo h' </dev/null 2>&1)" h
	hb=$(box_of h)
	new_key g
	gssh g redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
fi

# ------------------------------------------------ 3. the database is locked
# A long writer holds the write lock past box-shell's busy timeout (10s).
new_key L
inv=$($INVITE create --json --profile test)
lid=$(jq -r .id <<<"$inv")
ltok=$(jq -r .token <<<"$inv")
db_locked() { ! sqlite3 -cmd '.timeout 0' "$DB" 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1; }
mkfifo "$T/lock.fifo"
sqlite3 "$DB" <"$T/lock.fifo" >/dev/null 2>&1 & LOCKER=$!
exec 7>"$T/lock.fifo"
echo 'BEGIN IMMEDIATE;' >&7
t_ok "a writer holds the database lock" wait_for 5 db_locked
t0=$(date +%s)
gssh L redeem --bind-only "$ltok" </dev/null >"$T/lock.out" 2>&1 & gp=$!
sleep 12
echo 'ROLLBACK;' >&7
exec 7>&-
wait "$LOCKER"; LOCKER=
wait "$gp"; rc=$?
took=$(( $(date +%s) - t0 ))
out=$(cat "$T/lock.out")
t_is "database locked: redeem exits 252" "$rc" 252
t_like "database locked: one clear line" "$out" "^sshbox: cannot redeem: .*(locked|busy)"
t_is "database locked: just that line" "$(lines "$out")" 1
t_ok "database locked: it waited for the lock first ($took s)" [ "$took" -ge 10 ]
t_is "database locked: the use was not consumed" "$(uses_left "$lid")" 1
out=$(gssh L redeem --bind-only "$ltok" </dev/null 2>&1); rc=$?
t_is "database locked: after the release the same token redeems" "$rc" 0
t_is "and that took its one use" "$(uses_left "$lid")" 0

# ----------------------------------------------- 4. the database is corrupt
new_key c
inv=$($INVITE create --json --profile test)
gssh c redeem --bind-only "$(jq -r .token <<<"$inv")" </dev/null 2>/dev/null
ctok=$(new_invite --profile test)
new_key x
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
mkdir "$T/dbsave"
cp -p "$DB" "$T/dbsave/state.db"
dbsize=$(stat -c %s "$DB")
for variant in junk pages; do
	rm -f "$DB" "$DB-wal" "$DB-shm"
	if [ $variant = junk ]; then
		head -c 65536 /dev/zero | tr '\0' 'J' > "$DB"
	else	# a real header, every page after it garbage
		{ head -c 100 "$T/dbsave/state.db"
		  head -c $((dbsize - 100)) /dev/zero | tr '\0' '\245'; } > "$DB"
	fi
	chown "$BOX_USER:" "$DB"
	chmod 600 "$DB"
	gssh c true </dev/null >/dev/null 2>&1; rc=$?
	t_is "corrupt database ($variant): a bound key's login fails closed" "$rc" 255
	gssh x redeem --bind-only "$ctok" </dev/null >/dev/null 2>&1; rc=$?
	t_is "corrupt database ($variant): a new key with a good token gets nowhere" "$rc" 255
	out=$($INVITE list 2>&1); rc=$?
	t_ok "corrupt database ($variant): box-invite list fails" [ "$rc" -ne 0 ]
	t_like "corrupt database ($variant): with a clear message" "$out" \
		"(not a database|malformed|corrupt)"
	t_is "corrupt database ($variant): one line" "$(lines "$out")" 1
	t_ok "corrupt database ($variant): no crash" no_crash "$rc" "$out"
	out=$($REAPER --once 2>&1); rc=$?
	t_ok "corrupt database ($variant): box-reaper fails, and says why" \
		sh -c '[ "$1" -ne 0 ] && printf "%s\n" "$2" | grep -Eq "not a database|malformed|corrupt"' _ "$rc" "$out"
	t_ok "corrupt database ($variant): the reaper left the running box's container alone" \
		container_exists "$hb"
done
rm -f "$DB" "$DB-wal" "$DB-shm"
cp -p "$T/dbsave/state.db" "$DB"
t_is "database restored: the bound key works again" "$(gssh c 'echo ok' </dev/null 2>&1)" ok
t_is "database restored: the new key's token was not spent" \
	"$(gssh x redeem --bind-only "$ctok" </dev/null >/dev/null 2>&1; echo $?)" 0

# ---------------------------------------- 5. the database is on a full disk
# state_dir on a tiny tmpfs.  (a) With no connection open, SQLite cannot
# even make its -shm to read: box-authkeys fails closed (box-authkeys(8)),
# the guest gets sshd's refusal.  (b) With the state open (as while any
# session runs), box-shell gets as far as redeeming: 252 and one line.
# Either way no use is consumed.
mkdir -p "$T/small"
if mount -t tmpfs -o size=512k,mode=755 tmpfs "$T/small" 2>/dev/null; then
	SMALL_MOUNTED=1
	SDB=$T/small/state/state.db
	sed "s|^state_dir: .*|state_dir: $T/small/state|" "$T/conf.good" > "$T/small.yaml"
	$top_builddir/box-invite -c "$T/small.yaml" init >/dev/null
	cp "$T/small.yaml" "$CONF"
	inv=$($INVITE create --json --profile test)
	fid=$(jq -r .id <<<"$inv")
	ftok=$(jq -r .token <<<"$inv")
	new_key f
	authkeys_f() {
		runuser -u "$BOX_USER" -- "$top_builddir/box-authkeys" -c "$CONF" \
			"$BOX_USER" $(awk '{print $1, $2}' "$T/f.pub")
	}
	# (b) first: a connection holds the state open, then the disk fills
	mkfifo "$T/hold.fifo"
	sqlite3 "$SDB" <"$T/hold.fifo" >/dev/null 2>&1 & LOCKER=$!
	exec 7>"$T/hold.fifo"
	echo 'SELECT count(*) FROM invites;' >&7
	wait_for 5 test -s "$SDB-shm"
	dd if=/dev/zero of="$T/small/fill" bs=4k 2>/dev/null
	t_is "the state's disk is full" "$(df --output=avail "$T/small" | tail -1 | tr -d ' ')" 0
	out=$(gssh f redeem --bind-only "$ftok" </dev/null 2>&1); rc=$?
	t_is "disk full, state open: redeem exits 252" "$rc" 252
	t_like "disk full, state open: one clear line" "$out" \
		"^sshbox: cannot redeem: state: database or disk is full$"
	t_is "disk full, state open: just that line" "$(lines "$out")" 1
	t_ok "disk full, state open: no crash" no_crash "$rc" "$out"
	exec 7>&-
	wait "$LOCKER"; LOCKER=
	# (a) nothing open: fill what the closed connection gave back
	dd if=/dev/zero of="$T/small/fill2" bs=4k 2>/dev/null
	out=$(gssh f redeem --bind-only "$ftok" </dev/null 2>&1); rc=$?
	t_is "disk full, state idle: the login fails closed (255)" "$rc" 255
	out=$(authkeys_f 2>"$T/ak.err"); rc=$?
	t_ok "disk full, state idle: box-authkeys exits non-zero" [ "$rc" -ne 0 ]
	t_is "disk full, state idle: and prints no key line" "$out" ""
	t_like "disk full, state idle: its one line for the admin names the state" \
		"$(cat "$T/ak.err")" "^box-authkeys: .*state.*(disk|full|I/O)"
	t_is "disk full, state idle: just that line" "$(lines "$(cat "$T/ak.err")")" 1
	rm -f "$T/small/fill" "$T/small/fill2"
	t_is "disk full: no use consumed" "$(uses_left "$fid")" 1
	out=$(gssh f redeem --bind-only "$ftok" </dev/null 2>&1); rc=$?
	t_is "space freed: the same token redeems" "$rc" 0
	t_is "and that took its one use" "$(uses_left "$fid")" 0
	restore_conf
	umount "$T/small" && SMALL_MOUNTED=
else
	for i in $(seq 1 14); do
		t_n=$((t_n + 1)); echo "ok $t_n # SKIP cannot mount a tmpfs here"
	done
fi

# ----------------------------------------- 6. sshd restarted under sessions
new_key s
gssh s redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
gssh s 'sleep 6; echo finished' </dev/null >"$T/restart.out" 2>&1 & sp=$!
t_ok "a session is attached" wait_for 30 sh -c \
	"$INVITE boxes --json | jq -e --arg fp '$(fp_of s)' '.[] | select(.key == \$fp and .sessions == 1)' >/dev/null"
sb=$(box_of s)
old=$(cat "$T/sshd.pid")
kill -TERM "$old"
wait_for 10 sh -c "! kill -0 $old 2>/dev/null"
rm -f "$T/sshd.pid"
"$SSHD" -f "$T/sshd_config" -E "$T/sshd.log"
t_ok "sshd is back on its port" wait_for 10 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null"
t_is "a new login works meanwhile, in the same box" \
	"$(gssh s 'echo new' </dev/null 2>&1) $(box_of s)" "new $sb"
wait "$sp"; rc=$?
t_is "the open session outlived the restart and exited 0" "$rc" 0
t_is "and ran to its end" "$(cat "$T/restart.out")" finished
t_is "the box is still the same, and running" "$(box_of s) $(status_of "$sb")" "$sb running"

# ---------------------------------------- 7. reapers racing, reaper killed
# The boxes so far count against the per-address limit: end them first.
for b in $($INVITE boxes --json | jq -r '.[].id'); do $INVITE kill "$b" >/dev/null; done
# A box past its deadline: made, then its deadline moved into the past
# (however long the box took to start).
expire() { sqlite3 "$DB" "UPDATE boxes SET deadline = strftime('%s', 'now') - 1 WHERE id = '$1'"; }
new_key e
gssh e redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
gssh e true </dev/null 2>/dev/null
eb=$(box_of e)
expire "$eb"
$REAPER --once --json >"$T/r1" 2>&1 & p1=$!
$REAPER --once --json >"$T/r2" 2>&1 & p2=$!
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
t_is "two reapers at once: both exit 0" "$rc1 $rc2" "0 0"
t_is "two reapers at once: the expired box is destroyed exactly once" \
	"$(cat "$T/r1" "$T/r2" | grep '^{' | jq -s 'map(.expired // 0) | add')" 1
t_is "it is destroyed" "$(status_of "$eb")" destroyed
t_ok "its container is gone" no_container "$eb"
# A looping reaper SIGKILLed mid-run, with expired boxes to destroy.
for k in e1 e2 e3; do
	new_key $k
	gssh $k redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
	gssh $k true </dev/null 2>/dev/null
done
ebs="$(box_of e1) $(box_of e2) $(box_of e3)"
t_is "three boxes to reap" "$(wc -w <<<"$ebs")" 3
for b in $ebs; do expire "$b"; done
$REAPER --interval 1s >/dev/null 2>&1 & rp=$!
sleep 0.3
kill -KILL "$rp"
wait "$rp" 2>/dev/null
out=$($REAPER --once --json 2>&1); rc=$?
t_is "after a SIGKILLed reaper the next run exits 0" "$rc" 0
t_like "and does a pass (the lock died with the killed one)" "$out" '^\{'
t_is "every expired box is destroyed" \
	"$(for b in $ebs; do status_of "$b"; done | sort -u)" destroyed
t_is "no container left without a live box" "$(leaked)" ""

# ---------------------------------------------- whatever came before: leaks
$REAPER --once >/dev/null 2>&1
t_is "after a last reaper run: no container without a live box" "$(leaked)" ""
t_is "and no box row stuck creating" \
	"$($INVITE boxes --all --json | jq '[.[] | select(.status == "creating")] | length')" 0
t_done
