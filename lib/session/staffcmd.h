/*
 * The commands a staff member sends over ssh (SSH_ORIGINAL_COMMAND of a
 * certificate login), as box-shell reads them:
 *
 *   new --profile P [--ttl T] [--json] [-- COMMAND]
 *   list [--json]
 *   attach BOX [--json | -- COMMAND]
 *   kill BOX [--json]
 *   extend BOX DURATION [--json]
 *   invite --profile P [--ttl T] [--uses N] [--expires T] [--json]
 *
 * Words are separated by blanks; there is no quoting: everything after
 * "--" is the command for the box, whole, for its shell.  Names (profile,
 * box) and durations are checked here; what they may do is the policy's.
 */
#ifndef BOX_STAFFCMD_H
#define BOX_STAFFCMD_H

#include <stdint.h>

#include "core/error.h"

enum box_staff_verb {
	BOX_STAFF_HELP,		/* no command: what there is */
	BOX_STAFF_NEW,
	BOX_STAFF_LIST,
	BOX_STAFF_ATTACH,
	BOX_STAFF_KILL,
	BOX_STAFF_EXTEND,
	BOX_STAFF_INVITE,
};

struct box_staff_cmd {
	enum box_staff_verb verb;
	int	 json;
	char	 profile[33];
	char	 box[17];		/* a box id: 16 hex digits */
	int64_t	 ttl;			/* 0: the profile's */
	int64_t	 expires;		/* invite: 0 for the default */
	int	 uses;			/* invite: 0 for 1 */
	const char *command;		/* after "--", in the line; or NULL */
};

/* Parse line (may be NULL: help).  0, or -1 (BOX_E_INPUT) saying what is
 * wrong in one line. */
int	box_staff_parse(const char *line, struct box_staff_cmd *cmd,
	    struct box_error *err);

/* The verbs and their arguments, for a usage message. */
extern const char box_staff_usage[];

#endif
