# SPDX-License-Identifier: LGPL-2.1-or-later
# next-syscall-data.sh, part 7: python3 uses the file through a /proc dirfd,
# thread-self, a dup, a forked child's inherited fd, exec with and without
# O_CLOEXEC, and LONG2 (argv[1]: the pid to get one namespace up).
import os, sys, subprocess
tid = os.getpid()  # main thread
def path(t=None):
    return "/proc/thread-self/next_syscall_data" if t is None else "/proc/self/task/%d/next_syscall_data" % t
def say(*words):
    # One write per line: nsdctl prints its events to the same stdout, and
    # print() under -u writes each word apart, so a line could be split.
    os.write(1, (" ".join(str(w) for w in words) + "\n").encode())
def fork_pid():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid
# openat with a /proc dirfd, relative path
d = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
fd = os.open("self/task/%d/next_syscall_data" % tid, os.O_WRONLY, dir_fd=d)
os.write(fd, b"LONG1 601")
os.close(fd)
say("dirfd", fork_pid())
# thread-self, dup, and a forked child writing through the inherited fd
fd = os.open(path(), os.O_RDWR)
fd2 = os.dup(fd)
os.write(fd2, b"LONG1 602")
say("dup", fork_pid())
pid = os.fork()
if pid == 0:
    os.write(fd, b"LONG1 603")   # the parent's file, through the inherited fd
    os._exit(0)
os.waitpid(pid, 0)
say("inherited", fork_pid())
# O_CLOEXEC: gone after exec; without it: still there, and still the file
ce = os.open(path(), os.O_WRONLY | os.O_CLOEXEC)
keep = os.open(path(), os.O_WRONLY)
os.set_inheritable(keep, True)
out = subprocess.run(["sh", "-c", "ls /proc/self/fd/%d >/dev/null 2>&1 && echo open || echo closed; readlink /proc/self/fd/%d" % (ce, keep)],
                     close_fds=False, capture_output=True, text=True).stdout.split()
say("exec", out[0], out[1].startswith("/memfd:next_syscall_data:"))
# LONG2: the child's pid in this namespace, and in the one above
os.write(fd, ("LONG2 604 %s" % sys.argv[1]).encode())
pid = os.fork()
if pid == 0:
    import time; time.sleep(1.5); os._exit(0)
say("long2", pid)
os.waitpid(pid, 0)
