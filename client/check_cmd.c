/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsdctl check PLAN (--pid PID | --container ID): nsdd reports every step
 * of PLAN that cannot apply to the target, without attaching to it or
 * changing anything. Exit status 0 only if there is none.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsd/plan.h"
#include "nsdctl.h"

int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {{"pid", required_argument, NULL, 'p'},
	                                     {"container", required_argument, NULL, 'c'},
	                                     {NULL, 0, NULL, 0}};
	static const char usage[] = "usage: nsdctl check PLAN (--pid PID | --container ID)";
	const char *container = NULL;
	struct nsd_client *c;
	struct nsd_reply r;
	long pid = 0;
	char *end, *text;
	json_t *doc, *params, *problems;
	int ch, rc = EXIT_PLAN_FAILED;

	optind = 0; /* glibc starts afresh, and lets PLAN come before the options */
	while ((ch = getopt_long(argc, argv, "p:c:", opts, NULL)) != -1) {
		if (ch == 'p' && (pid = strtol(optarg, &end, 10)) > 0 && *end == '\0' &&
		    pid <= NSD_PID_MAX)
			continue;
		if (ch == 'c' && nsd_container_name_ok(optarg)) {
			container = optarg;
			continue;
		}
		ctl_err("%s", usage);
		return EXIT_USAGE;
	}
	if (optind != argc - 1 || (pid > 0) == (container != NULL)) {
		ctl_err("%s", usage);
		return EXIT_USAGE;
	}
	if ((doc = ctl_load_plan(argv[optind], 0)) == NULL)
		return EXIT_PLAN_FAILED;
	json_object_set_new(doc, "target",
	                    container ? json_pack("{s:s}", "container", container)
	                              : json_pack("{s:I}", "pid", (json_int_t)pid));
	params = json_pack("{s:O}", "plan", doc);
	if ((c = ctl_connect()) != NULL && ctl_call(c, NSD_INTERFACE ".Check", params, &r) == 0) {
		problems = json_object_get(r.parameters, "problems");
		if (ctl.json) {
			ctl_print_json(problems);
		} else if (json_array_size(problems) == 0) {
			printf("the plan can apply\n");
		} else if ((text = nsd_problems_text(problems)) != NULL) {
			printf("the plan cannot apply to its target:\n%s\n", text);
			free(text);
		}
		rc = json_array_size(problems) == 0 ? 0 : EXIT_PLAN_FAILED;
		nsd_reply_clear(&r);
	}
	json_decref(params);
	json_decref(doc);
	if (c != NULL)
		nsd_client_close(c);
	return rc;
}
