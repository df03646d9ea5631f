/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * msgget of a key whose queue already exists, with the id a step plans:
 *   ipcexist KEY
 * A child creates the queue for KEY; the parent then gets it with
 * msgget(KEY, 0), reads msg_next_id, and creates an unrelated private queue.
 * Prints "existing=ID", "next_id=N" and "private=ID" (or "private=-ERRNO").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	key_t key = argc > 1 ? (key_t)atoi(argv[1]) : 4660;
	long next = -2;
	pid_t pid;
	FILE *f;
	int id;

	if ((pid = fork()) == 0)
		_exit(msgget(key, IPC_CREAT | 0600) < 0);
	waitpid(pid, NULL, 0);
	id = msgget(key, 0);
	printf("existing=%d\n", id < 0 ? -errno : id);
	if ((f = fopen("/proc/sys/kernel/msg_next_id", "re")) != NULL) {
		if (fscanf(f, "%ld", &next) != 1)
			next = -2;
		fclose(f);
	}
	printf("next_id=%ld\n", next);
	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	printf("private=%d\n", id < 0 ? -errno : id);
	return 0;
}
