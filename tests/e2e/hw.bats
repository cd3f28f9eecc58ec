#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# Hardware breakpoints and watchpoints end to end: real gdb -> dbgproxyd ->
# dbgproxy-vm on KVM (x86-64, 4 shared debug registers).

load helpers

setup() {
	need_kvm
	common_setup
}

teardown() {
	common_teardown
}

# the "DRn ... gdb request" lines and DR7 of the last `monitor hw` table
hw_table() {
	printf '%s\n' "$1" | awk '/^hardware debug slots/ { t = "" } /^DR[0-7]/ { t = t $0 "\n" } END { printf "%s", t }'
}

@test "hbreak on tick hits repeatedly; the guest advances one tick per hit" {
	need_kvm_offers hw-breakpoints
	start_vm 1 && DAEMON_LOG_LEVEL=debug start_daemon
	run gdb_batch "hbreak tick" "continue" "p counters[0]" "continue" "p counters[0]" \
		"continue" "p counters[0]" "delete" "detach"
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -c 'Breakpoint 1, tick')" -eq 3 ]
	vals=($(printf '%s\n' "$output" | sed -n 's/^\$[0-9]* = //p'))
	[ $((vals[1] - vals[0])) -eq 1 ]
	[ $((vals[2] - vals[1])) -eq 1 ]
	grep -q 'hwbreak' "$TMP/daemon.log"
}

@test "with 4 slots a 5th hbreak fails cleanly and the first four still hit" {
	need_kvm_offers hw-breakpoints
	start_vm 1 && start_daemon
	tick=$(nm "$GUEST_ELF" | awk '$3 == "tick" { print $1 }')
	main=$(nm "$GUEST_ELF" | awk '$3 == "guest_main" { print $1 }')
	# five distinct instructions of tick/guest_main, none where the pc stands
	addrs=($(gdb -batch -nx -ex "x/8i 0x$tick" "$GUEST_ELF" | grep -o '0x[0-9a-f]* <tick+[0-9]*>' | cut -d' ' -f1))
	run gdb_batch "hbreak tick" "continue" "delete" \
		"hbreak *${addrs[1]}" "hbreak *${addrs[2]}" "hbreak *${addrs[3]}" "hbreak *${addrs[4]}" \
		"hbreak *0x$main" "continue" "delete 6" "continue" "continue" "monitor hw" "delete" "detach"
	echo "$output"
	[[ "$output" == *"Could not insert hardware breakpoint"* ]]
	[ "$(printf '%s\n' "$output" | grep -cE '^Breakpoint [2-5], ')" -eq 2 ]
}

@test "watch on the counter is programmed exactly (data watchpoints do not fire on this nested host)" {
	start_vm 1 && start_daemon --watch-with registers  # the slots, not page protection
	counters=$(nm "$GUEST_ELF" | awk '$3 == "counters" { print $1 }')
	run gdb_batch "set breakpoint always-inserted on" "watch counters[0]" "monitor hw" "detach"
	echo "$output"
	[[ "$output" == *"Hardware watchpoint 1: counters[0]"* ]]
	table=$(hw_table "$output")
	# DR0 = &counters[0], RW=01 (write) LEN=10 (8 bytes) -> nibble 0x9;
	# DR7 = G0 (0x2) | GE (0x200) | bit 10 (0x400) | 0x9 << 16 = 0x90602
	[[ "$table" == *"DR0=0x$(printf '%016x' 0x$counters)"* ]]
	[[ "$table" == *"RW/LEN=0x9"* ]]
	[[ "$table" == *"DR7=0x0000000000090602"* ]]
}

@test "rwatch, awatch and an unaligned watch: split into pieces, exhaustion is atomic" {
	start_vm 1 && start_daemon --watch-with registers  # the slots, not page protection
	run gdb_batch "set breakpoint always-inserted on" \
		"rwatch mailbox_in" "awatch *(char (*)[6])0x104003" "monitor hw" \
		"watch counters[1]" "monitor hw" "delete" "monitor hw" "detach"
	echo "$output"
	# rwatch: RW=11 LEN=10 (0xb) in DR0; awatch of 6 bytes at 0x104003 =
	# 0x104003/1 (0x3), 0x104004/4 (0xf), 0x104008/1 (0x3) in DR1-DR3
	[[ "$output" == *"DR7=0x000000003f3b06aa"* ]]
	# the 8-byte watch needs a 5th slot: refused, nothing changed
	[[ "$output" == *"Could not insert hardware watchpoint"* ]]
	[ "$(printf '%s\n' "$output" | grep -c 'DR7=0x000000003f3b06aa')" -eq 2 ]
	# delete frees every slot
	[[ "$output" == *"0 in use"* ]]
	[[ "$output" == *"DR7=0x0000000000000000"* ]]
}

@test "delete frees the slots: monitor hw is empty again" {
	start_vm 1 && start_daemon
	run gdb_batch "set breakpoint always-inserted on" "hbreak tick" "hbreak guest_main" \
		"monitor hw" "delete" "monitor hw" "detach"
	echo "$output"
	[[ "$output" == *"2 in use"* ]]
	[[ "$output" == *"0 in use"* ]]
	[ "$(printf '%s\n' "$output" | grep -c '^DR[0-3] ')" -eq 2 ]
}
