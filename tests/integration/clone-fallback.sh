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
