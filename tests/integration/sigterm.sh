#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nsdd gets SIGTERM mid-plan: it detaches every task, the plan's last event
# says cancelled, nsdd exits 0, and the target runs on untraced.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan two <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 100}, {"call": "fork", "pid": 200}]}}
J
)
FORKWAIT_CHILD_EXIT=1 ctl --json run --new-ns "$p" -- "$PROGS/forkwait" 2 >"$T/out" 2>&1 &
wait_for "$T/out" '^waiting$'
target=$(grep -o '"pid": *[0-9]*' "$T/out" | head -1 | grep -o '[0-9]*$')
grep -q "TracerPid:[[:space:]]*$NSDD_PID$" "/proc/$target/status" || fail "target not traced"
kill -TERM "$NSDD_PID"
wait "$NSDD_PID"
rc=$?
NSDD_PID=
[ $rc = 0 ] || fail "nsdd exited $rc on SIGTERM"
wait_for "$T/out" '"kind": *"cancelled"'
tail -1 "$T/out" | grep -q '"kind": *"cancelled"' || fail "last event is not cancelled"
check_free "$target"
kill -USR1 "$target" # it runs on: the second fork happens, untraced
wait_for "$T/out" '^child='
[ -S "$NSDD_SOCKET" ] && fail "nsdd left its socket behind"
pass "SIGTERM detaches every task and cancels the plan"
