/*
 * The state database: one SQLite file shared by every sshbox program.
 * WAL journal, a busy timeout, foreign keys on, PRAGMA user_version as the
 * schema version with forward migrations, and BEGIN IMMEDIATE around every
 * transaction that reads and then writes (consuming an invite use,
 * claiming a box, counting a redemption attempt).
 */
#ifndef BOX_STATE_H
#define BOX_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "auth/sshkey.h"
#include "auth/token.h"

#define BOX_STATE_SCHEMA	8
#define BOX_SOURCE_MAX		64	/* a source address as text */
#define BOX_NOTE_MAX		256

struct box_state;

struct box_invite {
	char	 id[BOX_ID_LEN + 1];
	char	 profile[BOX_PROFILE_NAME_MAX + 1];
	int64_t	 ttl;
	int64_t	 created_at;
	int64_t	 redeem_by;		/* 0 = no deadline */
	int	 uses_total;
	int	 uses_left;
	int64_t	 revoked_at;		/* 0 = not revoked */
	char	 note[BOX_NOTE_MAX];
	char	 token_hash[BOX_TOKEN_HASH_LEN + 1];
	char	 owner[BOX_CERT_NAME_MAX];	/* a staff member's own box:
						 * the principal; "" for an
						 * invite for guests */
	char	 grp[40];		/* the group it was made under */
};

/* A key bound to an invite: the guest's identity. */
struct box_binding {
	char	 fp[BOX_FP_MAX];
	char	 invite_id[BOX_ID_LEN + 1];
	char	 profile[BOX_PROFILE_NAME_MAX + 1];
	int64_t	 bound_at;
	int64_t	 deadline;		/* bound_at + ttl: the box's end */
	int64_t	 revoked_at;		/* the invite's, 0 if live */
	char	 source[BOX_SOURCE_MAX];
	int64_t	 banned_at;		/* the key's ban, 0 if none */
};

#define BOX_STATUS_CREATING	"creating"
#define BOX_STATUS_RUNNING	"running"
#define BOX_STATUS_DESTROYED	"destroyed"
#define BOX_STATUS_FAILED	"failed"

struct box_box {
	char	 id[BOX_ID_LEN + 1];
	char	 fp[BOX_FP_MAX];
	char	 invite_id[BOX_ID_LEN + 1];
	char	 profile[BOX_PROFILE_NAME_MAX + 1];
	char	 ref[80];		/* runtime reference, "" while creating */
	char	 status[16];
	int64_t	 created_at;
	int64_t	 deadline;
	int64_t	 linger_until;		/* 0 while sessions are attached */
	int64_t	 ended_at;
	char	 end_reason[64];
	int	 sessions;		/* filled by box_state_box_list */
	char	 runtime[16];		/* the driver that made it */
};

struct box_session {
	int64_t	 id;
	char	 box_id[BOX_ID_LEN + 1];
	long	 pid;
	long long pid_start;		/* /proc/PID/stat starttime */
	char	 source[BOX_SOURCE_MAX];
	int64_t	 started_at;
	int64_t	 log_id;		/* its history row (0: none) */
};

/*
 * Open the database at path.  With create, a missing file is created and
 * an older schema migrated; without, the file must exist at exactly this
 * schema (nothing is written: box-authkeys must have no side effects).  A
 * database of a newer schema than this program knows is always refused.  *out is
 * closed with box_state_close().  0 or -1 (BOX_E_STATE, BOX_E_NOTFOUND).
 */
int	box_state_open(const char *path, int create, struct box_state **out,
	    struct box_error *err);
void	box_state_close(struct box_state *st);

/* The schema version recorded in the file, or -1. */
int	box_state_schema_version(struct box_state *st);

/* Invites.  Lists call cb for each row; cb returns 0 to go on. */
int	box_state_invite_add(struct box_state *st,
	    const struct box_invite *inv, struct box_error *err);
int	box_state_invite_get(struct box_state *st, const char *id,
	    struct box_invite *inv, struct box_error *err);
int	box_state_invite_list(struct box_state *st,
	    int (*cb)(void *, const struct box_invite *), void *arg,
	    struct box_error *err);
/* Mark revoked; BOX_E_NOTFOUND if no such invite.  Idempotent. */
int	box_state_invite_revoke(struct box_state *st, const char *id,
	    int64_t now, struct box_error *err);

/*
 * Count one redemption attempt from source and refuse (BOX_E_RATE) when
 * max attempts were already made within window seconds.  One IMMEDIATE
 * transaction; also prunes old attempts.
 */
int	box_state_rate_check(struct box_state *st, const char *source,
	    int64_t now, int64_t window, int max, struct box_error *err);

/*
 * Redeem: in one IMMEDIATE transaction check that invite id exists, that
 * token_hash matches its stored hash (constant time), that it is not
 * revoked, not past redeem_by and has a use left, and that fp is not bound
 * yet; then consume one use and bind fp.  On refusal nothing is written
 * and err says why (BOX_E_DENIED).  Fills out.
 */
/*
 * The same, refusing (BOX_E_RATE, nothing spent, no binding) while the
 * live boxes are at one of the limits lim sets, which the box would be
 * counted against: a guest turned away keeps the invite's use, and its
 * time does not start.  (The claim counts again; a box taken by another
 * guest in between turns this key away then, its binding kept.)
 */
struct box_limits;
int	box_state_redeem_limited(struct box_state *st, const char *invite_id,
	    const char *token_hash, const char *fp, const char *source,
	    const struct box_limits *lim, int64_t now, struct box_binding *out,
	    struct box_error *err);
int	box_state_redeem(struct box_state *st, const char *invite_id,
	    const char *token_hash, const char *fp, const char *source,
	    int64_t now, struct box_binding *out, struct box_error *err);

/* The binding of fp with its invite's revocation; BOX_E_NOTFOUND. */
int	box_state_binding_get(struct box_state *st, const char *fp,
	    struct box_binding *b, struct box_error *err);

/* Bound keys, newest first; invite_id (NULL: any) narrows. */
int	box_state_binding_list(struct box_state *st, const char *invite_id,
	    int (*cb)(void *, const struct box_binding *), void *arg,
	    struct box_error *err);

/*
 * Bans: a key refused at login and at redemption, whatever invite it came
 * from (or none yet).  add is idempotent (*added 0: it was banned
 * already, the first ban kept); remove is BOX_E_NOTFOUND when the key was
 * not banned.
 */
struct box_ban {
	char	 fp[BOX_FP_MAX];
	int64_t	 at;
	char	 by[96];
	char	 reason[BOX_NOTE_MAX];
};
int	box_state_ban_add(struct box_state *st, const char *fp, int64_t now,
	    const char *by, const char *reason, int *added,
	    struct box_error *err);
int	box_state_ban_remove(struct box_state *st, const char *fp,
	    struct box_error *err);
int	box_state_ban_get(struct box_state *st, const char *fp,
	    struct box_ban *ban, struct box_error *err);
int	box_state_ban_list(struct box_state *st,
	    int (*cb)(void *, const struct box_ban *), void *arg,
	    struct box_error *err);

/*
 * Staff certificates: each one sshbox's CA signed (box-invite cert), by
 * serial; a certificate whose serial is not here, or is revoked, lets
 * nobody in (box-authkeys --principals).
 */
struct box_cert {
	char	 serial[24];		/* decimal */
	char	 principal[BOX_CERT_NAME_MAX];
	char	 groups[256];		/* "ops,dev" */
	char	 key_id[BOX_CERT_ID_MAX];
	char	 fp[BOX_FP_MAX];	/* the certified key */
	int64_t	 issued_at, valid_before, revoked_at;
	char	 by[96];
};
int	box_state_cert_add(struct box_state *st, const struct box_cert *c,
	    struct box_error *err);
int	box_state_cert_get(struct box_state *st, const char *serial,
	    struct box_cert *c, struct box_error *err);
/* Whether fp (a plain key) has a certificate that is good at now. */
int	box_state_cert_of_key(struct box_state *st, const char *fp,
	    int64_t now, int *found, struct box_error *err);
/* Idempotent; BOX_E_NOTFOUND for an unknown serial. */
int	box_state_cert_revoke(struct box_state *st, const char *serial,
	    int64_t now, struct box_error *err);
int	box_state_cert_list(struct box_state *st,
	    int (*cb)(void *, const struct box_cert *), void *arg,
	    struct box_error *err);
/*
 * A staff member's new box: its invite (inv: owner set, no use left, no
 * token) and a binding for fp, in one transaction; then box_provision
 * with the staff limits in the context.  Fills out as the binding.
 */
int	box_state_staff_bind(struct box_state *st, const struct box_invite *inv,
	    const char *fp, const char *source, int64_t now,
	    struct box_binding *out, struct box_error *err);
/* The live boxes made under invites owned by owner, newest first. */
int	box_state_staff_boxes(struct box_state *st, const char *owner,
	    int (*cb)(void *, const struct box_box *), void *arg,
	    struct box_error *err);

/*
 * A staff member's request for a box of a profile that needs approval:
 * pending until an approver decides (approved, denied), the wait runs out
 * (expired) or the approvers could not be told (failed).
 */
struct box_request {
	char	 id[BOX_ID_LEN + 1];
	char	 principal[BOX_CERT_NAME_MAX];
	char	 grp[40];
	char	 profile[BOX_PROFILE_NAME_MAX + 1];
	int64_t	 ttl;
	char	 source[BOX_SOURCE_MAX];
	int64_t	 created_at;
	char	 state[16];
	int64_t	 decided_at;
	char	 decided_by[96];
	char	 reason[BOX_NOTE_MAX];
};
int	box_state_request_add(struct box_state *st, const struct box_request *r,
	    struct box_error *err);
int	box_state_request_get(struct box_state *st, const char *id,
	    struct box_request *r, struct box_error *err);
/* From pending to state, once: BOX_E_DENIED when it was decided already. */
int	box_state_request_decide(struct box_state *st, const char *id,
	    const char *state, const char *by, const char *reason, int64_t now,
	    struct box_error *err);
int	box_state_request_list(struct box_state *st, int pending_only,
	    int (*cb)(void *, const struct box_request *), void *arg,
	    struct box_error *err);

/* Limits on live boxes, checked when a new one is claimed. */
struct box_limits {
	int	 max_boxes;
	int	 max_boxes_per_invite;
	int	 max_boxes_per_source;
	/* A staff member's boxes (NULL or "": not checked), and their
	 * group's. */
	const char *owner;
	int	 max_boxes_per_owner;
	const char *group;
	int	 max_boxes_per_group;
	int	 attach_only;		/* a box that ended is not made again:
					 * BOX_E_NOTFOUND */
};

/*
 * The live box (creating or running) of binding b, or a new "creating"
 * row with id new_id started from source when there is none, in one
 * IMMEDIATE transaction, recording runtime, the driver that will make it
 * (and alone destroys it).  *created says which.  A new box over one of the
 * limits (when lim is not NULL) is refused with BOX_E_RATE.  The binding
 * is read again inside the transaction: one whose invite was revoked, or
 * whose deadline has passed, gets nothing (BOX_E_DENIED), whatever the
 * caller read before.
 */
/*
 * The same, taking the oldest ready box of the pool of b's profile and
 * runtime instead of a new id: the pool's row goes and the box's row
 * (creating, with the pooled box's id and reference) comes in one
 * transaction, so two guests never get one box.  *created is 2 for a
 * pooled box, 0 for the binding's live box; BOX_E_NOTFOUND when the pool
 * has no ready box (nothing changed).
 */
int	box_state_box_claim_pooled(struct box_state *st,
	    const struct box_binding *b, const char *source,
	    const char *runtime, const struct box_limits *lim, int64_t now,
	    struct box_box *box, int *created, struct box_error *err);

/* A box of a warm pool: made in advance for a profile, no one's yet. */
struct box_pooled {
	char	 id[BOX_ID_LEN + 1];
	char	 profile[BOX_PROFILE_NAME_MAX + 1];
	char	 runtime[16];
	char	 ref[80];
	char	 status[16];		/* creating, ready */
	int64_t	 created_at;
};

/* Pool rows: added as creating, made ready with their runtime reference
 * (BOX_E_STATE when the row went meanwhile), removed, listed (oldest
 * first), looked up. */
int	box_state_pool_add(struct box_state *st, const char *id,
	    const char *profile, const char *runtime, int64_t now,
	    struct box_error *err);
int	box_state_pool_ready(struct box_state *st, const char *id,
	    const char *ref, struct box_error *err);
int	box_state_pool_remove(struct box_state *st, const char *id,
	    struct box_error *err);
int	box_state_pool_list(struct box_state *st,
	    int (*cb)(void *, const struct box_pooled *), void *arg,
	    struct box_error *err);
int	box_state_pool_has(struct box_state *st, const char *id, int *has,
	    struct box_error *err);

int	box_state_box_claim(struct box_state *st, const struct box_binding *b,
	    const char *new_id, const char *source, const char *runtime,
	    const struct box_limits *lim, int64_t now, struct box_box *box,
	    int *created, struct box_error *err);
int	box_state_box_get(struct box_state *st, const char *id,
	    struct box_box *box, struct box_error *err);
/* The live box of fp; BOX_E_NOTFOUND. */
int	box_state_box_live_of(struct box_state *st, const char *fp,
	    struct box_box *box, struct box_error *err);
/* Mark a creating box running with its runtime reference; create_ms is
 * how long making it took (-1: not measured), counted in the histogram
 * BOX_CTR_CREATE in the same transaction. */
int	box_state_box_set_running(struct box_state *st, const char *id,
	    const char *ref, int64_t create_ms, struct box_error *err);
/* Mark a box ended (destroyed or failed) with a reason; idempotent: an
 * ended box keeps its first reason.  Its sessions are removed. */
int	box_state_box_end(struct box_state *st, const char *id,
	    const char *status, const char *reason, int64_t now,
	    struct box_error *err);
/*
 * For the reaper: end box id only if it has no sessions and its linger
 * time (non-zero) is over at now, atomically.  *ended says whether it did.
 */
int	box_state_box_end_idle(struct box_state *st, const char *id,
	    const char *reason, int64_t now, int *ended,
	    struct box_error *err);
/* Start the linger clock of a box with no sessions and none running. */
int	box_state_box_start_grace(struct box_state *st, const char *id,
	    int64_t until, struct box_error *err);
/*
 * Give live box id add more seconds, and its key the same deadline, in
 * one transaction, so that the key's whole time from its redemption stays
 * within max_ttl: BOX_E_DENIED saying how much may be added, or why
 * nothing may (ended, past its time, the key revoked or banned).  Fills
 * *box with the row as it is now.
 */
int	box_state_box_extend(struct box_state *st, const char *id,
	    int64_t add, int64_t max_ttl, int64_t now, struct box_box *box,
	    struct box_error *err);
/* Boxes, newest first; live_only limits to creating/running. */
int	box_state_box_list(struct box_state *st, int live_only,
	    int (*cb)(void *, const struct box_box *), void *arg,
	    struct box_error *err);

#define BOX_SESSION_CMD_MAX	1024	/* of a command kept in history */

/* What a session is, for its history. */
struct box_session_info {
	const char	*source;
	const char	*command;	/* "" for a login shell */
	int		 tty;
	const char	*recording;	/* its recording's file name, or NULL */
};

/* A recording's state in the history (recording_state). */
#define BOX_RECORDING_ACTIVE	 "recording"	/* being written */
#define BOX_RECORDING_COMPLETE	 "complete"
#define BOX_RECORDING_INCOMPLETE "incomplete"	/* cut short: disk full,
						 * box-shell killed */
#define BOX_RECORDING_NAME_MAX	 128

/* How a session ended, for its history. */
struct box_session_result {
	int		 exit_status;	/* -1: none (hangup, deadline) */
	const char	*reason;	/* exited, hangup, deadline, gone */
	long long	 bytes_in, bytes_out;	/* -1: not counted */
	const char	*recording;	/* its state (BOX_RECORDING_*), or
					 * NULL: not recorded */
};

/*
 * Attach a session to a live box and stop its linger clock, and start its
 * history row, atomically; BOX_E_NOTFOUND if the box has ended meanwhile.
 * *id is the live row's (for box_state_session_end), *log_id the history
 * row's (what box-invite sessions and the audit name; may be NULL).
 */
int	box_state_session_add(struct box_state *st, const char *box_id,
	    long pid, long long pid_start, const struct box_session_info *si,
	    int64_t now, int64_t *id, int64_t *log_id, struct box_error *err);
/*
 * Remove session id and close its history row with res (NULL: "lost");
 * when it was the box's last, set the box's linger_until to now + linger.
 * *last tells whether it was.
 */
int	box_state_session_end(struct box_state *st, int64_t id,
	    int64_t now, int64_t linger, const struct box_session_result *res,
	    int *last, struct box_error *err);
int	box_state_session_list(struct box_state *st, const char *box_id,
	    int (*cb)(void *, const struct box_session *), void *arg,
	    struct box_error *err);

/*
 * Record an audit event (sshbox-audit(5)) in the database, in syslog, and
 * as one JSON object per line in the audit file when there is one; strings
 * may be NULL.  Best effort: 0, or -1 when a sink failed (logged).
 */
int	box_state_audit(struct box_state *st, int64_t now, const char *event,
	    const char *invite_id, const char *box_id, const char *fp,
	    const char *source, const char *detail);
/* The same to syslog and the audit file only: for events a flood could
 * repeat without bound (rate-limited), which must not grow the state. */
int	box_state_audit_nodb(struct box_state *st, int64_t now,
	    const char *event, const char *invite_id, const char *box_id,
	    const char *fp, const char *source, const char *detail);
/* Where box_state_audit appends JSON lines ("" or NULL: nowhere). */
void	box_state_audit_file(struct box_state *st, const char *path);

#define BOX_AUDIT_FIELD_MAX	256	/* bytes of a field kept in JSON */
#define BOX_AUDIT_DETAIL_MAX	2048	/* bytes of the detail kept */
#define BOX_AUDIT_LINE_MAX	32768	/* holds every field escaped */
/*
 * An event as its JSON line (no newline) into out: every string escaped
 * (quotes, control bytes, bytes that are not UTF-8) and bounded.  The
 * length, 0 if outsz is too small.
 */
size_t	box_state_audit_json(char *out, size_t outsz, int64_t at,
	    const char *event, const char *invite_id, const char *box_id,
	    const char *fp, const char *source, const char *detail);

/* An audit row as read back. */
struct box_audit_row {
	int64_t	 id, at;
	char	 event[32];
	char	 invite_id[BOX_ID_LEN + 1];
	char	 box_id[BOX_ID_LEN + 1];
	char	 fp[BOX_FP_MAX];
	char	 source[BOX_SOURCE_MAX];
	char	 detail[BOX_AUDIT_DETAIL_MAX + 1];
};

/* Audit rows at or after since, oldest first; box_id and invite_id
 * (NULL: any) narrow them; at most limit (0: all). */
int	box_state_audit_list(struct box_state *st, int64_t since,
	    const char *box_id, const char *invite_id, int limit,
	    int (*cb)(void *, const struct box_audit_row *), void *arg,
	    struct box_error *err);

/* A session in the history: live ones have ended_at 0. */
struct box_session_row {
	int64_t	 id;
	char	 box_id[BOX_ID_LEN + 1];
	char	 fp[BOX_FP_MAX];
	char	 invite_id[BOX_ID_LEN + 1];
	char	 profile[BOX_PROFILE_NAME_MAX + 1];
	char	 source[BOX_SOURCE_MAX];
	char	 command[BOX_SESSION_CMD_MAX + 1];
	int	 tty;
	int64_t	 started_at, ended_at;
	int	 exit_status;		/* -1: none */
	char	 end_reason[64];
	long long bytes_in, bytes_out;	/* -1: not counted */
	char	 recording[BOX_RECORDING_NAME_MAX];	/* "" none */
	char	 recording_state[16];
};

/* One session of the history by its id (BOX_E_NOTFOUND). */
int	box_state_session_get(struct box_state *st, int64_t log_id,
	    struct box_session_row *r, struct box_error *err);
/* Set the state of session log_id's recording (BOX_RECORDING_*). */
int	box_state_session_recording(struct box_state *st, int64_t log_id,
	    const char *state, struct box_error *err);

/* Sessions, newest first: live_only for those not ended; box_id (NULL:
 * any) narrows; at most limit (0: all). */
int	box_state_session_history(struct box_state *st, int live_only,
	    const char *box_id, int limit,
	    int (*cb)(void *, const struct box_session_row *), void *arg,
	    struct box_error *err);

/* Count audit events named event (for tests and doctor). */
int	box_state_audit_count(struct box_state *st, const char *event,
	    long long *count, struct box_error *err);

/* Live boxes (creating or running) and their sessions, by profile. */
int	box_state_live_by_profile(struct box_state *st,
	    int (*cb)(void *, const char *profile, long long boxes,
	    long long sessions), void *arg, struct box_error *err);

/*
 * Counters for the metrics (box-reaper(8)), kept in their own table so
 * that they never go down when retention prunes the audit.  A counter is
 * a name and one label as "key=value" ("" for none), the value raw: the
 * metrics writer escapes it.  box_state_audit bumps the first four for
 * the events that make them (labels outcome= and reason=);
 * box_state_box_set_running the histogram BOX_CTR_CREATE (rows _bucket
 * with le=, kept cumulative, _sum_ms and _count); the reaper the last two
 * (action=).
 */
#define BOX_CTR_REDEMPTIONS	"sshbox_redemptions_total"
#define BOX_CTR_DESTROYED	"sshbox_boxes_destroyed_total"
#define BOX_CTR_FAILED		"sshbox_boxes_failed_total"
#define BOX_CTR_SESSIONS	"sshbox_sessions_started_total"
#define BOX_CTR_CREATE		"sshbox_box_create_seconds"
#define BOX_CTR_REAPER_ACTIONS	"sshbox_reaper_actions_total"
#define BOX_CTR_REAPER_ERRORS	"sshbox_reaper_errors_total"
#define BOX_COUNTER_NAME_MAX	64
#define BOX_COUNTER_LABELS_MAX	128

struct box_counter {
	const char	*name;
	const char	*labels;	/* "key=value", or "" */
	int64_t		 delta;		/* >= 0 */
};
/* Add each delta in one transaction (nothing written when all are 0);
 * a negative delta is refused. */
int	box_state_counters_add(struct box_state *st,
	    const struct box_counter *c, size_t n, struct box_error *err);
/* A counter's value, 0 when it was never bumped. */
int	box_state_counter_get(struct box_state *st, const char *name,
	    const char *labels, int64_t *value, struct box_error *err);
/* Every counter, by name and labels. */
int	box_state_counter_list(struct box_state *st,
	    int (*cb)(void *, const char *name, const char *labels,
	    int64_t value), void *arg, struct box_error *err);
/* The label values counter name always shows (NULL-terminated), or NULL. */
const char *const *box_state_counter_values(const char *name);
/* The outcome of a refused redemption from its message ("invalid",
 * "expired", "revoked", "used", "key_bound", else "other"). */
const char *box_state_redeem_class(const char *detail);
/* A box-destroyed reason as a label value ("expired", "revoked",
 * "linger", "last_session", "killed", "stuck", "vanished", else
 * "other"). */
const char *box_state_destroy_class(const char *reason);

/* A histogram bucket: observations of at most ms, shown as le="le". */
struct box_bucket {
	int64_t		 ms;
	const char	*le;
};
/* BOX_CTR_CREATE's buckets, ascending (+Inf not included); *n of them. */
const struct box_bucket *box_state_create_buckets(size_t *n);

/*
 * Retention.  Delete at most limit audit rows with at < cutoff, oldest
 * first, in one transaction; *n says how many went.
 */
int	box_state_prune_audit(struct box_state *st, int64_t cutoff,
	    int limit, long long *n, struct box_error *err);

/* A session of the history that retention may remove. */
struct box_prune_row {
	int64_t	 id, ended_at;
	char	 recording[BOX_RECORDING_NAME_MAX];	/* "" none */
	int	 shared;		/* a kept row names the same file */
};
/*
 * Sessions that ended before cutoff, after (after_ended, after_id) in
 * (ended_at, id) order, at most limit.  Live sessions are never listed,
 * nor rows whose recording is not a name sshbox writes
 * (box_record_valid_name):
 * those stay for an administrator to see.
 */
int	box_state_prune_sessions_list(struct box_state *st, int64_t cutoff,
	    int64_t after_ended, int64_t after_id, int limit,
	    int (*cb)(void *, const struct box_prune_row *), void *arg,
	    struct box_error *err);
/* Delete the history rows ids[0..n) that are still prunable at cutoff,
 * in one transaction; *deleted says how many went. */
int	box_state_prune_sessions(struct box_state *st, const int64_t *ids,
	    size_t n, int64_t cutoff, long long *deleted,
	    struct box_error *err);

#endif
