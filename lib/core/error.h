/*
 * Error objects for libbox: the library never prints and never exits; it
 * fills a struct box_error and returns a negative value.  Callers add
 * context on the way up with box_error_wrap().
 */
#ifndef BOX_ERROR_H
#define BOX_ERROR_H

#include <stddef.h>

#define BOX_ERROR_MSG_MAX 512

/* Classes of failure, so that programs can map them to exit codes. */
enum box_error_kind {
	BOX_E_NONE = 0,
	BOX_E_INTERNAL,		/* a bug or an unexpected system failure */
	BOX_E_INPUT,		/* bad input from a user, guest or file */
	BOX_E_DENIED,		/* refused by policy: token, key, limit */
	BOX_E_NOTFOUND,		/* the thing asked for does not exist */
	BOX_E_STATE,		/* the state database failed */
	BOX_E_RUNTIME,		/* the container runtime failed */
	BOX_E_CONFIG,		/* the configuration is invalid */
	BOX_E_RATE,		/* rate or concurrency limit reached */
};

struct box_error {
	enum box_error_kind kind;
	int errnum;			/* errno when one applies, else 0 */
	char msg[BOX_ERROR_MSG_MAX];
};

/*
 * Set err (if not NULL) to kind and a formatted message; when errnum is not
 * zero ": strerror(errnum)" is appended.  Always returns -1 so that a
 * function can "return box_error_set(...)".
 */
int	box_error_set(struct box_error *err, enum box_error_kind kind,
	    int errnum, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Prefix the message in err with "context: ".  Returns -1. */
int	box_error_wrap(struct box_error *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Reset err to "no error". */
void	box_error_clear(struct box_error *err);

#endif
