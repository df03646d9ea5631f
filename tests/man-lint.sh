#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every man page is clean under mandoc -Tlint, warnings included.
command -v mandoc >/dev/null || { echo "SKIP: mandoc is not installed"; exit 77; }
rc=0
for m in "${top_srcdir:-.}"/man/*.[0-9]; do
	if ! out=$(mandoc -Tlint -W warning "$m" 2>&1) || [ -n "$out" ]; then
		echo "FAIL: $m: $out"
		rc=1
	fi
done
[ $rc = 0 ] && echo "PASS: man pages lint-clean"
exit $rc
