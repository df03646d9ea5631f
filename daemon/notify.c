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
#include <string.h>

#include "log.h"
#include "tracer.h"

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
	if (mem_access((pid_t)req->pid, &op, 1) < 0) {
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

bool
tracee_notified(struct plan *plan, const struct seccomp_notif *req, int fd)
{
	const struct nsd_syscall *sc = nsd_syscall_find(req->data.nr);
	pid_t pid = (pid_t)req->pid;
	struct ptask *pt;
	struct tracee *t;

	/* i386 and x32 calls are let through, as ptrace mode lets them (nsdd(8)). */
	if (req->data.arch != AUDIT_ARCH_X86_64 || sc == NULL || plan_ending(plan) ||
	    !nsd_syscall_targeted(sc, plan_calls(plan)))
		return false;
	if ((t = tracee_find(pid)) != NULL) {
		/* Its own call, made again under ptrace: let through. A task
		 * resting between its steps is interrupted for this one. */
		if (t->task.step != NULL || t->armed || t->to_exit ||
		    tracee_stops(t) != STOPS_EVENTS || t->stopped ||
		    other_path(plan, t->task.ptask, sc, req, fd))
			return false;
		if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0)
			return false;
		t->armed = true;
		return true;
	}
	pt = plan_ptask_by_pid(plan, pid);
	if (!plan_pending(pt) || other_path(plan, pt, sc, req, fd))
		return false;
	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)OPT_BASE) < 0) {
		log_warn("cannot seize task %d for its %s", pid, sc->name);
		return false;
	}
	t = tracee_new(pid, plan, OPT_BASE);
	t->seized = t->armed = true;
	plan_up->tracee_added(plan);
	plan_up->seized(pt, &t->task);
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0) {
		/* Not interrupted, the call would wait on the unanswered notification
		 * for ever: it goes on unplanned, and the task's next one is taken. */
		log_warn("PTRACE_INTERRUPT %d", pid);
		t->armed = false;
		return false;
	}
	log_debug("task %d: seized for its %s", pid, sc->name);
	return true;
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

	if (arch_get_regs(t->task.tid, &r) < 0 || !arch_restart_always(&r))
		return;
	sc = nsd_syscall_find(arch_nr(&r));
	if (sc != NULL && sc->restarts && nsd_syscall_targeted(sc, plan_calls(t->task.plan)))
		arch_set_regs(t->task.tid, &r);
}
