/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The end of every unit test's main(): run the suite, exit with its verdict. */
#ifndef NSD_TESTS_UNIT_RUN_H
#define NSD_TESTS_UNIT_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int
run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
