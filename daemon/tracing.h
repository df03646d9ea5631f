/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tracer room as the other rooms see it (tracer.c, tracee.c, attach.c,
 * notify.c, ptrace.c; its own structs are in tracer.h): what nsdd asks of
 * it as a whole. A plan reaches its tasks through its driver (task.h).
 */
#ifndef NSDD_TRACING_H
#define NSDD_TRACING_H

#include "nsdd.h"

/* --- the tracer room: tracer.c, tracee.c, attach.c --------------------- */

void tracer_reap(pid_t sender); /* on SIGCHLD: sender is its si_pid, or 0 */
/* tracee.c: a task nsdd traces, in any plan; one of plan's whose pid in a
 * namespace depth levels below nsdd's own (1: nsdd's) is nr. */
struct task *tracer_find_task(pid_t tid);
struct task *tracer_find_nspid(const struct plan *plan, size_t depth, pid_t nr);
size_t tracer_count(void);
/* systemd's STATUS= line: the plans running and the tasks traced, if changed. */
void tracer_notify_status(void);
/* Held tasks try again: a namespace lock was freed (ns_on_release). */
void tracer_unhold_all(void);
/* Task tid, resting seized between notify-route steps, had its call
 * decided: if nsdd needs nothing more of it, it is let go. */
void tracer_rested(pid_t tid);

#endif
