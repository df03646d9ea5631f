#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every read of tracee memory is bounded and checked: a tracee that rewrites
# and unmaps the path and clone3 arguments nsdd reads, while it reads them,
# cannot crash or hang nsdd, and a step applies only to what matched.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan flip <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 42, "path": "/dev/null"},
  {"call": "fork", "pid": 500}]}}
J
)
for r in 1 2 3; do
	ctl run --new-ns "$p" -- "$PROGS/memflip" 3000 >"$T/out" 2>&1
	rc=$?
	kill -0 "$NSDD_PID" || fail "nsdd died: $(tail -20 "$T/nsdd.log")"
	grep -q '^open42=' "$T/out" || fail "the program did not survive: $(cat "$T/out")"
	# Completed: both steps found a read that matched; else the plan failed cleanly.
	case $rc in
	0)
		grep -qx 'open42=1' "$T/out" && grep -qx 'fork500=1' "$T/out" ||
			fail "completed, yet: $(cat "$T/out")"
		;;
	3) ;;
	*) fail "run exited $rc: $(cat "$T/out")" ;;
	esac
done
ctl info >/dev/null || fail "nsdd stopped answering"
pass "tracee memory changing under nsdd's reads: no crash, no hang"
