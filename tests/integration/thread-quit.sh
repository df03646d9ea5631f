#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A planned thread whose process exits the moment it is made: exit_group(2)
# kills the thread, often while nsdd holds it at its first stop, and a
# SIGKILL ends a ptrace stop before nsdd's PTRACE_DETACH can come. The
# thread then stops once more, at its exit, still nsdd's: nsdd must let it
# go there, or it and its process wait for ever (seen in bench/tree, as
# nobody: ns_last_pid written for each thread). 60 children, each with one
# planned thread; as root and as nobody, in the mode the suite runs.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

n=60
thread_plan $n 500 >"$T/quit.json"
for who in root nobody; do
	pre=
	if [ $who = nobody ]; then
		command -v setpriv >/dev/null || continue
		pre=$NOBODY
	fi
	ctl run --new-ns "$T/quit.json" -- $pre "$PROGS/threadquit" $n >"$T/out" 2>&1 ||
		fail "$who: exited $?: $(grep -v '^applied' "$T/out" | tail -5)"
	grep -qx "done $n" "$T/out" || fail "$who: $(tail -5 "$T/out")"
	[ "$(grep -c '^applied .* thread' "$T/out")" = $n ] ||
		fail "$who: $(grep -c '^applied .* thread' "$T/out") of $n threads applied"
	stuck=$(ps -eo stat=,comm= | awk '$2 == "threadquit" && $1 ~ /^t/' | wc -l)
	[ "$stuck" = 0 ] || fail "$who: $stuck threadquit tasks left in a ptrace stop"
done
pass "$n threads whose process exits as they are made: none left stopped, as root and nobody"
