/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fork and thread steps: make the next fork, vfork, clone or clone3 of a task
 * produce the planned pid.
 *
 * First choice: rewrite the call, while the task is stopped at syscall entry,
 * into clone3(2) with set_tid (Linux 5.5), with the same flags, stack and
 * pointers. That needs CAP_CHECKPOINT_RESTORE (or CAP_SYS_ADMIN) in the task's
 * own user namespace, and a seccomp filter that lets clone3 through
 * (filter.c). If the rewritten call fails in any way, the task is rewound to
 * make its original syscall again, and that time nsdd writes ns_last_pid
 * inside the child's pid namespace first (ns.c), and puts it back if
 * no fork took it: the task's own call decides the result.
 *
 * Either way the registers the task and its child see are put back as the
 * task made the call, and the child's pids are read back from NSpid.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "../lib/filter.h"
#include "log.h"
#include "clone3.h"
#include "ns.h"

#define CSIGNAL_MASK 0xffULL

/* How a fork step is being made to happen. */
enum fork_how {
	FORK_WAITING,  /* held for a namespace lock */
	FORK_NATIVE,   /* the call runs as made: the kernel or the restorer gives the pid */
	FORK_CLONE3,   /* rewritten into clone3 with set_tid */
	FORK_LAST_PID, /* ns_last_pid written first */
	FORK_REFUSE,   /* the call is skipped and fails with refuse_errno */
	FORK_RETRY     /* the rewritten clone3 failed: the task makes its call again */
};

struct fork_step {
	struct inflight f;
	enum fork_how how;
	uint64_t flags;               /* the call's clone flags */
	struct user_regs_struct regs; /* at entry, as the task made it */
	bool modified;                /* registers differ from regs */
	bool decided;                 /* the fork event settled the step */
	int refuse_errno;
	int fallback; /* this try follows a clone3 that failed with this errno */
	struct ns *locks[NSD_MAX_LEVELS];
	size_t nlocks;
	int32_t old_last[NSD_MAX_LEVELS]; /* ns_last_pid before nsdd set it */
	/* The task's bytes that the clone3 arguments cover, put back once the
	 * kernel has read the arguments. */
	unsigned long long saved_addr;
	size_t saved_len;
	unsigned char saved[NSD_MAX_LEVELS * sizeof(int32_t) + NSD_OWN_CLONE3_SIZE];
};

static struct fork_step *
fork_step(struct task *t)
{
	return (struct fork_step *)t->step;
}

static bool
set_regs(struct task *t, struct fork_step *fs, const struct user_regs_struct *r)
{
	if (t->drv->set_regs(t, r) < 0)
		return false;
	fs->modified = true;
	t->drv->child_regs(t, &fs->regs);
	return true;
}

/* Makes the syscall fail with err without running it: nr -1 skips it. */
static void
refuse(struct task *t, struct fork_step *fs, int err)
{
	struct user_regs_struct r = fs->regs;

	fs->how = FORK_REFUSE;
	fs->refuse_errno = err;
	arch_set_nr(&r, -1);
	set_regs(t, fs, &r);
}

/* Puts back the task's bytes that the clone3 arguments covered, in who's memory. */
static void
put_back_stack(struct fork_step *fs, struct task *who)
{
	struct mem_op op = {MEM_WRITE, fs->saved_addr, fs->saved, fs->saved_len};

	if (fs->saved_len > 0 && who->drv->mem(who, &op, 1) < 0 && errno != ESRCH)
		log_warn("task %d: cannot put back %zu bytes below its stack", who->tid,
		         fs->saved_len);
}

/* Writes set_tid and clone_args below the red zone and points the call at them. */
static bool
rewrite_clone3(struct task *t, struct fork_step *fs, struct clone_args_v2 *ca)
{
	const struct nsd_step *s = fs->f.s;
	struct user_regs_struct r = fs->regs;
	int32_t set_tid[NSD_MAX_LEVELS] = {0};
	unsigned char own[NSD_OWN_CLONE3_SIZE] = {0}; /* *ca, zero-padded */
	unsigned long long base = arch_scratch(&r, sizeof(set_tid) + sizeof(own));
	uint64_t args[6] = {base + sizeof(set_tid), sizeof(own), 0, 0, 0, 0};
	/* One round trip: save the bytes, then write over them. */
	struct mem_op ops[3] = {{MEM_READ, base, fs->saved, sizeof(fs->saved)},
	                        {MEM_WRITE, base, set_tid, sizeof(set_tid)},
	                        {MEM_WRITE, base + sizeof(set_tid), own, sizeof(own)}};

	/* Docker's default profile, for one, fails clone3 with ENOSYS. */
	if (t->drv->allows(t, &r, SYS_clone3, args) == FILTER_DENIES) {
		log_debug("task %d: its seccomp filter does not let clone3 through", t->tid);
		return false;
	}
	memcpy(set_tid, s->pids, s->npids * sizeof(int32_t));
	ca->flags &= ~(uint64_t)CLONE_UNTRACED; /* nsdd must see the child to restore it */
	ca->set_tid = base;
	ca->set_tid_size = s->npids;
	memcpy(own, ca, sizeof(*ca));
	/* Below the red zone is no one's by the ABI, yet a small stack may end
	 * there and other data begin: the bytes are saved and put back. */
	fs->saved_len = sizeof(fs->saved);
	fs->saved_addr = base;
	if (t->drv->mem(t, ops, 3) < 0) {
		log_debug("task %d: cannot write clone3 args below its stack: %s", t->tid,
		          strerror(errno));
		put_back_stack(fs, t);
		fs->saved_len = 0;
		return false;
	}
	arch_set_nr(&r, SYS_clone3);
	arch_set_arg(&r, 0, base + sizeof(set_tid));
	arch_set_arg(&r, 1, sizeof(own));
	if (!set_regs(t, fs, &r))
		return false;
	fs->how = FORK_CLONE3;
	return true;
}

/* No fork took the pids that nsdd prepared: ns_last_pid gets its value back. */
static void
put_back_last_pid(struct fork_step *fs)
{
	size_t i;

	for (i = 0; i < fs->nlocks; i++)
		if (fs->locks[i] != NULL && fs->old_last[i] >= 0)
			ns_put_back_last_pid(fs->locks[i], fs->f.s->pids[i], fs->old_last[i],
			                     false);
}

/* The step's namespaces are unlocked and given back (ns.c). */
static void
unlock(struct task *t, struct fork_step *fs)
{
	size_t i;

	if (fs->nlocks > 0) {
		ns_unlock(fs->locks, fs->nlocks, t);
		for (i = 0; i < fs->nlocks; i++)
			ns_put(fs->locks[i]);
		fs->nlocks = 0;
	}
}

/* Without set_tid: ns_last_pid = want - 1 in each level's namespace. */
static void
via_last_pid(struct task *t, struct fork_step *fs)
{
	const struct nsd_step *s = fs->f.s;
	struct ns *ns[NSD_MAX_LEVELS];
	bool newpid = fs->flags & CLONE_NEWPID;
	size_t i;

	if (newpid && s->pids[0] != 1) {
		/* A new namespace's first pid is 1: the plan cannot be met. The call
		 * runs as the task made it; its result fails the step. */
		fs->how = FORK_NATIVE;
		return;
	}
	if (ns_child_pidns(t->tid, newpid, s->npids, t->plan, plan_owner(t->plan), NULL, ns) < 0) {
		refuse(t, fs, errno);
		return;
	}
	if (!ns_lock(ns, s->npids, t)) {
		for (i = 0; i < s->npids; i++)
			ns_put(ns[i]);
		t->drv->hold(t);
		return;
	}
	memcpy(fs->locks, ns, s->npids * sizeof(ns[0]));
	fs->nlocks = s->npids;
	for (i = 0; i < s->npids; i++)
		fs->old_last[i] = -1;
	for (i = 0; i < s->npids; i++) {
		if (ns[i] == NULL)
			continue; /* CLONE_NEWPID: the new namespace starts at 1 */
		if (ns_set_last_pid(ns[i], s->pids[i], &fs->old_last[i]) < 0) {
			int err = errno;
			put_back_last_pid(fs);
			unlock(t, fs);
			refuse(t, fs, err);
			return;
		}
	}
	fs->how = FORK_LAST_PID;
	/* The child must be traced to be verified and restored. */
	if (fs->f.sc->sc == NSD_SC_CLONE && (fs->flags & CLONE_UNTRACED)) {
		struct user_regs_struct r = fs->regs;
		arch_set_arg(&r, 0, arch_arg(&r, 0) & ~(unsigned long long)CLONE_UNTRACED);
		set_regs(t, fs, &r);
	}
	log_debug("task %d: ns_last_pid set for pid %d", t->tid, s->pids[0]);
}

/* The call's clone flags, in *ca: 0, or -1 with errno as
 * fork_read_clone3_args() sets it (fork_refused(): nothing to apply). */
static int
flags_of(struct task *t, const struct nsd_syscall *sc, const unsigned long long args[6],
         struct clone_args_v2 *ca)
{
	if (sc->sc == NSD_SC_CLONE3)
		return fork_read_clone3_args(t, args, ca);
	if (sc->sc == NSD_SC_CLONE && fork_clone_refused(args[0] & 0xffffffffULL)) {
		errno = EINVAL; /* the kernel's to give, and no step's */
		return -1;
	}
	if (!fork_clone3_args(sc->sc, args, ca))
		ca->flags = args[0] & ~CSIGNAL_MASK;
	return 0;
}

/* How the step is to be applied, now that the call is its own. */
static void
apply(struct task *t, struct fork_step *fs, bool own_args, struct clone_args_v2 *ca,
      const unsigned long long args[6])
{
	const struct nsd_step *s = fs->f.s;
	const struct nsd_syscall *sc = fs->f.sc;

	/* copy_process() gives up at any pending signal and the fork is made
	 * again, and each signal costs a traced task stops: a steady stream
	 * of them would keep it from ever being made (bench/signals). They
	 * wait for the fork's event or exit, as natively one that comes
	 * during the fork waits for its end. */
	t->drv->hush(t);
	if (plan_backend(t->plan) == BACKEND_PROCFS) {
		int64_t v[NSD_MAX_LEVELS];
		size_t i;
		for (i = 0; i < s->npids; i++)
			v[i] = s->pids[i];
		/* Unlike other calls, a fork that would not get its pid is not made. */
		if (procfs_write(t->tid, v, s->npids) < 0)
			refuse(t, fs, errno);
		else
			fs->how = FORK_NATIVE; /* the kernel does it; the fork event verifies */
		return;
	}
	if (own_args && ca->set_tid_size != 0) {
		/* The restorer picked its own pids: let it, and verify them. */
		fs->how = FORK_NATIVE;
		return;
	}
	if (!t->no_set_tid && fs->fallback == 0 &&
	    (own_args || fork_clone3_args(sc->sc, args, ca)) && rewrite_clone3(t, fs, ca)) {
		log_debug("task %d: %s rewritten to clone3 with set_tid %d", t->tid, sc->name,
		          s->pids[0]);
		return;
	}
	via_last_pid(t, fs);
}

/* The task makes its call again after the rewritten clone3 failed: the
 * same step, this time with ns_last_pid. */
static void
again(struct task *t, struct fork_step *fs, const struct nsd_syscall *sc,
      const unsigned long long args[6])
{
	int fallback = fs->fallback;
	struct clone_args_v2 ca;

	memset((char *)fs + sizeof(fs->f), 0, sizeof(*fs) - sizeof(fs->f));
	fs->fallback = fallback;
	fs->f.sc = sc;
	if (!step_still_wanted(t) || flags_of(t, sc, args, &ca) != 0 ||
	    t->drv->get_regs(t, &fs->regs) < 0) {
		step_end(t);
		return;
	}
	fs->flags = ca.flags | ca.exit_signal;
	apply(t, fs, sc->sc == NSD_SC_CLONE3, &ca, args);
}

/*
 * At entry of a fork-kind syscall of a task whose plan task has pending
 * steps. sc == NULL retries a task that was held for a namespace lock.
 */
static void
fork_entry(struct task *t, const struct nsd_syscall *sc, const unsigned long long args[6])
{
	struct fork_step *fs = fork_step(t);
	const struct nsd_step *s;
	struct clone_args_v2 ca;
	char made[32];
	bool thread;

	if (sc == NULL) {
		/* Retry after a lock wait: the entry was already examined. */
		if (step_still_wanted(t))
			via_last_pid(t, fs);
		else
			step_end(t);
		return;
	}
	if (fs != NULL && fs->how == FORK_RETRY) {
		again(t, fs, sc, args);
		return;
	}
	if ((s = step_peek(t)) == NULL)
		return;
	if (flags_of(t, sc, args, &ca) < 0) {
		if (!fork_refused(errno) &&
		    (s->call == NSD_CALL_ANY || nsd_call_creates_task(s->call))) {
			int err = errno; /* step_start() may change it */
			fs = step_start(t, &fork_steps, sizeof(*fs), sc, s);
			step_failed(t, fs->f.s, sc->name, s->npids ? s->pids[0] : s->id, -1,
			            "cannot read its clone3 arguments: %s", strerror(err));
			step_end(t);
		}
		return;
	}
	thread = ca.flags & CLONE_THREAD;
	snprintf(made, sizeof(made), "%s (a %s)", sc->name, thread ? "thread" : "fork");
	s = step_head(t, sc, thread ? NSD_CALL_THREAD : NSD_CALL_FORK, made);
	t->drv->trace_forks(t, s != NULL);
	if (s == NULL)
		return;
	fs = step_start(t, &fork_steps, sizeof(*fs), sc, s);
	if (t->drv->get_regs(t, &fs->regs) < 0) {
		step_end(t);
		return;
	}
	fs->flags = ca.flags | ca.exit_signal;
	apply(t, fs, sc->sc == NSD_SC_CLONE3, &ca, args);
}

static enum mechanism
mechanism_of(const struct task *t, const struct fork_step *fs)
{
	if (plan_backend(t->plan) == BACKEND_PROCFS)
		return MECH_PROCFS;
	switch (fs->how) {
	case FORK_CLONE3:
		return MECH_CLONE3;
	case FORK_LAST_PID:
		return MECH_NS_LAST_PID;
	default:
		return MECH_NATIVE; /* the restorer's own set_tid */
	}
}

/* The child's pids against the plan's: the step is applied or failed. */
static void
verify(struct task *t, struct fork_step *fs, struct task *c)
{
	const struct nsd_step *s = fs->f.s;
	const char *name = fs->f.sc->name;
	int32_t got[NSD_MAX_LEVELS];
	size_t i, ngot;
	char ebuf[64];

	if (nsdd_nspids(c->tid, got, NSD_MAX_LEVELS, &ngot) < 0) {
		/* nsdd's own failure (out of fds, say), never a wrong pid. */
		c->drv->let_go(c);
		step_failed(t, s, name, s->pids[0], -1, "nsdd cannot read the pids of child %d: %s",
		            c->tid, nsdd_errno_text(errno, ebuf, sizeof(ebuf)));
		return;
	}
	for (i = 0; i < s->npids; i++)
		if (i >= ngot || got[i] != s->pids[i])
			break;
	if (s->call == NSD_CALL_FORK)
		plan_keep(t->plan, c->tid);
	if (i < s->npids) {
		long long g = i < ngot ? got[i] : -1;
		c->drv->let_go(c);
		step_failed(t, s, name, s->pids[i], g,
		            "mismatch: wanted pid %d, got %lld (namespace level %zu)", s->pids[i],
		            g, i);
		return;
	}
	/* The child is a task the plan names, with steps of its own, or is let go. */
	if (!plan_up->bind(plan_ptask(t->plan, s->pids[0]), c))
		c->drv->let_go(c);
	step_applied(t, s, name, mechanism_of(t, fs), s->pids[0], s->pids[0]);
}

/* Puts the task's registers back as it made the call, with its result. */
static void
restore(struct task *t, struct fork_step *fs, long long rval)
{
	struct user_regs_struct r = fs->regs;

	if (!fs->modified)
		return;
	arch_set_return(&r, (long)rval);
	t->drv->set_regs(t, &r);
}

/*
 * The fork event: the child exists, so its pids are settled and the
 * namespaces are free again. The step is decided and ends here, not at
 * syscall exit: a task killed or replaced by another thread's execve after
 * creating the child never reaches its exit, yet the child has the pid it
 * has. The kernel has read the call's arguments, and stores the result over
 * the register put back here, so the task needs no exit stop for this step.
 */
static void
fork_event(struct task *t, struct task *c)
{
	struct fork_step *fs = fork_step(t);

	if (fs->how == FORK_REFUSE || fs->how == FORK_RETRY || fs->how == FORK_WAITING ||
	    fs->decided) {
		c->drv->let_go(c); /* a fork no step applies to: not ours */
		return;
	}
	fs->decided = true;
	/* The kernel has read the clone3 arguments: the bytes go back, in the
	 * child's copy of the memory too. */
	put_back_stack(fs, t);
	if (!(fs->flags & CLONE_VM))
		put_back_stack(fs, c);
	fs->saved_len = 0;
	/* The task's own call worked where the rewritten clone3 failed with
	 * ENOSYS or EPERM: a filter or its capabilities refuse clone3 to it. */
	if (fs->how == FORK_LAST_PID && (fs->fallback == ENOSYS || fs->fallback == EPERM))
		t->no_set_tid = c->no_set_tid = true; /* the child inherits both */
	unlock(t, fs);
	verify(t, fs, c);
	restore(t, fs, 0);
	step_end(t);
}

/* The rewritten clone3 failed: the task makes its own call again (with ns_last_pid). */
static void
retry(struct task *t, struct fork_step *fs, long long rval)
{
	struct user_regs_struct r = fs->regs;

	/* set_tid without CAP_CHECKPOINT_RESTORE, a seccomp filter, a flag
	 * that clone accepts and clone3 refuses, or the task's own call
	 * would fail too: it is made again as the task made it, with
	 * ns_last_pid, and its own result stands. */
	log_debug("task %d: the rewritten clone3 failed with %s; making its %s again with "
	          "ns_last_pid",
	          t->tid, strerrorname_np((int)-rval) ?: "?", fs->f.sc->name);
	arch_rewind(&r, fs->f.sc->nr);
	t->drv->set_regs(t, &r);
	t->drv->child_regs(t, NULL);
	fs->how = FORK_RETRY;
	fs->fallback = (int)-rval;
}

/* The call returned without a fork event. */
static void
undecided_exit(struct task *t, struct fork_step *fs, long long rval, bool is_error)
{
	const struct nsd_step *s = fs->f.s;
	const char *name = fs->f.sc->name;
	char ebuf[64];
	int err = is_error ? (int)-rval : 0;

	/* No child: the arguments' bytes and ns_last_pid go back as they were. */
	put_back_stack(fs, t);
	fs->saved_len = 0;
	if (fs->how == FORK_LAST_PID)
		put_back_last_pid(fs);
	unlock(t, fs);
	if (is_error && nsdd_restarts(rval)) {
		/* Interrupted before a child existed; the kernel will make the call again. */
		log_debug("task %d: %s interrupted (%lld); it restarts", t->tid, name, rval);
		restore(t, fs, rval);
		step_again(t);
		return;
	}
	if (fs->how == FORK_CLONE3 && is_error) {
		retry(t, fs, rval);
		return;
	}
	if (fs->how == FORK_REFUSE) {
		err = fs->refuse_errno;
		rval = -err;
	}
	restore(t, fs, rval);
	step_end(t);
	if (err != 0)
		step_failed(t, s, name, s->pids[0], -1, "%s",
		            nsdd_errno_text(err, ebuf, sizeof(ebuf)));
	else /* success without a fork event: the child escaped tracing */
		step_failed(t, s, name, s->pids[0], rval,
		            "the kernel reported no new task to nsdd");
}

static void
fork_exit(struct task *t, long long rval, bool is_error)
{
	struct fork_step *fs = fork_step(t);

	if (fs->how == FORK_RETRY)
		return; /* a signal handler's syscall before the call is made again */
	undecided_exit(t, fs, rval, is_error);
}

/* Lets go of a fork in flight: the task is being detached or has died. */
static void
fork_abandon(struct task *t)
{
	struct fork_step *fs = fork_step(t);

	if (!fs->decided) {
		put_back_stack(fs, t);
		if (fs->how == FORK_LAST_PID)
			put_back_last_pid(fs);
	}
	unlock(t, fs);
	step_end(t);
}

const struct step_ops fork_steps = {fork_entry, fork_event, fork_exit, fork_abandon};
