/* box-invite replay: play a session's recording back. */
#ifndef BOX_INVITE_REPLAY_H
#define BOX_INVITE_REPLAY_H

/*
 * box-invite replay [--html] [--file PATH] [--speed X] [--idle-limit S]
 * [SESSION], with the configuration at conf; argv[0] is "replay".  Prints
 * its errors; returns the exit status: 0, 1 on a failure, 2 on a usage
 * error.
 */
int	cmd_replay(const char *conf, int argc, char **argv);

#endif
