/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every room of nsdd shares: the error convention, allocation, clocks,
 * /proc helpers, and the names of the structs the rooms own. What a room
 * exports is in its own header: socket.h, supervisor.h (the plan room),
 * task.h (tasks, drivers, step handlers, the syscall table), tracing.h,
 * listeners.h (seccomp.c), ns.h, leaves.h; plans.h and tracer.h are their
 * rooms' private ones. Names carry their file's prefix: tracer_*,
 * supervisor_*, ns_*, ...
 */
#ifndef NSDD_H
#define NSDD_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/ioctl.h>
#include <sys/queue.h>
#include <sys/time.h>
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

/*
 * Errors, one convention, in every file of daemon/ and lib/:
 * - A function that can fail returns -1 (a pointer: NULL; a bool: false)
 *   with errno saying what failed in the system. It never returns an errno,
 *   positive or negative, nor takes an int *err. Where a caller tells
 *   failures apart, the function's comment lists the errnos it means
 *   something by (ns_set_last_pid(): EEXIST, the pid is taken).
 * - What a client, a task or an event must be told (its plan is wrong, a
 *   task is busy, a container's state is bad) goes in one struct nsdd_error
 *   as well, and the function still returns -1; the caller passes it on or
 *   shows e->reason. Step handlers report a step's failure to its plan
 *   (step_failed()), never by their return value.
 * - An errno travels as a number only between processes: a helper's reply
 *   (ns.c, memio.c's batches) and nsdctl's ready word. It becomes -1 with
 *   errno where it arrives.
 * - Out of memory, xmalloc() and its kin (and jansson) end nsdd.
 * - Cleanup is in the function that made the thing, on one path: `goto fail`
 *   when only a failure undoes it, `goto out` when success and failure
 *   alike do; errno is kept across the cleanup (saved and set back) when
 *   the cleanup's own calls may change it.
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

void *xmalloc(size_t n); /* and its kin: out of memory, nsdd ends with a message */
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The running kernel says it is this release or a later one (uname). */
bool nsdd_kernel_at_least(int major, int minor);
uint64_t nsdd_now_usec(void);  /* CLOCK_REALTIME, as varlink events carry it */
uint64_t nsdd_mono_usec(void); /* CLOCK_MONOTONIC */
/* *wait doubled, at most max (us): the next look of a timer that backs off. */
struct timeval nsdd_backoff(uint64_t *wait, uint64_t max);
/* "Key:" of /proc/PID/status, leading blanks skipped; -1: no such task or key. */
int nsdd_proc_status(pid_t pid, const char *key, char *value, size_t len);
/* The same, as a number ("Tgid:", "TracerPid:"); -1 when absent. */
long nsdd_proc_status_long(pid_t pid, const char *key);
/* Its parent process, in nsdd's pid namespace; -1 if gone or unknown. */
pid_t nsdd_parent_of(pid_t pid);
/* fn(arg), run with nsdd in the namespace of fd, then back in own_fd's: fn
 * returns 0, or -1 with errno, and so does this. */
int nsdd_in_ns(int fd, int nstype, int own_fd, int (*fn)(void *arg), void *arg);
/* The first of n LONGn values out of range (pid for n > 1, id for LONG1), or n. */
size_t nsdd_longn_bad(const int64_t *values, size_t n);
/* "EEXIST (File exists)" */
const char *nsdd_errno_text(int err, char *buf, size_t len);

/* fd of thread tid, from its own file table (pidfd_getfd); -1 with errno. */
int nsdd_take_fd(pid_t tid, int fd);
/* The syscall thread tid is blocked in (/proc/TID/syscall; -1: blocked, not in
 * a syscall); NSDD_RUNNING if it is not blocked (nsdd cannot tell); NSDD_GONE. */
#define NSDD_RUNNING (-2L)
#define NSDD_GONE    (-3L)
long nsdd_proc_syscall(pid_t tid);
/* A thread of process tgid other than its leader waits in an x86_64
 * execve(2) or execveat(2), as one does while de_thread() removes the
 * leader to give that thread its pid. */
bool nsdd_thread_execs(pid_t tgid);
/* NSpid of /proc/PID/status into out[], innermost first; -1 with errno. */
int nsdd_nspids(pid_t pid, int32_t *out, size_t max, size_t *n);
/* The same, and the number after "key:" in *value, from one read. */
int nsdd_nspids_and(pid_t pid, const char *key, long *value, int32_t *out, size_t max, size_t *n);
/* The inode of the namespace /proc/PID/ns/KIND names, from its link
 * ("pid:[ino]", every namespace file being on the one nsfs): no open, no
 * stat; 0 if it cannot be read. */
ino_t nsdd_ns_ino(pid_t pid, const char *kind);
/* The nsfs ioctls that translate pids between a pid namespace and the
 * caller's (Linux 6.9): -1 with errno ENOTTY before. */
#ifndef NS_GET_PID_FROM_PIDNS
#define NS_GET_PID_FROM_PIDNS  _IOR(0xb7, 0x6, int)
#define NS_GET_TGID_FROM_PIDNS _IOR(0xb7, 0x7, int)
#define NS_GET_PID_IN_PIDNS    _IOR(0xb7, 0x8, int)
#endif
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
struct conn;        /* server.c */
struct plan;        /* the plan room: plans.h */
struct ptask;       /* the plan room */
struct watch;       /* the plan room */
struct tracee;      /* the tracer room: tracer.h */
struct ns;          /* ns.c */
struct nsd_syscall; /* lib/syscalls.h: a row of the syscall table */
struct task;        /* below */
struct driver;
struct inflight;
struct step_ops;

#endif
