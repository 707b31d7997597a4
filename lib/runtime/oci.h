/*
 * The OCI driver: runc, crun and gVisor's runsc, run directly by
 * box-runtime (root) from a bundle sshbox writes -- no daemon.  Exposed
 * here for tests and fuzzing: the readers of what a runtime prints and
 * of an image's user database, and the image-reference check.
 */
#ifndef BOX_OCI_H
#define BOX_OCI_H

#include <stddef.h>
#include <sys/types.h>

#include "core/error.h"
#include "runtime/runtime.h"

/* Where bundles and the runtimes' own state live (root only). */
#define OCI_DIR		RUNTIME_DIR "/.oci"

/*
 * The directory of image ref below the image store: "NAME[:TAG]" with
 * NAME one or more '/'-separated components [a-z0-9][a-z0-9._-]*, TAG
 * [A-Za-z0-9_][A-Za-z0-9._-]* (latest when absent), at most 200 bytes;
 * "sshbox/busybox:latest" is "sshbox/busybox/latest".  0, or -1
 * (BOX_E_CONFIG).
 */
int	box_oci_image_dir(const char *ref, char *out, size_t outsz,
	    struct box_error *err);

/*
 * The output of "RUNTIME state ID": *running (status "running" or
 * "paused" count as running, "paused" also sets *paused) and the pid
 * (0 when none).  Bounded, strict about types.  0 or -1.
 */
int	box_oci_parse_state(const char *json, size_t len, int *running,
	    int *paused, long *pid, struct box_error *err);

/*
 * One line of a runtime's log (--log): its "msg" when it is a JSON
 * object with one, else the line itself; control characters replaced,
 * at most outsz - 1 bytes.
 */
void	box_oci_parse_log(const char *line, size_t len, char *out,
	    size_t outsz);

/*
 * The labels of a bundle's config.json (its "annotations"): box id,
 * instance, profile, deadline and runtime (io.sshbox.runtime).  0 or -1.
 */
int	box_oci_parse_labels(const char *json, size_t len,
	    struct box_runtime_obj *obj, char *runtime, size_t runtimesz,
	    struct box_error *err);

/*
 * A user of an image: "NAME", "UID" or "UID:GID", looked up in the
 * image's passwd and group files (their contents, as read): uid, gid and
 * up to *ngids supplementary groups (the groups naming the user).  An
 * unknown name is BOX_E_CONFIG.  0 or -1.
 */
int	box_oci_resolve_user(const char *user, const char *passwd,
	    size_t plen, const char *group, size_t glen, uid_t *uid,
	    gid_t *gid, gid_t *gids, size_t *ngids, struct box_error *err);

/*
 * For box-runtime's count of this bastion's boxes (max_boxes): the
 * bundles of instance cfg->instance, of every OCI runtime (a readdir, no
 * runtime run).  And reserve: make box_id's bundle directory, so that it
 * counts from now on; create then fills it.  0 or -1.
 */
int	box_oci_count(const struct box_config *cfg, size_t *n,
	    struct box_error *err);
int	box_oci_reserve(const struct box_config *cfg, const char *box_id,
	    struct box_error *err);

/*
 * Which cgroup of /proc/PID/cgroup's text (len bytes) holds controller:
 * the v1 hierarchy naming it, else the v2 one ("0::PATH", *v2 set).  The
 * path into out: absolute, no "..".  0, or -1 when there is none.
 */
int	box_oci_cgroup_path(const char *text, size_t len,
	    const char *controller, char *out, size_t outsz, int *v2);

/*
 * For the microvm driver (microvm.c), whose boxes are bundles here too,
 * labelled io.sshbox.runtime=microvm: counted and reserved with the OCI
 * boxes, listed by their own driver.
 */
void	box_oci_bundle_path(const struct box_runtime *rt, const char *box_id,
	    char *out, size_t outsz);
int	box_oci_bundle_dir(const struct box_runtime *rt, const char *box_id,
	    struct box_error *err);
int	box_oci_bundle_labels(const struct box_runtime *rt,
	    const char *box_id, struct box_runtime_obj *obj, char *runtime,
	    size_t runtimesz, struct box_error *err);
int	box_oci_rm_tree(const char *path);
int	box_oci_image_root(const struct box_runtime *rt, const char *image,
	    char *out, size_t outsz, char *id, size_t idsz,
	    struct box_error *err);
int	box_oci_image_user(const struct box_profile *p, const char *img,
	    uid_t *uid, gid_t *gid, gid_t *gids, size_t *ngids,
	    struct box_error *err);
/* A stored reference is only sshbox-BOXID of the same box (or none). */
int	box_oci_check_ref(const char *box_id, const char *ref,
	    struct box_error *err);
/* The image version a bundle was made from (io.sshbox.image). */
int	box_oci_box_image(const struct box_runtime *rt, const char *box_id,
	    char *out, size_t outsz, struct box_error *err);
/* runtime.docker.timeout in ms (30 s when unset). */
long	box_oci_timeout_ms(const struct box_runtime *rt);

extern const struct box_runtime_ops box_runc_ops;
extern const struct box_runtime_ops box_crun_ops;
extern const struct box_runtime_ops box_runsc_ops;
extern const struct box_runtime_ops box_microvm_ops;

#endif
