/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <sched.h>

#include "filter.h"
#include "nsd/plan.h"
#include "syscalls.h"

/* action on nr; for nsdd's own clone3 (NSD_OWN_CLONE3_SIZE), none. */
static int
rule(scmp_filter_ctx ctx, uint32_t action, int nr)
{
	const struct scmp_arg_cmp own = {
	    .arg = 1, .op = SCMP_CMP_NE, .datum_a = NSD_OWN_CLONE3_SIZE, .datum_b = 0};

	if (nr == SCMP_SYS(clone3))
		return seccomp_rule_add_array(ctx, action, nr, 1, &own);
	return seccomp_rule_add(ctx, action, nr, 0);
}

/* The calls that may change a task's pid_for_children: unshare(2) with
 * CLONE_NEWPID, setns(2) whose nstype is 0 (any kind of fd) or has
 * CLONE_NEWPID (a pidfd's flags). nstype is an int: its low 32 bits, as the
 * kernel reads it. */
static int
pidns_changes(scmp_filter_ctx ctx, uint32_t action)
{
	const struct scmp_arg_cmp newpid0 = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWPID, CLONE_NEWPID);
	const struct scmp_arg_cmp newpid1 = SCMP_A1(SCMP_CMP_MASKED_EQ, CLONE_NEWPID, CLONE_NEWPID);
	const struct scmp_arg_cmp any1 = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffff, 0);
	int rc;

	if ((rc = seccomp_rule_add_array(ctx, action, SCMP_SYS(unshare), 1, &newpid0)) < 0 ||
	    (rc = seccomp_rule_add_array(ctx, action, SCMP_SYS(setns), 1, &newpid1)) < 0 ||
	    (rc = seccomp_rule_add_array(ctx, action, SCMP_SYS(setns), 1, &any1)) < 0) {
		errno = -rc; /* libseccomp's -errno */
		return -1;
	}
	return 0;
}

scmp_filter_ctx
nsd_filter_new(unsigned calls, uint32_t action)
{
	static const uint32_t arches[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
	const int setters[] = {SCMP_SYS(rt_sigaction), SCMP_SYS(sigaction), SCMP_SYS(signal)};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	const struct nsd_syscall *sc = NULL;
	size_t i;
	int rc;

	if (ctx == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		seccomp_arch_add(ctx, arches[i]);
	while ((sc = nsd_syscall_next(sc)) != NULL)
		if (nsd_syscall_targeted(sc, calls) &&
		    (rc = rule(ctx, action, seccomp_syscall_resolve_name(sc->name))) < 0) {
			/* A targeted call the filter missed would go unplanned. */
			seccomp_release(ctx);
			errno = -rc; /* libseccomp's -errno */
			return NULL;
		}
	/* i386's sigaction and signal set actions too (x86_64 has neither). */
	for (i = 0; action == SCMP_ACT_NOTIFY && i < sizeof(setters) / sizeof(setters[0]); i++)
		if ((rc = seccomp_rule_add(ctx, action, setters[i], 1,
		                           SCMP_A1(SCMP_CMP_NE, 0, 0))) < 0) {
			seccomp_release(ctx);
			errno = -rc;
			return NULL;
		}
	if (action == SCMP_ACT_NOTIFY && pidns_changes(ctx, action) < 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}
