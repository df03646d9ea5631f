#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Pid arrays across nested pid namespaces: clone(CLONE_NEWPID) gets [1, 300]
# and the new init's child gets [5, 301], innermost first.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan nested <<'J'
{"version": 1, "tasks": {
  "target": [{"call": "fork", "pid": [1, 300]}],
  "1": [{"call": "fork", "pid": [5, 301]}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/nested" 1 300 5 301 >"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
grep -qx 'N=1,300' "$T/out" && grep -qx 'G=5,301' "$T/out" || fail "pids: $(cat "$T/out")"

# In a user namespace the restorer may give set_tid for the pid namespace it
# owns but not for the outer one: clone3 fails with EPERM, and nsdd writes
# ns_last_pid at the outer levels while the new namespace starts at 1.
if command -v unshare >/dev/null; then
	ctl run --new-ns "$p" -- unshare --user --map-root-user "$PROGS/nested" 1 300 5 301 \
		>"$T/out" 2>&1 || fail "user namespace run: $(cat "$T/out")"
	grep -qx 'N=1,300' "$T/out" && grep -qx 'G=5,301' "$T/out" || fail "pids: $(cat "$T/out")"
	grep -q '^applied .* by ns_last_pid$' "$T/out" || fail "the ns_last_pid path was not taken"
	[ "$(grep -c 'helper .* placed in pid namespace' "$T/nsdd.log")" -ge 2 ] ||
		fail "no helper in the nested namespace"
fi

# An array longer than the namespaces that exist fails, and says so.
p=$(plan deep <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": [7, 8, 9, 10, 11, 12]}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/forkwait" 1 >"$T/out" 2>&1 &
wait_for "$T/out" 'plan_failed'
grep -q 'EINVAL' "$T/out" || fail "too deep a pid array: $(cat "$T/out")"
pass "pid arrays in nested pid namespaces"
