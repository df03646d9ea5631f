/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who may ask nsdd what. Root may do anything. Members of the nsd group
 * (--group) may see and steer their own plans only, and may have ids made
 * only for tasks they could ptrace themselves (the rule of ptrace(2),
 * "Ptrace access mode checking": the same real, effective and saved uid and
 * gid as theirs, and dumpable) and only in pid and IPC namespaces whose
 * owning user namespace they own. Everyone else may call GetInfo.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "nsdd.h"

static gid_t group = (gid_t)-1;

void
authz_set_group(const char *name)
{
	struct group *gr = getgrnam(name);

	group = gr != NULL ? gr->gr_gid : (gid_t)-1;
	if (gr == NULL)
		log_info("group %s does not exist: only root may use nsdd", name);
}

enum role
authz_role(const struct conn *c)
{
	if (server_peer_uid(c) == 0)
		return ROLE_ROOT;
	return group != (gid_t)-1 && server_peer_in_group(c, group) ? ROLE_MEMBER : ROLE_OTHER;
}

/* The three ids of "Uid" or "Gid" in /proc/PID/status: real, effective, saved. */
static int
status_ids(pid_t pid, const char *key, unsigned long ids[3])
{
	char v[128];

	if (nsdd_proc_status(pid, key, v, sizeof(v)) < 0 ||
	    sscanf(v, "%lu %lu %lu", &ids[0], &ids[1], &ids[2]) != 3)
		return -1;
	return 0;
}

/* The uid that owns the user namespace owning the task's namespace `kind`. */
static int
ns_owner(pid_t pid, const char *kind, uid_t *owner)
{
	char path[64];
	int fd, userns, rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, kind);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((userns = ioctl(fd, NS_GET_USERNS)) >= 0) {
		rc = ioctl(userns, NS_GET_OWNER_UID, owner);
		close(userns);
	}
	close(fd);
	return rc;
}

int
authz_may_trace(const struct conn *c, pid_t pid, struct nsdd_error *e)
{
	static const char *const kinds[] = {"pid", "pid_for_children", "ipc"};
	uid_t uid = server_peer_uid(c), owner;
	gid_t gid = server_peer_gid(c);
	unsigned long uids[3], gids[3];
	char path[32];
	struct stat st;
	size_t i;

	if (authz_role(c) == ROLE_ROOT)
		return 0;
	if (status_ids(pid, "Uid", uids) < 0 || status_ids(pid, "Gid", gids) < 0)
		return nsdd_error_set(e, ERR_NO_SUCH_TASK, pid, "no task %d", pid);
	for (i = 0; i < 3; i++)
		if (uids[i] != uid || gids[i] != gid)
			return nsdd_error_set(e, ERR_PERMISSION_DENIED, 0,
			                      "you could not ptrace task %d: its uids and gids are "
			                      "not all yours",
			                      pid);
	/* A task that is not dumpable has /proc/PID owned by root (proc(5)). */
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st) < 0 || st.st_uid != uid)
		return nsdd_error_set(e, ERR_PERMISSION_DENIED, 0,
		                      "you could not ptrace task %d: it is not dumpable", pid);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (ns_owner(pid, kinds[i], &owner) < 0 || owner != uid)
			return nsdd_error_set(e, ERR_PERMISSION_DENIED, 0,
			                      "task %d's %s namespace belongs to a user namespace "
			                      "you do not own",
			                      pid, kinds[i]);
	return 0;
}

bool
authz_may_see(const struct conn *c, const struct plan *plan)
{
	return authz_role(c) == ROLE_ROOT || plan_owner(plan) == server_peer_uid(c);
}
