/* Unit tests for lib/core/error.c and lib/core/log.c's escaping. */
#include <errno.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "tap.h"

int
main(void)
{
	struct box_error err;
	char out[16], big[2000];

	box_error_clear(&err);
	is_int(err.kind, BOX_E_NONE, "clear");
	is_int(box_error_set(&err, BOX_E_INPUT, 0, "bad %s", "thing"), -1,
	    "set returns -1");
	is_str(err.msg, "bad thing", "message");
	box_error_set(&err, BOX_E_STATE, ENOENT, "open %s", "x");
	is_str(err.msg, "open x: No such file or directory", "errno appended");
	box_error_wrap(&err, "state");
	is_str(err.msg, "state: open x: No such file or directory", "wrap");
	is_int(err.kind, BOX_E_STATE, "wrap keeps kind");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	box_error_set(&err, BOX_E_INPUT, 0, "%s", big);
	box_error_wrap(&err, "ctx");
	ok(strlen(err.msg) == BOX_ERROR_MSG_MAX - 1, "wrap truncates");
	is_int(box_error_set(NULL, BOX_E_INPUT, 0, "x"), -1, "NULL err ok");
	is_str(box_log_safe("a\nb\x1b", out, sizeof(out)), "a\\x0ab\\x1b",
	    "log escapes control bytes");
	is_str(box_log_safe("abcdefghijklmnopqrstuvwxyz", out, sizeof(out)),
	    "abcdefghijklmno", "log bounds length");
	is_str(box_log_safe("a\\b", out, sizeof(out)), "a\\x5cb",
	    "log escapes backslash");
	return tap_done();
}
