/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ipcns.c: an IPC namespace's *_next_id, for the IPC get steps (ipcget.c)
 * and the notify route (iflight.c).
 */
#ifndef NSDD_IPCNS_H
#define NSDD_IPCNS_H

#include "nsdd.h"
#include "ns.h"

/* /proc/sys/kernel/{msg,sem,shm}_next_id, for the call's kind. */
const char *ipcns_next_id_file(enum nsd_call call);
/* Reads (value != NULL) or writes (set) the call kind's *_next_id of IPC
 * namespace ns from inside it: 0, or -1 with errno. */
int ipcns_next_id(struct ns *ns, enum nsd_call call, long *value, long set);
/* The id of the object of the call's kind with key in IPC namespace ns;
 * -1 with errno (ENOENT: none). */
long ipcns_id_of_key(struct ns *ns, enum nsd_call call, int32_t key);
/* Puts *_next_id back to -1 if a call left it set (it made no object). */
void ipcns_take_back(struct ns *ns, enum nsd_call call);

#endif
