/* Unit tests for the docker driver's reply parsers and error paths. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "tap.h"

#define ID1 "c86ab1b6eef888efb56b35ac2638111fe7612237af100268b1ab0068de48ede2"
#define ID2 "d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2"

static const char list_ok[] = "[{\"Id\":\"" ID1 "\",\"Names\":[\"/sshbox-"
    "0123456789abcdef\"],\"State\":\"running\",\"Labels\":{"
    "\"io.sshbox.box\":\"0123456789abcdef\","
    "\"io.sshbox.instance\":\"main\","
    "\"io.sshbox.deadline\":\"1900000000\"}},"
    "{\"Id\":\"" ID2 "\",\"State\":\"exited\",\"Labels\":{"
    "\"io.sshbox.box\":\"fedcba9876543210\"}}]\n";

static void
test_list(void)
{
	struct box_runtime_obj *objs;
	struct box_error err;
	size_t n, len = strlen(list_ok), cut;
	int bad;

	is_int(box_docker_parse_list(list_ok, len, &objs, &n, &err), 0,
	    "valid list parsed");
	is_int(n, 2, "two boxes");
	if (n == 2) {
		is_str(objs[0].ref, ID1, "ref is the Id");
		is_str(objs[0].box_id, "0123456789abcdef", "box id label");
		is_int(objs[0].deadline, 1900000000, "deadline label");
		is_int(objs[0].running, 1, "running state");
		is_str(objs[1].box_id, "fedcba9876543210", "second box id");
		is_int(objs[1].deadline, 0, "no deadline label gives 0");
		is_int(objs[1].running, 0, "exited is not running");
	}
	free(objs);

	is_int(box_docker_parse_list("[]", 2, &objs, &n, &err), 0,
	    "empty list");
	is_int(n, 0, "no boxes");
	ok(objs != NULL, "empty list still allocated");
	free(objs);

	{
		static const char skip[] = "["
		    "{\"Id\":\"" ID1 "\"},"
		    "{\"Id\":\"" ID1 "\",\"Labels\":null},"
		    "{\"Id\":\"" ID1 "\",\"Labels\":[]},"
		    "{\"Id\":\"" ID1 "\",\"Labels\":{\"io.sshbox.box\":"
		    "\"abc\"}},"
		    "{\"Id\":\"" ID1 "\",\"Labels\":{\"io.sshbox.box\":"
		    "\"0123456789ABCDEF\"}},"
		    "{\"Id\":\"" ID1 "\",\"Labels\":{\"io.sshbox.box\":"
		    "\"0123456789abcdeff\"}},"
		    "{\"Id\":\"" ID1 "\",\"Labels\":{\"io.sshbox.box\":"
		    "12345678901234567}},"
		    "{\"Id\":\"" ID1 "\",\"Labels\":{\"io.sshbox.box\":"
		    "\"0123456789abcde\\u0000\"}},"
		    "{\"Labels\":{\"io.sshbox.box\":\"0123456789abcdef\"}},"
		    "{\"Id\":\"../../x\",\"Labels\":{\"io.sshbox.box\":"
		    "\"0123456789abcdef\"}},"
		    "{\"Id\":42,\"Labels\":{\"io.sshbox.box\":"
		    "\"0123456789abcdef\"}},"
		    "{\"Id\":\"" ID1 ID1 "\",\"Labels\":{\"io.sshbox.box\":"
		    "\"0123456789abcdef\"}},"
		    "7, \"x\", null, [],"
		    "{\"Id\":\"" ID2 "\",\"State\":\"running\",\"Labels\":{"
		    "\"io.sshbox.box\":\"00000000000000aa\"}}]";

		is_int(box_docker_parse_list(skip, strlen(skip), &objs, &n,
		    &err), 0, "list with bad entries parsed");
		is_int(n, 1, "only the valid entry kept");
		if (n == 1)
			is_str(objs[0].box_id, "00000000000000aa",
			    "the valid entry");
		free(objs);
	}
	{
		static const char dl[] = "["
		    "{\"Id\":\"aa\",\"Labels\":{\"io.sshbox.box\":"
		    "\"0000000000000001\",\"io.sshbox.deadline\":\"abc\"}},"
		    "{\"Id\":\"bb\",\"Labels\":{\"io.sshbox.box\":"
		    "\"0000000000000002\",\"io.sshbox.deadline\":\"-5\"}},"
		    "{\"Id\":\"cc\",\"Labels\":{\"io.sshbox.box\":"
		    "\"0000000000000003\",\"io.sshbox.deadline\":"
		    "\"99999999999999999999999\"}},"
		    "{\"Id\":\"dd\",\"Labels\":{\"io.sshbox.box\":"
		    "\"0000000000000004\",\"io.sshbox.deadline\":1900000000}},"
		    "{\"Id\":\"ee\",\"Labels\":{\"io.sshbox.box\":"
		    "\"0000000000000005\",\"io.sshbox.deadline\":"
		    "\"9223372036854775807\"}}]";
		size_t i;

		bad = 0;
		is_int(box_docker_parse_list(dl, strlen(dl), &objs, &n, &err),
		    0, "list with bad deadlines parsed");
		is_int(n, 5, "boxes with a bad deadline are kept");
		for (i = 0; i < n && i < 4; i++)
			if (objs[i].deadline != 0)
				bad++;
		is_int(bad, 0, "bad, negative, huge, non-string deadline is 0");
		if (n == 5)
			ok(objs[4].deadline == INT64_MAX, "INT64_MAX deadline");
		free(objs);
	}

	objs = (void *)1;
	is_int(box_docker_parse_list("{}", 2, &objs, &n, &err), -1,
	    "object instead of a list rejected");
	is_int(err.kind, BOX_E_RUNTIME, "wrong type is a runtime error");
	ok(objs == NULL && n == 0, "outputs cleared on error");
	is_int(box_docker_parse_list("\"[]\"", 4, &objs, &n, &err), -1,
	    "string instead of a list rejected");
	is_int(box_docker_parse_list("null", 4, &objs, &n, &err), -1,
	    "null rejected");
	is_int(box_docker_parse_list("", 0, &objs, &n, &err), -1,
	    "empty reply rejected");
	is_int(box_docker_parse_list("[] x", 4, &objs, &n, &err), -1,
	    "trailing garbage rejected");
	is_int(box_docker_parse_list("[]\0[]", 5, &objs, &n, &err), -1,
	    "NUL in reply rejected");
	is_int(box_docker_parse_list("['a']", 5, &objs, &n, &err), -1,
	    "non-JSON quotes rejected");

	bad = 0;
	for (cut = 0; cut < len - 1; cut++) {
		if (box_docker_parse_list(list_ok, cut, &objs, &n, &err) !=
		    -1 || objs != NULL)
			bad++;
	}
	is_int(bad, 0, "list truncated at every offset rejected");

	{
		char deep[400];

		memset(deep, '[', 200);
		memset(deep + 200, ']', 200);
		is_int(box_docker_parse_list(deep, sizeof(deep), &objs, &n,
		    &err), -1, "200-deep nesting rejected");
	}
}

static void
test_id(void)
{
	struct box_error err;
	char ref[BOX_REF_MAX], small[10];
	const char *j;

#define ID(s) box_docker_parse_id((s), strlen(s), ref, sizeof(ref), &err)
	is_int(ID("{\"Id\":\"" ID1 "\",\"Warnings\":[]}\n"), 0,
	    "create reply parsed");
	is_str(ref, ID1, "Id copied");
	is_int(ID("{\"Id\":\"\"}"), -1, "empty Id rejected");
	is_str(ref, "", "ref cleared on error");
	is_int(ID("{\"Id\":42}"), -1, "numeric Id rejected");
	is_int(ID("{\"Id\":\"../../etc\"}"), -1, "path in Id rejected");
	is_int(ID("{\"Id\":\"ABCDEF\"}"), -1, "uppercase Id rejected");
	is_int(ID("{\"Id\":\"ab\\u0000cd\"}"), -1, "NUL in Id rejected");
	is_int(ID("{\"id\":\"abcd\"}"), -1, "missing Id rejected");
	is_int(ID("{\"Id\":\"" ID1 ID1 "\"}"), -1, "128-char Id rejected");
	is_int(ID("[\"" ID1 "\"]"), -1, "array rejected");
	j = "{\"Id\":\"abcdef0123\"}";
	is_int(box_docker_parse_id(j, strlen(j), small, sizeof(small), &err),
	    -1, "Id longer than the buffer rejected");
	is_int(ID("{\"Id\":\"abc"), -1, "truncated reply rejected");
#undef ID
}

static void
test_message(void)
{
	char msg[256], tiny[8];
	size_t i;
	int bad;
	const char *j;

#define MSG(s) box_docker_parse_message((s), strlen(s), msg, sizeof(msg))
	MSG("{\"message\":\"No such container: abc\"}\n");
	is_str(msg, "No such container: abc", "message extracted");
	MSG("{\"message\":\"bad\\nthing\\u001b[31m red\\r\"}");
	is_str(msg, "bad\\x0athing\\x1b[31m red\\x0d",
	    "control characters escaped");
	MSG("{\"message\":\"a\\u0000b\"}");
	is_str(msg, "a\\x00b", "NUL escaped, not cut");
	MSG("{\"message\":\"caf\\u00e9 \\\\ x\"}");
	is_str(msg, "caf\\xc3\\xa9 \\x5c x", "non-ASCII and backslash escaped");
	MSG("page not found\n");
	is_str(msg, "page not found", "plain text body used");
	MSG("{\"message\":5}");
	is_str(msg, "{\"message\":5}", "non-string message shows the body");
	MSG("");
	is_str(msg, "", "empty body gives an empty message");
	MSG("\x1b]0;pwned\x07");
	is_str(msg, "\\x1b]0;pwned\\x07", "hostile plain body escaped");

	{
		char big[2000];

		memcpy(big, "{\"message\":\"", 12);
		memset(big + 12, 'A', 1500);
		memcpy(big + 1512, "\"}", 3);
		MSG(big);
		ok(strlen(msg) < sizeof(msg) && strlen(msg) >= 100,
		    "long message bounded");
		bad = 0;
		for (i = 0; msg[i] != '\0'; i++)
			if (msg[i] != 'A')
				bad++;
		is_int(bad, 0, "long message is a prefix");
	}

	j = "{\"message\":\"\\n\\n\\n\\n\\n\\n\"}";
	box_docker_parse_message(j, strlen(j), tiny, sizeof(tiny));
	is_str(tiny, "\\x0a", "escape never cut in half");
	memcpy(tiny, "keep", 5);
	box_docker_parse_message(j, strlen(j), tiny, 0);
	is_str(tiny, "keep", "zero-size buffer untouched");
#undef MSG
}

static void
test_open(void)
{
	struct box_runtime *rt = NULL;
	struct box_error err;
	struct box_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	is_int(box_runtime_open("docker", &cfg, &rt, &err), 0,
	    "docker driver opens");
	ok(rt != NULL && rt->ops == &box_docker_ops, "docker ops");
	box_runtime_free(rt);
	rt = (void *)1;
	is_int(box_runtime_open("lxc\n", &cfg, &rt, &err), -1,
	    "unknown driver rejected");
	is_int(err.kind, BOX_E_CONFIG, "unknown driver is a config error");
	ok(strstr(err.msg, "lxc\\x0a") != NULL, "driver name escaped");
	ok(rt == NULL, "no runtime on error");
	box_runtime_free(NULL);
}

/* A fake daemon on a unix socket: answers one request with reply. */
static pid_t
fake_daemon(const char *path, const char *reply)
{
	struct sockaddr_un sun;
	char buf[8192];
	pid_t pid;
	int s, c;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(s, 4) == -1)
		return -1;
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	if (reply == NULL) {
		pause();
		_exit(0);
	}
	if ((c = accept(s, NULL, NULL)) == -1)
		_exit(1);
	if (read(c, buf, sizeof(buf)) <= 0)
		_exit(1);
	if (write(c, reply, strlen(reply)) < 0)
		_exit(1);
	shutdown(c, SHUT_WR);
	while (read(c, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

/* A container inspect reply: labels for box and instance, or none. */
static const char *
inspect_reply(char *buf, size_t bufsz, const char *box, const char *inst)
{
	char body[512];

	if (box != NULL)
		snprintf(body, sizeof(body), "{\"Id\":\"%s\",\"State\":"
		    "{\"Running\":true},\"Config\":{\"Labels\":{"
		    "\"io.sshbox.box\":\"%s\",\"io.sshbox.instance\":"
		    "\"%s\"}}}", ID1, box, inst);
	else
		snprintf(body, sizeof(body), "{\"Id\":\"%s\",\"State\":"
		    "{\"Running\":true},\"Config\":{\"Labels\":{}}}", ID1);
	snprintf(buf, bufsz, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
	    "\r\n%s", strlen(body), body);
	return buf;
}

static void
stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void
test_daemon_errors(void)
{
	char dir[] = "/tmp/test-docker.XXXXXX", sock[128], buf[1024];
	struct box_runtime_obj *objs;
	struct box_runtime *rt;
	struct box_error err;
	struct box_config cfg;
	struct box_profile p;
	struct box_spec spec;
	char ref[BOX_REF_MAX];
	int exists, running;
	size_t n;
	pid_t pid;

	memset(&cfg, 0, sizeof(cfg));
	memset(&p, 0, sizeof(p));
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(sock, sizeof(sock), "%s/docker.sock", dir);
	snprintf(cfg.docker_socket, sizeof(cfg.docker_socket), "%s", sock);
	cfg.docker_timeout = 1;
	snprintf(cfg.instance, sizeof(cfg.instance), "main");
	if (box_runtime_open("docker", &cfg, &rt, &err) < 0) {
		ok(0, "docker driver opens");
		diag("%s", err.msg);
		rmdir(dir);
		return;
	}
	ok(rt != NULL && strcmp(rt->ops->name, "docker") == 0,
	    "docker driver opens");

	is_int(rt->ops->list(rt, "main", &objs, &n, &err), -1,
	    "no daemon: list fails");
	is_int(err.kind, BOX_E_RUNTIME, "no daemon: runtime error");
	ok(strstr(err.msg, "cannot reach the Docker daemon at ") != NULL &&
	    strstr(err.msg, sock) != NULL &&
	    strstr(err.msg, "(is dockerd running?)") != NULL,
	    "no daemon: message names the socket");
	diag("%s", err.msg);

	is_int(rt->ops->inspect(rt, "../x", &exists, &running, &err), -1,
	    "bad reference rejected before any request");
	is_int(err.kind, BOX_E_INPUT, "bad reference is an input error");
	is_int(rt->ops->destroy(rt, "", "", &err), -1, "empty box id rejected");
	is_int(rt->ops->destroy(rt, "0123456789abcdef", "../x", &err), -1,
	    "bad stored reference rejected before any request");
	is_int(err.kind, BOX_E_INPUT, "bad stored reference: input error");
	is_int(rt->ops->list(rt, "a b", &objs, &n, &err), -1,
	    "bad instance rejected");
	strcpy(p.image, "img");
	spec.box_id = "0123456789ABCDEF";
	spec.instance = "main";
	spec.deadline = 0;
	spec.profile = &p;
	is_int(rt->ops->create(rt, &spec, ref, sizeof(ref), &err), -1,
	    "uppercase box id rejected");
	is_int(err.kind, BOX_E_INPUT, "bad box id is an input error");

	pid = fake_daemon(sock, NULL);
	is_int(rt->ops->inspect(rt, "abc", &exists, &running, &err), -1,
	    "silent daemon: inspect fails");
	is_str(err.msg, "cannot inspect box: Docker daemon did not answer "
	    "within 1s", "silent daemon: timeout message");
	stop(pid);

	pid = fake_daemon(sock, "HTTP/1.1 500 Internal Server Error\r\n"
	    "Content-Type: application/json\r\nContent-Length: 31\r\n\r\n"
	    "{\"message\":\"boom\\u001b[1m\\nx\"}\n");
	is_int(rt->ops->inspect(rt, "abc", &exists, &running, &err), -1,
	    "HTTP 500: inspect fails");
	is_str(err.msg, "cannot inspect box: boom\\x1b[1m\\x0ax (HTTP 500)",
	    "HTTP 500: sanitised daemon message and status");
	stop(pid);

	pid = fake_daemon(sock, "HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 2\r\n\r\n{}");
	exists = running = 1;
	is_int(rt->ops->inspect(rt, "abc", &exists, &running, &err), 0,
	    "HTTP 404: inspect succeeds");
	ok(exists == 0 && running == 0, "HTTP 404: box does not exist");
	stop(pid);

	pid = fake_daemon(sock, "HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 2\r\n\r\n{}");
	is_int(rt->ops->destroy(rt, "0123456789abcdef", "abc", &err), 0,
	    "HTTP 404: destroy succeeds");
	stop(pid);

	/* A stored reference naming a container that is not this box of this
	 * instance: refused after the look-up, no removal is asked for (the
	 * fake answers one request; a DELETE would be a runtime error). */
	pid = fake_daemon(sock, inspect_reply(buf, sizeof(buf),
	    "0123456789abcdef", "other"));
	is_int(rt->ops->destroy(rt, "0123456789abcdef", ID1, &err), -1,
	    "another instance's container: destroy refused");
	is_int(err.kind, BOX_E_DENIED, "another instance's container: denied, "
	    "nothing removed");
	stop(pid);
	pid = fake_daemon(sock, inspect_reply(buf, sizeof(buf),
	    "fedcba9876543210", "main"));
	is_int(rt->ops->destroy(rt, "0123456789abcdef", ID1, &err), -1,
	    "another box's container: destroy refused");
	is_int(err.kind, BOX_E_DENIED, "another box's container: denied");
	stop(pid);
	pid = fake_daemon(sock, inspect_reply(buf, sizeof(buf), NULL, NULL));
	is_int(rt->ops->destroy(rt, "0123456789abcdef", "", &err), -1,
	    "a container without labels: destroy refused");
	is_int(err.kind, BOX_E_DENIED, "no labels: denied");
	stop(pid);
	pid = fake_daemon(sock, inspect_reply(buf, sizeof(buf),
	    "0123456789abcdef", "main"));
	is_int(rt->ops->destroy(rt, "0123456789abcdef", ID1, &err), -1,
	    "this box: the look-up passes and removal is asked for");
	is_int(err.kind, BOX_E_RUNTIME, "this box: the removal reached the "
	    "runtime (the one-shot fake is gone by then)");
	stop(pid);

	pid = fake_daemon(sock, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 14\r\n\r\n{\"State\":null}");
	is_int(rt->ops->inspect(rt, "abc", &exists, &running, &err), -1,
	    "malformed inspect reply rejected");
	stop(pid);

	box_runtime_free(rt);
	unlink(sock);
	rmdir(dir);
}

int
main(void)
{
	box_runtime_register(&box_docker_ops);
	signal(SIGPIPE, SIG_IGN);
	test_list();
	test_id();
	test_message();
	test_open();
	test_daemon_errors();
	return tap_done();
}
