/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan store: every plan nsdd knows, the index from a plan's planned
 * pids to its tasks, what a finished plan keeps and for how long, and the
 * status a client sees. The Watches that read a plan's events: watch.c.
 */
#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "leaves.h"
#include "log.h"
#include "plans.h"

/* Finished plans kept for Get and List, per owner: a member's never push
 * root's (or another member's) out. */
#define MAX_FINISHED_PLANS        128
#define MAX_FINISHED_PLANS_MEMBER 32
#define MAX_FINISHED_WEIGHT       (256 * 1024)

struct plan_list plans = TAILQ_HEAD_INITIALIZER(plans);

const char *const plan_states[] = {"running", "completed", "failed", "cancelled"};

/* Per plan: planned pid -> ptask index, and every pid it wants, sorted. */
struct plan_index {
	int32_t *pids; /* ptask pids, sorted, parallel to idx */
	size_t *idx;
	size_t n;
	int32_t *wanted;
	size_t nwanted;
};

/* A plan, all zero, with room for its index after it. */
struct plan *
plan_alloc(void)
{
	return xcalloc(1, sizeof(struct plan) + sizeof(struct plan_index));
}

static struct plan_index *
index_of(struct plan *plan)
{
	return (struct plan_index *)(plan + 1);
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

struct plan *
plan_find(const char *id)
{
	struct plan *plan;

	TAILQ_FOREACH(plan, &plans, entry)
	if (!plan->hidden && strcmp(plan->id, id) == 0)
		return plan;
	return NULL;
}

const struct plan_reports *plan_up;

size_t
plan_running(void)
{
	struct plan *plan;
	size_t n = 0;

	TAILQ_FOREACH(plan, &plans, entry)
	n += plan->state == PLAN_RUNNING;
	return n;
}

struct ptask *
plan_ptask(struct plan *plan, int32_t planned_pid)
{
	struct plan_index *ix = index_of(plan);
	int32_t *hit = bsearch(&planned_pid, ix->pids, ix->n, sizeof(int32_t), cmp_i32);

	return hit != NULL ? &plan->ptasks[ix->idx[hit - ix->pids]] : NULL;
}

bool
plan_pending(const struct ptask *pt)
{
	return pt != NULL && pt->state == PT_TRACED && pt->next < pt->model->nsteps &&
	       !pt->plan->ending;
}

size_t
plan_steps_left(const struct ptask *pt)
{
	return pt != NULL ? pt->model->nsteps - pt->next : 0;
}

const struct nsd_step *
plan_head(const struct ptask *pt)
{
	return plan_pending(pt) ? &pt->model->steps[pt->next] : NULL;
}

const struct nsd_step *
plan_step_ahead(const struct ptask *pt, size_t k)
{
	return plan_steps_left(pt) > k && !pt->plan->ending ? &pt->model->steps[pt->next + k]
	                                                    : NULL;
}

const struct nsd_step *
plan_head_as(struct ptask *pt, enum nsd_call call)
{
	const struct nsd_step *s = plan_head(pt);

	if (s == NULL || s->call != NSD_CALL_ANY)
		return s;
	memset(&pt->any_as, 0, sizeof(pt->any_as));
	pt->any_as.call = call;
	pt->any_as.id = s->id;
	pt->any_pid = (int32_t)s->id;
	pt->any_as.pids = s->npids > 1 ? s->pids : &pt->any_pid; /* LONGn: n levels */
	pt->any_as.npids = s->npids > 1 ? s->npids : 1;
	return &pt->any_as;
}

struct ptask *
plan_ptask_by_pid(struct plan *plan, pid_t pid)
{
	size_t i;

	for (i = 0; i < plan->model->ntasks; i++)
		if (plan->ptasks[i].pid == pid)
			return &plan->ptasks[i];
	return NULL;
}

bool
plan_pid_wanted(int32_t pid)
{
	struct plan *plan;

	TAILQ_FOREACH(plan, &plans, entry)
	{
		struct plan_index *ix = index_of(plan);
		if (plan->state == PLAN_RUNNING &&
		    bsearch(&pid, ix->wanted, ix->nwanted, sizeof(int32_t), cmp_i32) != NULL)
			return true;
	}
	return false;
}

void
plan_free(struct plan *plan)
{
	struct plan_index *ix = index_of(plan);
	size_t i;

	for (i = 0; plan->ptasks != NULL && i < plan->model->ntasks; i++) {
		exitwatch_del(plan->ptasks[i].watch);
		free(plan->ptasks[i].error);
		json_decref(plan->ptasks[i].unsupported);
	}
	free(plan->kept);
	free(plan->container);
	free(plan->container_name);
	free(plan->ptasks);
	free(ix->pids);
	free(ix->idx);
	free(ix->wanted);
	if (plan->timer != NULL)
		event_free(plan->timer);
	events_free(&plan->events);
	free(plan->error);
	if (plan->kind != NULL && plan->kind->free != NULL)
		plan->kind->free(plan);
	nsd_plan_free(plan->model);
	free(plan);
}

/* What a finished plan keeps: its tasks' keys and counts, and its last events. */
static size_t
weight(const struct plan *plan)
{
	return plan->model->ntasks + plan->events.n;
}

/* Keeps owner's newest finished plans for Get and List, at most
 * MAX_FINISHED_PLANS of root's (MAX_FINISHED_PLANS_MEMBER of a member's) and
 * MAX_FINISHED_WEIGHT tasks and events in all; older ones go. */
void
plan_prune(uid_t owner)
{
	size_t finished = 0, kept = 0,
	       most = owner == 0 ? MAX_FINISHED_PLANS : MAX_FINISHED_PLANS_MEMBER;
	struct plan *plan, *next;

	TAILQ_FOREACH(plan, &plans, entry)
	if (plan->state != PLAN_RUNNING && plan->owner == owner) {
		finished++;
		kept += weight(plan);
	}
	TAILQ_FOREACH_SAFE(plan, &plans, entry, next)
	{
		if (finished <= most && kept <= MAX_FINISHED_WEIGHT)
			break;
		if (plan->state == PLAN_RUNNING || plan->owner != owner ||
		    !TAILQ_EMPTY(&plan->watches))
			continue;
		TAILQ_REMOVE(&plans, plan, entry);
		kept -= weight(plan);
		finished--;
		plan_free(plan);
	}
}

static void
trim(void)
{
#ifdef __GLIBC__
	malloc_trim(0); /* a big plan's steps were many small blocks */
#endif
}

void
plan_drop_made(struct plan *plan)
{
	if (plan->kind != NULL && plan->kind->shrink != NULL)
		plan->kind->shrink(plan);
}

/* A finished plan lets go of its steps, its pid index, and once no Watch
 * reads them, of all but its last events and a Record's plan. */
void
plan_shrink(struct plan *plan)
{
	struct plan_index *ix = index_of(plan);
	size_t i;

	/* The pidfds of its untraced tasks go now, not when the plan is pruned. */
	for (i = 0; plan->ptasks != NULL && i < plan->model->ntasks; i++) {
		exitwatch_del(plan->ptasks[i].watch);
		plan->ptasks[i].watch = NULL;
	}
	nsd_plan_drop_steps(plan->model);
	free(ix->pids);
	free(ix->idx);
	free(ix->wanted);
	memset(ix, 0, sizeof(*ix));
	if (TAILQ_EMPTY(&plan->watches)) {
		events_trim(&plan->events);
		plan_drop_made(plan);
	}
	trim();
}

struct pid_idx {
	int32_t pid;
	size_t idx;
};

static int
cmp_pid_idx(const void *a, const void *b)
{
	return cmp_i32(&((const struct pid_idx *)a)->pid, &((const struct pid_idx *)b)->pid);
}

void
plan_build_index(struct plan *plan)
{
	struct plan_index *ix = index_of(plan);
	const struct nsd_plan *m = plan->model;
	struct pid_idx *order;
	size_t i, j, k, n = 0;

	ix->pids = xcalloc(m->ntasks + 1, sizeof(int32_t));
	ix->idx = xcalloc(m->ntasks + 1, sizeof(size_t));
	order = xcalloc(m->ntasks + 1, sizeof(*order));
	for (i = 0; i < m->ntasks; i++)
		order[i] = (struct pid_idx){m->tasks[i].pid, i};
	qsort(order, m->ntasks, sizeof(*order), cmp_pid_idx);
	for (i = 0; i < m->ntasks; i++) {
		ix->pids[i] = order[i].pid;
		ix->idx[i] = order[i].idx;
	}
	free(order);
	ix->n = m->ntasks;
	for (i = 0; i < m->ntasks; i++)
		for (j = 0; j < m->tasks[i].nsteps; j++)
			n += m->tasks[i].steps[j].npids;
	ix->wanted = xcalloc(n + 1, sizeof(int32_t));
	for (i = 0; i < m->ntasks; i++)
		for (j = 0; j < m->tasks[i].nsteps; j++)
			for (k = 0; k < m->tasks[i].steps[j].npids; k++)
				ix->wanted[ix->nwanted++] = m->tasks[i].steps[j].pids[k];
	qsort(ix->wanted, ix->nwanted, sizeof(int32_t), cmp_i32);
}

struct plan *
plan_next(struct plan *prev)
{
	struct plan *plan = prev == NULL ? TAILQ_FIRST(&plans) : TAILQ_NEXT(prev, entry);

	while (plan != NULL && plan->hidden)
		plan = TAILQ_NEXT(plan, entry);
	return plan;
}

const char *
plan_id(const struct plan *plan)
{
	return plan->id;
}

uid_t
plan_owner(const struct plan *plan)
{
	return plan->owner;
}

const struct nsd_plan *
plan_model(const struct plan *plan)
{
	return plan->model;
}

size_t
plan_ntasks(const struct plan *plan)
{
	return plan->model->ntasks;
}

size_t
plan_nsteps(const struct plan *plan)
{
	return plan->model->nsteps;
}

bool
plan_ending(const struct plan *plan)
{
	return plan->ending;
}

const struct plan_kind *
plan_kind(const struct plan *plan)
{
	return plan->filter != NULL && !plan->ending ? plan->install : plan->kind;
}

const struct driver *
plan_driver(const struct plan *plan)
{
	return plan->drv;
}

bool
plan_follows(const struct plan *plan)
{
	return plan->kind->follows;
}

bool
plan_kills(const struct plan *plan)
{
	return plan->ending && plan->kill;
}

bool
plan_strict(const struct plan *plan)
{
	return plan->model->strict;
}

enum backend
plan_backend(const struct plan *plan)
{
	return plan->backend;
}

unsigned
plan_calls(const struct plan *plan)
{
	return plan->calls;
}

void
plan_count_notification(struct plan *plan)
{
	plan->notifications++;
}

bool
plan_container(const struct plan *plan)
{
	return plan->container != NULL;
}

bool
plan_seccomp(const struct plan *plan)
{
	/* The emulated file's writes and reads are calls no filter can pick
	 * out: such a plan's tree is traced as in mode ptrace. */
	return plan->model->mode == NSD_MODE_SECCOMP && !plan->emulate;
}

bool
plan_hears_sigaction(const struct plan *plan)
{
	return plan->hears_sigaction;
}

void
plan_set_hears_sigaction(struct plan *plan, bool fresh)
{
	struct ptask *target = plan_ptask(plan, 0);

	plan->hears_sigaction = true;
	if (fresh && target != NULL)
		target->calm = true;
}

void
plan_set_hears_setns(struct plan *plan)
{
	plan->hears_setns = true;
}

ino_t *
plan_task_kids(struct ptask *pt, pid_t tid)
{
	if (pt == NULL || !pt->plan->hears_setns)
		return NULL;
	if (pt->kids_tid != tid) {
		pt->kids_tid = tid;
		pt->kids_ino = 0;
	}
	return &pt->kids_ino;
}

void
plan_kids_moved(struct plan *plan)
{
	size_t i;

	plan->hears_setns = false;
	for (i = 0; i < plan->model->ntasks; i++)
		plan->ptasks[i].kids_ino = 0;
}

struct ptask *
plan_ptask_at(struct plan *plan, size_t i)
{
	return &plan->ptasks[i];
}

pid_t
plan_task_pid(const struct ptask *pt)
{
	return pt->pid;
}

bool
plan_task_calm(const struct ptask *pt)
{
	return pt != NULL && pt->calm;
}

void
plan_task_set_calm(struct ptask *pt, bool calm)
{
	pt->calm = calm;
}

struct filter_job *
plan_filter(const struct plan *plan)
{
	return plan->ending ? NULL : plan->filter;
}

void
plan_count_stop(struct plan *plan)
{
	plan->stops++;
}

/* A new plan for model: its id, its tasks, what it targets, its backend. */
struct plan *
plan_new(struct nsd_plan *model, uid_t owner, pid_t setnext_tid)
{
	struct plan *plan = plan_alloc();
	unsigned char rnd[8];
	size_t i;

	plan->model = model;
	plan->owner = owner;
	plan->setnext_tid = setnext_tid;
	plan->created_usec = nsdd_now_usec();
	TAILQ_INIT(&plan->watches);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		fatal("getrandom");
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(plan->id + 2 * i, 3, "%02x", rnd[i]);
	plan->ptasks = xcalloc(model->ntasks + 1, sizeof(*plan->ptasks));
	plan_build_index(plan);
	plan->calls = nsd_plan_calls(model);
	plan->backend = nsdd_backend_forced                                      ? nsdd_backend
	                : procfs_available(model->target_pid, model->target_pid) ? BACKEND_PROCFS
	                                                                         : BACKEND_KERNEL;
	/* With the real file, the kernel serves it: nsdd leaves it alone. */
	plan->emulate = model->next_syscall_data && plan->backend != BACKEND_PROCFS;
	for (i = 0; i < model->ntasks; i++) {
		plan->ptasks[i].plan = plan;
		plan->ptasks[i].model = &model->tasks[i];
		plan->ptasks[i].state = PT_WAITING;
	}
	return plan;
}

/* Only mode seccomp takes a listener; without one nsdd installs the filter. */
bool
plan_mode_ok(const struct nsd_plan *model, int listener, struct nsdd_error *e)
{
	if (model->mode != NSD_MODE_SECCOMP && listener >= 0) {
		nsdd_error_set(e, ERR_INVALID_PLAN, 0,
		               "listener: only a plan in mode \"seccomp\" "
		               "takes one");
		return false;
	}
	return true;
}
