/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan's call kinds: their names (the syscalls each applies to are
 * syscalls.c's rows).
 */
#include "config.h"

#include <string.h>

#include "nsd/plan.h"

static const char *const call_names[NSD_CALL_COUNT] = {
    [NSD_CALL_FORK] = "fork",     [NSD_CALL_THREAD] = "thread", [NSD_CALL_MSGGET] = "msgget",
    [NSD_CALL_SEMGET] = "semget", [NSD_CALL_SHMGET] = "shmget", [NSD_CALL_OPEN] = "open",
    [NSD_CALL_MSGCTL] = "msgctl", [NSD_CALL_SEMCTL] = "semctl", [NSD_CALL_SHMCTL] = "shmctl",
    [NSD_CALL_ANY] = "any",
};

const char *
nsd_call_name(enum nsd_call call)
{
	return call < NSD_CALL_COUNT ? call_names[call] : "?";
}

int
nsd_call_parse(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < NSD_CALL_COUNT; i++)
		if (strcmp(name, call_names[i]) == 0)
			return i;
	return -1;
}

unsigned
nsd_plan_calls(const struct nsd_plan *plan)
{
	unsigned calls = 0;
	size_t i, j;

	for (i = 0; i < plan->ntasks; i++)
		for (j = 0; j < plan->tasks[i].nsteps; j++)
			calls |= 1u << plan->tasks[i].steps[j].call;
	return calls;
}

const char *
nsd_mode_name(enum nsd_mode mode)
{
	return mode == NSD_MODE_SECCOMP ? "seccomp" : "ptrace";
}

bool
nsd_call_creates_task(enum nsd_call call)
{
	return call == NSD_CALL_FORK || call == NSD_CALL_THREAD;
}
