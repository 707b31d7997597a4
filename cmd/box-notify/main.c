/*
 * box-notify: POST one JSON body to a webhook, signed, within a timeout.
 * box-shell runs it (as the box account) to tell approvers of a staff
 * member's request; libcurl lives in this short-lived process alone, so
 * that no login loads it.
 *
 *   box-notify --key FILE --timeout SECONDS < URL NEWLINE BODY
 *
 * The URL comes first on standard input, not in the argument vector:
 * webhook URLs often carry their own secret, and other accounts can read
 * a process's arguments.
 * The body goes out as application/json with
 *   X-Sshbox-Timestamp: UNIX SECONDS
 *   X-Sshbox-Signature: sha256=HEX(HMAC-SHA256(KEY, TIMESTAMP "." BODY))
 * Only http and https, no redirects, no proxy from the environment.
 * Prints the HTTP status; exits 0 for a 2xx answer, else 1 with one line
 * on standard error saying what happened.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/log.h"
#include "core/util.h"

#define BODY_MAX	(64 * 1024)
#define KEY_MAX		4096
#define ANSWER_MAX	(64 * 1024)	/* read and dropped */

static void
usage(FILE *f)
{
	fprintf(f, "usage: box-notify --key FILE --timeout SECONDS "
	    "< URL-LINE-AND-BODY\n"
	    "POST a signed JSON body to a webhook; see box-notify(8).\n");
}

static int
die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
die(const char *fmt, ...)
{
	char msg[512], safe[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "box-notify: %s\n", box_log_safe(msg, safe,
	    sizeof(safe)));
	return 1;
}

/* The answer's body is not read further than ANSWER_MAX bytes. */
static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	size_t *seen = arg;

	(void)p;
	*seen += size * n;
	return *seen > ANSWER_MAX ? 0 : size * n;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *keyfile = NULL;
	char url[512];
	char *body = NULL, *key = NULL, *signed_text = NULL;
	char ts[32], hdr_ts[64], hdr_sig[128], hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	struct curl_slist *hdrs = NULL;
	struct box_error err;
	long long secs = 0, status = 0;
	size_t blen = 0, klen = 0, seen = 0, n;
	CURLcode cc;
	CURL *curl;
	int ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': keyfile = optarg; break;
		case 't':
			if (box_parse_int(optarg, 1, 600, &secs, &err) < 0)
				return die("--timeout: %s", err.msg);
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || keyfile == NULL || secs == 0) {
		usage(stderr);
		return 2;
	}
	/* The URL's line: printable ASCII, http or https. */
	if (fgets(url, sizeof(url), stdin) == NULL ||
	    url[strcspn(url, "\n")] != '\n')
		return die("%s", "no URL line on standard input");
	url[strcspn(url, "\n")] = '\0';
	for (i = 0; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return die("%s", "the URL has blanks or non-ASCII bytes");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return die("%s", "only http:// and https:// URLs");
	if (box_read_file(keyfile, KEY_MAX, &key, &klen, &err) < 0)
		return die("%s", err.msg);
	while (klen > 0 && (key[klen - 1] == '\n' || key[klen - 1] == '\r' ||
	    key[klen - 1] == ' '))
		key[--klen] = '\0';
	if (klen < 16) {
		OPENSSL_cleanse(key, klen);
		free(key);
		return die("%s: the key is shorter than 16 bytes", keyfile);
	}
	if ((body = malloc(BODY_MAX + 1)) == NULL)
		return die("%s", "out of memory");
	while (blen <= BODY_MAX && (n = fread(body + blen, 1, BODY_MAX + 1 -
	    blen, stdin)) > 0)
		blen += n;
	if (blen > BODY_MAX) {
		die("%s", "the body is over 64 KiB");
		goto out;
	}
	body[blen] = '\0';
	/* The signature covers the time too: an old body replayed later
	 * carries an old time. */
	snprintf(ts, sizeof(ts), "%lld", (long long)box_now());
	if ((signed_text = malloc(strlen(ts) + 1 + blen + 1)) == NULL) {
		die("%s", "out of memory");
		goto out;
	}
	snprintf(signed_text, strlen(ts) + 2, "%s.", ts);
	memcpy(signed_text + strlen(ts) + 1, body, blen);
	if (HMAC(EVP_sha256(), key, (int)klen, (unsigned char *)signed_text,
	    strlen(ts) + 1 + blen, mac, &maclen) == NULL) {
		die("%s", "cannot sign the body");
		goto out;
	}
	for (i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	snprintf(hdr_ts, sizeof(hdr_ts), "X-Sshbox-Timestamp: %s", ts);
	snprintf(hdr_sig, sizeof(hdr_sig), "X-Sshbox-Signature: sha256=%.64s",
	    hex);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (curl = curl_easy_init()) == NULL) {
		die("%s", "cannot start libcurl");
		goto out;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, hdr_ts);
	hdrs = curl_slist_append(hdrs, hdr_sig);
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)secs * 1000);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)secs * 1000);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "sshbox");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)blen);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &seen);
	cc = curl_easy_perform(curl);
	if (cc == CURLE_OK || cc == CURLE_WRITE_ERROR) {
		long code = 0;

		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
		status = code;
		printf("%ld\n", code);
		if (code >= 200 && code < 300)
			rc = 0;
		else {
			char s[32];

			snprintf(s, sizeof(s), "%ld", code);
			die("the webhook answered %s", s);
		}
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		char s[32];

		snprintf(s, sizeof(s), "%llds", secs);
		die("the webhook did not answer within %s", s);
	} else {
		die("cannot reach the webhook: %s", curl_easy_strerror(cc));
	}
	(void)status;
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
out:
	if (key != NULL) {
		OPENSSL_cleanse(key, klen);
		free(key);
	}
	free(signed_text);
	free(body);
	return rc;
}
