#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The limits of protocol.md, each answered with LimitExceeded or a
# disconnect, never a crash or a stall: connections at once, calls queued on
# one connection, and replies a peer leaves unread (16 MiB). (Message size
# is in varlink.sh, the plan limits in the unit tests.)
. "${top_srcdir:-.}/tests/integration/lib.sh"
py=/usr/bin/python3
[ -x $py ] || skip "no /usr/bin/python3"
start_nsdd --max-connections 3

$py - <<'PY' || fail "limits"
import json, os, socket, time

path = os.environ["NSDD_SOCKET"]

def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(path); s.settimeout(20); return s

def read_all(s):
    buf = b""
    while True:
        try:
            chunk = s.recv(1 << 20)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        buf += chunk
    return [json.loads(m) for m in buf.split(b"\0") if m]

def check(cond, what):
    if not cond:
        raise SystemExit("FAIL: " + what)

# Connections: the fourth of 3 is told LimitExceeded and closed.
held = [conn() for _ in range(3)]
time.sleep(0.2)
extra = conn()
r = read_all(extra)
check(len(r) == 1 and r[0].get("error") == "io.nsdd.supervisor.LimitExceeded"
      and r[0]["parameters"] == {"what": "connections", "limit": 3}, "connections: %r" % r)
for s in held: s.close()
time.sleep(0.2)

# Calls queued: at most 64; past that nsdd reads no more from the socket
# until the queue drains (backpressure), so a peer that pipelines 3200 calls
# gets 3200 replies, in order, and nothing is lost.
s = conn()
calls = b"".join(json.dumps({"method": "org.varlink.service.GetInterfaceDescription",
                             "parameters": {"interface": i}}).encode() + b"\0"
                 for i in ["io.nsdd.supervisor", "org.varlink.service"] * 1600)
s.sendall(calls)
buf, replies = b"", []
while len(replies) < 3200:
    chunk = s.recv(1 << 20)
    check(chunk, "queued: the connection closed after %d replies" % len(replies))
    buf += chunk
    *whole, buf = buf.split(b"\0")
    replies += [json.loads(m) for m in whole]
for i, m in enumerate(replies):
    want = "interface io.nsdd.supervisor" if i % 2 == 0 else "interface org.varlink.service"
    check(want in m.get("parameters", {}).get("description", ""), "queued: reply %d: %r" % (i, m))
print("queued: 3200 pipelined calls answered, in order")
s.close()

# Unread replies: a peer that never reads is cut off once 16 MiB wait for it.
s = conn()
call = json.dumps({"method": "org.varlink.service.GetInterfaceDescription",
                   "parameters": {"interface": "io.nsdd.supervisor"}}).encode() + b"\0"
s.setblocking(False)
sent, cut, t0 = 0, False, time.time()
while time.time() - t0 < 30:
    try:
        sent += s.send(call * 32)
    except BlockingIOError:
        time.sleep(0.005)
    except (BrokenPipeError, ConnectionResetError):
        cut = True
        break
check(cut, "a peer that never read was not cut off (sent %d bytes of calls)" % sent)
print("unread replies: cut off after %d bytes of calls" % sent)

# nsdd serves on.
s = conn(); s.sendall(b'{"method":"io.nsdd.supervisor.Info"}\0')
s.settimeout(5)
check(b"version" in s.recv(65536), "nsdd stopped answering")
PY
grep -q 'does not read its replies: disconnecting' "$T/nsdd.log" || fail "no 16 MiB cut-off logged"

# Bytes queued: behind a Watch that streams (its plan runs on), calls pile
# up only to one message's worth (16 MiB); then nsdd stops reading. Without
# that, 64 calls of 8 MiB would sit parsed in its memory.
need_root
sleep 60 &
# (pid 7 is taken on the host: "check": false, as the plan is only watched)
printf '{"version": 1, "timeout_ms": 30000, "check": false, "target": {"pid": %d}, "tasks": {"target": [{"call": "fork", "pid": 7}]}}' \
	$! >"$T/run.json"
id=$(ctl submit "$T/run.json") || fail "a plan to watch"
rss0=$(awk '/^VmRSS:/ {print $2}' "/proc/$NSDD_PID/status")
$py - "$id" <<'PY' || fail "bytes queued"
import json, os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["NSDD_SOCKET"])
s.sendall(json.dumps({"method": "io.nsdd.supervisor.Watch", "parameters": {"id": sys.argv[1]},
                      "more": True}).encode() + b"\0")
big = json.dumps({"method": "io.nsdd.supervisor.List",
                  "parameters": {"pad": "x" * (8 << 20)}}).encode() + b"\0"
s.setblocking(False)
sent, last = 0, time.time()
while time.time() - last < 2 and sent < 64 * len(big):
    try:
        n = s.send(big[sent % len(big):])
        sent += n
        last = time.time()
    except BlockingIOError:
        time.sleep(0.01)
print("bytes queued: nsdd stopped reading after %d MiB of calls" % (sent >> 20))
assert sent < (48 << 20), sent
PY
rss1=$(awk '/^VmRSS:/ {print $2}' "/proc/$NSDD_PID/status")
[ $((rss1 - rss0)) -lt $((200 * 1024)) ] || fail "nsdd grew by $(((rss1 - rss0) / 1024)) MiB"
echo "nsdd grew by $(((rss1 - rss0) / 1024)) MiB"
ctl cancel "$id" >/dev/null
pass "connections, queued calls and unread replies are limited"
