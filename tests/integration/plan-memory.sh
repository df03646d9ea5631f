#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nsdd cannot be grown without bound by its users (issue 8, item 12).
# - A finished plan keeps only what Get, List and Watch show: its tasks'
#   counts and its last events, not its steps. Ten plans of 100,000 steps,
#   each cancelled, leave nsdd's RSS within 32 MiB of where it began; a
#   running plan of 100,000 steps holds at most 200 bytes a step.
# - A user but root may have --max-plans-per-user running plans, with
#   --max-steps-per-user steps in all; more is LimitExceeded, and changes
#   nothing; a Record's written steps count too. Root is not limited.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v unshare >/dev/null || skip "unshare is not installed"
M=nsdtm$$
make_users "nsdtg$$" "$M"
start_nsdd --group "nsdtg$$" --max-plans-per-user 2 --max-steps-per-user 100
chmod 666 "$NSDD_SOCKET" # as SocketMode= and SocketGroup= would let the member in
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$NSDD_PID/status"; }

# steps N PID FIRSTPID: a plan of N fork steps for PID (in the host's pid
# namespace, where such pids may be taken: "check": false, as the plans are
# only held, never applied).
steps() {
	local f=$T/p$1-$2.json
	{
		printf '{"version": 1, "check": false, "target": {"pid": %d}, "tasks": {"target": [' "$2"
		seq "$3" $(($3 + $1 - 1)) | sed 's/.*/{"call":"fork","pid":&}/' | paste -sd,
		printf ']}}'
	} >"$f"
	chmod 644 "$f"
	echo "$f"
}

sleep 1000 &
victim=$!
# A running plan at rest holds at most 200 bytes per step: the parsed
# message's memory goes back once the plan is built.
before=$(rss)
id=$(ctl submit "$(steps 100000 $victim 10000)") || fail "submit: $id"
held=$(($(rss) - before))
ctl cancel "$id" >/dev/null || fail "cancel"
if ! grep -q __asan_init "$NSDD" && [ $held -gt 19531 ]; then
	fail "a running plan of 100,000 steps holds $held KiB (at most 200 bytes a step wanted)"
fi
before=$(rss)
for i in $(seq 10); do
	id=$(ctl submit "$(steps 100000 $victim 10000)") || fail "submit $i: $id"
	ctl cancel "$id" >/dev/null || fail "cancel $i"
done
ctl --json list | grep -Eq "\"steps_total\": *100000" || fail "the finished plans are not listed: $(ctl --json list | head -c 600)"
after=$(rss)
# AddressSanitizer keeps freed memory in quarantine: RSS says nothing there.
if grep -q __asan_init "$NSDD"; then
	echo "(RSS not compared: nsdd is built with AddressSanitizer)"
elif [ $((after - before)) -ge 32768 ]; then
	fail "RSS grew from $before KiB to $after KiB for ten finished plans"
fi

# Events: a Watch that began while the plan ran gets every one of them; once
# it has ended, the finished plan keeps its last 256, the final one last.
mkfifo "$T/go"
unshare --pid --fork sh -c "read x <'$T/go'; exec '$top_builddir/bench/forkloop' 400" >/dev/null &
for _ in $(seq 100); do
	sh=$(pgrep -P $! -x sh) && break
	sleep 0.05
done
id=$(ctl submit "$(steps 400 "$sh" 1000)") || fail "submit 400: $id"
ctl --json watch "$id" >"$T/w1" &
w=$!
echo go >"$T/go"
wait $w || fail "watch: $(tail -3 "$T/w1")"
[ "$(grep -c '"kind": *"applied"' "$T/w1")" = 400 ] || fail "the Watch missed events: $(grep -c applied "$T/w1")"
ctl --json watch "$id" >"$T/w2" || fail "watch after the end"
[ "$(grep -c '"kind"' "$T/w2")" = 256 ] || fail "kept $(grep -c '"kind"' "$T/w2") events, not 256"
tail -1 "$T/w2" | grep -q '"kind": *"completed"' || fail "the last kept event: $(tail -1 "$T/w2")"

# A member: two running plans, and 100 steps in all.
# Its own tasks, in namespaces it owns (authz.sh).
for _ in 1 2 3; do as "$M" unshare --user --map-root-user --pid --ipc --fork sleep 1000 & done
for _ in $(seq 100); do
	[ "$(pgrep -u "$M" -x sleep | wc -l)" = 3 ] && break
	sleep 0.05
done
read -r a b c < <(pgrep -u "$M" -x sleep | sort -n | paste -sd' ')
id1=$(as "$M" "$NSDCTL" submit "$(steps 10 "$a" 500)") || fail "first plan: $id1"
id2=$(as "$M" "$NSDCTL" submit "$(steps 10 "$b" 600)") || fail "second plan: $id2"
as "$M" "$NSDCTL" submit "$(steps 10 "$c" 700)" 2>"$T/err" && fail "a third running plan was taken"
grep -q 'limit exceeded: running plans per user (limit 2)' "$T/err" || fail "third: $(cat "$T/err")"
grep -q "^TracerPid:[[:space:]]*0$" "/proc/$c/status" || fail "a refused plan traced its task"
as "$M" "$NSDCTL" cancel "$id1" >/dev/null || fail "cancel"
as "$M" "$NSDCTL" submit "$(steps 91 "$c" 700)" 2>"$T/err" && fail "101 steps were taken"
grep -q 'limit exceeded: steps of running plans per user (limit 100)' "$T/err" ||
	fail "steps: $(cat "$T/err")"
id3=$(as "$M" "$NSDCTL" submit "$(steps 90 "$c" 700)") || fail "100 steps in all: $id3"
# Root is not limited.
sleep 1000 &
id4=$(ctl submit "$(steps 500 $! 800)") || fail "root: $id4"
for id in "$id2" "$id3" "$id4"; do ctl cancel "$id" >/dev/null; done
kill $victim
pass "ten finished plans of 100,000 steps: RSS $before -> $after KiB; per-user limits hold, root is not limited"

# A member's Record counts the steps it writes: past --max-steps-per-user
# it fails and says so once its tree has exited (it writes no more steps).
# The member's own task, in namespaces it owns, forks 120 times once told to.
mkfifo "$T/rgo"
: >"$T/done"
chmod 666 "$T/rgo" "$T/done"
as "$M" unshare --user --map-root-user --pid --ipc --fork \
	sh -c 'read -r x <"$0"; for i in $(seq 120); do (true); done; echo done >"$1"' "$T/rgo" "$T/done" &
t=
for _ in $(seq 100); do # the shell is pid 1 of the member's pid namespace
	for p in $(pgrep -u "$M" -f "read -r x"); do
		grep -q '^NSpid:.*[[:space:]]1$' "/proc/$p/status" 2>/dev/null && t=$p
	done
	[ -n "$t" ] && break
	sleep 0.05
done
[ -n "$t" ] || fail "the member's task did not start"
as "$M" env PYTHONPATH="$top_srcdir/tests/integration" python3 - "$t" "$T/rgo" >"$T/rec" 2>&1 <<'PY' ||
import json, sys
from vl import Conn
c = Conn()
c.send("io.nsdd.supervisor.Record", {"target": {"pid": int(sys.argv[1])}, "calls": ["fork", "thread"]},
       more=True)
first = c.read()
assert first.get("continues"), first
with open(sys.argv[2], "w") as f:
    f.write("go\n")
last = c.read()
print(json.dumps(last))
assert last.get("error") == "io.nsdd.supervisor.RecordFailed", last
assert "may hold 100 steps" in last["parameters"]["reason"], last
PY
	fail "a member's Record: $(cat "$T/rec")"
[ "$(cat "$T/done")" = "done" ] || fail "the member's tree did not run to its end"
pass "a member's Record past --max-steps-per-user fails with the limit's words"
