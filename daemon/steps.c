/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every step handler does alike: keep its one in-flight record on the
 * task, find the head step for the syscall the task made (an `any` step
 * taking the syscall's kind; another call's step is a divergence under
 * "strict"), and write next_syscall_data for the procfs backend.
 */
#include "config.h"

#include <stdlib.h>

#include "log.h"
#include "nsdd.h"

void *
step_start(struct task *t, const struct step_ops *ops, size_t size, const struct sc_info *sc,
           const struct nsd_step *s)
{
	struct inflight *f;

	if (t->step != NULL)
		step_end(t);
	f = xcalloc(1, size);
	f->ops = ops;
	f->sc = sc;
	f->s = s;
	t->step = f;
	return f;
}

void
step_end(struct task *t)
{
	free(t->step);
	t->step = NULL;
	t->drv->child_regs(t, NULL);
}

bool
step_procfs_write(struct task *t, const char *syscall, const struct nsd_step *s,
                  const int64_t *values, size_t n)
{
	char ebuf[64];
	int err;

	if ((err = procfs_write(t->tid, values, n)) == 0)
		return true;
	supervisor_step_failed(t->ptask, syscall, s->npids ? s->pids[0] : s->id, -1,
	                       "cannot write next_syscall_data: %s",
	                       nsdd_errno_text(err, ebuf, sizeof(ebuf)));
	return false;
}

const struct nsd_step *
step_head(struct task *t, const struct sc_info *sc, enum nsd_call call, const char *made)
{
	const struct nsd_step *s = supervisor_head(t->ptask);

	if (s == NULL)
		return NULL;
	if (s->call == NSD_CALL_ANY)
		s = supervisor_head_as(t->ptask, call);
	if (s->call == call)
		return s;
	supervisor_diverged(t->ptask, sc->name, made != NULL ? made : sc->name, s);
	return NULL;
}
