/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A varlink method's parameters checked against its spec ("id:s kill:b?"). */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <string.h>

#include "daemon/nsdd.h"
#include "daemon/socket.h"
#include "tests/unit/run.h"

static const struct {
	const char *spec;
	const char *params; /* JSON */
	const char *bad;    /* the parameter refused, or NULL */
} cases[] = {
    {"", "{}", NULL},
    {"", "{\"x\": 1}", "x"},
    {"id:s", "{\"id\": \"ab\"}", NULL},
    {"id:s", "{}", "id"},
    {"id:s", "{\"id\": null}", "id"},
    {"id:s", "{\"id\": 5}", "id"},
    {"id:s", "{\"id\": \"ab\", \"i\": 1}", "i"},     /* a prefix of a name is not it */
    {"id:s", "{\"id\": \"ab\", \"ids\": 1}", "ids"}, /* nor is a longer name */
    {"id:s kill:b?", "{\"id\": \"ab\"}", NULL},
    {"id:s kill:b?", "{\"id\": \"ab\", \"kill\": null}", NULL},
    {"id:s kill:b?", "{\"id\": \"ab\", \"kill\": true}", NULL},
    {"id:s kill:b?", "{\"id\": \"ab\", \"kill\": 1}", "kill"},
    {"id:s kill:b?", "{\"kill\": false}", "id"},
    {"id:s kill:b?", "{\"id\": \"ab\", \"ill\": 1}", "ill"}, /* a suffix of a name is not it */
    {"id:s", "{\"id\": \"ab\", \"\": 1}", ""},               /* the fuzzer's hang */
    {"tid:i value:s", "{\"tid\": 0, \"value\": \"LONG1 5\"}", NULL},
    {"tid:i value:s", "{\"tid\": 1.5, \"value\": \"LONG1 5\"}", "tid"},
    {"tid:i value:s", "{\"tid\": 1}", "value"},
    {"plan:o", "{\"plan\": {}}", NULL},
    {"plan:o", "{\"plan\": []}", "plan"},
    {"plan:o", "{\"plan\": \"{}\"}", "plan"},
};

START_TEST(test_case)
{
	json_t *params = json_loads(cases[_i].params, 0, NULL);
	const char *bad;

	ck_assert_ptr_nonnull(params);
	bad = api_bad_param(params, cases[_i].spec);
	if (cases[_i].bad == NULL)
		ck_assert_msg(bad == NULL, "%s with %s: refused %s", cases[_i].spec,
		              cases[_i].params, bad);
	else
		ck_assert_msg(bad != NULL && strcmp(bad, cases[_i].bad) == 0,
		              "%s with %s: refused %s, not %s", cases[_i].spec, cases[_i].params,
		              bad ? bad : "nothing", cases[_i].bad);
	json_decref(params);
}
END_TEST

/* "parameters" left out or null: a method with no required parameter takes it. */
START_TEST(test_no_params)
{
	ck_assert_ptr_null(api_bad_param(NULL, ""));
	ck_assert_ptr_null(api_bad_param(NULL, "kill:b?"));
	ck_assert_str_eq(api_bad_param(NULL, "id:s"), "id");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("params");
	TCase *tc = tcase_create("params");

	tcase_add_loop_test(tc, test_case, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_no_params);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
