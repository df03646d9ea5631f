/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A thread made by a legacy clone() with CLONE_DETACHED among its flags, as
 * musl's pthread_create makes it (the kernel ignores the flag; clone3
 * refuses it). Prints "thread=TID" as the thread sees itself.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_DETACHED
#define CLONE_DETACHED 0x00400000
#endif

static char stack[65536] __attribute__((aligned(16)));
static atomic_int tid_seen;
static pid_t ctid = 1;

static int
thread_main(void *arg)
{
	(void)arg;
	atomic_store(&tid_seen, (int)syscall(SYS_gettid));
	return 0;
}

int
main(void)
{
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
	            CLONE_SYSVSEM | CLONE_DETACHED | CLONE_CHILD_CLEARTID;
	pid_t tid = clone(thread_main, stack + sizeof(stack), flags, NULL, NULL, NULL, &ctid);

	if (tid < 0) {
		perror("clone");
		return 1;
	}
	/* CLONE_CHILD_CLEARTID: ctid becomes 0 when the thread is gone. */
	while (__atomic_load_n(&ctid, __ATOMIC_SEQ_CST) != 0)
		syscall(SYS_futex, &ctid, FUTEX_WAIT, ctid, NULL, NULL, 0);
	printf("thread=%d clone=%d\n", atomic_load(&tid_seen), tid);
	return 0;
}
