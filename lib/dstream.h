/*
 * Parsers for what the Docker daemon sends on a hijacked exec connection:
 * the HTTP response head before the raw stream, and the multiplexed
 * stdout/stderr framing used when the exec has no TTY (8-byte header:
 * stream type 0/1/2, three zero bytes, big-endian payload length).
 */
#ifndef BOX_DSTREAM_H
#define BOX_DSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define BOX_DSTREAM_STDIN	0
#define BOX_DSTREAM_STDOUT	1
#define BOX_DSTREAM_STDERR	2

struct box_dstream {
	uint8_t	 hdr[8];
	size_t	 hdrlen;	/* header bytes collected so far */
	uint32_t remaining;	/* payload bytes left in the current frame */
	int	 stream;	/* stream of the current frame */
};

/* Called for each piece of payload; return 0 to go on, -1 to stop. */
typedef int (*box_dstream_cb)(void *arg, int stream, const uint8_t *data,
    size_t len);

/* Reset the parser to the start of a frame. */
void	box_dstream_init(struct box_dstream *ds);

/*
 * Feed len bytes.  Frames may be split anywhere across calls.  Returns 0,
 * or -1 when a header is malformed (unknown stream type, non-zero reserved
 * bytes, frame over 16 MiB) or cb returned -1.
 */
int	box_dstream_feed(struct box_dstream *ds, const uint8_t *buf,
	    size_t len, box_dstream_cb cb, void *arg, struct box_error *err);

/* 1 if the parser stopped in the middle of a frame (truncated stream). */
int	box_dstream_partial(const struct box_dstream *ds);

/*
 * Parse an HTTP/1.x response head at the start of buf (len bytes, no NUL
 * needed).  Returns the length of the head including the final CRLFCRLF
 * and sets *status; returns 0 if the head is not complete yet; returns -1
 * if it is malformed or longer than 16 KiB.
 */
long	box_http_parse_head(const char *buf, size_t len, int *status,
	    struct box_error *err);

#endif
