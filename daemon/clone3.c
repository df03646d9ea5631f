/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fork step's clone3 arguments: the task's own, read from its memory as
 * the kernel reads them, or those equivalent to its fork, vfork or clone.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include "clone3.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_DETACHED
#define CLONE_DETACHED 0x00400000
#endif
#define CSIGNAL_MASK 0xffULL

#define CLONE_ARGS_VER0 64
#define CLONE_ARGS_VER2 88
#define PAGE_MAX        4096

/*
 * Reads the task's own struct clone_args, bounded by PAGE_SIZE as the kernel
 * bounds it (clone3.h says what its errors mean).
 */
int
fork_read_clone3_args(struct task *t, const unsigned long long args[6], struct clone_args_v2 *ca)
{
	unsigned long long addr = args[0], size = args[1];
	unsigned char rest[PAGE_MAX - CLONE_ARGS_VER2];
	struct mem_op ops[2] = {{MEM_READ, addr, ca, size < sizeof(*ca) ? size : sizeof(*ca)},
	                        {MEM_READ, addr + sizeof(*ca), rest, 0}};
	size_t i;

	memset(ca, 0, sizeof(*ca));
	if (size < CLONE_ARGS_VER0 || size > PAGE_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (size > sizeof(*ca))
		ops[1].len = size - sizeof(*ca);
	if (t->drv->mem(t, ops, ops[1].len > 0 ? 2 : 1) < 0)
		return -1;
	/* copy_struct_from_user(): bytes beyond what we know must be zero. */
	for (i = 0; i < ops[1].len; i++)
		if (rest[i] != 0) {
			errno = E2BIG;
			return -1;
		}
	return 0;
}

/* clone(2) with these flags fails natively (EINVAL), whatever a step wants:
 * copy_process() refuses CLONE_PIDFD with CLONE_DETACHED, and clone() with
 * CLONE_PARENT_SETTID (both would write parent_tid). */
bool
fork_clone_refused(unsigned long long flags)
{
	return (flags & CLONE_PIDFD) && (flags & (CLONE_DETACHED | CLONE_PARENT_SETTID));
}

/* The clone3 arguments equivalent to the task's fork, vfork or clone. */
bool
fork_clone3_args(enum nsd_sc kind, const unsigned long long args[6], struct clone_args_v2 *ca)
{
	uint64_t flags;

	memset(ca, 0, sizeof(*ca));
	switch (kind) {
	case NSD_SC_FORK:
		ca->exit_signal = SIGCHLD;
		return true;
	case NSD_SC_VFORK:
		ca->flags = CLONE_VM | CLONE_VFORK;
		ca->exit_signal = SIGCHLD;
		return true;
	case NSD_SC_CLONE:
		/* clone(2) on x86_64: flags, stack, parent_tid, child_tid, tls. */
		flags = args[0] & 0xffffffffULL;
		if (fork_clone_refused(flags))
			return false;
		if ((flags & CSIGNAL_MASK) > 64)
			return false;
		/* Legacy clone ignores CLONE_DETACHED (musl's pthread_create
		 * passes it); clone3 refuses it with EINVAL. */
		ca->flags = flags & ~(CSIGNAL_MASK | CLONE_DETACHED);
		ca->exit_signal = flags & CSIGNAL_MASK;
		if (ca->flags & (CLONE_THREAD | CLONE_PARENT))
			ca->exit_signal = 0; /* ignored by clone(), refused by clone3() */
		if (args[1] != 0) {
			/* clone3 takes the stack as base + size; the new sp is their sum. */
			if (args[1] < 2)
				return false;
			ca->stack = args[1] - 1;
			ca->stack_size = 1;
		}
		ca->parent_tid = args[2];
		if (flags & CLONE_PIDFD)
			ca->pidfd = args[2];
		ca->child_tid = args[3];
		ca->tls = args[4];
		return true;
	default:
		return false;
	}
}
