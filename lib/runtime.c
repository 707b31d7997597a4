/* Runtime drivers: choosing one by name and releasing it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"
#include "log.h"
#include "runtime.h"

static const struct box_runtime_ops *const drivers[] = {
	&box_docker_ops,
};

int
box_runtime_open(const char *name, const struct box_config *cfg,
    struct box_runtime **out, struct box_error *err)
{
	struct box_runtime *rt;
	char safe[64];
	size_t i;

	*out = NULL;
	if (name == NULL || *name == '\0')
		name = "docker";
	for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (strcmp(drivers[i]->name, name) != 0)
			continue;
		if ((rt = calloc(1, sizeof(*rt))) == NULL)
			return box_error_set(err, BOX_E_INTERNAL, errno,
			    "runtime %s", name);
		/* Unprivileged programs reach the runtime through
		 * box-runtime only. */
		rt->ops = box_helper_active() ? &box_helper_ops : drivers[i];
		rt->cfg = cfg;
		*out = rt;
		return 0;
	}
	return box_error_set(err, BOX_E_CONFIG, 0, "unknown runtime \"%s\"",
	    box_log_safe(name, safe, sizeof(safe)));
}

int
box_valid_term(const char *term)
{
	size_t n;

	if (term == NULL || (n = strlen(term)) == 0 || n > 64)
		return 0;
	return strspn(term, "abcdefghijklmnopqrstuvwxyz0123456789-+._") == n;
}

void
box_runtime_free(struct box_runtime *rt)
{
	if (rt == NULL)
		return;
	if (rt->ops != NULL && rt->ops->free != NULL)
		rt->ops->free(rt);
	free(rt);
}
