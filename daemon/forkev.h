/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * forkev.c: the kernel's fork events (the proc connector), which tell the
 * notify route (unotify.c) whether a fork it let through made a child.
 */
#ifndef NSDD_FORKEV_H
#define NSDD_FORKEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* One successful fork, clone or clone3, in nsdd's pid namespace's numbers:
 * parent is the creator's real parent (for a thread, its process's parent). */
struct fork_event {
	pid_t parent, parent_tgid;
	pid_t child, child_tgid;
	uint64_t when; /* CLOCK_MONOTONIC, ns */
};

struct forkev_ops {
	bool (*event)(const struct fork_event *ev); /* one fork: true, no more wanted now */
	void (*lost)(void);                         /* events were dropped */
};

/* Listens, if it does not yet (ops are kept from the first call): 0, or -1
 * with errno (ENOTSUP: the kernel sends no fork events to nsdd; EAGAIN:
 * nsdd could not make the fork that checks it, try again later). */
int forkev_start(const struct forkev_ops *ops);
/* Listens no more. */
void forkev_stop(void);
/* Reads the events the kernel has sent so far, each to ops->event, until
 * one it wanted was the last it wants now: after it returns, every fork
 * that ended before the call has been told, or ops->event had what it
 * waited for (the rest wait in the socket for the next read). */
void forkev_read(void);
/* Whether an event wakes nsdd (read from the loop as it comes), or waits
 * in the socket for forkev_read(); on reads what waited. */
void forkev_wake(bool on);

#endif
