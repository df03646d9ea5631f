#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every register the syscall ABI preserves is the same after a planned fork
# and clone as after a native one, in the parent and in the child, on both
# the clone3 path (root) and the ns_last_pid path (nobody).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan regs <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 700}, {"call": "fork", "pid": 701}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/regs" 700 701 >"$T/out" 2>&1 || fail "clone3 path: $(cat "$T/out")"
grep -qx 'fork=700' "$T/out" && grep -qx 'clone=701' "$T/out" || fail "pids: $(cat "$T/out")"
# A native run with no plan: the program's own check holds without nsdd too.
"$PROGS/regs" 0 0 >/dev/null 2>"$T/native" && fail "regs did not notice wrong pids"
grep -q 'regs: .*: r' "$T/native" && fail "native fork changed registers: $(cat "$T/native")"
if command -v setpriv >/dev/null; then
	ctl run --new-ns "$p" -- $NOBODY "$PROGS/regs" 700 701 >"$T/out" 2>&1 ||
		fail "ns_last_pid path: $(cat "$T/out")"
fi
# An open moved to its planned fd by dup3 and close run in the task.
p=$(plan open <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 42, "path": "/dev/null"}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/regs" open 42 >"$T/out" 2>&1 || fail "open: $(cat "$T/out")"
grep -qx 'open=42' "$T/out" || fail "open: $(cat "$T/out")"
pass "registers preserved in parent and child, and around a moved open"
