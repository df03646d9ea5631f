/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Register preservation across fork (syscall 57) and clone (56): every
 * register the syscall ABI preserves is loaded with a distinct value before
 * the raw `syscall` and checked after it, in the parent and in the child.
 * rcx and r11 are clobbered by the instruction itself, rax is the result.
 *   regs PID_FORK PID_CLONE
 *   regs open FD      a raw openat(AT_FDCWD, "/dev/null") must return FD
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct regs {
	unsigned long rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

void raw_syscall(const struct regs *in, struct regs *out);

/* raw_syscall(in, out): load all of *in, syscall, store all into *out. */
__asm__(".text\n"
        ".globl raw_syscall\n"
        ".type raw_syscall, @function\n"
        "raw_syscall:\n"
        "push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
        "push %rsi\n"
        "mov %rdi, %r11\n"
        "mov 0(%r11), %rax\n mov 8(%r11), %rbx\n mov 24(%r11), %rdx\n mov 32(%r11), %rsi\n"
        "mov 40(%r11), %rdi\n mov 48(%r11), %rbp\n mov 56(%r11), %r8\n mov 64(%r11), %r9\n"
        "mov 72(%r11), %r10\n mov 88(%r11), %r12\n mov 96(%r11), %r13\n mov 104(%r11), %r14\n"
        "mov 112(%r11), %r15\n"
        "syscall\n"
        "mov (%rsp), %r11\n"
        "mov %rax, 0(%r11)\n mov %rbx, 8(%r11)\n mov %rcx, 16(%r11)\n mov %rdx, 24(%r11)\n"
        "mov %rsi, 32(%r11)\n mov %rdi, 40(%r11)\n mov %rbp, 48(%r11)\n mov %r8, 56(%r11)\n"
        "mov %r9, 64(%r11)\n mov %r10, 72(%r11)\n mov %r12, 88(%r11)\n mov %r13, 96(%r11)\n"
        "mov %r14, 104(%r11)\n mov %r15, 112(%r11)\n"
        "pop %rsi\n pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
        "ret\n");

static const char *const names[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
                                    "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

static int
compare(const char *who, const struct regs *in, const struct regs *out)
{
	const unsigned long *a = (const unsigned long *)in, *b = (const unsigned long *)out;
	int i, bad = 0;

	for (i = 1; i < 15; i++) {
		if (i == 2 || i == 10)
			continue; /* rcx, r11 */
		if (a[i] != b[i]) {
			fprintf(stderr, "regs: %s: %s is %#lx, was %#lx\n", who, names[i], b[i],
			        a[i]);
			bad = 1;
		}
	}
	return bad;
}

static int
one(long nr, unsigned long arg0, long want)
{
	struct regs in = {0}, out = {0};
	unsigned long *r = (unsigned long *)&in;
	int i, status, bad;

	for (i = 1; i < 15; i++)
		r[i] = 0x1111111111111111UL * (unsigned long)i + 0x0102030405UL;
	in.rax = (unsigned long)nr;
	in.rdi = arg0;
	if (nr == SYS_clone)
		in.rsi = 0; /* no new stack: the child returns on a copy of ours */
	raw_syscall(&in, &out);
	if (out.rax == 0)
		_exit(compare("child", &in, &out));
	bad = compare("parent", &in, &out);
	printf("%s=%ld\n", nr == SYS_clone ? "clone" : "fork", (long)out.rax);
	fflush(stdout);
	if ((long)out.rax != want) {
		fprintf(stderr, "regs: child pid %ld, wanted %ld\n", (long)out.rax, want);
		bad = 1;
	}
	if (waitpid((pid_t)out.rax, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		bad = 1;
	return bad;
}

/* openat is where nsdd runs dup3 and close in the task before it returns. */
static int
open_fd(long want)
{
	static const char path[] = "/dev/null";
	struct regs in = {0}, out = {0};
	unsigned long *r = (unsigned long *)&in;
	int i, bad;

	for (i = 1; i < 15; i++)
		r[i] = 0x1111111111111111UL * (unsigned long)i + 0x0102030405UL;
	in.rax = SYS_openat;
	in.rdi = (unsigned long)AT_FDCWD;
	in.rsi = (unsigned long)path;
	in.rdx = O_RDONLY;
	raw_syscall(&in, &out);
	bad = compare("openat", &in, &out);
	printf("open=%ld\n", (long)out.rax);
	return bad || (long)out.rax != want;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "open") == 0)
		return open_fd(atol(argv[2]));
	if (argc != 3) {
		fprintf(stderr, "usage: regs PID_FORK PID_CLONE\n");
		return 2;
	}
	fflush(stdout);
	return one(SYS_fork, 0x5a5a5a5a5a5aUL, atol(argv[1])) |
	       one(SYS_clone, SIGCHLD, atol(argv[2]));
}
