#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The original interface: `any` steps, SetNext and `nsdctl set TID 'LONG1 XX'`
# on a program that is already running and untraced. The thread's next
# targeted syscall of any kind gives XX; nsdd attaches for it and detaches
# once it is used; a second value before the first is used replaces it.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
start_nsdd

# The program runs in its own pid and IPC namespaces, untraced.
start() {
	unshare --pid --ipc --fork "$PROGS/actions" "$@" >"$T/out" 2>&1 &
	wait_for "$T/out" '^ready$'
	prog=$(pgrep -P $! -x actions)
	[ -n "$prog" ] || fail "no program"
}
ready_count() { grep -c '^ready$' "$T/out"; }
act() {
	local n
	n=$(ready_count)
	kill -USR1 "$prog"
	for _ in $(seq 200); do
		[ "$(ready_count)" -gt "$n" ] || grep -q '^done$' "$T/out" && return 0
		sleep 0.05
	done
	fail "the program did not act: $(cat "$T/out")"
}
untraced() {
	for _ in $(seq 100); do
		grep -q '^TracerPid:[[:space:]]*0$' "/proc/$prog/status" && return 0
		sleep 0.05
	done
	fail "still traced after its value was used"
}

# nsdctl set, one value per action: fork, thread, msgget, open.
start fork thread msgget open ipcset
ctl set "$prog" 'LONG1 100' || fail "set"
grep -q "^TracerPid:[[:space:]]*$NSDD_PID$" "/proc/$prog/status" || fail "not attached"
act
grep -qx 'fork=100' "$T/out" || fail "fork: $(cat "$T/out")"
untraced
ctl set "$prog" 'LONG1 200' && act
grep -qx 'thread=200' "$T/out" || fail "thread: $(cat "$T/out")"
ctl set "$prog" 'LONG1 98304' && act
grep -qx 'msgget=98304' "$T/out" || fail "msgget: $(cat "$T/out")"
# A second value before the first is used replaces it.
ctl set "$prog" 'LONG1 17' && ctl set "$prog" 'LONG1 9' && act
grep -qx 'open=9' "$T/out" || fail "replaced value: $(cat "$T/out")"
untraced
act
grep -qx 'ipcset=0' "$T/out" || fail "ipcset untraced: $(cat "$T/out")"
kill -KILL "$prog" 2>/dev/null

# LONGn: n pid levels, innermost first. The program runs in a pid namespace
# nested in nsdctl's private one, so both levels are private.
printf '{"version": 1, "tasks": {}}' >"$T/empty.json"
ctl run --new-ns "$T/empty.json" -- unshare --pid --fork "$PROGS/actions" fork >"$T/out" 2>&1 &
wait_for "$T/out" '^ready$'
prog=
for _ in $(seq 100); do
	prog=$(pgrep -f "^$PROGS/actions fork$" | head -1)
	[ -n "$prog" ] && grep -q "^NSpid:.*[[:space:]]1$" "/proc/$prog/status" && break
	sleep 0.05
done
[ -n "$prog" ] || fail "no nested program"
ctl set "$prog" 'LONG2 5 300' || fail "set LONG2"
act
grep -qx 'fork=5' "$T/out" || fail "LONG2: $(cat "$T/out")"
# Applied means every level matched: 5 inside, 300 in the namespace around it.
for _ in $(seq 100); do grep -q "setnext-$prog completed (1/1 steps)" "$T/nsdd.log" && break; sleep 0.05; done
grep -q "setnext-$prog completed (1/1 steps)" "$T/nsdd.log" || fail "LONG2: not applied"
kill -KILL "$prog" 2>/dev/null

# Bad values are refused, in words, and change nothing.
start fork
for bad in 'LONG1' 'LONG1 -3' 'LONG2 5' 'long1 5' 'LONG1 5 6' 'LONG1 0x5'; do
	ctl set "$prog" "$bad" 2>"$T/err" && fail "'$bad' was accepted"
	grep -q 'invalid plan: \$.value: ' "$T/err" || fail "'$bad': $(cat "$T/err")"
done
grep -q '^TracerPid:[[:space:]]*0$' "/proc/$prog/status" || fail "a refused value attached nsdd"
kill -KILL "$prog"

# `any` steps in a plan, one per kind, on a running target; "LONG1 1" before
# an IPC_SET asks for the times and pids, which a stock kernel cannot set.
start fork msgget open ipcset
printf '{"version": 1, "target": {"pid": %d}, "tasks": {"target": [
  {"call": "any", "value": 300}, {"call": "any", "value": 65536},
  {"call": "any", "value": 12}, {"call": "any", "value": 1}]}}' "$prog" >"$T/any.json"
ctl submit --wait "$T/any.json" >"$T/submit" 2>&1 &
sub=$!
wait_for "$T/submit" '^attached'
act
act
act
act
wait $sub || fail "any plan: $(cat "$T/submit")"
grep -qx 'fork=300' "$T/out" && grep -qx 'msgget=65536' "$T/out" && grep -qx 'open=12' "$T/out" ||
	fail "any: $(cat "$T/out")"
grep -q '^unsupported.*times and last-operation pids' "$T/submit" || fail "LONG1 1: $(cat "$T/submit")"
pass "any steps, SetNext and nsdctl set"
