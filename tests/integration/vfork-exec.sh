#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vfork then execve: the exec'd shell reports the planned pid; the parent,
# blocked in vfork until the exec, sees the same pid returned.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan vfork <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 800}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/vforkexec" >"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
grep -qx 'child=800' "$T/out" && grep -qx 'vfork=800' "$T/out" || fail "pids: $(cat "$T/out")"
grep -q 'fork (vfork) want 800 got 800' "$T/out" || fail "event: $(cat "$T/out")"
if command -v setpriv >/dev/null; then
	ctl run --new-ns "$p" -- $NOBODY "$PROGS/vforkexec" >"$T/out" 2>&1 ||
		fail "ns_last_pid path: $(cat "$T/out")"
	grep -qx 'child=800' "$T/out" || fail "ns_last_pid path pids: $(cat "$T/out")"
fi
pass "vfork+exec got the planned pid"
