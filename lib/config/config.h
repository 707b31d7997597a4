/*
 * Configuration: the bastion's sshbox.yaml and the profiles in
 * profiles/NAME.yaml, read with libyaml and validated.  Errors name the file,
 * the line and the key.  Relative paths in sshbox.yaml are taken relative
 * to the directory of sshbox.yaml, so a whole bastion can live in one
 * directory (which is how the tests run).
 */
#ifndef BOX_CONFIG_H
#define BOX_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/log.h"		/* BOX_LOG_TEXT, BOX_LOG_JSON */
#include "auth/token.h"

#define BOX_CONFIG_MAX_BYTES	(256 * 1024)
#define BOX_PROFILE_MAX_WARN	4
#define BOX_PROFILE_MAX_TMPFS	8
#define BOX_PROFILE_MAX_CAPS	16
#define BOX_PROFILE_MAX_CMDS	32	/* patterns in commands.allow, .deny */
#define BOX_PROFILE_CMD_MAX	128	/* bytes of one pattern, NUL too */
#define BOX_PROFILE_MAX_ENV	16	/* variables in env */
#define BOX_PROFILE_ENV_MAX	512	/* bytes of one NAME=value, NUL too */
#define BOX_PROFILE_BANNER_MAX	1024	/* bytes of the banner, NUL too */
#define BOX_USER_MAX		32

/*
 * How a profile's sessions carry bytes (session.h).  auto: commands
 * pass-through, terminals relayed (a terminal of the bastion's has no name
 * inside the box, so tty(1) and ttyname(3) would fail there).
 */
#define BOX_SESSION_AUTO	0
#define BOX_SESSION_PASS	1
#define BOX_SESSION_RELAY	2

/* What a profile records of its sessions (sshbox-record(5)). */
#define BOX_RECORD_OFF		0
#define BOX_RECORD_OUTPUT	1	/* what the guest saw */
#define BOX_RECORD_ALL		2	/* and what the guest typed */

struct box_profile {
	char	 name[BOX_PROFILE_NAME_MAX + 1];  /* from the file name */
	char	 description[256];
	char	 image[256];		/* required: Docker image reference */
	char	 runtime[16];		/* "docker" (default) */
	int64_t	 ttl;			/* default TTL, seconds (default 30m) */
	int64_t	 max_ttl;		/* upper bound for --ttl (default 4h) */
	int64_t	 linger;		/* keep box after last session (5m) */
	int64_t	 warn[BOX_PROFILE_MAX_WARN];	/* warn this long before end */
	size_t	 nwarn;			/* default: 5m, 1m */
	int64_t	 memory;		/* bytes (default 512m) */
	int64_t	 nano_cpus;		/* CPUs * 1e9 (default 1 CPU) */
	int64_t	 pids;			/* pids limit (default 256) */
	char	 network[32];		/* "none" (default) or a network name */
	char	 user[BOX_USER_MAX + 1];	/* user inside the box (root) */
	char	 shell[128];		/* login shell in the box (/bin/sh) */
	char	 workdir[256];		/* working directory ("" = image's) */
	int	 read_only;		/* read-only root filesystem (false) */
	char	 tmpfs[BOX_PROFILE_MAX_TMPFS][128];	/* writable mounts */
	size_t	 ntmpfs;
	int64_t	 tmpfs_size;		/* size of each tmpfs (64m) */
	char	 cap_add[BOX_PROFILE_MAX_CAPS][32];	/* e.g. "CHOWN" */
	size_t	 ncap_add;
	int64_t	 disk;			/* writable layer size, 0: no limit */
	int64_t	 shm_size;		/* /dev/shm size (16m) */
	int	 session;		/* BOX_SESSION_AUTO, _PASS, _RELAY */
	int	 record;		/* BOX_RECORD_* (off) */
	int	 record_required;	/* no recording, no session (false) */
	int	 watch;			/* admins may watch relayed sessions
					 * (true) */
	int	 watch_notice;		/* tell the guest of watchers (true) */
	int64_t	 record_max;		/* bytes of one recording (64m) */
	int	 pool;			/* ready boxes kept (0) */
	int64_t	 pool_max_age;		/* a ready box older is replaced
					 * (1h) */
	char	 accel[8];		/* microvm: auto (default), kvm, tcg */
	/* Session hooks.  Commands (non-interactive sessions) are checked
	 * against allow (when set: only matching, simple commands) and
	 * deny (shell glob patterns, the whole command line). */
	char	 cmd_allow[BOX_PROFILE_MAX_CMDS][BOX_PROFILE_CMD_MAX];
	size_t	 ncmd_allow;
	char	 cmd_deny[BOX_PROFILE_MAX_CMDS][BOX_PROFILE_CMD_MAX];
	size_t	 ncmd_deny;
	char	 env[BOX_PROFILE_MAX_ENV][BOX_PROFILE_ENV_MAX];	/* NAME=value */
	size_t	 nenv;
	char	 banner[BOX_PROFILE_BANNER_MAX];	/* shown at login, "" */
};

/* A staff group of the policy: who in it may use which profiles, for how
 * long, and how many boxes its members may hold together. */
#define BOX_POLICY_GROUPS_MAX	16
#define BOX_GROUP_NAME_MAX	33	/* [a-z0-9_-], NUL too */
#define BOX_GROUP_PROFILES_MAX	16
struct box_group {
	char	 name[BOX_GROUP_NAME_MAX];
	char	 profiles[BOX_GROUP_PROFILES_MAX][BOX_PROFILE_NAME_MAX + 1];
	size_t	 nprofiles;
	int64_t	 max_ttl;		/* 0: the profile's max_ttl */
	int	 max_boxes;		/* live boxes of its members (10) */
	int	 invite;		/* may create guests' invites (false) */
};

/* A blackout window: no staff box, extension or invite while it lasts.
 * Weekly (days, from start to end minute of the day, UTC; an end at or
 * before the start runs into the next day) or once (from, to). */
#define BOX_POLICY_BLACKOUTS_MAX 16
struct box_blackout {
	int	 weekly;
	unsigned days;			/* bit 0 Monday .. bit 6 Sunday */
	int	 start_min, end_min;	/* 0..1440 */
	int64_t	 from, to;		/* once: unix seconds */
};

/* Parse one blackout window: "Mon-Fri 22:00-06:00", "Sat,Sun
 * 00:00-24:00", "* 12:00-13:00", or "2026-12-24T00:00Z/2026-12-27T00:00Z".
 * 0 or -1 with why (a static string). */
int	box_blackout_parse(const char *s, struct box_blackout *b,
	    const char **why);
/* Whether now falls in window b; *until then says when it ends. */
int	box_blackout_active(const struct box_blackout *b, int64_t now,
	    int64_t *until);

#define BOX_APPROVAL_PROFILES_MAX 16

/* policy.principals: a staff member's groups, besides their
 * certificate's (changed here without a new certificate). */
#define BOX_POLICY_PRINCIPALS_MAX 64
struct box_principal {
	char	 name[33];
	char	 groups[BOX_POLICY_GROUPS_MAX][BOX_GROUP_NAME_MAX];
	size_t	 ngroups;
};

struct box_config {
	char	 path[PATH_MAX];	/* the file this came from */
	char	 box_user[BOX_USER_MAX + 1];	/* login account (box) */
	char	 state_dir[PATH_MAX];	/* holds state.db and locks */
	char	 signing_key[PATH_MAX];	/* Ed25519 private key (root only) */
	char	 verify_key[PATH_MAX];	/* its public half */
	char	 profiles_dir[PATH_MAX];
	char	 shell_path[PATH_MAX];	/* box-shell, for authorized_keys */
	char	 host[256];		/* host name guests connect to */
	int	 port;			/* port guests connect to (22) */
	char	 instance[33];		/* runtime label scoping our boxes */
	char	 docker_socket[PATH_MAX];
	char	 audit_log[PATH_MAX];	/* JSON lines of audit events, or "" */
	char	 recordings_dir[PATH_MAX];	/* (state_dir/recordings) */
	int64_t	 retention;		/* keep recordings and history this
					 * long, 0: forever (90d) */
	char	 metrics_file[PATH_MAX];	/* Prometheus textfile, or "" */
	char	 player_dir[PATH_MAX];	/* asciinema-player's files */
	char	 host_key[PATH_MAX];	/* its Ed25519 host key (.pub), which
					 * invites pin for box-proxy */
	char	 sshd_config[PATH_MAX];	/* the sshd that serves the bastion
					 * (/etc/ssh/sshd_config): doctor */
	int	 log_format;		/* BOX_LOG_TEXT or _JSON */
	int64_t	 docker_timeout;	/* seconds per API call (30s) */
	char	 oci_images[PATH_MAX];	/* unpacked images of the OCI
					 * runtimes (runc, crun, runsc) */
	char	 microvm_user[BOX_USER_MAX + 1];	/* QEMU's account
						   (sshbox-vm) */
	char	 runsc_platform[16];	/* ptrace (default), systrap, kvm */
	int	 redeem_max;		/* redemptions per source per window */
	int64_t	 redeem_window;		/* seconds (10 per 60s) */
	int64_t	 create_timeout;	/* a box "creating" longer is dead */
	int	 max_boxes;		/* live boxes on this bastion (50) */
	int	 max_boxes_per_invite;	/* live boxes of one invite (20) */
	int	 max_boxes_per_source;	/* live boxes from one address (5) */
	unsigned explicit_keys;		/* BOX_CFG_* keys the file sets */
	/* Staff: short-lived SSH certificates from sshbox's own CA. */
	char	 staff_ca[PATH_MAX];	/* the CA's private key, root's
					 * (SYSCONFDIR/sshbox/user_ca); its
					 * .pub is sshd's TrustedUserCAKeys */
	char	 staff_krl[PATH_MAX];	/* sshd's RevokedKeys, kept by
					 * box-invite (.../revoked.krl) */
	int64_t	 staff_max_cert_ttl;	/* longest certificate (12h) */
	struct box_group groups[BOX_POLICY_GROUPS_MAX];	/* policy.groups */
	size_t	 ngroups;
	int	 max_boxes_per_person;	/* a staff member's live boxes (3) */
	struct box_principal principals[BOX_POLICY_PRINCIPALS_MAX];
	size_t	 nprincipals;
	struct box_blackout blackouts[BOX_POLICY_BLACKOUTS_MAX];
	size_t	 nblackouts;
	/* Profiles whose staff boxes need an approver's yes first. */
	char	 approval_profiles[BOX_APPROVAL_PROFILES_MAX]
		     [BOX_PROFILE_NAME_MAX + 1];
	size_t	 napproval_profiles;
	char	 approval_webhook[512];	/* http(s) URL to notify, or "" */
	char	 approval_key[PATH_MAX];	/* HMAC key for its body
						 * (state_dir/approval.key) */
	int64_t	 approval_timeout;	/* the webhook's answer (10s) */
	int64_t	 approval_wait;		/* a staff member waits (5m) */
};

/* The policy's entry for principal name, or NULL. */
const struct box_principal *box_config_principal(const struct box_config *cfg,
	    const char *name);
/* The policy group named name, or NULL. */
const struct box_group *box_config_group(const struct box_config *cfg,
	    const char *name);

#define BOX_CFG_BOX_USER	0x1
#define BOX_CFG_INSTANCE	0x2
#define BOX_CFG_HOST_KEY	0x4

/*
 * Load and validate sshbox.yaml from path into cfg (defaults first, then
 * the file).  Unknown keys are errors.  0 or -1 (BOX_E_CONFIG, message
 * "FILE:LINE: KEY: why").
 */
int	box_config_load(const char *path, struct box_config *cfg,
	    struct box_error *err);

/* The same from a buffer; fname is used in messages and to resolve
 * relative paths (its directory). */
int	box_config_parse(const char *buf, size_t len, const char *fname,
	    struct box_config *cfg, struct box_error *err);

/*
 * Load profile NAME from cfg->profiles_dir/NAME.yaml.  NAME must be a
 * valid profile name (box_valid_name, at most 32).  0 or -1.
 */
int	box_config_load_profile(const struct box_config *cfg,
	    const char *name, struct box_profile *p, struct box_error *err);

/* Parse a profile from a buffer (defaults first). */
int	box_config_parse_profile(const char *buf, size_t len,
	    const char *fname, const char *name, struct box_profile *p,
	    struct box_error *err);

/* The runtimes a profile may name: docker, and the OCI runtimes runc,
 * crun and runsc (lib/runtime/oci.c). */
#define BOX_RUNTIMES	{ "docker", "runc", "crun", "runsc", "microvm", NULL }
int	box_config_known_runtime(const char *name);

/* The names of the profiles in cfg->profiles_dir (files NAME.yaml with a
 * valid name), at most max of them, into names; *n of them.  0, or -1
 * when the directory cannot be read. */
int	box_config_profile_names(const struct box_config *cfg,
	    char (*names)[BOX_PROFILE_NAME_MAX + 1], size_t max, size_t *n);

#ifndef OCI_IMAGES_DIR
#define OCI_IMAGES_DIR	"/var/lib/sshbox-images"
#endif

/* Path of the state database (state_dir/state.db) into out. */
int	box_config_state_db(const struct box_config *cfg, char *out,
	    size_t outsz);

#endif
