/* box-invite doctor: check an installation against the security model. */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <shadow.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "box/box.h"
#include "doctor.h"
#include "runtime/helper.h"
#include "runtime/microvm.h"
#include "runtime/oci.h"
#include "core/log.h"
#include "core/priv.h"
#include "core/spawn.h"
#include "core/util.h"

#define SSHD_PATH		"/usr/sbin/sshd"
#define SSHD_CONFIG		"/etc/ssh/sshd_config"
#define SSHD_OUT_MAX		(256 * 1024)	/* of sshd -T output */
#define SSHD_TIMEOUT_MS		15000
#define SSHD_OPTS_MAX		1024
#define MAX_PROFILES		64
#define MAX_PROFILE_FILES	256
#define MAX_GROUPS		64

enum { DR_OK, DR_WARN, DR_FAIL };

struct doctor {
	int			 json;
	int			 nfail;
	struct json_object	*arr;
};

struct sshd_opt {
	char	 key[64];
	char	 val[1024];
};

struct sshd_conf {
	struct sshd_opt	*opt;
	size_t		 n;
};

/* What the box account is, for permission checks. */
struct account {
	struct passwd	 pw;
	char		 name[BOX_USER_MAX + 1];
	gid_t		 gids[MAX_GROUPS];
	int		 ngids;
	int		 found;
};

static void
report(struct doctor *d, int status, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* One result; the detail is escaped since it carries paths and replies. */
static void
report(struct doctor *d, int status, const char *check, const char *fmt, ...)
{
	static const char *const names[] = { "ok", "warn", "FAIL" };
	char raw[1024], detail[1024];
	struct json_object *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	box_log_safe(raw, detail, sizeof(detail));
	if (status == DR_FAIL)
		d->nfail++;
	if (!d->json) {
		printf("%-4s  %s: %s\n", names[status], check, detail);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "check", json_object_new_string(check));
	json_object_object_add(o, "status",
	    json_object_new_string(names[status]));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	json_object_array_add(d->arr, o);
}

/* ------------------------------------------------------------- helpers */

/* Whether the account may read (4), write (2) or search (1) per st. */
static int
account_may(const struct account *a, const struct stat *st, int bit)
{
	int i;

	if (st->st_uid == a->pw.pw_uid)
		return ((st->st_mode >> 6) & bit) != 0;
	for (i = 0; i < a->ngids; i++)
		if (st->st_gid == a->gids[i])
			return ((st->st_mode >> 3) & bit) != 0;
	return (st->st_mode & bit) != 0;
}

/* What sshd checks of an AuthorizedKeysCommand.  0, or -1 with why. */
static int
root_safe_path(const char *path, char *why, size_t whysz)
{
	struct box_error err;

	if (box_path_root_only(path, 0, &err) == 0)
		return 0;
	box_strlcpy(why, err.msg, whysz);
	return -1;
}

/* Whether the account can search every directory above path. */
static int
account_reaches(const struct account *a, const char *path, char *bad,
    size_t badsz)
{
	char buf[PATH_MAX], *p;
	struct stat st;

	if (realpath(path, buf) == NULL)
		return 0;
	while ((p = strrchr(buf, '/')) != NULL && p != buf) {
		*p = '\0';
		if (stat(buf, &st) < 0 || !account_may(a, &st, 1)) {
			box_strlcpy(bad, buf, badsz);
			return 0;
		}
	}
	return 1;
}

/* Word n (from 0) of a space-separated value into out; 0 or -1. */
static int
word(const char *s, int n, char *out, size_t outsz)
{
	size_t len;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return -1;
		len = strcspn(s, " \t");
		if (n-- == 0) {
			if (len >= outsz)
				return -1;
			memcpy(out, s, len);
			out[len] = '\0';
			return 0;
		}
		s += len;
	}
}

static int
has_word(const char *s, const char *w)
{
	char buf[PATH_MAX];
	int i;

	for (i = 0; word(s, i, buf, sizeof(buf)) == 0; i++)
		if (strcmp(buf, w) == 0)
			return 1;
	return 0;
}

static const char *
base(const char *path)
{
	const char *p = strrchr(path, '/');

	return p != NULL ? p + 1 : path;
}

/* box-authkeys sits next to box-shell. */
static void
authkeys_path(const struct box_config *cfg, char *out, size_t outsz)
{
	const char *slash = strrchr(cfg->shell_path, '/');
	int dirlen = slash != NULL ? (int)(slash - cfg->shell_path) + 1 : 0;

	if ((size_t)snprintf(out, outsz, "%.*sbox-authkeys", dirlen,
	    cfg->shell_path) >= outsz)
		out[0] = '\0';
}

/* ------------------------------------------------- 1. configuration */

static int
check_profiles(struct doctor *d, const struct box_config *cfg,
    struct box_profile *profs, size_t *nprofs)
{
	char name[BOX_PROFILE_NAME_MAX + 8], check[96], safe[80];
	struct box_error err;
	struct dirent *de;
	size_t len, seen = 0;
	DIR *dir;

	*nprofs = 0;
	if ((dir = opendir(cfg->profiles_dir)) == NULL) {
		report(d, DR_FAIL, "profiles", "cannot open %s: %s",
		    cfg->profiles_dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(dir)) != NULL && seen < MAX_PROFILE_FILES) {
		len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		seen++;
		if (len - 5 >= sizeof(name) || len - 5 > BOX_PROFILE_NAME_MAX) {
			report(d, DR_WARN, "profiles", "%.60s: name too long, "
			    "ignored by sshbox", de->d_name);
			continue;
		}
		memcpy(name, de->d_name, len - 5);
		name[len - 5] = '\0';
		box_log_safe(name, safe, sizeof(safe));
		if (!box_valid_name(name, BOX_PROFILE_NAME_MAX)) {
			report(d, DR_WARN, "profiles", "%s.yaml: not a valid "
			    "profile name, ignored by sshbox", safe);
			continue;
		}
		snprintf(check, sizeof(check), "profile.%s", safe);
		if (*nprofs >= MAX_PROFILES) {
			report(d, DR_WARN, check, "more than %d profiles; "
			    "not checked", MAX_PROFILES);
			continue;
		}
		if (box_config_load_profile(cfg, name, &profs[*nprofs],
		    &err) < 0) {
			report(d, DR_FAIL, check, "%s (fix the file)", err.msg);
			continue;
		}
		report(d, DR_OK, check, "loads (image %s)",
		    profs[*nprofs].image);
		if (!profs[*nprofs].read_only && profs[*nprofs].disk == 0) {
			snprintf(check, sizeof(check), "disk.%s", safe);
			report(d, DR_WARN, check, "writable root with no disk "
			    "limit: a guest can fill the runtime's file system "
			    "(set disk:, see sshbox-profile(5))");
		}
		(*nprofs)++;
	}
	closedir(dir);
	if (seen == 0)
		report(d, DR_WARN, "profiles", "no profiles in %s: invites "
		    "cannot be created", cfg->profiles_dir);
	return 0;
}

/* ------------------------------------------------------- 2. account */

static void
check_account(struct doctor *d, const struct box_config *cfg,
    struct account *a)
{
	struct passwd *pw;
	struct spwd *sp;
	const char *sh;
	int ng = MAX_GROUPS;

	memset(a, 0, sizeof(*a));
	if ((pw = getpwnam(cfg->box_user)) == NULL) {
		report(d, DR_FAIL, "account", "no account \"%s\": useradd "
		    "--system --shell /bin/sh --home-dir /var/lib/sshbox %s",
		    cfg->box_user, cfg->box_user);
		return;
	}
	a->pw = *pw;
	box_strlcpy(a->name, pw->pw_name, sizeof(a->name));
	a->pw.pw_name = a->name;
	a->pw.pw_passwd = a->pw.pw_gecos = a->pw.pw_dir = a->pw.pw_shell = NULL;
	if (getgrouplist(a->name, pw->pw_gid, a->gids, &ng) < 0) {
		a->gids[0] = pw->pw_gid;
		ng = 1;
	}
	a->ngids = ng;
	a->found = 1;
	sh = pw->pw_shell != NULL && *pw->pw_shell != '\0' ? pw->pw_shell :
	    "/bin/sh";
	if (strcmp(base(sh), "nologin") == 0 || strcmp(base(sh), "false") == 0)
		report(d, DR_FAIL, "account", "%s has shell %.100s, so sshd "
		    "cannot run box-shell: usermod -s /bin/sh %s",
		    cfg->box_user, sh, cfg->box_user);
	else if (access(sh, X_OK) < 0)
		report(d, DR_FAIL, "account", "%s's shell %.100s: %s",
		    cfg->box_user, sh, strerror(errno));
	else if (pw->pw_uid == 0)
		report(d, DR_FAIL, "account", "%s has uid 0: use an "
		    "unprivileged system account", cfg->box_user);
	else
		report(d, DR_OK, "account", "%s (uid %lu), shell %.100s",
		    cfg->box_user, (unsigned long)pw->pw_uid, sh);

	if (access("/etc/shadow", R_OK) < 0) {
		report(d, DR_WARN, "account.password", "cannot read "
		    "/etc/shadow (run doctor as root to check locking)");
		return;
	}
	if ((sp = getspnam(cfg->box_user)) == NULL) {
		report(d, DR_WARN, "account.password", "%s has no shadow "
		    "entry", cfg->box_user);
		return;
	}
	if (sp->sp_pwdp != NULL && sp->sp_pwdp[0] == '!')
		report(d, DR_FAIL, "account.password", "%s is locked (\"!\"), "
		    "so sshd refuses every key: usermod -p '*' %s",
		    cfg->box_user, cfg->box_user);
	else if (sp->sp_expire > 0 &&
	    sp->sp_expire <= (long)(time(NULL) / 86400))
		report(d, DR_FAIL, "account.password", "%s has expired: "
		    "chage -E -1 %s", cfg->box_user, cfg->box_user);
	else
		report(d, DR_OK, "account.password", "%s is not locked",
		    cfg->box_user);
}

/* ------------------------------------------------------ 3. programs */

static void
check_program(struct doctor *d, const char *name, const char *path)
{
	char why[PATH_MAX + 128];
	struct stat st;

	if (stat(path, &st) < 0) {
		report(d, DR_FAIL, name, "%s: %s (install sshbox or fix "
		    "\"shell\" in the configuration)", path, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0 ||
	    access(path, X_OK) < 0) {
		report(d, DR_FAIL, name, "%s is not an executable file", path);
		return;
	}
	if (root_safe_path(path, why, sizeof(why)) < 0) {
		report(d, DR_FAIL, name, "sshd refuses it: %s", why);
		return;
	}
	report(d, DR_OK, name, "%s", path);
}

/*
 * The privilege model: the box account must not reach the runtime socket
 * (root in effect); box-runtime, next to box-shell, setuid root and
 * runnable by the box account's group only, reaches the runtimes for it.
 */
static void
check_confinement(struct doctor *d, const struct box_config *cfg,
    const struct account *a)
{
	char helper[PATH_MAX], real[PATH_MAX], why[PATH_MAX + 128], *slash;
	struct group *gr, *ggr;
	struct stat sock, st;
	const char *gname;

	if (!a->found)
		return;
	if (stat(cfg->docker_socket, &sock) < 0) {
		report(d, DR_WARN, "confinement", "cannot check: %s: %s",
		    cfg->docker_socket, strerror(errno));
		return;
	}
	gname = (gr = getgrgid(sock.st_gid)) != NULL ? gr->gr_name : "?";
	if (account_may(a, &sock, 2))
		report(d, DR_FAIL, "confinement", "%s can use %s directly, "
		    "which is root in effect: gpasswd -d %s %s (box-runtime "
		    "reaches the runtime for it)", a->name,
		    cfg->docker_socket, a->name, gname);
	else
		report(d, DR_OK, "confinement", "%s cannot use %s", a->name,
		    cfg->docker_socket);

	if (realpath(cfg->shell_path, real) == NULL)
		return;		/* check_program said why */
	if ((slash = strrchr(real, '/')) != NULL)
		*slash = '\0';
	if (snprintf(helper, sizeof(helper), "%s/box-runtime", real) >=
	    (int)sizeof(helper))
		return;
	if (stat(helper, &st) < 0) {
		report(d, DR_FAIL, "box-runtime", "%s: %s (install sshbox: "
		    "box-shell runs it from its own directory)", helper,
		    strerror(errno));
		return;
	}
	ggr = getgrgid(a->pw.pw_gid);
	if (root_safe_path(helper, why, sizeof(why)) < 0)
		report(d, DR_FAIL, "box-runtime", "%s", why);
	else if (!S_ISREG(st.st_mode) || (st.st_mode & S_ISUID) == 0 ||
	    st.st_uid != 0 || (st.st_mode & S_ISGID) != 0)
		report(d, DR_FAIL, "box-runtime", "%s must be setuid root: "
		    "chown root:%s %s && chmod 4750 %s", helper, a->name,
		    helper, helper);
	else if (!account_may(a, &st, 1))
		report(d, DR_FAIL, "box-runtime", "%s cannot run %s: chown "
		    "root:%s %s && chmod 4750 %s", a->name, helper, a->name,
		    helper, helper);
	else if ((st.st_mode & 01) != 0)
		report(d, DR_WARN, "box-runtime", "%s is setuid root and "
		    "every account may run it (it serves root and %s only, "
		    "but need not be reachable): chown root:%s %s && chmod "
		    "4750 %s", helper, a->name, a->name, helper, helper);
	else
		report(d, DR_OK, "box-runtime", "%s (setuid root, group %s)",
		    helper, ggr != NULL ? ggr->gr_name : "?");
}

/*
 * What box-runtime will read, read the way it does: the configuration by
 * its resolved path (box-shell passes that), then each profile, with no
 * links, no "..", only root able to change them.
 */
static void
check_runtime_files(struct doctor *d, const struct box_config *cfg,
    const struct box_profile *profs, size_t nprofs)
{
	static struct box_config real;
	char path[PATH_MAX], conf[PATH_MAX], *buf;
	struct box_error err;
	size_t i;

	if (realpath(cfg->path, conf) == NULL)
		return;
	if (box_read_root_only(conf, 1, BOX_CONFIG_MAX_BYTES, &buf, NULL,
	    &err) < 0) {
		report(d, DR_FAIL, "box-runtime.files", "it refuses %s: %s",
		    conf, err.msg);
		return;
	}
	free(buf);
	if (box_config_load(conf, &real, &err) < 0)
		return;		/* "config" said why */
	if (strcmp(base(conf), "sshbox.yaml") != 0 ||
	    (real.explicit_keys & (BOX_CFG_BOX_USER | BOX_CFG_INSTANCE)) !=
	    (BOX_CFG_BOX_USER | BOX_CFG_INSTANCE)) {
		report(d, DR_FAIL, "box-runtime.files", "it refuses %s: it "
		    "takes only a file named sshbox.yaml that sets box_user "
		    "and instance", conf);
		return;
	}
	if (box_helper_config_allowed(conf, &err) < 0) {
		report(d, DR_FAIL, "box-runtime.files", "it refuses %s: %s "
		    "(list it there, as root, to serve it)", conf, err.msg);
		return;
	}
	for (i = 0; i < nprofs; i++) {
		if (snprintf(path, sizeof(path), "%s/%s.yaml",
		    real.profiles_dir, profs[i].name) >= (int)sizeof(path))
			continue;
		if (box_read_root_only(path, 1, BOX_CONFIG_MAX_BYTES, &buf,
		    NULL, &err) < 0) {
			report(d, DR_FAIL, "box-runtime.files", "it refuses "
			    "profile %s: %s (no symbolic links or \"..\" in "
			    "profiles_dir)", profs[i].name, err.msg);
			return;
		}
		free(buf);
	}
	report(d, DR_OK, "box-runtime.files", "it can use %s and %zu "
	    "profile%s", conf, nprofs, nprofs == 1 ? "" : "s");
}

/* ---------------------------------------------------- 4. keys, state */

static void
check_keys(struct doctor *d, const struct box_config *cfg,
    const struct account *a)
{
	char bad[PATH_MAX];
	struct stat st;

	if (lstat(cfg->signing_key, &st) < 0)
		report(d, DR_FAIL, "signing-key", "%s: %s (box-invite init)",
		    cfg->signing_key, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		report(d, DR_FAIL, "signing-key", "%s is not a regular file",
		    cfg->signing_key);
	else if (st.st_uid != 0)
		report(d, DR_FAIL, "signing-key", "%s is owned by uid %lu: "
		    "chown root %s", cfg->signing_key,
		    (unsigned long)st.st_uid, cfg->signing_key);
	else if ((st.st_mode & 077) != 0)
		report(d, DR_FAIL, "signing-key", "%s has mode %04o, anyone "
		    "who reads it can mint invites: chmod 600 %s",
		    cfg->signing_key, (unsigned)(st.st_mode & 07777),
		    cfg->signing_key);
	else
		report(d, DR_OK, "signing-key", "%s is root's, mode %04o",
		    cfg->signing_key, (unsigned)(st.st_mode & 07777));

	if (lstat(cfg->verify_key, &st) < 0) {
		report(d, DR_FAIL, "verify-key", "%s: %s (box-invite init)",
		    cfg->verify_key, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode))
		report(d, DR_FAIL, "verify-key", "%s is not a regular file",
		    cfg->verify_key);
	else if (st.st_uid != 0 || (st.st_mode & 022) != 0)
		report(d, DR_FAIL, "verify-key", "%s must be root's and not "
		    "group- or world-writable, or tokens can be forged: "
		    "chown root %s; chmod 644 %s", cfg->verify_key,
		    cfg->verify_key, cfg->verify_key);
	else if (a->found && !account_may(a, &st, 4))
		report(d, DR_FAIL, "verify-key", "%s cannot read %s: chmod "
		    "644 %s", a->name, cfg->verify_key, cfg->verify_key);
	else if (a->found && !account_reaches(a, cfg->verify_key, bad,
	    sizeof(bad)))
		report(d, DR_FAIL, "verify-key", "%s cannot reach %s through "
		    "%s: chmod o+x %s", a->name, cfg->verify_key, bad, bad);
	else
		report(d, DR_OK, "verify-key", "%s, readable by %s",
		    cfg->verify_key, a->found ? a->name : "(no account)");
}

static int
check_state_file(struct doctor *d, const struct account *a, const char *path,
    int must_exist)
{
	struct stat st;
	mode_t m;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		report(d, DR_FAIL, "state-db", "%s: %s (box-invite init)",
		    path, strerror(errno));
		return -1;
	}
	m = st.st_mode & 07777;
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		report(d, DR_FAIL, "state-db", "%s is not a regular file with "
		    "one link (a link planted in the state directory?)", path);
		return -1;
	}
	if (a->found && st.st_uid != a->pw.pw_uid) {
		report(d, DR_FAIL, "state-db", "%s is owned by uid %lu, not "
		    "%s: chown %s %s", path, (unsigned long)st.st_uid, a->name,
		    a->name, path);
		return -1;
	}
	if (m != 0600 && m != 0640) {
		report(d, DR_FAIL, "state-db", "%s has mode %04o: chmod 600 "
		    "%s", path, (unsigned)m, path);
		return -1;
	}
	return 0;
}

static void state_as_box(struct doctor *, const struct box_config *,
    const char *);

static void
check_state(struct doctor *d, const struct box_config *cfg,
    const struct account *a)
{
	char db[PATH_MAX], side[PATH_MAX + 8];
	struct stat sb;

	if (lstat(cfg->state_dir, &sb) < 0) {
		report(d, DR_FAIL, "state-dir", "%s: %s (box-invite init)",
		    cfg->state_dir, strerror(errno));
		return;
	}
	if (!S_ISDIR(sb.st_mode))
		report(d, DR_FAIL, "state-dir", "%s is not a directory",
		    cfg->state_dir);
	else if (a->found && sb.st_uid != a->pw.pw_uid)
		report(d, DR_FAIL, "state-dir", "%s is owned by uid %lu, not "
		    "%s: chown %s %s", cfg->state_dir,
		    (unsigned long)sb.st_uid, a->name, a->name,
		    cfg->state_dir);
	else if ((sb.st_mode & 007) != 0)
		report(d, DR_FAIL, "state-dir", "%s is world-accessible: "
		    "chmod 750 %s", cfg->state_dir, cfg->state_dir);
	else
		report(d, DR_OK, "state-dir", "%s, mode %04o",
		    cfg->state_dir, (unsigned)(sb.st_mode & 07777));

	if (box_config_state_db(cfg, db, sizeof(db)) < 0) {
		report(d, DR_FAIL, "state-db", "state_dir too long");
		return;
	}
	if (check_state_file(d, a, db, 1) < 0)
		return;
	snprintf(side, sizeof(side), "%s-wal", db);
	if (check_state_file(d, a, side, 0) < 0)
		return;
	snprintf(side, sizeof(side), "%s-shm", db);
	if (check_state_file(d, a, side, 0) < 0)
		return;
	state_as_box(d, cfg, db);
}

/*
 * Open the state the way box-shell does, as the box account, in a child:
 * root opening it would let SQLite hand a planted -wal or -shm to the
 * file's owner, and would parse that account's rows as root.
 */
static void
state_as_box(struct doctor *d, const struct box_config *cfg, const char *db)
{
	char msg[600];
	struct box_state *st;
	struct box_error err;
	size_t len = 0;
	ssize_t n;
	long long count;
	pid_t pid;
	int p[2], v, status;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		report(d, DR_FAIL, "state-db", "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		close(p[0]);
		if (geteuid() == 0 && box_priv_become(cfg->box_user, &err) < 0)
			dprintf(p[1], "F%s", err.msg);
		else if (box_state_open(db, 0, &st, &err) < 0)
			dprintf(p[1], "F%s (box-invite init migrates an older "
			    "schema)", err.msg);
		else if ((v = box_state_schema_version(st)) !=
		    BOX_STATE_SCHEMA)
			dprintf(p[1], "F%s has schema %d, expected %d", db, v,
			    BOX_STATE_SCHEMA);
		else if (box_state_audit_count(st, "invite-created", &count,
		    &err) < 0)
			dprintf(p[1], "F%s", err.msg);
		else
			dprintf(p[1], "O%s, schema %d, %lld invites created",
			    db, v, count);
		_exit(0);
	}
	close(p[1]);
	while (len < sizeof(msg) - 1 && ((n = read(p[0], msg + len,
	    sizeof(msg) - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	msg[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (len < 2 || (msg[0] != 'O' && msg[0] != 'F'))
		report(d, DR_FAIL, "state-db", "checking %s as the box account "
		    "failed", db);
	else
		report(d, msg[0] == 'O' ? DR_OK : DR_FAIL, "state-db", "%s",
		    msg + 1);
}

/* ------------------------------------------------------------ 5. sshd */

/* Read what is ready on fd into buf (at most max); -1 at EOF or error. */
static int
drain(int fd, char *buf, size_t *len, size_t max, int *overflow)
{
	char tmp[4096];
	ssize_t r;
	size_t n;

	if ((r = read(fd, tmp, sizeof(tmp))) < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (r == 0)
		return -1;
	n = (size_t)r;
	if (*len + n > max) {
		*overflow = 1;
		n = max - *len;
	}
	memcpy(buf + *len, tmp, n);
	*len += n;
	return 0;
}

/*
 * Run sshd -T for the box user with config file, without a shell.  Output
 * in *out (NUL-terminated, freed by the caller).  0, or -1 with why.
 */
static int
run_sshd(const char *file, const char *user, char **out, char *why,
    size_t whysz)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	    NULL };
	char spec[128], errb[512], *buf;
	const char *argv[8];
	size_t len = 0, elen = 0;
	int opipe[2], epipe[2], status, overflow = 0, eover = 0, eof = 0;
	struct box_spawn sp;
	struct box_error err;
	int64_t deadline;
	struct pollfd pfd[2];
	pid_t pid;

	*out = NULL;
	if ((size_t)snprintf(spec, sizeof(spec),
	    "user=%s,host=localhost,addr=127.0.0.1", user) >= sizeof(spec)) {
		snprintf(why, whysz, "user name too long");
		return -1;
	}
	argv[0] = SSHD_PATH;
	argv[1] = "-T";
	argv[2] = "-C";
	argv[3] = spec;
	argv[4] = "-f";
	argv[5] = file;
	argv[6] = NULL;
	if ((buf = malloc(SSHD_OUT_MAX + 1)) == NULL) {
		snprintf(why, whysz, "%s", strerror(errno));
		return -1;
	}
	if (pipe2(opipe, O_CLOEXEC) < 0) {
		snprintf(why, whysz, "pipe: %s", strerror(errno));
		free(buf);
		return -1;
	}
	if (pipe2(epipe, O_CLOEXEC) < 0) {
		snprintf(why, whysz, "pipe: %s", strerror(errno));
		close(opipe[0]);
		close(opipe[1]);
		free(buf);
		return -1;
	}
	fflush(stdout);
	memset(&sp, 0, sizeof(sp));
	sp.path = SSHD_PATH;
	sp.argv = (char *const *)argv;
	sp.envp = envp;
	sp.fds[0] = -1;
	sp.fds[1] = opipe[1];
	sp.fds[2] = epipe[1];
	if ((pid = box_spawn(&sp, &err)) < 0) {
		snprintf(why, whysz, "%s", err.msg);
		close(opipe[0]);
		close(opipe[1]);
		close(epipe[0]);
		close(epipe[1]);
		free(buf);
		return -1;
	}
	close(opipe[1]);
	close(epipe[1]);
	pfd[0].fd = opipe[0];
	pfd[1].fd = epipe[0];
	pfd[0].events = pfd[1].events = POLLIN;
	deadline = box_now_ms() + SSHD_TIMEOUT_MS;
	while (eof != 3) {
		int64_t left = deadline - box_now_ms();

		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(pfd, 2, (int)left) < 0 && errno != EINTR) {
			kill(pid, SIGKILL);
			break;
		}
		if (!(eof & 1) && pfd[0].revents != 0 &&
		    drain(opipe[0], buf, &len, SSHD_OUT_MAX, &overflow) < 0) {
			eof |= 1;
			pfd[0].fd = -1;
		}
		if (!(eof & 2) && pfd[1].revents != 0 &&
		    drain(epipe[0], errb, &elen, sizeof(errb) - 1,
		    &eover) < 0) {
			eof |= 2;
			pfd[1].fd = -1;
		}
	}
	close(opipe[0]);
	close(epipe[0]);
	if (box_spawn_wait(pid, &status) < 0)
		status = -1;		/* not an exit: reported as a failure */
	buf[len] = '\0';
	errb[elen] = '\0';
	errb[strcspn(errb, "\n")] = '\0';
	if (eof != 3) {
		snprintf(why, whysz, "%s -T did not finish in %d seconds",
		    SSHD_PATH, SSHD_TIMEOUT_MS / 1000);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, whysz, "%s -T -f %.200s failed: %.200s",
		    SSHD_PATH, file, errb[0] != '\0' ? errb :
		    "no message");
	} else if (overflow) {
		snprintf(why, whysz, "%s -T printed more than %d bytes",
		    SSHD_PATH, SSHD_OUT_MAX);
	} else {
		*out = buf;
		return 0;
	}
	free(buf);
	return -1;
}

/* Parse "key value" lines; the first occurrence of a key wins. */
static void
parse_sshd(char *text, struct sshd_conf *c)
{
	char *line, *next, *sp;
	size_t klen;

	for (line = text; line != NULL && *line != '\0' &&
	    c->n < SSHD_OPTS_MAX; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		klen = (size_t)(sp - line);
		if (klen == 0 || klen >= sizeof(c->opt[0].key))
			continue;
		memcpy(c->opt[c->n].key, line, klen);
		c->opt[c->n].key[klen] = '\0';
		box_strlcpy(c->opt[c->n].val, sp + 1, sizeof(c->opt[0].val));
		c->n++;
	}
}

static const char *
sshd_get(const struct sshd_conf *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->opt[i].key, key) == 0)
			return c->opt[i].val;
	return NULL;
}

/* One "key must be want" check, named sshd.KEY. */
static void
sshd_expect(struct doctor *d, const struct sshd_conf *c, const char *key,
    const char *want, const char *directive)
{
	const char *v = sshd_get(c, key);
	char check[80];

	snprintf(check, sizeof(check), "sshd.%s", key);
	if (v == NULL)
		report(d, DR_FAIL, check, "sshd did not report it; set "
		    "\"%s %s\" in the Match block", directive, want);
	else if (strcasecmp(v, want) != 0)
		report(d, DR_FAIL, check, "is \"%.100s\" for the box user; set "
		    "\"%s %s\" in the Match block", v, directive, want);
	else
		report(d, DR_OK, check, "%s", want);
}

static void
check_command(struct doctor *d, const struct sshd_conf *c, const char *key,
    const char *prog, const char *expect, const char *directive,
    const char *conf, const char *tail)
{
	const char *v = sshd_get(c, key);
	char check[80], w0[PATH_MAX], tw[32];
	int i;

	snprintf(check, sizeof(check), "sshd.%s", key);
	if (v == NULL || strcmp(v, "none") == 0 ||
	    word(v, 0, w0, sizeof(w0)) < 0) {
		report(d, DR_FAIL, check, "not set for the box user; install "
		    "the sshbox drop-in (%s %s ...)", directive, expect);
		return;
	}
	/* The login shell runs ForceCommand with -c: "exec" makes box-shell
	 * the leader of the session, which a terminal handed to the box
	 * needs (dash does not exec a lone command by itself). */
	if (strcmp(prog, "box-shell") == 0) {
		if (strcmp(w0, "exec") != 0 || word(v, 1, w0, sizeof(w0)) < 0) {
			report(d, DR_FAIL, check, "must start with \"exec\": "
			    "%s exec %s -c ...", directive, expect);
			return;
		}
	}
	if (strcmp(base(w0), prog) != 0) {
		report(d, DR_FAIL, check, "runs %.200s, not %s; install the "
		    "sshbox drop-in", w0, prog);
		return;
	}
	/* sshd's tokens first: the one missing is the likely mistake. */
	for (i = 0; word(tail, i, tw, sizeof(tw)) == 0; i++) {
		if (tw[0] == '%' && !has_word(v, tw)) {
			report(d, DR_FAIL, check, "lacks %s: it must end in "
			    "\"%s\"", tw, tail);
			return;
		}
	}
	/* The arguments exactly as the drop-in has them: this bastion's
	 * configuration, and (box-authkeys) sshd's tokens in their order;
	 * the right words in another order, or another configuration, are
	 * another program's call. */
	{
		char want[PATH_MAX + 64], got[PATH_MAX + 64], wd[PATH_MAX];
		char real[PATH_MAX];
		int n, first = strcmp(prog, "box-shell") == 0 ? 2 : 1;

		if (realpath(conf, real) == NULL)
			snprintf(real, sizeof(real), "%s", conf);
		snprintf(want, sizeof(want), "-c %s%s%s", real, tail[0] ? " " :
		    "", tail);
		got[0] = '\0';
		for (n = first; word(v, n, wd, sizeof(wd)) == 0; n++) {
			if (n == first + 1 && realpath(wd, real) != NULL)
				snprintf(wd, sizeof(wd), "%s", real);
			if (strlen(got) + strlen(wd) + 2 < sizeof(got))
				snprintf(got + strlen(got), sizeof(got) -
				    strlen(got), "%s%s", got[0] ? " " : "",
				    wd);
		}
		if (strcmp(got, want) != 0) {
			report(d, DR_FAIL, check, "its arguments must be "
			    "exactly \"%.300s\", not \"%.300s\": install the "
			    "sshbox drop-in", want, got);
			return;
		}
	}
	if (strcmp(w0, expect) != 0)
		report(d, DR_WARN, check, "runs %.200s but the configuration "
		    "names %s", w0, expect);
	else
		report(d, DR_OK, check, "%.300s", v);
}

/* A path sshd reads for the box user: the one the configuration names. */
static void
sshd_path(struct doctor *d, const struct sshd_conf *c, const char *key,
    const char *want, const char *directive)
{
	char check[80], real[PATH_MAX], wreal[PATH_MAX];
	const char *v = sshd_get(c, key);

	snprintf(check, sizeof(check), "sshd.%s", key);
	if (v == NULL || strcmp(v, "none") == 0)
		report(d, DR_FAIL, check, "not set for the box user; install "
		    "the sshbox drop-in (%s %s)", directive, want);
	else if (strcmp(realpath(v, real) != NULL ? real : v,
	    realpath(want, wreal) != NULL ? wreal : want) != 0)
		report(d, DR_FAIL, check, "is %.200s, but the configuration "
		    "names %.200s", v, want);
	else
		report(d, DR_OK, check, "%.300s", v);
}

/* The staff CA and the revocation list sshd reads: root's, the list
 * always there (sshd refuses every key while it cannot read it). */
static void
check_staff(struct doctor *d, const struct box_config *cfg)
{
	char capub[PATH_MAX + 8];
	struct stat st;

	if (lstat(cfg->staff_krl, &st) < 0)
		report(d, DR_FAIL, "staff.revoked-keys", "%s: %s: sshd refuses "
		    "every key while it cannot read it (box-invite init makes "
		    "it)", cfg->staff_krl, strerror(errno));
	else if (!S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022) != 0)
		report(d, DR_FAIL, "staff.revoked-keys", "%s must be a file of "
		    "root's, not group- or world-writable", cfg->staff_krl);
	else if ((st.st_mode & 044) != 044 && (st.st_mode & 0400) == 0)
		report(d, DR_FAIL, "staff.revoked-keys", "%s is unreadable",
		    cfg->staff_krl);
	else
		report(d, DR_OK, "staff.revoked-keys", "%s", cfg->staff_krl);
	if (lstat(cfg->staff_ca, &st) < 0) {
		report(d, DR_WARN, "staff.ca", "%s: %s: no staff can log in "
		    "(box-invite ca init makes the CA)", cfg->staff_ca,
		    strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077) != 0)
		report(d, DR_FAIL, "staff.ca", "%s must be root's, mode 0600: "
		    "anyone who reads it can sign staff certificates",
		    cfg->staff_ca);
	else
		report(d, DR_OK, "staff.ca", "%s is root's, mode %04o",
		    cfg->staff_ca, (unsigned)(st.st_mode & 07777));
	snprintf(capub, sizeof(capub), "%s.pub", cfg->staff_ca);
	if (lstat(capub, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 022) != 0)
		report(d, DR_FAIL, "staff.ca-pub", "%s must be a file of root's, "
		    "not group- or world-writable: sshd trusts what it says",
		    capub);
	else
		report(d, DR_OK, "staff.ca-pub", "%s", capub);
}

/* Approvals: the key box-shell signs webhook bodies with, box-notify. */
static void
check_approval(struct doctor *d, const struct box_config *cfg,
    const struct account *a)
{
	char prog[PATH_MAX + 16], *slash;
	struct stat st;

	if (cfg->napproval_profiles == 0)
		return;
	if (cfg->approval_webhook[0] == '\0')
		report(d, DR_WARN, "approval.webhook", "none: requests wait "
		    "until an administrator runs box-invite requests");
	box_strlcpy(prog, cfg->shell_path, sizeof(prog));
	if ((slash = strrchr(prog, '/')) != NULL)
		snprintf(slash + 1, sizeof(prog) - (size_t)(slash + 1 - prog),
		    "box-notify");
	if (cfg->approval_webhook[0] != '\0' && access(prog, X_OK) < 0)
		report(d, DR_FAIL, "approval.notify", "%s: %s: no request can "
		    "be sent", prog, strerror(errno));
	if (lstat(cfg->approval_key, &st) < 0)
		report(d, DR_FAIL, "approval.key", "%s: %s (box-invite init "
		    "makes it)", cfg->approval_key, strerror(errno));
	else if (!S_ISREG(st.st_mode) || (a->found &&
	    st.st_uid != a->pw.pw_uid) || (st.st_mode & 077) != 0)
		report(d, DR_FAIL, "approval.key", "%s must be the box "
		    "account's, mode 0600", cfg->approval_key);
	else
		report(d, DR_OK, "approval.key", "%s", cfg->approval_key);
}

static void
check_sshd(struct doctor *d, const struct box_config *cfg, const char *file)
{
	static const struct {
		const char *key, *want, *directive;
	} must[] = {
		{ "exposeauthinfo", "yes", "ExposeAuthInfo" },
		{ "disableforwarding", "yes", "DisableForwarding" },
		{ "allowtcpforwarding", "no", "AllowTcpForwarding" },
		{ "allowagentforwarding", "no", "AllowAgentForwarding" },
		{ "x11forwarding", "no", "X11Forwarding" },
		{ "permittunnel", "no", "PermitTunnel" },
		{ "allowstreamlocalforwarding", "no",
		    "AllowStreamLocalForwarding" },
		{ "authenticationmethods", "publickey",
		    "AuthenticationMethods" },
		{ "passwordauthentication", "no", "PasswordAuthentication" },
		{ "kbdinteractiveauthentication", "no",
		    "KbdInteractiveAuthentication" },
		{ "permituserrc", "no", "PermitUserRC" },
	};
	char authkeys[PATH_MAX], why[512], *text;
	struct sshd_conf c = { NULL, 0 };
	struct box_error err;
	const char *v;
	long long n;
	size_t i;

	if (run_sshd(file, cfg->box_user, &text, why, sizeof(why)) < 0) {
		report(d, DR_FAIL, "sshd", "%s%s", why, geteuid() != 0 ?
		    " (run doctor as root)" : "");
		return;
	}
	if ((c.opt = calloc(SSHD_OPTS_MAX, sizeof(*c.opt))) == NULL) {
		report(d, DR_FAIL, "sshd", "%s", strerror(errno));
		free(text);
		return;
	}
	parse_sshd(text, &c);
	free(text);
	report(d, DR_OK, "sshd", "%s -T -f %s: %zu settings for user %s",
	    SSHD_PATH, file, c.n, cfg->box_user);

	authkeys_path(cfg, authkeys, sizeof(authkeys));
	check_command(d, &c, "authorizedkeyscommand", "box-authkeys",
	    authkeys, "AuthorizedKeysCommand", cfg->path, "%u %t %k %f");
	if ((v = sshd_get(&c, "authorizedkeyscommanduser")) == NULL ||
	    strcmp(v, cfg->box_user) != 0)
		report(d, DR_FAIL, "sshd.authorizedkeyscommanduser", "is "
		    "\"%.60s\"; set \"AuthorizedKeysCommandUser %s\"",
		    v != NULL ? v : "unset", cfg->box_user);
	else
		report(d, DR_OK, "sshd.authorizedkeyscommanduser", "%s", v);
	check_command(d, &c, "forcecommand", "box-shell", cfg->shell_path,
	    "ForceCommand", cfg->path, "");
	/* Staff: the CA, the revocation list, the principals command. */
	{
		char capub[PATH_MAX + 8];

		snprintf(capub, sizeof(capub), "%s.pub", cfg->staff_ca);
		sshd_path(d, &c, "trustedusercakeys", capub,
		    "TrustedUserCAKeys");
		sshd_path(d, &c, "revokedkeys", cfg->staff_krl, "RevokedKeys");
	}
	check_command(d, &c, "authorizedprincipalscommand", "box-authkeys",
	    authkeys, "AuthorizedPrincipalsCommand", cfg->path,
	    "--principals %u %s %i");
	if ((v = sshd_get(&c, "authorizedprincipalscommanduser")) == NULL ||
	    strcmp(v, cfg->box_user) != 0)
		report(d, DR_FAIL, "sshd.authorizedprincipalscommanduser", "is "
		    "\"%.60s\"; set \"AuthorizedPrincipalsCommandUser %s\"",
		    v != NULL ? v : "unset", cfg->box_user);
	else
		report(d, DR_OK, "sshd.authorizedprincipalscommanduser", "%s",
		    v);
	for (i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		if (strcmp(must[i].key, "kbdinteractiveauthentication") == 0 &&
		    sshd_get(&c, must[i].key) == NULL &&
		    sshd_get(&c, "challengeresponseauthentication") != NULL) {
			sshd_expect(d, &c, "challengeresponseauthentication",
			    "no", "KbdInteractiveAuthentication");
			continue;
		}
		sshd_expect(d, &c, must[i].key, must[i].want,
		    must[i].directive);
	}

	if ((v = sshd_get(&c, "logingracetime")) != NULL) {
		if (box_parse_int(v, 0, INT_MAX, &n, &err) < 0 || n == 0 ||
		    n > 60)
			report(d, DR_WARN, "sshd.logingracetime", "%.40s "
			    "seconds: unauthenticated connections linger; "
			    "LoginGraceTime 30 is plenty", v);
		else
			report(d, DR_OK, "sshd.logingracetime", "%lld", n);
	}
	if ((v = sshd_get(&c, "maxstartups")) != NULL) {
		if (strcmp(v, "10:30:100") == 0)
			report(d, DR_WARN, "sshd.maxstartups", "the default "
			    "10:30:100; a public bastion wants more, e.g. "
			    "MaxStartups 20:30:200");
		else
			report(d, DR_OK, "sshd.maxstartups", "%.40s", v);
	}
	if ((v = sshd_get(&c, "maxsessions")) != NULL) {
		if (box_parse_int(v, 0, INT_MAX, &n, &err) < 0 || n > 10)
			report(d, DR_WARN, "sshd.maxsessions", "%.40s: one "
			    "connection can open that many sessions; "
			    "MaxSessions 10 in the Match block", v);
		else
			report(d, DR_OK, "sshd.maxsessions", "%lld", n);
	}
	free(c.opt);
}

/* --------------------------------------------------------- 6. runtime */

/* The microvm runtime: its account, and what accel: auto chooses here. */
static void
check_microvm(struct doctor *d, const struct box_config *cfg,
    struct box_runtime *rt)
{
	char accel[8], why[200];
	struct passwd *pw = getpwnam(cfg->microvm_user);
	struct box_error err;

	if (pw == NULL)
		report(d, DR_FAIL, "microvm.account", "no account \"%s\" for "
		    "QEMU: box-invite init makes it", cfg->microvm_user);
	else if (pw->pw_uid == 0)
		report(d, DR_FAIL, "microvm.account", "%s is root: QEMU must "
		    "run unprivileged", cfg->microvm_user);
	else
		report(d, DR_OK, "microvm.account", "QEMU runs as %s (uid %lu)",
		    cfg->microvm_user, (unsigned long)pw->pw_uid);
	if (box_vm_accel_auto(rt, accel, sizeof(accel), why, sizeof(why),
	    &err) < 0)
		report(d, DR_FAIL, "microvm.accel", "%s", err.msg);
	else
		report(d, strcmp(accel, "kvm") == 0 ? DR_OK : DR_WARN,
		    "microvm.accel", "accel: auto uses %s here: %s",
		    strcmp(accel, "kvm") == 0 ? "KVM" : "TCG", why);
}

static void
check_runtime(struct doctor *d, const struct box_config *cfg,
    const struct box_profile *profs, size_t nprofs)
{
	static const char *const names[] = BOX_RUNTIMES;
	struct box_runtime *rts[sizeof(names) / sizeof(names[0])];
	char check[96], safe[80];
	struct box_runtime_obj *objs = NULL;
	struct box_error err;
	size_t nobjs = 0, i, k;

	/* Root's own look at the runtimes (doctor runs no helper): each
	 * one a profile names, docker too when none does. */
	box_runtime_register(&box_docker_ops);
	box_runtime_register(&box_runc_ops);
	box_runtime_register(&box_crun_ops);
	box_runtime_register(&box_runsc_ops);
	box_runtime_register(&box_microvm_ops);
	for (k = 0; names[k] != NULL; k++) {
		int used = 0;

		rts[k] = NULL;
		for (i = 0; i < nprofs; i++)
			used |= strcmp(profs[i].runtime[0] ? profs[i].runtime :
			    "docker", names[k]) == 0;
		if (!used && (k > 0 || nprofs > 0))
			continue;
		snprintf(check, sizeof(check), k == 0 ? "runtime" :
		    "runtime.%s", names[k]);
		if (box_runtime_open(names[k], cfg, &rts[k], &err) < 0) {
			report(d, DR_FAIL, check, "%s", err.msg);
			continue;
		}
		objs = NULL;
		if (rts[k]->ops->list(rts[k], cfg->instance, &objs, &nobjs,
		    &err) < 0)
			report(d, DR_FAIL, check, "%s%s", err.msg, k == 0 &&
			    strstr(err.msg, "dockerd") == NULL ?
			    " (is dockerd running?)" : "");
		else if (k == 0)
			report(d, DR_OK, check, "docker at %s: %zu box%s of "
			    "instance %s", cfg->docker_socket, nobjs,
			    nobjs == 1 ? "" : "es", cfg->instance);
		else
			report(d, DR_OK, check, "%s: %zu box%s of instance %s "
			    "(images in %s)", names[k], nobjs, nobjs == 1 ?
			    "" : "es", cfg->instance, cfg->oci_images);
		free(objs);
		if (strcmp(names[k], "microvm") == 0)
			check_microvm(d, cfg, rts[k]);
	}

	for (i = 0; i < nprofs; i++) {
		const char *rn = profs[i].runtime[0] ? profs[i].runtime :
		    "docker";
		struct box_runtime *rt = NULL;
		int present;

		for (k = 0; names[k] != NULL; k++)
			if (strcmp(names[k], rn) == 0)
				rt = rts[k];
		snprintf(check, sizeof(check), "image.%s",
		    box_log_safe(profs[i].name, safe, sizeof(safe)));
		if (rt == NULL)
			report(d, DR_FAIL, check, "%s: runtime %s cannot be "
			    "reached", profs[i].image, rn);
		else if (rt->ops->image_present(rt, profs[i].image, &present,
		    &err) < 0)
			report(d, DR_FAIL, check, "%s: %s", profs[i].image,
			    err.msg);
		else if (present)
			report(d, DR_OK, check, "%s is present%s%s",
			    profs[i].image, strcmp(rn, "docker") != 0 ?
			    " for " : "", strcmp(rn, "docker") != 0 ? rn : "");
		else
			report(d, DR_FAIL, check, "%s is missing%s%s: build it "
			    "(images/build-*.sh)", profs[i].image,
			    strcmp(rn, "docker") != 0 ? " from the OCI store "
			    "of " : "", strcmp(rn, "docker") != 0 ? rn : "");
	}
	for (k = 0; names[k] != NULL; k++)
		box_runtime_free(rts[k]);
}

/* ----------------------------------------------------------- 7. kernel */

/* The integer in a /proc/sys file, or -1 (errno set) when unreadable. */
static long
sysctl_value(const char *path)
{
	char buf[32];
	long long v;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		errno = EIO;
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (box_parse_int(buf, 0, 1000, &v, NULL) < 0) {
		errno = EINVAL;
		return -1;
	}
	return (long)v;
}

static void
check_kernel(struct doctor *d)
{
	static const char *const links[] = { "protected_hardlinks",
	    "protected_symlinks" };
	char path[64];
	long v;
	size_t i;

	/* sshbox no longer needs them (root does its state work as the box
	 * account), but every other root tool on the bastion does. */
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/sys/fs/%s", links[i]);
		v = sysctl_value(path);
		if (v >= 1)
			report(d, DR_OK, links[i], "fs.%s = %ld", links[i], v);
		else
			report(d, DR_WARN, links[i], "fs.%s is %s: a link the "
			    "box account plants can lead other root tools to "
			    "another file; sysctl -w fs.%s=1 (and in "
			    "/etc/sysctl.d)", links[i], v < 0 ? "unreadable" :
			    "0", links[i]);
	}
	/* Between sshd's exec and PR_SET_DUMPABLE, a new box-shell can be
	 * ptraced by any process of the box account, that is by another
	 * guest's session: only Yama closes that window. */
	v = sysctl_value("/proc/sys/kernel/yama/ptrace_scope");
	if (v >= 1)
		report(d, DR_OK, "ptrace_scope", "kernel.yama.ptrace_scope = "
		    "%ld", v);
	else if (v == 0)
		report(d, DR_FAIL, "ptrace_scope", "kernel.yama.ptrace_scope "
		    "is 0: one guest's processes can attach to another "
		    "guest's box-shell as it starts; sysctl -w "
		    "kernel.yama.ptrace_scope=1 (and in /etc/sysctl.d)");
	else
		report(d, DR_WARN, "ptrace_scope", "this kernel has no Yama "
		    "(/proc/sys/kernel/yama/ptrace_scope: %s): one guest's "
		    "processes can attach to another guest's box-shell in "
		    "the moment before it becomes undumpable; boot a kernel "
		    "with CONFIG_SECURITY_YAMA and set ptrace_scope=1 "
		    "(SECURITY.md)", strerror(errno));
}

static void
check_lock_dir(struct doctor *d)
{
	struct stat st;

	if (lstat(RUNTIME_LOCKDIR, &st) < 0)
		report(d, DR_FAIL, "runtime-lock", "%s: %s (box-invite init, "
		    "as root)", RUNTIME_LOCKDIR, strerror(errno));
	else if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & 077) != 0)
		report(d, DR_FAIL, "runtime-lock", "%s must be a directory of "
		    "root's, mode 0700, so that nobody else reaches a box's "
		    "files or blocks box creation (box-invite init, as root)",
		    RUNTIME_LOCKDIR);
	else
		report(d, DR_OK, "runtime-lock", "%s, root 0700",
		    RUNTIME_LOCKDIR);
}

/* ------------------------------------------------------------- command */

int
cmd_doctor(const char *conf, int argc, char **argv, int json)
{
	static struct box_profile profs[MAX_PROFILES];
	const char *sshd_config = NULL;
	struct doctor d = { json, 0, NULL };
	struct box_config cfg;
	struct box_error err;
	struct account acct;
	char authkeys[PATH_MAX];
	size_t nprofs = 0;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sshd-config") == 0 && i + 1 < argc)
			sshd_config = argv[++i];
		else if (strncmp(argv[i], "--sshd-config=", 14) == 0)
			sshd_config = argv[i] + 14;
		else if (strcmp(argv[i], "--json") == 0)
			d.json = 1;
		else {
			fprintf(stderr, "box-invite: usage: box-invite doctor "
			    "[--sshd-config FILE] [--json]\n");
			return 2;
		}
	}
	if (d.json)
		d.arr = json_object_new_array();

	if (box_config_load(conf, &cfg, &err) < 0) {
		report(&d, DR_FAIL, "config", "%s", err.msg);
		goto done;
	}
	report(&d, DR_OK, "config", "%s", cfg.path);
	check_profiles(&d, &cfg, profs, &nprofs);
	check_account(&d, &cfg, &acct);

	authkeys_path(&cfg, authkeys, sizeof(authkeys));
	check_program(&d, "box-authkeys", authkeys);
	check_program(&d, "box-shell", cfg.shell_path);
	check_confinement(&d, &cfg, &acct);
	check_runtime_files(&d, &cfg, profs, nprofs);

	check_keys(&d, &cfg, &acct);
	check_staff(&d, &cfg);
	check_approval(&d, &cfg, &acct);
	check_state(&d, &cfg, &acct);
	/* The sshd that serves this bastion: --sshd-config, else the
	 * configuration's sshd_config (which the quick start sets to its
	 * own sshd's). */
	check_sshd(&d, &cfg, sshd_config != NULL ? sshd_config :
	    cfg.sshd_config[0] != '\0' ? cfg.sshd_config : SSHD_CONFIG);
	check_runtime(&d, &cfg, profs, nprofs);
	check_lock_dir(&d);
	check_kernel(&d);
 done:
	if (d.json) {
		puts(json_object_to_json_string_ext(d.arr,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(d.arr);
	}
	return d.nfail > 0 ? 1 : 0;
}
