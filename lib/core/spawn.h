/*
 * The one place where sshbox starts a program: the privileged helper
 * (box-shell, box-invite), sshd -T (doctor), ssh and its tools (box-proxy)
 * and the guest's shell (box-agent, which links it statically: libc only).
 *
 * The child gets exactly three descriptors, everything else closed; every
 * signal back to its default and unblocked; no shell ever parses
 * argv.  An exec that fails is reported to the parent through a
 * close-on-exec pipe, so the caller says "cannot run X: why" instead of
 * learning only an exit status of 127.
 */
#ifndef BOX_SPAWN_H
#define BOX_SPAWN_H

#include <sys/types.h>

#include "core/error.h"

struct box_spawn {
	const char	*path;		/* with a slash: as is; else PATH */
	char *const	*argv;
	char *const	*envp;		/* NULL: this process's environment */
	int		 fds[3];	/* its 0, 1, 2; -1: /dev/null */
	int		 setsid;	/* a session of its own */
	int		 ctty;		/* fds[0] its controlling terminal
					 * (with setsid) */
	const char	*workdir;	/* NULL or "": ours; / if it fails */
	int		 as_root;	/* every id 0, no supplementary
					 * groups, umask 022 (box-runtime,
					 * setuid, starting an OCI runtime) */
};

/* Start sp; the child's pid, or -1 with err (the exec's errno in
 * err->errnum when it could not run: the child is already reaped). */
pid_t	box_spawn(const struct box_spawn *sp, struct box_error *err);

/* waitpid(pid) through EINTR: the wait status, or -1. */
int	box_spawn_wait(pid_t pid, int *status);

/* Start sp and wait for its end: 0 when it exited 0; else -1 with err
 * (why it could not run, or BOX_E_RUNTIME saying how it ended). */
int	box_spawn_run(const struct box_spawn *sp, struct box_error *err);

#endif
