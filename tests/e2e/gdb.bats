#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# End-to-end: real gdb (batch mode) -> dbgproxyd -> dbgproxy-vm on real KVM.

load helpers

setup() {
	need_kvm
	common_setup
}

teardown() {
	common_teardown
}

@test "gdb connects; info registers rip and p \$pc agree" {
	start_vm 1 && start_daemon
	run gdb_batch "info registers rip" "p/x \$pc" "detach"
	echo "$output"
	[ "$status" -eq 0 ]
	rip=$(printf '%s\n' "$output" | awk '$1 == "rip" { print $2 }')
	pc=$(last_value "$output")
	[ -n "$rip" ]
	[ "$rip" = "$pc" ]
}

@test "x/8xb on pattern_buf shows the guest's pattern" {
	start_vm 1 && start_daemon
	run gdb_batch "x/8xb &pattern_buf" "detach"
	echo "$output"
	[[ "$output" == *"0x03	0x0a	0x11	0x18	0x1f	0x26	0x2d	0x34"* ]]
}

@test "break tick + continue three times: three hits, the counter grows" {
	need_kvm_offers sw-breakpoints
	start_vm 1 && DAEMON_LOG_LEVEL=debug start_daemon
	run gdb_batch "break tick" \
		"continue" "p counters[0]" \
		"continue" "p counters[0]" \
		"continue" "p counters[0]" "delete" "detach"
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -c 'Breakpoint 1, tick')" -eq 3 ]
	vals=($(printf '%s\n' "$output" | sed -n 's/^\$[0-9]* = //p'))
	[ "${#vals[@]}" -eq 3 ]
	[ "${vals[1]}" -gt "${vals[0]}" ]
	[ "${vals[2]}" -gt "${vals[1]}" ]
	# reported as a software breakpoint hit with the expedited registers
	grep -q 'swbreak' "$TMP/daemon.log"
}

@test "stepi changes \$pc by one instruction" {
	start_vm 1 && start_daemon
	stop_at tick
	run gdb_batch "${STOP_AT[@]}" "delete" "p/x \$pc" "stepi" "p/x \$pc" \
		"x/2i tick" "detach"
	echo "$output"
	pcs=($(printf '%s\n' "$output" | sed -n 's/^\$[0-9]* = //p'))
	[ "${#pcs[@]}" -eq 2 ]
	[ "${pcs[0]}" != "${pcs[1]}" ]
	# the second instruction of tick, as the disassembler sees it
	second=$(printf '%s\n' "$output" | grep -A1 '<tick>:' | tail -1 | grep -o '0x[0-9a-f]* <tick+' | cut -d' ' -f1)
	[ -n "$second" ]
	[ "$((pcs[1]))" -eq "$((second))" ]
}

@test "next over a line that loops 1000 times: range stepping (vCont;r) in the VM, not one exchange per instruction" {
	need_kvm_offers single-step
	start_vm 1 && start_daemon
	stop_at spin
	# on the loop's line, however the stop at spin placed us
	loop=$(grep -n 'for (unsigned long i = 0; i < n; i++) s = ' "$(dirname "$BATS_TEST_FILENAME")/../guest/guest.c" | cut -d: -f1)
	[ -n "$loop" ]
	printf '%s\n' "for _ in range(5):" \
		"    if gdb.selected_frame().find_sal().line == $loop:" \
		"        break" \
		"    gdb.execute('next', to_string=True)" > "$TMP/to-loop.py"
	run gdb_batch "set var spin_count = 1000" "${STOP_AT[@]}" "delete" "source $TMP/to-loop.py" \
		"info line *\$pc" "set debug remote 1" "next" "set debug remote 0" "p spin_count" "detach"
	echo "$output" | grep -v '^\[remote\] \(wait\|Packet received: \$*[0-9a-f]*$\)'
	# the second next steps over the loop line and stops on the line after it
	printf '%s\n' "$output" | grep -q "spin_result = s;"
	[ "$(last_value "$output")" = 1000 ]
	# about 5000 instructions, a handful of exchanges (one per line-table
	# entry of the line); single steps would be one each
	nr=$(printf '%s\n' "$output" | grep -c 'Sending packet: \$vCont;r' || true)
	ns=$(printf '%s\n' "$output" | grep -c 'Sending packet: \$vCont;s' || true)
	echo "vCont;r: $nr, vCont;s: $ns"
	[ "$nr" -ge 1 ] && [ "$nr" -le 4 ]
	[ "$ns" -le 4 ]
}

@test "set var writes memory the guest then uses" {
	start_vm 1 && start_daemon
	stop_at tick
	run gdb_batch "p counters[0]" "set var mailbox_in = 0x5a5a1234" "set var step = 1000" \
		"${STOP_AT[@]}" "stepi" "${STOP_AT[@]}" "p/x mailbox_out" "p counters[0]" \
		"delete" "detach"
	echo "$output"
	vals=($(printf '%s\n' "$output" | sed -n 's/^\$[0-9]* = //p'))
	[ "${vals[1]}" = "0x5a5a1234" ]
	delta=$((vals[2] - vals[0]))
	# the guest added the new step; a tick in flight at attach may have added the old 1
	[ "$delta" -ge 1000 ]
	[ $((delta % 1000)) -le 1 ]
}

@test "two vCPUs: info threads lists 2, thread 2 + p \$pc works" {
	start_vm 2 && start_daemon
	wait_for grep -q "cpu 1 up" "$TMP/serial.log"
	run gdb_batch "info threads" "thread 2" "p/x \$pc" "p \$_thread" "detach"
	echo "$output"
	[[ "$output" == *'Thread 1 "vCPU 0"'* ]]
	[[ "$output" == *'Thread 2 "vCPU 1"'* ]]
	[[ "$output" == *"Switching to thread 2"* ]]
	[ "$(last_value "$output")" = "2" ]
	pc=$(printf '%s\n' "$output" | sed -n 's/^\$1 = //p')
	[[ "$pc" == 0x10* ]]
}

@test "Ctrl-C (SIGINT to gdb waiting in continue) stops the guest with SIGINT" {
	start_vm 1 && DAEMON_LOG_LEVEL=debug start_daemon
	gdb_bg "$TMP/gdb.out" "continue" "p counters[0]" "detach"
	wait_for grep -q "resumed by gdb" "$TMP/daemon.log"
	sleep 0.5
	kill -INT "$GDB_PIDS"
	wait_for sh -c "! kill -0 $GDB_PIDS 2>/dev/null"
	cat "$TMP/gdb.out"
	grep -q "received signal SIGINT" "$TMP/gdb.out"
	grep -q '^\$1 = [0-9]' "$TMP/gdb.out"
}

@test "detach leaves the guest running with its memory intact" {
	start_vm 1 && start_daemon
	stop_at tick
	run gdb_batch "x/32xb tick" "p counters[0]" "${STOP_AT[@]}" "detach"
	echo "$output"
	before=$(printf '%s\n' "$output" | grep -A3 '<tick>:' | head -4)
	c1=$(printf '%s\n' "$output" | sed -n 's/^\$1 = //p')
	sleep 0.5
	run gdb_batch "x/32xb tick" "p counters[0]" "detach"
	echo "$output"
	after=$(printf '%s\n' "$output" | grep -A3 '<tick>:' | head -4)
	c2=$(last_value "$output")
	[ "$before" = "$after" ]
	[ "$c2" -gt "$c1" ]
}

@test "kill -9 of gdb mid-session: guest runs on, memory intact, a new gdb attaches" {
	start_vm 1 && start_daemon
	run gdb_batch "x/32xb tick" "detach"
	before=$(printf '%s\n' "$output" | grep -A3 '<tick>:' | head -4)
	stop_at tick
	gdb_bg "$TMP/gdb.out" "${STOP_AT[@]}" "shell sleep 30"
	wait_for grep -q "stopped at tick" "$TMP/gdb.out"
	kill -9 "$GDB_PIDS"
	# the first gdb (detach) ended one session, the killed one the second
	wait_for count_in "$TMP/daemon.log" "session from .* ended" 2
	run gdb_batch "p counters[0]" "x/32xb tick" "detach"
	echo "$output"
	c1=$(printf '%s\n' "$output" | sed -n 's/^\$1 = //p')
	after=$(printf '%s\n' "$output" | grep -A3 '<tick>:' | head -4)
	[ "$before" = "$after" ]
	sleep 0.5
	run gdb_batch "p counters[0]" "detach"
	[ "$(last_value "$output")" -gt "$c1" ]
}

@test "a second gdb is refused while the first keeps working" {
	start_vm 1 && start_daemon
	stop_at tick
	# the first gdb holds the session until the second has been refused
	# (a fixed sleep was too short where gdb takes seconds to start)
	gdb_bg "$TMP/gdb.out" "${STOP_AT[@]}" \
		"shell timeout 120 sh -c 'until [ -e $TMP/go ]; do sleep 0.1; done'" \
		"p counters[0]" "detach"
	wait_for grep -q "stopped at tick" "$TMP/gdb.out"
	run gdb_batch "p 1"
	touch "$TMP/go"
	echo "$output"
	[[ "$output" == *"another gdb is already attached"* ]]
	wait_for sh -c "! kill -0 $GDB_PIDS 2>/dev/null"
	cat "$TMP/gdb.out"
	grep -q '^\$1 = [0-9]' "$TMP/gdb.out"
	grep -q "Inferior 1 (Remote target) detached" "$TMP/gdb.out"
}

@test "monitor help and monitor info vm" {
	start_vm 2 && start_daemon
	run gdb_batch "monitor help" "monitor info vm" "detach"
	echo "$output"
	[[ "$output" == *"monitor info vm"* ]]
	[[ "$output" == *"vCPUs:            2"* ]]
	[[ "$output" == *"hw breakpoints:   4 slots"* ]]
}

@test "lldb (gdb-remote) reads registers" {
	command -v lldb > /dev/null || skip "lldb is not installed"
	start_vm 1 && start_daemon
	run timeout -s KILL 120 lldb --no-lldbinit -b -o "gdb-remote 127.0.0.1:$PORT" \
		-o "register read rip" -o "register read rsp" -o "process detach"
	echo "$output"
	[[ "$output" =~ rip\ =\ 0x0000000000100 ]]
	[[ "$output" =~ rsp\ =\ 0x ]]
}

@test "guest memory through the RAM the VM shares, via the vCPU's page tables (and the same with --no-shared-memory)" {
	for args in "" --no-shared-memory; do
		start_vm 1 && start_daemon $args
		run gdb_batch "x/8xb &pattern_buf" "set var counters[7] = 0x5a5a" "p/x counters[7]" \
			"monitor info vm" "detach"
		echo "$output"
		[[ "$output" == *"0x03	0x0a	0x11	0x18	0x1f	0x26	0x2d	0x34"* ]]
		[ "$(last_value "$output")" = 0x5a5a ]
		if [ -z "$args" ]; then
			printf '%s\n' "$output" | grep -q 'guest memory: *shared by the VM ([0-9]* MiB, x86 paging)'
			printf '%s\n' "$output" | grep -Eq 'served here [1-9][0-9]*/[1-9]'
		else
			printf '%s\n' "$output" | grep -q 'served here 0/0, by the VM [1-9][0-9]*/[1-9]'
		fi
		stop_all; common_setup
	done
}

@test "shared memory hides a software breakpoint's int3 and leaves writes over it to the VM" {
	need_kvm_offers sw-breakpoints
	start_vm 1 && start_daemon
	tick=$(printf '%x' "0x$(nm "$GUEST_ELF" | awk '$3 == "tick" { print $1 }')")
	run gdb_batch "set breakpoint always-inserted on" "maint packet m$tick,1" "break tick" \
		"maint packet m$tick,1" "monitor info vm" "detach"
	echo "$output"
	r=($(received "$output"))
	[ "${r[0]}" = "${r[1]}" ]
	[ "${r[0]}" != cc ]
	run gdb_batch "set breakpoint always-inserted on" "break tick" "maint packet M$tick,1:${r[0]}" \
		"monitor info vm" "continue" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -Eq 'by the VM [0-9]+/[1-9]'
	printf '%s\n' "$output" | grep -q 'Breakpoint 1, tick'
}
