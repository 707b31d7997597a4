/*
 * The runtime driver for unprivileged programs: every operation is a
 * request to box-runtime(8), started once per process by
 * box_helper_start() (see helper.h for the protocol).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth/token.h"
#include "runtime/helper.h"
#include "core/log.h"
#include "core/spawn.h"
#include "core/util.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/libexec/sshbox"
#endif

#define H_RBUF	8192
#define H_LIST_MAX	100000

static struct {
	int	 fd;
	pid_t	 pid;
	int	 started;
	int	 ready;
	int	 failed;		/* err holds why */
	struct box_error err;
	char	 rbuf[H_RBUF];
	size_t	 rlen;
	char	 runtime[16];		/* the driver the helper uses now */
} H = { -1, -1, 0, 0, 0, { 0, 0, "" }, "", 0, "docker" };

static void
h_fail(struct box_error *err)
{
	if (!H.failed) {
		H.failed = 1;
		H.err = *err;
	}
	if (H.fd != -1) {
		close(H.fd);
		H.fd = -1;
	}
	if (H.pid > 0) {
		kill(H.pid, SIGKILL);
		while (waitpid(H.pid, NULL, 0) == -1 && errno == EINTR)
			;
		H.pid = -1;
	}
}

void
box_helper_start(const char *conf)
{
	char self[PATH_MAX], helper[PATH_MAX], confabs[PATH_MAX], *slash;
	struct box_error err;
	ssize_t n;
	int sv[2];
	pid_t pid;

	if (H.started && !H.failed)
		return;
	if (H.started) {	/* a long-running reaper tries again */
		H.failed = H.ready = 0;
		H.rlen = 0;
	}
	box_strlcpy(H.runtime, "docker", sizeof(H.runtime));
	H.started = 1;
	box_error_clear(&err);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		box_error_set(&err, BOX_E_CONFIG, errno,
		    "cannot find the box-runtime helper");
		h_fail(&err);
		return;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	/* Beside the program (libexec, or a test's copy of the programs),
	 * else where it is installed (box-invite lives in bin). */
	if (snprintf(helper, sizeof(helper), "%s/%s", self,
	    BOX_HELPER_NAME) >= (int)sizeof(helper) ||
	    (access(helper, X_OK) < 0 && snprintf(helper, sizeof(helper),
	    "%s/%s", LIBEXECDIR, BOX_HELPER_NAME) >= (int)sizeof(helper)) ||
	    realpath(conf, confabs) == NULL) {
		box_error_set(&err, BOX_E_CONFIG, errno,
		    "cannot start the box-runtime helper");
		h_fail(&err);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		box_error_set(&err, BOX_E_INTERNAL, errno, "socketpair");
		h_fail(&err);
		return;
	}
	{
		char *const argv[] = { BOX_HELPER_NAME, "-c", confabs,
		    "serve", NULL };
		char *const envp[] = { NULL };
		struct box_spawn sp;

		/* The helper answers on the socket; its stderr must not
		 * reach the guest. */
		memset(&sp, 0, sizeof(sp));
		sp.path = helper;
		sp.argv = argv;
		sp.envp = envp;
		sp.fds[0] = sp.fds[1] = sv[1];
		sp.fds[2] = -1;
		if ((pid = box_spawn(&sp, &err)) < 0) {
			close(sv[0]);
			close(sv[1]);
			err.kind = BOX_E_CONFIG;
			h_fail(&err);
			return;
		}
	}
	close(sv[1]);
	H.fd = sv[0];
	H.pid = pid;
}

int
box_helper_active(void)
{
	return H.started;
}

/* Read more into H.rbuf; a passed fd goes to *fdp (others closed). */
static int
h_fill(int64_t deadline, int *fdp, struct box_error *err)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} cbuf;
	struct cmsghdr *c;
	struct pollfd pfd;
	struct msghdr msg;
	struct iovec iov;
	int64_t left;
	ssize_t n;
	size_t i, nfd;
	int fds[4], r;

	if (H.rlen == sizeof(H.rbuf))
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "box-runtime reply too long");
	for (;;) {
		if ((left = deadline - box_now_ms()) <= 0)
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "box-runtime did not answer in time");
		pfd.fd = H.fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r == -1 && errno != EINTR)
			return box_error_set(err, BOX_E_RUNTIME, errno,
			    "box-runtime");
		if (r > 0)
			break;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = H.rbuf + H.rlen;
	iov.iov_len = sizeof(H.rbuf) - H.rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	while ((n = recvmsg(H.fd, &msg, MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	if (n == -1)
		return box_error_set(err, BOX_E_RUNTIME, errno,
		    "box-runtime");
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nfd > 4)
			nfd = 4;
		memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
		for (i = 0; i < nfd; i++) {
			if (fdp != NULL && *fdp == -1)
				*fdp = fds[i];
			else
				close(fds[i]);
		}
	}
	if (n == 0)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "box-runtime ended unexpectedly");
	H.rlen += (size_t)n;
	return 0;
}

/* The next line (without newline) into line; bounded by its size. */
static int
h_line(char *line, size_t linesz, int64_t deadline, int *fdp,
    struct box_error *err)
{
	char *nl;
	size_t n;

	while ((nl = memchr(H.rbuf, '\n', H.rlen)) == NULL) {
		if (H.rlen >= linesz)
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "box-runtime reply line too long");
		if (h_fill(deadline, fdp, err) < 0)
			return -1;
	}
	n = (size_t)(nl - H.rbuf);
	if (n >= linesz)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "box-runtime reply line too long");
	memcpy(line, H.rbuf, n);
	line[n] = '\0';
	H.rlen -= n + 1;
	memmove(H.rbuf, nl + 1, H.rlen);
	return (int)n;
}

static int
h_send(const void *buf, size_t len, struct box_error *err)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(H.fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return box_error_set(err, BOX_E_RUNTIME, errno,
			    "cannot talk to box-runtime");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The helper gives up on each runtime call after the configured timeout;
 * a request makes at most calls of them. */
static int64_t
h_deadline(const struct box_runtime *rt, enum box_helper_op op)
{
	int64_t t = rt != NULL && rt->cfg != NULL && rt->cfg->docker_timeout > 0 ?
	    rt->cfg->docker_timeout : 30;
	int calls = op == BOX_HOP_CREATE ? 6 : 2;

	return box_now_ms() + (t * calls + 10) * 1000;
}

/*
 * Send req, read the reply line into line; *args points at what follows
 * "ok".  A refusal (err line) leaves the helper usable; a broken
 * conversation ends it for good.
 */
static int
h_call(struct box_runtime *rt, const struct box_helper_req *req,
    char *line, size_t linesz, char **args, int *fdp, struct box_error *err)
{
	char out[BOX_HELPER_LINE_MAX];
	int64_t deadline = h_deadline(rt, req->op);
	int n;

	if (fdp != NULL)
		*fdp = -1;
	if (H.failed) {
		*err = H.err;
		return -1;
	}
	if (!H.ready) {
		if ((n = h_line(line, linesz, deadline, NULL, err)) < 0)
			goto broken;
		if (strcmp(line, "ready 1") != 0) {
			if (box_helper_parse_reply(line, (size_t)n, args,
			    err) == 0)
				box_error_set(err, BOX_E_RUNTIME, 0,
				    "unexpected greeting");
			box_error_wrap(err, "box-runtime");
			h_fail(err);
			return -1;
		}
		H.ready = 1;
	}
	/* Requests about a box go to the driver of the box's runtime. */
	if (rt != NULL && req->op != BOX_HOP_USE &&
	    req->op != BOX_HOP_CREATE && strcmp(H.runtime, rt->name) != 0) {
		struct box_helper_req use;

		memset(&use, 0, sizeof(use));
		use.op = BOX_HOP_USE;
		if (box_strlcpy(use.runtime, rt->name, sizeof(use.runtime)) < 0)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "unknown runtime");
		if (h_call(rt, &use, line, linesz, args, NULL, err) < 0)
			return -1;
		box_strlcpy(H.runtime, rt->name, sizeof(H.runtime));
	}
	if ((n = box_helper_format_req(req, out, sizeof(out), err)) < 0)
		return -1;
	if (h_send(out, (size_t)n, err) < 0)
		goto broken;
	if ((n = h_line(line, linesz, deadline, fdp, err)) < 0)
		goto broken;
	if (box_helper_parse_reply(line, (size_t)n, args, err) < 0) {
		if (strncmp(line, "err ", 4) == 0)
			return -1;	/* a refusal, the helper lives on */
		goto broken;
	}
	return 0;
 broken:
	h_fail(err);
	return -1;
}

static int
helper_create(struct box_runtime *rt, const struct box_spec *spec,
    char *ref, size_t refsz, struct box_error *err)
{
	struct box_helper_req req;
	char line[BOX_HELPER_LINE_MAX], *args;

	memset(&req, 0, sizeof(req));
	req.op = BOX_HOP_CREATE;
	box_strlcpy(req.ref, spec->box_id, sizeof(req.ref));
	box_strlcpy(req.profile, spec->profile->name, sizeof(req.profile));
	req.deadline = spec->deadline;
	if (h_call(rt, &req, line, sizeof(line), &args, NULL, err) < 0)
		return -1;
	if (!box_helper_valid_ref(args) || strlen(args) >= refsz)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "box-runtime gave an invalid box reference");
	box_strlcpy(ref, args, refsz);
	return 0;
}

static int
h_ref_req(enum box_helper_op op, const char *ref, struct box_helper_req *req,
    struct box_error *err)
{
	char safe[64];

	memset(req, 0, sizeof(*req));
	req->op = op;
	if (ref == NULL || !box_helper_valid_ref(ref))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid box reference \"%s\"",
		    box_log_safe(ref != NULL ? ref : "", safe, sizeof(safe)));
	box_strlcpy(req->ref, ref, sizeof(req->ref));
	return 0;
}

/* A request naming box box_id (and its reference, or none). */
static int
h_box_req(enum box_helper_op op, const char *box_id, const char *ref,
    struct box_helper_req *req, struct box_error *err)
{
	if (ref != NULL && *ref != '\0') {
		if (h_ref_req(op, ref, req, err) < 0)
			return -1;
	} else {
		memset(req, 0, sizeof(*req));
		req->op = op;
	}
	if (box_id == NULL || box_strlcpy(req->box_id, box_id,
	    sizeof(req->box_id)) < 0)
		return box_error_set(err, BOX_E_INPUT, 0, "invalid box id");
	return 0;
}

static int
helper_destroy(struct box_runtime *rt, const char *box_id, const char *ref,
    struct box_error *err)
{
	struct box_helper_req req;
	char line[BOX_HELPER_LINE_MAX], *args;

	if (h_box_req(BOX_HOP_DESTROY, box_id, ref, &req, err) < 0)
		return -1;
	return h_call(rt, &req, line, sizeof(line), &args, NULL, err);
}

static int
helper_pause(struct box_runtime *rt, const char *box_id, const char *ref,
    int on, struct box_error *err)
{
	struct box_helper_req req;
	char line[BOX_HELPER_LINE_MAX], *args;

	if (h_box_req(on ? BOX_HOP_PAUSE : BOX_HOP_UNPAUSE, box_id, ref, &req,
	    err) < 0)
		return -1;
	return h_call(rt, &req, line, sizeof(line), &args, NULL, err);
}

static int
helper_agent(struct box_runtime *rt, const char *box_id, const char *ref,
    struct box_agent_where *w, struct box_error *err)
{
	struct box_helper_req req;
	char line[BOX_HELPER_LINE_MAX], *args;
	int fd = -1;

	w->dirfd = w->fd = -1;
	if (h_box_req(BOX_HOP_AGENT, box_id, ref, &req, err) < 0)
		return -1;
	if (h_call(rt, &req, line, sizeof(line), &args, &fd, err) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd < 0 || *args != '\0') {
		if (fd >= 0)
			close(fd);
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "box-runtime gave no agent connection");
	}
	w->fd = fd;
	return 0;
}

static int
helper_fresh(struct box_runtime *rt, const char *box_id, const char *ref,
    const char *profile, const char *image, int *fresh,
    struct box_error *err)
{
	struct box_helper_req req;
	char line[BOX_HELPER_LINE_MAX], *args;

	(void)image;	/* box-runtime takes it from the profile */
	*fresh = 0;
	if (h_box_req(BOX_HOP_FRESH, box_id, ref, &req, err) < 0 ||
	    box_strlcpy(req.profile, profile, sizeof(req.profile)) < 0)
		return box_error_set(err, BOX_E_INPUT, 0, "invalid request");
	if (h_call(rt, &req, line, sizeof(line), &args, NULL, err) < 0)
		return -1;
	if (strcmp(args, "0") != 0 && strcmp(args, "1") != 0)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "unexpected reply from box-runtime");
	*fresh = args[0] == '1';
	return 0;
}

int
box_helper_sign(const char *profile, int64_t ttl, int64_t expires, char *id,
    char *token, int *pinned, struct box_error *err)
{
	struct box_helper_req req;
	char line[BOX_HELPER_LINE_MAX], *args, *w[3], *save;
	size_t i;

	memset(&req, 0, sizeof(req));
	req.op = BOX_HOP_SIGN;
	req.ttl = ttl;
	req.expires = expires;
	if (box_strlcpy(req.profile, profile, sizeof(req.profile)) < 0)
		return box_error_set(err, BOX_E_INPUT, 0, "invalid profile");
	if (h_call(NULL, &req, line, sizeof(line), &args, NULL, err) < 0)
		return -1;
	/* "ID TOKEN PINNED", each checked: the reply is the helper's, and
	 * what the state records must be what a token can be. */
	for (i = 0; i < 3; i++)
		if ((w[i] = strtok_r(i == 0 ? args : NULL, " ", &save)) == NULL)
			break;
	if (i != 3 || strtok_r(NULL, " ", &save) != NULL ||
	    strlen(w[0]) != BOX_ID_LEN || strspn(w[0], "0123456789abcdef") !=
	    BOX_ID_LEN || strlen(w[1]) > BOX_TOKEN_MAX ||
	    strncmp(w[1], BOX_TOKEN_PREFIX, strlen(BOX_TOKEN_PREFIX)) != 0 ||
	    (strcmp(w[2], "0") != 0 && strcmp(w[2], "1") != 0))
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "unexpected reply from box-runtime");
	memcpy(id, w[0], BOX_ID_LEN + 1);
	box_strlcpy(token, w[1], BOX_TOKEN_MAX + 1);
	*pinned = w[2][0] == '1';
	return 0;
}

int
box_helper_clone(struct box_runtime *rt, struct box_error *err)
{
	struct box_helper_req req;
	char line[BOX_HELPER_LINE_MAX], *args;
	int fd = -1;

	memset(&req, 0, sizeof(req));
	req.op = BOX_HOP_CLONE;
	if (h_call(rt, &req, line, sizeof(line), &args, &fd, err) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd < 0 || *args != '\0') {
		if (fd >= 0)
			close(fd);
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "box-runtime gave no second conversation");
	}
	return fd;
}

void
box_helper_adopt(int fd)
{
	if (H.fd >= 0 && H.fd != fd)
		close(H.fd);
	H.fd = fd;
	H.pid = -1;		/* not this process's child */
	H.started = 1;
	H.ready = 0;
	H.failed = 0;
	H.rlen = 0;
	box_strlcpy(H.runtime, "docker", sizeof(H.runtime));
}

static int
helper_inspect(struct box_runtime *rt, const char *ref, int *exists,
    int *running, struct box_error *err)
{
	struct box_helper_req req;
	char line[BOX_HELPER_LINE_MAX], *args;

	*exists = *running = 0;
	if (h_ref_req(BOX_HOP_INSPECT, ref, &req, err) < 0 ||
	    h_call(rt, &req, line, sizeof(line), &args, NULL, err) < 0)
		return -1;
	if (strlen(args) != 3 || (args[0] != '0' && args[0] != '1') ||
	    args[1] != ' ' || (args[2] != '0' && args[2] != '1'))
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "unexpected reply from box-runtime");
	*exists = args[0] == '1';
	*running = args[2] == '1';
	return 0;
}

static int
helper_describe(struct box_runtime *rt, const char *ref, int *exists,
    struct box_runtime_obj *obj, struct box_error *err)
{
	(void)rt;
	(void)ref;
	*exists = 0;
	memset(obj, 0, sizeof(*obj));
	return box_error_set(err, BOX_E_DENIED, 0,
	    "describe is not offered by box-runtime");
}

static int
helper_image_present(struct box_runtime *rt, const char *image,
    int *present, struct box_error *err)
{
	(void)rt;
	(void)image;
	*present = 0;
	return box_error_set(err, BOX_E_DENIED, 0,
	    "image checks are not offered by box-runtime (run as root)");
}

static int
helper_list(struct box_runtime *rt, const char *instance,
    struct box_runtime_obj **objs, size_t *nobjs, struct box_error *err)
{
	struct box_helper_req req;
	struct box_runtime_obj *arr;
	char line[BOX_HELPER_LINE_MAX], *args;
	long long n, i;
	int len;

	*objs = NULL;
	*nobjs = 0;
	if (rt->cfg == NULL || instance == NULL ||
	    strcmp(instance, rt->cfg->instance) != 0)
		return box_error_set(err, BOX_E_DENIED, 0,
		    "box-runtime lists this bastion's boxes only");
	memset(&req, 0, sizeof(req));
	req.op = BOX_HOP_LIST;
	if (h_call(rt, &req, line, sizeof(line), &args, NULL, err) < 0)
		return -1;
	if (box_parse_int(args, 0, H_LIST_MAX, &n, NULL) < 0) {
		box_error_set(err, BOX_E_RUNTIME, 0,
		    "unexpected reply from box-runtime");
		h_fail(err);
		return -1;
	}
	if ((arr = calloc(n > 0 ? (size_t)n : 1, sizeof(*arr))) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, errno, "list");
	for (i = 0; i < n; i++) {
		if ((len = h_line(line, sizeof(line),
		    h_deadline(rt, BOX_HOP_LIST), NULL,
		    err)) < 0 ||
		    box_helper_parse_obj(line, (size_t)len, &arr[i],
		    err) < 0) {
			free(arr);
			h_fail(err);
			return -1;
		}
	}
	*objs = arr;
	*nobjs = (size_t)n;
	return 0;
}

static void
helper_free(struct box_runtime *rt)
{
	/* The helper serves the whole process; it ends with it. */
	rt->priv = NULL;
}

const struct box_runtime_ops box_helper_ops = {
	.name = "docker",
	.create = helper_create,
	.destroy = helper_destroy,
	.agent = helper_agent,
	.pause = helper_pause,
	.inspect = helper_inspect,
	.describe = helper_describe,
	.image_present = helper_image_present,
	.fresh = helper_fresh,
	.list = helper_list,
	.free = helper_free,
};
