# SPDX-License-Identifier: LGPL-2.1-or-later
# hostile-file.sh: a root restorer under `nsdctl run --next-syscall-data`
# whose child drops to uid 65534 and tries to turn nsdd's emulated file
# against root (argv[1]: a root-owned 0600 file; argv[2]: a free pid; argv[3]:
# a directory uid 65534 may write to). Prints what each attempt got.
import ctypes, errno, fcntl, os, sys, time

libc = ctypes.CDLL(None, use_errno=True)
SECRET, FREE_PID, SCRATCH = sys.argv[1], int(sys.argv[2]), sys.argv[3]
CLONE_NEWNS, CLONE_NEWUSER = 0x20000, 0x10000000
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 1 << 18
SYS_PIVOT_ROOT = 155


def say(*words):
    """One write a line: nsdctl writes its events to the same file."""
    os.write(1, (" ".join(str(w) for w in words) + "\n").encode())


def check(rc, what):
    if rc < 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (what, os.strerror(e)))


def drop():
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: a changed uid clears it


# The plan's id, as the name of root's own file shows it.
fd = os.open("/proc/thread-self/next_syscall_data", os.O_RDWR)
plan = os.readlink("/proc/self/fd/%d" % fd).split(":")[2]
os.close(fd)
root = os.getpid()


def forged_write():
    """3. A memfd named like root's file: its value must not become root's."""
    m = os.memfd_create("next_syscall_data:%s:%d" % (plan, root), 0)
    say("forged-write", os.write(m, b"LONG1 %d" % FREE_PID))


def bind_mounted():
    """1. A root 0600 file, bind-mounted under the file's name, read O_PATH."""
    libc.unshare.argtypes = [ctypes.c_int]
    me = os.getpid()
    check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write("0 65534 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write("0 65534 1")
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make /private")
    r = SCRATCH.encode()
    check(libc.mount(b"tmpfs", r, b"tmpfs", 0, None), "mount tmpfs")
    name = "memfd:next_syscall_data:%s:%d (deleted)" % (plan, me)
    open(os.path.join(SCRATCH, name), "w").close()
    os.mkdir(os.path.join(SCRATCH, "old"))
    check(libc.mount(SECRET.encode(), os.path.join(SCRATCH, name).encode(), None, MS_BIND, None),
          "bind")
    check(libc.syscall(SYS_PIVOT_ROOT, r, os.path.join(SCRATCH, "old").encode()), "pivot_root")
    os.chdir("/")
    p = os.open("/" + name, os.O_PATH)
    try:
        os.read(p, 100)
        say("opath-read ok")
    except OSError as e:
        say("opath-read", errno.errorcode[e.errno])


def userns_cap():
    """A capability in a user namespace of its own is none over root's thread."""
    check(libc.unshare(CLONE_NEWUSER), "unshare")
    with open("/proc/self/uid_map", "w") as f:
        f.write("0 65534 1")
    try:
        fd = os.open("/proc/%d/task/%d/next_syscall_data" % (root, root), os.O_WRONLY)
        os.write(fd, b"LONG1 %d" % FREE_PID)
        say("userns-open ok")
    except OSError as e:
        say("userns-open", errno.errorcode[e.errno])


def leased():
    """2. A read lease on a file named like the task's own, then a read."""
    m = os.memfd_create("next_syscall_data:%s:%d" % (plan, os.getpid()), 0)
    ro = os.open("/proc/self/fd/%d" % m, os.O_RDONLY)
    os.close(m)  # no writer left: a read lease may be taken
    fcntl.fcntl(ro, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    start = time.monotonic()
    os.read(ro, 100)
    say("lease-read %.1f" % (time.monotonic() - start))


# Each of root's forks after the forged write: the pid the kernel gives.
forged = False
for attempt in (forged_write, userns_cap, bind_mounted, leased, None):
    pid = os.fork()
    if pid == 0:
        try:
            drop()
            attempt()
        except Exception as e:  # the test shows what went wrong
            say("%s: %s" % (attempt.__name__, e))
        os._exit(0)
    forged |= pid == FREE_PID
    os.waitpid(pid, 0)
say("root-fork", "forged" if forged else "native")
say("secret", os.stat(SECRET).st_size)
