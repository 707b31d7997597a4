/* box-invite doctor: check an installation against sshbox's security model. */
#ifndef BOX_INVITE_DOCTOR_H
#define BOX_INVITE_DOCTOR_H

/* box-runtime's group and lock directory, as configure sets them (these
 * defaults are its own); init makes the directory, doctor checks it. */
#ifndef RUNTIME_GROUP
#define RUNTIME_GROUP		"docker"
#endif
#ifndef RUNTIME_LOCKDIR
#define RUNTIME_LOCKDIR		"/var/lib/sshbox-runtime"
#endif

/*
 * Run every check for the configuration at conf and print one line per
 * check (or, with json, a JSON array of {check, status, detail}).  argv[0]
 * is "doctor"; it takes [--sshd-config FILE] [--json].  Returns the exit
 * status: 0 when nothing FAILed, 1 when something did, 2 on a usage error.
 */
int	cmd_doctor(const char *conf, int argc, char **argv, int json);

#endif
