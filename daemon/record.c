/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Record: the ids of a run, written as a plan that gives them back
 * (nsd-plan(5), "Recorded plans"). A Record is a plan with no steps that
 * follows its target's whole tree, as one that serves next_syscall_data
 * does. Forks are seen by their events alone: each adds the child's pids,
 * from the target's pid namespace inward, to its creator's steps, as a fork
 * or a thread. IPC gets and opens need their results: they are taken at
 * their entry (a seccomp stop, where the target's filter sends them, or a
 * syscall-entry stop) and written at their exit. Tasks are keyed by their
 * innermost pid, as in plans; a task that makes nothing is left out. The
 * plan goes to the caller once the tree has exited.
 */
#include "config.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "log.h"
#include "plans.h"
#include "socket.h"
#include "ns.h"

/* A Record's state: the plan it is writing, and what it knows of the run. */
struct record {
	unsigned calls;   /* 1 << enum nsd_call it writes, and RECORD_* */
	size_t level;     /* the NSpid entries of its target */
	json_t *plan;     /* the plan it is writing */
	json_t *keys;     /* the keys of the tasks it saw made */
	json_t *inflight; /* tid -> a call of its between entry and exit */
	char *error;      /* why its plan cannot be written */
	size_t bytes;     /* its plan as compact JSON */
	bool more;        /* its caller waits for word that it is on */
};

void
record_start(struct plan *plan, unsigned calls)
{
	plan->record = xcalloc(1, sizeof(*plan->record));
	plan->record->calls = calls;
}

unsigned
plan_records(const struct plan *plan)
{
	return plan->record != NULL ? plan->record->calls : 0;
}

const char *
record_error(const struct plan *plan)
{
	return plan->record != NULL ? plan->record->error : NULL;
}

/* The Record fails with why (taken), once its tree has exited. */
static void
fail(struct plan *plan, char *why)
{
	if (plan->record->error == NULL) {
		log_warnx("plan %s: %s", plan->id, why);
		plan->record->error = why;
	} else {
		free(why);
	}
}

/* The task's key: "target", or its innermost pid, which a step of the
 * Record gave; false for a task the Record did not see made. */
static bool
key_of(struct plan *plan, pid_t tid, char key[16])
{
	int32_t pids[NSD_MAX_LEVELS + 1];
	size_t n;

	if (tid == plan->model->target_pid) {
		strcpy(key, "target");
		return true;
	}
	if (nsdd_nspids(tid, pids, NSD_MAX_LEVELS + 1, &n) < 0 || n < plan->record->level)
		return false;
	snprintf(key, 16, "%d", pids[0]); /* plans key a task by its innermost pid */
	return json_object_get(plan->record->keys, key) != NULL;
}

/* Appends step to the steps of the task keyed key. The plan's JSON is
 * counted as it grows (a path escapes to up to six bytes a byte): it must
 * stay within the format's 16 MiB for nsdctl run to take it back. */
static void
add_step(struct plan *plan, const char *key, json_t *step)
{
	json_t *tasks = json_object_get(plan->record->plan, "tasks");
	json_t *steps = json_object_get(tasks, key);

	if (steps == NULL) {
		steps = json_array();
		json_object_set_new(tasks, key, steps);
		plan->record->bytes += strlen(key) + 6; /* "KEY":[], */
	}
	plan->record->bytes += json_dumpb(step, NULL, 0, JSON_COMPACT) + 1;
	json_array_append_new(steps, step);
	plan->made_steps++;
	if (plan->record->bytes > NSD_MAX_PLAN_SIZE)
		fail(plan, xasprintf("the run made more than a plan of %u MiB can hold",
		                     NSD_MAX_PLAN_SIZE >> 20));
	else if (plan->owner != 0 &&
	         plan_owner_steps(plan->owner, &(size_t){0}) > nsdd_max_steps_per_owner)
		fail(plan, xasprintf("user %u may hold %lu steps of running plans "
		                     "(--max-steps-per-user), and the run made more",
		                     (unsigned)plan->owner, nsdd_max_steps_per_owner));
}

static void
record_fork(struct task *parent, struct task *child)
{
	struct plan *plan = parent->plan;
	int32_t pids[NSD_MAX_LEVELS + 1];
	size_t n, levels, i;
	char key[16], ckey[16];
	json_t *pid;
	bool thread;

	if (plan->record->error != NULL || !key_of(plan, parent->tid, key))
		return; /* a task from before the Record: what it makes is not the run's */
	if (nsdd_nspids(child->tid, pids, NSD_MAX_LEVELS + 1, &n) < 0 || n < plan->record->level) {
		fail(plan, xasprintf("cannot read the pids of task %d (made by %d)", child->tid,
		                     parent->tid));
		return;
	}
	levels = n - plan->record->level + 1; /* pids[0..levels-1], innermost first */
	snprintf(ckey, sizeof(ckey), "%d", pids[0]);
	if (json_object_get(plan->record->keys, ckey) != NULL) {
		fail(plan,
		     xasprintf("pid %d was given to two tasks (the second made by %d): a plan "
		               "gives a pid once",
		               pids[0], parent->tid));
		return;
	}
	if (json_object_size(plan->record->keys) >= NSD_MAX_TASKS) {
		fail(plan, xasprintf("the run made more than %d tasks", NSD_MAX_TASKS));
		return;
	}
	thread = nsdd_proc_status_long(child->tid, "Tgid") != child->tid;
	if (levels == 1) {
		pid = json_integer(pids[0]);
	} else {
		pid = json_array();
		for (i = 0; i < levels; i++)
			json_array_append_new(pid, json_integer(pids[i]));
	}
	add_step(plan, key,
	         json_pack("{s:s, s:o}", "call", thread ? "thread" : "fork", "pid", pid));
	json_object_set_new(plan->record->keys, ckey, json_true());
}

struct probe {
	enum nsd_call call;
	key_t key;
};

/* In the task's IPC namespace: 0 if an object of the kind has the key, or
 * -1 with errno (ENOENT: none has). */
static int
exists_here(void *arg)
{
	const struct probe *p = arg;
	int id = p->call == NSD_CALL_MSGGET   ? msgget(p->key, 0)
	         : p->call == NSD_CALL_SEMGET ? semget(p->key, 0, 0)
	                                      : shmget(p->key, 0, 0);

	return id >= 0 ? 0 : -1;
}

/* Whether an IPC get can create the object, as far as nsdd can tell at its
 * entry: a private key, IPC_EXCL, or IPC_CREAT for a key no object has (a
 * task that makes it in between is taken for the creator: a race the plan's
 * replay then reports). */
static bool
may_create(struct task *t, enum nsd_call call, key_t key, int flags)
{
	struct probe p = {call, key};

	if (key == IPC_PRIVATE)
		return true;
	if (!(flags & IPC_CREAT))
		return false;
	if (flags & IPC_EXCL)
		return true;
	return ns_run_ipc_of(t->tid, exists_here, &p) < 0 && errno == ENOENT;
}

/* At a recorded call's entry, what its exit needs: kept by tid. */
static void
record_entry(struct task *t, const struct nsd_syscall *sc, const unsigned long long args[6])
{
	struct plan *plan = t->plan;
	char tid[16], path[4096];
	struct mem_op op = {MEM_STRING, 0, path, sizeof(path)};
	json_t *call;

	if (!(plan->record->calls & (1u << sc->call)) || !sc->recordable ||
	    sc->call == NSD_CALL_FORK || plan->record->error != NULL)
		return;
	snprintf(tid, sizeof(tid), "%d", t->tid);
	call = json_pack("{s:i}", "call", (int)sc->call);
	if (sc->call == NSD_CALL_OPEN) {
		op.addr = args[sc->path_arg];
		if (!(plan->record->calls & RECORD_BARE) && t->drv->mem(t, &op, 1) == 0)
			json_object_set_new(call, "path", json_string(path));
	} else {
		key_t key = (key_t)args[sc->key_arg];
		int flags = (int)args[sc->flags_arg];
		json_object_set_new(call, "key", json_integer(key));
		json_object_set_new(call, "creates",
		                    json_boolean(may_create(t, sc->call, key, flags)));
	}
	if (plan->record->inflight == NULL)
		plan->record->inflight = json_object();
	json_object_set_new(plan->record->inflight, tid, call); /* a call that never exited goes */
}

/* At its exit: a created IPC object's id, or an opened fd, is written down. */
static void
record_exit(struct task *t, long long rval, bool is_error)
{
	struct plan *plan = t->plan;
	char tid[16], key[16];
	json_t *call, *step;
	const char *path;
	enum nsd_call kind;

	snprintf(tid, sizeof(tid), "%d", t->tid);
	if ((call = json_incref(json_object_get(plan->record->inflight, tid))) == NULL)
		return;
	json_object_del(plan->record->inflight, tid);
	kind = (enum nsd_call)json_integer_value(json_object_get(call, "call"));
	if (!is_error && rval >= 0 && key_of(plan, t->tid, key) &&
	    (kind == NSD_CALL_OPEN || json_is_true(json_object_get(call, "creates")))) {
		path = json_string_value(json_object_get(call, "path"));
		step = json_pack("{s:s, s:I}", "call", nsd_call_name(kind),
		                 kind == NSD_CALL_OPEN ? "fd" : "id", (json_int_t)rval);
		if (path != NULL)
			json_object_set_new(step, "path", json_string(path));
		else if (kind != NSD_CALL_OPEN && !(plan->record->calls & RECORD_BARE))
			json_object_set(step, "key", json_object_get(call, "key"));
		add_step(plan, key, step);
	}
	json_decref(call);
}

static void
record_gone(const struct task *t)
{
	char tid[16];

	snprintf(tid, sizeof(tid), "%d", t->tid);
	if (t->plan->record->inflight != NULL)
		json_object_del(t->plan->record->inflight, tid);
}

/* A finished Record's plan, delivered or never to be (a Record of 16 MiB
 * is 20 MB of JSON objects): nothing reads it again. */
static void
record_shrink(struct plan *plan)
{
	struct record *r = plan->record;
	bool big = r->plan != NULL;

	json_decref(r->plan);
	json_decref(r->keys);
	json_decref(r->inflight);
	r->plan = r->keys = r->inflight = NULL;
#ifdef __GLIBC__
	if (big)
		malloc_trim(0); /* a big plan's steps were many small blocks */
#endif
}

static void
record_free(struct plan *plan)
{
	record_shrink(plan);
	free(plan->record->error);
	free(plan->record);
	plan->record = NULL;
}

/* The Record's replies: with "more", one once it is attached (its id, and
 * an empty plan); then, when the tree has exited, the plan. */
static json_t *
shape(json_t *ev, bool last)
{
	struct plan *plan = plan_find(json_string_value(json_object_get(ev, "plan")));
	const char *kind = json_string_value(json_object_get(ev, "kind"));
	json_t *msg = NULL;

	if (plan == NULL) {
		msg = json_pack("{s:s, s:{s:s}}", "error", "io.nsdd.supervisor.NoSuchPlan",
		                "parameters", "id", json_string_value(json_object_get(ev, "plan")));
	} else if (last && strcmp(kind, "completed") == 0 && plan->record->plan != NULL) {
		msg = json_pack("{s:{s:O, s:s}}", "parameters", "plan", plan->record->plan, "id",
		                plan->id);
	} else if (last) {
		const char *why = json_string_value(json_object_get(ev, "error"));
		msg = json_pack("{s:s, s:{s:s, s:s}}", "error", "io.nsdd.supervisor.RecordFailed",
		                "parameters", "id", plan->id, "reason", why ? why : kind);
	} else if (plan->record->more && strcmp(kind, "attached") == 0) {
		plan->record->more = false;
		msg = json_pack("{s:{s:{}, s:s}}", "parameters", "plan", "id", plan->id);
	}
	if (last && plan != NULL)
		record_shrink(plan); /* msg holds what the caller gets */
	json_decref(ev);
	return msg;
}

/* The Record plan is attached: its target's level is taken, and the caller
 * hears of it as shape() says. */
void
record_watch(struct conn *c, struct plan *plan)
{
	int32_t pids[NSD_MAX_LEVELS + 1];

	plan->record->plan = json_pack("{s:i, s:{}}", "version", 1, "tasks");
	plan->record->keys = json_object();
	if (nsdd_nspids(plan->model->target_pid, pids, NSD_MAX_LEVELS + 1, &plan->record->level) <
	    0)
		fail(plan,
		     xasprintf("cannot read the pids of the target %d", plan->model->target_pid));
	/* The first reply, with "more": the event that says the Record is on. */
	if ((plan->record->more = server_call_more(c)))
		events_add(&plan->events, EV_ATTACHED, 0);
	server_watch(c, plan, shape);
}

/* The calls a Record sees at their syscall stops (forks: by their events). */
#define RECORDED_CALLS                                                                             \
	((1u << NSD_CALL_MSGGET) | (1u << NSD_CALL_SEMGET) | (1u << NSD_CALL_SHMGET) |             \
	 (1u << NSD_CALL_OPEN))

/* A Record's tasks stop at every syscall if it writes calls' results and
 * its target's filter does not send them as seccomp stops; else they rest
 * seized, seen by their events. */
static enum stops
record_stops(const struct task *t)
{
	unsigned calls = t->plan->record->calls;

	return (calls & RECORDED_CALLS) && !(calls & RECORD_TRACED) ? STOPS_SYSCALLS : STOPS_EVENTS;
}

static bool
record_call(struct task *t, long nr, const unsigned long long args[6])
{
	const struct nsd_syscall *sc = nsd_syscall_find(nr);

	if (sc == NULL)
		return false;
	record_entry(t, sc, args);
	return true;
}

static bool
record_entered(struct task *t, long nr, const unsigned long long args[6])
{
	record_call(t, nr, args);
	return false; /* no step of the task's takes it */
}

const struct plan_kind record_kind = {
    .name = "record",
    .follows = true,
    .stops = record_stops,
    .entry = record_entered,
    .exit = record_exit,
    .traced = record_call,
    .fork = record_fork,
    .gone = record_gone,
    .shrink = record_shrink,
    .free = record_free,
};
