/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A thread that execs a while after the process started, while the main
 * thread waits: the main thread (the leader, which a plan may trace) is then
 * removed by the kernel without an exit report to its tracer.
 *   lateexec BEFORE AFTER CMD ARGS
 * The thread is made BEFORE ms after the start, and execs AFTER ms later.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char **cmd;
static unsigned before, after;

static void *
thread_main(void *arg)
{
	(void)arg;
	usleep(after * 1000);
	execvp(cmd[0], cmd);
	perror("lateexec: execvp");
	exit(127);
}

int
main(int argc, char **argv)
{
	pthread_t th;

	if (argc < 4)
		return 2;
	before = (unsigned)atoi(argv[1]);
	after = (unsigned)atoi(argv[2]);
	cmd = argv + 3;
	usleep(before * 1000);
	pthread_create(&th, NULL, thread_main, NULL);
	for (;;)
		pause();
}
