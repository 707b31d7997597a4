/*
 * agent-poke: a guest driving its own box's agent from inside the box, as
 * agent.sh copies it in (static, so that it runs in any image).  Each mode
 * does one thing a hostile guest could and prints one line saying what
 * came back; agent.sh checks those lines and that nothing was gained.
 *
 *   agent-poke run COMMAND    a session of its own: "exit N", its output
 *   agent-poke root COMMAND   the same, asking for root's home and user in
 *                             the environment (the agent has no way to
 *                             become anyone else)
 *   agent-poke fds            a terminal request carrying three descriptors
 *   agent-poke junk           a malformed frame
 *   agent-poke huge           a 2 GiB frame announced
 *   agent-poke flood N        N connections at once, each sent junk
 *
 * Test code only: never installed.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"

#define SOCK	"/.sshbox/run/agent.sock"

static int
dial(void)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	/* AGENT_POKE_SOCK: the host's end of a microVM's agent (microvm.sh). */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s",
	    getenv("AGENT_POKE_SOCK") != NULL ? getenv("AGENT_POKE_SOCK") :
	    SOCK);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("cannot connect: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

/* The next frame, or -1 at the end of the connection (or an error). */
static int
next(struct box_agent_conn *c, struct box_agent_frame *f)
{
	struct box_error err;
	struct pollfd pfd;
	int r;

	for (;;) {
		if ((r = box_agent_conn_next(c, f, &err)) != 0)
			return r;
		if (c->eof)
			return -1;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 20000) <= 0 ||
		    box_agent_conn_fill(c, &err) < 0)
			return -1;
	}
}

/* What the agent answers to raw bytes: its FAIL, or how it closed. */
static void
answer(int fd, const void *bytes, size_t n, const int *fds, int nfds)
{
	struct box_agent_conn c;
	struct box_agent_frame f;
	struct box_error err;
	char why[BOX_AGENT_FAIL_MAX + 1];
	struct msghdr msg;
	struct iovec iov;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 3)];
	} cbuf;

	box_agent_conn_init(&c, fd, 1, &err);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)bytes;
	iov.iov_len = n;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int) *
		    (size_t)nfds);
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), fds, sizeof(int) *
		    (size_t)nfds);
	}
	if (next(&c, &f) != 1 || f.type != BOX_AGF_HELLO) {
		printf("no greeting\n");
		return;
	}
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0) {
		printf("send: %s\n", strerror(errno));
		return;
	}
	while (next(&c, &f) == 1) {
		if (f.type == BOX_AGF_FAIL) {
			box_agent_parse_fail(&f, why, sizeof(why));
			printf("refused: %s\n", why);
			return;
		}
		if (f.type == BOX_AGF_STARTED) {
			printf("started\n");
			return;
		}
	}
	printf("closed\n");
}

/* A session of our own running command; its output, then its status. */
static int
run(const char *command, int as_root)
{
	static struct box_agent_open o;
	static uint8_t payload[BOX_AGENT_FRAME_MAX];
	struct box_agent_conn c;
	struct box_agent_frame f;
	struct box_agent_exit ex;
	struct box_error err;
	int fd = dial();
	long n;

	box_agent_conn_init(&c, fd, 1, &err);
	if (next(&c, &f) != 1 || f.type != BOX_AGF_HELLO)
		return printf("no greeting\n"), 1;
	memset(&o, 0, sizeof(o));
	strcpy(o.shell, "/bin/sh");
	o.command = command;
	o.ncommand = strlen(command);
	if (as_root) {
		strcpy(o.env[0], "HOME=/root");
		strcpy(o.env[1], "USER=root");
		strcpy(o.env[2], "LOGNAME=root");
		o.nenv = 3;
		strcpy(o.workdir, "/root");
	}
	if ((n = box_agent_open_build(&o, payload, sizeof(payload),
	    &err)) < 0 || box_agent_send(fd, BOX_AGF_OPEN, payload, (size_t)n,
	    NULL, 0, 5000, &err) < 0 || box_agent_send(fd, BOX_AGF_EOF, NULL,
	    0, NULL, 0, 5000, &err) < 0)
		return printf("send: %s\n", err.msg), 1;
	while (next(&c, &f) == 1) {
		if (f.type == BOX_AGF_STDOUT || f.type == BOX_AGF_STDERR)
			fwrite(f.payload, 1, f.len, stdout);
		else if (f.type == BOX_AGF_EXIT &&
		    box_agent_parse_exit(&f, &ex, &err) == 0)
			return printf("exit %d\n", ex.value), 0;
		else if (f.type == BOX_AGF_FAIL)
			return printf("refused\n"), 1;
	}
	printf("closed\n");
	return 1;
}

int
main(int argc, char **argv)
{
	static const uint8_t junk[] = { 0, 0, 0, 2, 'O', 9 };
	static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff, 'i' };
	static struct box_agent_open o;
	static uint8_t frame[BOX_AGENT_FRAME_MAX + 5];
	struct box_error err;
	long n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);	/* an agent that hung up is an answer */
	if (argc == 3 && strcmp(argv[1], "run") == 0)
		return run(argv[2], 0);
	if (argc == 3 && strcmp(argv[1], "root") == 0)
		return run(argv[2], 1);
	if (argc == 2 && strcmp(argv[1], "junk") == 0) {
		answer(dial(), junk, sizeof(junk), NULL, 0);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "huge") == 0) {
		answer(dial(), huge, sizeof(huge), NULL, 0);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "fds") == 0) {
		int fds[3] = { 0, 1, 2 };

		memset(&o, 0, sizeof(o));
		o.flags = BOX_AGO_TTY | BOX_AGO_PASSFD | BOX_AGO_LOGIN;
		strcpy(o.shell, "/bin/sh");
		if ((n = box_agent_open_build(&o, frame + 5, sizeof(frame) -
		    5, &err)) < 0)
			return 1;
		box_agent_frame_header(frame, BOX_AGF_OPEN, (size_t)n);
		answer(dial(), frame, (size_t)n + 5, fds, 3);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "flood") == 0) {
		int i, count = atoi(argv[2]), *fd, ok = 0;

		if (count < 1 || count > 4096 ||
		    (fd = calloc((size_t)count, sizeof(int))) == NULL)
			return 2;
		for (i = 0; i < count; i++)
			fd[i] = dial();
		for (i = 0; i < count; i++)
			if (write(fd[i], junk, sizeof(junk)) == sizeof(junk))
				ok++;
		for (i = 0; i < count; i++)
			close(fd[i]);
		printf("flooded %d of %d\n", ok, count);
		return 0;
	}
	fprintf(stderr, "usage: agent-poke run|root COMMAND | fds | junk | "
	    "huge | flood N\n");
	return 2;
}
