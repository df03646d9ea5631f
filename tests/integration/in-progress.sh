#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A step is taken only by a syscall that the task enters after the step is
# pending (issue 8, item 5). python3 blocks in open() of a FIFO; `nsdctl set`
# then attaches, and the kernel restarts that open once the task runs again.
# The restarted open is not the next open: the FIFO keeps an ordinary fd, and
# the open of /dev/null that follows gets 77.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is not installed"
start_nsdd
mkfifo "$T/fifo"
python3 -c '
import os, sys
a = os.open(sys.argv[1], os.O_RDONLY)
b = os.open("/dev/null", os.O_RDONLY)
print(a, b, flush=True)
' "$T/fifo" >"$T/out" 2>&1 &
prog=$!
for _ in $(seq 100); do
	grep -q wait_for_partner "/proc/$prog/wchan" 2>/dev/null && break
	sleep 0.05
done
grep -q wait_for_partner "/proc/$prog/wchan" || fail "python3 did not block in open: $(cat /proc/$prog/wchan)"
ctl set "$prog" 'LONG1 77' || fail "set"
exec 9>"$T/fifo" # the open completes
wait_for "$T/out" '^[0-9]+ [0-9]+$'
exec 9>&-
wait "$prog"
read -r a b <"$T/out"
[ "$a" != 77 ] || fail "the open that was in progress when the value was set took it (fd $a)"
[ "$b" = 77 ] || fail "the next open got fd $b, not 77 (the FIFO got $a)"
pass "an open in progress at SetNext keeps its fd ($a); the next open gets 77"
