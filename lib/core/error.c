/* Error objects: formatting and wrapping of libbox errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"

int
box_error_set(struct box_error *err, enum box_error_kind kind, int errnum,
    const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (err == NULL)
		return -1;
	err->kind = kind;
	err->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (errnum != 0) {
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
		    strerror(errnum));
	}
	return -1;
}

int
box_error_wrap(struct box_error *err, const char *fmt, ...)
{
	char prefix[BOX_ERROR_MSG_MAX], old[BOX_ERROR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncation keeps the start of the message, which is what matters. */
	if (snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
	if (err->kind == BOX_E_NONE)
		err->kind = BOX_E_INTERNAL;
	return -1;
}

void
box_error_clear(struct box_error *err)
{
	if (err == NULL)
		return;
	err->kind = BOX_E_NONE;
	err->errnum = 0;
	err->msg[0] = '\0';
}
