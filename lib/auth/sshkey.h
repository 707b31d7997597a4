/*
 * OpenSSH public keys as sshd hands them to us: parsing of the key type and
 * base64 blob (AuthorizedKeysCommand %t %k, or a line of the SSH_USER_AUTH
 * file), structural validation, and the SHA256 fingerprint exactly as
 * "ssh-keygen -lf" prints it ("SHA256:" + unpadded base64 of the digest).
 */
#ifndef BOX_SSHKEY_H
#define BOX_SSHKEY_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define BOX_SSHKEY_TYPE_MAX	64
#define BOX_SSHKEY_BLOB_MAX	8192	/* decoded blob; RSA 16384 fits */
#define BOX_SSHKEY_B64_MAX	11000	/* base64 text of the blob */
#define BOX_FP_MAX		64	/* "SHA256:" + 43 + NUL fits */

struct box_sshkey {
	char	 type[BOX_SSHKEY_TYPE_MAX];	/* e.g. "ssh-ed25519" */
	uint8_t	 blob[BOX_SSHKEY_BLOB_MAX];	/* wire-format public key */
	size_t	 bloblen;
	char	 fp[BOX_FP_MAX];		/* "SHA256:..." */
};

/*
 * Parse a key from its type name and base64 blob.  Accepted types:
 * ssh-ed25519, ecdsa-sha2-nistp{256,384,521}, ssh-rsa (>= 2048 bits),
 * sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com.  The
 * blob must decode strictly, name the same type, be well formed for that
 * type with no trailing bytes.  Fills key including key->fp.  0 or -1
 * (BOX_E_INPUT).
 */
int	box_sshkey_parse(const char *type, const char *b64,
	    struct box_sshkey *key, struct box_error *err);

/*
 * Parse the text of the file named by SSH_USER_AUTH (ExposeAuthInfo):
 * lines "publickey TYPE BASE64" (other methods may appear).  Exactly one
 * publickey line must be present; it is parsed into key.  0 or -1.
 */
int	box_sshkey_from_auth_info(const char *text, size_t len,
	    struct box_sshkey *key, struct box_error *err);

/*
 * Write "TYPE BASE64" (an authorized_keys key, no options) into out.
 * 0, or -1 if outsz is too small.
 */
int	box_sshkey_format(const struct box_sshkey *key, char *out,
	    size_t outsz);

/*
 * OpenSSH certificates (PROTOCOL.certkeys), as sshd hands a staff login's
 * to box-shell after it verified the CA's signature and validity: the
 * certified key and the fields sshbox reads.  Key ids and principals are
 * printable ASCII (principals without ',' or blanks), bounded.
 */
#define BOX_CERT_SUFFIX		"-cert-v01@openssh.com"
#define BOX_CERT_PRINCIPALS_MAX	16
#define BOX_CERT_NAME_MAX	64	/* a principal, NUL too */
#define BOX_CERT_ID_MAX		128	/* a key id, NUL too */
#define BOX_CERT_TYPE_USER	1
#define BOX_CERT_TYPE_HOST	2

struct box_sshcert {
	struct box_sshkey key;		/* the certified key (plain type) */
	char	 type[BOX_SSHKEY_TYPE_MAX];	/* the certificate's type */
	uint64_t serial;
	uint32_t cert_type;		/* BOX_CERT_TYPE_* */
	char	 key_id[BOX_CERT_ID_MAX];
	char	 principals[BOX_CERT_PRINCIPALS_MAX][BOX_CERT_NAME_MAX];
	size_t	 nprincipals;
	uint64_t valid_after, valid_before;	/* unix seconds */
	char	 ca_fp[BOX_FP_MAX];	/* the signing key's fingerprint */
};

/*
 * Parse a certificate from its type name ("ssh-ed25519-cert-v01@...")
 * and base64 blob: every field, the certified key checked as
 * box_sshkey_parse checks a key, the CA's key too, no trailing bytes.
 * The signature itself is not checked here (sshd did).  0 or -1
 * (BOX_E_INPUT).
 */
int	box_sshcert_parse(const char *type, const char *b64,
	    struct box_sshcert *cert, struct box_error *err);

/*
 * box_sshkey_from_auth_info, where the key may be a certificate: then
 * *is_cert is 1 and cert is filled (its key into key as well); else key
 * alone.  cert NULL refuses certificates.
 */
int	box_sshauth_parse(const char *text, size_t len, struct box_sshkey *key,
	    struct box_sshcert *cert, int *is_cert, struct box_error *err);

/* 1 if fp looks like "SHA256:" followed by 43 base64 characters. */
int	box_sshkey_valid_fp(const char *fp);

#endif
