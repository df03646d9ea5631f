#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's first command ends with demo/demo.sh: it must run, and show
# the ids it says it shows (it starts its own nsdd from the build tree).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
[ -x "$top_srcdir/daemon/nsdd" ] || skip "demo/demo.sh runs the in-tree build; this build is elsewhere"
"$top_srcdir/demo/demo.sh" >"$T/out" 2>&1 || fail "demo.sh: $(tail -20 "$T/out")"
count() { grep -cx -- "$1" "$T/out"; }
[ "$(count 'child       pid 1000')" = 2 ] && [ "$(count 'grandchild  pid 2001')" = 2 ] ||
	fail "the plan's pids, in ptrace mode and in mode seccomp: $(cat "$T/out")"
[ "$(count 'forked      pid 4242')" = 1 ] || fail "next_syscall_data: $(cat "$T/out")"
[ "$(count 'child       pid 2')" = 2 ] && [ "$(count 'grandchild  pid 4')" = 2 ] ||
	fail "record and replay: $(cat "$T/out")"
pass "demo/demo.sh: the plan's pids in both modes, next_syscall_data's, and a replay's"
