/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsdctl submit, run and set: handing plans and values to nsdd. */
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

#include "nsd/plan.h"
#include "start.h"

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
char *
ctl_submit(struct nsd_client *c, json_t *doc, int listener, long long *steps)
{
	struct nsd_reply r;
	json_t *p = json_pack("{s:O}", "plan", doc);
	char *id = NULL;

	if (listener >= 0) {
		json_object_set_new(p, "listener", json_integer(listener));
		/* nsd_filter_new()'s filter notifies rt_sigaction, unshare and
		 * setns too. */
		json_object_set_new(p, "sigaction", json_true());
		json_object_set_new(p, "setns", json_true());
	}
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
	if ((id = ctl_submit(c, doc, -1, &steps)) != NULL) {
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
	if ((pid = start_spawn(s, target, &listener)) < 0)
		return -1;
	json_object_set_new(doc, "target",
	                    json_pack("{s:i, s:I}", "pid", *target, "start_time",
	                              (json_int_t)nsd_proc_start_time(*target)));
	if ((*id = ctl_submit(c, doc, listener, steps)) == NULL) {
		close(s->go[1]); /* CMD's process exits 127 without running CMD */
		waitpid(pid, NULL, 0);
		return -2;
	}
	start_release(s);
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
