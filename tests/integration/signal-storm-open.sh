#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Mode seccomp's open steps under a storm of queued signals (a thread that
# keeps 64 real-time signals queued for the thread that opens):
# 1. Every open gets its fd, every signal arrives with its value, and the
#    task costs a bounded number of ptrace stops an open: it rests untraced
#    between its open steps (a seized task stops at each signal), and from
#    nsdd's interrupt to the call's exit its signals wait, blocked (a traced
#    task stops three times a signal, and the storm refills faster: the call
#    was never made again). A notification that the task sent before the
#    interrupt stopped it is not taken for the call made again: answered, it
#    let an open through without its step.
# 2. An open that sleeps (a FIFO's, until a writer comes) does not sleep
#    deaf: its signals keep arriving while it waits.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
field() { ctl --json status "$1" | sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p"; }
last_id() { ctl --json list | sed -n 's/.*"id": *"\([0-9a-f]*\)".*/\1/p' | tail -1; }

# 1. 12 opens of /dev/null, each planned on fd 50.
n=12
steps=$(for i in $(seq $n); do printf '{"call": "open", "fd": 50, "path": "/dev/null"}'; [ $i -lt $n ] && printf ', '; done)
p=$(plan storm <<J
{"version": 1, "mode": "seccomp", "tasks": {"target": [$steps]}}
J
)
ctl run "$p" -- "$PROGS/sigstorm" $n /dev/null 64 >"$T/out" 2>&1 || fail "run: $(tail -5 "$T/out")"
grep -qx "fd50=$n" "$T/out" || fail "not every open got fd 50: $(tail -5 "$T/out")"
read -r sent recv < <(sed -n 's/^sent=\([0-9]*\) received=\([0-9]*\)$/\1 \2/p' "$T/out")
read -r ssum rsum < <(sed -n 's/^sum_sent=\([0-9]*\) sum_received=\([0-9]*\)$/\1 \2/p' "$T/out")
[ -n "$sent" ] && [ "$sent" = "$recv" ] && [ "$ssum" = "$rsum" ] ||
	fail "signals or their values lost: $(tail -5 "$T/out")"
# An open costs 7 stops: the interrupt, the call's entry and exit, and the
# entry and exit of each of the fcntl and close that move its fd.
stops=$(field "$(last_id)" ptrace_stops)
[ -n "$stops" ] && [ "$stops" -le $((n * 8)) ] ||
	fail "$stops ptrace stops for $n opens under $sent signals (at most $((n * 8)))"
pass "$n opens on fd 50 under $sent queued signals, all arrived, $stops ptrace stops"

# 2. One open of a FIFO whose writer comes after half a second.
mkfifo "$T/fifo"
p=$(plan fifo <<J
{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "open", "fd": 50, "path": "$T/fifo"}]}}
J
)
(
	sleep 0.5
	timeout 10 sh -c 'exec 3>"$1"; sleep 0.2' sh "$T/fifo"
) &
writer=$!
ctl run "$p" -- "$PROGS/sigstorm" 1 "$T/fifo" >"$T/out" 2>&1 || fail "FIFO run: $(tail -5 "$T/out")"
wait "$writer"
grep -qx "fd50=1" "$T/out" || fail "the FIFO's open did not get fd 50: $(tail -5 "$T/out")"
gap=$(sed -n 's/^gap_ms=//p' "$T/out")
# The longest it went with no signal handled: some 10 ms here; an open that
# slept with them blocked went the whole half second.
[ -n "$gap" ] && [ "$gap" -lt 250 ] ||
	fail "the FIFO's open went ${gap:-?} ms with no signal handled: it slept deaf"
pass "a FIFO's open waiting for its writer kept taking signals (at most $gap ms without one) and got fd 50"
