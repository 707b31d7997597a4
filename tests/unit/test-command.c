/* Unit tests for lib/session/command.c: what box-shell makes of a guest's command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/command.h"
#include "session/staffcmd.h"
#include "tap.h"

/* Staff commands: verbs, options, a command after --; the rest refused
 * with the usage. */
static void
test_staff(void)
{
	struct box_staff_cmd sc;
	struct box_error err;

	ok(box_staff_parse(NULL, &sc, &err) == 0 && sc.verb == BOX_STAFF_HELP,
	    "staff: no command is help");
	ok(box_staff_parse("  ", &sc, &err) == 0 && sc.verb == BOX_STAFF_HELP,
	    "staff: blanks are help");
	ok(box_staff_parse("new --profile dev --ttl 2h --json", &sc, &err) ==
	    0 && sc.verb == BOX_STAFF_NEW && strcmp(sc.profile, "dev") == 0 &&
	    sc.ttl == 7200 && sc.json && sc.command == NULL, "new, all options");
	ok(box_staff_parse("new --profile dev -- make test; echo $HOME", &sc,
	    &err) == 0 && sc.command != NULL &&
	    strcmp(sc.command, "make test; echo $HOME") == 0,
	    "new -- COMMAND: the rest, whole");
	ok(box_staff_parse("list --json", &sc, &err) == 0 &&
	    sc.verb == BOX_STAFF_LIST && sc.json, "list --json");
	ok(box_staff_parse("attach 0123456789abcdef -- id", &sc, &err) == 0 &&
	    sc.verb == BOX_STAFF_ATTACH && strcmp(sc.box, "0123456789abcdef") ==
	    0 && strcmp(sc.command, "id") == 0, "attach BOX -- COMMAND");
	ok(box_staff_parse("attach 0123456789abcdef --json", &sc, &err) == 0 &&
	    sc.verb == BOX_STAFF_ATTACH && sc.json && sc.command == NULL,
	    "attach BOX --json");
	ok(box_staff_parse("kill 0123456789abcdef --json", &sc, &err) == 0 &&
	    sc.verb == BOX_STAFF_KILL && sc.json, "kill BOX --json");
	ok(box_staff_parse("extend 0123456789abcdef 30m", &sc, &err) == 0 &&
	    sc.verb == BOX_STAFF_EXTEND && sc.ttl == 1800, "extend BOX 30m");
	ok(box_staff_parse("invite --profile dev --uses 3 --expires 2d", &sc,
	    &err) == 0 && sc.verb == BOX_STAFF_INVITE && sc.uses == 3 &&
	    sc.expires == 2 * 86400, "invite with uses and expiry");
	{
		static const char *const bad[] = { "frobnicate", "new",
		    "new --profile", "new --profile ../x", "new --profile a "
		    "--profile b", "new --profile dev --ttl 30",
		    "new --profile dev --ttl -1m", "new --profile dev --json -- id",
		    "list extra", "list -- id", "attach", "attach xyz",
		    "attach 0123456789ABCDEF", "attach 0123456789abcdef --json -- id",
		    "kill", "kill 0123456789abcdef0", "extend 0123456789abcdef",
		    "extend 0123456789abcdef 10", "extend 30m",
		    "invite --uses 3", "invite --profile dev --uses 0",
		    "invite --profile dev --uses 1001", "new --profile dev\nid",
		    "--", "-- id", "new --json --json --profile x",
		    "kill 0123456789abcdef -- id" };
		char name[96];
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(name, sizeof(name), "staff refused: \"%.40s\"",
			    bad[i]);
			ok(box_staff_parse(bad[i], &sc, &err) < 0 &&
			    err.kind == BOX_E_INPUT &&
			    strstr(err.msg, "staff commands: new") != NULL, name);
		}
	}
}

int
main(void)
{
	struct box_error err;
	struct box_cmd cmd;
	char *big;

	{
		char out[512];

		ok(box_command_tools("/usr/lib/openssh/sftp-server", out,
		    sizeof(out)) == 0 && strcmp(out, "if [ -x /.sshbox/tools/"
		    "sftp-server ]; then exec /.sshbox/tools/ld.so "
		    "--library-path /.sshbox/tools /.sshbox/tools/sftp-server; "
		    "else exec /usr/lib/openssh/sftp-server; fi") == 0,
		    "sftp-server runs the bastion's, else the image's");
		ok(box_command_tools("internal-sftp", out, sizeof(out)) == 0 &&
		    strstr(out, "/.sshbox/tools/sftp-server;") != NULL,
		    "internal-sftp too");
		ok(box_command_tools("scp -t /tmp/x", out, sizeof(out)) == 0 &&
		    strstr(out, "exec /.sshbox/tools/ld.so --library-path "
		    "/.sshbox/tools /.sshbox/tools/scp -t /tmp/x;") != NULL &&
		    strstr(out, "else exec scp -t /tmp/x; fi") != NULL,
		    "scp keeps the guest's arguments");
		ok(box_command_tools("scpx -t y", out, sizeof(out)) == 0 &&
		    strcmp(out, "scpx -t y") == 0, "scpx is not scp");
		ok(box_command_tools("/bin/scp -t y", out, sizeof(out)) == 0 &&
		    strcmp(out, "/bin/scp -t y") == 0,
		    "a path to an scp is the guest's own");
		ok(box_command_tools("ls -l", out, sizeof(out)) == 0 &&
		    strcmp(out, "ls -l") == 0, "other commands are unchanged");
		is_int(box_command_tools("scp -t /tmp/x", out, 40), -1,
		    "a buffer too small: refused, not cut");
	}
	ok(box_command_parse(NULL, &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_SHELL, "no command: shell");
	ok(box_command_parse("", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_SHELL, "empty command: shell");
	ok(box_command_parse("ls -l", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_EXEC && strcmp(cmd.exec, "ls -l") == 0,
	    "a command is passed whole");
	ok(box_command_parse("redeemer x", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_EXEC, "redeemer is not redeem");
	ok(box_command_parse("echo; rm -rf / $(x) `y` \n z", &cmd, &err) == 0
	    && cmd.kind == BOX_CMD_EXEC, "metacharacters stay the guest's");
	/* tcp PORT: a stream to a port in the box. */
	ok(box_command_parse("tcp 8080", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_TCP && cmd.port == 8080, "tcp PORT");
	ok(box_command_parse(" tcp\t1 \r\n", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_TCP && cmd.port == 1, "tcp with spaces trimmed");
	ok(box_command_parse("tcp 65535", &cmd, &err) == 0 &&
	    cmd.port == 65535, "tcp 65535");
	ok(box_command_parse("tcpdump -i lo", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_EXEC, "tcpdump is not tcp");
	{
		static const char *const bad[] = { "tcp", "tcp 0", "tcp 65536",
		    "tcp 000080x", "tcp 99999999999999999999", "tcp -1",
		    "tcp +80", "tcp 80 81", "tcp 80; rm -rf /", "tcp 80\nls",
		    "tcp 0x50", "tcp 8 0", "tcp 080", "tcp 00080" };
		char name[80];
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(name, sizeof(name), "tcp refused: \"%.20s\"",
			    bad[i]);
			ok(box_command_parse(bad[i], &cmd, &err) < 0 &&
			    strstr(err.msg, "usage: tcp PORT") != NULL, name);
		}
	}
	/* status [--json]: box-shell's own, said without a box. */
	ok(box_command_parse("status", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_STATUS && !cmd.json, "status");
	ok(box_command_parse(" status --json \r\n", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_STATUS && cmd.json, "status --json");
	ok(box_command_parse("statusbar", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_EXEC, "statusbar is not status");
	ok(box_command_parse("status; id", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_EXEC, "\"status; id\" is the box's");
	{
		static const char *const bad[] = { "status now",
		    "status --json x", "status --jsonx",
		    "status\nid", "status --json --json" };
		char name[80];
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(name, sizeof(name), "status refused: \"%.20s\"",
			    bad[i]);
			ok(box_command_parse(bad[i], &cmd, &err) < 0 &&
			    strstr(err.msg, "usage: status") != NULL, name);
		}
	}
	ok(box_command_parse("redeem sbx1_abc", &cmd, &err) == 0 &&
	    cmd.kind == BOX_CMD_REDEEM && !cmd.bind_only &&
	    strcmp(cmd.token, "sbx1_abc") == 0, "redeem TOKEN");
	ok(box_command_parse("  redeem\tsbx1_abc \r\n", &cmd, &err) == 0 &&
	    strcmp(cmd.token, "sbx1_abc") == 0, "redeem with spaces trimmed");
	ok(box_command_parse("redeem --bind-only sbx1_x", &cmd, &err) == 0 &&
	    cmd.bind_only && strcmp(cmd.token, "sbx1_x") == 0,
	    "redeem --bind-only TOKEN");
	ok(box_command_parse("redeem", &cmd, &err) < 0 &&
	    strstr(err.msg, "usage") != NULL, "redeem without token");
	ok(box_command_parse("redeem --bind-only", &cmd, &err) < 0,
	    "bind-only without token");
	ok(box_command_parse("redeem a b", &cmd, &err) < 0,
	    "redeem with two words");
	ok(box_command_parse("redeem a; rm -rf /", &cmd, &err) < 0,
	    "redeem with trailing command refused");
	ok(box_command_parse("redeem a\nls", &cmd, &err) < 0,
	    "redeem with a second line refused");
	big = malloc(BOX_COMMAND_MAX + 2);
	memset(big, 'x', BOX_COMMAND_MAX + 1);
	big[BOX_COMMAND_MAX + 1] = '\0';
	ok(box_command_parse(big, &cmd, &err) < 0, "huge command refused");
	memcpy(big, "redeem ", 7);
	big[7 + BOX_TOKEN_MAX + 1] = '\0';
	ok(box_command_parse(big, &cmd, &err) < 0, "huge token refused");
	free(big);
	test_staff();
	return tap_done();
}
