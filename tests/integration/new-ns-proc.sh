#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nsdctl run --new-ns gives CMD a /proc of its own pid namespace, in a
# private mount namespace: /proc/<its pid> is itself, and the host's /proc
# is untouched (issue 8, item 16).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
p=$(plan proc <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 77}]}}
J
)
host_proc=$(stat -c %i /proc)
ctl run --new-ns "$p" -- /bin/sh -c 'echo me=$$; sh -c "echo child=\$\$; cat /proc/\$\$/comm; grep ^NSpid: /proc/\$\$/status"' \
	>"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
grep -qx 'me=1' "$T/out" || fail "CMD is not pid 1: $(cat "$T/out")"
grep -qx 'child=77' "$T/out" || fail "the fork did not get pid 77: $(cat "$T/out")"
grep -qx 'sh' "$T/out" || fail "/proc/77/comm is not the shell: $(cat "$T/out")"
grep -qx 'NSpid:[[:space:]]*77' "$T/out" || fail "/proc/77 is not the namespace's pid 77: $(cat "$T/out")"
[ "$(stat -c %i /proc)" = "$host_proc" ] || fail "the host's /proc changed"
findmnt -n /proc | grep -c proc | grep -qx 1 || fail "a /proc mount leaked into the host: $(findmnt /proc)"
pass "--new-ns: CMD's /proc is its own pid namespace's"
