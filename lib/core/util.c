/* Shared helpers: parsing numbers, durations and sizes, base64, files. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include <openssl/rand.h>

#include "core/util.h"

void
box_freep(void *p)
{
	free(*(void **)p);
}

void
box_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

int
box_parse_int(const char *s, long long min, long long max, long long *out,
    struct box_error *err)
{
	long long v;
	char *end;

	if (s == NULL || *s == '\0')
		return box_error_set(err, BOX_E_INPUT, 0, "empty number");
	if (!isdigit((unsigned char)s[0]) && !(min < 0 && s[0] == '-'))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "not a number: \"%.40s\"", s);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return box_error_set(err, BOX_E_INPUT, 0,
		    "not a number: \"%.40s\"", s);
	if (errno == ERANGE || v < min || v > max)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "number out of range [%lld, %lld]: %.40s", min, max, s);
	*out = v;
	return 0;
}

#define DURATION_MAX (366LL * 86400)

int
box_parse_duration(const char *s, int64_t *out, struct box_error *err)
{
	long long total = 0, v;
	const char *p = s;
	int units = 0;

	if (s == NULL || *s == '\0')
		return box_error_set(err, BOX_E_INPUT, 0, "empty duration");
	while (*p != '\0') {
		long long mult;

		if (!isdigit((unsigned char)*p))
			goto bad;
		v = 0;
		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p - '0');
			if (v > DURATION_MAX)
				goto range;
			p++;
		}
		switch (*p) {
		case 's': mult = 1; p++; break;
		case 'm': mult = 60; p++; break;
		case 'h': mult = 3600; p++; break;
		case 'd': mult = 86400; p++; break;
		case '\0':
			/* "30" alone could mean anything: only 0 may go
			 * without a unit. */
			if (units > 0)
				goto bad;
			if (v != 0)
				return box_error_set(err, BOX_E_INPUT, 0,
				    "\"%.20s\" needs a unit: %.20ss, %.20sm, "
				    "%.20sh or %.20sd", s, s, s, s, s);
			mult = 1;
			break;
		default:
			goto bad;
		}
		units++;
		total += v * mult;
		if (total > DURATION_MAX)
			goto range;
	}
	*out = total;
	return 0;
bad:
	return box_error_set(err, BOX_E_INPUT, 0,
	    "bad duration \"%.40s\" (use e.g. 90s, 30m, 2h, 1h30m)", s);
range:
	return box_error_set(err, BOX_E_INPUT, 0,
	    "duration too long: \"%.40s\" (at most 366d)", s);
}

char *
box_format_duration(int64_t secs, char *buf, size_t bufsz)
{
	int64_t d = secs / 86400, h = (secs % 86400) / 3600;
	int64_t m = (secs % 3600) / 60, s = secs % 60;
	size_t o = 0;

	buf[0] = '\0';
	if (secs <= 0) {
		snprintf(buf, bufsz, "0s");
		return buf;
	}
#define PART(val, unit) do {						\
	if ((val) > 0 && o < bufsz)					\
		o += snprintf(buf + o, bufsz - o, "%lld%c",		\
		    (long long)(val), unit);				\
} while (0)
	PART(d, 'd');
	PART(h, 'h');
	PART(m, 'm');
	PART(s, 's');
#undef PART
	return buf;
}

int
box_parse_size(const char *s, int64_t *out, struct box_error *err)
{
	long long v = 0;
	const char *p = s;
	int64_t mult = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		goto bad;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p - '0');
		if (v > (1LL << 50))
			goto bad;
		p++;
	}
	switch (tolower((unsigned char)*p)) {
	case '\0': break;
	case 'k': mult = 1LL << 10; p++; break;
	case 'm': mult = 1LL << 20; p++; break;
	case 'g': mult = 1LL << 30; p++; break;
	default: goto bad;
	}
	if (mult > 1 && (*p == 'i' || *p == 'I'))
		p++;
	if (mult > 1 && (*p == 'b' || *p == 'B'))
		p++;
	if (*p != '\0')
		goto bad;
	if (v > INT64_MAX / mult)
		goto bad;
	*out = v * mult;
	return 0;
bad:
	return box_error_set(err, BOX_E_INPUT, 0,
	    "bad size \"%.40s\" (use e.g. 512m, 1g)", s ? s : "");
}

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

long
box_b64_encode(const uint8_t *in, size_t len, char *out, size_t outsz,
    int url, int pad)
{
	const char *tab = url ? b64url : b64std;
	size_t i, o = 0, need;

	need = pad ? ((len + 2) / 3) * 4 : (len * 4 + 2) / 3;
	if (need + 1 > outsz)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return (long)o;
}

static int
b64val(int c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

long
box_b64_decode(const char *in, size_t len, uint8_t *out, size_t outsz,
    int url)
{
	size_t i, o = 0, npad = 0, rem;
	uint32_t acc = 0;
	int bits = 0, v;

	if (!url) {
		/* Standard base64 must be padded to a multiple of 4. */
		if (len % 4 != 0)
			return -1;
		while (npad < 2 && len > 0 && in[len - 1] == '=') {
			len--;
			npad++;
		}
		if (len % 4 == 1 || (npad > 0 && (len + npad) % 4 != 0))
			return -1;
	}
	rem = len % 4;
	if (rem == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64val((unsigned char)in[i], url)) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Leftover bits must be zero for a canonical encoding. */
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	if (!url && npad != (rem == 0 ? 0 : 4 - rem))
		return -1;
	return (long)o;
}

int
box_random(void *buf, size_t n, struct box_error *err)
{
	if (RAND_bytes(buf, (int)n) != 1)
		return box_error_set(err, BOX_E_INTERNAL, 0,
		    "cannot get random bytes");
	return 0;
}

int
box_random_hex(char *out, size_t n, struct box_error *err)
{
	uint8_t buf[64];
	size_t i;

	if (n > sizeof(buf))
		return box_error_set(err, BOX_E_INTERNAL, 0, "hex too long");
	if (box_random(buf, n, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", buf[i]);
	return 0;
}

/* Read all of fd (a regular file of at most maxlen bytes) into *out. */
static int
read_fd(int fd, const char *path, size_t maxlen, char **out, size_t *outlen,
    struct box_error *err)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return box_error_set(err, BOX_E_INPUT, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return box_error_set(err, BOX_E_INPUT, 0,
		    "%s: not a regular file", path);
	if ((size_t)st.st_size > maxlen)
		return box_error_set(err, BOX_E_INPUT, 0,
		    "%s: file too large (more than %zu bytes)", path, maxlen);
	if ((buf = malloc(maxlen + 1)) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, errno, "malloc");
	for (;;) {
		n = read(fd, buf + len, maxlen + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return box_error_set(err, BOX_E_INPUT, errno, "%s", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > maxlen) {
			free(buf);
			return box_error_set(err, BOX_E_INPUT, 0,
			    "%s: file too large (more than %zu bytes)", path,
			    maxlen);
		}
	}
	buf[len] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = len;
	return 0;
}

int
box_read_file(const char *path, size_t maxlen, char **out, size_t *outlen,
    struct box_error *err)
{
	_cleanup_close_ int fd = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (fd < 0)
		return box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_INPUT, errno, "%s", path);
	return read_fd(fd, path, maxlen, out, outlen, err);
}

/*
 * File systems whose root-owned files hold what others chose (a process's
 * name in /proc/PID/comm) or whose owners are claims (FUSE).
 */
static int
pseudo_fs(long type)
{
	static const long magic[] = {
		0x9fa0,		/* proc */
		0x62656572,	/* sysfs */
		0x65735546,	/* fuse */
		0x65735543,	/* fusectl */
		0x27e0eb,	/* cgroup */
		0x63677270,	/* cgroup2 */
		0x64626720,	/* debugfs */
		0x74726163,	/* tracefs */
		0x73636673,	/* securityfs */
		0x62656570,	/* configfs */
		0x1cd1,		/* devpts */
		(long)0xcafe4a11,	/* bpf */
		(long)0xde5e81e4,	/* efivarfs */
		0x6165676c,	/* pstore */
		0x42494e4d,	/* binfmt_misc */
		0x19800202,	/* mqueue */
		0x50495045,	/* pipefs */
		0x534f434b,	/* sockfs */
	};
	size_t i;

	for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if (type == magic[i])
			return 1;
	return 0;
}

/* One component of box_read_root_only's walk: fd is what shown names. */
static int
root_only_fd(int fd, const char *shown, int last, int sticky_ok,
    struct box_error *err)
{
	struct statfs sf;
	struct stat st;

	if (fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0)
		return box_error_set(err, BOX_E_CONFIG, errno, "%.300s", shown);
	if (pseudo_fs((long)sf.f_type))
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "%.300s is on a pseudo file system (not allowed here)",
		    shown);
	if (st.st_uid != 0)
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "%.200s is not owned by root (chown root %.200s)", shown,
		    shown);
	if ((st.st_mode & 022) != 0 && (last || !sticky_ok ||
	    (st.st_mode & S_ISVTX) == 0))
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "%.200s is group- or world-writable (chmod go-w %.200s)",
		    shown, shown);
	return 0;
}

int
box_read_root_only(const char *path, int sticky_ok, size_t maxlen,
    char **out, size_t *outlen, struct box_error *err)
{
	char buf[PATH_MAX], *comp, *next;
	struct stat st;
	int dfd, fd, last, rc;

	if (path[0] != '/' || strlen(path) >= sizeof(buf))
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "%.300s: not an absolute path", path);
	memcpy(buf, path, strlen(path) + 1);
	if ((dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return box_error_set(err, BOX_E_CONFIG, errno, "/");
	if (root_only_fd(dfd, "/", 0, sticky_ok, err) < 0)
		goto fail;
	comp = buf + 1;
	for (;;) {
		while (*comp == '/')
			comp++;
		next = strchr(comp, '/');
		last = next == NULL;
		if (!last)
			*next = '\0';
		if (*comp == '\0' || strcmp(comp, ".") == 0 ||
		    strcmp(comp, "..") == 0) {
			box_error_set(err, BOX_E_CONFIG, 0, "%.300s: not a "
			    "plain path to a file", path);
			goto fail;
		}
		/* What is checked is what is read: every step is opened
		 * without following links, and checked on its descriptor. */
		if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)) {
			box_error_set(err, BOX_E_CONFIG, 0, "%.300s is a "
			    "symbolic link (not allowed here)", buf);
			goto fail;
		}
		fd = openat(dfd, comp, last ? O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC | O_NOCTTY | O_NONBLOCK :
		    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
			    BOX_E_CONFIG, errno, "%.300s", buf);
			goto fail;
		}
		close(dfd);
		dfd = fd;
		if (root_only_fd(dfd, buf, last, sticky_ok, err) < 0)
			goto fail;
		if (last)
			break;
		*next = '/';
		comp = next + 1;
	}
	rc = read_fd(dfd, path, maxlen, out, outlen, err);
	close(dfd);
	return rc;
 fail:
	close(dfd);
	return -1;
}

int
box_open_dir_nofollow(const char *path, int create, mode_t mode,
    struct box_error *err)
{
	char buf[PATH_MAX], *comp, *next;
	int dfd, fd, last;

	if (path[0] != '/' || strlen(path) >= sizeof(buf))
		return box_error_set(err, BOX_E_CONFIG, 0,
		    "%.300s: not an absolute path", path);
	memcpy(buf, path, strlen(path) + 1);
	if ((dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return box_error_set(err, BOX_E_CONFIG, errno, "/");
	for (comp = buf + 1;; comp = next + 1) {
		while (*comp == '/')
			comp++;
		if (*comp == '\0')		/* "/" itself, or a trailing "/" */
			return dfd;
		next = strchr(comp, '/');
		last = next == NULL || next[strspn(next, "/")] == '\0';
		if (next != NULL)
			*next = '\0';
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			close(dfd);
			return box_error_set(err, BOX_E_CONFIG, 0,
			    "%.300s: not a plain path", path);
		}
		if (create && mkdirat(dfd, comp, last ? mode : 0755) < 0 &&
		    errno != EEXIST) {
			box_error_set(err, BOX_E_CONFIG, errno,
			    "cannot create %.300s", buf);
			close(dfd);
			return -1;
		}
		fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0) {
			int e = errno;

			close(dfd);
			return box_error_set(err, e == ENOENT ? BOX_E_NOTFOUND :
			    BOX_E_CONFIG, e, e == ELOOP || e == ENOTDIR ?
			    "%.300s is not a directory (or is a link)" :
			    "%.300s", buf);
		}
		close(dfd);
		dfd = fd;
		if (last)
			return dfd;
		*next = '/';
	}
}

int
box_private_dir(const char *path, int create, struct box_error *err)
{
	struct stat sb;
	int fd;

	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return box_error_set(err, BOX_E_CONFIG, errno,
		    "cannot be made");
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return box_error_set(err, errno == ENOENT ? BOX_E_NOTFOUND :
		    BOX_E_CONFIG, errno == ELOOP || errno == ENOTDIR ? 0 :
		    errno, errno == ELOOP || errno == ENOTDIR ? "is a link or "
		    "not a directory" : "cannot be opened");
	if (fstat(fd, &sb) < 0 || sb.st_uid != geteuid() ||
	    (sb.st_mode & 077) != 0) {
		close(fd);
		return box_error_set(err, BOX_E_CONFIG, 0, "must belong to "
		    "this account and be closed to others (mode 0700)");
	}
	return fd;
}

int64_t
box_now(void)
{
	return (int64_t)time(NULL);
}

int64_t
box_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
box_format_time(int64_t t, char *buf, size_t bufsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, bufsz, "?");
	return buf;
}

int
box_strlcpy(char *dst, const char *src, size_t dstsz)
{
	size_t n = strlen(src);

	if (dstsz == 0)
		return -1;
	if (n >= dstsz) {
		memcpy(dst, src, dstsz - 1);
		dst[dstsz - 1] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

int
box_valid_name(const char *s, size_t maxlen)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '.' || s[0] == '-')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= maxlen)
			return 0;
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return 0;
	}
	return 1;
}

int
box_path_root_only(const char *path, int sticky_ok, struct box_error *err)
{
	char buf[PATH_MAX], *p;
	struct stat st;
	int top = 1;

	if (realpath(path, buf) == NULL)
		return box_error_set(err, BOX_E_CONFIG, errno, "%.300s", path);
	for (;;) {
		if (stat(buf, &st) < 0)
			return box_error_set(err, BOX_E_CONFIG, errno,
			    "%.300s", buf);
		if (st.st_uid != 0)
			return box_error_set(err, BOX_E_CONFIG, 0,
			    "%.200s is not owned by root (chown root %.200s)",
			    buf, buf);
		if ((st.st_mode & 022) != 0 && (top || !sticky_ok ||
		    (st.st_mode & S_ISVTX) == 0))
			return box_error_set(err, BOX_E_CONFIG, 0,
			    "%.200s is group- or world-writable "
			    "(chmod go-w %.200s)", buf, buf);
		if (strcmp(buf, "/") == 0)
			return 0;
		top = 0;
		if ((p = strrchr(buf, '/')) == buf)
			p[1] = '\0';
		else
			*p = '\0';
	}
}
