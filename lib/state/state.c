/* The SQLite state file: schema, migrations and every query sshbox makes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "state/state.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"

struct box_state {
	sqlite3	*db;
	char	 audit_file[PATH_MAX];	/* JSON lines, or "" */
};

#define BUSY_TIMEOUT_MS	10000

/* Forward migrations: migrations[i] takes the schema from i to i + 1. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE invites ("
	"  id TEXT PRIMARY KEY,"
	"  profile TEXT NOT NULL,"
	"  ttl INTEGER NOT NULL CHECK (ttl > 0),"
	"  created_at INTEGER NOT NULL,"
	"  redeem_by INTEGER NOT NULL DEFAULT 0,"
	"  uses_total INTEGER NOT NULL CHECK (uses_total > 0),"
	"  uses_left INTEGER NOT NULL CHECK (uses_left >= 0),"
	"  revoked_at INTEGER NOT NULL DEFAULT 0,"
	"  note TEXT NOT NULL DEFAULT '',"
	"  token_hash TEXT NOT NULL);"
	"CREATE TABLE bindings ("
	"  fp TEXT PRIMARY KEY,"
	"  invite_id TEXT NOT NULL REFERENCES invites(id),"
	"  bound_at INTEGER NOT NULL,"
	"  deadline INTEGER NOT NULL,"
	"  source TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX bindings_invite ON bindings(invite_id);"
	"CREATE TABLE boxes ("
	"  id TEXT PRIMARY KEY,"
	"  fp TEXT NOT NULL REFERENCES bindings(fp),"
	"  invite_id TEXT NOT NULL REFERENCES invites(id),"
	"  profile TEXT NOT NULL,"
	"  ref TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL CHECK (status IN"
	"    ('creating', 'running', 'destroyed', 'failed')),"
	"  created_at INTEGER NOT NULL,"
	"  deadline INTEGER NOT NULL,"
	"  linger_until INTEGER NOT NULL DEFAULT 0,"
	"  ended_at INTEGER NOT NULL DEFAULT 0,"
	"  end_reason TEXT NOT NULL DEFAULT '');"
	"CREATE UNIQUE INDEX boxes_live ON boxes(fp)"
	"  WHERE status IN ('creating', 'running');"
	"CREATE TABLE sessions ("
	"  id INTEGER PRIMARY KEY,"
	"  box_id TEXT NOT NULL REFERENCES boxes(id),"
	"  pid INTEGER NOT NULL,"
	"  pid_start INTEGER NOT NULL,"
	"  source TEXT NOT NULL DEFAULT '',"
	"  started_at INTEGER NOT NULL);"
	"CREATE INDEX sessions_box ON sessions(box_id);"
	"CREATE TABLE redeem_attempts ("
	"  source TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX redeem_attempts_source ON redeem_attempts(source, at);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"
	"  invite_id TEXT, box_id TEXT, fp TEXT, source TEXT, detail TEXT);",
	/* 1 -> 2: boxes remember the address that started them, for the
	 * per-source limit. */
	"ALTER TABLE boxes ADD COLUMN source TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX boxes_source ON boxes(source)"
	"  WHERE status IN ('creating', 'running');",
	/* 2 -> 3: boxes remember which runtime driver made them, so that
	 * the reaper and box-invite destroy each through its own.  Boxes of
	 * earlier versions were all Docker's. */
	"ALTER TABLE boxes ADD COLUMN runtime TEXT NOT NULL DEFAULT 'docker';",
	/* 3 -> 4: every session's history (who, from where, what, how it
	 * ended), kept after the live row goes; audit by time.  Live
	 * sessions of earlier versions get no history row. */
	"CREATE TABLE session_log ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  box_id TEXT NOT NULL,"
	"  source TEXT NOT NULL DEFAULT '',"
	"  command TEXT NOT NULL DEFAULT '',"
	"  tty INTEGER NOT NULL DEFAULT 0,"
	"  started_at INTEGER NOT NULL,"
	"  ended_at INTEGER NOT NULL DEFAULT 0,"
	"  exit_status INTEGER,"
	"  end_reason TEXT NOT NULL DEFAULT '',"
	"  bytes_in INTEGER, bytes_out INTEGER);"
	"CREATE INDEX session_log_box ON session_log(box_id);"
	"ALTER TABLE sessions ADD COLUMN log_id INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX audit_at ON audit(at);",
	/* 4 -> 5: a session's recording (the file's name in the recordings
	 * directory, and whether it is being written, complete or not), and
	 * history by end time, for retention. */
	"ALTER TABLE session_log ADD COLUMN recording TEXT;"
	"ALTER TABLE session_log ADD COLUMN recording_state TEXT NOT NULL"
	"  DEFAULT '';"
	"CREATE INDEX session_log_ended ON session_log(ended_at);",
	/* 5 -> 6: counters for the metrics, kept apart from the audit rows
	 * that retention prunes, so that they only ever grow (counted from
	 * this version on); recordings by name, so that retention can see
	 * that a kept row still names a file. */
	"CREATE TABLE counters ("
	"  name TEXT NOT NULL,"
	"  labels TEXT NOT NULL DEFAULT '',"
	"  value INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (name, labels));"
	"CREATE INDEX session_log_recording ON session_log(recording)"
	"  WHERE recording IS NOT NULL;",
	/* 6 -> 7: warm pools: boxes made in advance for a profile, no one's
	 * until a guest's claim takes one (its id and runtime reference). */
	"CREATE TABLE pool ("
	"  id TEXT PRIMARY KEY,"
	"  profile TEXT NOT NULL,"
	"  runtime TEXT NOT NULL,"
	"  ref TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL CHECK (status IN ('creating', 'ready')),"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX pool_ready ON pool(profile, runtime, status, created_at);",
	/* 7 -> 8: keys an administrator banned, whatever invite they came
	 * from (or none yet): refused at login and at redemption. */
	"CREATE TABLE bans ("
	"  fp TEXT PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  by TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL DEFAULT '');"
	/* ... staff: the certificates sshbox's CA signed, by serial (no
	 * other is let in), and the boxes staff make for themselves, as an
	 * invite of their own (owner, and the group it was made under). */
	"CREATE TABLE certs ("
	"  serial TEXT PRIMARY KEY,"
	"  principal TEXT NOT NULL,"
	"  groups TEXT NOT NULL DEFAULT '',"
	"  key_id TEXT NOT NULL,"
	"  fp TEXT NOT NULL,"
	"  issued_at INTEGER NOT NULL,"
	"  valid_before INTEGER NOT NULL,"
	"  revoked_at INTEGER NOT NULL DEFAULT 0,"
	"  by TEXT NOT NULL DEFAULT '');"
	"ALTER TABLE invites ADD COLUMN owner TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE invites ADD COLUMN grp TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX invites_owner ON invites(owner) WHERE owner != '';"
	/* ... and their requests for boxes of profiles that need an
	 * approver's yes. */
	"CREATE TABLE requests ("
	"  id TEXT PRIMARY KEY,"
	"  principal TEXT NOT NULL,"
	"  grp TEXT NOT NULL DEFAULT '',"
	"  profile TEXT NOT NULL,"
	"  ttl INTEGER NOT NULL,"
	"  source TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'approved',"
	"    'denied', 'expired', 'failed')),"
	"  decided_at INTEGER NOT NULL DEFAULT 0,"
	"  decided_by TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL DEFAULT '');",
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

static int
db_error(struct box_state *st, struct box_error *err, const char *what)
{
	return box_error_set(err, BOX_E_STATE, 0, "state: %s: %s", what,
	    sqlite3_errmsg(st->db));
}

static int
exec_sql(struct box_state *st, const char *sql, struct box_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		box_error_set(err, BOX_E_STATE, 0, "state: %s",
		    msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
begin(struct box_state *st, struct box_error *err)
{
	return exec_sql(st, "BEGIN IMMEDIATE", err);
}

static int
commit(struct box_state *st, struct box_error *err)
{
	return exec_sql(st, "COMMIT", err);
}

static void
rollback(struct box_state *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * Prepare sql and bind arguments described by fmt: 't' text (const char *,
 * NULL binds NULL), 'i' int64_t, 'n' int.
 */
static sqlite3_stmt *
prep(struct box_state *st, struct box_error *err, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *stmt;
	va_list ap;
	int i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		db_error(st, err, "prepare");
		return NULL;
	}
	va_start(ap, fmt);
	for (i = 0; fmt[i] != '\0' && rc == SQLITE_OK; i++) {
		switch (fmt[i]) {
		case 't': {
			const char *s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(stmt, i + 1, s, -1,
			    SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, i + 1);
			break;
		}
		case 'i':
			rc = sqlite3_bind_int64(stmt, i + 1,
			    va_arg(ap, int64_t));
			break;
		case 'n':
			rc = sqlite3_bind_int(stmt, i + 1, va_arg(ap, int));
			break;
		case 'I': {	/* an int64 where negative means none */
			int64_t v = va_arg(ap, int64_t);
			rc = v < 0 ? sqlite3_bind_null(stmt, i + 1) :
			    sqlite3_bind_int64(stmt, i + 1, v);
			break;
		}
		default:
			rc = SQLITE_MISUSE;
			break;
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		db_error(st, err, "bind");
		sqlite3_finalize(stmt);
		return NULL;
	}
	return stmt;
}

/* Step a statement that returns no rows, then finalize it. */
static int
run(struct box_state *st, sqlite3_stmt *stmt, struct box_error *err)
{
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(st, err, "write");
	return 0;
}

/*
 * A text column, bounded.  The file belongs to the box account, so a row
 * may say anything: control characters (C0, DEL, and C1 as UTF-8) and
 * bytes that are not UTF-8 become '?', so that no row can steer an
 * administrator's terminal or break a JSON output.
 */
static void
col_text(sqlite3_stmt *stmt, int col, char *out, size_t outsz)
{
	const unsigned char *s = sqlite3_column_text(stmt, col);
	unsigned char *p;

	size_t n;

	box_strlcpy(out, s ? (const char *)s : "", outsz);
	for (p = (unsigned char *)out; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = '?';
			p[1] = '?';
			p++;
		} else if (*p >= 0x80) {
			/* Not UTF-8 (or cut by the copy): '?', so that every
			 * --json output is JSON. */
			if ((n = box_utf8_char((const char *)p)) == 0)
				*p = '?';
			else
				p += n - 1;
		}
	}
}

int
box_state_open(const char *path, int create, struct box_state **out,
    struct box_error *err)
{
	struct box_state *st;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_NOFOLLOW;
	int version;
	size_t i;

	if (!create && access(path, F_OK) < 0)
		return box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_STATE, errno, "state: %s", path);
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, errno, "calloc");
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		box_error_set(err, BOX_E_STATE, 0, "state: cannot open %s: %s",
		    path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	/* The file is the box account's: its schema is not trusted to run
	 * anything, and it cannot be turned against the library. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (exec_sql(st, "PRAGMA trusted_schema=OFF", err) < 0 ||
	    exec_sql(st, "PRAGMA journal_mode=WAL", err) < 0 ||
	    exec_sql(st, "PRAGMA foreign_keys=ON", err) < 0 ||
	    exec_sql(st, "PRAGMA synchronous=NORMAL", err) < 0) {
		box_error_wrap(err, "%s", path);
		goto fail;
	}
	if ((version = box_state_schema_version(st)) < 0) {
		db_error(st, err, path);
		goto fail;
	}
	if (version > BOX_STATE_SCHEMA) {
		box_error_set(err, BOX_E_STATE, 0, "state: %s has schema %d, "
		    "newer than this sshbox (%d): upgrade sshbox", path,
		    version, BOX_STATE_SCHEMA);
		goto fail;
	}
	if (version < BOX_STATE_SCHEMA && !create) {
		box_error_set(err, BOX_E_STATE, 0, "state: %s has schema %d, "
		    "this sshbox needs %d: run box-invite init to migrate it",
		    path, version, BOX_STATE_SCHEMA);
		goto fail;
	}
	if (version < BOX_STATE_SCHEMA) {
		char sql[64];

		if (begin(st, err) < 0)
			goto fail;
		/* Re-read inside the write lock: another process may have
		 * migrated meanwhile. */
		version = box_state_schema_version(st);
		for (i = (size_t)version; i < NMIGRATIONS; i++) {
			if (exec_sql(st, migrations[i], err) < 0) {
				rollback(st);
				box_error_wrap(err, "%s: migration %zu", path, i);
				goto fail;
			}
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
		    BOX_STATE_SCHEMA);
		if (exec_sql(st, sql, err) < 0 || commit(st, err) < 0) {
			rollback(st);
			goto fail;
		}
	}
	*out = st;
	return 0;
fail:
	sqlite3_close(st->db);
	free(st);
	return -1;
}

void
box_state_close(struct box_state *st)
{
	if (st == NULL)
		return;
	sqlite3_close(st->db);
	free(st);
}

int
box_state_schema_version(struct box_state *st)
{
	sqlite3_stmt *stmt;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* --------------------------------------------------------------- counters */

/* Add delta to counter name{labels}, made at 0 when new. */
static int
counter_add(struct box_state *st, const char *name, const char *labels,
    int64_t delta, struct box_error *err)
{
	return run(st, prep(st, err, "INSERT INTO counters (name, labels,"
	    " value) VALUES (?, ?, ?) ON CONFLICT (name, labels) DO UPDATE"
	    " SET value = value + excluded.value", "tti", name,
	    labels != NULL ? labels : "", delta), err);
}

int
box_state_counters_add(struct box_state *st, const struct box_counter *c,
    size_t n, struct box_error *err)
{
	size_t i, todo = 0;

	for (i = 0; i < n; i++) {
		if (c[i].delta < 0)
			return box_error_set(err, BOX_E_INTERNAL, 0,
			    "counter %s would go down", c[i].name);
		todo += c[i].delta > 0;
	}
	/* A pass with nothing to count writes nothing. */
	if (todo == 0)
		return 0;
	if (begin(st, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (c[i].delta > 0 && counter_add(st, c[i].name, c[i].labels,
		    c[i].delta, err) < 0)
			goto fail;
	if (commit(st, err) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

int
box_state_counter_get(struct box_state *st, const char *name,
    const char *labels, int64_t *value, struct box_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT value FROM counters WHERE name = ? AND"
	    " labels = ?", "tt", name, labels != NULL ? labels : "");
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	*value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "read counter");
	return 0;
}

int
box_state_counter_list(struct box_state *st,
    int (*cb)(void *, const char *, const char *, int64_t), void *arg,
    struct box_error *err)
{
	char name[BOX_COUNTER_NAME_MAX], labels[BOX_COUNTER_LABELS_MAX];
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT name, labels, value FROM counters"
	    " ORDER BY name, labels", "");
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		col_text(stmt, 0, name, sizeof(name));
		col_text(stmt, 1, labels, sizeof(labels));
		if (cb(arg, name, labels, sqlite3_column_int64(stmt, 2)) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list counters");
	return 0;
}

static const char *const redeem_outcomes[] = { "redeemed", "invalid",
    "expired", "revoked", "used", "key_bound", "limit", "rate_limited",
    "other", NULL };
static const char *const destroy_reasons[] = { "expired", "revoked",
    "linger", "last_session", "killed", "stuck", "vanished", "other",
    NULL };

static const char *const reaper_actions[] = { "expired", "lingered",
    "stuck", "revoked", "stale_sessions", "vanished", "orphans",
    "pool_made", "pool_replaced", "pruned_audit", "pruned_sessions",
    "pruned_recordings", NULL };

const char *const *
box_state_counter_values(const char *name)
{
	if (strcmp(name, BOX_CTR_REDEMPTIONS) == 0)
		return redeem_outcomes;
	if (strcmp(name, BOX_CTR_DESTROYED) == 0)
		return destroy_reasons;
	if (strcmp(name, BOX_CTR_REAPER_ACTIONS) == 0)
		return reaper_actions;
	return NULL;
}

/* A text's class by a table of keys: contained in it (a message), or
 * equal to it (a reason); "other" when none is. */
struct text_class {
	const char *key, *class;
};

static const char *
classify(const struct text_class *t, size_t n, const char *s, int exact)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (exact ? strcmp(s, t[i].key) == 0 :
		    strstr(s, t[i].key) != NULL)
			return t[i].class;
	return "other";
}

const char *
box_state_redeem_class(const char *detail)
{
	/* The messages of box_state_redeem() and box-shell's checks;
	 * test-state holds them to these. */
	static const struct text_class classes[] = {
		{ "not a valid invite token", "invalid" },
		{ "does not match its invite", "invalid" },
		{ "does not exist on this bastion", "invalid" },
		{ "was revoked", "revoked" },
		{ "has expired", "expired" },
		{ "has already been used", "used" },
		{ "has already redeemed", "key_bound" },
		{ "maximum of", "limit" },
	};

	return classify(classes, sizeof(classes) / sizeof(classes[0]),
	    detail, 0);
}

const char *
box_state_destroy_class(const char *reason)
{
	static const struct text_class classes[] = {
		{ "expired", "expired" },
		{ "invite revoked", "revoked" },
		{ "linger over", "linger" },
		{ "last session ended", "last_session" },
		{ "killed by an administrator", "killed" },
		{ "stuck while being created", "stuck" },
		{ "runtime object vanished", "vanished" },
		{ "box stopped", "vanished" },
	};

	return classify(classes, sizeof(classes) / sizeof(classes[0]),
	    reason, 1);
}

/*
 * The counter an audit event bumps, if any: redemptions by outcome, boxes
 * destroyed by reason, boxes that failed, sessions started.  The reaper
 * counts its own actions itself (box-reaper(8) lists every metric).
 */
static int
count_event(struct box_state *st, const char *event, const char *detail,
    struct box_error *err)
{
	char labels[BOX_COUNTER_LABELS_MAX] = "";
	const char *name;

	if (strcmp(event, "redeemed") == 0) {
		name = BOX_CTR_REDEMPTIONS;
		box_strlcpy(labels, "outcome=redeemed", sizeof(labels));
	} else if (strcmp(event, "redeem-refused") == 0) {
		name = BOX_CTR_REDEMPTIONS;
		snprintf(labels, sizeof(labels), "outcome=%s",
		    box_state_redeem_class(detail));
	} else if (strcmp(event, "rate-limited") == 0) {
		name = BOX_CTR_REDEMPTIONS;
		box_strlcpy(labels, "outcome=rate_limited", sizeof(labels));
	} else if (strcmp(event, "box-destroyed") == 0) {
		name = BOX_CTR_DESTROYED;
		snprintf(labels, sizeof(labels), "reason=%s",
		    box_state_destroy_class(detail));
	} else if (strcmp(event, "box-failed") == 0)
		name = BOX_CTR_FAILED;
	else if (strcmp(event, "session-started") == 0)
		name = BOX_CTR_SESSIONS;
	else
		return 0;
	return counter_add(st, name, labels, 1, err);
}

/* Seconds from claim to running, as milliseconds; le as Prometheus
 * writes the bound. */
static const struct box_bucket create_buckets[] = {
	{ 100, "0.1" }, { 250, "0.25" }, { 500, "0.5" }, { 1000, "1" },
	{ 2000, "2" }, { 5000, "5" }, { 10000, "10" }, { 30000, "30" },
	{ 60000, "60" },
};
#define NBUCKETS (sizeof(create_buckets) / sizeof(create_buckets[0]))

const struct box_bucket *
box_state_create_buckets(size_t *n)
{
	*n = NBUCKETS;
	return create_buckets;
}

/* One box creation of ms: the buckets are kept cumulative, as they are
 * shown, so every bucket it fits in counts it. */
static int
observe_create(struct box_state *st, int64_t ms, struct box_error *err)
{
	char labels[BOX_COUNTER_LABELS_MAX];
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		if (ms > create_buckets[i].ms)
			continue;
		snprintf(labels, sizeof(labels), "le=%s", create_buckets[i].le);
		if (counter_add(st, BOX_CTR_CREATE "_bucket", labels, 1,
		    err) < 0)
			return -1;
	}
	if (counter_add(st, BOX_CTR_CREATE "_sum_ms", "", ms, err) < 0 ||
	    counter_add(st, BOX_CTR_CREATE "_count", "", 1, err) < 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- invites */

#define INVITE_COLS "id, profile, ttl, created_at, redeem_by, uses_total, " \
	"uses_left, revoked_at, note, token_hash, owner, grp"

static void
invite_row(sqlite3_stmt *stmt, struct box_invite *inv)
{
	memset(inv, 0, sizeof(*inv));
	col_text(stmt, 0, inv->id, sizeof(inv->id));
	col_text(stmt, 1, inv->profile, sizeof(inv->profile));
	inv->ttl = sqlite3_column_int64(stmt, 2);
	inv->created_at = sqlite3_column_int64(stmt, 3);
	inv->redeem_by = sqlite3_column_int64(stmt, 4);
	inv->uses_total = sqlite3_column_int(stmt, 5);
	inv->uses_left = sqlite3_column_int(stmt, 6);
	inv->revoked_at = sqlite3_column_int64(stmt, 7);
	col_text(stmt, 8, inv->note, sizeof(inv->note));
	col_text(stmt, 9, inv->token_hash, sizeof(inv->token_hash));
	col_text(stmt, 10, inv->owner, sizeof(inv->owner));
	col_text(stmt, 11, inv->grp, sizeof(inv->grp));
}

int
box_state_invite_add(struct box_state *st, const struct box_invite *inv,
    struct box_error *err)
{
	return run(st, prep(st, err, "INSERT INTO invites (" INVITE_COLS ")"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "ttiiinnitttt",
	    inv->id, inv->profile, inv->ttl, inv->created_at, inv->redeem_by,
	    inv->uses_total, inv->uses_left, inv->revoked_at, inv->note,
	    inv->token_hash, inv->owner, inv->grp), err);
}

int
box_state_invite_get(struct box_state *st, const char *id,
    struct box_invite *inv, struct box_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT " INVITE_COLS " FROM invites WHERE id = ?",
	    "t", id);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		invite_row(stmt, inv);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return box_error_set(err, BOX_E_NOTFOUND, 0,
		    "no invite %.40s", id);
	if (rc != SQLITE_ROW)
		return db_error(st, err, "read invite");
	return 0;
}

int
box_state_invite_list(struct box_state *st,
    int (*cb)(void *, const struct box_invite *), void *arg,
    struct box_error *err)
{
	struct box_invite inv;
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT " INVITE_COLS " FROM invites"
	    " ORDER BY created_at DESC, id", "");
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		invite_row(stmt, &inv);
		if (cb(arg, &inv) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list invites");
	return 0;
}

int
box_state_invite_revoke(struct box_state *st, const char *id, int64_t now,
    struct box_error *err)
{
	struct box_invite inv;

	if (box_state_invite_get(st, id, &inv, err) < 0)
		return -1;
	return run(st, prep(st, err, "UPDATE invites SET revoked_at = ?"
	    " WHERE id = ? AND revoked_at = 0", "it", now, id), err);
}

/* ------------------------------------------------------------- redemption */

int
box_state_rate_check(struct box_state *st, const char *source, int64_t now,
    int64_t window, int max, struct box_error *err)
{
	sqlite3_stmt *stmt;
	long long count = 0;
	int rc;

	if (begin(st, err) < 0)
		return -1;
	stmt = prep(st, err, "SELECT count(*) FROM redeem_attempts"
	    " WHERE source = ? AND at > ?", "ti", source, now - window);
	if (stmt == NULL)
		goto fail;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		count = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW) {
		db_error(st, err, "count attempts");
		goto fail;
	}
	if (count >= max) {
		rollback(st);
		return box_error_set(err, BOX_E_RATE, 0,
		    "too many redemption attempts from this address; "
		    "try again in %lld seconds", (long long)window);
	}
	if (run(st, prep(st, err, "DELETE FROM redeem_attempts WHERE at <= ?",
	    "i", now - window), err) < 0 ||
	    run(st, prep(st, err, "INSERT INTO redeem_attempts (source, at)"
	    " VALUES (?, ?)", "ti", source, now), err) < 0 ||
	    commit(st, err) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

static int check_limits(struct box_state *, const char *, const char *,
    const struct box_limits *, struct box_error *);

int
box_state_redeem(struct box_state *st, const char *invite_id,
    const char *token_hash, const char *fp, const char *source, int64_t now,
    struct box_binding *out, struct box_error *err)
{
	return box_state_redeem_limited(st, invite_id, token_hash, fp, source,
	    NULL, now, out, err);
}

int
box_state_redeem_limited(struct box_state *st, const char *invite_id,
    const char *token_hash, const char *fp, const char *source,
    const struct box_limits *lim, int64_t now, struct box_binding *out,
    struct box_error *err)
{
	struct box_invite inv;
	sqlite3_stmt *stmt;
	int rc;

	if (begin(st, err) < 0)
		return -1;
	if (box_state_invite_get(st, invite_id, &inv, err) < 0) {
		if (err != NULL && err->kind == BOX_E_NOTFOUND)
			box_error_set(err, BOX_E_DENIED, 0,
			    "this invite does not exist on this bastion");
		goto fail;
	}
	if (!box_token_hash_equal(inv.token_hash, token_hash)) {
		box_error_set(err, BOX_E_DENIED, 0,
		    "this token does not match its invite");
		goto fail;
	}
	if (inv.revoked_at != 0) {
		box_error_set(err, BOX_E_DENIED, 0,
		    "this invite was revoked");
		goto fail;
	}
	if (inv.redeem_by != 0 && now > inv.redeem_by) {
		box_error_set(err, BOX_E_DENIED, 0,
		    "this invite has expired");
		goto fail;
	}
	if (inv.uses_left <= 0) {
		box_error_set(err, BOX_E_DENIED, 0,
		    "this invite has already been used");
		goto fail;
	}
	stmt = prep(st, err, "SELECT 1 FROM bans WHERE fp = ?", "t", fp);
	if (stmt == NULL)
		goto fail;
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_DONE) {
		if (rc == SQLITE_ROW)
			box_error_set(err, BOX_E_DENIED, 0, "this key is "
			    "banned on this bastion");
		else
			db_error(st, err, "read ban");
		goto fail;
	}
	stmt = prep(st, err, "SELECT invite_id FROM bindings WHERE fp = ?",
	    "t", fp);
	if (stmt == NULL)
		goto fail;
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_ROW) {
		box_error_set(err, BOX_E_DENIED, 0,
		    "this key has already redeemed an invite; connect without "
		    "a token, or use a new key");
		goto fail;
	}
	if (rc != SQLITE_DONE) {
		db_error(st, err, "read binding");
		goto fail;
	}
	/* The live-box limits before anything is spent: a guest turned
	 * away keeps the invite's use, and its time has not started. */
	if (lim != NULL && check_limits(st, invite_id, source, lim, err) < 0)
		goto fail;
	if (run(st, prep(st, err, "UPDATE invites SET uses_left = uses_left - 1"
	    " WHERE id = ? AND uses_left > 0", "t", invite_id), err) < 0)
		goto fail;
	if (sqlite3_changes(st->db) != 1) {
		box_error_set(err, BOX_E_DENIED, 0,
		    "this invite has already been used");
		goto fail;
	}
	if (run(st, prep(st, err, "INSERT INTO bindings (fp, invite_id,"
	    " bound_at, deadline, source) VALUES (?, ?, ?, ?, ?)", "ttiit",
	    fp, invite_id, now, now + inv.ttl, source), err) < 0)
		goto fail;
	if (commit(st, err) < 0)
		goto fail;
	memset(out, 0, sizeof(*out));
	box_strlcpy(out->fp, fp, sizeof(out->fp));
	box_strlcpy(out->invite_id, invite_id, sizeof(out->invite_id));
	box_strlcpy(out->profile, inv.profile, sizeof(out->profile));
	box_strlcpy(out->source, source, sizeof(out->source));
	out->bound_at = now;
	out->deadline = now + inv.ttl;
	return 0;
fail:
	rollback(st);
	return -1;
}

#define BINDING_COLS "b.fp, b.invite_id, i.profile, b.bound_at, b.deadline," \
	" i.revoked_at, b.source, coalesce(x.at, 0)"
#define BINDING_FROM " FROM bindings b JOIN invites i ON i.id = b.invite_id" \
	" LEFT JOIN bans x ON x.fp = b.fp"

static void
binding_row(sqlite3_stmt *stmt, struct box_binding *b)
{
	memset(b, 0, sizeof(*b));
	col_text(stmt, 0, b->fp, sizeof(b->fp));
	col_text(stmt, 1, b->invite_id, sizeof(b->invite_id));
	col_text(stmt, 2, b->profile, sizeof(b->profile));
	b->bound_at = sqlite3_column_int64(stmt, 3);
	b->deadline = sqlite3_column_int64(stmt, 4);
	b->revoked_at = sqlite3_column_int64(stmt, 5);
	col_text(stmt, 6, b->source, sizeof(b->source));
	b->banned_at = sqlite3_column_int64(stmt, 7);
}

int
box_state_binding_get(struct box_state *st, const char *fp,
    struct box_binding *b, struct box_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT " BINDING_COLS BINDING_FROM
	    " WHERE b.fp = ?", "t", fp);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		binding_row(stmt, b);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "key not bound");
	if (rc != SQLITE_ROW)
		return db_error(st, err, "read binding");
	return 0;
}

int
box_state_binding_list(struct box_state *st, const char *invite_id,
    int (*cb)(void *, const struct box_binding *), void *arg,
    struct box_error *err)
{
	struct box_binding b;
	sqlite3_stmt *stmt;
	int rc;

	stmt = invite_id != NULL ? prep(st, err, "SELECT " BINDING_COLS
	    BINDING_FROM " WHERE b.invite_id = ? ORDER BY b.bound_at DESC,"
	    " b.fp", "t", invite_id) : prep(st, err, "SELECT " BINDING_COLS
	    BINDING_FROM " ORDER BY b.bound_at DESC, b.fp", "");
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		binding_row(stmt, &b);
		if (cb(arg, &b) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list keys");
	return 0;
}

/* ------------------------------------------------------------------- bans */

int
box_state_ban_get(struct box_state *st, const char *fp, struct box_ban *ban,
    struct box_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT fp, at, by, reason FROM bans WHERE fp = ?",
	    "t", fp);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		memset(ban, 0, sizeof(*ban));
		col_text(stmt, 0, ban->fp, sizeof(ban->fp));
		ban->at = sqlite3_column_int64(stmt, 1);
		col_text(stmt, 2, ban->by, sizeof(ban->by));
		col_text(stmt, 3, ban->reason, sizeof(ban->reason));
	}
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "key not banned");
	if (rc != SQLITE_ROW)
		return db_error(st, err, "read ban");
	return 0;
}

int
box_state_ban_add(struct box_state *st, const char *fp, int64_t now,
    const char *by, const char *reason, int *added, struct box_error *err)
{
	if (run(st, prep(st, err, "INSERT OR IGNORE INTO bans (fp, at, by,"
	    " reason) VALUES (?, ?, ?, ?)", "titt", fp, now, by, reason),
	    err) < 0)
		return -1;
	*added = sqlite3_changes(st->db) == 1;
	return 0;
}

int
box_state_ban_remove(struct box_state *st, const char *fp,
    struct box_error *err)
{
	if (run(st, prep(st, err, "DELETE FROM bans WHERE fp = ?", "t", fp),
	    err) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "key %.80s is not "
		    "banned", fp);
	return 0;
}

int
box_state_ban_list(struct box_state *st,
    int (*cb)(void *, const struct box_ban *), void *arg,
    struct box_error *err)
{
	struct box_ban ban;
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT fp, at, by, reason FROM bans"
	    " ORDER BY at DESC, fp", "");
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&ban, 0, sizeof(ban));
		col_text(stmt, 0, ban.fp, sizeof(ban.fp));
		ban.at = sqlite3_column_int64(stmt, 1);
		col_text(stmt, 2, ban.by, sizeof(ban.by));
		col_text(stmt, 3, ban.reason, sizeof(ban.reason));
		if (cb(arg, &ban) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list bans");
	return 0;
}

/* ------------------------------------------------------------------ boxes */

#define BOX_COLS "id, fp, invite_id, profile, ref, status, created_at, " \
	"deadline, linger_until, ended_at, end_reason, " \
	"(SELECT count(*) FROM sessions s WHERE s.box_id = boxes.id), runtime"

static void
box_row(sqlite3_stmt *stmt, struct box_box *box)
{
	memset(box, 0, sizeof(*box));
	col_text(stmt, 0, box->id, sizeof(box->id));
	col_text(stmt, 1, box->fp, sizeof(box->fp));
	col_text(stmt, 2, box->invite_id, sizeof(box->invite_id));
	col_text(stmt, 3, box->profile, sizeof(box->profile));
	col_text(stmt, 4, box->ref, sizeof(box->ref));
	col_text(stmt, 5, box->status, sizeof(box->status));
	box->created_at = sqlite3_column_int64(stmt, 6);
	box->deadline = sqlite3_column_int64(stmt, 7);
	box->linger_until = sqlite3_column_int64(stmt, 8);
	box->ended_at = sqlite3_column_int64(stmt, 9);
	col_text(stmt, 10, box->end_reason, sizeof(box->end_reason));
	box->sessions = sqlite3_column_int(stmt, 11);
	col_text(stmt, 12, box->runtime, sizeof(box->runtime));
}

static int
box_query_one(struct box_state *st, sqlite3_stmt *stmt, struct box_box *box,
    struct box_error *err)
{
	int rc;

	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		box_row(stmt, box);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "no such box");
	if (rc != SQLITE_ROW)
		return db_error(st, err, "read box");
	return 0;
}

int
box_state_box_get(struct box_state *st, const char *id, struct box_box *box,
    struct box_error *err)
{
	return box_query_one(st, prep(st, err, "SELECT " BOX_COLS
	    " FROM boxes WHERE id = ?", "t", id), box, err);
}

int
box_state_box_live_of(struct box_state *st, const char *fp,
    struct box_box *box, struct box_error *err)
{
	return box_query_one(st, prep(st, err, "SELECT " BOX_COLS
	    " FROM boxes WHERE fp = ? AND status IN ('creating', 'running')",
	    "t", fp), box, err);
}

/* Live boxes matching "col = val" (or all with col NULL), into *n. */
static int
count_live(struct box_state *st, const char *col, const char *val,
    long long *n, struct box_error *err)
{
	char sql[160];
	sqlite3_stmt *stmt;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM boxes WHERE status"
	    " IN ('creating', 'running')%s%s%s", col ? " AND " : "",
	    col ? col : "", col ? " = ?" : "");
	stmt = col ? prep(st, err, sql, "t", val) : prep(st, err, sql, "");
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : db_error(st, err, "count boxes");
}

static int
claim(struct box_state *st, const struct box_binding *b, const char *new_id,
    int pooled, const char *source, const char *runtime,
    const struct box_limits *lim, int64_t now, struct box_box *box,
    int *created, struct box_error *err)
{
	char pid[BOX_ID_LEN + 1], pref[80];
	struct box_binding now_b;
	struct box_error e2;
	sqlite3_stmt *stmt;
	int rc;

	if (begin(st, err) < 0)
		return -1;
	/* Revocation and the deadline as they are now, under the lock. */
	if (box_state_binding_get(st, b->fp, &now_b, err) < 0)
		goto fail;
	if (now_b.revoked_at != 0 || strcmp(now_b.invite_id, b->invite_id) != 0) {
		box_error_set(err, BOX_E_DENIED, 0, "this invite was revoked");
		goto fail;
	}
	if (now_b.banned_at != 0) {
		box_error_set(err, BOX_E_DENIED, 0, "this key is banned");
		goto fail;
	}
	if (now >= now_b.deadline) {
		box_error_set(err, BOX_E_DENIED, 0, "this key's time is over");
		goto fail;
	}
	if (box_state_box_live_of(st, b->fp, box, &e2) == 0) {
		if (commit(st, err) < 0)
			goto fail;
		*created = 0;
		return 0;
	}
	if (e2.kind != BOX_E_NOTFOUND) {
		if (err != NULL)
			*err = e2;
		goto fail;
	}
	if (lim != NULL && lim->attach_only) {
		box_error_set(err, BOX_E_NOTFOUND, 0, "the box has ended");
		goto fail;
	}
	/* The limits are counted in the same transaction as the insert, so
	 * concurrent guests cannot overshoot them. */
	if (lim != NULL && check_limits(st, b->invite_id, source, lim,
	    err) < 0)
		goto fail;
	pref[0] = '\0';
	if (pooled) {
		/* The oldest ready box of the pool, taken whole: its row
		 * goes in the same transaction as the box's is made, so two
		 * guests never get one box. */
		if ((stmt = prep(st, err, "SELECT id, ref FROM pool WHERE"
		    " profile = ? AND runtime = ? AND status = 'ready'"
		    " ORDER BY created_at, id LIMIT 1", "tt", b->profile,
		    runtime)) == NULL)
			goto fail;
		if ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
			col_text(stmt, 0, pid, sizeof(pid));
			col_text(stmt, 1, pref, sizeof(pref));
		}
		sqlite3_finalize(stmt);
		if (rc != SQLITE_ROW) {
			if (rc != SQLITE_DONE)
				db_error(st, err, "pool");
			else
				box_error_set(err, BOX_E_NOTFOUND, 0, "no ready "
				    "box in the pool of %s", b->profile);
			goto fail;
		}
		if (run(st, prep(st, err, "DELETE FROM pool WHERE id = ?", "t",
		    pid), err) < 0)
			goto fail;
		new_id = pid;
	}
	if (run(st, prep(st, err, "INSERT INTO boxes (id, fp, invite_id,"
	    " profile, status, created_at, deadline, source, runtime, ref)"
	    " VALUES (?, ?, ?, ?, 'creating', ?, ?, ?, ?, ?)", "ttttiittt",
	    new_id, b->fp, b->invite_id, b->profile, now, now_b.deadline,
	    source, runtime, pref), err) < 0 ||
	    box_state_box_get(st, new_id, box, err) < 0 ||
	    commit(st, err) < 0)
		goto fail;
	*created = pooled ? 2 : 1;
	return 0;
fail:
	rollback(st);
	return -1;
}

/* Live boxes made under invites whose col (owner, grp) is val. */
static int
count_live_of(struct box_state *st, const char *col, const char *val,
    long long *n, struct box_error *err)
{
	char sql[200];
	sqlite3_stmt *stmt;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM boxes b JOIN invites"
	    " i ON i.id = b.invite_id WHERE b.status IN ('creating',"
	    " 'running') AND i.%s = ?", strcmp(col, "grp") == 0 ? "grp" :
	    "owner");
	if ((stmt = prep(st, err, sql, "t", val)) == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	*n = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : db_error(st, err, "count boxes");
}

/* Live boxes over one of the limits: BOX_E_RATE saying which. */
static int
check_limits(struct box_state *st, const char *invite_id, const char *source,
    const struct box_limits *lim, struct box_error *err)
{
	const struct {
		const char *col, *val, *head, *tail;
		int max;
	} checks[] = {
		{ NULL, NULL, "this bastion runs its maximum of",
		    "boxes; try again later", lim->max_boxes },
		{ "invite_id", invite_id, "this invite already has its "
		    "maximum of", "boxes running", lim->max_boxes_per_invite },
		{ "source", source, "your address already has its maximum of",
		    "boxes running", lim->max_boxes_per_source },
	};
	long long n;
	size_t i;

	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (count_live(st, checks[i].col, checks[i].val, &n, err) < 0)
			return -1;
		if (n >= checks[i].max)
			return box_error_set(err, BOX_E_RATE, 0, "%s %d %s",
			    checks[i].head, checks[i].max, checks[i].tail);
	}
	/* A staff member's, and their group's, counted by the invites
	 * their boxes were made under. */
	if (lim->owner != NULL && lim->owner[0] != '\0') {
		if (count_live_of(st, "owner", lim->owner, &n, err) < 0)
			return -1;
		if (n >= lim->max_boxes_per_owner)
			return box_error_set(err, BOX_E_RATE, 0, "%s already "
			    "has the maximum of %d boxes", lim->owner,
			    lim->max_boxes_per_owner);
	}
	if (lim->group != NULL && lim->group[0] != '\0') {
		if (count_live_of(st, "grp", lim->group, &n, err) < 0)
			return -1;
		if (n >= lim->max_boxes_per_group)
			return box_error_set(err, BOX_E_RATE, 0, "group %s "
			    "already has its maximum of %d boxes", lim->group,
			    lim->max_boxes_per_group);
	}
	return 0;
}

int
box_state_box_claim(struct box_state *st, const struct box_binding *b,
    const char *new_id, const char *source, const char *runtime,
    const struct box_limits *lim,
    int64_t now, struct box_box *box, int *created, struct box_error *err)
{
	return claim(st, b, new_id, 0, source, runtime, lim, now, box,
	    created, err);
}

int
box_state_box_claim_pooled(struct box_state *st, const struct box_binding *b,
    const char *source, const char *runtime, const struct box_limits *lim,
    int64_t now, struct box_box *box, int *created, struct box_error *err)
{
	return claim(st, b, NULL, 1, source, runtime, lim, now, box, created,
	    err);
}

/* ------------------------------------------------------------------ staff */

#define CERT_COLS "serial, principal, groups, key_id, fp, issued_at," \
	" valid_before, revoked_at, by"

static void
cert_row(sqlite3_stmt *stmt, struct box_cert *c)
{
	memset(c, 0, sizeof(*c));
	col_text(stmt, 0, c->serial, sizeof(c->serial));
	col_text(stmt, 1, c->principal, sizeof(c->principal));
	col_text(stmt, 2, c->groups, sizeof(c->groups));
	col_text(stmt, 3, c->key_id, sizeof(c->key_id));
	col_text(stmt, 4, c->fp, sizeof(c->fp));
	c->issued_at = sqlite3_column_int64(stmt, 5);
	c->valid_before = sqlite3_column_int64(stmt, 6);
	c->revoked_at = sqlite3_column_int64(stmt, 7);
	col_text(stmt, 8, c->by, sizeof(c->by));
}

int
box_state_cert_add(struct box_state *st, const struct box_cert *c,
    struct box_error *err)
{
	return run(st, prep(st, err, "INSERT INTO certs (" CERT_COLS ") VALUES"
	    " (?, ?, ?, ?, ?, ?, ?, 0, ?)", "tttttiit", c->serial,
	    c->principal, c->groups, c->key_id, c->fp, c->issued_at,
	    c->valid_before, c->by), err);
}

int
box_state_cert_get(struct box_state *st, const char *serial,
    struct box_cert *c, struct box_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = prep(st, err, "SELECT " CERT_COLS " FROM certs WHERE"
	    " serial = ?", "t", serial)) == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		cert_row(stmt, c);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "no certificate "
		    "with serial %.24s", serial);
	if (rc != SQLITE_ROW)
		return db_error(st, err, "read certificate");
	return 0;
}

int
box_state_cert_of_key(struct box_state *st, const char *fp, int64_t now,
    int *found, struct box_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	*found = 0;
	if ((stmt = prep(st, err, "SELECT 1 FROM certs WHERE fp = ? AND"
	    " revoked_at = 0 AND valid_before > ? LIMIT 1", "ti", fp,
	    now)) == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "read certificates");
	*found = rc == SQLITE_ROW;
	return 0;
}

int
box_state_cert_revoke(struct box_state *st, const char *serial, int64_t now,
    struct box_error *err)
{
	struct box_cert c;

	if (box_state_cert_get(st, serial, &c, err) < 0)
		return -1;
	return run(st, prep(st, err, "UPDATE certs SET revoked_at = ? WHERE"
	    " serial = ? AND revoked_at = 0", "it", now, serial), err);
}

int
box_state_cert_list(struct box_state *st,
    int (*cb)(void *, const struct box_cert *), void *arg,
    struct box_error *err)
{
	struct box_cert c;
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = prep(st, err, "SELECT " CERT_COLS " FROM certs ORDER BY"
	    " issued_at DESC, serial", "")) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		cert_row(stmt, &c);
		if (cb(arg, &c) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list certificates");
	return 0;
}

int
box_state_staff_bind(struct box_state *st, const struct box_invite *inv,
    const char *fp, const char *source, int64_t now, struct box_binding *out,
    struct box_error *err)
{
	if (inv->owner[0] == '\0' || inv->uses_left != 0)
		return box_error_set(err, BOX_E_INTERNAL, 0, "a staff invite "
		    "has an owner and no use left");
	if (begin(st, err) < 0)
		return -1;
	if (box_state_invite_add(st, inv, err) < 0 ||
	    run(st, prep(st, err, "INSERT INTO bindings (fp, invite_id,"
	    " bound_at, deadline, source) VALUES (?, ?, ?, ?, ?)", "ttiit",
	    fp, inv->id, now, now + inv->ttl, source), err) < 0 ||
	    commit(st, err) < 0) {
		rollback(st);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	box_strlcpy(out->fp, fp, sizeof(out->fp));
	box_strlcpy(out->invite_id, inv->id, sizeof(out->invite_id));
	box_strlcpy(out->profile, inv->profile, sizeof(out->profile));
	box_strlcpy(out->source, source, sizeof(out->source));
	out->bound_at = now;
	out->deadline = now + inv->ttl;
	return 0;
}

int
box_state_staff_boxes(struct box_state *st, const char *owner,
    int (*cb)(void *, const struct box_box *), void *arg,
    struct box_error *err)
{
	struct box_box box;
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = prep(st, err, "SELECT " BOX_COLS " FROM boxes WHERE"
	    " status IN ('creating', 'running') AND invite_id IN (SELECT id"
	    " FROM invites WHERE owner = ?) ORDER BY created_at DESC, id", "t",
	    owner)) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		box_row(stmt, &box);
		if (cb(arg, &box) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list boxes");
	return 0;
}

/* --------------------------------------------------------------- requests */

#define REQUEST_COLS "id, principal, grp, profile, ttl, source, created_at," \
	" state, decided_at, decided_by, reason"

static void
request_row(sqlite3_stmt *stmt, struct box_request *r)
{
	memset(r, 0, sizeof(*r));
	col_text(stmt, 0, r->id, sizeof(r->id));
	col_text(stmt, 1, r->principal, sizeof(r->principal));
	col_text(stmt, 2, r->grp, sizeof(r->grp));
	col_text(stmt, 3, r->profile, sizeof(r->profile));
	r->ttl = sqlite3_column_int64(stmt, 4);
	col_text(stmt, 5, r->source, sizeof(r->source));
	r->created_at = sqlite3_column_int64(stmt, 6);
	col_text(stmt, 7, r->state, sizeof(r->state));
	r->decided_at = sqlite3_column_int64(stmt, 8);
	col_text(stmt, 9, r->decided_by, sizeof(r->decided_by));
	col_text(stmt, 10, r->reason, sizeof(r->reason));
}

int
box_state_request_add(struct box_state *st, const struct box_request *r,
    struct box_error *err)
{
	return run(st, prep(st, err, "INSERT INTO requests (" REQUEST_COLS ")"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, '', '')", "ttttiti",
	    r->id, r->principal, r->grp, r->profile, r->ttl, r->source,
	    r->created_at), err);
}

int
box_state_request_get(struct box_state *st, const char *id,
    struct box_request *r, struct box_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = prep(st, err, "SELECT " REQUEST_COLS " FROM requests"
	    " WHERE id = ?", "t", id)) == NULL)
		return -1;
	if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		request_row(stmt, r);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "no request "
		    "%.20s", id);
	if (rc != SQLITE_ROW)
		return db_error(st, err, "read request");
	return 0;
}

int
box_state_request_decide(struct box_state *st, const char *id,
    const char *state, const char *by, const char *reason, int64_t now,
    struct box_error *err)
{
	struct box_request r;

	if (begin(st, err) < 0)
		return -1;
	if (box_state_request_get(st, id, &r, err) < 0)
		goto fail;
	if (strcmp(r.state, "pending") != 0) {
		box_error_set(err, BOX_E_DENIED, 0, "request %s is %s already",
		    r.id, r.state);
		goto fail;
	}
	if (run(st, prep(st, err, "UPDATE requests SET state = ?, decided_at"
	    " = ?, decided_by = ?, reason = ? WHERE id = ? AND state ="
	    " 'pending'", "titt" "t", state, now, by, reason, id), err) < 0 ||
	    commit(st, err) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

int
box_state_request_list(struct box_state *st, int pending_only,
    int (*cb)(void *, const struct box_request *), void *arg,
    struct box_error *err)
{
	struct box_request r;
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = prep(st, err, pending_only ? "SELECT " REQUEST_COLS
	    " FROM requests WHERE state = 'pending' ORDER BY created_at, id" :
	    "SELECT " REQUEST_COLS " FROM requests ORDER BY created_at DESC,"
	    " id LIMIT 200", "")) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		request_row(stmt, &r);
		if (cb(arg, &r) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list requests");
	return 0;
}

/* ------------------------------------------------------------------ pools */

int
box_state_pool_add(struct box_state *st, const char *id, const char *profile,
    const char *runtime, int64_t now, struct box_error *err)
{
	return run(st, prep(st, err, "INSERT INTO pool (id, profile, runtime,"
	    " status, created_at) VALUES (?, ?, ?, 'creating', ?)", "ttti",
	    id, profile, runtime, now), err);
}

int
box_state_pool_ready(struct box_state *st, const char *id, const char *ref,
    struct box_error *err)
{
	if (run(st, prep(st, err, "UPDATE pool SET status = 'ready', ref = ?"
	    " WHERE id = ? AND status = 'creating'", "tt", ref, id), err) < 0)
		return -1;
	if (sqlite3_changes(st->db) != 1)
		return box_error_set(err, BOX_E_STATE, 0, "pooled box %s was "
		    "removed while it was made", id);
	return 0;
}

int
box_state_pool_remove(struct box_state *st, const char *id,
    struct box_error *err)
{
	return run(st, prep(st, err, "DELETE FROM pool WHERE id = ?", "t", id),
	    err);
}

int
box_state_pool_list(struct box_state *st,
    int (*cb)(void *, const struct box_pooled *), void *arg,
    struct box_error *err)
{
	struct box_pooled pb;
	sqlite3_stmt *stmt;
	int rc;

	if ((stmt = prep(st, err, "SELECT id, profile, runtime, ref, status,"
	    " created_at FROM pool ORDER BY created_at, id", "")) == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&pb, 0, sizeof(pb));
		col_text(stmt, 0, pb.id, sizeof(pb.id));
		col_text(stmt, 1, pb.profile, sizeof(pb.profile));
		col_text(stmt, 2, pb.runtime, sizeof(pb.runtime));
		col_text(stmt, 3, pb.ref, sizeof(pb.ref));
		col_text(stmt, 4, pb.status, sizeof(pb.status));
		pb.created_at = sqlite3_column_int64(stmt, 5);
		if (cb(arg, &pb) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list the pools");
	return 0;
}

int
box_state_pool_has(struct box_state *st, const char *id, int *has,
    struct box_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	*has = 0;
	if ((stmt = prep(st, err, "SELECT 1 FROM pool WHERE id = ?", "t",
	    id)) == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	*has = rc == SQLITE_ROW;
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    db_error(st, err, "pool");
}

int
box_state_box_set_running(struct box_state *st, const char *id,
    const char *ref, int64_t create_ms, struct box_error *err)
{
	if (begin(st, err) < 0)
		return -1;
	if (run(st, prep(st, err, "UPDATE boxes SET status = 'running',"
	    " ref = ? WHERE id = ? AND status = 'creating'", "tt", ref, id),
	    err) < 0)
		goto fail;
	if (sqlite3_changes(st->db) != 1) {
		box_error_set(err, BOX_E_STATE, 0,
		    "box %s ended while it was being created", id);
		goto fail;
	}
	if ((create_ms >= 0 && observe_create(st, create_ms, err) < 0) ||
	    commit(st, err) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

int
box_state_box_end(struct box_state *st, const char *id, const char *status,
    const char *reason, int64_t now, struct box_error *err)
{
	if (begin(st, err) < 0)
		return -1;
	if (run(st, prep(st, err, "UPDATE boxes SET status = ?, ended_at = ?,"
	    " end_reason = ? WHERE id = ? AND status IN ('creating',"
	    " 'running')", "titt", status, now, reason, id), err) < 0 ||
	    run(st, prep(st, err, "UPDATE session_log SET ended_at = ?,"
	    " end_reason = ? WHERE ended_at = 0 AND id IN (SELECT log_id"
	    " FROM sessions WHERE box_id = ?)", "itt", now, reason != NULL &&
	    *reason != '\0' ? reason : status, id), err) < 0 ||
	    run(st, prep(st, err, "DELETE FROM sessions WHERE box_id = ?",
	    "t", id), err) < 0 ||
	    commit(st, err) < 0) {
		rollback(st);
		return -1;
	}
	return 0;
}

int
box_state_box_end_idle(struct box_state *st, const char *id,
    const char *reason, int64_t now, int *ended, struct box_error *err)
{
	if (run(st, prep(st, err, "UPDATE boxes SET status = 'destroyed',"
	    " ended_at = ?, end_reason = ? WHERE id = ? AND status IN"
	    " ('creating', 'running') AND linger_until != 0 AND"
	    " linger_until <= ? AND NOT EXISTS (SELECT 1 FROM sessions"
	    " WHERE box_id = ?)", "ittit", now, reason, id, now, id), err) < 0)
		return -1;
	*ended = sqlite3_changes(st->db) == 1;
	return 0;
}

int
box_state_box_start_grace(struct box_state *st, const char *id,
    int64_t until, struct box_error *err)
{
	return run(st, prep(st, err, "UPDATE boxes SET linger_until = ?"
	    " WHERE id = ? AND linger_until = 0 AND NOT EXISTS (SELECT 1"
	    " FROM sessions WHERE box_id = ?)", "itt", until, id, id), err);
}

int
box_state_box_extend(struct box_state *st, const char *id, int64_t add,
    int64_t max_ttl, int64_t now, struct box_box *box, struct box_error *err)
{
	char most_s[32], left_s[32];
	struct box_binding b;
	int64_t deadline, most;

	if (add <= 0)
		return box_error_set(err, BOX_E_INPUT, 0, "an extension must "
		    "be more than 0s");
	if (begin(st, err) < 0)
		return -1;
	if (box_state_box_get(st, id, box, err) < 0)
		goto fail;
	if (strcmp(box->status, BOX_STATUS_RUNNING) != 0 &&
	    strcmp(box->status, BOX_STATUS_CREATING) != 0) {
		box_error_set(err, BOX_E_DENIED, 0, "box %s has already ended "
		    "(%s)", box->id, box->end_reason);
		goto fail;
	}
	if (box->deadline <= now) {
		box_error_set(err, BOX_E_DENIED, 0, "box %s is past its time "
		    "and being removed", box->id);
		goto fail;
	}
	if (box_state_binding_get(st, box->fp, &b, err) < 0)
		goto fail;
	if (b.revoked_at != 0 || b.banned_at != 0) {
		box_error_set(err, BOX_E_DENIED, 0, "the key of box %s is %s",
		    box->id, b.banned_at != 0 ? "banned" : "revoked");
		goto fail;
	}
	/* The key's whole time, from its redemption, within the most its
	 * profile allows. */
	most = b.bound_at + max_ttl;
	if (add > most - box->deadline) {
		if (most <= box->deadline)
			box_error_set(err, BOX_E_DENIED, 0, "box %s already has "
			    "the most time it may have (%s in all)",
			    box->id, box_format_duration(max_ttl, most_s,
			    sizeof(most_s)));
		else
			box_error_set(err, BOX_E_DENIED, 0, "box %s can be "
			    "extended by at most %s (it may run %s in all)",
			    box->id,
			    box_format_duration(most - box->deadline, left_s,
			    sizeof(left_s)), box_format_duration(max_ttl,
			    most_s, sizeof(most_s)));
		goto fail;
	}
	deadline = box->deadline + add;
	if (run(st, prep(st, err, "UPDATE boxes SET deadline = ? WHERE id = ?",
	    "it", deadline, box->id), err) < 0 ||
	    run(st, prep(st, err, "UPDATE bindings SET deadline = ? WHERE"
	    " fp = ? AND deadline < ?", "iti", deadline, box->fp, deadline),
	    err) < 0 ||
	    box_state_box_get(st, id, box, err) < 0 ||
	    commit(st, err) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

int
box_state_box_list(struct box_state *st, int live_only,
    int (*cb)(void *, const struct box_box *), void *arg,
    struct box_error *err)
{
	struct box_box box;
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, live_only ?
	    "SELECT " BOX_COLS " FROM boxes WHERE status IN ('creating',"
	    " 'running') ORDER BY created_at DESC, id" :
	    "SELECT " BOX_COLS " FROM boxes ORDER BY created_at DESC, id", "");
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		box_row(stmt, &box);
		if (cb(arg, &box) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list boxes");
	return 0;
}

/* --------------------------------------------------------------- sessions */

int
box_state_session_add(struct box_state *st, const char *box_id, long pid,
    long long pid_start, const struct box_session_info *si, int64_t now,
    int64_t *id, int64_t *logp, struct box_error *err)
{
	char cmd[BOX_SESSION_CMD_MAX + 1];
	int64_t log_id;

	/* The history keeps the start of a long command, marked cut. */
	box_strlcpy(cmd, si->command != NULL ? si->command : "", sizeof(cmd));
	if (si->command != NULL && strlen(si->command) >= sizeof(cmd))
		memcpy(cmd + sizeof(cmd) - 4, "...", 4);
	if (begin(st, err) < 0)
		return -1;
	if (run(st, prep(st, err, "INSERT INTO session_log (box_id, source,"
	    " command, tty, started_at, recording, recording_state) SELECT"
	    " ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM boxes WHERE"
	    " id = ? AND status IN ('creating', 'running'))", "tttnittt",
	    box_id, si->source, cmd, si->tty, now, si->recording,
	    si->recording != NULL ? BOX_RECORDING_ACTIVE : "", box_id),
	    err) < 0)
		goto fail;
	if (sqlite3_changes(st->db) != 1) {
		box_error_set(err, BOX_E_NOTFOUND, 0,
		    "box %s ended before the session could attach", box_id);
		goto fail;
	}
	log_id = sqlite3_last_insert_rowid(st->db);
	if (run(st, prep(st, err, "INSERT INTO sessions (box_id, pid,"
	    " pid_start, source, started_at, log_id) VALUES (?, ?, ?, ?, ?,"
	    " ?)", "tiitii", box_id, (int64_t)pid, (int64_t)pid_start,
	    si->source, now, log_id), err) < 0)
		goto fail;
	*id = sqlite3_last_insert_rowid(st->db);
	if (logp != NULL)
		*logp = log_id;
	if (run(st, prep(st, err, "UPDATE boxes SET linger_until = 0"
	    " WHERE id = ?", "t", box_id), err) < 0 || commit(st, err) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

int
box_state_session_end(struct box_state *st, int64_t id, int64_t now,
    int64_t linger, const struct box_session_result *res, int *last,
    struct box_error *err)
{
	static const struct box_session_result lost = { -1, "lost", -1, -1,
	    NULL };
	char box_id[BOX_ID_LEN + 1] = "";
	sqlite3_stmt *stmt;
	long long left = 0;
	int rc;

	*last = 0;
	if (begin(st, err) < 0)
		return -1;
	stmt = prep(st, err, "SELECT box_id FROM sessions WHERE id = ?", "i",
	    id);
	if (stmt == NULL)
		goto fail;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		col_text(stmt, 0, box_id, sizeof(box_id));
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return commit(st, err);		/* already removed */
	if (rc != SQLITE_ROW) {
		db_error(st, err, "read session");
		goto fail;
	}
	if (res == NULL)
		res = &lost;
	if (run(st, prep(st, err, "UPDATE session_log SET ended_at = ?,"
	    " exit_status = ?, end_reason = ?, bytes_in = ?, bytes_out = ?"
	    " WHERE ended_at = 0 AND id = (SELECT log_id FROM sessions WHERE"
	    " id = ?)", "iItIIi", now, (int64_t)res->exit_status,
	    res->reason != NULL ? res->reason : "", (int64_t)res->bytes_in,
	    (int64_t)res->bytes_out, id), err) < 0 ||
	    /* Nobody will finish the recording of a session lost. */
	    (res == &lost && run(st, prep(st, err, "UPDATE session_log SET"
	    " recording_state = ? WHERE recording_state = ? AND id ="
	    " (SELECT log_id FROM sessions WHERE id = ?)", "tti",
	    BOX_RECORDING_INCOMPLETE, BOX_RECORDING_ACTIVE, id), err) < 0) ||
	    run(st, prep(st, err, "DELETE FROM sessions WHERE id = ?", "i",
	    id), err) < 0)
		goto fail;
	stmt = prep(st, err, "SELECT count(*) FROM sessions WHERE box_id = ?",
	    "t", box_id);
	if (stmt == NULL)
		goto fail;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		left = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (left == 0) {
		*last = 1;
		if (run(st, prep(st, err, "UPDATE boxes SET linger_until = ?"
		    " WHERE id = ? AND status IN ('creating', 'running')",
		    "it", now + (linger > 0 ? linger : 0), box_id), err) < 0)
			goto fail;
	}
	return commit(st, err);
fail:
	rollback(st);
	return -1;
}

int
box_state_session_list(struct box_state *st, const char *box_id,
    int (*cb)(void *, const struct box_session *), void *arg,
    struct box_error *err)
{
	struct box_session s;
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT id, box_id, pid, pid_start, source,"
	    " started_at, log_id FROM sessions WHERE box_id = ? ORDER BY id",
	    "t", box_id);
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&s, 0, sizeof(s));
		s.id = sqlite3_column_int64(stmt, 0);
		col_text(stmt, 1, s.box_id, sizeof(s.box_id));
		s.pid = (long)sqlite3_column_int64(stmt, 2);
		s.pid_start = sqlite3_column_int64(stmt, 3);
		col_text(stmt, 4, s.source, sizeof(s.source));
		s.started_at = sqlite3_column_int64(stmt, 5);
		s.log_id = sqlite3_column_int64(stmt, 6);
		if (cb(arg, &s) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list sessions");
	return 0;
}

/* ------------------------------------------------------------------ audit */

#define HISTORY_COLS "l.id, l.box_id, b.fp, b.invite_id, b.profile," \
	" l.source, l.command, l.tty, l.started_at, l.ended_at," \
	" l.exit_status, l.end_reason, l.bytes_in, l.bytes_out," \
	" l.recording, l.recording_state"

static void
history_row(sqlite3_stmt *stmt, struct box_session_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(stmt, 0);
	col_text(stmt, 1, r->box_id, sizeof(r->box_id));
	col_text(stmt, 2, r->fp, sizeof(r->fp));
	col_text(stmt, 3, r->invite_id, sizeof(r->invite_id));
	col_text(stmt, 4, r->profile, sizeof(r->profile));
	col_text(stmt, 5, r->source, sizeof(r->source));
	col_text(stmt, 6, r->command, sizeof(r->command));
	r->tty = sqlite3_column_int(stmt, 7);
	r->started_at = sqlite3_column_int64(stmt, 8);
	r->ended_at = sqlite3_column_int64(stmt, 9);
	r->exit_status = sqlite3_column_type(stmt, 10) == SQLITE_NULL ?
	    -1 : sqlite3_column_int(stmt, 10);
	col_text(stmt, 11, r->end_reason, sizeof(r->end_reason));
	r->bytes_in = sqlite3_column_type(stmt, 12) == SQLITE_NULL ?
	    -1 : sqlite3_column_int64(stmt, 12);
	r->bytes_out = sqlite3_column_type(stmt, 13) == SQLITE_NULL ?
	    -1 : sqlite3_column_int64(stmt, 13);
	col_text(stmt, 14, r->recording, sizeof(r->recording));
	col_text(stmt, 15, r->recording_state, sizeof(r->recording_state));
}

int
box_state_session_get(struct box_state *st, int64_t log_id,
    struct box_session_row *r, struct box_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT " HISTORY_COLS " FROM session_log l"
	    " LEFT JOIN boxes b ON b.id = l.box_id WHERE l.id = ?", "i",
	    log_id);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		history_row(stmt, r);
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return box_error_set(err, BOX_E_NOTFOUND, 0,
		    "no session %lld", (long long)log_id);
	if (rc != SQLITE_ROW)
		return db_error(st, err, "read session");
	return 0;
}

int
box_state_session_recording(struct box_state *st, int64_t log_id,
    const char *state, struct box_error *err)
{
	return run(st, prep(st, err, "UPDATE session_log SET recording_state"
	    " = ? WHERE id = ? AND recording IS NOT NULL", "ti", state,
	    log_id), err);
}

int
box_state_session_history(struct box_state *st, int live_only,
    const char *box_id, int limit,
    int (*cb)(void *, const struct box_session_row *), void *arg,
    struct box_error *err)
{
	struct box_session_row r;
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT " HISTORY_COLS " FROM session_log l"
	    " LEFT JOIN boxes b ON b.id = l.box_id"
	    " WHERE (? = 0 OR l.ended_at = 0) AND (? IS NULL OR l.box_id = ?)"
	    " ORDER BY l.id DESC LIMIT ?", "nttn", live_only, box_id, box_id,
	    limit > 0 ? limit : -1);
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		history_row(stmt, &r);
		if (cb(arg, &r) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list session history");
	return 0;
}

int
box_state_audit_list(struct box_state *st, int64_t since,
    const char *box_id, const char *invite_id, int limit,
    int (*cb)(void *, const struct box_audit_row *), void *arg,
    struct box_error *err)
{
	struct box_audit_row r;
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT id, at, event, invite_id, box_id, fp,"
	    " source, detail FROM audit WHERE at >= ?"
	    " AND (? IS NULL OR box_id = ?) AND (? IS NULL OR invite_id = ?)"
	    " ORDER BY id LIMIT ?", "ittttn", since, box_id, box_id,
	    invite_id, invite_id, limit > 0 ? limit : -1);
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(stmt, 0);
		r.at = sqlite3_column_int64(stmt, 1);
		col_text(stmt, 2, r.event, sizeof(r.event));
		col_text(stmt, 3, r.invite_id, sizeof(r.invite_id));
		col_text(stmt, 4, r.box_id, sizeof(r.box_id));
		col_text(stmt, 5, r.fp, sizeof(r.fp));
		col_text(stmt, 6, r.source, sizeof(r.source));
		col_text(stmt, 7, r.detail, sizeof(r.detail));
		if (cb(arg, &r) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list audit");
	return 0;
}

void
box_state_audit_file(struct box_state *st, const char *path)
{
	box_strlcpy(st->audit_file, path != NULL ? path : "",
	    sizeof(st->audit_file));
}

size_t
box_state_audit_json(char *out, size_t outsz, int64_t at, const char *event,
    const char *invite_id, const char *box_id, const char *fp,
    const char *source, const char *detail)
{
	static const char *const names[] = { "event", "invite", "box", "key",
	    "source", "detail" };
	const char *vals[] = { event, invite_id, box_id, fp, source, detail };
	char when[32];
	struct tm tm;
	time_t t = (time_t)at;
	size_t o, i, room;
	int n;

	/* Room for the closing brace is kept back throughout. */
	if (outsz < 64)
		return 0;
	room = outsz - 1;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		box_strlcpy(when, "?", sizeof(when));
	n = snprintf(out, room, "{\"at\":\"%s\",\"time\":%lld", when,
	    (long long)at);
	if (n < 0 || (size_t)n >= room)
		return 0;
	o = (size_t)n;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (box_json_field(out, room, &o, names[i], vals[i], i == 5 ?
		    BOX_AUDIT_DETAIL_MAX : BOX_AUDIT_FIELD_MAX) < 0)
			break;
	out[o++] = '}';
	out[o] = '\0';
	return o;
}

static int
audit_to(struct box_state *st, int db, int64_t now, const char *event,
    const char *invite_id, const char *box_id, const char *fp,
    const char *source, const char *detail)
{
	struct box_error err;
	char line[BOX_AUDIT_LINE_MAX];
	size_t n;
	int fd, rc = 0;

	if (db) {
		/* The event and its counter together, or neither. */
		int own = sqlite3_get_autocommit(st->db);

		if ((own && begin(st, &err) < 0) ||
		    run(st, prep(st, &err, "INSERT INTO audit (at, event,"
		    " invite_id, box_id, fp, source, detail) VALUES"
		    " (?, ?, ?, ?, ?, ?, ?)", "ittttt" "t", now, event,
		    invite_id, box_id, fp, source, detail), &err) < 0 ||
		    count_event(st, event, detail, &err) < 0 ||
		    (own && commit(st, &err) < 0)) {
			if (own)
				rollback(st);
			rc = -1;
		}
	} else if (count_event(st, event, detail, &err) < 0)
		rc = -1;	/* a counter does not grow the state */
	if (rc < 0)
		box_log(LOG_ERR, "audit %s: %s", event, err.msg);
	/* Syslog: one line, whatever the fields hold (escaped there). */
	box_log_event(event, invite_id, box_id, fp, source, detail);
	if (st->audit_file[0] == '\0')
		return rc;
	n = box_state_audit_json(line, sizeof(line) - 1, now, event,
	    invite_id, box_id, fp, source, detail);
	line[n++] = '\n';
	fd = open(st->audit_file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0 || write(fd, line, n) != (ssize_t)n) {
		box_log(LOG_ERR, "audit file %s: %s", st->audit_file,
		    strerror(errno));
		rc = -1;
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

int
box_state_audit(struct box_state *st, int64_t now, const char *event,
    const char *invite_id, const char *box_id, const char *fp,
    const char *source, const char *detail)
{
	return audit_to(st, 1, now, event, invite_id, box_id, fp, source,
	    detail);
}

int
box_state_audit_nodb(struct box_state *st, int64_t now, const char *event,
    const char *invite_id, const char *box_id, const char *fp,
    const char *source, const char *detail)
{
	return audit_to(st, 0, now, event, invite_id, box_id, fp, source,
	    detail);
}

int
box_state_audit_count(struct box_state *st, const char *event,
    long long *count, struct box_error *err)
{
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT count(*) FROM audit WHERE event = ?",
	    "t", event);
	if (stmt == NULL)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW)
		return db_error(st, err, "count audit");
	return 0;
}

int
box_state_live_by_profile(struct box_state *st,
    int (*cb)(void *, const char *, long long, long long), void *arg,
    struct box_error *err)
{
	char profile[BOX_PROFILE_NAME_MAX + 1];
	sqlite3_stmt *stmt;
	int rc;

	stmt = prep(st, err, "SELECT profile, count(*), sum((SELECT count(*)"
	    " FROM sessions s WHERE s.box_id = boxes.id)) FROM boxes WHERE"
	    " status IN ('creating', 'running') GROUP BY profile"
	    " ORDER BY profile", "");
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		col_text(stmt, 0, profile, sizeof(profile));
		if (cb(arg, profile, sqlite3_column_int64(stmt, 1),
		    sqlite3_column_int64(stmt, 2)) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "count live boxes");
	return 0;
}

/* -------------------------------------------------------------- retention */

int
box_state_prune_audit(struct box_state *st, int64_t cutoff, int limit,
    long long *n, struct box_error *err)
{
	*n = 0;
	if (run(st, prep(st, err, "DELETE FROM audit WHERE id IN (SELECT id"
	    " FROM audit WHERE at < ? ORDER BY at LIMIT ?)", "in", cutoff,
	    limit), err) < 0)
		return -1;
	*n = sqlite3_changes(st->db);
	return 0;
}

/*
 * Which history rows retention may take: ended before the cutoff, not a
 * live session's, and naming no recording or one whose name sshbox could
 * have written (the C check, box_record_valid_name, decides again before
 * any file is touched).  A row naming anything else is left for an
 * administrator to see, and never takes a place in a batch.
 */
#define PRUNABLE_SESSION \
	"l.ended_at > 0 AND l.ended_at < ?1" \
	" AND l.id NOT IN (SELECT log_id FROM sessions)" \
	" AND (l.recording IS NULL OR l.recording = '' OR" \
	" (length(l.recording) < 128 AND l.recording NOT GLOB '.*' AND" \
	" l.recording NOT GLOB '*[^A-Za-z0-9._-]*'))"

int
box_state_prune_sessions_list(struct box_state *st, int64_t cutoff,
    int64_t after_ended, int64_t after_id, int limit,
    int (*cb)(void *, const struct box_prune_row *), void *arg,
    struct box_error *err)
{
	struct box_prune_row r;
	sqlite3_stmt *stmt;
	int rc;

	/* A file that a kept row (live, or within the retention) also
	 * names is shared: the row may go, the file stays. */
	stmt = prep(st, err, "SELECT l.id, l.ended_at, l.recording,"
	    " l.recording IS NOT NULL AND l.recording != '' AND EXISTS"
	    " (SELECT 1 FROM session_log o WHERE o.recording = l.recording"
	    " AND o.id != l.id AND (o.ended_at = 0 OR o.ended_at >= ?1))"
	    " FROM session_log l WHERE " PRUNABLE_SESSION
	    " AND (l.ended_at, l.id) > (?2, ?3)"
	    " ORDER BY l.ended_at, l.id LIMIT ?4", "iiin", cutoff,
	    after_ended, after_id, limit);
	if (stmt == NULL)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(stmt, 0);
		r.ended_at = sqlite3_column_int64(stmt, 1);
		col_text(stmt, 2, r.recording, sizeof(r.recording));
		r.shared = sqlite3_column_int(stmt, 3);
		if (cb(arg, &r) != 0)
			break;
	}
	sqlite3_finalize(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "list old sessions");
	return 0;
}

int
box_state_prune_sessions(struct box_state *st, const int64_t *ids,
    size_t n, int64_t cutoff, long long *deleted, struct box_error *err)
{
	size_t i;

	*deleted = 0;
	if (n == 0)
		return 0;
	if (begin(st, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		/* Checked again here: only what is still prunable goes. */
		if (run(st, prep(st, err, "DELETE FROM session_log AS l WHERE"
		    " l.id = ?2 AND " PRUNABLE_SESSION, "ii", cutoff, ids[i]),
		    err) < 0)
			goto fail;
		*deleted += sqlite3_changes(st->db);
	}
	if (commit(st, err) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	*deleted = 0;
	return -1;
}
