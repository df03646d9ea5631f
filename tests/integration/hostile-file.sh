#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The emulated next_syscall_data file cannot be turned against root (issue
# 22, stories 1-3): a child of a root restorer drops to uid 65534 and
# 1. bind-mounts a root-owned 0600 file under the name of its own file and
#    reads it through an O_PATH fd: EBADF, as natively, and the file keeps
#    its bytes (nsdd once truncated it);
# 2. takes a read lease on a memfd named like its file and reads it: the
#    read returns at once and other clients are answered (nsdd once waited
#    lease-break-time, 45 s, for each);
# 3. names a memfd of its own like root's file and writes a value to it:
#    root's next fork gets the pid the kernel gives (nsdd once gave it the
#    forged one);
# 4. makes a user namespace, where it has every capability, and opens root's
#    thread's file: EACCES, as for /proc/PID/mem (nsdd once counted
#    CAP_SYS_PTRACE in the opener's own namespace).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is not installed"
[ -e /proc/self/task/$$/next_syscall_data ] &&
	skip "this kernel has the real next_syscall_data: nsdd leaves it alone"
[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null)" != 0 ] ||
	skip "user namespaces are off (user.max_user_namespaces = 0)"
need_reachable_build
start_nsdd
chmod 755 "$T"

printf 'twenty-one bytes here' >"$T/secret" # 21 bytes, root's alone
chmod 600 "$T/secret"
mkdir "$T/scratch" && chown 65534:65534 "$T/scratch"
# A pid no task has, well above where the kernel is now: only a forged
# value would give it to root's fork.
last=$(cat /proc/sys/kernel/ns_last_pid)
free=$((last + 5000))
while [ -d /proc/$free ]; do free=$((free + 1)); done

ctl run --next-syscall-data -- python3 -u "$top_srcdir/tests/integration/hostile-file.py" \
	"$T/secret" "$free" "$T/scratch" >"$T/out" 2>&1 &
run=$!
# 2. Another client is answered within a second while the lease is held.
for _ in $(seq 100); do
	grep -q '^lease-read\|^leased' "$T/out" && break
	start=$(date +%s%N)
	timeout 10 "$NSDCTL" info >/dev/null || fail "nsdctl info failed while a task held a lease"
	ms=$((($(date +%s%N) - start) / 1000000))
	[ $ms -lt 1000 ] || fail "nsdctl info took $ms ms while a task held a lease"
	sleep 0.05
done
wait $run || fail "the restorer: $(cat "$T/out")"

grep -qx 'opath-read EBADF' "$T/out" || fail "1. O_PATH read: $(cat "$T/out")"
grep -qx 'secret 21' "$T/out" || fail "1. the root file lost its bytes: $(cat "$T/out")"
[ "$(stat -c %s "$T/secret")" = 21 ] || fail "1. the root file is $(stat -c %s "$T/secret") bytes"
pass "1. a bind-mounted root file named like the file: EBADF, and it keeps its 21 bytes"

sec=$(sed -n 's/^lease-read \([0-9.]*\)$/\1/p' "$T/out")
[ -n "$sec" ] || fail "2. lease: $(cat "$T/out")"
[ "${sec%.*}" -lt 1 ] || fail "2. the read under a lease took $sec s"
pass "2. a read lease on a file named like the file: the read takes ${sec} s, nsdd answers"

grep -qE '^forged-write [0-9]+$' "$T/out" ||
	fail "3. the forged write: $(cat "$T/out")"
grep -qx 'root-fork native' "$T/out" || fail "3. root's fork took the forged pid $free"
pass "3. a memfd named like root's file: root's next fork gets the kernel's pid"

grep -qx 'userns-open EACCES' "$T/out" || fail "4. root's file from a user namespace: $(cat "$T/out")"
pass "4. root's thread's file, from a user namespace of the task's own: EACCES"
