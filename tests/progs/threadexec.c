/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * execve(2) by a non-leader thread: the thread takes over the process's pid
 * and the leader vanishes. The new image is a shell that forks once:
 *   threadexec 'SHELL COMMAND'
 * prints "thread=TID" first.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static const char *cmd;

static void *
thread_main(void *arg)
{
	(void)arg;
	printf("thread=%d\n", gettid());
	fflush(stdout);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	perror("threadexec: execl");
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th;

	if (argc != 2) {
		fprintf(stderr, "usage: threadexec 'SHELL COMMAND'\n");
		return 2;
	}
	cmd = argv[1];
	if (pthread_create(&th, NULL, thread_main, NULL) != 0)
		return 1;
	pthread_join(th, NULL); /* never returns: the exec ends this thread */
	return 1;
}
