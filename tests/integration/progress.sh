#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# On a terminal, nsdctl draws a progress bar (steps applied/total and the
# current task) on stderr; off a terminal, it draws none.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v script >/dev/null || skip "script (util-linux) is not installed"
start_nsdd

p=$(plan bar <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 10}, {"call": "fork", "pid": 20}]}}
J
)
cmd="$NSDCTL run --new-ns $p -- /bin/sh -c 'sh -c true; sh -c true'"
script -qec "$cmd" /dev/null >"$T/tty" 2>&1 || fail "run on a terminal: $(cat "$T/tty")"
grep -q '\[#*-*\] 1/2 steps  task target' "$T/tty" || fail "no progress bar: $(cat -v "$T/tty")"
grep -q '\[##############################\] 2/2 steps' "$T/tty" || fail "no full bar: $(cat -v "$T/tty")"
timeout 30 bash -c "$cmd" >"$T/pipe" 2>&1 || fail "run off a terminal"
grep -q 'steps' "$T/pipe" && fail "a progress bar off a terminal: $(cat "$T/pipe")"
pass "progress bar on a terminal only"
