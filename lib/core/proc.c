/*
 * /proc/PID/stat (proc.h).  libc only.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/proc.h"

int
box_proc_stat(long pid, struct box_proc_stat *ps)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, field;

	memset(ps, 0, sizeof(*ps));
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) S ppid pgrp session ...": from the last ')', the
	 * state is field 3; the others are counted by spaces. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' || p[2] == '\0')
		return -1;
	ps->state = p[2];
	for (field = 2; *p != '\0' && field < 22; p++) {
		if (*p != ' ')
			continue;
		if (++field == 6)
			ps->session = strtoll(p + 1, NULL, 10);
	}
	if (field != 22)
		return -1;
	ps->start = strtoll(p, NULL, 10);
	return 0;
}
