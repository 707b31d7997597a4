/*
 * The relay: bytes between sshd's channel (our stdin, stdout, stderr) and
 * the exec stream of a box, demultiplexing stdout and stderr when there is
 * no TTY, following window size changes, and warning the guest before the
 * box's deadline.
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

static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { fd, POLLOUT, 0 };

			poll(&pfd, 1, 1000);
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
demux_cb(void *arg, int stream, const uint8_t *data, size_t len)
{
	int *broken = arg;

	if (write_all(stream == BOX_DSTREAM_STDERR ? 2 : 1, data, len) < 0)
		*broken = 1;
	return 0;
}

static void
notice(const struct relay_opts *o, const char *msg)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "%ssshbox: %s%s", o->tty ? "\r\n" :
	    "", msg, o->tty ? "\r\n" : "\n");
	if (n > 0)
		write_all(2, line, (size_t)n < sizeof(line) ? (size_t)n :
		    sizeof(line) - 1);
}

static void
warn_remaining(const struct relay_opts *o, int64_t left)
{
	char d[32], msg[128];

	box_format_duration(left, d, sizeof(d));
	snprintf(msg, sizeof(msg), "this box will be destroyed in %s", d);
	notice(o, msg);
}

static void
resize(struct box_runtime *rt, struct box_exec *ex)
{
	struct winsize ws;
	struct box_error err;

	if (ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		rt->ops->exec_resize(rt, ex, ws.ws_row, ws.ws_col, &err);
}

int
relay_run(struct box_runtime *rt, struct box_exec *ex,
    const struct relay_opts *o, int *status, struct box_error *err)
{
	struct termios saved, raw;
	struct box_dstream ds;
	struct sigaction sa;
	uint8_t buf[32768];
	int warned[8] = { 0 };
	int in_open = o->stdin_open, raw_set = 0, broken = 0, end = -1;
	size_t i;
	ssize_t n;

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
	for (i = 0; i < o->nwarn && i < 8; i++) {
		size_t j;
		int64_t left = o->deadline - box_now();

		if (left > o->warn[i])
			continue;
		warned[i] = 1;
		for (j = 0; j < o->nwarn; j++)
			if (o->warn[j] < o->warn[i] && left <= o->warn[j])
				break;
		if (j == o->nwarn && left > 0)
			warn_remaining(o, left);
	}

	if (o->tty && isatty(0) && tcgetattr(0, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		if (tcsetattr(0, TCSAFLUSH, &raw) == 0)
			raw_set = 1;
	}
	if (o->tty)
		resize(rt, ex);
	box_dstream_init(&ds);
	if (ex->npending > 0) {
		if (o->tty)
			write_all(1, ex->pending, ex->npending);
		else if (box_dstream_feed(&ds, ex->pending, ex->npending,
		    demux_cb, &broken, err) < 0)
			goto fail;
		ex->npending = 0;
	}
	if (!in_open)
		shutdown(ex->fd, SHUT_WR);

	while (end < 0) {
		struct pollfd pfd[3];
		int64_t now = box_now(), next = o->deadline;
		int timeout, np = 0, idx_in = -1;

		for (i = 0; i < o->nwarn && i < 8; i++)
			if (!warned[i] && o->deadline - o->warn[i] < next)
				next = o->deadline - o->warn[i];
		timeout = next <= now ? 0 : (int)((next - now) * 1000);
		if (timeout > 60000)
			timeout = 60000;
		pfd[np++] = (struct pollfd){ ex->fd, POLLIN, 0 };
		pfd[np++] = (struct pollfd){ sigpipe[0], POLLIN, 0 };
		if (in_open) {
			idx_in = np;
			pfd[np++] = (struct pollfd){ 0, POLLIN, 0 };
		}
		if (poll(pfd, (nfds_t)np, timeout) < 0 && errno != EINTR) {
			box_error_set(err, BOX_E_INTERNAL, errno, "poll");
			goto fail;
		}
		now = box_now();
		for (i = 0; i < o->nwarn && i < 8; i++) {
			if (!warned[i] && now >= o->deadline - o->warn[i]) {
				warned[i] = 1;
				warn_remaining(o, o->deadline - now);
			}
		}
		if (now >= o->deadline) {
			notice(o, "time is up: this box is being destroyed");
			end = RELAY_DEADLINE;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			unsigned char sig;

			while (read(sigpipe[0], &sig, 1) == 1) {
				if (sig == SIGWINCH && o->tty)
					resize(rt, ex);
				else if (sig != SIGWINCH)
					end = RELAY_HANGUP;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(ex->fd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				end = RELAY_EXITED;
				break;
			}
			if (o->tty) {
				if (write_all(1, buf, (size_t)n) < 0)
					broken = 1;
			} else if (box_dstream_feed(&ds, buf, (size_t)n,
			    demux_cb, &broken, err) < 0) {
				box_error_wrap(err, "runtime stream");
				goto fail;
			}
			if (broken)
				end = RELAY_HANGUP;
		}
		if (idx_in >= 0 && (pfd[idx_in].revents &
		    (POLLIN | POLLHUP | POLLERR))) {
			n = read(0, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				in_open = 0;
				if (o->tty)
					end = RELAY_HANGUP;
				else
					shutdown(ex->fd, SHUT_WR);
			} else if (write_all(ex->fd, buf, (size_t)n) < 0) {
				in_open = 0;
			}
		}
	}
	if (raw_set)
		tcsetattr(0, TCSAFLUSH, &saved);
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
	return -1;
}
