/*
 * box-reaper: the authority on expiry.  Destroys boxes past their deadline
 * or their linger time, ends sessions of dead box-shells, reconciles the
 * state with the runtime both ways, prunes what is past the retention and
 * writes the metrics.  Run from a timer (--once) or as a loop; a lock file
 * keeps two runs from racing.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "box/box.h"
#include "box/metrics.h"
#include "box/retention.h"
#include "runtime/helper.h"
#include "core/log.h"
#include "core/priv.h"
#include "core/util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	stop = 1;
}

static int
become_box(const char **conf)
{
	static char confabs[PATH_MAX];
	struct box_config cfg;
	struct box_error err;

	if (realpath(*conf, confabs) == NULL) {
		box_log(LOG_ERR, "%s: %s", *conf, strerror(errno));
		return -1;
	}
	*conf = confabs;
	if (box_config_load(*conf, &cfg, &err) < 0) {
		box_log(LOG_ERR, "%s", err.msg);
		return -1;
	}
	box_log_set_format(cfg.log_format);
	if (box_priv_become(cfg.box_user, &err) < 0) {
		box_log(LOG_ERR, "%s", err.msg);
		return -1;
	}
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: box-reaper [-c FILE] [--once] [--interval DURATION]"
	    " [--json]\n"
	    "Destroy expired and orphaned sshbox boxes; see box-reaper(8).\n"
	    "  -c FILE          configuration (default %s/sshbox/sshbox.yaml)\n"
	    "  --once           one pass, then exit (for timers and cron)\n"
	    "  --interval D     time between passes when looping (30s)\n"
	    "  --json           print each pass's counts as JSON\n"
	    "Each pass also keeps the warm pools of profiles with pool: N.\n"
	    "(box-shell runs it as --refill PROFILE --helper-fd N to refill one\n"
	    "pool in the background; not for interactive use.)\n",
	    SYSCONFDIR);
}

/* The pass's actions and errors, added to the state's counters. */
static void
count_pass(struct box_ctx *ctx, const struct box_reap_stats *rs,
    const struct box_retention_stats *ps, int errors)
{
	const struct box_counter c[] = {
#define ACTION(a, n) { BOX_CTR_REAPER_ACTIONS, "action=" a, (n) }
		ACTION("expired", rs->expired),
		ACTION("lingered", rs->lingered),
		ACTION("stuck", rs->stuck),
		ACTION("revoked", rs->revoked),
		ACTION("stale_sessions", rs->stale_sessions),
		ACTION("vanished", rs->vanished),
		ACTION("orphans", rs->orphans),
		ACTION("pool_made", rs->pool_made),
		ACTION("pool_replaced", rs->pool_replaced),
		ACTION("pruned_audit", ps->audit),
		ACTION("pruned_sessions", ps->sessions),
		ACTION("pruned_recordings", ps->recordings),
#undef ACTION
		{ BOX_CTR_REAPER_ERRORS, "", errors },
	};
	struct box_error err;

	if (box_state_counters_add(ctx->st, c, sizeof(c) / sizeof(c[0]),
	    &err) < 0)
		box_log(LOG_ERR, "counters: %s", err.msg);
}

static int
write_metrics(struct box_ctx *ctx, int64_t started_ms)
{
	struct box_metrics_pass mp;
	struct box_error err;
	char *buf;
	size_t len;
	int rc;

	mp.finished_at = box_now();
	mp.duration_ms = box_now_ms() - started_ms;
	if (box_metrics_format(ctx->st, ctx->cfg.profiles_dir, &mp, &buf,
	    &len, &err) < 0) {
		box_log(LOG_ERR, "metrics: %s", err.msg);
		return -1;
	}
	rc = box_metrics_write(ctx->cfg.metrics_file, buf, len, &err);
	free(buf);
	if (rc < 0)
		box_log(LOG_ERR, "metrics: %s", err.msg);
	return rc;
}

/*
 * Refill one profile's pool, through the box-runtime conversation at fd,
 * unless a reaper pass runs (it refills every pool).
 */
static int
refill(const char *conf, const char *profile, int fd)
{
	struct box_reap_stats rs;
	struct box_error err;
	struct box_ctx ctx;
	int lock, rc;

	box_helper_adopt(fd);
	/* The guest who took a pooled box is starting its session: its
	 * first exchange goes before the new box is made. */
	{
		struct timespec ts = { 0, 500000000 };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	if (box_ctx_open(&ctx, conf, 0, &err) < 0) {
		box_log(LOG_ERR, "%s", err.msg);
		return 1;
	}
	box_log_set_format(ctx.cfg.log_format);
	if ((lock = box_reaper_lock(&ctx.cfg, &err)) < 0) {
		box_ctx_close(&ctx);
		return lock == -2 ? 0 : 1;
	}
	memset(&rs, 0, sizeof(rs));
	rc = box_pool_fill(&ctx, profile, &rs, &err);
	if (rc < 0)
		box_log(LOG_ERR, "pool of %s: %s", profile, err.msg);
	else if (rs.pool_made + rs.pool_replaced > 0)
		box_log(LOG_INFO, "pool of %s: %d boxes made, %d replaced",
		    profile, rs.pool_made, rs.pool_replaced);
	close(lock);
	box_ctx_close(&ctx);
	return rc < 0 ? 1 : 0;
}

static int
pass(const char *conf, int json)
{
	struct box_retention_stats ps;
	struct box_reap_stats rs;
	struct box_error err;
	struct box_ctx ctx;
	int64_t started = box_now_ms();
	int lock, rc = 0, failed = 0;
	long long swept = 0;
	char wdir[PATH_MAX + 8];

	/* As the box account, the runtime is reached through box-runtime. */
	box_helper_start(conf);
	if (box_ctx_open(&ctx, conf, 0, &err) < 0) {
		box_log(LOG_ERR, "%s", err.msg);
		return 1;
	}
	box_log_set_format(ctx.cfg.log_format);
	lock = box_reaper_lock(&ctx.cfg, &err);
	if (lock == -2) {
		box_log(LOG_NOTICE, "another box-reaper is running; "
		    "skipping this pass");
		box_ctx_close(&ctx);
		return 0;
	}
	if (lock < 0) {
		box_log(LOG_ERR, "%s", err.msg);
		box_ctx_close(&ctx);
		return 1;
	}
	if (box_reap(&ctx, box_now(), &rs, &err) < 0) {
		box_log(LOG_ERR, "reconciliation with the runtime failed: %s",
		    err.msg);
		failed = 1;
	}
	/* Warm pools after the reconciliation: what it ended is no
	 * longer counted. */
	if (box_pool_fill(&ctx, NULL, &rs, &err) < 0)
		box_log(LOG_ERR, "pools: %s", err.msg);
	if (box_retention_prune(ctx.st, ctx.cfg.recordings_dir, box_now(),
	    ctx.cfg.retention, BOX_RETENTION_MAX, &ps, &err) < 0)
		box_log(LOG_ERR, "retention: %s", err.msg);
	if (snprintf(wdir, sizeof(wdir), "%s/watch", ctx.cfg.state_dir) <
	    (int)sizeof(wdir) && box_watch_sweep(ctx.st, wdir, &swept,
	    &err) < 0)
		box_log(LOG_ERR, "%s", err.msg);
	else if (swept > 0)
		box_log(LOG_INFO, "removed %lld watch sockets of sessions no "
		    "longer live", swept);
	count_pass(&ctx, &rs, &ps, failed + rs.errors + ps.errors);
	if (failed + rs.errors + ps.errors > 0)
		rc = 1;
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "expired", json_object_new_int(rs.expired));
		json_object_object_add(o, "lingered",
		    json_object_new_int(rs.lingered));
		json_object_object_add(o, "stuck", json_object_new_int(rs.stuck));
		json_object_object_add(o, "revoked",
		    json_object_new_int(rs.revoked));
		json_object_object_add(o, "stale_sessions",
		    json_object_new_int(rs.stale_sessions));
		json_object_object_add(o, "vanished",
		    json_object_new_int(rs.vanished));
		json_object_object_add(o, "orphans", json_object_new_int(rs.orphans));
		json_object_object_add(o, "pool_made",
		    json_object_new_int(rs.pool_made));
		json_object_object_add(o, "pool_replaced",
		    json_object_new_int(rs.pool_replaced));
		json_object_object_add(o, "pruned_audit",
		    json_object_new_int64(ps.audit));
		json_object_object_add(o, "pruned_sessions",
		    json_object_new_int64(ps.sessions));
		json_object_object_add(o, "pruned_recordings",
		    json_object_new_int64(ps.recordings));
		json_object_object_add(o, "errors",
		    json_object_new_int(rs.errors + ps.errors));
		puts(json_object_to_json_string(o));
		fflush(stdout);
		json_object_put(o);
	}
	if (rs.expired + rs.lingered + rs.stuck + rs.revoked +
	    rs.stale_sessions +
	    rs.vanished + rs.orphans > 0)
		box_log(LOG_NOTICE, "destroyed %d expired, %d lingered, %d stuck,"
		    " %d revoked; %d stale sessions; %d vanished; %d orphans "
		    "removed; %d errors", rs.expired, rs.lingered, rs.stuck,
		    rs.revoked,
		    rs.stale_sessions, rs.vanished, rs.orphans, rs.errors);
	if (rs.pool_made + rs.pool_replaced > 0)
		box_log(LOG_NOTICE, "pools: %d boxes made, %d replaced",
		    rs.pool_made, rs.pool_replaced);
	if (ps.audit + ps.sessions + ps.recordings > 0)
		box_log(LOG_NOTICE, "pruned %lld audit rows, %lld sessions, "
		    "%lld recordings past the retention", ps.audit,
		    ps.sessions, ps.recordings);
	if (ctx.cfg.metrics_file[0] != '\0' && write_metrics(&ctx,
	    started) < 0)
		rc = 1;
	close(lock);
	box_ctx_close(&ctx);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *conf = SYSCONFDIR "/sshbox/sshbox.yaml";
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "refill", required_argument, NULL, 'r' },
		{ "helper-fd", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct box_error err;
	struct sigaction sa;
	int64_t interval = 30;
	const char *refill_profile = NULL;
	long long helper_fd = -1;
	int ch, once = 0, json = 0, rc;

	box_log_init("box-reaper", BOX_LOG_STDERR | BOX_LOG_SYSLOG);
	/* It runs as the box account, like every guest's box-shell; no
	 * no_new_privs here (box-runtime is setgid), but no ptrace either. */
	if (box_priv_undumpable(&err) < 0) {
		box_log(LOG_ERR, "%s", err.msg);
		return 1;
	}
	box_log_set_level(LOG_NOTICE);
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'o': once = 1; break;
		case 'j': json = 1; break;
		case 'i':
			if (box_parse_duration(optarg, &interval, &err) < 0 ||
			    interval < 1) {
				fprintf(stderr, "box-reaper: --interval: %s\n",
				    interval < 1 ? "at least 1s" : err.msg);
				return 2;
			}
			break;
		case 'r':
			if (!box_valid_name(optarg, BOX_PROFILE_NAME_MAX)) {
				fprintf(stderr, "box-reaper: --refill: not a "
				    "profile name\n");
				return 2;
			}
			refill_profile = optarg;
			break;
		case 'f':
			if (box_parse_int(optarg, 3, 1023, &helper_fd,
			    &err) < 0) {
				fprintf(stderr, "box-reaper: --helper-fd: %s\n",
				    err.msg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	/* box-shell's background refill of a pool after a guest took a
	 * box: the box-runtime conversation comes with it. */
	if (refill_profile != NULL) {
		if (optind != argc || helper_fd < 0 || geteuid() == 0) {
			usage(stderr);
			return 2;
		}
		return refill(conf, refill_profile, (int)helper_fd);
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* Run by root (by hand, or a timer set up that way): root never
	 * works on what the box account owns; it becomes that account. */
	if (geteuid() == 0 && become_box(&conf) < 0)
		return 1;
	if (once)
		return pass(conf, json);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop) {
		struct timespec ts = { (time_t)interval, 0 };

		rc = pass(conf, json);
		(void)rc;
		while (!stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	return 0;
}
