/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every rule of plan-v1.md: valid plans parse, invalid ones name the path. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "nsd/plan.h"
#include "tests/unit/run.h"

static struct nsd_plan *
parse_ok(const char *text, int flags)
{
	struct nsd_plan_error err;
	struct nsd_plan *plan = NULL;

	if (nsd_plan_parse(text, strlen(text), flags, &plan, &err) < 0)
		ck_abort_msg("valid plan rejected: %s: %s\n%s", err.path, err.reason, text);
	return plan;
}

static const struct bad {
	const char *json;
	const char *path;
	const char *reason; /* a substring of the reason */
} bad[] = {
    {"[]", "$", "a plan is a JSON object"},
    {"{\"tasks\":{}}", "$.version", "required member is missing"},
    {"{\"version\":2,\"tasks\":{}}", "$.version", "unsupported version 2"},
    {"{\"version\":\"1\",\"tasks\":{}}", "$.version", "must be an integer"},
    {"{\"version\":1.0,\"tasks\":{}}", "$.version", "must be an integer"},
    {"{\"version\":1}", "$.tasks", "required member is missing"},
    {"{\"version\":1,\"tasks\":{},\"taks\":{}}", "$.taks", "unknown member"},
    {"{\"version\":1,\"tasks\":[]}", "$.tasks", "must be an object"},
    {"{\"version\":1,\"name\":\"a b\",\"tasks\":{}}", "$.name", "[A-Za-z0-9._-]{1,64}"},
    {"{\"version\":1,\"name\":\"\",\"tasks\":{}}", "$.name", "[A-Za-z0-9._-]{1,64}"},
    {"{\"version\":1,\"target\":5,\"tasks\":{}}", "$.target", "must be an object"},
    {"{\"version\":1,\"target\":{},\"tasks\":{}}", "$.target.pid", "required member"},
    {"{\"version\":1,\"target\":{\"pid\":0},\"tasks\":{}}", "$.target.pid", "out of range"},
    {"{\"version\":1,\"target\":{\"pid\":1,\"uid\":0},\"tasks\":{}}", "$.target.uid",
     "unknown member"},
    {"{\"version\":1,\"target\":{\"pid\":1,\"start_time\":-1},\"tasks\":{}}", "$.target.start_time",
     "out of range"},
    {"{\"version\":1,\"mode\":\"strace\",\"tasks\":{}}", "$.mode",
     "must be one of ptrace, seccomp"},
    {"{\"version\":1,\"on_failure\":\"panic\",\"tasks\":{}}", "$.on_failure", "detach, kill"},
    {"{\"version\":1,\"strict\":1,\"tasks\":{}}", "$.strict", "must be a boolean"},
    {"{\"version\":1,\"timeout_ms\":0,\"tasks\":{}}", "$.timeout_ms", "out of range 1..86400000"},
    {"{\"version\":1,\"timeout_ms\":86400001,\"tasks\":{}}", "$.timeout_ms", "out of range"},
    {"{\"version\":1,\"tasks\":{\"leader\":[]}}", "$.tasks.leader", "\"target\" or a decimal pid"},
    {"{\"version\":1,\"tasks\":{\"0400\":[]}}", "$.tasks.0400", "decimal pid"},
    {"{\"version\":1,\"tasks\":{\"4194305\":[]}}", "$.tasks.4194305", "decimal pid"},
    {"{\"version\":1,\"tasks\":{\"a b\":[]}}", "$.tasks[\"a b\"]", "decimal pid"},
    {"{\"version\":1,\"tasks\":{\"target\":{}}}", "$.tasks.target", "must be an array"},
    {"{\"version\":1,\"tasks\":{\"target\":[5]}}", "$.tasks.target[0]", "a step must be an object"},
    {"{\"version\":1,\"tasks\":{\"target\":[{}]}}", "$.tasks.target[0].call", "required member"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"spawn\"}]}}", "$.tasks.target[0].call",
     "unknown call 'spawn'"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"fork\"}]}}", "$.tasks.target[0].pid",
     "required member"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"fork\",\"pid\":0}]}}",
     "$.tasks.target[0].pid", "0 is out of range 1..4194304"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"fork\",\"pid\":4194305}]}}",
     "$.tasks.target[0].pid", "out of range"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"fork\",\"pid\":[]}]}}",
     "$.tasks.target[0].pid", "at least one pid"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"fork\",\"pid\":[1,\"2\"]}]}}",
     "$.tasks.target[0].pid[1]", "must be an integer"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"fork\",\"pid\":[1,2,3,4,5,6,7,8,9,10,11,12,"
     "13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33]}]}}",
     "$.tasks.target[0].pid", "at most 32 pid namespace levels"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"thread\",\"pid\":[5]}]}}",
     "$.tasks.target[0].pid", "a thread has one tid"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"fork\",\"pid\":5,\"fd\":3}]}}",
     "$.tasks.target[0].fd", "unknown member"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"msgget\"}]}}", "$.tasks.target[0].id",
     "required member"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"semget\",\"id\":-1}]}}",
     "$.tasks.target[0].id", "out of range 0..2147483647"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"shmget\",\"id\":1,\"key\":4294967296}]}}",
     "$.tasks.target[0].key", "out of range"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"open\",\"fd\":1048576}]}}",
     "$.tasks.target[0].fd", "out of range 0..1048575"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"open\",\"fd\":3,\"path\":\"\"}]}}",
     "$.tasks.target[0].path", "1 to 4095 bytes"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"open\",\"fd\":3,\"replace\":\"yes\"}]}}",
     "$.tasks.target[0].replace", "must be a boolean"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"msgctl\",\"id\":1,\"set\":[]}]}}",
     "$.tasks.target[0].set", "must be an object"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"msgctl\",\"id\":1,\"set\":{\"atime\":1}}]}"
     "}",
     "$.tasks.target[0].set.atime", "msgctl cannot set it"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"shmctl\",\"id\":1,\"set\":{\"qbytes\":1}}]}"
     "}",
     "$.tasks.target[0].set.qbytes", "shmctl cannot set it"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"semctl\",\"id\":1,\"set\":{\"sempid\":5}}]}"
     "}",
     "$.tasks.target[0].set.sempid", "array of pids"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"semctl\",\"id\":1,\"set\":{\"sempid\":[1,-"
     "2]}}]}}",
     "$.tasks.target[0].set.sempid[1]", "out of range"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"msgctl\",\"id\":1,\"set\":{\"lspid\":"
     "4194305}}]}}",
     "$.tasks.target[0].set.lspid", "out of range"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"any\"}]}}", "$.tasks.target[0].value",
     "required member"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"fork\",\"pid\":5},{\"call\":\"thread\","
     "\"pid\":5}]}}",
     "$.tasks.target[1].pid", "pid 5 is already claimed by $.tasks.target[0]"},
    {"{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"msgget\",\"id\":7},{\"call\":\"msgget\","
     "\"id\":7}]}}",
     "$.tasks.target[1].id", "IPC id 7 is already claimed"},
    {"{\"version\":1,\"tasks\":{\"target\":[],\"4000\":[]}}", "$.tasks.4000",
     "no fork or thread step creates task 4000"},
    {"{\"version\":1,\"tasks\":{\"10\":[{\"call\":\"fork\",\"pid\":11}],\"11\":[{\"call\":\"fork\","
     "\"pid\":10}]}}",
     "$.tasks.10", "created by its own descendant"},
    {"{\"version\":1,\"tasks\":{\"10\":[{\"call\":\"fork\",\"pid\":10}]}}", "$.tasks.10",
     "created by its own descendant"},
    {"{\"version\":1,\"version\":1,\"tasks\":{}}", "$", "duplicate object key"},
    {"{\"version\":1,\"tasks\":{}", "$", "line 1"},
};

START_TEST(test_bad)
{
	const struct bad *b = &bad[_i];
	struct nsd_plan_error err;
	struct nsd_plan *plan = NULL;

	ck_assert_msg(nsd_plan_parse(b->json, strlen(b->json), 0, &plan, &err) < 0, "accepted: %s",
	              b->json);
	ck_assert_ptr_null(plan);
	ck_assert_str_eq(err.path, b->path);
	ck_assert_msg(strstr(err.reason, b->reason) != NULL, "reason '%s' lacks '%s' for %s",
	              err.reason, b->reason, b->json);
}
END_TEST

START_TEST(test_example)
{
	/* The example of plan-v1.md, verbatim. */
	struct nsd_plan *p = parse_ok(
	    "{\"version\": 1, \"name\": \"web-42\", \"target\": { \"pid\": 5120 },"
	    " \"mode\": \"ptrace\", \"on_failure\": \"detach\", \"timeout_ms\": 60000,"
	    " \"tasks\": { \"target\": ["
	    " { \"call\": \"msgget\", \"id\": 98304, \"key\": 4660 },"
	    " { \"call\": \"fork\", \"pid\": 4000 },"
	    " { \"call\": \"open\", \"fd\": 7, \"path\": \"/var/log/app.log\" },"
	    " { \"call\": \"msgctl\", \"id\": 98304,"
	    "   \"set\": { \"qbytes\": 32768, \"stime\": 1215508000, \"lspid\": 4000 } } ],"
	    " \"4000\": [ { \"call\": \"thread\", \"pid\": 4001 }, { \"call\": \"open\", \"fd\": 3 "
	    "} ] } }",
	    NSD_PLAN_REQUIRE_TARGET);
	ssize_t t = nsd_plan_task_index(p, "target"), c = nsd_plan_task_index(p, "4000");

	ck_assert_str_eq(p->name, "web-42");
	ck_assert_int_eq(p->target_pid, 5120);
	ck_assert_int_eq(p->timeout_ms, 60000);
	ck_assert_int_eq(p->nsteps, 6);
	ck_assert_int_ge(t, 0);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(p->tasks[c].pid, 4000);
	ck_assert_int_eq(p->tasks[c].creator, t);
	ck_assert_int_eq(p->tasks[c].creator_step, 1);
	ck_assert_int_eq(p->tasks[t].steps[0].call, NSD_CALL_MSGGET);
	ck_assert(p->tasks[t].steps[0].has_key);
	ck_assert_int_eq(p->tasks[t].steps[0].key, 4660);
	ck_assert_str_eq(p->tasks[t].steps[2].path, "/var/log/app.log");
	ck_assert_int_eq(p->tasks[t].steps[3].set->mask,
	                 (1u << NSD_SET_QBYTES) | (1u << NSD_SET_STIME) | (1u << NSD_SET_LSPID));
	ck_assert_int_eq(p->tasks[t].steps[3].set->value[NSD_SET_LSPID], 4000);
	ck_assert_int_eq(p->tasks[c].steps[0].call, NSD_CALL_THREAD);
	nsd_plan_free(p);
}
END_TEST

START_TEST(test_valid_forms)
{
	struct nsd_plan *p;

	p = parse_ok("{\"version\":1,\"tasks\":{}}", 0);
	ck_assert_int_eq(p->ntasks, 0);
	ck_assert_int_eq(p->mode, NSD_MODE_PTRACE);
	ck_assert_int_eq(p->on_failure, NSD_ON_FAILURE_DETACH);
	ck_assert(!p->strict);
	nsd_plan_free(p);

	p = parse_ok(
	    "{\"version\":1,\"mode\":\"seccomp\",\"on_failure\":\"kill\",\"strict\":true,"
	    "\"tasks\":{\"target\":[{\"call\":\"fork\",\"pid\":[1,300,4194304]}],"
	    "\"1\":[{\"call\":\"any\",\"value\":9},{\"call\":\"shmget\",\"id\":0,"
	    "\"key\":4294967295},{\"call\":\"semctl\",\"id\":3,\"set\":{\"sempid\":[1,0,2]}}]}}",
	    0);
	ck_assert_int_eq(p->mode, NSD_MODE_SECCOMP);
	ck_assert_int_eq(p->on_failure, NSD_ON_FAILURE_KILL);
	ck_assert(p->strict);
	ck_assert_int_eq(p->tasks[0].steps[0].npids, 3);
	ck_assert_int_eq(p->tasks[0].steps[0].pids[2], 4194304);
	ck_assert_int_eq(p->tasks[1].steps[1].key, -1); /* key_t 0xffffffff */
	ck_assert_int_eq(p->tasks[1].steps[2].set->nsempid, 3);
	nsd_plan_free(p);

	/* The same IPC id in different kinds is allowed. */
	p = parse_ok("{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"msgget\",\"id\":1},"
	             "{\"call\":\"semget\",\"id\":1},{\"call\":\"shmget\",\"id\":1}]}}",
	             0);
	nsd_plan_free(p);
}
END_TEST

START_TEST(test_require_target)
{
	struct nsd_plan_error err;
	struct nsd_plan *p;
	const char *t = "{\"version\":1,\"tasks\":{}}";

	ck_assert_int_lt(nsd_plan_parse(t, strlen(t), NSD_PLAN_REQUIRE_TARGET, &p, &err), 0);
	ck_assert_str_eq(err.path, "$.target");
}
END_TEST

START_TEST(test_limits)
{
	/* 65537 tasks: over the limit, refused before anything else is built. */
	size_t n = 65537, i, cap = n * 32 + 64, len = 0;
	char *text = malloc(cap);
	struct nsd_plan_error err;
	struct nsd_plan *p;

	len += (size_t)snprintf(text + len, cap - len, "{\"version\":1,\"tasks\":{");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s\"%zu\":[]", i ? "," : "", i + 1);
	len += (size_t)snprintf(text + len, cap - len, "}}");
	ck_assert_int_lt(nsd_plan_parse(text, len, 0, &p, &err), 0);
	ck_assert_str_eq(err.path, "$.tasks");
	ck_assert_ptr_nonnull(strstr(err.reason, "at most 65536"));
	free(text);
}
END_TEST

START_TEST(test_big_tree)
{
	/* A chain of 20000 forks parses in time: lookups are not quadratic. */
	size_t n = 20000, i, cap = n * 64 + 64, len = 0;
	char *text = malloc(cap);
	struct nsd_plan_error err;
	struct nsd_plan *p;

	len += (size_t)snprintf(
	    text + len, cap - len,
	    "{\"version\":1,\"tasks\":{\"target\":[{\"call\":\"fork\",\"pid\":2}]");
	for (i = 2; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
		                        ",\"%zu\":[{\"call\":\"fork\",\"pid\":%zu}]", i, i + 1);
	len += (size_t)snprintf(text + len, cap - len, "}}");
	ck_assert_msg(nsd_plan_parse(text, len, 0, &p, &err) == 0, "%s: %s", err.path, err.reason);
	ck_assert_int_eq(p->ntasks, n - 1);
	nsd_plan_free(p);
	free(text);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");

	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_example);
	tcase_add_test(tc, test_valid_forms);
	tcase_add_test(tc, test_require_target);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_big_tree);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
