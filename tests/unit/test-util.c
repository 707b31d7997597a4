/* Unit tests for lib/core/util.c: numbers, durations, sizes, base64, files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "core/json.h"
#include "core/util.h"

static void
test_int(void)
{
	struct box_error err;
	long long v = -1;

	ok(box_parse_int("42", 0, 100, &v, &err) == 0 && v == 42, "int 42");
	ok(box_parse_int("", 0, 100, &v, &err) < 0, "int empty refused");
	ok(box_parse_int("101", 0, 100, &v, &err) < 0, "int over max");
	ok(box_parse_int("-1", 0, 100, &v, &err) < 0, "int negative refused");
	ok(box_parse_int("-5", -10, 10, &v, &err) == 0 && v == -5,
	    "int negative allowed when min < 0");
	ok(box_parse_int("12x", 0, 100, &v, &err) < 0, "int trailing junk");
	ok(box_parse_int(" 1", 0, 100, &v, &err) < 0, "int leading space");
	ok(box_parse_int("99999999999999999999999", 0, 100, &v, &err) < 0,
	    "int overflow");
}

static void
test_duration(void)
{
	struct box_error err;
	int64_t d = 0;
	char buf[32];

	ok(box_parse_duration("90s", &d, &err) == 0 && d == 90, "90s");
	ok(box_parse_duration("30m", &d, &err) == 0 && d == 1800, "30m");
	ok(box_parse_duration("2h", &d, &err) == 0 && d == 7200, "2h");
	ok(box_parse_duration("1h30m", &d, &err) == 0 && d == 5400, "1h30m");
	ok(box_parse_duration("7d", &d, &err) == 0 && d == 604800, "7d");
	ok(box_parse_duration("45", &d, &err) < 0 &&
	    strstr(err.msg, "needs a unit: 45s, 45m, 45h or 45d") != NULL,
	    "a bare number refused: it needs a unit");
	ok(box_utf8_text("caf\xc3\xa9 \xe2\x82\xac ok") && box_utf8_text(""),
	    "UTF-8 text accepted");
	ok(!box_utf8_text("a\xff") && !box_utf8_text("\xc0\xaf") &&
	    !box_utf8_text("\xed\xa0\x80") && !box_utf8_text("\xe2\x82"),
	    "  bytes that are not UTF-8 refused");
	ok(!box_utf8_text("a\x1b[2J") && !box_utf8_text("a\x7f") &&
	    !box_utf8_text("\xc2\x9b" "31m"), "  control characters refused, "
	    "C1 included");
	ok(box_parse_duration("0", &d, &err) == 0 && d == 0,
	    "but 0 is 0 whatever the unit");
	ok(box_parse_duration("", &d, &err) < 0, "empty duration refused");
	ok(box_parse_duration("m", &d, &err) < 0, "unit alone refused");
	ok(box_parse_duration("5x", &d, &err) < 0, "unknown unit refused");
	ok(box_parse_duration("1h5", &d, &err) < 0, "trailing bare number");
	ok(box_parse_duration("-5m", &d, &err) < 0, "negative refused");
	ok(box_parse_duration("367d", &d, &err) < 0, "over a year refused");
	ok(box_parse_duration("99999999999999999999s", &d, &err) < 0,
	    "overflow refused");
	ok(strstr(err.msg, "too long") != NULL, "overflow says too long");
	is_str(box_format_duration(5400, buf, sizeof(buf)), "1h30m",
	    "format 1h30m");
	is_str(box_format_duration(0, buf, sizeof(buf)), "0s", "format 0s");
	is_str(box_format_duration(86461, buf, sizeof(buf)), "1d1m1s",
	    "format 1d1m1s");
}

static void
test_size(void)
{
	struct box_error err;
	int64_t s = 0;

	ok(box_parse_size("512m", &s, &err) == 0 && s == 512LL << 20, "512m");
	ok(box_parse_size("1G", &s, &err) == 0 && s == 1LL << 30, "1G");
	ok(box_parse_size("64MiB", &s, &err) == 0 && s == 64LL << 20, "64MiB");
	ok(box_parse_size("4096", &s, &err) == 0 && s == 4096, "bytes");
	ok(box_parse_size("1t", &s, &err) < 0, "unknown suffix refused");
	ok(box_parse_size("m", &s, &err) < 0, "no digits refused");
	ok(box_parse_size("12mx", &s, &err) < 0, "junk refused");
}

static void
test_b64(void)
{
	uint8_t out[64];
	char enc[64];
	long n;

	n = box_b64_encode((const uint8_t *)"foob", 4, enc, sizeof(enc), 0, 1);
	is_str(enc, "Zm9vYg==", "std encode padded");
	is_int(n, 8, "std encode length");
	box_b64_encode((const uint8_t *)"foob", 4, enc, sizeof(enc), 1, 0);
	is_str(enc, "Zm9vYg", "url encode unpadded");
	ok(box_b64_encode((const uint8_t *)"foob", 4, enc, 8, 0, 1) < 0,
	    "encode refuses a small buffer");
	n = box_b64_decode("Zm9vYg==", 8, out, sizeof(out), 0);
	ok(n == 4 && memcmp(out, "foob", 4) == 0, "std decode");
	n = box_b64_decode("Zm9vYg", 6, out, sizeof(out), 1);
	ok(n == 4 && memcmp(out, "foob", 4) == 0, "url decode");
	ok(box_b64_decode("Zm9vYg", 6, out, sizeof(out), 0) < 0,
	    "std decode needs padding");
	ok(box_b64_decode("Zm9vYh==", 8, out, sizeof(out), 0) < 0,
	    "non-canonical trailing bits refused");
	ok(box_b64_decode("Zm9v Yg=", 8, out, sizeof(out), 0) < 0,
	    "space refused");
	ok(box_b64_decode("Zm+v", 4, out, sizeof(out), 1) < 0,
	    "std alphabet refused in url mode");
	ok(box_b64_decode("Zm9vYmFy", 8, out, 3, 0) < 0,
	    "decode refuses a small buffer");
	ok(box_b64_decode("Z", 1, out, sizeof(out), 1) < 0,
	    "one char refused");
}

static void
test_file(void)
{
	char dir[] = "/tmp/test-util.XXXXXX", path[64], link[64], *buf;
	struct box_error err;
	size_t len;
	int fd;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ok(fd >= 0 && write(fd, "hello", 5) == 5, "write file");
	close(fd);
	ok(box_read_file(path, 100, &buf, &len, &err) == 0 && len == 5 &&
	    strcmp(buf, "hello") == 0, "read file");
	free(buf);
	ok(box_read_file(path, 4, &buf, &len, &err) < 0, "too large refused");
	ok(symlink(path, link) == 0, "make symlink");
	ok(box_read_file(link, 100, &buf, &len, &err) < 0,
	    "symlink refused (O_NOFOLLOW)");
	ok(box_read_file(dir, 100, &buf, &len, &err) < 0,
	    "directory refused");
	unlink(link);
	unlink(path);
	ok(box_read_file(path, 100, &buf, &len, &err) < 0 &&
	    err.kind == BOX_E_NOTFOUND, "missing file is NOTFOUND");
	rmdir(dir);
}

static void
test_misc(void)
{
	char hex[33], a[64], small[4];
	struct box_error err;

	ok(box_random_hex(hex, 16, &err) == 0 && strlen(hex) == 32 &&
	    strspn(hex, "0123456789abcdef") == 32, "random hex");
	ok(box_valid_name("dev", 32) && box_valid_name("secure-shell", 32),
	    "valid names");
	ok(!box_valid_name("../x", 32) && !box_valid_name(".x", 32) &&
	    !box_valid_name("", 32) && !box_valid_name("a b", 32) &&
	    !box_valid_name("-x", 32), "invalid names");
	ok(!box_valid_name("abcdef", 5), "name too long");
	is_str(box_format_time(0, a, sizeof(a)), "1970-01-01T00:00:00Z",
	    "format time");
	ok(box_strlcpy(small, "abcdef", sizeof(small)) < 0 &&
	    strcmp(small, "abc") == 0, "strlcpy truncates and says so");
}

static mode_t
umask_now(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

/* The directory walk root uses near directories another account owns. */
static void
test_open_dir(void)
{
	char dir[] = "/tmp/test-util-dir.XXXXXX", path[256], target[256];
	struct box_error err;
	struct stat st;
	int fd;

	if (!ok(mkdtemp(dir) != NULL, "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	fd = box_open_dir_nofollow(path, 1, 0750, &err);
	ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 07777) == (0750 & ~umask_now()),
	    "missing steps are made, the last with its mode");
	if (fd >= 0)
		close(fd);
	fd = box_open_dir_nofollow(path, 0, 0, &err);
	ok(fd >= 0, "an existing directory opens");
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/none", dir);
	ok(box_open_dir_nofollow(path, 0, 0, &err) < 0 &&
	    err.kind == BOX_E_NOTFOUND, "a missing one, without create: "
	    "NOTFOUND");
	/* A link planted as the last step, or as a step above it. */
	snprintf(target, sizeof(target), "%s/a", dir);
	snprintf(path, sizeof(path), "%s/link", dir);
	ok(symlink(target, path) == 0, "plant a link");
	ok(box_open_dir_nofollow(path, 1, 0750, &err) < 0 &&
	    strstr(err.msg, "is not a directory (or is a link)") != NULL,
	    "a link as the last step is refused");
	snprintf(path, sizeof(path), "%s/link/b", dir);
	ok(box_open_dir_nofollow(path, 1, 0750, &err) < 0,
	    "a link as a step above is refused");
	snprintf(path, sizeof(path), "%s/link/new", dir);
	box_open_dir_nofollow(path, 1, 0750, &err);
	snprintf(path, sizeof(path), "%s/a/new", dir);
	ok(lstat(path, &st) < 0 && errno == ENOENT,
	    "and nothing was made through it");
	snprintf(path, sizeof(path), "%s/a/../a", dir);
	ok(box_open_dir_nofollow(path, 0, 0, &err) < 0 &&
	    strstr(err.msg, "not a plain path") != NULL, "\"..\" is refused");
	ok(box_open_dir_nofollow("relative/dir", 0, 0, &err) < 0,
	    "a relative path is refused");
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
}

int
main(void)
{
	test_open_dir();
	test_int();
	test_duration();
	test_size();
	test_b64();
	test_file();
	test_misc();
	return tap_done();
}
