/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mode "seccomp": the target runs under a seccomp filter (nsdctl run
 * installs it in the child before exec) that sends nsdd a notification for
 * exactly the syscalls the plan's steps may apply to, and lets every other
 * syscall through untouched: a task costs nsdd nothing between them.
 *
 * nsdd takes the filter's listener from the target with pidfd_getfd(2).
 * A notification whose task has no pending step is answered at once with
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE. One whose task has a pending step is the
 * trigger for ptrace (the tracer's callback says which): it seizes and
 * interrupts the task, which
 * cancels the notification and restarts the syscall, and the restarted call
 * is handled at its syscall-entry stop as in ptrace mode (the seccomp filter
 * runs after that stop, so it sees the call as nsdd rewrote it, and the
 * task is let go once the step is done).
 *
 * The filter stays in the tasks for their whole life, so the listener is
 * answered until the last of them is gone (the listener hangs up), after
 * the plan's end too. Were it closed, their targeted syscalls would fail
 * with ENOSYS.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "../lib/filter.h"
#include "log.h"
#include "nsdd.h"
#include "task.h"
#include "listeners.h"

/* Linux 6.6: the task a notification's answer wakes runs on the answering
 * CPU at once, as does nsdd when a notification comes (seccomp_unotify(2)). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* Notifications taken at one wake-up, at most: then other events run. */
#define RECV_BURST 64

struct listener {
	TAILQ_ENTRY(listener) entry;
	int fd;
	seccomp_notified_fn notified;
	seccomp_gone_fn gone;
	struct event *ev;
	struct plan *plan; /* NULL once the plan has ended */
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size, resp_size;
};

static TAILQ_HEAD(, listener) listeners = TAILQ_HEAD_INITIALIZER(listeners);
static uint64_t received;
/* Linux 6.11 ("seccomp: interrupt SECCOMP_IOCTL_NOTIF_RECV when all users
 * have exited") ends a RECV on a listener whose filter has no task left,
 * with ENOENT; before, it waits for ever. -1: not asked yet. */
static int recv_ends_at_hangup = -1;

static void
listener_free(struct listener *l)
{
	TAILQ_REMOVE(&listeners, l, entry);
	event_free(l->ev);
	close(l->fd);
	free(l->req);
	free(l->resp);
	free(l);
}

/* No task is under the filter any more. */
static bool
hung_up(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) && !(p.revents & POLLIN);
}

static void
answer_continue(struct listener *l)
{
	memset(l->resp, 0, l->resp_size);
	l->resp->id = l->req->id;
	l->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(l->fd, SECCOMP_IOCTL_NOTIF_SEND, l->resp) < 0 && errno != ENOENT)
		log_warn("SECCOMP_IOCTL_NOTIF_SEND");
}

/* A notification is pending on fd. */
static bool
pending(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* No task is under the listener's filter any more: it goes. */
static void
listener_gone(struct listener *l)
{
	struct plan *plan = l->plan;
	seccomp_gone_fn fn = l->gone;

	listener_free(l);
	if (plan != NULL)
		fn(plan);
}

/*
 * Notifications are taken as soon as they come, all of those pending at a
 * wake-up: a task waits in its call until then, and a signal that comes
 * before nsdd takes its notification cuts the call short (-ERESTARTSYS:
 * EINTR for a handler without SA_RESTART, even for a fork, which natively
 * is always made again). The loop wakes nsdd for a notification or a
 * hang-up alike (poll(2)'s POLLHUP reads as readable): where a RECV would
 * wait for ever on a hang-up, a poll tells them apart first; since Linux
 * 6.11 the RECV is made at once, and only an ENOENT asks (a poll less a
 * notification).
 */
static void
notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	int n = 0;

	(void)what;
	if (!recv_ends_at_hangup && hung_up(fd)) {
		listener_gone(l);
		return;
	}
	do {
		memset(l->req, 0, l->req_size);
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, l->req) < 0) {
			if (errno == ENOENT && recv_ends_at_hangup && hung_up(fd)) {
				listener_gone(l);
				return;
			}
			if (errno != ENOENT && errno != EINTR)
				log_warn("SECCOMP_IOCTL_NOTIF_RECV");
			continue; /* the task went away before nsdd took it */
		}
		received++;
		if (l->plan != NULL)
			plan_count_notification(l->plan);
		if (l->plan == NULL || !l->notified(l->plan, l->req, l->fd))
			answer_continue(l);
	} while (++n < RECV_BURST && pending(fd));
}

/* The listener is the filter's: its /proc/self/fd link says so. */
static bool
is_listener(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, "anon_inode:seccomp notify") == 0;
}

/* nsdd may use seccomp(2): not so under a filter of its own that forbids it
 * (systemd's SystemCallFilter=, say). */
static int
usable(struct seccomp_notif_sizes *sizes, struct nsdd_error *e)
{
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, sizes) == 0)
		return 0;
	nsdd_error_set(e, ERR_NOT_SUPPORTED, 0, "nsdd cannot use seccomp(2) here: %s",
	               strerror(errno));
	snprintf(e->feature, sizeof(e->feature), "seccomp");
	return -1;
}

static size_t
at_least(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* Answers listener lfd from now on: for plan, or (NULL) CONTINUE to all. */
static void
listen_on(int lfd, struct plan *plan, seccomp_notified_fn notified, seccomp_gone_fn gone,
          const struct seccomp_notif_sizes *sizes)
{
	struct listener *l = xcalloc(1, sizeof(*l));
	uint64_t sync = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;

	if (recv_ends_at_hangup < 0)
		recv_ends_at_hangup = nsdd_kernel_at_least(6, 11);

	/* Older kernels lack it (EINVAL, ENOTTY): their wake-ups are as before. */
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, sync) < 0)
		log_debug("listener %d: no SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: %s", lfd,
		          strerror(errno));
	l->fd = lfd;
	l->plan = plan;
	l->notified = notified;
	l->gone = gone;
	l->req_size = at_least(sizes->seccomp_notif, sizeof(*l->req));
	l->resp_size = at_least(sizes->seccomp_notif_resp, sizeof(*l->resp));
	l->req = xcalloc(1, l->req_size);
	l->resp = xcalloc(1, l->resp_size);
	if ((l->ev = event_new(nsdd_base, lfd, EV_READ | EV_PERSIST, notify_cb, l)) == NULL ||
	    event_add(l->ev, NULL) < 0)
		fatalx("out of memory");
	TAILQ_INSERT_TAIL(&listeners, l, entry);
}

/*
 * Under systemd, a copy of each listener goes to the service's fd store
 * (FileDescriptorStoreMax= in the unit): while nsdd is stopped, or after it
 * died, its tasks' notifications wait there, and a restarted nsdd takes the
 * listeners back (seccomp_adopt). systemd drops its copy by itself once the
 * last task under the filter is gone (the listener hangs up).
 */
static void
fd_store(int fd)
{
#ifdef HAVE_SYSTEMD
	int rc = sd_pid_notify_with_fds(0, 0, "FDSTORE=1\nFDNAME=" SECCOMP_FDNAME, &fd, 1);

	if (rc < 0)
		log_warnx("cannot store a seccomp listener with systemd: %s", strerror(-rc));
#else
	(void)fd;
#endif
}

bool
seccomp_adopt(int fd, bool store)
{
	struct seccomp_notif_sizes sizes;
	struct nsdd_error e;

	if (!is_listener(fd) || usable(&sizes, &e) < 0) {
		log_warnx("fd %d is not a seccomp listener nsdd can answer", fd);
		close(fd);
		return false;
	}
	listen_on(fd, NULL, NULL, NULL, &sizes);
	if (store)
		fd_store(fd);
	return true;
}

int
seccomp_listen(struct plan *plan, int lfd, seccomp_notified_fn notified, seccomp_gone_fn gone,
               struct nsdd_error *e)
{
	struct seccomp_notif_sizes sizes;

	if (usable(&sizes, e) < 0)
		return -1;
	if (!is_listener(lfd))
		return nsdd_error_set(e, ERR_INVALID_PLAN, 0, "listener: not a seccomp listener");
	listen_on(lfd, plan, notified, gone, &sizes);
	fd_store(lfd);
	return 0;
}

int
seccomp_take(struct plan *plan, pid_t pid, int fd, seccomp_notified_fn notified,
             seccomp_gone_fn gone, struct nsdd_error *e)
{
	struct seccomp_notif_sizes sizes;
	int lfd;

	if (usable(&sizes, e) < 0)
		return -1;
	if ((lfd = nsdd_take_fd(pid, fd)) < 0 && errno == ESRCH)
		return nsdd_error_set(e, ERR_NO_SUCH_TASK, pid, "no task %d", pid);
	if (lfd < 0 && errno != EBADF)
		return nsdd_error_set(e, ERR_PERMISSION_DENIED, 0,
		                      "cannot take fd %d of pid %d: %s", fd, pid, strerror(errno));
	if (lfd < 0 || seccomp_listen(plan, lfd, notified, gone, e) < 0) {
		if (lfd >= 0)
			close(lfd);
		return nsdd_error_set(e, ERR_INVALID_PLAN, 0,
		                      "listener: fd %d of pid %d is not a seccomp listener", fd,
		                      pid);
	}
	return 0;
}

uint64_t
seccomp_received(void)
{
	return received;
}

bool
seccomp_answer(int fd, uint64_t id, int error)
{
	struct seccomp_notif_resp resp = {.id = id};

	if (error != 0)
		resp.error = -error;
	else
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0)
		return true;
	if (errno != ENOENT)
		log_warn("SECCOMP_IOCTL_NOTIF_SEND");
	return false;
}

bool
seccomp_id_valid(int fd, uint64_t id)
{
	return ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

void
seccomp_plan_ended(struct plan *plan)
{
	struct listener *l;

	TAILQ_FOREACH(l, &listeners, entry)
	if (l->plan == plan)
		l->plan = NULL;
}

/* libseccomp writes BPF only to an fd (seccomp_export_bpf_mem is 2.5.5's):
 * a memfd, read back. Its size, or -1 with errno. */
static ssize_t
export_bpf(scmp_filter_ctx ctx, void **out)
{
	int fd = memfd_create("nsdd-filter", MFD_CLOEXEC), rc, err = 0;
	ssize_t size = -1;

	if (fd < 0)
		return -1;
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0)
		err = -rc; /* libseccomp's -errno */
	else if ((size = lseek(fd, 0, SEEK_END)) <= 0 || size > BPF_MAXINSNS * 8 ||
	         size % (ssize_t)sizeof(struct sock_filter) != 0)
		err = E2BIG;
	else if (pread(fd, *out = xmalloc((size_t)size), (size_t)size, 0) != size)
		err = EIO;
	close(fd);
	errno = err;
	return err != 0 ? -1 : size;
}

struct filter_job *
seccomp_filter_new(unsigned calls, struct nsdd_error *e)
{
	struct seccomp_notif_sizes sizes;
	struct filter_job *job;
	scmp_filter_ctx ctx;
	ssize_t size;
	int err;

	/* A filter whose listener nsdd could not answer would fail its calls. */
	if (usable(&sizes, e) < 0)
		return NULL;
	ctx = nsd_filter_new(calls, SCMP_ACT_NOTIFY);
	job = xcalloc(1, sizeof(*job));
	size = ctx != NULL ? export_bpf(ctx, &job->prog) : -1;
	err = errno;
	if (ctx != NULL)
		seccomp_release(ctx);
	if (size < 0) {
		seccomp_filter_free(job);
		nsdd_error_set(e, ERR_NOT_SUPPORTED, 0, "cannot make the seccomp filter: %s",
		               strerror(err));
		snprintf(e->feature, sizeof(e->feature), "seccomp");
		return NULL;
	}
	job->len = (unsigned short)(size / (ssize_t)sizeof(struct sock_filter));
	return job;
}

void
seccomp_filter_free(struct filter_job *job)
{
	if (job != NULL)
		free(job->prog);
	free(job);
}
