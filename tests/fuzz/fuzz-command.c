/* Fuzz target: box-shell's reading of SSH_ORIGINAL_COMMAND. */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "session/command.h"
#include "session/staffcmd.h"
#include "fuzz.h"

/* A profile's hooks: an allowlist, and a denylist on top. */
static const struct box_profile *
hooks(void)
{
	static struct box_profile p;

	if (p.ncmd_allow == 0) {
		strcpy(p.cmd_allow[0], "make *");
		strcpy(p.cmd_allow[1], "echo [a-z]*");
		strcpy(p.cmd_allow[2], "tcp 80*");
		strcpy(p.cmd_deny[0], "*secret*");
		p.ncmd_allow = 3;
		p.ncmd_deny = 1;
	}
	return &p;
}

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
	/* A staff line: a box id is 16 hex digits, a command lies in the
	 * line, after its "--". */
	{
		struct box_staff_cmd sc;

		if (box_staff_parse(s, &sc, &err) == 0) {
			if (sc.box[0] != '\0' && (strlen(sc.box) != 16 ||
			    strspn(sc.box, "0123456789abcdef") != 16))
				abort();
			if (sc.command != NULL && (sc.command <= s + 1 ||
			    sc.command > s + size || strstr(s, "--") == NULL ||
			    strstr(s, "--") >= sc.command))
				abort();
			if ((sc.verb == BOX_STAFF_NEW ||
			    sc.verb == BOX_STAFF_INVITE) && sc.profile[0] ==
			    '\0')
				abort();
		}
	}
	/* An allowed line is simple, listed and not denied. */
	if (size <= BOX_COMMAND_MAX && box_command_allowed(hooks(), s,
	    &err) == 0 && (strpbrk(s, ";&|`$<>(){}\\") != NULL ||
	    strstr(s, "secret") != NULL))
		abort();
	free(s);
	return 0;
}
