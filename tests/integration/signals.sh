#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# SIGSTOP and SIGCONT, then SIGUSR1 with a handler, arrive between two steps:
# the stop holds, the handler runs, and the second fork gets its pid.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan sig <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 100}, {"call": "fork", "pid": 200}]}}
J
)
FORKWAIT_CHILD_EXIT=1 ctl --json run --new-ns "$p" -- "$PROGS/forkwait" 2 >"$T/out" 2>&1 &
run=$!
wait_for "$T/out" '^waiting$'
target=$(grep -o '"pid": *[0-9]*' "$T/out" | head -1 | grep -o '[0-9]*$')
kill -STOP "$target"
for _ in $(seq 100); do
	state=$(awk '/^State:/ {print $2}' "/proc/$target/status")
	case $state in t | T) break ;; esac
	sleep 0.02
done
case $state in t | T) ;; *) fail "SIGSTOP did not stop the target (state $state)" ;; esac
sleep 0.2
grep -q '^child=200$' "$T/out" && fail "the target ran while stopped"
kill -CONT "$target"
for _ in $(seq 100); do
	state=$(awk '/^State:/ {print $2}' "/proc/$target/status")
	case $state in t | T) sleep 0.02 ;; *) break ;; esac
done
case $state in t | T) fail "SIGCONT did not resume the target" ;; esac
kill -USR1 "$target"
wait_for "$T/out" '^usr1$'
wait_for "$T/out" '^child=200$'
wait_for "$T/out" '"kind": *"completed"'
check_free "$target"
kill -KILL "$target"
wait $run
pass "signals pass through and group-stop holds mid-plan"
