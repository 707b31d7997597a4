/* JSON string escaping shared by the audit file and the json log. */
#include <stdio.h>
#include <string.h>

#include "core/json.h"

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, k;

	if (*p >= 0xc2 && *p <= 0xdf)
		need = 1;
	else if (*p >= 0xe0 && *p <= 0xef)
		need = 2;
	else if (*p >= 0xf0 && *p <= 0xf4)
		need = 3;
	else
		return 0;
	if (*p == 0xe0)
		lo = 0xa0;
	else if (*p == 0xed)
		hi = 0x9f;
	else if (*p == 0xf0)
		lo = 0x90;
	else if (*p == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k <= need; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return need + 1;
}

/* What one character of p becomes (in unit, NUL-terminated); returns the
 * bytes of p it takes. */
static size_t
escape_one(const unsigned char *p, char unit[8])
{
	size_t len;

	if (*p == '"' || *p == '\\') {
		unit[0] = '\\';
		unit[1] = (char)*p;
		unit[2] = '\0';
		return 1;
	}
	if (*p >= 0x20 && *p < 0x7f) {
		unit[0] = (char)*p;
		unit[1] = '\0';
		return 1;
	}
	len = utf8_len(p);
	/* C1 controls (U+0080-U+009F, CSI among them) move terminals as
	 * ESC does: escaped like it, the same character to a parser. */
	if (len == 2 && p[0] == 0xc2 && p[1] <= 0x9f) {
		snprintf(unit, 8, "\\u%04x", p[1]);
		return 2;
	}
	if (len > 0) {
		memcpy(unit, p, len);
		unit[len] = '\0';
		return len;
	}
	snprintf(unit, 8, "\\u%04x", *p);
	return 1;
}

int
box_json_str(char *out, size_t outsz, size_t *o, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t n = 0, len, ulen;
	char unit[8];
	int cut = 0;

	/* Room for the quotes, a cut mark and the NUL is kept throughout. */
	if (*o >= outsz || outsz - *o < 6)
		return -1;
	out[(*o)++] = '"';
	for (; *p != '\0'; p += len, n += len) {
		len = escape_one(p, unit);
		ulen = strlen(unit);
		if (n + len > max || outsz - *o < ulen + 5) {
			cut = 1;
			break;
		}
		memcpy(out + *o, unit, ulen);
		*o += ulen;
	}
	if (cut) {
		memcpy(out + *o, "...", 3);
		*o += 3;
	}
	out[(*o)++] = '"';
	out[*o] = '\0';
	return 0;
}

int
box_json_field(char *out, size_t outsz, size_t *o, const char *name,
    const char *s, size_t max)
{
	size_t start = *o;
	int n;

	if (s == NULL)
		return 0;
	if (*o >= outsz)
		return -1;
	n = snprintf(out + *o, outsz - *o, ",\"%s\":", name);
	if (n < 0 || (size_t)n >= outsz - *o)
		goto full;
	*o += (size_t)n;
	if (box_json_str(out, outsz, o, s, max) == 0)
		return 0;
full:
	*o = start;
	out[start] = '\0';
	return -1;
}

int
box_utf8_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((n = utf8_len(p)) == 0 || (p[0] == 0xc2 && p[1] <= 0x9f))
			return 0;	/* not UTF-8, or a C1 control */
		p += n;
	}
	return 1;
}

size_t
box_utf8_char(const char *p)
{
	return utf8_len((const unsigned char *)p);
}
