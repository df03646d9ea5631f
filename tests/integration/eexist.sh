#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A planned pid that is taken: the step fails with EEXIST, the task sees its
# fork fail with EEXIST, and nothing is left stopped or traced. Both paths.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

# In a fresh namespace pid 1 is the target itself.
p=$(plan taken <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 1}]}}
J
)
for who in root nobody; do
	pre=
	if [ $who = nobody ]; then
		command -v setpriv >/dev/null || continue
		pre=$NOBODY
	fi
	ctl --json run --new-ns "$p" -- $pre "$PROGS/forkwait" 1 >"$T/out.$who" 2>&1 &
	run=$!
	wait_for "$T/out.$who" '"kind": ?"plan_failed"'
	grep -q '"kind": *"failed".*EEXIST' "$T/out.$who" || fail "$who: no EEXIST: $(cat "$T/out.$who")"
	wait_for "$T/out.$who" '^fork=-17$'
	target=$(grep -o '"pid": *[0-9]*' "$T/out.$who" | head -1 | grep -o '[0-9]*$')
	check_free "$target"
	kill -KILL "$target"
	wait $run
done
pass "a taken pid gives EEXIST and leaves nothing stopped"
