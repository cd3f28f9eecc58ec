#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# install.sh - the kit for VMM authors as they get it: libvmdbg installed
# (make install-* into a DESTDIR under the build tree), then a program
# built against it with `pkg-config --cflags --libs vmdbg` alone and run;
# and the installed library exports exactly what its header declares.
# Run by make check (automake test: exit 77 = skipped, with the reason).
set -eu

: "${TOP_SRCDIR:?set by make check}"
builddir=$(pwd)
CC=${CC:-cc}
command -v pkg-config >/dev/null 2>&1 || { echo "SKIP: pkg-config not found (apt-get install pkg-config)"; exit 77; }
command -v "$CC" >/dev/null 2>&1 || { echo "SKIP: no C compiler ($CC)"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmdbg-kit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest

# what `make install` puts in place for the kit, nothing else
make -s -C "$builddir" DESTDIR="$dest" install-libLTLIBRARIES install-includeHEADERS \
	install-pkgconfigDATA > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; exit 1; }

libdir=$(sed -n 's/^libdir=//p' "$builddir/vmdbg.pc")
prefix=$(sed -n 's/^prefix=//p' "$builddir/vmdbg.pc")
libdir=$(echo "$libdir" | sed "s|\${exec_prefix}|$prefix|; s|\${prefix}|$prefix|")
[ -f "$dest$libdir/pkgconfig/vmdbg.pc" ] || { echo "FAIL: no vmdbg.pc under $dest$libdir/pkgconfig"; exit 1; }

# pkg-config alone: its search path and the DESTDIR as its sysroot
export PKG_CONFIG_PATH="$dest$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
unset PKG_CONFIG_LIBDIR
flags=$(pkg-config --cflags --libs vmdbg)
echo "pkg-config --cflags --libs vmdbg: $flags"
case "$flags" in *glib*) echo "FAIL: libvmdbg pulls in GLib: $flags"; exit 1;; esac

# a library of a --enable-sanitizers build needs the sanitizer runtime
# loaded first: then (only then) the program is built with it too
san=
if objdump -p "$dest$libdir/libvmdbg.so.0" | grep -q 'NEEDED *libasan'; then
	san="-fsanitize=address,undefined"
	echo "libvmdbg built with sanitizers: the example is too ($san)"
fi

# strict C99, no GLib anywhere, warnings are errors
# shellcheck disable=SC2086
"$CC" -std=c99 -Wall -Wextra -Wpedantic -Werror $san -o "$tmp/kit-example" \
	"$TOP_SRCDIR/tests/kit/kit-example.c" $flags
out=$(LD_LIBRARY_PATH="$dest$libdir" "$tmp/kit-example")
echo "$out"
expect="HELLO reply, seq 1, 1 vCPU(s), features 0x7: 30 00 00 00 01 00 81 00 01 00 00 00 00 00 00 00 01 00 00 00 01 00 00 00 01 00 00 00 04 00 00 00 04 00 00 00 07 00 00 00 00 00 10 00 00 00 00 00"
[ "$out" = "$expect" ] || { echo "FAIL: expected: $expect"; exit 1; }
# it runs on the installed shared library, not on anything in the build tree
LD_LIBRARY_PATH="$dest$libdir" ldd "$tmp/kit-example" | grep -q "libvmdbg.so.0 => $dest$libdir/" ||
	{ echo "FAIL: not linked against the installed libvmdbg.so.0"; LD_LIBRARY_PATH="$dest$libdir" ldd "$tmp/kit-example"; exit 1; }

# the soname, and exported symbols = the functions the header declares
so=$dest$libdir/libvmdbg.so.0
objdump -p "$so" | grep -q 'SONAME *libvmdbg.so.0' || { echo "FAIL: soname"; exit 1; }
nm -D --defined-only "$so" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort > "$tmp/exported"
sed -n 's/^[a-z][a-z0-9_ ]*[ *]\(vmdbg_[a-z0-9_]*\)(.*/\1/p' "$dest$prefix/include/vmdbg-codec.h" | sort -u > "$tmp/declared"
if ! cmp -s "$tmp/exported" "$tmp/declared"; then
	echo "FAIL: exported symbols differ from vmdbg-codec.h's functions (< exported, > declared):"
	diff "$tmp/exported" "$tmp/declared" || true
	exit 1
fi
echo "PASS: $(wc -l < "$tmp/exported") symbols exported, all declared in vmdbg-codec.h; soname libvmdbg.so.0"
