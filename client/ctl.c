/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every nsdctl command shares: its options, errors, the connection to
 * nsdd and one call on it, JSON output. The commands call it; it calls none
 * of them. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsdctl.h"

struct ctl ctl;

void
ctl_err(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	fflush(stdout); /* what went before it first (a run's events are buffered) */
	errno = err;    /* for %m */
	fputs("nsdctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

struct nsd_client *
ctl_connect(void)
{
	struct nsd_client *c = nsd_client_connect(ctl.socket);

	if (c == NULL)
		ctl_err("cannot connect to nsdd at %s: %s",
		        ctl.socket ? ctl.socket : nsd_socket_path(), strerror(errno));
	return c;
}

int
ctl_call(struct nsd_client *c, const char *method, json_t *params, struct nsd_reply *r)
{
	if (nsd_client_call(c, method, params, r) < 0) {
		ctl_err("%s: %s", method,
		        errno == ECONNRESET ? "nsdd closed the connection" : strerror(errno));
		return -1;
	}
	if (r->error != NULL) {
		char *msg = nsd_reply_describe(r);
		ctl_err("%s", msg ? msg : r->error);
		free(msg);
		nsd_reply_clear(r);
		return -1;
	}
	return 0;
}

void
ctl_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_COMPACT);
	fputc('\n', stdout);
}
