#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The notify route reads the kernel's fork events no more than it needs: a
# loop of planned forks (each the one in flight when the next call comes)
# takes one read of the events' socket a fork, the one that brings its
# event, not a second that only finds the socket empty. Every pid is still
# the plan's. nsdd's calls are counted by strace.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v strace >/dev/null || skip "strace is not installed"
start_nsdd

n=200
python3 - "$n" >"$T/plan.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"version": 1, "mode": "seccomp",
                  "tasks": {"target": [{"call": "fork", "pid": 1000 + i} for i in range(n)]}}))
PY
strace -f -o "$T/calls" -e trace=recvfrom,recvmsg,recvmmsg -p "$NSDD_PID" 2>"$T/strace.err" &
st=$!
test_cleanup() { kill "$st" 2>/dev/null; }
for _ in $(seq 100); do grep -q attached "$T/strace.err" && break; sleep 0.05; done
py='import os, sys
for i in range(int(sys.argv[1])):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    os.write(1, b"got %d\n" % pid)'
ctl run --new-ns "$T/plan.json" -- /usr/bin/python3 -c "$py" "$n" >"$T/out" 2>&1 ||
	fail "the loop: $(tail -3 "$T/out")"
kill "$st"
wait "$st" 2>/dev/null
for i in $(seq 0 $((n - 1))); do echo "got $((1000 + i))"; done >"$T/want"
grep '^got ' "$T/out" | cmp -s - "$T/want" || fail "pids: $(grep '^got ' "$T/out" | diff - "$T/want" | head -3)"
routed=$(grep -c '^applied .* no stop$' "$T/out")
[ "$routed" = "$n" ] || fail "$routed of $n forks on the notify route: $(grep '^applied' "$T/out" | head -2)"
# The fork events' socket: the netlink one (a read that brings a message
# names nl_pid); every read of it counts, those that find it empty too.
fd=$(sed -n 's/.*recvfrom(\([0-9]*\), .*nl_pid.*/\1/p' "$T/calls" | head -1)
[ -n "$fd" ] || fail "nsdd read no fork event: $(head -3 "$T/calls")"
reads=$(grep -c "recvfrom($fd, " "$T/calls")
[ "$reads" -le $((n + n / 10 + 5)) ] ||
	fail "$reads reads of the fork events for $n planned forks (one each is enough)"
pass "$n planned forks, every pid exact, in $reads reads of the kernel's fork events"
