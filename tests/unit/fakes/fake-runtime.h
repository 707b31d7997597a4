/*
 * A runtime driver in memory, for unit tests of the box logic above the
 * drivers (provision, attach, destroy, reap): no daemon, no containers.
 * It keeps the same rules a real driver must: destroy acts only on an
 * object whose labels are this instance's and this box id's.
 */
#ifndef BOX_FAKE_RUNTIME_H
#define BOX_FAKE_RUNTIME_H

#include "runtime/runtime.h"

#define FAKE_MAX	32

struct fake_obj {
	char	 ref[BOX_REF_MAX];
	char	 box_id[BOX_ID_LEN + 1];
	char	 instance[33];
	int	 live;
	int	 paused;
};

struct fake_world {
	struct fake_obj	 obj[FAKE_MAX];
	int		 creates, destroys, refused, pauses;
	int		 fail_create;		/* next create fails */
};

extern struct fake_world fake;
extern const struct box_runtime_ops fake_ops;

/* Add an object as if another program had made it. */
void	fake_add(const char *ref, const char *box_id, const char *instance);
/* 1 if an object with that box id is live. */
int	fake_live(const char *box_id);

#endif
