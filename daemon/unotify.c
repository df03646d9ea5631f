/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The notify route: a planned fork answered from its notification alone,
 * with no ptrace stop (mode seccomp).
 *
 * At a fork-family notification whose task's head step is a fork or thread
 * step, nsdd writes ns_last_pid = pid - 1 at every level of the step (from
 * inside each namespace, by its helper) and answers CONTINUE: the kernel
 * gives the child the next pid. That is exact only if no other fork takes a
 * pid at those levels in between, so until nsdd has seen the planned pid
 * taken, every other notification of the plan is held (not answered), and
 * then served in turn. The route is taken only where every task that can
 * fork into the step's namespaces is under the plan's filter (its
 * notifications come to nsdd): the outermost level's pid namespace holds no
 * task, and no task outside it has it as pid_for_children, that is not the
 * plan's target or a descendant of it (the target is the namespace's init:
 * nsdctl run --new-ns, an OCI container). That is checked once per plan and
 * namespace, at its first planned fork; anywhere else the fork takes the
 * ptrace route (notify.c). A task that enters the namespace from outside
 * later is not seen: if its fork takes a planned pid, the planned fork gets
 * another, and the step fails (nsdd checks every pid, and never reports a
 * wrong one applied).
 *
 * The fork's result is not seen: right after the answer, the namespace's
 * helper looks for the child (ns_find_pid, which waits a little for it);
 * then the plan's next notification, the notifier's exit, or a timer look
 * again. The child exists and is the notifier's child (or thread), with the
 * planned pid at every level: the step is applied, and the child's plan
 * task is bound to it. The notifier makes its next fork without the pid
 * taken, exits, or 5 s pass: the fork failed (RLIMIT_NPROC, ENOMEM; the
 * route does not see the error), ns_last_pid is put back, and the step
 * fails, as a failed fork's step fails on the ptrace route. A fork that a
 * signal cut short (tracee_signalled() saw -ERESTARTNOINTR, or the answer
 * found the notification gone) is answered again when it is made again.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "clone3.h"
#include "listeners.h"
#include "ns.h"
#include "tracing.h"
#include "unotify.h"

/* How long a fork in flight may keep the plan's other forks held, at most. */
#define SETTLE_MAX_USEC (5 * 1000 * 1000)
/* Checks of a fork in flight with no other notification: 0, then doubling. */
#define SETTLE_FIRST_USEC 200
#define SETTLE_LAST_USEC  50000

/* A notification held while a planned fork is in flight. */
struct held {
	TAILQ_ENTRY(held) entry;
	int fd;
	struct seccomp_notif req;
};

/* A namespace nsdd has looked at for a plan: whether the route may serve it. */
struct checked {
	dev_t dev;
	ino_t ino;
	bool closed;
};

/* A plan's fork route: its fork in flight, and the notifications it holds. */
struct froute {
	TAILQ_ENTRY(froute) entry;
	struct plan *plan;
	unotify_redo_fn redo;
	struct checked *checked;
	size_t nchecked;
	TAILQ_HEAD(, held) held;
	struct event *timer;
	bool serving; /* its held notifications are being decided again */
	/* The fork in flight. */
	bool busy;
	int fd;
	uint64_t id;
	pid_t tid;                     /* the notifier, in nsdd's namespace */
	pid_t tgid;                    /* its thread group */
	struct ptask *pt;              /* its plan task */
	const struct nsd_syscall *sc;  /* its call */
	bool thread;                   /* CLONE_THREAD */
	bool cut;                      /* a signal cut it short: it is made again */
	size_t levels;                 /* the step's pid levels, innermost first */
	int32_t pids[NSD_MAX_LEVELS];  /* the planned pids */
	int32_t old[NSD_MAX_LEVELS];   /* ns_last_pid before, to put back */
	struct ns *ns[NSD_MAX_LEVELS]; /* locked while in flight */
	uint64_t since;                /* when it was answered */
	uint64_t wait;                 /* the next check, after this many us */
};

static TAILQ_HEAD(, froute) routes = TAILQ_HEAD_INITIALIZER(routes);

bool nsdd_notify_route = true;

static void settle_cb(evutil_socket_t fd, short what, void *arg);

static uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static struct froute *
route_of(struct plan *plan, unotify_redo_fn redo)
{
	struct froute *r;

	TAILQ_FOREACH(r, &routes, entry)
	if (r->plan == plan)
		return r;
	if (redo == NULL)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->plan = plan;
	r->redo = redo;
	TAILQ_INIT(&r->held);
	if ((r->timer = evtimer_new(nsdd_base, settle_cb, r)) == NULL)
		fatalx("out of memory");
	TAILQ_INSERT_TAIL(&routes, r, entry);
	return r;
}

/* --- which namespaces the route may serve -------------------------------- */

/* The route may serve forks into outer (the outermost level of a step). */
static bool
may_serve(struct froute *r, struct ns *outer)
{
	dev_t dev;
	ino_t ino;
	size_t i;

	ns_key(outer, &dev, &ino);
	for (i = 0; i < r->nchecked; i++)
		if (r->checked[i].dev == dev && r->checked[i].ino == ino)
			return r->checked[i].closed;
	r->checked = xreallocarray(r->checked, r->nchecked + 1, sizeof(*r->checked));
	r->checked[r->nchecked] =
	    (struct checked){dev, ino, ns_tree_only(outer, plan_model(r->plan)->target_pid)};
	return r->checked[r->nchecked++].closed;
}

/* --- a fork in flight ---------------------------------------------------- */

/* Its namespaces are let go; with put_back, ns_last_pid gets its old values
 * back where no fork took the planned pid. */
static void
land(struct froute *r, bool put_back)
{
	size_t i;

	for (i = 0; put_back && i < r->levels; i++)
		ns_put_back_last_pid(r->ns[i], r->pids[i], r->old[i]);
	ns_unlock(r->ns, r->levels, r);
	for (i = 0; i < r->levels; i++)
		ns_put(r->ns[i]);
	r->busy = false;
	evtimer_del(r->timer);
}

static void __attribute__((format(printf, 3, 4)))
failed(struct froute *r, long long got, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	plan_up->step_failed(r->pt, r->sc->name, r->pids[0], got, msg);
}

/* The child's parent (a thread: its thread group) and its pids, innermost
 * first, from one read of its /proc status; false if it is gone. */
static bool
child_of(pid_t child, bool thread, long *rel, int32_t *pids, size_t *n)
{
	char path[64], buf[4096], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", child);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	if ((p = strstr(buf, thread ? "\nTgid:" : "\nPPid:")) == NULL)
		return false;
	*rel = strtol(p + 6, NULL, 10);
	if ((p = strstr(buf, "\nNSpid:")) == NULL)
		return false;
	for (p += 7, *n = 0; *n <= NSD_MAX_LEVELS && *p != '\n' && *p != '\0'; (*n)++) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		pids[*n] = (int32_t)v;
		p = end;
	}
	if (*n == 0 || pids[*n - 1] <= 0)
		return false; /* exiting: its pid is detached already */
	/* NSpid is outermost first: the levels are read innermost first. */
	for (size_t i = 0; i < *n / 2; i++) {
		int32_t t = pids[i];
		pids[i] = pids[*n - 1 - i];
		pids[*n - 1 - i] = t;
	}
	return true;
}

/* The planned pid is taken, as child (0: taken, and reaped already): the
 * step is applied if the child is the notifier's, with the planned pid at
 * every level. */
static void
taken(struct froute *r, pid_t child)
{
	int32_t got[NSD_MAX_LEVELS + 1];
	size_t n = 0, i;
	long rel = -1;

	if (child > 0 && !child_of(child, r->thread, &rel, got, &n))
		child = 0; /* reaped meanwhile */
	land(r, false);
	if (child > 0 && rel != r->tid &&
	    rel != (r->tgid = r->tgid ? r->tgid : (pid_t)nsdd_proc_status_long(r->tid, "Tgid"))) {
		failed(r, -1, "pid %d was taken by task %d, not by the task's fork", r->pids[0],
		       child);
		return;
	}
	for (i = 0; child > 0 && i < r->levels; i++)
		if (i >= n || got[i] != r->pids[i]) {
			failed(r, i < n ? got[i] : -1, "level %zu: pid %d, not %d", i,
			       i < n ? got[i] : -1, r->pids[i]);
			return;
		}
	plan_up->applied(r->pt, r->sc->name, MECH_NS_LAST_PID, ROUTE_NOTIFY, r->pids[0],
	                 r->pids[0]);
	if (child > 0)
		plan_up->born(plan_ptask(r->plan, r->pids[0]), child);
}

/*
 * Whether the fork in flight is over (reported and let go): its planned pid
 * is taken, or the notifier is no longer in the call, or it took too long.
 * false: it is still to come. With wait, the helper waits for it a little.
 */
static bool
settle(struct froute *r, bool wait)
{
	int rc, err;
	pid_t child = 0;
	int32_t last = -1;
	long at;

	rc = ns_find_pid(r->ns[0], r->pids[0], wait ? r->tid : 0, r->sc->nr, &child, &last);
	err = errno;

	if (rc == 0) {
		taken(r, child);
		return true;
	}
	if (err == EBUSY)
		return false; /* its pid is taken, its task not yet attached to it */
	if (err != ESRCH) {
		land(r, true);
		failed(r, -1, "cannot look for its pid: %s", strerror(err));
		return true;
	}
	if (last >= r->pids[0]) {
		/* Taken and given back: the fork failed after it took its pid (a
		 * signal came: it is made again), or made a child that was reaped
		 * already (a vfork's child that exited). */
		if (r->cut)
			return false;
		taken(r, 0);
		return true;
	}
	if ((at = nsdd_proc_syscall(r->tid)) == NSDD_GONE) {
		land(r, true);
		failed(r, -1, "the task was gone before its fork took pid %d", r->pids[0]);
		return true;
	}
	/* Not yet: what the task does now does not say that its fork is over
	 * (the helper may not see a pid just taken; a signal may have it made
	 * again). A failed fork shows when the task makes its next fork, or
	 * exits; else after SETTLE_MAX_USEC. */
	if (now_usec() - r->since < SETTLE_MAX_USEC)
		return false;
	land(r, true);
	failed(r, -1, "its fork did not take pid %d within %d s (the task is in syscall %ld)",
	       r->pids[0], SETTLE_MAX_USEC / 1000000, at);
	return true;
}

static void
settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct froute *r = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	if (!r->busy)
		return;
	if (settle(r, true)) {
		unotify_unhold_all();
		return;
	}
	r->wait = r->wait * 2 > SETTLE_LAST_USEC ? SETTLE_LAST_USEC : r->wait * 2;
	tv = (struct timeval){0, (suseconds_t)r->wait};
	evtimer_add(r->timer, &tv);
}

/* Just answered: its pid is looked for at once (the helper waits for it a
 * little), as the tree may exit soon after, and the namespace's helper with
 * it; if it is not taken yet, from a timer too. */
static void
look(struct froute *r)
{
	struct timeval tv = {0, SETTLE_FIRST_USEC};

	if (!settle(r, true)) {
		r->wait = SETTLE_FIRST_USEC;
		evtimer_add(r->timer, &tv);
	} else if (!r->serving) {
		unotify_unhold_all();
	}
}

static void
hold(struct froute *r, const struct seccomp_notif *req, int fd)
{
	struct held *h;

	/* One a thread: an older one of its was ended by a signal. */
	TAILQ_FOREACH(h, &r->held, entry)
	if (h->req.pid == req->pid && h->fd == fd) {
		h->req = *req;
		return;
	}
	h = xcalloc(1, sizeof(*h));
	h->fd = fd;
	h->req = *req;
	TAILQ_INSERT_TAIL(&r->held, h, entry);
}

/* The clone flags of the notified call, read while it waits; false if nsdd
 * cannot tell, or the call is one the route leaves to the ptrace route (the
 * restorer's own set_tid). */
static bool
flags_of(struct plan *plan, const struct seccomp_notif *req, int fd, const struct nsd_syscall *sc,
         uint64_t *flags)
{
	struct clone_args_v2 ca;
	struct mem_op op = {MEM_READ, req->data.args[0], &ca, sizeof(ca)};

	*flags = 0;
	if (sc->sc == NSD_SC_CLONE)
		*flags = req->data.args[0];
	if (sc->sc == NSD_SC_CLONE && fork_clone_refused(*flags & 0xffffffffULL))
		return false; /* the kernel's EINVAL, which takes no step */
	if (sc->sc != NSD_SC_CLONE3)
		return true;
	if (req->data.args[1] < sizeof(ca) || !plan_may_read(plan))
		return false;
	memset(&ca, 0, sizeof(ca));
	if (mem_access((pid_t)req->pid, &op, 1) < 0) {
		if (errno == ETIMEDOUT) {
			plan_stalled(plan);
			plan_up->stalled(plan);
		}
		return false;
	}
	*flags = ca.flags;
	return seccomp_id_valid(fd, req->id) && ca.set_tid_size == 0;
}

/* A fork of a task with a fork or thread step at its head: served here if
 * it may be; false: the ptrace route's. */
static bool
start(struct froute *r, const struct seccomp_notif *req, int fd, const struct nsd_syscall *sc)
{
	pid_t tid = (pid_t)req->pid;
	struct ptask *pt = plan_ptask_by_pid(r->plan, tid);
	const struct nsd_step *s = plan_head(pt);
	struct ns *ns[NSD_MAX_LEVELS];
	char ebuf[64];
	uint64_t flags;
	size_t i, levels;
	bool thread;

	if (s == NULL || !flags_of(r->plan, req, fd, sc, &flags) ||
	    (flags & (CLONE_NEWPID | CLONE_PARENT)))
		return false;
	thread = flags & CLONE_THREAD;
	if (s->call == NSD_CALL_ANY)
		s = plan_head_as(pt, thread ? NSD_CALL_THREAD : NSD_CALL_FORK);
	if (s->call != (thread ? NSD_CALL_THREAD : NSD_CALL_FORK))
		return false; /* the ptrace route says so, under "strict" */
	/* A thread with steps of its own takes the ptrace route, traced from
	 * its birth: an execve(2) of it would take its leader's pid, which only
	 * its exec event says (and nsdd may not seize a task of a process that
	 * is in an execve: it would wait on the execve, which waits on nsdd). */
	if (thread && plan_steps_left(plan_ptask(r->plan, s->pids[0])) > 0)
		return false;
	levels = s->npids;
	if (ns_child_pidns(tid, false, levels, r, plan_owner(r->plan), ns) < 0)
		return false;
	if (!may_serve(r, ns[levels - 1]) || !ns_lock(ns, levels, r)) {
		bool busy = may_serve(r, ns[levels - 1]);
		for (i = 0; i < levels; i++)
			ns_put(ns[i]);
		if (busy) /* a step of the ptrace route holds them: wait */
			hold(r, req, fd);
		return busy;
	}
	r->busy = true;
	r->fd = fd;
	r->id = req->id;
	r->tid = tid;
	r->cut = false;
	r->tgid = 0; /* read if the child's parent is not tid itself */
	r->pt = pt;
	r->sc = sc;
	r->thread = thread;
	r->levels = levels;
	for (i = 0; i < levels; i++) {
		r->ns[i] = ns[i];
		r->pids[i] = s->pids[i];
		r->old[i] = -1;
	}
	for (i = 0; i < levels; i++)
		if (ns_set_last_pid(ns[i], r->pids[i], &r->old[i]) < 0) {
			int err = errno;
			land(r, true);
			if (err != EEXIST)
				return false;
			/* As on the ptrace route: the fork fails, and its step (its
			 * failure first: with on_failure kill the task dies before it
			 * can see its fork fail). A call that a signal ended meanwhile
			 * is made again, and decided again. */
			if (seccomp_id_valid(fd, req->id))
				failed(r, -1, "%s", nsdd_errno_text(EEXIST, ebuf, sizeof(ebuf)));
			seccomp_answer(fd, req->id, EEXIST);
			return true;
		}
	log_debug("task %d: ns_last_pid set for pid %d, its %s let through", tid, r->pids[0],
	          sc->name);
	r->since = now_usec();
	r->wait = SETTLE_FIRST_USEC;
	/* A signal that ended its wait first: the call is made again. */
	r->cut = !seccomp_answer(fd, req->id, 0);
	look(r);
	return true;
}

/* The same task's fork notification while its step is in flight, the pid
 * not taken: the fork made again (a signal cut it short, perhaps after its
 * pid was taken and freed). ns_last_pid is written again. */
static bool
again(struct froute *r, const struct seccomp_notif *req, int fd)
{
	size_t i;

	for (i = 0; i < r->levels; i++)
		if (ns_set_last_pid(r->ns[i], r->pids[i], &(int32_t){0}) < 0)
			return false;
	r->fd = fd;
	r->id = req->id;
	r->cut = !seccomp_answer(fd, req->id, 0);
	look(r);
	return true;
}

void
unotify_task_gone(struct plan *plan, pid_t tid)
{
	struct froute *r = route_of(plan, NULL);

	if (r != NULL && r->busy && r->tid == tid && settle(r, false) && !r->serving)
		unotify_unhold_all();
}

void
unotify_cut(struct plan *plan, pid_t tid)
{
	struct froute *r = route_of(plan, NULL);

	if (r != NULL && r->busy && r->tid == tid)
		r->cut = true;
}

bool
unotify_notified(struct plan *plan, const struct seccomp_notif *req, int fd,
                 const struct nsd_syscall *sc, unotify_redo_fn redo)
{
	struct froute *r;

	bool fork = sc->call == NSD_CALL_FORK;

	if (!nsdd_notify_route || !plan_seccomp(plan) || plan_backend(plan) != BACKEND_KERNEL ||
	    (r = route_of(plan, fork ? redo : NULL)) == NULL)
		return false;
	/* Not waiting for the fork in flight if the notifier is its task: it
	 * waits for nsdd. Any other call is held too: it may be the new
	 * child's, which its plan task is not bound to yet. */
	if (r->busy && !settle(r, (pid_t)req->pid != r->tid)) {
		if ((pid_t)req->pid != r->tid || !fork) {
			hold(r, req, fd);
			return true;
		}
		/* Its fork again: made again after a signal (cut), or a new call
		 * after it came back to the task without its pid: it failed. */
		if (r->cut && again(r, req, fd))
			return true;
		land(r, true);
		failed(r, -1,
		       "its fork failed, without taking pid %d (this route does not see its error)",
		       r->pids[0]);
	}
	if (!fork)
		return false;
	if (!r->serving && !TAILQ_EMPTY(&r->held)) {
		/* Those held came first. */
		hold(r, req, fd);
		unotify_unhold_all();
		return true;
	}
	return start(r, req, fd, sc);
}

/* The held notifications of every route not in flight are served, each
 * once, in order (one that must wait again goes to the tail). */
void
unotify_unhold_all(void)
{
	struct froute *r;
	struct held *h;
	size_t n;

	TAILQ_FOREACH(r, &routes, entry)
	{
		if (r->serving)
			continue; /* this is a decision of one of its own */
		n = 0;
		TAILQ_FOREACH(h, &r->held, entry)
		n++;
		r->serving = true;
		while (n-- > 0 && !r->busy && (h = TAILQ_FIRST(&r->held)) != NULL) {
			TAILQ_REMOVE(&r->held, h, entry);
			if (seccomp_id_valid(h->fd, h->req.id) &&
			    (plan_ending(r->plan) || !r->redo(r->plan, &h->req, h->fd)))
				seccomp_answer(h->fd, h->req.id, 0);
			free(h);
		}
		r->serving = false;
	}
}

void
unotify_plan_ended(struct plan *plan)
{
	struct froute *r = route_of(plan, NULL);
	struct held *h;

	if (r == NULL)
		return;
	if (r->busy)
		land(r, true);
	while ((h = TAILQ_FIRST(&r->held)) != NULL) {
		TAILQ_REMOVE(&r->held, h, entry);
		if (seccomp_id_valid(h->fd, h->req.id))
			seccomp_answer(h->fd, h->req.id, 0);
		free(h);
	}
	TAILQ_REMOVE(&routes, r, entry);
	event_free(r->timer);
	free(r->checked);
	free(r);
}
