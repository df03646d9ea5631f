/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A restorer of a process tree, for make bench:
 *   restore MODE N BASE
 * recreates N processes, a tree 4 levels deep (fanout 8, in breadth-first
 * order: node i is pid BASE + i, node 0 the restorer itself), depth first:
 * each process makes its children one after another, each child makes its
 * subtree and exits, and its parent waits for it. MODE says how a child
 * gets its pid:
 *   clone3   clone3() with set_tid: CRIU's way (needs CAP_CHECKPOINT_RESTORE)
 *   lastpid  ns_last_pid written, then fork(), under a lock on that file
 *   plain    fork() as is: native, or under nsdd, whose plan gives the pids
 * Prints the nanoseconds the whole restore took, and exits 1 if a process
 * did not get its pid (BASE + i; in plain mode only under a plan).
 * Threads are left out: an in-process thread with set_tid needs an
 * assembly trampoline (CRIU has one), which a benchmark should not carry.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FANOUT 8

static const char *mode;
static long n, base;
static int lastpid_fd = -1;
static int wrong;

static pid_t
make_child(long node)
{
	pid_t want = (pid_t)(base + node), pid;

	if (strcmp(mode, "clone3") == 0) {
		struct clone_args ca;
		memset(&ca, 0, sizeof(ca));
		ca.exit_signal = SIGCHLD;
		ca.set_tid = (uint64_t)(uintptr_t)&want;
		ca.set_tid_size = 1;
		return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	}
	if (strcmp(mode, "lastpid") == 0) {
		char buf[16];
		int len = snprintf(buf, sizeof(buf), "%d", want - 1);
		if (flock(lastpid_fd, LOCK_EX) < 0 ||
		    pwrite(lastpid_fd, buf, (size_t)len, 0) != len)
			return -1;
		pid = fork();
		if (pid != 0)
			flock(lastpid_fd, LOCK_UN);
		return pid;
	}
	return fork();
}

/* Makes node's children and their subtrees, then returns. */
static void
subtree(long node)
{
	long c;

	for (c = node * FANOUT + 1; c <= node * FANOUT + FANOUT && c < n; c++) {
		pid_t pid = make_child(c);
		int status;
		if (pid < 0) {
			perror("restore: fork");
			exit(2);
		}
		if (pid == 0) {
			wrong = 0;
			subtree(c);
			_exit(wrong);
		}
		if (strcmp(mode, "plain") != 0 || getenv("RESTORE_CHECK") != NULL)
			wrong |= pid != base + c;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		wrong |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
}

int
main(int argc, char **argv)
{
	struct timespec a, b;

	if (argc != 4) {
		fprintf(stderr, "usage: restore clone3|lastpid|plain N BASE\n");
		return 2;
	}
	mode = argv[1];
	n = atol(argv[2]);
	base = atol(argv[3]);
	if (strcmp(mode, "lastpid") == 0 &&
	    (lastpid_fd = open("/proc/sys/kernel/ns_last_pid", O_RDWR | O_CLOEXEC)) < 0) {
		perror("restore: ns_last_pid");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	subtree(0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f\n", (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec));
	return wrong;
}
