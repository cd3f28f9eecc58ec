#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# tests/run-all.sh - the README's test command: install what is missing,
# then build and run every test suite twice (a -Werror build and an
# ASan/UBSan build), a bounded fuzz run, `make distcheck`, and the Debian
# packages (tests/deb-check.sh: dpkg-buildpackage and lintian;
# tests/deb-boot.sh: installed in a Debian booted under systemd).  Ends with
# one line "N passed, N failed, N skipped" summed over every suite, and
# fails when anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

bash tests/deps.sh || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
# Debian packages the tests boot (GNU Mach, memtest86+, Linux) are fetched
# once for every build here, never committed
export DBGPROXY_DEB_CACHE="$top/.deb-cache"

steps_failed=0
step() {
	echo "== $*"
	if ! "$@"; then
		echo "!! step failed: $*"
		steps_failed=$((steps_failed + 1))
		return 1
	fi
}

step autoreconf -fi >/dev/null || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# suite NAME CONFIGURE-FLAGS...: configure, build, make check in build-NAME
suite() {
	local name=$1; shift
	local dir="$top/build-$name"
	rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || return 1
	step "$top/configure" --enable-werror "$@" >/dev/null &&
	step make -j"$jobs" >/dev/null &&
	step make -j"$jobs" check
	local rc=$?
	cd "$top"
	return $rc
}

suite plain
suite asan --enable-sanitizers
# fuzzing: bounded, its chatter kept in a log; the summary line is shown
if (cd build-plain && step make fuzz FUZZ_SECONDS=20 > fuzz.log 2>&1); then
	grep -h '^Done' build-plain/fuzz.log | sed 's/^/fuzz: /'
else
	tail -30 build-plain/fuzz.log
	steps_failed=$((steps_failed + 1))
fi
(cd build-plain && step make -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror >/dev/null) ||
	steps_failed=$((steps_failed + 1))
# the Debian packages from the release tree: dpkg-buildpackage, lintian
# (tests/deb-check.sh), then installed and run under systemd-nspawn
# (tests/deb-boot.sh); their results are counted with the suites'.
(cd build-plain && step make check TESTS="tests/deb-check.sh tests/deb-boot.sh" >/dev/null) ||
	steps_failed=$((steps_failed + 1))

# Sum the per-test results automake recorded (.trs) in both builds.
pass=0 fail=0 skip=0
while IFS= read -r line; do
	case "$line" in
	*":test-result: PASS"*|*":test-result: XFAIL"*) pass=$((pass + 1)) ;;
	*":test-result: SKIP"*) skip=$((skip + 1)) ;;
	*":test-result: "*) fail=$((fail + 1)) ;;
	esac
done < <(find build-plain build-asan -name '*.trs' -not -path '*/_build/*' -exec cat {} + 2>/dev/null)

# Say why anything was skipped.
grep -h -E '^(SKIP|ok .* # SKIP)' $(find build-plain build-asan -name '*.log' -not -path '*/_build/*') \
	2>/dev/null | sort | uniq -c | sed 's/^/skipped: /' || true

if [ "$steps_failed" -gt 0 ] && [ "$fail" -eq 0 ]; then
	fail=$steps_failed   # a build, fuzz or distcheck failure counts as a failure
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$steps_failed" -eq 0 ]
