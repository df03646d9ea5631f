/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A plan's events, kept as small fixed records (an applied step costs 64
 * bytes, not a JSON object's kilobyte and a half) and made JSON only when a
 * client asks. A finished plan keeps only its last EVENTS_KEPT events once
 * no Watch is reading it; indexes run over the plan's whole life, so a Watch
 * that started before the trim neither skips nor repeats one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "plans.h"

#define EVENTS_KEPT 256

static const char *const kind_names[] = {
    [EV_ATTACHED] = "attached",   [EV_APPLIED] = "applied",
    [EV_FAILED] = "failed",       [EV_UNSUPPORTED] = "unsupported",
    [EV_EXITED] = "exited",       [EV_DETACHED] = "detached",
    [EV_COMPLETED] = "completed", [EV_PLAN_FAILED] = "plan_failed",
    [EV_CANCELLED] = "cancelled",
};

static const char *const mechanism_names[] = {
    [MECH_NONE] = NULL,         [MECH_NATIVE] = "native",
    [MECH_CLONE3] = "clone3",   [MECH_NS_LAST_PID] = "ns_last_pid",
    [MECH_PROCFS] = "procfs",   [MECH_FCNTL] = "fcntl",
    [MECH_DUP3] = "dup3",       [MECH_NEXT_ID] = "next_id",
    [MECH_IPC_SET] = "ipc_set",
};

struct event *
events_add(struct event_log *log, enum ev_kind kind, size_t task)
{
	struct event *e;

	if (log->n == log->cap) {
		log->cap = log->cap ? log->cap * 2 : 16;
		log->ev = xreallocarray(log->ev, log->cap, sizeof(*log->ev));
	}
	e = &log->ev[log->n++];
	memset(e, 0, sizeof(*e));
	e->usec = nsdd_now_usec();
	e->kind = (uint8_t)kind;
	e->task = (uint32_t)task;
	e->call = -1;
	e->got = -1;
	return e;
}

size_t
events_end(const struct event_log *log)
{
	return log->first + log->n;
}

const struct event *
events_get(const struct event_log *log, size_t i)
{
	return i >= log->first && i < events_end(log) ? &log->ev[i - log->first] : NULL;
}

json_t *
events_json(const struct plan *plan, const struct event *e)
{
	json_t *ev = json_pack("{s:s, s:I, s:s}", "plan", plan->id, "usec", (json_int_t)e->usec,
	                       "kind", kind_names[e->kind]);

	if (ev == NULL)
		return NULL;
	if (e->task > 0)
		json_object_set_new(ev, "task", json_string(plan->ptasks[e->task - 1].model->key));
	if (e->next_data) {
		char tid[16];
		snprintf(tid, sizeof(tid), "%u", e->step);
		json_object_set_new(ev, "task", json_string(tid));
		json_object_set_new(ev, "next_syscall_data", json_true());
	} else if (e->call >= 0) {
		json_object_set_new(ev, "step", json_integer((json_int_t)e->step));
	}
	if (e->call >= 0) {
		json_object_set_new(ev, "call", json_string(nsd_call_name((enum nsd_call)e->call)));
		if (e->syscall[0] != '\0')
			json_object_set_new(ev, "syscall", json_string(e->syscall));
		json_object_set_new(ev, "want", json_integer(e->want));
		if (e->got >= 0)
			json_object_set_new(ev, "got", json_integer(e->got));
		if (e->mechanism != MECH_NONE)
			json_object_set_new(ev, "mechanism",
			                    json_string(mechanism_names[e->mechanism]));
		if (e->kind == EV_APPLIED && !e->next_data)
			json_object_set_new(ev, "route",
			                    json_string(e->no_stop ? "notify" : "ptrace"));
	}
	if (e->error != NULL)
		json_object_set_new(ev, "error", json_string(e->error));
	return ev;
}

/* Keeps the last EVENTS_KEPT events; the rest were the plan's history. */
void
events_trim(struct event_log *log)
{
	size_t drop, i;
	struct event *ev;

	if (log->n <= EVENTS_KEPT)
		return;
	drop = log->n - EVENTS_KEPT;
	for (i = 0; i < drop; i++)
		free(log->ev[i].error);
	memmove(log->ev, log->ev + drop, EVENTS_KEPT * sizeof(*log->ev));
	log->first += drop;
	log->n = EVENTS_KEPT;
	if ((ev = reallocarray(log->ev, EVENTS_KEPT, sizeof(*ev))) != NULL) {
		log->ev = ev;
		log->cap = EVENTS_KEPT;
	}
}

void
events_free(struct event_log *log)
{
	size_t i;

	for (i = 0; i < log->n; i++)
		free(log->ev[i].error);
	free(log->ev);
	memset(log, 0, sizeof(*log));
}

struct event *
events_plan(struct plan *plan, enum ev_kind kind, const struct ptask *pt)
{
	return events_add(&plan->events, kind, pt ? (size_t)(pt - plan->ptasks) + 1 : 0);
}

struct event *
events_step(struct ptask *pt, enum ev_kind kind, const char *syscall, long long want, long long got)
{
	struct event *e = events_plan(pt->plan, kind, pt);

	e->step = (uint32_t)pt->next;
	e->call = (int8_t)pt->model->steps[pt->next].call;
	if (syscall != NULL)
		snprintf(e->syscall, sizeof(e->syscall), "%s", syscall);
	e->want = want;
	e->got = got;
	return e;
}
