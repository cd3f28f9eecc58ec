#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# qemu-boot.sh - check that the test guest (tests/guest/guest.mb) boots
# under plain QEMU/KVM and announces vCPU 0 on the serial port.
#
# Environment (set by the test harness):
#   GUEST_MB   path to the multiboot (ELF32) guest image
#   QEMU_X86   optional: qemu-system-x86_64 to use (configure's value;
#              "no" or empty means "look it up in PATH")
#
# Exit status (automake simple test driver): 0 pass, 1 fail, 77 skip,
# 99 hard error (the harness did not provide a usable guest image).

set -u

TIMEOUT=60                       # seconds, upper bound on the whole wait
EXPECT='dbgproxy-guest: cpu 0 up'
me=qemu-boot.sh

skip() { echo "$me: SKIP: $*" >&2; exit 77; }
fail() { echo "$me: FAIL: $*" >&2; exit 1; }

qemu=${QEMU_X86:-}
if [ -z "$qemu" ] || [ "$qemu" = no ]; then
	qemu=qemu-system-x86_64
fi
command -v "$qemu" >/dev/null 2>&1 ||
	skip "$qemu not installed (apt-get install qemu-system-x86)"

[ -c /dev/kvm ] || skip "/dev/kvm does not exist (no KVM on this host)"
{ [ -r /dev/kvm ] && [ -w /dev/kvm ]; } ||
	skip "/dev/kvm is not readable and writable by $(id -un 2>/dev/null || id -u)"

[ -z "${NO_X86_GUEST:-}" ] || skip "$NO_X86_GUEST"
if [ -z "${GUEST_MB:-}" ]; then
	echo "$me: ERROR: GUEST_MB is not set" >&2
	exit 99
fi
if [ ! -r "$GUEST_MB" ]; then
	echo "$me: ERROR: guest image '$GUEST_MB' not found or unreadable" >&2
	exit 99
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/qemu-boot.XXXXXX") || fail "mktemp failed"
qemu_pid=

cleanup() {
	if [ -n "$qemu_pid" ]; then
		kill "$qemu_pid" 2>/dev/null
		# give it a moment to exit, then insist
		i=0
		while kill -0 "$qemu_pid" 2>/dev/null && [ $i -lt 10 ]; do
			sleep 0.2; i=$((i + 1))
		done
		kill -9 "$qemu_pid" 2>/dev/null
		wait "$qemu_pid" 2>/dev/null
		qemu_pid=
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

: >"$TMP/serial.log"
"$qemu" -enable-kvm -kernel "$GUEST_MB" -m 64 -smp 1 -display none \
	-serial "file:$TMP/serial.log" -monitor none -no-reboot \
	</dev/null >"$TMP/qemu.out" 2>&1 &
qemu_pid=$!

start=$(date +%s)
found=no
exited=no
while :; do
	if grep -q "^$EXPECT\$" "$TMP/serial.log" 2>/dev/null; then
		found=yes
		break
	fi
	if ! kill -0 "$qemu_pid" 2>/dev/null; then
		# QEMU is gone: check the log one last time, then give up.
		grep -q "^$EXPECT\$" "$TMP/serial.log" 2>/dev/null && found=yes
		exited=yes
		break
	fi
	[ $(( $(date +%s) - start )) -ge "$TIMEOUT" ] && break
	sleep 0.5
done
elapsed=$(( $(date +%s) - start ))

if [ "$found" = yes ]; then
	echo "$me: PASS: '$EXPECT' after ${elapsed}s"
	exit 0
fi

if [ "$exited" = yes ]; then
	wait "$qemu_pid" 2>/dev/null
	status=$?
	qemu_pid=
	echo "$me: QEMU exited early (status $status) after ${elapsed}s" >&2
else
	echo "$me: no '$EXPECT' on the serial port within ${TIMEOUT}s" >&2
fi
echo "$me: --- QEMU output ---" >&2
cat "$TMP/qemu.out" >&2
echo "$me: --- serial log ---" >&2
cat "$TMP/serial.log" >&2
fail "guest $GUEST_MB did not boot"
