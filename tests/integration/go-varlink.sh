#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The varlink project's reference Go library (Debian's
# golang-github-varlink-go-dev) drives nsdd: GetInfo, GetInterfaceDescription
# through its IDL parser, calls whose "parameters" it sends as null, Submit,
# and Watch with "more" to the plan's end. It finds nsdd as orchestrators
# do, through the varlink registry: nsdd on its default socket, in a mount
# namespace of the test's own with a private /run, links
# /run/varlink/registry/io.nsdd.supervisor to it, and takes the link away
# when it stops.
if [ -z "${NSDD_TEST_MNTNS:-}" ] && [ "$(id -u)" = 0 ]; then
	NSDD_TEST_MNTNS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
mount -t tmpfs -o mode=755 tmpfs /run || skip "cannot mount a private /run"
NSDD_SOCKET=/run/nsdd/io.nsdd.supervisor
REGISTERED=/run/varlink/registry/io.nsdd.supervisor
command -v go >/dev/null || skip "no Go compiler (package golang-go)"
[ -d /usr/share/gocode/src/github.com/varlink/go/varlink ] ||
	skip "no varlink Go library (package golang-github-varlink-go-dev)"
mkdir -p "$T/go"
cp "$top_srcdir/tests/go/varlinkclient.go" "$T/go/main.go"
(cd "$T/go" && GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE=$T/gocache GOFLAGS= \
	go build -o "$T/varlinkclient" main.go) >"$T/build.log" 2>&1 ||
	fail "cannot build the Go client: $(cat "$T/build.log")"
start_nsdd

# The target: a shell in its own pid namespace, so that pid 300 is free there;
# it forks once the plan is in place.
mkfifo "$T/go-on"
unshare --pid --fork sh -c "read x <'$T/go-on'; /bin/true; sleep 0.2" &
runner=$!
for _ in $(seq 100); do
	target=$(pgrep -P "$runner" -x sh) && break
	sleep 0.05
done
[ -n "$target" ] || fail "the target shell did not start"
p=$(plan go <<J
{"version": 1, "target": {"pid": $target}, "tasks": {"target": [{"call": "fork", "pid": 300}]}}
J
)
( sleep 1; echo go >"$T/go-on" ) &
[ "$(readlink "$REGISTERED")" = "$NSDD_SOCKET" ] ||
	fail "not in the varlink registry: $(ls -l /run/varlink/registry 2>&1)"
"$T/varlinkclient" "$REGISTERED" "$p" >"$T/out" 2>&1 || fail "the Go client failed: $(cat "$T/out")"
wait "$runner"
out=$(cat "$T/out")
grep -qx 'product nsdd' "$T/out" || fail "GetInfo: $out"
grep -q '^interfaces .*io.nsdd.supervisor' "$T/out" || fail "GetInfo interfaces: $out"
grep -q '^idl io.nsdd.supervisor methods .*Submit.*Watch' "$T/out" || fail "IDL: $out"
grep -q '^info ' "$T/out" || fail "Info with null parameters: $out"
grep -qx 'list 0' "$T/out" || fail "List with null parameters: $out"
grep -q '^submitted [0-9a-f]\{16\} 1$' "$T/out" || fail "Submit: $out"
grep -qx 'event attached' "$T/out" || fail "Watch: no attached event: $out"
grep -qx 'event applied 300 300' "$T/out" || fail "Watch: no applied event: $out"
[ "$(tail -1 "$T/out")" = "event completed" ] || fail "Watch did not end with completed: $out"
stop_nsdd || exit 1
[ ! -e "$REGISTERED" ] || fail "the registry still names the stopped nsdd's socket"
pass "the reference Go varlink library finds nsdd in the varlink registry and drives it"
