/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The syscall table: each targeted syscall's row, and what a plan targets. */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "daemon/nsdd.h"
#include "daemon/task.h"
#include "tests/unit/run.h"

static const struct {
	long nr;
	const char *name;
	enum nsd_call call;
	const struct step_ops *ops;
	int path_arg;
	bool thread; /* may serve a thread step too */
} rows[] = {
    {SYS_fork, "fork", NSD_CALL_FORK, &fork_steps, -1, false},
    {SYS_vfork, "vfork", NSD_CALL_FORK, &fork_steps, -1, false},
    {SYS_clone, "clone", NSD_CALL_FORK, &fork_steps, -1, true},
    {SYS_clone3, "clone3", NSD_CALL_FORK, &fork_steps, -1, true},
    {SYS_msgget, "msgget", NSD_CALL_MSGGET, &ipcget_steps, -1, false},
    {SYS_semget, "semget", NSD_CALL_SEMGET, &ipcget_steps, -1, false},
    {SYS_shmget, "shmget", NSD_CALL_SHMGET, &ipcget_steps, -1, false},
    {SYS_open, "open", NSD_CALL_OPEN, &open_steps, 0, false},
    {SYS_openat, "openat", NSD_CALL_OPEN, &open_steps, 1, false},
    {SYS_openat2, "openat2", NSD_CALL_OPEN, &open_steps, 1, false},
    {SYS_creat, "creat", NSD_CALL_OPEN, &open_steps, 0, false},
    {SYS_msgctl, "msgctl", NSD_CALL_MSGCTL, &ipcset_steps, -1, false},
    {SYS_semctl, "semctl", NSD_CALL_SEMCTL, &ipcset_steps, -1, false},
    {SYS_shmctl, "shmctl", NSD_CALL_SHMCTL, &ipcset_steps, -1, false},
};

START_TEST(test_row)
{
	const struct nsd_syscall *sc = nsd_syscall_find(rows[_i].nr);

	ck_assert_ptr_nonnull(sc);
	ck_assert_str_eq(sc->name, rows[_i].name);
	ck_assert_int_eq(sc->call, rows[_i].call);
	ck_assert_ptr_eq(restore_ops(sc), rows[_i].ops);
	ck_assert_int_eq(sc->path_arg, rows[_i].path_arg);
	ck_assert(sc->calls & (1u << rows[_i].call));
	ck_assert_int_eq(!!(sc->calls & (1u << NSD_CALL_THREAD)), rows[_i].thread);
}
END_TEST

/* The columns the rooms read in place of their own maps. */
START_TEST(test_columns)
{
	const struct nsd_syscall *get = nsd_syscall_find(SYS_semget);
	const struct nsd_syscall *ctl = nsd_syscall_find(SYS_semctl);
	const struct nsd_syscall *creat = nsd_syscall_find(SYS_creat);
	const struct nsd_syscall *how = nsd_syscall_find(SYS_openat2);

	ck_assert_int_eq(get->key_arg, 0);
	ck_assert_int_eq(get->flags_arg, 2);
	ck_assert_int_eq(nsd_syscall_find(SYS_msgget)->flags_arg, 1);
	ck_assert_int_eq(ctl->cmd_arg, 2);
	ck_assert_int_eq(nsd_syscall_find(SYS_shmctl)->cmd_arg, 1);
	ck_assert_int_eq(creat->flags_arg, -1);
	ck_assert_uint_eq(creat->fixed_flags, O_CREAT | O_WRONLY | O_TRUNC);
	ck_assert(how->flags_in_how && how->flags_arg == 2 && how->dirfd_arg == 0);
	ck_assert_uint_eq(nsd_syscall_find(SYS_openat)->cloexec, O_CLOEXEC);
	/* A fork and an IPC call are made again after a signal; an open is not. */
	ck_assert(nsd_syscall_find(SYS_clone3)->restarts && get->restarts && ctl->restarts);
	ck_assert(!nsd_syscall_find(SYS_open)->restarts);
	/* What a Record can write: forks, threads, gets and opens; not ctls, not any. */
	ck_assert(nsd_call_recordable(NSD_CALL_THREAD) && nsd_call_recordable(NSD_CALL_OPEN));
	ck_assert(!nsd_call_recordable(NSD_CALL_SEMCTL) && !nsd_call_recordable(NSD_CALL_ANY));
}
END_TEST

START_TEST(test_untargeted)
{
	static const long others[] = {SYS_read, SYS_write, SYS_execve, SYS_close, SYS_dup3, -1};
	size_t i;

	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		ck_assert_ptr_null(nsd_syscall_find(others[i]));
}
END_TEST

/* The kinds a plan of steps of call c targets. */
static unsigned
targets_of_one(enum nsd_call c)
{
	unsigned mask = 0;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (nsd_syscall_targeted(nsd_syscall_find(rows[i].nr), 1u << c))
			mask |= 1u << nsd_syscall_find(rows[i].nr)->sc;
	return mask;
}

static unsigned
kinds_of(enum nsd_call c, bool thread_too)
{
	unsigned mask = 0;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].call == c || (thread_too && rows[i].thread))
			mask |= 1u << nsd_syscall_find(rows[i].nr)->sc;
	return mask;
}

/* libnsd's list of syscalls per call (nsdctl's seccomp filter) and the table agree. */
START_TEST(test_call_syscalls)
{
	const char *const *name;
	size_t i, n;
	int c;

	for (c = 0; c < NSD_CALL_COUNT; c++) {
		n = 0;
		for (name = nsd_call_syscalls(c); *name != NULL; name++, n++) {
			for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
				if (strcmp(rows[i].name, *name) == 0)
					break;
			ck_assert_msg(i < sizeof(rows) / sizeof(rows[0]), "%s: no row", *name);
			ck_assert(c == NSD_CALL_ANY ||
			          (nsd_syscall_find(rows[i].nr)->calls & (1u << c)));
		}
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			n -= c == NSD_CALL_ANY || (nsd_syscall_find(rows[i].nr)->calls & (1u << c));
		ck_assert_uint_eq(n, 0); /* and no row is missing from the list */
	}
}
END_TEST

START_TEST(test_targets)
{
	ck_assert_uint_eq(targets_of_one(NSD_CALL_FORK), kinds_of(NSD_CALL_FORK, false));
	/* A thread step targets clone and clone3, not fork and vfork. */
	ck_assert_uint_eq(targets_of_one(NSD_CALL_THREAD),
	                  1u << NSD_SC_CLONE | 1u << NSD_SC_CLONE3);
	ck_assert_uint_eq(targets_of_one(NSD_CALL_OPEN), kinds_of(NSD_CALL_OPEN, false));
	ck_assert_uint_eq(targets_of_one(NSD_CALL_SEMGET), 1u << NSD_SC_SEMGET);
	ck_assert_uint_eq(targets_of_one(NSD_CALL_SHMCTL), 1u << NSD_SC_SHMCTL);
	/* `any`: every kind. */
	ck_assert_uint_eq(targets_of_one(NSD_CALL_ANY),
	                  kinds_of(NSD_CALL_FORK, true) | kinds_of(NSD_CALL_OPEN, false) |
	                      kinds_of(NSD_CALL_MSGGET, false) | kinds_of(NSD_CALL_SEMGET, false) |
	                      kinds_of(NSD_CALL_SHMGET, false) | kinds_of(NSD_CALL_MSGCTL, false) |
	                      kinds_of(NSD_CALL_SEMCTL, false) | kinds_of(NSD_CALL_SHMCTL, false));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("syscalls");
	TCase *tc = tcase_create("syscalls");

	tcase_add_loop_test(tc, test_row, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, test_columns);
	tcase_add_test(tc, test_untargeted);
	tcase_add_test(tc, test_targets);
	tcase_add_test(tc, test_call_syscalls);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
