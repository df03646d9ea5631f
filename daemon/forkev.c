/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's fork events, from the proc connector (cn_proc, a netlink
 * multicast group for root in the initial namespaces).
 *
 * The kernel sends PROC_EVENT_FORK from copy_process() once the child
 * exists, before the fork returns to its caller, and for a successful fork
 * only: a fork that fails after it has taken its pid (the pids controller's
 * EAGAIN, a signal's restart) sends none. So once the forking task is seen
 * out of its call, a read of this socket tells whether its fork made a
 * child. Events are asked for by type where the kernel can filter them
 * (Linux 6.6), else every process event comes and the others are skipped.
 * If the socket overflows, the kernel drops events and says ENOBUFS: ops->lost.
 * Only messages from the kernel (netlink port 0) are read.
 */
#include "config.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "forkev.h"
#include "leaves.h"
#include "log.h"
#include "nsdd.h"

/* The socket's buffer: a burst of forks on the host must not overflow it. */
#define RCVBUF (8 << 20)

static int sock = -1;
static struct event *ev;
static const struct forkev_ops *ops;
static bool by_type;      /* listening by event type (Linux 6.6) */
static bool woken = true; /* the loop reads events as they come */

/* Asks cn_proc for op, with (Linux 6.6, typed) the event type wanted: a
 * struct proc_input, which not every libc's headers have, two u32s. */
static int
ask(uint32_t op, bool typed)
{
	char buf[NLMSG_LENGTH(sizeof(struct cn_msg) + 2 * sizeof(uint32_t))]
	    __attribute__((aligned(8)));
	struct nlmsghdr *nl = (struct nlmsghdr *)buf;
	struct cn_msg *cn = NLMSG_DATA(nl);
	uint32_t in[2] = {op, PROC_EVENT_FORK};
	size_t len = NLMSG_LENGTH(sizeof(*cn) + (typed ? 2 : 1) * sizeof(uint32_t));

	memset(buf, 0, sizeof(buf));
	nl->nlmsg_len = (uint32_t)len;
	nl->nlmsg_type = NLMSG_DONE;
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = (uint16_t)((typed ? 2 : 1) * sizeof(uint32_t));
	memcpy(cn->data, in, cn->len);
	return send(sock, buf, len, 0) == (ssize_t)len ? 0 : -1;
}

/* One datagram's fork event, if it is one from the kernel. The event sits
 * at offset 36 of the datagram, not aligned for its u64: it is copied. */
static bool
parse(const char *buf, size_t len, struct fork_event *fe)
{
	struct nlmsghdr nl;
	struct cn_msg cn;
	struct proc_event pe;
	const size_t head = NLMSG_LENGTH(sizeof(cn));
	const size_t need = offsetof(struct proc_event, event_data) + sizeof(pe.event_data.fork);

	if (len < head)
		return false;
	memcpy(&nl, buf, sizeof(nl));
	memcpy(&cn, buf + NLMSG_HDRLEN, sizeof(cn));
	if (nl.nlmsg_len > len || nl.nlmsg_len < head || cn.id.idx != CN_IDX_PROC ||
	    cn.id.val != CN_VAL_PROC || cn.len < need || head + cn.len > nl.nlmsg_len)
		return false;
	memset(&pe, 0, sizeof(pe));
	memcpy(&pe, buf + head, need);
	if (pe.what != PROC_EVENT_FORK)
		return false;
	fe->parent = pe.event_data.fork.parent_pid;
	fe->parent_tgid = pe.event_data.fork.parent_tgid;
	fe->child = pe.event_data.fork.child_pid;
	fe->child_tgid = pe.event_data.fork.child_tgid;
	fe->when = pe.timestamp_ns;
	return true;
}

/* Reads what is queued, each fork event to fn, until fn has what it waits
 * for (no read that only says the socket is empty, after the one event a
 * planned fork waits for); at most about what the socket's buffer holds,
 * so that a host forking faster than nsdd reads cannot keep it here: past
 * that, the rest is as good as dropped. */
static void
drain(bool (*fn)(const struct fork_event *))
{
	char buf[1024] __attribute__((aligned(8)));
	struct sockaddr_nl from;
	socklen_t flen;
	struct fork_event fe;
	ssize_t n;
	size_t count;

	for (count = 0;; count++) {
		if (count == RCVBUF / 512) {
			log_warnx("more fork events than nsdd's socket holds, at once");
			if (ops != NULL)
				ops->lost();
			return;
		}
		flen = sizeof(from);
		n = recvfrom(sock, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			log_warnx("the kernel dropped fork events: nsdd's socket was full");
			if (ops != NULL)
				ops->lost();
			continue;
		}
		if (n <= 0)
			return;
		if (flen == sizeof(from) && from.nl_pid == 0 && parse(buf, (size_t)n, &fe) &&
		    fn(&fe))
			return;
	}
}

void
forkev_read(void)
{
	if (sock >= 0)
		drain(ops->event);
}

void
forkev_wake(bool on)
{
	bool was = woken;

	woken = on;
	if (sock < 0 || on == was)
		return;
	if (!on) {
		event_del(ev);
		return;
	}
	forkev_read(); /* what came meanwhile */
	if (event_add(ev, NULL) < 0)
		fatalx("cannot watch the fork events' socket");
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	forkev_read();
}

static void
gone(int s)
{
	(void)s;
	_exit(0);
}

static pid_t probe_child;
static bool probe_seen;

static bool
probe_event(const struct fork_event *fe)
{
	probe_seen |= fe->child == probe_child;
	return false;
}

/* Whether the kernel tells nsdd of a fork, in nsdd's pid numbers: one of
 * its own, made to see (in a pid namespace below the initial one, the
 * events would name other pids). false with EAGAIN: no fork was made. */
static bool
probe(void)
{
	struct pollfd pfd = {sock, POLLIN, 0};
	int s, i;

	probe_seen = false;
	if ((probe_child = helper_spawn(gone, &s)) < 0) {
		errno = EAGAIN;
		return false;
	}
	close(s);
	/* The event is queued before the clone returns; a little slack. */
	for (i = 0; i < 4 && !probe_seen; i++) {
		drain(probe_event);
		if (!probe_seen)
			poll(&pfd, 1, 25);
	}
	while (waitpid(probe_child, NULL, __WALL) < 0 && errno == EINTR)
		;
	return probe_seen;
}

static int
listen_fail(int err)
{
	close(sock);
	sock = -1;
	errno = err;
	return -1;
}

int
forkev_start(const struct forkev_ops *o)
{
	struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	int size = RCVBUF, err;

	if (sock >= 0)
		return 0;
	ops = o;
	sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (sock < 0)
		return listen_fail(errno == EPROTONOSUPPORT ? ENOTSUP : errno);
	if (setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return listen_fail(errno == EPERM ? ENOTSUP : errno);
	/* Fork events only, where the kernel filters (else it ignores the
	 * request); then every event, and nsdd skips the rest. */
	if (ask(PROC_CN_MCAST_LISTEN, by_type = true) < 0)
		return listen_fail(errno);
	if (!probe()) {
		err = errno;
		ask(PROC_CN_MCAST_IGNORE, true);
		if (err == EAGAIN)
			return listen_fail(EAGAIN);
		if (ask(PROC_CN_MCAST_LISTEN, by_type = false) < 0 || !probe()) {
			err = errno == EAGAIN ? EAGAIN : ENOTSUP;
			ask(PROC_CN_MCAST_IGNORE, false);
			return listen_fail(err);
		}
	}
	if ((ev = event_new(nsdd_base, sock, EV_READ | EV_PERSIST, read_cb, NULL)) == NULL ||
	    (woken && event_add(ev, NULL) < 0))
		fatalx("out of memory");
	log_debug("listening to the kernel's fork events");
	return 0;
}

void
forkev_stop(void)
{
	if (sock < 0)
		return;
	ask(PROC_CN_MCAST_IGNORE, by_type);
	event_free(ev);
	ev = NULL;
	close(sock);
	sock = -1;
	log_debug("no longer listening to fork events");
}
