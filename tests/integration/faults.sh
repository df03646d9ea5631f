#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Faults: nsdd SIGKILLed mid-plan (every tracee runs on, untraced), a client
# that goes away mid-Watch, and startup where the socket cannot be made.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
py=/usr/bin/python3
[ -x $py ] || skip "no /usr/bin/python3"
start_nsdd

# A client disconnects in the middle of a Watch stream; nsdd serves on.
p=$(plan two <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 100}, {"call": "fork", "pid": 200}]}}
J
)
FORKWAIT_CHILD_EXIT=1 ctl --json run --new-ns "$p" -- "$PROGS/forkwait" 2 >"$T/out" 2>&1 &
wait_for "$T/out" '^waiting$'
id=$(sed -n 's/.*"id": *"\([0-9a-f]*\)".*/\1/p' "$T/out" | head -1)
for _ in 1 2 3; do
	$py - "$id" <<'PY' || fail "watch client"
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["NSDD_SOCKET"])
s.sendall(json.dumps({"method": "io.nsdd.supervisor.Watch", "parameters": {"id": sys.argv[1]},
                      "more": True}).encode() + b"\0")
assert b"attached" in s.recv(65536)
s.close()  # gone, mid-stream
PY
done
ctl info >/dev/null || fail "nsdd stopped answering after clients left mid-Watch"

# nsdd is SIGKILLed mid-plan: the kernel detaches its tracees, which run on.
target=$(grep -o '"pid": *[0-9]*' "$T/out" | head -1 | grep -o '[0-9]*$')
grep -q "^TracerPid:[[:space:]]*$NSDD_PID$" "/proc/$target/status" || fail "target not traced"
kill -KILL "$NSDD_PID"
wait "$NSDD_PID" 2>/dev/null
NSDD_PID=
for _ in $(seq 100); do
	grep -q '^TracerPid:[[:space:]]*0$' "/proc/$target/status" && break
	sleep 0.05
done
check_free "$target"
kill -USR1 "$target" # it runs on, untraced: the next fork happens
wait_for "$T/out" '^child='

# Startup: clear errors, exit 1, when the socket cannot be made.
: >"$T/file"
"$NSDD" --socket "$T/file/sub/sock" 2>"$T/err"
[ $? = 1 ] || fail "a socket under a file: not exit 1"
grep -q "cannot create socket directory $T/file/sub: Not a directory" "$T/err" ||
	fail "under a file: $(cat "$T/err")"
# A full file system: a tmpfs with no inode left, in a private mount namespace.
unshare --mount --propagation private bash -c '
	mkdir -p "$1/full" && mount -t tmpfs -o size=64k,nr_inodes=1 tmpfs "$1/full" || exit 77
	exec "$2" --socket "$1/full/sock"' _ "$T" "$NSDD" 2>"$T/err"
rc=$?
[ $rc = 77 ] && skip "cannot mount a tmpfs here"
[ $rc = 1 ] || fail "a full file system: exit $rc, not 1"
grep -q "cannot bind $T/full/sock: No space left on device" "$T/err" || fail "full: $(cat "$T/err")"
pass "SIGKILLed nsdd leaves tracees running untraced; Watch clients may vanish; startup errors are clear"
