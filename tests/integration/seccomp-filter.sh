#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A task's own seccomp filter sees the syscalls nsdd makes it run. nsdd runs
# the filter first and takes a path it allows, or fails the step and leaves
# the task's own call as it was (issue 8, item 1):
# - clone3 fails with ENOSYS (Docker's default profile) or EPERM: fork steps
#   go through ns_last_pid, and the task's fork succeeds with the planned pid;
# - a filter that kills on fcntl and dup3: the open keeps its own fd, the task
#   lives, and the step fails with the reason.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
F=$PROGS/filtered
p=$(plan fork <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 500}]}}
J
)
for rule in clone3=enosys clone3=eperm; do
	ctl run --new-ns "$p" -- "$F" $rule fork >"$T/out" 2>&1 ||
		fail "$rule: the plan did not complete: $(cat "$T/out")"
	grep -qx 'child=500' "$T/out" || fail "$rule: the fork did not get pid 500: $(cat "$T/out")"
done
# A real program under Docker's rule: dash forks for its command.
p=$(plan sh <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 700}]}}
J
)
ctl run --new-ns "$p" -- "$F" clone3=enosys exec /bin/sh -c 'sh -c "echo pid=\$\$"; true' \
	>"$T/out" 2>&1 || fail "sh under clone3=enosys: $(cat "$T/out")"
grep -qx 'pid=700' "$T/out" || fail "sh under clone3=enosys: $(cat "$T/out")"

p=$(plan open <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 40, "path": "/dev/null"}]}}
J
)
ctl run "$p" -- "$F" fcntl=kill,dup3=kill open /dev/null >"$T/out" 2>&1
rc=$?
[ $rc = 3 ] || fail "kill on fcntl and dup3: nsdctl exited $rc, not 3: $(cat "$T/out")"
grep -q '^fd=[0-9]' "$T/out" || fail "the task did not survive its open: $(cat "$T/out")"
grep -qx 'fd=40' "$T/out" && fail "the fd moved through a filter that forbids it"
grep -q 'seccomp filter forbids' "$T/out" || fail "no reason given: $(cat "$T/out")"
# The same filter, with the kernel's fd already the planned one: nothing to move.
p=$(plan open3 <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 3, "path": "/dev/null"}]}}
J
)
ctl run "$p" -- "$F" fcntl=kill,dup3=kill open /dev/null >"$T/out" 2>&1 ||
	fail "fd 3 under the filter: $(cat "$T/out")"
grep -qx 'fd=3' "$T/out" || fail "fd 3 under the filter: $(cat "$T/out")"
pass "clone3 refused by a filter: ns_last_pid; fcntl and dup3 forbidden: the task keeps its fd"
