/*
 * The frames a watcher reads from a session (watch.h): the box account's
 * box-shell speaks there, so every length is hostile.  Frames are taken
 * until the stream is refused or runs out, fed in pieces of every size.
 */
#include <string.h>

#include "fuzz.h"
#include "session/watch.h"

FUZZ_ENTRY(watch)
{
	static struct box_watch_reader rd;
	struct box_error err;
	const uint8_t *pl;
	size_t len, off = 0, take;
	int type, r;

	memset(&rd, 0, sizeof(rd));
	while (off < size) {
		/* Room as box_watch_feed makes it, then a piece. */
		if (rd.off > 0) {
			memmove(rd.buf, rd.buf + rd.off, rd.len - rd.off);
			rd.len -= rd.off;
			rd.off = 0;
		}
		take = size - off;
		if (take > sizeof(rd.buf) - rd.len)
			take = sizeof(rd.buf) - rd.len;
		if (take > 1 + (size_t)data[off] * 7)
			take = 1 + (size_t)data[off] * 7;
		memcpy(rd.buf + rd.len, data + off, take);
		rd.len += take;
		off += take;
		while ((r = box_watch_next(&rd, &type, &pl, &len, &err)) == 1)
			if (pl + len > rd.buf + rd.len ||
			    (type != BOX_WF_OUTPUT && len > 256) ||
			    len > BOX_WATCH_FRAME_MAX)
				__builtin_trap();
		if (r < 0)
			return 0;
		if (rd.len == sizeof(rd.buf) && rd.off == 0)
			__builtin_trap();	/* a full buffer holds a frame */
	}
	return 0;
}
