/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The procfs backend, for a kernel that carries the 2008 proposal: at the
 * syscall's entry nsdd writes "LONGn v1 ... vn" to the thread's
 * <proc-root>/<pid>/task/<tid>/next_syscall_data and lets the kernel do the
 * rest; the result is verified at exit as with the kernel backend. On a
 * stock kernel the file does not exist (a fake proc root stands in for it in
 * tests), and a forced procfs backend then reports mismatches, never success.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"
#include "leaves.h"

static const char *proc_root = "/proc";

void
procfs_set_root(const char *root)
{
	proc_root = root;
}

static void
file_of(pid_t tgid, pid_t tid, char *path, size_t len)
{
	snprintf(path, len, "%s/%d/task/%d/next_syscall_data", proc_root, tgid, tid);
}

bool
procfs_available(pid_t tgid, pid_t tid)
{
	char path[PATH_MAX];

	file_of(tgid, tid, path, sizeof(path));
	return access(path, W_OK) == 0;
}

/* Thread-group id from the real /proc: the proc root may be a fake one. */
static pid_t
tgid_of(pid_t tid)
{
	char v[64];

	return nsdd_proc_status(tid, "Tgid", v, sizeof(v)) < 0 ? tid : (pid_t)strtol(v, NULL, 10);
}

int
procfs_write(pid_t tid, const int64_t *values, size_t n)
{
	char path[PATH_MAX], buf[32 * 24];
	size_t len, i;
	ssize_t w;
	int fd, err;

	len = (size_t)snprintf(buf, sizeof(buf), "LONG%zu", n);
	for (i = 0; i < n && len < sizeof(buf); i++)
		len +=
		    (size_t)snprintf(buf + len, sizeof(buf) - len, " %lld", (long long)values[i]);
	file_of(tgid_of(tid), tid, path, sizeof(path));
	/* No O_CREAT: the kernel's file (or the test's fake) must already be there. */
	if ((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) < 0)
		return -1;
	w = write(fd, buf, len);
	err = w < 0 ? errno : EIO;
	close(fd);
	if (w != (ssize_t)len) {
		errno = err;
		return -1;
	}
	log_debug("task %d: wrote '%s' to %s", tid, buf, path);
	return 0;
}
