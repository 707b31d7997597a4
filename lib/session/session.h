/*
 * A guest's session in its box, carried by the box's agent (agent.h), in
 * one of two ways that look the same to the guest:
 *  - pass-through: the descriptors sshd gave box-shell (the terminal, or
 *    stdin, stdout and stderr) go to the agent, and the process in the box
 *    uses them directly; nothing copies bytes, and window size changes, ^C
 *    and a hangup reach the box through the kernel.  box-shell only waits
 *    for the exit status, watches the deadline, and notices a client that
 *    went away.
 *  - relay: the agent makes the terminal or pipes and box-shell copies the
 *    bytes (recording, watching, and transports that carry no descriptors).
 * Both warn the guest before the deadline and end the session at it.  A
 * TCP stream to a port in the box is relayed like a command's pipes.
 */
#ifndef BOX_SESSION_H
#define BOX_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/error.h"
#include "state/state.h"

enum box_session_end {
	BOX_SESSION_EXITED,	/* the process ended: status is valid */
	BOX_SESSION_DEADLINE,	/* the box's time ran out */
	BOX_SESSION_HANGUP,	/* the guest went away */
	BOX_SESSION_GONE,	/* the box (its agent) vanished */
	BOX_SESSION_UNRECORDED,	/* the recording failed and was required */
};

struct box_record;
struct box_watch;

struct box_session_opts {
	int		 passthrough;	/* else relay */
	int		 tty;		/* fd 0 is a terminal */
	const char	*term;		/* TERM for a terminal (box_valid_term) */
	const char	*command;	/* NULL: login shell */
	unsigned	 port;		/* a TCP stream to this port in the
					 * box instead (always relayed) */
	const struct box_profile *profile;	/* shell, workdir */
	int64_t		 deadline;	/* unix time the box ends */
	/* The deadline as it is now (an administrator may extend it), read
	 * every few seconds; 0 when it cannot be read (the last is kept).
	 * NULL: deadline is fixed. */
	int64_t		(*deadline_now)(void *arg);
	void		*deadline_arg;
	const char	*login_notice;	/* a notice before banner, or NULL */
	const char	*motd;		/* the profile's banner lines, shown
					 * first, or NULL */
	const int64_t	*warn;		/* warn this many seconds before */
	size_t		 nwarn;
	/* Out: bytes from the guest into the box and back, when relayed
	 * (-1 in pass-through: the kernel moves them, uncounted). */
	long long	*bytes_in, *bytes_out;
	/* Relay only.  What the guest sees (its output and sshbox's
	 * notices) goes to the recording and to watchers; its input to the
	 * recording when that takes input. */
	const char	*banner;	/* a notice for the guest at start */
	struct box_record *rec;		/* NULL: not recorded */
	int		 rec_required;	/* a failed recording ends it */
	struct box_watch *watch;	/* NULL: nobody may watch */
	int		 watch_notice;	/* tell the guest of watchers */
	/* Told of each watcher that joined (1) or left (0). */
	void		(*on_watch)(void *arg, int joined, const char *who);
	void		*on_watch_arg;
};

/*
 * Run one session over agent_fd (a connected, verified agent socket; it is
 * closed on return) on box-shell's fds 0, 1 and 2.  *status is the
 * process's exit status (128 + signal when killed) when
 * BOX_SESSION_EXITED.  Returns the reason, or -1 with err set when the
 * session could not be started or the agent broke the protocol.
 */
int	box_session_run(int agent_fd, const struct box_session_opts *o,
	    int *status, struct box_error *err);

/*
 * A session nobody watches: command (through the profile's shell, as the
 * profile's user, no terminal, no input) runs in the box over agent_fd
 * (closed on return) and its output is discarded; *status is its exit
 * status.  For a pooled box, made ready before a guest takes it: its
 * first session then finds the agent, the account and the shell warm.
 * 0 when the process ran (whatever its status), -1 with err set when the
 * agent did not start it or did not answer within timeout_ms.
 */
int	box_session_quiet(int agent_fd, const struct box_profile *p,
	    const char *command, int timeout_ms, int *status,
	    struct box_error *err);

/*
 * The audit detail of a session (sshbox-audit(5)): its history id,
 * terminal and command at start; with res, how it ended (exit status,
 * reason, seconds, bytes each way).  The command comes last and whole up
 * to BOX_SESSION_CMD_MAX bytes: the audit sinks escape it.
 */
void	box_session_detail(char *out, size_t outsz, int64_t log_id,
	    const struct box_session_info *si,
	    const struct box_session_result *res, int64_t seconds);

/* The environment box-shell passes into a box: TERM (given), the
 * profile's env (prof may be NULL), and LANG and LC_* from its own where
 * the profile sets none of them, when their values are printable and
 * short.  Fills
 * env (at most max entries); returns how many. */
size_t	box_session_env(const char *term, const struct box_profile *prof,
	    char env[][1024], size_t max);

#endif
