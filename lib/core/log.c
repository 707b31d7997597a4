/*
 * One-line logging to stderr and syslog, escaping untrusted bytes: as
 * text, or as one JSON object a line for collectors that parse.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"
#include "core/log.h"

#define MIN(a, b)	((a) < (b) ? (a) : (b))

#define EVENT_FIELD_MAX	256	/* bytes of an event's short field kept */
#define DETAIL_MAX	2048	/* bytes of an event's detail kept */
#define FIELD_OUT_MAX	320	/* a short field escaped, at most */

static const char *log_prog = "sshbox";
static int log_flags = BOX_LOG_STDERR;
static int log_level = LOG_WARNING;
static int log_format = BOX_LOG_TEXT;
static int log_opened;

/* What every line names; "" when unknown. */
static char ctx_box[BOX_LOG_CONTEXT_MAX + 1];
static char ctx_invite[BOX_LOG_CONTEXT_MAX + 1];
static char ctx_fp[BOX_LOG_CONTEXT_MAX + 1];

/* A field of a line: name, value (NULL or "": left out) and bound. */
struct field {
	const char *name;
	const char *val;
	size_t	 max;
};

void
box_log_init(const char *prog, int flags)
{
	log_prog = prog;
	log_flags = flags;
	if ((flags & BOX_LOG_SYSLOG) && !log_opened) {
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
		log_opened = 1;
	}
}

void
box_log_set_level(int level)
{
	log_level = level;
}

void
box_log_set_format(int format)
{
	log_format = format == BOX_LOG_JSON ? BOX_LOG_JSON : BOX_LOG_TEXT;
}

static void
ctx_set(char *dst, const char *s)
{
	size_t n = s != NULL ? strnlen(s, BOX_LOG_CONTEXT_MAX) : 0;

	memcpy(dst, s != NULL ? s : "", n);
	dst[n] = '\0';
}

void
box_log_context(const char *box, const char *invite, const char *fp)
{
	ctx_set(ctx_box, box);
	ctx_set(ctx_invite, invite);
	ctx_set(ctx_fp, fp);
}

const char *
box_log_prog(void)
{
	return log_prog;
}

char *
box_log_safe(const char *in, char *out, size_t outsz)
{
	size_t o = 0;
	const unsigned char *p;

	if (outsz == 0)
		return out;
	for (p = (const unsigned char *)in; p != NULL && *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)*p;
		} else {
			if (o + 4 >= outsz)
				break;
			snprintf(out + o, outsz - o, "\\x%02x", *p);
			o += 4;
		}
	}
	out[o] = '\0';
	return out;
}

static const char *
level_name(int level)
{
	static const char *const names[] = { "emerg", "alert", "crit",
	    "error", "warning", "notice", "info", "debug" };

	return level >= 0 && level <= LOG_DEBUG ? names[level] : "info";
}

/*
 * One JSON object: the fixed head, then the fields in order; fields[big]
 * (the message or an event's detail) gets the room the others leave, so
 * that the short fields after it are never lost to a long message, and
 * each short field is kept short (hostile bytes escape to six times their
 * size) so that the message always has room.
 */
static size_t
json_line(char *out, size_t outsz, int level, const struct field *f,
    size_t nf, size_t big)
{
	char tail[BOX_LOG_LINE_MAX / 2], when[32];
	size_t o, t = 0, i, room = outsz - 1;	/* the closing brace */
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strcpy(when, "?");
	n = snprintf(out, room, "{\"time\":\"%s\"", when);
	o = (size_t)n;
	box_json_field(out, room, &o, "prog", log_prog, 32);
	n = snprintf(out + o, room - o, ",\"pid\":%ld,\"level\":\"%s\"",
	    (long)getpid(), level_name(level));
	if (n > 0 && (size_t)n < room - o)
		o += (size_t)n;
	else
		out[o] = '\0';
	tail[0] = '\0';
	for (i = big + 1; i < nf; i++)
		if (f[i].val != NULL && f[i].val[0] != '\0')
			box_json_field(tail, MIN(sizeof(tail), t +
			    FIELD_OUT_MAX), &t, f[i].name, f[i].val, f[i].max);
	for (i = 0; i <= big; i++) {
		if (f[i].val == NULL || f[i].val[0] == '\0')
			continue;
		if (i == big)
			box_json_field(out, room > t ? room - t : 0, &o,
			    f[i].name, f[i].val, f[i].max);
		else
			box_json_field(out, MIN(room, o + FIELD_OUT_MAX), &o,
			    f[i].name, f[i].val, f[i].max);
	}
	if (o + t < room) {
		memcpy(out + o, tail, t + 1);
		o += t;
	}
	out[o++] = '}';
	out[o] = '\0';
	return o;
}

/* msg escaped, then the context, which a long message never pushes out. */
static size_t
text_line(char *out, size_t outsz, const char *msg)
{
	const struct field ctx[] = { { "box", ctx_box, 0 },
	    { "invite", ctx_invite, 0 }, { "key", ctx_fp, 0 } };
	char tail[3 * (4 * BOX_LOG_CONTEXT_MAX + 16)];
	char safe[4 * BOX_LOG_CONTEXT_MAX + 1];
	size_t i, t = 0, o;
	int n;

	tail[0] = '\0';
	for (i = 0; i < sizeof(ctx) / sizeof(ctx[0]); i++) {
		if (ctx[i].val[0] == '\0')
			continue;
		n = snprintf(tail + t, sizeof(tail) - t, " %s=%s", ctx[i].name,
		    box_log_safe(ctx[i].val, safe, sizeof(safe)));
		if (n > 0 && (size_t)n < sizeof(tail) - t)
			t += (size_t)n;
	}
	if (t + 1 >= outsz)
		t = 0;
	box_log_safe(msg, out, outsz - t);
	o = strlen(out);
	memcpy(out + o, tail, t);
	out[o + t] = '\0';
	return o + t;
}

size_t
box_log_format_line(char *out, size_t outsz, int level, const char *msg)
{
	const struct field f[] = { { "msg", msg, BOX_LOG_LINE_MAX },
	    { "box", ctx_box, BOX_LOG_CONTEXT_MAX },
	    { "invite", ctx_invite, BOX_LOG_CONTEXT_MAX },
	    { "key", ctx_fp, BOX_LOG_CONTEXT_MAX } };

	if (log_format == BOX_LOG_JSON)
		return json_line(out, outsz, level, f, 4, 0);
	return text_line(out, outsz, msg);
}

/* One line to syslog as the flags say (an audit line always), and to
 * stderr when it is not an audit line and matters enough. */
static void
emit(int level, int audit, const char *line)
{
	if (audit && !log_opened) {
		openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
		log_opened = 1;
	}
	if (audit || (log_flags & BOX_LOG_SYSLOG))
		syslog(level, "%s", line);
	if (audit || !(log_flags & BOX_LOG_STDERR) || level > log_level)
		return;
	if (log_format == BOX_LOG_JSON)
		fprintf(stderr, "%s\n", line);
	else
		fprintf(stderr, "%s: %s\n", log_prog, line);
}

void
box_log(int level, const char *fmt, ...)
{
	char raw[BOX_LOG_LINE_MAX], line[BOX_LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	box_log_format_line(line, sizeof(line), level, raw);
	emit(level, 0, line);
}

size_t
box_log_format_event(char *out, size_t outsz, const char *event,
    const char *invite, const char *box, const char *fp, const char *source,
    const char *detail)
{
	char raw[BOX_LOG_LINE_MAX], msg[64];
	const struct field f[] = { { "msg", msg, sizeof(msg) },
	    { "event", event, EVENT_FIELD_MAX },
	    { "invite", invite, EVENT_FIELD_MAX },
	    { "box", box, EVENT_FIELD_MAX },
	    { "key", fp, EVENT_FIELD_MAX },
	    { "source", source, EVENT_FIELD_MAX },
	    { "detail", detail, DETAIL_MAX } };

	if (log_format == BOX_LOG_JSON) {
		snprintf(msg, sizeof(msg), "audit %.40s", event);
		return json_line(out, outsz, LOG_INFO, f, 7, 6);
	}
	snprintf(raw, sizeof(raw), "audit %s invite=%s box=%s key=%s "
	    "source=%s%s%.*s", event, invite ? invite : "-", box ? box : "-",
	    fp ? fp : "-", source ? source : "-", detail ? ": " : "",
	    DETAIL_MAX, detail ? detail : "");
	box_log_safe(raw, out, outsz);
	return strlen(out);
}

void
box_log_event(const char *event, const char *invite, const char *box,
    const char *fp, const char *source, const char *detail)
{
	char line[BOX_LOG_LINE_MAX];

	box_log_format_event(line, sizeof(line), event, invite, box, fp,
	    source, detail);
	emit(LOG_INFO, 1, line);
}
