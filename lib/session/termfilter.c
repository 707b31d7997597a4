/*
 * The terminal-output filter of replay and watch: a whitelist over the
 * ECMA-48 / DEC VT parser model (states ground, escape, CSI, string).
 *
 * Safety rests on one property: the output is a concatenation of whole
 * units, each read by a terminal in its ground state and leaving it there
 * (a valid UTF-8 character, a passed C0 control, a whitelisted ESC or CSI
 * sequence).  So the admin's terminal reads the output exactly as this
 * parser does, whatever the guest's terminal made of the input, and the
 * filter is idempotent.  Nothing is rewritten: a sequence passes byte for
 * byte or is dropped whole, and a byte that does not fit the grammar of
 * the sequence it interrupts (a C0 control, DEL, a byte >= 0x80) drops
 * that sequence and is read again as if in the ground state.  Invalid
 * UTF-8 becomes one U+FFFD per maximal subpart (the longest prefix of a
 * valid character, else a byte), as Unicode recommends.
 */
#include <string.h>

#include "session/termfilter.h"

enum { GROUND, ESCAPE, CSI, STRING };

#define ESC	0x1b
#define BEL	0x07
#define CAN	0x18
#define SUB	0x1a

/*
 * C0 controls that only move the cursor or ring the bell: BEL BS HT LF VT
 * FF CR, and SO SI (shift to a designated character set).  The others
 * are dropped: NUL, ENQ (the answerback message would reach the admin's
 * input), CAN and SUB (they abort, or draw), DEL, and the rest unused.
 */
#define C0_PASS	0xff80u		/* bits 0x07 to 0x0f */

/*
 * CSI finals passed with numeric parameters and no private marker: cursor
 * motion and positioning, erase, insert and delete, scrolling, tabs,
 * repeat, scrolling margins.  J, S, T, s, u and m are checked apart.
 */
static const char csi_plain[] = "@ABCDEFGHIKLMPXZ`abdefgr";

/*
 * DEC private modes (CSI ? Pm h / l) that change only the screen or how
 * keys are encoded: cursor keys (1), reverse video (5), origin (6),
 * autowrap (7), blinking (12) and visible (25) cursor, the alternate
 * screen (47, 1047, 1048, 1049), bracketed paste (2004).  Left out, among
 * others: 3 (132 columns: xterm may resize the window), mouse and focus
 * reporting (9, 1000 to 1006, 1015, 1016, 1004: reports reach the admin's
 * input), 2026 (synchronized output: a guest could freeze the screen).
 */
static const unsigned dec_modes[] = { 1, 5, 6, 7, 12, 25, 47, 1047, 1048,
    1049, 2004 };

/* ANSI modes: insert (4) and newline (20); not 2 (keyboard lock), 12 (echo). */
static const unsigned ansi_modes[] = { 4, 20 };

static const unsigned char fffd[3] = { 0xef, 0xbf, 0xbd };

static void
emit(unsigned char *out, size_t *w, const void *p, size_t n)
{
	memcpy(out + *w, p, n);
	*w += n;
}

static void
hold(struct box_termfilter *tf, unsigned char b)
{
	if (tf->len < sizeof(tf->hold))
		tf->hold[tf->len++] = b;
	else
		tf->bad = 1;
}

static void
to_ground(struct box_termfilter *tf)
{
	tf->state = GROUND;
	tf->len = 0;
}

static void
to_escape(struct box_termfilter *tf)
{
	tf->state = ESCAPE;
	tf->len = 0;
	tf->bad = 0;
	tf->ninter = 0;
	hold(tf, ESC);
}

/*
 * Every ';'-separated field of p is a number in set: an empty field is 0,
 * as terminals read it.
 */
static int
fields_in(const unsigned char *p, size_t n, const unsigned *set, size_t nset)
{
	size_t i = 0, j, digits;
	unsigned v;

	for (;;) {
		v = 0;
		for (digits = 0; i < n && p[i] != ';'; i++, digits++) {
			if (p[i] < '0' || p[i] > '9' || digits == 5)
				return 0;
			v = v * 10 + (unsigned)(p[i] - '0');
		}
		for (j = 0; j < nset && set[j] != v; j++)
			;
		if (j == nset)
			return 0;
		if (i == n)
			return 1;
		i++;
	}
}

static int
one_field(const unsigned char *p, size_t n)
{
	return memchr(p, ';', n) == NULL;
}

/* ESC I... F: the cursor, keypad and character set sequences. */
static int
esc_ok(const unsigned char *im, size_t ni, unsigned char f)
{
	/*
	 * DECSC and DECRC (7 8), IND, NEL, HTS and RI (D E H M), keypad
	 * modes (= >), and RIS (c), which resets the screen and modes the
	 * sequences here set.  Not: DECID (Z, a query), single and locking
	 * shifts, and anything with other intermediates, notably ESC % (to
	 * leave UTF-8, after which raw C1 bytes would act) and ESC SP F/G.
	 */
	if (ni == 0)
		return strchr("78DEHM=>c", f) != NULL;
	/* Designate US ASCII, UK or DEC line drawing into G0 to G3. */
	if (ni == 1 && strchr("()*+", im[0]) != NULL)
		return f == 'B' || f == 'A' || f == '0';
	/* DECALN fills the screen with E's. */
	return ni == 1 && im[0] == '#' && f == '8';
}

/* ESC [ P... I... F: p and im as held, without ESC [. */
static int
csi_ok(const unsigned char *p, size_t np, const unsigned char *im,
    size_t ni, unsigned char f)
{
	unsigned char priv = 0;
	size_t i;

	if (np > 0 && p[0] >= '<') {
		priv = p[0];
		p++;
		np--;
	}
	for (i = 0; i < np; i++) {
		/* A private marker past the first byte: malformed. */
		if (p[i] >= '<')
			return 0;
		/* Colon subparameters mean something only in SGR. */
		if (p[i] == ':' && f != 'm')
			return 0;
	}
	/*
	 * Queries (DA c, DSR n, DECRQM $p, XTVERSION > q ...), window
	 * operations and title reports (t), printing (i), and key encodings
	 * (CSI > m, CSI = u ...) all have a final, a private marker or an
	 * intermediate that is not below.
	 */
	if (ni == 1 && im[0] == ' ' && f == 'q' && priv == 0)
		return one_field(p, np);	/* DECSCUSR: cursor shape */
	if (ni == 1 && im[0] == '!' && f == 'p' && priv == 0)
		return np == 0;				/* DECSTR: soft reset */
	if (ni != 0)
		return 0;
	if (priv == '?' && (f == 'h' || f == 'l'))
		return fields_in(p, np, dec_modes,
		    sizeof(dec_modes) / sizeof(dec_modes[0]));
	if (priv != 0)
		return 0;
	switch (f) {
	case 'm':			/* SGR: colours and attributes */
		return 1;
	case 'h':
	case 'l':
		return fields_in(p, np, ansi_modes,
		    sizeof(ansi_modes) / sizeof(ansi_modes[0]));
	case 'J':
		/* Not 3: xterm's erase of saved lines, the admin's history. */
		return np == 0 || (np == 1 && p[0] >= '0' && p[0] <= '2');
	case 'S':
	case 'T':
		/* One count; CSI T with five is xterm's mouse tracking. */
		return one_field(p, np);
	case 's':
	case 'u':
		/* Save and restore the cursor; with parameters, others. */
		return np == 0;
	default:
		return strchr(csi_plain, f) != NULL;
	}
}

/* A byte of text: UTF-8, checked strictly, and the passed C0 controls. */
static void
ground(struct box_termfilter *tf, unsigned char b, unsigned char *out,
    size_t *w)
{
	if (tf->need > 0) {
		if (b >= tf->lo && b <= tf->hi) {
			hold(tf, b);
			tf->lo = 0x80;
			tf->hi = 0xbf;
			if (--tf->need > 0)
				return;
			/* U+0080 to U+009F are C1 controls: dropped. */
			if (tf->hold[0] != 0xc2 || tf->hold[1] >= 0xa0)
				emit(out, w, tf->hold, tf->len);
			tf->len = 0;
			return;
		}
		/*
		 * The longest valid prefix (the maximal subpart) becomes
		 * one U+FFFD, and b starts afresh.
		 */
		emit(out, w, fffd, sizeof(fffd));
		tf->need = 0;
		tf->len = 0;
	}
	if (b >= 0x80) {
		tf->lo = 0x80;
		tf->hi = 0xbf;
		if (b >= 0xc2 && b <= 0xdf)
			tf->need = 1;
		else if (b >= 0xe0 && b <= 0xef) {
			tf->need = 2;
			if (b == 0xe0)
				tf->lo = 0xa0;		/* overlong */
			else if (b == 0xed)
				tf->hi = 0x9f;		/* surrogates */
		} else if (b >= 0xf0 && b <= 0xf4) {
			tf->need = 3;
			if (b == 0xf0)
				tf->lo = 0x90;		/* overlong */
			else if (b == 0xf4)
				tf->hi = 0x8f;		/* > U+10FFFF */
		} else {
			/* A continuation, C0, C1, F5 to FF: never a lead. */
			emit(out, w, fffd, sizeof(fffd));
			return;
		}
		hold(tf, b);
		return;
	}
	if (b == ESC)
		to_escape(tf);
	else if ((b >= 0x20 && b < 0x7f) || (b < 0x20 && (C0_PASS >> b & 1)))
		emit(out, w, &b, 1);
}

/* After ESC.  Returns 0 when b is to be read again in the ground state. */
static int
escape(struct box_termfilter *tf, unsigned char b, unsigned char *out,
    size_t *w)
{
	if (b >= 0x20 && b <= 0x2f) {
		if (tf->ninter == BOX_TERMFILTER_INTER_MAX)
			tf->bad = 1;
		else {
			hold(tf, b);
			tf->ninter++;
		}
		return 1;
	}
	if (b < 0x30 || b > 0x7e) {
		to_ground(tf);
		return 0;
	}
	if (!tf->bad && tf->ninter == 0) {
		switch (b) {
		case '[':
			tf->state = CSI;
			tf->nparam = 0;
			hold(tf, b);
			return 1;
		case ']':	/* OSC */
		case 'P':	/* DCS */
		case 'X':	/* SOS */
		case '^':	/* PM */
		case '_':	/* APC */
			tf->state = STRING;
			tf->osc = b == ']';
			tf->nstring = 0;
			tf->len = 0;
			return 1;
		}
	}
	if (!tf->bad && esc_ok(tf->hold + 1, tf->ninter, b)) {
		emit(out, w, tf->hold, tf->len);
		emit(out, w, &b, 1);
	}
	to_ground(tf);
	return 1;
}

/* After ESC [.  Returns 0 when b is to be read again in the ground state. */
static int
csi(struct box_termfilter *tf, unsigned char b, unsigned char *out,
    size_t *w)
{
	if (b >= 0x30 && b <= 0x3f) {
		/* A parameter after an intermediate is malformed. */
		if (tf->ninter > 0 ||
		    tf->nparam == BOX_TERMFILTER_PARAM_MAX)
			tf->bad = 1;
		else {
			hold(tf, b);
			tf->nparam++;
		}
		return 1;
	}
	if (b >= 0x20 && b <= 0x2f) {
		if (tf->ninter == BOX_TERMFILTER_INTER_MAX)
			tf->bad = 1;
		else {
			hold(tf, b);
			tf->ninter++;
		}
		return 1;
	}
	if (b < 0x40 || b > 0x7e) {
		to_ground(tf);
		return 0;
	}
	if (!tf->bad && csi_ok(tf->hold + 2, tf->nparam,
	    tf->hold + 2 + tf->nparam, tf->ninter, b)) {
		emit(out, w, tf->hold, tf->len);
		emit(out, w, &b, 1);
	}
	to_ground(tf);
	return 1;
}

/*
 * Inside an OSC, DCS, SOS, PM or APC string, all dropped: titles, the
 * clipboard (OSC 52), palette and colour queries, hyperlinks, desktop
 * notifications, DECRQSS and XTGETTCAP, images.  ST (ESC \) ends it by
 * way of the escape state, which drops ESC \ as it drops any other
 * unknown sequence; BEL ends an OSC as xterm has it; CAN and SUB abort.
 * Returns 0 when b is to be read again in the ground state: past
 * BOX_TERMFILTER_STRING_MAX bytes of payload the string is given up, so
 * that output never missing its terminator cannot hide the rest of a
 * session; its payload then shows as text.
 */
static int
string(struct box_termfilter *tf, unsigned char b)
{
	if (b == ESC)
		to_escape(tf);
	else if (b == CAN || b == SUB || (b == BEL && tf->osc))
		to_ground(tf);
	else if (tf->nstring == BOX_TERMFILTER_STRING_MAX) {
		to_ground(tf);
		return 0;
	} else
		tf->nstring++;
	return 1;
}

void
box_termfilter_init(struct box_termfilter *tf)
{
	memset(tf, 0, sizeof(*tf));
	tf->state = GROUND;
}

size_t
box_termfilter_run(struct box_termfilter *tf, const void *in, size_t n,
    void *out)
{
	const unsigned char *p = in;
	size_t i, w = 0;
	int done;

	for (i = 0; i < n; i++) {
		switch (tf->state) {
		case ESCAPE:
			done = escape(tf, p[i], out, &w);
			break;
		case CSI:
			done = csi(tf, p[i], out, &w);
			break;
		case STRING:
			done = string(tf, p[i]);
			break;
		default:
			done = 0;
			break;
		}
		if (!done)
			ground(tf, p[i], out, &w);
	}
	return w;
}

size_t
box_termfilter_finish(struct box_termfilter *tf, void *out)
{
	size_t w = 0;

	if (tf->state == GROUND && tf->need > 0)
		emit(out, &w, fffd, sizeof(fffd));
	box_termfilter_init(tf);
	return w;
}
