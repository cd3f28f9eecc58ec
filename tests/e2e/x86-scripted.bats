#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# dbgproxyd's x86 paths with real gdb on any host: the VM is
# tests/integration/scriptvm, a scripted vmdbg peer (dbgproxy-vm's own socket
# server and register mapping over a fixed one-vCPU snapshot; nothing
# executes).  What a real KVM guest does is in gdb.bats, hw.bats, regs.bats
# and realguests.bats; this suite pins down the target description choice:
# i386 for a vCPU in 32-bit code, x86-64 in long mode, as gdb attaches.

load helpers

setup() {
	: "${SCRIPTVM:?set by make check}"
	: "${GUEST_MB:?set by make check}"
	common_setup
}

teardown() {
	common_teardown
}

# start_script MODE: the scripted VM in prot32 or long64 with the test
# guest's ELF32 image loaded
start_script() {
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dbgproxy-script.XXXXXX")
	VM_SOCK=$TMP/vm.sock
	"$SCRIPTVM" --socket "$VM_SOCK" --kernel "$GUEST_MB" --mode "$1" > "$TMP/vm.log" 2>&1 &
	VM_PID=$!
	wait_for test -S "$VM_SOCK" || { cat "$TMP/vm.log" >&2; return 1; }
}

@test "32-bit protected mode: gdb on an ELF32 gets i386 (eax..eip as low halves, 32-bit disassembly)" {
	start_script prot32 && start_daemon
	GUEST_IMAGE=$GUEST_MB
	run gdb_batch "show architecture" "p/x \$eax" "p/x \$esp" "p/x \$eip == _start" \
		"x/2i \$pc" "p/x \$cr0" "p/x \$efer" "info registers rip" "detach"
	echo "$output"
	grep -q "serving the i386 description" "$TMP/daemon.log"
	! printf '%s\n' "$output" | grep -q "too long" || false
	printf '%s\n' "$output" | grep -q 'currently "i386"'
	vals=($(values "$output"))
	[ "${vals[0]}" = 0xb1b2b3b4 ]   # the low half of rax only
	[ "${vals[1]}" = 0xff0000 ]
	[ "${vals[2]}" = 0x1 ]
	[ "${vals[3]}" = 0x11 ]
	[ "${vals[4]}" = 0x0 ]
	# 32-bit decoding of _start (cli; cld; cmp $0x2badb002,%eax)
	printf '%s\n' "$output" | grep -qE "<_start>:\s+cli"
	printf '%s\n' "$output" | grep -q "Invalid register \`rip'"
}

@test "writing a 32-bit register changes only the low half of the VM's 64-bit register" {
	start_script prot32 && start_daemon
	GUEST_IMAGE=$GUEST_MB
	run gdb_batch "set \$eax = 0x11223344" "set \$esp = 0x8000" "p/x \$eax" "detach"
	echo "$output"
	[ "$(last_value "$output")" = 0x11223344 ]
	# the next gdb looks at the same vCPU as x86-64
	kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
	"$DBGPROXYD" --listen "127.0.0.1:$PORT" --vm "$VM_SOCK" --x86-arch x86-64 \
		> "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for grep -q "ready:" "$TMP/daemon.log"
	GUEST_IMAGE=$GUEST_ELF
	run gdb_batch "p/x \$rax" "p/x \$rsp" "detach"
	echo "$output"
	vals=($(values "$output"))
	[ "${vals[0]}" = 0xa1a2a3a411223344 ]
	[ "${vals[1]}" = 0x700008000 ]
}

@test "long mode: the x86-64 description, as before" {
	start_script long64 && start_daemon
	run gdb_batch "p/x \$rax" "p/x \$efer" "detach"
	echo "$output"
	grep -q "serving the x86-64 description" "$TMP/daemon.log"
	vals=($(values "$output"))
	[ "${vals[0]}" = 0xa1a2a3a4b1b2b3b4 ]
	[ "${vals[1]}" = 0x500 ]
}

@test "a guest that enters long mode under an i386 gdb: gdb is told to reconnect, and then gets x86-64" {
	start_script prot32 && start_daemon
	GUEST_IMAGE=$GUEST_MB
	run gdb_batch "set \$efer = 0x500" "set \$cr0 = 0x80000011" "stepi" "stepi" "detach"
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -c 'is now in 64-bit long mode')" -eq 1 ]
	printf '%s\n' "$output" | grep -q "Disconnect and connect again"
	GUEST_IMAGE=$GUEST_ELF
	run gdb_batch "p/x \$rax" "detach"
	echo "$output"
	[ "$(last_value "$output")" = 0xa1a2a3a4b1b2b3b4 ]
	grep -q "serving the x86-64 description" "$TMP/daemon.log"
}

@test "32-bit code in an ELF64 file: with set architecture i386 first, gdb takes the i386 description" {
	start_script prot32 && start_daemon
	GDB_ARCH=i386
	run gdb_batch "p/x \$eax" "x/1i \$pc" "detach"
	echo "$output"
	! printf '%s\n' "$output" | grep -q "rejected" || false
	[ "$(last_value "$output")" = 0xb1b2b3b4 ] || printf '%s\n' "$output" | grep -q '= 0xb1b2b3b4'
	printf '%s\n' "$output" | grep -qE "cli"
}

@test "--x86-arch refuses what it does not know" {
	run "$DBGPROXYD" --listen 127.0.0.1:1 --vm /nonexistent --x86-arch arm
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--x86-arch must be auto, i386 or x86-64"* ]]
}

@test "x86 debug registers from hbreak and watch (DR0-DR3, DR7) as monitor hw shows them" {
	start_script prot32 && start_daemon
	GUEST_IMAGE=$GUEST_MB
	run gdb_batch "set breakpoint always-inserted on" "hbreak *0x10000c" \
		"watch *(int *)0x200000" "monitor hw" "detach"
	echo "$output"
	# DR0 exec (RW/LEN 0), DR1 a 4-byte write (RW=01 LEN=11: 0xd);
	# DR7 = G0 | G1 | GE | bit 10 | 0xd << 20 (SDM Vol. 3B 18.2.4)
	printf '%s\n' "$output" | grep -q "DR0=0x000000000010000c RW/LEN=0x0"
	printf '%s\n' "$output" | grep -q "DR1=0x0000000000200000 RW/LEN=0xd"
	printf '%s\n' "$output" | grep -q "DR7=0x0000000000d0060a"
}

@test "monitor help lists every monitor command; an unknown one is named" {
	start_script long64 && start_daemon
	run gdb_batch "monitor help" "monitor info vm" "monitor frobnicate" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -qE "^  monitor help +this text"
	printf '%s\n' "$output" | grep -qE "^  monitor info vm +the VM behind this session"
	printf '%s\n' "$output" | grep -qE "^  monitor hw +the hardware breakpoint"
	printf '%s\n' "$output" | grep -q "architecture:     x86-64"
	printf '%s\n' "$output" | grep -q "unknown monitor command 'frobnicate'"
}
