/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan parser's own helpers (lib/parse.c, lib/step.c), shared by its
 * files and hidden from libnsd's users.
 */
#ifndef NSD_PARSE_H
#define NSD_PARSE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "nsd/plan.h"

#define PJ_HIDDEN __attribute__((visibility("hidden")))

/* A JSON path under construction; appending never overflows, it truncates. */
struct path {
	char buf[256];
	size_t len;
};

PJ_HIDDEN void pj_path_push(struct path *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
PJ_HIDDEN void pj_path_member(struct path *p, const char *name);
PJ_HIDDEN int pj_vfail(struct nsd_plan_error *err, const struct path *p, const char *fmt,
                       va_list ap);
PJ_HIDDEN int pj_fail(struct nsd_plan_error *err, const struct path *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
PJ_HIDDEN int pj_fail_member(struct nsd_plan_error *err, const struct path *p, const char *member,
                             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
PJ_HIDDEN int pj_fail_nomem(struct nsd_plan_error *err);
PJ_HIDDEN const char *pj_json_type_name(json_t *v);
PJ_HIDDEN int pj_check_members(json_t *obj, const char *const *allowed, size_t nallowed,
                               struct nsd_plan_error *err, const struct path *p);
PJ_HIDDEN int pj_get_int(json_t *obj, const char *name, bool required, int64_t min, int64_t max,
                         int64_t *out, struct nsd_plan_error *err, const struct path *p);
PJ_HIDDEN int pj_get_string(json_t *obj, const char *name, const char *const *choices,
                            const char **out, struct nsd_plan_error *err, const struct path *p);
PJ_HIDDEN int pj_get_bool(json_t *obj, const char *name, bool *out, struct nsd_plan_error *err,
                          const struct path *p);
/* One step of a plan, at path p. */
PJ_HIDDEN int pj_parse_step(json_t *step, struct nsd_step *s, struct nsd_plan_error *err,
                            const struct path *p);

#endif
