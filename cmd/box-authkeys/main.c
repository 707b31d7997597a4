/*
 * box-authkeys: sshd's AuthorizedKeysCommand.  Prints at most one
 * authorized_keys line for the offered key and nothing else on stdout.
 * No side effects: sshd runs it for probes and before signatures are
 * checked.  Any failure prints no line and exits non-zero.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "box/box.h"
#include "core/log.h"
#include "core/priv.h"
#include "auth/sshkey.h"
#include "core/util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

static void
usage(FILE *f)
{
	fprintf(f, "usage: box-authkeys [-c FILE] USER TYPE KEY [FINGERPRINT]\n"
	    "       box-authkeys [-c FILE] --principals USER SERIAL KEYID\n"
	    "sshd's AuthorizedKeysCommand and AuthorizedPrincipalsCommand for "
	    "sshbox;\nsee box-authkeys(8).\n"
	    "  -c FILE   configuration (default %s/sshbox/sshbox.yaml)\n"
	    "In sshd_config:\n"
	    "  AuthorizedKeysCommand /path/box-authkeys -c FILE %%u %%t %%k %%f\n"
	    "  AuthorizedPrincipalsCommand /path/box-authkeys -c FILE "
	    "--principals %%u %%s %%i\n",
	    SYSCONFDIR);
}

/* sshd's expiry-time option: YYYYMMDDHHMMSS with a Z for UTC. */
static int
expiry_time(int64_t t, char *buf, size_t bufsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y%m%d%H%M%SZ", &tm) == 0)
		return -1;
	return 0;
}

/* Only plain path characters may reach the command="..." option: it is
 * run by the login shell if the ForceCommand is ever missing. */
static int
quotable(const char *s)
{
	return s[0] == '/' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._+-") == strlen(s);
}

/*
 * --principals USER SERIAL KEYID: a staff certificate sshd has checked
 * against the CA and the revocation list.  Its principal is printed (and
 * sshd then requires the certificate to name it) only when sshbox's own
 * state knows the serial, signed with this key id, not revoked, not past
 * its end, for the box account.  Anything else: no line.
 */
static int
principals(const char *conf, char **argv)
{
	char safe[BOX_CERT_ID_MAX * 4];
	struct box_error err;
	struct box_cert cert;
	struct box_ctx ctx;
	size_t n;
	int rc = 1;

	n = strlen(argv[1]);
	if (n == 0 || n >= sizeof(cert.serial) ||
	    strspn(argv[1], "0123456789") != n) {
		box_log(LOG_WARNING, "refusing certificate: serial \"%.30s\"",
		    box_log_safe(argv[1], safe, sizeof(safe)));
		return 1;
	}
	if (box_ctx_open(&ctx, conf, 0, &err) < 0) {
		box_log(LOG_ERR, "%s", err.msg);
		return 1;
	}
	box_log_set_format(ctx.cfg.log_format);
	if (strcmp(argv[0], ctx.cfg.box_user) != 0) {
		rc = 0;		/* not our account: no principals */
		goto out;
	}
	if (box_state_cert_get(ctx.st, argv[1], &cert, &err) < 0) {
		if (err.kind != BOX_E_NOTFOUND)
			box_log(LOG_ERR, "%s", err.msg);
		else
			box_log(LOG_WARNING, "refusing certificate serial %s: "
			    "not one sshbox signed", argv[1]);
		rc = err.kind == BOX_E_NOTFOUND ? 0 : 1;
		goto out;
	}
	if (strcmp(cert.key_id, argv[2]) != 0 || cert.revoked_at != 0 ||
	    cert.valid_before <= box_now()) {
		box_log(LOG_WARNING, "refusing certificate serial %s of %s: %s",
		    argv[1], cert.principal, cert.revoked_at != 0 ? "revoked" :
		    cert.valid_before <= box_now() ? "expired" :
		    "its key id is not the one signed");
		rc = 0;
		goto out;
	}
	if (printf("%s\n", cert.principal) < 0 || fflush(stdout) != 0)
		goto out;
	rc = 0;
out:
	box_ctx_close(&ctx);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *conf = SYSCONFDIR "/sshbox/sshbox.yaml";
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "principals", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	int want_principals = 0;
	char keytext[BOX_SSHKEY_B64_MAX + BOX_SSHKEY_TYPE_MAX + 2];
	char line[sizeof(keytext) + 2 * PATH_MAX + 128], exp[32];
	char confpath[PATH_MAX];
	char safe[128];
	struct box_binding b;
	struct box_ban ban;
	struct box_sshkey key;
	struct box_error err;
	struct box_ctx ctx;
	int ch, n, rc = 1, refused = 0, unbound = 0, staff = 0;

	box_log_init("box-authkeys", BOX_LOG_STDERR | BOX_LOG_SYSLOG);
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'P':
			want_principals = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (want_principals) {
		if (argc != 3) {
			usage(stderr);
			return 2;
		}
		if (box_priv_drop(&err) < 0) {
			box_log(LOG_ERR, "%s", err.msg);
			return 1;
		}
		return principals(conf, argv);
	}
	if (argc < 3 || argc > 4) {
		usage(stderr);
		return 2;
	}
	if (box_priv_drop(&err) < 0) {
		box_log(LOG_ERR, "%s", err.msg);
		return 1;
	}
	if (box_sshkey_parse(argv[1], argv[2], &key, &err) < 0) {
		box_log(LOG_WARNING, "refusing key: %s", err.msg);
		return 1;
	}
	if (argc == 4 && strcmp(argv[3], key.fp) != 0) {
		box_log(LOG_WARNING, "refusing key: fingerprint %.60s does not "
		    "match the key (%s)", box_log_safe(argv[3], safe,
		    sizeof(safe)), key.fp);
		return 1;
	}
	if (box_ctx_open(&ctx, conf, 0, &err) < 0) {
		box_log(LOG_ERR, "%s", err.msg);
		return 1;
	}
	box_log_set_format(ctx.cfg.log_format);
	box_log_context(NULL, NULL, key.fp);
	if (strcmp(argv[0], ctx.cfg.box_user) != 0) {
		rc = 0;		/* not our account: no keys, not a failure */
		goto out;
	}
	if (realpath(conf, confpath) == NULL || !quotable(confpath) ||
	    !quotable(ctx.cfg.shell_path)) {
		box_log(LOG_ERR, "shell and configuration paths must be "
		    "absolute and plain ([A-Za-z0-9/._+-])");
		goto out;
	}
	if (box_sshkey_format(&key, keytext, sizeof(keytext)) < 0)
		goto out;
	/* A bound key's row carries its ban; only a key not bound yet needs
	 * the ban (and a staff certificate) asked for on its own. */
	if (box_state_binding_get(ctx.st, key.fp, &b, &err) == 0) {
		refused = b.banned_at != 0 || b.revoked_at != 0 ||
		    b.deadline <= box_now();
	} else if (err.kind != BOX_E_NOTFOUND) {
		box_log(LOG_ERR, "%s", err.msg);
		goto out;
	} else if (box_state_ban_get(ctx.st, key.fp, &ban, &err) == 0) {
		refused = 1;
	} else if (err.kind != BOX_E_NOTFOUND ||
	    box_state_cert_of_key(ctx.st, key.fp, box_now(), &staff,
	    &err) < 0) {
		box_log(LOG_ERR, "%s", err.msg);
		goto out;
	} else if (staff) {
		/* A staff member's key with a good certificate: no line, so
		 * that sshd goes on to the certificate (ssh may offer the
		 * plain key first, which would land at the token prompt). */
		rc = 0;
		goto out;
	} else {
		unbound = 1;
	}
	if (unbound) {
		/* Unknown key: it may only reach the redeem step, which
		 * box-shell enforces from the same state. */
		n = snprintf(line, sizeof(line),
		    "restrict,pty,command=\"%s -c %s\" %s\n",
		    ctx.cfg.shell_path, confpath, keytext);
	} else if (refused) {
		/* Banned, revoked or over: in only to hear why from
		 * box-shell, which refuses it before anything else (no
		 * terminal, nothing forwarded, no box). */
		n = snprintf(line, sizeof(line),
		    "restrict,command=\"%s -c %s\" %s\n",
		    ctx.cfg.shell_path, confpath, keytext);
	} else {
		if (expiry_time(b.deadline, exp, sizeof(exp)) < 0)
			goto out;
		n = snprintf(line, sizeof(line),
		    "restrict,pty,expiry-time=\"%s\",command=\"%s -c %s\" %s\n",
		    exp, ctx.cfg.shell_path, confpath, keytext);
	}
	if (n < 0 || (size_t)n >= sizeof(line))
		goto out;
	if (fwrite(line, 1, (size_t)n, stdout) != (size_t)n ||
	    fflush(stdout) != 0)
		goto out;
	rc = 0;
out:
	box_ctx_close(&ctx);
	return rc;
}
