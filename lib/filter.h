/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mode "seccomp": the filter a target runs under, the same whoever installs
 * it (nsdctl run in its child, nsdd in a running target). Not installed.
 */
#ifndef NSD_FILTER_H
#define NSD_FILTER_H

#include <seccomp.h>

/*
 * A filter that takes action (SCMP_ACT_NOTIFY: mode seccomp; SCMP_ACT_TRACE(0):
 * a Record's ptrace stops) on exactly the syscalls that steps of calls
 * (1 << enum nsd_call each) may apply to, in x86_64, i386 and x32 alike, and
 * allows everything else; NULL with errno if it cannot be made. A notifying
 * filter also notifies every rt_sigaction(2) that sets an action (its act
 * is not NULL; and i386's sigaction and signal): so nsdd learns when a task
 * may get a handler with which a signal could make a notified call fail
 * (EINTR), and can leave a task that has none untraced until then. It
 * notifies every call that may change a task's pid_for_children too
 * (unshare(2) with CLONE_NEWPID, setns(2) to a pid namespace or with any
 * kind of fd): so nsdd may keep the namespace a task's children get pids
 * in from one of its forks to the next, with no /proc read.
 */
scmp_filter_ctx nsd_filter_new(unsigned calls, uint32_t action);

/*
 * The size nsdd gives the clone3 it rewrites a targeted fork into: struct
 * clone_args zero-padded to a size no C library passes (the kernel takes any
 * size up to a page whose unknown tail is zero). The filter lets a clone3 of
 * this size through: nsdd made it, and a second notification would only be
 * answered CONTINUE.
 */
#define NSD_OWN_CLONE3_SIZE 128

#endif
