/*
 * The microvm driver: every box a QEMU -M microvm guest, run by box-runtime
 * as root and confined as a jailer would (SECURITY.md, "MicroVM boxes").
 *
 * A box is a bundle beside the OCI ones, OCI_DIR/INSTANCE/BOXID (root,
 * 0700), so that boxes of every daemonless runtime are counted, reserved
 * and reaped alike:
 *   config.json  its labels (annotations, io.sshbox.runtime=microvm),
 *                written first: a bundle without it never started a VM
 *   disk.qcow2   the box's own copy-on-write layer over the image's
 *                rootfs.ext4 (read-only backing file, shared)
 *   initrd       the store's initrd.img with box-agent appended (a second
 *                cpio archive), so that the agent is always this host's
 *   empty/       QEMU's -chroot: nothing
 *   qmp.sock     QMP, for root alone: lifecycle, pause, the console
 *   vport.sock   the guest's virtio-serial port sshbox.agent
 *   qemu.pid, mux.pid   the two host processes of the box
 * Two processes run it, both as the VM account (runtime.microvm.user,
 * sshbox-vm), never root: QEMU, in a memory cgroup of its own, seccomp'd
 * (-sandbox), chrooted into empty/; and box-agent --vm-host, which carries
 * box-shell's sessions over the port (agent/mux.h) and listens on the
 * box's agent socket in its run directory, as a container's agent does.
 *
 * The kernel and initrd are the store's .microvm/ (images/build-microvm.sh:
 * Debian's cloud kernel, busybox, the virtio modules).  KVM where it really
 * works (a bounded boot test, remembered), TCG otherwise.
 */
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/log.h"
#include "core/spawn.h"
#include "core/util.h"
#include "runtime/jsonc.h"
#include "runtime/microvm.h"
#include "runtime/oci.h"
#include "runtime/rundir.h"

#define VM_QMP_LINE_MAX		(64 * 1024)
#define VM_CONSOLE_MAX		65536	/* the console's ring, bytes */
#define VM_PROBE_SECONDS	10	/* a KVM boot test */
#define VM_OVERHEAD		(256LL << 20)	/* QEMU beyond guest RAM */
/* The guest kernel's own, beyond the box's memory: a VM has RAM for both,
 * and the box's processes are limited to the profile's memory by a
 * cgroup inside it, as in a container (tmpfs pages count). */
#define VM_KERNEL_RAM		(96LL << 20)
#define VM_MEMORY_MIN		(32LL << 20)
#define VM_TB_MB		64	/* TCG's translation cache */
#define VM_CGROUP_NAME		"sshbox"
/* QEMU's -name: also how its process is told from any other. */
#define VM_NAME_FMT		"guest=sshbox-%s,process=sshbox-vm"
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static int
vm_valid_box_id(const char *s)
{
	return s != NULL && strlen(s) == BOX_ID_LEN &&
	    strspn(s, "0123456789abcdef") == BOX_ID_LEN;
}

/* ---------------------------------------------------------- parsers */

int
box_vm_parse_qmp(const char *line, size_t len, int *is_return,
    json_object **ret, char *msg, size_t msgsz, struct box_error *err)
{
	json_tokener *tok;
	json_object *o, *v;

	*is_return = 0;
	if (ret != NULL)
		*ret = NULL;
	if (msgsz > 0)
		msg[0] = '\0';
	if (len == 0 || len > VM_QMP_LINE_MAX || memchr(line, '\0', len))
		return box_error_set(err, BOX_E_RUNTIME, 0, "QEMU said "
		    "something malformed");
	if ((tok = json_tokener_new_ex(8)) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, ENOMEM, "json");
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (o == NULL || json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object)) {
		json_tokener_free(tok);
		json_object_put(o);
		return box_error_set(err, BOX_E_RUNTIME, 0, "QEMU said "
		    "something malformed");
	}
	json_tokener_free(tok);
	if (json_object_object_get_ex(o, "return", &v)) {
		*is_return = 1;
		if (ret != NULL)
			*ret = json_object_get(v);
	} else if (json_object_object_get_ex(o, "error", &v)) {
		json_object *d;
		const char *s = "";

		if (json_object_object_get_ex(v, "desc", &d) &&
		    json_object_is_type(d, json_type_string))
			s = json_object_get_string(d);
		*is_return = -1;
		if (msgsz > 0) {
			size_t i;

			snprintf(msg, msgsz, "%s", s);
			for (i = 0; msg[i] != '\0'; i++)
				if ((unsigned char)msg[i] < 0x20 ||
				    (unsigned char)msg[i] >= 0x7f)
					msg[i] = '?';
		}
	}
	/* Anything else (an event, the greeting) is neither. */
	json_object_put(o);
	return 0;
}

/* ------------------------------------------------------------ paths */

static void
vm_bundle(const struct box_runtime *rt, const char *box_id, char *out,
    size_t outsz)
{
	box_oci_bundle_path(rt, box_id, out, outsz);
}

/* The store's kernel and initrd: root's, in cfg->oci_images/.microvm. */
static int
vm_kernel(const struct box_runtime *rt, char *kernel, size_t ksz,
    char *initrd, size_t isz, struct box_error *err)
{
	if ((size_t)snprintf(kernel, ksz, "%s/.microvm/vmlinuz",
	    rt->cfg->oci_images) >= ksz ||
	    (size_t)snprintf(initrd, isz, "%s/.microvm/initrd.img",
	    rt->cfg->oci_images) >= isz)
		return box_error_set(err, BOX_E_CONFIG, 0, "path too long");
	if (box_path_root_only(kernel, 0, err) < 0 ||
	    box_path_root_only(initrd, 0, err) < 0)
		return box_error_set(err, BOX_E_RUNTIME, 0, "no microVM kernel "
		    "in %s/.microvm (images/build-microvm.sh builds it)",
		    rt->cfg->oci_images);
	return 0;
}

/* The image's disk, beside its unpacked root. */
static int
vm_image_disk(const struct box_runtime *rt, const char *image, char *disk,
    size_t dsz, char *root, size_t rsz, char *id, size_t idsz,
    struct box_error *err)
{
	if (box_oci_image_root(rt, image, root, rsz, id, idsz, err) < 0)
		return -1;
	if ((size_t)snprintf(disk, dsz, "%.*s.ext4", (int)(strlen(root)),
	    root) >= dsz)
		return box_error_set(err, BOX_E_CONFIG, 0, "path too long");
	if (box_path_root_only(disk, 0, err) < 0)
		return box_error_set(err, BOX_E_RUNTIME, 0, "image %s has no "
		    "microVM disk (images/build-microvm.sh makes it)", image);
	return 0;
}

static int
vm_bin(char *out, size_t outsz, const char *name, struct box_error *err)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/bin",
	    "/sbin", "/usr/local/bin", "/usr/local/sbin", NULL };
	struct box_error e2;
	size_t i;

	for (i = 0; dirs[i] != NULL; i++) {
		snprintf(out, outsz, "%s/%s", dirs[i], name);
		if (access(out, X_OK) == 0 &&
		    box_path_root_only(out, 0, &e2) == 0)
			return 0;
	}
	return box_error_set(err, BOX_E_RUNTIME, 0, "runtime microvm needs "
	    "%s (apt-get install qemu-system-x86 qemu-utils)", name);
}

static int
vm_account(const struct box_runtime *rt, uid_t *uid, gid_t *gid,
    struct box_error *err)
{
	const char *name = rt->cfg->microvm_user[0] ? rt->cfg->microvm_user :
	    "sshbox-vm";
	struct passwd *pw = getpwnam(name);

	if (pw == NULL || pw->pw_uid == 0 || pw->pw_gid == 0)
		return box_error_set(err, BOX_E_CONFIG, 0, "runtime microvm "
		    "runs QEMU as the account %s, which does not exist (or is "
		    "root's): box-invite init makes it", name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* ------------------------------------------------------- processes */

/* A small file of root's in the bundle: a pid. */
static long
vm_read_pid(const char *bundle, const char *name)
{
	char path[PATH_MAX + 16], buf[32];
	ssize_t n;
	int fd;
	long pid;
	char *end;

	snprintf(path, sizeof(path), "%s/%s", bundle, name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || pid <= 1 ||
	    pid > 1L << 22)
		return 0;
	return pid;
}

static int
vm_write_pid(const char *bundle, const char *name, long pid)
{
	char path[PATH_MAX + 16], buf[32];
	int fd, n, ok;

	snprintf(path, sizeof(path), "%s/%s", bundle, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%ld\n", pid);
	ok = write(fd, buf, (size_t)n) == n;
	return close(fd) == 0 && ok ? 0 : -1;
}

/*
 * /proc/PID/exe names the binary, or "PATH (deleted)" once a package
 * upgrade replaced it: a QEMU started before an upgrade is still ours.
 */
static int
same_exe(const char *link, const char *exe)
{
	size_t n = strlen(exe);

	return strncmp(link, exe, n) == 0 && (link[n] == '\0' ||
	    strcmp(link + n, " (deleted)") == 0);
}

/* /proc/PID/NAME into buf, NUL-terminated: its length, or -1. */
static ssize_t
proc_read(long pid, const char *name, char *buf, size_t sz)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sz - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/*
 * The arguments of process pid (NUL-separated, into args) when it runs
 * exe (or that binary replaced) as uid, or as root before it dropped to
 * uid (QEMU's -runas): their length, else -1.
 */
static ssize_t
vm_proc_args(long pid, const char *exe, uid_t uid, char *args, size_t sz)
{
	char path[64], link[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (pid <= 1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld", pid);
	if (stat(path, &st) < 0 || (st.st_uid != uid && st.st_uid != 0))
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
		return -1;
	link[n] = '\0';
	if (!same_exe(link, exe))
		return -1;
	return proc_read(pid, "cmdline", args, sz);
}

/*
 * Process pid is the one we started: its binary is exe, it runs as uid,
 * and one of its arguments is mark.  Anything else (a pid reused) is not.
 */
static int
vm_proc_is(long pid, const char *exe, uid_t uid, const char *mark)
{
	char args[8192], *a;
	ssize_t n;

	if ((n = vm_proc_args(pid, exe, uid, args, sizeof(args))) < 0)
		return 0;
	for (a = args; a < args + n; a += strlen(a) + 1)
		if (strcmp(a, mark) == 0)
			return 1;
	return 0;
}

/* A zombie is gone for us: its memory is freed, nothing runs. */
static int
vm_proc_alive(long pid)
{
	char buf[512], *p;

	if (proc_read(pid, "stat", buf, sizeof(buf)) < 0)
		return 0;
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2] != 'Z' && p[2] != 'X';
}

/*
 * Start argv detached (a session of its own, reparented to init), as
 * uid:gid unless they are 0, in the cgroup whose cgroup.procs is
 * procs (when not NULL), with fds 0-2 on /dev/null and keep[] as 3, 4.
 * Its pid; -1 when it could not start.
 */
static long
vm_start(const char *path, char *const argv[], uid_t uid, gid_t gid,
    const char *procs, const int *keep, int nkeep, const char *log,
    int64_t fsize, struct box_error *err)
{
	int pfd[2], st;
	pid_t mid;
	long pid = -1;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno, "pipe");
	if ((mid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return box_error_set(err, BOX_E_INTERNAL, errno, "fork");
	}
	if (mid == 0) {
		char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		    NULL };
		sigset_t all;
		pid_t p;
		int nul, i, e;

		close(pfd[0]);
		setsid();
		if ((p = fork()) != 0) {
			long v = p;

			if (write(pfd[1], &v, sizeof(v)) != sizeof(v))
				_exit(1);
			_exit(p < 0);
		}
		for (i = 1; i < NSIG; i++)
			signal(i, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (procs != NULL) {
			char me[32];
			int fd = open(procs, O_WRONLY | O_CLOEXEC);
			int n = snprintf(me, sizeof(me), "%ld",
			    (long)getpid());

			if (fd < 0 || write(fd, me, (size_t)n) != n)
				_exit(126);
			close(fd);
		}
		if ((nul = open("/dev/null", O_RDWR)) < 0 ||
		    dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
			_exit(126);
		/* What QEMU (or the link) says of itself: a few lines. */
		if (log != NULL && (nul = open(log, O_WRONLY | O_CREAT |
		    O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0)
			dup2(nul, 2);
		if (nkeep > 0) {
			/* Above them all first, so that no dup2 clobbers
			 * one still to be moved. */
			int high[8];

			for (i = 0; i < nkeep && i < 8; i++)
				if ((high[i] = fcntl(keep[i], F_DUPFD, 20)) < 0)
					_exit(126);
			for (i = 0; i < nkeep && i < 8; i++)
				if (dup2(high[i], 3 + i) < 0)
					_exit(126);
			for (i = 3 + nkeep; i < 1024; i++)
				close(i);
		} else {
			for (i = 3; i < 1024; i++)
				if (i != pfd[1])
					close(i);
		}
		/* No file it writes grows past fsize: QEMU's disk layer
		 * and its log, the link's log -- even once taken over. */
		if (fsize > 0) {
			struct rlimit fs = { (rlim_t)fsize, (rlim_t)fsize };

			if (setrlimit(RLIMIT_FSIZE, &fs) < 0)
				_exit(126);
		}
		umask(077);
		if (chdir("/") < 0)
			_exit(126);
		/* box-runtime serves with the caller's real ids: the
		 * child takes root's whole (or the VM account's), so that
		 * the caller cannot signal it. */
		if (uid == 0 && (setgroups(0, NULL) < 0 ||
		    setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
			_exit(126);
		if (uid != 0 && (setgroups(0, NULL) < 0 || setgid(gid) < 0 ||
		    setuid(uid) < 0 || setuid(0) == 0))
			_exit(126);
		execve(path, argv, env);
		e = errno;
		(void)e;
		_exit(127);
	}
	close(pfd[1]);
	if (read(pfd[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = -1;
	close(pfd[0]);
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid <= 0)
		return box_error_set(err, BOX_E_RUNTIME, 0, "cannot start %s",
		    path);
	return pid;
}

/* The last line of a log of QEMU's own, printable. */
static void
vm_last_line(const char *path, char *out, size_t outsz)
{
	char buf[4096], *line, *nl;
	ssize_t n;
	size_t i;
	off_t sz;
	int fd;

	out[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	sz = lseek(fd, 0, SEEK_END);
	lseek(fd, sz > (off_t)sizeof(buf) - 1 ? sz - (off_t)sizeof(buf) + 1 :
	    0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	line = (nl = strrchr(buf, '\n')) != NULL ? nl + 1 : buf;
	box_strlcpy(out, line, outsz);
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
			out[i] = '?';
}

/* Kill pid (when it is ours) and wait, bounded, until it is gone. */
static void
vm_kill(long pid, const char *exe, uid_t uid, const char *mark)
{
	int i;

	if (pid <= 1 || !vm_proc_is(pid, exe, uid, mark))
		return;
	kill((pid_t)pid, SIGKILL);
	for (i = 0; i < 500 && vm_proc_alive(pid); i++)
		usleep(10000);
}

/* ------------------------------------------------------------ cgroup */

/*
 * QEMU's memory cgroup: MEMORY_ROOT/sshbox/INSTANCE/BOXID, v1's memory
 * hierarchy or the unified one.  *procs is its cgroup.procs.
 */
static int
vm_cgroup_path(const struct box_runtime *rt, const char *box_id, char *dir,
    size_t dsz, int *v2)
{
	struct stat st;

	*v2 = stat("/sys/fs/cgroup/memory", &st) < 0 &&
	    stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
	return (size_t)snprintf(dir, dsz, "/sys/fs/cgroup%s/%s/%s/%s",
	    *v2 ? "" : "/memory", VM_CGROUP_NAME, rt->cfg->instance, box_id)
	    >= dsz ? -1 : 0;
}

static int
write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	if (close(fd) < 0)
		return -1;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int
vm_cgroup_make(const struct box_runtime *rt, const char *box_id,
    int64_t limit, char *procs, size_t psz, struct box_error *err)
{
	char dir[PATH_MAX], p[PATH_MAX + 32], num[32];
	char *slash;
	int v2;

	if (vm_cgroup_path(rt, box_id, dir, sizeof(dir), &v2) < 0)
		return box_error_set(err, BOX_E_INTERNAL, 0, "cgroup path");
	/* Each level; under v2 with the memory controller enabled below. */
	for (slash = strchr(dir + strlen("/sys/fs/cgroup/"), '/');;
	    slash = strchr(slash + 1, '/')) {
		if (slash != NULL)
			*slash = '\0';
		if (v2) {
			char *up = strrchr(dir, '/');

			*up = '\0';
			snprintf(p, sizeof(p), "%s/cgroup.subtree_control",
			    dir);
			write_text(p, "+memory");
			*up = '/';
		}
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return box_error_set(err, BOX_E_RUNTIME, errno,
			    "cannot make QEMU's cgroup %s: box refused", dir);
		if (slash == NULL)
			break;
		*slash = '/';
	}
	snprintf(num, sizeof(num), "%lld", (long long)limit);
	snprintf(p, sizeof(p), "%s/%s", dir, v2 ? "memory.max" :
	    "memory.limit_in_bytes");
	if (write_text(p, num) < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "cannot limit "
		    "QEMU's memory (%s): box refused", p);
	if ((size_t)snprintf(procs, psz, "%s/cgroup.procs", dir) >= psz)
		return box_error_set(err, BOX_E_INTERNAL, 0, "cgroup path");
	return 0;
}

/*
 * Every process in the box's cgroup killed: only box-runtime puts one
 * there (QEMU), so that whatever it holds is the box's, whatever its pid
 * file or binary say.
 */
static void
vm_cgroup_kill(const struct box_runtime *rt, const char *box_id)
{
	char dir[PATH_MAX], procs[PATH_MAX + 16], line[32];
	int v2, round;
	FILE *f;

	if (vm_cgroup_path(rt, box_id, dir, sizeof(dir), &v2) < 0 ||
	    (size_t)snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir) >=
	    sizeof(procs))
		return;
	for (round = 0; round < 50; round++) {
		int any = 0;

		if ((f = fopen(procs, "re")) == NULL)
			return;
		while (fgets(line, sizeof(line), f) != NULL) {
			long pid = strtol(line, NULL, 10);

			if (pid > 1 && vm_proc_alive(pid)) {
				kill((pid_t)pid, SIGKILL);
				any = 1;
			}
		}
		fclose(f);
		if (!any)
			return;
		usleep(20000);
	}
}

static void
vm_cgroup_remove(const struct box_runtime *rt, const char *box_id)
{
	char dir[PATH_MAX];
	int v2, i;

	if (vm_cgroup_path(rt, box_id, dir, sizeof(dir), &v2) < 0)
		return;
	for (i = 0; i < 100 && rmdir(dir) < 0 && errno == EBUSY; i++)
		usleep(20000);
}

/* --------------------------------------------------------------- QMP */

/* One line from fd into buf (bounded), within the deadline. */
static int
qmp_line(int fd, char *buf, size_t bufsz, size_t *have, char **line,
    size_t *len, int64_t end, struct box_error *err)
{
	for (;;) {
		char *nl = memchr(buf, '\n', *have);
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left;
		ssize_t r;

		if (nl != NULL) {
			*line = buf;
			*len = (size_t)(nl - buf);
			return 0;
		}
		if (*have == bufsz)
			return box_error_set(err, BOX_E_RUNTIME, 0, "QEMU said "
			    "too much");
		if ((left = end - box_now_ms()) <= 0)
			return box_error_set(err, BOX_E_RUNTIME, 0, "QEMU did "
			    "not answer");
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return box_error_set(err, BOX_E_RUNTIME, errno, "QMP");
		if (p.revents == 0)
			continue;
		r = read(fd, buf + *have, bufsz - *have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return box_error_set(err, BOX_E_RUNTIME, 0, "QEMU "
			    "closed its monitor");
		*have += (size_t)r;
	}
}

/*
 * Run one QMP command (cmd: a whole JSON object) on box box_id's monitor;
 * *ret (when not NULL) gets its return value.
 */
static int
vm_qmp(const struct box_runtime *rt, const char *box_id, const char *cmd,
    json_object **ret, struct box_error *err)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	char bundle[PATH_MAX], msg[200];
	struct sockaddr_un sa;
	char *buf = NULL, *line;
	size_t have = 0, len;
	int64_t end = box_now_ms() + 5000;
	int fd, step = 0, rc = -1, isret;

	if (ret != NULL)
		*ret = NULL;
	vm_bundle(rt, box_id, bundle, sizeof(bundle));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/qmp.sock",
	    bundle) >= sizeof(sa.sun_path))
		return box_error_set(err, BOX_E_CONFIG, 0, "QMP path too long");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		box_error_set(err, BOX_E_RUNTIME, errno, "QEMU of box %s does "
		    "not answer", box_id);
		goto out;
	}
	if ((buf = malloc(VM_QMP_LINE_MAX + 1)) == NULL) {
		box_error_set(err, BOX_E_INTERNAL, ENOMEM, "QMP");
		goto out;
	}
	/* The greeting, then capabilities, then the command. */
	if (qmp_line(fd, buf, VM_QMP_LINE_MAX, &have, &line, &len, end,
	    err) < 0)
		goto out;
	memmove(buf, buf + len + 1, have - len - 1);
	have -= len + 1;
	for (step = 0; step < 2; step++) {
		const char *send = step == 0 ? caps : cmd;

		if (write(fd, send, strlen(send)) != (ssize_t)strlen(send) ||
		    (step == 1 && write(fd, "\n", 1) != 1)) {
			box_error_set(err, BOX_E_RUNTIME, errno, "QMP");
			goto out;
		}
		for (;;) {
			json_object *r = NULL;

			if (qmp_line(fd, buf, VM_QMP_LINE_MAX, &have, &line,
			    &len, end, err) < 0 ||
			    box_vm_parse_qmp(line, len, &isret,
			    step == 1 ? &r : NULL, msg, sizeof(msg), err) < 0)
				goto out;
			memmove(buf, buf + len + 1, have - len - 1);
			have -= len + 1;
			if (isret == 0)
				continue;	/* an event */
			if (isret < 0) {
				json_object_put(r);
				box_error_set(err, BOX_E_RUNTIME, 0, "QEMU "
				    "refused: %s", msg);
				goto out;
			}
			if (step == 1 && ret != NULL)
				*ret = r;
			else
				json_object_put(r);
			break;
		}
	}
	rc = 0;
 out:
	free(buf);
	close(fd);
	return rc;
}

/* The line the guest's console ended with (a panic, init's failure), as
 * the link wrote it down ("console: ...") when the VM ended. */
static void
vm_console_tail(const struct box_runtime *rt, const char *box_id, char *out,
    size_t outsz)
{
	char path[PATH_MAX + 16], *buf = NULL, *p, *line;
	struct box_error e2;
	size_t len, i;
	int tries;

	vm_bundle(rt, box_id, path, sizeof(path) - 16);
	strcat(path, "/mux.log");
	out[0] = '\0';
	/* The link writes it as it ends, just after QEMU. */
	for (tries = 0; tries < 100; tries++) {
		if (box_read_file(path, 64 * 1024, &buf, &len, &e2) == 0) {
			line = NULL;
			for (p = buf; p != NULL && p < buf + len;
			    p = memchr(p, '\n', (size_t)(buf + len - p)),
			    p = p != NULL ? p + 1 : NULL)
				if ((size_t)(buf + len - p) > 9 &&
				    memcmp(p, "console: ", 9) == 0)
					line = p + 9;
			if (line != NULL) {
				for (i = 0; i + 1 < outsz && line + i < buf +
				    len && line[i] != '\n'; i++)
					out[i] = (unsigned char)line[i] >= 0x20 &&
					    (unsigned char)line[i] < 0x7f ?
					    line[i] : '?';
				out[i] = '\0';
				free(buf);
				return;
			}
			free(buf);
			buf = NULL;
		}
		usleep(20000);
	}
}

static int vm_ids(const struct box_runtime *, uid_t *, char *, size_t,
    char *, size_t, struct box_error *);

/*
 * QEMU processes of this instance whose bundle may be gone (a crash
 * between its removal and theirs, a bundle removed by hand): found in
 * /proc by what only box-runtime starts -- the QEMU binary, run by root
 * or the VM account, -name guest=sshbox-BOXID,... and -initrd in this
 * instance's bundle of that box.  fn is called for each (box_id, pid);
 * only limits the search to one box when not NULL.
 */
static void
vm_scan(const struct box_runtime *rt, const char *only,
    void (*fn)(void *, const char *, long), void *arg)
{
	char qemu[PATH_MAX], agent[PATH_MAX];
	char args[16384], prefix[PATH_MAX], id[BOX_ID_LEN + 1];
	struct dirent *de;
	struct box_error e2;
	uid_t uid;
	DIR *d;

	if (vm_ids(rt, &uid, qemu, sizeof(qemu), agent, sizeof(agent),
	    &e2) < 0 || (d = opendir("/proc")) == NULL)
		return;
	vm_bundle(rt, "0000000000000000", prefix, sizeof(prefix));
	prefix[strlen(prefix) - BOX_ID_LEN] = '\0';	/* .../INSTANCE/ */
	while ((de = readdir(d)) != NULL) {
		char *a, *end, *prev = NULL, want[PATH_MAX + 32];
		int named = 0, here = 0;
		ssize_t n;

		if (strspn(de->d_name, "0123456789") != strlen(de->d_name) ||
		    strlen(de->d_name) > 12 ||
		    (n = vm_proc_args(strtol(de->d_name, NULL, 10), qemu, uid,
		    args, sizeof(args))) < 0)
			continue;
		id[0] = '\0';
		end = args + n;
		for (a = args; a < end; a += strlen(a) + 1) {
			if (prev != NULL && strcmp(prev, "-name") == 0 &&
			    strncmp(a, "guest=sshbox-", 13) == 0 &&
			    strlen(a) > 13 + BOX_ID_LEN &&
			    a[13 + BOX_ID_LEN] == ',') {
				memcpy(id, a + 13, BOX_ID_LEN);
				id[BOX_ID_LEN] = '\0';
				named = vm_valid_box_id(id);
			}
			prev = a;
		}
		if (!named || (only != NULL && strcmp(id, only) != 0))
			continue;
		/* -initrd must be exactly this instance's bundle of it. */
		snprintf(want, sizeof(want), "%s%s/initrd", prefix, id);
		for (a = args, prev = NULL; a < end; a += strlen(a) + 1) {
			if (prev != NULL && strcmp(prev, "-initrd") == 0 &&
			    strcmp(a, want) == 0)
				here = 1;
			prev = a;
		}
		if (here && vm_proc_alive(strtol(de->d_name, NULL, 10)))
			fn(arg, id, strtol(de->d_name, NULL, 10));
	}
	closedir(d);
}

static void
vm_scan_kill(void *arg, const char *box_id, long pid)
{
	int i;

	(void)arg;
	(void)box_id;
	kill((pid_t)pid, SIGKILL);
	for (i = 0; i < 500 && vm_proc_alive(pid); i++)
		usleep(10000);
}

/* ------------------------------------------------------- the state */

struct vm_state {
	long	 qemu;		/* pids, when running and ours */
	long	 mux;
};

static int
vm_ids(const struct box_runtime *rt, uid_t *uid, char *qemu, size_t qsz,
    char *agent, size_t asz, struct box_error *err)
{
	gid_t gid;

	if (vm_account(rt, uid, &gid, err) < 0 ||
	    vm_bin(qemu, qsz, "qemu-system-x86_64", err) < 0 ||
	    box_agent_binary(agent, asz, err) < 0)
		return -1;
	return 0;
}

static void
vm_state(const struct box_runtime *rt, const char *box_id,
    struct vm_state *s)
{
	char bundle[PATH_MAX], qemu[PATH_MAX], agent[PATH_MAX], mark[64];
	struct box_error e2;
	uid_t uid;
	long pid;

	memset(s, 0, sizeof(*s));
	if (vm_ids(rt, &uid, qemu, sizeof(qemu), agent, sizeof(agent),
	    &e2) < 0)
		return;
	vm_bundle(rt, box_id, bundle, sizeof(bundle));
	snprintf(mark, sizeof(mark), VM_NAME_FMT, box_id);
	pid = vm_read_pid(bundle, "qemu.pid");
	if (vm_proc_is(pid, qemu, uid, mark) && vm_proc_alive(pid))
		s->qemu = pid;
	pid = vm_read_pid(bundle, "mux.pid");
	if (vm_proc_is(pid, agent, uid, box_id) && vm_proc_alive(pid))
		s->mux = pid;
}

/*
 * Box box_id of this instance, made by this driver: *exists, and obj
 * (running: its QEMU runs).  Another runtime's bundle is BOX_E_DENIED;
 * one cut short (no config.json) or unreadable is listed, to be removed.
 */
static int
vm_find(struct box_runtime *rt, const char *box_id, int *exists,
    struct box_runtime_obj *obj, struct vm_state *st, struct box_error *err)
{
	char bundle[PATH_MAX], runtime[16];
	struct vm_state s;
	struct stat sb;
	struct box_error e2;

	*exists = 0;
	memset(obj, 0, sizeof(*obj));
	if (!vm_valid_box_id(box_id))
		return box_error_set(err, BOX_E_INPUT, 0, "invalid box id");
	vm_bundle(rt, box_id, bundle, sizeof(bundle));
	if (lstat(bundle, &sb) < 0)
		return errno == ENOENT ? 0 : box_error_set(err,
		    BOX_E_RUNTIME, errno, "bundle of box %s", box_id);
	if (box_oci_bundle_labels(rt, box_id, obj, runtime, sizeof(runtime),
	    &e2) < 0) {
		/* Cut short, or damaged: this instance's, to be removed. */
		memset(obj, 0, sizeof(*obj));
		snprintf(obj->box_id, sizeof(obj->box_id), "%s", box_id);
		snprintf(obj->instance, sizeof(obj->instance), "%s",
		    rt->cfg->instance);
	} else {
		if (strcmp(obj->box_id, box_id) != 0 ||
		    strcmp(obj->instance, rt->cfg->instance) != 0)
			return box_error_set(err, BOX_E_DENIED, 0, "bundle %s "
			    "is not box %s of this bastion: left alone",
			    box_id, box_id);
		if (strcmp(runtime, "microvm") != 0)
			return box_error_set(err, BOX_E_DENIED, 0, "box %s was "
			    "made by %s, not microvm", box_id, runtime);
	}
	*exists = 1;
	snprintf(obj->ref, sizeof(obj->ref), "sshbox-%s", box_id);
	vm_state(rt, box_id, &s);
	/* A VM whose link is gone serves nobody: stopped. */
	obj->running = s.qemu > 0 && s.mux > 0;
	obj->pid = obj->running ? s.qemu : 0;
	if (st != NULL)
		*st = s;
	return 0;
}

/* Everything of the box: processes, cgroup, bundle, run directory. */
static int
vm_remove(struct box_runtime *rt, const char *box_id)
{
	char bundle[PATH_MAX], qemu[PATH_MAX], agent[PATH_MAX], mark[64];
	struct box_error e2;
	uid_t uid;

	vm_bundle(rt, box_id, bundle, sizeof(bundle));
	if (vm_ids(rt, &uid, qemu, sizeof(qemu), agent, sizeof(agent),
	    &e2) == 0) {
		snprintf(mark, sizeof(mark), VM_NAME_FMT, box_id);
		vm_kill(vm_read_pid(bundle, "mux.pid"), agent, uid, box_id);
		vm_kill(vm_read_pid(bundle, "qemu.pid"), qemu, uid, mark);
		if (vm_proc_alive(vm_read_pid(bundle, "qemu.pid")) &&
		    vm_proc_is(vm_read_pid(bundle, "qemu.pid"), qemu, uid,
		    mark))
			return -1;
	}
	/* And any QEMU of the box no pid file names. */
	vm_scan(rt, box_id, vm_scan_kill, NULL);
	vm_cgroup_kill(rt, box_id);
	vm_cgroup_remove(rt, box_id);
	box_rundir_remove(rt->cfg->instance, box_id);
	return box_oci_rm_tree(bundle);
}

/* ------------------------------------------------------------ create */

/* config.json: the labels, whole or not at all. */
static int
vm_write_labels(struct box_runtime *rt, const struct box_spec *spec,
    const char *bundle, const char *imgid, struct box_error *err)
{
	char path[PATH_MAX + 32], final[PATH_MAX + 32], deadline[32];
	json_object *o = json_object_new_object(), *ann =
	    json_object_new_object();
	const char *text;
	size_t len;
	int fd, ok = 0;

	snprintf(deadline, sizeof(deadline), "%lld",
	    (long long)spec->deadline);
	if (o == NULL || ann == NULL ||
	    box_jc_add(o, "ociVersion", json_object_new_string("1.0.2")) < 0 ||
	    box_jc_add(o, "annotations", json_object_get(ann)) < 0 ||
	    box_jc_add(ann, BOX_LABEL_BOX,
	    json_object_new_string(spec->box_id)) < 0 ||
	    box_jc_add(ann, BOX_LABEL_INSTANCE,
	    json_object_new_string(spec->instance)) < 0 ||
	    box_jc_add(ann, BOX_LABEL_DEADLINE,
	    json_object_new_string(deadline)) < 0 ||
	    box_jc_add(ann, BOX_LABEL_PROFILE,
	    json_object_new_string(spec->profile->name)) < 0 ||
	    box_jc_add(ann, "io.sshbox.runtime",
	    json_object_new_string("microvm")) < 0 ||
	    box_jc_add(ann, "io.sshbox.image",
	    json_object_new_string(imgid)) < 0) {
		json_object_put(o);
		json_object_put(ann);
		return box_error_set(err, BOX_E_INTERNAL, ENOMEM, "labels");
	}
	json_object_put(ann);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = text != NULL ? strlen(text) : 0;
	snprintf(path, sizeof(path), "%s/config.json.new", bundle);
	snprintf(final, sizeof(final), "%s/config.json", bundle);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	ok = fd >= 0 && text != NULL && write(fd, text, len) == (ssize_t)len;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	json_object_put(o);
	if (!ok || rename(path, final) < 0)
		return box_error_set(err, BOX_E_RUNTIME, errno, "%s", path);
	return 0;
}

/* Append a newc cpio record (header, name, data, padding) to fd. */
static int
cpio_put(int fd, const char *name, unsigned mode, const void *data,
    size_t len)
{
	static const char zero[4];
	char hdr[160];
	size_t nlen = strlen(name) + 1, pad;

	if (len > 0xffffffffUL || nlen > 1024 ||
	    snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08lX"
	    "%08X%08X%08X%08X%08lX%08X", 0u, mode, 0u, 0u, 1u, 0u,
	    (unsigned long)len, 0u, 0u, 0u, 0u, (unsigned long)nlen, 0u) != 110)
		return -1;
	if (write(fd, hdr, 110) != 110 ||
	    write(fd, name, nlen) != (ssize_t)nlen)
		return -1;
	pad = (4 - ((110 + nlen) & 3)) & 3;
	if (pad && write(fd, zero, pad) != (ssize_t)pad)
		return -1;
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		return -1;
	pad = (4 - (len & 3)) & 3;
	if (pad && write(fd, zero, pad) != (ssize_t)pad)
		return -1;
	return 0;
}

/* bundle/initrd: the store's initrd, then box-agent in a cpio of its own. */
static int
vm_initrd(const char *bundle, const char *base, const char *agent,
    struct box_error *err)
{
	char path[PATH_MAX + 16], *ag = NULL, *bs = NULL;
	size_t alen, blen;
	int fd, ok;

	if (box_read_file(base, 64 << 20, &bs, &blen, err) < 0)
		return box_error_wrap(err, "microVM initrd");
	if (box_read_file(agent, 16 << 20, &ag, &alen, err) < 0) {
		free(bs);
		return box_error_wrap(err, "box-agent");
	}
	snprintf(path, sizeof(path), "%s/initrd", bundle);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	ok = fd >= 0 && blen % 4 == 0 &&
	    write(fd, bs, blen) == (ssize_t)blen &&
	    cpio_put(fd, "box-agent", 0100755, ag, alen) == 0;
	free(ag);
	free(bs);
	/* The host's file-transfer tools, as the other runtimes bind them
	 * (rundir.h): the VM's init copies them to /.sshbox/tools. */
	{
		char tsrc[BOX_TOOLS_N][PATH_MAX], name[64], *t;
		const char *tdst[BOX_TOOLS_N];
		size_t tlen;
		int i, nt = box_tools(tsrc, tdst);

		if (ok && nt > 0)
			ok = cpio_put(fd, "tools", 040755, NULL, 0) == 0;
		for (i = 0; ok && i < nt; i++) {
			struct box_error e2;

			if (box_read_file(tsrc[i], 32 << 20, &t, &tlen,
			    &e2) < 0) {
				ok = 0;
				break;
			}
			snprintf(name, sizeof(name), "tools/%s", tdst[i]);
			ok = cpio_put(fd, name, 0100755, t, tlen) == 0;
			free(t);
		}
	}
	ok = ok && cpio_put(fd, "TRAILER!!!", 0, NULL, 0) == 0;
	if (fd >= 0 && close(fd) < 0)
		ok = 0;
	if (!ok)
		return box_error_set(err, BOX_E_RUNTIME, errno, "cannot write "
		    "the initrd of the box%s", blen % 4 ? " (the store's "
		    "initrd.img is not padded: rebuild it)" : "");
	(void)alen;
	return 0;
}

/* Run a program of root's to its end (qemu-img). */
/* The profile's capabilities as the kernel numbers them: a session in
 * the VM gets these and no others (box-agent --vm). */
static int
vm_caps(const struct box_profile *p, unsigned long long *mask,
    struct box_error *err)
{
	char name[48];
	cap_value_t v;
	size_t i, j;

	*mask = 0;
	for (i = 0; i < p->ncap_add && i < BOX_PROFILE_MAX_CAPS; i++) {
		snprintf(name, sizeof(name), "cap_%s", p->cap_add[i]);
		for (j = 0; name[j] != '\0'; j++)
			name[j] = (char)tolower((unsigned char)name[j]);
		if (cap_from_name(name, &v) < 0 || v < 0 || v > 63)
			return box_error_set(err, BOX_E_CONFIG, 0, "profile "
			    "%s: capability %s is not known here", p->name,
			    p->cap_add[i]);
		*mask |= 1ULL << v;
	}
	return 0;
}

static int
vm_run(const char *path, char *const argv[], struct box_error *err)
{
	char *const env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct box_spawn sp;

	memset(&sp, 0, sizeof(sp));
	sp.path = path;
	sp.argv = argv;
	sp.envp = env;
	sp.fds[0] = sp.fds[1] = sp.fds[2] = -1;
	sp.workdir = "/";
	sp.as_root = 1;
	if (box_spawn_run(&sp, err) < 0)
		return box_error_wrap(err, "%s", path);
	return 0;
}

/* The accelerator for profile p (microvm.h). */
static int
vm_accel(struct box_runtime *rt, const struct box_profile *p, char *out,
    size_t outsz, struct box_error *err)
{
	if (strcmp(p->accel, "tcg") == 0) {
		snprintf(out, outsz, "tcg");
		return 0;
	}
	if (strcmp(p->accel, "kvm") == 0) {
		if (faccessat(AT_FDCWD, "/dev/kvm", R_OK | W_OK, AT_EACCESS) < 0)
			return box_error_set(err, BOX_E_RUNTIME, errno, "profile "
			    "%s asks for KVM: /dev/kvm", p->name);
		snprintf(out, outsz, "kvm");
		return 0;
	}
	return box_vm_accel_auto(rt, out, outsz, NULL, 0, err);
}

/* A connection to one of QEMU's sockets in the bundle. */
static int
vm_connect(const char *bundle, const char *name, struct box_error *err)
{
	struct sockaddr_un sa;
	int s, i;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s",
	    bundle, name) >= sizeof(sa.sun_path))
		return box_error_set(err, BOX_E_CONFIG, 0, "path too long");
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return box_error_set(err, BOX_E_INTERNAL, errno, "socket");
	/* QEMU made it before it answered QMP; a few tries all the same. */
	for (i = 0; connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0; i++) {
		if (i == 100) {
			close(s);
			return box_error_set(err, BOX_E_RUNTIME, errno, "cannot "
			    "reach the box's %s", name);
		}
		usleep(20000);
	}
	return s;
}

/*
 * The link: box-agent --vm-host as the VM account, on the guest's port
 * (fd 3), the box's run directory (4) and the guest's console (5), of
 * which it keeps the last line for mux.log when the VM ends.
 */
static long
vm_mux_start(const char *box_id, const char *bundle, int dirfd, uid_t uid,
    gid_t gid, const char *agent, struct box_error *err)
{
	char *argv[] = { "box-agent", "--vm-host", "3", "4", "5",
	    (char *)box_id, NULL };
	char log[PATH_MAX + 16];
	int keep[3];
	long pid;

	if ((keep[0] = vm_connect(bundle, "vport.sock", err)) < 0)
		return -1;
	if ((keep[2] = vm_connect(bundle, "console.sock", err)) < 0) {
		close(keep[0]);
		return -1;
	}
	keep[1] = dirfd;
	snprintf(log, sizeof(log), "%s/mux.log", bundle);
	/* The link writes a line or two to its log. */
	pid = vm_start(agent, argv, uid, gid, NULL, keep, 3, log, 1 << 20,
	    err);
	close(keep[0]);
	close(keep[2]);
	return pid;
}

static int
vm_create(struct box_runtime *rt, const struct box_spec *spec, char *ref,
    size_t refsz, struct box_error *err)
{
	const struct box_profile *p = spec->profile;
	char bundle[PATH_MAX], run_dir[PATH_MAX], root[PATH_MAX];
	char disk[PATH_MAX], imgid[80], kernel[PATH_MAX], base[PATH_MAX];
	char qemu[PATH_MAX], img[PATH_MAX], agent[PATH_MAX];
	char path[PATH_MAX + 64], name[80], mem[32], smp[24], accel[8];
	char append[1024], drive[PATH_MAX + 64], vport[PATH_MAX + 64];
	char qmp[PATH_MAX + 64], chroot[PATH_MAX + 16], cpu[32];
	char procs[PATH_MAX], accelarg[64], runas[40], groups[400];
	char qemu_img[PATH_MAX], backing[PATH_MAX + 16], msg[200];
	char qlog[PATH_MAX + 16], console[PATH_MAX + 64];
	gid_t gids[32];
	size_t ngids = nitems(gids), i;
	uid_t vuid, uuid;
	gid_t vgid, ugid;
	long qpid, mpid, ncpu;
	unsigned long long caps;
	int64_t memory;
	int dfd = -1, n;
	struct pollfd unused;

	(void)unused;
	if (refsz > 0)
		ref[0] = '\0';
	if (spec == NULL || p == NULL || !vm_valid_box_id(spec->box_id) ||
	    spec->instance == NULL || rt->cfg == NULL ||
	    strcmp(spec->instance, rt->cfg->instance) != 0)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "invalid box specification");
	vm_bundle(rt, spec->box_id, bundle, sizeof(bundle));
	if (strcmp(p->network[0] ? p->network : "none", "none") != 0) {
		box_error_set(err, BOX_E_RUNTIME, 0, "profile %s: runtime "
		    "microvm gives boxes no network interface (network: "
		    "none); network %.40s needs the docker runtime", p->name,
		    p->network);
		box_oci_rm_tree(bundle);	/* reserved */
		return -1;
	}
	if (vm_account(rt, &vuid, &vgid, err) < 0 ||
	    vm_bin(qemu, sizeof(qemu), "qemu-system-x86_64", err) < 0 ||
	    vm_bin(qemu_img, sizeof(qemu_img), "qemu-img", err) < 0 ||
	    vm_kernel(rt, kernel, sizeof(kernel), base, sizeof(base), err) < 0 ||
	    vm_image_disk(rt, p->image, disk, sizeof(disk), img, sizeof(img),
	    imgid, sizeof(imgid), err) < 0 ||
	    box_oci_image_user(p, img, &uuid, &ugid, gids, &ngids, err) < 0 ||
	    vm_accel(rt, p, accel, sizeof(accel), err) < 0) {
		box_oci_rm_tree(bundle);
		return -1;
	}
	snprintf(agent, sizeof(agent), "%s", spec->agent_path);
	if (box_oci_bundle_dir(rt, spec->box_id, err) < 0)
		return -1;
	if ((dfd = box_rundir_make(spec->instance, spec->box_id, run_dir,
	    sizeof(run_dir), err)) < 0) {
		box_oci_rm_tree(bundle);
		return box_error_wrap(err, "cannot create box");
	}
	/* Labels first: from here on the bundle is a box to remove. */
	if (vm_write_labels(rt, spec, bundle, imgid, err) < 0 ||
	    vm_initrd(bundle, base, agent, err) < 0)
		goto fail;
	if ((size_t)snprintf(root, sizeof(root), "%s/empty", bundle) >=
	    sizeof(root) || mkdir(root, 0700) < 0) {
		box_error_set(err, BOX_E_RUNTIME, errno, "%s", root);
		goto fail;
	}
	/* The box's disk: its own layer over the image's. */
	{
		char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2",
		    "-F", "raw", "-b", backing, path, NULL };

		snprintf(backing, sizeof(backing), "%s", disk);
		snprintf(path, sizeof(path), "%s/disk.qcow2", bundle);
		if (vm_run(qemu_img, argv, err) < 0)
			goto fail;
	}
	memory = p->memory > 0 ? p->memory : 512LL << 20;
	if (memory < VM_MEMORY_MIN) {
		box_error_set(err, BOX_E_CONFIG, 0, "profile %s: a microVM "
		    "needs memory: 32m at least", p->name);
		goto fail;
	}
	if (vm_cgroup_make(rt, spec->box_id, memory + VM_KERNEL_RAM +
	    VM_OVERHEAD, procs, sizeof(procs), err) < 0)
		goto fail;
	ncpu = p->nano_cpus > 0 ? (long)((p->nano_cpus + 999999999) /
	    1000000000) : 1;
	if (ncpu > sysconf(_SC_NPROCESSORS_ONLN))
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 1)
		ncpu = 1;
	snprintf(name, sizeof(name), VM_NAME_FMT, spec->box_id);
	snprintf(mem, sizeof(mem), "%lldM", (long long)((memory +
	    VM_KERNEL_RAM + (1 << 20) - 1) >> 20));
	snprintf(smp, sizeof(smp), "%ld", ncpu);
	if (strcmp(accel, "kvm") == 0) {
		snprintf(accelarg, sizeof(accelarg), "kvm");
		snprintf(cpu, sizeof(cpu), "host");
	} else {
		snprintf(accelarg, sizeof(accelarg), "tcg,tb-size=%d",
		    VM_TB_MB);
		snprintf(cpu, sizeof(cpu), "max");
	}
	groups[0] = '\0';
	for (i = 0; i < ngids; i++) {
		size_t l = strlen(groups);

		snprintf(groups + l, sizeof(groups) - l, "%s%lu", i ? "," : "",
		    (unsigned long)gids[i]);
	}
	if (vm_caps(p, &caps, err) < 0)
		goto fail;
	n = snprintf(append, sizeof(append), "console=ttyS0 quiet panic=-1 "
	    "reboot=t%s sshbox.hostname=box-%.8s sshbox.uid=%lu sshbox.gid=%lu "
	    "sshbox.groups=%s sshbox.pids=%lld sshbox.mem=%lld sshbox.caps=%llx "
	    "sshbox.shm=%lld%s", box_vm_tsc_arg(accel), spec->box_id,
	    (unsigned long)uuid, (unsigned long)ugid, groups[0] ? groups : "",
	    (long long)(p->pids > 0 ? p->pids : 0), (long long)memory, caps,
	    (long long)(p->shm_size > 0 ? p->shm_size : 16LL << 20),
	    p->read_only ? " sshbox.ro=1" : "");
	if (p->disk > 0 && n > 0 && (size_t)n < sizeof(append))
		n += snprintf(append + n, sizeof(append) - (size_t)n,
		    " sshbox.disk=%lld", (long long)p->disk);
	for (i = 0; i < p->ntmpfs && n > 0 && (size_t)n < sizeof(append); i++)
		n += snprintf(append + n, sizeof(append) - (size_t)n,
		    "%s%s", i == 0 ? " sshbox.tmpfs=" : ",", p->tmpfs[i]);
	if (p->ntmpfs > 0 && n > 0 && (size_t)n < sizeof(append))
		n += snprintf(append + n, sizeof(append) - (size_t)n,
		    " sshbox.tmpfs_size=%lld", (long long)p->tmpfs_size);
	if (n < 0 || (size_t)n >= sizeof(append)) {
		box_error_set(err, BOX_E_CONFIG, 0, "profile %s: too many "
		    "settings for the kernel's command line", p->name);
		goto fail;
	}
	snprintf(drive, sizeof(drive), "id=disk,file=%s/disk.qcow2,"
	    "format=qcow2,if=none%s", bundle, p->read_only ? ",readonly=on" :
	    "");
	snprintf(vport, sizeof(vport), "socket,id=agent,path=%s/vport.sock,"
	    "server=on,wait=off", bundle);
	snprintf(qmp, sizeof(qmp), "unix:%s/qmp.sock,server=on,wait=off",
	    bundle);
	snprintf(console, sizeof(console), "socket,id=console,path=%s/"
	    "console.sock,server=on,wait=off", bundle);
	snprintf(chroot, sizeof(chroot), "%s", root);
	snprintf(runas, sizeof(runas), "%lu:%lu", (unsigned long)vuid,
	    (unsigned long)vgid);
	snprintf(path, sizeof(path), "%s/initrd", bundle);
	{
		char *argv[] = { "qemu-system-x86_64",
		    "-name", name,
		    "-M", "microvm,x-option-roms=off,rtc=on,acpi=on",
		    "-accel", accelarg, "-cpu", cpu, "-m", mem, "-smp", smp,
		    "-nodefaults", "-no-user-config", "-display", "none",
		    "-no-reboot",
		    "-kernel", kernel, "-initrd", path, "-append", append,
		    "-S", "-chardev", console, "-serial", "chardev:console",
		    "-drive", drive, "-device", "virtio-blk-device,drive=disk",
		    "-device", "virtio-serial-device,max_ports=2",
		    "-chardev", vport,
		    "-device", "virtserialport,chardev=agent,name=sshbox.agent",
		    "-qmp", qmp,
		    /* elevateprivileges stays allowed: -runas drops to
		     * the VM account after the filter is in place, and
		     * drops real, effective and saved ids, so that there
		     * is no root left to regain. */
		    "-sandbox", "on,obsolete=deny,spawn=deny,"
		    "resourcecontrol=deny",
		    "-runas", runas, "-chroot", chroot,
		    NULL };

		snprintf(qlog, sizeof(qlog), "%s/qemu.log", bundle);
		struct stat dst;
		int64_t fsize = 64LL << 20;

		/* The layer over a disk of N bytes holds at most N and its
		 * tables: QEMU writes no more than that to any file. */
		if (stat(disk, &dst) == 0)
			fsize += dst.st_size + dst.st_size / 8;
		if ((qpid = vm_start(qemu, argv, 0, 0, procs, NULL, 0, qlog,
		    fsize, err)) < 0 ||
		    vm_write_pid(bundle, "qemu.pid", qpid) < 0) {
			if (qpid > 0)
				kill((pid_t)qpid, SIGKILL);
			box_error_wrap(err, "cannot start the microVM");
			goto fail;
		}
	}
	/* QEMU is up once its monitor answers. */
	{
		int64_t end = box_now_ms() + box_oci_timeout_ms(rt);
		struct box_error e2;

		while (vm_qmp(rt, spec->box_id, "{\"execute\":\"query-status\"}",
		    NULL, &e2) < 0) {
			if (!vm_proc_alive(qpid) || box_now_ms() >= end) {
				vm_last_line(qlog, msg, sizeof(msg));
				box_error_set(err, BOX_E_RUNTIME, 0, "QEMU did not "
				    "start: %s", msg[0] ? msg : e2.msg);
				goto fail;
			}
			usleep(20000);
		}
	}
	if ((mpid = vm_mux_start(spec->box_id, bundle, dfd, vuid, vgid,
	    agent, err)) < 0 || vm_write_pid(bundle, "mux.pid", mpid) < 0) {
		box_error_wrap(err, "cannot reach the microVM");
		goto fail;
	}
	/* The guest starts (-S held it) once its link and console are
	 * connected: nothing it says is lost. */
	if (vm_qmp(rt, spec->box_id, "{\"execute\":\"cont\"}", NULL,
	    err) < 0)
		goto fail;
	/* The agent answers once the guest has booted; a VM that stops
	 * first is not waited for. */
	{
		int64_t end = box_now_ms() + box_oci_timeout_ms(rt);
		struct stat st;

		while ((fstatat(dfd, BOX_AGENT_SOCKET, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode)) &&
		    vm_proc_alive(qpid) && vm_proc_alive(mpid) &&
		    box_now_ms() < end)
			usleep(20000);
	}
	if (box_rundir_ready(dfd, 0, err) < 0) {
		vm_console_tail(rt, spec->box_id, msg, sizeof(msg));
		/* The link ends only when QEMU lets go of the port: its
		 * end is the machine's, even while QEMU is still exiting. */
		if (!vm_proc_alive(qpid) || !vm_proc_alive(mpid))
			box_error_set(err, BOX_E_RUNTIME, 0, "the microVM "
			    "stopped as it started%s%s", msg[0] ? ": " : "",
			    msg);
		else if (msg[0])
			box_error_set(err, BOX_E_RUNTIME, 0, "the microVM's "
			    "agent did not start: %s", msg);
		goto fail;
	}
	close(dfd);
	snprintf(ref, refsz, "sshbox-%s", spec->box_id);
	box_log(LOG_INFO, "microVM box %s: %s, %s of memory, %ld vCPU",
	    spec->box_id, accel, mem, ncpu);
	return 0;
 fail:
	if (dfd >= 0)
		close(dfd);
	vm_remove(rt, spec->box_id);
	return -1;
}

/* -------------------------------------------------------- operations */

static int
vm_destroy(struct box_runtime *rt, const char *box_id, const char *ref,
    struct box_error *err)
{
	struct box_runtime_obj obj;
	int exists;

	if (box_oci_check_ref(box_id, ref, err) < 0 ||
	    vm_find(rt, box_id, &exists, &obj, NULL, err) < 0)
		return -1;
	if (!exists) {
		/* No bundle; a QEMU of the box may still run. */
		vm_scan(rt, box_id, vm_scan_kill, NULL);
		return 0;
	}
	if (vm_remove(rt, box_id) < 0)
		return box_error_set(err, BOX_E_RUNTIME, 0, "cannot remove "
		    "box %s", box_id);
	return 0;
}

static int
vm_describe(struct box_runtime *rt, const char *ref, int *exists,
    struct box_runtime_obj *obj, struct box_error *err)
{
	*exists = 0;
	memset(obj, 0, sizeof(*obj));
	if (ref == NULL || strncmp(ref, "sshbox-", 7) != 0 ||
	    !vm_valid_box_id(ref + 7))
		return box_error_set(err, BOX_E_INPUT, 0, "invalid box "
		    "reference");
	return vm_find(rt, ref + 7, exists, obj, NULL, err);
}

static int
vm_inspect(struct box_runtime *rt, const char *ref, int *exists,
    int *running, struct box_error *err)
{
	struct box_runtime_obj obj;

	if (vm_describe(rt, ref, exists, &obj, err) < 0)
		return -1;
	*running = *exists && obj.running;
	return 0;
}

static int
vm_agent(struct box_runtime *rt, const char *box_id, const char *ref,
    struct box_agent_where *w, struct box_error *err)
{
	struct box_runtime_obj obj;
	struct vm_state s;
	int exists;

	w->dirfd = w->fd = -1;
	if (box_oci_check_ref(box_id, ref, err) < 0 ||
	    vm_find(rt, box_id, &exists, &obj, &s, err) < 0)
		return -1;
	if (!exists || !obj.running)
		return box_error_set(err, BOX_E_NOTFOUND, 0,
		    "box %s is not running", box_id);
	/* The socket's peer is the box's link process. */
	w->pid = s.mux;
	if ((w->dirfd = box_rundir_open(rt->cfg->instance, box_id, err)) < 0)
		return -1;
	snprintf(w->name, sizeof(w->name), "%s", BOX_AGENT_SOCKET);
	return 0;
}

static int
vm_paused(struct box_runtime *rt, const char *box_id, int *paused,
    struct box_error *err)
{
	json_object *r = NULL, *v;

	*paused = 0;
	if (vm_qmp(rt, box_id, "{\"execute\":\"query-status\"}", &r, err) < 0)
		return -1;
	if (r != NULL && json_object_object_get_ex(r, "running", &v) &&
	    json_object_is_type(v, json_type_boolean))
		*paused = !json_object_get_boolean(v);
	json_object_put(r);
	return 0;
}

static int
vm_pause(struct box_runtime *rt, const char *box_id, const char *ref,
    int on, struct box_error *err)
{
	struct box_runtime_obj obj;
	int exists, paused;

	if (box_oci_check_ref(box_id, ref, err) < 0 ||
	    vm_find(rt, box_id, &exists, &obj, NULL, err) < 0)
		return -1;
	if (!exists || !obj.running)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "box %s is gone",
		    box_id);
	if (vm_paused(rt, box_id, &paused, err) < 0)
		return -1;
	if (paused == on)
		return 0;
	return vm_qmp(rt, box_id, on ? "{\"execute\":\"stop\"}" :
	    "{\"execute\":\"cont\"}", NULL, err);
}

static int
vm_fresh(struct box_runtime *rt, const char *box_id, const char *ref,
    const char *profile, const char *image, int *fresh,
    struct box_error *err)
{
	struct box_runtime_obj obj;
	char root[PATH_MAX], disk[PATH_MAX], want[80], have[80];
	struct box_error e2;
	int exists;

	(void)profile;
	*fresh = 0;
	if (box_oci_check_ref(box_id, ref, err) < 0 ||
	    vm_find(rt, box_id, &exists, &obj, NULL, err) < 0)
		return -1;
	if (!exists)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "box %s is gone",
		    box_id);
	if (box_oci_box_image(rt, box_id, have, sizeof(have), err) < 0)
		return -1;
	if (vm_image_disk(rt, image, disk, sizeof(disk), root, sizeof(root),
	    want, sizeof(want), &e2) < 0)
		return 0;
	*fresh = strcmp(have, want) == 0;
	return 0;
}

static int
vm_image_present(struct box_runtime *rt, const char *image, int *present,
    struct box_error *err)
{
	char root[PATH_MAX], disk[PATH_MAX], id[80], k[PATH_MAX], i[PATH_MAX];
	struct box_error e2;

	*present = 0;
	if (box_oci_image_dir(image, root, sizeof(root), err) < 0)
		return -1;
	*present = vm_image_disk(rt, image, disk, sizeof(disk), root,
	    sizeof(root), id, sizeof(id), &e2) == 0 &&
	    vm_kernel(rt, k, sizeof(k), i, sizeof(i), &e2) == 0;
	return 0;
}

struct vm_orphans {
	const struct box_runtime *rt;
	struct box_runtime_obj *v;
	size_t	 n, cap;
	int	 failed;
};

static void
vm_orphan_add(void *arg, const char *box_id, long pid)
{
	struct vm_orphans *o = arg;
	char bundle[PATH_MAX];
	struct box_runtime_obj *nv;
	struct stat st;

	vm_bundle(o->rt, box_id, bundle, sizeof(bundle));
	if (lstat(bundle, &st) == 0 || errno != ENOENT)
		return;		/* listed with its bundle */
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 16;

		if (cap > 100000 || (nv = realloc(o->v, cap * sizeof(*nv))) ==
		    NULL) {
			o->failed = 1;
			return;
		}
		o->v = nv;
		o->cap = cap;
	}
	memset(&o->v[o->n], 0, sizeof(o->v[o->n]));
	snprintf(o->v[o->n].box_id, sizeof(o->v[o->n].box_id), "%s", box_id);
	snprintf(o->v[o->n].instance, sizeof(o->v[o->n].instance), "%s",
	    o->rt->cfg->instance);
	snprintf(o->v[o->n].ref, sizeof(o->v[o->n].ref), "sshbox-%s", box_id);
	o->v[o->n].running = 1;
	o->v[o->n].pid = pid;
	o->n++;
}

static int
vm_list(struct box_runtime *rt, const char *instance,
    struct box_runtime_obj **objs, size_t *nobjs, struct box_error *err)
{
	struct box_runtime_obj *v = NULL, *nv, obj;
	char dir[PATH_MAX], runtime[16], *slash;
	size_t n = 0, cap = 0;
	struct dirent *de;
	struct box_error e2;
	int exists;
	DIR *d;

	*objs = NULL;
	*nobjs = 0;
	if (rt->cfg == NULL || strcmp(instance, rt->cfg->instance) != 0)
		return box_error_set(err, BOX_E_INPUT, 0, "another instance");
	vm_bundle(rt, "0000000000000000", dir, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((d = opendir(dir)) == NULL && errno != ENOENT)
		return box_error_set(err, BOX_E_RUNTIME, errno, "%s", dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (!vm_valid_box_id(de->d_name))
			continue;
		/* Only ours: a bundle with labels of another runtime, or
		 * none (the OCI drivers list those), is not. */
		if (box_oci_bundle_labels(rt, de->d_name, &obj, runtime,
		    sizeof(runtime), &e2) < 0 || strcmp(runtime, "microvm"))
			continue;
		if (vm_find(rt, de->d_name, &exists, &obj, NULL, &e2) < 0 ||
		    !exists)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if (cap > 100000 ||
			    (nv = realloc(v, cap * sizeof(*v))) == NULL) {
				closedir(d);
				free(v);
				return box_error_set(err, BOX_E_INTERNAL,
				    ENOMEM, "list");
			}
			v = nv;
		}
		v[n++] = obj;
	}
	if (d != NULL)
		closedir(d);
	{
		/* QEMU processes of boxes whose bundle is gone. */
		struct vm_orphans o;

		memset(&o, 0, sizeof(o));
		o.rt = rt;
		o.v = v;
		o.n = n;
		o.cap = cap;
		vm_scan(rt, NULL, vm_orphan_add, &o);
		v = o.v;
		n = o.n;
		if (o.failed) {
			free(v);
			return box_error_set(err, BOX_E_INTERNAL, ENOMEM,
			    "list");
		}
	}
	*objs = v;
	*nobjs = n;
	return 0;
}

static void
vm_free(struct box_runtime *rt)
{
	(void)rt;
}

const struct box_runtime_ops box_microvm_ops = {
	.name = "microvm",
	.create = vm_create,
	.destroy = vm_destroy,
	.inspect = vm_inspect,
	.describe = vm_describe,
	.agent = vm_agent,
	.pause = vm_pause,
	.image_present = vm_image_present,
	.fresh = vm_fresh,
	.list = vm_list,
	.free = vm_free,
};

/* ----------------------------------------------------- accelerators */

const char *
box_vm_tsc_arg(const char *accel)
{
	static char buf[48];
	char line[256];
	long khz = 0;
	FILE *f;

	if (strcmp(accel, "tcg") != 0)
		return "";
	if ((f = fopen("/sys/devices/system/cpu/cpu0/tsc_freq_khz", "re")) !=
	    NULL) {
		if (fgets(line, sizeof(line), f) != NULL)
			khz = strtol(line, NULL, 10);
		fclose(f);
	}
	if (khz <= 0 && (f = fopen("/proc/cpuinfo", "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "cpu MHz", 7) == 0) {
				char *c = strchr(line, ':');

				if (c != NULL)
					khz = (long)(strtod(c + 1, NULL) * 1000);
				break;
			}
		fclose(f);
	}
	if (khz < 100000 || khz > 20000000)
		return "";
	snprintf(buf, sizeof(buf), " tsc_early_khz=%ld", khz);
	return buf;
}

/* Boot the store's kernel under KVM, bounded: does the guest's init run? */
static int
vm_probe_kvm(struct box_runtime *rt, char *why, size_t whysz)
{
	char kernel[PATH_MAX], initrd[PATH_MAX], qemu[PATH_MAX];
	char dir[PATH_MAX], con[PATH_MAX + 40], buf[4096];
	struct box_error e2;
	long pid;
	int i, fd, ok = 0;
	ssize_t n;

	if (vm_kernel(rt, kernel, sizeof(kernel), initrd, sizeof(initrd),
	    &e2) < 0 || vm_bin(qemu, sizeof(qemu), "qemu-system-x86_64",
	    &e2) < 0) {
		snprintf(why, whysz, "%s", e2.msg);
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s/.microvm-probe-%ld", OCI_DIR,
	    (long)getpid());
	box_oci_rm_tree(dir);
	if (mkdir(dir, 0700) < 0) {
		snprintf(why, whysz, "%s: %s", dir, strerror(errno));
		return 0;
	}
	snprintf(con, sizeof(con), "file,id=console,path=%s/console", dir);
	{
		char *argv[] = { "qemu-system-x86_64", "-M",
		    "microvm,x-option-roms=off,rtc=on,acpi=on", "-accel", "kvm",
		    "-cpu", "host", "-m", "256M", "-smp", "1", "-nodefaults",
		    "-no-user-config", "-display", "none", "-no-reboot",
		    "-kernel", kernel, "-initrd", initrd, "-append",
		    "console=ttyS0 quiet panic=-1 reboot=t sshbox.probe=1",
		    "-chardev", con, "-serial", "chardev:console", NULL };

		pid = vm_start(qemu, argv, 0, 0, NULL, NULL, 0, NULL, 1 << 20,
		    &e2);
	}
	for (i = 0; pid > 0 && i < VM_PROBE_SECONDS * 20 &&
	    vm_proc_alive(pid); i++)
		usleep(50000);
	if (pid > 0 && vm_proc_alive(pid)) {
		kill((pid_t)pid, SIGKILL);
		snprintf(why, whysz, "a KVM guest did not finish booting "
		    "within %d s here", VM_PROBE_SECONDS);
	} else {
		snprintf(con, sizeof(con), "%s/console", dir);
		if ((fd = open(con, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
			ok = strstr(buf, "sshbox-probe-ok") != NULL;
		}
		snprintf(why, whysz, ok ? "a KVM guest boots here" :
		    "a KVM guest did not boot here");
	}
	box_oci_rm_tree(dir);
	return ok;
}

int
box_vm_accel_auto(struct box_runtime *rt, char *out, size_t outsz,
    char *why, size_t whysz, struct box_error *err)
{
	char path[PATH_MAX], kver[PATH_MAX], line[300], reason[200];
	char *buf = NULL, *kb = NULL;
	size_t len, klen = 0;
	struct box_error e2;
	int kvm, fd;

	(void)err;
	if (why == NULL) {
		why = reason;
		whysz = sizeof(reason);
	}
	if (faccessat(AT_FDCWD, "/dev/kvm", R_OK | W_OK, AT_EACCESS) < 0) {
		snprintf(out, outsz, "tcg");
		snprintf(why, whysz, "no usable /dev/kvm");
		return 0;
	}
	/* Remembered for this kernel. */
	if ((size_t)snprintf(kver, sizeof(kver), "%s/.microvm/kernel",
	    rt->cfg->oci_images) >= sizeof(kver) ||
	    box_read_file(kver, 200, &kb, &klen, &e2) < 0)
		klen = 0;
	while (klen > 0 && (kb[klen - 1] == '\n' || kb[klen - 1] == ' '))
		klen--;
	snprintf(path, sizeof(path), "%s/.microvm-accel", OCI_DIR);
	if (box_read_root_only(path, 0, 300, &buf, &len, &e2) == 0) {
		char k[200] = "", a[8] = "";

		snprintf(line, sizeof(line), "%.*s", (int)len, buf);
		free(buf);
		if (sscanf(line, "%7s %199s", a, k) == 2 &&
		    (klen == 0 ? strcmp(k, "-") == 0 : strlen(k) == klen &&
		    memcmp(k, kb, klen) == 0) &&
		    (strcmp(a, "kvm") == 0 || strcmp(a, "tcg") == 0)) {
			free(kb);
			snprintf(out, outsz, "%s", a);
			snprintf(why, whysz, "%s", strcmp(a, "kvm") == 0 ?
			    "a KVM guest boots here (probed)" :
			    "a KVM guest does not boot here (probed): "
			    "emulation");
			return 0;
		}
	}
	kvm = vm_probe_kvm(rt, why, whysz);
	snprintf(out, outsz, "%s", kvm ? "kvm" : "tcg");
	box_log(kvm ? LOG_INFO : LOG_WARNING, "microvm: accel auto: %s: %s",
	    why, kvm ? "using KVM" : "using TCG (emulation)");
	if (!kvm) {
		size_t l = strlen(why);

		snprintf(why + l, whysz - l, ": emulation");
	}
	if ((fd = box_open_dir_nofollow(OCI_DIR, 1, 0700, &e2)) >= 0) {
		char tmp[PATH_MAX + 8];
		int n;

		close(fd);
		snprintf(tmp, sizeof(tmp), "%s.new", path);
		unlink(tmp);
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600)) >= 0) {
			n = klen > 0 ? dprintf(fd, "%s %.*s\n", out,
			    (int)klen, kb) : dprintf(fd, "%s -\n", out);
			if (close(fd) == 0 && n > 0)
				rename(tmp, path);
			else
				unlink(tmp);
		}
	}
	free(kb);
	return 0;
}
