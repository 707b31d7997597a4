/* box-invite keys, bans, ban, unban, extend, and kill --ban. */
#ifndef BOX_INVITE_CONTROL_H
#define BOX_INVITE_CONTROL_H

#include "box/box.h"

/* Each returns the exit status; json asks for --json output. */
int	cmd_keys(struct box_ctx *ctx, int argc, char **argv, int json);
int	cmd_bans(struct box_ctx *ctx, int argc, char **argv, int json);
int	cmd_ban(struct box_ctx *ctx, int argc, char **argv, int json);
int	cmd_unban(struct box_ctx *ctx, int argc, char **argv, int json);
int	cmd_extend(struct box_ctx *ctx, int argc, char **argv, int json);
int	cmd_requests(struct box_ctx *ctx, int argc, char **argv, int json);
/* approve REQUEST, deny [--reason TEXT] REQUEST (argv[0] says which). */
int	cmd_decide(struct box_ctx *ctx, int argc, char **argv, int json);
/* Ban the key of box b (which kill is ending) and end its live box. */
int	cmd_kill_ban(struct box_ctx *ctx, const struct box_box *b,
	    const char *reason, int json);
/* Ban fp ("by" box_invite_who) and destroy its live box, whose id goes
 * into ended ("" when none).  *added is 0 when it was banned already. */
int	control_ban(struct box_ctx *ctx, const char *fp, const char *reason,
	    int *added, char *ended, size_t endedsz);

#endif
