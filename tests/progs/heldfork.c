/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Forks N times, each time once a line comes on stdin, with a SIGUSR1
 * handler that has SA_RESTART:
 *   heldfork N
 * Prints "ready K" before waiting for the K-th line, "child=PID" for each
 * fork (or "fork: ERROR"), and "signals=S" at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t signals;

static void
on_signal(int sig)
{
	(void)sig;
	signals++;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	char line[64];
	int i, n = argc > 1 ? atoi(argv[1]) : 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i <= n; i++) {
		pid_t pid;
		printf("ready %d\n", i);
		if (fgets(line, sizeof(line), stdin) == NULL)
			return 1;
		if ((pid = fork()) == 0)
			_exit(0);
		if (pid < 0) {
			printf("fork: %s\n", strerror(errno));
			return 1;
		}
		printf("child=%d\n", pid);
		waitpid(pid, NULL, 0);
	}
	printf("signals=%d\n", (int)signals);
	return 0;
}
