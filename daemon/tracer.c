/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ptrace engine. Every tracee is PTRACE_SEIZEd (ptrace(2), Linux 3.4+), so
 * that group-stops can be kept with PTRACE_LISTEN and a running task can be
 * stopped with PTRACE_INTERRUPT. A tracee stops at syscalls only while its
 * plan task has pending steps; fork events are turned on only for the one
 * syscall that a step applies to. Every stop ends in tracer_resume(), which
 * either restarts the task or detaches it: no path leaves a task stopped.
 */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <search.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"

/*
 * PTRACE_O_TRACEEXIT: a tracee's exit is seen while it is still there, which
 * is the only report of a leader that another thread's execve(2) removes.
 * Tracees are detached once their steps are done, so it costs a stop only
 * for a task that exits with work left.
 */
#define OPT_BASE (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT)
#define OPT_FORK (PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE)

static void *tree; /* tid -> tracee, a tsearch(3) tree */
static size_t ntracees;
static TAILQ_HEAD(, tracee) held = TAILQ_HEAD_INITIALIZER(held);
/* Children whose first stop came before their parent's fork event. */
static TAILQ_HEAD(, tracee) orphans = TAILQ_HEAD_INITIALIZER(orphans);

/* The tracee whose stop is being handled: only handle_stop() resumes it. */
static struct tracee *in_hand;

static void handle_stop(struct tracee *t, int status);
static void tracer_resume(struct tracee *t);
static bool vanished(const struct tracee *t);
static void tracee_vanished(struct tracee *t);
static void tracee_exiting(struct tracee *t);

static int
cmp_tid(const void *a, const void *b)
{
	pid_t x = ((const struct tracee *)a)->tid, y = ((const struct tracee *)b)->tid;

	return (x > y) - (x < y);
}

struct tracee *
tracer_find(pid_t tid)
{
	struct tracee key = {.tid = tid};
	struct tracee **hit = tfind(&key, &tree, cmp_tid);

	return hit != NULL ? *hit : NULL;
}

/* A step of the task's is in flight (or waits for a namespace lock). */
bool
tracer_step_busy(const struct tracee *t)
{
	const struct step_ops *const *h;

	for (h = step_handlers; *h != NULL; h++)
		if ((*h)->busy(t))
			return true;
	return false;
}

size_t
tracer_count(void)
{
	return ntracees;
}

static struct tracee *
tracee_new(pid_t tid, struct plan *plan)
{
	struct tracee *t = xcalloc(1, sizeof(*t));

	t->tid = tid;
	t->plan = plan;
	t->initial = true;
	t->options = OPT_BASE;
	if (tsearch(t, &tree, cmp_tid) == NULL)
		fatalx("out of memory");
	ntracees++;
	if (plan != NULL) {
		TAILQ_INSERT_TAIL(&plan->tracees, t, entry);
		plan->ntracees++;
	} else {
		TAILQ_INSERT_TAIL(&orphans, t, entry);
	}
	return t;
}

static void
tracee_free(struct tracee *t)
{
	struct plan *plan = t->plan;
	const struct step_ops *const *h;

	for (h = step_handlers; *h != NULL; h++)
		if ((*h)->abandon != NULL && (*h)->busy(t))
			(*h)->abandon(t);
	if (t->held) {
		TAILQ_REMOVE(&held, t, hold_entry);
		t->held = false;
	}
	mem_forget(t->tid);
	tdelete(t, &tree, cmp_tid);
	ntracees--;
	if (plan != NULL) {
		TAILQ_REMOVE(&plan->tracees, t, entry);
		plan->ntracees--;
	} else {
		TAILQ_REMOVE(&orphans, t, entry);
	}
	if (t->ptask != NULL && t->ptask->tracee == t)
		t->ptask->tracee = NULL;
	free(t);
	if (plan != NULL)
		supervisor_tracee_gone(plan);
	supervisor_notify_status();
}

/*
 * Seizes tid for plan and interrupts it, so that its first stop starts
 * syscall tracing where the plan needs it; NULL with errno if the kernel
 * refuses.
 */
struct tracee *
tracer_seize(struct plan *plan, pid_t tid)
{
	struct tracee *t;

	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)OPT_BASE) < 0)
		return NULL;
	t = tracee_new(tid, plan);
	t->seized = true;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0)
		log_warn("PTRACE_INTERRUPT %d", tid);
	return t;
}

void
tracer_set_options(struct tracee *t, unsigned options)
{
	if (t->options == options)
		return;
	if (ptrace(PTRACE_SETOPTIONS, t->tid, NULL, (void *)(long)options) == 0)
		t->options = options;
	else if (errno != ESRCH)
		log_warn("PTRACE_SETOPTIONS %d", t->tid);
}

/* A tracee needs syscall stops while a step of its own may still apply. */
static bool
wants_syscalls(const struct tracee *t)
{
	const struct ptask *pt = t->ptask;

	if (tracer_step_busy(t))
		return true;
	if (t->detach_wanted || t->plan == NULL || t->plan->ending || pt == NULL)
		return false;
	return pt->state == PT_TRACED && pt->next < pt->model->nsteps;
}

static void
detach(struct tracee *t, int sig)
{
	struct ptask *pt = t->ptask;

	if (ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)sig) < 0 && errno != ESRCH)
		log_warn("PTRACE_DETACH %d", t->tid);
	log_debug("detached %d", t->tid);
	if (pt != NULL && pt->tracee == t)
		supervisor_detached(pt);
	tracee_free(t);
}

/* Restarts a stopped tracee, or detaches it once nsdd needs nothing more of it. */
static void
tracer_resume(struct tracee *t)
{
	int sig = t->inject_sig, req;

	/* Only handle_stop() may run a task's first stop (it restores registers). */
	if (!t->stopped || t->held || t->plan == NULL || t->initial)
		return;
	if (t->killed) {
		/* SIGKILL is pending; let it run to its death. */
		t->stopped = false;
		ptrace(PTRACE_CONT, t->tid, NULL, NULL);
		return;
	}
	if (!wants_syscalls(t) && !t->fix.pending) {
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
		req = PTRACE_SYSCALL;
	}
	if (ptrace(req, t->tid, NULL, (void *)(long)sig) < 0 && errno != ESRCH) {
		/* Never leave a task stopped: if it cannot be restarted, let it go. */
		log_warn("cannot restart task %d (ptrace request %d); detaching it", t->tid, req);
		t->stopped = true;
		detach(t, 0);
	}
}

void
tracer_hold(struct tracee *t)
{
	if (!t->held) {
		t->held = true;
		TAILQ_INSERT_TAIL(&held, t, hold_entry);
	}
}

/* A namespace lock was released: let every held task try again, in order. */
void
tracer_unhold_all(void)
{
	struct tracee *t, *prev = in_hand;
	size_t n = 0;

	TAILQ_FOREACH(t, &held, hold_entry)
	n++;
	/* A task that is held again goes to the tail; each is tried once. */
	while (n-- > 0 && (t = TAILQ_FIRST(&held)) != NULL) {
		TAILQ_REMOVE(&held, t, hold_entry);
		t->held = false;
		in_hand = t;
		if (t->ia.waiting)
			ipc_entry(t, NULL, NULL);
		else
			pid_entry(t, NULL, NULL);
		in_hand = prev;
		if (!t->held && t != prev)
			tracer_resume(t);
	}
}

/* A held task gives up its wait for a lock, and its fork in the making. */
static void
unhold(struct tracee *t)
{
	if (t->held) {
		TAILQ_REMOVE(&held, t, hold_entry);
		t->held = false;
		if (t->ia.waiting)
			ipc_abandon(t);
		else
			pid_abandon(t);
	}
}

void
tracer_release(struct tracee *t)
{
	if (t->gone)
		return;
	t->detach_wanted = true;
	unhold(t);
	if (t->stopped) {
		if (t != in_hand)
			tracer_resume(t);
	} else if (!t->initial) {
		if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0) {
			if (errno != ESRCH)
				log_warn("PTRACE_INTERRUPT %d", t->tid);
			else if (vanished(t))
				tracee_vanished(t); /* no stop will ever come */
		}
	}
}

void
tracer_kill(struct tracee *t)
{
	if (t->gone)
		return;
	t->killed = true;
	unhold(t);
	kill(t->tid, SIGKILL);
	if (t->stopped && t != in_hand)
		tracer_resume(t);
	else if (!t->stopped && vanished(t))
		tracee_vanished(t);
}

/*
 * The tracee for a child that a fork event names: a new record in the
 * parent's plan, or the orphan whose first stop was already seen.
 */
struct tracee *
tracer_child(struct tracee *parent, pid_t child)
{
	struct tracee *c = tracer_find(child);

	if (c == NULL) {
		c = tracee_new(child, parent->plan);
		c->options = parent->options;
		/* A child has its parent's credentials: set_tid is refused to it too. */
		c->no_set_tid = parent->no_set_tid;
		return c;
	}
	if (c->plan == NULL) {
		TAILQ_REMOVE(&orphans, c, entry);
		c->plan = parent->plan;
		TAILQ_INSERT_TAIL(&c->plan->tracees, c, entry);
		c->plan->ntracees++;
		c->options = parent->options;
		c->no_set_tid = parent->no_set_tid;
	}
	return c;
}

/* Runs the first stop of an adopted orphan, now that its parent is known. */
static void
adopt_orphan(struct tracee *c)
{
	if (c->stopped && c->initial) {
		c->stopped = false;
		handle_stop(c, c->parked_status);
	}
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

	TAILQ_FOREACH_SAFE(c, &orphans, entry, next)
	{
		long ppid = nsdd_proc_status_long(c->tid, "PPid");
		long tgid = nsdd_proc_status_long(c->tid, "Tgid");
		long dtgid = nsdd_proc_status_long(dead->tid, "Tgid");
		if (ppid != dead->tid && tgid != dead->tid && (dtgid < 0 || tgid != dtgid))
			continue;
		tracer_child(dead, c->tid);
		if (dead->fa.modified) {
			c->fix.pending = true;
			c->fix.regs = dead->fa.regs;
		}
		c->detach_wanted = true;
		adopt_orphan(c);
	}
}

static void
tracee_exited(struct tracee *t, int status)
{
	log_debug("task %d %s %d", t->tid, WIFEXITED(status) ? "exited" : "killed by signal",
	          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	if (t->fa.how != FORK_NONE && !TAILQ_EMPTY(&orphans))
		release_orphans_of(t);
	t->gone = true; /* the plan's end, which this may cause, must not free it */
	if (t->ptask != NULL && t->ptask->tracee == t)
		supervisor_exited(t->ptask, status);
	tracee_free(t);
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

	ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &status);
	if (ptrace(PTRACE_DETACH, t->tid, NULL, NULL) < 0 && errno != ESRCH)
		log_warn("PTRACE_DETACH %d", t->tid);
	t->stopped = false;
	tracee_exited(t, (int)status);
}

/*
 * A tracee that is no longer nsdd's to wait for: a leader that the kernel
 * removed when a thread nsdd does not trace called execve(2) (de_thread()
 * releases it with no report to the tracer). Its PTRACE_EVENT_EXIT stop is
 * skipped when a second SIGKILL is already pending, so this stays as the
 * fallback. waitid() with WNOWAIT says ECHILD for it, and nothing is taken
 * from a tracee that is still there.
 */
static bool
vanished(const struct tracee *t)
{
	siginfo_t si;

	return waitid(P_PID, (id_t)t->tid, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) <
	           0 &&
	       errno == ECHILD;
}

static void
tracee_vanished(struct tracee *t)
{
	if (t->gone)
		return;
	t->gone = true; /* the plan's end, which this may cause, lets go of it again */
	log_debug("task %d vanished: replaced by another thread's execve", t->tid);
	t->stopped = false;
	if (t->ptask != NULL && t->ptask->tracee == t)
		supervisor_exited(t->ptask, 0);
	tracee_free(t);
}

/* SIGCHLD came with no status to collect: a tracee may have been removed. */
static void
sweep(void)
{
	struct plan *plan;
	struct tracee *t;
	bool again = true;

	/* Freeing one may end its plan and free others: start over each time. */
	while (again) {
		again = false;
		TAILQ_FOREACH(plan, &supervisor_plans, entry)
		{
			TAILQ_FOREACH(t, &plan->tracees, entry)
			if (t != in_hand && !t->gone && vanished(t))
				break;
			if (t != NULL) {
				tracee_vanished(t);
				again = true;
				break;
			}
		}
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
	t = tracer_find((pid_t)former);
	if (t == NULL)
		return leader;
	log_debug("thread %lu exec'd and became %d", former, tid);
	if (leader != NULL) {
		leader->stopped = false;
		leader->gone = true;
		if (leader->ptask != NULL && leader->ptask->tracee == leader)
			supervisor_exited(leader->ptask, 0);
		tracee_free(leader);
	}
	tdelete(t, &tree, cmp_tid);
	t->tid = tid;
	tsearch(t, &tree, cmp_tid);
	if (t->ptask != NULL)
		t->ptask->pid = tid;
	t->stopped = true;
	return t;
}

/* At a seized task's first stop: was it in a syscall that will be restarted? */
static void
note_restart(struct tracee *t)
{
	struct user_regs_struct regs;

	if (arch_get_regs(t->tid, &regs) < 0)
		return;
	t->restart.nr = arch_restarting(&regs, &t->restart.ip);
	t->restart.pending = t->restart.nr >= 0;
}

/*
 * A syscall entry while a restart is due: the restart itself (same number,
 * same rip) is skipped once. Any other entry means there is no restart left,
 * except entries from a signal handler, which run before it.
 */
static bool
restarted(struct tracee *t, const struct __ptrace_syscall_info *info)
{
	if ((long)info->entry.nr == t->restart.nr && info->instruction_pointer == t->restart.ip) {
		t->restart.pending = false;
		return true;
	}
	if (!t->restart.in_handler)
		t->restart.pending = false;
	else if (info->entry.nr == __NR_rt_sigreturn)
		t->restart.in_handler = false;
	return false;
}

static void
handle_syscall(struct tracee *t)
{
	struct __ptrace_syscall_info info;
	const struct sc_info *sc;

	memset(&info, 0, sizeof(info)); /* valgrind does not know what the kernel fills */
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof(info), &info) <= 0)
		return;
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
		if (fd_injecting(t))
			return; /* a syscall nsdd makes the task run */
		if (t->restart.pending && restarted(t, &info))
			return;
		if (info.arch != AUDIT_ARCH_X86_64)
			return; /* compat syscalls: not targeted (see nsdd(8)) */
		sc = syscall_find((long)info.entry.nr);
		if (sc == NULL || !(t->plan->targets & (1u << sc->kind)) || !wants_syscalls(t))
			return;
		sc->ops->entry(t, sc, (const unsigned long long *)info.entry.args);
	} else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
		const struct step_ops *const *h;
		for (h = step_handlers; *h != NULL; h++)
			if ((*h)->busy(t)) {
				(*h)->exit(t, info.exit.rval, info.exit.is_error);
				break;
			}
	}
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
	struct tracee *prev = in_hand;
	unsigned long msg;

	t->stopped = true;
	if (t->plan == NULL) {
		/* An orphan: park the status until its parent's fork event names it. */
		t->parked_status = status;
		return;
	}
	in_hand = t;
	t->plan->stops++;
	if (t->initial) {
		t->initial = false;
		if (t->fix.pending) {
			if (!pid_fix_child(t))
				log_warn("cannot restore the registers of child %d", t->tid);
			t->fix.pending = false;
		}
		if (t->seized)
			note_restart(t);
	}

	if (sig == (SIGTRAP | 0x80)) {
		handle_syscall(t);
	} else if (sig == SIGTRAP && event == PTRACE_EVENT_EXIT) {
		in_hand = prev;
		tracee_exiting(t);
		return;
	} else if (sig == SIGTRAP && event != 0) {
		switch (event) {
		case PTRACE_EVENT_FORK:
		case PTRACE_EVENT_VFORK:
		case PTRACE_EVENT_CLONE:
			if (ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &msg) == 0) {
				struct tracee *c = tracer_child(t, (pid_t)msg);
				if (c != NULL) {
					pid_event(t, c->tid);
					if (c->stopped)
						adopt_orphan(c);
				}
			}
			break;
		case PTRACE_EVENT_STOP:
			/* Group-stop (a stop signal) is kept with PTRACE_LISTEN. */
			t->group_stop = is_stop_signal(sig);
			break;
		default:
			break;
		}
	} else if (event == PTRACE_EVENT_STOP) {
		t->group_stop = is_stop_signal(sig);
	} else {
		/* Signal-delivery-stop: pass the signal on. */
		t->inject_sig = sig;
		if (t->restart.pending)
			t->restart.in_handler = true;
	}
	in_hand = prev;
	tracer_resume(t);
}

/* Collects every pending wait status; runs on SIGCHLD. */
void
tracer_reap(void)
{
	struct tracee *t;
	int status;
	pid_t pid;

	bool got = false;

	for (;;) {
		pid = waitpid(-1, &status, __WALL | WNOHANG);
		if (pid <= 0)
			break;
		got = true;
		if (nsenter_reaped(pid) || mem_helper_reaped(pid))
			continue;
		t = tracer_find(pid);
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (t != NULL)
				tracee_exited(t, status);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		if (((unsigned)status >> 16) == PTRACE_EVENT_EXEC) {
			mem_forget(0); /* a new mm, and perhaps a new tid */
			t = handle_exec(t, pid);
			if (t == NULL)
				continue;
		}
		if (t == NULL) {
			/* A new child whose parent's fork event has not been seen yet. */
			t = tracee_new(pid, NULL);
		}
		handle_stop(t, status);
	}
	if (!got)
		sweep();
}
