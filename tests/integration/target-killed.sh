#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The target is SIGKILLed between two steps: the plan fails, says why, and
# the child it already made runs on, neither stopped nor traced.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan two <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 100}, {"call": "fork", "pid": 200}],
  "100": []}}
J
)
ctl --json run --new-ns "$p" -- "$PROGS/forkwait" 2 >"$T/out" 2>&1 &
run=$!
wait_for "$T/out" '^waiting$'
target=$(grep -o '"pid": *[0-9]*' "$T/out" | head -1 | grep -o '[0-9]*$')
child=$(pgrep -P "$target" forkwait)
[ -n "$child" ] || fail "no child of $target"
# The child is pid 100 in the target's namespace.
grep -q "NSpid:.*[[:space:]]100$" "/proc/$child/status" || fail "child is not pid 100"
check_free "$child"
kill -KILL "$target"
wait $run
rc=$?
[ $rc = 3 ] || fail "nsdctl run exited $rc, not 3 (plan failed)"
grep -q 'killed by SIGKILL with 1 step pending' "$T/out" || fail "reason: $(cat "$T/out")"
grep -q '"kind": *"plan_failed"' "$T/out" || fail "no plan_failed event"
pass "a target killed mid-plan fails the plan and leaves nothing stopped"
