#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# Registers by name end to end: real gdb -> dbgproxyd (target description,
# handles, cache) -> dbgproxy-vm on KVM.  The guest's reg_probe loads known
# values into every GPR and xmm register and stores them to memory before
# reg_probe_point; gdb's view must equal what the guest stored.

load helpers

setup() {
	need_kvm
	common_setup
}

teardown() {
	common_teardown
}

@test "info registers equals what the guest stored at reg_probe_point" {
	start_vm 1 && start_daemon
	stop_at reg_probe_point
	run gdb_batch "${STOP_AT[@]}" \
		"info registers rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15" \
		"x/16gx &reg_probe_saved" "delete" "detach"
	echo "$output"
	regs=($(printf '%s\n' "$output" | awk '$1 ~ /^(r[a-z0-9]+)$/ && $2 ~ /^0x/ { print $2 }'))
	mem=($(printf '%s\n' "$output" | awk '/<reg_probe_saved/ { for (i = 2; i <= NF; i++) if ($i ~ /^0x/) print $i }'))
	[ "${#regs[@]}" -eq 16 ]
	[ "${#mem[@]}" -eq 16 ]
	for i in $(seq 0 15); do
		[ "$((regs[i]))" -eq "$((mem[i]))" ]
	done
	# and they are the values the guest chose: GPR n = byte n+1 repeated
	[ "${regs[0]}" = "0x101010101010101" ]
	[ "${regs[15]}" = "0x1010101010101010" ]
}

@test "xmm registers equal the guest's stores; p \$xmm5.v4_int32 shows its lanes" {
	start_vm 1 && start_daemon
	stop_at reg_probe_point
	run gdb_batch "${STOP_AT[@]}" "p/x \$xmm5.v4_int32" \
		"p/x \$xmm15.uint128" "x/4wx (char *)&reg_probe_vec + 32 * 15" "delete" "detach"
	echo "$output"
	[[ "$output" == *"= {0x500, 0x501, 0x502, 0x503}"* ]]
	[[ "$output" == *"= 0xf0300000f0200000f0100000f00"* ]]
	[[ "$output" == *"0x00000f00	0x00000f01	0x00000f02	0x00000f03"* ]]
}

@test "set \$xmm1 (uint128, v2_int64) round-trips into guest execution" {
	start_vm 1 && start_daemon
	# gdb 13 has no 128-bit integer literals: a literal above 2^63 would be
	# sign-extended, so the full 128 bits are written as two 64-bit lanes
	stop_at reg_probe_point
	run gdb_batch "${STOP_AT[@]}" "delete" \
		"set \$xmm1.uint128 = 0x7766554433221100" "p/x \$xmm1.uint128" \
		"set \$xmm1.v2_int64 = {0x8899aabbccddeeff, 0x0011223344556677}" \
		"p/x \$xmm1.uint128" "stepi" "stepi" "x/2gx &xmm1_out" "detach"
	echo "$output"
	[[ "$output" == *"\$1 = 0x7766554433221100"* ]]
	[[ "$output" == *"\$2 = 0x112233445566778899aabbccddeeff"* ]]
	[[ "$output" == *"0x8899aabbccddeeff	0x0011223344556677"* ]]
}

@test "system registers: cr0, cr3 and efer consistent with long mode" {
	start_vm 1 && start_daemon
	# gdb 13's i386 register-group hook ignores the description's
	# group="system", so `info registers system` lists nothing with this
	# gdb; the registers show in `info registers` and by name
	run gdb_batch "info registers" "info registers cr0 cr2 cr3 cr4 cr8 efer k_gs_base" \
		"p/x &pml4" "detach"
	echo "$output"
	cr0=$(printf '%s\n' "$output" | awk '$1 == "cr0" { print $2; exit }')
	cr3=$(printf '%s\n' "$output" | awk '$1 == "cr3" { print $2; exit }')
	efer=$(printf '%s\n' "$output" | awk '$1 == "efer" { print $2; exit }')
	pml4=$(last_value "$output")
	[ $((cr0 & 0x80000001)) -eq $((0x80000001)) ]     # PG | PE
	[ $((efer & 0x500)) -eq $((0x500)) ]              # LMA | LME
	[ "$((cr3 & ~0xfff))" -eq "$((pml4))" ]
	[ "$(printf '%s\n' "$output" | grep -c '^efer ')" -eq 2 ]   # in both listings
	[[ "$output" == *"k_gs_base"* ]]
}

@test "256-bit registers: p \$ymm0.v8_int32, and a written value reads back" {
	start_vm 1 && start_daemon
	run gdb_batch "p \$ymm0h" "detach"
	if [[ "$output" == *"= void"* ]]; then
		skip "this host's KVM offers guests no AVX (KVM_GET_SUPPORTED_CPUID lacks XSAVE/AVX), so the VM serves no ymm registers"
	fi
	run gdb_batch "set \$ymm0.v8_int32 = {1, 2, 3, 4, 5, 6, 7, 8}" "p \$ymm0.v8_int32" "detach"
	echo "$output"
	[[ "$output" == *"= {1, 2, 3, 4, 5, 6, 7, 8}"* ]]
}

@test "p \$zmm31 (AVX-512)" {
	start_vm 1 && start_daemon
	# decided by what the VM serves, not by the host CPU: a host with
	# avx512f whose KVM gives guests no XSAVE has no zmm registers
	run gdb_batch "p \$zmm31h" "detach"
	if [[ "$output" == *"= void"* ]]; then
		skip "this VM serves no zmm registers (the host CPU or its KVM offers guests no AVX-512)"
	fi
	run gdb_batch "p \$zmm31" "detach"
	echo "$output"
	[[ "$output" == *"v16_int32"* ]]
}

@test "a user target description (xi:include, no segment feature) is honoured" {
	start_vm 1
	PORT=$((20000 + RANDOM % 30000))
	"$DBGPROXYD" --listen "127.0.0.1:$PORT" --vm "$VM_SOCK" \
		--tdesc "$BATS_TEST_DIRNAME/tdesc-no-segments/target.xml" --log-level info \
		> "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for grep -q "ready:" "$TMP/daemon.log"
	run gdb_batch "p \$fs_base" "p/x \$rip == \$pc" "p/x \$cr3" "info registers rip" "detach"
	echo "$output"
	[[ "$output" == *"\$1 = void"* ]]       # not in the description: unknown to gdb
	[[ "$output" == *"\$2 = 0x1"* ]]
	[[ "$output" == *"\$3 = 0x101000"* ]]
}

@test "a malformed or unservable user description is refused with a message a user can act on" {
	start_vm 1
	printf '<target><feature name="x"><reg name="rax" bitsize="32"/></feature></target>' > "$TMP/bad.xml"
	PORT=$((20000 + RANDOM % 30000))
	"$DBGPROXYD" --listen "127.0.0.1:$PORT" --vm "$VM_SOCK" --tdesc "$TMP/bad.xml" \
		> "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for grep -q "cannot serve" "$TMP/daemon.log"
	run gdb_batch "info registers rip"
	echo "$output"
	[[ "$output" == *"target description"* ]]
	printf '<target><feature name="x"><reg name="rax"/></feature>' > "$TMP/broken.xml"
	run "$DBGPROXYD" --listen "127.0.0.1:$PORT" --vm "$VM_SOCK" --tdesc "$TMP/broken.xml"
	[ "$status" -eq 2 ]
	[[ "$output" == *"broken.xml"* ]]
	[[ "$output" == *"rax"* ]]
}
