#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Authorization, each rule exercised by real unprivileged users that the test
# creates: a member of nsdd's group and a user outside it.
# - outside the group: PermissionDenied for everything but GetInfo;
# - a member: its own plans only (others' are answered NoSuchPlan and never
#   listed), and only for tasks it could ptrace itself, in pid and IPC
#   namespaces whose user namespace it owns.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v unshare >/dev/null || skip "unshare is not installed"
G=nsdtg$$ M=nsdtm$$ O=nsdto$$
make_users "$G" "$M" "$O"
start_nsdd --group "$G"
chmod 666 "$NSDD_SOCKET" # so that the outsider reaches nsdd, which must refuse it

# Outside the group: only GetInfo.
as "$O" "$NSDCTL" info 2>"$T/err" && fail "an outsider got Info"
grep -q 'permission denied: only root and the nsd group' "$T/err" || fail "outsider: $(cat "$T/err")"
as "$O" "$NSDCTL" list 2>/dev/null && fail "an outsider got List"
as "$M" "$NSDCTL" info >/dev/null || fail "a member was refused Info"

# The member's own restorer, in user, pid and IPC namespaces it owns.
as "$M" unshare --user --map-root-user --pid --ipc --fork "$PROGS/actions" fork msgget >"$T/own.out" 2>&1 &
wait_for "$T/own.out" '^ready$'
own=$(pgrep -u "$M" -x actions | head -1)
printf '{"version": 1, "target": {"pid": %d}, "tasks": {"target": [{"call": "fork", "pid": 5}, {"call": "msgget", "id": 777}]}}' \
	"$own" >"$T/own.json"
as "$M" "$NSDCTL" submit --wait "$T/own.json" >"$T/sub" 2>&1 &
sub=$!
wait_for "$T/sub" '^attached'
kill -USR1 "$own"
wait_for "$T/own.out" '^ready$|^fork='
sleep 0.2
kill -USR1 "$own"
wait $sub || fail "the member's own plan: $(cat "$T/sub")"
grep -qx 'fork=5' "$T/own.out" && grep -qx 'msgget=777' "$T/own.out" || fail "own plan: $(cat "$T/own.out")"
mine=$(head -1 "$T/sub")

# Tasks the member could not ptrace, or namespaces it does not own.
sleep 60 &
root_sleep=$!
printf '{"version": 1, "target": {"pid": %d}, "tasks": {}}' $root_sleep >"$T/root.json"
as "$M" "$NSDCTL" submit "$T/root.json" 2>"$T/err" && fail "a member traced root's task"
grep -q 'permission denied: you could not ptrace task' "$T/err" || fail "root's task: $(cat "$T/err")"
as "$M" "$NSDCTL" set $root_sleep 'LONG1 5' 2>"$T/err" && fail "a member set root's task"
grep -q 'permission denied' "$T/err" || fail "SetNext on root's task: $(cat "$T/err")"
as "$M" sleep 60 &
for _ in $(seq 100); do
	plain=$(pgrep -u "$M" -x sleep | head -1)
	[ -n "$plain" ] && break
	sleep 0.05
done
printf '{"version": 1, "target": {"pid": %d}, "tasks": {}}' "$plain" >"$T/plain.json"
as "$M" "$NSDCTL" submit "$T/plain.json" 2>"$T/err" && fail "a member made ids in namespaces it does not own"
grep -q "namespace belongs to a user namespace you do not own" "$T/err" || fail "init ns: $(cat "$T/err")"

# Others' plans are invisible; root sees all.
printf '{"version": 1, "timeout_ms": 60000, "target": {"pid": %d}, "tasks": {"target": [{"call": "fork", "pid": 9}]}}' \
	"$root_sleep" >"$T/rootplan.json"
theirs=$(ctl submit "$T/rootplan.json") || fail "root's plan"
as "$M" "$NSDCTL" status "$theirs" 2>"$T/err" && fail "a member saw root's plan"
grep -q "no such plan: $theirs" "$T/err" || fail "status of root's plan: $(cat "$T/err")"
as "$M" "$NSDCTL" cancel "$theirs" 2>/dev/null && fail "a member cancelled root's plan"
as "$M" "$NSDCTL" watch "$theirs" 2>/dev/null && fail "a member watched root's plan"
as "$M" "$NSDCTL" list >"$T/list" || fail "member list"
grep -q "$theirs" "$T/list" && fail "a member listed root's plan"
grep -q "$mine" "$T/list" || fail "a member did not list its own plan: $(cat "$T/list")"
as "$M" "$NSDCTL" status "$mine" >/dev/null || fail "a member could not see its own plan"
ctl list | grep -q "$mine" && ctl list | grep -q "$theirs" || fail "root does not see every plan"
ctl cancel "$theirs" || fail "root cancel"
# A container's runtime is root's: a member may not give a container a plan.
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 9}]}}' >"$T/ctr.json"
chmod 644 "$T/ctr.json"
as "$M" "$NSDCTL" submit --container some-container "$T/ctr.json" >"$T/ctr.out" 2>&1 &&
	fail "a member gave a container a plan"
grep -q 'only root may give a container a plan' "$T/ctr.out" || fail "member container: $(cat "$T/ctr.out")"
pass "authorization: outsiders get GetInfo only; members their own plans and tasks"
