/*
 * Unit tests for lib/agent/mux.c (the microVM link) and the QMP reader of
 * lib/runtime/microvm.c.  The host's end of the link runs for real in a
 * child, on a socket pair whose other end this test plays as the guest,
 * frame by frame -- including a guest that breaks the rules.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/mux.h"
#include "runtime/microvm.h"
#include "tap.h"

static long
parse(const void *buf, size_t len, int from_guest, struct box_mux_frame *f)
{
	struct box_error err;

	return box_mux_parse(buf, len, from_guest, f, &err);
}

static size_t
frame(uint8_t *b, int type, uint32_t chan, const void *p, size_t len)
{
	box_mux_header(b, type, chan, len);
	if (len > 0)
		memcpy(b + BOX_MUX_HDR, p, len);
	return BOX_MUX_HDR + len;
}

static void
test_parse(void)
{
	static uint8_t b[BOX_MUX_HDR + BOX_MUX_DATA_MAX + 16];
	struct box_mux_frame f;
	size_t n;

	n = frame(b, BOX_MUX_T_HELLO, 0, BOX_MUX_HELLO,
	    strlen(BOX_MUX_HELLO));
	is_int(parse(b, n, 1, &f), (long)n, "HELLO parses");
	is_int(parse(b, n - 1, 1, &f), 0, "HELLO cut short: need more");
	is_int(parse(b, 4, 1, &f), 0, "a header cut short: need more");
	n = frame(b, BOX_MUX_T_HELLO, 0, "sshbox-mux 2", 12);
	is_int(parse(b, n, 1, &f), -1, "HELLO of another version: refused");
	n = frame(b, BOX_MUX_T_HELLO, 3, BOX_MUX_HELLO,
	    strlen(BOX_MUX_HELLO));
	is_int(parse(b, n, 1, &f), -1, "HELLO on a channel: refused");
	n = frame(b, BOX_MUX_T_OPEN, 1, NULL, 0);
	is_int(parse(b, n, 0, &f), (long)n, "OPEN from the host parses");
	is_int(parse(b, n, 1, &f), -1, "OPEN from the guest: refused");
	n = frame(b, BOX_MUX_T_OPEN, 0, NULL, 0);
	is_int(parse(b, n, 0, &f), -1, "OPEN of channel 0: refused");
	n = frame(b, BOX_MUX_T_DATA, 2, "xyz", 3);
	ok(parse(b, n, 1, &f) == (long)n && f.chan == 2 && f.len == 3 &&
	    memcmp(f.payload, "xyz", 3) == 0, "DATA: channel and bytes");
	n = frame(b, BOX_MUX_T_DATA, 2, NULL, 0);
	is_int(parse(b, n, 1, &f), -1, "empty DATA: refused");
	box_mux_header(b, BOX_MUX_T_DATA, 2, BOX_MUX_DATA_MAX + 1);
	is_int(parse(b, BOX_MUX_HDR, 1, &f), -1,
	    "DATA over 64 KiB announced: refused before it arrives");
	box_mux_header(b, BOX_MUX_T_DATA, 2, 0xffffffffu);
	is_int(parse(b, BOX_MUX_HDR, 1, &f), -1, "a 4 GiB frame: refused");
	memset(b + BOX_MUX_HDR, 'a', BOX_MUX_DATA_MAX);
	box_mux_header(b, BOX_MUX_T_DATA, 2, BOX_MUX_DATA_MAX);
	is_int(parse(b, BOX_MUX_HDR + BOX_MUX_DATA_MAX, 1, &f),
	    BOX_MUX_HDR + BOX_MUX_DATA_MAX, "DATA of exactly 64 KiB parses");
	n = frame(b, BOX_MUX_T_ACK, 2, "\0\0\1\0", 4);
	is_int(parse(b, n, 1, &f), (long)n, "ACK parses");
	n = frame(b, BOX_MUX_T_ACK, 2, "\0\0\1", 3);
	is_int(parse(b, n, 1, &f), -1, "ACK of 3 bytes: refused");
	n = frame(b, BOX_MUX_T_CLOSE, 2, "x", 1);
	is_int(parse(b, n, 1, &f), -1, "CLOSE with a payload: refused");
	n = frame(b, 'Z', 2, NULL, 0);
	is_int(parse(b, n, 1, &f), -1, "an unknown type: refused");
}

/* ------------------------------------------------- the host's end, live */

static char dir[64];
static int dirfd_;

static int
ready(void *arg)
{
	struct sockaddr_un sa;
	int fd;

	(void)arg;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/agent.sock", dir);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 8) < 0)
		return -1;
	return fd;
}

/* A host end in a child: its exit status is 0 (link ended) or 1 (error). */
static pid_t
host(int link, int other)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct box_mux_opts o;
		struct box_error err;

		close(other);	/* the guest's end is the test's alone */
		memset(&o, 0, sizeof(o));
		o.link = link;
		o.extra_fd = -1;
		o.ready_fn = ready;
		if (box_mux_run(&o, &err) < 0) {
			fprintf(stderr, "# host: %s\n", err.msg);
			_exit(1);
		}
		_exit(0);
	}
	return pid;
}

/* Read one whole frame from fd within 5 s into buf; its type, or -1. */
static int
next(int fd, uint8_t *buf, struct box_mux_frame *f)
{
	size_t have = 0;

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long n = parse(buf, have, 0, f);
		ssize_t r;

		/* The host's frames, read as a guest reads them. */
		if (n > 0)
			return f->type;
		if (n < 0 || poll(&p, 1, 5000) <= 0)
			return -1;
		if ((r = read(fd, buf + have, 1)) <= 0)
			return -1;
		have += (size_t)r;
	}
}

static void
set_nonblock_fd(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int
connect_agent(void)
{
	struct sockaddr_un sa;
	int fd, i;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/agent.sock", dir);
	for (i = 0; i < 250; i++) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0 &&
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
		usleep(20000);
	}
	return -1;
}

static int
exit_of(pid_t pid)
{
	int st, i;

	for (i = 0; i < 250; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static void
test_host(void)
{
	static uint8_t buf[BOX_MUX_HDR + BOX_MUX_DATA_MAX], out[1024];
	struct box_mux_frame f;
	struct stat st;
	char got[16];
	int sv[2], c, n;
	size_t len;
	pid_t pid;

	snprintf(dir, sizeof(dir), "/tmp/test-mux.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	pid = host(sv[0], sv[1]);
	close(sv[0]);
	is_int(next(sv[1], buf, &f), BOX_MUX_T_HELLO, "the host greets");
	usleep(100000);
	ok(fstatat(dirfd_, "agent.sock", &st, 0) < 0,
	    "no sessions taken before the guest has said HELLO");
	len = frame(out, BOX_MUX_T_HELLO, 0, BOX_MUX_HELLO,
	    strlen(BOX_MUX_HELLO));
	if (write(sv[1], out, len) != (ssize_t)len)
		abort();
	c = connect_agent();
	ok(c >= 0, "then it listens");
	is_int(next(sv[1], buf, &f), BOX_MUX_T_OPEN, "a connection: OPEN");
	is_int((int)f.chan, 1, "  of channel 1");
	if (write(c, "abc", 3) != 3)
		abort();
	ok(next(sv[1], buf, &f) == BOX_MUX_T_DATA && f.chan == 1 &&
	    f.len == 3 && memcmp(f.payload, "abc", 3) == 0,
	    "its bytes reach the guest as DATA of channel 1");
	len = frame(out, BOX_MUX_T_DATA, 1, "xyz", 3);
	if (write(sv[1], out, len) != (ssize_t)len)
		abort();
	memset(got, 0, sizeof(got));
	n = (int)read(c, got, sizeof(got) - 1);
	is_str(n > 0 ? got : "", "xyz", "the guest's DATA reaches the connection");
	is_int(next(sv[1], buf, &f), BOX_MUX_T_ACK, "  and is acknowledged");
	len = frame(out, BOX_MUX_T_DATA, 9, "zzz", 3);
	if (write(sv[1], out, len) != (ssize_t)len)
		abort();
	len = frame(out, BOX_MUX_T_CLOSE, 1, NULL, 0);
	if (write(sv[1], out, len) != (ssize_t)len)
		abort();
	is_int((int)read(c, got, sizeof(got)), 0,
	    "the guest's CLOSE ends the connection (DATA of an unknown "
	    "channel dropped)");
	close(c);
	/* A connection that writes more than the window and closes: the
	 * host reads up to its credit, and the rest -- still in the socket
	 * after the hang-up -- once the guest acknowledges.  (It was lost:
	 * the hang-up without credit was taken for the end.) */
	c = connect_agent();
	is_int(next(sv[1], buf, &f), BOX_MUX_T_OPEN, "a connection that "
	    "writes 300 KiB and closes");
	{
		static uint8_t big[300 * 1024];
		uint32_t chan = f.chan;
		size_t nrecv = 0, acked = 0, off = 0;
		int closed = 0, t;
		uint8_t a[4];

		memset(big, 'b', sizeof(big));
		set_nonblock_fd(c);
		while (off < sizeof(big)) {
			struct pollfd p = { c, POLLOUT, 0 };
			ssize_t w;

			if (poll(&p, 1, 5000) <= 0)
				break;
			if ((w = write(c, big + off, sizeof(big) - off)) > 0)
				off += (size_t)w;
			/* Read what the host sends meanwhile, acking
			 * nothing yet. */
			while (nrecv < BOX_MUX_WINDOW && poll(&(struct pollfd){
			    sv[1], POLLIN, 0 }, 1, 0) > 0 &&
			    (t = next(sv[1], buf, &f)) == BOX_MUX_T_DATA)
				nrecv += f.len;
		}
		close(c);
		while (nrecv < BOX_MUX_WINDOW &&
		    (t = next(sv[1], buf, &f)) == BOX_MUX_T_DATA)
			nrecv += f.len;
		is_int((long)nrecv, BOX_MUX_WINDOW, "  the host sends a window's "
		    "worth, no more, unacknowledged");
		usleep(200000);	/* the hang-up has come by now */
		a[0] = a[1] = 0;
		a[2] = (BOX_MUX_WINDOW >> 8) & 0xff;
		a[3] = 0;
		a[1] = (BOX_MUX_WINDOW >> 16) & 0xff;
		len = frame(out, BOX_MUX_T_ACK, chan, a, 4);
		if (write(sv[1], out, len) != (ssize_t)len)
			abort();
		acked = nrecv;
		while ((t = next(sv[1], buf, &f)) > 0) {
			if (t == BOX_MUX_T_DATA)
				nrecv += f.len;
			else if (t == BOX_MUX_T_CLOSE) {
				closed = 1;
				break;
			}
		}
		(void)acked;
		is_int((long)nrecv, (long)sizeof(big), "  then the rest, after "
		    "the hang-up: all 300 KiB");
		ok(closed, "  and then CLOSE");
	}

	/* A guest that sends beyond its window ends the link: more than
	 * 256 KiB that the host could not deliver (a connection that reads
	 * nothing, with a small buffer). */
	c = connect_agent();
	{
		int small = 4096;

		setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	}
	is_int(next(sv[1], buf, &f), BOX_MUX_T_OPEN, "another connection");
	is_int((int)f.chan, 3, "  is channel 3 (never reused)");
	memset(buf, 'q', sizeof(buf));
	{
		size_t sent = 0;
		int i;

		for (i = 0; i < 16; i++) {
			box_mux_header(out, BOX_MUX_T_DATA, 3,
			    BOX_MUX_DATA_MAX);
			if (write(sv[1], out, BOX_MUX_HDR) != BOX_MUX_HDR)
				break;
			if (write(sv[1], buf, BOX_MUX_DATA_MAX) !=
			    BOX_MUX_DATA_MAX)
				break;
			sent += BOX_MUX_DATA_MAX;
		}
		/* 1 MiB unasked (the host may end the link before all
		 * of it is written). */
		(void)sent;
	}
	is_int(exit_of(pid), 1, "  the host ends the link: a protocol error");
	close(c);
	close(sv[1]);
	unlink(dir);

	/* A guest that opens a channel itself, and one that closes. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	unlinkat(dirfd_, "agent.sock", 0);
	pid = host(sv[0], sv[1]);
	close(sv[0]);
	len = frame(out, BOX_MUX_T_OPEN, 5, NULL, 0);
	if (write(sv[1], out, len) != (ssize_t)len)
		abort();
	is_int(exit_of(pid), 1, "an OPEN from the guest: the link ends");
	close(sv[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		abort();
	unlinkat(dirfd_, "agent.sock", 0);
	pid = host(sv[0], sv[1]);
	close(sv[0]);
	close(sv[1]);
	is_int(exit_of(pid), 0, "the guest's end closed: the host's ends, "
	    "cleanly");
	unlinkat(dirfd_, "agent.sock", 0);
	close(dirfd_);
	rmdir(dir);
}

static void
test_qmp(void)
{
	struct box_error err;
	json_object *r;
	char msg[64];
	int isret;
	const char *l;

	l = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}";
	ok(box_vm_parse_qmp(l, strlen(l), &isret, &r, msg, sizeof(msg),
	    &err) == 0 && isret == 0 && r == NULL, "the greeting: neither");
	l = "{\"return\": {\"running\": false, \"status\": \"paused\"}}";
	ok(box_vm_parse_qmp(l, strlen(l), &isret, &r, msg, sizeof(msg),
	    &err) == 0 && isret == 1 && r != NULL &&
	    json_object_is_type(r, json_type_object), "a return value");
	json_object_put(r);
	l = "{\"error\": {\"class\": \"x\", \"desc\": \"no\\u001bpe\"}}";
	ok(box_vm_parse_qmp(l, strlen(l), &isret, &r, msg, sizeof(msg),
	    &err) == 0 && isret == -1 && r == NULL, "an error");
	is_str(msg, "no?pe", "  its description, made printable");
	l = "{\"event\": \"STOP\", \"timestamp\": {}}";
	ok(box_vm_parse_qmp(l, strlen(l), &isret, &r, msg, sizeof(msg),
	    &err) == 0 && isret == 0, "an event: neither");
	l = "[1, 2]";
	is_int(box_vm_parse_qmp(l, strlen(l), &isret, &r, msg, sizeof(msg),
	    &err), -1, "not an object: refused");
	l = "{\"return\": {}} trailing";
	is_int(box_vm_parse_qmp(l, strlen(l), &isret, &r, msg, sizeof(msg),
	    &err), -1, "bytes after the object: refused");
	l = "{\"a\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}";
	is_int(box_vm_parse_qmp(l, strlen(l), &isret, &r, msg, sizeof(msg),
	    &err), -1, "nested too deep: refused");
	is_int(box_vm_parse_qmp("{\"return\"\0:1}", 13, &isret, &r, msg,
	    sizeof(msg), &err), -1, "a NUL inside: refused");
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_parse();
	test_host();
	test_qmp();
	return tap_done();
}
