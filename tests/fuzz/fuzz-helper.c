/*
 * Fuzz target: the box-runtime protocol.  Requests come from the box
 * account (box-runtime must refuse anything outside the grammar); replies
 * and list lines are read by box-shell and box-reaper.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "runtime/helper.h"
#include "core/util.h"

static void
fuzz_req(const char *s, size_t len)
{
	struct box_helper_req req, again;
	struct box_error err;
	char line[BOX_HELPER_LINE_MAX];
	int n;

	if (box_helper_parse_req(s, len, &req, &err) < 0)
		return;
	/* What was accepted is well formed, and says the same again. */
	if (req.op == BOX_HOP_CREATE ? strlen(req.ref) != BOX_ID_LEN :
	    req.op == BOX_HOP_INSPECT && !box_helper_valid_ref(req.ref))
		abort();
	if ((req.op == BOX_HOP_DESTROY || req.op == BOX_HOP_AGENT) &&
	    (strlen(req.box_id) != BOX_ID_LEN ||
	    (req.ref[0] != '\0' && !box_helper_valid_ref(req.ref))))
		abort();
	if ((n = box_helper_format_req(&req, line, sizeof(line), &err)) < 0)
		abort();
	if (box_helper_parse_req(line, (size_t)n - 1, &again, &err) < 0 ||
	    memcmp(&req, &again, sizeof(req)) != 0)
		abort();
}

FUZZ_ENTRY(helper)
{
	struct box_runtime_obj obj;
	struct box_error err;
	char *copy, *args;
	size_t i;

	if (size == 0)
		return 0;
	/* An exact-size copy (plus the NUL the reply parser may write). */
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		fuzz_req(copy, size - 1);
		break;
	case 1:
		if (box_helper_parse_reply(copy, size - 1, &args, &err) == 0) {
			if (args < copy || args > copy + size - 1)
				abort();
		} else {
			for (i = 0; err.msg[i] != '\0'; i++)
				if ((unsigned char)err.msg[i] < 0x20)
					abort();
		}
		break;
	default:
		if (box_helper_parse_obj(copy, size - 1, &obj, &err) == 0 &&
		    (strlen(obj.box_id) != BOX_ID_LEN || obj.deadline < 0 ||
		    !box_helper_valid_ref(obj.ref)))
			abort();
		break;
	}
	free(copy);
	return 0;
}
