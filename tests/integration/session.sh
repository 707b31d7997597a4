#!/bin/bash
# Sessions in a box through a real sshd: exit status, stdout, stderr and
# stdin passed through unchanged; reconnecting reaches the same box; two
# terminals in one box; an interactive PTY that follows the window size;
# the box is isolated (own hostname, no host processes, no network and a
# read-only root for secure-shell).
. "$(dirname "$0")/lib.sh"
setup_bastion

new_key g
gssh g redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null

# --- exit status, stdout, stderr, stdin
gssh g 'exit 7' </dev/null; t_is "exit status passes through" "$?" 7
gssh g "sh -c 'exit 42'" </dev/null; t_is "nested exit status" "$?" 42
# Like any sshd: the client joins its arguments with spaces, so this runs
# "sh -c exit 3" and exits 0, exactly as plain ssh would.
gssh g -- sh -c 'exit 3' </dev/null; t_is "argument joining as with plain ssh" "$?" 0
out=$(gssh g 'echo out; echo err >&2' 2>"$T/err" </dev/null)
t_is "stdout passes through" "$out" out
t_is "stderr passes through, separately" "$(cat "$T/err")" err
t_is "stdin passes through" "$(printf 'hello\nworld\n' | gssh g 'cat')" \
	"$(printf 'hello\nworld\n')"
head -c 3000000 /dev/urandom > "$T/blob"
t_is "3 MB of binary stdin and stdout unchanged" \
	"$(gssh g 'cat' < "$T/blob" | md5sum)" "$(md5sum < "$T/blob")"
t_is "binary stdin reaches the box intact" \
	"$(gssh g 'md5sum' < "$T/blob" | cut -d' ' -f1)" \
	"$(md5sum < "$T/blob" | cut -d' ' -f1)"
t_is "quotes and metacharacters are the box shell's" \
	"$(gssh g 'printf "%s|" "a b" '"'"'$HOME'"'"' $(echo x)' </dev/null)" \
	'a b|$HOME|x|'

# --- guest input never reaches a shell on the host
marker=/tmp/sshbox-host-marker-$$
rm -f "$marker"
gssh g "touch $marker; echo \$(touch $marker); \`touch $marker\`" </dev/null >/dev/null 2>&1
gssh g redeem "x; touch $marker" </dev/null >/dev/null 2>&1
SSH_ORIG=$(printf 'touch %s\nid' "$marker")
gssh g "$SSH_ORIG" </dev/null >/dev/null 2>&1
t_ok "no guest command touched the host" [ ! -e "$marker" ]
t_is "it did run inside the box" "$(gssh g "ls $marker" </dev/null)" "$marker"

# --- the same box on reconnect
b1=$(box_of g)
h1=$(gssh g hostname </dev/null)
gssh g 'echo keep > /tmp/state' </dev/null
h2=$(gssh g hostname </dev/null)
t_is "reconnect reaches the same box" "$h2" "$h1"
t_is "and sees what the last session left" "$(gssh g 'cat /tmp/state' </dev/null)" keep
t_is "one box for the key" "$(box_of g)" "$b1"

# --- two terminals at once
gssh g 'touch /tmp/one; sleep 30' </dev/null & p1=$!
gssh g 'touch /tmp/two; sleep 30' </dev/null & p2=$!
sessions() { $INVITE boxes --json | jq -r --arg b "$b1" '.[] | select(.id == $b) | .sessions'; }
t_ok "two sessions attached at once" wait_for 30 sh -c "[ \"\$($INVITE boxes --json | jq -r '.[0].sessions')\" = 2 ]"
t_is "both in the same box" "$(gssh g 'ls /tmp/one /tmp/two | wc -l' </dev/null)" 2
# The clients go away: sshd closes their channels, and everything those
# sessions started in the box ends, their rows with them.
pkill -x ssh -P "$p1,$p2"; wait $p1 $p2 2>/dev/null
no_sleeps() { [ "$(gssh g 'ps -o comm | grep -c "^sleep"' </dev/null)" = 0 ]; }
no_sessions() { [ "$(sessions)" = 0 ]; }
t_ok "killed clients: their commands in the box end" wait_for 20 no_sleeps
t_ok "  and their session rows close" wait_for 20 no_sessions

# --- isolation
t_like "own hostname" "$h1" '^box-[0-9a-f]{8}$'
t_ok "not the host's hostname" [ "$h1" != "$(hostname)" ]
procs=$(gssh g 'ps -o comm' </dev/null)
t_like "ps in the box sees the box's agent" "$procs" "box-agent"
t_ok "no host processes visible" sh -c "! printf '%s' \"\$1\" | grep -Eq 'sshd|dockerd|containerd'" _ "$procs"
t_ok "few processes in the box" [ "$(printf '%s\n' "$procs" | wc -l)" -lt 8 ]
diag "$procs"
t_is "runs as the profile's user" "$(gssh g 'id -u' </dev/null)" 1000
t_is "no capabilities for the guest" \
	"$(gssh g 'grep CapEff /proc/self/status' </dev/null | awk '{print $2}')" \
	0000000000000000
t_is "no_new_privs is set" \
	"$(gssh g 'grep NoNewPrivs /proc/self/status' </dev/null | awk '{print $2}')" 1

new_key s
gssh s redeem --bind-only "$(new_invite --profile secure-shell)" </dev/null 2>/dev/null
t_is "secure-shell: only loopback" "$(gssh s 'ls /sys/class/net' </dev/null)" lo
t_like "secure-shell: read-only root" \
	"$(gssh s 'touch /etc/x 2>&1; echo " rc=$?"' </dev/null 2>&1 | tr -d '\n')" "Read-only file system rc=1$"
t_is "secure-shell: /tmp is writable" "$(gssh s 'echo w > /tmp/w && cat /tmp/w' </dev/null)" w
t_like "secure-shell: pids limit applied" \
	"$(docker inspect -f '{{.HostConfig.PidsLimit}}' "sshbox-$(box_of s)")" '^[0-9]+$'
t_is "secure-shell: network mode none" \
	"$(docker inspect -f '{{.HostConfig.NetworkMode}}' "sshbox-$(box_of s)")" none

# --- interactive PTY, window size followed
cat > "$T/pty.exp" <<EOX
set timeout 60
set stty_init "rows 30 columns 100"
spawn ssh -F /dev/null -tt -i $T/g -o IdentitiesOnly=yes -o IdentityAgent=none -o UserKnownHostsFile=$T/known_hosts -o StrictHostKeyChecking=no -o LogLevel=ERROR -p $PORT box@127.0.0.1
expect -re {[\$#] } { send "stty size\r" } timeout { exit 10 }
expect "30 100" {} timeout { exit 11 }
stty rows 50 columns 132 < \$spawn_out(slave,name)
sleep 1
send "stty size\r"
expect "50 132" {} timeout { exit 12 }
send "tty\r"
expect -re {/dev/pts/[0-9]+} {} timeout { exit 13 }
send "exit 5\r"
expect eof
catch wait result
exit [lindex \$result 3]
EOX
expect "$T/pty.exp" >"$T/pty.out" 2>&1; rc=$?
t_is "interactive shell with a PTY; resize followed; exit code kept" "$rc" 5
[ "$rc" = 5 ] || sed 's/^/# /' "$T/pty.out" | tail -20
t_done
