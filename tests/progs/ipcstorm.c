/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SysV IPC gets under a storm of signals whose handler has no SA_RESTART:
 *   ipcstorm N
 * A second thread keeps sending SIGUSR1 to the main thread while it gets N
 * private message queues. Prints "id=ID" for each queue (removed at once),
 * "EINTR" for a get that failed so (msgget never does natively), and
 * "signals=S" at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t main_tid;
static atomic_int done;
static atomic_long handled;

static void
on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void *
storm(void *arg)
{
	(void)arg;
	while (!done) {
		syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
		sched_yield();
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_usr1}; /* no SA_RESTART */
	long n = argc > 1 ? atol(argv[1]) : 100, i;
	pthread_t th;

	setvbuf(stdout, NULL, _IOLBF, 0);
	main_tid = (pid_t)syscall(SYS_gettid);
	if (sigaction(SIGUSR1, &sa, NULL) < 0 || pthread_create(&th, NULL, storm, NULL) != 0)
		return 1;
	for (i = 0; i < n; i++) {
		int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

		if (id < 0) {
			printf("%s\n", errno == EINTR ? "EINTR" : "error");
			continue;
		}
		printf("id=%d\n", id);
		msgctl(id, IPC_RMID, NULL);
	}
	done = 1;
	pthread_join(th, NULL);
	printf("signals=%ld\n", handled);
	return 0;
}
