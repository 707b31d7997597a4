/*
 * Privilege helpers (libcap): the guest-facing programs shed every
 * capability they might have inherited and set no_new_privs before they
 * touch untrusted input.
 */
#ifndef BOX_PRIV_H
#define BOX_PRIV_H

#include "core/error.h"

/* Clear effective, permitted and inheritable capabilities, set
 * PR_SET_NO_NEW_PRIVS, and box_priv_undumpable().  0 or -1. */
int	box_priv_drop(struct box_error *err);

/* Not dumpable: no ptrace or /proc/PID/mem by the same account.  0 or -1. */
int	box_priv_undumpable(struct box_error *err);

/*
 * For a program started as root that is about to handle what the box
 * account owns (the state, rows, runtime references): become that account
 * for good: supplementary groups, real, effective and saved ids, checked
 * afterwards, and undumpable.  Whatever it then opens or changes, it does
 * with the box account's own rights, so no link or row planted by that
 * account can lead root anywhere.  0 or -1 (BOX_E_CONFIG when the account
 * is missing or is root).
 */
int	box_priv_become(const char *user, struct box_error *err);

/* 1 if the process holds any effective capability, 0 if not, -1 on error. */
int	box_priv_has_caps(void);

#endif
