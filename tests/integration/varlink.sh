#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bytes on the socket: varlink framing and the standard errors, from a
# raw client (python3's socket module, no varlink library).
. "${top_srcdir:-.}/tests/integration/lib.sh"
py=/usr/bin/python3
[ -x $py ] || skip "no /usr/bin/python3"
start_nsdd

IDL="$top_srcdir/data/io.nsdd.supervisor.varlink" $py - <<'PY' || fail "varlink checks"
import json, os, socket, sys, time

path = os.environ["NSDD_SOCKET"]

def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.settimeout(10)
    return s

def replies(s, n):
    buf = b""
    while buf.count(b"\0") < n:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    msgs = buf.split(b"\0")
    assert msgs[-1] == b"", "trailing bytes after the last NUL"
    return [json.loads(m) for m in msgs[:-1]]

def call(s, method, params=None, **flags):
    msg = {"method": method, "parameters": params or {}}
    msg.update(flags)
    s.sendall(json.dumps(msg).encode() + b"\0")

def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)

s = conn()
call(s, "org.varlink.service.GetInfo")
r, = replies(s, 1)
check(r["parameters"]["interfaces"] == ["org.varlink.service", "io.nsdd.supervisor"], r)
check(r["parameters"]["product"] == "nsdd", r)

call(s, "org.varlink.service.GetInterfaceDescription", {"interface": "io.nsdd.supervisor"})
r, = replies(s, 1)
check(r["parameters"]["description"] == open(os.environ["IDL"]).read(), "IDL differs from the file")

# Two calls in one write: two replies, in order.
s.sendall(b'{"method":"io.nsdd.supervisor.Info"}\0{"method":"io.nsdd.supervisor.List"}\0')
a, b = replies(s, 2)
check("features" in a["parameters"] and "plans" in b["parameters"], (a, b))

# One call split into single bytes.
msg = json.dumps({"method": "io.nsdd.supervisor.Info"}).encode() + b"\0"
for i in range(len(msg)):
    s.send(msg[i:i + 1])
    time.sleep(0.001)
r, = replies(s, 1)
check("version" in r["parameters"], r)

# oneway: no reply; the next call's reply is the next message.
call(s, "io.nsdd.supervisor.Info", oneway=True)
call(s, "io.nsdd.supervisor.List")
r, = replies(s, 1)
check("plans" in r["parameters"], ("oneway got a reply", r))

errors = [
    ("io.nsdd.supervisor.Frob", {}, "org.varlink.service.MethodNotFound", "method"),
    ("org.example.Frob", {}, "org.varlink.service.InterfaceNotFound", "interface"),
    ("io.nsdd.supervisor.Get", {"id": "x", "extra": 1}, "org.varlink.service.InvalidParameter", "parameter"),
    ("io.nsdd.supervisor.Get", {}, "org.varlink.service.InvalidParameter", "parameter"),
    ("io.nsdd.supervisor.Get", {"id": 5}, "org.varlink.service.InvalidParameter", "parameter"),
    ("io.nsdd.supervisor.Get", {"id": "nope"}, "io.nsdd.supervisor.NoSuchPlan", "id"),
    ("io.nsdd.supervisor.Record", {"target": {}}, "io.nsdd.supervisor.InvalidPlan", "path"),
    ("io.nsdd.supervisor.Record", {"target": {"pid": 4194000}}, "io.nsdd.supervisor.NoSuchTask", "pid"),
    ("io.nsdd.supervisor.Record", {"target": {"pid": 1}, "calls": ["msgctl"]}, "org.varlink.service.InvalidParameter", "parameter"),
    ("io.nsdd.supervisor.Record", {"target": {"pid": 1}, "calls": "fork"}, "org.varlink.service.InvalidParameter", "parameter"),
    ("io.nsdd.supervisor.SetNext", {"tid": 1, "value": "LONG1 05"}, "io.nsdd.supervisor.InvalidPlan", "reason"),
    ("io.nsdd.supervisor.SetNext", {"tid": 1, "value": "LONG1 -5"}, "io.nsdd.supervisor.InvalidPlan", "reason"),
    ("io.nsdd.supervisor.Submit", {"plan": {"version": 2, "tasks": {}}}, "io.nsdd.supervisor.InvalidPlan", "path"),
    ("io.nsdd.supervisor.Submit", {"plan": {"version": 1, "tasks": {}}}, "io.nsdd.supervisor.InvalidPlan", "path"),
    # listener: an fd number (not 2**32 + 3, which an int cast makes 3), in
    # mode seccomp only, and a seccomp listener's.
    ("io.nsdd.supervisor.Submit", {"plan": {"version": 1, "mode": "seccomp", "target": {"pid": os.getpid()},
     "tasks": {}}, "listener": 2**32 + 3}, "org.varlink.service.InvalidParameter", "parameter"),
    ("io.nsdd.supervisor.Submit", {"plan": {"version": 1, "mode": "seccomp", "target": {"pid": os.getpid()},
     "tasks": {}}, "listener": -1}, "org.varlink.service.InvalidParameter", "parameter"),
    ("io.nsdd.supervisor.Submit", {"plan": {"version": 1, "target": {"pid": os.getpid()}, "tasks": {}},
     "listener": 0}, "io.nsdd.supervisor.InvalidPlan", "reason"),
    ("io.nsdd.supervisor.Submit", {"plan": {"version": 1, "mode": "seccomp", "target": {"pid": os.getpid()},
     "tasks": {}}, "listener": 0}, "io.nsdd.supervisor.InvalidPlan", "reason"),
    # What the listener's filter notifies: said only with a listener.
    ("io.nsdd.supervisor.Submit", {"plan": {"version": 1, "mode": "seccomp", "target": {"pid": os.getpid()},
     "tasks": {}}, "setns": True}, "org.varlink.service.InvalidParameter", "parameter"),
    ("io.nsdd.supervisor.Submit", {"plan": {"version": 1, "mode": "seccomp", "target": {"pid": os.getpid()},
     "tasks": {}}, "sigaction": True}, "org.varlink.service.InvalidParameter", "parameter"),
]
for method, params, err, member in errors:
    call(s, method, params)
    r, = replies(s, 1)
    check(r.get("error") == err and member in r["parameters"], (method, params, r))

# A plan with a duplicate key is an InvalidPlan, not a silent overwrite.
s.sendall(b'{"method":"io.nsdd.supervisor.Submit","parameters":{"plan":'
          b'{"version":1,"version":1,"target":{"pid":1},"tasks":{}}}}\0')
r, = replies(s, 1)
check(r.get("error") == "io.nsdd.supervisor.InvalidPlan" and "duplicate" in r["parameters"]["reason"], r)

# nsdd's own bookkeeping names, sent by a client, mean nothing to it.
s.sendall(b'{"method":"io.nsdd.supervisor.Info","nsdd.duplicate":"x","duplicate":"y","call":1}\0')
r, = replies(s, 1)
check("version" in r["parameters"], ("bookkeeping names", r))
s.sendall(b'{"method":5}\0')
r, = replies(s, 1)
check(r.get("error") == "org.varlink.service.InvalidParameter", r)

# A message that is not JSON: the connection is dropped, nsdd lives on.
s2 = conn()
s2.sendall(b"this is not json\0")
check(s2.recv(100) == b"", "a malformed message did not close the connection")

# A message over 16 MiB: LimitExceeded, then the connection is closed.
s3 = conn()
try:
    s3.sendall(b'{"method":"' + b"x" * (16 << 20) + b'"}\0')
except (BrokenPipeError, ConnectionResetError):
    pass
r, = replies(s3, 1)
check(r.get("error") == "io.nsdd.supervisor.LimitExceeded" and r["parameters"]["what"] == "message size", r)

call(s, "org.varlink.service.GetInfo")
r, = replies(s, 1)
check(r["parameters"]["product"] == "nsdd", "nsdd stopped answering")
PY
kill -0 "$NSDD_PID" || fail "nsdd died"

# A peer that is not root gets GetInfo and nothing else, whatever the socket
# mode lets in.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NSDCTL"; then
	chmod 666 "$NSDD_SOCKET"
	chmod 755 "$T"
	$NOBODY "$NSDCTL" info 2>"$T/err" && fail "nobody was answered Info"
	grep -q 'permission denied: only root and the nsd group' "$T/err" || fail "nobody: $(cat "$T/err")"
	$NOBODY "$NSDCTL" list 2>/dev/null && fail "nobody was answered List"
	$NOBODY /usr/bin/python3 -c '
import json, os, socket
s = socket.socket(socket.AF_UNIX); s.connect(os.environ["NSDD_SOCKET"])
s.sendall(b"{\"method\":\"org.varlink.service.GetInfo\"}\0")
assert json.loads(s.recv(65536).rstrip(b"\0"))["parameters"]["product"] == "nsdd"
' || fail "nobody was refused GetInfo"
fi
pass "varlink framing and errors"
