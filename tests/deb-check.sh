#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# deb-check.sh - the Debian packages: from the release tree (`make distdir`),
# `dpkg-buildpackage -us -uc -b` builds them, lintian finds no error and no
# warning in them, they hold the programs, plugins, manual pages, documents
# and every systemd unit `make install` installs, and the packaged daemon
# runs.  Skipped, with the reason, where debhelper or lintian is missing.
#
# Not part of the default `make check` (it builds the whole tree once more):
# tests/run-all.sh runs it as `make check TESTS=tests/deb-check.sh`.  The
# package's own test run is left out (DEB_BUILD_OPTIONS=nocheck): make check
# ran those suites already; `DEB_CHECK_TESTS=1` runs them as a buildd would.
# Its work is kept in tests/deb-work when it fails.
set -uo pipefail
me=deb-check
skip() { echo "$me: SKIP: $*"; exit 77; }
fail() { echo "$me: FAIL: $*"; exit 1; }

command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage not found (apt-get install dpkg-dev)"
command -v dh >/dev/null || skip "debhelper not installed (apt-get install debhelper)"
command -v lintian >/dev/null || skip "lintian not installed (apt-get install lintian)"

build=$PWD
work=$build/tests/deb-work
rm -rf "$build/tests/debs"   # deb-boot.sh must not find an older run's
rm -rf "$work" && mkdir -p "$work" || exit 99
echo "$me: the release tree in $work/src"
${MAKE:-make} -s -C "$build" distdir distdir="$work/src" top_distdir="$work/src" > "$work/dist.log" 2>&1 ||
	{ cat "$work/dist.log"; fail "make distdir failed"; }
cd "$work/src" || exit 99
if ! missing=$(dpkg-checkbuilddeps 2>&1); then
	skip "build dependencies not installed: ${missing#*: }"
fi

opts="parallel=$(nproc 2>/dev/null || echo 2)"
[ -n "${DEB_CHECK_TESTS:-}" ] || opts="$opts nocheck"
echo "$me: dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=$opts)"
start=$(date +%s)
# without the make variables of the make check running this test: its
# TESTS=tests/deb-check.sh would reach the package's own make check
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES DEB_BUILD_OPTIONS="$opts" \
		dpkg-buildpackage -us -uc -b > "$work/build.log" 2>&1; then
	tail -40 "$work/build.log"
	fail "dpkg-buildpackage failed (log: $work/build.log)"
fi
echo "$me: built in $(( $(date +%s) - start )) s:" "$(cd "$work" && ls ./*.deb)"
grep -E '^dpkg-shlibdeps: warning' "$work/build.log" && fail "dpkg-shlibdeps warned (above)"

changes=$(ls "$work"/*.changes)
echo "$me: lintian --fail-on error,warning"
if ! lintian --fail-on error,warning --tag-display-limit 0 "$changes" > "$work/lintian.log" 2>&1; then
	cat "$work/lintian.log"
	fail "lintian found errors or warnings"
fi
cat "$work/lintian.log"

# contents: PACKAGE PATTERN... (grep -E patterns over dpkg-deb -c paths)
deb_of() { ls "$work/$1"_*.deb 2>/dev/null | head -n 1; }
has() {
	local pkg=$1 deb; shift
	deb=$(deb_of "$pkg")
	[ -n "$deb" ] || fail "no $pkg package built"
	dpkg-deb -c "$deb" | awk '{ print $6 }' > "$work/$pkg.list"
	for p in "$@"; do
		grep -qE "^\./$p\$" "$work/$pkg.list" || fail "$pkg lacks $p"
	done
}
has dbgproxyd usr/bin/dbgproxyd 'usr/lib/[^/]+/dbgproxyd/plugins/bptrace\.so' \
	usr/include/dbgproxyd-plugin.h 'usr/lib/[^/]+/pkgconfig/dbgproxyd-plugin\.pc' \
	'usr/share/man/man8/dbgproxyd\.8\.gz' 'usr/share/man/man7/vmdbg\.7\.gz' \
	'usr/share/man/man7/dbgproxyd-plugin\.7\.gz' 'usr/share/doc/dbgproxyd/README\.md(\.gz)?' \
	'usr/share/doc/dbgproxyd/vmdbg\.md(\.gz)?' usr/share/doc/dbgproxyd/copyright \
	etc/dbgproxyd/dbgproxyd.conf 'usr/lib/[^/]+/dbgproxyd/plugins/tasks\.so' \
	'usr/lib/[^/]+/dbgproxyd/plugins/taskprof\.so' usr/include/dbgproxyd-tasks.h \
	'usr/share/man/man5/dbgproxyd\.conf\.5\.gz' usr/lib/sysusers.d/dbgproxyd.conf \
	usr/lib/systemd/catalog/dbgproxyd.catalog
has libvmdbg0 'usr/lib/[^/]+/libvmdbg\.so\.0\.0\.0'
has libvmdbg-dev usr/bin/vmdbg-conform usr/include/vmdbg.h usr/include/vmdbg-codec.h \
	'usr/lib/[^/]+/libvmdbg\.a' 'usr/lib/[^/]+/pkgconfig/vmdbg\.pc' \
	'usr/share/man/man1/vmdbg-conform\.1\.gz'
if [ "$(dpkg --print-architecture)" = amd64 ]; then
	has dbgproxy-vm usr/bin/dbgproxy-vm 'usr/share/man/man1/dbgproxy-vm\.1\.gz' \
		usr/share/doc/dbgproxy-vm/copyright
fi
# every systemd unit make install put in the tree is in a package
units=0
for u in $(find debian/tmp -path '*/systemd/system/*' -type f 2>/dev/null); do
	rel=${u#debian/tmp/}
	grep -qhx "./$rel" "$work"/*.list || fail "$rel (make install) is in no package"
	units=$((units + 1))
done
echo "$me: $units systemd unit(s) from make install packaged"

# the packaged daemon runs (its libraries are the package's dependencies)
mkdir -p "$work/root" && dpkg-deb -x "$(deb_of dbgproxyd)" "$work/root" || exit 99
"$work/root/usr/bin/dbgproxyd" --help > "$work/help.txt" 2>&1 ||
	{ cat "$work/help.txt"; fail "the packaged dbgproxyd --help failed"; }
grep -q -- --listen "$work/help.txt" || fail "the packaged dbgproxyd --help does not list --listen"
echo "$me: the packaged dbgproxyd runs"
# for tests/deb-boot.sh, which installs them in a booted Debian
rm -rf "$build/tests/debs" && mkdir -p "$build/tests/debs" &&
	cp "$work"/dbgproxyd_*.deb "$work"/dbgproxy-vm_*.deb "$work"/libvmdbg0_*.deb "$build/tests/debs/" 2>/dev/null
cd "$build" && rm -rf "$work"
