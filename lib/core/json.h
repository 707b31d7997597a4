/*
 * JSON strings written by hand, for the lines that must stay one line
 * whatever they carry: the audit file and the log in json format.  Only
 * the escaping lives here; each writer lays out its own object.
 */
#ifndef BOX_JSON_H
#define BOX_JSON_H

#include <stddef.h>

/*
 * Append s (NULL: "") as a JSON string at out + *o, out being outsz bytes,
 * and advance *o.  Quotes, backslashes, control bytes (C1 included) and
 * bytes that are not well-formed UTF-8 are escaped (\u00XX, a byte that is
 * no UTF-8 taken as U+00XX); other UTF-8 passes as it is.  At most max
 * bytes of s are taken, and never more than fits: what is left out is
 * marked "..." inside the quotes, and no escape or character is ever cut.
 * out stays NUL-terminated.  0, or -1 with nothing written when not even
 * "..." fits.
 */
int	box_json_str(char *out, size_t outsz, size_t *o, const char *s,
	    size_t max);

/*
 * Append ,"name":"s" (name is the caller's literal, not escaped), or
 * nothing when s is NULL.  0, or -1 with nothing written when no room.
 */
int	box_json_field(char *out, size_t outsz, size_t *o, const char *name,
	    const char *s, size_t max);

/* 1 when s is well-formed UTF-8 holding no control character (C0, DEL,
 * C1): text an administrator may give that every output can show. */
int	box_utf8_text(const char *s);
/* Bytes of the well-formed multi-byte UTF-8 character at p, or 0. */
size_t	box_utf8_char(const char *p);

#endif
