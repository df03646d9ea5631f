#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A thread that nsdd does not trace calls execve: the kernel removes the
# traced leader without telling its tracer. nsdd notices, the plan fails at
# once (not "running" for ever), and the pid, now the new program's, can be
# the target of a new plan (issue 8, item 9). Twice: with the thread there
# before the plan (nsdd seizes and lets go of it), and made after (nsdd sees
# its clone, then lets go of it); the second lost the race in CI once.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

vanish() { # BEFORE-MS AFTER-MS
	local prog p id state p2 id2
	"$PROGS/lateexec" "$1" "$2" sleep 30 &
	prog=$!
	[ "$1" = 0 ] && sleep 0.2 # the thread is there before the plan
	p=$(plan vanish <<J
{"version": 1, "target": {"pid": $prog}, "tasks": {"target": [{"call": "fork", "pid": 4000000}]}}
J
)
	id=$(ctl submit "$p") || fail "submit: $id"
	for _ in $(seq 100); do
		[ "$(cat /proc/$prog/comm 2>/dev/null)" = sleep ] && break
		sleep 0.05
	done
	[ "$(cat /proc/$prog/comm)" = sleep ] || fail "the thread did not exec"
	for _ in $(seq 40); do
		state=$(ctl status "$id" | head -1 | sed -n 's/^plan [0-9a-f]*: \([a-z]*\),.*/\1/p')
		[ "$state" = failed ] && break
		sleep 0.05
	done
	[ "$state" = failed ] || fail "thread made at $1 ms: the plan is still '$state' after its leader vanished: $(ctl status "$id")"
	check_free "$prog"
	p2=$(plan again <<J
{"version": 1, "target": {"pid": $prog}, "tasks": {"target": [{"call": "fork", "pid": 4000000}]}}
J
)
	id2=$(ctl submit "$p2") || fail "a new plan for pid $prog: $id2"
	ctl cancel "$id2" >/dev/null || fail "cancel"
	kill "$prog"
	wait "$prog" 2>/dev/null
}
vanish 0 500
vanish 300 500
pass "a leader replaced by another thread's execve: the plan fails, the pid is free again"
