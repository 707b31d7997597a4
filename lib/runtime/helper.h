/*
 * The box-runtime protocol.  box-runtime(8) is the one program that can
 * reach the runtime's socket (setgid to its group); box-shell and
 * box-reaper run as the box account and ask it over a unix socket pair,
 * one request line at a time.  Everything in a request is checked here
 * against a fixed grammar before the helper acts on it:
 *
 *   create BOXID PROFILE DEADLINE     -> ok REF
 *   destroy BOXID REF                 -> ok (REF "-": by name; the box
 *                                        found must carry BOXID and this
 *                                        instance in its labels)
 *   agent BOXID REF                   -> ok; a connection to the box's
 *                                        agent rides along (SCM_RIGHTS),
 *                                        checked as box_runtime_agent does
 *   pause BOXID REF                   -> ok (frozen; checked as destroy)
 *   unpause BOXID REF                 -> ok (thawed; checked as destroy)
 *   inspect REF                       -> ok EXISTS RUNNING
 *   list                              -> ok N, then N lines
 *                                        "REF BOXID DEADLINE RUNNING"
 *   use RUNTIME                       -> ok; destroy, agent, (un)pause,
 *                                        inspect and list go to that
 *                                        runtime's driver from now on
 *                                        (docker, runc, crun, runsc;
 *                                        docker at the start).  create
 *                                        uses its profile's runtime,
 *                                        whatever was asked before.
 *   fresh BOXID REF PROFILE           -> ok 1|0: the box (checked as
 *                                        destroy) was made from its
 *                                        profile's image as it is now
 *   clone                             -> ok; a second conversation with
 *                                        a helper of its own rides along
 *                                        (SCM_RIGHTS): for work in the
 *                                        background (a pool's refill)
 *   sign PROFILE TTL EXPIRES          -> ok ID TOKEN PINNED: a new invite
 *                                        for guests (a staff member's
 *                                        invite), signed with the signing
 *                                        key, which only root reads;
 *                                        TTL within the profile's
 *                                        max_ttl, EXPIRES at most 30d
 *
 * Nothing else: a session's command, terminal and exit status pass
 * between box-shell and the box's agent over the connection "agent"
 * hands back, never through the helper.  Failures answer
 * "err KIND MESSAGE" (KIND: enum box_error_kind); anything outside this
 * grammar is "unknown request".  The helper greets with "ready 1" or an
 * err line.
 */
#ifndef BOX_HELPER_H
#define BOX_HELPER_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "runtime/runtime.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR		"/etc"
#endif

#define BOX_HELPER_LINE_MAX	512
#define BOX_HELPER_NAME		"box-runtime"

enum box_helper_op {
	BOX_HOP_CREATE = 1,
	BOX_HOP_DESTROY,
	BOX_HOP_INSPECT,
	BOX_HOP_LIST,
	BOX_HOP_AGENT,
	BOX_HOP_PAUSE,
	BOX_HOP_UNPAUSE,
	BOX_HOP_USE,
	BOX_HOP_FRESH,
	BOX_HOP_CLONE,
	BOX_HOP_SIGN,
};

struct box_helper_req {
	enum box_helper_op op;
	char	 ref[BOX_REF_MAX];	/* box ref ("" for none), or box id for create */
	char	 box_id[BOX_ID_LEN + 1];	/* destroy, agent, (un)pause */
	char	 profile[BOX_PROFILE_NAME_MAX + 1];
	int64_t	 deadline;
	char	 runtime[16];		/* use */
	int64_t	 ttl, expires;		/* sign */
};

/* A reference the helper accepts: a whole container id or sshbox-BOXID. */
int	box_helper_valid_ref(const char *ref);

/*
 * Parse one request line (without its newline).  0 or -1 (BOX_E_INPUT,
 * saying what is wrong).
 */
int	box_helper_parse_req(const char *line, size_t len,
	    struct box_helper_req *req, struct box_error *err);

/* Write req as a line with its newline; -1 if it is invalid. */
int	box_helper_format_req(const struct box_helper_req *req, char *buf,
	    size_t bufsz, struct box_error *err);

/*
 * Parse a reply line (without its newline): "ok ARGS" puts ARGS (possibly
 * "") in *args and returns 0; "err KIND MESSAGE" sets err and returns -1;
 * anything else is BOX_E_RUNTIME "unexpected reply".
 */
int	box_helper_parse_reply(char *line, size_t len, char **args,
	    struct box_error *err);

/* Parse one list line "REF BOXID DEADLINE RUNNING" into obj. */
int	box_helper_parse_obj(const char *line, size_t len,
	    struct box_runtime_obj *obj, struct box_error *err);

/*
 * Client side: start box-runtime next to the running program (same
 * directory) with config conf, before privileges are dropped (it is
 * setgid, and no_new_privs would disarm it).  From then on
 * box_runtime_open() hands out a driver that asks the helper.  A failure
 * to start is remembered and reported when the runtime is first used.
 */
void	box_helper_start(const char *conf);

/*
 * A second conversation with a box-runtime of its own (clone), as a
 * descriptor, for a child process that works in the background; the
 * child adopts it with box_helper_adopt() (its first reply is the
 * greeting).  -1 with err.
 */
int	box_helper_clone(struct box_runtime *rt, struct box_error *err);
/*
 * A new invite for profile, signed by box-runtime: its id (BOX_ID_LEN + 1)
 * and token (BOX_TOKEN_MAX + 1) and whether it pins the host key.  The
 * caller records it in the state.
 */
int	box_helper_sign(const char *profile, int64_t ttl, int64_t expires,
	    char *id, char *token, int *pinned, struct box_error *err);
void	box_helper_adopt(int fd);
int	box_helper_active(void);

/*
 * Whether conf (an absolute path without links) is a configuration that
 * box-runtime may serve: the installed SYSCONFDIR/sshbox/sshbox.yaml, or
 * one that root listed, a whole path per line, in the root-only file
 * BOX_RUNTIME_CONFIGS (test suites, a second bastion on one host).  Any
 * other root-owned sshbox.yaml (a build tree, another instance's) would
 * let the box account pick another instance, another socket.  0, or -1
 * with BOX_E_CONFIG saying why.
 */
#define BOX_RUNTIME_CONFIGS	SYSCONFDIR "/sshbox/box-runtime.configs"
int	box_helper_config_allowed(const char *conf, struct box_error *err);

/* The driver that speaks to the helper (lib/runtime/helper-client.c). */
extern const struct box_runtime_ops box_helper_ops;

#endif
