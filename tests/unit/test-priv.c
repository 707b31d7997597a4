/* Unit tests for lib/priv.c: capabilities really go away. */
#include <sys/prctl.h>
#include <unistd.h>

#include "priv.h"
#include "tap.h"

int
main(void)
{
	struct box_error err;
	int before = box_priv_has_caps();

	ok(before == 0 || before == 1, "capabilities can be read");
	diag("capabilities before: %s (uid %d)", before ? "some" : "none",
	    (int)getuid());
	ok(box_priv_drop(&err) == 0, "drop");
	is_int(box_priv_has_caps(), 0, "no effective capability after drop");
	is_int(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1, "no_new_privs set");
	is_int(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0, "not dumpable");
	if (getuid() == 0)
		ok(setuid(12345) < 0 || getuid() != 12345,
		    "root without capabilities cannot setuid");
	else
		ok(setuid(0) < 0, "cannot become root");
	return tap_done();
}
