/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A task under a seccomp filter of its own, as a container runtime gives it:
 *   filtered RULES open PATH      opens PATH, prints "fd=N" (or "fd=-ERRNO")
 *   filtered RULES fork           forks, prints "child=PID" (or "child=-ERRNO")
 *   filtered RULES exec CMD ARGS  runs CMD under the filter
 * RULES is a comma list of SYSCALL=ACTION, ACTION one of enosys, eperm, kill;
 * Docker's default profile, for one, is "clone3=enosys". "none" adds none.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
add_rules(scmp_filter_ctx ctx, char *rules)
{
	char *save = NULL, *r;

	for (r = strtok_r(rules, ",", &save); r != NULL; r = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(r, '=');
		uint32_t action;
		int nr;
		if (strcmp(r, "none") == 0)
			continue;
		if (eq == NULL)
			goto bad;
		*eq++ = '\0';
		if ((nr = seccomp_syscall_resolve_name(r)) == __NR_SCMP_ERROR)
			goto bad;
		if (strcmp(eq, "enosys") == 0)
			action = SCMP_ACT_ERRNO(ENOSYS);
		else if (strcmp(eq, "eperm") == 0)
			action = SCMP_ACT_ERRNO(EPERM);
		else if (strcmp(eq, "kill") == 0)
			action = SCMP_ACT_KILL_PROCESS;
		else
			goto bad;
		if (seccomp_rule_add(ctx, action, nr, 0) < 0)
			goto bad;
	}
	return;
bad:
	fprintf(stderr, "filtered: bad rule %s\n", r);
	exit(2);
}

int
main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	pid_t pid;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: filtered RULES open PATH | fork | exec CMD ARGS\n");
		return 2;
	}
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL)
		return 1;
	add_rules(ctx, argv[1]);
	if (seccomp_load(ctx) < 0) {
		perror("seccomp_load");
		return 1;
	}
	seccomp_release(ctx);
	if (strcmp(argv[2], "open") == 0 && argc == 4) {
		fd = open(argv[3], O_RDONLY);
		printf("fd=%d\n", fd < 0 ? -errno : fd);
		return 0;
	}
	if (strcmp(argv[2], "fork") == 0) {
		if ((pid = fork()) == 0)
			_exit(0);
		printf("child=%d\n", pid < 0 ? -errno : pid);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return 0;
	}
	if (strcmp(argv[2], "exec") == 0 && argc > 3) {
		execvp(argv[3], argv + 3);
		perror(argv[3]);
		return 127;
	}
	return 2;
}
