#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# containerd, the runtime of every Kubernetes node (Debian's 1.6, with ctr),
# hands nsdd its containers through runc unchanged: the profile's
# listenerPath is nsdd's OCI socket. The test starts its own containerd with
# a private config, root and state under $T (no systemctl, no CRI plugin: it
# wants a network), and an image built here from a busybox rootfs as an OCI
# layout and imported with `ctr image import`. Then:
# 1. a container whose profile names a plan file gets its pid;
# 2. a plan submitted over the socket before `ctr run` (nsdctl submit
#    --container) serves the container, whatever its profile names;
# 3. `ctr task exec` into a served container: the exec's forks all succeed
#    with the kernel's pids, the container's own get the plan's, and one
#    plan is listed for the container;
# 4. two containers at once, each with its submitted plan.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v containerd >/dev/null && command -v ctr >/dev/null ||
	skip "containerd is not installed (tools/install-deps installs it)"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
	skip "busybox-static is not installed (tools/install-deps installs it)"
NS=nsddtest
CTR="ctr -a $T/containerd.sock -n $NS"
test_before_stop() {
	local c
	for c in $($CTR tasks ls -q 2>/dev/null); do $CTR tasks kill -s KILL "$c" >/dev/null 2>&1; done
	sleep 0.3
	for c in $($CTR containers ls -q 2>/dev/null); do
		$CTR tasks delete -f "$c" >/dev/null 2>&1
		$CTR containers delete "$c" >/dev/null 2>&1
	done
	[ -z "${CONTAINERD:-}" ] || { kill "$CONTAINERD"; wait "$CONTAINERD" 2>/dev/null; }
	pkill -f "containerd-shim.*$T" 2>/dev/null
	grep -F " $T/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
	return 0
}

mkdir -p "$T/plans"
start_nsdd --oci-listener "$T/oci.sock" --oci-plans "$T/plans"
cat >"$T/containerd.toml" <<TOML
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/containerd.sock"
[ttrpc]
  address = "$T/containerd.sock.ttrpc"
TOML
containerd --config "$T/containerd.toml" >"$T/containerd.log" 2>&1 &
CONTAINERD=$!
for _ in $(seq 100); do $CTR version >/dev/null 2>&1 && break; sleep 0.1; done
$CTR version >/dev/null 2>&1 || fail "containerd did not start: $(tail -5 "$T/containerd.log")"

# The image: a busybox rootfs as an OCI layout, imported with ctr.
/usr/bin/python3 - "$T" <<'PY' || fail "the image layout"
import hashlib, io, json, os, shutil, sys, tarfile
t = sys.argv[1]
root, lay = t + "/rootfs", t + "/layout"
os.makedirs(root + "/bin"); os.makedirs(lay + "/blobs/sha256")
shutil.copy("/bin/busybox", root + "/bin/busybox")
for applet in ["sh", "echo", "cat", "mkfifo"]:
    os.symlink("busybox", root + "/bin/" + applet)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open("%s/blobs/sha256/%s" % (lay, d), "wb").write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as tar:
    tar.add(root, arcname=".")
layer = blob(buf.getvalue())
config = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                          "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode())
manifest = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
    "layers": [dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar")]}).encode())
json.dump({"schemaVersion": 2, "manifests": [dict(manifest,
    mediaType="application/vnd.oci.image.manifest.v1+json",
    annotations={"org.opencontainers.image.ref.name": "nsdd.test/busybox:1"})]},
    open(lay + "/index.json", "w"))
open(lay + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
with tarfile.open(t + "/image.tar", "w") as tar:
    tar.add(lay, arcname=".")
PY
# The layout's index names the image (org.opencontainers.image.ref.name).
$CTR image import "$T/image.tar" >"$T/import.log" 2>&1 ||
	fail "ctr image import: $(cat "$T/import.log")"
$CTR image ls -q | grep -qx nsdd.test/busybox:1 || fail "no image after the import: $($CTR image ls)"
IMAGE=nsdd.test/busybox:1

# profile NAME: the node's profile, naming plan NAME.
profile() {
	/usr/bin/python3 - "$T/oci.sock" "$1" <<'PY' >"$T/$1.profile"
import json, sys
print(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": sys.argv[1],
    "listenerMetadata": sys.argv[2],
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "syscalls": [{"names": ["clone", "clone3", "fork", "vfork", "msgget", "semget", "shmget",
                            "open", "openat", "openat2", "creat"], "action": "SCMP_ACT_NOTIFY"}]}))
PY
	echo "$T/$1.profile"
}
# crun ID PROFILE CMD: ctr run to the container's end; its output in $T/ID.out.
# The container writes there itself (the file is bind-mounted at /out):
# ctr, which copies a container's output through the shim, at times loses
# all of a container that exits at once. Both append.
crun() {
	: >"$T/$1.out"
	timeout 60 $CTR run --rm --seccomp --seccomp-profile "$2" \
		--mount "type=bind,src=$T/$1.out,dst=/out,options=rbind:rw" "$IMAGE" "$1" \
		sh -c "exec >>/out 2>&1; $3" </dev/null >>"$T/$1.out" 2>&1
}
expect() { grep -qx -- "$2" "$T/$1.out" || fail "$1: no '$2' in: $(cat "$T/$1.out")"; }
CHILD='sh -c "echo child \$\$"; echo done'

# 1. A plan by file: the profile's listenerMetadata names it.
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 300}]}}' >"$T/plans/restore.json"
crun c1 "$(profile restore)" "$CHILD" || fail "c1: $(cat "$T/c1.out")"
expect c1 'child 300'
ctl list | grep -q 'completed  1/1 steps    container c1$' || fail "c1: $(ctl list)"
pass "containerd: a container whose profile names a plan file gets the plan's pid"

# 2. A plan submitted before ctr run; the node's one profile names no plan.
NODE=$(profile node)
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 310}]}}' >"$T/c2.json"
id=$(ctl submit --container c2 "$T/c2.json") || fail "c2: submit: $id"
ctl status "$id" | grep -q "^plan $id: waiting" || fail "c2: $(ctl status "$id")"
crun c2 "$NODE" "$CHILD" || fail "c2: $(cat "$T/c2.out")"
expect c2 'child 310'
ctl status "$id" | grep -q "^plan $id: completed, 1/1 steps" || fail "c2: $(ctl status "$id")"
pass "containerd: a plan submitted over the socket serves the container ctr runs next"

# 3. ctr task exec into a served container.
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 320}, {"call": "fork", "pid": 321},
       {"call": "fork", "pid": 322}]}}' >"$T/c3.json"
id=$(ctl submit --container c3 "$T/c3.json") || fail "c3: submit: $id"
crun c3 "$NODE" 'sh -c "echo child \$\$"; mkfifo /go; read x </go; sh -c "echo child \$\$"; echo done' &
run3=$!
wait_for "$T/c3.out" '^child 320$'
for _ in $(seq 100); do $CTR tasks exec --exec-id probe c3 test -p /go 2>/dev/null && break; sleep 0.1; done
for i in 1 2 3; do
	timeout 20 $CTR tasks exec --exec-id "e$i" c3 sh -c 'sh -c "echo exec \$\$"; sh -c true; echo exec-ok' \
		>"$T/exec$i.out" 2>&1 || fail "exec $i: $(cat "$T/exec$i.out")"
	grep -qx exec-ok "$T/exec$i.out" || fail "exec $i: $(cat "$T/exec$i.out")"
	grep -qE '^exec 32[0-2]$' "$T/exec$i.out" && fail "exec $i took a planned pid: $(cat "$T/exec$i.out")"
done
$CTR tasks exec --exec-id go c3 sh -c 'echo go >/go' || fail "c3: cannot let it go on"
wait $run3 || fail "c3: $(cat "$T/c3.out")"
expect c3 'child 322'
ctl status "$id" | grep -q "^plan $id: completed, 3/3 steps" || fail "c3: $(ctl status "$id")"
[ "$(ctl list | grep -c 'container c3$')" = 1 ] || fail "c3: more than one plan: $(ctl list)"
pass "containerd: ctr task exec into a served container forks freely; the container keeps its plan"

# 4. Two containers at once.
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 400}, {"call": "fork", "pid": 401}]}}' >"$T/c4a.json"
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 500}, {"call": "fork", "pid": 501}]}}' >"$T/c4b.json"
ctl submit --container c4a "$T/c4a.json" >/dev/null || fail "c4a: submit"
ctl submit --container c4b "$T/c4b.json" >/dev/null || fail "c4b: submit"
TWICE='sh -c "echo child \$\$"; sh -c "echo child \$\$"; echo done'
crun c4a "$NODE" "$TWICE" &
a=$!
crun c4b "$NODE" "$TWICE" &
b=$!
wait $a || fail "c4a: $(cat "$T/c4a.out")"
wait $b || fail "c4b: $(cat "$T/c4b.out")"
expect c4a 'child 400'
expect c4a 'child 401'
expect c4b 'child 500'
expect c4b 'child 501'
pass "containerd: two containers at once, each with the pids of its own plan"

# 5. Without nsdd (no systemd to hold its socket and its listeners): a
#    served container's next fork fails with ENOSYS (its filter has no
#    listener), and an exec or a container whose profile names nsdd cannot
#    start.
echo '{"version": 1, "tasks": {"target": [{"call": "fork", "pid": 600}, {"call": "fork", "pid": 601}]}}' >"$T/c5.json"
ctl submit --container c5 "$T/c5.json" >/dev/null || fail "c5: submit"
crun c5 "$NODE" 'sh -c "echo child \$\$"; mkfifo /go; read x </go; sh -c "echo child \$\$"; echo done' &
run5=$!
wait_for "$T/c5.out" '^child 600$'
init=$($CTR tasks ls | awk '$1 == "c5" {print $2}')
for _ in $(seq 100); do [ -p "/proc/$init/root/go" ] && break; sleep 0.1; done
stop_nsdd || fail "nsdd did not stop"
$CTR tasks exec --exec-id e5 c5 sh -c 'echo exec' >"$T/exec5.out" 2>&1 &&
	fail "an exec started while nsdd was down: $(cat "$T/exec5.out")"
grep -q 'seccomp agent' "$T/exec5.out" || fail "exec 5 failed for another reason: $(cat "$T/exec5.out")"
echo go >"/proc/$init/root/go" # from the host: the container's fork comes next
wait $run5
grep -q 'Function not implemented' "$T/c5.out" || fail "c5: its fork did not fail with ENOSYS: $(cat "$T/c5.out")"
crun c6 "$NODE" "$CHILD" && fail "c6: a container started while nsdd was down"
grep -q 'failed to connect with seccomp agent' "$T/c6.out" || fail "c6 failed for another reason: $(cat "$T/c6.out")"
pass "containerd without nsdd: a served container's forks fail (ENOSYS); execs and new containers cannot start"
