/*
 * The command line a guest sends (SSH_ORIGINAL_COMMAND) as box-shell reads
 * it.  Only two words are box-shell's own: "redeem TOKEN" and
 * "redeem --bind-only TOKEN".  Anything else is the guest's command and is
 * run inside the guest's box, never on the host.
 */
#ifndef BOX_COMMAND_H
#define BOX_COMMAND_H

#include <stddef.h>

#include "error.h"
#include "token.h"

#define BOX_COMMAND_MAX	(256 * 1024)	/* longest accepted command */

enum box_cmd_kind {
	BOX_CMD_SHELL,		/* empty: interactive shell (or prompt) */
	BOX_CMD_EXEC,		/* a command to run inside the box */
	BOX_CMD_REDEEM,		/* redeem [--bind-only] TOKEN */
};

struct box_cmd {
	enum box_cmd_kind kind;
	int	 bind_only;		/* redeem and return at once */
	char	 token[BOX_TOKEN_MAX + 1];
	const char *exec;		/* BOX_CMD_EXEC: points into orig */
};

/*
 * Classify orig (may be NULL: no command).  Rejects commands longer than
 * BOX_COMMAND_MAX and malformed redeem lines.  0 or -1 (BOX_E_INPUT).
 */
int	box_command_parse(const char *orig, struct box_cmd *cmd,
	    struct box_error *err);

#endif
