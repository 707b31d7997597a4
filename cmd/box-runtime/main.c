/*
 * box-runtime: the one sshbox program that can reach a runtime (installed
 * setuid root: runc and runsc need root, and the Docker socket is root's
 * in all but name).  box-shell and box-reaper, running as the box
 * account, start it before they drop privileges and ask it for the few
 * operations they need, one checked request at a time
 * (lib/runtime/helper.h).  It acts only on this bastion's boxes, with
 * profiles from a root-owned configuration, and never takes a path, an
 * image, a mount or a runtime option from its caller.  It runs as its
 * caller but while it drives a runtime.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "box/invite.h"
#include "runtime/helper.h"
#include "runtime/oci.h"
#include "core/log.h"
#include "runtime/rundir.h"
#include "runtime/runtime.h"
#include "core/util.h"

#ifndef RUNTIME_LOCKDIR
#define RUNTIME_LOCKDIR "/var/lib/sshbox-runtime"
#endif

#define DEADLINE_SLACK	300	/* seconds past a profile's max_ttl */

static struct box_config cfg;
static struct box_runtime *rt;		/* the driver in use (use) */
static struct box_runtime *rts[8];	/* every driver opened */
static size_t nrts;
static char rbuf[BOX_HELPER_LINE_MAX];
static size_t rlen;

/*
 * In sanitizer builds (CI): LeakSanitizer cannot stop the world in a
 * setgid, hence non-dumpable, process; it would end every run with a
 * fatal error.  Leaks are found in the same code through box-invite and
 * the unit tests instead.
 */
#if defined(__SANITIZE_ADDRESS__)
int	__lsan_is_turned_off(void);
int
__lsan_is_turned_off(void)
{
	return 1;
}
#endif

/*
 * What a caller hands down through exec and could use to make a runtime
 * fail half-way (leaving a box half made): signal dispositions and mask
 * (an ignored SIGCHLD makes every wait fail), resource limits (a file
 * size limit of 0 cuts config.json, a low one on descriptors or memory
 * breaks runc).  Back to the defaults, the limits as high as their hard
 * values allow (root with CAP_SYS_RESOURCE raises those too).  SIGXFSZ
 * ignored: a write past a limit fails instead of killing.
 */
static void
sane_process(void)
{
	static const int limits[] = { RLIMIT_FSIZE, RLIMIT_CPU, RLIMIT_AS,
	    RLIMIT_DATA, RLIMIT_NOFILE, RLIMIT_STACK, RLIMIT_NPROC };
	struct rlimit rl;
	sigset_t none;
	size_t i;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		if (getrlimit(limits[i], &rl) < 0)
			continue;
		rl.rlim_cur = rl.rlim_max = limits[i] == RLIMIT_NOFILE ?
		    1048576 : RLIM_INFINITY;
		if (limits[i] == RLIMIT_STACK)
			rl.rlim_cur = 8 * 1024 * 1024;
		if (setrlimit(limits[i], &rl) < 0 &&
		    getrlimit(limits[i], &rl) == 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(limits[i], &rl);
		}
	}
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: box-runtime [-c FILE] serve\n"
	    "  Serves box-shell and box-reaper (the box account) on stdin and\n"
	    "  stdout; not for interactive use.  See box-runtime(8).\n");
}

static int
send_all(const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	const char *p = buf;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	while (len > 0) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = (void *)p;
		iov.iov_len = len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (fd != -1) {
			memset(&cbuf, 0, sizeof(cbuf));
			msg.msg_control = cbuf.buf;
			msg.msg_controllen = sizeof(cbuf.buf);
			CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
			CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
			CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), &fd,
			    sizeof(int));
			n = sendmsg(1, &msg, MSG_NOSIGNAL);
		} else if ((n = send(1, p, len, MSG_NOSIGNAL)) == -1 &&
		    errno == ENOTSOCK) {
			n = write(1, p, len);	/* a pipe: scripts, tests */
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		fd = -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
reply(const char *fmt, ...)
{
	char buf[BOX_HELPER_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	return send_all(buf, (size_t)n, -1);
}

static int
refuse(const char *what, const struct box_error *err)
{
	char safe[BOX_HELPER_LINE_MAX - 16];

	box_log_safe(err->msg, safe, sizeof(safe));
	box_log(err->kind == BOX_E_DENIED || err->kind == BOX_E_INPUT ?
	    LOG_WARNING : LOG_ERR, "%s refused: %s", what, safe);
	return reply("err %d %s", err->kind != BOX_E_NONE ? (int)err->kind :
	    BOX_E_INTERNAL, safe);
}

/*
 * The runtime's ids (root, or the docker group of an older setgid
 * install) are held only while a runtime is driven: files are read, and
 * the agent's socket reached, as the caller, so that the caller learns
 * nothing of files it could not read itself and no planted link leads
 * anywhere it could not go.  The caller's real ids stay, so that it can
 * still stop this process.
 */
static uid_t runtime_uid;
static gid_t runtime_gid;

static void
as_caller(void)
{
	if (setegid(getgid()) < 0 || seteuid(getuid()) < 0)
		abort();
}

static void
as_runtime(void)
{
	if (seteuid(runtime_uid) < 0 || setegid(runtime_gid) < 0)
		abort();
}

/* The driver of runtime name, opened once. */
static int
driver(const char *name, struct box_runtime **out, struct box_error *err)
{
	size_t i;

	for (i = 0; i < nrts; i++)
		if (strcmp(rts[i]->name, name) == 0) {
			*out = rts[i];
			return 0;
		}
	if (nrts == sizeof(rts) / sizeof(rts[0]))
		return box_error_set(err, BOX_E_INTERNAL, 0, "too many "
		    "runtimes");
	if (box_runtime_open(name, &cfg, out, err) < 0)
		return -1;
	rts[nrts++] = *out;
	return 0;
}

/* A profile from the root-owned profiles directory. */
static int
load_profile(const char *name, struct box_profile *p, struct box_error *err)
{
	char path[PATH_MAX], *buf;
	size_t len;
	int rc;

	if (!box_valid_name(name, BOX_PROFILE_NAME_MAX))
		return box_error_set(err, BOX_E_DENIED, 0,
		    "the box names no valid profile");
	if (snprintf(path, sizeof(path), "%s/%s.yaml", cfg.profiles_dir,
	    name) >= (int)sizeof(path))
		return box_error_set(err, BOX_E_CONFIG, 0, "path too long");
	as_caller();
	rc = box_read_root_only(path, 1, BOX_CONFIG_MAX_BYTES, &buf, &len,
	    err);
	as_runtime();
	if (rc < 0)
		return box_error_wrap(err, "profile %s", name);
	rc = box_config_parse_profile(buf, len, path, name, p, err);
	free(buf);
	return rc;
}

/* The box behind ref, which must be one of this bastion's. */
static int
ours(const char *ref, int *exists, struct box_runtime_obj *obj,
    struct box_error *err)
{
	if (rt->ops->describe(rt, ref, exists, obj, err) < 0)
		return -1;
	if (*exists && (obj->box_id[0] == '\0' ||
	    strcmp(obj->instance, cfg.instance) != 0))
		return box_error_set(err, BOX_E_DENIED, 0,
		    "%s is not a box of this bastion", ref);
	return 0;
}

/*
 * Wait (within the runtime timeout) for the other helpers' creates in this
 * instance, whatever configuration file they were given: flock on
 * RUNTIME_LOCKDIR/create-INSTANCE.lock.  That directory is root-owned and
 * only the runtime's group may enter it (box-invite init makes it), and
 * the lock is opened while holding that group: no other account, the box
 * account included, can take the lock and stall every create.  The lock
 * goes when its holder exits, however it ends.  Returns the lock's fd.
 */
static int
lock_creates(struct box_error *err)
{
	int64_t give_up = box_now_ms() + cfg.docker_timeout * 1000;
	char name[64];
	struct stat st;
	int dfd, fd;

	snprintf(name, sizeof(name), "create-%s.lock", cfg.instance);
	dfd = open(RUNTIME_LOCKDIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (dfd < 0)
		return box_error_set(err, BOX_E_CONFIG, errno, "lock directory "
		    "%s (run box-invite init as root)", RUNTIME_LOCKDIR);
	/* Root's and closed to others; when this program holds only a
	 * group (an older setgid install), that group's. */
	if (fstat(dfd, &st) < 0 || st.st_uid != 0 ||
	    (runtime_uid != 0 && st.st_gid != runtime_gid) ||
	    (st.st_mode & 07) != 0) {
		close(dfd);
		return box_error_set(err, BOX_E_CONFIG, 0, "lock directory %s "
		    "must be root's and closed to others (run box-invite init "
		    "as root)", RUNTIME_LOCKDIR);
	}
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0660);
	close(dfd);
	if (fd < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno, "lock %s/%s",
		    RUNTIME_LOCKDIR, name);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return box_error_set(err, BOX_E_CONFIG, 0, "lock %s/%s is not "
		    "a plain file", RUNTIME_LOCKDIR, name);
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			close(fd);
			return box_error_set(err, BOX_E_INTERNAL, errno,
			    "lock");
		}
		if (box_now_ms() > give_up) {
			close(fd);
			return box_error_set(err, BOX_E_RATE, 0,
			    "too many boxes being created at once");
		}
		usleep(20000);
	}
	return fd;
}

/*
 * This bastion's boxes in every runtime, against max_boxes: the OCI
 * bundles (one directory, whatever runtime made them) and Docker's
 * containers.  Docker unreachable counts as none unless the box is to be
 * Docker's (a bastion without Docker must still make boxes).
 */
static int
count_boxes(const struct box_runtime *target, struct box_error *err)
{
	struct box_runtime_obj *objs;
	struct box_runtime *dk;
	struct box_error e2;
	size_t n = 0, nd;

	if (cfg.max_boxes <= 0)
		return 0;
	if (box_oci_count(&cfg, &n, err) < 0)
		return -1;
	if (driver("docker", &dk, &e2) == 0 &&
	    dk->ops->list(dk, cfg.instance, &objs, &nd, &e2) == 0) {
		free(objs);
		n += nd;
	} else if (strcmp(target->name, "docker") == 0) {
		*err = e2;
		return -1;
	}
	if (n >= (size_t)cfg.max_boxes)
		return box_error_set(err, BOX_E_RATE, 0, "this bastion already "
		    "runs its maximum of %d boxes", cfg.max_boxes);
	return 0;
}

static int
do_create(const struct box_helper_req *req, struct box_error *err)
{
	struct box_profile p;
	struct box_spec spec;
	struct box_runtime *prt;
	char ref[BOX_REF_MAX], agent_path[PATH_MAX];
	int64_t now = box_now();
	int lock, rc, oci;

	if (load_profile(req->profile, &p, err) < 0)
		return -1;
	/* The profile says which runtime, whatever the caller used. */
	if (driver(p.runtime[0] ? p.runtime : "docker", &prt, err) < 0)
		return -1;
	oci = strcmp(prt->name, "docker") != 0;
	/* The agent every box runs as PID 1: the one installed beside this
	 * program, root's. */
	if (box_agent_binary(agent_path, sizeof(agent_path), err) < 0)
		return box_error_wrap(err, "box-agent");
	if (req->deadline <= now ||
	    req->deadline > now + p.max_ttl + DEADLINE_SLACK)
		return box_error_set(err, BOX_E_DENIED, 0,
		    "deadline outside profile %s's max_ttl", p.name);
	/* box-shell counts live boxes in the state it owns; the runtime's
	 * own count holds even for a caller that skips that.  Counting and
	 * creating are one step for all helpers of this configuration: a
	 * Docker box is counted once created, an OCI box once its bundle
	 * directory exists, which is all the lock covers then. */
	if ((lock = lock_creates(err)) < 0)
		return -1;
	rc = count_boxes(prt, err);
	if (rc == 0 && oci) {
		rc = box_oci_reserve(&cfg, req->ref, err);
		close(lock);
		lock = -1;
	}
	if (rc == 0) {
		sigset_t stop, saved;

		memset(&spec, 0, sizeof(spec));
		spec.box_id = req->ref;
		spec.instance = cfg.instance;
		spec.deadline = req->deadline;
		spec.profile = &p;
		spec.agent_path = agent_path;
		/* A box is made whole or undone: the caller's signals wait
		 * (SIGKILL cannot; the reaper removes what that leaves). */
		sigemptyset(&stop);
		sigaddset(&stop, SIGTERM);
		sigaddset(&stop, SIGINT);
		sigaddset(&stop, SIGHUP);
		sigaddset(&stop, SIGQUIT);
		sigprocmask(SIG_BLOCK, &stop, &saved);
		rc = prt->ops->create(prt, &spec, ref, sizeof(ref), err);
		sigprocmask(SIG_SETMASK, &saved, NULL);
	}
	if (lock >= 0)
		close(lock);
	if (rc < 0)
		return -1;
	box_log(LOG_INFO, "created box %s (%s %s, profile %s)", req->ref,
	    prt->name, ref, p.name);
	return reply("ok %s", ref);
}

/* Whether a box was made from its profile's image as it is now. */
static int
do_fresh(const struct box_helper_req *req, struct box_error *err)
{
	struct box_profile p;
	int fresh;

	if (load_profile(req->profile, &p, err) < 0)
		return -1;
	if (rt->ops->fresh == NULL)
		return box_error_set(err, BOX_E_CONFIG, 0, "runtime %s cannot "
		    "tell", rt->name);
	if (rt->ops->fresh(rt, req->box_id, req->ref, p.name, p.image, &fresh,
	    err) < 0)
		return -1;
	return reply("ok %d", fresh);
}

static int serve(void);

/*
 * A second conversation, for the caller's work in the background: a
 * helper of its own (this process, forked twice so that nobody waits for
 * it), serving the other end of a new socket pair, which goes back as a
 * descriptor.  It serves what this one serves, and ends with its
 * conversation.
 */
static int
do_clone(struct box_error *err)
{
	int sv[2], rc, status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno, "socketpair");
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return box_error_set(err, BOX_E_INTERNAL, errno, "fork");
	}
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		close(sv[0]);
		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
			_exit(1);
		close(sv[1]);
		rlen = 0;
		as_caller();
		if (reply("ready 1") < 0)
			_exit(1);
		_exit(serve());
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(sv[1]);
	rc = send_all("ok\n", 3, sv[0]);
	close(sv[0]);
	return rc < 0 ? -2 : 0;
}

/*
 * A new invite for a staff member's guest, signed here so that the
 * signing key stays root's: the box account says which profile, for how
 * long, redeemable how long; box-shell has checked the staff member's
 * policy, and records the invite.  Each signing is logged.
 */
static int
do_sign(const struct box_helper_req *req, struct box_error *err)
{
	struct box_token_claims claims;
	struct box_profile p;
	char token[BOX_TOKEN_MAX + 1];
	EVP_PKEY *key = NULL;
	int rc;

	if (load_profile(req->profile, &p, err) < 0)
		return -1;
	if (req->ttl > p.max_ttl)
		return box_error_set(err, BOX_E_DENIED, 0, "ttl over profile "
		    "%s's max_ttl", p.name);
	if (box_token_load_private(cfg.signing_key, &key, err) < 0)
		return -1;
	rc = box_invite_sign(&cfg, key, p.name, req->ttl, req->expires,
	    box_now(), &claims, token, sizeof(token), NULL, 0, err);
	EVP_PKEY_free(key);
	if (rc < 0)
		return -1;
	box_log(LOG_NOTICE, "signed invite %s: profile %s, ttl %llds, "
	    "redeemable %llds", claims.invite_id, p.name,
	    (long long)req->ttl, (long long)req->expires);
	return reply("ok %s %s %d", claims.invite_id, token,
	    claims.has_host_key);
}

static int
do_use(const struct box_helper_req *req, struct box_error *err)
{
	if (driver(req->runtime, &rt, err) < 0)
		return -1;
	return reply("ok");
}

/* The driver checks that what it removes is box_id of this instance. */
static int
do_destroy(const struct box_helper_req *req, struct box_error *err)
{
	if (rt->ops->destroy(rt, req->box_id, req->ref, err) < 0)
		return -1;
	box_log(LOG_INFO, "destroyed box %s", req->box_id);
	return reply("ok");
}

static int
do_pause(const struct box_helper_req *req, struct box_error *err)
{
	int on = req->op == BOX_HOP_PAUSE;

	if (box_runtime_pause(rt, req->box_id, req->ref, on, err) < 0)
		return -1;
	box_log(LOG_INFO, "%s box %s", on ? "paused" : "unpaused",
	    req->box_id);
	return reply("ok");
}

/*
 * A connection to the box's agent, handed back as a descriptor.  The
 * runtime says where the agent is (with the runtime's group); the connect
 * and the peer check run with the caller's groups only, so that a socket
 * the guest replaced can lead nowhere the box account could not go.
 */
static int
do_agent(const struct box_helper_req *req, struct box_error *err)
{
	struct box_agent_where w;
	int fd, rc;

	memset(&w, 0, sizeof(w));
	if (rt->ops->agent(rt, req->box_id, req->ref, &w, err) < 0)
		return -1;
	as_caller();
	fd = box_agent_connect(&w, err);
	as_runtime();
	if (fd < 0)
		return -1;
	rc = send_all("ok\n", 3, fd);
	close(fd);
	return rc < 0 ? -2 : 0;
}

static int
do_inspect(const struct box_helper_req *req, struct box_error *err)
{
	struct box_runtime_obj obj;
	int exists;

	if (ours(req->ref, &exists, &obj, err) < 0)
		return -1;
	return reply("ok %d %d", exists, exists && obj.running);
}

static int
do_list(struct box_error *err)
{
	struct box_runtime_obj *objs;
	size_t n, i;
	int rc = 0;

	if (rt->ops->list(rt, cfg.instance, &objs, &n, err) < 0)
		return -1;
	if (reply("ok %zu", n) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < n; i++)
		rc = reply("%s %s %lld %d", objs[i].ref, objs[i].box_id,
		    (long long)objs[i].deadline, objs[i].running);
	free(objs);
	return rc;
}

/* The next request line; 0 at a clean end, -1 on a broken one. */
static int
read_line(char *line, size_t *len)
{
	char *nl;
	ssize_t n;

	while ((nl = memchr(rbuf, '\n', rlen)) == NULL) {
		if (rlen == sizeof(rbuf))
			return -1;
		n = read(0, rbuf + rlen, sizeof(rbuf) - rlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 && rlen == 0)
			return 0;
		if (n <= 0)
			return -1;
		rlen += (size_t)n;
	}
	*len = (size_t)(nl - rbuf);
	memcpy(line, rbuf, *len);
	rlen -= *len + 1;
	memmove(rbuf, nl + 1, rlen);
	return 1;
}

static int
serve(void)
{
	struct box_helper_req req;
	struct box_error err;
	char line[BOX_HELPER_LINE_MAX];
	size_t len;
	int rc;

	for (;;) {
		if ((rc = read_line(line, &len)) == 0)
			return 0;
		if (rc < 0) {
			box_error_set(&err, BOX_E_INPUT, 0,
			    "request too long or cut short");
			refuse("request", &err);
			return 1;
		}
		box_error_clear(&err);
		if (box_helper_parse_req(line, len, &req, &err) < 0) {
			if (refuse("request", &err) < 0)
				return 1;
			continue;
		}
		/* What it logs of a request names the box (a create's id
		 * comes as its ref). */
		box_log_context(req.op == BOX_HOP_CREATE ? req.ref :
		    req.box_id, NULL, NULL);
		/* The runtime's ids for this request only. */
		as_runtime();
		switch (req.op) {
		case BOX_HOP_CREATE:
			rc = do_create(&req, &err);
			break;
		case BOX_HOP_DESTROY:
			rc = do_destroy(&req, &err);
			break;
		case BOX_HOP_AGENT:
			rc = do_agent(&req, &err);
			break;
		case BOX_HOP_PAUSE:
		case BOX_HOP_UNPAUSE:
			rc = do_pause(&req, &err);
			break;
		case BOX_HOP_INSPECT:
			rc = do_inspect(&req, &err);
			break;
		case BOX_HOP_LIST:
			rc = do_list(&err);
			break;
		case BOX_HOP_USE:
			rc = do_use(&req, &err);
			break;
		case BOX_HOP_FRESH:
			rc = do_fresh(&req, &err);
			break;
		case BOX_HOP_CLONE:
			rc = do_clone(&err);
			break;
		case BOX_HOP_SIGN:
			rc = do_sign(&req, &err);
			break;
		}
		as_caller();
		if (rc == -2)
			return 1;
		if (rc < 0 && refuse("request", &err) < 0)
			return 1;
		box_log_context(NULL, NULL, NULL);
	}
}

static int
start(const char *conf, struct box_error *err)
{
	const char *base;
	struct passwd *pw;
	uid_t uid = getuid();
	size_t len;
	char *buf;
	int rc;

	/* Whom it serves is compiled in and checked before anything is
	 * read: another account never gets as far as a file. */
	if (uid != 0 && ((pw = getpwnam(BOX_USER)) == NULL ||
	    pw->pw_uid != uid))
		return box_error_set(err, BOX_E_DENIED, 0,
		    "box-runtime serves the box account (%s) only", BOX_USER);
	base = strrchr(conf, '/') != NULL ? strrchr(conf, '/') + 1 : conf;
	if (strcmp(base, "sshbox.yaml") != 0)
		return box_error_set(err, BOX_E_CONFIG, 0, "configuration: "
		    "%s is not a file named sshbox.yaml", conf);
	runtime_uid = geteuid();
	runtime_gid = runtime_uid == 0 ? 0 : getegid();
	as_caller();
	rc = box_read_root_only(conf, 1, BOX_CONFIG_MAX_BYTES, &buf, &len,
	    err);
	if (rc == 0 && box_helper_config_allowed(conf, err) < 0) {
		free(buf);
		rc = -2;
	}
	if (rc == -1)
		return box_error_wrap(err, "configuration");
	if (rc < 0)
		return -1;
	rc = box_config_parse(buf, len, conf, &cfg, err);
	free(buf);
	if (rc < 0)
		return -1;
	box_log_set_format(cfg.log_format);
	if (strcmp(cfg.box_user, BOX_USER) != 0)
		return box_error_set(err, BOX_E_CONFIG, 0, "box_user is %s, "
		    "but box-runtime was built for %s", cfg.box_user,
		    BOX_USER);
	/* Any root-owned file of comments would parse as the defaults:
	 * only a bastion's own configuration says whose boxes these are. */
	if ((cfg.explicit_keys & (BOX_CFG_BOX_USER | BOX_CFG_INSTANCE)) !=
	    (BOX_CFG_BOX_USER | BOX_CFG_INSTANCE))
		return box_error_set(err, BOX_E_CONFIG, 0, "configuration: %s "
		    "must set box_user and instance", conf);
	return driver("docker", &rt, err);
}

int
main(int argc, char **argv)
{
	const char *conf = SYSCONFDIR "/sshbox/sshbox.yaml";
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct box_error err;
	int ch, rc;

	/* Setuid: nothing from the caller's environment is used. */
	clearenv();
	umask(077);
	if (chdir("/") < 0)
		return 1;
	sane_process();
	box_runtime_register(&box_docker_ops);
	box_runtime_register(&box_runc_ops);
	box_runtime_register(&box_crun_ops);
	box_runtime_register(&box_runsc_ops);
	box_runtime_register(&box_microvm_ops);
	box_log_init("box-runtime", BOX_LOG_SYSLOG);
	while ((ch = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "serve") != 0) {
		usage(stderr);
		return 2;
	}
	box_error_clear(&err);
	if (start(conf, &err) < 0) {
		refuse("start", &err);
		return 1;
	}
	if (reply("ready 1") < 0)
		return 1;
	rc = serve();
	box_runtime_free(rt);
	return rc;
}
