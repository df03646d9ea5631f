/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A SysV IPC restorer: makes each object its arguments name, in order, and
 * prints the id it got (or -ERRNO), then the namespace's *_next_id values:
 *   ipcrestore OP...      OP: m:KEY  msgget(KEY, IPC_CREAT)
 *                             x:KEY  msgget(KEY, IPC_CREAT|IPC_EXCL)
 *                             s:KEY  semget(KEY, 3, IPC_CREAT)
 *                             h:KEY  shmget(KEY, 4096, IPC_CREAT)
 * KEY 0 is IPC_PRIVATE. Output: "OP=ID" per object, "next=MSG,SEM,SHM".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

static long
next_id(const char *which)
{
	char path[64];
	long v = -2;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s_next_id", which);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -2;
		fclose(f);
	}
	return v;
}

int
main(int argc, char **argv)
{
	int i, id;

	for (i = 1; i < argc; i++) {
		key_t key = (key_t)strtol(argv[i] + 2, NULL, 0);
		switch (argv[i][0]) {
		case 'm':
			id = msgget(key, IPC_CREAT | 0600);
			break;
		case 'x':
			id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
			break;
		case 's':
			id = semget(key, 3, IPC_CREAT | 0600);
			break;
		case 'h':
			id = shmget(key, 4096, IPC_CREAT | 0600);
			break;
		default:
			fprintf(stderr, "ipcrestore: bad op %s\n", argv[i]);
			return 2;
		}
		printf("%s=%d\n", argv[i], id < 0 ? -errno : id);
	}
	printf("next=%ld,%ld,%ld\n", next_id("msg"), next_id("sem"), next_id("shm"));
	return 0;
}
