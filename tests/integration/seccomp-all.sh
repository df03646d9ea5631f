#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every fork, thread, IPC, open and IPC_SET test that runs its program with
# `nsdctl run`, run again in mode seccomp: the same ids, the same events and
# errors, with the tasks stopping only at the calls their steps take; and
# the hostile ones: memory rewritten under nsdd's reads (the path of an open
# changed between its notification and the call), signal storms, a target
# killed between steps, the emulated next_syscall_data file.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
tests="forktree ns-last-pid nested-ns regs vfork-exec sh-pipeline real-programs exec
	ipc ipc-existing fd fd-race ipcset plan-options ns-lock clone-fallback low-stack
	tracee-memory target-killed signals-inject many-forks-fds stress memory-stall
	seccomp-filter new-ns-proc next-syscall-data sigchld-storm thread-quit"
for t in $tests; do
	: >"$T/modes"
	NSDD_MODE=seccomp NSDD_MODE_LOG=$T/modes NSDD_LOG_LINES=400 \
		bash "$top_srcdir/tests/integration/$t.sh" \
		>"$T/$t.log" 2>&1
	rc=$?
	[ $rc = 77 ] && { echo "($t: $(grep -m1 SKIP "$T/$t.log"))"; continue; }
	# The failure's own lines: not nsdd's log, nor the shell's notes of the
	# processes the test's cleanup killed (stress.sh's 200 sleeps); then
	# the test's nsdd log, the last 400 lines (a rare failure's only trace).
	if [ $rc != 0 ]; then
		grep '^nsdd:' "$T/$t.log" | tail -400 >"$T/nsdd.log"
		NSDD_LOG_LINES=400 fail "$t in mode seccomp: $(grep -v '^nsdd:\|^--- nsdd log:$\|line [0-9]*: *[0-9]* Killed' "$T/$t.log" | tail -15)"
	fi
	[ -s "$T/modes" ] || fail "$t ran nothing in mode seccomp"
	pass "$t in mode seccomp ($(wc -l <"$T/modes") runs)"
done
