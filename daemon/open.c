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
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"
#include "task.h"

/* An open step in flight: the task's own call, then the syscalls that nsdd
 * makes the task run (fcntl F_DUPFD or dup3, close), then its registers and
 * signal mask back. */
enum open_state { OPENING, DUPFD, DUP, CLOSE_EXTRA, CLOSE };

struct open_step {
	struct inflight f;
	enum open_state state;
	bool procfs;                  /* next_syscall_data was written instead */
	bool cloexec;                 /* the task asked for O_CLOEXEC */
	struct user_regs_struct regs; /* at the open's exit */
	long long newfd;              /* what the open returned */
	long long result;             /* what the task will see */
	int err;                      /* the step fails with this errno */
	uint64_t sigmask;             /* the task's own, while nsdd blocks all */
};

static struct open_step *
open_step(struct task *t)
{
	return (struct open_step *)t->step;
}

/* Whether the task asked for O_CLOEXEC: 1, 0, or -1 with errno if nsdd cannot tell. */
static int
asked_cloexec(struct task *t, const struct nsd_syscall *sc, const unsigned long long args[6])
{
	uint64_t flags = sc->fixed_flags;
	struct mem_op op = {MEM_READ, 0, &flags, sizeof(flags)};

	if (sc->flags_arg < 0)
		return (flags & sc->cloexec) != 0;
	if (!sc->flags_in_how)
		return (args[sc->flags_arg] & sc->cloexec) != 0;
	/* struct open_how begins with u64 flags; a short or unreadable one
	 * fails (E2BIG, EFAULT) with no fd. */
	if (args[sc->flags_arg + 1] < 24)
		return 0;
	op.addr = args[sc->flags_arg];
	if (t->drv->mem(t, &op, 1) < 0)
		return errno == EFAULT || errno == ESRCH ? 0 : -1;
	return (flags & sc->cloexec) != 0;
}

/* Whether the open is the step's: its path, if the step names one. */
static bool
is_the_path(struct task *t, const struct nsd_syscall *sc, const struct nsd_step *s,
            const unsigned long long args[6])
{
	char path[4096];
	struct mem_op op = {MEM_STRING, args[sc->path_arg], path, sizeof(path)};

	if (s->path == NULL)
		return true;
	if (t->drv->mem(t, &op, 1) < 0) {
		if (errno != EFAULT && errno != ENAMETOOLONG && errno != ESRCH)
			step_failed(t, s, sc->name, s->id, -1, "cannot read the path it opens: %s",
			            strerror(errno));
		return false; /* the open fails for its own reasons */
	}
	return strcmp(path, s->path) == 0; /* another file: the step waits for its path */
}

static void
open_entry(struct task *t, const struct nsd_syscall *sc, const unsigned long long args[6])
{
	const struct nsd_step *s = step_head(t, sc, NSD_CALL_OPEN, NULL);
	struct open_step *os;
	int cloexec;

	if (s == NULL || !is_the_path(t, sc, s, args))
		return;
	os = step_start(t, &open_steps, sizeof(*os), sc, s);
	s = os->f.s;
	if ((cloexec = asked_cloexec(t, sc, args)) < 0) {
		step_failed(t, s, sc->name, s->id, -1, "cannot read its struct open_how: %s",
		            strerror(errno));
		step_end(t);
		return;
	}
	if (plan_backend(t->plan) == BACKEND_PROCFS &&
	    !step_procfs_write(t, sc->name, s, &s->id, 1)) {
		step_end(t);
		return;
	}
	os->state = OPENING;
	os->cloexec = cloexec;
	os->procfs = plan_backend(t->plan) == BACKEND_PROCFS;
}

/* Makes the task, stopped at a syscall exit, run nr(a0, a1, a2) next. */
static bool
run(struct task *t, struct open_step *os, enum open_state next, long nr, long long a0, long long a1,
    long long a2)
{
	if (t->drv->run_syscall(t, &os->regs, nr, (unsigned long long)a0, (unsigned long long)a1,
	                        (unsigned long long)a2) < 0)
		return false;
	os->state = next;
	return true;
}

/* The task's seccomp filters let it run nr(a0, a1, a2) from where it is. */
static bool
allowed(struct task *t, struct open_step *os, long nr, long long a0, long long a1, long long a2)
{
	uint64_t args[6] = {(uint64_t)a0, (uint64_t)a1, (uint64_t)a2, 0, 0, 0};

	return t->drv->allows(t, &os->regs, nr, args) != FILTER_DENIES;
}

/* The last syscall nsdd ran is done: the open returns, the step is settled. */
static void
finish(struct task *t, struct open_step *os)
{
	const struct nsd_step *s = os->f.s;
	const char *name = os->f.sc->name;
	struct user_regs_struct r = os->regs;
	int err = os->err;
	long long result = os->result;
	char ebuf[64];

	arch_set_return(&r, (long)result);
	t->drv->set_regs(t, &r);
	t->drv->set_sigmask(t, &os->sigmask, NULL);
	step_end(t);
	if (err == EBUSY)
		step_failed(t, s, name, s->id, -1, "%s: fd %lld is already open",
		            nsdd_errno_text(err, ebuf, sizeof(ebuf)), (long long)s->id);
	else if (err != 0)
		step_failed(t, s, name, s->id, -1, "%s", nsdd_errno_text(err, ebuf, sizeof(ebuf)));
	else
		step_applied(t, s, name, s->replace ? MECH_DUP3 : MECH_FCNTL, s->id, result);
}

/*
 * Signals that arrive while the task runs nsdd's syscalls stay queued, with
 * their siginfo, real-time ones included: every signal is blocked from the
 * open's exit until its registers are back.
 */
static bool
block_signals(struct task *t, struct open_step *os)
{
	uint64_t all = ~0ULL;

	return t->drv->set_sigmask(t, &all, &os->sigmask) == 0;
}

/* The open is done and gave newfd, not the planned fd: start moving it. */
static void
move_fd(struct task *t, struct open_step *os, long long newfd)
{
	const struct nsd_step *s = os->f.s;
	const char *name = os->f.sc->name;
	long long want = s->id;
	int dupfd = os->cloexec ? F_DUPFD_CLOEXEC : F_DUPFD;
	bool ok;

	if (t->drv->get_regs(t, &os->regs) < 0) {
		step_end(t);
		return;
	}
	os->newfd = newfd;
	ok = allowed(t, os, SYS_close, newfd, 0, 0) &&
	     (s->replace ? allowed(t, os, SYS_dup3, newfd, want, os->cloexec ? O_CLOEXEC : 0)
	                 : allowed(t, os, SYS_fcntl, newfd, dupfd, want));
	if (!ok) {
		/* The open keeps what the kernel gave it: the task is not changed. */
		step_end(t);
		step_failed(t, s, name, want, newfd,
		            "mismatch: wanted fd %lld, got %lld; the task's seccomp filter forbids "
		            "the %s and close that would move it",
		            want, newfd, s->replace ? "dup3" : "fcntl");
		return;
	}
	if (!block_signals(t, os)) {
		step_end(t);
		return;
	}
	/* F_DUPFD never replaces: a file another thread opened on the planned
	 * fd meanwhile stays, and the step fails EBUSY. dup3 is for "replace". */
	os->result = want;
	if (s->replace)
		ok = run(t, os, DUP, SYS_dup3, newfd, want, os->cloexec ? O_CLOEXEC : 0);
	else
		ok = run(t, os, DUPFD, SYS_fcntl, newfd, dupfd, want);
	if (!ok) {
		t->drv->set_sigmask(t, &os->sigmask, NULL);
		step_end(t);
	}
}

/* Makes the task close fd next; if it cannot, the open's registers come back now. */
static void
close_next(struct task *t, struct open_step *os, enum open_state next, long long fd)
{
	if (!run(t, os, next, SYS_close, fd, 0, 0))
		finish(t, os);
}

/* The task's own open returned. */
static void
opened(struct task *t, struct open_step *os, long long rval, bool is_error)
{
	const struct nsd_step *s = os->f.s;
	const char *name = os->f.sc->name;
	enum mechanism how = os->procfs ? MECH_PROCFS : MECH_NATIVE;
	bool procfs = os->procfs;
	char ebuf[64];

	if ((is_error && nsdd_restarts(rval)) || plan_ending(t->plan)) {
		/* Restarted (the step waits), or the plan is being let go. */
		step_again(t);
	} else if (is_error) {
		step_end(t);
		step_failed(t, s, name, s->id, -1, "%s",
		            nsdd_errno_text((int)-rval, ebuf, sizeof(ebuf)));
	} else if (rval == s->id) {
		step_end(t);
		step_applied(t, s, name, how, s->id, rval);
	} else if (procfs) {
		/* The kernel was to give the fd: verify only. */
		step_end(t);
		step_failed(t, s, name, s->id, rval, "mismatch: wanted fd %lld, got %lld",
		            (long long)s->id, rval);
	} else {
		move_fd(t, os, rval);
	}
}

static void
open_exit(struct task *t, long long rval, bool is_error)
{
	struct open_step *os = open_step(t);
	const struct nsd_step *s = os->f.s;

	switch (os->state) {
	case OPENING:
		opened(t, os, rval, is_error);
		return;
	case DUPFD:
		if (!is_error && rval == s->id) {
			close_next(t, os, CLOSE, os->newfd);
			return;
		}
		os->err = is_error ? (int)-rval : EBUSY;
		/* EINVAL: the planned fd is beyond RLIMIT_NOFILE, as EMFILE for an open. */
		if (os->err == EINVAL)
			os->err = EMFILE;
		os->result = -os->err;
		if (!is_error && allowed(t, os, SYS_close, rval, 0, 0))
			close_next(t, os, CLOSE_EXTRA, rval); /* F_DUPFD gave another fd */
		else
			close_next(t, os, CLOSE, os->newfd);
		return;
	case DUP:
		if (is_error) {
			/* dup3 refused (EBADF over RLIMIT_NOFILE, ...): the open fails so. */
			os->result = rval;
			os->err = (int)-rval;
		}
		close_next(t, os, CLOSE, os->newfd);
		return;
	case CLOSE_EXTRA:
		close_next(t, os, CLOSE, os->newfd);
		return;
	case CLOSE:
		finish(t, os);
		return;
	}
}

const struct step_ops open_steps = {open_entry, NULL, open_exit, step_end};
