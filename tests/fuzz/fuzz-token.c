/* Fuzz target: invite token verification and sign/verify round trips. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "auth/token.h"
#include "core/util.h"

#define INPUT_MAX	4096

/* A fixed test key; seeds in corpus/token/ are signed with it. */
static const uint8_t fuzz_seed[32] = {
	0x73, 0x73, 0x68, 0x62, 0x6f, 0x78, 0x2d, 0x66,
	0x75, 0x7a, 0x7a, 0x2d, 0x74, 0x6f, 0x6b, 0x65,
	0x6e, 0x2d, 0x6b, 0x65, 0x79, 0x2d, 0x6e, 0x6f,
	0x74, 0x2d, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74,
};

static EVP_PKEY *priv, *pub;

static void
init_keys(void)
{
	uint8_t raw[32];
	size_t len = sizeof(raw);

	if (priv != NULL)
		return;
	priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    fuzz_seed, sizeof(fuzz_seed));
	if (priv == NULL ||
	    EVP_PKEY_get_raw_public_key(priv, raw, &len) != 1 ||
	    (pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw,
	    len)) == NULL)
		abort();
}

static uint64_t
be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

/* Claims made from the first bytes must sign iff valid, and verify back. */
static void
round_trip(const uint8_t *data, size_t size)
{
	static const char alnum[] =
	    "abcdefghijklmnopqrstuvwxyz0123456789._-ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	struct box_token_claims c, got;
	struct box_error err;
	char tok[BOX_TOKEN_MAX + 1];
	size_t i, plen;
	int valid, r;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < 8; i++) {
		c.invite_id[2 * i] = "0123456789abcdef"[data[i] >> 4];
		c.invite_id[2 * i + 1] = "0123456789abcdef"[data[i] & 15];
	}
	c.issued_at = (int64_t)(be(data + 8, 8) >> (data[28] & 1));
	c.redeem_by = (int64_t)(be(data + 16, 8) >> 1);
	c.ttl = (int64_t)be(data + 24, 4);
	plen = size - 29 < BOX_PROFILE_NAME_MAX + 2 ? size - 29 :
	    BOX_PROFILE_NAME_MAX + 2;
	for (i = 0; i < plen && i < BOX_PROFILE_NAME_MAX; i++)
		c.profile[i] = (data[28] & 2) ? (char)data[29 + i] :
		    alnum[data[29 + i] % (sizeof(alnum) - 1)];
	if (memchr(c.profile, '\0', plen < BOX_PROFILE_NAME_MAX ? plen :
	    BOX_PROFILE_NAME_MAX) != NULL)
		return;
	/* Version 2: a host key pinned, from the first bytes. */
	if (data[28] & 4) {
		c.has_host_key = 1;
		memcpy(c.host_key, data, 28);
		memcpy(c.host_key + 28, data, 4);
	}
	valid = c.issued_at >= 0 && c.ttl >= 1 && c.ttl <= 366LL * 86400 &&
	    box_valid_name(c.profile, BOX_PROFILE_NAME_MAX);
	r = box_token_sign(priv, &c, tok, sizeof(tok), &err);
	if ((r == 0) != valid)
		abort();
	if (r < 0)
		return;
	if (strlen(tok) > BOX_TOKEN_MAX ||
	    box_token_verify(pub, tok, &got, &err) < 0 ||
	    strcmp(got.invite_id, c.invite_id) != 0 ||
	    strcmp(got.profile, c.profile) != 0 ||
	    got.issued_at != c.issued_at || got.redeem_by != c.redeem_by ||
	    got.ttl != c.ttl || got.has_host_key != c.has_host_key ||
	    memcmp(got.host_key, c.host_key, sizeof(c.host_key)) != 0)
		abort();
}

FUZZ_ENTRY(token)
{
	struct box_token_claims c;
	struct box_error err;
	char again[BOX_TOKEN_MAX + 1];
	char *tok;

	if (size > INPUT_MAX)
		return 0;
	init_keys();
	if ((tok = malloc(size + 1)) == NULL)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	{
		/* box-proxy's unverified read: a token that verifies must
		 * peek to the same claims. */
		struct box_token_claims p;
		int peeked = box_token_peek(tok, &p, &err) == 0;

		if (box_token_verify(pub, tok, &c, &err) == 0 &&
		    (!peeked || strcmp(p.invite_id, c.invite_id) != 0 ||
		    strcmp(p.profile, c.profile) != 0 || p.ttl != c.ttl ||
		    p.issued_at != c.issued_at || p.redeem_by != c.redeem_by))
			abort();
	}
	if (box_token_verify(pub, tok, &c, &err) == 0) {
		/* Only the one canonical encoding of a signed token passes. */
		if (box_token_sign(priv, &c, again, sizeof(again), &err) < 0 ||
		    strcmp(again, tok) != 0)
			abort();
	} else if (err.kind != BOX_E_INPUT && err.kind != BOX_E_DENIED)
		abort();
	free(tok);
	if (size >= 29)
		round_trip(data, size);
	return 0;
}
