#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# msgctl, semctl and shmctl IPC_SET steps with `set`: the task's IPC_SET
# runs, qbytes is restored (refused above msgmnb without CAP_SYS_RESOURCE,
# as the kernel refuses the task), and every field a stock kernel cannot set
# is reported `unsupported`, as an event and in Get, never dropped.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

expect() { grep -q -- "$1" "$T/out" || fail "$2: no '$1' in: $(cat "$T/out")"; }
plan_json() {
	cat <<J
{"version": 1, "name": "ipcset", "tasks": {"target": [
  {"call": "msgget", "id": 100},
  {"call": "msgctl", "id": 100, "set": {"qbytes": $1, "stime": 1215508000, "lspid": 4000}},
  {"call": "semget", "id": 200},
  {"call": "semctl", "id": 200, "set": {"otime": 5, "sempid": [1, 2, 3]}},
  {"call": "shmget", "id": 300},
  {"call": "shmctl", "id": 300, "set": {"cpid": 7, "atime": 9}}]}}
J
}

plan_json 8192 >"$T/under.json"
plan_json 32768 >"$T/over.json"
ctl run --new-ns "$T/under.json" -- "$PROGS/ipcset" >"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
expect '^msg=100 qbytes=8192$' "qbytes restored over the task's own 1000"
expect '^sem=200$' "semctl IPC_SET"
expect '^shm=300$' "shmctl IPC_SET"
for f in stime lspid otime sempid cpid atime; do
	expect "^unsupported .*: $f: the running kernel offers no way to set it" "unsupported $f"
done
[ "$(grep -c '^unsupported' "$T/out")" = 6 ] || fail "6 unsupported events: $(cat "$T/out")"
expect '^completed' "the plan completes with unsupported fields"
id=$(ctl --json list | sed -n 's/.*"id": *"\([0-9a-f]*\)".*"name": *"ipcset".*/\1/p' | tail -1)
[ -n "$id" ] || id=$(ctl list | awk '/ipcset/ {print $1}' | tail -1)
ctl --json status "$id" >"$T/status" || fail "status $id"
for f in "step 1 msgctl: stime" "step 1 msgctl: lspid" "step 3 semctl: otime" \
	"step 3 semctl: sempid" "step 5 shmctl: atime" "step 5 shmctl: cpid"; do
	grep -q "\"$f\"" "$T/status" || fail "Get lacks '$f': $(cat "$T/status")"
done

# Above msgmnb (16384) the kernel wants CAP_SYS_RESOURCE of the task, and so
# does nsdd: with it, qbytes is restored; without it (nobody; root on some
# machines), the step fails with EPERM as the task's own IPC_SET would.
over() {
	ctl run --new-ns "$T/over.json" -- "$@" >"$T/out" 2>&1
	rc=$?
	caps=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	if [ "$1" = "$PROGS/ipcset" ] && [ $(((0x$caps >> 24) & 1)) = 1 ]; then
		[ $rc = 0 ] || fail "over msgmnb with CAP_SYS_RESOURCE: $(cat "$T/out")"
		expect '^msg=100 qbytes=32768$' "over msgmnb with CAP_SYS_RESOURCE"
	else
		[ $rc = 3 ] || fail "over msgmnb without CAP_SYS_RESOURCE: the plan did not fail"
		expect 'qbytes 32768: EPERM .*above msgmnb without CAP_SYS_RESOURCE' "over msgmnb"
	fi
}
over "$PROGS/ipcset"
if command -v setpriv >/dev/null; then
	over $NOBODY "$PROGS/ipcset"
	ctl run --new-ns "$T/under.json" -- $NOBODY "$PROGS/ipcset" >"$T/out" 2>&1 ||
		fail "nobody: $(cat "$T/out")"
	expect '^msg=100 qbytes=8192$' "nobody under msgmnb"
fi
pass "IPC_SET steps: qbytes restored, the rest reported unsupported"
