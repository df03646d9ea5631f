/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Acting inside a task's pid namespace. /proc/sys/kernel/ns_last_pid acts on
 * the writer's *active* pid namespace (kernel/pid_namespace.c,
 * pid_ns_ctl_handler), and setns(CLONE_NEWPID) only moves future children,
 * so nsdd keeps one small helper process per namespace: a child of nsdd made
 * inside it with clone3 set_tid on pids that no plan wants. The helper takes
 * "set ns_last_pid for WANT" requests on a socketpair.
 *
 * A write and the fork it prepares must not interleave with another traced
 * task's in the same namespace: each namespace has a lock, held from the
 * write until the fork event (or the syscall's exit).
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"

struct pidns {
	TAILQ_ENTRY(pidns) entry;
	dev_t dev;
	ino_t ino;
	int fd;
	pid_t helper; /* in nsdd's namespace; 0: none yet */
	int sock;
	struct tracee *holder;
};

static TAILQ_HEAD(, pidns) namespaces = TAILQ_HEAD_INITIALIZER(namespaces);
static int own_fd = -1;
static struct stat own_st;
static int32_t next_helper_pid;

/* SET: ns_last_pid = want - 1, answering the value it had. PUT_BACK: if
 * ns_last_pid is still want - 1 (no fork took it), it gets old again. */
enum helper_op { HELPER_SET, HELPER_PUT_BACK };

struct helper_req {
	int32_t op;
	int32_t want;
	int32_t old;
};

struct helper_rep {
	int32_t rc;
	int32_t old;
};

int
nsenter_init(void)
{
	char buf[32];
	FILE *f;

	own_fd = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (own_fd < 0 || fstat(own_fd, &own_st) < 0)
		return -1;
	next_helper_pid = 32767;
	if ((f = fopen("/proc/sys/kernel/pid_max", "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			next_helper_pid = (int32_t)strtol(buf, NULL, 10) - 1;
		fclose(f);
	}
	return 0;
}

/*
 * The start of every helper process: it dies with nsdd, cannot be read by
 * others, has no handler of nsdd's, and keeps only its socket, as fd 3.
 */
void
nsenter_helper_begin(int sock, const char *name)
{
	int sig;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_NAME, name);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (dup2(sock, 3) < 0)
		_exit(1);
	syscall(SYS_close_range, 4, ~0U, 0);
}

/* The helper: writes ns_last_pid on request, from inside the namespace. */
__attribute__((noreturn)) static void
helper_main(int sock)
{
	struct helper_req req;
	char buf[16];
	int fd;

	nsenter_helper_begin(sock, "nsdd-pidns");
	fd = open("/proc/sys/kernel/ns_last_pid", O_RDWR | O_CLOEXEC);
	for (;;) {
		struct helper_rep rep = {0, -1};
		ssize_t n = recv(3, &req, sizeof(req), 0), got;
		int32_t cur = -1;
		if (n <= 0)
			_exit(0);
		if (fd >= 0 && (got = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
			buf[got] = '\0';
			cur = (int32_t)strtol(buf, NULL, 10);
		}
		rep.old = cur;
		if (n != sizeof(req))
			rep.rc = EINVAL;
		else if (req.want < 1 || (req.op != HELPER_SET && req.op != HELPER_PUT_BACK))
			rep.rc = EINVAL;
		else if (fd < 0)
			rep.rc = ENOENT;
		else if (req.op == HELPER_PUT_BACK && cur != req.want - 1)
			rep.rc = 0; /* a fork took it: the namespace moved on */
		else if (req.op == HELPER_SET && (kill(req.want, 0) == 0 || errno == EPERM))
			rep.rc = EEXIST; /* the planned pid is taken in this namespace */
		else {
			int32_t v = req.op == HELPER_SET ? req.want - 1 : req.old;
			int len = snprintf(buf, sizeof(buf), "%d", v);
			if (pwrite(fd, buf, (size_t)len, 0) != len)
				rep.rc = errno;
		}
		if (send(3, &rep, sizeof(rep), MSG_NOSIGNAL) != sizeof(rep))
			_exit(0);
	}
}

/* Levels from ns up to nsdd's own pid namespace, inclusive; 0 if not below it. */
static size_t
levels_to_own(int fd)
{
	struct stat st;
	size_t n = 1;
	int cur = dup(fd), up;

	while (cur >= 0 && fstat(cur, &st) == 0) {
		if (st.st_dev == own_st.st_dev && st.st_ino == own_st.st_ino) {
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

typedef void (*helper_fn)(int sock);
static pid_t helper_fork(helper_fn fn, int sv[2]);

/*
 * A child of nsdd that runs fn(sv[1]), made with set_tid on the same high
 * pid at every level from the namespace of nsdd's children up to nsdd's own
 * (levels), skipping pids that any plan wants, so that it never takes one.
 */
static pid_t
place_helper(size_t levels, helper_fn fn, int sv[2], int *err)
{
	struct clone_args_v2 ca;
	int32_t tids[NSD_MAX_LEVELS + 1];
	size_t i;
	int tries;
	pid_t pid = -1;

	*err = 0;
	for (tries = 0; tries < 64; tries++) {
		while (next_helper_pid > 300 && supervisor_pid_wanted(next_helper_pid))
			next_helper_pid--;
		for (i = 0; i < levels; i++)
			tids[i] = next_helper_pid;
		memset(&ca, 0, sizeof(ca));
		ca.exit_signal = SIGCHLD;
		ca.set_tid = (uint64_t)(uintptr_t)tids;
		ca.set_tid_size = levels;
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
		if (pid == 0) {
			close(sv[0]);
			fn(sv[1]);
		}
		if (pid > 0)
			break;
		*err = errno;
		if (*err == EEXIST) {
			next_helper_pid--;
		} else if (*err == EINVAL && next_helper_pid > 32767) {
			next_helper_pid = 32767; /* the namespace may have a lower pid_max */
		} else if (*err == ENOSYS || *err == EPERM) {
			/* nsdd's own seccomp filter refuses clone3 (systemd's
			 * RestrictNamespaces= fails it with ENOSYS). */
			pid = helper_fork(fn, sv);
			*err = pid > 0 ? 0 : errno;
			break;
		} else {
			break;
		}
	}
	if (pid > 0) {
		next_helper_pid--;
		*err = 0;
	}
	return pid;
}

/* A helper in nsdd's own pid namespace; its end of a socketpair in *sock. */
pid_t
nsenter_spawn(void (*fn)(int sock), int *sock)
{
	int sv[2], err;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = place_helper(1, fn, sv, &err);
	close(sv[1]);
	if (pid <= 0) {
		close(sv[0]);
		errno = err;
		return -1;
	}
	*sock = sv[0];
	return pid;
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
	int err;

	p->pid = place_helper(p->levels, helper_main, p->sv, &err);
	return p->pid > 0 ? 0 : err;
}

/* The ns_last_pid helper of a namespace below nsdd's own. */
static int
helper_spawn(struct pidns *ns)
{
	int sv[2], err = 0;
	struct placing p = {levels_to_own(ns->fd), sv, -1};
	struct timeval tv = {2, 0};
	pid_t pid;

	if (p.levels == 0)
		return EINVAL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return errno;
	err = nsdd_in_ns(ns->fd, CLONE_NEWPID, own_fd, place_here, &p);
	pid = p.pid;
	if (pid <= 0) {
		log_warnx("cannot place a helper in pid namespace %lu: %s", (unsigned long)ns->ino,
		          strerror(err));
		goto out;
	}
	ns->helper = pid;
	ns->sock = sv[0];
	sv[0] = -1;
	setsockopt(ns->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	log_debug("helper %d placed in pid namespace %lu", pid, (unsigned long)ns->ino);
out:
	if (sv[0] >= 0)
		close(sv[0]);
	close(sv[1]);
	return err;
}

/*
 * The helper made by fork(2) where clone3 is refused to nsdd: it gets the
 * namespace's next pid, and is made again while that is a pid a plan wants.
 */
static pid_t
helper_fork(helper_fn fn, int sv[2])
{
	int32_t pids[NSD_MAX_LEVELS + 1];
	size_t n, i;
	int tries;

	for (tries = 0; tries < 64; tries++) {
		bool wanted = false;
		pid_t pid = fork();
		if (pid == 0) {
			close(sv[0]);
			fn(sv[1]);
		}
		if (pid < 0)
			return -1;
		if (pid_nspids(pid, pids, NSD_MAX_LEVELS + 1, &n) < 0)
			n = 0;
		for (i = 0; i < n; i++)
			wanted |= supervisor_pid_wanted(pids[i]);
		if (!wanted)
			return pid;
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
			;
	}
	errno = EAGAIN;
	return -1;
}

static struct pidns *
pidns_get(int fd)
{
	struct pidns *ns;
	struct stat st;

	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	TAILQ_FOREACH(ns, &namespaces, entry)
	if (ns->dev == st.st_dev && ns->ino == st.st_ino) {
		close(fd);
		return ns;
	}
	if ((ns = calloc(1, sizeof(*ns))) == NULL) {
		close(fd);
		return NULL;
	}
	ns->dev = st.st_dev;
	ns->ino = st.st_ino;
	ns->fd = fd;
	ns->sock = -1;
	TAILQ_INSERT_TAIL(&namespaces, ns, entry);
	return ns;
}

/*
 * out[0] is the namespace a new child of tid gets its innermost pid in (its
 * pid_for_children, or NULL with newpid: a namespace that does not exist
 * yet), out[i] its i-th ancestor.
 */
int
nsenter_child_pidns(pid_t tid, bool newpid, size_t levels, struct pidns **out, int *err)
{
	char path[64];
	size_t i = 0;
	int fd, up;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid_for_children", tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*err = errno;
		return -1;
	}
	if (newpid)
		out[i++] = NULL;
	for (; i < levels; i++) {
		if (fd < 0) {
			*err = EINVAL; /* more levels than exist above the task */
			return -1;
		}
		up = i + 1 < levels ? ioctl(fd, NS_GET_PARENT) : -1;
		if ((out[i] = pidns_get(fd)) == NULL) {
			if (up >= 0)
				close(up);
			*err = ENOMEM;
			return -1;
		}
		fd = up;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

bool
nsenter_lock(struct pidns *const *ns, size_t n, struct tracee *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ns[i] != NULL && ns[i]->holder != NULL && ns[i]->holder != t)
			return false;
	for (i = 0; i < n; i++)
		if (ns[i] != NULL)
			ns[i]->holder = t;
	return true;
}

void
nsenter_unlock(struct pidns *const *ns, size_t n, struct tracee *t)
{
	bool freed = false;
	size_t i;

	for (i = 0; i < n; i++)
		if (ns[i] != NULL && ns[i]->holder == t) {
			ns[i]->holder = NULL;
			freed = true;
		}
	if (freed)
		tracer_unhold_all();
}

/* One request and its answer; SIGCHLD (no SA_RESTART in libevent) may interrupt either. */
static int
helper_call(struct pidns *ns, const struct helper_req *req, struct helper_rep *rep)
{
	ssize_t n;

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

/* One request to the namespace's helper, which is made on first use. */
static int
helper_ask(struct pidns *ns, struct helper_req *req, int32_t *old)
{
	struct helper_rep rep;
	int err;

	if (ns->helper == 0 && (err = helper_spawn(ns)) != 0)
		return err;
	if (helper_call(ns, req, &rep) < 0) {
		err = errno ? errno : EIO;
		log_warn("pid namespace helper %d", ns->helper);
		kill(ns->helper, SIGKILL);
		return err;
	}
	if (old != NULL)
		*old = rep.old;
	return rep.rc;
}

/* Returns 0 or an errno: EEXIST when want is taken in that namespace. *old
 * gets the value ns_last_pid had, for nsenter_put_back_last_pid(). */
int
nsenter_set_last_pid(struct pidns *ns, int32_t want, int32_t *old)
{
	struct helper_req req = {HELPER_SET, want, 0};

	return helper_ask(ns, &req, old);
}

/* The fork that nsenter_set_last_pid() prepared failed: ns_last_pid gets
 * old back, unless a fork took the value meanwhile. */
void
nsenter_put_back_last_pid(struct pidns *ns, int32_t want, int32_t old)
{
	struct helper_req req = {HELPER_PUT_BACK, want, old};
	int err;

	if (old < 0 || ns == NULL)
		return;
	if ((err = helper_ask(ns, &req, NULL)) != 0)
		log_warnx("cannot put ns_last_pid back to %d in pid namespace %lu: %s", old,
		          (unsigned long)ns->ino, strerror(err));
}

/* True if pid (in nsdd's namespace) is one of nsdd's pid namespace helpers. */
bool
nsenter_is_helper(pid_t pid)
{
	struct pidns *ns;

	TAILQ_FOREACH(ns, &namespaces, entry)
	if (ns->helper == pid)
		return true;
	return false;
}

/* A helper died (its namespace ended, or nsgc killed it); true if pid was one. */
bool
nsenter_reaped(pid_t pid)
{
	struct pidns *ns;

	TAILQ_FOREACH(ns, &namespaces, entry)
	if (ns->helper == pid) {
		ns->helper = 0;
		close(ns->sock);
		ns->sock = -1;
		return true;
	}
	return false;
}

/* No plan is running: let every helper and namespace go. */
void
nsenter_gc(void)
{
	struct pidns *ns, *next;

	TAILQ_FOREACH_SAFE(ns, &namespaces, entry, next)
	{
		if (ns->holder != NULL)
			continue;
		if (ns->helper > 0)
			kill(ns->helper, SIGKILL); /* reaped by tracer_reap() */
		if (ns->sock >= 0)
			close(ns->sock);
		close(ns->fd);
		TAILQ_REMOVE(&namespaces, ns, entry);
		free(ns);
	}
}
