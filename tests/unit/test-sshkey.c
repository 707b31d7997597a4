/* Unit tests for lib/auth/sshkey.c: real ssh-keygen keys and hostile blobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "auth/sshkey.h"
#include "tap.h"
#include "core/util.h"

static char tmpdir[] = "/tmp/test-sshkey.XXXXXX";

/* A small writer for hand-made wire-format blobs. */
struct wbuf {
	uint8_t	 b[24 * 1024];
	size_t	 len;
};

static void
put_raw(struct wbuf *w, const void *p, size_t n)
{
	if (w->len + n > sizeof(w->b))
		abort();
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

static void
put_u32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

	put_raw(w, b, 4);
}

static void
put_str(struct wbuf *w, const void *p, size_t n)
{
	put_u32(w, (uint32_t)n);
	put_raw(w, p, n);
}

static void
put_cstr(struct wbuf *w, const char *s)
{
	put_str(w, s, strlen(s));
}

/* Parse a hand-made blob under type; returns what box_sshkey_parse did. */
static int
parse_blob(const char *type, const uint8_t *b, size_t n,
    struct box_sshkey *key, struct box_error *err)
{
	static char b64[40 * 1024];

	if (box_b64_encode(b, n, b64, sizeof(b64), 0, 1) < 0)
		abort();
	return box_sshkey_parse(type, b64, key, err);
}

static int
has_ctrl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static void
ed25519_blob(struct wbuf *w, const char *type, size_t klen)
{
	uint8_t pk[64];

	memset(pk, 0x42, sizeof(pk));
	w->len = 0;
	put_cstr(w, type);
	put_str(w, pk, klen);
}

/* The generator of curve nid as an uncompressed point. */
static size_t
generator_point(int nid, uint8_t *out, size_t outsz, int form)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(nid);
	size_t n;

	if (g == NULL)
		abort();
	n = EC_POINT_point2oct(g, EC_GROUP_get0_generator(g),
	    (point_conversion_form_t)form, out, outsz, NULL);
	EC_GROUP_free(g);
	return n;
}

static void
ecdsa_blob(struct wbuf *w, const char *type, const char *curve,
    const uint8_t *q, size_t qlen)
{
	w->len = 0;
	put_cstr(w, type);
	put_cstr(w, curve);
	put_str(w, q, qlen);
}

static void
rsa_blob(struct wbuf *w, const uint8_t *e, size_t elen, const uint8_t *n,
    size_t nlen)
{
	w->len = 0;
	put_cstr(w, "ssh-rsa");
	put_str(w, e, elen);
	put_str(w, n, nlen);
}

static int
run(const char *cmd)
{
	int st = system(cmd);

	return st == 0 ? 0 : -1;
}

/*
 * Generate a key with ssh-keygen, parse its .pub and compare with what
 * ssh-keygen -lf prints.
 */
static void
check_real_key(const char *ktype, int bits, int expect_ok)
{
	char cmd[1024], path[256], name[128], line[16384], fp[256];
	char want_type[128], want_b64[12000], formatted[12200];
	char expect[12200];
	struct box_sshkey key;
	struct box_error err;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/%s-%d", tmpdir, ktype, bits);
	snprintf(name, sizeof(name), "%s %d", ktype, bits);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t %s -b %d -N '' "
	    "-C 'test key' -f %s </dev/null >/dev/null", ktype, bits, path);
	if (run(cmd) < 0) {
		ok(0, name);
		diag("ssh-keygen failed: %s", cmd);
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s.pub", path);
	if ((f = fopen(cmd, "r")) == NULL ||
	    fgets(line, sizeof(line), f) == NULL) {
		ok(0, name);
		diag("cannot read %s", cmd);
		if (f != NULL)
			fclose(f);
		return;
	}
	fclose(f);
	if (sscanf(line, "%127s %11999s", want_type, want_b64) != 2) {
		ok(0, name);
		return;
	}
	snprintf(cmd, sizeof(cmd), "ssh-keygen -lf %s.pub", path);
	fp[0] = '\0';
	if ((f = popen(cmd, "r")) == NULL ||
	    fscanf(f, "%*d %255s", fp) != 1)
		diag("cannot run %s", cmd);
	if (f != NULL)
		pclose(f);

	r = box_sshkey_parse(want_type, want_b64, &key, &err);
	if (!expect_ok) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%s refused", name);
		ok(r < 0 && err.kind == BOX_E_INPUT, msg);
		diag("%s: %s", name, err.msg);
		return;
	}
	snprintf(line, sizeof(line), "%s parses", name);
	if (!ok(r == 0, line))
		diag("%s", err.msg);
	snprintf(line, sizeof(line), "%s fingerprint matches ssh-keygen -lf",
	    name);
	is_str(key.fp, fp, line);
	snprintf(line, sizeof(line), "%s type", name);
	is_str(key.type, want_type, line);
	snprintf(line, sizeof(line), "%s fingerprint is valid", name);
	ok(box_sshkey_valid_fp(key.fp), line);
	snprintf(line, sizeof(line), "%s format round trip", name);
	snprintf(expect, sizeof(expect), "%s %s", want_type, want_b64);
	ok(box_sshkey_format(&key, formatted, sizeof(formatted)) == 0 &&
	    strcmp(formatted, expect) == 0, line);
}

/* Read "TYPE B64" from a .pub-like file. */
static int
read_pub(const char *path, char *type, size_t tsz, char *b64, size_t bsz)
{
	char line[16384];
	FILE *f;
	int ok_ = 0;

	(void)tsz;
	(void)bsz;
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) != NULL &&
	    sscanf(line, "%127s %11999s", type, b64) == 2)
		ok_ = 1;
	fclose(f);
	return ok_ ? 0 : -1;
}

/*
 * Certificates made by ssh-keygen -s: every field read; the certified key
 * the same as its .pub (fingerprint); the CA's fingerprint; hostile
 * variants (cut, trailing bytes, a bad principal, a certificate as CA)
 * refused; in SSH_USER_AUTH only where certificates are asked for.
 */
static void
test_certs(void)
{
	char cmd[2048], ca[256], user[256], type[128], b64[12000], ktype[128];
	char kb64[12000], auth[13000], path[300], fp[256];
	struct box_sshcert cert;
	struct box_sshkey key, plain;
	struct box_error err;
	uint8_t blob[9000];
	long n;
	int is_cert = -1;
	FILE *f;

	if (run("command -v ssh-keygen >/dev/null 2>&1") < 0) {
		diag("SKIP: ssh-keygen is not installed; certificate tests "
		    "not run");
		return;
	}
	snprintf(ca, sizeof(ca), "%s/ca", tmpdir);
	snprintf(user, sizeof(user), "%s/staff", tmpdir);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' -f %s && "
	    "ssh-keygen -q -t ecdsa -N '' -f %s && ssh-keygen -q -s %s "
	    "-I sshbox:alice:77 -n alice,ops -z 77 "
	    "-V 20260101000000:20270101000000 -O clear -O permit-pty %s.pub",
	    ca, user, ca, user);
	if (run(cmd) < 0) {
		ok(0, "ssh-keygen -s makes a certificate");
		return;
	}
	snprintf(path, sizeof(path), "%s-cert.pub", user);
	if (read_pub(path, type, sizeof(type), b64, sizeof(b64)) < 0 ||
	    (snprintf(path, sizeof(path), "%s.pub", user),
	    read_pub(path, ktype, sizeof(ktype), kb64, sizeof(kb64))) < 0) {
		ok(0, "certificate files readable");
		return;
	}
	if (!ok(box_sshcert_parse(type, b64, &cert, &err) == 0,
	    "an ECDSA certificate parses"))
		diag("%s", err.msg);
	is_str(cert.type, "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	    "  its type");
	ok(cert.serial == 77 && cert.cert_type == BOX_CERT_TYPE_USER,
	    "  serial and user type");
	is_str(cert.key_id, "sshbox:alice:77", "  key id");
	ok(cert.nprincipals == 2 && strcmp(cert.principals[0], "alice") == 0 &&
	    strcmp(cert.principals[1], "ops") == 0, "  principals");
	ok(cert.valid_after == 1767225600 && cert.valid_before == 1798761600,
	    "  validity");
	box_sshkey_parse(ktype, kb64, &plain, &err);
	is_str(cert.key.fp, plain.fp, "  the certified key is the .pub's");
	is_str(cert.key.type, "ecdsa-sha2-nistp256", "  with the plain type");
	snprintf(cmd, sizeof(cmd), "ssh-keygen -lf %s.pub", ca);
	fp[0] = '\0';
	if ((f = popen(cmd, "r")) != NULL) {
		if (fscanf(f, "%*d %255s", fp) != 1)
			fp[0] = '\0';
		pclose(f);
	}
	is_str(cert.ca_fp, fp, "  the CA's fingerprint, as ssh-keygen -lf");
	ok(box_sshkey_parse(type, b64, &key, &err) < 0,
	    "box_sshkey_parse still refuses it");

	snprintf(auth, sizeof(auth), "publickey %s %s\n", type, b64);
	ok(box_sshkey_from_auth_info(auth, strlen(auth), &key, &err) < 0,
	    "SSH_USER_AUTH: refused where keys alone are taken");
	ok(box_sshauth_parse(auth, strlen(auth), &key, &cert, &is_cert,
	    &err) == 0 && is_cert == 1 && cert.serial == 77 &&
	    strcmp(key.fp, plain.fp) == 0, "  read where certificates are");
	snprintf(auth, sizeof(auth), "publickey %s %s\n", ktype, kb64);
	ok(box_sshauth_parse(auth, strlen(auth), &key, &cert, &is_cert,
	    &err) == 0 && is_cert == 0 && strcmp(key.fp, plain.fp) == 0,
	    "  a plain key there is a key");

	/* Hostile variants of the real blob. */
	n = box_b64_decode(b64, strlen(b64), blob, sizeof(blob), 0);
	{
		char bad[12100];
		size_t cut;

		for (cut = 1; cut < (size_t)n; cut += 37) {
			box_b64_encode(blob, (size_t)n - cut, bad, sizeof(bad),
			    0, 1);
			if (box_sshcert_parse(type, bad, &cert, &err) == 0)
				break;
		}
		ok(cut >= (size_t)n, "cut anywhere: refused");
		blob[n] = 0;
		box_b64_encode(blob, (size_t)n + 1, bad, sizeof(bad), 0, 1);
		ok(box_sshcert_parse(type, bad, &cert, &err) < 0,
		    "a trailing byte: refused");
		ok(box_sshcert_parse("ssh-ed25519-cert-v01@openssh.com", b64,
		    &cert, &err) < 0, "under another type: refused");
		ok(box_sshcert_parse("ecdsa-sha2-nistp256", b64, &cert,
		    &err) < 0, "under the key's type: refused");
	}
	/* A principal with a comma, and a certificate signed by a
	 * certificate, are refused. */
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -s %s -I x -n 'a b' %s.pub "
	    ">/dev/null 2>&1", ca, user);
	if (run(cmd) == 0 && (snprintf(path, sizeof(path), "%s-cert.pub",
	    user), read_pub(path, type, sizeof(type), b64, sizeof(b64))) == 0)
		ok(box_sshcert_parse(type, b64, &cert, &err) < 0 &&
		    strstr(err.msg, "principal") != NULL,
		    "a principal with a blank: refused");
	else
		ok(0, "a principal with a blank: certificate made");
}

static void
test_real_keys(void)
{
	struct box_sshkey key;
	struct box_error err;
	char cmd[1024], path[256], line[16384], type[128], b64[12000];
	size_t i, len;
	FILE *f;

	if (run("command -v ssh-keygen >/dev/null 2>&1") < 0) {
		diag("SKIP: ssh-keygen is not installed; real-key "
		    "fingerprint tests not run");
		return;
	}
	check_real_key("ed25519", 256, 1);
	check_real_key("ecdsa", 256, 1);
	check_real_key("ecdsa", 384, 1);
	check_real_key("ecdsa", 521, 1);
	check_real_key("rsa", 2048, 1);
	check_real_key("rsa", 3072, 1);
	check_real_key("rsa", 1024, 0);

	/* A real certificate is refused, under its own type or the key's. */
	snprintf(path, sizeof(path), "%s/ed25519-256", tmpdir);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -s %s -I test -n box "
	    "%s.pub >/dev/null 2>&1", path, path);
	if (run(cmd) < 0) {
		ok(0, "ssh-keygen -s makes a certificate");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s-cert.pub", path);
	if ((f = fopen(cmd, "r")) == NULL ||
	    fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "%127s %11999s", type, b64) != 2) {
		ok(0, "read certificate");
		if (f != NULL)
			fclose(f);
		return;
	}
	fclose(f);
	ok(box_sshkey_parse(type, b64, &key, &err) < 0 &&
	    strstr(err.msg, "certificate") != NULL, "real certificate refused");
	ok(box_sshkey_parse("ssh-ed25519", b64, &key, &err) < 0,
	    "certificate blob under plain type refused");

	/* Every truncation of a real RSA blob is refused. */
	snprintf(cmd, sizeof(cmd), "%s/rsa-2048.pub", tmpdir);
	if ((f = fopen(cmd, "r")) == NULL ||
	    fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "%127s %11999s", type, b64) != 2) {
		ok(0, "read rsa key");
		if (f != NULL)
			fclose(f);
		return;
	}
	fclose(f);
	{
		static uint8_t blob[BOX_SSHKEY_BLOB_MAX];
		long n = box_b64_decode(b64, strlen(b64), blob, sizeof(blob),
		    0);
		int bad = 0;

		ok(n > 0, "decode rsa blob");
		for (len = 0; n > 0 && len < (size_t)n; len++)
			if (parse_blob("ssh-rsa", blob, len, &key, &err) == 0)
				bad++;
		is_int(bad, 0, "every truncated rsa blob refused");
		/* Flip the sign of e: the first byte of e's data. */
		i = 4 + 7 + 4;
		blob[i] |= 0x80;
		ok(parse_blob("ssh-rsa", blob, (size_t)n, &key, &err) < 0 &&
		    strstr(err.msg, "negative") != NULL,
		    "negative rsa exponent refused");
	}
}

static void
test_ed25519(void)
{
	struct box_sshkey key;
	struct box_error err;
	struct wbuf w;
	size_t len;
	int bad;

	ed25519_blob(&w, "ssh-ed25519", 32);
	ok(parse_blob("ssh-ed25519", w.b, w.len, &key, &err) == 0,
	    "hand-made ed25519 parses");
	ok(box_sshkey_valid_fp(key.fp), "hand-made ed25519 fingerprint");
	is_int(key.bloblen, w.len, "bloblen");
	ok(memcmp(key.blob, w.b, w.len) == 0, "blob kept");

	ed25519_blob(&w, "ssh-ed25519", 31);
	ok(parse_blob("ssh-ed25519", w.b, w.len, &key, &err) < 0,
	    "31-byte ed25519 key refused");
	ed25519_blob(&w, "ssh-ed25519", 33);
	ok(parse_blob("ssh-ed25519", w.b, w.len, &key, &err) < 0,
	    "33-byte ed25519 key refused");

	ed25519_blob(&w, "ssh-ed25519", 32);
	put_raw(&w, "", 1);
	ok(parse_blob("ssh-ed25519", w.b, w.len, &key, &err) < 0 &&
	    strstr(err.msg, "trailing") != NULL, "trailing byte refused");
	ok(key.bloblen == 0 && key.fp[0] == '\0',
	    "key cleared after failure");

	ed25519_blob(&w, "ssh-ed25519", 32);
	for (bad = 0, len = 0; len < w.len; len++)
		if (parse_blob("ssh-ed25519", w.b, len, &key, &err) == 0)
			bad++;
	is_int(bad, 0, "every truncated ed25519 blob refused");

	ok(parse_blob("ssh-rsa", w.b, w.len, &key, &err) < 0 &&
	    strstr(err.msg, "does not match") != NULL,
	    "ed25519 blob under ssh-rsa refused");
	ok(parse_blob("ecdsa-sha2-nistp256", w.b, w.len, &key, &err) < 0,
	    "ed25519 blob under ecdsa refused");

	/* A length field larger than the data. */
	w.len = 0;
	put_cstr(&w, "ssh-ed25519");
	put_u32(&w, 0xffffffffu);
	put_raw(&w, "abcd", 4);
	ok(parse_blob("ssh-ed25519", w.b, w.len, &key, &err) < 0,
	    "huge string length refused");

	/* Security-key variant needs an application string. */
	ed25519_blob(&w, "sk-ssh-ed25519@openssh.com", 32);
	put_cstr(&w, "ssh:");
	ok(parse_blob("sk-ssh-ed25519@openssh.com", w.b, w.len, &key,
	    &err) == 0, "sk-ed25519 parses");
	is_str(key.type, "sk-ssh-ed25519@openssh.com", "sk-ed25519 type");
	ed25519_blob(&w, "sk-ssh-ed25519@openssh.com", 32);
	ok(parse_blob("sk-ssh-ed25519@openssh.com", w.b, w.len, &key,
	    &err) < 0, "sk-ed25519 without application refused");
	put_cstr(&w, "");
	ok(parse_blob("sk-ssh-ed25519@openssh.com", w.b, w.len, &key,
	    &err) < 0, "sk-ed25519 with empty application refused");
	ed25519_blob(&w, "sk-ssh-ed25519@openssh.com", 32);
	put_str(&w, "ssh:\n", 5);
	ok(parse_blob("sk-ssh-ed25519@openssh.com", w.b, w.len, &key,
	    &err) < 0, "sk-ed25519 with control char in application refused");
	ed25519_blob(&w, "ssh-ed25519", 32);
	put_cstr(&w, "ssh:");
	ok(parse_blob("ssh-ed25519", w.b, w.len, &key, &err) < 0,
	    "application on a plain ed25519 key refused");
}

static void
test_ecdsa(void)
{
	struct box_sshkey key;
	struct box_error err;
	struct wbuf w;
	uint8_t q[200];
	size_t qlen;

	qlen = generator_point(NID_X9_62_prime256v1, q, sizeof(q),
	    POINT_CONVERSION_UNCOMPRESSED);
	ecdsa_blob(&w, "ecdsa-sha2-nistp256", "nistp256", q, qlen);
	ok(parse_blob("ecdsa-sha2-nistp256", w.b, w.len, &key, &err) == 0,
	    "hand-made nistp256 parses");
	ecdsa_blob(&w, "ecdsa-sha2-nistp256", "nistp384", q, qlen);
	ok(parse_blob("ecdsa-sha2-nistp256", w.b, w.len, &key, &err) < 0 &&
	    strstr(err.msg, "curve") != NULL, "curve mismatch refused");
	ecdsa_blob(&w, "ecdsa-sha2-nistp384", "nistp384", q, qlen);
	ok(parse_blob("ecdsa-sha2-nistp384", w.b, w.len, &key, &err) < 0,
	    "p256 point under nistp384 refused");
	ecdsa_blob(&w, "ecdsa-sha2-nistp256", "nistp256", q, qlen - 1);
	ok(parse_blob("ecdsa-sha2-nistp256", w.b, w.len, &key, &err) < 0,
	    "short point refused");
	q[qlen - 1] ^= 1;
	ecdsa_blob(&w, "ecdsa-sha2-nistp256", "nistp256", q, qlen);
	ok(parse_blob("ecdsa-sha2-nistp256", w.b, w.len, &key, &err) < 0,
	    "point off the curve refused");
	qlen = generator_point(NID_X9_62_prime256v1, q, sizeof(q),
	    POINT_CONVERSION_COMPRESSED);
	ecdsa_blob(&w, "ecdsa-sha2-nistp256", "nistp256", q, qlen);
	ok(parse_blob("ecdsa-sha2-nistp256", w.b, w.len, &key, &err) < 0,
	    "compressed point refused");
	memset(q, 0, 65);
	q[0] = 4;
	ecdsa_blob(&w, "ecdsa-sha2-nistp256", "nistp256", q, 65);
	ok(parse_blob("ecdsa-sha2-nistp256", w.b, w.len, &key, &err) < 0,
	    "all-zero point refused");

	qlen = generator_point(NID_secp521r1, q, sizeof(q),
	    POINT_CONVERSION_UNCOMPRESSED);
	ecdsa_blob(&w, "ecdsa-sha2-nistp521", "nistp521", q, qlen);
	ok(parse_blob("ecdsa-sha2-nistp521", w.b, w.len, &key, &err) == 0,
	    "hand-made nistp521 parses");

	qlen = generator_point(NID_X9_62_prime256v1, q, sizeof(q),
	    POINT_CONVERSION_UNCOMPRESSED);
	ecdsa_blob(&w, "sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", q,
	    qlen);
	put_cstr(&w, "ssh:box");
	ok(parse_blob("sk-ecdsa-sha2-nistp256@openssh.com", w.b, w.len,
	    &key, &err) == 0, "sk-ecdsa parses");
	ecdsa_blob(&w, "sk-ecdsa-sha2-nistp256@openssh.com", "nistp256", q,
	    qlen);
	ok(parse_blob("sk-ecdsa-sha2-nistp256@openssh.com", w.b, w.len,
	    &key, &err) < 0, "sk-ecdsa without application refused");
}

static void
test_rsa(void)
{
	struct box_sshkey key;
	struct box_error err;
	struct wbuf w;
	uint8_t n[258], e[4] = { 0x01, 0x00, 0x01 };

	memset(n, 0xc5, sizeof(n));
	n[0] = 0x00;			/* sign byte: top bit of n[1] is set */
	rsa_blob(&w, e, 3, n, 257);
	ok(parse_blob("ssh-rsa", w.b, w.len, &key, &err) == 0,
	    "hand-made 2048-bit rsa parses");
	rsa_blob(&w, e, 3, n + 1, 256);
	ok(parse_blob("ssh-rsa", w.b, w.len, &key, &err) < 0 &&
	    strstr(err.msg, "negative") != NULL, "negative modulus refused");
	n[1] = 0x00;
	rsa_blob(&w, e, 3, n, 257);
	ok(parse_blob("ssh-rsa", w.b, w.len, &key, &err) < 0 &&
	    strstr(err.msg, "non-minimal") != NULL,
	    "non-minimal modulus refused");
	n[1] = 0x7f;
	rsa_blob(&w, e, 3, n + 1, 256);
	ok(parse_blob("ssh-rsa", w.b, w.len, &key, &err) < 0 &&
	    strstr(err.msg, "2048") != NULL, "2047-bit modulus refused");
	n[1] = 0xc5;
	n[256] = 0xc4;
	rsa_blob(&w, e, 3, n, 257);
	ok(parse_blob("ssh-rsa", w.b, w.len, &key, &err) < 0,
	    "even modulus refused");
	n[256] = 0xc5;
	e[2] = 0x00;
	rsa_blob(&w, e, 3, n, 257);
	ok(parse_blob("ssh-rsa", w.b, w.len, &key, &err) < 0,
	    "even exponent refused");
	e[0] = 0x01;
	rsa_blob(&w, e, 1, n, 257);
	ok(parse_blob("ssh-rsa", w.b, w.len, &key, &err) < 0,
	    "exponent 1 refused");
	rsa_blob(&w, e, 0, n, 257);
	ok(parse_blob("ssh-rsa", w.b, w.len, &key, &err) < 0 &&
	    strstr(err.msg, "zero") != NULL, "zero exponent refused");
}

static void
test_bad_text(void)
{
	struct box_sshkey key;
	struct box_error err;
	struct wbuf w;
	char b64[128], *big;
	size_t i;

	ed25519_blob(&w, "ssh-ed25519", 32);
	box_b64_encode(w.b, w.len, b64, sizeof(b64), 0, 1);

	ok(box_sshkey_parse("", b64, &key, &err) < 0, "empty type refused");
	ok(box_sshkey_parse(NULL, b64, &key, &err) < 0, "NULL type refused");
	ok(box_sshkey_parse("ssh-ed25519", "", &key, &err) < 0,
	    "empty blob refused");
	ok(box_sshkey_parse("ssh-ed25519", NULL, &key, &err) < 0,
	    "NULL blob refused");
	ok(box_sshkey_parse("ssh-dss", b64, &key, &err) < 0 &&
	    strstr(err.msg, "unsupported") != NULL, "ssh-dss refused");
	ok(box_sshkey_parse("ssh-ed25519-cert-v01@openssh.com", b64, &key,
	    &err) < 0 && strstr(err.msg, "certificate") != NULL,
	    "cert type refused");
	ok(box_sshkey_parse("ssh-ed25519\n", b64, &key, &err) < 0 &&
	    !has_ctrl(err.msg), "type with newline refused, message clean");
	ok(box_sshkey_parse("ssh\x1b[31m-ed25519", b64, &key, &err) < 0 &&
	    !has_ctrl(err.msg), "type with escape refused, message clean");
	ok(box_sshkey_parse("ssh-ed25519 ", b64, &key, &err) < 0,
	    "type with trailing space refused");
	{
		char longtype[200];

		memset(longtype, 'a', sizeof(longtype) - 1);
		longtype[sizeof(longtype) - 1] = '\0';
		ok(box_sshkey_parse(longtype, b64, &key, &err) < 0 &&
		    strlen(err.msg) < 120, "long type refused");
	}

	b64[strlen(b64) - 1] = '!';
	ok(box_sshkey_parse("ssh-ed25519", b64, &key, &err) < 0 &&
	    strstr(err.msg, "base64") != NULL, "bad base64 char refused");
	ed25519_blob(&w, "sk-ssh-ed25519@openssh.com", 32);
	put_cstr(&w, "ssh:");
	box_b64_encode(w.b, w.len, b64, sizeof(b64), 0, 1);
	ok(box_sshkey_parse("sk-ssh-ed25519@openssh.com", b64, &key,
	    &err) == 0 && b64[strlen(b64) - 1] == '=', "padded base64 parses");
	box_b64_encode(w.b, w.len, b64, sizeof(b64), 0, 0);
	ok(box_sshkey_parse("sk-ssh-ed25519@openssh.com", b64, &key,
	    &err) < 0, "unpadded base64 refused");
	ed25519_blob(&w, "ssh-ed25519", 32);
	box_b64_encode(w.b, w.len, b64, sizeof(b64), 0, 1);
	b64[10] = ' ';
	ok(box_sshkey_parse("ssh-ed25519", b64, &key, &err) < 0,
	    "space in base64 refused");
	ok(box_sshkey_parse("ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5-A==",
	    &key, &err) < 0, "base64url alphabet refused");

	/* 20 KB of blob, as base64. */
	if ((big = malloc(30000)) == NULL)
		abort();
	memset(w.b, 0, sizeof(w.b));
	w.len = 0;
	put_cstr(&w, "ssh-rsa");
	for (i = w.len; i < 20000; i++)
		w.b[i] = 0x41;
	box_b64_encode(w.b, 20000, big, 30000, 0, 1);
	ok(box_sshkey_parse("ssh-rsa", big, &key, &err) < 0 &&
	    strstr(err.msg, "too long") != NULL, "20 KB blob refused");
	/* Just over the decoded limit but under the text limit. */
	box_b64_encode(w.b, BOX_SSHKEY_BLOB_MAX + 1, big, 30000, 0, 1);
	ok(strlen(big) <= BOX_SSHKEY_B64_MAX &&
	    box_sshkey_parse("ssh-rsa", big, &key, &err) < 0,
	    "blob one byte over the limit refused");
	free(big);
}

static void
test_auth_info(void)
{
	struct box_sshkey key, ref;
	struct box_error err;
	struct wbuf w;
	char b64[128], text[512], *big;
	size_t n;

	ed25519_blob(&w, "ssh-ed25519", 32);
	box_b64_encode(w.b, w.len, b64, sizeof(b64), 0, 1);
	if (box_sshkey_parse("ssh-ed25519", b64, &ref, &err) < 0)
		abort();

	snprintf(text, sizeof(text), "publickey ssh-ed25519 %s\n", b64);
	ok(box_sshkey_from_auth_info(text, strlen(text), &key, &err) == 0 &&
	    strcmp(key.fp, ref.fp) == 0, "one publickey line");
	snprintf(text, sizeof(text), "publickey ssh-ed25519 %s", b64);
	ok(box_sshkey_from_auth_info(text, strlen(text), &key, &err) == 0 &&
	    strcmp(key.fp, ref.fp) == 0, "no final newline");
	snprintf(text, sizeof(text), "password\nkeyboard-interactive/pam\n"
	    "\npublickey ssh-ed25519 %s\nhostbased\n", b64);
	ok(box_sshkey_from_auth_info(text, strlen(text), &key, &err) == 0 &&
	    strcmp(key.fp, ref.fp) == 0, "other methods ignored");
	snprintf(text, sizeof(text), "publickey ssh-ed25519 %s\nJUNK", b64);
	n = strlen(text) - 5;
	ok(box_sshkey_from_auth_info(text, n, &key, &err) == 0,
	    "length respected");

	snprintf(text, sizeof(text), "publickey ssh-ed25519 %s\n"
	    "publickey ssh-ed25519 %s\n", b64, b64);
	ok(box_sshkey_from_auth_info(text, strlen(text), &key, &err) < 0 &&
	    strstr(err.msg, "more than one") != NULL, "two publickey lines");
	snprintf(text, sizeof(text), "password\nkeyboard-interactive\n");
	ok(box_sshkey_from_auth_info(text, strlen(text), &key, &err) < 0,
	    "no publickey line");
	ok(box_sshkey_from_auth_info("", 0, &key, &err) < 0, "empty text");
	ok(box_sshkey_from_auth_info(NULL, 0, &key, &err) < 0, "NULL text");
	ok(box_sshkey_from_auth_info("publickey\n", 10, &key, &err) < 0,
	    "publickey without key");
	ok(box_sshkey_from_auth_info("publickey ssh-ed25519\n", 22, &key,
	    &err) < 0, "publickey without blob");
	snprintf(text, sizeof(text), "publickey ssh-ed25519 %s extra\n", b64);
	ok(box_sshkey_from_auth_info(text, strlen(text), &key, &err) < 0,
	    "extra field refused");
	snprintf(text, sizeof(text), "publickey  ssh-ed25519 %s\n", b64);
	ok(box_sshkey_from_auth_info(text, strlen(text), &key, &err) < 0,
	    "double space refused");
	snprintf(text, sizeof(text), "publickey ssh-ed25519 %s\r\n", b64);
	ok(box_sshkey_from_auth_info(text, strlen(text), &key, &err) < 0,
	    "CR refused");
	snprintf(text, sizeof(text), "publickey ssh-ed25519 %s\n", b64);
	text[3] = '\0';
	ok(box_sshkey_from_auth_info(text, strlen(text + 4) + 4, &key,
	    &err) < 0, "NUL byte refused");
	snprintf(text, sizeof(text), "publickey ssh-rsa %s\n", b64);
	ok(box_sshkey_from_auth_info(text, strlen(text), &key, &err) < 0,
	    "type mismatch refused");

	n = 64 * 1024 + 1;
	if ((big = malloc(n)) == NULL)
		abort();
	memset(big, '\n', n);
	snprintf(big, n, "publickey ssh-ed25519 %s", b64);
	big[strlen(big)] = '\n';
	ok(box_sshkey_from_auth_info(big, n, &key, &err) < 0 &&
	    strstr(err.msg, "too long") != NULL, "64 KiB + 1 refused");
	ok(box_sshkey_from_auth_info(big, n - 1, &key, &err) == 0,
	    "64 KiB accepted");
	free(big);
}

static void
test_fp_and_format(void)
{
	struct box_sshkey key;
	struct box_error err;
	struct wbuf w;
	char out[200];

	ok(!box_sshkey_valid_fp(NULL), "NULL fp");
	ok(!box_sshkey_valid_fp(""), "empty fp");
	ok(!box_sshkey_valid_fp("SHA256:"), "bare prefix");
	ok(box_sshkey_valid_fp(
	    "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"),
	    "fp of empty string");
	ok(!box_sshkey_valid_fp(
	    "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV"),
	    "non-canonical last char");
	ok(!box_sshkey_valid_fp(
	    "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
	    "padded fp");
	ok(!box_sshkey_valid_fp(
	    "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF"),
	    "short fp");
	ok(!box_sshkey_valid_fp(
	    "MD5:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"),
	    "wrong prefix");
	ok(!box_sshkey_valid_fp(
	    "SHA256:47DEQpj8HBSa-_TImW+5JCeuQeRkm5NMpJWZG3hSuFU"),
	    "url alphabet");

	ed25519_blob(&w, "ssh-ed25519", 32);
	if (parse_blob("ssh-ed25519", w.b, w.len, &key, &err) < 0)
		abort();
	ok(box_sshkey_format(&key, out, sizeof(out)) == 0 &&
	    strncmp(out, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", 32) == 0,
	    "format");
	ok(box_sshkey_format(&key, out, strlen(out)) < 0,
	    "format refuses a short buffer");
	ok(box_sshkey_format(&key, out, 5) < 0, "format: tiny buffer");
}

int
main(void)
{
	char cmd[600];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_real_keys();
	test_certs();
	test_ed25519();
	test_ecdsa();
	test_rsa();
	test_bad_text();
	test_auth_info();
	test_fp_and_format();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		diag("cannot remove %s", tmpdir);
	return tap_done();
}
