/*
 * asciicast v2 recordings of relayed sessions (record.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "session/record.h"

/* One event's line: its bytes each escaped to at most six ("\u001b"). */
#define CHUNK_MAX	(64 * 1024)
#define LINE_MAX_	(6 * (CHUNK_MAX + 4) + 128)

struct stream {			/* a UTF-8 character split across writes */
	uint8_t	 held[4];
	size_t	 nheld;
};

struct box_record {
	int		 dirfd, fd;
	char		 name[128];
	int		 input;
	int		 failed;	/* errno of the write that failed */
	int64_t		 max, written;
	struct timespec	 t0;
	struct stream	 out, in;
	char		*line;
};

int
box_record_valid_name(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < 128 && name[0] != '.' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

static double
elapsed(const struct box_record *r)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - r->t0.tv_sec) +
	    (double)(t.tv_nsec - r->t0.tv_nsec) / 1e9;
}

static int
write_all(struct box_record *r, const char *p, size_t n)
{
	char stop[96];
	ssize_t w;
	int k;

	if (r->failed)
		return -1;
	/* Room is kept for the marker that says why it stopped. */
	if (r->written + (int64_t)n + (int64_t)sizeof(stop) > r->max) {
		k = snprintf(stop, sizeof(stop), "[%.6f, \"m\", \"sshbox: "
		    "recording stopped: size limit\"]\n", elapsed(r));
		if (k > 0 && write(r->fd, stop, (size_t)k) < 0)
			r->failed = errno;
		r->failed = EFBIG;
		return -1;
	}
	while (n > 0) {
		w = write(r->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r->failed = w < 0 ? errno : ENOSPC;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		r->written += w;
	}
	return 0;
}

/* Bytes a UTF-8 sequence led by c has in all (0: c cannot lead one). */
static size_t
utf8_len(uint8_t c)
{
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* Whether b may follow lead at position i (1-based) of its sequence:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
static int
utf8_cont(uint8_t lead, size_t i, uint8_t b)
{
	uint8_t lo = 0x80, hi = 0xbf;

	if (i == 1) {
		if (lead == 0xe0)
			lo = 0xa0;
		else if (lead == 0xed)
			hi = 0x9f;
		else if (lead == 0xf0)
			lo = 0x90;
		else if (lead == 0xf4)
			hi = 0x8f;
	}
	return b >= lo && b <= hi;
}

static char *
put_esc(char *o, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':
		*o++ = '\\';
		*o++ = '"';
		return o;
	case '\\':
		*o++ = '\\';
		*o++ = '\\';
		return o;
	case '\n':
		*o++ = '\\';
		*o++ = 'n';
		return o;
	case '\r':
		*o++ = '\\';
		*o++ = 'r';
		return o;
	}
	if (c < 0x20 || c == 0x7f) {
		memcpy(o, "\\u00", 4);
		o[4] = hex[c >> 4];
		o[5] = hex[c & 15];
		return o + 6;
	}
	*o++ = (char)c;
	return o;
}

/*
 * p[0..n) as the inside of a JSON string at o: characters that are not
 * UTF-8 become U+FFFD (one per maximal invalid part), C0, DEL and C1 are
 * escaped; a character cut at the end is held in s for the next call.
 * Not core/json.c's escaper: that one keeps bad bytes visible as \u00XX
 * in whole strings, this one streams a terminal's output as asciinema
 * readers expect it.
 */
static char *
escape(struct stream *s, const uint8_t *p, size_t n, char *o)
{
	uint8_t buf[4 + CHUNK_MAX];
	size_t len, i = 0, need, k;

	memcpy(buf, s->held, s->nheld);
	memcpy(buf + s->nheld, p, n);
	len = s->nheld + n;
	s->nheld = 0;
	while (i < len) {
		if (buf[i] < 0x80) {
			/* Most of a screen: a run that needs no escape. */
			for (k = i; k < len && buf[k] >= 0x20 && buf[k] < 0x7f &&
			    buf[k] != '"' && buf[k] != '\\'; k++)
				;
			if (k > i) {
				memcpy(o, buf + i, k - i);
				o += k - i;
				i = k;
				continue;
			}
			o = put_esc(o, buf[i++]);
			continue;
		}
		if ((need = utf8_len(buf[i])) == 0) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		for (k = 1; k < need && i + k < len &&
		    utf8_cont(buf[i], k, buf[i + k]); k++)
			;
		if (k < need && i + k == len) {		/* cut: keep it */
			memcpy(s->held, buf + i, k);
			s->nheld = k;
			break;
		}
		if (k < need) {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i += k;
			continue;
		}
		if (buf[i] == 0xc2 && buf[i + 1] <= 0x9f) {	/* C1 */
			o += sprintf(o, "\\u00%02x", buf[i + 1]);
			i += 2;
			continue;
		}
		memcpy(o, buf + i, need);
		o += need;
		i += need;
	}
	return o;
}

static int
event(struct box_record *r, struct stream *s, const char *code,
    const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t take;
	char *o;

	if (r->failed)
		return -1;
	do {
		take = n < CHUNK_MAX ? n : CHUNK_MAX;
		o = r->line + snprintf(r->line, 64, "[%.6f, \"%s\", \"",
		    elapsed(r), code);
		o = escape(s, b, take, o);
		memcpy(o, "\"]\n", 3);
		if (write_all(r, r->line, (size_t)(o + 3 - r->line)) < 0)
			return -1;
		b += take;
		n -= take;
	} while (n > 0);
	return 0;
}

int
box_record_output(struct box_record *r, const void *p, size_t n)
{
	return n == 0 ? 0 : event(r, &r->out, "o", p, n);
}

int
box_record_input(struct box_record *r, const void *p, size_t n)
{
	if (!r->input || n == 0)
		return r->failed ? -1 : 0;
	return event(r, &r->in, "i", p, n);
}

/* A window's size as readers take it: 1..1000 (a guest picks its own). */
static unsigned
clampsz(unsigned v, unsigned dflt)
{
	return v == 0 ? dflt : v > BOX_RECORD_SIZE_MAX ? BOX_RECORD_SIZE_MAX :
	    v;
}

int
box_record_resize(struct box_record *r, unsigned cols, unsigned rows)
{
	char sz[32];
	struct stream none = { { 0 }, 0 };

	snprintf(sz, sizeof(sz), "%ux%u", clampsz(cols, 80),
	    clampsz(rows, 24));
	return event(r, &none, "r", sz, strlen(sz));
}

int
box_record_marker(struct box_record *r, const char *label)
{
	struct stream none = { { 0 }, 0 };

	return event(r, &none, "m", label, strlen(label));
}

int
box_record_failed(const struct box_record *r)
{
	return r != NULL ? r->failed : 0;
}

/* A JSON string's inside for a short trusted value (TERM, a title). */
static void
json_str(char *out, size_t outsz, const char *s)
{
	struct stream none = { { 0 }, 0 };
	char buf[6 * 256 + 8];
	size_t n = strlen(s);

	if (n > 255)
		n = 255;
	*escape(&none, (const uint8_t *)s, n, buf) = '\0';
	box_strlcpy(out, buf, outsz);
}

int
box_record_open(struct box_record **rp, const char *dir, int input,
    int64_t max, unsigned cols, unsigned rows, const char *term,
    const char *title, char *name, size_t namesz, struct box_error *err)
{
	struct box_record *r;
	char hex[17], t[6 * 256 + 8], ti[6 * 256 + 8], head[4096];
	int n;

	*rp = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->line = malloc(LINE_MAX_)) == NULL) {
		free(r);
		return box_error_set(err, BOX_E_INTERNAL, ENOMEM,
		    "out of memory");
	}
	r->fd = r->dirfd = -1;
	r->input = input;
	r->max = max > 0 ? max : INT64_MAX;
	/* Ours alone, and not a link to somewhere else. */
	if ((r->dirfd = box_private_dir(dir, 1, err)) < 0) {
		box_error_wrap(err, "recordings directory %s", dir);
		goto fail;
	}
	if (box_random_hex(hex, 8, err) < 0)
		goto fail;
	n = snprintf(name, namesz, "%lld-%ld-%s.cast", (long long)box_now(),
	    (long)getpid(), hex);
	if (n < 0 || (size_t)n >= namesz) {
		box_error_set(err, BOX_E_INTERNAL, 0, "name too long");
		goto fail;
	}
	if ((r->fd = openat(r->dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600)) < 0) {
		box_error_set(err, BOX_E_CONFIG, errno, "recording %s/%s",
		    dir, name);
		goto fail;
	}
	box_strlcpy(r->name, name, sizeof(r->name));
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	json_str(t, sizeof(t), term != NULL ? term : "");
	json_str(ti, sizeof(ti), title != NULL ? title : "");
	n = snprintf(head, sizeof(head), "{\"version\": 2, \"width\": %u, "
	    "\"height\": %u, \"timestamp\": %lld, \"title\": \"%s\", "
	    "\"env\": {\"TERM\": \"%s\"}}\n", clampsz(cols, 80),
	    clampsz(rows, 24), (long long)box_now(), ti, t);
	if (write_all(r, head, (size_t)n) < 0) {
		box_error_set(err, BOX_E_CONFIG, r->failed, "recording %s/%s",
		    dir, name);
		unlinkat(r->dirfd, name, 0);
		goto fail;
	}
	*rp = r;
	return 0;
fail:
	if (r->fd >= 0)
		close(r->fd);
	if (r->dirfd >= 0)
		close(r->dirfd);
	free(r->line);
	free(r);
	return -1;
}

int
box_record_close(struct box_record *r, int exit_status, const char *reason)
{
	char mark[128], st[16] = "-";
	int complete;

	if (r == NULL)
		return 0;
	if (exit_status >= 0)
		snprintf(st, sizeof(st), "%d", exit_status);
	snprintf(mark, sizeof(mark), BOX_RECORD_END_MARK " exit=%s reason=%s",
	    st, reason != NULL ? reason : "-");
	/* What a split character held back is flushed as U+FFFD first. */
	if (r->out.nheld > 0) {
		r->out.nheld = 0;
		box_record_output(r, "\xff", 1);
	}
	box_record_marker(r, mark);
	if (!r->failed && fsync(r->fd) < 0)
		r->failed = errno;
	if (close(r->fd) < 0 && !r->failed)
		r->failed = errno;
	complete = !r->failed;
	close(r->dirfd);
	free(r->line);
	free(r);
	return complete;
}

void
box_record_discard(struct box_record *r)
{
	if (r == NULL)
		return;
	close(r->fd);
	unlinkat(r->dirfd, r->name, 0);
	close(r->dirfd);
	free(r->line);
	free(r);
}
