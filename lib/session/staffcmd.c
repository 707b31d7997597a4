/* Reading a staff member's command line: a verb, its options, a command. */
#include <string.h>

#include "session/command.h"
#include "session/staffcmd.h"
#include "core/util.h"

#define WORDS_MAX	16
#define WORD_MAX	64

const char box_staff_usage[] =
    "new --profile P [--ttl T] [--json] [-- COMMAND] | list [--json] | "
    "attach BOX [--json | -- COMMAND] | kill BOX [--json] | "
    "extend BOX DURATION [--json] | "
    "invite --profile P [--ttl T] [--uses N] [--expires T] [--json]";

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
usage(struct box_error *err, const char *why)
{
	return box_error_set(err, BOX_E_INPUT, 0, "%s; staff commands: %s",
	    why, box_staff_usage);
}

/* A box id: 16 lower-case hex digits. */
static int
box_id_ok(const char *s)
{
	return strlen(s) == 16 && strspn(s, "0123456789abcdef") == 16;
}

int
box_staff_parse(const char *line, struct box_staff_cmd *cmd,
    struct box_error *err)
{
	char words[WORDS_MAX][WORD_MAX];
	const char *p, *w;
	size_t n = 0, len, i;
	long long v;

	memset(cmd, 0, sizeof(*cmd));
	if (line == NULL)
		return 0;
	if (strnlen(line, BOX_COMMAND_MAX + 1) > BOX_COMMAND_MAX)
		return box_error_set(err, BOX_E_INPUT, 0, "command too long");
	for (p = line;;) {
		while (blank(*p))
			p++;
		if (*p == '\0' || *p == '\r' || *p == '\n')
			break;
		w = p;
		while (*p != '\0' && !blank(*p) && *p != '\r' && *p != '\n')
			p++;
		len = (size_t)(p - w);
		if (len == 2 && w[0] == '-' && w[1] == '-') {
			while (blank(*p))
				p++;
			if (*p == '\0')
				return usage(err, "nothing after --");
			cmd->command = p;
			break;
		}
		if (n == WORDS_MAX)
			return usage(err, "too many words");
		if (len >= WORD_MAX)
			return usage(err, "a word too long");
		memcpy(words[n], w, len);
		words[n++][len] = '\0';
	}
	/* Line breaks only at the very end, and only outside a command. */
	if (cmd->command == NULL && *p != '\0' &&
	    p[strspn(p, "\r\n")] != '\0')
		return usage(err, "one line only");
	if (n == 0) {
		if (cmd->command != NULL)
			return usage(err, "no verb before --");
		return 0;
	}
	if (strcmp(words[0], "new") == 0)
		cmd->verb = BOX_STAFF_NEW;
	else if (strcmp(words[0], "list") == 0)
		cmd->verb = BOX_STAFF_LIST;
	else if (strcmp(words[0], "attach") == 0)
		cmd->verb = BOX_STAFF_ATTACH;
	else if (strcmp(words[0], "kill") == 0)
		cmd->verb = BOX_STAFF_KILL;
	else if (strcmp(words[0], "extend") == 0)
		cmd->verb = BOX_STAFF_EXTEND;
	else if (strcmp(words[0], "invite") == 0)
		cmd->verb = BOX_STAFF_INVITE;
	else
		return usage(err, "unknown command");
	if (cmd->command != NULL && cmd->verb != BOX_STAFF_NEW &&
	    cmd->verb != BOX_STAFF_ATTACH)
		return usage(err, "only new and attach take -- COMMAND");
	for (i = 1; i < n; i++) {
		const char *o = words[i], *arg = i + 1 < n ? words[i + 1] :
		    NULL;

		if (strcmp(o, "--json") == 0) {
			if (cmd->json)
				return usage(err, "--json twice");
			cmd->json = 1;
			continue;
		}
		if (o[0] == '-' && arg == NULL)
			return usage(err, "an option without its value");
		if (strcmp(o, "--profile") == 0 && (cmd->verb == BOX_STAFF_NEW ||
		    cmd->verb == BOX_STAFF_INVITE)) {
			if (cmd->profile[0] != '\0' ||
			    !box_valid_name(arg, sizeof(cmd->profile) - 1))
				return usage(err, "--profile: one profile name");
			box_strlcpy(cmd->profile, arg, sizeof(cmd->profile));
		} else if (strcmp(o, "--ttl") == 0 &&
		    (cmd->verb == BOX_STAFF_NEW ||
		    cmd->verb == BOX_STAFF_INVITE)) {
			if (cmd->ttl != 0 || box_parse_duration(arg, &cmd->ttl,
			    NULL) < 0 || cmd->ttl <= 0)
				return usage(err, "--ttl: one duration with a "
				    "unit (30m, 2h)");
		} else if (strcmp(o, "--expires") == 0 &&
		    cmd->verb == BOX_STAFF_INVITE) {
			if (cmd->expires != 0 || box_parse_duration(arg,
			    &cmd->expires, NULL) < 0 || cmd->expires <= 0)
				return usage(err, "--expires: one duration "
				    "with a unit");
		} else if (strcmp(o, "--uses") == 0 &&
		    cmd->verb == BOX_STAFF_INVITE) {
			if (cmd->uses != 0 || box_parse_int(arg, 1, 1000, &v,
			    NULL) < 0)
				return usage(err, "--uses: a number from 1 to "
				    "1000");
			cmd->uses = (int)v;
		} else if (o[0] != '-' && cmd->box[0] == '\0' &&
		    (cmd->verb == BOX_STAFF_ATTACH ||
		    cmd->verb == BOX_STAFF_KILL ||
		    cmd->verb == BOX_STAFF_EXTEND)) {
			if (!box_id_ok(o))
				return usage(err, "not a box id (16 hex "
				    "digits, as list shows)");
			box_strlcpy(cmd->box, o, sizeof(cmd->box));
			continue;
		} else if (o[0] != '-' && cmd->verb == BOX_STAFF_EXTEND &&
		    cmd->box[0] != '\0' && cmd->ttl == 0) {
			if (box_parse_duration(o, &cmd->ttl, NULL) < 0 ||
			    cmd->ttl <= 0)
				return usage(err, "extend: a duration with a "
				    "unit (30m, 2h)");
			continue;
		} else {
			return usage(err, "an argument that does not belong");
		}
		i++;
	}
	switch (cmd->verb) {
	case BOX_STAFF_NEW:
	case BOX_STAFF_INVITE:
		if (cmd->profile[0] == '\0')
			return usage(err, "--profile P is required");
		if (cmd->json && cmd->command != NULL)
			return usage(err, "new --json makes a box and says "
			    "which: it takes no command");
		break;
	case BOX_STAFF_ATTACH:
	case BOX_STAFF_KILL:
		if (cmd->box[0] == '\0')
			return usage(err, "which box?");
		if (cmd->verb == BOX_STAFF_ATTACH && cmd->json &&
		    cmd->command != NULL)
			return usage(err, "attach --json says which box it "
			    "would attach to: it takes no command");
		break;
	case BOX_STAFF_EXTEND:
		if (cmd->box[0] == '\0' || cmd->ttl == 0)
			return usage(err, "extend BOX DURATION");
		break;
	default:
		break;
	}
	return 0;
}
