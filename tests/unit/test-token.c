/* Unit tests for lib/auth/token.c: signing, verification, keys on disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "tap.h"
#include "auth/token.h"
#include "core/util.h"

#define CONTEXT	"sshbox-invite-v1"

static char tmpdir[] = "/tmp/test-token.XXXXXX";

static void
tpath(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "%s/%s", tmpdir, name);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * Build a raw payload by hand from the layout documented in token.h, with
 * any field values, including ones box_token_sign would refuse.
 */
static size_t
make_payload(uint8_t *p, int version, const uint8_t id[8], uint64_t issued,
    uint64_t redeem, uint32_t ttl, const char *profile, size_t plen)
{
	p[0] = (uint8_t)version;
	memcpy(p + 1, id, 8);
	put_be(p + 9, issued, 8);
	put_be(p + 17, redeem, 8);
	put_be(p + 25, ttl, 4);
	p[29] = (uint8_t)plen;
	memcpy(p + 30, profile, plen);
	return 30 + plen;
}

/* Sign payload (after the context string) and append the signature. */
static size_t
sign_raw(EVP_PKEY *key, uint8_t *raw, size_t plen)
{
	uint8_t msg[512];
	size_t siglen = 64;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	memcpy(msg, CONTEXT, strlen(CONTEXT));
	memcpy(msg + strlen(CONTEXT), raw, plen);
	if (ctx == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, raw + plen, &siglen, msg,
	    strlen(CONTEXT) + plen) != 1 || siglen != 64)
		abort();
	EVP_MD_CTX_free(ctx);
	return plen + siglen;
}

static void
encode(const uint8_t *raw, size_t len, char *out, size_t outsz)
{
	memcpy(out, "sbx1_", 5);
	if (box_b64_encode(raw, len, out + 5, outsz - 5, 1, 0) < 0)
		abort();
}

static size_t
decode(const char *token, uint8_t *raw, size_t rawsz)
{
	long n = box_b64_decode(token + 5, strlen(token + 5), raw, rawsz, 1);

	if (n < 0)
		abort();
	return (size_t)n;
}

static EVP_PKEY *
new_ed25519(void)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;

	if (c == NULL || EVP_PKEY_keygen_init(c) != 1 ||
	    EVP_PKEY_keygen(c, &k) != 1)
		abort();
	EVP_PKEY_CTX_free(c);
	return k;
}

static void
sample_claims(struct box_token_claims *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->invite_id, sizeof(c->invite_id), "0123456789abcdef");
	snprintf(c->profile, sizeof(c->profile), "dev");
	c->issued_at = 1700000000;
	c->redeem_by = 1700086400;
	c->ttl = 1800;
}

static int
claims_equal(const struct box_token_claims *a,
    const struct box_token_claims *b)
{
	return strcmp(a->invite_id, b->invite_id) == 0 &&
	    strcmp(a->profile, b->profile) == 0 &&
	    a->issued_at == b->issued_at && a->redeem_by == b->redeem_by &&
	    a->ttl == b->ttl && a->has_host_key == b->has_host_key &&
	    (!a->has_host_key || memcmp(a->host_key, b->host_key, 32) == 0);
}

/* Version 2: the bastion's Ed25519 host key pinned, under the signature. */
static void
test_pinned(EVP_PKEY *key, EVP_PKEY *pub)
{
	struct box_token_claims c, got;
	struct box_error err;
	char tok[BOX_TOKEN_MAX + 1], tok2[BOX_TOKEN_MAX + 1];
	uint8_t raw[256];
	size_t n, i;

	sample_claims(&c);
	c.has_host_key = 1;
	for (i = 0; i < 32; i++)
		c.host_key[i] = (uint8_t)(0xa0 + i);
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) == 0,
	    "pinned: sign");
	ok(box_token_verify(pub, tok, &got, &err) == 0 &&
	    claims_equal(&c, &got) && got.has_host_key,
	    "pinned: verify, the host key survives");
	n = decode(tok, raw, sizeof(raw));
	is_int(n, 30 + 3 + 32 + 64, "pinned: raw length");
	ok(raw[0] == 2 && raw[33] == 0xa0 && raw[64] == 0xbf,
	    "pinned: version 2, the key after the profile");
	ok(box_token_peek(tok, &got, &err) == 0 && got.has_host_key &&
	    memcmp(got.host_key, c.host_key, 32) == 0,
	    "pinned: peek reads the key (box-proxy pins it)");
	/* Another host key under the same signature: refused. */
	raw[40] ^= 1;
	{
		char b64[240];

		box_b64_encode(raw, n, b64, sizeof(b64), 1, 0);
		snprintf(tok2, sizeof(tok2), "sbx1_%.240s", b64);
	}
	ok(box_token_verify(pub, tok2, &got, &err) < 0 &&
	    err.kind == BOX_E_DENIED, "pinned: a changed host key is refused");
	/* A version 1 token cut to look like a pinned one, and the reverse:
	 * the length says no. */
	raw[40] ^= 1;
	raw[0] = 1;
	{
		char b64[240];

		box_b64_encode(raw, n, b64, sizeof(b64), 1, 0);
		snprintf(tok2, sizeof(tok2), "sbx1_%.240s", b64);
	}
	ok(box_token_peek(tok2, &got, &err) < 0 && err.kind == BOX_E_INPUT,
	    "version 1 with a key's length: refused");
	c.has_host_key = 0;
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) == 0, "unpinned");
	n = decode(tok, raw, sizeof(raw));
	raw[0] = 2;
	{
		char b64[240];

		box_b64_encode(raw, n, b64, sizeof(b64), 1, 0);
		snprintf(tok2, sizeof(tok2), "sbx1_%.240s", b64);
	}
	ok(box_token_peek(tok2, &got, &err) < 0 && err.kind == BOX_E_INPUT,
	    "version 2 without a key: refused");
	/* The longest pinned token fits. */
	memset(c.profile, 'p', BOX_PROFILE_NAME_MAX);
	c.profile[BOX_PROFILE_NAME_MAX] = '\0';
	c.has_host_key = 1;
	c.issued_at = INT64_MAX;
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) == 0 &&
	    strlen(tok) <= BOX_TOKEN_MAX && box_token_verify(pub, tok, &got,
	    &err) == 0 && claims_equal(&c, &got),
	    "the longest pinned token fits and verifies");
}

static void
test_keygen(void)
{
	char priv[256], pub[256], p2[256], u2[256], buf[64];
	struct box_error err;
	EVP_PKEY *k = NULL;
	struct stat st;
	mode_t old;
	int fd;

	tpath(priv, sizeof(priv), "sign.pem");
	tpath(pub, sizeof(pub), "sign.pub");
	old = umask(077);
	ok(box_token_keygen(priv, pub, &err) == 0, "keygen");
	umask(old);
	ok(stat(priv, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "private key mode 0600");
	ok(stat(pub, &st) == 0 && (st.st_mode & 07777) == 0644,
	    "public key mode 0644 despite umask 077");
	ok(box_token_load_private(priv, &k, &err) == 0 && k != NULL,
	    "load private");
	EVP_PKEY_free(k);
	k = NULL;
	ok(box_token_load_public(pub, &k, &err) == 0 && k != NULL,
	    "load public");
	EVP_PKEY_free(k);
	k = NULL;
	ok(box_token_load_private(pub, &k, &err) < 0 && k == NULL,
	    "public key is not a private key");
	ok(box_token_load_public(tmpdir, &k, &err) < 0,
	    "directory refused");

	/* Refuses to overwrite either file; leaves what was there alone. */
	ok(box_token_keygen(priv, pub, &err) < 0, "keygen refuses overwrite");
	ok(box_token_load_private(priv, &k, &err) == 0, "old key still there");
	EVP_PKEY_free(k);
	k = NULL;
	tpath(p2, sizeof(p2), "new.pem");
	ok(box_token_keygen(p2, pub, &err) < 0 && !exists(p2),
	    "existing public key: no private key left behind");
	tpath(u2, sizeof(u2), "new.pub");
	ok(box_token_keygen(priv, u2, &err) < 0 && !exists(u2),
	    "existing private key: no public key written");
	tpath(p2, sizeof(p2), "nodir/new.pem");
	ok(box_token_keygen(p2, u2, &err) < 0 && !exists(u2),
	    "missing directory refused");
	tpath(p2, sizeof(p2), "new.pem");
	tpath(u2, sizeof(u2), "nodir/new.pub");
	ok(box_token_keygen(p2, u2, &err) < 0 && !exists(p2),
	    "unwritable public path: private key removed");

	/* A symlink at the private path is not followed. */
	tpath(p2, sizeof(p2), "link.pem");
	tpath(u2, sizeof(u2), "target");
	if (symlink(u2, p2) < 0)
		abort();
	tpath(buf, sizeof(buf), "x.pub");
	ok(box_token_keygen(p2, buf, &err) < 0 && !exists(u2) &&
	    !exists(buf), "symlink at private path refused");

	/* Loading errors. */
	tpath(p2, sizeof(p2), "garbage.pem");
	if ((fd = open(p2, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, "-----BEGIN PRIVATE KEY-----\nAAAA\n", 33) != 33)
		abort();
	close(fd);
	ok(box_token_load_private(p2, &k, &err) < 0, "garbage PEM refused");
	tpath(p2, sizeof(p2), "missing.pem");
	ok(box_token_load_private(p2, &k, &err) < 0 &&
	    err.kind == BOX_E_NOTFOUND, "missing key file");
	ok(box_token_load_public(p2, &k, &err) < 0, "missing public file");
}

static void
test_rsa_refused(void)
{
	char priv[256], pub[256];
	struct box_error err;
	EVP_PKEY *rsa, *k = NULL;
	char ln[256];
	FILE *f;

	tpath(priv, sizeof(priv), "rsa.pem");
	tpath(pub, sizeof(pub), "rsa.pub");
	if ((rsa = EVP_RSA_gen(2048)) == NULL)
		abort();
	if ((f = fopen(priv, "w")) == NULL ||
	    PEM_write_PrivateKey(f, rsa, NULL, NULL, 0, NULL, NULL) != 1)
		abort();
	fclose(f);
	if ((f = fopen(pub, "w")) == NULL || PEM_write_PUBKEY(f, rsa) != 1)
		abort();
	fclose(f);
	if (geteuid() == 0) {
		/* Root reads only a key of its own that nobody else may read
		 * (fopen made it 0644). */
		ok(box_token_load_private(priv, &k, &err) < 0 && k == NULL &&
		    strstr(err.msg, "must be a file of root's alone") != NULL,
		    "root refuses a signing key others may read");
		tpath(ln, sizeof(ln), "rsa.link");
		chmod(priv, 0600);
		ok(link(priv, ln) == 0 && box_token_load_private(priv, &k,
		    &err) < 0 && k == NULL && strstr(err.msg, "one link") !=
		    NULL, "root refuses a signing key with a second link");
		unlink(ln);
	} else {
		skip(2, "the signing key's owner and mode are checked for root "
		    "only");
	}
	chmod(priv, 0600);
	ok(box_token_load_private(priv, &k, &err) < 0 && k == NULL &&
	    strstr(err.msg, "Ed25519") != NULL, "RSA private key refused");
	ok(box_token_load_public(pub, &k, &err) < 0 && k == NULL,
	    "RSA public key refused");
	{
		struct box_token_claims c;
		char tok[BOX_TOKEN_MAX + 1];

		sample_claims(&c);
		ok(box_token_sign(rsa, &c, tok, sizeof(tok), &err) < 0,
		    "sign with RSA key refused");
		ok(box_token_verify(rsa, "sbx1_AAAA", &c, &err) < 0,
		    "verify with RSA key refused");
	}
	EVP_PKEY_free(rsa);
}

static void
test_encrypted_refused(void)
{
	char path[256];
	struct box_error err;
	EVP_PKEY *ed, *k = NULL;
	FILE *f;

	tpath(path, sizeof(path), "enc.pem");
	ed = new_ed25519();
	if ((f = fopen(path, "w")) == NULL ||
	    PEM_write_PrivateKey(f, ed, EVP_aes_256_cbc(),
	    (unsigned char *)"secret", 6, NULL, NULL) != 1)
		abort();
	fclose(f);
	ok(box_token_load_private(path, &k, &err) < 0 && k == NULL,
	    "encrypted private key refused without a prompt");
	EVP_PKEY_free(ed);
}

static void
test_round_trip(EVP_PKEY *key, EVP_PKEY *pub)
{
	struct box_token_claims c, got;
	struct box_error err;
	char tok[BOX_TOKEN_MAX + 1], tok2[BOX_TOKEN_MAX + 1];
	uint8_t raw[256];
	size_t n;

	sample_claims(&c);
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) == 0, "sign");
	ok(strncmp(tok, "sbx1_", 5) == 0, "prefix");
	ok(box_token_verify(pub, tok, &got, &err) == 0, "verify");
	ok(claims_equal(&c, &got), "claims survive");
	ok(box_token_verify(key, tok, &got, &err) == 0,
	    "verify with the private key object");

	/* The bytes follow the documented layout. */
	n = decode(tok, raw, sizeof(raw));
	is_int(n, 30 + 3 + 64, "raw length");
	ok(raw[0] == 1 && raw[1] == 0x01 && raw[8] == 0xef &&
	    raw[29] == 3 && memcmp(raw + 30, "dev", 3) == 0 &&
	    raw[25] == 0 && raw[26] == 0 && raw[27] == 0x07 &&
	    raw[28] == 0x08, "payload layout");

	/* Peeking reads the same claims, and does not care about the
	 * signature (box-proxy has no key); it still refuses bad forms. */
	ok(box_token_peek(tok, &got, &err) == 0 && claims_equal(&c, &got),
	    "peek reads the claims");
	box_strlcpy(tok2, tok, sizeof(tok2));
	tok2[strlen(tok2) - 2] = tok2[strlen(tok2) - 2] == 'A' ? 'B' : 'A';
	ok(box_token_peek(tok2, &got, &err) == 0 &&
	    box_token_verify(pub, tok2, &got, &err) < 0,
	    "peek ignores the signature, verify does not");
	ok(box_token_peek("sbx1_AAAA", &got, &err) < 0 &&
	    err.kind == BOX_E_INPUT, "peek refuses a short token");
	ok(box_token_peek("xyz", &got, &err) < 0, "peek refuses a non-token");
	ok(box_token_peek(NULL, &got, &err) < 0, "peek refuses NULL");

	/* Ed25519 is deterministic: same claims, same token. */
	ok(box_token_sign(key, &c, tok2, sizeof(tok2), &err) == 0 &&
	    strcmp(tok, tok2) == 0, "deterministic");

	/* Extremes. */
	memset(c.profile, 'p', BOX_PROFILE_NAME_MAX);
	c.profile[BOX_PROFILE_NAME_MAX] = '\0';
	c.ttl = 366LL * 86400;
	c.redeem_by = 0;
	c.issued_at = INT64_MAX;
	snprintf(c.invite_id, sizeof(c.invite_id), "ffffffffffffffff");
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) == 0 &&
	    strlen(tok) <= BOX_TOKEN_MAX, "longest token fits");
	ok(box_token_verify(pub, tok, &got, &err) == 0 &&
	    claims_equal(&c, &got), "longest token verifies");
	ok(box_token_sign(key, &c, tok, strlen(tok), &err) < 0 &&
	    tok[0] == '\0', "short output buffer refused");
	c.ttl = 1;
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) == 0 &&
	    box_token_verify(pub, tok, &got, &err) == 0 && got.ttl == 1,
	    "ttl 1");
}

static void
test_sign_refuses(EVP_PKEY *key)
{
	struct box_token_claims c;
	struct box_error err;
	char tok[BOX_TOKEN_MAX + 1];
	static const char *bad_ids[] = { "", "0123456789ABCDEF",
	    "0123456789abcde", "0123456789abcdeg", "0123456789abcde ",
	    "-123456789abcdef" };
	static const char *bad_profiles[] = { "", ".dev", "-dev", "a b",
	    "a/b", "d\xc3\xa9v", "x\n" };
	size_t i;
	int bad;

	for (bad = 0, i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		sample_claims(&c);
		snprintf(c.invite_id, sizeof(c.invite_id), "%s", bad_ids[i]);
		if (box_token_sign(key, &c, tok, sizeof(tok), &err) == 0 ||
		    err.kind != BOX_E_INPUT)
			bad++;
	}
	is_int(bad, 0, "bad invite ids refused by sign");
	for (bad = 0, i = 0;
	    i < sizeof(bad_profiles) / sizeof(bad_profiles[0]); i++) {
		sample_claims(&c);
		snprintf(c.profile, sizeof(c.profile), "%s", bad_profiles[i]);
		if (box_token_sign(key, &c, tok, sizeof(tok), &err) == 0)
			bad++;
	}
	is_int(bad, 0, "bad profile names refused by sign");
	sample_claims(&c);
	memset(c.profile, 'p', sizeof(c.profile));
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) < 0,
	    "unterminated 33-byte profile refused");
	sample_claims(&c);
	c.ttl = 0;
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) < 0, "ttl 0");
	c.ttl = 366LL * 86400 + 1;
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) < 0,
	    "ttl over 366 days");
	c.ttl = -5;
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) < 0,
	    "negative ttl");
	sample_claims(&c);
	c.issued_at = -1;
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) < 0,
	    "negative issued_at");
	sample_claims(&c);
	c.redeem_by = -1;
	ok(box_token_sign(key, &c, tok, sizeof(tok), &err) < 0,
	    "negative redeem_by");
	ok(box_token_sign(NULL, &c, tok, sizeof(tok), &err) < 0, "NULL key");
}

/* Verify a hand-built, correctly signed token; returns the error kind. */
static int
verify_built(EVP_PKEY *key, EVP_PKEY *pub, int version, uint64_t issued,
    uint32_t ttl, const char *profile, size_t plen)
{
	static const uint8_t id[8] = { 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3 };
	struct box_token_claims got;
	struct box_error err;
	uint8_t raw[512];
	char tok[1024];
	size_t n;

	n = make_payload(raw, version, id, issued, 0, ttl, profile, plen);
	n = sign_raw(key, raw, n);
	encode(raw, n, tok, sizeof(tok));
	if (box_token_verify(pub, tok, &got, &err) == 0)
		return BOX_E_NONE;
	return err.kind;
}

static void
test_verify_refuses(EVP_PKEY *key, EVP_PKEY *pub)
{
	struct box_token_claims c, got;
	struct box_error err;
	char tok[BOX_TOKEN_MAX + 1], bad[1024], longp[40];
	uint8_t raw[512], flip[512];
	size_t n, i, j;
	int wrong;
	EVP_PKEY *other;

	/* The hand builder agrees with the library. */
	is_int(verify_built(key, pub, 1, 5, 60, "dev", 3), BOX_E_NONE,
	    "hand-built token verifies");
	ok(box_token_verify(pub, "sbx1_", &got, &err) < 0, "empty body");
	{
		static const uint8_t id[8] = { 0xde, 0xad, 0xbe, 0xef, 0, 1,
		    2, 3 };

		n = make_payload(raw, 1, id, 5, 0, 60, "dev", 3);
		n = sign_raw(key, raw, n);
		encode(raw, n, bad, sizeof(bad));
		ok(box_token_verify(pub, bad, &got, &err) == 0 &&
		    strcmp(got.invite_id, "deadbeef00010203") == 0,
		    "invite id is 16 lowercase hex");
	}

	is_int(verify_built(key, pub, 2, 5, 60, "dev", 3), BOX_E_INPUT,
	    "version 2 refused");
	is_int(verify_built(key, pub, 0, 5, 60, "dev", 3), BOX_E_INPUT,
	    "version 0 refused");
	is_int(verify_built(key, pub, 1, 5, 0, "dev", 3), BOX_E_INPUT,
	    "signed ttl 0 refused");
	is_int(verify_built(key, pub, 1, 5, 366 * 86400 + 1, "dev", 3),
	    BOX_E_INPUT, "signed ttl over 366 days refused");
	is_int(verify_built(key, pub, 1, 5, 366 * 86400, "dev", 3),
	    BOX_E_NONE, "signed ttl of 366 days accepted");
	is_int(verify_built(key, pub, 1, 5, 0xffffffffu, "dev", 3),
	    BOX_E_INPUT, "signed ttl 2^32-1 refused");
	is_int(verify_built(key, pub, 1, (uint64_t)1 << 63, 60, "dev", 3),
	    BOX_E_INPUT, "signed issued_at over INT64_MAX refused");
	is_int(verify_built(key, pub, 1, 5, 60, ".hidden", 7), BOX_E_INPUT,
	    "signed profile .hidden refused");
	is_int(verify_built(key, pub, 1, 5, 60, "a b", 3), BOX_E_INPUT,
	    "signed profile with space refused");
	is_int(verify_built(key, pub, 1, 5, 60, "de\0v", 4), BOX_E_INPUT,
	    "signed profile with NUL refused");
	is_int(verify_built(key, pub, 1, 5, 60, "de\nv", 4), BOX_E_INPUT,
	    "signed profile with newline refused");
	is_int(verify_built(key, pub, 1, 5, 60, "", 0), BOX_E_INPUT,
	    "signed empty profile refused");
	memset(longp, 'p', sizeof(longp));
	is_int(verify_built(key, pub, 1, 5, 60, longp, 33), BOX_E_INPUT,
	    "signed 33-byte profile refused");
	is_int(verify_built(key, pub, 1, 5, 60, longp, 32), BOX_E_NONE,
	    "signed 32-byte profile accepted");

	sample_claims(&c);
	if (box_token_sign(key, &c, tok, sizeof(tok), &err) < 0)
		abort();
	n = decode(tok, raw, sizeof(raw));

	/* Prefix. */
	snprintf(bad, sizeof(bad), "sbx2_%s", tok + 5);
	ok(box_token_verify(pub, bad, &got, &err) < 0 &&
	    err.kind == BOX_E_INPUT, "wrong prefix");
	snprintf(bad, sizeof(bad), "SBX1_%s", tok + 5);
	ok(box_token_verify(pub, bad, &got, &err) < 0, "uppercase prefix");
	ok(box_token_verify(pub, tok + 5, &got, &err) < 0, "no prefix");
	ok(box_token_verify(pub, "", &got, &err) < 0, "empty token");
	ok(box_token_verify(pub, NULL, &got, &err) < 0, "NULL token");
	snprintf(bad, sizeof(bad), " %s", tok);
	ok(box_token_verify(pub, bad, &got, &err) < 0, "leading space");
	snprintf(bad, sizeof(bad), "%s\n", tok);
	ok(box_token_verify(pub, bad, &got, &err) < 0, "trailing newline");

	/* Encoding. */
	snprintf(bad, sizeof(bad), "%s", tok);
	bad[10] = '+';
	ok(box_token_verify(pub, bad, &got, &err) < 0 &&
	    err.kind == BOX_E_INPUT, "standard base64 char refused");
	snprintf(bad, sizeof(bad), "%s=", tok);
	ok(box_token_verify(pub, bad, &got, &err) < 0, "padding refused");
	snprintf(bad, sizeof(bad), "%s", tok);
	bad[20] = '!';
	ok(box_token_verify(pub, bad, &got, &err) < 0, "bad char refused");

	/* Length. */
	for (wrong = 0, i = 0; i < n; i++) {
		encode(raw, i, bad, sizeof(bad));
		if (box_token_verify(pub, bad, &got, &err) == 0)
			wrong++;
	}
	is_int(wrong, 0, "every truncation refused");
	memcpy(flip, raw, n);
	flip[n] = 0;
	encode(flip, n + 1, bad, sizeof(bad));
	ok(box_token_verify(pub, bad, &got, &err) < 0 &&
	    err.kind == BOX_E_INPUT, "trailing garbage refused");
	memset(bad, 'A', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	memcpy(bad, "sbx1_", 5);
	ok(box_token_verify(pub, bad, &got, &err) < 0 &&
	    strstr(err.msg, "too long") != NULL, "overlong token refused");
	bad[BOX_TOKEN_MAX] = '\0';
	ok(box_token_verify(pub, bad, &got, &err) < 0, "256-char junk refused");

	/* Every single bit flip of payload and signature. */
	for (wrong = 0, i = 0; i < n; i++) {
		for (j = 0; j < 8; j++) {
			memcpy(flip, raw, n);
			flip[i] ^= (uint8_t)(1 << j);
			encode(flip, n, bad, sizeof(bad));
			if (box_token_verify(pub, bad, &got, &err) == 0)
				wrong++;
			else if (i >= n - 64 && err.kind != BOX_E_DENIED)
				wrong++;
		}
	}
	is_int(wrong, 0, "every bit flip refused (signature: denied)");
	memcpy(flip, raw, n);
	flip[35] ^= 1;
	encode(flip, n, bad, sizeof(bad));
	ok(box_token_verify(pub, bad, &got, &err) < 0 &&
	    err.kind == BOX_E_DENIED && got.ttl == 0 && got.profile[0] == '\0',
	    "tampered profile denied, no claims returned");

	other = new_ed25519();
	ok(box_token_verify(other, tok, &got, &err) < 0 &&
	    err.kind == BOX_E_DENIED, "another key's token denied");
	EVP_PKEY_free(other);
	ok(box_token_verify(NULL, tok, &got, &err) < 0, "NULL key refused");
}

static void
test_hash(void)
{
	char h[BOX_TOKEN_HASH_LEN + 1], h2[BOX_TOKEN_HASH_LEN + 1];

	box_token_hash("abc", h);
	is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f"
	    "20015ad", "sha256 of abc");
	box_token_hash("abd", h2);
	ok(box_token_hash_equal(h, h), "equal");
	ok(!box_token_hash_equal(h, h2), "different");
	memcpy(h2, h, sizeof(h));
	h2[63] = h[63] == '0' ? '1' : '0';
	ok(!box_token_hash_equal(h, h2), "last char differs");
	h2[63] = '\0';
	ok(!box_token_hash_equal(h, h2), "different lengths");
	ok(!box_token_hash_equal(h, NULL), "NULL");
	ok(!box_token_hash_equal("", ""), "empty strings never match");
}

int
main(void)
{
	char priv[256], pub[256], cmd[300];
	struct box_error err;
	EVP_PKEY *key = NULL, *pk = NULL;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_keygen();
	test_rsa_refused();
	test_encrypted_refused();
	tpath(priv, sizeof(priv), "sign.pem");
	tpath(pub, sizeof(pub), "sign.pub");
	if (box_token_load_private(priv, &key, &err) < 0 ||
	    box_token_load_public(pub, &pk, &err) < 0) {
		ok(0, "load keys");
		diag("%s", err.msg);
	} else {
		test_round_trip(key, pk);
		test_pinned(key, pk);
		test_sign_refuses(key);
		test_verify_refuses(key, pk);
	}
	test_hash();
	EVP_PKEY_free(key);
	EVP_PKEY_free(pk);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		diag("cannot remove %s", tmpdir);
	return tap_done();
}
