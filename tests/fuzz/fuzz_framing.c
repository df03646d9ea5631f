/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: varlink framing as nsdd runs it. The first byte picks
 * the chunk size the bytes arrive in; every whole message is parsed as nsdd
 * parses a call (strict JSON, an object, a string method).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "nsd/varlink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsd_rbuf rb;
	size_t chunk, off, len;
	char *msg;
	int rc;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] % 17 + 1;
	nsd_rbuf_init(&rb, 4096); /* a small limit, to reach the oversize path */
	for (off = 1; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (nsd_rbuf_append(&rb, data + off, n) < 0)
			break;
		while ((rc = nsd_rbuf_next(&rb, &msg, &len)) == 1) {
			json_t *call = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL);
			if (json_is_object(call))
				(void)json_string_value(json_object_get(call, "method"));
			json_decref(call);
		}
		if (rc < 0)
			break;
	}
	nsd_rbuf_free(&rb);
	return 0;
}
