/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A planned IPC get in flight on the notify route (iflight.h).
 *
 * The call's result is not seen; its namespace shows it. The kernel puts
 * *_next_id back to -1 when an allocation uses it, and every other task that
 * can make an object in the namespace is held meanwhile (unotify.c): so once
 * it reads -1, the notifier's call made the object with the planned id (an
 * object is made only at the end of a get that succeeds, ipc/util.c,
 * ipc_addid). A get of a key that has an object already makes none, and
 * returns it or fails; it takes the ptrace route, which sees which
 * (unotify.c looks the key up first). While the id is still set, the call
 * is to come, or failed (ENOSPC, ENOMEM, EINVAL). Once the notifier is seen
 * out of its call (its next notification, its exit, a block in another
 * syscall, or 5 s of running) with the id unused, the id is taken back and
 * the step fails, as on the ptrace route, though the call's own error is not
 * seen; until then the id stays written, which no other get can use (each
 * passes nsdd first), but a read of the file shows. The namespace is looked
 * at from a timer, at once and then doubling, and at each notification of
 * the plan meanwhile.
 */
#include "config.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>

#include "iflight.h"
#include "ipcns.h"
#include "listeners.h"
#include "log.h"
#include "ns.h"
#include "tracing.h"

#define SETTLE_MAX_USEC   (5 * 1000 * 1000)
#define SETTLE_FIRST_USEC 50
#define SETTLE_LAST_USEC  50000

/* Its namespace is let go; with take_back, an id the call did not use. */
static void
land(struct iflight *f, bool take_back)
{
	if (take_back)
		ipcns_take_back(f->ns, f->call);
	ns_unlock(&f->ns, 1, f);
	ns_put(f->ns);
	f->ns = NULL;
	f->busy = false;
	evtimer_del(f->timer);
}

/* Whether *_next_id tells the call's outcome: an id used (applied), or the
 * file unreadable (failed); false: the id is still set. */
static bool
told(struct iflight *f)
{
	long next = 0;
	char ebuf[64], msg[192];

	if (ipcns_next_id(f->ns, f->call, &next, 0) < 0) {
		nsdd_errno_text(errno, ebuf, sizeof(ebuf));
		land(f, false);
		snprintf(msg, sizeof(msg), "cannot read %s: %s", ipcns_next_id_file(f->call), ebuf);
		plan_up->step_failed(f->pt, f->sc->name, f->id, -1, msg);
		return true;
	}
	if (next != -1)
		return false;
	land(f, false);
	plan_up->applied(f->pt, f->sc->name, MECH_NEXT_ID, ROUTE_NOTIFY, f->id, f->id);
	return true;
}

bool
iflight_settle(struct iflight *f, enum look how)
{
	long at = NSDD_RUNNING;
	char msg[192];
	bool gone, over;

	/* Used already, as it mostly is: what the task does need not be seen
	 * (at its next call or its exit, it is out of this one already). */
	if (told(f))
		return true;
	/* Else, from a timer or another task's call, what it does is seen
	 * before the namespace is read again. */
	if (how == LOOK_NOW) {
		at = nsdd_proc_syscall(f->tid);
		if (told(f))
			return true;
	}
	gone = how == LOOK_LAST || at == NSDD_GONE;
	over = gone || how == LOOK_CALLED || (at >= 0 && at != f->sc->nr);
	if (!over && (at == f->sc->nr || nsdd_mono_usec() - f->since < SETTLE_MAX_USEC))
		return false;
	if (f->cut && !gone && how == LOOK_CALLED)
		return false; /* made again: iflight_again() */
	land(f, true);
	snprintf(msg, sizeof(msg),
	         "its %s made no object with IPC id %d (it failed: this route does not see "
	         "its error)",
	         f->sc->name, f->id);
	plan_up->step_failed(f->pt, f->sc->name, f->id, -1, msg);
	return true;
}

static void
settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct iflight *f = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	if (!f->busy)
		return;
	if (iflight_settle(f, LOOK_NOW)) {
		f->landed(f->tid);
		return;
	}
	tv = nsdd_backoff(&f->wait, SETTLE_LAST_USEC);
	evtimer_add(f->timer, &tv);
}

static void
answer(struct iflight *f, const struct seccomp_notif *req, int fd)
{
	struct timeval tv = {0, SETTLE_FIRST_USEC};

	f->since = nsdd_mono_usec();
	f->wait = SETTLE_FIRST_USEC;
	evtimer_add(f->timer, &tv);
	/* A signal that ended its wait first: the call is made again. */
	f->cut = !seccomp_answer(fd, req->id, 0);
}

void
iflight_init(struct iflight *f, void (*landed)(pid_t tid))
{
	memset(f, 0, sizeof(*f));
	f->landed = landed;
	if ((f->timer = evtimer_new(nsdd_base, settle_cb, f)) == NULL)
		fatalx("out of memory");
}

void
iflight_free(struct iflight *f)
{
	if (f->busy)
		land(f, true);
	event_free(f->timer);
}

bool
iflight_start(struct iflight *f, const struct seccomp_notif *req, int fd,
              const struct nsd_syscall *sc, struct ptask *pt, const struct nsd_step *s,
              struct ns *ns)
{
	f->busy = true;
	f->tid = (pid_t)req->pid;
	f->pt = pt;
	f->sc = sc;
	f->call = s->call;
	f->id = (int32_t)s->id;
	f->ns = ns;
	if (ipcns_next_id(ns, f->call, NULL, s->id) < 0) {
		log_warn("cannot write %s", ipcns_next_id_file(f->call));
		land(f, false);
		return false;
	}
	log_debug("task %d: %s set to %d, its %s let through", f->tid, ipcns_next_id_file(f->call),
	          f->id, sc->name);
	answer(f, req, fd);
	return true;
}

void
iflight_again(struct iflight *f, const struct seccomp_notif *req, int fd)
{
	answer(f, req, fd);
}
