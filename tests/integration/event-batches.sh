#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A Watch's events come in batches while they come fast: a shell makes 300
# planned forks as fast as it can (subshells: a fork and no exec each, 1.3
# ms a fork natively on the slowest VM seen here, where a /bin/true's exec
# made it 2.2 ms and so at most 9 events in nsdd's 20 ms) while a client reads its plan's Watch as
# fast as it can; nsdd writes them at most every 20 ms, not one write (and
# one wake-up of the client) per event. Every event still comes, in order,
# and the final one with the last step. nsdctl run, which follows the same
# plan, prints a batch's lines in one write to its stdout (a pipe here),
# not one write (and one wake-up of its reader) per line, and never ends a
# write mid-line.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

n=300
p=$(python3 - "$n" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"version": 1, "name": "batches", "mode": "seccomp",
                  "tasks": {"target": [{"call": "fork", "pid": 1000 + i} for i in range(n + 1)]}}))
PY
)
echo "$p" >"$T/plan.json"
mkfifo "$T/go"
# nsdctl's writes to its stdout (a pipe), counted by strace (not the child).
command -v strace >/dev/null || skip "strace is not installed"
strace -o "$T/writes" -e trace=write -e signal=none "$NSDCTL" run --new-ns "$T/plan.json" -- \
	/bin/sh -c "read x <'$T/go'; for i in \$(seq $n); do (:); done" 2>"$T/run.err" |
	cat >"$T/run.out" &
run=$!

python3 - "$T/go" "$n" >"$T/watch.out" 2>&1 <<'PY' || fail "watch: $(cat "$T/watch.out")"
import json, os, sys, time
sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests/integration"))
import vl

go, n = sys.argv[1], int(sys.argv[2])
c = vl.Conn()
for _ in range(200):
    c.send("io.nsdd.supervisor.List", {})
    plans = [p for p in c.read()["parameters"]["plans"] if p.get("name") == "batches"]
    if plans:
        break
    time.sleep(0.05)
else:
    sys.exit("the plan never showed in List")
c.send("io.nsdd.supervisor.Watch", {"id": plans[0]["id"]}, more=True)
# The replay of what came before the shell forks: read it first.
while True:
    m = c.read()
    if m["parameters"]["event"]["kind"] == "attached":
        break
with open(go, "w") as f:
    f.write("go\n")
# From here, count the socket's reads that bring a whole event or more.
applied, reads, last = 0, 0, None
start = time.monotonic()
while last is None:
    chunk = c.s.recv(1 << 20)
    if not chunk:
        sys.exit("nsdd closed the connection")
    reads += 1
    c.buf += chunk
    while b"\0" in c.buf:
        msg, c.buf = c.buf.split(b"\0", 1)
        m = json.loads(msg)
        ev = m["parameters"]["event"]
        if ev["kind"] == "applied":
            if ev["want"] != 1000 + applied:
                sys.exit("event %d out of order: %s" % (applied, ev))
            applied += 1
        if not m.get("continues"):
            last = ev["kind"]
# A batch at most every 20 ms: a quarter of the events' count, or where
# forks are slower than that here (a loaded machine), a fifth more than the
# 20 ms that passed, never more than half.
ms = (time.monotonic() - start) * 1000
allow = min(applied // 2, max(applied // 4, int(ms / 20 * 1.2) + 5))
print("applied %d, final %s, in %d reads (%d ms, %d allowed)" % (applied, last, reads, ms, allow))
with open(os.path.join(os.path.dirname(go), "allow"), "w") as f:
    f.write("%d\n" % allow)
if applied != n + 1 or last != "completed":
    sys.exit("not every step came: %d applied, final event %s" % (applied, last))
if reads > allow:
    sys.exit("%d events in %d reads: not batched" % (applied, reads))
PY
wait $run || fail "run failed: $(tail -5 "$T/run.err")"
applied=$(grep -c '^applied ' "$T/run.out")
writes=$(grep -c '^write(1,' "$T/writes")
[ "$applied" = $((n + 1)) ] && [ "$(tail -1 "$T/run.out" | tr -d " ")" = completed ] ||
	fail "nsdctl run's output: $(tail -3 "$T/run.out")"
[ "$writes" -le "$(cat "$T/allow")" ] ||
	fail "nsdctl run wrote $applied events' lines in $writes writes: not batched"
pass "$(cat "$T/watch.out"); nsdctl run: $applied applied in $writes writes"

# Its lines are written whole, each write ending a line: the command it
# runs may write the same file (a full buffer flushed mid-line once let
# thread-quit.sh's command put its "done" inside an event's line). 200
# children each make a planned thread and exit at once: 400 events, fast.
n=200
thread_plan $n 1000 seccomp >"$T/quit.json"
strace -o "$T/writes2" -s 100000 -e trace=write -e signal=none "$NSDCTL" run --new-ns \
	"$T/quit.json" -- "$PROGS/threadquit" $n 2>"$T/run.err" >"$T/quit.out" ||
	fail "threads: $(tail -5 "$T/run.err")"
[ "$(grep -c '^applied .* thread' "$T/quit.out")" = $n ] || fail "threads: $(tail -3 "$T/quit.out")"
writes=$(grep -c '^write(1,' "$T/writes2")
cut=$(grep '^write(1,' "$T/writes2" | grep -vc '\\n", [0-9]*) = ')
[ "$cut" = 0 ] || fail "$cut of nsdctl run's $writes writes end mid-line: $(grep '^write(1,' "$T/writes2" | grep -v '\\n", [0-9]*) = ' | head -1 | tail -c 120)"
grep -qx "done $n" "$T/quit.out" || fail "threads: the command's line: $(grep done "$T/quit.out")"
pass "$((2 * n)) events in $writes writes, each ending a line"
