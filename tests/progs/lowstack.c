/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fork made on a stack with no headroom, as on a coroutine's stack or a
 * small sigaltstack: the memory just below the stack pointer is live data.
 *   lowstack
 * The fork syscall runs with the stack pointer at the top of a 4 KiB array of
 * 0xa5 bytes; parent and child then check every byte of it. Prints
 * "child=PID parent_bytes=ok|bad child_bytes=ok|bad".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned char area[8192] __attribute__((aligned(16)));

static int
intact(void)
{
	for (int i = 0; i < 4096; i++)
		if (area[i] != 0xa5)
			return 0;
	return 1;
}

/* fork(2) with rsp at sp; both sides come back on the real stack (r12). */
static long
fork_on(void *sp)
{
	long ret;

	__asm__ volatile("mov %%rsp, %%r12\n\t"
	                 "mov %[sp], %%rsp\n\t"
	                 "mov %[nr], %%eax\n\t"
	                 "syscall\n\t"
	                 "mov %%r12, %%rsp\n\t"
	                 : "=a"(ret)
	                 : [sp] "r"(sp), [nr] "i"(SYS_fork)
	                 : "rcx", "r11", "r12", "memory");
	return ret;
}

int
main(void)
{
	int status = 0;
	long pid;

	for (int i = 0; i < 4096; i++)
		area[i] = 0xa5;
	pid = fork_on(area + 4096);
	if (pid == 0)
		_exit(intact() ? 0 : 1);
	if (pid < 0 || waitpid((pid_t)pid, &status, 0) < 0)
		return 1;
	printf("child=%ld parent_bytes=%s child_bytes=%s\n", pid, intact() ? "ok" : "bad",
	       WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "bad");
	return 0;
}
