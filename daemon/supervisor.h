/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan room as the other rooms see it (plans.c, supervisor.c, start.c,
 * status.c, events.c, record.c, limits.c; its own structs are in plans.h),
 * and check.c, which reads plans.
 */
#ifndef NSDD_SUPERVISOR_H
#define NSDD_SUPERVISOR_H

#include "nsdd.h"

/* --- check.c: whether a plan can apply, without attaching ------------- */

/* Every step of m that cannot apply to target (0: not started), as a JSON
 * array of {task, step, call, id, reason}; empty if none. */
json_t *check_plan(const struct nsd_plan *m, pid_t target);

/* --- the plan room: plans.c (store), supervisor.c (progress), events.c -- */

/* Per user but root: running plans, and the steps in them (LimitExceeded). */
extern unsigned long nsdd_max_plans_per_owner, nsdd_max_steps_per_owner;

/* How nsdd reached the task for a step: its event's "route". PTRACE: the task
 * stopped at the call (ptrace mode, and mode seccomp's seized task); NOTIFY:
 * mode seccomp, answered from its notification alone (unotify.c). */
enum route { ROUTE_PTRACE, ROUTE_NOTIFY };

/* How an applied step got its id: its event's "mechanism". */
enum mechanism {
	MECH_NONE,
	MECH_NATIVE,      /* the syscall gave it unhelped (the restorer's own set_tid, say) */
	MECH_CLONE3,      /* the fork rewritten into clone3 with set_tid */
	MECH_NS_LAST_PID, /* ns_last_pid written before the fork */
	MECH_PROCFS,      /* next_syscall_data */
	MECH_FCNTL,       /* the new file moved with F_DUPFD */
	MECH_DUP3,        /* the new file moved with dup3, replacing */
	MECH_NEXT_ID,     /* {msg,sem,shm}_next_id */
	MECH_IPC_SET      /* the task's own IPC_SET, and msg_qbytes */
};

/* plans.c: finding plans, and what a client reads of them. */
struct plan *plan_find(const char *id);
struct plan *plan_next(struct plan *prev); /* the plans a client may list; NULL: first */
const char *plan_id(const struct plan *plan);
uid_t plan_owner(const struct plan *plan);
const struct nsd_plan *plan_model(const struct plan *plan);
size_t plan_ntasks(const struct plan *plan);
size_t plan_nsteps(const struct plan *plan);
json_t *plan_status(const struct plan *plan);
json_t *plan_last_event(const struct plan *plan); /* as JSON, or NULL */
/* A Watch: fn(arg, event, last) for each of the plan's events, from the
 * first kept, as they come. fn returns false to stop for now (its client
 * cannot take more); last is the final one, after which the Watch ends by
 * itself (event is NULL if that final event was delivered before). */
typedef bool (*watch_fn)(void *arg, json_t *event, bool last);
struct watch *plan_watch(struct plan *plan, watch_fn fn, void *arg);
void plan_watch_resume(struct watch *w); /* what a stopped Watch has not had yet */
void plan_unwatch(struct watch *w);
size_t plan_running(void);
bool plan_pid_wanted(int32_t pid);
/* What a plan's tasks need to know of it. */
bool plan_ending(const struct plan *plan);
bool plan_kills(const struct plan *plan); /* it ends, and kills its tasks */
bool plan_strict(const struct plan *plan);
enum backend plan_backend(const struct plan *plan);
unsigned plan_calls(const struct plan *plan); /* 1 << enum nsd_call for each */
void plan_count_stop(struct plan *plan);
/* limits.c: reads of a plan's tasks' memory may miss their deadline (stall
 * nsdd) this often; then none is tried, and the plan is given up. */
#define PLAN_MAX_STALLS 4
bool plan_may_read(const struct plan *plan);
void plan_stalled(struct plan *plan);
void plan_count_notification(struct plan *plan);
bool plan_container(const struct plan *plan); /* an OCI container's */
bool plan_seccomp(const struct plan *plan);
/* Mode seccomp: the plan's filter notifies every rt_sigaction that sets an
 * action (nsd_filter_new()'s: the one nsdd installs, and nsdctl's, which its
 * Submit says), so a task with no signal handler need not rest seized. With
 * fresh, the target has set no action nsdd did not see (it executes its
 * program after nsdd took the listener): it starts calm (notify.c). */
bool plan_hears_sigaction(const struct plan *plan);
void plan_set_hears_sigaction(struct plan *plan, bool fresh);
/* Mode seccomp: the plan's filter notifies every call that may change a
 * task's pid_for_children (nsd_filter_new()'s, as its Submit says), and
 * every task under it got its pid_for_children from the target's, under
 * it (nsdctl run's). Then the threads of a process share one, and the
 * namespace a task's fork put a child in is kept for its next fork
 * (unotify.c): plan_task_kids() is where its inode is kept for tid (0: not
 * known; NULL: not kept). At such a call of any of the plan's tasks,
 * plan_kids_moved(): nothing is kept from then on (a thread may now have
 * another than its process's leader, whose pid its exec would take). */
void plan_set_hears_setns(struct plan *plan);
ino_t *plan_task_kids(struct ptask *pt, pid_t tid);
void plan_kids_moved(struct plan *plan);
/* Mode seccomp, a running target: the filter nsdd installs (install.c); NULL
 * once it is in, or if none. */
struct filter_job {
	void *prog; /* struct sock_filter[len] */
	unsigned short len;
	pid_t installer; /* the task installing it now, or 0 */
};
struct filter_job *plan_filter(const struct plan *plan);
/* on_failure kill: pid is killed if the plan fails (no fd is held for it). */
void plan_keep(struct plan *plan, pid_t pid);
/* nsdfile.c's emulated file; a Record; either: its whole tree is followed. */
/* A Record's calls (1 << enum nsd_call), or 0; TRACED: its target's filter
 * sends them as seccomp stops; BARE: it writes no key or path match. */
#define RECORD_TRACED (1u << 31)
#define RECORD_BARE   (1u << 30)
unsigned plan_records(const struct plan *plan);
bool plan_follows(const struct plan *plan);
/* record.c: a Record's state, made at its start (calls: as plan_records()
 * gives them); why its plan cannot be written, or NULL; its replies. Its
 * tasks' stops go to record_kind. */
void record_start(struct plan *plan, unsigned calls);
const char *record_error(const struct plan *plan);
void record_watch(struct conn *c, struct plan *plan);

/* supervisor.c: a plan's life. Takes model, whatever the outcome. listener:
 * mode seccomp, the target's filter listener fd, else -1; record: a Record's. */
struct plan *supervisor_submit(struct nsd_plan *model, uid_t owner, int listener, unsigned record,
                               struct nsdd_error *e);
/* A container (oci.c; name: CRI's NAMESPACE/POD/CONTAINER, or ""): its init
 * is model's target; the plan takes lfd, its filter's listener (the caller
 * keeps it on error). */
struct plan *supervisor_container(struct nsd_plan *model, const char *container, const char *name,
                                  int lfd, struct nsdd_error *e);
/* A plan of container id runs: a new state of it is an exec. */
bool supervisor_container_running(const char *id);
/* The init of the served container id (or CRI name), or 0. */
pid_t supervisor_container_pid(const char *id);
/* start.c: a submitted plan waits for container id (or CRI name); its
 * container starts (false: the plan failed, and the caller keeps lfd). */
extern int64_t nsdd_container_wait_ms;
struct plan *supervisor_container_waiting(const char *id, const char *name);
bool supervisor_container_start(struct plan *plan, const char *id, const char *name, pid_t pid,
                                uint64_t start_time, int lfd, struct nsdd_error *e);
/* SetNext: the next targeted syscall of thread tid produces values[0] (a pid
 * array of n levels for a fork); replaces a value not yet used. */
int supervisor_setnext(pid_t tid, const int64_t *values, size_t n, uid_t owner,
                       struct nsdd_error *e);
void supervisor_cancel(struct plan *plan, bool kill, const char *why);
void supervisor_shutdown(void);
void supervisor_notify_status(void);

/* What a plan's tasks have done: the plan's progress as the tracer and the
 * step handlers read it (plans.c). */
struct ptask *plan_ptask(struct plan *plan, int32_t planned_pid);
struct ptask *plan_ptask_by_pid(struct plan *plan, pid_t pid); /* nsdd's pid */
struct ptask *plan_ptask_at(struct plan *plan, size_t i);      /* i < plan_ntasks() */
/* The ptask has steps left, and its plan is not ending. */
bool plan_pending(const struct ptask *pt);
const struct nsd_step *plan_head(const struct ptask *pt);
size_t plan_steps_left(const struct ptask *pt); /* whatever its state; 0: none */
/* The step k after its head (0: the head) whatever its state (a task not
 * made yet: from its first), or NULL. */
const struct nsd_step *plan_step_ahead(const struct ptask *pt, size_t k);
pid_t plan_task_pid(const struct ptask *pt); /* nsdd's pid, 0 until it exists */
/* Mode seccomp: the driver's mark of a task it leaves untraced, as no signal
 * can make its notified calls fail (notify.c). */
bool plan_task_calm(const struct ptask *pt);
void plan_task_set_calm(struct ptask *pt, bool calm);
/* The head step for a syscall of kind call: the step itself, or an `any`
 * step seen as a step of that kind with its value as the id or pid. */
const struct nsd_step *plan_head_as(struct ptask *pt, enum nsd_call call);

/*
 * What a plan's tasks report to it. The plan room (supervisor.c) gives the
 * rooms below it this one table (plan_up, set by supervisor_init()); the
 * tracer, the step handlers and the plan kinds report through it and never
 * call the plan room by name. A report never acts on a task in the
 * reporter's hands: what the plan then wants done to its tasks (let go,
 * kill) is queued, and runs from the event loop.
 */
enum outcome { OUTCOME_APPLIED, OUTCOME_FAILED, OUTCOME_UNSUPPORTED };
struct plan_reports {
	/* t is the task that pt names; false if pt is NULL or has its task already. */
	bool (*bind)(struct ptask *pt, struct task *t);
	/* Mode seccomp: the task of a plan task, seized for a notification. */
	void (*seized)(struct ptask *pt, struct task *t);
	void (*applied)(struct ptask *pt, const char *syscall, enum mechanism how, enum route route,
	                long long want, long long got);
	/* The plan task pt now exists as pid (nsdd's namespace), made with no
	 * ptrace stop: it is not traced; false if pt is NULL or bound already. */
	bool (*born)(struct ptask *pt, pid_t pid);
	void (*step_failed)(struct ptask *pt, const char *syscall, long long want, long long got,
	                    const char *error);
	/* A field of an IPC_SET step the running kernel cannot set. */
	void (*unsupported)(struct ptask *pt, const char *syscall, const char *field,
	                    const char *why);
	/* The task made `made` (a syscall, "clone3 (a thread)") where the head
	 * step s is of another call: under "strict" the step fails; true if it did. */
	bool (*diverged)(struct ptask *pt, const char *syscall, const char *made,
	                 const struct nsd_step *s);
	/* A use of the emulated next_syscall_data by task tid. */
	void (*next_data)(struct plan *plan, pid_t tid, enum outcome what, const struct nsd_step *s,
	                  const char *syscall, enum mechanism how, long long want, long long got,
	                  const char *error);
	/* t (bound to pt, or not) exited, was let go, or took tid (an execve). */
	void (*exited)(struct ptask *pt, const struct task *t, int status);
	void (*detached)(struct ptask *pt, const struct task *t);
	void (*moved)(struct ptask *pt, pid_t tid);
	/* A tracee of plan was made, or freed; the last task under its filter is gone. */
	void (*tracee_added)(struct plan *plan);
	void (*tracee_gone)(struct plan *plan);
	void (*tree_gone)(struct plan *plan);
	/* install.c: the filter is in, and fd is its listener in thread tid's
	 * file table (false: nsdd could not take it, and the plan failed); or it
	 * cannot be (error says why). */
	bool (*filter_in)(struct plan *plan, pid_t tid, int fd);
	void (*filter_failed)(struct plan *plan, pid_t tid, const char *error);
	/* A read of a task's memory missed its deadline (plan_stalled()). */
	void (*stalled)(struct plan *plan);
};
extern const struct plan_reports *plan_up; /* plans.c */

void supervisor_init(void);

#endif
