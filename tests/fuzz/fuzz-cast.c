/*
 * Fuzz target: session recordings (lib/session/cast.c, casthtml.c), as
 * box-invite replay reads them from a file the box account owns.  Every
 * event the reader returns must keep its promises (times in order, known
 * codes, sizes in bounds), and the page made from an accepted recording
 * must hold no '<' inside the element that carries it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session/cast.h"
#include "fuzz.h"

static char tmpdir[] = "/tmp/fuzz-cast.XXXXXX";

static void
remove_player(void)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, BOX_CAST_PLAYER_JS);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, BOX_CAST_PLAYER_CSS);
	unlink(path);
	rmdir(tmpdir);
}

/* A stand-in player, made once, removed at exit. */
static const char *
player_dir(void)
{
	static int made;
	char path[64];
	FILE *f;

	if (made)
		return made > 0 ? tmpdir : NULL;
	made = -1;
	if (mkdtemp(tmpdir) == NULL)
		return NULL;
	atexit(remove_player);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, BOX_CAST_PLAYER_JS);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fputs("var AsciinemaPlayer = {};", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s", tmpdir, BOX_CAST_PLAYER_CSS);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fputs(".ap {}", f);
	fclose(f);
	made = 1;
	return tmpdir;
}

static void
check_page(const char *buf, size_t len)
{
	static const char start[] = "id=\"sshbox-cast\">";
	struct box_error err;
	const char *dir = player_dir(), *p, *e;
	char *out = NULL;
	size_t olen = 0;
	FILE *f;
	int r;

	if (dir == NULL || (f = open_memstream(&out, &olen)) == NULL)
		return;
	r = box_cast_html(f, buf, len, dir, NULL, NULL, &err);
	fclose(f);
	if (r < 0) {
		free(out);
		return;
	}
	if ((p = strstr(out, start)) == NULL)
		abort();
	p += sizeof(start) - 1;
	if ((e = strstr(p, "</script>")) == NULL || memchr(p, '<', (size_t)(e -
	    p)) != NULL || memchr(p, '>', (size_t)(e - p)) != NULL)
		abort();
	free(out);
}

FUZZ_ENTRY(cast)
{
	struct box_cast_header h;
	struct box_cast_event ev;
	struct box_error err;
	struct box_cast *c;
	const char *buf = (const char *)data;
	double last = 0;
	int r;

	if (box_cast_open(&c, buf, size, &h, &err) < 0)
		return 0;
	if (h.width < 1 || h.width > BOX_CAST_SIZE_MAX || h.height < 1 ||
	    h.height > BOX_CAST_SIZE_MAX || strlen(h.title) >= sizeof(h.title))
		abort();
	while ((r = box_cast_next(c, &ev, &err)) == 1) {
		if (!isfinite(ev.time) || ev.time < last ||
		    strchr("oirm", ev.code) == NULL || ev.code == '\0' ||
		    ev.data[ev.len] != '\0')
			abort();
		if (ev.code == 'r' && (ev.cols < 1 || ev.rows < 1 ||
		    ev.cols > BOX_CAST_SIZE_MAX || ev.rows > BOX_CAST_SIZE_MAX))
			abort();
		last = ev.time;
	}
	if (r == 0)
		(void)box_cast_complete(c);
	box_cast_free(c);
	if (r == 0)
		check_page(buf, size);
	return 0;
}
