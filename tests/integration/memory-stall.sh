#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Tracee memory that never answers cannot stall nsdd (issue 8, item 10). A
# task opens a path in a page that an unserved userfaultfd guards; nsdd
# must read that path to match its step. The read is made by a helper
# process that is killed at the deadline: the step fails with ETIMEDOUT,
# nsdd keeps answering meanwhile, and the next read that needs a helper
# (ld.so's own "/etc/ld.so.cache", in a file-backed page) gets a new one.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
mkfifo "$T/in"
"$PROGS/uffdopen" <"$T/in" >"$T/out" 2>&1 &
prog=$!
# Were nsdd stuck in the read, only SIGKILL would free it (the task stops at
# its exit for nsdd before its userfaultfd is closed).
test_before_stop() {
	kill -9 "$prog" 2>/dev/null
	! grep -q handle_userfault "/proc/$NSDD_PID/wchan" 2>/dev/null || kill -9 "$NSDD_PID"
}
exec 9>"$T/in"
wait_for "$T/out" '^ready$' || fail "uffdopen: $(cat "$T/out")"
p=$(plan stall <<J
{"version": 1, "target": {"pid": $prog}, "tasks": {"target": [{"call": "open", "fd": 50, "path": "/dev/null"}]}}
J
)
id=$(ctl submit "$p") || fail "submit: $id"
echo go >&9 # the task now opens the guarded path
start=$(date +%s%N)
# nsdd answers all along; the plan fails once the helper misses its deadline.
for _ in $(seq 100); do
	timeout 5 "$NSDCTL" info >/dev/null || fail "nsdd stopped answering"
	state=$(ctl status "$id" | head -1 | sed -n 's/^plan [0-9a-f]*: \([a-z]*\),.*/\1/p')
	[ "$state" = failed ] && break
	sleep 0.05
done
ms=$((($(date +%s%N) - start) / 1000000))
[ "$state" = failed ] || fail "the plan is '$state' after $ms ms: $(ctl status "$id")"
ctl --json status "$id" | grep -q 'cannot read the path it opens: Connection timed out' ||
	fail "not failed for the timeout: $(ctl --json status "$id")"
for _ in $(seq 40); do
	pgrep -P "$NSDD_PID" -x nsdd-memio >/dev/null || break
	sleep 0.05
done
! pgrep -P "$NSDD_PID" -x nsdd-memio >/dev/null || fail "the helper that missed its deadline is still there"
# Let go of it: it waits in its own fault now, not nsdd.
for _ in $(seq 100); do
	grep -q '^TracerPid:[[:space:]]*0$' "/proc/$prog/status" && break
	sleep 0.05
done
grep -q '^TracerPid:[[:space:]]*0$' "/proc/$prog/status" || fail "still traced"
kill -9 "$prog"
wait "$prog" 2>/dev/null
exec 9>&-

p2=$(plan ldcache <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 40, "path": "/etc/ld.so.cache"}]}}
J
)
out=$(ctl run "$p2" -- /bin/true 2>&1) || fail "a path in a file-backed page: $out"
pgrep -P "$NSDD_PID" -x nsdd-memio >/dev/null || fail "no helper made for the file-backed page"
pass "a path nobody can read: the step fails in $ms ms (ETIMEDOUT) and nsdd answers; the next helper works"

# 2. Eight threads open paths in that page under a plan that serves
#    next_syscall_data, so nsdd reads the path of every open of theirs, and
#    a failed read fails no step. A plan's tasks may make nsdd miss its
#    deadline 4 times: then the plan fails and their memory is not read
#    again (issue 22: nsdd once lost 250 ms of its loop to every such open).
mkfifo "$T/in2"
"$PROGS/uffdopen" 8 <"$T/in2" >"$T/out2" 2>&1 &
prog=$!
exec 9>"$T/in2"
wait_for "$T/out2" '^ready$' || fail "uffdopen 8: $(cat "$T/out2")"
printf '{"version": 1, "target": {"pid": %d}, "next_syscall_data": true, "tasks": {}}\n' \
	"$prog" >"$T/stall8.json"
id=$(ctl submit "$T/stall8.json") || fail "submit: $id"
echo go >&9
# Each open costs nsdd one missed deadline until the plan is given up; the
# threads then wait in their faults, where nothing but SIGKILL reaches them
# (so the plan ends when they die).
sleep 3
kill -9 "$prog"
wait "$prog" 2>/dev/null
exec 9>&-
for _ in $(seq 100); do
	state=$(ctl status "$id" | head -1 | sed -n 's/^plan [0-9a-f]*: \([a-z]*\),.*/\1/p')
	[ "$state" = failed ] && break
	sleep 0.05
done
[ "$state" = failed ] || fail "8 stalling threads: the plan is '$state': $(ctl status "$id")"
ctl status "$id" | grep -q "memory missed nsdd's deadline 4 times" ||
	fail "8 stalling threads: $(ctl status "$id")"
n=$(sed -n "/plan $id: attached/,\$p" "$T/nsdd.log" | grep -c 'memory helper took more than')
[ "$n" = 4 ] || fail "8 stalling threads: nsdd missed its deadline $n times, not 4"
pass "8 threads in a page nobody serves: nsdd gives their plan up after 4 missed deadlines"
