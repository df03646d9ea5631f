/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Many tasks waiting on a pending step at once (bench/scale):
 *   wide N READY
 * forks N children, each of which blocks reading a pipe, then forks a
 * grandchild once the pipe closes, waits for it and exits. When all N
 * children exist, writes their count to the file READY, then waits for a
 * line on stdin, closes the pipe and waits for all. Exits 1 if a fork
 * failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long n, i, made = 0;
	int pfd[2], bad = 0, status;
	char c, line[16];
	FILE *f;

	if (argc != 3 || (n = atol(argv[1])) < 1 || pipe(pfd) < 0) {
		fprintf(stderr, "usage: wide N READY\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			close(pfd[1]);
			while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
				;
			pid = fork();
			if (pid == 0)
				_exit(0);
			_exit(pid < 0 || waitpid(pid, NULL, 0) != pid);
		}
		if (pid < 0) {
			perror("wide: fork");
			bad = 1;
			break;
		}
		made++;
	}
	if ((f = fopen(argv[2], "w")) == NULL || fprintf(f, "%ld\n", made) < 0 || fclose(f) != 0)
		bad = 1;
	if (fgets(line, sizeof(line), stdin) == NULL)
		bad = 1;
	close(pfd[1]);
	while (made > 0) {
		if (wait(&status) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		made--;
		bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	return bad;
}
