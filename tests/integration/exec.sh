#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# execve by a non-leader thread that still has a step: the thread becomes the
# process (it takes the leader's pid) and its step applies in the new image.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

p=$(plan exec <<'J'
{"version": 1, "tasks": {"target": [{"call": "thread", "pid": 50}],
  "50": [{"call": "fork", "pid": 60}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/threadexec" 'echo "image=$$"; sh -c "echo child=\$\$"; true' \
	>"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
grep -qx 'thread=50' "$T/out" || fail "thread: $(cat "$T/out")"
# After the exec the thread has the process's pid (1, the target's).
grep -qx 'image=1' "$T/out" || fail "image pid: $(cat "$T/out")"
grep -qx 'child=60' "$T/out" || fail "fork after exec: $(cat "$T/out")"
grep -q 'thread .* exec.d and became' "$T/nsdd.log" || fail "no non-leader exec seen"
pass "execve by a non-leader thread keeps its steps"

# Mode seccomp: python3 sets a SIGINT handler, so its process rests seized
# while its thread runs untraced; the thread's execve removes the leader
# (its exit event, status 0) and takes its pid, and the leader's step is the
# new image's: not a target that exited with a step pending.
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
p=$(plan exec-seccomp <<'J'
{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 30}]}}
J
)
ctl run --new-ns "$p" -- /usr/bin/python3 -c '
import os, threading
def run():
    os.execv("/bin/sh", ["sh", "-c", "echo image=$$; sh -c \"echo child=\\$\\$\""])
threading.Thread(target=run).start()
threading.Event().wait()
' >"$T/out" 2>&1 || fail "seccomp run: $(cat "$T/out")"
grep -qx 'image=1' "$T/out" && grep -qx 'child=30' "$T/out" ||
	fail "fork after an untraced thread's exec: $(cat "$T/out")"
grep -q 'removed by another thread.s execve' "$T/nsdd.log" || fail "the leader's removal not seen"
pass "and in mode seccomp, by a thread that runs untraced"
