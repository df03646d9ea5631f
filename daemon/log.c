/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging to stderr, one write(2) per line. Under systemd (JOURNAL_STREAM
 * names our stderr) each line carries a <N> syslog priority prefix, which
 * journald strips and records as the priority.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static bool debugging;
static bool journal;

/* True when stderr is the stream that $JOURNAL_STREAM ("dev:ino") names. */
static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void
log_init(bool debug)
{
	debugging = debug;
	journal = stderr_is_journal();
}

static void
vlog(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];
	int n = 0, saved = errno;

	if (journal)
		n = snprintf(line, sizeof(line), "<%d>", prio);
	else
		n = snprintf(line, sizeof(line), "nsdd: ");
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	if (suffix != NULL) {
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s", suffix);
		if (n >= (int)sizeof(line) - 1)
			n = (int)sizeof(line) - 2;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
	errno = saved;
}

#define LOGFN(name, prio, cond, withErrno)                                                         \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		int saved = errno;                                                                 \
		va_list ap;                                                                        \
		if (!(cond))                                                                       \
			return;                                                                    \
		va_start(ap, fmt);                                                                 \
		vlog(prio, fmt, ap, withErrno ? strerror(saved) : NULL);                           \
		va_end(ap);                                                                        \
		errno = saved;                                                                     \
	}

LOGFN(log_warn, LOG_WARNING, true, true)
LOGFN(log_warnx, LOG_WARNING, true, false)
LOGFN(log_info, LOG_INFO, true, false)
LOGFN(log_debug, LOG_DEBUG, debugging, false)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
