/* The box-agent protocol: frames, session requests, descriptor passing. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"

/* OPEN field tags. */
#define TAG_SHELL	's'
#define TAG_WORKDIR	'd'
#define TAG_COMMAND	'c'
#define TAG_ENV		'e'
#define TAG_PORT	'p'
#define OPEN_HEAD	6	/* version, flags, rows, cols */

void
box_agent_put_u16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
box_agent_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

unsigned
box_agent_get_u16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

uint32_t
box_agent_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
box_agent_type_to_agent(int type)
{
	return type == BOX_AGF_OPEN || type == BOX_AGF_STDIN ||
	    type == BOX_AGF_EOF || type == BOX_AGF_RESIZE ||
	    type == BOX_AGF_SIGNAL || type == BOX_AGF_END;
}

int
box_agent_type_to_host(int type)
{
	return type == BOX_AGF_HELLO || type == BOX_AGF_STARTED ||
	    type == BOX_AGF_STDOUT || type == BOX_AGF_STDERR ||
	    type == BOX_AGF_EXIT || type == BOX_AGF_FAIL;
}

/* The payload sizes each type allows: [min, max]. */
static int
size_ok(int type, size_t len)
{
	switch (type) {
	case BOX_AGF_OPEN:
		return len >= OPEN_HEAD && len <= BOX_AGENT_FRAME_MAX - 1;
	case BOX_AGF_STDIN:
	case BOX_AGF_STDOUT:
	case BOX_AGF_STDERR:
		return len >= 1 && len <= BOX_AGENT_DATA_MAX;
	case BOX_AGF_EOF:
	case BOX_AGF_END:
		return len == 0;
	case BOX_AGF_RESIZE:
		return len == 4;
	case BOX_AGF_SIGNAL:
		return len == 1;
	case BOX_AGF_HELLO:
		return len == 5;
	case BOX_AGF_STARTED:
		return len == 4;
	case BOX_AGF_EXIT:
		return len == 2;
	case BOX_AGF_FAIL:
		return len <= BOX_AGENT_FAIL_MAX;
	}
	return 0;
}

long
box_agent_frame_parse(const uint8_t *buf, size_t len, int to_host,
    struct box_agent_frame *f, struct box_error *err)
{
	uint32_t n;

	if (len < 4)
		return 0;
	n = box_agent_get_u32(buf);
	if (n == 0 || n > BOX_AGENT_FRAME_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "agent frame of %lu bytes", (unsigned long)n);
	if (len < 5)
		return 0;
	if (!(to_host ? box_agent_type_to_host(buf[4]) :
	    box_agent_type_to_agent(buf[4])))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "unexpected agent frame type 0x%02x", buf[4]);
	if (!size_ok(buf[4], n - 1))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "agent frame '%c' with a payload of %lu bytes", buf[4],
		    (unsigned long)(n - 1));
	if (len - 4 < n)
		return 0;
	f->type = buf[4];
	f->payload = buf + 5;
	f->len = n - 1;
	return (long)n + 4;
}

int
box_agent_frame_header(uint8_t hdr[5], int type, size_t len)
{
	if (len > BOX_AGENT_FRAME_MAX - 1)
		return -1;
	box_agent_put_u32(hdr, (uint32_t)len + 1);
	hdr[4] = (uint8_t)type;
	return 0;
}

static int
printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* NAME=value, NAME of [A-Za-z_][A-Za-z0-9_]*, value printable. */
static int
env_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !((s[0] >= 'A' && s[0] <= 'Z') ||
	    (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (i = 1; i < n && s[i] != '='; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return i < n && printable(s, n);
}

static int
path_ok(const char *s, size_t n)
{
	return n > 0 && n < BOX_AGENT_PATH_MAX && s[0] == '/' &&
	    printable(s, n);
}

static int
put_field(uint8_t *buf, size_t bufsz, size_t *off, int tag, const void *p,
    size_t n)
{
	if (n > BOX_AGENT_FRAME_MAX || bufsz - *off < 5 + n)
		return -1;
	buf[*off] = (uint8_t)tag;
	box_agent_put_u32(buf + *off + 1, (uint32_t)n);
	memcpy(buf + *off + 5, p, n);
	*off += 5 + n;
	return 0;
}

/*
 * What a request asks for: a login (LOGIN, no command), a command, or a
 * TCP stream (TCP and a port, no terminal, no descriptors, no command).
 */
static int
kind_ok(unsigned flags, int has_command, unsigned port)
{
	if (flags & BOX_AGO_TCP)
		return port >= 1 && port <= 65535 && !has_command &&
		    (flags & (BOX_AGO_TTY | BOX_AGO_PASSFD | BOX_AGO_LOGIN)) ==
		    0;
	return port == 0 && ((flags & BOX_AGO_LOGIN) != 0) != has_command;
}

long
box_agent_open_build(const struct box_agent_open *o, uint8_t *buf,
    size_t bufsz, struct box_error *err)
{
	size_t off = OPEN_HEAD, i, n;
	uint8_t port[2];

	box_agent_put_u16(port, o->port);
	if (bufsz < OPEN_HEAD || (o->flags & ~(unsigned)BOX_AGO_ALL) != 0 ||
	    o->rows > 65535 || o->cols > 65535 ||
	    !path_ok(o->shell, strlen(o->shell)) ||
	    (o->workdir[0] != '\0' && !path_ok(o->workdir,
	    strlen(o->workdir))) ||
	    !kind_ok(o->flags, o->command != NULL, o->port) ||
	    (o->command != NULL && (o->ncommand > BOX_AGENT_CMD_MAX ||
	    memchr(o->command, '\0', o->ncommand) != NULL)) ||
	    o->nenv > BOX_AGENT_ENV_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid session request");
	buf[0] = BOX_AGENT_VERSION;
	buf[1] = (uint8_t)o->flags;
	box_agent_put_u16(buf + 2, o->rows);
	box_agent_put_u16(buf + 4, o->cols);
	if (put_field(buf, bufsz, &off, TAG_SHELL, o->shell,
	    strlen(o->shell)) < 0 || (o->workdir[0] != '\0' &&
	    put_field(buf, bufsz, &off, TAG_WORKDIR, o->workdir,
	    strlen(o->workdir)) < 0) || (o->command != NULL &&
	    put_field(buf, bufsz, &off, TAG_COMMAND, o->command,
	    o->ncommand) < 0) || (o->port != 0 &&
	    put_field(buf, bufsz, &off, TAG_PORT, port, 2) < 0))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "session request too long");
	for (i = 0; i < o->nenv; i++) {
		n = strnlen(o->env[i], BOX_AGENT_ENVVAR_MAX);
		if (n == BOX_AGENT_ENVVAR_MAX || !env_ok(o->env[i], n) ||
		    put_field(buf, bufsz, &off, TAG_ENV, o->env[i], n) < 0)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid environment entry");
	}
	return (long)off;
}

int
box_agent_open_parse(const uint8_t *p, size_t len, struct box_agent_open *o,
    struct box_error *err)
{
	size_t off = OPEN_HEAD, n;
	int tag, have_shell = 0, have_dir = 0, have_port = 0;

	memset(o, 0, sizeof(*o));
	if (len < OPEN_HEAD || p[0] != BOX_AGENT_VERSION)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "session request of another version");
	o->flags = p[1];
	if ((o->flags & ~(unsigned)BOX_AGO_ALL) != 0)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "unknown session flags");
	o->rows = box_agent_get_u16(p + 2);
	o->cols = box_agent_get_u16(p + 4);
	while (off < len) {
		if (len - off < 5)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "session request cut short");
		tag = p[off];
		n = box_agent_get_u32(p + off + 1);
		off += 5;
		if (n > len - off)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "session request field too long");
		switch (tag) {
		case TAG_SHELL:
		case TAG_WORKDIR:
			if ((tag == TAG_SHELL ? have_shell : have_dir) ||
			    !path_ok((const char *)p + off, n))
				return box_error_set(err, BOX_E_INPUT, 0,
				    "invalid %s", tag == TAG_SHELL ? "shell" :
				    "working directory");
			memcpy(tag == TAG_SHELL ? o->shell : o->workdir,
			    p + off, n);
			*(tag == TAG_SHELL ? &have_shell : &have_dir) = 1;
			break;
		case TAG_COMMAND:
			if (o->command != NULL || n > BOX_AGENT_CMD_MAX ||
			    memchr(p + off, '\0', n) != NULL)
				return box_error_set(err, BOX_E_INPUT, 0,
				    "invalid command");
			o->command = (const char *)p + off;
			o->ncommand = n;
			break;
		case TAG_ENV:
			if (o->nenv == BOX_AGENT_ENV_MAX ||
			    n >= BOX_AGENT_ENVVAR_MAX ||
			    !env_ok((const char *)p + off, n))
				return box_error_set(err, BOX_E_INPUT, 0,
				    "invalid environment entry");
			memcpy(o->env[o->nenv++], p + off, n);
			break;
		case TAG_PORT:
			if (have_port || n != 2 ||
			    box_agent_get_u16(p + off) == 0)
				return box_error_set(err, BOX_E_INPUT, 0,
				    "invalid port");
			o->port = box_agent_get_u16(p + off);
			have_port = 1;
			break;
		default:
			return box_error_set(err, BOX_E_INPUT, 0,
			    "unknown session request field");
		}
		off += n;
	}
	if (!have_shell)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "session request without a shell");
	if (!kind_ok(o->flags, o->command != NULL, o->port))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "session request is not one of a login, a command or a "
		    "port");
	return 0;
}

int
box_agent_parse_hello(const struct box_agent_frame *f, unsigned *version,
    uint32_t *pid, struct box_error *err)
{
	if (f->type != BOX_AGF_HELLO || f->len != 5)
		return box_error_set(err, BOX_E_INPUT, 0, "no agent greeting");
	*version = f->payload[0];
	*pid = box_agent_get_u32(f->payload + 1);
	if (*version != BOX_AGENT_VERSION)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "agent speaks version %u, not %d", *version,
		    BOX_AGENT_VERSION);
	return 0;
}

int
box_agent_parse_exit(const struct box_agent_frame *f,
    struct box_agent_exit *e, struct box_error *err)
{
	if (f->type != BOX_AGF_EXIT || f->len != 2 || f->payload[0] > 1 ||
	    (f->payload[0] == 1 && (f->payload[1] == 0 ||
	    f->payload[1] > 64)))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "malformed exit status from the agent");
	e->signalled = f->payload[0];
	e->value = f->payload[1];
	return 0;
}

int
box_agent_parse_resize(const struct box_agent_frame *f, unsigned *rows,
    unsigned *cols, struct box_error *err)
{
	if (f->type != BOX_AGF_RESIZE || f->len != 4)
		return box_error_set(err, BOX_E_INPUT, 0, "malformed resize");
	*rows = box_agent_get_u16(f->payload);
	*cols = box_agent_get_u16(f->payload + 2);
	if (*rows == 0 || *cols == 0)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid terminal size");
	return 0;
}

int
box_agent_signal_ok(int sig)
{
	return sig == SIGHUP || sig == SIGINT || sig == SIGQUIT ||
	    sig == SIGTERM || sig == SIGKILL || sig == SIGUSR1 ||
	    sig == SIGUSR2 || sig == SIGWINCH || sig == SIGCONT ||
	    sig == SIGSTOP || sig == SIGTSTP;
}

int
box_agent_parse_signal(const struct box_agent_frame *f, int *sig,
    struct box_error *err)
{
	if (f->type != BOX_AGF_SIGNAL || f->len != 1 ||
	    !box_agent_signal_ok(f->payload[0]))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "signal not allowed");
	*sig = f->payload[0];
	return 0;
}

void
box_agent_parse_fail(const struct box_agent_frame *f, char *out,
    size_t outsz)
{
	size_t i, j = 0;

	for (i = 0; i < f->len && j + 1 < outsz; i++) {
		unsigned char c = f->payload[i];

		out[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (outsz > 0)
		out[j] = '\0';
}

/* ------------------------------------------------------------ connection */

int
box_agent_conn_init(struct box_agent_conn *c, int fd, int to_host,
    struct box_error *err)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->to_host = to_host;
	c->fds[0] = c->fds[1] = c->fds[2] = -1;
	if ((c->buf = malloc(BOX_AGENT_FRAME_MAX + 4)) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, errno,
		    "agent buffer");
	return 0;
}

void
box_agent_conn_free(struct box_agent_conn *c)
{
	int i;

	for (i = 0; i < c->nfds; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	c->nfds = 0;
	free(c->buf);
	c->buf = NULL;
}

/* Drop the frame last returned. */
static void
compact(struct box_agent_conn *c)
{
	if (c->used == 0)
		return;
	memmove(c->buf, c->buf + c->used, c->len - c->used);
	c->len -= c->used;
	c->used = 0;
}

int
box_agent_conn_fill(struct box_agent_conn *c, struct box_error *err)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} cbuf;
	struct cmsghdr *cm;
	struct msghdr msg;
	struct iovec iov;
	size_t i, n;
	ssize_t r;
	int fds[8];

	compact(c);
	if (c->len == BOX_AGENT_FRAME_MAX + 4)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "agent connection overflowed");
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = c->buf + c->len;
	iov.iov_len = BOX_AGENT_FRAME_MAX + 4 - c->len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	do
		r = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (r < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno,
		    "agent connection");
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
	    cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > 8)
			n = 8;
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		for (i = 0; i < n; i++) {
			if (c->nfds < 3)
				c->fds[c->nfds++] = fds[i];
			else
				close(fds[i]);
		}
	}
	if (r == 0) {
		c->eof = 1;
		return 0;
	}
	c->len += (size_t)r;
	return 1;
}

int
box_agent_conn_next(struct box_agent_conn *c, struct box_agent_frame *f,
    struct box_error *err)
{
	long n;

	compact(c);
	n = box_agent_frame_parse(c->buf, c->len, c->to_host, f, err);
	if (n <= 0)
		return (int)n;
	c->used = (size_t)n;	/* dropped at the next call on c */
	return 1;
}

int
box_agent_send(int fd, int type, const void *payload, size_t len,
    const int *fds, int nfds, int wait_ms, struct box_error *err)
{
	struct timespec ts;
	int64_t end;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 3)];
	} cbuf;
	struct msghdr msg;
	struct iovec iov[2];
	uint8_t hdr[5];
	size_t off = 0, total = 5 + len;
	ssize_t n;

	if (nfds < 0 || nfds > 3 || box_agent_frame_header(hdr, type,
	    len) < 0)
		return box_error_set(err, BOX_E_INPUT, 0, "frame too long");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + wait_ms;
	while (off < total) {
		memset(&msg, 0, sizeof(msg));
		if (off < 5) {
			iov[0].iov_base = hdr + off;
			iov[0].iov_len = 5 - off;
			iov[1].iov_base = (void *)payload;
			iov[1].iov_len = len;
			msg.msg_iovlen = len > 0 ? 2 : 1;
		} else {
			iov[0].iov_base = (uint8_t *)payload + (off - 5);
			iov[0].iov_len = total - off;
			msg.msg_iovlen = 1;
		}
		msg.msg_iov = iov;
		if (off == 0 && nfds > 0) {
			memset(&cbuf, 0, sizeof(cbuf));
			msg.msg_control = cbuf.buf;
			msg.msg_controllen = CMSG_SPACE(sizeof(int) *
			    (size_t)nfds);
			CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
			CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
			CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int) *
			    (size_t)nfds);
			memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), fds,
			    sizeof(int) * (size_t)nfds);
		}
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { fd, POLLOUT, 0 };
			int64_t now;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
			if (wait_ms >= 0 && now >= end)
				return box_error_set(err, BOX_E_RUNTIME, 0,
				    "agent connection stalled");
			if (poll(&pfd, 1, wait_ms < 0 ? -1 :
			    (int)(end - now)) < 0 && errno != EINTR)
				return box_error_set(err, BOX_E_RUNTIME, errno,
				    "agent connection");
			continue;
		}
		if (n <= 0)
			return box_error_set(err, BOX_E_RUNTIME, errno,
			    "agent connection");
		off += (size_t)n;
	}
	return 0;
}
