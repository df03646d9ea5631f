#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The restorer runs as nobody without capabilities: clone3 set_tid fails with
# EPERM, and nsdd writes ns_last_pid from a helper inside the namespace. The
# helper must not take a planned pid.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
start_nsdd

p=$(plan tree <<'J'
{"version": 1, "tasks": {
  "target": [{"call": "fork", "pid": 40}],
  "40": [{"call": "thread", "pid": 41}, {"call": "fork", "pid": 50}],
  "50": [{"call": "thread", "pid": 51}, {"call": "fork", "pid": 60}]}}
J
)
ctl run --new-ns "$p" -- $NOBODY "$PROGS/forktree" 40 41 50 51 60 >"$T/out" 2>&1 ||
	fail "run exited $?: $(cat "$T/out")"
for id in A=40 A1=41 B=50 B1=51 C=60; do
	grep -qx "$id" "$T/out" || fail "the tree did not see $id: $(cat "$T/out")"
done
[ "$(grep -c '^applied .* by ns_last_pid\(, no stop\)\?$' "$T/out")" = 5 ] ||
	fail "5 steps by ns_last_pid expected: $(cat "$T/out")"
# Children inherit the refusal: only the target tries clone3 and falls back
# (in mode seccomp, no task does: its forks are answered from their
# notifications, with ns_last_pid).
tried=1
[ "${NSDD_MODE:-}" = seccomp ] && tried=0
[ "$(grep -c 'rewritten clone3 failed' "$T/nsdd.log")" = $tried ] ||
	fail "clone3 retried by tasks that inherit the refusal"
pass "ns_last_pid path: an unprivileged restorer got every planned pid"
