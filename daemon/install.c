/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mode seccomp for a running target: nsdd installs the filter itself.
 *
 * Every thread of the target is seized and stops at its syscalls. The first
 * x86_64 syscall entry of any of them is turned into
 * seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER | TSYNC | TSYNC_ESRCH, prog),
 * with prog written below the task's red zone and every signal blocked: the
 * filter goes to every thread at once, and the listener it returns is taken
 * with pidfd_getfd(2) and closed in the task. Then the call the task was
 * making is made again, now under the filter, with its registers and signal
 * mask as they were. A target without CAP_SYS_ADMIN in its user namespace
 * gets no_new_privs first, as seccomp(2) requires (nsdctl run does the same).
 * The other threads wait at their syscall entries meanwhile, so that no call
 * escapes the filter: the filter runs after the entry stop, so theirs see it.
 */
#include "config.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "log.h"
#include "nsdd.h"
#include "task.h"
#include "ns.h"

static const struct step_ops install_steps;

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
/* TSYNC_ESRCH (Linux 5.7) lets TSYNC go with NEW_LISTENER: a thread that
 * cannot take the filter fails the call with ESRCH, not with its tid. */
#define INSTALL_FLAGS                                                                              \
	(SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC |                            \
	 SECCOMP_FILTER_FLAG_TSYNC_ESRCH)

/* WAITING: held at its entry while another thread installs the filter. */
enum install_state { WAITING, FILTER, NNP, CLOSE };

struct install_step {
	struct inflight f;
	enum install_state state;
	struct user_regs_struct regs; /* at the entry that became seccomp() */
	uint64_t sigmask;
	unsigned long long prog; /* its struct sock_fprog, below the red zone */
	bool nnp;
};

static struct install_step *
install_step(struct task *t)
{
	return (struct install_step *)t->step;
}

/* The task's own call is made again, under the filter now, as it was. */
static void
put_back(struct task *t, struct install_step *is)
{
	struct user_regs_struct r = is->regs;

	arch_rewind(&r, arch_nr(&is->regs));
	t->drv->set_regs(t, &r);
	t->drv->set_sigmask(t, &is->sigmask, NULL);
	step_end(t);
}

static void
install_abandon(struct task *t)
{
	struct filter_job *job = plan_filter(t->plan);

	if (job != NULL && job->installer == t->tid) {
		job->installer = 0; /* the next thread at an entry takes over */
		ns_wake();
	}
	step_end(t);
}

/* The task's own seccomp filters let it make nr(a0, a1, a2): an injected
 * call they forbid could kill it (SECCOMP_RET_KILL). */
static bool
allowed(struct task *t, const struct user_regs_struct *regs, long nr, uint64_t a0, uint64_t a1,
        uint64_t a2)
{
	const uint64_t args[6] = {a0, a1, a2, 0, 0, 0};

	return t->drv->allows(t, regs, nr, args) != FILTER_DENIES;
}

/* Writes the filter into the task and makes its call seccomp(): 0, or -1
 * with errno (EPERM: the task's own filters forbid it, and nothing was
 * changed; ESRCH: the task is gone). */
static int
start(struct task *t, struct install_step *is, struct filter_job *job)
{
	size_t bytes = job->len * sizeof(struct sock_filter);
	struct sock_fprog prog = {job->len, NULL};
	struct mem_op ops[2];
	struct user_regs_struct r;
	uint64_t all = ~0ULL;

	if (t->drv->get_regs(t, &is->regs) < 0)
		return -1;
	is->prog = arch_scratch(&is->regs, sizeof(prog) + bytes);
	/* close's fd is not known yet: the one its entry had stands for it. */
	if (!allowed(t, &is->regs, SYS_seccomp, SECCOMP_SET_MODE_FILTER, INSTALL_FLAGS, is->prog) ||
	    !allowed(t, &is->regs, SYS_close, arch_arg(&is->regs, 0), 0, 0)) {
		errno = EPERM;
		return -1;
	}
	prog.filter = (struct sock_filter *)(uintptr_t)(is->prog + sizeof(prog));
	ops[0] = (struct mem_op){MEM_WRITE, is->prog, &prog, sizeof(prog)};
	ops[1] = (struct mem_op){MEM_WRITE, is->prog + sizeof(prog), job->prog, bytes};
	if (t->drv->mem(t, ops, 2) < 0 || t->drv->set_sigmask(t, &all, &is->sigmask) < 0)
		return -1;
	r = is->regs;
	arch_set_nr(&r, SYS_seccomp);
	arch_set_arg(&r, 0, SECCOMP_SET_MODE_FILTER);
	arch_set_arg(&r, 1, INSTALL_FLAGS);
	arch_set_arg(&r, 2, is->prog);
	if (t->drv->set_regs(t, &r) < 0) {
		t->drv->set_sigmask(t, &is->sigmask, NULL);
		errno = ESRCH;
		return -1;
	}
	is->state = FILTER;
	job->installer = t->tid;
	return 0;
}

/* At any syscall entry of the target's while its filter is to be installed;
 * again (sc NULL) when a held task is let try again. */
static void
install_entry(struct task *t, const struct nsd_syscall *sc, const unsigned long long args[6])
{
	struct filter_job *job = plan_filter(t->plan);
	char ebuf[64], msg[256];

	(void)args;
	if (job == NULL) {
		/* The filter is in (the call goes on, and through it), or the plan ended. */
		if (t->step != NULL)
			step_end(t);
		return;
	}
	if (t->step == NULL)
		step_start(t, &install_steps, sizeof(struct install_step), sc, NULL);
	if (job->installer != 0) {
		t->drv->hold(t);
		return;
	}
	if (start(t, install_step(t), job) < 0) {
		step_end(t);
		if (errno == EPERM)
			plan_up->filter_failed(
			    t->plan, t->tid,
			    "its own seccomp filter forbids seccomp(2) or close(2)");
		else if (errno != ESRCH) {
			snprintf(msg, sizeof(msg), "cannot write the filter below its stack: %s",
			         nsdd_errno_text(errno, ebuf, sizeof(ebuf)));
			plan_up->filter_failed(t->plan, t->tid, msg);
		}
	}
}

static bool
run(struct task *t, struct install_step *is, const struct user_regs_struct *at,
    enum install_state next, long nr, unsigned long long a0, unsigned long long a1,
    unsigned long long a2)
{
	if (t->drv->run_syscall(t, at, nr, a0, a1, a2) < 0)
		return false;
	is->state = next;
	return true;
}

/* seccomp(2) wants CAP_SYS_ADMIN or no_new_privs: the task gets the latter. */
static bool
set_nnp(struct task *t, struct install_step *is)
{
	struct user_regs_struct r = is->regs;

	if (!allowed(t, &r, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0))
		return false;
	arch_set_arg(&r, 3, 0);
	arch_set_arg(&r, 4, 0);
	return run(t, is, &r, NNP, SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0);
}

static void
install_exit(struct task *t, long long rval, bool is_error)
{
	struct install_step *is = install_step(t);
	struct plan *plan = t->plan;
	pid_t tid = t->tid;
	char ebuf[64], msg[256];

	if (is->state == FILTER && is_error && rval == -EACCES && !is->nnp && set_nnp(t, is))
		return;
	if (is->state == CLOSE || !is_error) {
		if (is->state == NNP) {
			is->nnp = true;
			if (run(t, is, &is->regs, FILTER, SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			        INSTALL_FLAGS, is->prog))
				return;
		} else if (is->state == FILTER) {
			/* Taken even if the plan ended meanwhile: closed, its
			 * tasks' targeted calls would fail ENOSYS. */
			plan_up->filter_in(plan, tid, (int)rval);
			if (run(t, is, &is->regs, CLOSE, SYS_close, (unsigned long long)rval, 0, 0))
				return;
		}
		put_back(t, is);
		return;
	}
	put_back(t, is);
	snprintf(msg, sizeof(msg), "%s: %s",
	         is->state == NNP ? "prctl(PR_SET_NO_NEW_PRIVS)" : "seccomp(2)",
	         rval == -ESRCH   ? "a thread of it has a seccomp filter of its own"
	         : rval == -EBUSY ? "a seccomp filter of it already has a listener"
	                          : nsdd_errno_text((int)-rval, ebuf, sizeof(ebuf)));
	plan_up->filter_failed(plan, tid, msg);
}

static const struct step_ops install_steps = {install_entry, NULL, install_exit, install_abandon};

/* Mode seccomp, a running target: until the filter is in, the plan's kind
 * is this one, and any call of its tasks installs it. */
static bool
install_any(struct task *t, long nr, const unsigned long long args[6])
{
	(void)nr;
	(void)args;
	install_entry(t, NULL, NULL);
	return false;
}

const struct plan_kind install_kind = {
    .name = "install",
    .every_call = true,
    .stops = step_stops_syscalls,
    .entry = install_any,
};
