/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The syscall table (syscalls.h), as strace's syscallent tables are written. */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "syscalls.h"

#define FORKS  (1u << NSD_CALL_FORK)
#define TASKS  (1u << NSD_CALL_FORK | 1u << NSD_CALL_THREAD) /* CLONE_THREAD decides */
#define ONE(c) (1u << NSD_CALL_##c)
#define CREAT  (O_CREAT | O_WRONLY | O_TRUNC)
#define CLOEX  O_CLOEXEC

/* Argument indexes (dirfd, path, flags, key, cmd) are -1 where there is none. */
/* clang-format off */
static const struct nsd_syscall rows[] = {
/*   nr           name       sc              call             calls        dirfd path flags how fixed  cloexec key cmd record restarts */
    {SYS_fork,    "fork",    NSD_SC_FORK,    NSD_CALL_FORK,   FORKS,        -1,  -1,  -1,   0,  0,     0,     -1,  -1,  1,     1},
    {SYS_vfork,   "vfork",   NSD_SC_VFORK,   NSD_CALL_FORK,   FORKS,        -1,  -1,  -1,   0,  0,     0,     -1,  -1,  1,     1},
    {SYS_clone,   "clone",   NSD_SC_CLONE,   NSD_CALL_FORK,   TASKS,        -1,  -1,   0,   0,  0,     0,     -1,  -1,  1,     1},
    {SYS_clone3,  "clone3",  NSD_SC_CLONE3,  NSD_CALL_FORK,   TASKS,        -1,  -1,  -1,   0,  0,     0,     -1,  -1,  1,     1},
    {SYS_msgget,  "msgget",  NSD_SC_MSGGET,  NSD_CALL_MSGGET, ONE(MSGGET),  -1,  -1,   1,   0,  0,     0,      0,  -1,  1,     1},
    {SYS_semget,  "semget",  NSD_SC_SEMGET,  NSD_CALL_SEMGET, ONE(SEMGET),  -1,  -1,   2,   0,  0,     0,      0,  -1,  1,     1},
    {SYS_shmget,  "shmget",  NSD_SC_SHMGET,  NSD_CALL_SHMGET, ONE(SHMGET),  -1,  -1,   2,   0,  0,     0,      0,  -1,  1,     1},
    {SYS_open,    "open",    NSD_SC_OPEN,    NSD_CALL_OPEN,   ONE(OPEN),    -1,   0,   1,   0,  0,     CLOEX, -1,  -1,  1,     0},
    {SYS_openat,  "openat",  NSD_SC_OPENAT,  NSD_CALL_OPEN,   ONE(OPEN),     0,   1,   2,   0,  0,     CLOEX, -1,  -1,  1,     0},
    {SYS_openat2, "openat2", NSD_SC_OPENAT2, NSD_CALL_OPEN,   ONE(OPEN),     0,   1,   2,   1,  0,     CLOEX, -1,  -1,  1,     0},
    {SYS_creat,   "creat",   NSD_SC_CREAT,   NSD_CALL_OPEN,   ONE(OPEN),    -1,   0,  -1,   0,  CREAT, CLOEX, -1,  -1,  1,     0},
    {SYS_msgctl,  "msgctl",  NSD_SC_MSGCTL,  NSD_CALL_MSGCTL, ONE(MSGCTL),  -1,  -1,  -1,   0,  0,     0,     -1,   1,  0,     1},
    {SYS_semctl,  "semctl",  NSD_SC_SEMCTL,  NSD_CALL_SEMCTL, ONE(SEMCTL),  -1,  -1,  -1,   0,  0,     0,     -1,   2,  0,     1},
    {SYS_shmctl,  "shmctl",  NSD_SC_SHMCTL,  NSD_CALL_SHMCTL, ONE(SHMCTL),  -1,  -1,  -1,   0,  0,     0,     -1,   1,  0,     1},
};
/* clang-format on */

#define NROWS (sizeof(rows) / sizeof(rows[0]))

const struct nsd_syscall *
nsd_syscall_find(long nr)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (rows[i].nr == nr)
			return &rows[i];
	return NULL;
}

const struct nsd_syscall *
nsd_syscall_next(const struct nsd_syscall *prev)
{
	size_t i = prev == NULL ? 0 : (size_t)(prev - rows) + 1;

	return i < NROWS ? &rows[i] : NULL;
}

bool
nsd_syscall_targeted(const struct nsd_syscall *sc, unsigned calls)
{
	return (sc->calls & calls) || (calls & (1u << NSD_CALL_ANY));
}

bool
nsd_call_recordable(enum nsd_call call)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if ((rows[i].calls & (1u << call)) && rows[i].recordable)
			return true;
	return false;
}

/* libnsd's list of the syscalls each call's steps apply to: from the rows,
 * made once as the library loads. */
static const char *call_syscalls[NSD_CALL_COUNT][NROWS + 1];

__attribute__((constructor)) static void
make_call_syscalls(void)
{
	size_t i, n;
	int call;

	for (call = 0; call < NSD_CALL_COUNT; call++)
		for (i = n = 0; i < NROWS; i++)
			if (nsd_syscall_targeted(&rows[i], 1u << call))
				call_syscalls[call][n++] = rows[i].name;
}

const char *const *
nsd_call_syscalls(enum nsd_call call)
{
	static const char *const none[] = {NULL};

	return call < NSD_CALL_COUNT ? call_syscalls[call] : none;
}
