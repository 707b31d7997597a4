/*
 * Fuzz target: the filter of guest terminal output on its way to an
 * admin's terminal (lib/session/termfilter.c).  Checks that every call
 * stays within BOX_TERMFILTER_OUT, that byte by byte gives what the whole
 * gives, that the filter is idempotent, and that the output is valid
 * UTF-8 with no C1 control and no ENQ, in which each ESC starts a whole
 * ESC or CSI sequence, never a string (OSC, DCS, SOS, PM, APC).
 */
#include <stdlib.h>
#include <string.h>

#include "session/termfilter.h"
#include "fuzz.h"

static size_t
filter(const uint8_t *in, size_t n, int bytewise, uint8_t *out)
{
	struct box_termfilter tf;
	size_t i, w = 0, k;

	box_termfilter_init(&tf);
	if (bytewise) {
		for (i = 0; i < n; i++) {
			k = box_termfilter_run(&tf, in + i, 1, out + w);
			if (k > BOX_TERMFILTER_OUT(1))
				abort();
			w += k;
		}
	} else if ((w = box_termfilter_run(&tf, in, n, out)) >
	    BOX_TERMFILTER_OUT(n))
		abort();
	if ((k = box_termfilter_finish(&tf, out + w)) > BOX_TERMFILTER_OUT(0))
		abort();
	return w + k;
}

/* Length of the whole ESC or CSI sequence at p, else 0. */
static size_t
seq_len(const uint8_t *p, size_t n)
{
	size_t i = 1;

	if (n > 1 && p[1] == '[') {
		for (i = 2; i < n && p[i] >= 0x30 && p[i] <= 0x3f; i++)
			;
		for (; i < n && p[i] >= 0x20 && p[i] <= 0x2f; i++)
			;
		return i < n && p[i] >= 0x40 && p[i] <= 0x7e ? i + 1 : 0;
	}
	for (; i < n && p[i] >= 0x20 && p[i] <= 0x2f; i++)
		;
	if (i == n || p[i] < 0x30 || p[i] > 0x7e ||
	    (i == 1 && memchr("]PX^_", p[i], 5) != NULL))
		return 0;
	return i + 1;
}

/* Valid UTF-8, no C1 (U+0080 to U+009F), no ENQ, whole sequences only. */
static void
check(const uint8_t *p, size_t n)
{
	size_t i, k, j;

	for (i = 0; i < n; i++) {
		if (p[i] == 0x05)
			abort();
		if (p[i] == 0x1b) {
			if ((k = seq_len(p + i, n - i)) == 0)
				abort();
			i += k - 1;
			continue;
		}
		if (p[i] < 0x80)
			continue;
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			k = 1;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			k = 2;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			k = 3;
		else
			abort();
		if (i + k >= n)
			abort();
		if ((p[i] == 0xc2 && p[i + 1] < 0xa0) ||
		    (p[i] == 0xe0 && p[i + 1] < 0xa0) ||
		    (p[i] == 0xed && p[i + 1] > 0x9f) ||
		    (p[i] == 0xf0 && p[i + 1] < 0x90) ||
		    (p[i] == 0xf4 && p[i + 1] > 0x8f))
			abort();
		for (j = 1; j <= k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				abort();
		i += k;
	}
}

FUZZ_ENTRY(termfilter)
{
	uint8_t *a, *b, *c;
	size_t wa, wb, wc;

	/* Room for the whole output plus a final U+FFFD, at either split. */
	a = malloc(BOX_TERMFILTER_OUT(size) + BOX_TERMFILTER_OUT(0));
	b = malloc(3 * size + 3);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return 0;
	}
	wa = filter(data, size, 0, a);
	wb = filter(data, size, 1, b);
	if (wa != wb || memcmp(a, b, wa) != 0)
		abort();
	check(a, wa);
	c = malloc(BOX_TERMFILTER_OUT(wa) + BOX_TERMFILTER_OUT(0));
	if (c != NULL) {
		wc = filter(a, wa, 0, c);
		if (wc != wa || memcmp(a, c, wa) != 0)
			abort();
		free(c);
	}
	free(a);
	free(b);
	return 0;
}
