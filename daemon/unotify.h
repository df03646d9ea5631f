/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * unotify.c: the notify route, planned forks answered from their
 * notification alone (mode seccomp). notify.c, tracer.c and main.c use it.
 */
#ifndef NSDD_UNOTIFY_H
#define NSDD_UNOTIFY_H

#include "nsdd.h"
#include "task.h"

struct seccomp_notif;

/* --no-notify-route clears it: every planned fork takes the ptrace route. */
extern bool nsdd_notify_route;

/* How a held notification is decided again (notify.c's tracee_notified):
 * true if it was taken, false to answer it CONTINUE. */
typedef bool (*unotify_redo_fn)(struct plan *plan, const struct seccomp_notif *req, int fd);
/* A fork-family notification of plan's listener fd: true if the route took
 * it (answered it, or holds it until a planned fork in flight has its pid);
 * false: the ptrace route's, or CONTINUE. */
bool unotify_notified(struct plan *plan, const struct seccomp_notif *req, int fd,
                      const struct nsd_syscall *sc, unotify_redo_fn redo);
/* fn(tid) when the call in flight of task tid was decided while the task
 * goes on (not at its exit): the tracer lets it go if it is done. */
void unotify_on_rest(void (*fn)(pid_t tid));
/* The calls the route may take: forks and IPC gets. */
bool unotify_takes(enum nsd_call call);
/* Held notifications are decided again: a fork landed, or a namespace lock
 * was freed. */
void unotify_unhold_all(void);
/* A signal cut the notified fork or IPC get of task tid short: it will be
 * made again (what a fork may have taken of its pid was given back). */
void unotify_cut(struct plan *plan, pid_t tid);
/* Task tid makes no more calls (it is at its exit, or gone; 0: every task
 * of the plan, whose tree is gone): its call in flight, if any, is decided
 * now, from what the kernel has told and its namespace shows. */
void unotify_task_gone(struct plan *plan, pid_t tid);
/* The plan is over: what it holds is answered CONTINUE, a fork in flight
 * given up. */
void unotify_plan_ended(struct plan *plan);

#endif
