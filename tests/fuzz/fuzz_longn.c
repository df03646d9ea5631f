/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: SetNext's "LONGn v1 ... vn" parser. */
#include <stddef.h>
#include <stdint.h>

#include "nsd/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t values[NSD_MAX_LEVELS];
	char why[160];
	size_t n;

	nsd_longn_parse((const char *)data, size, values, NSD_MAX_LEVELS, &n, why, sizeof(why));
	return 0;
}
