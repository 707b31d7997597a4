/*
 * box-invite watch SESSION|BOX: a guest's terminal, live and read-only.
 * What the session sends is the guest's: frames are parsed with bounds
 * (watch.h) and the screen's bytes reach the administrator's terminal
 * only through the terminal filter (termfilter.h).  Nothing typed here
 * goes anywhere but to this program: q, ^C or ^D stop watching.
 */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "box/box.h"
#include "core/log.h"
#include "core/util.h"
#include "session/termfilter.h"
#include "session/watch.h"
#include "cli.h"
#include "watch.h"

static volatile sig_atomic_t stop;


static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* Write all of p to stdout; -1 when it is gone. */
static int
out_all(const void *p, size_t n)
{
	const char *b = p;
	ssize_t w;

	while (n > 0) {
		w = write(1, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int
box_term_write(struct box_termfilter *tf, const void *p, size_t n)
{
	static char out[BOX_TERMFILTER_OUT(BOX_WATCH_FRAME_MAX)];
	const char *b = p;
	size_t take;

	for (; n > 0; b += take, n -= take) {
		take = n < BOX_WATCH_FRAME_MAX ? n : BOX_WATCH_FRAME_MAX;
		if (out_all(out, box_termfilter_run(tf, b, take, out)) < 0)
			return -1;
	}
	return 0;
}

/*
 * What the guest's screen may have left set in this terminal, through the
 * filter (the alternate screen, a charset, margins, a hidden cursor,
 * modes), put back as a terminal starts: box-invite's own sequence, only
 * to a terminal, never part of what is replayed.
 */
static const char term_reset[] = "\033[?1049l\033[0m\033(B\033)B\017"
    "\033[r\033[?6l\033[?7h\033[4l\033[20l\033[?1l\033>\033[?5l"
    "\033[?12l\033[?25h\033[?2004l\033[0 q";

int
box_term_finish(struct box_termfilter *tf)
{
	char out[BOX_TERMFILTER_OUT(0)];

	if (out_all(out, box_termfilter_finish(tf, out)) < 0)
		return -1;
	return isatty(1) ? out_all(term_reset, sizeof(term_reset) - 1) : 0;
}

/* The live session SESSION, or the newest live one of box ARG. */
static int
live_session_cb(void *arg, const struct box_session_row *r)
{
	*(struct box_session_row *)arg = *r;
	return 1;
}

static int
resolve(struct box_ctx *ctx, const char *arg, struct box_session_row *row,
    struct box_error *err)
{
	long long n;

	memset(row, 0, sizeof(*row));
	if (box_parse_int(arg, 1, INT64_MAX, &n, err) == 0) {
		if (box_state_session_get(ctx->st, n, row, err) < 0)
			return -1;
		if (row->ended_at != 0)
			return box_error_set(err, BOX_E_NOTFOUND, 0,
			    "session %lld has ended%s", n,
			    row->recording[0] != '\0' ? "; it was recorded: "
			    "box-invite replay shows it" : "");
		return 0;
	}
	if (strlen(arg) != BOX_ID_LEN ||
	    strspn(arg, "0123456789abcdef") != BOX_ID_LEN)
		return box_error_set(err, BOX_E_INPUT, 0, "\"%.40s\" is neither "
		    "a session number nor a box", arg);
	if (box_state_session_history(ctx->st, 1, arg, 1, live_session_cb,
	    row, err) < 0)
		return -1;
	if (row->id == 0)
		return box_error_set(err, BOX_E_NOTFOUND, 0,
		    "box %s has no live session", arg);
	return 0;
}

int
box_term_stopkey(void)
{
	char c[64];
	ssize_t n, i;

	n = read(0, c, sizeof(c));
	if (n <= 0)
		return n == 0;
	for (i = 0; i < n; i++)
		if (c[i] == 'q' || c[i] == 'Q' || c[i] == 3 || c[i] == 4)
			return 1;
	return 0;
}

int
box_term_raw(struct termios *saved)
{
	struct termios raw;

	if (!isatty(0) || tcgetattr(0, saved) < 0)
		return 0;
	raw = *saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	return tcsetattr(0, TCSANOW, &raw) == 0;
}

int
cmd_watch(struct box_ctx *ctx, int argc, char **argv)
{
	struct box_watch_reader *rd;
	struct box_session_row row;
	struct box_termfilter tf;
	struct box_error err;
	struct termios saved;
	struct pollfd pfd[2];
	struct sigaction sa;
	struct winsize ws;
	const uint8_t *pl;
	char dir[PATH_MAX + 8], end[300], what[300];
	unsigned cols = 0, rows = 0;
	int fd, type, r, raw_set = 0, keys, rc = 0, ended = 0;
	size_t len;

	if (argc != 2)
		return die(2, "usage: box-invite watch SESSION|BOX");
	if (resolve(ctx, argv[1], &row, &err) < 0)
		return die(err.kind == BOX_E_INPUT ? 2 : 1, "watch: %s",
		    err.msg);
	snprintf(dir, sizeof(dir), "%s/watch", ctx->cfg.state_dir);
	if ((fd = box_watch_connect(dir, row.id, &err)) < 0) {
		if (err.kind == BOX_E_NOTFOUND)
			return die(1, "watch: session %lld cannot be "
			    "watched: its profile does not allow it (watch: "
			    "false), or it is not relayed (a pass-through "
			    "command, a file transfer, a port stream)",
			    (long long)row.id);
		return die(1, "watch: %s", err.msg);
	}
	/* The watcher's name as box-shell sees it is the box account's (this
	 * runs as it): who asked is said here. */
	snprintf(what, sizeof(what), "session=%lld by=%s", (long long)row.id,
	    box_invite_who);
	box_state_audit(ctx->st, box_now(), "watch-requested", row.invite_id,
	    row.box_id, row.fp, NULL, what);
	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return die(1, "out of memory");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	box_termfilter_init(&tf);
	/* Keys stay here: raw, so that q stops at once and ^C is ours. */
	keys = isatty(0);
	raw_set = box_term_raw(&saved);
	while (!stop) {
		pfd[0] = (struct pollfd){ fd, POLLIN, 0 };
		pfd[1] = (struct pollfd){ 0, POLLIN, 0 };
		if (poll(pfd, keys ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (keys && (pfd[1].revents & (POLLIN | POLLHUP)) && box_term_stopkey())
			break;
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if ((r = box_watch_feed(rd, fd)) <= 0)
			break;
		while ((r = box_watch_next(rd, &type, &pl, &len, &err)) == 1) {
			if (type == BOX_WF_OUTPUT) {
				if (box_term_write(&tf, pl, len) < 0)
					stop = 1;
				continue;
			}
			memcpy(what, pl, len);	/* at most 256 */
			what[len] = '\0';
			box_log_safe(what, end, sizeof(end));
			if (type == BOX_WF_HELLO) {
				sscanf(end, "session=%*d cols=%u rows=%u",
				    &cols, &rows);
				fprintf(stderr, "box-invite: watching session "
				    "%lld (box %s, %ux%u), read-only; q stops"
				    "\r\n", (long long)row.id, row.box_id, cols,
				    rows);
				if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 &&
				    (ws.ws_col < cols || ws.ws_row < rows))
					fprintf(stderr, "box-invite: this "
					    "terminal (%ux%u) is smaller than "
					    "the guest's\r\n", ws.ws_col,
					    ws.ws_row);
			} else if (type == BOX_WF_END) {
				ended = 1;
				stop = 1;
				break;
			}
		}
		if (r < 0) {
			box_log(LOG_ERR, "watch: %s", err.msg);
			rc = 1;
			break;
		}
	}
	box_term_finish(&tf);
	if (raw_set)
		tcsetattr(0, TCSANOW, &saved);
	close(fd);
	free(rd);
	if (ended)
		fprintf(stderr, "\r\nbox-invite: session %lld ended (%s)\n",
		    (long long)row.id, end);
	else if (rc == 0 && !stop)
		fprintf(stderr, "\r\nbox-invite: session %lld went away\n",
		    (long long)row.id);
	else
		fprintf(stderr, "\r\nbox-invite: stopped watching session "
		    "%lld\n", (long long)row.id);
	return rc;
}
