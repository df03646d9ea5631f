#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The notify route makes no call it does not need; nsdd's calls are
# counted by strace. A loop of planned forks (each the one in flight when
# the next call comes), every pid the plan's:
# - reads the kernel's fork events once a fork, the read that brings its
#   event, not a second that only finds the socket empty;
# - polls the listener once a notification (whether another waits), not
#   also before each RECV to tell a notification from a hang-up: since
#   Linux 6.11 a RECV on a listener with no task left ends (ENOENT).
# Then a calm task (untraced: its exit is seen only as the listener's
# hang-up) exits with a step left: nsdd ends the plan, failed, and answers.
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
strace -f -o "$T/calls" -e trace=recvfrom,recvmsg,recvmmsg,poll,ioctl -p "$NSDD_PID" 2>"$T/strace.err" &
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
# The listener: the fd of the RECVs; its polls of nothing else, at once.
lfd=$(sed -n 's/.*ioctl(\([0-9]*\), SECCOMP_IOCTL_NOTIF_RECV.*/\1/p' "$T/calls" | head -1)
[ -n "$lfd" ] || fail "nsdd received no notification: $(head -3 "$T/calls")"
polls=$(grep -c "poll(\[{fd=$lfd, events=POLLIN}\], 1, 0)" "$T/calls")
read -r kmaj kmin < <(uname -r | sed 's/^\([0-9]*\)\.\([0-9]*\).*/\1 \2/')
if [ "$kmaj" -gt 6 ] || { [ "$kmaj" = 6 ] && [ "$kmin" -ge 11 ]; }; then
	[ "$polls" -le $((n + n / 10 + 5)) ] ||
		fail "$polls polls of the listener for $n notifications (one each is enough on Linux $kmaj.$kmin)"
else
	echo "Linux $kmaj.$kmin: a RECV on a hung-up listener waits, so it is polled first ($polls polls)"
fi
pass "$n planned forks, every pid exact, in $reads reads of the kernel's fork events and $polls polls of the listener"

# The calm task's exit with a step left: only the listener's hang-up says so.
seized=$(grep -c 'seized for' "$T/nsdd.log")
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 300}, {"call": "fork", "pid": 301}]}}' >"$T/left.json"
timeout 30 "$NSDCTL" run --new-ns "$T/left.json" -- "$top_builddir/bench/forkloop" 1 >"$T/left" 2>&1 &&
	fail "a plan with a step left completed: $(cat "$T/left")"
[ $? = 124 ] && fail "nsdd did not end the plan of a tree that exited: $(tail -3 "$T/left")"
# (Built with a sanitizer, its runtime's handlers make it seized instead,
# and its exit is seen at its stop: "exited with status 0 with ...".)
grep -q 'with 1 step pending' "$T/left" || fail "not the step left: $(tail -3 "$T/left")"
ctl list >/dev/null || fail "nsdd does not answer after the listener's hang-up"
kill -0 "$NSDD_PID" || fail "nsdd is gone"
if [ "$(grep -c 'seized for' "$T/nsdd.log")" != "$seized" ]; then
	pass "a seized task's exit with a step left (a sanitizer's handlers: not the hang-up's case) failed its plan"
else
	pass "a calm task's exit with a step left: the listener's hang-up ended its plan, failed"
fi
