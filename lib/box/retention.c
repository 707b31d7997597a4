/* Retention: pruning old audit rows, session history and recordings. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "box/retention.h"
#include "core/util.h"
#include "session/record.h"

struct batch {
	struct box_prune_row	*r;
	size_t			 n;
};

static int
collect(void *arg, const struct box_prune_row *r)
{
	struct batch *b = arg;

	if (b->n < BOX_RETENTION_CHUNK)
		b->r[b->n++] = *r;
	return 0;
}

static int
prune_audit(struct box_state *st, int64_t cutoff, long long max,
    struct box_retention_stats *rs, struct box_error *err)
{
	long long n;
	int lim;

	while (rs->audit < max) {
		lim = max - rs->audit < BOX_RETENTION_CHUNK ?
		    (int)(max - rs->audit) : BOX_RETENTION_CHUNK;
		if (box_state_prune_audit(st, cutoff, lim, &n, err) < 0) {
			rs->errors++;
			return -1;
		}
		rs->audit += n;
		if (n < lim)
			break;
	}
	return 0;
}

/*
 * Remove the recording row r names, if it has one and no kept row shares
 * it.  0 when the row may go (its file is gone, or never was), -1 when
 * the file stays and so must the row.
 */
static int
remove_recording(int dfd, const char *dir, const struct box_prune_row *r,
    struct box_retention_stats *rs, struct box_error *err)
{
	if (r->recording[0] == '\0' || r->shared || dfd < 0)
		return 0;
	/* The state listed only such names; this is the check that counts. */
	if (!box_record_valid_name(r->recording)) {
		rs->errors++;
		return box_error_set(err, BOX_E_INPUT, 0, "session %lld: "
		    "recording name not valid", (long long)r->id);
	}
	if (unlinkat(dfd, r->recording, 0) == 0) {
		rs->recordings++;
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	rs->errors++;
	return box_error_set(err, BOX_E_INTERNAL, errno, "%s/%s", dir,
	    r->recording);
}

static int
prune_sessions(struct box_state *st, const char *dir, int64_t cutoff,
    long long max, struct box_retention_stats *rs, struct box_error *err)
{
	struct batch b = { NULL, 0 };
	int64_t *ids = NULL, after_ended = 0, after_id = 0;
	long long seen = 0, deleted;
	size_t i, nids;
	int dfd, lim, rc = 0;

	/* No directory, no recordings left to remove; one that cannot be
	 * opened (a link, no access) keeps every row for the next pass. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno != ENOENT) {
		rs->errors++;
		return box_error_set(err, BOX_E_CONFIG, errno,
		    "recordings_dir %s", dir);
	}
	b.r = calloc(BOX_RETENTION_CHUNK, sizeof(*b.r));
	ids = calloc(BOX_RETENTION_CHUNK, sizeof(*ids));
	if (b.r == NULL || ids == NULL) {
		rs->errors++;
		rc = box_error_set(err, BOX_E_INTERNAL, errno, "calloc");
		goto out;
	}
	while (seen < max) {
		lim = max - seen < BOX_RETENTION_CHUNK ? (int)(max - seen) :
		    BOX_RETENTION_CHUNK;
		b.n = 0;
		if (box_state_prune_sessions_list(st, cutoff, after_ended,
		    after_id, lim, collect, &b, err) < 0) {
			rs->errors++;
			rc = -1;
			break;
		}
		if (b.n == 0)
			break;
		seen += b.n;
		after_ended = b.r[b.n - 1].ended_at;
		after_id = b.r[b.n - 1].id;
		/* Files first, then the rows of those that went. */
		for (i = nids = 0; i < b.n; i++) {
			if (remove_recording(dfd, dir, &b.r[i], rs, err) < 0)
				rc = -1;
			else
				ids[nids++] = b.r[i].id;
		}
		if (box_state_prune_sessions(st, ids, nids, cutoff, &deleted,
		    err) < 0) {
			rs->errors++;
			rc = -1;
			break;
		}
		rs->sessions += deleted;
		if ((int)b.n < lim)
			break;
	}
out:
	if (dfd >= 0)
		close(dfd);
	free(b.r);
	free(ids);
	return rc;
}

int
box_retention_prune(struct box_state *st, const char *recordings_dir,
    int64_t now, int64_t retention, long long max_rows,
    struct box_retention_stats *rs, struct box_error *err)
{
	char detail[128];
	int rc = 0;

	memset(rs, 0, sizeof(*rs));
	if (retention <= 0 || max_rows <= 0)
		return 0;
	if (prune_audit(st, now - retention, max_rows, rs, err) < 0)
		rc = -1;
	if (prune_sessions(st, recordings_dir, now - retention, max_rows, rs,
	    err) < 0)
		rc = -1;
	if (rs->audit + rs->sessions + rs->recordings > 0) {
		snprintf(detail, sizeof(detail), "audit=%lld sessions=%lld "
		    "recordings=%lld", rs->audit, rs->sessions, rs->recordings);
		box_state_audit(st, now, "pruned", NULL, NULL, NULL, NULL,
		    detail);
	}
	return rc;
}

/* "N.sock", N a session number as box-shell names them. */
static int
watch_name(const char *name, int64_t *id)
{
	size_t n = strspn(name, "0123456789");
	long long v = 0;
	size_t i;

	if (n == 0 || n > 18 || name[0] == '0' || strcmp(name + n, ".sock"))
		return 0;
	for (i = 0; i < n; i++)
		v = v * 10 + (name[i] - '0');
	*id = v;
	return 1;
}

int
box_watch_sweep(struct box_state *st, const char *dir, long long *removed,
    struct box_error *err)
{
	struct box_session_row row;
	struct box_error e;
	struct dirent *de;
	struct stat sb;
	int64_t id;
	DIR *d;
	int fd;

	*removed = 0;
	if ((fd = box_private_dir(dir, 0, err)) < 0)
		return err->kind == BOX_E_NOTFOUND ? 0 :
		    box_error_wrap(err, "watch directory %s", dir);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return box_error_set(err, BOX_E_INTERNAL, errno,
		    "watch directory %s", dir);
	}
	while ((de = readdir(d)) != NULL) {
		if (!watch_name(de->d_name, &id) ||
		    fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISSOCK(sb.st_mode))
			continue;
		/* Live: its box-shell's.  Any other answer but "gone" from
		 * the state: leave it for the next pass. */
		if (box_state_session_get(st, id, &row, &e) == 0 ?
		    row.ended_at == 0 : e.kind != BOX_E_NOTFOUND)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			(*removed)++;
	}
	closedir(d);
	return 0;
}
