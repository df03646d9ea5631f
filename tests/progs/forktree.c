/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process tree three levels deep with threads, which checks its own ids:
 *   forktree A A1 B B1 C
 * The target forks A (glibc fork: clone); A starts thread A1 (pthread_create:
 * clone3) and forks B; B starts B1 and forks C. Each task prints "NAME=ID"
 * and the tree exits 0 only if every id is the expected one.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static long want[5];
static const char *const names[5] = {"A", "A1", "B", "B1", "C"};

static int
check(int i, long got)
{
	printf("%s=%ld\n", names[i], got);
	fflush(stdout);
	if (got != want[i]) {
		fprintf(stderr, "forktree: %s is %ld, wanted %ld\n", names[i], got, want[i]);
		return 1;
	}
	return 0;
}

static void *
thread_main(void *arg)
{
	return (void *)(long)check((int)(long)arg, gettid());
}

static int
with_thread(int i)
{
	pthread_t th;
	void *rc;

	if (pthread_create(&th, NULL, thread_main, (void *)(long)i) != 0)
		return 1;
	pthread_join(th, &rc);
	return (int)(long)rc;
}

static int
waitfor(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int
level(int depth)
{
	int rc;
	pid_t pid;

	/* depth 0: the target; 1: A; 2: B; 3: C */
	if (depth == 3)
		return check(4, getpid());
	if (depth > 0) {
		rc = check(depth == 1 ? 0 : 2, getpid());
		rc |= with_thread(depth == 1 ? 1 : 3);
	} else {
		rc = 0;
	}
	pid = fork();
	if (pid == 0)
		exit(level(depth + 1));
	return rc | waitfor(pid);
}

int
main(int argc, char **argv)
{
	int i;

	if (argc != 6) {
		fprintf(stderr, "usage: forktree A A1 B B1 C\n");
		return 2;
	}
	for (i = 0; i < 5; i++)
		want[i] = strtol(argv[i + 1], NULL, 10);
	return level(0);
}
