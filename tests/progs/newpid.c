/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clone(CLONE_NEWPID) by a task without CAP_SYS_ADMIN, as the Linux Test
 * Project's clone11 makes it: the kernel refuses it with EPERM. Then a plain
 * fork. Prints "clone=-ERRNO", "last_before=N last_after=M" (ns_last_pid
 * around the clone) and "fork=PID".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[65536] __attribute__((aligned(16)));

static long
last_pid(void)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "re");
	long v = -1;

	if (f != NULL) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int
child(void *arg)
{
	(void)arg;
	return 0;
}

int
main(void)
{
	long before = last_pid(), after;
	pid_t pid = clone(child, stack + sizeof(stack), CLONE_NEWPID | SIGCHLD, NULL);
	int err = errno;

	after = last_pid();
	if (pid > 0)
		waitpid(pid, NULL, 0);
	printf("clone=%d\nlast_before=%ld last_after=%ld\n", pid < 0 ? -err : pid, before, after);
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	printf("fork=%d\n", pid);
	return 0;
}
