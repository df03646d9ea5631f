/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * flight.c: a planned fork in flight on the notify route, answered CONTINUE
 * with ns_last_pid written, until the kernel's fork events say whether it
 * made the planned pid. unotify.c, which decides which forks take the
 * route and holds the rest meanwhile, uses it.
 */
#ifndef NSDD_FLIGHT_H
#define NSDD_FLIGHT_H

#include <sys/queue.h>

#include "nsdd.h"
#include "task.h"

struct seccomp_notif;
struct event;

/* How flight_settle() looks: at a timer or another task's notification; at
 * the notifier's next notification (it is out of its fork call); or for
 * the last time, the notifier at its exit or gone (no more calls). */
enum look { LOOK_NOW, LOOK_CALLED, LOOK_LAST };

struct flight {
	TAILQ_ENTRY(flight) entry;
	void (*landed)(pid_t tid); /* settled from the loop: what it held may go */
	struct event *timer;
	bool busy;
	int fd;
	uint64_t id;
	pid_t tid;                     /* the notifier, in nsdd's namespace */
	pid_t tgid;                    /* its thread group (a thread's fork) */
	pid_t child;                   /* the child its fork event names */
	bool lost;                     /* fork events were lost meanwhile */
	bool thread;                   /* CLONE_THREAD */
	bool cut;                      /* a signal cut it short: it is made again */
	struct plan *plan;             /* its plan */
	struct ptask *pt;              /* its plan task */
	const struct nsd_syscall *sc;  /* its call */
	size_t levels;                 /* the step's pid levels, innermost first */
	int32_t pids[NSD_MAX_LEVELS];  /* the planned pids */
	int32_t old[NSD_MAX_LEVELS];   /* ns_last_pid before, to put back */
	struct ns *ns[NSD_MAX_LEVELS]; /* locked, f the owner, while in flight */
	uint64_t mark;                 /* seccomp_received() when answered */
	uint64_t known;                /* the mark of the last fork seen made, or 0 */
	uint64_t since;                /* when it was answered, us */
	uint64_t wait;                 /* the next check, after this many us */
	struct {                       /* a fork guessed next, written ahead */
		pid_t tid;             /* its task (0: none) */
		size_t levels;
		int32_t pids[NSD_MAX_LEVELS];
		int32_t old[NSD_MAX_LEVELS]; /* ns_last_pid before it */
		struct ns *ns[NSD_MAX_LEVELS];
	} armed;
};

void flight_init(struct flight *f, struct plan *plan, void (*landed)(pid_t tid));
/* A fork in flight is given up, ns_last_pid put back. */
void flight_free(struct flight *f);
/* Whether the kernel sends nsdd fork events (asked once, said once). */
bool flight_events_on(void);
/* Task req->pid's fork sc (a thread of process tgid, or 0), its step s,
 * into the namespaces ns (locked with f as owner; f takes them):
 * ns_last_pid is written at every level and the call answered CONTINUE.
 * false: the helper could not write it (the namespaces are let go), or the
 * pid was taken (answered EEXIST, its step failed, when *refused says so). */
bool flight_start(struct flight *f, const struct seccomp_notif *req, int fd,
                  const struct nsd_syscall *sc, struct ptask *pt, const struct nsd_step *s,
                  struct ns **ns, pid_t tgid, bool *refused);
/* The notifier made its fork again (cut short by a signal): answered
 * again. false: it could not be, and the step failed. */
bool flight_again(struct flight *f, const struct seccomp_notif *req, int fd);
/* Whether the fork in flight is over: reported (applied or failed) and let
 * go. false: it is still to come, or, cut, to be made again. */
bool flight_settle(struct flight *f, enum look how);
/* With no fork in flight: task tid's planned fork s, into the namespaces
 * ns (f takes them), is made the namespaces' next, ns_last_pid written
 * ahead of its call; its call then finds it so (flight_start()). */
void flight_arm(struct flight *f, pid_t tid, const struct nsd_step *s, struct ns **ns);
/* What flight_arm() wrote is put back (none: nothing). */
void flight_disarm(struct flight *f);

#endif
