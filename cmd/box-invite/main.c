/*
 * box-invite: the administrator's tool on the bastion.  Sets up the
 * signing key and state (init), creates, lists, shows and revokes invites,
 * and lists and kills boxes.  Human output by default, --json for scripts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "box/box.h"
#include "box/invite.h"
#include "doctor.h"
#include "cli.h"
#include "control.h"
#include "staff.h"
#include "watch.h"
#include "replay.h"
#include "runtime/helper.h"
#include "core/json.h"
#include "core/log.h"
#include "core/priv.h"
#include "auth/token.h"
#include "core/util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define DEFAULT_EXPIRES	(7 * 86400)
#define MAX_USES	1000

static const char *conf = SYSCONFDIR "/sshbox/sshbox.yaml";
static int json;
static EVP_PKEY *signing_key;	/* read by root before it becomes box */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: box-invite [-c FILE] COMMAND [ARGS] [--json]\n"
"Create and manage sshbox invites and boxes; see box-invite(1).\n"
"\n"
"  init                        create the signing key and the state\n"
"  create --profile NAME [--ttl DURATION] [--uses N] [--expires DURATION]\n"
"         [--note TEXT]        create an invite and print the guest's command\n"
"  list                        list invites\n"
"  show ID                     show one invite and its boxes\n"
"  revoke ID                   revoke an invite and destroy its boxes\n"
"  boxes [--all]               list live boxes (--all: ended ones too)\n"
"  kill [--ban [--reason TEXT]] BOX\n"
"                              destroy a box now (--ban: and keep its key\n"
"                              out; else the guest may connect again)\n"
"  extend BOX DURATION         more time for a box, within its profile's\n"
"                              max_ttl; live sessions see it\n"
"  keys [--invite ID]          redeemed keys: invite, state, time, box\n"
"  ban [--reason TEXT] KEY     keep a key out, whatever invite it came\n"
"                              from, and destroy its live box\n"
"  unban KEY                   let a banned key in again\n"
"  bans                        banned keys\n"
"  pools                       the warm pools: ready boxes per profile\n"
"  sessions [--live] [--box BOX] [--limit N]\n"
"                              who is connected (--live), and who was\n"
"  audit [--since T] [--box BOX] [--invite ID] [--limit N]\n"
"                              the audit trail (T: 2h back, or unix seconds)\n"
"  watch SESSION|BOX           a live session, read-only (q stops)\n"
"  replay [--html] [--speed X] [--idle-limit S] SESSION|--file PATH\n"
"                              play a recording here (q stops), or as a\n"
"                              web page (--html > FILE)\n"
"  doctor [--sshd-config FILE] check the installation, say what to fix\n"
"\n"
"  ca init                     make the staff CA and its revocation list\n"
"  cert --principal NAME [--groups G,...] [--ttl DURATION] KEY.pub\n"
"                              sign a staff member's key (prints the\n"
"                              certificate)\n"
"  cert list                   certificates signed, and their state\n"
"  cert revoke SERIAL          revoke one (sshd's RevokedKeys too)\n"
"  requests [--all]            staff requests waiting for approval\n"
"  approve REQUEST             let a staff member have that box\n"
"  deny [--reason TEXT] REQUEST\n"
"                              refuse it (the staff member is told)\n"
"\n"
"  -c FILE    configuration (default %s/sshbox/sshbox.yaml)\n"
"  --json     machine-readable output\n"
"Durations: 90s, 30m, 2h, 1h30m, 7d.\n", SYSCONFDIR);
}

char box_invite_who[96];

/* Who is running this, noted before any change of account. */
static void
note_who(void)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	char name[40];

	if (pw != NULL)
		snprintf(name, sizeof(name), "%.32s", pw->pw_name);
	else
		snprintf(name, sizeof(name), "uid %u", (unsigned)getuid());
	if (sudo != NULL && box_valid_name(sudo, 32))
		snprintf(box_invite_who, sizeof(box_invite_who),
		    "%s (sudo %s)", name, sudo);
	else
		snprintf(box_invite_who, sizeof(box_invite_who), "%s", name);
}

int
die(int code, const char *fmt, ...)
{
	char msg[2048], safe[4096];
	va_list ap;

	/* Messages quote names, paths and rows: one line, escaped. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "box-invite: %s\n", box_log_safe(msg, safe,
	    sizeof(safe)));
	return code;
}

void
print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* ------------------------------------------------------------------ init */

/* 1 if the directory open at fd holds nothing, 0 if it does, -1 on error. */
static int
dir_empty(int fd)
{
	struct dirent *de;
	DIR *d;
	int dup_fd, empty = 1;

	if ((dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -1;
	if ((d = fdopendir(dup_fd)) == NULL) {
		close(dup_fd);
		return -1;
	}
	while (empty && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/*
 * The state directory, owned by the box account (uid, gid), mode 0750.
 * Walked and changed through descriptors: a link the box account plants
 * in a directory it owns cannot turn root's chown onto another file.  An
 * existing directory of someone else's is taken over only when empty.
 */
static int
state_dir_setup(const char *path, uid_t uid, gid_t gid)
{
	struct box_error err;
	struct stat st;
	int fd, created = 0;

	if ((fd = box_open_dir_nofollow(path, 0, 0, &err)) < 0 &&
	    err.kind == BOX_E_NOTFOUND) {
		created = 1;
		fd = box_open_dir_nofollow(path, 1, 0750, &err);
	}
	if (fd < 0)
		return die(1, "state_dir: %s", err.msg);
	if (fstat(fd, &st) < 0) {
		close(fd);
		return die(1, "%s: %s", path, strerror(errno));
	}
	if (!created && st.st_uid != uid && dir_empty(fd) != 1) {
		close(fd);
		return die(1, "state_dir %s belongs to uid %u, not to the box "
		    "account, and is not empty: point state_dir at a "
		    "directory of sshbox's own", path, (unsigned)st.st_uid);
	}
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, 0750) < 0) {
		close(fd);
		return die(1, "cannot set owner of %s: %s", path,
		    strerror(errno));
	}
	close(fd);
	return 0;
}

/*
 * The directory where box-runtime (setuid root) keeps the boxes' run
 * directories and bundles and takes its per-instance create lock:
 * root:root 0700, so that no other account can reach a box's files or
 * block creates.
 */
static int
lock_dir_setup(const char **note)
{
	struct box_error err;
	int fd;

	*note = "";
	if ((fd = box_open_dir_nofollow(RUNTIME_LOCKDIR, 1, 0700, &err)) < 0)
		return die(1, "%s", err.msg);
	if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0700) < 0) {
		close(fd);
		return die(1, "cannot set owner of %s: %s", RUNTIME_LOCKDIR,
		    strerror(errno));
	}
	close(fd);
	return 0;
}

/*
 * Root's part of init: the signing key, the state directory and the lock
 * directory.  Then, as the box account, the state itself: root never opens
 * a file in a directory that account owns (box_priv_become).
 */
static int
cmd_init(int argc, char **argv)
{
	struct box_config cfg;
	struct box_state *st;
	struct box_error err;
	struct passwd *pw;
	const char *lock_note = "";
	char db[PATH_MAX], path[PATH_MAX + 8], dir[PATH_MAX], *slash;
	int root = geteuid() == 0, made_key = 0;
	size_t i;

	if (argc > 1)
		return die(2, "init takes no arguments");
	if (box_config_load(conf, &cfg, &err) < 0)
		return die(1, "%s", err.msg);
	pw = getpwnam(cfg.box_user);
	if (pw == NULL && root)
		return die(1, "the box account \"%s\" does not exist: create "
		    "it first (see README)", cfg.box_user);
	if (root && state_dir_setup(cfg.state_dir, pw->pw_uid,
	    pw->pw_gid) != 0)
		return 1;
	if (!root && mkdir(cfg.state_dir, 0750) < 0 && errno != EEXIST)
		return die(1, "cannot create %s: %s", cfg.state_dir,
		    strerror(errno));
	if (root && lock_dir_setup(&lock_note) != 0)
		return 1;
	/* The drop-in names the staff revocation list: sshd refuses every
	 * key while it cannot read it, so there is always one. */
	if (root) {
		int made;

		if (staff_krl_ensure(&cfg, &made, &err) < 0)
			return die(1, "%s", err.msg);
	}
	box_strlcpy(dir, cfg.signing_key, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		int fd;

		*slash = '\0';
		if ((fd = box_open_dir_nofollow(dir, 1, 0755, &err)) < 0)
			return die(1, "%s", err.msg);
		close(fd);
	}
	if (access(cfg.signing_key, F_OK) < 0) {
		if (access(cfg.verify_key, F_OK) == 0)
			return die(1, "%s exists but %s does not: restore the "
			    "signing key or remove both", cfg.verify_key,
			    cfg.signing_key);
		if (box_token_keygen(cfg.signing_key, cfg.verify_key, &err) < 0)
			return die(1, "%s", err.msg);
		made_key = 1;
	} else if (access(cfg.verify_key, F_OK) < 0) {
		return die(1, "%s exists but %s does not", cfg.signing_key,
		    cfg.verify_key);
	}
	if (box_config_state_db(&cfg, db, sizeof(db)) < 0)
		return die(1, "state_dir too long");
	if (root && box_priv_become(cfg.box_user, &err) < 0)
		return die(1, "%s", err.msg);
	umask(077);
	if (box_state_open(db, 1, &st, &err) < 0)
		return die(1, "%s", err.msg);
	box_state_close(st);
	/* The key that signs what the approval webhook is sent: the box
	 * account's (box-shell signs with it), made once. */
	if (access(cfg.approval_key, F_OK) < 0) {
		char hex[65];
		int fd;

		if (box_random_hex(hex, 32, &err) < 0)
			return die(1, "%s", err.msg);
		if ((fd = open(cfg.approval_key, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) < 0 ||
		    dprintf(fd, "%s\n", hex) < 0 || close(fd) < 0)
			return die(1, "%s: %s", cfg.approval_key,
			    strerror(errno));
	}
	/* As the box account: its own files, whatever they are now. */
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", db,
		    (const char *[]){ "", "-wal", "-shm" }[i]);
		if (chmod(path, 0600) < 0 && errno != ENOENT)
			return die(1, "chmod %s: %s", path, strerror(errno));
	}
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "state", json_object_new_string(db));
		json_object_object_add(o, "signing_key",
		    json_object_new_string(cfg.signing_key));
		json_object_object_add(o, "key_created",
		    json_object_new_boolean(made_key));
		print_json(o);
	} else {
		printf("signing key: %s%s\nstate: %s (schema %d)\n",
		    cfg.signing_key, made_key ? " (created)" : "", db,
		    BOX_STATE_SCHEMA);
		if (root)
			printf("runtime lock directory: %s%s\n",
			    RUNTIME_LOCKDIR, lock_note);
	}
	return 0;
}

/* ---------------------------------------------------------------- create */

static int
cmd_create(struct box_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "ttl", required_argument, NULL, 't' },
		{ "uses", required_argument, NULL, 'u' },
		{ "expires", required_argument, NULL, 'e' },
		{ "note", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *profile = NULL, *ttl_s = NULL, *note = "";
	char token[BOX_TOKEN_MAX + 1], redeem[1024], connect[1024], when[32];
	char proxy[1024], pinnote[BOX_ERROR_MSG_MAX + PATH_MAX + 64];
	char ttlbuf[32];
	int64_t ttl, expires = DEFAULT_EXPIRES, now = box_now();
	long long uses = 1;
	struct box_token_claims claims;
	struct box_invite inv;
	struct box_profile prof;
	struct box_error err;
	EVP_PKEY *key;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:t:u:e:n:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': profile = optarg; break;
		case 't': ttl_s = optarg; break;
		case 'u':
			if (box_parse_int(optarg, 1, MAX_USES, &uses, &err) < 0)
				return die(2, "--uses: %s", err.msg);
			break;
		case 'e':
			if (box_parse_duration(optarg, &expires, &err) < 0 ||
			    expires <= 0)
				return die(2, "--expires: %s", expires <= 0 ?
				    "must be more than 0s" : err.msg);
			break;
		case 'n':
			if (strlen(optarg) >= BOX_NOTE_MAX ||
			    !box_utf8_text(optarg))
				return die(2, "--note: UTF-8 text without "
				    "control characters, at most %d bytes",
				    BOX_NOTE_MAX - 1);
			note = optarg;
			break;
		case 'j': json = 1; break;
		default: return die(2, "create: see box-invite --help");
		}
	}
	if (optind != argc)
		return die(2, "create: unexpected argument \"%.60s\"",
		    argv[optind]);
	if (profile == NULL)
		return die(2, "create: --profile NAME is required");
	if (box_config_load_profile(&ctx->cfg, profile, &prof, &err) < 0)
		return die(1, "create: %s", err.msg);
	ttl = prof.ttl;
	if (ttl_s != NULL && (box_parse_duration(ttl_s, &ttl, &err) < 0 ||
	    ttl <= 0))
		return die(2, "--ttl: %s", ttl <= 0 ? "must be more than 0s" :
		    err.msg);
	if (ttl > prof.max_ttl)
		return die(2, "--ttl %s is more than profile %s allows (%s)",
		    ttl_s, profile, box_format_duration(prof.max_ttl, ttlbuf,
		    sizeof(ttlbuf)));
	if ((key = signing_key) == NULL &&
	    box_token_load_private(ctx->cfg.signing_key, &key, &err) < 0)
		return die(1, "%s", err.msg);
	signing_key = NULL;
	if (box_invite_sign(&ctx->cfg, key, profile, ttl, expires, now,
	    &claims, token, sizeof(token), pinnote, sizeof(pinnote),
	    &err) < 0) {
		EVP_PKEY_free(key);
		return die(1, "%s", err.msg);
	}
	EVP_PKEY_free(key);
	if (pinnote[0] != '\0' && !json)
		fprintf(stderr, "box-invite: note: %s\n", pinnote);
	memset(&inv, 0, sizeof(inv));
	box_strlcpy(inv.id, claims.invite_id, sizeof(inv.id));
	box_strlcpy(inv.profile, profile, sizeof(inv.profile));
	inv.ttl = ttl;
	inv.created_at = now;
	inv.redeem_by = claims.redeem_by;
	inv.uses_total = inv.uses_left = (int)uses;
	box_strlcpy(inv.note, note, sizeof(inv.note));
	box_token_hash(token, inv.token_hash);
	box_log_context(NULL, inv.id, NULL);
	if (box_state_invite_add(ctx->st, &inv, &err) < 0)
		return die(1, "%s", err.msg);
	box_state_audit(ctx->st, now, "invite-created", inv.id, NULL, NULL,
	    NULL, note);
	box_log_context(NULL, NULL, NULL);
	box_invite_commands(&ctx->cfg, token, inv.id, claims.has_host_key, redeem,
	    sizeof(redeem),
	    connect, sizeof(connect), proxy, sizeof(proxy));
	box_format_time(inv.redeem_by, when, sizeof(when));
	box_format_duration(ttl, ttlbuf, sizeof(ttlbuf));
	if (json) {
		struct json_object *o = json_object_new_object();
		struct json_object *c = json_object_new_object();

		json_object_object_add(o, "id", json_object_new_string(inv.id));
		json_object_object_add(o, "token",
		    json_object_new_string(token));
		json_object_object_add(o, "profile",
		    json_object_new_string(profile));
		json_object_object_add(o, "ttl", json_object_new_int64(ttl));
		json_object_object_add(o, "uses", json_object_new_int(inv.uses_total));
		json_object_object_add(o, "host_key_pinned",
		    json_object_new_boolean(claims.has_host_key));
		json_object_object_add(o, "redeem_by",
		    json_object_new_string(when));
		json_object_object_add(c, "redeem",
		    json_object_new_string(redeem));
		json_object_object_add(c, "connect",
		    json_object_new_string(connect));
		json_object_object_add(c, "proxy", json_object_new_string(proxy));
		json_object_object_add(o, "commands", c);
		print_json(o);
		return 0;
	}
	printf("Invite %s: profile %s, box time %s, %d use%s, redeem by %s.\n"
	    "\nThe guest runs:\n\n    %s\n\n"
	    "and later, to come back to the same box with the same key:\n\n"
	    "    %s\n\n"
	    "or, with nothing prepared (no key needed; box-proxy makes one):\n\n"
	    "    %s\n", inv.id, profile, ttlbuf, inv.uses_total,
	    inv.uses_total == 1 ? "" : "s", when, redeem, connect, proxy);
	return 0;
}

/* ------------------------------------------------------- list, show, boxes */

static const char *
invite_state(const struct box_invite *inv, int64_t now)
{
	if (inv->revoked_at != 0)
		return "revoked";
	if (inv->uses_left == 0)
		return "used";
	if (inv->redeem_by != 0 && now > inv->redeem_by)
		return "expired";
	return "open";
}

static struct json_object *
invite_json(const struct box_invite *inv)
{
	struct json_object *o = json_object_new_object();
	char t[32];

	json_object_object_add(o, "id", json_object_new_string(inv->id));
	json_object_object_add(o, "profile",
	    json_object_new_string(inv->profile));
	json_object_object_add(o, "ttl", json_object_new_int64(inv->ttl));
	json_object_object_add(o, "uses", json_object_new_int(inv->uses_total));
	json_object_object_add(o, "uses_left",
	    json_object_new_int(inv->uses_left));
	json_object_object_add(o, "state",
	    json_object_new_string(invite_state(inv, box_now())));
	json_object_object_add(o, "created",
	    json_object_new_string(box_format_time(inv->created_at, t,
	    sizeof(t))));
	json_object_object_add(o, "redeem_by", inv->redeem_by ?
	    json_object_new_string(box_format_time(inv->redeem_by, t,
	    sizeof(t))) : NULL);
	json_object_object_add(o, "note", json_object_new_string(inv->note));
	return o;
}

static int
list_invite_cb(void *arg, const struct box_invite *inv)
{
	char ttl[32], when[32];

	if (json) {
		json_object_array_add(arg, invite_json(inv));
		return 0;
	}
	printf("%-16s  %-14s  %-8s  %3d/%-3d  %-8s  %-20s  %s\n", inv->id,
	    inv->profile, box_format_duration(inv->ttl, ttl, sizeof(ttl)),
	    inv->uses_left, inv->uses_total, invite_state(inv, box_now()),
	    box_format_time(inv->redeem_by, when, sizeof(when)), inv->note);
	return 0;
}

static int
cmd_list(struct box_ctx *ctx, int argc, char **argv)
{
	struct json_object *arr = json ? json_object_new_array() : NULL;
	struct box_error err;

	if (argc > 1)
		return die(2, "list takes no arguments");
	if (!json)
		printf("%-16s  %-14s  %-8s  %-7s  %-8s  %-20s  %s\n", "ID",
		    "PROFILE", "TTL", "LEFT", "STATE", "REDEEM BY", "NOTE");
	if (box_state_invite_list(ctx->st, list_invite_cb, arr, &err) < 0)
		return die(1, "%s", err.msg);
	if (json)
		print_json(arr);
	return 0;
}

static struct json_object *
box_json(const struct box_box *b)
{
	struct json_object *o = json_object_new_object();
	char t[32];

	json_object_object_add(o, "id", json_object_new_string(b->id));
	json_object_object_add(o, "invite", json_object_new_string(b->invite_id));
	json_object_object_add(o, "profile", json_object_new_string(b->profile));
	json_object_object_add(o, "key", json_object_new_string(b->fp));
	json_object_object_add(o, "status", json_object_new_string(b->status));
	json_object_object_add(o, "ref", json_object_new_string(b->ref));
	json_object_object_add(o, "runtime",
	    json_object_new_string(b->runtime));
	json_object_object_add(o, "sessions", json_object_new_int(b->sessions));
	json_object_object_add(o, "created", json_object_new_string(
	    box_format_time(b->created_at, t, sizeof(t))));
	json_object_object_add(o, "deadline", json_object_new_string(
	    box_format_time(b->deadline, t, sizeof(t))));
	json_object_object_add(o, "end_reason",
	    json_object_new_string(b->end_reason));
	return o;
}

struct box_filter {
	const char *invite;		/* only this invite's boxes, or NULL */
	struct json_object *arr;
	int count;
};

static int
list_box_cb(void *arg, const struct box_box *b)
{
	struct box_filter *f = arg;
	char left[32];

	if (f->invite != NULL && strcmp(f->invite, b->invite_id) != 0)
		return 0;
	f->count++;
	if (json) {
		json_object_array_add(f->arr, box_json(b));
		return 0;
	}
	printf("%-16s  %-16s  %-14s  %-9s  %8d  %-9s  %s\n", b->id,
	    b->invite_id, b->profile, b->status, b->sessions,
	    strcmp(b->status, BOX_STATUS_RUNNING) == 0 ||
	    strcmp(b->status, BOX_STATUS_CREATING) == 0 ?
	    box_format_duration(b->deadline - box_now(), left, sizeof(left)) :
	    "-", b->end_reason);
	return 0;
}

static void
box_header(void)
{
	printf("%-16s  %-16s  %-14s  %-9s  %8s  %-9s  %s\n", "BOX", "INVITE",
	    "PROFILE", "STATUS", "SESSIONS", "LEFT", "ENDED BECAUSE");
}

static int
cmd_show(struct box_ctx *ctx, int argc, char **argv)
{
	struct box_filter f = { NULL, NULL, 0 };
	struct box_invite inv;
	struct box_error err;
	char ttl[32], t1[32], t2[32];

	if (argc != 2)
		return die(2, "usage: box-invite show ID");
	if (box_state_invite_get(ctx->st, argv[1], &inv, &err) < 0)
		return die(1, "no invite %.40s", argv[1]);
	f.invite = inv.id;
	if (json) {
		struct json_object *o = invite_json(&inv);

		f.arr = json_object_new_array();
		if (box_state_box_list(ctx->st, 0, list_box_cb, &f, &err) < 0)
			return die(1, "%s", err.msg);
		json_object_object_add(o, "boxes", f.arr);
		print_json(o);
		return 0;
	}
	printf("invite:    %s\nprofile:   %s\nbox time:  %s\nuses:      "
	    "%d of %d left\nstate:     %s\ncreated:   %s\nredeem by: %s\n"
	    "note:      %s\n\n", inv.id, inv.profile,
	    box_format_duration(inv.ttl, ttl, sizeof(ttl)), inv.uses_left,
	    inv.uses_total, invite_state(&inv, box_now()),
	    box_format_time(inv.created_at, t1, sizeof(t1)),
	    box_format_time(inv.redeem_by, t2, sizeof(t2)), inv.note);
	box_header();
	if (box_state_box_list(ctx->st, 0, list_box_cb, &f, &err) < 0)
		return die(1, "%s", err.msg);
	return 0;
}

static int
cmd_boxes(struct box_ctx *ctx, int argc, char **argv)
{
	struct box_filter f = { NULL, NULL, 0 };
	struct box_error err;
	int all = 0, i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else
			return die(2, "boxes: unknown argument \"%.60s\"",
			    argv[i]);
	}
	if (json)
		f.arr = json_object_new_array();
	else
		box_header();
	if (box_state_box_list(ctx->st, !all, list_box_cb, &f, &err) < 0)
		return die(1, "%s", err.msg);
	if (json)
		print_json(f.arr);
	return 0;
}

/* The warm pools, one line (or object) per pooled box. */
static int
pool_cb(void *arg, const struct box_pooled *pb)
{
	struct json_object *arr = arg, *o;
	char age[32];

	box_format_duration(box_now() - pb->created_at, age, sizeof(age));
	if (!json) {
		printf("%-16s  %-14s  %-7s  %-8s  %s\n", pb->id, pb->profile,
		    pb->runtime, pb->status, age);
		return 0;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(pb->id));
	json_object_object_add(o, "profile",
	    json_object_new_string(pb->profile));
	json_object_object_add(o, "runtime",
	    json_object_new_string(pb->runtime));
	json_object_object_add(o, "status",
	    json_object_new_string(pb->status));
	json_object_object_add(o, "ref", json_object_new_string(pb->ref));
	json_object_object_add(o, "created_at",
	    json_object_new_int64(pb->created_at));
	json_object_array_add(arr, o);
	return 0;
}

static int
cmd_pools(struct box_ctx *ctx, int argc, char **argv)
{
	struct json_object *arr = NULL;
	struct box_error err;

	(void)argv;
	if (argc != 1)
		return die(2, "usage: box-invite pools [--json]");
	if (json)
		arr = json_object_new_array();
	else
		printf("%-16s  %-14s  %-7s  %-8s  %s\n", "BOX", "PROFILE",
		    "RUNTIME", "STATUS", "AGE");
	if (box_state_pool_list(ctx->st, pool_cb, arr, &err) < 0)
		return die(1, "%s", err.msg);
	if (json)
		print_json(arr);
	return 0;
}

/* ------------------------------------------------------- sessions, audit */

static int
session_cb(void *arg, const struct box_session_row *r)
{
	struct box_filter *f = arg;
	char t[32], d[32], cmd[96], src[BOX_SOURCE_MAX], ex[16];
	struct json_object *o;

	f->count++;
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "session",
		    json_object_new_int64(r->id));
		json_object_object_add(o, "box", json_object_new_string(
		    r->box_id));
		json_object_object_add(o, "invite", json_object_new_string(
		    r->invite_id));
		json_object_object_add(o, "profile", json_object_new_string(
		    r->profile));
		json_object_object_add(o, "key", json_object_new_string(r->fp));
		json_object_object_add(o, "source", json_object_new_string(
		    r->source));
		json_object_object_add(o, "command", json_object_new_string(
		    r->command));
		json_object_object_add(o, "terminal",
		    json_object_new_boolean(r->tty));
		json_object_object_add(o, "started_at",
		    json_object_new_int64(r->started_at));
		json_object_object_add(o, "live",
		    json_object_new_boolean(r->ended_at == 0));
		json_object_object_add(o, "ended_at", r->ended_at != 0 ?
		    json_object_new_int64(r->ended_at) : NULL);
		json_object_object_add(o, "duration", json_object_new_int64(
		    (r->ended_at != 0 ? r->ended_at : box_now()) -
		    r->started_at));
		json_object_object_add(o, "exit_status", r->exit_status >= 0 ?
		    json_object_new_int(r->exit_status) : NULL);
		json_object_object_add(o, "end", r->ended_at != 0 ?
		    json_object_new_string(r->end_reason) : NULL);
		json_object_object_add(o, "bytes_in", r->bytes_in >= 0 ?
		    json_object_new_int64(r->bytes_in) : NULL);
		json_object_object_add(o, "bytes_out", r->bytes_out >= 0 ?
		    json_object_new_int64(r->bytes_out) : NULL);
		json_object_object_add(o, "recording", r->recording[0] != '\0' ?
		    json_object_new_string(r->recording_state) : NULL);
		json_object_array_add(f->arr, o);
		return 0;
	}
	snprintf(ex, sizeof(ex), "%d", r->exit_status);
	printf("%-7lld  %-16s  %-20.20s  %-15s  %-19s  %8s  %-4s  %-8s  %-4s  "
	    "%s\n", (long long)r->id, r->box_id, r->fp, box_log_safe(r->source,
	    src, sizeof(src)), box_format_time(r->started_at, t, sizeof(t)),
	    box_format_duration((r->ended_at != 0 ? r->ended_at : box_now()) -
	    r->started_at, d, sizeof(d)), r->exit_status >= 0 ? ex : "-",
	    r->ended_at != 0 ? r->end_reason : "live",
	    r->recording[0] == '\0' ? "-" : strcmp(r->recording_state,
	    BOX_RECORDING_COMPLETE) == 0 ? "yes" : strcmp(r->recording_state,
	    BOX_RECORDING_ACTIVE) == 0 ? "on" : "cut",
	    r->command[0] != '\0' ? box_log_safe(r->command, cmd, sizeof(cmd)) :
	    r->tty ? "(login shell)" : "(shell)");
	return 0;
}

static int
cmd_sessions(struct box_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "live", no_argument, NULL, 'l' },
		{ "box", required_argument, NULL, 'b' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct box_filter f = { NULL, NULL, 0 };
	struct box_error err;
	const char *box = NULL;
	long long limit = 50;
	int live = 0, ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'l': live = 1; break;
		case 'b': box = optarg; break;
		case 'n':
			if (box_parse_int(optarg, 1, 100000, &limit, &err) < 0)
				return die(2, "sessions: --limit: %s", err.msg);
			break;
		case 'j': json = 1; break;
		default:
			return die(2, "usage: box-invite sessions [--live] "
			    "[--box BOX] [--limit N] [--json]");
		}
	}
	if (optind != argc)
		return die(2, "usage: box-invite sessions [--live] [--box BOX] "
		    "[--limit N] [--json]");
	if (json)
		f.arr = json_object_new_array();
	else
		printf("%-7s  %-16s  %-20s  %-15s  %-19s  %8s  %-4s  %-8s  %-4s  "
		    "%s\n", "SESSION", "BOX", "KEY", "SOURCE", "STARTED",
		    "LASTED", "EXIT", "END", "REC", "COMMAND");
	if (box_state_session_history(ctx->st, live, box, (int)limit,
	    session_cb, &f, &err) < 0)
		return die(1, "%s", err.msg);
	if (json)
		print_json(f.arr);
	return 0;
}

static int
audit_cb(void *arg, const struct box_audit_row *r)
{
	struct box_filter *f = arg;
	char t[32], d[512], src[BOX_SOURCE_MAX];
	struct json_object *o;

	f->count++;
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(r->id));
		json_object_object_add(o, "time", json_object_new_int64(r->at));
		json_object_object_add(o, "event", json_object_new_string(
		    r->event));
#define OPT(k, v) json_object_object_add(o, k, (v)[0] != '\0' ? \
		    json_object_new_string(v) : NULL)
		OPT("invite", r->invite_id);
		OPT("box", r->box_id);
		OPT("key", r->fp);
		OPT("source", r->source);
		OPT("detail", r->detail);
#undef OPT
		json_object_array_add(f->arr, o);
		return 0;
	}
	printf("%-19s  %-16s  %-16s  %-16s  %-20.20s  %-15s  %s\n",
	    box_format_time(r->at, t, sizeof(t)), r->event,
	    r->invite_id[0] ? r->invite_id : "-", r->box_id[0] ? r->box_id :
	    "-", r->fp[0] ? r->fp : "-", r->source[0] ? box_log_safe(r->source,
	    src, sizeof(src)) : "-", box_log_safe(r->detail, d, sizeof(d)));
	return 0;
}

/* --since: a duration back from now ("2h"), or unix seconds. */
static int
parse_since(const char *s, int64_t *out, struct box_error *err)
{
	long long v;
	int64_t d;

	if (box_parse_duration(s, &d, NULL) == 0) {
		*out = box_now() - d;
		return 0;
	}
	if (box_parse_int(s, 0, INT64_MAX, &v, NULL) == 0) {
		*out = (int64_t)v;
		return 0;
	}
	return box_error_set(err, BOX_E_INPUT, 0, "\"%.40s\" is neither a "
	    "duration (2h, 30m) nor unix seconds", s);
}

static int
cmd_audit(struct box_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "box", required_argument, NULL, 'b' },
		{ "invite", required_argument, NULL, 'i' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct box_filter f = { NULL, NULL, 0 };
	struct box_error err;
	const char *box = NULL, *invite = NULL;
	long long limit = 0;
	int64_t since = 0;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (parse_since(optarg, &since, &err) < 0)
				return die(2, "audit: --since: %s", err.msg);
			break;
		case 'b': box = optarg; break;
		case 'i': invite = optarg; break;
		case 'n':
			if (box_parse_int(optarg, 1, 1000000, &limit, &err) < 0)
				return die(2, "audit: --limit: %s", err.msg);
			break;
		case 'j': json = 1; break;
		default:
			return die(2, "usage: box-invite audit [--since T] "
			    "[--box BOX] [--invite ID] [--limit N] [--json]");
		}
	}
	if (optind != argc)
		return die(2, "usage: box-invite audit [--since T] [--box BOX] "
		    "[--invite ID] [--limit N] [--json]");
	if (json)
		f.arr = json_object_new_array();
	else
		printf("%-19s  %-16s  %-16s  %-16s  %-20s  %-15s  %s\n", "TIME",
		    "EVENT", "INVITE", "BOX", "KEY", "SOURCE", "DETAIL");
	if (box_state_audit_list(ctx->st, since, box, invite, (int)limit,
	    audit_cb, &f, &err) < 0)
		return die(1, "%s", err.msg);
	if (json)
		print_json(f.arr);
	return 0;
}

/* ---------------------------------------------------------- revoke, kill */

static int
collect_live(void *arg, const struct box_box *b)
{
	struct box_filter *f = arg;
	struct box_box *v = (struct box_box *)f->arr;

	if (f->invite != NULL && strcmp(f->invite, b->invite_id) != 0)
		return 0;
	if (f->count < 64)
		v[f->count++] = *b;
	return 0;
}

static int
cmd_revoke(struct box_ctx *ctx, int argc, char **argv)
{
	static struct box_box live[64];
	struct box_filter f = { NULL, (void *)live, 0 };
	struct json_object *ended;
	struct box_error err;
	int i, failed = 0;

	if (argc != 2)
		return die(2, "usage: box-invite revoke ID");
	box_log_context(NULL, argv[1], NULL);
	if (box_state_invite_revoke(ctx->st, argv[1], box_now(), &err) < 0)
		return die(1, err.kind == BOX_E_NOTFOUND ? "no invite %.40s" :
		    "%.40s", err.kind == BOX_E_NOTFOUND ? argv[1] : err.msg);
	box_state_audit(ctx->st, box_now(), "invite-revoked", argv[1], NULL,
	    NULL, NULL, NULL);
	f.invite = argv[1];
	if (box_state_box_list(ctx->st, 1, collect_live, &f, &err) < 0)
		return die(1, "%s", err.msg);
	ended = json_object_new_array();
	for (i = 0; i < f.count; i++) {
		/* The row ends first, whatever the runtime says. */
		json_object_array_add(ended,
		    json_object_new_string(live[i].id));
		box_log_context(live[i].id, live[i].invite_id, live[i].fp);
		if (box_destroy(ctx, &live[i], "invite revoked", &err) < 0) {
			failed++;
			fprintf(stderr, "box-invite: box %s: %s (box-reaper "
			    "will remove what is left)\n", live[i].id, err.msg);
		}
	}
	box_log_context(NULL, argv[1], NULL);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "revoked",
		    json_object_new_string(argv[1]));
		json_object_object_add(o, "boxes_ended", ended);
		json_object_object_add(o, "boxes_destroyed",
		    json_object_new_int(f.count - failed));
		print_json(o);
		return failed ? 1 : 0;
	}
	printf("invite %s revoked; %d box%s ended%s", argv[1], f.count,
	    f.count == 1 ? "" : "es", f.count > 0 ? ":" : "\n");
	for (i = 0; i < f.count; i++)
		printf(" %s%s", live[i].id, i + 1 == f.count ? "\n" : "");
	json_object_put(ended);
	return failed ? 1 : 0;
}

static int
cmd_kill(struct box_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ban", no_argument, NULL, 'b' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *reason = NULL;
	struct box_error err;
	struct box_box b;
	int ch, ban = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'b': ban = 1; break;
		case 'r': reason = optarg; break;
		case 'j': json = 1; break;
		default:
			return die(2, "usage: box-invite kill [--ban [--reason "
			    "TEXT]] BOX");
		}
	}
	if (optind + 1 != argc || (reason != NULL && !ban))
		return die(2, "usage: box-invite kill [--ban [--reason TEXT]] "
		    "BOX");
	if (box_state_box_get(ctx->st, argv[optind], &b, &err) < 0)
		return die(1, "no box %.40s", argv[optind]);
	box_log_context(b.id, b.invite_id, b.fp);
	if (ban)	/* its key too: whether the box still runs or not */
		return cmd_kill_ban(ctx, &b, reason != NULL ? reason : "",
		    json);
	if (strcmp(b.status, BOX_STATUS_RUNNING) != 0 &&
	    strcmp(b.status, BOX_STATUS_CREATING) != 0)
		return die(1, "box %s has already ended (%s)", b.id,
		    b.end_reason);
	if (box_destroy(ctx, &b, "killed by an administrator", &err) < 0)
		return die(1, "box %s: %s", b.id, err.msg);
	if (json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "killed",
		    json_object_new_string(b.id));
		print_json(o);
	} else {
		printf("box %s destroyed\n", b.id);
	}
	return 0;
}

#define WITH_JSON(name) \
static int \
name##_j(struct box_ctx *ctx, int argc, char **argv) \
{ \
	return name(ctx, argc, argv, json); \
}
WITH_JSON(cmd_keys)
WITH_JSON(cmd_bans)
WITH_JSON(cmd_ban)
WITH_JSON(cmd_unban)
WITH_JSON(cmd_extend)
WITH_JSON(cmd_requests)
WITH_JSON(cmd_decide)

/*
 * Root reads what only root may (the configuration, the signing key for
 * create), then becomes the box account for good before it opens the
 * state: rows, references and files there are that account's, and root
 * acting on them could be led anywhere.  The runtime is then reached the
 * way box-shell reaches it, through box-runtime, which checks every box
 * it acts on.
 */
int
box_invite_as_box(const char *cmd)
{
	static char confabs[PATH_MAX];
	struct box_config cfg;
	struct box_error err;

	/* The box account may not see root's working directory. */
	if (realpath(conf, confabs) == NULL)
		return die(1, "%s: %s", conf, strerror(errno));
	conf = confabs;
	if (box_config_load(conf, &cfg, &err) < 0)
		return die(1, "%s", err.msg);
	if (strcmp(cmd, "create") == 0 &&
	    box_token_load_private(cfg.signing_key, &signing_key, &err) < 0)
		return die(1, "%s", err.msg);
	if (box_priv_become(cfg.box_user, &err) < 0)
		return die(1, "%s", err.msg);
	if (strcmp(cmd, "revoke") == 0 || strcmp(cmd, "kill") == 0 ||
	    strcmp(cmd, "ban") == 0)
		box_helper_start(conf);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct box_ctx *, int, char **);
	} cmds[] = {
		{ "create", cmd_create }, { "list", cmd_list },
		{ "show", cmd_show }, { "revoke", cmd_revoke },
		{ "boxes", cmd_boxes }, { "kill", cmd_kill },
		{ "pools", cmd_pools },
		{ "sessions", cmd_sessions }, { "audit", cmd_audit },
		{ "watch", cmd_watch },
		{ "keys", cmd_keys_j }, { "bans", cmd_bans_j },
		{ "ban", cmd_ban_j }, { "unban", cmd_unban_j },
		{ "extend", cmd_extend_j },
		{ "requests", cmd_requests_j }, { "approve", cmd_decide_j },
		{ "deny", cmd_decide_j },
	};
	struct box_error err;
	struct box_ctx ctx;
	char *args[64];
	int i, n = 0, rc;
	size_t c;

	box_log_init("box-invite", BOX_LOG_STDERR);
	note_who();
	/* Global options may come before or after the command. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			conf = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if ((size_t)n < sizeof(args) / sizeof(args[0]) - 1) {
			args[n++] = argv[i];
		} else {
			return die(2, "too many arguments");
		}
	}
	args[n] = NULL;
	if (n == 0) {
		usage(stderr);
		return 2;
	}
	if (strcmp(args[0], "init") == 0)
		return cmd_init(n, args);
	/* Before opening anything: a broken installation is its subject. */
	if (strcmp(args[0], "doctor") == 0)
		return cmd_doctor(conf, n, args, json);
	/* Root's part first (the CA, the revocation list), then the box
	 * account's. */
	if (strcmp(args[0], "ca") == 0 || strcmp(args[0], "cert") == 0)
		return cmd_staff(conf, n, args, json);
	/* Opens a --file as the caller, then reads as the box account. */
	if (strcmp(args[0], "replay") == 0)
		return cmd_replay(conf, n, args);
	for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (strcmp(args[0], cmds[c].name) == 0)
			break;
	if (c == sizeof(cmds) / sizeof(cmds[0]))
		return die(2, "unknown command \"%.40s\" (see --help)", args[0]);
	if (geteuid() == 0 && box_invite_as_box(cmds[c].name) != 0)
		return 1;
	if (box_ctx_open(&ctx, conf, 0, &err) < 0)
		return die(1, "%s", err.msg);
	box_log_set_format(ctx.cfg.log_format);
	rc = cmds[c].fn(&ctx, n, args);
	EVP_PKEY_free(signing_key);
	box_ctx_close(&ctx);
	return rc;
}
