#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A planned child or thread starts with its parent's signal mask. python3
# (a SIGINT handler without SA_RESTART: nsdd holds it seized) blocks
# SIGUSR2, forks a child and starts a thread, each at its planned id; each
# reads its own SigBlk. Where the fork is made under ptrace in mode seccomp,
# nsdd blocks every signal from the call's entry to its exit (so that a
# signal cannot cut it short): the child and the thread were born with every
# signal blocked, and kept them so. In ptrace mode, in mode seccomp on the
# ptrace route (nsdd --no-notify-route) and on the notify route.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v python3 >/dev/null || skip "no python3"

prog='
import os, signal, threading
def blk(path):
    return [l.split()[1] for l in open(path) if l.startswith("SigBlk")][0]
def say(*words): # one write: nsdctl writes its lines to the same file
    os.write(1, (" ".join(map(str, words)) + "\n").encode())
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})
say("parent", blk("/proc/self/status"))
pid = os.fork()
if pid == 0:
    say("child", os.getpid(), blk("/proc/self/status"))
    os._exit(0)
os.waitpid(pid, 0)
def run():
    say("thread", threading.get_native_id(), blk("/proc/thread-self/status"))
t = threading.Thread(target=run)
t.start()
t.join()
'
want=0000000000000800 # SIGUSR2
check() { # MODE LABEL
	p=$(plan "sigmask-$1" <<J
{"version": 1, "mode": "$1", "tasks": {"target": [{"call": "fork", "pid": 50}, {"call": "thread", "pid": 60}]}}
J
)
	ctl run --new-ns "$p" -- /usr/bin/python3 -c "$prog" >"$T/out" 2>&1 || fail "$2: run failed: $(tail -3 "$T/out")"
	grep -qx "parent $want" "$T/out" || fail "$2: the parent's mask is not $want: $(grep parent "$T/out")"
	grep -qx "child 50 $want" "$T/out" || fail "$2: the child: $(grep '^child' "$T/out") (want pid 50, SigBlk $want)"
	grep -qx "thread 60 $want" "$T/out" || fail "$2: the thread: $(grep '^thread' "$T/out") (want tid 60, SigBlk $want)"
	pass "$2: the planned child and thread start with their parent's mask"
}
start_nsdd
check ptrace "ptrace mode"
check seccomp "mode seccomp, notify route"
stop_nsdd
start_nsdd --no-notify-route
check seccomp "mode seccomp, ptrace route"
