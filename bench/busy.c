/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A syscall-heavy restorer (bench/syscalls):
 *   busy N
 * makes N rounds of a 4 KiB read of /dev/zero and an mmap and munmap of
 * 64 KiB, and forks (and waits for) a child after a third, two thirds and
 * all of them. Prints the nanoseconds it took, then the three children's
 * pids, one per line.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t
child(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
		perror("busy: fork");
		exit(2);
	}
	return pid;
}

int
main(int argc, char **argv)
{
	static char buf[4096];
	struct timespec a, b;
	pid_t pids[3];
	long n, i;
	int fd, k = 0;

	if (argc != 2 || (n = atol(argv[1])) < 3) {
		fprintf(stderr, "usage: busy N (N >= 3)\n");
		return 2;
	}
	if ((fd = open("/dev/zero", O_RDONLY | O_CLOEXEC)) < 0) {
		perror("busy: /dev/zero");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 1; i <= n; i++) {
		void *p =
		    mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (read(fd, buf, sizeof(buf)) != sizeof(buf) || p == MAP_FAILED ||
		    munmap(p, 65536) < 0) {
			perror("busy");
			return 2;
		}
		if (i == n / 3 || i == 2 * n / 3 || i == n)
			pids[k++] = child();
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f\n", (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec));
	for (k = 0; k < 3; k++)
		printf("%d\n", pids[k]);
	return 0;
}
