/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A one-line progress bar on stderr, drawn only when stderr is a terminal. */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "nsdctl.h"

#define BAR_WIDTH 30

static bool active;
static long long total;

void
progress_start(long long steps)
{
	static int tty = -1; /* asked once: progress_start comes at every event */

	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	total = steps;
	active = tty && !ctl.json;
	if (active)
		progress_update(0, NULL);
}

void
progress_update(long long applied, const char *task)
{
	int i, fill;

	if (!active)
		return;
	fflush(stdout); /* the lines before it first */
	fill = total > 0 ? (int)(applied * BAR_WIDTH / total) : BAR_WIDTH;
	fputs("\r\033[K[", stderr);
	for (i = 0; i < BAR_WIDTH; i++)
		fputc(i < fill ? '#' : '-', stderr);
	fprintf(stderr, "] %lld/%lld steps", applied, total);
	if (task != NULL)
		fprintf(stderr, "  task %s", task);
	fflush(stderr);
}

void
progress_end(void)
{
	if (active) {
		fflush(stdout);
		fputs("\r\033[K", stderr);
	}
	active = false;
}
