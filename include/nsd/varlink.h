/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * varlink framing (https://varlink.org): each message is one JSON object
 * followed by a NUL byte. nsd_rbuf collects bytes from a stream and hands out
 * whole messages, never holding more than `max` bytes of one message.
 */
#ifndef NSD_VARLINK_H
#define NSD_VARLINK_H

#include <stddef.h>

#include <jansson.h>

#define NSD_VARLINK_MAX_MESSAGE (16u << 20)

struct nsd_rbuf {
	char *data;
	size_t len; /* bytes held */
	size_t cap;
	size_t start;   /* first byte not yet handed out */
	size_t scanned; /* bytes from start known to hold no NUL */
	size_t max;     /* largest message, NUL excluded */
};

void nsd_rbuf_init(struct nsd_rbuf *rb, size_t max);
void nsd_rbuf_free(struct nsd_rbuf *rb);

/* Appends bytes; -1 with errno ENOMEM. */
int nsd_rbuf_append(struct nsd_rbuf *rb, const void *bytes, size_t n);

/*
 * Hands out the next whole message (without its NUL, NUL-terminated in place):
 * returns 1 and sets *msg and *len; 0 when more bytes are needed; -1 with
 * errno EMSGSIZE when the message would exceed max. *msg stays valid until the
 * next call on rb.
 */
int nsd_rbuf_next(struct nsd_rbuf *rb, char **msg, size_t *len);

/* Bytes held that belong to no complete message yet. */
size_t nsd_rbuf_pending(const struct nsd_rbuf *rb);

/* Encodes msg as one frame (compact JSON + NUL). Returns malloc'd bytes. */
char *nsd_varlink_encode(const json_t *msg, size_t *len);

#endif
