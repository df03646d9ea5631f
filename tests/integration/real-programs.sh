#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Programs nobody here wrote: make (vfork for a recipe) and python3 (clone3
# for a thread, clone for os.fork).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

if command -v make >/dev/null; then
	mkdir "$T/mk"
	printf 'all:\n\t@echo recipe=$$$$\n' >"$T/mk/Makefile"
	p=$(plan make <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 321}]}}
J
	)
	# A clean environment: no jobserver or flags from a make running this test.
	ctl run --new-ns "$p" -- env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$T/mk" \
		>"$T/out" 2>&1 || fail "make: $(cat "$T/out")"
	grep -qx 'recipe=321' "$T/out" || fail "make: $(cat "$T/out")"
fi

py=/usr/bin/python3
[ -x $py ] || skip "no /usr/bin/python3"
p=$(plan python <<'J'
{"version": 1, "tasks": {"target": [{"call": "thread", "pid": 77}, {"call": "fork", "pid": 78}]}}
J
)
ctl run --new-ns "$p" -- $py -c '
import os, threading
# One write a line (print makes two under PYTHONUNBUFFERED): nsdctl prints
# its events into the same file meanwhile.
t = threading.Thread(target=lambda: os.write(1, b"thread=%d\n" % threading.get_native_id()))
t.start(); t.join()
pid = os.fork()
if pid == 0:
    os.write(1, b"child=%d\n" % os.getpid()); os._exit(0)
os.waitpid(pid, 0)' >"$T/out" 2>&1 || fail "python3: $(cat "$T/out")"
grep -qx 'thread=77' "$T/out" && grep -qx 'child=78' "$T/out" || fail "python3: $(cat "$T/out")"
pass "make and python3 got their planned pids"
