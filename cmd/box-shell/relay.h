/* box-shell's relay between the guest's ssh channel and a process in a box. */
#ifndef BOX_SHELL_RELAY_H
#define BOX_SHELL_RELAY_H

#include <stdint.h>

#include "runtime.h"

enum relay_end {
	RELAY_EXITED,		/* the process ended: status is valid */
	RELAY_DEADLINE,		/* the box's time ran out */
	RELAY_HANGUP,		/* the guest went away */
	RELAY_GONE,		/* the box vanished under the session */
};

struct relay_opts {
	int		 tty;		/* raw terminal mode, follow resizes */
	int		 stdin_open;	/* forward our stdin */
	int64_t		 deadline;	/* unix time the box ends */
	const int64_t	*warn;		/* warn this many seconds before */
	size_t		 nwarn;
};

/*
 * Relay until the process ends, the deadline passes or the guest leaves.
 * *status is the process's exit status when RELAY_EXITED.  Returns the
 * reason, or -1 with err set on an infrastructure failure.
 */
int	relay_run(struct box_runtime *rt, struct box_exec *ex,
	    const struct relay_opts *o, int *status, struct box_error *err);

#endif
