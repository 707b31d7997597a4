/*
 * Fuzz target: the microVM link (agent/mux.h) and QEMU's monitor.  Link
 * frames from the guest are hostile to the host's end; QMP lines come
 * from QEMU, which a guest that escaped its kernel would hold.  The first
 * byte picks: even, a stream of link frames (bit 1: from the guest); odd,
 * QMP lines.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/mux.h"
#include "fuzz.h"
#include "runtime/microvm.h"

FUZZ_ENTRY(mux)
{
	struct box_mux_frame f;
	struct box_error err;
	const uint8_t *p;
	size_t left;
	long n;

	if (size == 0)
		return 0;
	p = data + 1;
	left = size - 1;
	if ((data[0] & 1) == 0) {
		int from_guest = (data[0] >> 1) & 1;

		while ((n = box_mux_parse(p, left, from_guest, &f, &err)) > 0) {
			/* What was accepted lies inside what was given, and
			 * keeps the limits. */
			if ((size_t)n > left || f.payload + f.len > p + left ||
			    f.len > BOX_MUX_DATA_MAX ||
			    (from_guest && f.type == BOX_MUX_T_OPEN) ||
			    (f.type != BOX_MUX_T_HELLO && f.chan == 0))
				abort();
			p += n;
			left -= (size_t)n;
		}
		return 0;
	}
	while (left > 0) {
		const uint8_t *nl = memchr(p, '\n', left);
		size_t len = nl != NULL ? (size_t)(nl - p) : left;
		json_object *ret = NULL;
		char msg[64];
		int isret;

		if (box_vm_parse_qmp((const char *)p, len, &isret, &ret, msg,
		    sizeof(msg), &err) == 0) {
			size_t i;

			if (isret != 1 && ret != NULL)
				abort();
			for (i = 0; msg[i] != '\0'; i++)
				if ((unsigned char)msg[i] < 0x20 ||
				    (unsigned char)msg[i] >= 0x7f)
					abort();
		} else if (ret != NULL) {
			abort();
		}
		json_object_put(ret);
		if (nl == NULL)
			break;
		p = nl + 1;
		left -= len + 1;
	}
	return 0;
}
