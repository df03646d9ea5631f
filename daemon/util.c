/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers every room of nsdd uses: errors, clocks, errno names. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

struct event_base *nsdd_base;

bool
nsdd_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a, b;

	return uname(&u) == 0 && sscanf(u.release, "%d.%d", &a, &b) == 2 &&
	       (a > major || (a == major && b >= minor));
}
enum backend nsdd_backend = BACKEND_KERNEL;
bool nsdd_backend_forced;

void *
xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);

	if (p == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n != 0 ? n : 1, size != 0 ? size : 1);

	if (p == NULL)
		fatalx("out of memory (%zu of %zu bytes)", n, size);
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if ((p = reallocarray(p, n != 0 ? n : 1, size != 0 ? size : 1)) == NULL)
		fatalx("out of memory (%zu of %zu bytes)", n, size);
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatalx("out of memory");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("out of memory");
	return p;
}

/* jansson allocates through xmalloc too, in every program that links nsdd's rooms. */
__attribute__((constructor)) static void
json_allocators(void)
{
	json_set_alloc_funcs(xmalloc, free);
}

int
nsdd_error_set(struct nsdd_error *e, enum nsdd_err code, long long num, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->num = num;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	return -1;
}

const char *
nsdd_err_name(enum nsdd_err code)
{
	static const char *const names[] = {
	    [ERR_INVALID_PLAN] = "InvalidPlan",   [ERR_NO_SUCH_TASK] = "NoSuchTask",
	    [ERR_TASK_BUSY] = "TaskBusy",         [ERR_PERMISSION_DENIED] = "PermissionDenied",
	    [ERR_NOT_SUPPORTED] = "NotSupported", [ERR_LIMIT_EXCEEDED] = "LimitExceeded",
	};

	return names[code];
}

uint64_t
nsdd_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
nsdd_mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct timeval
nsdd_backoff(uint64_t *wait, uint64_t max)
{
	*wait = *wait * 2 > max ? max : *wait * 2;
	return (struct timeval){(time_t)(*wait / 1000000), (suseconds_t)(*wait % 1000000)};
}

const char *
nsdd_errno_text(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(err);

	snprintf(buf, len, "%s (%s)", name ? name : "?", strerror(err));
	return buf;
}

int
nsdd_proc_status(pid_t pid, const char *key, char *value, size_t len)
{
	char path[64], line[1024];
	size_t klen = strlen(key);
	int rc = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			snprintf(value, len, "%s",
			         line + klen + 1 + strspn(line + klen + 1, " \t"));
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

long
nsdd_proc_status_long(pid_t pid, const char *key)
{
	char v[64];

	return nsdd_proc_status(pid, key, v, sizeof(v)) < 0 ? -1 : strtol(v, NULL, 10);
}

ino_t
nsdd_ns_ino(pid_t pid, const char *kind)
{
	char path[64], link[64];
	const char *p;
	uintmax_t ino;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, kind);
	if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
		return 0;
	link[n] = '\0';
	return (p = strchr(link, '[')) != NULL && sscanf(p, "[%ju]", &ino) == 1 ? (ino_t)ino : 0;
}

/*
 * Runs fn(arg) with nsdd in the namespace of fd (nstype: CLONE_NEWIPC,
 * CLONE_NEWPID, ...), then back in its own (own_fd): fn's result and errno,
 * or -1 with setns's. nsdd that could not go back would act in the wrong
 * namespace from then on: that ends it.
 */
int
nsdd_in_ns(int fd, int nstype, int own_fd, int (*fn)(void *arg), void *arg)
{
	int rc, err;

	if (setns(fd, nstype) < 0)
		return -1;
	rc = fn(arg);
	err = errno;
	if (setns(own_fd, nstype) < 0)
		fatal("setns back to nsdd's own namespace");
	errno = err;
	return rc;
}

/* An NSpid value (outermost first) into out[], innermost first. */
static int
parse_nspids(const char *v, int32_t *out, size_t max, size_t *n)
{
	int32_t tmp[NSD_MAX_LEVELS + 1];
	const char *p;
	char *end;
	size_t k = 0, i;

	for (p = v; k < NSD_MAX_LEVELS + 1; p = end) {
		long id = strtol(p, &end, 10);
		if (end == p)
			break;
		tmp[k++] = (int32_t)id;
	}
	if (k == 0) {
		errno = ENOENT;
		return -1;
	}
	for (i = 0; i < k && i < max; i++)
		out[i] = tmp[k - 1 - i];
	*n = i;
	return 0;
}

int
nsdd_nspids(pid_t pid, int32_t *out, size_t max, size_t *n)
{
	char v[512];

	*n = 0;
	if (nsdd_proc_status(pid, "NSpid", v, sizeof(v)) < 0)
		return -1;
	return parse_nspids(v, out, max, n);
}

int
nsdd_nspids_and(pid_t pid, const char *key, long *value, int32_t *out, size_t max, size_t *n)
{
	char path[64], line[1024];
	size_t klen = strlen(key);
	bool found = false, pids = false;
	FILE *f;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while ((!found || !pids) && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			*value = strtol(line + klen + 1, NULL, 10);
			found = true;
		} else if (strncmp(line, "NSpid:", 6) == 0) {
			pids = parse_nspids(line + 6, out, max, n) == 0;
		}
	}
	fclose(f);
	if (!found || !pids) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

size_t
nsdd_longn_bad(const int64_t *values, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (values[i] < (n > 1 ? 1 : 0) || values[i] > (n > 1 ? NSD_PID_MAX : INT32_MAX))
			break;
	return i;
}

/*
 * fd of thread tid, from the thread's own file table (a thread that called
 * unshare(CLONE_FILES) has one of its own): a pidfd of the thread
 * (PIDFD_THREAD, Linux 6.9), or of the process where tid leads it.
 */
int
nsdd_take_fd(pid_t tid, int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD), got, err;

	if (pidfd < 0 && errno == EINVAL && nsdd_proc_status_long(tid, "Tgid") == tid)
		pidfd = (int)syscall(SYS_pidfd_open, tid, 0);
	if (pidfd < 0)
		return -1;
	got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	err = errno;
	close(pidfd);
	errno = err;
	return got;
}

long
nsdd_proc_syscall(pid_t tid)
{
	char path[64], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", tid, tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NSDD_GONE;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NSDD_GONE;
	buf[n] = '\0';
	return strncmp(buf, "running", 7) == 0 ? NSDD_RUNNING : strtol(buf, NULL, 10);
}

bool
nsdd_thread_execs(pid_t tgid)
{
	char path[64];
	struct dirent *e;
	bool found = false;
	long nr, tid;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", tgid);
	if ((d = opendir(path)) == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		if ((tid = strtol(e->d_name, NULL, 10)) <= 0 || tid == tgid)
			continue;
		nr = nsdd_proc_syscall((pid_t)tid);
		found = nr == SYS_execve || nr == SYS_execveat;
	}
	closedir(d);
	return found;
}

/* PIDFD_GET_INFO (Linux 6.13), which not every libc's headers have: the
 * first fields of struct pidfd_info, as many bytes as its first version. */
#define PIDFD_INFO_PID 1ULL
struct pidfd_info_v0 {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ids[8], exit_code;
};
_Static_assert(sizeof(struct pidfd_info_v0) == 64, "PIDFD_INFO_SIZE_VER0");
#define PIDFD_GET_INFO _IOWR(0xFF, 11, struct pidfd_info_v0)

pid_t
nsdd_parent_of(pid_t pid)
{
	struct pidfd_info_v0 info = {.mask = PIDFD_INFO_PID};
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), rc;

	if (fd < 0)
		return -1;
	rc = ioctl(fd, PIDFD_GET_INFO, &info);
	close(fd);
	if (rc == 0)
		return info.ppid > 0 ? (pid_t)info.ppid : -1;
	if (errno != ENOTTY && errno != EINVAL)
		return -1; /* gone */
	return (pid_t)nsdd_proc_status_long(pid, "PPid");
}
