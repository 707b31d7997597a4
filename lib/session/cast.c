/*
 * The asciicast v2 reader (cast.h): one line at a time out of a buffer,
 * each line checked byte by byte before json-c sees it, then checked
 * again for what json-c lets through (NaN, duplicate keys, huge numbers).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/util.h"
#include "session/cast.h"

struct box_cast {
	const char	*buf;
	size_t		 len, pos;
	unsigned	 line;		/* of the last line read, from 1 */
	struct json_tokener *tok;
	struct json_object *cur;	/* the last event's line */
	double		 last_time;
	int		 complete;
	int		 ended;
};

static int
bad(struct box_error *err, unsigned line, const char *why)
{
	return box_error_set(err, BOX_E_INPUT, 0, "line %u: %s", line, why);
}

/*
 * Length of the valid UTF-8 sequence at p (n bytes left), or 0: no
 * overlong forms, no surrogates, nothing above U+10FFFF.
 */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* The bytes of one line: valid UTF-8 and no control byte.  0 or -1. */
static int
check_bytes(const char *s, size_t n, unsigned line, struct box_error *err)
{
	const unsigned char *p = (const unsigned char *)s;
	char why[64];
	size_t i, k;

	if (line == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		return bad(err, line, "starts with a byte order mark");
	for (i = 0; i < n; i += k) {
		if (p[i] == '\r')
			return bad(err, line, "carriage return (CRLF line "
			    "ends are not asciicast)");
		if (p[i] < 0x20) {
			snprintf(why, sizeof(why), "control byte 0x%02x",
			    p[i]);
			return bad(err, line, why);
		}
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return bad(err, line, "not valid UTF-8");
	}
	return 0;
}

/*
 * Members of every object in the text of a value json-c took: its colons
 * outside strings.  (size_t)-1 when the text holds what JSON does not
 * but json-c takes even when strict: 'single quotes', NaN, Infinity.
 */
static size_t
text_members(const char *p, size_t n)
{
	static const char plain[] = " {}[],:0123456789+-.eEtruefalsn";
	size_t i, count = 0;
	int in_str = 0;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				in_str = 0;
		} else if (p[i] == '"') {
			in_str = 1;
		} else if (p[i] == ':') {
			count++;
		} else if (strchr(plain, p[i]) == NULL) {
			return (size_t)-1;
		}
	}
	return count;
}

/* Members of every object json-c kept: fewer than in the text when a
 * key came twice (json-c keeps the last). */
static size_t
tree_members(struct json_object *o)
{
	size_t count = 0, i, n;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			count += 1 + tree_members(val);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			count += tree_members(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
	return count;
}

/*
 * Parse one line (n bytes, no '\n') into *out.  0, or -1 with err; with
 * cut_ok (an unterminated last line), a line that is not a whole value
 * gives 1 and no error: the writer stopped in the middle of it.
 */
static int
parse_line(struct box_cast *c, const char *p, size_t n, int cut_ok,
    struct json_object **out, struct box_error *err)
{
	enum json_tokener_error jerr;
	struct json_object *o;
	char why[128];
	size_t members;

	*out = NULL;
	if (n == 0)
		return bad(err, c->line, "empty line");
	if (check_bytes(p, n, c->line, err) < 0)
		return cut_ok ? 1 : -1;
	if (p[0] != '{' && p[0] != '[')
		return bad(err, c->line, "not a JSON object or array");
	json_tokener_reset(c->tok);
	o = json_tokener_parse_ex(c->tok, p, (int)n);
	jerr = json_tokener_get_error(c->tok);
	if (o == NULL) {
		if (cut_ok)
			return 1;
		snprintf(why, sizeof(why), "not JSON (%s at byte %zu)",
		    jerr == json_tokener_continue ? "cut short" :
		    json_tokener_error_desc(jerr),
		    json_tokener_get_parse_end(c->tok) + 1);
		return bad(err, c->line, why);
	}
	if (json_tokener_get_parse_end(c->tok) != n) {
		json_object_put(o);
		return bad(err, c->line, "bytes after the JSON value");
	}
	if ((members = text_members(p, n)) == (size_t)-1) {
		json_object_put(o);
		return bad(err, c->line, "not JSON (a quote or literal "
		    "JSON does not have)");
	}
	if (members != tree_members(o)) {
		json_object_put(o);
		return bad(err, c->line, "a key appears twice in an object");
	}
	*out = o;
	return 0;
}

/*
 * The next line: *p and *n (without its '\n'), *terminated.  0 at the
 * end of the buffer, 1, or -1 when it is too long.
 */
static int
next_line(struct box_cast *c, const char **p, size_t *n, int *terminated,
    struct box_error *err)
{
	size_t left = c->len - c->pos, scan;
	const char *nl;

	if (left == 0)
		return 0;
	c->line++;
	*p = c->buf + c->pos;
	scan = left < (size_t)BOX_CAST_LINE_MAX + 1 ? left :
	    (size_t)BOX_CAST_LINE_MAX + 1;
	if ((nl = memchr(*p, '\n', scan)) != NULL) {
		*n = (size_t)(nl - *p);
		*terminated = 1;
		c->pos += *n + 1;
		return 1;
	}
	if (left > BOX_CAST_LINE_MAX)
		return box_error_set(err, BOX_E_INPUT, 0, "line %u: longer "
		    "than %d bytes", c->line, BOX_CAST_LINE_MAX);
	*n = left;
	*terminated = 0;
	c->pos = c->len;
	return 1;
}

/* An optional integer member in [min, max].  0 (absent: *v untouched)
 * or -1. */
static int
get_int(struct json_object *o, const char *key, int64_t min, int64_t max,
    int64_t *v, unsigned line, struct box_error *err)
{
	struct json_object *m;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &m))
		return 0;
	if (json_object_get_type(m) != json_type_int)
		return box_error_set(err, BOX_E_INPUT, 0, "line %u: \"%s\" is "
		    "not an integer", line, key);
	x = json_object_get_int64(m);
	/* json-c keeps a number past int64 as uint64: its int64 saturates. */
	if (x < min || x > max || (x == INT64_MAX && max < INT64_MAX))
		return box_error_set(err, BOX_E_INPUT, 0, "line %u: \"%s\" is "
		    "out of range (%lld..%lld)", line, key, (long long)min,
		    (long long)max);
	*v = x;
	return 0;
}

/* Copy s (n bytes of valid UTF-8) into dst, cut at a NUL or at the last
 * whole character that fits. */
static void
copy_text(char *dst, size_t dstsz, const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n && s[i] != '\0') {
		k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k == 0 || i + k >= dstsz)
			break;
		i += k;
	}
	memcpy(dst, s, i);
	dst[i] = '\0';
}

static int
term_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= sizeof(((struct box_cast_header *)0)->term))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '+' || s[i] == '-'))
			return 0;
	return 1;
}

static int
parse_header(struct box_cast *c, struct json_object *o,
    struct box_cast_header *h, struct box_error *err)
{
	struct json_object *m, *t;
	int64_t v = 0;

	memset(h, 0, sizeof(*h));
	if (json_object_get_type(o) != json_type_object)
		return bad(err, 1, "the header is not a JSON object");
	if (!json_object_object_get_ex(o, "version", &m) ||
	    json_object_get_type(m) != json_type_int ||
	    json_object_get_int64(m) != 2)
		return bad(err, 1, "not asciicast version 2 (\"version\": 2)");
	if (!json_object_object_get_ex(o, "width", NULL) ||
	    !json_object_object_get_ex(o, "height", NULL))
		return bad(err, 1, "no \"width\" or \"height\" in the header");
	/* A guest picks its own window's size: a huge one is shown at the
	 * bound, never a reason to refuse the recording. */
	if (get_int(o, "width", 1, 65535, &v, 1, err) < 0)
		return -1;
	h->width = v > BOX_CAST_SIZE_MAX ? BOX_CAST_SIZE_MAX : (unsigned)v;
	if (get_int(o, "height", 1, 65535, &v, 1, err) < 0)
		return -1;
	h->height = v > BOX_CAST_SIZE_MAX ? BOX_CAST_SIZE_MAX : (unsigned)v;
	if (get_int(o, "timestamp", 0, BOX_CAST_STAMP_MAX, &h->timestamp, 1,
	    err) < 0)
		return -1;
	if (json_object_object_get_ex(o, "title", &m)) {
		if (json_object_get_type(m) != json_type_string)
			return bad(err, 1, "\"title\" is not a string");
		copy_text(h->title, sizeof(h->title), json_object_get_string(m),
		    (size_t)json_object_get_string_len(m));
	}
	if (json_object_object_get_ex(o, "env", &m)) {
		if (json_object_get_type(m) != json_type_object)
			return bad(err, 1, "\"env\" is not an object");
		if (json_object_object_get_ex(m, "TERM", &t) &&
		    json_object_get_type(t) == json_type_string &&
		    term_name(json_object_get_string(t),
		    (size_t)json_object_get_string_len(t)))
			box_strlcpy(h->term, json_object_get_string(t),
			    sizeof(h->term));
	}
	return 0;
}

int
box_cast_open(struct box_cast **cp, const char *buf, size_t len,
    struct box_cast_header *h, struct box_error *err)
{
	struct json_object *o;
	struct box_cast *c;
	const char *p;
	size_t n;
	int term, r;

	*cp = NULL;
	if (len > BOX_CAST_MAX_BYTES)
		return box_error_set(err, BOX_E_INPUT, 0, "recording larger "
		    "than %d bytes", BOX_CAST_MAX_BYTES);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, errno, "calloc");
	c->buf = buf;
	c->len = len;
	if ((c->tok = json_tokener_new_ex(BOX_CAST_DEPTH)) == NULL) {
		free(c);
		return box_error_set(err, BOX_E_INTERNAL, errno,
		    "json_tokener_new");
	}
	json_tokener_set_flags(c->tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	if ((r = next_line(c, &p, &n, &term, err)) <= 0) {
		if (r == 0)
			box_error_set(err, BOX_E_INPUT, 0, "empty recording "
			    "(no header)");
		box_cast_free(c);
		return -1;
	}
	if (parse_line(c, p, n, 0, &o, err) != 0) {
		box_cast_free(c);
		return -1;
	}
	r = parse_header(c, o, h, err);
	json_object_put(o);
	if (r < 0) {
		box_cast_free(c);
		return -1;
	}
	*cp = c;
	return 0;
}

/* "COLSxROWS", each 1..max without sign or leading zero.  0 or -1. */
static int
parse_size(const char *s, size_t n, unsigned *cols, unsigned *rows)
{
	unsigned v[2] = { 0, 0 };
	size_t i = 0;
	int k;

	for (k = 0; k < 2; k++) {
		size_t start = i;

		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 5)
			v[k] = v[k] * 10 + (unsigned)(s[i++] - '0');
		if (i == start || s[start] == '0' || v[k] > 65535)
			return -1;
		if (v[k] > BOX_CAST_SIZE_MAX)	/* the guest's choice: shown
						 * at the bound */
			v[k] = BOX_CAST_SIZE_MAX;
		if (k == 0 && (i >= n || s[i++] != 'x'))
			return -1;
	}
	if (i != n)
		return -1;
	*cols = v[0];
	*rows = v[1];
	return 0;
}

/* "sshbox: end", alone or followed by a space and more. */
static int
end_marker(const char *s, size_t n)
{
	size_t k = strlen(BOX_CAST_END_MARKER);

	return n >= k && memcmp(s, BOX_CAST_END_MARKER, k) == 0 &&
	    (n == k || s[k] == ' ');
}

/* Check one event line o; 1 with ev filled, 0 to skip it, -1. */
static int
parse_event(struct box_cast *c, struct json_object *o,
    struct box_cast_event *ev, struct box_error *err)
{
	struct json_object *t, *code, *data;
	const char *cs;
	enum json_type tt;
	double time;
	char why[64];
	size_t n;

	if (json_object_get_type(o) != json_type_array)
		return bad(err, c->line, "an event is not a JSON array");
	if ((n = json_object_array_length(o)) != 3) {
		snprintf(why, sizeof(why), "an event has 3 elements, not %zu",
		    n);
		return bad(err, c->line, why);
	}
	t = json_object_array_get_idx(o, 0);
	code = json_object_array_get_idx(o, 1);
	data = json_object_array_get_idx(o, 2);
	tt = json_object_get_type(t);
	if (tt != json_type_int && tt != json_type_double)
		return bad(err, c->line, "an event's time is not a number");
	time = json_object_get_double(t);
	if (!isfinite(time) || time < 0 || time > BOX_CAST_TIME_MAX)
		return bad(err, c->line, "an event's time is out of range");
	if (time < c->last_time)
		return bad(err, c->line, "an event's time goes back");
	c->last_time = time;
	if (json_object_get_type(code) != json_type_string)
		return bad(err, c->line, "an event's code is not a string");
	cs = json_object_get_string(code);
	c->complete = 0;
	if (json_object_get_string_len(code) != 1 ||
	    strchr("oirm", cs[0]) == NULL)
		return 0;
	if (json_object_get_type(data) != json_type_string)
		return bad(err, c->line, "an event's data is not a string");
	memset(ev, 0, sizeof(*ev));
	ev->time = time;
	ev->code = cs[0];
	ev->data = json_object_get_string(data);
	ev->len = (size_t)json_object_get_string_len(data);
	if (ev->code == 'r' && parse_size(ev->data, ev->len, &ev->cols,
	    &ev->rows) < 0)
		return bad(err, c->line, "a resize is not COLSxROWS within "
		    "bounds");
	if (ev->code == 'm' && end_marker(ev->data, ev->len))
		c->complete = 1;
	return 1;
}

int
box_cast_next(struct box_cast *c, struct box_cast_event *ev,
    struct box_error *err)
{
	struct json_object *o;
	const char *p;
	size_t n;
	int term, r;

	json_object_put(c->cur);
	c->cur = NULL;
	for (;;) {
		if (c->ended)
			return 0;
		if ((r = next_line(c, &p, &n, &term, err)) < 0)
			return -1;
		if (r == 0) {
			c->ended = 1;
			return 0;
		}
		if ((r = parse_line(c, p, n, !term, &o, err)) < 0)
			return -1;
		if (r == 1) {		/* the writer was cut off here */
			c->ended = 1;
			c->complete = 0;
			return 0;
		}
		if ((r = parse_event(c, o, ev, err)) != 0) {
			if (r > 0)
				c->cur = o;
			else
				json_object_put(o);
			return r;
		}
		json_object_put(o);
	}
}

int
box_cast_complete(const struct box_cast *c)
{
	return c->ended && c->complete;
}

void
box_cast_free(struct box_cast *c)
{
	if (c == NULL)
		return;
	json_object_put(c->cur);
	json_tokener_free(c->tok);
	free(c);
}
