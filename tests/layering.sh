#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The daemon's shape, as README.md's layout section draws it, checked on the
# code as built:
# - no two daemon files depend on each other in a circle (A calls or names a
#   function or data symbol that B defines, ..., back to A): the plan room
#   calls down, and what the rooms below report goes up through the table
#   of callbacks it gives them (plan_up), never by name; nor two files of
#   lib/, nor of client/ (nsdctl);
# - no file is longer than 600 lines, no header than 250, and no function
#   than 80 (daemon/); no
#   file of lib/, include/ or client/ longer than 600 lines either;
# - the private headers are included only by the files of their room.
set -u
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
objs=$top_builddir/daemon/.libs
ls "$objs"/libnsdd_la-*.o >/dev/null 2>&1 || objs=$top_builddir/daemon
if ! ls "$objs"/libnsdd_la-*.o >/dev/null 2>&1; then
	echo "SKIP: no daemon objects in $top_builddir/daemon"
	exit 77
fi
command -v nm >/dev/null && command -v python3 >/dev/null ||
	{ echo "SKIP: needs nm and python3"; exit 77; }

exec python3 - "$objs" "$top_srcdir/daemon" <<'PY'
import glob, os, re, subprocess, sys

objs, src = sys.argv[1], sys.argv[2]
ROOMS = {"plans.h": {"plans.c", "supervisor.c", "start.c", "status.c", "setnext.c", "events.c",
                     "record.c", "limits.c", "kept.c", "watch.c"},
         "tracer.h": {"tracer.c", "tracee.c", "attach.c", "notify.c", "ptrace.c"}}
fails = []

def graph_of(pattern, prefix, srcdir):
    """Who calls or names whom among the files of one program, from the
    objects built: a file depends on the file that defines a function or
    data symbol (an ops table, a global) it uses."""
    defs, uses = {}, {}
    for o in sorted(glob.glob(pattern)):
        f = re.sub(r".*" + prefix + r"(.*)\.o$", r"\1", o)
        if not os.path.exists(os.path.join(srcdir, f + ".c")):
            continue  # an object left from a file that is gone
        uses.setdefault(f, set())
        for line in subprocess.run(["nm", o], capture_output=True, text=True).stdout.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBRC":
                defs[p[2]] = f
            elif len(p) == 2 and p[0] == "U":
                uses[f].add(p[1])
    graph = {f: set() for f in uses}
    for f, syms in uses.items():
        for s in syms:
            d = defs.get(s)
            if d is not None and d != f:
                graph[f].add(d)
    return graph

# A circle is a path back to where it started (depth-first, with colours).
def circles(graph, where):
    state, stack = {}, []
    def visit(f):
        state[f] = 1
        stack.append(f)
        for d in sorted(graph.get(f, ())):
            if state.get(d) == 1:
                fails.append("circle in %s: " % where + " -> ".join(stack[stack.index(d):] + [d]))
            elif d not in state:
                visit(d)
        stack.pop()
        state[f] = 2
    for f in sorted(graph):
        if f not in state:
            visit(f)

graph = graph_of(objs + "/libnsdd_la-*.o", "libnsdd_la-", src)
circles(graph, "daemon/")
print("daemon files: %d, dependencies: %d" % (len(graph), sum(map(len, graph.values()))))
top = os.path.dirname(src)
build = os.path.dirname(os.path.dirname(objs)) if objs.endswith("/.libs") else os.path.dirname(objs)
for where, pattern, prefix in (("lib/", "/lib/.libs/libnsd_core_la-*.o", "libnsd_core_la-"),
                               ("client/", "/client/nsdctl-*.o", "nsdctl-")):
    g = graph_of(build + pattern, prefix, os.path.join(top, where))
    circles(g, where)
    print("%s files: %d, dependencies: %d" % (where, len(g), sum(map(len, g.values()))))

for path in sorted(glob.glob(src + "/*.[ch]")):
    name = os.path.basename(path)
    lines = open(path).read().split("\n")
    if len(lines) - 1 > (250 if name.endswith(".h") else 600):
        fails.append("%s: %d lines" % (name, len(lines) - 1))
    start = None
    for i, l in enumerate(lines):
        if l == "{" and i > 0 and "(" in lines[i - 1] + (lines[i - 2] if i > 1 else ""):
            start = i
        elif l == "}" and start is not None:
            if i - start - 1 > 80:
                fails.append("%s:%d: a function of %d lines" % (name, start, i - start - 1))
            start = None
    for h, room in ROOMS.items():
        if re.search(r'^#include "%s"' % re.escape(h), "\n".join(lines), re.M) and \
           name not in room and name != h:
            fails.append("%s includes %s, the private header of %s" % (name, h, sorted(room)))

# lib/, include/nsd/ and client/: files split by job too.
top = os.path.dirname(src)
for path in sorted(glob.glob(top + "/lib/*.[ch]") + glob.glob(top + "/include/nsd/*.h") +
                   glob.glob(top + "/client/*.[ch]")):
    n = open(path).read().count("\n")
    if n > 600:
        fails.append("%s: %d lines" % (os.path.relpath(path, top), n))

for f in fails:
    print("FAIL:", f)
print("%d problems" % len(fails))
sys.exit(1 if fails else 0)
PY
