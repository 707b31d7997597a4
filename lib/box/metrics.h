/*
 * Prometheus metrics for the node_exporter textfile collector: written by
 * box-reaper after each pass from the state's live rows and counters
 * (box-reaper(8) lists every metric).
 */
#ifndef BOX_METRICS_H
#define BOX_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "state/state.h"

#define BOX_METRICS_PROFILES_MAX	256	/* profiles shown */
#define BOX_METRICS_COUNTERS_MAX	1024	/* counter rows read */

/* What a reaper pass says of itself. */
struct box_metrics_pass {
	int64_t	 finished_at;		/* unix seconds */
	int64_t	 duration_ms;
};

/*
 * The metrics in the text exposition format (0.0.4), each with HELP and
 * TYPE lines, label values escaped: live boxes and sessions for every
 * profile in profiles_dir (NULL: none) or with a live box, the counters of
 * the state (the label values each counter always has shown at 0 when
 * never bumped), and the pass's time when pass is not NULL.  *out is
 * malloc'd and NUL-terminated, *outlen its length; the caller frees it.
 * 0 or -1.
 */
int	box_metrics_format(struct box_state *st, const char *profiles_dir,
	    const struct box_metrics_pass *pass, char **out, size_t *outlen,
	    struct box_error *err);

/*
 * Replace path with buf atomically: written to path.tmp.PID in the same
 * directory (O_EXCL, O_NOFOLLOW), mode 0644, synced, then renamed over
 * path, so that a collector never reads half a file.  0 or -1.
 */
int	box_metrics_write(const char *path, const char *buf, size_t len,
	    struct box_error *err);

#endif
