/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What one user may hold: running plans, and steps in them (a Record's
 * written steps too); root is not limited. What a plan's tasks may cost
 * nsdd's loop: PLAN_MAX_STALLS reads of their memory past the deadline.
 */
#include "config.h"

#include "plans.h"

unsigned long nsdd_max_plans_per_owner = 32;
unsigned long nsdd_max_steps_per_owner = 1000000;

/* The steps of owner's running plans (a Record's written ones too); *held
 * grows by their number. A plan that is ending still counts until its tasks
 * are let go. */
size_t
plan_owner_steps(uid_t owner, size_t *held)
{
	const struct plan *plan;
	size_t steps = 0;

	TAILQ_FOREACH(plan, &plans, entry)
	if (plan->owner == owner && plan->state == PLAN_RUNNING) {
		(*held)++;
		steps += plan->model->nsteps + plan->made_steps;
	}
	return steps;
}

bool
plan_within_limits(const struct nsd_plan *model, uid_t owner, struct nsdd_error *e)
{
	size_t held = 1, steps = model->nsteps + plan_owner_steps(owner, &held);

	if (owner == 0)
		return true;
	if (held > nsdd_max_plans_per_owner)
		nsdd_error_set(e, ERR_LIMIT_EXCEEDED, (long long)nsdd_max_plans_per_owner,
		               "running plans per user");
	else if (steps > nsdd_max_steps_per_owner)
		nsdd_error_set(e, ERR_LIMIT_EXCEEDED, (long long)nsdd_max_steps_per_owner,
		               "steps of running plans per user");
	else
		return true;
	return false;
}

bool
plan_may_read(const struct plan *plan)
{
	return plan == NULL || plan->stalls < PLAN_MAX_STALLS;
}

void
plan_stalled(struct plan *plan)
{
	if (plan != NULL)
		plan->stalls++;
}
