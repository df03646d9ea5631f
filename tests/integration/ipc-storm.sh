#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Mode seccomp's IPC gets on the notify route under a storm of signals whose
# handler has no SA_RESTART: a thread keeps sending SIGUSR1 to the thread
# that gets 3000 private message queues, each planned. No get may fail with
# EINTR, and each queue must get its planned id. A signal that ends the
# task's wait for nsdd's answer just as nsdd sends it wins (the kernel takes
# the signal, and the SEND succeeded): the get was not made, and when it is
# made again it must be answered again. Before nsdd knew that, about two
# runs in three failed a step ("made no object with IPC id ...").
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
start_nsdd

n=3000
steps=$(for i in $(seq 0 $((n - 1))); do printf '{"call": "msgget", "id": %d}' $((100 + i)); [ $i -lt $((n - 1)) ] && printf ', '; done)
p=$(plan storm <<J
{"version": 1, "mode": "seccomp", "tasks": {"target": [$steps]}}
J
)
# Each signal costs the seized task a stop: 20 to 30 s here, more under ASan.
CTL_TIMEOUT=180 ctl run --new-ns "$p" -- "$PROGS/ipcstorm" $n >"$T/out" 2>&1 ||
	fail "run failed: $(grep -v '^id=\|^applied' "$T/out" | tail -3)"
grep -q '^EINTR$' "$T/out" && fail "$(grep -c '^EINTR$' "$T/out") msgget calls failed with EINTR"
got=$(grep -o '^id=[0-9]*' "$T/out" | tr '\n' ' ')
want=$(for i in $(seq 0 $((n - 1))); do printf 'id=%d ' $((100 + i)); done)
[ "$got" = "$want" ] || fail "ids: got $(echo "$got" | wc -w) queues, not $n at 100..$((100 + n - 1)): $(echo "$got" | head -c 200)"
signals=$(sed -n 's/^signals=//p' "$T/out")
# The storm is as strong as the CPUs are free: 600,000 to 1,100,000 here
# alone, 441 beside a parallel make check.
[ -n "$signals" ] && [ "$signals" -ge 100 ] || fail "only ${signals:-no} signals were handled: no storm"
routed=$(grep -c 'by next_id, no stop' "$T/out")
[ "$routed" = "$n" ] || fail "$routed of $n gets took the notify route"
pass "$n planned msgget calls under $signals signals, each at its id, on the notify route"
