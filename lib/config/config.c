/* Configuration: sshbox.yaml and profiles, parsed with libyaml. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <yaml.h>

#include "config/config.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif
#ifndef LIBEXECDIR
#define LIBEXECDIR	"/usr/libexec/sshbox"
#endif
#ifndef PKGDATADIR
#define PKGDATADIR	"/usr/share/sshbox"
#endif

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define MAX_DEPTH	8		/* nesting of mappings and sequences */
#define MAX_SCALAR	4096
#define MIN_MEMORY	(4LL << 20)
#define NANO		1000000000LL

struct ctx {
	yaml_document_t	*doc;
	const char	*fname;
	char		 dir[PATH_MAX];	/* for relative paths in sshbox.yaml */
	struct box_error *err;
};

struct key {
	const char	*name;
	int		(*set)(struct ctx *, yaml_node_t *, const char *,
			    void *);
	size_t		 off;
};

static const char *const cap_known[] = {
	"AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF",
	"CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH",
	"FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE",
	"LINUX_IMMUTABLE", "MAC_ADMIN", "MAC_OVERRIDE", "MKNOD", "NET_ADMIN",
	"NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP",
	"SETGID", "SETPCAP", "SETUID", "SYSLOG", "SYS_ADMIN", "SYS_BOOT",
	"SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE",
	"SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG",
	"WAKE_ALARM",
};

static const char *const cap_denied[] = {
	"ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO",
	"SYS_BOOT", "MAC_ADMIN", "MAC_OVERRIDE", "NET_ADMIN", "SYS_TIME",
	"DAC_READ_SEARCH", "BPF", "PERFMON", "SYSLOG", "LINUX_IMMUTABLE",
	"SETPCAP", "SETFCAP",
};

static int
cerr_line(struct ctx *c, size_t line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int
cerr(struct ctx *c, const yaml_node_t *n, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
cerr_va(struct ctx *c, size_t line, const char *key, const char *fmt,
    va_list ap) __attribute__((format(printf, 4, 0)));

static int
cerr_va(struct ctx *c, size_t line, const char *key, const char *fmt,
    va_list ap)
{
	char why[BOX_ERROR_MSG_MAX];

	vsnprintf(why, sizeof(why), fmt, ap);
	if (key != NULL)
		return box_error_set(c->err, BOX_E_CONFIG, 0,
		    "%.200s:%zu: %s: %s", c->fname, line, key, why);
	return box_error_set(c->err, BOX_E_CONFIG, 0, "%.200s:%zu: %s",
	    c->fname, line, why);
}

static int
cerr_line(struct ctx *c, size_t line, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cerr_va(c, line, key, fmt, ap);
	va_end(ap);
	return -1;
}

static int
cerr(struct ctx *c, const yaml_node_t *n, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cerr_va(c, n->start_mark.line + 1, key, fmt, ap);
	va_end(ap);
	return -1;
}

/* Turn an error from a util parser into "FILE:LINE: KEY: why". */
static int
cerr_wrap(struct ctx *c, const yaml_node_t *n, const char *key)
{
	char why[BOX_ERROR_MSG_MAX];

	box_strlcpy(why, c->err != NULL ? c->err->msg : "invalid value",
	    sizeof(why));
	return cerr(c, n, key, "%s", why);
}

static int
yaml_failed(struct ctx *c, const yaml_parser_t *parser)
{
	const char *problem = parser->problem ? parser->problem : "error";

	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		return box_error_set(c->err, BOX_E_INTERNAL, 0,
		    "%.200s: out of memory", c->fname);
	case YAML_READER_ERROR:
		return box_error_set(c->err, BOX_E_CONFIG, 0,
		    "%.200s: invalid input at byte %zu: %s", c->fname,
		    parser->problem_offset, problem);
	default:
		if (parser->context != NULL)
			return cerr_line(c, parser->problem_mark.line + 1, NULL,
			    "syntax error: %s (%s)", problem, parser->context);
		return cerr_line(c, parser->problem_mark.line + 1, NULL,
		    "syntax error: %s", problem);
	}
}

/*
 * Walk the events once before loading the document: refuse anchors,
 * aliases, tags, several documents and deep nesting, so that the loader
 * never sees them.
 */
static int
prescan(struct ctx *c, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, ndocs = 0, rc = 0, done = 0;
	const yaml_char_t *anchor, *tag;

	if (!yaml_parser_initialize(&parser))
		return box_error_set(c->err, BOX_E_INTERNAL, 0,
		    "cannot initialize the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done && rc == 0) {
		size_t line;

		if (!yaml_parser_parse(&parser, &ev)) {
			rc = yaml_failed(c, &parser);
			break;
		}
		line = ev.start_mark.line + 1;
		anchor = tag = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1)
				rc = cerr_line(c, line, NULL,
				    "only one YAML document is allowed");
			break;
		case YAML_ALIAS_EVENT:
			rc = cerr_line(c, line, NULL,
			    "aliases (*name) are not allowed");
			break;
		case YAML_SCALAR_EVENT:
			anchor = ev.data.scalar.anchor;
			tag = ev.data.scalar.tag;
			break;
		case YAML_SEQUENCE_START_EVENT:
			anchor = ev.data.sequence_start.anchor;
			tag = ev.data.sequence_start.tag;
			depth++;
			break;
		case YAML_MAPPING_START_EVENT:
			anchor = ev.data.mapping_start.anchor;
			tag = ev.data.mapping_start.tag;
			depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (rc == 0 && anchor != NULL)
			rc = cerr_line(c, line, NULL,
			    "anchors (&name) are not allowed");
		else if (rc == 0 && tag != NULL)
			rc = cerr_line(c, line, NULL,
			    "tags (!name) are not allowed");
		else if (rc == 0 && depth > MAX_DEPTH)
			rc = cerr_line(c, line, NULL, "nested too deeply");
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* A scalar without control characters, or an error. */
static int
get_scalar(struct ctx *c, yaml_node_t *v, const char *key, const char **out)
{
	const unsigned char *s;
	size_t i, len;

	*out = NULL;
	if (v->type == YAML_SEQUENCE_NODE)
		return cerr(c, v, key, "expected a single value, not a list");
	if (v->type != YAML_SCALAR_NODE)
		return cerr(c, v, key,
		    "expected a single value, not a mapping");
	s = v->data.scalar.value;
	len = v->data.scalar.length;
	if (len > MAX_SCALAR)
		return cerr(c, v, key, "value too long");
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return cerr(c, v, key,
			    "control character in value");
	*out = (const char *)s;
	return 0;
}

static int
walk_map(struct ctx *c, yaml_node_t *map, const char *prefix,
    const struct key *keys, size_t nkeys, void *obj, size_t *lines)
{
	yaml_node_pair_t *pair;
	char path[128], safe[64];
	uint64_t seen = 0;
	size_t i;

	if (map->type != YAML_MAPPING_NODE)
		return cerr(c, map, prefix, "expected a mapping of keys");
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, pair->value);
		const char *name;

		if (k == NULL || v == NULL)
			return box_error_set(c->err, BOX_E_INTERNAL, 0,
			    "%.200s: broken YAML document", c->fname);
		if (k->type != YAML_SCALAR_NODE)
			return cerr(c, k, prefix, "keys must be plain names");
		if (get_scalar(c, k, prefix, &name) < 0)
			return -1;
		for (i = 0; i < nkeys; i++)
			if (k->data.scalar.length == strlen(keys[i].name) &&
			    memcmp(name, keys[i].name,
			    k->data.scalar.length) == 0)
				break;
		if (i == nkeys)
			box_log_safe(name, safe, sizeof(safe));
		else
			box_strlcpy(safe, keys[i].name, sizeof(safe));
		if (prefix != NULL)
			snprintf(path, sizeof(path), "%s.%s", prefix, safe);
		else
			snprintf(path, sizeof(path), "%s", safe);
		if (i == nkeys)
			return cerr(c, k, path, "unknown key");
		if (seen & (1ULL << i))
			return cerr(c, k, path, "duplicate key");
		seen |= 1ULL << i;
		if (lines != NULL)
			lines[i] = k->start_mark.line + 1;
		if (keys[i].set(c, v, path, (char *)obj + keys[i].off) < 0)
			return -1;
	}
	return 0;
}

/*
 * A list of scalars under key (at most max, each "what"): fn checks and
 * keeps item i, named ikey ("key[i]") in its errors.  *n says how many.
 */
static int
walk_list(struct ctx *c, yaml_node_t *v, const char *key, size_t max,
    const char *what, int (*fn)(struct ctx *, yaml_node_t *, const char *,
    const char *, size_t, void *), void *arg, size_t *n)
{
	yaml_node_item_t *it;
	char ikey[160];
	const char *s;
	size_t i = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return cerr(c, v, key, "expected a list of %s", what);
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++, i++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);

		if (e == NULL)
			return box_error_set(c->err, BOX_E_INTERNAL, 0,
			    "%.200s: broken YAML document", c->fname);
		if (i >= max)
			return cerr(c, e, key, "at most %zu %s", max, what);
		snprintf(ikey, sizeof(ikey), "%s[%zu]", key, i);
		if (get_scalar(c, e, ikey, &s) < 0 ||
		    fn(c, e, ikey, s, i, arg) < 0)
			return -1;
	}
	*n = i;
	return 0;
}

/* Generic setters: field points into the structure being filled. */

static int
set_duration(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (box_parse_duration(s, field, c->err) < 0)
		return cerr_wrap(c, v, key);
	return 0;
}

static int
set_duration_pos(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	if (set_duration(c, v, key, field) < 0)
		return -1;
	if (*(int64_t *)field < 1)
		return cerr(c, v, key, "must be at least 1s");
	return 0;
}

static int
set_bool(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0)
		*(int *)field = 1;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0)
		*(int *)field = 0;
	else
		return cerr(c, v, key, "expected true or false");
	return 0;
}

static int
set_int(struct ctx *c, yaml_node_t *v, const char *key, long long min,
    long long max, long long *out)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (box_parse_int(s, min, max, out, c->err) < 0)
		return cerr_wrap(c, v, key);
	return 0;
}

/* sshbox.yaml */

static int
set_cfg_path(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;
	int n;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (*s == '\0')
		return cerr(c, v, key, "empty path");
	if (s[0] == '/')
		n = snprintf(field, PATH_MAX, "%s", s);
	else
		n = snprintf(field, PATH_MAX, "%s/%s", c->dir, s);
	if (n < 0 || n >= PATH_MAX)
		return cerr(c, v, key, "path too long");
	return 0;
}

static int
set_box_user(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;
	size_t i;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (*s == '\0' || strlen(s) > BOX_USER_MAX)
		return cerr(c, v, key, "must be 1 to %d characters",
		    BOX_USER_MAX);
	if (!(islower((unsigned char)s[0]) || s[0] == '_'))
		return cerr(c, v, key,
		    "a user name starts with a-z or _");
	for (i = 1; s[i] != '\0'; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return cerr(c, v, key,
			    "a user name is made of a-z, 0-9, _ and -");
	box_strlcpy(field, s, BOX_USER_MAX + 1);
	((struct box_config *)((char *)field - offsetof(struct box_config,
	    box_user)))->explicit_keys |= BOX_CFG_BOX_USER;
	return 0;
}

static int
set_host(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;
	size_t i;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (*s == '\0' || strlen(s) > 255)
		return cerr(c, v, key, "must be 1 to 255 characters");
	if (s[0] == '-')
		return cerr(c, v, key, "must not start with -");
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != ':' && s[i] != '-')
			return cerr(c, v, key,
			    "not a host name or IP address");
	box_strlcpy(field, s, 256);
	return 0;
}

static int
set_port(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	long long n;

	if (set_int(c, v, key, 1, 65535, &n) < 0)
		return -1;
	*(int *)field = (int)n;
	return 0;
}

static int
set_instance(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (!box_valid_name(s, 32))
		return cerr(c, v, key, "must be 1 to 32 characters of "
		    "A-Z, a-z, 0-9, ., _ and -, not starting with . or -");
	box_strlcpy(field, s, 33);
	((struct box_config *)((char *)field - offsetof(struct box_config,
	    instance)))->explicit_keys |= BOX_CFG_INSTANCE;
	return 0;
}

/* host_key: a path, and the file was named (so it must be there). */
static int
set_host_key(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	if (set_cfg_path(c, v, key, field) < 0)
		return -1;
	((struct box_config *)((char *)field - offsetof(struct box_config,
	    host_key)))->explicit_keys |= BOX_CFG_HOST_KEY;
	return 0;
}

/* An int field in [1, max]. */
static int
set_count(struct ctx *c, yaml_node_t *v, const char *key, void *field,
    long long max)
{
	long long n;

	if (set_int(c, v, key, 1, max, &n) < 0)
		return -1;
	*(int *)field = (int)n;
	return 0;
}

static int
set_redeem_max(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return set_count(c, v, key, field, 10000);
}

static const struct key docker_keys[] = {
	{ "socket", set_cfg_path, offsetof(struct box_config, docker_socket) },
	{ "timeout", set_duration_pos,
	    offsetof(struct box_config, docker_timeout) },
};

static int
set_docker(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, docker_keys, nitems(docker_keys), field,
	    NULL);
}

/* The OCI runtimes (runc, crun, runsc): where unpacked images are. */
static const struct key oci_keys[] = {
	{ "images", set_cfg_path, offsetof(struct box_config, oci_images) },
};

static int
set_oci(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, oci_keys, nitems(oci_keys), field, NULL);
}

/* gVisor's platform: ptrace (works everywhere), systrap, or kvm. */
static int
set_runsc_platform(struct ctx *c, yaml_node_t *v, const char *key,
    void *field)
{
	const char *s;
	char safe[64];

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (strcmp(s, "ptrace") != 0 && strcmp(s, "systrap") != 0 &&
	    strcmp(s, "kvm") != 0)
		return cerr(c, v, key, "\"%.60s\" is not ptrace, systrap or "
		    "kvm", box_log_safe(s, safe, sizeof(safe)));
	box_strlcpy(field, s, 16);
	return 0;
}

static const struct key runsc_keys[] = {
	{ "platform", set_runsc_platform,
	    offsetof(struct box_config, runsc_platform) },
};

static int
set_runsc(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, runsc_keys, nitems(runsc_keys), field,
	    NULL);
}

/* The microvm runtime: the account QEMU and its link run as. */
static int
set_vm_user(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (!box_valid_name(s, BOX_USER_MAX) || strcmp(s, "root") == 0)
		return cerr(c, v, key, "expected the name of an unprivileged "
		    "account");
	box_strlcpy(field, s, BOX_USER_MAX + 1);
	return 0;
}

static const struct key microvm_keys[] = {
	{ "user", set_vm_user, offsetof(struct box_config, microvm_user) },
};

static int
set_microvm(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, microvm_keys, nitems(microvm_keys), field,
	    NULL);
}

static const struct key runtime_keys[] = {
	{ "docker", set_docker, 0 },
	{ "oci", set_oci, 0 },
	{ "runsc", set_runsc, 0 },
	{ "microvm", set_microvm, 0 },
};

static int
set_runtime(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, runtime_keys, nitems(runtime_keys), field,
	    NULL);
}

static const struct key redeem_keys[] = {
	{ "max_attempts", set_redeem_max,
	    offsetof(struct box_config, redeem_max) },
	{ "window", set_duration_pos,
	    offsetof(struct box_config, redeem_window) },
};

static int
set_redeem(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, redeem_keys, nitems(redeem_keys), field,
	    NULL);
}

static int
set_limit(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return set_count(c, v, key, field, 100000);
}

static const struct key limits_keys[] = {
	{ "max_boxes", set_limit, offsetof(struct box_config, max_boxes) },
	{ "max_boxes_per_invite", set_limit,
	    offsetof(struct box_config, max_boxes_per_invite) },
	{ "max_boxes_per_source", set_limit,
	    offsetof(struct box_config, max_boxes_per_source) },
};

static int
set_limits(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, limits_keys, nitems(limits_keys), field,
	    NULL);
}

/* One of a few words, as its value; expect lists them for the error. */
struct word {
	const char	*word;
	int		 value;
};

static int
set_word(struct ctx *c, yaml_node_t *v, const char *key, void *field,
    const struct word *w, size_t n, const char *expect)
{
	const char *s;
	char safe[64];
	size_t i;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(s, w[i].word) == 0) {
			*(int *)field = w[i].value;
			return 0;
		}
	}
	return cerr(c, v, key, "\"%.60s\": expected %s",
	    box_log_safe(s, safe, sizeof(safe)), expect);
}

static int
set_log_format(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	static const struct word w[] = {
		{ "text", BOX_LOG_TEXT }, { "json", BOX_LOG_JSON },
	};

	return set_word(c, v, key, field, w, nitems(w), "text or json");
}

/* Staff: the CA, its revocation list, how long a certificate may be. */
static const struct key staff_keys[] = {
	{ "ca_key", set_cfg_path, offsetof(struct box_config, staff_ca) },
	{ "revoked_keys", set_cfg_path,
	    offsetof(struct box_config, staff_krl) },
	{ "max_cert_ttl", set_duration_pos,
	    offsetof(struct box_config, staff_max_cert_ttl) },
};

static int
set_staff(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, staff_keys, nitems(staff_keys), field,
	    NULL);
}

/* A name of a group or profile: [a-z0-9_-], 1 to max - 1 bytes. */
static int
plain_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n < max && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789_-") == n;
}

/* An item of a list of profile names (a group's, approval's). */
static int
profile_item(struct ctx *c, yaml_node_t *e, const char *ikey, const char *s,
    size_t i, void *arg)
{
	char (*out)[BOX_PROFILE_NAME_MAX + 1] = arg;

	if (!box_valid_name(s, BOX_PROFILE_NAME_MAX))
		return cerr(c, e, ikey, "not a profile name");
	box_strlcpy(out[i], s, BOX_PROFILE_NAME_MAX + 1);
	return 0;
}

static int
set_group_profiles(struct ctx *c, yaml_node_t *v, const char *key,
    void *field)
{
	struct box_group *g = field;

	return walk_list(c, v, key, BOX_GROUP_PROFILES_MAX, "profile names",
	    profile_item, g->profiles, &g->nprofiles);
}

static int
set_group_count(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return set_count(c, v, key, field, 100000);
}

static const struct key group_keys[] = {
	{ "profiles", set_group_profiles, 0 },
	{ "max_ttl", set_duration_pos, offsetof(struct box_group, max_ttl) },
	{ "max_boxes", set_group_count,
	    offsetof(struct box_group, max_boxes) },
	{ "invite", set_bool, offsetof(struct box_group, invite) },
};

/* policy.groups: NAME: { profiles, max_ttl, max_boxes, invite }. */
static int
set_groups(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	struct box_config *cfg = field;
	yaml_node_pair_t *pair;
	char gkey[160], safe[64];
	const char *name;
	size_t n = 0, i;

	if (v->type != YAML_MAPPING_NODE)
		return cerr(c, v, key, "expected a mapping of group names");
	for (pair = v->data.mapping.pairs.start;
	    pair < v->data.mapping.pairs.top; pair++, n++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pair->key);
		yaml_node_t *e = yaml_document_get_node(c->doc, pair->value);
		struct box_group *g;

		if (k == NULL || e == NULL)
			return box_error_set(c->err, BOX_E_INTERNAL, 0,
			    "%.200s: broken YAML document", c->fname);
		if (n >= BOX_POLICY_GROUPS_MAX)
			return cerr(c, k, key, "at most %d groups",
			    BOX_POLICY_GROUPS_MAX);
		if (get_scalar(c, k, key, &name) < 0)
			return -1;
		snprintf(gkey, sizeof(gkey), "%s.%s", key,
		    box_log_safe(name, safe, sizeof(safe)));
		if (!plain_name(name, BOX_GROUP_NAME_MAX))
			return cerr(c, k, gkey, "a group name is 1 to %d of "
			    "a-z, 0-9, _ and -", BOX_GROUP_NAME_MAX - 1);
		for (i = 0; i < n; i++)
			if (strcmp(cfg->groups[i].name, name) == 0)
				return cerr(c, k, gkey, "duplicate group");
		g = &cfg->groups[n];
		memset(g, 0, sizeof(*g));
		box_strlcpy(g->name, name, sizeof(g->name));
		g->max_boxes = 10;
		if (walk_map(c, e, gkey, group_keys, nitems(group_keys), g,
		    NULL) < 0)
			return -1;
		cfg->ngroups = n + 1;
	}
	return 0;
}

static int
set_person_limit(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return set_count(c, v, key, field, 1000);
}

/* ------------------------------------------------------ policy: blackout */

static int
day_of(const char *s, size_t n)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat", "Sun" };
	int i;

	for (i = 0; i < 7; i++)
		if (n == 3 && strncmp(s, days[i], 3) == 0)
			return i;
	return -1;
}

/* "HH:MM", 00:00 to 24:00, into minutes. */
static int
minute_of(const char *s, size_t n)
{
	int h, m;

	if (n != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return -1;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* "YYYY-MM-DDTHH:MMZ" into unix seconds. */
static int
instant_of(const char *s, size_t n, int64_t *out)
{
	struct tm tm;
	int v[5], i;
	static const int at[5] = { 0, 5, 8, 11, 14 }, len[5] = { 4, 2, 2, 2,
	    2 };

	if (n != 17 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != 'Z')
		return -1;
	for (i = 0; i < 5; i++) {
		int k;

		v[i] = 0;
		for (k = 0; k < len[i]; k++) {
			if (!isdigit((unsigned char)s[at[i] + k]))
				return -1;
			v[i] = v[i] * 10 + (s[at[i] + k] - '0');
		}
	}
	if (v[0] < 1970 || v[0] > 9999 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > 31 || v[3] > 23 || v[4] > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	*out = (int64_t)timegm(&tm);
	/* 31 February is not a day. */
	{
		struct tm back;
		time_t t = (time_t)*out;

		if (gmtime_r(&t, &back) == NULL || back.tm_mday != v[2])
			return -1;
	}
	return 0;
}

int
box_blackout_parse(const char *s, struct box_blackout *b, const char **why)
{
	const char *sp, *dash, *slash, *p, *end;
	int d0, d1, i;

	memset(b, 0, sizeof(*b));
	if ((slash = strchr(s, '/')) != NULL) {
		if (instant_of(s, (size_t)(slash - s), &b->from) < 0 ||
		    instant_of(slash + 1, strlen(slash + 1), &b->to) < 0) {
			*why = "a window once is YYYY-MM-DDTHH:MMZ/"
			    "YYYY-MM-DDTHH:MMZ";
			return -1;
		}
		if (b->to <= b->from) {
			*why = "the window ends before it starts";
			return -1;
		}
		return 0;
	}
	b->weekly = 1;
	if ((sp = strchr(s, ' ')) == NULL || strchr(sp + 1, ' ') != NULL) {
		*why = "a weekly window is DAYS HH:MM-HH:MM (Mon-Fri 22:00-06:00, "
		    "Sat,Sun 00:00-24:00, * 12:00-13:00)";
		return -1;
	}
	if (sp - s == 1 && s[0] == '*') {
		b->days = 0x7f;
	} else {
		for (p = s; p < sp; p = end + 1) {
			if ((end = memchr(p, ',', (size_t)(sp - p))) == NULL)
				end = sp;
			dash = memchr(p, '-', (size_t)(end - p));
			d0 = day_of(p, (size_t)((dash != NULL ? dash : end) - p));
			d1 = dash != NULL ? day_of(dash + 1, (size_t)(end -
			    dash - 1)) : d0;
			if (d0 < 0 || d1 < 0) {
				*why = "days are Mon, Tue, Wed, Thu, Fri, Sat, "
				    "Sun, ranges (Mon-Fri) and lists (Sat,Sun)";
				return -1;
			}
			for (i = d0;; i = (i + 1) % 7) {
				b->days |= 1u << i;
				if (i == d1)
					break;
			}
			if (end == sp)
				break;
		}
	}
	if ((dash = strchr(sp + 1, '-')) == NULL ||
	    (b->start_min = minute_of(sp + 1, (size_t)(dash - sp - 1))) < 0 ||
	    (b->end_min = minute_of(dash + 1, strlen(dash + 1))) < 0 ||
	    b->start_min == 1440) {
		*why = "times are HH:MM-HH:MM, from 00:00 to 24:00, in UTC";
		return -1;
	}
	if (b->start_min == b->end_min) {
		*why = "the window is empty (start and end are the same)";
		return -1;
	}
	return 0;
}

int
box_blackout_active(const struct box_blackout *b, int64_t now, int64_t *until)
{
	int64_t day0, start, end;
	int k, wd;

	if (!b->weekly) {
		if (now >= b->from && now < b->to) {
			*until = b->to;
			return 1;
		}
		return 0;
	}
	/* The window that began today, or yesterday (one that runs past
	 * midnight). */
	for (k = 0; k <= 1; k++) {
		day0 = now - ((now % 86400) + 86400) % 86400 - k * 86400;
		/* 1970-01-01 was a Thursday: day 3 from Monday. */
		wd = (int)(((day0 / 86400) % 7 + 7 + 3) % 7);
		if (!(b->days & (1u << wd)))
			continue;
		start = day0 + b->start_min * 60;
		end = day0 + b->end_min * 60;
		if (b->end_min <= b->start_min)
			end += 86400;
		if (now >= start && now < end) {
			*until = end;
			return 1;
		}
	}
	return 0;
}

static int
blackout_item(struct ctx *c, yaml_node_t *e, const char *ikey, const char *s,
    size_t i, void *arg)
{
	struct box_blackout *out = arg;
	const char *why;

	if (box_blackout_parse(s, &out[i], &why) < 0)
		return cerr(c, e, ikey, "%s", why);
	return 0;
}

static int
set_blackout(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	struct box_config *cfg = field;

	return walk_list(c, v, key, BOX_POLICY_BLACKOUTS_MAX, "windows",
	    blackout_item, cfg->blackouts, &cfg->nblackouts);
}

static int
set_approval_profiles(struct ctx *c, yaml_node_t *v, const char *key,
    void *field)
{
	struct box_config *cfg = field;

	return walk_list(c, v, key, BOX_APPROVAL_PROFILES_MAX, "profile names",
	    profile_item, cfg->approval_profiles, &cfg->napproval_profiles);
}

/* An http or https URL, printable, no blanks: libcurl is told to use
 * only these two protocols as well. */
static int
set_webhook(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;
	size_t n, i;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	n = strlen(s);
	if (n >= 512 || (strncmp(s, "http://", 7) != 0 &&
	    strncmp(s, "https://", 8) != 0))
		return cerr(c, v, key, "an http:// or https:// URL, at most 511 "
		    "bytes");
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return cerr(c, v, key, "a URL without blanks or "
			    "non-ASCII bytes");
	box_strlcpy(field, s, 512);
	return 0;
}

static const struct key approval_keys[] = {
	{ "profiles", set_approval_profiles, 0 },
	{ "webhook", set_webhook,
	    offsetof(struct box_config, approval_webhook) },
	{ "key", set_cfg_path, offsetof(struct box_config, approval_key) },
	{ "timeout", set_duration_pos,
	    offsetof(struct box_config, approval_timeout) },
	{ "wait", set_duration_pos,
	    offsetof(struct box_config, approval_wait) },
};

static int
set_approval(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, approval_keys, nitems(approval_keys), field,
	    NULL);
}

/* policy.principals: NAME: [group, ...]. */
static int
group_item(struct ctx *c, yaml_node_t *e, const char *ikey, const char *s,
    size_t i, void *arg)
{
	char (*out)[BOX_GROUP_NAME_MAX] = arg;

	if (!plain_name(s, BOX_GROUP_NAME_MAX))
		return cerr(c, e, ikey, "not a group name");
	box_strlcpy(out[i], s, BOX_GROUP_NAME_MAX);
	return 0;
}

static int
set_principals(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	struct box_config *cfg = field;
	yaml_node_pair_t *pair;
	char pkey[160], safe[64];
	const char *name;
	size_t n = 0, i;

	if (v->type != YAML_MAPPING_NODE)
		return cerr(c, v, key, "expected a mapping of principals to "
		    "their groups");
	for (pair = v->data.mapping.pairs.start;
	    pair < v->data.mapping.pairs.top; pair++, n++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pair->key);
		yaml_node_t *e = yaml_document_get_node(c->doc, pair->value);
		struct box_principal *p;

		if (k == NULL || e == NULL)
			return box_error_set(c->err, BOX_E_INTERNAL, 0,
			    "%.200s: broken YAML document", c->fname);
		if (n >= BOX_POLICY_PRINCIPALS_MAX)
			return cerr(c, k, key, "at most %d principals",
			    BOX_POLICY_PRINCIPALS_MAX);
		if (get_scalar(c, k, key, &name) < 0)
			return -1;
		snprintf(pkey, sizeof(pkey), "%s.%s", key,
		    box_log_safe(name, safe, sizeof(safe)));
		if (*name == '\0' || strlen(name) >= sizeof(p->name) ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
		    strlen(name))
			return cerr(c, k, pkey, "not a principal name (a-z, "
			    "0-9, ., _ and -, at most 32)");
		for (i = 0; i < n; i++)
			if (strcmp(cfg->principals[i].name, name) == 0)
				return cerr(c, k, pkey, "duplicate principal");
		p = &cfg->principals[n];
		memset(p, 0, sizeof(*p));
		if (box_strlcpy(p->name, name, sizeof(p->name)) < 0)
			return cerr(c, k, pkey, "not a principal name");
		if (walk_list(c, e, pkey, BOX_POLICY_GROUPS_MAX, "group names",
		    group_item, p->groups, &p->ngroups) < 0)
			return -1;
		cfg->nprincipals = n + 1;
	}
	return 0;
}

const struct box_principal *
box_config_principal(const struct box_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nprincipals; i++)
		if (strcmp(cfg->principals[i].name, name) == 0)
			return &cfg->principals[i];
	return NULL;
}

static const struct key policy_keys[] = {
	{ "groups", set_groups, 0 },
	{ "max_boxes_per_person", set_person_limit,
	    offsetof(struct box_config, max_boxes_per_person) },
	{ "principals", set_principals, 0 },
	{ "blackout", set_blackout, 0 },
	{ "approval", set_approval, 0 },
};

static int
set_policy(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, policy_keys, nitems(policy_keys), field,
	    NULL);
}

const struct box_group *
box_config_group(const struct box_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ngroups; i++)
		if (strcmp(cfg->groups[i].name, name) == 0)
			return &cfg->groups[i];
	return NULL;
}

static const struct key config_keys[] = {
	{ "box_user", set_box_user, offsetof(struct box_config, box_user) },
	{ "state_dir", set_cfg_path, offsetof(struct box_config, state_dir) },
	{ "audit_log", set_cfg_path, offsetof(struct box_config, audit_log) },
	{ "recordings_dir", set_cfg_path,
	    offsetof(struct box_config, recordings_dir) },
	{ "retention", set_duration,
	    offsetof(struct box_config, retention) },
	{ "metrics_file", set_cfg_path,
	    offsetof(struct box_config, metrics_file) },
	{ "player_dir", set_cfg_path,
	    offsetof(struct box_config, player_dir) },
	{ "sshd_config", set_cfg_path,
	    offsetof(struct box_config, sshd_config) },
	{ "host_key", set_host_key, offsetof(struct box_config, host_key) },
	{ "log_format", set_log_format,
	    offsetof(struct box_config, log_format) },
	{ "signing_key", set_cfg_path,
	    offsetof(struct box_config, signing_key) },
	{ "verify_key", set_cfg_path,
	    offsetof(struct box_config, verify_key) },
	{ "profiles_dir", set_cfg_path,
	    offsetof(struct box_config, profiles_dir) },
	{ "shell", set_cfg_path, offsetof(struct box_config, shell_path) },
	{ "host", set_host, offsetof(struct box_config, host) },
	{ "port", set_port, offsetof(struct box_config, port) },
	{ "instance", set_instance, offsetof(struct box_config, instance) },
	{ "runtime", set_runtime, 0 },
	{ "redeem", set_redeem, 0 },
	{ "limits", set_limits, 0 },
	{ "create_timeout", set_duration_pos,
	    offsetof(struct box_config, create_timeout) },
	{ "staff", set_staff, 0 },
	{ "policy", set_policy, 0 },
};

/* Profiles */

/* Check an absolute path; tmpfs paths are held to a narrower alphabet. */
static int
check_abspath(struct ctx *c, yaml_node_t *v, const char *key, const char *s,
    size_t max, int narrow)
{
	const char *p;
	size_t i;

	if (s[0] != '/')
		return cerr(c, v, key, "must be an absolute path");
	if (strlen(s) >= max)
		return cerr(c, v, key, "path too long (at most %zu)", max - 1);
	for (p = s; (p = strstr(p, "..")) != NULL; p += 2)
		if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
			return cerr(c, v, key, "must not contain ..");
	if (!narrow)
		return 0;
	if (strcmp(s, "/") == 0)
		return cerr(c, v, key, "cannot mount over /");
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '/' &&
		    s[i] != '.' && s[i] != '_' && s[i] != '-')
			return cerr(c, v, key,
			    "only A-Z, a-z, 0-9, /, ., _ and - are allowed");
	return 0;
}

static int
set_description(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (strlen(s) >= sizeof(((struct box_profile *)0)->description))
		return cerr(c, v, key, "too long (at most 255 bytes)");
	box_strlcpy(field, s, sizeof(((struct box_profile *)0)->description));
	return 0;
}

static int
set_image(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;
	size_t i;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (*s == '\0' || strlen(s) > 255)
		return cerr(c, v, key, "must be 1 to 255 characters");
	if (!isalnum((unsigned char)s[0]))
		return cerr(c, v, key, "must start with a letter or digit");
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("._/:@-", s[i]) == NULL)
			return cerr(c, v, key, "not an image reference "
			    "(allowed: A-Z, a-z, 0-9, ., _, /, :, @, -)");
	box_strlcpy(field, s, 256);
	return 0;
}

int
box_config_profile_names(const struct box_config *cfg,
    char (*names)[BOX_PROFILE_NAME_MAX + 1], size_t max, size_t *n)
{
	struct dirent *de;
	size_t len;
	DIR *d;

	*n = 0;
	if ((d = opendir(cfg->profiles_dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && *n < max) {
		len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".yaml") != 0 ||
		    len - 5 > BOX_PROFILE_NAME_MAX)
			continue;
		memcpy(names[*n], de->d_name, len - 5);
		names[*n][len - 5] = '\0';
		if (box_valid_name(names[*n], BOX_PROFILE_NAME_MAX))
			(*n)++;
	}
	closedir(d);
	return 0;
}

int
box_config_known_runtime(const char *name)
{
	static const char *const known[] = BOX_RUNTIMES;
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (name != NULL && strcmp(name, known[i]) == 0)
			return 1;
	return 0;
}

static int
set_prof_runtime(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;
	char safe[64];

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (!box_config_known_runtime(s))
		return cerr(c, v, key, "unknown runtime \"%.60s\" (docker, "
		    "runc, crun, runsc or microvm)", box_log_safe(s, safe,
		    sizeof(safe)));
	box_strlcpy(field, s, 16);
	return 0;
}

/* How sessions carry bytes: auto (default), pass-through or relay. */
static int
set_session(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	static const struct word w[] = {
		{ "auto", BOX_SESSION_AUTO },
		{ "pass-through", BOX_SESSION_PASS },
		{ "relay", BOX_SESSION_RELAY },
	};

	return set_word(c, v, key, field, w, nitems(w),
	    "auto, pass-through or relay");
}

static int
set_record(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	/* YAML 1.1 readers take a bare off as false: accept both. */
	static const struct word w[] = {
		{ "off", BOX_RECORD_OFF }, { "false", BOX_RECORD_OFF },
		{ "output", BOX_RECORD_OUTPUT }, { "all", BOX_RECORD_ALL },
	};

	return set_word(c, v, key, field, w, nitems(w),
	    "off, output or all");
}

static int
set_warn(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	struct box_profile *p = field;
	yaml_node_item_t *it;
	char ikey[160];
	size_t n = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return cerr(c, v, key, "expected a list of durations");
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++, n++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);

		if (n >= BOX_PROFILE_MAX_WARN)
			return cerr(c, e != NULL ? e : v, key,
			    "at most %d warnings", BOX_PROFILE_MAX_WARN);
		snprintf(ikey, sizeof(ikey), "%s[%zu]", key, n);
		if (e == NULL || set_duration_pos(c, e, ikey, &p->warn[n]) < 0)
			return -1;
	}
	p->nwarn = n;
	return 0;
}

static int
set_memory(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (box_parse_size(s, field, c->err) < 0)
		return cerr_wrap(c, v, key);
	if (*(int64_t *)field < MIN_MEMORY)
		return cerr(c, v, key, "must be at least 4m");
	return 0;
}

/* A size of at least min bytes (why: what to say below it). */
static int
set_size_min(struct ctx *c, yaml_node_t *v, const char *key, void *field,
    int64_t min, const char *why)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (box_parse_size(s, field, c->err) < 0)
		return cerr_wrap(c, v, key);
	if (*(int64_t *)field < min)
		return cerr(c, v, key, "%s", why);
	return 0;
}

static int
set_tmpfs_size(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return set_size_min(c, v, key, field, 4096,
	    "must be at least 4k (0 would mean unlimited)");
}

static int
set_disk(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return set_size_min(c, v, key, field, 1LL << 20,
	    "must be at least 1m (leave it out for no limit)");
}

/* A recording's size: what box-invite replay reads (128 MiB) holds it. */
static int
set_record_max(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	if (set_size_min(c, v, key, field, 64LL << 10,
	    "must be at least 64k") < 0)
		return -1;
	if (*(int64_t *)field > (100LL << 20))
		return cerr(c, v, key, "at most 100m (a recording must stay "
		    "readable)");
	return 0;
}

static int
set_shm_size(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return set_size_min(c, v, key, field, 64LL << 10,
	    "must be at least 64k");
}

/* "2" or "0.5" as billionths of a CPU; -1 if malformed. */
static int
parse_cpus(const char *s, int64_t *out)
{
	int64_t whole = 0, frac = 0, scale = NANO / 10;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		whole = whole * 10 + (*p++ - '0');
		if (whole > 1000)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			if (scale == 0)
				return -1;
			frac += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0')
		return -1;
	*out = whole * NANO + frac;
	return 0;
}

static int
set_cpus(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;
	int64_t n;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (parse_cpus(s, &n) < 0 || n < NANO / 100 || n > 64 * NANO)
		return cerr(c, v, key, "expected a number of CPUs from 0.01 "
		    "to 64, such as 0.5 or 2");
	*(int64_t *)field = n;
	return 0;
}

/* Ready boxes kept for the profile, 0 to 50. */
static int
set_pool(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	long long n;

	if (set_int(c, v, key, 0, 50, &n) < 0)
		return -1;
	*(int *)field = (int)n;
	return 0;
}

static int
set_pids(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	long long n;

	if (set_int(c, v, key, 16, 65536, &n) < 0)
		return -1;
	*(int64_t *)field = n;
	return 0;
}

static int
set_network(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (strcmp(s, "host") == 0)
		return cerr(c, v, key, "host networking is too powerful for "
		    "a guest box");
	if (!box_valid_name(s, 31))
		return cerr(c, v, key, "expected none or a network name "
		    "(1 to 31 of A-Z, a-z, 0-9, ., _, -)");
	box_strlcpy(field, s, 32);
	return 0;
}

static int
valid_uid(const char *s, size_t len)
{
	long long n;
	char buf[16];

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return box_parse_int(buf, 0, 2147483647LL, &n, NULL) == 0;
}

static int
set_user(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s, *colon;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (!box_valid_name(s, BOX_USER_MAX)) {
		colon = strchr(s, ':');
		if (strlen(s) > BOX_USER_MAX || colon == NULL ||
		    !valid_uid(s, (size_t)(colon - s)) ||
		    !valid_uid(colon + 1, strlen(colon + 1)))
			return cerr(c, v, key, "expected a user name or "
			    "uid[:gid]");
	}
	box_strlcpy(field, s, BOX_USER_MAX + 1);
	return 0;
}

static int
set_shell(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (check_abspath(c, v, key, s, 128, 0) < 0)
		return -1;
	box_strlcpy(field, s, 128);
	return 0;
}

static int
set_workdir(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (*s != '\0' && check_abspath(c, v, key, s, 256, 0) < 0)
		return -1;
	box_strlcpy(field, s, 256);
	return 0;
}

static int
set_tmpfs(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	struct box_profile *p = field;
	yaml_node_item_t *it;
	char ikey[160];
	const char *s;
	size_t n = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return cerr(c, v, key, "expected a list of paths");
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++, n++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);

		if (e == NULL)
			return box_error_set(c->err, BOX_E_INTERNAL, 0,
			    "%.200s: broken YAML document", c->fname);
		if (n >= BOX_PROFILE_MAX_TMPFS)
			return cerr(c, e, key, "at most %d tmpfs mounts",
			    BOX_PROFILE_MAX_TMPFS);
		snprintf(ikey, sizeof(ikey), "%s[%zu]", key, n);
		if (get_scalar(c, e, ikey, &s) < 0 ||
		    check_abspath(c, e, ikey, s, sizeof(p->tmpfs[0]), 1) < 0)
			return -1;
		box_strlcpy(p->tmpfs[n], s, sizeof(p->tmpfs[0]));
	}
	p->ntmpfs = n;
	return 0;
}

static int
check_cap(struct ctx *c, yaml_node_t *e, const char *key, const char *s)
{
	char safe[64];
	size_t i;

	if (*s == '\0')
		return cerr(c, e, key, "empty capability name");
	if (strncmp(s, "CAP_", 4) == 0)
		return cerr(c, e, key, "write capabilities without CAP_ "
		    "(CHOWN, not CAP_CHOWN)");
	for (i = 0; i < nitems(cap_denied); i++)
		if (strcmp(s, cap_denied[i]) == 0)
			return cerr(c, e, key, "%s is too powerful for a guest "
			    "box", cap_denied[i]);
	for (i = 0; i < nitems(cap_known); i++)
		if (strcmp(s, cap_known[i]) == 0)
			return 0;
	return cerr(c, e, key, "unknown capability \"%.60s\" (use upper "
	    "case names such as CHOWN or NET_BIND_SERVICE)",
	    box_log_safe(s, safe, sizeof(safe)));
}

static int
set_cap_add(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	struct box_profile *p = field;
	yaml_node_item_t *it;
	char ikey[160];
	const char *s;
	size_t n = 0, i;

	if (v->type != YAML_SEQUENCE_NODE)
		return cerr(c, v, key, "expected a list of capability names");
	for (it = v->data.sequence.items.start;
	    it < v->data.sequence.items.top; it++, n++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);

		if (e == NULL)
			return box_error_set(c->err, BOX_E_INTERNAL, 0,
			    "%.200s: broken YAML document", c->fname);
		if (n >= BOX_PROFILE_MAX_CAPS)
			return cerr(c, e, key, "at most %d capabilities",
			    BOX_PROFILE_MAX_CAPS);
		snprintf(ikey, sizeof(ikey), "%s[%zu]", key, n);
		if (get_scalar(c, e, ikey, &s) < 0 ||
		    check_cap(c, e, ikey, s) < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (strcmp(p->cap_add[i], s) == 0)
				return cerr(c, e, ikey, "%s is listed twice",
				    s);
		box_strlcpy(p->cap_add[n], s, sizeof(p->cap_add[0]));
	}
	p->ncap_add = n;
	return 0;
}

/* microvm: which accelerator runs the guest. */
static int
set_accel(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	const char *s;
	char safe[64];

	if (get_scalar(c, v, key, &s) < 0)
		return -1;
	if (strcmp(s, "auto") != 0 && strcmp(s, "kvm") != 0 &&
	    strcmp(s, "tcg") != 0)
		return cerr(c, v, key, "\"%.60s\" is not auto, kvm or tcg",
		    box_log_safe(s, safe, sizeof(safe)));
	box_strlcpy(field, s, 8);
	return 0;
}

/* A list of command patterns (commands.allow, commands.deny). */
static int
pattern_item(struct ctx *c, yaml_node_t *e, const char *ikey, const char *s,
    size_t i, void *arg)
{
	char (*out)[BOX_PROFILE_CMD_MAX] = arg;

	if (*s == '\0' || strlen(s) >= BOX_PROFILE_CMD_MAX ||
	    !box_utf8_text(s))
		return cerr(c, e, ikey, "a pattern is 1 to %d bytes of text",
		    BOX_PROFILE_CMD_MAX - 1);
	box_strlcpy(out[i], s, BOX_PROFILE_CMD_MAX);
	return 0;
}

static int
set_patterns(struct ctx *c, yaml_node_t *v, const char *key,
    char (*out)[BOX_PROFILE_CMD_MAX], size_t *nout)
{
	return walk_list(c, v, key, BOX_PROFILE_MAX_CMDS, "command patterns",
	    pattern_item, out, nout);
}

static int
set_allow(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	struct box_profile *p = field;

	return set_patterns(c, v, key, p->cmd_allow, &p->ncmd_allow);
}

static int
set_deny(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	struct box_profile *p = field;

	return set_patterns(c, v, key, p->cmd_deny, &p->ncmd_deny);
}

static const struct key command_keys[] = {
	{ "allow", set_allow, 0 },
	{ "deny", set_deny, 0 },
};

static int
set_commands(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	return walk_map(c, v, key, command_keys, nitems(command_keys), field,
	    NULL);
}

/* env: NAME: value, passed into every session of the profile's boxes. */
static int
set_env(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	struct box_profile *p = field;
	yaml_node_pair_t *pair;
	char ikey[160], safe[64];
	const char *name, *val;
	size_t n = 0, i, len;

	if (v->type != YAML_MAPPING_NODE)
		return cerr(c, v, key, "expected a mapping of NAME: value");
	for (pair = v->data.mapping.pairs.start;
	    pair < v->data.mapping.pairs.top; pair++, n++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pair->key);
		yaml_node_t *e = yaml_document_get_node(c->doc, pair->value);

		if (k == NULL || e == NULL)
			return box_error_set(c->err, BOX_E_INTERNAL, 0,
			    "%.200s: broken YAML document", c->fname);
		if (n >= BOX_PROFILE_MAX_ENV)
			return cerr(c, k, key, "at most %d variables",
			    BOX_PROFILE_MAX_ENV);
		if (get_scalar(c, k, key, &name) < 0)
			return -1;
		len = strlen(name);
		snprintf(ikey, sizeof(ikey), "%s.%s", key,
		    box_log_safe(name, safe, sizeof(safe)));
		if (len == 0 || len > 64 || (name[0] >= '0' && name[0] <= '9') ||
		    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789_") != len)
			return cerr(c, k, ikey, "a variable name is letters, "
			    "digits and _, not starting with a digit");
		if (strcmp(name, "TERM") == 0)
			return cerr(c, k, ikey, "TERM is the guest's terminal's");
		if (get_scalar(c, e, ikey, &val) < 0)
			return -1;
		if (len + 1 + strlen(val) >= BOX_PROFILE_ENV_MAX ||
		    !box_utf8_text(val))
			return cerr(c, e, ikey, "a value is text, at most %zu "
			    "bytes", BOX_PROFILE_ENV_MAX - len - 2);
		for (i = 0; i < n; i++)
			if (strncmp(p->env[i], name, len) == 0 &&
			    p->env[i][len] == '=')
				return cerr(c, k, ikey, "set twice");
		snprintf(p->env[n], BOX_PROFILE_ENV_MAX, "%s=%s", name, val);
	}
	p->nenv = n;
	return 0;
}

/* banner: text shown at login; lines of UTF-8 text, no other controls. */
static int
set_banner(struct ctx *c, yaml_node_t *v, const char *key, void *field)
{
	char line[BOX_PROFILE_BANNER_MAX];
	const char *s;
	size_t len, i, start;

	if (v->type != YAML_SCALAR_NODE)
		return cerr(c, v, key, "expected text");
	s = (const char *)v->data.scalar.value;
	len = v->data.scalar.length;
	if (len >= BOX_PROFILE_BANNER_MAX)
		return cerr(c, v, key, "too long (at most %d bytes)",
		    BOX_PROFILE_BANNER_MAX - 1);
	if (strlen(s) != len)
		return cerr(c, v, key, "NUL byte in the banner");
	for (start = i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		memcpy(line, s + start, i - start);
		line[i - start] = '\0';
		if (!box_utf8_text(line))
			return cerr(c, v, key, "lines of UTF-8 text without "
			    "control characters");
		start = i + 1;
	}
	/* A block scalar's last newline is not a line of its own. */
	while (len > 0 && s[len - 1] == '\n')
		len--;
	memcpy(field, s, len);
	((char *)field)[len] = '\0';
	return 0;
}

enum {
	PK_DESCRIPTION, PK_IMAGE, PK_RUNTIME, PK_TTL, PK_MAX_TTL, PK_LINGER,
	PK_WARN, PK_MEMORY, PK_CPUS, PK_PIDS, PK_NETWORK, PK_USER, PK_SHELL,
	PK_WORKDIR, PK_READ_ONLY, PK_TMPFS, PK_TMPFS_SIZE, PK_CAP_ADD,
	PK_DISK, PK_SHM_SIZE, PK_SESSION, PK_RECORD, PK_RECORD_REQUIRED,
	PK_WATCH, PK_WATCH_NOTICE, PK_RECORD_MAX, PK_POOL, PK_POOL_MAX_AGE,
	PK_ACCEL, PK_COMMANDS, PK_ENV, PK_BANNER, PK_COUNT
};

static const struct key profile_keys[PK_COUNT] = {
	[PK_DESCRIPTION] = { "description", set_description,
	    offsetof(struct box_profile, description) },
	[PK_IMAGE] = { "image", set_image,
	    offsetof(struct box_profile, image) },
	[PK_RUNTIME] = { "runtime", set_prof_runtime,
	    offsetof(struct box_profile, runtime) },
	[PK_TTL] = { "ttl", set_duration_pos,
	    offsetof(struct box_profile, ttl) },
	[PK_MAX_TTL] = { "max_ttl", set_duration_pos,
	    offsetof(struct box_profile, max_ttl) },
	[PK_LINGER] = { "linger", set_duration,
	    offsetof(struct box_profile, linger) },
	[PK_WARN] = { "warn", set_warn, 0 },
	[PK_MEMORY] = { "memory", set_memory,
	    offsetof(struct box_profile, memory) },
	[PK_CPUS] = { "cpus", set_cpus,
	    offsetof(struct box_profile, nano_cpus) },
	[PK_PIDS] = { "pids", set_pids, offsetof(struct box_profile, pids) },
	[PK_NETWORK] = { "network", set_network,
	    offsetof(struct box_profile, network) },
	[PK_USER] = { "user", set_user, offsetof(struct box_profile, user) },
	[PK_SHELL] = { "shell", set_shell,
	    offsetof(struct box_profile, shell) },
	[PK_WORKDIR] = { "workdir", set_workdir,
	    offsetof(struct box_profile, workdir) },
	[PK_READ_ONLY] = { "read_only", set_bool,
	    offsetof(struct box_profile, read_only) },
	[PK_TMPFS] = { "tmpfs", set_tmpfs, 0 },
	[PK_TMPFS_SIZE] = { "tmpfs_size", set_tmpfs_size,
	    offsetof(struct box_profile, tmpfs_size) },
	[PK_CAP_ADD] = { "cap_add", set_cap_add, 0 },
	[PK_DISK] = { "disk", set_disk, offsetof(struct box_profile, disk) },
	[PK_SHM_SIZE] = { "shm_size", set_shm_size,
	    offsetof(struct box_profile, shm_size) },
	[PK_SESSION] = { "session", set_session,
	    offsetof(struct box_profile, session) },
	[PK_RECORD] = { "record", set_record,
	    offsetof(struct box_profile, record) },
	[PK_RECORD_REQUIRED] = { "record_required", set_bool,
	    offsetof(struct box_profile, record_required) },
	[PK_WATCH] = { "watch", set_bool,
	    offsetof(struct box_profile, watch) },
	[PK_WATCH_NOTICE] = { "watch_notice", set_bool,
	    offsetof(struct box_profile, watch_notice) },
	[PK_RECORD_MAX] = { "record_max", set_record_max,
	    offsetof(struct box_profile, record_max) },
	[PK_POOL] = { "pool", set_pool, offsetof(struct box_profile, pool) },
	[PK_POOL_MAX_AGE] = { "pool_max_age", set_duration_pos,
	    offsetof(struct box_profile, pool_max_age) },
	[PK_ACCEL] = { "accel", set_accel,
	    offsetof(struct box_profile, accel) },
	[PK_COMMANDS] = { "commands", set_commands, 0 },
	[PK_ENV] = { "env", set_env, 0 },
	[PK_BANNER] = { "banner", set_banner,
	    offsetof(struct box_profile, banner) },
};

/* An empty document, "---", "~" or "null" at the top: use the defaults. */
static int
is_empty(const yaml_node_t *root)
{
	const char *s;

	if (root == NULL)
		return 1;
	if (root->type != YAML_SCALAR_NODE ||
	    root->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = (const char *)root->data.scalar.value;
	return root->data.scalar.length == 0 || strcmp(s, "~") == 0 ||
	    strcmp(s, "null") == 0;
}

/* Check the buffer, then load it into doc.  On success doc must be
 * deleted by the caller. */
static int
load_doc(struct ctx *c, const char *buf, size_t len, yaml_document_t *doc)
{
	yaml_parser_t parser;
	int ok;

	if (len > BOX_CONFIG_MAX_BYTES)
		return box_error_set(c->err, BOX_E_CONFIG, 0,
		    "%.200s: file too large (more than %d bytes)", c->fname,
		    BOX_CONFIG_MAX_BYTES);
	if (memchr(buf, '\0', len) != NULL)
		return box_error_set(c->err, BOX_E_CONFIG, 0,
		    "%.200s: contains a NUL byte", c->fname);
	if (prescan(c, buf, len) < 0)
		return -1;
	if (!yaml_parser_initialize(&parser))
		return box_error_set(c->err, BOX_E_INTERNAL, 0,
		    "cannot initialize the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	ok = yaml_parser_load(&parser, doc);
	if (!ok)
		yaml_failed(c, &parser);
	yaml_parser_delete(&parser);
	return ok ? 0 : -1;
}

static int
config_dir(const char *fname, char *dir, size_t dirsz)
{
	const char *slash = strrchr(fname, '/');
	char cwd[PATH_MAX];
	size_t n = slash != NULL ? (size_t)(slash - fname) : 0;
	int r;

	if (fname[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			box_strlcpy(cwd, ".", sizeof(cwd));
		if (n > 0)
			r = snprintf(dir, dirsz, "%s/%.*s", cwd, (int)n, fname);
		else
			r = snprintf(dir, dirsz, "%s", cwd);
	} else
		r = snprintf(dir, dirsz, "%.*s", (int)n, fname);
	return r < 0 || (size_t)r >= dirsz ? -1 : 0;
}

static void
config_defaults(struct box_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	box_strlcpy(cfg->box_user, "box", sizeof(cfg->box_user));
	box_strlcpy(cfg->microvm_user, "sshbox-vm", sizeof(cfg->microvm_user));
	box_strlcpy(cfg->state_dir, LOCALSTATEDIR "/lib/sshbox",
	    sizeof(cfg->state_dir));
	box_strlcpy(cfg->signing_key, SYSCONFDIR "/sshbox/invite.key",
	    sizeof(cfg->signing_key));
	box_strlcpy(cfg->verify_key, SYSCONFDIR "/sshbox/invite.pub",
	    sizeof(cfg->verify_key));
	box_strlcpy(cfg->profiles_dir, SYSCONFDIR "/sshbox/profiles",
	    sizeof(cfg->profiles_dir));
	box_strlcpy(cfg->shell_path, LIBEXECDIR "/box-shell",
	    sizeof(cfg->shell_path));
	box_strlcpy(cfg->host, "localhost", sizeof(cfg->host));
	cfg->port = 22;
	box_strlcpy(cfg->instance, "default", sizeof(cfg->instance));
	box_strlcpy(cfg->docker_socket, "/var/run/docker.sock",
	    sizeof(cfg->docker_socket));
	cfg->docker_timeout = 30;
	box_strlcpy(cfg->oci_images, OCI_IMAGES_DIR, sizeof(cfg->oci_images));
	box_strlcpy(cfg->runsc_platform, "ptrace",
	    sizeof(cfg->runsc_platform));
	cfg->redeem_max = 10;
	cfg->redeem_window = 60;
	cfg->create_timeout = 120;
	cfg->max_boxes = 50;
	cfg->max_boxes_per_invite = 20;
	cfg->max_boxes_per_source = 5;
	cfg->retention = 90 * 86400;
	box_strlcpy(cfg->player_dir, PKGDATADIR "/asciinema-player",
	    sizeof(cfg->player_dir));
	box_strlcpy(cfg->sshd_config, "/etc/ssh/sshd_config",
	    sizeof(cfg->sshd_config));
	box_strlcpy(cfg->host_key, "/etc/ssh/ssh_host_ed25519_key.pub",
	    sizeof(cfg->host_key));
	box_strlcpy(cfg->staff_ca, SYSCONFDIR "/sshbox/user_ca",
	    sizeof(cfg->staff_ca));
	box_strlcpy(cfg->staff_krl, SYSCONFDIR "/sshbox/revoked.krl",
	    sizeof(cfg->staff_krl));
	cfg->staff_max_cert_ttl = 12 * 3600;
	cfg->max_boxes_per_person = 3;
	cfg->approval_timeout = 10;
	cfg->approval_wait = 5 * 60;
}

int
box_config_parse(const char *buf, size_t len, const char *fname,
    struct box_config *cfg, struct box_error *err)
{
	struct ctx c;
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0;

	config_defaults(cfg);
	memset(&c, 0, sizeof(c));
	c.fname = fname;
	c.err = err;
	c.doc = &doc;
	box_strlcpy(cfg->path, fname, sizeof(cfg->path));
	if (config_dir(fname, c.dir, sizeof(c.dir)) < 0)
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "%.200s: path too long", fname);
	if (load_doc(&c, buf, len, &doc) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if (!is_empty(root))
		rc = walk_map(&c, root, NULL, config_keys, nitems(config_keys),
		    cfg, NULL);
	yaml_document_delete(&doc);
	/* A principal's groups must be the policy's. */
	if (rc == 0) {
		size_t i, j;

		for (i = 0; i < cfg->nprincipals; i++)
			for (j = 0; j < cfg->principals[i].ngroups; j++)
				if (box_config_group(cfg,
				    cfg->principals[i].groups[j]) == NULL)
					return box_error_set(err, BOX_E_CONFIG,
					    0, "%.200s: policy.principals.%s: "
					    "no group %s in policy.groups",
					    fname, cfg->principals[i].name,
					    cfg->principals[i].groups[j]);
	}
	/* The approval webhook's key lives with the state unless the file
	 * says where. */
	if (rc == 0 && cfg->approval_key[0] == '\0' &&
	    snprintf(cfg->approval_key, sizeof(cfg->approval_key),
	    "%s/approval.key", cfg->state_dir) >= (int)sizeof(
	    cfg->approval_key))
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "%.200s: state_dir: path too long", fname);
	/* Recordings live with the state unless the file says where. */
	if (rc == 0 && cfg->recordings_dir[0] == '\0' &&
	    snprintf(cfg->recordings_dir, sizeof(cfg->recordings_dir),
	    "%s/recordings", cfg->state_dir) >= (int)sizeof(
	    cfg->recordings_dir))
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "%.200s: state_dir: path too long", fname);
	return rc;
}

/*
 * Root (box-invite, a root-run reaper) acts on what the configuration
 * names (where the state is, where the key is made, which socket): it
 * reads only files that no other account can change, as box-runtime does.
 */
static int
read_config_file(const char *path, char **buf, size_t *len,
    struct box_error *err)
{
	char real[PATH_MAX];

	if (geteuid() != 0)
		return box_read_file(path, BOX_CONFIG_MAX_BYTES, buf, len, err);
	if (realpath(path, real) == NULL)
		return box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_CONFIG, errno, "%.300s", path);
	return box_read_root_only(real, 1, BOX_CONFIG_MAX_BYTES, buf, len,
	    err);
}

int
box_config_load(const char *path, struct box_config *cfg,
    struct box_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (read_config_file(path, &buf, &len, err) < 0) {
		if (err != NULL)
			err->kind = BOX_E_CONFIG;
		return -1;
	}
	return box_config_parse(buf, len, path, cfg, err);
}

static void
profile_defaults(struct box_profile *p)
{
	memset(p, 0, sizeof(*p));
	box_strlcpy(p->runtime, "docker", sizeof(p->runtime));
	p->ttl = 30 * 60;
	p->max_ttl = 4 * 3600;
	p->linger = 5 * 60;
	p->warn[0] = 5 * 60;
	p->warn[1] = 60;
	p->nwarn = 2;
	p->memory = 512LL << 20;
	p->nano_cpus = NANO;
	p->pids = 256;
	box_strlcpy(p->network, "none", sizeof(p->network));
	box_strlcpy(p->user, "root", sizeof(p->user));
	box_strlcpy(p->shell, "/bin/sh", sizeof(p->shell));
	p->tmpfs_size = 64LL << 20;
	p->shm_size = 16LL << 20;
	p->watch = 1;
	p->watch_notice = 1;
	p->record_max = 64LL << 20;
	p->pool_max_age = 3600;
	box_strlcpy(p->accel, "auto", sizeof(p->accel));
}

static int
profile_check(struct ctx *c, const struct box_profile *p, size_t *lines)
{
	char a[32], b[32];

	if (p->image[0] == '\0')
		return cerr_line(c, 1, "image", "required key is missing");
	if (p->ttl > p->max_ttl)
		return cerr_line(c, lines[PK_TTL] ? lines[PK_TTL] :
		    lines[PK_MAX_TTL], "ttl", "%s is longer than max_ttl %s",
		    box_format_duration(p->ttl, a, sizeof(a)),
		    box_format_duration(p->max_ttl, b, sizeof(b)));
	if (p->record_required && p->record == BOX_RECORD_OFF)
		return cerr_line(c, lines[PK_RECORD_REQUIRED],
		    "record_required", "needs record: output or all");
	/* Recording copies the bytes: it needs relay mode. */
	if (p->record != BOX_RECORD_OFF && p->session == BOX_SESSION_PASS)
		return cerr_line(c, lines[PK_RECORD], "record", "a recorded "
		    "profile relays its sessions: remove session: "
		    "pass-through");
	/* gVisor's sandbox and a microVM take no descriptor from the
	 * host. */
	if ((strcmp(p->runtime, "runsc") == 0 ||
	    strcmp(p->runtime, "microvm") == 0) &&
	    p->session == BOX_SESSION_PASS)
		return cerr_line(c, lines[PK_SESSION], "session", "%s boxes "
		    "relay their sessions: remove session: pass-through",
		    p->runtime);
	if (lines[PK_ACCEL] != 0 && strcmp(p->runtime, "microvm") != 0)
		return cerr_line(c, lines[PK_ACCEL], "accel", "only microvm "
		    "boxes have an accelerator (runtime: microvm)");
	return 0;
}

int
box_config_parse_profile(const char *buf, size_t len, const char *fname,
    const char *name, struct box_profile *p, struct box_error *err)
{
	struct ctx c;
	yaml_document_t doc;
	yaml_node_t *root;
	size_t lines[PK_COUNT];
	char safe[64];
	int rc = 0;

	profile_defaults(p);
	memset(&c, 0, sizeof(c));
	memset(lines, 0, sizeof(lines));
	c.fname = fname;
	c.err = err;
	c.doc = &doc;
	if (name == NULL || !box_valid_name(name, BOX_PROFILE_NAME_MAX))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid profile name \"%.60s\"", name == NULL ? "" :
		    box_log_safe(name, safe, sizeof(safe)));
	box_strlcpy(p->name, name, sizeof(p->name));
	if (load_doc(&c, buf, len, &doc) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if (!is_empty(root))
		rc = walk_map(&c, root, NULL, profile_keys, PK_COUNT, p, lines);
	yaml_document_delete(&doc);
	if (rc == 0)
		rc = profile_check(&c, p, lines);
	return rc;
}

/* No such profile: say which there are (BOX_E_NOTFOUND). */
static int
no_profile(const struct box_config *cfg, const char *name,
    struct box_error *err)
{
	char list[256] = "", pname[BOX_PROFILE_NAME_MAX + 8];
	struct dirent *de;
	size_t n, used = 0;
	DIR *d;

	if ((d = opendir(cfg->profiles_dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			n = strlen(de->d_name);
			if (n <= 5 || strcmp(de->d_name + n - 5, ".yaml") != 0 ||
			    n - 5 > BOX_PROFILE_NAME_MAX)
				continue;
			memcpy(pname, de->d_name, n - 5);
			pname[n - 5] = '\0';
			if (!box_valid_name(pname, BOX_PROFILE_NAME_MAX) ||
			    used + n + 2 >= sizeof(list))
				continue;
			used += (size_t)snprintf(list + used, sizeof(list) -
			    used, "%s%s", used ? ", " : "", pname);
		}
		closedir(d);
	}
	return box_error_set(err, BOX_E_NOTFOUND, 0,
	    "no profile \"%s\" in %s (%s%s)", name, cfg->profiles_dir,
	    used ? "there are: " : "there are none", list);
}

int
box_config_load_profile(const struct box_config *cfg, const char *name,
    struct box_profile *p, struct box_error *err)
{
	_cleanup_free_ char *buf = NULL;
	char path[PATH_MAX], safe[64];
	size_t len;
	int n;

	if (name == NULL || !box_valid_name(name, BOX_PROFILE_NAME_MAX))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid profile name \"%.60s\"", name == NULL ? "" :
		    box_log_safe(name, safe, sizeof(safe)));
	n = snprintf(path, sizeof(path), "%s/%s.yaml", cfg->profiles_dir,
	    name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "profile path too long");
	if (read_config_file(path, &buf, &len, err) < 0) {
		if (err->errnum == ENOENT)
			return no_profile(cfg, name, err);
		return box_error_wrap(err, "profile %s", name);
	}
	return box_config_parse_profile(buf, len, path, name, p, err);
}

int
box_config_state_db(const struct box_config *cfg, char *out, size_t outsz)
{
	int n;

	n = snprintf(out, outsz, "%s/state.db", cfg->state_dir);
	if (n < 0 || (size_t)n >= outsz)
		return -1;
	return 0;
}
