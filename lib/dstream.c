/* Docker hijacked-stream parsing: the HTTP response head and stream frames. */
#include <string.h>

#include "dstream.h"

#define DSTREAM_FRAME_MAX	(16U * 1024 * 1024)
#define HTTP_HEAD_MAX		(16 * 1024)

void
box_dstream_init(struct box_dstream *ds)
{
	memset(ds, 0, sizeof(*ds));
}

static int
dstream_header(struct box_dstream *ds, struct box_error *err)
{
	const uint8_t *h = ds->hdr;
	uint32_t len;

	if (h[0] != BOX_DSTREAM_STDIN && h[0] != BOX_DSTREAM_STDOUT &&
	    h[0] != BOX_DSTREAM_STDERR)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "exec stream: unknown stream type %u", h[0]);
	if (h[1] != 0 || h[2] != 0 || h[3] != 0)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "exec stream: malformed frame header");
	len = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 |
	    (uint32_t)h[6] << 8 | (uint32_t)h[7];
	if (len > DSTREAM_FRAME_MAX)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "exec stream: frame of %u bytes is too large", len);
	ds->stream = h[0];
	ds->remaining = len;
	ds->hdrlen = 0;
	return 0;
}

int
box_dstream_feed(struct box_dstream *ds, const uint8_t *buf, size_t len,
    box_dstream_cb cb, void *arg, struct box_error *err)
{
	size_t i = 0, n;

	while (i < len) {
		if (ds->remaining == 0) {
			n = sizeof(ds->hdr) - ds->hdrlen;
			if (n > len - i)
				n = len - i;
			memcpy(ds->hdr + ds->hdrlen, buf + i, n);
			ds->hdrlen += n;
			i += n;
			if (ds->hdrlen == sizeof(ds->hdr) &&
			    dstream_header(ds, err) == -1)
				return -1;
			continue;
		}
		n = ds->remaining;
		if (n > len - i)
			n = len - i;
		ds->remaining -= (uint32_t)n;
		if (cb(arg, ds->stream, buf + i, n) == -1)
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "exec stream: output consumer failed");
		i += n;
	}
	return 0;
}

int
box_dstream_partial(const struct box_dstream *ds)
{
	return ds->hdrlen != 0 || ds->remaining != 0;
}

/* Is line (without its CRLF) a valid status line?  Sets *status. */
static int
http_status_line(const char *p, size_t n, int *status)
{
	size_t i;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ')
		return -1;
	for (i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (*status < 100 || *status > 599)
		return -1;
	if (n > 12 && p[12] != ' ')
		return -1;
	for (i = 12; i < n; i++)
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
			return -1;
		else if ((unsigned char)p[i] == 0x7f)
			return -1;
	return 0;
}

static int
http_header_line(const char *p, size_t n)
{
	size_t i;
	int colon = 0;

	if (n == 0 || p[0] == ':' || p[0] == ' ' || p[0] == '\t')
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
		if (c == ':')
			colon = 1;
	}
	return colon ? 0 : -1;
}

long
box_http_parse_head(const char *buf, size_t len, int *status,
    struct box_error *err)
{
	static const char magic[] = "HTTP/1.";
	size_t i, n, start, lines = 0, scan;
	int st = 0;

	n = len < sizeof(magic) - 1 ? len : sizeof(magic) - 1;
	if (memcmp(buf, magic, n) != 0)
		goto bad;
	scan = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	start = 0;
	for (i = 0; i + 1 < scan; i++) {
		if (buf[i] == '\n')
			goto bad;
		if (buf[i] != '\r')
			continue;
		if (buf[i + 1] != '\n')
			goto bad;
		if (lines == 0) {
			if (http_status_line(buf, i, &st) == -1)
				goto bad;
		} else if (i == start) {
			*status = st;
			return (long)(i + 2);
		} else if (http_header_line(buf + start, i - start) == -1)
			goto bad;
		lines++;
		start = i + 2;
		i++;
	}
	if (len >= HTTP_HEAD_MAX)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "Docker daemon reply head is over %d bytes", HTTP_HEAD_MAX);
	return 0;
 bad:
	return box_error_set(err, BOX_E_RUNTIME, 0,
	    "Docker daemon sent a malformed HTTP reply");
}
