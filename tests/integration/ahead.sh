#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The notify route writes a planned fork's ns_last_pid ahead of its call,
# where it guesses that fork comes next: the child just made, whose own
# first step is a fork (a restorer that makes its tree depth first).
# 1. The guess comes true: the child's fork finds the kernel's next pid its
#    planned one (nsdd -v: "set ahead", then "was right"), exact.
# 2. A fork nobody planned comes first, from the child's parent: what was
#    written ahead is put back, so that it gets the pid it would have got,
#    not the child's planned one; the child's fork is still exact.
# 3. Eleven such guesses in one plan: every pid exact, and the route stops
#    guessing once its guesses mostly fail (8 more put back than came true).
# 4. A subtree's last fork, two levels down: the next written ahead is that
#    of the nearest ancestor with a step left (the target's next child).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"

echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 200}], "200": [{"call": "fork", "pid": 300}]}}' >"$T/plan.json"
# The child waits, so that its parent's unplanned fork (with extra) comes
# while the child's fork is written ahead.
py='import os, sys, time
c = os.fork()
if c == 0:
    time.sleep(0.3)
    g = os.fork()
    if g == 0:
        os._exit(0)
    os.waitpid(g, 0)
    os.write(1, b"G=%d\n" % g)
    os._exit(0)
if sys.argv[1] == "extra":
    time.sleep(0.1)
    u = os.fork()
    if u == 0:
        os._exit(0)
    os.waitpid(u, 0)
    os.write(1, b"U=%d\n" % u)
os.waitpid(c, 0)
os.write(1, b"C=%d\n" % c)'

# 1.
ahead=$(grep -c 'set ahead for its fork of pid 300' "$T/nsdd.log")
ctl run --new-ns "$T/plan.json" -- /usr/bin/python3 -c "$py" none >"$T/out" 2>&1 ||
	fail "depth first: $(cat "$T/out")"
grep -qx 'C=200' "$T/out" && grep -qx 'G=300' "$T/out" || fail "depth first: $(cat "$T/out")"
[ "$(grep -c 'set ahead for its fork of pid 300' "$T/nsdd.log")" -gt "$ahead" ] ||
	fail "depth first: the child's fork was not written ahead"
grep -q 'ns_last_pid was right for pid 300' "$T/nsdd.log" ||
	fail "depth first: the child's fork did not find it written"
pass "a child's first fork written ahead, as its parent's fork landed: exact, nothing written at its call"

# 2.
ctl run --new-ns "$T/plan.json" -- /usr/bin/python3 -c "$py" extra >"$T/out" 2>&1 ||
	fail "unplanned fork first: $(cat "$T/out")"
grep -qx 'C=200' "$T/out" && grep -qx 'G=300' "$T/out" && grep -qx 'U=201' "$T/out" ||
	fail "unplanned fork first: $(cat "$T/out")"
pass "a fork nobody planned, while another is written ahead: it gets pid 201, as it would have, and the planned one is exact"

# 3. A task with no steps (pid 150) forks, unplanned, each time a child has
#    been made: eleven guesses that do not come true.
python3 - >"$T/many.json" <<'PY'
import json
tasks = {"target": [{"call": "fork", "pid": 150}] +
                   [{"call": "fork", "pid": 200 + 10 * i} for i in range(11)]}
for i in range(11):
    tasks[str(200 + 10 * i)] = [{"call": "fork", "pid": 500 + i}]
print(json.dumps({"version": 1, "mode": "seccomp", "tasks": tasks}))
PY
py11='import os, time
r, w = os.pipe()
if os.fork() == 0:
    os.close(w)
    while os.read(r, 1):
        u = os.fork()
        if u == 0:
            os._exit(0)
        os.waitpid(u, 0)
        os.write(1, b"U=%d\n" % u)
    os._exit(0)
os.close(r)
for i in range(11):
    c = os.fork()
    if c == 0:
        time.sleep(0.2)
        g = os.fork()
        if g == 0:
            os._exit(0)
        os.waitpid(g, 0)
        os.write(1, b"G=%d\n" % g)
        os._exit(0)
    time.sleep(0.05)
    os.write(w, b"x")
    os.waitpid(c, 0)
os.close(w)
os.wait()'
ctl run --new-ns "$T/many.json" -- /usr/bin/python3 -c "$py11" >"$T/out" 2>&1 ||
	fail "wrong guesses: $(grep -v '^applied' "$T/out" | tail -5)"
got=$(grep -o '^[GU]=[0-9]*' "$T/out" | sort | tr '\n' ' ')
want=$(for i in $(seq 0 10); do echo "G=$((500 + i))"; echo "U=$((201 + 10 * i))"; done | sort | tr '\n' ' ')
[ "$got" = "$want" ] || fail "wrong guesses: got $got, want $want"
n=$(grep -c 'set ahead for its fork of pid 5' "$T/nsdd.log")
[ "$n" -ge 8 ] && [ "$n" -le 9 ] && ! grep -q 'set ahead for its fork of pid 510' "$T/nsdd.log" ||
	fail "wrong guesses: $n of the children's forks written ahead"
pass "eleven guesses that do not come true: every pid exact (the unplanned forks get what they would have), and the route stops guessing after $n"

# 4.
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 800}, {"call": "fork", "pid": 810}], "800": [{"call": "fork", "pid": 900}], "900": [{"call": "fork", "pid": 950}]}}' >"$T/up.json"
py='import os
def child(f):
    pid = os.fork()
    if pid == 0:
        f()
        os._exit(0)
    os.waitpid(pid, 0)
    return pid
child(lambda: child(lambda: child(lambda: None)))
os.write(1, b"C=%d\n" % child(lambda: None))'
# The guess needs the leaf's fork settled while its parent (900) still
# lives, to find its ancestors: a loaded machine (CI under ASan, with other
# work beside it) can settle it later, and the fork is then written at its
# call, still exact. Up to three runs, each exact, until one wrote ahead.
for attempt in 1 2 3; do
	: >"$T/nsdd.log"
	ctl run --new-ns "$T/up.json" -- /usr/bin/python3 -c "$py" >"$T/out" 2>&1 ||
		fail "ancestor: $(cat "$T/out")"
	grep -qx 'C=810' "$T/out" || fail "ancestor: $(cat "$T/out")"
	grep -q 'set ahead for its fork of pid 810' "$T/nsdd.log" &&
		grep -q 'ns_last_pid was right for pid 810' "$T/nsdd.log" && break
	[ $attempt = 3 ] && fail "ancestor: the target's next fork was not written ahead in 3 runs"
done
pass "a subtree's last fork, two levels down: the target's next fork written ahead, exact (run $attempt)"
