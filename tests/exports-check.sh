#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# exports-check.sh - dbgproxyd exports to its plugins exactly the functions
# of include/dbgproxyd-plugin.h (it links with --dynamic-list=plugin-api.sym):
# none of its internal functions leaks into the dynamic symbol table, where a
# plugin could bind to it, and none the header promises is missing, which
# would make every plugin calling it fail to load.
# Environment (make check): DBGPROXYD, TOP_SRCDIR; CC and NM optional.
me=exports-check
skip() { echo "$me: SKIP: $*" >&2; exit 77; }
: "${DBGPROXYD:?set by make check}" "${TOP_SRCDIR:?set by make check}"
nm=${NM:-nm}
cc=${CC:-cc}
command -v "$nm" >/dev/null 2>&1 || skip "$nm not found (apt-get install binutils)"
command -v "$cc" >/dev/null 2>&1 || skip "$cc not found"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/exports-check.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# the header's functions: its text without comments, every dbgp_NAME(
"$cc" -fpreprocessed -dD -E -P "$TOP_SRCDIR/include/dbgproxyd-plugin.h" > "$tmp/header" || exit 99
grep -oE '\bdbgp_[a-z0-9_]+[[:space:]]*\(' "$tmp/header" | tr -d '( \t' | sort -u > "$tmp/api"
# the daemon's exported functions (data the executable holds for its
# libraries by copy relocation, such as stderr, is not code of ours)
"$nm" -D --defined-only "$DBGPROXYD" > "$tmp/nm" || exit 99
awk '$2 ~ /^[TtWi]$/ { sub(/@.*/, "", $3); print $3 }' "$tmp/nm" | sort -u > "$tmp/exported"
[ -s "$tmp/api" ] || { echo "$me: no dbgp_ function found in the header" >&2; exit 99; }

status=0
extra=$(comm -13 "$tmp/api" "$tmp/exported")
missing=$(comm -23 "$tmp/api" "$tmp/exported")
if [ -n "$extra" ]; then
	echo "$me: FAIL: dbgproxyd exports functions that are not the plugin API:" $extra >&2
	status=1
fi
if [ -n "$missing" ]; then
	echo "$me: FAIL: dbgproxyd does not export plugin API functions:" $missing >&2
	status=1
fi
[ "$status" -eq 0 ] && echo "$me: dbgproxyd exports the $(wc -l < "$tmp/api") functions of dbgproxyd-plugin.h and nothing else"
exit "$status"
