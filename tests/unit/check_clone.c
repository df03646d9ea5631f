/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fork, vfork and clone as the clone3 that nsdd rewrites them into. */
#include "config.h"

#include <check.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include "daemon/clone3.h"
#include "tests/unit/run.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define CLONE_DETACHED 0x00400000

static struct clone_args_v2 ca;

static bool
as_clone3(enum nsd_sc kind, unsigned long long a0, unsigned long long a1, unsigned long long a2,
          unsigned long long a3, unsigned long long a4)
{
	const unsigned long long args[6] = {a0, a1, a2, a3, a4, 0};

	memset(&ca, 0xa5, sizeof(ca)); /* whatever is not set must come back zero */
	return fork_clone3_args(kind, args, &ca);
}

START_TEST(test_fork_vfork)
{
	ck_assert(as_clone3(NSD_SC_FORK, 1, 2, 3, 4, 5)); /* fork takes no arguments */
	ck_assert_uint_eq(ca.flags, 0);
	ck_assert_uint_eq(ca.exit_signal, SIGCHLD);
	ck_assert_uint_eq(ca.stack, 0);
	ck_assert_uint_eq(ca.tls, 0);
	ck_assert(as_clone3(NSD_SC_VFORK, 0, 0, 0, 0, 0));
	ck_assert_uint_eq(ca.flags, CLONE_VM | CLONE_VFORK);
	ck_assert_uint_eq(ca.exit_signal, SIGCHLD);
}
END_TEST

/* glibc's fork(): clone(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, 0, NULL, &tid, 0). */
START_TEST(test_glibc_fork)
{
	unsigned long long fl = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD;

	ck_assert(as_clone3(NSD_SC_CLONE, fl, 0, 0, 0x7000, 0));
	ck_assert_uint_eq(ca.flags, CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID);
	ck_assert_uint_eq(ca.exit_signal, SIGCHLD);
	ck_assert_uint_eq(ca.child_tid, 0x7000);
	ck_assert_uint_eq(ca.stack, 0);
	ck_assert_uint_eq(ca.stack_size, 0);
	ck_assert_uint_eq(ca.set_tid, 0);
}
END_TEST

/* A thread: the new sp becomes stack + size, exit_signal is dropped, and
 * musl's CLONE_DETACHED, which legacy clone ignores, is not passed on. */
START_TEST(test_thread)
{
	unsigned long long fl = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
	                        CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
	                        CLONE_CHILD_CLEARTID | CLONE_DETACHED | SIGCHLD;

	ck_assert(as_clone3(NSD_SC_CLONE, fl, 0x10000, 0x2000, 0x3000, 0x4000));
	ck_assert_uint_eq(ca.flags, fl & ~(unsigned long long)(CLONE_DETACHED | SIGCHLD));
	ck_assert_uint_eq(ca.exit_signal, 0);
	ck_assert_uint_eq(ca.stack + ca.stack_size, 0x10000);
	ck_assert_uint_eq(ca.parent_tid, 0x2000);
	ck_assert_uint_eq(ca.child_tid, 0x3000);
	ck_assert_uint_eq(ca.tls, 0x4000);
	ck_assert_uint_eq(ca.pidfd, 0);
}
END_TEST

START_TEST(test_pidfd)
{
	ck_assert(as_clone3(NSD_SC_CLONE, CLONE_PIDFD | SIGCHLD, 0, 0x5000, 0, 0));
	ck_assert_uint_eq(ca.pidfd, 0x5000);
	/* clone() itself refuses CLONE_PIDFD with CLONE_PARENT_SETTID. */
	ck_assert(
	    !as_clone3(NSD_SC_CLONE, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, 1, 0, 0));
}
END_TEST

START_TEST(test_refused)
{
	ck_assert(!as_clone3(NSD_SC_CLONE, 65, 0, 0, 0, 0));      /* no such signal */
	ck_assert(!as_clone3(NSD_SC_CLONE, SIGCHLD, 1, 0, 0, 0)); /* a stack clone3 cannot say */
	ck_assert(!as_clone3(NSD_SC_CLONE3, 0, 0, 0, 0, 0));      /* clone3 has its own */
	/* The upper half of clone's flags is not flags. */
	ck_assert(as_clone3(NSD_SC_CLONE, 0xffffffff00000000ULL | SIGCHLD, 0, 0, 0, 0));
	ck_assert_uint_eq(ca.flags, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("clone");
	TCase *tc = tcase_create("clone");

	tcase_add_test(tc, test_fork_vfork);
	tcase_add_test(tc, test_glibc_fork);
	tcase_add_test(tc, test_thread);
	tcase_add_test(tc, test_pidfd);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
