#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Signals that arrive while nsdd makes a task run fcntl and close after its
# open are neither lost nor stripped of their siginfo: queued real-time
# signals, each with its own value, all arrive (issue 8, item 8).
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd
n=60
steps=$(for i in $(seq $n); do printf '{"call": "open", "fd": 50, "path": "/dev/null"}'; [ $i -lt $n ] && printf ', '; done)
p=$(plan storm <<J
{"version": 1, "tasks": {"target": [$steps]}}
J
)
ctl run "$p" -- "$PROGS/sigstorm" $n /dev/null >"$T/out" 2>&1 || fail "run: $(cat "$T/out")"
grep -qx "fd50=$n" "$T/out" || fail "not every open got fd 50: $(cat "$T/out")"
read -r sent recv < <(sed -n 's/^sent=\([0-9]*\) received=\([0-9]*\)$/\1 \2/p' "$T/out")
read -r ssum rsum < <(sed -n 's/^sum_sent=\([0-9]*\) sum_received=\([0-9]*\)$/\1 \2/p' "$T/out")
[ -n "$sent" ] && [ "$sent" -gt 0 ] || fail "no signal was sent: $(cat "$T/out")"
[ "$sent" = "$recv" ] || fail "signals lost: $(cat "$T/out")"
[ "$ssum" = "$rsum" ] || fail "siginfo values lost: $(cat "$T/out")"
pass "$n opens moved to fd 50 under $sent queued signals: all arrived with their values"
