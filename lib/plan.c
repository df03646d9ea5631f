/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan-v1 parser: the document, its target and tasks, and the ids its
 * steps claim. Every rule of nsd-plan(5) is checked here, in step.c (one
 * step) and parse.c (checked JSON access), and nowhere else; an error names
 * the JSON path of the offending member.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

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
	pj_path_member(q, plan->tasks[task].key);
	pj_path_push(q, "[%zu]", step);
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

	if (pj_check_members(v, members, 2, err, &q) < 0 ||
	    pj_get_string(v, "container", NULL, &id, err, &q) < 0 ||
	    pj_get_int(v, "wait_ms", false, 1, NSD_TIMEOUT_MAX, &plan->wait_ms, err, &q) < 0)
		return -1;
	if (!nsd_container_name_ok(id))
		return pj_fail_member(err, &q, "container",
		                      "must be a container id, or NAMESPACE/POD/CONTAINER of a CRI "
		                      "container: 1 to 1024 of [A-Za-z0-9_.-], and 0 or 2 slashes");
	if ((plan->target_container = strdup(id)) == NULL) {
		pj_fail_nomem(err);
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
		return pj_fail_nomem(err);
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
			pj_path_member(&q, c[i].kind == 0 ? "pid" : "id");
			pj_fail(err, &q, "%s %d is already claimed by %s",
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
			pj_path_member(&q, t->key);
			pj_fail(err, &q, "no fork or thread step creates task %s", t->key);
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
			pj_path_member(&q, plan->tasks[i].key);
			pj_fail(err, &q, "task %s is created by its own descendant",
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
		return pj_fail(err, &p, "must be an object of task key -> steps, not %s",
		               pj_json_type_name(tasks));
	if (json_object_size(tasks) > NSD_MAX_TASKS)
		return pj_fail(err, &p, "has %zu tasks; at most %d are allowed",
		               json_object_size(tasks), NSD_MAX_TASKS);
	json_object_foreach(tasks, key, steps)
	{
		struct path q = p;
		pj_path_member(&q, key);
		if (task_key_pid(key) < 0)
			return pj_fail(err, &q, "a task key is \"target\" or a decimal pid 1..%d",
			               NSD_PID_MAX);
		if (!json_is_array(steps))
			return pj_fail(err, &q, "must be an array of steps, not %s",
			               pj_json_type_name(steps));
		total += json_array_size(steps);
		if (total > NSD_MAX_STEPS)
			return pj_fail(err, &q, "the plan has more than %d steps", NSD_MAX_STEPS);
	}
	plan->tasks = calloc(json_object_size(tasks) + 1, sizeof(*plan->tasks));
	if (plan->tasks == NULL)
		return pj_fail_nomem(err);
	json_object_foreach(tasks, key, steps)
	{
		struct nsd_task_plan *t = &plan->tasks[i++];
		plan->ntasks = i;
		snprintf(t->key, sizeof(t->key), "%s", key);
		t->pid = task_key_pid(key);
		t->creator = -1;
		t->steps = calloc(json_array_size(steps) + 1, sizeof(*t->steps));
		if (t->steps == NULL)
			return pj_fail_nomem(err);
		json_array_foreach(steps, j, step)
		{
			struct path q = p;
			pj_path_member(&q, key);
			pj_path_push(&q, "[%zu]", j);
			t->nsteps = j + 1;
			if (pj_parse_step(step, &t->steps[j], err, &q) < 0)
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
		return pj_fail(err, &p, "a plan is a JSON object, not %s", pj_json_type_name(doc));
	if (pj_check_members(doc, top, sizeof(top) / sizeof(top[0]), err, &p) < 0)
		return -1;
	if (pj_get_int(doc, "version", true, INT64_MIN, INT64_MAX, &n, err, &p) < 0)
		return -1;
	if (n != 1)
		return pj_fail_member(err, &p, "version",
		                      "unsupported version %lld; this is version 1", (long long)n);

	plan = calloc(1, sizeof(*plan));
	if (plan == NULL)
		return pj_fail_nomem(err);

	switch (pj_get_string(doc, "name", NULL, &s, err, &p)) {
	case -1:
		goto fail;
	case 1:
		if (!valid_name(s)) {
			pj_fail_member(err, &p, "name", "must match [A-Za-z0-9._-]{1,64}");
			goto fail;
		}
		if ((plan->name = strdup(s)) == NULL) {
			pj_fail_nomem(err);
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
			pj_fail(err, &q, "must be an object {\"pid\": N}, not %s",
			        pj_json_type_name(v));
			goto fail;
		}
		if (pj_check_members(v, members, 2, err, &q) < 0 ||
		    pj_get_int(v, "pid", true, 1, NSD_PID_MAX, &n, err, &q) < 0)
			goto fail;
		plan->has_target = true;
		plan->target_pid = (int32_t)n;
		switch (pj_get_int(v, "start_time", false, 0, INT64_MAX, &n, err, &q)) {
		case -1:
			goto fail;
		case 1:
			plan->has_start_time = true;
			plan->start_time = (uint64_t)n;
		}
	} else if (flags & NSD_PLAN_REQUIRE_TARGET) {
		pj_fail_member(err, &p, "target",
		               "required to submit a plan: the task to attach to");
		goto fail;
	}

	s = "ptrace";
	if (pj_get_string(doc, "mode", modes, &s, err, &p) < 0)
		goto fail;
	plan->mode = strcmp(s, "seccomp") == 0 ? NSD_MODE_SECCOMP : NSD_MODE_PTRACE;
	s = "detach";
	if (pj_get_string(doc, "on_failure", failures, &s, err, &p) < 0)
		goto fail;
	plan->on_failure = strcmp(s, "kill") == 0 ? NSD_ON_FAILURE_KILL : NSD_ON_FAILURE_DETACH;
	if (pj_get_bool(doc, "strict", &plan->strict, err, &p) < 0 ||
	    pj_get_bool(doc, "next_syscall_data", &plan->next_syscall_data, err, &p) < 0)
		goto fail;
	plan->check = true;
	if (pj_get_bool(doc, "check", &plan->check, err, &p) < 0)
		goto fail;
	if (pj_get_int(doc, "timeout_ms", false, 1, NSD_TIMEOUT_MAX, &plan->timeout_ms, err, &p) <
	    0)
		goto fail;

	v = json_object_get(doc, "tasks");
	if (v == NULL) {
		pj_fail_member(err, &p, "tasks", "required member is missing");
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
