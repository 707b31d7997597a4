/* OpenSSH public keys: strict parsing of the wire format and fingerprints. */
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "core/log.h"
#include "auth/sshkey.h"
#include "core/util.h"

#define AUTH_INFO_MAX		(64 * 1024)
#define MPINT_MAX		(16384 / 8 + 1)	/* as OpenSSH's bignum limit */
#define RSA_MIN_BITS		2048
#define RSA_MAX_BITS		16384
#define SK_APPLICATION_MAX	256
#define ED25519_PK_LEN		32
#define FP_PREFIX		"SHA256:"
#define FP_B64_LEN		43

enum keyclass {
	KC_ED25519,
	KC_ECDSA,
	KC_RSA,
};

static const struct keytype {
	const char	*name;
	enum keyclass	 kc;
	int		 sk;
	const char	*curve;		/* ECDSA curve name in the blob */
	int		 nid;
	size_t		 pointlen;	/* uncompressed point: 1 + 2 * field */
} keytypes[] = {
	{ "ssh-ed25519", KC_ED25519, 0, NULL, 0, 0 },
	{ "sk-ssh-ed25519@openssh.com", KC_ED25519, 1, NULL, 0, 0 },
	{ "ecdsa-sha2-nistp256", KC_ECDSA, 0, "nistp256",
	    NID_X9_62_prime256v1, 65 },
	{ "ecdsa-sha2-nistp384", KC_ECDSA, 0, "nistp384", NID_secp384r1, 97 },
	{ "ecdsa-sha2-nistp521", KC_ECDSA, 0, "nistp521", NID_secp521r1, 133 },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", KC_ECDSA, 1, "nistp256",
	    NID_X9_62_prime256v1, 65 },
	{ "ssh-rsa", KC_RSA, 0, NULL, 0, 0 },
};

/* A read cursor over untrusted bytes; every getter checks what is left. */
struct reader {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
};

static int
rd_u32(struct reader *r, uint32_t *v)
{
	if (r->len - r->off < 4)
		return -1;
	*v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
	    (uint32_t)r->p[r->off + 2] << 8 | (uint32_t)r->p[r->off + 3];
	r->off += 4;
	return 0;
}

static int
rd_string(struct reader *r, const uint8_t **s, size_t *slen)
{
	uint32_t n;

	if (rd_u32(r, &n) < 0 || n > r->len - r->off)
		return -1;
	*s = r->p + r->off;
	*slen = n;
	r->off += n;
	return 0;
}

/* 1 if the next string is exactly want, 0 if another string, -1 if short. */
static int
rd_string_is(struct reader *r, const char *want)
{
	const uint8_t *s;
	size_t n;

	if (rd_string(r, &s, &n) < 0)
		return -1;
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

/*
 * A positive mpint in minimal two's complement form.  Returns the
 * magnitude without its sign byte.  Zero (an empty string) is refused.
 */
static int
rd_mpint_pos(struct reader *r, const uint8_t **s, size_t *slen,
    const char **why)
{
	const uint8_t *p;
	size_t n;

	if (rd_string(r, &p, &n) < 0) {
		*why = "truncated integer";
		return -1;
	}
	if (n == 0) {
		*why = "zero integer";
		return -1;
	}
	if (n > MPINT_MAX) {
		*why = "integer too large";
		return -1;
	}
	if (p[0] & 0x80) {
		*why = "negative integer";
		return -1;
	}
	if (p[0] == 0) {
		if (n == 1 || (p[1] & 0x80) == 0) {
			*why = "non-minimal integer";
			return -1;
		}
		p++;
		n--;
	}
	*s = p;
	*slen = n;
	return 0;
}

static size_t
mag_bits(const uint8_t *p, size_t n)
{
	size_t bits = n * 8;
	uint8_t top = p[0];

	while ((top & 0x80) == 0) {
		top <<= 1;
		bits--;
	}
	return bits;
}

static const struct keytype *
lookup_type(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(keytypes) / sizeof(keytypes[0]); i++)
		if (strcmp(type, keytypes[i].name) == 0)
			return &keytypes[i];
	return NULL;
}

static int
check_type_name(const char *type, struct box_error *err)
{
	char safe[80];
	size_t i, n;

	if (type == NULL || type[0] == '\0')
		return box_error_set(err, BOX_E_INPUT, 0, "empty key type");
	n = strnlen(type, BOX_SSHKEY_TYPE_MAX);
	if (n >= BOX_SSHKEY_TYPE_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "key type too long");
	for (i = 0; i < n; i++) {
		char c = type[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '@'))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "bad character in key type \"%.60s\"",
			    box_log_safe(type, safe, sizeof(safe)));
	}
	if (strstr(type, "-cert-") != NULL)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "certificates are not accepted (%.60s)", type);
	if (lookup_type(type) == NULL)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "unsupported key type \"%.60s\"", type);
	return 0;
}

static int
check_ecdsa_point(const struct keytype *kt, const uint8_t *q, size_t qlen)
{
	EC_GROUP *group = NULL;
	EC_POINT *pt = NULL;
	int ret = -1;

	if (qlen != kt->pointlen || q[0] != 0x04)
		return -1;
	if ((group = EC_GROUP_new_by_curve_name(kt->nid)) == NULL ||
	    (pt = EC_POINT_new(group)) == NULL)
		goto out;
	if (EC_POINT_oct2point(group, pt, q, qlen, NULL) != 1 ||
	    EC_POINT_is_at_infinity(group, pt) ||
	    EC_POINT_is_on_curve(group, pt, NULL) != 1)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		ERR_clear_error();
	EC_POINT_free(pt);
	EC_GROUP_free(group);
	return ret;
}

static int
check_sk_application(struct reader *r)
{
	const uint8_t *s;
	size_t i, n;

	if (rd_string(r, &s, &n) < 0 || n == 0 || n > SK_APPLICATION_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return -1;
	return 0;
}

/* The key's own fields after its type name (in a key or a certificate),
 * checked for its type; why says what was wrong. */
static int
check_fields(const struct keytype *kt, struct reader *r, const char **why)
{
	const uint8_t *s, *e, *n;
	size_t slen, elen, nlen, bits;
	int is;

	switch (kt->kc) {
	case KC_ED25519:
		if (rd_string(r, &s, &slen) < 0) {
			*why = "truncated key";
			return -1;
		}
		if (slen != ED25519_PK_LEN) {
			*why = "bad Ed25519 key length";
			return -1;
		}
		break;
	case KC_ECDSA:
		if ((is = rd_string_is(r, kt->curve)) != 1) {
			*why = is < 0 ? "truncated key" : "curve does not "
			    "match key type";
			return -1;
		}
		if (rd_string(r, &s, &slen) < 0) {
			*why = "truncated key";
			return -1;
		}
		if (check_ecdsa_point(kt, s, slen) < 0) {
			*why = "bad ECDSA public point";
			return -1;
		}
		break;
	case KC_RSA:
		if (rd_mpint_pos(r, &e, &elen, why) < 0 ||
		    rd_mpint_pos(r, &n, &nlen, why) < 0)
			return -1;
		if ((e[elen - 1] & 1) == 0 || (elen == 1 && e[0] < 3)) {
			*why = "bad RSA exponent";
			return -1;
		}
		bits = mag_bits(n, nlen);
		if (bits < RSA_MIN_BITS) {
			*why = "RSA key too small (less than 2048 bits)";
			return -1;
		}
		if (bits > RSA_MAX_BITS || (n[nlen - 1] & 1) == 0) {
			*why = "bad RSA modulus";
			return -1;
		}
		break;
	}
	if (kt->sk && check_sk_application(r) < 0) {
		*why = "bad security key application";
		return -1;
	}
	return 0;
}

/* Structural checks of the blob for its type; why says what was wrong. */
static int
check_blob(const struct keytype *kt, const uint8_t *blob, size_t len,
    const char **why)
{
	struct reader r = { blob, len, 0 };
	int is;

	if ((is = rd_string_is(&r, kt->name)) != 1) {
		*why = is < 0 ? "truncated key" : "key type does not match "
		    "the key data";
		return -1;
	}
	if (check_fields(kt, &r, why) < 0)
		return -1;
	if (r.off != r.len) {
		*why = "trailing bytes after key";
		return -1;
	}
	return 0;
}

static int
fingerprint(const uint8_t *blob, size_t len, char *out, size_t outsz)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	size_t plen = strlen(FP_PREFIX);

	if (EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    outsz < plen + 1)
		return -1;
	memcpy(out, FP_PREFIX, plen);
	if (box_b64_encode(md, mdlen, out + plen, outsz - plen, 0, 0) < 0)
		return -1;
	return 0;
}

int
box_sshkey_parse(const char *type, const char *b64, struct box_sshkey *key,
    struct box_error *err)
{
	const struct keytype *kt;
	const char *why = NULL;
	size_t b64len;
	long n;

	memset(key, 0, sizeof(*key));
	if (check_type_name(type, err) < 0)
		return -1;
	kt = lookup_type(type);
	if (b64 == NULL || b64[0] == '\0')
		return box_error_set(err, BOX_E_INPUT, 0, "empty key data");
	b64len = strnlen(b64, BOX_SSHKEY_B64_MAX + 1);
	if (b64len > BOX_SSHKEY_B64_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "key data too long");
	n = box_b64_decode(b64, b64len, key->blob, sizeof(key->blob), 0);
	if (n <= 0) {
		memset(key, 0, sizeof(*key));
		return box_error_set(err, BOX_E_INPUT, 0,
		    "%s key: bad base64", kt->name);
	}
	key->bloblen = (size_t)n;
	if (check_blob(kt, key->blob, key->bloblen, &why) < 0) {
		memset(key, 0, sizeof(*key));
		return box_error_set(err, BOX_E_INPUT, 0, "%s key: %s",
		    kt->name, why);
	}
	if (fingerprint(key->blob, key->bloblen, key->fp,
	    sizeof(key->fp)) < 0) {
		memset(key, 0, sizeof(*key));
		return box_error_set(err, BOX_E_INTERNAL, 0,
		    "cannot compute key fingerprint");
	}
	box_strlcpy(key->type, kt->name, sizeof(key->type));
	return 0;
}


static int
rd_u64(struct reader *r, uint64_t *v)
{
	uint32_t hi, lo;

	if (rd_u32(r, &hi) < 0 || rd_u32(r, &lo) < 0)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* A string of printable ASCII (no blank or ',' with strict), bounded. */
static int
rd_text(struct reader *r, char *out, size_t outsz, int strict)
{
	const uint8_t *s;
	size_t n, i;

	if (rd_string(r, &s, &n) < 0 || n >= outsz)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || (strict && (s[i] == ' ' ||
		    s[i] == ',')))
			return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* Options or extensions: (name, data) pairs, names in strict order. */
static int
check_options(const uint8_t *p, size_t len)
{
	struct reader r = { p, len, 0 };
	char name[128], prev[128] = "";
	const uint8_t *d;
	size_t dlen;

	while (r.off < r.len) {
		if (rd_text(&r, name, sizeof(name), 1) < 0 || name[0] == '\0' ||
		    rd_string(&r, &d, &dlen) < 0 ||
		    (prev[0] != '\0' && strcmp(prev, name) >= 0))
			return -1;
		box_strlcpy(prev, name, sizeof(prev));
	}
	return 0;
}

int
box_sshcert_parse(const char *type, const char *b64, struct box_sshcert *cert,
    struct box_error *err)
{
	char base[BOX_SSHKEY_TYPE_MAX];
	const struct keytype *kt, *cakt;
	const uint8_t *s, *fields, *opts, *exts, *ca;
	size_t n, tlen, slen = strlen(BOX_CERT_SUFFIX), fstart, b64len;
	size_t olen, elen, calen;
	uint8_t *blob = NULL;
	const char *why = "malformed certificate";
	struct reader r, pr;
	long dec;
	int rc = -1;

	memset(cert, 0, sizeof(*cert));
	if (type == NULL || b64 == NULL)
		return box_error_set(err, BOX_E_INPUT, 0, "empty certificate");
	tlen = strnlen(type, BOX_SSHKEY_TYPE_MAX);
	if (tlen >= BOX_SSHKEY_TYPE_MAX || tlen <= slen ||
	    strcmp(type + tlen - slen, BOX_CERT_SUFFIX) != 0)
		return box_error_set(err, BOX_E_INPUT, 0, "not a certificate "
		    "type");
	memcpy(base, type, tlen - slen);
	base[tlen - slen] = '\0';
	/* sk-ssh-ed25519-cert-v01@openssh.com certifies
	 * sk-ssh-ed25519@openssh.com. */
	if (strncmp(base, "sk-", 3) == 0 && strlen(base) + 13 < sizeof(base))
		strcat(base, "@openssh.com");
	if ((kt = lookup_type(base)) == NULL)
		return box_error_set(err, BOX_E_INPUT, 0, "unsupported "
		    "certificate type");
	b64len = strnlen(b64, BOX_SSHKEY_B64_MAX + 1);
	if (b64len == 0 || b64len > BOX_SSHKEY_B64_MAX)
		return box_error_set(err, BOX_E_INPUT, 0, "certificate data "
		    "empty or too long");
	if ((blob = malloc(BOX_SSHKEY_BLOB_MAX)) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, 0, "out of memory");
	if ((dec = box_b64_decode(b64, b64len, blob, BOX_SSHKEY_BLOB_MAX,
	    0)) <= 0) {
		why = "bad base64";
		goto out;
	}
	r.p = blob;
	r.len = (size_t)dec;
	r.off = 0;
	if (rd_string_is(&r, type) != 1 || rd_string(&r, &s, &n) < 0)
		goto out;		/* type, nonce */
	fstart = r.off;
	if (check_fields(kt, &r, &why) < 0)
		goto out;
	fields = blob + fstart;
	n = r.off - fstart;
	/* The certified key as a plain key: its type, then its fields. */
	if (4 + strlen(kt->name) + n > sizeof(cert->key.blob)) {
		why = "certificate too large";
		goto out;
	}
	why = "malformed certificate";
	cert->key.blob[0] = cert->key.blob[1] = cert->key.blob[2] = 0;
	cert->key.blob[3] = (uint8_t)strlen(kt->name);
	memcpy(cert->key.blob + 4, kt->name, strlen(kt->name));
	memcpy(cert->key.blob + 4 + strlen(kt->name), fields, n);
	cert->key.bloblen = 4 + strlen(kt->name) + n;
	if (rd_u64(&r, &cert->serial) < 0 || rd_u32(&r, &cert->cert_type) < 0 ||
	    (cert->cert_type != BOX_CERT_TYPE_USER &&
	    cert->cert_type != BOX_CERT_TYPE_HOST) ||
	    rd_text(&r, cert->key_id, sizeof(cert->key_id), 0) < 0 ||
	    rd_string(&r, &s, &n) < 0)
		goto out;
	pr.p = s;
	pr.len = n;
	pr.off = 0;
	while (pr.off < pr.len) {
		if (cert->nprincipals == BOX_CERT_PRINCIPALS_MAX) {
			why = "too many principals";
			goto out;
		}
		if (rd_text(&pr, cert->principals[cert->nprincipals],
		    BOX_CERT_NAME_MAX, 1) < 0 ||
		    cert->principals[cert->nprincipals][0] == '\0') {
			why = "bad principal";
			goto out;
		}
		cert->nprincipals++;
	}
	if (rd_u64(&r, &cert->valid_after) < 0 ||
	    rd_u64(&r, &cert->valid_before) < 0 ||
	    cert->valid_before <= cert->valid_after ||
	    rd_string(&r, &opts, &olen) < 0 || check_options(opts, olen) < 0 ||
	    rd_string(&r, &exts, &elen) < 0 || check_options(exts, elen) < 0 ||
	    rd_string(&r, &s, &n) < 0 ||		/* reserved */
	    rd_string(&r, &ca, &calen) < 0 ||
	    rd_string(&r, &s, &n) < 0 || n == 0 ||	/* signature */
	    r.off != r.len)
		goto out;
	/* The CA's key: a key of a known type, never a certificate. */
	{
		struct reader cr = { ca, calen, 0 };
		char catype[BOX_SSHKEY_TYPE_MAX];

		if (rd_text(&cr, catype, sizeof(catype), 1) < 0 ||
		    (cakt = lookup_type(catype)) == NULL ||
		    check_blob(cakt, ca, calen, &why) < 0) {
			why = "bad CA key";
			goto out;
		}
	}
	if (fingerprint(cert->key.blob, cert->key.bloblen, cert->key.fp,
	    sizeof(cert->key.fp)) < 0 ||
	    fingerprint(ca, calen, cert->ca_fp, sizeof(cert->ca_fp)) < 0) {
		why = "cannot compute a fingerprint";
		goto out;
	}
	box_strlcpy(cert->key.type, kt->name, sizeof(cert->key.type));
	box_strlcpy(cert->type, type, sizeof(cert->type));
	rc = 0;
out:
	free(blob);
	if (rc < 0) {
		memset(cert, 0, sizeof(*cert));
		return box_error_set(err, BOX_E_INPUT, 0, "certificate: %s",
		    why);
	}
	return 0;
}

int
box_sshauth_parse(const char *text, size_t len, struct box_sshkey *key,
    struct box_sshcert *cert, int *is_cert, struct box_error *err)
{
	static const char method[] = "publickey ";
	const size_t mlen = sizeof(method) - 1;
	char type[BOX_SSHKEY_TYPE_MAX];
	_cleanup_free_ char *b64 = NULL;
	const char *line, *end, *sp, *kb;
	size_t pos, llen, tlen, blen;
	int found = 0;

	memset(key, 0, sizeof(*key));
	if (is_cert != NULL)
		*is_cert = 0;
	if (text == NULL || len == 0)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "empty authentication info");
	if (len > AUTH_INFO_MAX)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "authentication info too long");
	if (memchr(text, '\0', len) != NULL)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "NUL byte in authentication info");
	if ((b64 = malloc(BOX_SSHKEY_B64_MAX + 1)) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, 0, "out of memory");
	for (pos = 0; pos < len; pos += llen + 1) {
		line = text + pos;
		end = memchr(line, '\n', len - pos);
		llen = end != NULL ? (size_t)(end - line) : len - pos;
		if (llen < mlen || memcmp(line, method, mlen) != 0) {
			if (llen == mlen - 1 &&
			    memcmp(line, method, mlen - 1) == 0)
				return box_error_set(err, BOX_E_INPUT, 0,
				    "publickey line without a key");
			continue;
		}
		if (found++)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "more than one publickey line in "
			    "authentication info");
		sp = memchr(line + mlen, ' ', llen - mlen);
		if (sp == NULL)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "malformed publickey line");
		tlen = (size_t)(sp - (line + mlen));
		kb = sp + 1;
		blen = llen - mlen - tlen - 1;
		if (tlen == 0 || tlen >= sizeof(type))
			return box_error_set(err, BOX_E_INPUT, 0,
			    "bad key type in publickey line");
		if (blen == 0 || blen > BOX_SSHKEY_B64_MAX ||
		    memchr(kb, ' ', blen) != NULL)
			return box_error_set(err, BOX_E_INPUT, 0,
			    "malformed publickey line");
		memcpy(type, line + mlen, tlen);
		type[tlen] = '\0';
		memcpy(b64, kb, blen);
		b64[blen] = '\0';
	}
	if (!found)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "no publickey line in authentication info");
	if (cert != NULL && is_cert != NULL && tlen > strlen(BOX_CERT_SUFFIX) &&
	    strcmp(type + tlen - strlen(BOX_CERT_SUFFIX), BOX_CERT_SUFFIX) ==
	    0) {
		if (box_sshcert_parse(type, b64, cert, err) < 0)
			return -1;
		*key = cert->key;
		*is_cert = 1;
		return 0;
	}
	return box_sshkey_parse(type, b64, key, err);
}

int
box_sshkey_from_auth_info(const char *text, size_t len,
    struct box_sshkey *key, struct box_error *err)
{
	return box_sshauth_parse(text, len, key, NULL, NULL, err);
}

int
box_sshkey_format(const struct box_sshkey *key, char *out, size_t outsz)
{
	size_t tlen = strnlen(key->type, sizeof(key->type));

	if (tlen == 0 || tlen >= sizeof(key->type) ||
	    key->bloblen > sizeof(key->blob) || outsz < tlen + 2)
		return -1;
	memcpy(out, key->type, tlen);
	out[tlen] = ' ';
	if (box_b64_encode(key->blob, key->bloblen, out + tlen + 1,
	    outsz - tlen - 1, 0, 1) < 0) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

int
box_sshkey_valid_fp(const char *fp)
{
	char buf[FP_B64_LEN + 2];
	uint8_t md[32];
	size_t plen = strlen(FP_PREFIX);

	if (fp == NULL || strncmp(fp, FP_PREFIX, plen) != 0 ||
	    strnlen(fp + plen, FP_B64_LEN + 1) != FP_B64_LEN)
		return 0;
	memcpy(buf, fp + plen, FP_B64_LEN);
	buf[FP_B64_LEN] = '=';
	buf[FP_B64_LEN + 1] = '\0';
	return box_b64_decode(buf, FP_B64_LEN + 1, md, sizeof(md), 0) ==
	    (long)sizeof(md);
}
