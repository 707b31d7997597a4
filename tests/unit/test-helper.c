/*
 * The box-runtime protocol (lib/runtime/helper.c), the container inspect reader
 * it relies on to tell this bastion's boxes from others, and the
 * root-only path check it applies to its configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/helper.h"
#include "runtime/runtime.h"
#include "tap.h"
#include "core/util.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int
req(const char *line, struct box_helper_req *r, struct box_error *err)
{
	return box_helper_parse_req(line, strlen(line), r, err);
}

static void
test_requests(void)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "", "malformed request" },
		{ "list ", "malformed request" },
		{ " list", "malformed request" },
		{ "list  x", "malformed request" },
		{ "list\tx", "malformed request" },
		{ "list\x7f", "malformed request" },
		{ "LIST", "unknown request" },
		{ "shell /bin/sh", "unknown request" },
		{ "list x", "list takes 0 arguments" },
		{ "destroy", "destroy takes 2 arguments" },
		{ "destroy " ID64, "destroy takes 2 arguments" },
		{ "destroy 0123456789abcdef " ID64 " x",
		    "destroy takes 2 arguments" },
		{ "destroy " ID64 " -", "invalid box id" },
		{ "destroy 0123456789ABCDEF -", "invalid box id" },
		{ "destroy 0123456789abcdef ../x", "invalid box reference" },
		{ "destroy 0123456789abcdef ABC", "invalid box reference" },
		{ "destroy 0123456789abcdef sshbox-0123",
		    "invalid box reference" },
		{ "destroy 0123456789abcdef sshbox-0123456789abcdeg",
		    "invalid box reference" },
		{ "destroy 0123456789abcdef " ID64 "0",
		    "invalid box reference" },
		{ "inspect my-container", "invalid box reference" },
		{ "inspect 0123abcd", "invalid box reference" },
		{ "create 0123456789abcde dev 5", "invalid box id" },
		{ "create 0123456789abcdef ../dev 5", "invalid profile name" },
		{ "create 0123456789abcdef .dev 5", "invalid profile name" },
		{ "create 0123456789abcdef dev 0", "invalid deadline" },
		{ "create 0123456789abcdef dev -5", "invalid deadline" },
		{ "create 0123456789abcdef dev 99999999999999999999",
		    "invalid deadline" },
		{ "agent 0123456789abcdef", "agent takes 2 arguments" },
		{ "agent sshbox-0123456789abcdef -", "invalid box id" },
		{ "agent 0123456789abcdef ../x", "invalid box reference" },
		{ "pause 0123456789abcdef", "pause takes 2 arguments" },
		{ "pause " ID64 " -", "invalid box id" },
		{ "unpause 0123456789abcdef ../x", "invalid box reference" },
		{ "unpause 0123456789abcdef - x", "unpause takes 2 arguments" },
		{ "use", "use takes 1 arguments" },
		{ "use podman", "unknown runtime" },
		{ "use runc runsc", "use takes 1 arguments" },
		{ "use ../runc", "unknown runtime" },
		{ "use RUNC", "unknown runtime" },
		{ "fresh 0123456789abcdef -", "fresh takes 3 arguments" },
		{ "fresh 0123456789abcdef - ../dev", "invalid profile name" },
		{ "fresh 0123456789abcdef ../x dev", "invalid box reference" },
		{ "fresh sshbox-0123456789abcdef - dev", "invalid box id" },
		{ "clone now", "clone takes 0 arguments" },
		{ "sign dev 600", "sign takes 3 arguments" },
		{ "sign ../dev 600 86400", "invalid profile name" },
		{ "sign dev 0 86400", "invalid ttl" },
		{ "sign dev 600 2592001", "invalid expiry" },
		{ "sign dev 10m 86400", "invalid ttl" },
		/* The Docker exec requests are gone: well formed as they
		 * were, they are unknown now. */
		{ "exec sshbox-0123456789abcdef 1 24 80 xterm-256color -",
		    "unknown request" },
		{ "exec " ID64 " 0 0 0 - 17", "unknown request" },
		{ "resize " ID64 " 50 132", "unknown request" },
		{ "status " ID64, "unknown request" },
	};
	struct box_helper_req r;
	struct box_error err;
	char msg[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(msg, sizeof(msg), "refused: \"%s\"", bad[i].line);
		box_error_clear(&err);
		ok(req(bad[i].line, &r, &err) == -1 && err.kind == BOX_E_INPUT &&
		    strcmp(err.msg, bad[i].why) == 0, msg);
		if (strcmp(err.msg, bad[i].why) != 0)
			diag("got \"%s\"", err.msg);
	}
	ok(box_helper_parse_req("list\0x", 6, &r, &err) == -1,
	    "a NUL inside a request is refused");
	{
		char big[BOX_HELPER_LINE_MAX + 8];

		memset(big, 'a', sizeof(big));
		memcpy(big, "destroy ", 8);
		ok(box_helper_parse_req(big, sizeof(big), &r, &err) == -1,
		    "a request longer than a line is refused");
	}

	is_int(req("create 0123456789abcdef dev 1790000000", &r, &err), 0,
	    "create parses");
	ok(r.op == BOX_HOP_CREATE && strcmp(r.ref, "0123456789abcdef") == 0 &&
	    strcmp(r.profile, "dev") == 0 && r.deadline == 1790000000,
	    "create: box id, profile, deadline");
	is_int(req("agent 0123456789abcdef sshbox-0123456789abcdef", &r,
	    &err), 0, "agent parses");
	ok(r.op == BOX_HOP_AGENT && strcmp(r.box_id, "0123456789abcdef") ==
	    0 && strcmp(r.ref, "sshbox-0123456789abcdef") == 0,
	    "agent: box id and reference");
	is_int(req("pause 0123456789abcdef -", &r, &err), 0, "pause parses");
	ok(r.op == BOX_HOP_PAUSE && strcmp(r.box_id, "0123456789abcdef") ==
	    0 && r.ref[0] == '\0', "pause: box id, no reference");
	is_int(req("unpause 0123456789abcdef " ID64, &r, &err), 0,
	    "unpause parses");
	ok(r.op == BOX_HOP_UNPAUSE && strcmp(r.ref, ID64) == 0,
	    "unpause: box id and reference");
	{
		char line[BOX_HELPER_LINE_MAX];

		ok(box_helper_format_req(&r, line, sizeof(line), &err) > 0 &&
		    strcmp(line, "unpause 0123456789abcdef " ID64 "\n") == 0,
		    "unpause formats as it parses");
	}
	is_int(req("fresh 0123456789abcdef - dev", &r, &err), 0,
	    "fresh parses");
	ok(r.op == BOX_HOP_FRESH && strcmp(r.box_id, "0123456789abcdef") ==
	    0 && r.ref[0] == '\0' && strcmp(r.profile, "dev") == 0,
	    "fresh: box id, no reference, profile");
	{
		char line[BOX_HELPER_LINE_MAX];

		ok(box_helper_format_req(&r, line, sizeof(line), &err) > 0 &&
		    strcmp(line, "fresh 0123456789abcdef - dev\n") == 0,
		    "fresh formats as it parses");
	}
	is_int(req("sign dev 600 86400", &r, &err), 0, "sign parses");
	ok(r.op == BOX_HOP_SIGN && strcmp(r.profile, "dev") == 0 &&
	    r.ttl == 600 && r.expires == 86400, "sign: profile, ttl, expiry");
	{
		char line[BOX_HELPER_LINE_MAX];

		ok(box_helper_format_req(&r, line, sizeof(line), &err) > 0 &&
		    strcmp(line, "sign dev 600 86400\n") == 0,
		    "sign formats as it parses");
	}
	is_int(req("clone", &r, &err), 0, "clone parses");
	ok(r.op == BOX_HOP_CLONE, "clone: the request");
	is_int(req("use runsc", &r, &err), 0, "use parses");
	ok(r.op == BOX_HOP_USE && strcmp(r.runtime, "runsc") == 0,
	    "use: the runtime");
	{
		char line[BOX_HELPER_LINE_MAX];

		ok(box_helper_format_req(&r, line, sizeof(line), &err) > 0 &&
		    strcmp(line, "use runsc\n") == 0, "use formats as it parses");
	}
	is_int(req("inspect " ID64, &r, &err), 0, "inspect parses");
	ok(r.op == BOX_HOP_INSPECT && strcmp(r.ref, ID64) == 0,
	    "inspect: reference");
	is_int(req("destroy 0123456789abcdef " ID64, &r, &err), 0,
	    "destroy with a stored reference parses");
	ok(r.op == BOX_HOP_DESTROY && strcmp(r.box_id, "0123456789abcdef") ==
	    0 && strcmp(r.ref, ID64) == 0, "destroy: box id and reference");
	is_int(req("destroy 0123456789abcdef -", &r, &err), 0,
	    "destroy by name parses");
	ok(strcmp(r.box_id, "0123456789abcdef") == 0 && r.ref[0] == '\0',
	    "destroy: box id, no reference");
	is_int(req("list", &r, &err), 0, "list parses");
	is_int(r.op, BOX_HOP_LIST, "list is list");
}

static void
test_format(void)
{
	struct box_helper_req r, back;
	struct box_error err;
	char buf[BOX_HELPER_LINE_MAX];
	int n;

	memset(&r, 0, sizeof(r));
	r.op = BOX_HOP_AGENT;
	strcpy(r.box_id, "0123456789abcdef");
	strcpy(r.ref, "sshbox-0123456789abcdef");
	n = box_helper_format_req(&r, buf, sizeof(buf), &err);
	is_str(buf, "agent 0123456789abcdef sshbox-0123456789abcdef\n",
	    "agent request line");
	ok(n > 0 && box_helper_parse_req(buf, (size_t)n - 1, &back,
	    &err) == 0 && memcmp(&r, &back, sizeof(r)) == 0,
	    "and it parses back to the same request");
	strcpy(r.ref, "../x");
	is_int(box_helper_format_req(&r, buf, sizeof(buf), &err), -1,
	    "an invalid request is not sent");
	memset(&r, 0, sizeof(r));
	r.op = BOX_HOP_INSPECT;
	strcpy(r.ref, "../x");
	is_int(box_helper_format_req(&r, buf, sizeof(buf), &err), -1,
	    "nor an inspect of an invalid reference");
	memset(&r, 0, sizeof(r));
	r.op = BOX_HOP_DESTROY;
	strcpy(r.box_id, "0123456789abcdef");
	n = box_helper_format_req(&r, buf, sizeof(buf), &err);
	is_str(buf, "destroy 0123456789abcdef -\n", "destroy by name: line");
	ok(n > 0 && box_helper_parse_req(buf, (size_t)n - 1, &back,
	    &err) == 0 && memcmp(&r, &back, sizeof(r)) == 0,
	    "and it parses back to the same request");
	strcpy(r.box_id, "0123");
	is_int(box_helper_format_req(&r, buf, sizeof(buf), &err), -1,
	    "a destroy without a whole box id is not sent");
	memset(&r, 0, sizeof(r));
	r.op = BOX_HOP_CREATE;
	strcpy(r.ref, "0123456789abcdef");
	strcpy(r.profile, "dev");
	r.deadline = 42;
	box_helper_format_req(&r, buf, sizeof(buf), &err);
	is_str(buf, "create 0123456789abcdef dev 42\n", "create request line");
}

static void
test_replies(void)
{
	struct box_runtime_obj obj;
	struct box_error err;
	char line[256], *args;

	strcpy(line, "ok 1 0");
	ok(box_helper_parse_reply(line, strlen(line), &args, &err) == 0 &&
	    strcmp(args, "1 0") == 0, "ok with arguments");
	strcpy(line, "ok");
	ok(box_helper_parse_reply(line, strlen(line), &args, &err) == 0 &&
	    *args == '\0', "bare ok");
	strcpy(line, "err 3 abc is not a box of this bastion");
	ok(box_helper_parse_reply(line, strlen(line), &args, &err) == -1 &&
	    err.kind == BOX_E_DENIED &&
	    strcmp(err.msg, "abc is not a box of this bastion") == 0,
	    "err: kind and message");
	strcpy(line, "err 2 a\033[1mb");
	box_helper_parse_reply(line, strlen(line), &args, &err);
	is_str(err.msg, "a\\x1b[1mb", "err: control bytes escaped");
	strcpy(line, "err 0 none");
	ok(box_helper_parse_reply(line, strlen(line), &args, &err) == -1 &&
	    err.kind == BOX_E_RUNTIME &&
	    strcmp(err.msg, "unexpected reply from box-runtime") == 0,
	    "err with kind 0 is not a reply");
	strcpy(line, "err 9 x");
	ok(box_helper_parse_reply(line, strlen(line), &args, &err) == -1 &&
	    strcmp(err.msg, "unexpected reply from box-runtime") == 0,
	    "err with an unknown kind is not a reply");
	strcpy(line, "okay");
	ok(box_helper_parse_reply(line, strlen(line), &args, &err) == -1 &&
	    err.kind == BOX_E_RUNTIME, "okay is not ok");

	strcpy(line, ID64 " 0123456789abcdef 1790000000 1");
	ok(box_helper_parse_obj(line, strlen(line), &obj, &err) == 0 &&
	    strcmp(obj.ref, ID64) == 0 &&
	    strcmp(obj.box_id, "0123456789abcdef") == 0 &&
	    obj.deadline == 1790000000 && obj.running == 1,
	    "list line: ref, box id, deadline, running");
	strcpy(line, ID64 " 0123456789abcdef -1 1");
	is_int(box_helper_parse_obj(line, strlen(line), &obj, &err), -1,
	    "list line with a negative deadline refused");
	strcpy(line, "../x 0123456789abcdef 1 1");
	is_int(box_helper_parse_obj(line, strlen(line), &obj, &err), -1,
	    "list line with a bad ref refused");
	strcpy(line, ID64 " 0123456789abcdef 1 1 extra");
	is_int(box_helper_parse_obj(line, strlen(line), &obj, &err), -1,
	    "list line with an extra word refused");
}

static void
test_inspect(void)
{
	struct box_runtime_obj obj;
	struct box_error err;
	const char *ours = "{\"Id\":\"" ID64 "\",\"State\":{\"Running\":true},"
	    "\"Config\":{\"Labels\":{\"io.sshbox.box\":\"0123456789abcdef\","
	    "\"io.sshbox.instance\":\"main\",\"io.sshbox.profile\":\"dev\","
	    "\"io.sshbox.deadline\":\"1790000000\"}}}";
	const char *plain = "{\"Id\":\"" ID64 "\",\"State\":{\"Running\":"
	    "false},\"Config\":{\"Labels\":{\"app\":\"web\"}}}";
	const char *badprof = "{\"Id\":\"" ID64 "\",\"State\":{\"Running\":"
	    "true},\"Config\":{\"Labels\":{\"io.sshbox.box\":"
	    "\"0123456789abcdef\",\"io.sshbox.instance\":\"a b\","
	    "\"io.sshbox.profile\":\"../x\"}}}";

	is_int(box_docker_parse_inspect(ours, strlen(ours), &obj, &err), 0,
	    "inspect of a box parses");
	ok(obj.running && strcmp(obj.box_id, "0123456789abcdef") == 0 &&
	    strcmp(obj.instance, "main") == 0 &&
	    strcmp(obj.profile, "dev") == 0 && obj.deadline == 1790000000,
	    "inspect: running, box id, instance, profile, deadline");
	is_int(box_docker_parse_inspect(plain, strlen(plain), &obj, &err), 0,
	    "inspect of another container parses");
	ok(obj.box_id[0] == '\0' && obj.instance[0] == '\0' && !obj.running,
	    "but it is no box");
	is_int(box_docker_parse_inspect(badprof, strlen(badprof), &obj, &err),
	    0, "inspect with hostile labels parses");
	ok(obj.instance[0] == '\0' && obj.profile[0] == '\0',
	    "hostile instance and profile labels are dropped");
	is_int(box_docker_parse_inspect("{\"State\":{\"Running\":true}}", 27,
	    &obj, &err), -1, "inspect without an Id refused");
	is_int(box_docker_parse_inspect("{\"Id\":\"zz\",\"State\":{}}", 22,
	    &obj, &err), -1, "inspect with a bad Id refused");
}

static void
test_paths(void)
{
	char dir[] = "/tmp/test-helper.XXXXXX", file[64], sub[64], link[80];
	struct box_error err;
	FILE *f;

	ok(box_valid_term("xterm-256color") && box_valid_term("screen.x+y_1") &&
	    !box_valid_term("") && !box_valid_term("XTERM") &&
	    !box_valid_term("a b") && !box_valid_term(NULL),
	    "TERM values");
	if (geteuid() != 0) {
		diag("skipping root-owned path checks: not root");
		return;
	}
	if (mkdtemp(dir) == NULL)
		return;
	chmod(dir, 0755);
	snprintf(file, sizeof(file), "%s/conf", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	if ((f = fopen(file, "w")) != NULL)
		fclose(f);
	chmod(file, 0644);
	is_int(box_path_root_only(file, 1, &err), 0,
	    "root's file under sticky /tmp: root only (sticky allowed)");
	is_int(box_path_root_only(file, 0, &err), -1,
	    "but not where sticky is not allowed");
	ok(strstr(err.msg, "/tmp is group- or world-writable") != NULL,
	    "which names /tmp");
	chmod(file, 0664);
	ok(box_path_root_only(file, 1, &err) == -1 &&
	    strstr(err.msg, "conf is group- or world-writable (chmod go-w") !=
	    NULL, "a group-writable file is refused, with the fix");
	chmod(file, 0644);
	chmod(dir, 01777);
	ok(box_path_root_only(file, 1, &err) == 0,
	    "a sticky root directory is allowed");
	chmod(dir, 0777);
	ok(box_path_root_only(file, 1, &err) == -1 &&
	    strstr(err.msg, "is group- or world-writable") != NULL,
	    "a world-writable directory that is not sticky is refused");
	chmod(dir, 0755);
	if (chown(file, 1, 1) == 0)
		ok(box_path_root_only(file, 1, &err) == -1 &&
		    strstr(err.msg, "conf is not owned by root (chown root") !=
		    NULL, "a file not owned by root is refused");
	chown(file, 0, 0);
	chmod(file, 0666);
	mkdir(sub, 0755);
	snprintf(link, sizeof(link), "%s/link", sub);
	if (symlink(file, link) == 0)
		ok(box_path_root_only(link, 1, &err) == -1 &&
		    strstr(err.msg, "/conf is group- or world-writable") != NULL,
		    "a symlink is judged by what it points to");
	unlink(link);
	rmdir(sub);
	/* The race-free reader box-runtime uses. */
	{
		char dots[96], fifo[80], *buf = NULL;
		size_t len;

		chmod(file, 0644);
		if ((f = fopen(file, "w")) != NULL) {
			fputs("box_user: box\n", f);
			fclose(f);
		}
		ok(box_read_root_only(file, 1, 4096, &buf, &len, &err) == 0 &&
		    len == 14 && strcmp(buf, "box_user: box\n") == 0,
		    "root-only read: the content");
		free(buf);
		ok(box_read_root_only(file, 0, 4096, &buf, NULL,
		    &err) == -1 && strstr(err.msg, "/tmp is group- or world-"
		    "writable") != NULL, "root-only read: sticky only if "
		    "allowed");
		ok(box_read_root_only("conf", 1, 4096, &buf, NULL,
		    &err) == -1 && strstr(err.msg, "not an absolute path") !=
		    NULL, "root-only read: relative path refused");
		snprintf(dots, sizeof(dots), "%s/../%s", dir, file + 5);
		ok(box_read_root_only(dots, 1, 4096, &buf, NULL,
		    &err) == -1 && strstr(err.msg, "not a plain path") != NULL,
		    "root-only read: .. refused");
		snprintf(link, sizeof(link), "%s/link", dir);
		if (symlink(file, link) == 0)
			ok(box_read_root_only(link, 1, 4096, &buf, NULL,
			    &err) == -1 && strstr(err.msg, "is a symbolic "
			    "link") != NULL, "root-only read: a link refused");
		unlink(link);
		ok(box_read_root_only("/proc/1/comm", 1, 4096, &buf, NULL,
		    &err) == -1 && strstr(err.msg, "/proc is on a pseudo "
		    "file system") != NULL, "root-only read: /proc refused");
		snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
		if (mkfifo(fifo, 0644) == 0)
			ok(box_read_root_only(fifo, 1, 4096, &buf, NULL,
			    &err) == -1 && strstr(err.msg, "not a regular file")
			    != NULL, "root-only read: a FIFO refused, at once");
		unlink(fifo);
	}
	ok(box_path_root_only("/nonexistent/x", 1, &err) == -1 &&
	    strstr(err.msg, "No such file or directory") != NULL,
	    "a missing file is refused");
	unlink(file);
	rmdir(dir);
}

int
main(void)
{
	test_requests();
	test_format();
	test_replies();
	test_inspect();
	test_paths();
	return tap_done();
}
