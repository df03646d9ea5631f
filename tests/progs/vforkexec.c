/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfork(2) then execve(2): the exec'd shell prints the pid it got. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(void)
{
	int status;
	pid_t pid = vfork();

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "echo child=$$", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	printf("vfork=%d\n", pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
