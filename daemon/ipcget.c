/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * msgget, semget and shmget steps: make the next such call produce the
 * planned IPC id by writing /proc/sys/kernel/{msg,sem,shm}_next_id inside the
 * task's IPC namespace (ipcns.c; Linux 3.19). On any outcome but the planned
 * object (an existing key, EEXIST, EACCES, ENOSPC, ...) the id is taken back,
 * so that nothing leaks into the namespace's next, unrelated creation. A
 * namespace is locked from the write to the syscall's exit (ns.c); a task
 * that finds it locked is held until it is free.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "nsdd.h"
#include "task.h"
#include "ns.h"
#include "ipcns.h"

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
	if (ipcns_next_id(is->ns, s->call, NULL, s->id) < 0) {
		const char *name = is->f.sc->name;
		nsdd_errno_text(errno, ebuf, sizeof(ebuf));
		finish(t, is);
		step_failed(t, s, name, s->id, -1, "cannot write %s: %s",
		            ipcns_next_id_file(s->call), ebuf);
		return;
	}
	is->active = true;
	log_debug("task %d: %s set to %lld", t->tid, ipcns_next_id_file(s->call), (long long)s->id);
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
		ipcns_take_back(is->ns, s->call);
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
		ipcns_take_back(is->ns, is->f.s->call);
	finish(t, is);
}

const struct step_ops ipcget_steps = {ipcget_entry, NULL, ipcget_exit, ipcget_abandon};
