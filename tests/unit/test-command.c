/* Unit tests for lib/session/command.c: what box-shell makes of a guest's command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/command.h"
#include "tap.h"

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
	return tap_done();
}
