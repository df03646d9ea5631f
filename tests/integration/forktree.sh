#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A C program forks a tree three levels deep with threads and checks its own
# pids and tids; clone is rewritten into clone3, clone3 gets set_tid.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan tree <<'J'
{"version": 1, "name": "tree", "tasks": {
  "target": [{"call": "fork", "pid": 4000}],
  "4000": [{"call": "thread", "pid": 4001}, {"call": "fork", "pid": 4100}],
  "4100": [{"call": "thread", "pid": 4101}, {"call": "fork", "pid": 4200}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/forktree" 4000 4001 4100 4101 4200 >"$T/out" 2>&1 ||
	fail "run exited $?: $(cat "$T/out")"
for id in A=4000 A1=4001 B=4100 B1=4101 C=4200; do
	grep -qx "$id" "$T/out" || fail "the tree did not see $id: $(cat "$T/out")"
done
[ "$(grep -c '^applied' "$T/out")" = 5 ] || fail "5 applied events expected: $(cat "$T/out")"
# Mode seccomp (seccomp-all.sh) answers them from their notifications.
how='by clone3'
[ "${NSDD_MODE:-}" = seccomp ] && how='by ns_last_pid, no stop'
[ "$(grep -c "^applied .* $how\$" "$T/out")" = 5 ] || fail "not all $how: $(cat "$T/out")"
pass "3-level tree with threads got every planned pid and tid"
