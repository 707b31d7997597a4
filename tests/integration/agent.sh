#!/bin/bash
# box-agent as PID 1 of Docker boxes, and the host side of its socket.
# A guest who is root in its box (or holds DAC_OVERRIDE) can rewrite its
# run directory: whatever it plants there -- another box's agent, a link
# to the Docker socket, a FIFO, a file -- box-shell refuses with one line,
# starts nothing, and leaks nothing.
. "$(dirname "$0")/lib.sh"
setup_bastion

new_key a; new_key b
gssh a redeem --bind-only "$(new_invite --profile test)" </dev/null >/dev/null 2>&1
gssh b redeem --bind-only "$(new_invite --profile test)" </dev/null >/dev/null 2>&1
gssh a true </dev/null; gssh b true </dev/null
ba=$(box_of a) bb=$(box_of b)
ca=$(docker ps -q --no-trunc --filter "label=io.sshbox.box=$ba")

# --------------------------------------------------------------- PID 1
t_is "the agent is PID 1 of the box" \
	"$(gssh a 'cat /proc/1/comm' </dev/null)" box-agent
t_is "it runs as the profile's user" \
	"$(gssh a 'stat -c %u /proc/1' </dev/null)" 1000
t_is "bound read-only from the installation" \
	"$(gssh a 'touch /.sshbox/box-agent 2>&1 >/dev/null | grep -c Read-only' </dev/null)" 1
t_is "no Docker exec ran in the box" \
	"$(docker inspect -f '{{len .ExecIDs}}' "$ca")" 0
t_like "the agent's pid is the runtime's init" \
	"$(docker inspect -f '{{.State.Pid}}' "$ca")" '^[1-9][0-9]*$'
gssh a 'echo hidden > /.sshbox/run/planted' </dev/null 2>/dev/null
t_ok "the guest can put nothing in its run directory" \
	sh -c "[ \"\$(ls $RUNTIME_DIR/$INSTANCE/$ba)\" = agent.sock ]"
t_is "which only root reaches" \
	"$(stat -c '%U:%G %a' "$RUNTIME_DIR")" "root:root 700"

# ------------------------------------------------- what a guest may plant
run=$RUNTIME_DIR/$INSTANCE/$ba
mv "$run/agent.sock" "$run/real.sock"
plant() {	# plant NAME: the box's socket replaced by NAME, then a session
	name=$1; shift
	out=$(gssh a 'echo reached' </dev/null 2>&1); rc=$?
	t_is "$name: exit 250, nothing started" "$rc $(grep -c reached <<<"$out")" "250 0"
	t_like "$name: one line saying why" "$out" "^sshbox: cannot reach your box: .*"
	t_is "$name: that one line only" "$(wc -l <<<"$out")" 1
	rm -f "$run/agent.sock"
}
ln -s "$RUNTIME_DIR/$INSTANCE/$bb/agent.sock" "$run/agent.sock"
plant "a link to another box's agent"
ln -s /var/run/docker.sock "$run/agent.sock"
plant "a link to the Docker socket"
mkfifo "$run/agent.sock"
plant "a FIFO"
echo junk > "$run/agent.sock"
plant "a regular file"
# Each run directory is a file system of its own: another box's agent
# cannot even be hard-linked in.
t_like "a hard link to another box's agent cannot be made (another file system)" \
	"$(ln "$RUNTIME_DIR/$INSTANCE/$bb/agent.sock" "$run/agent.sock" 2>&1)" \
	"Invalid cross-device link"
# The same socket under another name, as only root could put it there
# (a bind mount): it is a socket, it answers, and it is the other box's
# agent -- only the peer check stands in the way.
: > "$run/agent.sock"
mount --bind "$RUNTIME_DIR/$INSTANCE/$bb/agent.sock" "$run/agent.sock"
out=$(gssh a 'hostname' </dev/null 2>&1); rc=$?
umount "$run/agent.sock"
t_is "another box's agent itself (bound in): refused" "$rc" 250
t_like "  saying it is not this box's agent" "$out" \
	"^sshbox: cannot reach your box: the socket in your box's run directory is not your box's agent: refusing it$"
t_is "  and the other box saw no session" \
	"$(docker exec "$(docker ps -q --filter "label=io.sshbox.box=$bb")" ps -o comm | grep -c '^sh$')" 0
rm -f "$run/agent.sock"
mv "$run/real.sock" "$run/agent.sock"
t_is "the real agent back: the session runs again" \
	"$(gssh a hostname </dev/null)" "box-${ba:0:8}"

# ---------------------------------------------------------- any image
t_is "a login shell over a terminal (relay), input typed ahead kept" \
	"$(echo 'echo $0 $HOME; exit' | gssh a -tt 2>/dev/null | tr -d '\r' | grep -ac 'sh /home/guest$')" 1
t_is "a command's TERM comes from the guest's terminal only" \
	"$(gssh a -tt 'echo $TERM' </dev/null 2>/dev/null | tr -d '\r')" xterm
t_is "stdin EOF reaches the box" "$(printf 'x\ny\n' | gssh a 'wc -l')" 2

# ------------------------------------------- files in and out, any image
# The busybox image has neither scp nor sftp-server: the bastion's own run
# in the box, with the bastion's loader and libc bound read-only.
t_is "the image has no sftp-server or scp of its own" \
	"$(gssh a 'ls /usr/lib/openssh/sftp-server /usr/bin/scp 2>/dev/null | wc -l' </dev/null)" 0
head -c 300000 /dev/urandom > "$T/blob"
gscp() { scp -F /dev/null -i "$T/a" -o IdentitiesOnly=yes -o IdentityAgent=none \
	-o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" \
	-o StrictHostKeyChecking=no -o LogLevel=ERROR -P "$PORT" "$@"; }
t_ok "scp (over sftp) into the box" gscp "$T/blob" "$BOX_USER@127.0.0.1:/tmp/blob1"
t_is "  the bytes arrived in the box" "$(gssh a 'md5sum < /tmp/blob1' </dev/null | cut -d' ' -f1)" \
	"$(md5sum < "$T/blob" | cut -d' ' -f1)"
t_ok "scp -O (the old protocol) into the box" gscp -O "$T/blob" "$BOX_USER@127.0.0.1:/tmp/blob2"
t_ok "scp -O back out" gscp -O "$BOX_USER@127.0.0.1:/tmp/blob2" "$T/back2"
t_ok "  unchanged" cmp "$T/blob" "$T/back2"
printf 'put %s /tmp/blob3\nls -l /tmp/blob3\nget /tmp/blob3 %s\n' "$T/blob" "$T/back3" > "$T/batch"
gsftp() { sftp -F /dev/null -i "$T/a" -o IdentitiesOnly=yes \
	-o IdentityAgent=none -o BatchMode=yes -o UserKnownHostsFile="$T/known_hosts" \
	-o StrictHostKeyChecking=no -o LogLevel=ERROR -P "$PORT" -b "$T/batch" \
	"$BOX_USER@127.0.0.1" >/dev/null; }
t_ok "sftp puts and gets" gsftp
t_ok "  unchanged" cmp "$T/blob" "$T/back3"
t_is "  and the file is the guest's in the box" "$(gssh a 'stat -c %u /tmp/blob3' </dev/null)" 1000
t_ok "nothing landed on the bastion" sh -c "[ ! -e /tmp/blob1 ] && [ ! -e /tmp/blob3 ]"

# ------------------------------------------ a guest driving its own agent
# From inside, the agent is the guest's own: whatever it is sent, it starts
# nothing the guest could not start anyway, and box-shell's sessions go on.
poke_bin=$BUILD_DIR/tests/integration/agent-poke
[ -x "$poke_bin" ] || { echo "Bail out! $poke_bin is not built (make check builds it)"; exit 1; }
gssh a 'cat > /tmp/poke && chmod 755 /tmp/poke' < "$poke_bin"
poke() { gssh a "/tmp/poke $*" </dev/null 2>&1; }
t_is "from inside: a session of its own, as the guest" \
	"$(poke run "'id -u'" | tr '\n' ' ')" "1000 exit 0 "
t_is "asking to be root: still the guest, no capabilities" \
	"$(poke root "'id -u; grep CapEff /proc/self/status'" | tr -s '\t\n' '  ')" \
	"1000 CapEff: 0000000000000000 exit 0 "
t_like "descriptors with a terminal request: refused" "$(poke fds)" \
	"^refused: expected 1 descriptors, got 3$"
t_like "a malformed frame: refused" "$(poke junk)" "^refused: "
t_like "a 2 GiB frame announced: refused" "$(poke huge)" "^refused: no session request$"
t_like "a flood of 100 connections sent junk" "$(poke flood 100)" "^flooded [0-9]+ of 100$"
one_agent() { [ "$(gssh a 'ps -o comm | grep -c "^box-agent"' </dev/null)" = 2 ]; }
t_ok "  each is ended: PID 1 and this session's child are left" wait_for 20 one_agent
t_is "box-shell's sessions go on as before" "$(gssh a 'echo still; exit 4' </dev/null 2>&1; echo "rc=$?")" "still
rc=4"

# ------------------------------------------------------- destroy
$INVITE kill "$ba" >/dev/null
t_ok "a destroyed box leaves no run directory" sh -c "[ ! -e $run ]"

t_done
