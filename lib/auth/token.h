/*
 * Invite tokens: a versioned, Ed25519-signed blob of claims, printed as
 * "sbx1_" + base64url(payload || signature).  box-invite signs with the
 * private key; box-shell verifies with the public key only.
 *
 * Payload v1 (big-endian): version (1 byte, = 1), invite id (8 bytes),
 * issued-at (8), redeem-by (8, 0 = never), ttl seconds (4), profile length
 * (1, 1..32), profile name.  The signature covers a fixed context string
 * "sshbox-invite-v1" followed by the payload.
 */
#ifndef BOX_TOKEN_H
#define BOX_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/error.h"

#define BOX_TOKEN_PREFIX	"sbx1_"
#define BOX_TOKEN_MAX		256	/* longest token text, without NUL */
#define BOX_ID_LEN		16	/* hex characters of an invite id */
#define BOX_PROFILE_NAME_MAX	32
#define BOX_TOKEN_HASH_LEN	64	/* hex SHA-256 */

struct box_token_claims {
	char	 invite_id[BOX_ID_LEN + 1];	/* 16 lowercase hex */
	char	 profile[BOX_PROFILE_NAME_MAX + 1];
	int64_t	 issued_at;
	int64_t	 redeem_by;			/* 0 = no deadline */
	int64_t	 ttl;				/* seconds, 1..366 days */
	int	 has_host_key;			/* the bastion's host key is
						 * pinned (token version 2) */
	uint8_t	 host_key[32];			/* its Ed25519 public key */
};

/*
 * Create a new Ed25519 key pair: the private key as PKCS#8 PEM at priv_path
 * (mode 0600, created with O_EXCL) and the public key as PEM at pub_path
 * (mode 0644).  0 or -1; on failure no file is left behind.
 */
int	box_token_keygen(const char *priv_path, const char *pub_path,
	    struct box_error *err);

/*
 * Load a PEM private (box_token_load_private) or public key; it must be
 * Ed25519.  *out is freed by the caller with EVP_PKEY_free().  0 or -1.
 */
int	box_token_load_private(const char *path, EVP_PKEY **out,
	    struct box_error *err);
int	box_token_load_public(const char *path, EVP_PKEY **out,
	    struct box_error *err);

/*
 * Sign claims into a token string in out (at least BOX_TOKEN_MAX + 1
 * bytes).  Claims are validated first (hex id, profile name allowlist,
 * ranges).  0 or -1.
 */
int	box_token_sign(EVP_PKEY *key, const struct box_token_claims *claims,
	    char *out, size_t outsz, struct box_error *err);

/*
 * Parse and verify a token against the public key.  Surrounding
 * whitespace is NOT accepted: callers trim.  Checks prefix, length,
 * encoding, version, claim syntax and the signature; does not look at
 * times (the caller compares redeem_by with the clock).  0, or -1 with
 * BOX_E_DENIED (bad signature) or BOX_E_INPUT (malformed).
 */
int	box_token_verify(EVP_PKEY *pub, const char *token,
	    struct box_token_claims *claims, struct box_error *err);

/*
 * Read the claims of a well-formed token WITHOUT checking its signature:
 * for the guest's side (box-proxy), which has no public key and only
 * needs the invite id and times to name and expire its key.  Never use
 * the result to grant anything.  0 or -1 (BOX_E_INPUT).
 */
int	box_token_peek(const char *token, struct box_token_claims *claims,
	    struct box_error *err);

/* Lowercase hex SHA-256 of the token text into out (65 bytes). */
void	box_token_hash(const char *token, char out[BOX_TOKEN_HASH_LEN + 1]);

/* Constant-time comparison of two equal-length strings: 1 if equal. */
int	box_token_hash_equal(const char *a, const char *b);

#endif
