/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * forkstorm N BASE: forks a pest (pid BASE-1) that signals it in a tight
 * loop, then N children (each exits at once) while the signals, with a
 * handler, rain on it; child i must be pid BASE+i. A fork that a signal
 * interrupts is restarted by the kernel (ERESTARTNOINTR) and must still get
 * its planned pid. Prints "ok SIGNALS" when every pid was right.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t signals;

static void
on_usr1(int sig)
{
	(void)sig;
	signals++;
}

int
main(int argc, char **argv)
{
	long n, base, i;
	pid_t pest;
	struct sigaction sa;

	if (argc != 3) {
		fprintf(stderr, "usage: forkstorm N BASE\n");
		return 2;
	}
	n = atol(argv[1]);
	base = atol(argv[2]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	pest = fork();
	if (pest == 0) {
		pid_t parent = getppid();
		while (kill(parent, SIGUSR1) == 0)
			;
		_exit(0);
	}
	if (pest != base - 1) {
		fprintf(stderr, "forkstorm: the pest is %d, wanted %ld\n", pest, base - 1);
		return 1;
	}
	while (signals == 0)
		pause(); /* the storm has begun */
	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid != base + i) {
			fprintf(stderr, "forkstorm: fork %ld gave %d, wanted %ld\n", i, pid,
			        base + i);
			return 1;
		}
		while (waitpid(pid, NULL, 0) < 0)
			;
	}
	kill(pest, SIGKILL);
	waitpid(pest, NULL, 0);
	printf("ok %d\n", (int)signals);
	return 0;
}
