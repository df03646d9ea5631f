/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The "LONGn v1 ... vn" syntax of next_syscall_data, exactly. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "nsd/plan.h"
#include "tests/unit/run.h"

static const struct {
	const char *text;
	size_t n;
	int64_t v[3];
} good[] = {
    {"LONG1 42", 1, {42}},
    {"LONG1 42\n", 1, {42}},
    {"LONG1 0", 1, {0}},
    {"LONG1 -1", 1, {-1}},
    {"LONG3 5 301 4000", 3, {5, 301, 4000}},
    {"LONG1 9223372036854775807", 1, {INT64_MAX}},
    {"LONG1 -9223372036854775808", 1, {INT64_MIN}},
};

static const char *const bad[] = {
    "",           "LONG",      "LONG1",     "LONG1 ",       "long1 42",
    "LONG0",      "LONG1  42", "LONG1 42 ", "LONG1 42\n\n", "LONG1 +42",
    "LONG1 042",  "LONG01 42", "LONG2 1",   "LONG1 1 2",    "LONG1 4x",
    "LONG1 0x10", "LONG-1 5",  "LONG1\t42", " LONG1 42",    "LONG1 9223372036854775808",
    "LONG33 1",   "LONG1 -",   "LONG1 --1", "LONG1 42\r\n",
};

START_TEST(test_good)
{
	int64_t v[32];
	char why[128];
	size_t n, i;

	ck_assert_msg(
	    nsd_longn_parse(good[_i].text, strlen(good[_i].text), v, 32, &n, why, sizeof(why)) == 0,
	    "rejected '%s': %s", good[_i].text, why);
	ck_assert_uint_eq(n, good[_i].n);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(v[i], good[_i].v[i]);
}
END_TEST

START_TEST(test_bad)
{
	int64_t v[32];
	char why[128] = "";
	size_t n = 99;

	ck_assert_msg(nsd_longn_parse(bad[_i], strlen(bad[_i]), v, 32, &n, why, sizeof(why)) < 0,
	              "accepted '%s'", bad[_i]);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(why[0] != '\0', "no reason for '%s'", bad[_i]);
}
END_TEST

START_TEST(test_embedded_nul)
{
	int64_t v[32];
	char why[128];
	size_t n;

	ck_assert_int_lt(nsd_longn_parse("LONG1 4\0"
	                                 "2",
	                                 9, v, 32, &n, why, sizeof(why)),
	                 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("longn");
	TCase *tc = tcase_create("longn");

	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_embedded_nul);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
