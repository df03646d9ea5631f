/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A thread that execs a while after the process started, while the main
 * thread waits: the main thread (the leader, which a plan may trace) is then
 * removed by the kernel without an exit report to its tracer.
 *   lateexec SECONDS CMD ARGS
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char **cmd;
static unsigned delay;

static void *
thread_main(void *arg)
{
	(void)arg;
	sleep(delay);
	execvp(cmd[0], cmd);
	perror("lateexec: execvp");
	exit(127);
}

int
main(int argc, char **argv)
{
	pthread_t th;

	if (argc < 3)
		return 2;
	delay = (unsigned)atoi(argv[1]);
	cmd = argv + 2;
	pthread_create(&th, NULL, thread_main, NULL);
	for (;;)
		pause();
}
