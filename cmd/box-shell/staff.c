/*
 * box-shell for staff: a login with a certificate sshbox's CA signed.
 * The certificate says who (its principal) and the state says what it
 * may do (the groups it was signed with); the policy in sshbox.yaml says
 * what each group may use.  Staff make, list, attach to, extend and kill
 * their own boxes over ssh, each answer a line or, with --json, an
 * object; they never reach anyone else's box.
 */
#include <stdio.h>
#include <string.h>

#include "box/box.h"
#include "box/invite.h"
#include "runtime/helper.h"
#include "auth/sshkey.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "session/staffcmd.h"
#include "shell.h"

int
staff_refused(struct box_ctx *ctx, const struct box_sshcert *cert,
    const char *source, struct box_cert *c)
{
	char serial[24];
	struct box_error err;
	const char *why = NULL;
	size_t i;

	snprintf(serial, sizeof(serial), "%llu",
	    (unsigned long long)cert->serial);
	if (box_state_cert_get(ctx->st, serial, c, &err) < 0) {
		if (err.kind != BOX_E_NOTFOUND)
			return fail(box_exit_code(&err), "%s", err.msg);
		why = "this certificate is not one sshbox signed";
	} else if (c->revoked_at != 0) {
		why = "this certificate was revoked";
	} else if (c->valid_before <= box_now() ||
	    cert->valid_before <= (uint64_t)box_now()) {
		why = "this certificate has expired";
	} else if (strcmp(c->key_id, cert->key_id) != 0 ||
	    strcmp(c->fp, cert->key.fp) != 0 ||
	    cert->cert_type != BOX_CERT_TYPE_USER) {
		why = "this certificate is not the one sshbox signed";
	} else {
		for (i = 0; i < cert->nprincipals; i++)
			if (strcmp(cert->principals[i], c->principal) == 0)
				break;
		if (i == cert->nprincipals)
			why = "this certificate does not name its principal";
		else if (box_state_ban_get(ctx->st, cert->key.fp,
		    &(struct box_ban){ 0 }, &err) == 0)
			why = "this key is banned on this bastion";
	}
	if (why == NULL)
		return 0;
	box_state_audit_nodb(ctx->st, box_now(), "login-refused", NULL, NULL,
	    cert->key.fp, source, why);
	return fail(BOX_EXIT_DENIED, "%s", why);
}

/* ------------------------------------------------------------- policy */

/*
 * The first of c's groups whose policy lets it use profile (NULL: none,
 * and why says so).
 */
static const struct box_group *
group_for(const struct box_ctx *ctx, const struct box_cert *c,
    const char *profile, char *why, size_t whysz)
{
	char list[sizeof(c->groups)], *tok, *save;
	const struct box_group *g;
	size_t i;

	if (c->groups[0] == '\0') {
		snprintf(why, whysz, "your certificate names no group: ask an "
		    "administrator");
		return NULL;
	}
	box_strlcpy(list, c->groups, sizeof(list));
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((g = box_config_group(&ctx->cfg, tok)) == NULL)
			continue;
		for (i = 0; i < g->nprofiles; i++)
			if (strcmp(g->profiles[i], profile) == 0)
				return g;
	}
	snprintf(why, whysz, "none of your groups (%.120s) may use profile %s",
	    c->groups, profile);
	return NULL;
}

/* The longest a box of prof may run for a member of g. */
static int64_t
most_for(const struct box_profile *prof, const struct box_group *g)
{
	return g != NULL && g->max_ttl > 0 && g->max_ttl < prof->max_ttl ?
	    g->max_ttl : prof->max_ttl;
}

/* Box id, if it is a live box of c's principal: 0, else the exit status
 * after one line. */
static int
own_box(struct box_ctx *ctx, const struct box_cert *c, const char *id,
    struct box_box *box, struct box_invite *inv)
{
	struct box_error err;

	if (box_state_box_get(ctx->st, id, box, &err) < 0 ||
	    box_state_invite_get(ctx->st, box->invite_id, inv, &err) < 0 ||
	    strcmp(inv->owner, c->principal) != 0)
		return fail(BOX_EXIT_DENIED, "you have no box %s", id);
	if (strcmp(box->status, BOX_STATUS_RUNNING) != 0 &&
	    strcmp(box->status, BOX_STATUS_CREATING) != 0)
		return fail(BOX_EXIT_GONE, "box %s has ended (%s)", box->id,
		    box->end_reason);
	return 0;
}

/* One box as a JSON object (no newline) into out. */
static void
box_json(char *out, size_t outsz, const struct box_box *b)
{
	char when[32];
	size_t o = 0;

	out[o++] = '{';
	out[o] = '\0';
	box_json_str(out, outsz, &o, "box", 8);
	out[o++] = ':';
	out[o] = '\0';
	box_json_str(out, outsz, &o, b->id, 32);
	box_json_field(out, outsz, &o, "profile", b->profile, 64);
	box_json_field(out, outsz, &o, "status", b->status, 16);
	box_json_field(out, outsz, &o, "ends", box_format_time(b->deadline,
	    when, sizeof(when)), 32);
	snprintf(out + o, outsz - o, ",\"deadline\":%lld,\"seconds_left\":%lld,"
	    "\"sessions\":%d}", (long long)b->deadline,
	    (long long)(b->deadline - box_now()), b->sessions);
}

/* ---------------------------------------------------------------- verbs */

static int
staff_new(struct box_ctx *ctx, const struct box_cert *c,
    const struct box_staff_cmd *sc, const char *source, int interactive)
{
	char why[256], ttls[32], mosts[32], fp[BOX_FP_MAX], out[512];
	const struct box_group *g;
	struct box_profile prof;
	struct box_invite inv;
	struct box_binding b;
	struct box_error err;
	struct box_cmd cmd;
	struct box_box box;
	int64_t most, ttl, now = box_now();

	if (box_config_load_profile(&ctx->cfg, sc->profile, &prof, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	if ((g = group_for(ctx, c, sc->profile, why, sizeof(why))) == NULL)
		return fail(BOX_EXIT_DENIED, "%s", why);
	most = most_for(&prof, g);
	ttl = sc->ttl != 0 ? sc->ttl : prof.ttl < most ? prof.ttl : most;
	if (ttl > most)
		return fail(BOX_EXIT_DENIED, "--ttl %s is more than group %s may "
		    "have a %s box (%s)", box_format_duration(ttl, ttls,
		    sizeof(ttls)), g->name, prof.name, box_format_duration(most,
		    mosts, sizeof(mosts)));
	/* The box's own invite: the staff member's, spent, no token. */
	memset(&inv, 0, sizeof(inv));
	if (box_random_hex(inv.id, BOX_ID_LEN / 2, &err) < 0)
		return fail(BOX_EXIT_CONFIG, "%s", err.msg);
	box_strlcpy(inv.profile, prof.name, sizeof(inv.profile));
	inv.ttl = ttl;
	inv.created_at = now;
	inv.uses_total = 1;
	inv.uses_left = 0;
	snprintf(inv.note, sizeof(inv.note), "staff %s", c->principal);
	box_strlcpy(inv.token_hash, "-", sizeof(inv.token_hash));
	box_strlcpy(inv.owner, c->principal, sizeof(inv.owner));
	box_strlcpy(inv.grp, g->name, sizeof(inv.grp));
	snprintf(fp, sizeof(fp), "staff:%.32s:%s", c->principal, inv.id);
	if (box_state_staff_bind(ctx->st, &inv, fp, source, now, &b, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	box_log_context(NULL, inv.id, fp);
	/* Their boxes and their group's counted in the claim itself, so that
	 * several at once cannot pass the quota. */
	ctx->staff_lim.owner = c->principal;
	ctx->staff_lim.max_boxes_per_owner = ctx->cfg.max_boxes_per_person;
	ctx->staff_lim.group = g->name;
	ctx->staff_lim.max_boxes_per_group = g->max_boxes;
	if (box_provision(ctx, &b, &prof, source, &box, &err) < 0) {
		struct box_error e2;

		/* No box: its invite is spent for good. */
		box_state_invite_revoke(ctx->st, inv.id, box_now(), &e2);
		return fail(box_exit_code(&err), "cannot make your box: %s",
		    err.msg);
	}
	if (ctx->from_pool)
		box_pool_kick(ctx, prof.name);
	snprintf(why, sizeof(why), "principal=%s group=%s profile=%s ttl=%lld",
	    c->principal, g->name, prof.name, (long long)ttl);
	box_state_audit(ctx->st, box_now(), "staff-box", inv.id, box.id, fp,
	    source, why);
	if (sc->json) {
		box_json(out, sizeof(out), &box);
		puts(out);
		return fflush(stdout) == 0 ? 0 : BOX_EXIT_GONE;
	}
	fprintf(stderr, "sshbox: box %s (profile %s) is yours until %s\n",
	    box.id, prof.name, box_format_time(box.deadline, why,
	    sizeof(why)));
	memset(&cmd, 0, sizeof(cmd));
	cmd.kind = sc->command != NULL ? BOX_CMD_EXEC : BOX_CMD_SHELL;
	cmd.exec = sc->command;
	return session(ctx, &cmd, &b, source, interactive);
}

struct list_out {
	int	 json;
	int	 n;
};

static int
list_cb(void *arg, const struct box_box *b)
{
	struct list_out *l = arg;
	char out[512], left[32];

	if (l->json) {
		box_json(out, sizeof(out), b);
		printf("%s%s", l->n++ ? "," : "", out);
		return 0;
	}
	l->n++;
	printf("%-16s  %-14s  %-9s  %8d  %s\n", b->id, b->profile, b->status,
	    b->sessions, box_format_duration(b->deadline - box_now(), left,
	    sizeof(left)));
	return 0;
}

static int
staff_list(struct box_ctx *ctx, const struct box_cert *c,
    const struct box_staff_cmd *sc)
{
	struct list_out l = { sc->json, 0 };
	struct box_error err;

	if (sc->json)
		printf("[");
	else
		printf("%-16s  %-14s  %-9s  %8s  %s\n", "BOX", "PROFILE",
		    "STATUS", "SESSIONS", "LEFT");
	if (box_state_staff_boxes(ctx->st, c->principal, list_cb, &l,
	    &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	if (sc->json)
		printf("]\n");
	return fflush(stdout) == 0 ? 0 : BOX_EXIT_GONE;
}

static int
staff_attach(struct box_ctx *ctx, const struct box_cert *c,
    const struct box_staff_cmd *sc, const char *source, int interactive)
{
	struct box_invite inv;
	struct box_binding b;
	struct box_error err;
	struct box_cmd cmd;
	struct box_box box;
	int rc;

	if ((rc = own_box(ctx, c, sc->box, &box, &inv)) != 0)
		return rc;
	if (box_state_binding_get(ctx->st, box.fp, &b, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	box_log_context(box.id, inv.id, box.fp);
	memset(&cmd, 0, sizeof(cmd));
	cmd.kind = sc->command != NULL ? BOX_CMD_EXEC : BOX_CMD_SHELL;
	cmd.exec = sc->command;
	return session(ctx, &cmd, &b, source, interactive);
}

static int
staff_kill(struct box_ctx *ctx, const struct box_cert *c,
    const struct box_staff_cmd *sc)
{
	char reason[96];
	struct box_invite inv;
	struct box_error err;
	struct box_box box;
	int rc;

	if ((rc = own_box(ctx, c, sc->box, &box, &inv)) != 0)
		return rc;
	box_log_context(box.id, inv.id, box.fp);
	snprintf(reason, sizeof(reason), "killed by its owner (%s)",
	    c->principal);
	if (box_destroy(ctx, &box, reason, &err) < 0)
		return fail(box_exit_code(&err), "box %s: %s", box.id,
		    err.msg);
	if (sc->json)
		printf("{\"killed\":\"%s\"}\n", box.id);
	else
		printf("box %s destroyed\n", box.id);
	return fflush(stdout) == 0 ? 0 : BOX_EXIT_GONE;
}

static int
staff_extend(struct box_ctx *ctx, const struct box_cert *c,
    const struct box_staff_cmd *sc)
{
	char why[256], when[32], left[32], out[512];
	const struct box_group *g;
	struct box_profile prof;
	struct box_invite inv;
	struct box_error err;
	struct box_box box;
	int64_t now = box_now();
	int rc;

	if ((rc = own_box(ctx, c, sc->box, &box, &inv)) != 0)
		return rc;
	box_log_context(box.id, inv.id, box.fp);
	if (box_config_load_profile(&ctx->cfg, box.profile, &prof, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	/* As the policy is now, for the groups the certificate has now. */
	if ((g = group_for(ctx, c, box.profile, why, sizeof(why))) == NULL)
		return fail(BOX_EXIT_DENIED, "%s", why);
	if (box_state_box_extend(ctx->st, box.id, sc->ttl, most_for(&prof, g),
	    now, &box, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	snprintf(why, sizeof(why), "by=%llds deadline=%lld who=staff:%s",
	    (long long)sc->ttl, (long long)box.deadline, c->principal);
	box_state_audit(ctx->st, now, "box-extended", inv.id, box.id, box.fp,
	    NULL, why);
	if (sc->json) {
		box_json(out, sizeof(out), &box);
		puts(out);
	} else {
		printf("box %s now ends at %s (%s left)\n", box.id,
		    box_format_time(box.deadline, when, sizeof(when)),
		    box_format_duration(box.deadline - now, left,
		    sizeof(left)));
	}
	return fflush(stdout) == 0 ? 0 : BOX_EXIT_GONE;
}

/*
 * An invite for a guest, from a staff member whose group may invite: box-
 * runtime signs it (the signing key is root's), the state records it with
 * who asked.
 */
static int
staff_invite(struct box_ctx *ctx, const struct box_cert *c,
    const struct box_staff_cmd *sc)
{
	char why[256], ttls[32], mosts[32], when[32], token[BOX_TOKEN_MAX + 1];
	char redeem[1024], connect[1024], proxy[1024], out[4096];
	const struct box_group *g;
	struct box_profile prof;
	struct box_invite inv;
	struct box_error err;
	int64_t most, ttl, expires, now = box_now();
	int pinned;
	size_t o = 0;

	if (box_config_load_profile(&ctx->cfg, sc->profile, &prof, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	if ((g = group_for(ctx, c, sc->profile, why, sizeof(why))) == NULL)
		return fail(BOX_EXIT_DENIED, "%s", why);
	if (!g->invite)
		return fail(BOX_EXIT_DENIED, "group %s may not invite guests",
		    g->name);
	most = most_for(&prof, g);
	ttl = sc->ttl != 0 ? sc->ttl : prof.ttl < most ? prof.ttl : most;
	if (ttl > most)
		return fail(BOX_EXIT_DENIED, "--ttl %s is more than group %s may "
		    "give a %s box (%s)", box_format_duration(ttl, ttls,
		    sizeof(ttls)), g->name, prof.name, box_format_duration(most,
		    mosts, sizeof(mosts)));
	expires = sc->expires != 0 ? sc->expires : 7 * 86400;
	if (expires > 30 * 86400)
		return fail(BOX_EXIT_DENIED, "--expires: at most 30d");
	memset(&inv, 0, sizeof(inv));
	if (box_helper_sign(prof.name, ttl, expires, inv.id, token, &pinned,
	    &err) < 0)
		return fail(box_exit_code(&err), "cannot sign an invite: %s",
		    err.msg);
	box_strlcpy(inv.profile, prof.name, sizeof(inv.profile));
	inv.ttl = ttl;
	inv.created_at = now;
	inv.redeem_by = now + expires;
	inv.uses_total = inv.uses_left = sc->uses > 0 ? sc->uses : 1;
	snprintf(inv.note, sizeof(inv.note), "from %s", c->principal);
	box_token_hash(token, inv.token_hash);
	box_log_context(NULL, inv.id, c->fp);
	if (box_state_invite_add(ctx->st, &inv, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	snprintf(why, sizeof(why), "by=staff:%s group=%s", c->principal,
	    g->name);
	box_state_audit(ctx->st, now, "invite-created", inv.id, NULL, c->fp,
	    NULL, why);
	box_invite_commands(&ctx->cfg, token, inv.id, pinned, redeem,
	    sizeof(redeem), connect, sizeof(connect), proxy, sizeof(proxy));
	box_format_time(inv.redeem_by, when, sizeof(when));
	if (!sc->json) {
		printf("Invite %s: profile %s, box time %s, %d use%s, redeem by "
		    "%s.\nThe guest runs:\n\n    %s\n\nor, with nothing "
		    "prepared:\n\n    %s\n", inv.id, prof.name,
		    box_format_duration(ttl, ttls, sizeof(ttls)),
		    inv.uses_total, inv.uses_total == 1 ? "" : "s", when,
		    redeem, proxy);
		return fflush(stdout) == 0 ? 0 : BOX_EXIT_GONE;
	}
	out[o++] = '{';
	out[o] = '\0';
	box_json_str(out, sizeof(out), &o, "id", 8);
	out[o++] = ':';
	out[o] = '\0';
	box_json_str(out, sizeof(out), &o, inv.id, 32);
	box_json_field(out, sizeof(out), &o, "token", token, BOX_TOKEN_MAX);
	box_json_field(out, sizeof(out), &o, "profile", prof.name, 64);
	o += (size_t)snprintf(out + o, sizeof(out) - o, ",\"ttl\":%lld,"
	    "\"uses\":%d,\"host_key_pinned\":%s", (long long)ttl,
	    inv.uses_total, pinned ? "true" : "false");
	box_json_field(out, sizeof(out), &o, "redeem_by", when, 32);
	o += (size_t)snprintf(out + o, sizeof(out) - o, ",\"commands\":{");
	box_json_str(out, sizeof(out), &o, "redeem", 8);
	out[o++] = ':';
	out[o] = '\0';
	box_json_str(out, sizeof(out), &o, redeem, sizeof(redeem));
	box_json_field(out, sizeof(out), &o, "connect", connect,
	    sizeof(connect));
	box_json_field(out, sizeof(out), &o, "proxy", proxy, sizeof(proxy));
	snprintf(out + o, sizeof(out) - o, "}}");
	puts(out);
	return fflush(stdout) == 0 ? 0 : BOX_EXIT_GONE;
}

int
staff_main(struct box_ctx *ctx, const struct box_cert *c, const char *line,
    const char *source, int interactive)
{
	struct box_staff_cmd sc;
	struct box_error err;

	box_log_context(NULL, NULL, c->fp);
	if (box_staff_parse(line, &sc, &err) < 0)
		return fail(BOX_EXIT_USAGE, "%s", err.msg);
	switch (sc.verb) {
	case BOX_STAFF_NEW:
		return staff_new(ctx, c, &sc, source, interactive);
	case BOX_STAFF_LIST:
		return staff_list(ctx, c, &sc);
	case BOX_STAFF_ATTACH:
		return staff_attach(ctx, c, &sc, source, interactive);
	case BOX_STAFF_KILL:
		return staff_kill(ctx, c, &sc);
	case BOX_STAFF_EXTEND:
		return staff_extend(ctx, c, &sc);
	case BOX_STAFF_INVITE:
		return staff_invite(ctx, c, &sc);
	default:
		fprintf(stderr, "sshbox: you are %s (groups: %s); staff "
		    "commands: %s\n", c->principal, c->groups[0] ? c->groups :
		    "none", box_staff_usage);
		return 0;
	}
}
