/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nsdd as an OCI runtime's seccomp agent: the runtime spec's
 * linux.seccomp.listenerPath, which runc, crun and podman implement. A
 * container's profile sends the syscalls its restore makes to
 * SCMP_ACT_NOTIFY, and names nsdd's OCI socket as listenerPath and a plan as
 * listenerMetadata. Once the runtime has installed the filter, it connects
 * and sends, in one message, the containerProcessState JSON and the filter's
 * listener (SCM_RIGHTS). nsdd takes the plan of that name from its plan
 * directory, makes the container's init (the state's pid) its target, and
 * serves the container in mode seccomp with that listener.
 *
 * Which plan: one root submitted for the container (Submit with target
 * {"container": ID}, start.c: by OCI id, or CRI NAMESPACE/POD/CONTAINER),
 * waiting for it; else the profile's: listenerMetadata is NAME, and the
 * plan is the file NAME.json in the directory --oci-plans (default
 * /etc/nsdd/oci), which only root may write to. Not a path in the metadata:
 * whoever writes a container's profile would choose which file root's nsdd
 * reads. NAME is 1 to 64 of [A-Za-z0-9_.-], not starting with a dot.
 *
 * A container's plan applies to its init's tree: the first state of a
 * container (status "creating", the state's own pid). A later state of the
 * same container is an exec (runc exec, and so ctr task exec, crictl and
 * kubectl exec, exec probes: status "running", the exec'd process's pid),
 * and a CRI pod's sandbox (annotation io.kubernetes.cri.container-type:
 * sandbox) is the pod's pause process: both are served with no plan, their
 * calls let through, and leave no plan behind.
 *
 * What the runtime sends is hostile input: only root may connect, the state
 * is at most 64 KiB and must come within 5 seconds, each field is checked,
 * and the fd must be a seccomp listener; a connection that fails any of it
 * is logged and dropped. A good state whose plan cannot be served (none of
 * that name, an invalid one) leaves the container to run as if nsdd were
 * not there: its listener is answered CONTINUE, and the log says why.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/listener.h>

#include "log.h"
#include "nsdd.h"
#include "socket.h"
#include "supervisor.h"
#include "listeners.h"

#define STATE_MAX    65536
#define FDS_MAX      16
#define DEADLINE_S   5
#define CONNS_MAX    64
#define PLAN_MAX     (16 << 20)
#define NAME_MAX_LEN 64

/* What a plan name and a container id are made of. */
static const char name_chars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

struct oci_conn {
	int sock;
	struct event *ev, *deadline;
	char *buf;
	size_t len;
	int fds[FDS_MAX];
	size_t nfds;
	bool truncated; /* fds were lost: the control buffer was too small */
};

static struct evconnlistener *oci_listener;
static char *own_path;
static const char *plans_dir = "/etc/nsdd/oci";
static unsigned nconns;

static void
conn_free(struct oci_conn *c)
{
	size_t i;

	for (i = 0; i < c->nfds; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	event_free(c->ev);
	event_free(c->deadline);
	close(c->sock);
	free(c->buf);
	free(c);
	nconns--;
}

static void drop(struct oci_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
drop(struct oci_conn *c, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("OCI runtime connection dropped: %s", why);
	conn_free(c);
}

/* One recvmsg: the bytes go to buf, the fds to fds. */
static ssize_t
receive(struct oci_conn *c)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(FDS_MAX * sizeof(int))];
	} cm;
	struct iovec iov = {c->buf + c->len, STATE_MAX - c->len};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = cm.buf,
	                   .msg_controllen = sizeof(cm.buf)};
	struct cmsghdr *h;
	ssize_t n = recvmsg(c->sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

	if (n < 0)
		return -1;
	for (h = CMSG_FIRSTHDR(&m); h != NULL; h = CMSG_NXTHDR(&m, h)) {
		size_t i, k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		for (i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(fd));
			if (c->nfds < FDS_MAX) {
				c->fds[c->nfds++] = fd;
			} else {
				close(fd);
				c->truncated = true;
			}
		}
	}
	c->truncated |= (m.msg_flags & MSG_CTRUNC) != 0;
	c->len += (size_t)n;
	return n;
}

static bool
good_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN || s[0] == '.')
		return false;
	return strspn(s, name_chars) == n;
}

/* Root's own, and no one else may write to it. */
static bool
root_only(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

/* The plan NAME.json of the plan directory; NULL with e. */
static struct nsd_plan *
load_plan(const char *name, struct nsdd_error *e)
{
	char file[NAME_MAX_LEN + 8], *text = NULL;
	struct nsd_plan_error perr;
	struct nsd_plan *m = NULL;
	int dfd, fd = -1;
	struct stat st;
	json_t *doc;

	snprintf(file, sizeof(file), "%s.json", name);
	if ((dfd = open(plans_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !root_only(dfd))
		nsdd_error_set(e, ERR_INVALID_PLAN, 0, "%s: %s", plans_dir,
		               dfd < 0 ? strerror(errno) : "not root's alone (owner or mode)");
	else if ((fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		nsdd_error_set(e, ERR_INVALID_PLAN, 0, "%s/%s: %s", plans_dir, file,
		               strerror(errno));
	else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !root_only(fd) ||
	         st.st_size > PLAN_MAX)
		nsdd_error_set(e, ERR_INVALID_PLAN, 0,
		               "%s/%s: not a regular file of root's alone, up to 16 MiB", plans_dir,
		               file);
	else if (read(fd, text = xcalloc(1, (size_t)st.st_size + 1), (size_t)st.st_size) !=
	         st.st_size)
		nsdd_error_set(e, ERR_INVALID_PLAN, 0, "%s/%s: cannot read it", plans_dir, file);
	else if ((doc = json_loadb(text, (size_t)st.st_size, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		nsdd_error_set(e, ERR_INVALID_PLAN, 0, "%s/%s: not JSON", plans_dir, file);
	else {
		if (nsd_plan_from_json(doc, 0, &m, &perr) < 0)
			nsdd_error_set(e, ERR_INVALID_PLAN, 0, "%.128s/%s: %.64s: %.200s",
			               plans_dir, file, perr.path, perr.reason);
		else if (m->target_pid != 0) {
			nsdd_error_set(e, ERR_INVALID_PLAN, 0,
			               "%s/%s: $.target: the container's init is the target",
			               plans_dir, file);
			nsd_plan_free(m);
			m = NULL;
		}
		json_decref(doc);
	}
	free(text);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return m;
}

/* The containerProcessState fields nsdd uses; false with e. */
struct state {
	const char *metadata, *id, *status;
	json_int_t pid, init; /* the process under this filter; the container's init */
	int fd;               /* the seccompFd's index in fds */
	bool sandbox;         /* a CRI pod's sandbox (pause) container */
	char name[3 * 254];   /* a CRI container: NAMESPACE/POD/CONTAINER; else "" */
};

/* A CRI annotation of the state's, or NULL. */
static const char *
annotation(json_t *doc, const char *key)
{
	return json_string_value(
	    json_object_get(json_object_get(json_object_get(doc, "state"), "annotations"), key));
}

/* A DNS label or subdomain, as Kubernetes names its namespaces, pods and
 * containers: what may be shown of them, and matched. */
static bool
k8s_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= 253 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-.") == n;
}

/* CRI's names for the container, from the state's annotations (the
 * containerd CRI plugin writes them): NAMESPACE/POD/CONTAINER, or "". */
static void
cri_name(json_t *doc, struct state *s)
{
	const char *ns = annotation(doc, "io.kubernetes.cri.sandbox-namespace");
	const char *pod = annotation(doc, "io.kubernetes.cri.sandbox-name");
	const char *ctr = annotation(doc, "io.kubernetes.cri.container-name");
	const char *type = annotation(doc, "io.kubernetes.cri.container-type");

	s->sandbox = type != NULL && strcmp(type, "sandbox") == 0;
	s->name[0] = '\0';
	if (k8s_name(ns) && k8s_name(pod) && (s->sandbox || k8s_name(ctr)))
		snprintf(s->name, sizeof(s->name), "%s/%s%s%s", ns, pod, s->sandbox ? "" : "/",
		         s->sandbox ? "" : ctr);
}

static bool
parse_state(json_t *doc, size_t nfds, struct state *s, struct nsdd_error *e)
{
	const char *version, *name;
	json_t *fds, *v;
	json_error_t err;
	size_t i;

	s->metadata = NULL;
	s->status = "creating";
	s->fd = -1;
	s->init = 0;
	if (json_unpack_ex(doc, &err, 0, "{s:s, s:o, s:I, s?s, s:{s:s, s?s, s?I}}", "ociVersion",
	                   &version, "fds", &fds, "pid", &s->pid, "metadata", &s->metadata, "state",
	                   "id", &s->id, "status", &s->status, "pid", &s->init) < 0) {
		nsdd_error_set(e, ERR_INVALID_PLAN, 0, "state: %s", err.text);
		return false;
	}
	if (!json_is_array(fds) || json_array_size(fds) != nfds) {
		nsdd_error_set(e, ERR_INVALID_PLAN, 0, "state: fds names %zu fds, %zu came",
		               json_is_array(fds) ? json_array_size(fds) : 0, nfds);
		return false;
	}
	json_array_foreach(fds, i, v)
	{
		if ((name = json_string_value(v)) != NULL && strcmp(name, "seccompFd") == 0)
			s->fd = (int)i;
	}
	if (s->fd < 0) {
		nsdd_error_set(e, ERR_INVALID_PLAN, 0, "state: no seccompFd in fds");
		return false;
	}
	if (s->pid < 1 || s->pid > 4194304) {
		nsdd_error_set(e, ERR_INVALID_PLAN, 0, "state: pid %lld is out of range",
		               (long long)s->pid);
		return false;
	}
	if (strlen(s->id) == 0 || strlen(s->id) > 1024 ||
	    strspn(s->id, name_chars) != strlen(s->id)) {
		nsdd_error_set(e, ERR_INVALID_PLAN, 0, "state: id is not a container id");
		return false;
	}
	cri_name(doc, s);
	return true;
}

/* An exec into a running container, not its start: the state says so, or a
 * plan of the container's runs already. */
static bool
is_exec(const struct state *s)
{
	return strcmp(s->status, "creating") != 0 || (s->init != 0 && s->init != s->pid) ||
	       supervisor_container_running(s->id);
}

/* A good state: the container's plan starts, or it runs unserved. */
static void
serve(struct oci_conn *c, const struct state *s)
{
	int lfd = c->fds[s->fd];
	struct nsd_plan *m = NULL;
	struct plan *waiting;
	struct nsdd_error e;
	char why[512] = "";
	uint64_t start = nsd_proc_start_time((pid_t)s->pid);

	c->fds[s->fd] = -1; /* the plan's, or the fd store's, from here */
	if (s->sandbox || is_exec(s)) {
		log_info("container %s%s%s: %s %lld served with no plan: its calls are let "
		         "through",
		         s->id, s->name[0] ? " " : "", s->name,
		         s->sandbox ? "the pod's sandbox" : "exec", (long long)s->pid);
		if (!seccomp_adopt(lfd, true))
			log_warnx("container %s: fd is not a seccomp listener", s->id);
		return;
	}
	/* A plan submitted for it comes before the profile's. */
	if ((waiting = supervisor_container_waiting(s->id, s->name)) != NULL && start != 0) {
		if (supervisor_container_start(waiting, s->id, s->name, (pid_t)s->pid, start, lfd,
		                               &e))
			return;
		snprintf(why, sizeof(why), "%s", e.reason);
	} else if (start == 0)
		snprintf(why, sizeof(why), "no process with pid %lld", (long long)s->pid);
	else if (s->metadata == NULL || !good_name(s->metadata))
		snprintf(why, sizeof(why), "listenerMetadata %s%s%s is not a plan name",
		         s->metadata ? "\"" : "", s->metadata ? s->metadata : "(none)",
		         s->metadata ? "\"" : "");
	else if ((m = load_plan(s->metadata, &e)) == NULL)
		snprintf(why, sizeof(why), "%s", e.reason);
	else {
		m->target_pid = (int32_t)s->pid;
		m->has_start_time = true;
		m->start_time = start;
		m->mode = NSD_MODE_SECCOMP;
		if (supervisor_container(m, s->id, s->name, lfd, &e) != NULL)
			return;
		snprintf(why, sizeof(why), "%s", e.reason);
	}
	log_warnx("container %s: not served (%s); its calls are let through", s->id, why);
	if (!seccomp_adopt(lfd, true))
		log_warnx("container %s: fd is not a seccomp listener", s->id);
}

/* The state is a JSON object: it may be whole only when it ends in '}'. */
static bool
may_be_whole(const struct oci_conn *c)
{
	size_t i = c->len;

	while (i > 0 && memchr(" \t\r\n", c->buf[i - 1], 4) != NULL)
		i--;
	return i > 0 && c->buf[i - 1] == '}';
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drop(arg, "no state within %d seconds", DEADLINE_S);
}

static void
conn_cb(evutil_socket_t sock, short what, void *arg)
{
	struct oci_conn *c = arg;
	struct state s;
	json_error_t err;
	struct nsdd_error e;
	json_t *doc;
	ssize_t n;

	(void)sock;
	(void)what;
	if (c->len == STATE_MAX) {
		drop(c, "its state is over %d bytes", STATE_MAX);
		return;
	}
	if ((n = receive(c)) < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			drop(c, "recvmsg: %s", strerror(errno));
		return;
	}
	if (n > 0 && !may_be_whole(c))
		return; /* parsed once it may be whole: a byte at a time costs no more */
	doc = json_loadb(c->buf, c->len, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL && n > 0 && (size_t)err.position >= c->len)
		return; /* the state goes on in the next read */
	if (doc == NULL && c->len == 0) {
		drop(c, "closed with nothing sent");
		return;
	}
	if (doc == NULL) {
		drop(c, (size_t)err.position >= c->len ? "closed before its state was complete"
		                                       : "its state is not JSON");
		return;
	}
	if (c->truncated || !parse_state(doc, c->nfds, &s, &e)) {
		drop(c, "%s", c->truncated ? "more than 16 fds" : e.reason);
	} else {
		serve(c, &s);
		conn_free(c);
	}
	json_decref(doc);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t sock, struct sockaddr *sa, int salen, void *arg)
{
	struct timeval tv = {DEADLINE_S, 0};
	socklen_t credlen = sizeof(struct ucred);
	struct ucred cred;
	struct oci_conn *c;

	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	if (nconns >= CONNS_MAX || getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) < 0 ||
	    cred.uid != 0) {
		log_warnx("OCI runtime connection refused: %s",
		          nconns >= CONNS_MAX ? "too many at once" : "its peer is not root");
		close(sock);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->sock = sock;
	c->buf = xcalloc(1, STATE_MAX);
	nconns++;
	/* A deadline for the whole state, not reset by each byte that comes. */
	if ((c->ev = event_new(nsdd_base, sock, EV_READ | EV_PERSIST, conn_cb, c)) == NULL ||
	    (c->deadline = evtimer_new(nsdd_base, deadline_cb, c)) == NULL ||
	    event_add(c->ev, NULL) < 0 || evtimer_add(c->deadline, &tv) < 0)
		fatalx("out of memory");
}

void
oci_set_plans(const char *dir)
{
	plans_dir = dir;
}

void
oci_listen(int fd, const char *path)
{
	if (fd < 0) {
		fd = server_bind(path, 0177); /* the runtime runs as root: 0600 */
		own_path = xstrdup(path);
	}
	evutil_make_socket_nonblocking(fd);
	oci_listener = evconnlistener_new(nsdd_base, accept_cb, NULL,
	                                  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (oci_listener == NULL)
		fatalx("cannot listen on the OCI socket");
	log_info("OCI runtimes' seccomp agent on %s, plans in %s",
	         own_path ? own_path : "the socket systemd passed", plans_dir);
}

void
oci_close(void)
{
	if (oci_listener != NULL)
		evconnlistener_free(oci_listener);
	oci_listener = NULL;
	if (own_path != NULL)
		unlink(own_path);
	free(own_path);
	own_path = NULL;
}
