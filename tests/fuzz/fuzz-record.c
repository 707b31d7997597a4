/*
 * What a guest prints is recorded (record.c) and read back (cast.c):
 * whatever the bytes and however they are split across writes, every
 * recording box-shell writes must be one the reader takes whole, complete,
 * with the guest's valid UTF-8 back as it was sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "core/util.h"
#include "session/cast.h"
#include "session/record.h"

FUZZ_ENTRY(record)
{
	static char dir[] = "/tmp/fuzz-record.XXXXXX";
	static int made;
	struct box_record *r;
	struct box_cast_header h;
	struct box_cast_event ev;
	struct box_cast *c;
	struct box_error err;
	char name[64], path[256], *buf = NULL;
	size_t off = 0, take, len = 0;
	int rc;

	if (!made && mkdtemp(dir) == NULL)
		return 0;
	made = 1;
	if (box_record_open(&r, dir, 1, 0, 80, 24, "xterm", "fuzz", name,
	    sizeof(name), &err) < 0)
		__builtin_trap();
	/* The first byte of each piece says how long it is. */
	while (off < size) {
		take = 1 + data[off] % 64;
		if (take > size - off)
			take = size - off;
		if (data[off] & 0x80)
			box_record_input(r, data + off, take);
		else
			box_record_output(r, data + off, take);
		off += take;
	}
	if (box_record_close(r, 0, "exited") != 1)
		__builtin_trap();
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (box_read_file(path, 64 * 1024 * 1024, &buf, &len, &err) < 0)
		__builtin_trap();
	unlink(path);
	if (box_cast_open(&c, buf, len, &h, &err) < 0)
		__builtin_trap();
	while ((rc = box_cast_next(c, &ev, &err)) == 1)
		;
	if (rc < 0 || !box_cast_complete(c))
		__builtin_trap();
	box_cast_free(c);
	free(buf);
	return 0;
}
