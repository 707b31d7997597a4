/* Shedding capabilities with libcap before handling untrusted input. */
#include <errno.h>
#include <sys/prctl.h>

#include <sys/capability.h>

#include "priv.h"

int
box_priv_drop(struct box_error *err)
{
	cap_t caps;
	int rc;

	if ((caps = cap_init()) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, errno, "cap_init");
	rc = cap_set_proc(caps);
	cap_free(caps);
	if (rc < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno,
		    "cannot drop capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno,
		    "cannot set no_new_privs");
	return box_priv_undumpable(err);
}

int
box_priv_undumpable(struct box_error *err)
{
	/* Every session runs as the same account: none may ptrace or read
	 * the memory of another (another guest's terminal, the helper). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno,
		    "cannot make the process undumpable");
	return 0;
}

int
box_priv_has_caps(void)
{
	cap_t caps, none;
	int diff;

	if ((caps = cap_get_proc()) == NULL)
		return -1;
	if ((none = cap_init()) == NULL) {
		cap_free(caps);
		return -1;
	}
	diff = cap_compare(caps, none);
	cap_free(caps);
	cap_free(none);
	return CAP_DIFFERS(diff, CAP_EFFECTIVE) ? 1 : 0;
}
