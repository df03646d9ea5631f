#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demonstration: start nsdd on a private socket, run a small process tree
# (/bin/sh, its child, and a grandchild in a subshell) under a plan in fresh
# pid and IPC namespaces, and show the progress and the pids the tree got;
# then the same in mode seccomp, at a fraction of the ptrace stops; then a
# shell that asks for its child's pid through next_syscall_data; then a run
# recorded as a plan and replayed with the same pids.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "demo: run me as root: nsdd ptraces the tree and --new-ns makes namespaces" >&2
	exit 1
fi
dir=$(mktemp -d /tmp/nsdd-demo.XXXXXX)
export NSDD_SOCKET=$dir/sock
./daemon/nsdd -v --socket "$NSDD_SOCKET" 2>"$dir/nsdd.log" &
nsdd=$!
trap 'kill $nsdd 2>/dev/null; wait $nsdd 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -S "$NSDD_SOCKET" ] && break; sleep 0.05; done

echo "== The plan (demo/tree.json): the shell's two forks get 1000 and 2000,"
echo "   and the subshell 2000 forks 2001."
cat demo/tree.json
script='echo "shell       pid $$"; sh -c "echo \"child       pid \$\$\""; (sh -c "echo \"grandchild  pid \$\$\""; true)'
echo
echo "== nsdctl run --new-ns demo/tree.json -- /bin/sh -c '$script'"
./client/nsdctl run --new-ns demo/tree.json -- /bin/sh -c "$script"
echo
last() { ./client/nsdctl --json list | sed -n 's/.*"id": *"\([0-9a-f]*\)".*/\1/p' | tail -1; }
echo "== nsdctl status: each task's pid as nsdd sees it, from the host, and what"
echo "   the plan cost: every syscall of a task with a step left stops it"
./client/nsdctl status "$(last)"
echo
echo "== The same plan in mode seccomp: a filter sends nsdd only the tree's forks"
echo "== nsdctl run --new-ns --mode seccomp demo/tree.json -- /bin/sh -c '...'"
./client/nsdctl run --new-ns --mode seccomp demo/tree.json -- /bin/sh -c "$script"
./client/nsdctl status "$(last)" | head -1
echo
echo "== The proposal's own interface, for a program that knows nothing of nsdd:"
echo "   it writes LONG1 XX to its next_syscall_data, and its next fork gets XX."
script2='echo "LONG1 4242" > /proc/self/task/$$/next_syscall_data; sh -c "echo \"forked      pid \$\$\""; true'
echo "== nsdctl run --new-ns --next-syscall-data -- /bin/sh -c '$script2'"
./client/nsdctl run --new-ns --next-syscall-data -- /bin/sh -c "$script2"
echo
echo "== Record a run's pids as a plan, then replay it in a namespace whose pid"
echo "   counter is at 500: natively the children would get 501, 502, ..."
script3='sh -c "echo \"child       pid \$\$\""; (sh -c "echo \"grandchild  pid \$\$\""; true)'
echo "== nsdctl record --new-ns -o recorded.json -- /bin/sh -c '$script3'"
./client/nsdctl record --new-ns -o "$dir/recorded.json" -- /bin/sh -c "$script3"
cat "$dir/recorded.json"
echo "== nsdctl run --new-ns recorded.json -- /bin/sh -c 'echo 500 >/proc/sys/kernel/ns_last_pid; ...'"
./client/nsdctl run --new-ns "$dir/recorded.json" -- \
	/bin/sh -c "echo 500 >/proc/sys/kernel/ns_last_pid; $script3"
echo
echo "== nsdd's log"
cat "$dir/nsdd.log"
