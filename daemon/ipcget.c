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
 * ipc_idr_alloc). A namespace is locked from the write to the syscall's exit
 * (ns.c); a task that finds it locked is held until it is free.
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

#include "log.h"
#include "nsdd.h"
#include "task.h"
#include "ns.h"

struct ipcget_step {
	struct inflight f;
	bool active; /* *_next_id written (or next_syscall_data); the exit decides */
	struct ns *ns;
};

static struct ipcget_step *
ipcget_step(struct task *t)
{
	return (struct ipcget_step *)t->step;
}

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

	fd = open(next_id_file(io->call), (value != NULL ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
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

/*
 * Reads (value != NULL) or writes *_next_id of ns from inside it: 0, or -1
 * with errno; *value gets what was read.
 */
static int
next_id(struct ns *ns, enum nsd_call call, long *value, long set)
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

/* Puts *_next_id back to -1 if the call left it set: see the top of this file. */
static void
reset(struct ns *ns, enum nsd_call call)
{
	long v = -1;
	bool failed;

	if (next_id(ns, call, &v, 0) < 0) {
		log_warn("cannot read %s", next_id_file(call));
		return;
	}
	if (v == -1)
		return;
	failed = ns_run(ns, consume_here, &call) < 0 || next_id(ns, call, &v, 0) < 0;
	if (failed || v != -1)
		log_warnx("cannot take back %s %ld in IPC namespace %lu: %s", next_id_file(call), v,
		          ns_ino(ns), failed ? strerror(errno) : "still set");
	else
		log_debug("took back %s in IPC namespace %lu", next_id_file(call), ns_ino(ns));
}

/* The step is over: the namespace is unlocked and the record freed. */
static void
finish(struct task *t, struct ipcget_step *is)
{
	if (is->ns != NULL) {
		ns_unlock(&is->ns, 1, t);
		ns_put(is->ns);
		is->ns = NULL;
	}
	step_end(t);
}

/* With the namespace's lock: writes the id. */
static void
write_id(struct task *t, struct ipcget_step *is)
{
	const struct nsd_step *s = is->f.s;
	char ebuf[64];

	if (!ns_lock(&is->ns, 1, t)) {
		t->drv->hold(t);
		return;
	}
	if (next_id(is->ns, s->call, NULL, s->id) < 0) {
		const char *name = is->f.sc->name;
		nsdd_errno_text(errno, ebuf, sizeof(ebuf));
		finish(t, is);
		step_failed(t, s, name, s->id, -1, "cannot write %s: %s", next_id_file(s->call),
		            ebuf);
		return;
	}
	is->active = true;
	log_debug("task %d: %s set to %lld", t->tid, next_id_file(s->call), (long long)s->id);
}

/* sc == NULL retries after a lock wait. */
static void
ipcget_entry(struct task *t, const struct nsd_syscall *sc, const unsigned long long args[6])
{
	struct ipcget_step *is = ipcget_step(t);
	const struct nsd_step *s;
	char ebuf[64];

	if (sc == NULL) {
		if (step_still_wanted(t))
			write_id(t, is);
		else
			finish(t, is);
		return;
	}
	if ((s = step_head(t, sc, sc->call, NULL)) == NULL)
		return;
	/* key_t is an int: the low 32 bits of the first argument. */
	if (s->has_key && (int32_t)(uint32_t)args[0] != s->key)
		return;
	if (plan_backend(t->plan) == BACKEND_PROCFS) {
		if (step_procfs_write(t, sc->name, s, &s->id, 1)) {
			is = step_start(t, &ipcget_steps, sizeof(*is), sc, s);
			is->active = true; /* with no namespace: the kernel does it */
		}
		return;
	}
	is = step_start(t, &ipcget_steps, sizeof(*is), sc, s);
	if ((is->ns = ns_ipc_of(t->tid, t->plan, plan_owner(t->plan))) == NULL) {
		nsdd_errno_text(errno, ebuf, sizeof(ebuf));
		step_end(t);
		step_failed(t, is->f.s, sc->name, s->id, -1, "cannot open its IPC namespace: %s",
		            ebuf);
		return;
	}
	write_id(t, is);
}

static void
ipcget_exit(struct task *t, long long rval, bool is_error)
{
	struct ipcget_step *is = ipcget_step(t);
	const struct nsd_step *s = is->f.s;
	const char *name = is->f.sc->name;
	/* Even with the planned id, the call may have returned an existing
	 * object and left the value set: it is checked after every call. */
	enum mechanism how = is->ns == NULL ? MECH_PROCFS : MECH_NEXT_ID;
	char ebuf[64];

	if (!is->active)
		return; /* it waited for its namespace, and was let go */
	if (is->ns != NULL)
		reset(is->ns, s->call);
	finish(t, is);
	if (!is_error && rval == s->id)
		step_applied(t, s, name, how, s->id, rval);
	else if (is_error)
		step_failed(t, s, name, s->id, -1, "%s",
		            nsdd_errno_text((int)-rval, ebuf, sizeof(ebuf)));
	else
		step_failed(t, s, name, s->id, rval, "mismatch: wanted IPC id %lld, got %lld%s",
		            (long long)s->id, rval, " (the key already had an object?)");
}

/* The task dies or is let go with an id written: take it back. */
static void
ipcget_abandon(struct task *t)
{
	struct ipcget_step *is = ipcget_step(t);

	if (is->active && is->ns != NULL)
		reset(is->ns, is->f.s->call);
	finish(t, is);
}

const struct step_ops ipcget_steps = {ipcget_entry, NULL, ipcget_exit, ipcget_abandon};
