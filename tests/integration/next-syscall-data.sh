#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The proposal's own interface on a stock kernel: programs that know nothing
# of nsdd open /proc/.../next_syscall_data, write "LONG1 XX" and get XX from
# their next fork, clone, IPC get or open (nsdctl run --next-syscall-data,
# and a plan's "next_syscall_data": true for Submit).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
[ -e /proc/self/task/$$/next_syscall_data ] &&
	skip "this kernel has the real next_syscall_data: nsdd leaves it alone"
start_nsdd

# Every task of the run is gone, and nothing nsdd traced is left traced.
nothing_left() {
	local p
	for p in $(grep -l "^TracerPid:[[:space:]]*$NSDD_PID\$" /proc/[0-9]*/status 2>/dev/null); do
		fail "$p is still traced by nsdd"
	done
}

# 1. A C restorer written for the patched kernel checks every id it asked for.
ctl run --new-ns --next-syscall-data -- "$PROGS/proposal" 300 >"$T/restorer" 2>&1 ||
	fail "restorer: $(cat "$T/restorer")"
grep -q '^all ok$' "$T/restorer" || fail "restorer: $(cat "$T/restorer")"
for want in 'next_syscall_data fork (clone) want 301 got 301 by clone3' \
	'next_syscall_data fork (vfork) want 302 got 302' \
	'next_syscall_data thread (clone3) want 303 got 303' \
	'next_syscall_data fork (clone) want 304 got 304' \
	'next_syscall_data msgget (msgget) want 1001 got 1001 by next_id' \
	'next_syscall_data semget (semget) want 1002 got 1002' \
	'next_syscall_data shmget (shmget) want 1003 got 1003' \
	'next_syscall_data any (msgctl) want 1: times and last-operation pids' \
	'next_syscall_data open (openat) want 42 got 42' \
	'next_syscall_data open (openat) want 43 got 43'; do
	grep -F "$want" "$T/restorer" | grep -qE '^(applied|unsupported) ' ||
		fail "no event '$want' in: $(cat "$T/restorer")"
done
[ "$(grep -c '^applied' "$T/restorer")" = 10 ] ||
	fail "uses: $(grep '^applied' "$T/restorer")"
nothing_left
pass "a restorer for the patched kernel gets its pids, tid, IPC ids and fds"

# 2. A shell redirection opens the file and writes it; the next fork takes it.
for sh in dash bash; do
	command -v $sh >/dev/null || continue
	# shellcheck disable=SC2016
	ctl run --new-ns --next-syscall-data -- $sh -c \
		'echo "LONG1 4000" > /proc/self/task/$$/next_syscall_data; sh -c "echo \$\$"; true' \
		>"$T/$sh" 2>&1 || fail "$sh: $(cat "$T/$sh")"
	grep -qx 4000 "$T/$sh" || fail "$sh: the command's pid is not 4000: $(cat "$T/$sh")"
	nothing_left
	pass "$sh: echo LONG1 4000 > .../next_syscall_data; sh -c 'echo \$\$' says 4000"
done

# 3. Two threads, each writing its own file and forking, many times over.
ctl run --new-ns --next-syscall-data -- "$PROGS/proposal" race 1000 300 >"$T/race" 2>&1 ||
	fail "race: $(grep -v '^applied' "$T/race")"
[ "$(grep -c '^applied .* want \([0-9]*\) got \1 ' "$T/race")" = 600 ] ||
	fail "race: $(grep -c '^applied' "$T/race") of 600 forks got their pid"
pass "two threads, 300 forks each, every one with the pid its thread wrote"

# 4. An open blocked on a FIFO when the value is written does not take it.
mkfifo "$T/fifo"
ctl run --new-ns --next-syscall-data -- "$PROGS/proposal" fifo "$T/fifo" >"$T/fifo.out" 2>&1 ||
	fail "fifo: $(cat "$T/fifo.out")"
pass "a call in progress when the value is written never takes it"

# 5. Errors: a malformed value (EINVAL), another process's thread, no such
#    thread (ENOENT), a task the writer may not ptrace (EACCES).
ctl run --new-ns --next-syscall-data -- dash -c '
	echo x > /proc/self/task/1/next_syscall_data; echo "malformed: $?"
	sleep 5 & s=$!
	echo "LONG1 1" > /proc/$s/task/$$/next_syscall_data; echo "mixed: $?"
	echo "LONG1 1" > /proc/self/task/12345/next_syscall_data; echo "none: $?"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		dash -c "echo LONG1 5 > /proc/1/task/1/next_syscall_data"; echo "other uid: $?"
	cat /proc/self/task/$$/next_syscall_data; echo "pending: [$(cat /proc/1/task/1/next_syscall_data)]"
	kill $s' >"$T/bad" 2>&1
for want in 'malformed: 1' 'echo: I/O error' 'mixed: 2' 'none: 2' \
	'/proc/1/task/1/next_syscall_data: Permission denied' 'other uid: 2' 'pending: []'; do
	grep -qF "$want" "$T/bad" || fail "no '$want' in: $(cat "$T/bad")"
done
nothing_left
pass "malformed values, other processes' threads, no such thread, other uids: errors"

# 6. Submit: a plan with "next_syscall_data": true for a running program.
unshare --pid --ipc --fork --mount-proc dash -c '
	while [ ! -e '"$T"'/go ]; do sleep 0.05; done
	echo "LONG1 777" > /proc/self/task/$$/next_syscall_data || exit 1
	sh -c "echo \$\$"' >"$T/submitted" 2>&1 &
wait_for_child() {
	for _ in $(seq 100); do
		target=$(pgrep -P "$1" -x dash) && return 0
		sleep 0.05
	done
	fail "no target"
}
wait_for_child $!
printf '{"version": 1, "target": {"pid": %d}, "next_syscall_data": true, "tasks": {}}\n' \
	"$target" >"$T/plan.json"
id=$(ctl submit "$T/plan.json") || fail "submit"
touch "$T/go"
for _ in $(seq 100); do grep -qE '^[0-9]+$' "$T/submitted" && break; sleep 0.05; done
grep -qx 777 "$T/submitted" || fail "submitted: $(cat "$T/submitted")"
for _ in $(seq 100); do
	ctl status "$id" 2>/dev/null | grep -q completed && break
	sleep 0.05
done
ctl --json status "$id" | grep -q '"state": *"completed"' ||
	fail "the plan did not complete with its tree: $(ctl status "$id")"
nothing_left
pass "Submit with next_syscall_data: the running program's fork takes its value"

# 7. python3: a /proc dirfd, thread-self, dup, a child's inherited fd, exec
#    with and without O_CLOEXEC, and LONG2 (a pid in each of two namespaces).
command -v python3 >/dev/null || skip "python3 is not installed"
for up in $(seq 31000 32000); do [ -d /proc/$up ] || break; done
ctl run --new-ns --next-syscall-data -- python3 -u "$top_srcdir/tests/integration/next-syscall-data.py" \
	"$up" >"$T/py" 2>&1 &
run=$!
for _ in $(seq 100); do
	grep -q "^long2 " "$T/py" && break
	sleep 0.05
done
grep -qE "^NSpid:[[:space:]]+$up[[:space:]]+604$" "/proc/$up/status" 2>/dev/null ||
	fail "LONG2 604 $up: no such task: $(cat "$T/py")"
wait $run || fail "python3: $(cat "$T/py")"
for want in 'dirfd 601' 'dup 602' 'inherited 603' 'exec closed True' 'long2 604'; do
	grep -qx "$want" "$T/py" || fail "no '$want' in: $(cat "$T/py")"
done
nothing_left
pass "python3: dirfd, thread-self, dup, inherited fd, O_CLOEXEC at exec, LONG2"

# 8. A task whose own seccomp filter kills memfd_create: the file cannot be
#    opened (EACCES), and the task lives on.
ctl run --next-syscall-data -- "$PROGS/filtered" memfd_create=kill \
	open /proc/thread-self/next_syscall_data >"$T/filtered" 2>&1 ||
	fail "filtered: $(cat "$T/filtered")"
grep -qx 'fd=-13' "$T/filtered" || fail "filtered: $(cat "$T/filtered")"
pass "a seccomp filter that forbids memfd_create: EACCES, not a killed task"

# 9. Where the kernel has the file (the procfs backend), nsdd leaves it to
#    the kernel: it serves no file of its own. This kernel has none, so the
#    open fails as it would without nsdd.
stop_nsdd || exit 1
mv "$T/nsdd.log" "$T/nsdd-emulating.log" # start_nsdd waits for a new "ready"
start_nsdd --backend procfs
ctl run --next-syscall-data -- dash -c \
	'echo "LONG1 4000" > /proc/self/task/$$/next_syscall_data; echo "rc: $?"' >"$T/procfs" 2>&1 ||
	fail "procfs: $(cat "$T/procfs")"
grep -qx 'rc: 2' "$T/procfs" && grep -q 'nonexistent' "$T/procfs" ||
	fail "nsdd served the file beside the kernel's: $(cat "$T/procfs")"
pass "with the kernel's own file (the procfs backend), nsdd serves none"
