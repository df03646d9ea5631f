/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * open steps (open, openat, openat2, creat): the next matching open returns
 * the planned fd. The kernel gives the lowest free fd; when that is not the
 * planned one, nsdd makes the task itself, stopped at the open's exit, run
 * dup3(new, planned, O_CLOEXEC if it asked) and close(new): the task is
 * rewound onto its `syscall` instruction with another number and arguments
 * (x86_64: rip - 2), twice, and then every register is put back with the
 * planned fd as the open's result. No stray fd is left.
 *
 * If the planned fd is already open, the step fails with EBUSY: the new file
 * is closed and the open returns -EBUSY. With "replace": true, dup3 replaces
 * the old file (dup2 semantics).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"

/* Where each kind keeps its path and flags (x86_64 argument indexes). */
static int
path_arg(enum sc_kind kind)
{
	return kind == SC_OPENAT || kind == SC_OPENAT2 ? 1 : 0;
}

static bool
asked_cloexec(struct tracee *t, const struct sc_info *sc, const unsigned long long args[6])
{
	uint64_t how_flags = 0;

	switch (sc->kind) {
	case SC_OPEN:
		return args[1] & O_CLOEXEC;
	case SC_OPENAT:
		return args[2] & O_CLOEXEC;
	case SC_OPENAT2:
		/* struct open_how begins with u64 flags; an unreadable one fails EFAULT. */
		return args[3] >= 24 && arch_read(t->tid, args[2], &how_flags, 8) == 0 &&
		       (how_flags & O_CLOEXEC);
	default:
		return false; /* creat: O_CREAT|O_WRONLY|O_TRUNC */
	}
}

void
fd_entry(struct tracee *t, const struct sc_info *sc, const unsigned long long args[6])
{
	const struct nsd_step *s = supervisor_head(t->ptask);
	struct fd_apply *fa = &t->fd;
	char path[4096];

	if (s == NULL)
		return;
	if (s->call == NSD_CALL_ANY)
		s = supervisor_head_as(t->ptask, NSD_CALL_OPEN);
	if (s->call != NSD_CALL_OPEN) {
		if (t->plan->model->strict)
			supervisor_step_failed(t->ptask, sc->name, s->id, -1,
			                       "the task made %s while its next step is %s",
			                       sc->name, nsd_call_name(s->call));
		return;
	}
	if (s->path != NULL &&
	    (arch_read_string(t->tid, args[path_arg(sc->kind)], path, sizeof(path)) < 0 ||
	     strcmp(path, s->path) != 0))
		return; /* another file: the step waits for its path */
	memset(fa, 0, sizeof(*fa));
	fa->state = FD_OPENING;
	fa->step = t->ptask->next;
	fa->s = s;
	fa->nr = sc->nr;
	fa->cloexec = asked_cloexec(t, sc, args);
	if (t->plan->backend == BACKEND_PROCFS) {
		int err = procfs_write(t->tid, &s->id, 1);
		char ebuf[64];
		if (err != 0) {
			memset(fa, 0, sizeof(*fa));
			supervisor_step_failed(t->ptask, sc->name, s->id, -1,
			                       "cannot write next_syscall_data: %s",
			                       nsdd_errno_text(err, ebuf, sizeof(ebuf)));
			return;
		}
		fa->procfs = true;
	}
}

/* Makes the task, stopped at a syscall exit, run nr(a0, a1, a2) next. */
static bool
inject(struct tracee *t, enum fd_state next, long nr, long long a0, long long a1, long long a2)
{
	struct user_regs_struct r = t->fd.regs;

	arch_inject(&r, nr, (unsigned long long)a0, (unsigned long long)a1, (unsigned long long)a2);
	if (arch_set_regs(t->tid, &r) < 0)
		return false;
	t->fd.state = next;
	return true;
}

/* The last syscall nsdd ran is done: the open returns, the step is settled. */
static void
finish(struct tracee *t)
{
	struct fd_apply *fa = &t->fd;
	const struct nsd_step *s = fa->s;
	const char *name = arch_syscall_name(fa->nr);
	struct user_regs_struct r = fa->regs;
	int sig = fa->deferred_sig, err = fa->err;
	long long result = fa->result;
	char ebuf[64];

	arch_set_return(&r, (long)result);
	if (arch_set_regs(t->tid, &r) < 0 && errno != ESRCH)
		log_warn("PTRACE_SETREGS %d", t->tid);
	memset(fa, 0, sizeof(*fa));
	/* Re-raise a signal kept back while the task ran nsdd's syscalls. */
	if (sig != 0)
		syscall(SYS_tkill, t->tid, sig);
	if (err != 0)
		supervisor_step_failed(t->ptask, name, s->id, -1, "%s",
		                       nsdd_errno_text(err, ebuf, sizeof(ebuf)));
	else
		supervisor_applied(t->ptask, name, s->id, result);
}

/* True if fd is open in the task (its table, as /proc/TID/fd shows it). */
static bool
fd_open_in(pid_t tid, long long fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fd/%lld", tid, fd);
	return access(path, F_OK) == 0 || errno != ENOENT;
}

void
fd_exit(struct tracee *t, long long rval, bool is_error)
{
	struct fd_apply *fa = &t->fd;
	const struct nsd_step *s = fa->s;
	const char *name;
	char ebuf[64];

	switch (fa->state) {
	case FD_OPENING:
		name = arch_syscall_name(fa->nr);
		if ((is_error && rval <= -512 && rval >= -516) || t->plan->ending) {
			/* Restarted (the step waits), or the plan is being let go. */
			memset(fa, 0, sizeof(*fa));
			return;
		}
		if (is_error) {
			memset(fa, 0, sizeof(*fa));
			supervisor_step_failed(t->ptask, name, s->id, -1, "%s",
			                       nsdd_errno_text((int)-rval, ebuf, sizeof(ebuf)));
			return;
		}
		if (rval == s->id) {
			memset(fa, 0, sizeof(*fa));
			supervisor_applied(t->ptask, name, s->id, rval);
			return;
		}
		if (fa->procfs) {
			/* The kernel was to give the fd: verify only. */
			memset(fa, 0, sizeof(*fa));
			supervisor_step_failed(t->ptask, name, s->id, rval,
			                       "mismatch: wanted fd %lld, got %lld",
			                       (long long)s->id, rval);
			return;
		}
		if (arch_get_regs(t->tid, &fa->regs) < 0) {
			memset(fa, 0, sizeof(*fa));
			return;
		}
		fa->newfd = rval;
		if (fd_open_in(t->tid, s->id) && !s->replace) {
			fa->result = -EBUSY;
			fa->err = EBUSY;
			if (!inject(t, FD_CLOSE, SYS_close, rval, 0, 0))
				memset(fa, 0, sizeof(*fa));
			return;
		}
		fa->result = s->id;
		if (!inject(t, FD_DUP, SYS_dup3, rval, s->id, fa->cloexec ? O_CLOEXEC : 0))
			memset(fa, 0, sizeof(*fa));
		return;
	case FD_DUP:
		if (is_error) {
			/* dup3 refused (EBADF over RLIMIT_NOFILE, ...): the open fails so. */
			fa->result = rval;
			fa->err = (int)-rval;
		}
		if (!inject(t, FD_CLOSE, SYS_close, fa->newfd, 0, 0))
			memset(fa, 0, sizeof(*fa));
		return;
	case FD_CLOSE:
		finish(t);
		return;
	case FD_NONE:
		return;
	}
}

bool
fd_defer_signal(struct tracee *t, int sig)
{
	if (t->fd.state != FD_DUP && t->fd.state != FD_CLOSE)
		return false;
	if (t->fd.deferred_sig == 0)
		t->fd.deferred_sig = sig;
	return true;
}
