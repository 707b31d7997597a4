/* A runtime driver in memory, for unit tests (fake-runtime.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-runtime.h"
#include "core/util.h"

struct fake_world fake;

void
fake_add(const char *ref, const char *box_id, const char *instance)
{
	int i;

	for (i = 0; i < FAKE_MAX; i++) {
		if (fake.obj[i].live)
			continue;
		box_strlcpy(fake.obj[i].ref, ref, sizeof(fake.obj[i].ref));
		box_strlcpy(fake.obj[i].box_id, box_id,
		    sizeof(fake.obj[i].box_id));
		box_strlcpy(fake.obj[i].instance, instance,
		    sizeof(fake.obj[i].instance));
		fake.obj[i].live = 1;
		return;
	}
}

int
fake_live(const char *box_id)
{
	int i;

	for (i = 0; i < FAKE_MAX; i++)
		if (fake.obj[i].live && strcmp(fake.obj[i].box_id, box_id) == 0)
			return 1;
	return 0;
}

static struct fake_obj *
find(const char *ref)
{
	int i;

	for (i = 0; i < FAKE_MAX; i++)
		if (fake.obj[i].live && strcmp(fake.obj[i].ref, ref) == 0)
			return &fake.obj[i];
	return NULL;
}

static int
fake_create(struct box_runtime *rt, const struct box_spec *spec, char *ref,
    size_t refsz, struct box_error *err)
{
	char r[BOX_REF_MAX];

	if (fake.fail_create) {
		fake.fail_create = 0;
		return box_error_set(err, BOX_E_RUNTIME, 0, "fake create fails");
	}
	snprintf(r, sizeof(r), "fake-%s", spec->box_id);
	fake_add(r, spec->box_id, spec->instance);
	fake.creates++;
	return box_strlcpy(ref, r, refsz);
}

/*
 * The object that is box box_id of this instance, by ref (or its name):
 * 1 and *o; 0 when there is none; -1 (BOX_E_DENIED, counted) when it is
 * another box's or another instance's -- the rule every driver keeps.
 */
static int
own(struct box_runtime *rt, const char *box_id, const char *ref,
    struct fake_obj **o, struct box_error *err)
{
	char name[BOX_REF_MAX];

	if (ref == NULL || *ref == '\0') {
		snprintf(name, sizeof(name), "fake-%s", box_id);
		ref = name;
	}
	if ((*o = find(ref)) == NULL)
		return 0;
	if (strcmp((*o)->box_id, box_id) != 0 ||
	    strcmp((*o)->instance, rt->cfg->instance) != 0) {
		fake.refused++;
		return box_error_set(err, BOX_E_DENIED, 0, "%s is not box %s",
		    ref, box_id);
	}
	return 1;
}

static int
fake_destroy(struct box_runtime *rt, const char *box_id, const char *ref,
    struct box_error *err)
{
	struct fake_obj *o;
	int r;

	if ((r = own(rt, box_id, ref, &o, err)) <= 0)
		return r;
	o->live = 0;
	fake.destroys++;
	return 0;
}

static int
fake_pause(struct box_runtime *rt, const char *box_id, const char *ref,
    int on, struct box_error *err)
{
	struct fake_obj *o;
	int r;

	if ((r = own(rt, box_id, ref, &o, err)) < 0)
		return -1;
	if (r == 0)
		return box_error_set(err, BOX_E_NOTFOUND, 0, "box %s is gone",
		    box_id);
	o->paused = on;
	fake.pauses++;
	return 0;
}

static int
fake_describe(struct box_runtime *rt, const char *ref, int *exists,
    struct box_runtime_obj *obj, struct box_error *err)
{
	struct fake_obj *o = find(ref);

	memset(obj, 0, sizeof(*obj));
	*exists = o != NULL;
	if (o != NULL) {
		box_strlcpy(obj->ref, o->ref, sizeof(obj->ref));
		box_strlcpy(obj->box_id, o->box_id, sizeof(obj->box_id));
		box_strlcpy(obj->instance, o->instance, sizeof(obj->instance));
		obj->running = 1;
	}
	return 0;
}

static int
fake_inspect(struct box_runtime *rt, const char *ref, int *exists,
    int *running, struct box_error *err)
{
	*exists = *running = find(ref) != NULL;
	return 0;
}

static int
fake_list(struct box_runtime *rt, const char *instance,
    struct box_runtime_obj **objs, size_t *n, struct box_error *err)
{
	int i;

	*n = 0;
	if ((*objs = calloc(FAKE_MAX, sizeof(**objs))) == NULL)
		return box_error_set(err, BOX_E_INTERNAL, 0, "calloc");
	for (i = 0; i < FAKE_MAX; i++) {
		if (!fake.obj[i].live ||
		    strcmp(fake.obj[i].instance, instance) != 0)
			continue;
		box_strlcpy((*objs)[*n].ref, fake.obj[i].ref, BOX_REF_MAX);
		box_strlcpy((*objs)[*n].box_id, fake.obj[i].box_id,
		    BOX_ID_LEN + 1);
		(*objs)[(*n)++].running = 1;
	}
	return 0;
}

static int
fake_image_present(struct box_runtime *rt, const char *image, int *present,
    struct box_error *err)
{
	*present = 1;
	return 0;
}

const struct box_runtime_ops fake_ops = {
	.name = "fake",
	.create = fake_create,
	.destroy = fake_destroy,
	.pause = fake_pause,
	.inspect = fake_inspect,
	.describe = fake_describe,
	.image_present = fake_image_present,
	.list = fake_list,
};
