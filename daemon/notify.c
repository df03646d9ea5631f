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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * Whether a signal could end task pid's wait for nsdd's answer with EINTR
 * (seccomp_unotify(2)): only a handler without SA_RESTART does that, so a
 * task with no handler and no other thread (none to install one while it
 * waits) cannot. Any other signal it is sent is dropped (ignored), kills
 * it, or stops it, and a stopped call is made again, notified again. Read
 * while the call waits; true when nsdd cannot tell.
 */
static bool
may_be_cut(pid_t pid, const struct seccomp_notif *req, int fd)
{
	char path[64], line[256];
	long threads = -1;
	bool caught = true;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		return true;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "Threads:", 8) == 0) {
			threads = strtol(line + 8, NULL, 10);
		} else if (strncmp(line, "SigCgt:", 7) == 0) {
			caught = strtoull(line + 7, NULL, 16) != 0;
			break;
		}
	fclose(f);
	return threads != 1 || caught || !seccomp_id_valid(fd, req->id);
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
	t = tracee_find(pid);
	if (!unotify_takes(sc->call) && unotify_notified(plan, req, fd, sc, tracee_notified))
		return true; /* held until the call in flight is over */
	if (unotify_takes(sc->call) && nsdd_notify_route &&
	    (t == NULL || (t->task.step == NULL && !t->armed && !t->to_exit && !t->stopped))) {
		/* The notify route: a task with steps that a signal could cut short
		 * (may_be_cut()) rests seized, so that the cut is seen at the
		 * signal's stop (tracee_signalled()); any other is not traced, and
		 * costs no stop at all. */
		pt = plan_ptask_by_pid(plan, pid);
		if (t == NULL && plan_pending(pt) && may_be_cut(pid, req, fd))
			t = (struct tracee *)tracer_seize(plan, pt, pid, sc->name, false);
		if (unotify_notified(plan, req, fd, sc, tracee_notified))
			return true; /* answered with no stop, or held until the one in flight lands
			              */
	}
	if (t != NULL) {
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
	return tracer_seize(plan, pt, pid, sc->name, true) != NULL;
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
	 * pid (and gave it back). A wait for nsdd's answer ends -ERESTARTSYS. */
	if (sc != NULL && sc->call == NSD_CALL_FORK && (long long)r.rax == -513)
		unotify_cut(t->task.plan, t->task.tid);
	if (!arch_restart_always(&r))
		return;
	if (sc != NULL && sc->restarts && nsd_syscall_targeted(sc, plan_calls(t->task.plan)))
		arch_set_regs(t->task.tid, &r);
}
