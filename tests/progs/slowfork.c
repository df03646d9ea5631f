/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fork that takes its pid late: the kernel copies the address space
 * before it allocates the child's pid, and a userfaultfd with fork events
 * holds that copy until its reader has read the event. A thread reads it
 * after MS milliseconds; then the child exits, the parent reaps it, prints
 * "child=PID" and exits at once. With -p the reader is a child process
 * made first (fork 1), so that the slow fork's task has no other thread.
 *   slowfork [-p] MS
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int uffd;
static int delay_ms;

static void *
reader(void *arg)
{
	struct uffd_msg msg;

	(void)arg;
	usleep((useconds_t)delay_ms * 1000);
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg) || msg.event != UFFD_EVENT_FORK) {
		perror("slowfork: read");
		_exit(2);
	}
	close((int)msg.arg.fork.ufd); /* the child's */
	return NULL;
}

int
main(int argc, char **argv)
{
	struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_EVENT_FORK};
	struct uffdio_register reg;
	bool proc = argc == 3 && strcmp(argv[1], "-p") == 0;
	pthread_t th;
	char *page;
	pid_t pid;

	if (argc != 2 + proc) {
		fprintf(stderr, "usage: slowfork [-p] MS\n");
		return 2;
	}
	delay_ms = atoi(argv[1 + proc]);
	if ((uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC)) < 0 ||
	    ioctl(uffd, UFFDIO_API, &api) < 0) {
		perror("slowfork: userfaultfd");
		return 77;
	}
	/* Made before the range is registered: its own fork sends no event. */
	if (proc && (pid = fork()) == 0) {
		reader(NULL);
		_exit(0);
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (unsigned long)page;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (page == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) {
		perror("slowfork: UFFDIO_REGISTER");
		return 77;
	}
	if (!proc && pthread_create(&th, NULL, reader, NULL) != 0)
		return 2;
	if ((pid = fork()) == 0)
		_exit(0);
	if (pid < 0) {
		perror("slowfork: fork");
		return 1;
	}
	waitpid(pid, NULL, 0);
	printf("child=%d\n", pid);
	fflush(stdout);
	_exit(0);
}
