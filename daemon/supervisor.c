/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A plan's life, and what its tasks report to it. A plan runs until every
 * step is applied (completed), a step fails or a named task dies with steps
 * left (failed), or a client or shutdown cancels it. Its final event is sent
 * only once every tracee has been let go, so a client that sees it knows
 * that nothing of nsdd is left in the tasks.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "leaves.h"
#include "log.h"
#include "plans.h"
#include "listeners.h"
#include "tracing.h"
#include "ns.h"

/* Events a plan serving next_syscall_data keeps while it runs. */
#define NEXT_DATA_EVENTS_MAX 65536

/* The plan's last task is let go: it reaches its final state. */
static void
finalize(evutil_socket_t fd, short what, void *arg)
{
	struct plan *plan = arg;
	static const enum ev_kind kinds[] = {EV_COMPLETED, EV_COMPLETED, EV_PLAN_FAILED,
	                                     EV_CANCELLED};
	struct event *ev;

	(void)fd;
	(void)what;
	plan->finalizing = false;
	if (plan->ntracees > 0)
		return; /* a task came meanwhile: its going ends the plan */
	plan->state = plan->final;
	plan->drv->ended(plan);
	if (plan->kind->ended != NULL)
		plan->kind->ended(plan);
	plan->finished_usec = nsdd_now_usec();
	free(plan->kept);
	plan->kept = NULL;
	plan->nkept = 0;
	ev = events_plan(plan, kinds[plan->final], NULL);
	if (plan->error != NULL)
		ev->error = xstrdup(plan->error);
	log_info("plan %s%s%s %s%s%s (%zu/%zu steps)", plan->id, plan->model->name ? " " : "",
	         plan->model->name ? plan->model->name : "", plan_states[plan->final],
	         plan->error ? ": " : "", plan->error ? plan->error : "", plan->applied,
	         plan->model->nsteps);
	plan_emit(plan);
	ns_release(plan);
	if (plan_running() == 0)
		ns_gc();
	if (plan->hidden) {
		TAILQ_REMOVE(&plans, plan, entry);
		plan_free(plan);
	} else {
		plan_shrink(plan);
		plan_prune(plan->owner);
	}
	tracer_notify_status();
}

/* From the loop: a report that the last task is gone ends its stack first. */
static void
finalize_later(struct plan *plan)
{
	struct timeval now = {0, 0};

	if (plan->finalizing)
		return;
	plan->finalizing = true;
	if (event_base_once(nsdd_base, -1, EV_TIMEOUT, finalize, plan, &now) < 0)
		fatalx("out of memory");
}

static void
supervisor_seized(struct ptask *pt, struct task *t)
{
	struct plan *plan = pt->plan;

	exitwatch_del(pt->watch); /* traced now: its exit is seen */
	pt->watch = NULL;
	pt->calm = false; /* calm means untraced (notify.c) */
	pt->task = t;
	t->ptask = pt;
	/* A container's init, proven by a call of its under the filter. */
	if (plan->container != NULL && !plan->target_proven && pt == plan_ptask(plan, 0)) {
		plan->target_proven = true;
		plan_keep(plan, t->tid);
	}
}

static void
supervisor_tree_gone(struct plan *plan)
{
	size_t left = plan->model->nsteps - plan->applied, i, n;

	if (plan->state != PLAN_RUNNING || plan->ending)
		return;
	if (left == 0) {
		supervisor_end(plan, PLAN_COMPLETED, false, NULL);
		return;
	}
	/* A task that was served with no stop: its exit was not seen, only the
	 * tree's; the first with steps left is named. */
	for (i = 0; i < plan->model->ntasks; i++) {
		struct ptask *pt = &plan->ptasks[i];
		if (pt->state != PT_TRACED || (n = pt->model->nsteps - pt->next) == 0)
			continue;
		pt->state = PT_EXITED;
		free(pt->error);
		pt->error = xasprintf("exited with %zu step%s pending", n, n == 1 ? "" : "s");
		supervisor_fail(plan, "task %s exited with %zu step%s pending", pt->model->key, n,
		                n == 1 ? "" : "s");
		return;
	}
	supervisor_fail(plan, "the tree exited with %zu step%s not applied", left,
	                left == 1 ? "" : "s");
}

static void
supervisor_tracee_added(struct plan *plan)
{
	plan->ntracees++;
}

static void
supervisor_tracee_gone(struct plan *plan)
{
	plan->ntracees--;
	if (plan->ntracees > 0 || plan->state != PLAN_RUNNING)
		return;
	if (plan->ending)
		finalize_later(plan);
	else if (record_error(plan) != NULL)
		supervisor_fail(plan, "%s", record_error(plan));
	else if (plan->kind->follows && plan->applied == plan->model->nsteps)
		supervisor_end(plan, PLAN_COMPLETED, false, NULL); /* the tree is gone */
	else if (plan->emulate)
		supervisor_fail(plan, "the tree exited with %zu step%s not applied",
		                plan->model->nsteps - plan->applied,
		                plan->model->nsteps - plan->applied == 1 ? "" : "s");
}

static void
let_go_cb(evutil_socket_t fd, short what, void *arg)
{
	struct plan *plan = arg;

	(void)fd;
	(void)what;
	plan->drv->let_go_all(plan, plan->kill);
	supervisor_tracee_gone(plan); /* the hold supervisor_end() took */
}

/* Chooses the plan's final state and lets go of every task: detach, or kill. */
void
supervisor_end(struct plan *plan, enum plan_state final, bool kill, char *error)
{
	struct timeval now = {0, 0};

	if (plan->ending) {
		free(error);
		return;
	}
	plan->ending = true;
	plan->waiting = false; /* cancelled or expired before its container came */
	seccomp_filter_free(plan->filter);
	plan->filter = NULL;
	plan->final = final;
	plan->kill = kill;
	plan->error = error;
	if (plan->timer != NULL)
		event_del(plan->timer);
	if (kill)
		plan_kill_kept(plan);
	/* Its tasks are let go from the loop: this may be a report from a
	 * task's stop, which its reporter ends itself. Until then the plan
	 * holds a tracee of its own, so that it cannot end (and be freed). */
	plan->ntracees++;
	if (event_base_once(nsdd_base, -1, EV_TIMEOUT, let_go_cb, plan, &now) < 0)
		fatalx("out of memory");
}

static char *
vformat(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

void
supervisor_fail(struct plan *plan, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	supervisor_end(plan, PLAN_FAILED, plan->model->on_failure == NSD_ON_FAILURE_KILL, msg);
}

static bool
supervisor_filter_in(struct plan *plan, pid_t tid, int fd)
{
	struct nsdd_error e;

	seccomp_filter_free(plan->filter);
	plan->filter = NULL;
	ns_wake(); /* the threads held meanwhile: their calls go through it */
	/* An ending plan's listener is answered CONTINUE until it hangs up. */
	/* fd is in the file table of the thread that installed it (tid). */
	if (plan->drv->listen(plan->ending ? NULL : plan, tid, fd, &e) == 0) {
		log_info("plan %s: seccomp filter installed in %d", plan->id,
		         plan->model->target_pid);
		return true;
	}
	supervisor_fail(plan, "%s; the filter's calls now fail with ENOSYS", e.reason);
	return false;
}

static void
supervisor_filter_failed(struct plan *plan, pid_t tid, const char *error)
{
	supervisor_fail(plan, "cannot install the seccomp filter in task %d: %s", tid, error);
}

void
supervisor_cancel(struct plan *plan, bool kill, const char *why)
{
	supervisor_end(plan, PLAN_CANCELLED, kill, why ? strdup(why) : NULL);
}

void
supervisor_shutdown(void)
{
	struct plan *plan;

	TAILQ_FOREACH(plan, &plans, entry)
	if (plan->state == PLAN_RUNNING)
		supervisor_cancel(plan, false, "nsdd is shutting down");
}

static void supervisor_exited(struct ptask *pt, const struct task *t, int status);

static bool
born_at(struct ptask *pt, pid_t pid)
{
	if (pt == NULL || pt->state != PT_WAITING)
		return false;
	pt->pid = pid;
	pt->state = pt->next < pt->model->nsteps ? PT_TRACED : PT_DONE;
	events_plan(pt->plan, EV_ATTACHED, pt);
	plan_emit(pt->plan);
	return true;
}

static void
untraced_exited(void *arg, int status)
{
	struct ptask *pt = arg;

	pt->watch = NULL;
	if (pt->plan->state != PLAN_RUNNING || pt->plan->ending)
		return; /* nothing is told after the plan's last event */
	pt->plan->drv->untraced_gone(pt->plan, pt->pid); /* its call in flight first */
	supervisor_exited(pt, NULL, status);
}

void
supervisor_untraced(struct ptask *pt)
{
	if (pt->state != PT_TRACED || pt->task != NULL || pt->watch != NULL || pt->pid <= 0)
		return;
	if ((pt->watch = exitwatch_add(pt->pid, untraced_exited, pt)) == NULL)
		log_warn("cannot watch task %d's exit", pt->pid);
}

static bool
supervisor_born(struct ptask *pt, pid_t pid)
{
	if (!born_at(pt, pid))
		return false;
	supervisor_untraced(pt);
	return true;
}

bool
supervisor_bind(struct ptask *pt, struct task *t)
{
	if (!born_at(pt, t->tid))
		return false;
	pt->task = t;
	t->ptask = pt;
	return true;
}

static void
supervisor_applied(struct ptask *pt, const char *syscall, enum mechanism how, enum route route,
                   long long want, long long got)
{
	struct plan *plan = pt->plan;
	struct event *e = events_step(pt, EV_APPLIED, syscall, want, got);

	e->mechanism = (uint8_t)how;
	e->no_stop = route == ROUTE_NOTIFY;
	plan->applied_no_stop += route == ROUTE_NOTIFY;
	plan_emit(plan);
	pt->next++;
	plan->applied++;
	if (pt->next == pt->model->nsteps) {
		pt->state = PT_DONE;
		exitwatch_del(pt->watch); /* as a traced task is let go */
		pt->watch = NULL;
	}
	/* A plan that serves next_syscall_data runs as long as its tree. */
	if (plan->applied == plan->model->nsteps && !plan->emulate)
		supervisor_end(plan, PLAN_COMPLETED, false, NULL);
}

static void
supervisor_step_failed(struct ptask *pt, const char *syscall, long long want, long long got,
                       const char *error)
{
	struct plan *plan = pt->plan;
	struct event *ev = events_step(pt, EV_FAILED, syscall, want, got);

	ev->error = xstrdup(error);
	plan_emit(plan);
	free(pt->error);
	pt->error = xstrdup(error);
	pt->state = PT_FAILED;
	supervisor_fail(plan, "task %s step %zu (%s): %s", pt->model->key, pt->next,
	                nsd_call_name(pt->model->steps[pt->next].call), error);
}

static void
supervisor_exited(struct ptask *pt, const struct task *t, int status)
{
	struct plan *plan;
	size_t left;
	char how[64];
	struct event *ev;

	if (pt == NULL || pt->task != t)
		return;
	plan = pt->plan;
	left = pt->model->nsteps - pt->next;
	if (status == -1) /* untraced, and reaped before nsdd could read it */
		snprintf(how, sizeof(how), "exited");
	else if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by SIG%s",
		         sigabbrev_np(WTERMSIG(status)) ?: "?");
	else
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
	pt->task = NULL;
	ev = events_plan(plan, EV_EXITED, pt);
	ev->error = xstrdup(how);
	plan_emit(plan);
	if (pt->state != PT_TRACED || left == 0)
		return;
	pt->state = PT_EXITED;
	free(pt->error);
	if (asprintf(&pt->error, "%s with %zu step%s pending", how, left, left == 1 ? "" : "s") < 0)
		pt->error = NULL;
	supervisor_fail(plan, "task %s %s with %zu step%s pending", pt->model->key, how, left,
	                left == 1 ? "" : "s");
}

static bool
supervisor_diverged(struct ptask *pt, const char *syscall, const char *made,
                    const struct nsd_step *s)
{
	char msg[256];

	if (!pt->plan->model->strict)
		return false;
	snprintf(msg, sizeof(msg), "the task made %s while its next step is %s", made,
	         nsd_call_name(s->call));
	supervisor_step_failed(pt, syscall, s->npids ? s->pids[0] : s->id, -1, msg);
	return true;
}

static void
supervisor_next_data(struct plan *plan, pid_t tid, enum outcome what, const struct nsd_step *s,
                     const char *syscall, enum mechanism how, long long want, long long got,
                     const char *error)
{
	static const enum ev_kind kinds[] = {EV_APPLIED, EV_FAILED, EV_UNSUPPORTED};
	struct event *e = events_plan(plan, kinds[what], NULL);

	e->next_data = true;
	e->step = (uint32_t)tid;
	e->call = (int8_t)s->call;
	e->mechanism = (uint8_t)how;
	e->want = want;
	e->got = got;
	if (syscall != NULL)
		snprintf(e->syscall, sizeof(e->syscall), "%s", syscall);
	if (error != NULL)
		e->error = xstrdup(error);
	/* A tree may use its file without end: once its Watches have had them,
	 * old events go, as a finished plan's do. */
	if (plan->events.n > NEXT_DATA_EVENTS_MAX) {
		plan_emit_now(plan);
		events_trim(&plan->events);
	} else {
		plan_emit(plan);
	}
}

static void
supervisor_moved(struct ptask *pt, pid_t tid)
{
	if (pt != NULL)
		pt->pid = tid;
}

/* A field of an IPC_SET step that the running kernel cannot set: said, not dropped. */
static void
supervisor_unsupported(struct ptask *pt, const char *syscall, const char *field, const char *why)
{
	struct event *ev =
	    events_step(pt, EV_UNSUPPORTED, syscall, pt->model->steps[pt->next].id, -1);
	char *what = NULL;

	if (asprintf(&what, "step %zu %s: %s", pt->next,
	             nsd_call_name(pt->model->steps[pt->next].call), field) < 0)
		what = NULL;
	ev->error = xasprintf("%s: %s", field, why);
	plan_emit(pt->plan);
	if (what != NULL) {
		if (pt->unsupported == NULL)
			pt->unsupported = json_array();
		json_array_append_new(pt->unsupported, json_string(what));
		free(what);
	}
}

static void
supervisor_detached(struct ptask *pt, const struct task *t)
{
	if (pt == NULL || pt->task != t)
		return;
	pt->task = NULL;
	/* Mode seccomp lets a process rest untraced before an open step
	 * (restore.c): its next step is still its, and its exit is watched. */
	if (plan_pending(pt) && pt->plan->model->mode == NSD_MODE_SECCOMP) {
		supervisor_untraced(pt);
		return;
	}
	if (pt->state == PT_TRACED && pt->plan->model->mode != NSD_MODE_SECCOMP)
		pt->state = PT_DETACHED;
	events_plan(pt->plan, EV_DETACHED, pt);
	plan_emit(pt->plan);
}

static void
stalled_cb(evutil_socket_t fd, short what, void *arg)
{
	struct plan *plan = plan_find(arg);

	(void)fd;
	(void)what;
	if (plan != NULL && plan->state == PLAN_RUNNING)
		supervisor_fail(plan, "its tasks' memory missed nsdd's deadline %d times",
		                PLAN_MAX_STALLS);
	free(arg);
}

static void
supervisor_stalled(struct plan *plan)
{
	struct timeval now = {0, 0};

	if (plan == NULL || plan_may_read(plan) || plan->stall_reported)
		return;
	plan->stall_reported = true;
	/* From the loop: the caller is in the middle of a stop or notification. */
	if (event_base_once(nsdd_base, -1, EV_TIMEOUT, stalled_cb, xstrdup(plan->id), &now) < 0)
		fatalx("out of memory");
}

static const struct plan_reports reports = {
    .bind = supervisor_bind,
    .seized = supervisor_seized,
    .applied = supervisor_applied,
    .born = supervisor_born,
    .step_failed = supervisor_step_failed,
    .unsupported = supervisor_unsupported,
    .diverged = supervisor_diverged,
    .next_data = supervisor_next_data,
    .exited = supervisor_exited,
    .detached = supervisor_detached,
    .moved = supervisor_moved,
    .tracee_added = supervisor_tracee_added,
    .tracee_gone = supervisor_tracee_gone,
    .tree_gone = supervisor_tree_gone,
    .filter_in = supervisor_filter_in,
    .filter_failed = supervisor_filter_failed,
    .stalled = supervisor_stalled,
};

void
supervisor_init(void)
{
	plan_up = &reports;
}
