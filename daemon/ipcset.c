/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * msgctl, semctl and shmctl steps: the task's next IPC_SET on the step's id
 * runs as the task made it; then nsdd restores what a stock kernel lets it
 * set beyond that. Of the `set` fields that is msg `qbytes` alone (an
 * IPC_SET of nsdd's own, inside the task's IPC namespace, refused as the
 * kernel would refuse the task: above msgmnb only with CAP_SYS_RESOURCE).
 * The times and last-operation pids have no setter on stock kernels; each is
 * reported `unsupported`, as an event and in Get, and the step still applies.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include "log.h"
#include "nsdd.h"
#include "task.h"
#include "ns.h"

#define CAP_SYS_RESOURCE_BIT 24

static const char *const field_names[NSD_SET_COUNT] = {
    [NSD_SET_QBYTES] = "qbytes", [NSD_SET_STIME] = "stime", [NSD_SET_RTIME] = "rtime",
    [NSD_SET_CTIME] = "ctime",   [NSD_SET_LSPID] = "lspid", [NSD_SET_LRPID] = "lrpid",
    [NSD_SET_OTIME] = "otime",   [NSD_SET_ATIME] = "atime", [NSD_SET_DTIME] = "dtime",
    [NSD_SET_CPID] = "cpid",     [NSD_SET_LPID] = "lpid",   [NSD_SET_SEMPID] = "sempid",
};

struct ipcset_step {
	struct inflight f;
	bool procfs; /* the kernel restores the fields: next_syscall_data */
};

/* At an IPC_SET that is the step's: the procfs backend writes "LONG1 1" to
 * make the kernel restore every field itself; false if the step failed. */
static bool
start(struct task *t, const struct nsd_syscall *sc, const struct nsd_step *s)
{
	static const int64_t one = 1;
	bool procfs = plan_backend(t->plan) == BACKEND_PROCFS;

	/* A plain IPC_SET (an `any` step of another value, or no `set`) needs
	 * nothing beyond the task's own call. */
	if (procfs && (s->call == NSD_CALL_ANY ? s->id == 1 : s->set != NULL) &&
	    !step_procfs_write(t, sc->name, s, &one, 1))
		return false;
	((struct ipcset_step *)step_start(t, &ipcset_steps, sizeof(struct ipcset_step), sc, s))
	    ->procfs = procfs;
	return true;
}

static void
ipcset_entry(struct task *t, const struct nsd_syscall *sc, const unsigned long long args[6])
{
	const struct nsd_step *s = step_peek(t);
	/* msgctl(id, cmd, buf), shmctl(id, cmd, buf), semctl(id, semnum, cmd, arg);
	 * IPC_64 (0x100) may be or-ed into cmd. */
	bool set = (args[sc->cmd_arg] & ~0x100ULL) == IPC_SET;

	if (s == NULL)
		return;
	if (s->call == NSD_CALL_ANY) {
		/* The proposal's "LONG1 1" before an IPC_SET: restore times and pids. */
		if (set)
			start(t, sc, s);
		return;
	}
	if ((s = step_head(t, sc, sc->call, NULL)) == NULL)
		return;
	/* Other commands and ids are not this step's. */
	if (set && (int32_t)args[0] == s->id)
		start(t, sc, s);
}

/* Capabilities of the task, as /proc/TID/status CapEff says; 0 if unknown. */
static unsigned long long
cap_eff(pid_t tid)
{
	char v[64];

	return nsdd_proc_status(tid, "CapEff", v, sizeof(v)) < 0 ? 0 : strtoull(v, NULL, 16);
}

struct qbytes {
	int id;
	long long value;
	bool privileged; /* the task has CAP_SYS_RESOURCE */
	long msgmnb;
};

/* Inside the task's IPC namespace: the kernel's rule for the task, then the set. */
static int
set_qbytes(void *arg)
{
	struct qbytes *q = arg;
	struct msqid_ds ds;
	FILE *f;

	if ((f = fopen("/proc/sys/kernel/msgmnb", "re")) == NULL)
		return -1;
	if (fscanf(f, "%ld", &q->msgmnb) != 1)
		q->msgmnb = 0;
	fclose(f);
	if (q->value > q->msgmnb && !q->privileged) {
		errno = EPERM; /* ipc/msg.c, msgctl_down(): as the task would get it */
		return -1;
	}
	if (msgctl(q->id, IPC_STAT, &ds) < 0)
		return -1;
	ds.msg_qbytes = (msglen_t)q->value;
	return msgctl(q->id, IPC_SET, &ds);
}

/* msg qbytes, set in the task's IPC namespace as it may set it; false if it failed. */
static bool
restore_qbytes(struct task *t, const char *name, const struct nsd_step *s)
{
	struct qbytes q = {(int)s->id, s->set->value[NSD_SET_QBYTES],
	                   cap_eff(t->tid) & (1ULL << CAP_SYS_RESOURCE_BIT), 0};
	char ebuf[64];

	if (ns_run_ipc_of(t->tid, set_qbytes, &q) == 0)
		return true;
	step_failed(t, s, name, s->id, -1, "qbytes %lld: %s%s", q.value,
	            nsdd_errno_text(errno, ebuf, sizeof(ebuf)),
	            errno == EPERM ? " (above msgmnb without CAP_SYS_RESOURCE)" : "");
	return false;
}

static void
ipcset_exit(struct task *t, long long rval, bool is_error)
{
	struct ipcset_step *is = (struct ipcset_step *)t->step;
	const struct nsd_step *s = is->f.s;
	const char *name = is->f.sc->name;
	bool procfs = is->procfs;
	char ebuf[64];
	int f;

	if (is_error && nsdd_restarts(rval)) {
		step_again(t); /* restarted: the step waits */
		return;
	}
	step_end(t);
	if (is_error) {
		step_failed(t, s, name, s->id, -1, "%s",
		            nsdd_errno_text((int)-rval, ebuf, sizeof(ebuf)));
		return;
	}
	if (procfs) {
		/* The kernel restored every field from the task's own IPC_SET. */
		step_applied(t, s, name, MECH_PROCFS, s->id, s->id);
		return;
	}
	if (s->call == NSD_CALL_ANY && s->id == 1)
		step_unsupported(t, s, name, "times and last-operation pids",
		                 "LONG1 1: the running kernel offers no way to set them");
	for (f = 0; s->call != NSD_CALL_ANY && s->set != NULL && f < NSD_SET_COUNT; f++) {
		if (!(s->set->mask & (1u << f)))
			continue;
		if (f != NSD_SET_QBYTES)
			step_unsupported(t, s, name, field_names[f],
			                 "the running kernel offers no way to set it");
		else if (!restore_qbytes(t, name, s))
			return;
	}
	step_applied(t, s, name, MECH_IPC_SET, s->id, s->id);
}

const struct step_ops ipcset_steps = {ipcset_entry, NULL, ipcset_exit, step_end};
