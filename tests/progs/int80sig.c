/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * int80sig: forks, sets SIGUSR2's action the i386 way (int $0x80 with eax
 * 48: signal, to SIG_IGN), then forks again. Prints "child=PID" for each
 * fork and "signal=OLD" for the call. No handler of its own before: nsdd
 * must see the i386 call, which it cannot read, as one that sets a handler.
 * (Run int80 first: without the kernel's i386 entry this dies of SIGSEGV.)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int
child(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid)
		return 1;
	printf("child=%d\n", (int)pid);
	return 0;
}

int
main(void)
{
	long old;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (child() != 0)
		return 1;
	__asm__ volatile("int $0x80"
	                 : "=a"(old)
	                 : "a"(48L), "b"((long)SIGUSR2), "c"(1L)
	                 : "memory", "cc");
	printf("signal=%ld\n", old);
	return child();
}
