/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seccomp.c: the listeners of mode seccomp; install.c installs a filter.
 */
#ifndef NSDD_LISTENERS_H
#define NSDD_LISTENERS_H

#include "nsdd.h"

/* --- seccomp.c: mode "seccomp", the listener of the target's filter ------- */

struct seccomp_notif;
/* A notification of listener fd: true if the callee took it (it will not be
 * answered), false to answer it CONTINUE. */
typedef bool (*seccomp_notified_fn)(struct plan *plan, const struct seccomp_notif *req, int fd);
typedef void (*seccomp_gone_fn)(struct plan *plan);
/* Takes the listener fd of pid for plan (pidfd_getfd) and answers it;
 * gone: no task is under the filter any more. */
int seccomp_take(struct plan *plan, pid_t pid, int fd, seccomp_notified_fn notified,
                 seccomp_gone_fn gone, struct nsdd_error *e);
/* The same with a listener nsdd has (an OCI runtime's; kept on error). */
int seccomp_listen(struct plan *plan, int lfd, seccomp_notified_fn notified, seccomp_gone_fn gone,
                   struct nsdd_error *e);
/* A listener from systemd's fd store (this name), or one with no plan (store:
 * put it there): answered CONTINUE until it hangs up; false, closed, if not. */
#define SECCOMP_FDNAME "seccomp"
bool seccomp_adopt(int fd, bool store);
/* The plan is over: its listener is answered CONTINUE until it hangs up. */
void seccomp_plan_ended(struct plan *plan);
/* The notification id of listener fd is still pending (SECCOMP_IOCTL_NOTIF_ID_VALID):
 * what was read of its task's memory since it came is what the call uses. */
bool seccomp_id_valid(int fd, uint64_t id);
/* Answers notification id of listener fd: CONTINUE (error 0), or the call
 * fails with error; false if it is gone (a signal ended the task's wait: its
 * call is made again, or the task died). */
bool seccomp_answer(int fd, uint64_t id, int error);
/* Notifications taken so far, of every listener: a fork of any task under
 * one of nsdd's filters (an exec into a container has its own) is one. */
uint64_t seccomp_received(void);
/* The BPF filter for calls, to install in a running target; NULL and e. */
struct filter_job *seccomp_filter_new(unsigned calls, struct nsdd_error *e);
void seccomp_filter_free(struct filter_job *job);

#endif
