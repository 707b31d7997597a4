/* Fuzz target: every Docker API reply the docker driver reads. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "runtime/runtime.h"
#include "core/util.h"

static void
fuzz_replies(int which, const char *json, size_t size)
{
	struct box_runtime_obj *objs, obj;
	struct box_error err;
	char ref[BOX_REF_MAX], msg[256];
	size_t i, n;

	switch (which) {
	case 0:
		if (box_docker_parse_list(json, size, &objs, &n, &err) == 0) {
			for (i = 0; i < n; i++)
				if (strlen(objs[i].box_id) != BOX_ID_LEN ||
				    objs[i].ref[0] == '\0' ||
				    objs[i].deadline < 0)
					abort();
			free(objs);
		}
		break;
	case 1:
		box_docker_parse_id(json, size, ref, sizeof(ref), &err);
		break;
	default:
		if (box_docker_parse_inspect(json, size, &obj, &err) == 0 &&
		    (obj.ref[0] == '\0' || (obj.box_id[0] != '\0' &&
		    strlen(obj.box_id) != BOX_ID_LEN) || obj.deadline < 0 ||
		    (obj.instance[0] != '\0' &&
		    !box_valid_name(obj.instance, 32))))
			abort();
		box_docker_parse_message(json, size, msg, sizeof(msg));
		for (i = 0; msg[i] != '\0'; i++)
			if ((unsigned char)msg[i] < 0x20 ||
			    (unsigned char)msg[i] >= 0x7f)
				abort();
		break;
	}
}

FUZZ_ENTRY(docker)
{
	char *copy;

	if (size == 0)
		return 0;
	/* An exact-size copy so that overreads are caught. */
	if ((copy = malloc(size - 1 == 0 ? 1 : size - 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	fuzz_replies(data[0] % 3, copy, size - 1);
	free(copy);
	return 0;
}
