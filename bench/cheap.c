/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cheap N F: F forks (each child exits at once), then N getppid calls;
 * prints the mean nanoseconds per getppid, measured inside the process.
 * Under a plan of F fork steps it shows what the other syscalls of a
 * planned program cost.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000, f = argc > 2 ? atol(argv[2]) : 3, i;
	struct timespec a, b;

	for (i = 0; i < f; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n);
	return 0;
}
