/* HTTP over a unix socket (lib/runtime/http.c): the reply parser on good,
 * partial and hostile replies, and whole calls to a server of our own. */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/http.h"
#include "tap.h"

/* Parse s (a copy) with eof; the result, and code/body when whole. */
static int
parse(const char *s, size_t len, int eof, size_t max, long *code,
    char *body, size_t bodysz, int *too_big)
{
	struct box_error err;
	char *buf = malloc(len + 1), *b;
	size_t blen;
	int r;

	memcpy(buf, s, len);
	r = box_http_parse(buf, len, eof, max, code, &b, &blen, too_big,
	    &err);
	if (r == 1 && body != NULL) {
		snprintf(body, bodysz, "%.*s", (int)blen, b);
	}
	if (r < 0)
		diag("%s", err.msg);
	free(buf);
	return r;
}

#define P(s, eof, max) parse(s, sizeof(s) - 1, eof, max, &code, body, \
	sizeof(body), &big)

static void
test_parse(void)
{
	char body[256];
	long code;
	int big;

	ok(P("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 0, 100) == 1 &&
	    code == 200 && strcmp(body, "{}") == 0,
	    "by length: whole before the end of the stream");
	ok(P("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}", 0, 100) == 0,
	    "by length, short: more is needed");
	ok(P("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}", 1, 100) == -1,
	    "by length, short at the end: cut short");
	ok(P("HTTP/1.1 200 OK\r\ncontent-length:  3 \r\n\r\nabc", 0, 100) ==
	    1 && strcmp(body, "abc") == 0, "header names in any case, "
	    "values trimmed");
	ok(P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "4\r\n[{},\r\na;ext=1\r\n{\"a\":\"b\"}]\r\n0\r\nX: y\r\n\r\n", 0,
	    100) == 1 && strcmp(body, "[{},{\"a\":\"b\"}]") == 0,
	    "chunked, with an extension and a trailer: decoded in place");
	ok(P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[{}]"
	    "\r\n", 0, 100) == 0, "chunked, no last chunk yet: more needed");
	ok(P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[{}]"
	    "\r\n", 1, 100) == -1, "chunked, cut at the end: refused");
	ok(P("HTTP/1.1 204 No Content\r\n\r\n", 0, 100) == 1 && code == 204 &&
	    body[0] == '\0', "204: no body");
	ok(P("HTTP/1.0 500 Oops\r\n\r\n{\"message\":\"x\"}", 0, 100) == 0,
	    "no length: the body runs to the end of the stream");
	ok(P("HTTP/1.0 500 Oops\r\n\r\n{\"message\":\"x\"}", 1, 100) == 1 &&
	    code == 500 && strcmp(body, "{\"message\":\"x\"}") == 0,
	    "  and is whole there");
	ok(P("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", 0, 100) == 0,
	    "headers not ended: more needed");

	/* Hostile or broken. */
	{
		static const char *const bad[] = {
			"SSH-2.0-nope\r\n\r\n",
			"HTTP/2 200\r\n\r\n",
			"HTTP/1.1 20 OK\r\n\r\n",
			"HTTP/1.1 099 x\r\n\r\n",
			"HTTP/1.1 600 x\r\n\r\n",
			"HTTP/1.1 100 Continue\r\n\r\n",
			"HTTP/1.1 200OK\r\n\r\n",
			"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
			"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
			"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nab",
			"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999"
			    "\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1"
			    "\r\n\r\na",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			    "Content-Length: 3\r\n\r\n0\r\n\r\n",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "zz\r\n\r\n",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "\r\n\r\n",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "2\r\nabc\r\n0\r\n\r\n",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    "ffffffffffffffffff\r\n",
		};
		char name[120];
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(name, sizeof(name), "refused: \"%.*s\"",
			    (int)strcspn(bad[i], "\r"), bad[i]);
			ok(parse(bad[i], strlen(bad[i]), 1, 100, &code, body,
			    sizeof(body), &big) == -1, name);
		}
	}
	ok(P("HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n", 0, 100) ==
	    -1 && big, "a length over the bound: too big, at once");
	ok(P("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "65\r\n", 0, 100) == -1 && big, "a chunk over the bound: too big");
	{
		static char head[BOX_HTTP_HEAD_MAX + 64];

		memcpy(head, "HTTP/1.1 200 OK\r\nX: ", 21);
		memset(head + 21, 'a', sizeof(head) - 22);
		ok(parse(head, sizeof(head) - 1, 0, 100, &code, body,
		    sizeof(body), &big) == -1, "headers over 64 KiB: refused "
		    "before they end");
	}
}

/* ------------------------------------------------------------- calls */

static char sockpath[108];

/* A server for one connection: reads the request head, answers reply
 * (NULL: never answers). */
static pid_t
serve(const char *reply, size_t len)
{
	struct sockaddr_un sa;
	int l, c;
	pid_t pid;

	unlink(sockpath);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, sockpath);
	if ((l = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		char req[4096];
		size_t got = 0;
		ssize_t n;

		if ((c = accept(l, NULL, NULL)) < 0)
			_exit(1);
		while (got < sizeof(req) - 1 && (n = read(c, req + got,
		    sizeof(req) - 1 - got)) > 0) {
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		if (reply == NULL)
			pause();
		if (write(c, reply, len) < 0)
			_exit(1);
		_exit(0);
	}
	close(l);
	return pid;
}

static int
call(const char *reply, size_t len, int timeout, struct box_http_reply *r,
    enum box_http_fail *why, struct box_error *err)
{
	struct box_http_call c;
	pid_t pid = serve(reply, len);
	int rc;

	memset(&c, 0, sizeof(c));
	c.socket = sockpath;
	c.method = "GET";
	c.target = "/v1.41/_ping";
	c.timeout_s = timeout;
	c.max_body = 1024;
	rc = box_http_do(&c, r, why, err);
	if (rc < 0)
		diag("call: %d %s", (int)*why, err->msg);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return rc;
}

static void
test_calls(void)
{
	static const char ok200[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "\r\nOK";
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n1\r\nO\r\n1\r\nK\r\n0\r\n\r\n";
	struct box_http_reply r;
	enum box_http_fail why;
	struct box_error err;
	char dir[] = "/tmp/test-http.XXXXXX";

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(sockpath, sizeof(sockpath), "%s/d.sock", dir);
	ok(call(ok200, sizeof(ok200) - 1, 5, &r, &why, &err) == 0 &&
	    r.code == 200 && r.len == 2 && strcmp(r.body, "OK") == 0,
	    "a call: status and body");
	free(r.body);
	ok(call(chunked, sizeof(chunked) - 1, 5, &r, &why, &err) == 0 &&
	    strcmp(r.body, "OK") == 0, "a chunked reply, decoded");
	free(r.body);
	ok(call(NULL, 0, 1, &r, &why, &err) == -1 && why == BOX_HTTP_TIMEOUT,
	    "a server that never answers: a timeout");
	{
		static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: "
		    "9\r\n\r\nabc";

		ok(call(cut, sizeof(cut) - 1, 5, &r, &why, &err) == -1 &&
		    why == BOX_HTTP_BROKEN, "a reply cut short: broken");
	}
	{
		static char big[4096];
		int n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n\r\n");

		memset(big + n, 'x', sizeof(big) - (size_t)n);
		ok(call(big, sizeof(big), 5, &r, &why, &err) == -1 &&
		    why == BOX_HTTP_TOO_BIG, "a body over the bound: too big");
	}
	{
		struct box_http_call c;

		memset(&c, 0, sizeof(c));
		unlink(sockpath);
		c.socket = sockpath;
		c.method = "GET";
		c.target = "/";
		c.timeout_s = 5;
		c.max_body = 10;
		ok(box_http_do(&c, &r, &why, &err) == -1 &&
		    why == BOX_HTTP_CONNECT && err.errnum == ENOENT,
		    "no socket: cannot connect, and why");
	}
	rmdir(dir);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_parse();
	test_calls();
	return tap_done();
}
