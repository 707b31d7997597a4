/*
 * Building JSON with json-c for the runtime drivers (Docker's requests,
 * the OCI bundles' config.json): add and push that take ownership of the
 * value and free it when they fail, so that a chain of them can stop at
 * the first failure without leaking.  Runtime code only: box-shell and
 * box-authkeys load no json-c.
 */
#ifndef BOX_JSONC_H
#define BOX_JSONC_H

#include <json-c/json.h>

/* o[key] = v; v NULL (an allocation that failed) is -1.  0 or -1. */
int	box_jc_add(json_object *o, const char *key, json_object *v);
/* a += v, likewise. */
int	box_jc_push(json_object *a, json_object *v);

#endif
