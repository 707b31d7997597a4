/* Fuzz target: box-shell's reading of SSH_ORIGINAL_COMMAND. */
#include <stdlib.h>
#include <string.h>

#include "session/command.h"
#include "fuzz.h"

FUZZ_ENTRY(command)
{
	struct box_error err;
	struct box_cmd cmd;
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';		/* the environment cannot hold a NUL */
	if (box_command_parse(s, &cmd, &err) == 0) {
		if (cmd.kind == BOX_CMD_REDEEM &&
		    (cmd.token[0] == '\0' || strlen(cmd.token) > BOX_TOKEN_MAX))
			abort();
		if (cmd.kind == BOX_CMD_EXEC && cmd.exec != s)
			abort();
		if (cmd.kind == BOX_CMD_EXEC) {
			/* Either unchanged, or the tools' own line. */
			size_t n = strlen(s) + 512;
			char *out = malloc(n);

			if (out != NULL && box_command_tools(s, out, n) == 0 &&
			    strcmp(out, s) != 0 && strncmp(out,
			    "if [ -x /.sshbox/tools/", 23) != 0)
				abort();
			free(out);
		}
	}
	free(s);
	return 0;
}
