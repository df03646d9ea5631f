/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The syscalls nsdd targets, one row each, as strace's syscallent tables:
 * number, name, kind, the plan calls it may serve, the step handler that
 * applies those steps, and where its path is. This is the only place that
 * maps syscalls to kinds and handlers.
 */
#include "config.h"

#include <sys/syscall.h>

#include "nsdd.h"
#include "task.h"

#define FORKS (1u << NSD_CALL_FORK)
#define TASKS (1u << NSD_CALL_FORK | 1u << NSD_CALL_THREAD) /* CLONE_THREAD decides */

static const struct sc_info syscalls[] = {
    {SYS_fork, "fork", SC_FORK, NSD_CALL_FORK, FORKS, &fork_steps, -1},
    {SYS_vfork, "vfork", SC_VFORK, NSD_CALL_FORK, FORKS, &fork_steps, -1},
    {SYS_clone, "clone", SC_CLONE, NSD_CALL_FORK, TASKS, &fork_steps, -1},
    {SYS_clone3, "clone3", SC_CLONE3, NSD_CALL_FORK, TASKS, &fork_steps, -1},
    {SYS_msgget, "msgget", SC_MSGGET, NSD_CALL_MSGGET, 1u << NSD_CALL_MSGGET, &ipcget_steps, -1},
    {SYS_semget, "semget", SC_SEMGET, NSD_CALL_SEMGET, 1u << NSD_CALL_SEMGET, &ipcget_steps, -1},
    {SYS_shmget, "shmget", SC_SHMGET, NSD_CALL_SHMGET, 1u << NSD_CALL_SHMGET, &ipcget_steps, -1},
    {SYS_open, "open", SC_OPEN, NSD_CALL_OPEN, 1u << NSD_CALL_OPEN, &open_steps, 0},
    {SYS_openat, "openat", SC_OPENAT, NSD_CALL_OPEN, 1u << NSD_CALL_OPEN, &open_steps, 1},
    {SYS_openat2, "openat2", SC_OPENAT2, NSD_CALL_OPEN, 1u << NSD_CALL_OPEN, &open_steps, 1},
    {SYS_creat, "creat", SC_CREAT, NSD_CALL_OPEN, 1u << NSD_CALL_OPEN, &open_steps, 0},
    {SYS_msgctl, "msgctl", SC_MSGCTL, NSD_CALL_MSGCTL, 1u << NSD_CALL_MSGCTL, &ipcset_steps, -1},
    {SYS_semctl, "semctl", SC_SEMCTL, NSD_CALL_SEMCTL, 1u << NSD_CALL_SEMCTL, &ipcset_steps, -1},
    {SYS_shmctl, "shmctl", SC_SHMCTL, NSD_CALL_SHMCTL, 1u << NSD_CALL_SHMCTL, &ipcset_steps, -1},
};

const struct sc_info *
syscall_find(long nr)
{
	size_t i;

	for (i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (syscalls[i].nr == nr)
			return &syscalls[i];
	return NULL;
}

/*
 * Whether a plan whose steps make the calls in `calls` (1 << enum nsd_call
 * each) targets sc: sc may serve one of its steps; an `any` step, every
 * syscall. A syscall of another kind is not looked at, and is no divergence
 * under "strict" (a fork-only plan does not care for the dynamic loader's
 * opens).
 */
bool
syscall_targeted(const struct sc_info *sc, unsigned calls)
{
	return (sc->calls & calls) || (calls & (1u << NSD_CALL_ANY));
}

/*
 * A restore (and SetNext, a restore of one thread's next call): a targeted
 * syscall goes to its row's step handler. Its tasks stop at every syscall
 * while they have steps left, or in mode seccomp rest seized between them.
 */
static enum stops
restore_stops(const struct task *t)
{
	if (!plan_pending(t->ptask))
		return STOPS_NONE;
	return plan_seccomp(t->plan) ? STOPS_EVENTS : STOPS_SYSCALLS;
}

static bool
restore_entry(struct task *t, long nr, const unsigned long long args[6])
{
	const struct sc_info *sc = syscall_find(nr);

	if (sc == NULL || !(t->next_data != NULL || syscall_targeted(sc, plan_calls(t->plan))))
		return false;
	if (t->step != NULL && t->step->ops != sc->ops)
		t->step->ops->abandon(t); /* it waited for its call to be made again */
	sc->ops->entry(t, sc, args);
	return true;
}

const struct plan_kind restore_kind = {
    .name = "restore",
    .stops = restore_stops,
    .entry = restore_entry,
};
