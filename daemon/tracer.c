/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ptrace engine. Every tracee is PTRACE_SEIZEd (ptrace(2), Linux 3.4+), so
 * that group-stops can be kept with PTRACE_LISTEN and a running task can be
 * stopped with PTRACE_INTERRUPT. A tracee stops at syscalls only while its
 * plan task has pending steps; fork events are turned on only for the one
 * syscall that a step applies to. Every stop ends in tracer_resume(), which
 * either restarts the task or detaches it: no path leaves a task stopped.
 *
 * At a targeted syscall's entry the engine looks the syscall up in the
 * syscall table and hands it to the row's step handler; the exit and fork
 * events of that syscall go to the step in flight. The plan room above
 * tells the tracer to attach and let go (from the event loop, never inside
 * a stop); the tracer reports what its tasks do through plan_up.
 */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "tracer.h"
#include "tracing.h"
#include "ns.h"
#include "unotify.h"

static void handle_stop(struct tracee *t, int status);
static void tracer_resume(struct tracee *t);
static void tracee_gone(struct tracee *t, int status);

/* The record goes, and its plan hears of it. */
static void
drop(struct tracee *t)
{
	struct plan *plan = t->task.plan;

	tracee_free(t);
	if (plan != NULL)
		plan_up->tracee_gone(plan);
	tracer_notify_status();
}

/* Tasks that PTRACE_DETACH found running: a SIGKILL (their exit_group(2))
 * ended their stop. Still nsdd's, they stop at their exit: let go there. */
static pid_t *dying;
static size_t ndying;

static bool
forget_dying(pid_t tid)
{
	size_t i;

	for (i = 0; i < ndying; i++)
		if (dying[i] == tid) {
			dying[i] = dying[--ndying];
			return true;
		}
	return false;
}

static void
detach(struct tracee *t, int sig)
{
	tracee_loud(t, 0);
	if (ptrace(PTRACE_DETACH, t->task.tid, NULL, (void *)(long)sig) < 0) {
		if (errno != ESRCH) {
			log_warn("PTRACE_DETACH %d", t->task.tid);
		} else if (!tracee_vanished(t)) {
			dying = xreallocarray(dying, ndying + 1, sizeof(*dying));
			dying[ndying++] = t->task.tid;
		}
	}
	log_debug("detached %d", t->task.tid);
	plan_up->detached(t->task.ptask, &t->task);
	drop(t);
}

/* Restarts a stopped tracee, or detaches it once nsdd needs nothing more of it. */
static void
tracer_resume(struct tracee *t)
{
	int sig = t->inject_sig, req;
	enum stops stops;
	bool syscalls;

	/* Only handle_stop() may run a task's first stop (it restores registers). */
	if (!t->stopped || t->held || t->task.plan == NULL || t->initial)
		return;
	if (!t->killed && plan_kills(t->task.plan)) {
		/* Its plan ended so while it was stopped: it dies as the plan's
		 * other tasks do (tracer_let_go(), from the loop). */
		t->killed = true;
		kill(t->task.tid, SIGKILL);
	}
	if (t->killed) {
		/* SIGKILL is pending; let it run to its death. */
		t->stopped = false;
		ptrace(PTRACE_CONT, t->task.tid, NULL, NULL);
		return;
	}
	stops = tracee_stops(t);
	syscalls = stops == STOPS_SYSCALLS || t->fix_regs;
	if (!syscalls && stops == STOPS_NONE) {
		detach(t, sig);
		return;
	}
	t->inject_sig = 0;
	t->stopped = false;
	if (t->group_stop) {
		t->group_stop = false;
		req = PTRACE_LISTEN;
		sig = 0;
	} else {
		req = syscalls ? PTRACE_SYSCALL : PTRACE_CONT;
	}
	if (ptrace(req, t->task.tid, NULL, (void *)(long)sig) < 0 && errno != ESRCH) {
		/* Never leave a task stopped: if it cannot be restarted, let it go. */
		log_warn("cannot restart task %d (ptrace request %d); detaching it", t->task.tid,
		         req);
		t->stopped = true;
		detach(t, 0);
	}
}

void
tracer_rested(pid_t tid)
{
	struct tracee *t = tracee_find(tid);

	/* Its stop, which this asks for, lets it go (tracer_resume()). */
	if (t != NULL && !t->gone && !t->stopped && !t->initial && tracee_stops(t) == STOPS_NONE)
		tracee_interrupt(tid);
}

/* A namespace lock was released: let every held task try again, in order. */
void
tracer_unhold_all(void)
{
	struct tracee *t;
	size_t n = 0;

	TAILQ_FOREACH(t, &held, hold_entry)
	n++;
	/* A task that is held again goes to the tail; each is tried once. */
	while (n-- > 0 && (t = TAILQ_FIRST(&held)) != NULL) {
		TAILQ_REMOVE(&held, t, hold_entry);
		t->held = false;
		t->task.step->ops->entry(&t->task, NULL, NULL);
		if (!t->held)
			tracer_resume(t);
	}
	unotify_unhold_all(); /* notifications held for that lock */
}

/* A held task gives up its wait for a lock, and its step in the making. */
static void
unhold(struct tracee *t)
{
	if (t->held) {
		TAILQ_REMOVE(&held, t, hold_entry);
		t->held = false;
		t->task.step->ops->abandon(&t->task);
	}
}

static void
release(struct tracee *t)
{
	if (t->gone)
		return;
	t->detach_wanted = true;
	unhold(t);
	if (t->stopped) {
		tracer_resume(t);
	} else if (!t->initial) {
		if (ptrace(PTRACE_INTERRUPT, t->task.tid, NULL, NULL) < 0) {
			if (errno != ESRCH)
				log_warn("PTRACE_INTERRUPT %d", t->task.tid);
			else if (tracee_vanished(t))
				tracee_gone(t, 0); /* no stop will ever come */
		}
	}
}

static void
kill_tracee(struct tracee *t)
{
	if (t->gone)
		return;
	t->killed = true;
	unhold(t);
	kill(t->task.tid, SIGKILL);
	if (t->stopped)
		tracer_resume(t);
	else if (!t->stopped && tracee_vanished(t))
		tracee_gone(t, 0);
}

void
tracer_let_go(struct plan *plan, bool kill)
{
	struct tracee *t, *next;

	TAILQ_FOREACH_SAFE(t, &tracees, entry, next)
	{
		if (t->task.plan != plan)
			continue;
		if (kill)
			kill_tracee(t);
		else
			release(t);
	}
}

static void
adopted_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tracee *c;

	(void)fd;
	(void)what;
	(void)arg;
	while ((c = TAILQ_FIRST(&adopted)) != NULL) {
		TAILQ_REMOVE(&adopted, c, hold_entry);
		c->adopted = false;
		c->stopped = false;
		handle_stop(c, c->parked_status);
	}
}

/*
 * The first stop of an adopted orphan, now that its parent is known, is
 * handled from the event loop: never inside the parent's stop handler.
 */
static void
adopt_orphan(struct tracee *c)
{
	static struct event *ev;

	if (!c->stopped || !c->initial || c->adopted)
		return;
	if (ev == NULL && (ev = event_new(nsdd_base, -1, 0, adopted_cb, NULL)) == NULL)
		fatalx("out of memory");
	c->adopted = true;
	TAILQ_INSERT_TAIL(&adopted, c, hold_entry);
	event_active(ev, 0, 0);
}

/* An orphan adopted by its parent's plan: the plan hears of a new tracee. */
static struct tracee *
child_of(struct tracee *parent, pid_t child)
{
	struct tracee *c = tracee_find(child);
	bool joins = c == NULL || c->task.plan == NULL;

	if (ndying > 0)
		forget_dying(child); /* a new task: the one that had its tid is gone */

	c = tracee_child(parent, child);
	if (joins)
		plan_up->tracee_added(c->task.plan);
	return c;
}

/*
 * A tracee died in the middle of a fork (SIGKILL skips the fork event): its
 * child, if any, waits as an orphan. Hand over what the parent knew and let
 * the child go.
 */
static void
release_orphans_of(struct tracee *dead)
{
	struct tracee *c, *next;
	long dtgid = nsdd_proc_status_long(dead->task.tid, "Tgid");

	TAILQ_FOREACH_SAFE(c, &orphans, entry, next)
	{
		long ppid = nsdd_proc_status_long(c->task.tid, "PPid");
		long tgid = nsdd_proc_status_long(c->task.tid, "Tgid");
		if (ppid != dead->task.tid && tgid != dead->task.tid &&
		    (dtgid < 0 || tgid != dtgid))
			continue;
		child_of(dead, c->task.tid);
		if (!plan_follows(c->task.plan))
			c->detach_wanted = true; /* a plan that follows the tree keeps it */
		adopt_orphan(c);
	}
}

/*
 * The tracee is no more, or no longer nsdd's: it exited (status), or the
 * kernel removed it unreported (status 0).
 */
static void
tracee_gone(struct tracee *t, int status)
{
	if (t->gone)
		return;
	t->gone = true; /* the plan's end, which this may cause, must not free it */
	t->stopped = false;
	if (t->task.step != NULL && !TAILQ_EMPTY(&orphans))
		release_orphans_of(t);
	if (t->task.plan != NULL)
		unotify_task_gone(t->task.plan, t->task.tid); /* before its exit is told */
	if (t->task.plan != NULL && plan_kind(t->task.plan)->gone != NULL)
		plan_kind(t->task.plan)->gone(&t->task); /* killed in a call, say */
	plan_up->exited(t->task.ptask, &t->task, status);
	drop(t);
}

static void
tracee_exited(struct tracee *t, int status)
{
	log_debug("task %d %s %d", t->task.tid, WIFEXITED(status) ? "exited" : "killed by signal",
	          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	tracee_gone(t, status);
}

/*
 * PTRACE_EVENT_EXIT: the task will never make another syscall. It is let go
 * here rather than at its wait status, which never comes for a leader that
 * another thread's execve(2) removes (de_thread() releases it unreported).
 */
static void
tracee_exiting(struct tracee *t)
{
	unsigned long status = 0;

	ptrace(PTRACE_GETEVENTMSG, t->task.tid, NULL, &status);
	/* Its fork in flight on the notify route is looked for while it is held
	 * here: its pid namespace, and the helper that looks in it, live at
	 * least as long (the namespace's init may be the task, or wait for it). */
	if (t->task.plan != NULL)
		unotify_task_gone(t->task.plan, t->task.tid);
	/* Mode seccomp's leader, resting seized while its threads run untraced,
	 * removed by one's execve: that thread takes its pid and goes on, its
	 * exec unseen, as the process let go to rest (restore.c). */
	if (status == 0 && t->task.plan != NULL && plan_seccomp(t->task.plan) &&
	    ns_tgid(t->task.tid) == t->task.tid && nsdd_thread_execs(t->task.tid)) {
		log_debug("task %d: removed by another thread's execve", t->task.tid);
		detach(t, 0);
		return;
	}
	if (ptrace(PTRACE_DETACH, t->task.tid, NULL, NULL) < 0 && errno != ESRCH)
		log_warn("PTRACE_DETACH %d", t->task.tid);
	tracee_exited(t, (int)status);
}

/*
 * SIGCHLD came with no status to collect: its sender may be a tracee that
 * the kernel removed unreported. Only the sender is looked at: a sweep of
 * every tracee cost a waitid() each, and with thousands traced most wake-ups
 * find nothing (a stop's status is often taken before its signal is read).
 */
static void
sweep(pid_t sender)
{
	struct tracee *t = sender > 0 ? tracee_find(sender) : NULL;

	if (t != NULL && !t->gone && tracee_vanished(t)) {
		log_debug("task %d vanished: replaced by another thread's execve", t->task.tid);
		tracee_gone(t, 0);
	}
}

/*
 * execve(2) by a non-leader thread: the thread takes over the leader's pid
 * and the leader vanishes without an exit report (ptrace(2), "execve(2) under
 * ptrace"). The leader's record is the one to drop; the execing thread's
 * record moves to the leader's pid.
 */
static struct tracee *
handle_exec(struct tracee *leader, pid_t tid)
{
	unsigned long former = 0;
	struct tracee *t;

	if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &former) < 0 || (pid_t)former == tid)
		return leader;
	if ((t = tracee_find((pid_t)former)) == NULL)
		return leader;
	log_debug("thread %lu exec'd and became %d", former, tid);
	if (leader != NULL)
		tracee_gone(leader, 0);
	tracee_retid(t, tid);
	plan_up->moved(t->task.ptask, tid);
	t->stopped = true;
	return t;
}

/* A syscall's entry goes to the kind of the task's plan (a step handler's
 * entry, the emulated file, a Record, the filter's install). */
static void
syscall_entry(struct tracee *t, const struct __ptrace_syscall_info *info)
{
	const struct plan_kind *kind = plan_kind(t->task.plan);

	if (t->injecting)
		return; /* a syscall nsdd makes the task run */
	if (kind->every_call)
		t->restart.pending = false; /* that call too: it is made again after */
	else if (t->restart.pending && tracee_restarted(t, info))
		return;
	if (info->arch != AUDIT_ARCH_X86_64)
		return; /* compat syscalls: not targeted (see nsdd(8)) */
	if (!kind->every_call && tracee_stops(t) != STOPS_SYSCALLS)
		return;
	if (kind->entry(&t->task, (long)info->entry.nr,
	                (const unsigned long long *)info->entry.args) &&
	    t->armed) {
		/* Let go at its exit, not now: let go at its entry, the call would
		 * notify again and be seized again, for ever. */
		t->armed = false;
		t->to_exit = true;
	}
}

static void
handle_syscall(struct tracee *t)
{
	struct __ptrace_syscall_info info;

	memset(&info, 0, sizeof(info)); /* valgrind does not know what the kernel fills */
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->task.tid, (void *)sizeof(info), &info) <= 0)
		return;
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
		syscall_entry(t, &info);
	} else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
		const struct plan_kind *kind = plan_kind(t->task.plan);
		t->to_exit = false;
		if (kind->exit != NULL)
			kind->exit(&t->task, info.exit.rval, info.exit.is_error);
		if (t->task.step == NULL)
			return;
		t->injecting = false;
		t->task.step->ops->exit(&t->task, info.exit.rval, info.exit.is_error);
	}
}

/* A fork event: the child goes to the step in flight, or is let go. */
static void
handle_fork(struct tracee *t)
{
	unsigned long msg;
	struct tracee *c;

	if (ptrace(PTRACE_GETEVENTMSG, t->task.tid, NULL, &msg) < 0)
		return;
	c = child_of(t, (pid_t)msg);
	if (plan_kind(t->task.plan)->fork != NULL)
		plan_kind(t->task.plan)->fork(&t->task, &c->task);
	if (t->task.step != NULL && t->task.step->ops->event != NULL)
		t->task.step->ops->event(&t->task, &c->task);
	else
		c->task.drv->let_go(&c->task); /* a fork no step applies to */
	if (t->task.step == NULL)
		t->to_exit = false; /* the step ended at its event: no exit stop needed */
	if (c->stopped)
		adopt_orphan(c);
}

/* A call its filter stopped at (SECCOMP_RET_TRACE): a Record's, whose exit is next. */
static void
handle_seccomp(struct tracee *t)
{
	const struct plan_kind *kind = plan_kind(t->task.plan);
	struct __ptrace_syscall_info info;

	memset(&info, 0, sizeof(info));
	if (kind->traced == NULL ||
	    ptrace(PTRACE_GET_SYSCALL_INFO, t->task.tid, (void *)sizeof(info), &info) <= 0 ||
	    info.op != PTRACE_SYSCALL_INFO_SECCOMP || info.arch != AUDIT_ARCH_X86_64)
		return;
	if (kind->traced(&t->task, (long)info.seccomp.nr,
	                 (const unsigned long long *)info.seccomp.args))
		t->to_exit = true;
}

static bool
is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void
handle_stop(struct tracee *t, int status)
{
	int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
	t->stopped = true;
	tracee_loud(t, status);
	if (t->task.plan == NULL) {
		/* An orphan: park the status until its parent's fork event names it. */
		t->parked_status = status;
		return;
	}
	plan_count_stop(t->task.plan);
	if (t->initial)
		tracee_first_stop(t);
	if (sig == (SIGTRAP | 0x80)) {
		handle_syscall(t);
	} else if (sig == SIGTRAP && event == PTRACE_EVENT_EXIT) {
		tracee_exiting(t);
		return;
	} else if (sig == SIGTRAP && (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK ||
	                              event == PTRACE_EVENT_CLONE)) {
		handle_fork(t);
	} else if (sig == SIGTRAP && event == PTRACE_EVENT_SECCOMP) {
		handle_seccomp(t);
	} else if (event == PTRACE_EVENT_STOP) {
		/* Group-stop (a stop signal) is kept with PTRACE_LISTEN. */
		t->group_stop = is_stop_signal(sig);
	} else if (event == 0) {
		/* Signal-delivery-stop: pass the signal on. */
		t->inject_sig = sig;
		if (t->restart.pending)
			t->restart.in_handler = true;
		if (plan_seccomp(t->task.plan))
			tracee_signalled(t);
	}
	tracee_quiet(t, status);
	plan_up->stalled(t->task.plan); /* if its memory stalled nsdd too often */
	tracer_resume(t);
}

/* The filter's last task is gone: a call on the notify route whose task
 * rested unseized is decided first, then the plan hears of it. */
static void
tree_gone(struct plan *plan)
{
	unotify_task_gone(plan, 0);
	plan_up->tree_gone(plan);
}

int
tracer_listen(struct plan *plan, pid_t pid, int fd, struct nsdd_error *e)
{
	return seccomp_take(plan, pid, fd, tracee_notified, tree_gone, e);
}

int
tracer_listen_fd(struct plan *plan, int lfd, struct nsdd_error *e)
{
	return seccomp_listen(plan, lfd, tracee_notified, tree_gone, e);
}

void
tracer_plan_ended(struct plan *plan)
{
	unotify_plan_ended(plan);
	seccomp_plan_ended(plan);
}

/* Collects every pending wait status; runs on SIGCHLD. */
void
tracer_reap(pid_t sender)
{
	struct tracee *t;
	int status;
	pid_t pid;
	bool got = false;

	while ((pid = waitpid(-1, &status, __WALL | WNOHANG)) > 0) {
		got = true;
		if (ns_helper_reaped(pid) || mem_helper_reaped(pid))
			continue;
		if (ndying > 0 && forget_dying(pid)) {
			if (WIFSTOPPED(status) && ptrace(PTRACE_DETACH, pid, NULL, NULL) < 0 &&
			    errno != ESRCH)
				log_warn("PTRACE_DETACH %d", pid);
			continue;
		}
		t = tracee_find(pid);
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (t != NULL)
				tracee_exited(t, status);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		if (((unsigned)status >> 16) == PTRACE_EVENT_EXEC) {
			mem_forget(0); /* a new mm, and perhaps a new tid */
			if ((t = handle_exec(t, pid)) == NULL)
				continue;
			tracee_execd(t);
		}
		if (t == NULL) /* its parent's fork event is yet to come */
			t = tracee_new(pid, NULL, OPT_BASE);
		handle_stop(t, status);
	}
	if (!got)
		sweep(sender);
}
