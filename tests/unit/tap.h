/*
 * A minimal TAP producer for the libbox unit tests, read by automake's
 * tap-driver.sh.  Each check prints "ok N - name" or "not ok N - name".
 */
#ifndef BOX_TAP_H
#define BOX_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int
tap_ok(int cond, const char *file, int line, const char *name)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, name)	tap_ok(!!(cond), __FILE__, __LINE__, (name))
#define is_int(a, b, name) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (!tap_ok(_a == _b, __FILE__, __LINE__, (name)))		\
		printf("#   got %lld, expected %lld\n", _a, _b);		\
} while (0)
#define is_str(a, b, name) do {						\
	const char *_a = (a), *_b = (b);				\
	int _c = _a != NULL && _b != NULL && strcmp(_a, _b) == 0;	\
	if (!tap_ok(_c, __FILE__, __LINE__, (name)))			\
		printf("#   got \"%s\", expected \"%s\"\n",		\
		    _a ? _a : "(null)", _b ? _b : "(null)");		\
} while (0)
/* n checks whose capability is absent here, with the reason. */
#define skip(n, why) do {						\
	int _i;								\
	for (_i = 0; _i < (n); _i++)					\
		printf("ok %d - # SKIP %s\n", ++tap_n, (why));		\
} while (0)
#define diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed == 0 ? 0 : 1;
}

#endif
