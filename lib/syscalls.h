/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The syscalls a plan's steps apply to: one table, a row per syscall of the
 * architecture nsdd serves (x86_64; the seccomp filter's i386 and x32 rules
 * are made from the same rows, by name, through libseccomp). Every other
 * map of syscalls in nsdd and nsdctl is derived from it: the syscalls of a
 * call kind (nsd_call_syscalls), the filter, the daemon's step handler for
 * a row, what a Record can write, how a call cut short by a signal is made
 * again. Adding a call kind is: an enum nsd_call value, its rows here, one
 * step handler in daemon/ (and its entry in daemon/restore.c), and its docs.
 * Not installed.
 */
#ifndef NSD_SYSCALLS_H
#define NSD_SYSCALLS_H

#include <stdbool.h>

#include "nsd/plan.h"

/* Each row's syscall, as the step handlers tell them apart. */
enum nsd_sc {
	NSD_SC_FORK,
	NSD_SC_VFORK,
	NSD_SC_CLONE,
	NSD_SC_CLONE3,
	NSD_SC_MSGGET,
	NSD_SC_SEMGET,
	NSD_SC_SHMGET,
	NSD_SC_OPEN,
	NSD_SC_OPENAT,
	NSD_SC_OPENAT2,
	NSD_SC_CREAT,
	NSD_SC_MSGCTL,
	NSD_SC_SEMCTL,
	NSD_SC_SHMCTL
};

/* The argument indexes are -1 where the syscall has none. */
struct nsd_syscall {
	long nr; /* x86_64 */
	const char *name;
	enum nsd_sc sc;
	enum nsd_call call; /* the call it serves (every fork kind: NSD_CALL_FORK) */
	unsigned calls;     /* 1 << enum nsd_call for each call it may serve */
	signed char dirfd_arg, path_arg;
	/* Its flags: open's O_*, an IPC get's IPC_CREAT, clone's CLONE_*; with
	 * flags_in_how, the argument points to a struct open_how, whose size is
	 * the next argument. With no flags argument, fixed_flags are its flags. */
	signed char flags_arg;
	bool flags_in_how;
	unsigned long long fixed_flags;
	unsigned long long cloexec; /* the flag that makes its new fd close-on-exec, or 0 */
	signed char key_arg;        /* an IPC get's key */
	signed char cmd_arg;        /* an IPC ctl's command (IPC_SET) */
	bool recordable;            /* a Record writes down what it made */
	/* Cut short by a signal, it is made again natively whatever the
	 * handler's SA_RESTART (a fork: -ERESTARTNOINTR; an IPC get or ctl never
	 * waits). An open can fail with EINTR. */
	bool restarts;
};

/* The row of syscall nr, or NULL: not a syscall any step applies to. */
const struct nsd_syscall *nsd_syscall_find(long nr);
/* The rows in order: the first after prev (NULL: the first); NULL at the end. */
const struct nsd_syscall *nsd_syscall_next(const struct nsd_syscall *prev);
/*
 * Whether a plan whose steps make the calls in `calls` (1 << enum nsd_call
 * each) targets sc: sc may serve one of its steps; an `any` step, every
 * row. A syscall of another kind is not looked at, and is no divergence
 * under "strict" (a fork-only plan does not care for the dynamic loader's
 * opens).
 */
bool nsd_syscall_targeted(const struct nsd_syscall *sc, unsigned calls);
/* Whether a Record can write what a call of the kind made. */
bool nsd_call_recordable(enum nsd_call call);

#endif
