/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsdd's shared types and the functions each room exports, grouped by file.
 * Names carry their file's prefix: tracer_*, supervisor_*, pid_*, ...
 */
#ifndef NSDD_H
#define NSDD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <sys/user.h>

#include <event2/event.h>
#include <jansson.h>

#include "nsd/plan.h"

/* glibc's <sys/queue.h> predates the _SAFE iterators of the BSDs. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                                 \
	for ((var) = TAILQ_FIRST(head); (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);     \
	     (var) = (tvar))
#endif

extern struct event_base *nsdd_base;

enum backend { BACKEND_KERNEL, BACKEND_PROCFS };

extern enum backend nsdd_backend; /* --backend: unless forced, procfs where it exists */
extern bool nsdd_backend_forced;

/* Errors, one convention. What a client must hear (its plan is wrong, a task
 * is busy, ...) goes in a struct nsdd_error, and the function returns -1. A
 * system call's failure is -1 with errno, or where a function says so, the
 * errno itself. Out of memory, xmalloc() and its kin (and jansson) end nsdd. */
enum nsdd_err {
	ERR_INVALID_PLAN,
	ERR_NO_SUCH_TASK,
	ERR_TASK_BUSY,
	ERR_PERMISSION_DENIED,
	ERR_NOT_SUPPORTED,
	ERR_LIMIT_EXCEEDED
};

/* An error a client or a tracee caused: a varlink error and its words. */
struct nsdd_error {
	enum nsdd_err code;
	long long num;    /* pid or limit, for errors that carry one */
	char feature[32]; /* ERR_NOT_SUPPORTED: what is not */
	char reason[256];
};

int nsdd_error_set(struct nsdd_error *e, enum nsdd_err code, long long num, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The io.nsdd.supervisor error's name: "NoSuchTask", ... */
const char *nsdd_err_name(enum nsdd_err code);

void *xmalloc(size_t n); /* and its kin: out of memory, nsdd ends with a message */
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

uint64_t nsdd_now_usec(void); /* CLOCK_REALTIME, as varlink events carry it */
/* "Key:" of /proc/PID/status, leading blanks skipped; -1: no such task or key. */
int nsdd_proc_status(pid_t pid, const char *key, char *value, size_t len);
/* The same, as a number ("Tgid:", "TracerPid:"); -1 when absent. */
long nsdd_proc_status_long(pid_t pid, const char *key);
/* fn(arg), run with nsdd in the namespace of fd, then back in own_fd's. */
int nsdd_in_ns(int fd, int nstype, int own_fd, int (*fn)(void *arg), void *arg);
/* The first of n LONGn values out of range (pid for n > 1, id for LONG1), or n. */
size_t nsdd_longn_bad(const int64_t *values, size_t n);
/* "EEXIST (File exists)" */
const char *nsdd_errno_text(int err, char *buf, size_t len);

/* fd of thread tid, from its own file table (pidfd_getfd); -1 with errno. */
int nsdd_take_fd(pid_t tid, int fd);
/* NSpid of /proc/PID/status into out[], innermost first; -1 with errno. */
int nsdd_nspids(pid_t pid, int32_t *out, size_t max, size_t *n);
/* ERESTARTSYS..ERESTART_RESTARTBLOCK: a syscall's result that the task never
 * sees, because the kernel makes the call again. */
static inline bool
nsdd_restarts(long long rval)
{
	return rval <= -512 && rval >= -516;
}

/*
 * Every struct below is defined by the one file (or room) that owns it;
 * the others hold pointers and go through that file's functions.
 */
struct conn;    /* server.c */
struct plan;    /* the plan room: plans.h */
struct ptask;   /* the plan room */
struct watch;   /* the plan room */
struct tracee;  /* the tracer room: tracer.h */
struct ns;      /* ns.c */
struct sc_info; /* below, rows of syscalls.c */
struct task;    /* below */
struct driver;
struct inflight;
struct step_ops;

/* --- server.c: the varlink socket; oci.c: the OCI runtimes' one ------ */

/* oci.c: containers' plans are DIR/NAME.json (default /etc/nsdd/oci); it
 * serves runtimes on fd (systemd's socket), or if -1 on path (mode 0600). */
void oci_set_plans(const char *dir);
void oci_listen(int fd, const char *path);
void oci_close(void);

typedef void (*server_dispatch_fn)(struct conn *c, const char *method, json_t *params);

/* A listening socket at path, made with umask mask; fatal on failure, and
 * if a live server answers on path. */
int server_bind(const char *path, mode_t mask);
/* Listens on fd (the socket systemd passed), or if -1 on path. */
int server_listen(int fd, const char *path, unsigned max_conns, server_dispatch_fn dispatch);
void server_close(void);
/* Replies to the call in hand; params is stolen. */
void server_reply(struct conn *c, json_t *params);
void server_error(struct conn *c, const char *error, json_t *params);
bool server_call_more(const struct conn *c);
uid_t server_peer_uid(const struct conn *c);
/* The peer's pid, as SO_PEERCRED gives it: in nsdd's pid namespace. */
pid_t server_peer_pid(const struct conn *c);
gid_t server_peer_gid(const struct conn *c);
/* The peer's primary or supplementary groups (SO_PEERGROUPS) include gid. */
bool server_peer_in_group(const struct conn *c, gid_t gid);
/* Streams the plan's events to the caller (Watch with "more"); with shape,
 * what it makes of each event (NULL: nothing) goes instead (Record). */
typedef json_t *(*watch_shape)(json_t *ev, bool last); /* the message, or NULL */
void server_watch(struct conn *c, struct plan *plan, watch_shape shape);

/* --- registry.c: /run/varlink/registry/io.nsdd.supervisor ------------- */

void registry_add(const char *sock); /* nsdd bound the default socket itself */
void registry_remove(void);

/* --- authz.c: who may ask what ---------------------------------------- */

enum role { ROLE_ROOT, ROLE_MEMBER, ROLE_OTHER };

void authz_set_group(const char *name);
enum role authz_role(const struct conn *c);
/* 0, or PermissionDenied: the client could not ptrace pid, or does not own
 * the user namespace of its pid or IPC namespace. */
int authz_may_trace(const struct conn *c, pid_t pid, struct nsdd_error *e);
bool authz_may_see(const struct conn *c, const struct plan *plan);
/* Whether task who may ptrace target, by the kernel's rule (authz.c). */
bool authz_task_may_ptrace(pid_t who, pid_t target);

/* --- api.c: the methods of io.nsdd.supervisor and org.varlink.service - */

void api_init(void);
void api_dispatch(struct conn *c, const char *method, json_t *params);
/* The parameter of params that spec ("id:s kill:b?", ...) refuses, or NULL. */
const char *api_bad_param(json_t *params, const char *spec);

/* --- check.c: whether a plan can apply, without attaching ------------- */

/* Every step of m that cannot apply to target (0: not started), as a JSON
 * array of {task, step, call, id, reason}; empty if none. */
json_t *check_plan(const struct nsd_plan *m, pid_t target);

/* --- the plan room: plans.c (store), supervisor.c (progress), events.c -- */

/* Per user but root: running plans, and the steps in them (LimitExceeded). */
extern unsigned long nsdd_max_plans_per_owner, nsdd_max_steps_per_owner;

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
bool plan_seccomp(const struct plan *plan);
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
bool plan_emulates(const struct plan *plan);
/* A Record's calls (1 << enum nsd_call), or 0; TRACED: its target's filter
 * sends them as seccomp stops; BARE: it writes no key or path match. */
#define RECORD_TRACED (1u << 31)
#define RECORD_BARE   (1u << 30)
unsigned plan_records(const struct plan *plan);
bool plan_follows(const struct plan *plan);
/* record.c: a Record's fork events and calls (from the tracer), its replies. */
void record_fork(struct task *parent, struct task *child);
void record_entry(struct task *t, const struct sc_info *sc, const unsigned long long args[6]);
void record_exit(struct task *t, long long rval, bool is_error);
void record_gone(const struct task *t); /* it exited, perhaps in a call */
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

/* What a plan's tasks report to it (the tracer and the step handlers). */
struct ptask *supervisor_ptask(struct plan *plan, int32_t planned_pid);
/* The ptask has steps left, and its plan is not ending. */
bool supervisor_pending(const struct ptask *pt);
const struct nsd_step *supervisor_head(const struct ptask *pt);
/* The head step for a syscall of kind call: the step itself, or an `any`
 * step seen as a step of that kind with its value as the id or pid. */
const struct nsd_step *supervisor_head_as(struct ptask *pt, enum nsd_call call);
/* t is the task that pt names; false if pt is NULL or has its task already. */
bool supervisor_bind(struct ptask *pt, struct task *t);
void supervisor_applied(struct ptask *pt, const char *syscall, enum mechanism how, long long want,
                        long long got);
void supervisor_step_failed(struct ptask *pt, const char *syscall, long long want, long long got,
                            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The task made `made` (a syscall, "clone3 (a thread)") where the head step
 * s is of another call: under "strict" the step fails; true if it did. */
bool supervisor_diverged(struct ptask *pt, const char *syscall, const char *made,
                         const struct nsd_step *s);
void supervisor_unsupported(struct ptask *pt, const char *syscall, const char *field,
                            const char *why);
/* A use of the emulated next_syscall_data by task tid: an event of plan's. */
enum outcome { OUTCOME_APPLIED, OUTCOME_FAILED, OUTCOME_UNSUPPORTED };
void supervisor_next_data(struct plan *plan, pid_t tid, enum outcome what, const struct nsd_step *s,
                          const char *syscall, enum mechanism how, long long want, long long got,
                          const char *error);
/* The tracer's reports: t (bound to pt, or not) exited or was let go; a
 * tracee of plan was made or freed. */
void supervisor_exited(struct ptask *pt, const struct task *t, int status);
void supervisor_detached(struct ptask *pt, const struct task *t);
void supervisor_moved(struct ptask *pt, pid_t tid);
void supervisor_tracee_added(struct plan *plan);
/* Mode seccomp: the task of a plan task, seized for a notification; the
 * plan task of nsdd's pid, or NULL; the last task under the filter is gone. */
void supervisor_seized(struct ptask *pt, struct task *t);
struct ptask *supervisor_ptask_by_pid(struct plan *plan, pid_t pid);
void supervisor_tree_gone(struct plan *plan);
/* install.c: the filter is in, and fd is its listener in thread tid's file
 * table (nsdd takes it: false if it cannot, and the plan failed); or it
 * cannot be. */
bool supervisor_filter_in(struct plan *plan, pid_t tid, int fd);
void supervisor_filter_failed(struct plan *plan, pid_t tid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void supervisor_tracee_gone(struct plan *plan);
/* A plan's tasks' memory was past PLAN_MAX_STALLS: the plan is given up. */
void supervisor_stalled(struct plan *plan);

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
	const struct sc_info *sc; /* the syscall the task made */
	const struct nsd_step *s; /* the step, as resolved at entry */
	/* A next_syscall_data value is the record's own: s points here. */
	struct nsd_step own;
	int32_t own_pids[NSD_MAX_LEVELS];
};

enum mem_kind { MEM_READ, MEM_WRITE, MEM_STRING };

/* MEM_STRING reads up to len bytes, to a NUL (ENAMETOOLONG if none). */
struct mem_op {
	enum mem_kind kind;
	unsigned long long addr;
	void *buf;
	size_t len;
};

/*
 * What a driver lets a step handler do to a task stopped at a syscall.
 * Functions that can fail return 0, or -1 with errno.
 */
struct driver {
	int (*get_regs)(struct task *t, struct user_regs_struct *r);
	int (*set_regs)(struct task *t, const struct user_regs_struct *r);
	/* Up to 4 memory accesses in order, 8 KiB each; ETIMEDOUT: the memory
	 * did not answer in time. */
	int (*mem)(struct task *t, struct mem_op *ops, size_t n);
	/* From a syscall-exit stop with registers r: the task makes nr(a0, a1,
	 * a2) next, and its result comes to the step's exit op. */
	int (*run_syscall)(struct task *t, const struct user_regs_struct *r, long nr,
	                   unsigned long long a0, unsigned long long a1, unsigned long long a2);
	/* The task's blocked signals: *old gets them, then set (if not NULL) is. */
	int (*set_sigmask)(struct task *t, const uint64_t *set, uint64_t *old);
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
	void (*entry)(struct task *t, const struct sc_info *sc, const unsigned long long args[6]);
	void (*event)(struct task *t, struct task *child);
	void (*exit)(struct task *t, long long rval, bool is_error);
	void (*abandon)(struct task *t);
};

extern const struct step_ops fork_steps, ipcget_steps, open_steps, ipcset_steps;
/* install.c: not a plan step; its entry takes the task at any syscall entry
 * while its plan's filter is to be installed. */
extern const struct step_ops install_steps;

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
void *step_start(struct task *t, const struct step_ops *ops, size_t size, const struct sc_info *sc,
                 const struct nsd_step *s);
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
const struct nsd_step *step_head(struct task *t, const struct sc_info *sc, enum nsd_call call,
                                 const char *made);

enum sc_kind {
	SC_NONE,
	SC_FORK,
	SC_VFORK,
	SC_CLONE,
	SC_CLONE3,
	SC_MSGGET,
	SC_SEMGET,
	SC_SHMGET,
	SC_OPEN,
	SC_OPENAT,
	SC_OPENAT2,
	SC_CREAT,
	SC_MSGCTL,
	SC_SEMCTL,
	SC_SHMCTL
};

/* --- seccomp.c: mode "seccomp", the listener of the target's filter ------- */

struct seccomp_notif;
/* A notification of listener fd: true if the callee took it (it will not be
 * answered), false to answer it CONTINUE. */
typedef bool (*seccomp_notified_fn)(struct plan *plan, const struct seccomp_notif *req, int fd);
typedef void (*seccomp_gone_fn)(struct plan *plan);
/* Takes the listener fd of pid for plan (pidfd_getfd) and answers it;
 * gone: no task is under the filter any more. */
int seccomp_take(struct plan *plan, pid_t pid, int fd, seccomp_notified_fn notified,
                 seccomp_gone_fn gone, struct nsdd_error *e);
/* The same with a listener nsdd has (an OCI runtime's; kept on error). */
int seccomp_listen(struct plan *plan, int lfd, seccomp_notified_fn notified, seccomp_gone_fn gone,
                   struct nsdd_error *e);
/* A listener from systemd's fd store (this name), or one with no plan (store:
 * put it there): answered CONTINUE until it hangs up; false, closed, if not. */
#define SECCOMP_FDNAME "seccomp"
bool seccomp_adopt(int fd, bool store);
/* The plan is over: its listener is answered CONTINUE until it hangs up. */
void seccomp_plan_ended(struct plan *plan);
/* The notification id of listener fd is still pending (SECCOMP_IOCTL_NOTIF_ID_VALID):
 * what was read of its task's memory since it came is what the call uses. */
bool seccomp_id_valid(int fd, uint64_t id);
/* The BPF filter for calls, to install in a running target; NULL and e. */
struct filter_job *seccomp_filter_new(unsigned calls, struct nsdd_error *e);
void seccomp_filter_free(struct filter_job *job);

/* --- nsdfile.c: the emulated next_syscall_data file ----------------------- */

/* At a syscall entry of a task of a plan that emulates the file: true if
 * the call was the file's (its open, or a read or write of it). */
bool nsdfile_entry(struct task *t, long nr, const unsigned long long args[6]);
void nsdfile_plan_ended(const struct plan *plan);

/* --- syscalls.c: the syscall table ------------------------------------- */

/* A syscall nsdd targets: a row of syscalls.c. */
struct sc_info {
	long nr;
	const char *name;
	enum sc_kind kind;
	enum nsd_call call; /* the plan call it serves (a fork kind: NSD_CALL_FORK) */
	unsigned calls;     /* 1 << enum nsd_call for every call it may serve */
	const struct step_ops *ops;
	int path_arg; /* open kinds: the path's argument index; else -1 */
};

const struct sc_info *syscall_find(long nr);
bool syscall_targeted(const struct sc_info *sc, unsigned calls);

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
/* Held tasks try again: a namespace lock was freed (ns_on_release). */
void tracer_unhold_all(void);
/* Mode seccomp: takes the target's filter listener (fd in pid); a
 * notification whose task has a pending step brings the task under ptrace
 * for that call. The plan is over: its listener only lets calls through. */
int tracer_listen(struct plan *plan, pid_t pid, int fd, struct nsdd_error *e);
/* The same with a listener of nsdd's own (seccomp_listen). */
int tracer_listen_fd(struct plan *plan, int lfd, struct nsdd_error *e);
void tracer_plan_ended(struct plan *plan);

/* --- arch.c: registers (x86_64) ------------------------------------------ */

int arch_get_regs(pid_t tid, struct user_regs_struct *regs);
int arch_set_regs(pid_t tid, const struct user_regs_struct *regs);
long arch_nr(const struct user_regs_struct *r);
unsigned long long arch_arg(const struct user_regs_struct *r, int i);
void arch_set_arg(struct user_regs_struct *r, int i, unsigned long long v);
void arch_set_nr(struct user_regs_struct *r, long nr);
void arch_set_return(struct user_regs_struct *r, long v);
/* Rewinds to the syscall instruction so that the task makes the call again. */
void arch_rewind(struct user_regs_struct *r, long nr);
/* The syscall the task stopped in that the kernel will restart, or -1. */
long arch_restarting(const struct user_regs_struct *r, unsigned long long *ip);
/* A scratch area below the stack pointer and red zone, n bytes, aligned. */
/* A syscall cut short by a signal (-ERESTARTSYS) is made to restart
 * whatever the handler's SA_RESTART; false if r is not one. */
bool arch_restart_always(struct user_regs_struct *r);
unsigned long long arch_scratch(const struct user_regs_struct *r, size_t n);
/* Sets r up to make syscall nr(a0, a1, a2) from the `syscall` instruction just run. */
void arch_inject(struct user_regs_struct *r, long nr, unsigned long long a0, unsigned long long a1,
                 unsigned long long a2);

/* --- filter.c: the task's own seccomp filters ------------------------- */

enum filter_verdict { FILTER_ALLOWS, FILTER_DENIES, FILTER_UNKNOWN };

/* Whether every seccomp filter of the stopped task lets nr(args) through;
 * UNKNOWN when nsdd may not read them (it runs under a filter itself). */
enum filter_verdict filter_allows(pid_t tid, const struct user_regs_struct *regs, long nr,
                                  const uint64_t args[6]);

/* --- procfs.c: the backend of a kernel with next_syscall_data -------- */

void procfs_set_root(const char *root);
bool procfs_available(pid_t tgid, pid_t tid);
/* Writes "LONGn v1 ... vn" for the thread; 0 or an errno. */
int procfs_write(pid_t tid, const int64_t *values, size_t n);

/* --- memio.c: tracee memory, with a deadline -------------------------- */

/* Up to 4 accesses in order, 8 KiB each way; -1 with errno at the first that
 * fails (ETIMEDOUT: the memory did not answer in time). */
void mem_init(void);
int mem_access(pid_t tid, struct mem_op *ops, size_t nops);
bool mem_helper_reaped(pid_t pid);
/* tid is no longer a tracee, or has a new mm (0: every task). */
void mem_forget(pid_t tid);
bool mem_is_helper(pid_t pid);

/* --- helper.c: nsdd's helper processes --------------------------------- */

typedef void (*helper_fn)(int sock);

void helper_init(void);
/* The start of a helper's fn: it keeps only its socket, as fd 3. */
void helper_begin(int sock, const char *name);
/* A child running fn(sv[1]), at a pid no plan wants on each of levels. */
pid_t helper_place(size_t levels, helper_fn fn, int sv[2]);
/* A helper in nsdd's own pid namespace; nsdd's end of its socket in *sock. */
pid_t helper_spawn(helper_fn fn, int *sock);

#endif
