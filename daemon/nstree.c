/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which tasks can make ids in a namespace (ns.h: ns_tree_only()): a scan of
 * /proc, for the notify route's check that only the plan's tree can.
 */
#include "config.h"

#include <dirent.h>
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
	char path[64];
	struct dirent *d;
	DIR *proc = opendir("/proc");
	bool ok = proc != NULL;
	dev_t dev;
	ino_t ino;
	pid_t pid;

	ns_key(ns, &dev, &ino);
	while (ok && (d = readdir(proc)) != NULL) {
		if ((pid = (pid_t)strtol(d->d_name, NULL, 10)) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, ipc ? "ipc" : "pid");
		if (!at_or_below(path, dev, ino)) {
			snprintf(path, sizeof(path), "/proc/%d/ns/pid_for_children", pid);
			if (ipc || !at_or_below(path, dev, ino))
				continue;
		}
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
