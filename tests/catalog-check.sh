#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# catalog-check.sh - the daemon's MESSAGE_IDs (src/dbgproxyd/log.c) are
# exactly those of the journal's catalog (etc/dbgproxyd.catalog) and of
# dbgproxyd(8)'s LOGGING; and journalctl itself reads the catalog: every
# entry, with its Subject, from a root directory of its own
# (journalctl --root=DIR --update-catalog, --list-catalog).  That part is
# skipped, with the reason, without journalctl.
set -uo pipefail
me=catalog-check
src=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
fail() { echo "$me: FAIL: $*"; exit 1; }

ids() { grep -oE "$2" "$1" | grep -oE '[0-9a-f]{32}' | sort -u; }
code=$(ids "$src/src/dbgproxyd/log.c" '"[0-9a-f]{32}"')
catalog=$(ids "$src/etc/dbgproxyd.catalog" '^-- [0-9a-f]{32}$')
manual=$(ids "$src/man/dbgproxyd.8.in" '^\.B [0-9a-f]{32}$')
[ "$(echo "$code" | wc -l)" -ge 10 ] || fail "found only $(echo "$code" | wc -l) ids in log.c"
[ "$code" = "$catalog" ] || fail "log.c and the catalog differ: $(diff <(echo "$code") <(echo "$catalog") | grep '^[<>]' | tr '\n' ' ')"
[ "$code" = "$manual" ] || fail "log.c and dbgproxyd(8) differ: $(diff <(echo "$code") <(echo "$manual") | grep '^[<>]' | tr '\n' ' ')"
echo "$me: $(echo "$code" | wc -l) MESSAGE_IDs, the same in log.c, the catalog and dbgproxyd(8)"

journalctl=${JOURNALCTL:-journalctl}
if ! command -v "$journalctl" > /dev/null 2>&1; then
	echo "$me: SKIP: journalctl not found: the catalog's format is not checked"
	exit 77
fi
root=$(mktemp -d "${TMPDIR:-/tmp}/catalog-check.XXXXXX") || exit 99
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/lib/systemd/catalog" "$root/var/lib/systemd/catalog"
cp "$src/etc/dbgproxyd.catalog" "$root/usr/lib/systemd/catalog/"
"$journalctl" --root="$root" --update-catalog || fail "journalctl --update-catalog refused the catalog"
listed=$("$journalctl" --root="$root" --list-catalog)
echo "$listed"
for id in $code; do
	grep -qE "^$id dbgproxyd: .+" <<< "$listed" || fail "journalctl lists no entry with a Subject for $id"
done
echo "$me: journalctl reads every entry"
