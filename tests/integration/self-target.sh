#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nsdd refuses itself and its own ns_last_pid helper as a plan's target or a
# SetNext thread, with a clear error: traced, either would stay stopped and
# the plan would never end (issue 8, item 13).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
target_plan() {
	plan "t$1" <<J
{"version": 1, "target": {"pid": $1}, "tasks": {"target": [{"call": "fork", "pid": 900}]}}
J
}
out=$(ctl submit "$(target_plan "$NSDD_PID")" 2>&1) && fail "nsdd accepted itself: $out"
echo "$out" | grep -q "permission denied: pid [0-9]* is nsdd itself" || fail "nsdd as target: $out"
out=$(ctl set "$NSDD_PID" 'LONG1 900' 2>&1) && fail "SetNext on nsdd: $out"
echo "$out" | grep -q "is nsdd itself" || fail "SetNext on nsdd: $out"

# An unprivileged restorer makes nsdd place a helper in its pid namespace;
# the plan waits for its second fork meanwhile.
chmod 755 "$T"
p=$(plan two <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 40}, {"call": "fork", "pid": 41}]}}
J
)
chmod 644 "$p"
FORKWAIT_CHILD_EXIT=1 ctl run --new-ns "$p" -- $NOBODY "$PROGS/forkwait" 2 >"$T/out" 2>&1 &
run=$!
wait_for "$T/out" '^waiting$'
helper=$(pgrep -P "$NSDD_PID" -x nsdd-pidns)
[ -n "$helper" ] || fail "no helper was placed: $(cat "$T/nsdd.log")"
out=$(ctl submit "$(target_plan "$helper")" 2>&1) && fail "nsdd accepted its helper: $out"
echo "$out" | grep -q "permission denied: pid [0-9]* is nsdd.s own pid namespace helper" || fail "helper as target: $out"
out=$(ctl set "$helper" 'LONG1 900' 2>&1) && fail "SetNext on the helper: $out"
check_free "$helper"
kill -USR1 "$(sed -n 's/.* as pid \([0-9]*\)$/\1/p' "$T/out" | head -1)"
wait $run
grep -qx 'completed *' "$T/out" || fail "the restorer's plan did not complete: $(cat "$T/out")"
ctl info >/dev/null || fail "nsdd stopped answering"
pass "nsdd and its helper are refused as targets"
