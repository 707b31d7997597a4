/*
 * Reading /proc/PID/stat, for box-shell (is a session's process still the
 * same one?) and box-agent (which processes belong to a session?).  libc
 * only: box-agent links it statically.
 */
#ifndef BOX_PROC_H
#define BOX_PROC_H

struct box_proc_stat {
	char		 state;		/* R, S, D, Z, X, ... */
	long long	 session;	/* its session id (field 6) */
	long long	 start;		/* start time in clock ticks (field 22) */
};

/* 0, or -1 when the process is gone or its line does not parse.  The
 * command name may hold spaces and parentheses: it is skipped whole. */
int	box_proc_stat(long pid, struct box_proc_stat *ps);

#endif
