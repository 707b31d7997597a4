/*
 * Unit tests for lib/box/metrics.c: the exposition text read back line by
 * line (HELP and TYPE before every sample, values from the state, label
 * values escaped, the histogram cumulative) and its atomic write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "box/metrics.h"
#include "core/util.h"
#include "tap.h"

static char dir[] = "/tmp/test-metrics.XXXXXX";

/* The value of the sample line that starts with "series " in text, or -1. */
static double
sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/*
 * Every sample's family has "# HELP" and "# TYPE" lines before it, no
 * family twice, and every line is a comment or "name[{...}] number".
 */
static int
well_formed(const char *text)
{
	char typed[64][64], line[512], name[64];
	const char *p = text, *nl;
	size_t ntyped = 0, i, len;
	int found;

	while (*p != '\0') {
		if ((nl = strchr(p, '\n')) == NULL)
			return 0;	/* the last line ends too */
		len = (size_t)(nl - p);
		if (len >= sizeof(line))
			return 0;
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			if (sscanf(line + 7, "%63s", name) != 1 || ntyped == 64)
				return 0;
			for (i = 0; i < ntyped; i++)
				if (strcmp(typed[i], name) == 0)
					return 0;
			box_strlcpy(typed[ntyped++], name, sizeof(typed[0]));
			continue;
		}
		len = strcspn(line, "{ ");
		if (len == 0 || len >= sizeof(name) || line[len] == '\0')
			return 0;
		memcpy(name, line, len);
		name[len] = '\0';
		for (i = 0, found = 0; i < ntyped && !found; i++) {
			size_t tl = strlen(typed[i]);

			found = strcmp(name, typed[i]) == 0 ||
			    (strncmp(name, typed[i], tl) == 0 &&
			    (strcmp(name + tl, "_bucket") == 0 ||
			    strcmp(name + tl, "_sum") == 0 ||
			    strcmp(name + tl, "_count") == 0));
		}
		if (!found)
			return 0;
	}
	return 1;
}

static void
touch(const char *name)
{
	char path[200];
	int fd;

	snprintf(path, sizeof(path), "%s/profiles/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) >= 0)
		close(fd);
}

static void
test_format(void)
{
	const struct box_counter c[] = {
		{ BOX_CTR_DESTROYED, "reason=we\"ird\\one", 2 },
		{ BOX_CTR_DESTROYED, "other=label", 9 },
		{ "sshbox_evil_total 1\n# TYPE x", "", 5 },
		{ BOX_CTR_REAPER_ACTIONS, "action=orphans", 3 },
	};
	struct box_session_info si = { "s", "", 0, NULL };
	struct box_metrics_pass mp = { 1800000000, 1234 };
	char path[200], hash[BOX_TOKEN_HASH_LEN + 1];
	struct box_state *st;
	struct box_invite inv;
	struct box_binding b;
	struct box_error err;
	struct box_box box;
	int64_t sid, lid;
	char *text = NULL;
	size_t len = 0;
	int created;

	snprintf(path, sizeof(path), "%s/state.db", dir);
	box_state_open(path, 1, &st, &err);
	/* A live "dev" box with a session, made in 0.3 s; a redemption. */
	memset(&inv, 0, sizeof(inv));
	box_strlcpy(inv.id, "f100000000000000", sizeof(inv.id));
	box_strlcpy(inv.profile, "dev", sizeof(inv.profile));
	inv.ttl = 600;
	inv.uses_total = inv.uses_left = 1;
	box_token_hash(inv.id, inv.token_hash);
	box_token_hash(inv.id, hash);
	box_state_invite_add(st, &inv, &err);
	box_state_redeem(st, inv.id, hash, "SHA256:m", "s", 100, &b, &err);
	box_state_audit(st, 100, "redeemed", inv.id, NULL, "SHA256:m", "s",
	    NULL);
	box_state_box_claim(st, &b, "f000000000000001", "s", "docker", NULL,
	    100, &box, &created, &err);
	box_state_box_set_running(st, box.id, "r", 300, &err);
	box_state_session_add(st, box.id, 10, 1, &si, 101, &sid, &lid, &err);
	box_state_counters_add(st, c, sizeof(c) / sizeof(c[0]), &err);
	snprintf(path, sizeof(path), "%s/profiles", dir);
	mkdir(path, 0755);
	touch("dev.yaml");
	touch("secure-shell.yaml");
	touch(".hidden.yaml");
	touch("bad name.yaml");
	touch("notes.txt");

	ok(box_metrics_format(st, path, &mp, &text, &len, &err) == 0 &&
	    text != NULL && len == strlen(text), "metrics formatted");
	if (text == NULL) {
		box_state_close(st);
		return;
	}
	ok(well_formed(text), "every sample after its family's HELP and "
	    "TYPE, each family once, every line whole");
	ok(strstr(text, "# TYPE sshbox_boxes_live gauge\n") != NULL &&
	    strstr(text, "# TYPE sshbox_redemptions_total counter\n") != NULL &&
	    strstr(text, "# TYPE sshbox_box_create_seconds histogram\n") !=
	    NULL, "  with their types");
	ok(sample(text, "sshbox_boxes_live{profile=\"dev\"}") == 1 &&
	    sample(text, "sshbox_sessions_live{profile=\"dev\"}") == 1,
	    "a live box and its session, by profile");
	ok(sample(text, "sshbox_boxes_live{profile=\"secure-shell\"}") == 0 &&
	    sample(text, "sshbox_sessions_live{profile=\"secure-shell\"}") ==
	    0, "  a profile with nothing live at 0");
	ok(strstr(text, "hidden") == NULL && strstr(text, "bad name") == NULL &&
	    strstr(text, "notes") == NULL, "  no file that is no profile");
	ok(sample(text, "sshbox_redemptions_total{outcome=\"redeemed\"}") ==
	    1 && sample(text, "sshbox_redemptions_total{outcome=\"expired\"}")
	    == 0,
	    "redemptions by outcome, those never seen at 0");
	ok(sample(text, "sshbox_boxes_destroyed_total{reason=\"we\\\"ird\\\\"
	    "one\"}") == 2, "a label value's quote and backslash escaped");
	ok(strstr(text, "other=") == NULL && strstr(text, "other\"} 9") ==
	    NULL && strstr(text, "evil") == NULL,
	    "rows of no known counter or label are not shown");
	ok(sample(text, "sshbox_reaper_actions_total{action=\"orphans\"}") ==
	    3 && sample(text, "sshbox_reaper_actions_total"
	    "{action=\"pruned_audit\"}") == 0 &&
	    sample(text, "sshbox_reaper_errors_total") == 0,
	    "the reaper's actions and errors");
	ok(sample(text, "sshbox_box_create_seconds_bucket{le=\"0.25\"}") == 0 &&
	    sample(text, "sshbox_box_create_seconds_bucket{le=\"0.5\"}") == 1 &&
	    sample(text, "sshbox_box_create_seconds_bucket{le=\"60\"}") == 1 &&
	    sample(text, "sshbox_box_create_seconds_bucket{le=\"+Inf\"}") == 1,
	    "the histogram: cumulative buckets and +Inf");
	ok(strstr(text, "\nsshbox_box_create_seconds_sum 0.300\n") != NULL &&
	    sample(text, "sshbox_box_create_seconds_count") == 1,
	    "  its sum in seconds and its count");
	ok(sample(text, "sshbox_reaper_last_run_timestamp_seconds") ==
	    1800000000 && strstr(text,
	    "\nsshbox_reaper_run_duration_seconds 1.234\n") != NULL,
	    "the pass's end and duration");
	free(text);
	ok(box_metrics_format(st, NULL, NULL, &text, &len, &err) == 0 &&
	    strstr(text, "reaper_last_run") == NULL &&
	    strstr(text, "secure-shell") == NULL && well_formed(text),
	    "without a pass or profiles: neither shown");
	free(text);
	box_state_close(st);
}

static int
file_is(const char *path, const char *want)
{
	char *buf = NULL;
	size_t len;
	int same;

	if (box_read_file(path, 1 << 20, &buf, &len, NULL) < 0)
		return 0;
	same = strcmp(buf, want) == 0;
	free(buf);
	return same;
}

static void
test_write(void)
{
	char path[200], tmp[240], target[200];
	struct stat sb;
	mode_t old;

	snprintf(path, sizeof(path), "%s/sshbox.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	snprintf(target, sizeof(target), "%s/target", dir);
	old = umask(077);
	ok(box_metrics_write(path, "a 1\n", 4, NULL) == 0 &&
	    file_is(path, "a 1\n"), "written");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0644,
	    "  mode 0644 whatever the umask");
	ok(access(tmp, F_OK) < 0, "  no temporary file left");
	ok(box_metrics_write(path, "a 2\n", 4, NULL) == 0 &&
	    file_is(path, "a 2\n"), "replaced");

	/* A link where the temporary file goes is removed, not followed. */
	if (symlink(target, tmp) < 0)
		diag("symlink: %s", strerror(errno));
	ok(box_metrics_write(path, "a 3\n", 4, NULL) == 0 &&
	    file_is(path, "a 3\n") && access(target, F_OK) < 0 &&
	    lstat(path, &sb) == 0 && S_ISREG(sb.st_mode),
	    "a link planted as the temporary file: not followed");
	/* A link as the file itself is replaced, its target untouched. */
	unlink(path);
	if (symlink(target, path) < 0)
		diag("symlink: %s", strerror(errno));
	ok(box_metrics_write(path, "a 4\n", 4, NULL) == 0 &&
	    lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    access(target, F_OK) < 0, "a link as the file: replaced by a "
	    "file, its target never made");
	snprintf(path, sizeof(path), "%s/nodir/sshbox.prom", dir);
	ok(box_metrics_write(path, "a 1\n", 4, NULL) < 0,
	    "no such directory: an error");
	umask(old);
}

int
main(void)
{
	char cmd[200];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_format();
	test_write();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
