/* Unit tests for the exec stream demultiplexer and the HTTP head parser. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dstream.h"
#include "tap.h"

struct sink {
	uint8_t	 out[3][1024];
	size_t	 n[3];
	int	 calls;
	int	 fail_at;	/* return -1 on this call (1-based), 0: never */
};

static int
collect(void *arg, int stream, const uint8_t *data, size_t len)
{
	struct sink *s = arg;

	s->calls++;
	if (s->fail_at != 0 && s->calls == s->fail_at)
		return -1;
	if (stream < 0 || stream > 2 || len == 0 ||
	    s->n[stream] + len > sizeof(s->out[stream]))
		return -1;
	memcpy(s->out[stream] + s->n[stream], data, len);
	s->n[stream] += len;
	return 0;
}

static size_t
frame(uint8_t *p, int stream, const char *data, size_t len)
{
	p[0] = (uint8_t)stream;
	p[1] = p[2] = p[3] = 0;
	p[4] = (uint8_t)(len >> 24);
	p[5] = (uint8_t)(len >> 16);
	p[6] = (uint8_t)(len >> 8);
	p[7] = (uint8_t)len;
	memcpy(p + 8, data, len);
	return 8 + len;
}

static uint8_t stream_buf[2048];
static size_t stream_len;
static char big[300];

static void
build_stream(void)
{
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	stream_len = 0;
	stream_len += frame(stream_buf + stream_len, 1, "hello ", 6);
	stream_len += frame(stream_buf + stream_len, 2, "oops\n", 5);
	stream_len += frame(stream_buf + stream_len, 1, "", 0);
	stream_len += frame(stream_buf + stream_len, 0, "in", 2);
	stream_len += frame(stream_buf + stream_len, 1, big, sizeof(big));
	stream_len += frame(stream_buf + stream_len, 2, "\0\xff", 2);
}

static int
check_sink(const struct sink *s)
{
	uint8_t want[1024];

	memcpy(want, "hello ", 6);
	memcpy(want + 6, big, sizeof(big));
	return s->n[1] == 6 + sizeof(big) &&
	    memcmp(s->out[1], want, s->n[1]) == 0 &&
	    s->n[2] == 7 && memcmp(s->out[2], "oops\n\0\xff", 7) == 0 &&
	    s->n[0] == 2 && memcmp(s->out[0], "in", 2) == 0;
}

static void
test_dstream_split(void)
{
	struct box_dstream ds;
	struct box_error err;
	struct sink s;
	size_t cut, cut2, i;
	int bad = 0, boundaries = 0;

	build_stream();
	for (cut = 0; cut <= stream_len; cut++) {
		memset(&s, 0, sizeof(s));
		box_dstream_init(&ds);
		if (box_dstream_feed(&ds, stream_buf, cut, collect, &s,
		    &err) != 0 || box_dstream_feed(&ds, stream_buf + cut,
		    stream_len - cut, collect, &s, &err) != 0 ||
		    !check_sink(&s) || box_dstream_partial(&ds))
			bad++;
	}
	is_int(bad, 0, "stream split in two at every offset");

	bad = 0;
	for (cut = 0; cut < stream_len; cut += 7) {
		for (cut2 = cut; cut2 <= stream_len; cut2 += 5) {
			memset(&s, 0, sizeof(s));
			box_dstream_init(&ds);
			if (box_dstream_feed(&ds, stream_buf, cut, collect,
			    &s, &err) != 0 ||
			    box_dstream_feed(&ds, stream_buf + cut,
			    cut2 - cut, collect, &s, &err) != 0 ||
			    box_dstream_feed(&ds, stream_buf + cut2,
			    stream_len - cut2, collect, &s, &err) != 0 ||
			    !check_sink(&s))
				bad++;
		}
	}
	is_int(bad, 0, "stream split in three");

	memset(&s, 0, sizeof(s));
	box_dstream_init(&ds);
	for (i = 0; i < stream_len; i++) {
		if (box_dstream_feed(&ds, stream_buf + i, 1, collect, &s,
		    &err) != 0)
			bad++;
		if (!box_dstream_partial(&ds))
			boundaries++;
	}
	is_int(bad, 0, "byte by byte");
	is_int(boundaries, 6, "partial everywhere but at the 6 frame ends");
	ok(check_sink(&s), "byte by byte payload");
	ok(!box_dstream_partial(&ds), "not partial at a frame boundary");

	memset(&s, 0, sizeof(s));
	box_dstream_init(&ds);
	is_int(box_dstream_feed(&ds, stream_buf, 0, collect, &s, &err), 0,
	    "empty feed");
	is_int(s.calls, 0, "empty feed calls nothing");
	ok(!box_dstream_partial(&ds), "empty feed is not partial");
}

static void
test_dstream_bad(void)
{
	struct box_dstream ds;
	struct box_error err;
	struct sink s;
	uint8_t buf[64];
	size_t n;
	int i;

	memset(&s, 0, sizeof(s));
	n = frame(buf, 3, "x", 1);
	box_dstream_init(&ds);
	is_int(box_dstream_feed(&ds, buf, n, collect, &s, &err), -1,
	    "stream type 3 rejected");
	is_int(err.kind, BOX_E_RUNTIME, "bad stream is a runtime error");
	is_int(s.calls, 0, "no payload delivered from a bad frame");

	n = frame(buf, 0xff, "x", 1);
	box_dstream_init(&ds);
	is_int(box_dstream_feed(&ds, buf, n, collect, &s, &err), -1,
	    "stream type 255 rejected");

	for (i = 1; i <= 3; i++) {
		char name[64];

		n = frame(buf, 1, "x", 1);
		buf[i] = 0x01;
		box_dstream_init(&ds);
		snprintf(name, sizeof(name), "non-zero reserved byte %d", i);
		is_int(box_dstream_feed(&ds, buf, n, collect, &s, &err), -1,
		    name);
	}

	/* Bad header after a good frame, split inside the bad header. */
	n = frame(buf, 1, "ok", 2);
	n += frame(buf + n, 7, "x", 1);
	memset(&s, 0, sizeof(s));
	box_dstream_init(&ds);
	is_int(box_dstream_feed(&ds, buf, 13, collect, &s, &err), 0,
	    "good frame then half a bad header");
	is_int(box_dstream_feed(&ds, buf + 13, n - 13, collect, &s, &err),
	    -1, "bad header completed later is rejected");
	is_int(s.n[1], 2, "good frame before it delivered");

	memcpy(buf, "\x01\x00\x00\x00\x01\x00\x00\x01", 8);
	box_dstream_init(&ds);
	is_int(box_dstream_feed(&ds, buf, 8, collect, &s, &err), -1,
	    "frame of 16 MiB + 1 rejected");
	memcpy(buf, "\x01\x00\x00\x00\xff\xff\xff\xff", 8);
	box_dstream_init(&ds);
	is_int(box_dstream_feed(&ds, buf, 8, collect, &s, &err), -1,
	    "frame of 4 GiB rejected");
	memcpy(buf, "\x02\x00\x00\x00\x01\x00\x00\x00", 8);
	box_dstream_init(&ds);
	is_int(box_dstream_feed(&ds, buf, 8, collect, &s, &err), 0,
	    "frame of exactly 16 MiB accepted");
	ok(box_dstream_partial(&ds), "and partial without its payload");

	n = frame(buf, 1, "abcdef", 6);
	box_dstream_init(&ds);
	box_dstream_feed(&ds, buf, 5, collect, &s, &err);
	ok(box_dstream_partial(&ds), "truncated header is partial");
	box_dstream_init(&ds);
	box_dstream_feed(&ds, buf, 11, collect, &s, &err);
	ok(box_dstream_partial(&ds), "truncated payload is partial");
	box_dstream_init(&ds);
	ok(!box_dstream_partial(&ds), "init resets");

	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	build_stream();
	box_dstream_init(&ds);
	is_int(box_dstream_feed(&ds, stream_buf, stream_len, collect, &s,
	    &err), -1, "callback failure stops the feed");
	is_int(s.calls, 2, "no call after the failing one");
}

static const char head101[] = "HTTP/1.1 101 UPGRADED\r\n"
    "Content-Type: application/vnd.docker.raw-stream\r\n"
    "Connection: Upgrade\r\n"
    "Upgrade: tcp\r\n"
    "\r\n";

static void
test_head(void)
{
	struct box_error err;
	char buf[32768];
	size_t hl = strlen(head101), i;
	int status, bad;
	long r;

	status = 0;
	is_int(box_http_parse_head(head101, hl, &status, &err), (long)hl,
	    "101 head parsed");
	is_int(status, 101, "status 101");

	memcpy(buf, head101, hl);
	memcpy(buf + hl, "\x01\x00\x00\x00\x00\x00\x00\x02hi", 10);
	status = 0;
	is_int(box_http_parse_head(buf, hl + 10, &status, &err), (long)hl,
	    "head length excludes the stream after it");

	bad = 0;
	for (i = 0; i < hl; i++)
		if (box_http_parse_head(head101, i, &status, &err) != 0)
			bad++;
	is_int(bad, 0, "every proper prefix is incomplete, not an error");

	status = 0;
	r = box_http_parse_head("HTTP/1.0 200 OK\r\n\r\n", 19, &status, &err);
	is_int(r, 19, "HTTP/1.0 200 without headers");
	is_int(status, 200, "status 200");
	r = box_http_parse_head("HTTP/1.1 404\r\nA: b\r\n\r\n", 22, &status,
	    &err);
	is_int(r, 22, "status line without a reason");
	is_int(status, 404, "status 404");

	is_int(box_http_parse_head("SSH-2.0-OpenSSH_9.2\r\n", 21, &status,
	    &err), -1, "non-HTTP garbage rejected");
	is_int(err.kind, BOX_E_RUNTIME, "garbage is a runtime error");
	is_int(box_http_parse_head("X", 1, &status, &err), -1,
	    "garbage rejected from the first byte");
	is_int(box_http_parse_head("HTTP/2 200\r\n\r\n", 14, &status, &err),
	    -1, "HTTP/2 rejected");
	is_int(box_http_parse_head("HTTP/1.1 20 OK\r\n\r\n", 18, &status,
	    &err), -1, "two-digit status rejected");
	is_int(box_http_parse_head("HTTP/1.1 999 X\r\n\r\n", 18, &status,
	    &err), -1, "status 999 rejected");
	is_int(box_http_parse_head("HTTP/1.1 2a0 X\r\n\r\n", 18, &status,
	    &err), -1, "non-digit status rejected");
	is_int(box_http_parse_head("HTTP/1.1 200OK\r\n\r\n", 18, &status,
	    &err), -1, "no space after status rejected");
	is_int(box_http_parse_head("HTTP/1.1 101 UP\n\n", 17, &status,
	    &err), -1, "bare LF rejected");
	is_int(box_http_parse_head("HTTP/1.1 101 UP\r\nX\r\n\r\n", 22,
	    &status, &err), -1, "header without colon rejected");
	is_int(box_http_parse_head("HTTP/1.1 101 UP\r\nA: \x1b[1m\r\n\r\n",
	    26, &status, &err), -1, "control character in header rejected");
	is_int(box_http_parse_head("HTTP/1.1 101 UP\r\n A: b\r\n\r\n", 26,
	    &status, &err), -1, "folded header rejected");
	is_int(box_http_parse_head("HTTP/1.1 101 UP\rX\r\n\r\n", 21, &status,
	    &err), -1, "CR without LF rejected");
	is_int(box_http_parse_head("HTTP/1.1 101 \x01\r\n\r\n", 18, &status,
	    &err), -1, "control character in reason rejected");
	memcpy(buf, "HTTP/1.1 101 UP\r\nA: b\0c\r\n\r\n", 27);
	is_int(box_http_parse_head(buf, 27, &status, &err), -1,
	    "NUL in header rejected");
	is_int(box_http_parse_head("", 0, &status, &err), 0,
	    "empty buffer is incomplete");

	/* A head of exactly 16 KiB is accepted, one byte more is not. */
	memcpy(buf, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(buf + 20, 'a', 16384 - 20 - 4);
	memcpy(buf + 16384 - 4, "\r\n\r\n", 4);
	is_int(box_http_parse_head(buf, 16384, &status, &err), 16384,
	    "16 KiB head accepted");
	memcpy(buf, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(buf + 20, 'a', 16385 - 20 - 4);
	memcpy(buf + 16385 - 4, "\r\n\r\n", 4);
	is_int(box_http_parse_head(buf, 16385, &status, &err), -1,
	    "head over 16 KiB rejected");
	memset(buf + 20, 'a', sizeof(buf) - 20);
	is_int(box_http_parse_head(buf, 16383, &status, &err), 0,
	    "unterminated head under 16 KiB is incomplete");
	is_int(box_http_parse_head(buf, sizeof(buf), &status, &err), -1,
	    "unterminated 32 KiB head rejected");
}

int
main(void)
{
	test_dstream_split();
	test_dstream_bad();
	test_head();
	return tap_done();
}
