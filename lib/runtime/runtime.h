/*
 * The runtime driver interface: everything sshbox asks of a container (or
 * later microVM) runtime.  One driver today, "docker" (Docker Engine API
 * over its unix socket; Podman's compatible socket works too).  Later
 * drivers (oci: runc/crun/runsc; firecracker) implement the same ops.
 */
#ifndef BOX_RUNTIME_H
#define BOX_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/error.h"

#define BOX_REF_MAX	80	/* runtime's id for a box */

/* Labels every box carries, for reconciliation by box-reaper. */
#define BOX_LABEL_BOX		"io.sshbox.box"
#define BOX_LABEL_INSTANCE	"io.sshbox.instance"
#define BOX_LABEL_DEADLINE	"io.sshbox.deadline"
#define BOX_LABEL_PROFILE	"io.sshbox.profile"

struct box_runtime;

/* What to create. */
struct box_spec {
	const char	*box_id;	/* 16 hex, also in the name and label */
	const char	*instance;	/* cfg->instance */
	int64_t		 deadline;	/* unix time, in a label */
	const struct box_profile *profile;
	const char	*agent_path;	/* box-agent on the host (root's) */
};

/*
 * Where a box's agent answers: a unix socket called name in the directory
 * open at dirfd, served by process pid as the host sees it (the box's
 * init); or, from box-runtime, a connection already made and checked (fd).
 */
struct box_agent_where {
	int	 dirfd;
	char	 name[32];
	long	 pid;
	int	 fd;
};

/* An object the runtime has, as listed for reconciliation. */
struct box_runtime_obj {
	char	 ref[BOX_REF_MAX];
	char	 box_id[BOX_ID_LEN + 1];	/* from the label */
	char	 instance[33];			/* from the label, "" if none */
	char	 profile[BOX_PROFILE_NAME_MAX + 1];	/* label, or "" */
	int64_t	 deadline;			/* from the label, 0 if none */
	int	 running;
	long	 pid;				/* its init, as the host sees
						   it; 0 if not running */
};

struct box_runtime_ops {
	const char *name;
	/* Create and start a box; on any failure nothing is left behind.
	 * Writes the runtime's reference into ref. */
	int	(*create)(struct box_runtime *, const struct box_spec *,
		    char *ref, size_t refsz, struct box_error *);
	/*
	 * Stop and remove box box_id.  ref is what create returned, as the
	 * state recorded it ("" when it has none: the driver finds the box
	 * by its name).  A stored reference is never trusted alone: the
	 * driver looks the object up and acts only on one whose labels name
	 * this instance (cfg->instance) and box_id, and only on the id it
	 * found; anything else is BOX_E_DENIED and left alone.  A box that
	 * is already gone is success.
	 */
	int	(*destroy)(struct box_runtime *, const char *box_id,
		    const char *ref, struct box_error *);
	/* *exists and *running; a missing box is not an error. */
	int	(*inspect)(struct box_runtime *, const char *ref, int *exists,
		    int *running, struct box_error *);
	/* *exists, and when it does, what its labels say (obj->box_id is
	 * "" for an object that is not a box). */
	int	(*describe)(struct box_runtime *, const char *ref, int *exists,
		    struct box_runtime_obj *obj, struct box_error *);
	/*
	 * Where the agent of box box_id answers (see struct box_agent_where);
	 * the box is checked as for destroy: this instance's, this id,
	 * running.  The caller closes w->dirfd or w->fd.
	 */
	int	(*agent)(struct box_runtime *, const char *box_id,
		    const char *ref, struct box_agent_where *w,
		    struct box_error *);
	/*
	 * Freeze (on) or thaw (!on) every process of box box_id, checked as
	 * for destroy; a box already so is success, a missing one
	 * BOX_E_NOTFOUND.  For warm pools: a booted box waits frozen until
	 * a guest takes it.  NULL: the driver cannot.
	 */
	int	(*pause)(struct box_runtime *, const char *box_id,
		    const char *ref, int on, struct box_error *);
	/*
	 * *fresh: box box_id (checked as for destroy) was made from image
	 * as the runtime has it now (a rebuilt image is a new version).
	 * For warm pools, whose boxes are replaced when their image
	 * changes.  profile names the box's profile (box-runtime loads it
	 * and passes its image).  NULL: the driver cannot tell.
	 */
	int	(*fresh)(struct box_runtime *, const char *box_id,
		    const char *ref, const char *profile, const char *image,
		    int *fresh, struct box_error *);
	/* *present: the image is available to create boxes from. */
	int	(*image_present)(struct box_runtime *, const char *image,
		    int *present, struct box_error *);
	/* All boxes labelled with instance.  *objs freed by the caller. */
	int	(*list)(struct box_runtime *, const char *instance,
		    struct box_runtime_obj **objs, size_t *nobjs,
		    struct box_error *);
	void	(*free)(struct box_runtime *);
};

struct box_runtime {
	char	 name[16];		/* the driver's, even when reached
					   through box-runtime */
	const struct box_runtime_ops *ops;
	const struct box_config *cfg;
	void	*priv;
};

/*
 * Open the driver called name ("docker") for cfg.  Does not contact the
 * runtime yet.  When box_helper_start() has run, the driver is reached
 * through the box-runtime helper instead (runtime-helper.c).
 * *out freed with box_runtime_free().  0 or -1.
 */
int	box_runtime_open(const char *name, const struct box_config *cfg,
	    struct box_runtime **out, struct box_error *err);
void	box_runtime_free(struct box_runtime *rt);

/* The runtimes this program can open, NULL-terminated: every runtime
 * sshbox knows while box-runtime serves it (box_helper_active), and the
 * drivers linked in. */
const char *const *box_runtime_names(void);

/*
 * Link a driver into this program: box-runtime and doctor add
 * box_docker_ops, unit tests a fake one; box-shell, box-authkeys and
 * box-reaper add none (they go through box-runtime), and so never load a
 * runtime client.  0, or -1 when full.
 */
int	box_runtime_register(const struct box_runtime_ops *ops);

/*
 * A connection to the agent of box box_id, through the driver: connected
 * to the socket w names without following a link there, and kept only if
 * the process at the other end is the box's init (SO_PEERCRED): a socket
 * the guest swapped for another box's agent, the runtime's socket or
 * anything else gets BOX_E_DENIED and is closed before a byte is sent.
 * Returns the descriptor, or -1.
 */
/* rt's pause, or BOX_E_CONFIG when its driver has none. */
int	box_runtime_pause(struct box_runtime *rt, const char *box_id,
	    const char *ref, int on, struct box_error *err);
int	box_runtime_agent(struct box_runtime *rt, const char *box_id,
	    const char *ref, struct box_error *err);

/* The connect-and-check half of box_runtime_agent, for box-runtime, which
 * does it with the caller's groups only.  Closes w->dirfd. */
int	box_agent_connect(struct box_agent_where *w, struct box_error *err);

/* The docker driver's ops (lib/runtime/docker.c). */
extern const struct box_runtime_ops box_docker_ops;

/* A TERM value safe to pass into a box: [a-z0-9+._-], 1..64 bytes. */
int	box_valid_term(const char *term);

/*
 * Parse a Docker API JSON reply.  Exposed for tests and fuzzing: these are
 * the only readers of runtime replies.
 *  - container list: fills objs (freed by caller), skipping entries
 *    without a valid box label;
 *  - container inspect: obj (Id, State.Running, the labels);
 *  - create: the container Id into ref;
 *  - an error body: its "message" into msg (sanitised, bounded).
 */
int	box_docker_parse_list(const char *json, size_t len,
	    struct box_runtime_obj **objs, size_t *nobjs,
	    struct box_error *err);
int	box_docker_parse_inspect(const char *json, size_t len,
	    struct box_runtime_obj *obj, struct box_error *err);
int	box_docker_parse_id(const char *json, size_t len, char *ref,
	    size_t refsz, struct box_error *err);
void	box_docker_parse_message(const char *json, size_t len, char *msg,
	    size_t msgsz);

#endif
