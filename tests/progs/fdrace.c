/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Another thread takes the planned fd while the main thread's open is being
 * moved onto it:
 *   fdrace PATH N
 * A second thread keeps taking fd N (fcntl F_DUPFD from N, which never
 * replaces) and checks, while it holds N, that N is still its own file. The
 * main thread opens PATH once. Prints "open=FD" (or "open=-ERRNO") and
 * "replaced=K": how often the thread's fd N was swapped under it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int want;
static atomic_int done, started, replaced;

static void *
taker(void *arg)
{
	struct stat own, now;
	int src = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	(void)arg;
	if (src < 0 || fstat(src, &own) < 0)
		exit(1);
	atomic_store(&started, 1);
	while (!atomic_load(&done)) {
		int r = fcntl(src, F_DUPFD_CLOEXEC, want);
		if (r != want) {
			if (r >= 0)
				close(r);
			continue;
		}
		for (int i = 0; i < 5; i++)
			sched_yield();
		if (fstat(want, &now) < 0 || now.st_ino != own.st_ino || now.st_dev != own.st_dev) {
			atomic_fetch_add(&replaced, 1);
			continue; /* no longer ours: leave it */
		}
		close(want);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t th;
	int fd;

	if (argc != 3)
		return 2;
	want = atoi(argv[2]);
	pthread_create(&th, NULL, taker, NULL);
	while (!atomic_load(&started))
		sched_yield();
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		fd = -errno;
	usleep(1000);
	atomic_store(&done, 1);
	pthread_join(th, NULL);
	printf("open=%d\nreplaced=%d\n", fd, atomic_load(&replaced));
	return 0;
}
