/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which tasks can make ids in a namespace (ns.h: ns_tree_only()): a scan of
 * /proc, for the notify route's check that only the plan's tree can.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "ns.h"

/* Whether the pid namespace of path is (dev, ino) or below it. */
static bool
at_or_below(const char *path, dev_t dev, ino_t ino)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), up;
	size_t n = 0;

	while (fd >= 0 && fstat(fd, &st) == 0 && n++ <= NSD_MAX_LEVELS + 1) {
		if (st.st_dev == dev && st.st_ino == ino) {
			close(fd);
			return true;
		}
		up = ioctl(fd, NS_GET_PARENT);
		close(fd);
		fd = up;
	}
	if (fd >= 0)
		close(fd);
	return false;
}

/* Whether task pid can make pids in ns: it is in ns or below it (ns numbers
 * it), or its pid_for_children is (every nsfs file is on one device). */
static bool
can_fork_into(const struct ns *ns, pid_t pid, dev_t dev, ino_t ino, ino_t own)
{
	char path[64];
	ino_t kids;

	if (ns_pid_in(ns, pid) > 0)
		return true;
	if (errno != ESRCH) { /* no NS_GET_PID_IN_PIDNS: the walk up */
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
		if (at_or_below(path, dev, ino))
			return true;
	}
	/* Its children's namespace: its own (or nsdd's, above ns) as a rule,
	 * walked up only where it is another. */
	if ((kids = nsdd_ns_ino(pid, "pid_for_children")) == 0 || kids == own)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid_for_children", pid);
	return kids == ino || (kids != nsdd_ns_ino(pid, "pid") && at_or_below(path, dev, ino));
}

/* pid is target or one of its descendants, by its parents. */
static bool
descends(pid_t pid, pid_t target)
{
	size_t n;

	for (n = 0; n < 4096 && pid > 1; n++) {
		if (pid == target)
			return true;
		pid = (pid_t)nsdd_proc_status_long(pid, "PPid");
	}
	return pid == target;
}

bool
ns_tree_only(const struct ns *ns, pid_t target)
{
	bool ipc = ns_type(ns) == CLONE_NEWIPC; /* no hierarchy, no for_children */
	struct dirent *d;
	DIR *proc = opendir("/proc");
	bool ok = proc != NULL;
	ino_t ino, own = nsdd_ns_ino(getpid(), "pid");
	dev_t dev;
	pid_t pid;

	ns_key(ns, &dev, &ino);
	while (ok && (d = readdir(proc)) != NULL) {
		if ((pid = (pid_t)strtol(d->d_name, NULL, 10)) <= 0 || ns_is_helper(pid))
			continue;
		if (ipc ? nsdd_ns_ino(pid, "ipc") != ino : !can_fork_into(ns, pid, dev, ino, own))
			continue;
		ok = descends(pid, target);
		if (!ok)
			log_debug("pid %d can make %s in namespace %lu and is not under the "
			          "plan's filter: the ptrace route",
			          pid, ipc ? "IPC objects" : "pids", (unsigned long)ino);
	}
	if (proc != NULL)
		closedir(proc);
	return ok;
}
