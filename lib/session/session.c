/*
 * Sessions over the box's agent: pass-through and relay (session.h).  All
 * descriptors are non-blocking in relay mode and every direction has a
 * bounded buffer, so a peer that stops reading never wedges the loop:
 * signals and the deadline are always seen.  Whatever the agent sends is
 * the guest's and is parsed with a bound on every length.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "agent/agent.h"
#include "runtime/runtime.h"
#include "session/record.h"
#include "session/session.h"
#include "session/watch.h"
#include "core/util.h"

#define BUFSZ		(256 * 1024)
#define MAX_WARN	8
#define REFRESH_SECONDS	10	/* the deadline is read again this often */
#define HELLO_MS	10000	/* for the agent to greet and start */
#define END_MS		3000	/* for the agent to end a session */
#define ENV_MAX		32	/* TERM, a profile's 16, the locale */

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

struct sess {
	const struct box_session_opts *o;
	int64_t	 wall0, mono0;	/* the wall clock and the monotonic one
				 * (ms) at the start: see sess_now() */
	int	 esc, escp, esch;	/* the guest's screen: escape parse */
	int	 alt;		/* a full-screen program holds it */
	unsigned short rows, cols;	/* the size last sent */
	char	 held[128];	/* a warning held while it does */
	struct box_agent_conn c;
	struct buf out, err;	/* to the guest (relay; and notices) */
	struct buf in;		/* from the guest to the agent (relay) */
	int	 in_open;
	int	 eof_sent;
	long long bytes_in, bytes_out;
	int	 errfd;
	int	 warned[MAX_WARN];
	size_t	 nwarn;
	int	 unrecorded;	/* the recording failed */
	int64_t	 deadline;	/* the box's end, as last read */
	int64_t	 next_refresh;	/* when to read it again */
};

/* What the guest is shown, to the recording and the watchers too. */
/*
 * The time, in seconds, as the wall clock said at the start and the
 * monotonic clock has counted since: a step of the wall clock (an NTP
 * correction, an administrator's date) neither cuts nor lengthens a
 * session; the deadline itself was set in wall-clock time, once.
 */
static int64_t
sess_now(const struct sess *s)
{
	return s->wall0 + (box_now_ms() - s->mono0) / 1000;
}

/*
 * Whether a full-screen program holds the guest's terminal: the output
 * switches to the alternate screen (CSI ? 1049 h, 1047 h, 47 h) and back
 * (... l).  A notice written then would land in the middle of its screen;
 * it is held (see notice()).  A byte machine: sequences split across
 * frames are followed.
 */
static void
track_screen(struct sess *s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		switch (s->esc) {
		case 1:
			s->esc = c == '[' ? 2 : c == 0x1b ? 1 : 0;
			continue;
		case 2:
			s->esc = c == '?' ? 3 : c == 0x1b ? 1 : 0;
			s->escp = s->esch = 0;
			continue;
		case 3:
			if (c >= '0' && c <= '9') {
				if (s->escp < 100000)
					s->escp = s->escp * 10 + (c - '0');
				continue;
			}
			if (s->escp == 47 || s->escp == 1047 ||
			    s->escp == 1049)
				s->esch = 1;
			s->escp = 0;
			if (c == ';')
				continue;
			if ((c == 'h' || c == 'l') && s->esch)
				s->alt = c == 'h';
			s->esc = c == 0x1b ? 1 : 0;
			continue;
		default:
			if (c == 0x1b)
				s->esc = 1;
		}
	}
}

static void
shown(struct sess *s, const uint8_t *p, size_t n)
{
	const struct box_session_opts *o = s->o;

	if (o->passthrough)
		return;
	if (o->rec != NULL && !s->unrecorded &&
	    box_record_output(o->rec, p, n) < 0)
		s->unrecorded = 1;
	box_watch_output(o->watch, p, n);
}

static void	drain_out(struct sess *, int);

/* A notice for the guest, in line with what is already queued (relay) or
 * written at once (pass-through: the process owns the descriptors). */
static void	put_line(struct sess *, const char *, const char *);

static void
notice(struct sess *s, const char *msg)
{
	put_line(s, "sshbox: ", msg);
}

/* The profile's banner, line by line, as the administrator wrote it. */
static void
show_banner(struct sess *s, const char *text)
{
	char line[BOX_PROFILE_BANNER_MAX];
	size_t len;

	while (*text != '\0') {
		len = strcspn(text, "\n");
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, text, len);
		line[len] = '\0';
		put_line(s, "", line);
		text += len;
		if (*text == '\n')
			text++;
	}
}

static void
put_line(struct sess *s, const char *prefix, const char *msg)
{
	char line[BOX_PROFILE_BANNER_MAX + 64];
	int n;

	/* Over a full-screen program (relayed terminal): the window's title
	 * and a bell now, the line itself once it gives the screen back. */
	if (s->o->tty && !s->o->passthrough && s->alt) {
		snprintf(s->held, sizeof(s->held), "%s", msg);
		n = snprintf(line, sizeof(line), "\033]2;sshbox: %s\007\007",
		    msg);
		if (n > 0 && (size_t)n < sizeof(line) &&
		    buf_room(&s->out) >= (size_t)n)
			buf_put(&s->out, (const uint8_t *)line, (size_t)n);
		return;
	}
	n = snprintf(line, sizeof(line), "%s%s%s%s", s->o->tty && *prefix ?
	    "\r\n" : "", prefix, msg, s->o->tty ? "\r\n" : "\n");
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (s->o->passthrough) {
		if (write(s->o->tty ? 1 : 2, line, (size_t)n) < 0)
			return;
		return;
	}
	/* A notice is never dropped: a full buffer is flushed first. */
	if (buf_room(s->o->tty ? &s->out : &s->err) < (size_t)n)
		drain_out(s, END_MS);
	if (buf_room(s->o->tty ? &s->out : &s->err) >= (size_t)n) {
		buf_put(s->o->tty ? &s->out : &s->err, (const uint8_t *)line,
		    (size_t)n);
		shown(s, (const uint8_t *)line, (size_t)n);
	}
}

static void
warn_remaining(struct sess *s, int64_t left)
{
	char d[32], msg[128];

	box_format_duration(left, d, sizeof(d));
	snprintf(msg, sizeof(msg), "this box will be destroyed in %s", d);
	notice(s, msg);
}

/* Warnings already inside their window at start: only the nearest. */
static void
warn_at_start(struct sess *s)
{
	const struct box_session_opts *o = s->o;
	size_t i, j;

	for (i = 0; i < s->nwarn; i++) {
		int64_t left = s->deadline - sess_now(s);

		if (left > o->warn[i])
			continue;
		s->warned[i] = 1;
		for (j = 0; j < s->nwarn; j++)
			if (o->warn[j] < o->warn[i] && left <= o->warn[j])
				break;
		if (j == s->nwarn && left > 0)
			warn_remaining(s, left);
	}
}

/* Before ending: what is queued for the guest (a last notice among it)
 * goes out, waiting up to ms for a guest that reads slowly. */
static void
drain_out(struct sess *s, int ms)
{
	int64_t end = box_now_ms() + ms;
	struct pollfd pfd[2];
	nfds_t n;

	for (;;) {
		if (buf_flush(&s->out, 1) < 0 || buf_flush(&s->err,
		    s->errfd) < 0)
			return;
		n = 0;
		if (s->out.len > 0)
			pfd[n++] = (struct pollfd){ 1, POLLOUT, 0 };
		if (s->err.len > 0)
			pfd[n++] = (struct pollfd){ s->errfd, POLLOUT, 0 };
		if (n == 0 || box_now_ms() >= end)
			return;
		if (poll(pfd, n, (int)(end - box_now_ms())) < 0 &&
		    errno != EINTR)
			return;
	}
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

static void
send_resize(struct sess *s)
{
	struct box_error err;
	struct winsize ws;
	uint8_t p[4];

	if (ioctl(0, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0 || ws.ws_col == 0)
		return;
	/* Two signals for one change (rows, then columns, read together):
	 * one resize. */
	if (ws.ws_row == s->rows && ws.ws_col == s->cols)
		return;
	s->rows = ws.ws_row;
	s->cols = ws.ws_col;
	box_agent_put_u16(p, ws.ws_row);
	box_agent_put_u16(p + 2, ws.ws_col);
	box_agent_send(s->c.fd, BOX_AGF_RESIZE, p, 4, NULL, 0, 1000, &err);
	if (s->o->rec != NULL && !s->unrecorded &&
	    box_record_resize(s->o->rec, ws.ws_col, ws.ws_row) < 0)
		s->unrecorded = 1;
	box_watch_resize(s->o->watch, ws.ws_col, ws.ws_row);
}

static int
valid_env_value(const char *v)
{
	size_t n = strlen(v);

	return n < 256 && strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@=:") == n;
}

void
box_session_detail(char *out, size_t outsz, int64_t log_id,
    const struct box_session_info *si, const struct box_session_result *res,
    int64_t seconds)
{
	char exit[16] = "-", in[24] = "-", outb[24] = "-", cmd[48];
	const char *c = si->command != NULL ? si->command : "";
	size_t n;

	if (res != NULL && res->exit_status >= 0)
		snprintf(exit, sizeof(exit), "%d", res->exit_status);
	if (res != NULL && res->bytes_in >= 0)
		snprintf(in, sizeof(in), "%lld", res->bytes_in);
	if (res != NULL && res->bytes_out >= 0)
		snprintf(outb, sizeof(outb), "%lld", res->bytes_out);
	n = strlen(c);
	snprintf(cmd, sizeof(cmd), "%s", n > BOX_SESSION_CMD_MAX ? "..." : "");
	if (res == NULL)
		snprintf(out, outsz, "session=%lld tty=%d recording=%s "
		    "command=%.*s%s", (long long)log_id, si->tty,
		    si->recording != NULL ? BOX_RECORDING_ACTIVE : "none",
		    BOX_SESSION_CMD_MAX, c, cmd);
	else
		snprintf(out, outsz, "session=%lld exit=%s end=%s seconds=%lld "
		    "bytes_in=%s bytes_out=%s tty=%d recording=%s "
		    "command=%.*s%s", (long long)log_id, exit, res->reason !=
		    NULL ? res->reason : "", (long long)seconds, in, outb,
		    si->tty, res->recording != NULL ? res->recording : "none",
		    BOX_SESSION_CMD_MAX, c, cmd);
}

size_t
box_session_env(const char *term, const struct box_profile *prof,
    char env[][1024], size_t max)
{
	static const char *const names[] = { "LANG", "LANGUAGE", "LC_ALL",
	    "LC_CTYPE", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "LC_MONETARY",
	    "LC_MESSAGES", "LC_PAPER", "LC_NAME", "LC_ADDRESS",
	    "LC_TELEPHONE", "LC_MEASUREMENT", "LC_IDENTIFICATION" };
	size_t n = 0, i, j, len;
	const char *v;

	if (term != NULL && box_valid_term(term) && n < max)
		snprintf(env[n++], 1024, "TERM=%s", term);
	/* The profile's own, then the client's locale where the profile
	 * sets none of it. */
	for (i = 0; prof != NULL && i < prof->nenv && n < max; i++)
		snprintf(env[n++], 1024, "%s", prof->env[i]);
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && n < max; i++) {
		len = strlen(names[i]);
		for (j = 0; prof != NULL && j < prof->nenv; j++)
			if (strncmp(prof->env[j], names[i], len) == 0 &&
			    prof->env[j][len] == '=')
				break;
		if (prof != NULL && j < prof->nenv)
			continue;
		if ((v = getenv(names[i])) != NULL && valid_env_value(v))
			snprintf(env[n++], 1024, "%s=%s", names[i], v);
	}
	return n;
}

/* The next frame from the agent within ms: 1, or -1 with err set. */
static int
wait_frame(struct sess *s, struct box_agent_frame *f, int ms,
    struct box_error *err)
{
	int64_t end = box_now_ms() + ms;
	struct pollfd pfd;
	int r;

	for (;;) {
		if ((r = box_agent_conn_next(&s->c, f, err)) != 0)
			return r;
		if (s->c.eof)
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "the box's agent closed the connection");
		if (box_now_ms() >= end)
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "the box's agent did not answer");
		pfd.fd = s->c.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(end - box_now_ms())) < 0 &&
		    errno != EINTR)
			return box_error_set(err, BOX_E_RUNTIME, errno, "poll");
		if (box_agent_conn_fill(&s->c, err) < 0)
			return -1;
	}
}

/* Greeting, request, and the agent's answer. */
static int
start(struct sess *s, struct box_error *err)
{
	const struct box_session_opts *o = s->o;
	static struct box_agent_open req;
	static uint8_t payload[BOX_AGENT_FRAME_MAX];
	struct box_agent_frame f;
	struct winsize ws;
	char env[ENV_MAX][1024], why[BOX_AGENT_FAIL_MAX + 1];
	unsigned version;
	uint32_t pid;
	long len;
	size_t i;
	int fds[3] = { 0, 1, 2 };

	if (wait_frame(s, &f, HELLO_MS, err) < 0 ||
	    box_agent_parse_hello(&f, &version, &pid, err) < 0)
		return box_error_wrap(err, "your box's agent");
	memset(&req, 0, sizeof(req));
	if (o->port != 0)
		req.flags = BOX_AGO_TCP;
	else
		req.flags = (o->tty ? BOX_AGO_TTY : 0) |
		    (o->passthrough ? BOX_AGO_PASSFD : 0) |
		    (o->command == NULL ? BOX_AGO_LOGIN : 0);
	req.port = o->port;
	if (o->tty && ioctl(0, TIOCGWINSZ, &ws) == 0) {
		req.rows = ws.ws_row;
		req.cols = ws.ws_col;
	}
	box_strlcpy(req.shell, o->profile->shell, sizeof(req.shell));
	box_strlcpy(req.workdir, o->profile->workdir, sizeof(req.workdir));
	req.command = o->port != 0 ? NULL : o->command;
	req.ncommand = req.command != NULL ? strlen(req.command) : 0;
	req.nenv = box_session_env(o->tty ? o->term : NULL, o->profile, env,
	    ENV_MAX);
	for (i = 0; i < req.nenv; i++)
		box_strlcpy(req.env[i], env[i], sizeof(req.env[i]));
	if ((len = box_agent_open_build(&req, payload, sizeof(payload),
	    err)) < 0)
		return -1;
	if (o->passthrough && o->tty) {
		/* The terminal can be the box's controlling terminal only
		 * once this session gives it up; the hangup that follows is
		 * for us, the session leader, and is ignored. */
		signal(SIGHUP, SIG_IGN);
		ioctl(0, TIOCNOTTY);
	}
	if (box_agent_send(s->c.fd, BOX_AGF_OPEN, payload, (size_t)len,
	    o->passthrough ? fds : NULL, o->passthrough ? (o->tty ? 1 : 3) :
	    0, HELLO_MS, err) < 0)
		return box_error_wrap(err, "your box's agent");
	if (wait_frame(s, &f, HELLO_MS, err) < 0)
		return box_error_wrap(err, "your box's agent");
	if (f.type == BOX_AGF_FAIL) {
		box_agent_parse_fail(&f, why, sizeof(why));
		if (o->port != 0)	/* the words after ": " are the box's */
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "port %u in your box: %s", o->port, why);
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "your box could not start the session: %s", why);
	}
	if (f.type != BOX_AGF_STARTED)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "your box's agent answered out of turn");
	return 0;
}

/* Ask the agent to end the session, and give it a moment to do so. */
static void
end_session(struct sess *s)
{
	struct box_agent_frame f;
	struct box_error err;
	int64_t end = box_now_ms() + END_MS;

	if (box_agent_send(s->c.fd, BOX_AGF_END, NULL, 0, NULL, 0, END_MS,
	    &err) < 0)
		return;
	while (box_now_ms() < end && wait_frame(s, &f, (int)(end -
	    box_now_ms()), &err) == 1)
		;
}

/* A frame from the agent during the session.  1: it exited (status set);
 * 0: go on; -1: protocol error. */
static int
on_frame(struct sess *s, const struct box_agent_frame *f, int *status,
    struct box_error *err)
{
	struct box_agent_exit ex;
	char why[BOX_AGENT_FAIL_MAX + 1];

	switch (f->type) {
	case BOX_AGF_STDOUT:
	case BOX_AGF_STDERR:
		if (s->o->passthrough)
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "the box's agent sent output in pass-through");
		/* On a terminal, everything is one stream. */
		/* Recorded first: with a recording required, what could
		 * not be recorded is never shown. */
		shown(s, f->payload, f->len);
		if (s->unrecorded && s->o->rec_required)
			return 0;
		buf_put(f->type == BOX_AGF_STDERR && !s->o->tty ? &s->err :
		    &s->out, f->payload, f->len);
		s->bytes_out += (long long)f->len;
		if (s->o->tty) {
			track_screen(s, f->payload, f->len);
			/* The screen is back: the warning it held. */
			if (!s->alt && s->held[0] != '\0') {
				char msg[128];

				snprintf(msg, sizeof(msg), "%s", s->held);
				s->held[0] = '\0';
				notice(s, msg);
			}
		}
		return 0;
	case BOX_AGF_EXIT:
		if (box_agent_parse_exit(f, &ex, err) < 0)
			return -1;
		*status = ex.signalled ? 128 + ex.value : ex.value;
		return 1;
	case BOX_AGF_FAIL:
		box_agent_parse_fail(f, why, sizeof(why));
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "your box's agent: %s", why);
	default:
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "the box's agent answered out of turn");
	}
}

/*
 * Act on the frames already read, while the guest's buffers have room.
 * 1 when the process exited, 0 to go on, -1 on a protocol error.
 */
static int
take_frames(struct sess *s, int *status, struct box_error *err)
{
	struct box_agent_frame f;
	int r;

	while (buf_room(&s->out) >= BOX_AGENT_DATA_MAX &&
	    buf_room(&s->err) >= BOX_AGENT_DATA_MAX &&
	    !(s->unrecorded && s->o->rec_required) &&
	    (r = box_agent_conn_next(&s->c, &f, err)) != 0) {
		if (r < 0 || (r = on_frame(s, &f, status, err)) < 0)
			return box_error_wrap(err, "your box's agent");
		if (r == 1)
			return 1;
	}
	return 0;
}

/* Where each descriptor sits in this round's poll set (-1: not there). */
struct pollset {
	struct pollfd	 pfd[6 + BOX_WATCH_MAX + 1];
	int		 n;
	int		 sig, agent, in, out, err, watch;
	int		 watchers;	/* first of the watchers' slots */
	size_t		 nwatchers;
};

static void
pollset_add(struct pollset *ps, int *slot, int fd, short events)
{
	*slot = ps->n;
	ps->pfd[ps->n++] = (struct pollfd){ fd, events, 0 };
}

static int
revents(const struct pollset *ps, int slot, short mask)
{
	return slot >= 0 && (ps->pfd[slot].revents & mask) != 0;
}

/* The agent's frames are read only while both buffers to the guest have
 * room for one more: a guest that stops reading stops the agent. */
static int
room_for_frame(const struct sess *s)
{
	return buf_room(&s->out) >= BOX_AGENT_DATA_MAX + 5 &&
	    buf_room(&s->err) >= BOX_AGENT_DATA_MAX + 5;
}

static void
pollset_build(struct sess *s, struct pollset *ps, int exited)
{
	const struct box_session_opts *o = s->o;
	int room = room_for_frame(s);

	ps->n = 0;
	ps->agent = ps->in = ps->out = ps->err = ps->watch = -1;
	pollset_add(ps, &ps->sig, sigpipe[0], POLLIN);
	if (!exited && (room || s->in.len > 0))
		pollset_add(ps, &ps->agent, s->c.fd, (short)((room ? POLLIN :
		    0) | (s->in.len > 0 ? POLLOUT : 0)));
	/* Input is read a frame at a time, when the last one went. */
	if (!o->passthrough && !exited && s->in_open && s->in.len == 0)
		pollset_add(ps, &ps->in, 0, POLLIN);
	if (s->out.len > 0)
		pollset_add(ps, &ps->out, 1, POLLOUT);
	if (s->err.len > 0)
		pollset_add(ps, &ps->err, s->errfd, POLLOUT);
	/* Pass-through: the client going away shows as a hangup of the
	 * terminal, or an error on the pipe to its stdout. */
	if (o->passthrough && !exited)
		pollset_add(ps, &ps->watch, o->tty ? 0 : 1, 0);
	ps->watchers = ps->n;
	ps->nwatchers = 0;
	if (o->watch != NULL) {
		ps->nwatchers = box_watch_pollfds(o->watch, ps->pfd + ps->n);
		ps->n += (int)ps->nwatchers;
	}
}

/* A watcher joined or left: the guest is told, when the profile says so,
 * and box-shell (the audit). */
static void
on_watcher(void *arg, int joined, const char *who)
{
	struct sess *s = arg;
	char msg[128];

	if (s->o->watch_notice) {
		snprintf(msg, sizeof(msg), joined ? "an administrator is "
		    "now watching this session (read-only)" : "an "
		    "administrator stopped watching this session");
		notice(s, msg);
	}
	if (s->o->on_watch != NULL)
		s->o->on_watch(s->o->on_watch_arg, joined, who);
}

/* The next poll's timeout: the next warning, the deadline, or the next
 * read of it. */
static int
next_timeout(const struct sess *s, int64_t now)
{
	const struct box_session_opts *o = s->o;
	int64_t next = s->deadline;
	size_t i;

	for (i = 0; i < s->nwarn; i++)
		if (!s->warned[i] && s->deadline - o->warn[i] < next)
			next = s->deadline - o->warn[i];
	if (o->deadline_now != NULL && s->next_refresh < next)
		next = s->next_refresh;
	return ms_until(next, now);
}

/*
 * The box's deadline as it is now (an administrator may have extended
 * it): read every REFRESH_SECONDS, and always before a warning or the end
 * is acted on.  A later one re-arms the warnings still ahead and tells
 * the guest; an earlier one is taken as it is.
 */
static void
refresh_deadline(struct sess *s, int64_t now)
{
	const struct box_session_opts *o = s->o;
	char when[32], left[32], msg[128];
	int64_t d;
	size_t i;

	if (o->deadline_now == NULL)
		return;
	s->next_refresh = now + REFRESH_SECONDS;
	if ((d = o->deadline_now(o->deadline_arg)) <= 0 || d == s->deadline)
		return;
	if (d > s->deadline) {
		for (i = 0; i < s->nwarn; i++)
			if (s->warned[i] && now < d - o->warn[i])
				s->warned[i] = 0;
		snprintf(msg, sizeof(msg), "this box's time was extended: it "
		    "now ends at %s (%s left)", box_format_time(d, when,
		    sizeof(when)), box_format_duration(d - now, left,
		    sizeof(left)));
		notice(s, msg);
	}
	s->deadline = d;
}

/* Warnings that are due, then the deadline: BOX_SESSION_DEADLINE, or -1
 * to go on. */
static int
check_time(struct sess *s, int64_t now)
{
	const struct box_session_opts *o = s->o;
	size_t i;
	int due;

	/* Before a warning or the end, the deadline as it is now. */
	due = now >= s->next_refresh || now >= s->deadline;
	for (i = 0; i < s->nwarn; i++)
		if (!s->warned[i] && now >= s->deadline - o->warn[i])
			due = 1;
	if (due)
		refresh_deadline(s, now);
	for (i = 0; i < s->nwarn; i++) {
		if (!s->warned[i] && now >= s->deadline - o->warn[i]) {
			s->warned[i] = 1;
			warn_remaining(s, s->deadline - now);
		}
	}
	if (now < s->deadline)
		return -1;
	/* The last word is seen: the guest's screen back from a
	 * full-screen program first. */
	if (s->alt && s->o->tty && !s->o->passthrough) {
		static const char leave[] = "\033[?1049l";

		if (buf_room(&s->out) >= sizeof(leave) - 1)
			buf_put(&s->out, (const uint8_t *)leave,
			    sizeof(leave) - 1);
		s->alt = 0;
		if (s->held[0] != '\0') {
			char msg[128];

			snprintf(msg, sizeof(msg), "%s", s->held);
			s->held[0] = '\0';
			notice(s, msg);
		}
	}
	notice(s, "time is up: this box is being destroyed");
	drain_out(s, END_MS);
	end_session(s);
	return BOX_SESSION_DEADLINE;
}

/* Signals that came: a resize is passed on (relay), anything else ends
 * the session.  BOX_SESSION_HANGUP, or -1 to go on. */
static int
on_signals(struct sess *s)
{
	unsigned char sig;
	int end = -1;

	while (read(sigpipe[0], &sig, 1) == 1) {
		if (sig == SIGWINCH && s->o->tty && !s->o->passthrough)
			send_resize(s);
		else if (sig != SIGWINCH)
			end = BOX_SESSION_HANGUP;
	}
	if (end >= 0)
		end_session(s);
	return end;
}

/* The guest's input: read a chunk (sent when the agent takes it), or
 * its end.  BOX_SESSION_HANGUP when a terminal closed, else -1. */
static int
on_input(struct sess *s)
{
	ssize_t n;

	/* Read only when the last chunk went: straight into the buffer. */
	s->in.off = 0;
	n = read(0, s->in.data, BOX_AGENT_DATA_MAX);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return -1;
	if (n > 0) {
		s->in.len = (size_t)n;
		s->bytes_in += n;
		if (s->o->rec != NULL && !s->unrecorded &&
		    box_record_input(s->o->rec, s->in.data, (size_t)n) < 0)
			s->unrecorded = 1;
		return -1;
	}
	s->in_open = 0;
	if (s->o->tty) {
		end_session(s);
		return BOX_SESSION_HANGUP;
	}
	return -1;
}

/*
 * One session's loop: the agent's frames to the guest, the guest's input
 * to the agent (relay), signals, warnings and the deadline.  Returns how
 * it ended, or -1 on a protocol error.
 */
static int
loop(struct sess *s, int *status, struct box_error *err)
{
	const struct box_session_opts *o = s->o;
	int end = -1, exited = 0, r;
	struct pollset ps;
	int64_t now;

	/*
	 * Once the process exited, what is queued for the guest still goes,
	 * however slowly the guest reads (a pager, a stalled link): as with
	 * plain ssh, nothing is dropped, until the guest hangs up or the
	 * box's time is up.
	 */
	while (end < 0) {
		now = sess_now(s);
		/* Frames that came with the last read come first. */
		if (!exited && (r = take_frames(s, status, err)) != 0) {
			if (r < 0)
				return -1;
			exited = 1;
		}
		if (exited && s->out.len == 0 && s->err.len == 0)
			return BOX_SESSION_EXITED;
		pollset_build(s, &ps, exited);
		if (poll(ps.pfd, (nfds_t)ps.n, next_timeout(s, now)) < 0 &&
		    errno != EINTR)
			return box_error_set(err, BOX_E_INTERNAL, errno,
			    "poll");
		now = sess_now(s);
		if ((end = check_time(s, now)) >= 0)
			break;
		if (revents(&ps, ps.sig, POLLIN) && (end = on_signals(s)) >= 0)
			return exited ? BOX_SESSION_EXITED : end;
		if (ps.nwatchers > 0)
			box_watch_service(o->watch, ps.pfd + ps.watchers,
			    ps.nwatchers, on_watcher, s);
		/* No recording, no session, when the profile says so. */
		if (s->unrecorded && o->rec_required && !exited) {
			notice(s, "the recording of this session failed, and "
			    "this box is only used recorded: session ended");
			drain_out(s, END_MS);
			end_session(s);
			return BOX_SESSION_UNRECORDED;
		}
		if (revents(&ps, ps.watch, POLLHUP | POLLERR)) {
			end_session(s);
			return BOX_SESSION_HANGUP;
		}
		if (s->in.len > 0 && revents(&ps, ps.agent, POLLOUT | POLLERR |
		    POLLHUP)) {
			if (box_agent_send(s->c.fd, BOX_AGF_STDIN, s->in.data +
			    s->in.off, s->in.len, NULL, 0, END_MS, err) < 0)
				return BOX_SESSION_GONE;
			s->in.len = s->in.off = 0;
		}
		if (revents(&ps, ps.agent, POLLIN | POLLHUP | POLLERR) &&
		    (ps.pfd[ps.agent].events & POLLIN)) {
			if (box_agent_conn_fill(&s->c, err) < 0 ||
			    (r = take_frames(s, status, err)) < 0)
				return -1;
			if (r == 1)
				exited = 1;
			/* The end of the stream without EXIT: gone, with
			 * whatever is left in the buffer a cut frame (a
			 * whole one waits only while the guest's buffers
			 * are full, and then the agent is not polled). */
			if (!exited && s->c.eof && (s->c.len == 0 ||
			    (buf_room(&s->out) >= BOX_AGENT_DATA_MAX &&
			    buf_room(&s->err) >= BOX_AGENT_DATA_MAX)))
				return BOX_SESSION_GONE;
		}
		if (revents(&ps, ps.in, POLLIN | POLLHUP | POLLERR) &&
		    (end = on_input(s)) >= 0)
			break;
		if (!o->passthrough && !s->in_open && s->in.len == 0 &&
		    !s->eof_sent && !exited) {
			s->eof_sent = 1;
			box_agent_send(s->c.fd, BOX_AGF_EOF, NULL, 0, NULL, 0,
			    END_MS, err);
		}
		if ((revents(&ps, ps.out, POLLOUT | POLLERR | POLLHUP) &&
		    buf_flush(&s->out, 1) < 0) || (revents(&ps, ps.err,
		    POLLOUT | POLLERR | POLLHUP) && buf_flush(&s->err,
		    s->errfd) < 0)) {
			if (!exited)
				end_session(s);
			return exited ? BOX_SESSION_EXITED :
			    BOX_SESSION_HANGUP;
		}
	}
	return end;
}

int
box_session_quiet(int agent_fd, const struct box_profile *p,
    const char *command, int timeout_ms, int *status, struct box_error *err)
{
	static struct box_session_opts o;
	static struct sess s;
	struct box_agent_frame f;
	int64_t end = box_now_ms() + timeout_ms;
	struct box_error e2;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	o.command = command;
	o.profile = p;
	s.o = &o;
	*status = -1;
	if (box_agent_conn_init(&s.c, agent_fd, 1, err) < 0) {
		close(agent_fd);
		return -1;
	}
	set_nonblock(agent_fd);
	if (start(&s, err) < 0)
		goto out;
	/* No input.  The process may have ended and the agent closed the
	 * connection already: its EXIT is read all the same. */
	box_agent_send(agent_fd, BOX_AGF_EOF, NULL, 0, NULL, 0, END_MS, &e2);
	for (;;) {
		int left = (int)(end - box_now_ms());

		if (wait_frame(&s, &f, left > 0 ? left : 0, err) < 0)
			goto out;
		/* Output is nobody's; anything else as in a session. */
		if (f.type == BOX_AGF_STDOUT || f.type == BOX_AGF_STDERR)
			continue;
		if (on_frame(&s, &f, status, err) == 1)
			rc = 0;
		goto out;
	}
out:
	box_agent_conn_free(&s.c);
	close(agent_fd);
	return rc;
}

int
box_session_run(int agent_fd, const struct box_session_opts *o,
    int *status, struct box_error *err)
{
	static struct sess s;
	struct termios saved, raw;
	struct sigaction sa;
	int raw_set = 0, end = -1;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.wall0 = box_now();
	s.mono0 = box_now_ms();
	s.deadline = o->deadline;
	s.next_refresh = s.wall0 + REFRESH_SECONDS;
	/* A terminal goes to the box only from the leader of the session
	 * that holds it; otherwise its bytes are relayed. */
	if ((o->passthrough && o->tty && getsid(0) != getpid()) ||
	    (o->port != 0 && (o->passthrough || o->tty))) {
		static struct box_session_opts relayed;

		/* A port's bytes are relayed, and never a terminal's. */
		relayed = *o;
		relayed.passthrough = 0;
		if (o->port != 0)
			relayed.tty = 0;
		s.o = o = &relayed;
	}
	s.in_open = 1;
	s.errfd = o->tty ? 1 : 2;
	s.nwarn = o->nwarn < MAX_WARN ? o->nwarn : MAX_WARN;
	*status = -1;
	if (box_agent_conn_init(&s.c, agent_fd, 1, err) < 0) {
		close(agent_fd);
		return -1;
	}
	if (sigpipe[0] < 0 && pipe2(sigpipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		box_error_set(err, BOX_E_INTERNAL, errno, "pipe");
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (!(o->passthrough && o->tty))
		sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	set_nonblock(agent_fd);
	if (start(&s, err) < 0)
		goto out;
	if (o->motd != NULL && o->motd[0] != '\0')
		show_banner(&s, o->motd);
	if (o->login_notice != NULL)
		notice(&s, o->login_notice);
	if (o->banner != NULL)
		notice(&s, o->banner);
	warn_at_start(&s);
	if (!o->passthrough) {
		/* A port over a terminal keeps the terminal cooked, as any
		 * command's would be: lines, echo, ^D and ^C work. */
		if (o->tty && isatty(0) && tcgetattr(0, &saved) == 0) {
			raw = saved;
			cfmakeraw(&raw);
			if (tcsetattr(0, TCSANOW, &raw) == 0)
				raw_set = 1;
		}
		set_nonblock(0);
		set_nonblock(1);
		set_nonblock(2);
	}
	end = loop(&s, status, err);
	if (o->bytes_in != NULL)
		*o->bytes_in = o->passthrough ? -1 : s.bytes_in;
	if (o->bytes_out != NULL)
		*o->bytes_out = o->passthrough ? -1 : s.bytes_out;
	if (raw_set)
		tcsetattr(0, TCSADRAIN, &saved);
	restore_std();
out:
	box_agent_conn_free(&s.c);
	close(agent_fd);
	return end;
}
