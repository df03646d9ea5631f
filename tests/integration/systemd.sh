#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A real systemd as PID 1 in private namespaces (systemd-nspawn: pid, mount,
# uts, ipc, net), on an overlay of / so that nothing on the host changes.
# nsdd is installed into the overlay, started by socket activation, runs a
# plan for nsdctl, keeps a tree in mode seccomp served across its restart,
# and stops cleanly, with its lines in the journal.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn (package systemd-container) is not installed"
[ -x /lib/systemd/systemd ] || skip "no systemd to boot"
grep -qw cgroup2 /proc/filesystems || skip "the kernel has no cgroup2 hierarchy for systemd"
S=$T/sd
mkdir -p "$S/upper" "$S/work" "$S/root"
printf '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 1000}, {"call": "fork", "pid": 2000}], "2000": [{"call": "fork", "pid": 2001}]}}' \
	>"$T/plan.json"

# Runs in a private mount namespace: every mount below goes away with it.
cat >"$T/boot.sh" <<'BOOT'
set -u
fail() { echo "FAIL: $*"; exit 1; }
mount -t overlay overlay -o "lowerdir=/,upperdir=$S/upper,workdir=$S/work" "$S/root" ||
	fail "cannot mount an overlay of /"
# systemd wants a cgroup2 hierarchy of its own; the host's stays untouched.
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null || exit 77
mkdir -p /sys/fs/cgroup/nsdd-test && echo $$ >/sys/fs/cgroup/nsdd-test/cgroup.procs
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install DESTDIR="$S/root" \
	>"$T/install.log" 2>&1 || fail "make install: $(tail "$T/install.log")"
# The container mounts its own /tmp: the plan goes to the overlay's root.
cp "$T/plan.json" "$S/root/nsdd-test-plan.json"
echo '{"version": 1, "mode": "seccomp", "tasks": {"target": [{"call": "fork", "pid": 1000}]}}' \
	>"$S/root/nsdd-test-seccomp.json"
# 150 forks, slowly: a fork that fails says so.
cat >"$S/root/nsdd-test-loop.sh" <<'LOOP'
i=0
while [ $i -lt 150 ]; do
	sh -c 'echo pid $$' || echo FAILED
	i=$((i + 1))
	sleep 0.02
done
echo done
LOOP
# A runc bundle whose container forks 300 times, slowly, with nsdd as its
# seccomp agent (plan "restart" in /etc/nsdd/oci): run across a restart.
OCI=no
if command -v runc >/dev/null && [ -x /bin/busybox ]; then
	OCI=yes
	mkdir -p "$S/root/etc/nsdd/oci" "$S/root/nsdd-oci/rootfs/bin" "$S/root/nsdd-oci-nosuch"
	echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 100}]}}' \
		>"$S/root/etc/nsdd/oci/restart.json"
	cp /bin/busybox "$S/root/nsdd-oci/rootfs/bin/"
	for c in sh echo sleep; do ln -s busybox "$S/root/nsdd-oci/rootfs/bin/$c"; done
	(cd "$S/root/nsdd-oci" && runc spec) || fail "runc spec"
	/usr/bin/python3 - "$S/root/nsdd-oci/config.json" <<'PY' || fail "config.json"
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["root"]["readonly"] = False
c["process"]["args"] = ["/bin/sh", "-c", 'i=0; while [ $i -lt 300 ]; do '
                        'sh -c "echo pid \\$\\$" || echo FAILED; i=$((i + 1)); sleep 0.02; done; echo done']
c["linux"]["seccomp"] = {
    "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/nsdd/oci.sock",
    "listenerMetadata": "restart", "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["clone", "clone3", "fork", "vfork"], "action": "SCMP_ACT_NOTIFY"}]}
json.dump(c, open(sys.argv[1], "w"))
# The same container with no plan of that name: served CONTINUE, and kept
# in the fd store too.
c["linux"]["seccomp"]["listenerMetadata"] = "nosuch"
c["root"]["path"] = "/nsdd-oci/rootfs"
json.dump(c, open(sys.argv[1].replace("nsdd-oci/", "nsdd-oci-nosuch/"), "w"))
PY
fi
# Units that would touch the host, or that the image enables for itself.
mask=$S/root/etc/systemd/system
for u in systemd-sysctl.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
	proc-sys-fs-binfmt_misc.mount systemd-modules-load.service systemd-timesyncd.service \
	systemd-udevd.service systemd-udev-trigger.service $(ls "$mask"/multi-user.target.wants 2>/dev/null); do
	ln -sf /dev/null "$mask/$u"
done
# nspawn's own seccomp filter, which the container's services inherit, lacks
# pidfd_getfd: nsdd needs it in mode seccomp.
systemd-nspawn -q -D "$S/root" --boot --keep-unit --register=no --private-network \
	--system-call-filter=pidfd_getfd --machine=nsddtest --console=pipe >"$T/console.log" 2>&1 &
nspawn=$!
pid1=
# Whatever happens, the container goes: killing its PID 1 ends its pid namespace.
teardown() {
	[ -n "$pid1" ] && kill -KILL "$pid1" 2>/dev/null
	kill -KILL "$nspawn" 2>/dev/null
	wait "$nspawn" 2>/dev/null
}
trap teardown EXIT
for _ in $(seq 200); do
	pid1=$(pgrep -P "$nspawn" -x systemd)
	[ -n "$pid1" ] && break
	sleep 0.1
done
[ -n "$pid1" ] || fail "systemd did not start: $(cat "$T/console.log")"
inside() { nsenter -t "$pid1" -a --wd=/ env -u NSDD_SOCKET "$@"; }
for _ in $(seq 300); do
	state=$(inside systemctl is-system-running 2>/dev/null)
	case $state in running | degraded) break ;; esac
	sleep 0.2
done
case $state in running | degraded) ;; *) fail "systemd did not boot ($state)" ;; esac
echo "booted: $state"
inside systemctl daemon-reload || fail "daemon-reload"
inside systemctl start nsdd.socket || fail "start nsdd.socket: $(inside systemctl status nsdd.socket 2>&1)"
[ "$(inside stat -c '%a %G' /run/nsdd/io.nsdd.supervisor)" = "660 nsd" ] ||
	fail "socket mode: $(inside stat -c '%a %G' /run/nsdd/io.nsdd.supervisor)"
[ "$(inside readlink /run/varlink/registry/io.nsdd.supervisor)" = /run/nsdd/io.nsdd.supervisor ] ||
	fail "nsdd.socket is not in the varlink registry: $(inside ls -l /run/varlink/registry)"
inside /usr/local/bin/nsdctl run --new-ns /nsdd-test-plan.json -- /bin/sh -c \
	'sh -c "echo child=\$\$"; (sh -c "echo grandchild=\$\$"; true)' >"$T/run.out" 2>&1 ||
	fail "nsdctl run: $(cat "$T/run.out"; inside journalctl -u nsdd --no-pager | tail -20)"
grep -qx 'child=1000' "$T/run.out" && grep -qx 'grandchild=2001' "$T/run.out" ||
	fail "pids: $(cat "$T/run.out")"
[ "$(inside systemctl is-active nsdd.service)" = active ] || fail "nsdd.service was not activated"
# Its short slice (nsdd(8), SCHEDULING), under the unit's own filters too.
if grep -qs '^se.slice' /proc/self/sched; then
	main=$(inside systemctl show -p MainPID --value nsdd.service)
	slice=$(inside cat "/proc/$main/sched" | awk '$1 == "se.slice" {print $3}')
	[ "$slice" = 100000 ] || fail "nsdd's slice under the unit: $slice"
fi
# Mode seccomp across a restart of nsdd: the filter's listener waits in the
# fd store meanwhile, and the tree's forks all succeed (with no store they
# would fail with ENOSYS).
# forking OUT FIRST: once OUT, the output of a tree that prints "pid N" at
# each fork, shows 20 forks, the first of them pid FIRST, nsdd is restarted.
forking() {
	for _ in $(seq 100); do
		[ "$(grep -c '^pid ' "$1")" -ge 20 ] && break
		sleep 0.1
	done
	grep -qx "pid $2" "$1" || fail "$1: $(cat "$1")"
	inside systemctl restart nsdd.service || fail "restart: $(inside systemctl status nsdd.service 2>&1)"
}
inside /usr/local/bin/nsdctl run --new-ns --mode seccomp /nsdd-test-seccomp.json -- \
	/bin/sh /nsdd-test-loop.sh >"$T/loop.out" 2>&1 &
loop=$!
forking "$T/loop.out" 1000
wait $loop || fail "seccomp run: exit $?: $(tail "$T/loop.out")"
grep -q FAILED "$T/loop.out" && fail "a fork failed across the restart: $(grep -v '^pid' "$T/loop.out")"
[ "$(grep -c '^pid ' "$T/loop.out")" = 150 ] && grep -qx done "$T/loop.out" ||
	fail "seccomp: $(tail "$T/loop.out")"
inside journalctl -u nsdd.service --no-pager | grep -q 'took 1 seccomp listener back from systemd' ||
	fail "no listener taken back: $(inside journalctl -u nsdd.service --no-pager | tail)"
# The OCI runtimes' socket came with the service, root's alone.
[ "$(inside stat -c '%a %U' /run/nsdd/oci.sock)" = "600 root" ] ||
	fail "oci socket: $(inside stat -c '%a %U' /run/nsdd/oci.sock 2>&1)"
inside journalctl -u nsdd.service --no-pager |
	grep -q "seccomp agent on the socket systemd passed" ||
	fail "no OCI socket from systemd: $(inside journalctl -u nsdd.service --no-pager | tail)"
# A runc container whose seccomp agent is nsdd: its plan is served, and its
# forks go on across a restart of nsdd (its listener waits in the fd store).
if [ $OCI = yes ]; then
	inside runc run --bundle /nsdd-oci nsdd-test-oci </dev/null >"$T/oci.out" 2>&1 &
	oci=$!
	inside runc run --bundle /nsdd-oci-nosuch nsdd-test-nosuch </dev/null >"$T/nosuch.out" 2>&1 &
	nosuch=$!
	forking "$T/oci.out" 100
	wait $oci || fail "oci: runc exited $?: $(tail "$T/oci.out")"
	wait $nosuch || fail "oci nosuch: runc exited $?: $(tail "$T/nosuch.out")"
	for f in oci nosuch; do
		grep -q FAILED "$T/$f.out" && fail "$f: a fork failed across the restart"
		[ "$(grep -c '^pid ' "$T/$f.out")" = 300 ] && grep -qx done "$T/$f.out" ||
			fail "$f: $(tail "$T/$f.out")"
	done
	inside journalctl -u nsdd.service --no-pager | grep -q 'took 2 seccomp listeners back' ||
		fail "oci: no listeners taken back: $(inside journalctl -u nsdd.service --no-pager | tail)"
	inside journalctl -u nsdd.service --no-pager | grep -q 'container nsdd-test-oci, 1 tasks' ||
		fail "oci: no plan for the container"
	echo "two runc containers (one with a plan, one without) kept forking across a restart of nsdd"
else
	echo "(runc or busybox-static is missing: the OCI part is not run)"
fi
inside systemctl stop nsdd.service nsdd.socket nsdd-oci.socket
[ "$(inside systemctl show -p Result --value nsdd.service)" = success ] ||
	fail "nsdd did not stop cleanly: $(inside systemctl status nsdd.service 2>&1)"
inside journalctl -u nsdd.service --no-pager >"$T/journal" 2>&1
grep -q 'nsdd 0.1.0 ready' "$T/journal" && grep -q 'listening on the socket systemd passed' "$T/journal" &&
	grep -q 'plan .* completed (3/3 steps)' "$T/journal" && grep -q 'exiting' "$T/journal" ||
	fail "journal: $(cat "$T/journal")"
# A clean halt first; the trap makes sure of the rest.
kill -TERM "$nspawn"
for _ in $(seq 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
exit 0
BOOT
S=$S T=$T top_builddir=$top_builddir timeout 240 unshare --mount --propagation private bash "$T/boot.sh"
rc=$?
[ $rc = 77 ] && skip "cannot mount a cgroup2 hierarchy for systemd here"
[ $rc = 0 ] || fail "systemd test (exit $rc)"
pass "socket-activated nsdd under a real systemd: plans ran; a tree in mode seccomp and a runc container kept forking across restarts of nsdd (fd store); stopped cleanly"
