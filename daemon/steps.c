/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every step handler does alike: keep its one in-flight record on the
 * task, find the head step for the syscall the task made (an `any` step
 * taking the syscall's kind; another call's step is a divergence under
 * "strict"), write next_syscall_data for the procfs backend, and report the
 * outcome.
 *
 * A task's head step is the value it wrote to the emulated next_syscall_data
 * file, if any (it is an `any` step, taken by the first targeted call), or
 * else its plan task's next step. A plan step's outcome moves the plan on; a
 * next_syscall_data value's is an event of the plan and nothing more, as on
 * the patched kernel the call's own result is all the program sees.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nsdd.h"
#include "task.h"

struct next_data {
	struct nsd_step step; /* `any`: the value as written */
	int32_t pids[NSD_MAX_LEVELS];
	struct nsd_step as; /* resolved for the syscall at hand */
	int32_t as_pid;
};

void
step_set_next_data(struct task *t, const int64_t *values, size_t n)
{
	struct next_data *d = t->next_data;
	size_t i;

	if (d == NULL)
		d = t->next_data = xcalloc(1, sizeof(*d));
	memset(d, 0, sizeof(*d));
	d->step.call = NSD_CALL_ANY;
	d->step.id = values[0];
	if (n > 1) {
		for (i = 0; i < n; i++)
			d->pids[i] = (int32_t)values[i];
		d->step.pids = d->pids;
		d->step.npids = n;
	}
}

size_t
step_next_data_text(const struct task *t, char *buf, size_t len)
{
	const struct next_data *d = t->next_data;
	size_t i, n, at;

	buf[0] = '\0';
	if (d == NULL)
		return 0;
	n = d->step.npids > 1 ? d->step.npids : 1;
	at = (size_t)snprintf(buf, len, "LONG%zu", n);
	for (i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, " %lld",
		                       n > 1 ? (long long)d->pids[i] : (long long)d->step.id);
	if (at < len)
		at += (size_t)snprintf(buf + at, len - at, "\n");
	return at < len ? at : len - 1;
}

const struct nsd_step *
step_peek(struct task *t)
{
	t->from_next_data = t->next_data != NULL;
	return t->from_next_data ? &t->next_data->step : plan_head(t->ptask);
}

/* The value as a step of kind call (its pid, for one level, in as_pid). */
static const struct nsd_step *
next_data_as(struct next_data *d, enum nsd_call call)
{
	d->as = d->step;
	d->as.call = call;
	if (d->step.npids == 0) {
		d->as_pid = (int32_t)d->step.id;
		d->as.pids = &d->as_pid;
		d->as.npids = 1;
	}
	return &d->as;
}

void *
step_start(struct task *t, const struct step_ops *ops, size_t size, const struct nsd_syscall *sc,
           const struct nsd_step *s)
{
	struct inflight *f;

	if (t->step != NULL)
		step_end(t);
	f = xcalloc(1, size);
	f->ops = ops;
	f->sc = sc;
	f->s = s;
	if (t->from_next_data && t->next_data != NULL) {
		/* The value is taken: the record keeps what the call uses of it. */
		f->own = *s;
		if (s->npids > 0) {
			memcpy(f->own_pids, s->pids, s->npids * sizeof(int32_t));
			f->own.pids = f->own_pids;
		}
		f->s = &f->own;
		free(t->next_data);
		t->next_data = NULL;
	}
	t->step = f;
	return f;
}

void
step_end(struct task *t)
{
	free(t->ended);
	t->ended = t->step;
	t->step = NULL;
	t->drv->child_regs(t, NULL);
}

void
step_again(struct task *t)
{
	const struct inflight *f = t->step;
	int64_t v[NSD_MAX_LEVELS];
	size_t i, n;

	if (f->s == &f->own && t->next_data == NULL) {
		n = f->own.npids > 1 ? f->own.npids : 1;
		for (i = 0; i < n; i++)
			v[i] = n > 1 ? f->own.pids[i] : f->own.id;
		step_set_next_data(t, v, n);
	}
	step_end(t);
}

bool
step_procfs_write(struct task *t, const char *syscall, const struct nsd_step *s,
                  const int64_t *values, size_t n)
{
	char ebuf[64];

	if (procfs_write(t->tid, values, n) == 0)
		return true;
	step_failed(t, s, syscall, s->npids ? s->pids[0] : s->id, -1,
	            "cannot write next_syscall_data: %s",
	            nsdd_errno_text(errno, ebuf, sizeof(ebuf)));
	return false;
}

bool
step_still_wanted(struct task *t)
{
	return !plan_ending(t->plan) && (t->from_next_data || plan_head(t->ptask) != NULL);
}

const struct nsd_step *
step_head(struct task *t, const struct nsd_syscall *sc, enum nsd_call call, const char *made)
{
	const struct nsd_step *s = step_peek(t);

	if (s == NULL)
		return NULL;
	if (t->from_next_data)
		return next_data_as(t->next_data, call);
	if (s->call == NSD_CALL_ANY)
		s = plan_head_as(t->ptask, call);
	if (s->call == call)
		return s;
	plan_up->diverged(t->ptask, sc->name, made != NULL ? made : sc->name, s);
	return NULL;
}

void
step_applied(struct task *t, const struct nsd_step *s, const char *syscall, enum mechanism how,
             long long want, long long got)
{
	if (t->from_next_data)
		plan_up->next_data(t->plan, t->tid, OUTCOME_APPLIED, s, syscall, how, want, got,
		                   NULL);
	else
		plan_up->applied(t->ptask, syscall, how, ROUTE_PTRACE, want, got);
}

void
step_failed(struct task *t, const struct nsd_step *s, const char *syscall, long long want,
            long long got, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t->from_next_data) {
		plan_up->next_data(t->plan, t->tid, OUTCOME_FAILED, s, syscall, MECH_NONE, want,
		                   got, msg);
	} else {
		plan_up->step_failed(t->ptask, syscall, want, got, msg);
	}
}

void
step_unsupported(struct task *t, const struct nsd_step *s, const char *syscall, const char *field,
                 const char *why)
{
	if (t->from_next_data) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s: %s", field, why);
		plan_up->next_data(t->plan, t->tid, OUTCOME_UNSUPPORTED, s, syscall, MECH_NONE,
		                   s->id, -1, msg);
	} else {
		plan_up->unsupported(t->ptask, syscall, field, why);
	}
}

enum stops
step_stops_syscalls(const struct task *t)
{
	(void)t;
	return STOPS_SYSCALLS;
}
