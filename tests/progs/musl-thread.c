/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A pthread_create, built statically with musl (musl-gcc) by the test that
 * runs it: musl's clone passes CLONE_DETACHED. Prints "thread=TID".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static void *
run(void *arg)
{
	*(long *)arg = syscall(SYS_gettid);
	return NULL;
}

int
main(void)
{
	pthread_t th;
	long tid = 0;

	if (pthread_create(&th, NULL, run, &tid) != 0)
		return 1;
	pthread_join(th, NULL);
	printf("thread=%ld\n", tid);
	return 0;
}
