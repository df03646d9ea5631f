/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The leaves: arch.c (registers), filter.c (a task's own filters),
 * procfs.c, memio.c (tracee memory), helper.c (helper processes),
 * exitwatch.c (the exit of a task nsdd does not trace).
 */
#ifndef NSDD_LEAVES_H
#define NSDD_LEAVES_H

#include "nsdd.h"

enum mem_kind { MEM_READ, MEM_WRITE, MEM_STRING };

/* MEM_STRING reads up to len bytes, to a NUL (ENAMETOOLONG if none). */
struct mem_op {
	enum mem_kind kind;
	unsigned long long addr;
	void *buf;
	size_t len;
};

/* --- arch.c: registers (x86_64) ------------------------------------------ */

int arch_get_regs(pid_t tid, struct user_regs_struct *regs);
int arch_set_regs(pid_t tid, const struct user_regs_struct *regs);
long arch_nr(const struct user_regs_struct *r);
unsigned long long arch_arg(const struct user_regs_struct *r, int i);
void arch_set_arg(struct user_regs_struct *r, int i, unsigned long long v);
void arch_set_nr(struct user_regs_struct *r, long nr);
void arch_set_return(struct user_regs_struct *r, long v);
/* Rewinds to the syscall instruction so that the task makes the call again. */
void arch_rewind(struct user_regs_struct *r, long nr);
/* The syscall the task stopped in that the kernel will restart, or -1. */
long arch_restarting(const struct user_regs_struct *r, unsigned long long *ip);
/* The task's next instruction, if no handler runs first, makes syscall nr
 * from ip (the address after its `syscall`) again: it stopped in that call
 * with a restart code in rax, or was rewound onto it. */
bool arch_reenters(const struct user_regs_struct *r, long nr, unsigned long long ip);
/* A syscall cut short by a signal (-ERESTARTSYS) is made to restart
 * whatever the handler's SA_RESTART; false if r is not one. */
bool arch_restart_always(struct user_regs_struct *r);
/* A scratch area below the stack pointer and red zone, n bytes, aligned. */
unsigned long long arch_scratch(const struct user_regs_struct *r, size_t n);
/* Sets r up to make syscall nr(a0, a1, a2) from the `syscall` instruction just run. */
void arch_inject(struct user_regs_struct *r, long nr, unsigned long long a0, unsigned long long a1,
                 unsigned long long a2);

/* --- filter.c: the task's own seccomp filters ------------------------- */

enum filter_verdict { FILTER_ALLOWS, FILTER_DENIES, FILTER_UNKNOWN };

/* Whether every seccomp filter of the stopped task lets nr(args) through;
 * UNKNOWN when nsdd may not read them (it runs under a filter itself). */
enum filter_verdict filter_allows(pid_t tid, const struct user_regs_struct *regs, long nr,
                                  const uint64_t args[6]);

/* --- procfs.c: the backend of a kernel with next_syscall_data -------- */

void procfs_set_root(const char *root);
bool procfs_available(pid_t tgid, pid_t tid);
/* Writes "LONGn v1 ... vn" for the thread; 0, or -1 with errno. */
int procfs_write(pid_t tid, const int64_t *values, size_t n);

/* --- memio.c: tracee memory, with a deadline -------------------------- */

/* Up to 4 accesses in order, 8 KiB each way; -1 with errno at the first that
 * fails (ETIMEDOUT: the memory did not answer in time). */
void mem_init(void);
int mem_access(pid_t tid, struct mem_op *ops, size_t nops);
/* The same for a task nsdd may not trace (a notified one): nothing of it is
 * kept, as nsdd would not see its execve(2) or its end. */
int mem_access_untraced(pid_t tid, struct mem_op *ops, size_t nops);
bool mem_helper_reaped(pid_t pid);
/* tid is no longer a tracee, or has a new mm (0: every task). */
void mem_forget(pid_t tid);
bool mem_is_helper(pid_t pid);

/* --- exitwatch.c: the exit of a task nsdd does not trace ----------------- */

struct exitwatch;
/* fn(arg, status), from the event loop, once process pid has exited (or at
 * once if it is gone already; status: as wait(2) gives it, or -1 if nsdd
 * cannot tell), unless exitwatch_del() comes first; NULL with errno if it
 * cannot be watched. */
struct exitwatch *exitwatch_add(pid_t pid, void (*fn)(void *arg, int status), void *arg);
void exitwatch_del(struct exitwatch *w); /* NULL: nothing */

/* --- helper.c: nsdd's helper processes --------------------------------- */

typedef void (*helper_fn)(int sock);

void helper_init(void);
/* The start of a helper's fn: it keeps only its socket, as fd 3. */
void helper_begin(int sock, const char *name);
/* A child running fn(sv[1]), at a pid no plan wants on each of levels. */
pid_t helper_place(size_t levels, helper_fn fn, int sv[2]);
/* A helper in nsdd's own pid namespace; nsdd's end of its socket in *sock. */
pid_t helper_spawn(helper_fn fn, int *sock);
/* Before a request nsdd waits on: helper pid runs on nsdd's CPU (*cpu: the
 * one it was last given, -1 at first). */
void helper_follow(pid_t pid, int *cpu);

#endif
