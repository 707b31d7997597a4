/* Fuzz target: OpenSSH public keys ("TYPE B64") and SSH_USER_AUTH text. */
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

/*
 * The first byte picks the parser: even, box_sshkey_parse on the rest
 * split at its first space; odd, box_sshkey_from_auth_info on the rest.
 */
FUZZ_ENTRY(sshkey)
{
	static struct box_sshkey key;
	struct box_error err;
	char *buf, *sp;

	if (size < 1 || size > INPUT_MAX)
		return 0;
	if (data[0] & 1) {
		if (box_sshkey_from_auth_info((const char *)data + 1,
		    size - 1, &key, &err) == 0)
			check_round_trip(&key);
		return 0;
	}
	if ((buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	if ((sp = strchr(buf, ' ')) != NULL) {
		*sp = '\0';
		if (box_sshkey_parse(buf, sp + 1, &key, &err) == 0)
			check_round_trip(&key);
	} else if (box_sshkey_parse(buf, "", &key, &err) == 0)
		abort();
	free(buf);
	return 0;
}
