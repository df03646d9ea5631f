#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nsdd holds no fd per fork step, even with on_failure "kill" (which must be
# able to kill every process the plan made): a plan of 300 forks runs under
# an nsdd limited to 64 fds, and an internal failure is never reported as a
# wrong pid (issue 8, item 11).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
ulimit -n 64
start_nsdd
steps=$(for i in $(seq 100 399); do printf '{"call": "fork", "pid": %d}' $i; [ $i -lt 399 ] && printf ', '; done)
p=$(plan many <<J
{"version": 1, "on_failure": "kill", "tasks": {"target": [$steps]}}
J
)
ctl run --new-ns "$p" -- /bin/sh -c 'i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i + 1)); done; sh -c "echo last=\$\$"' \
	>"$T/out" 2>&1 || fail "run: $(tail -5 "$T/out")"
grep -q 'mismatch' "$T/out" && fail "a step reported a mismatch: $(grep mismatch "$T/out")"
[ "$(grep -c '^applied' "$T/out")" = 300 ] || fail "not 300 applied steps: $(tail -5 "$T/out")"
n=$(ls /proc/"$NSDD_PID"/fd | wc -l)
[ "$n" -lt 20 ] || fail "nsdd holds $n fds after the plan"
pass "300 fork steps under a 64-fd nsdd, on_failure kill: no fd per step"
