/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One step of a plan: the members each call kind allows, pid arrays, the
 * IPC_SET fields, each with its bounds (plan-v1).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* The members each step kind allows besides "call". */
static const char *const step_members[NSD_CALL_COUNT][4] = {
    [NSD_CALL_FORK] = {"pid"},         [NSD_CALL_THREAD] = {"pid"},
    [NSD_CALL_MSGGET] = {"id", "key"}, [NSD_CALL_SEMGET] = {"id", "key"},
    [NSD_CALL_SHMGET] = {"id", "key"}, [NSD_CALL_OPEN] = {"fd", "path", "replace"},
    [NSD_CALL_MSGCTL] = {"id", "set"}, [NSD_CALL_SEMCTL] = {"id", "set"},
    [NSD_CALL_SHMCTL] = {"id", "set"}, [NSD_CALL_ANY] = {"value"},
};

static const struct {
	const char *name;
	enum nsd_set_field field;
	enum nsd_call call;
	int64_t max;
} set_fields[] = {
    {"qbytes", NSD_SET_QBYTES, NSD_CALL_MSGCTL, INT64_MAX},
    {"stime", NSD_SET_STIME, NSD_CALL_MSGCTL, INT64_MAX},
    {"rtime", NSD_SET_RTIME, NSD_CALL_MSGCTL, INT64_MAX},
    {"ctime", NSD_SET_CTIME, NSD_CALL_MSGCTL, INT64_MAX},
    {"lspid", NSD_SET_LSPID, NSD_CALL_MSGCTL, NSD_PID_MAX},
    {"lrpid", NSD_SET_LRPID, NSD_CALL_MSGCTL, NSD_PID_MAX},
    {"otime", NSD_SET_OTIME, NSD_CALL_SEMCTL, INT64_MAX},
    {"ctime", NSD_SET_CTIME, NSD_CALL_SEMCTL, INT64_MAX},
    {"sempid", NSD_SET_SEMPID, NSD_CALL_SEMCTL, NSD_PID_MAX},
    {"atime", NSD_SET_ATIME, NSD_CALL_SHMCTL, INT64_MAX},
    {"dtime", NSD_SET_DTIME, NSD_CALL_SHMCTL, INT64_MAX},
    {"ctime", NSD_SET_CTIME, NSD_CALL_SHMCTL, INT64_MAX},
    {"cpid", NSD_SET_CPID, NSD_CALL_SHMCTL, NSD_PID_MAX},
    {"lpid", NSD_SET_LPID, NSD_CALL_SHMCTL, NSD_PID_MAX},
};

static int
parse_pids(json_t *step, enum nsd_call call, struct nsd_step *s, struct nsd_plan_error *err,
           const struct path *p)
{
	json_t *v = json_object_get(step, "pid"), *e;
	struct path q = *p;
	size_t i;

	if (v == NULL)
		return pj_fail_member(err, p, "pid", "required member is missing");
	pj_path_member(&q, "pid");
	if (json_is_integer(v)) {
		int64_t pid;
		if (pj_get_int(step, "pid", true, 1, NSD_PID_MAX, &pid, err, p) < 0)
			return -1;
		s->npids = 1;
		s->pids = malloc(sizeof(*s->pids));
		if (s->pids == NULL)
			return pj_fail_nomem(err);
		s->pids[0] = (int32_t)pid;
		return 0;
	}
	if (call == NSD_CALL_THREAD)
		return pj_fail(err, &q, "must be an integer (a thread has one tid), not %s",
		               pj_json_type_name(v));
	if (!json_is_array(v))
		return pj_fail(err, &q, "must be an integer or an array of integers, not %s",
		               pj_json_type_name(v));
	if (json_array_size(v) == 0)
		return pj_fail(err, &q, "must name at least one pid");
	if (json_array_size(v) > NSD_MAX_LEVELS)
		return pj_fail(err, &q, "names %zu levels; at most %d pid namespace levels exist",
		               json_array_size(v), NSD_MAX_LEVELS);
	s->npids = json_array_size(v);
	s->pids = calloc(s->npids, sizeof(*s->pids));
	if (s->pids == NULL)
		return pj_fail_nomem(err);
	json_array_foreach(v, i, e)
	{
		struct path r = q;
		pj_path_push(&r, "[%zu]", i);
		if (!json_is_integer(e))
			return pj_fail(err, &r, "must be an integer, not %s", pj_json_type_name(e));
		if (json_integer_value(e) < 1 || json_integer_value(e) > NSD_PID_MAX)
			return pj_fail(err, &r, "%lld is out of range 1..%d",
			               (long long)json_integer_value(e), NSD_PID_MAX);
		s->pids[i] = (int32_t)json_integer_value(e);
	}
	return 0;
}

static int
parse_set(json_t *step, enum nsd_call call, struct nsd_step *s, struct nsd_plan_error *err,
          const struct path *p)
{
	json_t *obj = json_object_get(step, "set"), *v;
	struct path q = *p;
	const char *name;
	size_t i;

	if (obj == NULL)
		return 0;
	pj_path_member(&q, "set");
	if (!json_is_object(obj))
		return pj_fail(err, &q, "must be an object, not %s", pj_json_type_name(obj));
	s->set = calloc(1, sizeof(*s->set));
	if (s->set == NULL)
		return pj_fail_nomem(err);
	json_object_foreach(obj, name, v)
	{
		for (i = 0; i < sizeof(set_fields) / sizeof(set_fields[0]); i++)
			if (set_fields[i].call == call && strcmp(set_fields[i].name, name) == 0)
				break;
		if (i == sizeof(set_fields) / sizeof(set_fields[0]))
			return pj_fail_member(err, &q, name, "unknown member: %s cannot set it",
			                      nsd_call_name(call));
		if (set_fields[i].field == NSD_SET_SEMPID) {
			json_t *e;
			size_t j;
			struct path r = q;
			pj_path_member(&r, name);
			if (!json_is_array(v))
				return pj_fail(err, &r, "must be an array of pids, not %s",
				               pj_json_type_name(v));
			if (json_array_size(v) > NSD_MAX_SEMS)
				return pj_fail(err, &r, "has %zu entries; a set has at most %d",
				               json_array_size(v), NSD_MAX_SEMS);
			s->set->nsempid = json_array_size(v);
			s->set->sempid = calloc(s->set->nsempid + 1, sizeof(int32_t));
			if (s->set->sempid == NULL)
				return pj_fail_nomem(err);
			json_array_foreach(v, j, e)
			{
				struct path t = r;
				pj_path_push(&t, "[%zu]", j);
				if (!json_is_integer(e))
					return pj_fail(err, &t, "must be an integer, not %s",
					               pj_json_type_name(e));
				if (json_integer_value(e) < 0 ||
				    json_integer_value(e) > NSD_PID_MAX)
					return pj_fail(err, &t, "%lld is out of range 0..%d",
					               (long long)json_integer_value(e),
					               NSD_PID_MAX);
				s->set->sempid[j] = (int32_t)json_integer_value(e);
			}
		} else if (pj_get_int(obj, name, true, 0, set_fields[i].max,
		                      &s->set->value[set_fields[i].field], err, &q) < 0) {
			return -1;
		}
		s->set->mask |= 1u << set_fields[i].field;
	}
	return 0;
}

int
pj_parse_step(json_t *step, struct nsd_step *s, struct nsd_plan_error *err, const struct path *p)
{
	const char *call;
	int64_t v;
	int i;

	if (!json_is_object(step))
		return pj_fail(err, p, "a step must be an object, not %s", pj_json_type_name(step));
	if (pj_get_string(step, "call", NULL, &call, err, p) < 0)
		return -1;
	if (json_object_get(step, "call") == NULL)
		return pj_fail_member(err, p, "call", "required member is missing");
	if ((i = nsd_call_parse(call)) < 0)
		return pj_fail_member(err, p, "call",
		                      "unknown call '%.32s' (fork, thread, msgget, semget, shmget, "
		                      "open, msgctl, semctl, shmctl, any)",
		                      call);
	s->call = (enum nsd_call)i;

	{
		const char *allowed[5] = {"call"};
		memcpy(allowed + 1, step_members[i], sizeof(step_members[i]));
		if (pj_check_members(step, allowed, 5, err, p) < 0)
			return -1;
	}

	switch (s->call) {
	case NSD_CALL_FORK:
	case NSD_CALL_THREAD:
		return parse_pids(step, s->call, s, err, p);
	case NSD_CALL_MSGGET:
	case NSD_CALL_SEMGET:
	case NSD_CALL_SHMGET:
		if (pj_get_int(step, "id", true, 0, NSD_IPC_ID_MAX, &s->id, err, p) < 0)
			return -1;
		/* key_t is a 32-bit int; ipcmk and ipcs print keys unsigned. */
		switch (pj_get_int(step, "key", false, INT32_MIN, UINT32_MAX, &v, err, p)) {
		case -1:
			return -1;
		case 1:
			s->has_key = true;
			s->key = (int32_t)(uint32_t)v;
		}
		return 0;
	case NSD_CALL_OPEN: {
		const char *path = NULL;
		if (pj_get_int(step, "fd", true, 0, NSD_FD_MAX, &s->id, err, p) < 0)
			return -1;
		if (pj_get_string(step, "path", NULL, &path, err, p) < 0)
			return -1;
		if (path != NULL) {
			if (*path == '\0' || strlen(path) >= 4096)
				return pj_fail_member(err, p, "path",
				                      "must be 1 to 4095 bytes (PATH_MAX)");
			s->path = strdup(path);
			if (s->path == NULL)
				return pj_fail_nomem(err);
		}
		return pj_get_bool(step, "replace", &s->replace, err, p) < 0 ? -1 : 0;
	}
	case NSD_CALL_MSGCTL:
	case NSD_CALL_SEMCTL:
	case NSD_CALL_SHMCTL:
		if (pj_get_int(step, "id", true, 0, NSD_IPC_ID_MAX, &s->id, err, p) < 0)
			return -1;
		return parse_set(step, s->call, s, err, p);
	case NSD_CALL_ANY:
		return pj_get_int(step, "value", true, 0, NSD_IPC_ID_MAX, &s->id, err, p) < 0 ? -1
		                                                                              : 0;
	case NSD_CALL_COUNT:
		break;
	}
	return 0;
}
