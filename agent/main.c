/*
 * box-agent: PID 1 of every box.  Reaps every process that ends up with
 * it, passes termination on to the whole box, and serves sessions on a
 * unix socket (lib/agent/agent.h): each connection is handled by a child of its
 * own, which starts the profile's shell -- as a login shell or with -c and
 * the guest's command -- on the descriptors box-shell passed (pass-through)
 * or on a terminal or pipes it makes and relays (relay), reports its exit
 * status, and ends every process of the session when the connection goes.
 *
 * It runs as the profile's user, with the box's restrictions, and is the
 * guest's: nothing here is trusted by the host.  Static, small, no
 * allocation after start but one frame buffer per session.
 */
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <stddef.h>

#include <grp.h>

#include "agent/agent.h"
#include "agent/mux.h"
#include "core/proc.h"
#include "core/spawn.h"

#define SOCKET_PATH	"/.sshbox/run/agent.sock"
#define OPEN_SECONDS	30	/* for the host to send its request */
#define STOP_SECONDS	5	/* from SIGTERM to SIGKILL of everything */
#define DRAIN_MS	2000	/* output after the process ended */
#define CONNECT_SECONDS	5	/* for a port in the box to answer (the
				 * host waits 10 s for the start) */
#define DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
			"/sbin:/bin"

static const char *prog = "box-agent";

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
sigfd_for(const int *sigs, size_t n)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void
unblock_all(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/* The session id of pid from /proc, or -1. */
static long
session_of(const char *pid)
{
	struct box_proc_stat ps;

	return box_proc_stat(strtol(pid, NULL, 10), &ps) == 0 ?
	    (long)ps.session : -1;
}

/* Send sig to every process of session sid; the number signalled. */
static int
kill_session(pid_t sid, int sig)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc")) == NULL) {
		kill(-sid, sig);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if (session_of(de->d_name) == (long)sid &&
		    kill((pid_t)strtol(de->d_name, NULL, 10), sig) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* ---------------------------------------------------------------- session */

struct sess {
	struct box_agent_conn c;
	struct box_agent_open o;
	int	 sigfd;
	pid_t	 pid;			/* the shell, leader of its session */
	int	 tty;			/* relay: the terminal's master */
	int	 in, out, err;		/* relay: pipes (or tty, out = tty) */
	int	 relay;
	int	 exited;
	int	 status;
	uint8_t	 inbuf[4 * BOX_AGENT_DATA_MAX];	/* frames queue while the
					 * process reads */
	size_t	 inoff, inlen;	/* what is still to write: inbuf + inoff */
	int	 in_eof;
	int	 in_gone;	/* the process stopped reading its input */
	int	 eof_queued;	/* a terminal's EOF character is in inbuf */
	int	 sock;		/* TCP: the stream to the port (in = out) */
};

static int
fail_frame(struct sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail_frame(struct sess *s, const char *fmt, ...)
{
	char msg[BOX_AGENT_FAIL_MAX];
	struct box_error err;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	box_agent_send(s->c.fd, BOX_AGF_FAIL, msg, (size_t)n, NULL, 0, -1, &err);
	return -1;
}

/* The user's name and home from /etc/passwd (no NSS in a static agent). */
static void
whoami(char *name, size_t namesz, char *home, size_t homesz)
{
	char line[1024], *f[7], *p;
	uid_t uid = getuid();
	FILE *fp;
	int i;

	snprintf(name, namesz, "%lu", (unsigned long)uid);
	snprintf(home, homesz, "%s", getenv("HOME") ? getenv("HOME") : "/");
	if ((fp = fopen("/etc/passwd", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		for (p = line, i = 0; i < 7; i++) {
			f[i] = p;
			if ((p = strchr(p, ':')) == NULL)
				break;
			*p++ = '\0';
		}
		if (i < 6 || strtoul(f[2], NULL, 10) != uid)
			continue;
		snprintf(name, namesz, "%s", f[0]);
		if (f[5][0] == '/')
			snprintf(home, homesz, "%s", f[5]);
		break;
	}
	fclose(fp);
}

/* The session's environment: the basics, then what the host sent. */
static void
build_env(const struct box_agent_open *o, char **envp, char store[][300])
{
	char name[64], home[256];
	const char *path = getenv("PATH");
	size_t n = 0, i;

	whoami(name, sizeof(name), home, sizeof(home));
	snprintf(store[0], 300, "HOME=%s", home);
	snprintf(store[1], 300, "USER=%s", name);
	snprintf(store[2], 300, "LOGNAME=%s", name);
	snprintf(store[3], 300, "SHELL=%s", o->shell);
	snprintf(store[4], 300, "PATH=%s", path != NULL ? path :
	    DEFAULT_PATH);
	for (i = 0; i < 5; i++)
		envp[n++] = store[i];
	for (i = 0; i < o->nenv; i++)
		envp[n++] = (char *)o->env[i];
	envp[n] = NULL;
}

/*
 * Start the shell on fds 0..2 taken from in, out, err (the same fd for a
 * terminal, made the controlling one), in a session of its own.
 */
static int
spawn(struct sess *s, int in, int out, int err, int ctty)
{
	static char store[5][300];
	char *envp[BOX_AGENT_ENV_MAX + 6], *argv[4], *cmd = NULL;
	struct box_spawn sp;
	struct box_error e;

	build_env(&s->o, envp, store);
	if (s->o.command != NULL) {
		if ((cmd = malloc(s->o.ncommand + 1)) == NULL)
			return fail_frame(s, "out of memory");
		memcpy(cmd, s->o.command, s->o.ncommand);
		cmd[s->o.ncommand] = '\0';
	}
	argv[0] = s->o.shell;
	argv[1] = cmd != NULL ? "-c" : "-l";
	argv[2] = cmd;
	argv[3] = NULL;
	memset(&sp, 0, sizeof(sp));
	sp.path = s->o.shell;
	sp.argv = argv;
	sp.envp = envp;
	sp.fds[0] = in;
	sp.fds[1] = out;
	sp.fds[2] = err;
	sp.setsid = 1;
	sp.ctty = ctty;
	sp.workdir = s->o.workdir;
	s->pid = box_spawn(&sp, &e);
	free(cmd);
	if (s->pid < 0)
		return fail_frame(s, "cannot start %s: %s", s->o.shell,
		    strerror(e.errnum));
	return 0;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Relay: a terminal of our own, or three pipes; then the shell. */
static int
start_relay(struct sess *s)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct winsize ws;
	char *name;
	int slave, rc;

	s->relay = 1;
	if (s->o.flags & BOX_AGO_TTY) {
		if ((s->tty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
		    grantpt(s->tty) < 0 || unlockpt(s->tty) < 0 ||
		    (name = ptsname(s->tty)) == NULL ||
		    (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
			return fail_frame(s, "no terminal: %s",
			    strerror(errno));
		memset(&ws, 0, sizeof(ws));
		ws.ws_row = (unsigned short)(s->o.rows ? s->o.rows : 24);
		ws.ws_col = (unsigned short)(s->o.cols ? s->o.cols : 80);
		ioctl(slave, TIOCSWINSZ, &ws);
		rc = spawn(s, slave, slave, slave, 1);
		close(slave);
		s->in = s->out = s->tty;
		s->err = -1;
		set_nonblock(s->tty);
		return rc;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0)
		return fail_frame(s, "pipe: %s", strerror(errno));
	rc = spawn(s, in[0], out[1], err[1], 0);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	s->in = in[1];
	s->out = out[0];
	s->err = err[0];
	s->tty = -1;
	set_nonblock(s->in);
	set_nonblock(s->out);
	set_nonblock(s->err);
	return rc;
}

/* TCP: a stream to 127.0.0.1:port inside the box, relayed. */
static int
start_tcp(struct sess *s)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, e = 0;

	s->relay = 1;
	s->tty = s->err = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)s->o.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return fail_frame(s, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		if (e == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			e = poll(&pfd, 1, CONNECT_SECONDS * 1000) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) ==
			    0 ? e : ETIMEDOUT;
		}
	}
	if (e != 0) {
		close(fd);
		return fail_frame(s, "%s", strerror(e));
	}
	s->sock = s->in = s->out = fd;
	return 0;
}

/* Pass-through: the host's own descriptors become the shell's. */
static int
start_passthrough(struct sess *s)
{
	int want = s->o.flags & BOX_AGO_TTY ? 1 : 3, rc, i;

	if (s->c.nfds != want)
		return fail_frame(s, "expected %d descriptors, got %d", want,
		    s->c.nfds);
	s->in = s->out = s->err = s->tty = -1;
	if (want == 1)
		rc = spawn(s, s->c.fds[0], s->c.fds[0], s->c.fds[0], 1);
	else
		rc = spawn(s, s->c.fds[0], s->c.fds[1], s->c.fds[2], 0);
	for (i = 0; i < s->c.nfds; i++)
		close(s->c.fds[i]);
	s->c.nfds = 0;
	return rc;
}

/* Wait for the next frame, for at most ms. */
static int
next_frame(struct sess *s, struct box_agent_frame *f, int ms)
{
	struct box_error err;
	int64_t end = now_ms() + ms;
	struct pollfd pfd;
	int r;

	for (;;) {
		if ((r = box_agent_conn_next(&s->c, f, &err)) != 0)
			return r;
		if (s->c.eof || now_ms() >= end)
			return -1;
		pfd.fd = s->c.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(end - now_ms())) < 0 &&
		    errno != EINTR)
			return -1;
		if (box_agent_conn_fill(&s->c, &err) < 0)
			return -1;
	}
}

/* Forward what fd has as a frame of type: 1 when bytes went, 0 when none
 * did (none ready, or EOF: *fd is then -1), -1 on a lost host. */
static int
pump_out(struct sess *s, int *fd, int type)
{
	uint8_t buf[BOX_AGENT_DATA_MAX];
	struct box_error err;
	ssize_t n;

	n = read(*fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {		/* EOF, or EIO of a terminal nobody holds */
		if (*fd == s->sock) {
			/* The port's side is done: so is the session, with
			 * status 1 when the stream broke (a reset). */
			s->exited = 1;
			s->status = n < 0 ? 1 << 8 : 0;
		} else if (*fd != s->tty) {
			close(*fd);
		}
		*fd = -1;
		return 0;
	}
	return box_agent_send(s->c.fd, type, buf, (size_t)n, NULL, 0, -1,
	    &err) < 0 ? -1 : 1;
}

/* A frame from the host during the session.  -1: the session must end. */
static int
handle_frame(struct sess *s, const struct box_agent_frame *f)
{
	struct box_error err;
	struct winsize ws;
	unsigned rows, cols;
	int sig;

	switch (f->type) {
	case BOX_AGF_STDIN:
		/* A port that stopped reading (it closed, or reset) is not
		 * the end of the session: what it answered still comes. */
		if (s->sock >= 0 && (s->in < 0 || s->in_eof))
			return 0;
		/* Input the process will never read (it closed its end, or
		 * ended) is dropped: the host, which sent it meanwhile,
		 * broke no rule. */
		if (s->in_gone)
			return 0;
		if (!s->relay || s->in < 0 || s->in_eof ||
		    s->inlen + f->len > sizeof(s->inbuf))
			return s->relay ? -1 : 0;
		if (s->inoff + s->inlen + f->len > sizeof(s->inbuf)) {
			memmove(s->inbuf, s->inbuf + s->inoff, s->inlen);
			s->inoff = 0;
		}
		memcpy(s->inbuf + s->inoff + s->inlen, f->payload, f->len);
		s->inlen += f->len;
		return 0;
	case BOX_AGF_EOF:
		s->in_eof = 1;
		return 0;
	case BOX_AGF_RESIZE:
		if (box_agent_parse_resize(f, &rows, &cols, &err) < 0)
			return -1;
		if (s->tty >= 0) {
			memset(&ws, 0, sizeof(ws));
			ws.ws_row = (unsigned short)rows;
			ws.ws_col = (unsigned short)cols;
			ioctl(s->tty, TIOCSWINSZ, &ws);
		}
		return 0;
	case BOX_AGF_SIGNAL:
		if (box_agent_parse_signal(f, &sig, &err) < 0)
			return -1;
		if (s->pid > 0)
			kill(-s->pid, sig);
		return 0;
	default:		/* END, or a second OPEN */
		return -1;
	}
}

/*
 * The host's end of input reaches the process once all its input has: a
 * pipe is closed; a terminal gets its EOF character, queued like input.
 * Called before every poll, so an EOF that came with earlier frames is
 * never left waiting for an event that will not come.
 */
static void
input_end(struct sess *s)
{
	struct termios t;

	if (!s->relay || !s->in_eof || s->in < 0 || s->inlen > 0)
		return;
	if (s->sock >= 0) {
		shutdown(s->sock, SHUT_WR);
		s->in = -1;
	} else if (s->tty < 0) {
		close(s->in);
		s->in = -1;
	} else if (!s->eof_queued) {
		s->inbuf[0] = tcgetattr(s->tty, &t) == 0 ? t.c_cc[VEOF] : 4;
		s->inoff = 0;
		s->inlen = 1;
		s->eof_queued = 1;
	} else {
		s->in = -1;	/* the terminal itself stays open */
	}
}

/* Everything the session started ends: a hangup, then a kill. */
static void
end_session(struct sess *s)
{
	int i;

	if (s->pid <= 0)
		return;
	kill_session(s->pid, SIGHUP);
	kill_session(s->pid, SIGCONT);
	for (i = 0; i < 20 && kill_session(s->pid, 0) > 0; i++)
		usleep(25000);
	kill_session(s->pid, SIGKILL);
}

static void
reap_shell(struct sess *s)
{
	int st;
	pid_t r;

	while ((r = waitpid(-1, &st, WNOHANG)) > 0) {
		if (r == s->pid) {
			s->exited = 1;
			s->status = st;
		}
	}
}

static int
send_exit(struct sess *s)
{
	struct box_error err;
	uint8_t p[2];

	if (WIFSIGNALED(s->status)) {
		p[0] = 1;
		p[1] = (uint8_t)WTERMSIG(s->status);
	} else {
		p[0] = 0;
		p[1] = (uint8_t)WEXITSTATUS(s->status);
	}
	return box_agent_send(s->c.fd, BOX_AGF_EXIT, p, 2, NULL, 0, -1, &err);
}

/* One connection, start to end, in a child of PID 1. */
static int
serve(int fd)
{
	static const int sigs[] = { SIGCHLD };
	static struct sess s;
	struct box_agent_frame f;
	struct box_error err;
	uint8_t hello[5];
	int64_t drain_until = 0;
	int rc = 0, r, moved;

	memset(&s, 0, sizeof(s));
	s.pid = -1;
	s.sock = -1;
	if (box_agent_conn_init(&s.c, fd, 0, &err) < 0)
		return 1;
	if ((s.sigfd = sigfd_for(sigs, 1)) < 0)
		return 1;
	hello[0] = BOX_AGENT_VERSION;
	box_agent_put_u32(hello + 1, (uint32_t)getppid());
	if (box_agent_send(fd, BOX_AGF_HELLO, hello, 5, NULL, 0, -1, &err) < 0)
		return 1;
	if (next_frame(&s, &f, OPEN_SECONDS * 1000) != 1 ||
	    f.type != BOX_AGF_OPEN) {
		fail_frame(&s, "no session request");
		return 1;
	}
	if (box_agent_open_parse(f.payload, f.len, &s.o, &err) < 0) {
		fail_frame(&s, "%s", err.msg);
		return 1;
	}
	/* s.o.command points into the frame: keep it across later reads. */
	if (s.o.command != NULL) {
		char *copy = malloc(s.o.ncommand);

		if (copy == NULL)
			return 1;
		memcpy(copy, s.o.command, s.o.ncommand);
		s.o.command = copy;
	}
	if (((s.o.flags & BOX_AGO_TCP) ? start_tcp(&s) :
	    (s.o.flags & BOX_AGO_PASSFD) ? start_passthrough(&s) :
	    start_relay(&s)) < 0)
		return 1;
	{
		uint8_t p[4];

		box_agent_put_u32(p, (uint32_t)(s.pid > 0 ? s.pid : 0));
		if (box_agent_send(fd, BOX_AGF_STARTED, p, 4, NULL, 0, -1,
		    &err) < 0) {
			end_session(&s);
			return 1;
		}
	}
	set_nonblock(fd);
	for (;;) {
		struct pollfd pfd[5];
		int np = 0, ic, iin = -1, iout = -1, ierr = -1, timeout = -1;

		/* Frames that came with an earlier read come first (input
		 * waits while the last chunk is still being written). */
		while (sizeof(s.inbuf) - s.inlen >= BOX_AGENT_DATA_MAX &&
		    (rc = box_agent_conn_next(&s.c, &f, &err)) == 1)
			if (handle_frame(&s, &f) < 0) {
				end_session(&s);
				return 0;
			}
		if (rc < 0) {
			end_session(&s);
			return 0;
		}
		input_end(&s);
		if (s.exited && s.out < 0 && s.err < 0)
			break;
		if (s.exited && now_ms() >= drain_until)
			break;
		if (s.exited)
			timeout = (int)(drain_until - now_ms());
		pfd[np++] = (struct pollfd){ s.sigfd, POLLIN, 0 };
		ic = np;
		/* Input the process does not read stays with the host: the
		 * connection is read only while a frame still fits (its
		 * hangup is seen all the same). */
		pfd[np++] = (struct pollfd){ fd, sizeof(s.inbuf) - s.inlen >=
		    BOX_AGENT_DATA_MAX || !s.relay ? POLLIN : 0, 0 };
		if (s.relay && s.in >= 0 && s.inlen > 0) {
			iin = np;
			pfd[np++] = (struct pollfd){ s.in, POLLOUT, 0 };
		}
		if (s.out >= 0) {
			iout = np;
			pfd[np++] = (struct pollfd){ s.out, POLLIN, 0 };
		}
		if (s.err >= 0) {
			ierr = np;
			pfd[np++] = (struct pollfd){ s.err, POLLIN, 0 };
		}
		if (poll(pfd, (nfds_t)np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(s.sigfd, &si, sizeof(si)) > 0)
				;
			reap_shell(&s);
			if (s.exited && drain_until == 0)
				drain_until = now_ms() + DRAIN_MS;
		}
		if ((pfd[ic].revents & (POLLHUP | POLLERR)) &&
		    !(pfd[ic].events & POLLIN)) {
			end_session(&s);	/* the host is gone */
			return 0;
		}
		if (pfd[ic].revents & (POLLIN | POLLHUP | POLLERR)) {
			/* What came is handled at the top of the loop. */
			if (box_agent_conn_fill(&s.c, &err) < 0 || s.c.eof) {
				end_session(&s);	/* the host is gone */
				return 0;
			}
		}
		if (iin >= 0 && (pfd[iin].revents & (POLLOUT | POLLERR |
		    POLLHUP))) {
			ssize_t n = write(s.in, s.inbuf + s.inoff, s.inlen);

			if (n > 0) {
				s.inoff += (size_t)n;
				s.inlen -= (size_t)n;
				if (s.inlen == 0)
					s.inoff = 0;
			} else if (n < 0 && errno != EAGAIN &&
			    errno != EINTR) {
				s.inoff = s.inlen = 0;
				s.in_eof = s.in_gone = 1;
			}
		}
		moved = 0;
		if (iout >= 0 && (pfd[iout].revents & (POLLIN | POLLHUP |
		    POLLERR)) && (moved = pump_out(&s, &s.out,
		    BOX_AGF_STDOUT)) < 0) {
			end_session(&s);
			return 0;
		}
		if (ierr >= 0 && (pfd[ierr].revents & (POLLIN | POLLHUP |
		    POLLERR)) && (r = pump_out(&s, &s.err,
		    BOX_AGF_STDERR)) != 0) {
			if (r < 0) {
				end_session(&s);
				return 0;
			}
			moved = 1;
		}
		/* The wait after the end is for output that no longer
		 * comes, counted from the last that did: the time a send
		 * waited for a guest reading slowly is not counted. */
		if (s.exited && moved)
			drain_until = now_ms() + DRAIN_MS;
	}
	if (!s.exited) {
		end_session(&s);
		return 0;
	}
	set_nonblock(fd);
	{
		int fl = fcntl(fd, F_GETFL);

		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	if (send_exit(&s) == 0) {
		/*
		 * The connection is not closed while the host may still be
		 * sending (input the process never read): a socket closed
		 * with data unread resets, and a reset can overtake what
		 * was sent before it (seen under gVisor: the end of the
		 * output lost).  The host reads EXIT, then closes its end.
		 */
		char sink[4096];

		shutdown(fd, SHUT_WR);
		while (read(fd, sink, sizeof(sink)) > 0)
			;
	}
	return 0;
}

/* ------------------------------------------------------------------ PID 1 */

static int
listen_on(const char *path)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path));
	unlink(path);
	/* Open to every uid by the umask at bind: under gVisor the socket
	 * is the host's, made by the sandbox's gofer, and neither chmod nor
	 * stat of it is allowed from inside. */
	old = umask(0);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		return -1;
	}
	umask(old);
	if (listen(fd, 16) < 0)
		return -1;
	return fd;
}


/* ---------------------------------------------------------------- microVM */

/*
 * In a microVM (--vm) the agent is the guest kernel's init, as root: it
 * limits the box's processes with a cgroup, finds the virtio-serial port
 * the host named sshbox.agent and serves every channel of the link
 * (mux.h) as one session, on a socket pair, in a child that runs as the
 * profile's user.  Its settings come on the kernel's command line, which
 * the host wrote: sshbox.uid=, sshbox.gid=, sshbox.groups=A,B,
 * sshbox.pids=, sshbox.mem=BYTES, sshbox.caps=MASK (hex), sshbox.shm=BYTES.
 *
 * The guest's kernel is the box's, yet a session gets what a container's
 * gets: the profile's capabilities only (bounding set and, for root, the
 * rest), no_new_privs, /proc/sys, /sys and the cgroup tree read-only, no
 * user namespaces or module loading, and tmpfs mounts without exec.
 */
#define VM_PORT_NAME	"sshbox.agent"
#define VM_CGROUP	"/sys/fs/cgroup/box"

struct vm {
	uid_t	 uid;
	gid_t	 gid;
	gid_t	 groups[32];
	size_t	 ngroups;
	long	 pids;
	long long mem;			/* the box's memory */
	unsigned long long caps;	/* a session's capabilities */
	long long shm;			/* /dev/shm's size */
	char	 tmpfs[512];		/* comma-separated mount points */
	char	 hostname[64];
	long long tmpfs_size;
	int	 link;
	int	 sigfd;
	int	 cgroup;	/* the box's cgroup is there */
};

static void
vm_cmdline(struct vm *v)
{
	char buf[4096], *tok, *save = NULL;
	ssize_t n;
	int fd;

	if ((fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \n", &save)) {
		if (strncmp(tok, "sshbox.uid=", 11) == 0)
			v->uid = (uid_t)strtoul(tok + 11, NULL, 10);
		else if (strncmp(tok, "sshbox.gid=", 11) == 0)
			v->gid = (gid_t)strtoul(tok + 11, NULL, 10);
		else if (strncmp(tok, "sshbox.pids=", 12) == 0)
			v->pids = strtol(tok + 12, NULL, 10);
		else if (strncmp(tok, "sshbox.mem=", 11) == 0)
			v->mem = strtoll(tok + 11, NULL, 10);
		else if (strncmp(tok, "sshbox.caps=", 12) == 0)
			v->caps = strtoull(tok + 12, NULL, 16);
		else if (strncmp(tok, "sshbox.shm=", 11) == 0)
			v->shm = strtoll(tok + 11, NULL, 10);
		else if (strncmp(tok, "sshbox.hostname=", 16) == 0)
			snprintf(v->hostname, sizeof(v->hostname), "%s",
			    tok + 16);
		else if (strncmp(tok, "sshbox.tmpfs=", 13) == 0)
			snprintf(v->tmpfs, sizeof(v->tmpfs), "%s", tok + 13);
		else if (strncmp(tok, "sshbox.tmpfs_size=", 18) == 0)
			v->tmpfs_size = strtoll(tok + 18, NULL, 10);
		else if (strncmp(tok, "sshbox.groups=", 14) == 0) {
			char *g = tok + 14, *end;

			while (*g != '\0' && v->ngroups < 32) {
				v->groups[v->ngroups++] =
				    (gid_t)strtoul(g, &end, 10);
				if (*end != ',')
					break;
				g = end + 1;
			}
		}
	}
}

static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The box's processes in one cgroup with the profile's process and
 * memory limits (no swap): without it, no sessions (the box does not
 * start). */
static int
vm_cgroup(struct vm *v)
{
	char num[32];

	if (v->pids <= 0 && v->mem <= 0)
		return 0;
	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID |
	    MS_NODEV | MS_NOEXEC, NULL) < 0 && errno != EBUSY) {
		say("cgroup2: %s", strerror(errno));
		return -1;
	}
	if (write_file("/sys/fs/cgroup/cgroup.subtree_control",
	    "+pids +memory") < 0 ||
	    (mkdir(VM_CGROUP, 0755) < 0 && errno != EEXIST)) {
		say("cgroup: %s", strerror(errno));
		return -1;
	}
	snprintf(num, sizeof(num), "%ld", v->pids);
	if (v->pids > 0 && write_file(VM_CGROUP "/pids.max", num) < 0) {
		say("pids.max: %s", strerror(errno));
		return -1;
	}
	snprintf(num, sizeof(num), "%lld", v->mem);
	if (v->mem > 0 && (write_file(VM_CGROUP "/memory.max", num) < 0 ||
	    (write_file(VM_CGROUP "/memory.swap.max", "0") < 0 &&
	    errno != ENOENT))) {
		say("memory.max: %s", strerror(errno));
		return -1;
	}
	/* The agent itself goes in, and every session with it (a fork
	 * stays in its parent's cgroup): the tree can then be read-only. */
	if (write_file(VM_CGROUP "/cgroup.procs", "1") < 0) {
		say("cgroup.procs: %s", strerror(errno));
		return -1;
	}
	v->cgroup = 1;
	return 0;
}

/* The box's own loopback (its only network interface): up, with
 * 127.0.0.1 and ::1, as a container's. */
static int
vm_loopback(void)
{
	struct ifreq ifr;
	int fd, rc = -1;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) == 0)
			rc = 0;
	}
	if (rc < 0)
		say("lo: %s", strerror(errno));
	close(fd);
	return rc;
}

/* A mount point read-only from now on (a read-only bind of itself). */
static int
read_only(const char *path)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY |
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		say("%s read-only: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* What no session may change: the kernel's settings, devices and
 * cgroups; no user namespaces, modules or kexec. */
static int
vm_harden(struct vm *v)
{
	static const char *const off[][2] = {
		{ "/proc/sys/user/max_user_namespaces", "0" },
		{ "/proc/sys/kernel/kexec_load_disabled", "1" },
		{ "/proc/sys/kernel/modules_disabled", "1" },
	};
	size_t i;

	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (write_file(off[i][0], off[i][1]) < 0) {
			say("%s: %s", off[i][0], strerror(errno));
			return -1;
		}
	/* (/proc/sysrq-trigger stays: root in the box may crash its own
	 * kernel, which ends its box and nothing else.) */
	if ((v->cgroup && read_only("/sys/fs/cgroup") < 0) ||
	    read_only("/sys") < 0 || read_only("/proc/sys") < 0)
		return -1;
	return 0;
}

/* In a session's child, before it takes the profile's ids: no exec
 * gains a capability the profile does not give. */
static int
vm_drop_caps(const struct vm *v)
{
	int c;

	for (c = 0; c < 64; c++)
		if (!(v->caps & (1ULL << c)) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -1;
	return 0;
}

/* After the profile's ids are taken: root keeps the profile's
 * capabilities and no others (another user has none left). */
static int
vm_root_caps(const struct vm *v)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];

	if (v->uid == 0) {
		memset(&h, 0, sizeof(h));
		memset(d, 0, sizeof(d));
		h.version = _LINUX_CAPABILITY_VERSION_3;
		d[0].effective = d[0].permitted = (uint32_t)v->caps;
		d[1].effective = d[1].permitted = (uint32_t)(v->caps >> 32);
		if (syscall(SYS_capset, &h, d) < 0)
			return -1;
	}
	return 0;
}

/*
 * The syscalls a container's seccomp filter refuses (lib/runtime/oci.c),
 * refused to a VM's sessions too, with EPERM: the guest kernel is the
 * box's, but its keyrings, BPF, io_uring, userfaultfd and the rest are
 * where kernel exploits start, and an exploit of it is one step from
 * QEMU.  Another architecture's calls (x32, or 32-bit ones) are refused
 * whole.
 */
#if defined(__x86_64__)
#define VM_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define VM_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#else
#error "box-agent --vm: no seccomp filter for this architecture"
#endif

static int
vm_seccomp(void)
{
	static const int denied[] = {
#ifdef SYS_add_key
	    SYS_add_key, SYS_request_key, SYS_keyctl,
#endif
	    SYS_bpf, SYS_perf_event_open, SYS_init_module,
	    SYS_finit_module, SYS_delete_module, SYS_kexec_load,
	    SYS_kexec_file_load, SYS_open_by_handle_at,
	    SYS_name_to_handle_at, SYS_userfaultfd, SYS_mount, SYS_umount2,
	    SYS_pivot_root, SYS_swapon, SYS_swapoff, SYS_reboot, SYS_setns,
	    SYS_unshare, SYS_fsopen, SYS_fsmount, SYS_fsconfig,
	    SYS_move_mount, SYS_open_tree, SYS_acct, SYS_lookup_dcookie,
	    SYS_quotactl, SYS_syslog, SYS_clock_settime, SYS_settimeofday,
	    SYS_adjtimex, SYS_clock_adjtime, SYS_io_uring_setup,
	    SYS_io_uring_enter, SYS_io_uring_register, SYS_mount_setattr,
	    SYS_fspick,
#ifdef SYS_create_module
	    SYS_create_module, SYS_get_kernel_syms, SYS_query_module,
	    SYS_nfsservctl, SYS_uselib, SYS_ustat, SYS_sysfs, SYS__sysctl,
	    SYS_iopl, SYS_ioperm,
#endif
	};
	enum { N = sizeof(denied) / sizeof(denied[0]) };
	_Static_assert(N + 1 < 256, "a BPF jump spans at most 255");
	struct sock_filter f[N + 9];	/* 7 before the list, 2 after */
	struct sock_fprog fprog;
	size_t i, k = 0;

	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    VM_AUDIT_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ERRNO | EPERM);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr));
	/* clone3 passes its flags in memory, where a filter cannot look
	 * (CLONE_INTO_CGROUP would leave the box's cgroup): ENOSYS, so that
	 * libc falls back to clone, as in a container. */
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    SYS_clone3, 0, 1);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ERRNO | ENOSYS);
	/* x32's numbers have bit 30 set. */
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
	    0x40000000, (unsigned char)(N + 1), 0);
	for (i = 0; i < N; i++)
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		    BPF_K, (unsigned)denied[i], (unsigned char)(N - i), 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ALLOW);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
	    SECCOMP_RET_ERRNO | EPERM);
	if (k != sizeof(f) / sizeof(f[0])) {
		errno = EINVAL;
		return -1;
	}
	memset(&fprog, 0, sizeof(fprog));
	fprog.len = (unsigned short)k;
	fprog.filter = f;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0);
}

/* The profile's tmpfs mounts (a read-only root's writable places). */
static int
vm_tmpfs(struct vm *v)
{
	char opts[64], *p, *next;

	snprintf(opts, sizeof(opts), "size=%lld,mode=1777",
	    v->tmpfs_size > 0 ? v->tmpfs_size : 64LL << 20);
	for (p = v->tmpfs; *p != '\0'; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		else
			next = p + strlen(p);
		if (*p != '/')
			continue;
		mkdir(p, 0755);
		if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV |
		    MS_NOEXEC, opts) < 0) {
			say("tmpfs %s: %s", p, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/*
 * The sessions' /dev, once the link is open: a container's, not the
 * kernel's (whose every node, the disk, the console, userfaultfd and the
 * rest, is root's to open): null, zero, full, random, urandom, tty, a
 * devpts of its own and the profile's /dev/shm.
 */
static int
vm_dev(struct vm *v)
{
	static const struct { const char *name; int major, minor; } nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const char *const links[][2] = {
		{ "pts/ptmx", "/dev/ptmx" }, { "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" },
		{ "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" },
	};
	char path[64], shm[64];
	size_t i;

	snprintf(shm, sizeof(shm), "mode=1777,size=%lld", v->shm > 0 ?
	    v->shm : 64LL << 20);
	if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
	    "mode=755,size=64k") < 0)
		goto fail;
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		snprintf(path, sizeof(path), "/dev/%s", nodes[i].name);
		if (mknod(path, S_IFCHR | 0666, makedev(nodes[i].major,
		    nodes[i].minor)) < 0 || chmod(path, 0666) < 0)
			goto fail;
	}
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlink(links[i][0], links[i][1]) < 0)
			goto fail;
	if (mkdir("/dev/pts", 0755) < 0 || mkdir("/dev/shm", 01777) < 0 ||
	    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	    "newinstance,gid=5,mode=620,ptmxmode=666") < 0 ||
	    mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, shm) < 0)
		goto fail;
	return 0;
fail:
	say("/dev: %s", strerror(errno));
	return -1;
}

/* /dev/vportNpM of the port the host named sshbox.agent. */
static int
vm_port(void)
{
	char path[300], name[64], dev[300];
	struct dirent *de;
	DIR *d;
	int fd, tries;

	for (tries = 0; tries < 500; tries++) {
		if ((d = opendir("/sys/class/virtio-ports")) != NULL) {
			while ((de = readdir(d)) != NULL) {
				ssize_t n;

				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path),
				    "/sys/class/virtio-ports/%s/name",
				    de->d_name);
				if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
					continue;
				n = read(fd, name, sizeof(name) - 1);
				close(fd);
				if (n <= 0)
					continue;
				name[n] = '\0';
				name[strcspn(name, "\n")] = '\0';
				if (strcmp(name, VM_PORT_NAME) != 0)
					continue;
				snprintf(dev, sizeof(dev), "/dev/%s",
				    de->d_name);
				closedir(d);
				return open(dev, O_RDWR | O_CLOEXEC |
				    O_NONBLOCK);
			}
			closedir(d);
		}
		usleep(10000);
	}
	errno = ENOENT;
	return -1;
}

static int
vm_open(void *arg, uint32_t chan)
{
	struct vm *v = arg;
	int sv[2];
	pid_t pid;

	(void)chan;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		char home[256], name[64];
		int fd;

		/* Nothing of the link or of other sessions: a session
		 * holding another's socket would keep it from ending. */
		for (fd = 3; fd < 1024; fd++)
			if (fd != sv[1])
				close(fd);
		unblock_all();
		if (vm_drop_caps(v) < 0 || setgroups(v->ngroups,
		    v->groups) < 0 || setgid(v->gid) < 0 ||
		    setuid(v->uid) < 0 || vm_root_caps(v) < 0 ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    vm_seccomp() < 0)
			_exit(1);
		whoami(name, sizeof(name), home, sizeof(home));
		if (chdir(home) < 0 && chdir("/") < 0)
			_exit(1);
		setenv("HOME", home, 1);
		_exit(serve(sv[1]));
	}
	close(sv[1]);
	set_nonblock(sv[0]);
	return sv[0];
}

static int
vm_signals(void *arg)
{
	struct vm *v = arg;
	struct signalfd_siginfo si;
	int st;

	while (read(v->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	while (waitpid(-1, &st, WNOHANG) > 0)
		;
	return 0;
}

static int
vm_main(void)
{
	static const int sigs[] = { SIGCHLD };
	struct box_mux_opts o;
	struct box_error err;
	struct vm v;

	memset(&v, 0, sizeof(v));
	v.uid = v.gid = 0;
	vm_cmdline(&v);
	if (getpid() != 1)
		say("--vm: not the init of a VM (pid %ld)", (long)getpid());
	/* /proc and /sys come from the initrd (mount --move); so does the
	 * kernel's /dev, until the link is open. */
	if (vm_cgroup(&v) < 0 || vm_tmpfs(&v) < 0)
		return 1;
	if (v.hostname[0] != '\0')
		sethostname(v.hostname, strlen(v.hostname));
	if (vm_loopback() < 0 || vm_harden(&v) < 0)
		return 1;
	if ((v.sigfd = sigfd_for(sigs, 1)) < 0 || (v.link = vm_port()) < 0) {
		say("no link to the host: %s", strerror(errno));
		return 1;
	}
	if (vm_dev(&v) < 0)
		return 1;
	say("serving sessions (processes limited: %s)", v.cgroup ? "yes" :
	    "no");
	memset(&o, 0, sizeof(o));
	o.guest = 1;
	o.link = v.link;
	o.open_fn = vm_open;
	o.extra_fd = v.sigfd;
	o.extra_fn = vm_signals;
	o.arg = &v;
	for (;;) {
		if (box_mux_run(&o, &err) < 0)
			say("link: %s", err.msg);
		/* The host went (its end restarts): sessions ended with
		 * their channels; wait for it to come back. */
		usleep(200000);
	}
}

/*
 * On the host (--vm-host LINK DIR CONSOLE BOXID), as the VM's unprivileged
 * user: box-runtime connected LINK to the VM's port and CONSOLE to its
 * serial console, and opened DIR, the box's run directory.  Once the
 * guest's agent has said HELLO, listen on DIR/agent.sock as a container's
 * agent does, and carry every connection as a channel.  Ends with the
 * link (the VM gone), writing the console's last line on stderr (the
 * bundle's mux.log), for the one line a guest is told.
 */
static int host_dir = -1, host_console = -1;
static char console_ring[4096];
static size_t console_len;

static int
vm_host_ready(void *arg)
{
	char path[64];
	int fd;

	(void)arg;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", host_dir,
	    "agent.sock");
	if ((fd = listen_on(path)) >= 0)
		set_nonblock(fd);
	return fd;
}

/* The console's bytes: the last few KiB kept, nothing else done. */
static int
vm_host_console(void *arg)
{
	char buf[4096];
	ssize_t n;

	(void)arg;
	if (host_console < 0)
		return 1;
	if ((n = read(host_console, buf, sizeof(buf))) <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(host_console);
			host_console = -1;
			return 1;
		}
		return 0;
	}
	if ((size_t)n >= sizeof(console_ring)) {
		memcpy(console_ring, buf + n - sizeof(console_ring),
		    sizeof(console_ring));
		console_len = sizeof(console_ring);
		return 0;
	}
	if (console_len + (size_t)n > sizeof(console_ring)) {
		size_t drop = console_len + (size_t)n - sizeof(console_ring);

		memmove(console_ring, console_ring + drop, console_len - drop);
		console_len -= drop;
	}
	memcpy(console_ring + console_len, buf, (size_t)n);
	console_len += (size_t)n;
	return 0;
}

/*
 * The console's line that says why the VM ended, printable, on stderr:
 * the initrd's own complaint, or the kernel's panic, else the last line
 * (the kernel's "Power down" and the like say nothing).
 */
static void
vm_host_last_line(void)
{
	static const char *const telling[] = { "sshbox-init: ",
	    "Kernel panic - not syncing: ", NULL };
	char text[sizeof(console_ring) + 1], *line, *pick = NULL, *p;
	char out[256];
	size_t i, n = 0;
	int k;

	memcpy(text, console_ring, console_len);
	text[console_len] = '\0';
	for (k = 0; telling[k] != NULL && pick == NULL; k++)
		for (p = text; (p = strstr(p, telling[k])) != NULL; p++)
			pick = p;
	if (pick == NULL) {
		for (line = strtok(text, "\r\n"); line != NULL;
		    line = strtok(NULL, "\r\n"))
			if (strspn(line, " ") < strlen(line))
				pick = line;
	}
	if (pick == NULL)
		return;
	for (i = 0; pick[i] != '\0' && pick[i] != '\n' && pick[i] != '\r' &&
	    n < sizeof(out) - 1; i++) {
		unsigned char c = (unsigned char)pick[i];

		out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
	fprintf(stderr, "console: %s\n", out);
}

static int
vm_host_main(int link, int dir, int console)
{
	struct box_mux_opts o;
	struct box_error err;
	int rc;

	/* Not dumpable: no process of the VM account (another box's link
	 * taken over) reaches this box's run directory through /proc. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	host_dir = dir;
	host_console = console;
	set_nonblock(console);
	memset(&o, 0, sizeof(o));
	o.link = link;
	o.extra_fd = console;
	o.extra_fn = vm_host_console;
	o.ready_fn = vm_host_ready;
	rc = box_mux_run(&o, &err);
	/* What the console said last, once QEMU has closed it too. */
	while (host_console >= 0) {
		struct pollfd p = { host_console, POLLIN, 0 };

		if (poll(&p, 1, 1000) <= 0)
			break;
		vm_host_console(NULL);
	}
	vm_host_last_line();
	if (rc < 0)
		fprintf(stderr, "link: %s\n", err.msg);
	return rc < 0 ? 1 : 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: box-agent [--socket PATH]\n"
	    "       box-agent --vm\n"
	    "       box-agent --vm-host LINK-FD DIR-FD CONSOLE-FD BOX-ID\n"
	    "PID 1 of an sshbox box; see box-agent(8).  Not for interactive "
	    "use.\n");
}

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP,
	    SIGQUIT, SIGUSR1, SIGUSR2 };
	const char *path = SOCKET_PATH;
	int64_t stop_at = 0;
	int lfd, sfd, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--vm") == 0 && argc == 2) {
			signal(SIGPIPE, SIG_IGN);
			umask(022);
			return vm_main();
		} else if (strcmp(argv[i], "--vm-host") == 0 && argc == 6) {
			char *e1, *e2, *e3;
			long link = strtol(argv[2], &e1, 10);
			long dir = strtol(argv[3], &e2, 10);
			long con = strtol(argv[4], &e3, 10);

			if (*e1 != '\0' || *e2 != '\0' || *e3 != '\0' ||
			    link < 3 || dir < 3 || con < 3 || link > 1000 ||
			    dir > 1000 || con > 1000) {
				usage(stderr);
				return 2;
			}
			signal(SIGPIPE, SIG_IGN);
			return vm_host_main((int)link, (int)dir, (int)con);
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	umask(022);
	if ((sfd = sigfd_for(sigs, sizeof(sigs) / sizeof(sigs[0]))) < 0) {
		say("signals: %s", strerror(errno));
		return 1;
	}
	if ((lfd = listen_on(path)) < 0) {
		say("cannot listen on %s: %s", path, strerror(errno));
		return 1;
	}
	for (;;) {
		struct pollfd pfd[2] = { { sfd, POLLIN, 0 },
		    { lfd, stop_at ? 0 : POLLIN, 0 } };
		int timeout = stop_at ? 100 : -1;
		int st, any = 0;
		pid_t r;

		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			return 1;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					continue;
				/* Passed on to everything in the box. */
				if (si.ssi_signo == SIGTERM ||
				    si.ssi_signo == SIGINT) {
					if (stop_at == 0)
						stop_at = now_ms() +
						    STOP_SECONDS * 1000;
					if (getpid() == 1)
						kill(-1, SIGTERM);
				} else if (getpid() == 1) {
					kill(-1, (int)si.ssi_signo);
				}
			}
		}
		while ((r = waitpid(-1, &st, WNOHANG)) > 0)
			;
		if (stop_at) {
			any = r == 0;	/* children remain */
			if (!any)
				return 0;
			if (now_ms() >= stop_at && getpid() == 1)
				kill(-1, SIGKILL);
			continue;
		}
		if (pfd[1].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			pid_t pid;

			if (c < 0)
				continue;
			if ((pid = fork()) == 0) {
				close(lfd);
				close(sfd);
				unblock_all();
				_exit(serve(c));
			}
			close(c);
		}
	}
}
