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
 * treat it as they treat any file. The memfd's name says whose file it is,
 * so a write(2) or read(2) on any fd is the file's when /proc/TID/fd/N
 * names such a memfd of this plan.
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
 * plan's tree, or of one the opener may not ptrace (other uid or gid, no
 * CAP_SYS_PTRACE), cannot be opened (EACCES; ENOENT if there is no such
 * task); writev and pwritev are not seen, so only write and pwrite64 set a
 * value; an open of the file does not take a pending value itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"

#define NAME_PREFIX        "next_syscall_data:"
#define MAX_WRITE          1024 /* LONG32 with 32 ten-digit values fits */
#define CAP_SYS_PTRACE_BIT 19

struct nsdfile_step {
	struct inflight f;
	struct user_regs_struct regs; /* at entry, as the task made the call */
	bool skip;                    /* not made: it returns result */
	long long result;
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

/* Whose file fd of task t is, or 0 if it is not one of this plan's. */
static pid_t
fd_owner(struct task *t, unsigned long long fd)
{
	char path[64], link[128], want[64];
	size_t n;
	ssize_t got;
	long tid;
	char *end;

	if (fd > INT32_MAX)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/fd/%llu", t->tid, fd);
	if ((got = readlink(path, link, sizeof(link) - 1)) <= 0)
		return 0;
	link[got] = '\0';
	file_name(t->plan, 0, want, sizeof(want));
	n = strlen(want) - 1; /* without the "0" */
	if (strncmp(link, "/memfd:", 7) != 0 || strncmp(link + 7, want, n) != 0)
		return 0;
	tid = strtol(link + 7 + n, &end, 10);
	return tid > 0 && strcmp(end, " (deleted)") == 0 ? (pid_t)tid : 0;
}

/* Whether who may ptrace target: the same uids and gids, or CAP_SYS_PTRACE. */
static bool
may_ptrace(pid_t who, pid_t target)
{
	char a[128], b[128];
	long long caps;

	if (nsdd_proc_status(who, "CapEff", a, sizeof(a)) == 0 &&
	    ((caps = strtoll(a, NULL, 16)) & (1LL << CAP_SYS_PTRACE_BIT)))
		return true;
	if (nsdd_proc_status(who, "Uid", a, sizeof(a)) < 0 ||
	    nsdd_proc_status(target, "Uid", b, sizeof(b)) < 0 || strcmp(a, b) != 0)
		return false;
	return nsdd_proc_status(who, "Gid", a, sizeof(a)) == 0 &&
	       nsdd_proc_status(target, "Gid", b, sizeof(b)) == 0 && strcmp(a, b) == 0;
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
 * "P/task/T/..." or "thread-self/...". 0: not the file; -errno: the file of
 * no task the opener may have; else the tid, in nsdd's namespace.
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
	if ((thread = task_named(t, part[2])) == NULL)
		return -ENOENT; /* not a task of the tree: nsdd cannot serve it */
	if (strcmp(part[0], "self") == 0)
		who = tracer_find_task((pid_t)nsdd_proc_status_long(t->tid, "Tgid"));
	else
		who = task_named(t, part[0]);
	if (who == NULL ||
	    nsdd_proc_status_long(thread->tid, "Tgid") != nsdd_proc_status_long(who->tid, "Tgid"))
		return -ENOENT; /* /proc/P/task/T with T not a thread of P */
	return may_ptrace(t->tid, thread->tid) ? thread->tid : -EACCES;
}

/* The path and flags of an open-kind call; false if it has none to read. */
static bool
open_args(struct task *t, long nr, const unsigned long long args[6], char *path, size_t len,
          long long *dirfd, uint64_t *flags)
{
	struct mem_op op[2] = {{MEM_STRING, 0, path, len}, {MEM_READ, 0, flags, 8}};
	size_t nops = 1;

	*dirfd = AT_FDCWD;
	switch (nr) {
	case SYS_open:
		op[0].addr = args[0];
		*flags = args[1];
		break;
	case SYS_creat:
		op[0].addr = args[0];
		*flags = O_CREAT | O_WRONLY | O_TRUNC;
		break;
	case SYS_openat:
	case SYS_openat2:
		*dirfd = (int)args[0];
		op[0].addr = args[1];
		*flags = args[2];
		if (nr == SYS_openat2) {
			if (args[3] < sizeof(struct open_how))
				return false; /* the kernel refuses it */
			op[1].addr = args[2];
			nops = 2;
		}
		break;
	default:
		return false;
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
	if (filter_allows(t->tid, &r, SYS_memfd_create, args) == FILTER_DENIES) {
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

/* Before a read of the file runs: the memfd holds the value's text. */
static void
fill_file(struct task *t, pid_t owner, unsigned long long fd)
{
	struct task *o = tracer_find_task(owner);
	char path[64], text[NSD_MAX_LEVELS * 12 + 16];
	size_t len = 0;
	int mfd;

	if (o != NULL && o->plan == t->plan)
		len = step_next_data_text(o, text, sizeof(text));
	snprintf(path, sizeof(path), "/proc/%d/fd/%llu", t->tid, fd);
	if ((mfd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return;
	if (ftruncate(mfd, 0) < 0 || pwrite(mfd, text, len, 0) != (ssize_t)len)
		log_warn("task %d: cannot fill next_syscall_data", t->tid);
	close(mfd);
}

bool
nsdfile_entry(struct task *t, long nr, const unsigned long long args[6])
{
	char path[256];
	long long dirfd;
	uint64_t flags;
	pid_t owner;

	switch (nr) {
	case SYS_write:
	case SYS_pwrite64:
		if ((owner = fd_owner(t, args[0])) == 0)
			return false;
		write_file(t, owner, args[1], args[2]);
		return true;
	case SYS_read:
	case SYS_pread64:
		if ((owner = fd_owner(t, args[0])) == 0)
			return false;
		fill_file(t, owner, args[0]);
		return true;
	case SYS_open:
	case SYS_openat:
	case SYS_openat2:
	case SYS_creat:
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
			skip(t, owner);
		else
			open_file(t, owner, flags);
		return true;
	default:
		return false;
	}
}

/* The file's call returns: registers and bytes back as the task made them. */
static void
nsdfile_exit(struct task *t, long long rval, bool is_error)
{
	struct nsdfile_step *fs = (struct nsdfile_step *)t->step;
	struct mem_op op = {MEM_WRITE, fs->saved_addr, fs->saved, fs->saved_len};
	struct user_regs_struct r = fs->regs;

	(void)is_error;
	if (fs->saved_len > 0 && t->drv->mem(t, &op, 1) < 0)
		log_warn("task %d: cannot put back %zu bytes below its stack", t->tid,
		         fs->saved_len);
	arch_set_return(&r, (long)(fs->skip ? fs->result : rval));
	t->drv->set_regs(t, &r);
	step_end(t);
}

static const struct step_ops nsdfile_steps = {NULL, NULL, nsdfile_exit, step_end};
