/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsdctl status, list, watch, cancel, info: reading and steering plans. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "nsdctl.h"

#define S(obj, key) (json_string_value(json_object_get(obj, key)))
#define I(obj, key) ((long long)json_integer_value(json_object_get(obj, key)))

static void
event_line(FILE *f, json_t *ev)
{
	const char *kind = S(ev, "kind"), *task = S(ev, "task"), *err = S(ev, "error");

	if (ctl.json) {
		json_dumpf(ev, f, JSON_COMPACT);
		fputc('\n', f);
		return;
	}
	fprintf(f, "%-11s", kind ? kind : "?");
	if (task != NULL)
		fprintf(f, " task %s", task);
	if (json_object_get(ev, "step") != NULL)
		fprintf(f, " step %lld %s", I(ev, "step"), S(ev, "call") ?: "?");
	else if (json_is_true(json_object_get(ev, "next_syscall_data")))
		fprintf(f, " next_syscall_data %s", S(ev, "call") ?: "?");
	if (S(ev, "syscall") != NULL)
		fprintf(f, " (%s)", S(ev, "syscall"));
	if (json_object_get(ev, "want") != NULL)
		fprintf(f, " want %lld", I(ev, "want"));
	if (json_object_get(ev, "got") != NULL)
		fprintf(f, " got %lld", I(ev, "got"));
	if (S(ev, "mechanism") != NULL)
		fprintf(f, " by %s", S(ev, "mechanism"));
	if (S(ev, "route") != NULL && strcmp(S(ev, "route"), "notify") == 0)
		fprintf(f, ", no stop");
	if (err != NULL)
		fprintf(f, ": %s", err);
	fputc('\n', f);
}

/*
 * An event's line goes out whole, in one write: the lines of a batch are
 * buffered (ctl_follow()), and a buffer that fills up mid-line would let
 * another writer of the same file, such as the command that nsdctl run
 * started, cut the line in two. So a line that does not fit in what is
 * left of the buffer flushes it first.
 */
void
ctl_print_event(json_t *ev)
{
	char *line = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&line, &len);

	if (m == NULL) {
		event_line(stdout, ev);
		return;
	}
	event_line(m, ev);
	fclose(m);
	if (__fpending(stdout) + len > __fbufsize(stdout))
		fflush(stdout);
	fwrite(line, 1, len, stdout);
	free(line);
}

/* Follows Watch(more) to the plan's end; returns the final kind or NULL. */
const char *
ctl_follow(struct nsd_client *c, const char *id, long long steps_total)
{
	static char final[32];
	struct nsd_reply r;
	long long applied = 0;
	json_t *p = json_pack("{s:s}", "id", id);
	int rc = nsd_client_send(c, NSD_INTERFACE ".Watch", p, NSD_CALL_MORE);

	json_decref(p);
	if (rc < 0) {
		ctl_err("watch: cannot send: %m");
		return NULL;
	}
	progress_start(steps_total);
	for (;;) {
		json_t *ev;
		/* Events come in batches: a batch's lines go out together, as
		 * nsdctl is about to wait for the next (in one write where they
		 * fit the buffer), not a write for each. */
		if (!nsd_client_buffered(c))
			fflush(stdout);
		if (nsd_client_read(c, &r) < 0) {
			progress_end();
			ctl_err("watch: lost nsdd: %m");
			return NULL;
		}
		if (r.error != NULL) {
			char *msg = nsd_reply_describe(&r);
			progress_end();
			ctl_err("%s", msg ? msg : r.error);
			free(msg);
			nsd_reply_clear(&r);
			return NULL;
		}
		ev = json_object_get(r.parameters, "event");
		if (S(ev, "kind") != NULL && strcmp(S(ev, "kind"), "applied") == 0 &&
		    json_object_get(ev, "step") != NULL)
			applied++; /* a plan step, not a use of next_syscall_data */
		progress_end();
		ctl_print_event(ev);
		progress_start(steps_total);
		progress_update(applied, S(ev, "task"));
		if (!r.continues) {
			snprintf(final, sizeof(final), "%s", S(ev, "kind") ?: "?");
			nsd_reply_clear(&r);
			progress_end();
			fflush(stdout); /* nsdctl run may wait for its command now */
			return final;
		}
		nsd_reply_clear(&r);
	}
}

/* How a person knows the container: CRI's NAMESPACE/POD/CONTAINER where the
 * runtime gave it, else the OCI id. */
static const char *
container_of(json_t *st)
{
	const char *name = json_string_value(json_object_get(st, "container_name"));

	return name ? name : json_string_value(json_object_get(st, "container"));
}

static void
print_status(json_t *st)
{
	json_t *tasks = json_object_get(st, "tasks"), *t;
	size_t i;

	if (ctl.json) {
		ctl_print_json(st);
		return;
	}
	printf("plan %s%s%s%s: %s, %lld/%lld steps, mode %s, backend %s, %lld ptrace stops\n",
	       S(st, "id"), S(st, "name") ? " (" : "", S(st, "name") ?: "",
	       S(st, "name") ? ")" : "", S(st, "state"), I(st, "steps_applied"),
	       I(st, "steps_total"), S(st, "mode"), S(st, "backend"), I(st, "ptrace_stops"));
	if (json_object_get(st, "steps_no_stop") != NULL)
		printf("  %lld notifications; %lld steps applied with no ptrace stop\n",
		       I(st, "notifications"), I(st, "steps_no_stop"));
	if (S(st, "container") != NULL)
		printf("  container %s\n", container_of(st));
	if (S(st, "error") != NULL)
		printf("  error: %s\n", S(st, "error"));
	json_array_foreach(tasks, i, t)
	{
		char pid[32] = "-";
		if (json_object_get(t, "pid") != NULL)
			snprintf(pid, sizeof(pid), "%lld", I(t, "pid"));
		printf("  %-10s pid %-8s %-9s %lld/%lld%s%s\n", S(t, "key"), pid, S(t, "state"),
		       I(t, "steps_applied"), I(t, "steps_total"), S(t, "error") ? "  " : "",
		       S(t, "error") ?: "");
	}
}

static int
one_arg(int argc, char **argv, const char *usage)
{
	if (argc == 2 && argv[1][0] != '-')
		return 0;
	ctl_err("usage: nsdctl %s", usage);
	return -1;
}

int
cmd_status(int argc, char **argv)
{
	struct nsd_client *c;
	struct nsd_reply r;
	int rc = EXIT_PLAN_FAILED;

	if (argc == 1)
		return cmd_list(argc, argv);
	if (one_arg(argc, argv, "status [ID]") < 0)
		return EXIT_USAGE;
	if ((c = ctl_connect()) == NULL)
		return EXIT_PLAN_FAILED;
	json_t *p = json_pack("{s:s}", "id", argv[1]);
	if (ctl_call(c, NSD_INTERFACE ".Get", p, &r) == 0) {
		json_t *st = json_object_get(r.parameters, "status");
		print_status(st);
		rc = strcmp(S(st, "state") ?: "", "completed") == 0 ? 0 : EXIT_PLAN_FAILED;
		nsd_reply_clear(&r);
	}
	json_decref(p);
	nsd_client_close(c);
	return rc;
}

int
cmd_list(int argc, char **argv)
{
	struct nsd_client *c;
	struct nsd_reply r;
	json_t *plans, *st;
	size_t i;

	(void)argv;
	if (argc != 1) {
		ctl_err("usage: nsdctl list");
		return EXIT_USAGE;
	}
	if ((c = ctl_connect()) == NULL)
		return EXIT_PLAN_FAILED;
	if (ctl_call(c, NSD_INTERFACE ".List", NULL, &r) < 0) {
		nsd_client_close(c);
		return EXIT_PLAN_FAILED;
	}
	plans = json_object_get(r.parameters, "plans");
	if (ctl.json)
		ctl_print_json(plans);
	else if (json_array_size(plans) == 0)
		printf("no plans\n");
	else
		json_array_foreach(plans, i, st)
		    printf("%s  %-10s %lld/%lld steps  %s%s%s\n", S(st, "id"), S(st, "state"),
		           I(st, "steps_applied"), I(st, "steps_total"), S(st, "name") ?: "",
		           S(st, "container") ? "  container " : "",
		           S(st, "container") ? container_of(st) : "");
	nsd_reply_clear(&r);
	nsd_client_close(c);
	return 0;
}

int
cmd_watch(int argc, char **argv)
{
	struct nsd_client *c;
	struct nsd_reply r;
	const char *final;
	long long total = 0;
	json_t *p;

	if (one_arg(argc, argv, "watch ID") < 0)
		return EXIT_USAGE;
	if ((c = ctl_connect()) == NULL)
		return EXIT_PLAN_FAILED;
	p = json_pack("{s:s}", "id", argv[1]);
	if (ctl_call(c, NSD_INTERFACE ".Get", p, &r) < 0) {
		json_decref(p);
		nsd_client_close(c);
		return EXIT_PLAN_FAILED;
	}
	json_decref(p);
	total = I(json_object_get(r.parameters, "status"), "steps_total");
	nsd_reply_clear(&r);
	final = ctl_follow(c, argv[1], total);
	nsd_client_close(c);
	return final != NULL && strcmp(final, "completed") == 0 ? 0 : EXIT_PLAN_FAILED;
}

int
cmd_cancel(int argc, char **argv)
{
	static const struct option opts[] = {{"kill", no_argument, NULL, 'k'}, {NULL, 0, NULL, 0}};
	struct nsd_client *c;
	struct nsd_reply r;
	bool kill = false;
	int ch, rc;
	json_t *p;

	while ((ch = getopt_long(argc, argv, "+k", opts, NULL)) != -1) {
		if (ch != 'k') {
			ctl_err("usage: nsdctl cancel [--kill] ID");
			return EXIT_USAGE;
		}
		kill = true;
	}
	if (optind != argc - 1) {
		ctl_err("usage: nsdctl cancel [--kill] ID");
		return EXIT_USAGE;
	}
	if ((c = ctl_connect()) == NULL)
		return EXIT_PLAN_FAILED;
	p = json_pack("{s:s, s:b}", "id", argv[optind], "kill", kill);
	rc = ctl_call(c, NSD_INTERFACE ".Cancel", p, &r);
	json_decref(p);
	if (rc == 0)
		nsd_reply_clear(&r);
	nsd_client_close(c);
	return rc == 0 ? 0 : EXIT_PLAN_FAILED;
}

int
cmd_info(int argc, char **argv)
{
	struct nsd_client *c;
	struct nsd_reply r;
	json_t *f;
	size_t i;

	(void)argv;
	if (argc != 1) {
		ctl_err("usage: nsdctl info");
		return EXIT_USAGE;
	}
	if ((c = ctl_connect()) == NULL)
		return EXIT_PLAN_FAILED;
	if (ctl_call(c, NSD_INTERFACE ".Info", NULL, &r) < 0) {
		nsd_client_close(c);
		return EXIT_PLAN_FAILED;
	}
	if (ctl.json) {
		ctl_print_json(r.parameters);
	} else {
		printf("version:  %s\nbackend:  %s\nfeatures:", S(r.parameters, "version"),
		       S(r.parameters, "backend"));
		json_array_foreach(json_object_get(r.parameters, "features"), i, f)
		    printf(" %s", json_string_value(f));
		putchar('\n');
	}
	nsd_reply_clear(&r);
	nsd_client_close(c);
	return 0;
}
