#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# msgget, semget and shmget steps in fresh IPC namespaces: the ids a restorer
# gets, key matching, and *_next_id back at -1 after every run, whether the
# step applied, met an existing key, or failed with EEXIST.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
[ -w /proc/sys/kernel/msg_next_id ] || skip "no writable /proc/sys/kernel/msg_next_id"
start_nsdd

expect() { grep -qx "$1" "$T/out" || fail "$2: no '$1' in: $(cat "$T/out")"; }

# Every kind, with and without keys, as root and as nobody (nsdd writes the
# ids: the restorer needs no privilege).
p=$(plan all <<'J'
{"version": 1, "tasks": {"target": [
  {"call": "msgget", "id": 98304}, {"call": "msgget", "id": 32769, "key": 4660},
  {"call": "semget", "id": 5}, {"call": "shmget", "id": 65536, "key": 22136}]}}
J
)
for pre in "" "$NOBODY"; do
	command -v setpriv >/dev/null || [ -z "$pre" ] || continue
	ctl run --new-ns "$p" -- $pre "$PROGS/ipcrestore" m:0 m:4660 s:0 h:22136 m:4660 >"$T/out" 2>&1 ||
		fail "run: $(cat "$T/out")"
	expect 'm:0=98304' "private msgget"
	expect 'm:4660=32769' "keyed msgget"
	expect 's:0=5' "semget"
	expect 'h:22136=65536' "keyed shmget"
	expect 'm:4660=32769' "the existing key after the plan"
	expect 'next=-1,-1,-1' "next_id after applied steps"
done

# key: a msgget of another key runs untouched and the step waits for its key.
p=$(plan key <<'J'
{"version": 1, "tasks": {"target": [{"call": "msgget", "id": 500, "key": 4660}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/ipcrestore" m:0 m:4660 >"$T/out" 2>&1 || fail "key: $(cat "$T/out")"
expect 'm:0=0' "another key runs untouched"
expect 'm:4660=500' "the step waits for its key"
expect 'next=-1,-1,-1' "next_id after a keyed step"

# An existing key returns the old object: the step fails (mismatch) and the
# unused id is taken back.
p=$(plan existing <<'J'
{"version": 1, "tasks": {"target": [{"call": "msgget", "id": 100, "key": 4660},
  {"call": "msgget", "id": 200, "key": 4660}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/ipcrestore" m:4660 m:4660 >"$T/out" 2>&1
[ $? = 3 ] || fail "existing key: the plan did not fail: $(cat "$T/out")"
expect 'm:4660=100' "first keyed msgget"
grep -q 'mismatch: wanted IPC id 200, got 100' "$T/out" || fail "existing key: $(cat "$T/out")"
expect 'next=-1,-1,-1' "next_id after an existing key"

# EEXIST (IPC_EXCL on an existing key): the step fails with the task's errno.
p=$(plan eexist <<'J'
{"version": 1, "tasks": {"target": [{"call": "msgget", "id": 100}, {"call": "msgget", "id": 200}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/ipcrestore" m:4660 x:4660 >"$T/out" 2>&1
[ $? = 3 ] || fail "EEXIST: the plan did not fail: $(cat "$T/out")"
expect 'x:4660=-17' "IPC_EXCL on an existing key"
grep -q 'failed .*msgget.* want 200: EEXIST' "$T/out" || fail "EEXIST: $(cat "$T/out")"
expect 'next=-1,-1,-1' "next_id after EEXIST"

# util-linux's ipcmk, checked with ipcs: sh forks a child per command.
if command -v ipcmk >/dev/null && command -v ipcs >/dev/null; then
	p=$(plan ipcmk <<'J'
{"version": 1, "tasks": {
  "target": [{"call": "fork", "pid": 10}, {"call": "fork", "pid": 11}, {"call": "fork", "pid": 12}],
  "10": [{"call": "msgget", "id": 98304}],
  "11": [{"call": "semget", "id": 65541}],
  "12": [{"call": "shmget", "id": 131072}]}}
J
	)
	ctl run --new-ns "$p" -- /bin/sh -c 'ipcmk -Q; ipcmk -S 3; ipcmk -M 4096; ipcs;
		cat /proc/sys/kernel/msg_next_id /proc/sys/kernel/sem_next_id /proc/sys/kernel/shm_next_id' \
		>"$T/out" 2>&1 || fail "ipcmk: $(cat "$T/out")"
	expect 'Message queue id: 98304' "ipcmk -Q"
	expect 'Semaphore id: 65541' "ipcmk -S 3"
	expect 'Shared memory id: 131072' "ipcmk -M 4096"
	grep -qE '^0x[0-9a-f]+ +98304 +root +644' "$T/out" || fail "ipcs -q: $(cat "$T/out")"
	grep -qE '^0x[0-9a-f]+ +65541 +root +644 +3' "$T/out" || fail "ipcs -s: $(cat "$T/out")"
	grep -qE '^0x[0-9a-f]+ +131072 +root +644 +4096' "$T/out" || fail "ipcs -m: $(cat "$T/out")"
	[ "$(grep -cx -- '-1' "$T/out")" = 3 ] || fail "next_id after ipcmk: $(cat "$T/out")"
	[ "$(grep -c '^applied .* by next_id\(, no stop\)\?$' "$T/out")" = 3 ] || fail "not by next_id: $(cat "$T/out")"
fi
pass "msgget, semget and shmget steps"
