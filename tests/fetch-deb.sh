#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# fetch-deb.sh PACKAGE DESTDIR - download a Debian package with apt-get and
# unpack it with dpkg-deb, for tests that boot real images (GNU Mach,
# memtest86+).  Prints the directory it unpacked into (DESTDIR/PACKAGE,
# reused when already there).  Exits 77, automake's "skip", with the reason
# on stderr when it cannot fetch: no apt-get or dpkg-deb, offline, no such
# package in the configured archives.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 PACKAGE DESTDIR" >&2
	exit 2
fi
pkg=$1
dest=$2
out=$dest/$pkg

if [ -f "$out/.unpacked" ]; then
	echo "$out"
	exit 0
fi
for tool in apt-get dpkg-deb; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "fetch-deb.sh: $tool not found" >&2
		exit 77
	fi
done

mkdir -p "$dest" || exit 77
work=$(mktemp -d "$dest/.fetch-XXXXXX") || exit 77
trap 'rm -rf "$work"' EXIT

# apt-get download writes into the current directory; short timeouts so an
# offline machine skips quickly
if ! (cd "$work" && apt-get download -q -o Acquire::Retries=0 -o Acquire::http::Timeout=20 \
	-o Acquire::https::Timeout=20 "$pkg") >"$work/log" 2>&1; then
	echo "fetch-deb.sh: apt-get download $pkg failed: $(tail -n 1 "$work/log")" >&2
	exit 77
fi
set -- "$work"/*.deb
if [ ! -f "$1" ]; then
	echo "fetch-deb.sh: apt-get download $pkg left no .deb" >&2
	exit 77
fi
if ! dpkg-deb -x "$1" "$work/root" 2>"$work/log"; then
	echo "fetch-deb.sh: dpkg-deb -x $1 failed: $(tail -n 1 "$work/log")" >&2
	exit 77
fi
touch "$work/root/.unpacked"
# another run may have won the race; either copy will do
mv "$work/root" "$out" 2>/dev/null || [ -f "$out/.unpacked" ] || exit 77
echo "$out"
