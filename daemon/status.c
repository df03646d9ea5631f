/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a client reads of a plan: its status and its latest event, as the
 * wire's JSON (PlanStatus and Event of io.nsdd.supervisor.varlink). The
 * plan room keeps the plan; this file only shows it.
 */
#include "config.h"

#include "plans.h"

static const char *const ptask_states[] = {"waiting", "traced", "done",
                                           "exited",  "failed", "detached"};

json_t *
plan_status(const struct plan *plan)
{
	json_t *st, *tasks = json_array();
	size_t i;

	for (i = 0; i < plan->model->ntasks; i++) {
		const struct ptask *pt = &plan->ptasks[i];
		json_t *t =
		    json_pack("{s:s, s:s, s:I, s:I}", "key", pt->model->key, "state",
		              ptask_states[pt->state], "steps_total", (json_int_t)pt->model->nsteps,
		              "steps_applied", (json_int_t)pt->next);
		if (t == NULL)
			continue;
		if (pt->pid > 0)
			json_object_set_new(t, "pid", json_integer(pt->pid));
		if (pt->error != NULL)
			json_object_set_new(t, "error", json_string(pt->error));
		if (pt->unsupported != NULL)
			json_object_set_new(t, "unsupported", json_incref(pt->unsupported));
		json_array_append_new(tasks, t);
	}
	st = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:I}", "id", plan->id, "state",
	               plan->waiting ? "waiting" : plan_states[plan->state], "mode",
	               nsd_mode_name(plan->model->mode), "backend",
	               plan->backend == BACKEND_PROCFS ? "procfs" : "kernel", "steps_total",
	               (json_int_t)plan->model->nsteps, "steps_applied", (json_int_t)plan->applied,
	               "tasks", tasks, "created_usec", (json_int_t)plan->created_usec);
	if (st == NULL)
		return NULL;
	if (plan->model->name != NULL)
		json_object_set_new(st, "name", json_string(plan->model->name));
	if (plan->container != NULL)
		json_object_set_new(st, "container", json_string(plan->container));
	if (plan->container_name != NULL)
		json_object_set_new(st, "container_name", json_string(plan->container_name));
	json_object_set_new(st, "ptrace_stops", json_integer((json_int_t)plan->stops));
	if (plan->model->mode == NSD_MODE_SECCOMP) {
		json_object_set_new(st, "notifications",
		                    json_integer((json_int_t)plan->notifications));
		json_object_set_new(st, "steps_no_stop",
		                    json_integer((json_int_t)plan->applied_no_stop));
	}
	if (plan->error != NULL && plan->state != PLAN_RUNNING)
		json_object_set_new(st, "error", json_string(plan->error));
	if (plan->state != PLAN_RUNNING)
		json_object_set_new(st, "finished_usec",
		                    json_integer((json_int_t)plan->finished_usec));
	return st;
}

json_t *
plan_last_event(const struct plan *plan)
{
	size_t n = events_end(&plan->events);

	return n > 0 ? events_json(plan, events_get(&plan->events, n - 1)) : NULL;
}
