/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A thread with a file table of its own (unshare(CLONE_FILES)) is the one
 * that makes syscalls once nsdd has the target: the leader waits in a
 * vfork, where nothing wakes it but its child. In the leader's table fd 3
 * is /dev/null; in the thread's it is free, so that a listener the thread
 * gets is not what fd 3 of the leader is. Prints "ready", then once the
 * file argv[1] exists, the thread forks and prints "fork=PID" (or -errno)
 * and lets the leader go.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *go;
static char done[4096];
static volatile int ready;

static void
nap(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	syscall(SYS_nanosleep, &ts, NULL);
}

static void *
worker(void *arg)
{
	pid_t pid;

	(void)arg;
	if (unshare(CLONE_FILES) < 0 || close(3) < 0) {
		perror("unshare/close");
		_exit(1);
	}
	__atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
	printf("ready\n");
	fflush(stdout);
	while (access(go, F_OK) != 0)
		nap();
	pid = (pid_t)syscall(SYS_fork);
	if (pid == 0)
		_exit(0);
	printf("fork=%d\n", pid < 0 ? -errno : pid);
	fflush(stdout);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	close(open(done, O_CREAT | O_WRONLY, 0600)); /* the vfork child may go */
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th;

	if (argc < 2 || open("/dev/null", O_RDONLY) != 3)
		return 2;
	go = argv[1];
	snprintf(done, sizeof(done), "%s.done", go);
	pthread_create(&th, NULL, worker, NULL);
	while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
		nap();
	if (vfork() == 0) {
		/* Only raw syscalls here: the parent's stack and memory are ours. */
		while (syscall(SYS_access, done, F_OK) != 0)
			nap();
		syscall(SYS_exit, 0);
	}
	pthread_join(th, NULL);
	return 0;
}
