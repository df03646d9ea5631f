#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every fuzz target's function runs clean over its seed corpus.
for t in plan longn framing dispatch; do
	"${top_builddir:-.}/tests/fuzz/replay-$t" "${top_srcdir:-.}/tests/fuzz/corpus/$t" || {
		echo "FAIL: replay-$t"
		exit 1
	}
done
echo "PASS: seed corpora replayed"
