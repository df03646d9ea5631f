/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tracees: nsdd's records of the tasks it ptraces, found by tid in a
 * tsearch(3) tree, and the ptrace driver, which is what a step handler may
 * do to a tracee stopped at a syscall (struct driver in nsdd.h).
 */
#include "config.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <search.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "tracer.h"
#include "tracing.h"

struct tracee_list tracees = TAILQ_HEAD_INITIALIZER(tracees);
struct tracee_list orphans = TAILQ_HEAD_INITIALIZER(orphans);
struct tracee_list held = TAILQ_HEAD_INITIALIZER(held);
struct tracee_list adopted = TAILQ_HEAD_INITIALIZER(adopted);

static void *tree; /* tid -> tracee */
static size_t ntracees;

static int
cmp_tid(const void *a, const void *b)
{
	pid_t x = ((const struct tracee *)a)->task.tid, y = ((const struct tracee *)b)->task.tid;

	return (x > y) - (x < y);
}

struct tracee *
tracee_find(pid_t tid)
{
	struct tracee key = {.task.tid = tid};
	struct tracee **hit = tfind(&key, &tree, cmp_tid);

	return hit != NULL ? *hit : NULL;
}

size_t
tracer_count(void)
{
	return ntracees;
}

struct task *
tracer_find_task(pid_t tid)
{
	struct tracee *t = tracee_find(tid);

	return t != NULL ? &t->task : NULL;
}

struct task *
tracer_find_nspid(const struct plan *plan, size_t depth, pid_t nr)
{
	int32_t ids[NSD_MAX_LEVELS + 1];
	struct tracee *t;
	size_t n;

	TAILQ_FOREACH(t, &tracees, entry)
	{
		if (t->task.plan != plan ||
		    nsdd_nspids(t->task.tid, ids, NSD_MAX_LEVELS + 1, &n) < 0)
			continue;
		if (n >= depth && ids[n - depth] == nr)
			return &t->task;
	}
	return NULL;
}

struct tracee *
tracee_new(pid_t tid, struct plan *plan, unsigned options)
{
	struct tracee *t = xcalloc(1, sizeof(*t));

	t->task.tid = tid;
	t->task.plan = plan;
	t->task.drv = plan != NULL ? plan_driver(plan) : NULL;
	t->initial = true;
	t->options = options;
	if (tsearch(t, &tree, cmp_tid) == NULL)
		fatalx("out of memory");
	ntracees++;
	TAILQ_INSERT_TAIL(plan != NULL ? &tracees : &orphans, t, entry);
	tracer_notify_status();
	return t;
}

void
tracee_free(struct tracee *t)
{
	if (t->task.step != NULL)
		t->task.step->ops->abandon(&t->task);
	free(t->task.ended); /* plain allocations: see struct task */
	free(t->task.next_data);
	if (t->held)
		TAILQ_REMOVE(&held, t, hold_entry);
	if (t->adopted)
		TAILQ_REMOVE(&adopted, t, hold_entry);
	if (t->quiet_timer != NULL)
		event_free(t->quiet_timer);
	mem_forget(t->task.tid);
	tdelete(t, &tree, cmp_tid);
	ntracees--;
	TAILQ_REMOVE(t->task.plan != NULL ? &tracees : &orphans, t, entry);
	free(t);
}

/* execve(2) by a non-leader thread: its record takes the leader's tid. */
void
tracee_retid(struct tracee *t, pid_t tid)
{
	tdelete(t, &tree, cmp_tid);
	t->task.tid = tid;
	if (tsearch(t, &tree, cmp_tid) == NULL)
		fatalx("out of memory");
}

struct tracee *
tracee_child(struct tracee *parent, pid_t child)
{
	struct tracee *c = tracee_find(child);

	if (c == NULL) {
		c = tracee_new(child, parent->task.plan, parent->options);
	} else if (c->task.plan == NULL) {
		TAILQ_REMOVE(&orphans, c, entry);
		c->task.plan = parent->task.plan;
		c->task.drv = parent->task.drv;
		TAILQ_INSERT_TAIL(&tracees, c, entry);
		c->options = parent->options;
	} else {
		return c;
	}
	/* A child has its parent's credentials: set_tid is refused to it too. */
	c->task.no_set_tid = parent->task.no_set_tid;
	if (parent->fix_children) {
		c->fix_regs = true;
		c->regs = parent->children_regs;
	}
	/* Made in a call nsdd made quiet, it has every signal blocked: its
	 * first stop gives it the mask its parent had (tracee_loud()). */
	if (parent->quiet_kids && c->initial) {
		c->quiet = true;
		c->own_mask = parent->own_mask;
	}
	return c;
}

void
tracee_set_options(struct tracee *t, unsigned options)
{
	if (t->options == options)
		return;
	if (ptrace(PTRACE_SETOPTIONS, t->task.tid, NULL, (void *)(long)options) == 0)
		t->options = options;
	else if (errno != ESRCH)
		log_warn("PTRACE_SETOPTIONS %d", t->task.tid);
}

/*
 * A child made by a rewritten call starts with the parent's registers as nsdd
 * set them; give it the ones a native fork would have left (rax stays 0).
 */
void
tracee_fix_regs(struct tracee *c)
{
	struct user_regs_struct r;
	int i;

	c->fix_regs = false;
	if (arch_get_regs(c->task.tid, &r) == 0) {
		for (i = 0; i < 6; i++)
			arch_set_arg(&r, i, arch_arg(&c->regs, i));
		arch_set_nr(&r, arch_nr(&c->regs));
		if (arch_set_regs(c->task.tid, &r) == 0)
			return;
	}
	log_warn("cannot restore the registers of child %d", c->task.tid);
}

/* At a seized task's first stop: was it in a syscall that will be restarted? */
static void
note_restart(struct tracee *t)
{
	struct user_regs_struct regs;

	if (arch_get_regs(t->task.tid, &regs) < 0)
		return;
	t->restart.nr = arch_restarting(&regs, &t->restart.ip);
	t->restart.pending = t->restart.nr >= 0;
}

void
tracee_first_stop(struct tracee *t)
{
	t->initial = false;
	if (t->fix_regs)
		tracee_fix_regs(t);
	if (t->seized && !t->armed)
		note_restart(t); /* an armed task's restarted call is the one to apply */
}

/*
 * A syscall entry while a restart is due: the restart itself (same number,
 * same rip) is skipped once. Any other entry means there is no restart left,
 * except entries from a signal handler, which run before it.
 */
bool
tracee_restarted(struct tracee *t, const struct __ptrace_syscall_info *info)
{
	if ((long)info->entry.nr == t->restart.nr && info->instruction_pointer == t->restart.ip) {
		t->restart.pending = false;
		return true;
	}
	if (!t->restart.in_handler)
		t->restart.pending = false;
	else if (info->entry.nr == __NR_rt_sigreturn)
		t->restart.in_handler = false;
	return false;
}

#define PTRACE_GETSIGMASK_ 0x420a
#define PTRACE_SETSIGMASK_ 0x420b

int
tracee_sigmask(pid_t tid, const uint64_t *set, uint64_t *old)
{
	if (old != NULL && ptrace(PTRACE_GETSIGMASK_, tid, (void *)sizeof(*old), old) < 0)
		return -1;
	if (set != NULL && ptrace(PTRACE_SETSIGMASK_, tid, (void *)sizeof(*set), set) < 0) {
		if (errno != ESRCH)
			log_warn("PTRACE_SETSIGMASK %d", tid);
		return -1;
	}
	return 0;
}

void
tracee_interrupt(pid_t tid)
{
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0 && errno != ESRCH)
		log_warn("PTRACE_INTERRUPT %d", tid);
}

void
tracee_arm(struct tracee *t, const struct seccomp_notif *req)
{
	t->armed = true;
	t->armed_nr = (long)req->data.nr;
	t->armed_ip = req->data.instruction_pointer;
}

/*
 * An armed task makes its call again when it next returns to user space,
 * but every signal pending then is delivered first, and a traced task
 * stops three times for each (its delivery, its handler's rt_sigreturn in
 * and out). A thread that keeps signals queued refills the queue in that
 * time, and the call would never be made again; and once made, a signal
 * pending at its entry would end its notification's wait at once. So at
 * the interrupt's stop, and at the rt_sigreturn that brings the task back
 * onto its call, nsdd blocks every signal until the call's exit. They stay
 * queued, siginfo and all, and arrive after the call, as natively a signal
 * that comes during a call that does not sleep does. A call that sleeps (a
 * FIFO's open) must not sleep deaf: if it has not returned QUIET_MS after
 * its notification was let through, it is interrupted, its signals arrive,
 * and its step makes it again (tracee_quiet_call()).
 */
#define QUIET_MS 10

void
tracee_quiet(struct tracee *t, int status)
{
	int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
	struct user_regs_struct r;

	if (t->quiet || !t->armed || (event != PTRACE_EVENT_STOP && sig != (SIGTRAP | 0x80)) ||
	    arch_get_regs(t->task.tid, &r) < 0 || !arch_reenters(&r, t->armed_nr, t->armed_ip))
		return;
	tracee_hush(t);
}

void
tracee_hush(struct tracee *t)
{
	uint64_t all = ~0ULL;

	if (!t->quiet)
		t->quiet = tracee_sigmask(t->task.tid, &all, &t->own_mask) == 0;
}

void
tracee_loud(struct tracee *t, int status)
{
	/* A fork event at this stop: its child was made while quiet. */
	t->quiet_kids = t->quiet;
	/* The call's entry (an armed task's syscall stop): quiet on to its exit. */
	if (!t->quiet || (t->armed && WSTOPSIG(status) == (SIGTRAP | 0x80)))
		return;
	tracee_sigmask(t->task.tid, &t->own_mask, NULL);
	t->quiet = false;
	if (t->quiet_timer != NULL)
		evtimer_del(t->quiet_timer);
}

static void
still_quiet(evutil_socket_t fd, short what, void *arg)
{
	struct tracee *t = arg;

	(void)fd;
	(void)what;
	if (t->quiet && !t->stopped)
		tracee_interrupt(t->task.tid);
}

void
tracee_quiet_call(struct tracee *t)
{
	struct timeval tv = {0, QUIET_MS * 1000};

	if (!t->quiet)
		return;
	if (t->quiet_timer == NULL &&
	    (t->quiet_timer = evtimer_new(nsdd_base, still_quiet, t)) == NULL)
		fatalx("out of memory");
	evtimer_add(t->quiet_timer, &tv);
}

/*
 * A tracee that is no longer nsdd's to wait for: a leader that the kernel
 * removed when a thread nsdd does not trace called execve(2) (de_thread()
 * releases it with no report to the tracer). Its PTRACE_EVENT_EXIT stop is
 * skipped when a second SIGKILL is already pending, so this stays as the
 * fallback. waitid() with WNOWAIT says ECHILD for it, and nothing is taken
 * from a tracee that is still there.
 */
bool
tracee_vanished(const struct tracee *t)
{
	siginfo_t si;

	return waitid(P_PID, (id_t)t->task.tid, &si,
	              WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) < 0 &&
	       errno == ECHILD;
}

void
tracer_notify_status(void)
{
#ifdef HAVE_SYSTEMD
	static size_t last_plans = (size_t)-1, last_tasks = (size_t)-1;
	size_t running = plan_running(), tasks = tracer_count();

	if (running == last_plans && tasks == last_tasks)
		return;
	last_plans = running;
	last_tasks = tasks;
	sd_notifyf(0, "STATUS=%zu plan%s running, %zu task%s traced", running,
	           running == 1 ? "" : "s", tasks, tasks == 1 ? "" : "s");
#endif
}

enum stops
tracee_stops(const struct tracee *t)
{
	if (t->task.step != NULL || t->armed || t->to_exit)
		return STOPS_SYSCALLS;
	if (t->detach_wanted || plan_ending(t->task.plan))
		return STOPS_NONE;
	return plan_kind(t->task.plan)->stops(&t->task);
}
