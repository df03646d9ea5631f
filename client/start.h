/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* client/start.c: how nsdctl run and record start CMD. */
#ifndef NSDCTL_START_H
#define NSDCTL_START_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "nsdctl.h"

#define NO_FILTER INT_MIN /* the ready word of a CMD without a filter */

/* How nsdctl run and record start CMD. */
struct start {
	char **cmd;
	unsigned calls; /* of the plan's steps: what a filter notifies */
	bool seccomp;   /* CMD gets a filter, whose listener goes to nsdd */
	bool traced;    /* CMD gets a Record's filter: its calls stop for ptrace */
	bool newns;     /* in new pid and IPC namespaces */
	bool init;      /* as pid 2, under a minimal init */
	int go[2];      /* nsdctl writes a byte once nsdd has the target */
	int ready[2];   /* with a filter or init: CMD's process says it is there */
};

/* Starts s->cmd's process, waiting for nsdd: its pid (the init's with
 * s->init), the target in *target, its filter's listener in *listener
 * (-1: none); -1 if it could not start. */
pid_t start_spawn(struct start *s, pid_t *target, int *listener);
/* Lets CMD's process run CMD: nsdd has it. */
void start_release(struct start *s);

#endif
