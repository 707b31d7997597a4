/* Invites for guests: signing one, and the commands that redeem it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/sshkey.h"
#include "box/invite.h"
#include "core/util.h"

void
box_invite_commands(const struct box_config *cfg, const char *token,
    const char *id, int pinned, char *redeem, size_t rsz, char *connect,
    size_t csz, char *proxy, size_t psz)
{
	char port[16] = "";

	if (cfg->port != 22)
		snprintf(port, sizeof(port), "-p %d ", cfg->port);
	snprintf(redeem, rsz, "ssh -t %s%s@%s redeem %s", port, cfg->box_user,
	    cfg->host, token);
	snprintf(connect, csz, "ssh %s%s@%s", port, cfg->box_user, cfg->host);
	/* The invite's own key, and only it: with keys of several invites
	 * in the agent, ssh would offer the first, and land in its box. */
	/* With the bastion's host key pinned: box-proxy writes it where
	 * these options make ssh look, before ssh looks. */
	snprintf(proxy, psz, "ssh -o 'IdentityAgent ~/.local/state/sshbox/"
	    "agent.sock' -o 'IdentityFile ~/.local/state/sshbox/keys/%s' "
	    "-o IdentitiesOnly=yes %s-o 'ProxyCommand box-proxy --token %s "
	    "--user %%r -- %%h %%p' %s%s@%s", id, pinned ? "-o "
	    "'UserKnownHostsFile ~/.local/state/sshbox/known_hosts' -o "
	    "StrictHostKeyChecking=yes " : "", token, port, cfg->box_user,
	    cfg->host);
}

int
box_host_key(const char *path, uint8_t out[32], struct box_error *err)
{
	char *buf, *type, *b64, *save;
	struct box_sshkey k;
	size_t len;
	int rc = -1;

	if (box_read_file(path, 16384, &buf, &len, err) < 0)
		return box_error_wrap(err, "%s", path);
	buf[strcspn(buf, "\n")] = '\0';
	if ((type = strtok_r(buf, " \t", &save)) == NULL ||
	    (b64 = strtok_r(NULL, " \t", &save)) == NULL ||
	    strcmp(type, "ssh-ed25519") != 0)
		box_error_set(err, BOX_E_CONFIG, 0, "%s is not an ssh-ed25519 "
		    "public key", path);
	else if (box_sshkey_parse(type, b64, &k, err) < 0)
		box_error_wrap(err, "%s", path);
	else if (k.bloblen != 4 + 11 + 4 + 32)
		box_error_set(err, BOX_E_CONFIG, 0, "%s: not an Ed25519 key",
		    path);
	else {
		memcpy(out, k.blob + k.bloblen - 32, 32);
		rc = 0;
	}
	free(buf);
	return rc;
}

int
box_invite_sign(const struct box_config *cfg, EVP_PKEY *key,
    const char *profile, int64_t ttl, int64_t expires, int64_t now,
    struct box_token_claims *claims, char *token, size_t tokensz,
    char *note, size_t notesz, struct box_error *err)
{
	struct box_error herr;

	if (note != NULL && notesz > 0)
		note[0] = '\0';
	memset(claims, 0, sizeof(*claims));
	if (box_random_hex(claims->invite_id, BOX_ID_LEN / 2, err) < 0)
		return -1;
	if (box_strlcpy(claims->profile, profile, sizeof(claims->profile)) < 0)
		return box_error_set(err, BOX_E_INPUT, 0, "profile name too "
		    "long");
	/* The bastion's host key, for box-proxy to pin: named in the
	 * configuration, it must be there; the default one may be absent
	 * (the invite then pins nothing, and says so). */
	if (box_host_key(cfg->host_key, claims->host_key, &herr) == 0)
		claims->has_host_key = 1;
	else if (cfg->explicit_keys & BOX_CFG_HOST_KEY)
		return box_error_set(err, BOX_E_CONFIG, 0, "host_key: %s",
		    herr.msg);
	else if (note != NULL)
		snprintf(note, notesz, "the invite pins no host key (%s); set "
		    "host_key in %s", herr.msg, cfg->path);
	claims->issued_at = now;
	claims->redeem_by = now + expires;
	claims->ttl = ttl;
	return box_token_sign(key, claims, token, tokensz, err);
}
