/*
 * HTTP/1.1 over a unix socket, for the Docker Engine API (http.h).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/http.h"

#define LINE_MAX_LEN	4096	/* a chunk-size or trailer line */

static int
broken(struct box_error *err, const char *what)
{
	return box_error_set(err, BOX_E_RUNTIME, 0, "malformed HTTP reply "
	    "from the Docker daemon: %s", what);
}

/* The end of the line that starts at p (its CRLF), or NULL if there is
 * none within the n bytes. */
static const char *
line_end(const char *p, size_t n)
{
	return memmem(p, n, "\r\n", 2);
}

/* Decimal digits only, no sign, at most 18 of them. */
static int
parse_len(const char *v, size_t n, size_t *out)
{
	size_t i, x = 0;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (size_t)(v[i] - '0');
	}
	*out = x;
	return 0;
}

/*
 * Walk the chunks of a chunked body at p (n bytes).  With dst, the data
 * is copied there (in place: dst <= p).  Returns 1 when the last chunk and
 * its trailers are whole (*dlen decoded bytes), 0 when more is needed, -1
 * when malformed or over max (*too_big).
 */
static int
chunks(const char *p, size_t n, char *dst, size_t max, size_t *dlen,
    int *too_big, struct box_error *err)
{
	const char *e, *end = p + n;
	size_t size, total = 0, digits;
	int v;

	for (;;) {
		if ((e = line_end(p, (size_t)(end - p))) == NULL)
			return (size_t)(end - p) > LINE_MAX_LEN ? broken(err,
			    "chunk size line too long") : 0;
		for (size = 0, digits = 0; p + digits < e; digits++) {
			char c = p[digits];

			if (c >= '0' && c <= '9')
				v = c - '0';
			else if (c >= 'a' && c <= 'f')
				v = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v = c - 'A' + 10;
			else
				break;
			if (digits == 15)
				return broken(err, "chunk size too large");
			size = size * 16 + (size_t)v;
		}
		if (digits == 0 || (p + digits < e && p[digits] != ';'))
			return broken(err, "bad chunk size");
		p = e + 2;
		if (size == 0)
			break;
		if (size > max - total) {
			*too_big = 1;
			return box_error_set(err, BOX_E_RUNTIME, 0, "Docker "
			    "daemon reply is over %zu bytes", max);
		}
		if ((size_t)(end - p) < size + 2)
			return 0;
		if (p[size] != '\r' || p[size + 1] != '\n')
			return broken(err, "chunk not ended by CRLF");
		if (dst != NULL)
			memmove(dst + total, p, size);
		total += size;
		p += size + 2;
	}
	/* Trailers, then an empty line. */
	for (;;) {
		if ((e = line_end(p, (size_t)(end - p))) == NULL)
			return (size_t)(end - p) > LINE_MAX_LEN ? broken(err,
			    "trailer too long") : 0;
		if (e == p)
			break;
		p = e + 2;
	}
	*dlen = total;
	return 1;
}

int
box_http_parse(char *buf, size_t len, int eof, size_t max_body, long *code,
    char **body, size_t *blen, int *too_big, struct box_error *err)
{
	const char *p = buf, *e, *hend, *colon;
	size_t clen = 0, hlen, n, vlen;
	int have_len = 0, chunked = 0, r;
	const char *v;

	*too_big = 0;
	/* The whole head first: status line, headers, an empty line. */
	for (hend = NULL, p = buf; (e = line_end(p, len - (size_t)(p -
	    buf))) != NULL; p = e + 2) {
		if (e == p) {
			hend = e + 2;
			break;
		}
		if ((size_t)(e + 2 - buf) > BOX_HTTP_HEAD_MAX)
			break;
	}
	if (hend == NULL) {
		if (len >= BOX_HTTP_HEAD_MAX || (e != NULL &&
		    (size_t)(e + 2 - buf) > BOX_HTTP_HEAD_MAX))
			return broken(err, "headers too long");
		return eof ? broken(err, len == 0 ? "no reply" :
		    "cut short in its headers") : 0;
	}
	hlen = (size_t)(hend - buf);
	/* "HTTP/1.x NNN" and a reason (or nothing). */
	if (hlen < 14 || (memcmp(buf, "HTTP/1.1 ", 9) != 0 &&
	    memcmp(buf, "HTTP/1.0 ", 9) != 0) || buf[9] < '1' ||
	    buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9' ||
	    (buf[12] != ' ' && buf[12] != '\r'))
		return broken(err, "no HTTP status line");
	*code = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (*code < 200)
		return broken(err, "an interim (1xx) status");
	for (p = line_end(buf, hlen) + 2; p < hend - 2; p = e + 2) {
		e = line_end(p, (size_t)(hend - p));
		n = (size_t)(e - p);
		if ((colon = memchr(p, ':', n)) == NULL || colon == p ||
		    *p == ' ' || *p == '\t')
			return broken(err, "bad header line");
		for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++)
			;
		for (vlen = (size_t)(e - v); vlen > 0 && (v[vlen - 1] == ' ' ||
		    v[vlen - 1] == '\t'); vlen--)
			;
		if ((size_t)(colon - p) == 14 &&
		    strncasecmp(p, "Content-Length", 14) == 0) {
			if (have_len || parse_len(v, vlen, &clen) < 0)
				return broken(err, "bad Content-Length");
			have_len = 1;
		} else if ((size_t)(colon - p) == 17 &&
		    strncasecmp(p, "Transfer-Encoding", 17) == 0) {
			if (chunked || vlen != 7 ||
			    strncasecmp(v, "chunked", 7) != 0)
				return broken(err, "unsupported "
				    "Transfer-Encoding");
			chunked = 1;
		}
	}
	if (have_len && chunked)
		return broken(err, "both a length and chunks");
	*body = buf + hlen;
	n = len - hlen;
	if (*code == 204 || *code == 304) {
		*blen = 0;
	} else if (chunked) {
		if ((r = chunks(*body, n, NULL, max_body, blen, too_big,
		    err)) <= 0)
			return r < 0 ? -1 : eof ? broken(err, "cut short in "
			    "its chunks") : 0;
		chunks(*body, n, *body, max_body, blen, too_big, err);
	} else if (have_len) {
		if (clen > max_body) {
			*too_big = 1;
			return box_error_set(err, BOX_E_RUNTIME, 0, "Docker "
			    "daemon reply is over %zu bytes", max_body);
		}
		if (n < clen)
			return eof ? broken(err, "cut short in its body") : 0;
		*blen = clen;
	} else {
		if (n > max_body) {
			*too_big = 1;
			return box_error_set(err, BOX_E_RUNTIME, 0, "Docker "
			    "daemon reply is over %zu bytes", max_body);
		}
		if (!eof)
			return 0;
		*blen = n;
	}
	return 1;
}

/* Wait for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { fd, events, 0 };
	int64_t left;
	int r;

	for (;;) {
		if ((left = deadline - box_now_ms()) <= 0)
			return 0;
		r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int
fail(enum box_http_fail *why, enum box_http_fail w, struct box_error *err,
    int errnum, const char *msg)
{
	*why = w;
	return box_error_set(err, BOX_E_RUNTIME, errnum, "%s", msg);
}

static int
connect_to(const char *path, int64_t deadline, enum box_http_fail *why,
    struct box_error *err)
{
	struct sockaddr_un sa;
	int fd, e;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(why, BOX_HTTP_CONNECT, err, ENAMETOOLONG,
		    "socket path");
	memcpy(sa.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return fail(why, BOX_HTTP_CONNECT, err, errno, "socket");
	/* A full backlog says EAGAIN: try again until the deadline. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		if (e == EINTR)
			continue;
		if (e == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) > 0)
			return fd;
		if (e == EINPROGRESS || (e == EAGAIN &&
		    box_now_ms() >= deadline)) {
			close(fd);
			return fail(why, BOX_HTTP_TIMEOUT, err, 0,
			    "connect timed out");
		}
		if (e != EAGAIN) {
			close(fd);
			return fail(why, BOX_HTTP_CONNECT, err, e, "connect");
		}
		usleep(10000);
	}
	return fd;
}

int
box_http_do(const struct box_http_call *c, struct box_http_reply *r,
    enum box_http_fail *why, struct box_error *err)
{
	int64_t deadline = box_now_ms() + (int64_t)c->timeout_s * 1000;
	size_t blen = c->body != NULL ? strlen(c->body) : 0, len = 0, off;
	size_t cap = 0, raw_max, hlen;
	char head[1024], *buf = NULL, *nb, *body;
	ssize_t n;
	int fd, rc, too_big, w;

	memset(r, 0, sizeof(*r));
	*why = BOX_HTTP_OK;
	hlen = (size_t)snprintf(head, sizeof(head), "%s %s HTTP/1.1\r\n"
	    "Host: docker\r\nUser-Agent: sshbox\r\nConnection: close\r\n"
	    "%sContent-Length: %zu\r\n\r\n", c->method, c->target,
	    c->body != NULL ? "Content-Type: application/json\r\n" : "",
	    blen);
	if (hlen >= sizeof(head))
		return fail(why, BOX_HTTP_BROKEN, err, 0, "request too long");
	if ((fd = connect_to(c->socket, deadline, why, err)) < 0)
		return -1;
	/* The request: its head, then its body. */
	for (off = 0; off < hlen + blen; ) {
		const char *p = off < hlen ? head + off : c->body + (off -
		    hlen);
		size_t left = off < hlen ? hlen - off : hlen + blen - off;

		n = send(fd, p, left, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN &&
		    (w = wait_fd(fd, POLLOUT, deadline)) > 0)
			continue;
		close(fd);
		if (n < 0 && errno == EAGAIN)
			return fail(why, BOX_HTTP_TIMEOUT, err, 0, "timed out");
		return fail(why, BOX_HTTP_BROKEN, err, errno,
		    "the daemon closed the connection");
	}
	/* The reply, whole: chunk sizes may double what is sent. */
	raw_max = BOX_HTTP_HEAD_MAX + 2 * c->max_body + 65536;
	for (;;) {
		if (len >= raw_max) {
			rc = fail(why, BOX_HTTP_TOO_BIG, err, 0,
			    "reply too big");
			goto out;
		}
		if (len + 65536 + 1 > cap) {
			cap = cap == 0 ? 65536 + 1 : cap * 2;
			if (cap > raw_max + 1)
				cap = raw_max + 1;
			if ((nb = realloc(buf, cap)) == NULL) {
				rc = fail(why, BOX_HTTP_BROKEN, err, ENOMEM,
				    "reply");
				goto out;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if ((w = wait_fd(fd, POLLIN, deadline)) > 0)
				continue;
			rc = fail(why, w == 0 ? BOX_HTTP_TIMEOUT :
			    BOX_HTTP_BROKEN, err, 0, "timed out");
			goto out;
		}
		if (n < 0) {
			rc = fail(why, BOX_HTTP_BROKEN, err, errno,
			    "the daemon closed the connection");
			goto out;
		}
		len += (size_t)n;
		rc = box_http_parse(buf, len, n == 0, c->max_body, &r->code,
		    &body, &r->len, &too_big, err);
		if (rc < 0) {
			*why = too_big ? BOX_HTTP_TOO_BIG : BOX_HTTP_BROKEN;
			goto out;
		}
		if (rc == 1)
			break;
		if (n == 0) {		/* cannot happen: eof decides */
			rc = fail(why, BOX_HTTP_BROKEN, err, 0, "cut short");
			goto out;
		}
	}
	/* The body to the front, NUL-terminated. */
	memmove(buf, body, r->len);
	buf[r->len] = '\0';
	r->body = buf;
	buf = NULL;
	rc = 0;
 out:
	free(buf);
	close(fd);
	return rc;
}
