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

#define CAP_SYS_RESOURCE_BIT 24

static const char *const field_names[NSD_SET_COUNT] = {
    [NSD_SET_QBYTES] = "qbytes", [NSD_SET_STIME] = "stime", [NSD_SET_RTIME] = "rtime",
    [NSD_SET_CTIME] = "ctime",   [NSD_SET_LSPID] = "lspid", [NSD_SET_LRPID] = "lrpid",
    [NSD_SET_OTIME] = "otime",   [NSD_SET_ATIME] = "atime", [NSD_SET_DTIME] = "dtime",
    [NSD_SET_CPID] = "cpid",     [NSD_SET_LPID] = "lpid",   [NSD_SET_SEMPID] = "sempid",
};

/* The procfs backend: "LONG1 1" makes the kernel restore every field itself. */
static void
procfs_restore(struct tracee *t, const struct nsd_step *s)
{
	int64_t one = 1;
	char ebuf[64];
	int err;

	if (t->plan->backend != BACKEND_PROCFS)
		return;
	t->ca.procfs = true;
	if (s->call == NSD_CALL_ANY ? s->id != 1 : s->set == NULL)
		return; /* a plain IPC_SET: nothing beyond it to ask for */
	if ((err = procfs_write(t->tid, &one, 1)) != 0) {
		t->ca.active = false;
		supervisor_step_failed(t->ptask, t->ca.sc->name, s->id, -1,
		                       "cannot write next_syscall_data: %s",
		                       nsdd_errno_text(err, ebuf, sizeof(ebuf)));
	}
}

static void
ipcset_entry(struct tracee *t, const struct sc_info *sc, const unsigned long long args[6])
{
	const struct nsd_step *s = supervisor_head(t->ptask);
	/* msgctl(id, cmd, buf), shmctl(id, cmd, buf), semctl(id, semnum, cmd, arg) */
	unsigned long long cmd = sc->kind == SC_SEMCTL ? args[2] : args[1];

	if (s == NULL)
		return;
	if (s->call == NSD_CALL_ANY) {
		/* The proposal's "LONG1 1" before an IPC_SET: restore times and pids. */
		if ((cmd & ~0x100ULL) != IPC_SET)
			return;
		t->ca.active = true;
		t->ca.s = supervisor_head(t->ptask);
		t->ca.nr = sc->nr;
		t->ca.sc = sc;
		t->ca.sc = sc;
		procfs_restore(t, t->ca.s);
		return;
	}
	if (s->call != sc->call) {
		if (t->plan->model->strict)
			supervisor_step_failed(t->ptask, sc->name, s->id, -1,
			                       "the task made %s while its next step is %s",
			                       sc->name, nsd_call_name(s->call));
		return;
	}
	/* IPC_64 (0x100) may be or-ed in; other commands and ids are not this step's. */
	if ((cmd & ~0x100ULL) != IPC_SET || (int32_t)args[0] != s->id)
		return;
	t->ca.active = true;
	t->ca.s = s;
	t->ca.nr = sc->nr;
	t->ca.sc = sc;
	procfs_restore(t, s);
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
		return errno;
	if (fscanf(f, "%ld", &q->msgmnb) != 1)
		q->msgmnb = 0;
	fclose(f);
	if (q->value > q->msgmnb && !q->privileged)
		return EPERM; /* ipc/msg.c, msgctl_down(): as the task would get it */
	if (msgctl(q->id, IPC_STAT, &ds) < 0)
		return errno;
	ds.msg_qbytes = (msglen_t)q->value;
	return msgctl(q->id, IPC_SET, &ds) < 0 ? errno : 0;
}

static void
ipcset_exit(struct tracee *t, long long rval, bool is_error)
{
	const struct nsd_step *s = t->ca.s;
	const char *name = t->ca.sc->name;
	char ebuf[64];
	int f, err;

	bool procfs = t->ca.procfs;

	memset(&t->ca, 0, sizeof(t->ca));
	if (is_error && rval <= -512 && rval >= -516)
		return; /* restarted: the step waits */
	if (is_error) {
		supervisor_step_failed(t->ptask, name, s->id, -1, "%s",
		                       nsdd_errno_text((int)-rval, ebuf, sizeof(ebuf)));
		return;
	}
	if (procfs) {
		/* The kernel restored every field from the task's own IPC_SET. */
		supervisor_applied(t->ptask, name, MECH_PROCFS, s->id, s->id);
		return;
	}
	if (s->call == NSD_CALL_ANY) {
		if (s->id == 1)
			supervisor_unsupported(
			    t->ptask, name, "times and last-operation pids",
			    "LONG1 1: the running kernel offers no way to set them");
		supervisor_applied(t->ptask, name, MECH_IPC_SET, s->id, s->id);
		return;
	}
	for (f = 0; s->set != NULL && f < NSD_SET_COUNT; f++) {
		if (!(s->set->mask & (1u << f)))
			continue;
		if (f == NSD_SET_QBYTES) {
			struct qbytes q = {(int)s->id, s->set->value[f],
			                   cap_eff(t->tid) & (1ULL << CAP_SYS_RESOURCE_BIT), 0};
			if ((err = ipc_in_ns_of(t->tid, set_qbytes, &q)) != 0) {
				supervisor_step_failed(
				    t->ptask, name, s->id, -1, "qbytes %lld: %s%s", q.value,
				    nsdd_errno_text(err, ebuf, sizeof(ebuf)),
				    err == EPERM ? " (above msgmnb without CAP_SYS_RESOURCE)" : "");
				return;
			}
			continue;
		}
		supervisor_unsupported(t->ptask, name, field_names[f],
		                       "the running kernel offers no way to set it");
	}
	supervisor_applied(t->ptask, name, MECH_IPC_SET, s->id, s->id);
}

static bool
ipcset_busy(const struct tracee *t)
{
	return t->ca.active;
}

const struct step_ops ipcset_steps = {ipcset_entry, ipcset_exit, ipcset_busy, NULL};
