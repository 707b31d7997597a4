/* Unit tests for lib/box.c's parts that need no runtime: process identity
 * of sessions (zombies count as dead), exit codes, the reaper's lock and
 * opening a bastion without state. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "box.h"
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
	ok(BOX_EXIT_GONE == 247 && BOX_EXIT_CONFIG == 254,
	    "the reserved range is 247..254 as box-shell(8) says");
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

int
main(void)
{
	test_pids();
	test_exit_codes();
	test_lock_and_ctx();
	return tap_done();
}
