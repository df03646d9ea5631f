#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nsdctl against a live nsdd: submit to a running target, --wait, status,
# list, watch, cancel (detach and --kill), info, and errors shown in words.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
start_nsdd

# A target in its own pid namespace that forks once, then again on SIGUSR1.
start_target() {
	FORKWAIT_CHILD_EXIT=1 unshare --pid --fork "$PROGS/forkwait" 2 >"$T/target.$1" 2>&1 &
	wait_for "$T/target.$1" '^waiting$'
	target=$(pgrep -P $! -x forkwait)
	[ -n "$target" ] || fail "no target"
}

start_target 1
printf '{"version": 1, "name": "second-fork", "target": {"pid": %d},
  "tasks": {"target": [{"call": "fork", "pid": 200}]}}' "$target" >"$T/p1.json"
ctl submit --wait "$T/p1.json" >"$T/submit" 2>&1 &
sub=$!
wait_for "$T/submit" '^attached +task target'
id=$(head -1 "$T/submit")
kill -USR1 "$target"
wait $sub || fail "submit --wait exited $?: $(cat "$T/submit")"
# The plan completes at the fork's event, before the child has printed.
wait_for "$T/target.1" '^child=200$'
grep -q '^completed' "$T/submit" || fail "no completed event: $(cat "$T/submit")"
ctl status "$id" >"$T/status" || fail "status of a completed plan exited $?"
grep -q "plan $id (second-fork): completed, 1/1 steps, mode ptrace, backend kernel" "$T/status" ||
	fail "status: $(cat "$T/status")"
ctl --json status "$id" | grep -q '"state": *"completed"' || fail "status --json"
ctl list | grep -q "^$id  completed" || fail "list: $(ctl list)"
ctl watch "$id" >"$T/watch" || fail "watch of a completed plan exited $?"
[ "$(head -1 "$T/watch" | cut -c1-8)" = attached ] && tail -1 "$T/watch" | grep -q '^completed' ||
	fail "watch replay: $(cat "$T/watch")"
check_free "$target"
kill -KILL "$target"

# Cancel detaches; cancel --kill kills.
start_target 2
printf '{"version": 1, "target": {"pid": %d}, "tasks": {"target": [{"call": "fork", "pid": 300}]}}' \
	"$target" >"$T/p2.json"
id=$(ctl submit "$T/p2.json") || fail "submit"
ctl submit "$T/p2.json" 2>"$T/busy" && fail "a second plan on a traced target was accepted"
grep -q "task $target is busy" "$T/busy" || fail "busy: $(cat "$T/busy")"
ctl cancel "$id" || fail "cancel"
for _ in $(seq 100); do ctl status "$id" | grep -q cancelled && break; sleep 0.05; done
ctl status "$id" | grep -q "cancelled" || fail "not cancelled: $(ctl status "$id")"
check_free "$target"
id=$(ctl submit "$T/p2.json") || fail "submit after cancel"
ctl cancel --kill "$id" || fail "cancel --kill"
for _ in $(seq 100); do [ -d "/proc/$target" ] || break; sleep 0.05; done
[ -d "/proc/$target" ] && grep -q '^State:.*Z' "/proc/$target/status" ||
	[ ! -d "/proc/$target" ] || fail "cancel --kill left the target alive"

# Errors in words, with the plan's path and reason.
echo '{"version": 1, "target": {"pid": 1}, "tasks": {"target": [{"call": "fork", "pid": 0}]}}' >"$T/bad.json"
ctl submit "$T/bad.json" 2>"$T/err" && fail "an invalid plan was accepted"
grep -q 'invalid plan: \$.tasks.target\[0\].pid: 0 is out of range 1..4194304' "$T/err" ||
	fail "invalid plan message: $(cat "$T/err")"
# NotSupported: mode seccomp from an nsdd that may not use seccomp(2) (its
# own filter forbids it); the target is left alone.
sleep 30 &
sleeper=$!
printf '{"version": 1, "mode": "seccomp", "target": {"pid": %d}, "tasks": {"target": [{"call": "fork", "pid": 9}]}}' \
	$sleeper >"$T/ns.json"
"$PROGS/filtered" seccomp=eperm exec "$NSDD" --socket "$T/sock2" 2>"$T/nsdd2.log" &
nsdd2=$!
for _ in $(seq 100); do [ -S "$T/sock2" ] && break; sleep 0.05; done
NSDD_SOCKET=$T/sock2 ctl submit "$T/ns.json" 2>"$T/err" && fail "mode seccomp was accepted"
kill $nsdd2
wait $nsdd2
grep -q 'not supported: seccomp: nsdd cannot use seccomp(2) here: Operation not permitted' "$T/err" ||
	fail "NotSupported message: $(cat "$T/err")"
check_free $sleeper
[ "$(awk '$1 == "Seccomp:" {print $2}' /proc/$sleeper/status)" = 0 ] || fail "the target got a filter"
kill $sleeper
echo '{"version": 1, "target": {"pid": 999999}, "tasks": {}}' >"$T/nt.json"
ctl submit "$T/nt.json" 2>"$T/err" && fail "a missing target was accepted"
grep -q 'no such task: pid 999999' "$T/err" || fail "NoSuchTask message: $(cat "$T/err")"
ctl status 0000000000000000 2>"$T/err" && fail "status of an unknown plan"
grep -q 'no such plan' "$T/err" || fail "NoSuchPlan message: $(cat "$T/err")"
ctl info | grep -q '^features:.* ptrace' || fail "info: $(ctl info)"
ctl frobnicate 2>/dev/null
[ $? = 2 ] || fail "an unknown command does not exit 2"
pass "nsdctl commands and errors"
