#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The systemd units as built: systemd-analyze verify is clean, and the
# service's exposure is what the README says.
. "${top_srcdir:-.}/tests/integration/lib.sh"
command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
mkdir "$T/units"
# ExecStart names the installed binary; verify wants an executable there.
sed "s|^ExecStart=.*|ExecStart=$(cd "$top_builddir" && pwd)/daemon/nsdd|" \
	"$top_builddir/systemd/nsdd.service" >"$T/units/nsdd.service"
cp "$top_srcdir/systemd/nsdd.socket" "$T/units/"
out=$(cd "$T/units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
	nsdd.service nsdd.socket 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify said: $out"
grep -q '^ExecStart=.*/sbin/nsdd$' "$top_builddir/systemd/nsdd.service" || fail "ExecStart"
exposure=$(systemd-analyze security --offline=yes "$T/units/nsdd.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for nsdd.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || skip "systemd-analyze security --offline is not available"
grep -q "exposure level $exposure" "$top_srcdir/README.md" ||
	fail "the README does not give the exposure level $exposure"
pass "units verify clean; exposure $exposure"
