#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# On the notify route (mode seccomp, nsdctl's filter, which also notifies
# rt_sigaction), a task with steps and no signal handler is not traced at
# all: no signal can make its notified fork fail with EINTR, so it need not
# rest seized, and its children's SIGCHLD cost it no stop.
# 1. perl forks 20 planned children: every pid exact, 0 ptrace stops.
# 2. A task that forks with no handler, then installs one without
#    SA_RESTART while a second thread keeps signalling it, then forks 60
#    times more: it is seized at the rt_sigaction, so no fork fails with
#    EINTR, and every pid is exact.
# 3. A calm task's child is calm too.
# 4. An i386 signal() (int $0x80), which nsdd does not read, seizes.
# 5. nsdctl's target starts calm: every action it sets after its execve is
#    seen, so a handler with SA_RESTART that it sets first seizes nothing.
# 6. An execve resets every handler: a shell seized for its trap is calm
#    again once it execs perl, whose 20 planned forks cost it no stop.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v perl >/dev/null || skip "no perl"
start_nsdd

last_id() { ctl --json list | sed -n 's/.*"id": *"\([0-9a-f]*\)".*/\1/p' | tail -1; }
field() { ctl --json status "$1" | sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"; }
pids() { seq "$1" $(($1 + $2 - 1)) | tr '\n' ' '; }

# 1. perl, no handler.
p=$(python3 -c 'import json; print(json.dumps({"version": 1, "name": "perl", "mode": "seccomp",
	"tasks": {"target": [{"call": "fork", "pid": 500 + i} for i in range(20)]}}))' | plan perl)
ctl run --new-ns "$p" -- perl -e '$| = 1; for (1..20) { my $p = fork; exit 0 unless $p;
	waitpid($p, 0); print "$p\n" }' >"$T/out" 2>&1 || fail "perl: $(tail -5 "$T/out")"
got=$(grep -E '^[0-9]+$' "$T/out" | tr '\n' ' ')
[ "$got" = "$(pids 500 20)" ] || fail "perl's pids: $got"
id=$(last_id)
[ "$(field "$id" steps_no_stop)" = 20 ] && [ "$(field "$id" ptrace_stops)" = 0 ] ||
	fail "perl: $(field "$id" ptrace_stops) ptrace stops, $(field "$id" steps_no_stop) steps with no stop"
pass "perl's 20 planned forks, no handler: every pid exact, 0 ptrace stops"

# 6. sh's trap (no SA_RESTART) seizes it; its execve makes it calm again.
p=$(python3 -c 'import json; print(json.dumps({"version": 1, "name": "trap", "mode": "seccomp",
	"tasks": {"target": [{"call": "fork", "pid": 900 + i} for i in range(20)]}}))' | plan trap)
ctl run --new-ns "$p" -- /bin/sh -c 'trap "echo usr1" USR1; exec perl -e '\''$| = 1;
	for (1..20) { my $p = fork; exit 0 unless $p; waitpid($p, 0); print "$p\n" }'\' \
	>"$T/out" 2>&1 || fail "trap: $(tail -5 "$T/out")"
got=$(grep -E '^[0-9]+$' "$T/out" | tr '\n' ' ')
[ "$got" = "$(pids 900 20)" ] || fail "trap: pids $got"
id=$(last_id)
stops=$(field "$id" ptrace_stops)
[ "$(field "$id" steps_no_stop)" = 20 ] && [ "$stops" -gt 0 ] && [ "$stops" -le 4 ] ||
	fail "trap: $stops ptrace stops, $(field "$id" steps_no_stop) steps with no stop"
pass "a shell seized for its trap, then exec'd perl: calm again, 20 forks exact, $stops ptrace stop(s), its execve's"

# 2. A handler without SA_RESTART comes after 5 forks, then the thread
#    that sends its signal (pid 605), then 60 forks: three runs.
p=$(python3 - <<'PY' | plan late
import json
steps = [{"call": "fork", "pid": 600 + i} for i in range(5)] + [{"call": "thread", "pid": 605}]
steps += [{"call": "fork", "pid": 606 + i} for i in range(60)]
print(json.dumps({"version": 1, "name": "late", "mode": "seccomp", "tasks": {"target": steps}}))
PY
)
for run in 1 2 3; do
	ctl run --new-ns "$p" -- "$PROGS/sigfork" 60 0 5 >"$T/out" 2>&1 ||
		fail "late handler, run $run: $(tail -5 "$T/out")"
	grep -q "forks=60 signals=[1-9]" "$T/out" || fail "late handler, run $run: $(tail -3 "$T/out")"
	got=$(grep -E '^[0-9]+$' "$T/out" | tr '\n' ' ')
	[ "$got" = "$(pids 600 5)$(pids 606 60)" ] || fail "late handler, run $run: pids $got"
	id=$(last_id)
	[ "$(field "$id" ptrace_stops)" -gt 0 ] ||
		fail "late handler, run $run: never seized (0 ptrace stops)"
done
pass "a handler without SA_RESTART after 5 forks, under a storm of its signal: seized at its rt_sigaction, 60 more forks exact, three runs"

# 3. A calm task's child is calm: forktree's tasks have glibc's SIGSETXID
#    handler (SA_RESTART, set at each pthread_create, seen), which SigCgt
#    cannot tell from one that cuts; inherited from a calm parent, it seizes
#    nothing. (A sanitizer sets handlers of its own without SA_RESTART
#    before main: there every task is seized from its start, so 3 and 5
#    cannot pass and 4 cannot fail.)
ldd "$PROGS/forktree" | grep -q 'libasan\|libubsan' && { echo "(3, 4 and 5: a sanitizer build)"; exit 0; }
p=$(plan tree <<'J'
{"version": 1, "name": "tree", "mode": "seccomp", "tasks": {
  "target": [{"call": "fork", "pid": 4000}],
  "4000": [{"call": "thread", "pid": 4001}, {"call": "fork", "pid": 4100}],
  "4100": [{"call": "thread", "pid": 4101}, {"call": "fork", "pid": 4200}]}}
J
)
ctl run --new-ns "$p" -- "$PROGS/forktree" 4000 4001 4100 4101 4200 >"$T/out" 2>&1 ||
	fail "tree: $(cat "$T/out")"
id=$(last_id)
[ "$(field "$id" steps_no_stop)" = 5 ] && [ "$(field "$id" ptrace_stops)" = 0 ] ||
	fail "tree: $(field "$id" ptrace_stops) ptrace stops, $(field "$id" steps_no_stop) steps with no stop"
pass "a three-level tree with threads, its handlers SA_RESTART: every task calm, 0 ptrace stops"

# 5. heldfork sets a SIGUSR1 handler with SA_RESTART, then forks twice.
p=$(plan held <<'J'
{"version": 1, "name": "held", "mode": "seccomp", "tasks": {"target": [
  {"call": "fork", "pid": 800}, {"call": "fork", "pid": 801}]}}
J
)
printf '\n\n' | ctl run --new-ns "$p" -- "$PROGS/heldfork" 2 >"$T/out" 2>&1 || fail "held: $(cat "$T/out")"
grep -q '^child=801$' "$T/out" || fail "held: $(cat "$T/out")"
id=$(last_id)
[ "$(field "$id" ptrace_stops)" = 0 ] || fail "held: $(field "$id" ptrace_stops) ptrace stops"
pass "a target that sets an SA_RESTART handler first: calm, 0 ptrace stops"

# 4. Between its two planned forks, int80sig sets an action the i386 way:
#    seized there, its second child's SIGCHLD and its exit stop it.
if "$PROGS/int80" /dev/null | grep -q no-int80; then
	echo "(4: the kernel has no i386 entry)"
else
	p=$(plan i386 <<'J'
{"version": 1, "name": "i386", "mode": "seccomp", "tasks": {"target": [
  {"call": "fork", "pid": 700}, {"call": "fork", "pid": 701}]}}
J
	)
	ctl run --new-ns "$p" -- "$PROGS/int80sig" >"$T/out" 2>&1 || fail "i386: $(cat "$T/out")"
	grep -q '^child=701$' "$T/out" || fail "i386: $(cat "$T/out")"
	id=$(last_id)
	[ "$(field "$id" ptrace_stops)" -gt 0 ] || fail "i386: never seized (0 ptrace stops)"
	pass "an i386 signal() between two planned forks: seized there"
fi
