#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A msgget step applied by a msgget that returns an existing queue with the
# planned id leaves msg_next_id unset: the namespace's next, unrelated
# creation gets an id of its own, not ENOSPC (issue 8, item 7).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
p=$(plan existing <<'J'
{"version": 1, "tasks": {"target": [{"call": "msgget", "id": 0, "key": 4660}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/ipcexist" 4660 >"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
grep -qx 'existing=0' "$T/out" || fail "the existing queue: $(cat "$T/out")"
grep -qx 'next_id=-1' "$T/out" || fail "msg_next_id left set: $(cat "$T/out")"
grep -qx 'private=[0-9]*' "$T/out" || fail "the next creation failed: $(cat "$T/out")"
pass "an existing queue with the planned id: msg_next_id back to -1"
