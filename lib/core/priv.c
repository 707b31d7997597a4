/* Shedding capabilities with libcap before handling untrusted input. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <sys/capability.h>

#include "core/priv.h"

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
box_priv_become(const char *user, struct box_error *err)
{
	struct passwd *pw;
	uid_t ru, eu, su;
	gid_t rg, eg, sg, g;
	int fd;

	if ((pw = getpwnam(user)) == NULL)
		return box_error_set(err, BOX_E_CONFIG, 0, "the box account "
		    "\"%.32s\" does not exist: create it first (see README)",
		    user);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return box_error_set(err, BOX_E_CONFIG, 0, "the box account "
		    "\"%.32s\" must not be root or in group 0", user);
	g = pw->pw_gid;
	/* Give up root's controlling terminal: a process of another uid that
	 * keeps it can still push input into root's shell (TIOCSTI). */
	for (fd = 0; fd < 3; fd++)
		if (isatty(fd))
			(void)ioctl(fd, TIOCNOTTY);
	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) >= 0) {
		(void)ioctl(fd, TIOCNOTTY);
		close(fd);
	}
	/* Groups first, while still root; then every uid at once. */
	if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno,
		    "cannot become the box account %.32s", user);
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != pw->pw_uid || eu != ru || su != ru || rg != g || eg != g ||
	    sg != g || setuid(0) == 0)
		return box_error_set(err, BOX_E_INTERNAL, 0,
		    "the box account's credentials did not take hold");
	return box_priv_undumpable(err);
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
