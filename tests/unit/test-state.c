/* Unit tests for lib/state/state.c on a real SQLite file in a temporary dir. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "state/state.h"
#include "tap.h"
#include "core/util.h"

static char dir[] = "/tmp/test-state.XXXXXX";
static char db[128];

static void
mk_invite(struct box_state *st, const char *id, int uses, int64_t redeem_by)
{
	struct box_invite inv;
	struct box_error err;

	memset(&inv, 0, sizeof(inv));
	box_strlcpy(inv.id, id, sizeof(inv.id));
	box_strlcpy(inv.profile, "dev", sizeof(inv.profile));
	inv.ttl = 600;
	inv.created_at = 1000;
	inv.redeem_by = redeem_by;
	inv.uses_total = inv.uses_left = uses;
	box_token_hash(id, inv.token_hash);	/* the "token" is the id */
	if (box_state_invite_add(st, &inv, &err) < 0)
		diag("invite_add: %s", err.msg);
}

static int
uses_left(struct box_state *st, const char *id)
{
	struct box_invite inv;
	struct box_error err;

	if (box_state_invite_get(st, id, &inv, &err) < 0)
		return -100;
	return inv.uses_left;
}

static int
redeem(struct box_state *st, const char *id, const char *token,
    const char *fp, int64_t now, struct box_error *err)
{
	char hash[BOX_TOKEN_HASH_LEN + 1];
	struct box_binding b;

	box_token_hash(token, hash);
	return box_state_redeem(st, id, hash, fp, "127.0.0.1", now, &b, err);
}

static void
test_open(void)
{
	struct box_state *st;
	struct box_error err;
	sqlite3 *raw;

	ok(box_state_open(db, 0, &st, &err) < 0 && err.kind == BOX_E_NOTFOUND,
	    "open without create: missing file is NOTFOUND");
	ok(box_state_open(db, 1, &st, &err) == 0, "create");
	is_int(box_state_schema_version(st), BOX_STATE_SCHEMA, "schema set");
	box_state_close(st);
	ok(box_state_open(db, 0, &st, &err) == 0, "reopen");
	box_state_close(st);

	/* A newer schema is refused, an older one needs init. */
	sqlite3_open(db, &raw);
	sqlite3_exec(raw, "PRAGMA user_version=99", NULL, NULL, NULL);
	sqlite3_close(raw);
	ok(box_state_open(db, 1, &st, &err) < 0 &&
	    strstr(err.msg, "newer") != NULL, "newer schema refused");
	unlink(db);
	ok(box_state_open(db, 1, &st, &err) == 0, "a fresh one again");
	box_state_close(st);
}

/* Read a whole fixture file. */
static char *
slurp(const char *path)
{
	char *buf;
	long n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if ((buf = malloc((size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * Every earlier schema, from the databases those versions wrote
 * (tests/unit/fixtures/state-vN.sql, dumps of box-invite init and create
 * of that version plus a binding, a box and a session), migrates to the
 * current one with nothing lost.
 */
static void
test_migrations(void)
{
	char path[256], fix[512], name[128];
	struct box_state *st;
	struct box_error err;
	struct box_box box;
	struct box_invite inv;
	sqlite3 *raw;
	char *sql;
	int v;

	for (v = 1; v < BOX_STATE_SCHEMA; v++) {
		snprintf(fix, sizeof(fix), "%s/state-v%d.sql", FIXTURE_DIR, v);
		snprintf(path, sizeof(path), "%s/v%d.db", dir, v);
		if ((sql = slurp(fix)) == NULL) {
			ok(0, "fixture missing");
			continue;
		}
		sqlite3_open(path, &raw);
		snprintf(name, sizeof(name), "schema %d: the fixture loads", v);
		ok(sqlite3_exec(raw, sql, NULL, NULL, NULL) == SQLITE_OK, name);
		sqlite3_close(raw);
		free(sql);
		snprintf(name, sizeof(name), "schema %d: not migrated without "
		    "create (box-invite init does it)", v);
		ok(box_state_open(path, 0, &st, &err) < 0 &&
		    strstr(err.msg, "box-invite init") != NULL, name);
		snprintf(name, sizeof(name), "schema %d: migrates to %d", v,
		    BOX_STATE_SCHEMA);
		if (!ok(box_state_open(path, 1, &st, &err) == 0 &&
		    box_state_schema_version(st) == BOX_STATE_SCHEMA, name))
			diag("%s", err.msg);
		snprintf(name, sizeof(name), "schema %d: its box, with its "
		    "session, kept and known as Docker's", v);
		snprintf(fix, sizeof(fix), "f00000000000000%d", v);
		ok(box_state_box_get(st, fix, &box, &err) == 0 &&
		    strcmp(box.status, "running") == 0 && box.sessions == 1 &&
		    strcmp(box.runtime, "docker") == 0 &&
		    box.deadline == 1700000600, name);
		snprintf(name, sizeof(name), "schema %d: its invite and note "
		    "kept", v);
		ok(box_state_invite_get(st, box.invite_id, &inv, &err) == 0 &&
		    inv.uses_total == 1 && strstr(inv.note, "fixture") != NULL,
		    name);
		if (v >= 4) {
			struct box_session_row row;

			snprintf(name, sizeof(name), "schema %d: its session "
			    "history kept, with no recording", v);
			ok(box_state_session_get(st, 2, &row, &err) == 0 &&
			    strcmp(row.command, "uname -a") == 0 &&
			    row.bytes_out == 34 && row.recording[0] == '\0',
			    name);
		}
		box_state_close(st);
		snprintf(name, sizeof(name), "schema %d: opening again changes "
		    "nothing", v);
		ok(box_state_open(path, 0, &st, &err) == 0, name);
		box_state_close(st);
	}
}

static void
test_corrupt(void)
{
	char bad[160];
	struct box_state *st;
	struct box_error err;
	FILE *f;

	snprintf(bad, sizeof(bad), "%s/corrupt.db", dir);
	f = fopen(bad, "w");
	fputs("this is not a database, it is a file full of words.........."
	    "................................................................",
	    f);
	fclose(f);
	ok(box_state_open(bad, 0, &st, &err) < 0 && err.kind == BOX_E_STATE,
	    "corrupt file refused with a state error");
	diag("%s", err.msg);
}

static void
test_redeem(void)
{
	struct box_state *st;
	struct box_error err;
	struct box_binding b;
	long long n = 0;

	box_state_open(db, 0, &st, &err);
	mk_invite(st, "aaaaaaaaaaaaaaaa", 1, 0);
	mk_invite(st, "bbbbbbbbbbbbbbbb", 2, 2000);
	mk_invite(st, "cccccccccccccccc", 1, 0);

	ok(redeem(st, "aaaaaaaaaaaaaaaa", "wrong", "SHA256:k1", 1500,
	    &err) < 0 && err.kind == BOX_E_DENIED &&
	    strstr(err.msg, "does not match") != NULL,
	    "token hash mismatch refused");
	is_int(uses_left(st, "aaaaaaaaaaaaaaaa"), 1, "nothing consumed");
	ok(redeem(st, "dddddddddddddddd", "dddddddddddddddd", "SHA256:k1",
	    1500, &err) < 0 && err.kind == BOX_E_DENIED, "unknown invite");
	ok(redeem(st, "aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", "SHA256:k1",
	    1500, &err) == 0, "redeem");
	is_int(uses_left(st, "aaaaaaaaaaaaaaaa"), 0, "one use consumed");
	ok(box_state_binding_get(st, "SHA256:k1", &b, &err) == 0 &&
	    strcmp(b.invite_id, "aaaaaaaaaaaaaaaa") == 0 &&
	    b.deadline == 1500 + 600 && b.revoked_at == 0, "binding stored");
	ok(redeem(st, "aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", "SHA256:k2",
	    1500, &err) < 0 && strstr(err.msg, "already been used") != NULL,
	    "reuse refused");
	ok(redeem(st, "bbbbbbbbbbbbbbbb", "bbbbbbbbbbbbbbbb", "SHA256:k1",
	    1500, &err) < 0 && strstr(err.msg, "already redeemed") != NULL,
	    "a bound key cannot redeem again");
	is_int(uses_left(st, "bbbbbbbbbbbbbbbb"), 2, "nothing consumed");
	ok(redeem(st, "bbbbbbbbbbbbbbbb", "bbbbbbbbbbbbbbbb", "SHA256:k3",
	    2001, &err) < 0 && strstr(err.msg, "expired") != NULL,
	    "expired refused");
	is_int(uses_left(st, "bbbbbbbbbbbbbbbb"), 2, "nothing consumed");
	ok(box_state_invite_revoke(st, "cccccccccccccccc", 1600, &err) == 0,
	    "revoke");
	ok(redeem(st, "cccccccccccccccc", "cccccccccccccccc", "SHA256:k3",
	    1700, &err) < 0 && strstr(err.msg, "revoked") != NULL,
	    "revoked refused");
	ok(box_state_invite_revoke(st, "eeeeeeeeeeeeeeee", 1600, &err) < 0 &&
	    err.kind == BOX_E_NOTFOUND, "revoke of unknown invite");
	ok(box_state_binding_get(st, "SHA256:nobody", &b, &err) < 0 &&
	    err.kind == BOX_E_NOTFOUND, "unknown key NOTFOUND");
	ok(box_state_audit(st, 1, "x", NULL, NULL, NULL, NULL, NULL) == 0 &&
	    box_state_audit(st, 1, "x", "a", "b", "c", "d", "e") == 0 &&
	    box_state_audit_count(st, "x", &n, &err) == 0 && n == 2, "audit");
	box_state_close(st);
}

/* Eight processes race for one single-use invite: exactly one wins. */
static void
test_race(void)
{
	struct box_state *st;
	struct box_error err;
	int i, wins = 0, status;
	pid_t pids[8];

	box_state_open(db, 0, &st, &err);
	mk_invite(st, "ffffffffffffffff", 1, 0);
	box_state_close(st);
	for (i = 0; i < 8; i++) {
		if ((pids[i] = fork()) == 0) {
			char fp[32];

			snprintf(fp, sizeof(fp), "SHA256:race%d", i);
			if (box_state_open(db, 0, &st, &err) < 0)
				_exit(2);
			_exit(redeem(st, "ffffffffffffffff",
			    "ffffffffffffffff", fp, 1500, &err) == 0 ? 0 :
			    err.kind == BOX_E_DENIED ? 1 : 3);
		}
	}
	for (i = 0; i < 8; i++) {
		waitpid(pids[i], &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			wins++;
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
			diag("racer %d: unexpected status %d", i, status);
	}
	is_int(wins, 1, "exactly one of eight racers wins");
	box_state_open(db, 0, &st, &err);
	is_int(uses_left(st, "ffffffffffffffff"), 0, "use count is 0, not -7");
	box_state_close(st);
}

static void
test_rate(void)
{
	struct box_state *st;
	struct box_error err;
	int i, ok_count = 0;

	box_state_open(db, 0, &st, &err);
	for (i = 0; i < 5; i++)
		if (box_state_rate_check(st, "10.0.0.1", 5000, 60, 3, &err) == 0)
			ok_count++;
	is_int(ok_count, 3, "three attempts allowed in the window");
	ok(err.kind == BOX_E_RATE, "then refused with a rate error");
	ok(box_state_rate_check(st, "10.0.0.2", 5000, 60, 3, &err) == 0,
	    "another source is not limited");
	ok(box_state_rate_check(st, "10.0.0.1", 5061, 60, 3, &err) == 0,
	    "allowed again after the window");
	box_state_close(st);
}

static int
count_cb(void *arg, const struct box_box *b)
{
	(*(int *)arg)++;
	return 0;
}

static void
test_boxes(void)
{
	struct box_state *st;
	struct box_error err;
	struct box_binding b;
	struct box_box box, box2;
	struct box_session_info si = { "s", "", 0, NULL };
	struct box_session_result res = { 3, "exited", 10, 20, NULL };
	int created = -1, last = -1, ended = -1, n = 0;
	int64_t s1, s2;

	box_state_open(db, 0, &st, &err);
	box_state_binding_get(st, "SHA256:k1", &b, &err);
	ok(box_state_box_claim(st, &b, "1111111111111111", "s", "docker", NULL,
	    1500, &box,
	    &created, &err) == 0 && created == 1 &&
	    strcmp(box.status, "creating") == 0, "claim creates");
	ok(box_state_box_claim(st, &b, "2222222222222222", "s", "docker", NULL,
	    1501, &box2,
	    &created, &err) == 0 && created == 0 &&
	    strcmp(box2.id, "1111111111111111") == 0,
	    "second claim attaches to the same box");
	ok(box_state_box_set_running(st, box.id, "ref1", &err) == 0,
	    "running");
	ok(box_state_session_add(st, box.id, 100, 5, &si, 1502,
	    &s1, NULL, &err) == 0, "session 1");
	ok(box_state_session_add(st, box.id, 101, 6, &si, 1502,
	    &s2, NULL, &err) == 0, "session 2");
	box_state_box_get(st, box.id, &box, &err);
	is_int(box.sessions, 2, "two sessions attached");
	ok(box_state_session_end(st, s1, 1600, 30, &res, &last, &err) == 0 &&
	    last == 0, "ending one is not the last");
	ok(box_state_session_end(st, s2, 1600, 30, NULL, &last, &err) == 0 &&
	    last == 1, "ending the other is");
	box_state_box_get(st, box.id, &box, &err);
	is_int(box.linger_until, 1630, "linger clock started");
	ok(box_state_box_end_idle(st, box.id, "linger over", 1620, &ended,
	    &err) == 0 && ended == 0, "not ended before linger is over");
	ok(box_state_session_add(st, box.id, 102, 7, &si, 1625,
	    &s1, NULL, &err) == 0, "reattach during linger");
	box_state_box_get(st, box.id, &box, &err);
	is_int(box.linger_until, 0, "reattach stops the linger clock");
	ok(box_state_box_end_idle(st, box.id, "linger over", 1700, &ended,
	    &err) == 0 && ended == 0, "not ended with a session attached");
	box_state_session_end(st, s1, 1700, 0, &res, &last, &err);
	ok(box_state_box_end_idle(st, box.id, "linger over", 1700, &ended,
	    &err) == 0 && ended == 1, "ended when idle and linger over");
	box_state_box_get(st, box.id, &box, &err);
	is_str(box.status, "destroyed", "status destroyed");
	is_str(box.end_reason, "linger over", "reason kept");
	ok(box_state_session_add(st, box.id, 103, 8, &si, 1701,
	    &s1, NULL, &err) < 0 && err.kind == BOX_E_NOTFOUND,
	    "no session can attach to an ended box");
	ok(box_state_box_end(st, box.id, "failed", "other", 1800, &err) == 0,
	    "ending again is fine");
	box_state_box_get(st, box.id, &box, &err);
	is_str(box.end_reason, "linger over", "first reason kept");
	ok(box_state_box_set_running(st, box.id, "x", &err) < 0,
	    "an ended box cannot become running");
	ok(box_state_box_claim(st, &b, "3333333333333333", "s", "docker", NULL,
	    1800, &box2,
	    &created, &err) == 0 && created == 1, "a new box after the end");
	ok(box_state_box_list(st, 1, count_cb, &n, &err) == 0 && n == 1,
	    "one live box listed");
	n = 0;
	ok(box_state_box_list(st, 0, count_cb, &n, &err) == 0 && n == 2,
	    "two boxes in all");
	box_state_close(st);
}

/* Limits on live boxes: global, per invite, per source, all atomic. */
static void
test_limits(void)
{
	struct box_limits lim = { 4, 2, 2 };
	struct box_state *st;
	struct box_error err;
	struct box_binding b[5];
	struct box_box box;
	char fp[32], id[17];
	int i, created;

	box_state_open(db, 0, &st, &err);
	mk_invite(st, "1000000000000000", 10, 0);
	mk_invite(st, "2000000000000000", 10, 0);
	for (i = 0; i < 5; i++) {
		snprintf(fp, sizeof(fp), "SHA256:lim%d", i);
		redeem(st, i < 3 ? "1000000000000000" : "2000000000000000",
		    i < 3 ? "1000000000000000" : "2000000000000000", fp, 1500,
		    &err);
		box_state_binding_get(st, fp, &b[i], &err);
	}
	/* Live before: the one box of SHA256:k1 from test_boxes ("s"). */
	ok(box_state_box_claim(st, &b[0], "a000000000000000", "10.1.1.1", "docker",
	    &lim, 1600, &box, &created, &err) == 0 && created,
	    "first box of the invite");
	ok(box_state_box_claim(st, &b[1], "a000000000000001", "10.1.1.1", "docker",
	    &lim, 1600, &box, &created, &err) == 0 && created,
	    "second box of the invite, second from the source");
	ok(box_state_box_claim(st, &b[2], "a000000000000002", "10.1.1.2", "docker",
	    &lim, 1600, &box, &created, &err) < 0 && err.kind == BOX_E_RATE &&
	    strstr(err.msg, "invite") != NULL,
	    "third box of the invite refused");
	ok(box_state_box_claim(st, &b[3], "a000000000000003", "10.1.1.1", "docker",
	    &lim, 1600, &box, &created, &err) < 0 && err.kind == BOX_E_RATE &&
	    strstr(err.msg, "address") != NULL,
	    "third box from the source refused");
	ok(box_state_box_claim(st, &b[3], "a000000000000003", "10.1.1.3", "docker",
	    &lim, 1600, &box, &created, &err) == 0 && created,
	    "another invite from another address is fine");
	ok(box_state_box_claim(st, &b[4], "a000000000000004", "10.1.1.4", "docker",
	    &lim, 1600, &box, &created, &err) < 0 && err.kind == BOX_E_RATE &&
	    strstr(err.msg, "bastion") != NULL,
	    "fifth live box on the bastion refused (global limit 4)");
	ok(box_state_box_claim(st, &b[0], "a000000000000009", "10.9.9.9", "docker",
	    &lim, 1600, &box, &created, &err) == 0 && !created,
	    "attaching to an existing box is never limited");
	box_state_box_end(st, "a000000000000000", "destroyed", "test", 1700,
	    &err);
	ok(box_state_box_claim(st, &b[4], "a000000000000004", "10.1.1.4", "docker",
	    &lim, 1700, &box, &created, &err) == 0 && created,
	    "room again once a box ended");
	snprintf(id, sizeof(id), "%s", box.id);
	is_str(id, "a000000000000004", "the new box is the one claimed");
	box_state_close(st);
}

/*
 * What the claim reads again under its lock: a revoked invite or a passed
 * deadline gets no box, whatever the caller read before (finding 6).
 */
static void
test_claim_recheck(void)
{
	struct box_state *st;
	struct box_error err;
	struct box_binding b;
	struct box_box box;
	struct box_invite inv;
	int created = -1, n = 0;

	box_state_open(db, 0, &st, &err);
	mk_invite(st, "3000000000000000", 2, 0);
	redeem(st, "3000000000000000", "3000000000000000", "SHA256:rv", 1500,
	    &err);
	ok(box_state_binding_get(st, "SHA256:rv", &b, &err) == 0 &&
	    b.revoked_at == 0, "a live binding, read before the revocation");
	box_state_invite_revoke(st, "3000000000000000", 1510, &err);
	box_error_clear(&err);
	ok(box_state_box_claim(st, &b, "b000000000000000", "s", "docker", NULL, 1520,
	    &box, &created, &err) < 0 && err.kind == BOX_E_DENIED &&
	    strcmp(err.msg, "this invite was revoked") == 0,
	    "claim with a binding read before revocation: refused");
	ok(box_state_box_get(st, "b000000000000000", &box, &err) < 0 &&
	    err.kind == BOX_E_NOTFOUND, "and no box row was made");

	mk_invite(st, "4000000000000000", 2, 0);
	redeem(st, "4000000000000000", "4000000000000000", "SHA256:dl", 1500,
	    &err);
	box_state_binding_get(st, "SHA256:dl", &b, &err);
	box_error_clear(&err);
	ok(box_state_box_claim(st, &b, "b000000000000001", "s", "docker", NULL,
	    b.deadline, &box, &created, &err) < 0 &&
	    err.kind == BOX_E_DENIED && strstr(err.msg, "time is over") != NULL,
	    "claim at the binding's deadline: refused");
	ok(box_state_box_claim(st, &b, "b000000000000001", "s", "docker", NULL,
	    b.deadline - 1, &box, &created, &err) == 0 && created == 1,
	    "a second before it: the box is made");

	/* Rows are the box account's: what they say reaches an admin's
	 * terminal only without control characters. */
	{
		sqlite3 *raw;

		sqlite3_open(db, &raw);
		sqlite3_exec(raw, "UPDATE invites SET note = 'a' || char(27) ||"
		    " '[2J' || char(155) || 'b' || char(127)"
		    " WHERE id = '4000000000000000'", NULL, NULL, NULL);
		sqlite3_close(raw);
	}
	ok(box_state_invite_get(st, "4000000000000000", &inv, &err) == 0,
	    "a row with control characters reads");
	is_str(inv.note, "a?[2J??b?", "its control characters are gone");
	(void)n;
	box_state_close(st);
}

/* The state file is opened without following a link. */
static void
test_nofollow(void)
{
	char link[300];
	struct box_state *st;
	struct box_error err;

	snprintf(link, sizeof(link), "%s/link.db", dir);
	if (symlink(db, link) < 0) {
		ok(0, "symlink");
		return;
	}
	ok(box_state_open(link, 0, &st, &err) < 0,
	    "a state path that is a symbolic link is refused");
	unlink(link);
}

struct hist {
	struct box_session_row r[8];
	int	 n;
};

static int
hist_cb(void *arg, const struct box_session_row *r)
{
	struct hist *h = arg;

	if (h->n < 8)
		h->r[h->n++] = *r;
	return 0;
}

static int
audit_cb(void *arg, const struct box_audit_row *r)
{
	char *events = arg;

	strcat(events, r->event);
	strcat(events, " ");
	return 0;
}

/* Every session's history, and the audit trail read back and as JSON. */
static void
test_history(void)
{
	struct box_session_info si = { "10.1.1.1", "make test", 0, NULL };
	struct box_session_row row;
	int64_t s3, l3;
	struct box_session_result res = { 3, "exited", 10, 20, NULL };
	struct box_state *st;
	struct box_error err;
	struct box_binding b;
	struct box_box box;
	struct hist h;
	int created, last;
	int64_t s1, s2, l1, l2;
	char events[512] = "", line[BOX_AUDIT_LINE_MAX];
	size_t n;

	box_state_open(db, 0, &st, &err);
	box_state_binding_get(st, "SHA256:k1", &b, &err);
	box_state_box_claim(st, &b, "4444444444444444", "s", "docker", NULL,
	    2000, &box, &created, &err);
	box_state_box_set_running(st, box.id, "ref4", &err);
	ok(box_state_session_add(st, box.id, 200, 9, &si, 2001, &s1, &l1,
	    &err) == 0 && l1 > 0, "a session starts its history row");
	si.command = "";
	si.tty = 1;
	ok(box_state_session_add(st, box.id, 201, 9, &si, 2002, &s2, &l2,
	    &err) == 0 && l2 > l1, "and another its own");
	memset(&h, 0, sizeof(h));
	ok(box_state_session_history(st, 1, box.id, 0, hist_cb, &h,
	    &err) == 0 && h.n == 2 && h.r[0].id == l2 && h.r[0].tty == 1 &&
	    h.r[1].ended_at == 0 && strcmp(h.r[1].command, "make test") == 0 &&
	    strcmp(h.r[1].fp, "SHA256:k1") == 0, "both live, newest first, "
	    "with key and command");
	box_state_session_end(st, s1, 2010, 0, &res, &last, &err);
	memset(&h, 0, sizeof(h));
	box_state_session_history(st, 0, box.id, 0, hist_cb, &h, &err);
	ok(h.n == 2 && h.r[1].ended_at == 2010 && h.r[1].exit_status == 3 &&
	    strcmp(h.r[1].end_reason, "exited") == 0 && h.r[1].bytes_in == 10 &&
	    h.r[1].bytes_out == 20, "an ended session keeps how it ended");
	memset(&h, 0, sizeof(h));
	box_state_session_history(st, 1, box.id, 0, hist_cb, &h, &err);
	ok(h.n == 1 && h.r[0].id == l2, "--live: only the one still on");
	box_state_box_end(st, box.id, "destroyed", "admin", 2020, &err);
	memset(&h, 0, sizeof(h));
	box_state_session_history(st, 0, box.id, 0, hist_cb, &h, &err);
	ok(h.n == 2 && h.r[0].ended_at == 2020 && h.r[0].exit_status == -1 &&
	    strcmp(h.r[0].end_reason, "admin") == 0 && h.r[0].bytes_in == -1,
	    "a session its box's end took: ended, with the box's reason");
	memset(&h, 0, sizeof(h));
	box_state_session_history(st, 0, NULL, 1, hist_cb, &h, &err);
	is_int(h.n, 1, "a limit is kept");

	/* Recordings: named at start, finished or cut short. */
	if (box_state_box_claim(st, &b, "4444444444444445", "s", "docker",
	    NULL, 2021, &box, &created, &err) < 0)
		diag("%s", err.msg);
	si.recording = "1700000000-42-abcd.cast";
	ok(box_state_session_add(st, box.id, 202, 9, &si, 2022, &s3, &l3,
	    &err) == 0 && box_state_session_get(st, l3, &row, &err) == 0 &&
	    strcmp(row.recording, si.recording) == 0 &&
	    strcmp(row.recording_state, BOX_RECORDING_ACTIVE) == 0,
	    "a recorded session names its recording, being written");
	ok(box_state_session_recording(st, l3, BOX_RECORDING_COMPLETE,
	    &err) == 0 && box_state_session_get(st, l3, &row, &err) == 0 &&
	    strcmp(row.recording_state, BOX_RECORDING_COMPLETE) == 0,
	    "  complete when box-shell finished it");
	ok(box_state_session_get(st, l1, &row, &err) == 0 &&
	    row.recording[0] == '\0' && row.recording_state[0] == '\0' &&
	    box_state_session_recording(st, l1, BOX_RECORDING_COMPLETE,
	    &err) == 0 && box_state_session_get(st, l1, &row, &err) == 0 &&
	    row.recording_state[0] == '\0',
	    "  a session without one has none, and gets none");
	box_state_session_recording(st, l3, BOX_RECORDING_ACTIVE, &err);
	box_state_session_end(st, s3, 2025, 0, NULL, &last, &err);
	ok(box_state_session_get(st, l3, &row, &err) == 0 &&
	    strcmp(row.end_reason, "lost") == 0 &&
	    strcmp(row.recording_state, BOX_RECORDING_INCOMPLETE) == 0,
	    "  a lost session's recording is incomplete");
	ok(box_state_session_get(st, 99999, &row, &err) < 0 &&
	    err.kind == BOX_E_NOTFOUND, "  no such session: not found");
	si.recording = NULL;

	box_state_audit(st, 5000, "box-created", "aaaaaaaaaaaaaaaa",
	    "bbbbbbbbbbbbbbbb", "SHA256:x", "10.0.0.1", NULL);
	box_state_audit(st, 5001, "session-ended", "aaaaaaaaaaaaaaaa",
	    "cccccccccccccccc", "SHA256:x", "10.0.0.1", "exit=0");
	box_state_audit(st, 5002, "invite-revoked", "dddddddddddddddd", NULL,
	    NULL, NULL, NULL);
	ok(box_state_audit_list(st, 5000, NULL, "aaaaaaaaaaaaaaaa", 0,
	    audit_cb, events, &err) == 0 &&
	    strcmp(events, "box-created session-ended ") == 0,
	    "audit by invite, oldest first");
	events[0] = '\0';
	box_state_audit_list(st, 5001, "cccccccccccccccc", NULL, 0, audit_cb,
	    events, &err);
	is_str(events, "session-ended ", "audit by box and time");
	events[0] = '\0';
	box_state_audit_list(st, 5002, NULL, NULL, 0, audit_cb, events, &err);
	is_str(events, "invite-revoked ", "audit since a time");
	box_state_close(st);

	/* JSON: hostile bytes escaped, bounded, one line. */
	n = box_state_audit_json(line, sizeof(line), 0, "session-ended", NULL,
	    "b", "SHA256:k", "1.2.3.4", "a\"b\\c\n\x1b[2J\xff\xc3\xa9");
	is_str(line, "{\"at\":\"1970-01-01T00:00:00Z\",\"time\":0,"
	    "\"event\":\"session-ended\",\"box\":\"b\",\"key\":"
	    "\"SHA256:k\",\"source\":\"1.2.3.4\",\"detail\":"
	    "\"a\\\"b\\\\c\\u000a\\u001b[2J\\u00ff\xc3\xa9\"}",
	    "JSON: quotes, backslashes, control bytes and non-UTF-8 escaped; "
	    "UTF-8 kept");
	ok(n == strlen(line), "  its length");
	{
		static char big[100000];

		memset(big, 'x', sizeof(big) - 1);
		n = box_state_audit_json(line, sizeof(line), 1, "e", big, big,
		    big, big, big);
		ok(n < sizeof(line) && line[n - 1] == '}' &&
		    strstr(line, "...\"") != NULL && strchr(line, '\n') == NULL,
		    "huge fields: cut, marked, still one object");
		memset(big, 0x01, sizeof(big) - 1);
		n = box_state_audit_json(line, sizeof(line), 1, "e", big, big,
		    big, big, big);
		ok(n < sizeof(line) && line[n - 1] == '}',
		    "huge fields of control bytes (six times longer "
		    "escaped): still whole");
	}
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/state.db", dir);
	test_open();
	test_migrations();
	test_corrupt();
	test_redeem();
	test_race();
	test_rate();
	test_boxes();
	test_limits();
	test_claim_recheck();
	test_history();
	test_nofollow();
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return tap_done();
}
