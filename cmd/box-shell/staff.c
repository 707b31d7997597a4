/*
 * box-shell for staff: a login with a certificate sshbox's CA signed.
 * The certificate says who (its principal) and the state says what it
 * may do (the groups it was signed with); the policy in sshbox.yaml says
 * what each group may use.  Staff make, list, attach to, extend and kill
 * their own boxes over ssh, each answer a line or, with --json, an
 * object; they never reach anyone else's box.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "box/box.h"
#include "box/invite.h"
#include "runtime/helper.h"
#include "auth/sshkey.h"
#include "core/json.h"
#include "core/log.h"
#include "core/spawn.h"
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
	char list[sizeof(c->groups) + BOX_POLICY_GROUPS_MAX *
	    BOX_GROUP_NAME_MAX], *tok, *save;
	const struct box_principal *p;
	const struct box_group *g;
	size_t i;

	/* The certificate's groups, then the ones the policy gives the
	 * principal now. */
	box_strlcpy(list, c->groups, sizeof(list));
	if ((p = box_config_principal(&ctx->cfg, c->principal)) != NULL)
		for (i = 0; i < p->ngroups; i++) {
			if (list[0] != '\0')
				strncat(list, ",", sizeof(list) -
				    strlen(list) - 1);
			strncat(list, p->groups[i], sizeof(list) -
			    strlen(list) - 1);
		}
	if (list[0] == '\0') {
		snprintf(why, whysz, "your certificate names no group, nor "
		    "does the policy: ask an administrator");
		return NULL;
	}
	snprintf(why, whysz, "none of your groups (%.120s) may use profile %s",
	    list, profile);
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((g = box_config_group(&ctx->cfg, tok)) == NULL)
			continue;
		for (i = 0; i < g->nprofiles; i++)
			if (strcmp(g->profiles[i], profile) == 0)
				return g;
	}
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

/*
 * What new and invite share: the profile loaded, the first of c's groups
 * that may use it, and the box time asked (or the profile's), within the
 * group's and the profile's max_ttl.  0, or the exit status after one
 * line.
 */
static int
profile_for(struct box_ctx *ctx, const struct box_cert *c,
    const struct box_staff_cmd *sc, struct box_profile *prof,
    const struct box_group **g, int64_t *ttl)
{
	char why[256], ttls[32], mosts[32];
	struct box_error err;
	int64_t most;

	if (box_config_load_profile(&ctx->cfg, sc->profile, prof, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	if ((*g = group_for(ctx, c, sc->profile, why, sizeof(why))) == NULL)
		return fail(BOX_EXIT_DENIED, "%s", why);
	most = most_for(prof, *g);
	*ttl = sc->ttl != 0 ? sc->ttl : prof->ttl < most ? prof->ttl : most;
	if (*ttl > most)
		return fail(BOX_EXIT_DENIED, "--ttl %s is more than group %s may "
		    "have for a %s box (%s)", box_format_duration(*ttl, ttls,
		    sizeof(ttls)), (*g)->name, prof->name,
		    box_format_duration(most, mosts, sizeof(mosts)));
	return 0;
}

/* A blackout window now: refused, saying until when (0: none). */
static int
blackout(struct box_ctx *ctx, const char *what)
{
	char when[32];
	int64_t until, now = box_now();
	size_t i;

	for (i = 0; i < ctx->cfg.nblackouts; i++)
		if (box_blackout_active(&ctx->cfg.blackouts[i], now, &until))
			return fail(BOX_EXIT_DENIED, "no %s now: a blackout "
			    "window lasts until %s", what,
			    box_format_time(until, when, sizeof(when)));
	return 0;
}

static int
needs_approval(const struct box_config *cfg, const char *profile)
{
	size_t i;

	for (i = 0; i < cfg->napproval_profiles; i++)
		if (strcmp(cfg->approval_profiles[i], profile) == 0)
			return 1;
	return 0;
}

/*
 * Tell the approvers through the webhook (box-notify, beside box-shell):
 * 0, or -1 with why.
 */
static int
notify(const struct box_ctx *ctx, const char *body, char *why, size_t whysz)
{
	char self[PATH_MAX], prog[PATH_MAX + 16], secs[24], out[256];
	char *slash, *const envp[] = { "PATH=/usr/bin:/bin", NULL };
	int in[2], errp[2], status;
	struct box_error err;
	struct box_spawn sp;
	ssize_t n, len = 0;
	pid_t pid;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		snprintf(why, whysz, "cannot find box-notify");
		return -1;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	snprintf(prog, sizeof(prog), "%s/box-notify", self);
	snprintf(secs, sizeof(secs), "%lld",
	    (long long)ctx->cfg.approval_timeout);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(why, whysz, "pipe: %s", strerror(errno));
		return -1;
	}
	{
		char *const argv[] = { "box-notify", "--key",
		    (char *)ctx->cfg.approval_key, "--timeout", secs, NULL };

		memset(&sp, 0, sizeof(sp));
		sp.path = prog;
		sp.argv = argv;
		sp.envp = envp;
		sp.fds[0] = in[0];
		sp.fds[1] = -1;
		sp.fds[2] = errp[1];
		pid = box_spawn(&sp, &err);
	}
	close(in[0]);
	close(errp[1]);
	if (pid < 0) {
		close(in[1]);
		close(errp[0]);
		snprintf(why, whysz, "%s", err.msg);
		return -1;
	}
	/* A short write: box-notify sends what it got, signed as it is; one
	 * that exits first must not take box-shell with it. */
	signal(SIGPIPE, SIG_IGN);
	/* The URL on its first line: never in an argument vector others
	 * can read. */
	if (dprintf(in[1], "%s\n", ctx->cfg.approval_webhook) < 0)
		n = -1;
	n = write(in[1], body, strlen(body));
	(void)n;
	close(in[1]);
	while (len < (ssize_t)sizeof(out) - 1 && (n = read(errp[0], out + len,
	    sizeof(out) - 1 - (size_t)len)) > 0)
		len += n;
	out[len > 0 ? len : 0] = '\0';
	close(errp[0]);
	if (box_spawn_wait(pid, &status) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		out[strcspn(out, "\n")] = '\0';
		snprintf(why, whysz, "%s", strncmp(out, "box-notify: ", 12) == 0 ?
		    out + 12 : out[0] ? out : "box-notify failed");
		return -1;
	}
	return 0;
}

/* The first pending request of principal, if any. */
struct pending {
	const char	*principal;
	int64_t		 wait;		/* older ones nobody waits for */
	char		 id[BOX_ID_LEN + 1];
};

static int
pending_of(void *arg, const struct box_request *r)
{
	struct pending *p = arg;

	if (strcmp(r->principal, p->principal) != 0 ||
	    r->created_at + p->wait <= box_now())
		return 0;
	box_strlcpy(p->id, r->id, sizeof(p->id));
	return 1;
}

/*
 * A box of a profile that needs approval: the request recorded, the
 * approvers told (or the request fails, and nothing is made), then the
 * staff member waits for an approver's yes or no, or the end of the
 * wait.  0 to go on, else the exit status.
 */
static int
await_approval(struct box_ctx *ctx, const struct box_cert *c,
    const struct box_group *g, const struct box_profile *prof, int64_t ttl,
    const char *source)
{
	char body[2048], why[BOX_ERROR_MSG_MAX + 64], detail[256], wait_s[32];
	struct box_request r, now_r;
	struct box_error err;
	size_t o = 0;
	int64_t end;

	/* One request at a time a person: approvers are not to be flooded. */
	{
		struct pending p = { c->principal, ctx->cfg.approval_wait, "" };

		if (box_state_request_list(ctx->st, 1, pending_of, &p,
		    &err) < 0)
			return fail(box_exit_code(&err), "%s", err.msg);
		if (p.id[0] != '\0')
			return fail(BOX_EXIT_RATE, "request %s of yours waits "
			    "for an approver already", p.id);
	}
	memset(&r, 0, sizeof(r));
	if (box_random_hex(r.id, BOX_ID_LEN / 2, &err) < 0)
		return fail(BOX_EXIT_CONFIG, "%s", err.msg);
	box_strlcpy(r.principal, c->principal, sizeof(r.principal));
	box_strlcpy(r.grp, g->name, sizeof(r.grp));
	box_strlcpy(r.profile, prof->name, sizeof(r.profile));
	box_strlcpy(r.source, source, sizeof(r.source));
	r.ttl = ttl;
	r.created_at = box_now();
	if (box_state_request_add(ctx->st, &r, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	snprintf(detail, sizeof(detail), "request=%s principal=%s group=%s "
	    "profile=%s ttl=%lld", r.id, r.principal, r.grp, r.profile,
	    (long long)ttl);
	box_state_audit(ctx->st, r.created_at, "approval-requested", NULL,
	    NULL, c->fp, source, detail);
	if (ctx->cfg.approval_webhook[0] != '\0') {
		body[o++] = '{';
		body[o] = '\0';
		box_json_str(body, sizeof(body), &o, "request", 16);
		body[o++] = ':';
		body[o] = '\0';
		box_json_str(body, sizeof(body), &o, r.id, 32);
		box_json_field(body, sizeof(body), &o, "principal", r.principal,
		    64);
		box_json_field(body, sizeof(body), &o, "groups", c->groups, 256);
		box_json_field(body, sizeof(body), &o, "group", r.grp, 64);
		box_json_field(body, sizeof(body), &o, "profile", r.profile, 64);
		box_json_field(body, sizeof(body), &o, "source", r.source, 64);
		o += (size_t)snprintf(body + o, sizeof(body) - o, ",\"ttl\":%lld,"
		    "\"created_at\":%lld,\"approve\":\"box-invite approve %s\","
		    "\"deny\":\"box-invite deny %s\"}", (long long)ttl,
		    (long long)r.created_at, r.id, r.id);
		if (notify(ctx, body, why, sizeof(why)) < 0) {
			box_state_request_decide(ctx->st, r.id, "failed",
			    "sshbox", why, box_now(), &err);
			box_state_audit(ctx->st, box_now(), "approval-failed",
			    NULL, NULL, c->fp, source, detail);
			return fail(BOX_EXIT_DENIED, "cannot ask for approval "
			    "(%s); nothing was made", why);
		}
	}
	fprintf(stderr, "sshbox: profile %s needs approval: request %s waits "
	    "for an approver (box-invite approve %s), up to %s\n", r.profile,
	    r.id, r.id, box_format_duration(ctx->cfg.approval_wait, wait_s,
	    sizeof(wait_s)));
	end = r.created_at + ctx->cfg.approval_wait;
	for (;;) {
		if (box_state_request_get(ctx->st, r.id, &now_r, &err) < 0)
			return fail(box_exit_code(&err), "%s", err.msg);
		if (strcmp(now_r.state, "approved") == 0) {
			fprintf(stderr, "sshbox: request %s approved by %s\n",
			    r.id, now_r.decided_by);
			return 0;
		}
		if (strcmp(now_r.state, "pending") != 0)
			return fail(BOX_EXIT_DENIED, "request %s was %s by "
			    "%s%s%s", r.id, now_r.state, now_r.decided_by,
			    now_r.reason[0] ? ": " : "", now_r.reason);
		if (box_now() >= end) {
			if (box_state_request_decide(ctx->st, r.id, "expired",
			    "sshbox", "", box_now(), &err) == 0)
				return fail(BOX_EXIT_DENIED, "no approver "
				    "answered request %s within %s", r.id,
				    wait_s);
			continue;	/* decided just now: read it */
		}
		sleep(1);
	}
}

/* ---------------------------------------------------------------- verbs */

static int
staff_new(struct box_ctx *ctx, const struct box_cert *c,
    const struct box_staff_cmd *sc, const char *source, int interactive)
{
	char why[256], fp[BOX_FP_MAX], out[512];
	const struct box_group *g;
	struct box_profile prof;
	struct box_invite inv;
	struct box_binding b;
	struct box_error err;
	struct box_cmd cmd;
	struct box_box box;
	int64_t ttl, now;
	int rc;

	if ((rc = profile_for(ctx, c, sc, &prof, &g, &ttl)) != 0)
		return rc;
	if ((rc = blackout(ctx, "new boxes")) != 0)
		return rc;
	if (needs_approval(&ctx->cfg, prof.name)) {
		if ((rc = await_approval(ctx, c, g, &prof, ttl, source)) != 0)
			return rc;
		/* The wait may have run into a blackout. */
		if ((rc = blackout(ctx, "new boxes")) != 0)
			return rc;
	}
	now = box_now();
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
	/* A login is told its box's end anyway (the login notice). */
	if (sc->command != NULL || !interactive)
		fprintf(stderr, "sshbox: box %s (profile %s) is yours until "
		    "%s\n", box.id, prof.name, box_format_time(box.deadline,
		    why, sizeof(why)));
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
	/* --json: the box it would attach to, for a script; no session. */
	if (sc->json) {
		char out[512];

		box_json(out, sizeof(out), &box);
		puts(out);
		return fflush(stdout) == 0 ? 0 : BOX_EXIT_GONE;
	}
	if (box_state_binding_get(ctx->st, box.fp, &b, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	box_log_context(box.id, inv.id, box.fp);
	/* Into this box only: one that ends meanwhile is not made again
	 * (that would be a new box past the quotas and the policy). */
	ctx->staff_lim.attach_only = 1;
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
	if ((rc = blackout(ctx, "extensions")) != 0)
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
	char why[256], ttls[32], when[32], token[BOX_TOKEN_MAX + 1];
	char redeem[1024], connect[1024], proxy[1024], out[4096];
	const struct box_group *g;
	struct box_profile prof;
	struct box_invite inv;
	struct box_error err;
	int64_t ttl, expires, now = box_now();
	int pinned, rc;
	size_t o = 0;

	if ((rc = profile_for(ctx, c, sc, &prof, &g, &ttl)) != 0)
		return rc;
	if (!g->invite)
		return fail(BOX_EXIT_DENIED, "group %s may not invite guests",
		    g->name);
	/* An invite would be a way round the approver. */
	if (needs_approval(&ctx->cfg, prof.name))
		return fail(BOX_EXIT_DENIED, "profile %s needs approval for each "
		    "box: invites for it come from an administrator", prof.name);
	if ((rc = blackout(ctx, "invites")) != 0)
		return rc;
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
	/* Its guests' boxes count as the staff member's and the group's. */
	box_strlcpy(inv.owner, c->principal, sizeof(inv.owner));
	box_strlcpy(inv.grp, g->name, sizeof(inv.grp));
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
