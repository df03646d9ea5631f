/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memory that changes under nsdd's reads. A thread keeps rewriting and
 * unmapping the memory that the main thread's syscalls point at: an open()
 * path that straddles a page boundary (sometimes "/dev/null", sometimes no
 * NUL before the page ends, sometimes unmapped), and clone3()'s argument
 * struct (sometimes unmapped, then zeroed: always a valid fork). The main thread opens and clones
 * in a loop. memflip ROUNDS Prints "open42=N" (opens that returned fd 42) and "fork500=N" (children
 * that were pid 500); exits 0 if it survived.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char *pages; /* page 0 | page 1: the path straddles them; page 2: clone3 args */
static long pagesz;
static atomic_int done;

static char *
path(void)
{
	return pages + pagesz - 4; /* "/dev" on page 0, "/null" on page 1 */
}

static void *
flipper(void *arg)
{
	unsigned n = 0;

	(void)arg;
	while (!atomic_load(&done)) {
		switch (n++ % 3) {
		case 0:
			memcpy(path(), "/dev/null", 10);
			break;
		case 1: /* no NUL up to the end of page 1 */
			memset(pages + pagesz, 'x', (size_t)pagesz);
			break;
		default: /* pages 1 and 2 gone, then back, zeroed */
			munmap(pages + pagesz, (size_t)pagesz * 2);
			mmap(pages + pagesz, (size_t)pagesz * 2, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 2000, i, open42 = 0, fork500 = 0;
	uint64_t *args;
	pthread_t th;

	pagesz = sysconf(_SC_PAGESIZE);
	pages = mmap(NULL, (size_t)pagesz * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	             -1, 0);
	memcpy(path(), "/dev/null", 10);
	pthread_create(&th, NULL, flipper, NULL);
	for (i = 0; i < rounds; i++) {
		int fd = open(path(), O_RDONLY);
		if (fd == 42)
			open42++;
		if (fd >= 0)
			close(fd);
	}
	/* clone3 arguments on page 2, which the flipper unmaps and remaps (zeroed).
	 * At most 400 forks: the pid namespace's own counter never reaches 500,
	 * so a child with pid 500 is the step's. */
	for (i = 0; i < rounds && i < 400; i++) {
		pid_t pid;
		/* Never written: zeroed clone3 arguments are a valid fork (no exit signal). */
		args = (uint64_t *)(void *)(pages + 2 * pagesz);
		pid = (pid_t)syscall(SYS_clone3, args, 88);
		if (pid == 0)
			_exit(0);
		if (pid > 0) {
			fork500 += pid == 500;
			waitpid(pid, NULL, __WALL); /* a zeroed exit_signal makes a clone child */
		}
	}
	atomic_store(&done, 1);
	pthread_join(th, NULL);
	printf("open42=%ld\nfork500=%ld\n", open42, fork500);
	return 0;
}
