/*
 * Recordings (record.c) and watchers (watch.c): files made only where
 * they should be, every line valid JSON whatever the bytes, characters
 * split across writes kept whole; watchers get the screen since its last
 * clear, then what follows; the frame reader refuses malformed streams.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session/record.h"
#include "session/watch.h"
#include "tap.h"

static char dir[] = "/tmp/test-record.XXXXXX";

static char *
slurp(const char *path)
{
	static char buf[1 << 20];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Every line one JSON value; the "o" events' text joined into out. */
static int
parse_cast(const char *text, char *out, size_t outsz, int *lines,
    char *last, size_t lastsz)
{
	const char *p = text, *nl;
	struct json_object *j, *d;
	char line[1 << 19];

	*out = '\0';
	*lines = 0;
	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if ((size_t)(nl - p) >= sizeof(line))
			return -1;
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		if ((j = json_tokener_parse(line)) == NULL)
			return -1;
		if (json_object_is_type(j, json_type_array) &&
		    json_object_array_length(j) == 3) {
			d = json_object_array_get_idx(j, 2);
			snprintf(last, lastsz, "%s:%s", json_object_get_string(
			    json_object_array_get_idx(j, 1)),
			    json_object_get_string(d));
			if (strcmp(json_object_get_string(
			    json_object_array_get_idx(j, 1)), "o") == 0 &&
			    strlen(out) + strlen(json_object_get_string(d)) <
			    outsz)
				strcat(out, json_object_get_string(d));
		}
		json_object_put(j);
		(*lines)++;
	}
	return *p == '\0' ? 0 : -1;
}

static void
test_record(void)
{
	struct box_record *r;
	struct box_error err;
	char rdir[256], path[512], name[64], out[1 << 16], last[256];
	const char *text;
	int lines;

	snprintf(rdir, sizeof(rdir), "%s/rec", dir);
	ok(box_record_open(&r, rdir, 0, 0, 100, 30, "xterm-256color",
	    "t\"itle\n", name, sizeof(name), &err) == 0,
	    "a recording starts, its directory made");
	ok(box_record_valid_name(name), "  its name is one readers accept");
	/* A character split across writes, bytes that are not UTF-8, C1. */
	box_record_output(r, "caf\xc3", 4);
	box_record_output(r, "\xa9 \xff\xfe \xed\xa0\x80 \xc2\x9b[31m \"q\"\\", 21);
	box_record_output(r, "\x1b]52;c;eA==\x07\r\n", 15);
	box_record_input(r, "not kept", 8);
	box_record_resize(r, 120, 40);
	ok(box_record_close(r, 3, "exited") == 1, "  ends complete");
	snprintf(path, sizeof(path), "%s/%s", rdir, name);
	text = slurp(path);
	ok(text != NULL && parse_cast(text, out, sizeof(out), &lines, last,
	    sizeof(last)) == 0, "every line one JSON value");
	is_int(lines, 6, "  header, three outputs, a resize, the end");
	ok(strncmp(text, "{\"version\": 2, \"width\": 100, \"height\": 30,",
	    42) == 0 && strstr(text, "\"TERM\": \"xterm-256color\"") != NULL,
	    "  the header: version, size, TERM");
	is_str(out, "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf"
	    "\xbd\xef\xbf\xbd \xc2\x9b[31m \"q\"\\\x1b]52;c;eA==\x07\r\n",
	    "  the text: a split character whole, bad bytes U+FFFD, the rest "
	    "as it was");
	ok(strstr(text, "\\u009b") != NULL && strstr(text, "\\u001b") !=
	    NULL, "  C0 and C1 escaped in the file");
	ok(strstr(text, "not kept") == NULL, "  input not kept unless asked");
	ok(strstr(text, "\"r\", \"120x40\"") != NULL, "  the resize");
	is_str(last, "m:" BOX_RECORD_END_MARK " exit=3 reason=exited",
	    "  the end marker last, with the status");

	ok(box_record_open(&r, rdir, 1, 0, 0, 0, NULL, NULL, name, sizeof(name),
	    &err) == 0, "record: all");
	box_record_input(r, "ls\r", 3);
	box_record_output(r, "\xe2\x82", 2);	/* cut, and never finished */
	box_record_close(r, -1, "hangup");
	snprintf(path, sizeof(path), "%s/%s", rdir, name);
	text = slurp(path);
	ok(strstr(text, "\"i\", \"ls\\r\"") != NULL, "  keeps the input");
	ok(strstr(text, "\"width\": 80, \"height\": 24") != NULL,
	    "  no terminal: 80x24");
	ok(parse_cast(text, out, sizeof(out), &lines, last, sizeof(last)) ==
	    0 && strcmp(out, "\xef\xbf\xbd") == 0, "  a character cut at the "
	    "end: U+FFFD");
	is_str(last, "m:" BOX_RECORD_END_MARK " exit=- reason=hangup",
	    "  no status: -");

	ok(box_record_open(&r, rdir, 0, 0, 80, 24, "", "", name, sizeof(name),
	    &err) == 0, "a recording no session came of");
	box_record_discard(r);
	snprintf(path, sizeof(path), "%s/%s", rdir, name);
	ok(access(path, F_OK) < 0 && errno == ENOENT, "  is removed");

	/* A window the guest made huge is written at the readers' bound. */
	ok(box_record_open(&r, rdir, 0, 0, 5000, 3000, "", "", name,
	    sizeof(name), &err) == 0, "a huge window");
	box_record_resize(r, 70000, 2);
	box_record_close(r, 0, "exited");
	snprintf(path, sizeof(path), "%s/%s", rdir, name);
	text = slurp(path);
	ok(strstr(text, "\"width\": 1000, \"height\": 1000") != NULL &&
	    strstr(text, "\"1000x2\"") != NULL, "  written at 1000");

	/* A guest that floods: the recording stops at its limit, says so,
	 * and stays readable. */
	{
		static char flood[65536];
		int i, rc = 0;

		memset(flood, 0x01, sizeof(flood));	/* six bytes each */
		ok(box_record_open(&r, rdir, 0, 1 << 20, 80, 24, "", "", name,
		    sizeof(name), &err) == 0, "a recording of at most 1 MiB");
		for (i = 0; i < 10 && rc == 0; i++)
			rc = box_record_output(r, flood, sizeof(flood));
		ok(rc < 0 && box_record_failed(r) == EFBIG,
		    "  a flood stops it: too big");
		ok(box_record_close(r, 0, "exited") == 0, "  incomplete");
		snprintf(path, sizeof(path), "%s/%s", rdir, name);
		{
			struct stat sb;

			ok(stat(path, &sb) == 0 && sb.st_size <= (1 << 20),
			    "  never past its limit");
		}
		text = slurp(path);
		ok(parse_cast(text, out, sizeof(out), &lines, last,
		    sizeof(last)) == 0 && strcmp(last, "m:sshbox: recording "
		    "stopped: size limit") == 0, "  every line valid, the "
		    "last saying why");
	}

	/* Where recordings may not be made. */
	snprintf(path, sizeof(path), "%s/link", dir);
	symlink(rdir, path);
	ok(box_record_open(&r, path, 0, 0, 80, 24, "", "", name, sizeof(name),
	    &err) < 0 && strstr(err.msg, "/link") != NULL,
	    "a directory that is a link: refused");
	chmod(rdir, 0750);
	ok(box_record_open(&r, rdir, 0, 0, 80, 24, "", "", name, sizeof(name),
	    &err) < 0 && strstr(err.msg, "mode 0700") != NULL,
	    "a directory others can read: refused");
	chmod(rdir, 0700);
	ok(!box_record_valid_name("../x") && !box_record_valid_name(".x") &&
	    !box_record_valid_name("a/b") && !box_record_valid_name("") &&
	    box_record_valid_name("1-2-ab.cast"), "names: no path, no dot "
	    "first");
}

static void
test_reader(void)
{
	struct box_watch_reader rd;
	struct box_error err;
	const uint8_t *pl;
	size_t len;
	int type, sv[2];
	static const uint8_t good[] = "O\0\0\0\3abcE\0\0\0\0";

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	memset(&rd, 0, sizeof(rd));
	ok(write(sv[1], good, 7) == 7 && box_watch_feed(&rd, sv[0]) == 1 &&
	    box_watch_next(&rd, &type, &pl, &len, &err) == 0,
	    "a frame cut short: wait for more");
	write(sv[1], good + 7, sizeof(good) - 1 - 7);
	box_watch_feed(&rd, sv[0]);
	ok(box_watch_next(&rd, &type, &pl, &len, &err) == 1 &&
	    type == BOX_WF_OUTPUT && len == 3 && memcmp(pl, "abc", 3) == 0,
	    "  then whole");
	ok(box_watch_next(&rd, &type, &pl, &len, &err) == 1 &&
	    type == BOX_WF_END && len == 0, "  and the next");
	memset(&rd, 0, sizeof(rd));
	write(sv[1], "X\0\0\0\0", 5);
	box_watch_feed(&rd, sv[0]);
	ok(box_watch_next(&rd, &type, &pl, &len, &err) < 0 &&
	    strstr(err.msg, "unknown type") != NULL, "an unknown frame: "
	    "refused");
	memset(&rd, 0, sizeof(rd));
	write(sv[1], "O\0\1\0\1", 5);
	box_watch_feed(&rd, sv[0]);
	ok(box_watch_next(&rd, &type, &pl, &len, &err) < 0,
	    "output over 64 KiB: refused");
	memset(&rd, 0, sizeof(rd));
	write(sv[1], "H\0\0\1\1", 5);
	box_watch_feed(&rd, sv[0]);
	ok(box_watch_next(&rd, &type, &pl, &len, &err) < 0,
	    "a hello over 256 bytes: refused");
	close(sv[0]);
	close(sv[1]);
}

static int joins, leaves;

static void
count(void *arg, int joined, const char *who)
{
	(void)arg;
	(void)who;
	if (joined)
		joins++;
	else
		leaves++;
}

/* Read what the session sent a watcher until quiet: the output joined. */
static size_t
drain(struct box_watch *w, int fd, char *out, size_t outsz, int *types)
{
	struct box_watch_reader *rd = calloc(1, sizeof(*rd));
	struct pollfd pfd[BOX_WATCH_MAX + 1];
	struct box_error err;
	const uint8_t *pl;
	size_t n = 0, len, np;
	int type, i;

	*types = 0;
	for (i = 0; i < 5000; i++) {
		np = box_watch_pollfds(w, pfd);
		poll(pfd, np, 0);
		box_watch_service(w, pfd, np, count, NULL);
		pfd[0] = (struct pollfd){ fd, POLLIN, 0 };
		if (poll(pfd, 1, 20) <= 0)
			break;		/* quiet: all sent was read */
		if (box_watch_feed(rd, fd) <= 0)
			break;
		while (box_watch_next(rd, &type, &pl, &len, &err) == 1) {
			(*types)++;
			if (type == BOX_WF_OUTPUT && n + len < outsz) {
				memcpy(out + n, pl, len);
				n += len;
			}
		}
	}
	out[n] = '\0';
	free(rd);
	return n;
}

static void
test_watch(void)
{
	struct box_watch *w;
	struct box_error err;
	struct pollfd pfd[BOX_WATCH_MAX + 1];
	char wdir[256], out[4096];
	size_t np;
	int fd, fd2, types;

	snprintf(wdir, sizeof(wdir), "%s/watch", dir);
	ok(box_watch_open(&w, wdir, 7, 80, 24, &err) == 0,
	    "watching a session: its socket");
	box_watch_output(w, "old screen", 10);
	box_watch_output(w, "x\033[2Jnew screen ", 16);
	box_watch_output(w, "line", 4);
	fd = box_watch_connect(wdir, 7, &err);
	ok(fd >= 0, "a watcher connects");
	np = box_watch_pollfds(w, pfd);
	poll(pfd, np, 1000);
	box_watch_service(w, pfd, np, count, NULL);
	is_int(joins, 1, "  and is announced");
	drain(w, fd, out, sizeof(out), &types);
	is_str(out, "\033[2Jnew screen line", "  a late watcher: the screen "
	    "since its last clear");
	box_watch_output(w, "live", 4);
	drain(w, fd, out, sizeof(out), &types);
	is_str(out, "live", "  then what follows");
	ok(box_watch_connect(wdir, 8, &err) < 0 && err.kind == BOX_E_NOTFOUND,
	    "another session's socket: none");
	/* A watcher that reads nothing is dropped, never waited for. */
	fd2 = box_watch_connect(wdir, 7, &err);
	np = box_watch_pollfds(w, pfd);
	poll(pfd, np, 1000);
	box_watch_service(w, pfd, np, count, NULL);
	{
		static char big[60000];
		int i;

		memset(big, 'z', sizeof(big));
		for (i = 0; i < 100; i++) {
			box_watch_output(w, big, sizeof(big));
			drain(w, fd, out, sizeof(out), &types);
		}
	}
	np = box_watch_pollfds(w, pfd);
	poll(pfd, np, 100);
	box_watch_service(w, pfd, np, count, NULL);
	if (!ok(leaves >= 1, "a watcher that stopped reading is dropped"))
		diag("joins %d leaves %d", joins, leaves);
	box_watch_close(w, "exit=0 reason=exited", count, NULL);
	is_int(joins - leaves, 0, "  the rest leave at the end");
	ok(access("/proc/self", F_OK) == 0 &&
	    faccessat(AT_FDCWD, wdir, F_OK, 0) == 0, "the directory stays");
	ok(box_watch_connect(wdir, 7, &err) < 0, "  its socket is gone");
	close(fd);
	close(fd2);
	/* More than the history holds, in pieces that wrap its ring: a late
	 * watcher gets the newest BOX_WATCH_HISTORY bytes, in order. */
	{
		static char big[300000], got[BOX_WATCH_HISTORY + 16];
		size_t i, off, n;

		for (i = 0; i < sizeof(big); i++)
			big[i] = (char)('a' + i % 23);
		ok(box_watch_open(&w, wdir, 10, 80, 24, &err) == 0,
		    "a session with much output");
		for (off = 0; off < sizeof(big); off += n) {
			n = 7001 < sizeof(big) - off ? 7001 : sizeof(big) - off;
			box_watch_output(w, big + off, n);
		}
		fd = box_watch_connect(wdir, 10, &err);
		np = box_watch_pollfds(w, pfd);
		poll(pfd, np, 1000);
		box_watch_service(w, pfd, np, count, NULL);
		n = drain(w, fd, got, sizeof(got), &types);
		ok(n == BOX_WATCH_HISTORY && memcmp(got, big + sizeof(big) -
		    BOX_WATCH_HISTORY, n) == 0, "  a late watcher: the newest "
		    "256 KiB, in order");
		box_watch_output(w, "zz\033cscreen", 10);
		box_watch_close(w, NULL, count, NULL);
		close(fd);
		ok(box_watch_open(&w, wdir, 11, 80, 24, &err) == 0,
		    "another session");
		box_watch_output(w, big, 200000);
		box_watch_output(w, "x\033[2Jfresh", 10);
		box_watch_output(w, big, 100);
		fd = box_watch_connect(wdir, 11, &err);
		np = box_watch_pollfds(w, pfd);
		poll(pfd, np, 1000);
		box_watch_service(w, pfd, np, count, NULL);
		n = drain(w, fd, got, sizeof(got), &types);
		ok(n == 109 && memcmp(got, "\033[2Jfresh", 9) == 0 &&
		    memcmp(got + 9, big, 100) == 0, "  after a clear: from the "
		    "clear on, across the ring's wrap");
		box_watch_close(w, NULL, count, NULL);
		close(fd);
	}
	chmod(wdir, 0755);
	ok(box_watch_open(&w, wdir, 9, 80, 24, &err) < 0,
	    "a watch directory open to others: refused");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	test_record();
	test_reader();
	test_watch();
	return tap_done();
}
