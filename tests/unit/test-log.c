/*
 * Log lines as text and as JSON: what box_log writes to stderr, read back
 * through a temporary file and parsed strictly with json-c; hostile
 * messages (newlines, ESC, C1, quotes, bytes that are no UTF-8, 100 KB)
 * stay one line and one object; the context shows only when set; audit
 * event lines; the shared JSON escaper cut at every size.
 */
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>

#include "tap.h"
#include "core/json.h"
#include "core/log.h"

static char cap[1 << 20];
static FILE *capf;
static int saved_fd = -1;

/* stderr into a temporary file until cap_end(), which reads it back. */
static void
cap_start(void)
{
	fflush(stderr);
	if ((capf = tmpfile()) == NULL || (saved_fd = dup(2)) < 0 ||
	    dup2(fileno(capf), 2) < 0) {
		printf("Bail out! cannot capture stderr\n");
		exit(1);
	}
}

static size_t
cap_end(void)
{
	size_t n;

	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	rewind(capf);
	n = fread(cap, 1, sizeof(cap) - 1, capf);
	cap[n] = '\0';
	fclose(capf);
	return n;
}

/* s[0..len) as one JSON value, strictly (valid UTF-8, nothing after). */
static struct json_object *
parse(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* The lines captured, each a JSON object: how many, or -1. */
static int
json_lines(const char *s, struct json_object **objs, int max)
{
	const char *nl;
	int n = 0;

	while (*s != '\0') {
		if ((nl = strchr(s, '\n')) == NULL || n == max)
			return -1;
		objs[n] = parse(s, (size_t)(nl - s));
		if (objs[n] == NULL ||
		    !json_object_is_type(objs[n], json_type_object))
			return -1;
		n++;
		s = nl + 1;
	}
	return n;
}

static const char *
get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static int
matches(const char *s, const char *re)
{
	regex_t r;
	int m;

	if (s == NULL || regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	m = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

static void
put_all(struct json_object **objs, int n)
{
	while (n-- > 0)
		json_object_put(objs[n]);
}

static void
test_text(void)
{
	box_log_init("test-log", BOX_LOG_STDERR);
	box_log_set_level(LOG_INFO);
	box_log_context(NULL, NULL, NULL);

	cap_start();
	box_log(LOG_WARNING, "plain %d", 1);
	box_log(LOG_DEBUG, "below the level");
	box_log(LOG_ERR, "two\nlines\x1b[2J and \\ \xc3\xa9");
	box_log_context("b0", "i0", "SHA256:k0");
	box_log(LOG_NOTICE, "with context");
	box_log_context("b1", NULL, "SHA256:k\n1");
	box_log(LOG_NOTICE, "an invite cleared");
	box_log_context(NULL, NULL, NULL);
	box_log(LOG_NOTICE, "none again");
	cap_end();
	is_str(cap, "test-log: plain 1\n"
	    "test-log: two\\x0alines\\x1b[2J and \\x5c \\xc3\\xa9\n"
	    "test-log: with context box=b0 invite=i0 key=SHA256:k0\n"
	    "test-log: an invite cleared box=b1 key=SHA256:k\\x0a1\n"
	    "test-log: none again\n",
	    "text: prog: message, escaped as before, one line each; the "
	    "context appended while set, NULL clearing a field");
}

static void
test_json(void)
{
	static const char hostile[] = "say \"hi\"\\\n\r\t\x1b]0;pwned\x07"
	    "\x1b[2J caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7 csi\xc2\x9b"
	    "end \x7f del";
	struct json_object *objs[16];
	char pid[32];
	int n;

	box_log_init("test-log", BOX_LOG_STDERR);
	box_log_set_level(LOG_INFO);
	box_log_set_format(BOX_LOG_JSON);
	box_log_context(NULL, NULL, NULL);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());

	cap_start();
	box_log(LOG_WARNING, "%s", hostile);
	box_log(LOG_DEBUG, "below the level");
	box_log_context("0123456789abcdef", "fedcba9876543210",
	    "SHA256:abc+/def");
	box_log(LOG_INFO, "bound");
	box_log_context(NULL, "fedcba9876543210", "SHA256:abc+/def");
	box_log(LOG_ERR, "no box");
	box_log_context(NULL, NULL, NULL);
	box_log(LOG_NOTICE, "bad bytes \xff\xfe \xc0\x80 \xe0\x80\x80 "
	    "\xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x82");
	cap_end();
	n = json_lines(cap, objs, 16);
	is_int(n, 4, "json: one strict JSON object a line, one line an event "
	    "(the one below the level not written)");
	if (n != 4) {
		diag("captured: %s", cap);
		return;
	}
	ok(matches(get(objs[0], "time"),
	    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"),
	    "  time in UTC, ISO 8601");
	is_str(get(objs[0], "prog"), "test-log", "  prog");
	is_str(get(objs[0], "pid"), pid, "  pid");
	is_str(get(objs[0], "level"), "warning", "  level");
	is_str(get(objs[0], "msg"), hostile, "  a hostile message comes back "
	    "whole: quotes, newlines, ESC, C1, UTF-8");
	ok(strstr(cap, "\\u001b]0;pwned\\u0007") != NULL &&
	    strstr(cap, "csi\\u009bend") != NULL &&
	    strstr(cap, "\\u007f del") != NULL &&
	    strstr(cap, "caf\xc3\xa9") != NULL,
	    "  escaped as \\u00XX in the line (ESC, BEL, C1, DEL), UTF-8 "
	    "kept as it is");
	ok(get(objs[0], "box") == NULL && get(objs[0], "invite") == NULL &&
	    get(objs[0], "key") == NULL, "  no context fields when none is "
	    "known");
	is_str(get(objs[1], "level"), "info", "context: level info");
	ok(get(objs[1], "box") != NULL &&
	    strcmp(get(objs[1], "box"), "0123456789abcdef") == 0 &&
	    strcmp(get(objs[1], "invite"), "fedcba9876543210") == 0 &&
	    strcmp(get(objs[1], "key"), "SHA256:abc+/def") == 0,
	    "  box, invite and key named");
	ok(get(objs[2], "box") == NULL && get(objs[2], "invite") != NULL &&
	    get(objs[2], "key") != NULL, "  NULL clears one field only");
	is_str(get(objs[2], "level"), "error", "  level error");
	is_str(get(objs[3], "msg"), "bad bytes \xc3\xbf\xc3\xbe "
	    "\xc3\x80\xc2\x80 \xc3\xa0\xc2\x80\xc2\x80 "
	    "\xc3\xad\xc2\xa0\xc2\x80 "
	    "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80 \xc3\xa2\xc2\x82",
	    "bytes that are no UTF-8 (stray, overlong, surrogate, past "
	    "U+10FFFF, cut short) each escaped as U+00XX");
	put_all(objs, n);
}

static void
test_huge(void)
{
	static char big[100 * 1024 + 1];
	struct json_object *objs[4];
	const char *m, *ctx;
	size_t len;
	int n, i;

	box_log_set_format(BOX_LOG_JSON);
	box_log_context("0123456789abcdef", "fedcba9876543210",
	    "SHA256:abc+/def");
	for (i = 0; i < 3; i++) {
		/* Plain, control bytes (six times longer escaped), and a
		 * cut that falls inside UTF-8 sequences. */
		memset(big, "x\x01\xe2"[i], sizeof(big) - 1);
		if (i == 2)
			for (len = 1; len < sizeof(big) - 1; len += 3)
				memcpy(big + len, "\x82\xac", 2);
		big[sizeof(big) - 1] = '\0';
		cap_start();
		box_log(LOG_ERR, "%s", big);
		len = cap_end();
		n = json_lines(cap, objs, 4);
		is_int(n, 1, i == 0 ? "100 KB message: one line, one object" :
		    i == 1 ? "100 KB of control bytes: one line, one object" :
		    "100 KB of euro signs: one line, one object");
		if (n != 1)
			continue;
		ok(len <= BOX_LOG_LINE_MAX, "  bounded");
		m = get(objs[0], "msg");
		ok(m != NULL && strlen(m) > 100 &&
		    strcmp(m + strlen(m) - 3, "...") == 0, "  cut and marked");
		ok(get(objs[0], "key") != NULL &&
		    strcmp(get(objs[0], "key"), "SHA256:abc+/def") == 0 &&
		    get(objs[0], "box") != NULL && get(objs[0], "invite") !=
		    NULL, "  the context still there after it");
		put_all(objs, n);
	}

	box_log_set_format(BOX_LOG_TEXT);
	memset(big, '\n', sizeof(big) - 1);
	cap_start();
	box_log(LOG_ERR, "%s", big);
	len = cap_end();
	ok(len <= BOX_LOG_LINE_MAX + 16 && strchr(cap, '\n') == cap + len - 1,
	    "text: 100 KB of newlines is one bounded line");
	ctx = " box=0123456789abcdef invite=fedcba9876543210 "
	    "key=SHA256:abc+/def\n";
	ok(len > strlen(ctx) && strcmp(cap + len - strlen(ctx), ctx) == 0,
	    "  ending with the context");
	box_log_context(NULL, NULL, NULL);
}

static void
test_events(void)
{
	static char big[100 * 1024 + 1];
	struct json_object *o;
	char line[BOX_LOG_LINE_MAX];
	size_t n;

	box_log_context("ctxbox", "ctxinvite", "SHA256:ctx");
	box_log_set_format(BOX_LOG_TEXT);
	box_log_format_event(line, sizeof(line), "session-started", "i1",
	    "b1", "SHA256:k", "1.2.3.4", "command=x\x1b[2J");
	is_str(line, "audit session-started invite=i1 box=b1 key=SHA256:k "
	    "source=1.2.3.4: command=x\\x1b[2J",
	    "event, text: as before, the event's own fields");
	box_log_format_event(line, sizeof(line), "invite-created", "i1",
	    NULL, NULL, NULL, NULL);
	is_str(line, "audit invite-created invite=i1 box=- key=- source=-",
	    "  unknown fields as -");

	box_log_set_format(BOX_LOG_JSON);
	n = box_log_format_event(line, sizeof(line), "session-started", "i1",
	    "b1", "SHA256:k", "1.2.3.4", "command=x\x1b[2J\n\"y\"");
	o = parse(line, n);
	ok(o != NULL && json_object_is_type(o, json_type_object) &&
	    strchr(line, '\n') == NULL, "event, json: one object");
	is_str(get(o, "event"), "session-started", "  event");
	is_str(get(o, "msg"), "audit session-started", "  msg");
	is_str(get(o, "level"), "info", "  level");
	ok(get(o, "invite") != NULL && strcmp(get(o, "invite"), "i1") == 0 &&
	    strcmp(get(o, "box"), "b1") == 0 &&
	    strcmp(get(o, "key"), "SHA256:k") == 0 &&
	    strcmp(get(o, "source"), "1.2.3.4") == 0,
	    "  the event's invite, box, key and source, not the context's");
	is_str(get(o, "detail"), "command=x\x1b[2J\n\"y\"", "  detail whole");
	json_object_put(o);
	n = box_log_format_event(line, sizeof(line), "invite-created", "i1",
	    NULL, NULL, NULL, NULL);
	o = parse(line, n);
	ok(o != NULL && get(o, "box") == NULL && get(o, "key") == NULL &&
	    get(o, "source") == NULL && get(o, "detail") == NULL,
	    "  fields the event has not left out");
	json_object_put(o);
	memset(big, 0x1b, sizeof(big) - 1);
	n = box_log_format_event(line, sizeof(line), "session-ended", big, big,
	    big, big, big);
	o = parse(line, n);
	ok(o != NULL && n < sizeof(line) && get(o, "event") != NULL &&
	    strcmp(get(o, "event"), "session-ended") == 0 &&
	    get(o, "detail") != NULL, "  100 KB of ESC in every field: one "
	    "object, the event named");
	json_object_put(o);
	box_log_context(NULL, NULL, NULL);
	box_log_set_format(BOX_LOG_TEXT);
}

/* The escaper at every size: whole, cut only between characters. */
static void
test_escaper(void)
{
	static const char s[] = "a\"\\\x01\xc3\xa9\xe2\x82\xac\xf0\x9f"
	    "\x90\xa7\xc2\x9bz";
	char out[64];
	size_t o, sz;
	int bad = 0, cuts = 0;

	for (sz = 0; sz <= sizeof(out); sz++) {
		struct json_object *v;

		o = 0;
		memset(out, 'Q', sizeof(out));
		if (box_json_str(out, sz, &o, s, 100) < 0) {
			if (sz >= 6)
				bad++;
			continue;
		}
		v = parse(out, o);
		if (o >= sz || out[o] != '\0' || v == NULL ||
		    !json_object_is_type(v, json_type_string))
			bad++;
		else if (strcmp(json_object_get_string(v), s) != 0) {
			cuts++;
			if (strcmp(out + o - 4, "...\"") != 0)
				bad++;
		}
		json_object_put(v);
	}
	ok(bad == 0 && cuts > 5, "escaper: at each size a whole JSON string, "
	    "cut ones marked, never past the buffer");
	o = 0;
	box_json_str(out, sizeof(out), &o, "abcdef", 3);
	is_str(out, "\"abc...\"", "  max bytes of input taken");
	o = 5;
	ok(box_json_field(out, 16, &o, "name", "value", 100) == -1 &&
	    o == 5 && out[5] == '\0', "  a field that does not fit: none of "
	    "it");
}

int
main(void)
{
	test_text();
	test_json();
	test_huge();
	test_events();
	test_escaper();
	return tap_done();
}
