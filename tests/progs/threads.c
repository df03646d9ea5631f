/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A threaded program whose ids a record and a replay compare:
 *   threads FILE
 * starts 3 threads, one after another; the second forks a child that starts
 * 2 threads of its own. Every task appends "NAME TID" to FILE.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *file;

static void
note(const char *name)
{
	FILE *f = fopen(file, "a");

	if (f == NULL || fprintf(f, "%s %d\n", name, gettid()) < 0 || fclose(f) != 0)
		exit(1);
}

static void *run(void *arg);

static void
threads(const char *prefix, int n)
{
	static char names[8][32];
	pthread_t t;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "%s-thread%d", prefix, i);
		if (pthread_create(&t, NULL, run, names[i]) != 0 || pthread_join(t, NULL) != 0)
			exit(1);
	}
}

static void *
run(void *arg)
{
	const char *name = arg;
	pid_t pid;
	int status;

	note(name);
	if (name[0] == 'm' && name[11] == '1') { /* main-thread1 forks */
		if ((pid = fork()) == 0) {
			note("child");
			threads("child", 2);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
			exit(1);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	file = argv[1];
	note("main");
	threads("main", 3);
	return 0;
}
