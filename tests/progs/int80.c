/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * int80 PATH: a fork made the i386 way (int $0x80 with eax 2: fork there,
 * while 2 is open on x86_64), then an x86_64 open(PATH). Prints "child=PID"
 * and "fd=N" (or "fd=-ERRNO"); "no-int80" if the kernel has no i386 entry.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void
no_int80(int sig)
{
	(void)sig;
	printf("no-int80\n");
	exit(77);
}

int
main(int argc, char **argv)
{
	long pid;
	int fd;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGSEGV, no_int80);
	__asm__ volatile("int $0x80" : "=a"(pid) : "a"(2L) : "memory", "cc");
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		printf("child=%ld\n", pid);
		return 1;
	}
	waitpid((pid_t)pid, NULL, 0);
	printf("child=%ld\n", pid);
	fd = open(argv[1], O_RDONLY);
	printf("fd=%d\n", fd < 0 ? -errno : fd);
	return 0;
}
