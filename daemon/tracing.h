/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tracer room as the other rooms see it (tracer.c, tracee.c, attach.c,
 * notify.c; its own structs are in tracer.h).
 */
#ifndef NSDD_TRACING_H
#define NSDD_TRACING_H

#include "nsdd.h"

/* --- the tracer room: tracer.c, tracee.c, attach.c --------------------- */

/* Seizes pid and its threads, or with one_thread the thread pid alone; *leader
 * is the task of pid, and *seized counts the tracees made, failure or not. */
int tracer_attach(struct plan *plan, pid_t pid, bool one_thread, struct task **leader,
                  size_t *seized, struct nsdd_error *e);
void tracer_reap(pid_t sender); /* on SIGCHLD: sender is its si_pid, or 0 */
/* Lets go of every tracee of plan: detached, or with kill, killed. */
void tracer_let_go(struct plan *plan, bool kill);
/* tracee.c: a task nsdd traces, in any plan; one of plan's whose pid in a
 * namespace depth levels below nsdd's own (1: nsdd's) is nr. */
struct task *tracer_find_task(pid_t tid);
struct task *tracer_find_nspid(const struct plan *plan, size_t depth, pid_t nr);
size_t tracer_count(void);
/* systemd's STATUS= line: the plans running and the tasks traced, if changed. */
void tracer_notify_status(void);
/* Held tasks try again: a namespace lock was freed (ns_on_release). */
void tracer_unhold_all(void);
/* Mode seccomp: takes the target's filter listener (fd in pid); a
 * notification whose task has a pending step brings the task under ptrace
 * for that call. The plan is over: its listener only lets calls through. */
int tracer_listen(struct plan *plan, pid_t pid, int fd, struct nsdd_error *e);
/* The same with a listener of nsdd's own (seccomp_listen). */
int tracer_listen_fd(struct plan *plan, int lfd, struct nsdd_error *e);
void tracer_plan_ended(struct plan *plan);

#endif
