/*
 * box-invite's control of guests after redemption: the keys there are,
 * bans (one key, whatever invite it came from), and more time for a box.
 * A ban and a kill --ban end the key's live box at once; an extension
 * reaches the box's live sessions within seconds (box-shell reads the
 * deadline again).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "box/box.h"
#include "auth/sshkey.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "cli.h"
#include "control.h"

/* What a key may do now, as box-authkeys and box-shell decide it. */
static const char *
key_state(const struct box_binding *b, int64_t now)
{
	if (b->banned_at != 0)
		return "banned";
	if (b->revoked_at != 0)
		return "revoked";
	if (b->deadline <= now)
		return "over";
	return "live";
}

struct keys_out {
	struct box_ctx		*ctx;
	struct json_object	*arr;	/* NULL: a table */
	int			 count;
};

static int
key_cb(void *arg, const struct box_binding *b)
{
	struct keys_out *k = arg;
	struct box_error err;
	struct box_box box;
	char bound[32], ends[32], src[BOX_SOURCE_MAX];
	int has;

	k->count++;
	has = box_state_box_live_of(k->ctx->st, b->fp, &box, &err) == 0;
	box_format_time(b->bound_at, bound, sizeof(bound));
	box_format_time(b->deadline, ends, sizeof(ends));
	if (k->arr != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "key", json_object_new_string(b->fp));
		json_object_object_add(o, "invite",
		    json_object_new_string(b->invite_id));
		json_object_object_add(o, "profile",
		    json_object_new_string(b->profile));
		json_object_object_add(o, "state",
		    json_object_new_string(key_state(b, box_now())));
		json_object_object_add(o, "bound", json_object_new_string(bound));
		json_object_object_add(o, "ends", json_object_new_string(ends));
		json_object_object_add(o, "deadline",
		    json_object_new_int64(b->deadline));
		json_object_object_add(o, "source",
		    json_object_new_string(b->source));
		json_object_object_add(o, "box", has ?
		    json_object_new_string(box.id) : NULL);
		json_object_array_add(k->arr, o);
		return 0;
	}
	printf("%-51s  %-16s  %-14s  %-7s  %-20s  %-20s  %-16s  %s\n", b->fp,
	    b->invite_id, b->profile, key_state(b, box_now()), bound, ends,
	    has ? box.id : "-", box_log_safe(b->source, src, sizeof(src)));
	return 0;
}

int
cmd_keys(struct box_ctx *ctx, int argc, char **argv, int json)
{
	static const struct option opts[] = {
		{ "invite", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct keys_out k = { ctx, NULL, 0 };
	const char *invite = NULL;
	struct box_invite inv;
	struct box_error err;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'i')
			return die(2, "usage: box-invite keys [--invite ID] "
			    "[--json]");
		invite = optarg;
	}
	if (optind != argc)
		return die(2, "usage: box-invite keys [--invite ID] [--json]");
	if (invite != NULL && box_state_invite_get(ctx->st, invite, &inv,
	    &err) < 0)
		return die(1, "%s", err.msg);
	if (json)
		k.arr = json_object_new_array();
	else
		printf("%-51s  %-16s  %-14s  %-7s  %-20s  %-20s  %-16s  %s\n",
		    "KEY", "INVITE", "PROFILE", "STATE", "BOUND", "ENDS", "BOX",
		    "SOURCE");
	if (box_state_binding_list(ctx->st, invite, key_cb, &k, &err) < 0) {
		json_object_put(k.arr);
		return die(1, "%s", err.msg);
	}
	if (json)
		print_json(k.arr);
	return 0;
}

static int
ban_cb(void *arg, const struct box_ban *b)
{
	struct json_object *arr = arg;
	char at[32], by[128], reason[BOX_NOTE_MAX * 4];

	box_format_time(b->at, at, sizeof(at));
	if (arr != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "key", json_object_new_string(b->fp));
		json_object_object_add(o, "banned", json_object_new_string(at));
		json_object_object_add(o, "by", json_object_new_string(b->by));
		json_object_object_add(o, "reason",
		    json_object_new_string(b->reason));
		json_object_array_add(arr, o);
		return 0;
	}
	printf("%-51s  %-20s  %-24s  %s\n", b->fp, at,
	    box_log_safe(b->by, by, sizeof(by)), box_log_safe(b->reason,
	    reason, sizeof(reason)));
	return 0;
}

int
cmd_bans(struct box_ctx *ctx, int argc, char **argv, int json)
{
	struct json_object *arr = json ? json_object_new_array() : NULL;
	struct box_error err;

	(void)argv;
	if (argc != 1) {
		json_object_put(arr);
		return die(2, "usage: box-invite bans [--json]");
	}
	if (!json)
		printf("%-51s  %-20s  %-24s  %s\n", "KEY", "BANNED", "BY",
		    "REASON");
	if (box_state_ban_list(ctx->st, ban_cb, arr, &err) < 0) {
		json_object_put(arr);
		return die(1, "%s", err.msg);
	}
	if (json)
		print_json(arr);
	return 0;
}

int
control_ban(struct box_ctx *ctx, const char *fp, const char *reason,
    int *added, char *ended, size_t endedsz)
{
	struct box_error err;
	struct box_box box;
	char detail[BOX_NOTE_MAX + 160];

	ended[0] = '\0';
	if (box_state_ban_add(ctx->st, fp, box_now(), box_invite_who, reason,
	    added, &err) < 0)
		return die(1, "%s", err.msg);
	box_log_context(NULL, NULL, fp);
	if (*added) {
		snprintf(detail, sizeof(detail), "by=%s%s%s", box_invite_who,
		    reason[0] != '\0' ? " reason=" : "", reason);
		box_state_audit(ctx->st, box_now(), "key-banned", NULL, NULL,
		    fp, NULL, detail);
	}
	/* Its live box ends now: its sessions with it, told why. */
	if (box_state_box_live_of(ctx->st, fp, &box, &err) == 0) {
		box_strlcpy(ended, box.id, endedsz);
		box_log_context(box.id, box.invite_id, fp);
		if (box_destroy(ctx, &box, "key banned by an administrator",
		    &err) < 0)
			return die(1, "box %s: %s (box-reaper will remove what "
			    "is left)", box.id, err.msg);
	}
	return 0;
}

/* The result of a ban, as a line or an object. */
static void
ban_result(const char *fp, int added, const char *ended, int json)
{
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "banned", json_object_new_string(fp));
		json_object_object_add(o, "already",
		    json_object_new_boolean(!added));
		json_object_object_add(o, "box_ended", ended[0] != '\0' ?
		    json_object_new_string(ended) : NULL);
		print_json(o);
		return;
	}
	printf("key %s %s", fp, added ? "banned" : "was banned already");
	if (ended[0] != '\0')
		printf("; box %s destroyed", ended);
	printf("\n");
}

/* --reason TEXT: shown to administrators, never to the guest. */
static int
reason_ok(const char *r)
{
	return strlen(r) < BOX_NOTE_MAX && box_utf8_text(r);
}

int
cmd_ban(struct box_ctx *ctx, int argc, char **argv, int json)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *reason = "";
	char ended[BOX_ID_LEN + 1];
	int ch, added, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'r')
			return die(2, "usage: box-invite ban [--reason TEXT] "
			    "KEY");
		reason = optarg;
	}
	if (optind + 1 != argc)
		return die(2, "usage: box-invite ban [--reason TEXT] KEY");
	if (!box_sshkey_valid_fp(argv[optind]))
		return die(2, "ban: \"%.80s\" is not a key fingerprint "
		    "(SHA256:..., as box-invite keys shows)", argv[optind]);
	if (!reason_ok(reason))
		return die(2, "--reason: UTF-8 text without control characters, "
		    "at most %d bytes", BOX_NOTE_MAX - 1);
	if ((rc = control_ban(ctx, argv[optind], reason, &added, ended,
	    sizeof(ended))) != 0)
		return rc;
	ban_result(argv[optind], added, ended, json);
	return 0;
}

int
cmd_unban(struct box_ctx *ctx, int argc, char **argv, int json)
{
	struct box_error err;
	char detail[160];

	if (argc != 2)
		return die(2, "usage: box-invite unban KEY");
	if (!box_sshkey_valid_fp(argv[1]))
		return die(2, "unban: \"%.80s\" is not a key fingerprint",
		    argv[1]);
	if (box_state_ban_remove(ctx->st, argv[1], &err) < 0)
		return die(1, "%s", err.msg);
	box_log_context(NULL, NULL, argv[1]);
	snprintf(detail, sizeof(detail), "by=%s", box_invite_who);
	box_state_audit(ctx->st, box_now(), "key-unbanned", NULL, NULL,
	    argv[1], NULL, detail);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "unbanned",
		    json_object_new_string(argv[1]));
		print_json(o);
	} else {
		printf("key %s unbanned\n", argv[1]);
	}
	return 0;
}

int
cmd_kill_ban(struct box_ctx *ctx, const struct box_box *b,
    const char *reason, int json)
{
	char ended[BOX_ID_LEN + 1];
	int added, rc;

	if (!reason_ok(reason))
		return die(2, "--reason: UTF-8 text without control characters, "
		    "at most %d bytes", BOX_NOTE_MAX - 1);
	if ((rc = control_ban(ctx, b->fp, reason, &added, ended,
	    sizeof(ended))) != 0)
		return rc;
	ban_result(b->fp, added, ended, json);
	return 0;
}

int
cmd_extend(struct box_ctx *ctx, int argc, char **argv, int json)
{
	struct box_profile prof;
	struct box_error err;
	struct box_box box;
	char when[32], left[32], by[32], detail[160];
	int64_t add, now = box_now();

	if (argc != 3)
		return die(2, "usage: box-invite extend BOX DURATION (30m, 1h)");
	if (box_parse_duration(argv[2], &add, &err) < 0 || add <= 0)
		return die(2, "extend: %s", add <= 0 ? "the duration must be "
		    "more than 0s" : err.msg);
	if (box_state_box_get(ctx->st, argv[1], &box, &err) < 0)
		return die(1, "no box %.40s", argv[1]);
	box_log_context(box.id, box.invite_id, box.fp);
	if (box_config_load_profile(&ctx->cfg, box.profile, &prof, &err) < 0)
		return die(1, "extend: %s", err.msg);
	if (box_state_box_extend(ctx->st, box.id, add, prof.max_ttl, now,
	    &box, &err) < 0)
		return die(1, "%s", err.msg);
	box_format_time(box.deadline, when, sizeof(when));
	box_format_duration(box.deadline - now, left, sizeof(left));
	box_format_duration(add, by, sizeof(by));
	snprintf(detail, sizeof(detail), "by=%s deadline=%lld who=%s", by,
	    (long long)box.deadline, box_invite_who);
	box_state_audit(ctx->st, now, "box-extended", box.invite_id, box.id,
	    box.fp, NULL, detail);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "extended",
		    json_object_new_string(box.id));
		json_object_object_add(o, "ends", json_object_new_string(when));
		json_object_object_add(o, "deadline",
		    json_object_new_int64(box.deadline));
		json_object_object_add(o, "seconds_left",
		    json_object_new_int64(box.deadline - now));
		print_json(o);
	} else {
		printf("box %s now ends at %s (%s left)\n", box.id, when, left);
	}
	return 0;
}

/* ------------------------------------------------------------- requests */

static int
request_cb(void *arg, const struct box_request *r)
{
	struct json_object *arr = arg;
	char at[32], ttl[32], src[BOX_SOURCE_MAX];

	box_format_time(r->created_at, at, sizeof(at));
	box_format_duration(r->ttl, ttl, sizeof(ttl));
	if (arr != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "request",
		    json_object_new_string(r->id));
		json_object_object_add(o, "principal",
		    json_object_new_string(r->principal));
		json_object_object_add(o, "group",
		    json_object_new_string(r->grp));
		json_object_object_add(o, "profile",
		    json_object_new_string(r->profile));
		json_object_object_add(o, "ttl", json_object_new_int64(r->ttl));
		json_object_object_add(o, "source",
		    json_object_new_string(r->source));
		json_object_object_add(o, "created",
		    json_object_new_string(at));
		json_object_object_add(o, "state",
		    json_object_new_string(r->state));
		json_object_object_add(o, "decided_by", r->decided_by[0] ?
		    json_object_new_string(r->decided_by) : NULL);
		json_object_object_add(o, "reason", r->reason[0] ?
		    json_object_new_string(r->reason) : NULL);
		json_object_array_add(arr, o);
		return 0;
	}
	printf("%-16s  %-16s  %-10s  %-14s  %-8s  %-20s  %-8s  %s\n", r->id,
	    r->principal, r->grp, r->profile, ttl, at, r->state,
	    box_log_safe(r->source, src, sizeof(src)));
	return 0;
}

int
cmd_requests(struct box_ctx *ctx, int argc, char **argv, int json)
{
	struct json_object *arr = json ? json_object_new_array() : NULL;
	struct box_error err;
	int all = argc == 2 && strcmp(argv[1], "--all") == 0;

	if (argc > 2 || (argc == 2 && !all)) {
		json_object_put(arr);
		return die(2, "usage: box-invite requests [--all] [--json]");
	}
	if (!json)
		printf("%-16s  %-16s  %-10s  %-14s  %-8s  %-20s  %-8s  %s\n",
		    "REQUEST", "PRINCIPAL", "GROUP", "PROFILE", "TTL",
		    "ASKED", "STATE", "SOURCE");
	if (box_state_request_list(ctx->st, !all, request_cb, arr,
	    &err) < 0) {
		json_object_put(arr);
		return die(1, "%s", err.msg);
	}
	if (json)
		print_json(arr);
	return 0;
}

/* approve REQ, deny [--reason TEXT] REQ: once, while it is pending and
 * its staff member still waits. */
int
cmd_decide(struct box_ctx *ctx, int argc, char **argv, int json)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	int approve = strcmp(argv[0], "approve") == 0, ch;
	const char *reason = "", *state = approve ? "approved" : "denied";
	char detail[BOX_NOTE_MAX + 200];
	struct box_request r;
	struct box_error err;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'r' || approve)
			return die(2, "usage: box-invite approve REQUEST | deny "
			    "[--reason TEXT] REQUEST");
		reason = optarg;
	}
	if (optind + 1 != argc)
		return die(2, "usage: box-invite approve REQUEST | deny "
		    "[--reason TEXT] REQUEST");
	if (!reason_ok(reason))
		return die(2, "--reason: UTF-8 text without control characters, "
		    "at most %d bytes", BOX_NOTE_MAX - 1);
	if (box_state_request_get(ctx->st, argv[optind], &r, &err) < 0)
		return die(1, "%s", err.msg);
	/* Nobody waits for it any more: it expires instead. */
	if (strcmp(r.state, "pending") == 0 &&
	    box_now() >= r.created_at + ctx->cfg.approval_wait) {
		box_state_request_decide(ctx->st, r.id, "expired", "sshbox",
		    "", box_now(), &err);
		return die(1, "request %s has expired: its staff member no "
		    "longer waits", r.id);
	}
	if (box_state_request_decide(ctx->st, r.id, state, box_invite_who,
	    reason, box_now(), &err) < 0)
		return die(1, "%s", err.msg);
	snprintf(detail, sizeof(detail), "request=%s principal=%s profile=%s "
	    "by=%s%s%s", r.id, r.principal, r.profile, box_invite_who,
	    reason[0] ? " reason=" : "", reason);
	box_state_audit(ctx->st, box_now(), approve ? "approval-granted" :
	    "approval-denied", NULL, NULL, NULL, r.source, detail);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "request",
		    json_object_new_string(r.id));
		json_object_object_add(o, "state",
		    json_object_new_string(state));
		print_json(o);
	} else {
		printf("request %s of %s (profile %s) %s\n", r.id, r.principal,
		    r.profile, state);
	}
	return 0;
}
