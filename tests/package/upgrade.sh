#!/bin/bash
# An upgrade with live boxes and sessions: a bastion runs an earlier
# version (built here from git, default bfed263: the state's schema 6,
# box-runtime setgid docker); a guest has a session running and another
# an idle box; the programs are replaced by this build's (box-runtime
# setuid root) and init is run again, as a package upgrade would.  Then:
# the running session finishes as it began, the old boxes take new
# sessions, the state has migrated, and kill and the reaper still remove
# the old boxes.  As root, with Docker; a few minutes (a build); not part
# of .ci/run.
# Usage: tests/package/upgrade.sh [OLD-REVISION]
set -u
OLD=${1:-bfed263}
export top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
NEW_BUILD=${top_builddir:-$top_srcdir}
OLDSRC=$(mktemp -d /var/tmp/sshbox-old.XXXXXX)
git -C "$top_srcdir" archive "$OLD" | tar -C "$OLDSRC" -xf - ||
	{ echo "1..0 # SKIP cannot export revision $OLD"; exit 0; }
(cd "$OLDSRC" && autoreconf -fi && ./configure --sysconfdir="${sysconfdir:-/usr/local/etc}" \
	--localstatedir="${localstatedir:-/usr/local/var}" && make -j2) >"$OLDSRC/build.log" 2>&1 ||
	{ echo "Bail out! the old revision $OLD does not build (see $OLDSRC/build.log)"; exit 1; }
# The harness, with the old programs (whose configuration knows no
# host_key).
top_builddir=$OLDSRC
HOST_KEY=none
. "$top_srcdir/tests/integration/lib.sh"
OCI_IMAGES=none
old_cleanup() { rm -rf "$OLDSRC"; }
TEST_CLEANUP=old_cleanup
# The old box-runtime was setgid docker.
chown root:docker "$BIN/box-runtime" && chmod 2755 "$BIN/box-runtime"
setup_bastion
t_is "the old version's state" "$(sqlite3 "$T/state/state.db" 'PRAGMA user_version')" 6

new_key a; new_key b
gssh a redeem --bind-only "$(new_invite --profile test)" </dev/null >/dev/null 2>&1
gssh b redeem --bind-only "$(new_invite --profile test)" </dev/null >/dev/null 2>&1
t_is "an old box for b" "$(gssh b 'echo old' </dev/null 2>&1)" old
bb=$(box_of b)
mkfifo "$T/go"
gssh a 'echo started; read line; echo "finished $line"' <"$T/go" >"$T/a.out" 2>&1 &
sess=$!
exec 7>"$T/go"
t_ok "a session of a runs on the old version" wait_for 30 grep -q started "$T/a.out"
ab=$(box_of a)

# ---------------------------------------------------------------- upgrade
for p in box-authkeys box-shell box-invite box-reaper box-proxy box-runtime box-agent; do
	cp "$NEW_BUILD/$p" "$BIN/$p.new" && mv "$BIN/$p.new" "$BIN/$p"
done
chown root:"$(id -gn "$BOX_USER")" "$BIN/box-runtime" && chmod 4750 "$BIN/box-runtime"
$INVITE init >/dev/null
t_is "init migrates the state" "$(sqlite3 "$T/state/state.db" 'PRAGMA user_version')" 7

echo go >&7
exec 7>&-
wait "$sess"; rc=$?
t_is "the session that ran through the upgrade finishes as it began" \
	"$rc:$(tail -1 "$T/a.out" | tr -d '\r')" "0:finished go"
t_is "b's old box takes a new session" "$(gssh b 'echo new; hostname' </dev/null 2>&1 | tr '\n' ' ')" \
	"new box-${bb:0:8} "
t_is "  the same box" "$(box_of b)" "$bb"
t_is "a's old box too" "$(gssh a 'hostname' </dev/null 2>&1)" "box-${ab:0:8}"
t_is "the old boxes are listed" "$($INVITE boxes --json | jq -r '[.[].id] | sort | join(" ")')" \
	"$(printf '%s\n' "$ab" "$bb" | sort | tr '\n' ' ' | sed 's/ $//')"
$INVITE kill "$bb" >/dev/null
t_ok "kill removes an old box" no_container "$bb"
sqlite3 "$T/state/state.db" "UPDATE boxes SET deadline = 1 WHERE id = '$ab'"
out=$(runuser -u "$BOX_USER" -- $REAPER --once --json 2>/dev/null)
t_is "the reaper removes an old box past its deadline" "$(jq -c '{expired, errors}' <<<"$out")" '{"expired":1,"errors":0}'
t_ok "  gone" no_container "$ab"
t_ok "  with its run directory" test ! -e "$RUNTIME_DIR/$INSTANCE/$ab"
t_done
