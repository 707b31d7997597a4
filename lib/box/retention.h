/*
 * Retention: the audit rows, the session history and the recordings
 * older than the configured retention are pruned by box-reaper, a bounded
 * amount each pass, and nothing else is.
 */
#ifndef BOX_RETENTION_H
#define BOX_RETENTION_H

#include <stdint.h>

#include "core/error.h"
#include "state/state.h"

#define BOX_RETENTION_CHUNK	500	/* rows per write transaction */
#define BOX_RETENTION_MAX	5000	/* rows of each kind per pass */

struct box_retention_stats {
	long long	 audit;		/* audit rows removed */
	long long	 sessions;	/* history rows removed */
	long long	 recordings;	/* recording files removed */
	int		 errors;
};

/*
 * Prune what is older than retention seconds at now (0: keep forever;
 * nothing is done): audit rows, and the history rows of sessions that
 * ended before then with the recording file each names in
 * recordings_dir.  At most max_rows of each kind, in transactions of at
 * most BOX_RETENTION_CHUNK rows, so that a first pass on a big state
 * holds the write lock only briefly; the next pass goes on.
 *
 * A recording is removed before its row: a crash in between leaves a row
 * whose file is gone, which the next pass removes, never a file that no
 * row names and nothing would ever remove.  Only the file a row names is
 * removed, with unlinkat in recordings_dir opened O_NOFOLLOW, and only
 * when box_record_valid_name accepts the name and no kept row (a live
 * session, or one within the retention) names the same file; a missing
 * file or directory is fine.  A row whose file could not be removed
 * stays, for the next pass.  Live sessions are never touched.
 *
 * When anything went, an audit event "pruned" says how much.  0, or -1
 * when a step failed (err says the last failure, rs what was done).
 */
int	box_retention_prune(struct box_state *st, const char *recordings_dir,
	    int64_t now, int64_t retention, long long max_rows,
	    struct box_retention_stats *rs, struct box_error *err);

/*
 * Remove the watch sockets (watch.h) in dir that no live session owns:
 * those of box-shells that were killed before they could.  Only names
 * "N.sock" that are sockets; a session N that is live keeps its own.
 * *removed counts them.  0, or -1 (err) when dir cannot be read safely.
 */
int	box_watch_sweep(struct box_state *st, const char *dir,
	    long long *removed, struct box_error *err);

#endif
