/* Provisioning, destroying and reaping boxes: state and runtime together. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include "box/box.h"
#include "core/log.h"
#include "core/proc.h"
#include "runtime/helper.h"
#include "runtime/rundir.h"
#include "session/session.h"
#include "core/util.h"

int
box_ctx_open(struct box_ctx *ctx, const char *path, int create_state,
    struct box_error *err)
{
	char db[PATH_MAX];

	memset(ctx, 0, sizeof(*ctx));
	if (box_config_load(path, &ctx->cfg, err) < 0)
		return -1;
	if (box_config_state_db(&ctx->cfg, db, sizeof(db)) < 0)
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "state_dir is too long");
	if (box_state_open(db, create_state, &ctx->st, err) < 0) {
		if (err != NULL && err->kind == BOX_E_NOTFOUND)
			box_error_set(err, BOX_E_STATE, 0, "no state at %s "
			    "(run box-invite init first)", db);
		return -1;
	}
	box_state_audit_file(ctx->st, ctx->cfg.audit_log);
	return 0;
}

void
box_ctx_close(struct box_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->ndrivers; i++)
		box_runtime_free(ctx->drivers[i]);
	ctx->ndrivers = 0;
	box_state_close(ctx->st);
	ctx->rt = NULL;
	ctx->st = NULL;
}

/* Every runtime sshbox knows can be open at once (the reaper's
 * reconciliation opens them all). */
_Static_assert(BOX_CTX_DRIVERS >= sizeof((const char *[])BOX_RUNTIMES) /
    sizeof(const char *) - 1, "BOX_CTX_DRIVERS below the runtimes known");

int
box_ctx_driver(struct box_ctx *ctx, const char *name, struct box_runtime **rt,
    struct box_error *err)
{
	size_t i;

	if (name == NULL || *name == '\0')
		name = "docker";
	for (i = 0; i < ctx->ndrivers; i++) {
		if (strcmp(ctx->drivers[i]->name, name) == 0) {
			*rt = ctx->drivers[i];
			return 0;
		}
	}
	if (ctx->ndrivers == BOX_CTX_DRIVERS)
		return box_error_set(err, BOX_E_INTERNAL, 0,
		    "too many runtimes");
	if (box_runtime_open(name, &ctx->cfg, rt, err) < 0)
		return -1;
	ctx->drivers[ctx->ndrivers++] = *rt;
	return 0;
}

int
box_ctx_runtime(struct box_ctx *ctx, const struct box_profile *p,
    struct box_error *err)
{
	return box_ctx_driver(ctx, p != NULL ? p->runtime : NULL, &ctx->rt,
	    err);
}

int
box_exit_code(const struct box_error *err)
{
	switch (err->kind) {
	case BOX_E_DENIED:
	case BOX_E_NOTFOUND:
		return BOX_EXIT_DENIED;
	case BOX_E_INPUT:
		return BOX_EXIT_USAGE;
	case BOX_E_RATE:
		return BOX_EXIT_RATE;
	case BOX_E_STATE:
		return BOX_EXIT_STATE;
	case BOX_E_RUNTIME:
		return BOX_EXIT_RUNTIME;
	default:
		return BOX_EXIT_CONFIG;
	}
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Wait for a box that another session is creating. */
static int
wait_running(struct box_ctx *ctx, struct box_box *box, struct box_error *err)
{
	int64_t give_up = box_now() + ctx->cfg.create_timeout;

	while (strcmp(box->status, BOX_STATUS_CREATING) == 0) {
		if (box_now() > give_up)
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "timed out waiting for box %s to start", box->id);
		sleep_ms(200);
		if (box_state_box_get(ctx->st, box->id, box, err) < 0)
			return -1;
	}
	if (strcmp(box->status, BOX_STATUS_RUNNING) != 0)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "box %s could not be started (%s)", box->id,
		    box->end_reason[0] ? box->end_reason : box->status);
	return 0;
}

/*
 * A box from the profile's warm pool: the claim took its row; it is thawed
 * and is the guest's.  1 when the guest has it, 0 when it could not be
 * thawed (it is gone, its row failed: the caller makes a new one), -1.
 */
static int
take_pooled(struct box_ctx *ctx, const struct box_profile *p,
    struct box_box *box, struct box_error *err)
{
	struct box_error e2;
	int64_t started = box_now_ms();

	if (box_ctx_runtime(ctx, p, err) < 0)
		return -1;
	if (box_runtime_pause(ctx->rt, box->id, box->ref, 0, &e2) < 0) {
		box_log(LOG_WARNING, "pooled box %s cannot be thawed: %s",
		    box->id, e2.msg);
		box_state_box_end(ctx->st, box->id, BOX_STATUS_FAILED,
		    "pooled box unusable", box_now(), &e2);
		ctx->rt->ops->destroy(ctx->rt, box->id, box->ref, &e2);
		return 0;
	}
	if (box_state_box_set_running(ctx->st, box->id, box->ref,
	    box_now_ms() - started, err) < 0) {
		ctx->rt->ops->destroy(ctx->rt, box->id, box->ref, &e2);
		return -1;
	}
	ctx->from_pool = 1;
	box_log_context(box->id, box->invite_id, box->fp);
	box_state_audit(ctx->st, box_now(), "box-created", box->invite_id,
	    box->id, box->fp, NULL, p->name);
	return 1;
}

int
box_provision(struct box_ctx *ctx, const struct box_binding *b,
    const struct box_profile *p, const char *source, struct box_box *box,
    struct box_error *err)
{
	char id[BOX_ID_LEN + 1], ref[BOX_REF_MAX], agent_path[PATH_MAX];
	const char *runtime = p->runtime[0] ? p->runtime : "docker";
	struct box_limits lim;
	struct box_spec spec;
	struct box_error e2;
	int64_t started;
	int created, rc;

	if (box_random_hex(id, BOX_ID_LEN / 2, err) < 0)
		return -1;
	lim = ctx->staff_lim;
	lim.max_boxes = ctx->cfg.max_boxes;
	lim.max_boxes_per_invite = ctx->cfg.max_boxes_per_invite;
	lim.max_boxes_per_source = ctx->cfg.max_boxes_per_source;
	ctx->from_pool = 0;
	/* A ready box of the pool first, when there is one. */
	if (p->pool > 0) {
		rc = box_state_box_claim_pooled(ctx->st, b, source, runtime,
		    &lim, box_now(), box, &created, &e2);
		if (rc == 0 && created == 2) {
			if ((rc = take_pooled(ctx, p, box, err)) != 0)
				return rc < 0 ? -1 : box_state_box_get(ctx->st,
				    box->id, box, err);
		} else if (rc == 0) {
			if (wait_running(ctx, box, err) < 0)
				return -1;
			box_log_context(box->id, box->invite_id, box->fp);
			return 0;
		} else if (e2.kind != BOX_E_NOTFOUND) {
			*err = e2;
			return -1;
		}
	}
	if (box_state_box_claim(ctx->st, b, id, source, runtime, &lim,
	    box_now(), box, &created, err) < 0)
		return -1;
	if (!created) {
		if (wait_running(ctx, box, err) < 0)
			return -1;
		box_log_context(box->id, box->invite_id, box->fp);
		return 0;
	}
	started = box_now_ms();
	if (box_ctx_runtime(ctx, p, err) < 0)
		goto fail;
	memset(&spec, 0, sizeof(spec));
	spec.box_id = box->id;
	spec.instance = ctx->cfg.instance;
	spec.deadline = box->deadline;
	spec.profile = p;
	/* Drivers that need it say so; box-runtime picks its own. */
	if (box_agent_binary(agent_path, sizeof(agent_path), &e2) == 0)
		spec.agent_path = agent_path;
	if (ctx->rt->ops->create(ctx->rt, &spec, ref, sizeof(ref), err) < 0)
		goto fail;
	if (box_state_box_set_running(ctx->st, box->id, ref,
	    box_now_ms() - started, err) < 0) {
		/* Ended meanwhile (killed, revoked): do not leave it. */
		ctx->rt->ops->destroy(ctx->rt, box->id, ref, &e2);
		return -1;
	}
	box_log_context(box->id, box->invite_id, box->fp);
	box_state_audit(ctx->st, box_now(), "box-created", box->invite_id,
	    box->id, box->fp, NULL, p->name);
	return box_state_box_get(ctx->st, box->id, box, err);
fail:
	box_state_box_end(ctx->st, box->id, BOX_STATUS_FAILED,
	    err != NULL ? err->msg : "failed", box_now(), &e2);
	box_state_audit(ctx->st, box_now(), "box-failed", box->invite_id,
	    box->id, box->fp, NULL, err != NULL ? err->msg : NULL);
	return -1;
}

int
box_destroy(struct box_ctx *ctx, const struct box_box *box,
    const char *reason, struct box_error *err)
{
	struct box_runtime *rt;

	if (box_state_box_end(ctx->st, box->id, BOX_STATUS_DESTROYED, reason,
	    box_now(), err) < 0)
		return -1;
	box_state_audit(ctx->st, box_now(), "box-destroyed", box->invite_id,
	    box->id, box->fp, NULL, reason);
	if (box_ctx_driver(ctx, box->runtime, &rt, err) < 0)
		return -1;
	return rt->ops->destroy(rt, box->id, box->ref, err);
}

long long
box_pid_start(long pid)
{
	struct box_proc_stat ps;

	/* A zombie (or dead) process is not a live session. */
	if (box_proc_stat(pid, &ps) < 0 || ps.state == 'Z' ||
	    ps.state == 'X' || ps.state == 'x')
		return -1;
	return ps.start;
}

int
box_pid_alive(long pid, long long start)
{
	return pid > 0 && box_pid_start(pid) == start;
}

/* ------------------------------------------------------------ warm pools */

struct poolvec {
	struct box_pooled *v;
	size_t n, cap;
};

static int
collect_pooled(void *arg, const struct box_pooled *pb)
{
	struct poolvec *pv = arg;
	struct box_pooled *nv;

	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? pv->cap * 2 : 16;

		if (cap > 100000 || (nv = realloc(pv->v, cap * sizeof(*nv))) ==
		    NULL)
			return -1;
		pv->v = nv;
		pv->cap = cap;
	}
	pv->v[pv->n++] = *pb;
	return 0;
}

/* Take pooled box pb out of its pool and remove it from its runtime. */
static void
pool_drop(struct box_ctx *ctx, const struct box_pooled *pb, const char *why,
    struct box_reap_stats *rs)
{
	struct box_runtime *rt;
	struct box_error e2;

	box_log_context(pb->id, NULL, NULL);
	if (box_state_pool_remove(ctx->st, pb->id, &e2) < 0) {
		box_log(LOG_ERR, "cannot take box out of pool %s: %s",
		    pb->profile, e2.msg);
		rs->errors++;
		box_log_context(NULL, NULL, NULL);
		return;
	}
	if (box_ctx_driver(ctx, pb->runtime, &rt, &e2) < 0 ||
	    rt->ops->destroy(rt, pb->id, pb->ref, &e2) < 0) {
		/* The row is gone: the next pass removes it as an orphan. */
		box_log(LOG_ERR, "cannot remove pooled box: %s", e2.msg);
		rs->errors++;
	} else {
		box_log(LOG_INFO, "pooled box of %s replaced (%s)",
		    pb->profile, why);
	}
	rs->pool_replaced++;
	box_log_context(NULL, NULL, NULL);
}

#define POOL_WARM_MS	30000	/* for the warm-up session */

/* A first session in a new pooled box (`true`, through the profile's
 * shell, as its user); its status does not matter, its start does. */
static int
pool_warm(struct box_ctx *ctx, const struct box_profile *p, const char *id,
    const char *ref, struct box_error *err)
{
	int fd, status;

	if ((fd = box_runtime_agent(ctx->rt, id, ref, err)) < 0 ||
	    box_session_quiet(fd, p, "true", POOL_WARM_MS, &status,
	    err) < 0)
		return box_error_wrap(err, "pooled box %s: its first session",
		    id);
	if (status != 0)
		box_log(LOG_WARNING, "pooled box %s: `true` through %s exited "
		    "with %d", id, p->shell, status);
	return 0;
}

/* Make one box for p's pool, warmed, then paused. */
static int
pool_make(struct box_ctx *ctx, const struct box_profile *p,
    struct box_error *err)
{
	char id[BOX_ID_LEN + 1], ref[BOX_REF_MAX], agent_path[PATH_MAX];
	const char *runtime = p->runtime[0] ? p->runtime : "docker";
	struct box_spec spec;
	struct box_error e2;
	int64_t now = box_now();

	if (box_random_hex(id, BOX_ID_LEN / 2, err) < 0 ||
	    box_state_pool_add(ctx->st, id, p->name, runtime, now, err) < 0)
		return -1;
	box_log_context(id, NULL, NULL);
	memset(&spec, 0, sizeof(spec));
	spec.box_id = id;
	spec.instance = ctx->cfg.instance;
	/* Its labels' deadline: the longest a guest may have it. */
	spec.deadline = now + p->max_ttl;
	spec.profile = p;
	if (box_agent_binary(agent_path, sizeof(agent_path), &e2) == 0)
		spec.agent_path = agent_path;
	if (box_ctx_runtime(ctx, p, err) < 0 ||
	    ctx->rt->ops->create(ctx->rt, &spec, ref, sizeof(ref), err) < 0) {
		box_state_pool_remove(ctx->st, id, &e2);
		box_log_context(NULL, NULL, NULL);
		return -1;
	}
	/* The guest's first session is not the box's first: the first
	 * process a box starts is slow (a cold page cache, a gVisor
	 * sandbox's or an emulated CPU's first run of that code), so one
	 * runs now, warming the agent, the account and the shell.  A box
	 * whose agent does not answer is not one to hand out.  Then it is
	 * frozen until a guest takes it: it costs no CPU meanwhile. */
	if (pool_warm(ctx, p, id, ref, err) < 0 ||
	    box_runtime_pause(ctx->rt, id, ref, 1, err) < 0 ||
	    box_state_pool_ready(ctx->st, id, ref, err) < 0) {
		box_state_pool_remove(ctx->st, id, &e2);
		ctx->rt->ops->destroy(ctx->rt, id, ref, &e2);
		box_log_context(NULL, NULL, NULL);
		return -1;
	}
	box_log(LOG_INFO, "pooled box made for %s", p->name);
	box_log_context(NULL, NULL, NULL);
	return 0;
}

int
box_pool_fill(struct box_ctx *ctx, const char *only,
    struct box_reap_stats *rs, struct box_error *err)
{
	static char names[256][BOX_PROFILE_NAME_MAX + 1];
	struct poolvec pv = { NULL, 0, 0 };
	struct box_profile p;
	struct box_error e2;
	size_t nn = 0, i, j;
	int64_t now = box_now();
	int rc = 0;

	if (only != NULL) {
		box_strlcpy(names[0], only, sizeof(names[0]));
		nn = 1;
	} else if (box_config_profile_names(&ctx->cfg, names, 256, &nn) < 0) {
		return box_error_set(err, BOX_E_CONFIG, errno, "%s",
		    ctx->cfg.profiles_dir);
	}
	if (box_state_pool_list(ctx->st, collect_pooled, &pv, err) < 0)
		return -1;
	for (i = 0; i < nn; i++) {
		const char *runtime;
		int have = 0;

		if (box_config_load_profile(&ctx->cfg, names[i], &p, &e2) < 0)
			continue;
		runtime = p.runtime[0] ? p.runtime : "docker";
		for (j = 0; j < pv.n; j++) {
			struct box_pooled *pb = &pv.v[j];
			int fresh = 1;

			if (pb->id[0] == '\0' || strcmp(pb->profile, p.name) != 0)
				continue;
			if (strcmp(pb->runtime, runtime) != 0) {
				pool_drop(ctx, pb, "runtime changed", rs);
			} else if (strcmp(pb->status, "creating") == 0) {
				if (now - pb->created_at >
				    ctx->cfg.create_timeout) {
					pool_drop(ctx, pb, "stuck", rs);
				} else {
					have++;
					continue;
				}
			} else if (now - pb->created_at > p.pool_max_age) {
				pool_drop(ctx, pb, "grew old", rs);
			} else if (have >= p.pool) {
				pool_drop(ctx, pb, "pool smaller", rs);
			} else if (box_ctx_runtime(ctx, &p, &e2) == 0 &&
			    ctx->rt->ops->fresh != NULL &&
			    ctx->rt->ops->fresh(ctx->rt, pb->id, pb->ref,
			    p.name, p.image, &fresh, &e2) == 0 && !fresh) {
				pool_drop(ctx, pb, "image changed", rs);
			} else {
				have++;
				continue;
			}
			pb->id[0] = '\0';
		}
		while (have < p.pool) {
			if (pool_make(ctx, &p, &e2) < 0) {
				box_log(LOG_ERR, "cannot fill the pool of %s: %s",
				    p.name, e2.msg);
				rs->errors++;
				rc = -1;
				*err = e2;
				break;
			}
			rs->pool_made++;
			have++;
		}
	}
	/* Pools of profiles that have none now, or are gone. */
	for (j = 0; only == NULL && j < pv.n; j++) {
		if (pv.v[j].id[0] == '\0')
			continue;
		for (i = 0; i < nn; i++)
			if (strcmp(names[i], pv.v[j].profile) == 0)
				break;
		if (i == nn || box_config_load_profile(&ctx->cfg,
		    pv.v[j].profile, &p, &e2) < 0 || p.pool == 0)
			pool_drop(ctx, &pv.v[j], "no pool now", rs);
	}
	free(pv.v);
	return rc;
}

void
box_pool_kick(struct box_ctx *ctx, const char *profile)
{
	char self[PATH_MAX], reaper[PATH_MAX], *slash;
	struct box_error err;
	int fd, null, status;
	ssize_t n;
	pid_t pid;

	if (ctx->rt == NULL ||
	    (n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return;
	*slash = '\0';
	if ((size_t)snprintf(reaper, sizeof(reaper), "%s/box-reaper", self) >=
	    sizeof(reaper) || (fd = box_helper_clone(ctx->rt, &err)) < 0)
		return;
	if ((pid = fork()) < 0) {
		close(fd);
		return;
	}
	if (pid == 0) {
		/*
		 * A program of its own (SQLite's state must not cross a
		 * fork), in a session of its own, with nothing of the
		 * caller's session (sshd would wait for its channel) but
		 * the second box-runtime conversation, as descriptor 3.
		 * Nobody waits for it.
		 */
		char *const argv[] = { "box-reaper", "-c", ctx->cfg.path,
		    "--refill", (char *)profile, "--helper-fd", "3", NULL };
		char *const envp[] = { NULL };

		if (fork() != 0)
			_exit(0);
		setsid();
		/* The guest's session, which took the box, goes first: the
		 * refill runs at a lower priority (and so does the
		 * box-runtime and runtime it starts). */
		if (setpriority(PRIO_PROCESS, 0, 10) < 0)
			_exit(1);
		if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
		    dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0 || dup2(fd, 3) < 0)
			_exit(1);
		closefrom(4);
		execve(reaper, argv, envp);
		_exit(127);
	}
	close(fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* --------------------------------------------------------------- reaping */

struct boxvec {
	struct box_box *v;
	size_t n, cap;
};

static int
collect_box(void *arg, const struct box_box *box)
{
	struct boxvec *bv = arg;
	struct box_box *nv;

	if (bv->n == bv->cap) {
		size_t cap = bv->cap ? bv->cap * 2 : 16;

		if ((nv = realloc(bv->v, cap * sizeof(*nv))) == NULL)
			return -1;
		bv->v = nv;
		bv->cap = cap;
	}
	bv->v[bv->n++] = *box;
	return 0;
}

struct sessvec {
	struct box_session v[64];
	size_t n;
};

static int
collect_session(void *arg, const struct box_session *s)
{
	struct sessvec *sv = arg;

	if (sv->n < sizeof(sv->v) / sizeof(sv->v[0]))
		sv->v[sv->n++] = *s;
	return 0;
}

static int64_t
profile_linger(struct box_ctx *ctx, const char *name)
{
	struct box_profile p;
	struct box_error err;

	if (box_config_load_profile(&ctx->cfg, name, &p, &err) < 0)
		return 0;
	return p.linger;
}

/* 1 if the invite is revoked (or gone: a box of nobody's is ended too). */
static int
invite_revoked(struct box_ctx *ctx, const char *id)
{
	struct box_invite inv;
	struct box_error err;

	if (box_state_invite_get(ctx->st, id, &inv, &err) < 0)
		return err.kind == BOX_E_NOTFOUND;
	return inv.revoked_at != 0;
}

static void	audit_lost(struct box_ctx *, const struct box_box *, int64_t,
		    int64_t);

static void
reap_sessions(struct box_ctx *ctx, const struct box_box *box, int64_t now,
    struct box_reap_stats *rs)
{
	struct sessvec sv = { .n = 0 };
	struct box_error err;
	size_t i;
	int last;

	if (box_state_session_list(ctx->st, box->id, collect_session, &sv,
	    &err) < 0) {
		rs->errors++;
		return;
	}
	for (i = 0; i < sv.n; i++) {
		if (box_pid_alive(sv.v[i].pid, sv.v[i].pid_start))
			continue;
		/* Its box-shell died without a word: "lost". */
		if (box_state_session_end(ctx->st, sv.v[i].id, now,
		    profile_linger(ctx, box->profile), NULL, &last, &err) < 0) {
			box_log(LOG_ERR, "cannot end lost session: %s",
			    err.msg);
			rs->errors++;
		} else {
			rs->stale_sessions++;
			audit_lost(ctx, box, sv.v[i].log_id, now);
		}
	}
}

/*
 * The session-ended event its box-shell could not write.  Only for a
 * session this pass found lost: one whose box-shell ended it meanwhile
 * has its own event, with how it ended.
 */
static void
audit_lost(struct box_ctx *ctx, const struct box_box *box, int64_t log_id,
    int64_t now)
{
	struct box_session_result res = { -1, "lost", -1, -1, NULL };
	char detail[BOX_SESSION_CMD_MAX + 128];
	struct box_session_info si;
	struct box_session_row r;
	struct box_error err;

	if (log_id == 0 || box_state_session_get(ctx->st, log_id, &r,
	    &err) < 0 || strcmp(r.end_reason, "lost") != 0)
		return;
	memset(&si, 0, sizeof(si));
	si.source = r.source;
	si.command = r.command;
	si.tty = r.tty;
	/* A recording it had was marked incomplete as it ended. */
	if (r.recording[0] != '\0') {
		si.recording = r.recording;
		res.recording = r.recording_state;
	}
	box_session_detail(detail, sizeof(detail), log_id, &si, &res,
	    now - r.started_at);
	box_state_audit(ctx->st, now, "session-ended", box->invite_id,
	    box->id, box->fp, r.source, detail);
}

int
box_reap(struct box_ctx *ctx, int64_t now, struct box_reap_stats *rs,
    struct box_error *err)
{
	struct poolvec pv = { NULL, 0, 0 };
	struct boxvec bv = { NULL, 0, 0 };
	struct box_runtime_obj *objs = NULL;
	struct box_error e2;
	size_t i, j, k, nobjs = 0;
	int ended, rc = 0;

	memset(rs, 0, sizeof(*rs));
	if (box_state_box_list(ctx->st, 1, collect_box, &bv, err) < 0)
		return -1;
	for (i = 0; i < bv.n; i++) {
		struct box_box *box = &bv.v[i];
		const char *why = NULL;

		/* What is logged while acting on a box names it. */
		box_log_context(box->id, box->invite_id, box->fp);
		reap_sessions(ctx, box, now, rs);
		if (box_state_box_get(ctx->st, box->id, box, &e2) < 0) {
			rs->errors++;
			continue;
		}
		if (now >= box->deadline) {
			why = "expired";
			rs->expired++;
		} else if (invite_revoked(ctx, box->invite_id)) {
			why = "invite revoked";
			rs->revoked++;
		} else if (strcmp(box->status, BOX_STATUS_CREATING) == 0 &&
		    now - box->created_at > ctx->cfg.create_timeout) {
			why = "stuck while being created";
			rs->stuck++;
		}
		if (why != NULL) {
			if (box_destroy(ctx, box, why, &e2) < 0) {
				box_log(LOG_ERR, "cannot destroy box (%s): %s",
				    why, e2.msg);
				rs->errors++;
			}
			box->status[0] = '\0';
			continue;
		}
		if (box->sessions > 0 ||
		    strcmp(box->status, BOX_STATUS_RUNNING) != 0)
			continue;
		if (box->linger_until == 0) {
			/* Running, no session, no clock: a session died
			 * before it attached.  Give it the linger time. */
			if (box_state_box_start_grace(ctx->st, box->id,
			    now + profile_linger(ctx, box->profile), &e2) < 0)
				rs->errors++;
			continue;
		}
		if (box_state_box_end_idle(ctx->st, box->id, "linger over",
		    now, &ended, &e2) < 0) {
			rs->errors++;
			continue;
		}
		if (ended) {
			rs->lingered++;
			box_state_audit(ctx->st, now, "box-destroyed",
			    box->invite_id, box->id, box->fp, NULL,
			    "linger over");
			struct box_runtime *rt;

			if (box_ctx_driver(ctx, box->runtime, &rt, &e2) < 0 ||
			    rt->ops->destroy(rt, box->id, box->ref, &e2) < 0) {
				box_log(LOG_ERR, "cannot destroy box (linger "
				    "over): %s", e2.msg);
				rs->errors++;
			}
			box->status[0] = '\0';
		}
	}
	box_log_context(NULL, NULL, NULL);

	/* Reconcile with each runtime both ways. */
	for (k = 0; box_runtime_names()[k] != NULL; k++) {
		const char *name = box_runtime_names()[k];
		struct box_runtime *rt;

		free(objs);
		objs = NULL;
		nobjs = 0;
		if (box_ctx_driver(ctx, name, &rt, err) < 0 ||
		    rt->ops->list(rt, ctx->cfg.instance, &objs, &nobjs,
		    err) < 0) {
			rc = -1;
			continue;
		}
		for (j = 0; j < nobjs; j++) {
			struct box_box row;
			int r;

			r = box_state_box_get(ctx->st, objs[j].box_id, &row,
			    &e2);
			if (r == 0 && (strcmp(row.status,
			    BOX_STATUS_RUNNING) == 0 || strcmp(row.status,
			    BOX_STATUS_CREATING) == 0))
				continue;
			/* A box of a warm pool: no one's yet, not an orphan
			 * (box_pool_fill looks after it). */
			if (r < 0 && e2.kind == BOX_E_NOTFOUND) {
				int pooled = 0;

				if (box_state_pool_has(ctx->st,
				    objs[j].box_id, &pooled, &e2) < 0) {
					rs->errors++;
					continue;
				}
				if (pooled)
					continue;
				e2.kind = BOX_E_NOTFOUND;
			}
			if (r < 0 && e2.kind != BOX_E_NOTFOUND) {
				rs->errors++;
				continue;
			}
			/* Logged once, when it is gone: one that resists is
			 * tried again at every pass. */
			box_log_context(objs[j].box_id, NULL, NULL);
			if (rt->ops->destroy(rt, objs[j].box_id, objs[j].ref,
			    &e2) < 0) {
				box_log(LOG_ERR, "cannot remove orphan %s: %s",
				    objs[j].ref, e2.msg);
				rs->errors++;
			} else {
				rs->orphans++;
				box_state_audit(ctx->st, now, "orphan-removed",
				    NULL, objs[j].box_id, NULL, NULL,
				    objs[j].ref);
			}
			box_log_context(NULL, NULL, NULL);
		}
		for (i = 0; i < bv.n; i++) {
			struct box_box *box = &bv.v[i];
			const char *why = "runtime object vanished";
			int found = 0, running = 0;

			if (strcmp(box->status, BOX_STATUS_RUNNING) != 0 ||
			    strcmp(box->runtime, name) != 0)
				continue;
			for (j = 0; j < nobjs && !found; j++)
				if (strcmp(objs[j].box_id, box->id) == 0) {
					found = 1;
					running = objs[j].running;
				}
			if (found && running)
				continue;
			/* A box whose init ended (its agent, or a sandbox
			 * that died) serves no session again: it goes, and
			 * the key's next login gets a new one. */
			if (found) {
				why = "box stopped";
				box_log_context(box->id, NULL, NULL);
				if (rt->ops->destroy(rt, box->id, box->ref,
				    &e2) < 0) {
					box_log(LOG_ERR, "cannot remove stopped "
					    "box: %s", e2.msg);
					rs->errors++;
					box_log_context(NULL, NULL, NULL);
					continue;
				}
				box_log_context(NULL, NULL, NULL);
			}
			if (box_state_box_end(ctx->st, box->id,
			    BOX_STATUS_DESTROYED, why, now, &e2) < 0) {
				rs->errors++;
				continue;
			}
			rs->vanished++;
			box_state_audit(ctx->st, now, "box-destroyed",
			    box->invite_id, box->id, box->fp, NULL, why);
		}
		/* Pooled boxes whose object is gone or stopped: out of the
		 * pool, so that no guest is given one. */
		pv.n = 0;
		if (box_state_pool_list(ctx->st, collect_pooled, &pv,
		    &e2) < 0) {
			rs->errors++;
			continue;
		}
		for (i = 0; i < pv.n; i++) {
			int found = 0;

			if (strcmp(pv.v[i].runtime, name) != 0 ||
			    strcmp(pv.v[i].status, "ready") != 0)
				continue;
			for (j = 0; j < nobjs && !found; j++)
				found = strcmp(objs[j].box_id,
				    pv.v[i].id) == 0 && objs[j].running;
			if (!found)
				pool_drop(ctx, &pv.v[i], "gone", rs);
		}
	}
	free(pv.v);
	free(objs);
	free(bv.v);
	return rc;
}

int
box_reaper_lock(const struct box_config *cfg, struct box_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/reaper.lock",
	    cfg->state_dir) >= sizeof(path))
		return box_error_set(err, BOX_E_CONFIG, 0, "state_dir too long");
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    0600);
	if (fd < 0)
		return box_error_set(err, BOX_E_STATE, errno, "%s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		close(fd);
		return box_error_set(err, BOX_E_STATE, 0, "%s is not a plain "
		    "file of this account's", path);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return -2;
		return box_error_set(err, BOX_E_STATE, e, "lock %s", path);
	}
	return fd;
}
