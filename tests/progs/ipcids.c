/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SysV IPC ids and fds that a record and a replay compare:
 *   ipcids LOG
 * With IPCIDS_BURN set, first creates and removes a queue, a segment and a semaphore
 * set under the key 0x7777, which moves each kind's next id on. Then gets a
 * queue by the key 0x1234 (twice: the second finds it), a private segment,
 * a semaphore set by the key 0x4321 with IPC_EXCL, opens /dev/null, and
 * forks a child that gets a private queue. Appends "NAME ID" to LOG.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *log_path;

static void
note(const char *name, long id)
{
	FILE *f = fopen(log_path, "a");

	if (id < 0 || f == NULL || fprintf(f, "%s %ld\n", name, id) < 0 || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

static void
burn(void)
{
	int q = msgget(0x7777, IPC_CREAT | IPC_EXCL | 0600);
	int m = shmget(0x7777, 4096, IPC_CREAT | IPC_EXCL | 0600);
	int s = semget(0x7777, 1, IPC_CREAT | IPC_EXCL | 0600);

	if (q < 0 || m < 0 || s < 0 || msgctl(q, IPC_RMID, NULL) < 0 ||
	    shmctl(m, IPC_RMID, NULL) < 0 || semctl(s, 0, IPC_RMID) < 0) {
		perror("burn");
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	pid_t pid;
	int status;

	if (argc < 2)
		return 2;
	log_path = argv[1];
	if (getenv("IPCIDS_BURN") != NULL)
		burn();
	note("msg-key", msgget(0x1234, IPC_CREAT | 0600));
	note("msg-again", msgget(0x1234, IPC_CREAT | 0600));
	note("shm-private", shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
	note("sem-excl", semget(0x4321, 2, IPC_CREAT | IPC_EXCL | 0600));
	note("fd", open("/dev/null", O_RDONLY));
	if ((pid = fork()) == 0) {
		note("child-msg", msgget(IPC_PRIVATE, IPC_CREAT | 0600));
		_exit(0);
	}
	return pid < 0 || waitpid(pid, &status, 0) != pid || status != 0;
}
