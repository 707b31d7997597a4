/*
 * Fuzz target: the box-agent protocol.  Frames from the agent are the
 * guest's and hostile to box-shell; frames to the agent (session requests
 * above all) come from the host but are parsed inside the box.  The first
 * byte picks the reader; the rest is a stream of frames.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "fuzz.h"

FUZZ_ENTRY(agent)
{
	static struct box_agent_open o;
	static uint8_t rebuilt[BOX_AGENT_FRAME_MAX];
	struct box_agent_frame f;
	struct box_agent_exit ex;
	struct box_error err;
	const uint8_t *p;
	size_t left;
	unsigned v, rows, cols;
	uint32_t pid;
	char msg[BOX_AGENT_FAIL_MAX + 1];
	int to_host, sig;
	long n;

	if (size == 0)
		return 0;
	to_host = data[0] & 1;
	p = data + 1;
	left = size - 1;
	while ((n = box_agent_frame_parse(p, left, to_host, &f, &err)) > 0) {
		/* What was accepted lies inside what was given. */
		if ((size_t)n > left || f.payload + f.len > p + left)
			abort();
		switch (f.type) {
		case BOX_AGF_OPEN:
			if (box_agent_open_parse(f.payload, f.len, &o,
			    &err) == 0) {
				/* Accepted requests build again, the same. */
				long m = box_agent_open_build(&o, rebuilt,
				    sizeof(rebuilt), &err);

				if (m < 0 || (o.command != NULL &&
				    memchr(o.command, '\0', o.ncommand)))
					abort();
			}
			break;
		case BOX_AGF_HELLO:
			box_agent_parse_hello(&f, &v, &pid, &err);
			break;
		case BOX_AGF_EXIT:
			if (box_agent_parse_exit(&f, &ex, &err) == 0 &&
			    (ex.value < 0 || ex.value > 255))
				abort();
			break;
		case BOX_AGF_RESIZE:
			if (box_agent_parse_resize(&f, &rows, &cols,
			    &err) == 0 && (rows == 0 || cols == 0))
				abort();
			break;
		case BOX_AGF_SIGNAL:
			if (box_agent_parse_signal(&f, &sig, &err) == 0 &&
			    !box_agent_signal_ok(sig))
				abort();
			break;
		case BOX_AGF_FAIL:
			box_agent_parse_fail(&f, msg, sizeof(msg));
			for (v = 0; msg[v] != '\0'; v++)
				if ((unsigned char)msg[v] < 0x20 ||
				    (unsigned char)msg[v] >= 0x7f)
					abort();
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}
