/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The emulated /proc/<pid>/task/<tid>/next_syscall_data of the 2008
 * proposal, served to the tasks of a plan with "next_syscall_data": true on
 * a kernel that lacks the file.
 *
 * The open of such a path (/proc/self/task/T/..., /proc/P/task/T/...,
 * /proc/thread-self/..., or the same relative to a /proc dirfd or cwd) is
 * rewritten at its entry into memfd_create("next_syscall_data:PLAN:TID"),
 * with MFD_CLOEXEC if the task asked for O_CLOEXEC: the task gets a real fd
 * at the number the kernel would have given, and close, dup, fork and exec
 * treat it as they treat any file.
 *
 * What proves a file is the file, and whose: nothing the task can name. At
 * the open's exit nsdd takes its own copy of the new descriptor from the
 * opening thread's file table, checks that it is a memfd (a file of the
 * kernel's internal mount, as nsdd's own memfd is), and keeps it with the
 * thread the open was for. A write(2) or read(2) on fd N is the file's only
 * if kcmp(KCMP_FILE) finds N to be one of those open file descriptions
 * (its dups and inherited copies are; a memfd the task names alike, a bind
 * mount, an O_PATH fd or a reopen through /proc/self/fd are not). nsdd
 * fills the file for a read through its own copy: it never opens what a
 * task's fd or path names, so it never follows, truncates or waits on a
 * task's file (a lease, a FUSE or FIFO open). A plan holds at most
 * MAX_FILES such copies; the oldest is let go for a new one, and its file
 * becomes a plain memfd.
 *
 * A write of "LONGn v1 .. vn" sets the thread's value and returns its
 * length; anything else fails with EINVAL and changes nothing (the write is
 * not made). The value is the thread's head step (steps.c) until the first
 * fork, vfork, clone, clone3, msgget, semget, shmget, open, openat, openat2,
 * creat or IPC_SET it then makes; a call already in progress never takes it,
 * as values are taken at syscall entry. A read gives "LONGn v1 .. vn\n", or
 * nothing: the memfd is filled with that text before the read runs.
 *
 * Decisions where the proposal is silent: the file of a task outside the
 * plan's tree cannot be opened (ENOENT, as for no such task); the file of a
 * thread the opener may not ptrace, by the kernel's rule for /proc/PID/mem
 * (authz_task_may_ptrace(): its own thread group, or the same fsuid and
 * fsgid as all of the thread's ids and a dumpable thread, or CAP_SYS_PTRACE
 * in the thread's user namespace), cannot be opened (EACCES). As for
 * /proc/PID/mem, the check is made at the open: a write through an open
 * file sets the value of the file's thread, whoever holds the descriptor.
 * writev and pwritev are not seen, so only write and pwrite64 set a value;
 * an open of the file does not take a pending value itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"
#include "socket.h"
#include "task.h"
#include "tracing.h"

#define NAME_PREFIX "next_syscall_data:"
#define MAX_WRITE   1024 /* LONG32 with 32 ten-digit values fits */
#define MAX_FILES   64   /* open files of a plan that nsdd serves */

/* A file nsdd made: its own copy of the task's open file description. */
struct held_file {
	TAILQ_ENTRY(held_file) entry;
	const struct plan *plan;
	pid_t owner; /* the thread whose file it is */
	int fd;      /* in nsdd */
};

static TAILQ_HEAD(, held_file) held = TAILQ_HEAD_INITIALIZER(held);

struct nsdfile_step {
	struct inflight f;
	struct user_regs_struct regs; /* at entry, as the task made the call */
	bool skip;                    /* not made: it returns result */
	long long result;
	pid_t owner;                   /* an open: the thread whose file it makes */
	unsigned long long saved_addr; /* the task's bytes under the memfd's name */
	size_t saved_len;
	unsigned char saved[64];
};

static const struct step_ops nsdfile_steps;

/* The memfd name of tid's file in plan: "next_syscall_data:PLAN:TID". */
static void
file_name(const struct plan *plan, pid_t tid, char *buf, size_t len)
{
	snprintf(buf, len, NAME_PREFIX "%s:%d", plan_id(plan), tid);
}

/* The mount id fdinfo shows for fd of pid (0 for the kernel's internal
 * mounts, which memfds are on), or -1. */
static long
mnt_id(pid_t pid, int fd)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return (p = strstr(buf, "\nmnt_id:")) != NULL ? strtol(p + 8, NULL, 10) : -1;
}

/* The start of what /proc/self/fd/FD links to, NUL-terminated; false if none. */
static bool
readlink_fd(int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((n = readlink(path, buf, len - 1)) <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Whether fd of nsdd is a memfd: on the mount nsdd's own memfds are on. */
static bool
is_memfd(int fd)
{
	static long memfd_mnt = -2;
	char link[16];
	int probe;

	if (memfd_mnt == -2 && (probe = memfd_create("nsdd-probe", MFD_CLOEXEC)) >= 0) {
		memfd_mnt = mnt_id(getpid(), probe);
		close(probe);
	}
	return memfd_mnt >= 0 && mnt_id(getpid(), fd) == memfd_mnt &&
	       readlink_fd(fd, link, sizeof(link)) && strncmp(link, "/memfd:", 7) == 0;
}

/* The open made fd in t's file table for owner's file: nsdd keeps a copy. */
static void
hold_file(struct task *t, pid_t owner, long long fd)
{
	struct held_file *h, *oldest = NULL;
	size_t n = 0;
	int mine;

	if (fd < 0 || fd > INT32_MAX || (mine = nsdd_take_fd(t->tid, (int)fd)) < 0) {
		log_warn("task %d: cannot take fd %lld of its next_syscall_data", t->tid, fd);
		return;
	}
	if (!is_memfd(mine)) {
		/* Another thread put something else at fd since: not served. */
		log_warnx("task %d: fd %lld is no longer its next_syscall_data", t->tid, fd);
		close(mine);
		return;
	}
	TAILQ_FOREACH(h, &held, entry)
	if (h->plan == t->plan && n++ == 0)
		oldest = h;
	if (n >= MAX_FILES) {
		log_warnx("plan %s: over %d open next_syscall_data files: the oldest is no "
		          "longer served",
		          plan_id(t->plan), MAX_FILES);
		TAILQ_REMOVE(&held, oldest, entry);
		close(oldest->fd);
		free(oldest);
	}
	h = xcalloc(1, sizeof(*h));
	h->plan = t->plan;
	h->owner = owner;
	h->fd = mine;
	TAILQ_INSERT_TAIL(&held, h, entry);
}

/* The file fd of task t is, or NULL if it is not one nsdd made for its plan. */
static struct held_file *
held_file_of(struct task *t, unsigned long long fd)
{
	char path[64], link[32];
	struct held_file *h;
	ssize_t got;
	pid_t self = getpid();

	if (fd > INT32_MAX)
		return NULL;
	/* The name proves nothing, but rules out most fds for one syscall. */
	snprintf(path, sizeof(path), "/proc/%d/fd/%llu", t->tid, fd);
	if ((got = readlink(path, link, sizeof(link) - 1)) <= 0)
		return NULL;
	link[got] = '\0';
	if (strncmp(link, "/memfd:" NAME_PREFIX, strlen("/memfd:" NAME_PREFIX)) != 0)
		return NULL;
	TAILQ_FOREACH(h, &held, entry)
	{
		if (h->plan != t->plan)
			continue;
		if (syscall(SYS_kcmp, t->tid, self, KCMP_FILE, (unsigned long)fd,
		            (unsigned long)h->fd) == 0)
			return h;
		if (errno == ENOSYS) {
			static bool said;
			if (!said)
				log_warnx("this kernel has no kcmp(2) (CONFIG_KCMP): the emulated "
				          "next_syscall_data cannot be told from other files, and "
				          "its reads and writes are not served");
			said = true;
			return NULL;
		}
	}
	return NULL;
}

static void
nsdfile_plan_ended(struct plan *plan)
{
	struct held_file *h, *next;

	TAILQ_FOREACH_SAFE(h, &held, entry, next)
	if (h->plan == plan) {
		TAILQ_REMOVE(&held, h, entry);
		close(h->fd);
		free(h);
	}
}

/* The task of plan that pid nr names in t's pid namespace, or NULL. */
static struct task *
task_named(struct task *t, const char *nr)
{
	int32_t ids[NSD_MAX_LEVELS + 1];
	size_t depth;
	char *end;
	long v = strtol(nr, &end, 10);

	if (*nr < '1' || *nr > '9' || *end != '\0' || v > NSD_PID_MAX)
		return NULL;
	if (nsdd_nspids(t->tid, ids, NSD_MAX_LEVELS + 1, &depth) < 0)
		return NULL;
	return tracer_find_nspid(t->plan, depth, (pid_t)v);
}

/* "/proc" is what the dirfd (or cwd, for AT_FDCWD) of the call names. */
static bool
at_proc(struct task *t, long long dirfd)
{
	char path[64], link[16];
	ssize_t n;

	if (dirfd == AT_FDCWD)
		snprintf(path, sizeof(path), "/proc/%d/cwd", t->tid);
	else if (dirfd >= 0 && dirfd <= INT32_MAX)
		snprintf(path, sizeof(path), "/proc/%d/fd/%lld", t->tid, dirfd);
	else
		return false;
	n = readlink(path, link, sizeof(link) - 1);
	return n == 5 && memcmp(link, "/proc", 5) == 0;
}

/*
 * The thread whose file path names, relative to /proc: "self/task/T/...",
 * "P/task/T/..." or "thread-self/...", in nsdd's namespace; 0: not the
 * file; -1 with errno (the open's result): the file of no task the opener
 * may have.
 */
static pid_t
file_of(struct task *t, char *path)
{
	char *part[6], *save = NULL, *p;
	struct task *who, *thread;
	size_t n = 0;

	for (p = strtok_r(path, "/", &save); p != NULL; p = strtok_r(NULL, "/", &save))
		if (strcmp(p, ".") != 0 && n < 6)
			part[n++] = p;
	if (n == 2 && strcmp(part[0], "thread-self") == 0 &&
	    strcmp(part[1], "next_syscall_data") == 0)
		return t->tid;
	if (n != 4 || strcmp(part[1], "task") != 0 || strcmp(part[3], "next_syscall_data") != 0)
		return 0;
	errno = ENOENT;
	if ((thread = task_named(t, part[2])) == NULL)
		return -1; /* not a task of the tree: nsdd cannot serve it */
	if (strcmp(part[0], "self") == 0)
		who = tracer_find_task((pid_t)nsdd_proc_status_long(t->tid, "Tgid"));
	else
		who = task_named(t, part[0]);
	if (who == NULL ||
	    nsdd_proc_status_long(thread->tid, "Tgid") != nsdd_proc_status_long(who->tid, "Tgid")) {
		errno = ENOENT; /* /proc/P/task/T with T not a thread of P */
		return -1;
	}
	if (!authz_task_may_ptrace(t->tid, thread->tid)) {
		errno = EACCES;
		return -1;
	}
	return thread->tid;
}

/* The path and flags of an open-kind call (a row of the syscall table);
 * false if it is none, or has none to read. */
static bool
open_args(struct task *t, long nr, const unsigned long long args[6], char *path, size_t len,
          long long *dirfd, uint64_t *flags)
{
	const struct nsd_syscall *sc = nsd_syscall_find(nr);
	struct mem_op op[2] = {{MEM_STRING, 0, path, len}, {MEM_READ, 0, flags, 8}};
	size_t nops = 1;

	if (sc == NULL || sc->call != NSD_CALL_OPEN)
		return false;
	*dirfd = sc->dirfd_arg >= 0 ? (int)args[sc->dirfd_arg] : AT_FDCWD;
	*flags = sc->flags_arg >= 0 ? args[sc->flags_arg] : sc->fixed_flags;
	op[0].addr = args[sc->path_arg];
	if (sc->flags_in_how) {
		if (args[sc->flags_arg + 1] < sizeof(struct open_how))
			return false; /* the kernel refuses it */
		op[1].addr = args[sc->flags_arg];
		nops = 2;
	}
	return t->drv->mem(t, op, nops) == 0;
}

/* Skips the call: it returns result, at its exit. */
static void
skip(struct task *t, long long result)
{
	struct nsdfile_step *fs;
	struct user_regs_struct r;

	if (t->drv->get_regs(t, &r) < 0)
		return;
	t->from_next_data = false; /* the record takes no value */
	fs = step_start(t, &nsdfile_steps, sizeof(*fs), NULL, NULL);
	fs->skip = true;
	fs->result = result;
	fs->regs = r;
	arch_set_nr(&r, -1);
	if (t->drv->set_regs(t, &r) < 0)
		step_end(t);
}

/* The open becomes memfd_create of owner's file, at the fd it would get. */
static void
open_file(struct task *t, pid_t owner, uint64_t flags)
{
	struct nsdfile_step *fs;
	struct user_regs_struct r;
	uint64_t args[6] = {0};
	char name[64];
	unsigned long long addr;
	struct mem_op ops[2];

	if (flags & O_DIRECTORY) {
		skip(t, -ENOTDIR);
		return;
	}
	if (t->drv->get_regs(t, &r) < 0)
		return;
	addr = arch_scratch(&r, sizeof(fs->saved));
	args[0] = addr;
	args[1] = (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0;
	if (t->drv->allows(t, &r, SYS_memfd_create, args) == FILTER_DENIES) {
		/* Its seccomp filter would refuse (or kill it for) memfd_create. */
		log_warnx("task %d: its seccomp filter forbids the memfd that serves "
		          "next_syscall_data",
		          t->tid);
		skip(t, -EACCES);
		return;
	}
	t->from_next_data = false;
	fs = step_start(t, &nsdfile_steps, sizeof(*fs), NULL, NULL);
	fs->regs = r;
	fs->owner = owner;
	file_name(t->plan, owner, name, sizeof(name));
	ops[0] = (struct mem_op){MEM_READ, addr, fs->saved, sizeof(fs->saved)};
	ops[1] = (struct mem_op){MEM_WRITE, addr, name, strlen(name) + 1};
	if (t->drv->mem(t, ops, 2) < 0) {
		step_end(t);
		skip(t, -ENOMEM);
		return;
	}
	fs->saved_addr = addr;
	fs->saved_len = sizeof(fs->saved);
	arch_set_nr(&r, SYS_memfd_create);
	arch_set_arg(&r, 0, args[0]);
	arch_set_arg(&r, 1, args[1]);
	if (t->drv->set_regs(t, &r) < 0)
		step_end(t);
}

/* A write to the file: the thread's value, or EINVAL. */
static void
write_file(struct task *t, pid_t owner, unsigned long long buf, unsigned long long count)
{
	char text[MAX_WRITE + 1], why[128];
	struct mem_op op = {MEM_READ, buf, text, (size_t)count};
	int64_t values[NSD_MAX_LEVELS];
	struct task *o = tracer_find_task(owner);
	size_t n;

	if (o == NULL || o->plan != t->plan) {
		skip(t, -ESRCH);
		return;
	}
	if (count > MAX_WRITE) {
		skip(t, -EINVAL);
		return;
	}
	if (count > 0 && t->drv->mem(t, &op, 1) < 0) {
		skip(t, -EFAULT);
		return;
	}
	if (nsd_longn_parse(text, (size_t)count, values, NSD_MAX_LEVELS, &n, why, sizeof(why)) <
	    0) {
		log_debug("task %d: next_syscall_data of %d: %s", t->tid, owner, why);
		skip(t, -EINVAL);
		return;
	}
	if (nsdd_longn_bad(values, n) < n) {
		skip(t, -EINVAL);
		return;
	}
	step_set_next_data(o, values, n);
	log_debug("task %d: next_syscall_data of %d set to %lld", t->tid, owner,
	          (long long)values[0]);
	skip(t, (long long)count);
}

/* Before a read of the file runs: the memfd holds the value's text,
 * written through nsdd's own copy (a memfd: neither call can wait). */
static void
fill_file(struct task *t, const struct held_file *h)
{
	struct task *o = tracer_find_task(h->owner);
	char text[NSD_MAX_LEVELS * 12 + 16];
	size_t len = 0;

	if (o != NULL && o->plan == t->plan)
		len = step_next_data_text(o, text, sizeof(text));
	/* A seal the task put on its own file: its read gets what is there
	 * (debug only: a task must not be able to flood nsdd's log). */
	if (ftruncate(h->fd, 0) < 0 || pwrite(h->fd, text, len, 0) != (ssize_t)len)
		log_debug("task %d: cannot fill next_syscall_data: %s", t->tid, strerror(errno));
}

static bool
nsdfile_entry(struct task *t, long nr, const unsigned long long args[6])
{
	char path[256];
	long long dirfd;
	uint64_t flags;
	struct held_file *h;
	pid_t owner;

	switch (nr) {
	case SYS_write:
	case SYS_pwrite64:
		if ((h = held_file_of(t, args[0])) == NULL)
			return false;
		write_file(t, h->owner, args[1], args[2]);
		return true;
	case SYS_read:
	case SYS_pread64:
		if ((h = held_file_of(t, args[0])) == NULL)
			return false;
		fill_file(t, h);
		return true;
	default: /* an open of the syscall table's */
		if (!open_args(t, nr, args, path, sizeof(path), &dirfd, &flags) ||
		    strstr(path, "next_syscall_data") == NULL)
			return false;
		if (path[0] == '/') {
			if (strncmp(path, "/proc/", 6) != 0)
				return false;
			memmove(path, path + 6, strlen(path + 6) + 1);
		} else if (!at_proc(t, dirfd)) {
			return false;
		}
		if ((owner = file_of(t, path)) == 0)
			return false;
		if (owner < 0)
			skip(t, -errno);
		else
			open_file(t, owner, flags);
		return true;
	}
}

/* The file's call returns: registers and bytes back as the task made them. */
static void
nsdfile_exit(struct task *t, long long rval, bool is_error)
{
	struct nsdfile_step *fs = (struct nsdfile_step *)t->step;
	struct mem_op op = {MEM_WRITE, fs->saved_addr, fs->saved, fs->saved_len};
	struct user_regs_struct r = fs->regs;

	if (!fs->skip && !is_error)
		hold_file(t, fs->owner, rval);
	if (fs->saved_len > 0 && t->drv->mem(t, &op, 1) < 0)
		log_warn("task %d: cannot put back %zu bytes below its stack", t->tid,
		         fs->saved_len);
	arch_set_return(&r, (long)(fs->skip ? fs->result : rval));
	t->drv->set_regs(t, &r);
	step_end(t);
}

static const struct step_ops nsdfile_steps = {NULL, NULL, nsdfile_exit, step_end};

/* A restore whose tasks' writes, reads and opens may be the file's: they
 * stop at every syscall while the plan runs, steps left or not. */
static bool
emulate_entry(struct task *t, long nr, const unsigned long long args[6])
{
	return nsdfile_entry(t, nr, args) || restore_kind.entry(t, nr, args);
}

const struct plan_kind emulate_kind = {
    .name = "next_syscall_data",
    .follows = true,
    .stops = step_stops_syscalls,
    .entry = emulate_entry,
    .ended = nsdfile_plan_ended,
};
