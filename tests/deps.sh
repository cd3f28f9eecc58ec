#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# tests/deps.sh - install the Debian 12 packages dbgproxyd needs to build,
# test and demo.  Installs only what is missing; needs root (or sudo).
set -euo pipefail

PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libev-dev libglib2.0-dev liburcu-dev libdw-dev libsystemd-dev linux-libc-dev
	binutils binutils-aarch64-linux-gnu gdb gdb-multiarch lldb bats clang
	qemu-system-x86 qemu-system-arm acpica-tools python3 cpio
	debhelper lintian systemd-container debootstrap
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
