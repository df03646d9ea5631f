/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Check: whether a plan can apply to its target, found without attaching to
 * it or changing anything (CRIU's users meet "Can't fork: File exists"
 * halfway through a restore; an orchestrator would rather know first).
 *
 * - A pid a fork step plans is taken in the namespace it would land in: the
 *   target's pid_for_children namespace, asked with NS_GET_PID_FROM_PIDNS
 *   (Linux 6.11), which neither enters the namespace nor makes a pid in it.
 *   Checked for the tasks the plan makes in that namespace (a task made in
 *   a new pid namespace finds it empty), for a one-level pid and for the
 *   second level of [1, P] (a fork into a new namespace); other levels
 *   depend on namespaces the tree may make first, and are not checked.
 * - An IPC id a get step plans is taken in the target's IPC namespace: its
 *   index holds an object (MSG_STAT_ANY and kin, which need no permission).
 *   A qbytes that IPC_SET would set above msgmnb, for a target without
 *   CAP_SYS_RESOURCE, is refused as the kernel refuses it.
 * - An fd an open step of the target's own plans is open in the target,
 *   and the step does not say "replace".
 * Not checked: the target's own seccomp filters (nsd reads them only from
 * a stopped task; a step they refuse still fails at its syscall, with the
 * reason), and ids in namespaces that do not exist yet. A container's plan
 * waiting for its container has nothing to check until the container runs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "nsdd.h"
#include "supervisor.h"
#include "ns.h"

#define IPC_INDEX_MASK 0x7fff /* IPCMNI: ids are seq * 32768 + index */
/* The reply's bound: a plan of 500,000 taken pids must not make a reply of
 * 75 MB. Past it, one last problem says how many more there were. */
#define MAX_PROBLEMS        1000
#define CAP_SYS_RESOURCE_NR 24

static size_t more; /* problems past MAX_PROBLEMS in this check */

static void
problem(json_t *list, const struct nsd_task_plan *t, size_t i, long long id, const char *why)
{
	if (json_array_size(list) >= MAX_PROBLEMS) {
		more++;
		return;
	}
	json_array_append_new(list,
	                      json_pack("{s:s, s:I, s:s, s:I, s:s}", "task", t->key, "step",
	                                (json_int_t)i, "call", nsd_call_name(t->steps[i].call),
	                                "id", (json_int_t)id, "reason", why));
}

/* A problem of the whole check, not of one step (task "", step -1). */
static void
check_failed(json_t *list, const char *why)
{
	json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:i, s:s}", "task", "", "step", -1,
	                                      "call", "", "id", 0, "reason", why));
}

/* Whether task k is made in the target's own pid namespace. */
static bool
in_target_ns(const struct nsd_plan *m, size_t k)
{
	while (m->tasks[k].creator >= 0) {
		const struct nsd_task_plan *c = &m->tasks[m->tasks[k].creator];
		if (c->steps[m->tasks[k].creator_step].npids != 1)
			return false;
		k = (size_t)m->tasks[k].creator;
	}
	return true;
}

/* The pid namespaces a child of the target lands in: [0] its
 * pid_for_children, [i] the i-th one above; how many. */
static size_t
pid_levels(pid_t target, int ns[NSD_MAX_LEVELS])
{
	char path[64];
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid_for_children", target);
	ns[0] = open(path, O_RDONLY | O_CLOEXEC);
	while (ns[n] >= 0 && ++n < NSD_MAX_LEVELS)
		ns[n] = ioctl(ns[n - 1], NS_GET_PARENT);
	return n;
}

/* false (with errno) if the target's pid namespace cannot be opened. */
static bool
check_pids(const struct nsd_plan *m, pid_t target, json_t *list)
{
	int ns[NSD_MAX_LEVELS];
	size_t n = pid_levels(target, ns), k, i, j;
	char why[128];

	if (n == 0)
		return false;

	for (k = 0; k < m->ntasks; k++) {
		const struct nsd_task_plan *t = &m->tasks[k];
		if (!in_target_ns(m, k))
			continue;
		for (i = 0; i < t->nsteps; i++) {
			const struct nsd_step *s = &t->steps[i];
			if (!nsd_call_creates_task(s->call))
				continue;
			/* [P], or [1, P]: a new pid namespace, P in the target's. */
			j = s->npids == 1 ? 0 : s->npids == 2 && s->pids[0] == 1 ? 1 : s->npids;
			if (j >= s->npids || n == 0)
				continue;
			if (ioctl(ns[0], NS_GET_PID_FROM_PIDNS, s->pids[j]) >= 0) {
				snprintf(why, sizeof(why),
				         "pid %d is taken in the target's pid namespace",
				         s->pids[j]);
				problem(list, t, i, s->pids[j], why);
			} else if (errno != ESRCH) {
				/* ENOTTY: before Linux 6.11. Said, not taken for clean. */
				snprintf(why, sizeof(why),
				         "pid %d: cannot tell whether it is taken: %s", s->pids[j],
				         strerror(errno));
				problem(list, t, i, s->pids[j], why);
			}
		}
	}
	for (k = 0; k < n; k++)
		close(ns[k]);
	return true;
}

struct ipc_check {
	const struct nsd_plan *m;
	json_t *list;
	bool resource; /* the target has CAP_SYS_RESOURCE */
};

/* Whether index idx of the kind holds an object (in nsdd's IPC namespace). */
static bool
ipc_taken(enum nsd_call call, int idx)
{
	struct msqid_ds mq;
	struct semid_ds sq;
	struct shmid_ds hq;
	union {
		int val;
		struct semid_ds *buf;
	} arg = {.buf = &sq};

	switch (call) {
	case NSD_CALL_MSGGET:
		return msgctl(idx, MSG_STAT_ANY, &mq) >= 0;
	case NSD_CALL_SEMGET:
		return semctl(idx, 0, SEM_STAT_ANY, arg) >= 0;
	default:
		return shmctl(idx, SHM_STAT_ANY, &hq) >= 0;
	}
}

/* Inside the target's IPC namespace. */
static int
check_ipc_here(void *arg)
{
	const struct ipc_check *c = arg;
	long msgmnb = -1;
	char why[128];
	size_t k, i;
	FILE *f;

	if ((f = fopen("/proc/sys/kernel/msgmnb", "re")) != NULL) {
		if (fscanf(f, "%ld", &msgmnb) != 1)
			msgmnb = -1;
		fclose(f);
	}
	for (k = 0; k < c->m->ntasks; k++) {
		const struct nsd_task_plan *t = &c->m->tasks[k];
		for (i = 0; i < t->nsteps; i++) {
			const struct nsd_step *s = &t->steps[i];
			if (s->call >= NSD_CALL_MSGGET && s->call <= NSD_CALL_SHMGET &&
			    ipc_taken(s->call, (int)(s->id & IPC_INDEX_MASK))) {
				snprintf(
				    why, sizeof(why),
				    "IPC id %lld: its index is taken in the target's IPC namespace",
				    (long long)s->id);
				problem(c->list, t, i, s->id, why);
			}
			if (s->set != NULL && (s->set->mask & (1u << NSD_SET_QBYTES)) &&
			    msgmnb >= 0 && s->set->value[NSD_SET_QBYTES] > msgmnb && !c->resource) {
				snprintf(why, sizeof(why),
				         "qbytes %lld is above msgmnb (%ld), and the target lacks "
				         "CAP_SYS_RESOURCE",
				         (long long)s->set->value[NSD_SET_QBYTES], msgmnb);
				problem(c->list, t, i, s->id, why);
			}
		}
	}
	return 0;
}

static void
check_fds(const struct nsd_plan *m, pid_t target, json_t *list)
{
	const struct nsd_task_plan *t = NULL;
	char path[64], link[16], why[96];
	size_t i;

	for (i = 0; i < m->ntasks && t == NULL; i++)
		if (m->tasks[i].creator < 0)
			t = &m->tasks[i]; /* "target" */
	if (t == NULL)
		return;
	for (i = 0; i < t->nsteps; i++) {
		const struct nsd_step *s = &t->steps[i];
		if (s->call != NSD_CALL_OPEN || s->replace)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%lld", target, (long long)s->id);
		if (readlink(path, link, sizeof(link)) >= 0) {
			snprintf(why, sizeof(why), "fd %lld is open in the target",
			         (long long)s->id);
			problem(list, t, i, s->id, why);
		}
	}
}

json_t *
check_plan(const struct nsd_plan *m, pid_t target)
{
	struct ipc_check ipc = {m, json_array(), false};
	char caps[32], why[128];

	more = 0;
	if (target <= 0)
		return ipc.list; /* a container that has not started: nothing yet */
	if (nsdd_proc_status(target, "CapEff", caps, sizeof(caps)) == 0)
		ipc.resource = strtoull(caps, NULL, 16) & (1ULL << CAP_SYS_RESOURCE_NR);
	if (!check_pids(m, target, ipc.list)) {
		snprintf(why, sizeof(why), "cannot open the pid namespace of %d: %s", target,
		         strerror(errno));
		check_failed(ipc.list, why);
	}
	if (ns_run_ipc_of(target, check_ipc_here, &ipc) < 0) {
		snprintf(why, sizeof(why), "cannot enter the IPC namespace of %d: %s", target,
		         strerror(errno));
		check_failed(ipc.list, why);
	}
	check_fds(m, target, ipc.list);
	if (more > 0) {
		snprintf(why, sizeof(why), "and %zu more problems, not listed", more);
		check_failed(ipc.list, why);
	}
	return ipc.list;
}
