#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# dbgproxyd's log as an operator reads it, with a real gdb on the
# simulated AArch64 machine: the events carry their MESSAGE_ID and fields
# (VCPU=, PEER=, ADDR=, REASON= in words), seen through --log-format
# logfmt, which prints every field GLib hands the journal; the default
# level writes one line per event, not per stop; SIGTERM is an orderly
# shutdown.  The ids are those dbgproxyd(8) lists.

load helpers

ID_GDB_ATTACHED=3cd0026022044ff0b72ffc9a1354411e
ID_GDB_DETACHED=79b11e6d612444339dc6537abc3d4461
ID_VM_READY=5bbd3dab5d444785a57aaaf733f65736
ID_BREAKPOINTS_CLEARED=80fc19d6b6e648499a744d4adcd3b337
ID_GUEST_DIED=bdcfee78bfb448be8ea85b4db8971588
ID_VCPU_STOPPED=2b4449781d924ca498ed6ae074a6ae3e
ID_STOPPING=d94135d88b074bf6b7457ddc6433f1ed
ID_STOPPED=f71a30c120104fb684a7a9354bf9f4d8

setup() {
	need_arm64
	common_setup
}

teardown() {
	common_teardown
}

# event ID: the daemon's log lines with that MESSAGE_ID
event() {
	grep " MESSAGE_ID=$1\( \|$\)" "$TMP/daemon.log" || true
}

@test "events carry MESSAGE_ID, VCPU=, PEER=, ADDR= and REASON= in words" {
	start_vm_arm64 1 && DAEMON_LOG_LEVEL=debug start_daemon --log-format logfmt
	run gdb_batch "hbreak tick" "continue" "delete" "break tick" "continue" "delete" "stepi" \
		"watch *(long *)&counters" "continue" "delete" "detach"
	echo "$output"
	cat "$TMP/daemon.log"
	local tick
	tick=$(sym tick)
	event $ID_VM_READY | grep -q " VM=$VM_SOCK"
	event $ID_GDB_ATTACHED | grep -q " PEER=127.0.0.1:[0-9]*$"
	local stops
	stops=$(event $ID_VCPU_STOPPED)
	printf '%s\n' "$stops" | grep -q "level=debug .* VCPU=0 ADDR=$tick REASON=\"hardware breakpoint\""
	printf '%s\n' "$stops" | grep -q "level=debug .* VCPU=0 ADDR=$tick REASON=breakpoint"
	printf '%s\n' "$stops" | grep -q "VCPU=0 ADDR=0x[0-9a-f]* REASON=step"
	printf '%s\n' "$stops" | grep -q "VCPU=0 ADDR=0x[0-9a-f]* REASON=watchpoint"
	event $ID_BREAKPOINTS_CLEARED | grep -q "level=message"
	event $ID_GDB_DETACHED | grep -q "PEER=127.0.0.1:[0-9]* REASON=\"gdb detached\""
	# never bare numbers for a reason
	! grep -q "reason [0-9]" "$TMP/daemon.log" || false
}

@test "Ctrl-C: REASON=interrupt with the pc gdb was told, not 0x0" {
	start_vm_arm64 1 && DAEMON_LOG_LEVEL=debug start_daemon --log-format logfmt
	gdb_bg "$TMP/gdb.out" "continue" "p/x \$pc" "detach"
	wait_for grep -q "resumed by gdb" "$TMP/daemon.log"
	sleep 0.3
	kill -INT "$GDB_PIDS"
	wait_for sh -c "! kill -0 $GDB_PIDS 2>/dev/null"
	cat "$TMP/gdb.out"
	local pc
	pc=$(sed -n 's/^\$1 = \(0x[0-9a-f]*\).*/\1/p' "$TMP/gdb.out")
	[ -n "$pc" ]
	event $ID_VCPU_STOPPED | grep "REASON=interrupt"
	event $ID_VCPU_STOPPED | grep -q "VCPU=0 ADDR=$pc REASON=interrupt"
}

@test "stepi 200 at the default level: a line per event, none per step; at debug one per step" {
	start_vm_arm64 1 && DAEMON_LOG_LEVEL=message start_daemon --log-format logfmt
	local before
	before=$(wc -l < "$TMP/daemon.log")
	run gdb_batch "stepi 200" "p \$pc != 0" "detach"
	[ "$(last_value "$output")" = 1 ]
	wait_for sh -c "grep -q $ID_GDB_DETACHED '$TMP/daemon.log'"
	local added
	added=$(tail -n +$((before + 1)) "$TMP/daemon.log")
	printf '%s\n' "$added"
	# gdb attached, the breakpoints cleared, gdb detached: each with its id
	[ "$(printf '%s\n' "$added" | grep -c .)" -eq 3 ]
	[ "$(printf '%s\n' "$added" | grep -c " MESSAGE_ID=")" -eq 3 ]
	# the same session at debug: one stop line per step (and the attach's)
	kill "$DAEMON_PID"; wait "$DAEMON_PID" || true
	DAEMON_LOG_LEVEL=debug start_daemon --log-format logfmt
	run gdb_batch "stepi 200" "p \$pc != 0" "detach"
	[ "$(last_value "$output")" = 1 ]
	[ "$(event $ID_VCPU_STOPPED | grep -c 'REASON=step')" -eq 200 ]
}

@test "a guest that powers off: one GUEST_DIED line, REASON=\"power off\"" {
	start_vm_arm64 1 && DAEMON_LOG_LEVEL=message start_daemon --log-format logfmt
	run gdb_batch "break reg_probe_point" "continue" "delete" "jump power_off" "detach"
	echo "$output"
	cat "$TMP/daemon.log"
	[ "$(event $ID_GUEST_DIED | grep -c .)" -eq 1 ]
	event $ID_GUEST_DIED | grep -q "level=message .* VCPU=0 ADDR=0x[0-9a-f]* REASON=\"power off\""
}

@test "SIGTERM with gdb attached is an orderly shutdown: no warning, exit 0" {
	start_vm_arm64 1 && DAEMON_LOG_LEVEL=message start_daemon --log-format logfmt
	gdb_bg "$TMP/gdb.out" "continue"
	wait_for sh -c "grep -q $ID_GDB_ATTACHED '$TMP/daemon.log'"
	sleep 0.3
	kill -TERM "$DAEMON_PID"
	local rc=0
	wait "$DAEMON_PID" || rc=$?
	DAEMON_PID=
	cat "$TMP/daemon.log"
	[ "$rc" -eq 0 ]
	event $ID_STOPPING | grep -q "level=message .*REASON=SIGTERM"
	event $ID_STOPPED | grep -q "level=message"
	event $ID_GDB_DETACHED | grep -q "REASON=\"dbgproxyd is shutting down\""
	! grep -q "level=warning\|level=error\|lost the VM" "$TMP/daemon.log" || false
}

@test "the text format (GLib's, as without a journal) is the default and keeps its look" {
	start_vm_arm64 1 && DAEMON_LOG_LEVEL=message start_daemon
	grep -q "^dbgproxyd-Message: [0-9:.]*: VM $VM_SOCK ready:" "$TMP/daemon.log"
	! grep -q "MESSAGE_ID" "$TMP/daemon.log" || false
}
