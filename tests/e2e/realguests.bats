#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# Real third-party kernels under dbgproxy-vm, as a new user would boot them:
# GNU Mach 1.8 (a multiboot ELF with DWARF: a 32-bit stub, a 64-bit kernel) and memtest86+
# (a Linux-boot-protocol bzImage), both from Debian's packages, fetched with
# `apt-get download` at test time into the build tree (tests/fetch-deb.sh),
# never committed.  A package that cannot be fetched skips its tests with
# the reason; so does a host without /dev/kvm.

load helpers

setup() {
	need_kvm
	common_setup
	: "${DEB_CACHE:?set by make check}"
	: "${TOP_SRCDIR:?set by make check}"
}

teardown() {
	exec 7>&-
	common_teardown
}

# start_real_vm KERNEL [dbgproxy-vm options...]: COM1 reads the fifo on fd 7 (bats owns fd 3)
start_real_vm() {
	local kernel=$1; shift
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/dbgproxy-real.XXXXXX")
	VM_SOCK=$TMP/vm.sock
	mkfifo "$TMP/console"
	exec 7<> "$TMP/console"
	"$DBGPROXY_VM" --kernel "$kernel" --socket "$VM_SOCK" "$@" \
		< "$TMP/console" > "$TMP/serial.log" 2> "$TMP/vm.log" &
	VM_PID=$!
	wait_for test -S "$VM_SOCK" || { cat "$TMP/vm.log" >&2; return 1; }
}

# wait_long CMD...: up to ~5 min (a nested host runs a few M instructions/s)
wait_long() {
	local i
	for i in $(seq 1 3000); do
		if "$@"; then return 0; fi
		kill -0 "$VM_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

@test "GNU Mach boots on COM1: memory map, RTC time, bootstrap panic, and its db> prompt answers" {
	need_kvm_offers x87-vm "GNU Mach's init_fpu runs x87 instructions: neither this host nor the VM runs them"
	mach_image
	start_real_vm "$MACH_GZ" --cmdline "console=com0" --mem 128
	wait_long grep -q "biosmem: physical memory map" "$TMP/serial.log" || {
		cat "$TMP/serial.log" "$TMP/vm.log" >&2; false; }
	# the map is the one dbgproxy-vm handed over: RAM below the EBDA (Mach
	# rounds it to a page) and above 1 MiB
	# (the serial console is slow here: wait for each line)
	wait_long grep -qE "biosmem: 0+:0+9f000, available" "$TMP/serial.log"
	wait_long grep -qE "biosmem: 0+100000:0+8000000, available" "$TMP/serial.log"
	# the RTC reads the host's time (this year)
	wait_long grep -q "RTC time is $(date -u +%Y)-" "$TMP/serial.log"
	wait_long grep -q "db>" "$TMP/serial.log" || { cat "$TMP/serial.log" >&2; false; }
	grep -qi "panic" "$TMP/serial.log"
	grep -q "No bootstrap code loaded" "$TMP/serial.log"
	# typed on stdin, answered on COM1
	printf 'show registers\n' >&7
	wait_long grep -qE "^eip|eip +0x" "$TMP/serial.log" || { cat "$TMP/serial.log" >&2; false; }
}

@test "gdb on GNU Mach (x86-64, entered by its 32-bit multiboot stub): hbreak c_boot_entry, finish out of i386at_init, bt in setup_main, watch hz" {
	need_kvm_offers x87-vm "GNU Mach's init_fpu runs x87 instructions: neither this host nor the VM runs them"
	need_kvm_offers hw-breakpoints
	need_kvm_offers sw-breakpoints # finish's breakpoint at the return address
	mach_image
	start_real_vm "$MACH_GZ" --cmdline "console=com0" --mem 128 --paused
	# Debian's gnumach-1.8-486-dbg is a 64-bit kernel behind a 32-bit
	# multiboot stub (boot_start ... switches to long mode; c_boot_entry is
	# REX.W code): the vCPU is in 32-bit mode when gdb attaches, so the
	# daemon is told to serve x86-64 from the start (with the i386
	# description gdb could not unwind the 64-bit frames: finish hung)
	start_daemon --x86-arch x86-64
	GUEST_IMAGE=$MACH_ELF
	run gdb_batch "hbreak c_boot_entry" "continue" "p \$pc == c_boot_entry" \
		"hbreak i386at_init" "continue" "finish" \
		"delete" "hbreak vm_mem_init" "continue" "bt" \
		"delete" "set breakpoint always-inserted on" "watch hz" "monitor hw" "detach"
	echo "$output"
	printf '%s\n' "$output" | grep -q "Breakpoint 1, .*c_boot_entry"
	printf '%s\n' "$output" | grep -q '^\$1 = 1$'
	# finish: back in the caller (gdb -batch does not echo "Run till exit")
	printf '%s\n' "$output" | grep -qE "^c_boot_entry .* at \.\./i386/i386at/model_dep\.c:[0-9]+"
	printf '%s\n' "$output" | grep -qE "^#1 .* in setup_main \(\)"
	printf '%s\n' "$output" | grep -qE "^#2 .* in c_boot_entry "
	hz=$(nm "$MACH_ELF" | awk '$3 == "hz" { print $1 }')
	if kvm_offers hw-watchpoints; then
		# a 4-byte write watch on hz: DR0 = &hz, RW=01 (write) LEN=11 (4
		# bytes) -> nibble 0xd (SDM Vol. 3B 18.2.4); DR7 = G0 | GE | bit 10 | 0xd << 16
		printf '%s\n' "$output" | grep -q "DR0=0x$(printf '%016x' "0x$hz")"
		printf '%s\n' "$output" | grep -q "RW/LEN=0xd"
		printf '%s\n' "$output" | grep -q "DR7=0x00000000000d0602"
	else
		# this host's data breakpoints never fire: the watch is a page's
		printf '%s\n' "$output" | grep -qE "^write +0x0*$hz\+4 "
	fi
	! grep -q "Remote 'g' packet reply is too long" <<< "$output" || false
}

@test "gdb on GNU Mach (32-bit) at its multiboot entry: i386 description, 32-bit disassembly, stepi" {
	# needs only single-step, so it runs where breakpoints do not fire
	need_kvm_offers single-step
	mach_image
	start_real_vm "$MACH_GZ" --cmdline "console=com0" --mem 128 --paused
	start_daemon
	GUEST_IMAGE=$MACH_ELF GDB_ARCH=i386
	run gdb_batch "p/x \$eax" "x/2i \$pc" "x/i boot_entry+8" "stepi 3" "p/x \$pc" "p/x \$eax" \
		"info symbol \$pc" "detach"
	echo "$output"
	grep -q "serving the i386 description" "$TMP/daemon.log"
	! grep -q "Remote 'g' packet reply is too long" <<< "$output" || false
	# multiboot enters at the ELF entry with EAX = 0x2BADB002
	printf '%s\n' "$output" | grep -q "^\$1 = 0x2badb002"
	printf '%s\n' "$output" | grep -qE "=> 0x1000000 <boot_start>:[[:space:]]+jmp +0x1000010 <boot_entry>"
	# decoded as 32-bit code: the store is `mov %eax,moffs32`, which as
	# 64-bit code would be a movabs with an 8-byte address
	printf '%s\n' "$output" | grep -qE "<boot_entry\+8>:[[:space:]]+mov +%eax,0x1003000"
	! grep -q "movabs" <<< "$output" || false
	# three single steps: jmp boot_entry, mov $0x1004000,%eax, or $0x3,%eax
	printf '%s\n' "$output" | grep -q "^\$2 = 0x1000018"
	printf '%s\n' "$output" | grep -q "^\$3 = 0x1004003"
	printf '%s\n' "$output" | grep -q "boot_entry + 8 in section"
}

@test "memtest86+ (Linux boot protocol, 64-bit entry) prints its banner on the serial console" {
	need_kvm_offers x87-vm "memtest86+ runs x87 instructions: neither this host nor the VM runs them"
	fetch_deb memtest86+
	start_real_vm "$DEB_DIR/boot/memtest86+x64.bin" --cmdline "console=ttyS0,115200" --mem 256
	grep -q "(Linux, 64-bit entry)" "$TMP/vm.log"
	wait_long grep -q "Memtest86+ v6" "$TMP/serial.log" || {
		cat "$TMP/serial.log" "$TMP/vm.log" >&2; false; }
}

@test "memtest86+ with smp on 2 vCPUs starts the second by INIT/SIPI (from our MP/ACPI tables) and tests on all cores" {
	need_kvm_offers x87-vm "memtest86+ runs x87 instructions: neither this host nor the VM runs them"
	fetch_deb memtest86+
	# 16 MiB: "All Cores" comes with test #3, after the per-core tests #0
	# (uncached) and #2 over all of memory; kvm_pvm runs those slowly
	# (measured: with 64 MiB, 9.5 min; with 16 MiB, 2.5 min)
	start_real_vm "$DEB_DIR/boot/memtest86+x64.bin" --cmdline "console=ttyS0,115200 smp" \
		--mem 16 --vcpus 2
	grep -q "APs wait for INIT/SIPI" "$TMP/vm.log"
	# its status line: two threads in parallel mode, then every core busy
	wait_long grep -aq "SMP: 2T (PAR)" "$TMP/serial.log" || {
		tail -c 2000 "$TMP/serial.log" >&2; cat "$TMP/vm.log" >&2; false; }
	wait_long grep -aq "Using: All Cores" "$TMP/serial.log" || {
		tail -c 2000 "$TMP/serial.log" >&2; false; }
	! grep -aq "Errors: [1-9]" "$TMP/serial.log" || false
}

@test "tasks plugin on GNU Mach at its db> prompt: the kernel's threads in info threads, a never-run one's saved state" {
	need_kvm_offers x87-vm "GNU Mach's init_fpu runs x87 instructions: neither this host nor the VM runs them"
	[ -f "$DBGPROXYD_PLUGIN_DIR/tasks.so" ] ||
		skip "the tasks plugin is not built: libdw (libdw-dev) not found at configure time"
	need_kvm_offers single-step    # gdb's attach pauses; nothing else is needed
	mach_image
	start_real_vm "$MACH_GZ" --cmdline "console=com0" --mem 128
	wait_long grep -q "db>" "$TMP/serial.log" || { cat "$TMP/serial.log" >&2; false; }
	start_daemon --plugin "tasks:kernel=$MACH_ELF"
	GUEST_IMAGE=$MACH_ELF
	# Mach panicked at bootstrap: its other kernel threads were created and
	# never ran; stack_attach left them "returning" to Thread_continue with
	# their first function in k_ebx
	run gdb_batch "monitor tasks" "info threads" \
		"python t=[t for t in gdb.selected_inferior().threads() if '(starts in ' in t.name][0]; t.switch(); print('START ' + t.name.split('starts in ')[1].rstrip(')'))" \
		"p \$pc == Thread_continue" "info symbol \$rbx" "p \$rsp != 0" "bt 3" "detach"
	echo "$output"
	grep -q "tasks: gnumach profile from" "$TMP/daemon.log"
	n=$(printf '%s\n' "$output" | sed -n 's/^\([0-9]*\) threads (gnumach profile):$/\1/p')
	[ "${n:-0}" -ge 3 ]
	# the kernel task's threads, by the name Mach gives the task; vCPU 0 runs one
	printf '%s\n' "$output" | grep -qE 'Thread 1 "vCPU 0: gnumach/[0-9]+'
	[ "$(printf '%s\n' "$output" | grep -cE 'Thread [0-9]+ "gnumach/[0-9]+ \(starts in [a-z_]+\)"')" -ge 2 ]
	printf '%s\n' "$output" | grep -qE ' never ran$'
	# the saved registers are the kernel's: pc Thread_continue, rbx the
	# function the thread's name says
	fn=$(printf '%s\n' "$output" | sed -n 's/^START //p')
	[ -n "$fn" ]
	[ "$(printf '%s\n' "$output" | grep -c '^\$[0-9]* = 1$')" -eq 2 ]
	printf '%s\n' "$output" | grep -q "^$fn in section .text"
	! printf '%s\n' "$output" | grep -q 'cannot list' || false
}
