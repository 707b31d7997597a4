/* Unit tests for lib/box/box.c's parts that need no runtime: process identity
 * of sessions (zombies count as dead), exit codes, the reaper's lock and
 * opening a bastion without state. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "box/box.h"
#include "fakes/fake-runtime.h"
#include "auth/token.h"
#include "core/log.h"
#include "core/proc.h"
#include "core/util.h"
#include "tap.h"

static void
test_pids(void)
{
	long long me = box_pid_start((long)getpid());
	siginfo_t info;
	int status;
	pid_t child;

	ok(me > 0, "start time of this process");
	ok(box_pid_alive((long)getpid(), me), "this process is alive");
	ok(!box_pid_alive((long)getpid(), me + 1),
	    "another start time means another process");
	ok(!box_pid_alive(0, me) && !box_pid_alive(-5, me), "bad pids");
	if ((child = fork()) == 0)
		_exit(0);
	/* Wait for the exit without reaping: the child is now a zombie. */
	waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT);
	ok(box_pid_start((long)child) == -1, "a zombie has no start time");
	waitpid(child, &status, 0);
	ok(box_pid_start((long)child) == -1, "a reaped process has none");
	{
		struct box_proc_stat ps;

		ok(box_proc_stat((long)getpid(), &ps) == 0 &&
		    ps.session == (long long)getsid(0) && ps.start == me &&
		    ps.state == 'R', "this process's session, start and state");
		if ((child = fork()) == 0) {
			setsid();
			pause();
			_exit(0);
		}
		/* The child's own session shows once setsid ran. */
		for (int i = 0; i < 200; i++) {
			if (box_proc_stat((long)child, &ps) == 0 &&
			    ps.session == (long long)child)
				break;
			usleep(10000);
		}
		ok(ps.session == (long long)child, "a child's own session");
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		ok(box_proc_stat((long)child, &ps) == -1, "a gone process: -1");
	}
}

static void
test_exit_codes(void)
{
	struct box_error e;

	box_error_set(&e, BOX_E_DENIED, 0, "x");
	is_int(box_exit_code(&e), BOX_EXIT_DENIED, "denied");
	box_error_set(&e, BOX_E_RATE, 0, "x");
	is_int(box_exit_code(&e), BOX_EXIT_RATE, "rate");
	box_error_set(&e, BOX_E_STATE, 0, "x");
	is_int(box_exit_code(&e), BOX_EXIT_STATE, "state");
	box_error_set(&e, BOX_E_RUNTIME, 0, "x");
	is_int(box_exit_code(&e), BOX_EXIT_RUNTIME, "runtime");
	box_error_set(&e, BOX_E_INPUT, 0, "x");
	is_int(box_exit_code(&e), BOX_EXIT_USAGE, "input");
	box_error_set(&e, BOX_E_INTERNAL, 0, "x");
	is_int(box_exit_code(&e), BOX_EXIT_CONFIG, "internal");
	{
		int kind, code, inrange = 1;

		for (kind = BOX_E_NONE; kind <= BOX_E_INTERNAL + 4; kind++) {
			box_error_set(&e, (enum box_error_kind)kind, 0, "x");
			code = box_exit_code(&e);
			if (code < BOX_EXIT_GONE || code > BOX_EXIT_CONFIG)
				inrange = 0;
		}
		ok(inrange, "every error kind maps into the reserved range");
	}
}

static void
test_lock_and_ctx(void)
{
	char dir[] = "/tmp/test-box.XXXXXX", conf[64], cmd[96];
	struct box_config cfg;
	struct box_error err;
	struct box_ctx ctx;
	int fd, fd2;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	memset(&cfg, 0, sizeof(cfg));
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", dir);
	fd = box_reaper_lock(&cfg, &err);
	ok(fd >= 0, "reaper lock taken");
	fd2 = box_reaper_lock(&cfg, &err);
	is_int(fd2, -2, "a second holder is told it is taken");
	close(fd);
	fd2 = box_reaper_lock(&cfg, &err);
	ok(fd2 >= 0, "free again once released");
	close(fd2);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s/missing", dir);
	ok(box_reaper_lock(&cfg, &err) == -1 && err.kind == BOX_E_STATE,
	    "a missing state dir is an error, not a lock");

	snprintf(conf, sizeof(conf), "%s/sshbox.yaml", dir);
	if ((f = fopen(conf, "w")) != NULL) {
		fputs("state_dir: state\n", f);
		fclose(f);
	}
	ok(box_ctx_open(&ctx, conf, 0, &err) < 0 &&
	    strstr(err.msg, "box-invite init") != NULL,
	    "no state yet: says to run box-invite init");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
}

/*
 * Provision, attach, destroy and reap through a driver in memory: the box
 * logic above the drivers, with no runtime at all.
 */
/* Each audit event as "event:detail ". */
static int
audit_cb(void *arg, const struct box_audit_row *r)
{
	char *events = arg;
	size_t n = strlen(events);

	snprintf(events + n, 4096 - n, "%s:%s ", r->event, r->detail);
	return 0;
}

static void
test_fake_runtime(void)
{
	static char events[4096];
	char dir[] = "/tmp/test-box-fake.XXXXXX", conf[96], cmd[96];
	char hash[BOX_TOKEN_HASH_LEN + 1];
	struct box_reap_stats rs;
	struct box_invite inv;
	struct box_binding b;
	struct box_profile p;
	struct box_error err;
	struct box_box box, again;
	struct box_ctx ctx;
	FILE *f;

	box_runtime_register(&fake_ops);
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(conf, sizeof(conf), "%s/sshbox.yaml", dir);
	if ((f = fopen(conf, "w")) != NULL) {
		fputs("state_dir: state\ninstance: unit\n", f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "%s/state", dir);
	mkdir(cmd, 0700);
	if (box_ctx_open(&ctx, conf, 1, &err) < 0) {
		ok(0, "a bastion in a temporary directory");
		diag("%s", err.msg);
		return;
	}
	memset(&inv, 0, sizeof(inv));
	strcpy(inv.id, "1111111111111111");
	strcpy(inv.profile, "p");
	inv.ttl = 600;
	inv.created_at = box_now();
	inv.uses_total = inv.uses_left = 2;
	box_token_hash("tok", inv.token_hash);
	box_state_invite_add(ctx.st, &inv, &err);
	box_token_hash("tok", hash);
	ok(box_state_redeem(ctx.st, inv.id, hash, "SHA256:unit", "s",
	    box_now(), &b, &err) == 0, "a bound key");
	memset(&p, 0, sizeof(p));
	strcpy(p.name, "p");
	strcpy(p.runtime, "fake");
	p.linger = 0;

	ok(box_provision(&ctx, &b, &p, "s", &box, &err) == 0 &&
	    strcmp(box.status, "running") == 0, "provision makes a box");
	is_int(fake.creates, 1, "  through the profile's driver, once");
	is_str(box.runtime, "fake", "  and the row says which driver");
	ok(fake_live(box.id), "  the object exists");
	ok(box_provision(&ctx, &b, &p, "s", &again, &err) == 0 &&
	    strcmp(again.id, box.id) == 0 && fake.creates == 1,
	    "a second session attaches to the same box");

	/* Pause and unpause, for warm pools: the same checks as destroy. */
	{
		struct box_runtime *rt = NULL;
		struct fake_obj *o = NULL;
		int i, refused = fake.refused;

		for (i = 0; i < FAKE_MAX; i++)
			if (fake.obj[i].live &&
			    strcmp(fake.obj[i].box_id, box.id) == 0)
				o = &fake.obj[i];
		ok(o != NULL && box_runtime_open("fake", &ctx.cfg, &rt,
		    &err) == 0 && box_runtime_pause(rt, box.id, box.ref, 1,
		    &err) == 0 && o->paused, "pause freezes the box");
		ok(o != NULL && box_runtime_pause(rt, box.id, box.ref, 0,
		    &err) == 0 && !o->paused, "unpause thaws it");
		fake_add("fake-pother", "4444444444444444", "elsewhere");
		ok(box_runtime_pause(rt, "4444444444444444", "fake-pother", 1,
		    &err) < 0 && err.kind == BOX_E_DENIED &&
		    fake.refused == refused + 1,
		    "another instance's box is not paused");
		ok(box_runtime_pause(rt, "5555555555555555", "", 1, &err) < 0 &&
		    err.kind == BOX_E_NOTFOUND, "a missing box: not found");
		box_runtime_free(rt);
	}

	/* The row's reference is box-writable: one naming another box is
	 * refused by the driver, and the other box lives on. */
	fake_add("fake-other", "2222222222222222", "unit");
	box_strlcpy(box.ref, "fake-other", sizeof(box.ref));
	ok(box_destroy(&ctx, &box, "test", &err) < 0 &&
	    err.kind == BOX_E_DENIED && fake_live("2222222222222222"),
	    "destroy through a row naming another box: refused");
	ok(fake_live(box.id), "  the box itself is left for the reaper");

	memset(&rs, 0, sizeof(rs));
	ok(box_reap(&ctx, box_now(), &rs, &err) == 0, "a reaper pass");
	ok(!fake_live(box.id) && rs.orphans >= 1,
	    "  removes the ended box's object (its row is not live)");
	ok(!fake_live("2222222222222222"),
	    "  and the stray object of this instance without a row");
	fake_add("fake-else", "3333333333333333", "elsewhere");
	box_reap(&ctx, box_now(), &rs, &err);
	ok(fake_live("3333333333333333"),
	    "another instance's object is never touched");

	ok(box_provision(&ctx, &b, &p, "s", &box, &err) == 0 &&
	    fake.creates == 2, "a new box after the end");
	/* Gone behind our back: the reaper marks the row. */
	{
		int i;

		for (i = 0; i < FAKE_MAX; i++)
			if (strcmp(fake.obj[i].box_id, box.id) == 0)
				fake.obj[i].live = 0;
	}
	memset(&rs, 0, sizeof(rs));
	box_reap(&ctx, box_now(), &rs, &err);
	box_state_box_get(ctx.st, box.id, &again, &err);
	ok(rs.vanished == 1 && strcmp(again.status, "destroyed") == 0,
	    "a box whose object vanished is marked destroyed");
	events[0] = '\0';
	box_state_audit_list(ctx.st, 0, box.id, NULL, 0, audit_cb, events,
	    &err);
	is_str(events, "box-created:p box-destroyed:runtime object vanished ",
	    "  and its end is an audit event, once");

	ok(box_provision(&ctx, &b, &p, "s", &box, &err) == 0,
	    "and another");
	{
		struct box_session_info si = { "9.9.9.9", "make test", 0,
		    NULL };
		char line[BOX_LOG_LINE_MAX];
		int64_t sid, log_id;
		pid_t child;

		box_log_set_format(BOX_LOG_JSON);
		box_log_format_line(line, sizeof(line), LOG_INFO, "m");
		ok(strstr(line, box.id) != NULL && strstr(line, b.fp) != NULL &&
		    strstr(line, b.invite_id) != NULL,
		    "  provision names the box, invite and key in the log");
		/* A session whose box-shell died without a word. */
		if ((child = fork()) == 0)
			_exit(0);
		waitpid(child, NULL, 0);
		ok(box_state_session_add(ctx.st, box.id, (long)child, 1, &si,
		    box_now(), &sid, &log_id, &err) == 0, "  a session");
		memset(&rs, 0, sizeof(rs));
		box_reap(&ctx, box_now(), &rs, &err);
		events[0] = '\0';
		box_state_audit_list(ctx.st, 0, box.id, NULL, 0, audit_cb,
		    events, &err);
		ok(rs.stale_sessions == 1 && strstr(events, "session-ended:"
		    "session=") != NULL && strstr(events, " end=lost ") != NULL &&
		    strstr(events, "command=make test ") != NULL,
		    "the reaper ends a lost session with its event");
		box_log_format_line(line, sizeof(line), LOG_INFO, "m");
		ok(strstr(line, "\"box\"") == NULL, "  and leaves no box in the "
		    "log context");
		box_log_set_format(BOX_LOG_TEXT);
	}
	ok(box_provision(&ctx, &b, &p, "s", &box, &err) == 0,
	    "and another, after that one lingered out");
	memset(&rs, 0, sizeof(rs));
	box_reap(&ctx, box.deadline, &rs, &err);
	ok(rs.expired == 1 && !fake_live(box.id),
	    "at its deadline the reaper destroys it through its driver");

	fake.fail_create = 1;
	ok(box_provision(&ctx, &b, &p, "s", &box, &err) < 0 &&
	    err.kind == BOX_E_RUNTIME, "a create that fails: an error");
	ok(box_state_box_live_of(ctx.st, b.fp, &again, &err) < 0,
	    "  and no live row is left behind");
	box_ctx_close(&ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
}

int
main(void)
{
	test_pids();
	test_exit_codes();
	test_lock_and_ctx();
	test_fake_runtime();
	return tap_done();
}
