/*
 * The OCI driver (oci.h): runc, crun and gVisor's runsc, run by
 * box-runtime as root, with no daemon.
 *
 * A box is a bundle of sshbox's own, OCI_DIR/INSTANCE/BOXID (root, 0700):
 *   config.json   the OCI configuration, written here whole; its
 *                 annotations are the box's labels (as Docker's are)
 *   rootfs/       an overlay: the unpacked image (read-only, shared by
 *                 every box of the image) under the box's own layer/
 *   layer/        upper/ and work/ of the overlay; a tmpfs of the
 *                 profile's disk size when it sets one
 *   runtime.log   what the runtime said (--log), for the one line a
 *                 failure gives
 * and the runtime keeps its own state in OCI_DIR/INSTANCE/.RUNTIME, so
 * that listing is reading this directory: a box is ours because its
 * bundle is here, not because a stored reference says so.  The box's
 * run directory (the agent's socket) is the same as for Docker
 * (rundir.c).  Images are unpacked trees in cfg->oci_images
 * (images/build-*.sh put them there); nothing is pulled.
 *
 * Every limit the profile sets is handed to the runtime and then read
 * back from the box's cgroup: a runtime that starts the box without it
 * (or cannot start it with it, as crun under hybrid cgroups) gets the box
 * refused with one line, never a box without its limit.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/log.h"
#include "core/spawn.h"
#include "core/util.h"
#include "runtime/jsonc.h"
#include "runtime/oci.h"
#include "session/command.h"
#include "runtime/rundir.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/libexec/sshbox"
#endif

#define OCI_OUT_MAX	(64 * 1024)	/* a runtime's state output */
#define OCI_CONF_MAX	(256 * 1024)	/* a bundle's config.json */
#define OCI_USERDB_MAX	(1024 * 1024)	/* an image's passwd or group */
#define OCI_MAX_GIDS	32
#define OCI_LABEL_RUNTIME	"io.sshbox.runtime"
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

enum oci_kind { OCI_RUNC, OCI_CRUN, OCI_RUNSC };

static enum oci_kind
oci_kind(const struct box_runtime *rt)
{
	if (strcmp(rt->ops->name, "runsc") == 0)
		return OCI_RUNSC;
	if (strcmp(rt->ops->name, "crun") == 0)
		return OCI_CRUN;
	return OCI_RUNC;
}

static int
oci_valid_box_id(const char *s)
{
	return s != NULL && strlen(s) == BOX_ID_LEN &&
	    strspn(s, "0123456789abcdef") == BOX_ID_LEN;
}

/* ------------------------------------------------------------ parsers */

static int
img_component(const char *s, size_t n, int tag)
{
	size_t i;

	if (n == 0 || n > 128)
		return 0;
	if (tag ? !(isalnum((unsigned char)s[0]) || s[0] == '_') :
	    !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(tag ? isalnum(c) : (islower(c) || isdigit(c))) &&
		    c != '.' && c != '_' && c != '-')
			return 0;
	}
	return 1;
}

int
box_oci_image_dir(const char *ref, char *out, size_t outsz,
    struct box_error *err)
{
	const char *colon, *p, *slash, *end;
	size_t len;

	if (ref == NULL || (len = strlen(ref)) == 0 || len > 200)
		goto bad;
	colon = strrchr(ref, ':');
	if (colon != NULL && strchr(colon, '/') != NULL)
		goto bad;	/* a registry's port: not an image of ours */
	end = colon != NULL ? colon : ref + len;
	/* Up to end itself: an empty name (":tag") or last component
	 * ("a/") is a component too, and a bad one. */
	for (p = ref;; p = slash + 1) {
		slash = memchr(p, '/', (size_t)(end - p));
		if (slash == NULL)
			slash = end;
		if (!img_component(p, (size_t)(slash - p), 0))
			goto bad;
		if (slash == end)
			break;
	}
	if (colon != NULL && !img_component(colon + 1, strlen(colon + 1), 1))
		goto bad;
	if ((size_t)snprintf(out, outsz, "%.*s/%s", (int)(end - ref), ref,
	    colon != NULL ? colon + 1 : "latest") >= outsz)
		goto bad;
	return 0;
 bad:
	return box_error_set(err, BOX_E_CONFIG, 0, "image \"%.80s\" is not "
	    "a name[:tag] of the OCI image store", ref != NULL ? ref : "");
}

static json_object *
oci_json(const char *json, size_t len, struct box_error *err)
{
	struct json_tokener *tok;
	json_object *o;

	if (json == NULL || len == 0 || len > OCI_CONF_MAX || len > INT_MAX) {
		box_error_set(err, BOX_E_RUNTIME, 0, "runtime reply: empty or "
		    "too long");
		return NULL;
	}
	if ((tok = json_tokener_new_ex(16)) == NULL) {
		box_error_set(err, BOX_E_INTERNAL, ENOMEM, "json");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, json, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		/* A trailing newline is all that may follow. */
		if (o != NULL && json_object_is_type(o, json_type_object) &&
		    json_tokener_get_error(tok) == json_tokener_success &&
		    strspn(json + json_tokener_get_parse_end(tok), " \t\r\n") ==
		    len - json_tokener_get_parse_end(tok)) {
			json_tokener_free(tok);
			return o;
		}
		json_object_put(o);
		json_tokener_free(tok);
		box_error_set(err, BOX_E_RUNTIME, 0, "runtime reply is not a "
		    "JSON object");
		return NULL;
	}
	json_tokener_free(tok);
	return o;
}

int
box_oci_parse_state(const char *json, size_t len, int *running,
    int *paused, long *pid, struct box_error *err)
{
	json_object *o, *v;
	const char *status;
	int64_t n = 0;

	*running = *paused = 0;
	*pid = 0;
	if ((o = oci_json(json, len, err)) == NULL)
		return -1;
	if (!json_object_object_get_ex(o, "status", &v) ||
	    !json_object_is_type(v, json_type_string))
		goto bad;
	status = json_object_get_string(v);
	if (strlen(status) != (size_t)json_object_get_string_len(v))
		goto bad;	/* a NUL inside ("\u0000") */
	if (json_object_object_get_ex(o, "pid", &v)) {
		if (!json_object_is_type(v, json_type_int))
			goto bad;
		n = json_object_get_int64(v);
		if (n < -1 || n > 4194304)
			goto bad;
	}
	if (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0) {
		if (n <= 0)
			goto bad;
		*running = 1;
		*paused = status[0] == 'p';
		*pid = (long)n;
	} else if (strcmp(status, "created") != 0 &&
	    strcmp(status, "stopped") != 0 && strcmp(status, "creating") != 0) {
		goto bad;
	}
	json_object_put(o);
	return 0;
 bad:
	json_object_put(o);
	return box_error_set(err, BOX_E_RUNTIME, 0, "unexpected state from "
	    "the runtime");
}

void
box_oci_parse_log(const char *line, size_t len, char *out, size_t outsz)
{
	json_object *o = NULL, *v;
	const char *msg = line;
	size_t mlen = len, i, n = 0;
	struct box_error ignore;

	if (outsz == 0)
		return;
	if (len > 0 && line[0] == '{' &&
	    (o = oci_json(line, len, &ignore)) != NULL &&
	    json_object_object_get_ex(o, "msg", &v) &&
	    json_object_is_type(v, json_type_string)) {
		msg = json_object_get_string(v);
		mlen = (size_t)json_object_get_string_len(v);
	}
	for (i = 0; i < mlen && n + 1 < outsz; i++) {
		unsigned char c = (unsigned char)msg[i];

		out[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	/* Cut at a character's start: when the cut splits a UTF-8
	 * sequence (what is left of it is a continuation byte), the part
	 * before the cut is dropped with it. */
	if (i < mlen && ((unsigned char)msg[i] & 0xc0) == 0x80) {
		while (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
			n--;
		if (n > 0 && ((unsigned char)out[n - 1] & 0xc0) == 0xc0)
			n--;
	}
	out[n] = '\0';
	json_object_put(o);
}

static int
label_str(json_object *ann, const char *key, char *out, size_t outsz,
    int (*ok)(const char *))
{
	json_object *v;
	const char *s;

	out[0] = '\0';
	if (!json_object_object_get_ex(ann, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v) ||
	    strlen(s) >= outsz || (ok != NULL && !ok(s)))
		return -1;
	snprintf(out, outsz, "%s", s);
	return 0;
}

static int
ok_name32(const char *s)
{
	return box_valid_name(s, 32);
}

static int
ok_runtime(const char *s)
{
	return strcmp(s, "runc") == 0 || strcmp(s, "crun") == 0 ||
	    strcmp(s, "runsc") == 0 || strcmp(s, "microvm") == 0;
}

int
box_oci_parse_labels(const char *json, size_t len,
    struct box_runtime_obj *obj, char *runtime, size_t runtimesz,
    struct box_error *err)
{
	json_object *o, *ann;
	char deadline[24];
	long long d;

	memset(obj, 0, sizeof(*obj));
	if ((o = oci_json(json, len, err)) == NULL)
		return -1;
	if (!json_object_object_get_ex(o, "annotations", &ann) ||
	    !json_object_is_type(ann, json_type_object) ||
	    label_str(ann, BOX_LABEL_BOX, obj->box_id, sizeof(obj->box_id),
	    oci_valid_box_id) < 0 ||
	    label_str(ann, BOX_LABEL_INSTANCE, obj->instance,
	    sizeof(obj->instance), ok_name32) < 0 ||
	    label_str(ann, BOX_LABEL_PROFILE, obj->profile,
	    sizeof(obj->profile), ok_name32) < 0 ||
	    label_str(ann, OCI_LABEL_RUNTIME, runtime, runtimesz,
	    ok_runtime) < 0 ||
	    label_str(ann, BOX_LABEL_DEADLINE, deadline, sizeof(deadline),
	    NULL) < 0 || box_parse_int(deadline, 0, INT64_MAX / 2, &d,
	    err) < 0) {
		json_object_put(o);
		memset(obj, 0, sizeof(*obj));
		return box_error_set(err, BOX_E_RUNTIME, 0, "bundle labels "
		    "missing or invalid");
	}
	obj->deadline = d;
	json_object_put(o);
	return 0;
}

/* The fields of the passwd or group line at p (up to the newline). */
static size_t
db_fields(const char *p, const char *end, const char **f, size_t *fl,
    size_t max)
{
	size_t n = 0;
	const char *s = p;

	for (;;) {
		const char *c = s;

		while (c < end && *c != ':' && *c != '\n')
			c++;
		if (n < max) {
			f[n] = s;
			fl[n] = (size_t)(c - s);
		}
		n++;
		if (c >= end || *c == '\n')
			return n;
		s = c + 1;
	}
}

static int
db_num(const char *s, size_t n, unsigned long *out)
{
	char buf[16];
	long long v;
	struct box_error ignore;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	/* s ends at n, not at a NUL: the end of the database may follow. */
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strspn(buf, "0123456789") < n ||
	    box_parse_int(buf, 0, 0xfffffffeLL, &v, &ignore) < 0)
		return -1;
	*out = (unsigned long)v;
	return 0;
}

static int
db_eq(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

/* Whether the comma-separated member list m names user. */
static int
db_member(const char *m, size_t n, const char *user)
{
	const char *e = m + n, *c;

	while (m < e) {
		for (c = m; c < e && *c != ','; c++)
			;
		if (db_eq(m, (size_t)(c - m), user))
			return 1;
		m = c + 1;
	}
	return 0;
}

int
box_oci_resolve_user(const char *user, const char *passwd, size_t plen,
    const char *group, size_t glen, uid_t *uid, gid_t *gid, gid_t *gids,
    size_t *ngids, struct box_error *err)
{
	const char *f[8], *p, *end;
	size_t fl[8], max = *ngids, n;
	unsigned long u, g;
	const char *colon;
	char name[64] = "";
	int found = 0;

	*ngids = 0;
	if (user == NULL || *user == '\0')
		user = "0";
	if (strlen(user) >= sizeof(name))
		return box_error_set(err, BOX_E_CONFIG, 0, "user too long");
	if (isdigit((unsigned char)user[0])) {
		colon = strchr(user, ':');
		if (db_num(user, colon ? (size_t)(colon - user) : strlen(user),
		    &u) < 0 || (colon && db_num(colon + 1, strlen(colon + 1),
		    &g) < 0))
			return box_error_set(err, BOX_E_CONFIG, 0,
			    "user \"%s\" "
			    "is not NAME, UID or UID:GID", user);
		*uid = (uid_t)u;
		*gid = colon ? (gid_t)g : (gid_t)u;
		if (colon)
			return 0;
		/* A bare uid takes the primary group of its passwd line,
		 * as Docker does. */
		for (p = passwd, end = passwd + plen; p != NULL && p < end;) {
			n = db_fields(p, end, f, fl, 8);
			if (n >= 4 && db_num(f[2], fl[2], &u) == 0 &&
			    u == (unsigned long)*uid &&
			    db_num(f[3], fl[3], &g) == 0) {
				*gid = (gid_t)g;
				break;
			}
			p = memchr(p, '\n', (size_t)(end - p));
			p = p != NULL ? p + 1 : NULL;
		}
		return 0;
	}
	if (!box_valid_name(user, 32))
		return box_error_set(err, BOX_E_CONFIG, 0, "user \"%.40s\" is "
		    "not a valid name", user);
	for (p = passwd, end = passwd + plen; p != NULL && p < end;) {
		n = db_fields(p, end, f, fl, 8);
		if (n >= 4 && db_eq(f[0], fl[0], user) &&
		    db_num(f[2], fl[2], &u) == 0 &&
		    db_num(f[3], fl[3], &g) == 0) {
			*uid = (uid_t)u;
			*gid = (gid_t)g;
			found = 1;
			break;
		}
		p = memchr(p, '\n', (size_t)(end - p));
		p = p != NULL ? p + 1 : NULL;
	}
	if (!found)
		return box_error_set(err, BOX_E_CONFIG, 0, "user %s is not in "
		    "the image's /etc/passwd", user);
	for (p = group, end = group + glen; p != NULL && p < end;) {
		n = db_fields(p, end, f, fl, 8);
		if (n >= 4 && db_num(f[2], fl[2], &g) == 0 &&
		    (gid_t)g != *gid && db_member(f[3], fl[3], user) &&
		    *ngids < max)
			gids[(*ngids)++] = (gid_t)g;
		p = memchr(p, '\n', (size_t)(end - p));
		p = p != NULL ? p + 1 : NULL;
	}
	return 0;
}

/* ----------------------------------------------------- the runtime */

/* The runtime's binary: root's, in one of the system's directories. */
static int
oci_bin(const struct box_runtime *rt, char *out, size_t outsz,
    struct box_error *err)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin",
	    "/bin", "/usr/local/sbin", "/usr/local/bin", NULL };
	struct box_error e2;
	size_t i;

	for (i = 0; dirs[i] != NULL; i++) {
		snprintf(out, outsz, "%s/%s", dirs[i], rt->ops->name);
		if (access(out, X_OK) == 0 &&
		    box_path_root_only(out, 0, &e2) == 0)
			return 0;
	}
	return box_error_set(err, BOX_E_RUNTIME, 0, "runtime %s is not "
	    "installed (no root-owned %s in /usr/sbin, /usr/bin, /sbin, /bin "
	    "or /usr/local)", rt->ops->name, rt->ops->name);
}

static long
oci_timeout_ms(const struct box_runtime *rt)
{
	if (rt->cfg == NULL || rt->cfg->docker_timeout <= 0)
		return 30000;
	if (rt->cfg->docker_timeout > 3600)
		return 3600000;
	return (long)rt->cfg->docker_timeout * 1000;
}

static void
oci_paths(const struct box_runtime *rt, const char *box_id, char *bundle,
    size_t bsz, char *state, size_t ssz)
{
	if (bundle != NULL)
		snprintf(bundle, bsz, "%s/%s/%s", OCI_DIR, rt->cfg->instance,
		    box_id);
	if (state != NULL)
		snprintf(state, ssz, "%s/%s/.%s", OCI_DIR, rt->cfg->instance,
		    rt->ops->name);
}

/* The last line the runtime logged, as one line for the guest's error. */
static void
oci_last_log(const char *bundle, char *msg, size_t msgsz)
{
	char path[PATH_MAX], buf[8192], *line, *nl;
	ssize_t n;
	int fd;
	off_t sz;

	msg[0] = '\0';
	snprintf(path, sizeof(path), "%s/runtime.log", bundle);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	sz = lseek(fd, 0, SEEK_END);
	if (sz > (off_t)sizeof(buf) - 1)
		lseek(fd, sz - (off_t)sizeof(buf) + 1, SEEK_SET);
	else
		lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	line = (nl = strrchr(buf, '\n')) != NULL ? nl + 1 : buf;
	box_oci_parse_log(line, strlen(line), msg, msgsz);
}

/*
 * Run the runtime with args after its global options, as root, within the
 * timeout; what it prints on stdout into *out (when out is not NULL,
 * bounded), its log into bundle/runtime.log (when bundle is not NULL).
 * Returns its exit status (0..255), or -1 when it could not run or was
 * killed for taking too long.
 */
static int
oci_exec(struct box_runtime *rt, const char *bundle, const char *const *args,
    char **out, size_t *outlen, struct box_error *err)
{
	char bin[PATH_MAX], state[PATH_MAX], logp[PATH_MAX], platform[40];
	char *argv[24], *env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	    NULL };
	struct box_spawn sp;
	int pfd[2] = { -1, -1 }, logfd = -1, status, rc = -1;
	char *buf = NULL;
	size_t n = 0, len = 0, i;
	int64_t end = box_now_ms() + oci_timeout_ms(rt);
	pid_t pid;

	if (out != NULL) {
		*out = NULL;
		*outlen = 0;
	}
	if (oci_bin(rt, bin, sizeof(bin), err) < 0)
		return -1;
	oci_paths(rt, "x", NULL, 0, state, sizeof(state));
	argv[n++] = bin;
	argv[n++] = "--root";
	argv[n++] = state;
	if (bundle != NULL) {
		snprintf(logp, sizeof(logp), "%s/runtime.log", bundle);
		if ((logfd = open(logp, O_WRONLY | O_CREAT | O_TRUNC |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
			return box_error_set(err, BOX_E_RUNTIME, errno, "%s",
			    logp);
		close(logfd);
		logfd = -1;
		if (oci_kind(rt) == OCI_CRUN) {
			static char crunlog[PATH_MAX + 16];

			snprintf(crunlog, sizeof(crunlog), "--log=file:%s",
			    logp);
			argv[n++] = crunlog;
		} else {
			argv[n++] = "--log";
			argv[n++] = logp;
			argv[n++] = "--log-format";
			argv[n++] = "json";
		}
	}
	if (oci_kind(rt) == OCI_RUNSC) {
		snprintf(platform, sizeof(platform), "--platform=%s",
		    rt->cfg->runsc_platform[0] ? rt->cfg->runsc_platform :
		    "ptrace");
		argv[n++] = platform;
		argv[n++] = "--network=none";
		/* The agent makes its socket in the run directory, which the
		 * host connects to. */
		argv[n++] = "--host-uds=create";
	}
	for (i = 0; args[i] != NULL && n < nitems(argv) - 1; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	if (out != NULL && pipe2(pfd, O_CLOEXEC) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno, "pipe");
	memset(&sp, 0, sizeof(sp));
	sp.path = bin;
	sp.argv = argv;
	sp.envp = env;
	sp.fds[0] = -1;
	sp.fds[1] = out != NULL ? pfd[1] : -1;
	sp.fds[2] = -1;
	sp.workdir = "/";
	sp.as_root = 1;
	pid = box_spawn(&sp, err);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (pid < 0) {
		if (pfd[0] >= 0)
			close(pfd[0]);
		return box_error_wrap(err, "cannot run %s", rt->ops->name);
	}
	if (out != NULL) {
		if ((buf = malloc(OCI_OUT_MAX + 1)) == NULL)
			goto kill;
		for (;;) {
			struct pollfd p = { pfd[0], POLLIN, 0 };
			int64_t left = end - box_now_ms();
			ssize_t r;

			if (left <= 0)
				goto kill;
			if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) < 0 &&
			    errno != EINTR)
				goto kill;
			if (p.revents == 0)
				continue;
			r = read(pfd[0], buf + len, OCI_OUT_MAX - len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			len += (size_t)r;
			if (len == OCI_OUT_MAX)
				goto kill;
		}
		buf[len] = '\0';
	}
	/* Wait for it, within what is left of the time. */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			goto kill;
		if (box_now_ms() >= end)
			goto kill;
		usleep(5000);
	}
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else
		box_error_set(err, BOX_E_RUNTIME, 0, "%s was killed by signal "
		    "%d", rt->ops->name, WTERMSIG(status));
	if (rc >= 0 && out != NULL) {
		*out = buf;
		*outlen = len;
		buf = NULL;
	}
	free(buf);
	return rc;
 kill:
	kill(pid, SIGKILL);
	box_spawn_wait(pid, &status);
	if (pfd[0] >= 0)
		close(pfd[0]);
	free(buf);
	return box_error_set(err, BOX_E_RUNTIME, 0, "%s did not answer "
	    "within %lds", rt->ops->name, oci_timeout_ms(rt) / 1000);
}

/* Run args; a non-zero exit is an error saying what the runtime logged. */
static int
oci_do(struct box_runtime *rt, const char *bundle, const char *what,
    const char *const *args, struct box_error *err)
{
	char msg[300];
	int rc;

	if ((rc = oci_exec(rt, bundle, args, NULL, NULL, err)) < 0)
		return box_error_wrap(err, "%s", what);
	if (rc == 0)
		return 0;
	msg[0] = '\0';
	if (bundle != NULL)
		oci_last_log(bundle, msg, sizeof(msg));
	return box_error_set(err, BOX_E_RUNTIME, 0, "%s: %s", what,
	    msg[0] != '\0' ? msg : "the runtime failed");
}

/* "RUNTIME state sshbox-BOXID": exists, running, paused, pid. */
static int
oci_state(struct box_runtime *rt, const char *box_id, int *exists,
    int *running, int *paused, long *pid, struct box_error *err)
{
	char id[32], *out = NULL;
	const char *args[] = { "state", id, NULL };
	size_t len;
	int rc;

	*exists = *running = *paused = 0;
	*pid = 0;
	snprintf(id, sizeof(id), "sshbox-%s", box_id);
	if ((rc = oci_exec(rt, NULL, args, &out, &len, err)) < 0)
		return -1;
	if (rc != 0) {
		/* No state: never started, or deleted. */
		free(out);
		return 0;
	}
	*exists = 1;
	rc = box_oci_parse_state(out, len, running, paused, pid, err);
	free(out);
	return rc;
}

/* --------------------------------------------------------- bundles */

/* The bundle directory of box_id, opened; -1 with BOX_E_NOTFOUND when
 * there is none. */
static int
oci_bundle_open(const struct box_runtime *rt, const char *box_id,
    struct box_error *err)
{
	char path[PATH_MAX];
	int fd;

	oci_paths(rt, box_id, path, sizeof(path), NULL, 0);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_RUNTIME, errno, "bundle of box %s", box_id);
	return fd;
}

/* The labels of box_id's bundle, and which runtime made it. */
static int
oci_labels(const struct box_runtime *rt, const char *box_id,
    struct box_runtime_obj *obj, char *runtime, size_t runtimesz,
    struct box_error *err)
{
	char *buf = NULL;
	struct stat st;
	ssize_t n;
	int dfd, fd, rc;

	if ((dfd = oci_bundle_open(rt, box_id, err)) < 0)
		return -1;
	fd = openat(dfd, "config.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_RUNTIME, errno, "bundle of box %s", box_id);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > OCI_CONF_MAX || st.st_size == 0 ||
	    (buf = malloc((size_t)st.st_size)) == NULL ||
	    (n = read(fd, buf, (size_t)st.st_size)) != st.st_size) {
		close(fd);
		free(buf);
		return box_error_set(err, BOX_E_RUNTIME, 0, "bundle of box %s "
		    "is unreadable", box_id);
	}
	close(fd);
	rc = box_oci_parse_labels(buf, (size_t)n, obj, runtime, runtimesz,
	    err);
	free(buf);
	return rc;
}

/* A bundle of this instance to be removed, whatever made it. */
static void
partial_obj(const struct box_runtime *rt, const char *box_id,
    struct box_runtime_obj *obj)
{
	memset(obj, 0, sizeof(*obj));
	snprintf(obj->box_id, sizeof(obj->box_id), "%s", box_id);
	snprintf(obj->instance, sizeof(obj->instance), "%s",
	    rt->cfg->instance);
	snprintf(obj->ref, sizeof(obj->ref), "sshbox-%s", box_id);
}

/*
 * Box box_id of this instance, made by this runtime: *exists, and obj
 * when it does.  A bundle another runtime made is BOX_E_DENIED.
 */
static int
oci_find(struct box_runtime *rt, const char *box_id, int *exists,
    struct box_runtime_obj *obj, int *paused, struct box_error *err)
{
	char runtime[16];
	int running, p, dfd, partial;
	long pid;

	*exists = 0;
	if (paused != NULL)
		*paused = 0;
	if (!oci_valid_box_id(box_id))
		return box_error_set(err, BOX_E_INPUT, 0, "invalid box id");
	if ((dfd = oci_bundle_open(rt, box_id, err)) < 0)
		return err->kind == BOX_E_NOTFOUND ? 0 : -1;
	partial = faccessat(dfd, "config.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0
	    && errno == ENOENT;
	close(dfd);
	if (partial) {
		/* Cut short while it was made (box-runtime killed): a box
		 * that never ran, there to be removed by any driver. */
		partial_obj(rt, box_id, obj);
		*exists = 1;
		return 0;
	}
	if (oci_labels(rt, box_id, obj, runtime, sizeof(runtime), err) < 0) {
		/* Only box-runtime writes it, whole (rename): one that does
		 * not read is damage; the box is removable as a partial
		 * one, never left to count against max_boxes. */
		box_log(LOG_WARNING, "bundle of box %s: %s", box_id, err->msg);
		partial_obj(rt, box_id, obj);
		*exists = 1;
		return 0;
	}
	if (strcmp(obj->box_id, box_id) != 0 ||
	    strcmp(obj->instance, rt->cfg->instance) != 0)
		return box_error_set(err, BOX_E_DENIED, 0, "bundle %s is not "
		    "box %s of this bastion: left alone", box_id, box_id);
	if (strcmp(runtime, rt->ops->name) != 0)
		return box_error_set(err, BOX_E_DENIED, 0, "box %s was made by "
		    "%s, not %s", box_id, runtime, rt->ops->name);
	*exists = 1;
	snprintf(obj->ref, sizeof(obj->ref), "sshbox-%s", box_id);
	if (oci_state(rt, box_id, &p, &running, paused != NULL ? paused : &p,
	    &pid, err) < 0)
		return -1;
	obj->running = running;
	obj->pid = running ? pid : 0;
	return 0;
}

/* Remove a tree of root's, found by path in a directory only root can
 * reach, without following links (GNU rm's fts), on one file system. */
static int
oci_rm_tree(const char *path)
{
	char *const argv[] = { "rm", "-rf", "--one-file-system", "--",
	    (char *)path, NULL };
	char *const env[] = { "PATH=/usr/bin:/bin", NULL };
	struct box_spawn sp;
	struct box_error err;
	int status;
	pid_t pid;

	memset(&sp, 0, sizeof(sp));
	sp.path = access("/usr/bin/rm", X_OK) == 0 ? "/usr/bin/rm" : "/bin/rm";
	sp.argv = argv;
	sp.envp = env;
	sp.fds[0] = sp.fds[1] = sp.fds[2] = -1;
	sp.workdir = "/";
	sp.as_root = 1;
	if ((pid = box_spawn(&sp, &err)) < 0 ||
	    box_spawn_wait(pid, &status) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Unmount the box's root and layer and remove its bundle. */
static int
oci_bundle_remove(const struct box_runtime *rt, const char *box_id)
{
	char bundle[PATH_MAX], p[PATH_MAX + 16];

	oci_paths(rt, box_id, bundle, sizeof(bundle), NULL, 0);
	snprintf(p, sizeof(p), "%s/rootfs", bundle);
	while (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	snprintf(p, sizeof(p), "%s/layer", bundle);
	while (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	return oci_rm_tree(bundle);
}

/* ------------------------------------------------------ config.json */


static json_object *
j_strv(const char *const *v, size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (box_jc_push(a, json_object_new_string(v[i])) < 0) {
			json_object_put(a);
			return NULL;
		}
	return a;
}

static int
j_mount(json_object *mounts, const char *dst, const char *type,
    const char *src, const char *const *opts, size_t nopts)
{
	json_object *m = json_object_new_object();

	if (m == NULL || box_jc_push(mounts, m) < 0)
		return -1;
	return box_jc_add(m, "destination", json_object_new_string(dst)) < 0 ||
	    box_jc_add(m, "type", json_object_new_string(type)) < 0 ||
	    box_jc_add(m, "source", json_object_new_string(src)) < 0 ||
	    box_jc_add(m, "options", j_strv(opts, nopts)) < 0 ? -1 : 0;
}

/* A capability name as the profile has it ("CHOWN"): known ones only. */
static int
oci_cap_ok(const char *c)
{
	static const char *const caps[] = { "AUDIT_WRITE", "CHOWN",
	    "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
	    "MKNOD", "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID",
	    "SETPCAP", "SETUID", "SYS_CHROOT", "SYS_PTRACE", "IPC_LOCK",
	    "LEASE", "LINUX_IMMUTABLE", "NET_ADMIN", "NET_BROADCAST",
	    "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG",
	    "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_PACCT", "SYS_BOOT",
	    "MAC_ADMIN", "MAC_OVERRIDE", "SYSLOG", "WAKE_ALARM",
	    "BLOCK_SUSPEND", "AUDIT_CONTROL", "AUDIT_READ", "IPC_OWNER",
	    "PERFMON", "BPF", "CHECKPOINT_RESTORE", NULL };
	size_t i;

	for (i = 0; caps[i] != NULL; i++)
		if (strcmp(caps[i], c) == 0)
			return 1;
	return 0;
}

/*
 * Syscalls no box needs, refused with EPERM whatever capabilities the
 * profile adds (as Docker's default profile does): new user namespaces
 * and the kernel's keyrings, BPF, perf, modules, kexec, handles,
 * userfaultfd, and mounting.  runsc applies its own filters below the
 * guest kernel and is given none.
 */
static json_object *
oci_seccomp(void)
{
	static const char *const denied[] = { "add_key", "request_key",
	    "keyctl", "bpf", "perf_event_open", "init_module",
	    "finit_module", "delete_module", "kexec_load", "kexec_file_load",
	    "open_by_handle_at", "name_to_handle_at", "userfaultfd",
	    "mount", "umount2", "pivot_root", "swapon", "swapoff", "reboot",
	    "setns", "unshare", "fsopen", "fsmount", "fsconfig", "move_mount",
	    "open_tree", "acct", "lookup_dcookie", "quotactl", "syslog",
	    "vm86", "vm86old", "nfsservctl", "create_module",
	    "get_kernel_syms", "query_module", "uselib", "ustat", "sysfs",
	    "_sysctl", "iopl", "ioperm", "clock_settime",
	    "settimeofday", "stime", "adjtimex", "clock_adjtime",
	    "io_uring_setup", "io_uring_enter", "io_uring_register",
	    "mount_setattr", "fspick", NULL };
	json_object *s, *rules, *r, *args, *a;
	size_t n;

	for (n = 0; denied[n] != NULL; n++)
		;
	if ((s = json_object_new_object()) == NULL)
		return NULL;
	if (box_jc_add(s, "defaultAction", json_object_new_string(
	    "SCMP_ACT_ALLOW")) < 0 ||
	    box_jc_add(s, "architectures", j_strv((const char *const[]){
	    "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
	    "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM" }, 5)) < 0 ||
	    (rules = json_object_new_array()) == NULL ||
	    box_jc_add(s, "syscalls", rules) < 0 ||
	    (r = json_object_new_object()) == NULL || box_jc_push(rules,
	    r) < 0 ||
	    box_jc_add(r, "names", j_strv(denied, n)) < 0 ||
	    box_jc_add(r, "action",
	    json_object_new_string("SCMP_ACT_ERRNO")) < 0 ||
	    box_jc_add(r, "errnoRet", json_object_new_int(EPERM)) < 0)
		goto fail;
	/* clone with CLONE_NEWUSER (0x10000000): refused; a plain fork or
	 * thread is not. */
	if ((r = json_object_new_object()) == NULL || box_jc_push(rules,
	    r) < 0 ||
	    box_jc_add(r, "names", j_strv((const char *const[]){ "clone" },
	    1)) < 0 ||
	    box_jc_add(r, "action",
	    json_object_new_string("SCMP_ACT_ERRNO")) < 0 ||
	    box_jc_add(r, "errnoRet", json_object_new_int(EPERM)) < 0 ||
	    (args = json_object_new_array()) == NULL ||
	    box_jc_add(r, "args", args) < 0 ||
	    (a = json_object_new_object()) == NULL || box_jc_push(args,
	    a) < 0 ||
	    box_jc_add(a, "index", json_object_new_int(0)) < 0 ||
	    box_jc_add(a, "value", json_object_new_int64(0x10000000)) < 0 ||
	    box_jc_add(a, "valueTwo", json_object_new_int64(0x10000000)) < 0 ||
	    box_jc_add(a, "op",
	    json_object_new_string("SCMP_CMP_MASKED_EQ")) < 0)
		goto fail;
	/* clone3 passes its flags in memory: refused outright, so that libc
	 * falls back to clone (ENOSYS, as Docker does). */
	if ((r = json_object_new_object()) == NULL || box_jc_push(rules,
	    r) < 0 ||
	    box_jc_add(r, "names", j_strv((const char *const[]){ "clone3" },
	    1)) < 0 ||
	    box_jc_add(r, "action",
	    json_object_new_string("SCMP_ACT_ERRNO")) < 0 ||
	    box_jc_add(r, "errnoRet", json_object_new_int(ENOSYS)) < 0)
		goto fail;
	return s;
 fail:
	json_object_put(s);
	return NULL;
}

/*
 * The host's process limit for the box.  Under gVisor the host sees the
 * sandbox's own processes and threads (the ptrace platform's stubs, one
 * per address space, and the sentry's threads) rather than the guest's:
 * the profile's count plus room for them.  A guest that forks past it
 * ends its sandbox, not the bastion.
 */
#define RUNSC_PIDS_EXTRA	256

static int64_t
oci_pids(const struct box_runtime *rt, const struct box_profile *p)
{
	return oci_kind(rt) == OCI_RUNSC ? p->pids + RUNSC_PIDS_EXTRA :
	    p->pids;
}

struct oci_user {
	uid_t	 uid;
	gid_t	 gid;
	gid_t	 gids[OCI_MAX_GIDS];
	size_t	 ngids;
};

static json_object *
oci_config(const struct box_runtime *rt, const struct box_spec *spec,
    const char *run_dir, const struct oci_user *u, const char *imgid)
{
	static char tsrc[BOX_TOOLS_N][PATH_MAX], tdst[BOX_TOOLS_N][64];
	const struct box_profile *p = spec->profile;
	const char *names[BOX_TOOLS_N], *caps[BOX_PROFILE_MAX_CAPS];
	const char *env[] = { "PATH=/usr/local/sbin:/usr/local/bin:"
	    "/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL };
	char home[300], host[16], deadline[32], opt[160], tmpopt[160];
	json_object *o, *proc, *user, *capo, *root, *mounts, *linux_, *res,
	    *ns, *ann, *gids, *v;
	size_t i, ncaps = 0;
	int nt, runsc = oci_kind(rt) == OCI_RUNSC;

	snprintf(home, sizeof(home), "HOME=%s", p->workdir[0] ? p->workdir :
	    "/");
	env[2] = home;
	snprintf(host, sizeof(host), "box-%.8s", spec->box_id);
	snprintf(deadline, sizeof(deadline), "%lld",
	    (long long)spec->deadline);
	for (i = 0; i < p->ncap_add && i < BOX_PROFILE_MAX_CAPS; i++) {
		static char capn[BOX_PROFILE_MAX_CAPS][40];

		if (!oci_cap_ok(p->cap_add[i]))
			return NULL;
		snprintf(capn[i], sizeof(capn[i]), "CAP_%s", p->cap_add[i]);
		caps[ncaps++] = capn[i];
	}
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (box_jc_add(o, "ociVersion", json_object_new_string("1.0.2")) < 0 ||
	    box_jc_add(o, "hostname", json_object_new_string(host)) < 0)
		goto fail;
	/* The agent is PID 1, as the profile's user, nothing else. */
	if ((proc = json_object_new_object()) == NULL ||
	    box_jc_add(o, "process", proc) < 0 ||
	    box_jc_add(proc, "terminal", json_object_new_boolean(0)) < 0 ||
	    box_jc_add(proc, "args", j_strv((const char *const[]){
	    BOX_AGENT_TARGET }, 1)) < 0 ||
	    box_jc_add(proc, "env", j_strv(env, 3)) < 0 ||
	    box_jc_add(proc, "cwd", json_object_new_string(p->workdir[0] ?
	    p->workdir : "/")) < 0 ||
	    box_jc_add(proc, "noNewPrivileges",
	    json_object_new_boolean(1)) < 0 ||
	    (user = json_object_new_object()) == NULL ||
	    box_jc_add(proc, "user", user) < 0 ||
	    box_jc_add(user, "uid", json_object_new_int64(u->uid)) < 0 ||
	    box_jc_add(user, "gid", json_object_new_int64(u->gid)) < 0 ||
	    (gids = json_object_new_array()) == NULL ||
	    box_jc_add(user, "additionalGids", gids) < 0)
		goto fail;
	for (i = 0; i < u->ngids; i++)
		if (box_jc_push(gids, json_object_new_int64(u->gids[i])) < 0)
			goto fail;
	if ((capo = json_object_new_object()) == NULL ||
	    box_jc_add(proc, "capabilities", capo) < 0 ||
	    box_jc_add(capo, "bounding", j_strv(caps, ncaps)) < 0 ||
	    box_jc_add(capo, "effective", j_strv(caps, ncaps)) < 0 ||
	    box_jc_add(capo, "permitted", j_strv(caps, ncaps)) < 0)
		goto fail;
	if ((root = json_object_new_object()) == NULL ||
	    box_jc_add(o, "root", root) < 0 ||
	    box_jc_add(root, "path", json_object_new_string("rootfs")) < 0 ||
	    box_jc_add(root, "readonly",
	    json_object_new_boolean(p->read_only)) < 0)
		goto fail;

	if ((mounts = json_object_new_array()) == NULL ||
	    box_jc_add(o, "mounts", mounts) < 0)
		goto fail;
	if (j_mount(mounts, "/proc", "proc", "proc", NULL, 0) < 0 ||
	    j_mount(mounts, "/dev", "tmpfs", "tmpfs", (const char *const[]){
	    "nosuid", "strictatime", "mode=755", "size=65536k" }, 4) < 0 ||
	    j_mount(mounts, "/dev/pts", "devpts", "devpts",
	    (const char *const[]){ "nosuid", "noexec", "newinstance",
	    "ptmxmode=0666", "mode=0620", "gid=5" }, 6) < 0 ||
	    j_mount(mounts, "/dev/mqueue", "mqueue", "mqueue",
	    (const char *const[]){ "nosuid", "noexec", "nodev" }, 3) < 0 ||
	    j_mount(mounts, "/sys", "sysfs", "sysfs", (const char *const[]){
	    "nosuid", "noexec", "nodev", "ro" }, 4) < 0)
		goto fail;
	snprintf(opt, sizeof(opt), "size=%lld", (long long)(p->shm_size > 0 ?
	    p->shm_size : 64 * 1024 * 1024));
	if (j_mount(mounts, "/dev/shm", "tmpfs", "shm", (const char *const[]){
	    "nosuid", "noexec", "nodev", "mode=1777", opt }, 5) < 0)
		goto fail;
	/* The agent, read-only; the run directory where it makes its
	 * socket; the bastion's sftp-server and scp with loader and libc. */
	if (j_mount(mounts, BOX_AGENT_TARGET, "bind", spec->agent_path,
	    (const char *const[]){ "rbind", "ro", "nosuid", "nodev",
	    "rprivate" }, 5) < 0 ||
	    j_mount(mounts, BOX_RUN_TARGET, "bind", run_dir,
	    (const char *const[]){ "rbind", "rw", "nosuid", "nodev", "noexec",
	    "rprivate" }, 6) < 0)
		goto fail;
	nt = box_tools(tsrc, names);
	for (i = 0; i < (size_t)nt; i++) {
		snprintf(tdst[i], sizeof(tdst[i]), "%s/%s", BOX_TOOLS_DIR,
		    names[i]);
		if (j_mount(mounts, tdst[i], "bind", tsrc[i],
		    (const char *const[]){ "rbind", "ro", "nosuid", "nodev",
		    "rprivate" }, 5) < 0)
			goto fail;
	}
	for (i = 0; i < p->ntmpfs && i < BOX_PROFILE_MAX_TMPFS; i++) {
		char uidopt[32], gidopt[32];
		int own = strcmp(p->tmpfs[i], p->workdir) == 0;

		/* The working directory's tmpfs is the guest's, as with
		 * Docker.  One option a string: gVisor takes no other. */
		snprintf(tmpopt, sizeof(tmpopt), "mode=%s", own ? "0755" :
		    "1777");
		snprintf(uidopt, sizeof(uidopt), "uid=%lu", own ?
		    (unsigned long)u->uid : 0UL);
		snprintf(gidopt, sizeof(gidopt), "gid=%lu", own ?
		    (unsigned long)u->gid : 0UL);
		if (p->tmpfs_size > 0)
			snprintf(opt, sizeof(opt), "size=%lld",
			    (long long)p->tmpfs_size);
		else
			snprintf(opt, sizeof(opt), "nr_inodes=0");
		if (j_mount(mounts, p->tmpfs[i], "tmpfs", "tmpfs",
		    (const char *const[]){ "rw", "nosuid", "nodev", "noexec",
		    tmpopt, uidopt, gidopt, opt }, 8) < 0)
			goto fail;
	}

	if ((linux_ = json_object_new_object()) == NULL ||
	    box_jc_add(o, "linux", linux_) < 0 ||
	    (ns = json_object_new_array()) == NULL ||
	    box_jc_add(linux_, "namespaces", ns) < 0)
		goto fail;
	{
		static const char *const nss[] = { "pid", "network", "ipc",
		    "uts", "mount", "cgroup" };

		for (i = 0; i < nitems(nss) - (runsc ? 1 : 0); i++) {
			json_object *n1 = json_object_new_object();

			if (n1 == NULL || box_jc_push(ns, n1) < 0 ||
			    box_jc_add(n1, "type",
			    json_object_new_string(nss[i])) < 0)
				goto fail;
		}
	}
	/* Resources: every device refused but the runtime's defaults. */
	if ((res = json_object_new_object()) == NULL ||
	    box_jc_add(linux_, "resources", res) < 0 ||
	    (v = json_object_new_array()) == NULL ||
	    box_jc_add(res, "devices", v) < 0 ||
	    (ann = json_object_new_object()) == NULL || box_jc_push(v,
	    ann) < 0 ||
	    box_jc_add(ann, "allow", json_object_new_boolean(0)) < 0 ||
	    box_jc_add(ann, "access", json_object_new_string("rwm")) < 0)
		goto fail;
	if (p->memory > 0 && ((v = json_object_new_object()) == NULL ||
	    box_jc_add(res, "memory", v) < 0 ||
	    box_jc_add(v, "limit", json_object_new_int64(p->memory)) < 0 ||
	    box_jc_add(v, "swap", json_object_new_int64(p->memory)) < 0))
		goto fail;
	if (p->pids > 0 && ((v = json_object_new_object()) == NULL ||
	    box_jc_add(res, "pids", v) < 0 ||
	    box_jc_add(v, "limit", json_object_new_int64(oci_pids(rt, p))) < 0))
		goto fail;
	if (p->nano_cpus > 0 && ((v = json_object_new_object()) == NULL ||
	    box_jc_add(res, "cpu", v) < 0 ||
	    box_jc_add(v, "period", json_object_new_int64(100000)) < 0 ||
	    box_jc_add(v, "quota",
	    json_object_new_int64(p->nano_cpus / 10000)) < 0))
		goto fail;
	{
		char cg[128];

		snprintf(cg, sizeof(cg), "/sshbox/%s/%s", spec->instance,
		    spec->box_id);
		if (box_jc_add(linux_, "cgroupsPath",
		    json_object_new_string(cg)) < 0)
			goto fail;
	}
	if (box_jc_add(linux_, "maskedPaths", j_strv((const char *const[]){
	    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
	    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	    "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
	    "/sys/devices/virtual/powercap" }, 11)) < 0 ||
	    box_jc_add(linux_, "readonlyPaths", j_strv((const char *const[]){
	    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	    "/proc/sysrq-trigger" }, 5)) < 0)
		goto fail;
	if (!runsc && box_jc_add(linux_, "seccomp", oci_seccomp()) < 0)
		goto fail;
	if ((ann = json_object_new_object()) == NULL ||
	    box_jc_add(o, "annotations", ann) < 0 ||
	    box_jc_add(ann, BOX_LABEL_BOX,
	    json_object_new_string(spec->box_id)) < 0 ||
	    box_jc_add(ann, BOX_LABEL_INSTANCE,
	    json_object_new_string(spec->instance)) < 0 ||
	    box_jc_add(ann, BOX_LABEL_DEADLINE,
	    json_object_new_string(deadline)) < 0 ||
	    box_jc_add(ann, BOX_LABEL_PROFILE,
	    json_object_new_string(p->name)) < 0 ||
	    box_jc_add(ann, OCI_LABEL_RUNTIME,
	    json_object_new_string(rt->ops->name)) < 0 ||
	    box_jc_add(ann, "io.sshbox.image",
	    json_object_new_string(imgid)) < 0)
		goto fail;
	return o;
 fail:
	json_object_put(o);
	return NULL;
}

/* Read a file of the image without following a link at any step. */
static int
img_read(int rootfd, const char *dir, const char *name, char **out,
    size_t *len)
{
	struct stat st;
	int dfd, fd;
	ssize_t n;

	*out = NULL;
	*len = 0;
	if ((dfd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > OCI_USERDB_MAX ||
	    (*out = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	n = read(fd, *out, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	(*out)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

static int
oci_user(const struct box_profile *p, const char *img, struct oci_user *u,
    struct box_error *err)
{
	char *pw = NULL, *gr = NULL;
	size_t pl = 0, gl = 0;
	int rootfd, rc;

	if ((rootfd = open(img, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return box_error_set(err, BOX_E_CONFIG, errno, "image %s",
		    p->image);
	img_read(rootfd, "etc", "passwd", &pw, &pl);
	img_read(rootfd, "etc", "group", &gr, &gl);
	close(rootfd);
	u->ngids = OCI_MAX_GIDS;
	rc = box_oci_resolve_user(p->user, pw != NULL ? pw : "", pl,
	    gr != NULL ? gr : "", gl, &u->uid, &u->gid, u->gids, &u->ngids,
	    err);
	free(pw);
	free(gr);
	if (rc < 0)
		return box_error_wrap(err, "image %s", p->image);
	return 0;
}

/*
 * The image's unpacked root, root-only: cfg->oci_images/DIR/ID/rootfs,
 * where DIR comes from the reference and ID (the tree's digest) from the
 * root-only file DIR/current, which images/build-*.sh replace last: a
 * rebuilt image is a new directory, and boxes of the old one keep theirs.
 */
static int
oci_image_root(const struct box_runtime *rt, const char *image, char *out,
    size_t outsz, char *id, size_t idsz, struct box_error *err)
{
	char dir[256], cur[PATH_MAX + 300], *buf = NULL;
	size_t len = 0;

	if (box_oci_image_dir(image, dir, sizeof(dir), err) < 0)
		return -1;
	if (strpbrk(rt->cfg->oci_images, ",:\\") != NULL)
		return box_error_set(err, BOX_E_CONFIG, 0, "runtime.oci.images "
		    "must not hold , : or \\");
	snprintf(cur, sizeof(cur), "%s/%s/current", rt->cfg->oci_images, dir);
	if (box_read_root_only(cur, 0, 128, &buf, &len, err) < 0) {
		if (err->kind == BOX_E_NOTFOUND || err->errnum == ENOENT)
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "image %s is "
			    "not in %s (images/build-*.sh puts it there)",
			    image, rt->cfg->oci_images);
		return box_error_wrap(err, "image %s", image);
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	if (len < 12 || len >= idsz || len > 64 ||
	    strspn(buf, "0123456789abcdef") < len) {
		free(buf);
		return box_error_set(err, BOX_E_CONFIG, 0, "image %s: %s does "
		    "not name a version", image, cur);
	}
	memcpy(id, buf, len);
	id[len] = '\0';
	free(buf);
	if ((size_t)snprintf(out, outsz, "%s/%s/%s/rootfs",
	    rt->cfg->oci_images, dir, id) >= outsz)
		return box_error_set(err, BOX_E_CONFIG, 0, "path too long");
	if (box_path_root_only(out, 0, err) < 0)
		return box_error_wrap(err, "image %s", image);
	return 0;
}

/* The directory of this instance's bundles, made when missing. */
static int
oci_inst_dir(const struct box_config *cfg, int create, struct box_error *err)
{
	int top, fd;

	if ((top = box_open_dir_nofollow(OCI_DIR, create, 0700, err)) < 0)
		return -1;
	if (create && fchmod(top, 0700) < 0) {
		close(top);
		return box_error_set(err, BOX_E_RUNTIME, errno, "%s", OCI_DIR);
	}
	if (create && mkdirat(top, cfg->instance, 0700) < 0 &&
	    errno != EEXIST) {
		close(top);
		return box_error_set(err, BOX_E_RUNTIME, errno, "%s/%s",
		    OCI_DIR, cfg->instance);
	}
	fd = openat(top, cfg->instance, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	close(top);
	if (fd < 0)
		return box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_RUNTIME, errno, "%s/%s", OCI_DIR, cfg->instance);
	return fd;
}

static int
oci_instance_dir(const struct box_runtime *rt, int create,
    struct box_error *err)
{
	return oci_inst_dir(rt->cfg, create, err);
}

int
box_oci_count(const struct box_config *cfg, size_t *n, struct box_error *err)
{
	struct dirent *de;
	DIR *d;
	int fd;

	*n = 0;
	if ((fd = oci_inst_dir(cfg, 0, err)) < 0)
		return err->kind == BOX_E_NOTFOUND ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return box_error_set(err, BOX_E_RUNTIME, errno, "%s", OCI_DIR);
	}
	while ((de = readdir(d)) != NULL)
		if (oci_valid_box_id(de->d_name))
			(*n)++;
	closedir(d);
	return 0;
}

int
box_oci_reserve(const struct box_config *cfg, const char *box_id,
    struct box_error *err)
{
	int fd, rc;

	if (!oci_valid_box_id(box_id))
		return box_error_set(err, BOX_E_INPUT, 0, "invalid box id");
	if ((fd = oci_inst_dir(cfg, 1, err)) < 0)
		return -1;
	rc = mkdirat(fd, box_id, 0700);
	close(fd);
	if (rc < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "bundle of box "
		    "%s", box_id);
	return 0;
}

/* The bundle directory of box_id: made here, or reserved (empty) by
 * box-runtime while it counted the boxes. */
int
box_oci_bundle_dir(const struct box_runtime *rt, const char *box_id,
    struct box_error *err)
{
	int idir, rc;

	if ((idir = oci_instance_dir(rt, 1, err)) < 0)
		return -1;
	rc = mkdirat(idir, box_id, 0700);
	if (rc < 0 && errno == EEXIST) {
		int bfd = openat(idir, box_id, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		DIR *bd = bfd >= 0 ? fdopendir(bfd) : NULL;
		struct dirent *de;

		rc = bd != NULL ? 0 : -1;
		while (bd != NULL && (de = readdir(bd)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				rc = -1;
		if (bd != NULL)
			closedir(bd);
		else if (bfd >= 0)
			close(bfd);
		errno = EEXIST;
	}
	close(idir);
	if (rc < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "bundle of box "
		    "%s", box_id);
	return 0;
}

/* The bundle: directories, the overlay root, config.json. */
static int
oci_bundle_make(struct box_runtime *rt, const struct box_spec *spec,
    const char *run_dir, struct box_error *err)
{
	const struct box_profile *p = spec->profile;
	char bundle[PATH_MAX], img[PATH_MAX], opts[3 * PATH_MAX + 64];
	char imgid[80];
	char path[PATH_MAX + 32], layer[PATH_MAX + 16];
	struct oci_user u;
	struct stat st;
	json_object *conf;
	const char *text;
	int fd, rc;
	size_t len;

	if (oci_image_root(rt, p->image, img, sizeof(img), imgid,
	    sizeof(imgid), err) < 0 || oci_user(p, img, &u, err) < 0)
		return -1;
	if (box_oci_bundle_dir(rt, spec->box_id, err) < 0)
		return -1;
	oci_paths(rt, spec->box_id, bundle, sizeof(bundle), NULL, 0);
	snprintf(layer, sizeof(layer), "%s/layer", bundle);
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	if (mkdir(layer, 0700) < 0 || mkdir(path, 0755) < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "%s", bundle);
	/* With a disk limit, the box's writes land in a tmpfs of that size
	 * (memory the box is charged for), so that they stop there. */
	if (p->disk > 0) {
		snprintf(opts, sizeof(opts), "size=%lld,mode=0700",
		    (long long)p->disk);
		if (mount("sshbox-layer", layer, "tmpfs", MS_NOSUID | MS_NODEV,
		    opts) < 0)
			return box_error_set(err, BOX_E_RUNTIME, errno,
			    "disk layer of box %s", spec->box_id);
	}
	/* The upper directory is the box's "/": the image's own mode
	 * (box-runtime's umask is 077). */
	snprintf(opts, sizeof(opts), "%s/upper", layer);
	snprintf(path, sizeof(path), "%s/work", layer);
	if (stat(img, &st) < 0 || mkdir(opts, 0700) < 0 ||
	    chmod(opts, st.st_mode & 07777) < 0 || mkdir(path, 0700) < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "%s", layer);
	if ((size_t)snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/"
	    "upper,workdir=%s/work", img, layer, layer) >= sizeof(opts))
		return box_error_set(err, BOX_E_CONFIG, 0, "path too long");
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	if (mount("sshbox-root", path, "overlay", MS_NODEV, opts) < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "root file "
		    "system of box %s (overlay)", spec->box_id);
	if ((conf = oci_config(rt, spec, run_dir, &u, imgid)) == NULL)
		return box_error_set(err, BOX_E_CONFIG, 0, "box specification "
		    "(a capability the profile adds is unknown?)");
	text = json_object_to_json_string_ext(conf, JSON_C_TO_STRING_PLAIN);
	len = text != NULL ? strlen(text) : 0;
	/* Whole or not at all: a bundle without config.json is a box cut
	 * short, which any driver removes. */
	snprintf(path, sizeof(path), "%s/config.json.new", bundle);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	rc = fd >= 0 && text != NULL && write(fd, text, len) == (ssize_t)len;
	if (fd >= 0 && close(fd) < 0)
		rc = 0;
	json_object_put(conf);
	snprintf(opts, sizeof(opts), "%s/config.json", bundle);
	if (!rc || rename(path, opts) < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "%s", path);
	return 0;
}

int
box_oci_cgroup_path(const char *text, size_t len, const char *controller,
    char *out, size_t outsz, int *v2)
{
	const char *p = text, *end = text + len, *nl, *c1, *c2, *tok;
	const char *v2path = NULL, *v1path = NULL;
	size_t v2len = 0, v1len = 0, n, clen = strlen(controller);

	*v2 = 0;
	if (outsz > 0)
		out[0] = '\0';
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		/* ID:CONTROLLERS:PATH; the path may hold ':' itself. */
		if ((c1 = memchr(p, ':', (size_t)(nl - p))) == NULL ||
		    (c2 = memchr(c1 + 1, ':', (size_t)(nl - c1 - 1))) == NULL)
			continue;
		if (c1 - p == 1 && p[0] == '0' && c2 == c1 + 1) {
			v2path = c2 + 1;
			v2len = (size_t)(nl - c2 - 1);
			continue;
		}
		for (tok = c1 + 1; tok < c2; tok += n + 1) {
			const char *comma = memchr(tok, ',',
			    (size_t)(c2 - tok));

			n = (size_t)((comma != NULL ? comma : c2) - tok);
			if (n == clen && memcmp(tok, controller, n) == 0) {
				v1path = c2 + 1;
				v1len = (size_t)(nl - c2 - 1);
			}
		}
	}
	if (v1path == NULL && v2path == NULL)
		return -1;
	if (v1path == NULL) {
		v1path = v2path;
		v1len = v2len;
		*v2 = 1;
	}
	/* An absolute path with no way up and nothing odd in it. */
	if (v1len == 0 || v1len >= outsz || v1path[0] != '/' ||
	    memchr(v1path, '\0', v1len) != NULL)
		return -1;
	memcpy(out, v1path, v1len);
	out[v1len] = '\0';
	if (strstr(out, "/..") != NULL || strstr(out, "//") != NULL) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * Read the limit file of the box's cgroup for controller: v1
 * /sys/fs/cgroup/CONTROLLER/PATH/FILE, v2 /sys/fs/cgroup/PATH/FILE2.
 * *val is INT64_MAX for "max".  0, or -1 when it cannot be read.
 */
static int
cg_limit(long pid, const char *controller, const char *file,
    const char *file2, int64_t *val)
{
	char path[PATH_MAX], text[4096], cg[1024], buf[64];
	int v2 = 0;
	long long n;
	struct box_error ignore;
	int fd;
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	r = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (r <= 0 || box_oci_cgroup_path(text, (size_t)r, controller, cg,
	    sizeof(cg), &v2) < 0)
		return -1;
	if (v2)
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s/%s", cg, file2);
	else
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s/%s",
		    controller, cg, file);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "max") == 0) {
		*val = INT64_MAX;
		return 0;
	}
	if (box_parse_int(buf, 0, INT64_MAX, &n, &ignore) < 0)
		return -1;
	*val = n;
	return 0;
}

/*
 * Every limit the profile sets is in force on the box's process pid
 * (runsc: its sandbox).  A limit left out is the box refused.
 */
static int
oci_check_limits(struct box_runtime *rt, const struct box_profile *p,
    long pid, struct box_error *err)
{
	int64_t v;

	if (p->memory > 0 && (cg_limit(pid, "memory", "memory.limit_in_bytes",
	    "memory.max", &v) < 0 || v > p->memory))
		return box_error_set(err, BOX_E_RUNTIME, 0, "runtime %s did "
		    "not apply the profile's memory limit here: box refused",
		    rt->ops->name);
	if (p->pids > 0 && (cg_limit(pid, "pids", "pids.max", "pids.max",
	    &v) < 0 || v > oci_pids(rt, p)))
		return box_error_set(err, BOX_E_RUNTIME, 0, "runtime %s did "
		    "not apply the profile's process limit here: box refused",
		    rt->ops->name);
	return 0;
}

/* ------------------------------------------------------- operations */

static int oci_destroy(struct box_runtime *, const char *, const char *,
    struct box_error *);

/* Remove whatever a create left of box_id: container, mounts, bundle. */
static void
oci_undo(struct box_runtime *rt, const char *box_id)
{
	char id[32];
	const char *args[] = { "delete", "--force", id, NULL };
	struct box_error ignore;

	snprintf(id, sizeof(id), "sshbox-%s", box_id);
	oci_exec(rt, NULL, args, NULL, NULL, &ignore);
	oci_bundle_remove(rt, box_id);
	box_rundir_remove(rt->cfg->instance, box_id);
}

static int
oci_create(struct box_runtime *rt, const struct box_spec *spec, char *ref,
    size_t refsz, struct box_error *err)
{
	char bundle[PATH_MAX], run_dir[PATH_MAX], id[32];
	const char *args[] = { "run", "--detach", "--bundle", bundle, id,
	    NULL };
	int dfd = -1, exists, running, paused;
	long pid;

	if (refsz > 0)
		ref[0] = '\0';
	if (spec == NULL || spec->profile == NULL ||
	    !oci_valid_box_id(spec->box_id) || spec->instance == NULL ||
	    !box_valid_name(spec->instance, 32) || rt->cfg == NULL ||
	    strcmp(spec->instance, rt->cfg->instance) != 0)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid box specification");
	if (spec->agent_path == NULL || spec->agent_path[0] != '/')
		return box_error_set(err, BOX_E_CONFIG, 0, "box-agent is not "
		    "installed beside box-runtime or in %s", LIBEXECDIR);
	if (strcmp(spec->profile->network[0] ? spec->profile->network :
	    "none", "none") != 0) {
		box_error_set(err, BOX_E_RUNTIME, 0, "profile %s: runtime %s "
		    "gives boxes no network (network: none); network %.40s "
		    "needs the docker runtime", spec->profile->name,
		    rt->ops->name, spec->profile->network);
		oci_bundle_remove(rt, spec->box_id);	/* reserved */
		return -1;
	}
	if (oci_bin(rt, bundle, sizeof(bundle), err) < 0) {
		oci_bundle_remove(rt, spec->box_id);
		return -1;
	}
	snprintf(id, sizeof(id), "sshbox-%s", spec->box_id);
	oci_paths(rt, spec->box_id, bundle, sizeof(bundle), NULL, 0);
	if ((dfd = box_rundir_make(spec->instance, spec->box_id, run_dir,
	    sizeof(run_dir), err)) < 0) {
		oci_bundle_remove(rt, spec->box_id);	/* reserved */
		return box_error_wrap(err, "cannot create box");
	}
	if (oci_bundle_make(rt, spec, run_dir, err) < 0 ||
	    oci_do(rt, bundle, "cannot start box", args, err) < 0 ||
	    box_rundir_ready(dfd, (int)oci_timeout_ms(rt), err) < 0 ||
	    oci_state(rt, spec->box_id, &exists, &running, &paused, &pid,
	    err) < 0)
		goto fail;
	if (!running) {
		char msg[300];

		oci_last_log(bundle, msg, sizeof(msg));
		box_error_set(err, BOX_E_RUNTIME, 0, "the box stopped as it "
		    "started%s%s", msg[0] ? ": " : "", msg);
		goto fail;
	}
	if (oci_check_limits(rt, spec->profile, pid, err) < 0)
		goto fail;
	close(dfd);
	snprintf(ref, refsz, "%s", id);
	return 0;
 fail:
	close(dfd);
	oci_undo(rt, spec->box_id);
	return -1;
}

/* A stored reference is only ever sshbox-BOXID of the same box. */
static int
oci_check_ref(const char *box_id, const char *ref, struct box_error *err)
{
	char want[32];

	if (ref == NULL || *ref == '\0' || strcmp(ref, "-") == 0)
		return 0;
	snprintf(want, sizeof(want), "sshbox-%s", box_id);
	if (strcmp(ref, want) != 0)
		return box_error_set(err, BOX_E_DENIED, 0, "reference %.70s is "
		    "not box %s's: left alone", ref, box_id);
	return 0;
}

static int
oci_destroy(struct box_runtime *rt, const char *box_id, const char *ref,
    struct box_error *err)
{
	struct box_runtime_obj obj;
	char id[32], bundle[PATH_MAX];
	const char *args[] = { "delete", "--force", id, NULL };
	int exists;

	if (!oci_valid_box_id(box_id))
		return box_error_set(err, BOX_E_INPUT, 0, "invalid box id");
	if (oci_check_ref(box_id, ref, err) < 0 ||
	    oci_find(rt, box_id, &exists, &obj, NULL, err) < 0)
		return -1;
	/* No bundle: not an OCI box (its run directory, if any, is
	 * another runtime's to remove). */
	if (!exists)
		return 0;
	snprintf(id, sizeof(id), "sshbox-%s", box_id);
	oci_paths(rt, box_id, bundle, sizeof(bundle), NULL, 0);
	if (oci_do(rt, bundle, "cannot remove box", args, err) < 0) {
		int e, r, p;
		long pid;

		/* Gone already (a reboot, a runtime that lost it) is
		 * success; a box still there is not. */
		if (oci_state(rt, box_id, &e, &r, &p, &pid, err) < 0 || e)
			return -1;
	}
	if (oci_bundle_remove(rt, box_id) < 0)
		return box_error_set(err, BOX_E_RUNTIME, 0, "cannot remove the "
		    "bundle of box %s", box_id);
	box_rundir_remove(rt->cfg->instance, box_id);
	return 0;
}

static int
oci_describe(struct box_runtime *rt, const char *ref, int *exists,
    struct box_runtime_obj *obj, struct box_error *err)
{
	*exists = 0;
	memset(obj, 0, sizeof(*obj));
	if (ref == NULL || strncmp(ref, "sshbox-", 7) != 0 ||
	    !oci_valid_box_id(ref + 7))
		return box_error_set(err, BOX_E_INPUT, 0, "invalid box "
		    "reference");
	return oci_find(rt, ref + 7, exists, obj, NULL, err);
}

static int
oci_inspect(struct box_runtime *rt, const char *ref, int *exists,
    int *running, struct box_error *err)
{
	struct box_runtime_obj obj;

	if (oci_describe(rt, ref, exists, &obj, err) < 0)
		return -1;
	*running = *exists && obj.running;
	return 0;
}

/*
 * runsc: the host end of the agent's socket is the sandbox's gofer, a
 * root process running the runsc binary for this bundle.  Found in /proc:
 * uid 0, /proc/PID/exe the runtime, "gofer" and "--bundle BUNDLE" in its
 * arguments (no other account can start a root process, and the bundle
 * path is this box's alone).
 */
static long
runsc_gofer(struct box_runtime *rt, const char *bundle)
{
	char bin[PATH_MAX], path[300], exe[PATH_MAX], args[8192];
	struct dirent *de;
	struct stat st;
	long found = 0;
	DIR *d;
	struct box_error ignore;

	if (oci_bin(rt, bin, sizeof(bin), &ignore) < 0 ||
	    (d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *a, *e, *prev = NULL;
		int gofer = 0, ours = 0, fd;
		ssize_t n;

		if (strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s", de->d_name);
		if (stat(path, &st) < 0 || st.st_uid != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
		if ((n = readlink(path, exe, sizeof(exe) - 1)) <= 0)
			continue;
		exe[n] = '\0';
		if (strcmp(exe, bin) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, args, sizeof(args) - 1);
		close(fd);
		if (n <= 0)
			continue;
		args[n] = '\0';
		for (a = args, e = args + n; a < e; a += strlen(a) + 1) {
			if (strcmp(a, "gofer") == 0)
				gofer = 1;
			if (prev != NULL && strcmp(prev, "--bundle") == 0 &&
			    strcmp(a, bundle) == 0)
				ours = 1;
			prev = a;
		}
		if (gofer && ours) {
			found = strtol(de->d_name, NULL, 10);
			break;
		}
	}
	closedir(d);
	return found;
}

static int
oci_agent(struct box_runtime *rt, const char *box_id, const char *ref,
    struct box_agent_where *w, struct box_error *err)
{
	struct box_runtime_obj obj;
	int exists;

	w->dirfd = w->fd = -1;
	if (oci_check_ref(box_id, ref, err) < 0 ||
	    oci_find(rt, box_id, &exists, &obj, NULL, err) < 0)
		return -1;
	if (!exists || !obj.running)
		return box_error_set(err, BOX_E_NOTFOUND, 0,
		    "box %s is not running", box_id);
	w->pid = obj.pid;
	if (oci_kind(rt) == OCI_RUNSC) {
		char bundle[PATH_MAX];

		oci_paths(rt, box_id, bundle, sizeof(bundle), NULL, 0);
		if ((w->pid = runsc_gofer(rt, bundle)) <= 0)
			return box_error_set(err, BOX_E_RUNTIME, 0, "the "
			    "sandbox of box %s has no gofer", box_id);
	}
	if ((w->dirfd = box_rundir_open(rt->cfg->instance, box_id, err)) < 0)
		return -1;
	snprintf(w->name, sizeof(w->name), "%s", BOX_AGENT_SOCKET);
	return 0;
}

static int
oci_pause(struct box_runtime *rt, const char *box_id, const char *ref,
    int on, struct box_error *err)
{
	struct box_runtime_obj obj;
	char id[32], bundle[PATH_MAX];
	const char *args[] = { on ? "pause" : "resume", id, NULL };
	int exists, paused;

	if (oci_check_ref(box_id, ref, err) < 0 ||
	    oci_find(rt, box_id, &exists, &obj, &paused, err) < 0)
		return -1;
	if (!exists || !obj.running)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "box %s is gone",
		    box_id);
	if (paused == on)
		return 0;
	snprintf(id, sizeof(id), "sshbox-%s", box_id);
	oci_paths(rt, box_id, bundle, sizeof(bundle), NULL, 0);
	return oci_do(rt, bundle, on ? "cannot pause box" :
	    "cannot unpause box", args, err);
}

/* The image version a box was made from: its io.sshbox.image label. */
static int
oci_box_image(const struct box_runtime *rt, const char *box_id, char *out,
    size_t outsz, struct box_error *err)
{
	char path[PATH_MAX], *buf = NULL;
	json_object *o, *ann, *v;
	size_t len;
	int rc = -1;

	oci_paths(rt, box_id, path, sizeof(path), NULL, 0);
	if (strlen(path) + 13 >= sizeof(path))
		return box_error_set(err, BOX_E_INTERNAL, 0, "path too long");
	strcat(path, "/config.json");
	if (box_read_file(path, OCI_CONF_MAX, &buf, &len, err) < 0)
		return -1;
	if ((o = oci_json(buf, len, err)) != NULL) {
		if (json_object_object_get_ex(o, "annotations", &ann) &&
		    json_object_object_get_ex(ann, "io.sshbox.image", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    (size_t)json_object_get_string_len(v) < outsz &&
		    strlen(json_object_get_string(v)) ==
		    (size_t)json_object_get_string_len(v)) {
			snprintf(out, outsz, "%s", json_object_get_string(v));
			rc = 0;
		} else {
			box_error_set(err, BOX_E_RUNTIME, 0, "bundle of box %s "
			    "names no image", box_id);
		}
		json_object_put(o);
	}
	free(buf);
	return rc;
}

static int
oci_fresh(struct box_runtime *rt, const char *box_id, const char *ref,
    const char *profile, const char *image, int *fresh,
    struct box_error *err)
{
	struct box_runtime_obj obj;
	char root[PATH_MAX], want[80], have[80];
	struct box_error e2;
	int exists;

	(void)profile;
	*fresh = 0;
	if (oci_check_ref(box_id, ref, err) < 0 ||
	    oci_find(rt, box_id, &exists, &obj, NULL, err) < 0)
		return -1;
	if (!exists)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "box %s is gone",
		    box_id);
	if (oci_box_image(rt, box_id, have, sizeof(have), err) < 0)
		return -1;
	/* An image no longer in the store: not fresh. */
	if (oci_image_root(rt, image, root, sizeof(root), want, sizeof(want),
	    &e2) < 0)
		return 0;
	*fresh = strcmp(have, want) == 0;
	return 0;
}

static int
oci_image_present(struct box_runtime *rt, const char *image, int *present,
    struct box_error *err)
{
	char img[PATH_MAX], id[80];
	struct box_error e2;

	*present = 0;
	if (box_oci_image_dir(image, img, sizeof(img), err) < 0)
		return -1;
	*present = oci_image_root(rt, image, img, sizeof(img), id, sizeof(id),
	    &e2) == 0;
	return 0;
}

static int
oci_list(struct box_runtime *rt, const char *instance,
    struct box_runtime_obj **objs, size_t *nobjs, struct box_error *err)
{
	struct box_runtime_obj *v = NULL, *nv, obj;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct box_error e2;
	char runtime[16];
	int fd, exists;
	DIR *d;

	*objs = NULL;
	*nobjs = 0;
	if (rt->cfg == NULL || strcmp(instance, rt->cfg->instance) != 0)
		return box_error_set(err, BOX_E_INPUT, 0, "another instance");
	if ((fd = oci_instance_dir(rt, 0, err)) < 0)
		return err->kind == BOX_E_NOTFOUND ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return box_error_set(err, BOX_E_RUNTIME, errno, "%s", OCI_DIR);
	}
	while ((de = readdir(d)) != NULL) {
		if (!oci_valid_box_id(de->d_name))
			continue;
		/* Made by another runtime: that driver lists it. */
		if (oci_labels(rt, de->d_name, &obj, runtime,
		    sizeof(runtime), &e2) == 0 &&
		    strcmp(runtime, rt->ops->name) != 0)
			continue;
		if (oci_find(rt, de->d_name, &exists, &obj, NULL, &e2) < 0) {
			/* Labels that do not parse: still this instance's
			 * (its directory), listed so that it is removed. */
			if (e2.kind == BOX_E_DENIED)
				continue;
			memset(&obj, 0, sizeof(obj));
			snprintf(obj.box_id, sizeof(obj.box_id), "%.16s",
			    de->d_name);
			snprintf(obj.instance, sizeof(obj.instance), "%.32s",
			    instance);
			snprintf(obj.ref, sizeof(obj.ref), "sshbox-%.16s",
			    de->d_name);
		} else if (!exists) {
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (cap > 100000 ||
			    (nv = realloc(v, cap * sizeof(*v))) == NULL) {
				closedir(d);
				free(v);
				return box_error_set(err, BOX_E_INTERNAL,
				    ENOMEM, "list");
			}
			v = nv;
		}
		v[n++] = obj;
	}
	closedir(d);
	*objs = v;
	*nobjs = n;
	return 0;
}

static void
oci_free(struct box_runtime *rt)
{
	(void)rt;
}

#define OCI_OPS(NAME) {							\
	.name = NAME,							\
	.create = oci_create,						\
	.destroy = oci_destroy,						\
	.inspect = oci_inspect,						\
	.describe = oci_describe,					\
	.agent = oci_agent,						\
	.pause = oci_pause,						\
	.image_present = oci_image_present,				\
	.fresh = oci_fresh,						\
	.list = oci_list,						\
	.free = oci_free,						\
}

const struct box_runtime_ops box_runc_ops = OCI_OPS("runc");
const struct box_runtime_ops box_crun_ops = OCI_OPS("crun");
const struct box_runtime_ops box_runsc_ops = OCI_OPS("runsc");

/* ------------------------------------------- shared with microvm.c */

void
box_oci_bundle_path(const struct box_runtime *rt, const char *box_id,
    char *out, size_t outsz)
{
	oci_paths(rt, box_id, out, outsz, NULL, 0);
}

int
box_oci_bundle_labels(const struct box_runtime *rt, const char *box_id,
    struct box_runtime_obj *obj, char *runtime, size_t runtimesz,
    struct box_error *err)
{
	return oci_labels(rt, box_id, obj, runtime, runtimesz, err);
}

int
box_oci_rm_tree(const char *path)
{
	return oci_rm_tree(path);
}

int
box_oci_image_root(const struct box_runtime *rt, const char *image,
    char *out, size_t outsz, char *id, size_t idsz, struct box_error *err)
{
	return oci_image_root(rt, image, out, outsz, id, idsz, err);
}

int
box_oci_image_user(const struct box_profile *p, const char *img, uid_t *uid,
    gid_t *gid, gid_t *gids, size_t *ngids, struct box_error *err)
{
	struct oci_user u;
	size_t i;

	if (oci_user(p, img, &u, err) < 0)
		return -1;
	*uid = u.uid;
	*gid = u.gid;
	for (i = 0; i < u.ngids && i < *ngids; i++)
		gids[i] = u.gids[i];
	*ngids = i;
	return 0;
}

int
box_oci_check_ref(const char *box_id, const char *ref, struct box_error *err)
{
	return oci_check_ref(box_id, ref, err);
}

int
box_oci_box_image(const struct box_runtime *rt, const char *box_id,
    char *out, size_t outsz, struct box_error *err)
{
	return oci_box_image(rt, box_id, out, outsz, err);
}

long
box_oci_timeout_ms(const struct box_runtime *rt)
{
	return oci_timeout_ms(rt);
}
