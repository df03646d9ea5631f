#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Mode "seccomp" (nsdctl run --mode seccomp): the task runs under a filter
# that notifies nsdd of the targeted syscalls only; the plan's steps apply
# as in ptrace mode, at a fraction of the ptrace stops, and every other
# call, and every call after the plan, runs as if nsdd were not there.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

last_id() { ctl --json list | sed -n 's/.*"id": *"\([0-9a-f]*\)".*/\1/p' | tail -1; }
field() { ctl --json status "$1" | sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"; }
expect() { grep -qx -- "$1" "$T/out" || fail "$2: no '$1' in: $(cat "$T/out")"; }

# 1. The 3-level tree with threads, in both modes: the same ids; in mode
#    seccomp the tasks stop only at the calls the steps take.
p=$(plan tree <<'J'
{"version": 1, "name": "tree", "tasks": {
  "target": [{"call": "fork", "pid": 4000}],
  "4000": [{"call": "thread", "pid": 4001}, {"call": "fork", "pid": 4100}],
  "4100": [{"call": "thread", "pid": 4101}, {"call": "fork", "pid": 4200}]}}
J
)
for mode in ptrace seccomp; do
	ctl run --new-ns --mode $mode "$p" -- "$PROGS/forktree" 4000 4001 4100 4101 4200 \
		>"$T/out" 2>&1 || fail "$mode: $(cat "$T/out")"
	for id in A=4000 A1=4001 B=4100 B1=4101 C=4200; do expect "$id" "$mode"; done
	# ptrace mode rewrites the forks into clone3 with set_tid; mode seccomp
	# answers them from their notifications, with ns_last_pid (a fresh
	# namespace, every task of it under the filter).
	how='by clone3'
	[ $mode = seccomp ] && how='by ns_last_pid, no stop'
	[ "$(grep -c "^applied .* $how\$" "$T/out")" = 5 ] || fail "$mode: $(cat "$T/out")"
	id=$(last_id)
	eval "stops_$mode=\$(field $id ptrace_stops)"
done
# One notification per step: the clone3 nsdd rewrites a fork into is not
# notified again (the filter lets its size through). A few more: the filter
# notifies each rt_sigaction that sets an action, and glibc sets its
# SIGSETXID handler at the first pthread_create (4100 inherits it); a
# sanitizer build sets its own handlers too (three more with ASan).
notes=$(field "$id" notifications)
[ "$notes" -ge 6 ] && [ "$notes" -le 10 ] ||
	fail "notifications: '$notes' for 5 steps and a few rt_sigaction"
# No ptrace stop for a step: every one was taken on the notify route. The
# three tasks that fork rest seized (a signal that cuts a fork short must be
# seen): each stops at its exit, and at each signal (a child's SIGCHLD).
# shellcheck disable=SC2154
[ "$stops_seccomp" -le 9 ] && [ $((stops_seccomp * 10)) -lt "$stops_ptrace" ] &&
	[ "$(field "$id" steps_no_stop)" = 5 ] ||
	fail "ptrace stops: seccomp $stops_seccomp (at most 9 wanted), ptrace $stops_ptrace"
pass "the tree's pids in mode seccomp: $stops_seccomp ptrace stops and $notes notifications, against $stops_ptrace stops in ptrace mode"

# 2. IPC ids and fds, as root and as nobody (the filter then needs
#    no_new_privs, which nsdctl sets).
p=$(plan ipc <<'J'
{"version": 1, "tasks": {"target": [
  {"call": "msgget", "id": 98304}, {"call": "msgget", "id": 32769, "key": 4660},
  {"call": "semget", "id": 5}, {"call": "shmget", "id": 65536, "key": 22136}]}}
J
)
for pre in "" "$NOBODY"; do
	ctl run --new-ns --mode seccomp "$p" -- $pre "$PROGS/ipcrestore" m:0 m:4660 s:0 h:22136 \
		>"$T/out" 2>&1 || fail "ipc ${pre:+as nobody}: $(cat "$T/out")"
	expect 'm:0=98304' "private msgget"
	expect 'm:4660=32769' "keyed msgget"
	expect 's:0=5' "semget"
	expect 'h:22136=65536' "keyed shmget"
	expect 'next=-1,-1,-1' "next_id"
done
cd "$T"
close_inherited_fds
p=$(plan fds <<'J'
{"version": 1, "tasks": {"target": [
  {"call": "open", "fd": 10, "path": "a"}, {"call": "open", "fd": 11, "path": "b"},
  {"call": "open", "fd": 12, "path": "c"}]}}
J
)
ctl run --new-ns --mode seccomp "$p" -- "$PROGS/fdrestore" o:a oc:b 2:c >"$T/out" 2>&1 ||
	fail "fds: $(cat "$T/out")"
expect 'o:a=10 cloexec=0' "open"
expect 'oc:b=11 cloexec=1' "open O_CLOEXEC"
expect '2:c=12 cloexec=0' "openat2"
pass "IPC ids (as root and as nobody) and fds in mode seccomp"

# 3. After the plan: the filter stays, and nsdd lets every call through
#    until the last task is gone (a closed listener would fail them ENOSYS).
#    No fork here races a child's SIGCHLD: a fork of a task with no step
#    left, cut short by a signal before nsdd takes its notification, fails
#    with EINTR (nsdd(8), MODE SECCOMP), as a pipeline in $(...) once showed.
p=$(plan after <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 300}]}}
J
)
ctl run --new-ns --mode seccomp "$p" -- dash -c \
	'sh -c "echo first \$\$"; sleep 0.5; for i in 1 2 3; do sh -c "echo more \$\$"; done;
	 cat /etc/hostname >/dev/null && echo opened; q=$(ipcmk -Q); echo ipc ${q:+1}' \
	>"$T/out" 2>&1 || fail "after: $(cat "$T/out")"
expect 'first 300' "the planned fork"
[ "$(grep -c '^more ' "$T/out")" = 3 ] || fail "after: $(cat "$T/out")"
expect 'opened' "an open after the plan"
expect 'ipc 1' "an msgget after the plan"
pass "forks, opens and msgget after the plan run untouched"

# 4. An i386 fork (int $0x80, eax 2 = open on x86_64) is not an open.
p=$(plan int80 <<'J'
{"version": 1, "tasks": {"target": [{"call": "open", "fd": 20, "path": "/dev/null"}]}}
J
)
"$PROGS/int80" /dev/null >/dev/null 2>&1 || skip "no i386 syscall entry (int \$0x80) here"
for mode in ptrace seccomp; do
	ctl run --mode $mode "$p" -- "$PROGS/int80" /dev/null >"$T/out" 2>&1 ||
		fail "int80 $mode: $(cat "$T/out")"
	grep -qE '^child=[0-9]+$' "$T/out" || fail "int80 $mode: the fork: $(cat "$T/out")"
	expect 'fd=20' "int80 $mode: the x86_64 open"
done
# The dynamic loader's opens of other paths were let through at their
# notification: only the open of /dev/null stopped the task (7 stops; 14
# when every notified open stopped it).
stops=$(field "$(last_id)" ptrace_stops)
[ "$stops" -le 8 ] || fail "int80: $stops ptrace stops for one open step"
pass "an int \$0x80 fork is a fork in both modes; the x86_64 open gets its fd; opens of other paths do not stop the task"

# 5. Mode seccomp with nothing to filter (no steps: no filter; this gave
#    "Bad address" once), and with next_syscall_data, whose writes and reads
#    no filter can pick out: the tree is traced as in mode ptrace.
p=$(plan empty <<'J'
{"version": 1, "mode": "seccomp", "tasks": {}}
J
)
ctl run "$p" -- sh -c 'grep Seccomp: /proc/self/status' >"$T/out" 2>&1 || fail "empty: $(cat "$T/out")"
grep -q '^Seccomp:	0$' "$T/out" || fail "empty: a filter: $(cat "$T/out")"
ctl run --mode seccomp --next-syscall-data "$p" -- dash -c \
	'echo "LONG1 4000" > /proc/self/task/$$/next_syscall_data; sh -c "echo \$\$"; true' \
	>"$T/out" 2>&1 || fail "next_syscall_data: $(cat "$T/out")"
expect 4000 "next_syscall_data in mode seccomp"
pass "mode seccomp with no steps runs unfiltered; with next_syscall_data the file works"

# 6. A signal whose handler has no SA_RESTART, arriving while a fork waits
#    for nsdd: the wait ends with -ERESTARTSYS, which the handler would make
#    EINTR (seccomp_unotify(2)); a fork never fails so natively, so nsdd makes
#    it again. Every fork is planned, so the task rests seized throughout.
n=60
{
	printf '{"version": 1, "tasks": {"target": [{"call": "thread", "pid": 50}'
	for i in $(seq 100 $((100 + n - 1))); do printf ', {"call": "fork", "pid": %d}' "$i"; done
	printf ']}}\n'
} >"$T/sigfork.json"
for mode in ptrace seccomp; do
	ctl run --new-ns --mode $mode "$T/sigfork.json" -- "$PROGS/sigfork" $n >"$T/out" 2>&1 ||
		fail "sigfork $mode: $(tail -5 "$T/out")"
	expect "forks=$n signals=[0-9]*" "sigfork $mode"
	for i in 100 $((100 + n - 1)); do expect "$i" "sigfork $mode"; done
done
pass "$n planned forks under a storm of signals without SA_RESTART: none failed with EINTR, in both modes"

# 7. Notifications held while nsdd cannot answer (it is SIGSTOPped): the task
#    waits in seccomp. A signal with an SA_RESTART handler ends the wait, the
#    handler runs and the fork is made again: the step applies once. A task
#    SIGKILLed while its notification is held leaves nothing behind in nsdd.
held_wait() { # PID [stop]: it waits for nsdd's answer (with stop: or for
	# nsdd at a ptrace stop, where a signal stops a task it holds seized: a
	# sanitizer build's own handlers, set under the filter, make it so)
	for _ in $(seq 100); do
		case $(cat "/proc/$1/wchan" 2>/dev/null) in
		seccomp_do_user_notification*) return 0 ;;
		ptrace_stop*) [ -n "${2-}" ] && return 0 ;;
		esac
		sleep 0.02
	done
	kill -CONT "$NSDD_PID"
	fail "task $1 does not wait for nsdd: $(cat "/proc/$1/wchan")"
}
# heldfork under plan $p in mode seccomp, its stdin a FIFO on fd 7 (each
# line lets it fork once), ready for its first line; $run is nsdctl's pid.
start_heldfork() {
	rm -f "$T/held.in"
	mkfifo "$T/held.in"
	ctl run --new-ns --mode seccomp "$p" -- "$PROGS/heldfork" 2 <"$T/held.in" >"$T/out" 2>&1 &
	run=$!
	exec 7>"$T/held.in"
	wait_for "$T/out" '^ready 1$'
}
p=$(plan held <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 300}]}}
J
)
fds=$(nsdd_fds)
for how in signal kill; do
	start_heldfork
	target=$(pgrep -nx heldfork)
	kill -STOP "$NSDD_PID"
	echo >&7
	held_wait "$target"
	if [ $how = signal ]; then
		kill -USR1 "$target"
		sleep 0.1
		held_wait "$target" stop # the fork, made again after the handler
		kill -CONT "$NSDD_PID"
		wait_for "$T/out" '^ready 2$'
		echo >&7
		wait $run || fail "held signal: $(cat "$T/out")"
		expect 'child=300' "held signal"
		expect 'signals=1' "held signal: the handler"
		[ "$(grep -c '^applied' "$T/out")" = 1 ] || fail "held signal: $(cat "$T/out")"
	else
		kill -KILL "$target"
		sleep 0.1
		kill -CONT "$NSDD_PID"
		wait $run && fail "held kill: the plan completed"
		# Seen by its pidfd (not yet seized, with its status) or by its
		# tree's end, whichever nsdd reads first.
		expect 'plan_failed: task target \(exited\|killed by SIGKILL\) with 1 step pending' "held kill"
	fi
	exec 7>&-
done
ctl info >/dev/null || fail "nsdd stopped answering"
wait_nsdd_fds "$fds"
pass "held notifications: a signal's restart is handled once; a task killed while held leaves nothing behind"

# 8. Without systemd's fd store, a killed nsdd takes the listener with it:
#    the tree's targeted calls fail with ENOSYS from then on, as nsdd(8) and
#    nsdd --help say. (systemd.sh: with the store, they wait for a new nsdd.)
start_heldfork
echo >&7
wait_for "$T/out" '^ready 2$'
expect 'child=300' "gone"
kill -KILL "$NSDD_PID"
wait "$NSDD_PID" 2>/dev/null
NSDD_PID=
echo >&7
wait $run && fail "gone: a fork succeeded with no nsdd: $(cat "$T/out")"
exec 7>&-
expect 'fork: Function not implemented' "gone"
pass "nsdd killed without systemd: the tree's forks fail with ENOSYS, as documented"
