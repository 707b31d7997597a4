/*
 * Unit tests for lib/agent/agent.c (the box-agent protocol) and, end to end
 * without any runtime, for box-agent itself with lib/session/session.c: the real
 * agent binary serves sessions on a socket in a temporary directory, and
 * box_session_run drives them in both modes.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "config/config.h"
#include "session/session.h"
#include "tap.h"
#include "core/util.h"

#ifndef AGENT_BINARY
#define AGENT_BINARY "./box-agent"
#endif

static long
parse(const void *buf, size_t len, int to_host, struct box_agent_frame *f)
{
	struct box_error err;

	return box_agent_frame_parse(buf, len, to_host, f, &err);
}

static void
test_frames(void)
{
	struct box_agent_frame f;
	uint8_t b[16], big[8];
	struct box_agent_exit ex;
	struct box_error err;
	unsigned v, rows, cols;
	uint32_t pid;
	int sig;

	box_agent_frame_header(b, BOX_AGF_EXIT, 2);
	b[5] = 0;
	b[6] = 7;
	is_int(parse(b, 7, 1, &f), 7, "an EXIT frame parses, 7 bytes used");
	ok(box_agent_parse_exit(&f, &ex, &err) == 0 && !ex.signalled &&
	    ex.value == 7, "exit status 7");
	is_int(parse(b, 6, 1, &f), 0, "a frame cut short: need more");
	is_int(parse(b, 3, 1, &f), 0, "a header cut short: need more");
	is_int(parse(b, 7, 0, &f), -1, "EXIT is not for the agent");
	b[5] = 1;
	b[6] = 0;
	parse(b, 7, 1, &f);
	is_int(box_agent_parse_exit(&f, &ex, &err), -1,
	    "killed by signal 0: refused");
	b[5] = 2;
	parse(b, 7, 1, &f);
	is_int(box_agent_parse_exit(&f, &ex, &err), -1,
	    "an exit kind other than 0 or 1: refused");
	b[5] = 1;
	b[6] = 9;
	parse(b, 7, 1, &f);
	ok(box_agent_parse_exit(&f, &ex, &err) == 0 && ex.signalled &&
	    ex.value == 9, "killed by signal 9");

	box_agent_put_u32(big, 0);
	is_int(parse(big, 8, 1, &f), -1, "a frame of length 0 is refused");
	box_agent_put_u32(big, BOX_AGENT_FRAME_MAX + 1);
	big[4] = BOX_AGF_STDOUT;
	is_int(parse(big, 8, 1, &f), -1,
	    "a frame over the maximum is refused before it arrives");
	box_agent_put_u32(big, BOX_AGENT_DATA_MAX + 2);
	is_int(parse(big, 8, 1, &f), -1, "output over 32 KiB is refused");
	box_agent_put_u32(big, 1);
	big[4] = 'Z';
	is_int(parse(big, 8, 1, &f), -1, "an unknown type is refused");
	big[4] = BOX_AGF_STDOUT;
	is_int(parse(big, 8, 1, &f), -1, "empty output is refused");
	big[4] = BOX_AGF_EXIT;
	is_int(parse(big, 8, 1, &f), -1, "EXIT without its 2 bytes");
	box_agent_put_u32(big, 3);
	big[4] = BOX_AGF_HELLO;
	is_int(parse(big, 8, 1, &f), -1, "HELLO of the wrong size");

	box_agent_frame_header(b, BOX_AGF_HELLO, 5);
	b[5] = 9;
	box_agent_put_u32(b + 6, 1);
	parse(b, 10, 1, &f);
	ok(box_agent_parse_hello(&f, &v, &pid, &err) < 0 &&
	    strstr(err.msg, "version 9") != NULL,
	    "an agent of another version is refused");
	box_agent_frame_header(b, BOX_AGF_RESIZE, 4);
	box_agent_put_u16(b + 5, 0);
	box_agent_put_u16(b + 7, 80);
	parse(b, 9, 0, &f);
	is_int(box_agent_parse_resize(&f, &rows, &cols, &err), -1,
	    "a resize to 0 rows is refused");
	box_agent_frame_header(b, BOX_AGF_SIGNAL, 1);
	b[5] = SIGSEGV;
	parse(b, 6, 0, &f);
	is_int(box_agent_parse_signal(&f, &sig, &err), -1,
	    "SIGSEGV is not a signal the host forwards");
	b[5] = SIGINT;
	parse(b, 6, 0, &f);
	ok(box_agent_parse_signal(&f, &sig, &err) == 0 && sig == SIGINT,
	    "SIGINT is");
	{
		char out[16];
		const uint8_t msg[] = { 'b', 'a', 'd', 0x1b, '[', '2', 'J',
		    0x00, 0xff };
		struct box_agent_frame ff = { BOX_AGF_FAIL, msg, sizeof(msg) };

		box_agent_parse_fail(&ff, out, sizeof(out));
		is_str(out, "bad?[2J??", "a FAIL message loses its control "
		    "bytes");
	}
}

static void
test_open(void)
{
	static struct box_agent_open o, back;
	static uint8_t buf[BOX_AGENT_FRAME_MAX];
	struct box_error err;
	long n;

	memset(&o, 0, sizeof(o));
	o.flags = BOX_AGO_TTY;
	o.rows = 24;
	o.cols = 80;
	strcpy(o.shell, "/bin/sh");
	strcpy(o.workdir, "/home/guest");
	o.command = "echo 'a b' | wc -c";
	o.ncommand = strlen(o.command);
	strcpy(o.env[0], "TERM=xterm-256color");
	strcpy(o.env[1], "LANG=C.UTF-8");
	o.nenv = 2;
	n = box_agent_open_build(&o, buf, sizeof(buf), &err);
	ok(n > 0, "a session request builds");
	ok(n > 0 && box_agent_open_parse(buf, (size_t)n, &back, &err) == 0,
	    "and parses back");
	ok(back.flags == BOX_AGO_TTY && back.rows == 24 && back.cols == 80 &&
	    strcmp(back.shell, "/bin/sh") == 0 &&
	    strcmp(back.workdir, "/home/guest") == 0 &&
	    back.ncommand == o.ncommand &&
	    memcmp(back.command, o.command, o.ncommand) == 0 &&
	    back.nenv == 2 && strcmp(back.env[1], "LANG=C.UTF-8") == 0,
	    "with every field as it was");

	o.command = NULL;
	o.ncommand = 0;
	is_int(box_agent_open_build(&o, buf, sizeof(buf), &err), -1,
	    "no command and no LOGIN flag: not built");
	o.flags |= BOX_AGO_LOGIN;
	n = box_agent_open_build(&o, buf, sizeof(buf), &err);
	ok(n > 0 && box_agent_open_parse(buf, (size_t)n, &back, &err) == 0 &&
	    back.command == NULL, "a login shell request");
	strcpy(o.env[0], "BAD NAME=x");
	is_int(box_agent_open_build(&o, buf, sizeof(buf), &err), -1,
	    "an environment name with a space: not built");
	strcpy(o.env[0], "TERM=xterm");
	strcpy(o.shell, "sh");
	is_int(box_agent_open_build(&o, buf, sizeof(buf), &err), -1,
	    "a relative shell: not built");

	/* A TCP stream: a port, and nothing of a process. */
	strcpy(o.shell, "/bin/sh");
	o.flags = BOX_AGO_TCP;
	o.port = 8080;
	o.command = NULL;
	o.ncommand = 0;
	n = box_agent_open_build(&o, buf, sizeof(buf), &err);
	ok(n > 0 && box_agent_open_parse(buf, (size_t)n, &back, &err) == 0 &&
	    back.flags == BOX_AGO_TCP && back.port == 8080 &&
	    back.command == NULL, "a TCP request keeps its port");
	o.flags = BOX_AGO_TCP | BOX_AGO_TTY;
	is_int(box_agent_open_build(&o, buf, sizeof(buf), &err), -1,
	    "TCP with a terminal: not built");
	o.flags = BOX_AGO_TCP;
	o.port = 0;
	is_int(box_agent_open_build(&o, buf, sizeof(buf), &err), -1,
	    "TCP without a port: not built");
	o.flags = BOX_AGO_LOGIN;
	o.port = 22;
	is_int(box_agent_open_build(&o, buf, sizeof(buf), &err), -1,
	    "a port on a login: not built");
	o.port = 0;

	/* Hostile payloads, by hand. */
	{
		static const uint8_t version[] = { 2, 0, 0, 0, 0, 0 };
		static const uint8_t flags[] = { 1, 0x80, 0, 0, 0, 0 };
		static const uint8_t cut[] = { 1, 4, 0, 0, 0, 0, 's', 0, 0 };
		static const uint8_t longer[] = { 1, 4, 0, 0, 0, 0, 's', 0, 0,
		    0, 9, '/', 'b' };
		static const uint8_t noshell[] = { 1, 4, 0, 0, 0, 0 };
		static const uint8_t twice[] = { 1, 4, 0, 0, 0, 0,
		    's', 0, 0, 0, 2, '/', 'x', 's', 0, 0, 0, 2, '/', 'y' };
		static const uint8_t ctl[] = { 1, 4, 0, 0, 0, 0,
		    's', 0, 0, 0, 3, '/', 0x1b, 'x' };
		static const uint8_t nulcmd[] = { 1, 0, 0, 0, 0, 0,
		    's', 0, 0, 0, 2, '/', 'x', 'c', 0, 0, 0, 3, 'a', 0, 'b' };
		static const uint8_t both[] = { 1, 4, 0, 0, 0, 0,
		    's', 0, 0, 0, 2, '/', 'x', 'c', 0, 0, 0, 1, 'a' };
		static const uint8_t port0[] = { 1, 8, 0, 0, 0, 0,
		    's', 0, 0, 0, 2, '/', 'x', 'p', 0, 0, 0, 2, 0, 0 };
		static const uint8_t port3[] = { 1, 8, 0, 0, 0, 0,
		    's', 0, 0, 0, 2, '/', 'x', 'p', 0, 0, 0, 3, 0, 80, 0 };
		static const uint8_t noport[] = { 1, 8, 0, 0, 0, 0,
		    's', 0, 0, 0, 2, '/', 'x' };
		static const uint8_t twoports[] = { 1, 8, 0, 0, 0, 0,
		    's', 0, 0, 0, 2, '/', 'x', 'p', 0, 0, 0, 2, 0, 80,
		    'p', 0, 0, 0, 2, 0, 81 };
		static const uint8_t tcpcmd[] = { 1, 8, 0, 0, 0, 0,
		    's', 0, 0, 0, 2, '/', 'x', 'p', 0, 0, 0, 2, 0, 80,
		    'c', 0, 0, 0, 1, 'a' };
		static const uint8_t tcpfd[] = { 1, 8 | 2, 0, 0, 0, 0,
		    's', 0, 0, 0, 2, '/', 'x', 'p', 0, 0, 0, 2, 0, 80 };
		static const uint8_t tag[] = { 1, 4, 0, 0, 0, 0,
		    's', 0, 0, 0, 2, '/', 'x', 'q', 0, 0, 0, 0 };
		static const struct {
			const uint8_t *p;
			size_t n;
			const char *name;
		} bad[] = {
			{ version, sizeof(version), "another version" },
			{ flags, sizeof(flags), "unknown flags" },
			{ cut, sizeof(cut), "a field header cut short" },
			{ longer, sizeof(longer), "a field longer than the rest" },
			{ noshell, sizeof(noshell), "no shell" },
			{ twice, sizeof(twice), "the shell twice" },
			{ ctl, sizeof(ctl), "a control character in a path" },
			{ nulcmd, sizeof(nulcmd), "a NUL in the command" },
			{ both, sizeof(both), "a login with a command" },
			{ tag, sizeof(tag), "an unknown field" },
			{ port0, sizeof(port0), "port 0" },
			{ port3, sizeof(port3), "a port of three bytes" },
			{ noport, sizeof(noport), "TCP without a port" },
			{ twoports, sizeof(twoports), "two ports" },
			{ tcpcmd, sizeof(tcpcmd), "TCP with a command" },
			{ tcpfd, sizeof(tcpfd), "TCP with descriptors" },
		};
		char name[96];
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(name, sizeof(name), "request refused: %s",
			    bad[i].name);
			is_int(box_agent_open_parse(bad[i].p, bad[i].n, &back,
			    &err), -1, name);
		}
	}
}

/* ------------------------------------------------- the agent, end to end */

static char dir[] = "/tmp/test-agent.XXXXXX";
static char sockpath[100];
static pid_t agent = -1;

static int
start_agent(void)
{
	struct stat st;
	int i;

	snprintf(sockpath, sizeof(sockpath), "%s/agent.sock", dir);
	if ((agent = fork()) == 0) {
		execl(AGENT_BINARY, "box-agent", "--socket", sockpath,
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		if (stat(sockpath, &st) == 0 && S_ISSOCK(st.st_mode))
			return 0;
		usleep(10000);
	}
	return -1;
}

static int
connect_agent(void)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sockpath);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned session_port;	/* a TCP session instead */
/* A guest that stops reading its output for stall_ms once stall_after
 * bytes came: the output is then counted (nout), not kept. */
static long	 stall_after, stall_ms;

struct run {
	int	 rc;		/* box_session_run's return */
	int	 status;
	char	 out[4096], err[4096];
	long	 nout;
};

static long
count(int fd, long max)
{
	char buf[65536];
	long len = 0;
	ssize_t n;

	while ((max < 0 || len < max) && (n = read(fd, buf, max < 0 ||
	    max - len > (long)sizeof(buf) ? sizeof(buf) :
	    (size_t)(max - len))) > 0)
		len += n;
	return len;
}

static void
drain(int fd, char *buf, size_t sz)
{
	size_t len = 0;
	ssize_t n;

	while (len < sz - 1 && (n = read(fd, buf + len, sz - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

/*
 * Run command (NULL: login) with input on stdin, in a child whose fds 0, 1
 * and 2 are pipes, the way sshd runs box-shell without a terminal.
 */
static void
session(const char *command, const char *input, int passthrough,
    struct run *r)
{
	struct box_profile p;
	int in[2], out[2], err[2], res[2], fd;
	pid_t pid;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	r->rc = -9;
	if (pipe(in) < 0 || pipe(out) < 0 || pipe(err) < 0 || pipe(res) < 0)
		return;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct box_session_opts o;
		struct box_error e;
		int v[2];

		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		close(err[0]); close(err[1]); close(res[0]);
		memset(&p, 0, sizeof(p));
		strcpy(p.shell, "/bin/sh");
		memset(&o, 0, sizeof(o));
		o.passthrough = passthrough;
		o.command = command;
		o.port = session_port;
		o.profile = &p;
		o.deadline = box_now() + 60;	/* a hang fails, late */
		if ((fd = connect_agent()) < 0)
			_exit(1);
		v[0] = box_session_run(fd, &o, &v[1], &e);
		if (write(res[1], v, sizeof(v)) < 0)
			_exit(2);
		_exit(0);
	}
	close(in[0]); close(out[1]); close(err[1]); close(res[1]);
	if (input != NULL && write(in[1], input, strlen(input)) < 0)
		diag("write: %s", strerror(errno));
	close(in[1]);
	if (stall_ms > 0) {
		r->nout = count(out[0], stall_after);
		usleep((useconds_t)stall_ms * 1000);
		r->nout += count(out[0], -1);
	} else
		drain(out[0], r->out, sizeof(r->out));
	drain(err[0], r->err, sizeof(r->err));
	{
		int v[2];

		if ((n = read(res[0], v, sizeof(v))) == sizeof(v)) {
			r->rc = v[0];
			r->status = v[1];
		}
	}
	close(out[0]); close(err[0]); close(res[0]);
	waitpid(pid, NULL, 0);
}

static void
test_end_to_end(void)
{
	struct run r;
	int mode;

	if (access(AGENT_BINARY, X_OK) < 0 || mkdtemp(dir) == NULL ||
	    start_agent() < 0) {
		skip(29, "box-agent is not built here");
		return;
	}
	for (mode = 0; mode < 2; mode++) {
		const char *m = mode ? "pass-through" : "relay";
		char name[128];

		session("echo out; echo err >&2; exit 7", NULL, mode, &r);
		snprintf(name, sizeof(name), "%s: the session ends with its "
		    "exit status", m);
		ok(r.rc == BOX_SESSION_EXITED && r.status == 7, name);
		snprintf(name, sizeof(name), "%s: stdout and stderr apart", m);
		ok(strcmp(r.out, "out\n") == 0 && strcmp(r.err, "err\n") == 0,
		    name);
		/* Input and its end: several times over, since the end of
		 * input can come in the same read as the last data or in
		 * the next one; and more than the agent buffers at once. */
		{
			static char big[300001];
			int i, good = 1;

			for (i = 0; i < 10 && good; i++) {
				session("tr a-z A-Z", "hello box\n", mode, &r);
				good = r.rc == BOX_SESSION_EXITED &&
				    r.status == 0 &&
				    strcmp(r.out, "HELLO BOX\n") == 0;
			}
			snprintf(name, sizeof(name), "%s: stdin reaches the "
			    "process, and its end (10 runs)", m);
			ok(good, name);
			memset(big, 'a', sizeof(big) - 1);
			session("wc -c", big, mode, &r);
			snprintf(name, sizeof(name), "%s: 300000 bytes of stdin "
			    "arrive whole", m);
			ok(r.rc == BOX_SESSION_EXITED && atoi(r.out) == 300000,
			    name);
			/* A process that closes its input while the guest
			 * still sends (more than every buffer on the way):
			 * the rest is dropped, the session goes on to its
			 * end and status. */
			{
				static char huge[2000001];

				memset(huge, 'a', sizeof(huge) - 1);
				session("exec 0<&-; sleep 1; echo done; exit 5",
				    huge, mode, &r);
			}
			snprintf(name, sizeof(name), "%s: input the process "
			    "closed: dropped, the session ends normally", m);
			ok(r.rc == BOX_SESSION_EXITED && r.status == 5 &&
			    strcmp(r.out, "done\n") == 0, name);
			diag("rc %d status %d out %s", r.rc, r.status, r.out);
		}
		session("kill -TERM $$", NULL, mode, &r);
		snprintf(name, sizeof(name), "%s: killed by a signal is 128 "
		    "+ the signal", m);
		is_int(r.status, 128 + SIGTERM, name);
		session("head -c 200000 /dev/zero | wc -c", NULL, mode, &r);
		snprintf(name, sizeof(name), "%s: bulk output arrives", m);
		is_str(r.out, "200000\n", name);
		/*
		 * A guest that stops reading for a while after the process
		 * ended loses nothing: the output left in box-shell's
		 * buffer (250000 bytes: more than the pipe holds, with room
		 * left for the exit frame), and that of a process left in
		 * the background while the agent could not send (4 MB: far
		 * more than every buffer on the way).  Each stall is longer
		 * than the end of a session ever waited before.
		 */
		if (!mode) {
			stall_after = 0;
			stall_ms = 7000;
			session("head -c 250000 /dev/zero", NULL, mode, &r);
			ok(r.rc == BOX_SESSION_EXITED && r.nout == 250000,
			    "relay: output the guest reads late, after the "
			    "process ended: whole");
			diag("%ld bytes", r.nout);
			stall_after = 100000;
			stall_ms = 4000;
			session("head -c 4000000 /dev/zero & exit 3", NULL,
			    mode, &r);
			ok(r.rc == BOX_SESSION_EXITED && r.status == 3 &&
			    r.nout == 4000000, "relay: a background process's "
			    "output, the guest reading late: whole");
			diag("%ld bytes, status %d", r.nout, r.status);
			stall_ms = 0;
		}
		session("cd /nonexistent-dir 2>/dev/null; pwd; echo $HOME",
		    NULL, mode, &r);
		snprintf(name, sizeof(name), "%s: a home and a working "
		    "directory", m);
		ok(r.rc == BOX_SESSION_EXITED && r.out[0] == '/', name);
	}
	/* A shell that does not exist: the agent says so in one line. */
	{
		struct box_session_opts o;
		struct box_profile p;
		struct box_error e;
		int st, fd = connect_agent();

		memset(&p, 0, sizeof(p));
		strcpy(p.shell, "/nonexistent/sh");
		memset(&o, 0, sizeof(o));
		o.command = "true";
		o.profile = &p;
		o.deadline = box_now() + 60;
		ok(box_session_run(fd, &o, &st, &e) == -1 &&
		    strstr(e.msg, "cannot start /nonexistent/sh") != NULL,
		    "a missing shell: the agent's one line");
		diag("%s", e.msg);
		/* A quiet session (a pooled box's warm-up): its status,
		 * its output (more than the connection holds) discarded;
		 * a missing shell is an error. */
		strcpy(p.shell, "/bin/sh");
		st = -1;
		ok(box_session_quiet(connect_agent(), &p, "head -c 1000000 "
		    "/dev/zero; echo x >&2; exit 4", 30000, &st, &e) == 0 &&
		    st == 4, "a quiet session: its exit status, its output "
		    "discarded");
		strcpy(p.shell, "/nonexistent/sh");
		ok(box_session_quiet(connect_agent(), &p, "true", 30000, &st,
		    &e) == -1 && strstr(e.msg, "cannot start /nonexistent/sh")
		    != NULL, "a quiet session with a missing shell: an error");
	}
	/* TCP: a stream to a port, its end of input shut down, its end the
	 * session's (status 0); a port nobody listens on: one line. */
	{
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		int l = socket(AF_INET, SOCK_STREAM, 0), c;
		pid_t srv;

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(l, 4) < 0 || getsockname(l, (struct sockaddr *)&sa,
		    &sl) < 0)
			printf("Bail out! a listening socket: %s\n",
			    strerror(errno)), exit(1);
		if ((srv = fork()) == 0) {
			char in[64];
			size_t len = 0;
			ssize_t n;

			/* Reads to EOF (which only a shut down sending side
			 * gives), then answers and closes. */
			if ((c = accept(l, NULL, NULL)) < 0)
				_exit(1);
			while (len < sizeof(in) && (n = read(c, in + len,
			    sizeof(in) - len)) > 0)
				len += (size_t)n;
			if (write(c, "got:", 4) < 0 || write(c, in, len) < 0)
				_exit(1);
			_exit(0);
		}
		close(l);
		session_port = ntohs(sa.sin_port);
		session(NULL, "ping\n", 0, &r);
		ok(r.rc == BOX_SESSION_EXITED && r.status == 0 &&
		    strcmp(r.out, "got:ping\n") == 0,
		    "tcp: bytes both ways, the end of input shut down, the "
		    "port's end the session's");
		waitpid(srv, NULL, 0);
		/* Nothing listens there now. */
		session(NULL, "x", 0, &r);
		ok(r.rc == -1, "tcp: a port nobody listens on starts nothing");
		session_port = 0;
	}
	/* A peer that breaks the protocol gets nothing started. */
	{
		struct box_agent_frame f;
		struct box_agent_conn c;
		struct box_error e;
		uint8_t junk[] = { 0, 0, 0, 2, 'O', 9 };
		int fd = connect_agent(), r2 = 0, got = 0;

		box_agent_conn_init(&c, fd, 1, &e);
		if (write(fd, junk, sizeof(junk)) < 0)
			diag("write: %s", strerror(errno));
		for (int i = 0; i < 100 && !c.eof; i++) {
			struct pollfd pfd = { fd, POLLIN, 0 };

			poll(&pfd, 1, 100);
			box_agent_conn_fill(&c, &e);
			while ((r2 = box_agent_conn_next(&c, &f, &e)) == 1)
				got |= f.type == BOX_AGF_FAIL ? 1 :
				    f.type == BOX_AGF_STARTED ? 2 : 0;
		}
		ok(got == 1 && c.eof, "a malformed request: FAIL, closed, "
		    "nothing started");
		box_agent_conn_free(&c);
		close(fd);
	}
	/* Descriptors the request did not ask for are not used. */
	{
		static struct box_agent_open o;
		static uint8_t buf[4096];
		struct box_agent_frame f;
		struct box_agent_conn c;
		struct box_error e;
		long n;
		int fd = connect_agent(), fds[3] = { 0, 1, 2 }, got = 0;

		memset(&o, 0, sizeof(o));
		o.flags = BOX_AGO_PASSFD | BOX_AGO_TTY;
		strcpy(o.shell, "/bin/sh");
		o.command = "true";
		o.ncommand = 4;
		n = box_agent_open_build(&o, buf, sizeof(buf), &e);
		box_agent_conn_init(&c, fd, 1, &e);
		box_agent_send(fd, BOX_AGF_OPEN, buf, (size_t)n, fds, 3, 1000,
		    &e);
		for (int i = 0; i < 100 && !c.eof; i++) {
			struct pollfd pfd = { fd, POLLIN, 0 };

			poll(&pfd, 1, 100);
			box_agent_conn_fill(&c, &e);
			while (box_agent_conn_next(&c, &f, &e) == 1)
				got |= f.type == BOX_AGF_FAIL ? 1 :
				    f.type == BOX_AGF_STARTED ? 2 : 0;
		}
		ok(got == 1, "a terminal request with three descriptors: "
		    "refused");
		box_agent_conn_free(&c);
		close(fd);
	}
	/* Ending the session (END, or the host gone) ends what it started. */
	{
		static struct box_agent_open o;
		static uint8_t buf[4096];
		struct box_agent_frame f;
		struct box_agent_conn c;
		struct box_error e;
		char mark[160], cmd[256];
		long n;
		int fd = connect_agent(), i;

		snprintf(mark, sizeof(mark), "%s/alive", dir);
		snprintf(cmd, sizeof(cmd), "(while :; do touch %s; sleep 0.1; "
		    "done) & wait", mark);
		memset(&o, 0, sizeof(o));
		strcpy(o.shell, "/bin/sh");
		o.command = cmd;
		o.ncommand = strlen(cmd);
		n = box_agent_open_build(&o, buf, sizeof(buf), &e);
		box_agent_conn_init(&c, fd, 1, &e);
		box_agent_send(fd, BOX_AGF_OPEN, buf, (size_t)n, NULL, 0, 1000,
		    &e);
		for (i = 0; i < 50 && access(mark, F_OK) < 0; i++)
			usleep(100000);
		ok(access(mark, F_OK) == 0, "a session with a background job "
		    "runs");
		box_agent_send(fd, BOX_AGF_END, NULL, 0, NULL, 0, 1000, &e);
		for (i = 0; i < 100 && !c.eof; i++) {
			struct pollfd pfd = { fd, POLLIN, 0 };

			poll(&pfd, 1, 100);
			box_agent_conn_fill(&c, &e);
			while (box_agent_conn_next(&c, &f, &e) == 1)
				;
		}
		ok(c.eof, "END: the agent closes the session");
		unlink(mark);
		usleep(500000);
		ok(access(mark, F_OK) < 0, "and its background job is gone");
		box_agent_conn_free(&c);
		close(fd);
	}
	kill(agent, SIGTERM);
	{
		int st = 0;

		ok(waitpid(agent, &st, 0) == agent && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0, "the agent stops on SIGTERM");
	}
	unlink(sockpath);
	rmdir(dir);
}

/*
 * A hostile agent: box_session_run on one end of a socket pair, the test
 * on the other sending what a guest's agent could.  Each must end the
 * session with an error, never a status the agent made up.
 */
static void
hostile(const char *name, const uint8_t *script, size_t n, int passthrough,
    const char *want)
{
	struct box_session_opts o;
	struct box_profile p;
	struct box_error e;
	int sv[2], st = -1, rc, in[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(in) < 0)
		return;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		uint8_t sink[4096];

		close(sv[0]);
		if (n == 0 || write(sv[1], script, n) < 0)
			_exit(1);
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
		_exit(0);
	}
	close(sv[1]);
	memset(&p, 0, sizeof(p));
	strcpy(p.shell, "/bin/sh");
	memset(&o, 0, sizeof(o));
	o.passthrough = passthrough;
	o.command = "true";
	o.profile = &p;
	o.deadline = box_now() + 60;
	box_error_clear(&e);
	{
		/* stdin of the session: an empty pipe, closed. */
		int saved = dup(0);

		close(in[1]);
		dup2(in[0], 0);
		rc = box_session_run(sv[0], &o, &st, &e);
		dup2(saved, 0);
		close(saved);
		close(in[0]);
	}
	ok(rc == -1 && strstr(e.msg, want) != NULL, name);
	if (rc != -1 || strstr(e.msg, want) == NULL)
		diag("rc %d status %d: %s", rc, st, e.msg);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
test_hostile_agent(void)
{
	static const uint8_t hello[] = { 0, 0, 0, 6, 'H', 1, 0, 0, 0, 1 };
	static const uint8_t started[] = { 0, 0, 0, 5, 'S', 0, 0, 0, 9 };
	uint8_t s[64];
	size_t n;

	hostile("no greeting, a close: refused", (const uint8_t *)"", 0, 0,
	    "closed the connection");
	memcpy(s, "\0\0\0\6H\2\0\0\0\1", 10);
	hostile("a greeting of another version: refused", s, 10, 0,
	    "version 2");
	n = 0;
	memcpy(s + n, hello, sizeof(hello)); n += sizeof(hello);
	memcpy(s + n, "\x7f\xff\xff\xff", 4); n += 4;
	hostile("a 2 GiB frame announced: refused at once", s, n, 0,
	    "agent frame of");
	n = 0;
	memcpy(s + n, hello, sizeof(hello)); n += sizeof(hello);
	memcpy(s + n, started, sizeof(started)); n += sizeof(started);
	memcpy(s + n, "\0\0\0\3X\1\0", 7); n += 7;
	hostile("an exit by signal 0: refused", s, n, 0,
	    "malformed exit status");
	n = 0;
	memcpy(s + n, hello, sizeof(hello)); n += sizeof(hello);
	memcpy(s + n, started, sizeof(started)); n += sizeof(started);
	memcpy(s + n, "\0\0\0\2o!", 6); n += 6;
	hostile("output in pass-through (the agent has none): refused", s, n,
	    1, "output in pass-through");
	n = 0;
	memcpy(s + n, hello, sizeof(hello)); n += sizeof(hello);
	memcpy(s + n, "\0\0\0\2i!", 6); n += 6;
	hostile("a host frame from the agent: refused", s, n, 0,
	    "unexpected agent frame type");
	n = 0;
	memcpy(s + n, hello, sizeof(hello)); n += sizeof(hello);
	memcpy(s + n, "\0\0\0\5F\x1b[2J", 9); n += 9;
	hostile("a FAIL reaches the guest as one clean line", s, n, 0,
	    "start the session: ?[2J");
}


/*
 * An agent whose stream ends in the middle of a frame (a microVM's link
 * cut): the session ends as gone, at once -- box-shell once spun on the
 * hang-up with the cut frame in its buffer.
 */
static void
test_cut_frame(void)
{
	int sv[2], res[2], v[2] = { -9, 0 }, st;
	uint8_t p[8], hdr[5];
	pid_t fake, sess;
	char sink[64];
	struct box_error e;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(res) < 0) {
		ok(0, "socketpair");
		return;
	}
	if ((fake = fork()) == 0) {
		close(sv[0]);
		p[0] = BOX_AGENT_VERSION;
		box_agent_put_u32(p + 1, 1);
		box_agent_send(sv[1], BOX_AGF_HELLO, p, 5, NULL, 0, -1, &e);
		/* The whole request read (unread bytes at close would
		 * reset the connection instead of ending it). */
		while (poll(&(struct pollfd){ sv[1], POLLIN, 0 }, 1, 300) > 0 &&
		    read(sv[1], sink, sizeof(sink)) > 0)
			;
		box_agent_put_u32(p, 2);
		box_agent_send(sv[1], BOX_AGF_STARTED, p, 4, NULL, 0, -1, &e);
		box_agent_frame_header(hdr, BOX_AGF_STDOUT, 100);
		(void)write(sv[1], hdr, 5);
		(void)write(sv[1], "only ten..", 10);
		while (poll(&(struct pollfd){ sv[1], POLLIN, 0 }, 1, 300) > 0 &&
		    read(sv[1], sink, sizeof(sink)) > 0)
			;
		_exit(0);
	}
	close(sv[1]);
	if ((sess = fork()) == 0) {
		struct box_session_opts o;
		struct box_profile prof;
		int nul = open("/dev/null", O_RDWR);

		alarm(10);	/* a spin fails the test, not the suite */
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(nul, 2);
		memset(&prof, 0, sizeof(prof));
		strcpy(prof.shell, "/bin/sh");
		memset(&o, 0, sizeof(o));
		o.command = "true";
		o.profile = &prof;
		o.deadline = box_now() + 60;
		memset(&e, 0, sizeof(e));
		v[0] = box_session_run(sv[0], &o, &v[1], &e);
		if (write(res[1], v, sizeof(v)) < 0 ||
		    write(res[1], e.msg, strlen(e.msg)) < 0)
			_exit(2);
		_exit(0);
	}
	close(sv[0]);
	close(res[1]);
	if (read(res[0], v, sizeof(v)) != sizeof(v))
		v[0] = -9;
	memset(sink, 0, sizeof(sink));
	(void)read(res[0], sink, sizeof(sink) - 1);
	close(res[0]);
	waitpid(sess, &st, 0);
	waitpid(fake, NULL, 0);
	if (v[0] != BOX_SESSION_GONE)
		diag("rc %d, wait status %d: %s", v[0], st, sink);
	ok(v[0] == BOX_SESSION_GONE, "an agent's stream cut mid-frame: the "
	    "session ends as gone (no spin)");
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_frames();
	test_open();
	test_hostile_agent();
	test_end_to_end();
	test_cut_frame();
	return tap_done();
}
