/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SetNext, the original interface as a service: the next targeted syscall
 * of one thread produces a value. It is a plan of one `any` step on that
 * thread; a second value before the first is used replaces it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "plans.h"

/* A one-step plan on one thread: an `any` step with the LONGn values. */
int
supervisor_setnext(pid_t tid, const int64_t *values, size_t n, uid_t owner, struct nsdd_error *e)
{
	struct nsd_plan *m;
	struct nsd_step *s;
	struct plan *plan;
	const struct task *t;
	int32_t *pids = NULL;
	size_t i;

	if ((i = nsdd_longn_bad(values, n)) < n)
		return nsdd_error_set(e, ERR_INVALID_PLAN, 0, "value %zu is out of range %d..%d",
		                      i + 1, n > 1 ? 1 : 0, n > 1 ? NSD_PID_MAX : INT32_MAX);
	if (n > 1) {
		pids = xcalloc(n, sizeof(*pids));
		for (i = 0; i < n; i++)
			pids[i] = (int32_t)values[i];
	}
	/* Written again before it was used: the new value replaces it. */
	TAILQ_FOREACH(plan, &plans, entry)
	{
		if (plan->setnext_tid != tid || plan->state != PLAN_RUNNING || plan->ending)
			continue;
		t = plan->ptasks[0].task;
		if (t != NULL && t->step != NULL) {
			free(pids);
			return nsdd_error_set(e, ERR_TASK_BUSY, tid,
			                      "its value is in use by the syscall it is making");
		}
		s = &plan->model->tasks[0].steps[0];
		free(s->pids);
		s->pids = pids;
		s->npids = n > 1 ? n : 0;
		s->id = values[0];
		return 0;
	}
	m = xcalloc(1, sizeof(*m));
	m->tasks = xcalloc(1, sizeof(*m->tasks));
	m->tasks[0].steps = xcalloc(1, sizeof(*s));
	m->name = xasprintf("setnext-%d", tid);
	m->has_target = true;
	m->target_pid = tid;
	m->ntasks = 1;
	m->nsteps = 1;
	snprintf(m->tasks[0].key, sizeof(m->tasks[0].key), "target");
	m->tasks[0].creator = -1;
	m->tasks[0].nsteps = 1;
	s = &m->tasks[0].steps[0];
	s->call = NSD_CALL_ANY;
	s->id = values[0];
	s->pids = pids;
	s->npids = n > 1 ? n : 0;
	return supervisor_start(m, owner, tid, -1, 0, e) != NULL ? 0 : -1;
}
