/*
 * Unit tests for lib/box/retention.c on a real state and a real recordings
 * directory: what is past the retention goes, files before rows, a bounded
 * amount a pass; nothing else is touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "box/retention.h"
#include "core/util.h"
#include "tap.h"

#define NOW	 1800000000LL
#define DAY	 86400LL
#define KEEP	 (90 * DAY)
#define OLD	 (NOW - 100 * DAY)

static char dir[] = "/tmp/test-retention.XXXXXX";
static char recs[160];

static struct box_state *
open_state(const char *name)
{
	struct box_state *st = NULL;
	struct box_error err;
	char path[200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (box_state_open(path, 1, &st, &err) < 0)
		diag("%s", err.msg);
	return st;
}

/* A running box of a fresh invite and key, made at OLD. */
static void
mk_box(struct box_state *st, const char *id)
{
	char hash[BOX_TOKEN_HASH_LEN + 1], fp[40];
	struct box_invite inv;
	struct box_binding b;
	struct box_error err;
	struct box_box box;
	int created;

	memset(&inv, 0, sizeof(inv));
	box_strlcpy(inv.id, id, sizeof(inv.id));
	box_strlcpy(inv.profile, "dev", sizeof(inv.profile));
	inv.ttl = 200 * DAY;
	inv.created_at = OLD - 10;
	inv.uses_total = inv.uses_left = 1;
	box_token_hash(id, inv.token_hash);
	box_token_hash(id, hash);
	snprintf(fp, sizeof(fp), "SHA256:%s", id);
	if (box_state_invite_add(st, &inv, &err) < 0 ||
	    box_state_redeem(st, id, hash, fp, "s", OLD - 5, &b, &err) < 0 ||
	    box_state_box_claim(st, &b, id, "s", "docker", NULL, OLD - 5, &box,
	    &created, &err) < 0 ||
	    box_state_box_set_running(st, id, "r", -1, &err) < 0)
		diag("mk_box: %s", err.msg);
}

/* A session of box started at OLD recording rec (or none), ended at
 * ended (0: still live); its history id. */
static int64_t
mk_session(struct box_state *st, const char *box, const char *rec,
    int64_t ended)
{
	static long pid = 1000;
	struct box_session_info si = { "s", "true", 0, rec };
	struct box_session_result res = { 0, "exited", -1, -1, NULL };
	struct box_error err;
	int64_t id, log_id;
	int last;

	if (box_state_session_add(st, box, pid++, 1, &si, OLD, &id, &log_id,
	    &err) < 0 || (ended != 0 && box_state_session_end(st, id, ended, 0,
	    &res, &last, &err) < 0))
		diag("mk_session: %s", err.msg);
	return log_id;
}

static int
exists(const char *d, const char *name)
{
	char path[300];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", d, name);
	return lstat(path, &sb) == 0;
}

static void
touch(const char *d, const char *name)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", d, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write(fd, "{}\n", 3) != 3)
		diag("touch %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static int
has_session(struct box_state *st, int64_t id)
{
	struct box_session_row r;
	struct box_error err;

	return box_state_session_get(st, id, &r, &err) == 0;
}

static long long
audit_rows(struct box_state *st, const char *event)
{
	struct box_error err;
	long long n = -1;

	box_state_audit_count(st, event, &n, &err);
	return n;
}

static int
last_detail(void *arg, const struct box_audit_row *r)
{
	if (strcmp(r->event, "pruned") == 0)
		box_strlcpy(arg, r->detail, 128);
	return 0;
}

/*
 * The brief's case: old audit rows and ended sessions go with their
 * recordings; a recent session, a live one, an unrelated file and a row
 * naming "../x" stay, and so does the file "../x" points at.
 */
static void
test_prune(void)
{
	struct box_retention_stats rs;
	struct box_state *st = open_state("prune.db");
	struct box_error err;
	char detail[128] = "";
	int64_t a, b, c, d, e, f, g, h;

	mk_box(st, "a100000000000000");
	touch(recs, "old-a.cast");
	touch(recs, "recent.cast");
	touch(recs, "live.cast");
	touch(recs, "unrelated.cast");
	touch(recs, "shared.cast");
	touch(dir, "x");		/* what "../x" names */
	a = mk_session(st, "a100000000000000", "old-a.cast", OLD + 1);
	b = mk_session(st, "a100000000000000", "old-missing.cast", OLD + 2);
	c = mk_session(st, "a100000000000000", NULL, OLD + 3);
	d = mk_session(st, "a100000000000000", "recent.cast", NOW - DAY);
	e = mk_session(st, "a100000000000000", "live.cast", 0);
	f = mk_session(st, "a100000000000000", "../x", OLD + 4);
	g = mk_session(st, "a100000000000000", "shared.cast", OLD + 5);
	h = mk_session(st, "a100000000000000", "shared.cast", NOW - DAY);
	box_state_audit(st, OLD, "invite-created", NULL, NULL, NULL, NULL,
	    NULL);
	box_state_audit(st, OLD + 1, "redeemed", NULL, NULL, NULL, NULL, NULL);
	box_state_audit(st, NOW - KEEP - 1, "box-created", NULL, NULL, NULL,
	    NULL, NULL);
	box_state_audit(st, NOW - KEEP, "box-destroyed", NULL, NULL, NULL,
	    NULL, "expired");
	box_state_audit(st, NOW - DAY, "session-started", NULL, NULL, NULL,
	    NULL, NULL);

	ok(box_retention_prune(st, recs, NOW, KEEP, BOX_RETENTION_MAX, &rs,
	    &err) == 0, "a pass");
	ok(rs.audit == 3 && rs.sessions == 4 && rs.recordings == 1 &&
	    rs.errors == 0, "  three audit rows, four sessions, one "
	    "recording pruned");
	ok(audit_rows(st, "invite-created") == 0 &&
	    audit_rows(st, "redeemed") == 0 &&
	    audit_rows(st, "box-created") == 0,
	    "audit rows before the cutoff are gone");
	ok(audit_rows(st, "box-destroyed") == 1 &&
	    audit_rows(st, "session-started") == 1,
	    "  those at the cutoff or after stay");
	ok(!has_session(st, a) && !exists(recs, "old-a.cast"),
	    "an old session and its recording are gone");
	ok(!has_session(st, b), "  one whose file was already gone too");
	ok(!has_session(st, c), "  one without a recording too");
	ok(has_session(st, d) && exists(recs, "recent.cast"),
	    "a recent session and its recording stay");
	ok(has_session(st, e) && exists(recs, "live.cast"),
	    "a live session and its recording stay");
	ok(exists(recs, "unrelated.cast"), "a file no row names stays");
	ok(has_session(st, f) && exists(dir, "x"),
	    "a row naming ../x stays, and so does the file it points at");
	ok(!has_session(st, g) && has_session(st, h) &&
	    exists(recs, "shared.cast"),
	    "an old row sharing a kept row's file goes, the file stays");
	box_state_audit_list(st, 0, NULL, NULL, 0, last_detail, detail, &err);
	is_str(detail, "audit=3 sessions=4 recordings=1",
	    "the pass is an audit event \"pruned\"");

	ok(box_retention_prune(st, recs, NOW, KEEP, BOX_RETENTION_MAX, &rs,
	    &err) == 0 && rs.audit + rs.sessions + rs.recordings == 0 &&
	    audit_rows(st, "pruned") == 1,
	    "a second pass has nothing to do, and says nothing");
	ok(box_retention_prune(st, recs, NOW + 10 * KEEP, 0, BOX_RETENTION_MAX,
	    &rs, &err) == 0 && rs.audit + rs.sessions == 0 &&
	    has_session(st, d),
	    "retention 0 keeps everything forever");
	box_state_close(st);
}

/* A recording that cannot be removed keeps its row for the next pass; a
 * file gone before its row (a crash in between) is no error. */
static void
test_failures(void)
{
	struct box_retention_stats rs;
	struct box_state *st = open_state("fail.db");
	struct box_error err;
	char link[200], path[200];
	int64_t a, b, c;

	mk_box(st, "b100000000000000");
	snprintf(path, sizeof(path), "%s/adir.cast", recs);
	mkdir(path, 0700);
	touch(path, "inside");
	touch(recs, "gone.cast");
	touch(recs, "fine.cast");
	a = mk_session(st, "b100000000000000", "adir.cast", OLD + 1);
	b = mk_session(st, "b100000000000000", "gone.cast", OLD + 2);
	c = mk_session(st, "b100000000000000", "fine.cast", OLD + 3);
	/* As after a crash between the file and the row. */
	snprintf(path, sizeof(path), "%s/gone.cast", recs);
	unlink(path);
	ok(box_retention_prune(st, recs, NOW, KEEP, BOX_RETENTION_MAX, &rs,
	    &err) < 0 && rs.errors == 1 && strstr(err.msg, "adir.cast") != NULL,
	    "a recording that cannot be removed is an error naming it");
	ok(has_session(st, a) && exists(recs, "adir.cast"),
	    "  its row stays for the next pass");
	ok(!has_session(st, b), "a row whose file is already gone goes");
	ok(!has_session(st, c) && !exists(recs, "fine.cast") &&
	    rs.sessions == 2 && rs.recordings == 1,
	    "  and the rest of the pass went on");

	/* A recordings directory that is a link is not followed. */
	snprintf(link, sizeof(link), "%s/reclink", dir);
	if (symlink(recs, link) < 0)
		diag("symlink: %s", strerror(errno));
	touch(recs, "old2.cast");
	c = mk_session(st, "b100000000000000", "old2.cast", OLD + 5);
	box_state_audit(st, OLD, "invite-created", NULL, NULL, NULL, NULL,
	    NULL);
	ok(box_retention_prune(st, link, NOW, KEEP, BOX_RETENTION_MAX, &rs,
	    &err) < 0 && rs.sessions == 0 && rs.audit == 1,
	    "recordings_dir a symbolic link: an error, audit pruned, no "
	    "session");
	ok(has_session(st, c) && exists(recs, "old2.cast"),
	    "  the session and its file stay");
	snprintf(path, sizeof(path), "%s/nonexistent", dir);
	ok(box_retention_prune(st, path, NOW, KEEP, BOX_RETENTION_MAX, &rs,
	    &err) == 0 && rs.sessions == 2 && rs.recordings == 0 &&
	    !has_session(st, a) && !has_session(st, c),
	    "no recordings directory: no file to remove, the rows go");
	box_state_close(st);
}

/* A big backlog goes a bounded amount a pass. */
static void
test_bounded(void)
{
	struct box_retention_stats rs;
	struct box_state *st = open_state("big.db");
	struct box_error err;
	char name[64];
	int i, rc;
	int64_t last = 0;

	mk_box(st, "c100000000000000");
	for (i = 0; i < 1200; i++)
		box_state_audit(st, OLD + i, "session-ended", NULL, NULL, NULL,
		    NULL, NULL);
	for (i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "big-%d.cast", i);
		touch(recs, name);
		last = mk_session(st, "c100000000000000", name, OLD + i);
	}
	rc = box_retention_prune(st, recs, NOW, KEEP, 500, &rs, &err);
	ok(rc == 0 && rs.audit == 500 && rs.sessions == 25 &&
	    rs.recordings == 25, "at most 500 audit rows a pass");
	box_retention_prune(st, recs, NOW, KEEP, 10, &rs, &err);
	ok(rs.audit == 10, "  or what the caller says");
	box_retention_prune(st, recs, NOW, KEEP, BOX_RETENTION_MAX, &rs, &err);
	ok(rs.audit == 690 && audit_rows(st, "session-ended") == 0,
	    "  the next pass goes on to the end");
	ok(!has_session(st, last), "sessions too");
	box_state_close(st);
}

static void
test_bounded_sessions(void)
{
	struct box_retention_stats rs;
	struct box_state *st = open_state("bigs.db");
	struct box_error err;
	char name[64];
	int i, left = 0;

	mk_box(st, "d100000000000000");
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "s-%02d.cast", i);
		touch(recs, name);
		mk_session(st, "d100000000000000", name, OLD + i);
	}
	box_retention_prune(st, recs, NOW, KEEP, 12, &rs, &err);
	ok(rs.sessions == 12 && rs.recordings == 12,
	    "at most the caller's number of sessions a pass");
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "s-%02d.cast", i);
		left += exists(recs, name);
	}
	ok(left == 18 && !exists(recs, "s-00.cast") &&
	    !exists(recs, "s-11.cast") && exists(recs, "s-12.cast"),
	    "  the oldest first");
	box_state_close(st);
}

/* Watch sockets: a live session keeps its own; those of sessions ended
 * or unknown go; anything else in the directory stays. */
static void
test_watch_sweep(void)
{
	struct box_state *st = open_state("watch.db");
	struct box_error err;
	struct sockaddr_un sun;
	char wdir[200], name[64];
	long long removed = -1;
	int64_t live, ended, ids[3];
	size_t i;
	int fd;

	snprintf(wdir, sizeof(wdir), "%s/watch", dir);
	mkdir(wdir, 0700);
	mk_box(st, "5555555555555555");
	live = mk_session(st, "5555555555555555", NULL, 0);
	ended = mk_session(st, "5555555555555555", NULL, OLD + 10);
	ids[0] = live;
	ids[1] = ended;
	ids[2] = 999;
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%lld.sock", (long long)ids[i]);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
		    "%.60s/%.30s", wdir, name) >= sizeof(sun.sun_path))
			diag("socket path too long");
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			diag("bind %s: %s", sun.sun_path, strerror(errno));
		close(fd);
	}
	touch(wdir, "77.sock.txt");
	touch(wdir, "78.sock");		/* a file, not a socket */
	snprintf(name, sizeof(name), "%lld.sock", (long long)live);
	ok(box_watch_sweep(st, wdir, &removed, &err) == 0 && removed == 2,
	    "watch sockets of sessions ended or unknown removed");
	ok(exists(wdir, name), "  a live session's kept");
	ok(exists(wdir, "77.sock.txt") && exists(wdir, "78.sock"),
	    "  and what is not one of its sockets");
	ok(box_watch_sweep(st, "/nonexistent/watch", &removed, &err) == 0 &&
	    removed == 0, "no directory: nothing to do");
	box_state_close(st);
}

int
main(void)
{
	char cmd[200];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(recs, sizeof(recs), "%s/recordings", dir);
	mkdir(recs, 0700);
	test_prune();
	test_failures();
	test_bounded();
	test_bounded_sessions();
	test_watch_sweep();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
