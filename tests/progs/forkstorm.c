/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * forkstorm N BASE [US]: forks a pest (pid BASE-1) that signals it in a
 * tight loop (or every US microseconds), then N children (each exits at
 * once) while the signals, with a handler, rain on it; child i must be pid
 * BASE+i (BASE 0: any pids). A fork that a signal interrupts is restarted by
 * the kernel (ERESTARTNOINTR) and must still get its planned pid. Prints
 * "ok SIGNALS NS" when every pid was right, NS being the mean nanoseconds
 * per fork+wait. With FORKSTORM_STOP set, the pest sends SIGSTOP and SIGCONT
 * instead (one SIGUSR1 first): a stop cannot be blocked.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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
	long n, base, us, i;
	pid_t pest;
	struct sigaction sa;
	struct timespec gap, a, b;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: forkstorm N BASE [US]\n");
		return 2;
	}
	n = atol(argv[1]);
	base = atol(argv[2]);
	us = argc == 4 ? atol(argv[3]) : 0;
	gap.tv_sec = us / 1000000;
	gap.tv_nsec = us % 1000000 * 1000;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	pest = fork();
	if (pest == 0) {
		pid_t parent = getppid();
		bool stop = getenv("FORKSTORM_STOP") != NULL;

		if (stop)
			kill(parent, SIGUSR1);
		while (kill(parent, stop ? SIGSTOP : SIGUSR1) == 0 &&
		       (!stop || kill(parent, SIGCONT) == 0))
			if (us > 0)
				nanosleep(&gap, NULL);
		_exit(0);
	}
	if (base > 0 && pest != base - 1) {
		fprintf(stderr, "forkstorm: the pest is %d, wanted %ld\n", pest, base - 1);
		return 1;
	}
	while (signals == 0)
		pause(); /* the storm has begun */
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (base > 0 && pid != base + i) {
			fprintf(stderr, "forkstorm: fork %ld gave %d, wanted %ld\n", i, pid,
			        base + i);
			return 1;
		}
		while (waitpid(pid, NULL, 0) < 0)
			;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	kill(pest, SIGKILL);
	waitpid(pest, NULL, 0);
	printf("ok %d %.0f\n", (int)signals,
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n);
	return 0;
}
