#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# open steps: open, openat, openat2 and creat get the planned fd, keep the
# O_CLOEXEC they asked for, and leave no stray fd; a busy fd fails with
# EBUSY (or is replaced), a path matches exactly, and dash's redirections
# end where dash puts them.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
cd "$T"
close_inherited_fds

expect() { grep -qx -- "$1" "$T/out" || fail "$2: no '$1' in: $(cat "$T/out")"; }
fds() { sed -n 's/^fds=//p' "$T/out" | tr , '\n' | sort -n | paste -sd,; }

p=$(plan kinds <<'J'
{"version": 1, "tasks": {"target": [
  {"call": "open", "fd": 10, "path": "a"}, {"call": "open", "fd": 11, "path": "b"},
  {"call": "open", "fd": 12, "path": "c"}, {"call": "open", "fd": 13, "path": "d"},
  {"call": "open", "fd": 14, "path": "e"}, {"call": "open", "fd": 15, "path": "f"},
  {"call": "open", "fd": 16, "path": "g"}]}}
J
)
for pre in "" "$NOBODY"; do
	command -v setpriv >/dev/null || [ -z "$pre" ] || continue
	rm -f a b c d e f g
	chmod 777 "$T"
	ctl run --new-ns "$p" -- $pre "$PROGS/fdrestore" o:a oc:b a:c ac:d 2:e 2c:f k:g \
		>"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
	expect 'o:a=10 cloexec=0' "open"
	expect 'oc:b=11 cloexec=1' "open O_CLOEXEC"
	expect 'a:c=12 cloexec=0' "openat"
	expect 'ac:d=13 cloexec=1' "openat O_CLOEXEC"
	expect '2:e=14 cloexec=0' "openat2"
	expect '2c:f=15 cloexec=1' "openat2 O_CLOEXEC"
	expect 'k:g=16 cloexec=0' "creat"
	[ "$(fds)" = 0,1,2,10,11,12,13,14,15,16 ] || fail "stray fds: $(fds)"
done

# The lowest free fd is the planned one: nothing to move. (A step without
# "path" would take the very next open: the dynamic loader's.)
p=$(plan low <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 3, "path": "a"}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/fdrestore" o:a >"$T/out" 2>&1 || fail "low: $(cat "$T/out")"
expect 'o:a=3 cloexec=0' "lowest fd"

# path: another file runs untouched, the step waits for its own.
printf '{"version": 1, "tasks": {"target": [{"call": "open", "fd": 20, "path": "%s/b"}]}}' "$T" >"$T/path.json"
ctl run --new-ns "$T/path.json" -- "$PROGS/fdrestore" "o:$T/a" "o:$T/b" >"$T/out" 2>&1 ||
	fail "path: $(cat "$T/out")"
expect "o:$T/a=3 cloexec=0" "another path"
expect "o:$T/b=20 cloexec=0" "the planned path"
[ "$(fds)" = 0,1,2,3,20 ] || fail "path: stray fds: $(fds)"

# Busy: EBUSY, the new file closed, the old one untouched.
p=$(plan busy <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 20, "path": "a"}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/fdrestore" d:20 o:a >"$T/out" 2>&1
[ $? = 3 ] || fail "busy: the plan did not fail: $(cat "$T/out")"
expect 'o:a=-16' "busy fd: the task sees EBUSY"
grep -q 'failed .*open.* want 20: EBUSY' "$T/out" || fail "busy: $(cat "$T/out")"
[ "$(fds)" = 0,1,2,20 ] || fail "busy: stray fds: $(fds)"

# replace: dup2 semantics.
p=$(plan replace <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 20, "path": "a", "replace": true}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/fdrestore" d:20 l:20 o:a l:20 >"$T/out" 2>&1 ||
	fail "replace: $(cat "$T/out")"
expect 'o:a=20 cloexec=0' "replace"
before=$(grep '^l:20=' "$T/out" | head -1)
after=$(grep '^l:20=' "$T/out" | tail -1)
[ "$after" = "l:20=$T/a" ] && [ "$before" != "$after" ] ||
	fail "the new file did not replace the old: $(cat "$T/out")"
[ "$(fds)" = 0,1,2,20 ] || fail "replace: stray fds: $(fds)"

# dash: `exec 7>x` opens x at the lowest fd and moves it to 7 itself.
p=$(plan dash <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 5, "path": "x"}]}}
J
)
ctl run --new-ns "$p" -- /bin/sh -c 'exec 7>x; exec ls -l /proc/self/fd/' >"$T/out" 2>&1 ||
	fail "dash: $(cat "$T/out")"
grep -q ' 7 -> .*/x$' "$T/out" || fail "dash: no fd 7 -> x: $(cat "$T/out")"
grep -q ' 5 -> \| 3 -> .*/x$' "$T/out" && fail "dash: a stray fd: $(cat "$T/out")"
grep -q 'applied .*open (openat) want 5 got 5 by fcntl$' "$T/out" || fail "dash: $(cat "$T/out")"
pass "open steps"
