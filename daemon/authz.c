/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who may ask nsdd what. Root may do anything. Members of the nsd group
 * (--group) may see and steer their own plans only, and may have ids made
 * only for tasks they could ptrace themselves (the rule of ptrace(2),
 * "Ptrace access mode checking": the same real, effective and saved uid and
 * gid as theirs, and dumpable) and only in pid and IPC namespaces whose
 * owning user namespace they own. Everyone else may call GetInfo.
 *
 * A task nsdd serves is held to the same rule where it reaches another task
 * through nsdd (the emulated next_syscall_data file of another thread):
 * authz_task_may_ptrace() is the kernel's PTRACE_MODE_ATTACH_FSCREDS check,
 * with CAP_SYS_PTRACE counted only in the target's user namespace or an
 * ancestor of it, never in a namespace the task made for itself.
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
#include "socket.h"
#include "supervisor.h"

#define CAP_SYS_PTRACE_BIT 19

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

/* The user namespace of pid, as an open nsfs fd; -1 with errno. */
static int
userns_of(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static bool
same_ns(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/*
 * Whether who has CAP_SYS_PTRACE in target's user namespace, as the kernel's
 * cap_capable() decides: effective in that namespace or an ancestor of it,
 * or who's euid owns a child of who's namespace on the way up.
 */
static bool
ptrace_cap_over(pid_t who, pid_t target)
{
	char v[64];
	unsigned long uids[3];
	uid_t owner;
	int mine = userns_of(who), cur = userns_of(target), up;
	bool cap, found = false;

	cap = nsdd_proc_status(who, "CapEff", v, sizeof(v)) == 0 &&
	      (strtoull(v, NULL, 16) & (1ULL << CAP_SYS_PTRACE_BIT));
	if (mine < 0 || cur < 0 || status_ids(who, "Uid", uids) < 0)
		goto out;
	while (cur >= 0) {
		if (same_ns(cur, mine)) {
			found = cap;
			break;
		}
		if ((up = ioctl(cur, NS_GET_PARENT)) < 0)
			break; /* the top, or above nsdd's own: who is not an ancestor */
		if (same_ns(up, mine) && ioctl(cur, NS_GET_OWNER_UID, &owner) == 0 &&
		    owner == (uid_t)uids[1]) {
			close(up);
			found = true;
			break;
		}
		close(cur);
		cur = up;
	}
out:
	if (cur >= 0)
		close(cur);
	if (mine >= 0)
		close(mine);
	return found;
}

/* Yama's ptrace_scope, or 0 where Yama is not in the kernel. */
static int
yama_scope(void)
{
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int scope = 0;

	if (f != NULL) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = 3; /* unreadable: as strict as it can be */
		fclose(f);
	}
	return scope;
}

bool
authz_task_may_ptrace(pid_t who, pid_t target)
{
	unsigned long wu[4], wg[4], tu[3], tg[3];
	long tgid = nsdd_proc_status_long(who, "Tgid");
	char v[128], path[32];
	struct stat st;
	bool creds, cap;
	int yama;

	if (tgid > 0 && tgid == nsdd_proc_status_long(target, "Tgid"))
		return true;
	if (nsdd_proc_status(who, "Uid", v, sizeof(v)) < 0 ||
	    sscanf(v, "%lu %lu %lu %lu", &wu[0], &wu[1], &wu[2], &wu[3]) != 4 ||
	    nsdd_proc_status(who, "Gid", v, sizeof(v)) < 0 ||
	    sscanf(v, "%lu %lu %lu %lu", &wg[0], &wg[1], &wg[2], &wg[3]) != 4 ||
	    status_ids(target, "Uid", tu) < 0 || status_ids(target, "Gid", tg) < 0)
		return false;
	/* The opener's fsuid and fsgid against all three of the target's. */
	creds = tu[0] == wu[3] && tu[1] == wu[3] && tu[2] == wu[3] && tg[0] == wg[3] &&
	        tg[1] == wg[3] && tg[2] == wg[3];
	cap = ptrace_cap_over(who, target);
	yama = yama_scope();
	if (yama >= 3 || (!cap && (!creds || yama > 0)))
		return false; /* Yama, stricter: nsdd asks for the capability */
	/* A task that is not dumpable has /proc/PID owned by root (proc(5)). */
	snprintf(path, sizeof(path), "/proc/%d", target);
	return cap || (stat(path, &st) == 0 && st.st_uid == tu[1]);
}
