#!/bin/bash
# box-proxy as a guest with nothing prepared uses it: an account with an
# empty home and no agent runs the one line the invite prints and gets a
# box; the same with an agent running (key added with a lifetime); the key
# is reused on reconnect; bad and used tokens fail clearly and leave no
# key; hostile host and port values; "config" and "forget".
SSHD_EXTRA="ListenAddress ::1"	# when lo has ::1, box-proxy relays over IPv6
. "$(dirname "$0")/lib.sh"
ip -6 addr show lo 2>/dev/null | grep -q '::1' || SSHD_EXTRA=
setup_bastion
G=sshbox-guest
GH=$T/ghome
id "$G" >/dev/null 2>&1 || useradd --shell /bin/sh --no-create-home --home-dir "$GH" "$G"
pkill -u "$G" 2>/dev/null; sleep 0.2	# agents left by an interrupted run
usermod -d "$GH" "$G" || { echo "Bail out! cannot set $G's home"; exit 1; }
GUEST_USER=$G
mkdir -p "$GH" && chown "$G:" "$GH" && chmod 700 "$GH"
as_guest() { runuser -u "$G" -- env -i HOME="$GH" PATH="$top_builddir:/usr/bin:/bin" LANG=C "$@"; }
keys=$GH/.local/state/sshbox/keys

# --- no key, no agent, empty home: the printed line works
inv=$($INVITE create --json --profile test)
line=$(jq -r .commands.proxy <<<"$inv")
id=$(jq -r .id <<<"$inv")
t_like "the invite prints a box-proxy line" "$line" "ProxyCommand box-proxy --token sbx1_"
t_is "the guest home is empty" "$(ls -A "$GH" | wc -l)" 0
out=$(as_guest sh -c "$line hostname" 2>"$T/p1.err"); rc=$?
t_is "first connection: exit 0" "$rc" 0
t_like "lands in a box" "$out" '^box-[0-9a-f]{8}$'
[ "$rc" = 0 ] || sed 's/^/# /' "$T/p1.err"
t_is "the key is kept per invite, mode 0600" "$(stat -c %a "$keys/$id" 2>/dev/null)" 600
t_is "in a directory of mode 0700" "$(stat -c %a "$keys")" 700
t_ok "a private agent serves it" test -S "$GH/.local/state/sshbox/agent.sock"
as_guest sh -c "$line 'exit 3'" </dev/null 2>/dev/null
t_is "exit status through box-proxy" "$?" 3
sum=$(md5sum < "$keys/$id")
out2=$(as_guest sh -c "$line hostname" 2>/dev/null)
t_is "reconnect reaches the same box" "$out2" "$out"
t_is "with the same key" "$(md5sum < "$keys/$id")" "$sum"
t_is "one use consumed in all" "$($INVITE show --json "$id" | jq .uses_left)" 0

# --- the bastion's host key: the invite pins it, box-proxy and ssh check it
t_is "the invite pins the bastion's host key" "$(jq -r .host_key_pinned <<<"$inv")" true
t_like "  and the printed line makes ssh check it" "$line" \
	"UserKnownHostsFile ~/.local/state/sshbox/known_hosts' -o StrictHostKeyChecking=yes"
t_is "  box-proxy wrote it for [127.0.0.1]:$PORT" \
	"$(awk -v h="[127.0.0.1]:$PORT" '$1 == h { print $2, $3 }' "$GH/.local/state/sshbox/known_hosts")" \
	"$(awk '{ print $1, $2 }' "$T/hostkey.pub")"
t_is "  nothing went to the guest's own known_hosts" "$(cat "$GH/.ssh/known_hosts" 2>/dev/null | wc -l)" 0
# An invite that pins another key (a bastion that is not the one that
# answers): neither box-proxy's redeem nor the guest's ssh goes on.
ssh-keygen -q -t ed25519 -N '' -f "$T/otherkey" >/dev/null
cp "$CONF" "$T/conf.pin"
sed -i "s|^host_key: .*|host_key: $T/otherkey.pub|" "$CONF"
invx=$($INVITE create --json --profile test)
cp "$T/conf.pin" "$CONF"
linex=$(jq -r .commands.proxy <<<"$invx")
idx=$(jq -r .id <<<"$invx")
out=$(as_guest sh -c "$linex hostname" 2>&1 </dev/null); rc=$?
t_ok "a pinned key that is not the bastion's: refused" [ "$rc" != 0 ]
t_like "  saying so in one line" "$out" \
	"^box-proxy: the host at 127.0.0.1 port $PORT does not have the host key this invite names: not connecting"
t_is "  no use of the invite spent" "$($INVITE show --json "$idx" | jq .uses_left)" 1
t_ok "  no key kept for it" test ! -e "$keys/$idx"

# --- IPv6: the same line to [::1]
if [ -n "$SSHD_EXTRA" ]; then
	inv6=$($INVITE create --json --profile test)
	line6=$(jq -r .commands.proxy <<<"$inv6" | sed 's/box@127\.0\.0\.1/box@::1/')
	t_like "over IPv6 (::1)" "$(as_guest sh -c "$line6 'echo v6'" 2>&1)" '^v6$'
else
	t_n=$((t_n + 1)); echo "ok $t_n # SKIP lo has no ::1 address"
fi

# --- with the guest's own agent: key added with a lifetime
inv=$($INVITE create --json --profile test --ttl 8s)
line=$(jq -r .commands.proxy <<<"$inv")
id2=$(jq -r .id <<<"$inv")
as_guest sh -c "
	eval \$(ssh-agent -s) >/dev/null
	$line hostname >/dev/null 2>&1; echo rc=\$?
	ssh-add -l
	sleep 10
	echo after:; ssh-add -l
	ssh-agent -k >/dev/null" >"$T/agent.out" 2>&1
t_like "agent: connection works" "$(cat "$T/agent.out")" "rc=0"
t_like "agent: ssh-add -l shows the box key" "$(sed -n '/rc=/,/after:/p' "$T/agent.out")" "sshbox-$id2"
t_ok "agent: the key is gone when the box time is over" \
	sh -c "! sed -n '/after:/,\$p' '$T/agent.out' | grep -q 'sshbox-$id2'"

# --- bad and used tokens: one clear line, no key left
out=$(as_guest box-proxy --token sbx1_notatoken 127.0.0.1 "$PORT" 2>&1 </dev/null); rc=$?
t_is "bad token: exit 255" "$rc" 255
t_like "bad token: clear line" "$out" "^box-proxy: this is not an sshbox invite token"
used=$(jq -r .token <<<"$($INVITE create --json --profile test)")
new_key u
gssh u redeem --bind-only "$used" </dev/null 2>/dev/null
out=$(as_guest box-proxy --token "$used" 127.0.0.1 "$PORT" 2>&1 </dev/null); rc=$?
t_is "used token: exit 255" "$rc" 255
t_like "used token: the bastion's reason" "$out" "cannot redeem the invite: .*already been used"
uid=$(as_guest box-proxy config --token "$used" --hostname x | sed -n 's/^# sshbox invite \([0-9a-f]*\).*/\1/p')
t_ok "used token: no key left behind" sh -c "! ls '$keys' | grep -q '$uid'"
t_ok "the key whose box time is over was removed" [ ! -e "$keys/$id2" ]
expired=$(jq -r .token <<<"$($INVITE create --json --profile test --expires 1s)")
sleep 2
out=$(as_guest box-proxy --token "$expired" 127.0.0.1 "$PORT" 2>&1 </dev/null); rc=$?
t_like "expired token: clear line" "$out" "expired"

# --- hostile %h and %p: refused before anything runs
good=$(jq -r .token <<<"$($INVITE create --json --profile test)")
before=$(ls "$keys" | wc -l)
marker=$T/hostile-marker
for h in '-oProxyCommand=touch '"$marker" "a;touch $marker" '$(touch '"$marker"')' \
	"host name" "" "$(printf 'a\nb')"; do
	# As ssh runs the printed ProxyCommand: ... -- %h %p
	out=$(as_guest box-proxy --token "$good" --user box -- "$h" "$PORT" 2>&1 </dev/null); rc=$?
	t_is "hostile host $(printf '%q' "$h"): exit 255" "$rc" 255
	t_like "  with one line" "$(printf '%s\n' "$out" | wc -l) $out" "^1 box-proxy: bad host name"
done
for p in 0 65536 "22;touch $marker" -1 "" abc; do
	out=$(as_guest box-proxy --token "$good" --user box -- 127.0.0.1 "$p" 2>&1 </dev/null); rc=$?
	t_is "hostile port $(printf '%q' "$p"): exit 255" "$rc" 255
	t_like "  with one line" "$out" "^box-proxy: bad port"
done
t_ok "nothing ran" [ ! -e "$marker" ]
t_is "no key was made" "$(ls "$keys" | wc -l)" "$before"
t_is "the good token was not used" \
	"$($INVITE list --json | jq --arg t "$good" '[.[] | select(.uses_left == 1)] | length > 0')" true

# --- config: afterwards a plain "ssh ALIAS" works (via localhost: v6 or v4)
as_guest sh -c "mkdir -p ~/.ssh && box-proxy config --token '$good' --host mybox --hostname localhost --port $PORT >> ~/.ssh/config"
t_like "config prints a Host block" "$(cat "$GH/.ssh/config")" "ProxyCommand .*box-proxy --token sbx1_"
out=$(as_guest ssh -o StrictHostKeyChecking=accept-new mybox 'echo via-alias' 2>&1 </dev/null)
t_is "ssh ALIAS works" "$out" via-alias

# --- a port in the box: ssh ALIAS tcp PORT, and box-proxy --forward
as_guest ssh mybox 'mkdir -p /tmp/www && echo hello-from-the-box > /tmp/www/index.html && httpd -p 127.0.0.1:8080 -h /tmp/www' </dev/null
get='GET /index.html HTTP/1.0\r\n\r\n'
out=$(printf "$get" | as_guest ssh mybox tcp 8080 2>&1); rc=$?
t_is "tcp PORT: the web server in the box answers, exit 0" "$rc $(grep -c hello-from-the-box <<<"$out")" "0 1"
t_like "  over HTTP" "$out" "^HTTP/1.[01] 200 OK"
# Over a terminal (ssh -t) the port's stream is typed: the terminal stays
# cooked, so Enter (a CR) ends a line as it does for any command.
out=$(printf 'GET /index.html HTTP/1.0\r\r' | as_guest timeout 30 ssh -tt mybox tcp 8080 2>&1)
t_like "tcp over a terminal: typed lines reach the port" "$(tr -d '\r' <<<"$out" | grep -c hello-from-the-box)" "^1$"
out=$(as_guest ssh mybox tcp 8081 </dev/null 2>&1); rc=$?
t_is "tcp to a port nobody listens on: exit 251 (not reached)" "$rc" 251
t_like "  with one line saying so" "$(wc -l <<<"$out") $out" \
	"^1 sshbox: port 8081 in your box: Connection refused$"
for bad in "tcp 0" "tcp 65536" "tcp 80 81" "tcp 80;id" "tcp"; do
	out=$(as_guest ssh mybox "$bad" </dev/null 2>&1); rc=$?
	t_like "\"$bad\": refused in one line" "$rc $(wc -l <<<"$out") $out" "^249 1 sshbox: usage: tcp PORT"
done
as_guest box-proxy --forward 127.0.0.1:0:8080 mybox 2>"$T/fwd.err" &
fwd=$!
for i in $(seq 100); do grep -q 'here is port' "$T/fwd.err" && break; sleep 0.1; done
lport=$(sed -n 's/^box-proxy: 127.0.0.1:\([0-9]*\) here is port 8080 in the box of mybox.*/\1/p' "$T/fwd.err")
t_like "--forward says where the port is" "$lport" '^[0-9]+$'
fetch() {	# fetch: one HTTP request through the forward
	exec 5<>"/dev/tcp/127.0.0.1/$lport" && printf "$get" >&5 && cat <&5; exec 5<&-
}
t_is "--forward: a browser's request reaches the box" "$(fetch | grep -c hello-from-the-box)" 1
fetch >"$T/f1" & f1=$!; fetch >"$T/f2" & f2=$!; wait "$f1" "$f2"
t_is "  two at once" "$(cat "$T/f1" "$T/f2" | grep -c hello-from-the-box)" 2
pkill -TERM -u "$G" -x box-proxy; wait "$fwd"; rc=$?
t_is "  Ctrl-C or TERM ends it, exit 0" "$rc" 0
t_ok "  and the port is closed" sh -c "! (exec 5<>/dev/tcp/127.0.0.1/$lport) 2>/dev/null"
out=$(as_guest box-proxy --forward 8080 mybox 2>&1); rc=$?
t_like "--forward with no box port: one line" "$rc $out" "^255 box-proxy: bad forward \"8080\""
as_guest ssh mybox 'killall httpd' </dev/null
# A browser through --forward opens several connections at once, each an
# ssh whose ProxyCommand is box-proxy: before the first one redeemed, they
# must not race to make and spend keys.
race=$(new_invite --profile test)
as_guest sh -c "box-proxy config --token '$race' --host race --hostname localhost --port $PORT >> ~/.ssh/config"
pids=
for i in 1 2 3 4; do
	as_guest ssh race tcp 8080 </dev/null >"$T/race$i" 2>&1 & pids="$pids $!"
done
wait $pids
t_is "four first connections at once: each reaches the one box" \
	"$(cat "$T"/race? | grep -c '^sshbox: port 8080 in your box: Connection refused$')" 4
[ "$(cat "$T"/race? | grep -c '^sshbox: port 8080 in your box: Connection refused$')" = 4 ] ||
	cat -A "$T"/race? | sed 's/^/# /'
t_ok "  its own box, not the box of the guest's other invite" \
	[ "$(as_guest ssh race hostname </dev/null)" != "$(as_guest ssh mybox hostname </dev/null)" ]
t_is "  through one key: one invite use spent" \
	"$($INVITE show --json "$(sed -n 's/^# sshbox invite \([0-9a-f]*\).*/\1/p' "$GH/.ssh/config" | tail -1)" | jq .uses_left)" 0

# --- forget
# One invite's key: out of the agent and off the disk; the others stay,
# and so does the agent that holds them.
agent_keys() { as_guest env SSH_AUTH_SOCK="$GH/.local/state/sshbox/agent.sock" ssh-add -l 2>/dev/null | grep -c SHA256; }
# (A key the agent holds: keys of expired boxes may be out of it already.)
held=$(as_guest env SSH_AUTH_SOCK="$GH/.local/state/sshbox/agent.sock" ssh-add -l 2>/dev/null)
one= onefp=
for k in $(ls "$keys" | grep -v '\.'); do
	fp=$(ssh-keygen -lf "$keys/$k.pub" | awk '{print $2}')
	if printf '%s\n' "$held" | grep -qF "$fp"; then one=$k onefp=$fp; break; fi
done
t_ok "the agent holds a key of an invite (to forget)" [ -n "$one" ]
before=$(agent_keys)
out=$(as_guest box-proxy forget "$one")
t_is "forget ID removes that invite's key" "$out" "removed 1 key"
t_ok "  its files are gone" sh -c "! ls '$keys' | grep -q '^$one'"
t_is "  and the agent no longer holds it" \
	"$(as_guest env SSH_AUTH_SOCK="$GH/.local/state/sshbox/agent.sock" ssh-add -l 2>/dev/null | grep -c "$onefp")" 0
t_is "  the agent keeps the other keys" "$(agent_keys)" "$((before - 1))"
apid=$(cat "$GH/.local/state/sshbox/agent.sock.pid" 2>/dev/null)
n=$(ls "$keys" | grep -vc '\.')
out=$(as_guest box-proxy forget)
t_is "forget says how many keys it removed" "$out" "removed $n keys"
t_is "no key is left" "$(ls -A "$keys" | wc -l)" 0
t_ok "the private agent socket is gone" [ ! -e "$GH/.local/state/sshbox/agent.sock" ]
if [ -n "$apid" ]; then
	t_ok "  and the private agent stopped" wait_for 10 sh -c "! kill -0 $apid 2>/dev/null"
else
	t_skip "  and the private agent stopped" "the guest's own agent was used"
fi
t_done
