/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The notify route: a planned fork or IPC get answered from its notification
 * alone, with no ptrace stop (mode seccomp).
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
 * later (with CAP_SYS_ADMIN over it) is not seen: if its fork takes a
 * planned pid, the planned fork gets another, and the step fails when nsdd
 * reads the child's pids; a child reaped before that is trusted to have the
 * pid (doc/security.md).
 *
 * Where nsdd guesses which planned fork comes next (a child just made, whose
 * first step is a fork, in a tree made depth first), it writes ns_last_pid
 * for it as soon as the fork event says the child is made, ahead of the
 * child's call (flight_arm()); any other fork that comes first puts it back.
 *
 * A planned msgget, semget or shmget is served so too, where every task in
 * the caller's IPC namespace is the target or a descendant of it, and the
 * call's key has no object yet: *_next_id written, the plan's other
 * notifications held, CONTINUE.
 *
 * The fork in flight, and how nsdd sees whether it made the planned pid:
 * flight.c; the IPC get in flight: iflight.c.
 */
#include "config.h"

#include <errno.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/stat.h>

#include "clone3.h"
#include "flight.h"
#include "forkev.h"
#include "iflight.h"
#include "ipcns.h"
#include "listeners.h"
#include "ns.h"
#include "tracing.h"
#include "unotify.h"

/*
 * Whose fork comes next, guessed when a fork starts, for a restorer that
 * makes its tree depth first (the task just made goes first, and its parent
 * waits for it): the child made, if its first step is a fork; else the
 * notifier's next step; else, that being its last, the next of its nearest
 * ancestor with one. A guess is written ahead only where it does not follow
 * the pid just made (which needs nothing written) and while the route's
 * guesses mostly come true: each one wrong costs a write and a put back.
 */
enum guess { GUESS_NONE, GUESS_CHILD, GUESS_SELF, GUESS_PARENT };
#define SCORE_MIN (-8)

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
	bool serving;                /* its held notifications are being decided again */
	enum guess guess;            /* whose fork to write ahead when the one in flight lands */
	int32_t made;                /* the pid that one makes */
	pid_t notifier;              /* its task */
	enum guess armed;            /* the guess written ahead */
	int score[GUESS_PARENT + 1]; /* per guess: written ahead and came, less not */
	struct flight flight;        /* a fork in flight */
	struct iflight ipc;          /* or an IPC get in flight */
};

static TAILQ_HEAD(, froute) routes = TAILQ_HEAD_INITIALIZER(routes);
static void (*rested)(pid_t tid);

void
unotify_on_rest(void (*fn)(pid_t tid))
{
	rested = fn;
}

/*
 * Fork events wake nsdd only while a held notification waits on one, no
 * fork is in flight (the host's are then drained as they come), or a fork
 * in flight is a traced task's. A calm (untraced) notifier's fork with
 * nothing held is decided when the notifier calls again, or at its timer,
 * both of which read them: so its planned fork costs no wake-up of nsdd's
 * own for its event (the fork loop: 2.5 to 1.7 times native). A task that
 * rests seized keeps the wake-up: with it read lazily, a SIGCHLD storm once
 * failed a shell's fork with EINTR (twice in all, for a reason not found).
 */
static void
pace_events(void)
{
	struct froute *r;
	bool busy = false, held = false, traced = false, guess = false;

	TAILQ_FOREACH(r, &routes, entry)
	{
		busy |= r->flight.busy;
		held |= !TAILQ_EMPTY(&r->held);
		traced |= r->flight.busy && !plan_task_calm(r->flight.pt);
		guess |= r->flight.busy && r->guess != GUESS_NONE;
	}
	forkev_wake(held || !busy || traced || guess);
}

static void arm(struct froute *r);

/* A call in flight of task tid was decided from a timer or the kernel's
 * events: the task may be let go, and what the route held may go. */
static void
landed(pid_t tid)
{
	struct froute *r;

	if (rested != NULL)
		rested(tid);
	unotify_unhold_all();
	TAILQ_FOREACH(r, &routes, entry)
	arm(r);
	pace_events();
}

bool nsdd_notify_route = true;

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
	flight_init(&r->flight, plan, landed);
	iflight_init(&r->ipc, landed);
	TAILQ_INSERT_TAIL(&routes, r, entry);
	return r;
}

static bool
busy(const struct froute *r)
{
	return r->flight.busy || r->ipc.busy;
}

/* The notifier of the call in flight. */
static pid_t
in_flight(const struct froute *r)
{
	return r->flight.busy ? r->flight.tid : r->ipc.tid;
}

/* Whether the call in flight, if any, is over, looked at for a notification
 * of task tid. */
static bool
settle(struct froute *r, pid_t tid)
{
	pid_t notifier = in_flight(r);
	enum look how = tid == notifier ? LOOK_CALLED : LOOK_NOW;
	bool over;

	if (!busy(r))
		return true;
	over = r->flight.busy ? flight_settle(&r->flight, how) : iflight_settle(&r->ipc, how);
	if (over && rested != NULL)
		rested(notifier);
	if (over)
		r->guess = GUESS_NONE; /* its next call is here: nothing to write ahead */
	return over;
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
	if (mem_access_untraced((pid_t)req->pid, &op, 1) < 0) {
		if (errno == ETIMEDOUT) {
			plan_stalled(plan);
			plan_up->stalled(plan);
		}
		return false;
	}
	*flags = ca.flags;
	return seccomp_id_valid(fd, req->id) && ca.set_tid_size == 0;
}

/* Step next is a fork whose pid does not follow the one step s makes. */
static bool
apart(const struct nsd_step *next, const struct nsd_step *s)
{
	return next != NULL && (next->call == NSD_CALL_FORK || next->call == NSD_CALL_THREAD) &&
	       next->pids[0] != s->pids[0] + 1;
}

/* Whose fork to write ahead once task pt's fork s lands (the kernel's fork
 * event then wakes nsdd: arm()). Not in a container, where the kernel's
 * next pid may move unseen (flight.c). */
static enum guess
guess(struct froute *r, struct ptask *pt, const struct nsd_step *s)
{
	const struct nsd_step *after = plan_step_ahead(pt, 1);
	enum guess g = GUESS_PARENT;

	if (plan_container(r->plan))
		return GUESS_NONE;
	if (apart(plan_step_ahead(plan_ptask(r->plan, s->pids[0]), 0), s))
		g = GUESS_CHILD;
	else if (after != NULL)
		g = apart(after, s) ? GUESS_SELF : GUESS_NONE;
	return r->score[g] > SCORE_MIN ? g : GUESS_NONE;
}

/* The fork written ahead came (true), or another came first. */
static void
scored(struct froute *r, bool came)
{
	int *score = &r->score[r->armed];

	if (came && *score < -SCORE_MIN)
		(*score)++;
	else if (!came)
		(*score)--;
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
	uint64_t flags;
	size_t i, levels;
	pid_t tgid = 0;
	bool thread, refused;

	if (s == NULL || !flight_events_on() || !flags_of(r->plan, req, fd, sc, &flags) ||
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
	/* A thread's event names its process, not the thread that made it. */
	if (thread && (tgid = ns_tgid(tid)) <= 0)
		return false;
	levels = s->npids;
	/* Read as it waits in this fork (kept for the next): it holds till answered. */
	if (ns_child_pidns(tid, false, levels, r, plan_owner(r->plan), plan_task_kids(pt, tid),
	                   ns) < 0)
		return false;
	if (!may_serve(r, ns[levels - 1]) || !ns_lock(ns, levels, &r->flight)) {
		bool busy = may_serve(r, ns[levels - 1]);
		for (i = 0; i < levels; i++)
			ns_put(ns[i]);
		if (busy) /* a step of the ptrace route holds them: wait */
			hold(r, req, fd);
		return busy;
	}
	if (r->flight.armed.tid == tid)
		scored(r, true);
	if (flight_start(&r->flight, req, fd, sc, pt, s, ns, tgid, &refused)) {
		r->guess = guess(r, pt, s);
		r->made = s->pids[0];
		r->notifier = tid;
		return true;
	}
	return refused;
}

/* The nearest ancestor of the notifier with a step left: a depth-first
 * restorer goes back up to it once the subtree below is made. */
static struct ptask *
next_up(struct froute *r)
{
	pid_t pid = r->notifier;
	struct ptask *pt;
	int up;

	for (up = 0; up < 8 && (pid = nsdd_parent_of(pid)) > 0; up++)
		if ((pt = plan_ptask_by_pid(r->plan, pid)) == NULL || plan_head(pt) != NULL)
			return pt; /* none past a task not the plan's */
	return NULL;
}

/* The fork that just landed: the one guessed next is written ahead. */
static void
arm(struct froute *r)
{
	struct ptask *pt;
	const struct nsd_step *s;
	struct ns *ns[NSD_MAX_LEVELS];
	size_t i;
	pid_t tid;

	if (r->guess == GUESS_NONE || busy(r))
		return;
	if (r->guess == GUESS_CHILD)
		pt = plan_ptask(r->plan, r->made);
	else if (r->guess == GUESS_SELF)
		pt = plan_ptask_by_pid(r->plan, r->notifier);
	else
		pt = next_up(r);
	r->armed = r->guess;
	r->guess = GUESS_NONE;
	if ((s = plan_head(pt)) == NULL || (tid = plan_task_pid(pt)) <= 0 ||
	    (s->call != NSD_CALL_FORK && s->call != NSD_CALL_THREAD) || s->pids[0] == r->made + 1 ||
	    ns_child_pidns(tid, false, s->npids, r, plan_owner(r->plan), NULL, ns) < 0)
		return;
	if (may_serve(r, ns[s->npids - 1])) {
		flight_arm(&r->flight, tid, s, ns);
		return;
	}
	for (i = 0; i < s->npids; i++)
		ns_put(ns[i]);
}

/* An IPC get of a task whose head step is of its kind (and key): served
 * here if its namespace holds only the plan's tree; false: the ptrace
 * route's. */
static bool
start_ipc(struct froute *r, const struct seccomp_notif *req, int fd, const struct nsd_syscall *sc)
{
	pid_t tid = (pid_t)req->pid;
	struct ptask *pt = plan_ptask_by_pid(r->plan, tid);
	const struct nsd_step *s = plan_head(pt);
	struct ns *ns;
	int32_t key;
	bool wait;

	r->guess = GUESS_NONE;
	if (s != NULL && s->call == NSD_CALL_ANY)
		s = plan_head_as(pt, sc->call);
	/* key_t is an int: the low 32 bits of the first argument. */
	if (s == NULL || s->call != sc->call ||
	    (s->has_key && (int32_t)(uint32_t)req->data.args[0] != s->key))
		return false;
	if ((ns = ns_ipc_of(tid, r->plan, plan_owner(r->plan))) == NULL)
		return false;
	/* A key with an object makes none: the ptrace route sees what the call
	 * returns (the object, or EEXIST, or EACCES). */
	key = (int32_t)(uint32_t)req->data.args[sc->key_arg];
	if (key != IPC_PRIVATE && may_serve(r, ns) && ipcns_id_of_key(ns, sc->call, key) >= 0) {
		ns_put(ns);
		return false;
	}
	if (!may_serve(r, ns) || !ns_lock(&ns, 1, &r->ipc)) {
		wait = may_serve(r, ns);
		ns_put(ns);
		if (wait) /* a step of the ptrace route holds it */
			hold(r, req, fd);
		return wait;
	}
	return iflight_start(&r->ipc, req, fd, sc, pt, s, ns);
}

void
unotify_task_gone(struct plan *plan, pid_t tid)
{
	struct froute *r = route_of(plan, NULL);

	if (r == NULL || !busy(r) || (tid != 0 && in_flight(r) != tid))
		return;
	if ((r->flight.busy ? flight_settle(&r->flight, LOOK_LAST)
	                    : iflight_settle(&r->ipc, LOOK_LAST)) &&
	    !r->serving)
		unotify_unhold_all();
	pace_events();
}

void
unotify_cut(struct plan *plan, pid_t tid)
{
	struct froute *r = route_of(plan, NULL);

	if (r != NULL && busy(r) && in_flight(r) == tid)
		*(r->flight.busy ? &r->flight.cut : &r->ipc.cut) = true;
}

static bool notified(struct plan *plan, const struct seccomp_notif *req, int fd,
                     const struct nsd_syscall *sc, unotify_redo_fn redo);

bool
unotify_notified(struct plan *plan, const struct seccomp_notif *req, int fd,
                 const struct nsd_syscall *sc, unotify_redo_fn redo)
{
	bool taken = notified(plan, req, fd, sc, redo);

	pace_events();
	return taken;
}

static bool
notified(struct plan *plan, const struct seccomp_notif *req, int fd, const struct nsd_syscall *sc,
         unotify_redo_fn redo)
{
	bool fork = sc->call == NSD_CALL_FORK, taken = unotify_takes(sc->call);
	struct froute *r;

	if (!nsdd_notify_route || !plan_seccomp(plan) || plan_backend(plan) != BACKEND_KERNEL ||
	    (r = route_of(plan, taken ? redo : NULL)) == NULL)
		return false;
	/* Another task's fork would take what was written ahead: put back. */
	if (fork && r->flight.armed.tid != 0 && r->flight.armed.tid != (pid_t)req->pid) {
		flight_disarm(&r->flight);
		scored(r, false);
	}
	/* A call of another task is held while a call is in flight: it may be
	 * a fork or an IPC get, or the new child's, whose plan task is not
	 * bound to it yet. A call of the notifier says it is out of its own. */
	if (busy(r) && !settle(r, (pid_t)req->pid)) {
		if ((pid_t)req->pid != in_flight(r)) {
			hold(r, req, fd);
			return true;
		}
		/* A signal cut its call short: a call of its handler goes its
		 * way, and the call, made again, is answered again. */
		if (r->ipc.busy && sc->call == r->ipc.call) {
			iflight_again(&r->ipc, req, fd);
			return true;
		}
		if (!fork || r->ipc.busy)
			return false;
		if (flight_again(&r->flight, req, fd))
			return true;
		/* It could not be: its step failed, and the call goes its way. */
	}
	if (!taken)
		return false;
	if (!r->serving && !TAILQ_EMPTY(&r->held)) {
		/* Those held came first. */
		hold(r, req, fd);
		unotify_unhold_all();
		return true;
	}
	if (!fork)
		return start_ipc(r, req, fd, sc);
	if (start(r, req, fd, sc))
		return true;
	if (r->flight.armed.tid != 0) { /* it goes its own way */
		flight_disarm(&r->flight);
		scored(r, false);
	}
	return false;
}

bool
unotify_takes(enum nsd_call call)
{
	return call == NSD_CALL_FORK || call == NSD_CALL_MSGGET || call == NSD_CALL_SEMGET ||
	       call == NSD_CALL_SHMGET;
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
		while (n-- > 0 && !busy(r) && (h = TAILQ_FIRST(&r->held)) != NULL) {
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
	flight_free(&r->flight);
	iflight_free(&r->ipc);
	while ((h = TAILQ_FIRST(&r->held)) != NULL) {
		TAILQ_REMOVE(&r->held, h, entry);
		if (seccomp_id_valid(h->fd, h->req.id))
			seccomp_answer(h->fd, h->req.id, 0);
		free(h);
	}
	TAILQ_REMOVE(&routes, r, entry);
	free(r->checked);
	free(r);
	pace_events();
}
