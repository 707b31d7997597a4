/*
 * Replays every seed in tests/fuzz/corpus/<target>/ through its fuzz
 * target, so that make check (and the sanitizer build) exercises the
 * parsers on the hostile inputs the fuzzers keep.  Prints TAP.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/tap.h"
#include "fuzz.h"
#include "core/util.h"

int fuzz_token(const uint8_t *, size_t);
int fuzz_sshkey(const uint8_t *, size_t);
int fuzz_config(const uint8_t *, size_t);
int fuzz_docker(const uint8_t *, size_t);
int fuzz_command(const uint8_t *, size_t);
int fuzz_helper(const uint8_t *, size_t);
int fuzz_agent(const uint8_t *, size_t);
int fuzz_http(const uint8_t *, size_t);
int fuzz_termfilter(const uint8_t *, size_t);
int fuzz_watch(const uint8_t *, size_t);
int fuzz_log(const uint8_t *, size_t);
int fuzz_cast(const uint8_t *, size_t);
int fuzz_record(const uint8_t *, size_t);
int fuzz_oci(const uint8_t *, size_t);
int fuzz_mux(const uint8_t *, size_t);

static const struct {
	const char *name;
	int (*fn)(const uint8_t *, size_t);
} targets[] = {
	{ "token", fuzz_token },
	{ "sshkey", fuzz_sshkey },
	{ "config", fuzz_config },
	{ "docker", fuzz_docker },
	{ "command", fuzz_command },
	{ "helper", fuzz_helper },
	{ "agent", fuzz_agent },
	{ "http", fuzz_http },
	{ "termfilter", fuzz_termfilter },
	{ "watch", fuzz_watch },
	{ "log", fuzz_log },
	{ "cast", fuzz_cast },
	{ "record", fuzz_record },
	{ "oci", fuzz_oci },
	{ "mux", fuzz_mux },
};

int
main(void)
{
	char dir[4096], path[4096 + 256];
	struct box_error err;
	struct dirent *de;
	size_t i, len;
	char *buf;
	DIR *d;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		int n = 0;

		snprintf(dir, sizeof(dir), "%s/%s", FUZZ_CORPUS_DIR,
		    targets[i].name);
		if ((d = opendir(dir)) == NULL) {
			ok(0, targets[i].name);
			diag("no seed corpus at %s", dir);
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (box_read_file(path, 1 << 20, &buf, &len, &err) < 0) {
				diag("%s", err.msg);
				continue;
			}
			targets[i].fn((const uint8_t *)buf, len);
			free(buf);
			n++;
		}
		closedir(d);
		printf("# %s: %d seeds\n", targets[i].name, n);
		ok(n > 0, targets[i].name);
	}
	return tap_done();
}
