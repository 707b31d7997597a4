/*
 * The command line a guest sends (SSH_ORIGINAL_COMMAND) as box-shell reads
 * it.  Only three words are box-shell's own: "redeem [--bind-only] TOKEN",
 * "tcp PORT", a stream to 127.0.0.1:PORT inside the guest's box, and
 * "status [--json]", the key's box and time left, said by box-shell.
 * Anything else is the guest's command and is run inside the guest's box,
 * never on the host.
 */
#ifndef BOX_COMMAND_H
#define BOX_COMMAND_H

#include <stddef.h>

#include "core/error.h"
#include "auth/token.h"

#define BOX_COMMAND_MAX	(256 * 1024)	/* longest accepted command */

enum box_cmd_kind {
	BOX_CMD_SHELL,		/* empty: interactive shell (or prompt) */
	BOX_CMD_EXEC,		/* a command to run inside the box */
	BOX_CMD_REDEEM,		/* redeem [--bind-only] TOKEN */
	BOX_CMD_TCP,		/* tcp PORT */
	BOX_CMD_STATUS,		/* status [--json] */
};

struct box_cmd {
	enum box_cmd_kind kind;
	int	 bind_only;		/* redeem and return at once */
	char	 token[BOX_TOKEN_MAX + 1];
	const char *exec;		/* BOX_CMD_EXEC: points into orig */
	unsigned port;			/* BOX_CMD_TCP: 1..65535 */
	int	 json;			/* BOX_CMD_STATUS --json */
};

/* The bastion's own file-transfer programs, bound into every box. */
#define BOX_TOOLS_DIR		"/.sshbox/tools"
#define BOX_TOOLS_RUN		BOX_TOOLS_DIR "/ld.so --library-path " \
				BOX_TOOLS_DIR " " BOX_TOOLS_DIR "/"

/*
 * scp and sftp land in the box whatever its image: a command that is
 * OpenSSH's sftp-server (any path, or internal-sftp, as a Subsystem line
 * names it) or "scp ..." becomes the bastion's own program run by the
 * bastion's loader from BOX_TOOLS_DIR, falling back to the image's own
 * when the box has none.  Everything after the program name is the
 * guest's as before, for the box's shell.  Other commands are copied
 * as they are.  0, or -1 when out is too small.
 */
int	box_command_tools(const char *exec, char *out, size_t outsz);

/*
 * Classify orig (may be NULL: no command).  Rejects commands longer than
 * BOX_COMMAND_MAX and malformed redeem, tcp and status lines.  0 or -1
 * (BOX_E_INPUT).
 */
int	box_command_parse(const char *orig, struct box_cmd *cmd,
	    struct box_error *err);

/*
 * Whether a profile's session hooks let line (a command, or "tcp PORT")
 * run: with commands.allow set, only a simple command (no shell
 * metacharacters: ; & | ` $ < > ( ) { } \\ or a line break) that matches
 * one of its patterns; and never one that matches a commands.deny
 * pattern.  Patterns are fnmatch(3) globs over the whole line, leading
 * and trailing blanks trimmed.  0, or -1 (BOX_E_DENIED) saying why.
 */
struct box_profile;
int	box_command_allowed(const struct box_profile *p, const char *line,
	    struct box_error *err);

#endif
