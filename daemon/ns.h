/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ns.c: the namespace room, for the files that act inside a task's
 * namespaces or wait on their locks. */
#ifndef NSDD_NS_H
#define NSDD_NS_H

#include "nsdd.h"

int ns_init(void);
/* fn runs from the event loop after a lock was freed, or ns_wake(). */
void ns_on_release(void (*fn)(void));
/* Held tasks try again soon: what they waited for is done (not a lock). */
void ns_wake(void);
unsigned long ns_ino(const struct ns *ns);
int ns_type(const struct ns *ns);                         /* CLONE_NEWPID or CLONE_NEWIPC */
void ns_key(const struct ns *ns, dev_t *dev, ino_t *ino); /* its nsfs file's */
/* Failures: -1 (NULL) with errno. */
/* tid's IPC namespace, held for a step of user (owner's plan) until ns_put(). */
struct ns *ns_ipc_of(pid_t tid, const void *user, uid_t owner);
/* The pid namespaces a new child of tid lands in, innermost first; each held.
 * kids: see ns.c. */
int ns_child_pidns(pid_t tid, bool newpid, size_t levels, const void *user, uid_t owner,
                   ino_t *kids, struct ns **out);
void ns_put(struct ns *ns);
void ns_release(const void *user); /* user's plan ended: its idle ones go */
/* fn(arg) with nsdd inside tid's IPC namespace, or ns: fn returns 0 or -1
 * with errno, and so do these. */
int ns_run_ipc_of(pid_t tid, int (*fn)(void *arg), void *arg);
int ns_run(struct ns *ns, int (*fn)(void *arg), void *arg);
/* Takes the lock of every namespace in ns (NULLs skipped) for owner, or none. */
bool ns_lock(struct ns *const *ns, size_t n, const void *owner);
void ns_unlock(struct ns *const *ns, size_t n, const void *owner);
/* EEXIST: want is taken. */
int ns_set_last_pid(struct ns *ns, int32_t want, int32_t *old);
void ns_put_back_last_pid(struct ns *ns, int32_t want, int32_t old, bool unset);
/* Pid nr of pid namespace ns exists, as *pid in nsdd's; ESRCH: it does not,
 * EBUSY: it is taken, its task not yet made. */
int ns_find_pid(struct ns *ns, int32_t nr, pid_t *pid);
/* Pid pid of nsdd's namespace as ns numbers it: -1 with errno (ESRCH: no
 * such task there; ENOTTY: the kernel cannot tell). */
int32_t ns_pid_in(const struct ns *ns, pid_t pid);
/* Task tid's thread group, both in nsdd's numbers; -1 if it is gone. */
pid_t ns_tgid(pid_t tid);
/* A fork that by (a fork in flight) saw made pid: the namespace's next fork
 * gets pid + 1 if it is free, until nsdd writes ns_last_pid (in this file
 * alone) or another fork is let through, which by must know of. */
void ns_forked(struct ns *ns, int32_t pid, const void *by);
/* Whether by knows the namespace's next fork gets want: by saw its last fork
 * make want - 1, nothing wrote ns_last_pid since, and want is free. */
bool ns_next_is(struct ns *ns, int32_t want, const void *by);
bool ns_helper_reaped(pid_t pid);
bool ns_is_helper(pid_t pid);
/* Every task that can fork into pid namespace ns (or one below it) is target
 * or a descendant of it, by their parents: the tasks in it, and those
 * outside that have it as pid_for_children; for an IPC namespace, the tasks
 * in it. A scan of /proc (nstree.c). */
bool ns_tree_only(const struct ns *ns, pid_t target);
void ns_gc(void);

#endif
