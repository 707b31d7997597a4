/* Invite tokens: Ed25519 signing and strict verification of claims. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "auth/token.h"
#include "core/util.h"

#define TOKEN_VERSION		1
#define TOKEN_VERSION_PIN	2	/* and the bastion's Ed25519 host key */
#define HOST_KEY_LEN		32
#define TOKEN_CONTEXT		"sshbox-invite-v1"
#define TOKEN_SIG_LEN		64
#define PAYLOAD_FIXED		(1 + 8 + 8 + 8 + 4 + 1)
#define PAYLOAD_MAX		(PAYLOAD_FIXED + BOX_PROFILE_NAME_MAX + \
				 HOST_KEY_LEN)
#define RAW_MIN			(PAYLOAD_FIXED + 1 + TOKEN_SIG_LEN)
#define RAW_MAX			(PAYLOAD_MAX + TOKEN_SIG_LEN)
#define TTL_MAX			(366LL * 86400)
#define KEYFILE_MAX		(16 * 1024)

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
check_claims(const struct box_token_claims *c, struct box_error *err)
{
	size_t i;

	if (strnlen(c->invite_id, sizeof(c->invite_id)) != BOX_ID_LEN)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invite id must be %d hex digits", BOX_ID_LEN);
	for (i = 0; i < BOX_ID_LEN; i++)
		if (hexval((unsigned char)c->invite_id[i]) < 0)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "invite id must be lowercase hex");
	if (strnlen(c->profile, sizeof(c->profile)) > BOX_PROFILE_NAME_MAX ||
	    !box_valid_name(c->profile, BOX_PROFILE_NAME_MAX))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "bad profile name in token claims");
	if (c->issued_at < 0 || c->redeem_by < 0)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "negative time in token claims");
	if (c->ttl < 1 || c->ttl > TTL_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "token ttl out of range (1s to 366d)");
	return 0;
}

static int
check_ed25519(EVP_PKEY *key, struct box_error *err)
{
	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
		return box_error_set(err, BOX_E_INTERNAL, 0,
		    "token key is not an Ed25519 key");
	return 0;
}

/* The signed message: context string followed by the payload. */
static size_t
signed_message(uint8_t *msg, const uint8_t *payload, size_t plen)
{
	size_t clen = strlen(TOKEN_CONTEXT);

	memcpy(msg, TOKEN_CONTEXT, clen);
	memcpy(msg + clen, payload, plen);
	return clen + plen;
}

int
box_token_sign(EVP_PKEY *key, const struct box_token_claims *claims,
    char *out, size_t outsz, struct box_error *err)
{
	uint8_t raw[RAW_MAX], msg[sizeof(TOKEN_CONTEXT) + PAYLOAD_MAX];
	size_t i, plen, prof, mlen, siglen = TOKEN_SIG_LEN;
	size_t pfx = strlen(BOX_TOKEN_PREFIX);
	EVP_MD_CTX *ctx = NULL;
	int ret = -1;

	if (outsz > 0)
		out[0] = '\0';
	if (check_ed25519(key, err) < 0 || check_claims(claims, err) < 0)
		return -1;
	prof = strlen(claims->profile);
	raw[0] = TOKEN_VERSION;
	for (i = 0; i < 8; i++)
		raw[1 + i] = (uint8_t)(hexval(claims->invite_id[2 * i]) << 4 |
		    hexval(claims->invite_id[2 * i + 1]));
	put_be(raw + 9, (uint64_t)claims->issued_at, 8);
	put_be(raw + 17, (uint64_t)claims->redeem_by, 8);
	put_be(raw + 25, (uint64_t)claims->ttl, 4);
	raw[29] = (uint8_t)prof;
	memcpy(raw + PAYLOAD_FIXED, claims->profile, prof);
	plen = PAYLOAD_FIXED + prof;
	if (claims->has_host_key) {
		raw[0] = TOKEN_VERSION_PIN;
		memcpy(raw + plen, claims->host_key, HOST_KEY_LEN);
		plen += HOST_KEY_LEN;
	}
	mlen = signed_message(msg, raw, plen);

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, raw + plen, &siglen, msg, mlen) != 1 ||
	    siglen != TOKEN_SIG_LEN) {
		box_error_set(err, BOX_E_INTERNAL, 0, "cannot sign token");
		goto out;
	}
	if (outsz < pfx + 1 ||
	    box_b64_encode(raw, plen + siglen, out + pfx, outsz - pfx, 1,
	    0) < 0) {
		box_error_set(err, BOX_E_INTERNAL, 0,
		    "token buffer too small");
		goto out;
	}
	memcpy(out, BOX_TOKEN_PREFIX, pfx);
	ret = 0;
out:
	if (ret < 0 && outsz > 0)
		out[0] = '\0';
	EVP_MD_CTX_free(ctx);
	return ret;
}

/*
 * Check the token's form and extract its claims without looking at the
 * signature: raw gets the decoded bytes, *plen the payload length.
 */
static int
token_decode(const char *token, uint8_t raw[BOX_TOKEN_MAX], size_t *plen,
    struct box_token_claims *c, struct box_error *err)
{
	size_t i, tlen, prof, pfx = strlen(BOX_TOKEN_PREFIX);
	uint64_t issued, redeem;
	long n;

	memset(c, 0, sizeof(*c));
	if (token == NULL || strncmp(token, BOX_TOKEN_PREFIX, pfx) != 0)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "not an sshbox invite token");
	tlen = strnlen(token, BOX_TOKEN_MAX + 1);
	if (tlen > BOX_TOKEN_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invite token too long");
	n = box_b64_decode(token + pfx, tlen - pfx, raw, BOX_TOKEN_MAX, 1);
	if (n < 0)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invite token is not valid base64url");
	if (n < RAW_MIN || n > RAW_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invite token has the wrong length");
	if (raw[0] != TOKEN_VERSION && raw[0] != TOKEN_VERSION_PIN)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "unsupported invite token version %u", raw[0]);
	prof = raw[29];
	if (prof < 1 || prof > BOX_PROFILE_NAME_MAX ||
	    (size_t)n != PAYLOAD_FIXED + prof + (raw[0] == TOKEN_VERSION_PIN ?
	    HOST_KEY_LEN : 0) + TOKEN_SIG_LEN)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invite token has the wrong length");
	*plen = PAYLOAD_FIXED + prof;
	if (raw[0] == TOKEN_VERSION_PIN) {
		c->has_host_key = 1;
		memcpy(c->host_key, raw + *plen, HOST_KEY_LEN);
		*plen += HOST_KEY_LEN;
	}
	for (i = 0; i < 8; i++) {
		c->invite_id[2 * i] = "0123456789abcdef"[raw[1 + i] >> 4];
		c->invite_id[2 * i + 1] = "0123456789abcdef"[raw[1 + i] & 15];
	}
	c->invite_id[BOX_ID_LEN] = '\0';
	issued = get_be(raw + 9, 8);
	redeem = get_be(raw + 17, 8);
	if (issued > INT64_MAX || redeem > INT64_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invite token has a bad time");
	c->issued_at = (int64_t)issued;
	c->redeem_by = (int64_t)redeem;
	c->ttl = (int64_t)get_be(raw + 25, 4);
	if (memchr(raw + PAYLOAD_FIXED, '\0', prof) != NULL)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "bad profile name in token claims");
	memcpy(c->profile, raw + PAYLOAD_FIXED, prof);
	c->profile[prof] = '\0';
	return 0;
}

int
box_token_verify(EVP_PKEY *pub, const char *token,
    struct box_token_claims *claims, struct box_error *err)
{
	uint8_t raw[BOX_TOKEN_MAX], msg[sizeof(TOKEN_CONTEXT) + PAYLOAD_MAX];
	struct box_token_claims c;
	EVP_MD_CTX *ctx = NULL;
	size_t plen, mlen;
	int ok;

	memset(claims, 0, sizeof(*claims));
	if (check_ed25519(pub, err) < 0)
		return -1;
	if (token_decode(token, raw, &plen, &c, err) < 0)
		return -1;
	mlen = signed_message(msg, raw, plen);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub) != 1) {
		EVP_MD_CTX_free(ctx);
		return box_error_set(err, BOX_E_INTERNAL, 0,
		    "cannot verify token");
	}
	ok = EVP_DigestVerify(ctx, raw + plen, TOKEN_SIG_LEN, msg, mlen);
	EVP_MD_CTX_free(ctx);
	if (ok != 1) {
		ERR_clear_error();
		return box_error_set(err, BOX_E_DENIED, 0,
		    "invite token signature is not valid");
	}
	if (check_claims(&c, err) < 0)
		return -1;
	*claims = c;
	return 0;
}

int
box_token_peek(const char *token, struct box_token_claims *claims,
    struct box_error *err)
{
	uint8_t raw[BOX_TOKEN_MAX];
	struct box_token_claims c;
	size_t plen;

	memset(claims, 0, sizeof(*claims));
	if (token_decode(token, raw, &plen, &c, err) < 0 ||
	    check_claims(&c, err) < 0)
		return -1;
	*claims = c;
	return 0;
}

static int
write_new_file(const char *path, mode_t mode, const char *data, size_t len,
    struct box_error *err)
{
	ssize_t n;
	size_t off = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0)
		return box_error_set(err, errno == EEXIST ? BOX_E_INPUT :
		    BOX_E_INTERNAL, errno, "%s", path);
	if (fchmod(fd, mode) < 0)
		goto fail;
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	box_error_set(err, BOX_E_INTERNAL, errno, "%s", path);
	if (fd >= 0)
		close(fd);
	unlink(path);
	return -1;
}

int
box_token_keygen(const char *priv_path, const char *pub_path,
    struct box_error *err)
{
	EVP_PKEY_CTX *kctx = NULL;
	EVP_PKEY *key = NULL;
	BIO *pbio = NULL, *ubio = NULL;
	char *pdata, *udata;
	long plen = 0, ulen;
	int ret = -1;

	if ((kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(kctx) != 1 ||
	    EVP_PKEY_keygen(kctx, &key) != 1) {
		box_error_set(err, BOX_E_INTERNAL, 0,
		    "cannot generate an Ed25519 key");
		goto out;
	}
	if ((pbio = BIO_new(BIO_s_mem())) == NULL ||
	    (ubio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(pbio, key, NULL, NULL, 0, NULL,
	    NULL) != 1 ||
	    PEM_write_bio_PUBKEY(ubio, key) != 1 ||
	    (plen = BIO_get_mem_data(pbio, &pdata)) <= 0 ||
	    (ulen = BIO_get_mem_data(ubio, &udata)) <= 0) {
		box_error_set(err, BOX_E_INTERNAL, 0,
		    "cannot encode the token key");
		goto out;
	}
	if (write_new_file(priv_path, 0600, pdata, (size_t)plen, err) < 0)
		goto out;
	if (write_new_file(pub_path, 0644, udata, (size_t)ulen, err) < 0) {
		unlink(priv_path);
		goto out;
	}
	ret = 0;
out:
	if (pbio != NULL && plen > 0)
		OPENSSL_cleanse(pdata, (size_t)plen);
	BIO_free(pbio);
	BIO_free(ubio);
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(kctx);
	return ret;
}

/* Encrypted keys are refused rather than prompted for. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/*
 * The signing key as root reads it: root's own, one link, no access for
 * anyone else, as ssh checks its keys.  A key the box account could swap
 * would let it mint invites.
 */
static int
private_key_safe(const char *path, struct box_error *err)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) < 0)
		return box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_CONFIG, errno, "token signing key %.300s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || st.st_uid != 0 || (st.st_mode & 077) != 0) {
		close(fd);
		return box_error_set(err, BOX_E_CONFIG, 0, "token signing key "
		    "%.300s must be a file of root's alone, one link, mode "
		    "0600 (chown root; chmod 600)", path);
	}
	close(fd);
	return 0;
}

static int
load_key(const char *path, int private, EVP_PKEY **out,
    struct box_error *err)
{
	EVP_PKEY *key = NULL;
	char *buf = NULL;
	size_t len = 0;
	BIO *bio;

	*out = NULL;
	if (private && geteuid() == 0 && private_key_safe(path, err) < 0)
		return -1;
	if (box_read_file(path, KEYFILE_MAX, &buf, &len, err) < 0)
		return box_error_wrap(err, "token %s key",
		    private ? "signing" : "public");
	if ((bio = BIO_new_mem_buf(buf, (int)len)) != NULL) {
		key = private ?
		    PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) :
		    PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
	}
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (key == NULL) {
		ERR_clear_error();
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "%s: not a PEM %s key", path,
		    private ? "private" : "public");
	}
	if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "%s: not an Ed25519 key", path);
	}
	*out = key;
	return 0;
}

int
box_token_load_private(const char *path, EVP_PKEY **out,
    struct box_error *err)
{
	return load_key(path, 1, out, err);
}

int
box_token_load_public(const char *path, EVP_PKEY **out,
    struct box_error *err)
{
	return load_key(path, 0, out, err);
}

void
box_token_hash(const char *token, char out[BOX_TOKEN_HASH_LEN + 1])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int i, mdlen = 0;

	if (EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != BOX_TOKEN_HASH_LEN / 2) {
		out[0] = '\0';
		return;
	}
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = "0123456789abcdef"[md[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	out[BOX_TOKEN_HASH_LEN] = '\0';
}

int
box_token_hash_equal(const char *a, const char *b)
{
	size_t alen, blen;

	if (a == NULL || b == NULL)
		return 0;
	alen = strlen(a);
	blen = strlen(b);
	if (alen != blen || alen == 0)
		return 0;
	return CRYPTO_memcmp(a, b, alen) == 0;
}
