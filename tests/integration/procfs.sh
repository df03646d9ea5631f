#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The procfs backend against a fake proc root: nsdd picks it per plan where
# <root>/<pid>/task/<tid>/next_syscall_data exists, writes the proposal's
# exact bytes before the syscall runs, and on this stock kernel (which reads
# no such file) reports each mismatch, never success.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
[ -e /proc/self/task/$$/next_syscall_data ] && skip "this kernel has next_syscall_data"
root=$T/proc
start_nsdd --proc-root "$root"

# An untraced program in its own pid and IPC namespaces, acting on SIGUSR1.
unshare --pid --ipc --fork "$PROGS/actions" "vfork:$T/nsd" msgget open ipcset >"$T/out" 2>&1 &
wait_for "$T/out" '^ready$'
prog=$(pgrep -P $! -x actions)
[ -n "$prog" ] || fail "no program"
file=$root/$prog/task/$prog/next_syscall_data
mkdir -p "$(dirname "$file")"
: >"$file"
ln -s "$file" "$T/nsd"
act() {
	local n
	n=$(grep -c '^ready$' "$T/out")
	kill -USR1 "$prog"
	for _ in $(seq 200); do
		[ "$(grep -c '^ready$' "$T/out")" -gt "$n" ] || grep -q '^done$' "$T/out" && return 0
		sleep 0.05
	done
	fail "the program did not act: $(cat "$T/out")"
}
submit() { # submit JSON-TASKS: a plan for the program; prints nothing, leaves $T/sub
	printf '{"version": 1, "target": {"pid": %d}, "tasks": {"target": [%s]}}' "$prog" "$1" \
		>"$T/p.json"
	ctl --json submit --wait "$T/p.json" >"$T/sub" 2>&1 &
	sub=$!
	wait_for "$T/sub" '"kind": *"attached"'
}
failed_with() {
	wait $sub && fail "a procfs plan succeeded on a stock kernel: $(cat "$T/sub")"
	grep -q "\"kind\": *\"failed\".*$1" "$T/sub" || fail "no '$1': $(cat "$T/sub")"
}

# A fork with a pid array: the vfork child, which runs before its parent's
# vfork can return, already sees the bytes, so they were written at entry.
submit '{"call": "fork", "pid": [100, 200]}'
id=$(head -1 "$T/sub")
ctl --json status "$id" | grep -q '"backend": *"procfs"' || fail "Get: backend is not procfs"
act
grep -qx 'vfork-saw=LONG2 100 200' "$T/out" || fail "vfork child saw: $(cat "$T/out")"
failed_with 'mismatch: wanted pid 100'

submit '{"call": "msgget", "id": 98304}'
act
[ "$(cat "$file")" = 'LONG1 98304' ] || fail "msgget: the file holds '$(cat "$file")'"
failed_with 'mismatch: wanted IPC id 98304'

submit '{"call": "open", "fd": 9}'
act
[ "$(cat "$file")" = 'LONG1 9' ] || fail "open: the file holds '$(cat "$file")'"
failed_with 'mismatch: wanted fd 9'

# IPC_SET with `set`: "LONG1 1" asks the kernel to restore times and pids.
msqid=$(sed -n 's/^msgget=//p' "$T/out")
submit "{\"call\": \"msgctl\", \"id\": $msqid, \"set\": {\"stime\": 5}}"
act
wait $sub || fail "IPC_SET: $(cat "$T/sub")"
[ "$(cat "$file")" = 'LONG1 1' ] || fail "IPC_SET: the file holds '$(cat "$file")'"

# A target without the file gets the kernel backend.
sleep 60 &
printf '{"version": 1, "target": {"pid": %d}, "tasks": {}}' $! >"$T/k.json"
id=$(ctl submit "$T/k.json") || fail "kernel plan"
ctl --json status "$id" | grep -q '"backend": *"kernel"' || fail "no file: backend is not kernel"
kill -KILL "$prog" 2>/dev/null

# Forced, Info says so.
stop_nsdd || fail "nsdd did not stop cleanly"
: >"$T/nsdd.log"
start_nsdd --backend=procfs
ctl --json info | grep -q '"backend": *"procfs"' || fail "Info with --backend=procfs"
pass "procfs backend: exact bytes at entry, mismatches reported on a stock kernel"
