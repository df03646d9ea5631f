/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * x86_64: the registers of a stopped task.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "nsdd.h"
#include "leaves.h"

int
arch_get_regs(pid_t tid, struct user_regs_struct *regs)
{
	return ptrace(PTRACE_GETREGS, tid, NULL, regs) < 0 ? -1 : 0;
}

int
arch_set_regs(pid_t tid, const struct user_regs_struct *regs)
{
	return ptrace(PTRACE_SETREGS, tid, NULL, regs) < 0 ? -1 : 0;
}

long
arch_nr(const struct user_regs_struct *r)
{
	return (long)r->orig_rax;
}

/* The x86_64 syscall ABI: arguments in rdi, rsi, rdx, r10, r8, r9. */
static const size_t arg_offset[6] = {
    offsetof(struct user_regs_struct, rdi), offsetof(struct user_regs_struct, rsi),
    offsetof(struct user_regs_struct, rdx), offsetof(struct user_regs_struct, r10),
    offsetof(struct user_regs_struct, r8),  offsetof(struct user_regs_struct, r9),
};

unsigned long long
arch_arg(const struct user_regs_struct *r, int i)
{
	unsigned long long v;

	memcpy(&v, (const char *)r + arg_offset[i], sizeof(v));
	return v;
}

void
arch_set_arg(struct user_regs_struct *r, int i, unsigned long long v)
{
	memcpy((char *)r + arg_offset[i], &v, sizeof(v));
}

void
arch_set_nr(struct user_regs_struct *r, long nr)
{
	r->orig_rax = (unsigned long long)nr;
}

void
arch_set_return(struct user_regs_struct *r, long v)
{
	r->rax = (unsigned long long)v;
}

/* `syscall` is two bytes (0f 05); rip points past it at entry and exit. */
void
arch_rewind(struct user_regs_struct *r, long nr)
{
	r->rip -= 2;
	r->rax = (unsigned long long)nr;
	r->orig_rax = (unsigned long long)nr;
}

/*
 * -ERESTARTSYS, -ERESTARTNOINTR and -ERESTARTNOHAND in rax at a stop: the
 * syscall in orig_rax is re-entered, from the same rip (*ip), once the task
 * runs.
 * (-ERESTART_RESTARTBLOCK goes through restart_syscall, another number.)
 */
long
arch_restarting(const struct user_regs_struct *r, unsigned long long *ip)
{
	long rax = (long)r->rax;

	if ((long)r->orig_rax < 0 || rax < -514 || rax > -512)
		return -1;
	*ip = r->rip;
	return (long)r->orig_rax;
}

bool
arch_reenters(const struct user_regs_struct *r, long nr, unsigned long long ip)
{
	unsigned long long at;

	if (r->rip == ip - 2 && (long)r->rax == nr)
		return true; /* rewound: a handler's rt_sigreturn brought it back */
	return arch_restarting(r, &at) == nr && at == ip;
}

/* The kernel's own codes (include/linux/errno.h), never seen by programs. */
#define ERESTARTSYS_    512
#define ERESTARTNOINTR_ 513

/* -ERESTARTSYS becomes -ERESTARTNOINTR: made again even after a handler
 * without SA_RESTART. */
bool
arch_restart_always(struct user_regs_struct *r)
{
	if ((long)r->orig_rax < 0 || (long)r->rax != -ERESTARTSYS_)
		return false;
	r->rax = (unsigned long long)-ERESTARTNOINTR_;
	return true;
}

/*
 * Below the 128-byte red zone the System V ABI gives no guarantee: signal
 * delivery may clobber it at any time, so no correct program keeps data there.
 */
unsigned long long
arch_scratch(const struct user_regs_struct *r, size_t n)
{
	return (r->rsp - 128 - n) & ~15ULL;
}

void
arch_inject(struct user_regs_struct *r, long nr, unsigned long long a0, unsigned long long a1,
            unsigned long long a2)
{
	arch_rewind(r, nr);
	arch_set_arg(r, 0, a0);
	arch_set_arg(r, 1, a1);
	arch_set_arg(r, 2, a2);
}
