/*
 * box-shell: sshd's ForceCommand for the box account.  Learns the guest's
 * key from SSH_USER_AUTH, redeems an invite for an unknown key, then
 * provisions or attaches to the key's box and relays the session into it.
 * The guest's command only ever runs inside the guest's own box.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "box/box.h"
#include "session/command.h"
#include "runtime/helper.h"
#include "core/json.h"
#include "core/log.h"
#include "core/priv.h"
#include "session/record.h"
#include "session/session.h"
#include "session/watch.h"
#include "auth/sshkey.h"
#include "auth/token.h"
#include "core/util.h"
#include "shell.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define PROMPT_SECONDS	60	/* to type or paste a token */

static void
usage(FILE *f)
{
	fprintf(f, "usage: box-shell [-c FILE]\n"
	    "sshd's ForceCommand for sshbox guests; see box-shell(8).\n"
	    "  -c FILE   configuration (default %s/sshbox/sshbox.yaml)\n"
	    "Guests reach it through ssh:\n"
	    "  ssh -t box@HOST redeem TOKEN     redeem an invite, open a shell\n"
	    "  ssh box@HOST [COMMAND]           shell or command in your box\n"
	    "  ssh box@HOST tcp PORT            a stream to 127.0.0.1:PORT in "
	    "your box\n"
	    "  ssh box@HOST status [--json]     your box and the time it has "
	    "left\n"
	    "Staff, with a certificate of sshbox's CA:\n"
	    "  ssh -t box@HOST new --profile P  a box of your own (also: list,\n"
	    "                                   attach, kill, extend, invite)\n",
	    SYSCONFDIR);
}

/* One line to the guest, and the same to the log. */
int
fail(int code, const char *fmt, ...)
{
	char msg[BOX_ERROR_MSG_MAX + 64], safe[BOX_ERROR_MSG_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	box_log_safe(msg, safe, sizeof(safe));
	fprintf(stderr, "sshbox: %s\n", safe);
	box_log_init(box_log_prog(), BOX_LOG_SYSLOG);
	box_log(LOG_NOTICE, "exit %d: %s", code, safe);
	return code;
}

/* The client's address from SSH_CONNECTION, checked to be one. */
static void
source_address(char *out, size_t outsz)
{
	const char *c = getenv("SSH_CONNECTION");
	size_t i;

	box_strlcpy(out, "unknown", outsz);
	if (c == NULL)
		return;
	for (i = 0; c[i] != '\0' && c[i] != ' ' && i + 1 < outsz; i++)
		if (strchr("0123456789abcdefABCDEF.:", c[i]) == NULL)
			return;
	if (i == 0 || (c[i] != ' ' && c[i] != '\0'))
		return;
	memcpy(out, c, i);
	out[i] = '\0';
}

/* Read a token at a prompt with echo off.  0 or -1. */
static int
prompt_token(char *out, size_t outsz)
{
	struct termios saved, quiet;
	char buf[BOX_TOKEN_MAX + 64];
	size_t len = 0;
	int restore = 0, timed_out = 0;

	/* Echo goes off before the prompt shows, and without flushing, so
	 * that a token typed or pasted at once is neither lost nor shown. */
	if (tcgetattr(0, &saved) == 0) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(0, TCSANOW, &quiet) == 0;
	}
	fputs("This key has no sshbox invite yet.\r\nInvite token: ", stderr);
	fflush(stderr);
	while (len + 1 < sizeof(buf)) {
		struct pollfd pfd = { 0, POLLIN, 0 };
		ssize_t n;
		char c;

		/* Nobody holds a session open at the prompt for long. */
		if (poll(&pfd, 1, PROMPT_SECONDS * 1000) <= 0) {
			len = 0;
			timed_out = 1;
			break;
		}
		n = read(0, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n' || c == '\r')
			break;
		buf[len++] = c;
	}
	buf[len] = '\0';
	if (restore)
		tcsetattr(0, TCSANOW, &saved);
	fputs("\r\n", stderr);
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	if (len == 0 || len > BOX_TOKEN_MAX)
		return timed_out ? -2 : -1;
	return box_strlcpy(out, buf + strspn(buf, " \t"), outsz);
}

/* Verify token and bind key to its invite.  0 or -1 with err. */
static int
redeem(struct box_ctx *ctx, const char *token, const struct box_sshkey *key,
    const char *source, struct box_binding *b, struct box_error *err)
{
	struct box_token_claims claims;
	struct box_limits lim;
	char hash[BOX_TOKEN_HASH_LEN + 1];
	EVP_PKEY *pub = NULL;
	int64_t now = box_now();
	int rc;

	if (box_state_rate_check(ctx->st, source, now, ctx->cfg.redeem_window,
	    ctx->cfg.redeem_max, err) < 0)
		return -1;
	if (box_token_load_public(ctx->cfg.verify_key, &pub, err) < 0) {
		err->kind = BOX_E_CONFIG;
		return -1;
	}
	rc = box_token_verify(pub, token, &claims, err);
	EVP_PKEY_free(pub);
	if (rc < 0) {
		err->kind = BOX_E_DENIED;
		return box_error_wrap(err, "this is not a valid invite token");
	}
	if (claims.redeem_by != 0 && now > claims.redeem_by)
		return box_error_set(err, BOX_E_DENIED, 0,
		    "this invite has expired");
	box_token_hash(token, hash);
	memset(&lim, 0, sizeof(lim));
	lim.max_boxes = ctx->cfg.max_boxes;
	lim.max_boxes_per_invite = ctx->cfg.max_boxes_per_invite;
	lim.max_boxes_per_source = ctx->cfg.max_boxes_per_source;
	return box_state_redeem_limited(ctx->st, claims.invite_id, hash,
	    key->fp, source, &lim, now, b, err);
}

/*
 * The key's binding: the one it has, or one made now by redeeming the
 * guest's token.  0 to go on to a session; else the exit status (0 for a
 * --bind-only redeem that is done).
 */
static int
bind_key(struct box_ctx *ctx, struct box_cmd *cmd,
    const struct box_sshkey *key, const char *source, int interactive,
    struct box_binding *b)
{
	char token[BOX_TOKEN_MAX + 1], when[32], port[16] = "";
	struct box_error err;
	int rc;

	/* Revoked, banned and over were refused() already; a change since
	 * is caught when the box is claimed, under the state's lock. */
	if (box_state_binding_get(ctx->st, key->fp, b, &err) == 0) {
		box_log_context(NULL, b->invite_id, key->fp);
		if (cmd->kind != BOX_CMD_REDEEM)
			return 0;
		if (cmd->bind_only)
			return -1;	/* idempotent for box-proxy: done */
		return fail(BOX_EXIT_DENIED, "this key has already redeemed "
		    "an invite: connect without \"redeem\"");
	}
	if (err.kind != BOX_E_NOTFOUND)
		return fail(box_exit_code(&err), "%s", err.msg);
	if (cmd->kind == BOX_CMD_REDEEM)
		box_strlcpy(token, cmd->token, sizeof(token));
	else if (cmd->kind == BOX_CMD_SHELL && interactive) {
		if ((rc = prompt_token(token, sizeof(token))) < 0)
			return fail(BOX_EXIT_DENIED, rc == -2 ? "no token "
			    "given within %d seconds" : "no token given",
			    PROMPT_SECONDS);
	} else {
		if (ctx->cfg.port != 22)
			snprintf(port, sizeof(port), "-p %d ", ctx->cfg.port);
		return fail(BOX_EXIT_DENIED, "this key has not redeemed an "
		    "invite: run ssh -t %s%s@%s redeem TOKEN first", port,
		    ctx->cfg.box_user, ctx->cfg.host);
	}
	if (redeem(ctx, token, key, source, b, &err) < 0) {
		/* Refusals for the rate limit are not written to the state: a
		 * flood must not grow it without bound; syslog and the audit
		 * file have them. */
		if (err.kind != BOX_E_RATE || strstr(err.msg, "maximum of") !=
		    NULL)
			box_state_audit(ctx->st, box_now(), "redeem-refused",
			    NULL, NULL, key->fp, source, err.msg);
		else
			box_state_audit_nodb(ctx->st, box_now(),
			    "rate-limited", NULL, NULL, key->fp, source,
			    err.msg);
		/* A live-box limit spends nothing: the guest may come back. */
		if (err.kind == BOX_E_RATE && strstr(err.msg, "maximum of") !=
		    NULL)
			return fail(box_exit_code(&err), "cannot redeem now: "
			    "%s; your invite is not spent, try again later",
			    err.msg);
		return fail(box_exit_code(&err), "cannot redeem: %s", err.msg);
	}
	/* The event is the log's line for it: one, not two. */
	box_log_context(NULL, b->invite_id, key->fp);
	box_state_audit(ctx->st, box_now(), "redeemed", b->invite_id, NULL,
	    key->fp, source, NULL);
	fprintf(stderr, "sshbox: invite redeemed: this key has a %s box until "
	    "%s\n", b->profile, box_format_time(b->deadline, when,
	    sizeof(when)));
	if (cmd->bind_only)
		return -1;
	cmd->kind = BOX_CMD_SHELL;
	return 0;
}

/*
 * A key that may not log in at all (banned, its invite revoked, its time
 * over) is told so in one line, before anything else is done: no
 * redemption, no box, no runtime helper.  box-authkeys lets such keys in
 * (restrict, no terminal) only for this line; without it they would see
 * a bare "Permission denied".  0 to go on, else the exit status.
 */
static int
refused(struct box_ctx *ctx, const struct box_sshkey *key, const char *source)
{
	struct box_binding b;
	struct box_error err;
	const char *why = NULL;
	int code = BOX_EXIT_DENIED;

	/* A bound key's row carries its ban; only a key not bound yet
	 * needs the ban asked for on its own. */
	if (box_state_binding_get(ctx->st, key->fp, &b, &err) == 0) {
		if (b.banned_at != 0)
			why = "this key is banned on this bastion";
		else if (b.revoked_at != 0)
			why = "this key's invite was revoked";
		else if (b.deadline <= box_now()) {
			why = "this key's box time is over";
			code = BOX_EXIT_EXPIRED;
		}
	} else if (err.kind != BOX_E_NOTFOUND)
		return fail(box_exit_code(&err), "%s", err.msg);
	else if (box_state_ban_get(ctx->st, key->fp, &(struct box_ban){ 0 },
	    &err) == 0)
		why = "this key is banned on this bastion";
	else if (err.kind != BOX_E_NOTFOUND)
		return fail(box_exit_code(&err), "%s", err.msg);
	if (why == NULL)
		return 0;
	/* Not in the state: a refused key that calls again and again must
	 * not grow it; syslog and the audit file have each. */
	box_state_audit_nodb(ctx->st, box_now(), "login-refused", NULL, NULL,
	    key->fp, source, why);
	return fail(code, "%s", why);
}

/* "status": the key's box and the time it has left; no box is made. */
static int
status(struct box_ctx *ctx, const struct box_cmd *cmd,
    const struct box_binding *b)
{
	char when[32], left[32];
	struct box_error err;
	struct box_box box;
	int64_t now = box_now();
	int has;

	if ((has = box_state_box_live_of(ctx->st, b->fp, &box, &err)) < 0 &&
	    err.kind != BOX_E_NOTFOUND)
		return fail(box_exit_code(&err), "%s", err.msg);
	has = has == 0;
	box_format_time(has ? box.deadline : b->deadline, when, sizeof(when));
	box_format_duration((has ? box.deadline : b->deadline) - now, left,
	    sizeof(left));
	if (cmd->json) {
		char out[1024];
		size_t o = 0;

		out[o++] = '{';
		out[o] = '\0';
		box_json_str(out, sizeof(out), &o, "profile", 32);
		out[o++] = ':';
		box_json_str(out, sizeof(out), &o, b->profile, 64);
		box_json_field(out, sizeof(out), &o, "invite", b->invite_id, 64);
		box_json_field(out, sizeof(out), &o, "key", b->fp, 128);
		box_json_field(out, sizeof(out), &o, "ends", when, 32);
		o += (size_t)snprintf(out + o, sizeof(out) - o, ",\"deadline\":"
		    "%lld,\"seconds_left\":%lld,\"box\":", (long long)(has ?
		    box.deadline : b->deadline), (long long)((has ?
		    box.deadline : b->deadline) - now));
		if (has) {
			out[o++] = '{';
			out[o] = '\0';
			box_json_str(out, sizeof(out), &o, "id", 8);
			out[o++] = ':';
			box_json_str(out, sizeof(out), &o, box.id, 64);
			box_json_field(out, sizeof(out), &o, "status",
			    box.status, 32);
			snprintf(out + o, sizeof(out) - o, ",\"sessions\":%d}}",
			    box.sessions);
		} else
			snprintf(out + o, sizeof(out) - o, "null}");
		puts(out);
	} else if (has) {
		printf("box %s (profile %s): %s, %d session%s; ends at %s, "
		    "%s left\n", box.id, b->profile, box.status, box.sessions,
		    box.sessions == 1 ? "" : "s", when, left);
	} else {
		printf("no box now (profile %s): connect to get one; this key's "
		    "time ends at %s, %s left\n", b->profile, when, left);
	}
	return fflush(stdout) == 0 ? 0 : BOX_EXIT_GONE;
}

/* The box's deadline as it is now, for a session's clock (0: unknown). */
struct deadline_arg {
	struct box_ctx	*ctx;
	const char	*box_id;
};

static int64_t
deadline_now(void *arg)
{
	struct deadline_arg *da = arg;
	struct box_error err;
	struct box_box box;

	if (box_state_box_get(da->ctx->st, da->box_id, &box, &err) < 0 ||
	    (strcmp(box.status, BOX_STATUS_RUNNING) != 0 &&
	    strcmp(box.status, BOX_STATUS_CREATING) != 0))
		return 0;
	return box.deadline;
}

/* The exit status for how a session ended (the box may be destroyed). */
static int
session_end(struct box_ctx *ctx, const struct box_cmd *cmd,
    struct box_box *box, int end, int status, struct box_error *err)
{
	/* A process that ended because its box was destroyed under it
	 * (killed, revoked, reaped) reports why, not the signal's status. */
	if ((end == BOX_SESSION_EXITED || end == BOX_SESSION_GONE) &&
	    box_state_box_get(ctx->st, box->id, box, err) == 0 &&
	    strcmp(box->status, BOX_STATUS_RUNNING) != 0)
		end = BOX_SESSION_GONE;
	switch (end) {
	case BOX_SESSION_EXITED:
		return status;
	case BOX_SESSION_DEADLINE:
		box_destroy(ctx, box, "expired", err);
		return fail(BOX_EXIT_EXPIRED, "time is up; the box was "
		    "destroyed");
	case BOX_SESSION_HANGUP:
		return BOX_EXIT_GONE;
	case BOX_SESSION_UNRECORDED:	/* the guest was told in session */
		return BOX_EXIT_UNRECORDED;
	case BOX_SESSION_GONE:
		if (box_state_box_get(ctx->st, box->id, box, err) == 0 &&
		    box->end_reason[0] != '\0')
			return fail(BOX_EXIT_GONE, "your box was destroyed (%s)",
			    box->end_reason);
		return fail(BOX_EXIT_GONE, "your box went away");
	default:
		if (cmd->kind == BOX_CMD_TCP)	/* "port N in your box: ..." */
			return fail(box_exit_code(err), "%s", err->msg);
		return fail(box_exit_code(err), "session failed: %s",
		    err->msg);
	}
}

/* Watchers come and go: the audit says who watched which session. */
struct watch_audit {
	struct box_ctx	*ctx;
	struct box_box	*box;
	const char	*source;
	int64_t		 log_id;
};

static void
on_watch(void *arg, int joined, const char *who)
{
	struct watch_audit *wa = arg;
	char detail[160];

	snprintf(detail, sizeof(detail), "session=%lld watcher=%.64s",
	    (long long)wa->log_id, who);
	box_state_audit(wa->ctx->st, box_now(), joined ? "watch-started" :
	    "watch-ended", wa->box->invite_id, wa->box->id, wa->box->fp,
	    wa->source, detail);
}

/*
 * A recorded profile's recording, started before the box is made so that
 * a recording that cannot be made costs nothing.  0 to go on (*rec may be
 * NULL: not recorded); else the exit status, the guest told why.
 */
static int
start_recording(struct box_ctx *ctx, const struct box_cmd *cmd,
    const struct box_profile *prof, int transfer, int interactive,
    const char *term, const char *source, struct box_record **rec,
    char *name, size_t namesz)
{
	struct box_error err;
	struct winsize ws;
	unsigned cols = 0, rows = 0;
	char title[128], detail[BOX_ERROR_MSG_MAX + 32];

	*rec = NULL;
	if (prof->record == BOX_RECORD_OFF)
		return 0;
	/* Port streams and file transfers are bytes, not a screen: their
	 * audit rows count them, and nothing records them. */
	if (cmd->kind == BOX_CMD_TCP || transfer) {
		if (prof->record_required)
			return fail(BOX_EXIT_UNRECORDED, "this box takes only "
			    "recorded sessions, and %s cannot be recorded",
			    transfer ? "a file transfer" : "a port stream");
		return 0;
	}
	if (interactive && ioctl(0, TIOCGWINSZ, &ws) == 0) {
		cols = ws.ws_col;
		rows = ws.ws_row;
	}
	snprintf(title, sizeof(title), "sshbox: profile %s, from %s",
	    prof->name, source);
	if (box_record_open(rec, ctx->cfg.recordings_dir,
	    prof->record == BOX_RECORD_ALL, prof->record_max, cols, rows,
	    term, title, name, namesz, &err) == 0)
		return 0;
	snprintf(detail, sizeof(detail), "required=%d %s",
	    prof->record_required, err.msg);
	box_state_audit(ctx->st, box_now(), "recording-failed", NULL, NULL,
	    NULL, source, detail);
	if (prof->record_required)	/* the details are the admin's */
		return fail(BOX_EXIT_UNRECORDED, "this box takes only recorded "
		    "sessions, and sessions cannot be recorded now; try "
		    "again later");
	box_log(LOG_WARNING, "session not recorded: %s", err.msg);
	return 0;
}

/* The guest's command (or shell, or port) in its box, start to end. */
int
session(struct box_ctx *ctx, const struct box_cmd *cmd,
    const struct box_binding *b, const char *source, int interactive)
{
	struct box_session_result res = { -1, "failed", -1, -1, NULL };
	struct box_session_info si;
	struct box_session_opts so;
	struct box_profile prof;
	struct box_record *rec = NULL;
	struct box_watch *watch = NULL;
	struct watch_audit wa = { ctx, NULL, source, 0 };
	struct deadline_arg da = { ctx, NULL };
	char login[192], when[32], left[32];
	struct box_error err;
	struct box_box box;
	struct winsize ws;
	int64_t session = -1, log_id = 0, started = box_now();
	int rc, end = -1, status = 0, last, agent, transfer = 0;
	char *tools = NULL, portcmd[32], detail[BOX_SESSION_CMD_MAX + 160];
	char recname[BOX_RECORDING_NAME_MAX], wdir[PATH_MAX], endmsg[64];
	const char *term = NULL, *p;

	if (box_config_load_profile(&ctx->cfg, b->profile, &prof, &err) < 0)
		return fail(BOX_EXIT_CONFIG, "%s", err.msg);
	if (interactive) {
		p = getenv("TERM");
		term = box_valid_term(p) ? p : "xterm";
	}
	snprintf(portcmd, sizeof(portcmd), "tcp %u", cmd->port);
	/* With an allowlist, a shell without a terminal is a script read
	 * from standard input: no listed command, so none. */
	if (cmd->kind == BOX_CMD_SHELL && !interactive && prof.ncmd_allow > 0)
		return fail(BOX_EXIT_DENIED, "this box runs only the commands "
		    "its profile lists, and a shell without a terminal is "
		    "none of them");
	/* The profile's hooks, before anything is made: a refused command
	 * costs nothing. */
	if ((cmd->kind == BOX_CMD_EXEC || cmd->kind == BOX_CMD_TCP) &&
	    box_command_allowed(&prof, cmd->kind == BOX_CMD_TCP ? portcmd :
	    cmd->exec, &err) < 0) {
		snprintf(detail, sizeof(detail), "%s: %.*s", err.msg,
		    BOX_SESSION_CMD_MAX, cmd->kind == BOX_CMD_TCP ? portcmd :
		    cmd->exec);
		box_state_audit(ctx->st, box_now(), "command-refused",
		    b->invite_id, NULL, b->fp, source, detail);
		return fail(BOX_EXIT_DENIED, "%s", err.msg);
	}
	if (cmd->kind == BOX_CMD_EXEC) {
		/* scp and sftp run the bastion's own programs in the box. */
		if ((tools = malloc(strlen(cmd->exec) + 512)) == NULL ||
		    box_command_tools(cmd->exec, tools, strlen(cmd->exec) +
		    512) < 0) {
			free(tools);
			return fail(BOX_EXIT_CONFIG, "out of memory");
		}
		transfer = strcmp(tools, cmd->exec) != 0;
	}
	if ((rc = start_recording(ctx, cmd, &prof, transfer, interactive,
	    term, source, &rec, recname, sizeof(recname))) != 0) {
		free(tools);
		return rc;
	}
	/* A box of a staff member's invite (or their own) counts against
	 * their quota and their group's. */
	if (ctx->staff_lim.owner == NULL) {
		static struct box_invite inv;
		const struct box_group *g;

		if (box_state_invite_get(ctx->st, b->invite_id, &inv,
		    &err) == 0 && inv.owner[0] != '\0') {
			ctx->staff_lim.owner = inv.owner;
			ctx->staff_lim.max_boxes_per_owner =
			    ctx->cfg.max_boxes_per_person;
			ctx->staff_lim.group = inv.grp;
			g = box_config_group(&ctx->cfg, inv.grp);
			ctx->staff_lim.max_boxes_per_group = g != NULL ?
			    g->max_boxes : 0;
		}
	}
	if (box_provision(ctx, b, &prof, source, &box, &err) < 0) {
		box_record_discard(rec);	/* no session, nothing seen */
		free(tools);
		return fail(box_exit_code(&err), "cannot start your box: %s",
		    err.msg);
	}
	/* The guest took a pooled box: another one, in the background. */
	if (ctx->from_pool)
		box_pool_kick(ctx, prof.name);
	memset(&si, 0, sizeof(si));
	si.source = source;
	si.tty = interactive;
	si.command = "";
	si.recording = rec != NULL ? recname : NULL;
	if (cmd->kind == BOX_CMD_TCP) {
		si.command = portcmd;
	} else if (cmd->kind != BOX_CMD_SHELL)
		si.command = cmd->exec;
	if (box_state_session_add(ctx->st, box.id, (long)getpid(),
	    box_pid_start((long)getpid()), &si, started, &session, &log_id,
	    &err) < 0) {
		box_record_discard(rec);
		free(tools);
		return fail(BOX_EXIT_GONE, "your box ended: %s", err.msg);
	}
	box_session_detail(detail, sizeof(detail), log_id, &si, NULL, 0);
	box_state_audit(ctx->st, started, "session-started", box.invite_id,
	    box.id, box.fp, source, detail);
	if (box_ctx_runtime(ctx, &prof, &err) < 0) {
		rc = fail(box_exit_code(&err), "%s", err.msg);
		goto end_session;
	}
	if ((agent = box_runtime_agent(ctx->rt, box.id, box.ref, &err)) < 0) {
		/* The runtime says the box is not running (its init ended,
		 * its sandbox died): it serves no session again.  It goes
		 * now, not at the next reaper pass, and the key's next login
		 * gets a new box. */
		if (err.kind == BOX_E_NOTFOUND) {
			struct box_error e2;

			box_destroy(ctx, &box, "box stopped", &e2);
			rc = fail(BOX_EXIT_RUNTIME, "your box stopped (%s): "
			    "connect again for a new one", err.msg);
		} else {
			rc = fail(box_exit_code(&err), "cannot reach your box: "
			    "%s", err.msg);
		}
		goto end_session;
	}
	memset(&so, 0, sizeof(so));
	/* gVisor's sandbox and a microVM take no descriptor from the
	 * host: relay. */
	so.passthrough = rec == NULL && (prof.session == BOX_SESSION_PASS ||
	    (prof.session == BOX_SESSION_AUTO && !interactive &&
	    strcmp(prof.runtime, "runsc") != 0 &&
	    strcmp(prof.runtime, "microvm") != 0));
	so.tty = interactive;
	so.term = term;
	if (cmd->kind == BOX_CMD_TCP)
		so.port = cmd->port;
	else if (cmd->kind != BOX_CMD_SHELL)
		so.command = tools;
	so.profile = &prof;
	so.deadline = box.deadline;
	da.box_id = box.id;
	so.deadline_now = deadline_now;
	so.deadline_arg = &da;
	/* A login is told how long its box has. */
	if (cmd->kind == BOX_CMD_SHELL && interactive) {
		snprintf(login, sizeof(login), "box %s (profile %s) ends at %s, "
		    "%s left", box.id, prof.name, box_format_time(box.deadline,
		    when, sizeof(when)), box_format_duration(box.deadline -
		    box_now(), left, sizeof(left)));
		so.login_notice = login;
		so.motd = prof.banner;
	}
	so.warn = prof.warn;
	so.nwarn = prof.nwarn;
	so.bytes_in = &res.bytes_in;
	so.bytes_out = &res.bytes_out;
	so.rec = rec;
	so.rec_required = prof.record_required;
	if (rec != NULL)
		so.banner = prof.record == BOX_RECORD_ALL ? "this session is "
		    "recorded, what you type included" : "this session is "
		    "recorded";
	/* Relayed screens can be watched: not port streams or transfers. */
	if (prof.watch && !so.passthrough && cmd->kind != BOX_CMD_TCP &&
	    !transfer && snprintf(wdir, sizeof(wdir), "%s/watch",
	    ctx->cfg.state_dir) < (int)sizeof(wdir)) {
		if (!(interactive && ioctl(0, TIOCGWINSZ, &ws) == 0))
			ws.ws_col = ws.ws_row = 0;
		if (box_watch_open(&watch, wdir, log_id, ws.ws_col, ws.ws_row,
		    &err) < 0)
			box_log(LOG_WARNING, "session %lld cannot be watched: "
			    "%s", (long long)log_id, err.msg);
	}
	wa.ctx = ctx;
	wa.box = &box;
	wa.source = source;
	wa.log_id = log_id;
	so.watch = watch;
	so.watch_notice = prof.watch_notice;
	so.on_watch = on_watch;
	so.on_watch_arg = &wa;
	end = box_session_run(agent, &so, &status, &err);
	rc = session_end(ctx, cmd, &box, end, status, &err);
	/* Every path after the session was added ends it here (a no-op
	 * when the box already ended and took its sessions along). */
end_session:
	res.exit_status = end == BOX_SESSION_EXITED ? status : -1;
	res.reason = end == BOX_SESSION_EXITED ? "exited" :
	    end == BOX_SESSION_DEADLINE ? "deadline" :
	    end == BOX_SESSION_HANGUP ? "hangup" :
	    end == BOX_SESSION_GONE ? "box gone" :
	    end == BOX_SESSION_UNRECORDED ? "unrecorded" : "failed";
	snprintf(endmsg, sizeof(endmsg), "exit=%d reason=%s",
	    res.exit_status, res.reason);
	box_watch_close(watch, endmsg, on_watch, &wa);
	if (rec != NULL) {
		res.recording = box_record_close(rec, res.exit_status,
		    res.reason) ? BOX_RECORDING_COMPLETE :
		    BOX_RECORDING_INCOMPLETE;
		box_state_session_recording(ctx->st, log_id, res.recording,
		    &err);
	}
	box_session_detail(detail, sizeof(detail), log_id, &si, &res,
	    box_now() - started);
	box_state_audit(ctx->st, box_now(), "session-ended", box.invite_id,
	    box.id, box.fp, source, detail);
	if (box_state_session_end(ctx->st, session, box_now(), prof.linger,
	    &res, &last, &err) == 0 && last && prof.linger == 0)
		box_destroy(ctx, &box, "last session ended", &err);
	free(tools);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *conf = SYSCONFDIR "/sshbox/sshbox.yaml";
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char source[BOX_SOURCE_MAX], *auth = NULL;
	const char *p;
	struct box_binding b;
	struct box_sshkey key;
	struct box_sshcert cert;
	struct box_cert staff;
	struct box_error err;
	struct box_ctx ctx;
	struct box_cmd cmd;
	int ch, rc, interactive, is_cert = 0;

	box_log_init("box-shell", BOX_LOG_SYSLOG);
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return BOX_EXIT_USAGE;
		}
	}
	/* Sessions all run as one account: none may read another's memory,
	 * from the start. */
	if (box_priv_undumpable(&err) < 0)
		return fail(BOX_EXIT_CONFIG, "%s", err.msg);
	if ((p = getenv("SSH_USER_AUTH")) == NULL)
		return fail(BOX_EXIT_CONFIG, "sshd did not say which key was "
		    "used (ExposeAuthInfo yes is required)");
	if (box_read_file(p, 65536, &auth, NULL, &err) < 0)
		return fail(BOX_EXIT_CONFIG, "cannot read SSH_USER_AUTH: %s",
		    err.msg);
	rc = box_sshauth_parse(auth, strlen(auth), &key, &cert, &is_cert,
	    &err);
	free(auth);
	if (rc < 0)
		return fail(BOX_EXIT_DENIED, "%s", err.msg);
	box_log_context(NULL, NULL, key.fp);
	source_address(source, sizeof(source));
	if (box_ctx_open(&ctx, conf, 0, &err) < 0)
		return fail(box_exit_code(&err), "%s", err.msg);
	box_log_set_format(ctx.cfg.log_format);
	/* A refused key hears why, and nothing more happens. */
	if ((rc = is_cert ? staff_refused(&ctx, &cert, source, &staff) :
	    refused(&ctx, &key, source)) != 0) {
		box_ctx_close(&ctx);
		return rc;
	}
	/* The runtime is reached through the setgid box-runtime helper,
	 * started before no_new_privs would disarm it. */
	if (geteuid() != 0)
		box_helper_start(conf);
	if (box_priv_drop(&err) < 0) {
		box_ctx_close(&ctx);
		return fail(BOX_EXIT_CONFIG, "%s", err.msg);
	}
	interactive = isatty(0);
	/* A staff member's certificate: staff commands, their own boxes. */
	if (is_cert) {
		rc = staff_main(&ctx, &staff, getenv("SSH_ORIGINAL_COMMAND"),
		    source, interactive);
		box_ctx_close(&ctx);
		return rc;
	}
	if (box_command_parse(getenv("SSH_ORIGINAL_COMMAND"), &cmd, &err) < 0) {
		box_ctx_close(&ctx);
		return fail(BOX_EXIT_USAGE, "%s", err.msg);
	}
	if ((rc = bind_key(&ctx, &cmd, &key, source, interactive, &b)) == 0)
		rc = cmd.kind == BOX_CMD_STATUS ? status(&ctx, &cmd, &b) :
		    session(&ctx, &cmd, &b, source, interactive);
	else if (rc < 0)
		rc = 0;		/* bound, and nothing more was asked */
	box_ctx_close(&ctx);
	return rc;
}
