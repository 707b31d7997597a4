/* box-invite's live view of a session, and its filtered terminal output
 * (shared with replay). */
#ifndef BOX_INVITE_WATCH_H
#define BOX_INVITE_WATCH_H

#include <stddef.h>
#include <termios.h>

#include "box/box.h"
#include "session/termfilter.h"

int	cmd_watch(struct box_ctx *ctx, int argc, char **argv);

/* The guest's bytes to stdout through the filter; -1 when stdout is gone. */
int	box_term_write(struct box_termfilter *tf, const void *p, size_t n);
int	box_term_finish(struct box_termfilter *tf);

/* Keys typed here stay here: the terminal raw, no echo, ^C a key (1 if
 * set; restore saved after).  box_term_stopkey reads them: 1 for q, ^C,
 * ^D or the end of input. */
int	box_term_raw(struct termios *saved);
int	box_term_stopkey(void);

#endif
