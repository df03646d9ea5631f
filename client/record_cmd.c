/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsdctl record: CMD's run under nsdd, written as a plan that gives its
 * tasks' ids back. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsd/plan.h"
#include "../lib/syscalls.h"
#include "start.h"

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
	json_array_foreach(names, i, name)
	{
		call = nsd_call_parse(json_string_value(name));
		/* Forks are seen by their events, not their results. */
		if (call >= 0 && nsd_call_recordable(call) && call != NSD_CALL_FORK &&
		    call != NSD_CALL_THREAD)
			calls |= 1u << call;
	}
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
	if ((pid = start_spawn(&s, &target, &listener)) < 0) {
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
	start_release(&s);
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
