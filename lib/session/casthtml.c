/*
 * A recording as one self-contained HTML page (box_cast_html in cast.h):
 * asciinema-player inlined, the recording re-written from its parsed
 * events as JSON that cannot end the element holding it, and a
 * Content-Security-Policy under which only the page's own two scripts
 * run and nothing is fetched, should anything slip through anyway.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/util.h"
#include "session/cast.h"

/* Starts the player on the recording and options the page carries. */
static const char init_js[] =
	"(function () {\n"
	"\tvar el = function (id) { return document.getElementById(id); };\n"
	"\tvar cast = JSON.parse(el(\"sshbox-cast\").textContent);\n"
	"\tvar opts = JSON.parse(el(\"sshbox-opts\").textContent);\n"
	"\tAsciinemaPlayer.create({ data: cast }, el(\"sshbox-player\"), "
	"opts);\n"
	"})();\n";

static const char page_css[] =
	"body { margin: 1em; background: #1d1f21; color: #c5c8c6;\n"
	"\tfont-family: sans-serif; }\n"
	"h1 { font-size: 1.2em; margin: 0 0 .3em; overflow-wrap: anywhere; }\n"
	".sshbox-meta { margin: 0 0 1em; font-size: .9em; }\n"
	".sshbox-incomplete { color: #f0c674; font-weight: bold; }\n"
	"#sshbox-player { display: inline-block; max-width: 100%; }\n";

struct out {
	FILE	*f;
	int	 failed;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (n > 0 && fwrite(s, 1, n, o->f) != n)
		o->failed = 1;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/*
 * s (n bytes of valid UTF-8) as a JSON string safe inside any HTML
 * element: besides '"', '\\' and control bytes, '<', '>' and '&' are
 * escaped (no "</script", no "<!--"), and U+2028 and U+2029 (line ends
 * to older JavaScript).
 */
static void
put_json_str(struct out *o, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, run = 0;
	char esc[8];

	puts_(o, "\"");
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];
		const char *e = NULL;

		if (c == '"')
			e = "\\\"";
		else if (c == '\\')
			e = "\\\\";
		else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' ||
		    c == '&') {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			e = esc;
		} else if (c == 0xe2 && i + 2 < n && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			e = p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
			put(o, s + i - run, run);
			run = 0;
			puts_(o, e);
			i += 2;
			continue;
		}
		if (e == NULL) {
			run++;
			continue;
		}
		put(o, s + i - run, run);
		run = 0;
		puts_(o, e);
	}
	put(o, s + n - run, run);
	puts_(o, "\"");
}

/* s as HTML text or attribute value; control bytes become U+FFFD. */
static void
put_html(struct out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': puts_(o, "&amp;"); break;
		case '<': puts_(o, "&lt;"); break;
		case '>': puts_(o, "&gt;"); break;
		case '"': puts_(o, "&quot;"); break;
		case '\'': puts_(o, "&#39;"); break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				puts_(o, "&#xfffd;");
			else
				put(o, s, 1);
		}
	}
}

static int
contains_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

/* One of the player's files, whole, to be inlined.  0 or -1. */
static int
read_player(const char *dir, const char *name, char **buf, size_t *len,
    struct box_error *err)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return box_error_set(err, BOX_E_CONFIG, 0, "player_dir is too "
		    "long");
	if (box_read_file(path, BOX_CAST_PLAYER_MAX, buf, len, err) < 0) {
		if (err != NULL && err->kind == BOX_E_NOTFOUND)
			return box_error_set(err, BOX_E_NOTFOUND, 0,
			    "asciinema-player is not installed in %.300s (no "
			    "%s): run scripts/install-deps, or "
			    "scripts/fetch-player, in sshbox's source tree "
			    "and install again", dir, name);
		return -1;
	}
	/* Inlined as is: nothing in it may end or comment out its element. */
	if (contains_ci(*buf, *len, "</script") ||
	    contains_ci(*buf, *len, "</style") ||
	    contains_ci(*buf, *len, "<!--")) {
		free(*buf);
		*buf = NULL;
		return box_error_set(err, BOX_E_CONFIG, 0, "%.300s: holds "
		    "\"</script\", \"</style\" or \"<!--\" and cannot be "
		    "inlined in a page", path);
	}
	return 0;
}

/* The base64 SHA-256 of a script, for the policy: of s (n bytes), or with
 * wrap of the newline the page writes before and after it.  0 or -1. */
static int
script_hash(const char *s, size_t n, int wrap, char *out, size_t outsz)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	EVP_MD_CTX *ctx;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    (!wrap || EVP_DigestUpdate(ctx, "\n", 1) == 1) &&
	    EVP_DigestUpdate(ctx, s, n) == 1 &&
	    (!wrap || EVP_DigestUpdate(ctx, "\n", 1) == 1) &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	return box_b64_encode(md, mdlen, out, outsz, 0, 1) < 0 ? -1 : 0;
}

/* Every event once, to find errors before a byte is written. */
static int
check_all(const char *buf, size_t len, struct box_cast_header *h,
    int *complete, double *duration, struct box_error *err)
{
	struct box_cast_event ev;
	struct box_cast *c;
	int r;

	if (box_cast_open(&c, buf, len, h, err) < 0)
		return -1;
	*duration = 0;
	while ((r = box_cast_next(c, &ev, err)) == 1)
		*duration = ev.time;
	*complete = box_cast_complete(c);
	box_cast_free(c);
	return r;
}

/* The recording as [header, event, ...], from what the reader parsed. */
static void
put_cast(struct out *o, const char *buf, size_t len)
{
	struct box_cast_header h;
	struct box_cast_event ev;
	struct box_cast *c;
	char num[64];

	if (box_cast_open(&c, buf, len, &h, NULL) < 0) {
		o->failed = 1;
		return;
	}
	snprintf(num, sizeof(num), "[{\"version\":2,\"width\":%u,"
	    "\"height\":%u", h.width, h.height);
	puts_(o, num);
	if (h.timestamp != 0) {
		snprintf(num, sizeof(num), ",\"timestamp\":%lld",
		    (long long)h.timestamp);
		puts_(o, num);
	}
	puts_(o, "}");
	while (box_cast_next(c, &ev, NULL) == 1) {
		snprintf(num, sizeof(num), ",\n[%.6f,\"%c\",", ev.time,
		    ev.code);
		puts_(o, num);
		if (ev.code == 'r') {
			snprintf(num, sizeof(num), "\"%ux%u\"", ev.cols,
			    ev.rows);
			puts_(o, num);
		} else
			put_json_str(o, ev.data, ev.len);
		puts_(o, "]");
	}
	puts_(o, "]");
	box_cast_free(c);
}

static void
put_meta(struct out *o, const struct box_cast_header *h,
    const struct box_cast_page *page, int complete, double duration)
{
	char t[64];

	puts_(o, "<p class=\"sshbox-meta\">");
	if (page->label != NULL) {
		put_html(o, page->label);
		puts_(o, " &middot; ");
	}
	snprintf(t, sizeof(t), "%u&times;%u", h->width, h->height);
	puts_(o, t);
	if (h->timestamp != 0) {
		puts_(o, " &middot; started ");
		puts_(o, box_format_time(h->timestamp, t, sizeof(t)));
	}
	puts_(o, " &middot; ");
	puts_(o, box_format_duration((int64_t)duration, t, sizeof(t)));
	if (complete)
		puts_(o, " &middot; <span class=\"sshbox-complete\">"
		    "complete</span>");
	else
		puts_(o, " &middot; <span class=\"sshbox-incomplete\">"
		    "incomplete: the recording was cut short</span>");
	puts_(o, "</p>\n");
}

static void
put_page(struct out *o, const char *buf, size_t len,
    const struct box_cast_header *h, const struct box_cast_page *page,
    int complete, double duration, const char *js, size_t jslen,
    const char *css, size_t csslen, const char *hjs, const char *hinit)
{
	const char *title = h->title[0] != '\0' ? h->title :
	    page->label != NULL ? page->label : "sshbox recording";
	char opts[256];

	puts_(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; script-src 'sha256-");
	puts_(o, hjs);
	puts_(o, "' 'sha256-");
	puts_(o, hinit);
	puts_(o, "' 'wasm-unsafe-eval'; style-src 'unsafe-inline'; "
	    "img-src data:; font-src data:; base-uri 'none'; "
	    "form-action 'none'\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	put_html(o, title);
	puts_(o, "</title>\n<style>\n");
	put(o, css, csslen);
	puts_(o, "\n</style>\n<style>\n");
	puts_(o, page_css);
	puts_(o, "</style>\n</head>\n<body>\n<h1>");
	put_html(o, title);
	puts_(o, "</h1>\n");
	put_meta(o, h, page, complete, duration);
	puts_(o, "<div id=\"sshbox-player\"></div>\n"
	    "<script type=\"application/json\" id=\"sshbox-cast\">");
	put_cast(o, buf, len);
	puts_(o, "</script>\n<script type=\"application/json\" "
	    "id=\"sshbox-opts\">");
	snprintf(opts, sizeof(opts), "{\"autoPlay\":true,\"fit\":false,"
	    "\"cols\":%u,\"rows\":%u", h->width, h->height);
	puts_(o, opts);
	if (page->speed > 0) {
		snprintf(opts, sizeof(opts), ",\"speed\":%.3f", page->speed);
		puts_(o, opts);
	}
	if (page->idle_limit > 0) {
		snprintf(opts, sizeof(opts), ",\"idleTimeLimit\":%.3f",
		    page->idle_limit);
		puts_(o, opts);
	}
	puts_(o, "}</script>\n<script>\n");
	put(o, js, jslen);
	puts_(o, "\n</script>\n<script>");
	puts_(o, init_js);
	puts_(o, "</script>\n</body>\n</html>\n");
}

int
box_cast_html(FILE *f, const char *buf, size_t len, const char *player_dir,
    const struct box_cast_page *page, int *complete, struct box_error *err)
{
	static const struct box_cast_page none = { NULL, 0, 0 };
	struct box_cast_header h;
	struct out o = { f, 0 };
	char *js = NULL, *css = NULL, hjs[64], hinit[64];
	size_t jslen, csslen;
	double duration;
	int done, rc = -1;

	if (page == NULL)
		page = &none;
	if (check_all(buf, len, &h, &done, &duration, err) < 0)
		return -1;
	if (complete != NULL)
		*complete = done;
	if (read_player(player_dir, BOX_CAST_PLAYER_JS, &js, &jslen, err) < 0 ||
	    read_player(player_dir, BOX_CAST_PLAYER_CSS, &css, &csslen,
	    err) < 0)
		goto out;
	if (script_hash(js, jslen, 1, hjs, sizeof(hjs)) < 0 ||
	    script_hash(init_js, strlen(init_js), 0, hinit,
	    sizeof(hinit)) < 0) {
		box_error_set(err, BOX_E_INTERNAL, 0, "SHA-256 failed");
		goto out;
	}
	put_page(&o, buf, len, &h, page, done, duration, js, jslen, css,
	    csslen, hjs, hinit);
	if (fflush(f) != 0 || ferror(f) || o.failed) {
		box_error_set(err, BOX_E_INTERNAL, errno, "writing the page");
		goto out;
	}
	rc = 0;
out:
	free(js);
	free(css);
	return rc;
}
