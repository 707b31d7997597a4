/*
 * Invites for guests, made the same way wherever they are made: by
 * box-invite create (root, the signing key read there), and for staff
 * through box-runtime's "sign" (the key never leaves root).
 */
#ifndef BOX_INVITE_H
#define BOX_INVITE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "auth/token.h"
#include "config/config.h"
#include "core/error.h"

/*
 * Sign a new invite for profile with key: a fresh invite id, issued now,
 * redeemable for expires seconds, boxes of ttl seconds, pinning the
 * bastion's host key (cfg->host_key) when it can be read.  A host key the
 * configuration names explicitly must be readable; when the default one
 * is not, *pinned is 0 and note says why.  The token into token (at least
 * BOX_TOKEN_MAX + 1), the claims into claims.  0 or -1.
 */
int	box_invite_sign(const struct box_config *cfg, EVP_PKEY *key,
	    const char *profile, int64_t ttl, int64_t expires, int64_t now,
	    struct box_token_claims *claims, char *token, size_t tokensz,
	    char *note, size_t notesz, struct box_error *err);

/* The commands a guest runs: redeem, connect again, and the one line
 * through box-proxy for a guest with nothing prepared. */
void	box_invite_commands(const struct box_config *cfg, const char *token,
	    const char *id, int pinned, char *redeem, size_t rsz,
	    char *connect, size_t csz, char *proxy, size_t psz);

/* The Ed25519 public key of an OpenSSH .pub file ("ssh-ed25519 B64"). */
int	box_host_key(const char *path, uint8_t out[32], struct box_error *err);

#endif
