#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An open step never replaces a file that another thread opened on the
# planned fd while nsdd moved the open onto it: without "replace", the move
# is fcntl(F_DUPFD), which cannot replace, and a busy fd fails the step with
# EBUSY (issue 8, item 6).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
p=$(plan race <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 60, "path": "/dev/null"}]}}
J
)
applied=0 busy=0
for r in $(seq 20); do
	ctl run "$p" -- "$PROGS/fdrace" /dev/null 60 >"$T/out" 2>&1
	rc=$?
	grep -qx 'replaced=0' "$T/out" || fail "run $r: the other thread's fd 60 was replaced: $(cat "$T/out")"
	if grep -qx 'open=60' "$T/out"; then
		[ $rc = 0 ] || fail "run $r: open got 60, yet nsdctl exited $rc: $(cat "$T/out")"
		applied=$((applied + 1))
	elif grep -qx 'open=-16' "$T/out"; then
		[ $rc = 3 ] || fail "run $r: EBUSY, yet nsdctl exited $rc: $(cat "$T/out")"
		grep -q 'EBUSY.*: fd 60 is already open' "$T/out" || fail "run $r: no EBUSY reason: $(cat "$T/out")"
		busy=$((busy + 1))
	else
		fail "run $r: the open got neither fd 60 nor EBUSY: $(cat "$T/out")"
	fi
done
pass "20 races for fd 60: $applied applied, $busy EBUSY, no file replaced"
