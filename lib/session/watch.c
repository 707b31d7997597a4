/*
 * Live watchers of a relayed session (watch.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"
#include "session/watch.h"

struct watcher {
	int	 fd;
	char	 who[64];
	uint8_t	*q;		/* queued frames */
	size_t	 qlen, qcap, qoff;
};

struct box_watch {
	int		 dirfd, lfd;
	char		 name[32];
	int64_t		 session;
	unsigned	 cols, rows;
	struct watcher	 w[BOX_WATCH_MAX];
	size_t		 nw;
	uint8_t		*hist;		/* output since the last clear: a */
	size_t		 hstart, nhist;	/* ring of BOX_WATCH_HISTORY */
};

/* The directory: made when missing, ours alone, not a link. */
static int
open_dir(const char *dir, int make, struct box_error *err)
{
	int fd;

	if ((fd = box_private_dir(dir, make, err)) < 0)
		return box_error_wrap(err, "watch directory %s", dir);
	return fd;
}

/* The socket's address through the directory's descriptor, whatever the
 * directory's path length. */
static int
sock_addr(struct sockaddr_un *sun, int dirfd, const char *name)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	return snprintf(sun->sun_path, sizeof(sun->sun_path),
	    "/proc/self/fd/%d/%s", dirfd, name) >= (int)sizeof(sun->sun_path) ?
	    -1 : 0;
}

int
box_watch_open(struct box_watch **wp, const char *dir, int64_t session,
    unsigned cols, unsigned rows, struct box_error *err)
{
	struct box_watch *w;
	struct sockaddr_un sun;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->hist = malloc(BOX_WATCH_HISTORY)) == NULL) {
		free(w);
		return box_error_set(err, BOX_E_INTERNAL, ENOMEM,
		    "out of memory");
	}
	w->lfd = -1;
	w->session = session;
	w->cols = cols ? cols : 80;
	w->rows = rows ? rows : 24;
	snprintf(w->name, sizeof(w->name), "%lld.sock", (long long)session);
	if ((w->dirfd = open_dir(dir, 1, err)) < 0)
		goto fail;
	/* A socket left by a box-shell that was killed is stale. */
	unlinkat(w->dirfd, w->name, 0);
	if ((w->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0 || sock_addr(&sun, w->dirfd, w->name) < 0 ||
	    bind(w->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    fchmodat(w->dirfd, w->name, 0600, 0) < 0 ||
	    listen(w->lfd, BOX_WATCH_MAX) < 0) {
		box_error_set(err, BOX_E_INTERNAL, errno, "watch socket");
		goto fail;
	}
	*wp = w;
	return 0;
fail:
	if (w->lfd >= 0)
		close(w->lfd);
	if (w->dirfd >= 0)
		close(w->dirfd);
	free(w->hist);
	free(w);
	return -1;
}

/* Queue a frame for one watcher; 0, or -1 when it is too far behind. */
static int
queue(struct watcher *x, int type, const void *p, size_t n)
{
	size_t need;
	uint8_t *q;

	if (x->qoff > 0 && x->qoff == x->qlen)
		x->qoff = x->qlen = 0;
	need = x->qlen + 5 + n;
	if (need - x->qoff > BOX_WATCH_QUEUE)
		return -1;
	if (need > x->qcap) {
		if (x->qoff > 0) {
			memmove(x->q, x->q + x->qoff, x->qlen - x->qoff);
			x->qlen -= x->qoff;
			x->qoff = 0;
			need = x->qlen + 5 + n;
		}
		if (need > x->qcap) {
			if ((q = realloc(x->q, need + 4096)) == NULL)
				return -1;
			x->q = q;
			x->qcap = need + 4096;
		}
	}
	x->q[x->qlen] = (uint8_t)type;
	x->q[x->qlen + 1] = (uint8_t)(n >> 24);
	x->q[x->qlen + 2] = (uint8_t)(n >> 16);
	x->q[x->qlen + 3] = (uint8_t)(n >> 8);
	x->q[x->qlen + 4] = (uint8_t)n;
	memcpy(x->q + x->qlen + 5, p, n);
	x->qlen += 5 + n;
	return 0;
}

static int
queue_data(struct watcher *x, const uint8_t *p, size_t n)
{
	size_t take;

	for (; n > 0; p += take, n -= take) {
		take = n < BOX_WATCH_FRAME_MAX ? n : BOX_WATCH_FRAME_MAX;
		if (queue(x, BOX_WF_OUTPUT, p, take) < 0)
			return -1;
	}
	return 0;
}

static void
drop(struct box_watch *w, size_t i, void (*cb)(void *, int, const char *),
    void *arg)
{
	if (cb != NULL)
		cb(arg, 0, w->w[i].who);
	close(w->w[i].fd);
	free(w->w[i].q);
	w->w[i] = w->w[--w->nw];
}

size_t
box_watch_pollfds(const struct box_watch *w, struct pollfd *pfd)
{
	size_t i, n = 0;

	pfd[n++] = (struct pollfd){ w->lfd, POLLIN, 0 };
	/* Never POLLIN on a watcher: nothing it sends is read. */
	for (i = 0; i < w->nw; i++)
		pfd[n++] = (struct pollfd){ w->w[i].fd,
		    w->w[i].qlen > w->w[i].qoff ? POLLOUT : 0, 0 };
	return n;
}

static void
who_is(int fd, char *who, size_t whosz, int *allowed)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct passwd *pw;

	*allowed = 0;
	snprintf(who, whosz, "?");
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return;
	*allowed = cr.uid == 0 || cr.uid == geteuid();
	if ((pw = getpwuid(cr.uid)) != NULL)
		box_strlcpy(who, pw->pw_name, whosz);
	else
		snprintf(who, whosz, "uid %u", (unsigned)cr.uid);
}

/* The screen's history for a newcomer: the ring, oldest first. */
static int
queue_history(const struct box_watch *w, struct watcher *x)
{
	size_t first = BOX_WATCH_HISTORY - w->hstart;

	if (first > w->nhist)
		first = w->nhist;
	if (queue_data(x, w->hist + w->hstart, first) < 0)
		return -1;
	return queue_data(x, w->hist, w->nhist - first);
}

static void
accept_new(struct box_watch *w, void (*cb)(void *, int, const char *),
    void *arg)
{
	struct watcher *x;
	char hello[96];
	int fd, allowed;

	while ((fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) >= 0) {
		if (w->nw == BOX_WATCH_MAX) {
			close(fd);
			continue;
		}
		x = &w->w[w->nw];
		memset(x, 0, sizeof(*x));
		x->fd = fd;
		who_is(fd, x->who, sizeof(x->who), &allowed);
		snprintf(hello, sizeof(hello), "session=%lld cols=%u rows=%u",
		    (long long)w->session, w->cols, w->rows);
		if (!allowed || queue(x, BOX_WF_HELLO, hello,
		    strlen(hello)) < 0 || queue_history(w, x) < 0) {
			close(fd);
			free(x->q);
			continue;
		}
		w->nw++;
		if (cb != NULL)
			cb(arg, 1, x->who);
	}
}

/* Send what one watcher takes now: -1 when it is gone. */
static int
flush(struct watcher *x)
{
	ssize_t n;

	while (x->qlen > x->qoff) {
		n = send(x->fd, x->q + x->qoff, x->qlen - x->qoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		x->qoff += (size_t)n;
	}
	x->qoff = x->qlen = 0;
	return 0;
}

void
box_watch_service(struct box_watch *w, const struct pollfd *pfd, size_t n,
    void (*cb)(void *, int, const char *), void *arg)
{
	size_t i, k;

	if (n > 0 && pfd[0].fd == w->lfd && (pfd[0].revents & POLLIN))
		accept_new(w, cb, arg);
	/* Watchers by descriptor: the list may have changed order. */
	for (k = 1; k < n; k++) {
		for (i = 0; i < w->nw && w->w[i].fd != pfd[k].fd; i++)
			;
		if (i == w->nw || pfd[k].revents == 0)
			continue;
		if ((pfd[k].revents & (POLLHUP | POLLERR)) ||
		    flush(&w->w[i]) < 0)
			drop(w, i, cb, arg);
	}
}

/* Where the screen was last wiped in p (NULL: not there): a late
 * watcher's replay starts there.  One pass, from escape to escape. */
static const uint8_t *
last_clear(const uint8_t *p, size_t n)
{
	const uint8_t *best = NULL, *q = p, *end = p + n;
	size_t left;

	while ((q = memchr(q, '\033', (size_t)(end - q))) != NULL) {
		left = (size_t)(end - q);
		if ((left >= 4 && memcmp(q, "\033[2J", 4) == 0) ||
		    (left >= 2 && q[1] == 'c') ||
		    (left >= 8 && memcmp(q, "\033[?1049h", 8) == 0))
			best = q;
		q++;
	}
	return best;
}

/* Append to the ring, the oldest bytes giving way. */
static void
hist_add(struct box_watch *w, const uint8_t *p, size_t n)
{
	size_t at, first;

	if (n >= BOX_WATCH_HISTORY) {
		memcpy(w->hist, p + n - BOX_WATCH_HISTORY, BOX_WATCH_HISTORY);
		w->hstart = 0;
		w->nhist = BOX_WATCH_HISTORY;
		return;
	}
	at = (w->hstart + w->nhist) % BOX_WATCH_HISTORY;
	first = BOX_WATCH_HISTORY - at < n ? BOX_WATCH_HISTORY - at : n;
	memcpy(w->hist + at, p, first);
	memcpy(w->hist, p + first, n - first);
	if (w->nhist + n > BOX_WATCH_HISTORY) {
		w->hstart = (w->hstart + w->nhist + n - BOX_WATCH_HISTORY) %
		    BOX_WATCH_HISTORY;
		w->nhist = BOX_WATCH_HISTORY;
	} else
		w->nhist += n;
}

void
box_watch_output(struct box_watch *w, const void *p, size_t n)
{
	const uint8_t *b = p, *c;
	size_t i;

	if (w == NULL || n == 0)
		return;
	if ((c = last_clear(b, n)) != NULL) {
		w->hstart = w->nhist = 0;
		hist_add(w, c, n - (size_t)(c - b));
	} else
		hist_add(w, b, n);
	for (i = 0; i < w->nw; i++) {
		if (queue_data(&w->w[i], p, n) == 0 && flush(&w->w[i]) == 0)
			continue;
		/* Too far behind, or gone: hung up here, dropped (and
		 * reported) at the next service. */
		w->w[i].qoff = w->w[i].qlen = 0;
		shutdown(w->w[i].fd, SHUT_RDWR);
	}
}

void
box_watch_resize(struct box_watch *w, unsigned cols, unsigned rows)
{
	char sz[32];
	size_t i;

	if (w == NULL)
		return;
	w->cols = cols;
	w->rows = rows;
	snprintf(sz, sizeof(sz), "%ux%u", cols, rows);
	for (i = 0; i < w->nw; i++)
		queue(&w->w[i], BOX_WF_RESIZE, sz, strlen(sz));
}

void
box_watch_close(struct box_watch *w, const char *end,
    void (*cb)(void *, int, const char *), void *arg)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nw; i++) {
		if (end != NULL &&
		    queue(&w->w[i], BOX_WF_END, end, strlen(end)) == 0)
			flush(&w->w[i]);
		close(w->w[i].fd);
		free(w->w[i].q);
		if (cb != NULL)
			cb(arg, 0, w->w[i].who);
	}
	unlinkat(w->dirfd, w->name, 0);
	close(w->lfd);
	close(w->dirfd);
	free(w->hist);
	free(w);
}

int
box_watch_connect(const char *dir, int64_t session, struct box_error *err)
{
	struct sockaddr_un sun;
	char name[32];
	int dfd, fd;

	snprintf(name, sizeof(name), "%lld.sock", (long long)session);
	if ((dfd = open_dir(dir, 0, err)) < 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    sock_addr(&sun, dfd, name) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		box_error_set(err, errno == ENOENT || errno == ECONNREFUSED ?
		    BOX_E_NOTFOUND : BOX_E_INTERNAL, errno, "session %lld "
		    "cannot be watched", (long long)session);
		if (fd >= 0)
			close(fd);
		close(dfd);
		return -1;
	}
	close(dfd);
	return fd;
}

int
box_watch_feed(struct box_watch_reader *rd, int fd)
{
	ssize_t n;

	if (rd->off > 0) {
		memmove(rd->buf, rd->buf + rd->off, rd->len - rd->off);
		rd->len -= rd->off;
		rd->off = 0;
	}
	if (rd->len == sizeof(rd->buf))
		return 1;	/* a whole frame is there to take */
	do
		n = read(fd, rd->buf + rd->len, sizeof(rd->buf) - rd->len);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		rd->len += (size_t)n;
	return n < 0 ? -1 : n > 0;
}

int
box_watch_next(struct box_watch_reader *rd, int *type,
    const uint8_t **payload, size_t *len, struct box_error *err)
{
	const uint8_t *h = rd->buf + rd->off;
	size_t avail = rd->len - rd->off, n, max;

	if (avail < 5)
		return 0;
	switch (h[0]) {
	case BOX_WF_OUTPUT:
		max = BOX_WATCH_FRAME_MAX;
		break;
	case BOX_WF_HELLO:
	case BOX_WF_RESIZE:
	case BOX_WF_END:
		max = 256;
		break;
	default:
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "the session sent a frame of unknown type 0x%02x", h[0]);
	}
	n = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 |
	    h[4];
	if (n > max)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "the session sent a frame of %zu bytes", n);
	if (avail < 5 + n)
		return 0;
	*type = h[0];
	*payload = h + 5;
	*len = n;
	rd->off += 5 + n;
	return 1;
}
