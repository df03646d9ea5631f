/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The task's own seccomp filters. A syscall that nsdd makes a task run
 * (clone3 in place of its fork, fcntl, dup3 and close after its open) goes
 * through those filters like any other (seccomp(2): since Linux 4.8 they run
 * after the ptrace syscall-entry stop). A filter may kill the task for it,
 * as one that kills on dup3 does, or fail it, as Docker's default profile
 * fails clone3 with ENOSYS. So before nsdd makes a task run a syscall of its
 * own choosing, it reads the task's filters (PTRACE_SECCOMP_GET_FILTER,
 * Linux 4.4, CAP_SYS_ADMIN) and runs them on that call here; only a call that
 * every filter lets through (ALLOW or LOG) is made. A classic BPF
 * interpreter of the instructions seccomp accepts (kernel/seccomp.c,
 * seccomp_check_filter) is all it takes.
 *
 * The kernel lets no task that is itself under seccomp read filters. Then,
 * for a task that has filters, the verdict is unknown: nsdd makes the call
 * and takes an error return as a refusal (the fork is made again as the task
 * made it), but a filter that kills on the call kills the task. nsdd(8)
 * says so.
 */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>

#include "log.h"
#include "nsdd.h"
#include "leaves.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#define MAX_INSNS 4096 /* BPF_MAXINSNS */

/* A = A op src; false if the filter ends here with *ret. */
static bool
alu(uint16_t op, uint32_t *a, uint32_t src, uint32_t *ret)
{
	switch (op) {
	case BPF_ADD:
		*a += src;
		return true;
	case BPF_SUB:
		*a -= src;
		return true;
	case BPF_MUL:
		*a *= src;
		return true;
	case BPF_DIV:
		if (src == 0) {
			*ret = 0; /* classic BPF: division by zero returns 0 (KILL) */
			return false;
		}
		*a /= src;
		return true;
	case BPF_AND:
		*a &= src;
		return true;
	case BPF_OR:
		*a |= src;
		return true;
	case BPF_XOR:
		*a ^= src;
		return true;
	case BPF_LSH:
		*a = src < 32 ? *a << src : 0;
		return true;
	case BPF_RSH:
		*a = src < 32 ? *a >> src : 0;
		return true;
	case BPF_NEG:
		*a = -*a;
		return true;
	default:
		*ret = SECCOMP_RET_KILL_PROCESS;
		return false;
	}
}

/* A conditional jump: 1 taken, 0 not, -1 not an instruction seccomp accepts. */
static int
taken(uint16_t op, uint32_t a, uint32_t src)
{
	switch (op) {
	case BPF_JEQ:
		return a == src;
	case BPF_JGT:
		return a > src;
	case BPF_JGE:
		return a >= src;
	case BPF_JSET:
		return (a & src) != 0;
	default:
		return -1;
	}
}

/* Loads and stores: false if the filter ends here with *ret (a bad one). */
static bool
load_store(const struct sock_filter *i, const struct seccomp_data *d, uint32_t *a, uint32_t *x,
           uint32_t *m, uint32_t *ret)
{
	uint32_t w;

	*ret = SECCOMP_RET_KILL_PROCESS;
	switch (i->code) {
	case BPF_LD | BPF_W | BPF_ABS:
		if (i->k > sizeof(*d) - 4 || i->k % 4 != 0)
			return false;
		memcpy(&w, (const char *)d + i->k, 4);
		*a = w;
		return true;
	case BPF_LD | BPF_W | BPF_LEN:
		*a = sizeof(*d);
		return true;
	case BPF_LDX | BPF_W | BPF_LEN:
		*x = sizeof(*d);
		return true;
	case BPF_LD | BPF_IMM:
		*a = i->k;
		return true;
	case BPF_LDX | BPF_IMM:
		*x = i->k;
		return true;
	case BPF_MISC | BPF_TAX:
		*x = *a;
		return true;
	case BPF_MISC | BPF_TXA:
		*a = *x;
		return true;
	default: /* BPF_LD|BPF_MEM, BPF_LDX|BPF_MEM, BPF_ST, BPF_STX */
		if (i->k >= BPF_MEMWORDS)
			return false;
		if (i->code == (BPF_LD | BPF_MEM))
			*a = m[i->k];
		else if (i->code == (BPF_LDX | BPF_MEM))
			*x = m[i->k];
		else
			m[i->k] = i->code == BPF_ST ? *a : *x;
		return true;
	}
}

/* Runs one filter on d; the action it returns, or KILL for a malformed one. */
static uint32_t
run(const struct sock_filter *f, size_t n, const struct seccomp_data *d)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {0}, ret = SECCOMP_RET_KILL_PROCESS;
	size_t pc, jump;
	int t;

	for (pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? X : i->k;
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
		case BPF_LD | BPF_W | BPF_LEN:
		case BPF_LDX | BPF_W | BPF_LEN:
		case BPF_LD | BPF_IMM:
		case BPF_LDX | BPF_IMM:
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
		case BPF_MISC | BPF_TAX:
		case BPF_MISC | BPF_TXA:
			if (!load_store(i, d, &A, &X, M, &ret))
				return ret;
			continue;
		case BPF_RET | BPF_K:
			return i->k;
		case BPF_RET | BPF_A:
			return A;
		case BPF_JMP | BPF_JA:
			jump = i->k;
			break;
		default:
			if (BPF_CLASS(i->code) == BPF_ALU) {
				if (!alu(BPF_OP(i->code), &A, src, &ret))
					return ret;
				continue;
			}
			if (BPF_CLASS(i->code) != BPF_JMP ||
			    (t = taken(BPF_OP(i->code), A, src)) < 0)
				return SECCOMP_RET_KILL_PROCESS; /* not an instruction seccomp
				                                    accepts */
			jump = t ? i->jt : i->jf;
		}
		if (pc + 1 + jump >= n)
			return SECCOMP_RET_KILL_PROCESS;
		pc += jump;
	}
	return SECCOMP_RET_KILL_PROCESS; /* ran off the end */
}

/* The task has no seccomp filter at all: /proc/TID/status says mode 0. */
static bool
unfiltered(pid_t tid)
{
	char v[16];

	return nsdd_proc_status(tid, "Seccomp", v, sizeof(v)) == 0 && strcmp(v, "0") == 0;
}

enum filter_verdict
filter_allows(pid_t tid, const struct user_regs_struct *regs, long nr, const uint64_t args[6])
{
	struct seccomp_data d;
	struct sock_filter *prog;
	unsigned long i;
	long n;

	memset(&d, 0, sizeof(d));
	d.nr = (int)nr;
	d.arch = AUDIT_ARCH_X86_64;
	d.instruction_pointer = regs->rip;
	memcpy(d.args, args, sizeof(d.args));
	for (i = 0;; i++) {
		uint32_t action;
		n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)i, NULL);
		if (n < 0) {
			/* EINVAL at 0: no filter mode; ENOENT: past the last filter. */
			if ((errno == EINVAL && i == 0) || errno == ENOENT)
				return FILTER_ALLOWS;
			/* EACCES: the kernel lets no task under seccomp read filters
			 * (seccomp_get_filter), as nsdd under systemd's
			 * SystemCallFilter=. */
			if (errno == EACCES && i == 0 && unfiltered(tid))
				return FILTER_ALLOWS;
			log_debug("task %d: cannot read its seccomp filter %lu: %s", tid, i,
			          strerror(errno));
			return FILTER_UNKNOWN;
		}
		if (n == 0 || n > MAX_INSNS)
			return FILTER_UNKNOWN;
		prog = calloc((size_t)n, sizeof(*prog));
		if (prog == NULL || ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)i, prog) != n) {
			free(prog);
			return FILTER_UNKNOWN;
		}
		action = run(prog, (size_t)n, &d) & SECCOMP_RET_ACTION_FULL;
		free(prog);
		/* A notification is answered by a supervisor (nsdd itself, in mode
		 * seccomp, lets it through); an error it returns undoes the
		 * rewrite, as any failure of a rewritten call does. */
		if (action != SECCOMP_RET_ALLOW && action != SECCOMP_RET_LOG &&
		    action != SECCOMP_RET_USER_NOTIF)
			return FILTER_DENIES;
	}
}
