/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clone3.c: a fork step's clone3 arguments. fork.c, helper.c and the unit
 * tests include it. */
#ifndef NSDD_CLONE3_H
#define NSDD_CLONE3_H

#include <errno.h>

#include "nsdd.h"
#include "task.h"

/* struct clone_args of <linux/sched.h>, CLONE_ARGS_SIZE_VER2 (Linux 5.7). */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
	    set_tid_size, cgroup;
};

/* clone3.c: the clone3 arguments equivalent to a fork, vfork or clone with
 * args; false for a clone that clone3 cannot express (or clone refuses). */
bool fork_clone3_args(enum nsd_sc kind, const unsigned long long args[6], struct clone_args_v2 *ca);
/* clone(2) with flags fails natively: the task makes it, unplanned. */
bool fork_clone_refused(unsigned long long flags);
/* An errno of fork_read_clone3_args() that is the kernel's own answer to the
 * call (EINVAL, E2BIG, EFAULT; ESRCH: the task is gone): nothing to apply. */
static inline bool
fork_refused(int err)
{
	return err == EINVAL || err == E2BIG || err == EFAULT || err == ESRCH;
}
/* The task's own clone3 arguments (args[0], args[1]): 0, or -1 with errno:
 * what the kernel itself would refuse them with (fork_refused()), or why
 * nsdd cannot read them (ETIMEDOUT: the memory did not answer in time). */
int fork_read_clone3_args(struct task *t, const unsigned long long args[6],
                          struct clone_args_v2 *ca);

#endif
