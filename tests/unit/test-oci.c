/*
 * Unit tests for the OCI driver's parsers (runtime/oci.h): image
 * references, "RUNTIME state" replies, runtime log lines, a bundle's
 * labels and an image's user database.  Every input a parser reads is
 * copied to end where an unreadable page begins, so that a read past its
 * length crashes the test instead of passing unseen.
 */
#include <sys/mman.h>
#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/oci.h"
#include "tap.h"

#define CONF_MAX	(256 * 1024)	/* oci.c's OCI_CONF_MAX */
#define GUARD_MAX	(512 * 1024)	/* the largest guarded input */

static char *guard_base[2];

static void
guard_init(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int i;

	for (i = 0; i < 2; i++) {
		guard_base[i] = mmap(NULL, GUARD_MAX + (size_t)pg,
		    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (guard_base[i] == MAP_FAILED ||
		    mprotect(guard_base[i] + GUARD_MAX, (size_t)pg,
		    PROT_NONE) < 0) {
			printf("Bail out! cannot map a guard page\n");
			exit(1);
		}
	}
}

/* s[0..n) in slot (0 or 1), its last byte just before the guard page. */
static const char *
guarded_in(int slot, const char *s, size_t n)
{
	char *p;

	if (n > GUARD_MAX) {
		printf("Bail out! guarded input too long\n");
		exit(1);
	}
	p = guard_base[slot] + GUARD_MAX - n;
	memcpy(p, s, n);
	return p;
}

static const char *
guarded(const char *s, size_t n)
{
	return guarded_in(0, s, n);
}

/* s for a test's name: control and non-ASCII bytes as \xHH, cut. */
static const char *
vis(const char *s)
{
	static char buf[120];
	size_t o = 0;

	for (; *s != '\0' && o + 5 < sizeof(buf); s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* ------------------------------------------------------- image refs */

static int
image_dir(const char *ref, char *out, size_t outsz, struct box_error *err)
{
	/* A NUL-terminated string: the guard is just past its NUL. */
	return box_oci_image_dir(ref != NULL ? guarded(ref, strlen(ref) + 1) :
	    NULL, out, outsz, err);
}

static void
test_image_dir(void)
{
	static const struct {
		const char *ref, *dir;
	} good[] = {
		{ "sshbox/busybox:latest", "sshbox/busybox/latest" },
		{ "busybox", "busybox/latest" },
		{ "ubuntu:22.04", "ubuntu/22.04" },
		{ "a/b/c:v1.2_3-x", "a/b/c/v1.2_3-x" },
		{ "0x/9a.b_c-d", "0x/9a.b_c-d/latest" },
		{ "x:_t", "x/_t" },
		{ "x:V1", "x/V1" },
		{ "a..b:t..u", "a..b/t..u" },
	};
	static const char *const bad[] = {
		"", "Busybox", "busyBox", "sshbox/Busybox:latest", "..",
		"a/..", "../a", "a/../b", "a/.", ".a", "-a", "a/-b", "_a",
		"x:-t", "x:.t", "x:..", "x:", ":tag", ":", "a/", "a/:t", "a//b",
		"/a", "/", "host:5000/x", "host:5000/x:tag",
		"localhost:5000/a/b", "a:t/b", "a:b:c", "a@sha256:abcd",
		"a b", "a\tb", "a\nb", "x:t\n", "x:t g", "caf\xc3\xa9",
		"x:t\xc3\xa9", "a\\b", "a:t:",
	};
	char out[512], ref[512], exp[512], name[128];
	struct box_error err;
	size_t i;
	int kinds = 0;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(name, sizeof(name), "image \"%s\" accepted",
		    vis(good[i].ref));
		out[0] = '\0';
		is_int(image_dir(good[i].ref, out, sizeof(out), &err), 0, name);
		snprintf(name, sizeof(name), "image \"%s\" is %s", good[i].ref,
		    good[i].dir);
		is_str(out, good[i].dir, name);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "image \"%s\" rejected",
		    vis(bad[i]));
		err.kind = BOX_E_NONE;
		is_int(image_dir(bad[i], out, sizeof(out), &err), -1, name);
		if (err.kind != BOX_E_CONFIG)
			kinds++;
	}
	is_int(kinds, 0, "every rejected image is a configuration error");
	is_int(image_dir(NULL, out, sizeof(out), &err), -1,
	    "no image rejected");

	/* 200 bytes at most, a component or a tag 128. */
	memset(ref, 'a', 128);
	ref[128] = '/';
	memset(ref + 129, 'b', 66);
	memcpy(ref + 195, ":tttt", 6);
	is_int(image_dir(ref, out, sizeof(out), &err), 0,
	    "a 200-byte reference accepted");
	memcpy(exp, ref, 195);
	memcpy(exp + 195, "/tttt", 6);
	is_str(out, exp, "a 200-byte reference's directory");
	memmove(ref + 130, ref + 129, 72);
	is_int(image_dir(ref, out, sizeof(out), &err), -1,
	    "a 201-byte reference rejected");
	memset(ref, 'a', 128);
	ref[128] = '\0';
	is_int(image_dir(ref, out, sizeof(out), &err), 0,
	    "a 128-byte component accepted");
	ref[128] = 'a';
	ref[129] = '\0';
	is_int(image_dir(ref, out, sizeof(out), &err), -1,
	    "a 129-byte component rejected");
	memcpy(ref, "a:", 2);
	memset(ref + 2, 't', 128);
	ref[130] = '\0';
	is_int(image_dir(ref, out, sizeof(out), &err), 0,
	    "a 128-byte tag accepted");
	ref[130] = 't';
	ref[131] = '\0';
	is_int(image_dir(ref, out, sizeof(out), &err), -1,
	    "a 129-byte tag rejected");

	/* The output's size. */
	is_int(image_dir("busybox", out, 15, &err), 0,
	    "busybox/latest fits in 15 bytes");
	is_str(out, "busybox/latest", "busybox/latest in 15 bytes");
	memset(out, 'Z', sizeof(out));
	is_int(image_dir("busybox", out, 14, &err), -1,
	    "busybox/latest does not fit in 14 bytes");
	is_int(err.kind, BOX_E_CONFIG, "too small an output: config error");
	ok(out[14] == 'Z', "nothing written past the output's size");
	is_int(image_dir("busybox", out, 1, &err), -1,
	    "an output of 1 byte rejected");
}

/* ------------------------------------------------------------- state */

static int
state(const char *json, size_t len, int *running, int *paused, long *pid,
    struct box_error *err)
{
	*running = *paused = 7;
	*pid = 7;
	return box_oci_parse_state(json != NULL ? guarded(json, len) : NULL,
	    len, running, paused, pid, err);
}

static const char runc_state[] = "{\n"
    "  \"ociVersion\": \"1.0.2-dev\",\n"
    "  \"id\": \"0123456789abcdef\",\n"
    "  \"pid\": 12345,\n"
    "  \"status\": \"running\",\n"
    "  \"bundle\": \"/var/lib/sshbox-runtime/.oci/main/0123456789abcdef\",\n"
    "  \"rootfs\": \"/var/lib/sshbox-runtime/.oci/main/0123456789abcdef/"
    "rootfs\",\n"
    "  \"created\": \"2024-05-01T10:00:00.123456789Z\",\n"
    "  \"annotations\": {\"io.sshbox.box\": \"0123456789abcdef\"},\n"
    "  \"owner\": \"\"\n"
    "}\n";

static void
test_state(void)
{
	static const struct {
		const char *json;
		int running, paused;
		long pid;
	} good[] = {
		{ "{\"status\":\"paused\",\"pid\":77}", 1, 1, 77 },
		{ "{\"pid\":77,\"status\":\"running\"}\r\n", 1, 0, 77 },
		{ "{\"status\":\"running\",\"pid\":1}", 1, 0, 1 },
		{ "{\"status\":\"running\",\"pid\":4194303}", 1, 0, 4194303 },
		{ "{\"status\":\"stopped\",\"pid\":0}", 0, 0, 0 },
		{ "{\"status\":\"stopped\",\"pid\":-1}", 0, 0, 0 },
		{ "{\"status\":\"stopped\"}", 0, 0, 0 },
		{ "{\"status\":\"created\",\"pid\":4321}", 0, 0, 0 },
		{ "{\"status\":\"creating\"}\n", 0, 0, 0 },
	};
	static const char *const bad[] = {
		/* a running box without its pid */
		"{\"status\":\"running\"}",
		"{\"status\":\"paused\"}",
		"{\"status\":\"running\",\"pid\":0}",
		"{\"status\":\"running\",\"pid\":-1}",
		"{\"status\":\"paused\",\"pid\":0}",
		/* pid out of range or of the wrong type */
		"{\"status\":\"stopped\",\"pid\":-2}",
		"{\"status\":\"running\",\"pid\":4194305}",
		"{\"status\":\"running\",\"pid\":2147483648}",
		"{\"status\":\"running\",\"pid\":9223372036854775807}",
		"{\"status\":\"running\",\"pid\":99999999999999999999}",
		"{\"status\":\"running\",\"pid\":-99999999999999999999}",
		"{\"status\":\"running\",\"pid\":1e3}",
		"{\"status\":\"running\",\"pid\":12.0}",
		"{\"status\":\"running\",\"pid\":\"1234\"}",
		"{\"status\":\"running\",\"pid\":null}",
		"{\"status\":\"running\",\"pid\":true}",
		"{\"status\":\"running\",\"pid\":[1234]}",
		"{\"status\":\"stopped\",\"pid\":\"x\"}",
		/* status absent, of the wrong type, unknown */
		"{\"pid\":1234}",
		"{}",
		"{\"status\":1,\"pid\":1234}",
		"{\"status\":null,\"pid\":1234}",
		"{\"status\":[\"running\"],\"pid\":1234}",
		"{\"status\":{},\"pid\":1234}",
		"{\"status\":\"Running\",\"pid\":1234}",
		"{\"status\":\"RUNNING\",\"pid\":1234}",
		"{\"status\":\"exited\",\"pid\":1234}",
		"{\"status\":\"\",\"pid\":1234}",
		"{\"status\":\"running \",\"pid\":1234}",
		"{\"status\":\"runningx\",\"pid\":1234}",
		"{\"status\":\"run\",\"pid\":1234}",
		"{\"status\":\"running\\u0000\",\"pid\":1234}",
		"{\"status\":\"stopped\\u0000x\"}",
		/* not one strict JSON object */
		"{\"status\":\"running\",\"pid\":1234}x",
		"{\"status\":\"running\",\"pid\":1234}{}",
		"{\"status\":\"running\",\"pid\":1234}\n{}",
		"{\"status\":\"running\",\"pid\":1234},",
		"{\"status\":\"running\",\"pid\":1234,}",
		"{'status':'running','pid':1234}",
		"{status:\"running\",pid:1234}",
		"{\"status\":\"running\",\"pid\":1234 /* c */}",
		"{\"status\":\"running\",\"pid\":01234}",
		"{\"status\":\"running\" \"pid\":1234}",
		"[{\"status\":\"running\",\"pid\":1234}]",
		"\"running\"",
		"null",
		"1234",
		"\n",
		"   ",
		"{",
		"}",
		"{\"status\":\"running\",\"pid\":1234",
		"{\"status\":\"running\",\"pid\":1234}}",
		"{\"status\":\"runn\xff\",\"pid\":1234}",
	};
	static const struct {
		const char *json;
		size_t len;
		const char *name;
	} nul[] = {
		{ "{\"status\":\"stopped\"}\0", 21, "NUL after the object" },
		{ "{\"status\":\"stopped\"}\n\0", 22, "NUL after the newline" },
		{ "\0{\"status\":\"stopped\"}", 21, "NUL before the object" },
		{ "{\"status\":\"run\0ning\",\"pid\":1}", 29,
		    "NUL inside a string" },
		{ "{\"status\":\"running\",\0\"pid\":1}", 29,
		    "NUL between members" },
		{ "{\"status\":\"stopped\"}\0"
		    "{\"status\":\"running\",\"pid\":1}",
		    50, "NUL then a second object" },
	};
	char *big, name[160];
	struct box_error err;
	int running, paused, rejected, kinds, cleared;
	long pid;
	size_t i, len, cut;

	is_int(state(runc_state, strlen(runc_state), &running, &paused, &pid,
	    &err), 0, "runc's state of a running box parsed");
	is_int(running, 1, "runc's state: running");
	is_int(paused, 0, "runc's state: not paused");
	is_int(pid, 12345, "runc's state: the pid");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = state(good[i].json, strlen(good[i].json), &running,
		    &paused, &pid, &err);

		snprintf(name, sizeof(name), "state %s: parsed, running %d, "
		    "paused %d, pid %ld", vis(good[i].json), good[i].running,
		    good[i].paused, good[i].pid);
		if (!ok(rc == 0 && running == good[i].running &&
		    paused == good[i].paused && pid == good[i].pid, name))
			diag("got %d, running %d paused %d pid %ld %s", rc,
			    running, paused, pid, rc != 0 ? err.msg : "");
	}

	kinds = cleared = 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "state %s rejected",
		    vis(bad[i]));
		err.kind = BOX_E_NONE;
		is_int(state(bad[i], strlen(bad[i]), &running, &paused, &pid,
		    &err), -1, name);
		if (err.kind != BOX_E_RUNTIME)
			kinds++;
		if (running != 0 || paused != 0 || pid != 0)
			cleared++;
	}
	is_int(kinds, 0, "every rejected state is a runtime error");
	is_int(cleared, 0, "every rejected state leaves not running, pid 0");
	for (i = 0; i < sizeof(nul) / sizeof(nul[0]); i++) {
		snprintf(name, sizeof(name), "state with a %s rejected",
		    nul[i].name);
		is_int(state(nul[i].json, nul[i].len, &running, &paused, &pid,
		    &err), -1, name);
	}
	is_int(state(NULL, 0, &running, &paused, &pid, &err), -1,
	    "no state rejected");
	is_int(state("", 0, &running, &paused, &pid, &err), -1,
	    "empty state rejected");
	is_int(err.kind, BOX_E_RUNTIME, "empty state: runtime error");
	/* A length past the data must be refused before anything is read. */
	is_int(box_oci_parse_state(guarded("{}", 2), SIZE_MAX, &running,
	    &paused, &pid, &err), -1, "SIZE_MAX length rejected");
	is_int(box_oci_parse_state(guarded("{}", 2), (size_t)INT_MAX + 2,
	    &running, &paused, &pid, &err), -1, "INT_MAX + 2 length rejected");

	rejected = 0;
	len = strlen(runc_state);
	for (cut = 0; cut < len - 1; cut++)
		if (state(runc_state, cut, &running, &paused, &pid,
		    &err) != -1 || running != 0 || pid != 0)
			rejected++;
	is_int(rejected, 0, "runc's state truncated at every offset rejected");
	is_int(state(runc_state, len - 1, &running, &paused, &pid, &err), 0,
	    "runc's state without its newline parsed");

	{
		char deep[512];

		len = (size_t)snprintf(deep, sizeof(deep),
		    "{\"status\":\"stopped\",\"a\":");
		memset(deep + len, '[', 200);
		memset(deep + len + 200, ']', 200);
		deep[len + 400] = '}';
		is_int(state(deep, len + 401, &running, &paused, &pid, &err),
		    -1, "200-deep nesting rejected");
	}

	/* Bounded: CONF_MAX bytes parsed, one more refused. */
	if ((big = malloc(CONF_MAX + 2)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	len = (size_t)snprintf(big, CONF_MAX, "{\"status\":\"running\","
	    "\"pid\":42,\"x\":\"");
	memset(big + len, 'a', CONF_MAX - len - 2);
	memcpy(big + CONF_MAX - 2, "\"}", 2);
	is_int(state(big, CONF_MAX, &running, &paused, &pid, &err), 0,
	    "a state of CONF_MAX bytes parsed");
	is_int(pid, 42, "a state of CONF_MAX bytes: its pid");
	memcpy(big + CONF_MAX - 2, "a\"}", 3);
	is_int(state(big, CONF_MAX + 1, &running, &paused, &pid, &err), -1,
	    "a state of CONF_MAX + 1 bytes rejected");
	is_int(err.kind, BOX_E_RUNTIME, "too long a state: runtime error");
	free(big);
}

/* --------------------------------------------------------------- log */

static char logbuf[512];

/* The parse of line[0..len) into logbuf, at most outsz bytes. */
static const char *
logline(const char *line, size_t len, size_t outsz)
{
	memset(logbuf, 'Z', sizeof(logbuf));
	box_oci_parse_log(guarded(line, len), len, logbuf, outsz);
	return logbuf;
}

static const char *
logs(const char *line, size_t outsz)
{
	return logline(line, strlen(line), outsz);
}

/* Whether logbuf has nothing written past its first n bytes. */
static int
log_untouched_from(size_t n)
{
	for (; n < sizeof(logbuf); n++)
		if (logbuf[n] != 'Z')
			return 0;
	return 1;
}

static void
test_log(void)
{
	static const struct {
		const char *line, *out;
	} whole[] = {
		{ "{\"level\":\"error\",\"msg\":\"runc run failed: unable to "
		    "start container process: exec: \\\"sh\\\": executable "
		    "file not found in $PATH\",\"time\":"
		    "\"2024-05-01T10:00:00Z\"}",
		    "runc run failed: unable to start container process: "
		    "exec: \"sh\": executable file not found in $PATH" },
		{ "{\"msg\":\"x\"}\n", "x" },
		{ "{\"msg\":\"\"}", "" },
		{ "{\"msg\":\"a\\nb\\tc\\u001b[31md\\u0000e\\u007ff\\r\"}",
		    "a b c [31md e f " },
		{ "{\"msg\":\"caf\\u00e9 \\u20ac\"}",
		    "caf\xc3\xa9 \xe2\x82\xac" },
		{ "plain error text", "plain error text" },
		{ "red\x1b[31m\x07" "bell\x7f\x01", "red [31m bell  " },
		{ "caf\xc3\xa9 \xff\xfe", "caf\xc3\xa9 \xff\xfe" },
		/* not JSON, or no string msg: the line itself */
		{ "{\"msg\":42}", "{\"msg\":42}" },
		{ "{\"msg\":null}", "{\"msg\":null}" },
		{ "{\"msg\":[\"x\"]}", "{\"msg\":[\"x\"]}" },
		{ "{\"msg\":{\"a\":\"b\"}}", "{\"msg\":{\"a\":\"b\"}}" },
		{ "{\"msg\":true}", "{\"msg\":true}" },
		{ "{\"level\":\"error\"}", "{\"level\":\"error\"}" },
		{ "{\"msg\":\"x\"} trailing", "{\"msg\":\"x\"} trailing" },
		{ "{\"msg\":\"x\"", "{\"msg\":\"x\"" },
		{ "{\"msg\":'x'}", "{\"msg\":'x'}" },
		/* json-c takes a raw newline in a string */
		{ "{\"msg\":\"a\nb\"}", "a b" },
		{ "[\"msg\",\"x\"]", "[\"msg\",\"x\"]" },
		{ " {\"msg\":\"x\"}", " {\"msg\":\"x\"}" },
		{ "{not json\t}", "{not json }" },
	};
	static const struct {
		size_t outsz;
		const char *out;
	} e2[] = {	/* "ab" U+00E9 "x": 61 62 c3 a9 78 */
		{ 1, "" }, { 2, "a" }, { 3, "ab" }, { 4, "ab" },
		{ 5, "ab\xc3\xa9" }, { 6, "ab\xc3\xa9x" },
		{ 64, "ab\xc3\xa9x" },
	}, e4[] = {	/* "a" U+1F600 "b": 61 f0 9f 98 80 62 */
		{ 2, "a" }, { 3, "a" }, { 4, "a" }, { 5, "a" },
		{ 6, "a\xf0\x9f\x98\x80" }, { 7, "a\xf0\x9f\x98\x80" "b" },
	};
	char line[400], exp[400], name[200], *big;
	size_t i, len, bad;

	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
		snprintf(name, sizeof(name), "log line %s",
		    vis(whole[i].line));
		is_str(logs(whole[i].line, sizeof(logbuf)), whole[i].out, name);
	}
	is_str(logline("{\"msg\":\"x\"}\0tail", 16, sizeof(logbuf)),
	    "{\"msg\":\"x\"} tail", "a NUL after the object: the line, the "
	    "NUL replaced");
	is_str(logline("{\"msg\":\"a\0b\"}", 13, sizeof(logbuf)),
	    "{\"msg\":\"a b\"}", "a NUL inside the msg: the line, the NUL "
	    "replaced");
	is_str(logline("a\0b", 3, sizeof(logbuf)), "a b",
	    "a NUL in a plain line replaced");
	is_str(logline("abc", 0, sizeof(logbuf)), "", "an empty line");
	ok(log_untouched_from(1), "an empty line: one byte written");

	/* The output's size. */
	is_str(logs("hello world", 6), "hello", "a plain line cut at 5 bytes");
	ok(log_untouched_from(6), "a plain line cut: nothing past 6 bytes");
	is_str(logs("{\"msg\":\"hello world\"}", 6), "hello",
	    "a msg cut at 5 bytes");
	is_str(logs("hello world", 1), "", "an output of 1 byte: empty");
	ok(log_untouched_from(1), "an output of 1 byte: nothing past it");
	logs("hello world", 0);
	ok(log_untouched_from(0), "an output of 0 bytes: nothing written");

	/* A cut never splits a UTF-8 character, nor drops a whole one. */
	for (i = 0; i < sizeof(e2) / sizeof(e2[0]); i++) {
		snprintf(name, sizeof(name), "ab\\u00e9x in %zu bytes",
		    e2[i].outsz);
		is_str(logs("ab\xc3\xa9x", e2[i].outsz), e2[i].out, name);
		snprintf(name, sizeof(name), "msg ab\\u00e9x in %zu bytes",
		    e2[i].outsz);
		is_str(logs("{\"msg\":\"ab\\u00e9x\"}", e2[i].outsz),
		    e2[i].out, name);
	}
	for (i = 0; i < sizeof(e4) / sizeof(e4[0]); i++) {
		snprintf(name, sizeof(name), "a\\U0001f600b in %zu bytes",
		    e4[i].outsz);
		is_str(logs("a\xf0\x9f\x98\x80" "b", e4[i].outsz), e4[i].out,
		    name);
	}
	is_str(logs("{\"msg\":\"\\u00e9\\u00e9\\u00e9\"}", 6),
	    "\xc3\xa9\xc3\xa9", "a msg of escaped characters cut between two");
	/* Stray continuation bytes at the cut go, what precedes stays. */
	is_str(logs("abc\x80\x80\x80\x80", 6), "abc",
	    "stray continuation bytes at the cut dropped");

	/* Long lines: 100 euro signs (3 bytes each) and 200 e-acutes. */
	for (i = 0; i < 100; i++)
		memcpy(line + 3 * i, "\xe2\x82\xac", 3);
	line[300] = '\0';
	logs(line, 256);
	is_int(strlen(logbuf), 255, "3-byte characters: 85 fit in 255 bytes");
	ok(memcmp(logbuf, line, 255) == 0, "3-byte characters: the first 85");
	ok(log_untouched_from(256), "3-byte characters: nothing past 256");
	for (i = 0; i < 200; i++)
		memcpy(line + 2 * i, "\xc3\xa9", 2);
	len = 400;
	logline(line, len, 256);
	is_int(strlen(logbuf), 254, "2-byte characters: 127 in 255 bytes");
	ok(memcmp(logbuf, line, 254) == 0, "2-byte characters: the first 127");
	memcpy(exp, line, 400);
	bad = 0;
	for (i = 1; i <= 401; i++) {
		size_t n, want = i - 1 < len ? (i - 1) / 2 * 2 : len;

		logline(line, len, i);
		n = strlen(logbuf);
		if (n != want || memcmp(logbuf, exp, n) != 0 ||
		    !log_untouched_from(i))
			bad++;
	}
	is_int(bad, 0, "200 e-acutes cut at every size: whole characters, "
	    "as many as fit");

	/* A line longer than the JSON bound: shown as it is, cut. */
	if ((big = malloc(300000)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	memcpy(big, "{\"msg\":\"", 8);
	memset(big + 8, 'a', 300000 - 10);
	memcpy(big + 300000 - 2, "\"}", 2);
	logline(big, 300000, 64);
	is_int(strlen(logbuf), 63, "a 300 KB line: 63 bytes");
	ok(strncmp(logbuf, "{\"msg\":\"aaa", 11) == 0,
	    "a 300 KB line is not parsed as JSON");
	ok(log_untouched_from(64), "a 300 KB line: nothing past 64 bytes");
	memset(big, '\n', 300000);
	logline(big, 300000, 64);
	is_int(strlen(logbuf), 63, "300 KB of newlines: 63 spaces");
	ok(strspn(logbuf, " ") == 63, "300 KB of newlines: all spaces");
	free(big);
}

/* ------------------------------------------------------------ labels */

#define L_BOX	"\"0123456789abcdef\""
#define L_INST	"\"main\""
#define L_PROF	"\"default\""
#define L_DL	"\"1900000000\""
#define L_RT	"\"runsc\""

/* A config.json whose annotations hold these (raw JSON; NULL: absent). */
static const char *
conf(const char *box, const char *inst, const char *prof, const char *dl,
    const char *rt)
{
	static char buf[4096];
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), "{\"ociVersion\":\"1.0.2\","
	    "\"process\":{\"args\":[\"/box-agent\"],\"cwd\":\"/\"},"
	    "\"root\":{\"path\":\"rootfs\"},\"annotations\":{"
	    "\"org.opencontainers.image.title\":\"x\"");
	if (box != NULL)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    ",\"io.sshbox.box\":%s", box);
	if (inst != NULL)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    ",\"io.sshbox.instance\":%s", inst);
	if (prof != NULL)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    ",\"io.sshbox.profile\":%s", prof);
	if (dl != NULL)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    ",\"io.sshbox.deadline\":%s", dl);
	if (rt != NULL)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    ",\"io.sshbox.runtime\":%s", rt);
	snprintf(buf + n, sizeof(buf) - n, "}}\n");
	return buf;
}

static struct box_runtime_obj lobj;
static char lrt[16];

static int
labels(const char *json, size_t len, size_t rtsz, struct box_error *err)
{
	memset(&lobj, 'X', sizeof(lobj));
	memset(lrt, 'X', sizeof(lrt));
	return box_oci_parse_labels(json != NULL ? guarded(json, len) : NULL,
	    len, &lobj, lrt, rtsz, err);
}

/* Whether lobj is all zero, as after a failure. */
static int
lobj_cleared(void)
{
	static const struct box_runtime_obj zero;

	return memcmp(&lobj, &zero, sizeof(zero)) == 0;
}

static void
test_labels(void)
{
	static const struct {
		const char *box, *inst, *prof, *dl, *rt, *name;
	} bad[] = {
		{ NULL, L_INST, L_PROF, L_DL, L_RT, "no box id" },
		{ L_BOX, NULL, L_PROF, L_DL, L_RT, "no instance" },
		{ L_BOX, L_INST, NULL, L_DL, L_RT, "no profile" },
		{ L_BOX, L_INST, L_PROF, NULL, L_RT, "no deadline" },
		{ L_BOX, L_INST, L_PROF, L_DL, NULL, "no runtime" },
		{ "\"0123456789ABCDEF\"", L_INST, L_PROF, L_DL, L_RT,
		    "box id in uppercase" },
		{ "\"0123456789abcde\"", L_INST, L_PROF, L_DL, L_RT,
		    "box id of 15" },
		{ "\"0123456789abcdeff\"", L_INST, L_PROF, L_DL, L_RT,
		    "box id of 17" },
		{ "\"0123456789abcdeg\"", L_INST, L_PROF, L_DL, L_RT,
		    "box id not hex" },
		{ "\"../../../etc/x\"", L_INST, L_PROF, L_DL, L_RT,
		    "box id a path" },
		{ "\"\"", L_INST, L_PROF, L_DL, L_RT, "box id empty" },
		{ "1234567890123456", L_INST, L_PROF, L_DL, L_RT,
		    "box id a number" },
		{ "null", L_INST, L_PROF, L_DL, L_RT, "box id null" },
		{ "[" L_BOX "]", L_INST, L_PROF, L_DL, L_RT, "box id a list" },
		{ "\"0123456789abcdef\\u0000x\"", L_INST, L_PROF, L_DL, L_RT,
		    "box id with a NUL inside" },
		{ L_BOX, "\"\"", L_PROF, L_DL, L_RT, "instance empty" },
		{ L_BOX, "\"-main\"", L_PROF, L_DL, L_RT, "instance -main" },
		{ L_BOX, "\".main\"", L_PROF, L_DL, L_RT, "instance .main" },
		{ L_BOX, "\"a/b\"", L_PROF, L_DL, L_RT, "instance a/b" },
		{ L_BOX, "\"ma in\"", L_PROF, L_DL, L_RT, "instance ma in" },
		{ L_BOX, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", L_PROF, L_DL,
		    L_RT, "instance of 33" },
		{ L_BOX, "\"main\\u0000evil\"", L_PROF, L_DL, L_RT,
		    "instance with a NUL inside" },
		{ L_BOX, "7", L_PROF, L_DL, L_RT, "instance a number" },
		{ L_BOX, L_INST, "\"\"", L_DL, L_RT, "profile empty" },
		{ L_BOX, L_INST, "\"../x\"", L_DL, L_RT, "profile ../x" },
		{ L_BOX, L_INST, "\"-x\"", L_DL, L_RT, "profile -x" },
		{ L_BOX, L_INST, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", L_DL,
		    L_RT, "profile of 33" },
		{ L_BOX, L_INST, "{}", L_DL, L_RT, "profile an object" },
		{ L_BOX, L_INST, L_PROF, "\"abc\"", L_RT, "deadline abc" },
		{ L_BOX, L_INST, L_PROF, "\"-1\"", L_RT, "deadline -1" },
		{ L_BOX, L_INST, L_PROF, "\"+1\"", L_RT, "deadline +1" },
		{ L_BOX, L_INST, L_PROF, "\"1.5\"", L_RT, "deadline 1.5" },
		{ L_BOX, L_INST, L_PROF, "\" 1\"", L_RT, "deadline \" 1\"" },
		{ L_BOX, L_INST, L_PROF, "\"1 \"", L_RT, "deadline \"1 \"" },
		{ L_BOX, L_INST, L_PROF, "\"\"", L_RT, "deadline empty" },
		{ L_BOX, L_INST, L_PROF, "\"1\\u00002\"", L_RT,
		    "deadline with a NUL inside" },
		{ L_BOX, L_INST, L_PROF, "\"4611686018427387904\"", L_RT,
		    "deadline INT64_MAX / 2 + 1" },
		{ L_BOX, L_INST, L_PROF, "\"99999999999999999999\"", L_RT,
		    "deadline past int64" },
		{ L_BOX, L_INST, L_PROF, "\"000000000000000000000001\"", L_RT,
		    "deadline of 24 digits" },
		{ L_BOX, L_INST, L_PROF, "1900000000", L_RT,
		    "deadline a number" },
		{ L_BOX, L_INST, L_PROF, L_DL, "\"docker\"", "runtime docker" },
		{ L_BOX, L_INST, L_PROF, L_DL, "\"RUNC\"", "runtime RUNC" },
		{ L_BOX, L_INST, L_PROF, L_DL, "\"runc \"",
		    "runtime \"runc \"" },
		{ L_BOX, L_INST, L_PROF, L_DL, "\"\"", "runtime empty" },
		{ L_BOX, L_INST, L_PROF, L_DL, "\"runc\\u0000\"",
		    "runtime with a NUL inside" },
		{ L_BOX, L_INST, L_PROF, L_DL, "[\"runc\"]", "runtime a list" },
	};
	static const char *const notconf[] = {
		"{}",
		"{\"annotations\":null}",
		"{\"annotations\":[]}",
		"{\"annotations\":\"io.sshbox.box\"}",
		"{\"annotations\":{}}",
		"[]",
		"null",
		"\"{}\"",
	};
	const char *c;
	char name[200], *big;
	struct box_error err;
	size_t i, len, cut;
	int rejected, kinds, cleared;

	c = conf(L_BOX, L_INST, L_PROF, L_DL, L_RT);
	is_int(labels(c, strlen(c), sizeof(lrt), &err), 0,
	    "a bundle's labels parsed");
	is_str(lobj.box_id, "0123456789abcdef", "labels: the box id");
	is_str(lobj.instance, "main", "labels: the instance");
	is_str(lobj.profile, "default", "labels: the profile");
	is_int(lobj.deadline, 1900000000, "labels: the deadline");
	is_str(lrt, "runsc", "labels: the runtime");
	is_str(lobj.ref, "", "labels: no ref");
	ok(lobj.running == 0 && lobj.pid == 0, "labels: not running, no pid");

	c = conf(L_BOX, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	    "\"Dev_1.x-y\"", "\"0\"", "\"runc\"");
	is_int(labels(c, strlen(c), sizeof(lrt), &err), 0,
	    "labels at their limits parsed");
	is_str(lobj.instance, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "labels: an instance of 32");
	is_str(lobj.profile, "Dev_1.x-y", "labels: a profile of . _ -");
	is_int(lobj.deadline, 0, "labels: deadline 0");
	is_str(lrt, "runc", "labels: runtime runc");
	c = conf(L_BOX, L_INST, L_PROF, "\"4611686018427387903\"",
	    "\"crun\"");
	is_int(labels(c, strlen(c), sizeof(lrt), &err), 0,
	    "deadline INT64_MAX / 2 parsed");
	is_int(lobj.deadline, INT64_MAX / 2, "labels: deadline INT64_MAX / 2");
	is_str(lrt, "crun", "labels: runtime crun");
	c = conf(L_BOX, L_INST, L_PROF, L_DL, "\"microvm\"");
	is_int(labels(c, strlen(c), sizeof(lrt), &err), 0,
	    "a microVM's bundle labels parsed");
	is_str(lrt, "microvm", "labels: runtime microvm");
	c = conf(L_BOX, L_INST, L_PROF, L_DL, "\"qemu\"");
	is_int(labels(c, strlen(c), sizeof(lrt), &err), -1,
	    "labels: a runtime sshbox does not know: rejected");

	c = conf(L_BOX, L_INST, L_PROF, L_DL, L_RT);
	is_int(labels(c, strlen(c), 6, &err), 0, "runsc fits in 6 bytes");
	is_str(lrt, "runsc", "runsc in 6 bytes");
	is_int(labels(c, strlen(c), 5, &err), -1,
	    "runsc does not fit in 5 bytes: rejected");
	ok(lrt[5] == 'X', "nothing written past the runtime's size");
	is_int(labels(c, strlen(c), 1, &err), -1,
	    "a runtime of 1 byte: rejected");

	kinds = cleared = 0;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = conf(bad[i].box, bad[i].inst, bad[i].prof, bad[i].dl,
		    bad[i].rt);
		snprintf(name, sizeof(name), "labels: %s rejected",
		    bad[i].name);
		err.kind = BOX_E_NONE;
		is_int(labels(c, strlen(c), sizeof(lrt), &err), -1, name);
		if (err.kind != BOX_E_RUNTIME)
			kinds++;
		if (!lobj_cleared())
			cleared++;
	}
	for (i = 0; i < sizeof(notconf) / sizeof(notconf[0]); i++) {
		snprintf(name, sizeof(name), "labels: %s rejected",
		    notconf[i]);
		err.kind = BOX_E_NONE;
		is_int(labels(notconf[i], strlen(notconf[i]), sizeof(lrt),
		    &err), -1, name);
		if (err.kind != BOX_E_RUNTIME)
			kinds++;
		if (!lobj_cleared())
			cleared++;
	}
	is_int(kinds, 0, "every rejected bundle is a runtime error");
	is_int(cleared, 0, "every rejected bundle leaves the object zeroed");

	c = conf(L_BOX, L_INST, L_PROF, L_DL, L_RT);
	len = strlen(c);
	rejected = 0;
	for (cut = 0; cut < len - 1; cut++)
		if (labels(c, cut, sizeof(lrt), &err) != -1 || !lobj_cleared())
			rejected++;
	is_int(rejected, 0, "a bundle truncated at every offset rejected");
	{
		char buf[4096];

		memcpy(buf, c, len);
		memcpy(buf + len, "x", 1);
		is_int(labels(buf, len + 1, sizeof(lrt), &err), -1,
		    "labels with trailing garbage rejected");
		buf[len - 1] = '\0';
		is_int(labels(buf, len, sizeof(lrt), &err), -1,
		    "labels with a NUL for a newline rejected");
		memcpy(buf, c, len);
		buf[20] = '\0';
		is_int(labels(buf, len, sizeof(lrt), &err), -1,
		    "labels with a NUL inside rejected");
	}
	is_int(labels(NULL, 0, sizeof(lrt), &err), -1, "no bundle rejected");
	is_int(labels("", 0, sizeof(lrt), &err), -1, "empty bundle rejected");
	is_int(box_oci_parse_labels(guarded("{}", 2), SIZE_MAX, &lobj, lrt,
	    sizeof(lrt), &err), -1, "SIZE_MAX length rejected");

	/* A config.json over CONF_MAX, labels and all. */
	if ((big = malloc(CONF_MAX + 4096)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	c = conf(L_BOX, L_INST, L_PROF, L_DL, L_RT);
	len = strlen(c);
	memcpy(big, "{\"x\":\"", 6);
	memset(big + 6, 'a', CONF_MAX - 6);
	memcpy(big + CONF_MAX, "\",", 2);
	memcpy(big + CONF_MAX + 2, c + 1, len - 1);
	is_int(labels(big, CONF_MAX + 1 + len, sizeof(lrt), &err), -1,
	    "a bundle over CONF_MAX rejected");
	free(big);
}

/* ------------------------------------------------------------- users */

static const char passwd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "guest:x:1000:1001:Guest User:/home/guest:/bin/sh\n"
    "short:x:1002\n"
    "three:x:1003:\n"
    "nouid:x::100::/:/bin/sh\n"
    "alpha:x:abc:100::/:/bin/sh\n"
    "mixed:x:12a:100::/:/bin/sh\n"
    "huge:x:4294967296:100::/:/bin/sh\n"
    "allf:x:4294967295:100::/:/bin/sh\n"
    "minus:x:-5:100::/:/bin/sh\n"
    "plus:x:+5:100::/:/bin/sh\n"
    "spaced:x: 5:100::/:/bin/sh\n"
    "maxid:x:4294967294:4294967294::/:/bin/sh\n"
    "gidbad:x:3000:x3000::/:/bin/sh\n"
    "svc:x:2000:2000::/:/bin/false\n"
    "dup:x:abc:1::/:\n"
    "dup:x:7:8::/:\n"
    "dup:x:9:9::/:\n"
    "nul:x:1\0002:5::/:\n"
    "nul:x:12:6::/:\n"
    "\n"
    ":x:4000:4000::/:\n"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:x:6000:6000::/:\n"
    "last:x:5000:5001::/:/bin/sh";

static const char group[] =
    "root:x:0:\n"
    "wheel:x:10:root,guest\n"
    "audio:x:29:guest\n"
    "users:x:100:guestx,xguest,Guest,gues,guest \n"
    "video:x:44:other,guest,more\n"
    "guestgrp:x:1001:guest\n"
    "badgid:x:abc:guest\n"
    "short:x:45\n"
    "hugegid:x:4294967296:guest\n"
    "allfgid:x:4294967295:guest\n"
    "staff:x:50:svc,guest,\n"
    "empty:x:51:\n"
    ",:x:52:,\n"
    "lastgrp:x:60:last,guest";

static uid_t r_uid;
static gid_t r_gid, r_gids[16];
static size_t r_n;
static struct box_error r_err;

static int
resolve_in(const char *user, const char *pw, size_t pl, const char *gr,
    size_t gl, size_t max)
{
	size_t i;

	r_uid = 77777;
	r_gid = 77777;
	for (i = 0; i < sizeof(r_gids) / sizeof(r_gids[0]); i++)
		r_gids[i] = 88888;
	r_n = max;
	r_err.kind = BOX_E_NONE;
	return box_oci_resolve_user(user, guarded_in(0, pw, pl), pl,
	    guarded_in(1, gr, gl), gl, &r_uid, &r_gid, r_gids, &r_n, &r_err);
}

static int
resolve(const char *user, size_t max)
{
	return resolve_in(user, passwd, sizeof(passwd) - 1, group,
	    sizeof(group) - 1, max);
}

/* The supplementary groups found, as "10,29". */
static const char *
gidlist(void)
{
	static char s[256];
	size_t i, o = 0;

	s[0] = '\0';
	for (i = 0; i < r_n && i < 16 && o < sizeof(s) - 16; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "%s%lu",
		    i > 0 ? "," : "", (unsigned long)r_gids[i]);
	return s;
}

static void
test_user(void)
{
	static const struct {
		const char *user;
		unsigned long uid, gid;
		const char *gids;
	} good[] = {
		{ "guest", 1000, 1001, "10,29,44,50,60" },
		{ "root", 0, 0, "10" },
		{ "daemon", 1, 1, "" },
		{ "svc", 2000, 2000, "50" },
		{ "maxid", 4294967294UL, 4294967294UL, "" },
		{ "dup", 7, 8, "" },
		{ "nul", 12, 6, "" },
		{ "last", 5000, 5001, "60" },
		/* numeric: the passwd line's group for a bare uid */
		{ "1000", 1000, 1001, "" },
		{ "2000", 2000, 2000, "" },
		{ "3000", 3000, 3000, "" },
		{ "4242", 4242, 4242, "" },
		{ "5000", 5000, 5001, "" },
		{ "0", 0, 0, "" },
		{ "", 0, 0, "" },
		{ "1000:1000", 1000, 1000, "" },
		{ "1000:0", 1000, 0, "" },
		{ "4242:7", 4242, 7, "" },
		{ "4294967294:4294967294", 4294967294UL, 4294967294UL, "" },
	};
	static const char *const notfound[] = {
		"short", "three", "nouid", "alpha", "mixed", "huge", "allf",
		"minus", "plus", "spaced", "gidbad", "nobody", "gues",
		"guestx", "Guest", "x",
	};
	static const char *const invalid[] = {
		"1000:", "10a", "1000:x", "1000:1000:1", "1000:-1", "1 000",
		"4294967295", "4294967296", "1000:4294967295",
		"1000:4294967296", "99999999999999999999", ":1000", "-1",
		"../guest", "-guest", ".guest", "gu est", "guest\n",
		"guest:x", "gu/est", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char name[200];
	size_t i;
	int kinds = 0, zero = 0;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = resolve(good[i].user, 8);

		snprintf(name, sizeof(name), "user \"%s\": %lu:%lu, groups "
		    "[%s]", vis(good[i].user), good[i].uid, good[i].gid,
		    good[i].gids);
		if (!ok(rc == 0 && (unsigned long)r_uid == good[i].uid &&
		    (unsigned long)r_gid == good[i].gid &&
		    strcmp(gidlist(), good[i].gids) == 0, name))
			diag("got %d, %lu:%lu [%s] %s", rc,
			    (unsigned long)r_uid, (unsigned long)r_gid,
			    gidlist(), rc != 0 ? r_err.msg : "");
	}
	is_int(resolve(NULL, 8), 0, "no user: root");
	ok(r_uid == 0 && r_gid == 0 && r_n == 0, "no user: 0:0, no groups");

	/* The bound on supplementary groups. */
	is_int(resolve("guest", 2), 0, "guest with room for 2 groups");
	is_str(gidlist(), "10,29", "guest: the first 2 groups");
	ok(r_gids[2] == 88888, "guest: nothing past 2 groups");
	is_int(resolve("guest", 0), 0, "guest with room for no group");
	is_int(r_n, 0, "guest: no groups");
	ok(r_gids[0] == 88888, "guest: no group written");

	for (i = 0; i < sizeof(notfound) / sizeof(notfound[0]); i++) {
		snprintf(name, sizeof(name), "user \"%s\" not found",
		    notfound[i]);
		is_int(resolve(notfound[i], 8), -1, name);
		if (r_err.kind != BOX_E_CONFIG)
			kinds++;
		if (r_n != 0)
			zero++;
	}
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		snprintf(name, sizeof(name), "user \"%s\" rejected",
		    vis(invalid[i]));
		is_int(resolve(invalid[i], 8), -1, name);
		if (r_err.kind != BOX_E_CONFIG)
			kinds++;
		if (r_n != 0)
			zero++;
	}
	is_int(kinds, 0, "every unknown or invalid user is a config error");
	is_int(zero, 0, "every unknown or invalid user: no groups");

	/* Databases empty, or ending without a newline at a number. */
	is_int(resolve_in("guest", "", 0, "", 0, 8), -1,
	    "no passwd: a name is not found");
	is_int(resolve_in("1000", "", 0, "", 0, 8), 0,
	    "no passwd: a uid is fine");
	ok(r_uid == 1000 && r_gid == 1000, "no passwd: uid 1000, gid 1000");
	is_int(resolve_in("guest", "guest:x:1000:1001", 17,
	    "g:x:10:guest\nh:x:11", 19, 8), 0,
	    "databases that end in a number");
	ok(r_uid == 1000 && r_gid == 1001, "ending in a number: 1000:1001");
	is_str(gidlist(), "10", "ending in a number: group 10");
	is_int(resolve_in("1000", "guest:x:1000:1001", 17, "", 0, 8), 0,
	    "a uid on a passwd that ends in a number");
	ok(r_gid == 1001, "a uid on a passwd that ends in a number: its gid");
	is_int(resolve_in("guest", "guest:x:1000:1001", 16, "", 0, 8), 0,
	    "a passwd cut inside the gid");
	ok(r_gid == 100, "a passwd cut inside the gid: the gid so far");
	is_int(resolve_in("guest", "guest:x:1000:", 13, "", 0, 8), -1,
	    "a passwd cut before the gid: not found");
	is_int(resolve_in("guest", "guest:x:1000:1001\n", 11, "", 0, 8), -1,
	    "a passwd cut inside the uid: not found");
	is_int(resolve_in("guest", "guest:x:1000:1001", 17,
	    "g:x:10:guest", 11, 8), 0, "a group cut inside the member");
	is_int(r_n, 0, "a group cut inside the member: not a member");
	is_int(resolve_in("guest", "guest:x:1000:1001\r\n", 19, "", 0, 8), -1,
	    "a CRLF passwd: the gid is not a number");
}

static int
cg(const char *text, const char *ctl, char *out, int *v2)
{
	return box_oci_cgroup_path(text, strlen(text), ctl, out, 256, v2);
}

static void
test_cgroup(void)
{
	static const char v1[] =
	    "9:name=systemd:/sshbox/i/b\n8:pids:/sshbox/i/b\n"
	    "5:cpu,cpuacct:/sshbox/i/b\n"
	    "4:memory:/process_api/x/sshbox/i/b\n0::/sshbox/i/b\n";
	char out[256];
	int v2 = -1;

	is_int(cg(v1, "memory", out, &v2), 0, "hybrid: memory found");
	is_str(out, "/process_api/x/sshbox/i/b", "hybrid: its v1 path");
	is_int(v2, 0, "hybrid: v1 preferred");
	is_int(cg(v1, "cpuacct", out, &v2), 0, "a controller sharing a line");
	is_str(out, "/sshbox/i/b", "its path");
	is_int(cg(v1, "cpu", out, &v2), 0, "the other one on that line");
	is_int(cg(v1, "mem", out, &v2), 0, "a prefix of a name is not it, "
	    "but v2 answers");
	is_int(v2, 1, "so the v2 path is taken");
	is_int(cg("0::/sshbox/i/b\n", "memory", out, &v2), 0,
	    "pure v2 (the review's finding: never recognised)");
	is_str(out, "/sshbox/i/b", "pure v2: its path");
	is_int(v2, 1, "pure v2: flagged");
	is_int(cg("0::/a:b\n", "pids", out, &v2), 0, "a ':' in the path");
	is_str(out, "/a:b", "kept whole");
	is_int(cg("4:memory:/x", "memory", out, &v2), 0,
	    "no final newline");
	is_str(out, "/x", "no final newline: the path");
	is_int(cg("4:pids:/x\n", "memory", out, &v2), -1,
	    "no such controller, no v2: none");
	is_int(cg("", "memory", out, &v2), -1, "empty: none");
	is_int(cg("garbage\n", "memory", out, &v2), -1, "no colons: none");
	is_int(cg("4:memory:\n", "memory", out, &v2), -1, "empty path");
	is_int(cg("4:memory:relative\n", "memory", out, &v2), -1,
	    "a relative path");
	is_int(cg("4:memory:/a/../../etc\n", "memory", out, &v2), -1,
	    "a way up");
	is_int(cg("4:memory:/a//b\n", "memory", out, &v2), -1,
	    "an empty component");
	is_int(cg("1:memory:/a\n", "memory", out, &v2), 0,
	    "id 1 with memory is v1, not v2");
	is_int(v2, 0, "id 1: v1");
	{
		char big[400], small[8];

		memset(big, 'a', sizeof(big));
		memcpy(big, "4:memory:/", 10);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		is_int(box_oci_cgroup_path(big, strlen(big), "memory", out,
		    256, &v2), -1, "a path longer than the buffer");
		is_int(box_oci_cgroup_path("4:memory:/abcdefgh\n", 19,
		    "memory", small, sizeof(small), &v2), -1,
		    "a path one past a small buffer");
	}
	{
		static const char nul[] = "4:memory:/a\0b\n";

		is_int(box_oci_cgroup_path(nul, sizeof(nul) - 1, "memory", out,
		    256, &v2), -1, "a NUL inside the path");
	}
}

int
main(void)
{
	guard_init();
	test_cgroup();
	test_image_dir();
	test_state();
	test_log();
	test_labels();
	test_user();
	return tap_done();
}
