#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nsdd as the OCI runtime's seccomp agent: real containers under runc, crun
# and podman, whose seccomp profile names nsdd's OCI socket (listenerPath)
# and a plan (listenerMetadata). The container's pid 1 forks a child and a
# grandchild, a SysV IPC restorer and an fd restorer; each gets the plan's
# id. The rest (failing plans, two containers, hostile clients) uses runc.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v runc >/dev/null || skip "runc is not installed (tools/install-deps installs it)"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
	skip "busybox-static is not installed (tools/install-deps installs it)"

mkdir -p "$T/plans"
start_nsdd --oci-listener "$T/oci.sock" --oci-plans "$T/plans"
CONTAINERS=
# lib.sh's cleanup runs this first: no container outlives the test, nor
# the cgroups podman made for it.
test_before_stop() {
	local c
	for c in $CONTAINERS; do
		case $c in
		*-crun) crun delete -f "$c" >/dev/null 2>&1 ;;
		*-podman) podman rm -f "$c" >/dev/null 2>&1 ;;
		*) runc delete -f "$c" >/dev/null 2>&1 ;;
		esac
	done
	for c in $(find /sys/fs/cgroup -maxdepth 2 -type d -name libpod_parent); do
		case " $LIBPOD_BEFORE " in *" $c "*) continue ;; esac
		find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	return 0
}
LIBPOD_BEFORE=$(find /sys/fs/cgroup -maxdepth 2 -type d -name libpod_parent | tr '\n' ' ')

# A rootfs of busybox, and of test programs with the libraries they link
# (ldd: with a sanitizer build, its runtime too).
R=$T/rootfs
mkdir -p "$R/bin" "$R/data"
cp /bin/busybox "$R/bin/"
for c in sh echo cat; do ln -s busybox "$R/bin/$c"; done
for p in ipcrestore fdrestore sigfork forkwait; do
	cp "$PROGS/$p" "$R/bin/$p"
	for lib in $(ldd "$PROGS/$p" | grep -o '/[^ ]*'); do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
done
echo data >"$R/data/file"

# The profile: the plan's calls go to nsdd, and PLAN names the plan.
profile() {
	/usr/bin/python3 - "$T/oci.sock" "$1" <<'PY'
import json, sys
print(json.dumps({
    "defaultAction": "SCMP_ACT_ALLOW",
    "listenerPath": sys.argv[1],
    "listenerMetadata": sys.argv[2],
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [{"names": ["clone", "clone3", "fork", "vfork", "msgget", "semget", "shmget",
                            "open", "openat", "openat2", "creat"],
                  "action": "SCMP_ACT_NOTIFY"}]}))
PY
}
# bundle NAME PLAN CMD [ANNOTATIONS]: a bundle with that profile; CMD runs as
# pid 1; ANNOTATIONS (JSON) as the CRI plugin writes them.
bundle() {
	local b=$T/$1
	mkdir -p "$b"
	(cd "$b" && runc spec) || fail "runc spec"
	profile "$2" >"$b/profile.json"
	printf '%s' "$3" >"$b/cmd"
	/usr/bin/python3 - "$b/config.json" "$R" "$b/profile.json" "$3" "${4:-{\}}" <<'PY' || fail "config.json"
import json, sys
path, rootfs, profile, cmd, notes = sys.argv[1:]
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": False}
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c", cmd]
c["linux"]["seccomp"] = json.load(open(profile))
c["annotations"] = json.loads(notes)
json.dump(c, open(path, "w"), indent=1)
PY
}
# crun 1.8.1 refuses a cgroup v1 host with a cgroup2 hierarchy beside it
# ("hybrid"); an empty cgroup.controllers over that hierarchy's, in a mount
# namespace of the run's own, makes it go, and leaves the host as it was.
: >"$T/empty"
hybrid() {
	if [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
		unshare --mount --propagation private sh -c \
			'mount --bind "$0" /sys/fs/cgroup/unified/cgroup.controllers && exec "$@"' \
			"$T/empty" "$@"
	else
		"$@"
	fi
}
# podman sets RLIMIT_NOFILE to 1048576 by default (and ignores --ulimit with
# --rootfs here), which root without CAP_SYS_RESOURCE may not: lower ones.
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n' >"$T/containers.conf"
# run NAME: runs the container NAME (bundle $T/NAME) to its end, with the
# runtime its name ends with (runc by default). Container ids are the
# test's own ($CID NAME): runtimes name containers machine-wide.
CID=nsdd$$-
run() {
	local b=$T/$1 id=$CID$1
	CONTAINERS="$CONTAINERS $id"
	case $1 in
	*-crun) (cd "$b" && hybrid timeout 60 crun run "$id" </dev/null) ;;
	*-podman)
		CONTAINERS_CONF=$T/containers.conf hybrid timeout 60 podman run --name "$id" \
			--network none --security-opt seccomp="$b/profile.json" --rootfs "$R" \
			/bin/sh -c "$(cat "$b/cmd")" </dev/null
		;;
	*) (cd "$b" && timeout 60 runc run "$id" </dev/null) ;;
	esac >"$T/$1.out" 2>&1
}
expect() { grep -qx -- "$2" "$T/$1.out" || fail "$1: no '$2' in: $(cat "$T/$1.out")"; }
plan_of() { ctl --json list | tr -d '\n ' | sed 's/},{"id"/}\n{"id"/g' | grep "\"container\":\"$CID$1\""; }

# 1. The restore, under each runtime: pids of pid 1's children and
#    grandchild, an IPC id, an fd.
script='sh -c "echo child \$\$; sh -c \"echo grandchild \\\$\\\$\"; true"
	/bin/ipcrestore m:0; /bin/fdrestore o:/data/file; echo done'
n=0
for rt in runc crun podman; do
	command -v $rt >/dev/null || { echo "($rt is not installed: not tested)"; continue; }
	n=$((n + 1))
	cat >"$T/plans/restore-$rt.json" <<'J'
{"version": 1, "tasks": {
  "target": [{"call": "fork", "pid": 100}, {"call": "fork", "pid": 101}, {"call": "fork", "pid": 102}],
  "100": [{"call": "fork", "pid": 200}],
  "101": [{"call": "msgget", "id": 98304}],
  "102": [{"call": "open", "fd": 10, "path": "/data/file"}]}}
J
	bundle "c1-$rt" "restore-$rt" "$script"
	run "c1-$rt" || fail "$rt: exit $?: $(cat "$T/c1-$rt.out")"
	expect "c1-$rt" 'child 100'
	expect "c1-$rt" 'grandchild 200'
	expect "c1-$rt" 'm:0=98304'
	expect "c1-$rt" 'o:/data/file=10 cloexec=0'
	expect "c1-$rt" done
	[ "$(ctl list | grep -c 'completed  6/6 steps    container [0-9a-z-]*$')" = $n ] ||
		fail "$rt: $(ctl list)"
	pass "$rt: the container's children, grandchild, IPC id and fd are the plan's"
done

# 2. A plan that fails (pid 1 is taken: EEXIST) in a container whose pid 1
#    is the program that forks: with on_failure "detach" it goes on and sees
#    its fork fail; with "kill" it is killed before it can say so.
for how in detach kill; do
	printf '{"version": 1, "on_failure": "%s", "tasks": {"target": [{"call": "fork", "pid": 1}]}}\n' \
		$how >"$T/plans/fail-$how.json"
	# One signal, not a storm: each signal to a seized task costs stops.
	bundle "f$how" "fail-$how" 'exec /bin/sigfork 1 1000000'
	run "f$how"
	rc=$?
	plan_of "f$how" | grep -q '"state":"failed"' || fail "f$how: $(ctl --json list)"
	if [ $how = detach ]; then
		[ $rc = 1 ] || fail "fdetach: runc exited $rc: $(cat "$T/fdetach.out")"
		expect fdetach 'fork: File exists'
	else
		[ $rc = 137 ] && ! grep -q fork "$T/fkill.out" ||
			fail "fkill: runc exited $rc: $(cat "$T/fkill.out")"
	fi
done
pass "a failing plan: the container goes on (detach) or is killed (kill)"

# 3. Two containers at once, each with its plan; and one whose plan does not
#    exist, which runs as if nsdd were not there.
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 300}]}}' >"$T/plans/two-a.json"
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 400}]}}' >"$T/plans/two-b.json"
for c in a b; do
	bundle "two$c" "two-$c" 'sh -c "echo child \$\$"; sh -c "echo again \$\$"; echo done'
done
bundle nosuch nosuch 'sh -c "echo child \$\$"; echo done'
run twoa &
a=$!
run twob &
b=$!
run nosuch || fail "nosuch: $(cat "$T/nosuch.out")"
wait $a || fail "twoa: $(cat "$T/twoa.out")"
wait $b || fail "twob: $(cat "$T/twob.out")"
expect twoa 'child 300'
expect twob 'child 400'
expect nosuch done
grep -q "container ${CID}nosuch: not served (.*nosuch.json: No such file or directory); its calls are let through" \
	"$T/nsdd.log" || fail "nosuch: $(tail -5 "$T/nsdd.log")"
pass "two containers at once get their plans' pids; one with no plan runs untouched"

# 3b. A container that exits with steps left: its listener hangs up, and
#     the plan fails and says so.
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 500}, {"call": "fork", "pid": 501}]}}' \
	>"$T/plans/short.json"
bundle short short 'sh -c "echo child \$\$"; echo done'
run short || fail "short: $(cat "$T/short.out")"
expect short 'child 500'
for _ in $(seq 50); do plan_of short | grep -q '"state":"failed"' && break; sleep 0.1; done
id=$(plan_of short | sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p')
ctl status "$id" | grep -q 'error: task target exited \(with status 0 \)\?with 1 step pending' ||
	fail "short: $(ctl status "$id")"
pass "a container that exits with a step left: its plan fails, and says why"

# 4. Hostile clients on the OCI socket: each is logged and dropped, and
#    nsdd keeps no fd of theirs.
fds=$(nsdd_fds)
/usr/bin/python3 - "$T/oci.sock" <<'PY' || fail "hostile clients"
import json, os, socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s
state = {"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": os.getpid(), "metadata": "restore",
         "state": {"id": "evil", "status": "creating", "pid": os.getpid(), "bundle": "/"}}
s = conn(); s.close()                                          # nothing at all
s = conn(); s.sendall(b"{not json"); s.close()                 # not JSON
s = conn(); s.sendall(json.dumps(state).encode()); s.close()   # no fd
null = os.open("/dev/null", os.O_RDONLY)                       # an fd, not a listener
s = conn(); socket.send_fds(s, [json.dumps(state).encode()], [null]); s.close()
bad = dict(state, state=dict(state["state"], id="../../etc"))  # not a container id
s = conn(); socket.send_fds(s, [json.dumps(bad).encode()], [null]); s.close()
s = conn(); s.sendall(b" " * 70000); s.close()                  # too big
s = conn()                                                     # a byte at a time
start = time.time()
try:
    while time.time() - start < 8:
        s.send(b"{" if time.time() == start else b" ")
        time.sleep(0.25)
    sys.exit("a client trickling bytes was served for 8 seconds")
except (BrokenPipeError, ConnectionResetError):
    pass
time.sleep(0.5)
PY
ctl info >/dev/null || fail "nsdd stopped answering"
for why in 'closed with nothing sent' 'its state is not JSON' 'state: fds names 1 fds, 0 came' \
	'container evil: fd is not a seccomp listener' 'state: id is not a container id' \
	'its state is over 65536 bytes' 'no state within 5 seconds'; do
	grep -qF "$why" "$T/nsdd.log" || fail "hostile: no '$why' in: $(tail -12 "$T/nsdd.log")"
done
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(0)
sys.exit(1)' "$T/oci.sock" || fail "nobody could connect to the OCI socket"
wait_nsdd_fds "$fds"
pass "hostile clients on the OCI socket are dropped with the reason; only root may connect"

# 5. A forged state (issue 22, story 8): a real seccomp listener, but a pid
#    that is not under its filter (uid 65534's sleep), and a plan that kills
#    on failure. The plan fails (its filter's only task exits, or at its
#    timeout); the bystander lives on.
echo '{"version": 1, "on_failure": "kill", "timeout_ms": 500,
       "tasks": {"target": [{"call": "fork", "pid": 300}]}}' >"$T/plans/killer.json"
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 600 &
bystander=$!
/usr/bin/python3 - "$T/oci.sock" "$bystander" <<'PY' || fail "forged state"
import ctypes, json, os, socket, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
# A filter that notifies getppid and allows the rest, with a listener.
insns = [(0x20, 0, 0, 0),            # ld [nr]
         (0x15, 0, 1, 110),          # jeq getppid
         (0x06, 0, 0, 0x7fc00000),   # ret USER_NOTIF
         (0x06, 0, 0, 0x7fff0000)]   # ret ALLOW
code = b"".join(struct.pack("HBBI", *i) for i in insns)
buf = ctypes.create_string_buffer(code)
prog = struct.pack("HxxxxxxQ", len(insns), ctypes.addressof(buf))
pbuf = ctypes.create_string_buffer(prog)
libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
lfd = libc.syscall(317, 1, 8, pbuf)  # seccomp(SET_MODE_FILTER, NEW_LISTENER)
if lfd < 0:
    sys.exit("seccomp: %s" % os.strerror(ctypes.get_errno()))
pid = int(sys.argv[2])
state = {"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": pid, "metadata": "killer",
         "state": {"id": "forged", "status": "creating", "pid": pid, "bundle": "/"}}
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
socket.send_fds(s, [json.dumps(state).encode()], [lfd])
s.close()
os.close(lfd)
PY
wait_for "$T/nsdd.log" "attached to $bystander, container forged"
id=$(sed -n 's/^nsdd: plan \([0-9a-f]*\): attached to .*, container forged,.*/\1/p' "$T/nsdd.log")
wait_for "$T/nsdd.log" "plan $id failed: "
sleep 0.2
kill -0 "$bystander" 2>/dev/null || fail "forged: nsdd killed the bystander $bystander"
kill "$bystander"
wait "$bystander" 2>/dev/null
pass "a forged state's pid, not under its listener's filter, is never killed"

# 6. Exec and sandboxes (issue 23): the plan is the init's tree's. An exec
#    into the served container (runc exec, as ctr task exec and kubectl exec
#    make it) is served with no plan: its forks get the kernel's pids and
#    leave no plan behind (nsdd once made each exec a new plan, whose first
#    fork asked for the init's pid). A CRI container is listed by its names.
#    A CRI pod's sandbox gets no plan even with one named.
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 300}, {"call": "fork", "pid": 301}]}}' \
	>"$T/plans/web.json"
mkfifo "$R/data/web.go"
bundle web web 'sh -c "echo child \$\$"; read x </data/web.go; sh -c "echo child \$\$"; echo done' \
	'{"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-namespace": "default",
	  "io.kubernetes.cri.sandbox-name": "web-0", "io.kubernetes.cri.container-name": "app"}'
CONTAINERS="$CONTAINERS ${CID}web"
(cd "$T/web" && timeout 60 runc run -d "${CID}web" </dev/null >"$T/web.out" 2>&1) ||
	fail "web: $(cat "$T/web.out")"
wait_for "$T/web.out" '^child 300$'
for i in 1 2; do
	timeout 20 runc exec "${CID}web" sh -c 'sh -c "echo exec \$\$"; sh -c true; echo exec-ok' \
		>"$T/exec$i.out" 2>&1 || fail "exec $i: $(cat "$T/exec$i.out")"
	grep -qx exec-ok "$T/exec$i.out" || fail "exec $i: $(cat "$T/exec$i.out")"
	grep -qE '^exec (300|301)$' "$T/exec$i.out" && fail "exec $i took a planned pid: $(cat "$T/exec$i.out")"
done
[ "$(plan_of web | wc -l)" = 1 ] || fail "web: $(plan_of web | wc -l) plans for one container: $(ctl list)"
ctl list | grep -q ' running .*container default/web-0/app$' || fail "web: not listed by its names: $(ctl list)"
plan_of web | grep -q '"container_name":"default/web-0/app"' || fail "web: --json: $(plan_of web)"
# A plan for the served container, named as CRI names it, is refused: it has one.
ctl submit --container default/web-0/app "$T/plans/web.json" >"$T/web.twice" 2>&1 &&
	fail "web: a second plan for a served container, by its CRI name"
grep -q 'has a plan already' "$T/web.twice" || fail "web: twice: $(cat "$T/web.twice")"
echo go >"$R/data/web.go"
for _ in $(seq 100); do plan_of web | grep -q '"state":"completed"' && break; sleep 0.05; done
plan_of web | grep -q '"state":"completed"' || fail "web: $(plan_of web)"
expect web 'child 301'
runc delete -f "${CID}web" >/dev/null 2>&1
# An exec between two planned forks whose pids follow each other: runc's
# process for it forks into the namespace under no filter (it takes 301
# here), before nsdd hears of the exec, and the kernel's next pid moves
# unseen: in a container nsdd writes ns_last_pid for every planned fork,
# and the second gets 301 all the same (nsdd once wrote nothing for it,
# where the last fork had made 300, and it got 302).
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 300}, {"call": "fork", "pid": 301}]}}' \
	>"$T/plans/seq.json"
bundle seq seq 'FORKWAIT_CHILD_EXIT=1 exec /bin/forkwait 2'
# Its profile notifies the fork family alone: the exec's /bin/echo makes no
# call that comes to nsdd.
/usr/bin/python3 - "$T/seq/config.json" <<'PY' || fail "seq: config.json"
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["seccomp"]["syscalls"][0]["names"] = ["clone", "clone3", "fork", "vfork"]
json.dump(c, open(sys.argv[1], "w"), indent=1)
PY
CONTAINERS="$CONTAINERS ${CID}seq"
(cd "$T/seq" && timeout 60 runc run -d "${CID}seq" </dev/null >"$T/seq.out" 2>&1) ||
	fail "seq: $(cat "$T/seq.out")"
wait_for "$T/seq.out" '^waiting$'
timeout 20 runc exec "${CID}seq" /bin/echo exec-ok >"$T/seqexec.out" 2>&1 ||
	fail "seq: exec: $(cat "$T/seqexec.out")"
kill -USR1 "$(runc state "${CID}seq" | sed -n 's/^ *"pid": *\([0-9]*\),/\1/p')"
wait_for "$T/seq.out" '^done$'
grep -qx 'child=301' "$T/seq.out" || fail "seq: $(cat "$T/seq.out")"
runc delete -f "${CID}seq" >/dev/null 2>&1
cp "$T/plans/web.json" "$T/plans/pause.json"
bundle pause pause 'sh -c "echo child \$\$"; echo done' \
	'{"io.kubernetes.cri.container-type": "sandbox", "io.kubernetes.cri.sandbox-namespace": "default",
	  "io.kubernetes.cri.sandbox-name": "web-0"}'
run pause || fail "pause: $(cat "$T/pause.out")"
expect pause done
grep -qx 'child 300' "$T/pause.out" && fail "pause: the sandbox got a plan's pid"
[ -z "$(plan_of pause)" ] || fail "pause: a plan for the sandbox: $(plan_of pause)"
pass "execs into a served container and a pod's sandbox get no plan, and move no planned pid; a CRI container is listed by name"

# 7. Plans over the socket (issue 23): root submits a plan for a container
#    that has not started (nsdctl submit --container); it waits, listed as
#    waiting, and the container gets it whatever its profile's
#    listenerMetadata names (none here). By OCI id, and by CRI
#    NAMESPACE/POD/CONTAINER; a waiting plan can be cancelled, and one whose
#    container never comes expires, and its Watch says so.
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 700}]}}' >"$T/byid.json"
id=$(ctl submit --container "${CID}byid" "$T/byid.json") || fail "byid: submit: $id"
ctl list | grep -q "^$id  waiting .*container ${CID}byid$" || fail "byid: not waiting: $(ctl list)"
ctl submit --container "${CID}byid" "$T/byid.json" >"$T/twice" 2>&1 && fail "byid: a second plan for one container"
grep -q 'has a plan already' "$T/twice" || fail "byid: twice: $(cat "$T/twice")"
bundle byid none 'sh -c "echo child \$\$"; echo done'
run byid || fail "byid: $(cat "$T/byid.out")"
expect byid 'child 700'
ctl status "$id" | grep -q "^plan $id: completed, 1/1 steps" || fail "byid: $(ctl status "$id")"
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 701}]}}' >"$T/bycri.json"
id=$(ctl submit --container default/db-0/pg "$T/bycri.json") || fail "bycri: submit: $id"
bundle bycri none 'sh -c "echo child \$\$"; echo done' \
	'{"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.sandbox-namespace": "default",
	  "io.kubernetes.cri.sandbox-name": "db-0", "io.kubernetes.cri.container-name": "pg"}'
run bycri || fail "bycri: $(cat "$T/bycri.out")"
expect bycri 'child 701'
ctl --json status "$id" | tr -d ' \n' | grep -q "\"container\":\"${CID}bycri\",\"container_name\":\"default/db-0/pg\"" ||
	fail "bycri: $(ctl --json status "$id")"
id=$(ctl submit --container never-starts "$T/byid.json") || fail "cancel: submit: $id"
ctl cancel "$id" >/dev/null || fail "cancel: a waiting plan"
ctl status "$id" | grep -q "^plan $id: cancelled" || fail "cancel: $(ctl status "$id")"
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 702}]}, "target": {"container": "never-starts", "wait_ms": 300}}' \
	>"$T/expire.json"
ctl submit --wait "$T/expire.json" >"$T/expire.out" 2>&1 && fail "expire: the plan completed"
grep -q 'expired: no container never-starts started within 0 s' "$T/expire.out" ||
	fail "expire: $(cat "$T/expire.out")"
pass "plans submitted for containers: by id, by CRI name; waiting, cancelled, expired"
