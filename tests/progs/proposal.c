/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A restorer written for the 2008 next_syscall_data proposal, as it would
 * be for a patched kernel: it knows nothing of nsdd. It asks for ids through
 * /proc/self/task/<tid>/next_syscall_data and checks that it got them.
 *
 * proposal BASE: pids BASE+1.. are asked for; fd 42; IPC ids 1000+.
 * proposal race BASE N: two threads, each N times: its own file, then a fork.
 * proposal fifo PATH: a thread blocked in an open of the FIFO PATH when its
 * value is written does not take it; its next open does.
 * Prints "ok WHAT" per check, "FAIL WHAT" and exits 1 at the first failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static int base;

#define CHECK(what, cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s (errno %s)\n", what, strerrorname_np(errno) ?: "0");       \
			exit(1);                                                                   \
		}                                                                                  \
		printf("ok %s\n", what);                                                           \
		fflush(stdout);                                                                    \
	} while (0)

/* Writes text to the next_syscall_data of thread tid; 0 or -errno. */
static int
set_next(pid_t tid, const char *text)
{
	char path[64];
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), "/proc/self/task/%d/next_syscall_data", tid);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	err = errno;
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -err;
}

static int
set_next_id(pid_t tid, long v)
{
	char text[32];

	snprintf(text, sizeof(text), "LONG1 %ld", v);
	return set_next(tid, text);
}

static pid_t
fork_and_reap(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid;
}

static void *
report_tid(void *arg)
{
	*(pid_t *)arg = gettid();
	return NULL;
}

/* Another thread: waits for main to write its file, then forks. */
static int go[2];
static void *
fork_on_go(void *arg)
{
	char c;

	*(pid_t *)arg = gettid();
	if (read(go[0], &c, 1) != 1)
		return NULL;
	*(pid_t *)arg = fork_and_reap();
	return NULL;
}

static void
threads(void)
{
	pthread_t th;
	pid_t got = 0, tid = 0;

	CHECK("set thread", set_next_id(gettid(), base + 3) == 0);
	CHECK("thread create", pthread_create(&th, NULL, report_tid, &got) == 0);
	pthread_join(th, NULL);
	CHECK("thread tid", got == base + 3);

	CHECK("pipe", pipe(go) == 0);
	CHECK("other thread create", pthread_create(&th, NULL, fork_on_go, &tid) == 0);
	while (__atomic_load_n(&tid, __ATOMIC_SEQ_CST) == 0)
		usleep(1000);
	CHECK("set other thread's file", set_next_id(tid, base + 4) == 0);
	CHECK("go", write(go[1], "g", 1) == 1);
	pthread_join(th, NULL);
	CHECK("other thread's fork", tid == base + 4);
}

static void
ipc(void)
{
	struct msqid_ds ds;
	int id;

	CHECK("set msgget", set_next_id(gettid(), 1001) == 0);
	CHECK("msgget id", (id = msgget(IPC_PRIVATE, IPC_CREAT | 0600)) == 1001);
	CHECK("msgctl IPC_STAT", msgctl(id, IPC_STAT, &ds) == 0);
	CHECK("set LONG1 1", set_next(gettid(), "LONG1 1") == 0);
	CHECK("msgctl IPC_SET", msgctl(id, IPC_SET, &ds) == 0);
	msgctl(id, IPC_RMID, NULL);
	CHECK("set semget", set_next_id(gettid(), 1002) == 0);
	CHECK("semget id", (id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600)) == 1002);
	semctl(id, 0, IPC_RMID);
	CHECK("set shmget", set_next_id(gettid(), 1003) == 0);
	CHECK("shmget id", (id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600)) == 1003);
	shmctl(id, IPC_RMID, NULL);
}

static void
files(void)
{
	char path[64], buf[64];
	ssize_t n;
	int fd, probe;

	CHECK("set open", set_next_id(gettid(), 42) == 0);
	CHECK("open fd", (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == 42);
	CHECK("O_CLOEXEC kept", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	close(fd);

	/* A malformed write fails with EINVAL and changes nothing. */
	snprintf(path, sizeof(path), "/proc/self/task/%d/next_syscall_data", gettid());
	CHECK("open file rw", (fd = open(path, O_RDWR | O_CLOEXEC)) >= 0);
	errno = 0;
	CHECK("malformed write", write(fd, "LONG1 x", 7) < 0 && errno == EINVAL);
	CHECK("short LONG2", write(fd, "LONG2 5", 7) < 0 && errno == EINVAL);
	CHECK("read nothing pending", pread(fd, buf, sizeof(buf), 0) == 0);
	CHECK("write LONG1 77", write(fd, "LONG1 77\n", 9) == 9);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK("read it back", strcmp(buf, "LONG1 77\n") == 0);
	CHECK("write LONG1 43", write(fd, "LONG1 43", 8) == 8); /* replaces 77 */
	close(fd);
	CHECK("open takes the last value", (fd = open("/dev/null", O_RDONLY)) == 43);
	close(fd);

	/* Plain calls afterwards take nothing. */
	probe = dup(0);
	close(probe);
	CHECK("plain open", (fd = open("/dev/null", O_RDONLY)) == probe);
	close(fd);
}

static int
next_id_unset(const char *name)
{
	char path[64];
	long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if (fscanf(f, "%ld", &v) != 1)
		v = 0;
	fclose(f);
	return v == -1;
}

struct racer {
	int first, n;
	int bad;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	int i;

	for (i = 0; i < r->n; i++) {
		pid_t want = r->first + 2 * i;
		if (set_next_id(gettid(), want) != 0 || fork_and_reap() != want)
			r->bad++;
	}
	return NULL;
}

static int
races(int first, int n)
{
	struct racer r[2] = {{first, n, 0}, {first + 1, n, 0}};
	pthread_t th[2];

	CHECK("racers start", pthread_create(&th[0], NULL, race, &r[0]) == 0 &&
	                          pthread_create(&th[1], NULL, race, &r[1]) == 0);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	CHECK("every fork got its pid", r[0].bad == 0 && r[1].bad == 0);
	return 0;
}

static const char *fifo;

static void *
open_fifo(void *arg)
{
	int *fds = arg;

	__atomic_store_n(&fds[2], gettid(), __ATOMIC_SEQ_CST);
	fds[0] = open(fifo, O_RDONLY); /* blocks until main opens it for writing */
	fds[1] = open("/dev/null", O_RDONLY);
	return NULL;
}

/* Whether thread tid sleeps in a syscall (its FIFO open). */
static bool
blocked(pid_t tid)
{
	char path[64], line[128] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	return atoi(line) == 257 || atoi(line) == 2; /* openat, open */
}

static int
fifo_open(void)
{
	int fds[3] = {-1, -1, 0}, w;
	pthread_t th;
	pid_t tid;

	CHECK("reader start", pthread_create(&th, NULL, open_fifo, fds) == 0);
	while ((tid = __atomic_load_n(&fds[2], __ATOMIC_SEQ_CST)) == 0 || !blocked(tid))
		usleep(1000);
	CHECK("set the blocked thread's file", set_next_id(tid, 50) == 0);
	CHECK("open for writing", (w = open(fifo, O_WRONLY)) >= 0);
	pthread_join(th, NULL);
	close(w);
	CHECK("the FIFO's fd did not take it", fds[0] >= 0 && fds[0] != 50);
	CHECK("the next open did", fds[1] == 50);
	return 0;
}

int
main(int argc, char **argv)
{
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "race") == 0)
		return races(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "fifo") == 0) {
		fifo = argv[2];
		return fifo_open();
	}
	if (argc != 2)
		return 2;
	base = atoi(argv[1]);
	CHECK("set fork", set_next_id(gettid(), base + 1) == 0);
	CHECK("fork pid", (pid = fork_and_reap()) == base + 1);
	CHECK("set vfork", set_next_id(gettid(), base + 2) == 0);
	pid = vfork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	CHECK("vfork pid", pid == base + 2);
	threads();
	ipc();
	files();
	CHECK("plain fork", (pid = fork_and_reap()) > 0 && (pid < base || pid > base + 10));
	CHECK("msg_next_id untouched", next_id_unset("msg_next_id"));
	CHECK("sem_next_id untouched", next_id_unset("sem_next_id"));
	CHECK("shm_next_id untouched", next_id_unset("shm_next_id"));
	printf("all ok\n");
	return 0;
}
