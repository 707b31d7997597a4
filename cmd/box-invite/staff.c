/*
 * box-invite's staff certificates: the CA (ca init), signing a staff
 * member's key (cert), revoking a certificate (cert revoke) and listing
 * them (cert list).
 *
 * What needs root happens first, as root, in root's own places: the CA's
 * private key is read only by ssh-keygen, run with an argument vector (no
 * shell) in a private directory root made; the revocation list (sshd's
 * RevokedKeys) and the serials it is made from live beside the CA, where
 * only root writes.  Then, as the box account, the state records the
 * serial (box-authkeys --principals lets in no certificate it does not
 * know) and the audit says who did what.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "box/box.h"
#include "auth/sshkey.h"
#include "core/log.h"
#include "core/spawn.h"
#include "core/util.h"
#include "cli.h"
#include "staff.h"

#define DEFAULT_CERT_TTL	(8 * 3600)
/* By its path: root's PATH (sudo -E, a "." in it) must not pick it. */
#ifndef SSH_KEYGEN_PATH
#define SSH_KEYGEN_PATH		"/usr/bin/ssh-keygen"
#endif

/* Run ssh-keygen with argv, its output to our stderr; 0 when it exits 0. */
static int
keygen(char *const argv[], struct box_error *err)
{
	char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	struct box_spawn sp;

	memset(&sp, 0, sizeof(sp));
	sp.path = SSH_KEYGEN_PATH;
	sp.argv = argv;
	sp.envp = envp;
	sp.fds[0] = -1;
	sp.fds[1] = sp.fds[2] = 2;
	if (box_spawn_run(&sp, err) < 0)
		return box_error_wrap(err, "%s (its message, if any, is above)",
		    SSH_KEYGEN_PATH);
	return 0;
}

/* The spec of every revoked serial, beside the revocation list. */
static void
spec_path(const struct box_config *cfg, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s.serials", cfg->staff_krl);
}

/*
 * The revocation list sshd reads, made again from the spec (empty when
 * there is none yet) and put in place whole (a new file renamed over the
 * old): sshd refuses every key when the file it names cannot be read.
 */
static int
write_krl(const struct box_config *cfg, const char *spec,
    struct box_error *err)
{
	char tmp[PATH_MAX + 8], capub[PATH_MAX + 8];
	struct stat st;
	int have_spec;

	snprintf(tmp, sizeof(tmp), "%s.new", cfg->staff_krl);
	snprintf(capub, sizeof(capub), "%s.pub", cfg->staff_ca);
	have_spec = spec != NULL && lstat(spec, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size > 0;
	if (unlink(tmp) < 0 && errno != ENOENT)
		return box_error_set(err, BOX_E_CONFIG, errno, "%s", tmp);
	if (have_spec) {
		char *const argv[] = { "ssh-keygen", "-q", "-k", "-f", tmp,
		    "-s", capub, (char *)spec, NULL };

		if (keygen(argv, err) < 0)
			return -1;
	} else {
		char *const argv[] = { "ssh-keygen", "-q", "-k", "-f", tmp,
		    NULL };

		if (keygen(argv, err) < 0)
			return -1;
	}
	if (chmod(tmp, 0644) < 0 || rename(tmp, cfg->staff_krl) < 0) {
		box_error_set(err, BOX_E_CONFIG, errno, "%s", cfg->staff_krl);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
staff_krl_ensure(const struct box_config *cfg, int *made,
    struct box_error *err)
{
	char spec[PATH_MAX + 16];
	struct stat st;

	*made = 0;
	if (lstat(cfg->staff_krl, &st) == 0) {
		if (!S_ISREG(st.st_mode) || st.st_uid != 0)
			return box_error_set(err, BOX_E_CONFIG, 0, "%s is not "
			    "a plain file of root's", cfg->staff_krl);
		return 0;
	}
	if (errno != ENOENT)
		return box_error_set(err, BOX_E_CONFIG, errno, "%s",
		    cfg->staff_krl);
	*made = 1;
	spec_path(cfg, spec, sizeof(spec));
	return write_krl(cfg, spec, err);
}

/* The directory of path must be root's and closed to others. */
static int
root_dir_of(const char *path, struct box_error *err)
{
	char dir[PATH_MAX], *slash;
	struct stat st;
	int fd;

	box_strlcpy(dir, path, sizeof(dir));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return box_error_set(err, BOX_E_CONFIG, 0, "%s: an absolute "
		    "path in a directory of root's is needed", path);
	*slash = '\0';
	if ((fd = box_open_dir_nofollow(dir, 1, 0755, err)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
		close(fd);
		return box_error_set(err, BOX_E_CONFIG, 0, "%s must be root's "
		    "and not group- or world-writable", dir);
	}
	close(fd);
	return 0;
}

/* ---------------------------------------------------------------- ca init */

static int
ca_init(const struct box_config *cfg, int json)
{
	char pub[PATH_MAX + 8];
	struct box_error err;
	struct stat st;
	int made_ca = 0, made_krl = 0;

	if (geteuid() != 0)
		return die(1, "ca init: run as root");
	if (root_dir_of(cfg->staff_ca, &err) < 0 ||
	    root_dir_of(cfg->staff_krl, &err) < 0)
		return die(1, "ca init: %s", err.msg);
	snprintf(pub, sizeof(pub), "%s.pub", cfg->staff_ca);
	if (lstat(cfg->staff_ca, &st) < 0) {
		char *const argv[] = { "ssh-keygen", "-q", "-t", "ed25519",
		    "-N", "", "-C", "sshbox staff CA", "-f",
		    (char *)cfg->staff_ca, NULL };

		if (errno != ENOENT)
			return die(1, "ca init: %s: %s", cfg->staff_ca,
			    strerror(errno));
		umask(077);
		if (keygen(argv, &err) < 0)
			return die(1, "ca init: %s", err.msg);
		if (chmod(pub, 0644) < 0)
			return die(1, "ca init: %s: %s", pub, strerror(errno));
		made_ca = 1;
	} else if (!S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 077) != 0) {
		return die(1, "ca init: %s must be a file of root's, mode 0600",
		    cfg->staff_ca);
	}
	if (staff_krl_ensure(cfg, &made_krl, &err) < 0)
		return die(1, "ca init: %s", err.msg);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "ca_key",
		    json_object_new_string(cfg->staff_ca));
		json_object_object_add(o, "ca_created",
		    json_object_new_boolean(made_ca));
		json_object_object_add(o, "trusted_user_ca_keys",
		    json_object_new_string(pub));
		json_object_object_add(o, "revoked_keys",
		    json_object_new_string(cfg->staff_krl));
		print_json(o);
		return 0;
	}
	printf("staff CA: %s%s\nsshd's TrustedUserCAKeys: %s\n"
	    "sshd's RevokedKeys: %s%s\n"
	    "The sshbox drop-in names both; sign a staff member's key with\n"
	    "  box-invite cert --principal NAME --groups GROUP --ttl 8h KEY.pub\n",
	    cfg->staff_ca, made_ca ? " (created)" : " (already there)", pub,
	    cfg->staff_krl, made_krl ? " (created, empty)" : "");
	return 0;
}

/* ------------------------------------------------------------------ sign */

/* A principal: a user name, [a-z_][a-z0-9._-], at most 32. */
static int
principal_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 32 && ((s[0] >= 'a' && s[0] <= 'z') ||
	    s[0] == '_') && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789"
	    "._-") == n;
}

/* --groups a,b: each a group of the policy, once. */
static int
groups_ok(const struct box_config *cfg, const char *list, char *out,
    size_t outsz)
{
	char buf[256], *tok, *save;
	size_t n = 0;

	if (strlen(list) >= sizeof(buf) || strlen(list) >= outsz)
		return die(2, "--groups: too long");
	box_strlcpy(buf, list, sizeof(buf));
	out[0] = '\0';
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save), n++) {
		char look[40];

		if (box_config_group(cfg, tok) == NULL)
			return die(2, "--groups: the policy has no group "
			    "\"%.40s\" (policy.groups in %s)", tok, cfg->path);
		snprintf(look, sizeof(look), ",%s,", tok);
		{
			char have[260];

			snprintf(have, sizeof(have), ",%s,", out);
			if (strstr(have, look) != NULL)
				return die(2, "--groups: %s twice", tok);
		}
		if (out[0] != '\0')
			strncat(out, ",", outsz - strlen(out) - 1);
		strncat(out, tok, outsz - strlen(out) - 1);
	}
	return 0;
}

/* What the root part of cert hands to the box account's part. */
static struct box_cert signed_cert;
static char signed_text[BOX_SSHKEY_TYPE_MAX + BOX_SSHKEY_B64_MAX + 64];

static int
cert_sign(const struct box_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "principal", required_argument, NULL, 'p' },
		{ "groups", required_argument, NULL, 'g' },
		{ "ttl", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *principal = NULL, *groups = "";
	char dir[] = "/tmp/sshbox-cert.XXXXXX", key[64], certp[64], id[200];
	char serial_s[24], hex[17], validity[64], *text = NULL, *sp, *nl;
	char ttlbuf[32], most[32];
	struct box_sshcert cert;
	struct box_sshkey k;
	struct box_error err;
	int64_t ttl = DEFAULT_CERT_TTL;
	uint64_t serial;
	size_t len;
	int ch, fd, rc = 1;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': principal = optarg; break;
		case 'g': groups = optarg; break;
		case 't':
			if (box_parse_duration(optarg, &ttl, &err) < 0 ||
			    ttl <= 0)
				return die(2, "--ttl: %s", ttl <= 0 ? "must be "
				    "more than 0s" : err.msg);
			break;
		case 'j': break;
		default:
			return die(2, "usage: box-invite cert --principal NAME "
			    "[--groups G,...] [--ttl DURATION] KEY.pub");
		}
	}
	if (optind + 1 != argc || principal == NULL)
		return die(2, "usage: box-invite cert --principal NAME "
		    "[--groups G,...] [--ttl DURATION] KEY.pub");
	if (!principal_ok(principal))
		return die(2, "--principal: a user name of a-z, 0-9, ., _ "
		    "and -, at most 32, starting with a letter or _");
	if (groups_ok(cfg, groups, signed_cert.groups,
	    sizeof(signed_cert.groups)) != 0)
		return 2;
	if (ttl > cfg->staff_max_cert_ttl)
		return die(2, "--ttl %s is more than staff.max_cert_ttl (%s)",
		    box_format_duration(ttl, ttlbuf, sizeof(ttlbuf)),
		    box_format_duration(cfg->staff_max_cert_ttl, most,
		    sizeof(most)));
	if (geteuid() != 0)
		return die(1, "cert: run as root (the CA's key is root's)");
	if (access(cfg->staff_ca, F_OK) < 0)
		return die(1, "cert: no staff CA at %s: run box-invite ca init "
		    "first", cfg->staff_ca);
	/* The key, read and checked: a plain public key, no certificate. */
	if (box_read_file(argv[optind], 16384, &text, &len, &err) < 0)
		return die(1, "%s", err.msg);
	text[strcspn(text, "\n")] = '\0';
	if ((sp = strchr(text, ' ')) == NULL) {
		free(text);
		return die(1, "%s: not an OpenSSH public key", argv[optind]);
	}
	*sp++ = '\0';
	if ((nl = strchr(sp, ' ')) != NULL)
		*nl = '\0';
	if (box_sshkey_parse(text, sp, &k, &err) < 0) {
		free(text);
		return die(1, "%s: %s", argv[optind], err.msg);
	}
	free(text);
	text = NULL;
	if (box_random_hex(hex, 8, &err) < 0)
		return die(1, "%s", err.msg);
	serial = strtoull(hex, NULL, 16) & INT64_MAX;
	if (serial == 0)
		serial = 1;
	snprintf(serial_s, sizeof(serial_s), "%" PRIu64, serial);
	snprintf(id, sizeof(id), "sshbox:%s:%s", principal, serial_s);
	snprintf(validity, sizeof(validity), "-1m:+%llds", (long long)ttl);
	/* ssh-keygen writes next to the key it signs: a copy of it, in a
	 * directory of root's alone. */
	if (mkdtemp(dir) == NULL)
		return die(1, "mkdtemp: %s", strerror(errno));
	snprintf(key, sizeof(key), "%s/key.pub", dir);
	snprintf(certp, sizeof(certp), "%s/key-cert.pub", dir);
	if (box_sshkey_format(&k, signed_text, sizeof(signed_text)) < 0 ||
	    (fd = open(key, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		die(1, "cannot write %s", key);
		goto out;
	}
	if (dprintf(fd, "%s\n", signed_text) < 0 || close(fd) < 0) {
		die(1, "cannot write %s", key);
		goto out;
	}
	{
		char *const kargv[] = { "ssh-keygen", "-q", "-s",
		    (char *)cfg->staff_ca, "-I", id, "-n", (char *)principal,
		    "-z", serial_s, "-V", validity, "-O", "clear", "-O",
		    "permit-pty", key, NULL };

		if (keygen(kargv, &err) < 0) {
			die(1, "cert: %s", err.msg);
			goto out;
		}
	}
	if (box_read_file(certp, 65536, &text, &len, &err) < 0) {
		die(1, "%s", err.msg);
		goto out;
	}
	text[strcspn(text, "\n")] = '\0';
	box_strlcpy(signed_text, text, sizeof(signed_text));
	if ((sp = strchr(text, ' ')) == NULL) {
		die(1, "ssh-keygen wrote no certificate");
		goto out;
	}
	*sp++ = '\0';
	if ((nl = strchr(sp, ' ')) != NULL)
		*nl = '\0';
	/* What was signed is what was asked. */
	if (box_sshcert_parse(text, sp, &cert, &err) < 0 ||
	    cert.serial != serial || strcmp(cert.key_id, id) != 0 ||
	    cert.nprincipals != 1 || strcmp(cert.principals[0], principal) !=
	    0 || strcmp(cert.key.fp, k.fp) != 0) {
		die(1, "ssh-keygen's certificate is not the one asked for%s%s",
		    err.msg[0] ? ": " : "", err.msg);
		goto out;
	}
	box_strlcpy(signed_cert.serial, serial_s, sizeof(signed_cert.serial));
	box_strlcpy(signed_cert.principal, principal,
	    sizeof(signed_cert.principal));
	box_strlcpy(signed_cert.key_id, id, sizeof(signed_cert.key_id));
	box_strlcpy(signed_cert.fp, k.fp, sizeof(signed_cert.fp));
	signed_cert.issued_at = box_now();
	signed_cert.valid_before = (int64_t)cert.valid_before;
	box_strlcpy(signed_cert.by, box_invite_who, sizeof(signed_cert.by));
	rc = 0;
out:
	free(text);
	unlink(certp);
	unlink(key);
	rmdir(dir);
	return rc;
}

/* As the box account: the serial recorded, then the certificate out. */
static int
cert_record(struct box_ctx *ctx, int json)
{
	struct box_error err;
	char detail[512], until[32];

	if (box_state_cert_add(ctx->st, &signed_cert, &err) < 0)
		return die(1, "the certificate was signed but not recorded, so "
		    "it lets nobody in: %s", err.msg);
	snprintf(detail, sizeof(detail), "serial=%s principal=%s groups=%s "
	    "valid_before=%lld by=%s", signed_cert.serial,
	    signed_cert.principal, signed_cert.groups,
	    (long long)signed_cert.valid_before, signed_cert.by);
	box_state_audit(ctx->st, box_now(), "cert-signed", NULL, NULL,
	    signed_cert.fp, NULL, detail);
	box_format_time(signed_cert.valid_before, until, sizeof(until));
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "serial",
		    json_object_new_string(signed_cert.serial));
		json_object_object_add(o, "principal",
		    json_object_new_string(signed_cert.principal));
		json_object_object_add(o, "groups",
		    json_object_new_string(signed_cert.groups));
		json_object_object_add(o, "key_id",
		    json_object_new_string(signed_cert.key_id));
		json_object_object_add(o, "key",
		    json_object_new_string(signed_cert.fp));
		json_object_object_add(o, "valid_before",
		    json_object_new_int64(signed_cert.valid_before));
		json_object_object_add(o, "certificate",
		    json_object_new_string(signed_text));
		print_json(o);
		return 0;
	}
	printf("%s\n", signed_text);
	fprintf(stderr, "box-invite: certificate serial %s for %s (key %s, "
	    "groups: %s), valid until %s\n", signed_cert.serial,
	    signed_cert.principal, signed_cert.fp, signed_cert.groups[0] ?
	    signed_cert.groups : "none", until);
	return 0;
}

/* ---------------------------------------------------------------- revoke */

static char revoked_serial[24];

/*
 * A serial as ssh-keygen's KRL spec reads it: decimal, 1 to 2^64 - 1, no
 * leading zero (which it would read as octal).  The canonical text into
 * out.
 */
static int
serial_ok(const char *s, char *out, size_t outsz)
{
	unsigned long long v;
	size_t n = strlen(s);
	char *end;

	if (n == 0 || n > 20 || strspn(s, "0123456789") != n || s[0] == '0')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return 0;
	snprintf(out, outsz, "%llu", v);
	return strcmp(out, s) == 0;
}

/*
 * The spec with the new serial is written beside the old one and the KRL
 * made from it; only when ssh-keygen took it do both replace the old: a
 * revocation that fails leaves everything as it was, and the next one
 * works.
 */
static int
cert_revoke_root(const struct box_config *cfg, const char *serial)
{
	char spec[PATH_MAX + 16], next[PATH_MAX + 24], canon[24];
	struct box_error err;
	char *old = NULL;
	size_t len = 0;
	int fd, ok;

	if (!serial_ok(serial, canon, sizeof(canon)))
		return die(2, "cert revoke: \"%.30s\" is not a serial (a decimal "
		    "number from 1, as box-invite cert list shows)", serial);
	if (geteuid() != 0)
		return die(1, "cert revoke: run as root (the revocation list is "
		    "root's)");
	if (access(cfg->staff_ca, F_OK) < 0)
		return die(1, "cert revoke: no staff CA at %s", cfg->staff_ca);
	spec_path(cfg, spec, sizeof(spec));
	snprintf(next, sizeof(next), "%s.new", spec);
	if (box_read_file(spec, 4 << 20, &old, &len, &err) < 0 &&
	    err.kind != BOX_E_NOTFOUND)
		return die(1, "%s", err.msg);
	if (unlink(next) < 0 && errno != ENOENT)
		return die(1, "%s: %s", next, strerror(errno));
	if ((fd = open(next, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0) {
		free(old);
		return die(1, "%s: %s", next, strerror(errno));
	}
	ok = (len == 0 || write(fd, old, len) == (ssize_t)len) &&
	    dprintf(fd, "serial: %s\n", canon) > 0 && fsync(fd) == 0;
	free(old);
	if (close(fd) < 0 || !ok) {
		unlink(next);
		return die(1, "%s: %s", next, strerror(errno));
	}
	if (write_krl(cfg, next, &err) < 0) {
		unlink(next);
		return die(1, "cert revoke: %s", err.msg);
	}
	if (rename(next, spec) < 0)
		return die(1, "%s: %s", spec, strerror(errno));
	box_strlcpy(revoked_serial, canon, sizeof(revoked_serial));
	return 0;
}

static int
cert_revoke_record(struct box_ctx *ctx, int json)
{
	struct box_error err;
	struct box_cert c;
	char detail[320];
	int known;

	known = box_state_cert_get(ctx->st, revoked_serial, &c, &err) == 0;
	if (known && box_state_cert_revoke(ctx->st, revoked_serial,
	    box_now(), &err) < 0)
		return die(1, "%s", err.msg);
	snprintf(detail, sizeof(detail), "serial=%s principal=%s by=%s",
	    revoked_serial, known ? c.principal : "?", box_invite_who);
	box_state_audit(ctx->st, box_now(), "cert-revoked", NULL, NULL,
	    known ? c.fp : NULL, NULL, detail);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "revoked",
		    json_object_new_string(revoked_serial));
		json_object_object_add(o, "known",
		    json_object_new_boolean(known));
		print_json(o);
	} else if (known) {
		printf("certificate %s of %s revoked\n", revoked_serial,
		    c.principal);
	} else {
		printf("certificate %s revoked (sshbox did not sign it; it is "
		    "in the revocation list all the same)\n", revoked_serial);
	}
	return 0;
}

/* ------------------------------------------------------------------ list */

static int
cert_cb(void *arg, const struct box_cert *c)
{
	struct json_object *arr = arg;
	char issued[32], until[32];
	const char *state = c->revoked_at != 0 ? "revoked" :
	    c->valid_before <= box_now() ? "expired" : "valid";

	box_format_time(c->issued_at, issued, sizeof(issued));
	box_format_time(c->valid_before, until, sizeof(until));
	if (arr != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "serial",
		    json_object_new_string(c->serial));
		json_object_object_add(o, "principal",
		    json_object_new_string(c->principal));
		json_object_object_add(o, "groups",
		    json_object_new_string(c->groups));
		json_object_object_add(o, "key", json_object_new_string(c->fp));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "issued",
		    json_object_new_string(issued));
		json_object_object_add(o, "valid_before",
		    json_object_new_int64(c->valid_before));
		json_object_object_add(o, "by", json_object_new_string(c->by));
		json_object_array_add(arr, o);
		return 0;
	}
	printf("%-20s  %-16s  %-16s  %-7s  %-20s  %s\n", c->serial,
	    c->principal, c->groups[0] ? c->groups : "-", state, issued, until);
	return 0;
}

static int
cert_list(struct box_ctx *ctx, int json)
{
	struct json_object *arr = json ? json_object_new_array() : NULL;
	struct box_error err;

	if (!json)
		printf("%-20s  %-16s  %-16s  %-7s  %-20s  %s\n", "SERIAL",
		    "PRINCIPAL", "GROUPS", "STATE", "ISSUED", "VALID UNTIL");
	if (box_state_cert_list(ctx->st, cert_cb, arr, &err) < 0) {
		json_object_put(arr);
		return die(1, "%s", err.msg);
	}
	if (json)
		print_json(arr);
	return 0;
}

/* ---------------------------------------------------------------- driver */

int
cmd_staff(const char *conf, int argc, char **argv, int json)
{
	enum { SIGN, REVOKE, LIST } what;
	struct box_config cfg;
	struct box_error err;
	struct box_ctx ctx;
	int rc;

	if (box_config_load(conf, &cfg, &err) < 0)
		return die(1, "%s", err.msg);
	if (strcmp(argv[0], "ca") == 0) {
		if (argc != 2 || strcmp(argv[1], "init") != 0)
			return die(2, "usage: box-invite ca init");
		return ca_init(&cfg, json);
	}
	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		if (argc != 2)
			return die(2, "usage: box-invite cert list");
		what = LIST;
	} else if (argc >= 2 && strcmp(argv[1], "revoke") == 0) {
		if (argc != 3)
			return die(2, "usage: box-invite cert revoke SERIAL");
		if ((rc = cert_revoke_root(&cfg, argv[2])) != 0)
			return rc;
		what = REVOKE;
	} else {
		if ((rc = cert_sign(&cfg, argc, argv)) != 0)
			return rc;
		what = SIGN;
	}
	if (geteuid() == 0 && box_invite_as_box(what == SIGN ? "cert" :
	    "cert-other") != 0)
		return 1;
	if (box_ctx_open(&ctx, conf, 0, &err) < 0)
		return die(1, "%s", err.msg);
	rc = what == SIGN ? cert_record(&ctx, json) : what == REVOKE ?
	    cert_revoke_record(&ctx, json) : cert_list(&ctx, json);
	box_ctx_close(&ctx);
	return rc;
}
