/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The socket room: server.c and oci.c (the sockets), registry.c, authz.c,
 * api.c. What the rest of nsdd may ask of them.
 */
#ifndef NSDD_SOCKET_H
#define NSDD_SOCKET_H

#include "nsdd.h"

/* --- server.c: the varlink socket; oci.c: the OCI runtimes' one ------ */

/* oci.c: containers' plans are DIR/NAME.json (default /etc/nsdd/oci); it
 * serves runtimes on fd (systemd's socket), or if -1 on path (mode 0600). */
void oci_set_plans(const char *dir);
void oci_listen(int fd, const char *path);
void oci_close(void);

typedef void (*server_dispatch_fn)(struct conn *c, const char *method, json_t *params);

/* A listening socket at path, made with umask mask; fatal on failure, and
 * if a live server answers on path. */
int server_bind(const char *path, mode_t mask);
/* Listens on fd (the socket systemd passed), or if -1 on path. */
int server_listen(int fd, const char *path, unsigned max_conns, server_dispatch_fn dispatch);
void server_close(void);
/* Replies to the call in hand; params is stolen. */
void server_reply(struct conn *c, json_t *params);
void server_error(struct conn *c, const char *error, json_t *params);
bool server_call_more(const struct conn *c);
uid_t server_peer_uid(const struct conn *c);
/* The peer's pid, as SO_PEERCRED gives it: in nsdd's pid namespace. */
pid_t server_peer_pid(const struct conn *c);
gid_t server_peer_gid(const struct conn *c);
/* The peer's primary or supplementary groups (SO_PEERGROUPS) include gid. */
bool server_peer_in_group(const struct conn *c, gid_t gid);
/* Streams the plan's events to the caller (Watch with "more"); with shape,
 * what it makes of each event (NULL: nothing) goes instead (Record). */
typedef json_t *(*watch_shape)(json_t *ev, bool last); /* the message, or NULL */
void server_watch(struct conn *c, struct plan *plan, watch_shape shape);

/* --- registry.c: /run/varlink/registry/io.nsdd.supervisor ------------- */

void registry_add(const char *sock); /* nsdd bound the default socket itself */
void registry_remove(void);

/* --- authz.c: who may ask what ---------------------------------------- */

enum role { ROLE_ROOT, ROLE_MEMBER, ROLE_OTHER };

void authz_set_group(const char *name);
enum role authz_role(const struct conn *c);
/* 0, or PermissionDenied: the client could not ptrace pid, or does not own
 * the user namespace of its pid or IPC namespace. */
int authz_may_trace(const struct conn *c, pid_t pid, struct nsdd_error *e);
bool authz_may_see(const struct conn *c, const struct plan *plan);
/* Whether task who may ptrace target, by the kernel's rule (authz.c). */
bool authz_task_may_ptrace(pid_t who, pid_t target);

/* --- api.c: the methods of io.nsdd.supervisor and org.varlink.service - */

void api_init(void);
void api_dispatch(struct conn *c, const char *method, json_t *params);
/* The parameter of params that spec ("id:s kill:b?", ...) refuses, or NULL. */
const char *api_bad_param(json_t *params, const char *spec);

#endif
