#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The notify route of mode seccomp: planned forks answered from their
# notifications, with no ptrace stop, and exact.
# 1. Two workers of one namespace fork at once, 60 planned forks each: every
#    pid is the plan's (the route holds one worker's fork until the other's
#    has its pid; without that hold they take each other's).
# 2. Nested pid namespaces: a grandchild gets its pid at two levels.
# 3. A fork that fails (RLIMIT_NPROC): the step fails, and ns_last_pid is
#    given back (the next, unplanned, fork does not get the planned pid).
# 4. A namespace that a task outside the plan's filter can fork into: the
#    ptrace route is taken, and the pid is still exact.
# 5. A fork that takes its pid late, in a tree that exits right after it.
# 6. The notifier killed while its fork is in flight, another fork held;
#    a task killed while its fork is held; a child's exit before its first
#    call.
# 7. IPC gets on the route: ipcmk from two workers at once; one that fails.
# 8. No fork events for nsdd: the ptrace route, exact.
# 9. A fork that the pids controller fails after it took its pid.
# 10. Planned pids that follow each other: nothing is written for the second
#    (the kernel's next pid is it already), and a pid taken meanwhile by
#    another task is still refused with EEXIST.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
field() { ctl --json status "$1" | sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"; }
last_id() { ctl --json list | grep -o '"id": *"[0-9a-f]*"' | tail -1 | grep -o '[0-9a-f]\{16\}'; }

# 1. Concurrent workers.
n=60
python3 - "$n" >"$T/two.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"version": 1, "mode": "seccomp", "tasks": {
    "target": [{"call": "fork", "pid": 10}, {"call": "fork", "pid": 20}],
    "10": [{"call": "fork", "pid": 1000 + i} for i in range(n)],
    "20": [{"call": "fork", "pid": 2000 + i} for i in range(n)]}}))
PY
for run in 1 2 3; do
	ctl run --new-ns "$T/two.json" -- /bin/sh -c '
		(i=0; while [ $i -lt '$n' ]; do sh -c "echo a=\$\$"; i=$((i + 1)); done) &
		(i=0; while [ $i -lt '$n' ]; do sh -c "echo b=\$\$"; i=$((i + 1)); done) &
		wait' >"$T/out" 2>&1 || fail "workers, run $run: $(grep -v '^applied' "$T/out" | tail -5)"
	got=$(grep -o '^[ab]=[0-9]*' "$T/out" | sort | tr '\n' ' ')
	want=$(for i in $(seq 0 $((n - 1))); do printf 'a=%d\n' $((1000 + i)); done
	       for i in $(seq 0 $((n - 1))); do printf 'b=%d\n' $((2000 + i)); done)
	want=$(echo "$want" | sort | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "workers, run $run: wrong pids: $(diff <(echo "$want" | tr ' ' '\n') <(echo "$got" | tr ' ' '\n') | head -5)"
	id=$(last_id)
	[ "$(field "$id" steps_no_stop)" = $((2 * n + 2)) ] ||
		fail "workers: $(field "$id" steps_no_stop) of $((2 * n + 2)) steps with no stop"
done
pass "two workers, $n planned forks each at once, three runs: every pid exact, no step stopped"

# 2. Nested namespaces: [1, 300] is made with CLONE_NEWPID (the ptrace route:
#    a new namespace has no helper yet); [5, 301] by the new init, at two levels.
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": [1, 300]}], "1": [{"call": "fork", "pid": [5, 301]}]}}' >"$T/nested.json"
ctl run --new-ns "$T/nested.json" -- "$PROGS/nested" 1 300 5 301 >"$T/out" 2>&1 ||
	fail "nested: $(cat "$T/out")"
grep -qx 'N=1,300' "$T/out" && grep -qx 'G=5,301' "$T/out" || fail "nested pids: $(cat "$T/out")"
grep -q '^applied .* want 5 got 5 by ns_last_pid, no stop$' "$T/out" ||
	fail "nested: the grandchild's fork did not take the notify route: $(cat "$T/out")"
pass "nested pid namespaces: the grandchild's two levels on the notify route"

# 3. RLIMIT_NPROC: a user of its own (any other process of the user's, such
#    as another test's nobody, counts), with one process allowed, cannot
#    fork; then, its soft limit raised, it forks unplanned and gets the
#    namespace's next pid.
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3"
command -v useradd >/dev/null || skip "useradd is not installed"
np=nsdnp$$
useradd -M -N -g users -s /bin/sh "$np" || skip "cannot create test user $np"
MADE_USERS=$np # lib.sh's cleanup removes it
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 700}]}}' >"$T/nproc.json"
py='import os, resource
try:
    os.fork()
except OSError as e:
    os.write(1, b"failed %d\n" % e.errno)
soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
resource.setrlimit(resource.RLIMIT_NPROC, (hard, hard))
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
os.write(1, b"next=%d\n" % pid)'
ctl run --new-ns "$T/nproc.json" -- prlimit --nproc=1: setpriv --reuid="$(id -u "$np")" \
	--regid="$(id -g "$np")" --clear-groups --inh-caps=-all --bounding-set=-all \
	/usr/bin/python3 -c "$py" >"$T/out" 2>&1 &&
	fail "nproc: the plan completed: $(cat "$T/out")"
grep -q '^failed 11$' "$T/out" || fail "nproc: the fork did not fail: $(cat "$T/out")"
grep -q 'its fork failed, without making pid 700' "$T/out" || fail "nproc: the step: $(cat "$T/out")"
next=$(sed -n 's/^next=//p' "$T/out")
[ -n "$next" ] && [ "$next" -lt 700 ] || fail "nproc: ns_last_pid was not given back: next=$next"
pass "a fork that RLIMIT_NPROC fails: its step fails, ns_last_pid is given back (next pid $next)"

# 4. A task outside the filter in the namespace (it entered with nsenter):
#    the ptrace route, exact all the same.
command -v nsenter >/dev/null || skip "no nsenter"
rm -f "$T/go"
mkfifo "$T/go"
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 50}]}}' >"$T/outsider.json"
ctl run --new-ns "$T/outsider.json" -- /bin/sh -c 'read x <'"$T/go"'; sh -c "echo child=\$\$"' \
	>"$T/out" 2>&1 &
run=$!
wait_for "$T/out" 'started /bin/sh as pid [0-9]+'
target=$(sed -n 's/.*started \/bin\/sh as pid \([0-9]*\).*/\1/p' "$T/out")
nsenter -t "$target" -p --preserve-credentials -- sleep 30 &
outsider=$!
# The ptrace route is taken only if the outsider is in before the fork.
for _ in $(seq 200); do
	c=$(pgrep -P "$outsider" -x sleep) &&
		[ "$(readlink "/proc/$c/ns/pid")" = "$(readlink "/proc/$target/ns/pid")" ] && break
	sleep 0.05
done
echo go >"$T/go"
wait $run || fail "outsider: $(cat "$T/out")"
kill $outsider 2>/dev/null
wait $outsider 2>/dev/null
grep -qx 'child=50' "$T/out" || fail "outsider: $(cat "$T/out")"
grep -q '^applied .* want 50 got 50 by clone3$' "$T/out" ||
	fail "outsider: not the ptrace route: $(cat "$T/out")"
pass "a namespace a task outside the filter can fork into: the ptrace route, the pid exact"

# 5. A fork that takes its pid late (a userfaultfd holds its copy of the
#    address space for 300 ms), in a tree that exits at once after it: the
#    route's first look misses the pid, and it is found when the task stops
#    at its exit, while its namespace still lives (once seen failing in CI:
#    the look after the exit lost the race to the namespace's end).
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "thread", "pid": 5}, {"call": "fork", "pid": 10}]}}' >"$T/slow.json"
for run in 1 2 3; do
	ctl run --new-ns "$T/slow.json" -- "$PROGS/slowfork" 300 >"$T/out" 2>&1 ||
		fail "slow fork, run $run: $(grep -v '^applied' "$T/out" | tail -3)"
	grep -qx 'child=10' "$T/out" || fail "slow fork, run $run: $(cat "$T/out")"
	grep -q '^applied .* want 10 got 10 by ns_last_pid, no stop$' "$T/out" ||
		fail "slow fork, run $run: not the notify route: $(cat "$T/out")"
done
pass "a fork that takes its pid 300 ms late, the tree exiting at once: exact, three runs"

# 6. The notifier killed while its fork is in flight and another task's
#    fork is held: the step fails, ns_last_pid is put back (the pid the
#    killed fork took and freed is not the next one given), and the held
#    fork is answered, not left waiting. The other task is forked first:
#    a fork of the target's after slowfork's would be held itself (once
#    seen in CI, where the held fork was the other task's own).
killed=1
rm -f "$T/go"
mkfifo "$T/go"
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 10}, {"call": "fork", "pid": 20}], "10": [{"call": "fork", "pid": 300}], "20": [{"call": "thread", "pid": 21}, {"call": "fork", "pid": 100}]}}' >"$T/killed.json"
ctl run --new-ns "$T/killed.json" -- /bin/sh -c \
	'/bin/sh -c "read x <$1; sh -c '\''echo b=\$\$'\''; exit 0" & "$0" 20000 & wait' \
	"$PROGS/slowfork" "$T/go" >"$T/out" 2>&1 &
run=$!
# Its fork answered (and held in the kernel by the userfaultfd), with
# ns_last_pid written at its call or ahead of it (ahead.sh):
wait_for "$T/nsdd.log" 'ns_last_pid (set|was right) for pid 100,'
echo go >"$T/go"
sleep 0.5 # b's fork is held (if not yet, it comes after the plan: unplanned)
pkill -KILL -x slowfork
wait $run && fail "killed: the plan completed: $(cat "$T/out")"
grep -q 'the task ended before its fork made pid 100' "$T/out" || fail "killed: the step: $(cat "$T/out")"
b=$(sed -n 's/^b=//p' "$T/out")
[ -n "$b" ] && [ "$b" -lt 100 ] || fail "killed: the held fork: b=$b: $(cat "$T/out")"
pass "the notifier killed in flight: its step fails, the held fork goes on (pid $b, not 100)"

# 6b. A task killed while its fork is held (another's in flight, held by a
#    userfaultfd for 1.5 s): the plan fails at once for the task's pending
#    step, and the fork in flight is let go, not left waiting (the plan
#    over, it takes an unplanned pid).
rm -f "$T/go"
mkfifo "$T/go"
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 10}, {"call": "fork", "pid": 20}], "10": [{"call": "fork", "pid": 300}], "20": [{"call": "fork", "pid": 21}, {"call": "fork", "pid": 100}]}}' >"$T/held.json"
ctl run --new-ns "$T/held.json" -- /bin/sh -c \
	'/bin/sh -c "read x <$1; sh -c '\''echo b=\$\$'\''; exit 0" & "$0" -p 1500 & wait' \
	"$PROGS/slowfork" "$T/go" >"$T/out" 2>&1 &
run=$!
killed=$((killed + 1))
for _ in $(seq 200); do
	[ "$(grep -cE 'ns_last_pid (set|was right) for pid 100,' "$T/nsdd.log")" -ge $killed ] && break
	sleep 0.05
done
target=$(sed -n 's/.*started \/bin\/sh as pid \([0-9]*\).*/\1/p' "$T/out")
echo go >"$T/go"
b=
for _ in $(seq 100); do
	# Held in its fork, clone, vfork or clone3:
	b=$(pgrep -P "$target" -x sh) &&
		case $(cut -d' ' -f1 "/proc/$b/syscall" 2>/dev/null) in 56 | 57 | 58 | 435) break ;; esac
	sleep 0.05
done
[ -n "$b" ] || fail "held: no task forking in the tree: $(cat "$T/out")"
kill -KILL "$b"
wait $run && fail "held: the plan completed: $(cat "$T/out")"
grep -q '^plan_failed: task 10 killed by SIGKILL with 1 step pending' "$T/out" &&
	grep -q '^child=[0-9]*$' "$T/out" || fail "held: $(cat "$T/out")"
pass "a task killed while its fork is held: the plan fails, the fork in flight goes on"

# 6c. A child the route made, not traced until its first call, that exits
#    with a step pending before it makes one, while its tree lives on (the
#    target, the namespace's init, sleeps 4 s): its plan fails at once, as
#    for a traced task's exit, not when the tree is gone; nsdd watches its
#    exit with a pidfd.
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 10}], "10": [{"call": "fork", "pid": 100}]}}' >"$T/early.json"
ctl run --new-ns "$T/early.json" -- perl -e \
	'my $a = fork() // die; exit 3 if !$a; waitpid($a, 0); sleep 4' >"$T/out" 2>&1 &
run=$!
wait_for "$T/nsdd.log" 'failed: task 10 exited.* with 1 step pending' 40 # 2 s, not the tree's 4
wait $run
pass "a child not yet traced that exits with a step pending: its plan fails at once"
# The plan over, the pidfds of its other untraced tasks go with it (task 40
# lives on for 3 s, watched until then).
# (Pids of its own: the case above logged a task 10's exit already.)
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 40}, {"call": "fork", "pid": 30}], "30": [{"call": "fork", "pid": 300}], "40": [{"call": "fork", "pid": 400}]}}' >"$T/early2.json"
ctl run --new-ns "$T/early2.json" -- perl -e \
	'my $b = fork() // die; if (!$b) { sleep 3; exit 0 } my $a = fork() // die; exit 3 if !$a; waitpid($a, 0); waitpid($b, 0)' \
	>"$T/out" 2>&1 &
run=$!
wait_for "$T/nsdd.log" 'failed: task 30 exited.* with 1 step pending' 40
pidfds() { ls -l "/proc/$NSDD_PID/fd" | grep -c 'anon_inode:\[pidfd\]'; }
for _ in $(seq 20); do [ "$(pidfds)" = 0 ] && break; sleep 0.05; done
[ "$(pidfds)" = 0 ] || fail "early exit: nsdd holds $(pidfds) pidfds after the plan's end"
wait $run
pass "the plan over, nsdd lets go of the pidfds of its untraced tasks"

# 7. IPC gets on the route: two workers of one namespace run ipcmk (util-linux)
#    30 times each at once, every fork and every msgget planned: each queue
#    has its planned id, no step stopped (the hold keeps one worker's
#    msg_next_id from the other's msgget). Then a msgget that fails (msgmni
#    0: ENOSPC, before any id is used): its step fails and the id is taken
#    back, so the next, unplanned msgget does not get it.
if command -v ipcmk >/dev/null; then
	n=30
	python3 - "$n" >"$T/ipc.json" <<'PY'
import json, sys
n = int(sys.argv[1])
tasks = {"target": [{"call": "fork", "pid": 10}, {"call": "fork", "pid": 20}],
         "10": [{"call": "fork", "pid": 1000 + i} for i in range(n)],
         "20": [{"call": "fork", "pid": 2000 + i} for i in range(n)]}
for i in range(n):
    tasks[str(1000 + i)] = [{"call": "msgget", "id": 100 + i}]
    tasks[str(2000 + i)] = [{"call": "msgget", "id": 200 + i}]
print(json.dumps({"version": 1, "mode": "seccomp", "tasks": tasks}))
PY
	ctl run --new-ns "$T/ipc.json" -- /bin/sh -c '
		(i=0; while [ $i -lt '$n' ]; do ipcmk -Q; i=$((i + 1)); done) &
		(i=0; while [ $i -lt '$n' ]; do ipcmk -Q; i=$((i + 1)); done) &
		wait' >"$T/out" 2>&1 || fail "ipcmk workers: $(grep -v '^applied' "$T/out" | tail -5)"
	got=$(sed -n 's/^Message queue id: //p' "$T/out" | sort -n | tr '\n' ' ')
	want=$( (seq 100 $((100 + n - 1)); seq 200 $((200 + n - 1))) | sort -n | tr '\n' ' ')
	[ "$got" = "$want" ] || fail "ipcmk workers: ids $got"
	[ "$(grep -c '^applied .* msgget .* by next_id, no stop$' "$T/out")" = $((2 * n)) ] ||
		fail "ipcmk workers: not every msgget on the route: $(grep msgget "$T/out" | head -3)"
	pass "two workers' $((2 * n)) planned msggets (ipcmk) at once: every id exact, no stop"
fi
# A task whose last step the route applied is let go at once, not at its
# next stop, while the plan goes on for others: it runs on untraced (a
# sanitizer's exit refuses to run traced).
rm -f "$T/go" "$T/go2"
mkfifo "$T/go" "$T/go2"
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 10}, {"call": "fork", "pid": 20}], "10": [{"call": "msgget", "id": 7}]}}' >"$T/last.json"
py='import ctypes, sys
print("id=%d" % ctypes.CDLL(None).msgget(0, 0o1600), flush=True)
sys.stdin.read()'
ctl run --new-ns "$T/last.json" -- /bin/sh -c '/usr/bin/python3 -c "$0" <"$1" & read x <"$2"; sh -c :; wait' \
	"$py" "$T/go" "$T/go2" >"$T/out" 2>&1 &
run=$!
exec 7>"$T/go"
wait_for "$T/out" '^id=7$'
task=$(pgrep -n -f 'msgget\(0, 0o1600\)')
for _ in $(seq 300); do
	[ "$(sed -n 's/^TracerPid:\t//p' "/proc/$task/status")" = 0 ] && break
	sleep 0.01
done
tracer=$(sed -n 's/^TracerPid:\t//p' "/proc/$task/status")
echo go >"$T/go2"
exec 7>&-
wait $run || fail "let go: $(cat "$T/out")"
[ "$tracer" = 0 ] || fail "let go: task $task is still traced by $tracer after its last step"
pass "a task whose last step the route applied runs on untraced, its plan going on"
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "msgget", "id": 5}]}}' >"$T/enospc.json"
py='import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def mni(v):
    open("/proc/sys/kernel/msgmni", "w").write(str(v))
mni(0)
if libc.msgget(0, 0o1600) < 0:
    os.write(1, b"failed %d\n" % ctypes.get_errno())
mni(32000)
os.write(1, b"next=%d\n" % libc.msgget(0, 0o1600))'
ctl run --new-ns "$T/enospc.json" -- /usr/bin/python3 -c "$py" >"$T/out" 2>&1 &&
	fail "enospc: the plan completed: $(cat "$T/out")"
grep -q '^failed 28$' "$T/out" || fail "enospc: the msgget did not fail: $(cat "$T/out")"
grep -q 'its msgget made no object with IPC id 5' "$T/out" || fail "enospc: the step: $(cat "$T/out")"
next=$(sed -n 's/^next=//p' "$T/out")
[ -n "$next" ] && [ "$next" != 5 ] || fail "enospc: msg_next_id was not taken back: next=$next"
pass "a msgget that fails (ENOSPC) on the route: its step fails, the id is taken back (next $next)"

# 10. A fork loop whose planned pids follow each other: after the first, the
#    kernel's next pid is the planned one already, and nsdd writes nothing
#    (nsdd -v says "ns_last_pid was right"); every pid exact. Then pids 100
#    and 101 planned for the target's forks, 101 taken before them by an
#    unplanned task (its parent wrote ns_last_pid itself): the fork for 101
#    fails with EEXIST as on every route, and does not take 102.
py='import os
for i in range(40):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    os.write(1, b"c=%d\n" % pid)'
python3 -c 'import json; print(json.dumps({"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 500 + i} for i in range(40)]}}))' >"$T/seq.json"
right=$(grep -c 'ns_last_pid was right' "$T/nsdd.log")
ctl run --new-ns "$T/seq.json" -- /usr/bin/python3 -c "$py" >"$T/out" 2>&1 ||
	fail "consecutive: $(grep -v '^applied' "$T/out" | tail -3)"
[ "$(sed -n 's/^c=//p' "$T/out" | tr '\n' ' ')" = "$(seq 500 539 | tr '\n' ' ')" ] ||
	fail "consecutive: wrong pids: $(grep '^c=' "$T/out" | tr '\n' ' ')"
right=$(($(grep -c 'ns_last_pid was right' "$T/nsdd.log") - right))
[ "$right" = 39 ] || fail "consecutive: $right of 39 forks found ns_last_pid right"
pass "40 planned forks with pids that follow each other: exact, 39 with nothing written"
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 300}, {"call": "fork", "pid": 100}, {"call": "fork", "pid": 101}]}}' >"$T/taken.json"
py='import os, time
r, w = os.pipe()
if os.fork() == 0:
    open("/proc/sys/kernel/ns_last_pid", "w").write("100")
    b = os.fork()
    if b == 0:
        time.sleep(30)
        os._exit(0)
    os.write(w, b"%d" % b)
    os._exit(0)
b = int(os.read(r, 16))
os.write(1, b"b=%d\n" % b)
c = os.fork()
if c == 0:
    os._exit(0)
os.waitpid(c, 0)
try:
    d = os.fork()
    if d == 0:
        os._exit(0)
    os.write(1, b"d=%d\n" % d)
except OSError as e:
    os.write(1, b"failed %d\n" % e.errno)
os.kill(b, 9)'
ctl run --new-ns "$T/taken.json" -- /usr/bin/python3 -c "$py" >"$T/out" 2>&1 &&
	fail "taken: the plan completed: $(cat "$T/out")"
grep -qx 'b=101' "$T/out" || fail "taken: the unplanned task is not 101: $(cat "$T/out")"
grep -qx 'failed 17' "$T/out" && grep -q 'want 101 .*EEXIST\|EEXIST.*101\|101.*File exists' "$T/out" ||
	fail "taken: the fork for a taken pid: $(cat "$T/out")"
pass "a planned pid after its predecessor's, taken meanwhile: EEXIST, not the next pid"

# 8. Where the kernel sends nsdd no fork events (here nsdd has a network
#    namespace of its own: the kernel sends them in the initial one only),
#    the route is off and says so, and the ptrace route keeps the pid exact.
stop_nsdd || fail "nsdd did not stop"
NSDD_WRAP="unshare -n" start_nsdd
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 60}]}}' >"$T/noev.json"
ctl run --new-ns "$T/noev.json" -- /bin/sh -c 'sh -c "echo child=\$\$"; :' >"$T/out" 2>&1 ||
	fail "no events: $(cat "$T/out")"
grep -qx 'child=60' "$T/out" || fail "no events: $(cat "$T/out")"
grep -q '^applied .* want 60 got 60 by clone3$' "$T/out" ||
	fail "no events: not the ptrace route: $(cat "$T/out")"
grep -q 'does not send nsdd its fork events' "$T/nsdd.log" || fail "no events: nsdd did not say so"
pass "no fork events for nsdd: the route is off, said once, and the pid is exact on the ptrace route"

# 9. A fork that the pids controller refuses (EAGAIN): the kernel fails it
#    after it has taken its pid, so that ns_last_pid moves though no child
#    is made. The step fails (it is not "applied" to a child that never
#    was), and the task's next fork does not get the planned pid.
cg=
if grep -qw pids /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
	cg=/sys/fs/cgroup/nsdd-test-$$
	mkdir "$cg" && echo 1 >"$cg/pids.max" || cg=
elif [ -d /sys/fs/cgroup/pids ]; then
	cg=/sys/fs/cgroup/pids/nsdd-test-$$
	mkdir "$cg" && echo 1 >"$cg/pids.max" || cg=
fi
test_cleanup() { [ -z "$cg" ] || rmdir "$cg" 2>/dev/null; }
[ -n "$cg" ] || skip "no pids cgroup controller to make a fork fail after it took its pid"
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 700}]}}' >"$T/pids.json"
py='import os, sys
cg = sys.argv[1]
open(cg + "/cgroup.procs", "w").write(str(os.getpid()))
try:
    os.fork()
except OSError as e:
    os.write(1, b"failed %d\n" % e.errno)
open(cg + "/pids.max", "w").write("max")
pid = os.fork()
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
os.write(1, b"next=%d\n" % pid)'
ctl run --new-ns "$T/pids.json" -- /usr/bin/python3 -c "$py" "$cg" >"$T/out" 2>&1 &&
	fail "pids.max: the plan completed: $(cat "$T/out")"
grep -q '^failed 11$' "$T/out" || fail "pids.max: the fork did not fail: $(cat "$T/out")"
grep -q '^applied' "$T/out" && fail "pids.max: a step applied to no child: $(cat "$T/out")"
next=$(sed -n 's/^next=//p' "$T/out")
[ -n "$next" ] && [ "$next" -lt 700 ] || fail "pids.max: ns_last_pid was not given back: next=$next"
pass "a fork that pids.max fails after it took its pid: its step fails, ns_last_pid is given back (next pid $next)"
