/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink framing: NUL-terminated JSON messages on a byte stream. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nsd/varlink.h"

void
nsd_rbuf_init(struct nsd_rbuf *rb, size_t max)
{
	memset(rb, 0, sizeof(*rb));
	rb->max = max;
}

void
nsd_rbuf_free(struct nsd_rbuf *rb)
{
	free(rb->data);
	nsd_rbuf_init(rb, rb->max);
}

int
nsd_rbuf_append(struct nsd_rbuf *rb, const void *bytes, size_t n)
{
	if (rb->start > 0) {
		memmove(rb->data, rb->data + rb->start, rb->len - rb->start);
		rb->len -= rb->start;
		rb->start = 0;
	}
	if (n > rb->cap - rb->len) {
		size_t cap = rb->cap ? rb->cap : 4096;
		char *p;
		while (cap - rb->len < n) {
			if (cap > ((size_t)-1) / 2) {
				errno = ENOMEM;
				return -1;
			}
			cap *= 2;
		}
		if ((p = realloc(rb->data, cap)) == NULL)
			return -1;
		rb->data = p;
		rb->cap = cap;
	}
	memcpy(rb->data + rb->len, bytes, n);
	rb->len += n;
	return 0;
}

int
nsd_rbuf_next(struct nsd_rbuf *rb, char **msg, size_t *len)
{
	size_t avail = rb->len - rb->start;
	char *nul;

	nul = avail > rb->scanned
	          ? memchr(rb->data + rb->start + rb->scanned, '\0', avail - rb->scanned)
	          : NULL;
	if (nul == NULL) {
		rb->scanned = avail;
		if (avail > rb->max) {
			errno = EMSGSIZE;
			return -1;
		}
		return 0;
	}
	*msg = rb->data + rb->start;
	*len = (size_t)(nul - *msg);
	if (*len > rb->max) {
		errno = EMSGSIZE;
		return -1;
	}
	rb->start += *len + 1;
	rb->scanned = 0;
	return 1;
}

size_t
nsd_rbuf_pending(const struct nsd_rbuf *rb)
{
	return rb->len - rb->start;
}

char *
nsd_varlink_encode(const json_t *msg, size_t *len)
{
	char first[4096], *buf;
	/* One pass where the message fits (an event, most replies): jansson
	 * encodes as it sizes, so a pass to size it first doubles the cost. */
	size_t n = json_dumpb(msg, first, sizeof(first), JSON_COMPACT);

	if (n == 0 || (buf = malloc(n + 1)) == NULL)
		return NULL;
	if (n <= sizeof(first))
		memcpy(buf, first, n);
	else if (json_dumpb(msg, buf, n, JSON_COMPACT) != n) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n + 1;
	return buf;
}
