/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsdctl submit and run: handing plans to nsdd. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/filter.h"
#include "nsd/plan.h"
#include "nsdctl.h"

/* Reads and checks a plan file ("-": stdin) with the same parser nsdd uses. */
json_t *
ctl_load_plan(const char *path, int flags)
{
	struct nsd_plan_error err;
	struct nsd_plan *plan;
	json_error_t jerr;
	json_t *doc;

	if (strcmp(path, "-") == 0)
		doc = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
	else
		doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		ctl_err("%s: line %d, column %d: %s", path, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (nsd_plan_from_json(doc, flags, &plan, &err) < 0) {
		ctl_err("%s: invalid plan: %s: %s", path, err.path, err.reason);
		json_decref(doc);
		return NULL;
	}
	nsd_plan_free(plan);
	return doc;
}

/* PLAN for container ID, which has not started: its target is the
 * container (nsd-plan(5)). */
static json_t *
container_plan(const char *path, const char *container)
{
	json_t *doc = ctl_load_plan(path, 0);

	if (doc != NULL && json_object_get(doc, "target") != NULL) {
		ctl_err("%s: $.target: --container names the target; remove it", path);
		json_decref(doc);
		return NULL;
	}
	if (doc != NULL)
		json_object_set_new(doc, "target", json_pack("{s:s}", "container", container));
	return doc;
}

/* Submits doc; on success returns the plan id (malloc'd) and its step count.
 * listener >= 0: the target's seccomp listener fd, for nsdd to take. */
static char *
submit(struct nsd_client *c, json_t *doc, int listener, long long *steps)
{
	struct nsd_reply r;
	json_t *p = json_pack("{s:O}", "plan", doc);
	char *id = NULL;

	if (listener >= 0)
		json_object_set_new(p, "listener", json_integer(listener));
	if (ctl_call(c, NSD_INTERFACE ".Submit", p, &r) == 0) {
		id = strdup(json_string_value(json_object_get(r.parameters, "id")) ?: "");
		*steps = (long long)json_integer_value(json_object_get(r.parameters, "steps"));
		nsd_reply_clear(&r);
	}
	json_decref(p);
	return id;
}

int
cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {{"wait", no_argument, NULL, 'w'},
	                                     {"container", required_argument, NULL, 'c'},
	                                     {NULL, 0, NULL, 0}};
	static const char usage[] = "usage: nsdctl submit [--wait] [--container ID] PLAN";
	const char *container = NULL, *final;
	struct nsd_client *c;
	bool wait = false;
	long long steps = 0;
	int ch, rc = EXIT_PLAN_FAILED;
	json_t *doc;
	char *id;

	while ((ch = getopt_long(argc, argv, "+wc:", opts, NULL)) != -1) {
		if (ch == 'w') {
			wait = true;
		} else if (ch == 'c' && nsd_container_name_ok(optarg)) {
			container = optarg;
		} else {
			ctl_err(ch == 'c'
			            ? "--container: not a container id or NAMESPACE/POD/CONTAINER"
			            : usage);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		ctl_err(usage);
		return EXIT_USAGE;
	}
	if ((doc = container ? container_plan(argv[optind], container)
	                     : ctl_load_plan(argv[optind], NSD_PLAN_REQUIRE_TARGET)) == NULL)
		return EXIT_PLAN_FAILED;
	if ((c = ctl_connect()) == NULL) {
		json_decref(doc);
		return EXIT_PLAN_FAILED;
	}
	if ((id = submit(c, doc, -1, &steps)) != NULL) {
		printf("%s\n", id);
		fflush(stdout);
		rc = 0;
		if (wait) {
			final = ctl_follow(c, id, steps);
			rc =
			    final != NULL && strcmp(final, "completed") == 0 ? 0 : EXIT_PLAN_FAILED;
		}
		free(id);
	}
	json_decref(doc);
	nsd_client_close(c);
	return rc;
}

#define NO_FILTER INT_MIN /* the ready word of a CMD without a filter */

/*
 * Mode "seccomp": loads the plan's filter (nsd_filter_new) in this process.
 * Returns its listener (close-on-exec: CMD never has it), or -errno. With
 * trace, a Record's filter instead, which stops the calls for nsdd's ptrace:
 * NO_FILTER (no listener), or -errno.
 */
static int
install_filter(unsigned calls, bool trace)
{
	scmp_filter_ctx ctx;
	int rc, fd;

	if ((ctx = nsd_filter_new(calls, trace ? SCMP_ACT_TRACE(0) : SCMP_ACT_NOTIFY, &rc)) == NULL)
		return rc;
	/* no_new_privs only where seccomp(2) requires it: without CAP_SYS_ADMIN.
	 * The kernel's EACCES says so; libseccomp turns it into ECANCELED
	 * unless asked for the kernel's own errno. */
	seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if ((rc = seccomp_load(ctx)) == -EACCES) {
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
		rc = seccomp_load(ctx);
	}
	fd = rc != 0 ? rc : trace ? NO_FILTER : seccomp_notify_fd(ctx);
	seccomp_release(ctx);
	if (fd >= 0 && !trace && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return fd;
}

/* How nsdctl run and record start CMD. */
struct start {
	char **cmd;
	unsigned calls; /* of the plan's steps: what a filter notifies */
	bool seccomp;   /* CMD gets a filter, whose listener goes to nsdd */
	bool traced;    /* CMD gets a Record's filter: its calls stop for ptrace */
	bool newns;     /* in new pid and IPC namespaces */
	bool init;      /* as pid 2, under a minimal init */
	int go[2];      /* nsdctl writes a byte once nsdd has the target */
	int ready[2];   /* with a filter or init: CMD's process says it is there */
};

/*
 * The task that becomes CMD waits on a pipe until nsdd has seized it, so
 * that nsdd sees CMD from its first instruction: the wait is a blocking
 * read, which nsdd's PTRACE_INTERRUPT turns into a stop before the read can
 * return. In mode seccomp, or for a Record of calls' results, it installs
 * its filter first; it tells nsdctl the listener's fd (or NO_FILTER) when
 * nsdctl asked for a ready word.
 */
__attribute__((noreturn)) static void
exec_cmd(const struct start *s)
{
	char byte;
	int fd;

	if (s->ready[1] >= 0) {
		fd = s->seccomp || s->traced ? install_filter(s->calls, s->traced) : NO_FILTER;
		if (write(s->ready[1], &fd, sizeof(fd)) != sizeof(fd) ||
		    (fd < 0 && fd != NO_FILTER))
			_exit(127);
		close(s->ready[1]);
	}
	if (read(s->go[0], &byte, 1) != 1)
		_exit(127); /* nsdctl gave up: never run CMD untraced */
	close(s->go[0]);
	execvp(s->cmd[0], s->cmd);
	fprintf(stderr, "nsdctl: cannot run %s: %s\n", s->cmd[0], strerror(errno));
	_exit(127);
}

/*
 * --init: pid 1 of the new namespace, CMD's parent. It reaps every task
 * left to it, passes on to CMD the signals a terminal or a service manager
 * sends, and exits with CMD's status, which ends the namespace's other
 * tasks. SIGCHLD and those signals were blocked before CMD's fork: none is
 * lost, and CMD starts with the signal mask nsdctl had.
 */
__attribute__((noreturn)) static void
init(pid_t cmd, const sigset_t *set)
{
	siginfo_t si;
	pid_t pid;
	int status;

	for (;;) {
		if (sigwaitinfo(set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			kill(cmd, si.si_signo);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == cmd)
				_exit(WIFEXITED(status) ? WEXITSTATUS(status)
				                        : 128 + WTERMSIG(status));
	}
}

__attribute__((noreturn)) static void
child(const struct start *s)
{
	static const int passed[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM,
	                             SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
	sigset_t set, old;
	size_t i;
	pid_t pid;

	/* pid 1 of the new pid namespace mounts its own /proc in a private
	 * mount namespace (nsdctl keeps the host's, where the pid it submits
	 * means what it says): /proc/<getpid()> names CMD, not a host process. */
	if (s->newns &&
	    (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	     mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)) {
		fprintf(stderr, "nsdctl: --new-ns: cannot mount a /proc of its own: %s\n",
		        strerror(errno));
		_exit(127);
	}
	if (!s->init)
		exec_cmd(s);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		sigaddset(&set, passed[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	if ((pid = fork()) == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		exec_cmd(s);
	}
	if (pid < 0) {
		fprintf(stderr, "nsdctl: --init: cannot fork: %s\n", strerror(errno));
		_exit(127);
	}
	close(s->go[0]);
	close(s->ready[1]);
	init(pid, &set);
}

/* With --init, CMD is the only child of the init nsdctl made. */
static pid_t
only_child(pid_t pid)
{
	char path[64];
	long child = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fscanf(f, "%ld", &child) != 1)
		child = -1;
	fclose(f);
	return (pid_t)child;
}

#define RUN_USAGE                                                                                  \
	"usage: nsdctl run [--new-ns [--init]] [--mode ptrace|seccomp] [--next-syscall-data] "     \
	"[PLAN] -- CMD [ARG...]"

/* The plan of a run: PLAN, or with --next-syscall-data alone, an empty one. */
static json_t *
run_plan(const char *path, bool next_data)
{
	json_t *doc;

	if (path == NULL)
		doc = json_pack("{s:i, s:{}}", "version", 1, "tasks");
	else if ((doc = ctl_load_plan(path, 0)) == NULL)
		return NULL;
	if (json_object_get(doc, "target") != NULL) {
		ctl_err("%s: $.target: run starts the target itself; remove it or use submit",
		        path ? path : "-");
		json_decref(doc);
		return NULL;
	}
	if (next_data)
		json_object_set_new(doc, "next_syscall_data", json_true());
	/* Submit's Check would look at nsdctl's child before it runs CMD (its
	 * fds, its namespaces): a run's steps are checked as they apply. */
	if (json_object_get(doc, "check") == NULL)
		json_object_set_new(doc, "check", json_false());
	return doc;
}

/* The calls the steps of doc make: 1 << enum nsd_call each. */
static unsigned
calls_of(json_t *doc)
{
	struct nsd_plan_error err;
	struct nsd_plan *m;
	unsigned calls;

	if (nsd_plan_from_json(doc, 0, &m, &err) < 0)
		return 0;
	calls = nsd_plan_calls(m);
	nsd_plan_free(m);
	return calls;
}

/* Takes CMD's ready word: its listener in *listener, or -1 without a filter. */
static bool
await_ready(struct start *s, int *listener)
{
	int word = 0;

	close(s->ready[1]);
	s->ready[1] = -1;
	if (read(s->ready[0], &word, sizeof(word)) != sizeof(word) ||
	    (word < 0 && word != NO_FILTER)) {
		ctl_err("cannot %s %s: %s",
		        s->seccomp || s->traced ? "install the seccomp filter for" : "start",
		        s->cmd[0], word < 0 && word != NO_FILTER ? strerror(-word) : "it died");
		return false;
	}
	close(s->ready[0]);
	*listener = word == NO_FILTER ? -1 : word;
	return true;
}

/* Lets CMD's process run CMD: nsdd has it. */
static void
release(struct start *s)
{
	if (write(s->go[1], "g", 1) != 1)
		ctl_err("cannot release %s: %s", s->cmd[0], strerror(errno));
	close(s->go[1]);
}

/* Makes CMD's process, waiting to run CMD until release(): the pid to wait
 * for (the init with --init), CMD's own in *target; -1 on failure. */
static pid_t
spawn(struct start *s, pid_t *target, int *listener)
{
	pid_t pid;

	if (s->newns && unshare(CLONE_NEWPID | CLONE_NEWIPC) < 0) {
		ctl_err("--new-ns: cannot create pid and IPC namespaces: %s", strerror(errno));
		return -1;
	}
	if (pipe2(s->go, O_CLOEXEC) < 0 ||
	    ((s->seccomp || s->traced || s->init) && pipe2(s->ready, O_CLOEXEC) < 0) ||
	    (pid = fork()) < 0) {
		ctl_err("cannot start %s: %s", s->cmd[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(s->go[1]);
		if (s->ready[0] >= 0)
			close(s->ready[0]);
		child(s);
	}
	close(s->go[0]);
	*target = pid;
	if (s->ready[0] >= 0 &&
	    (!await_ready(s, listener) || (s->init && (*target = only_child(pid)) <= 0))) {
		close(s->go[1]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

/* Starts s->cmd traced under doc: the pid to wait for (the init with
 * --init), CMD's own in *target; -2 if nsdd refused the plan, -1 if nsdctl
 * could not start it. */
static pid_t
start_traced(struct nsd_client *c, json_t *doc, struct start *s, pid_t *target, char **id,
             long long *steps)
{
	json_t *mode = json_object_get(doc, "mode");
	int listener = -1;
	pid_t pid;

	s->calls = calls_of(doc);
	/* No filter for a plan with no call to filter, or one that serves
	 * next_syscall_data (nsdd traces its tree, or installs the filter
	 * itself where the kernel has the file). */
	s->seccomp = json_is_string(mode) && strcmp(json_string_value(mode), "seccomp") == 0 &&
	             s->calls != 0 && !json_is_true(json_object_get(doc, "next_syscall_data"));
	if ((pid = spawn(s, target, &listener)) < 0)
		return -1;
	json_object_set_new(doc, "target",
	                    json_pack("{s:i, s:I}", "pid", *target, "start_time",
	                              (json_int_t)nsd_proc_start_time(*target)));
	if ((*id = submit(c, doc, listener, steps)) == NULL) {
		close(s->go[1]); /* CMD's process exits 127 without running CMD */
		waitpid(pid, NULL, 0);
		return -2;
	}
	release(s);
	return pid;
}

int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {{"new-ns", no_argument, NULL, 'n'},
	                                     {"init", no_argument, NULL, 'i'},
	                                     {"next-syscall-data", no_argument, NULL, 'd'},
	                                     {"mode", required_argument, NULL, 'm'},
	                                     {NULL, 0, NULL, 0}};
	struct start s = {.go = {-1, -1}, .ready = {-1, -1}};
	const char *mode = NULL;
	struct nsd_client *c;
	bool next_data = false;
	long long steps = 0;
	const char *final = NULL, *path = NULL;
	int ch, status, rc;
	char *id = NULL, **cmd;
	json_t *doc;
	pid_t pid, target;

	while ((ch = getopt_long(argc, argv, "+nidm:", opts, NULL)) != -1) {
		if (ch == 'm' &&
		    (strcmp(optarg, "ptrace") == 0 || strcmp(optarg, "seccomp") == 0)) {
			mode = optarg;
			continue;
		}
		if (ch != 'n' && ch != 'd' && ch != 'i') {
			ctl_err(RUN_USAGE);
			return EXIT_USAGE;
		}
		*(ch == 'n' ? &s.newns : ch == 'i' ? &s.init : &next_data) = true;
	}
	if (s.init && !s.newns) {
		ctl_err("--init needs --new-ns: the init is pid 1 of the new pid namespace");
		return EXIT_USAGE;
	}
	/* getopt took a "--" right after the options: no PLAN. */
	cmd = argv + optind;
	if (!(optind > 1 && strcmp(argv[optind - 1], "--") == 0) && *cmd != NULL)
		path = *cmd++;
	if (*cmd != NULL && strcmp(*cmd, "--") == 0)
		cmd++;
	if (*cmd == NULL || (path == NULL && !next_data)) {
		ctl_err(RUN_USAGE);
		return EXIT_USAGE;
	}
	if ((doc = run_plan(path, next_data)) == NULL)
		return EXIT_PLAN_FAILED;
	if (mode != NULL)
		json_object_set_new(doc, "mode", json_string(mode));
	if ((c = ctl_connect()) == NULL) {
		json_decref(doc);
		return EXIT_PLAN_FAILED;
	}
	s.cmd = cmd;
	pid = start_traced(c, doc, &s, &target, &id, &steps);
	json_decref(doc);
	if (pid < 0) {
		nsd_client_close(c);
		return pid == -2 ? EXIT_RUN_FAILED : EXIT_PLAN_FAILED;
	}
	if (ctl.json) {
		json_t *started = json_pack("{s:s, s:i}", "id", id, "pid", target);
		ctl_print_json(started);
		json_decref(started);
	} else {
		fprintf(stderr, "nsdctl: plan %s: started %s as pid %d\n", id, cmd[0], target);
	}
	final = ctl_follow(c, id, steps);
	nsd_client_close(c);
	while ((rc = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (final == NULL || strcmp(final, "completed") != 0) {
		ctl_err("plan %s did not complete (%s)", id, final ? final : "lost nsdd");
		free(id);
		return EXIT_RUN_FAILED;
	}
	free(id);
	if (rc < 0)
		return EXIT_RUN_FAILED;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* nsdctl set TID 'LONGn v1 ... vn': next_syscall_data, as a service. */
int
cmd_set(int argc, char **argv)
{
	struct nsd_client *c;
	struct nsd_reply r;
	char *end;
	long tid;
	int rc;
	json_t *p;

	if (argc != 3) {
		ctl_err("usage: nsdctl set TID 'LONG1 XX'");
		return EXIT_USAGE;
	}
	tid = strtol(argv[1], &end, 10);
	if (*end != '\0' || tid < 1 || tid > NSD_PID_MAX) {
		ctl_err("set: '%s' is not a thread id", argv[1]);
		return EXIT_USAGE;
	}
	if ((c = ctl_connect()) == NULL)
		return EXIT_PLAN_FAILED;
	p = json_pack("{s:i, s:s}", "tid", (int)tid, "value", argv[2]);
	rc = ctl_call(c, NSD_INTERFACE ".SetNext", p, &r);
	json_decref(p);
	if (rc == 0)
		nsd_reply_clear(&r);
	nsd_client_close(c);
	return rc == 0 ? 0 : EXIT_PLAN_FAILED;
}

#define RECORD_USAGE                                                                               \
	"usage: nsdctl record [--new-ns [--init]] [--calls LIST] [--no-match] [-o PLAN] -- CMD "   \
	"[ARG...]"

/* Writes a recorded plan to path (NULL or "-": stdout). */
static int
write_plan(json_t *plan, const char *path)
{
	bool out = path == NULL || strcmp(path, "-") == 0;
	FILE *f = out ? stdout : fopen(path, "we");
	bool bad;

	if (f == NULL) {
		ctl_err("%s: %s", path, strerror(errno));
		return -1;
	}
	bad = json_dumpf(plan, f, JSON_INDENT(2)) < 0 || fputc('\n', f) == EOF;
	bad |= out ? fflush(f) != 0 : fclose(f) != 0;
	if (bad)
		ctl_err("cannot write the plan to %s", out ? "stdout" : path);
	return bad ? -1 : 0;
}

/* --calls LIST (comma-separated call names) as an array; NULL for NULL. */
static json_t *
split_calls(const char *list)
{
	json_t *names;
	const char *comma;

	if (list == NULL)
		return NULL;
	names = json_array();
	do {
		comma = strchr(list, ',');
		json_array_append_new(
		    names, json_stringn(list, comma ? (size_t)(comma - list) : strlen(list)));
		list = comma + 1;
	} while (comma != NULL);
	return names;
}

/* The calls of names (NULL: a Record's default) whose results a Record
 * needs: its filter stops their syscalls for nsdd. (nsdd checks the names.) */
static unsigned
results_of(json_t *names)
{
	unsigned calls = 0;
	json_t *name;
	size_t i;
	int call;

	if (names == NULL)
		return (1u << NSD_CALL_MSGGET) | (1u << NSD_CALL_SEMGET) | (1u << NSD_CALL_SHMGET);
	json_array_foreach(names, i, name) if ((call = nsd_call_parse(json_string_value(name))) >=
	                                           NSD_CALL_MSGGET &&
	                                       call <= NSD_CALL_OPEN) calls |= 1u << call;
	return calls;
}

/* Sends Record for CMD's process (with calls, and match; with traced, CMD
 * has the filter) and takes its first reply: the recording's id, or NULL
 * once said why not. */
static char *
start_recording(struct nsd_client *c, pid_t target, json_t *calls, bool match, bool traced)
{
	json_t *p =
	    json_pack("{s:{s:i, s:I}, s:b, s:b}", "target", "pid", target, "start_time",
	              (json_int_t)nsd_proc_start_time(target), "match", match, "seccomp", traced);
	struct nsd_reply r;
	char *id = NULL, *msg;
	int rc;

	if (calls != NULL)
		json_object_set(p, "calls", calls);
	rc = nsd_client_send(c, NSD_INTERFACE ".Record", p, NSD_CALL_MORE);
	json_decref(p);
	if (rc < 0 || nsd_client_read(c, &r) < 0) {
		ctl_err("record: lost nsdd: %s", strerror(errno));
		return NULL;
	}
	if (r.error != NULL) {
		msg = nsd_reply_describe(&r);
		ctl_err("record: %s", msg ? msg : r.error);
		free(msg);
	} else if (!r.continues || json_string_value(json_object_get(r.parameters, "id")) == NULL) {
		ctl_err("record: nsdd's first reply has no recording id");
	} else {
		id = strdup(json_string_value(json_object_get(r.parameters, "id")));
	}
	nsd_reply_clear(&r);
	return id;
}

int
cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"new-ns", no_argument, NULL, 'n'},       {"init", no_argument, NULL, 'i'},
	    {"output", required_argument, NULL, 'o'}, {"calls", required_argument, NULL, 'c'},
	    {"no-match", no_argument, NULL, 'm'},     {NULL, 0, NULL, 0}};
	struct start s = {.go = {-1, -1}, .ready = {-1, -1}};
	const char *out = NULL, *list = NULL;
	bool match = true;
	struct nsd_client *c;
	struct nsd_reply r;
	int ch, status = 0, listener, rc = EXIT_RUN_FAILED;
	char *id, *msg;
	json_t *calls;
	pid_t pid, target;

	while ((ch = getopt_long(argc, argv, "+nio:c:m", opts, NULL)) != -1) {
		if (ch == 'o' || ch == 'c') {
			*(ch == 'o' ? &out : &list) = optarg;
		} else if (ch == 'm') {
			match = false;
		} else if (ch == 'n' || ch == 'i') {
			*(ch == 'n' ? &s.newns : &s.init) = true;
		} else {
			ctl_err(RECORD_USAGE);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc || (s.init && !s.newns)) {
		ctl_err("%s", s.init && !s.newns ? "--init needs --new-ns" : RECORD_USAGE);
		return EXIT_USAGE;
	}
	s.cmd = argv + optind;
	/* Calls whose results are recorded stop through a filter, not at every syscall. */
	calls = split_calls(list);
	s.calls = results_of(calls);
	s.traced = s.calls != 0;
	if ((c = ctl_connect()) == NULL) {
		json_decref(calls);
		return EXIT_PLAN_FAILED;
	}
	if ((pid = spawn(&s, &target, &listener)) < 0) {
		json_decref(calls);
		nsd_client_close(c);
		return EXIT_PLAN_FAILED;
	}
	id = start_recording(c, target, calls, match, s.traced);
	json_decref(calls);
	if (id == NULL) {
		close(s.go[1]); /* CMD's process exits 127 without running CMD */
		waitpid(pid, NULL, 0);
		nsd_client_close(c);
		return EXIT_PLAN_FAILED;
	}
	fprintf(stderr, "nsdctl: recording %s: started %s as pid %d\n", id, s.cmd[0], target);
	release(&s);
	if (nsd_client_read(c, &r) < 0) {
		ctl_err("record: lost nsdd: %s", strerror(errno));
	} else if (r.error != NULL) {
		msg = nsd_reply_describe(&r);
		ctl_err("recording %s failed: %s", id, msg ? msg : r.error);
		free(msg);
		nsd_reply_clear(&r);
	} else {
		rc = write_plan(json_object_get(r.parameters, "plan"), out) < 0 ? EXIT_PLAN_FAILED
		                                                                : 0;
		nsd_reply_clear(&r);
	}
	nsd_client_close(c);
	free(id);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc != 0)
		return rc;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
