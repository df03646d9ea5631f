/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * msgget, semget and shmget steps: make the next such call produce the
 * planned IPC id by writing /proc/sys/kernel/{msg,sem,shm}_next_id inside the
 * task's IPC namespace (Linux 3.19; per namespace since 5.19, where the file
 * opened is the opener's namespace's). setns(CLONE_NEWIPC) moves nsdd itself
 * at once, so nsdd writes the file from inside and comes straight back.
 *
 * The kernel puts *_next_id back to -1 only when an allocation uses it, and
 * refuses a write of -1 (the sysctl's minimum is 0). On any other outcome (an
 * existing key, EEXIST, EACCES, ENOSPC, ...) nsdd therefore consumes the id
 * itself: it creates a private object inside the namespace and removes it at
 * once, so that nothing leaks into the namespace's next, unrelated creation.
 * That allocation takes the requested index with idr_alloc() and leaves the
 * namespace's cyclic cursor and sequence untouched (ipc/util.c,
 * ipc_idr_alloc). A namespace is locked from the write to the syscall's exit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"

struct ipcns {
	TAILQ_ENTRY(ipcns) entry;
	dev_t dev;
	ino_t ino;
	int fd;
	struct tracee *holder;
};

static TAILQ_HEAD(, ipcns) namespaces = TAILQ_HEAD_INITIALIZER(namespaces);
static int own_fd = -1;

static const char *
next_id_file(enum nsd_call call)
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

int
ipc_init(void)
{
	own_fd = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	return own_fd < 0 ? -1 : 0;
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
	int fd, err = 0;

	fd = open(next_id_file(io->call), (value != NULL ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
	} else if (value != NULL) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			err = n < 0 ? errno : EIO;
		else {
			buf[n] = '\0';
			*value = strtol(buf, NULL, 10);
		}
	} else {
		int len = snprintf(buf, sizeof(buf), "%ld", io->set);
		if (write(fd, buf, (size_t)len) != len)
			err = errno;
	}
	if (fd >= 0)
		close(fd);
	return err;
}

/*
 * Reads (value == NULL) or writes *_next_id of ns from inside it. Returns 0,
 * or an errno; *value gets what was read.
 */
static int
next_id(struct ipcns *ns, enum nsd_call call, long *value, long set)
{
	struct next_id_io io = {call, value, set};

	return nsdd_in_ns(ns->fd, CLONE_NEWIPC, own_fd, next_id_here, &io);
}

static struct ipcns *
ipcns_of(pid_t tid, int *err)
{
	struct ipcns *ns;
	struct stat st;
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/ipc", tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		*err = errno;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	TAILQ_FOREACH(ns, &namespaces, entry)
	if (ns->dev == st.st_dev && ns->ino == st.st_ino) {
		close(fd);
		return ns;
	}
	if ((ns = calloc(1, sizeof(*ns))) == NULL) {
		*err = ENOMEM;
		close(fd);
		return NULL;
	}
	ns->dev = st.st_dev;
	ns->ino = st.st_ino;
	ns->fd = fd;
	TAILQ_INSERT_TAIL(&namespaces, ns, entry);
	return ns;
}

static void
unlock(struct tracee *t)
{
	struct ipcns *ns = t->ia.ns;

	memset(&t->ia, 0, sizeof(t->ia));
	if (ns != NULL && ns->holder == t) {
		ns->holder = NULL;
		tracer_unhold_all();
	}
}

/* Inside the namespace: creates and removes a private object of the kind. */
static int
consume_here(void *arg)
{
	int id, err = 0;

	switch (*(const enum nsd_call *)arg) {
	case NSD_CALL_MSGGET:
		if ((id = msgget(IPC_PRIVATE, IPC_CREAT | 0600)) < 0 ||
		    msgctl(id, IPC_RMID, NULL) < 0)
			err = errno;
		break;
	case NSD_CALL_SEMGET:
		if ((id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) < 0 ||
		    semctl(id, 0, IPC_RMID) < 0)
			err = errno;
		break;
	default:
		if ((id = shmget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) < 0 ||
		    shmctl(id, IPC_RMID, NULL) < 0)
			err = errno;
	}
	return err;
}

static int
consume(struct ipcns *ns, enum nsd_call call)
{
	return nsdd_in_ns(ns->fd, CLONE_NEWIPC, own_fd, consume_here, &call);
}

/* Puts *_next_id back to -1 if the call left it set: see the top of this file. */
static void
reset(struct ipcns *ns, enum nsd_call call)
{
	long v = -1;
	int err;

	if ((err = next_id(ns, call, &v, 0)) != 0) {
		log_warnx("cannot read %s: %s", next_id_file(call), strerror(err));
		return;
	}
	if (v == -1)
		return;
	if ((err = consume(ns, call)) != 0 || (err = next_id(ns, call, &v, 0)) != 0 || v != -1)
		log_warnx("cannot take back %s %ld in IPC namespace %lu: %s", next_id_file(call), v,
		          (unsigned long)ns->ino, err ? strerror(err) : "still set");
	else
		log_debug("took back %s in IPC namespace %lu", next_id_file(call),
		          (unsigned long)ns->ino);
}

/* Takes the lock and writes the id; sc == NULL retries after a lock wait. */
void
ipc_entry(struct tracee *t, const struct sc_info *sc, const unsigned long long args[6])
{
	struct ipc_apply *ia = &t->ia;
	const struct nsd_step *s = supervisor_head(t->ptask);
	char ebuf[64];
	int err = 0;

	if (sc != NULL) {
		enum nsd_call call = sc->call;
		if (s == NULL)
			return;
		if (s->call == NSD_CALL_ANY)
			s = supervisor_head_as(t->ptask, call);
		if (s->call != call) {
			if (t->plan->model->strict)
				supervisor_step_failed(t->ptask, sc->name, s->id, -1,
				                       "the task made %s while its next step is %s",
				                       sc->name, nsd_call_name(s->call));
			return;
		}
		/* key_t is an int: the low 32 bits of the first argument. */
		if (s->has_key && (int32_t)(uint32_t)args[0] != s->key)
			return;
		memset(ia, 0, sizeof(*ia));
		ia->s = s;
		ia->nr = sc->nr;
		ia->sc = sc;
		if (t->plan->backend == BACKEND_PROCFS) {
			if ((err = procfs_write(t->tid, &s->id, 1)) != 0) {
				memset(ia, 0, sizeof(*ia));
				supervisor_step_failed(t->ptask, sc->name, s->id, -1,
				                       "cannot write next_syscall_data: %s",
				                       nsdd_errno_text(err, ebuf, sizeof(ebuf)));
				return;
			}
			ia->active = ia->procfs = true;
			return;
		}
		if ((ia->ns = ipcns_of(t->tid, &err)) == NULL) {
			supervisor_step_failed(t->ptask, sc->name, s->id, -1,
			                       "cannot open its IPC namespace: %s",
			                       nsdd_errno_text(err, ebuf, sizeof(ebuf)));
			return;
		}
	} else if (s == NULL || t->plan->ending) {
		memset(ia, 0, sizeof(*ia));
		return;
	} else {
		s = ia->s;
	}
	ia->waiting = false;
	if (ia->ns->holder != NULL && ia->ns->holder != t) {
		ia->waiting = true;
		tracer_hold(t);
		return;
	}
	ia->ns->holder = t;
	if ((err = next_id(ia->ns, s->call, NULL, s->id)) != 0) {
		const char *name = ia->sc->name;
		unlock(t);
		supervisor_step_failed(t->ptask, name, s->id, -1, "cannot write %s: %s",
		                       next_id_file(s->call),
		                       nsdd_errno_text(err, ebuf, sizeof(ebuf)));
		return;
	}
	ia->active = true;
	log_debug("task %d: %s set to %lld", t->tid, next_id_file(s->call), (long long)s->id);
}

static void
ipc_exit(struct tracee *t, long long rval, bool is_error)
{
	struct ipc_apply *ia = &t->ia;
	const struct nsd_step *s = ia->s;
	const char *name = ia->sc->name;
	char ebuf[64];

	/* Even with the planned id, the call may have returned an existing
	 * object and left the value set: it is checked after every call. */
	enum mechanism how = ia->procfs ? MECH_PROCFS : MECH_NEXT_ID;

	if (!ia->active)
		return; /* it waited for its namespace, and was let go */
	if (!ia->procfs)
		reset(ia->ns, s->call);
	unlock(t); /* ia is cleared */
	if (!is_error && rval == s->id) {
		supervisor_applied(t->ptask, name, how, s->id, rval);
		return;
	}
	if (is_error)
		supervisor_step_failed(t->ptask, name, s->id, -1, "%s",
		                       nsdd_errno_text((int)-rval, ebuf, sizeof(ebuf)));
	else
		supervisor_step_failed(t->ptask, name, s->id, rval,
		                       "mismatch: wanted IPC id %lld, got %lld%s", (long long)s->id,
		                       rval, " (the key already had an object?)");
}

/* The task dies or is let go with an id written: take it back. */
void
ipc_abandon(struct tracee *t)
{
	if (t->ia.active && !t->ia.procfs)
		reset(t->ia.ns, t->ia.s->call);
	unlock(t);
}

/* No plan is running: close every namespace not in use. */
void
ipc_gc(void)
{
	struct ipcns *ns, *next;

	TAILQ_FOREACH_SAFE(ns, &namespaces, entry, next)
	{
		if (ns->holder != NULL)
			continue;
		close(ns->fd);
		TAILQ_REMOVE(&namespaces, ns, entry);
		free(ns);
	}
}

int
ipc_in_ns_of(pid_t tid, int (*fn)(void *arg), void *arg)
{
	struct ipcns *ns;
	int err = 0;

	if ((ns = ipcns_of(tid, &err)) == NULL)
		return err;
	return nsdd_in_ns(ns->fd, CLONE_NEWIPC, own_fd, fn, arg);
}

static bool
ipc_busy(const struct tracee *t)
{
	return t->ia.active || t->ia.waiting;
}

const struct step_ops ipc_steps = {ipc_entry, ipc_exit, ipc_busy, ipc_abandon};
