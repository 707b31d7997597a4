/*
 * box-proxy: the guest's one-command way in, as an ssh ProxyCommand.
 * Makes an ephemeral Ed25519 key for the invite, redeems the token for it
 * with a nested stock ssh, puts the key in an ssh-agent with a lifetime
 * equal to the box's remaining time, then relays bytes to the bastion.
 * Host, port and token are data: no shell ever sees them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "core/log.h"
#include "core/spawn.h"
#include "auth/token.h"
#include "core/util.h"

#define PROXY_EXIT	255	/* ssh's own failure status */
#define STATE_SUBDIR	".local/state/sshbox"
#define MAX_AGENT_KEYS	5	/* more, and sshd's MaxAuthTries bites */

static char statedir[PATH_MAX], keydir[PATH_MAX], agent_sock[PATH_MAX];

static void
usage(FILE *f)
{
	fprintf(f,
"usage: box-proxy --token TOKEN [--user USER] [--] HOST PORT\n"
"       box-proxy config --token TOKEN --hostname HOST [--port PORT]\n"
"                 [--host ALIAS] [--user USER]\n"
"       box-proxy forget [INVITE-ID]\n"
"       box-proxy --forward [ADDRESS:]LOCAL-PORT:BOX-PORT [--] DEST\n"
"                 [SSH-OPTION...]\n"
"Reach an sshbox box with nothing prepared; see box-proxy(1).  As an ssh\n"
"ProxyCommand:\n"
"  ssh -o 'IdentityAgent ~/" STATE_SUBDIR "/agent.sock' \\\n"
"      -o 'ProxyCommand box-proxy --token TOKEN --user %%r -- %%h %%p' \\\n"
"      box@HOST\n"
"A web app on port 80 in the box, at http://127.0.0.1:8080/ here (DEST as\n"
"made by \"box-proxy config\"):\n"
"  box-proxy --forward 8080:80 sshbox\n");
}

static int
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("box-proxy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return PROXY_EXIT;
}

/* Host names and addresses as ssh passes %h: a DNS name or an IP. */
static int
valid_host(const char *h)
{
	size_t n = strlen(h);

	return n > 0 && n <= 253 && h[0] != '-' && h[0] != '.' &&
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:") == n;
}

static int
valid_user(const char *u)
{
	size_t n = strlen(u);

	return n > 0 && n <= 32 && u[0] != '-' &&
	    strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* The state directory, from the passwd home as ssh's "~" is. */
static int
setup_dirs(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *parts[] = { ".local", ".local/state", STATE_SUBDIR };
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	if (pw == NULL || pw->pw_dir == NULL || pw->pw_dir[0] != '/')
		return fail("cannot find your home directory");
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", pw->pw_dir, parts[i]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return fail("cannot create %s: %s", path,
			    strerror(errno));
	}
	/* Unix socket paths are short (108 bytes): keep everything small. */
	if (strlen(pw->pw_dir) > 64)
		return fail("home directory path too long: %.80s", pw->pw_dir);
	if (snprintf(statedir, sizeof(statedir), "%s/%s", pw->pw_dir,
	    STATE_SUBDIR) < 0 ||
	    snprintf(keydir, sizeof(keydir), "%.200s/keys", statedir) < 0 ||
	    snprintf(agent_sock, sizeof(agent_sock), "%.200s/agent.sock",
	    statedir) < 0)
		return fail("bad home directory");
	if (mkdir(keydir, 0700) < 0 && errno != EEXIST)
		return fail("cannot create %s: %s", keydir, strerror(errno));
	for (i = 0; i < 2; i++) {
		const char *d = i == 0 ? statedir : keydir;

		if (lstat(d, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != getuid() || (st.st_mode & 077) != 0)
			return fail("%s must be a directory of yours with "
			    "mode 0700", d);
	}
	return 0;
}

/* The state directory's lock, held: its descriptor, or -1 (said why). */
static int
lock_state(void)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%.200s/lock", statedir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) < 0 || flock(fd, LOCK_EX) < 0) {
		fail("cannot lock %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Read fd to its end into buf (bounded, NUL-terminated). */
static void
slurp(int fd, char *buf, size_t bufsz)
{
	size_t len = 0;
	char tmp[512];
	ssize_t n;

	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + 1 < bufsz) {
			size_t c = (size_t)n < bufsz - 1 - len ? (size_t)n :
			    bufsz - 1 - len;
			memcpy(buf + len, tmp, c);
			len += c;
		}
	}
	buf[len] = '\0';
}

/*
 * This process's environment with one variable set ("K=V", or NULL for
 * none), for a program box-proxy runs.  Static: one at a time.
 */
static char *const *
env_with(const char *kv)
{
	extern char **environ;
	static char *envp[512];
	size_t n = 0, i, klen;

	klen = kv != NULL ? strcspn(kv, "=") + 1 : 0;
	for (i = 0; environ[i] != NULL && n + 2 < sizeof(envp) /
	    sizeof(envp[0]); i++)
		if (kv == NULL || strncmp(environ[i], kv, klen) != 0)
			envp[n++] = environ[i];
	if (kv != NULL)
		envp[n++] = (char *)kv;
	envp[n] = NULL;
	return envp;
}

/*
 * Run argv (no shell) with stdin on /dev/null and extra environment
 * variable env ("K=V" or NULL).  Standard output goes to out and standard
 * error to errbuf (each bounded; NULL means /dev/null).  Nothing of ours
 * stays open in it: a daemon (ssh-agent) would hold ssh's channel or the
 * guest's terminal open.  Returns the exit status, or -1.
 */
static int
run(char *const argv[], const char *env, char *out, size_t outsz,
    char *errbuf, size_t errsz)
{
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 }, status;
	struct box_spawn sp;
	struct box_error err;
	pid_t pid;

	if ((out != NULL && pipe2(opipe, O_CLOEXEC) < 0) ||
	    (errbuf != NULL && pipe2(epipe, O_CLOEXEC) < 0))
		return -1;
	memset(&sp, 0, sizeof(sp));
	sp.path = argv[0];
	sp.argv = argv;
	sp.envp = env_with(env);
	sp.fds[0] = -1;
	sp.fds[1] = opipe[1];
	sp.fds[2] = epipe[1];
	pid = box_spawn(&sp, &err);
	if (opipe[1] >= 0)
		close(opipe[1]);
	if (epipe[1] >= 0)
		close(epipe[1]);
	if (pid < 0) {
		if (errbuf != NULL)
			snprintf(errbuf, errsz, "%s", err.msg);
		if (out != NULL)
			out[0] = '\0';
		status = -1;
		goto out;
	}
	/* ssh-agent keeps its stdout only until it daemonizes; the pipes
	 * are read one after the other, stdout first. */
	if (out != NULL)
		slurp(opipe[0], out, outsz);
	if (errbuf != NULL)
		slurp(epipe[0], errbuf, errsz);
	if (box_spawn_wait(pid, &status) < 0)
		status = -1;
	else
		status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
 out:
	if (opipe[0] >= 0)
		close(opipe[0]);
	if (epipe[0] >= 0)
		close(epipe[0]);
	return status;
}

static void
key_paths(const char *id, char *key, char *pub, char *dl, size_t sz)
{
	snprintf(key, sz, "%.200s/%.16s", keydir, id);
	snprintf(pub, sz, "%.200s/%.16s.pub", keydir, id);
	snprintf(dl, sz, "%.200s/%.16s.deadline", keydir, id);
}

static void
remove_key(const char *id)
{
	char key[PATH_MAX], pub[PATH_MAX], dl[PATH_MAX];

	key_paths(id, key, pub, dl, sizeof(key));
	unlink(key);
	unlink(pub);
	unlink(dl);
}

/* The box deadline recorded for a key, or 0. */
static int64_t
key_deadline(const char *id)
{
	char key[PATH_MAX], pub[PATH_MAX], dl[PATH_MAX], *buf;
	struct box_error err;
	long long v = 0;

	key_paths(id, key, pub, dl, sizeof(key));
	if (access(key, R_OK) < 0 ||
	    box_read_file(dl, 32, &buf, NULL, &err) < 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	if (box_parse_int(buf, 0, INT64_MAX, &v, &err) < 0)
		v = 0;
	free(buf);
	return (int64_t)v;
}

/*
 * Call fn for each file of the key directory that belongs to an invite
 * (named after its 16-hex-digit id), with that id and the file name.
 */
static void
for_each_key_file(void (*fn)(const char *id, const char *name, void *arg),
    void *arg)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(keydir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char id[BOX_ID_LEN + 1];

		if (strlen(de->d_name) < BOX_ID_LEN ||
		    strspn(de->d_name, "0123456789abcdef") != BOX_ID_LEN)
			continue;
		memcpy(id, de->d_name, BOX_ID_LEN);
		id[BOX_ID_LEN] = '\0';
		fn(id, de->d_name, arg);
	}
	closedir(d);
}

static void
prune_one(const char *id, const char *name, void *arg)
{
	if (key_deadline(id) <= box_now())
		remove_key(id);
}

/* Remove keys whose box time is over (and leftovers of failed runs). */
static void
prune_keys(void)
{
	for_each_key_file(prune_one, NULL);
}

static int
write_deadline(const char *id, int64_t deadline)
{
	char key[PATH_MAX], pub[PATH_MAX], dl[PATH_MAX], buf[32];
	int fd, n;

	key_paths(id, key, pub, dl, sizeof(key));
	fd = open(dl, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%lld\n", (long long)deadline);
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* Make a key for the invite and redeem the token for it. */
static int
make_and_redeem(const struct box_token_claims *c, const char *token,
    const char *user, const char *host, const char *port)
{
	char key[PATH_MAX], pub[PATH_MAX], dl[PATH_MAX], comment[64];
	char dest[300], errbuf[2048], *line, *next;
	int rc;

	key_paths(c->invite_id, key, pub, dl, sizeof(key));
	remove_key(c->invite_id);
	snprintf(comment, sizeof(comment), "sshbox-%s", c->invite_id);
	{
		char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "",
		    "-C", comment, "-f", key, NULL };

		if (run(argv, NULL, NULL, 0, errbuf, sizeof(errbuf)) != 0) {
			remove_key(c->invite_id);
			return fail("cannot make a key with ssh-keygen: %.200s",
			    errbuf);
		}
	}
	snprintf(dest, sizeof(dest), "%s@%s", user, host);
	{
		/* The host key the invite pins, and only it; without a pin,
		 * the first one seen (ssh's accept-new). */
		char known[PATH_MAX + 40];
		char *argv[] = { "ssh", "-F", "/dev/null", "-i", key,
		    "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		    "-o", "BatchMode=yes", "-o", "ConnectTimeout=30",
		    "-o", c->has_host_key ? "StrictHostKeyChecking=yes" :
		    "StrictHostKeyChecking=accept-new",
		    "-o", c->has_host_key ? known : "LogLevel=ERROR",
		    "-o", "LogLevel=ERROR", "-p", (char *)port, "--", dest,
		    "redeem", "--bind-only", (char *)token, NULL };

		snprintf(known, sizeof(known), "UserKnownHostsFile=%.200s/"
		    "known_hosts", statedir);
		rc = run(argv, NULL, NULL, 0, errbuf, sizeof(errbuf));
	}
	if (rc != 0) {
		remove_key(c->invite_id);
		if (c->has_host_key && (strstr(errbuf, "IDENTIFICATION HAS "
		    "CHANGED") != NULL || strstr(errbuf, "Host key "
		    "verification failed") != NULL))
			return fail("the host at %s port %s does not have the "
			    "host key this invite names: not connecting (the "
			    "invite is for another bastion, or someone is in "
			    "between)", host, port);
		/* Pass on the bastion's own "sshbox: ..." lines. */
		for (line = errbuf; line != NULL && *line; line = next) {
			next = strchr(line, '\n');
			if (next != NULL)
				*next++ = '\0';
			if (strncmp(line, "sshbox: ", 8) == 0)
				return fail("cannot redeem the invite: %.300s",
				    line + 8);
		}
		return fail("cannot redeem the invite (ssh exit %d): %.300s",
		    rc, errbuf[0] ? errbuf : "no message");
	}
	if (write_deadline(c->invite_id, box_now() + c->ttl) < 0) {
		remove_key(c->invite_id);
		return fail("cannot write %s: %s", dl, strerror(errno));
	}
	return 0;
}

/* 0 or 1 if an agent answers at sock (ssh-add -l: 1 = no keys), else
 * -1; *nkeys counts its identities. */
static int
agent_alive(const char *sock, int *nkeys)
{
	char env[PATH_MAX + 16], out[8192];
	char *argv[] = { "ssh-add", "-l", NULL };
	size_t i;
	int rc;

	*nkeys = 0;
	snprintf(env, sizeof(env), "SSH_AUTH_SOCK=%s", sock);
	rc = run(argv, env, out, sizeof(out), NULL, 0);
	if (rc == 0)
		for (i = 0; out[i] != '\0'; i++)
			if (out[i] == '\n')
				(*nkeys)++;
	return rc == 0 || rc == 1 ? rc : -1;
}

/*
 * Point agent.sock at an agent: the guest's own (SSH_AUTH_SOCK) when it
 * answers and holds few keys, else a private ssh-agent started on demand.
 */
static int
choose_agent(void)
{
	const char *user_sock = getenv("SSH_AUTH_SOCK");
	char tmp[PATH_MAX + 32];
	struct stat st;
	int n;

	if (user_sock != NULL && user_sock[0] == '/' &&
	    strcmp(user_sock, agent_sock) != 0 &&
	    agent_alive(user_sock, &n) >= 0 && n < MAX_AGENT_KEYS) {
		snprintf(tmp, sizeof(tmp), "%s.%ld", agent_sock, (long)getpid());
		unlink(tmp);
		if (symlink(user_sock, tmp) < 0 || rename(tmp, agent_sock) < 0)
			return fail("cannot link %s: %s", agent_sock,
			    strerror(errno));
		return 0;
	}
	if (lstat(agent_sock, &st) == 0) {
		if (S_ISSOCK(st.st_mode) && agent_alive(agent_sock, &n) >= 0)
			return 0;
		unlink(agent_sock);	/* stale socket, or a link */
	}
	{
		char *argv[] = { "ssh-agent", "-s", "-a", agent_sock, NULL };
		char out[1024], pidpath[PATH_MAX + 8], *p;
		int fd;

		if (run(argv, NULL, out, sizeof(out), NULL, 0) != 0 ||
		    agent_alive(agent_sock, &n) < 0)
			return fail("cannot start ssh-agent at %s",
			    agent_sock);
		/* Remember its pid for "box-proxy forget". */
		snprintf(pidpath, sizeof(pidpath), "%s.pid", agent_sock);
		if ((p = strstr(out, "SSH_AGENT_PID=")) != NULL &&
		    (fd = open(pidpath, O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0) {
			p += strlen("SSH_AGENT_PID=");
			if (write(fd, p, strspn(p, "0123456789")) < 0)
				unlink(pidpath);
			close(fd);
		}
	}
	return 0;
}

static int
add_to_agent(const char *id, int64_t deadline)
{
	char key[PATH_MAX], pub[PATH_MAX], dl[PATH_MAX], life[32];
	char env[PATH_MAX + 16], errbuf[1024];
	int64_t left = deadline - box_now();
	char *argv[] = { "ssh-add", "-q", "-t", life, key, NULL };

	key_paths(id, key, pub, dl, sizeof(key));
	snprintf(life, sizeof(life), "%lld", (long long)(left > 0 ? left : 1));
	snprintf(env, sizeof(env), "SSH_AUTH_SOCK=%s", agent_sock);
	if (run(argv, env, NULL, 0, errbuf, sizeof(errbuf)) != 0)
		return fail("cannot add the key to the agent: %.200s", errbuf);
	return 0;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Connect to host:port (IPv4 or IPv6) and relay stdin/stdout. */
static int
relay(const char *host, const char *port)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, in_open = 1;
	char buf[32768];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return fail("%s: %s", host, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		rc = errno;
		close(fd);
		fd = -1;
		errno = rc;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fail("cannot connect to %s port %s: %s", host, port,
		    strerror(errno));
	for (;;) {
		struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { 0, POLLIN, 0 } };
		ssize_t n;

		if (poll(pfd, in_open ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			if (write_all(1, buf, (size_t)n) < 0)
				break;
		}
		if (in_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				in_open = 0;
				shutdown(fd, SHUT_WR);
			} else if (write_all(fd, buf, (size_t)n) < 0) {
				break;
			}
		}
	}
	close(fd);
	return 0;
}

/* An untrusted string made safe for one line of an error message. */
static const char *safe(const char *s, char *buf, size_t bufsz);

/* ---------------------------------------------------------- forward */

#define FORWARD_MAX	64	/* connections at once */

static volatile sig_atomic_t forward_stop;

static void
on_forward_signal(int sig)
{
	if (sig != SIGCHLD)
		forward_stop = 1;
}

/* "[ADDR:]LOCAL:PORT": the last two fields are ports; ADDR, numeric IPv4
 * or IPv6 (in brackets or not), defaults to 127.0.0.1.  0, or -1 after
 * saying why. */
static int
forward_spec(const char *spec, char *addr, size_t addrsz, char *local,
    char *port)
{
	const char *c2 = strrchr(spec, ':'), *c1;
	struct box_error err;
	unsigned char bin[16];
	long long v;
	size_t n;
	char sb[80];

	if (c2 == NULL)
		goto bad;
	for (c1 = c2; c1 > spec && c1[-1] != ':'; c1--)
		;
	if (c1 == spec) {
		box_strlcpy(addr, "127.0.0.1", addrsz);
	} else {
		n = (size_t)(c1 - spec - 1);
		if (n > 2 && spec[0] == '[' && spec[n - 1] == ']') {
			spec++;
			n -= 2;
		}
		if (n == 0 || n >= addrsz)
			goto bad;
		memcpy(addr, spec, n);
		addr[n] = '\0';
		/* Numeric and whole: no "0" for 0.0.0.0, no host names. */
		if (inet_pton(AF_INET, addr, bin) != 1 &&
		    inet_pton(AF_INET6, addr, bin) != 1)
			goto bad;
	}
	if (c2 - c1 < 1 || c2 - c1 > 5 || strlen(c2 + 1) < 1 ||
	    strlen(c2 + 1) > 5)
		goto bad;
	memcpy(local, c1, (size_t)(c2 - c1));
	local[c2 - c1] = '\0';
	strcpy(port, c2 + 1);
	if (box_parse_int(local, 0, 65535, &v, &err) < 0 ||
	    box_parse_int(port, 1, 65535, &v, &err) < 0)
		goto bad;
	return 0;
 bad:
	fail("bad forward \"%s\": use [ADDRESS:]LOCAL-PORT:BOX-PORT, for "
	    "example 8080:80 (ADDRESS: a numeric IPv4 or IPv6 address)",
	    safe(spec, sb, 64));
	return -1;
}

/*
 * Listen on ADDR:LOCAL here; every connection becomes its own "ssh DEST
 * tcp PORT", whose stdin and stdout are the connection.  ssh's own
 * messages (and the bastion's "sshbox: ..." lines) go to our stderr.
 */
static int
cmd_forward(const char *spec, int argc, char **argv)
{
	char addr[64], local[8], port[8], host[NI_MAXHOST], serv[NI_MAXSERV];
	struct addrinfo hints, *res;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct sigaction sa;
	static const int sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD };
	sigset_t held, waiting;
	pid_t kids[FORWARD_MAX];
	size_t nkids = 0, i;
	char **sargv;
	int lfd, rc, one = 1, a;
	char sb[80];

	if (forward_spec(spec, addr, sizeof(addr), local, port) < 0)
		return PROXY_EXIT;
	if (argc < 1 || argv[0][0] == '-' || argv[0][0] == '\0') {
		usage(stderr);
		return PROXY_EXIT;
	}
	/* What follows DEST is ssh's options: a word that is not one would
	 * be taken by ssh for the host to connect to. */
	if (argc > 1 && argv[1][0] != '-')
		return fail("after %s only ssh options may follow (\"%s\" is "
		    "not one)", safe(argv[0], sb, 40), safe(argv[1], sb + 40,
		    40));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(addr, local, &hints, &res)) != 0)
		return fail("bad address \"%s\": %s", safe(addr, sb, 64),
		    gai_strerror(rc));
	lfd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0 || bind(lfd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(lfd, 16) < 0 || getsockname(lfd, (struct sockaddr *)&ss,
	    &sslen) < 0) {
		rc = errno;
		freeaddrinfo(res);
		if (lfd >= 0)
			close(lfd);
		return fail("cannot listen on %s port %s: %s", addr, local,
		    strerror(rc));
	}
	if (getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host),
	    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		box_strlcpy(host, addr, sizeof(host));
		box_strlcpy(serv, local, sizeof(serv));
	}
	freeaddrinfo(res);
	/* ssh -T -a -x [SSH-OPTION...] -- DEST tcp PORT */
	if ((sargv = calloc((size_t)argc + 10, sizeof(*sargv))) == NULL)
		return fail("out of memory");
	sargv[0] = "ssh";
	sargv[1] = "-T";
	sargv[2] = "-a";
	sargv[3] = "-x";
	for (a = 1; a < argc; a++)
		sargv[3 + a] = argv[a];
	sargv[3 + a] = "--";
	sargv[4 + a] = argv[0];
	sargv[5 + a] = "tcp";
	sargv[6 + a] = port;
	sargv[7 + a] = NULL;
	/* The signals are held but while ppoll waits: none can slip in
	 * between the check of forward_stop and the wait. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_forward_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&held);
	for (a = 0; a < 4; a++) {
		sigaction(sigs[a], &sa, NULL);
		sigaddset(&held, sigs[a]);
	}
	sigprocmask(SIG_BLOCK, &held, &waiting);
	fprintf(stderr, "box-proxy: %s%s%s:%s here is port %s in the box of "
	    "%s (Ctrl-C to stop)\n", strchr(host, ':') ? "[" : "", host,
	    strchr(host, ':') ? "]" : "", serv, port, argv[0]);
	while (!forward_stop) {
		struct pollfd pfd = { lfd, POLLIN, 0 };
		struct box_spawn sp;
		struct box_error err;
		int c, st;
		pid_t pid;

		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			for (i = 0; i < nkids; i++)
				if (kids[i] == pid) {
					kids[i] = kids[--nkids];
					break;
				}
		if (ppoll(&pfd, 1, NULL, &waiting) < 0 ||
		    !(pfd.revents & POLLIN))
			continue;
		if ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				fprintf(stderr, "box-proxy: accept: %s\n",
				    strerror(errno));
				sleep(1);	/* not a busy loop */
			}
			continue;
		}
		if (nkids == FORWARD_MAX) {
			fprintf(stderr, "box-proxy: %d connections at once "
			    "already; one refused\n", FORWARD_MAX);
			close(c);
			continue;
		}
		memset(&sp, 0, sizeof(sp));
		sp.path = "ssh";
		sp.argv = sargv;
		sp.fds[0] = sp.fds[1] = c;
		sp.fds[2] = 2;
		if ((pid = box_spawn(&sp, &err)) < 0)
			fprintf(stderr, "box-proxy: %s\n", err.msg);
		else
			kids[nkids++] = pid;
		close(c);
	}
	close(lfd);
	for (i = 0; i < nkids; i++)
		kill(kids[i], SIGTERM);
	for (i = 0; i < nkids; i++)
		box_spawn_wait(kids[i], NULL);
	free(sargv);
	return 0;
}


/* An untrusted string made safe for one line of an error message. */
static const char *
safe(const char *s, char *buf, size_t bufsz)
{
	return box_log_safe(s, buf, bufsz);
}

/*
 * The bastion's host key the invite pins, into STATE/known_hosts for
 * host:port (replacing what was there for it), so that ssh (this
 * program's redeem, and the guest's own through the printed options)
 * checks it instead of accepting whatever key answers.  0 when the
 * invite pins none.
 */
static int
pin_host(const struct box_token_claims *c, const char *host,
    const char *port)
{
	char path[PATH_MAX + 16], tmp[PATH_MAX + 32], name[300], b64[80];
	char *old = NULL, *line, *next;
	uint8_t blob[4 + 11 + 4 + 32];
	struct box_error err;
	size_t len = 0, nl;
	FILE *f;
	int fd;

	if (!c->has_host_key)
		return 0;
	memcpy(blob, "\0\0\0\13ssh-ed25519\0\0\0\40", 4 + 11 + 4);
	memcpy(blob + 19, c->host_key, 32);
	if (box_b64_encode(blob, sizeof(blob), b64, sizeof(b64), 0, 1) < 0)
		return fail("cannot encode the host key");
	if (strcmp(port, "22") == 0)
		snprintf(name, sizeof(name), "%s", host);
	else
		snprintf(name, sizeof(name), "[%s]:%s", host, port);
	snprintf(path, sizeof(path), "%.200s/known_hosts", statedir);
	snprintf(tmp, sizeof(tmp), "%.200s/known_hosts.%ld", statedir,
	    (long)getpid());
	if (box_read_file(path, 1024 * 1024, &old, &len, &err) < 0)
		old = NULL;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		free(old);
		return fail("cannot write %s: %s", tmp, strerror(errno));
	}
	nl = strlen(name);
	for (line = old; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strncmp(line, name, nl) == 0 && line[nl] == ' ')
			continue;
		fprintf(f, "%s\n", line);
	}
	fprintf(f, "%s ssh-ed25519 %s\n", name, b64);
	free(old);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return fail("cannot write %s: %s", path, strerror(errno));
	}
	return 0;
}

static int
cmd_proxy(const char *token, const char *user, const char *host,
    const char *port)
{
	struct box_token_claims c;
	struct box_error err;
	long long portnum;
	int64_t deadline;
	char sb[128];
	int rc = 0, lock;

	if (!valid_host(host))
		return fail("bad host name \"%s\"", safe(host, sb, 64));
	if (box_parse_int(port, 1, 65535, &portnum, &err) < 0)
		return fail("bad port \"%s\" (1 to 65535)", safe(port, sb, 24));
	if (!valid_user(user))
		return fail("bad user name \"%s\"", safe(user, sb, 40));
	if (box_token_peek(token, &c, &err) < 0)
		return fail("this is not an sshbox invite token: %s", err.msg);
	if ((rc = setup_dirs()) != 0)
		return rc;
	/* Several at once (a browser through --forward, each connection an
	 * ssh with this ProxyCommand): one makes and redeems the key, the
	 * others wait for it and use it. */
	if ((lock = lock_state()) < 0)
		return PROXY_EXIT;
	prune_keys();
	if ((rc = pin_host(&c, host, port)) != 0) {
		close(lock);
		return rc;
	}
	deadline = key_deadline(c.invite_id);
	if (deadline <= box_now()) {
		if (c.redeem_by != 0 && box_now() > c.redeem_by)
			rc = fail("this invite has expired");
		else if ((rc = make_and_redeem(&c, token, user, host,
		    port)) == 0)
			deadline = key_deadline(c.invite_id);
	}
	if (rc == 0 && (rc = choose_agent()) == 0)
		rc = add_to_agent(c.invite_id, deadline);
	close(lock);
	return rc != 0 ? rc : relay(host, port);
}

static int
cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "host", required_argument, NULL, 'a' },
		{ "hostname", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	const char *token = NULL, *alias = "sshbox", *hostname = NULL;
	const char *port = "22", *user = "box";
	char self[PATH_MAX], sb[128];
	struct box_token_claims c;
	struct box_error err;
	long long portnum;
	ssize_t n;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't': token = optarg; break;
		case 'a': alias = optarg; break;
		case 'H': hostname = optarg; break;
		case 'p': port = optarg; break;
		case 'u': user = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	if (token == NULL || hostname == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (box_token_peek(token, &c, &err) < 0)
		return fail("this is not an sshbox invite token: %s", err.msg);
	if (!valid_host(hostname))
		return fail("bad host name \"%s\"", safe(hostname, sb, 64));
	if (c.has_host_key && (setup_dirs() != 0 ||
	    pin_host(&c, hostname, port) != 0))
		return PROXY_EXIT;
	if (!box_valid_name(alias, 64))
		return fail("bad alias \"%s\"", safe(alias, sb, 64));
	if (box_parse_int(port, 1, 65535, &portnum, &err) < 0)
		return fail("bad port \"%s\"", safe(port, sb, 24));
	if (!valid_user(user))
		return fail("bad user name \"%s\"", safe(user, sb, 40));
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		box_strlcpy(self, "box-proxy", sizeof(self));
	else
		self[n] = '\0';
	if (strpbrk(self, " \t\"'\\%") != NULL)
		box_strlcpy(self, "box-proxy", sizeof(self));
	printf("# sshbox invite %s (profile %s): then just \"ssh %s\"\n"
	    "Host %s\n"
	    "\tHostName %s\n"
	    "\tPort %s\n"
	    "\tUser %s\n"
	    "\tIdentityAgent ~/" STATE_SUBDIR "/agent.sock\n"
	    "\tIdentityFile ~/" STATE_SUBDIR "/keys/%s\n"
	    "\tIdentitiesOnly yes\n"
	    "%s"
	    "\tProxyCommand %s --token %s --user %%r -- %%h %%p\n",
	    c.invite_id, c.profile, alias, alias, hostname, port, user,
	    c.invite_id, c.has_host_key ? "\tUserKnownHostsFile ~/"
	    STATE_SUBDIR "/known_hosts\n\tStrictHostKeyChecking yes\n" : "",
	    self, token);
	return 0;
}

struct forget {
	const char *only;	/* one invite id, or NULL for all */
	int	 removed;
};

/* Counted in a first pass: readdir need not show a file that was
 * removed (through another name) after it started. */
static void
count_one(const char *id, const char *name, void *arg)
{
	struct forget *f = arg;

	if ((f->only == NULL || strcmp(id, f->only) == 0) &&
	    strchr(name, '.') == NULL)
		f->removed++;
}

static void
forget_one(const char *id, const char *name, void *arg)
{
	struct forget *f = arg;
	char key[PATH_MAX], pub[PATH_MAX], dl[PATH_MAX], env[PATH_MAX + 16];
	char *argv[] = { "ssh-add", "-q", "-d", pub, NULL };

	if (f->only != NULL && strcmp(id, f->only) != 0)
		return;
	/* Out of the agent first (the guest's own, or the private one):
	 * a key file gone but the key still in an agent is not forgotten. */
	key_paths(id, key, pub, dl, sizeof(key));
	(void)name;	/* whichever of its files comes first */
	if (access(pub, R_OK) == 0) {
		snprintf(env, sizeof(env), "SSH_AUTH_SOCK=%s", agent_sock);
		run(argv, env, NULL, 0, NULL, 0);
	}
	remove_key(id);
}

static void
count_left(const char *id, const char *name, void *arg)
{
	(void)id;
	if (strchr(name, '.') == NULL)
		(*(int *)arg)++;
}

/* Stop the private agent, if one was started; a link to the guest's own
 * agent is only removed. */
static void
stop_agent(void)
{
	char pidpath[PATH_MAX + 8], *buf;
	struct box_error err;
	long long pid;

	snprintf(pidpath, sizeof(pidpath), "%s.pid", agent_sock);
	if (box_read_file(pidpath, 32, &buf, NULL, &err) == 0) {
		if (box_parse_int(buf, 2, 4194304, &pid, &err) == 0) {
			char cpath[64], *c;

			snprintf(cpath, sizeof(cpath), "/proc/%lld/comm", pid);
			if (box_read_file(cpath, 64, &c, NULL, &err) == 0) {
				if (strncmp(c, "ssh-agent", 9) == 0)
					kill((pid_t)pid, SIGTERM);
				free(c);
			}
		}
		free(buf);
		unlink(pidpath);
	}
	unlink(agent_sock);
}

static int
cmd_forget(int argc, char **argv)
{
	struct forget f;
	int rc, lock, left;

	if (argc > 2 || (argc == 2 && (strlen(argv[1]) != BOX_ID_LEN ||
	    strspn(argv[1], "0123456789abcdef") != BOX_ID_LEN)))
		return fail("usage: box-proxy forget [INVITE-ID]");
	if ((rc = setup_dirs()) != 0)
		return rc;
	if ((lock = lock_state()) < 0)
		return PROXY_EXIT;
	f.only = argc == 2 ? argv[1] : NULL;
	f.removed = 0;
	for_each_key_file(count_one, &f);
	for_each_key_file(forget_one, &f);
	/* No key left: no agent either. */
	left = 0;
	for_each_key_file(count_left, &left);
	if (left == 0)
		stop_agent();
	close(lock);
	printf("removed %d key%s\n", f.removed, f.removed == 1 ? "" : "s");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "token", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' },
		{ "forward", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *token = NULL, *user = "box", *forward = NULL;
	int ch;

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "config") == 0)
		return cmd_config(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "forget") == 0)
		return cmd_forget(argc - 1, argv + 1);
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (ch) {
		case 't': token = optarg; break;
		case 'u': user = optarg; break;
		case 'f': forward = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return PROXY_EXIT;
		}
	}
	if (forward != NULL) {
		if (token != NULL)
			return fail("--forward goes through an ssh destination "
			    "(from \"box-proxy config\"), not a token");
		return cmd_forward(forward, argc - optind, argv + optind);
	}
	if (token == NULL || argc - optind != 2) {
		usage(stderr);
		return PROXY_EXIT;
	}
	return cmd_proxy(token, user, argv[optind], argv[optind + 1]);
}
