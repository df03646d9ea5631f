#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Mode "seccomp" for a running target (Submit with no listener): nsdd seizes
# the target, turns one of its syscalls into seccomp(2) installing the filter
# in every thread (TSYNC), with no_new_privs if it lacks CAP_SYS_ADMIN, takes
# the listener, and from then on the target stops only at the calls its
# steps take. What cannot be installed fails the plan and leaves the target
# as it was.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

field() { ctl --json status "$1" | sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"; }
expect() { grep -qx -- "$1" "$T/out" || fail "$2: no '$1' in: $(cat "$T/out")"; }
status_of() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
launcher=

# start_target NAME [SETPRIV...] -- CMD...: CMD, in pid and IPC namespaces of
# its own, with $GO a FIFO it is to wait on (go NAME); its host pid is $target.
start_target() {
	local name=$1 pre=()
	shift
	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	mkfifo -m 666 "$T/$name.go"
	GO=$T/$name.go unshare --pid --ipc --fork --mount-proc "${pre[@]}" "$@" >"$T/out" 2>&1 &
	launcher=$!
	target=
	for _ in $(seq 100); do
		target=$(pgrep -P $launcher) && [ -n "$target" ] && break
		sleep 0.05
	done
	[ -n "$target" ] || fail "$name: the target did not start"
}
go() { echo go >"$T/$1.go"; wait $launcher || fail "$1: exit $?: $(cat "$T/out")"; }
submit() {
	printf '{"version": 1, "mode": "seccomp", "target": {"pid": %d}, "tasks": {"target": %s}}\n' \
		"$target" "$2" >"$T/$1.json"
	id=$(ctl submit "$T/$1.json") || fail "$1: submit: $id"
}
# Each thread of the target has the filter: /proc/PID/task/*/status.
filtered_threads() {
	local f n=0
	for f in /proc/"$1"/task/*/status; do
		[ "$(awk '$1 == "Seccomp_filters:" {print $2}' "$f")" = 1 ] && n=$((n + 1))
	done
	echo $n
}
installed() {
	for _ in $(seq 100); do
		grep -q "plan $id: seccomp filter installed" "$T/nsdd.log" && return 0
		sleep 0.05
	done
	fail "no filter installed: $(tail -5 "$T/nsdd.log")"
}

chmod 755 "$T"

# 1. bash, blocked in the open of a FIFO, as root: the filter goes in at that
#    open, which is made again; its forks and ipcmk (which it execs) get their
#    ids.
start_target root -- bash -c 'read -r _ <"$GO"; sh -c "echo a \$\$"; sh -c "echo b \$\$";
	exec ipcmk -Q'
submit root '[{"call": "fork", "pid": 300}, {"call": "fork", "pid": 400},
	{"call": "msgget", "id": 98304}]'
installed
[ "$(status_of "$target" Seccomp)" = 2 ] || fail "root: no filter: $(cat "/proc/$target/status")"
[ "$(status_of "$target" NoNewPrivs)" = 0 ] || fail "root: no_new_privs set for a root target"
go root
expect 'a 300' "root: the first fork"
expect 'Message queue id: 98304' "root: ipcmk"
expect 'b 400' "root: the second fork"
ctl status "$id" | grep -q ': completed, 3/3 steps, mode seccomp' || fail "root: $(ctl status "$id")"
stops=$(field "$id" ptrace_stops)
notes=$(field "$id" notifications)
# The filter's install 5 (the interrupt, seccomp's entry and exit, close's),
# each step 4 to 6, bash's exec 1.
[ "$stops" -le 24 ] || fail "root: $stops ptrace stops for 3 steps"
pass "a running bash gets the filter from nsdd; 3 steps cost $stops ptrace stops and $notes notifications"

# 2. python3 with 3 threads, as nobody: every thread gets the filter, and the
#    process no_new_privs, which seccomp(2) then requires of it.
# Debian's python3: one in root's home (pyenv) is not nobody's to run.
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
start_target nobody $NOBODY -- /usr/bin/python3 -c '
import os, threading
ev = threading.Event()
ts = [threading.Thread(target=ev.wait) for _ in range(3)]
[t.start() for t in ts]
open(os.environ["GO"]).read()
pid = os.fork()
if pid == 0:
    print("child", os.getpid(), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
for i in range(3):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    print("more", pid, flush=True)
ev.set()
[t.join() for t in ts]'
for _ in $(seq 100); do
	[ "$(ls "/proc/$target/task" | wc -l)" = 4 ] && break
	sleep 0.05
done
submit nobody '[{"call": "fork", "pid": 500}]'
installed
[ "$(filtered_threads "$target")" = 4 ] || fail "nobody: $(filtered_threads "$target") of 4 threads filtered"
[ "$(status_of "$target" NoNewPrivs)" = 1 ] || fail "nobody: no no_new_privs"
go nobody
expect 'child 500' "nobody: the fork"
[ "$(grep -c '^more ' "$T/out")" = 3 ] || fail "nobody: forks after the plan: $(cat "$T/out")"
pass "python3 as nobody: its 4 threads got the filter, and no_new_privs; the fork got its pid, and later forks run untouched"

# 3. A target whose filter already has a listener (nsdctl run --mode seccomp
#    made it): seccomp(2) refuses a second; the plan fails and says why, and
#    the first plan still gets its pid.
p=$(plan first <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 600}]}}
J
)
mkfifo -m 666 "$T/first.go"
GO=$T/first.go ctl run --new-ns --mode seccomp "$p" -- bash -c \
	'read -r _ <"$GO"; sh -c "echo first \$\$"; true' >"$T/out" 2>&1 &
runner=$!
for _ in $(seq 100); do
	target=$(pgrep -f 'read -r _ <"\$GO"; sh -c "echo first' | grep -vx "$runner" | tail -1)
	[ -n "$target" ] && [ "$(status_of "$target" Seccomp)" = 2 ] && break
	sleep 0.05
done
printf '{"version": 1, "mode": "seccomp", "target": {"pid": %d}, "tasks": {"target": [{"call": "fork", "pid": 700}]}}\n' \
	"$target" >"$T/second.json"
ctl submit --wait "$T/second.json" >"$T/second.out" 2>&1 && fail "a second listener was installed"
grep -q 'cannot install the seccomp filter in task [0-9]*: seccomp(2): a seccomp filter of it already has a listener' \
	"$T/second.out" || fail "second: $(cat "$T/second.out")"
check_free "$target"
[ "$(status_of "$target" Seccomp_filters)" = 1 ] || fail "second: a filter was added"
echo go >"$T/first.go"
wait $runner || fail "first: exit $?: $(cat "$T/out")"
expect 'first 600' "first"
pass "a target with a listener already: the plan fails with seccomp(2)'s reason; the first plan still works"

# 4. A target that makes no syscall: the filter waits for one; the plan's
#    timeout ends it, and the target runs on, free and unfiltered.
sh -c 'while :; do :; done' &
spin=$!
# Long past its start (the loader's syscalls): 50 ms of user time as sh.
for _ in $(seq 100); do
	[ "$(cat /proc/$spin/comm)" = sh ] && [ "$(awk '{print $14}' /proc/$spin/stat)" -ge 5 ] && break
	sleep 0.05
done
printf '{"version": 1, "mode": "seccomp", "timeout_ms": 300, "target": {"pid": %d}, "tasks": {"target": [{"call": "fork", "pid": 800}]}}\n' \
	$spin >"$T/spin.json"
ctl submit --wait "$T/spin.json" >"$T/spin.out" 2>&1 && fail "spin: the plan completed"
grep -q timeout "$T/spin.out" || fail "spin: $(cat "$T/spin.out")"
check_free $spin
[ "$(status_of $spin Seccomp)" = 0 ] || fail "spin: a filter was installed"
kill $spin
pass "a target with no syscall: no filter, the timeout ends the plan, the target runs free"

# 5. A target whose own filter would kill it for seccomp(2) (as some
#    container profiles do): nsdd asks its filters first, injects nothing,
#    and the plan says why; the target runs on.
"$PROGS/filtered" seccomp=kill exec sleep 30 &
guarded=$!
for _ in $(seq 100); do
	[ "$(status_of $guarded Seccomp)" = 2 ] && [ "$(cat /proc/$guarded/comm)" = sleep ] && break
	sleep 0.05
done
printf '{"version": 1, "mode": "seccomp", "target": {"pid": %d}, "tasks": {"target": [{"call": "fork", "pid": 900}]}}\n' \
	$guarded >"$T/guarded.json"
ctl submit --wait "$T/guarded.json" >"$T/guarded.out" 2>&1 && fail "guarded: the plan completed"
grep -q "cannot install the seccomp filter in task $guarded: its own seccomp filter forbids seccomp(2)" \
	"$T/guarded.out" || fail "guarded: $(cat "$T/guarded.out")"
kill -0 $guarded || fail "guarded: the target died"
check_free $guarded
[ "$(status_of $guarded Seccomp_filters)" = 1 ] || fail "guarded: a filter was added"
kill $guarded
pass "a target whose filter forbids seccomp(2): nothing injected, the plan says why, the target lives"

# 6. The thread that installs the filter has a file table of its own
#    (unshare(CLONE_FILES)); the leader waits in a vfork. The listener is
#    taken from that thread's table, not fd 3 of the leader's (/dev/null),
#    so the plan goes on and the thread's fork works (issue 22, story 7:
#    nsdd once took the leader's fd, closed the listener and left a filter
#    whose calls failed with ENOSYS).
"$PROGS/filesthread" "$T/files.go" >"$T/files.out" 2>&1 &
files=$!
wait_for "$T/files.out" '^ready$'
printf '{"version": 1, "mode": "seccomp", "target": {"pid": %d}, "tasks": {"target": [{"call": "fork", "pid": 900}]}}\n' \
	$files >"$T/files.json"
id=$(ctl submit "$T/files.json") || fail "files: submit: $id"
for _ in $(seq 100); do
	grep -q "seccomp filter installed\|cannot install\|failed" "$T/nsdd.log" && break
	sleep 0.05
done
touch "$T/files.go"
wait_for "$T/files.out" '^fork='
grep -qE '^fork=[0-9]+$' "$T/files.out" || fail "files: the thread's fork: $(cat "$T/files.out")"
grep -q "plan $id: seccomp filter installed in $files" "$T/nsdd.log" &&
	! grep -q "plan $id failed: .*listener" "$T/nsdd.log" ||
	fail "files: the listener was not taken: $(grep "$id" "$T/nsdd.log")"
wait $files || fail "files: exit $?: $(cat "$T/files.out")"
pass "a thread with a file table of its own installs the filter: its listener is taken, its fork works"
