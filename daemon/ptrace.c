/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ptrace driver: the table through which the plan room (attach, listen,
 * let go) and the step handlers (registers, memory, a syscall run in the
 * task, ...) act on the tasks the ptrace engine holds (tracer.c, tracee.c,
 * attach.c, notify.c). Only the plan room names it, when it starts a plan;
 * a tracee takes its plan's driver. A second driver is a file like this one.
 */
#include "config.h"

#include <errno.h>
#include <sys/ptrace.h>

#include "log.h"
#include "tracer.h"
#include "tracing.h"
#include "unotify.h"

static struct tracee *
tracee_of(struct task *t)
{
	return (struct tracee *)t; /* struct task is a tracee's first member */
}

static int
get_regs(struct task *t, struct user_regs_struct *r)
{
	return arch_get_regs(t->tid, r);
}

static int
set_regs(struct task *t, const struct user_regs_struct *r)
{
	if (arch_set_regs(t->tid, r) == 0)
		return 0;
	if (errno != ESRCH)
		log_warn("PTRACE_SETREGS %d", t->tid);
	return -1;
}

static enum filter_verdict
allows(struct task *t, const struct user_regs_struct *r, long nr, const uint64_t args[6])
{
	return filter_allows(t->tid, r, nr, args);
}

static int
mem(struct task *t, struct mem_op *ops, size_t n)
{
	if (!plan_may_read(t->plan)) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (mem_access(t->tid, ops, n) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		plan_stalled(t->plan); /* tracer.c reports it after the stop */
	return -1;
}

/* From the exit stop: rewound onto the `syscall` instruction with nr's
 * number and arguments. Its entry stop is nsdd's, and its exit the step's. */
static int
run_syscall(struct task *t, const struct user_regs_struct *at, long nr, unsigned long long a0,
            unsigned long long a1, unsigned long long a2)
{
	struct user_regs_struct r = *at;

	arch_inject(&r, nr, a0, a1, a2);
	if (arch_set_regs(t->tid, &r) < 0)
		return -1;
	tracee_of(t)->injecting = true;
	return 0;
}

static int
set_sigmask(struct task *t, const uint64_t *set, uint64_t *old)
{
	return tracee_sigmask(t->tid, set, old);
}

static void
hush(struct task *task)
{
	tracee_hush(tracee_of(task));
}

static void
hold(struct task *task)
{
	struct tracee *t = tracee_of(task);

	if (!t->held) {
		t->held = true;
		TAILQ_INSERT_TAIL(&held, t, hold_entry);
	}
}

static void
trace_forks(struct task *task, bool on)
{
	struct tracee *t = tracee_of(task);

	/* A tree served next_syscall_data, or recorded, is followed whole. */
	on |= plan_follows(task->plan);
	tracee_set_options(t, on ? t->options | OPT_FORK : t->options & ~(unsigned)OPT_FORK);
}

static void
child_regs(struct task *task, const struct user_regs_struct *r)
{
	struct tracee *t = tracee_of(task);

	t->fix_children = r != NULL;
	if (r != NULL)
		t->children_regs = *r;
}

static void
let_go(struct task *child)
{
	if (!plan_follows(child->plan))
		tracee_of(child)->detach_wanted = true;
}

const struct driver ptrace_driver = {
    .attach = tracer_attach,
    .listen = tracer_listen,
    .listen_own = tracer_listen_fd,
    .let_go_all = tracer_let_go,
    .ended = tracer_plan_ended,
    .untraced_gone = unotify_task_gone,
    .get_regs = get_regs,
    .set_regs = set_regs,
    .mem = mem,
    .allows = allows,
    .run_syscall = run_syscall,
    .set_sigmask = set_sigmask,
    .hush = hush,
    .hold = hold,
    .trace_forks = trace_forks,
    .child_regs = child_regs,
    .let_go = let_go,
};
