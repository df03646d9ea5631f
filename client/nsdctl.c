/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nsdctl: the small varlink client of nsdd. One table of commands. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nsdctl.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
} commands[] = {
    {"submit", cmd_submit, "[--wait] [--container ID] PLAN",
     "submit a plan for a running target, or a container to come; print its id"},
    {"check", cmd_check, "PLAN (--pid PID | --container ID)",
     "report every step of PLAN that cannot apply to the target"},
    {"record", cmd_record,
     "[--new-ns [--init]] [--calls LIST] [--no-match] [-o PLAN] -- CMD [ARG...]",
     "run CMD under nsdd and write a plan that gives its tasks' pids back"},
    {"run", cmd_run, "[--new-ns [--init]] [--next-syscall-data] [PLAN] -- CMD [ARG...]",
     "start CMD under a plan and wait for it"},
    {"status", cmd_status, "[ID]", "show a plan, or every plan"},
    {"list", cmd_list, "", "list the plans nsdd knows"},
    {"watch", cmd_watch, "ID", "follow a plan's events to its end"},
    {"cancel", cmd_cancel, "[--kill] ID", "cancel a plan: detach (or kill) its tasks"},
    {"info", cmd_info, "", "show nsdd's version, backend and kernel features"},
    {"set", cmd_set, "TID 'LONG1 XX'", "TID's next targeted syscall gives XX (next_syscall_data)"},
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: nsdctl [--socket PATH] [--json] COMMAND [ARGS]\n\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %-32s %s\n", commands[i].name, commands[i].args,
		        commands[i].help);
	fprintf(f, "\nThe socket is $NSDD_SOCKET, or %s. See nsdctl(1).\n", NSD_DEFAULT_SOCKET);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	size_t i;
	int ch;

	/* "+": options end at the command's name; the command parses the rest. */
	while ((ch = getopt_long(argc, argv, "+s:jhV", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			ctl.socket = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("nsdctl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[optind]) == 0) {
			if (optind + 1 < argc && (strcmp(argv[optind + 1], "--help") == 0 ||
			                          strcmp(argv[optind + 1], "-h") == 0)) {
				printf("usage: nsdctl %s %s\n\n%s. See nsdctl(1).\n",
				       commands[i].name, commands[i].args, commands[i].help);
				return 0;
			}
			argc -= optind;
			argv += optind;
			optind = 1;
			return commands[i].fn(argc, argv);
		}
	ctl_err("unknown command '%s'", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
