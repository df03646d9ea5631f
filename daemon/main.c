/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsdd: the restore supervisor. Runs in the foreground, serves varlink on one
 * Unix socket, and traces the tasks of submitted plans from one thread (a
 * ptrace tracer is a thread, not a process).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "nsd/client.h"
#include "nsdd.h"
#include "socket.h"
#include "task.h"
#include "listeners.h"
#include "tracing.h"
#include "unotify.h"
#include "ns.h"

#define SHUTDOWN_GRACE_SEC 10

static bool shutting_down;
static struct event *shutdown_timer;

/* Shutdown waits for every tracee to be let go, at most SHUTDOWN_GRACE_SEC. */
static void
shutdown_check(evutil_socket_t fd, short what, void *arg)
{
	static int ticks;

	(void)fd;
	(void)what;
	(void)arg;
	if (tracer_count() == 0 || ++ticks > SHUTDOWN_GRACE_SEC * 10) {
		if (tracer_count() > 0)
			log_warnx("exiting with %zu tasks still traced; the kernel detaches them",
			          tracer_count());
		/* A moment for the last replies (cancelled events) to reach clients. */
		struct timeval flush = {0, 100000};
		event_base_loopexit(nsdd_base, &flush);
		return;
	}
	struct timeval tick = {0, 100000};
	evtimer_add(shutdown_timer, &tick);
}

/*
 * SIGCHLD is blocked and read from a signalfd: one wake-up of the loop, one
 * reap of every status there is. (libevent's own signal events run their
 * callback once per signal caught, and each ptrace stop is one.)
 */
static void
sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	struct signalfd_siginfo si;
	pid_t sender = 0;

	(void)what;
	(void)arg;
	/* SIGCHLD is pending once at most: one read takes it, and one that
	 * comes after it wakes the loop again. */
	if (read(fd, &si, sizeof(si)) == sizeof(si))
		sender = (pid_t)si.ssi_pid;
	tracer_reap(sender);
}

static void
watch_children(void)
{
	struct event *ev;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		fatal("cannot watch for SIGCHLD");
	ev = event_new(nsdd_base, fd, EV_READ | EV_PERSIST, sigchld_cb, NULL);
	if (ev == NULL || event_add(ev, NULL) < 0)
		fatalx("cannot watch for SIGCHLD");
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (shutting_down)
			break;
		shutting_down = true;
		log_info("shutting down: detaching every task");
#ifdef HAVE_SYSTEMD
		sd_notify(0, "STOPPING=1");
#endif
		server_close();
		registry_remove();
		supervisor_shutdown();
		shutdown_timer = evtimer_new(nsdd_base, shutdown_check, NULL);
		shutdown_check(-1, 0, NULL);
		break;
	default:
		break;
	}
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: nsdd [-v] [--socket PATH] [--max-connections N]\n"
	           "\n"
	           "The restore supervisor: makes the syscalls of restoring tasks produce\n"
	           "the ids a plan asks for. See nsdd(8).\n"
	           "\n"
	           "  -s, --socket PATH        varlink socket (default " NSD_DEFAULT_SOCKET ")\n"
	           "  -m, --max-connections N  clients served at once (default 256)\n"
	           "  -b, --backend NAME       kernel, procfs, or auto (default): procfs where\n"
	           "                           next_syscall_data exists\n"
	           "  -p, --proc-root DIR      where to find next_syscall_data (default /proc)\n"
	           "  -g, --group NAME         who besides root may use nsdd (default nsd)\n"
	           "      --max-plans-per-user N  running plans a user but root may have\n"
	           "                           (default 32)\n"
	           "      --max-steps-per-user N  steps in them (default 1000000)\n"
	           "      --oci-listener PATH  be OCI runtimes' seccomp agent on PATH (their\n"
	           "                           listenerPath; root only)\n"
	           "      --oci-plans DIR      containers' plans: DIR/NAME.json, NAME their\n"
	           "                           listenerMetadata (default /etc/nsdd/oci)\n"
	           "      --container-wait S   how long a plan submitted for a container\n"
	           "                           waits for it (default 600 seconds)\n"
	           "      --no-notify-route    mode seccomp: every planned fork and IPC get\n"
	           "                           stops under ptrace, none is answered from\n"
	           "                           its notification alone\n"
	           "  -v, --verbose            debug logging\n"
	           "  -h, --help               this help\n"
	           "  -V, --version            the version\n"
	           "\n"
	           "Trees in mode seccomp stay under nsdd's filter for life. Under systemd,\n"
	           "their listeners wait in the service's fd store while nsdd is stopped,\n"
	           "and a restarted nsdd answers them again. Without systemd, stopping\n"
	           "nsdd makes their targeted syscalls fail with ENOSYS from then on.\n");
}

/* An option's value, 1..max. */
static bool
number(const char *opt, const char *arg, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (errno != 0 || *end != '\0' || arg[0] == '-' || *out < 1 || *out > max) {
		fprintf(stderr, "nsdd: %s takes 1..%lu\n", opt, max);
		return false;
	}
	return true;
}

/* Each client holds an fd (up to --max-connections, 65536): 1024 is small. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * nsdd asks for the shortest slice there is (100 us; Linux 6.12's custom
 * slices, sched_setattr(2)'s sched_runtime). A task nsdd answers wakes on
 * nsdd's CPU (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP); with the default slice
 * it takes that CPU from nsdd before nsdd is back asleep, and a fork it then makes, seeing nsdd
 * still runnable there, puts its child on another CPU: one to wake, and caches to miss. A fork loop
 * on the notify route cost 1.19 to 1.33 times native so, 1.04 to 1.17 (median 1.08) with the short
 * slice (README). nsdd's share of the CPU is the same. A policy other than SCHED_OTHER (systemd's
 * CPUSchedulingPolicy=) is left as it is; so is a kernel that refuses (an older one ignores it).
 */
static void
short_slice(void)
{
	struct { /* the kernel's struct sched_attr, as of its first size */
		uint32_t size, sched_policy;
		uint64_t sched_flags;
		int32_t sched_nice;
		uint32_t sched_priority;
		uint64_t sched_runtime, sched_deadline, sched_period;
	} a = {.size = sizeof(a), .sched_policy = SCHED_OTHER, .sched_runtime = 100 * 1000};
	int policy = sched_getscheduler(0);

	errno = 0;
	a.sched_nice = getpriority(PRIO_PROCESS, 0); /* kept */
	if (policy < 0 || (policy & ~SCHED_RESET_ON_FORK) != SCHED_OTHER || errno != 0)
		return;
	if (policy & SCHED_RESET_ON_FORK)
		a.sched_flags |= 1; /* SCHED_FLAG_RESET_ON_FORK */
	if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
		log_debug("sched_setattr (a short slice): %s", strerror(errno));
}

struct options {
	const char *socket_path, *group, *oci_path;
	unsigned long max_conns, container_wait;
	bool verbose;
};

/* --backend: kernel, procfs or auto. */
static bool
backend(const char *arg)
{
	nsdd_backend_forced = strcmp(arg, "auto") != 0;
	if (strcmp(arg, "kernel") == 0 || strcmp(arg, "auto") == 0)
		nsdd_backend = BACKEND_KERNEL;
	else if (strcmp(arg, "procfs") == 0)
		nsdd_backend = BACKEND_PROCFS;
	else
		return false;
	return true;
}

static const struct option opts[] = {
    {"socket", required_argument, NULL, 's'},
    {"max-connections", required_argument, NULL, 'm'},
    {"backend", required_argument, NULL, 'b'},
    {"proc-root", required_argument, NULL, 'p'},
    {"group", required_argument, NULL, 'g'},
    {"max-plans-per-user", required_argument, NULL, 'P'},
    {"max-steps-per-user", required_argument, NULL, 'S'},
    {"oci-listener", required_argument, NULL, 'O'},
    {"oci-plans", required_argument, NULL, 'D'},
    {"container-wait", required_argument, NULL, 'W'},
    {"no-notify-route", no_argument, NULL, 'N'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* The command line into o; -1 to go on, else the status to exit with. */
static int
parse(int argc, char **argv, struct options *o)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "s:m:b:p:g:vhV", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			o->socket_path = optarg;
			break;
		case 'm':
			if (!number("--max-connections", optarg, 65536, &o->max_conns))
				return 2;
			break;
		case 'P':
			if (!number("--max-plans-per-user", optarg, 1000000,
			            &nsdd_max_plans_per_owner))
				return 2;
			break;
		case 'S':
			if (!number("--max-steps-per-user", optarg, 1000000000,
			            &nsdd_max_steps_per_owner))
				return 2;
			break;
		case 'W':
			if (!number("--container-wait", optarg, 86400, &o->container_wait))
				return 2;
			break;
		case 'N':
			nsdd_notify_route = false;
			break;
		case 'b':
			if (!backend(optarg)) {
				fprintf(stderr, "nsdd: --backend takes kernel, procfs or auto\n");
				return 2;
			}
			break;
		case 'p':
			procfs_set_root(optarg);
			break;
		case 'O':
			o->oci_path = optarg;
			break;
		case 'D':
			oci_set_plans(optarg);
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("nsdd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/*
 * What systemd passes (sd_listen_fds(3)): the varlink socket, the OCI
 * runtimes' socket (FileDescriptorName=oci), and the seccomp listeners that
 * a former nsdd left in the fd store. *sock and *oci are -1 if none came.
 */
static void
systemd_fds(int *sock, int *oci)
{
	*sock = *oci = -1;
#ifdef HAVE_SYSTEMD
	char **names = NULL;
	int i, kept = 0, n = sd_listen_fds_with_names(1, &names);

	if (n < 0)
		log_warnx("sd_listen_fds: %s", strerror(-n));
	for (i = 0; i < n; i++) {
		const char *name = names != NULL ? names[i] : "";
		if (strcmp(name, SECCOMP_FDNAME) == 0)
			kept += seccomp_adopt(SD_LISTEN_FDS_START + i, false);
		else if (strcmp(name, "oci") == 0 && *oci < 0)
			*oci = SD_LISTEN_FDS_START + i;
		else if (*sock < 0)
			*sock = SD_LISTEN_FDS_START + i;
		else
			fatalx("socket activation passed more than one socket; nsdd takes one");
	}
	for (i = 0; names != NULL && names[i] != NULL; i++)
		free(names[i]);
	free(names);
	if (kept > 0)
		log_info("took %d seccomp listener%s back from systemd's fd store", kept,
		         kept == 1 ? "" : "s");
#endif
}

/*
 * The event loop waits in poll(2), not epoll: a seccomp listener with
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP wakes its waiter on the notifying
 * task's CPU, and the answer wakes the task on nsdd's, so that the two run
 * in turn on one CPU; poll passes that hint on to nsdd, epoll drops it.
 * Measured side by side (bench/run's floor, each fork a notification
 * answered CONTINUE): 1.37 times native with epoll, 0.96 with poll. nsdd
 * waits on a few fds per plan, not per task, so poll's cost per wait is
 * small.
 */
static struct event_base *
event_loop_new(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (cfg == NULL)
		return NULL;
	event_config_avoid_method(cfg, "epoll");
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base != NULL)
		log_debug("event loop: %s", event_base_get_method(base));
	return base;
}

int
main(int argc, char **argv)
{
	static const int sigs[] = {SIGTERM, SIGINT};
	struct options o = {NULL, "nsd", NULL, 256, 600, false};
	size_t i;
	int rc, sock, oci;

	if ((rc = parse(argc, argv, &o)) >= 0)
		return rc;
	nsdd_container_wait_ms = (int64_t)o.container_wait * 1000;
	if (o.socket_path == NULL)
		o.socket_path = nsd_socket_path();
	log_init(o.verbose);
	authz_set_group(o.group);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	short_slice();
	if ((nsdd_base = event_loop_new()) == NULL)
		fatalx("cannot create the event loop");
	mem_init();
	helper_init();
	if (ns_init() < 0)
		fatal("cannot open nsdd's own pid and IPC namespaces");
	supervisor_init();
	ns_on_release(tracer_unhold_all);
	unotify_on_rest(tracer_rested);
	api_init();
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct event *ev = evsignal_new(nsdd_base, sigs[i], signal_cb, NULL);
		if (ev == NULL || evsignal_add(ev, NULL) < 0)
			fatalx("cannot handle signal %d", sigs[i]);
	}
	watch_children();
	systemd_fds(&sock, &oci);
	server_listen(sock, o.socket_path, (unsigned)o.max_conns, api_dispatch);
	if (sock < 0 && strcmp(o.socket_path, NSD_DEFAULT_SOCKET) == 0)
		registry_add(o.socket_path);
	if (oci >= 0 || o.oci_path != NULL)
		oci_listen(oci, o.oci_path);
	log_info("nsdd %s ready", PACKAGE_VERSION);
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1\nSTATUS=0 plans running, 0 tasks traced");
#endif
	event_base_dispatch(nsdd_base);
	server_close();
	registry_remove();
	oci_close();
	log_info("exiting");
	return 0;
}
