/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPC_SET as a restorer makes it: a message queue (qbytes set to 1000 by the
 * task itself), a semaphore set and a shared memory segment, each created
 * and then IPC_SET with its own permissions. Prints "msg=ID qbytes=N" (from
 * IPC_STAT after the IPC_SET), "sem=ID", "shm=ID", or "WHAT=-ERRNO".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

int
main(void)
{
	struct msqid_ds mds;
	struct semid_ds sds;
	struct shmid_ds hds;
	int id;

	setvbuf(stdout, NULL, _IOLBF, 0);
	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id < 0 || msgctl(id, IPC_STAT, &mds) < 0)
		return 1;
	mds.msg_qbytes = 1000;
	if (msgctl(id, IPC_SET, &mds) < 0)
		printf("msg=-%d\n", errno);
	else if (msgctl(id, IPC_STAT, &mds) == 0)
		printf("msg=%d qbytes=%lu\n", id, (unsigned long)mds.msg_qbytes);

	id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
	if (id < 0 || semctl(id, 0, IPC_STAT, &sds) < 0)
		return 1;
	printf("sem=%d\n", semctl(id, 0, IPC_SET, &sds) < 0 ? -errno : id);

	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (id < 0 || shmctl(id, IPC_STAT, &hds) < 0)
		return 1;
	printf("shm=%d\n", shmctl(id, IPC_SET, &hds) < 0 ? -errno : id);
	return 0;
}
