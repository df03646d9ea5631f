/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan-v1 parser. Every rule of spec/plan-v1.md is checked here and
 * nowhere else; an error names the JSON path of the offending member.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsd/plan.h"

static const char *const call_names[NSD_CALL_COUNT] = {
    [NSD_CALL_FORK] = "fork",     [NSD_CALL_THREAD] = "thread", [NSD_CALL_MSGGET] = "msgget",
    [NSD_CALL_SEMGET] = "semget", [NSD_CALL_SHMGET] = "shmget", [NSD_CALL_OPEN] = "open",
    [NSD_CALL_MSGCTL] = "msgctl", [NSD_CALL_SEMCTL] = "semctl", [NSD_CALL_SHMCTL] = "shmctl",
    [NSD_CALL_ANY] = "any",
};

/* The members each step kind allows besides "call". */
static const char *const step_members[NSD_CALL_COUNT][4] = {
    [NSD_CALL_FORK] = {"pid"},         [NSD_CALL_THREAD] = {"pid"},
    [NSD_CALL_MSGGET] = {"id", "key"}, [NSD_CALL_SEMGET] = {"id", "key"},
    [NSD_CALL_SHMGET] = {"id", "key"}, [NSD_CALL_OPEN] = {"fd", "path", "replace"},
    [NSD_CALL_MSGCTL] = {"id", "set"}, [NSD_CALL_SEMCTL] = {"id", "set"},
    [NSD_CALL_SHMCTL] = {"id", "set"}, [NSD_CALL_ANY] = {"value"},
};

static const struct {
	const char *name;
	enum nsd_set_field field;
	enum nsd_call call;
	int64_t max;
} set_fields[] = {
    {"qbytes", NSD_SET_QBYTES, NSD_CALL_MSGCTL, INT64_MAX},
    {"stime", NSD_SET_STIME, NSD_CALL_MSGCTL, INT64_MAX},
    {"rtime", NSD_SET_RTIME, NSD_CALL_MSGCTL, INT64_MAX},
    {"ctime", NSD_SET_CTIME, NSD_CALL_MSGCTL, INT64_MAX},
    {"lspid", NSD_SET_LSPID, NSD_CALL_MSGCTL, NSD_PID_MAX},
    {"lrpid", NSD_SET_LRPID, NSD_CALL_MSGCTL, NSD_PID_MAX},
    {"otime", NSD_SET_OTIME, NSD_CALL_SEMCTL, INT64_MAX},
    {"ctime", NSD_SET_CTIME, NSD_CALL_SEMCTL, INT64_MAX},
    {"sempid", NSD_SET_SEMPID, NSD_CALL_SEMCTL, NSD_PID_MAX},
    {"atime", NSD_SET_ATIME, NSD_CALL_SHMCTL, INT64_MAX},
    {"dtime", NSD_SET_DTIME, NSD_CALL_SHMCTL, INT64_MAX},
    {"ctime", NSD_SET_CTIME, NSD_CALL_SHMCTL, INT64_MAX},
    {"cpid", NSD_SET_CPID, NSD_CALL_SHMCTL, NSD_PID_MAX},
    {"lpid", NSD_SET_LPID, NSD_CALL_SHMCTL, NSD_PID_MAX},
};

const char *
nsd_call_name(enum nsd_call call)
{
	return call < NSD_CALL_COUNT ? call_names[call] : "?";
}

int
nsd_call_parse(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < NSD_CALL_COUNT; i++)
		if (strcmp(name, call_names[i]) == 0)
			return i;
	return -1;
}

const char *const *
nsd_call_syscalls(enum nsd_call call)
{
	static const char *const forks[] = {"fork", "vfork", "clone", "clone3", NULL};
	static const char *const threads[] = {"clone", "clone3", NULL};
	static const char *const opens[] = {"open", "openat", "openat2", "creat", NULL};
	static const char *const every[] = {"fork",   "vfork",  "clone",  "clone3", "msgget",
	                                    "semget", "shmget", "open",   "openat", "openat2",
	                                    "creat",  "msgctl", "semctl", "shmctl", NULL};
	static const char *const one[NSD_CALL_COUNT][2] = {
	    [NSD_CALL_MSGGET] = {"msgget", NULL}, [NSD_CALL_SEMGET] = {"semget", NULL},
	    [NSD_CALL_SHMGET] = {"shmget", NULL}, [NSD_CALL_MSGCTL] = {"msgctl", NULL},
	    [NSD_CALL_SEMCTL] = {"semctl", NULL}, [NSD_CALL_SHMCTL] = {"shmctl", NULL},
	};

	switch (call) {
	case NSD_CALL_FORK:
		return forks;
	case NSD_CALL_THREAD:
		return threads;
	case NSD_CALL_OPEN:
		return opens;
	case NSD_CALL_ANY:
		return every;
	default:
		return one[call];
	}
}

unsigned
nsd_plan_calls(const struct nsd_plan *plan)
{
	unsigned calls = 0;
	size_t i, j;

	for (i = 0; i < plan->ntasks; i++)
		for (j = 0; j < plan->tasks[i].nsteps; j++)
			calls |= 1u << plan->tasks[i].steps[j].call;
	return calls;
}

const char *
nsd_mode_name(enum nsd_mode mode)
{
	return mode == NSD_MODE_SECCOMP ? "seccomp" : "ptrace";
}

bool
nsd_call_creates_task(enum nsd_call call)
{
	return call == NSD_CALL_FORK || call == NSD_CALL_THREAD;
}

/* A JSON path under construction; appending never overflows, it truncates. */
struct path {
	char buf[256];
	size_t len;
};

static void
path_push(struct path *p, const char *fmt, ...)
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
static void
path_member(struct path *p, const char *name)
{
	const char *c;
	bool plain = *name != '\0' && strlen(name) <= 64;

	for (c = name; *c != '\0' && plain; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		        (*c >= '0' && *c <= '9') || *c == '_' || *c == '-';
	if (plain) {
		path_push(p, ".%s", name);
		return;
	}
	path_push(p, "[\"");
	for (c = name; *c != '\0' && c - name < 64; c++) {
		unsigned char u = (unsigned char)*c;
		if (u < 0x20 || u == '"' || u == '\\' || u >= 0x7f)
			path_push(p, "\\u%04x", u);
		else
			path_push(p, "%c", *c);
	}
	path_push(p, "%s\"]", *c != '\0' ? "..." : "");
}

static int
vfail(struct nsd_plan_error *err, const struct path *p, const char *fmt, va_list ap)
{
	snprintf(err->path, sizeof(err->path), "%s", p->buf);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	errno = EINVAL;
	return -1;
}

static int
fail(struct nsd_plan_error *err, const struct path *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(err, p, fmt, ap);
	va_end(ap);
	return -1;
}

/* An error at member `member` of the object at p. */
static int
fail_member(struct nsd_plan_error *err, const struct path *p, const char *member, const char *fmt,
            ...)
{
	struct path q = *p;
	va_list ap;

	path_member(&q, member);
	va_start(ap, fmt);
	vfail(err, &q, fmt, ap);
	va_end(ap);
	return -1;
}

static int
fail_nomem(struct nsd_plan_error *err)
{
	snprintf(err->path, sizeof(err->path), "$");
	snprintf(err->reason, sizeof(err->reason), "out of memory");
	errno = ENOMEM;
	return -1;
}

static const char *
json_type_name(json_t *v)
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
static int
check_members(json_t *obj, const char *const *allowed, size_t nallowed, struct nsd_plan_error *err,
              const struct path *p)
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
			return fail_member(err, p, name, "unknown member");
	}
	return 0;
}

/* Reads an integer member in [min, max]; returns 1 if present, 0 if absent. */
static int
get_int(json_t *obj, const char *name, bool required, int64_t min, int64_t max, int64_t *out,
        struct nsd_plan_error *err, const struct path *p)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL) {
		if (required)
			return fail_member(err, p, name, "required member is missing");
		return 0;
	}
	if (!json_is_integer(v))
		return fail_member(err, p, name, "must be an integer, not %s", json_type_name(v));
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return fail_member(err, p, name, "%lld is out of range %lld..%lld",
		                   (long long)json_integer_value(v), (long long)min,
		                   (long long)max);
	*out = json_integer_value(v);
	return 1;
}

static int
get_string(json_t *obj, const char *name, const char *const *choices, const char **out,
           struct nsd_plan_error *err, const struct path *p)
{
	json_t *v = json_object_get(obj, name);
	size_t i;

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return fail_member(err, p, name, "must be a string, not %s", json_type_name(v));
	*out = json_string_value(v);
	if (choices == NULL)
		return 1;
	for (i = 0; choices[i] != NULL; i++)
		if (strcmp(*out, choices[i]) == 0)
			return 1;
	return fail_member(err, p, name, "must be one of %s%s%s%s", choices[0],
	                   choices[1] ? ", " : "", choices[1] ? choices[1] : "",
	                   choices[1] && choices[2] ? ", ..." : "");
}

static int
get_bool(json_t *obj, const char *name, bool *out, struct nsd_plan_error *err, const struct path *p)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return fail_member(err, p, name, "must be a boolean, not %s", json_type_name(v));
	*out = json_is_true(v);
	return 1;
}

static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* "target", or a decimal pid 1..NSD_PID_MAX without sign or leading zero. */
static int32_t
task_key_pid(const char *key)
{
	long v = 0;
	const char *c;

	if (strcmp(key, "target") == 0)
		return 0;
	if (*key < '1' || *key > '9' || strlen(key) > 7)
		return -1;
	for (c = key; *c != '\0'; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (*c - '0');
	}
	return v <= NSD_PID_MAX ? (int32_t)v : -1;
}

static int
parse_pids(json_t *step, enum nsd_call call, struct nsd_step *s, struct nsd_plan_error *err,
           const struct path *p)
{
	json_t *v = json_object_get(step, "pid"), *e;
	struct path q = *p;
	size_t i;

	if (v == NULL)
		return fail_member(err, p, "pid", "required member is missing");
	path_member(&q, "pid");
	if (json_is_integer(v)) {
		int64_t pid;
		if (get_int(step, "pid", true, 1, NSD_PID_MAX, &pid, err, p) < 0)
			return -1;
		s->npids = 1;
		s->pids = malloc(sizeof(*s->pids));
		if (s->pids == NULL)
			return fail_nomem(err);
		s->pids[0] = (int32_t)pid;
		return 0;
	}
	if (call == NSD_CALL_THREAD)
		return fail(err, &q, "must be an integer (a thread has one tid), not %s",
		            json_type_name(v));
	if (!json_is_array(v))
		return fail(err, &q, "must be an integer or an array of integers, not %s",
		            json_type_name(v));
	if (json_array_size(v) == 0)
		return fail(err, &q, "must name at least one pid");
	if (json_array_size(v) > NSD_MAX_LEVELS)
		return fail(err, &q, "names %zu levels; at most %d pid namespace levels exist",
		            json_array_size(v), NSD_MAX_LEVELS);
	s->npids = json_array_size(v);
	s->pids = calloc(s->npids, sizeof(*s->pids));
	if (s->pids == NULL)
		return fail_nomem(err);
	json_array_foreach(v, i, e)
	{
		struct path r = q;
		path_push(&r, "[%zu]", i);
		if (!json_is_integer(e))
			return fail(err, &r, "must be an integer, not %s", json_type_name(e));
		if (json_integer_value(e) < 1 || json_integer_value(e) > NSD_PID_MAX)
			return fail(err, &r, "%lld is out of range 1..%d",
			            (long long)json_integer_value(e), NSD_PID_MAX);
		s->pids[i] = (int32_t)json_integer_value(e);
	}
	return 0;
}

static int
parse_set(json_t *step, enum nsd_call call, struct nsd_step *s, struct nsd_plan_error *err,
          const struct path *p)
{
	json_t *obj = json_object_get(step, "set"), *v;
	struct path q = *p;
	const char *name;
	size_t i;

	if (obj == NULL)
		return 0;
	path_member(&q, "set");
	if (!json_is_object(obj))
		return fail(err, &q, "must be an object, not %s", json_type_name(obj));
	s->set = calloc(1, sizeof(*s->set));
	if (s->set == NULL)
		return fail_nomem(err);
	json_object_foreach(obj, name, v)
	{
		for (i = 0; i < sizeof(set_fields) / sizeof(set_fields[0]); i++)
			if (set_fields[i].call == call && strcmp(set_fields[i].name, name) == 0)
				break;
		if (i == sizeof(set_fields) / sizeof(set_fields[0]))
			return fail_member(err, &q, name, "unknown member: %s cannot set it",
			                   nsd_call_name(call));
		if (set_fields[i].field == NSD_SET_SEMPID) {
			json_t *e;
			size_t j;
			struct path r = q;
			path_member(&r, name);
			if (!json_is_array(v))
				return fail(err, &r, "must be an array of pids, not %s",
				            json_type_name(v));
			if (json_array_size(v) > NSD_MAX_SEMS)
				return fail(err, &r, "has %zu entries; a set has at most %d",
				            json_array_size(v), NSD_MAX_SEMS);
			s->set->nsempid = json_array_size(v);
			s->set->sempid = calloc(s->set->nsempid + 1, sizeof(int32_t));
			if (s->set->sempid == NULL)
				return fail_nomem(err);
			json_array_foreach(v, j, e)
			{
				struct path t = r;
				path_push(&t, "[%zu]", j);
				if (!json_is_integer(e))
					return fail(err, &t, "must be an integer, not %s",
					            json_type_name(e));
				if (json_integer_value(e) < 0 ||
				    json_integer_value(e) > NSD_PID_MAX)
					return fail(err, &t, "%lld is out of range 0..%d",
					            (long long)json_integer_value(e), NSD_PID_MAX);
				s->set->sempid[j] = (int32_t)json_integer_value(e);
			}
		} else if (get_int(obj, name, true, 0, set_fields[i].max,
		                   &s->set->value[set_fields[i].field], err, &q) < 0) {
			return -1;
		}
		s->set->mask |= 1u << set_fields[i].field;
	}
	return 0;
}

static int
parse_step(json_t *step, struct nsd_step *s, struct nsd_plan_error *err, const struct path *p)
{
	const char *call;
	int64_t v;
	int i;

	if (!json_is_object(step))
		return fail(err, p, "a step must be an object, not %s", json_type_name(step));
	if (get_string(step, "call", NULL, &call, err, p) < 0)
		return -1;
	if (json_object_get(step, "call") == NULL)
		return fail_member(err, p, "call", "required member is missing");
	if ((i = nsd_call_parse(call)) < 0)
		return fail_member(err, p, "call",
		                   "unknown call '%.32s' (fork, thread, msgget, semget, shmget, "
		                   "open, msgctl, semctl, shmctl, any)",
		                   call);
	s->call = (enum nsd_call)i;

	{
		const char *allowed[5] = {"call"};
		memcpy(allowed + 1, step_members[i], sizeof(step_members[i]));
		if (check_members(step, allowed, 5, err, p) < 0)
			return -1;
	}

	switch (s->call) {
	case NSD_CALL_FORK:
	case NSD_CALL_THREAD:
		return parse_pids(step, s->call, s, err, p);
	case NSD_CALL_MSGGET:
	case NSD_CALL_SEMGET:
	case NSD_CALL_SHMGET:
		if (get_int(step, "id", true, 0, NSD_IPC_ID_MAX, &s->id, err, p) < 0)
			return -1;
		/* key_t is a 32-bit int; ipcmk and ipcs print keys unsigned. */
		switch (get_int(step, "key", false, INT32_MIN, UINT32_MAX, &v, err, p)) {
		case -1:
			return -1;
		case 1:
			s->has_key = true;
			s->key = (int32_t)(uint32_t)v;
		}
		return 0;
	case NSD_CALL_OPEN: {
		const char *path = NULL;
		if (get_int(step, "fd", true, 0, NSD_FD_MAX, &s->id, err, p) < 0)
			return -1;
		if (get_string(step, "path", NULL, &path, err, p) < 0)
			return -1;
		if (path != NULL) {
			if (*path == '\0' || strlen(path) >= 4096)
				return fail_member(err, p, "path",
				                   "must be 1 to 4095 bytes (PATH_MAX)");
			s->path = strdup(path);
			if (s->path == NULL)
				return fail_nomem(err);
		}
		return get_bool(step, "replace", &s->replace, err, p) < 0 ? -1 : 0;
	}
	case NSD_CALL_MSGCTL:
	case NSD_CALL_SEMCTL:
	case NSD_CALL_SHMCTL:
		if (get_int(step, "id", true, 0, NSD_IPC_ID_MAX, &s->id, err, p) < 0)
			return -1;
		return parse_set(step, s->call, s, err, p);
	case NSD_CALL_ANY:
		return get_int(step, "value", true, 0, NSD_IPC_ID_MAX, &s->id, err, p) < 0 ? -1 : 0;
	case NSD_CALL_COUNT:
		break;
	}
	return 0;
}

ssize_t
nsd_plan_task_index(const struct nsd_plan *plan, const char *key)
{
	size_t i;

	for (i = 0; i < plan->ntasks; i++)
		if (strcmp(plan->tasks[i].key, key) == 0)
			return (ssize_t)i;
	return -1;
}

/* A claimed id: its kind (fork and thread share one space), value and where. */
struct claim {
	int32_t kind;
	int32_t value;
	size_t task, step;
};

static int
cmp_claim(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	if (x->task != y->task)
		return x->task < y->task ? -1 : 1;
	return x->step < y->step ? -1 : x->step > y->step;
}

/* Orders claims by kind and value only, to look one up with bsearch. */
static int
cmp_claim_value(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->value > y->value) - (x->value < y->value);
}

static void
step_path(struct path *q, const struct nsd_plan *plan, size_t task, size_t step)
{
	snprintf(q->buf, sizeof(q->buf), "$.tasks");
	q->len = strlen(q->buf);
	path_member(q, plan->tasks[task].key);
	path_push(q, "[%zu]", step);
}

/* A container's OCI id, or a CRI container's NAMESPACE/POD/CONTAINER. */
bool
nsd_container_name_ok(const char *s)
{
	static const char chars[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/";
	const char *slash;
	size_t n = strlen(s), slashes = 0;

	if (n == 0 || n > 1024 || strspn(s, chars) != n || s[0] == '/' || s[n - 1] == '/')
		return false;
	for (slash = strchr(s, '/'); slash != NULL; slash = strchr(slash + 1, '/'))
		if (++slashes > 2 || slash[1] == '/')
			return false;
	return slashes == 0 || slashes == 2;
}

/* $.target of a container's plan: {"container": ID, "wait_ms": N}. */
static int
target_container(json_t *v, struct nsd_plan *plan, struct nsd_plan_error *err)
{
	static const char *const members[] = {"container", "wait_ms"};
	struct path q = {"$.target", 8};
	const char *id = NULL;

	if (check_members(v, members, 2, err, &q) < 0 ||
	    get_string(v, "container", NULL, &id, err, &q) < 0 ||
	    get_int(v, "wait_ms", false, 1, NSD_TIMEOUT_MAX, &plan->wait_ms, err, &q) < 0)
		return -1;
	if (!nsd_container_name_ok(id))
		return fail_member(err, &q, "container",
		                   "must be a container id, or NAMESPACE/POD/CONTAINER of a CRI "
		                   "container: 1 to 1024 of [A-Za-z0-9_.-], and 0 or 2 slashes");
	if ((plan->target_container = strdup(id)) == NULL) {
		fail_nomem(err);
		return -1;
	}
	plan->has_target = true;
	return 0;
}

/*
 * Cross-step rules: unique pids and IPC ids, every pid key created by exactly
 * one step, and every task reachable from the target.
 */
static int
check_claims(struct nsd_plan *plan, struct nsd_plan_error *err)
{
	struct claim *c;
	size_t n = 0, i, j, k;
	struct path q;
	int rc = -1;

	c = calloc(plan->nsteps + 1, sizeof(*c));
	if (c == NULL)
		return fail_nomem(err);
	for (i = 0; i < plan->ntasks; i++) {
		for (j = 0; j < plan->tasks[i].nsteps; j++) {
			struct nsd_step *s = &plan->tasks[i].steps[j];
			if (nsd_call_creates_task(s->call))
				c[n++] = (struct claim){0, s->pids[0], i, j};
			else if (s->call >= NSD_CALL_MSGGET && s->call <= NSD_CALL_SHMGET)
				c[n++] = (struct claim){(int32_t)s->call, (int32_t)s->id, i, j};
		}
	}
	qsort(c, n, sizeof(*c), cmp_claim);
	for (i = 1; i < n; i++) {
		if (c[i].kind == c[i - 1].kind && c[i].value == c[i - 1].value) {
			struct path other;
			step_path(&other, plan, c[i - 1].task, c[i - 1].step);
			step_path(&q, plan, c[i].task, c[i].step);
			path_member(&q, c[i].kind == 0 ? "pid" : "id");
			fail(err, &q, "%s %d is already claimed by %s",
			     c[i].kind == 0 ? "pid" : "IPC id", c[i].value, other.buf);
			goto out;
		}
	}

	/* Every pid key must be created by a step: find its creator. */
	for (i = 0; i < plan->ntasks; i++) {
		struct nsd_task_plan *t = &plan->tasks[i];
		struct claim key = {0, t->pid, 0, 0}, *hit;
		if (t->pid == 0)
			continue;
		hit = bsearch(&key, c, n, sizeof(*c), cmp_claim_value);
		if (hit == NULL) {
			snprintf(q.buf, sizeof(q.buf), "$.tasks");
			q.len = strlen(q.buf);
			path_member(&q, t->key);
			fail(err, &q, "no fork or thread step creates task %s", t->key);
			goto out;
		}
		t->creator = (int32_t)hit->task;
		t->creator_step = hit->step;
	}
	/* Walk each task's creators up to the target; a cycle never gets there. */
	for (i = 0; i < plan->ntasks; i++) {
		int32_t cur = (int32_t)i;
		for (k = 0; k <= plan->ntasks && plan->tasks[cur].pid != 0; k++)
			cur = plan->tasks[cur].creator;
		if (plan->tasks[cur].pid != 0) {
			snprintf(q.buf, sizeof(q.buf), "$.tasks");
			q.len = strlen(q.buf);
			path_member(&q, plan->tasks[i].key);
			fail(err, &q, "task %s is created by its own descendant",
			     plan->tasks[i].key);
			goto out;
		}
	}
	rc = 0;
out:
	free(c);
	return rc;
}

static int
parse_tasks(json_t *tasks, struct nsd_plan *plan, struct nsd_plan_error *err)
{
	struct path p = {"$.tasks", 7};
	const char *key;
	json_t *steps, *step;
	size_t i = 0, j, total = 0;

	if (!json_is_object(tasks))
		return fail(err, &p, "must be an object of task key -> steps, not %s",
		            json_type_name(tasks));
	if (json_object_size(tasks) > NSD_MAX_TASKS)
		return fail(err, &p, "has %zu tasks; at most %d are allowed",
		            json_object_size(tasks), NSD_MAX_TASKS);
	json_object_foreach(tasks, key, steps)
	{
		struct path q = p;
		path_member(&q, key);
		if (task_key_pid(key) < 0)
			return fail(err, &q, "a task key is \"target\" or a decimal pid 1..%d",
			            NSD_PID_MAX);
		if (!json_is_array(steps))
			return fail(err, &q, "must be an array of steps, not %s",
			            json_type_name(steps));
		total += json_array_size(steps);
		if (total > NSD_MAX_STEPS)
			return fail(err, &q, "the plan has more than %d steps", NSD_MAX_STEPS);
	}
	plan->tasks = calloc(json_object_size(tasks) + 1, sizeof(*plan->tasks));
	if (plan->tasks == NULL)
		return fail_nomem(err);
	json_object_foreach(tasks, key, steps)
	{
		struct nsd_task_plan *t = &plan->tasks[i++];
		plan->ntasks = i;
		snprintf(t->key, sizeof(t->key), "%s", key);
		t->pid = task_key_pid(key);
		t->creator = -1;
		t->steps = calloc(json_array_size(steps) + 1, sizeof(*t->steps));
		if (t->steps == NULL)
			return fail_nomem(err);
		json_array_foreach(steps, j, step)
		{
			struct path q = p;
			path_member(&q, key);
			path_push(&q, "[%zu]", j);
			t->nsteps = j + 1;
			if (parse_step(step, &t->steps[j], err, &q) < 0)
				return -1;
		}
	}
	plan->nsteps = total;
	return check_claims(plan, err);
}

int
nsd_plan_from_json(json_t *doc, int flags, struct nsd_plan **out, struct nsd_plan_error *err)
{
	static const char *const top[] = {"version",           "name",   "target",     "mode",
	                                  "on_failure",        "strict", "timeout_ms", "tasks",
	                                  "next_syscall_data", "check"};
	static const char *const modes[] = {"ptrace", "seccomp", NULL};
	static const char *const failures[] = {"detach", "kill", NULL};
	struct path p = {"$", 1};
	struct nsd_plan *plan;
	const char *s;
	json_t *v;
	int64_t n;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (!json_is_object(doc))
		return fail(err, &p, "a plan is a JSON object, not %s", json_type_name(doc));
	if (check_members(doc, top, sizeof(top) / sizeof(top[0]), err, &p) < 0)
		return -1;
	if (get_int(doc, "version", true, INT64_MIN, INT64_MAX, &n, err, &p) < 0)
		return -1;
	if (n != 1)
		return fail_member(err, &p, "version",
		                   "unsupported version %lld; this is version 1", (long long)n);

	plan = calloc(1, sizeof(*plan));
	if (plan == NULL)
		return fail_nomem(err);

	switch (get_string(doc, "name", NULL, &s, err, &p)) {
	case -1:
		goto fail;
	case 1:
		if (!valid_name(s)) {
			fail_member(err, &p, "name", "must match [A-Za-z0-9._-]{1,64}");
			goto fail;
		}
		if ((plan->name = strdup(s)) == NULL) {
			fail_nomem(err);
			goto fail;
		}
	}

	v = json_object_get(doc, "target");
	if (v != NULL && json_object_get(v, "container") != NULL) {
		if (target_container(v, plan, err) < 0)
			goto fail;
	} else if (v != NULL) {
		static const char *const members[] = {"pid", "start_time"};
		struct path q = {"$.target", 8};
		if (!json_is_object(v)) {
			fail(err, &q, "must be an object {\"pid\": N}, not %s", json_type_name(v));
			goto fail;
		}
		if (check_members(v, members, 2, err, &q) < 0 ||
		    get_int(v, "pid", true, 1, NSD_PID_MAX, &n, err, &q) < 0)
			goto fail;
		plan->has_target = true;
		plan->target_pid = (int32_t)n;
		switch (get_int(v, "start_time", false, 0, INT64_MAX, &n, err, &q)) {
		case -1:
			goto fail;
		case 1:
			plan->has_start_time = true;
			plan->start_time = (uint64_t)n;
		}
	} else if (flags & NSD_PLAN_REQUIRE_TARGET) {
		fail_member(err, &p, "target", "required to submit a plan: the task to attach to");
		goto fail;
	}

	s = "ptrace";
	if (get_string(doc, "mode", modes, &s, err, &p) < 0)
		goto fail;
	plan->mode = strcmp(s, "seccomp") == 0 ? NSD_MODE_SECCOMP : NSD_MODE_PTRACE;
	s = "detach";
	if (get_string(doc, "on_failure", failures, &s, err, &p) < 0)
		goto fail;
	plan->on_failure = strcmp(s, "kill") == 0 ? NSD_ON_FAILURE_KILL : NSD_ON_FAILURE_DETACH;
	if (get_bool(doc, "strict", &plan->strict, err, &p) < 0 ||
	    get_bool(doc, "next_syscall_data", &plan->next_syscall_data, err, &p) < 0)
		goto fail;
	plan->check = true;
	if (get_bool(doc, "check", &plan->check, err, &p) < 0)
		goto fail;
	if (get_int(doc, "timeout_ms", false, 1, NSD_TIMEOUT_MAX, &plan->timeout_ms, err, &p) < 0)
		goto fail;

	v = json_object_get(doc, "tasks");
	if (v == NULL) {
		fail_member(err, &p, "tasks", "required member is missing");
		goto fail;
	}
	if (parse_tasks(v, plan, err) < 0)
		goto fail;
	*out = plan;
	return 0;
fail:
	n = errno;
	nsd_plan_free(plan);
	errno = (int)n;
	return -1;
}

int
nsd_plan_parse(const char *text, size_t len, int flags, struct nsd_plan **out,
               struct nsd_plan_error *err)
{
	json_error_t jerr;
	json_t *doc;
	int rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (len > NSD_MAX_PLAN_SIZE) {
		snprintf(err->path, sizeof(err->path), "$");
		snprintf(err->reason, sizeof(err->reason), "the plan is %zu bytes; at most %u", len,
		         NSD_MAX_PLAN_SIZE);
		errno = EINVAL;
		return -1;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		snprintf(err->path, sizeof(err->path), "$");
		snprintf(err->reason, sizeof(err->reason), "line %d, column %d: %s", jerr.line,
		         jerr.column, jerr.text);
		errno = EINVAL;
		return -1;
	}
	rc = nsd_plan_from_json(doc, flags, out, err);
	json_decref(doc);
	return rc;
}

void
nsd_plan_drop_steps(struct nsd_plan *plan)
{
	size_t i, j;

	for (i = 0; plan != NULL && i < plan->ntasks; i++) {
		for (j = 0; plan->tasks[i].steps != NULL && j < plan->tasks[i].nsteps; j++) {
			struct nsd_step *s = &plan->tasks[i].steps[j];
			free(s->pids);
			free(s->path);
			if (s->set != NULL)
				free(s->set->sempid);
			free(s->set);
		}
		free(plan->tasks[i].steps);
		plan->tasks[i].steps = NULL;
	}
}

void
nsd_plan_free(struct nsd_plan *plan)
{
	if (plan == NULL)
		return;
	nsd_plan_drop_steps(plan);
	free(plan->tasks);
	free(plan->name);
	free(plan->target_container);
	free(plan);
}
