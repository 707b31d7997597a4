#!/bin/bash
# box-invite replay --html: hostile recordings written by hand become pages
# that hold no URL and play to their end in a headless Chromium with no
# network, without one injected element; a session's recording is found
# through the state, and one planted as a link, a hard link, another
# account's file or a path in the row is refused with nothing printed.
# Needs no sshd and no runtime.
. "$(dirname "$0")/common.sh"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
BOX_USER=box

[ "$(id -u)" = 0 ] || t_skip_all "needs root (the box account, files of other owners)"
[ -x "$top_builddir/box-invite" ] || t_skip_all "box-invite is not built in $top_builddir"
command -v sqlite3 >/dev/null || t_skip_all "no sqlite3"
box_account

T=$(mktemp -d /tmp/sshbox-replay.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/keys" "$T/profiles" "$T/casts"
cat > "$T/sshbox.yaml" <<EOC
box_user: $BOX_USER
state_dir: state
signing_key: keys/invite.key
verify_key: keys/invite.pub
profiles_dir: profiles
player_dir: $T/player
EOC
INVITE="$top_builddir/box-invite -c $T/sshbox.yaml"
$INVITE init >/dev/null || { echo "Bail out! box-invite init failed"; exit 1; }
REC=$T/state/recordings
mkdir "$REC" && chown "$BOX_USER:" "$REC" && chmod 750 "$REC"

HDR='{"version": 2, "width": 80, "height": 24, "timestamp": 1764620000, "env": {"TERM": "xterm-256color"}}'
END='[30, "m", "sshbox: end exit=0 reason=exited"]'
cast() {	# cast NAME HEADER EVENT...: a recording in $T/casts
	n=$1; shift
	printf '%s\n' "$@" > "$T/casts/$n.cast"
}
# The player renders each cast's last line; the long pause before it is
# cut by --idle-limit, and --speed makes the rest quick.
last='[20, "o", "\r\nsshbox-replay-end-marker-42\r\n"]'
cast normal "$HDR" '[0.5, "o", "$ echo hi\r\nhi\r\n"]' "$last" "$END"
cast script "$HDR" '[0.5, "o", "</script><script>alert(1)</script>"]' \
	'[0.6, "o", "</script><script>document.body.setAttribute(\"data-pwned\",\"1\")</script>"]' \
	'[0.7, "o", "<img src=x onerror=alert(2)><svg onload=alert(3)>"]' "$last" "$END"
cast comment "$HDR" '[0.5, "o", "<!-- <script>alert(1)</script>"]' "$last" "$END"
cast osc "$HDR" '[0.5, "o", "\u001b]52;c;aGVsbG8=\u0007\u001b]0;pwned title\u0007\u001b[2J"]' "$last" "$END"
cast utf8 "$HDR" '[0.5, "o", "bad bytes: \ufffd\ufffd\ufffd \u2028 \u2029"]' "$last" "$END"
long=$(head -c 100000 /dev/zero | tr '\0' 'x')
cast long "$HDR" "[0.5, \"o\", \"$long\\r\\n\"]" "$last" "$END"
cast title '{"version": 2, "width": 80, "height": 24, "title": "<b>bold</b> \"quoted\" '"'"'single'"'"' & <script>alert(1)</script>"}' \
	'[0.5, "o", "x"]' "$last" "$END"
cast cut "$HDR" '[0.5, "o", "a"]' "$last"
printf '[25, "o", "half a li' >> "$T/casts/cut.cast"

page() {	# page NAME: box-invite replay --html --file into $T/NAME.html
	$INVITE replay --html --speed 4 --idle-limit 0.5 --file "$T/casts/$1.cast" \
		> "$T/$1.html" 2> "$T/$1.err"
}
# No address at all in what the page is made of besides the player's
# own lines (inlined as they are) and the recording's text (which may
# well name URLs, as text): no scheme, nothing protocol-relative, no src,
# href, url() or @import.  And no '<' or '>' in the recording's element.
no_url() {
	sed '/id="sshbox-cast">/,/<\/script>/d' "$1" |
	    grep -vxF -f "$T/player/asciinema-player.min.js" \
	    -f "$T/player/asciinema-player.css" > "$1.rest"
	! grep -Eiq 'https?:|ftp:|file:|//|src=|href=|url\(|@import' "$1.rest" &&
	    sed -n '/id="sshbox-cast">/,/<\/script>/p' "$1" |
	    sed -e 's/^.*id="sshbox-cast">//' -e 's/<\/script>$//' | grep -q . &&
	    ! sed -n '/id="sshbox-cast">/,/<\/script>/p' "$1" |
	    sed -e 's/^.*id="sshbox-cast">//' -e 's/<\/script>$//' | grep -q '[<>]'
}

# Before the player is there: a clear error.
page normal; rc=$?
t_is "no player: fails" "$rc" 1
t_like "  naming the directory and the fix" "$(cat "$T/normal.err")" "not installed in $T/player.*scripts/install-deps"
t_is "  and prints nothing" "$(wc -c < "$T/normal.html")" 0

P=
for d in "$top_srcdir/share/asciinema-player" /usr/local/share/sshbox/asciinema-player \
    /usr/share/sshbox/asciinema-player; do
	[ -f "$d/asciinema-player.min.js" ] && { P=$d; break; }
done
[ -n "$P" ] || { t_skip "pages" "asciinema-player not fetched (scripts/fetch-player)"; t_done; exit; }
mkdir "$T/player" && cp "$P/asciinema-player.min.js" "$P/asciinema-player.css" "$T/player/" &&
	chmod -R a+rX "$T/player"
# What the player itself may load, the page's policy forbids.
csp="default-src 'none'; script-src 'sha256-"

CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || :)
command -v node >/dev/null || CHROME=	# it drives Chromium
# The terminal's text as the player drew it, without the page's own JSON.
screen() { grep -o '<pre class="ap-term-text.*</pre>' "$T/$1.dom"; }
render() {	# render NAME: the DOM of $T/NAME.html once played, no network
	# Driven in real time over the debugging pipe until the player's
	# screen shows the recording's last output (at most 60 s): virtual
	# time would race the player's WebAssembly start.
	rm -rf "$T/chrome-$1"
	CHROME_PROFILE="$T/chrome-$1" timeout 120 unshare -n node \
		"$top_srcdir/tests/integration/chrome-dom.js" "$CHROME" \
		"file://$T/$1.html" sshbox-replay-end-marker-42 60 \
		> "$T/$1.dom" 2> "$T/$1.chrome"
}

for n in normal script comment osc utf8 long title; do
	page "$n"; rc=$?
	t_is "$n: a page" "$rc" 0
	t_ok "  no URL in it" no_url "$T/$n.html"
	t_ok "  a policy that lets it load nothing" grep -qF "$csp" "$T/$n.html"
	t_is "  four scripts: the recording, options, player, start" \
		"$(grep -o '<script' "$T/$n.html" | wc -l) $(grep -o '</script' "$T/$n.html" | wc -l)" "4 4"
	if [ -z "$CHROME" ]; then
		t_skip "  plays in Chromium" "chromium (and node, which drives it) not installed"
		continue
	fi
	render "$n"
	t_like "  plays to its last output" "$(screen "$n")" "sshbox-replay-end-marker-42"
	t_is "  and only the page's scripts are in the DOM" "$(grep -o '<script' "$T/$n.dom" | wc -l)" 4
	t_ok "  no injected element" sh -c "! grep -Eq '<img|<svg[^>]*onload|data-pwned=\"1\"|<b>|<title>pwned' '$T/$n.dom'"
done

t_like "the script's text is shown as text" "$(screen script)" \
	'&lt;/script&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;'
t_like "a comment opener too" "$(screen comment)" '&lt;!-- &lt;script&gt;'
t_ok "OSC 52 and the title sequence are the terminal's, not the page's" \
	sh -c "! grep -q 'pwned title' '$T/osc.dom' || ! grep -q '<title>pwned' '$T/osc.dom'"
t_like "replacement characters shown" "$(screen utf8)" 'bad bytes: ���'
t_like "the 100 KB line plays" "$(screen long)" 'xxxxxxxxxxxxxxxxxxxx'
t_like "a hostile title is shown escaped" "$(grep -o '<h1>.*</h1>' "$T/title.html")" \
	'^<h1>&lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot; .*single.* &amp; &lt;script&gt;alert\(1\)&lt;/script&gt;</h1>$'
t_like "  in the page's title too" "$(grep -o '<title>.*</title>' "$T/title.html")" '^<title>&lt;b&gt;bold'
t_like "a complete recording says so" "$(cat "$T/normal.html")" '>complete<'
t_is "  and box-invite says nothing more" "$(cat "$T/normal.err")" ""

page cut; rc=$?
t_is "a recording cut mid-line: a page" "$rc" 0
t_like "  marked incomplete" "$(cat "$T/cut.html")" 'incomplete: the recording was cut short'
t_like "  and box-invite says so" "$(cat "$T/cut.err")" "cut.cast: the recording is incomplete"
printf '%s\n' "$HDR" '[2, "o", "a"]' '[1, "o", "b"]' > "$T/casts/back.cast"
page back; rc=$?
t_is "a time that goes back: refused" "$rc" 1
t_like "  naming the line" "$(cat "$T/back.err")" "line 3: an event's time goes back"
t_is "  and nothing printed" "$(wc -c < "$T/back.html")" 0
if command -v script >/dev/null; then
	t_like "--html to a terminal is refused" \
		"$(script -qec "$INVITE replay --html --file $T/casts/normal.cast" /dev/null </dev/null)" \
		"redirect it to a file"
else
	t_skip "--html to a terminal is refused" "no script(1)"
fi

# ------------------------------------------------- a session, through the state
sql() { sqlite3 "$T/state/state.db" "$@"; }
row() {	# row ID RECORDING-NAME
	sql "INSERT INTO session_log (id, box_id, started_at, ended_at, recording,
	    recording_state) VALUES ($1, '0123456789abcdef', 1764620000,
	    1764620030, '$2', 'complete')"
}
sql "INSERT INTO session_log (id, box_id, started_at) VALUES (11, '0123456789abcdef', 1764620000)"
row 12 session-12.cast
row 13 session-13.cast
row 14 session-14.cast
row 15 session-15.cast
row 16 '../casts/normal.cast'
row 17 'sub/x.cast'
row 18 '.hidden'
install -o "$BOX_USER" -m 600 "$T/casts/normal.cast" "$REC/session-12.cast"
ln -s "$REC/session-12.cast" "$REC/session-13.cast"
install -o "$BOX_USER" -m 600 "$T/casts/normal.cast" "$REC/session-14.cast"
ln "$REC/session-14.cast" "$REC/hardlink.cast"
install -o nobody -m 644 "$T/casts/normal.cast" "$REC/session-15.cast"

sess() {	# sess ID: replay --html of a session into $T/s.html, $T/s.err
	$INVITE replay --html "$1" > "$T/s.html" 2> "$T/s.err"
}
sess 12; rc=$?
t_is "session 12: a page" "$rc" 0
t_like "  labelled with the session" "$(cat "$T/s.html")" 'session 12 &middot; 80&times;24'
t_ok "  with no URL" no_url "$T/s.html"
if [ -n "$CHROME" ]; then
	cp "$T/s.html" "$T/session.html"
	render session
	t_like "  that plays to its end" "$(screen session)" "sshbox-replay-end-marker-42"
else
	t_skip "  that plays to its end" "chromium (and node, which drives it) not installed"
fi
refused() {	# refused NAME ID PATTERN
	sess "$2"; rc=$?
	t_is "$1: refused" "$rc" 1
	t_like "  with a clear error" "$(cat "$T/s.err")" "$3"
	t_is "  and nothing on stdout" "$(wc -c < "$T/s.html")" 0
}
refused "a session without a recording" 11 "session 11 was not recorded"
refused "an unknown session" 99 "no session 99"
refused "a recording that is a symbolic link" 13 "session-13.cast is a symbolic link: not followed"
refused "a recording with a second hard link" 14 "session-14.cast has 2 links"
refused "a recording of another owner" 15 "session-15.cast belongs to uid [0-9]+, not to its directory's owner"
refused "a name with .. in the row" 16 "not a plain file name"
refused "a name with / in the row" 17 "not a plain file name"
refused "a hidden name in the row" 18 "not a plain file name"
t_done
