#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nsdd asks for the shortest CPU slice (Linux 6.12's custom slices), so that
# a task it answers, woken on its CPU, does not take that CPU from it before
# it is back asleep (nsdd(8), SCHEDULING). Read from /proc/PID/sched:
# 1. started plainly: SCHED_OTHER with a 100 us slice;
# 2. under nice 5: the slice, and its nice kept (prio 125);
# 3. under SCHED_BATCH (as systemd's CPUSchedulingPolicy= sets it): left as
#    it is, policy and slice.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
default=$(grep -s '^se.slice' /proc/self/sched | awk '{print $3}')
[ -n "$default" ] || skip "this kernel has no custom slices (se.slice in /proc/PID/sched, Linux 6.12)"
field() { awk -v k="$1" '$1 == k {print $3}' "/proc/$NSDD_PID/sched"; }

start_nsdd
[ "$(field policy)" = 0 ] && [ "$(field se.slice)" = 100000 ] ||
	fail "plain: policy $(field policy), slice $(field se.slice)"
stop_nsdd || fail "nsdd did not stop"
pass "nsdd runs SCHED_OTHER with a 100 us slice"

NSDD_WRAP="nice -n 5" start_nsdd
[ "$(field prio)" = 125 ] && [ "$(field se.slice)" = 100000 ] ||
	fail "nice 5: prio $(field prio), slice $(field se.slice)"
stop_nsdd || fail "nsdd did not stop"
pass "under nice 5: the short slice, its nice kept"

NSDD_WRAP="chrt -b 0" start_nsdd
[ "$(field policy)" = 3 ] && [ "$(field se.slice)" = "$default" ] ||
	fail "SCHED_BATCH: policy $(field policy), slice $(field se.slice) (default $default)"
stop_nsdd || fail "nsdd did not stop"
pass "under SCHED_BATCH: policy and slice left as they are"
