#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# AArch64 end to end: gdb-multiarch -> dbgproxyd (unchanged) -> dbgproxy-vm
# --arch aarch64, the simulated machine with the Arm debug architecture.
# Every hardware breakpoint/watchpoint case hits here for real: the
# simulator matches DBGBCR/DBGBVR and DBGWCR/DBGWVR as the Arm ARM says
# (D2.9, D2.10), so these tests prove the encodings, not just print them.
# The guest is tests/guest/arm64/guest.S (its header lists the labels).

load helpers

setup() {
	need_arm64
	common_setup
}

teardown() {
	common_teardown
}

# lines LIST: how many non-empty lines
nlines() {
	printf '%s\n' "$1" | grep -c .
}

# cycles LO HI V...: every V is in LO..HI and each follows the one before
# it as the guest's loop does (+1, HI wrapping to LO): no store outside the
# watched bytes stopped the guest, and none inside was missed
cycles() {
	local lo=$1 hi=$2 prev= v
	shift 2
	for v in "$@"; do
		[ "$v" -ge "$lo" ] && [ "$v" -le "$hi" ] || return 1
		if [ -n "$prev" ]; then
			[ "$v" -eq $(( prev == hi ? lo : prev + 1 )) ] || return 1
		fi
		prev=$v
	done
}

# the "BPn/WPn ..." lines of the last `monitor hw` table
hw_lines() {
	printf '%s\n' "$1" | awk '/^hardware debug slots/ { t = "" } /^(BP|WP)[0-9]/ { t = t $0 "\n" } END { printf "%s", t }'
}

@test "hbreak on tick hits repeatedly; DBGBCR/DBGBVR as programmed; one tick per hit" {
	start_vm_arm64 1 && DAEMON_LOG_LEVEL=debug start_daemon
	run gdb_batch "set breakpoint always-inserted on" "hbreak tick" "monitor hw" \
		"continue" "p *(long *)&counters" "continue" "p *(long *)&counters" \
		"continue" "p *(long *)&counters" "delete" "monitor hw" "detach"
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -c 'Breakpoint 1, tick')" -eq 3 ]
	vals=($(values "$output"))
	[ $((vals[1] - vals[0])) -eq 1 ]
	[ $((vals[2] - vals[1])) -eq 1 ]
	# E=1, PMC=0b11 (EL1 and EL0), BAS=0b1111, unlinked address match; BVR = tick
	tick=$(sym tick)
	printf '%s\n' "$output" | grep -E "^BP0 .*BVR=0x0*${tick#0x} BCR=0x000001e7 exec ${tick}\+4"
	printf '%s\n' "$output" | grep -q '0 in use'
	grep -q 'hwbreak' "$TMP/daemon.log"
}

@test "more hbreaks than the 2 breakpoint pairs fail cleanly; the first two still hit" {
	start_vm_arm64 1 --hw-bps 2 && start_daemon
	# first stop away from the three (at a breakpoint's pc gdb would step
	# over it with the other two inserted, and then name another as refused);
	# gdb inserts by address, so the third, load_once (breakpoint 4), is refused
	run gdb_batch "hbreak after_probe" "continue" "delete" \
		"hbreak tick" "hbreak byte_stores" "hbreak load_once" "continue" \
		"delete 4" "continue" "continue" "continue" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -Eq '(Cannot|Could not) insert hardware breakpoint 4'
	printf '%s\n' "$output" | grep -q 'Breakpoint 2, tick'
	printf '%s\n' "$output" | grep -q 'Breakpoint 3, byte_stores'
	! printf '%s\n' "$output" | grep -q 'Breakpoint 4, load_once' || false
}

@test "break (BRK #0 owned by the VM) hits; reads show the original instruction" {
	start_vm_arm64 1 && DAEMON_LOG_LEVEL=debug start_daemon
	want=$("$GDB_BIN" -batch -nx -ex "x/wx tick" "$GUEST_ARM64" | awk '{ print $NF }')
	run gdb_batch "break tick" "continue" "x/wx tick" "continue" "p \$pc == tick" "delete" "detach"
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -c 'Breakpoint 1, tick')" -eq 2 ]
	printf '%s\n' "$output" | grep -E "<tick>:[[:space:]]+$want"
	[ "$(values "$output" | tail -1)" = 1 ]
	grep -q 'swbreak' "$TMP/daemon.log"
	# after detach the guest's code is its own again
	run gdb_batch "x/wx tick" "detach"
	printf '%s\n' "$output" | grep -E "<tick>:[[:space:]]+$want"
}

@test "stepi advances exactly one instruction" {
	start_vm_arm64 1 && start_daemon
	run gdb_batch "hbreak tick" "continue" "delete" "stepi" "p \$pc - tick" "p \$x1 == (long)&counters" \
		"stepi" "p \$pc - tick" "stepi" "stepi" "p \$pc - tick" "detach"
	echo "$output"
	vals=($(values "$output"))
	[ "${vals[0]}" = 4 ]
	[ "${vals[1]}" = 1 ]
	[ "${vals[2]}" = 8 ]
	[ "${vals[3]}" = 16 ]
}

@test "next over a line that loops 2000 instructions: one range step (vCont;r) in the VM, stopped after the line" {
	start_vm_arm64 1 && start_daemon
	run gdb_batch "set *(long *)&spin_count = 1000" "hbreak spin_line" "continue" "delete" \
		"set debug remote 1" "next" "set debug remote 0" "p \$pc - spin_line" "p \$x9" \
		"p *(long *)&spin_count" "detach"
	echo "$output"
	vals=($(values "$output"))
	[ "${vals[0]}" = 8 ]   # the line after the loop's
	[ "${vals[1]}" = 0 ]   # the loop ran to its end
	[ "${vals[2]}" = 1000 ] # stopped before the store that clears it
	# gdb asked once for the whole line, never for single steps
	[ "$(printf '%s\n' "$output" | grep -c 'Sending packet: \$vCont;r')" -eq 1 ]
	! printf '%s\n' "$output" | grep -q 'Sending packet: \$vCont;s' || false
}

# The condition tests run twice: against a VM that evaluates conditions
# (vmdbg CONDITIONS) and against one that does not (--no-conditions), where
# dbgproxyd evaluates them and steps the vCPU over a false hit itself;
# gdb must see no difference.  VM_ARGS: the VM's extra arguments.

# conditional_hits: break and hbreak whose condition is true at the 300th hit
conditional_hits() {
	start_vm_arm64 1 ${VM_ARGS:-} && start_daemon
	for kind in break hbreak; do
		# counters has no debug type: gdb compiles a condition on it only by address
		run gdb_batch "python c0 = int(gdb.parse_and_eval('*(long *)&counters'))" \
			"python a = int(gdb.parse_and_eval('(long)&counters'))" \
			"python gdb.execute('$kind tick if *(long *)%d == %d && \$x0 == 0' % (a, c0 + 300))" \
			"set debug remote 1" "continue" "set debug remote 0" \
			"python print('HITS-LATER', int(gdb.parse_and_eval('*(long *)&counters')) - c0)" \
			"delete" "detach"
		echo "$output" | grep -v 'Packet received: [0-9a-f]*$'
		[ "$status" -eq 0 ]
		# the point went to the VM with its bytecode; one stop came back
		printf '%s\n' "$output" | grep -q 'Sending packet: \$Z[01],[0-9a-f]*,4;X[0-9a-f]*,'
		[ "$(printf '%s\n' "$output" | grep -Ec 'Packet received: T05thread:1;(sw|hw)break:')" -eq 1 ]
		printf '%s\n' "$output" | grep -q '^HITS-LATER 300$'
	done
}

@test "break/hbreak with a condition: the VM evaluates it (ConditionalBreakpoints), 300 false hits send nothing to gdb" {
	conditional_hits
}

@test "the same with a VM without conditions (--no-conditions): dbgproxyd evaluates them and steps over false hits" {
	VM_ARGS=--no-conditions conditional_hits
	! grep -q 'features:.* conditions' "$TMP/daemon.log" || false
}

# agent_dprintf: dprintf-style agent at tick, a stop after six ticks
agent_dprintf() {
	start_vm_arm64 1 ${VM_ARGS:-} && start_daemon
	run gdb_batch "set dprintf-style agent" \
		"python a = int(gdb.parse_and_eval('(long)&counters')); c0 = int(gdb.parse_and_eval('*(long *)&counters'))" \
		"python gdb.execute('dprintf tick,\"tick x0=%%d count=%%ld\\\\n\", \$x0, *(long *)%d' % a)" \
		"python gdb.execute('break after_probe if *(long *)%d >= %d' % (a, c0 + 6))" \
		"set debug remote 1" "continue" "set debug remote 0" \
		"python print('COUNT-NOW', int(gdb.parse_and_eval('*(long *)&counters')) - c0)" "delete" "detach"
	echo "$output" | grep -v 'Packet received: [0-9a-f]*$'
	[ "$status" -eq 0 ]
	# the commands went with the Z0 (BreakpointCommands), the text came as O packets
	printf '%s\n' "$output" | grep -q 'Sending packet: \$Z0,[0-9a-f]*,4;cmds:[01],X'
	[ "$(printf '%s\n' "$output" | grep -c 'Packet received: O')" -ge 5 ]
	[ "$(printf '%s\n' "$output" | grep -Ec 'Packet received: T05')" -eq 1 ]
	# five consecutive counts at least (six ticks, the first maybe half done
	# where gdb attached), one line each, escapes as C
	mapfile -t counts < <(printf '%s\n' "$output" | sed -n 's/.*tick x0=0 count=\([0-9]*\)$/\1/p')
	[ "${#counts[@]}" -ge 5 ]
	for i in 1 2 3 4; do [ $((counts[i] - counts[i - 1])) -eq 1 ]; done
	! printf '%s\n' "$output" | grep -q 'count=[0-9]*\\n' || false
}

@test "dprintf-style agent: the VM runs the printf where tick hits, gdb prints it while the guest runs, no stop" {
	agent_dprintf
}

@test "dprintf-style agent with a VM without conditions: dbgproxyd runs the printf" {
	VM_ARGS=--no-conditions agent_dprintf
}

@test "a condition that reads unmapped memory stops at the first hit, with the reason in the log of whoever evaluated it" {
	for args in "" --no-conditions; do
		start_vm_arm64 1 $args && start_daemon
		run gdb_batch "break tick if *(long *)0x10 == 1" "continue" "p \$pc == tick" "delete" "detach"
		echo "$output"
		[ "$(last_value "$output")" = 1 ]
		log=$TMP/vm.log; [ -z "$args" ] || log=$TMP/daemon.log
		grep -q "could not be evaluated: cannot read 8 byte(s) of guest memory at 0x10" "$log"
		stop_all; common_setup
	done
	start_vm_arm64 1 && start_daemon
	# a condition with a register the VM cannot serve as it is (sp is banked)
	# is refused with advice (gdb shows its own words for a failed Z0)
	run gdb_batch "set debug remote 1" "break tick if \$sp == 0" "continue" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q "Cannot insert breakpoint 1"
	printf '%s\n' "$output" | grep -q "Packet received: E.breakpoint at 0x[0-9a-f]*: the condition reads register sp, which the VM cannot evaluate; use 'set breakpoint condition-evaluation host'"
}

@test "at the default log level 200 single steps write nothing per step to the daemon's log" {
	start_vm_arm64 1
	DAEMON_LOG_LEVEL=message start_daemon
	before=$(wc -l < "$TMP/daemon.log")
	run gdb_batch "hbreak tick" "continue" "delete" "stepi 200" "p \$pc != 0" "detach"
	echo "$output"
	[ "$(last_value "$output")" = 1 ]
	cat "$TMP/daemon.log"
	# connect, attach, the hbreak's stop, end: a few lines, not one per step
	[ $(( $(wc -l < "$TMP/daemon.log") - before )) -le 10 ]
}

@test "watch on an 8-byte variable: old and new value of the store, stop after it" {
	start_vm_arm64 1 && DAEMON_LOG_LEVEL=debug start_daemon
	run gdb_batch "watch *(long *)&counters" "continue" "p \$pc - tick" "continue" "detach"
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -c 'Hardware watchpoint 1: \*(long \*)&counters')" -ge 3 ]
	old=($(printf '%s\n' "$output" | sed -n 's/^Old value = //p'))
	new=($(printf '%s\n' "$output" | sed -n 's/^New value = //p'))
	[ "${#old[@]}" -eq 2 ] && [ "${#new[@]}" -eq 2 ]
	[ $((new[0] - old[0])) -eq 1 ]
	[ $((new[1] - old[1])) -eq 1 ]
	[ "${old[1]}" = "${new[0]}" ]
	# reported after the STR at tick+12 completed: gdb stepped over it
	[ "$(values "$output" | head -1)" = 16 ]
	grep -q 'watch:' "$TMP/daemon.log"
}

# rwatch_awatch_load [VM-ARG...]: rwatch, then awatch, on load_target each
# stop the guest at its load (8 bytes into load_once) and report the value
rwatch_awatch_load() {
	start_vm_arm64 1 "$@" && DAEMON_LOG_LEVEL=debug start_daemon
	run gdb_batch "rwatch *(long *)&load_target" "continue" "p \$pc - load_once" "delete" \
		"awatch *(long *)&load_target" "continue" "p \$pc - load_once" "detach"
	echo "$output"
	# one line when set, one when hit
	[ "$(printf '%s\n' "$output" | grep -c '^Hardware read watchpoint 1:')" -eq 2 ]
	[ "$(printf '%s\n' "$output" | grep -c '^Hardware access (read/write) watchpoint 2:')" -eq 2 ]
	[ "$(printf '%s\n' "$output" | grep -c '^Value = 4660')" -eq 2 ]
	vals=($(values "$output"))
	[ "${vals[0]}" = 8 ] && [ "${vals[1]}" = 8 ]
	grep -q 'rwatch:' "$TMP/daemon.log"
	grep -q 'awatch:' "$TMP/daemon.log"
}

@test "rwatch hits the load; awatch hits it too; both report the value" {
	rwatch_awatch_load
}

@test "the same by page protection, where the machine's watchpoints never fire" {
	rwatch_awatch_load --dead-watchpoints
}

@test "3-byte watch at an odd address: every 1-byte store into it hits, stores beside it never" {
	start_vm_arm64 1 && start_daemon
	cmds=("watch *(char (*)[3])((char *)&byte_area + 5)")
	for i in $(seq 1 7); do cmds+=("continue" "p \$x5"); done
	run gdb_batch "${cmds[@]}" "detach"
	echo "$output"
	offs=($(values "$output"))
	[ "${#offs[@]}" -eq 7 ]
	cycles 5 7 "${offs[@]}"
}

@test "64-byte range watch (one slot, MASK=6) hits stores anywhere inside, not the guards" {
	start_vm_arm64 1 && start_daemon
	cmds=("set breakpoint always-inserted on" "watch *(char (*)[64])&block64" "monitor hw")
	for i in $(seq 1 10); do cmds+=("continue" "p \$x7"); done
	run gdb_batch "${cmds[@]}" "detach"
	echo "$output"
	block=$(sym block64)
	lines=$(hw_lines "$output")
	[ "$(nlines "$lines")" -eq 1 ]
	# E, PAC=0b11, LSC=store, BAS=0xff, MASK=6 (2^6 bytes); WVR = the aligned base
	printf '%s\n' "$lines" | grep -E "^WP0 .*WVR=0x0*${block#0x} WCR=0x06001ff7 write ${block}\+64"
	js=($(values "$output"))
	[ "${#js[@]}" -eq 10 ]
	# x7 = j of the store at block64 - 8 + 8*j: inside means 1..8
	cycles 1 8 "${js[@]}"
}

@test "12-byte unaligned watch takes two slots and hits in both, never outside" {
	start_vm_arm64 1 && start_daemon
	cmds=("set breakpoint always-inserted on" "watch *(char (*)[12])((char *)&byte_area + 4)" "monitor hw")
	for i in $(seq 1 14); do cmds+=("continue" "p \$x5"); done
	run gdb_batch "${cmds[@]}" "detach"
	echo "$output"
	area=$(sym byte_area)
	lines=$(hw_lines "$output")
	[ "$(nlines "$lines")" -eq 2 ]
	# bytes 4-7 of the first doubleword (BAS=0xf0), all of the second
	printf '%s\n' "$lines" | grep -E "^WP0 .*WVR=0x0*${area#0x} WCR=0x00001e17 write $(printf '0x%x' $((area + 4)))\+12"
	printf '%s\n' "$lines" | grep -E "^WP1 .*WVR=0x0*$(printf '%x' $((area + 8))) WCR=0x00001ff7 write $(printf '0x%x' $((area + 4)))\+12"
	offs=($(values "$output"))
	[ "${#offs[@]}" -eq 14 ]
	cycles 4 15 "${offs[@]}"
}

@test "a misaligned 16-byte watch is two exact slots, not a MASK range around it" {
	# QEMU arm64 programs a power-of-two length with MASK from the aligned
	# base below it and so also fires for block64+0..7; the exact pieces do not
	start_vm_arm64 1 && start_daemon
	cmds=("set breakpoint always-inserted on" "watch *(char (*)[16])((char *)&block64 + 8)" "monitor hw")
	for i in $(seq 1 6); do cmds+=("continue" "p \$x7"); done
	run gdb_batch "${cmds[@]}" "detach"
	echo "$output"
	block=$(sym block64)
	lines=$(hw_lines "$output")
	[ "$(nlines "$lines")" -eq 2 ]
	printf '%s\n' "$lines" | grep -E "^WP0 .*WVR=0x0*$(printf '%x' $((block + 8))) WCR=0x00001ff7"
	printf '%s\n' "$lines" | grep -E "^WP1 .*WVR=0x0*$(printf '%x' $((block + 16))) WCR=0x00001ff7"
	js=($(values "$output"))
	[ "${#js[@]}" -eq 6 ]
	# the stores at block64 - 8 + 8*j inside [block64+8, +24) are j = 2, 3
	cycles 2 3 "${js[@]}"
}

@test "hardware breakpoints and watchpoints stay armed across single steps" {
	start_vm_arm64 1 && start_daemon
	# gdb inserts both, steps three instructions with them armed, then the
	# next two stops (one pass of the loop) must be the breakpoint and the
	# watchpoint: stepping must not have dropped either.  The steps start at
	# load_once (adr, ldr, ret: back to main_loop's "bl spin"), away from
	# both, not wherever gdb happened to attach: a stepi from tick, or over
	# the store to round, has gdb itself take that one out (z1/z2) to step
	# past it, and gdb puts it back only when it next resumes, so `monitor hw`
	# would rightly not list it then
	run gdb_batch "thbreak load_once" "continue" \
		"set breakpoint always-inserted on" "hbreak tick" "watch *(long *)&round" \
		"stepi" "stepi" "stepi" "p \$pc == after_probe - 8" "monitor hw" \
		"continue" "continue" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q 'Temporary breakpoint 1, load_once'
	[ "$(values "$output")" = 1 ]
	hw=$(hw_lines "$output")
	[ "$(nlines "$hw")" -eq 2 ]
	tick=$(sym tick); round=$(sym round)
	printf '%s\n' "$hw" | grep -Eq "^BP[0-9] .* exec ${tick}\+4"
	printf '%s\n' "$hw" | grep -Eq "^WP[0-9] .* write ${round}\+8"
	after=$(printf '%s\n' "$output" | sed -n '/^hardware debug slots/,$p')
	printf '%s\n' "$after" | grep -q 'Breakpoint 2, tick'
	printf '%s\n' "$after" | grep -q '^Old value = '
}

@test "a store pair below the watched doubleword still hits (FAR below the watch)" {
	start_vm_arm64 1 && DAEMON_LOG_LEVEL=debug start_daemon
	run gdb_batch "watch *(long *)((char *)&pair_target + 8)" "continue" "p \$pc - pair_store" \
		"p *(long *)((char *)&pair_target + 8) - *(long *)&round" "detach"
	echo "$output"
	[ "$(printf '%s\n' "$output" | grep -c '^Hardware watchpoint 1:')" -eq 2 ]
	vals=($(values "$output"))
	[ "${vals[0]}" = 16 ]
	[ "${vals[1]}" = 512 ]
	target=$(sym pair_target)
	grep -q "watch:$(printf '%x' $((target + 8)))" "$TMP/daemon.log"
}

@test "more watchpoints than the 4 pairs: the 5th goes to page protection, all five hit" {
	start_vm_arm64 1 && start_daemon
	# always-inserted: each watch goes in when given; the 5th finds the
	# slots full and the VM protects its page instead (tests/e2e/watch.bats)
	run gdb_batch "set breakpoint always-inserted on" "watch *(long *)&counters" "watch *(long *)&round" \
		"watch *(long *)&pair_target" "watch *(long *)&block64" \
		"watch *(char *)&byte_area" "monitor hw" \
		"continue" "continue" "continue" "continue" "continue" "continue" "detach"
	echo "$output"
	! printf '%s\n' "$output" | grep -q 'Could not insert' || false
	printf '%s\n' "$output" | grep -q '^page-protection watches: 1$'
	printf '%s\n' "$output" | grep -Eq "^write +$(sym byte_area | sed 's/^0x/0x0*/')\+1 "
	# each of the five: one line when set, at least one when hit
	for n in 1 2 3 4 5; do
		[ "$(printf '%s\n' "$output" | grep -c "^Hardware watchpoint $n:")" -ge 2 ]
	done
}

@test "registers: x1-x18 and x30 as the guest set them, sp banked to SP_EL1, v0 round-trips" {
	start_vm_arm64 1 && start_daemon
	run gdb_batch "break reg_probe_point" "continue" "info registers" \
		"p \$x30 == after_probe" "p \$sp == &stacks_top" "p \$sp == \$sp_el1" \
		"set \$v0.d.u[0] = 0x1122334455667788" "set \$v0.d.u[1] = 0x99aabbccddeeff00" \
		"stepi" "p/x \$v0.d.u" "p \$v0" "p/x \$cpsr & 0x3ff" "info registers system" "detach"
	echo "$output"
	for n in $(seq 1 18); do
		printf '%s\n' "$output" | grep -E "^x$n +$(printf '0x%x' $((0x0101010101010101 * n))) "
	done
	[ "$(values "$output" | sed -n 1,3p | tr -d '\n')" = 111 ]
	printf '%s\n' "$output" | grep -q '{0x1122334455667788, 0x99aabbccddeeff00}'
	# EL1h, D A I F masked
	printf '%s\n' "$output" | grep -E '^\$[0-9]+ = 0x3c5$'
	printf '%s\n' "$output" | grep -E '^mpidr_el1 +0x80000000'
	printf '%s\n' "$output" | grep -E '^sctlr_el1 +0x30d00800'
}

@test "2 vCPUs are 2 threads; x19 is each one's index and both tick" {
	start_vm_arm64 2 && start_daemon
	run gdb_batch "info threads" "thread 1" "p \$x19" "thread 2" "p \$x19" \
		"p *(long *)((char *)&counters + 8)" "hbreak tick" "continue" "continue" "continue" \
		"continue" "delete" "p *(long *)((char *)&counters + 8)" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q 'Thread 1 "vCPU 0"'
	printf '%s\n' "$output" | grep -q 'Thread 2 "vCPU 1"'
	vals=($(values "$output"))
	[ "${vals[0]}" = 0 ] && [ "${vals[1]}" = 1 ]
	[ "${vals[3]}" -gt "${vals[2]}" ]
	printf '%s\n' "$output" | grep -q 'Thread 2 "vCPU 1" hit Breakpoint'
}

@test "an undefined instruction stops with SIGILL, a jump outside memory with SIGSEGV" {
	start_vm_arm64 1 && start_daemon
	run gdb_batch "hbreak after_probe" "continue" "delete" "set {int}after_probe = 0x00000000" \
		"continue" "p \$pc == after_probe" "set \$pc = 0x1000" "stepi" "p \$pc" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q 'received signal SIGILL'
	printf '%s\n' "$output" | grep -q 'received signal SIGSEGV'
	grep -q 'undefined instruction 0x00000000' "$TMP/vm.log"
}

@test "the same guest ELF boots under qemu-system-aarch64 -M virt" {
	if [ -z "${QEMU_AARCH64:-}" ] || [ "$QEMU_AARCH64" = no ]; then
		skip "qemu-system-aarch64 not found at configure time: apt-get install qemu-system-arm"
	fi
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dbgproxy-e2e.XXXXXX")
	"$QEMU_AARCH64" -M virt -cpu cortex-a57 -m 64 -nographic -monitor none \
		-serial "file:$TMP/qemu.log" -kernel "$GUEST_ARM64" &
	VM_PID=$!
	wait_for grep -q "arm64 test guest up" "$TMP/qemu.log"
}

@test "SVE at 512 bits: z/p/ffr/vg as gdb's SVE feature, v0-v31 are views of z, vg read-only" {
	start_vm_arm64 1 --sve-vl 512 && start_daemon
	run gdb_batch "p \$vg" "p sizeof(\$z0)" "p sizeof(\$p15)" "p sizeof(\$ffr)" \
		"set \$z1.d.u[5] = 0x1122334455667788" "set \$z2.d.u[0] = 0x0123456789abcdef" \
		"stepi" "p/x \$z1.d.u[5]" "p/x \$v2.d.u[0]" "p/x \$d2.u == \$z2.d.u[0]" \
		"set \$p3[7] = 0x5a" "p/x \$p3" "set \$vg = 4" "p \$sp == \$sp_el1" "detach"
	echo "$output"
	vals=($(values "$output"))
	[ "${vals[0]}" = 8 ]      # 512 / 64
	[ "${vals[1]}" = 64 ]
	[ "${vals[2]}" = 8 ]
	[ "${vals[3]}" = 8 ]
	[ "${vals[4]}" = 0x1122334455667788 ]
	[ "${vals[5]}" = 0x123456789abcdef ]
	[ "${vals[6]}" = 0x1 ]
	printf '%s\n' "$output" | grep -q '{0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x5a}'
	printf '%s\n' "$output" | grep -q 'register vg is read-only'
	[ "$(values "$output" | tail -1)" = 1 ]
}

@test "SVE at 2048 bits: 256-byte z registers round-trip through the VM" {
	start_vm_arm64 1 --sve-vl 2048 && start_daemon
	run gdb_batch "p \$vg" "p sizeof(\$z31)" "set \$z31.d.u[31] = 0xfedcba9876543210" \
		"set \$z31.b.u[0] = 0x42" "stepi" "p/x \$z31.d.u[31]" "p/x \$z31.b.u[0]" \
		"p/x \$z31.d.u[16]" "detach"
	echo "$output"
	vals=($(values "$output"))
	[ "${vals[0]}" = 32 ]
	[ "${vals[1]}" = 256 ]
	[ "${vals[2]}" = 0xfedcba9876543210 ]
	[ "${vals[3]}" = 0x42 ]
	[ "${vals[4]}" = 0x0 ]
}

@test "a guest that powers off is a SIGQUIT stop gdb can inspect; resuming it ends it" {
	start_vm_arm64 2 && start_daemon
	run gdb_batch "break reg_probe_point" "continue" "delete" "jump power_off" \
		"p/x \$x19" "p/x \$pc" "p/x *(long *)&load_target" "info threads" "continue" \
		"info threads"
	echo "$output"
	printf '%s\n' "$output" | grep -q 'the guest powered off on vCPU 0'
	printf '%s\n' "$output" | grep -q 'received signal SIGQUIT'
	# the dead guest's registers and memory are still there
	vals=($(values "$output"))
	[ "${vals[0]}" = 0x5ca1ab1e ]
	[ "${vals[2]}" = 0x1234 ]
	# the pc is past the HVC, inside power_off
	off=$(( vals[1] - $(sym power_off) ))
	[ "$off" -gt 0 ] && [ "$off" -le 16 ]
	printf '%s\n' "$output" | grep -q 'guest dead'
	printf '%s\n' "$output" | grep -q 'the guest is dead and cannot run again'
	printf '%s\n' "$output" | grep -q 'terminated with signal SIGQUIT'
	# the daemon serves the next gdb, which sees the dead guest stopped
	run gdb_batch "p/x \$x19" "continue"
	echo "$output"
	[ "$(last_value "$output")" = 0x5ca1ab1e ]
	printf '%s\n' "$output" | grep -q 'terminated with signal SIGQUIT'
	kill -0 "$VM_PID" && kill -0 "$DAEMON_PID"
}

# mem_sharing_session [DAEMON_ARG...]: gdb reads tick's word raw (no gdb
# shadowing: maint packet), inserts a breakpoint there, reads it raw again,
# writes round, writes tick's own word back over the breakpoint, and runs
# into the breakpoint; sets output
mem_sharing_session() {
	start_vm_arm64 1 && start_daemon "$@"
	local tick round
	tick=$(sym tick); round=$(sym round)
	run gdb_batch "set breakpoint always-inserted on" \
		"maint packet m${tick#0x},4" "break tick" "maint packet m${tick#0x},4" \
		"maint packet M${round#0x},8:3412000000000000" "p/x *(long *)&round" \
		"monitor info vm" "continue" "detach"
	echo "$output"
}

@test "guest memory is read and written in the RAM the VM shares: breakpoint bytes hidden, a write over one keeps it" {
	mem_sharing_session
	raw=($(received "$output"))
	[ "${#raw[@]}" -ge 2 ]
	# the guest's own instruction, not BRK #0 (000020d4), under the inserted breakpoint
	[ "${raw[0]}" = "${raw[1]}" ]
	[ "${raw[0]}" != 000020d4 ]
	[ "$(values "$output")" = 0x1234 ]
	printf '%s\n' "$output" | grep -q 'guest memory: *shared by the VM (64 MiB, virtual = physical)'
	# both reads and the write were served by the daemon itself
	printf '%s\n' "$output" | grep -Eq 'served here ([2-9]|[1-9][0-9]+)/[1-9]'
	printf '%s\n' "$output" | grep -q 'Breakpoint 1, tick'
	grep -q 'shares its guest memory' "$TMP/daemon.log"

	# a write over the patched word goes to the VM, which keeps the breakpoint
	stop_all; common_setup
	start_vm_arm64 1 && start_daemon
	tick=$(sym tick)
	run gdb_batch "set breakpoint always-inserted on" "maint packet m${tick#0x},4" "break tick" \
		"maint packet M${tick#0x},4:${raw[0]}" "monitor info vm" "continue" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -Eq 'by the VM [0-9]+/[1-9]'
	printf '%s\n' "$output" | grep -q 'Breakpoint 1, tick'
}

@test "--no-shared-memory: the same through the VM's socket" {
	mem_sharing_session --no-shared-memory
	raw=($(received "$output"))
	[ "${raw[0]}" = "${raw[1]}" ]
	[ "$(values "$output")" = 0x1234 ]
	printf '%s\n' "$output" | grep -q "guest memory: *through the VM's socket (--no-shared-memory); reads/writes served here 0/0"
	printf '%s\n' "$output" | grep -q 'Breakpoint 1, tick'
}

@test "compare-sections (qCRC), find (qSearch:memory) and x reads are answered by the daemon" {
	start_vm_arm64 1 && start_daemon
	tick=$(sym tick)
	# RAM ends at 0x44000000: a pattern in its last bytes is found by a
	# search whose range runs past the end
	run gdb_batch "set debug remote 1" "compare-sections .text" \
		"set var *(unsigned char *)$tick = ~*(unsigned char *)$tick" "compare-sections .text" \
		"set var *(unsigned char *)$tick = ~*(unsigned char *)$tick" \
		"set var *(int *)0x43fffff0 = 0x7e57ab1e" \
		"find /w 0x40000000, +0x100000, *(int *)tick" \
		"find /w 0x40090000, +0x4000000, 0x7e57ab1e" \
		"find /w 0x40000000, +0x100000, 0x0badf00d" \
		"set debug remote 0" "monitor info vm" "detach"
	echo "$output"
	# the CRC came from the daemon, and it sees a changed byte
	printf '%s\n' "$output" | grep -q 'Sending packet: \$qCRC:'
	[ "$(printf '%s\n' "$output" | grep -c 'Packet received: C[0-9a-f]\{8\}$')" -eq 2 ]
	printf '%s\n' "$output" | grep -q 'Section .text, range .*: matched'
	printf '%s\n' "$output" | grep -q 'Section .text, range .*: MIS-MATCHED'
	# each search (gdb goes on after a hit, counting) is one packet, answered by the daemon
	[ "$(printf '%s\n' "$output" | grep -c 'Sending packet: \$qSearch:memory:')" -ge 3 ]
	printf '%s\n' "$output" | grep -q "^$tick <tick>"
	printf '%s\n' "$output" | grep -q '^0x43fffff0$'
	printf '%s\n' "$output" | grep -q 'Packet received: 0$'
	printf '%s\n' "$output" | grep -q 'Pattern not found'
	# the searches read megabytes; none of it crossed to gdb or to the VM
	printf '%s\n' "$output" | grep -Eq 'served here [0-9]{3,}/'

	# x: binary, "b" first for gdb; bare after lldb's probe x0,0
	run gdb_batch "maint packet x${tick#0x},4" "maint packet x${tick#0x},0" "maint packet x${tick#0x},4" \
		"detach"
	echo "$output"
	r=($(received "$output"))
	[ "${r[0]}" = 'b\x01\x83\x00\x10' ]
	[ "${r[1]}" = OK ]
	[ "${r[2]}" = '\x01\x83\x00\x10' ]
}

@test "lldb reads memory with x packets" {
	command -v lldb > /dev/null || skip "lldb is not installed"
	start_vm_arm64 1 && start_daemon --log-level debug
	run timeout -s KILL 120 lldb --no-lldbinit -b -o "target create $GUEST_ARM64" \
		-o "gdb-remote 127.0.0.1:$PORT" -o "memory read -s4 -fx -c2 $(sym tick)" -o "process detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q "^$(sym tick): 0x10008301 0xf8607822"
	grep -q 'gdb -> x0,0' "$TMP/daemon.log"
	grep -q 'gdb -> x4008[0-9a-f]*,[0-9a-f]' "$TMP/daemon.log"
}

@test "Ctrl-C while dbgproxyd evaluates a never-true condition (VM without conditions): SIGINT, the point still works after" {
	start_vm_arm64 1 --no-conditions && DAEMON_LOG_LEVEL=debug start_daemon
	gdb_bg "$TMP/gdb.out" "break tick if \$x0 == 77" "continue" "p \$pc != 0" "delete" \
		"hbreak tick" "continue" "p \$pc == tick" "detach"
	wait_for grep -q "resumed by gdb" "$TMP/daemon.log"
	sleep 1
	kill -INT "$GDB_PIDS"
	wait_for sh -c "! kill -0 $GDB_PIDS 2>/dev/null"
	cat "$TMP/gdb.out"
	grep -q "received signal SIGINT" "$TMP/gdb.out"
	grep -q 'Breakpoint 2, tick' "$TMP/gdb.out"
	[ "$(last_value "$(cat "$TMP/gdb.out")")" = 1 ]
	# the guest runs on, no breakpoint left in it
	kill -0 "$VM_PID" && kill -0 "$DAEMON_PID"
	GDB_PIDS=
	run gdb_batch "monitor info vm" "detach"
	printf '%s\n' "$output" | grep -q 'sw breakpoints: *0 inserted'
}
