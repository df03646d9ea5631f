#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# /bin/sh (dash) runs a pipeline and a subshell: it forks both pipeline
# members, then the subshell, which vforks the inner shell.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan sh <<'J'
{"version": 1, "name": "sh", "tasks": {
  "target": [{"call": "fork", "pid": 10}, {"call": "fork", "pid": 11}, {"call": "fork", "pid": 12}],
  "12": [{"call": "fork", "pid": 13}]}}
J
)
ctl run --new-ns "$p" -- /bin/sh -c \
	'/bin/sh -c "echo left=\$\$" | cat; (/bin/sh -c "echo sub=\$\$"; true)' >"$T/out" 2>&1 ||
	fail "run: $(cat "$T/out")"
grep -qx 'left=10' "$T/out" && grep -qx 'sub=13' "$T/out" || fail "pids: $(cat "$T/out")"
pass "sh pipeline and subshell got their planned pids"
