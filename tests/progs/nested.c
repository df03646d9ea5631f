/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pids in nested pid namespaces: the target makes N with clone(CLONE_NEWPID),
 * and N (init of the new namespace) forks G. Each checks its pids at its two
 * innermost levels from /proc/self/status NSpid:
 *   nested N_INNER N_OUTER G_INNER G_OUTER
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The last two NSpid entries: innermost and its parent level. */
static int
nspid(long *inner, long *outer)
{
	char line[256];
	long v[40];
	int n = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "NSpid:", 6) == 0) {
			char *p = line + 6, *end;
			while (n < 40) {
				v[n] = strtol(p, &end, 10);
				if (end == p)
					break;
				n++;
				p = end;
			}
		}
	}
	fclose(f);
	if (n < 2)
		return -1;
	*inner = v[n - 1];
	*outer = v[n - 2];
	return 0;
}

static int
check(const char *name, long want_inner, long want_outer)
{
	long inner, outer;

	if (nspid(&inner, &outer) < 0)
		return 1;
	printf("%s=%ld,%ld\n", name, inner, outer);
	fflush(stdout);
	return inner == want_inner && outer == want_outer && getpid() == inner ? 0 : 1;
}

static int
waitfor(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int
main(int argc, char **argv)
{
	pid_t n, g;
	int rc;

	if (argc != 5) {
		fprintf(stderr, "usage: nested N_INNER N_OUTER G_INNER G_OUTER\n");
		return 2;
	}
	n = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
	if (n == 0) {
		rc = check("N", atol(argv[1]), atol(argv[2]));
		g = fork();
		if (g == 0)
			_exit(check("G", atol(argv[3]), atol(argv[4])));
		_exit(rc | waitfor(g));
	}
	return waitfor(n);
}
