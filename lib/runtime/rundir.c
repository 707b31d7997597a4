/* Run directories of boxes, and the agent binary bound into them. */
#include <sys/mount.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/rundir.h"
#include "core/util.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR	"/usr/libexec/sshbox"
#endif

static int
names_ok(const char *instance, const char *box_id)
{
	return box_valid_name(instance, 32) && strlen(box_id) == 16 &&
	    strspn(box_id, "0123456789abcdef") == 16;
}

int
box_rundir_make(const char *instance, const char *box_id, char *path,
    size_t pathsz, struct box_error *err)
{
	int top, inst, dfd;

	if (!names_ok(instance, box_id))
		return box_error_set(err, BOX_E_INPUT, 0, "invalid box id");
	if ((size_t)snprintf(path, pathsz, "%s/%s/%s", RUNTIME_DIR, instance,
	    box_id) >= pathsz)
		return box_error_set(err, BOX_E_CONFIG, 0, "path too long");
	if ((top = open(RUNTIME_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return box_error_set(err, BOX_E_CONFIG, errno, "%s (run "
		    "box-invite init as root)", RUNTIME_DIR);
	if (mkdirat(top, instance, 0750) < 0 && errno != EEXIST) {
		box_error_set(err, BOX_E_RUNTIME, errno, "%s/%s", RUNTIME_DIR,
		    instance);
		close(top);
		return -1;
	}
	inst = openat(top, instance, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	close(top);
	if (inst < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "%s/%s",
		    RUNTIME_DIR, instance);
	if (mkdirat(inst, box_id, 0700) < 0) {
		box_error_set(err, BOX_E_RUNTIME, errno, "%s", path);
		close(inst);
		return -1;
	}
	/*
	 * A tiny file system of its own: the directory is the box's (root
	 * in the box owns what it binds), and a guest that is root there
	 * must not fill the bastion's disk through it, nor leave anything
	 * behind.  The path is below root's 0700 directory: nobody else
	 * can swap it.  Where no mount can be made (not root: the unit
	 * tests), the directory alone.
	 */
	if (mount("sshbox-run", path, "tmpfs", MS_NOSUID | MS_NODEV |
	    MS_NOEXEC, "size=64k,nr_inodes=32,mode=0700") < 0 &&
	    errno != EPERM) {
		box_error_set(err, BOX_E_RUNTIME, errno, "%s", path);
		unlinkat(inst, box_id, AT_REMOVEDIR);
		close(inst);
		return -1;
	}
	dfd = openat(inst, box_id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	close(inst);
	/* The box's user (any uid) makes its socket here, once. */
	if (dfd < 0 || fchmod(dfd, 0733) < 0) {
		box_error_set(err, BOX_E_RUNTIME, errno, "%s", path);
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	return dfd;
}

int
box_rundir_open(const char *instance, const char *box_id,
    struct box_error *err)
{
	char path[PATH_MAX];
	int fd;

	if (!names_ok(instance, box_id))
		return box_error_set(err, BOX_E_INPUT, 0, "invalid box id");
	snprintf(path, sizeof(path), "%s/%s/%s", RUNTIME_DIR, instance,
	    box_id);
	if ((fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_RUNTIME, errno, "run directory of box %s", box_id);
	return fd;
}

int
box_rundir_ready(int dfd, int ms, struct box_error *err)
{
	int64_t end = box_now_ms() + ms;
	struct timespec ts = { 0, 20000000 };
	struct stat st;

	while (fstatat(dfd, BOX_AGENT_SOCKET, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISSOCK(st.st_mode)) {
		if (box_now_ms() >= end)
			return box_error_set(err, BOX_E_RUNTIME, 0,
			    "the box's agent did not start");
		nanosleep(&ts, NULL);
	}
	if (fchmod(dfd, 0711) < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno,
		    "run directory");
	return 0;
}

void
box_rundir_remove(const char *instance, const char *box_id)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int inst, dfd;

	if (!names_ok(instance, box_id))
		return;
	snprintf(path, sizeof(path), "%s/%s/%s", RUNTIME_DIR, instance,
	    box_id);
	while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	snprintf(path, sizeof(path), "%s/%s", RUNTIME_DIR, instance);
	if ((inst = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return;
	if ((dfd = openat(inst, box_id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) >= 0 && (d = fdopendir(dfd)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	} else if (dfd >= 0) {
		close(dfd);
	}
	unlinkat(inst, box_id, AT_REMOVEDIR);
	close(inst);
}

int
box_agent_binary(char *path, size_t pathsz, struct box_error *err)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL)
			*slash = '\0';
		if ((size_t)snprintf(path, pathsz, "%s/box-agent", self) <
		    pathsz && access(path, X_OK) == 0)
			return box_path_root_only(path, 0, err);
	}
	if ((size_t)snprintf(path, pathsz, "%s/box-agent", LIBEXECDIR) >=
	    pathsz)
		return box_error_set(err, BOX_E_CONFIG, 0, "path too long");
	return box_path_root_only(path, 0, err);
}

int
box_tools(char src[BOX_TOOLS_N][PATH_MAX], const char *dst[BOX_TOOLS_N])
{
	static const char *const names[BOX_TOOLS_N] = { "sftp-server", "scp",
	    "ld.so", "libc.so.6" };
	static const char *const where[BOX_TOOLS_N][3] = {
		{ "/usr/lib/openssh/sftp-server",
		  "/usr/libexec/openssh/sftp-server", NULL },
		{ "/usr/bin/scp", NULL, NULL },
		{ "/lib64/ld-linux-x86-64.so.2",
		  "/lib/ld-linux-aarch64.so.1", NULL },
		{ "/lib/x86_64-linux-gnu/libc.so.6",
		  "/lib/aarch64-linux-gnu/libc.so.6", NULL },
	};
	struct box_error err;
	int i, j;

	for (i = 0; i < BOX_TOOLS_N; i++) {
		dst[i] = names[i];
		for (j = 0; where[i][j] != NULL; j++)
			if (realpath(where[i][j], src[i]) != NULL &&
			    box_path_root_only(src[i], 0, &err) == 0)
				break;
		if (where[i][j] == NULL)
			return 0;
	}
	return BOX_TOOLS_N;
}
