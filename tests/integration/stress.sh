#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Under stress, no task is ever left stopped or traced:
# - 50 plan runs, each with a task of the tree SIGKILLed at a random moment;
# - 200 clients at once, each submitting a plan on a target of its own and
#   watching it to its end.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
py=/usr/bin/python3
[ -x $py ] || skip "no /usr/bin/python3"
start_nsdd

# Tasks nsdd still traces, or that are in a tracing stop.
left() {
	local n=0 f
	for f in /proc/[0-9]*/status; do
		grep -q "^TracerPid:[[:space:]]*$NSDD_PID$" "$f" 2>/dev/null && n=$((n + 1))
	done
	echo $n
}

# A shell whose eight forks are all steps, each child living a little.
steps=$(for pid in $(seq 10 17); do printf '{"call": "fork", "pid": %d}\n' "$pid"; done | paste -sd,)
p=$(echo "{\"version\": 1, \"tasks\": {\"target\": [$steps]}}" | plan tree)
completed=0 failed=0 hits=0
for i in $(seq 50); do
	ctl run --new-ns "$p" -- /bin/sh -c ": run$i; for n in 1 2 3 4 5 6 7 8; do sleep 0.08; done" \
		>"$T/run.$i" 2>&1 &
	run=$!
	sleep "$(printf "0.%02d" $((RANDOM % 27 + 3)))" # 30..290 ms: mid-run
	victims=($(pgrep -f ": run$i;") $(pgrep -P "$(pgrep -f ": run$i;" | tail -1)" 2>/dev/null))
	[ ${#victims[@]} -gt 0 ] && kill -KILL "${victims[RANDOM % ${#victims[@]}]}" 2>/dev/null &&
		hits=$((hits + 1))
	wait $run
	case $? in 0) completed=$((completed + 1)) ;; *) failed=$((failed + 1)) ;; esac
done
for _ in $(seq 100); do [ "$(left)" = 0 ] && break; sleep 0.05; done
[ "$(left)" = 0 ] || fail "$(left) tasks left traced after 50 killed runs"
ctl info >/dev/null || fail "nsdd stopped answering"
[ $hits -ge 45 ] || fail "only $hits of 50 kills hit a task: the test did not test"
echo "50 runs, $hits tasks SIGKILLed mid-plan: $completed completed, $failed failed, 0 tasks left"

# 200 clients at once, each with a target (a sleep) and a plan that times out.
for i in $(seq 200); do sleep 60 & done
$py - $(jobs -p | tail -200) <<'PY' || fail "concurrent clients"
import json, os, socket, sys, threading
pids = [int(p) for p in sys.argv[1:]]
results = {}
# The plans' pid: a free one half the range away from the host's pid counter
# (which may have wrapped by now), so that no fork takes it meanwhile.
last = int(open("/proc/sys/kernel/ns_last_pid").read())
pid_max = int(open("/proc/sys/kernel/pid_max").read())
want = (last + pid_max // 2) % pid_max
while want < 300 or os.path.exists("/proc/%d" % want):
    want = (want + 1) % pid_max

def client(pid):
    s = socket.socket(socket.AF_UNIX); s.settimeout(60); s.connect(os.environ["NSDD_SOCKET"])
    def call(method, params, more=False):
        msg = {"method": method, "parameters": params}
        if more: msg["more"] = True
        s.sendall(json.dumps(msg).encode() + b"\0")
    buf = b""
    def read():
        nonlocal buf
        while b"\0" not in buf:
            chunk = s.recv(65536)
            if not chunk: raise EOFError
            buf += chunk
        m, buf = buf.split(b"\0", 1)
        return json.loads(m)
    call("io.nsdd.supervisor.Submit", {"plan": {"version": 1, "timeout_ms": 300,
         "target": {"pid": pid}, "tasks": {"target": [{"call": "fork", "pid": want}]}}})
    r = read()
    if "error" in r:
        results[pid] = "submit: " + json.dumps(r); return
    call("io.nsdd.supervisor.Watch", {"id": r["parameters"]["id"]}, more=True)
    while True:
        r = read()
        if not r.get("continues"):
            results[pid] = r["parameters"]["event"]["kind"] + ":" + str(r["parameters"]["event"].get("error"))
            return

threads = [threading.Thread(target=client, args=(p,)) for p in pids]
for t in threads: t.start()
for t in threads: t.join()
bad = {p: r for p, r in results.items() if r != "plan_failed:timeout"}
assert len(results) == 200 and not bad, (len(results), list(bad.items())[:3])
print("200 clients: every plan ended plan_failed:timeout")
PY
for _ in $(seq 100); do [ "$(left)" = 0 ] && break; sleep 0.05; done
[ "$(left)" = 0 ] || fail "$(left) tasks left traced after 200 clients"
for pid in $(jobs -p); do check_free "$pid"; done
pass "50 killed runs and 200 concurrent clients: 0 tasks left stopped or traced"
