/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A plan's start: attached to its target (ptrace, or the filter nsdd
 * installs), listening to its target's filter (nsdctl run, an OCI
 * container), then listed and timed. supervisor.c runs it from there.
 *
 * A plan for a container that has not started (target {"container": ID},
 * root's only: the runtime is root's) waits, listed as "waiting", until the
 * runtime sends the first state of a container whose OCI id, or CRI
 * NAMESPACE/POD/CONTAINER, is ID: then it is that container's plan,
 * whatever the profile's listenerMetadata. It fails if none comes within
 * its wait_ms (default --container-wait, 10 minutes).
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "plans.h"
#include "listeners.h"
#include "tracing.h"

int64_t nsdd_container_wait_ms = 600000;

static void
timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	supervisor_fail(arg, "timeout");
}

/* Mode seccomp: the target is not traced; its filter's listener is taken
 * (own: nsdd holds it already, from an OCI runtime). */
static int
listen_to(struct plan *plan, int listener, bool own, struct nsdd_error *e)
{
	struct ptask *pt = plan_ptask(plan, 0);

	if ((own ? plan->drv->listen_own(plan, listener, e)
	         : plan->drv->listen(plan, plan->model->target_pid, listener, e)) < 0)
		return -1;
	if (pt != NULL) {
		pt->pid = plan->model->target_pid;
		pt->state = pt->next < pt->model->nsteps ? PT_TRACED : PT_DONE;
		events_plan(plan, EV_ATTACHED, pt);
		supervisor_untraced(pt);
	}
	return 0;
}

/* A plan of model's kind: a restore, or one that serves next_syscall_data. */
static struct plan *
new_plan(struct nsd_plan *model, uid_t owner, pid_t setnext_tid)
{
	struct plan *plan = plan_new(model, owner, setnext_tid);

	plan->drv = &ptrace_driver;
	plan->kind = plan->emulate ? &emulate_kind : &restore_kind;
	plan->install = &install_kind;
	return plan;
}

/* The plan is attached: it is listed (if it was not, waiting), timed, and
 * runs on its own. */
static struct plan *
started(struct plan *plan, bool listed)
{
	const struct nsd_plan *model = plan->model;

	/* A container's state names its init, but only a notification from it
	 * proves that pid is under the filter (supervisor_seized). */
	if (plan->container == NULL)
		plan_keep(plan, model->target_pid);
	if (!listed)
		TAILQ_INSERT_TAIL(&plans, plan, entry);
	if (model->timeout_ms > 0) {
		struct timeval tv = {model->timeout_ms / 1000, (model->timeout_ms % 1000) * 1000};
		plan->timer = evtimer_new(nsdd_base, timeout_cb, plan);
		if (plan->timer != NULL)
			evtimer_add(plan->timer, &tv);
	}
	log_info("plan %s%s%s: attached to %d%s%s, %zu tasks, %zu steps", plan->id,
	         model->name ? " " : "", model->name ? model->name : "", model->target_pid,
	         plan->container ? ", container " : "", plan->container ? plan->container : "",
	         model->ntasks, model->nsteps);
	if (model->nsteps == 0 && !plan->kind->follows)
		supervisor_end(plan, PLAN_COMPLETED, false, NULL);
	tracer_notify_status();
	return plan;
}

struct plan *
supervisor_container(struct nsd_plan *model, const char *container, const char *name, int lfd,
                     struct nsdd_error *e)
{
	struct plan *plan;

	if (!plan_within_limits(model, 0, e)) {
		nsd_plan_free(model);
		return NULL;
	}
	plan = new_plan(model, 0, 0);
	plan->container = xstrdup(container);
	if (name != NULL && name[0] != '\0')
		plan->container_name = xstrdup(name);
	if (plan->emulate)
		nsdd_error_set(e, ERR_INVALID_PLAN, 0,
		               "next_syscall_data: a container's tree is served through its "
		               "runtime's filter, not traced");
	if (plan->emulate || listen_to(plan, lfd, true, e) < 0) {
		plan_free(plan);
		return NULL;
	}
	return started(plan, false);
}

enum which { WAITING, SERVED, EITHER };

/* The plan of container id, or of the CRI container named name (NULL: by
 * id only), that waits for it, serves it, or either; NULL if none. */
static struct plan *
plan_of_container(const char *id, const char *name, enum which which)
{
	struct plan *plan;

	TAILQ_FOREACH(plan, &plans, entry)
	{
		if (plan->container == NULL || plan->state != PLAN_RUNNING ||
		    (which == WAITING && !plan->waiting) || (which == SERVED && plan->waiting))
			continue;
		if (strcmp(plan->container, id) == 0 ||
		    (name != NULL &&
		     (strcmp(plan->container, name) == 0 ||
		      (plan->container_name && strcmp(plan->container_name, name) == 0))))
			return plan;
	}
	return NULL;
}

bool
supervisor_container_running(const char *id)
{
	return plan_of_container(id, NULL, SERVED) != NULL;
}

pid_t
supervisor_container_pid(const char *id)
{
	const struct plan *plan = plan_of_container(id, id, SERVED);

	return plan != NULL ? plan->model->target_pid : 0;
}

static void
expired_cb(evutil_socket_t fd, short what, void *arg)
{
	struct plan *plan = arg;
	int64_t ms = plan->model->wait_ms ? plan->model->wait_ms : nsdd_container_wait_ms;

	(void)fd;
	(void)what;
	supervisor_fail(plan, "expired: no container %s started within %lld s", plan->container,
	                (long long)(ms / 1000));
}

/* A container's plan, before its container starts: it waits, listed. */
static struct plan *
await_container(struct nsd_plan *model, uid_t owner, struct nsdd_error *e)
{
	int64_t ms = model->wait_ms ? model->wait_ms : nsdd_container_wait_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	struct plan *plan,
	    *other = plan_of_container(model->target_container, model->target_container, EITHER);

	if (other != NULL) {
		nsdd_error_set(e, ERR_TASK_BUSY, 0, "container %s has a plan already: %s",
		               model->target_container, other->id);
		nsd_plan_free(model);
		return NULL;
	}
	if (model->next_syscall_data) {
		nsdd_error_set(e, ERR_INVALID_PLAN, 0,
		               "next_syscall_data: a container's tree is served through its "
		               "runtime's filter, not traced");
		nsd_plan_free(model);
		return NULL;
	}
	model->mode = NSD_MODE_SECCOMP; /* a container is served through its filter */
	if (!plan_within_limits(model, owner, e)) {
		nsd_plan_free(model);
		return NULL;
	}
	plan = new_plan(model, owner, 0);
	plan->waiting = true;
	plan->container = xstrdup(model->target_container);
	TAILQ_INSERT_TAIL(&plans, plan, entry);
	if ((plan->timer = evtimer_new(nsdd_base, expired_cb, plan)) == NULL ||
	    evtimer_add(plan->timer, &tv) < 0)
		fatalx("out of memory");
	log_info("plan %s%s%s: waiting for container %s (%lld s), %zu tasks, %zu steps", plan->id,
	         model->name ? " " : "", model->name ? model->name : "", plan->container,
	         (long long)ms / 1000, model->ntasks, model->nsteps);
	tracer_notify_status();
	return plan;
}

struct plan *
supervisor_container_waiting(const char *id, const char *name)
{
	return plan_of_container(id, name, WAITING);
}

bool
supervisor_container_start(struct plan *plan, const char *id, const char *name, pid_t pid,
                           uint64_t start_time, int lfd, struct nsdd_error *e)
{
	struct nsd_plan *model = plan->model;

	event_free(plan->timer);
	plan->timer = NULL;
	plan->waiting = false;
	free(plan->container);
	plan->container = xstrdup(id);
	if (name != NULL && name[0] != '\0')
		plan->container_name = xstrdup(name);
	model->target_pid = pid;
	model->has_start_time = true;
	model->start_time = start_time;
	if (listen_to(plan, lfd, true, e) < 0) {
		supervisor_fail(plan, "container %s: %s", id, e->reason);
		return false; /* the caller keeps lfd */
	}
	started(plan, true);
	return true;
}

struct plan *
supervisor_start(struct nsd_plan *model, uid_t owner, pid_t setnext_tid, int listener,
                 unsigned record, struct nsdd_error *e)
{
	struct plan *plan;
	struct task *leader = NULL;
	size_t seized = 0;
	int rc;

	if (!plan_mode_ok(model, listener, e) || !plan_within_limits(model, owner, e)) {
		nsd_plan_free(model);
		return NULL;
	}
	plan = new_plan(model, owner, setnext_tid);
	if (record != 0) { /* before the attach: a Record follows the whole tree */
		plan->kind = &record_kind;
		record_start(plan, record);
	}
	if (setnext_tid != 0 && tracer_find_task(setnext_tid) != NULL) {
		nsdd_error_set(e, ERR_TASK_BUSY, setnext_tid, "thread %d is traced by another plan",
		               setnext_tid);
		goto fail;
	}
	if (listener >= 0 && plan->emulate) {
		nsdd_error_set(e, ERR_INVALID_PLAN, 0,
		               "listener: a plan that serves next_syscall_data is traced, not "
		               "filtered");
		goto fail;
	}
	if (listener >= 0) {
		if (listen_to(plan, listener, false, e) < 0)
			goto fail;
		rc = 0;
	} else {
		/* Mode seccomp for a running target: its first call installs the filter. */
		if (plan_seccomp(plan) && plan->calls != 0 &&
		    (plan->filter = seccomp_filter_new(plan->calls, e)) == NULL)
			goto fail;
		/* Not hears_setns: a running target's threads may each have a
		 * pid_for_children of their own already. */
		if (plan->filter != NULL)
			plan_set_hears_sigaction(plan, false); /* a running target's handlers */
		rc = plan->drv->attach(plan, model->target_pid, setnext_tid != 0, &leader, &seized,
		                       e);
	}
	plan->ntracees += seized;
	if (rc < 0) {
		if (plan->ntracees == 0)
			goto fail;
		/* Tasks already seized are let go in the background; the plan stays hidden. */
		plan->hidden = true;
		TAILQ_INSERT_TAIL(&plans, plan, entry);
		supervisor_end(plan, PLAN_FAILED, false, strdup(e->reason));
		return NULL;
	}
	if (leader != NULL)
		supervisor_bind(plan_ptask(plan, 0), leader);
	return started(plan, false);
fail:
	seccomp_filter_free(plan->filter);
	plan_free(plan);
	return NULL;
}

struct plan *
supervisor_submit(struct nsd_plan *model, uid_t owner, int listener, unsigned record,
                  struct nsdd_error *e)
{
	if (model->target_container != NULL)
		return await_container(model, owner, e);
	return supervisor_start(model, owner, 0, listener, record, e);
}
