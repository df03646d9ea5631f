#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A member of nsdd's group cannot make nsdd hold what it never gives back
# (issue 22, stories 5 and 6), while a root plan runs all along:
# 5. a Record of a program that makes hundreds of IPC
#    namespaces with an IPC get in each, and a plan with an id in each: nsdd never holds more than a few of
#    their fds, none once the plan is over, and root's next run works (nsdd
#    once held one fd, namespace and helper for each until no plan ran);
# 6. Records of about 16 MiB each: nsdd gives their plans back once they
#    are delivered, and a member's finished plans never push root's out of
#    the ones kept (nsdd once kept every Record's plan, and 128 plans in all).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 is not installed"
[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null)" != 0 ] ||
	skip "user namespaces are off (user.max_user_namespaces = 0)"
G=nsdhg$$ M=nsdhm$$
make_users "$G" "$M"
start_nsdd --group "$G"
chmod 666 "$NSDD_SOCKET" # the member reaches it; nsdd decides what it may do
SAMPLERS=
test_cleanup() { [ -z "$SAMPLERS" ] || kill $SAMPLERS 2>/dev/null; }
PY=$top_srcdir/tests/integration/hostile-member.py
# The member's nsdctl, root in a user namespace of its own, as nsdd(8) has it.
member() { as "$M" unshare --user --map-root-user "$NSDCTL" "$@"; }
mkdir "$T/m" && chown "$M" "$T/m"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$NSDD_PID/status"; }
# The IPC namespaces nsdd holds an fd of, but its own.
ipcns_fds() {
	local own
	own=$(readlink /proc/$NSDD_PID/ns/ipc)
	find /proc/$NSDD_PID/fd -type l -printf '%l\n' 2>/dev/null | grep '^ipc:' | grep -cvF "$own"
}

# Root's plan, finished; and one that runs until the end.
ctl run --new-ns "$(plan done <<'J'
{"version": 1, "name": "root-done", "tasks": {"target": [{"call": "fork", "pid": 40}]}}
J
)" -- sh -c 'true & wait' >"$T/done" 2>&1 || fail "root's first plan: $(cat "$T/done")"
root_done=$(sed -n 's/^nsdctl: plan \([0-9a-f]*\): started.*/\1/p' "$T/done")
[ -n "$root_done" ] || fail "no plan id in: $(cat "$T/done")"
ctl run --new-ns "$(plan wait <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 50}]}}
J
)" -- sleep 600 >/dev/null 2>&1 &
wait_for_running() {
	for _ in $(seq 100); do
		ctl list 2>/dev/null | grep -q running && return 0
		sleep 0.05
	done
	fail "root's plan is not running"
}
wait_for_running

# 5. The namespace churn, recorded, then replayed, by the member.
sample() { while :; do ipcns_fds; sleep 0.02; done >"$T/$1.samples"; }
sample record &
sampler=$!
SAMPLERS="$SAMPLERS $sampler"
member record --new-ns -o "$T/m/ipcns.json" -- /usr/bin/python3 "$PY" ipcns 300 >"$T/rec.out" 2>&1 ||
	fail "5. the Record: $(cat "$T/rec.out")"
kill $sampler; wait $sampler 2>/dev/null
[ "$(grep -o '"msgget"' "$T/m/ipcns.json" | wc -l)" = 300 ] ||
	fail "5. the Record has $(grep -o '"msgget"' "$T/m/ipcns.json" | wc -l) msgget steps, not 300"
max=$(sort -n "$T/record.samples" | tail -1)
[ "${max:-0}" -le 16 ] || fail "5. nsdd held $max IPC namespaces during the Record"
[ "$(ipcns_fds)" = 0 ] || fail "5. after the Record nsdd holds $(ipcns_fds) IPC namespaces"
# The same churn under a plan of 300 IPC ids, one in each new namespace
# (a recorded plan cannot be replayed: it gives id 0 in every namespace).
/usr/bin/python3 -c '
import json
tasks = {"target": [{"call": "fork", "pid": i} for i in range(2, 302)]}
tasks.update({str(i): [{"call": "msgget", "id": i}] for i in range(2, 302)})
print(json.dumps({"version": 1, "tasks": tasks}))' >"$T/m/churn.json"
sample replay &
sampler=$!
SAMPLERS="$SAMPLERS $sampler"
member run --new-ns "$T/m/churn.json" -- /usr/bin/python3 "$PY" ipcns 300 >"$T/replay.out" 2>&1 ||
	fail "5. the plan: $(cat "$T/replay.out")"
kill $sampler; wait $sampler 2>/dev/null
max=$(sort -n "$T/replay.samples" | tail -1)
[ "${max:-0}" -le 20 ] || fail "5. nsdd held $max IPC namespaces during the plan"
[ "$(ipcns_fds)" = 0 ] || fail "5. after the plan nsdd holds $(ipcns_fds) IPC namespaces"
ctl run --new-ns "$(plan after <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 60}, {"call": "msgget", "id": 7}]}}
J
)" -- /usr/bin/python3 -c '
import ctypes, os
pid = os.fork()
if pid == 0: os._exit(0)
os.waitpid(pid, 0)
os.write(1, b"fork %d msgget %d\n" % (pid, ctypes.CDLL(None).msgget(0, 0o1000 | 0o600)))' >"$T/after" 2>&1 ||
	fail "5. root's run after the churn: $(cat "$T/after")"
grep -qx 'fork 60 msgget 7' "$T/after" || fail "5. root's run after the churn: $(cat "$T/after")"
pass "5. 300 IPC namespaces recorded, then given 300 planned ids: nsdd held at most $max, none after; root's run works"

# Record takes paths from the member's memory: a NULL pointer, 8 KiB with no
# NUL, and a path another thread rewrites while nsdd reads it. Whatever it
# read, the plan it writes is a valid plan, with the opens that succeeded.
member record --new-ns --calls open -o "$T/m/forged.json" -- /usr/bin/python3 "$PY" forged 300 \
	>"$T/forged.out" 2>&1 || fail "forged paths: $(cat "$T/forged.out")"
/usr/bin/python3 - "$T/m/forged.json" <<'PY' || fail "forged paths: the recorded plan: $(head -c 2000 "$T/m/forged.json")"
import json, sys
steps = [s for t in json.load(open(sys.argv[1]))["tasks"].values() for s in t if s["call"] == "open"]
paths = [s.get("path") for s in steps]
assert "/dev/null" in paths, paths[-5:]
assert all(p is None or (isinstance(p, str) and len(p) < 4096 and "AAAA" not in p) for p in paths)
assert all(isinstance(s["fd"], int) and s["fd"] >= 0 for s in steps)
PY
"$NSDCTL" run --new-ns "$T/m/forged.json" -- /usr/bin/python3 "$PY" forged 0 >"$T/forged.run" 2>&1
grep -q 'invalid plan' "$T/forged.run" && fail "forged paths: nsdctl refuses the plan: $(cat "$T/forged.run")"
ctl info >/dev/null || fail "nsdd stopped answering"
pass "Record of forged paths (NULL, no NUL, rewritten): a valid plan of the opens that succeeded"

# 6. Member Records of about 16 MiB each, then more finished plans than kept.
rss0=$(rss)
for i in $(seq 8); do
	member record --new-ns --calls open -o "$T/m/opens.json" -- /usr/bin/python3 "$PY" opens 3900 \
		>"$T/opens.out" 2>&1 || fail "6. Record $i: $(cat "$T/opens.out")"
done
[ "$(stat -c %s "$T/m/opens.json")" -gt $((15 * 1024 * 1024)) ] ||
	fail "6. a Record's plan is $(stat -c %s "$T/m/opens.json") bytes, not about 16 MiB"
rss1=$(rss)
# AddressSanitizer keeps freed memory in quarantine: RSS says nothing there.
grep -q __asan_init "$NSDD" || [ $((rss1 - rss0)) -lt $((100 * 1024)) ] ||
	fail "6. nsdd grew by $(((rss1 - rss0) / 1024)) MiB over 8 Records of 16 MiB"
for i in $(seq 140); do
	member record --new-ns -o "$T/m/small.json" -- true >/dev/null 2>&1 || fail "6. small Record $i"
done
ctl status "$root_done" >/dev/null 2>&1 || fail "6. 140 member Records pushed root's finished plan out"
pass "6. 8 Records of 16 MiB: nsdd grew by $(((rss1 - rss0) / 1024)) MiB; root's finished plan is kept"
