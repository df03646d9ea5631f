/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * open steps (open, openat, openat2, creat): the next matching open returns
 * the planned fd. The kernel gives the lowest free fd; when that is not the
 * planned one, nsdd makes the task itself, stopped at the open's exit, run
 * fcntl(new, F_DUPFD or F_DUPFD_CLOEXEC as it asked, planned) and close(new):
 * the task is rewound onto its `syscall` instruction with another number and
 * arguments (x86_64: rip - 2), twice, and then every register and its signal
 * mask are put back with the planned fd as the open's result. No stray fd is
 * left.
 *
 * F_DUPFD takes the lowest free fd from the planned one up, and never
 * replaces one: if it gives another fd, the planned one was open (maybe
 * opened by another thread a moment before), and the step fails with EBUSY:
 * both new fds are closed and the open returns -EBUSY. With "replace": true,
 * dup3 replaces the old file (dup2 semantics). The task's seccomp filters are
 * asked first (filter.c); if they forbid those calls, the open keeps the fd
 * the kernel gave it and the step fails.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"

/* Whether the task asked for O_CLOEXEC: 1, 0, or -errno if nsdd cannot tell. */
static int
asked_cloexec(struct tracee *t, const struct sc_info *sc, const unsigned long long args[6])
{
	uint64_t how_flags = 0;

	switch (sc->kind) {
	case SC_OPEN:
		return (args[1] & O_CLOEXEC) != 0;
	case SC_OPENAT:
		return (args[2] & O_CLOEXEC) != 0;
	case SC_OPENAT2:
		/* struct open_how begins with u64 flags; an unreadable one fails EFAULT. */
		if (args[3] < 24)
			return 0;
		if (mem_read(t->tid, args[2], &how_flags, 8) < 0)
			return errno == EFAULT || errno == ESRCH ? 0 : -errno;
		return (how_flags & O_CLOEXEC) != 0;
	default:
		return 0; /* creat: O_CREAT|O_WRONLY|O_TRUNC */
	}
}

static void
fd_entry(struct tracee *t, const struct sc_info *sc, const unsigned long long args[6])
{
	const struct nsd_step *s = supervisor_head(t->ptask);
	struct fd_apply *fa = &t->fd;
	char path[4096];
	int cloexec;

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
	    mem_read_string(t->tid, args[sc->path_arg], path, sizeof(path)) < 0) {
		if (errno != EFAULT && errno != ENAMETOOLONG && errno != ESRCH)
			supervisor_step_failed(t->ptask, sc->name, s->id, -1,
			                       "cannot read the path it opens: %s",
			                       strerror(errno));
		return; /* the open fails for its own reasons */
	}
	if (s->path != NULL && strcmp(path, s->path) != 0)
		return; /* another file: the step waits for its path */
	if ((cloexec = asked_cloexec(t, sc, args)) < 0) {
		supervisor_step_failed(t->ptask, sc->name, s->id, -1,
		                       "cannot read its struct open_how: %s", strerror(-cloexec));
		return;
	}
	memset(fa, 0, sizeof(*fa));
	fa->state = FD_OPENING;
	fa->s = s;
	fa->nr = sc->nr;
	fa->sc = sc;
	fa->cloexec = cloexec;
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

#define PTRACE_GETSIGMASK_ 0x420a
#define PTRACE_SETSIGMASK_ 0x420b

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

/* The task's seccomp filters let it run nr(a0, a1, a2) from where it is. */
static bool
allowed(struct tracee *t, long nr, long long a0, long long a1, long long a2)
{
	uint64_t args[6] = {(uint64_t)a0, (uint64_t)a1, (uint64_t)a2, 0, 0, 0};

	return filter_allows(t->tid, &t->fd.regs, nr, args) != FILTER_DENIES;
}

/*
 * Signals that arrive while the task runs nsdd's syscalls stay queued, with
 * their siginfo, real-time ones included: every signal is blocked from the
 * open's exit until its registers are back (PTRACE_SETSIGMASK, Linux 3.11).
 */
static bool
block_signals(struct tracee *t)
{
	uint64_t all = ~0ULL;

	if (ptrace(PTRACE_GETSIGMASK_, t->tid, (void *)sizeof(uint64_t), &t->fd.sigmask) < 0)
		return false;
	return ptrace(PTRACE_SETSIGMASK_, t->tid, (void *)sizeof(uint64_t), &all) == 0;
}

/* The last syscall nsdd ran is done: the open returns, the step is settled. */
static void
finish(struct tracee *t)
{
	struct fd_apply *fa = &t->fd;
	const struct nsd_step *s = fa->s;
	const char *name = fa->sc->name;
	struct user_regs_struct r = fa->regs;
	int err = fa->err;
	long long result = fa->result;
	char ebuf[64];

	arch_set_return(&r, (long)result);
	if (arch_set_regs(t->tid, &r) < 0 && errno != ESRCH)
		log_warn("PTRACE_SETREGS %d", t->tid);
	if (ptrace(PTRACE_SETSIGMASK_, t->tid, (void *)sizeof(uint64_t), &fa->sigmask) < 0 &&
	    errno != ESRCH)
		log_warn("PTRACE_SETSIGMASK %d", t->tid);
	memset(fa, 0, sizeof(*fa));
	if (err == EBUSY)
		supervisor_step_failed(t->ptask, name, s->id, -1, "%s: fd %lld is already open",
		                       nsdd_errno_text(err, ebuf, sizeof(ebuf)), (long long)s->id);
	else if (err != 0)
		supervisor_step_failed(t->ptask, name, s->id, -1, "%s",
		                       nsdd_errno_text(err, ebuf, sizeof(ebuf)));
	else
		supervisor_applied(t->ptask, name, s->replace ? MECH_DUP3 : MECH_FCNTL, s->id,
		                   result);
}

/* The open is done and gave newfd, not the planned fd: start moving it. */
static void
move_fd(struct tracee *t, long long newfd)
{
	struct fd_apply *fa = &t->fd;
	const struct nsd_step *s = fa->s;
	const char *name = fa->sc->name;
	long long want = s->id;
	int dupfd = fa->cloexec ? F_DUPFD_CLOEXEC : F_DUPFD;
	bool ok;

	if (arch_get_regs(t->tid, &fa->regs) < 0) {
		memset(fa, 0, sizeof(*fa));
		return;
	}
	fa->newfd = newfd;
	ok = allowed(t, SYS_close, newfd, 0, 0) &&
	     (s->replace ? allowed(t, SYS_dup3, newfd, want, fa->cloexec ? O_CLOEXEC : 0)
	                 : allowed(t, SYS_fcntl, newfd, dupfd, want));
	if (!ok) {
		/* The open keeps what the kernel gave it: the task is not changed. */
		memset(fa, 0, sizeof(*fa));
		supervisor_step_failed(t->ptask, name, want, newfd,
		                       "mismatch: wanted fd %lld, got %lld; the task's seccomp "
		                       "filter forbids the %s and close that would move it",
		                       want, newfd, s->replace ? "dup3" : "fcntl");
		return;
	}
	if (!block_signals(t)) {
		memset(fa, 0, sizeof(*fa));
		return;
	}
	/* F_DUPFD never replaces: a file another thread opened on the planned
	 * fd meanwhile stays, and the step fails EBUSY. dup3 is for "replace". */
	fa->result = want;
	if (s->replace)
		ok = inject(t, FD_DUP, SYS_dup3, newfd, want, fa->cloexec ? O_CLOEXEC : 0);
	else
		ok = inject(t, FD_DUPFD, SYS_fcntl, newfd, dupfd, want);
	if (!ok) {
		ptrace(PTRACE_SETSIGMASK_, t->tid, (void *)sizeof(uint64_t), &fa->sigmask);
		memset(fa, 0, sizeof(*fa));
	}
}

/* Makes the task close fd next; if it cannot, the open's registers come back now. */
static void
close_next(struct tracee *t, enum fd_state next, long long fd)
{
	if (!inject(t, next, SYS_close, fd, 0, 0))
		finish(t);
}

static void
fd_exit(struct tracee *t, long long rval, bool is_error)
{
	struct fd_apply *fa = &t->fd;
	const struct nsd_step *s = fa->s;
	const char *name;
	char ebuf[64];

	switch (fa->state) {
	case FD_OPENING:
		name = fa->sc->name;
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
			enum mechanism how = fa->procfs ? MECH_PROCFS : MECH_NATIVE;
			memset(fa, 0, sizeof(*fa));
			supervisor_applied(t->ptask, name, how, s->id, rval);
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
		move_fd(t, rval);
		return;
	case FD_DUPFD:
		if (!is_error && rval == s->id) {
			close_next(t, FD_CLOSE, fa->newfd);
			return;
		}
		fa->err = is_error ? (int)-rval : EBUSY;
		/* EINVAL: the planned fd is beyond RLIMIT_NOFILE, as EMFILE for an open. */
		if (fa->err == EINVAL)
			fa->err = EMFILE;
		fa->result = -fa->err;
		if (!is_error && allowed(t, SYS_close, rval, 0, 0)) {
			fa->extra = rval;
			close_next(t, FD_CLOSE_EXTRA, rval);
		} else {
			close_next(t, FD_CLOSE, fa->newfd);
		}
		return;
	case FD_DUP:
		if (is_error) {
			/* dup3 refused (EBADF over RLIMIT_NOFILE, ...): the open fails so. */
			fa->result = rval;
			fa->err = (int)-rval;
		}
		close_next(t, FD_CLOSE, fa->newfd);
		return;
	case FD_CLOSE_EXTRA:
		close_next(t, FD_CLOSE, fa->newfd);
		return;
	case FD_CLOSE:
		finish(t);
		return;
	case FD_NONE:
		return;
	}
}

bool
fd_injecting(const struct tracee *t)
{
	return t->fd.state != FD_NONE && t->fd.state != FD_OPENING;
}

static bool
open_busy(const struct tracee *t)
{
	return t->fd.state != FD_NONE;
}

const struct step_ops open_steps = {fd_entry, fd_exit, open_busy, NULL};
