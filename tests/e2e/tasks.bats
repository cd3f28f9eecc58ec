#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# The tasks and taskprof plugins with real gdb-multiarch, on the simulated
# AArch64 machine running the toy kernel of tests/guest/arm64/mt.S (tasks
# "kernel" and "app", threads switched cooperatively on vCPU 0): the
# kernel's threads in `info threads`, `thread N` + `bt` of a switched-out
# thread from the registers the kernel saved, taskprof's counts per task
# equal to what the guest counted, in either load order and across tasks'
# unload.  And GNU Mach's layout as the plugin resolves it from Debian's
# -dbg image, checked against gdb reading the same DWARF.  GNU Mach's
# threads in a booted kernel: tests/e2e/realguests.bats (needs KVM).

load helpers

setup() {
	need_arm64
	[ -n "${GUEST_ARM64_MT:-}" ] ||
		skip "the AArch64 toy kernel is not built: no clang targeting AArch64 at configure time"
	[ -f "$DBGPROXYD_PLUGIN_DIR/tasks.so" ] ||
		skip "the tasks plugin is not built: libdw (libdw-dev) not found at configure time"
	common_setup
	GUEST_IMAGE=$GUEST_ARM64_MT
	ARM64_KERNEL=$GUEST_ARM64_MT
	ARM64_BANNER="mt guest up"
	TASKS="tasks:kernel=$GUEST_ARM64_MT"
}

teardown() {
	common_teardown
}

@test "tasks: info threads names the toy kernel's threads, vCPUs say which runs; bt of a switched-out thread from its saved registers" {
	start_vm_arm64 2 && start_daemon --plugin "$TASKS"
	run gdb_batch "break mt_switch" "continue" "info threads" "monitor tasks"
	echo "$output"
	# vCPU 0 switches out of one thread; vCPU 1 always runs kernel/1
	printf '%s\n' "$output" | grep -qE 'Thread 1 "vCPU 0: (kernel/0|app/0|app/1)"'
	printf '%s\n' "$output" | grep -q 'Thread 2 "vCPU 1: kernel/1"'
	[ "$(printf '%s\n' "$output" | grep -cE 'Thread [0-9]+ "(kernel|app)/[01]" +mt_yield')" -eq 2 ]
	printf '%s\n' "$output" | grep -q '^4 threads (mtguest profile):'
	printf '%s\n' "$output" | grep -qE 'kernel/1 +on vCPU 1'
	# app/0 is th_a: when b runs, a is switched out, its registers are
	# those th_a.ctx holds, and bt unwinds mt_yield into its body
	run gdb_batch "delete" "break mt_work if \$x0 == &th_b" "continue" "delete" "info threads" \
		"python [t for t in gdb.selected_inferior().threads() if t.name == 'app/0'][0].switch()" \
		"bt" "p \$sp == th_a.ctx.sp" "p \$x19 == &th_a" "p \$pc == th_a.ctx.pc" \
		"p \$x29 == th_a.ctx.x29" "p/x \$x0" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -qE '^#0 +mt_yield'
	printf '%s\n' "$output" | grep -qE '^#1 .* in mt_worker_main'
	[ "$(printf '%s\n' "$output" | grep -c '^\$[0-9]* = 1$')" -eq 4 ]
	# what the kernel did not save is unavailable, not a made-up value
	printf '%s\n' "$output" | grep -q '<unavailable>'
}

@test "taskprof after tasks: hits per task equal what the guest's threads counted" {
	start_vm_arm64 1 && start_daemon --plugin "$TASKS" --plugin taskprof
	taskprof_exact
}

@test "taskprof before tasks: the same (it counts per task once the service comes up)" {
	start_vm_arm64 1 && start_daemon --plugin taskprof --plugin "$TASKS"
	taskprof_exact
}

# one vCPU: at gdb's stop in mt_switch every call of mt_work is complete
taskprof_exact() {
	run gdb_batch "break mt_switch" "continue" "p th_idle.work" "p th_a.work + th_b.work" \
		"eval \"monitor taskprof add %p\", &mt_work" \
		"continue" "continue" "continue" "continue" "continue" "continue" "continue" \
		"p th_idle.work" "p th_a.work + th_b.work" "monitor taskprof show" "delete" "detach"
	echo "$output"
	v=($(values "$output"))
	kernel=$((v[2] - v[0])) app=$((v[3] - v[1]))
	[ $((kernel + app)) -eq 7 ]
	printf '%s\n' "$output" | grep -qE "^0x[0-9a-f]+: 7 hits"
	printf '%s\n' "$output" | grep -qE "^ +$kernel +kernel$"
	printf '%s\n' "$output" | grep -qE "^ +$app +app$"
	! printf '%s\n' "$output" | grep -q "unknown task" || false
}

@test "taskprof keeps counting when tasks unloads (unknown task, with the reason) and per task again when it is back" {
	start_vm_arm64 1 && start_daemon --plugin "$TASKS" --plugin taskprof
	run gdb_batch "break mt_switch" "continue" "eval \"monitor taskprof add %p\", &mt_work" \
		"continue" "continue" "monitor plugin unload tasks" "continue" "continue" "continue" \
		"monitor taskprof show" "monitor plugin load tasks kernel=$GUEST_ARM64_MT" \
		"continue" "monitor taskprof show" "info threads" "delete" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q '^plugin tasks unloaded'
	printf '%s\n' "$output" | grep -qE '^0x[0-9a-f]+: 5 hits'
	printf '%s\n' "$output" | grep -qE '^ +3 +\(unknown task\)$'
	printf '%s\n' "$output" | grep -q 'tasks service absent'
	printf '%s\n' "$output" | grep -q 'last unknown task: the tasks service is not there'
	printf '%s\n' "$output" | grep -q '^plugin tasks loaded'
	printf '%s\n' "$output" | grep -qE '^0x[0-9a-f]+: 6 hits'
	# the sixth hit has a task again
	[ "$(printf '%s\n' "$output" | sed -n '/: 6 hits/,$p' | grep -E '^ +[0-9]+ +(kernel|app)$' |
		awk '{ s += $1 } END { print s }')" -eq 3 ]
	printf '%s\n' "$output" | grep -q 'tasks service mtguest'
	# the daemon carried on: the threads are gdb's again
	printf '%s\n' "$output" | grep -qE 'Thread [0-9]+ "(kernel|app)/[01]"'
}

@test "tasks refuses what it cannot use, with the reason; the daemon and gdb carry on" {
	start_vm_arm64 1 && start_daemon
	run gdb_batch "monitor plugin load tasks" "monitor plugin load tasks kernel=/nonexistent" \
		"monitor plugin load tasks kernel=/bin/true" \
		"monitor plugin load tasks kernel=$GUEST_ARM64" \
		"monitor plugin load tasks kernel=$GUEST_ARM64_MT os=linux" \
		"monitor plugin load tasks kernel=$GUEST_ARM64_MT frob=1" \
		"monitor plugin load taskprof" "monitor taskprof show" "monitor taskprof add nowhere" \
		"monitor taskprof frob" "monitor plugin list" "p th_a.task == &mt_task_app" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q 'which kernel? give its ELF with DWARF: tasks:kernel=PATH'
	printf '%s\n' "$output" | grep -q 'kernel image /nonexistent: No such file or directory'
	printf '%s\n' "$output" | grep -q 'has no DWARF (the -dbg image is needed)'
	# the plain AArch64 guest has DWARF of its lines only: no profile fits
	printf '%s\n' "$output" | grep -q 'the kernel is none the plugin knows (gnumach, mtguest): name one with os='
	printf '%s\n' "$output" | grep -q 'no profile linux (known: gnumach, mtguest)'
	printf '%s\n' "$output" | grep -q "unknown argument 'frob=1' (kernel=PATH\[,os=NAME\])"
	printf '%s\n' "$output" | grep -q 'tasks service absent'
	printf '%s\n' "$output" | grep -q "taskprof: bad address 'nowhere'"
	printf '%s\n' "$output" | grep -q 'usage: monitor taskprof add \[hw\] ADDR | show | clear'
	printf '%s\n' "$output" | grep -q '^\$1 = 1'
}

@test "GNU Mach's layout as tasks resolves it from Debian's -dbg image equals gdb's reading of the same DWARF" {
	mach_image
	start_vm_arm64 1 && start_daemon --plugin "tasks:kernel=$MACH_ELF"
	run gdb_batch "monitor tasks layout" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q '^gnumach profile, 8-byte pointers:'
	lines=$(printf '%s\n' "$output" | grep -E '^  (\(long\)|sizeof)')
	[ "$(printf '%s\n' "$lines" | wc -l)" -ge 20 ]
	# each line is "C-EXPRESSION = VALUE": gdb evaluates them on the ELF
	gdbargs=(-batch -nx)
	while IFS= read -r l; do
		expr=${l%% = *}
		gdbargs+=(-ex "p/x ${expr#  }")
	done <<< "$lines"
	want=$(printf '%s\n' "$lines" | sed 's/.* = //' | while read -r v; do printf '0x%x\n' "$v"; done)
	got=$(gdb "${gdbargs[@]}" "$MACH_ELF" 2>&1 | sed -n 's/^\$[0-9]* = //p')
	echo "want: $want"; echo "got: $got"
	[ "$want" = "$got" ]
}
