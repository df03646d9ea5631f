#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Planned forks under a SIGCHLD storm: dash forks 150 children in the
# background, each of which exits at once, so SIGCHLD keeps coming while it
# makes its next fork; dash's SIGCHLD handler has no SA_RESTART. A fork that
# nsdd holds (its notification, its stop) must never fail with EINTR ("Cannot
# fork"), and every child must get its planned pid. (seccomp-all.sh runs this
# in mode seccomp, where the fork waits on its notification.)
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v dash >/dev/null || skip "no dash"
start_nsdd

n=150
p=$(python3 - "$n" >"$T/storm.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"version": 1, "tasks": {"target": [{"call": "fork", "pid": 1000 + i} for i in range(n)]}}))
PY
echo "$T/storm.json")
ctl run --new-ns "$p" -- dash -c 'i=0; while [ $i -lt '$n' ]; do dash -c "echo child=\$\$" & i=$((i + 1)); done; wait' \
	>"$T/out" 2>&1 || fail "run failed: $(grep -v '^child=' "$T/out" | tail -5)"
grep -q 'Cannot fork\|EINTR\|Interrupted' "$T/out" && fail "a fork failed: $(grep -m3 'Cannot fork\|EINTR\|Interrupted' "$T/out")"
got=$(grep -o '^child=[0-9]*' "$T/out" | sort -t= -k2 -n | tr '\n' ' ')
want=$(for i in $(seq 0 $((n - 1))); do printf 'child=%d ' $((1000 + i)); done)
[ "$got" = "$want" ] || fail "pids: got $(echo "$got" | wc -w) children, not $n at 1000..$((1000 + n - 1)): $(echo "$got" | head -c 300)"
pass "$n planned forks under a SIGCHLD storm, each at its pid"
