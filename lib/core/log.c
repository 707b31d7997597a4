/* One-line logging to stderr and syslog, escaping untrusted bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "core/log.h"

static const char *log_prog = "sshbox";
static int log_flags = BOX_LOG_STDERR;
static int log_level = LOG_WARNING;
static int log_opened;

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

/* One line, escaped: to syslog as the flags say (an audit line always),
 * and to stderr when it is not an audit line and matters enough. */
static void
vlog(int level, int audit, const char *fmt, va_list ap)
{
	char raw[4096], line[4096];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	box_log_safe(raw, line, sizeof(line));
	if (audit && !log_opened) {
		openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
		log_opened = 1;
	}
	if (audit || (log_flags & BOX_LOG_SYSLOG))
		syslog(level, "%s", line);
	if (!audit && (log_flags & BOX_LOG_STDERR) && level <= log_level)
		fprintf(stderr, "%s: %s\n", log_prog, line);
}

void
box_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, 0, fmt, ap);
	va_end(ap);
}

void
box_log_audit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, 1, fmt, ap);
	va_end(ap);
}
