# SPDX-License-Identifier: LGPL-2.1-or-later
# hostile-member.sh: what a member of nsdd's group runs under Record.
#   ipcns N: N children, each in an IPC namespace of its own (in a user
#            namespace of its own), each making a message queue there;
#   opens N: N opens of /dev/null through a path of about 4 KiB;
#   forged:  opens whose path nsdd cannot take: a NULL pointer, 8 KiB with no
#            NUL, a path in memory another thread rewrites all along; then
#            /dev/null.
import ctypes, os, sys

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWIPC, IPC_CREAT = 0x10000000, 0x08000000, 0o1000
what, n = sys.argv[1], int(sys.argv[2])
if what == "ipcns":
    for i in range(n):
        pid = os.fork()
        if pid == 0:
            if libc.unshare(CLONE_NEWUSER | CLONE_NEWIPC) < 0:
                os._exit(1)
            os._exit(0 if libc.msgget(0x1234, IPC_CREAT | 0o600) >= 0 else 2)
        _, status = os.waitpid(pid, 0)
        if status != 0:
            sys.exit("child %d: status %d" % (i, status))
elif what == "forged":
    import threading
    libc.open.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.open(None, 0)
    libc.open(b"A" * 8192, 0)
    buf = ctypes.create_string_buffer(b"/dev/null\0", 4096)
    stop = []
    def flip():
        while not stop:
            ctypes.memmove(buf, b"/dev/zero\0", 10)
            ctypes.memmove(buf, b"/nonexistent/" + b"B" * 3000 + b"\0", 3014)
    t = threading.Thread(target=flip)
    t.start()
    for i in range(n):
        fd = libc.open(buf, 0)
        if fd >= 0:
            os.close(fd)
    stop.append(1)
    t.join()
    os.close(os.open("/dev/null", os.O_RDONLY))
elif what == "opens":
    path = "/dev/" + "../dev/" * 580 + "null"
    for i in range(n):
        os.close(os.open(path, os.O_RDONLY))
