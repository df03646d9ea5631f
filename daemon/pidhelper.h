/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pidhelper.c: the program of a pid namespace's helper, a process nsdd
 * places inside the namespace (ns.c) to read and write its ns_last_pid and
 * look for its pids, which only a task inside it can. Requests and replies
 * go over a SOCK_SEQPACKET pair, one message each.
 */
#ifndef NSDD_PIDHELPER_H
#define NSDD_PIDHELPER_H

#include <stdint.h>

/* SET: ns_last_pid = want - 1, answering the value it had (EEXIST: want is
 * taken). PUT_BACK: ns_last_pid gets old again if it is still want - 1 (no
 * fork took it), or want with pid want free (a fork took it and failed).
 * FIND: whether pid want exists in the namespace (EBUSY: taken, its task
 * not yet attached), and its pid in nsdd's. UNSET: old again only if it is
 * still want - 1 (a SET that no fork was answered for). */
enum helper_op { HELPER_SET, HELPER_PUT_BACK, HELPER_FIND, HELPER_UNSET };

struct helper_req {
	int32_t op;
	int32_t want;
	int32_t old;
};

struct helper_rep {
	int32_t rc;
	int32_t old;
	int32_t pid; /* FIND: want's pid in nsdd's namespace */
};

/* The helper's main: serves requests on sock until nsdd closes it. */
__attribute__((noreturn)) void pid_helper_main(int sock);

#endif
