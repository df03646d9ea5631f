#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nsdctl record: a run's pids, written as a plan; nsdctl run with that plan
# gives every task the same pids again. Each program below (none written
# for nsdd but the last) is recorded once in fresh namespaces, then replayed
# in fresh namespaces whose pid counter other tasks have moved on first (its
# wrapper writes ns_last_pid, which no plan step sees): natively its tasks
# would get other pids. Every id the tasks write down must be the same.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

# record NAME CMD...: records CMD's run (with $RECORD_OPTS), then replays
# it; its tasks append "TAG ID" lines to $LOG, which must come out the same.
# The replay's wrapper sets IPCIDS_BURN (tests/progs/ipcids).
record() {
	local name=$1 rc=0
	shift
	export LOG=$T/$name.log
	: >"$LOG"
	# shellcheck disable=SC2086
	"$NSDCTL" record --new-ns --init ${RECORD_OPTS:-} -o "$T/$name.json" -- sh -c 'exec "$@"' sh "$@" \
		>"$T/$name.rec.out" 2>&1 || fail "$name: record: $(cat "$T/$name.rec.out")"
	mv "$LOG" "$T/$name.first"
	[ -s "$T/$name.first" ] || fail "$name: the run wrote no ids"
	grep -q '"call"' "$T/$name.json" || fail "$name: the plan has no steps: $(cat "$T/$name.json")"
	: >"$LOG"
	"$NSDCTL" run --new-ns --init "$T/$name.json" -- \
		sh -c 'echo 700 >/proc/sys/kernel/ns_last_pid && IPCIDS_BURN=1 exec "$@"' sh "$@" \
		>"$T/$name.run.out" 2>&1 || rc=$?
	[ $rc = 0 ] || fail "$name: replay (status $rc): $(cat "$T/$name.run.out")"
	# Tasks run side by side (a pipeline's two ends): their lines, not their order.
	sort -o "$T/$name.first" "$T/$name.first"
	sort -o "$LOG" "$LOG"
	cmp -s "$T/$name.first" "$LOG" ||
		fail "$name: other ids in the replay: $(diff "$T/$name.first" "$LOG" | head -20)"
	pass "$name: $(wc -l <"$LOG") ids, $(grep -c '"call"' "$T/$name.json") steps, the same in the replay"
}

# 1. A dash script: pipelines, subshells, background jobs, a command.
cat >"$T/script.sh" <<'SH'
log() { read -r p _ </proc/self/stat; echo "$1 $p" >>"$LOG"; }
( log sub; ( log subsub ) )
echo x | ( log pipe-left; cat ) | ( log pipe-right; cat >/dev/null )
( log bg; sleep 0.05 ) &
wait
sh -c 'read -r p _ </proc/self/stat; echo "sh $p" >>"$LOG"'
for i in 1 2 3; do ( log "loop$i" ); done
SH
record dash dash "$T/script.sh"

# 2. python3: subprocess, multiprocessing (fork) and a thread.
if command -v python3 >/dev/null; then
	cat >"$T/prog.py" <<'PY'
import multiprocessing, os, subprocess, sys, threading
log = os.environ["LOG"]
def note(tag):
    with open(log, "a") as f:
        f.write(f"{tag} {os.getpid()} {threading.get_native_id()}\n")
subprocess.run(["sh", "-c", 'read -r p _ </proc/self/stat; echo "sh $p" >>"$LOG"'], check=True)
multiprocessing.set_start_method("fork")
for i in range(3):
    p = multiprocessing.Process(target=note, args=(f"mp{i}",))
    p.start()
    p.join()
t = threading.Thread(target=note, args=("thread",))
t.start()
t.join()
PY
	record python3 python3 "$T/prog.py"
fi

# 3. make -j1: each recipe's shell writes its pid.
if command -v make >/dev/null; then
	cat >"$T/Makefile" <<'MK'
all: a b c
a b c:
	@read -r p _ </proc/self/stat; echo "$@ $$p" >>"$$LOG"
MK
	record make make -s -j1 -C "$T" -f "$T/Makefile"
fi

# 4. A threaded C program: threads, and a child with threads of its own.
record threads sh -c '"$0" "$LOG"' "$PROGS/threads"

# 5. SysV IPC ids and fds: each created object's id (with its key), each
#    open's fd (with its path); the replay first makes and removes an object
#    of each kind, so that natively each kind's next id would be another.
RECORD_OPTS=--calls=fork,thread,msgget,semget,shmget,open record ipcids sh -c '"$0" "$LOG"' "$PROGS/ipcids"
grep -q '"key": 4660' "$T/ipcids.json" && grep -q '"path": "/dev/null"' "$T/ipcids.json" ||
	fail "ipcids: the plan lacks the key or the path: $(cat "$T/ipcids.json")"
[ "$(grep -c '"call": "msgget"' "$T/ipcids.json")" = 2 ] ||
	fail "ipcids: a msgget that found its queue was written down: $(cat "$T/ipcids.json")"
# nsdctl record's filter stops only the recorded calls (and those that
# failed): two stops each, and each fork two. 49 stops for 19 steps here,
# against 404 when every syscall stopped at its entry and exit.
id=$(sed -n 's/.*recording \([0-9a-f]*\):.*/\1/p' "$T/ipcids.rec.out")
stops=$(ctl --json status "$id" | sed -n 's/.*"ptrace_stops": *\([0-9]*\).*/\1/p')
steps=$(grep -c '"call"' "$T/ipcids.json")
[ -n "$stops" ] && [ "$stops" -le $((2 * steps + 50)) ] ||
	fail "ipcids: the recording cost $stops ptrace stops for $steps steps"
pass "ipcids: the recording's filter stopped it $stops times for $steps steps"

# util-linux's ipcmk picks a random key each run: recorded without the key
# match (--no-match), in a new IPC namespace, replayed in another whose
# queue ids moved on first, with no new pid namespace (where the ids are free).
if command -v ipcmk >/dev/null; then
	unshare --ipc "$NSDCTL" record --no-match -o "$T/ipcmk.json" -- ipcmk -Q >"$T/ipcmk.1" 2>&1 ||
		fail "ipcmk: record: $(cat "$T/ipcmk.1")"
	unshare --ipc sh -c 'ipcrm -q "$(ipcmk -Q | sed "s/.*: //")" && exec "$0" run "$1" -- ipcmk -Q' \
		"$NSDCTL" "$T/ipcmk.json" >"$T/ipcmk.2" 2>&1 || fail "ipcmk: replay: $(cat "$T/ipcmk.2")"
	grep '^Message queue id' "$T/ipcmk.1" >"$T/ipcmk.ids"
	grep -qxF -f "$T/ipcmk.ids" "$T/ipcmk.2" && ! grep -q '"key"' "$T/ipcmk.json" ||
		fail "ipcmk: $(cat "$T/ipcmk.1" "$T/ipcmk.2" "$T/ipcmk.json")"
	pass "ipcmk: $(cat "$T/ipcmk.ids") in the record and in the replay, whose namespace had used that id"
fi

# 6. A run that diverges from its plan is reported, and does not hang: one
#    subshell fewer leaves a step of the target's, and the plan fails.
rc=0
"$NSDCTL" run --new-ns --init "$T/dash.json" -- dash -c '( true ); ( true )' >"$T/div" 2>&1 || rc=$?
[ $rc = 3 ] && grep -q 'steps\{0,1\} pending' "$T/div" ||
	fail "a diverging replay: status $rc: $(cat "$T/div")"
pass "a replay that diverges fails, saying which task has which steps left: $(grep -m1 pending "$T/div")"

# 7. Record for a running target, without "more": one reply, once its tree
#    has exited. The target (a shell blocked on a FIFO) forks twice after it.
mkfifo "$T/go"
sh -c 'read -r x <"$0"; (true); sh -c true' "$T/go" &
target=$!
PYTHONPATH="$top_srcdir/tests/integration" python3 - "$target" "$T/go" >"$T/raw" 2>&1 <<'PY' ||
import json, sys, time
from vl import Conn
pid, fifo = int(sys.argv[1]), sys.argv[2]
c = Conn(20)
c.send("io.nsdd.supervisor.Record", {"target": {"pid": pid}})
with open(fifo, "w") as f:  # nsdd has it once the call is read: wait for the attach
    for _ in range(200):
        if any(l.startswith("TracerPid:") and l.split()[1] != "0"
               for l in open(f"/proc/{pid}/status")):
            break
        time.sleep(0.01)
    f.write("go\n")
reply = c.read()
print(json.dumps(reply))
steps = reply["parameters"]["plan"]["tasks"]["target"]
assert "continues" not in reply and [s["call"] for s in steps] == ["fork", "fork"], reply
PY
	fail "Record of a running target: $(cat "$T/raw")"
wait $target
pass "Record of a running target: one reply, its plan has the target's 2 forks"

# 8. A Record that is cancelled ends with RecordFailed and lets its tree go;
#    one whose client is gone (nsdctl killed) runs on until cancelled.
sleep 30 &
target=$!
PYTHONPATH="$top_srcdir/tests/integration" python3 - "$target" >"$T/raw" 2>&1 <<'PY' ||
import json, sys
from vl import Conn
s = Conn(20)
s.send("io.nsdd.supervisor.Record", {"target": {"pid": int(sys.argv[1])}}, more=True)
first = s.read()
assert first.get("continues") and first["parameters"]["plan"] == {}, first
c = Conn(20)
c.send("io.nsdd.supervisor.Cancel", {"id": first["parameters"]["id"]})
assert "error" not in c.read()
last = s.read()
assert last.get("error") == "io.nsdd.supervisor.RecordFailed", last
print(json.dumps(last))
PY
	fail "a cancelled Record: $(cat "$T/raw")"
[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$target/status")" = 0 ] || fail "the cancelled Record's target is still traced"
"$NSDCTL" record -- sleep 30 >"$T/killed" 2>&1 &
rec=$!
wait_for "$T/killed" 'recording [0-9a-f]+'
kill -KILL $rec
wait $rec 2>/dev/null || true
id=$(sed -n 's/.*recording \([0-9a-f]*\):.*/\1/p' "$T/killed")
ctl status "$id" | grep -q running || fail "the Record without its client: $(ctl status "$id")"
ctl cancel "$id" >/dev/null || fail "cancel $id"
kill "$target" "$(sed -n 's/.*started sleep as pid \([0-9]*\).*/\1/p' "$T/killed")"
pass "a cancelled Record ends with RecordFailed and lets its target go; one whose client died runs until cancelled"
