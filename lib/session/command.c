/* Classifying the command a guest sent: box-shell's own verb, or theirs. */
#include <fnmatch.h>
#include <string.h>

#include "config/config.h"
#include "session/command.h"
#include "core/util.h"

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* "tcp PORT": one decimal port, 1..65535, and nothing after it. */
static int
parse_tcp(const char *p, struct box_cmd *cmd, struct box_error *err)
{
	unsigned long port = 0;
	size_t digits = 0;

	while (is_space(*p))
		p++;
	if (*p == '0')		/* no leading zeros, and no port 0 */
		goto bad;
	for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
		port = port * 10 + (unsigned long)(*p - '0');
	while (is_space(*p) || *p == '\r' || *p == '\n')
		p++;
	if (digits == 0 || digits > 5 || *p != '\0' || port < 1 ||
	    port > 65535)
		goto bad;
	cmd->kind = BOX_CMD_TCP;
	cmd->port = (unsigned)port;
	return 0;
 bad:
	return box_error_set(err, BOX_E_INPUT, 0,
	    "usage: tcp PORT (a port from 1 to 65535 in your box)");
}

/* "status" or "status --json", and nothing after it. */
static int
parse_status(const char *p, struct box_cmd *cmd, struct box_error *err)
{
	while (is_space(*p))
		p++;
	if (strncmp(p, "--json", 6) == 0 && (p[6] == '\0' || is_space(p[6]) ||
	    p[6] == '\r' || p[6] == '\n')) {
		cmd->json = 1;
		p += 6;
	}
	while (is_space(*p) || *p == '\r' || *p == '\n')
		p++;
	if (*p != '\0')
		return box_error_set(err, BOX_E_INPUT, 0,
		    "usage: status [--json] (your box and the time it has "
		    "left)");
	cmd->kind = BOX_CMD_STATUS;
	return 0;
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
	if (strncmp(p, "tcp", 3) == 0 && (p[3] == '\0' || is_space(p[3])))
		return parse_tcp(p + 3, cmd, err);
	if (strncmp(p, "status", 6) == 0 && (p[6] == '\0' || is_space(p[6]) ||
	    p[6] == '\r' || p[6] == '\n'))
		return parse_status(p + 6, cmd, err);
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

int
box_command_tools(const char *exec, char *out, size_t outsz)
{
	const char *p = exec, *w, *rest, *prog;
	size_t wlen, blen;
	int n;

	while (is_space(*p))
		p++;
	w = p;
	while (*p != '\0' && !is_space(*p))
		p++;
	wlen = (size_t)(p - w);
	rest = p;
	/* The word's last path component. */
	for (blen = wlen; blen > 0 && w[blen - 1] != '/'; blen--)
		;
	prog = NULL;
	if ((wlen - blen == 11 && strncmp(w + blen, "sftp-server", 11) == 0) ||
	    (wlen == 13 && strncmp(w, "internal-sftp", 13) == 0))
		prog = "sftp-server";
	else if (wlen == 3 && strncmp(w, "scp", 3) == 0)
		prog = "scp";
	if (prog == NULL)
		n = snprintf(out, outsz, "%s", exec);
	else
		n = snprintf(out, outsz, "if [ -x %s/%s ]; then exec %s%s%s; "
		    "else exec %s%s; fi", BOX_TOOLS_DIR, prog, BOX_TOOLS_RUN,
		    prog, rest, strcmp(prog, "scp") == 0 ? "scp" :
		    "/usr/lib/openssh/sftp-server", rest);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int
box_command_allowed(const struct box_profile *p, const char *line,
    struct box_error *err)
{
	char buf[BOX_COMMAND_MAX + 1];
	size_t len, i;
	const char *s;

	if (p->ncmd_allow == 0 && p->ncmd_deny == 0)
		return 0;
	s = line;
	while (is_space(*s) || *s == '\r' || *s == '\n')
		s++;
	len = strnlen(s, BOX_COMMAND_MAX);
	while (len > 0 && (is_space(s[len - 1]) || s[len - 1] == '\r' ||
	    s[len - 1] == '\n'))
		len--;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (p->ncmd_allow > 0) {
		if (strpbrk(buf, ";&|`$<>(){}\\\r\n") != NULL)
			return box_error_set(err, BOX_E_DENIED, 0, "this box "
			    "runs only the commands its profile lists, each "
			    "simple: no ; & | ` $ < > ( ) { } \\ or line "
			    "breaks");
		for (i = 0; i < p->ncmd_allow; i++)
			if (fnmatch(p->cmd_allow[i], buf, 0) == 0)
				break;
		if (i == p->ncmd_allow)
			return box_error_set(err, BOX_E_DENIED, 0, "this box "
			    "does not run that command: its profile lists the "
			    "commands it runs");
	}
	for (i = 0; i < p->ncmd_deny; i++)
		if (fnmatch(p->cmd_deny[i], buf, 0) == 0)
			return box_error_set(err, BOX_E_DENIED, 0, "this box "
			    "does not run that command (its profile denies "
			    "it)");
	return 0;
}
