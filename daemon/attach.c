/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Attaching a plan to its target: what may not be a target, and seizing a
 * process with every thread it has, however fast it makes new ones.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tracer.h"
#include "tracing.h"
#include "ns.h"

static void
seize_error(pid_t tid, int err, struct nsdd_error *e)
{
	long tracer;

	if (err == EPERM && (tracer = nsdd_proc_status_long(tid, "TracerPid")) > 0)
		nsdd_error_set(e, ERR_TASK_BUSY, tid, "task %d is already traced by pid %ld", tid,
		               tracer);
	else if (err == EPERM)
		nsdd_error_set(e, ERR_PERMISSION_DENIED, 0, "cannot ptrace task %d: %s", tid,
		               strerror(err));
	else
		nsdd_error_set(e, ERR_NO_SUCH_TASK, tid, "cannot attach to task %d: %s", tid,
		               strerror(err));
}

/*
 * Seizes tid for plan and interrupts it, so that its first stop starts
 * syscall tracing where the plan needs it; NULL with errno if the kernel
 * refuses.
 */
static struct tracee *
seize(struct plan *plan, pid_t tid, size_t *seized)
{
	struct tracee *t;

	/* A tree served next_syscall_data is followed whole: every child too. */
	unsigned options = OPT_BASE | (plan_follows(plan) ? OPT_FORK : 0) |
	                   (plan_records(plan) & RECORD_TRACED ? PTRACE_O_TRACESECCOMP : 0);

	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)options) < 0)
		return NULL;
	t = tracee_new(tid, plan, options);
	t->seized = true;
	(*seized)++;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0)
		log_warn("PTRACE_INTERRUPT %d", tid);
	return t;
}

/*
 * Seizes the target and all its threads, re-reading /proc/PID/task until a
 * pass finds no new thread, then interrupts each so that its first stop
 * starts syscall tracing where the plan needs it.
 */
int
tracer_attach(struct plan *plan, pid_t pid, bool one_thread, struct task **leader, size_t *seized,
              struct nsdd_error *e)
{
	const struct nsd_plan *m = plan_model(plan);
	char path[64];
	struct tracee *t;
	bool added = true;
	pid_t tgid;
	int rounds;

	if ((tgid = (pid_t)nsdd_proc_status_long(pid, "Tgid")) < 0)
		return nsdd_error_set(e, ERR_NO_SUCH_TASK, pid, "no process with pid %d", pid);
	/* Traced, nsdd or a helper would stop for good: nothing could resume it. */
	if (tgid == getpid())
		return nsdd_error_set(e, ERR_PERMISSION_DENIED, 0, "pid %d is nsdd itself", pid);
	if (ns_is_helper(tgid))
		return nsdd_error_set(e, ERR_PERMISSION_DENIED, 0,
		                      "pid %d is nsdd's own pid namespace helper", pid);
	if (mem_is_helper(tgid))
		return nsdd_error_set(e, ERR_PERMISSION_DENIED, 0,
		                      "pid %d is nsdd's own memory helper", pid);
	if (!one_thread && tgid != pid)
		return nsdd_error_set(e, ERR_NO_SUCH_TASK, pid,
		                      "pid %d is a thread, not a thread-group leader", pid);
	if (m->has_start_time && nsd_proc_start_time(pid) != m->start_time)
		return nsdd_error_set(e, ERR_NO_SUCH_TASK, pid,
		                      "pid %d has start time %llu, not %llu: it was reused", pid,
		                      (unsigned long long)nsd_proc_start_time(pid),
		                      (unsigned long long)m->start_time);
	if ((t = tracee_find(pid)) != NULL)
		return nsdd_error_set(e, ERR_TASK_BUSY, pid, "task %d is already traced by plan %s",
		                      pid, t->task.plan ? plan_id(t->task.plan) : "?");

	if (one_thread) {
		if ((t = seize(plan, pid, seized)) == NULL) {
			seize_error(pid, errno, e);
			return -1;
		}
		*leader = &t->task;
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	for (rounds = 0; added && rounds < 1000; rounds++) {
		struct dirent *de;
		DIR *d = opendir(path);
		added = false;
		if (d == NULL) {
			if (rounds == 0)
				return nsdd_error_set(e, ERR_NO_SUCH_TASK, pid,
				                      "no process with pid %d", pid);
			break;
		}
		while ((de = readdir(d)) != NULL) {
			pid_t tid = (pid_t)strtol(de->d_name, NULL, 10);
			if (tid <= 0 || tracee_find(tid) != NULL)
				continue;
			if ((t = seize(plan, tid, seized)) == NULL) {
				int err = errno;
				if (err == ESRCH && tid != pid)
					continue; /* the thread exited meanwhile */
				closedir(d);
				seize_error(tid, err, e);
				return -1;
			}
			if (tid == pid)
				*leader = &t->task;
			added = true;
		}
		closedir(d);
	}
	if (tracee_find(pid) == NULL)
		return nsdd_error_set(e, ERR_NO_SUCH_TASK, pid, "no process with pid %d", pid);
	return 0;
}

/*
 * Seizes the task of plan task pt (tracing.h). A tracee's struct task is its
 * first member.
 */
struct task *
tracer_seize(struct plan *plan, struct ptask *pt, pid_t pid, const char *why, bool interrupt)
{
	struct tracee *t;

	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)OPT_BASE) < 0) {
		log_warn("cannot seize task %d for its %s", pid, why);
		return NULL;
	}
	t = tracee_new(pid, plan, OPT_BASE);
	t->seized = true;
	t->armed = interrupt;
	t->initial = interrupt; /* at rest it runs on: its next stop is an event's */
	plan_up->tracee_added(plan);
	plan_up->seized(pt, &t->task);
	if (interrupt && ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0) {
		/* Not interrupted, the call would wait on the unanswered notification
		 * for ever: it goes on unplanned, and the task's next one is taken. */
		log_warn("PTRACE_INTERRUPT %d", pid);
		t->armed = false;
		return NULL;
	}
	log_debug("task %d: seized for its %s%s", pid, why, interrupt ? "" : ", at rest");
	return &t->task;
}
