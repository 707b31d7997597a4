/*
 * Logging for the sshbox programs: one event per line to stderr and to
 * syslog (LOG_AUTHPRIV).  Untrusted strings must be passed through
 * box_log_safe() or printed with a length bound.
 */
#ifndef BOX_LOG_H
#define BOX_LOG_H

#include <stddef.h>
#include <syslog.h>

#define BOX_LOG_STDERR	0x01	/* also write to stderr */
#define BOX_LOG_SYSLOG	0x02	/* also write to syslog */

/* Set the program name and destinations.  Safe to call again. */
void	box_log_init(const char *prog, int flags);

/* Minimum level written to stderr (default LOG_WARNING). */
void	box_log_set_level(int level);

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

/* An audit event's line: to syslog whatever the program's log flags (an
 * admin's box-invite logs to its terminal only otherwise), never to
 * stderr; escaped as box_log does. */
void	box_log_audit(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
