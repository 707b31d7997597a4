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

#include "agent/agent.h"
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

/* Forward what fd has as frames of type; 0 at EOF, -1 on a lost host. */
static int
pump_out(struct sess *s, int *fd, int type)
{
	uint8_t buf[BOX_AGENT_DATA_MAX];
	struct box_error err;
	ssize_t n;

	n = read(*fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
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
	int rc = 0;

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
				s.in_eof = 1;
			}
		}
		if (iout >= 0 && (pfd[iout].revents & (POLLIN | POLLHUP |
		    POLLERR)) && pump_out(&s, &s.out, BOX_AGF_STDOUT) < 0) {
			end_session(&s);
			return 0;
		}
		if (ierr >= 0 && (pfd[ierr].revents & (POLLIN | POLLHUP |
		    POLLERR)) && pump_out(&s, &s.err, BOX_AGF_STDERR) < 0) {
			end_session(&s);
			return 0;
		}
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
	send_exit(&s);
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

static void
usage(FILE *f)
{
	fprintf(f, "usage: box-agent [--socket PATH]\n"
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
		else if (strcmp(argv[i], "-h") == 0 ||
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
