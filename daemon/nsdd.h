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

/* --backend: unless forced, each plan gets procfs where next_syscall_data exists. */
extern enum backend nsdd_backend;
extern bool nsdd_backend_forced;

/*
 * Errors, one convention. What a client must hear (its plan is wrong, a task
 * is busy, ...) goes in a struct nsdd_error, and the function returns -1.
 * A system call's failure is -1 with errno, or where a function says so, the
 * errno itself. Running out of memory is not an error: xmalloc() and its kin
 * (and jansson, through them) end nsdd with a message.
 */
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

/* Allocation that never fails: out of memory, nsdd ends with a message. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Microseconds on CLOCK_REALTIME, as varlink events carry them. */
uint64_t nsdd_now_usec(void);
/* The value of "Key:" in /proc/PID/status, leading blanks skipped; -1 if
 * there is no such task or key. */
int nsdd_proc_status(pid_t pid, const char *key, char *value, size_t len);
/* The same, as a number ("Tgid:", "TracerPid:"); -1 when absent. */
long nsdd_proc_status_long(pid_t pid, const char *key);
/* fn(arg), run with nsdd in the namespace of fd, then back in own_fd's. */
int nsdd_in_ns(int fd, int nstype, int own_fd, int (*fn)(void *arg), void *arg);
/* "EEXIST (File exists)" */
const char *nsdd_errno_text(int err, char *buf, size_t len);

struct plan;
struct ptask;
struct kept;
struct tracee;
struct pidns;
struct ipcns;

/* --- server.c: the varlink socket and its connections ---------------- */

struct conn;

int server_listen(const char *path, unsigned max_conns);
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
/* Streams the plan's events to the caller (Watch with "more"). */
void server_watch(struct conn *c, struct plan *plan);

/* --- authz.c: who may ask what ---------------------------------------- */

enum role { ROLE_ROOT, ROLE_MEMBER, ROLE_OTHER };

void authz_set_group(const char *name);
enum role authz_role(const struct conn *c);
/* 0, or PermissionDenied: the client could not ptrace pid, or does not own
 * the user namespace of its pid or IPC namespace. */
int authz_may_trace(const struct conn *c, pid_t pid, struct nsdd_error *e);
bool authz_may_see(const struct conn *c, const struct plan *plan);

/* --- api.c: the methods of io.nsdd.supervisor and org.varlink.service - */

void api_init(void);
void api_dispatch(struct conn *c, const char *method, json_t *params);
/* The parameter of params that spec ("id:s kill:b?", ...) refuses, or NULL. */
const char *api_bad_param(json_t *params, const char *spec);

/* --- supervisor.c: plans, their tasks, events ------------------------- */

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
	json_t *unsupported;   /* "step N call: field" the kernel could not set */
	struct nsd_step synth; /* an `any` head step, as the syscall's kind */
	int32_t synth_pid;
	struct tracee *tracee;
};

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
	uint32_t step;
	uint8_t kind;      /* enum ev_kind */
	int8_t call;       /* the step's enum nsd_call; -1: no step */
	uint8_t mechanism; /* enum mechanism, of an applied step */
	char syscall[18];  /* "": none */
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
	void (*cb)(struct watch *w);
	void *arg;
};

struct plan {
	TAILQ_ENTRY(plan) entry;
	char id[17];
	struct nsd_plan *model;
	uid_t owner;
	enum plan_state state;
	bool ending;       /* a final state is chosen; tasks are being let go */
	bool hidden;       /* failed at Submit: never listed, freed when it ends */
	pid_t setnext_tid; /* a SetNext plan: its thread; else 0 */
	enum plan_state final;
	bool kill; /* end by SIGKILL rather than detach */
	char *error;
	struct ptask *ptasks; /* model->ntasks */
	size_t applied;
	uint64_t stops;   /* ptrace stops of its tasks: the cost of the plan */
	unsigned targets; /* 1 << sc_kind for each syscall kind its steps target */
	enum backend backend;
	uint64_t created_usec, finished_usec;
	struct event_log events;
	TAILQ_HEAD(, tracee) tracees;
	size_t ntracees;
	struct kept *kept; /* on_failure kill: processes the plan made or took */
	size_t nkept;
	struct event *timer;
	TAILQ_HEAD(, watch) watches;
};

TAILQ_HEAD(plan_list, plan);
extern struct plan_list supervisor_plans;
/* Per user but root: running plans, and the steps in them (LimitExceeded). */
extern unsigned long nsdd_max_plans_per_owner, nsdd_max_steps_per_owner;

/* Takes model, whatever the outcome. */
struct plan *supervisor_submit(struct nsd_plan *model, uid_t owner, struct nsdd_error *e);
/* SetNext: the next targeted syscall of thread tid produces values[0] (a pid
 * array of n levels for a fork); replaces a value not yet used. */
int supervisor_setnext(pid_t tid, const int64_t *values, size_t n, uid_t owner,
                       struct nsdd_error *e);
/* plans.c: the store of plans. */
extern const char *const plan_states[];
struct plan *plan_alloc(void);
void plan_build_index(struct plan *plan);
void plan_free(struct plan *plan);
/* A finished plan lets go of its steps and index, and of old events. */
void plan_shrink(struct plan *plan);
/* Drops the oldest finished plans past what is kept. */
void plan_prune(void);
struct plan *supervisor_find(const char *id);
json_t *supervisor_status(const struct plan *plan);
void supervisor_cancel(struct plan *plan, bool kill, const char *why);
void supervisor_fail(struct plan *plan, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void supervisor_shutdown(void);
size_t supervisor_running(void);
struct ptask *supervisor_ptask(struct plan *plan, int32_t planned_pid);
const struct nsd_step *supervisor_head(const struct ptask *pt);
/* The head step for a syscall of kind call: the step itself, or an `any`
 * step seen as a step of that kind with its value as the id or pid. */
const struct nsd_step *supervisor_head_as(struct ptask *pt, enum nsd_call call);
void supervisor_bound(struct ptask *pt, struct tracee *t);
void supervisor_applied(struct ptask *pt, const char *syscall, enum mechanism how, long long want,
                        long long got);
void supervisor_step_failed(struct ptask *pt, const char *syscall, long long want, long long got,
                            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void supervisor_exited(struct ptask *pt, int status);
void supervisor_detached(struct ptask *pt);
void supervisor_unsupported(struct ptask *pt, const char *syscall, const char *field,
                            const char *why);
void supervisor_tracee_gone(struct plan *plan);
/* on_failure kill: pid is killed if the plan fails (no fd is held for it). */
void supervisor_keep(struct plan *plan, pid_t pid);
bool supervisor_pid_wanted(int32_t pid);
void supervisor_watch(struct watch *w, struct plan *plan);
void supervisor_unwatch(struct watch *w);
void supervisor_notify_status(void);

/* --- tracer.c: the ptrace engine ------------------------------------- */

/* How a fork-kind step is being made to happen (pid.c). */
enum fork_how { FORK_NONE, FORK_NATIVE, FORK_CLONE3, FORK_LAST_PID, FORK_REFUSE };

struct fork_apply {
	enum fork_how how;
	const struct nsd_step *s; /* the step, as resolved at entry */
	long nr;                  /* the syscall the task made */
	const struct sc_info *sc;
	uint64_t flags;               /* its clone flags */
	struct user_regs_struct regs; /* at entry, as the task made it */
	bool modified;                /* registers differ from regs */
	bool decided;                 /* the fork event settled the step */
	int refuse_errno;             /* FORK_REFUSE: the errno to return */
	pid_t child;                  /* in nsdd's namespace, from the fork event */
	int32_t got[NSD_MAX_LEVELS];  /* the child's pids, innermost first */
	size_t ngot;
	struct pidns *locks[NSD_MAX_LEVELS];
	size_t nlocks;
	int32_t old_last[NSD_MAX_LEVELS]; /* ns_last_pid before nsdd set it */
	int fallback;                     /* this try follows a clone3 that failed so */
	/* The task's bytes that the clone3 arguments cover, put back once the
	 * kernel has read the arguments. */
	unsigned long long saved_addr;
	size_t saved_len;
	unsigned char saved[256];
};

/* An msgget/semget/shmget step in flight (ipc.c). */
struct ipc_apply {
	bool active;  /* *_next_id written; the syscall's exit decides */
	bool waiting; /* held for the namespace's lock */
	bool procfs;  /* next_syscall_data was written instead */
	const struct nsd_step *s;
	long nr;
	const struct sc_info *sc;
	struct ipcns *ns;
};

/* An open step in flight (fd.c): the task's own call, then the syscalls
 * that nsdd makes the task run (fcntl F_DUPFD or dup3, close), then its
 * registers and signal mask back. */
enum fd_state { FD_NONE, FD_OPENING, FD_DUPFD, FD_DUP, FD_CLOSE_EXTRA, FD_CLOSE };

struct fd_apply {
	enum fd_state state;
	const struct nsd_step *s;
	long nr;
	const struct sc_info *sc;
	bool cloexec;                 /* the task asked for O_CLOEXEC */
	struct user_regs_struct regs; /* at the open's exit */
	long long newfd;              /* what the open returned */
	long long result;             /* what the task will see */
	long long extra;              /* F_DUPFD gave another fd: closed too */
	int err;                      /* the step fails with this errno */
	uint64_t sigmask;             /* the task's own, while nsdd blocks all */
	bool procfs;                  /* next_syscall_data was written instead */
};

/* A msgctl/semctl/shmctl(IPC_SET) step in flight (ipcset.c). */
struct ctl_apply {
	bool active;
	bool procfs;
	const struct nsd_step *s;
	long nr;
	const struct sc_info *sc;
};

/* Registers a new child must get back before it runs (clone3 rewrites). */
struct child_fix {
	bool pending;
	struct user_regs_struct regs; /* the parent's at entry */
};

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
	TAILQ_ENTRY(tracee) entry;      /* plan->tracees */
	TAILQ_ENTRY(tracee) hold_entry; /* tasks waiting for a namespace lock */
	pid_t tid;
	struct plan *plan;   /* NULL: an orphan child whose parent is not known yet */
	struct ptask *ptask; /* NULL: the plan does not name it */
	bool stopped;        /* in a ptrace-stop we have not resumed */
	bool initial;        /* its first stop has not been seen */
	bool group_stop;     /* resume with PTRACE_LISTEN */
	bool held;           /* kept at syscall entry until a lock frees */
	bool detach_wanted;
	bool killed;
	bool no_set_tid;  /* clone3 is refused to it: use ns_last_pid */
	int fallback;     /* the rewritten clone3 failed so: the call is made again */
	bool interrupted; /* PTRACE_INTERRUPT sent, stop not yet seen */
	bool gone;        /* removed by the kernel unreported; being freed */
	int inject_sig;
	int parked_status; /* an orphan's first stop, replayed on adoption */
	unsigned options;
	struct fork_apply fa;
	struct ipc_apply ia;
	struct fd_apply fd;
	struct ctl_apply ca;
	struct child_fix fix;
	struct restart restart;
	bool seized; /* attached, not born traced: its first stop may be in a syscall */
};

/* Seizes pid and its threads, or with one_thread the thread pid alone. */
int tracer_attach(struct plan *plan, pid_t pid, bool one_thread, struct nsdd_error *e);
struct tracee *tracer_seize(struct plan *plan, pid_t tid);
void tracer_reap(void);
void tracer_release(struct tracee *t);
void tracer_kill(struct tracee *t);
struct tracee *tracer_find(pid_t tid);
void tracer_hold(struct tracee *t);
void tracer_unhold_all(void);
struct tracee *tracer_child(struct tracee *parent, pid_t child);
size_t tracer_count(void);
bool tracer_step_busy(const struct tracee *t);
void tracer_set_options(struct tracee *t, unsigned options);

/* --- the syscall kinds ---------------------------------------------------- */

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

/* A step kind's handler: what nsdd does at a targeted syscall's entry and exit. */
struct step_ops {
	void (*entry)(struct tracee *t, const struct sc_info *sc, const unsigned long long args[6]);
	void (*exit)(struct tracee *t, long long rval, bool is_error);
	bool (*busy)(const struct tracee *t); /* a step of this kind is in flight */
	void (*abandon)(struct tracee *t);    /* lets go of it; NULL: nothing to undo */
};

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

/* --- syscalls.c: the syscall table ------------------------------------- */

extern const struct step_ops fork_steps, ipc_steps, open_steps, ipcset_steps;
extern const struct step_ops *const step_handlers[]; /* NULL-terminated */
const struct sc_info *syscall_find(long nr);
unsigned syscall_targets(const struct nsd_plan *m);

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
unsigned long long arch_scratch(const struct user_regs_struct *r, size_t n);
/* Sets r up to make syscall nr(a0, a1, a2) from the `syscall` instruction just run. */
void arch_inject(struct user_regs_struct *r, long nr, unsigned long long a0, unsigned long long a1,
                 unsigned long long a2);

/* --- pid.c: fork and thread steps ------------------------------------ */

void pid_entry(struct tracee *t, const struct sc_info *sc, const unsigned long long args[6]);
void pid_event(struct tracee *t, pid_t child);
void pid_abandon(struct tracee *t);
bool pid_fix_child(struct tracee *child);
/* struct clone_args of <linux/sched.h>, CLONE_ARGS_SIZE_VER2 (Linux 5.7). */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
	    set_tid_size, cgroup;
};
/* The clone3 arguments equivalent to a fork, vfork or clone with args; false
 * for a clone that clone3 cannot express (or clone itself refuses). */
bool pid_clone3_equivalent(enum sc_kind kind, const unsigned long long args[6],
                           struct clone_args_v2 *ca);
int pid_nspids(pid_t pid, int32_t *out, size_t max, size_t *n);

/* --- fd.c: open steps ------------------------------------------------ */

/* nsdd is making the task run syscalls of its own: their stops are nsdd's. */
bool fd_injecting(const struct tracee *t);

/* --- ipcset.c: msgctl, semctl and shmctl IPC_SET steps ---------------- */

/* --- ipc.c: msgget, semget and shmget steps -------------------------- */

int ipc_init(void);
void ipc_entry(struct tracee *t, const struct sc_info *sc, const unsigned long long args[6]);
void ipc_abandon(struct tracee *t);
void ipc_gc(void);
/* Runs fn(arg) inside the IPC namespace of tid; returns fn's errno or setns's. */
int ipc_in_ns_of(pid_t tid, int (*fn)(void *arg), void *arg);

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

/* --- events.c: a plan's events ------------------------------------- */

struct event *events_add(struct event_log *log, enum ev_kind kind, size_t task);
size_t events_end(const struct event_log *log);
/* NULL when i was trimmed away or is not there yet. */
const struct event *events_get(const struct event_log *log, size_t i);
json_t *events_json(const struct plan *plan, const struct event *e);
void events_trim(struct event_log *log);
void events_free(struct event_log *log);

/* --- memio.c: tracee memory, with a deadline -------------------------- */

enum mem_kind { MEM_READ, MEM_WRITE, MEM_STRING };

/* MEM_STRING reads up to len bytes, to a NUL (ENAMETOOLONG if none). */
struct mem_op {
	enum mem_kind kind;
	unsigned long long addr;
	void *buf;
	size_t len;
};

/* Up to 4 accesses in order, 8 KiB each way; -1 with errno at the first that
 * fails (ETIMEDOUT: the memory did not answer in time). */
void mem_init(void);
int mem_access(pid_t tid, struct mem_op *ops, size_t nops);
int mem_read(pid_t tid, unsigned long long addr, void *buf, size_t len);
int mem_write(pid_t tid, unsigned long long addr, const void *buf, size_t len);
int mem_read_string(pid_t tid, unsigned long long addr, char *buf, size_t len);
bool mem_helper_reaped(pid_t pid);
/* tid is no longer a tracee, or has a new mm (0: every task). */
void mem_forget(pid_t tid);
bool mem_is_helper(pid_t pid);

/* --- nsenter.c: acting inside a task's pid namespace ----------------- */

int nsenter_init(void);
/* The pid namespaces a new child of tid lands in, innermost first. */
int nsenter_child_pidns(pid_t tid, bool newpid, size_t levels, struct pidns **out, int *err);
bool nsenter_lock(struct pidns *const *ns, size_t n, struct tracee *t);
void nsenter_unlock(struct pidns *const *ns, size_t n, struct tracee *t);
int nsenter_set_last_pid(struct pidns *ns, int32_t want, int32_t *old);
void nsenter_put_back_last_pid(struct pidns *ns, int32_t want, int32_t old);
bool nsenter_reaped(pid_t pid);
bool nsenter_is_helper(pid_t pid);
/* A helper process running fn (which never returns) in nsdd's own pid
 * namespace, at a pid no plan wants; nsdd's end of its socket in *sock. */
pid_t nsenter_spawn(void (*fn)(int sock), int *sock);
void nsenter_helper_begin(int sock, const char *name);
void nsenter_gc(void);

#endif
