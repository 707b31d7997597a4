/* Runtime drivers: choosing one by name and releasing it. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/helper.h"
#include "core/log.h"
#include "runtime/runtime.h"

#define MAX_DRIVERS	8

/* The runtimes sshbox knows (a profile's runtime: key); box-runtime
 * serves them to the programs that go through it. */
static const char *const known[] = BOX_RUNTIMES;

/* The drivers linked into this program: only those that reach a runtime
 * themselves (box-runtime, doctor, tests) register one, so that the rest
 * do not load a runtime client's libraries at every start. */
static const struct box_runtime_ops *drivers[MAX_DRIVERS];
static size_t ndrivers;

int
box_runtime_register(const struct box_runtime_ops *ops)
{
	size_t i;

	for (i = 0; i < ndrivers; i++)
		if (drivers[i] == ops)
			return 0;
	if (ndrivers == MAX_DRIVERS)
		return -1;
	drivers[ndrivers++] = ops;
	return 0;
}

static int
is_known(const char *name)
{
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], name) == 0)
			return 1;
	return 0;
}

const char *const *
box_runtime_names(void)
{
	static const char *names[MAX_DRIVERS + sizeof(known) /
	    sizeof(known[0])];
	size_t n = 0, i;

	if (box_helper_active())
		for (i = 0; known[i] != NULL; i++)
			names[n++] = known[i];
	for (i = 0; i < ndrivers; i++)
		if (!box_helper_active() || !is_known(drivers[i]->name))
			names[n++] = drivers[i]->name;
	names[n] = NULL;
	return names;
}

int
box_runtime_open(const char *name, const struct box_config *cfg,
    struct box_runtime **out, struct box_error *err)
{
	const struct box_runtime_ops *ops = NULL;
	struct box_runtime *rt;
	char safe[64];
	size_t i;

	*out = NULL;
	if (name == NULL || *name == '\0')
		name = "docker";
	for (i = 0; i < ndrivers; i++)
		if (strcmp(drivers[i]->name, name) == 0)
			ops = drivers[i];
	if (ops == NULL && !is_known(name))
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "unknown runtime \"%s\"", box_log_safe(name, safe,
		    sizeof(safe)));
	/* Unprivileged programs reach the runtime through box-runtime
	 * only. */
	if (box_helper_active())
		ops = &box_helper_ops;
	if (ops == NULL)
		return box_error_set(err, BOX_E_CONFIG, 0, "runtime %s is "
		    "reached through box-runtime only", name);
	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, errno, "runtime %s",
		    name);
	rt->ops = ops;
	rt->cfg = cfg;
	snprintf(rt->name, sizeof(rt->name), "%s", name);
	*out = rt;
	return 0;
}

int
box_valid_term(const char *term)
{
	size_t n;

	if (term == NULL || (n = strlen(term)) == 0 || n > 64)
		return 0;
	return strspn(term, "abcdefghijklmnopqrstuvwxyz0123456789-+._") == n;
}

int
box_agent_connect(struct box_agent_where *w, struct box_error *err)
{
	struct sockaddr_un sa;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct stat st;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	/* Through the directory's descriptor: no directory above it is
	 * walked again, and a link planted as the socket is not followed
	 * into another box (the peer check below is what holds). */
	if (w->dirfd < 0 || w->name[0] == '\0' || strchr(w->name, '/') ||
	    (size_t)snprintf(sa.sun_path, sizeof(sa.sun_path),
	    "/proc/self/fd/%d/%s", w->dirfd, w->name) >= sizeof(sa.sun_path))
		return box_error_set(err, BOX_E_INTERNAL, 0, "agent socket");
	if (fstatat(w->dirfd, w->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		close(w->dirfd);
		return box_error_set(err, BOX_E_RUNTIME, errno,
		    "your box's agent is not there");
	}
	if (!S_ISSOCK(st.st_mode)) {
		close(w->dirfd);
		return box_error_set(err, BOX_E_DENIED, 0, "your box's agent "
		    "socket was replaced (not a socket): refusing it");
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		close(w->dirfd);
		return box_error_set(err, BOX_E_INTERNAL, errno, "socket");
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		close(w->dirfd);
		return box_error_set(err, BOX_E_RUNTIME, e,
		    "cannot reach your box's agent");
	}
	close(w->dirfd);
	w->dirfd = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred) || w->pid <= 0 || (long)cred.pid != w->pid) {
		close(fd);
		return box_error_set(err, BOX_E_DENIED, 0, "the socket in your "
		    "box's run directory is not your box's agent: refusing it");
	}
	return fd;
}

int
box_runtime_agent(struct box_runtime *rt, const char *box_id,
    const char *ref, struct box_error *err)
{
	struct box_agent_where w;

	memset(&w, 0, sizeof(w));
	w.dirfd = w.fd = -1;
	if (rt->ops->agent == NULL)
		return box_error_set(err, BOX_E_CONFIG, 0, "runtime %s has no "
		    "agent", rt->ops->name);
	if (rt->ops->agent(rt, box_id, ref, &w, err) < 0)
		return -1;
	if (w.fd >= 0)
		return w.fd;
	return box_agent_connect(&w, err);
}

int
box_runtime_pause(struct box_runtime *rt, const char *box_id,
    const char *ref, int on, struct box_error *err)
{
	if (rt->ops->pause == NULL)
		return box_error_set(err, BOX_E_CONFIG, 0, "runtime %s cannot "
		    "pause boxes", rt->ops->name);
	return rt->ops->pause(rt, box_id, ref, on, err);
}

void
box_runtime_free(struct box_runtime *rt)
{
	if (rt == NULL)
		return;
	if (rt->ops != NULL && rt->ops->free != NULL)
		rt->ops->free(rt);
	free(rt);
}
