/*
 * Each box's run directory on the host: RUNTIME_DIR/INSTANCE/BOXID, bound
 * into the box at /.sshbox/run, where its agent makes its socket.  The
 * runtime directory is root's, 0700, so that only box-runtime (setuid
 * root) and root reach it; the box account and other users do not.  Once the
 * agent listens, the directory is closed to the guest (0711): it can no
 * longer put anything there.
 */
#ifndef BOX_RUNDIR_H
#define BOX_RUNDIR_H

#include <limits.h>
#include <stddef.h>

#include "core/error.h"

#ifndef RUNTIME_DIR
#define RUNTIME_DIR	"/var/lib/sshbox-runtime"
#endif
#define BOX_AGENT_SOCKET	"agent.sock"
#define BOX_AGENT_TARGET	"/.sshbox/box-agent"	/* in the box */
#define BOX_RUN_TARGET		"/.sshbox/run"		/* in the box */

/*
 * Make (or open) the run directory of box_id, writable by the box's user
 * until box_rundir_ready closes it.  Its path into path.  Returns a
 * descriptor of it (O_DIRECTORY), or -1.
 */
int	box_rundir_make(const char *instance, const char *box_id, char *path,
	    size_t pathsz, struct box_error *err);

/* Open the run directory of box_id (O_PATH, no links followed), or -1
 * (BOX_E_NOTFOUND when it does not exist). */
int	box_rundir_open(const char *instance, const char *box_id,
	    struct box_error *err);

/*
 * Wait up to ms for the agent's socket in the directory open at dfd, then
 * close the directory to the guest.  0 or -1.
 */
int	box_rundir_ready(int dfd, int ms, struct box_error *err);

/* Remove the run directory of box_id and what is in it (best effort). */
void	box_rundir_remove(const char *instance, const char *box_id);

/*
 * The box-agent binary to bind into boxes: beside the running program, or
 * in LIBEXECDIR; it and every directory above it must be root's and not
 * group- or world-writable.  0 or -1.
 */
int	box_agent_binary(char *path, size_t pathsz, struct box_error *err);

/*
 * The bastion's file-transfer programs and what they need to run in any
 * box (box_command_tools): sftp-server, scp, the dynamic loader and libc,
 * each only if it and every directory above it are root's.  Fills src
 * (host paths, links resolved) and dst (names in BOX_TOOLS_DIR); returns
 * BOX_TOOLS_N, or 0 when one is missing (then none is bound).
 */
#define BOX_TOOLS_N	4
int	box_tools(char src[BOX_TOOLS_N][PATH_MAX], const char *dst[BOX_TOOLS_N]);

#endif
