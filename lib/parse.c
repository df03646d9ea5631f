/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan parser's checked JSON access: members, numbers, strings and
 * booleans read with their bounds, and an error that names the JSON path
 * of what is wrong ($.tasks.target[2].pid).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

void
pj_path_push(struct path *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->len >= sizeof(p->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->buf + p->len, sizeof(p->buf) - p->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->len +=
		    (size_t)n < sizeof(p->buf) - p->len ? (size_t)n : sizeof(p->buf) - 1 - p->len;
}

/* Appends an object member: .name when it is a plain word, else ["..."]. */
void
pj_path_member(struct path *p, const char *name)
{
	const char *c;
	bool plain = *name != '\0' && strlen(name) <= 64;

	for (c = name; *c != '\0' && plain; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		        (*c >= '0' && *c <= '9') || *c == '_' || *c == '-';
	if (plain) {
		pj_path_push(p, ".%s", name);
		return;
	}
	pj_path_push(p, "[\"");
	for (c = name; *c != '\0' && c - name < 64; c++) {
		unsigned char u = (unsigned char)*c;
		if (u < 0x20 || u == '"' || u == '\\' || u >= 0x7f)
			pj_path_push(p, "\\u%04x", u);
		else
			pj_path_push(p, "%c", *c);
	}
	pj_path_push(p, "%s\"]", *c != '\0' ? "..." : "");
}

int
pj_vfail(struct nsd_plan_error *err, const struct path *p, const char *fmt, va_list ap)
{
	snprintf(err->path, sizeof(err->path), "%s", p->buf);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	errno = EINVAL;
	return -1;
}

int
pj_fail(struct nsd_plan_error *err, const struct path *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pj_vfail(err, p, fmt, ap);
	va_end(ap);
	return -1;
}

/* An error at member `member` of the object at p. */
int
pj_fail_member(struct nsd_plan_error *err, const struct path *p, const char *member,
               const char *fmt, ...)
{
	struct path q = *p;
	va_list ap;

	pj_path_member(&q, member);
	va_start(ap, fmt);
	pj_vfail(err, &q, fmt, ap);
	va_end(ap);
	return -1;
}

int
pj_fail_nomem(struct nsd_plan_error *err)
{
	snprintf(err->path, sizeof(err->path), "$");
	snprintf(err->reason, sizeof(err->reason), "out of memory");
	errno = ENOMEM;
	return -1;
}

const char *
pj_json_type_name(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction or exponent";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

/* Rejects members of obj that are not in allowed[]: typos must never pass. */
int
pj_check_members(json_t *obj, const char *const *allowed, size_t nallowed,
                 struct nsd_plan_error *err, const struct path *p)
{
	const char *name;
	json_t *v;
	size_t i;

	json_object_foreach(obj, name, v)
	{
		for (i = 0; i < nallowed && allowed[i] != NULL; i++)
			if (strcmp(name, allowed[i]) == 0)
				break;
		if (i == nallowed || allowed[i] == NULL)
			return pj_fail_member(err, p, name, "unknown member");
	}
	return 0;
}

/* Reads an integer member in [min, max]; returns 1 if present, 0 if absent. */
int
pj_get_int(json_t *obj, const char *name, bool required, int64_t min, int64_t max, int64_t *out,
           struct nsd_plan_error *err, const struct path *p)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL) {
		if (required)
			return pj_fail_member(err, p, name, "required member is missing");
		return 0;
	}
	if (!json_is_integer(v))
		return pj_fail_member(err, p, name, "must be an integer, not %s",
		                      pj_json_type_name(v));
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return pj_fail_member(err, p, name, "%lld is out of range %lld..%lld",
		                      (long long)json_integer_value(v), (long long)min,
		                      (long long)max);
	*out = json_integer_value(v);
	return 1;
}

int
pj_get_string(json_t *obj, const char *name, const char *const *choices, const char **out,
              struct nsd_plan_error *err, const struct path *p)
{
	json_t *v = json_object_get(obj, name);
	size_t i;

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return pj_fail_member(err, p, name, "must be a string, not %s",
		                      pj_json_type_name(v));
	*out = json_string_value(v);
	if (choices == NULL)
		return 1;
	for (i = 0; choices[i] != NULL; i++)
		if (strcmp(*out, choices[i]) == 0)
			return 1;
	return pj_fail_member(err, p, name, "must be one of %s%s%s%s", choices[0],
	                      choices[1] ? ", " : "", choices[1] ? choices[1] : "",
	                      choices[1] && choices[2] ? ", ..." : "");
}

int
pj_get_bool(json_t *obj, const char *name, bool *out, struct nsd_plan_error *err,
            const struct path *p)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return pj_fail_member(err, p, name, "must be a boolean, not %s",
		                      pj_json_type_name(v));
	*out = json_is_true(v);
	return 1;
}
