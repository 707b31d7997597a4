#!/bin/bash
# A full-screen program and the box's warnings: while the guest's terminal
# is on the alternate screen (vim, less, top), a warning goes to the
# window's title with a bell, not into the program's screen; the line
# itself comes once the screen is back; at the deadline the guest's own
# screen is given back first, so that the last word is seen.
. "$(dirname "$0")/lib.sh"
setup_bastion
write_profile screen "warn: [10s]"
new_key f
gssh f redeem --bind-only "$(new_invite --profile screen --ttl 20s)" </dev/null >/dev/null 2>&1
# The program takes the screen at once and keeps it past the deadline; the
# warning (10 s before the end) and the deadline both fall while it does.
gssh f -tt 'printf "\033[?1049hFULLSCREEN"; sleep 60' </dev/null >"$T/screen.out" 2>&1
out=$(tr '\033\007' 'EB' <"$T/screen.out" | tr -d '\r\n')
diag "seen: $(printf '%s' "$out" | cut -c1-300)"
t_like "the program took the alternate screen" "$out" 'E\[\?1049hFULLSCREEN'
inside=$(printf '%s' "$out" | sed 's/.*FULLSCREEN//; s/E\[?1049l.*//')
t_like "the warning went to the window's title, with a bell" "$inside" \
	'E\]2;sshbox: this box will be destroyed in [0-9]+sBB'
t_ok "  and not into the program's screen" \
	sh -c "! printf '%s' \"\$1\" | sed 's/E]2;[^B]*B//g' | grep -q 'sshbox:'" _ "$inside"
after=$(printf '%s' "$out" | sed 's/.*FULLSCREEN//')
t_like "at the deadline the guest's screen is given back, then the lines" "$after" \
	'E\[\?1049lsshbox: this box will be destroyed in [0-9]+ssshbox: time is up: this box is being destroyed'
t_done
