/* Prometheus metrics: the text exposition of the state, written atomically. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "box/metrics.h"
#include "core/util.h"

struct row {
	char	 name[BOX_COUNTER_NAME_MAX];
	char	 labels[BOX_COUNTER_LABELS_MAX];
	int64_t	 value;
};

struct live {
	char	 profile[BOX_PROFILE_NAME_MAX + 1];
	long long boxes, sessions;
};

struct data {
	struct row	*rows;
	size_t		 nrows;
	struct live	*live;
	size_t		 nlive;
};

/* Counters with HELP text; label is the one label each has, or NULL. */
static const struct family {
	const char	*name, *label, *help;
} counters[] = {
	{ BOX_CTR_REDEMPTIONS, "outcome", "Invite redemptions by outcome: "
	    "redeemed, or why one was refused." },
	{ BOX_CTR_DESTROYED, "reason", "Boxes destroyed, by reason." },
	{ BOX_CTR_FAILED, NULL, "Boxes that could not be made." },
	{ BOX_CTR_SESSIONS, NULL, "Sessions started." },
	{ BOX_CTR_REAPER_ACTIONS, "action", "What box-reaper did, by action." },
	{ BOX_CTR_REAPER_ERRORS, NULL, "Steps of box-reaper passes that "
	    "failed." },
};

static int
add_row(void *arg, const char *name, const char *labels, int64_t value)
{
	struct data *d = arg;

	if (d->nrows == BOX_METRICS_COUNTERS_MAX)
		return 1;
	box_strlcpy(d->rows[d->nrows].name, name, BOX_COUNTER_NAME_MAX);
	box_strlcpy(d->rows[d->nrows].labels, labels, BOX_COUNTER_LABELS_MAX);
	d->rows[d->nrows++].value = value;
	return 0;
}

static struct live *
find_live(struct data *d, const char *profile)
{
	size_t i;

	for (i = 0; i < d->nlive; i++)
		if (strcmp(d->live[i].profile, profile) == 0)
			return &d->live[i];
	if (d->nlive == BOX_METRICS_PROFILES_MAX)
		return NULL;
	memset(&d->live[d->nlive], 0, sizeof(d->live[0]));
	box_strlcpy(d->live[d->nlive].profile, profile,
	    sizeof(d->live[0].profile));
	return &d->live[d->nlive++];
}

static int
add_live(void *arg, const char *profile, long long boxes, long long sessions)
{
	struct live *l = find_live(arg, profile);

	if (l != NULL) {
		l->boxes = boxes;
		l->sessions = sessions;
	}
	return 0;
}

/* Every profile file gets its gauges, at 0 when nothing of it lives, so
 * that a profile's series do not come and go with its boxes. */
static void
add_profiles(struct data *d, const char *dir)
{
	char name[BOX_PROFILE_NAME_MAX + 1];
	struct dirent *de;
	size_t len;
	DIR *dp;

	if (dir == NULL || (dp = opendir(dir)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (len <= 5 || len - 5 >= sizeof(name) ||
		    strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = '\0';
		if (box_valid_name(name, BOX_PROFILE_NAME_MAX))
			find_live(d, name);
	}
	closedir(dp);
}

static int
cmp_live(const void *a, const void *b)
{
	return strcmp(((const struct live *)a)->profile,
	    ((const struct live *)b)->profile);
}

/* A label value as the exposition format wants it: backslash, quote and
 * newline escaped; other control bytes and bytes beyond ASCII (which
 * could be no UTF-8) shown as '?'. */
static void
put_value(FILE *f, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '"')
			fputs("\\\"", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p >= 0x7f)
			fputc('?', f);
		else
			fputc(*p, f);
	}
}

static void
put_sample(FILE *f, const char *name, const char *label, const char *value,
    long long v)
{
	fputs(name, f);
	if (label != NULL) {
		fprintf(f, "{%s=\"", label);
		put_value(f, value);
		fputs("\"}", f);
	}
	fprintf(f, " %lld\n", v);
}

static void
put_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int64_t
lookup(const struct data *d, const char *name, const char *labels)
{
	size_t i;

	for (i = 0; i < d->nrows; i++)
		if (strcmp(d->rows[i].name, name) == 0 &&
		    strcmp(d->rows[i].labels, labels) == 0)
			return d->rows[i].value;
	return 0;
}

/* The value of "key=value" labels when key is label, else NULL. */
static const char *
label_value(const char *labels, const char *label)
{
	size_t n = strlen(label);

	if (strncmp(labels, label, n) != 0 || labels[n] != '=')
		return NULL;
	return labels + n + 1;
}

static int
listed(const char *const *values, const char *v)
{
	for (; values != NULL && *values != NULL; values++)
		if (strcmp(*values, v) == 0)
			return 1;
	return 0;
}

static void
put_counter(FILE *f, const struct data *d, const struct family *fam)
{
	const char *const *values = box_state_counter_values(fam->name);
	char labels[BOX_COUNTER_LABELS_MAX];
	const char *v;
	size_t i;

	put_head(f, fam->name, "counter", fam->help);
	if (fam->label == NULL) {
		put_sample(f, fam->name, NULL, NULL, lookup(d, fam->name, ""));
		return;
	}
	for (i = 0; values != NULL && values[i] != NULL; i++) {
		snprintf(labels, sizeof(labels), "%s=%s", fam->label,
		    values[i]);
		put_sample(f, fam->name, fam->label, values[i],
		    lookup(d, fam->name, labels));
	}
	/* Values of a later version's, kept as they are. */
	for (i = 0; i < d->nrows; i++) {
		if (strcmp(d->rows[i].name, fam->name) != 0 ||
		    (v = label_value(d->rows[i].labels, fam->label)) == NULL ||
		    listed(values, v))
			continue;
		put_sample(f, fam->name, fam->label, v, d->rows[i].value);
	}
}

static void
put_histogram(FILE *f, const struct data *d)
{
	const struct box_bucket *b = NULL;
	char labels[BOX_COUNTER_LABELS_MAX];
	int64_t count, sum;
	size_t i, n;

	b = box_state_create_buckets(&n);
	count = lookup(d, BOX_CTR_CREATE "_count", "");
	sum = lookup(d, BOX_CTR_CREATE "_sum_ms", "");
	put_head(f, BOX_CTR_CREATE, "histogram", "Time to make a box, from "
	    "its claim to its running, in seconds.");
	for (i = 0; i < n; i++) {
		snprintf(labels, sizeof(labels), "le=%s", b[i].le);
		put_sample(f, BOX_CTR_CREATE "_bucket", "le", b[i].le,
		    lookup(d, BOX_CTR_CREATE "_bucket", labels));
	}
	put_sample(f, BOX_CTR_CREATE "_bucket", "le", "+Inf", count);
	fprintf(f, "%s_sum %lld.%03lld\n", BOX_CTR_CREATE,
	    (long long)(sum / 1000), (long long)(sum % 1000));
	put_sample(f, BOX_CTR_CREATE "_count", NULL, NULL, count);
}

static void
put_metrics(FILE *f, const struct data *d, const struct box_metrics_pass *p)
{
	size_t i;

	put_head(f, "sshbox_boxes_live", "gauge", "Boxes being created or "
	    "running, by profile.");
	for (i = 0; i < d->nlive; i++)
		put_sample(f, "sshbox_boxes_live", "profile",
		    d->live[i].profile, d->live[i].boxes);
	put_head(f, "sshbox_sessions_live", "gauge", "Sessions attached to "
	    "live boxes, by profile.");
	for (i = 0; i < d->nlive; i++)
		put_sample(f, "sshbox_sessions_live", "profile",
		    d->live[i].profile, d->live[i].sessions);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		put_counter(f, d, &counters[i]);
	put_histogram(f, d);
	if (p == NULL)
		return;
	put_head(f, "sshbox_reaper_last_run_timestamp_seconds", "gauge",
	    "When the last box-reaper pass ended, in unix seconds.");
	put_sample(f, "sshbox_reaper_last_run_timestamp_seconds", NULL, NULL,
	    (long long)p->finished_at);
	put_head(f, "sshbox_reaper_run_duration_seconds", "gauge",
	    "How long the last box-reaper pass took, in seconds.");
	fprintf(f, "sshbox_reaper_run_duration_seconds %lld.%03lld\n",
	    (long long)(p->duration_ms / 1000),
	    (long long)(p->duration_ms % 1000));
}

int
box_metrics_format(struct box_state *st, const char *profiles_dir,
    const struct box_metrics_pass *pass, char **out, size_t *outlen,
    struct box_error *err)
{
	struct data d = { NULL, 0, NULL, 0 };
	FILE *f = NULL;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	d.rows = calloc(BOX_METRICS_COUNTERS_MAX, sizeof(*d.rows));
	d.live = calloc(BOX_METRICS_PROFILES_MAX, sizeof(*d.live));
	if (d.rows == NULL || d.live == NULL) {
		box_error_set(err, BOX_E_INTERNAL, errno, "calloc");
		goto out;
	}
	if (box_state_counter_list(st, add_row, &d, err) < 0 ||
	    box_state_live_by_profile(st, add_live, &d, err) < 0)
		goto out;
	add_profiles(&d, profiles_dir);
	qsort(d.live, d.nlive, sizeof(*d.live), cmp_live);
	if ((f = open_memstream(out, outlen)) == NULL) {
		box_error_set(err, BOX_E_INTERNAL, errno, "open_memstream");
		goto out;
	}
	put_metrics(f, &d, pass);
	if (ferror(f) || fclose(f) != 0) {
		f = NULL;
		box_error_set(err, BOX_E_INTERNAL, errno, "metrics");
		goto out;
	}
	f = NULL;
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	free(d.rows);
	free(d.live);
	return rc;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
box_metrics_write(const char *path, const char *buf, size_t len,
    struct box_error *err)
{
	char tmp[PATH_MAX];
	int fd, tries;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp))
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "metrics_file is too long");
	/* A file of that name is a crashed pass's whose PID came back: ours
	 * to remove (unlink takes a link, never what it points at). */
	for (tries = 0; tries < 2; tries++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY, 0644);
		if (fd >= 0 || errno != EEXIST || unlink(tmp) < 0)
			break;
	}
	if (fd < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno, "%s", tmp);
	/* Whatever the umask, the collector (another account) reads it. */
	if (fchmod(fd, 0644) < 0 || write_all(fd, buf, len) < 0 ||
	    fsync(fd) < 0) {
		box_error_set(err, BOX_E_INTERNAL, errno, "%s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		box_error_set(err, BOX_E_INTERNAL, errno, "%s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}
