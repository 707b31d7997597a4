/*
 * A small HTTP/1.1 client over a unix socket, for the Docker Engine API
 * that box-runtime (setgid) speaks: one request per connection
 * ("Connection: close"), a JSON body or none, and a reply read whole into
 * a bounded buffer.  It replaces libcurl, whose thirty libraries (TLS,
 * HTTP/2, LDAP, Kerberos) a privileged helper that only ever talks to one
 * local socket has no use for, and which every session paid to load.
 *
 * The daemon's reply is parsed with a bound on everything: a status line,
 * headers of at most BOX_HTTP_HEAD_MAX bytes, a body by Content-Length or
 * chunked (decoded in place), or to the end of the stream.
 */
#ifndef BOX_HTTP_H
#define BOX_HTTP_H

#include <stddef.h>

#include "core/error.h"

#define BOX_HTTP_HEAD_MAX	(64 * 1024)

/* Why a call failed, for the caller's own words. */
enum box_http_fail {
	BOX_HTTP_OK = 0,
	BOX_HTTP_CONNECT,	/* nobody answers at the socket (err->errnum) */
	BOX_HTTP_TIMEOUT,	/* no whole reply in time */
	BOX_HTTP_TOO_BIG,	/* the body is over the caller's bound */
	BOX_HTTP_BROKEN,	/* not HTTP, cut short, or malformed */
};

struct box_http_call {
	const char	*socket;	/* the unix socket's path */
	const char	*method;	/* GET, POST, DELETE */
	const char	*target;	/* "/v1.41/containers/json" */
	const char	*body;		/* JSON, or NULL for none */
	int		 timeout_s;	/* for the whole call */
	size_t		 max_body;
};

struct box_http_reply {
	long	 code;
	char	*body;			/* NUL-terminated; free() it */
	size_t	 len;
};

/* One call.  0 with r filled (any status), or -1 with *why and err set. */
int	box_http_do(const struct box_http_call *c, struct box_http_reply *r,
	    enum box_http_fail *why, struct box_error *err);

/*
 * Parse a reply in buf (len bytes; eof: the stream has ended).  Returns 1
 * when it is whole: *code, and the body decoded in place at *body (*blen
 * bytes); 0 when more is needed (never once eof is set); -1 with err
 * (BOX_E_RUNTIME) when it is malformed or over max_body (*too_big set).
 */
int	box_http_parse(char *buf, size_t len, int eof, size_t max_body,
	    long *code, char **body, size_t *blen, int *too_big,
	    struct box_error *err);

#endif
