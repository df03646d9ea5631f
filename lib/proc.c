/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What libnsd reads of /proc, and the proposal's next_syscall_data syntax. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdbool.h>

#include "nsd/plan.h"

uint64_t
nsd_proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	size_t n;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and ')': fields start after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	for (i = 2; i < 22 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

static int
longn_error(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* One decimal number at *p (at most end): no '+', no leading zero. */
static int
longn_number(const char **p, const char *end, int64_t *v)
{
	const char *s = *p;
	bool neg = s < end && *s == '-';
	uint64_t acc = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;

	if (neg)
		s++;
	if (s >= end || *s < '0' || *s > '9' ||
	    (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9'))
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (acc > (limit - (uint64_t)(*s - '0')) / 10)
			return -1;
		acc = acc * 10 + (uint64_t)(*s - '0');
	}
	*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	*p = s;
	return 0;
}

int
nsd_longn_parse(const char *text, size_t len, int64_t *values, size_t max, size_t *n, char *why,
                size_t whylen)
{
	const char *p = text, *end = text + len;
	int64_t count;
	size_t i;

	*n = 0;
	if (len > 0 && end[-1] == '\n')
		end--;
	if (end - p < 4 || memcmp(p, "LONG", 4) != 0)
		return longn_error(why, whylen, "must start with LONG<n>, as \"LONG1 42\"");
	p += 4;
	if (longn_number(&p, end, &count) < 0 || count < 1)
		return longn_error(why, whylen, "LONG<n> needs a count n of 1 or more");
	if ((uint64_t)count > max)
		return longn_error(why, whylen, "LONG%lld: at most %zu values", (long long)count,
		                   max);
	for (i = 0; i < (size_t)count; i++) {
		if (p >= end || *p != ' ')
			return longn_error(why, whylen,
			                   "LONG%lld needs %lld values, one space before each",
			                   (long long)count, (long long)count);
		p++;
		if (longn_number(&p, end, &values[i]) < 0)
			return longn_error(why, whylen, "value %zu is not a decimal integer",
			                   i + 1);
	}
	if (p != end)
		return longn_error(why, whylen, "unexpected text after the %lld values of LONG%lld",
		                   (long long)count, (long long)count);
	*n = (size_t)count;
	return 0;
}
