/* What box-shell's guest and staff paths share. */
#ifndef BOX_SHELL_H
#define BOX_SHELL_H

#include "box/box.h"
#include "session/command.h"

/* One line to the caller ("sshbox: ..."), and the same to the log; the
 * exit status code. */
int	fail(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The command (or shell, or port) in the box of binding b, start to end:
 * the box made or attached, the session run; its exit status. */
int	session(struct box_ctx *ctx, const struct box_cmd *cmd,
	    const struct box_binding *b, const char *source, int interactive);

/*
 * A staff member's certificate login: refused in one line (the exit
 * status) unless sshbox signed it and it is good now (its serial known,
 * not revoked, its key id, principal and key the ones signed, not
 * expired, its key not banned); else 0 with *c its row.
 */
int	staff_refused(struct box_ctx *ctx, const struct box_sshcert *cert,
	    const char *source, struct box_cert *c);

/* A staff member's command (line: SSH_ORIGINAL_COMMAND, may be NULL);
 * the exit status. */
int	staff_main(struct box_ctx *ctx, const struct box_cert *c,
	    const char *line, const char *source, int interactive);

#endif
