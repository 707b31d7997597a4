#!/bin/bash
# A profile's session hooks through a real sshd and the stock clients:
# commands.allow (only listed, simple commands; a chained one refused),
# commands.deny, file transfers and port streams as commands; refused
# commands cost no box and are audited; env reaches sessions; the banner
# shows at an interactive login, which the hooks leave alone.
. "$(dirname "$0")/lib.sh"
setup_bastion
write_profile hooked 'commands:' '  allow: ["echo *", "env", "/usr/lib/openssh/sftp-server", "tcp 80"]' \
	'env:' '  MODE: interview' '  LANG: C.UTF-8' \
	'banner: |' '  Welcome, tester.' '  Second line of the banner.'
write_profile denied 'commands:' '  deny: ["*secret*", "tcp *"]'

new_key h
gssh h redeem --bind-only "$(new_invite --profile hooked)" </dev/null 2>/dev/null
out=$(gssh h 'id' </dev/null 2>&1); rc=$?
t_is "an unlisted command: refused in one line, exit 250" "$rc $out" \
	"250 sshbox: this box does not run that command: its profile lists the commands it runs"
t_is "  before any box was made" "$(box_of h)" ""
out=$(gssh h 'echo hi; id' </dev/null 2>&1); rc=$?
t_like "a listed command chained to another: refused" "$rc $out" \
	"^250 sshbox: this box runs only the commands its profile lists, each simple"
out=$(gssh h 'echo $(id)' </dev/null 2>&1); rc=$?
t_like "  with a substitution too" "$rc $out" "^250 sshbox: this box runs only"
t_is "  still no box" "$(box_of h)" ""
t_is "a listed command runs" "$(gssh h 'echo hello there' </dev/null)" "hello there"
t_is "  with the profile's environment" "$(gssh h env </dev/null | grep -E '^(MODE|LANG)=' | sort | tr '\n' ' ')" \
	"LANG=C.UTF-8 MODE=interview "
printf 'payload\n' > "$T/up.txt"
gscp h "$T/up.txt" "$BOX_USER@127.0.0.1:/tmp/up.txt" 2>/dev/null; rc=$?
t_is "scp (over sftp-server, listed): allowed" "$rc" 0
t_is "  the file arrived" "$(gssh h 'echo /tmp/*' </dev/null)" "/tmp/up.txt"
gscp h -O "$T/up.txt" "$BOX_USER@127.0.0.1:/tmp/legacy.txt" 2>/dev/null; rc=$?
t_ok "scp -O (the legacy scp -t, not listed): refused" [ "$rc" -ne 0 ]
t_is "  nothing arrived" "$(gssh h 'echo /tmp/*' </dev/null)" "/tmp/up.txt"
out=$(printf 'id\n' | gssh h -T 2>&1); rc=$?
t_is "a shell without a terminal (a script on stdin): refused" "$rc $out" \
	"250 sshbox: this box runs only the commands its profile lists, and a shell without a terminal is none of them"
out=$(gssh h 'tcp 81' </dev/null 2>&1); rc=$?
t_like "a port stream not listed: refused" "$rc $out" "^250 sshbox: this box does not run that command"
events=$($INVITE audit --json | jq -r '[.[] | select(.event == "command-refused") | .detail] | join("|")')
t_like "refusals are audited with the command" "$events" "does not run that command[^|]*: id(\||$)"
t_like "  and the chained one" "$events" ": echo hi; id"

cat > "$T/banner.exp" <<EOX
set timeout 60
spawn ssh -F /dev/null -tt -i $T/h -o IdentitiesOnly=yes -o IdentityAgent=none -o UserKnownHostsFile=$T/known_hosts -o StrictHostKeyChecking=no -o LogLevel=ERROR -p $PORT box@127.0.0.1
expect "Welcome, tester." {} timeout { exit 10 }
expect "Second line of the banner." {} timeout { exit 11 }
expect -re {sshbox: box [0-9a-f]+ \(profile hooked\) ends at} {} timeout { exit 12 }
expect -re {[\$#] } { send "id -un\r" } timeout { exit 13 }
expect "guest" { send "exit\r" } timeout { exit 14 }
expect eof
EOX
expect "$T/banner.exp" >/dev/null 2>&1; rc=$?
t_is "a login: the banner, then the box's end, then a shell the hooks leave alone" "$rc" 0
out=$(gssh h 'echo plain' </dev/null 2>&1)
t_is "  a command shows no banner" "$out" "plain"

new_key d
gssh d redeem --bind-only "$(new_invite --profile denied)" </dev/null 2>/dev/null
out=$(gssh d 'cat /etc/secret' </dev/null 2>&1); rc=$?
t_is "a denied command: refused" "$rc $out" "250 sshbox: this box does not run that command (its profile denies it)"
t_is "a denylist alone lets the rest run, shell and all" "$(gssh d 'echo a; echo b' </dev/null | tr '\n' ' ')" "a b "
out=$(gssh d 'tcp 8080' </dev/null 2>&1); rc=$?
t_is "  a denied port stream: refused" "$rc $out" "250 sshbox: this box does not run that command (its profile denies it)"
t_done
