#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Signals rain on a task whose forks are all steps (ptrace mode).
# 1. SIGUSR1, with a handler, every 20 µs: nsdd blocks the task's signals
#    from a planned fork's entry to its event, so that none makes the kernel
#    give the fork up and make it again; they arrive after it. Each fork
#    gets its planned pid, none is made again, and the 60 forks end in a few
#    seconds (before, each signal cost the fork a restart and the task its
#    stops: at this rate none was ever made).
# 2. SIGSTOP and SIGCONT, which no mask blocks: a fork interrupted before
#    its child exists is restarted by the kernel and must still get its
#    planned pid, with the registers as the task made the call.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

n=60
steps=$(for pid in $(seq 99 $((100 + n - 1))); do printf '{"call": "fork", "pid": %d}\n' "$pid"; done |
	paste -sd,)
p=$(echo "{\"version\": 1, \"tasks\": {\"target\": [$steps]}}" | plan storm)

# 1. The first step is the pest that raises the storm from inside.
: >"$T/nsdd.log"
ctl --json run --new-ns "$p" -- "$PROGS/forkstorm" $n 100 20 >"$T/out" 2>&1 ||
	fail "SIGUSR1 storm: run exited $?: $(tail -5 "$T/out")"
grep -q '^ok [0-9]' "$T/out" || fail "SIGUSR1 storm: pids: $(tail -5 "$T/out")"
restarts=$(grep -c 'interrupted (-513); it restarts' "$T/nsdd.log")
[ "$restarts" = 0 ] || fail "SIGUSR1 storm: $restarts forks were made again"
read -r _ signals ns < <(grep '^ok ' "$T/out")
pass "$n forks under $signals signals, a signal every 20 µs: each at its pid, none made again, $((ns / 1000)) µs a fork"

# 2. Whether a fork is interrupted is up to timing: up to eight runs, each
# checking every pid, until one saw a restart.
for attempt in 1 2 3 4 5 6 7 8; do
	: >"$T/nsdd.log"
	FORKSTORM_STOP=1 ctl --json run --new-ns "$p" -- "$PROGS/forkstorm" $n 100 100 >"$T/out" 2>&1 ||
		fail "SIGSTOP storm: run exited $?: $(tail -5 "$T/out")"
	grep -q '^ok [0-9]' "$T/out" || fail "SIGSTOP storm: pids: $(tail -5 "$T/out")"
	restarts=$(grep -c 'interrupted (-513); it restarts' "$T/nsdd.log")
	[ "$restarts" -ge 1 ] && break
done
[ "$restarts" -ge 1 ] || fail "no fork was interrupted in 8 runs: the restart path went untested"
pass "$n forks under SIGSTOP and SIGCONT, $restarts restarted, each at its pid (run $attempt)"
