/* The box-runtime protocol: request and reply lines (see helper.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/helper.h"
#include "core/log.h"
#include "core/util.h"

#define MAX_WORDS 8

static const struct {
	const char *name;
	enum box_helper_op op;
	int nargs;
} ops[] = {
	{ "create",  BOX_HOP_CREATE,  3 },
	{ "destroy", BOX_HOP_DESTROY, 2 },
	{ "inspect", BOX_HOP_INSPECT, 1 },
	{ "list",    BOX_HOP_LIST,    0 },
	{ "agent",   BOX_HOP_AGENT,   2 },
	{ "pause",   BOX_HOP_PAUSE,   2 },
	{ "unpause", BOX_HOP_UNPAUSE, 2 },
	{ "use",     BOX_HOP_USE,     1 },
	{ "fresh",   BOX_HOP_FRESH,   3 },
	{ "clone",   BOX_HOP_CLONE,   0 },
	{ "sign",    BOX_HOP_SIGN,    3 },
};

/* The name of a request that takes BOXID REF. */
static const char *
op_name(enum box_helper_op op)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].op == op)
			return ops[i].name;
	return "?";
}

static int
is_hex(const char *s, size_t len)
{
	return len > 0 && strspn(s, "0123456789abcdef") == len;
}

int
box_helper_valid_ref(const char *ref)
{
	size_t n = strlen(ref);

	/* Whole ids only: Docker resolves id prefixes, which would let a
	 * caller probe for other containers. */
	if (n == 64 && is_hex(ref, n))
		return 1;
	return n == 7 + BOX_ID_LEN && strncmp(ref, "sshbox-", 7) == 0 &&
	    is_hex(ref + 7, BOX_ID_LEN);
}

/*
 * Copy line (len bytes, no NUL) into buf and split it into words at single
 * spaces; words are printable ASCII.  The number of words, or -1.
 */
static int
split(const char *line, size_t len, char buf[BOX_HELPER_LINE_MAX], char **w,
    struct box_error *err)
{
	char *p = buf;
	int n = 0;

	if (len == 0 || len >= BOX_HELPER_LINE_MAX ||
	    memchr(line, '\0', len) != NULL)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "malformed request");
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (;;) {
		if (n == MAX_WORDS)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "too many words");
		w[n++] = p;
		while (*p > ' ' && *p < 0x7f)
			p++;
		if (*p == '\0')
			break;
		if (*p != ' ' || p == w[n - 1])
			return box_error_set(err, BOX_E_INPUT, 0,
			    "malformed request");
		*p++ = '\0';
	}
	if (*w[n - 1] == '\0')
		return box_error_set(err, BOX_E_INPUT, 0, "malformed request");
	return n;
}

int
box_helper_parse_req(const char *line, size_t len,
    struct box_helper_req *req, struct box_error *err)
{
	char buf[BOX_HELPER_LINE_MAX], *w[MAX_WORDS];
	long long v;
	size_t i;
	int n;

	memset(req, 0, sizeof(*req));
	if ((n = split(line, len, buf, w, err)) < 0)
		return -1;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(w[0], ops[i].name) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return box_error_set(err, BOX_E_INPUT, 0, "unknown request");
	if (n - 1 != ops[i].nargs)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "%s takes %d arguments", ops[i].name, ops[i].nargs);
	req->op = ops[i].op;
	switch (req->op) {
	case BOX_HOP_CREATE:
		if (strlen(w[1]) != BOX_ID_LEN || !is_hex(w[1], BOX_ID_LEN))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid box id");
		if (!box_valid_name(w[2], BOX_PROFILE_NAME_MAX))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid profile name");
		if (box_parse_int(w[3], 1, INT64_MAX, &v, NULL) < 0)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid deadline");
		memcpy(req->ref, w[1], BOX_ID_LEN + 1);
		box_strlcpy(req->profile, w[2], sizeof(req->profile));
		req->deadline = v;
		return 0;
	case BOX_HOP_DESTROY:
	case BOX_HOP_AGENT:
	case BOX_HOP_PAUSE:
	case BOX_HOP_UNPAUSE:
		if (strlen(w[1]) != BOX_ID_LEN || !is_hex(w[1], BOX_ID_LEN))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid box id");
		memcpy(req->box_id, w[1], BOX_ID_LEN + 1);
		if (strcmp(w[2], "-") == 0)
			return 0;
		if (!box_helper_valid_ref(w[2]))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid box reference");
		box_strlcpy(req->ref, w[2], sizeof(req->ref));
		return 0;
	case BOX_HOP_INSPECT:
		if (!box_helper_valid_ref(w[1]))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid box reference");
		box_strlcpy(req->ref, w[1], sizeof(req->ref));
		return 0;
	case BOX_HOP_LIST:
		return 0;
	case BOX_HOP_FRESH:
		if (strlen(w[1]) != BOX_ID_LEN || !is_hex(w[1], BOX_ID_LEN))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid box id");
		memcpy(req->box_id, w[1], BOX_ID_LEN + 1);
		if (strcmp(w[2], "-") != 0) {
			if (!box_helper_valid_ref(w[2]))
				return box_error_set(err, BOX_E_INPUT, 0,
				    "invalid box reference");
			box_strlcpy(req->ref, w[2], sizeof(req->ref));
		}
		if (!box_valid_name(w[3], BOX_PROFILE_NAME_MAX))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid profile name");
		box_strlcpy(req->profile, w[3], sizeof(req->profile));
		return 0;
	case BOX_HOP_CLONE:
		return 0;
	case BOX_HOP_SIGN:
		if (!box_valid_name(w[1], BOX_PROFILE_NAME_MAX))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid profile name");
		if (box_parse_int(w[2], 1, 366LL * 86400, &v, NULL) < 0)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid ttl");
		req->ttl = v;
		if (box_parse_int(w[3], 1, 30LL * 86400, &v, NULL) < 0)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid expiry");
		req->expires = v;
		box_strlcpy(req->profile, w[1], sizeof(req->profile));
		return 0;
	case BOX_HOP_USE:
		if (!box_config_known_runtime(w[1]))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "unknown runtime");
		box_strlcpy(req->runtime, w[1], sizeof(req->runtime));
		return 0;
	}
	return box_error_set(err, BOX_E_INPUT, 0, "unknown request");
}

int
box_helper_format_req(const struct box_helper_req *req, char *buf,
    size_t bufsz, struct box_error *err)
{
	int n = -1;

	switch (req->op) {
	case BOX_HOP_CREATE:
		n = snprintf(buf, bufsz, "create %s %s %lld\n", req->ref,
		    req->profile, (long long)req->deadline);
		break;
	case BOX_HOP_DESTROY:
	case BOX_HOP_AGENT:
	case BOX_HOP_PAUSE:
	case BOX_HOP_UNPAUSE:
		if (strlen(req->box_id) != BOX_ID_LEN ||
		    !is_hex(req->box_id, BOX_ID_LEN) || (req->ref[0] != '\0' &&
		    !box_helper_valid_ref(req->ref)))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invalid %s request", op_name(req->op));
		n = snprintf(buf, bufsz, "%s %s %s\n", op_name(req->op),
		    req->box_id, req->ref[0] != '\0' ? req->ref : "-");
		break;
	case BOX_HOP_INSPECT:
		n = snprintf(buf, bufsz, "inspect %s\n", req->ref);
		break;
	case BOX_HOP_LIST:
		n = snprintf(buf, bufsz, "list\n");
		break;
	case BOX_HOP_USE:
		n = snprintf(buf, bufsz, "use %s\n", req->runtime);
		break;
	case BOX_HOP_FRESH:
		n = snprintf(buf, bufsz, "fresh %s %s %s\n", req->box_id,
		    req->ref[0] != '\0' ? req->ref : "-", req->profile);
		break;
	case BOX_HOP_CLONE:
		n = snprintf(buf, bufsz, "clone\n");
		break;
	case BOX_HOP_SIGN:
		n = snprintf(buf, bufsz, "sign %s %lld %lld\n", req->profile,
		    (long long)req->ttl, (long long)req->expires);
		break;
	}
	if (n < 0 || (size_t)n >= bufsz)
		return box_error_set(err, BOX_E_INTERNAL, 0,
		    "request does not fit");
	/* What we send must be what the helper accepts. */
	{
		struct box_helper_req check;

		if (box_helper_parse_req(buf, (size_t)n - 1, &check, err) < 0)
			return box_error_wrap(err, "invalid request");
	}
	return n;
}

int
box_helper_parse_reply(char *line, size_t len, char **args,
    struct box_error *err)
{
	char safe[BOX_ERROR_MSG_MAX - 64], *p;
	long long kind;

	*args = NULL;
	if (memchr(line, '\0', len) != NULL)
		goto bad;
	line[len] = '\0';
	if (strcmp(line, "ok") == 0) {
		*args = line + len;
		return 0;
	}
	if (strncmp(line, "ok ", 3) == 0) {
		*args = line + 3;
		return 0;
	}
	if (strncmp(line, "err ", 4) != 0 ||
	    (p = strchr(line + 4, ' ')) == NULL)
		goto bad;
	*p++ = '\0';
	if (box_parse_int(line + 4, BOX_E_INTERNAL, BOX_E_RATE, &kind,
	    NULL) < 0)
		goto bad;
	return box_error_set(err, (enum box_error_kind)kind, 0, "%s",
	    box_log_safe(p, safe, sizeof(safe)));
 bad:
	return box_error_set(err, BOX_E_RUNTIME, 0,
	    "unexpected reply from box-runtime");
}

int
box_helper_parse_obj(const char *line, size_t len,
    struct box_runtime_obj *obj, struct box_error *err)
{
	char buf[BOX_HELPER_LINE_MAX], *w[MAX_WORDS];
	long long v;
	int n;

	memset(obj, 0, sizeof(*obj));
	if ((n = split(line, len, buf, w, err)) != 4 || !box_helper_valid_ref(w[0]) ||
	    strlen(w[1]) != BOX_ID_LEN || !is_hex(w[1], BOX_ID_LEN) ||
	    box_parse_int(w[2], 0, INT64_MAX, &v, NULL) < 0 ||
	    (strcmp(w[3], "0") != 0 && strcmp(w[3], "1") != 0))
		goto bad;
	box_strlcpy(obj->ref, w[0], sizeof(obj->ref));
	memcpy(obj->box_id, w[1], BOX_ID_LEN + 1);
	obj->deadline = v;
	obj->running = w[3][0] == '1';
	return 0;
 bad:
	return box_error_set(err, BOX_E_RUNTIME, 0,
	    "unexpected list entry from box-runtime");
}

int
box_helper_config_allowed(const char *conf, struct box_error *err)
{
	char *buf, *line, *next, *end;
	size_t len;
	int rc, found = 0;

	if (strcmp(conf, SYSCONFDIR "/sshbox/sshbox.yaml") == 0)
		return 0;
	rc = box_read_root_only(BOX_RUNTIME_CONFIGS, 0, 65536, &buf, &len,
	    err);
	if (rc < 0 && err->kind != BOX_E_NOTFOUND)
		return box_error_wrap(err, "configuration");
	for (line = rc < 0 ? NULL : buf; line != NULL && !found;
	    line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line += strspn(line, " \t");
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\r'))
			*--end = '\0';
		found = line[0] == '/' && strcmp(line, conf) == 0;
	}
	if (rc == 0)
		free(buf);
	if (!found)
		return box_error_set(err, BOX_E_CONFIG, 0, "configuration: %s "
		    "is not %s/sshbox/sshbox.yaml and not listed in %s",
		    conf, SYSCONFDIR, BOX_RUNTIME_CONFIGS);
	return 0;
}
