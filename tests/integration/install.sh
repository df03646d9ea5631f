#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make install puts everything where a user looks for it, and the README's C
# restorer builds against the installed libnsd with pkg-config alone and
# gets its pid through SetNext.
. "${top_srcdir:-.}/tests/integration/lib.sh"
need_root
command -v pkg-config >/dev/null || skip "no pkg-config"
root=$T/root
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install DESTDIR="$root" \
	>"$T/install.log" 2>&1 || fail "make install: $(tail -20 "$T/install.log")"
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/nsd.pc")
for f in "$prefix/sbin/nsdd" "$prefix/bin/nsdctl" "$prefix/share/man/man8/nsdd.8" \
	"$prefix/share/man/man1/nsdctl.1" "$prefix/share/man/man5/nsd-plan.5" \
	"$prefix/share/varlink/io.nsdd.supervisor.varlink" "$prefix/include/nsd/client.h" \
	"$prefix/include/nsd/plan.h" "$prefix/include/nsd/varlink.h" "$prefix/lib/libnsd.so" \
	"$prefix/lib/pkgconfig/nsd.pc"; do
	[ -e "$root$f" ] || fail "not installed: $f"
done
# The unit and sysusers directories are systemd.pc's (or configure's), not the prefix's.
for f in systemd/system/nsdd.service systemd/system/nsdd.socket sysusers.d/nsd.conf; do
	find "$root" -path "*/$f" | grep -q . || fail "not installed: .../$f"
done
ls "$root$prefix"/share/bash-completion/completions/nsdctl "$root"/usr/share/bash-completion/completions/nsdctl \
	2>/dev/null | grep -q . || fail "no bash completion installed"
cmp -s "$root$prefix/share/varlink/io.nsdd.supervisor.varlink" \
	"$top_srcdir/data/io.nsdd.supervisor.varlink" || fail "installed IDL differs"
# Run from where they are installed, with no ldconfig and no LD_LIBRARY_PATH:
# the project's own library is linked into them.
for b in "$root$prefix/sbin/nsdd" "$root$prefix/bin/nsdctl"; do
	! readelf -d "$b" | grep -q 'NEEDED.*libnsd' || fail "$b needs libnsd.so at run time"
done
"$root$prefix/sbin/nsdd" --version | grep -qx "nsdd $(
	sed -n 's/^Version: //p' "$top_builddir/nsd.pc")" || fail "nsdd --version"
"$root$prefix/bin/nsdctl" --version | grep -q '^nsdctl ' ||
	fail "nsdctl --version"
for c in submit run status list watch cancel info set; do
	"$root$prefix/bin/nsdctl" $c --help | grep -q "^usage: nsdctl $c" ||
		fail "nsdctl $c --help"
done

# The README's restorer, compiled with pkg-config against the installed tree.
sed -n '/^```c$/,/^```$/p' "$top_srcdir/README.md" | sed '1d;$d' >"$T/restorer.c"
[ -s "$T/restorer.c" ] || fail "no C example in the README"
flags=$(PKG_CONFIG_PATH=$root$prefix/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
	pkg-config --cflags --libs nsd) || fail "pkg-config nsd"
# With the build's own flags: a sanitizer build's libnsd needs its runtime.
build_cflags=$(sed -n 's/^CFLAGS = //p' "$top_builddir/Makefile")
build_ldflags=$(sed -n 's/^LDFLAGS = //p' "$top_builddir/Makefile")
cc -Wall -Werror $build_cflags "$T/restorer.c" $flags $build_ldflags -o "$T/restorer" 2>"$T/cc.log" ||
	fail "cc: $(cat "$T/cc.log")"
start_nsdd
LD_LIBRARY_PATH=$root$prefix/lib timeout 30 unshare --pid --fork "$T/restorer" >"$T/out" 2>&1 ||
	fail "the README's restorer: $(cat "$T/out")"
grep -qx 'child 4000' "$T/out" || fail "restorer: $(cat "$T/out")"
pass "make install, nsd.pc, and the README's C restorer"
