/*
 * Small helpers shared by every module: bounded number, duration and size
 * parsing, base64, randomness, careful file reading and cleanup attributes.
 */
#ifndef BOX_UTIL_H
#define BOX_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/error.h"

void	box_freep(void *p);
void	box_closep(int *fd);
#define _cleanup_free_	__attribute__((cleanup(box_freep)))
#define _cleanup_close_	__attribute__((cleanup(box_closep)))

/*
 * Parse a decimal integer in [min, max] in the style of strtonum(3): no
 * sign unless min < 0, no trailing garbage, no empty string.  0 or -1.
 */
int	box_parse_int(const char *s, long long min, long long max,
	    long long *out, struct box_error *err);

/*
 * Parse a duration: one or more <number><unit> with unit s, m, h or d
 * ("90s", "30m", "1h30m"); a bare number is seconds.  The result is in
 * seconds, at most 366 days.  0 or -1.
 */
int	box_parse_duration(const char *s, int64_t *out, struct box_error *err);

/* Format seconds as a short duration ("1h30m", "45s") into buf. */
char	*box_format_duration(int64_t secs, char *buf, size_t bufsz);

/*
 * Parse a size with an optional binary suffix k, m, g (case-insensitive,
 * optional trailing "b" or "i"): "512m", "1g", "4096".  0 or -1.
 */
int	box_parse_size(const char *s, int64_t *out, struct box_error *err);

/*
 * Base64 (RFC 4648).  Encoders write a NUL-terminated string and return its
 * length, or -1 when outsz is too small.  Decoders are strict (no spaces,
 * no stray characters, canonical padding only where the variant has it) and
 * return the decoded length or -1.
 */
long	box_b64_encode(const uint8_t *in, size_t len, char *out, size_t outsz,
	    int url, int pad);
long	box_b64_decode(const char *in, size_t len, uint8_t *out,
	    size_t outsz, int url);

/* Fill buf with n cryptographically random bytes.  0 or -1. */
int	box_random(void *buf, size_t n, struct box_error *err);

/* Write 2*n lowercase hex digits of n random bytes and a NUL into out. */
int	box_random_hex(char *out, size_t n, struct box_error *err);

/*
 * Read a whole regular file of at most maxlen bytes, opened with
 * O_NOFOLLOW|O_CLOEXEC.  *out is NUL-terminated and must be freed by the
 * caller.  0 or -1.
 */
int	box_read_file(const char *path, size_t maxlen, char **out,
	    size_t *outlen, struct box_error *err);

/* Current time in seconds since the epoch (wall clock). */
int64_t	box_now(void);

/* Milliseconds of a monotonic clock, for timeouts. */
int64_t	box_now_ms(void);

/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
char	*box_format_time(int64_t t, char *buf, size_t bufsz);

/* Bounded string copy; returns -1 if src did not fit (dst still ends in NUL). */
int	box_strlcpy(char *dst, const char *src, size_t dstsz);

/*
 * Whether only root can change what path names, as sshd checks an
 * AuthorizedKeysCommand: path (resolved) and every directory above it
 * root-owned and not group- or world-writable; with sticky_ok, sticky
 * directories above it (/tmp) are allowed.  0, or -1 with BOX_E_CONFIG
 * naming the first offending component and the fix.
 */
int	box_path_root_only(const char *path, int sticky_ok,
	    struct box_error *err);

/*
 * box_read_file() for a file only root can change, race-free: path must be
 * absolute without "." or ".." or symbolic links; each directory from "/"
 * down is opened without following links and checked on its descriptor
 * (root-owned, not group- or world-writable, sticky allowed with
 * sticky_ok, not on /proc, /sys, FUSE or another pseudo file system), and
 * the file read is the one checked.  0 or -1 (BOX_E_CONFIG naming the offending component and the fix;
 * BOX_E_NOTFOUND).
 */
int	box_read_root_only(const char *path, int sticky_ok, size_t maxlen,
	    char **out, size_t *outlen, struct box_error *err);

/*
 * Open the directory at path (absolute, no "." or "..") without following
 * a link at any step, from "/" down; with create, make missing steps
 * (mode 0755, the last one mode) on the way.  For root working near
 * directories another account owns: what is opened is what the walk
 * checked, and fchown/fchmod on the result cannot be led elsewhere.
 * Returns the descriptor (O_DIRECTORY, close-on-exec) or -1
 * (BOX_E_NOTFOUND, or BOX_E_CONFIG naming the component).
 */
int	box_open_dir_nofollow(const char *path, int create, mode_t mode,
	    struct box_error *err);

/*
 * A directory of this account's alone (recordings, watch sockets): with
 * create, made mode 0700 when missing; opened without following a link,
 * and refused unless it belongs to the effective user and is closed to
 * everyone else.  The descriptor (close-on-exec), or -1: BOX_E_NOTFOUND
 * when it does not exist, else BOX_E_CONFIG; the message does not name
 * the path (callers wrap it).
 */
int	box_private_dir(const char *path, int create, struct box_error *err);

/* 1 if s is a name of [A-Za-z0-9._-], 1..maxlen long, not starting with '.'. */
int	box_valid_name(const char *s, size_t maxlen);

#endif
