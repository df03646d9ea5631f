/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Queued real-time signals, each with its own value, keep arriving while the
 * main thread opens files:
 *   sigstorm N PATH [QUEUED]
 * A second thread sends SIGRTMIN to the main thread with values 1, 2, 3 ...
 * (rt_tgsigqueueinfo), at most QUEUED (16) of them queued at once, until the
 * main thread has opened PATH N times. Prints "fd50=K" (opens that returned fd 50),
 * "sent=S received=R" and "sum_sent=A sum_received=B": no signal and no
 * siginfo may be lost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t main_tid;
static atomic_int done, started;
static atomic_long received, sum_received;
static long sent, sum_sent, queued = 16;
static atomic_int in_open;
static atomic_long last_ns, gap_ns; /* the last signal (or open's start); the longest gap */

static long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Time since the last signal, while an open is in progress. */
static void
gap_ends(void)
{
	long now = now_ns();

	if (atomic_load(&in_open) && now - atomic_load(&last_ns) > atomic_load(&gap_ns))
		atomic_store(&gap_ns, now - atomic_load(&last_ns));
	atomic_store(&last_ns, now);
}

static void
on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	atomic_fetch_add(&received, 1);
	atomic_fetch_add(&sum_received, si->si_value.sival_int);
	gap_ends();
}

static void *
sender(void *arg)
{
	(void)arg;
	for (int v = 1; !atomic_load(&done); v++) {
		siginfo_t si;
		/* At most queued in flight: the queue limit is the whole user's. */
		while (sent - atomic_load(&received) >= queued && !atomic_load(&done))
			sched_yield();
		memset(&si, 0, sizeof(si));
		si.si_signo = SIGRTMIN;
		si.si_code = SI_QUEUE;
		si.si_pid = getpid();
		si.si_uid = getuid();
		si.si_value.sival_int = v;
		while (syscall(SYS_rt_tgsigqueueinfo, getpid(), main_tid, SIGRTMIN, &si) < 0) {
			if (errno != EAGAIN || atomic_load(&done))
				return NULL;
			sched_yield();
		}
		sent++;
		sum_sent += v;
		atomic_store(&started, 1);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t set;
	pthread_t th;
	long n, i, fd50 = 0;

	if (argc != 3 && argc != 4)
		return 2;
	n = atol(argv[1]);
	if (argc == 4)
		queued = atol(argv[3]);
	main_tid = (pid_t)syscall(SYS_gettid);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGRTMIN, &sa, NULL);
	/* Only the main thread takes the signals. */
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_create(&th, NULL, sender, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* The storm is on before the first open: else a fast run (mode seccomp)
	 * could make every open before the sender ran at all. */
	while (!atomic_load(&started))
		sched_yield();
	for (i = 0; i < n; i++) {
		int fd;

		atomic_store(&last_ns, now_ns());
		atomic_store(&in_open, 1);
		fd = open(argv[2], O_RDONLY);
		gap_ends();
		atomic_store(&in_open, 0);
		fd50 += fd == 50;
		if (fd >= 0)
			close(fd);
	}
	atomic_store(&done, 1);
	pthread_join(th, NULL);
	/* Whatever is still queued is delivered on the way back from these. */
	for (i = 0; i < 100 && atomic_load(&received) < sent; i++)
		usleep(1000);
	printf("fd50=%ld\nsent=%ld received=%ld\nsum_sent=%ld sum_received=%ld\ngap_ms=%ld\n", fd50,
	       sent, atomic_load(&received), sum_sent, atomic_load(&sum_received),
	       atomic_load(&gap_ns) / 1000000);
	return 0;
}
