/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Record: the ids of a run, written as a plan that gives them back
 * (nsd-plan(5), "RECORDED PLANS"). A Record is a plan with no steps that
 * follows its target's whole tree, as one that serves next_syscall_data
 * does, but with fork events only: its tasks make no syscall stop, and a
 * fork costs its event and the child's first stop. Each fork event adds the
 * child's pids, from the target's pid namespace inward, to its creator's
 * steps, as a fork or a thread; tasks are keyed by their pid at the
 * target's level, as in plans, and a task that makes nothing is left out.
 * The plan goes to the caller once the tree has exited.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "plans.h"

/* What a step or a task adds to the plan's JSON, at most: the plan must
 * stay within the format's 16 MiB for nsdctl run to take it back. */
#define STEP_BYTES(levels) (36 + 9 * (levels))
#define TASK_BYTES         16

bool
plan_records(const struct plan *plan)
{
	return plan->record;
}

bool
plan_follows(const struct plan *plan)
{
	return plan->emulate || plan->record;
}

/* The Record fails with why (taken), once its tree has exited. */
static void
fail(struct plan *plan, char *why)
{
	if (plan->record_error == NULL) {
		log_warnx("plan %s: %s", plan->id, why);
		plan->record_error = why;
	} else {
		free(why);
	}
}

/* The task's key: "target", or its innermost pid, which a step of the
 * Record gave; false for a task the Record did not see made. */
static bool
key_of(struct plan *plan, pid_t tid, char key[16])
{
	int32_t pids[NSD_MAX_LEVELS + 1];
	size_t n;

	if (tid == plan->model->target_pid) {
		strcpy(key, "target");
		return true;
	}
	if (nsdd_nspids(tid, pids, NSD_MAX_LEVELS + 1, &n) < 0 || n < plan->record_level)
		return false;
	snprintf(key, 16, "%d", pids[0]); /* plans key a task by its innermost pid */
	return json_object_get(plan->record_keys, key) != NULL;
}

void
record_fork(struct task *parent, struct task *child)
{
	struct plan *plan = parent->plan;
	int32_t pids[NSD_MAX_LEVELS + 1];
	size_t n, levels, i;
	char key[16], ckey[16];
	json_t *steps, *pid;
	bool thread;

	if (plan->record_error != NULL || !key_of(plan, parent->tid, key))
		return; /* a task from before the Record: what it makes is not the run's */
	if (nsdd_nspids(child->tid, pids, NSD_MAX_LEVELS + 1, &n) < 0 || n < plan->record_level) {
		fail(plan, xasprintf("cannot read the pids of task %d (made by %d)", child->tid,
		                     parent->tid));
		return;
	}
	levels = n - plan->record_level + 1; /* pids[0..levels-1], innermost first */
	snprintf(ckey, sizeof(ckey), "%d", pids[0]);
	if (json_object_get(plan->record_keys, ckey) != NULL) {
		fail(plan,
		     xasprintf("pid %d was given to two tasks (the second made by %d): a plan "
		               "gives a pid once",
		               pids[0], parent->tid));
		return;
	}
	if (json_object_size(plan->record_keys) >= NSD_MAX_TASKS) {
		fail(plan, xasprintf("the run made more than %d tasks", NSD_MAX_TASKS));
		return;
	}
	thread = nsdd_proc_status_long(child->tid, "Tgid") != child->tid;
	if (levels == 1) {
		pid = json_integer(pids[0]);
	} else {
		pid = json_array();
		for (i = 0; i < levels; i++)
			json_array_append_new(pid, json_integer(pids[i]));
	}
	if ((steps = json_object_get(json_object_get(plan->recorded, "tasks"), key)) == NULL) {
		steps = json_array();
		json_object_set_new(json_object_get(plan->recorded, "tasks"), key, steps);
		plan->record_bytes += TASK_BYTES;
	}
	json_array_append_new(
	    steps, json_pack("{s:s, s:o}", "call", thread ? "thread" : "fork", "pid", pid));
	json_object_set_new(plan->record_keys, ckey, json_true());
	plan->record_bytes += STEP_BYTES(levels);
	if (plan->record_bytes > NSD_MAX_PLAN_SIZE)
		fail(plan, xasprintf("the run made more than a plan of %u MiB can hold",
		                     NSD_MAX_PLAN_SIZE >> 20));
}

/* The Record's replies: with "more", one once it is attached (its id, and
 * an empty plan); then, when the tree has exited, the plan. */
static json_t *
shape(json_t *ev, bool last)
{
	struct plan *plan = plan_find(json_string_value(json_object_get(ev, "plan")));
	const char *kind = json_string_value(json_object_get(ev, "kind"));
	json_t *msg = NULL;

	if (plan == NULL) {
		msg = json_pack("{s:s, s:{s:s}}", "error", "io.nsdd.supervisor.NoSuchPlan",
		                "parameters", "id", json_string_value(json_object_get(ev, "plan")));
	} else if (last && strcmp(kind, "completed") == 0) {
		msg = json_pack("{s:{s:O, s:s}}", "parameters", "plan", plan->recorded, "id",
		                plan->id);
	} else if (last) {
		const char *why = json_string_value(json_object_get(ev, "error"));
		msg = json_pack("{s:s, s:{s:s, s:s}}", "error", "io.nsdd.supervisor.RecordFailed",
		                "parameters", "id", plan->id, "reason", why ? why : kind);
	} else if (plan->record_more && strcmp(kind, "attached") == 0) {
		plan->record_more = false;
		msg = json_pack("{s:{s:{}, s:s}}", "parameters", "plan", "id", plan->id);
	}
	json_decref(ev);
	return msg;
}

/* The Record plan is attached: its target's level is taken, and the caller
 * hears of it as shape() says. */
void
record_watch(struct conn *c, struct plan *plan)
{
	int32_t pids[NSD_MAX_LEVELS + 1];

	plan->recorded = json_pack("{s:i, s:{}}", "version", 1, "tasks");
	plan->record_keys = json_object();
	if (nsdd_nspids(plan->model->target_pid, pids, NSD_MAX_LEVELS + 1, &plan->record_level) < 0)
		fail(plan,
		     xasprintf("cannot read the pids of the target %d", plan->model->target_pid));
	/* The first reply, with "more": the event that says the Record is on. */
	if ((plan->record_more = server_call_more(c)))
		events_add(&plan->events, EV_ATTACHED, 0);
	server_watch(c, plan, shape);
}
