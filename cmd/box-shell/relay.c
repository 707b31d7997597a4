/*
 * The relay: bytes between sshd's channel (our stdin, stdout, stderr) and
 * the exec stream of a box, demultiplexing stdout and stderr when there is
 * no TTY, following window size changes, and warning the guest before the
 * box's deadline.  All descriptors are non-blocking and every direction
 * has a bounded buffer, so a peer that stops reading can never wedge the
 * loop: signals and the deadline are always seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "dstream.h"
#include "relay.h"
#include "util.h"

#define BUFSZ		(64 * 1024)
#define READSZ		(16 * 1024)
#define MAX_WARN	8
#define DRAIN_SECONDS	5	/* flushing output after the process ended */

struct buf {
	uint8_t	 data[BUFSZ];
	size_t	 off, len;
};

static int sigpipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;

	/* A full pipe already holds a wake-up: a failed write is fine. */
	if (write(sigpipe[1], &c, 1) < 0)
		errno = saved;
	errno = saved;
}

static size_t
buf_room(const struct buf *b)
{
	return BUFSZ - b->off - b->len;
}

static void
buf_put(struct buf *b, const uint8_t *p, size_t n)
{
	if (b->len == 0)
		b->off = 0;
	if (b->off + b->len + n > BUFSZ) {
		memmove(b->data, b->data + b->off, b->len);
		b->off = 0;
	}
	memcpy(b->data + b->off + b->len, p, n);
	b->len += n;
}

/* Write what fd takes now.  -1 when the peer is gone. */
static int
buf_flush(struct buf *b, int fd)
{
	ssize_t n;

	while (b->len > 0) {
		n = write(fd, b->data + b->off, b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		b->off += (size_t)n;
		b->len -= (size_t)n;
	}
	b->off = 0;
	return 0;
}

struct outs {
	struct buf out, err;
};

static int
demux_cb(void *arg, int stream, const uint8_t *data, size_t len)
{
	struct outs *o = arg;

	buf_put(stream == BOX_DSTREAM_STDERR ? &o->err : &o->out, data, len);
	return 0;
}

/* Non-blocking I/O; the flags of fds 0..2 are restored on the way out. */
static int stdflags[3] = { -1, -1, -1 };

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fd >= 0 && fd <= 2)
		stdflags[fd] = fl;
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void
restore_std(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (stdflags[fd] >= 0)
			fcntl(fd, F_SETFL, stdflags[fd]);
}

/* A notice for the guest on stderr, queued behind what is already there. */
static void
notice(const struct relay_opts *o, struct outs *q, const char *msg)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "%ssshbox: %s%s", o->tty ? "\r\n" :
	    "", msg, o->tty ? "\r\n" : "\n");
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* On a terminal the notice goes in line with the output. */
	if (buf_room(o->tty ? &q->out : &q->err) >= (size_t)n)
		buf_put(o->tty ? &q->out : &q->err, (const uint8_t *)line,
		    (size_t)n);
}

static void
warn_remaining(const struct relay_opts *o, struct outs *q, int64_t left)
{
	char d[32], msg[128];

	box_format_duration(left, d, sizeof(d));
	snprintf(msg, sizeof(msg), "this box will be destroyed in %s", d);
	notice(o, q, msg);
}

static void
resize(struct box_runtime *rt, struct box_exec *ex)
{
	struct winsize ws;
	struct box_error err;

	if (ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		rt->ops->exec_resize(rt, ex, ws.ws_row, ws.ws_col, &err);
}

/* Milliseconds until t (clamped to [0, 60 s]). */
static int
ms_until(int64_t t, int64_t now)
{
	int64_t ms = (t - now) * 1000;

	if (ms < 0)
		return 0;
	return ms > 60000 ? 60000 : (int)ms;
}

int
relay_run(struct box_runtime *rt, struct box_exec *ex,
    const struct relay_opts *o, int *status, struct box_error *err)
{
	static struct outs q;
	static struct buf in;
	struct termios saved, raw;
	struct box_dstream ds;
	struct sigaction sa;
	uint8_t tmp[READSZ];
	int warned[MAX_WARN] = { 0 };
	int in_open = o->stdin_open, box_open = 1, wr_shut = 0, raw_set = 0;
	int end = -1, errfd = o->tty ? 1 : 2;
	int64_t drain_until = 0;
	size_t i, nwarn = o->nwarn < MAX_WARN ? o->nwarn : MAX_WARN;
	ssize_t n;

	memset(&q, 0, sizeof(q));
	memset(&in, 0, sizeof(in));
	if (pipe2(sigpipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno, "pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Warnings already inside their window at start: only the nearest. */
	for (i = 0; i < nwarn; i++) {
		int64_t left = o->deadline - box_now();
		size_t j;

		if (left > o->warn[i])
			continue;
		warned[i] = 1;
		for (j = 0; j < nwarn; j++)
			if (o->warn[j] < o->warn[i] && left <= o->warn[j])
				break;
		if (j == nwarn && left > 0)
			warn_remaining(o, &q, left);
	}

	if (o->tty && isatty(0) && tcgetattr(0, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		if (tcsetattr(0, TCSAFLUSH, &raw) == 0)
			raw_set = 1;
	}
	if (o->tty)
		resize(rt, ex);
	set_nonblock(ex->fd);
	set_nonblock(0);
	set_nonblock(1);
	set_nonblock(2);
	box_dstream_init(&ds);
	if (ex->npending > 0) {
		if (o->tty)
			buf_put(&q.out, ex->pending, ex->npending);
		else if (box_dstream_feed(&ds, ex->pending, ex->npending,
		    demux_cb, &q, err) < 0)
			goto fail;
		ex->npending = 0;
	}

	while (end < 0) {
		struct pollfd pfd[5];
		int64_t now = box_now(), next = o->deadline;
		int np = 0, ibox = -1, iin = -1, iout = -1, ierr = -1, timeout;
		int room = buf_room(&q.out) >= READSZ &&
		    buf_room(&q.err) >= READSZ;

		if (!in_open && in.len == 0 && !wr_shut && box_open) {
			shutdown(ex->fd, SHUT_WR);
			wr_shut = 1;
		}
		if (!box_open && q.out.len == 0 && q.err.len == 0) {
			end = RELAY_EXITED;
			break;
		}
		for (i = 0; i < nwarn; i++)
			if (!warned[i] && o->deadline - o->warn[i] < next)
				next = o->deadline - o->warn[i];
		timeout = ms_until(next, now);
		if (!box_open)
			timeout = ms_until(drain_until, now);

		pfd[np++] = (struct pollfd){ sigpipe[0], POLLIN, 0 };
		if (box_open && (room || in.len > 0)) {
			ibox = np;
			pfd[np++] = (struct pollfd){ ex->fd,
			    (short)((room ? POLLIN : 0) |
			    (in.len > 0 ? POLLOUT : 0)), 0 };
		}
		if (in_open && buf_room(&in) >= READSZ) {
			iin = np;
			pfd[np++] = (struct pollfd){ 0, POLLIN, 0 };
		}
		if (q.out.len > 0) {
			iout = np;
			pfd[np++] = (struct pollfd){ 1, POLLOUT, 0 };
		}
		if (q.err.len > 0) {
			ierr = np;
			pfd[np++] = (struct pollfd){ errfd, POLLOUT, 0 };
		}
		if (poll(pfd, (nfds_t)np, timeout) < 0 && errno != EINTR) {
			box_error_set(err, BOX_E_INTERNAL, errno, "poll");
			goto fail;
		}

		now = box_now();
		if (!box_open && now >= drain_until) {
			end = RELAY_EXITED;	/* the guest stopped reading */
			break;
		}
		for (i = 0; i < nwarn; i++) {
			if (!warned[i] && now >= o->deadline - o->warn[i]) {
				warned[i] = 1;
				warn_remaining(o, &q, o->deadline - now);
			}
		}
		if (now >= o->deadline) {
			notice(o, &q, "time is up: this box is being destroyed");
			buf_flush(&q.out, 1);
			buf_flush(&q.err, errfd);
			end = RELAY_DEADLINE;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			unsigned char sig;

			while (read(sigpipe[0], &sig, 1) == 1) {
				if (sig == SIGWINCH && o->tty)
					resize(rt, ex);
				else if (sig != SIGWINCH)
					end = RELAY_HANGUP;
			}
			if (end >= 0)
				break;
		}
		if (ibox >= 0 && (pfd[ibox].revents & POLLOUT)) {
			if (buf_flush(&in, ex->fd) < 0) {
				in.len = 0;
				in_open = 0;
			}
		}
		if (ibox >= 0 && room && (pfd[ibox].revents &
		    (POLLIN | POLLHUP | POLLERR))) {
			n = read(ex->fd, tmp, sizeof(tmp));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				box_open = 0;
				in_open = 0;
				drain_until = now + DRAIN_SECONDS;
			} else if (o->tty) {
				buf_put(&q.out, tmp, (size_t)n);
			} else if (box_dstream_feed(&ds, tmp, (size_t)n,
			    demux_cb, &q, err) < 0) {
				box_error_wrap(err, "runtime stream");
				goto fail;
			}
		}
		if (iin >= 0 && (pfd[iin].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(0, tmp, sizeof(tmp));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				in_open = 0;
				if (o->tty)
					end = RELAY_HANGUP;
			} else {
				buf_put(&in, tmp, (size_t)n);
			}
		}
		if ((iout >= 0 && (pfd[iout].revents & (POLLOUT | POLLERR |
		    POLLHUP)) && buf_flush(&q.out, 1) < 0) ||
		    (ierr >= 0 && (pfd[ierr].revents & (POLLOUT | POLLERR |
		    POLLHUP)) && buf_flush(&q.err, errfd) < 0))
			end = RELAY_HANGUP;	/* the guest went away */
	}
	if (raw_set)
		tcsetattr(0, TCSAFLUSH, &saved);
	restore_std();
	if (end == RELAY_EXITED) {
		if (rt->ops->exec_status(rt, ex, status, err) < 0)
			return -1;
		if (*status < 0)
			end = RELAY_GONE;
	}
	return end;
fail:
	if (raw_set)
		tcsetattr(0, TCSAFLUSH, &saved);
	restore_std();
	return -1;
}
