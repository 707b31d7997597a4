/*
 * Fuzz target: the OCI driver's readers (runtime/oci.h).  The first byte
 * picks one: 0 an image reference, 1 a "RUNTIME state" reply, 2 a line
 * of a runtime's log, 3 a bundle's config.json, 4 an image's user
 * database as USER NUL PASSWD NUL GROUP.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "core/util.h"
#include "runtime/oci.h"

/* Whether s[0..n) is UTF-8 (no overlong forms, surrogates or > 10FFFF). */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	unsigned long cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			need = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			need = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			need = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (n - i - 1 < need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 ||
		    (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += need + 1;
	}
	return 1;
}

static void
fuzz_image(const char *data, size_t size)
{
	char *ref, out[256];
	struct box_error err;
	size_t i, n;

	/* A string: up to the first NUL, in a buffer of its own size. */
	n = strnlen(data, size);
	if ((ref = malloc(n + 1)) == NULL)
		return;
	memcpy(ref, data, n);
	ref[n] = '\0';
	if (box_oci_image_dir(ref, out, sizeof(out), &err) == 0) {
		/* NAME/TAG: no empty component, none . or .., no ':' */
		n = strlen(out);
		if (n == 0 || n >= sizeof(out) || out[0] == '/' ||
		    out[n - 1] == '/' || strstr(out, "//") != NULL ||
		    strchr(out, ':') != NULL || strchr(out, '/') == NULL)
			abort();
		for (i = 0; i < n; i++)
			if ((i == 0 || out[i - 1] == '/') &&
			    (out[i] == '.' || out[i] == '-'))
				abort();
	}
	free(ref);
}

static void
fuzz_state(const char *json, size_t size)
{
	struct box_error err;
	int running, paused;
	long pid;

	if (box_oci_parse_state(json, size, &running, &paused, &pid,
	    &err) == 0) {
		if (running != 0 && running != 1)
			abort();
		if (running ? pid < 1 || pid > 4194304 : pid != 0 || paused)
			abort();
	} else if (running != 0 || paused != 0 || pid != 0)
		abort();
}

static void
fuzz_log(const char *line, size_t size)
{
	static const size_t sizes[] = { 1, 2, 5, 64, 4096 };
	char out[4096 + 1];
	size_t i, j, n;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		out[sizes[i]] = 'Z';
		box_oci_parse_log(line, size, out, sizes[i]);
		n = strlen(out);
		if (n >= sizes[i] || out[sizes[i]] != 'Z')
			abort();
		for (j = 0; j < n; j++)
			if ((unsigned char)out[j] < 0x20 ||
			    (unsigned char)out[j] == 0x7f)
				abort();
		/* UTF-8 with no escape in it stays UTF-8 when cut. */
		if (memchr(line, '\\', size) == NULL &&
		    utf8_ok((const unsigned char *)line, size) &&
		    !utf8_ok((const unsigned char *)out, n))
			abort();
	}
}

static void
fuzz_labels(const char *json, size_t size)
{
	static const struct box_runtime_obj zero;
	struct box_runtime_obj obj;
	struct box_error err;
	char rt[8];
	size_t i;

	if (box_oci_parse_labels(json, size, &obj, rt, sizeof(rt),
	    &err) == 0) {
		if (strlen(obj.box_id) != BOX_ID_LEN ||
		    strspn(obj.box_id, "0123456789abcdef") != BOX_ID_LEN ||
		    !box_valid_name(obj.instance, 32) ||
		    !box_valid_name(obj.profile, 32) || obj.deadline < 0 ||
		    (strcmp(rt, "runc") != 0 && strcmp(rt, "crun") != 0 &&
		    strcmp(rt, "runsc") != 0))
			abort();
	} else {
		for (i = 0; i < sizeof(obj); i++)
			if (((const char *)&obj)[i] != ((const char *)&zero)[i])
				abort();
	}
}

static void
fuzz_user(const char *data, size_t size)
{
	const char *nul, *pw, *gr;
	char *user, *pwc, *grc;
	size_t ul, pl, gl, ngids = 4, i;
	gid_t gids[4 + 1];
	struct box_error err;
	uid_t uid;
	gid_t gid;

	/* USER NUL PASSWD NUL GROUP, each in a buffer of its own size. */
	nul = memchr(data, '\0', size);
	ul = nul != NULL ? (size_t)(nul - data) : size;
	pw = nul != NULL ? nul + 1 : data + size;
	nul = memchr(pw, '\0', (size_t)(data + size - pw));
	pl = nul != NULL ? (size_t)(nul - pw) : (size_t)(data + size - pw);
	gr = nul != NULL ? nul + 1 : data + size;
	gl = (size_t)(data + size - gr);
	user = malloc(ul + 1);
	pwc = malloc(pl == 0 ? 1 : pl);
	grc = malloc(gl == 0 ? 1 : gl);
	if (user == NULL || pwc == NULL || grc == NULL)
		goto out;
	memcpy(user, data, ul);
	user[ul] = '\0';
	memcpy(pwc, pw, pl);
	memcpy(grc, gr, gl);
	gids[4] = 12345;
	if (box_oci_resolve_user(user, pwc, pl, grc, gl, &uid, &gid, gids,
	    &ngids, &err) == 0) {
		if (ngids > 4 || gids[4] != 12345 || uid == (uid_t)-1 ||
		    gid == (gid_t)-1)
			abort();
		for (i = 0; i < ngids; i++)
			if (gids[i] == gid || gids[i] == (gid_t)-1)
				abort();
	} else if (ngids != 0)
		abort();
 out:
	free(user);
	free(pwc);
	free(grc);
}

/* /proc/PID/cgroup text: the path found is absolute, bounded, no way up. */
static void
fuzz_cgroup(const char *data, size_t size)
{
	static const char *const ctl[] = { "memory", "pids", "cpu" };
	char out[64];
	size_t i;
	int v2;

	for (i = 0; i < sizeof(ctl) / sizeof(ctl[0]); i++) {
		if (box_oci_cgroup_path(data, size, ctl[i], out, sizeof(out),
		    &v2) < 0)
			continue;
		if (out[0] != '/' || strlen(out) >= sizeof(out) ||
		    strstr(out, "/..") != NULL || (v2 != 0 && v2 != 1))
			abort();
	}
}

FUZZ_ENTRY(oci)
{
	char *copy;

	if (size == 0)
		return 0;
	/* An exact-size copy so that overreads are caught. */
	if ((copy = malloc(size - 1 == 0 ? 1 : size - 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	switch (data[0] % 6) {
	case 0:
		fuzz_image(copy, size - 1);
		break;
	case 1:
		fuzz_state(copy, size - 1);
		break;
	case 2:
		fuzz_log(copy, size - 1);
		break;
	case 3:
		fuzz_labels(copy, size - 1);
		break;
	case 5:
		fuzz_cgroup(copy, size - 1);
		break;
	default:
		fuzz_user(copy, size - 1);
		break;
	}
	free(copy);
	return 0;
}
