/*
 * Fuzz target: HTTP replies from the Docker daemon as box-runtime reads
 * them (lib/runtime/http.c).  The first byte says whether the stream has
 * ended and how far the reply has come in (a prefix is parsed first, as a
 * read that stopped short would be); the rest is the reply.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/http.h"
#include "fuzz.h"

FUZZ_ENTRY(http)
{
	char *buf, *body;
	size_t len, blen, cut;
	long code;
	int too_big, r;
	struct box_error err;

	if (size == 0)
		return 0;
	len = size - 1;
	if ((buf = malloc(len + 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, len);
	/* A prefix, not at its end: never a whole reply that is not one. */
	cut = len > 0 ? (size_t)data[0] % (len + 1) : 0;
	r = box_http_parse(buf, cut, 0, 1024, &code, &body, &blen, &too_big,
	    &err);
	if (r == 1 && (body < buf || body + blen > buf + cut || code < 200 ||
	    code > 599))
		abort();
	memcpy(buf, data + 1, len);
	r = box_http_parse(buf, len, data[0] & 1, 1024, &code, &body, &blen,
	    &too_big, &err);
	if (r == 1 && (body < buf || body + blen > buf + len || blen > 1024 ||
	    code < 200 || code > 599))
		abort();
	if ((data[0] & 1) && r == 0)	/* at the end, never "need more" */
		abort();
	free(buf);
	return 0;
}
