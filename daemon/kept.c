/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * on_failure "kill": the processes a plan made or took, which it kills if it
 * fails.
 */
#include "config.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plans.h"

/* A process to kill if the plan fails, named by pid and start time: no fd
 * is held for it, so a plan of any size holds none. */
struct kept {
	pid_t pid;
	uint64_t start_time;
};

void
plan_keep(struct plan *plan, pid_t pid)
{
	struct kept *k;

	if (plan->model->on_failure != NSD_ON_FAILURE_KILL)
		return;
	k = xreallocarray(plan->kept, plan->nkept + 1, sizeof(*k));
	plan->kept = k;
	k[plan->nkept++] = (struct kept){pid, nsd_proc_start_time(pid)};
}

/* SIGKILLs every kept process that is still the one the plan made: its pidfd
 * is opened first, so the start time read after it is that process's. */
void
plan_kill_kept(struct plan *plan)
{
	size_t i;

	for (i = 0; i < plan->nkept; i++) {
		int fd = (int)syscall(SYS_pidfd_open, plan->kept[i].pid, 0);
		if (fd < 0)
			continue;
		if (nsd_proc_start_time(plan->kept[i].pid) == plan->kept[i].start_time)
			syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		close(fd);
	}
}
