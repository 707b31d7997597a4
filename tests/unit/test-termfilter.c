/* Unit tests for lib/session/termfilter.c: guest output made safe to show. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/termfilter.h"
#include "tap.h"

#define FFFD	"\xef\xbf\xbd"

static int bound_broken;	/* a call wrote more than it said it might */

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n)) == NULL)
		abort();
	return p;
}

/* One call into a buffer of exactly the documented size (ASan sees more). */
static size_t
run(struct box_termfilter *tf, const void *in, size_t n, unsigned char *out)
{
	unsigned char *buf = xmalloc(BOX_TERMFILTER_OUT(n));
	size_t w;

	w = box_termfilter_run(tf, in, n, buf);
	if (w > BOX_TERMFILTER_OUT(n))
		bound_broken = 1;
	memcpy(out, buf, w);
	free(buf);
	return w;
}

static size_t
finish(struct box_termfilter *tf, unsigned char *out)
{
	unsigned char buf[BOX_TERMFILTER_OUT(0)];
	size_t w;

	w = box_termfilter_finish(tf, buf);
	if (w > BOX_TERMFILTER_OUT(0))
		bound_broken = 1;
	memcpy(out, buf, w);
	return w;
}

/*
 * Filter in cut into pieces: step 0 whole, 1 byte by byte, else pieces of
 * pseudo-random lengths below step.  out must hold 3 * n + 3 bytes.
 */
static size_t
filter(const void *in, size_t n, size_t step, uint32_t seed,
    unsigned char *out)
{
	const unsigned char *p = in;
	struct box_termfilter tf;
	size_t i = 0, k, w = 0;

	box_termfilter_init(&tf);
	while (i < n) {
		k = n - i;
		if (step == 1)
			k = 1;
		else if (step > 1) {
			seed = seed * 1103515245u + 12345u;
			if (k > (seed >> 16) % step)
				k = (seed >> 16) % step;
		}
		w += run(&tf, p + i, k, out + w);
		i += k;
	}
	return w + finish(&tf, out + w);
}

/* Room for the whole output of n bytes, cut anywhere. */
static unsigned char *
alloc_out(size_t n)
{
	return xmalloc(3 * n + 3);
}

static void
check(const char *in, size_t n, const char *want, size_t wn,
    const char *name)
{
	unsigned char *out = alloc_out(n);
	size_t w, i;

	w = filter(in, n, 0, 0, out);
	if (!ok(w == wn && memcmp(out, want, wn) == 0, name)) {
		printf("#   got \"");
		for (i = 0; i < w; i++)
			printf(out[i] >= 0x20 && out[i] < 0x7f ? "%c" :
			    "\\x%02x", out[i]);
		printf("\"\n");
	}
	free(out);
}

/* Literals only: they may hold NULs. */
#define IS(in, want, name) \
	check(in, sizeof(in) - 1, want, sizeof(want) - 1, name)
#define PASSES(in, name)	IS(in, in, name)
#define DROPS(in, name)		IS("a" in "b", "ab", name)

/* Length of the valid UTF-8 character at p, not a C1 control; else 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t k, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		k = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		k = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (p[0] == 0xc2)
		lo = 0xa0;
	else if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < k || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return k;
}

/*
 * Length of the whole ESC or CSI sequence at p (p[0] is ESC), or 0 when
 * it is cut short, malformed, or opens a string.
 */
static size_t
seq_len(const unsigned char *p, size_t n)
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

/*
 * What any output must be: valid UTF-8 without C1 controls, no C0 but the
 * passed ones, and each ESC the start of a whole ESC or CSI sequence.
 */
static int
output_sane(const unsigned char *p, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (p[i] == 0x1b) {
			if ((k = seq_len(p + i, n - i)) == 0)
				return 0;
			i += k - 1;
		} else if (p[i] == 0x7f ||
		    (p[i] < 0x20 && (p[i] < 0x07 || p[i] > 0x0f)))
			return 0;
		else if (p[i] >= 0x80) {
			if ((k = utf8_len(p + i, n - i)) == 0)
				return 0;
			i += k - 1;
		}
	}
	return 1;
}

/* Whole, byte by byte and in pieces alike; idempotent; sane. */
static int
invariants(const void *in, size_t n, uint32_t seed)
{
	unsigned char *a = alloc_out(n), *b = alloc_out(n), *c = alloc_out(n);
	unsigned char *d;
	size_t wa, wb, wc, wd;
	int good;

	wa = filter(in, n, 0, 0, a);
	wb = filter(in, n, 1, 0, b);
	wc = filter(in, n, 17, seed, c);
	d = alloc_out(wa);
	wd = filter(a, wa, 0, 0, d);
	good = wa == wb && memcmp(a, b, wa) == 0 &&
	    wa == wc && memcmp(a, c, wa) == 0 &&
	    wd == wa && memcmp(a, d, wa) == 0 && output_sane(a, wa);
	free(a);
	free(b);
	free(c);
	free(d);
	return good;
}

/* Every case above, hostile and not, one after the other. */
static const char *const sample[] = {
	"plain text\r\n", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9d\x84\x9e\n",
	"\x1b[1;31mred\x1b[0m", "\x1b[38;5;196m", "\x1b[38:2::255:0:0m",
	"\x1b[H\x1b[2J", "\x1b[10;20H", "\x1b[K", "\x1b[?1049h", "\x1b[?25l",
	"\x1b[?2004h", "\x1b(B\x1b)0\x0e\x71\x0f", "\x1b""7\x1b""8",
	"\x1b[2 q", "\x1b[1;24r", "\x1b=\x1b>", "\x1bM", "\x1b[4h",
	"\x1b]52;c;aGVsbG8=\x07", "\x1b]52;c;aGVsbG8=\x1b\\",
	"\x1b]0;pwned\x07", "\x1b]8;;http://x/\x1b\\link\x1b]8;;\x1b\\",
	"\x1bP+q544e\x1b\\", "\x1b_Gf=100;AAAA\x1b\\", "\x1b^pm\x1b\\",
	"\x1bXsos\x1b\\", "\x1b[6n", "\x1b[c", "\x1b[>c", "\x1b[21t",
	"\x1b[8;1;1t", "\x1b[?1000h", "\x1b[?25;1000h", "\x05", "\xc2\x9b",
	"\x9b""6n", "\x1bZ", "\x1b%@", "\x80", "\xc0\xaf", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\xe2\x82", "\x1b[1\nA", "\x1b[?3h", "\x1b[3J",
	"\x1b]4;1;rgb:ff/00/00\x1b\\", "\x1b[>4;2m", "\x1b[?12$p", "\x7f",
	"\x1b[\xc3\xa9m", "\x1b]0;\xc2\x9c still title\x07",
};
#define NSAMPLE	(sizeof(sample) / sizeof(sample[0]))

static void
test_pass(void)
{
	PASSES("plain text, tabs\tand lines\r\n", "ASCII text passes");
	PASSES("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9d\x84\x9e \xc2\xa0"
	    "\xef\xbf\xbf",
	    "UTF-8 text passes, U+00A0 and U+FFFF included");
	PASSES("\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
	    "BEL BS HT LF VT FF CR SO SI pass");
	PASSES("\x1b[1;31mred\x1b[0m \x1b[m\x1b[38;5;196mx\x1b[48;2;1;2;3m",
	    "SGR colours pass");
	PASSES("\x1b[38:2::255:0:0m\x1b[4:3m", "SGR colon subparameters pass");
	PASSES("\x1b[H\x1b[2J\x1b[J\x1b[1J\x1b[10;20H\x1b[K\x1b[2K\x1b[5;1f",
	    "positioning and erasing pass");
	PASSES("\x1b[A\x1b[2B\x1b[3C\x1b[4D\x1b[E\x1b[F\x1b[7G\x1b[I\x1b[Z"
	    "\x1b[2@\x1b[L\x1b[M\x1b[P\x1b[X\x1b[S\x1b[3T\x1b[`\x1b[a\x1b[b"
	    "\x1b[d\x1b[e\x1b[g\x1b[3g", "motion, insert, delete, scroll pass");
	PASSES("\x1b[1;24r\x1b[r\x1b[s\x1b[u",
	    "margins, save and restore pass");
	PASSES("\x1b[?1049h\x1b[?1049l\x1b[?25l\x1b[?25h\x1b[?1h\x1b[?7l"
	    "\x1b[?12;25h\x1b[?2004h\x1b[?47h\x1b[?1047l\x1b[?1048h\x1b[?5h"
	    "\x1b[?6l", "whitelisted DEC private modes pass");
	PASSES("\x1b[4h\x1b[4l\x1b[20h", "ANSI modes 4 and 20 pass");
	PASSES("\x1b""7\x1b""8\x1b""D\x1b""E\x1bH\x1bM\x1b=\x1b>\x1b""c",
	    "ESC 7 8 D E H M = > c pass");
	PASSES("\x1b(B\x1b(0\x1b)0\x1b)B\x1b(A\x1b*0\x1b+B\x1b#8",
	    "charset designations and DECALN pass");
	PASSES("\x1b[2 q\x1b[ q\x1b[!p", "DECSCUSR and DECSTR pass");
	/* A vim-like start, as it is drawn. */
	PASSES("\x1b[?1049h\x1b[?1h\x1b=\x1b[H\x1b[2J\x1b[?25l\x1b[1;1H"
	    "\x1b[94m~\x1b[39m\r\n\x1b[1m-- INSERT --\x1b[0m\x1b[24;63H"
	    "0,0-1\x1b[9CAll\x1b[1;1H\x1b[?25h", "a vim screen passes");
}

static void
test_drop(void)
{
	DROPS("\x1b]52;c;aGVsbG8=\x07", "OSC 52 (clipboard), BEL");
	DROPS("\x1b]52;c;aGVsbG8=\x1b\\", "OSC 52 (clipboard), ST");
	DROPS("\x1b]0;pwned\x07", "OSC 0 (title)");
	DROPS("\x1b]2;t\xc3\xa9tle\x1b\\", "OSC 2 with UTF-8 payload");
	DROPS("\x1b]4;1;rgb:ff/00/00\x1b\\\x1b]104\x07",
	    "OSC 4, 104 (palette)");
	DROPS("\x1b]10;?\x07\x1b]11;?\x1b\\", "OSC 10, 11 (colour queries)");
	DROPS("\x1b]9;notify\x07\x1b]777;notify;a;b\x07", "OSC 9, 777");
	IS("a\x1b]8;;http://x/\x1b\\link\x1b]8;;\x1b\\b", "alinkb",
	    "OSC 8 hyperlink: the text stays, the link goes");
	DROPS("\x1bP+q544e\x1b\\", "DCS (XTGETTCAP)");
	DROPS("\x1bP$qm\x1b\\", "DCS (DECRQSS)");
	DROPS("\x1bPq#0;2;0;0;0#0~~@@vv\x1b\\", "DCS (sixel)");
	DROPS("\x1b_Gf=100;AAAA\x1b\\", "APC (kitty graphics)");
	DROPS("\x1b^privacy\x1b\\", "PM");
	DROPS("\x1bXstart of string\x1b\\", "SOS");
	DROPS("\x1bP\x07still in DCS\x1b\\", "BEL does not end a DCS");
	DROPS("\x1b[6n", "DSR 6 (cursor position report)");
	DROPS("\x1b[5n\x1b[?6n", "DSR 5, DECXCPR");
	DROPS("\x1b[c", "DA");
	DROPS("\x1b[0c", "DA 0");
	DROPS("\x1b[>c", "secondary DA");
	DROPS("\x1b[=c", "tertiary DA");
	DROPS("\x1b[>q", "XTVERSION");
	DROPS("\x1b[21t", "window op 21 (title report)");
	DROPS("\x1b[8;1;1t", "window op 8 (resize)");
	DROPS("\x1b[22;0;0t\x1b[23;0;0t\x1b[2t\x1b[3;0;0t", "other window ops");
	DROPS("\x1b[?1000h", "mouse reporting 1000");
	DROPS("\x1b[?1002h\x1b[?1003h\x1b[?1006h\x1b[?1015h\x1b[?9h",
	    "other mouse modes");
	DROPS("\x1b[?1004h", "focus events");
	DROPS("\x1b[?25;1000h", "a mixed mode list is dropped whole");
	DROPS("\x1b[?3h\x1b[?2026h\x1b[?h\x1b[?;25h", "other DEC modes");
	DROPS("\x1b[12l\x1b[2h\x1b[h", "ANSI modes 12, 2, empty");
	DROPS("\x1b[?12$p\x1b[4$p", "DECRQM");
	DROPS("\x1b[>4;2m\x1b[?4m", "key encoding and its query");
	DROPS("\x1b[>1u\x1b[?u\x1b[<u\x1b[=1;1u\x1b[5u", "kitty keyboard");
	DROPS("\x1b[3J", "erase of saved lines");
	DROPS("\x1b[1;2;3;4;5T", "mouse highlight tracking");
	DROPS("\x1b[?1;2S", "XTSMGRAPHICS");
	DROPS("\x1b[?1049s\x1b[?1049r", "XTSAVE and XTRESTORE");
	DROPS("\x1b[5i\x1b[4i\x1b[0i", "media copy (print)");
	DROPS("\x1b[x\x1b[1$r\x1b[\"q\x1b[1*x\x1b[1 @", "other CSI");
	DROPS("\x1b[1;2?m\x1b[1:2H", "malformed parameters");
	DROPS("\x1b[1 !q\x1b[1 ! q", "too many intermediates");
	DROPS("\x05", "ENQ (answerback)");
	DROPS("\x00\x01\x02\x03\x04\x06\x10\x11\x13\x18\x1a\x1c\x1f",
	    "other C0 controls");
	DROPS("\x7f", "DEL");
	IS("a\xc2\x9b""6nb", "a6nb", "C1 CSI as UTF-8: only U+009B goes");
	IS("a\xc2\x80\xc2\x9d\xc2\x9f\xc2\x85""b", "ab",
	    "C1 controls as UTF-8");
	IS("a\x9b""6nb", "a" FFFD "6nb", "raw 0x9b: U+FFFD");
	DROPS("\x1bZ", "DECID");
	DROPS("\x1b%@\x1b%G", "character encoding switches");
	DROPS("\x1b F\x1b G", "S7C1T, S8C1T");
	DROPS("\x1bN\x1bO\x1bn\x1b\\\x1b(5\x1b#3\x1b l", "other ESC");
	IS("a\x1b[1\nAb", "a\nAb", "a C0 control inside CSI drops the CSI");
	IS("a\x1b[1\x7f""Ab", "aAb", "DEL inside CSI drops the CSI");
	IS("a\x1b[1\x1b[2Jb", "a\x1b[2Jb", "ESC inside CSI starts anew");
	IS("a\x1b[1\x18m", "am", "CAN aborts a CSI");
	IS("a\x1b]0;x\x18y", "ay", "CAN aborts an OSC");
	IS("a\x1b[\xc3\xa9m", "a\xc3\xa9m", "UTF-8 inside CSI drops the CSI");
	IS("a\x1b]0;\xc2\x9c title\x07z", "az", "U+009C does not end a string");
	IS("a\x1b\x1b[Hb", "a\x1b[Hb", "ESC ESC");
}

static void
test_utf8(void)
{
	IS("a\x80z", "a" FFFD "z", "lone continuation");
	IS("a\xc0\xafz", "a" FFFD FFFD "z", "overlong \\xc0\\xaf: per byte");
	IS("a\xe0\x80\xafz", "a" FFFD FFFD FFFD "z",
	    "overlong \\xe0\\x80\\xaf");
	IS("a\xed\xa0\x80z", "a" FFFD FFFD FFFD "z", "surrogate");
	IS("a\xf4\x90\x80\x80z", "a" FFFD FFFD FFFD FFFD "z", "> U+10FFFF");
	IS("a\xf5\xfe\xffz", "a" FFFD FFFD FFFD "z", "F5, FE, FF");
	IS("a\xe2\x82z", "a" FFFD "z",
	    "truncated: one U+FFFD (maximal subpart)");
	IS("a\xf0\x9f\x98\x1b[mz", "a" FFFD "\x1b[mz", "cut by ESC");
	IS("a\xe2\x82", "a" FFFD, "truncated at the end");
	IS("a\xe2\x82\xac\xf0\x9f\x98\x80", "a\xe2\x82\xac\xf0\x9f\x98\x80",
	    "valid 3 and 4 byte characters");
}

static void
test_stream(void)
{
	struct box_termfilter tf;
	unsigned char out[BOX_TERMFILTER_OUT(16)];
	char *big, *p;
	unsigned char *buf;
	size_t n, w, i;
	int good;

	IS("abc\x1b[1;3", "abc", "a cut CSI is dropped at the end");
	IS("abc\x1b", "abc", "a cut ESC is dropped at the end");
	IS("abc\x1b(", "abc", "a cut designation is dropped at the end");
	IS("abc\x1b]0;ti", "abc", "a cut OSC is dropped at the end");

	box_termfilter_init(&tf);
	w = box_termfilter_run(&tf, "x\x1b[3", 4, out);
	w += box_termfilter_run(&tf, "1my", 3, out + w);
	w += box_termfilter_finish(&tf, out + w);
	ok(w == 7 && memcmp(out, "x\x1b[31my", 7) == 0,
	    "a CSI split across calls passes whole");
	box_termfilter_init(&tf);
	w = box_termfilter_run(&tf, "x\x1b[3", 4, out);
	ok(w == 1, "nothing of a sequence is written before its end");
	w = box_termfilter_finish(&tf, out);
	w += box_termfilter_run(&tf, "1m", 2, out + w);
	ok(w == 2 && memcmp(out, "1m", 2) == 0,
	    "finish drops the held sequence and starts afresh");

	/* 64 parameter bytes are held; 65 are too many. */
	big = xmalloc(200);
	memcpy(big, "\x1b[", 2);
	memset(big + 2, '1', BOX_TERMFILTER_PARAM_MAX);
	big[2 + BOX_TERMFILTER_PARAM_MAX] = 'm';
	check(big, 3 + BOX_TERMFILTER_PARAM_MAX, big,
	    3 + BOX_TERMFILTER_PARAM_MAX, "64 parameter bytes pass");
	big[2 + BOX_TERMFILTER_PARAM_MAX] = '1';
	big[3 + BOX_TERMFILTER_PARAM_MAX] = 'm';
	big[4 + BOX_TERMFILTER_PARAM_MAX] = 'z';
	check(big, 5 + BOX_TERMFILTER_PARAM_MAX, "z", 1,
	    "65 parameter bytes: dropped whole, to its final");

	/* A held sequence written by a call of one byte stays in bounds. */
	box_termfilter_init(&tf);
	bound_broken = 0;
	buf = xmalloc(BOX_TERMFILTER_OUT(BOX_TERMFILTER_PARAM_MAX + 3));
	w = run(&tf, big, 2 + BOX_TERMFILTER_PARAM_MAX, buf);
	w += run(&tf, "m", 1, buf + w);
	ok(!bound_broken && w == 3 + BOX_TERMFILTER_PARAM_MAX,
	    "the longest held sequence fits BOX_TERMFILTER_OUT(1)");
	free(big);
	free(buf);

	/* Invalid bytes fill the bound. */
	big = xmalloc(1000);
	memset(big, 0xff, 1000);
	buf = alloc_out(1000);
	is_int(filter(big, 1000, 0, 0, buf), 3000, "1000 bad bytes: 3000 out");
	free(buf);
	free(big);

	/* An OSC that never ends swallows at most STRING_MAX bytes. */
	n = 4 + 100000 + 9;
	p = big = xmalloc(n);
	memcpy(p, "\x1b]0;", 4);
	memset(p + 4, 'x', 100000);
	memcpy(p + 4 + 100000, "VISIBLE\r\n", 9);
	buf = alloc_out(n);
	w = filter(big, n, 0, 0, buf);
	ok(w == n - 2 - BOX_TERMFILTER_STRING_MAX &&
	    memcmp(buf, big + 2 + BOX_TERMFILTER_STRING_MAX, w) == 0 &&
	    memcmp(buf + w - 9, "VISIBLE\r\n", 9) == 0,
	    "an unterminated OSC gives up after 64 KiB: the rest shows");
	big[2 + BOX_TERMFILTER_STRING_MAX] = 0x07;
	w = filter(big, n, 0, 0, buf);
	ok(w == n - 3 - BOX_TERMFILTER_STRING_MAX &&
	    memcmp(buf, big + 3 + BOX_TERMFILTER_STRING_MAX, w) == 0,
	    "an OSC of exactly 64 KiB, ended by BEL, is swallowed whole");
	free(buf);
	free(big);

	/* The sample, whole against byte by byte and in pieces. */
	n = 0;
	for (i = 0; i < NSAMPLE; i++)
		n += strlen(sample[i]) + 1;
	big = xmalloc(n * 3);
	for (p = big, i = 0; i < 3 * NSAMPLE; i++) {
		const char *s = sample[i % NSAMPLE];

		memcpy(p, s, strlen(s));
		p += strlen(s);
		*p++ = "x\n"[i % 2];
	}
	n = (size_t)(p - big);
	bound_broken = 0;
	ok(invariants(big, n, 7), "hostile sample: byte by byte, in pieces "
	    "and whole alike; idempotent; sane output");
	ok(!bound_broken, "hostile sample: every call within its bound");
	buf = alloc_out(n);
	w = filter(big, n, 0, 0, buf);
	for (good = 1, i = 0; i + 1 < w; i++)
		if (buf[i] == 0x1b && buf[i + 1] != '\0' &&
		    strchr("]P_^X%Z", buf[i + 1]) != NULL)
			good = 0;
	ok(good && memmem(buf, w, "pwned", 5) == NULL &&
	    memmem(buf, w, "aGVsbG8", 7) == NULL,
	    "hostile sample: no string introducer or payload left");
	free(buf);
	free(big);
}

static uint32_t
xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void
test_random(void)
{
	static const unsigned char pick[] = { 0x1b, 0x1b, 0x1b, '[', '[', ']',
	    'P', '_', '^', 'X', '\\', 0x07, ';', '?', '>', '<', '0', '1', '2',
	    '5', '9', 'm', 'h', 'l', 'H', 'J', 't', 'n', 'c', 'q', 'p', ' ',
	    '!', '$', '(', '#', 0x18, 0x1a, 0x05, 0x00, 0x7f, '\n', 'a', 0xc2,
	    0x9b, 0x9c, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0xed, 0xa0, 0x80, 0xbf,
	    0xf4, 0xff };
	uint32_t x = 2463534242u;
	unsigned char in[3000];
	size_t n, i, k;
	int good = 1;

	bound_broken = 0;
	for (k = 0; k < 400; k++) {
		n = xorshift(&x) % sizeof(in);
		for (i = 0; i < n; i++) {
			xorshift(&x);
			in[i] = x % 10 < 7 ? pick[(x >> 8) % sizeof(pick)] :
			    (unsigned char)(x >> 8);
		}
		if (!invariants(in, n, x)) {
			good = 0;
			diag("random input %zu breaks an invariant", k);
			break;
		}
	}
	ok(good, "400 random inputs: byte by byte, in pieces and whole "
	    "alike; idempotent; sane output");
	ok(!bound_broken, "random inputs: every call within its bound");
}

int
main(void)
{
	test_pass();
	test_drop();
	test_utf8();
	test_stream();
	test_random();
	return tap_done();
}
