/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Threads whose process ends as soon as they are made:
 *   threadquit N
 * Forks N children one after another and waits for each. A child makes a
 * thread with a raw clone(2), which would end itself at once, and exits at
 * once (exit_group(2)): the thread is killed before it runs, often while a
 * tracer holds it at its first stop. Prints "done N".
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* clone(2) for a thread that exits before it runs any C code. */
static long
clone_thread(unsigned long flags, void *stack_top)
{
	register long ctid asm("r10") = 0, tls asm("r8") = 0;
	long ret;

	asm volatile("syscall\n\t"
	             "test %%rax, %%rax\n\t"
	             "jnz 1f\n\t"
	             "mov %[exit], %%eax\n\t"
	             "xor %%edi, %%edi\n\t"
	             "syscall\n"
	             "1:"
	             : "=a"(ret)
	             : "0"((long)SYS_clone), "D"(flags), "S"(stack_top), "d"(0L), "r"(ctid),
	               "r"(tls), [exit] "i"(SYS_exit)
	             : "rcx", "r11", "memory");
	return ret;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1, i;
	static char stack[16384];

	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;
		if (pid < 0)
			return 1;
		if (pid == 0) {
			if (clone_thread(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			                     CLONE_THREAD | CLONE_SYSVSEM,
			                 stack + sizeof(stack)) < 0)
				_exit(2);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
	}
	printf("done %ld\n", n);
	return 0;
}
