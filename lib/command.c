/* Classifying the command a guest sent: box-shell's own verb, or theirs. */
#include <string.h>

#include "command.h"
#include "util.h"

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

int
box_command_parse(const char *orig, struct box_cmd *cmd,
    struct box_error *err)
{
	const char *p, *tok;
	size_t len, toklen;

	memset(cmd, 0, sizeof(*cmd));
	if (orig == NULL || orig[0] == '\0') {
		cmd->kind = BOX_CMD_SHELL;
		return 0;
	}
	len = strnlen(orig, BOX_COMMAND_MAX + 1);
	if (len > BOX_COMMAND_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "command too long (more than %d bytes)", BOX_COMMAND_MAX);
	p = orig;
	while (is_space(*p))
		p++;
	if (strncmp(p, "redeem", 6) != 0 ||
	    (p[6] != '\0' && !is_space(p[6]))) {
		cmd->kind = BOX_CMD_EXEC;
		cmd->exec = orig;
		return 0;
	}
	cmd->kind = BOX_CMD_REDEEM;
	p += 6;
	while (is_space(*p))
		p++;
	if (strncmp(p, "--bind-only", 11) == 0 &&
	    (p[11] == '\0' || is_space(p[11]))) {
		cmd->bind_only = 1;
		p += 11;
		while (is_space(*p))
			p++;
	}
	tok = p;
	while (*p != '\0' && !is_space(*p) && *p != '\r' && *p != '\n')
		p++;
	toklen = (size_t)(p - tok);
	while (is_space(*p) || *p == '\r' || *p == '\n')
		p++;
	if (toklen == 0)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "usage: redeem [--bind-only] TOKEN");
	if (*p != '\0')
		return box_error_set(err, BOX_E_INPUT, 0,
		    "redeem takes one token and nothing after it");
	if (toklen > BOX_TOKEN_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "that token is too long to be an sshbox token");
	memcpy(cmd->token, tok, toklen);
	cmd->token[toklen] = '\0';
	return 0;
}
