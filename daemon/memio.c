/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tracee memory, read and written by a helper process under a deadline.
 *
 * process_vm_readv(2) on a page that an unserved userfaultfd or a stalled
 * FUSE file backs waits until the fault is resolved, and that wait yields
 * only to SIGKILL. nsdd's event loop must never wait so. Every access goes
 * to a helper (a child of nsdd, made once, in nsdd's pid namespace on a pid
 * no plan wants); one that misses MEM_DEADLINE_MS is killed, the access
 * fails with ETIMEDOUT, and the next access makes a new helper.
 *
 * One request is a batch of accesses to one task, made in order until the
 * first failure: a step costs one round trip, not one per access.
 * Request: struct wire_req, nops struct wire_op, then the bytes to write.
 * Reply: struct wire_rep, then, if all went well, len bytes for each read.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"
#include "leaves.h"

#define MEM_DEADLINE_MS 250
#define MEM_MAX_OPS     4
#define MEM_MAX_BYTES   8192 /* what one batch moves, each way */
#define NOT_RESIDENT    (-1)
#define PM_PRESENT      (1ULL << 63)
#define PM_FILE         (1ULL << 61) /* or shared anonymous */
#define PM_UFFD_WP      (1ULL << 57)

struct wire_req {
	int32_t tid;
	uint32_t nops;
};

struct wire_op {
	uint32_t kind;
	uint32_t len;
	uint64_t addr;
};

struct wire_rep {
	int32_t err; /* 0, or the errno of the first access that failed */
	uint32_t pad;
};

union wire_buf {
	char bytes[sizeof(struct wire_req) + MEM_MAX_OPS * sizeof(struct wire_op) + MEM_MAX_BYTES];
	struct wire_req req;
	struct wire_rep rep;
};

static pid_t helper;
static int sock = -1;
static bool direct = true; /* resident memory is accessed by nsdd itself */

/*
 * pagemap(5): with pm >= 0, whether every page of [addr, addr + len) is
 * present, private anonymous memory and not write-protected by a
 * userfaultfd: an access to it cannot wait on a fault handler or a file.
 */
static bool
resident(int pm, uint64_t addr, size_t len)
{
	uint64_t e[2];
	size_t n, i;

	if (pm < 0)
		return true;
	if (len == 0 || addr + len < addr)
		return false;
	n = (size_t)((addr + len - 1) / 4096 - addr / 4096 + 1);
	if (n > 2 || pread(pm, e, n * 8, (off_t)(addr / 4096 * 8)) != (ssize_t)(n * 8))
		return false;
	for (i = 0; i < n; i++)
		if (!(e[i] & PM_PRESENT) || (e[i] & (PM_FILE | PM_UFFD_WP)))
			return false;
	return true;
}

/*
 * One access. process_vm_readv: never faults the caller. With pm >= 0 (in
 * nsdd itself) NOT_RESIDENT when a page is not resident().
 */
static int
one_access(int pm, pid_t tid, uint32_t kind, uint64_t addr, char *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n;

	if (kind == MEM_STRING) {
		/* Page by page: a string that ends just before unmapped memory
		 * is read whole. Whatever follows its NUL is zeroed. */
		size_t off = 0;
		while (off < len) {
			size_t chunk = 4096 - ((addr + off) & 4095);
			char *nul;
			int err;
			if (chunk > len - off)
				chunk = len - off;
			if ((err = one_access(pm, tid, MEM_READ, addr + off, buf + off, chunk)) !=
			    0)
				return err;
			if ((nul = memchr(buf + off, '\0', chunk)) != NULL) {
				memset(nul, 0, len - (size_t)(nul - buf));
				return 0;
			}
			off += chunk;
		}
		return ENAMETOOLONG;
	}
	if (!resident(pm, addr, len))
		return NOT_RESIDENT;
	n = kind == MEM_WRITE ? process_vm_writev(tid, &local, 1, &remote, 1, 0)
	                      : process_vm_readv(tid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return errno;
	return (size_t)n == len ? 0 : EFAULT;
}

/* The helper: one batch per message, until nsdd closes its end. */
__attribute__((noreturn)) static void
helper_main(int s)
{
	static union wire_buf in, out;

	helper_begin(s, "nsdd-memio");
	for (;;) {
		ssize_t n = recv(3, &in, sizeof(in), 0);
		struct wire_op *op = (struct wire_op *)(&in.req + 1);
		char *data;
		char *reply = (char *)(&out.rep + 1);
		size_t used = 0, i;

		if (n <= 0)
			_exit(0);
		out.rep.err = 0;
		if ((size_t)n < sizeof(in.req) || in.req.nops > MEM_MAX_OPS ||
		    (size_t)n < sizeof(in.req) + in.req.nops * sizeof(*op)) {
			out.rep.err = EINVAL;
			in.req.nops = 0;
		}
		data = (char *)(op + in.req.nops);
		for (i = 0; i < in.req.nops && out.rep.err == 0; i++) {
			size_t len = op[i].len;
			if (op[i].kind == MEM_WRITE) {
				if (len > (size_t)(in.bytes + n - data)) {
					out.rep.err = EINVAL;
					break;
				}
				out.rep.err =
				    one_access(-1, in.req.tid, MEM_WRITE, op[i].addr, data, len);
				data += len;
			} else if (len <= MEM_MAX_BYTES - used) {
				out.rep.err = one_access(-1, in.req.tid, op[i].kind, op[i].addr,
				                         reply + used, len);
				used += len;
			} else {
				out.rep.err = EINVAL;
			}
		}
		if (out.rep.err != 0)
			used = 0;
		if (send(3, &out, sizeof(out.rep) + used, MSG_NOSIGNAL) < 0)
			_exit(0);
	}
}

static void
helper_stop(void)
{
	if (sock >= 0)
		close(sock);
	sock = -1;
	if (helper > 0)
		kill(helper, SIGKILL); /* tracer_reap() collects it */
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Sends a request and waits for its reply until the deadline; -1 with errno. */
static ssize_t
round_trip(const void *req, size_t len, union wire_buf *rep)
{
	struct timespec t0;
	struct pollfd p;
	long left;
	ssize_t n;

	if (sock < 0 && (helper = helper_spawn(helper_main, &sock)) < 0) {
		log_warn("cannot make the memory helper");
		helper = 0;
		errno = EAGAIN;
		return -1;
	}
	if (send(sock, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		helper_stop(); /* the helper died: the next access makes another */
		errno = EAGAIN;
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p.fd = sock;
	p.events = POLLIN;
	while ((left = MEM_DEADLINE_MS - ms_since(&t0)) > 0) {
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = recv(sock, rep, sizeof(*rep), 0);
		if (n < (ssize_t)sizeof(rep->rep))
			break;
		return n;
	}
	log_warnx("the memory helper took more than %d ms (a userfaultfd or FUSE page?): killed",
	          MEM_DEADLINE_MS);
	helper_stop();
	errno = ETIMEDOUT;
	return -1;
}

/*
 * The pagemaps of the last two tasks accessed directly (a fork step touches
 * its parent and its child). A tracee keeps its mm while it is one, so
 * mem_forget() at its end and at every execve(2) keeps these from ever
 * describing another mm.
 */
static struct {
	int fd;
	pid_t tid;
} pms[2] = {{-1, 0}, {-1, 0}};

/*
 * A page found resident may be zapped by another thread of the task before
 * nsdd reads it; a fault then waits only on a userfaultfd that handles
 * kernel faults, which takes CAP_SYS_PTRACE, unless these let anyone make
 * one. Then every access goes to the helper.
 */
void
mem_init(void)
{
	struct stat st;
	char c = '0';
	int fd = open("/proc/sys/vm/unprivileged_userfaultfd", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '0';
		close(fd);
	}
	if (c != '0' || (stat("/dev/userfaultfd", &st) == 0 && (st.st_mode & 066))) {
		direct = false;
		log_info("userfaultfd is open to unprivileged users: every read of task memory "
		         "goes through the helper");
	}
}

void
mem_forget(pid_t tid)
{
	size_t i;

	for (i = 0; i < 2; i++)
		if (pms[i].fd >= 0 && (tid == 0 || tid == pms[i].tid)) {
			close(pms[i].fd);
			pms[i].fd = -1;
		}
}

static int
pagemap(pid_t tid)
{
	char path[64];
	int fd;

	if (pms[0].fd >= 0 && pms[0].tid == tid)
		return pms[0].fd;
	if (pms[1].fd < 0 || pms[1].tid != tid) {
		if (pms[1].fd >= 0)
			close(pms[1].fd); /* the least recently used */
		snprintf(path, sizeof(path), "/proc/%d/pagemap", tid);
		pms[1].fd = open(path, O_RDONLY | O_CLOEXEC);
		pms[1].tid = tid;
	}
	fd = pms[1].fd;
	pms[1] = pms[0];
	pms[0].fd = fd;
	pms[0].tid = tid;
	return fd;
}

/* In nsdd itself, if every page is resident(): 0, an errno, or NOT_RESIDENT. */
static int
direct_access(pid_t tid, struct mem_op *ops, size_t nops)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	int pm, err = 0;
	size_t i;

	if (!direct || (pm = pagemap(tid)) < 0)
		return NOT_RESIDENT;
	/* All are checked first, so that a batch is never half made here;
	 * in one read of pagemap when they are close (a step's usually are). */
	for (i = 0; i < nops; i++) {
		if (ops[i].kind == MEM_STRING)
			continue;
		if (ops[i].addr + ops[i].len < ops[i].addr)
			return NOT_RESIDENT; /* the helper's process_vm_readv says EFAULT */
		lo = ops[i].addr < lo ? ops[i].addr : lo;
		hi = ops[i].addr + ops[i].len > hi ? ops[i].addr + ops[i].len : hi;
	}
	if (lo < hi && !resident(pm, lo, hi - lo))
		for (i = 0; i < nops && err == 0; i++)
			if (ops[i].kind != MEM_STRING && !resident(pm, ops[i].addr, ops[i].len))
				err = NOT_RESIDENT;
	for (i = 0; i < nops && err == 0; i++)
		err = one_access(ops[i].kind == MEM_STRING ? pm : -1, tid, ops[i].kind, ops[i].addr,
		                 ops[i].buf, ops[i].len);
	return err;
}

int
mem_access(pid_t tid, struct mem_op *ops, size_t nops)
{
	union wire_buf req, rep;
	struct wire_op *w = (struct wire_op *)(&req.req + 1);
	char *data = (char *)(w + nops);
	const char *back;
	size_t i, in = 0, out = 0;
	ssize_t n;
	int err;

	if (nops > MEM_MAX_OPS || (nops > 1 && ops[0].kind == MEM_STRING)) {
		errno = EINVAL;
		return -1;
	}
	if ((err = direct_access(tid, ops, nops)) != NOT_RESIDENT) {
		errno = err;
		return err == 0 ? 0 : -1;
	}
	req.req.tid = tid;
	req.req.nops = (uint32_t)nops;
	for (i = 0; i < nops; i++) {
		size_t *sum = ops[i].kind == MEM_WRITE ? &in : &out;
		if (ops[i].len > MEM_MAX_BYTES - *sum) {
			errno = EINVAL;
			return -1;
		}
		*sum += ops[i].len;
		w[i].kind = ops[i].kind;
		w[i].len = (uint32_t)ops[i].len;
		w[i].addr = ops[i].addr;
		if (ops[i].kind == MEM_WRITE) {
			memcpy(data, ops[i].buf, ops[i].len);
			data += ops[i].len;
		}
	}
	if ((n = round_trip(&req, (size_t)(data - req.bytes), &rep)) < 0)
		return -1;
	if (rep.rep.err != 0) {
		errno = rep.rep.err;
		return -1;
	}
	if ((size_t)n != sizeof(rep.rep) + out) {
		errno = EPROTO;
		return -1;
	}
	back = (const char *)(&rep.rep + 1);
	for (i = 0; i < nops; i++) {
		if (ops[i].kind != MEM_WRITE) {
			memcpy(ops[i].buf, back, ops[i].len);
			back += ops[i].len;
		}
	}
	return 0;
}

int
mem_access_untraced(pid_t tid, struct mem_op *ops, size_t nops)
{
	int rc = mem_access(tid, ops, nops), err = errno;

	mem_forget(tid);
	errno = err;
	return rc;
}

bool
mem_helper_reaped(pid_t pid)
{
	if (pid != helper || pid <= 0)
		return false;
	helper = 0;
	if (sock >= 0) {
		close(sock);
		sock = -1;
	}
	return true;
}

bool
mem_is_helper(pid_t pid)
{
	return helper > 0 && pid == helper;
}
