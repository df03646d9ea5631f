/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A restore: a syscall that the syscall table (lib/syscalls.c) has a row
 * for goes to the step handler of its call kind. This is the one map from
 * call kinds to handlers.
 */
#include "config.h"

#include <sys/syscall.h>

#include "nsdd.h"
#include "ns.h"
#include "task.h"

/* The step handler of each call kind. */
static const struct step_ops *const handlers[NSD_CALL_COUNT] = {
    [NSD_CALL_FORK] = &fork_steps,     [NSD_CALL_THREAD] = &fork_steps,
    [NSD_CALL_MSGGET] = &ipcget_steps, [NSD_CALL_SEMGET] = &ipcget_steps,
    [NSD_CALL_SHMGET] = &ipcget_steps, [NSD_CALL_OPEN] = &open_steps,
    [NSD_CALL_MSGCTL] = &ipcset_steps, [NSD_CALL_SEMCTL] = &ipcset_steps,
    [NSD_CALL_SHMCTL] = &ipcset_steps,
};

const struct step_ops *
restore_ops(const struct nsd_syscall *sc)
{
	return handlers[sc->call];
}

/*
 * A restore (and SetNext, a restore of one thread's next call): a targeted
 * syscall goes to its row's step handler. Its tasks stop at every syscall
 * while they have steps left. In mode seccomp they rest between steps:
 * seized, so that a signal that cuts a notified fork, IPC get or IPC_SET
 * short is seen and the call made again (notify.c); but a process whose
 * next step is an open, a call that a signal may cut natively, rests
 * detached. A seized task stops at each of its signals, and a thread that
 * keeps signals queued would keep it from ever reaching its open. Its exit
 * is watched meanwhile (a pidfd), and its open's notification seizes it
 * again. A thread other than a leader has no such watch: it rests seized.
 */
static enum stops
restore_stops(const struct task *t)
{
	const struct nsd_step *s = plan_head(t->ptask);

	if (s == NULL)
		return STOPS_NONE;
	if (!plan_seccomp(t->plan))
		return STOPS_SYSCALLS;
	return s->call == NSD_CALL_OPEN && t->next_data == NULL && !plan_follows(t->plan) &&
	               ns_tgid(t->tid) == t->tid
	           ? STOPS_NONE
	           : STOPS_EVENTS;
}

static bool
restore_entry(struct task *t, long nr, const unsigned long long args[6])
{
	const struct nsd_syscall *sc = nsd_syscall_find(nr);

	if (sc == NULL || !(t->next_data != NULL || nsd_syscall_targeted(sc, plan_calls(t->plan))))
		return false;
	if (t->step != NULL && t->step->ops != handlers[sc->call])
		t->step->ops->abandon(t); /* it waited for its call to be made again */
	handlers[sc->call]->entry(t, sc, args);
	return true;
}

const struct plan_kind restore_kind = {
    .name = "restore",
    .stops = restore_stops,
    .entry = restore_entry,
};
