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

#endif
