/* The docker runtime driver: the Docker Engine API over its unix socket. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "session/command.h"
#include "core/log.h"
#include "runtime/http.h"
#include "runtime/jsonc.h"
#include "runtime/rundir.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/libexec/sshbox"
#endif
#include "runtime/runtime.h"
#include "core/util.h"

#define DK_API		"/v1.41"
#define DK_BODY_MAX	(4 * 1024 * 1024)
#define DK_JSON_DEPTH	32
#define DK_MSG_MAX	200

struct dk_reply {
	char	*buf;			/* NUL-terminated */
	size_t	 len;
	long	 code;
};

static void
dk_reply_reset(struct dk_reply *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Copy len untrusted bytes into out with control and non-ASCII escaped. */
static void
dk_safe(const char *in, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (outsz == 0)
		return;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	out[o] = '\0';
}

static int
dk_is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
dk_valid_box_id(const char *s)
{
	return s != NULL && strlen(s) == BOX_ID_LEN &&
	    dk_is_hex(s, BOX_ID_LEN);
}

/* Percent-encode in for a query string; -1 if out is too small. */
static int
dk_escape(const char *in, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outsz)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	if (o >= outsz)
		return -1;
	out[o] = '\0';
	return 0;
}

/* JSON replies */

static json_object *
dk_json_parse(const char *json, size_t len, struct box_error *err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *o;
	size_t end;

	if (json == NULL || len == 0)
		goto bad;
	if (len > DK_BODY_MAX || memchr(json, '\0', len) != NULL)
		goto bad;
	if ((tok = json_tokener_new_ex(DK_JSON_DEPTH)) == NULL) {
		box_error_set(err, BOX_E_INTERNAL, ENOMEM, "JSON parser");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
#if JSON_C_VERSION_NUM >= 0x000f00
	end = json_tokener_get_parse_end(tok);
#else
	end = (size_t)tok->char_offset;
#endif
	json_tokener_free(tok);
	if (o == NULL || jerr != json_tokener_success) {
		json_object_put(o);
		goto bad;
	}
	for (; end < len; end++) {
		if (json[end] != ' ' && json[end] != '\n' &&
		    json[end] != '\r' && json[end] != '\t') {
			json_object_put(o);
			goto bad;
		}
	}
	return o;
 bad:
	box_error_set(err, BOX_E_RUNTIME, 0,
	    "Docker daemon sent malformed JSON");
	return NULL;
}

/* A string member of o, or NULL; *len is its length. */
static const char *
dk_get_str(json_object *o, const char *key, size_t *len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* Copy a label that must be a plain name of at most max bytes. */
static void
dk_label_name(json_object *labels, const char *key, char *out, size_t max)
{
	const char *s;
	size_t len;

	out[0] = '\0';
	if ((s = dk_get_str(labels, key, &len)) != NULL && strlen(s) == len &&
	    box_valid_name(s, max))
		memcpy(out, s, len + 1);
}

/* The labels of a box into obj; -1 when it has no valid box label. */
static int
dk_labels(json_object *labels, struct box_runtime_obj *obj)
{
	const char *s;
	size_t len;
	long long v;

	if (!json_object_is_type(labels, json_type_object))
		return -1;
	if ((s = dk_get_str(labels, BOX_LABEL_BOX, &len)) == NULL ||
	    len != BOX_ID_LEN || !dk_is_hex(s, len))
		return -1;
	memcpy(obj->box_id, s, len);
	obj->box_id[len] = '\0';
	dk_label_name(labels, BOX_LABEL_INSTANCE, obj->instance,
	    sizeof(obj->instance) - 1);
	dk_label_name(labels, BOX_LABEL_PROFILE, obj->profile,
	    sizeof(obj->profile) - 1);
	/* A box with a bad deadline is still ours: the reaper must see it. */
	if ((s = dk_get_str(labels, BOX_LABEL_DEADLINE, &len)) != NULL &&
	    strlen(s) == len && box_parse_int(s, 0, INT64_MAX, &v, NULL) == 0)
		obj->deadline = v;
	return 0;
}

static int
dk_list_entry(json_object *e, struct box_runtime_obj *obj)
{
	json_object *labels;
	const char *s;
	size_t len;

	memset(obj, 0, sizeof(*obj));
	if (!json_object_is_type(e, json_type_object))
		return -1;
	if ((s = dk_get_str(e, "Id", &len)) == NULL || len == 0 ||
	    len >= sizeof(obj->ref) || !dk_is_hex(s, len))
		return -1;
	memcpy(obj->ref, s, len);
	if (!json_object_object_get_ex(e, "Labels", &labels) ||
	    dk_labels(labels, obj) == -1)
		return -1;
	if ((s = dk_get_str(e, "State", &len)) != NULL && len == 7 &&
	    memcmp(s, "running", 7) == 0)
		obj->running = 1;
	return 0;
}

int
box_docker_parse_list(const char *json, size_t len,
    struct box_runtime_obj **objs, size_t *nobjs, struct box_error *err)
{
	struct box_runtime_obj *arr;
	json_object *root;
	size_t i, n, k = 0;

	*objs = NULL;
	*nobjs = 0;
	if ((root = dk_json_parse(json, len, err)) == NULL)
		return -1;
	if (!json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "Docker container list is not an array");
	}
	n = json_object_array_length(root);
	if ((arr = calloc(n == 0 ? 1 : n, sizeof(*arr))) == NULL) {
		json_object_put(root);
		return box_error_set(err, BOX_E_INTERNAL, errno,
		    "container list");
	}
	for (i = 0; i < n; i++)
		if (dk_list_entry(json_object_array_get_idx(root, i),
		    &arr[k]) == 0)
			k++;
	json_object_put(root);
	*objs = arr;
	*nobjs = k;
	return 0;
}

int
box_docker_parse_id(const char *json, size_t len, char *ref, size_t refsz,
    struct box_error *err)
{
	json_object *root;
	const char *s;
	size_t n;
	int ret = -1;

	if (refsz > 0)
		ref[0] = '\0';
	if ((root = dk_json_parse(json, len, err)) == NULL)
		return -1;
	if (!json_object_is_type(root, json_type_object) ||
	    (s = dk_get_str(root, "Id", &n)) == NULL) {
		box_error_set(err, BOX_E_RUNTIME, 0,
		    "Docker reply has no Id");
		goto out;
	}
	if (n == 0 || n >= refsz || !dk_is_hex(s, n)) {
		box_error_set(err, BOX_E_RUNTIME, 0,
		    "Docker reply has an invalid Id");
		goto out;
	}
	memcpy(ref, s, n);
	ref[n] = '\0';
	ret = 0;
 out:
	json_object_put(root);
	return ret;
}

void
box_docker_parse_message(const char *json, size_t len, char *msg,
    size_t msgsz)
{
	json_object *root;
	const char *s;
	size_t n;

	if (msgsz == 0)
		return;
	msg[0] = '\0';
	if (json == NULL || len == 0)
		return;
	if ((root = dk_json_parse(json, len, NULL)) != NULL) {
		if (json_object_is_type(root, json_type_object) &&
		    (s = dk_get_str(root, "message", &n)) != NULL) {
			dk_safe(s, n > DK_MSG_MAX ? DK_MSG_MAX : n, msg, msgsz);
			json_object_put(root);
			return;
		}
		json_object_put(root);
	}
	/* Not the usual {"message": ...}: show the start of the text. */
	while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == '\r' ||
	    json[len - 1] == ' '))
		len--;
	dk_safe(json, len > DK_MSG_MAX ? DK_MSG_MAX : len, msg, msgsz);
}

int
box_docker_parse_inspect(const char *json, size_t len,
    struct box_runtime_obj *obj, struct box_error *err)
{
	json_object *root, *state, *config, *labels, *v;
	const char *s;
	size_t n;
	int ret = -1;

	memset(obj, 0, sizeof(*obj));
	if ((root = dk_json_parse(json, len, err)) == NULL)
		return -1;
	if (!json_object_is_type(root, json_type_object) ||
	    (s = dk_get_str(root, "Id", &n)) == NULL || n == 0 ||
	    n >= sizeof(obj->ref) || !dk_is_hex(s, n)) {
		box_error_set(err, BOX_E_RUNTIME, 0,
		    "Docker inspect reply has no valid Id");
		goto out;
	}
	memcpy(obj->ref, s, n);
	if (!json_object_object_get_ex(root, "State", &state) ||
	    !json_object_is_type(state, json_type_object) ||
	    !json_object_object_get_ex(state, "Running", &v) ||
	    !json_object_is_type(v, json_type_boolean)) {
		box_error_set(err, BOX_E_RUNTIME, 0,
		    "Docker inspect reply has no State.Running");
		goto out;
	}
	obj->running = json_object_get_boolean(v) ? 1 : 0;
	if (obj->running && json_object_object_get_ex(state, "Pid", &v) &&
	    json_object_is_type(v, json_type_int)) {
		int64_t pid = json_object_get_int64(v);

		obj->pid = pid > 0 && pid < 1L << 30 ? (long)pid : 0;
	}
	/* Not one of ours (no labels, no box label): box_id stays "". */
	if (json_object_object_get_ex(root, "Config", &config) &&
	    json_object_is_type(config, json_type_object) &&
	    json_object_object_get_ex(config, "Labels", &labels) &&
	    dk_labels(labels, obj) == -1) {
		obj->box_id[0] = obj->instance[0] = obj->profile[0] = '\0';
		obj->deadline = 0;
	}
	ret = 0;
 out:
	json_object_put(root);
	return ret;
}

/* Building request bodies */


static int
dk_add_str(json_object *o, const char *key, const char *s)
{
	return box_jc_add(o, key, json_object_new_string(s));
}

static int
dk_add_bool(json_object *o, const char *key, int b)
{
	return box_jc_add(o, key, json_object_new_boolean(b ? 1 : 0));
}

static int
dk_add_int(json_object *o, const char *key, int64_t v)
{
	return box_jc_add(o, key, json_object_new_int64(v));
}

/* Add key: [strs...] from a NULL-terminated list or a count. */
static int
dk_add_strv(json_object *o, const char *key, const char *const *v,
    size_t n)
{
	json_object *a;
	size_t i;

	if ((a = json_object_new_array()) == NULL)
		return -1;
	for (i = 0; v != NULL && (n == SIZE_MAX ? v[i] != NULL : i < n); i++)
		if (box_jc_push(a, json_object_new_string(v[i])) == -1) {
			json_object_put(a);
			return -1;
		}
	return box_jc_add(o, key, a);
}

static const char *
dk_network(const struct box_profile *p)
{
	return p->network[0] == '\0' ? "none" : p->network;
}


/* ",uid=U,gid=G" for a numeric "UID[:GID]" user, else nothing. */
static void
tmpfs_owner(const char *user, char *out, size_t outsz)
{
	size_t n = strspn(user, "0123456789");
	const char *gid = user;

	out[0] = '\0';
	if (n == 0 || n > 10)
		return;
	if (user[n] == ':') {
		gid = user + n + 1;
		if (strspn(gid, "0123456789") != strlen(gid) ||
		    gid[0] == '\0' ||
		    strlen(gid) > 10)
			return;
	} else if (user[n] != '\0') {
		return;
	}
	if (gid == user)
		snprintf(out, outsz, ",uid=%.*s,gid=%.*s", (int)n, user,
		    (int)n, user);
	else
		snprintf(out, outsz, ",uid=%.*s,gid=%s", (int)n, user, gid);
}

/*
 * The agent bound read-only from the installation, and the box's run
 * directory where it makes its socket.
 */
static int
dk_agent_mounts(json_object *hc, const struct box_spec *spec,
    const char *run_dir)
{
	static char tsrc[BOX_TOOLS_N][PATH_MAX], tdst[BOX_TOOLS_N][64];
	const char *src[2 + BOX_TOOLS_N] = { spec->agent_path, run_dir };
	const char *dst[2 + BOX_TOOLS_N] = { BOX_AGENT_TARGET, BOX_RUN_TARGET };
	const char *names[BOX_TOOLS_N];
	json_object *mounts, *m, *opts;
	int i, n = 2, nt;

	/* The bastion's sftp-server and scp, with its loader and libc. */
	nt = box_tools(tsrc, names);
	for (i = 0; i < nt; i++) {
		snprintf(tdst[i], sizeof(tdst[i]), "%s/%s", BOX_TOOLS_DIR,
		    names[i]);
		src[n] = tsrc[i];
		dst[n++] = tdst[i];
	}
	if ((mounts = json_object_new_array()) == NULL ||
	    box_jc_add(hc, "Mounts", mounts) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((m = json_object_new_object()) == NULL ||
		    json_object_array_add(mounts, m) != 0 ||
		    dk_add_str(m, "Type", "bind") == -1 ||
		    dk_add_str(m, "Source", src[i]) == -1 ||
		    dk_add_str(m, "Target", dst[i]) == -1 ||
		    dk_add_bool(m, "ReadOnly", i != 1) == -1 ||
		    (opts = json_object_new_object()) == NULL ||
		    box_jc_add(m, "BindOptions", opts) == -1 ||
		    dk_add_str(opts, "Propagation", "rprivate") == -1)
			return -1;
	}
	return 0;
}

static int
dk_host_config(json_object *hc, const struct box_spec *spec,
    const char *run_dir)
{
	const struct box_profile *p = spec->profile;
	static const char *const drop[] = { "ALL", NULL };
	static const char *const secopt[] = { "no-new-privileges", NULL };

	const char *caps[BOX_PROFILE_MAX_CAPS];
	json_object *tmpfs, *restart, *storage;
	char opts[128];
	size_t i;

	for (i = 0; i < p->ncap_add && i < BOX_PROFILE_MAX_CAPS; i++)
		caps[i] = p->cap_add[i];
	/* box-agent is PID 1, not Docker's init. */
	if (dk_add_bool(hc, "Init", 0) == -1 ||
	    dk_add_str(hc, "NetworkMode", dk_network(p)) == -1 ||
	    dk_add_strv(hc, "CapDrop", drop, SIZE_MAX) == -1 ||
	    dk_add_strv(hc, "CapAdd", caps, i) == -1 ||
	    dk_add_strv(hc, "SecurityOpt", secopt, SIZE_MAX) == -1 ||
	    dk_add_bool(hc, "ReadonlyRootfs", p->read_only) == -1 ||
	    dk_add_bool(hc, "AutoRemove", 0) == -1 ||
	    dk_add_str(hc, "IpcMode", "private") == -1 ||
	    dk_add_bool(hc, "Privileged", 0) == -1)
		return -1;
	if (p->pids > 0 && dk_add_int(hc, "PidsLimit", p->pids) == -1)
		return -1;
	if (p->memory > 0 && (dk_add_int(hc, "Memory", p->memory) == -1 ||
	    dk_add_int(hc, "MemorySwap", p->memory) == -1))
		return -1;
	if (p->nano_cpus > 0 &&
	    dk_add_int(hc, "NanoCpus", p->nano_cpus) == -1)
		return -1;
	if (p->shm_size > 0 && dk_add_int(hc, "ShmSize", p->shm_size) == -1)
		return -1;
	/* A writable layer of at most disk bytes.  Runtimes that cannot
	 * enforce it (overlay2 without XFS project quota) refuse to create
	 * the box: no box is better than one that can fill the disk. */
	if (p->disk > 0) {
		char size[32];

		snprintf(size, sizeof(size), "%lld", (long long)p->disk);
		if ((storage = json_object_new_object()) == NULL ||
		    box_jc_add(hc, "StorageOpt", storage) == -1 ||
		    dk_add_str(storage, "size", size) == -1)
			return -1;
	}
	if (dk_agent_mounts(hc, spec, run_dir) == -1)
		return -1;
	if ((restart = json_object_new_object()) == NULL ||
	    box_jc_add(hc, "RestartPolicy", restart) == -1 ||
	    dk_add_str(restart, "Name", "no") == -1)
		return -1;
	if ((tmpfs = json_object_new_object()) == NULL ||
	    box_jc_add(hc, "Tmpfs", tmpfs) == -1)
		return -1;
	for (i = 0; i < p->ntmpfs && i < BOX_PROFILE_MAX_TMPFS; i++) {
		size_t o;

		if (p->tmpfs_size > 0)
			o = (size_t)snprintf(opts, sizeof(opts),
			    "rw,nosuid,nodev,size=%lld,mode=1777",
			    (long long)p->tmpfs_size);
		else
			o = (size_t)snprintf(opts, sizeof(opts),
			    "rw,nosuid,nodev,mode=1777");
		/* The runtime ignores mode= on a tmpfs that hides an image
		 * directory: the working directory's tmpfs is given to a
		 * numeric profile user so that the guest can write there. */
		if (strcmp(p->tmpfs[i], p->workdir) == 0 && o < sizeof(opts))
			tmpfs_owner(p->user, opts + o, sizeof(opts) - o);
		if (dk_add_str(tmpfs, p->tmpfs[i], opts) == -1)
			return -1;
	}
	return 0;
}

static json_object *
dk_create_body(const struct box_spec *spec, const char *run_dir)
{
	static const char *const none[] = { NULL };
	static const char *const agent[] = { BOX_AGENT_TARGET, NULL };
	static const char *const env[] = { "TERM=xterm", NULL };
	const struct box_profile *p = spec->profile;
	json_object *o, *labels, *hc;
	char host[4 + 8 + 1], deadline[32];

	snprintf(host, sizeof(host), "box-%.8s", spec->box_id);
	snprintf(deadline, sizeof(deadline), "%lld",
	    (long long)spec->deadline);
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (dk_add_str(o, "Image", p->image) == -1 ||
	    dk_add_str(o, "Hostname", host) == -1 ||
	    dk_add_strv(o, "Cmd", none, SIZE_MAX) == -1 ||
	    dk_add_strv(o, "Entrypoint", agent, SIZE_MAX) == -1 ||
	    dk_add_strv(o, "Env", env, SIZE_MAX) == -1 ||
	    dk_add_bool(o, "Tty", 0) == -1 ||
	    dk_add_bool(o, "OpenStdin", 0) == -1 ||
	    dk_add_bool(o, "AttachStdin", 0) == -1 ||
	    dk_add_bool(o, "AttachStdout", 0) == -1 ||
	    dk_add_bool(o, "AttachStderr", 0) == -1)
		goto fail;
	if (p->user[0] != '\0' && dk_add_str(o, "User", p->user) == -1)
		goto fail;
	if (p->workdir[0] != '\0' &&
	    dk_add_str(o, "WorkingDir", p->workdir) == -1)
		goto fail;
	if (strcmp(dk_network(p), "none") == 0 &&
	    dk_add_bool(o, "NetworkDisabled", 1) == -1)
		goto fail;
	if ((labels = json_object_new_object()) == NULL ||
	    box_jc_add(o, "Labels", labels) == -1 ||
	    dk_add_str(labels, BOX_LABEL_BOX, spec->box_id) == -1 ||
	    dk_add_str(labels, BOX_LABEL_INSTANCE, spec->instance) == -1 ||
	    dk_add_str(labels, BOX_LABEL_DEADLINE, deadline) == -1 ||
	    dk_add_str(labels, BOX_LABEL_PROFILE, p->name) == -1)
		goto fail;
	if ((hc = json_object_new_object()) == NULL ||
	    box_jc_add(o, "HostConfig", hc) == -1 ||
	    dk_host_config(hc, spec, run_dir) == -1)
		goto fail;
	return o;
 fail:
	json_object_put(o);
	return NULL;
}

/* HTTP */

static long
dk_timeout(const struct box_runtime *rt)
{
	if (rt->cfg == NULL || rt->cfg->docker_timeout <= 0)
		return 30;
	if (rt->cfg->docker_timeout > 3600)
		return 3600;
	return (long)rt->cfg->docker_timeout;
}

static const char *
dk_socket(const struct box_runtime *rt)
{
	if (rt->cfg == NULL || rt->cfg->docker_socket[0] == '\0')
		return "/var/run/docker.sock";
	return rt->cfg->docker_socket;
}

/*
 * One API call: method, path below DK_API, an optional JSON body.  The
 * HTTP status is in r->code; only transport failures return -1.
 */
static int
dk_call(struct box_runtime *rt, const char *method, const char *path,
    json_object *body, struct dk_reply *r, struct box_error *err)
{
	struct box_http_call c;
	struct box_http_reply hr;
	enum box_http_fail why;
	char target[1024];

	memset(r, 0, sizeof(*r));
	if ((size_t)snprintf(target, sizeof(target), "%s%s", DK_API, path) >=
	    sizeof(target))
		return box_error_set(err, BOX_E_INTERNAL, 0,
		    "Docker API path too long");
	memset(&c, 0, sizeof(c));
	c.socket = dk_socket(rt);
	c.method = method;
	c.target = target;
	c.timeout_s = (int)dk_timeout(rt);
	c.max_body = DK_BODY_MAX;
	if (body != NULL && (c.body = json_object_to_json_string_ext(body,
	    JSON_C_TO_STRING_PLAIN)) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, ENOMEM,
		    "Docker request");
	if (box_http_do(&c, &hr, &why, err) < 0) {
		switch (why) {
		case BOX_HTTP_CONNECT:
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "cannot reach the Docker daemon at %.200s: %.120s "
			    "(is dockerd running?)", c.socket,
			    strerror(err->errnum));
		case BOX_HTTP_TIMEOUT:
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "Docker daemon did not answer within %lds",
			    dk_timeout(rt));
		case BOX_HTTP_TOO_BIG:
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "Docker daemon reply is over %d bytes",
			    DK_BODY_MAX);
		default:
			return box_error_wrap(err, "Docker API request failed");
		}
	}
	r->buf = hr.body;
	r->len = hr.len;
	r->code = hr.code;
	return 0;
}

static int
dk_http_error(const struct dk_reply *r, const char *what,
    enum box_error_kind kind, struct box_error *err)
{
	char msg[256];

	/* A success status with a body we could not use is not the
	 * daemon's message: do not echo the body back as if it were. */
	if (r->code >= 200 && r->code < 300)
		return box_error_set(err, kind, 0, "%s: unexpected reply from "
		    "the Docker daemon (HTTP %ld)", what, r->code);
	box_docker_parse_message(r->buf, r->len, msg, sizeof(msg));
	return box_error_set(err, kind, 0, "%s: %s (HTTP %ld)", what,
	    msg[0] != '\0' ? msg : "no message from the daemon", r->code);
}

static int
dk_check_ref(const char *ref, struct box_error *err)
{
	char safe[64];

	if (ref == NULL || !box_valid_name(ref, BOX_REF_MAX - 1))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid box reference \"%s\"",
		    box_log_safe(ref != NULL ? ref : "", safe, sizeof(safe)));
	return 0;
}

/* Force-remove a container; 404 and removal in progress are success. */
static int
dk_remove(struct box_runtime *rt, const char *ref, struct box_error *err)
{
	struct dk_reply r;
	char path[256];
	int ret = -1;

	if (dk_check_ref(ref, err) == -1)
		return -1;
	snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", ref);
	if (dk_call(rt, "DELETE", path, NULL, &r, err) == -1)
		return box_error_wrap(err, "cannot remove box %.80s", ref);
	if (r.code == 204 || r.code == 200 || r.code == 404)
		ret = 0;
	else if (r.code == 409 && r.buf != NULL &&
	    strstr(r.buf, "already in progress") != NULL)
		ret = 0;
	else
		dk_http_error(&r, "cannot remove box", BOX_E_RUNTIME, err);
	dk_reply_reset(&r);
	return ret;
}

/* Driver operations */

static int docker_describe(struct box_runtime *, const char *, int *,
    struct box_runtime_obj *, struct box_error *);
static int docker_destroy(struct box_runtime *, const char *, const char *,
    struct box_error *);

/*
 * After a create whose answer was lost: remove the container of that name
 * only if it is the one we asked for (names are host-wide, and the box id
 * may come from a caller).
 */
static void
dk_remove_ours(struct box_runtime *rt, const char *name,
    const struct box_spec *spec, struct box_error *err)
{
	struct box_runtime_obj obj;
	int exists;

	if (docker_describe(rt, name, &exists, &obj, err) == 0 && exists &&
	    strcmp(obj.box_id, spec->box_id) == 0 &&
	    strcmp(obj.instance, spec->instance) == 0)
		dk_remove(rt, obj.ref, err);
}

static int
dk_create_container(struct box_runtime *rt, const struct box_spec *spec,
    const char *run_dir, char *ref, size_t refsz, struct box_error *err)
{
	char path[128], name[64], id[BOX_REF_MAX];
	struct box_error ignore;
	struct dk_reply r;
	json_object *body;
	int rc;

	if (refsz > 0)
		ref[0] = '\0';
	if (spec == NULL || spec->profile == NULL ||
	    !dk_valid_box_id(spec->box_id))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid box specification");
	if (spec->instance == NULL || !box_valid_name(spec->instance, 32))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid instance name");
	if (spec->profile->image[0] == '\0')
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "profile %.40s names no image", spec->profile->name);
	snprintf(name, sizeof(name), "sshbox-%s", spec->box_id);
	snprintf(path, sizeof(path), "/containers/create?name=%s", name);
	if ((body = dk_create_body(spec, run_dir)) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, ENOMEM,
		    "container specification");
	rc = dk_call(rt, "POST", path, body, &r, err);
	json_object_put(body);
	if (rc == -1) {
		/* The daemon may have created it before we gave up. */
		dk_remove_ours(rt, name, spec, &ignore);
		return box_error_wrap(err, "cannot create box");
	}
	if (r.code != 201) {
		dk_http_error(&r, "cannot create box", BOX_E_RUNTIME, err);
		dk_reply_reset(&r);
		return -1;
	}
	rc = box_docker_parse_id(r.buf, r.len, id, sizeof(id), err);
	dk_reply_reset(&r);
	if (rc == -1) {
		dk_remove_ours(rt, name, spec, &ignore);
		return box_error_wrap(err, "cannot create box");
	}
	if (strlen(id) >= refsz) {
		dk_remove(rt, id, &ignore);
		return box_error_set(err, BOX_E_INTERNAL, 0,
		    "box reference does not fit");
	}
	snprintf(path, sizeof(path), "/containers/%s/start", id);
	if (dk_call(rt, "POST", path, NULL, &r, err) == -1) {
		dk_remove(rt, id, &ignore);
		return box_error_wrap(err, "cannot start box");
	}
	if (r.code != 204 && r.code != 304) {
		dk_http_error(&r, "cannot start box", BOX_E_RUNTIME, err);
		dk_reply_reset(&r);
		dk_remove(rt, id, &ignore);
		return -1;
	}
	dk_reply_reset(&r);
	box_strlcpy(ref, id, refsz);
	return 0;
}

/*
 * The box's run directory first (its path goes into the container's
 * mounts), then the container with the agent as PID 1, which must have
 * its socket up within the runtime's timeout; on any failure neither is
 * left behind.
 */
static int
docker_create(struct box_runtime *rt, const struct box_spec *spec,
    char *ref, size_t refsz, struct box_error *err)
{
	char run_dir[PATH_MAX];
	struct box_error ignore;
	int dfd = -1;

	if (refsz > 0)
		ref[0] = '\0';
	if (spec == NULL || spec->profile == NULL ||
	    !dk_valid_box_id(spec->box_id) || spec->instance == NULL ||
	    !box_valid_name(spec->instance, 32))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid box specification");
	if (spec->agent_path == NULL || spec->agent_path[0] != '/')
		return box_error_set(err, BOX_E_CONFIG, 0, "box-agent is not "
		    "installed beside box-runtime or in %s", LIBEXECDIR);
	if ((dfd = box_rundir_make(spec->instance, spec->box_id, run_dir,
	    sizeof(run_dir), err)) < 0)
		return box_error_wrap(err, "cannot create box");
	if (dk_create_container(rt, spec, run_dir, ref, refsz, err) < 0)
		goto fail;
	if (box_rundir_ready(dfd, (int)dk_timeout(rt) * 1000, err) < 0) {
		docker_destroy(rt, spec->box_id, ref, &ignore);
		ref[0] = '\0';
		goto fail;
	}
	close(dfd);
	return 0;
 fail:
	close(dfd);
	box_rundir_remove(spec->instance, spec->box_id);
	return -1;
}

/*
 * The container that is box box_id of this instance, found by the stored
 * reference ref (or by its name when there is none): *exists, and obj when
 * it does.  One whose labels name another box or instance is BOX_E_DENIED.
 */
static int
dk_find_box(struct box_runtime *rt, const char *box_id, const char *ref,
    int *exists, struct box_runtime_obj *obj, struct box_error *err)
{
	char name[64], safe[BOX_REF_MAX];

	if (box_id == NULL || !dk_valid_box_id(box_id))
		return box_error_set(err, BOX_E_INPUT, 0, "invalid box id");
	if (ref == NULL || *ref == '\0') {
		snprintf(name, sizeof(name), "sshbox-%s", box_id);
		ref = name;
	}
	if (docker_describe(rt, ref, exists, obj, err) < 0)
		return -1;
	if (*exists && (strcmp(obj->box_id, box_id) != 0 || rt->cfg == NULL ||
	    strcmp(obj->instance, rt->cfg->instance) != 0))
		return box_error_set(err, BOX_E_DENIED, 0, "container %s is "
		    "not box %s of this bastion: left alone",
		    box_log_safe(ref, safe, sizeof(safe)), box_id);
	return 0;
}

static int
docker_destroy(struct box_runtime *rt, const char *box_id, const char *ref,
    struct box_error *err)
{
	struct box_runtime_obj obj;
	int exists;

	if (dk_find_box(rt, box_id, ref, &exists, &obj, err) < 0)
		return -1;
	if (!exists)
		return 0;
	if (dk_remove(rt, obj.ref, err) < 0)
		return -1;
	box_rundir_remove(rt->cfg->instance, box_id);
	return 0;
}

static int
docker_pause(struct box_runtime *rt, const char *box_id, const char *ref,
    int on, struct box_error *err)
{
	struct box_runtime_obj obj;
	struct dk_reply r;
	char path[256];
	int exists, ret = -1;

	if (dk_find_box(rt, box_id, ref, &exists, &obj, err) < 0)
		return -1;
	if (!exists)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "box %s is gone",
		    box_id);
	if (dk_check_ref(obj.ref, err) == -1)
		return -1;
	snprintf(path, sizeof(path), "/containers/%s/%s", obj.ref, on ?
	    "pause" : "unpause");
	if (dk_call(rt, "POST", path, NULL, &r, err) == -1)
		return box_error_wrap(err, "cannot %s box %s", on ? "pause" :
		    "unpause", box_id);
	/* Already so: Docker says 409 "is already paused" / "is not
	 * paused". */
	if (r.code == 204 || r.code == 200 || (r.code == 409 && r.buf !=
	    NULL && strstr(r.buf, on ? "already paused" : "not paused") !=
	    NULL))
		ret = 0;
	else
		dk_http_error(&r, on ? "cannot pause box" :
		    "cannot unpause box", BOX_E_RUNTIME, err);
	dk_reply_reset(&r);
	return ret;
}

static int
docker_agent(struct box_runtime *rt, const char *box_id, const char *ref,
    struct box_agent_where *w, struct box_error *err)
{
	struct box_runtime_obj obj;
	int exists;

	w->dirfd = w->fd = -1;
	if (dk_find_box(rt, box_id, ref, &exists, &obj, err) < 0)
		return -1;
	if (!exists || !obj.running)
		return box_error_set(err, BOX_E_NOTFOUND, 0,
		    "box %s is not running", box_id);
	if (obj.pid <= 0)
		return box_error_set(err, BOX_E_RUNTIME, 0,
		    "the runtime does not say which process box %s is",
		    box_id);
	if ((w->dirfd = box_rundir_open(rt->cfg->instance, box_id, err)) < 0)
		return -1;
	w->pid = obj.pid;
	snprintf(w->name, sizeof(w->name), "%s", BOX_AGENT_SOCKET);
	return 0;
}

static int
docker_describe(struct box_runtime *rt, const char *ref, int *exists,
    struct box_runtime_obj *obj, struct box_error *err)
{
	struct dk_reply r;
	char path[256];
	int ret = -1;

	*exists = 0;
	memset(obj, 0, sizeof(*obj));
	if (dk_check_ref(ref, err) == -1)
		return -1;
	snprintf(path, sizeof(path), "/containers/%s/json", ref);
	if (dk_call(rt, "GET", path, NULL, &r, err) == -1)
		return box_error_wrap(err, "cannot inspect box");
	if (r.code == 404)
		ret = 0;
	else if (r.code != 200)
		dk_http_error(&r, "cannot inspect box", BOX_E_RUNTIME, err);
	else if (box_docker_parse_inspect(r.buf, r.len, obj, err) == 0) {
		*exists = 1;
		ret = 0;
	} else
		box_error_wrap(err, "cannot inspect box");
	dk_reply_reset(&r);
	return ret;
}

static int
docker_inspect(struct box_runtime *rt, const char *ref, int *exists,
    int *running, struct box_error *err)
{
	struct box_runtime_obj obj;

	*running = 0;
	if (docker_describe(rt, ref, exists, &obj, err) == -1)
		return -1;
	*running = *exists && obj.running;
	return 0;
}

static int
docker_image_present(struct box_runtime *rt, const char *image,
    int *present, struct box_error *err)
{
	char esc[768], path[800];
	struct dk_reply r;
	int ret = -1;

	*present = 0;
	if (dk_escape(image, esc, sizeof(esc)) == -1)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "image name too long");
	snprintf(path, sizeof(path), "/images/%s/json", esc);
	if (dk_call(rt, "GET", path, NULL, &r, err) == -1)
		return box_error_wrap(err, "cannot inspect image");
	if (r.code == 200 || r.code == 404) {
		*present = r.code == 200;
		ret = 0;
	} else {
		dk_http_error(&r, "cannot inspect image", BOX_E_RUNTIME, err);
	}
	dk_reply_reset(&r);
	return ret;
}

/* The "Image" (a container) or "Id" (an image) of a JSON reply. */
static int
dk_image_of(const struct dk_reply *r, const char *key, char *out,
    size_t outsz, struct box_error *err)
{
	json_object *o;
	const char *s;
	size_t len;

	if ((o = dk_json_parse(r->buf, r->len, err)) == NULL)
		return -1;
	s = dk_get_str(o, key, &len);
	if (s == NULL || len == 0 || len >= outsz ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789:") != len) {
		json_object_put(o);
		return box_error_set(err, BOX_E_RUNTIME, 0, "unexpected reply "
		    "from the Docker daemon (%s)", key);
	}
	memcpy(out, s, len);
	out[len] = '\0';
	json_object_put(o);
	return 0;
}

static int
docker_fresh(struct box_runtime *rt, const char *box_id, const char *ref,
    const char *profile, const char *image, int *fresh,
    struct box_error *err)
{
	struct box_runtime_obj obj;
	char esc[768], path[800], have[80], want[80];
	struct dk_reply r;
	int exists, rc;

	(void)profile;
	*fresh = 0;
	if (dk_find_box(rt, box_id, ref, &exists, &obj, err) < 0)
		return -1;
	if (!exists)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "box %s is gone",
		    box_id);
	snprintf(path, sizeof(path), "/containers/%s/json", obj.ref);
	if (dk_call(rt, "GET", path, NULL, &r, err) == -1)
		return box_error_wrap(err, "cannot inspect box");
	rc = r.code == 200 ? dk_image_of(&r, "Image", have, sizeof(have),
	    err) : dk_http_error(&r, "cannot inspect box", BOX_E_RUNTIME, err);
	dk_reply_reset(&r);
	if (rc < 0)
		return -1;
	if (dk_escape(image, esc, sizeof(esc)) == -1)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "image name too long");
	snprintf(path, sizeof(path), "/images/%s/json", esc);
	if (dk_call(rt, "GET", path, NULL, &r, err) == -1)
		return box_error_wrap(err, "cannot inspect image");
	if (r.code == 404) {
		dk_reply_reset(&r);
		return 0;	/* gone: not fresh */
	}
	rc = r.code == 200 ? dk_image_of(&r, "Id", want, sizeof(want), err) :
	    dk_http_error(&r, "cannot inspect image", BOX_E_RUNTIME, err);
	dk_reply_reset(&r);
	if (rc < 0)
		return -1;
	*fresh = strcmp(have, want) == 0;
	return 0;
}

static int
docker_list(struct box_runtime *rt, const char *instance,
    struct box_runtime_obj **objs, size_t *nobjs, struct box_error *err)
{
	char label[128], filters[512], path[768];
	const char *lv[2];
	const char *fs;
	json_object *f;
	struct dk_reply r;
	int ret = -1;

	*objs = NULL;
	*nobjs = 0;
	if (instance == NULL || !box_valid_name(instance, 32))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid instance name");
	snprintf(label, sizeof(label), "%s=%s", BOX_LABEL_INSTANCE, instance);
	lv[0] = label;
	lv[1] = NULL;
	if ((f = json_object_new_object()) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, ENOMEM, "list");
	if (dk_add_strv(f, "label", lv, SIZE_MAX) == -1 ||
	    (fs = json_object_to_json_string_ext(f,
	    JSON_C_TO_STRING_PLAIN)) == NULL ||
	    dk_escape(fs, filters, sizeof(filters)) == -1) {
		json_object_put(f);
		return box_error_set(err, BOX_E_INTERNAL, 0,
		    "cannot build the list filter");
	}
	json_object_put(f);
	snprintf(path, sizeof(path), "/containers/json?all=1&filters=%s",
	    filters);
	if (dk_call(rt, "GET", path, NULL, &r, err) == -1)
		return box_error_wrap(err, "cannot list boxes");
	if (r.code != 200)
		dk_http_error(&r, "cannot list boxes", BOX_E_RUNTIME, err);
	else if (box_docker_parse_list(r.buf, r.len, objs, nobjs, err) == 0)
		ret = 0;
	else
		box_error_wrap(err, "cannot list boxes");
	dk_reply_reset(&r);
	return ret;
}

static void
docker_free(struct box_runtime *rt)
{
	rt->priv = NULL;
}

const struct box_runtime_ops box_docker_ops = {
	.name = "docker",
	.create = docker_create,
	.destroy = docker_destroy,
	.inspect = docker_inspect,
	.describe = docker_describe,
	.agent = docker_agent,
	.pause = docker_pause,
	.image_present = docker_image_present,
	.fresh = docker_fresh,
	.list = docker_list,
	.free = docker_free,
};
