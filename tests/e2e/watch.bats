#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# Watchpoints by page protection (vmdbg WATCH_INSERT/REMOVE/LIST): gdb's
# watch/rwatch/awatch that the debug registers cannot take — slots full, a
# region they cannot match, or a host whose data breakpoints never fire —
# go to the VM, which protects the guest-physical pages and reports the
# accesses to the watched bytes.  On the simulated AArch64 machine
# (--dead-watchpoints: the machine's watchpoints never fire, as on nested
# kvm_pvm; its start-up self-test sees that and says so in HELLO); rwatch
# and awatch by page protection there are in arm64.bats.
# The guest is tests/guest/arm64/guest.S (its header lists the labels).

load helpers

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# the page-protection lines of the last `monitor hw` that listed any:
# "KIND ADDR+LEN HITS SILENT PAGES..."
page_lines() {
	printf '%s\n' "$1" | awk '/^page-protection watches: [1-9]/ { t = "" } /^(write|read|access) +0x/ { t = t $0 "\n" } END { printf "%s", t }'
}

@test "dead watchpoints: the self-test says so, and watch fires by page protection with old and new values" {
	need_arm64
	start_vm_arm64 1 --dead-watchpoints && DAEMON_LOG_LEVEL=debug start_daemon
	grep -q 'self-test: watchpoints do not fire' "$TMP/vm.log"
	run gdb_batch "monitor info vm" "watch *(long *)&counters" "continue" "p \$pc - tick" \
		"continue" "monitor hw" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q '^watches: *hardware data breakpoints do not fire on this host, page protection beyond them'
	printf '%s\n' "$output" | grep -q 'hw-watch-dead'
	old=($(printf '%s\n' "$output" | sed -n 's/^Old value = //p'))
	new=($(printf '%s\n' "$output" | sed -n 's/^New value = //p'))
	[ "${#old[@]}" -eq 2 ] && [ "${#new[@]}" -eq 2 ]
	[ $((new[0] - old[0])) -eq 1 ] && [ $((new[1] - old[1])) -eq 1 ]
	[ "${old[1]}" = "${new[0]}" ]
	# reported before the STR (Arm timing); gdb stepped over it: pc after it
	[ "$(printf '%s\n' "$output" | sed -n 's/^\$[0-9]* = //p' | head -1)" = 16 ]
	# not in a slot: the slot table is empty, the page table has it
	printf '%s\n' "$output" | grep -q '0 in use'
	printf '%s\n' "$output" | grep -q 'every watch uses page protection'
	grep -q 'watch:' "$TMP/daemon.log"
}

@test "16 one-byte watches at once: every byte store hits the right one, in order" {
	need_arm64
	# 4 in the slots, 12 by page protection, all on one page
	start_vm_arm64 1 && start_daemon
	cmds=("set breakpoint always-inserted on")
	for i in $(seq 0 15); do cmds+=("watch *((char *)&byte_area + $i)"); done
	cmds+=("monitor hw")
	for i in $(seq 1 20); do cmds+=("continue" "p \$x5"); done
	run gdb_batch "${cmds[@]}" "detach"
	echo "$output"
	! printf '%s\n' "$output" | grep -q 'Could not insert' || false
	printf '%s\n' "$output" | grep -q '^page-protection watches: 12$'
	offs=($(values "$output"))
	[ "${#offs[@]}" -eq 20 ]
	# stopped before each strb (x5 = its offset), byte after byte, wrapping
	cycles() {
		local prev= v
		for v in "$@"; do
			[ "$v" -ge 0 ] && [ "$v" -le 15 ] || return 1
			[ -z "$prev" ] || [ "$v" -eq $(( (prev + 1) % 16 )) ] || return 1
			prev=$v
		done
	}
	cycles "${offs[@]}"
}

@test "a watch removed while another stays on its page; silent accesses counted; none left after delete" {
	need_arm64
	start_vm_arm64 1 --dead-watchpoints && start_daemon
	bytes=$(sym byte_area)
	# gdb takes its watches out to step off a hit (and counts start again
	# with each insertion): the table is read at a breakpoint, after a
	# round of the guest's other stores on that page
	run gdb_batch "set breakpoint always-inserted on" "watch *(char *)&byte_area" \
		"watch *((char *)&byte_area + 1)" "watch *(long *)&load_target" "continue" "continue" \
		"delete 1" "hbreak after_probe" "continue" "monitor hw" "delete 4" "continue" \
		"delete" "monitor hw" "detach"
	echo "$output"
	hits=($(printf '%s\n' "$output" | sed -n 's/^Hardware watchpoint \([0-9]\): .*/\1/p'))
	# set: 1 2 3; hit: byte 0, byte 1, then (byte 0 no longer watched) byte 1
	[ "${hits[*]}" = "1 2 3 1 2 2" ]
	printf '%s\n' "$output" | grep -q 'Breakpoint 4, after_probe'
	lines=$(page_lines "$output")
	# two watches left on the one page; load_target's (never stored to) has
	# silent exits from the stores beside it, and no hit
	[ "$(printf '%s\n' "$lines" | grep -c .)" -eq 2 ]
	page=$(printf '0x%x' $(( bytes & ~0xfff )))
	[ "$(printf '%s\n' "$lines" | grep -c " $page\$")" -eq 2 ]
	[ "$(printf '%s\n' "$lines" | awk '$2 ~ /\+8$/ { print $4 }')" -gt 0 ]
	[ "$(printf '%s\n' "$lines" | awk '$2 ~ /\+8$/ { print $3 }')" -eq 0 ]
	printf '%s\n' "$output" | grep -q '^page-protection watches: 0$'
}

@test "gdb killed, then the daemon killed, with page watches in: the VM drops them, the guest runs on" {
	need_arm64
	start_vm_arm64 1 --dead-watchpoints && start_daemon
	gdb_bg "$TMP/gdb1.out" "set breakpoint always-inserted on" "watch *(long *)&round" \
		"monitor hw" "shell sleep 60"
	wait_for grep -q '^page-protection watches: 1$' "$TMP/gdb1.out"
	kill -9 "$GDB_PIDS"
	wait "$GDB_PIDS" 2>/dev/null || true
	run gdb_batch "monitor hw" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q '^page-protection watches: 0$'
	# again, and this time the daemon dies under gdb
	gdb_bg "$TMP/gdb2.out" "set breakpoint always-inserted on" "watch *(long *)&round" \
		"monitor hw" "shell sleep 60"
	wait_for grep -q '^page-protection watches: 1$' "$TMP/gdb2.out"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	kill -9 "$GDB_PIDS"
	wait "$GDB_PIDS" 2>/dev/null || true
	wait_for grep -q 'watch(es) removed' "$TMP/vm.log"
	grep 'watch(es) removed' "$TMP/vm.log" | tail -1 | grep -q ', 1 watch(es) removed'
	start_daemon
	run gdb_batch "monitor hw" "p *(long *)&round" "shell sleep 0.3" "p *(long *)&round" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q '^page-protection watches: 0$'
	vals=($(values "$output"))
	[ "${vals[1]}" -gt "${vals[0]}" ] || {
		# gdb stops the guest while attached: compare across a detach instead
		run gdb_batch "p *(long *)&round" "detach"
		[ "$(last_value "$output")" -gt "${vals[1]}" ]
	}
}

@test "bad watches are refused with the reason, the daemon serves on" {
	need_arm64
	start_vm_arm64 1 --dead-watchpoints && start_daemon
	# device memory (the UART) and an address outside RAM: not guest RAM
	run gdb_batch "maint packet Z2,9000000,4" "maint packet Z2,10,8" \
		"maint packet Z2,40081000,10001" "maint packet Z2,40081000,8" "maint packet Z2,40081000,8" \
		"maint packet z2,40081000,8" "maint packet z2,40081000,8" "p 1+1" "detach"
	echo "$output"
	mapfile -t r < <(received "$output")
	[[ "${r[0]}" == E* ]] && [[ "${r[1]}" == E* ]] && [[ "${r[2]}" == E* ]]
	printf '%s\n' "${r[0]}" | grep -q 'not mapped to guest RAM'
	printf '%s\n' "${r[2]}" | grep -q '65537 bytes'
	# the same watch twice is one watch; removed once it is gone
	[ "${r[3]}" = OK ] && [ "${r[4]}" = OK ] && [ "${r[5]}" = OK ]
	[[ "${r[6]}" == E* ]]
	[ "$(last_value "$output")" = 2 ]
}

# ---- the KVM machine (x86-64): stores trap through read-only memory slots,
# loads through pages without a slot; hits stop after the access ------------

# gdb's "Old value"/"New value" pairs of OUTPUT: each new is old + 1, and
# each old the new before it (N pairs)
old_new_count() {
	local old new i
	old=($(printf '%s\n' "$1" | sed -n 's/^Old value = //p'))
	new=($(printf '%s\n' "$1" | sed -n 's/^New value = //p'))
	[ "${#old[@]}" -eq "$2" ] && [ "${#new[@]}" -eq "$2" ] || return 1
	for i in $(seq 0 $(( $2 - 1 ))); do
		[ $(( new[i] - old[i] )) -eq 1 ] || return 1
		[ "$i" -eq 0 ] || [ "${old[i]}" = "${new[i-1]}" ] || return 1
	done
}

@test "KVM: watch fires by page protection, repeatedly, after the store, with old and new values" {
	need_kvm
	start_vm 1 && DAEMON_LOG_LEVEL=debug start_daemon --watch-with pages
	run gdb_batch "set breakpoint always-inserted on" "monitor info vm" "watch counters[0]" \
		"continue" "continue" "continue" "p counters[0]" "monitor hw" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q 'page-watch'
	[ "$(printf '%s\n' "$output" | grep -c '^Hardware watchpoint 1: counters\[0\]')" -eq 4 ]
	old_new_count "$output" 3
	# stopped after the access: memory already holds the new value
	new=($(printf '%s\n' "$output" | sed -n 's/^New value = //p'))
	[ "$(last_value "$output")" = "${new[2]}" ]
	printf '%s\n' "$output" | grep -q '^page-protection watches: 1$'
	printf '%s\n' "$output" | grep -Eq '^write +0x0*[0-9a-f]+\+8 '
	grep -q 'watch:' "$TMP/daemon.log"
}

@test "KVM: rwatch fires on the load, awatch on load and store" {
	need_kvm
	start_vm 1 && start_daemon --watch-with pages
	run gdb_batch "rwatch mailbox_in" "continue" "continue" "delete" "awatch counters[0]" \
		"continue" "continue" "detach"
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -c '^Hardware read watchpoint 1: mailbox_in')" -eq 3 ]
	[ "$(printf '%s\n' "$output" | grep -c '^Value = 0$')" -ge 2 ]
	[ "$(printf '%s\n' "$output" | grep -c '^Hardware access (read/write) watchpoint 2: counters\[0\]')" -eq 3 ]
}

@test "KVM: 16 watches at once, every one fires, in the guest's order" {
	need_kvm
	start_vm 1 && start_daemon
	cmds=("set breakpoint always-inserted on")
	for i in $(seq 0 15); do cmds+=("watch ring[$i]"); done
	cmds+=("monitor hw")
	for i in $(seq 1 20); do cmds+=("continue"); done
	run gdb_batch "${cmds[@]}" "detach"
	echo "$output"
	! printf '%s\n' "$output" | grep -q 'Could not insert' || false
	hits=($(printf '%s\n' "$output" | sed -n 's/^Hardware watchpoint \([0-9]*\): ring.*/\1/p' | tail -n 20))
	[ "${#hits[@]}" -eq 20 ]
	prev=
	for h in "${hits[@]}"; do
		[ -z "$prev" ] || [ "$h" -eq $(( prev % 16 + 1 )) ]
		prev=$h
	done
}

@test "KVM: a read watch on a page the guest runs code from: the code runs on, the watch on data fires" {
	need_kvm
	# tick's page loses its slot (read watch): every instruction fetched
	# from it is stepped with the page mapped for it alone
	start_vm 1 && DAEMON_LOG_LEVEL=debug start_daemon --watch-with pages
	run gdb_batch "rwatch *(char *)&tick" "watch counters[0]" "monitor hw" "continue" "continue" \
		"p \$pc >= (long)&tick && \$pc < (long)&tick + 64" "detach"
	echo "$output"
	old_new_count "$output" 2
	! printf '%s\n' "$output" | grep -q 'SIGABRT\|SIGILL' || false
	grep -q 'watch:' "$TMP/daemon.log"
}

@test "KVM: daemon killed with watches in: the VM unprotects every page, the guest runs on" {
	need_kvm
	start_vm 1 && start_daemon --watch-with pages
	gdb_bg "$TMP/gdb1.out" "set breakpoint always-inserted on" "watch ring[3]" "rwatch mailbox_in" \
		"monitor hw" "shell sleep 60"
	wait_for grep -q '^page-protection watches: 2$' "$TMP/gdb1.out"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	kill -9 "$GDB_PIDS"
	wait "$GDB_PIDS" 2>/dev/null || true
	wait_for grep -q ', 2 watch(es) removed' "$TMP/vm.log"
	start_daemon
	run gdb_batch "monitor hw" "p ring_pos" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q '^page-protection watches: 0$'
	first=$(last_value "$output")
	run gdb_batch "p ring_pos" "p mailbox_in = 77" "detach"
	[ "$(last_value "$output")" = 77 ]
	run gdb_batch "p ring_pos" "p mailbox_out" "detach"
	echo "$output"
	vals=($(values "$output"))
	[ "${vals[0]}" -gt "$first" ]
	[ "${vals[1]}" = 77 ]
}

@test "KVM: a store across a page boundary, both pages protected: one hit, old and new values whole" {
	need_kvm
	start_vm 1 && start_daemon --watch-with pages
	run gdb_batch "set breakpoint always-inserted on" \
		"watch *(unsigned long *)&straddle_pages[0][4092]" "monitor hw" "continue" "continue" \
		"p *(unsigned long *)&straddle_pages[0][4092] == ring_pos" "detach"
	echo "$output"
	old_new_count "$output" 2
	# two pages for the one watch
	printf '%s\n' "$output" | grep -Eq '^write +0x0*[0-9a-f]+ffc\+8 +[0-9]+ +[0-9]+ +0x[0-9a-f]+000 0x[0-9a-f]+000$'
	[ "$(last_value "$output")" = 1 ]
}

@test "KVM: a page shared with a vCPU's stack and read every pass: silent traps, exact values, memory intact" {
	need_kvm
	# 8 vCPUs: vCPU 7's stack ends on the page of counters (nm: guest_stacks
	# + 8 * 8 KiB); step, read by every tick, shares pattern_buf's page,
	# which a read watch takes out of the slots
	start_vm 8 && start_daemon --watch-with pages
	run gdb_batch "set breakpoint always-inserted on" "rwatch pattern_buf[255]" \
		"watch counters[0]" "x/16xb pattern_buf" "continue" "continue" "continue" \
		"monitor hw" "x/16xb pattern_buf" "p step" "p counters[7] > 0" "detach"
	echo "$output"
	old_new_count "$output" 3
	# the guest's own bytes, before and after (byte i = i * 7 + 3)
	[ "$(printf '%s\n' "$output" | grep -Ec '^0x[0-9a-f]+ <pattern_buf>:	0x03	0x0a	0x11	0x18	0x1f	0x26	0x2d	0x34$')" -eq 2 ]
	vals=($(values "$output"))
	[ "${vals[0]}" = 1 ] && [ "${vals[1]}" = 1 ]
	# the read watch's page trapped the reads of step without a stop
	silent=$(printf '%s\n' "$output" | awk '/^read +0x/ { print $4 }')
	[ "$silent" -gt 0 ]
	# and the write watch's page the other vCPUs' counters and vCPU 7's stack
	silent=$(printf '%s\n' "$output" | awk '/^write +0x/ { print $4 }')
	[ "$silent" -gt 0 ]
	# never read by the guest: set, never hit
	[ "$(printf '%s\n' "$output" | grep -c '^Hardware read watchpoint 1: pattern_buf\[255\]')" -eq 1 ]
}
