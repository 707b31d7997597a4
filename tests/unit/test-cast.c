/* Recordings (lib/session/cast.c, casthtml.c): the asciicast v2 reader on
 * good, cut short and hostile files, and the HTML page made from one. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/util.h"
#include "session/cast.h"
#include "tap.h"

#define HDR	"{\"version\": 2, \"width\": 80, \"height\": 24, " \
		"\"timestamp\": 1764620000, \"title\": \"sshbox session 12\", " \
		"\"env\": {\"TERM\": \"xterm-256color\", \"SHELL\": \"/bin/sh\"}}\n"
#define END	"[12.5, \"m\", \"sshbox: end exit=0 reason=exited\"]\n"

struct result {
	int	 rc;		/* of open, or of the last next */
	int	 events;
	int	 complete;
	char	 codes[64];	/* each event's code */
	char	 last[256];	/* the last event's data (NULs as '@') */
	size_t	 last_len;
	unsigned cols, rows;	/* of the last resize */
	struct box_cast_header h;
	struct box_error err;
};

/* Read the whole of s (len bytes). */
static struct result
readn(const char *s, size_t len)
{
	struct box_cast_event ev;
	struct box_cast *c;
	struct result r;
	size_t i;

	memset(&r, 0, sizeof(r));
	if ((r.rc = box_cast_open(&c, s, len, &r.h, &r.err)) < 0)
		return r;
	while ((r.rc = box_cast_next(c, &ev, &r.err)) == 1) {
		if (r.events < (int)sizeof(r.codes) - 1)
			r.codes[r.events] = ev.code;
		r.events++;
		r.last_len = ev.len;
		for (i = 0; i < ev.len && i < sizeof(r.last) - 1; i++)
			r.last[i] = ev.data[i] == '\0' ? '@' : ev.data[i];
		r.last[i] = '\0';
		if (ev.code == 'r') {
			r.cols = ev.cols;
			r.rows = ev.rows;
		}
	}
	if (r.rc == 0)
		r.complete = box_cast_complete(c);
	box_cast_free(c);
	return r;
}

static struct result
rd(const char *s)
{
	return readn(s, strlen(s));
}

/* Whether s is refused with an error that contains want. */
static int
refused(const char *s, const char *want)
{
	struct result r = rd(s);

	if (r.rc != -1) {
		diag("accepted: %d events", r.events);
		return 0;
	}
	if (strstr(r.err.msg, want) == NULL) {
		diag("error \"%s\" lacks \"%s\"", r.err.msg, want);
		return 0;
	}
	return r.err.kind == BOX_E_INPUT;
}

static void
test_good(void)
{
	struct result r;

	r = rd(HDR "[0.1, \"o\", \"hello \\u001b[1mworld\\r\\n\"]\n"
	    "[0.2, \"i\", \"ls\\r\"]\n[0.2, \"r\", \"100x30\"]\n"
	    "[1, \"m\", \"chapter\"]\n" END);
	is_int(r.rc, 0, "a whole recording reads");
	is_int(r.h.width, 80, "header: width");
	is_int(r.h.height, 24, "header: height");
	is_int(r.h.timestamp, 1764620000, "header: timestamp");
	is_str(r.h.title, "sshbox session 12", "header: title");
	is_str(r.h.term, "xterm-256color", "header: env.TERM");
	is_str(r.codes, "oirmm", "every event, in order");
	ok(r.cols == 100 && r.rows == 30, "a resize's size");
	is_int(r.complete, 1, "ends with the end marker: complete");

	r = rd("{\"version\":2,\"width\":1,\"height\":1000}\n");
	ok(r.rc == 0 && r.events == 0 && r.h.timestamp == 0 &&
	    r.h.title[0] == '\0' && r.h.term[0] == '\0',
	    "a header alone, without the optional keys");
	is_int(r.complete, 0, "  is not complete");

	r = rd(HDR "[0.5, \"o\", \"a\"]\n");
	ok(r.rc == 0 && r.events == 1 && !r.complete,
	    "no end marker: incomplete");
	r = rd(HDR END "[13, \"o\", \"after\"]\n");
	ok(r.rc == 0 && r.events == 2 && !r.complete,
	    "output after the end marker: not complete");
	r = rd(HDR "[1, \"m\", \"sshbox: ending soon\"]\n");
	ok(r.rc == 0 && !r.complete, "a marker that only looks like the end");
	r = rd(HDR "[12.5, \"o\", \"sshbox: end\"]\n");
	ok(r.rc == 0 && !r.complete, "the end text as output is no marker");

	r = rd(HDR "[0.5, \"o\", \"a\"]\n[1, \"m\", \"sshbox: end\"]");
	ok(r.rc == 0 && r.events == 2 && r.complete,
	    "a missing final newline is tolerated");
	r = rd(HDR "[0.5, \"o\", \"a\"]\n[0.7, \"o\", \"partial li");
	ok(r.rc == 0 && r.events == 1 && !r.complete,
	    "a last line cut in the middle: the recording ends before it");
	r = rd(HDR "[0.5, \"o\", \"a\"]\n[0.7, \"o\", \"\xc3");
	ok(r.rc == 0 && r.events == 1 && !r.complete,
	    "  cut in the middle of a character too");
	ok(refused(HDR "[0.7, \"o\", \"partial li\n[0.8, \"o\", \"b\"]\n",
	    "line 2: not JSON"), "  but such a line elsewhere is refused");

	r = rd(HDR "[0.1, \"x\", \"?\"]\n[0.2, \"oo\", 5]\n[0.3, \"o\", \"y\"]\n");
	ok(r.rc == 0 && r.events == 1 && strcmp(r.codes, "o") == 0,
	    "unknown codes are skipped, whatever their data");
	r = rd(HDR "[0.1, \"o\", \"a\\u0000b\"]\n");
	ok(r.rc == 0 && r.last_len == 3 && strcmp(r.last, "a@b") == 0,
	    "a NUL in data is kept, counted by len");
	r = rd(HDR "[0.1, \"o\", \"\\ud800\"]\n");
	ok(r.rc == 0 && strcmp(r.last, "\xef\xbf\xbd") == 0,
	    "a lone surrogate escape becomes U+FFFD");
	r = rd(HDR "[0, \"o\", \"a\"]\n[0, \"o\", \"b\"]\n[7, \"o\", \"c\"]\n");
	ok(r.rc == 0 && r.events == 3, "equal times and integer times");
	r = rd(HDR "[1e2, \"o\", \"a\"]\n[1000000000, \"o\", \"b\"]\n");
	ok(r.rc == 0 && r.events == 2, "exponents, and the largest time");
}

static void
test_header_text(void)
{
	char buf[2048], title[700];
	struct result r;
	int i;

	for (i = 0; i < 300; i++)
		memcpy(title + 2 * i, "\xc3\xa9", 2);	/* é */
	title[600] = '\0';
	snprintf(buf, sizeof(buf), "{\"version\":2,\"width\":80,\"height\":24,"
	    "\"title\":\"%s\"}\n", title);
	r = rd(buf);
	ok(r.rc == 0 && strlen(r.h.title) == 254,
	    "a long title is cut at a character's boundary");
	r = rd("{\"version\":2,\"width\":80,\"height\":24,\"title\":\"a\\u0000b\"}\n");
	ok(r.rc == 0 && strcmp(r.h.title, "a") == 0, "a title ends at a NUL");
	r = rd("{\"version\":2,\"width\":80,\"height\":24,\"env\":{\"TERM\":"
	    "\"xterm; rm -rf /\"}}\n");
	ok(r.rc == 0 && r.h.term[0] == '\0',
	    "a TERM that is no plain name is left out, not refused");
	r = rd("{\"version\":2,\"width\":80,\"height\":24,\"env\":{\"TERM\":5},"
	    "\"theme\":{\"fg\":\"#fff\"},\"idle_time_limit\":2}\n");
	ok(r.rc == 0, "keys the reader does not use are ignored");
}

static void
test_bad_header(void)
{
	ok(refused("", "empty recording"), "an empty file");
	ok(refused("\n", "line 1: empty line"), "an empty header line");
	ok(refused("hello\n", "line 1: not a JSON"), "not JSON");
	ok(refused("[2, 80, 24]\n", "not a JSON object"), "a header array");
	ok(refused("{\"version\": 2, \"width\": 80\n", "line 1: not JSON"),
	    "a truncated header");
	ok(refused("{\"version\":1,\"width\":80,\"height\":24}\n", "version 2"),
	    "version 1");
	ok(refused("{\"version\":3,\"term\":{\"cols\":80,\"rows\":24}}\n",
	    "version 2"), "version 3");
	ok(refused("{\"version\":\"2\",\"width\":80,\"height\":24}\n",
	    "version 2"), "version as a string");
	ok(refused("{\"version\":2.0,\"width\":80,\"height\":24}\n",
	    "version 2"), "version as a float");
	ok(refused("{\"width\":80,\"height\":24}\n", "version 2"),
	    "no version");
	ok(refused("{\"version\":2,\"height\":24}\n", "no \"width\""),
	    "no width");
	ok(refused("{\"version\":2,\"width\":0,\"height\":24}\n", "out of range"),
	    "width 0");
	{
		struct result r = rd("{\"version\":2,\"width\":1200,"
		    "\"height\":5000}\n[1, \"r\", \"3000x1001\"]\n");

		/* The guest picks its window: shown at the bound, kept. */
		ok(r.rc == 0 && r.h.width == 1000 && r.h.height == 1000 &&
		    r.cols == 1000 && r.rows == 1000, "a window over 1000: "
		    "read, at 1000");
	}
	ok(refused("{\"version\":2,\"width\":65536,\"height\":24}\n",
	    "out of range"), "width over 65535");
	ok(refused("{\"version\":2,\"width\":80,\"height\":-24}\n",
	    "out of range"), "a negative height");
	ok(refused("{\"version\":2,\"width\":99999999999999999999,\"height\":24}\n",
	    "out of range"), "a huge width");
	ok(refused("{\"version\":2,\"width\":\"80\",\"height\":24}\n",
	    "not an integer"), "width as a string");
	ok(refused("{\"version\":2,\"width\":80.5,\"height\":24}\n",
	    "not an integer"), "width as a float");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24,\"timestamp\":-1}\n",
	    "out of range"), "a negative timestamp");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24,"
	    "\"timestamp\":99999999999999999999}\n", "out of range"),
	    "a huge timestamp");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24,\"title\":7}\n",
	    "\"title\" is not a string"), "a title that is not a string");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24,\"env\":[]}\n",
	    "\"env\" is not an object"), "env that is not an object");
	ok(refused("\xef\xbb\xbf{\"version\":2,\"width\":80,\"height\":24}\n",
	    "byte order mark"), "a byte order mark");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24}\r\n",
	    "carriage return"), "a CRLF header");
	ok(refused("{\"version\":2,\"width\":80,\"height\":1,\"height\":24}\n",
	    "twice"), "a duplicate key");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24,\"env\":"
	    "{\"TERM\":\"a\",\"TERM\":\"b\"}}\n", "twice"),
	    "a duplicate key in a nested object");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24,\"x\":"
	    "{\"a\":{\"b\":1},\"a\":2}}\n", "twice"),
	    "a duplicate key whose first value held an object");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24,\"x\":"
	    "[[[[[[[[[[1]]]]]]]]]]}\n", "nesting"), "deep nesting");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24} {}\n",
	    "not JSON"), "a second value on the line");
	ok(refused("{'version':2,'width':80,'height':24}\n", "not JSON"),
	    "single quotes");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24,\"x\":NaN}\n",
	    "not JSON"), "NaN where it is not even read");
	ok(refused(HDR "[1, \"o\", 'a']\n", "not JSON"),
	    "a single-quoted string in an event");
	ok(refused("{\"version\":2,\"width\":80,\"height\":24,}\n", "not JSON"),
	    "a trailing comma");
	ok(refused("{\"version\":2,/*x*/\"width\":80,\"height\":24}\n",
	    "not JSON"), "a comment");
}

static void
test_bad_events(void)
{
	char *big;
	size_t n;

	ok(refused(HDR "\n[1, \"o\", \"a\"]\n", "line 2: empty line"),
	    "a blank line");
	ok(refused(HDR "[1, \"o\", \"a\"]\r\n", "line 2: carriage return"),
	    "a CRLF event");
	ok(refused(HDR "{\"t\": 1}\n", "line 2: an event is not a JSON array"),
	    "an object for an event");
	ok(refused(HDR "\"o\"\n", "not a JSON object or array"),
	    "a string for an event");
	ok(refused(HDR "[1, \"o\"]\n", "3 elements, not 2"), "two elements");
	ok(refused(HDR "[1, \"o\", \"a\", 4]\n", "3 elements, not 4"),
	    "four elements");
	ok(refused(HDR "[1, \"o\", \"a\"]\n[\"2\", \"o\", \"a\"]\n",
	    "line 3: an event's time is not a number"),
	    "a time as a string, the line named");
	ok(refused(HDR "[NaN, \"o\", \"a\"]\n", "not JSON"), "NaN");
	ok(refused(HDR "[Infinity, \"o\", \"a\"]\n", "not JSON"),
	    "Infinity");
	ok(refused(HDR "[-Infinity, \"o\", \"a\"]\n", "not JSON"),
	    "-Infinity");
	ok(refused(HDR "[1e999, \"o\", \"a\"]\n", "out of range"),
	    "a time too large for a double");
	ok(refused(HDR "[1000000000.5, \"o\", \"a\"]\n", "out of range"),
	    "a time over the bound");
	ok(refused(HDR "[99999999999999999999, \"o\", \"a\"]\n",
	    "out of range"), "a huge integer time");
	ok(refused(HDR "[-0.5, \"o\", \"a\"]\n", "out of range"),
	    "a negative time");
	ok(refused(HDR "[2, \"o\", \"a\"]\n[1.5, \"o\", \"b\"]\n",
	    "line 3: an event's time goes back"), "a time that goes back");
	ok(refused(HDR "[1, 111, \"a\"]\n", "code is not a string"),
	    "a code that is not a string");
	ok(refused(HDR "[1, \"o\", 5]\n", "data is not a string"),
	    "output data that is not a string");
	ok(refused(HDR "[1, \"o\", null]\n", "data is not a string"),
	    "output data null");
	ok(refused(HDR "[1, \"o\", [\"a\"]]\n", "data is not a string"),
	    "output data an array");
	ok(refused(HDR "[1, \"r\", \"80x\"]\n", "COLSxROWS"), "resize 80x");
	ok(refused(HDR "[1, \"r\", \"0x24\"]\n", "COLSxROWS"), "resize 0x24");
	ok(refused(HDR "[1, \"r\", \"080x24\"]\n", "COLSxROWS"),
	    "resize with a leading zero");
	ok(refused(HDR "[1, \"r\", \"65536x24\"]\n", "COLSxROWS"),
	    "resize over 65535");
	ok(refused(HDR "[1, \"r\", \"80x24x\"]\n", "COLSxROWS"),
	    "resize with trailing bytes");
	ok(refused(HDR "[1, \"r\", \"99999999999x24\"]\n", "COLSxROWS"),
	    "resize, huge");
	ok(refused(HDR "[1, \"o\", \"a\tb\"]\n", "control byte 0x09"),
	    "a raw tab in a string");
	ok(refused(HDR "[1, \"o\", \"a\xff\"]\n", "not valid UTF-8"),
	    "invalid UTF-8");
	ok(refused(HDR "[1, \"o\", \"\xed\xa0\x80\"]\n", "not valid UTF-8"),
	    "a raw surrogate");
	ok(refused(HDR "[1, \"o\", \"\xc0\xaf\"]\n", "not valid UTF-8"),
	    "an overlong form");
	ok(refused(HDR "[1, \"o\", \"a\"] x\n", "not JSON"),
	    "trailing bytes after an event");
	ok(refused(HDR "[[[[[[[[[[1]]]]]]]]], \"o\", \"a\"]\n", "nesting"),
	    "deep nesting in an event");

	/* A line over the bound, and one just under it. */
	n = strlen(HDR) + BOX_CAST_LINE_MAX + 64;
	big = malloc(n);
	memcpy(big, HDR "[1, \"o\", \"", strlen(HDR) + 10);
	memset(big + strlen(HDR) + 10, 'a', BOX_CAST_LINE_MAX);
	memcpy(big + strlen(HDR) + 10 + BOX_CAST_LINE_MAX, "\"]\n", 4);
	ok(refused(big, "line 2: longer than"), "a line over the bound");
	big[strlen(HDR) + 10 + BOX_CAST_LINE_MAX - 20] = '"';
	memcpy(big + strlen(HDR) + 10 + BOX_CAST_LINE_MAX - 19, "]\n", 3);
	is_int(rd(big).events, 1, "a line under the bound");
	free(big);
	ok(readn(HDR, (size_t)BOX_CAST_MAX_BYTES + 1).rc == -1,
	    "a file over the bound is refused before it is read");
}

/* ------------------------------------------------------------- the page */

static char dir[] = "/tmp/test-cast.XXXXXX";

static void
write_file(const char *name, const char *content)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(content, f);
	fclose(f);
}

#define FAKE_JS	"window.AsciinemaPlayer = { create: function () {} };"

/* The page for s into a string (free it); NULL on error (*err). */
static char *
page(const char *s, const char *label, int *complete, struct box_error *err)
{
	struct box_cast_page pg = { label, 2, 1 };
	size_t len;
	char *out;
	FILE *f;
	int r;

	f = open_memstream(&out, &len);
	r = box_cast_html(f, s, strlen(s), dir, &pg, complete, err);
	fclose(f);
	if (r < 0) {
		if (len != 0)
			diag("an error, yet %zu bytes written", len);
		free(out);
		return len == 0 ? NULL : strdup("written despite an error");
	}
	return out;
}

static int
count(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s++;
	}
	return n;
}

static void
test_html(void)
{
	unsigned char md[32];
	struct box_error err;
	char *p, hash[64], want[128];
	unsigned int mdlen;
	int complete = -1;

	if (mkdtemp(dir) == NULL) {
		skip(24, "mkdtemp");
		return;
	}
	p = page(HDR END, NULL, &complete, &err);
	ok(p == NULL && err.kind == BOX_E_NOTFOUND &&
	    strstr(err.msg, dir) != NULL &&
	    strstr(err.msg, "scripts/install-deps") != NULL,
	    "no player: an error naming its directory and the fix");
	write_file(BOX_CAST_PLAYER_JS, FAKE_JS);
	write_file(BOX_CAST_PLAYER_CSS, ".ap-player { color: red; }");

	p = page(HDR "[0.1, \"o\", \"</script><script>alert(1)</script>\"]\n"
	    "[0.2, \"o\", \"<!-- &amp; \\u2028 \\u2029 \xe2\x80\xa8 \\u0000\"]\n"
	    "[0.3, \"i\", \"\\\"quoted\\\\\"]\n[0.4, \"r\", \"90x30\"]\n"
	    "[0.5, \"x\", \"skipped-event\"]\n" END, "session <12>", &complete,
	    &err);
	if (!ok(p != NULL, "a page is written"))
		diag("%s", err.msg);
	if (p == NULL)
		return;
	is_int(complete, 1, "  it says the recording was complete");
	ok(strstr(p, "alert") && !strstr(p, "<script>alert") &&
	    strstr(p, "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"
	    "\\u003c/script\\u003e"), "  output cannot end the script element");
	is_int(count(p, "</script"), 4, "  four scripts end, no more");
	is_int(count(p, "<script"), 4, "  four scripts begin, no more");
	ok(!strstr(p, "<!--") && strstr(p, "\\u003c!-- \\u0026amp;"),
	    "  no comment opens");
	ok(strstr(p, "\\u2028 \\u2029 \\u2028 \\u0000") &&
	    !strstr(p, "\xe2\x80\xa8"), "  U+2028, U+2029 and NUL escaped");
	ok(strstr(p, "[0.300000,\"i\",\"\\\"quoted\\\\\"]") != NULL,
	    "  quotes and backslashes escaped");
	ok(strstr(p, "[0.400000,\"r\",\"90x30\"]") != NULL,
	    "  a resize re-written");
	ok(!strstr(p, "skipped-event"), "  unknown events left out");
	ok(strstr(p, "<h1>sshbox session 12</h1>") &&
	    strstr(p, "<title>sshbox session 12</title>"),
	    "  the recording's title as heading");
	ok(strstr(p, "session &lt;12&gt; &middot; 80&times;24") != NULL,
	    "  the label, escaped, and the size");
	ok(strstr(p, ">complete<") != NULL, "  shown as complete");
	ok(strstr(p, "\"autoPlay\":true") && strstr(p, "\"speed\":2.000") &&
	    strstr(p, "\"idleTimeLimit\":1.000") &&
	    strstr(p, "\"cols\":80,\"rows\":24"),
	    "  plays on load, at the speed and idle limit asked, at its size");
	ok(strstr(p, FAKE_JS) && strstr(p, ".ap-player { color: red; }"),
	    "  the player inlined");
	ok(!strstr(p, "://") && !strstr(p, "src=") && !strstr(p, "href=") &&
	    !strstr(p, "url(") && !strstr(p, "@import"),
	    "  no URL, no source, no link");
	EVP_Digest("\n" FAKE_JS "\n", strlen(FAKE_JS) + 2, md, &mdlen,
	    EVP_sha256(), NULL);
	box_b64_encode(md, mdlen, hash, sizeof(hash), 0, 1);
	snprintf(want, sizeof(want), "default-src 'none'; script-src "
	    "'sha256-%s' 'sha256-", hash);
	ok(strstr(p, want) != NULL,
	    "  a policy that runs the player by its hash and loads nothing");
	free(p);

	p = page("{\"version\":2,\"width\":80,\"height\":24,\"title\":"
	    "\"<b>\\\"x\\\" & 'y'\\u001b</b>\"}\n[0.1, \"o\", \"a\"]\n", NULL,
	    &complete, &err);
	ok(p != NULL && complete == 0 &&
	    strstr(p, "incomplete: the recording was cut short") != NULL,
	    "an incomplete recording is shown as such");
	ok(p != NULL && strstr(p, "<h1>&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;"
	    "&#xfffd;&lt;/b&gt;</h1>") && !strstr(p, "<b>"),
	    "a hostile title is escaped");
	free(p);

	complete = -1;
	p = page(HDR "[1, \"o\", \"a\"]\n[0.5, \"o\", \"b\"]\n", NULL,
	    &complete, &err);
	ok(p == NULL && err.kind == BOX_E_INPUT && complete == -1 &&
	    strstr(err.msg, "line 3") != NULL,
	    "a bad recording: an error, and nothing written");

	write_file(BOX_CAST_PLAYER_JS, "var s = '</SCRIPT>';");
	p = page(HDR END, NULL, &complete, &err);
	ok(p == NULL && err.kind == BOX_E_CONFIG &&
	    strstr(err.msg, "cannot be inlined") != NULL,
	    "a player script that would end its element is refused");
	write_file(BOX_CAST_PLAYER_JS, FAKE_JS);
	write_file(BOX_CAST_PLAYER_CSS, "a{}</style><script>x()</script>");
	p = page(HDR END, NULL, &complete, &err);
	ok(p == NULL && err.kind == BOX_E_CONFIG,
	    "  and a style that would");
	{
		char path[256], target[256];

		snprintf(path, sizeof(path), "%s/%s", dir, BOX_CAST_PLAYER_CSS);
		snprintf(target, sizeof(target), "%s/real.css", dir);
		write_file("real.css", "a{}");
		unlink(path);
		if (symlink(target, path) == 0) {
			p = page(HDR END, NULL, &complete, &err);
			ok(p == NULL, "a player file that is a link is not "
			    "followed");
		} else
			skip(1, "symlink");
		unlink(path);
		unlink(target);
	}
	snprintf(want, sizeof(want), "%s/%s", dir, BOX_CAST_PLAYER_JS);
	unlink(want);
	rmdir(dir);
}

int
main(void)
{
	test_good();
	test_header_text();
	test_bad_header();
	test_bad_events();
	test_html();
	return tap_done();
}
