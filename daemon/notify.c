/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mode seccomp, the tracer's side: which notification brings its task to
 * nsdd (seized, or interrupted if it rests seized, and handled at the entry
 * of the call made again) and which is let through at once.
 */
#include "config.h"

#include <linux/audit.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "log.h"
#include "tracer.h"
#include "tracing.h"
#include "unotify.h"

/*
 * An open step that names its path: a notified open of another path is not
 * its, and is let through without stopping the task. The path is read from
 * the waiting task and trusted only if the notification is still pending
 * after the read; when nsdd cannot tell, the task is stopped as for a match
 * (at its entry stop the path is read again, from the stopped task).
 */
static bool
other_path(struct plan *plan, const struct ptask *pt, const struct nsd_syscall *sc,
           const struct seccomp_notif *req, int fd)
{
	const struct nsd_step *s = plan_head(pt);
	char path[4096];
	struct mem_op op = {MEM_STRING, 0, path, sizeof(path)};

	if (s == NULL || s->call != NSD_CALL_OPEN || s->path == NULL || sc->path_arg < 0)
		return false;
	op.addr = req->data.args[sc->path_arg];
	if (!plan_may_read(plan))
		return false;
	/* A tracee's pagemap may be kept: its execve and its end are seen. */
	if ((tracee_find((pid_t)req->pid) != NULL
	         ? mem_access((pid_t)req->pid, &op, 1)
	         : mem_access_untraced((pid_t)req->pid, &op, 1)) < 0) {
		if (errno == ETIMEDOUT) {
			plan_stalled(plan);
			plan_up->stalled(plan);
		}
		return false;
	}
	if (!seccomp_id_valid(fd, req->id))
		return false;
	return strcmp(path, s->path) != 0;
}

/*
 * A task whose wait for nsdd's answer no signal can end with EINTR need not
 * rest seized (seccomp_unotify(2)): only a handler without SA_RESTART does
 * that. Any other signal is dropped (ignored), kills the task, or stops it,
 * and a stopped call is made again, notified again. So on the notify route,
 * with a filter that notifies rt_sigaction (plan_hears_sigaction()), a task
 * with steps and no handler (SigCgt, read at its first notification while
 * its call waits) is left untraced, "calm"; an rt_sigaction under the plan's
 * filter that sets a handler a signal could cut a call with seizes every
 * calm task of the plan before it is let through. Every task is, since the
 * handler may be shared (threads, CLONE_SIGHAND).
 */
static bool
calm(pid_t pid, const struct seccomp_notif *req, int fd)
{
	char v[64];

	return nsdd_proc_status(pid, "SigCgt", v, sizeof(v)) == 0 && strtoull(v, NULL, 16) == 0 &&
	       seccomp_id_valid(fd, req->id);
}

/*
 * An execve resets every handler to SIG_DFL before its event stop
 * (begin_new_exec()), leaves the new image none shared with another process
 * (de_thread() unshares them) and no second thread. A task seized on the
 * notify route only because a signal could cut its calls short is calm
 * again, and let go (its exit watched), if no step of its is under way; the
 * filter still hears each action the new image sets.
 */
void
tracee_execd(struct tracee *t)
{
	struct plan *plan = t->task.plan;

	/* A restore's task only: a Record's tree, and one served
	 * next_syscall_data, are followed whole. */
	if (plan == NULL || plan_kind(plan) != &restore_kind || !plan_seccomp(plan) ||
	    !nsdd_notify_route || !plan_hears_sigaction(plan) || plan_ending(plan) ||
	    t->task.step != NULL || t->task.next_data != NULL || t->armed || t->to_exit ||
	    !plan_pending(t->task.ptask))
		return;
	log_debug("task %d exec'd with no handler: calm, let go", t->task.tid);
	t->detach_wanted = true;
	plan_task_set_calm(t->task.ptask, true);
}

/* The kernel's struct sigaction (x86_64 rt_sigaction). */
struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

/* A call that sets a signal's action: x86_64's rt_sigaction, or (never
 * read: taken as one that sets a handler) x32's, or i386's rt_sigaction,
 * sigaction or signal. */
static bool
sets_action(const struct seccomp_notif *req, bool *native)
{
	*native = req->data.arch == AUDIT_ARCH_X86_64 && req->data.nr == SYS_rt_sigaction;
	if (req->data.arch == AUDIT_ARCH_X86_64)
		return *native || req->data.nr == (0x40000000 | 512);
	return req->data.arch == AUDIT_ARCH_I386 &&
	       (req->data.nr == 174 || req->data.nr == 67 || req->data.nr == 48);
}

/* A call that may change its task's pid_for_children (nsd_filter_new()
 * notifies them): x86_64's or x32's unshare or setns, or i386's. */
static bool
moves_kids(const struct seccomp_notif *req)
{
	unsigned nr = req->data.nr & ~0x40000000u; /* x32's numbers are x86_64's */

	if (req->data.arch == AUDIT_ARCH_I386)
		return nr == 310 || nr == 346;
	return req->data.arch == AUDIT_ARCH_X86_64 && (nr == SYS_unshare || nr == SYS_setns);
}

/* A call that sets a handler without SA_RESTART (or that nsdd cannot read):
 * the plan's calm tasks are seized before it is let through. */
static void
sigaction_notified(struct plan *plan, const struct seccomp_notif *req, bool native)
{
	struct ksigaction act;
	struct mem_op op = {MEM_READ, req->data.args[1], &act, sizeof(act)};
	struct ptask *pt;
	size_t i, n = 0;

	/* With no calm task there is nothing to seize, and nothing to read. */
	for (i = 0; i < plan_ntasks(plan); i++)
		n += plan_task_calm(plan_ptask_at(plan, i));
	if (n == 0)
		return;
	if (native && mem_access_untraced((pid_t)req->pid, &op, 1) == 0 &&
	    (act.handler == (uintptr_t)SIG_DFL || act.handler == (uintptr_t)SIG_IGN ||
	     (act.flags & SA_RESTART)))
		return;
	for (i = 0; i < plan_ntasks(plan); i++) {
		pt = plan_ptask_at(plan, i);
		if (!plan_task_calm(pt))
			continue;
		plan_task_set_calm(pt, false);
		if (plan_pending(pt) && plan_task_pid(pt) > 0 &&
		    tracee_find(plan_task_pid(pt)) == NULL)
			tracer_seize(plan, pt, plan_task_pid(pt), "rt_sigaction", false);
	}
}

bool
tracee_notified(struct plan *plan, const struct seccomp_notif *req, int fd)
{
	const struct nsd_syscall *sc = nsd_syscall_find(req->data.nr);
	pid_t pid = (pid_t)req->pid;
	struct ptask *pt;
	struct tracee *t;
	bool native;

	/* Let through: from now on each fork of the plan's tasks reads the
	 * namespace it puts its child in. */
	if (moves_kids(req)) {
		plan_kids_moved(plan);
		return false;
	}
	if (sets_action(req, &native)) {
		if (plan_hears_sigaction(plan) && !plan_ending(plan))
			sigaction_notified(plan, req, native);
		return false;
	}
	/* i386 and x32 calls are let through, as ptrace mode lets them (nsdd(8)). */
	if (req->data.arch != AUDIT_ARCH_X86_64 || sc == NULL || plan_ending(plan) ||
	    !nsd_syscall_targeted(sc, plan_calls(plan)))
		return false;
	t = tracee_find(pid);
	if (!unotify_takes(sc->call) && unotify_notified(plan, req, fd, sc, tracee_notified))
		return true; /* held until the call in flight is over */
	if (unotify_takes(sc->call) && nsdd_notify_route &&
	    (t == NULL || (t->task.step == NULL && !t->armed && !t->to_exit && !t->stopped))) {
		/* The notify route: a task with steps rests seized, so that a signal
		 * that cuts its notified call short is seen (tracee_signalled()),
		 * unless it is calm (above). */
		pt = plan_ptask_by_pid(plan, pid);
		if (t == NULL && plan_pending(pt) && !plan_task_calm(pt)) {
			if (plan_hears_sigaction(plan) && calm(pid, req, fd))
				plan_task_set_calm(pt, true);
			else
				t = (struct tracee *)tracer_seize(plan, pt, pid, sc->name, false);
		}
		if (unotify_notified(plan, req, fd, sc, tracee_notified))
			return true; /* answered with no stop, or held until the one in flight lands
			              */
	}
	if (t != NULL) {
		/* Armed, and not yet at its call's new entry: the interrupt nsdd
		 * sent has not stopped it, and ends this wait too (a notification
		 * that beat the trap). It is not the call made again, which comes
		 * after that entry: answered, it would go through unplanned. A
		 * second interrupt is a no-op if the first is pending, and ends
		 * the wait if anything took that trap. */
		if (t->armed) {
			tracee_interrupt(pid);
			return true;
		}
		/* Its own call, made again under ptrace: let through. A task
		 * resting between its steps is interrupted for this one. */
		if (t->task.step != NULL || t->to_exit) {
			tracee_quiet_call(t);
			return false;
		}
		/* Resting: seized, or about to be let go before an open step
		 * (restore.c) at its next stop. */
		if (t->detach_wanted || !plan_pending(t->task.ptask) ||
		    tracee_stops(t) == STOPS_SYSCALLS || t->stopped ||
		    other_path(plan, t->task.ptask, sc, req, fd))
			return false;
		if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0)
			return false;
		tracee_arm(t, req);
		return true;
	}
	pt = plan_ptask_by_pid(plan, pid);
	if (!plan_pending(pt) || other_path(plan, pt, sc, req, fd))
		return false;
	if ((t = (struct tracee *)tracer_seize(plan, pt, pid, sc->name, true)) != NULL)
		tracee_arm(t, req);
	return t != NULL;
}

/*
 * A signal that comes while a task waits for nsdd's answer to a notification
 * ends the wait with -ERESTARTSYS, which a handler without SA_RESTART turns
 * into EINTR (seccomp_unotify(2)). A fork, an IPC get or an IPC_SET never
 * fails so natively (a fork is made again: -ERESTARTNOINTR): for the tasks
 * nsdd holds seized, at the signal's delivery stop, it is made again so too.
 * (An open may natively: it is left as the kernel made it.)
 */
void
tracee_signalled(struct tracee *t)
{
	struct user_regs_struct r;
	const struct nsd_syscall *sc;

	if (arch_get_regs(t->task.tid, &r) < 0)
		return;
	sc = nsd_syscall_find(arch_nr(&r));
	/* -ERESTARTNOINTR: copy_process() saw the signal, perhaps after it took a
	 * pid (and gave it back). -ERESTARTSYS: the signal ended the wait for
	 * nsdd's answer, even one sent as it woke (the kernel then takes the
	 * signal, not the answer, whose SEND succeeded): the call was not made
	 * (an IPC get never sleeps interruptibly). Either way the fork or IPC
	 * get in flight is made again. */
	if (sc != NULL && ((sc->call == NSD_CALL_FORK && (long long)r.rax == -513) ||
	                   (unotify_takes(sc->call) && (long long)r.rax == -512)))
		unotify_cut(t->task.plan, t->task.tid);
	if (!arch_restart_always(&r))
		return;
	if (sc != NULL && sc->restarts && nsd_syscall_targeted(sc, plan_calls(t->task.plan)))
		arch_set_regs(t->task.tid, &r);
}
