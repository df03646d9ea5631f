/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How nsdctl run and record start CMD: a child that waits until nsdd has
 * it, in new namespaces or under a minimal init if asked, with the plan's
 * filter installed first in mode seccomp (or a Record's). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/filter.h"
#include "start.h"

/*
 * Mode "seccomp": loads the plan's filter (nsd_filter_new) in this process.
 * Returns its listener (close-on-exec: CMD never has it), or -errno. With
 * trace, a Record's filter instead, which stops the calls for nsdd's ptrace:
 * NO_FILTER (no listener), or -errno.
 */
static int
install_filter(unsigned calls, bool trace)
{
	scmp_filter_ctx ctx;
	int rc, fd;

	if ((ctx = nsd_filter_new(calls, trace ? SCMP_ACT_TRACE(0) : SCMP_ACT_NOTIFY)) == NULL)
		return -errno;
	/* no_new_privs only where seccomp(2) requires it: without CAP_SYS_ADMIN.
	 * The kernel's EACCES says so; libseccomp turns it into ECANCELED
	 * unless asked for the kernel's own errno. */
	seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if ((rc = seccomp_load(ctx)) == -EACCES) {
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
		rc = seccomp_load(ctx);
	}
	fd = rc != 0 ? rc : trace ? NO_FILTER : seccomp_notify_fd(ctx);
	seccomp_release(ctx);
	if (fd >= 0 && !trace && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return fd;
}

/*
 * The task that becomes CMD waits on a pipe until nsdd has seized it, so
 * that nsdd sees CMD from its first instruction: the wait is a blocking
 * read, which nsdd's PTRACE_INTERRUPT turns into a stop before the read can
 * return. In mode seccomp, or for a Record of calls' results, it installs
 * its filter first; it tells nsdctl the listener's fd (or NO_FILTER) when
 * nsdctl asked for a ready word.
 */
__attribute__((noreturn)) static void
exec_cmd(const struct start *s)
{
	char byte;
	int fd;

	if (s->ready[1] >= 0) {
		fd = s->seccomp || s->traced ? install_filter(s->calls, s->traced) : NO_FILTER;
		if (write(s->ready[1], &fd, sizeof(fd)) != sizeof(fd) ||
		    (fd < 0 && fd != NO_FILTER))
			_exit(127);
		close(s->ready[1]);
	}
	if (read(s->go[0], &byte, 1) != 1)
		_exit(127); /* nsdctl gave up: never run CMD untraced */
	close(s->go[0]);
	execvp(s->cmd[0], s->cmd);
	fprintf(stderr, "nsdctl: cannot run %s: %s\n", s->cmd[0], strerror(errno));
	_exit(127);
}

/*
 * --init: pid 1 of the new namespace, CMD's parent. It reaps every task
 * left to it, passes on to CMD the signals a terminal or a service manager
 * sends, and exits with CMD's status, which ends the namespace's other
 * tasks. SIGCHLD and those signals were blocked before CMD's fork: none is
 * lost, and CMD starts with the signal mask nsdctl had.
 */
__attribute__((noreturn)) static void
init(pid_t cmd, const sigset_t *set)
{
	siginfo_t si;
	pid_t pid;
	int status;

	for (;;) {
		if (sigwaitinfo(set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			kill(cmd, si.si_signo);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == cmd)
				_exit(WIFEXITED(status) ? WEXITSTATUS(status)
				                        : 128 + WTERMSIG(status));
	}
}

__attribute__((noreturn)) static void
child(const struct start *s)
{
	static const int passed[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM,
	                             SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
	sigset_t set, old;
	size_t i;
	pid_t pid;

	/* pid 1 of the new pid namespace mounts its own /proc in a private
	 * mount namespace (nsdctl keeps the host's, where the pid it submits
	 * means what it says): /proc/<getpid()> names CMD, not a host process. */
	if (s->newns &&
	    (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	     mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)) {
		fprintf(stderr, "nsdctl: --new-ns: cannot mount a /proc of its own: %s\n",
		        strerror(errno));
		_exit(127);
	}
	if (!s->init)
		exec_cmd(s);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		sigaddset(&set, passed[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	if ((pid = fork()) == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		exec_cmd(s);
	}
	if (pid < 0) {
		fprintf(stderr, "nsdctl: --init: cannot fork: %s\n", strerror(errno));
		_exit(127);
	}
	close(s->go[0]);
	close(s->ready[1]);
	init(pid, &set);
}

/* With --init, CMD is the only child of the init nsdctl made. */
static pid_t
only_child(pid_t pid)
{
	char path[64];
	long child = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fscanf(f, "%ld", &child) != 1)
		child = -1;
	fclose(f);
	return (pid_t)child;
}

static bool
await_ready(struct start *s, int *listener)
{
	int word = 0;

	close(s->ready[1]);
	s->ready[1] = -1;
	if (read(s->ready[0], &word, sizeof(word)) != sizeof(word) ||
	    (word < 0 && word != NO_FILTER)) {
		ctl_err("cannot %s %s: %s",
		        s->seccomp || s->traced ? "install the seccomp filter for" : "start",
		        s->cmd[0], word < 0 && word != NO_FILTER ? strerror(-word) : "it died");
		return false;
	}
	close(s->ready[0]);
	*listener = word == NO_FILTER ? -1 : word;
	return true;
}

/* Lets CMD's process run CMD: nsdd has it. */
void
start_release(struct start *s)
{
	if (write(s->go[1], "g", 1) != 1)
		ctl_err("cannot release %s: %s", s->cmd[0], strerror(errno));
	close(s->go[1]);
}

/* Makes CMD's process, waiting to run CMD until start_release(): the pid to wait
 * for (the init with --init), CMD's own in *target; -1 on failure. */
pid_t
start_spawn(struct start *s, pid_t *target, int *listener)
{
	int own = -1, own_ipc = -1;
	pid_t pid;

	if (s->newns && ((own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0 ||
	                 (own_ipc = open("/proc/self/ns/ipc", O_RDONLY | O_CLOEXEC)) < 0 ||
	                 unshare(CLONE_NEWPID | CLONE_NEWIPC) < 0)) {
		ctl_err("--new-ns: cannot create pid and IPC namespaces: %s", strerror(errno));
		return -1;
	}
	if (pipe2(s->go, O_CLOEXEC) < 0 ||
	    ((s->seccomp || s->traced || s->init) && pipe2(s->ready, O_CLOEXEC) < 0) ||
	    (pid = fork()) < 0) {
		ctl_err("cannot start %s: %s", s->cmd[0], strerror(errno));
		return -1;
	}
	/* nsdctl makes nothing more in the new namespaces: CMD's tree is all
	 * that can fork or make IPC objects in them (nsdd serves such a
	 * namespace's forks and IPC gets with no stop). */
	if (own >= 0 && pid > 0) {
		if (setns(own, CLONE_NEWPID) < 0 || setns(own_ipc, CLONE_NEWIPC) < 0)
			ctl_err("--new-ns: cannot leave the new namespaces: %s", strerror(errno));
	}
	if (own >= 0)
		close(own);
	if (own_ipc >= 0)
		close(own_ipc);
	if (pid == 0) {
		close(s->go[1]);
		if (s->ready[0] >= 0)
			close(s->ready[0]);
		child(s);
	}
	close(s->go[0]);
	*target = pid;
	if (s->ready[0] >= 0 &&
	    (!await_ready(s, listener) || (s->init && (*target = only_child(pid)) <= 0))) {
		close(s->go[1]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Starts s->cmd traced under doc: the pid to wait for (the init with
 * --init), CMD's own in *target; -2 if nsdd refused the plan, -1 if nsdctl
 * could not start it. */
