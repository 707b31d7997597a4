/*
 * box-invite replay: a session's recording, as one self-contained HTML
 * page on stdout (--html), or played in the terminal.  The recording is
 * the box account's file and its content the guest's: it is opened
 * without following links, must be a plain file of that account with one
 * name, and is read and parsed as the box account, never as root.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "config/config.h"
#include "core/priv.h"
#include "core/util.h"
#include "session/cast.h"
#include "session/termfilter.h"
#include "state/state.h"
#include "replay.h"
#include "cli.h"
#include "watch.h"

#define USAGE	"usage: box-invite replay [--html] [--file PATH] " \
		"[--speed X] [--idle-limit S] [SESSION]"

struct replay_opts {
	int		 html;
	const char	*file;		/* --file, or NULL */
	long long	 session;	/* or 0 */
	double		 speed;		/* 0: as recorded */
	double		 idle_limit;	/* 0: none */
};


/* A number in [min, max] ("1.5").  0 or -1. */
static int
parse_num(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * The recording open at fd (shown as name): a regular file with one link
 * and, when owner is not (uid_t)-1, that owner; read whole, at most
 * BOX_CAST_MAX_BYTES.  *buf is freed by the caller.  0 or -1.
 */
static int
read_recording(int fd, const char *name, uid_t owner, char **buf,
    size_t *len, struct box_error *err)
{
	struct stat st;
	size_t cap, n = 0;
	ssize_t r;
	char *p;

	if (fstat(fd, &st) < 0)
		return box_error_set(err, BOX_E_INPUT, errno, "%s", name);
	if (!S_ISREG(st.st_mode))
		return box_error_set(err, BOX_E_DENIED, 0, "%s is not a "
		    "regular file", name);
	if (st.st_nlink != 1)
		return box_error_set(err, BOX_E_DENIED, 0, "%s has %lu links "
		    "(a hard link to another file?): not read", name,
		    (unsigned long)st.st_nlink);
	if (owner != (uid_t)-1 && st.st_uid != owner)
		return box_error_set(err, BOX_E_DENIED, 0, "%s belongs to uid "
		    "%lu, not to its directory's owner (uid %lu): not read",
		    name, (unsigned long)st.st_uid, (unsigned long)owner);
	if (st.st_size > BOX_CAST_MAX_BYTES)
		return box_error_set(err, BOX_E_INPUT, 0, "%s is larger than "
		    "%d bytes", name, BOX_CAST_MAX_BYTES);
	/* It may still grow (a live session): read to its end, bounded. */
	cap = (size_t)st.st_size + 4096;
	if (cap > (size_t)BOX_CAST_MAX_BYTES + 1)
		cap = (size_t)BOX_CAST_MAX_BYTES + 1;
	if ((p = malloc(cap)) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, errno, "malloc");
	for (;;) {
		if (n == cap) {
			char *q;

			if (cap > BOX_CAST_MAX_BYTES) {
				free(p);
				return box_error_set(err, BOX_E_INPUT, 0,
				    "%s is larger than %d bytes", name,
				    BOX_CAST_MAX_BYTES);
			}
			cap = cap * 2 > (size_t)BOX_CAST_MAX_BYTES + 1 ?
			    (size_t)BOX_CAST_MAX_BYTES + 1 : cap * 2;
			if ((q = realloc(p, cap)) == NULL) {
				free(p);
				return box_error_set(err, BOX_E_INTERNAL,
				    errno, "realloc");
			}
			p = q;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(p);
			return box_error_set(err, BOX_E_INPUT, errno, "%s",
			    name);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = p;
	*len = n;
	return 0;
}

/* --file PATH, opened by whoever runs the command, before any change of
 * account: the administrator names it.  The descriptor, or -1. */
static int
open_file(const char *path, struct box_error *err)
{
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0)
		return box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_INPUT, errno == ELOOP ? 0 : errno, errno == ELOOP ?
		    "%s is a symbolic link: not followed" : "%s", path);
	return fd;
}

/*
 * The recording of session id: its row, then its file in recordings_dir,
 * the directory walked and the file opened without following a link.
 * The file descriptor, with *owner the directory's owner, or -1.
 */
static int
open_session(const struct box_config *cfg, long long id, char *name,
    size_t namesz, uid_t *owner, struct box_error *err)
{
	struct box_session_row row;
	struct box_state *st;
	struct stat dst;
	char db[PATH_MAX];
	int dfd, fd;

	if (box_config_state_db(cfg, db, sizeof(db)) < 0)
		return box_error_set(err, BOX_E_CONFIG, 0, "state_dir is too "
		    "long");
	if (box_state_open(db, 0, &st, err) < 0)
		return -1;
	if (box_state_session_get(st, id, &row, err) < 0) {
		box_state_close(st);
		return -1;
	}
	box_state_close(st);
	if (row.recording[0] == '\0')
		return box_error_set(err, BOX_E_NOTFOUND, 0, "session %lld was "
		    "not recorded", id);
	/* The row is the box account's to write: a name, never a path. */
	if (!box_valid_name(row.recording, BOX_RECORDING_NAME_MAX - 1))
		return box_error_set(err, BOX_E_DENIED, 0, "session %lld: the "
		    "recording's name in the state is not a plain file name: "
		    "not opened", id);
	snprintf(name, namesz, "%s/%s", cfg->recordings_dir, row.recording);
	if ((dfd = box_open_dir_nofollow(cfg->recordings_dir, 0, 0, err)) < 0)
		return box_error_wrap(err, "recordings_dir");
	if (fstat(dfd, &dst) < 0) {
		box_error_set(err, BOX_E_INPUT, errno, "%s",
		    cfg->recordings_dir);
		close(dfd);
		return -1;
	}
	*owner = dst.st_uid;
	fd = openat(dfd, row.recording, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_DENIED, errno == ELOOP ? 0 : errno, errno == ELOOP ?
		    "%s is a symbolic link: not followed" : "%s", name);
	close(dfd);
	return fd;
}

/* Wait ms, or until a key here says stop: 1 to stop. */
static int
pause_or_key(int keys, int ms)
{
	struct pollfd pfd = { 0, POLLIN, 0 };
	int64_t end = box_now_ms() + ms;

	while (ms > 0) {
		if (poll(&pfd, keys ? 1 : 0, ms) > 0 && box_term_stopkey())
			return 1;
		ms = (int)(end - box_now_ms());
	}
	return 0;
}

/*
 * Play the recording's output in this terminal, in time (scaled by
 * speed, pauses cut to idle_limit), through the terminal filter: nothing
 * reaches the terminal that the guest's screen did not get, and of that
 * only text and screen drawing.  q, ^C or ^D stop.
 */
static int
replay_terminal(const char *buf, size_t len, double speed,
    double idle_limit, int *complete, struct box_error *err)
{
	struct box_cast_header h;
	struct box_cast_event ev;
	struct box_termfilter tf;
	struct box_cast *c;
	struct termios saved;
	struct winsize ws;
	double prev = 0, gap;
	int r, keys, raw_set = 0, stopped = 0;

	if (box_cast_open(&c, buf, len, &h, err) < 0)
		return -1;
	if (speed <= 0)
		speed = 1;
	keys = isatty(0);
	raw_set = box_term_raw(&saved);
	if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 &&
	    (ws.ws_col < h.width || ws.ws_row < h.height))
		fprintf(stderr, "box-invite: this terminal (%ux%u) is smaller "
		    "than the recording's (%ux%u)\r\n", ws.ws_col, ws.ws_row,
		    h.width, h.height);
	box_termfilter_init(&tf);
	while ((r = box_cast_next(c, &ev, err)) == 1) {
		if (ev.code != 'o')
			continue;
		gap = (ev.time - prev) / speed;
		if (idle_limit > 0 && gap > idle_limit)
			gap = idle_limit;
		if (gap > 86400)	/* a day at most, whatever the file */
			gap = 86400;
		prev = ev.time;
		if (gap > 0.001 && pause_or_key(keys, (int)(gap * 1000))) {
			stopped = 1;
			break;
		}
		if (box_term_write(&tf, ev.data, ev.len) < 0)
			break;
	}
	box_term_finish(&tf);
	if (raw_set)
		tcsetattr(0, TCSANOW, &saved);
	*complete = stopped || box_cast_complete(c);
	box_cast_free(c);
	if (stopped)
		fprintf(stderr, "\r\nbox-invite: replay stopped\n");
	return r < 0 ? -1 : 0;
}

static int
parse_args(int argc, char **argv, struct replay_opts *o)
{
	static const struct option opts[] = {
		{ "html", no_argument, NULL, 'h' },
		{ "file", required_argument, NULL, 'f' },
		{ "speed", required_argument, NULL, 's' },
		{ "idle-limit", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct box_error err;
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'h': o->html = 1; break;
		case 'f': o->file = optarg; break;
		case 's':
			if (parse_num(optarg, 0.1, 100, &o->speed) < 0)
				return die(2, "replay: --speed: a number from "
				    "0.1 to 100");
			break;
		case 'i':
			if (parse_num(optarg, 0.01, 86400, &o->idle_limit) < 0)
				return die(2, "replay: --idle-limit: seconds, "
				    "more than 0, at most 86400");
			break;
		default:
			return die(2, USAGE);
		}
	}
	if (optind + 1 == argc && o->file == NULL) {
		if (box_parse_int(argv[optind], 1, INT64_MAX, &o->session,
		    &err) < 0)
			return die(2, "replay: SESSION: %s (a number as "
			    "box-invite sessions shows it)", err.msg);
	} else if (optind != argc || o->file == NULL) {
		return die(2, USAGE " (a SESSION or --file PATH)");
	}
	return 0;
}

int
cmd_replay(const char *conf, int argc, char **argv)
{
	struct box_cast_page page = { NULL, 0, 0 };
	struct replay_opts o;
	struct box_config cfg;
	struct box_error err;
	char name[PATH_MAX + BOX_RECORDING_NAME_MAX + 2], label[64];
	char *buf = NULL;
	size_t len = 0;
	uid_t owner = (uid_t)-1;
	int rc, fd = -1, complete;

	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc;
	if (o.html && isatty(STDOUT_FILENO))
		return die(2, "--html writes a page: redirect it to a file");
	if (box_config_load(conf, &cfg, &err) < 0)
		return die(1, "%s", err.msg);
	if (o.file != NULL && (fd = open_file(o.file, &err)) < 0)
		return die(1, "%s", err.msg);
	/* The rest as the box account: its directory, its file, its
	 * guest's bytes. */
	if (geteuid() == 0 && box_priv_become(cfg.box_user, &err) < 0) {
		if (fd >= 0)
			close(fd);
		return die(1, "%s", err.msg);
	}
	if (o.file != NULL) {
		box_strlcpy(name, o.file, sizeof(name));
		box_strlcpy(label, (strrchr(o.file, '/') != NULL ?
		    strrchr(o.file, '/') + 1 : o.file), sizeof(label));
	} else {
		if ((fd = open_session(&cfg, o.session, name, sizeof(name),
		    &owner, &err)) < 0)
			return die(1, "%s", err.msg);
		snprintf(label, sizeof(label), "session %lld", o.session);
	}
	rc = read_recording(fd, name, owner, &buf, &len, &err);
	close(fd);
	if (rc < 0)
		return die(1, "%s", err.msg);
	if (!o.html) {
		rc = replay_terminal(buf, len, o.speed, o.idle_limit,
		    &complete, &err);
		free(buf);
		if (rc < 0)
			return die(1, "%s: %s", label, err.msg);
		if (!complete)
			fprintf(stderr, "box-invite: %s: the recording is "
			    "incomplete (cut short, or still being written)\n",
			    label);
		return 0;
	}
	page.label = label;
	page.speed = o.speed;
	page.idle_limit = o.idle_limit;
	rc = box_cast_html(stdout, buf, len, cfg.player_dir, &page, &complete,
	    &err);
	free(buf);
	if (rc < 0)
		return die(1, "%s: %s", err.kind == BOX_E_INPUT ? label :
		    "replay", err.msg);
	if (!complete)
		fprintf(stderr, "box-invite: %s: the recording is incomplete "
		    "(cut short, or still being written)\n", label);
	return 0;
}
