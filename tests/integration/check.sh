#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Check, before a restore: `nsdctl check PLAN --pid PID` (varlink Check)
# reports every step that cannot apply to a running target, without
# attaching to it or changing anything, and Submit refuses such a plan with
# the same list (PlanCannotApply) unless it says "check": false (issue 23).
# A target in pid and IPC namespaces of its own: pid 3 is taken there (a
# sleep), message queue 0 exists (util-linux's ipcmk made it), and fd 7 is
# open. The same plan against a target in fresh namespaces is clean.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v ipcmk >/dev/null || skip "ipcmk (util-linux) is not installed"
start_nsdd

# target NAME SCRIPT: SCRIPT, then a wait on $T/NAME.go, as pid 1 of new pid
# and IPC namespaces; its host pid in $target.
target() {
	mkfifo "$T/$1.go"
	unshare --pid --ipc --fork --mount-proc sh -c "$2; echo ready; read x <'$T/$1.go'" \
		>"$T/$1.out" 2>&1 &
	wait_for "$T/$1.out" '^ready$'
	target=$(pgrep -P $! -x sh) || fail "$1: no target"
}
PLAN=$(plan steps <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 3}, {"call": "msgget", "id": 0},
  {"call": "open", "fd": 7}]}}
J
)

target busy 'ipcmk -Q >/dev/null; sleep 600 & exec 7</dev/null'
before=$(cat "/proc/$target/status" | grep -E '^(State|TracerPid)')
ctl check "$PLAN" --pid "$target" >"$T/busy.check" 2>&1 && fail "busy: check said the plan can apply"
for want in 'task target step 0 (fork): pid 3 is taken' \
	"task target step 1 (msgget): IPC id 0: its index is taken" \
	'task target step 2 (open): fd 7 is open in the target'; do
	grep -qF "$want" "$T/busy.check" || fail "busy: no '$want' in: $(cat "$T/busy.check")"
done
[ "$(cat "/proc/$target/status" | grep -E '^(State|TracerPid)')" = "$before" ] ||
	fail "busy: check changed the target: $(grep -E '^(State|TracerPid)' "/proc/$target/status")"
ctl --json check "$PLAN" --pid "$target" | grep -q '"reason": *"fd 7 is open in the target"' ||
	fail "busy: --json: $(ctl --json check "$PLAN" --pid "$target")"
# Submit refuses it, with the list; with "check": false it takes it.
sed 's/^{"version": 1,/{"version": 1, "target": {"pid": '"$target"'},/' "$PLAN" >"$T/submit.json"
ctl submit "$T/submit.json" >"$T/submit.out" 2>&1 && fail "busy: Submit took a plan that cannot apply"
grep -q 'the plan cannot apply to its target' "$T/submit.out" &&
	grep -qF 'pid 3 is taken' "$T/submit.out" || fail "busy: Submit: $(cat "$T/submit.out")"
ctl list | grep -q running && fail "busy: a refused plan is listed: $(ctl list)"
sed 's/^{"version": 1,/{"version": 1, "check": false,/' "$T/submit.json" >"$T/nocheck.json"
id=$(ctl submit "$T/nocheck.json") || fail "busy: \"check\": false: $id"
ctl cancel "$id" >/dev/null
echo go >"$T/busy.go"
pass "a running target's taken pid, IPC id and fd are each reported, and Submit refuses the plan"

target fresh 'true'
ctl check "$PLAN" --pid "$target" >"$T/fresh.check" 2>&1 || fail "fresh: $(cat "$T/fresh.check")"
grep -qx 'the plan can apply' "$T/fresh.check" || fail "fresh: $(cat "$T/fresh.check")"
echo go >"$T/fresh.go"
ctl check "$PLAN" --container not-started-yet >"$T/ctr.check" 2>&1 || fail "container: $(cat "$T/ctr.check")"
pass "the same plan in fresh namespaces, and for a container not started yet, is clean"

# A target nsdd cannot look into (gone, here) is not reported clean.
sleep 0 &
gone=$!
wait $gone
ctl check "$PLAN" --pid "$gone" >"$T/gone.check" 2>&1 && fail "gone: $(cat "$T/gone.check")"
grep -q "cannot open the pid namespace of $gone" "$T/gone.check" || fail "gone: $(cat "$T/gone.check")"
pass "a target whose namespaces cannot be read is not reported clean"
