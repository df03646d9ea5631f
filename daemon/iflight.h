/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iflight.c: a planned msgget, semget or shmget in flight on the notify
 * route, answered CONTINUE with *_next_id written, until the namespace shows
 * whether it made the planned object. unotify.c uses it.
 */
#ifndef NSDD_IFLIGHT_H
#define NSDD_IFLIGHT_H

#include "flight.h"

struct iflight {
	void (*landed)(pid_t tid); /* settled from a timer: what it held may go */
	struct event *timer;
	bool busy;
	bool cut;                     /* the answer found the call gone: made again */
	pid_t tid;                    /* the notifier, in nsdd's namespace */
	struct ptask *pt;             /* its plan task */
	const struct nsd_syscall *sc; /* its call */
	enum nsd_call call;
	int32_t id;   /* the planned id */
	bool has_key; /* and the key the step names */
	int32_t key;
	unsigned long long flags; /* the call's IPC_CREAT, IPC_EXCL */
	struct ns *ns;            /* its IPC namespace, locked with f as owner */
	uint64_t since;           /* when it was answered, us */
	uint64_t wait;            /* the next look, after this many us */
};

void iflight_init(struct iflight *f, void (*landed)(pid_t tid));
/* A call in flight is given up, its id taken back. */
void iflight_free(struct iflight *f);
/* Task req->pid's call sc, its step s, into IPC namespace ns (locked with f
 * as owner; f takes it): *_next_id is written and the call answered
 * CONTINUE. false: it could not be written (the namespace is let go). */
bool iflight_start(struct iflight *f, const struct seccomp_notif *req, int fd,
                   const struct nsd_syscall *sc, struct ptask *pt, const struct nsd_step *s,
                   struct ns *ns);
/* The notifier made its call again (the answer found it gone): answered. */
void iflight_again(struct iflight *f, const struct seccomp_notif *req, int fd);
/* Whether the call in flight is over: reported (applied or failed) and let
 * go. false: it is still to come, or, cut, to be made again. */
bool iflight_settle(struct iflight *f, enum look how);

#endif
