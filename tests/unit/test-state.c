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
		if (v >= 7) {
			int has = 0;

			snprintf(name, sizeof(name), "schema %d: its pooled "
			    "box kept", v);
			ok(box_state_pool_has(st, "e000000000000007", &has,
			    &err) == 0 && has, name);
		}
		if (v >= 5) {
			struct box_session_row row;

			snprintf(name, sizeof(name), "schema %d: a live "
			    "session's recording kept, being written", v);
			ok(box_state_session_get(st, 1, &row, &err) == 0 &&
			    row.ended_at == 0 && strcmp(row.recording,
			    "1700000002-4242-0a1b2c3d.cast") == 0 &&
			    strcmp(row.recording_state, "recording") == 0,
			    name);
		}
		{
			int64_t c = -1;

			snprintf(name, sizeof(name), "schema %d: counters "
			    "start at 0 and count", v);
			ok(box_state_counter_get(st, BOX_CTR_FAILED, "", &c,
			    &err) == 0 && c == 0 &&
			    box_state_audit(st, 1, "box-failed", NULL, NULL,
			    NULL, NULL, NULL) == 0 &&
			    box_state_counter_get(st, BOX_CTR_FAILED, "", &c,
			    &err) == 0 && c == 1, name);
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
	ok(box_state_box_set_running(st, box.id, "ref1", -1, &err) == 0,
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
	ok(box_state_box_set_running(st, box.id, "x", -1, &err) < 0,
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
	struct box_limits lim = { .max_boxes = 4, .max_boxes_per_invite = 2,
	    .max_boxes_per_source = 2 };
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

static int
count_pool(void *arg, const struct box_pooled *pb)
{
	(void)pb;
	(*(int *)arg)++;
	return 0;
}

/* Warm pools: a claim takes the oldest ready box whole, once. */
static void
test_pool(void)
{
	struct box_state *st;
	struct box_error err;
	struct box_binding b[3];
	struct box_box box;
	char fp[32];
	int i, created, has, n;

	box_state_open(db, 0, &st, &err);
	mk_invite(st, "3000000000000000", 10, 0);
	for (i = 0; i < 3; i++) {
		snprintf(fp, sizeof(fp), "SHA256:pool%d", i);
		redeem(st, "3000000000000000", "3000000000000000", fp, 1500,
		    &err);
		box_state_binding_get(st, fp, &b[i], &err);
	}
	ok(box_state_box_claim_pooled(st, &b[0], "s", "runc", NULL, 1600,
	    &box, &created, &err) < 0 && err.kind == BOX_E_NOTFOUND,
	    "an empty pool: not found");
	ok(box_state_box_live_of(st, b[0].fp, &box, &err) < 0,
	    "  and nothing claimed");
	ok(box_state_pool_add(st, "c000000000000002", b[0].profile, "runc",
	    1502, &err) == 0 && box_state_pool_add(st, "c000000000000001",
	    b[0].profile, "runc", 1501, &err) == 0 &&
	    box_state_pool_add(st, "c000000000000003", b[0].profile, "runsc",
	    1400, &err) == 0, "three pooled boxes being made");
	ok(box_state_box_claim_pooled(st, &b[0], "s", "runc", NULL, 1600,
	    &box, &created, &err) < 0 && err.kind == BOX_E_NOTFOUND,
	    "boxes still being made are not given");
	ok(box_state_pool_ready(st, "c000000000000001", "sshbox-c1", &err) ==
	    0 && box_state_pool_ready(st, "c000000000000002", "sshbox-c2",
	    &err) == 0 && box_state_pool_ready(st, "c000000000000003",
	    "sshbox-c3", &err) == 0, "ready");
	ok(box_state_pool_ready(st, "c000000000000001", "x", &err) < 0 &&
	    err.kind == BOX_E_STATE, "ready twice: refused");
	ok(box_state_box_claim_pooled(st, &b[0], "s", "runc", NULL, 1600,
	    &box, &created, &err) == 0 && created == 2,
	    "a claim takes a pooled box");
	is_str(box.id, "c000000000000001", "  the oldest of its runtime");
	is_str(box.ref, "sshbox-c1", "  with its reference");
	is_str(box.status, "creating", "  creating until thawed");
	ok(box_state_pool_has(st, "c000000000000001", &has, &err) == 0 &&
	    !has, "  and out of the pool");
	ok(box_state_box_claim_pooled(st, &b[0], "s", "runc", NULL, 1601,
	    &box, &created, &err) == 0 && created == 0 &&
	    strcmp(box.id, "c000000000000001") == 0,
	    "the same key again: its box, not another pooled one");
	ok(box_state_box_claim_pooled(st, &b[1], "s", "runc", NULL, 1602,
	    &box, &created, &err) == 0 && created == 2 &&
	    strcmp(box.id, "c000000000000002") == 0, "another key: the next");
	ok(box_state_box_claim_pooled(st, &b[2], "s", "runc", NULL, 1603,
	    &box, &created, &err) < 0 && err.kind == BOX_E_NOTFOUND,
	    "a third: the runc pool is empty (the runsc box is not given)");
	n = 0;
	box_state_pool_list(st, count_pool, &n, &err);
	is_int(n, 1, "the runsc box stays pooled");
	{
		struct box_limits lim = { .max_boxes = 100,
		    .max_boxes_per_invite = 1, .max_boxes_per_source = 100 };

		ok(box_state_pool_add(st, "c000000000000004", b[2].profile,
		    "runc", 1604, &err) == 0 && box_state_pool_ready(st,
		    "c000000000000004", "r4", &err) == 0 &&
		    box_state_box_claim_pooled(st, &b[2], "s", "runc", &lim,
		    1605, &box, &created, &err) < 0 && err.kind == BOX_E_RATE,
		    "a pooled box counts against the limits like a new one");
		ok(box_state_pool_has(st, "c000000000000004", &has, &err) ==
		    0 && has, "  and is left in the pool");
	}
	ok(box_state_pool_remove(st, "c000000000000004", &err) == 0 &&
	    box_state_pool_has(st, "c000000000000004", &has, &err) == 0 &&
	    !has, "removed");
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
	box_state_box_set_running(st, box.id, "ref4", -1, &err);
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


static int64_t
counter(struct box_state *st, const char *name, const char *labels)
{
	struct box_error err;
	int64_t v = -1;

	if (box_state_counter_get(st, name, labels, &v, &err) < 0)
		diag("%s", err.msg);
	return v;
}

static int
counter_rows(void *arg, const char *name, const char *labels, int64_t v)
{
	(*(int *)arg)++;
	return 0;
}

/*
 * Counters: bumped with the audit events that make them, by class; the
 * reaper's in one transaction, never down; and untouched when the audit
 * rows go (retention).
 */
static void
test_counters(void)
{
	/* A refusal of each kind from box_state_redeem itself. */
	static const struct {
		const char *id, *token, *fp, *class;
		int64_t now;
	} refusals[] = {
		{ "c100000000000000", "wrong", "SHA256:c9", "invalid", 1500 },
		{ "c900000000000000", "c900000000000000", "SHA256:c9",
		    "invalid", 1500 },
		{ "c100000000000000", "c100000000000000", "SHA256:c9", "used",
		    1500 },
		{ "c200000000000000", "c200000000000000", "SHA256:c1",
		    "key_bound", 1500 },
		{ "c200000000000000", "c200000000000000", "SHA256:c9",
		    "expired", 3000 },
		{ "c300000000000000", "c300000000000000", "SHA256:c9",
		    "revoked", 1500 },
	};
	char path[160], labels[BOX_ERROR_MSG_MAX + 64];
	struct box_state *st;
	struct box_error err;
	struct box_counter bad = { BOX_CTR_REAPER_ERRORS, "", -1 };
	struct box_counter zero[] = {
		{ BOX_CTR_REAPER_ACTIONS, "action=expired", 0 },
		{ BOX_CTR_REAPER_ERRORS, "", 0 },
	};
	struct box_counter pass[] = {
		{ BOX_CTR_REAPER_ACTIONS, "action=expired", 2 },
		{ BOX_CTR_REAPER_ACTIONS, "action=orphans", 0 },
		{ BOX_CTR_REAPER_ERRORS, "", 1 },
	};
	long long n = 0;
	size_t i;
	int rows = 0;

	snprintf(path, sizeof(path), "%s/counters.db", dir);
	box_state_open(path, 1, &st, &err);
	mk_invite(st, "c100000000000000", 1, 0);
	mk_invite(st, "c200000000000000", 1, 2000);
	mk_invite(st, "c300000000000000", 1, 0);
	box_state_invite_revoke(st, "c300000000000000", 1400, &err);
	ok(redeem(st, "c100000000000000", "c100000000000000", "SHA256:c1",
	    1500, &err) == 0, "counters: a redemption");
	box_state_audit(st, 1500, "redeemed", "c100000000000000", NULL,
	    "SHA256:c1", "1.2.3.4", NULL);
	is_int(counter(st, BOX_CTR_REDEMPTIONS, "outcome=redeemed"), 1,
	    "  counted with its audit event");
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		if (redeem(st, refusals[i].id, refusals[i].token,
		    refusals[i].fp, refusals[i].now, &err) == 0) {
			ok(0, "a refusal");
			continue;
		}
		snprintf(labels, sizeof(labels), "%s: \"%s\"",
		    refusals[i].class, err.msg);
		is_str(box_state_redeem_class(err.msg), refusals[i].class,
		    labels);
		box_state_audit(st, 1500, "redeem-refused", NULL, NULL,
		    refusals[i].fp, "1.2.3.4", err.msg);
	}
	/* box-shell's own refusals, before the state is asked. */
	is_str(box_state_redeem_class("this is not a valid invite token: "
	    "invite token signature is not valid"), "invalid",
	    "box-shell's bad token: invalid");
	is_str(box_state_redeem_class("this invite has expired"), "expired",
	    "box-shell's expired token: expired");
	is_str(box_state_redeem_class("state: database is locked"), "other",
	    "anything else: other");
	is_str(box_state_redeem_class(NULL), "other", "  even nothing");
	is_int(counter(st, BOX_CTR_REDEMPTIONS, "outcome=invalid"), 2,
	    "refusals counted by class: two invalid");
	ok(counter(st, BOX_CTR_REDEMPTIONS, "outcome=used") == 1 &&
	    counter(st, BOX_CTR_REDEMPTIONS, "outcome=key_bound") == 1 &&
	    counter(st, BOX_CTR_REDEMPTIONS, "outcome=expired") == 1 &&
	    counter(st, BOX_CTR_REDEMPTIONS, "outcome=revoked") == 1,
	    "  one used, one of a bound key, one expired, one revoked");
	box_state_audit_nodb(st, 1500, "rate-limited", NULL, NULL, "SHA256:c9",
	    "1.2.3.4", "too many");
	box_state_audit_count(st, "rate-limited", &n, &err);
	ok(counter(st, BOX_CTR_REDEMPTIONS, "outcome=rate_limited") == 1 &&
	    n == 0, "a rate-limited one counted, though never an audit row");

	box_state_audit(st, 1600, "box-destroyed", NULL, "b1", NULL, NULL,
	    "linger over");
	box_state_audit(st, 1600, "box-destroyed", NULL, "b2", NULL, NULL,
	    "killed by an administrator");
	box_state_audit(st, 1600, "box-destroyed", NULL, "b3", NULL, NULL,
	    "something new\n\"quoted\"");
	box_state_audit(st, 1600, "box-destroyed", NULL, "b5", NULL, NULL,
	    "runtime object vanished");
	ok(counter(st, BOX_CTR_DESTROYED, "reason=linger") == 1 &&
	    counter(st, BOX_CTR_DESTROYED, "reason=killed") == 1 &&
	    counter(st, BOX_CTR_DESTROYED, "reason=vanished") == 1 &&
	    counter(st, BOX_CTR_DESTROYED, "reason=other") == 1,
	    "boxes destroyed by reason, an unknown one as other");
	box_state_audit(st, 1600, "session-started", NULL, "b1", NULL, NULL,
	    "session=1");
	box_state_audit(st, 1600, "box-failed", NULL, "b4", NULL, NULL, "x");
	box_state_audit(st, 1600, "invite-created", "c400000000000000", NULL,
	    NULL, NULL, NULL);
	ok(counter(st, BOX_CTR_SESSIONS, "") == 1 &&
	    counter(st, BOX_CTR_FAILED, "") == 1, "sessions started and boxes "
	    "failed counted");
	box_state_counter_list(st, counter_rows, &rows, &err);
	is_int(rows, 13, "  and nothing else (invite-created has no counter)");

	ok(box_state_counters_add(st, &bad, 1, &err) < 0 &&
	    counter(st, BOX_CTR_REAPER_ERRORS, "") == 0,
	    "a counter never goes down");
	rows = 0;
	ok(box_state_counters_add(st, zero, 2, &err) == 0 &&
	    box_state_counter_list(st, counter_rows, &rows, &err) == 0 &&
	    rows == 13, "an idle pass writes nothing");
	box_state_counters_add(st, pass, 3, &err);
	box_state_counters_add(st, pass, 3, &err);
	ok(counter(st, BOX_CTR_REAPER_ACTIONS, "action=expired") == 4 &&
	    counter(st, BOX_CTR_REAPER_ERRORS, "") == 2 &&
	    counter(st, BOX_CTR_REAPER_ACTIONS, "action=orphans") == 0,
	    "the reaper's actions add up");

	ok(box_state_prune_audit(st, 1000000, 1000, &n, &err) == 0 && n > 10,
	    "every audit row pruned");
	box_state_audit_count(st, "redeemed", &n, &err);
	ok(n == 0 &&
	    counter(st, BOX_CTR_REDEMPTIONS, "outcome=redeemed") == 1 &&
	    counter(st, BOX_CTR_REDEMPTIONS, "outcome=invalid") == 2 &&
	    counter(st, BOX_CTR_DESTROYED, "reason=linger") == 1,
	    "  the counters stay as they were");
	box_state_close(st);
}

/* The box create histogram: cumulative buckets, sum and count. */
static void
test_histogram(void)
{
	static const int64_t ms[] = { 80, 300, 1500, 70000 };
	const struct box_bucket *bk;
	char path[160], labels[64], id[17];
	struct box_state *st;
	struct box_error err;
	struct box_binding b;
	struct box_box box;
	int64_t prev = 0, v;
	size_t i, nb;
	int created, mono = 1;

	snprintf(path, sizeof(path), "%s/hist.db", dir);
	box_state_open(path, 1, &st, &err);
	bk = box_state_create_buckets(&nb);
	ok(nb == 9 && bk[0].ms == 100 && strcmp(bk[0].le, "0.1") == 0 &&
	    bk[8].ms == 60000 && strcmp(bk[8].le, "60") == 0,
	    "histogram: nine buckets, 0.1 s to 60 s");
	mk_invite(st, "d100000000000000", 10, 0);
	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		char fp[32];

		snprintf(fp, sizeof(fp), "SHA256:h%zu", i);
		snprintf(id, sizeof(id), "d00000000000000%zu", i);
		redeem(st, "d100000000000000", "d100000000000000", fp, 1500,
		    &err);
		box_state_binding_get(st, fp, &b, &err);
		box_state_box_claim(st, &b, id, "s", "docker", NULL, 1500, &box,
		    &created, &err);
		if (box_state_box_set_running(st, id, "r", ms[i], &err) < 0)
			diag("%s", err.msg);
	}
	/* Neither an unmeasured one nor one that ended meanwhile counts. */
	box_state_binding_get(st, "SHA256:h0", &b, &err);
	box_state_box_end(st, "d000000000000000", "destroyed", "x", 1600,
	    &err);
	box_state_box_claim(st, &b, "d000000000000009", "s", "docker", NULL,
	    1600, &box, &created, &err);
	box_state_box_set_running(st, "d000000000000009", "r", -1, &err);
	box_state_box_end(st, "d000000000000009", "destroyed", "x", 1600,
	    &err);
	ok(box_state_box_claim(st, &b, "d00000000000000a", "s", "docker", NULL,
	    1600, &box, &created, &err) == 0 &&
	    box_state_box_end(st, box.id, "failed", "x", 1600, &err) == 0 &&
	    box_state_box_set_running(st, box.id, "r", 50, &err) < 0,
	    "a box ended while being created is not running");
	is_int(counter(st, BOX_CTR_CREATE "_count", ""), 4,
	    "four boxes made in time counted");
	is_int(counter(st, BOX_CTR_CREATE "_sum_ms", ""), 80 + 300 + 1500 +
	    70000, "their times summed");
	for (i = 0; i < nb; i++) {
		snprintf(labels, sizeof(labels), "le=%s", bk[i].le);
		v = counter(st, BOX_CTR_CREATE "_bucket", labels);
		if (v < prev)
			mono = 0;
		prev = v;
	}
	ok(mono, "buckets cumulative: never fewer in a wider one");
	is_int(counter(st, BOX_CTR_CREATE "_bucket", "le=0.1"), 1,
	    "  0.1 s: the 80 ms one");
	is_int(counter(st, BOX_CTR_CREATE "_bucket", "le=0.25"), 1,
	    "  0.25 s: the same");
	is_int(counter(st, BOX_CTR_CREATE "_bucket", "le=0.5"), 2,
	    "  0.5 s: and the 300 ms one");
	is_int(counter(st, BOX_CTR_CREATE "_bucket", "le=2"), 3,
	    "  2 s: and the 1.5 s one");
	is_int(counter(st, BOX_CTR_CREATE "_bucket", "le=60"), 3,
	    "  60 s: not the 70 s one (only +Inf, the count, has it)");
	box_state_close(st);
}

struct prunable {
	int64_t	 id[16];
	char	 rec[16][BOX_RECORDING_NAME_MAX];
	int	 shared[16];
	size_t	 n;
};

static int
prunable_cb(void *arg, const struct box_prune_row *r)
{
	struct prunable *p = arg;

	if (p->n < 16) {
		p->id[p->n] = r->id;
		box_strlcpy(p->rec[p->n], r->recording, sizeof(p->rec[0]));
		p->shared[p->n++] = r->shared;
	}
	return 0;
}

/*
 * What retention may take from the history: sessions ended before the
 * cutoff, oldest first, in pages; never a live one, never a row whose
 * recording is no name sshbox writes; a file a kept row names is shared.
 */
static void
test_prune_rows(void)
{
	struct box_session_info si = { "s", "", 0, NULL };
	struct box_session_result res = { 0, "exited", -1, -1, NULL };
	static const char *const names[] = { "100-1-aa.cast", "../x",
	    "100-3-cc.cast", NULL, "/etc/passwd", ".hidden", "100-1-aa.cast",
	    "live.cast" };
	struct box_session_row row;
	int64_t sid[8], lid[8];
	char path[160];
	struct box_state *st;
	struct box_error err;
	struct box_binding b;
	struct box_box box;
	struct prunable p;
	long long n;
	size_t i;
	int created, last;

	snprintf(path, sizeof(path), "%s/prune.db", dir);
	box_state_open(path, 1, &st, &err);
	mk_invite(st, "e100000000000000", 1, 0);
	redeem(st, "e100000000000000", "e100000000000000", "SHA256:e1", 100,
	    &err);
	box_state_binding_get(st, "SHA256:e1", &b, &err);
	box_state_box_claim(st, &b, "e000000000000001", "s", "docker", NULL,
	    100, &box, &created, &err);
	box_state_box_set_running(st, box.id, "r", -1, &err);
	/* Rows 0-5 end at 110+i (old); 6 ends at 500 (kept: within the
	 * retention) naming row 0's file; 7 stays live. */
	for (i = 0; i < 8; i++) {
		si.recording = names[i];
		box_state_session_add(st, box.id, 300 + (long)i, 1, &si, 101,
		    &sid[i], &lid[i], &err);
	}
	for (i = 0; i < 7; i++)
		box_state_session_end(st, sid[i], i < 6 ? 110 + (int64_t)i :
		    500, 0, &res, &last, &err);
	memset(&p, 0, sizeof(p));
	ok(box_state_prune_sessions_list(st, 200, 0, 0, 10, prunable_cb, &p,
	    &err) == 0, "prunable sessions listed");
	ok(p.n == 3 && p.id[0] == lid[0] && p.id[1] == lid[2] &&
	    p.id[2] == lid[3], "  the old ones with a valid name or none, "
	    "oldest first; no hostile name, no recent or live one");
	ok(p.shared[0] == 1 && p.shared[1] == 0 && p.rec[2][0] == '\0',
	    "  a file a kept row also names is shared");
	memset(&p, 0, sizeof(p));
	box_state_prune_sessions_list(st, 200, 0, 0, 2, prunable_cb, &p, &err);
	ok(p.n == 2 && p.id[1] == lid[2], "a page of two");
	memset(&p, 0, sizeof(p));
	box_state_prune_sessions_list(st, 200, 112, lid[2], 2, prunable_cb, &p,
	    &err);
	ok(p.n == 1 && p.id[0] == lid[3], "  and the next page after it");
	ok(box_state_prune_sessions(st, lid, 8, 200, &n, &err) == 0 && n == 3,
	    "deleting all eight ids removes only the three prunable");
	ok(box_state_session_get(st, lid[1], &row, &err) == 0 &&
	    box_state_session_get(st, lid[6], &row, &err) == 0 &&
	    box_state_session_get(st, lid[7], &row, &err) == 0 &&
	    box_state_session_get(st, lid[0], &row, &err) < 0,
	    "  the hostile, the recent and the live rows are there");
	box_state_close(st);
}

/* Bans: one key, whatever invite it came from; refused at redemption
 * and at the claim (under the lock), kept once, listed, lifted. */
struct ban_count {
	int	 n;
	int	 seen;
};

static int
count_ban(void *arg, const struct box_ban *b)
{
	struct ban_count *c = arg;

	c->n++;
	if (strcmp(b->fp, "SHA256:bn") == 0 && strcmp(b->by, "alice") == 0 &&
	    strcmp(b->reason, "abuse") == 0 && b->at == 1600)
		c->seen = 1;
	return 0;
}

static int
count_binding(void *arg, const struct box_binding *b)
{
	struct ban_count *c = arg;

	c->n++;
	if (strcmp(b->fp, "SHA256:bn") == 0 && b->banned_at == 1600)
		c->seen = 1;
	return 0;
}

static void
test_bans(void)
{
	struct ban_count c = { 0, 0 };
	struct box_state *st;
	struct box_error err;
	struct box_binding b, before;
	struct box_ban ban;
	struct box_box box;
	int added = -1, created = -1;

	box_state_open(db, 0, &st, &err);
	mk_invite(st, "5000000000000000", 3, 0);
	ok(redeem(st, "5000000000000000", "5000000000000000", "SHA256:bn",
	    1500, &err) == 0, "bans: a key redeems");
	box_state_binding_get(st, "SHA256:bn", &before, &err);
	ok(before.banned_at == 0, "  not banned: banned_at 0");
	ok(box_state_ban_get(st, "SHA256:bn", &ban, &err) < 0 &&
	    err.kind == BOX_E_NOTFOUND, "  no ban row");
	ok(box_state_ban_add(st, "SHA256:bn", 1600, "alice", "abuse", &added,
	    &err) == 0 && added == 1, "  banned");
	ok(box_state_ban_add(st, "SHA256:bn", 1700, "bob", "again", &added,
	    &err) == 0 && added == 0, "  banned again: nothing added");
	ok(box_state_ban_get(st, "SHA256:bn", &ban, &err) == 0 &&
	    ban.at == 1600 && strcmp(ban.by, "alice") == 0 &&
	    strcmp(ban.reason, "abuse") == 0, "  the first ban is kept");
	ok(box_state_binding_get(st, "SHA256:bn", &b, &err) == 0 &&
	    b.banned_at == 1600 && b.revoked_at == 0,
	    "  its binding says banned");
	box_error_clear(&err);
	ok(box_state_box_claim(st, &before, "b0000000000000b1", "s", "docker",
	    NULL, 1650, &box, &created, &err) < 0 &&
	    err.kind == BOX_E_DENIED && strstr(err.msg, "banned") != NULL,
	    "  a claim with a binding read before the ban: refused");
	ok(box_state_box_get(st, "b0000000000000b1", &box, &err) < 0,
	    "  and no box row was made");
	/* A key banned before it ever redeemed spends nothing. */
	ok(box_state_ban_add(st, "SHA256:pre", 1600, "alice", "", &added,
	    &err) == 0 && added == 1, "  a key never seen is banned");
	box_error_clear(&err);
	ok(redeem(st, "5000000000000000", "5000000000000000", "SHA256:pre",
	    1650, &err) < 0 && err.kind == BOX_E_DENIED &&
	    strstr(err.msg, "banned") != NULL, "  it cannot redeem");
	is_int(uses_left(st, "5000000000000000"), 2,
	    "  and the invite's use is not spent");
	ok(box_state_binding_get(st, "SHA256:pre", &b, &err) < 0,
	    "  nor is it bound");
	ok(box_state_ban_list(st, count_ban, &c, &err) == 0 && c.n == 2 &&
	    c.seen, "  bans listed with who and why");
	c.n = c.seen = 0;
	ok(box_state_binding_list(st, "5000000000000000", count_binding, &c,
	    &err) == 0 && c.n == 1 && c.seen,
	    "  keys of the invite listed, the ban with them");
	c.n = c.seen = 0;
	ok(box_state_binding_list(st, "0000000000000000", count_binding, &c,
	    &err) == 0 && c.n == 0, "  keys of another invite: none");
	ok(box_state_ban_remove(st, "SHA256:pre", &err) == 0,
	    "  a ban is lifted");
	ok(box_state_ban_remove(st, "SHA256:pre", &err) < 0 &&
	    err.kind == BOX_E_NOTFOUND, "  lifting it again: not banned");
	ok(redeem(st, "5000000000000000", "5000000000000000", "SHA256:pre",
	    1660, &err) == 0, "  and the key redeems");
	box_state_close(st);
}

/* More time for a box: within the profile's max_ttl from redemption, for
 * the box and its key together; never for an ended box or a revoked
 * key. */
static void
test_extend(void)
{
	struct box_state *st;
	struct box_error err;
	struct box_binding b;
	struct box_box box;
	int created = -1;

	box_state_open(db, 0, &st, &err);
	mk_invite(st, "6000000000000000", 2, 0);	/* ttl 600 */
	redeem(st, "6000000000000000", "6000000000000000", "SHA256:ex", 2000,
	    &err);
	box_state_binding_get(st, "SHA256:ex", &b, &err);
	ok(box_state_box_claim(st, &b, "b0000000000000e1", "s", "docker",
	    NULL, 2010, &box, &created, &err) == 0 && box.deadline == 2600,
	    "extend: a box with the key's deadline");
	ok(box_state_box_extend(st, "b0000000000000e1", 300, 1200, 2100, &box,
	    &err) == 0 && box.deadline == 2900, "  extended by 300s");
	ok(box_state_binding_get(st, "SHA256:ex", &b, &err) == 0 &&
	    b.deadline == 2900, "  and its key with it");
	box_error_clear(&err);
	ok(box_state_box_extend(st, "b0000000000000e1", 301, 1200, 2100, &box,
	    &err) < 0 && err.kind == BOX_E_DENIED &&
	    strstr(err.msg, "at most 5m") != NULL,
	    "  past max_ttl from redemption: refused, saying how much may be");
	ok(box_state_box_get(st, "b0000000000000e1", &box, &err) == 0 &&
	    box.deadline == 2900, "  and nothing changed");
	ok(box_state_box_extend(st, "b0000000000000e1", 300, 1200, 2100, &box,
	    &err) == 0 && box.deadline == 3200, "  up to max_ttl exactly");
	box_error_clear(&err);
	ok(box_state_box_extend(st, "b0000000000000e1", 1, 1200, 2100, &box,
	    &err) < 0 && strstr(err.msg, "already has the most time it may have (20m in all)") != NULL,
	    "  then no more");
	box_error_clear(&err);
	ok(box_state_box_extend(st, "b0000000000000e1", 0, 1200, 2100, &box,
	    &err) < 0 && err.kind == BOX_E_INPUT, "  0s: refused");
	box_error_clear(&err);
	ok(box_state_box_extend(st, "b0000000000000e1", 10, 99999, 3200, &box,
	    &err) < 0 && strstr(err.msg, "past its time") != NULL,
	    "  a box past its deadline: refused");
	/* A box made after an extension gets the key's new deadline. */
	box_state_box_end(st, "b0000000000000e1", BOX_STATUS_DESTROYED,
	    "killed", 2200, &err);
	box_error_clear(&err);
	ok(box_state_box_extend(st, "b0000000000000e1", 10, 99999, 2210, &box,
	    &err) < 0 && strstr(err.msg, "already ended") != NULL,
	    "  an ended box: refused");
	box_state_binding_get(st, "SHA256:ex", &b, &err);
	ok(box_state_box_claim(st, &b, "b0000000000000e2", "s", "docker",
	    NULL, 2300, &box, &created, &err) == 0 && created == 1 &&
	    box.deadline == 3200, "  the key's next box keeps the extension");
	{
		struct box_limits only = { .max_boxes = 100,
		    .max_boxes_per_invite = 100, .max_boxes_per_source = 100,
		    .attach_only = 1 };
		struct box_box b2;

		ok(box_state_box_claim(st, &b, "b0000000000000e3", "s",
		    "docker", &only, 2300, &b2, &created, &err) == 0 &&
		    created == 0 && strcmp(b2.id, "b0000000000000e2") == 0,
		    "  attach only: the live box");
		box_state_box_end(st, "b0000000000000e2", BOX_STATUS_DESTROYED,
		    "killed", 2301, &err);
		box_error_clear(&err);
		ok(box_state_box_claim(st, &b, "b0000000000000e3", "s",
		    "docker", &only, 2302, &b2, &created, &err) < 0 &&
		    err.kind == BOX_E_NOTFOUND && box_state_box_get(st,
		    "b0000000000000e3", &b2, &err) < 0,
		    "  attach only, the box ended: no new one");
		ok(box_state_box_claim(st, &b, "b0000000000000e4", "s",
		    "docker", NULL, 2303, &b2, &created, &err) == 0 &&
		    created == 1, "  without it, a new box (for the test "
		    "below)");
	}
	box_state_invite_revoke(st, "6000000000000000", 2310, &err);
	box_error_clear(&err);
	ok(box_state_box_extend(st, "b0000000000000e4", 10, 99999, 2320, &box,
	    &err) < 0 && strstr(err.msg, "revoked") != NULL,
	    "  a revoked key's box: refused");
	ok(box_state_box_extend(st, "nosuchbox0000000", 10, 99999, 2320, &box,
	    &err) < 0 && err.kind == BOX_E_NOTFOUND, "  no such box");
	box_state_close(st);
}

static int
count_requests(void *arg, const struct box_request *r)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

/* Requests for approval: decided once, from pending only. */
static void
test_requests(void)
{
	struct box_state *st;
	struct box_error err;
	struct box_request r, got;
	int n = 0;

	box_state_open(db, 0, &st, &err);
	memset(&r, 0, sizeof(r));
	strcpy(r.id, "7000000000000001");
	strcpy(r.principal, "alice");
	strcpy(r.grp, "ops");
	strcpy(r.profile, "prod");
	r.ttl = 600;
	r.created_at = 3000;
	ok(box_state_request_add(st, &r, &err) == 0 &&
	    box_state_request_get(st, r.id, &got, &err) == 0 &&
	    strcmp(got.state, "pending") == 0 && got.ttl == 600 &&
	    strcmp(got.grp, "ops") == 0, "requests: added, pending");
	ok(box_state_request_decide(st, r.id, "approved", "root", "", 3010,
	    &err) == 0 && box_state_request_get(st, r.id, &got, &err) == 0 &&
	    strcmp(got.state, "approved") == 0 && got.decided_at == 3010 &&
	    strcmp(got.decided_by, "root") == 0, "  approved once");
	box_error_clear(&err);
	ok(box_state_request_decide(st, r.id, "denied", "bob", "no", 3020,
	    &err) < 0 && err.kind == BOX_E_DENIED &&
	    strstr(err.msg, "approved already") != NULL,
	    "  then not denied: decided already");
	ok(box_state_request_decide(st, "7000000000000009", "denied", "b", "",
	    3020, &err) < 0 && err.kind == BOX_E_NOTFOUND, "  no such request");
	strcpy(r.id, "7000000000000002");
	box_state_request_add(st, &r, &err);
	ok(box_state_request_list(st, 1, count_requests, &n, &err) == 0 &&
	    n == 1, "  one pending listed");
	box_state_close(st);
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
	test_pool();
	test_claim_recheck();
	test_bans();
	test_extend();
	test_requests();
	test_history();
	test_counters();
	test_histogram();
	test_prune_rows();
	test_nofollow();
	{
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("could not remove %s", dir);
	}
	return tap_done();
}
