/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A thread that joins another pid namespace, then executes a program:
 *   setnsexec
 * forks a child that makes a pid namespace B below its own (unshare, then
 * B's init, which waits) and says the init's pid; starts a thread that
 * joins B as its pid_for_children (setns with a pidfd); forks once more
 * from the leader, in its own namespace; then the thread executes this
 * program again ("setnsexec after FD"), which takes the leader's pid and
 * keeps B, and forks: the child prints its NSpid line. Prints "c=PID d=PID"
 * for the leader's forks. No signal handler is set.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int to_init[2], joined[2], forked[2];
static pid_t init_pid;

/* The child's NSpid, as the /proc it sees shows it. */
static int
child_nspid(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "NSpid:", 6) == 0) {
			printf("child NSpid=%s", line + 6);
			fflush(stdout);
			return 0;
		}
	return 1;
}

static void *
thread_main(void *arg)
{
	char fd[16], c;
	int pidfd = (int)syscall(SYS_pidfd_open, init_pid, 0);

	(void)arg;
	if (pidfd < 0 || setns(pidfd, CLONE_NEWPID) < 0) {
		perror("setnsexec: setns");
		exit(1);
	}
	if (write(joined[1], "j", 1) != 1 || read(forked[0], &c, 1) != 1)
		exit(1);
	snprintf(fd, sizeof(fd), "%d", to_init[1]);
	execl("/proc/self/exe", "setnsexec", "after", fd, (char *)NULL);
	perror("setnsexec: execl");
	exit(1);
}

/* The new image: one fork, into B; then B's init may end. */
static int
after(int fd)
{
	pid_t e = fork();

	if (e == 0)
		_exit(child_nspid());
	if (e < 0 || waitpid(e, NULL, 0) != e)
		return 1;
	return write(fd, "x", 1) == 1 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	int said[2];
	pthread_t th;
	pid_t c, d;
	char x;

	if (argc == 3 && strcmp(argv[1], "after") == 0)
		return after(atoi(argv[2]));
	if (pipe(to_init) < 0 || pipe(joined) < 0 || pipe(forked) < 0 || pipe(said) < 0)
		return 1;
	if ((c = fork()) == 0) { /* makes B */
		pid_t g;
		if (unshare(CLONE_NEWPID) < 0)
			_exit(3);
		if ((g = fork()) == 0) {
			_exit(read(to_init[0], &x, 1) == 1 ? 0 : 1);
		}
		if (write(said[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		waitpid(g, NULL, 0);
		_exit(0);
	}
	if (c < 0 || read(said[0], &init_pid, sizeof(init_pid)) != sizeof(init_pid))
		return 1;
	if (pthread_create(&th, NULL, thread_main, NULL) != 0 || read(joined[0], &x, 1) != 1)
		return 1;
	if ((d = fork()) == 0)
		_exit(0);
	if (d < 0 || waitpid(d, NULL, 0) != d)
		return 1;
	printf("c=%d d=%d\n", c, d);
	fflush(stdout);
	if (write(forked[1], "f", 1) != 1)
		return 1;
	pthread_join(th, NULL); /* never returns: the exec ends this thread */
	return 1;
}
