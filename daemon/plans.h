/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan room's own header: the structs of a plan, its tasks, its events
 * and its Watches. Only the room's files (plans.c, supervisor.c, start.c,
 * status.c, setnext.c, events.c, record.c, limits.c, kept.c) include it; every
 * other file goes through the functions supervisor.h declares for the room.
 */
#ifndef NSDD_PLANS_H
#define NSDD_PLANS_H

#include "nsdd.h"
#include "task.h"

struct kept; /* kept.c */

enum plan_state { PLAN_RUNNING, PLAN_COMPLETED, PLAN_FAILED, PLAN_CANCELLED };

enum ptask_state { PT_WAITING, PT_TRACED, PT_DONE, PT_EXITED, PT_FAILED, PT_DETACHED };

/* A task the plan names ("target" or a planned pid) and its progress. */
struct ptask {
	struct plan *plan;
	const struct nsd_task_plan *model;
	enum ptask_state state;
	pid_t pid;   /* in nsdd's pid namespace, 0 until the task exists */
	size_t next; /* steps applied: the head step's index */
	char *error;
	json_t *unsupported;     /* "step N call: field" the kernel could not set */
	struct nsd_step any_as;  /* an `any` head step, as the syscall's kind */
	int32_t any_pid;         /* its pid, for a one-level fork */
	const struct task *task; /* bound to it, or NULL */
	struct exitwatch *watch; /* untraced with steps left: its exit */
	bool calm;               /* no handler: left untraced on the notify route */
	pid_t kids_tid;          /* kids_ino is this tid's pid_for_children, read at */
	ino_t kids_ino;          /* its fork (0: not known); plan_task_kids() */
};

enum ev_kind {
	EV_ATTACHED,
	EV_APPLIED,
	EV_FAILED,
	EV_UNSUPPORTED,
	EV_EXITED,
	EV_DETACHED,
	EV_COMPLETED,
	EV_PLAN_FAILED,
	EV_CANCELLED
};

/* One event of a plan; the varlink Event, made JSON by events_json(). */
struct event {
	uint64_t usec;
	long long want, got; /* got < 0: none */
	uint32_t task;       /* 1 + the ptask's index; 0: the plan's own event */
	uint32_t step;       /* next_data: the tid that used the value */
	uint8_t kind;        /* enum ev_kind */
	int8_t call;         /* the step's enum nsd_call; -1: no step */
	uint8_t mechanism;   /* enum mechanism, of an applied step */
	bool next_data;      /* a use of the emulated next_syscall_data, not a step */
	bool no_stop;        /* applied on the notify route (enum route) */
	char syscall[16];    /* "": none */
	char *error;
};

struct event_log {
	struct event *ev;
	size_t n, cap;
	size_t first; /* the index of ev[0] over the plan's life */
};

struct watch {
	TAILQ_ENTRY(watch) entry;
	struct plan *plan;
	size_t next; /* index of the next event to deliver, over the plan's life */
	watch_fn fn;
	void *arg;
};

struct plan {
	TAILQ_ENTRY(plan) entry;
	char id[17];
	struct nsd_plan *model;
	uid_t owner;
	enum plan_state state;
	bool ending;                  /* a final state is chosen; tasks are being let go */
	bool finalizing;              /* ending, its last task gone: its final state is queued */
	bool hidden;                  /* failed at Submit: never listed, freed when it ends */
	bool emulate;                 /* serves the emulated next_syscall_data file */
	bool emit_due;                /* events wait for the loop to reach its Watches */
	const struct driver *drv;     /* how its tasks are reached (task.h) */
	const struct plan_kind *kind; /* what its tasks' stops are for (task.h) */
	const struct plan_kind
	    *install;          /* mode seccomp: its kind while filter is to be installed */
	struct record *record; /* a Record's state (record.c), or NULL */
	size_t made_steps;     /* steps it wrote (a Record): counted in limits */
	pid_t setnext_tid;     /* a SetNext plan: its thread; else 0 */
	char *container;       /* a container's plan (oci.c): the container's id */
	char *container_name;  /* a CRI container's: NAMESPACE/POD/CONTAINER */
	bool waiting;          /* a container's, submitted: its container has not started */
	bool target_proven;    /* a container's: its init made a call under the filter */
	bool hears_sigaction;  /* its filter notifies rt_sigaction with an action */
	bool hears_setns;      /* and every call that may change a pid_for_children */
	enum plan_state final;
	bool kill; /* end by SIGKILL rather than detach */
	char *error;
	struct ptask *ptasks; /* model->ntasks */
	size_t applied;
	uint64_t stops;         /* ptrace stops of its tasks: the cost of the plan */
	uint64_t notifications; /* mode seccomp: notifications of its filter */
	size_t applied_no_stop; /* steps applied on the notify route */
	unsigned stalls;        /* reads of its tasks' memory that missed their deadline */
	bool stall_reported;    /* PLAN_MAX_STALLS of them: the plan is being given up */
	unsigned calls;         /* 1 << enum nsd_call for each call its steps make */
	enum backend backend;
	struct filter_job *filter; /* mode seccomp: to install in a running target;
	                              freed (by supervisor.c) when it is in or the plan ends */
	uint64_t created_usec, finished_usec;
	struct event_log events;
	size_t ntracees;   /* the tracer's records of its tasks */
	struct kept *kept; /* on_failure kill: processes the plan made or took */
	size_t nkept;
	struct event *timer;
	TAILQ_HEAD(, watch) watches;
};

TAILQ_HEAD(plan_list, plan);
extern struct plan_list plans;
extern const char *const plan_states[];

/* plans.c */
struct plan *plan_alloc(void);
/* A new plan for model: its id, its tasks, what it targets, its backend. */
struct plan *plan_new(struct nsd_plan *model, uid_t owner, pid_t setnext_tid);
/* limits.c: the steps of owner's running plans (*held grows by their
 * number), and what one user may hold (LimitExceeded). plans.c: what a mode
 * takes. */
size_t plan_owner_steps(uid_t owner, size_t *held);
bool plan_within_limits(const struct nsd_plan *model, uid_t owner, struct nsdd_error *e);
bool plan_mode_ok(const struct nsd_plan *model, int listener, struct nsdd_error *e);
void plan_build_index(struct plan *plan);
void plan_free(struct plan *plan);
/* A finished plan lets go of its steps and index, and of old events. */
void plan_shrink(struct plan *plan);
/* Drops owner's oldest finished plans past what is kept for an owner. */
void plan_prune(uid_t owner);
/* The plan's newest events go to its Watches: from the event loop while it
 * runs, at once with plan_emit_now() (and for its final event). */
void plan_emit(struct plan *plan);
/* Nobody waits for what a finished plan made (a Record's plan): it goes. */
void plan_drop_made(struct plan *plan);
void plan_emit_now(struct plan *plan);
/* SIGKILLs every kept process that is still the one the plan made. */
void plan_kill_kept(struct plan *plan);

/* supervisor.c: the plan's final state is chosen (error is taken) and its
 * tasks are let go; or it fails, with kill as its on_failure says. */
void supervisor_end(struct plan *plan, enum plan_state final, bool kill, char *error);
void supervisor_fail(struct plan *plan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The plan task pt is task t's (plan_up->bind). */
bool supervisor_bind(struct ptask *pt, struct task *t);
/* pt exists with steps left and is not traced: its exit is watched. */
void supervisor_untraced(struct ptask *pt);
/* start.c: a new plan for model, attached to its target (setnext_tid:
 * a SetNext plan's thread; listener: mode seccomp); NULL with e. */
struct plan *supervisor_start(struct nsd_plan *model, uid_t owner, pid_t setnext_tid, int listener,
                              unsigned record, struct nsdd_error *e);

/* events.c: the plan's event, and a step's (of its head step), added. */
struct event *events_plan(struct plan *plan, enum ev_kind kind, const struct ptask *pt);
struct event *events_step(struct ptask *pt, enum ev_kind kind, const char *syscall, long long want,
                          long long got);
struct event *events_add(struct event_log *log, enum ev_kind kind, size_t task);
size_t events_end(const struct event_log *log);
/* NULL when i was trimmed away or is not there yet. */
const struct event *events_get(const struct event_log *log, size_t i);
json_t *events_json(const struct plan *plan, const struct event *e);
void events_trim(struct event_log *log);
void events_free(struct event_log *log);

#endif
