/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging in the manner of OpenBSD's log.h: one write per line, errno kept. */
#ifndef NSDD_LOG_H
#define NSDD_LOG_H

#include <stdbool.h>

void log_init(bool debug);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
