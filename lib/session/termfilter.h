/*
 * A filter for a guest's terminal output on its way to an admin's terminal
 * (box-invite replay and watch).  The bytes come from inside a box and are
 * hostile: text and the ordinary screen-drawing sequences of a shell, vim,
 * top or less pass unchanged; whatever could act beyond the screen (titles,
 * clipboard, queries the terminal would answer on the admin's input, mouse
 * reporting, palette, window operations, printing, DCS/OSC/APC/PM/SOS
 * strings, C1 controls, leaving UTF-8) is dropped whole.  The filter never
 * emits a byte that was not in its input, but for U+FFFD in place of
 * invalid UTF-8, and never a part of a sequence.  It assumes that the
 * admin's terminal decodes UTF-8.  termfilter.c lists what passes.
 */
#ifndef BOX_TERMFILTER_H
#define BOX_TERMFILTER_H

#include <stddef.h>

#define BOX_TERMFILTER_PARAM_MAX	64	/* CSI parameter bytes */
#define BOX_TERMFILTER_INTER_MAX	2	/* intermediate bytes */
#define BOX_TERMFILTER_STRING_MAX	(64 * 1024)	/* string payload */

/* The longest sequence held back: ESC [, parameters, intermediates. */
#define BOX_TERMFILTER_HOLD \
	(2 + BOX_TERMFILTER_PARAM_MAX + BOX_TERMFILTER_INTER_MAX)

/*
 * Room that box_termfilter_run() needs for n input bytes (n small enough
 * not to overflow): each byte gives at most one U+FFFD, and a held-back
 * sequence completed by this call is written whole.
 */
#define BOX_TERMFILTER_OUT(n)	(3 * (size_t)(n) + BOX_TERMFILTER_HOLD)

/* Streaming state; its fields are private to termfilter.c. */
struct box_termfilter {
	int		 state;
	int		 osc;		/* the string is an OSC: BEL ends it */
	int		 bad;		/* the sequence will be dropped */
	unsigned	 need;		/* UTF-8 continuation bytes to come */
	unsigned char	 lo, hi;	/* range of the next continuation */
	size_t		 len;		/* bytes in hold */
	size_t		 nparam;	/* CSI parameter bytes held */
	size_t		 ninter;	/* intermediate bytes held */
	size_t		 nstring;	/* string payload bytes swallowed */
	unsigned char	 hold[BOX_TERMFILTER_HOLD];
};

/* Start (or restart) a stream in the ground state. */
void	box_termfilter_init(struct box_termfilter *tf);

/*
 * Filter n bytes of in into out, which must have room for
 * BOX_TERMFILTER_OUT(n) bytes.  A sequence or UTF-8 character that goes on
 * in the next call is held back, so that any split of a stream gives the
 * same output as the whole.  Returns the number of bytes written.
 */
size_t	box_termfilter_run(struct box_termfilter *tf, const void *in,
	    size_t n, void *out);

/*
 * End of stream: an unfinished sequence is dropped, an unfinished UTF-8
 * character becomes U+FFFD; tf is ready for a new stream.  out needs room
 * for BOX_TERMFILTER_OUT(0) bytes.  Returns the number of bytes written.
 */
size_t	box_termfilter_finish(struct box_termfilter *tf, void *out);

#endif
