#!/bin/bash
# Hostile input through the real sshd: every kind of SSH forwarding is
# refused (-L -R -D -W -A -X), huge and odd commands are handled (refused
# cleanly or run inside the box only), a hostile environment from the
# client does not reach the host, and logs stay one event per line.
. "$(dirname "$0")/lib.sh"
setup_bastion
new_key h
gssh h redeem --bind-only "$(new_invite --profile test)" </dev/null 2>/dev/null
gssh h true </dev/null

# --- forwarding of every kind
out=$(gssh h -W 127.0.0.1:"$PORT" </dev/null 2>&1); rc=$?
t_is "-W (stdio forwarding) refused" "$rc" 255
t_like "  by sshd" "$out" "administratively prohibited|open failed|stdio forwarding failed"
lp=$((PORT + 1))
gssh h -o ExitOnForwardFailure=yes -L "$lp:127.0.0.1:$PORT" 'sleep 3' </dev/null >/dev/null 2>"$T/L.err" & lpid=$!
sleep 1
t_ok "-L: nothing reaches the bastion through the local forward" \
	sh -c "! ssh-keyscan -T 2 -p $lp 127.0.0.1 2>/dev/null | grep -q ."
wait $lpid
rp=$((PORT + 2))
out=$(gssh h -o ExitOnForwardFailure=yes -R "$rp:127.0.0.1:22" true </dev/null 2>&1); rc=$?
t_is "-R (remote forwarding) refused" "$rc" 255
t_like "  with sshd's reason" "$out" "remote port forwarding failed"
dp=$((PORT + 3))
gssh h -D "$dp" 'sleep 3' </dev/null >/dev/null 2>&1 & dpid=$!
sleep 1
# Through a working SOCKS forward, telnet:// would show sshd's banner.
t_ok "-D: the SOCKS proxy cannot open channels" \
	sh -c "! curl -s --max-time 3 --socks5-hostname 127.0.0.1:$dp telnet://127.0.0.1:$PORT </dev/null 2>/dev/null | grep -q SSH-2.0"
wait $dpid
ssh-agent -s > "$T/agent.env"; . "$T/agent.env" >/dev/null
t_is "-A: no agent socket inside the box" \
	"$(gssh h -o IdentityAgent="$SSH_AUTH_SOCK" -A 'echo "[${SSH_AUTH_SOCK:-}]"' </dev/null 2>/dev/null)" "[]"
kill "$SSH_AGENT_PID" 2>/dev/null
t_is "-X: no X11 display inside the box" \
	"$(DISPLAY=:0 gssh h -X 'echo "[${DISPLAY:-}]"' </dev/null 2>/dev/null)" "[]"
t_like "sshd logged the refusals" "$(cat "$T/sshd.log")" "refused|prohibited|disabled"

# --- commands: huge, multi-line, control characters
# A command travels in one SSH packet and sshd passes it in the
# environment: past ~256 KB sshd drops the connection before box-shell
# runs (box-shell's own 256 KiB limit is tested in test-command); 120 KB
# runs, inside the box.
c=$(head -c 100000 /dev/zero | tr '\0' 'x')
gssh h "touch /tmp/big-ran; echo" $c $c $c </dev/null >/dev/null 2>&1; rc=$?
t_ok "a 300 KB command fails" [ "$rc" -ne 0 ]
t_is "  and did not run" "$(gssh h 'ls /tmp/big-ran 2>&1 | grep -c "No such"' </dev/null)" 1
t_is "a 120 KB command runs in the box" \
	"$(gssh h echo $c ${c:0:20000} '| wc -c' </dev/null)" 120002
t_is "newlines separate commands, inside the box" \
	"$(gssh h "$(printf 'echo one\necho two')" </dev/null | tr '\n' ' ')" "one two "
t_is "control characters pass as data" \
	"$(gssh h "printf '%s' '$(printf 'a\033[2Jb')' | od -An -c | tr -s ' '" </dev/null)" \
	" a 033 [ 2 J b"
gssh h "$(printf 'redeem\tsbx1_x\necho injected')" </dev/null >"$T/inj.out" 2>&1; rc=$?
t_is "a multi-line redeem is refused, not run" "$rc" 249
t_ok "  and nothing after it ran" sh -c "! grep -q injected '$T/inj.out'"

# --- hostile environment from the client
out=$(LC_ALL="$(printf 'C\n;touch /tmp/sshbox-env-pwn')" TERM='xterm;touch /tmp/sshbox-term-pwn' \
	gssh h -o SendEnv=LC_ALL -tt 'echo "term=$TERM"' </dev/null 2>&1)
t_like "a hostile TERM is replaced, not passed" "$out" "term=xterm"
t_ok "  and ran nowhere" [ ! -e /tmp/sshbox-term-pwn ] 
t_ok "a hostile LC_ALL ran nowhere on the host" [ ! -e /tmp/sshbox-env-pwn ]

# --- logs: one event per line, untrusted bytes escaped
gssh h "redeem $(printf 'x\ny')" </dev/null >/dev/null 2>&1
t_ok "no raw control characters from guests in sshd's log" \
	sh -c "! grep -q \$'\033' '$T/sshd.log'"
t_done
