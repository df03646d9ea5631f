/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Forks while a signal whose handler has no SA_RESTART keeps arriving:
 *   sigfork N [USEC [LATE]]
 * A second thread sends SIGUSR1 to the main thread (every USEC microseconds;
 * by default without pause) until the
 * main thread has forked N times. With LATE, it first forks LATE times with
 * no handler and no second thread, then installs the handler. fork(2) never fails with EINTR (the
 * kernel makes it again, -ERESTARTNOINTR), so neither may it here. Prints each child's pid, then
 * "forks=N signals=S", or "fork: ERROR" and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t main_tid;
static atomic_int done;
static atomic_long signals;
static long usec;

static void
on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals, 1);
}

static void *
sender(void *arg)
{
	(void)arg;
	while (!atomic_load(&done)) {
		syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
		if (usec > 0)
			usleep((useconds_t)usec);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	pthread_t th;
	int i, n = argc > 1 ? atoi(argv[1]) : 100, late = argc > 3 ? atoi(argv[3]) : 0;

	usec = argc > 2 ? atol(argv[2]) : 0;
	for (i = 0; i < late; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return 1;
		printf("%d\n", pid);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	main_tid = (pid_t)syscall(SYS_gettid);
	if (pthread_create(&th, NULL, sender, NULL) != 0)
		return 2;
	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			printf("fork: %s\n", strerror(errno));
			return 1;
		}
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		printf("%d\n", pid);
	}
	atomic_store(&done, 1);
	pthread_join(th, NULL);
	printf("forks=%d signals=%ld\n", n, atomic_load(&signals));
	return 0;
}
