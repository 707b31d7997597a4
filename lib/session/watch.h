/*
 * Live watching of a relayed session (box-invite watch).  box-shell
 * listens on a socket named after the session in a directory of its own
 * (mode 0700: only root and the box account reach it), accepts up to
 * BOX_WATCH_MAX watchers, and sends each what the guest sees.  It never
 * reads from a watcher: whatever a watcher writes goes nowhere, so no
 * watcher can type into the session.  A watcher that stops reading is
 * dropped, never waited for.
 *
 * A late watcher first gets the output since the guest's screen was last
 * cleared (up to BOX_WATCH_HISTORY bytes): replayed into a terminal of the
 * guest's size, it draws the screen as it is now.
 *
 * The stream is frames: a type byte, a 32-bit big-endian length, the
 * payload.  BOX_WF_HELLO "session=N cols=C rows=R", BOX_WF_OUTPUT bytes,
 * BOX_WF_RESIZE "COLSxROWS", BOX_WF_END "exit=N reason=R".
 */
#ifndef BOX_WATCH_H
#define BOX_WATCH_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define BOX_WATCH_MAX		8
#define BOX_WATCH_HISTORY	(256 * 1024)
#define BOX_WATCH_QUEUE		(1024 * 1024)	/* queued for one watcher */
#define BOX_WATCH_FRAME_MAX	(64 * 1024)	/* payload of one frame */

#define BOX_WF_HELLO	'H'
#define BOX_WF_OUTPUT	'O'
#define BOX_WF_RESIZE	'R'
#define BOX_WF_END	'E'

struct box_watch;

/* Listen for watchers of session in dir (made, mode 0700, when missing). */
int	box_watch_open(struct box_watch **wp, const char *dir,
	    int64_t session, unsigned cols, unsigned rows,
	    struct box_error *err);

/* The descriptors to poll (at most BOX_WATCH_MAX + 1 into pfd); how many. */
size_t	box_watch_pollfds(const struct box_watch *w, struct pollfd *pfd);

/* After poll, with the same pfd: accept newcomers, send what is queued,
 * drop watchers gone or too slow; cb is told of each that joined (1) or
 * left (0), by user name. */
void	box_watch_service(struct box_watch *w, const struct pollfd *pfd,
	    size_t n, void (*cb)(void *, int, const char *), void *arg);

void	box_watch_output(struct box_watch *w, const void *p, size_t n);
void	box_watch_resize(struct box_watch *w, unsigned cols, unsigned rows);

/* Tell the watchers how it ended (best effort), remove the socket; cb
 * is told of each watcher that was still there. */
void	box_watch_close(struct box_watch *w, const char *end,
	    void (*cb)(void *, int, const char *), void *arg);

/* A watcher's side: connect to session's socket in dir (as root or the
 * box account).  The connected descriptor, or -1. */
int	box_watch_connect(const char *dir, int64_t session,
	    struct box_error *err);

/*
 * A watcher's reader of frames from the session (hostile: the box account
 * speaks here).  Feed bytes with box_watch_feed, take frames with
 * box_watch_next: 1 (type, payload, len set; payload valid until the next
 * feed), 0 for more bytes, -1 on a malformed stream.
 */
struct box_watch_reader {
	uint8_t	 buf[5 + BOX_WATCH_FRAME_MAX];
	size_t	 len, off;
};
int	box_watch_feed(struct box_watch_reader *rd, int fd);	/* read(2) */
int	box_watch_next(struct box_watch_reader *rd, int *type,
	    const uint8_t **payload, size_t *len, struct box_error *err);

#endif
