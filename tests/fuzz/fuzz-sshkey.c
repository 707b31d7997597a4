/* Fuzz target: OpenSSH public keys ("TYPE B64"), certificates and
 * SSH_USER_AUTH text. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "auth/sshkey.h"

#define INPUT_MAX	(80 * 1024)

/* A parsed key must format and parse back to the same key. */
static void
check_round_trip(const struct box_sshkey *key)
{
	static char text[BOX_SSHKEY_TYPE_MAX + BOX_SSHKEY_B64_MAX + 8];
	static struct box_sshkey again;
	struct box_error err;
	char *sp;

	if (!box_sshkey_valid_fp(key->fp))
		abort();
	if (box_sshkey_format(key, text, sizeof(text)) < 0)
		abort();
	if ((sp = strchr(text, ' ')) == NULL)
		abort();
	*sp = '\0';
	if (box_sshkey_parse(text, sp + 1, &again, &err) < 0)
		abort();
	if (strcmp(again.fp, key->fp) != 0 ||
	    strcmp(again.type, key->type) != 0 ||
	    again.bloblen != key->bloblen ||
	    memcmp(again.blob, key->blob, key->bloblen) != 0)
		abort();
}

/* A parsed certificate: its key a key, its text fields bounded and
 * printable, its principals without blanks or commas. */
static void
check_cert(const struct box_sshcert *c)
{
	size_t i;

	check_round_trip(&c->key);
	if (!box_sshkey_valid_fp(c->ca_fp) || c->nprincipals >
	    BOX_CERT_PRINCIPALS_MAX || strlen(c->key_id) >= BOX_CERT_ID_MAX ||
	    c->valid_before <= c->valid_after)
		abort();
	for (i = 0; i < c->nprincipals; i++)
		if (c->principals[i][0] == '\0' ||
		    strpbrk(c->principals[i], " ,") != NULL)
			abort();
}

/*
 * The first byte picks the parser: 0 mod 4, box_sshkey_parse on the rest
 * split at its first space; 2, box_sshcert_parse the same; odd,
 * box_sshauth_parse on the rest (certificates taken when bit 1 is set).
 */
FUZZ_ENTRY(sshkey)
{
	static struct box_sshkey key;
	static struct box_sshcert cert;
	struct box_error err;
	char *buf, *sp;
	int is_cert = 0;

	if (size < 1 || size > INPUT_MAX)
		return 0;
	if (data[0] & 1) {
		if (box_sshauth_parse((const char *)data + 1, size - 1, &key,
		    (data[0] & 2) ? &cert : NULL, &is_cert, &err) == 0) {
			check_round_trip(&key);
			if (is_cert)
				check_cert(&cert);
		}
		return 0;
	}
	if ((buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if ((sp = strchr(buf, ' ')) != NULL && (data[0] & 2)) {
		*sp = '\0';
		if (box_sshcert_parse(buf, sp + 1, &cert, &err) == 0)
			check_cert(&cert);
	} else if (sp != NULL) {
		*sp = '\0';
		if (box_sshkey_parse(buf, sp + 1, &key, &err) == 0)
			check_round_trip(&key);
	} else if (box_sshkey_parse(buf, "", &key, &err) == 0)
		abort();
	free(buf);
	return 0;
}
