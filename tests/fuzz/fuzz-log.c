/*
 * Fuzz target: log lines.  Whatever the message, context and event
 * fields hold, a text line has no byte a terminal acts on and a json line
 * is one strict JSON object (valid UTF-8), each of them one bounded line.
 * Input: a format byte, then fields separated by NUL (message, box,
 * invite, key, source, detail).
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/log.h"
#include "fuzz.h"

static void
check(const char *line, size_t n, int json)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t i;

	if (n != strlen(line) || n >= BOX_LOG_LINE_MAX)
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f || (!json && c > 0x7f))
			abort();
	}
	if (!json)
		return;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, line, (int)n);
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    json_tokener_get_parse_end(tok) != n)
		abort();
	json_object_put(o);
	json_tokener_free(tok);
}

FUZZ_ENTRY(log)
{
	const char *f[6] = { "", NULL, NULL, NULL, NULL, NULL };
	char *s, *p, line[BOX_LOG_LINE_MAX];
	size_t i, n;
	int json;

	if (size == 0)
		return 0;
	json = data[0] & 1;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	for (i = 0, p = s; i < 6 && p < s + size - 1; i++) {
		f[i] = p;
		p += strlen(p) + 1;
	}
	box_log_set_format(json ? BOX_LOG_JSON : BOX_LOG_TEXT);
	box_log_context(f[1], f[2], f[3]);
	n = box_log_format_line(line, sizeof(line), LOG_INFO, f[0]);
	check(line, n, json);
	n = box_log_format_event(line, sizeof(line), f[0], f[2], f[1], f[3],
	    f[4], f[5]);
	check(line, n, json);
	box_log_context(NULL, NULL, NULL);
	free(s);
	return 0;
}
