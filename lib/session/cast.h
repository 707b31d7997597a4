/*
 * Reading session recordings: asciicast v2 as box-shell writes it, one
 * JSON value per line (a header object, then [TIME, CODE, DATA] events),
 * and the self-contained HTML page that replays one with asciinema-player.
 *
 * A recording is hostile input: the box account owns the file and the
 * guest chose what it shows.  The reader is strict about structure
 * (types, arity, bounds, times that never go back) and bounded in bytes,
 * line length and nesting, but takes any content a guest could have put
 * in a string: a guest must not be able to make its own session
 * unreadable by what it printed.
 */
#ifndef BOX_CAST_H
#define BOX_CAST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"

#define BOX_CAST_MAX_BYTES	(128 * 1024 * 1024)	/* a whole file */
#define BOX_CAST_LINE_MAX	(1024 * 1024)	/* one line, without '\n' */
#define BOX_CAST_DEPTH		8	/* JSON nesting of one line */
#define BOX_CAST_SIZE_MAX	1000	/* columns or rows */
#define BOX_CAST_TIME_MAX	1e9	/* seconds into a recording */
#define BOX_CAST_STAMP_MAX	INT64_C(253402300799)	/* 9999-12-31 */
#define BOX_CAST_END_MARKER	"sshbox: end"	/* a complete one's last */

struct box_cast_header {
	unsigned width, height;		/* 1..BOX_CAST_SIZE_MAX */
	int64_t	 timestamp;		/* unix seconds, 0 when absent */
	char	 title[256];		/* "" when absent; cut at a NUL or at
					 * a character's boundary */
	char	 term[64];		/* env.TERM, "" when absent or not a
					 * plain name ([A-Za-z0-9._+-]) */
};

struct box_cast_event {
	double	 time;			/* seconds, finite, not decreasing */
	char	 code;			/* 'o', 'i', 'r' or 'm' */
	const char *data;		/* valid UTF-8, NUL-terminated, but may
					 * hold NULs ("\u0000"): use len */
	size_t	 len;
	unsigned cols, rows;		/* 'r': the new size, else 0 */
};

struct box_cast;

/*
 * Start reading the recording in buf (len bytes, at most
 * BOX_CAST_MAX_BYTES; it must outlive *c) and parse its header into *h.
 * The header must be an object with "version": 2 and integer "width" and
 * "height" in 1..BOX_CAST_SIZE_MAX; "timestamp" (integer), "title"
 * (string) and "env" (object) are optional; other keys are ignored.
 * 0, or -1 with err (BOX_E_INPUT, "line 1: why").  Free *c with
 * box_cast_free().
 */
int	box_cast_open(struct box_cast **c, const char *buf, size_t len,
	    struct box_cast_header *h, struct box_error *err);

/*
 * The next event into *ev: 1, or 0 at the end, or -1 with err
 * (BOX_E_INPUT, "line N: why").  ev->data stays valid until the next
 * call or box_cast_free().
 *
 * Each line is one JSON value: no blank lines, no CR, no other control
 * byte outside strings' escapes, valid UTF-8 (so no byte order mark), no
 * duplicate keys, no NaN or Infinity, no bytes after the value, at most BOX_CAST_LINE_MAX
 * bytes and BOX_CAST_DEPTH levels.  An event is an array of exactly three
 * elements: a number of seconds (finite, 0..BOX_CAST_TIME_MAX, not less
 * than the event before: a time that goes back is refused, not
 * reordered), a string code, a string.  Events of codes other than "o",
 * "i", "r", "m" are skipped, as later versions may add codes; "r" data
 * must be "COLSxROWS", each 1..BOX_CAST_SIZE_MAX.  The last line
 * may lack its '\n'; when it is not a whole JSON value there, the writer
 * was cut off in the middle of it: the recording ends before it (0, and
 * it is not complete).
 */
int	box_cast_next(struct box_cast *c, struct box_cast_event *ev,
	    struct box_error *err);

/*
 * After box_cast_next() returned 0: 1 if the last event was the end
 * marker box-shell writes when a session ends ("m" whose data is
 * BOX_CAST_END_MARKER, alone or followed by a space and more), 0 if the
 * recording was cut short.
 */
int	box_cast_complete(const struct box_cast *c);

void	box_cast_free(struct box_cast *c);

/* How the page plays a recording. */
struct box_cast_page {
	const char	*label;		/* what it is ("session 12", a file
					 * name), shown as is; NULL: none */
	double		 speed;		/* 0: the player's own (1) */
	double		 idle_limit;	/* longest pause in seconds, 0: as
					 * recorded */
};

#define BOX_CAST_PLAYER_JS	"asciinema-player.min.js"
#define BOX_CAST_PLAYER_CSS	"asciinema-player.css"
#define BOX_CAST_PLAYER_MAX	(8 * 1024 * 1024)	/* each of them */

/*
 * Write to out one self-contained HTML page that plays the recording in
 * buf on load: asciinema-player's script and style from player_dir
 * (BOX_CAST_PLAYER_JS and _CSS, read without following a link) inlined,
 * and the recording re-written from the events parsed (never the file's
 * own bytes) as JSON in which '<', '>', '&', U+2028 and U+2029 are
 * escaped, so that nothing in it ends its element.  A Content-Security-
 * Policy lets only those scripts run and the page load nothing at all;
 * there is no URL in it.  The page shows the recording's title and size
 * and whether it is complete.
 *
 * The whole recording is read before the first byte is written: on
 * error nothing is.  *complete (may be NULL) says whether the recording
 * was complete.  0, or -1 with err: BOX_E_INPUT for the recording,
 * BOX_E_NOTFOUND naming player_dir when the player is not installed,
 * BOX_E_CONFIG when its files cannot be inlined, BOX_E_INTERNAL on a
 * write error.
 */
int	box_cast_html(FILE *out, const char *buf, size_t len,
	    const char *player_dir, const struct box_cast_page *page,
	    int *complete, struct box_error *err);

#endif
