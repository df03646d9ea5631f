/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pid namespace helper's program (pidhelper.h): it runs inside the
 * namespace, with only its socket (fd 3), and answers one request at a time.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "leaves.h"
#include "pidhelper.h"

/* In the helper: pid nr of its namespace, as nsdd's procfs names it (the
 * fdinfo of a pidfd shows the pid in the namespace of the procfs read). */
static int
find_here(pid_t nr, int32_t *pid)
{
	char path[64], line[64];
	FILE *f;
	/* PIDFD_THREAD (Linux 6.9) for a thread; a process's pidfd before. */
	int fd = (int)syscall(SYS_pidfd_open, nr, O_EXCL);

	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_pidfd_open, nr, 0);
	if (fd < 0)
		return errno == EINVAL ? EBUSY : errno; /* EINVAL: a pid with no task yet */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if ((f = fopen(path, "re")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (sscanf(line, "Pid: %d", pid) == 1)
				break;
		fclose(f);
	}
	close(fd);
	return *pid > 0 ? 0 : ESRCH;
}

/* The helper: writes ns_last_pid on request, from inside the namespace. */
__attribute__((noreturn)) void
pid_helper_main(int sock)
{
	struct helper_req req;
	char buf[16];
	int fd;

	helper_begin(sock, "nsdd-pidns");
	fd = open("/proc/sys/kernel/ns_last_pid", O_RDWR | O_CLOEXEC);
	for (;;) {
		struct helper_rep rep = {0, -1, 0};
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
		else if (req.want < 1 || req.op < HELPER_SET || req.op > HELPER_UNSET)
			rep.rc = EINVAL;
		else if (req.op == HELPER_FIND)
			rep.rc = find_here(req.want, &rep.pid);
		else if (fd < 0)
			rep.rc = ENOENT;
		else if (req.op == HELPER_UNSET && cur != req.want - 1)
			rep.rc = 0; /* someone wrote it since */
		else if (req.op == HELPER_PUT_BACK && cur != req.want - 1 &&
		         (cur != req.want || kill(req.want, 0) == 0 || errno != ESRCH))
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
