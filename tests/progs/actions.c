/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Does one action per SIGUSR1, so that it can be traced in the middle of
 * its life: prints "ready", waits, acts, prints the result, and so on.
 *   actions ACTION...   fork | thread | msgget | open | ipcset | vfork:PATH
 * vfork:PATH vforks a child that reads PATH and prints "vfork-saw=TEXT" before
 * the parent's vfork can return.
 * Output: "fork=PID" (from the child), "thread=TID", "msgget=ID", "open=FD",
 * "ipcset=0", or "ACTION=-ERRNO"; "done" at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t go;
static int msqid = -1;

static void
on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static void *
thread_main(void *arg)
{
	(void)arg;
	printf("thread=%d\n", gettid());
	return NULL;
}

/* In a function of its own: vfork's child shares this frame, not main's. */
static void
do_vfork(const char *path)
{
	char buf[256] = "";
	pid_t pid = vfork();

	if (pid == 0) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (write(STDOUT_FILENO, "vfork-saw=", 10) < 0 ||
		    (n > 0 && write(STDOUT_FILENO, buf, (size_t)n) < 0) ||
		    write(STDOUT_FILENO, "\n", 1) < 0)
			_exit(1);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	printf("vfork=%d\n", pid < 0 ? -errno : pid);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t block, old;
	int i, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (i = 1; i < argc; i++) {
		printf("ready\n");
		while (!go)
			sigsuspend(&old);
		go = 0;
		if (strcmp(argv[i], "fork") == 0) {
			pid_t pid = fork();
			if (pid == 0) {
				printf("fork=%d\n", getpid());
				_exit(0);
			}
			if (pid < 0)
				printf("fork=-%d\n", errno);
			else
				waitpid(pid, NULL, 0);
		} else if (strcmp(argv[i], "thread") == 0) {
			pthread_t th;
			if ((rc = pthread_create(&th, NULL, thread_main, NULL)) != 0)
				printf("thread=-%d\n", rc);
			else
				pthread_join(th, NULL);
		} else if (strcmp(argv[i], "msgget") == 0) {
			msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
			printf("msgget=%d\n", msqid < 0 ? -errno : msqid);
		} else if (strcmp(argv[i], "open") == 0) {
			int fd = open("/dev/null", O_RDONLY);
			printf("open=%d\n", fd < 0 ? -errno : fd);
		} else if (strncmp(argv[i], "vfork:", 6) == 0) {
			do_vfork(argv[i] + 6);
		} else if (strcmp(argv[i], "ipcset") == 0) {
			struct msqid_ds ds;
			rc = msgctl(msqid, IPC_STAT, &ds) < 0 || msgctl(msqid, IPC_SET, &ds) < 0;
			printf("ipcset=%d\n", rc ? -errno : 0);
		}
	}
	printf("done\n");
	return 0;
}
