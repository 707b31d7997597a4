/* Unit tests for lib/core/priv.c: capabilities really go away, and root really
 * becomes the box account. */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/priv.h"
#include "tap.h"

/* Run fn in a child; its exit status (or -1 if it did not exit). */
static int
in_child(int (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* What a program this process runs next sees: the flags survive exec. */
static int
status_after_exec(char *out, size_t outsz)
{
	int p[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], 1);
		execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len < outsz - 1 && (n = read(p[0], out + len,
	    outsz - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int
become_nobody(void)
{
	struct box_error err;
	struct passwd *pw = getpwnam("nobody");
	uid_t r, e, s;

	if (pw == NULL || box_priv_become("nobody", &err) < 0)
		return 1;
	if (getresuid(&r, &e, &s) < 0 || r != pw->pw_uid || e != r || s != r)
		return 2;
	if (getgid() != pw->pw_gid || getegid() != pw->pw_gid ||
	    getgroups(0, NULL) != 1)
		return 3;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 4;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return 5;
	return 0;
}

static int
become_root(void)
{
	struct box_error err;

	return box_priv_become("root", &err) < 0 && err.kind == BOX_E_CONFIG &&
	    getuid() == 0 ? 0 : 1;
}

static int
become_nobody_at_all(void)
{
	struct box_error err;

	return box_priv_become("no-such-account-here", &err) < 0 &&
	    strstr(err.msg, "does not exist") != NULL && getuid() == 0 ? 0 : 1;
}

int
main(void)
{
	struct box_error err;
	char st[8192];
	int before = box_priv_has_caps();

	/* Root holds capabilities here (CI, tests as root); any other
	 * account runs these tests without file capabilities. */
	is_int(before, getuid() == 0 ? 1 : 0,
	    "capabilities read as expected for this uid");
	if (getuid() == 0) {
		is_int(in_child(become_nobody), 0, "root becomes nobody: all "
		    "three uids, its one group, undumpable, no way back");
		is_int(in_child(become_root), 0, "becoming root is refused");
		is_int(in_child(become_nobody_at_all), 0,
		    "a missing account is refused, root stays root");
	} else {
		skip(3, "box_priv_become needs root");
	}
	ok(box_priv_drop(&err) == 0, "drop");
	is_int(box_priv_has_caps(), 0, "no effective capability after drop");
	is_int(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1, "no_new_privs set");
	is_int(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0, "not dumpable");
	if (getuid() == 0) {
		errno = 0;
		ok(setuid(12345) < 0 && errno == EPERM,
		    "root without capabilities cannot setuid");
	} else {
		skip(1, "setuid without capabilities is only a question for "
		    "root");
	}
	ok(status_after_exec(st, sizeof(st)) == 0 &&
	    strstr(st, "\nNoNewPrivs:\t1\n") != NULL &&
	    strstr(st, "\nCapEff:\t0000000000000000\n") != NULL &&
	    strstr(st, "\nCapPrm:\t0000000000000000\n") != NULL,
	    "a program run next has no capability and no_new_privs");
	return tap_done();
}
