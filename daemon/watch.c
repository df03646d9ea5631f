/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Watches that read a plan's events (supervisor.h), each from where it
 * is to the plan's final event, as fast as its client takes them.
 */
#include "config.h"

#include <stdlib.h>

#include "plans.h"

static void
watch_detach(struct watch *w)
{
	struct plan *plan = w->plan;

	TAILQ_REMOVE(&plan->watches, w, entry);
	w->plan = NULL;
	if (plan->state != PLAN_RUNNING && TAILQ_EMPTY(&plan->watches))
		events_trim(&plan->events); /* a Record's plan: its last event's */
}

/* Delivers what w has not had yet, until its client can take no more. */
void
plan_watch_resume(struct watch *w)
{
	struct plan *plan = w->plan;
	size_t n = events_end(&plan->events);
	bool over = plan->state != PLAN_RUNNING;

	if (w->next < plan->events.first)
		w->next = plan->events.first; /* trimmed before this Watch began */
	if (over && w->next == n) {
		/* Its final event was delivered already: the Watch just ends. */
		watch_detach(w);
		w->fn(w->arg, NULL, true);
		free(w);
		return;
	}
	while (w->next < n) {
		const struct event *e = events_get(&plan->events, w->next++);
		bool last = over && w->next == n;
		json_t *ev = events_json(plan, e); /* before a detach trims the events */
		if (last) {
			watch_detach(w);
			w->fn(w->arg, ev, true);
			free(w);
			return;
		}
		if (!w->fn(w->arg, ev, false))
			return;
	}
}

struct watch *
plan_watch(struct plan *plan, watch_fn fn, void *arg)
{
	struct watch *w = xcalloc(1, sizeof(*w));

	w->plan = plan;
	w->fn = fn;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&plan->watches, w, entry);
	return w;
}

/* Ends a Watch that has not ended by itself; w is freed. */
void
plan_unwatch(struct watch *w)
{
	struct plan *plan = w->plan;

	watch_detach(w);
	if (plan->state != PLAN_RUNNING && TAILQ_EMPTY(&plan->watches))
		plan_drop_made(plan); /* its caller went before it was delivered */
	free(w);
}

void
plan_emit_now(struct plan *plan)
{
	struct watch *w, *next;

	plan->emit_due = false;
	TAILQ_FOREACH_SAFE(w, &plan->watches, entry, next)
	plan_watch_resume(w);
}

/* The least time between two deliveries of a running plan's events. */
#define EMIT_GAP_USEC 20000

static uint64_t emitted; /* when emit_cb last ran */

/* A Watch may end its connection and so a plan: the list is walked anew. */
static void
emit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct plan *plan;

	(void)fd;
	(void)what;
	(void)arg;
	emitted = nsdd_mono_usec();
again:
	TAILQ_FOREACH(plan, &plans, entry)
	if (plan->emit_due) {
		plan_emit_now(plan);
		goto again;
	}
}

/*
 * A running plan's events reach its Watches once the event loop is back,
 * after the task whose stop made them is running again: no tracee waits
 * while nsdd writes JSON to a socket. Events that come faster than one a
 * EMIT_GAP_USEC are gathered until it has passed, so that a client (nsdctl's
 * progress) wakes some 50 times a second, not at each of a fork loop's
 * forks: on two CPUs, each of its wakeups takes one from the tree being
 * restored. A plan's final event goes at once, with those gathered.
 */
void
plan_emit(struct plan *plan)
{
	static struct event *ev;
	uint64_t now;

	if (TAILQ_EMPTY(&plan->watches))
		return;
	if (plan->state != PLAN_RUNNING ||
	    (ev == NULL && (ev = evtimer_new(nsdd_base, emit_cb, NULL)) == NULL)) {
		plan_emit_now(plan);
		return;
	}
	plan->emit_due = true;
	if (evtimer_pending(ev, NULL))
		return;
	now = nsdd_mono_usec();
	if (now >= emitted + EMIT_GAP_USEC) {
		event_active(ev, EV_TIMEOUT, 1);
	} else {
		struct timeval tv = {0, (suseconds_t)(emitted + EMIT_GAP_USEC - now)};
		evtimer_add(ev, &tv);
	}
}
