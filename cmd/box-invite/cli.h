/* What box-invite's commands share. */
#ifndef BOX_INVITE_CLI_H
#define BOX_INVITE_CLI_H

/* "box-invite: MESSAGE" on standard error, one line with control and
 * non-ASCII bytes escaped; returns code, the exit status. */
int	die(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Who ran box-invite, as it was started (before it became the box
 * account): the user name, and the sudo user when there is one. */
extern char box_invite_who[96];

/* As root: read what only root may for cmd, then become the box account
 * for good (0, or 1 after saying why). */
int	box_invite_as_box(const char *cmd);

/* o as pretty JSON on standard output, then freed. */
struct json_object;
void	print_json(struct json_object *o);

#endif
