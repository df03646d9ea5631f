/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* clone3.c: a fork step's clone3 arguments. fork.c, helper.c and the unit
 * tests include it. */
#ifndef NSDD_CLONE3_H
#define NSDD_CLONE3_H

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
/* The task's own clone3 arguments (args[0], args[1]): 0, -1 when the kernel
 * itself would refuse them, or the errno when nsdd cannot read them. */
int fork_read_clone3_args(struct task *t, const unsigned long long args[6],
                          struct clone_args_v2 *ca);

#endif
