#!/bin/bash
# Privilege confinement: the box account cannot reach the Docker socket;
# box-runtime (setuid root) is its only way to the runtime, serves only
# root and the box account, only with a root-owned configuration, only on
# this bastion's boxes, and refuses every request outside its grammar
# while going on serving.  Guests and a box-account reaper work through it.
. "$(dirname "$0")/lib.sh"
setup_bastion

HELPER=$BIN/box-runtime
# hreq [LINE...]: a conversation with box-runtime as the box account.
hreq() { printf '%s\n' "$@" | runuser -u "$BOX_USER" -- "$HELPER" -c "$CONF" serve 2>&1; }
# one LINE: the answer to a single request (after the greeting).
one() { hreq "$1" | sed -n 2p; }

# ------------------------------------------------------------ the install
t_is "box-runtime is setuid root, runnable by the box account's group only" \
	"$(stat -c '%U:%G %a' "$HELPER")" "root:$(id -gn "$BOX_USER") 4750"
t_ok "the box account is not in the docker group" \
	sh -c "! id -nG $BOX_USER | tr ' ' '\n' | grep -qx docker"
out=$(runuser -u "$BOX_USER" -- curl -s --unix-socket /var/run/docker.sock \
	http://docker/version 2>&1); rc=$?
t_is "the box account cannot connect to the Docker socket (curl exit 7)" "$rc" 7
t_is "greets the box account" "$(hreq | head -1)" "ready 1"

# ------------------------------------------------------------- who may ask
out=$(printf 'list\n' | runuser -u nobody -- "$HELPER" -c "$CONF" serve 2>&1); rc=$?
t_like "another account cannot even run it" "$rc $out" "^[1-9][0-9]* .*Permission denied"
# Its own check, behind the file mode: a copy any account may run.
cp -p "$HELPER" "$BIN/box-runtime-open" && chmod 4755 "$BIN/box-runtime-open"
out=$(printf 'list\n' | runuser -u nobody -- "$BIN/box-runtime-open" -c "$CONF" serve 2>&1); rc=$?
rm -f "$BIN/box-runtime-open"
t_is "run anyway by another account, it refuses (exit 1)" "$rc" 1
t_is "with one line saying whom it serves" "$out" \
	"err 3 box-runtime serves the box account ($BOX_USER) only"

asbox() { printf 'list\n' | runuser -u "$BOX_USER" -- "$HELPER" -c "$1" serve 2>&1; }
mkdir "$T/own" && cp "$CONF" "$T/own/" && chown -R "$BOX_USER:" "$T/own"
t_like "a configuration in a directory the box account owns is refused" \
	"$(asbox "$T/own/sshbox.yaml")" "^err 7 configuration: $T/own is not owned by root"
mkdir "$T/rootdir" && cp "$CONF" "$T/rootdir/" && chown "$BOX_USER" "$T/rootdir/sshbox.yaml"
t_like "so is a configuration file the box account owns" \
	"$(asbox "$T/rootdir/sshbox.yaml")" "^err 7 configuration: $T/rootdir/sshbox.yaml is not owned by root"
mkdir "$T/gw" && cp "$CONF" "$T/gw/" && chmod 775 "$T/gw"
t_like "and one in a group-writable directory" \
	"$(asbox "$T/gw/sshbox.yaml")" "^err 7 configuration: $T/gw is group- or world-writable"
# A link (which a caller could swap between the real directory and its own
# while the checks run) is refused wherever it is.
mkdir "$T/rootdir2" && ln -s "$T" "$T/rootdir2/link"
t_like "a symbolic link anywhere in the path is refused" \
	"$(asbox "$T/rootdir2/link/sshbox.yaml")" "^err 7 configuration: $T/rootdir2/link is a symbolic link \(not allowed here\)$"
t_like "a relative path is refused" "$(cd "$T" && asbox sshbox.yaml)" "^err 7 configuration: sshbox.yaml: not an absolute path$"
t_like "a path with .. is refused" "$(asbox "$T/rootdir/../sshbox.yaml")" "^err 7 configuration: .*: not a plain path to a file$"
# A root-owned pseudo file whose text another user picks: a root process's
# name in /proc/PID/comm reads as YAML naming its own box_user.
cp /bin/sleep "$T/box_user: box" && "$T/box_user: box" 60 & comm=$!
wait_for 5 grep -q 'box_user' "/proc/$comm/comm"
t_like "a configuration on /proc is refused (it is not even called sshbox.yaml)" \
	"$(asbox "/proc/$comm/comm")" "^err 7 configuration: /proc/$comm/comm is not a file named sshbox.yaml$"
cp -p "$HELPER" "$BIN/box-runtime-open" && chmod 4755 "$BIN/box-runtime-open"
t_is "and another account is refused before anything is read" \
	"$(printf 'list\n' | runuser -u nobody -- "$BIN/box-runtime-open" -c "/proc/$comm/comm" serve 2>&1)" \
	"err 3 box-runtime serves the box account ($BOX_USER) only"
rm -f "$BIN/box-runtime-open"
kill "$comm"
mkdir "$T/gdir" && install -m 640 -g docker "$CONF" "$T/gdir/sshbox.yaml"
t_like "a file only the docker group may read is read as the caller: refused" \
	"$(asbox "$T/gdir/sshbox.yaml")" "^err 7 configuration: $T/gdir/sshbox.yaml: Permission denied$"
# Any root-owned file of comments parses as the defaults; only a bastion's
# own configuration names its account and instance.
mkdir "$T/elsewhere" && cp "$CONF" "$T/elsewhere/"
t_is "a root-owned configuration nobody listed is refused" \
	"$(asbox "$T/elsewhere/sshbox.yaml")" \
	"err 7 configuration: $T/elsewhere/sshbox.yaml is not $sysconfdir/sshbox/sshbox.yaml and not listed in $RUNTIME_CONFIGS"
allow_config add "$CONF" "$T/elsewhere/sshbox.yaml"
t_like "  and served once root lists it" "$(asbox "$T/elsewhere/sshbox.yaml" | tail -1)" "^ok [0-9]+$"
mkdir "$T/bare" && printf '# nothing\n' > "$T/bare/sshbox.yaml"
allow_config add "$CONF" "$T/bare/sshbox.yaml"
t_is "a configuration that does not name box_user and instance is refused" \
	"$(asbox "$T/bare/sshbox.yaml")" "err 7 configuration: $T/bare/sshbox.yaml must set box_user and instance"
t_like "and so is one by another name" "$(asbox /etc/hosts.allow)" \
	"^err 7 configuration: /etc/hosts.allow is not a file named sshbox.yaml$"
out=$(printf 'list\n' | runuser -u "$BOX_USER" -- "$HELPER" serve extra 2>&1); rc=$?
t_is "a stray argument is a usage error (exit 2)" "$rc" 2

# ------------------------------------------------------ requests it refuses
now=$(date +%s)
while IFS='|' read -r req want; do
	t_like "refused: $req" "$(one "$req")" "$want"
done <<EOF
destroy 0123456789abcdef ../etc|^err 2 invalid box reference$
destroy 0123456789abcdef sshbox-xyz|^err 2 invalid box reference$
destroy sshbox-0123456789abcdef -|^err 2 invalid box id$
inspect 0123;id|^err 2 invalid box reference$
destroy|^err 2 destroy takes 2 arguments$
destroy 0123456789abcdef|^err 2 destroy takes 2 arguments$
list all|^err 2 list takes 0 arguments$
run /bin/sh|^err 2 unknown request$
create 0123456789abcdef ../../etc/passwd $((now + 60))|^err 2 invalid profile name$
create 0123456789ABCDEF test $((now + 60))|^err 2 invalid box id$
create 0123456789abcdef nosuch $((now + 60))|^err 4 profile nosuch: .*nosuch.yaml: No such file or directory$
create 0123456789abcdef test $((now + 86400))|^err 3 deadline outside profile test's max_ttl$
create 0123456789abcdef test 10|^err 3 deadline outside profile test's max_ttl$
exec sshbox-0123456789abcdef 1 24 80 xterm -|^err 2 unknown request$
exec sshbox-0123456789abcdef 0 0 0 - 2|^err 2 unknown request$
resize $(printf 'a%.0s' $(seq 64)) 24 80|^err 2 unknown request$
status $(printf 'b%.0s' $(seq 64))|^err 2 unknown request$
list  |^err 2 malformed request$
EOF
t_like "a tab inside a request is malformed" "$(one "$(printf 'list\t')")" "^err 2 malformed request$"
out=$(hreq "run x" "destroy ../x" "list")
t_like "after refusals it goes on serving" "$(echo "$out" | sed -n 4p)" "^ok 0$"
out=$(printf 'list%0600d\nlist\n' 0 | runuser -u "$BOX_USER" -- "$HELPER" -c "$CONF" serve 2>&1); rc=$?
t_is "an overlong request ends the conversation (exit 1)" "$rc" 1
t_is "with one err line and nothing served after it" "$(echo "$out" | tail -n +2)" \
	"err 2 request too long or cut short"

# ------------------------------------------------ containers that are not ours
foreign=$(docker create --network none --label io.sshbox.box=0123456789abcdef \
	--label io.sshbox.instance=elsewhere --label io.sshbox.profile=test \
	"$IMAGE" sleep 60)
plain=$(docker create --network none "$IMAGE" sleep 60)
for c in "$foreign" "$plain"; do
	t_like "destroy of a container not of this bastion refused" \
		"$(one "destroy 0123456789abcdef $c")" \
		"^err 3 container $c is not box 0123456789abcdef of this bastion: left alone$"
	t_like "inspect refused too" "$(one "inspect $c")" "is not a box of this bastion$"
	t_like "agent refused too" "$(one "agent 0123456789abcdef $c")" \
		"^err 3 container $c is not box 0123456789abcdef of this bastion: left alone$"
	t_like "pause refused too" "$(one "pause 0123456789abcdef $c")" \
		"^err 3 container $c is not box 0123456789abcdef of this bastion: left alone$"
	t_ok "and the container is still there" sh -c "docker inspect $c >/dev/null"
done
docker rm -f "$foreign" "$plain" >/dev/null

# -------------------------------------------------- what it does, directly
id=$(openssl rand -hex 8)
out=$(one "create $id test $((now + 120))")
t_like "create of a valid request: ok and the container id" "$out" "^ok [0-9a-f]{64}$"
ref=${out#ok }
t_is "the box carries this bastion's labels and the profile" \
	"$(docker inspect -f '{{index .Config.Labels "io.sshbox.instance"}} {{index .Config.Labels "io.sshbox.box"}} {{index .Config.Labels "io.sshbox.profile"}}' "$ref")" \
	"$INSTANCE $id test"
t_is "made from the profile's limits, not the caller's" \
	"$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NetworkMode}}' "$ref")" \
	"67108864 64 none"
t_is "inspect: exists and runs" "$(one "inspect $ref")" "ok 1 1"
t_like "list shows it" "$(hreq list | sed -n 3p)" "^$ref $id $((now + 120)) 1$"
# The old exec request with its command after it: refused, and the
# command is only one more line the grammar refuses, run nowhere.
out=$(printf 'exec %s 0 0 0 - 21\ntouch /tmp/helper-ran\nlist\n' "$ref" |
	runuser -u "$BOX_USER" -- "$HELPER" -c "$CONF" serve 2>&1)
t_is "an exec request with a command: unknown, and so is the command" \
	"$(sed -n 2,3p <<<"$out")" "err 2 unknown request
err 2 unknown request"
t_like "  and it goes on serving" "$(sed -n 4p <<<"$out")" "^ok [0-9]+$"
t_ok "  the command did not run in the box" \
	docker exec "$ref" sh -c '! test -e /tmp/helper-ran'
t_is "pause: ok" "$(one "pause $id $ref")" "ok"
t_is "  the runtime froze it" "$(docker inspect -f '{{.State.Paused}}' "$ref")" true
t_is "  pausing again is ok" "$(one "pause $id -")" "ok"
t_is "unpause: ok" "$(one "unpause $id $ref")" "ok"
t_is "  the runtime thawed it" "$(docker inspect -f '{{.State.Paused}}' "$ref")" false
t_like "pause of a box that is gone: not found" \
	"$(one "pause $(openssl rand -hex 8) -")" "^err 4 box [0-9a-f]{16} is gone$"
t_like "destroy naming another box id with this box's reference: refused" \
	"$(one "destroy $(openssl rand -hex 8) $ref")" "^err 3 container $ref is not box [0-9a-f]{16} of this bastion: left alone$"
t_is "  and the box is still there" "$(one "inspect $ref")" "ok 1 1"
t_is "destroy: ok" "$(one "destroy $id $ref")" "ok"
t_ok "and it is gone" no_container "$id"
t_is "destroy of a box already gone is ok" "$(one "destroy $id -")" "ok"
t_is "inspect of a box gone: does not exist" "$(one "inspect sshbox-$id")" "ok 0 0"

# The runtime's own count of this bastion's boxes bounds create even for a
# caller that skips box-shell's accounting in the state.
mkdir "$T/one" && sed "s|^profiles_dir: profiles|profiles_dir: $T/profiles|" "$CONF" > "$T/one/sshbox.yaml" &&
	printf 'limits:\n  max_boxes: 1\n' >> "$T/one/sshbox.yaml"
allow_config add "$CONF" "$T/one/sshbox.yaml"
a=$(openssl rand -hex 8) b=$(openssl rand -hex 8)
out=$(printf 'create %s test %s\ncreate %s test %s\n' "$a" $((now + 120)) "$b" $((now + 120)) |
	runuser -u "$BOX_USER" -- "$HELPER" -c "$T/one/sshbox.yaml" serve 2>&1)
t_like "with max_boxes 1 a first create is made" "$(sed -n 2p <<<"$out")" "^ok "
t_is "and a second refused" "$(sed -n 3p <<<"$out")" "err 8 this bastion already runs its maximum of 1 boxes"
t_ok "  leaving no container for it" no_container "$b"
one "destroy $a -" >/dev/null
for i in 1 2 3 4 5 6; do
	printf 'create %s test %s\n' "$(openssl rand -hex 8)" $((now + 120)) |
		runuser -u "$BOX_USER" -- "$HELPER" -c "$T/one/sshbox.yaml" serve 2>&1 |
		sed -n 2p > "$T/par.$i" &
done
wait
t_is "six helpers creating at once under max_boxes 1: one box" "$(cat "$T"/par.* | grep -c '^ok ')" 1
t_is "  the other five refused" "$(cat "$T"/par.* | grep -c '^err 8 ')" 5
for r in $(sed -n 's/^ok //p' "$T"/par.*); do
	b=$(docker inspect -f '{{index .Config.Labels "io.sshbox.box"}}' "$r")
	one "destroy $b $r" >/dev/null
done

chown "$BOX_USER" "$T/profiles/test.yaml"
t_like "a profile the box account could rewrite is refused" \
	"$(one "create $(openssl rand -hex 8) test $((now + 120))")" \
	"^err 7 profile test: .*test.yaml is not owned by root"
chown root "$T/profiles/test.yaml"

# ------------------------------------------------ guests and the reaper use it
new_key g
tok=$(new_invite --profile test)
gssh g redeem --bind-only "$tok" </dev/null 2>/dev/null
t_is "a guest's command runs in its box through box-runtime" \
	"$(gssh g 'echo "in $(hostname)"' </dev/null)" "in box-$(box_of g | cut -c1-8)"
out=$(gssh g 'exit 7' </dev/null); rc=$?
t_is "and its exit status comes back" "$rc" 7
# Sampled once the guest's command runs, when the helper is idle: while it
# reads a file it holds its caller's group, on purpose.
gssh g 'touch /tmp/running; sleep 5' </dev/null &
wait_for 20 docker exec "sshbox-$(box_of g)" test -f /tmp/running
dgid=$(getent group docker | cut -d: -f3)
our_shell() {	# this bastion's box-shell process (not sh -c around it)
	for p in $(pgrep -u "$BOX_USER" -x box-shell); do
		tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF " $CONF" && echo "$p"
	done | head -1
}
for i in $(seq 100); do
	shell=$(our_shell)
	[ -n "$shell" ] && helper=$(pgrep -P "$shell" -x box-runtime) && break
	sleep 0.2
done
t_is "during a session box-shell holds no docker group" \
	"$(awk -v g="$dgid" '/^(Gid|Groups):/ { for (i = 2; i <= NF; i++) if ($i == g) n++ } END { print n + 0 }' "/proc/$shell/status")" 0
# Idle, box-runtime runs as its caller; root is only its saved id, taken
# up while it drives a runtime.
t_is "its box-runtime child runs as the box account, root only saved" \
	"$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$helper/status")" \
	"$(id -u "$BOX_USER") $(id -u "$BOX_USER") 0 $(id -u "$BOX_USER")"
t_is "with the box account's groups, no docker group" \
	"$(awk -v g="$dgid" '/^(Gid|Groups):/ { for (i = 2; i <= NF; i++) if ($i == g) n++ } END { print n + 0 }' "/proc/$helper/status")" 0
wait

orphan=$(openssl rand -hex 8)
out=$(one "create $orphan test $(( $(date +%s) + 2 ))")
t_like "a box with no state row (an orphan)" "$out" "^ok "
sleep 3
out=$(runuser -u "$BOX_USER" -- $REAPER --once --json 2>/dev/null)
t_is "box-reaper as the box account removes it through box-runtime" \
	"$(echo "$out" | jq -c '{orphans, errors}')" '{"orphans":1,"errors":0}'
t_ok "and the orphan is gone" no_container "$orphan"
t_ok "the guest's box was left alone" container_exists "$(box_of g)"
t_done
