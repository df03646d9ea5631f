/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the plan-v1 parser, on any bytes a client may send. */
#include <stddef.h>
#include <stdint.h>

#include "nsd/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsd_plan_error err;
	struct nsd_plan *plan;

	if (nsd_plan_parse((const char *)data, size, 0, &plan, &err) == 0)
		nsd_plan_free(plan);
	if (nsd_plan_parse((const char *)data, size, NSD_PLAN_REQUIRE_TARGET, &plan, &err) == 0)
		nsd_plan_free(plan);
	return 0;
}
