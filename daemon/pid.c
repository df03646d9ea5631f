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
 * inside the child's pid namespace first (nsenter.c), and puts it back if
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
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "log.h"
#include "nsdd.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_DETACHED
#define CLONE_DETACHED 0x00400000
#endif
#define CSIGNAL_MASK 0xffULL

#define CLONE_ARGS_VER0 64
#define CLONE_ARGS_VER2 88
#define PAGE_MAX        4096

static bool
is_restart(long long rval)
{
	/* ERESTARTSYS..ERESTART_RESTARTBLOCK (include/linux/errno.h): never seen by the task. */
	return rval <= -512 && rval >= -516;
}

/*
 * Reads /proc/PID/status NSpid (outermost first, as nsdd's /proc sees it)
 * into out[], innermost first.
 */
int
pid_nspids(pid_t pid, int32_t *out, size_t max, size_t *n)
{
	int32_t tmp[NSD_MAX_LEVELS + 1];
	char v[512], *p, *end;
	size_t k = 0, i;

	*n = 0;
	if (nsdd_proc_status(pid, "NSpid", v, sizeof(v)) < 0)
		return -1;
	for (p = v; k < NSD_MAX_LEVELS + 1; p = end) {
		long id = strtol(p, &end, 10);
		if (end == p)
			break;
		tmp[k++] = (int32_t)id;
	}
	if (k == 0) {
		errno = ENOENT;
		return -1;
	}
	for (i = 0; i < k && i < max; i++)
		out[i] = tmp[k - 1 - i];
	*n = i;
	return 0;
}

static void
fa_reset(struct fork_apply *fa)
{
	memset(fa, 0, sizeof(*fa));
	fa->how = FORK_NONE;
}

static bool
set_regs(struct tracee *t, const struct user_regs_struct *r)
{
	if (arch_set_regs(t->tid, r) == 0)
		return true;
	if (errno != ESRCH)
		log_warn("PTRACE_SETREGS %d", t->tid);
	return false;
}

/* Makes the syscall fail with err without running it: nr -1 skips it. */
static void
refuse(struct tracee *t, int err)
{
	struct user_regs_struct r = t->fa.regs;

	t->fa.how = FORK_REFUSE;
	t->fa.refuse_errno = err;
	arch_set_nr(&r, -1);
	t->fa.modified = set_regs(t, &r);
}

/*
 * Reads the task's own struct clone_args, bounded by PAGE_SIZE as the kernel
 * bounds it: 0, -1 when the kernel itself would refuse them (let it), or the
 * errno when nsdd cannot tell (its memory did not answer in time).
 */
static int
read_clone3_args(struct tracee *t, const unsigned long long args[6], struct clone_args_v2 *ca)
{
	unsigned long long addr = args[0], size = args[1];
	unsigned char rest[PAGE_MAX - CLONE_ARGS_VER2];
	struct mem_op ops[2] = {{MEM_READ, addr, ca, size < sizeof(*ca) ? size : sizeof(*ca)},
	                        {MEM_READ, addr + sizeof(*ca), rest, 0}};
	size_t i;

	memset(ca, 0, sizeof(*ca));
	if (size < CLONE_ARGS_VER0 || size > PAGE_MAX)
		return -1;
	if (size > sizeof(*ca))
		ops[1].len = size - sizeof(*ca);
	if (mem_access(t->tid, ops, ops[1].len > 0 ? 2 : 1) < 0)
		return errno == EFAULT || errno == ESRCH ? -1 : errno;
	/* copy_struct_from_user(): bytes beyond what we know must be zero. */
	for (i = 0; i < ops[1].len; i++)
		if (rest[i] != 0)
			return -1;
	return 0;
}

/* The clone3 arguments equivalent to the task's fork, vfork or clone. */
bool
pid_clone3_equivalent(enum sc_kind kind, const unsigned long long args[6], struct clone_args_v2 *ca)
{
	uint64_t flags;

	memset(ca, 0, sizeof(*ca));
	switch (kind) {
	case SC_FORK:
		ca->exit_signal = SIGCHLD;
		return true;
	case SC_VFORK:
		ca->flags = CLONE_VM | CLONE_VFORK;
		ca->exit_signal = SIGCHLD;
		return true;
	case SC_CLONE:
		/* clone(2) on x86_64: flags, stack, parent_tid, child_tid, tls. */
		flags = args[0] & 0xffffffffULL;
		if ((flags & CLONE_PIDFD) && (flags & CLONE_PARENT_SETTID))
			return false; /* clone() refuses this itself */
		if ((flags & CSIGNAL_MASK) > 64)
			return false;
		/* Legacy clone ignores CLONE_DETACHED (musl's pthread_create
		 * passes it); clone3 refuses it with EINVAL. */
		ca->flags = flags & ~(CSIGNAL_MASK | CLONE_DETACHED);
		ca->exit_signal = flags & CSIGNAL_MASK;
		if (ca->flags & (CLONE_THREAD | CLONE_PARENT))
			ca->exit_signal = 0; /* ignored by clone(), refused by clone3() */
		if (args[1] != 0) {
			/* clone3 takes the stack as base + size; the new sp is their sum. */
			if (args[1] < 2)
				return false;
			ca->stack = args[1] - 1;
			ca->stack_size = 1;
		}
		ca->parent_tid = args[2];
		if (flags & CLONE_PIDFD)
			ca->pidfd = args[2];
		ca->child_tid = args[3];
		ca->tls = args[4];
		return true;
	default:
		return false;
	}
}

/* Puts back the task's bytes that the clone3 arguments covered, in tid's memory. */
static void
put_back_stack(struct tracee *t, pid_t tid)
{
	struct fork_apply *fa = &t->fa;

	if (fa->saved_len > 0 && mem_write(tid, fa->saved_addr, fa->saved, fa->saved_len) < 0 &&
	    errno != ESRCH)
		log_warn("task %d: cannot put back %zu bytes below its stack", tid, fa->saved_len);
}

/* Writes set_tid and clone_args below the red zone and points the call at them. */
static bool
rewrite_clone3(struct tracee *t, const struct nsd_step *s, struct clone_args_v2 *ca)
{
	struct user_regs_struct r = t->fa.regs;
	int32_t set_tid[NSD_MAX_LEVELS] = {0};
	unsigned long long base = arch_scratch(&r, sizeof(set_tid) + sizeof(*ca));

	uint64_t args[6] = {base + sizeof(set_tid), sizeof(*ca), 0, 0, 0, 0};
	struct fork_apply *fa = &t->fa;
	/* One round trip: save the bytes, then write over them. */
	struct mem_op ops[3] = {{MEM_READ, base, fa->saved, sizeof(set_tid) + sizeof(*ca)},
	                        {MEM_WRITE, base, set_tid, sizeof(set_tid)},
	                        {MEM_WRITE, base + sizeof(set_tid), ca, sizeof(*ca)}};

	/* Docker's default profile, for one, fails clone3 with ENOSYS. */
	if (filter_allows(t->tid, &r, SYS_clone3, args) == FILTER_DENIES) {
		log_debug("task %d: its seccomp filter does not let clone3 through", t->tid);
		return false;
	}
	memcpy(set_tid, s->pids, s->npids * sizeof(int32_t));
	ca->flags &= ~(uint64_t)CLONE_UNTRACED; /* nsdd must see the child to restore it */
	ca->set_tid = base;
	ca->set_tid_size = s->npids;
	/* Below the red zone is no one's by the ABI, yet a small stack may end
	 * there and other data begin: the bytes are saved and put back. */
	fa->saved_len = sizeof(set_tid) + sizeof(*ca);
	fa->saved_addr = base;
	if (mem_access(t->tid, ops, 3) < 0) {
		log_debug("task %d: cannot write clone3 args below its stack: %s", t->tid,
		          strerror(errno));
		put_back_stack(t, t->tid);
		fa->saved_len = 0;
		return false;
	}
	arch_set_nr(&r, SYS_clone3);
	arch_set_arg(&r, 0, base + sizeof(set_tid));
	arch_set_arg(&r, 1, sizeof(*ca));
	if (!set_regs(t, &r))
		return false;
	t->fa.modified = true;
	t->fa.how = FORK_CLONE3;
	return true;
}

/* No fork took the pids that nsdd prepared: ns_last_pid gets its value back. */
static void
put_back_last_pid(struct tracee *t)
{
	struct fork_apply *fa = &t->fa;
	size_t i;

	for (i = 0; i < fa->nlocks; i++)
		if (fa->locks[i] != NULL && fa->old_last[i] >= 0)
			nsenter_put_back_last_pid(fa->locks[i], fa->s->pids[i], fa->old_last[i]);
}

/* Without set_tid: ns_last_pid = want - 1 in each level's namespace. */
static void
via_last_pid(struct tracee *t, const struct nsd_step *s)
{
	struct fork_apply *fa = &t->fa;
	struct pidns *ns[NSD_MAX_LEVELS];
	bool newpid = fa->flags & CLONE_NEWPID;
	size_t i;
	int err = 0, rc;

	if (newpid && s->pids[0] != 1) {
		/* A new namespace's first pid is 1: the plan cannot be met. The call
		 * runs as the task made it; its result fails the step. */
		fa->how = FORK_NATIVE;
		return;
	}
	if (nsenter_child_pidns(t->tid, newpid, s->npids, ns, &err) < 0) {
		refuse(t, err);
		return;
	}
	if (!nsenter_lock(ns, s->npids, t)) {
		tracer_hold(t);
		return;
	}
	memcpy(fa->locks, ns, s->npids * sizeof(ns[0]));
	fa->nlocks = s->npids;
	for (i = 0; i < s->npids; i++)
		fa->old_last[i] = -1;
	for (i = 0; i < s->npids; i++) {
		if (ns[i] == NULL)
			continue; /* CLONE_NEWPID: the new namespace starts at 1 */
		if ((rc = nsenter_set_last_pid(ns[i], s->pids[i], &fa->old_last[i])) != 0) {
			put_back_last_pid(t);
			nsenter_unlock(fa->locks, fa->nlocks, t);
			fa->nlocks = 0;
			refuse(t, rc);
			return;
		}
	}
	fa->how = FORK_LAST_PID;
	/* The child must be traced to be verified and restored. */
	if (fa->nr == SYS_clone && (fa->flags & CLONE_UNTRACED)) {
		struct user_regs_struct r = fa->regs;
		arch_set_arg(&r, 0, arch_arg(&r, 0) & ~(unsigned long long)CLONE_UNTRACED);
		fa->modified = set_regs(t, &r);
	}
	log_debug("task %d: ns_last_pid set for pid %d", t->tid, s->pids[0]);
}

static void
diverged(struct tracee *t, const struct nsd_step *s, const struct sc_info *sc, bool thread)
{
	supervisor_step_failed(t->ptask, sc->name, s->npids ? s->pids[0] : s->id, -1,
	                       "the task made %s (a %s) while its next step is %s", sc->name,
	                       thread ? "thread" : "fork", nsd_call_name(s->call));
}

/*
 * At entry of a fork-kind syscall of a task whose plan task has pending
 * steps. sc == NULL retries a task that was held for a namespace lock.
 */
void
pid_entry(struct tracee *t, const struct sc_info *sc, const unsigned long long args[6])
{
	struct fork_apply *fa = &t->fa;
	const struct nsd_step *s = supervisor_head(t->ptask);
	struct clone_args_v2 ca;
	bool thread, own_args = false;

	if (sc == NULL) {
		/* Retry after a lock wait: the entry was already examined. */
		if (s == NULL || t->plan->ending) {
			fa_reset(fa);
			return;
		}
		via_last_pid(t, fa->s);
		return;
	}
	if (s == NULL)
		return;

	memset(&ca, 0, sizeof(ca));
	if (sc->kind == SC_CLONE3) {
		int err = read_clone3_args(t, args, &ca);
		if (err > 0 && (s->call == NSD_CALL_ANY || nsd_call_creates_task(s->call)))
			supervisor_step_failed(t->ptask, sc->name, s->npids ? s->pids[0] : s->id,
			                       -1, "cannot read its clone3 arguments: %s",
			                       strerror(err));
		if (err != 0)
			return; /* the kernel will refuse it; nothing to apply */
		own_args = true;
	} else if (!pid_clone3_equivalent(sc->kind, args, &ca)) {
		ca.flags = args[0] & ~CSIGNAL_MASK;
	}
	thread = ca.flags & CLONE_THREAD;

	if (s->call == NSD_CALL_ANY)
		s = supervisor_head_as(t->ptask, thread ? NSD_CALL_THREAD : NSD_CALL_FORK);
	if (!nsd_call_creates_task(s->call) || (s->call == NSD_CALL_THREAD) != thread) {
		if (t->plan->model->strict)
			diverged(t, s, sc, thread);
		else
			tracer_set_options(t, t->options & ~(unsigned)(PTRACE_O_TRACEFORK |
			                                               PTRACE_O_TRACEVFORK |
			                                               PTRACE_O_TRACECLONE));
		return;
	}

	tracer_set_options(t, t->options | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
	                          PTRACE_O_TRACECLONE);
	fa_reset(fa);
	if (arch_get_regs(t->tid, &fa->regs) < 0)
		return;
	fa->s = s;
	fa->nr = sc->nr;
	fa->sc = sc;
	fa->flags = ca.flags | ca.exit_signal;
	fa->fallback = t->fallback;
	t->fallback = 0;

	if (t->plan->backend == BACKEND_PROCFS) {
		int64_t v[NSD_MAX_LEVELS];
		size_t i;
		int err;
		for (i = 0; i < s->npids; i++)
			v[i] = s->pids[i];
		if ((err = procfs_write(t->tid, v, s->npids)) != 0) {
			refuse(t, err);
			return;
		}
		fa->how = FORK_NATIVE; /* the kernel does it; the fork event verifies */
		return;
	}
	if (own_args && ca.set_tid_size != 0) {
		/* The restorer picked its own pids: let it, and verify them. */
		fa->how = FORK_NATIVE;
		return;
	}
	if (!t->no_set_tid && fa->fallback == 0 &&
	    (own_args || pid_clone3_equivalent(sc->kind, args, &ca)) && rewrite_clone3(t, s, &ca)) {
		log_debug("task %d: %s rewritten to clone3 with set_tid %d", t->tid, sc->name,
		          s->pids[0]);
		return;
	}
	via_last_pid(t, s);
}

static enum mechanism
mechanism_of(const struct tracee *t)
{
	if (t->plan->backend == BACKEND_PROCFS)
		return MECH_PROCFS;
	switch (t->fa.how) {
	case FORK_CLONE3:
		return MECH_CLONE3;
	case FORK_LAST_PID:
		return MECH_NS_LAST_PID;
	default:
		return MECH_NATIVE; /* the restorer's own set_tid */
	}
}

/*
 * The fork event: the child exists, so its pids are settled and the
 * namespaces are free again. The step is decided here, not at syscall exit:
 * a task killed or replaced by another thread's execve after creating the
 * child never reaches its exit, yet the child has the pid it has.
 */
void
pid_event(struct tracee *t, pid_t child)
{
	struct fork_apply *fa = &t->fa;
	const struct nsd_step *s;
	struct tracee *c = tracer_find(child);
	struct ptask *pt;
	size_t i;

	if (c == NULL)
		return;
	if (fa->how == FORK_NONE || fa->how == FORK_REFUSE || fa->decided) {
		c->detach_wanted = true; /* a fork no step applies to: not ours */
		return;
	}
	fa->child = child;
	fa->decided = true;
	/* The kernel has read the clone3 arguments: the bytes go back, in the
	 * child's copy of the memory too. */
	put_back_stack(t, t->tid);
	if (!(fa->flags & CLONE_VM))
		put_back_stack(t, child);
	fa->saved_len = 0;
	/* The task's own call worked where the rewritten clone3 failed with
	 * ENOSYS or EPERM: a filter or its capabilities refuse clone3 to it. */
	if (fa->how == FORK_LAST_PID && (fa->fallback == ENOSYS || fa->fallback == EPERM))
		t->no_set_tid = c->no_set_tid = true; /* the child inherits both */
	if (fa->nlocks > 0) {
		nsenter_unlock(fa->locks, fa->nlocks, t);
		fa->nlocks = 0;
	}
	if (fa->modified) {
		c->fix.pending = true;
		c->fix.regs = fa->regs;
	}
	if (pid_nspids(child, fa->got, NSD_MAX_LEVELS, &fa->ngot) < 0) {
		/* nsdd's own failure (out of fds, say), never a wrong pid. */
		char ebuf[64];
		c->detach_wanted = true;
		supervisor_step_failed(t->ptask, fa->sc->name, fa->s->pids[0], -1,
		                       "nsdd cannot read the pids of child %d: %s", child,
		                       nsdd_errno_text(errno, ebuf, sizeof(ebuf)));
		return;
	}
	s = fa->s;
	for (i = 0; i < s->npids; i++)
		if (i >= fa->ngot || fa->got[i] != s->pids[i])
			break;
	if (s->call == NSD_CALL_FORK)
		supervisor_keep(t->plan, child);
	if (i < s->npids) {
		long long got = i < fa->ngot ? fa->got[i] : -1;
		c->detach_wanted = true;
		supervisor_step_failed(t->ptask, fa->sc->name, s->pids[i], got,
		                       "mismatch: wanted pid %d, got %lld (namespace level %zu)",
		                       s->pids[i], got, i);
		return;
	}
	pt = supervisor_ptask(t->plan, s->pids[0]);
	if (pt != NULL && pt->state == PT_WAITING)
		supervisor_bound(pt, c);
	else
		c->detach_wanted = true;
	supervisor_applied(t->ptask, fa->sc->name, mechanism_of(t), s->pids[0], s->pids[0]);
}

/* Puts the task's registers back as it made the call, with its result. */
static void
restore(struct tracee *t, long long rval)
{
	struct user_regs_struct r = t->fa.regs;

	if (!t->fa.modified)
		return;
	arch_set_return(&r, (long)rval);
	set_regs(t, &r);
}

static void
pid_exit(struct tracee *t, long long rval, bool is_error)
{
	struct fork_apply *fa = &t->fa;
	const struct nsd_step *s = fa->s;
	const char *name = fa->sc->name;
	char ebuf[64];

	if (fa->decided) {
		restore(t, rval);
		fa_reset(fa);
		return;
	}
	/* No child: the arguments' bytes and ns_last_pid go back as they were. */
	put_back_stack(t, t->tid);
	fa->saved_len = 0;
	if (fa->how == FORK_LAST_PID)
		put_back_last_pid(t);
	if (fa->nlocks > 0) {
		nsenter_unlock(fa->locks, fa->nlocks, t);
		fa->nlocks = 0;
	}
	if (is_error && is_restart(rval)) {
		/* Interrupted before a child existed; the kernel will make the call again. */
		log_debug("task %d: %s interrupted (%lld); it restarts", t->tid, name, rval);
		restore(t, rval);
		fa_reset(fa);
		return;
	}
	if (fa->how == FORK_CLONE3 && is_error) {
		/* set_tid without CAP_CHECKPOINT_RESTORE, a seccomp filter, a flag
		 * that clone accepts and clone3 refuses, or the task's own call
		 * would fail too: it is made again as the task made it, with
		 * ns_last_pid, and its own result stands. */
		struct user_regs_struct r = fa->regs;
		log_debug("task %d: the rewritten clone3 failed with %s; making its %s again with "
		          "ns_last_pid",
		          t->tid, strerrorname_np((int)-rval) ?: "?", name);
		t->fallback = (int)-rval;
		arch_rewind(&r, fa->nr);
		set_regs(t, &r);
		fa_reset(fa);
		return;
	}
	if (fa->how == FORK_REFUSE) {
		int err = fa->refuse_errno;
		restore(t, -err);
		fa_reset(fa);
		supervisor_step_failed(t->ptask, name, s->pids[0], -1, "%s",
		                       nsdd_errno_text(err, ebuf, sizeof(ebuf)));
		return;
	}
	restore(t, rval);
	if (is_error) {
		fa_reset(fa);
		supervisor_step_failed(t->ptask, name, s->pids[0], -1, "%s",
		                       nsdd_errno_text((int)-rval, ebuf, sizeof(ebuf)));
		return;
	}
	/* Success without a fork event: the child escaped tracing. */
	fa_reset(fa);
	supervisor_step_failed(t->ptask, name, s->pids[0], rval,
	                       "the kernel reported no new task to nsdd");
}

/* Lets go of a fork in flight: the task is being detached or has died. */
void
pid_abandon(struct tracee *t)
{
	if (!t->fa.decided) {
		put_back_stack(t, t->tid);
		if (t->fa.how == FORK_LAST_PID)
			put_back_last_pid(t);
	}
	if (t->fa.nlocks > 0)
		nsenter_unlock(t->fa.locks, t->fa.nlocks, t);
	fa_reset(&t->fa);
}

/*
 * A child made by a rewritten call starts with the parent's registers as nsdd
 * set them; give it the ones a native fork would have left (rax stays 0).
 */
bool
pid_fix_child(struct tracee *c)
{
	struct user_regs_struct r;
	int i;

	if (arch_get_regs(c->tid, &r) < 0)
		return false;
	for (i = 0; i < 6; i++)
		arch_set_arg(&r, i, arch_arg(&c->fix.regs, i));
	arch_set_nr(&r, arch_nr(&c->fix.regs));
	return arch_set_regs(c->tid, &r) == 0;
}

static bool
fork_busy(const struct tracee *t)
{
	return t->fa.how != FORK_NONE;
}

const struct step_ops fork_steps = {pid_entry, pid_exit, fork_busy, pid_abandon};
