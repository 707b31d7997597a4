/*
 * Starting programs (spawn.h).  libc only: box-agent links it statically.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/spawn.h"

#define HIGH_FD	10		/* descriptors are parked above this */

/* In the child: never returns.  Failures go to errfd as an errno. */
static void
child(const struct box_spawn *sp, int errfd)
{
	extern char **environ;
	sigset_t none;
	int fd[3], i, e, hi;

	/* Signals as a new program expects them: none ignored, none held
	 * (the parent's handlers are not run here: all are blocked). */
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			signal(i, SIG_DFL);
	/* Park everything above the three first, so that no dup2 below
	 * overwrites a descriptor still to be used. */
	if ((hi = fcntl(errfd, F_DUPFD_CLOEXEC, HIGH_FD)) < 0)
		goto fail;
	errfd = hi;
	for (i = 0; i < 3; i++) {
		fd[i] = sp->fds[i] >= 0 ? sp->fds[i] :
		    open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
		if (fd[i] < 0 || (fd[i] = fcntl(fd[i], F_DUPFD, HIGH_FD)) < 0)
			goto fail;
	}
	if ((sp->setsid && setsid() < 0) ||
	    (sp->ctty && ioctl(fd[0], TIOCSCTTY, 0) < 0))
		goto fail;
	for (i = 0; i < 3; i++)
		if (dup2(fd[i], i) < 0)
			goto fail;
	if (dup3(errfd, 3, O_CLOEXEC) < 0)
		goto fail;
	errfd = 3;
	closefrom(4);
	if (sp->workdir != NULL && sp->workdir[0] != '\0' &&
	    chdir(sp->workdir) < 0 && chdir("/") < 0)
		goto fail;
	if (sp->as_root) {
		umask(022);
		if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 ||
		    setresuid(0, 0, 0) < 0)
			goto fail;
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (strchr(sp->path, '/') != NULL)
		execve(sp->path, sp->argv, sp->envp != NULL ? sp->envp :
		    environ);
	else
		execvpe(sp->path, sp->argv, sp->envp != NULL ? sp->envp :
		    environ);
 fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

pid_t
box_spawn(const struct box_spawn *sp, struct box_error *err)
{
	sigset_t all, saved;
	pid_t pid;
	ssize_t n;
	int p[2], e = 0, i;

	/* A descriptor the caller names must be open: a closed one could
	 * be taken by the error pipe below and handed to the program. */
	for (i = 0; i < 3; i++)
		if (sp->fds[i] >= 0 && fcntl(sp->fds[i], F_GETFD) < 0)
			return box_error_set(err, BOX_E_INTERNAL, errno,
			    "cannot run %s: descriptor %d", sp->path,
			    sp->fds[i]);
	if (pipe2(p, O_CLOEXEC) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno, "pipe");
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &saved);
	if ((pid = fork()) == 0) {
		close(p[0]);
		child(sp, p[1]);
	}
	e = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return box_error_set(err, BOX_E_INTERNAL, e, "fork");
	}
	while ((n = read(p[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == (ssize_t)sizeof(e)) {
		box_spawn_wait(pid, NULL);
		return box_error_set(err, BOX_E_INTERNAL, e, "cannot run %s",
		    sp->path);
	}
	return pid;
}

int
box_spawn_wait(pid_t pid, int *status)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (status != NULL)
		*status = st;
	return st;
}

int
box_spawn_run(const struct box_spawn *sp, struct box_error *err)
{
	int status;
	pid_t pid;

	if ((pid = box_spawn(sp, err)) < 0)
		return -1;
	if (box_spawn_wait(pid, &status) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno, "waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return box_error_set(err, BOX_E_RUNTIME, 0, "exited with status "
		    "%d", WEXITSTATUS(status));
	return box_error_set(err, BOX_E_RUNTIME, 0, "killed by signal %d",
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
