/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Forks, reports, and waits for signals in between, for tests of signals and
 * deaths mid-plan:
 *   forkwait N
 * Forks N children in turn; each prints "child=PID" and pauses until killed
 * (or exits at once when FORKWAIT_CHILD_EXIT is set). Between two forks the
 * parent prints "waiting" and waits for SIGUSR1, whose handler prints "usr1".
 * A fork that fails prints "fork=-ERRNO".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1;

/* One write(2) per line: lines from several processes share one file. */
static void
say(const char *fmt, long v)
{
	char line[64];
	int n = snprintf(line, sizeof(line), fmt, v);

	if (write(STDOUT_FILENO, line, (size_t)n) != n)
		_exit(1);
}

static void
on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
	if (write(STDOUT_FILENO, "usr1\n", 5) < 0)
		_exit(1);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	int i, n = argc > 1 ? atoi(argv[1]) : 1;
	sigset_t block, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	for (i = 0; i < n; i++) {
		pid_t pid;
		if (i > 0) {
			sigprocmask(SIG_BLOCK, &block, &old);
			say("waiting\n", 0);
			while (!usr1)
				sigsuspend(&old);
			usr1 = 0;
			sigprocmask(SIG_SETMASK, &old, NULL);
		}
		pid = fork();
		if (pid < 0) {
			say("fork=-%ld\n", errno);
			continue;
		}
		if (pid == 0) {
			say("child=%ld\n", getpid());
			if (getenv("FORKWAIT_CHILD_EXIT") != NULL)
				_exit(0);
			for (;;)
				pause();
		}
	}
	say("done\n", 0);
	for (;;)
		pause();
}
