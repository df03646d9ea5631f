/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The varlink socket: listening (our own, or systemd's by socket activation),
 * accepting, framing, and answering each connection's calls in order. A call
 * that streams (Watch with "more") holds back the calls queued behind it.
 * Every limit of protocol.md is checked here before a byte is parsed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "nsd/varlink.h"
#include "nsdd.h"
#include "socket.h"
#include "supervisor.h"

#define MAX_QUEUED_CALLS 64
#define MAX_UNREAD_OUT   (16u << 20)
/* A plan's events go out at most this often, in batches: each write wakes
 * the client, and a restore makes thousands of events a second. */
#define EVENT_PACE_USEC 10000
struct conn {
	TAILQ_ENTRY(conn) entry;
	struct bufferevent *bev;
	struct nsd_rbuf rb;
	struct ucred cred;
	gid_t *groups; /* SO_PEERGROUPS: supplementary groups at connect */
	size_t ngroups;
	watch_shape shape;   /* a Record's Watch: its replies instead of events */
	json_t *queue;       /* calls not yet answered, oldest first */
	size_t queued_bytes; /* what they took on the wire: at most one message's worth */
	json_t *call;        /* the call in hand */
	bool more, oneway;
	bool closing;          /* close once the output is flushed */
	struct watch *watch;   /* a Watch delivering events, or NULL */
	struct event *kick;    /* runs the queue outside of other callbacks */
	struct event *linger;  /* a closing connection's last chance to flush */
	struct event *pace;    /* sends the events held back for a batch */
	struct evbuffer *held; /* those events */
	uint64_t sent_at;      /* when events last went out */
};

static TAILQ_HEAD(, conn) conns = TAILQ_HEAD_INITIALIZER(conns);
static size_t nconns;
static unsigned max_conns = 256;
static struct evconnlistener *listener;
static char *own_path; /* a socket we bound, to unlink on exit */
static server_dispatch_fn dispatch_fn;

static void conn_free(struct conn *c);
static void run_queue(struct conn *c);
static void flush(struct conn *c);

#define LINGER_SEC 5

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg);
}

/* Stops reading; what is left to send gets LINGER_SEC, then the peer is dropped. */
static void
close_soon(struct conn *c)
{
	struct timeval tv = {LINGER_SEC, 0};

	if (c->closing)
		return;
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	flush(c);
	evtimer_add(c->linger, &tv);
}

/* The events held back go out now. */
static void
flush(struct conn *c)
{
	evtimer_del(c->pace);
	c->sent_at = nsdd_mono_usec();
	evbuffer_add_buffer(bufferevent_get_output(c->bev), c->held);
}

static void
pace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

/* A message goes out now, after the events held back; or (paced: an event
 * with more to come) with the next batch: at the loop's next turn if events
 * went out EVENT_PACE_USEC ago or more, with those the same turn brings (a
 * Watch delivers its plan's gathered events in one turn), else once that
 * has passed. */
static void
send_msg(struct conn *c, json_t *msg, bool paced)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len;
	char *buf;

	buf = nsd_varlink_encode(msg, &len);
	json_decref(msg);
	if (buf == NULL) {
		log_warnx("out of memory encoding a reply");
		close_soon(c);
		return;
	}
	paced = paced && !c->closing;
	if (!paced)
		flush(c);
	evbuffer_add(paced ? c->held : out, buf, len);
	free(buf);
	if (paced && !evtimer_pending(c->pace, NULL)) {
		uint64_t since = nsdd_mono_usec() - c->sent_at;
		struct timeval tv = {0, 0};

		if (since < EVENT_PACE_USEC)
			tv.tv_usec = (suseconds_t)(EVENT_PACE_USEC - since);
		evtimer_add(c->pace, &tv);
	}
	if (evbuffer_get_length(out) + evbuffer_get_length(c->held) > MAX_UNREAD_OUT) {
		log_warnx("client pid %d does not read its replies: disconnecting", c->cred.pid);
		evbuffer_drain(out, evbuffer_get_length(out));
		evbuffer_drain(c->held, evbuffer_get_length(c->held));
		close_soon(c);
		event_active(c->kick, EV_TIMEOUT, 0);
	}
}

static void
call_done(struct conn *c)
{
	/* A message of 1 MiB or more was parsed into many small blocks: once
	 * they are freed, malloc gives the memory back rather than keep it. */
	bool big = json_integer_value(json_object_get(c->call, "size")) >= 1024 * 1024;

	json_decref(c->call);
	c->call = NULL;
#ifdef __GLIBC__
	if (big)
		malloc_trim(0);
#endif
	(void)big;
	event_active(c->kick, EV_TIMEOUT, 0);
}

void
server_reply(struct conn *c, json_t *params)
{
	if (!c->oneway)
		send_msg(c, json_pack("{s:o}", "parameters", params ? params : json_object()),
		         false);
	else
		json_decref(params);
	call_done(c);
}

void
server_error(struct conn *c, const char *error, json_t *params)
{
	if (!c->oneway)
		send_msg(c,
		         json_pack("{s:s, s:o}", "error", error, "parameters",
		                   params ? params : json_object()),
		         false);
	else
		json_decref(params);
	call_done(c);
}

bool
server_call_more(const struct conn *c)
{
	return c->more;
}

uid_t
server_peer_uid(const struct conn *c)
{
	return c->cred.uid;
}

pid_t
server_peer_pid(const struct conn *c)
{
	return c->cred.pid;
}

gid_t
server_peer_gid(const struct conn *c)
{
	return c->cred.gid;
}

bool
server_peer_in_group(const struct conn *c, gid_t gid)
{
	size_t i;

	if (c->cred.gid == gid)
		return true;
	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

/* SO_PEERGROUPS (Linux 4.13): ERANGE tells the size needed. */
static void
peer_groups(struct conn *c, int fd)
{
	socklen_t len = 64 * sizeof(gid_t);

	for (int tries = 0; tries < 2; tries++) {
		gid_t *g = realloc(c->groups, len);
		if (g == NULL)
			return;
		c->groups = g;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, c->groups, &len) == 0) {
			c->ngroups = len / sizeof(gid_t);
			return;
		}
		if (errno != ERANGE)
			break;
	}
	c->ngroups = 0;
}

/* One of the plan's events goes to the client; the last one ends the call. */
static bool
watch_cb(void *arg, json_t *ev, bool last)
{
	struct conn *c = arg;
	json_t *msg;

	if (c->closing) {
		json_decref(ev);
		return false;
	}
	if (ev != NULL) {
		msg = c->shape ? c->shape(ev, last)
		               : json_pack("{s:{s:o}}", "parameters", "event", ev);
		if (!last && msg != NULL)
			json_object_set_new(msg, "continues", json_true());
		if (msg != NULL)
			send_msg(c, msg, !last);
	}
	if (last) {
		c->watch = NULL; /* ended by the plan room */
		call_done(c);
	}
	return true;
}

void
server_watch(struct conn *c, struct plan *plan, watch_shape shape)
{
	c->shape = shape;
	c->watch = plan_watch(plan, watch_cb, c);
	plan_watch_resume(c->watch);
}

static void
protocol_error(struct conn *c, const char *what)
{
	log_warnx("client pid %d: %s: disconnecting", c->cred.pid, what);
	close_soon(c);
}

/*
 * Parses one message into the queue as {"call": CALL} or, for a message
 * whose only fault is a duplicate key, {"call": CALL, "duplicate": WHY}: a
 * plan with duplicate keys is answered InvalidPlan in its turn, not dropped.
 * The wrapper is nsdd's own; nothing in it comes from the client unparsed.
 */
static void
take_message(struct conn *c, const char *msg, size_t len)
{
	json_t *call = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL), *item;
	json_error_t err;

	if (call == NULL) {
		/* Parse again to tell a duplicate key from bytes that are not JSON. */
		json_decref(json_loadb(msg, len, JSON_REJECT_DUPLICATES, &err));
		if (json_error_code(&err) == json_error_duplicate_key)
			call = json_loadb(msg, len, 0, NULL);
		if (!json_is_object(call)) {
			json_decref(call);
			protocol_error(c, "a message that is not a JSON object");
			return;
		}
		item = json_pack("{s:o, s:s}", "call", call, "duplicate", err.text);
	} else if (!json_is_object(call)) {
		json_decref(call);
		protocol_error(c, "a message that is not a JSON object");
		return;
	} else {
		item = json_pack("{s:o}", "call", call);
	}
	if (item == NULL) {
		protocol_error(c, "out of memory");
		return;
	}
	/* pump() keeps the queue within its limits; the size goes with the call. */
	json_object_set_new(item, "size", json_integer((json_int_t)len));
	c->queued_bytes += len;
	json_array_append_new(c->queue, item);
}

static void
dispatch(struct conn *c, json_t *item)
{
	json_t *call = json_object_get(item, "call");
	const char *method = json_string_value(json_object_get(call, "method"));
	json_t *params = json_object_get(call, "parameters");
	const char *dup = json_string_value(json_object_get(item, "duplicate"));

	c->call = item;
	c->more = json_is_true(json_object_get(call, "more"));
	c->oneway = json_is_true(json_object_get(call, "oneway"));
	if (method == NULL) {
		server_error(c, "org.varlink.service.InvalidParameter",
		             json_pack("{s:s}", "parameter", "method"));
		return;
	}
	if (dup != NULL) {
		if (strcmp(method, "io.nsdd.supervisor.Submit") == 0)
			server_error(c, "io.nsdd.supervisor.InvalidPlan",
			             json_pack("{s:s, s:s}", "path", "$", "reason", dup));
		else
			server_error(c, "org.varlink.service.InvalidParameter",
			             json_pack("{s:s}", "parameter", dup));
		return;
	}
	/* The varlink project's own Go library sends "parameters": null for a
	 * call without parameters; systemd's and others read it as {}. */
	if (params == NULL || json_is_null(params)) {
		params = json_object();
		json_object_set_new(call, "parameters", params);
	}
	if (!json_is_object(params)) {
		server_error(c, "org.varlink.service.InvalidParameter",
		             json_pack("{s:s}", "parameter", "parameters"));
		return;
	}
	dispatch_fn(c, method, params);
}

static void pump(struct conn *c);

static void
run_queue(struct conn *c)
{
	size_t before;

	do {
		while (!c->closing && c->call == NULL && c->watch == NULL &&
		       json_array_size(c->queue) > 0) {
			json_t *call = json_incref(json_array_get(c->queue, 0));
			json_array_remove(c->queue, 0);
			c->queued_bytes -=
			    (size_t)json_integer_value(json_object_get(call, "size"));
			dispatch(c, call);
		}
		if (c->closing || c->call != NULL || c->watch != NULL)
			break;
		before = json_array_size(c->queue);
		pump(c); /* calls held back by the queue limit */
	} while (json_array_size(c->queue) > before);
	if (c->closing && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		conn_free(c);
}

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_queue(arg);
}

/* The queue holds at most 64 calls and at most one maximal message's bytes:
 * behind a streaming Watch, 64 calls of 16 MiB each would otherwise pile up. */
static bool
queue_full(const struct conn *c)
{
	return json_array_size(c->queue) >= MAX_QUEUED_CALLS ||
	       c->queued_bytes >= NSD_VARLINK_MAX_MESSAGE;
}

/* Moves whole messages into the queue while it has room. With 64 calls
 * queued the socket is not read (backpressure): the peer's sends block and
 * nothing it sent is lost or answered out of order. */
static void
pump(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	char chunk[4096], *msg;
	size_t len;
	int n, rc;

	while (!c->closing && !queue_full(c)) {
		rc = nsd_rbuf_next(&c->rb, &msg, &len);
		if (rc < 0) {
			send_msg(c,
			         json_pack("{s:s, s:{s:s, s:I}}", "error",
			                   "io.nsdd.supervisor.LimitExceeded", "parameters", "what",
			                   "message size", "limit",
			                   (json_int_t)NSD_VARLINK_MAX_MESSAGE),
			         false);
			protocol_error(c, "message too large");
			return;
		}
		if (rc > 0) {
			take_message(c, msg, len);
			continue;
		}
		if ((n = evbuffer_remove(in, chunk, sizeof(chunk))) <= 0)
			break;
		if (nsd_rbuf_append(&c->rb, chunk, (size_t)n) < 0) {
			protocol_error(c, "out of memory");
			return;
		}
	}
	if (c->closing)
		return;
	if (queue_full(c))
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	pump(c);
	run_queue(c);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->closing)
		conn_free(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(arg);
}

static void
conn_free(struct conn *c)
{
	if (c->watch != NULL)
		plan_unwatch(c->watch);
	TAILQ_REMOVE(&conns, c, entry);
	nconns--;
	bufferevent_free(c->bev);
	event_free(c->kick);
	event_free(c->linger);
	event_free(c->pace);
	evbuffer_free(c->held);
	nsd_rbuf_free(&c->rb);
	json_decref(c->queue);
	json_decref(c->call);
	free(c->groups);
	free(c);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	socklen_t credlen = sizeof(struct ucred);
	struct conn *c;

	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	if (nconns >= max_conns) {
		static const char msg[] = "{\"error\":\"io.nsdd.supervisor.LimitExceeded\","
		                          "\"parameters\":{\"what\":\"connections\",\"limit\":";
		char buf[sizeof(msg) + 32];
		int n = snprintf(buf, sizeof(buf), "%s%u}}", msg, max_conns);
		if (send(fd, buf, (size_t)n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* The peer learns it from the close. */
		}
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL || (c->queue = json_array()) == NULL ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &credlen) < 0) {
		free(c);
		close(fd);
		return;
	}
	peer_groups(c, fd);
	nsd_rbuf_init(&c->rb, NSD_VARLINK_MAX_MESSAGE);
	c->bev = bufferevent_socket_new(nsdd_base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->kick = event_new(nsdd_base, -1, 0, kick_cb, c);
	c->linger = evtimer_new(nsdd_base, linger_cb, c);
	c->pace = evtimer_new(nsdd_base, pace_cb, c);
	c->held = evbuffer_new();
	if (c->bev == NULL || c->kick == NULL || c->linger == NULL || c->pace == NULL ||
	    c->held == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->kick != NULL)
			event_free(c->kick);
		if (c->linger != NULL)
			event_free(c->linger);
		if (c->pace != NULL)
			event_free(c->pace);
		if (c->held != NULL)
			evbuffer_free(c->held);
		json_decref(c->queue);
		free(c->groups);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&conns, c, entry);
	nconns++;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

int
server_listen(int fd, const char *path, unsigned maxc, server_dispatch_fn fn)
{
	max_conns = maxc;
	dispatch_fn = fn;
#ifdef HAVE_SYSTEMD
	if (fd >= 0) {
		if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
			fatalx("the socket systemd passed is not a listening Unix stream socket");
		evutil_make_socket_nonblocking(fd);
		log_info("listening on the socket systemd passed");
	}
#endif
	if (fd < 0) {
		fd = server_bind(path, 0117);
		own_path = strdup(path);
		log_info("listening on %s", path);
	}
	listener = evconnlistener_new(nsdd_base, accept_cb, NULL,
	                              LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (listener == NULL)
		fatalx("cannot listen on the socket");
	return 0;
}

void
server_close(void)
{
	if (listener != NULL) {
		evconnlistener_free(listener);
		listener = NULL;
	}
	if (own_path != NULL) {
		unlink(own_path);
		free(own_path);
		own_path = NULL;
	}
}
