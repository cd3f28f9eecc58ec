#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# spdx-check.sh - every file of the source tree names its license: an
# SPDX-License-Identifier line and a copyright line in its first lines, or,
# for data that cannot carry a comment, a Files: stanza of .reuse/dep5.
# The license must be the one README.md gives for its place in the tree
# (proto/ and vmdbg(7): MIT; everything else: GPL-2.0-or-later), so a file
# copied across the line is caught too.
#
# The files are git's (tracked, and untracked but not ignored, so a new file
# fails before it is committed) in a git checkout, else those the release
# tarball lists in .dist-files, minus what autotools generated.  Exit 0, 1 (the files and the
# lines they need are listed), or 77 (skipped, with the reason).
#
# `spdx-check.sh --add` writes the two lines, as the comment each format
# takes, into the files that lack them (then check and commit the result).
set -uo pipefail
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
top=$(cd "$top" && pwd -P) || exit 1
cd "$top" || exit 1

# expected_license FILE: the license README.md gives FILE's place in the tree
expected_license() {
	case "$1" in
	proto/*|man/vmdbg.7.in) echo MIT ;;
	*) echo GPL-2.0-or-later ;;
	esac
}

list_files() {
	local gittop
	gittop=$(git rev-parse --show-toplevel 2>/dev/null) || gittop=
	if [ -n "$gittop" ] && [ "$(cd "$gittop" && pwd -P)" = "$top" ]; then
		git ls-files --cached --others --exclude-standard
		return
	fi
	# a release tarball: the files `make dist` put in it (.dist-files, written
	# by Makefile.am's dist-hook) but those autoreconf generated (libtoolize's
	# m4/ among them: GNU libtool's, under its own license)
	if [ ! -f .dist-files ]; then
		echo "SKIP: neither a git checkout nor a release tarball (no .dist-files)" >&2
		exit 77
	fi
	grep -v -E '^(build-aux/|m4/|configure$|aclocal\.m4$|config\.h\.in$|(.*/)?Makefile\.in$|\.dist-files$)' .dist-files
}

# dep5 stanzas as "GLOB LICENSE" lines (Files: may continue on indented lines)
dep5_globs() {
	[ -f .reuse/dep5 ] || return 0
	awk '
		/^Files:/ { files = substr($0, 7); infiles = 1; next }
		/^[ \t]/ && infiles { files = files " " $0; next }
		{ infiles = 0 }
		/^License:/ { n = split(files, f, /[ \t]+/)
			for (i = 1; i <= n; i++) if (f[i] != "") print f[i], $2
			files = "" }
	' .reuse/dep5
}

files=$(list_files) || exit $?
# add_lines FILE LICENSE: the two lines at the top of FILE (after a #! line
# or an XML declaration), as a comment in FILE's format
add_lines() {
	local f=$1 l=$2 cr="Copyright (C) $(date +%Y) The dbgproxyd authors" first pre= post= at=0 tmp
	first=$(head -n 1 "$f")
	case "$f" in
	*.c|*.h|*.S|*.ld|*.sym) pre='/* ' post=' */' ;;
	*.md|*.xml) pre='<!-- ' post=' -->' ;;
	man/*) pre='.\" ' ;;
	configure.ac) pre='dnl ' ;;
	*) pre='# ' ;;
	esac
	case "$first" in
	'#!'*|'<?xml'*) at=1 ;;
	esac
	tmp=$(mktemp) || return 1
	{ head -n "$at" "$f"; printf '%sSPDX-License-Identifier: %s%s\n%s%s%s\n' \
		"$pre" "$l" "$post" "$pre" "$cr" "$post"; tail -n +"$((at + 1))" "$f"; } > "$tmp" &&
		cat "$tmp" > "$f"
	rm -f "$tmp"
	echo "$f: added SPDX-License-Identifier: $l"
}

globs=$(dep5_globs)
bad=0
checked=0
while IFS= read -r f; do
	[ -f "$f" ] || continue    # deleted but not yet committed
	case "$f" in
	COPYING|LICENSES/*|.reuse/dep5) continue ;;
	esac
	want=$(expected_license "$f")
	checked=$((checked + 1))
	covered=
	while read -r glob lic; do
		[ -n "$glob" ] || continue
		# shellcheck disable=SC2053 # the glob is a pattern
		if [[ $f == $glob ]]; then
			covered=$lic
			break
		fi
	done <<< "$globs"
	if [ -n "$covered" ]; then
		if [ "$covered" != "$want" ]; then
			echo "$f: .reuse/dep5 says $covered, its place in the tree $want"
			bad=$((bad + 1))
		fi
		continue
	fi
	head=$(head -n 6 "$f" | tr -d '\0')
	got=$(sed -n 's/.*SPDX-License-Identifier: \([^ ]*\).*/\1/p' <<< "$head" | head -n 1)
	if [ -z "$got" ] && [ "${1:-}" = --add ]; then
		add_lines "$f" "$want"
	elif [ -z "$got" ]; then
		echo "$f: no SPDX-License-Identifier line; add 'SPDX-License-Identifier: $want'" \
			"and a 'Copyright (C) YEAR The dbgproxyd authors' line as a comment at the top" \
			"(data files: a Files: stanza in .reuse/dep5)"
		bad=$((bad + 1))
	elif [ "$got" != "$want" ]; then
		echo "$f: SPDX-License-Identifier: $got, but files there are $want (README.md, License)"
		bad=$((bad + 1))
	elif ! grep -q 'Copyright (C) [0-9]' <<< "$head"; then
		echo "$f: no 'Copyright (C) YEAR The dbgproxyd authors' line next to its SPDX line"
		bad=$((bad + 1))
	fi
done <<< "$files"

if [ "$checked" -eq 0 ]; then
	echo "no files found under $top" >&2
	exit 1
fi
echo "$checked files checked, $bad without the right license lines"
[ "$bad" -eq 0 ]
