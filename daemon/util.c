/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers every room of nsdd uses: errors, clocks, errno names. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nsdd.h"

struct event_base *nsdd_base;
enum backend nsdd_backend = BACKEND_KERNEL;
bool nsdd_backend_forced;

int
nsdd_error_set(struct nsdd_error *e, const char *name, long long num, const char *fmt, ...)
{
	va_list ap;

	e->name = name;
	e->num = num;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	return -1;
}

uint64_t
nsdd_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

const char *
nsdd_errno_text(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(err);

	snprintf(buf, len, "%s (%s)", name ? name : "?", strerror(err));
	return buf;
}

int
nsdd_proc_status(pid_t pid, const char *key, char *value, size_t len)
{
	char path[64], line[1024];
	size_t klen = strlen(key);
	int rc = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			snprintf(value, len, "%s",
			         line + klen + 1 + strspn(line + klen + 1, " \t"));
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}
