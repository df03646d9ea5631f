/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An IPC namespace's /proc/sys/kernel/{msg,sem,shm}_next_id, read and
 * written from inside it (ipcns.h). Per namespace since Linux 5.19, where
 * the file opened is the opener's namespace's; setns(CLONE_NEWIPC) moves
 * nsdd itself at once, so nsdd does it from inside and comes straight back.
 *
 * The kernel puts *_next_id back to -1 only when an allocation uses it, and
 * refuses a write of -1 (the sysctl's minimum is 0). To take an id back,
 * nsdd therefore consumes it itself: it creates a private object inside the
 * namespace and removes it at once, so that nothing leaks into the
 * namespace's next, unrelated creation. That allocation takes the requested
 * index with idr_alloc() and leaves the namespace's cyclic cursor and
 * sequence untouched (ipc/util.c, ipc_idr_alloc).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "ipcns.h"
#include "log.h"

const char *
ipcns_next_id_file(enum nsd_call call)
{
	switch (call) {
	case NSD_CALL_MSGGET:
		return "/proc/sys/kernel/msg_next_id";
	case NSD_CALL_SEMGET:
		return "/proc/sys/kernel/sem_next_id";
	default:
		return "/proc/sys/kernel/shm_next_id";
	}
}

struct next_id_io {
	enum nsd_call call;
	long *value; /* NULL: write set */
	long set;
};

/* Inside the namespace: reads or writes its *_next_id. */
static int
next_id_here(void *arg)
{
	const struct next_id_io *io = arg;
	long *value = io->value;
	char buf[32];
	ssize_t n;
	int fd, len = 0, err;

	fd = open(ipcns_next_id_file(io->call), (value != NULL ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (value != NULL) {
		n = read(fd, buf, sizeof(buf) - 1);
	} else {
		len = snprintf(buf, sizeof(buf), "%ld", io->set);
		n = write(fd, buf, (size_t)len) == len ? 0 : -1;
	}
	err = n < 0 ? errno : EIO;
	close(fd);
	if (n < 0 || (value != NULL && n == 0)) {
		errno = err;
		return -1;
	}
	if (value != NULL) {
		buf[n] = '\0';
		*value = strtol(buf, NULL, 10);
	}
	return 0;
}

int
ipcns_next_id(struct ns *ns, enum nsd_call call, long *value, long set)
{
	struct next_id_io io = {call, value, set};

	return ns_run(ns, next_id_here, &io);
}

/* Inside the namespace: creates and removes a private object of the kind. */
static int
consume_here(void *arg)
{
	int id;

	switch (*(const enum nsd_call *)arg) {
	case NSD_CALL_MSGGET:
		return (id = msgget(IPC_PRIVATE, IPC_CREAT | 0600)) < 0
		           ? -1
		           : msgctl(id, IPC_RMID, NULL);
	case NSD_CALL_SEMGET:
		return (id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) < 0
		           ? -1
		           : semctl(id, 0, IPC_RMID);
	default:
		return (id = shmget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) < 0
		           ? -1
		           : shmctl(id, IPC_RMID, NULL);
	}
}

void
ipcns_take_back(struct ns *ns, enum nsd_call call)
{
	long v = -1;
	bool failed;

	if (ipcns_next_id(ns, call, &v, 0) < 0) {
		log_warn("cannot read %s", ipcns_next_id_file(call));
		return;
	}
	if (v == -1)
		return;
	failed = ns_run(ns, consume_here, &call) < 0 || ipcns_next_id(ns, call, &v, 0) < 0;
	if (failed || v != -1)
		log_warnx("cannot take back %s %ld in IPC namespace %lu: %s",
		          ipcns_next_id_file(call), v, ns_ino(ns),
		          failed ? strerror(errno) : "still set");
	else
		log_debug("took back %s in IPC namespace %lu", ipcns_next_id_file(call),
		          ns_ino(ns));
}

struct key_io {
	enum nsd_call call;
	int32_t key;
	long id;
};

/* Inside the namespace: the id of the object with key io->key, from
 * /proc/sysvipc (the reader's namespace's); -1 with ENOENT if none. */
static int
key_here(void *arg)
{
	struct key_io *io = arg;
	const char *path = io->call == NSD_CALL_MSGGET   ? "/proc/sysvipc/msg"
	                   : io->call == NSD_CALL_SEMGET ? "/proc/sysvipc/sem"
	                                                 : "/proc/sysvipc/shm";
	char line[512];
	long key, id;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	io->id = -1;
	while (io->id < 0 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%ld %ld", &key, &id) == 2 && (int32_t)key == io->key)
			io->id = id;
	fclose(f);
	if (io->id < 0) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

long
ipcns_id_of_key(struct ns *ns, enum nsd_call call, int32_t key)
{
	struct key_io io = {call, key, -1};

	return ns_run(ns, key_here, &io) < 0 ? -1 : io.id;
}
