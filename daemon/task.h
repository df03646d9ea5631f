/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A task as the step handlers see it, its driver, the step handlers
 * (fork.c, ipcget.c, open.c, ipcset.c, steps.c, nsdfile.c) and the syscall
 * table (syscalls.c).
 */
#ifndef NSDD_TASK_H
#define NSDD_TASK_H

#include "nsdd.h"
#include "leaves.h"
#include "supervisor.h"
#include "../lib/syscalls.h"

/* --- the task, as the step handlers see it, and its driver ------------ */

/*
 * A task that nsdd serves, as the step handlers see it. A driver (the
 * ptrace engine today, seccomp user notification next) embeds it in its own
 * record and gives the handlers what they may do to the task; the handlers
 * never learn which driver it is.
 */
struct task {
	pid_t tid;           /* in nsdd's pid namespace */
	struct plan *plan;   /* NULL: a child whose parent is not known yet */
	struct ptask *ptask; /* NULL: the plan does not name it */
	const struct driver *drv;
	struct inflight *step;  /* the one step in flight, or NULL */
	struct inflight *ended; /* the last one, kept until the next ends: its
	                           step may still be reported */
	bool no_set_tid;        /* clone3 with set_tid is refused to it */
	/* What the task wrote to its emulated next_syscall_data (nsdfile.c), not
	 * yet taken; and whether the step at hand is that value, not the plan's.
	 * next_data and ended are plain allocations, freed with the task. */
	struct next_data *next_data;
	bool from_next_data;
};

/* A step in flight: each handler's own record begins with this. */
struct inflight {
	const struct step_ops *ops;
	const struct nsd_syscall *sc; /* the syscall the task made */
	const struct nsd_step *s;     /* the step, as resolved at entry */
	/* A next_syscall_data value is the record's own: s points here. */
	struct nsd_step own;
	int32_t own_pids[NSD_MAX_LEVELS];
};

/*
 * A driver: how nsdd reaches a plan's tasks. The plan room takes them and
 * lets them go through it; a step handler acts on a task stopped at a
 * syscall only through it, and never learns which driver it is. The ptrace
 * engine's is ptrace_driver (ptrace.c). Functions that can fail return 0, or
 * -1 with errno (and e, for the plan room's).
 */
struct driver {
	/* --- the plan room's, for a whole plan ---------------------------- */
	/* Takes pid (one_thread: that thread alone; else its threads) for plan;
	 * *leader is pid's task; *seized counts the tasks taken, failure or not. */
	int (*attach)(struct plan *plan, pid_t pid, bool one_thread, struct task **leader,
	              size_t *seized, struct nsdd_error *e);
	/* Mode seccomp: plan's tasks come through the filter whose listener is fd
	 * in pid's file table, or nsdd's own lfd; plan NULL: an ended plan's,
	 * whose calls are let through until its tasks are gone. */
	int (*listen)(struct plan *plan, pid_t pid, int fd, struct nsdd_error *e);
	int (*listen_own)(struct plan *plan, int lfd, struct nsdd_error *e);
	/* Every task of plan is let go (resumed and detached), or with kill, killed. */
	void (*let_go_all)(struct plan *plan, bool kill);
	void (*ended)(struct plan *plan); /* its listener only lets calls through */
	/* A task of plan's that it does not trace exited (tid, in nsdd's pid
	 * namespace): what it had in flight is decided before the exit is told. */
	void (*untraced_gone)(struct plan *plan, pid_t tid);

	/* --- the step handlers', for a task stopped at a syscall ------------ */
	int (*get_regs)(struct task *t, struct user_regs_struct *r);
	int (*set_regs)(struct task *t, const struct user_regs_struct *r);
	/* Up to 4 memory accesses in order, 8 KiB each; ETIMEDOUT: the memory
	 * did not answer in time. */
	int (*mem)(struct task *t, struct mem_op *ops, size_t n);
	/* From a syscall-exit stop with registers r: the task makes nr(a0, a1,
	 * a2) next, and its result comes to the step's exit op. */
	int (*run_syscall)(struct task *t, const struct user_regs_struct *r, long nr,
	                   unsigned long long a0, unsigned long long a1, unsigned long long a2);
	/* Whether the task's own seccomp filters let nr(args) through, made
	 * from registers r (a call nsdd would have it make). */
	enum filter_verdict (*allows)(struct task *t, const struct user_regs_struct *r, long nr,
	                              const uint64_t args[6]);
	/* The task's blocked signals: *old gets them, then set (if not NULL) is. */
	int (*set_sigmask)(struct task *t, const uint64_t *set, uint64_t *old);
	/* Until the task's next stop its signals wait, blocked, so that none
	 * cuts its call short; a child the call makes gets the task's own mask
	 * back at its first stop. */
	void (*hush)(struct task *t);
	/* Keeps the task at its syscall entry until a namespace lock is freed;
	 * then the step's entry op runs again, with sc NULL. */
	void (*hold)(struct task *t);
	/* The children this syscall makes come to the step's event op. */
	void (*trace_forks)(struct task *t, bool on);
	/* Until the step ends, a child the task makes starts with r's syscall
	 * number and arguments (the task's own call, not nsdd's rewrite); NULL:
	 * as it is. */
	void (*child_regs)(struct task *t, const struct user_regs_struct *r);
	/* A new task that no step wants: it is let go. */
	void (*let_go)(struct task *child);
};

/* ptrace.c; the driver of a plan's tasks (plans.c). */
extern const struct driver ptrace_driver;
const struct driver *plan_driver(const struct plan *plan);

/* --- the step handlers: fork.c, ipcget.c, open.c, ipcset.c ------------- */

/*
 * A step kind's handler, written against struct task and its driver.
 * entry: a targeted syscall's entry, while the task's ptask has steps left
 * (sc NULL: again, after a hold). event: the task made a child. exit: the
 * syscall in flight (or one the driver ran for the step) returned. abandon:
 * the task is let go or died with the step in flight; the step ends. Every
 * op but event ends the step when it is over, with step_end().
 */
struct step_ops {
	void (*entry)(struct task *t, const struct nsd_syscall *sc,
	              const unsigned long long args[6]);
	void (*event)(struct task *t, struct task *child);
	void (*exit)(struct task *t, long long rval, bool is_error);
	void (*abandon)(struct task *t);
};

extern const struct step_ops fork_steps, ipcget_steps, open_steps, ipcset_steps;

/* steps.c: what every handler does alike. A step is the plan's head step
 * for the task, or a value the task wrote to its emulated next_syscall_data
 * (which comes first); the handlers report either the same way. */
/* The task's head step as it stands (an `any` unresolved), or NULL. */
const struct nsd_step *step_peek(struct task *t);
/* A held step, tried again: its value is still wanted (the plan goes on). */
bool step_still_wanted(struct task *t);
void step_applied(struct task *t, const struct nsd_step *s, const char *syscall, enum mechanism how,
                  long long want, long long got);
void step_failed(struct task *t, const struct nsd_step *s, const char *syscall, long long want,
                 long long got, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void step_unsupported(struct task *t, const struct nsd_step *s, const char *syscall,
                      const char *field, const char *why);
/* The task's next_syscall_data value: LONGn values[0..n). */
void step_set_next_data(struct task *t, const int64_t *values, size_t n);
/* Its text, as a read of the file gives it ("" if none); the length. */
size_t step_next_data_text(const struct task *t, char *buf, size_t len);
/* A new in-flight record of size bytes (beginning with struct inflight). */
void *step_start(struct task *t, const struct step_ops *ops, size_t size,
                 const struct nsd_syscall *sc, const struct nsd_step *s);
/* The step in flight is over (its record lives until the next one ends). */
void step_end(struct task *t);
/* The call was interrupted and will be made again: the step ends, and a
 * next_syscall_data value it took is pending again (unless a newer one is). */
void step_again(struct task *t);
/* The procfs backend: writes next_syscall_data; false (the step failed) if
 * it could not. */
bool step_procfs_write(struct task *t, const char *syscall, const struct nsd_step *s,
                       const int64_t *values, size_t n);
/* The head step of t for a syscall of kind call, resolving `any`; NULL if
 * none, or another call's (reported under "strict"). */
const struct nsd_step *step_head(struct task *t, const struct nsd_syscall *sc, enum nsd_call call,
                                 const char *made);

/* --- the kinds of plan ---------------------------------------------------- */

/* What a task needs of its driver between steps: every syscall stop, its
 * events alone (it rests seized; a notification brings it back), or nothing
 * (it is let go). */
enum stops { STOPS_NONE, STOPS_EVENTS, STOPS_SYSCALLS };

/*
 * A kind of plan: what its tasks' stops are for (in the shape of tmux's
 * window_mode). The driver asks plan_kind() once per stop and calls the
 * kind's op, never asking which kind it is; a kind's own state hangs off its
 * plan and is the kind's file's alone. stops and entry are always set; any
 * other op may be NULL.
 */
struct plan_kind {
	const char *name;
	bool follows;    /* the children of its tasks are its too: the whole tree */
	bool every_call; /* entry takes every syscall, one the kernel restarts too */
	/* While its plan runs and no step is in flight. */
	enum stops (*stops)(const struct task *t);
	/* A syscall's entry (x86_64): true if the kind took the call for a step. */
	bool (*entry)(struct task *t, long nr, const unsigned long long args[6]);
	void (*exit)(struct task *t, long long rval, bool is_error);
	/* A call its filter stopped at (SECCOMP_RET_TRACE): true if its exit is wanted. */
	bool (*traced)(struct task *t, long nr, const unsigned long long args[6]);
	void (*fork)(struct task *parent, struct task *child);
	void (*gone)(const struct task *t); /* it exited, perhaps in a call */
	void (*ended)(struct plan *plan);   /* its final state is reached */
	/* Finished, nobody waits for what it made; freed: its state goes. */
	void (*shrink)(struct plan *plan);
	void (*free)(struct plan *plan);
};

/* restore.c (a restore: a plan's steps, SetNext's one), nsdfile.c (the
 * emulated next_syscall_data), record.c (a Record), install.c (mode seccomp:
 * a running target's filter is to be installed first). */
extern const struct plan_kind restore_kind, emulate_kind, record_kind, install_kind;
/* steps.c: a kind's stops op for tasks that stop at every syscall. */
enum stops step_stops_syscalls(const struct task *t);
/* The kind a plan's tasks serve now (plans.c). */
const struct plan_kind *plan_kind(const struct plan *plan);

/* --- restore.c: a syscall's row (lib/syscalls.h) goes to its handler --- */

const struct step_ops *restore_ops(const struct nsd_syscall *sc);

#endif
