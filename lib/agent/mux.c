/* The microVM link's multiplexer (mux.h).  libc only: box-agent links it. */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/mux.h"

#define OUTQ_SOFT	(512 * 1024)	/* stop reading channels above */
#define OUTQ_MAX	(8 * 1024 * 1024)
#define ACK_BATCH	(16 * 1024)

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
box_mux_header(uint8_t hdr[BOX_MUX_HDR], int type, uint32_t chan, size_t len)
{
	hdr[0] = (uint8_t)type;
	put32(hdr + 1, chan);
	put32(hdr + 5, (uint32_t)len);
}

long
box_mux_parse(const uint8_t *buf, size_t len, int from_guest,
    struct box_mux_frame *f, struct box_error *err)
{
	uint32_t n;

	if (len < BOX_MUX_HDR)
		return 0;
	n = get32(buf + 5);
	f->type = buf[0];
	f->chan = get32(buf + 1);
	switch (f->type) {
	case BOX_MUX_T_HELLO:
		if (f->chan != 0 || n != sizeof(BOX_MUX_HELLO) - 1)
			goto bad;
		break;
	case BOX_MUX_T_OPEN:
		if (from_guest || n != 0 || f->chan == 0)
			goto bad;
		break;
	case BOX_MUX_T_CLOSE:
		if (n != 0 || f->chan == 0)
			goto bad;
		break;
	case BOX_MUX_T_ACK:
		if (n != 4 || f->chan == 0)
			goto bad;
		break;
	case BOX_MUX_T_DATA:
		if (n == 0 || n > BOX_MUX_DATA_MAX || f->chan == 0)
			goto bad;
		break;
	default:
		goto bad;
	}
	if (len - BOX_MUX_HDR < n)
		return 0;
	f->payload = buf + BOX_MUX_HDR;
	f->len = n;
	if (f->type == BOX_MUX_T_HELLO &&
	    memcmp(f->payload, BOX_MUX_HELLO, n) != 0)
		goto bad;
	return (long)(BOX_MUX_HDR + n);
 bad:
	return box_error_set(err, BOX_E_INPUT, 0, "malformed link frame "
	    "(type 0x%02x, length %lu)", buf[0], (unsigned long)n);
}

/* ------------------------------------------------------------ engine */

struct chan {
	int		 used;
	uint32_t	 id;
	int		 fd;
	size_t		 credit;	/* we may send the peer this much */
	uint8_t		*pend;		/* from the peer, not yet written */
	size_t		 npend;
	size_t		 unacked;	/* written to fd, not yet acked */
	int		 peer_closed;
};

struct mux {
	const struct box_mux_opts *o;
	struct chan	 ch[BOX_MUX_CHANS];
	uint8_t		*in;
	size_t		 nin;
	uint8_t		*out;
	size_t		 nout, capout;
	uint32_t	 next_id;
	int		 ready;
	int		 listen_fd;
};

static int
queue(struct mux *m, int type, uint32_t chan, const void *p, size_t len,
    struct box_error *err)
{
	size_t need = BOX_MUX_HDR + len;

	if (m->nout + need > m->capout) {
		size_t cap = m->capout ? m->capout : 65536;
		uint8_t *n;

		while (cap < m->nout + need)
			cap *= 2;
		if (cap > OUTQ_MAX + BOX_MUX_HDR + BOX_MUX_DATA_MAX ||
		    (n = realloc(m->out, cap)) == NULL)
			return box_error_set(err, BOX_E_RUNTIME, 0, "the link "
			    "does not drain");
		m->out = n;
		m->capout = cap;
	}
	box_mux_header(m->out + m->nout, type, chan, len);
	if (len > 0)
		memcpy(m->out + m->nout + BOX_MUX_HDR, p, len);
	m->nout += need;
	return 0;
}

static struct chan *
chan_find(struct mux *m, uint32_t id)
{
	size_t i;

	for (i = 0; i < BOX_MUX_CHANS; i++)
		if (m->ch[i].used && m->ch[i].id == id)
			return &m->ch[i];
	return NULL;
}

static struct chan *
chan_new(struct mux *m, uint32_t id, int fd)
{
	size_t i;

	for (i = 0; i < BOX_MUX_CHANS; i++)
		if (!m->ch[i].used) {
			struct chan *c = &m->ch[i];

			memset(c, 0, sizeof(*c));
			c->used = 1;
			c->id = id;
			c->fd = fd;
			c->credit = BOX_MUX_WINDOW;
			return c;
		}
	return NULL;
}

static void
chan_drop(struct chan *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->pend);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Our side of c ends: the peer hears CLOSE. */
static int
chan_close(struct mux *m, struct chan *c, struct box_error *err)
{
	uint32_t id = c->id;

	chan_drop(c);
	return queue(m, BOX_MUX_T_CLOSE, id, NULL, 0, err);
}

static int
handle(struct mux *m, const struct box_mux_frame *f, struct box_error *err)
{
	struct chan *c;

	switch (f->type) {
	case BOX_MUX_T_HELLO:
		if (m->o->guest)
			return queue(m, BOX_MUX_T_HELLO, 0, BOX_MUX_HELLO,
			    sizeof(BOX_MUX_HELLO) - 1, err);
		if (!m->ready) {
			m->ready = 1;
			if (m->o->ready_fn != NULL &&
			    (m->listen_fd = m->o->ready_fn(m->o->arg)) < 0)
				return box_error_set(err, BOX_E_RUNTIME, errno,
				    "cannot listen for sessions");
		}
		return 0;
	case BOX_MUX_T_OPEN: {
		int fd;

		/* Guest only (the parser refuses it from the guest). */
		if (chan_find(m, f->chan) != NULL)
			return box_error_set(err, BOX_E_INPUT, 0, "channel "
			    "opened twice");
		fd = m->o->open_fn != NULL ? m->o->open_fn(m->o->arg,
		    f->chan) : -1;
		if (fd < 0)
			return queue(m, BOX_MUX_T_CLOSE, f->chan, NULL, 0,
			    err);
		if (chan_new(m, f->chan, fd) == NULL) {
			close(fd);
			return queue(m, BOX_MUX_T_CLOSE, f->chan, NULL, 0,
			    err);
		}
		return 0;
	}
	case BOX_MUX_T_DATA:
		if ((c = chan_find(m, f->chan)) == NULL || c->peer_closed)
			return 0;	/* closed here already */
		if (c->npend + f->len > BOX_MUX_WINDOW)
			return box_error_set(err, BOX_E_INPUT, 0, "the peer "
			    "sent beyond its window");
		if (c->pend == NULL &&
		    (c->pend = malloc(BOX_MUX_WINDOW)) == NULL)
			return box_error_set(err, BOX_E_INTERNAL, ENOMEM,
			    "link");
		memcpy(c->pend + c->npend, f->payload, f->len);
		c->npend += f->len;
		return 0;
	case BOX_MUX_T_ACK: {
		uint32_t n = get32(f->payload);

		if ((c = chan_find(m, f->chan)) == NULL)
			return 0;
		if (n > BOX_MUX_WINDOW || c->credit + n > BOX_MUX_WINDOW)
			return box_error_set(err, BOX_E_INPUT, 0, "the peer "
			    "acknowledged more than was sent");
		c->credit += n;
		return 0;
	}
	case BOX_MUX_T_CLOSE:
		if ((c = chan_find(m, f->chan)) == NULL)
			return 0;
		c->peer_closed = 1;
		if (c->npend == 0)
			chan_drop(c);
		return 0;
	}
	return box_error_set(err, BOX_E_INPUT, 0, "unexpected link frame");
}

static int
read_link(struct mux *m, struct box_error *err)
{
	size_t cap = BOX_MUX_HDR + BOX_MUX_DATA_MAX, off = 0;
	ssize_t r;

	r = read(m->o->link, m->in + m->nin, cap - m->nin);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* The other end gone (a VM that stopped resets it): the end. */
	if (r == 0 || (r < 0 && (errno == ECONNRESET || errno == EPIPE)))
		return 1;
	if (r < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "link");
	m->nin += (size_t)r;
	for (;;) {
		struct box_mux_frame f;
		long used = box_mux_parse(m->in + off, m->nin - off,
		    !m->o->guest, &f, err);

		if (used < 0)
			return -1;
		if (used == 0)
			break;
		if (handle(m, &f, err) < 0)
			return -1;
		off += (size_t)used;
	}
	memmove(m->in, m->in + off, m->nin - off);
	m->nin -= off;
	return 0;
}

static int
write_link(struct mux *m, struct box_error *err)
{
	ssize_t r = write(m->o->link, m->out, m->nout);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r < 0 && (errno == EPIPE || errno == ECONNRESET))
		return 1;	/* the other end gone: the end */
	if (r < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "link");
	memmove(m->out, m->out + r, m->nout - (size_t)r);
	m->nout -= (size_t)r;
	return 0;
}

/* Bytes from the channel's own descriptor, to the peer. */
static int
chan_read(struct mux *m, struct chan *c, struct box_error *err)
{
	uint8_t buf[BOX_MUX_DATA_MAX];
	size_t want = c->credit < sizeof(buf) ? c->credit : sizeof(buf);
	ssize_t r;

	/* Not polled without credit: what the peer end left unread (its
	 * last words, EXIT, after it closed) stays until there is. */
	if (want == 0)
		return 0;
	r = read(c->fd, buf, want);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0)
		return chan_close(m, c, err);
	c->credit -= (size_t)r;
	return queue(m, BOX_MUX_T_DATA, c->id, buf, (size_t)r, err);
}

/* Bytes from the peer, to the channel's descriptor. */
static int
chan_write(struct mux *m, struct chan *c, struct box_error *err)
{
	ssize_t r = write(c->fd, c->pend, c->npend);
	uint8_t n[4];

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0)
		return chan_close(m, c, err);
	memmove(c->pend, c->pend + r, c->npend - (size_t)r);
	c->npend -= (size_t)r;
	c->unacked += (size_t)r;
	if (c->npend == 0 && c->peer_closed) {
		chan_drop(c);
		return 0;
	}
	if (c->unacked >= ACK_BATCH || c->npend == 0) {
		put32(n, (uint32_t)c->unacked);
		c->unacked = 0;
		return queue(m, BOX_MUX_T_ACK, c->id, n, 4, err);
	}
	return 0;
}

static int
accept_chan(struct mux *m, struct box_error *err)
{
	int fd = accept4(m->listen_fd, NULL, NULL,
	    SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct chan *c;

	if (fd < 0)
		return 0;
	if (m->next_id == UINT32_MAX || (c = chan_new(m, m->next_id, fd)) ==
	    NULL) {
		close(fd);	/* too many sessions at once */
		return 0;
	}
	m->next_id++;
	return queue(m, BOX_MUX_T_OPEN, c->id, NULL, 0, err);
}

int
box_mux_run(const struct box_mux_opts *o, struct box_error *err)
{
	struct pollfd pfd[BOX_MUX_CHANS + 3];
	struct chan *who[BOX_MUX_CHANS + 3];
	struct mux m;
	int rc = -1, extra = o->extra_fd;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.o = o;
	m.next_id = 1;
	m.listen_fd = -1;
	for (i = 0; i < BOX_MUX_CHANS; i++)
		m.ch[i].fd = -1;
	if ((m.in = malloc(BOX_MUX_HDR + BOX_MUX_DATA_MAX)) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, ENOMEM, "link");
	fcntl(o->link, F_SETFL, fcntl(o->link, F_GETFL) | O_NONBLOCK);
	/* Both sides greet: the guest's answer is what the host waits
	 * for, whichever came up first. */
	if (queue(&m, BOX_MUX_T_HELLO, 0, BOX_MUX_HELLO,
	    sizeof(BOX_MUX_HELLO) - 1, err) < 0)
		goto out;
	for (;;) {
		size_t n = 0, nchan = 0;
		int r;

		pfd[n].fd = o->link;
		pfd[n].events = POLLIN | (m.nout ? POLLOUT : 0);
		who[n++] = NULL;
		if (extra >= 0) {
			pfd[n].fd = extra;
			pfd[n].events = POLLIN;
			who[n++] = NULL;
		}
		for (i = 0; i < BOX_MUX_CHANS; i++)
			if (m.ch[i].used)
				nchan++;
		if (!o->guest && m.ready && m.listen_fd >= 0 &&
		    nchan < BOX_MUX_CHANS) {
			pfd[n].fd = m.listen_fd;
			pfd[n].events = POLLIN;
			who[n++] = NULL;
		}
		for (i = 0; i < BOX_MUX_CHANS; i++) {
			struct chan *c = &m.ch[i];
			short ev = 0;

			if (!c->used)
				continue;
			if (c->credit > 0 && !c->peer_closed &&
			    m.nout < OUTQ_SOFT)
				ev |= POLLIN;
			if (c->npend > 0)
				ev |= POLLOUT;
			/* Nothing wanted of it now: not polled at all, or its
			 * hang-up would be reported again and again. */
			if (ev == 0)
				continue;
			pfd[n].fd = c->fd;
			pfd[n].events = ev;
			who[n++] = c;
		}
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			box_error_set(err, BOX_E_INTERNAL, errno, "poll");
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct chan *c = who[i];

			if (pfd[i].revents == 0)
				continue;
			if (c == NULL) {
				if (pfd[i].fd == o->link) {
					if (pfd[i].revents & POLLOUT &&
					    (r = write_link(&m, err)) != 0) {
						if (r > 0)
							rc = 0;
						goto out;
					}
					if (pfd[i].revents & (POLLIN | POLLHUP |
					    POLLERR)) {
						if ((r = read_link(&m, err)) < 0)
							goto out;
						if (r == 1) {
							rc = 0;
							goto out;
						}
					}
				} else if (pfd[i].fd == extra) {
					if ((r = o->extra_fn(o->arg)) < 0) {
						rc = 0;
						goto out;
					}
					if (r > 0)
						extra = -1;
				} else if (accept_chan(&m, err) < 0) {
					goto out;
				}
				continue;
			}
			if (!c->used || c->fd != pfd[i].fd)
				continue;	/* dropped meanwhile */
			if (pfd[i].revents & POLLOUT && c->npend > 0 &&
			    chan_write(&m, c, err) < 0)
				goto out;
			if (!c->used || c->fd != pfd[i].fd)
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR) &&
			    chan_read(&m, c, err) < 0)
				goto out;
		}
	}
 out:
	for (i = 0; i < BOX_MUX_CHANS; i++)
		if (m.ch[i].used)
			chan_drop(&m.ch[i]);
	free(m.in);
	free(m.out);
	return rc;
}
