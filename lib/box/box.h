/*
 * Boxes as a whole: opening everything a program needs (configuration,
 * state, runtime), provisioning or attaching a box for a bound key,
 * destroying one, and the reaper's reconciliation pass.  Shared by
 * box-shell, box-reaper and box-invite.
 */
#ifndef BOX_BOX_H
#define BOX_BOX_H

#include "config/config.h"
#include "core/error.h"
#include "runtime/runtime.h"
#include "state/state.h"

/* Exit codes reserved for sshbox's own failures (see box-shell(8)). */
#define BOX_EXIT_UNRECORDED	246	/* must be recorded, and cannot be */
#define BOX_EXIT_GONE		247	/* box destroyed during the session */
#define BOX_EXIT_RATE		248	/* too many attempts */
#define BOX_EXIT_USAGE		249	/* malformed request */
#define BOX_EXIT_DENIED		250	/* not allowed: token, key, invite */
#define BOX_EXIT_RUNTIME	251	/* the box could not be made or reached */
#define BOX_EXIT_STATE		252	/* the state database failed */
#define BOX_EXIT_EXPIRED	253	/* the box's time ran out */
#define BOX_EXIT_CONFIG		254	/* bad installation or internal error */

#define BOX_CTX_DRIVERS	8	/* at least every runtime of BOX_RUNTIMES */

struct box_ctx {
	struct box_config cfg;
	struct box_state *st;
	struct box_runtime *rt;		/* the profile's: box_ctx_runtime */
	struct box_runtime *drivers[BOX_CTX_DRIVERS];	/* opened so far */
	size_t	 ndrivers;
	int	 from_pool;		/* box_provision took a pooled box */
	/* For a staff member's box: box_provision counts their boxes and
	 * their group's against these (owner, group and their maxima;
	 * zero: not a staff box). */
	struct box_limits staff_lim;
};

/*
 * Load the configuration at path and open the state (created and migrated
 * when create_state).  0 or -1.  Close with box_ctx_close().
 */
int	box_ctx_open(struct box_ctx *ctx, const char *path, int create_state,
	    struct box_error *err);
void	box_ctx_close(struct box_ctx *ctx);

/* Open the runtime driver named in profile p (or "docker" if p is NULL)
 * as ctx->rt. */
int	box_ctx_runtime(struct box_ctx *ctx, const struct box_profile *p,
	    struct box_error *err);

/* The driver called name, opened once per ctx (closed with it). */
int	box_ctx_driver(struct box_ctx *ctx, const char *name,
	    struct box_runtime **rt, struct box_error *err);

/* Map an error kind to one of the exit codes above. */
int	box_exit_code(const struct box_error *err);

/*
 * The running box of binding b, creating it from profile p when it has
 * none (waiting for a box another session is creating), within the
 * configured limits on live boxes (BOX_E_RATE past them; source is the
 * guest's address).  0 or -1; on failure no half-made box is left behind.
 * On success the log context (box_log_context) names the box, its invite
 * and its key.
 */
int	box_provision(struct box_ctx *ctx, const struct box_binding *b,
	    const struct box_profile *p, const char *source,
	    struct box_box *box, struct box_error *err);

/*
 * Mark box ended with reason, then have the driver that made it (its
 * runtime column) remove its object, checked as this instance's box with
 * this id.  0 or -1; the row is ended even when the runtime fails, and the
 * reaper removes the object later.
 */
int	box_destroy(struct box_ctx *ctx, const struct box_box *box,
	    const char *reason, struct box_error *err);

/* Process identity for session rows: start time of pid, or -1 when it
 * does not exist or is a zombie. */
long long box_pid_start(long pid);
/* 1 if pid is alive and started at start. */
int	box_pid_alive(long pid, long long start);

struct box_reap_stats {
	int	 expired;		/* past their deadline */
	int	 lingered;		/* no sessions and linger over */
	int	 stuck;			/* creating for too long */
	int	 revoked;		/* their invite was revoked */
	int	 stale_sessions;	/* session rows of dead processes */
	int	 vanished;		/* rows whose runtime object is gone */
	int	 orphans;		/* runtime objects without a live row */
	int	 pool_made;		/* boxes made for warm pools */
	int	 pool_replaced;		/* pooled boxes replaced (old, image
					 * changed, stuck, gone, surplus) */
	int	 errors;
};

/*
 * Warm pools (sshbox-profile(5) pool:): for each profile with a pool (or
 * profile only, when not NULL), replace pooled boxes that grew older than
 * pool_max_age, whose image changed, that are stuck being made or whose
 * runtime object is gone, and make boxes (paused) until the pool holds
 * pool of them.  Counts into rs.  0, or -1 (what could be done was).
 */
int	box_pool_fill(struct box_ctx *ctx, const char *only,
	    struct box_reap_stats *rs, struct box_error *err);

/*
 * After a guest took a pooled box: refill the pool of profile in the
 * background, in a detached process of its own (its own session, no
 * descriptor of the caller's, a box-runtime conversation of its own and
 * its own connection to the state), so that the caller goes on at once.
 * Best effort: the reaper refills too.
 */
void	box_pool_kick(struct box_ctx *ctx, const char *profile);

/*
 * One reconciliation pass at time now: end sessions of dead processes,
 * destroy expired, lingered and stuck boxes, mark rows whose object is
 * gone, remove labelled objects without a live row; each decision is an
 * audit event, and the log context names each box while it is acted on
 * (cleared after).  The caller holds the reaper lock.  0, or -1 if the
 * runtime could not be listed (the database-driven steps still ran).
 */
int	box_reap(struct box_ctx *ctx, int64_t now, struct box_reap_stats *st,
	    struct box_error *err);

/* Take the reaper's lock file in the state directory without waiting.
 * Returns an fd (>= 0), -2 when another holder has it, -1 on error. */
int	box_reaper_lock(const struct box_config *cfg, struct box_error *err);

#endif
