#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The rewritten clone3 never changes what the task's own call does:
# - a thread made by legacy clone() with CLONE_DETACHED (musl's
#   pthread_create; clone3 refuses the flag) gets its planned tid, from a
#   glibc program and from a static musl program (issue 8, item 2);
# - clone(CLONE_NEWPID) without CAP_SYS_ADMIN fails with the kernel's EPERM,
#   not EINVAL, and ns_last_pid is left as it was, so the next fork gets the
#   pid it would have got (issue 8, item 3, as the LTP's clone11).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
p=$(plan thread <<'J'
{"version": 1, "tasks": {"target": [{"call": "thread", "pid": 600}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/detached" >"$T/out" 2>&1 ||
	fail "CLONE_DETACHED: the plan did not complete: $(cat "$T/out")"
grep -qx 'thread=600 clone=600' "$T/out" || fail "CLONE_DETACHED: $(cat "$T/out")"
if command -v musl-gcc >/dev/null; then
	musl-gcc -static -O2 -o "$T/musl-thread" "$top_srcdir/tests/progs/musl-thread.c" ||
		fail "cannot build the musl program"
	ctl run --new-ns "$p" -- "$T/musl-thread" >"$T/out" 2>&1 ||
		fail "musl pthread_create: the plan did not complete: $(cat "$T/out")"
	grep -qx 'thread=600' "$T/out" || fail "musl pthread_create: $(cat "$T/out")"
	musl=" (glibc and static musl)"
else
	musl=" (no musl-gcc here: glibc only)"
fi

# Without CAP_SYS_ADMIN, as root: setpriv drops it from the bounding set.
NOADMIN="setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin --"
for want in 300 '[1, 300]'; do
	p=$(plan newpid <<J
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": $want}]}}
J
)
	ctl run --new-ns "$p" -- $NOADMIN "$PROGS/newpid" >"$T/out" 2>&1
	rc=$?
	[ $rc = 3 ] || fail "pid $want: nsdctl exited $rc, not 3: $(cat "$T/out")"
	grep -qx 'clone=-1' "$T/out" || fail "pid $want: clone(CLONE_NEWPID) did not fail with EPERM: $(cat "$T/out")"
	read -r before after < <(sed -n 's/^last_before=\([0-9-]*\) last_after=\([0-9-]*\)$/\1 \2/p' "$T/out")
	[ -n "$before" ] && [ "$before" = "$after" ] ||
		fail "pid $want: ns_last_pid moved from $before to $after: $(cat "$T/out")"
	grep -qx "fork=$((before + 1))" "$T/out" ||
		fail "pid $want: the next fork did not get pid $((before + 1)): $(cat "$T/out")"
	grep -q 'EPERM' "$T/out" || fail "pid $want: the step did not fail with EPERM: $(cat "$T/out")"
done
pass "CLONE_DETACHED threads get their tid$musl; CLONE_NEWPID keeps its EPERM and ns_last_pid"

# clone(CLONE_PIDFD | CLONE_DETACHED | SIGCHLD) fails with EINVAL natively:
# under a fork step too (issue 22, story 4), and the step waits for the next
# fork. Debian's python3 makes the raw call (not a wrapper that forks first).
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
p=$(plan pidfd <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 300}]}}
J
)
ctl run --new-ns "$p" -- /usr/bin/python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
pidfd = ctypes.c_int(-1)
rc = libc.syscall(56, 0x1000 | 0x400000 | 17, 0, ctypes.byref(pidfd), 0, 0)
if rc == 0:
    os._exit(0)
# One write a line: nsdctl writes its events to the same file.
os.write(1, ("clone %d %s\n" % (rc, os.strerror(ctypes.get_errno()) if rc < 0 else "")).encode())
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
os.write(1, b"fork %d\n" % pid)' >"$T/out" 2>&1 || fail "CLONE_PIDFD|CLONE_DETACHED: $(cat "$T/out")"
grep -qx 'clone -1 Invalid argument' "$T/out" ||
	fail "clone(CLONE_PIDFD|CLONE_DETACHED) did not fail with EINVAL: $(cat "$T/out")"
grep -qx 'fork 300' "$T/out" || fail "the next fork did not take the step: $(cat "$T/out")"
pass "clone(CLONE_PIDFD|CLONE_DETACHED) keeps its EINVAL; the next fork takes the step"
