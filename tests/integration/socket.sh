#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The socket: made with mode 0660 (directories created as needed), never
# taken over from a live nsdd, taken over when its nsdd is gone (stale).
. "${top_srcdir:-.}/tests/integration/lib.sh"
export NSDD_SOCKET=$T/run/nsdd/io.nsdd.supervisor
start_nsdd
[ "$(stat -c %a "$NSDD_SOCKET")" = 660 ] || fail "socket mode $(stat -c %a "$NSDD_SOCKET")"

"$NSDD" --socket "$NSDD_SOCKET" 2>"$T/second.log" &
second=$!
for _ in $(seq 100); do kill -0 $second 2>/dev/null || break; sleep 0.05; done
kill -0 $second 2>/dev/null && { kill $second; fail "a second nsdd took over a live socket"; }
wait $second
rc=$?
[ $rc != 0 ] || fail "the second nsdd exited 0"
grep -q "another nsdd is serving $NSDD_SOCKET" "$T/second.log" || fail "message: $(cat "$T/second.log")"
ctl info >/dev/null || fail "the first nsdd stopped answering"

kill -KILL "$NSDD_PID"
wait "$NSDD_PID" 2>/dev/null
NSDD_PID=
[ -S "$NSDD_SOCKET" ] || fail "no stale socket to take over"
: >"$T/nsdd.log"
start_nsdd
ctl info >/dev/null || fail "nsdd did not take over a stale socket"
"$NSDD" --bogus 2>/dev/null
[ $? = 2 ] || fail "a bad option does not exit 2"
"$NSDD" --version | grep -q '^nsdd [0-9]' || fail "--version"
pass "socket mode, live and stale sockets"
