#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Two traced tasks of one pid namespace fork at the same time on the
# ns_last_pid path: nsdd serializes them, and each gets its own pid.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
start_nsdd

p=$(plan race <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 10}, {"call": "fork", "pid": 20}],
  "10": [{"call": "fork", "pid": 11}, {"call": "fork", "pid": 12}, {"call": "fork", "pid": 13}],
  "20": [{"call": "fork", "pid": 21}, {"call": "fork", "pid": 22}, {"call": "fork", "pid": 23}]}}
J
)
for i in 1 2 3 4 5; do
	ctl run --new-ns "$p" -- $NOBODY /bin/sh -c '
		(for i in 1 2 3; do sh -c "echo a=\$\$"; done) &
		(for i in 1 2 3; do sh -c "echo b=\$\$"; done) &
		wait' >"$T/out" 2>&1 || fail "run $i: $(cat "$T/out")"
	for id in a=11 a=12 a=13 b=21 b=22 b=23; do
		grep -qx "$id" "$T/out" || fail "run $i: no $id: $(cat "$T/out")"
	done
done
pass "concurrent forks in one namespace are serialized"
