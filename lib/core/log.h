/*
 * Logging for the sshbox programs: one event per line to stderr and to
 * syslog (LOG_AUTHPRIV), as text or as one JSON object a line, naming the
 * box, invite and key the process acts for.  Untrusted strings must be
 * passed through box_log_safe() or printed with a length bound.
 */
#ifndef BOX_LOG_H
#define BOX_LOG_H

#include <stddef.h>
#include <syslog.h>

#define BOX_LOG_STDERR	0x01	/* also write to stderr */
#define BOX_LOG_SYSLOG	0x02	/* also write to syslog */

/* Line formats (sshbox.yaml's log_format). */
#define BOX_LOG_TEXT	0	/* prog: message box=... invite=... key=... */
#define BOX_LOG_JSON	1	/* {"time":...,"prog":...,"msg":...} */

#define BOX_LOG_LINE_MAX	4096	/* a line, escaped, at most */
#define BOX_LOG_CONTEXT_MAX	128	/* bytes of a context field kept */

/* Set the program name and destinations.  Safe to call again. */
void	box_log_init(const char *prog, int flags);

/* Minimum level written to stderr (default LOG_WARNING). */
void	box_log_set_level(int level);

/* BOX_LOG_TEXT (the default) or BOX_LOG_JSON, for every later line. */
void	box_log_set_format(int format);

/*
 * The box, invite and key fingerprint every later line of this process
 * names, each copied (cut to BOX_LOG_CONTEXT_MAX); NULL clears a field.
 */
void	box_log_context(const char *box, const char *invite, const char *fp);

/* Log one line; newlines and control characters are escaped. */
void	box_log(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Copy an untrusted string into out (size outsz) with control and
 * non-ASCII bytes escaped as \xNN and the result cut to fit.  Returns out.
 */
char	*box_log_safe(const char *in, char *out, size_t outsz);

/* The program name given to box_log_init(). */
const char *box_log_prog(void);

/*
 * An audit event's line (sshbox-audit(5)): to syslog whatever the
 * program's log flags (an admin's box-invite logs to its terminal only
 * otherwise), never to stderr.  The event names its own invite, box and
 * key (any may be NULL), not the context's.  In json format it is an
 * object with "event" and the fields that are not NULL.
 */
void	box_log_event(const char *event, const char *invite, const char *box,
	    const char *fp, const char *source, const char *detail);

/*
 * The line box_log() writes for msg at level, in the format and context
 * now set, without prefix or newline: into out (outsz bytes, at least
 * 512), always whole (a JSON object stays one), cut to fit.  Returns its
 * length.  For tests and fuzzing.
 */
size_t	box_log_format_line(char *out, size_t outsz, int level,
	    const char *msg);

/* The same for the line box_log_event() writes. */
size_t	box_log_format_event(char *out, size_t outsz, const char *event,
	    const char *invite, const char *box, const char *fp,
	    const char *source, const char *detail);

#endif
