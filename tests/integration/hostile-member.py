# SPDX-License-Identifier: LGPL-2.1-or-later
# hostile-member.sh: what a member of nsdd's group runs under Record.
#   ipcns N: N children, each in an IPC namespace of its own (in a user
#            namespace of its own), each making a message queue there;
#   opens N: N opens of /dev/null through a path of about 4 KiB.
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
elif what == "opens":
    path = "/dev/" + "../dev/" * 580 + "null"
    for i in range(n):
        os.close(os.open(path, os.O_RDONLY))
