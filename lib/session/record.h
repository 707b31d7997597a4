/*
 * Recording a relayed session as an asciicast v2 file (sshbox-record(5)):
 * a header line, then one JSON array per event: output ("o"), the
 * guest's input ("i", only when the profile records all), window size
 * ("r", "COLSxROWS") and markers ("m").  A complete recording ends with
 * the marker "sshbox: end exit=N reason=R"; a file without it was cut
 * short.  Bytes that are not UTF-8 become U+FFFD, as asciinema's own
 * recorder does, with characters split across writes kept whole.
 *
 * Files are made only in a directory that belongs to this account and is
 * closed to everyone else, never through a link (O_NOFOLLOW, O_EXCL), mode
 * 0600: the guest's account cannot read them and other users cannot
 * reach them.
 */
#ifndef BOX_RECORD_H
#define BOX_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define BOX_RECORD_END_MARK	"sshbox: end"
#define BOX_RECORD_SIZE_MAX	1000	/* columns or rows written */

struct box_record;

/*
 * Start a recording in dir (made, mode 0700, when missing): a new file
 * with a fresh name (put into name, namesz >= 64) and its header.  With
 * input, the guest's input is recorded too.  A recording that would grow
 * past max bytes stops there, with a marker saying so, and fails (EFBIG):
 * a guest cannot flood it past what readers take, nor fill the disk.  0, or -1 with err set and
 * nothing left behind.
 */
int	box_record_open(struct box_record **rp, const char *dir, int input,
	    int64_t max, unsigned cols, unsigned rows, const char *term,
	    const char *title, char *name, size_t namesz,
	    struct box_error *err);

/* Events.  0, or -1 once a write failed (the disk is full, the size
 * limit): the
 * recording is then incomplete and takes no more events. */
int	box_record_output(struct box_record *r, const void *p, size_t n);
int	box_record_input(struct box_record *r, const void *p, size_t n);
int	box_record_resize(struct box_record *r, unsigned cols,
	    unsigned rows);
int	box_record_marker(struct box_record *r, const char *label);

/* Whether a write failed, and why (an errno). */
int	box_record_failed(const struct box_record *r);

/*
 * End it: the end marker with exit status (-1: none) and reason, then
 * close.  Returns 1 when the recording is complete, 0 when it is not (a
 * write failed, now or before).  NULL is accepted.
 */
int	box_record_close(struct box_record *r, int exit_status,
	    const char *reason);

/* Drop a recording that no session came of: closed and removed.  NULL
 * is accepted. */
void	box_record_discard(struct box_record *r);

/* A recording's file name as box_record_open makes them: what readers
 * of the state accept (no path, no leading dot). */
int	box_record_valid_name(const char *name);

#endif
