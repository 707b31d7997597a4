/* Fuzz target: everything read from the Docker daemon (streams, replies). */
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "fuzz.h"
#include "runtime.h"
#include "util.h"

static int
count_cb(void *arg, int stream, const uint8_t *data, size_t len)
{
	size_t *total = arg;

	if (stream < 0 || stream > 2 || len == 0)
		abort();
	*total += len;
	return 0;
}

static void
fuzz_feed(const uint8_t *data, size_t size)
{
	struct box_dstream ds;
	struct box_error err;
	size_t cut, total = 0;

	if (size == 0)
		return;
	cut = data[0] % size;
	box_dstream_init(&ds);
	if (box_dstream_feed(&ds, data + 1, cut, count_cb, &total,
	    &err) == 0)
		box_dstream_feed(&ds, data + 1 + cut, size - 1 - cut,
		    count_cb, &total, &err);
	if (total > size)
		abort();
	(void)box_dstream_partial(&ds);
}

static void
fuzz_head(const uint8_t *data, size_t size)
{
	struct box_error err;
	int status = 0;
	long n;

	n = box_http_parse_head((const char *)data, size, &status, &err);
	if (n > 0) {
		if ((size_t)n > size || n > 16 * 1024 || status < 100 ||
		    status > 599)
			abort();
		if (box_http_parse_head((const char *)data, (size_t)n - 1,
		    &status, &err) != 0)
			abort();
	}
}

static void
fuzz_replies(int which, const char *json, size_t size)
{
	struct box_runtime_obj *objs, obj;
	struct box_error err;
	char ref[BOX_REF_MAX], msg[256];
	int running, status;
	size_t i, n;

	switch (which) {
	case 2:
		if (box_docker_parse_list(json, size, &objs, &n, &err) == 0) {
			for (i = 0; i < n; i++)
				if (strlen(objs[i].box_id) != BOX_ID_LEN ||
				    objs[i].ref[0] == '\0' ||
				    objs[i].deadline < 0)
					abort();
			free(objs);
		}
		break;
	case 3:
		if (box_docker_parse_exec_inspect(json, size, &running,
		    &status, &err) == 0 && (status < -1 || status > 255))
			abort();
		break;
	case 4:
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

FUZZ_ENTRY(dstream)
{
	char *copy;

	if (size == 0)
		return 0;
	switch (data[0] % 6) {
	case 0:
		fuzz_feed(data + 1, size - 1);
		break;
	case 1:
		fuzz_head(data + 1, size - 1);
		break;
	default:
		/* An exact-size copy so that overreads are caught. */
		if ((copy = malloc(size - 1 == 0 ? 1 : size - 1)) == NULL)
			return 0;
		memcpy(copy, data + 1, size - 1);
		fuzz_replies(data[0] % 6, copy, size - 1);
		free(copy);
		break;
	}
	return 0;
}
