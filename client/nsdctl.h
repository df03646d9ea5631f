/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef NSDCTL_H
#define NSDCTL_H

#include <stdbool.h>

#include <jansson.h>

#include "nsd/client.h"

/* Exit statuses (nsdctl(1)). */
#define EXIT_PLAN_FAILED 1 /* the plan failed or was cancelled; nsdd gave an error */
#define EXIT_USAGE       2
#define EXIT_RUN_FAILED  3 /* run: the plan did not complete (CMD's own status otherwise) */

struct ctl {
	const char *socket;
	bool json;
};

extern struct ctl ctl;

struct nsd_client *ctl_connect(void);
/* Calls method and prints nsdd's error in words; 0 or -1. */
int ctl_call(struct nsd_client *c, const char *method, json_t *params, struct nsd_reply *r);
void ctl_print_json(json_t *v);
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Follows a plan's Watch stream to its end; returns the final event kind. */
const char *ctl_follow(struct nsd_client *c, const char *id, long long steps_total);
void ctl_print_event(json_t *ev);

/* A plan file ("-": stdin), checked with nsdd's own parser; NULL if bad. */
json_t *ctl_load_plan(const char *path, int flags);
/* Submit of doc (with listener >= 0); its id, and its steps in *steps. */
char *ctl_submit(struct nsd_client *c, json_t *doc, int listener, long long *steps);

int cmd_submit(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_set(int argc, char **argv);

void progress_start(long long total);
void progress_update(long long applied, const char *task);
void progress_end(void);

#endif
