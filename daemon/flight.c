/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A planned fork in flight on the notify route (flight.h).
 *
 * The fork's result is seen without a stop, in the kernel's fork events
 * (forkev.c), which come for a fork that made a child, before the fork
 * returns: an event with the notifier as parent (a thread: of its process)
 * after the answer names the child, whose /proc status must show the
 * notifier as parent and the planned pid at every level (a child reaped by
 * then is the one the kernel made after pid - 1, every other fork of the
 * namespace held). No event once the notifier is seen out of its call (its
 * next notification, its exit, blocked in another syscall), or 5 s while
 * it runs: the fork failed (RLIMIT_NPROC, ENOMEM, the pids controller's
 * EAGAIN after the pid was taken), ns_last_pid is put back, and the step
 * fails, as a failed fork's step fails on the ptrace route. A fork that a
 * signal cut short (tracee_signalled() saw -ERESTARTNOINTR, or the answer
 * found the notification gone) is answered again when it is made again.
 * Where the kernel sends nsdd no fork events, the route is off.
 */
#include "config.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flight.h"
#include "forkev.h"
#include "listeners.h"
#include "log.h"
#include "ns.h"
#include "tracing.h"

/* How long a fork in flight whose task runs may go without its event (one
 * whose task is blocked in the call waits for it). */
#define SETTLE_MAX_USEC (5 * 1000 * 1000)
/* Checks of whether the task of a fork in flight left its call: doubling. */
#define SETTLE_FIRST_USEC 2000
#define SETTLE_LAST_USEC  50000

static TAILQ_HEAD(, flight) flights = TAILQ_HEAD_INITIALIZER(flights);
static struct event *noted_ev; /* fork events were noted: settle them */
static bool forkev_off;        /* the kernel sends nsdd none */

/* Its namespaces are let go; with put_back, ns_last_pid gets its old values
 * back where no fork took the planned pid. */
static void
land(struct flight *f, bool put_back)
{
	size_t i;

	if (put_back)
		f->known = 0; /* it failed: what the namespaces' next fork gets is not known */
	for (i = 0; put_back && i < f->levels; i++)
		ns_put_back_last_pid(f->ns[i], f->pids[i], f->old[i], false);
	ns_unlock(f->ns, f->levels, f);
	for (i = 0; i < f->levels; i++)
		ns_put(f->ns[i]);
	f->busy = false;
	evtimer_del(f->timer);
}

static void __attribute__((format(printf, 3, 4)))
failed(struct flight *f, long long got, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	plan_up->step_failed(f->pt, f->sc->name, f->pids[0], got, msg);
}

/* Child's pids at the step's levels, innermost first, into got (-1 where it
 * has none): 0, or -1 if it is gone (reaped). Its parent (a thread: its
 * thread group) goes to *rel where nsdd reads it. */
static int
pids_of(struct flight *f, pid_t child, int32_t *got, long *rel)
{
	int32_t nspid[NSD_MAX_LEVELS + 1];
	size_t n = 0, i;

	/* The namespaces translate it (Linux 6.9): no file read. The fork event
	 * named the notifier as its parent, and no other task of these
	 * namespaces was made since, to take its pid after a reap. */
	for (i = 0; i < f->levels; i++)
		if ((got[i] = ns_pid_in(f->ns[i], child)) < 0 && errno != ESRCH)
			break;
	if (i == f->levels) {
		*rel = f->thread ? f->tgid : f->tid;
		return got[0] > 0 ? 0 : -1;
	}
	/* An exiting child's innermost pid reads 0. */
	if (nsdd_nspids_and(child, f->thread ? "Tgid" : "PPid", rel, nspid, NSD_MAX_LEVELS + 1,
	                    &n) < 0 ||
	    n == 0 || nspid[0] <= 0)
		return -1;
	for (i = 0; i < f->levels; i++)
		got[i] = i < n ? nspid[i] : -1;
	return 0;
}

/* The planned pid is taken, as child (0: taken, and reaped already): the
 * step is applied if the child is the notifier's, with the planned pid at
 * every level. */
static void
taken(struct flight *f, pid_t child)
{
	int32_t got[NSD_MAX_LEVELS];
	size_t i, bad = f->levels;
	long rel = -1;
	pid_t seen = child;

	if (child > 0 && pids_of(f, child, got, &rel) < 0)
		child = 0; /* reaped meanwhile */
	for (i = 0; child > 0 && i < f->levels && bad == f->levels; i++)
		if (got[i] != f->pids[i])
			bad = i;
	/* What the namespaces' next forks get, for flight_start(). */
	f->known =
	    bad == f->levels && (child == 0 || rel == (f->thread ? f->tgid : f->tid)) ? f->mark : 0;
	for (i = 0; f->known != 0 && i < f->levels; i++)
		ns_forked(f->ns[i], f->pids[i], f);
	land(f, false);
	if (child > 0 && rel != (f->thread ? f->tgid : f->tid)) {
		failed(f, -1, "pid %d was taken by task %d, not by the task's fork", f->pids[0],
		       child);
		return;
	}
	if (bad < f->levels) {
		failed(f, got[bad], "level %zu: pid %d, not %d", bad, got[bad], f->pids[bad]);
		return;
	}
	plan_up->applied(f->pt, f->sc->name, MECH_NS_LAST_PID, ROUTE_NOTIFY, f->pids[0],
	                 f->pids[0]);
	/* A child reaped already is born too: its exit is told at once, so that
	 * steps of its own fail its plan now, not when the tree is gone. A calm
	 * notifier's child is calm: its handlers are a copy of the notifier's,
	 * each of which nsdd has seen set (notify.c). */
	if (seen > 0) {
		struct ptask *pt = plan_ptask(f->plan, f->pids[0]);
		if (pt != NULL)
			plan_task_set_calm(pt, plan_task_calm(f->pt));
		plan_up->born(pt, seen);
	}
}

/*
 * Whether the fork in flight is over (reported and let go): its child is
 * seen, or the notifier is out of its call without one, or it took too
 * long. false: it is still to come (or, cut, to be made again).
 */
bool
flight_settle(struct flight *f, enum look how)
{
	long at = NSDD_RUNNING;
	bool gone, over;

	/* The events that came so far may name its child; if not, what the
	 * task does is seen before they are read again: a fork it has left by
	 * then has sent its event, if it made a child. */
	if (f->child == 0)
		forkev_read();
	if (f->child == 0 && how == LOOK_NOW) {
		at = nsdd_proc_syscall(f->tid);
		forkev_read();
	}
	if (f->child == 0 && f->lost && ns_find_pid(f->ns[0], f->pids[0], &f->child) < 0)
		f->child = 0;
	if (f->child != 0) {
		taken(f, f->child);
		return true;
	}
	gone = how == LOOK_LAST || at == NSDD_GONE;
	over = gone || how == LOOK_CALLED || (at >= 0 && at != f->sc->nr);
	/* Blocked in its fork (a userfaultfd, memory), it waits as long as
	 * that takes; running, it may be past it, so not for ever. */
	if (!over && (at == f->sc->nr || nsdd_mono_usec() - f->since < SETTLE_MAX_USEC))
		return false;
	if (f->cut && !gone &&
	    (how == LOOK_CALLED || nsdd_mono_usec() - f->since < SETTLE_MAX_USEC))
		return false; /* a signal cut it short: it is made again */
	land(f, true);
	if (f->lost)
		failed(f, -1,
		       "nsdd lost the kernel's fork events: it cannot tell whether the "
		       "fork made pid %d",
		       f->pids[0]);
	else if (gone)
		failed(f, -1, "the task ended before its fork made pid %d", f->pids[0]);
	else if (over)
		failed(f, -1,
		       "its fork failed, without making pid %d (this route does not see "
		       "its error)",
		       f->pids[0]);
	else
		failed(f, -1, "its fork made no child within %d s (the task is in syscall %ld)",
		       SETTLE_MAX_USEC / 1000000, at);
	return true;
}

static void
settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct flight *f = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	if (!f->busy)
		return;
	if (flight_settle(f, LOOK_NOW)) {
		f->landed(f->tid);
		return;
	}
	tv = nsdd_backoff(&f->wait, SETTLE_LAST_USEC);
	evtimer_add(f->timer, &tv);
}

/* Just answered: its event is waited for, and a timer looks whether the
 * task left its call without one. */
static void
look(struct flight *f)
{
	struct timeval tv = {0, SETTLE_FIRST_USEC};

	f->child = 0;
	f->lost = false;
	f->since = nsdd_mono_usec();
	f->wait = SETTLE_FIRST_USEC;
	evtimer_add(f->timer, &tv);
}

/* Fork events were read: the forks in flight they name are settled. */
static void
noted_cb(evutil_socket_t fd, short what, void *arg)
{
	struct flight *f;
	pid_t tid;

	(void)fd;
	(void)what;
	(void)arg;
	TAILQ_FOREACH(f, &flights, entry)
	{
		tid = f->tid;
		if (f->busy && f->child != 0 && flight_settle(f, LOOK_NOW))
			f->landed(tid);
	}
}

/* A fork event: the fork in flight it is of, if any, has its child. true
 * once it was one's and no fork in flight waits for its event any more. */
static bool
noted(const struct fork_event *fe)
{
	struct flight *f;
	bool used = false, waits = false;

	TAILQ_FOREACH(f, &flights, entry)
	{
		if (f->busy && f->child == 0 && fe->when >= f->since * 1000 &&
		    (f->thread ? fe->child_tgid == f->tgid && fe->child != fe->child_tgid
		               : fe->parent == f->tid && fe->child == fe->child_tgid)) {
			f->child = fe->child;
			event_active(noted_ev, 0, 0);
			used = true;
		}
		waits |= f->busy && f->child == 0;
	}
	return used && !waits;
}

static void
lost(void)
{
	struct flight *f;

	TAILQ_FOREACH(f, &flights, entry)
	if (f->busy)
		f->lost = true;
}

static const struct forkev_ops forkev_ops = {noted, lost};

bool
flight_events_on(void)
{
	if (forkev_off)
		return false;
	if (forkev_start(&forkev_ops) < 0) {
		if (errno == EAGAIN) {
			log_warn("cannot check the kernel's fork events now: this fork takes "
			         "the ptrace route");
			return false;
		}
		log_warn("the kernel does not send nsdd its fork events (the proc connector): "
		         "planned forks take the ptrace route");
		forkev_off = true;
		return false;
	}
	if (noted_ev == NULL && (noted_ev = event_new(nsdd_base, -1, 0, noted_cb, NULL)) == NULL)
		fatalx("out of memory");
	return true;
}

void
flight_init(struct flight *f, struct plan *plan, void (*landed)(pid_t tid))
{
	memset(f, 0, sizeof(*f));
	f->plan = plan;
	f->landed = landed;
	if ((f->timer = evtimer_new(nsdd_base, settle_cb, f)) == NULL)
		fatalx("out of memory");
	TAILQ_INSERT_TAIL(&flights, f, entry);
}

void
flight_free(struct flight *f)
{
	flight_disarm(f);
	if (f->busy)
		land(f, true);
	event_free(f->timer);
	TAILQ_REMOVE(&flights, f, entry);
	if (TAILQ_EMPTY(&flights))
		forkev_stop(); /* the host's forks are not read for nothing */
}

/*
 * Written ahead: where a planned fork will come next from a task that is
 * starting (a planned child that has steps of its own, whose parent waits
 * for it, as a restorer that makes its tree depth first does), nsdd writes
 * ns_last_pid for it as soon as the kernel's fork event says the child is
 * made, while the child starts on the other CPU, not once its call waits
 * for the answer: its fork then finds the kernel's next pid the planned
 * one (flight_start()). Until then, any other fork of the namespace that
 * is not this one puts it back first (unotify.c), so that what a fork
 * nobody planned gets is what it would have got, and a fork of another
 * step writes its own; any notification between them sends the guessed
 * fork to the helper again, as does a fork of the ptrace route.
 */
void
flight_arm(struct flight *f, pid_t tid, const struct nsd_step *s, struct ns **ns)
{
	size_t i, n = s->npids;

	flight_disarm(f);
	if (f->busy || !ns_lock(ns, n, f)) {
		for (i = 0; i < n; i++)
			ns_put(ns[i]);
		return;
	}
	for (i = 0; i < n; i++)
		if (ns_set_last_pid(ns[i], s->pids[i], &f->armed.old[i]) < 0)
			break;
	if (i < n) { /* its pid is taken, or the helper failed: the fork will say */
		while (i-- > 0)
			ns_put_back_last_pid(ns[i], s->pids[i], f->armed.old[i], true);
		ns_unlock(ns, n, f);
		for (i = 0; i < n; i++)
			ns_put(ns[i]);
		return;
	}
	for (i = 0; i < n; i++) {
		ns_forked(ns[i], s->pids[i] - 1, f);
		f->armed.ns[i] = ns[i];
		f->armed.pids[i] = s->pids[i];
	}
	ns_unlock(ns, n, f);
	f->armed.tid = tid;
	f->armed.levels = n;
	f->known = seccomp_received();
	log_debug("task %d: ns_last_pid set ahead for its fork of pid %d", tid, s->pids[0]);
}

void
flight_disarm(struct flight *f)
{
	size_t i, n = f->armed.levels;
	bool mine;

	if (f->armed.tid == 0)
		return;
	/* A step of the ptrace route that holds them has written its own. */
	mine = ns_lock(f->armed.ns, n, f);
	for (i = 0; mine && i < n; i++)
		ns_put_back_last_pid(f->armed.ns[i], f->armed.pids[i], f->armed.old[i], true);
	if (mine)
		ns_unlock(f->armed.ns, n, f);
	for (i = 0; i < n; i++)
		ns_put(f->armed.ns[i]);
	f->armed.tid = 0;
	f->known = 0;
}

/* The fork of task tid, step s, into ns is the one written ahead. */
static bool
armed_for(const struct flight *f, pid_t tid, const struct nsd_step *s, struct ns *const *ns)
{
	size_t i;

	if (f->armed.tid != tid || f->armed.levels != s->npids)
		return false;
	for (i = 0; i < s->npids; i++)
		if (f->armed.pids[i] != s->pids[i] || f->armed.ns[i] != ns[i])
			return false;
	return true;
}

bool
flight_start(struct flight *f, const struct seccomp_notif *req, int fd,
             const struct nsd_syscall *sc, struct ptask *pt, const struct nsd_step *s,
             struct ns **ns, pid_t tgid, bool *refused)
{
	char ebuf[64];
	size_t i;
	bool fast;

	*refused = false;
	if (f->armed.tid != 0 && !armed_for(f, (pid_t)req->pid, s, ns))
		flight_disarm(f);
	f->busy = true;
	f->fd = fd;
	f->id = req->id;
	f->tid = (pid_t)req->pid;
	f->cut = false;
	f->pt = pt;
	f->sc = sc;
	f->thread = tgid != 0;
	f->tgid = tgid;
	f->levels = s->npids;
	for (i = 0; i < f->levels; i++) {
		f->ns[i] = ns[i];
		f->pids[i] = s->pids[i];
		f->old[i] = -1;
	}
	/* Where nsdd saw the last fork of every level make pid - 1, and took
	 * no notification of any listener since (a fork of any task under
	 * one of its filters is one), the kernel's next pid is the planned one
	 * already: nothing to write (a fork loop's consecutive pids, a
	 * parent's leaf children). Not in a container: an exec into it (a
	 * probe) forks into its namespace before nsdd hears of it, under no
	 * filter, and would move the kernel's next pid unseen. */
	fast = f->known != 0 && seccomp_received() == f->known + 1 && !plan_container(f->plan);
	for (i = 0; fast && i < f->levels; i++)
		fast = ns_next_is(ns[i], f->pids[i], f);
	for (i = 0; fast && i < f->levels; i++)
		f->old[i] = f->pids[i] - 1;
	for (i = 0; !fast && i < f->levels; i++)
		if (ns_set_last_pid(ns[i], f->pids[i], &f->old[i]) < 0) {
			int err = errno;
			land(f, true);
			flight_disarm(f); /* what was there before it, back */
			if (err != EEXIST)
				return false;
			/* As on the ptrace route: the fork fails, and its step (its
			 * failure first: with on_failure kill the task dies before it
			 * can see its fork fail). A call that a signal ended meanwhile
			 * is made again, and decided again. */
			*refused = true;
			if (seccomp_id_valid(fd, req->id))
				failed(f, -1, "%s", nsdd_errno_text(EEXIST, ebuf, sizeof(ebuf)));
			seccomp_answer(fd, req->id, EEXIST);
			return false;
		}
	for (i = 0; f->armed.tid != 0 && i < f->levels; i++) {
		f->old[i] = f->armed.old[i]; /* a failure puts back what it found */
		ns_put(f->armed.ns[i]);
	}
	f->armed.tid = 0;
	f->mark = seccomp_received();
	log_debug("task %d: ns_last_pid %s for pid %d, its %s let through", f->tid,
	          fast ? "was right" : "set", f->pids[0], sc->name);
	look(f);
	/* A signal that ended its wait first: the call is made again. */
	f->cut = !seccomp_answer(fd, req->id, 0);
	return true;
}

bool
flight_again(struct flight *f, const struct seccomp_notif *req, int fd)
{
	size_t i;

	for (i = 0; i < f->levels; i++)
		if (ns_set_last_pid(f->ns[i], f->pids[i], &(int32_t){0}) < 0) {
			land(f, true);
			failed(f, -1, "cannot write ns_last_pid again for pid %d: %s", f->pids[0],
			       strerror(errno));
			return false;
		}
	f->fd = fd;
	f->id = req->id;
	f->mark = seccomp_received();
	look(f);
	f->cut = !seccomp_answer(fd, req->id, 0);
	return true;
}
