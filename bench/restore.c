/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A restorer of a process tree, for make bench:
 *   restore MODE N BASE [M]
 * recreates N processes, a tree 4 levels deep (fanout 8, in breadth-first
 * order: node i is pid BASE + i, node 0 the restorer itself), depth first:
 * each process makes its children one after another, each child makes its
 * subtree and exits, and its parent waits for it. Nodes 0 to M-1 (M
 * defaults to 0) first make a thread each, tid BASE + N + i, which ends at
 * once. MODE says how a child gets its pid:
 *   clone3   clone3() with set_tid: CRIU's way (needs CAP_CHECKPOINT_RESTORE);
 *            a thread starts in a few lines of assembly that end it at once,
 *            since it has no TLS of its own for C code to run on
 *   lastpid  ns_last_pid written, then fork() or pthread_create(), under a
 *            lock on that file
 *   plain    fork() and pthread_create() as they are: native, or under
 *            nsdd, whose plan gives the pids
 *   raw      fork(), and clone3's thread with no pid asked for: the same
 *            restorer as clone3's (under nsdd, whose plan gives the pids)
 * Prints the nanoseconds the whole restore took, and exits 1 if a task did
 * not get its pid (in plain mode checked only with RESTORE_CHECK set).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
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
static long n, base, m;
static int lastpid_fd = -1;
static int wrong;

/* ns_last_pid = want - 1, under a lock on the file that the caller releases. */
static int
set_last_pid(pid_t want)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", want - 1);

	if (flock(lastpid_fd, LOCK_EX) < 0 || pwrite(lastpid_fd, buf, (size_t)len, 0) != len)
		return -1;
	return 0;
}

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
		if (set_last_pid(want) < 0)
			return -1;
		pid = fork();
		if (pid != 0)
			flock(lastpid_fd, LOCK_UN);
		return pid;
	}
	return fork();
}

/* clone3 for a thread that exits before it runs any C code. */
static long
clone3_thread(struct clone_args *ca)
{
	register long size asm("rsi") = sizeof(*ca);
	long ret;

	asm volatile("syscall\n\t"
	             "test %%rax, %%rax\n\t"
	             "jnz 1f\n\t"
	             "mov %[exit], %%eax\n\t"
	             "xor %%edi, %%edi\n\t"
	             "syscall\n"
	             "1:"
	             : "=a"(ret)
	             : "0"((long)SYS_clone3), "D"(ca), "r"(size), [exit] "i"(SYS_exit)
	             : "rcx", "r11", "memory");
	return ret;
}

static void *
thread_main(void *arg)
{
	*(pid_t *)arg = gettid();
	return NULL;
}

static pid_t
start_thread(pid_t want)
{
	pthread_t th;
	pid_t tid = -1;

	if (strcmp(mode, "clone3") == 0 || strcmp(mode, "raw") == 0) {
		struct clone_args ca;
		size_t stack = 16384;
		memset(&ca, 0, sizeof(ca));
		ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		           CLONE_SYSVSEM;
		ca.stack = (uint64_t)(uintptr_t)malloc(stack);
		ca.stack_size = stack;
		if (strcmp(mode, "clone3") == 0) { /* raw asks for no pid */
			ca.set_tid = (uint64_t)(uintptr_t)&want;
			ca.set_tid_size = 1;
		}
		return ca.stack == 0 ? -1 : (pid_t)clone3_thread(&ca);
	}
	if (strcmp(mode, "lastpid") == 0 && set_last_pid(want) < 0)
		return -1;
	if (pthread_create(&th, NULL, thread_main, &tid) != 0 || pthread_join(th, NULL) != 0)
		tid = -1;
	if (strcmp(mode, "lastpid") == 0)
		flock(lastpid_fd, LOCK_UN);
	return tid;
}

/* Modes in which the restorer asks for no pid itself. */
static bool
unplanned(void)
{
	return strcmp(mode, "plain") == 0 || strcmp(mode, "raw") == 0;
}

/* Makes node's thread, children and their subtrees, then returns. */
static void
subtree(long node)
{
	long c;

	if (node < m) {
		pid_t want = (pid_t)(base + n + node), tid = start_thread(want);
		if (tid < 0) {
			perror("restore: thread");
			exit(2);
		}
		if (!unplanned() || getenv("RESTORE_CHECK") != NULL)
			wrong |= tid != want;
	}
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
		if (!unplanned() || getenv("RESTORE_CHECK") != NULL)
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

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: restore clone3|lastpid|plain|raw N BASE [M]\n");
		return 2;
	}
	mode = argv[1];
	n = atol(argv[2]);
	base = atol(argv[3]);
	m = argc == 5 ? atol(argv[4]) : 0;
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
