#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Mode seccomp keeps the namespace a task's forks put children in from one
# fork to the next, with no /proc read, as long as its filter notifies every
# call that may change it. A task (python3) that joins another pid namespace
# between two planned forks (setns(2) with a pidfd) gets its next planned
# pid in that namespace, on the notify route or not: not the pid the
# namespace it left would have given, taken for a reaped child.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
start_nsdd

# The target (init of a new pid namespace A) forks 10 (a child that makes
# namespace B and its init, and tells the target its pid), 30, then joins B
# with setns and forks 20, which must be 20 in B. unshare and setns come from
# libc (python3 3.11's os has neither).
cat >"$T/joiner.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWPID = 0x20000000
r, w = os.pipe()
go_r, go_w = os.pipe()
c = os.fork()                      # step: pid 10
if c == 0:
    if libc.unshare(CLONE_NEWPID) != 0:
        os._exit(3)
    g = os.fork()                  # B's init, not planned
    if g == 0:
        os.read(go_r, 1)
        os._exit(0)
    os.write(w, b"%d\n" % g)
    os.waitpid(g, 0)
    os._exit(0)
g = int(os.read(r, 64))
d = os.fork()                      # step: pid 30
if d == 0:
    os._exit(0)
os.waitpid(d, 0)
pidfd = libc.syscall(434, g, 0)    # pidfd_open
if pidfd < 0 or libc.setns(pidfd, CLONE_NEWPID) != 0:
    print("setns failed: errno %d" % ctypes.get_errno())
    sys.exit(1)
e = os.fork()                      # step: pid 20, in B
if e == 0:
    with open("/proc/self/status") as f:
        ns = [l.split()[1:] for l in f if l.startswith("NSpid:")][0]
    print("child NSpid=" + ",".join(ns), flush=True)
    os._exit(0)
os.waitpid(e, 0)
print("c=%d d=%d" % (c, d), flush=True)
os.write(go_w, b"x")
os.waitpid(c, 0)
PY

p=$(plan setns <<'J'
{"version": 1, "mode": "seccomp", "tasks": {"target": [
  {"call": "fork", "pid": 10}, {"call": "fork", "pid": 30}, {"call": "fork", "pid": 20}],
  "10": []}}
J
)
ctl run --new-ns "$p" -- /usr/bin/python3 "$T/joiner.py" >"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
grep -qx 'c=10 d=30' "$T/out" || fail "the first forks: $(cat "$T/out")"
# NSpid, as the /proc of namespace A shows it: A's pid, then B's.
grep -qE '^child NSpid=[0-9]+,20$' "$T/out" || fail "the fork after setns: $(cat "$T/out")"
grep -q 'step 2 fork .* got 20 ' "$T/out" || fail "its step: $(cat "$T/out")"
pass "a fork after setns(2) gets its pid in the namespace joined"

# A thread that joins B and then executes a program takes its leader's pid
# and keeps B: the leader's fork in between read A for that pid, and the
# new program's fork must not take A from it (a C program: python3 sets a
# SIGINT handler, and a task with one rests seized, which an untraced
# thread's exec would end).
p=$(plan thread <<'J'
{"version": 1, "mode": "seccomp", "tasks": {"target": [
  {"call": "fork", "pid": 10}, {"call": "thread", "pid": 40}, {"call": "fork", "pid": 30},
  {"call": "fork", "pid": 20}],
  "10": []}}
J
)
ctl run --new-ns "$p" -- "$PROGS/setnsexec" >"$T/out" 2>&1 || fail "thread run: $(cat "$T/out")"
grep -qx 'c=10 d=30' "$T/out" || fail "the leader's forks: $(cat "$T/out")"
grep -qE '^child NSpid:?=?[[:space:]]*[0-9]+[[:space:]]+20$' "$T/out" ||
	fail "the fork after the thread's exec: $(cat "$T/out")"
pass "and after a thread's exec, which takes its leader's pid"
