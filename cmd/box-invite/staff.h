/* box-invite ca init, cert, cert revoke, cert list. */
#ifndef BOX_INVITE_STAFF_H
#define BOX_INVITE_STAFF_H

#include "config/config.h"
#include "core/error.h"

/* ca ..., cert ...: argv[0] is "ca" or "cert".  The exit status. */
int	cmd_staff(const char *conf, int argc, char **argv, int json);

/* The staff revocation list, made empty when missing (sshd refuses every
 * key while the RevokedKeys file cannot be read); *made says so.  Root. */
int	staff_krl_ensure(const struct box_config *cfg, int *made,
	    struct box_error *err);

#endif
