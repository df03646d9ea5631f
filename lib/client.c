/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Blocking varlink client calls over a Unix stream socket. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nsd/client.h"
#include "nsd/varlink.h"

struct nsd_client {
	int fd;
	struct nsd_rbuf rb;
};

const char *
nsd_socket_path(void)
{
	const char *p = getenv("NSDD_SOCKET");

	return p != NULL && *p != '\0' ? p : NSD_DEFAULT_SOCKET;
}

struct nsd_client *
nsd_client_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct nsd_client *c;
	int e;

	if (path == NULL)
		path = nsd_socket_path();
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	nsd_rbuf_init(&c->rb, NSD_VARLINK_MAX_MESSAGE);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		nsd_client_close(c);
		errno = e;
		return NULL;
	}
	return c;
}

void
nsd_client_close(struct nsd_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	nsd_rbuf_free(&c->rb);
	free(c);
}

int
nsd_client_fd(const struct nsd_client *c)
{
	return c->fd;
}

int
nsd_client_send(struct nsd_client *c, const char *method, json_t *params, int flags)
{
	json_t *msg;
	char *buf;
	size_t len, off = 0;
	ssize_t n;

	msg = json_pack("{s:s, s:o}", "method", method, "parameters",
	                params != NULL ? json_incref(params) : json_object());
	if (msg == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (flags & NSD_CALL_MORE)
		json_object_set_new(msg, "more", json_true());
	buf = nsd_varlink_encode(msg, &len);
	json_decref(msg);
	if (buf == NULL) {
		errno = ENOMEM;
		return -1;
	}
	while (off < len) {
		n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		off += (size_t)n;
	}
	free(buf);
	return 0;
}

bool
nsd_client_buffered(const struct nsd_client *c)
{
	size_t n = nsd_rbuf_pending(&c->rb);

	return n > 0 && memchr(c->rb.data + c->rb.start, '\0', n) != NULL;
}

int
nsd_client_read(struct nsd_client *c, struct nsd_reply *reply)
{
	char chunk[65536], *msg;
	size_t len;
	ssize_t n;
	json_t *v;
	int rc;

	memset(reply, 0, sizeof(*reply));
	while ((rc = nsd_rbuf_next(&c->rb, &msg, &len)) == 0) {
		n = recv(c->fd, chunk, sizeof(chunk), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (nsd_rbuf_append(&c->rb, chunk, (size_t)n) < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	reply->root = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(reply->root)) {
		nsd_reply_clear(reply);
		errno = EPROTO;
		return -1;
	}
	v = json_object_get(reply->root, "error");
	if (v != NULL && !json_is_string(v)) {
		nsd_reply_clear(reply);
		errno = EPROTO;
		return -1;
	}
	reply->error = json_string_value(v);
	reply->parameters = json_object_get(reply->root, "parameters");
	if (reply->parameters == NULL) {
		reply->parameters = json_object();
		json_object_set_new(reply->root, "parameters", reply->parameters);
	} else if (!json_is_object(reply->parameters)) {
		nsd_reply_clear(reply);
		errno = EPROTO;
		return -1;
	}
	reply->continues = json_is_true(json_object_get(reply->root, "continues"));
	return 0;
}

int
nsd_client_call(struct nsd_client *c, const char *method, json_t *params, struct nsd_reply *reply)
{
	if (nsd_client_send(c, method, params, 0) < 0)
		return -1;
	return nsd_client_read(c, reply);
}

void
nsd_reply_clear(struct nsd_reply *reply)
{
	json_decref(reply->root);
	memset(reply, 0, sizeof(*reply));
}

char *
nsd_problems_text(json_t *problems)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	json_t *pb;
	size_t i;

	if (f == NULL)
		return NULL;
	json_array_foreach(problems, i, pb)
	{
		const char *task = json_string_value(json_object_get(pb, "task")) ?: "?";
		const char *why = json_string_value(json_object_get(pb, "reason")) ?: "?";
		if (task[0] == '\0') /* the whole check's, not one step's */
			fprintf(f, "  %s\n", why);
		else
			fprintf(f, "  task %s step %lld (%s): %s\n", task,
			        (long long)json_integer_value(json_object_get(pb, "step")),
			        json_string_value(json_object_get(pb, "call")) ?: "?", why);
	}
	fclose(f);
	if (len > 0 && out[len - 1] == '\n')
		out[len - 1] = '\0';
	return out;
}

char *
nsd_reply_describe(const struct nsd_reply *r)
{
	const char *name = r->error ? r->error : "(no error)";
	const char *short_name = strrchr(name, '.') ? strrchr(name, '.') + 1 : name;
	json_t *p = r->parameters;
	const char *s1, *s2;
	char *out = NULL;
	int rc;

#define STR(k) (json_string_value(json_object_get(p, k)) ?: "?")
	if (strcmp(short_name, "InvalidPlan") == 0) {
		s1 = STR("path");
		s2 = STR("reason");
		rc = asprintf(&out, "invalid plan: %s: %s", s1, s2);
	} else if (strcmp(short_name, "NotSupported") == 0) {
		rc = asprintf(&out, "not supported: %s: %s", STR("feature"), STR("reason"));
	} else if (strcmp(short_name, "NoSuchPlan") == 0) {
		rc = asprintf(&out, "no such plan: %s", STR("id"));
	} else if (strcmp(short_name, "NoSuchTask") == 0) {
		rc = asprintf(&out, "no such task: pid %lld",
		              (long long)json_integer_value(json_object_get(p, "pid")));
	} else if (strcmp(short_name, "TaskBusy") == 0) {
		rc = asprintf(&out, "task %lld is busy: %s",
		              (long long)json_integer_value(json_object_get(p, "pid")),
		              STR("reason"));
	} else if (strcmp(short_name, "PermissionDenied") == 0) {
		rc = asprintf(&out, "permission denied: %s", STR("reason"));
	} else if (strcmp(short_name, "LimitExceeded") == 0) {
		rc = asprintf(&out, "limit exceeded: %s (limit %lld)", STR("what"),
		              (long long)json_integer_value(json_object_get(p, "limit")));
	} else if (strcmp(short_name, "InvalidParameter") == 0) {
		rc = asprintf(&out, "invalid parameter: %s", STR("parameter"));
	} else if (strcmp(short_name, "PlanCannotApply") == 0) {
		char *list = nsd_problems_text(json_object_get(p, "problems"));
		rc = asprintf(&out, "the plan cannot apply to its target:\n%s", list ? list : "");
		free(list);
	} else {
		char *params = json_dumps(p, JSON_COMPACT);
		rc = asprintf(&out, "%s %s", name, params ? params : "");
		free(params);
	}
#undef STR
	return rc < 0 ? NULL : out;
}
