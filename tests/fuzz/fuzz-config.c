/* Fuzz target: sshbox.yaml and profile parsing from untrusted bytes. */
#include <string.h>

#include "config/config.h"
#include "fuzz.h"

FUZZ_ENTRY(config)
{
	static struct box_config cfg;
	static struct box_profile prof;
	struct box_error err;

	memset(&err, 0, sizeof(err));
	(void)box_config_parse((const char *)data, size, "/fuzz/sshbox.yaml",
	    &cfg, &err);
	(void)box_config_parse_profile((const char *)data, size,
	    "/fuzz/profile.yaml", "fuzz", &prof, &err);
	return 0;
}
