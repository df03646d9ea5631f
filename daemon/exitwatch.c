/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exit of a plan task that nsdd does not trace (leaves.h): mode
 * seccomp's target, and a child the notify route made, before either is
 * seized at its first call (nsdd(8)). A pidfd, which the kernel makes
 * readable once the process has exited; its wait status is read from /proc
 * while it is a zombie (the pidfd says whether the pid still names it),
 * else it is not known.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <event2/event.h>

#include "leaves.h"
#include "log.h"

struct exitwatch {
	struct event *ev;
	int fd;
	pid_t pid;
	void (*fn)(void *arg, int status);
	void *arg;
};

/* Field 52 of /proc/PID/stat, the wait status of a zombie; -1 if unknown. */
static int
status_of(const struct exitwatch *w)
{
	char path[64], buf[1024], *p;
	int status = -1, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", w->pid);
	if (w->fd < 0 || (f = fopen(path, "re")) == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), f) != NULL ? strrchr(buf, ')') : NULL;
	fclose(f);
	for (i = 2; p != NULL && i < 52; i++) /* p is at the end of field i */
		p = strchr(p + 1, ' ');
	if (p != NULL)
		status = (int)strtol(p + 1, NULL, 10);
	/* Read from the zombie, not from a task that took its pid after it. */
	if (syscall(SYS_pidfd_send_signal, w->fd, 0, NULL, 0) < 0)
		return -1;
	return status;
}

static void
exited_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exitwatch *w = arg;
	void (*fn)(void *, int) = w->fn;
	void *fn_arg = w->arg;
	int status = status_of(w);

	(void)fd;
	(void)what;
	exitwatch_del(w);
	fn(fn_arg, status);
}

struct exitwatch *
exitwatch_add(pid_t pid, void (*fn)(void *arg, int status), void *arg)
{
	struct exitwatch *w;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0 && errno != ESRCH)
		return NULL;
	w = xcalloc(1, sizeof(*w));
	w->fd = fd;
	w->pid = pid;
	w->fn = fn;
	w->arg = arg;
	if ((w->ev = event_new(nsdd_base, fd, EV_READ, exited_cb, w)) == NULL)
		fatalx("out of memory");
	if (fd < 0)
		event_active(w->ev, EV_READ, 0); /* gone already: told from the loop */
	else if (event_add(w->ev, NULL) < 0)
		fatalx("cannot watch pidfd %d", fd);
	return w;
}

void
exitwatch_del(struct exitwatch *w)
{
	if (w == NULL)
		return;
	event_free(w->ev);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
