/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The restore plan, version 1 (nsd-plan(5)): the model and
 * its one parser, shared by nsdd, nsdctl and the tests.
 */
#ifndef NSD_PLAN_H
#define NSD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#define NSD_PID_MAX       4194304
#define NSD_FD_MAX        1048575
#define NSD_IPC_ID_MAX    2147483647
#define NSD_MAX_TASKS     65536
#define NSD_MAX_STEPS     1000000
#define NSD_MAX_PLAN_SIZE (16u << 20)
#define NSD_MAX_LEVELS    32
#define NSD_TIMEOUT_MAX   86400000
#define NSD_MAX_SEMS      65536

enum nsd_call {
	NSD_CALL_FORK,
	NSD_CALL_THREAD,
	NSD_CALL_MSGGET,
	NSD_CALL_SEMGET,
	NSD_CALL_SHMGET,
	NSD_CALL_OPEN,
	NSD_CALL_MSGCTL,
	NSD_CALL_SEMCTL,
	NSD_CALL_SHMCTL,
	NSD_CALL_ANY,
	NSD_CALL_COUNT
};

enum nsd_mode { NSD_MODE_PTRACE, NSD_MODE_SECCOMP };
enum nsd_on_failure { NSD_ON_FAILURE_DETACH, NSD_ON_FAILURE_KILL };

/* The IPC_SET `set` fields; bit i of nsd_ipc_set.mask says field i is given. */
enum nsd_set_field {
	NSD_SET_QBYTES,
	NSD_SET_STIME,
	NSD_SET_RTIME,
	NSD_SET_CTIME,
	NSD_SET_LSPID,
	NSD_SET_LRPID,
	NSD_SET_OTIME,
	NSD_SET_ATIME,
	NSD_SET_DTIME,
	NSD_SET_CPID,
	NSD_SET_LPID,
	NSD_SET_SEMPID,
	NSD_SET_COUNT
};

struct nsd_ipc_set {
	uint32_t mask;
	int64_t value[NSD_SET_COUNT]; /* unused for NSD_SET_SEMPID */
	size_t nsempid;
	int32_t *sempid;
};

struct nsd_step {
	enum nsd_call call;
	/* fork/thread: pids innermost first; npids >= 1. */
	size_t npids;
	int32_t *pids;
	/* msgget..shmget, msgctl..shmctl: IPC id; open: fd; any: value. */
	int64_t id;
	bool has_key;
	int32_t key; /* IPC key, normalised to key_t */
	char *path;  /* open: exact path match, or NULL */
	bool replace;
	struct nsd_ipc_set *set; /* *ctl: fields to restore, or NULL */
};

struct nsd_task_plan {
	char key[16];    /* "target" or the decimal planned pid */
	int32_t pid;     /* 0 for "target" */
	int32_t creator; /* index of the creating task, -1 for "target" */
	size_t creator_step;
	size_t nsteps;
	struct nsd_step *steps;
};

struct nsd_plan {
	char *name;
	bool has_target;
	int32_t target_pid;     /* 0 for a container's plan */
	char *target_container; /* a container's plan: its id, or NAMESPACE/POD/CONTAINER */
	int64_t wait_ms;        /* how long it waits for its container; 0: nsdd's default */
	bool has_start_time;
	uint64_t start_time;
	enum nsd_mode mode;
	enum nsd_on_failure on_failure;
	bool strict;
	bool next_syscall_data; /* serve the emulated next_syscall_data file */
	int64_t timeout_ms;     /* 0: none */
	bool check;             /* Submit refuses it if Check finds a step that cannot apply */
	size_t ntasks;
	struct nsd_task_plan *tasks;
	size_t nsteps;
};

/* Where a plan is wrong: a JSON path ($.tasks.target[2].pid) and why. */
struct nsd_plan_error {
	char path[256];
	char reason[256];
};

/* Parse flags. */
#define NSD_PLAN_REQUIRE_TARGET 0x1 /* Submit: $.target must be present */

/*
 * Validates doc against plan-v1 completely and builds the model. Returns 0,
 * or -1 with err filled (errno EINVAL, or ENOMEM).
 */
int nsd_plan_from_json(json_t *doc, int flags, struct nsd_plan **out, struct nsd_plan_error *err);

/* Parses text (strictly: duplicate keys are errors), then validates it. */
int nsd_plan_parse(const char *text, size_t len, int flags, struct nsd_plan **out,
                   struct nsd_plan_error *err);

/* Frees every task's steps (steps becomes NULL; nsteps, keys and pids stay). */
void nsd_plan_drop_steps(struct nsd_plan *plan);
void nsd_plan_free(struct nsd_plan *plan);

const char *nsd_call_name(enum nsd_call call);
/* The call named name ("fork", "msgget", ...), or -1. */
int nsd_call_parse(const char *name);
/* A container's OCI id, or a CRI container's NAMESPACE/POD/CONTAINER. */
bool nsd_container_name_ok(const char *s);
/* The x86_64 syscalls, by name, whose next call a step of call may apply
 * to (an `any` step: every one); NULL-terminated. nsdd's syscall table
 * agrees (tests/unit/check_syscalls). */
const char *const *nsd_call_syscalls(enum nsd_call call);
/* The calls plan's steps make: 1 << enum nsd_call each. */
unsigned nsd_plan_calls(const struct nsd_plan *plan);
const char *nsd_mode_name(enum nsd_mode mode);

/* Index of the task with this key, or -1. */
ssize_t nsd_plan_task_index(const struct nsd_plan *plan, const char *key);

/*
 * Field 22 of /proc/PID/stat (start time in clock ticks since boot), the
 * value of $.target.start_time that guards a plan against pid reuse; 0 if
 * the process does not exist.
 */
uint64_t nsd_proc_start_time(pid_t pid);

/*
 * The original interface's value, as written to next_syscall_data:
 *   "LONG" N (" " VALUE){N} ["\n"]
 * N is 1..32 in decimal; each VALUE a decimal integer, optionally negative,
 * without leading zeros; single spaces; one trailing newline allowed (echo
 * writes one); nothing else. Fills values[0..*n). Returns 0, or -1 with a
 * reason in why.
 */
int nsd_longn_parse(const char *text, size_t len, int64_t *values, size_t max, size_t *n, char *why,
                    size_t whylen);

/* True for the kinds that create a task (fork, thread). */
bool nsd_call_creates_task(enum nsd_call call);

#endif
