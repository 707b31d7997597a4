/* box-invite doctor: check an installation against sshbox's security model. */
#ifndef BOX_INVITE_DOCTOR_H
#define BOX_INVITE_DOCTOR_H

/*
 * Run every check for the configuration at conf and print one line per
 * check (or, with json, a JSON array of {check, status, detail}).  argv[0]
 * is "doctor"; it takes [--sshd-config FILE] [--json].  Returns the exit
 * status: 0 when nothing FAILed, 1 when something did, 2 on a usage error.
 */
int	cmd_doctor(const char *conf, int argc, char **argv, int json);

#endif
