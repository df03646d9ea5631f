/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small blocking varlink client for io.nsdd.supervisor, used by nsdctl and
 * by restorers written in C.
 */
#ifndef NSD_CLIENT_H
#define NSD_CLIENT_H

#include <stdbool.h>

#include <jansson.h>

#define NSD_INTERFACE      "io.nsdd.supervisor"
#define NSD_DEFAULT_SOCKET "/run/nsdd/io.nsdd.supervisor"

struct nsd_client;

struct nsd_reply {
	json_t *root;
	const char *error;  /* error name, or NULL */
	json_t *parameters; /* borrowed from root; never NULL after a read */
	bool continues;
};

/* $NSDD_SOCKET if set, else the default socket path. */
const char *nsd_socket_path(void);

/* Connects to path (NULL: nsd_socket_path()). NULL with errno on failure. */
struct nsd_client *nsd_client_connect(const char *path);
void nsd_client_close(struct nsd_client *c);
int nsd_client_fd(const struct nsd_client *c);

#define NSD_CALL_MORE 0x1

/* Sends one call; params may be NULL. -1 with errno on failure. */
int nsd_client_send(struct nsd_client *c, const char *method, json_t *params, int flags);

/* Reads one reply. -1 with errno (EPROTO: not varlink, ECONNRESET: closed). */
int nsd_client_read(struct nsd_client *c, struct nsd_reply *reply);

/* Whether a whole reply is buffered already: the next nsd_client_read()
 * will not wait for the socket (a client flushes its output before it may
 * wait: nsdd sends events in batches). */
bool nsd_client_buffered(const struct nsd_client *c);

/* Sends a call and reads its one reply. */
int nsd_client_call(struct nsd_client *c, const char *method, json_t *params,
                    struct nsd_reply *reply);

void nsd_reply_clear(struct nsd_reply *reply);
/* Check's problems, one "  task T step N (call): reason" line each. */
char *nsd_problems_text(json_t *problems);

/* A one-line description of an error reply, in words; malloc'd. */
char *nsd_reply_describe(const struct nsd_reply *reply);

#endif
