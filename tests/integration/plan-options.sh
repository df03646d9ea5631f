#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# on_failure "kill", timeout_ms and strict, each on a real failing plan.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

# on_failure kill: a taken pid fails the plan and the target is SIGKILLed.
p=$(plan kill <<'J'
{"version": 1, "on_failure": "kill", "tasks": {"target": [{"call": "fork", "pid": 1}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/forkwait" 1 >"$T/kill.out" 2>&1
rc=$?
[ $rc = 3 ] || fail "on_failure kill: run exited $rc: $(cat "$T/kill.out")"
grep -q 'EEXIST' "$T/kill.out" || fail "on_failure kill: $(cat "$T/kill.out")"
grep -q '^exited .*killed by SIGKILL' "$T/kill.out" || fail "target not killed: $(cat "$T/kill.out")"

# timeout_ms: a step that never comes fails the plan with reason "timeout".
p=$(plan timeout <<'J'
{"version": 1, "timeout_ms": 300, "tasks": {"target": [{"call": "fork", "pid": 100}, {"call": "fork", "pid": 200}]}}
J
)
ctl --json run --new-ns "$p" -- "$PROGS/forkwait" 2 >"$T/timeout.out" 2>&1 &
wait_for "$T/timeout.out" '"kind": *"plan_failed"'
grep -q '"error": *"timeout"' "$T/timeout.out" || fail "timeout: $(cat "$T/timeout.out")"
target=$(grep -o '"pid": *[0-9]*' "$T/timeout.out" | head -1 | grep -o '[0-9]*$')
check_free "$target"
kill -KILL "$target"

# strict: the target makes a thread while its next step is a fork.
py=/usr/bin/python3
[ -x $py ] || skip "no /usr/bin/python3 for the strict test"
prog='import os, threading
t = threading.Thread(target=lambda: None); t.start(); t.join()
pid = os.fork()
if pid == 0:
    os.write(1, b"child=%d\n" % os.getpid()); os._exit(0)
os.waitpid(pid, 0)'
p=$(plan strict <<'J'
{"version": 1, "strict": true, "tasks": {"target": [{"call": "fork", "pid": 4000}]}}
J
)
ctl run --new-ns "$p" -- $py -c "$prog" >"$T/strict.out" 2>&1
rc=$?
[ $rc = 3 ] || fail "strict: run exited $rc: $(cat "$T/strict.out")"
grep -q 'made clone3 (a thread) while its next step is fork' "$T/strict.out" ||
	fail "strict: $(cat "$T/strict.out")"
# Not strict: the thread runs untouched and the fork step still applies.
p=$(plan lax <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 4000}]}}
J
)
ctl run --new-ns "$p" -- $py -c "$prog" >"$T/lax.out" 2>&1 || fail "lax: $(cat "$T/lax.out")"
grep -qx 'child=4000' "$T/lax.out" || fail "lax: $(cat "$T/lax.out")"
pass "on_failure kill, timeout_ms and strict"
