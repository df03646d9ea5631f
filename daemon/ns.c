/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The namespace room: nsdd's handles on the pid and IPC namespaces of the
 * tasks it serves, kept in one cache keyed by their nsfs inode (dev, ino).
 *
 * - ns_run() runs a function with nsdd inside a namespace. setns(2) moves
 *   nsdd itself at once for IPC; for pid it moves only nsdd's future
 *   children.
 * - /proc/sys/kernel/ns_last_pid acts on the writer's *active* pid namespace
 *   (kernel/pid_namespace.c, pid_ns_ctl_handler), so each pid namespace gets
 *   one small helper process made inside it (helper.c) that takes "set
 *   ns_last_pid for WANT" requests on a socketpair.
 * - An entry lives while a step holds a reference to it (ns_put() gives it
 *   back), and then idle, for the next step of the plan that used it last,
 *   until that plan ends (ns_release()). Each owner of plans has at most
 *   IDLE_PER_OWNER idle entries: a member who makes namespaces by the
 *   thousand cannot make nsdd hold their fds, their contents or one helper
 *   each. A one-shot look inside a task's IPC namespace (ns_run_ipc_of())
 *   caches nothing.
 * - Each namespace has a lock, held by one step from the write that prepares
 *   a syscall until the syscall's result is known, so that two tasks' writes
 *   and calls never interleave. A released lock wakes the waiters through the
 *   event loop (ns_on_release): this room never calls the tracer, and a stop
 *   handler is never re-entered from inside itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"
#include "leaves.h"
#include "ns.h"
#include "pidhelper.h"

#define IDLE_PER_OWNER 16

struct ns {
	TAILQ_ENTRY(ns) entry;
	int type; /* CLONE_NEWPID or CLONE_NEWIPC */
	dev_t dev;
	ino_t ino;
	int fd;
	unsigned refs;      /* steps that hold it */
	const void *user;   /* the plan that used it last */
	uid_t owner;        /* that plan's owner */
	uint64_t last_used; /* a count: the oldest idle entry goes first */
	const void *holder; /* the step that holds the lock, or NULL */
	pid_t helper;       /* pid: the ns_last_pid helper, in nsdd's namespace */
	int sock;
	int32_t next;        /* pid: its next fork gets it if free (0: not known) */
	const void *next_by; /* who saw the fork that says so */
	int cpu;             /* the helper's, helper_follow() */
};

static TAILQ_HEAD(, ns) namespaces = TAILQ_HEAD_INITIALIZER(namespaces);
static int own_pid_fd = -1, own_ipc_fd = -1;
static struct stat own_pid_st;
static struct event *wake;
static void (*on_release)(void);

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	if (on_release != NULL)
		on_release();
}

int
ns_init(void)
{
	own_pid_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	own_ipc_fd = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC);
	if (own_pid_fd < 0 || own_ipc_fd < 0 || fstat(own_pid_fd, &own_pid_st) < 0)
		return -1;
	if ((wake = event_new(nsdd_base, -1, 0, wake_cb, NULL)) == NULL)
		fatalx("out of memory");
	return 0;
}

void
ns_on_release(void (*fn)(void))
{
	on_release = fn;
}

void
ns_key(const struct ns *ns, dev_t *dev, ino_t *ino)
{
	*dev = ns->dev;
	*ino = ns->ino;
}

unsigned long
ns_ino(const struct ns *ns)
{
	return (unsigned long)ns->ino;
}

int
ns_type(const struct ns *ns)
{
	return ns->type;
}

static void
ns_free(struct ns *ns)
{
	if (ns->helper > 0)
		kill(ns->helper, SIGKILL); /* reaped by tracer_reap() */
	if (ns->sock >= 0)
		close(ns->sock);
	close(ns->fd);
	TAILQ_REMOVE(&namespaces, ns, entry);
	free(ns);
}

static bool
idle(const struct ns *ns)
{
	return ns->refs == 0 && ns->holder == NULL;
}

/* An owner keeps at most IDLE_PER_OWNER idle entries: the oldest go. */
static void
trim_idle(uid_t owner)
{
	struct ns *ns, *oldest;
	size_t n;

	for (;;) {
		n = 0;
		oldest = NULL;
		TAILQ_FOREACH(ns, &namespaces, entry)
		if (idle(ns) && ns->owner == owner) {
			n++;
			if (oldest == NULL || ns->last_used < oldest->last_used)
				oldest = ns;
		}
		if (n <= IDLE_PER_OWNER)
			return;
		ns_free(oldest);
	}
}

/* The namespace nsdd knows with st's identity, if any. */
static struct ns *
known(const struct stat *st, int type)
{
	struct ns *ns;

	TAILQ_FOREACH(ns, &namespaces, entry)
	if (ns->dev == st->st_dev && ns->ino == st->st_ino && ns->type == type)
		return ns;
	return NULL;
}

/* A reference to ns, for user. */
static struct ns *
take(struct ns *ns, const void *user, uid_t owner)
{
	static uint64_t uses;

	ns->refs++;
	ns->user = user;
	ns->owner = owner;
	ns->last_used = ++uses;
	return ns;
}

/* The cached namespace of fd (of the given type), with a reference for the
 * step of user's (a plan of owner's), or NULL with errno; fd is taken. */
static struct ns *
ns_get(int fd, int type, const void *user, uid_t owner)
{
	struct ns *ns;
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	if ((ns = known(&st, type)) != NULL) {
		close(fd);
	} else {
		ns = xcalloc(1, sizeof(*ns));
		ns->type = type;
		ns->dev = st.st_dev;
		ns->ino = st.st_ino;
		ns->fd = fd;
		ns->sock = -1;
		TAILQ_INSERT_TAIL(&namespaces, ns, entry);
	}
	return take(ns, user, owner);
}

void
ns_put(struct ns *ns)
{
	if (ns == NULL || ns->refs == 0)
		return;
	if (--ns->refs == 0 && ns->holder == NULL)
		trim_idle(ns->owner);
}

void
ns_release(const void *user)
{
	struct ns *ns, *next;

	TAILQ_FOREACH_SAFE(ns, &namespaces, entry, next)
	if (ns->user == user && idle(ns))
		ns_free(ns);
}

/* /proc/TID/ns/KIND, opened; -1 with errno. */
static int
ns_open(pid_t tid, const char *kind)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", tid, kind);
	return open(path, O_RDONLY | O_CLOEXEC);
}

struct ns *
ns_ipc_of(pid_t tid, const void *user, uid_t owner)
{
	int fd = ns_open(tid, "ipc");

	return fd < 0 ? NULL : ns_get(fd, CLONE_NEWIPC, user, owner);
}

int
ns_run_ipc_of(pid_t tid, int (*fn)(void *arg), void *arg)
{
	int fd = ns_open(tid, "ipc"), rc, err;

	if (fd < 0)
		return -1;
	rc = nsdd_in_ns(fd, CLONE_NEWIPC, own_ipc_fd, fn, arg);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

/*
 * out[0] is the namespace a new child of tid gets its innermost pid in (its
 * pid_for_children, or NULL with newpid: a namespace that does not exist
 * yet), out[i] its i-th ancestor. kids, if not NULL, is the inode of that
 * namespace where the caller knows it (0: it does not), and is left so.
 */
int
ns_child_pidns(pid_t tid, bool newpid, size_t levels, const void *user, uid_t owner, ino_t *kids,
               struct ns **out)
{
	size_t i = 0;
	char path[64];
	struct stat st;
	int fd, up;

	/* One level nsdd knows already (every fork of a plan, but its first):
	 * its link's inode is enough, with no fd opened and closed, nor a stat
	 * of the namespace file, which costs twice a readlink. */
	st.st_dev = own_pid_st.st_dev;
	st.st_ino = kids != NULL ? *kids : 0;
	if (kids != NULL)
		*kids = 0;
	if (levels == 1 && !newpid &&
	    (st.st_ino != 0 || (st.st_ino = nsdd_ns_ino(tid, "pid_for_children")) != 0) &&
	    (out[0] = known(&st, CLONE_NEWPID)) != NULL) {
		take(out[0], user, owner);
		if (kids != NULL)
			*kids = st.st_ino;
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/pid_for_children", tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (newpid)
		out[i++] = NULL;
	for (; i < levels; i++) {
		if (fd < 0)
			errno = EINVAL; /* more levels than exist above the task */
		up = fd >= 0 && i + 1 < levels ? ioctl(fd, NS_GET_PARENT) : -1;
		if (fd < 0 || (out[i] = ns_get(fd, CLONE_NEWPID, user, owner)) == NULL) {
			int err = errno;
			if (up >= 0)
				close(up);
			while (i-- > 0)
				ns_put(out[i]);
			errno = err;
			return -1;
		}
		fd = up;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

int
ns_run(struct ns *ns, int (*fn)(void *arg), void *arg)
{
	return nsdd_in_ns(ns->fd, ns->type, ns->type == CLONE_NEWPID ? own_pid_fd : own_ipc_fd, fn,
	                  arg);
}

bool
ns_lock(struct ns *const *ns, size_t n, const void *owner)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ns[i] != NULL && ns[i]->holder != NULL && ns[i]->holder != owner)
			return false;
	for (i = 0; i < n; i++)
		if (ns[i] != NULL)
			ns[i]->holder = owner;
	return true;
}

void
ns_wake(void)
{
	event_active(wake, 0, 0);
}

void
ns_unlock(struct ns *const *ns, size_t n, const void *owner)
{
	bool freed = false;
	size_t i;

	for (i = 0; i < n; i++)
		if (ns[i] != NULL && ns[i]->holder == owner) {
			ns[i]->holder = NULL;
			freed = true;
			if (ns[i]->refs == 0)
				trim_idle(ns[i]->owner);
		}
	if (freed)
		event_active(wake, 0, 0);
}

/* Levels from ns up to nsdd's own pid namespace, inclusive; 0 if not below it. */
static size_t
levels_to_own(int fd)
{
	struct stat st;
	size_t n = 1;
	int cur = dup(fd), up;

	while (cur >= 0 && fstat(cur, &st) == 0) {
		if (st.st_dev == own_pid_st.st_dev && st.st_ino == own_pid_st.st_ino) {
			close(cur);
			return n;
		}
		up = ioctl(cur, NS_GET_PARENT);
		close(cur);
		cur = up;
		if (++n > NSD_MAX_LEVELS + 1)
			break;
	}
	if (cur >= 0)
		close(cur);
	return 0;
}

struct placing {
	size_t levels;
	int *sv;
	pid_t pid;
};

/* With nsdd's children going to the namespace: places the helper. */
static int
place_here(void *arg)
{
	struct placing *p = arg;

	p->pid = helper_place(p->levels, pid_helper_main, p->sv);
	return p->pid > 0 ? 0 : -1;
}

/* The ns_last_pid helper of a namespace below nsdd's own: 0, or -1 with errno. */
static int
pid_helper_spawn(struct ns *ns)
{
	struct placing p = {levels_to_own(ns->fd), NULL, -1};
	struct timeval tv = {2, 0};
	int sv[2], err;

	if (p.levels == 0) {
		errno = EINVAL;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	p.sv = sv;
	ns_run(ns, place_here, &p);
	err = errno;
	close(sv[1]);
	if (p.pid <= 0) {
		log_warnx("cannot place a helper in pid namespace %lu: %s", ns_ino(ns),
		          strerror(err));
		close(sv[0]);
		errno = err;
		return -1;
	}
	ns->helper = p.pid;
	ns->cpu = -1;
	ns->sock = sv[0];
	ns->next = 0; /* made by fork(2) where clone3 is refused: it took a pid */
	setsockopt(ns->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	log_debug("helper %d placed in pid namespace %lu", p.pid, ns_ino(ns));
	return 0;
}

/* One request and its answer; SIGCHLD (no SA_RESTART in libevent) may interrupt either. */
static int
helper_call(struct ns *ns, const struct helper_req *req, struct helper_rep *rep)
{
	ssize_t n;

	helper_follow(ns->helper, &ns->cpu);
	while ((n = send(ns->sock, req, sizeof(*req), MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n != sizeof(*req))
		return -1;
	while ((n = recv(ns->sock, rep, sizeof(*rep), 0)) < 0 && errno == EINTR)
		;
	if (n != sizeof(*rep)) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* One request to the namespace's helper, which is made on first use: 0, or
 * -1 with errno (the helper's answer, or why it could not be asked). */
static int
helper_ask_rep(struct ns *ns, struct helper_req *req, struct helper_rep *rep)
{
	int err;

	if (ns->helper == 0 && pid_helper_spawn(ns) < 0)
		return -1;
	if (helper_call(ns, req, rep) < 0) {
		err = errno ? errno : EIO;
		log_warn("pid namespace helper %d", ns->helper);
		kill(ns->helper, SIGKILL);
		errno = err;
		return -1;
	}
	errno = rep->rc;
	return rep->rc == 0 ? 0 : -1;
}

static int
helper_ask(struct ns *ns, struct helper_req *req, int32_t *old)
{
	struct helper_rep rep;

	if (helper_ask_rep(ns, req, &rep) < 0)
		return -1;
	if (old != NULL)
		*old = rep.old;
	return 0;
}

/* Returns 0, or -1 with errno: EEXIST when want is taken in that namespace.
 * *old gets the value ns_last_pid had, for ns_put_back_last_pid(). */
int
ns_set_last_pid(struct ns *ns, int32_t want, int32_t *old)
{
	struct helper_req req = {HELPER_SET, want, 0};

	ns->next = 0;
	return helper_ask(ns, &req, old);
}

int
ns_find_pid(struct ns *ns, int32_t nr, pid_t *pid)
{
	struct helper_req req = {HELPER_FIND, nr, 0};
	struct helper_rep rep = {0, -1, 0};
	int rc = helper_ask_rep(ns, &req, &rep);

	*pid = rep.pid;
	return rc;
}

/* The fork that ns_set_last_pid() prepared failed (or, with no fork
 * answered, unset, never came): ns_last_pid gets old back, unless a fork
 * took the value meanwhile (unset: unless anything moved it). */
void
ns_put_back_last_pid(struct ns *ns, int32_t want, int32_t old, bool unset)
{
	struct helper_req req = {unset ? HELPER_UNSET : HELPER_PUT_BACK, want, old};

	if (old < 0 || ns == NULL)
		return;
	ns->next = 0;
	if (helper_ask(ns, &req, NULL) < 0)
		log_warn("cannot put ns_last_pid back to %d in pid namespace %lu", old, ns_ino(ns));
}

pid_t
ns_tgid(pid_t tid)
{
	int tgid = ioctl(own_pid_fd, NS_GET_TGID_FROM_PIDNS, tid);

	if (tgid > 0 || errno != ENOTTY)
		return tgid > 0 ? tgid : -1;
	return (pid_t)nsdd_proc_status_long(tid, "Tgid");
}

int32_t
ns_pid_in(const struct ns *ns, pid_t pid)
{
	return ioctl(ns->fd, NS_GET_PID_IN_PIDNS, pid);
}

void
ns_forked(struct ns *ns, int32_t pid, const void *by)
{
	ns->next = pid + 1;
	ns->next_by = by;
}

bool
ns_next_is(struct ns *ns, int32_t want, const void *by)
{
	/* ESRCH: no task has pid want in the namespace. */
	return ns->next == want && ns->next_by == by &&
	       ioctl(ns->fd, NS_GET_PID_FROM_PIDNS, want) < 0 && errno == ESRCH;
}

/* True if pid (in nsdd's namespace) is one of the pid namespace helpers. */
bool
ns_is_helper(pid_t pid)
{
	struct ns *ns;

	TAILQ_FOREACH(ns, &namespaces, entry)
	if (ns->helper == pid)
		return true;
	return false;
}

/* A helper died (its namespace ended, or ns_gc killed it); true if pid was one. */
bool
ns_helper_reaped(pid_t pid)
{
	struct ns *ns;

	TAILQ_FOREACH(ns, &namespaces, entry)
	if (ns->helper == pid) {
		ns->helper = 0;
		close(ns->sock);
		ns->sock = -1;
		return true;
	}
	return false;
}

/* No plan is running: let every helper and idle namespace go. */
void
ns_gc(void)
{
	struct ns *ns, *next;

	TAILQ_FOREACH_SAFE(ns, &namespaces, entry, next)
	if (idle(ns))
		ns_free(ns);
}
