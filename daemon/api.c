/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The varlink methods: one table of name -> handler. Each handler checks its
 * parameters (unknown ones are errors, as in plans) and answers exactly once,
 * with server_reply() or server_error(), or starts a Watch stream.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/idl.h" /* generated in the build tree from data/ */
#include "log.h"
#include "nsdd.h"
#include "socket.h"
#include "task.h"

#define IFACE "io.nsdd.supervisor"
#define SVC   "org.varlink.service"

static json_t *features;

static void
invalid_parameter(struct conn *c, const char *name)
{
	server_error(c, SVC ".InvalidParameter", json_pack("{s:s}", "parameter", name));
}

/*
 * The parameter of params that spec refuses, or NULL. spec is the method's
 * parameters, "name:type" separated by spaces, type s, i, b, o or a (string,
 * integer, boolean, object, array), a trailing ? marking it optional (and null
 * allowed). A name that spec does not list is refused too.
 */
const char *
api_bad_param(json_t *params, const char *spec)
{
	static char name[32];
	const char *key, *p;
	json_t *v;

	json_object_foreach(params, key, v)
	{
		size_t n = strlen(key);
		if (n == 0)
			return key; /* and strstr() would find "" everywhere */
		for (p = spec; (p = strstr(p, key)) != NULL; p += n)
			if ((p == spec || p[-1] == ' ') && p[n] == ':')
				break;
		if (p == NULL)
			return key;
	}
	for (p = spec; *p != '\0';) {
		const char *colon = strchr(p, ':'), *end = strchr(p, ' ');
		bool optional, ok;
		if (colon == NULL)
			break;
		end = end != NULL ? end : colon + strlen(colon);
		optional = colon[2] == '?';
		snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
		p = *end == ' ' ? end + 1 : end;
		v = json_object_get(params, name);
		if (v == NULL || (optional && json_is_null(v))) {
			if (!optional)
				return name;
			continue;
		}
		switch (colon[1]) {
		case 's':
			ok = json_is_string(v);
			break;
		case 'i':
			ok = json_is_integer(v);
			break;
		case 'b':
			ok = json_is_boolean(v);
			break;
		case 'a':
			ok = json_is_array(v);
			break;
		default:
			ok = json_is_object(v);
		}
		if (!ok)
			return name;
	}
	return NULL;
}

static void
reply_nsdd_error(struct conn *c, const struct nsdd_error *e)
{
	char name[64];
	json_t *p;

	snprintf(name, sizeof(name), IFACE ".%s", nsdd_err_name(e->code));
	switch (e->code) {
	case ERR_NO_SUCH_TASK:
	case ERR_TASK_BUSY:
		p = json_pack("{s:I, s:s}", "pid", (json_int_t)e->num, "reason", e->reason);
		break;
	case ERR_NOT_SUPPORTED:
		p = json_pack("{s:s, s:s}", "feature", e->feature, "reason", e->reason);
		break;
	case ERR_LIMIT_EXCEEDED:
		p = json_pack("{s:s, s:I}", "what", e->reason, "limit", (json_int_t)e->num);
		break;
	default:
		p = json_pack("{s:s}", "reason", e->reason);
	}
	server_error(c, name, p);
}

static struct plan *
plan_param(struct conn *c, json_t *params)
{
	const char *id = json_string_value(json_object_get(params, "id"));
	struct plan *plan = plan_find(id);

	/* Another user's plan is answered as if it did not exist. */
	if (plan != NULL && !authz_may_see(c, plan))
		plan = NULL;
	if (plan == NULL)
		server_error(c, IFACE ".NoSuchPlan", json_pack("{s:s}", "id", id));
	return plan;
}

static void
m_get_info(struct conn *c, json_t *params)
{
	(void)params;
	server_reply(c, json_pack("{s:s, s:s, s:s, s:s, s:[s,s]}", "vendor", "nsdd", "product",
	                          "nsdd", "version", PACKAGE_VERSION, "url", "man:nsdd(8)",
	                          "interfaces", SVC, IFACE));
}

static void
m_get_interface_description(struct conn *c, json_t *params)
{
	const char *iface;

	iface = json_string_value(json_object_get(params, "interface"));
	if (strcmp(iface, IFACE) == 0)
		server_reply(c, json_pack("{s:s}", "description", idl_supervisor));
	else if (strcmp(iface, SVC) == 0)
		server_reply(c, json_pack("{s:s}", "description", idl_service));
	else
		server_error(c, SVC ".InterfaceNotFound", json_pack("{s:s}", "interface", iface));
}

/* doc as a plan for a target the caller may trace; NULL once answered. */
static struct nsd_plan *
plan_of(struct conn *c, json_t *doc)
{
	struct nsd_plan_error perr;
	struct nsd_plan *model;
	struct nsdd_error e = {0};

	if (nsd_plan_from_json(doc, NSD_PLAN_REQUIRE_TARGET, &model, &perr) < 0) {
		server_error(c, IFACE ".InvalidPlan",
		             json_pack("{s:s, s:s}", "path", perr.path, "reason", perr.reason));
		return NULL;
	}
	if (model->target_container != NULL
	        ? authz_role(c) != ROLE_ROOT && nsdd_error_set(&e, ERR_PERMISSION_DENIED, 0,
	                                                       "only root may give a container "
	                                                       "a plan: its runtime is root's")
	        : authz_may_trace(c, model->target_pid, &e) < 0) {
		nsd_plan_free(model);
		reply_nsdd_error(c, &e);
		return NULL;
	}
	return model;
}

static void
m_submit(struct conn *c, json_t *params)
{
	struct nsd_plan *model;
	struct nsdd_error e = {0};
	json_t *listener, *problems = NULL;
	struct plan *plan;

	if ((model = plan_of(c, json_object_get(params, "plan"))) == NULL)
		return;
	listener = json_object_get(params, "listener");
	if (listener != NULL &&
	    (json_integer_value(listener) < 0 || json_integer_value(listener) > INT_MAX)) {
		nsd_plan_free(model);
		server_error(c, "org.varlink.service.InvalidParameter",
		             json_pack("{s:s}", "parameter", "listener"));
		return;
	}
	if (model->target_container != NULL && listener != NULL) {
		nsd_plan_free(model);
		invalid_parameter(c, "listener");
		return;
	}
	if (json_is_true(json_object_get(params, "sigaction")) && listener == NULL) {
		nsd_plan_free(model);
		invalid_parameter(c, "sigaction");
		return;
	}
	if (json_is_true(json_object_get(params, "setns")) && listener == NULL) {
		nsd_plan_free(model);
		invalid_parameter(c, "setns");
		return;
	}
	/* A target that is gone is NoSuchTask, from the attach, not a problem. */
	if (model->check && model->target_container == NULL &&
	    nsd_proc_start_time(model->target_pid) != 0 &&
	    json_array_size(problems = check_plan(model, model->target_pid)) > 0) {
		nsd_plan_free(model);
		server_error(c, IFACE ".PlanCannotApply", json_pack("{s:o}", "problems", problems));
		return;
	}
	json_decref(problems);
	if ((plan = supervisor_submit(model, server_peer_uid(c),
	                              listener ? (int)json_integer_value(listener) : -1, 0, &e)) ==
	    NULL) {
		reply_nsdd_error(c, &e);
		return;
	}
	/* Before any notification is read: the loop has not run since. */
	if (json_is_true(json_object_get(params, "sigaction")))
		plan_set_hears_sigaction(plan, true);
	if (json_is_true(json_object_get(params, "setns")))
		plan_set_hears_setns(plan);
	server_reply(c, json_pack("{s:s, s:I, s:I}", "id", plan_id(plan), "tasks",
	                          (json_int_t)plan_ntasks(plan), "steps",
	                          (json_int_t)plan_nsteps(plan)));
}

/* Check: every step of the plan that cannot apply to its target, found
 * without attaching or changing anything (check.c). */
static void
m_check(struct conn *c, json_t *params)
{
	struct nsd_plan *model = plan_of(c, json_object_get(params, "plan"));
	pid_t target;

	if (model == NULL)
		return;
	target = model->target_container != NULL ? supervisor_container_pid(model->target_container)
	                                         : model->target_pid;
	server_reply(c, json_pack("{s:o}", "problems", check_plan(model, target)));
	nsd_plan_free(model);
}

/* The calls a Record writes down: 1 << enum nsd_call each; 0 if one is
 * not a call it can record. Forks and threads always. */
static unsigned
record_calls(json_t *names)
{
	unsigned calls = (1u << NSD_CALL_FORK) | (1u << NSD_CALL_THREAD);
	json_t *name;
	size_t i;
	int call;

	if (names == NULL)
		return calls | (1u << NSD_CALL_MSGGET) | (1u << NSD_CALL_SEMGET) |
		       (1u << NSD_CALL_SHMGET);
	json_array_foreach(names, i, name)
	{
		if ((call = nsd_call_parse(json_string_value(name))) < 0 ||
		    !nsd_call_recordable(call))
			return 0;
		calls |= 1u << call;
	}
	return calls;
}

/* A Record is a plan of no steps for target that follows its tree (record.c). */
static void
m_record(struct conn *c, json_t *params)
{
	json_t *doc = json_pack("{s:i, s:O, s:{}}", "version", 1, "target",
	                        json_object_get(params, "target"), "tasks");
	struct nsd_plan *model = plan_of(c, doc);
	unsigned record = record_calls(json_object_get(params, "calls"));
	struct nsdd_error e = {0};
	struct plan *plan;

	json_decref(doc);
	if (model == NULL)
		return;
	if (model->target_container != NULL) {
		nsd_plan_free(model);
		invalid_parameter(c, "target");
		return;
	}
	if (record == 0) {
		nsd_plan_free(model);
		invalid_parameter(c, "calls");
		return;
	}
	if (json_is_false(json_object_get(params, "match")))
		record |= RECORD_BARE;
	if (json_is_true(json_object_get(params, "seccomp")))
		record |= RECORD_TRACED;
	if ((plan = supervisor_submit(model, server_peer_uid(c), -1, record, &e)) == NULL) {
		reply_nsdd_error(c, &e);
		return;
	}
	record_watch(c, plan);
}

static void
m_get(struct conn *c, json_t *params)
{
	struct plan *plan;

	if ((plan = plan_param(c, params)) != NULL)
		server_reply(c, json_pack("{s:o}", "status", plan_status(plan)));
}

static void
m_list(struct conn *c, json_t *params)
{
	json_t *plans = json_array();
	struct plan *plan;

	(void)params;
	for (plan = plan_next(NULL); plan != NULL; plan = plan_next(plan))
		if (authz_may_see(c, plan))
			json_array_append_new(plans, plan_status(plan));
	server_reply(c, json_pack("{s:o}", "plans", plans));
}

static void
m_watch(struct conn *c, json_t *params)
{
	struct plan *plan;

	if ((plan = plan_param(c, params)) == NULL)
		return;
	if (server_call_more(c)) {
		server_watch(c, plan, NULL);
		return;
	}
	server_reply(c, json_pack("{s:o*}", "event", plan_last_event(plan)));
}

static void
m_cancel(struct conn *c, json_t *params)
{
	struct plan *plan;

	if ((plan = plan_param(c, params)) == NULL)
		return;
	supervisor_cancel(plan, json_is_true(json_object_get(params, "kill")),
	                  "cancelled by a client");
	server_reply(c, NULL);
}

/* The original interface: SetNext's value is a one-step plan (InvalidPlan at $.value). */
static void
m_set_next(struct conn *c, json_t *params)
{
	const char *value;
	struct nsdd_error e = {0};
	int64_t values[NSD_MAX_LEVELS];
	json_int_t tid;
	char why[160];
	size_t n;

	tid = json_integer_value(json_object_get(params, "tid"));
	value = json_string_value(json_object_get(params, "value"));
	if (nsd_longn_parse(value, strlen(value), values, NSD_MAX_LEVELS, &n, why, sizeof(why)) <
	    0) {
		server_error(c, IFACE ".InvalidPlan",
		             json_pack("{s:s, s:s}", "path", "$.value", "reason", why));
		return;
	}
	/* 0: the caller itself (its main thread), which may not know its pid as nsdd sees it. */
	if (tid == 0)
		tid = server_peer_pid(c);
	if (tid < 1 || tid > NSD_PID_MAX) {
		server_error(c, IFACE ".NoSuchTask", json_pack("{s:I}", "pid", tid));
		return;
	}
	if (authz_may_trace(c, (pid_t)tid, &e) < 0 ||
	    supervisor_setnext((pid_t)tid, values, n, server_peer_uid(c), &e) < 0) {
		if (e.code == ERR_INVALID_PLAN)
			server_error(
			    c, IFACE ".InvalidPlan",
			    json_pack("{s:s, s:s}", "path", "$.value", "reason", e.reason));
		else
			reply_nsdd_error(c, &e);
		return;
	}
	server_reply(c, NULL);
}

static void
m_info(struct conn *c, json_t *params)
{
	bool procfs = nsdd_backend_forced ? nsdd_backend == BACKEND_PROCFS
	                                  : procfs_available(getpid(), getpid());

	(void)params;
	server_reply(c, json_pack("{s:s, s:s, s:O}", "version", PACKAGE_VERSION, "backend",
	                          procfs ? "procfs" : "kernel", "features", features));
}

/*
 * Every method: its parameters (as api_bad_param() reads them) and who may
 * call it. nsdd can stop, rewrite and kill any task: beyond GetInfo, only
 * root and the nsd group (authz.c) may ask, whatever the socket's mode lets
 * in. A method in the interface that is not built yet has no function.
 */
static const struct method {
	const char *name;
	void (*fn)(struct conn *c, json_t *params);
	const char *params;
	enum role role; /* the least role that may call it */
} methods[] = {
    {SVC ".GetInfo", m_get_info, "", ROLE_OTHER},
    {SVC ".GetInterfaceDescription", m_get_interface_description, "interface:s", ROLE_MEMBER},
    {IFACE ".Submit", m_submit, "plan:o listener:i? sigaction:b? setns:b?", ROLE_MEMBER},
    {IFACE ".Get", m_get, "id:s", ROLE_MEMBER},
    {IFACE ".List", m_list, "", ROLE_MEMBER},
    {IFACE ".Watch", m_watch, "id:s", ROLE_MEMBER},
    {IFACE ".Cancel", m_cancel, "id:s kill:b?", ROLE_MEMBER},
    {IFACE ".Info", m_info, "", ROLE_MEMBER},
    {IFACE ".SetNext", m_set_next, "tid:i value:s", ROLE_MEMBER},
    {IFACE ".Record", m_record, "target:o calls:a? match:b? seccomp:b?", ROLE_MEMBER},
    {IFACE ".Check", m_check, "plan:o", ROLE_MEMBER},
};

/* Roles from most to least trusted: ROLE_ROOT, ROLE_MEMBER, ROLE_OTHER. */
static bool
may_call(const struct conn *c, enum role least)
{
	return authz_role(c) <= least;
}

void
api_dispatch(struct conn *c, const char *method, json_t *params)
{
	const char *dot = strrchr(method, '.');
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, method) == 0) {
			const char *bad;
			if (!may_call(c, methods[i].role))
				server_error(c, IFACE ".PermissionDenied",
				             json_pack("{s:s}", "reason",
				                       "only root and the nsd group may use nsdd"));
			else if (methods[i].fn == NULL)
				server_error(c, SVC ".MethodNotImplemented",
				             json_pack("{s:s}", "method", method));
			else if ((bad = api_bad_param(params, methods[i].params)) != NULL)
				invalid_parameter(c, bad);
			else
				methods[i].fn(c, params);
			return;
		}
	if (dot != NULL &&
	    ((size_t)(dot - method) == strlen(IFACE) && strncmp(method, IFACE, strlen(IFACE)) == 0))
		server_error(c, SVC ".MethodNotFound", json_pack("{s:s}", "method", method));
	else if (dot != NULL &&
	         ((size_t)(dot - method) == strlen(SVC) && strncmp(method, SVC, strlen(SVC)) == 0))
		server_error(c, SVC ".MethodNotFound", json_pack("{s:s}", "method", method));
	else
		server_error(c, SVC ".InterfaceNotFound",
		             json_pack("{s:s%}", "interface", method,
		                       dot != NULL ? (size_t)(dot - method) : strlen(method)));
}

/* What this kernel and this nsdd can do, for Info(). */
void
api_init(void)
{
	features = json_array();
	json_array_append_new(features, json_string("ptrace"));
	/* clone3(NULL, 0) fails EINVAL where clone3 exists and ENOSYS where not. */
	if (syscall(SYS_clone3, NULL, 0) < 0 && errno != ENOSYS)
		json_array_append_new(features, json_string("clone3-set-tid"));
	if (access("/proc/sys/kernel/ns_last_pid", W_OK) == 0)
		json_array_append_new(features, json_string("ns-last-pid"));
	if (access("/proc/sys/kernel/msg_next_id", W_OK) == 0)
		json_array_append_new(features, json_string("ipc-next-id"));
	if (procfs_available(getpid(), getpid()))
		json_array_append_new(features, json_string("procfs-next-syscall-data"));
}
