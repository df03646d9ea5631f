#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The clone3 arguments that nsdd writes below a task's stack pointer are put
# back, in parent and child: a fork made with live data just below the stack
# pointer (a coroutine's stack, a small sigaltstack) finds it intact
# (issue 8, item 4).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
p=$(plan low <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 500}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/lowstack" >"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
grep -qx 'child=500 parent_bytes=ok child_bytes=ok' "$T/out" || fail "$(cat "$T/out")"
# (Mode seccomp answers the fork from its notification: nothing is written.)
how='by clone3'
[ "${NSDD_MODE:-}" = seccomp ] && how='by ns_last_pid, no stop'
grep -q "^applied .* $how\$" "$T/out" || fail "the fork was not made $how: $(cat "$T/out")"
pass "a fork on a stack with no headroom: pid 500, every byte below the stack intact"
