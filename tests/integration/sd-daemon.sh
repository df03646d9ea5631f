#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The systemd interfaces, without systemd as PID 1: socket activation
# (systemd-socket-activate passes the listening socket), sd_notify READY=1
# and STATUS= with plans and traced tasks (a datagram socket stands in for
# NOTIFY_SOCKET), and <N> priority prefixes when stderr is the journal.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
grep -q '^#define HAVE_SYSTEMD 1' "$top_builddir/config.h" || skip "built --without-systemd"
command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate"
py=/usr/bin/python3
[ -x $py ] || skip "no /usr/bin/python3"

$py -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " ") + "\n")
' "$T/notify" "$T/notify.log" &
wait_for_file() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.05; done; fail "no $1"; }
wait_for_file "$T/notify.ready"

: >"$T/nsdd.log"
journal=$(stat -c '%d:%i' "$T/nsdd.log")
systemd-socket-activate -l "$NSDD_SOCKET" --fdname=varlink -E NOTIFY_SOCKET="$T/notify" \
	-E JOURNAL_STREAM="$journal" "$NSDD" -v --socket "$T/not-this-one" 2>>"$T/nsdd.log" &
NSDD_PID=$!
for _ in $(seq 100); do [ -S "$NSDD_SOCKET" ] && break; sleep 0.05; done
# The first connection starts nsdd with the socket.
ctl info >/dev/null || fail "no answer on the activated socket"
wait_for "$T/notify.log" '^READY=1 STATUS=0 plans running, 0 tasks traced'
[ -e "$T/not-this-one" ] && fail "nsdd bound its own socket despite activation"
grep -q '^<6>listening on the socket systemd passed$' "$T/nsdd.log" ||
	fail "no journal priority prefix: $(cat "$T/nsdd.log")"

p=$(plan two <<'J'
{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 100}, {"call": "fork", "pid": 200}]}}
J
)
FORKWAIT_CHILD_EXIT=1 ctl --json run --new-ns "$p" -- "$PROGS/forkwait" 2 >"$T/out" 2>&1 &
wait_for "$T/out" '^waiting$'
wait_for "$T/notify.log" '^STATUS=1 plan running, 1 task traced$'
kill -USR1 "$(grep -o '"pid": *[0-9]*' "$T/out" | head -1 | grep -o '[0-9]*$')"
wait_for "$T/out" '"kind": *"completed"'
wait_for "$T/notify.log" '^STATUS=0 plans running, 0 tasks traced$'
# systemd-socket-activate exec's nsdd: SIGTERM reaches nsdd itself.
kill -TERM "$NSDD_PID"
wait "$NSDD_PID"
NSDD_PID=
wait_for "$T/notify.log" '^STOPPING=1$'
pass "socket activation, sd_notify READY and STATUS, journal prefixes"
