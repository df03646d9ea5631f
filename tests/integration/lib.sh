# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the integration tests: each starts its own nsdd on a private
# socket (as tmux's regress/ does), and cleans up every process it made.
# Exit 77 means "cannot run here", and says why.

set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
NSDD=$top_builddir/daemon/nsdd
NSDCTL=$top_builddir/client/nsdctl
PROGS=$top_builddir/tests/progs
T=$(mktemp -d /tmp/nsdd-test.XXXXXX)
export NSDD_SOCKET=$T/sock
# Tests import tests/integration/vl.py: no __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
NSDD_PID=
# Unprivileged and without capabilities: clone3 set_tid is refused to it.
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"

# In a sanitizer build: LeakSanitizer cannot work in a ptraced process (it
# ptraces its own threads), so it is off for the tracees and on for nsdd.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*"
	[ -f "$T/nsdd.log" ] && { echo "--- nsdd log:"; tail -"${NSDD_LOG_LINES:-40}" "$T/nsdd.log"; }
	exit 1
}
pass() { echo "PASS: $*"; }

# The build tree must be reachable by unprivileged users for tests that run as them.
need_reachable_build() {
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$NSDCTL" ||
		skip "$NSDCTL cannot be run by an unprivileged user (a directory above it is private)"
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root: nsdd ptraces tasks and --new-ns makes namespaces"
}

# NSDD_WRAP: a command that execs nsdd (unshare -n, say).
readies() { local n; n=$(grep -c ' ready$' "$T/nsdd.log" 2>/dev/null); echo "${n:-0}"; }
start_nsdd() {
	local ready
	ready=$(readies)
	ASAN_OPTIONS=detect_leaks=1 ${NSDD_WRAP-} "$NSDD" -v --socket "$NSDD_SOCKET" "$@" \
		2>>"$T/nsdd.log" &
	NSDD_PID=$!
	# Ready once it says so: a stale socket file may exist before it binds,
	# and an nsdd started before it may have said so in the same log.
	for _ in $(seq 200); do
		[ "$(readies)" -gt "$ready" ] && return 0
		kill -0 "$NSDD_PID" 2>/dev/null || fail "nsdd did not start: $(cat "$T/nsdd.log")"
		sleep 0.05
	done
	fail "nsdd did not get ready on $NSDD_SOCKET"
}

# nsdd must exit 0 on SIGTERM: no crash at shutdown, and in a sanitizer build
# no leak (LeakSanitizer makes it exit 23).
stop_nsdd() {
	local rc
	[ -n "$NSDD_PID" ] || return 0
	kill -TERM "$NSDD_PID" 2>/dev/null
	wait "$NSDD_PID" 2>/dev/null
	rc=$?
	NSDD_PID=
	if [ $rc != 0 ]; then
		echo "FAIL: nsdd exited $rc on SIGTERM"
		tail -40 "$T/nsdd.log"
		return 1
	fi
}

# nsdd's open fds; wait_nsdd_fds N: they are N again within 2 s (nsdd reads
# a client's close in its loop, after the client has gone), or the test fails.
nsdd_fds() { ls "/proc/$NSDD_PID/fd" | wc -l; }
wait_nsdd_fds() {
	for _ in $(seq 40); do
		[ "$(nsdd_fds)" = "$1" ] && return 0
		sleep 0.05
	done
	fail "nsdd kept fds: $(ls -l "/proc/$NSDD_PID/fd")"
}

# Users and a group made for a test (make_users), removed at its end with
# every process of theirs.
MADE_USERS=
MADE_GROUP=
# make_users GROUP MEMBER [OUTSIDER]: MEMBER is in GROUP, OUTSIDER is not.
make_users() {
	local c
	for c in useradd userdel groupadd groupdel setpriv; do
		command -v $c >/dev/null || skip "$c is not installed"
	done
	need_reachable_build
	groupadd "$1" || skip "cannot create test group $1"
	MADE_GROUP=$1
	useradd -M -N -g users -G "$1" -s /bin/sh "$2" || skip "cannot create test user $2"
	MADE_USERS=$2
	if [ $# -gt 2 ]; then
		useradd -M -N -g users -s /bin/sh "$3" || skip "cannot create test user $3"
		MADE_USERS="$2 $3"
	fi
	chmod 755 "$T"
}
# as USER CMD...: CMD as USER, with the test's nsdd socket.
as() { local u=$1; shift; setpriv --reuid "$u" --regid users --init-groups env NSDD_SOCKET="$NSDD_SOCKET" "$@"; }

cleanup() {
	local bad=0
	# What must go before nsdd can stop (a test's tracee that stalls it), if any.
	if declare -F test_before_stop >/dev/null; then test_before_stop; fi
	stop_nsdd || bad=1
	# A test's own cleanup (users it made, say), if it defines one.
	if declare -F test_cleanup >/dev/null; then test_cleanup; fi
	for u in $MADE_USERS; do
		pkill -KILL -u "$u" 2>/dev/null
		userdel "$u" 2>/dev/null
	done
	[ -z "$MADE_GROUP" ] || groupdel "$MADE_GROUP" 2>/dev/null
	# Every process a test started has $T in its environment or arguments.
	for p in $(grep -l "$T" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
		[ "$p" != $$ ] && kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$T"
	# After every test: nothing leaked into nsdd's own IPC namespace.
	for k in msg sem shm; do
		v=$(cat /proc/sys/kernel/${k}_next_id 2>/dev/null) || continue
		if [ "$v" != -1 ]; then
			echo "FAIL: ${k}_next_id is $v after the test, not -1"
			bad=1
		fi
	done
	[ $bad = 0 ] || exit 1
}
trap cleanup EXIT

# A plan of N children of the target (pids 10..), each making one planned
# thread (pids TBASE..), for tests/progs/threadquit; MODE, if given.
thread_plan() {
	python3 - "$1" "$2" "${3:-}" <<'PY'
import json, sys
n, tbase, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
tasks = {"target": [{"call": "fork", "pid": 10 + i} for i in range(n)]}
for i in range(n):
    tasks[str(10 + i)] = [{"call": "thread", "pid": tbase + i}]
plan = {"version": 1, "tasks": tasks}
if mode:
    plan["mode"] = mode
print(json.dumps(plan))
PY
}

# NSDD_MODE=seccomp runs a test's `ctl run` plans in mode seccomp (seccomp-all.sh).
ctl() {
	local opts=()
	while [ "${1:-}" = --json ]; do
		opts+=("$1")
		shift
	done
	if [ -n "${NSDD_MODE:-}" ] && [ "${1:-}" = run ]; then
		shift
		set -- run --mode "$NSDD_MODE" "$@"
		[ -z "${NSDD_MODE_LOG:-}" ] || echo run >>"$NSDD_MODE_LOG"
	fi
	timeout "${CTL_TIMEOUT:-30}" "$NSDCTL" "${opts[@]}" "$@"
}

# Only 0, 1 and 2 go to the programs a test runs: close what its shell inherited.
close_inherited_fds() {
	local f n
	for f in /proc/$$/fd/*; do
		n=${f##*/}
		[ "$n" -gt 2 ] && eval "exec $n>&-"
	done
}

# The task runs untraced and is not stopped by anyone (ptrace(2): State t).
check_free() {
	local pid=$1 state tracer
	state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 0
	tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
	[ -z "$state" ] && return 0
	[ "$tracer" = 0 ] || fail "task $pid is still traced by $tracer"
	case $state in t | T) fail "task $pid is left stopped (state $state)" ;; esac
}

# wait_for FILE ERE [TRIES]: waits until FILE has a line matching ERE,
# looking TRIES times 0.05 s apart (200: 10 s), then fails.
wait_for() {
	local file=$1 re=$2 tries=${3:-200}
	for _ in $(seq "$tries"); do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "timed out waiting for /$re/ in $file: $(cat "$file")"
}

plan() { cat >"$T/$1.json"; echo "$T/$1.json"; }
