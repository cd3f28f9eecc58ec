#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# vmdbg-conform (the installed conformance checker) against dbgproxy-vm's
# two back ends: the simulated AArch64 machine (runs anywhere) and KVM
# (skipped, with the reason, where /dev/kvm is absent).  --scratch is the
# guests' conform_scratch (64 bytes they never touch), --code their tick(),
# which every vCPU keeps executing.  The last tests show that it fails
# where it must, with its exit status.

load helpers

setup() {
	: "${VMDBG_CONFORM:?set by make check}"
	common_setup
}

teardown() {
	common_teardown
}

# addr ELF SYMBOL
addr() {
	printf '0x%s' "$(nm "$1" | awk -v n="$2" '$3 == n { print $1 }')"
}

# conform ARG...: vmdbg-conform on $VM_SOCK, bounded
conform() {
	timeout -s KILL 120 "$VMDBG_CONFORM" --vm "$VM_SOCK" "$@"
}

# rows WORD: how many rows of the table have that verdict
rows() {
	printf '%s\n' "$output" | grep -c "^$1 " || true
}

@test "simulated AArch64, 2 vCPUs: every check passes, nothing skipped; the guest runs on" {
	start_vm_arm64 2
	run conform --scratch "$(addr "$GUEST_ARM64" conform_scratch)" --code "$(addr "$GUEST_ARM64" tick)"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows FAIL)" -eq 0 ]
	[ "$(rows SKIP)" -eq 0 ]
	[ "$(rows PASS)" -eq 15 ]
	[[ "$output" == *"15 passed, 0 failed, 0 skipped"* ]]
	# the VM served it all and is still up, the guest not left stopped
	kill -0 "$VM_PID"
	grep -q "debug state cleared" "$TMP/vm.log"
	# and it can be checked again: nothing it did is left behind
	run conform --scratch "$(addr "$GUEST_ARM64" conform_scratch)" --code "$(addr "$GUEST_ARM64" tick)"
	[ "$status" -eq 0 ]
}

@test "simulated AArch64 without --scratch/--code: those checks skip with the reason" {
	start_vm_arm64 1
	run conform
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows FAIL)" -eq 0 ]
	[ "$(rows SKIP)" -eq 4 ]
	[[ "$output" == *"SKIP  memory read/write        no --scratch ADDR given"* ]]
	[[ "$output" == *"SKIP  breakpoint hit           no --code ADDR given"* ]]
}

@test "KVM back end (x86-64 guest): every check passes or skips for a feature the host lacks" {
	need_kvm
	start_vm 2
	run conform --scratch "$(addr "$GUEST_ELF" conform_scratch)" --code "$(addr "$GUEST_ELF" tick)"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows FAIL)" -eq 0 ]
	# a skip must name what the HELLO lacks
	! printf '%s\n' "$output" | grep '^SKIP ' | grep -v 'HELLO lacks\|HELLO has no\|HELLO has HW_BP_DEAD'
}

@test "a scratch address outside guest memory fails the memory check; exit status 1" {
	start_vm_arm64 1
	run conform --scratch 0x1000
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  memory read/write        READ_MEM: got EFAULT"* ]]
	[[ "$output" == *"1 failed"* ]]
	# the VM keeps serving: the checks after it passed
	[[ "$output" == *"PASS  disconnect restores"* ]]
}

@test "no VM at the socket: a failed connect, exit 1; bad usage: exit 2" {
	VM_SOCK=$BATS_TEST_TMPDIR/none.sock
	run conform
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"FAIL  connect"*"cannot connect"* ]]
	run "$VMDBG_CONFORM"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--vm PATH is required"* ]]
	run "$VMDBG_CONFORM" --vm x --scratch-len 1000
	[ "$status" -eq 2 ]
	run "$VMDBG_CONFORM" --vm x --timeout abc
	[ "$status" -eq 2 ]
	run "$VMDBG_CONFORM" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "vmdbg-conform (dbgproxyd) "*", vmdbg protocol 1" ]]
}

@test "a VMM whose breakpoint slots never fire (--dead-breakpoints): HELLO says HW_BP_DEAD, the hit check skips naming it, gdb's hbreak is refused with the reason" {
	start_vm_arm64 1 --dead-breakpoints
	grep -q "self-test: breakpoints do not fire: HW_BP_DEAD" "$TMP/vm.log"
	run conform --scratch "$(addr "$GUEST_ARM64" conform_scratch)" --code "$(addr "$GUEST_ARM64" tick)"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"SKIP  hardware breakpoint hit  HELLO has HW_BP_DEAD"* ]]
	# the daemon: no hbreak that would wait for ever; software ones still stop
	GDB_BIN=$GDB_MULTIARCH GUEST_IMAGE=$GUEST_ARM64
	start_daemon
	run gdb_batch "monitor info vm" "hbreak tick" "continue" "delete" "break tick" "continue" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q 'hw-bp-dead'
	printf '%s\n' "$output" | grep -qi 'Could not insert hardware breakpoint'
	printf '%s\n' "$output" | grep -qE 'Breakpoint [0-9]+, .*tick'
	grep -q "never fire on this VM's host (HW_BP_DEAD)" "$TMP/daemon.log"
}
