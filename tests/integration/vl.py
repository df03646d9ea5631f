# SPDX-License-Identifier: LGPL-2.1-or-later
"""A minimal varlink client for the tests: one connection to $NSDD_SOCKET,
calls sent as they are, replies read one NUL-terminated message at a time."""
import json
import os
import socket
import sys


class Conn:
    def __init__(self, timeout=30):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(timeout)
        self.s.connect(os.environ["NSDD_SOCKET"])
        self.buf = b""

    def send(self, method, params, more=False):
        msg = {"method": method, "parameters": params}
        if more:
            msg["more"] = True
        self.s.sendall(json.dumps(msg).encode() + b"\0")

    def read(self):
        while b"\0" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                sys.exit("nsdd closed the connection")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)
