#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nsdctl run --new-ns --init: CMD runs as pid 2, a child of a minimal init
# (some programs misbehave as pid 1: the Linux Test Project's library reads
# getppid() == 1 in its test child as "my parent died"). The plan's target
# is CMD, not the init; the init passes signals on to CMD, reaps orphans,
# and exits with CMD's status.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan one <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 300}]}}
J
)

# 1. CMD is pid 2 under pid 1, its fork gets the planned pid, and the
#    forked child sees CMD, not pid 1, as its parent; CMD's status is nsdctl's.
rc=0
ctl run --new-ns --init "$p" -- sh -c 'echo "cmd=$$ ppid=$PPID"; sh -c "echo child=\$\$ ppid=\$PPID"; exit 7' \
	>"$T/out" 2>&1 || rc=$?
[ $rc = 7 ] || fail "exit status $rc, not 7: $(cat "$T/out")"
grep -qx 'cmd=2 ppid=1' "$T/out" || fail "CMD is not pid 2 under pid 1: $(cat "$T/out")"
grep -qx 'child=300 ppid=2' "$T/out" || fail "the planned child: $(cat "$T/out")"
grep -q '^completed' "$T/out" || fail "the plan did not complete: $(cat "$T/out")"
# Without --init, CMD is pid 1, and its child's parent is pid 1.
ctl run --new-ns "$p" -- sh -c 'sh -c "echo child=\$\$ ppid=\$PPID"' >"$T/out" 2>&1 ||
	fail "without --init: $(cat "$T/out")"
grep -qx 'child=300 ppid=1' "$T/out" || fail "without --init: $(cat "$T/out")"
pass "--init: CMD is pid 2, its planned child 300 sees parent 2, and CMD's status 7 is nsdctl's"

# 2. A real program's check: python3's forked child asks getppid(), as the
#    LTP library does.
empty=$(plan empty <<<'{"version": 1, "tasks": {}}')
if command -v python3 >/dev/null; then
	ctl run --new-ns --init "$empty" -- python3 -c '
import os
pid = os.fork()
if pid == 0:
    os.write(1, b"orphaned\n" if os.getppid() == 1 else b"parent alive\n"); os._exit(0)
os.waitpid(pid, 0); os.write(1, b"parent %d\n" % os.getpid())' >"$T/out" 2>&1 || fail "python3: $(cat "$T/out")"
	grep -qx 'parent alive' "$T/out" && grep -qx 'parent 2' "$T/out" ||
		fail "python3: $(cat "$T/out")"
	pass "python3 under --init is pid 2, and its forked child does not take itself for an orphan"
fi

# 3. Signals sent to the init reach CMD; orphans are reaped.
ctl --json run --new-ns --init "$p" -- sh -c '
	trap "echo got TERM; exit 5" TERM
	(sh -c "exit 0" &)
	sh -c "exit 0"
	echo ready
	while :; do sleep 0.1; done' >"$T/out" 2>&1 &
run=$!
wait_for "$T/out" '^ready$'
cmd=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$T/out" | head -1)
init=$(awk '/^PPid:/ {print $2}' "/proc/$cmd/status")
[ -n "$init" ] && [ "$(awk '{print $1}' "/proc/$init/task/$init/children")" = "$cmd" ] ||
	fail "the init of pid $cmd: '$init'"
sleep 0.3
zombies=$(for t in $(cat "/proc/$init/task/$init/children"); do awk '{print $3}' "/proc/$t/stat"; done | grep -c Z || true)
[ "$zombies" = 0 ] || fail "the init left $zombies zombies"
kill -TERM "$init"
rc=0
wait $run || rc=$?
[ $rc = 5 ] && grep -qx 'got TERM' "$T/out" || fail "SIGTERM to the init: status $rc: $(cat "$T/out")"
pass "the init passes SIGTERM on to CMD (status 5) and reaps an orphan"

# 4. --init needs --new-ns; in mode seccomp the filter is CMD's, not the init's.
rc=0
"$NSDCTL" run --init "$p" -- true 2>"$T/err" || rc=$?
[ $rc = 2 ] && grep -q -- '--init needs --new-ns' "$T/err" || fail "--init alone: $rc $(cat "$T/err")"
"$NSDCTL" run --new-ns --init --mode seccomp "$p" -- sh -c '
	sh -c "echo child=\$\$"; grep "^Seccomp:" /proc/1/status; grep "^Seccomp:" /proc/self/status' \
	>"$T/out" 2>&1 || fail "mode seccomp: $(cat "$T/out")"
[ "$(grep -c '^Seccomp:' "$T/out")" = 2 ] && grep -q 'Seccomp:[[:space:]]*0' "$T/out" &&
	grep -q 'Seccomp:[[:space:]]*2' "$T/out" && grep -qx 'child=300' "$T/out" ||
	fail "mode seccomp: $(cat "$T/out")"
pass "--init needs --new-ns; in mode seccomp only CMD is filtered, and its fork gets 300"
