/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opens a path that lies in a page a userfaultfd guards and nobody serves:
 * whoever reads the path (the kernel for this task, or a tracer) waits for
 * ever, unless killed.
 *   uffdopen    prints "ready", waits for a byte on stdin, then opens
 *   uffdopen N  the same, from N threads at once
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static char *page;

static void *
opener(void *arg)
{
	(void)arg;
	open(page, O_RDONLY); /* never returns */
	return NULL;
}

int
main(int argc, char **argv)
{
	struct uffdio_api api = {.api = UFFD_API};
	struct uffdio_register reg;
	int uffd, i, n = argc > 1 ? atoi(argv[1]) : 0;
	pthread_t th;
	char c;

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) < 0) {
		perror("uffdopen: userfaultfd");
		return 77;
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	reg.range.start = (unsigned long)page;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) {
		perror("uffdopen: UFFDIO_REGISTER");
		return 77;
	}
	printf("ready\n");
	fflush(stdout);
	if (read(0, &c, 1) != 1)
		return 1;
	for (i = 1; i < n; i++)
		pthread_create(&th, NULL, opener, NULL);
	return open(page, O_RDONLY) < 0 ? 2 : 0; /* never returns: nobody serves the page */
}
