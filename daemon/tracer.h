/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tracer room's own header: a tracee, nsdd's ptrace record of a task.
 * Only tracer.c, tracee.c, attach.c, notify.c and ptrace.c include it. The
 * step handlers see a tracee as its struct task and act on it through
 * ptrace_driver.
 */
#ifndef NSDD_TRACER_H
#define NSDD_TRACER_H

#include <sys/ptrace.h>

#include "nsdd.h"
#include "task.h"
#include "listeners.h"

/*
 * A syscall that a seized task was blocked in: the kernel restarts it after
 * the attach stop, and its new entry is not a call the task made after its
 * step became pending, so the step is not its.
 */
struct restart {
	bool pending;
	bool in_handler; /* a signal was delivered: a handler may run first */
	long nr;
	unsigned long long ip;
};

struct tracee {
	struct task task;               /* first: the step handlers' view */
	TAILQ_ENTRY(tracee) entry;      /* tracees, or orphans */
	TAILQ_ENTRY(tracee) hold_entry; /* held, or adopted */
	bool stopped;                   /* in a ptrace-stop we have not resumed */
	bool initial;                   /* its first stop has not been seen */
	bool seized;     /* attached, not born traced: its first stop may be in a syscall */
	bool group_stop; /* resume with PTRACE_LISTEN */
	bool held;       /* kept at syscall entry until a lock frees */
	bool adopted;    /* an orphan whose parked first stop is to be handled */
	bool armed;      /* mode seccomp: seized for the notified call, made again */
	bool to_exit;    /* mode seccomp: kept to that call's exit (its own notification is let
	                    through) */
	bool injecting;  /* in a syscall that a step made it run */
	bool quiet;      /* its signals blocked by nsdd (tracee_hush()) */
	bool quiet_kids; /* it was quiet until this stop: a child of its fork event was too */
	bool detach_wanted;
	bool killed;
	bool gone;         /* removed by the kernel unreported; being freed */
	bool fix_regs;     /* at its first stop, it gets regs' syscall and arguments */
	bool fix_children; /* its children get children_regs so */
	int inject_sig;
	int parked_status; /* an orphan's first stop, replayed on adoption */
	unsigned options;
	long armed_nr;               /* the notified call an armed task makes again, */
	unsigned long long armed_ip; /* and the address after its `syscall` */
	uint64_t own_mask;           /* its signal mask while quiet */
	struct event *quiet_timer;   /* the call made again sleeps: interrupt it */
	struct user_regs_struct regs, children_regs;
	struct restart restart;
};

/*
 * PTRACE_O_TRACEEXIT: a tracee's exit is seen while it is still there, which
 * is the only report of a leader that another thread's execve(2) removes.
 * Tracees are detached once their steps are done, so it costs a stop only
 * for a task that exits with work left.
 */
/* What the tracee needs of the ptrace engine now: every syscall stop while
 * a step is in flight (or a notified call is to be made again), nothing once
 * it is let go or its plan ends, else what its plan's kind says. Mode
 * seccomp: a task with steps left rests seized between them (PTRACE_CONT),
 * and a notification brings it back; its exec and exit are still seen. */
enum stops tracee_stops(const struct tracee *t);
/* A notification of a task of plan's: true if a step of the task's applies
 * to its call, and it was seized or interrupted for it (which cancels the
 * notification); false: it is to be answered CONTINUE. */
bool tracee_notified(struct plan *plan, const struct seccomp_notif *req, int fd);
/* Mode seccomp: at a signal-delivery stop, a targeted call the signal cut
 * short in its notification is made again, as natively. */
void tracee_signalled(struct tracee *t);
/* Its execve's stop: a task with no handler left is calm again (notify.c). */
void tracee_execd(struct tracee *t);

/* What ptrace_driver (ptrace.c) gives the plan room. */
/* Seizes pid and its threads, or with one_thread the thread pid alone; *leader
 * is the task of pid, and *seized counts the tracees made, failure or not. */
int tracer_attach(struct plan *plan, pid_t pid, bool one_thread, struct task **leader,
                  size_t *seized, struct nsdd_error *e);
/* Lets go of every tracee of plan: detached, or with kill, killed. */
void tracer_let_go(struct plan *plan, bool kill);
/* Mode seccomp: takes the target's filter listener (fd in pid); a
 * notification whose task has a pending step brings the task under ptrace
 * for that call. The plan is over: its listener only lets calls through. */
int tracer_listen(struct plan *plan, pid_t pid, int fd, struct nsdd_error *e);
/* The same with a listener of nsdd's own (seccomp_listen). */
int tracer_listen_fd(struct plan *plan, int lfd, struct nsdd_error *e);
void tracer_plan_ended(struct plan *plan);

/* attach.c, mode seccomp: seizes the task pid of plan task pt, for why (its
 * call): with interrupt it stops, which cancels its pending notification, and
 * the call is made again under ptrace; without, it rests seized (its signals
 * and exec are seen). NULL if it cannot be. */
struct task *tracer_seize(struct plan *plan, struct ptask *pt, pid_t pid, const char *why,
                          bool interrupt);

#define OPT_BASE (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT)
#define OPT_FORK (PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE)

TAILQ_HEAD(tracee_list, tracee);
/* Every tracee whose plan is known; children whose parent's fork event has
 * not come yet; tasks waiting for a namespace lock; orphans adopted, whose
 * first stop is to be handled. */
extern struct tracee_list tracees, orphans, held, adopted;

/* tracee.c: the records. */
struct tracee *tracee_new(pid_t tid, struct plan *plan, unsigned options);
/* The record goes; its step, if any, is abandoned first. */
void tracee_free(struct tracee *t);
struct tracee *tracee_find(pid_t tid);
void tracee_retid(struct tracee *t, pid_t tid);
/* The record of a child that a fork event names (an orphan is adopted). */
struct tracee *tracee_child(struct tracee *parent, pid_t child);
void tracee_set_options(struct tracee *t, unsigned options);
/* Its first stop: a child's registers put right, a seized task's restart noted. */
void tracee_first_stop(struct tracee *t);
/* At an entry, true if it is the restart of the syscall a seized task was in
 * at its first stop (skipped once). */
bool tracee_restarted(struct tracee *t, const struct __ptrace_syscall_info *info);
/* PTRACE_INTERRUPT, warned of unless the task is gone. */
void tracee_interrupt(pid_t tid);
/* Mode seccomp: nsdd cancelled the notified call req to make it again under ptrace. */
void tracee_arm(struct tracee *t, const struct seccomp_notif *req);
/* At a stop (wait status) after which an armed task goes straight back into
 * its call, every signal is blocked until that call's exit: tracee_loud(),
 * at every stop, gives its mask back at any other than the call's entry.
 * The call's notification let through: if it sleeps, it is interrupted. */
void tracee_quiet(struct tracee *t, int status);
void tracee_loud(struct tracee *t, int status);
/* Its signals wait, blocked, until its next stop (tracee_loud()); a child
 * made meanwhile gets its own mask back at its first stop. */
void tracee_hush(struct tracee *t);
void tracee_quiet_call(struct tracee *t);
/* PTRACE_GETSIGMASK and PTRACE_SETSIGMASK of a stopped tracee (Linux 3.11). */
int tracee_sigmask(pid_t tid, const uint64_t *set, uint64_t *old);
/* The kernel removed it unreported: nothing is left to wait for. */
bool tracee_vanished(const struct tracee *t);
/* The first stop of a child of a rewritten call: its registers as the parent made the call. */
void tracee_fix_regs(struct tracee *t);

#endif
