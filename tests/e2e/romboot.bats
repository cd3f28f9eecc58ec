#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 The dbgproxyd authors
# Real kernels on the memory dbgproxy-vm builds, where there is no KVM:
# tests/romboot/bootimg-dump runs the same firmware and loader calls as
# vm-kvm.c (BIOS data area, MP and ACPI tables, then the kernel and its
# boot information) and QEMU's TCG starts it through bootrom, a 32 KiB ROM
# that sets the CPU state vm-boot.h documents.  The devices are QEMU's, not
# dbgproxy-vm's: this proves the boot protocols and tables with the real
# kernels' own parsers; realguests.bats runs the whole VMM on KVM.
# Kernels come from Debian with apt-get download, cached, never committed.

load helpers

setup() {
	if [ -z "${QEMU_X86:-}" ] || [ "$QEMU_X86" = no ]; then
		skip "qemu-system-x86_64 not found at configure time: apt-get install qemu-system-x86"
	fi
	: "${DEB_CACHE:?set by make check}"
	: "${TOP_SRCDIR:?set by make check}"
	: "${BOOTROM:?set by make check}"
	: "${BOOTIMG_DUMP:?set by make check}"
	common_setup rom
}

teardown() {
	common_teardown
}

fetch() {
	DEB_DIR=$(bash "$TOP_SRCDIR/tests/fetch-deb.sh" "$1" "$DEB_CACHE") ||
		skip "cannot fetch Debian package $1 with apt-get download (offline?)"
}

# rom_boot KERNEL MIB VCPUS CMDLINE: QEMU on the image; its COM1 in $TMP/serial.log
rom_boot() {
	mkdir -p "$TMP/img"
	"$BOOTIMG_DUMP" --kernel "$1" --rom "$BOOTROM" --out "$TMP/img" --mem "$2" --vcpus "$3" \
		--cmdline "$4" > "$TMP/dump.log" 2>&1 || { cat "$TMP/dump.log" >&2; return 1; }
	cat "$TMP/dump.log"
	"$QEMU_X86" -nodefaults -display none -no-reboot -vga std -m "$2" -smp "$3" \
		-bios "$TMP/img/bios.bin" \
		-device loader,file="$TMP/img/low.img",addr=0 \
		-device loader,file="$TMP/img/high.img",addr=0x100000 \
		-serial file:"$TMP/serial.log" > "$TMP/qemu.log" 2>&1 &
	VM_PID=$!
}

# wait_serial PATTERN: up to 3 minutes for the kernel to print it
wait_serial() {
	local i
	for i in $(seq 1 1800); do
		grep -qE "$1" "$TMP/serial.log" 2>/dev/null && return 0
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "--- no '$1' on the serial port:" >&2
	cat "$TMP/serial.log" "$TMP/qemu.log" >&2 2>/dev/null
	return 1
}

@test "GNU Mach boots on the multiboot information, BDA and memory map: map, RTC time, panic, db>" {
	fetch gnumach-image-1.8-486-dbg
	rom_boot "$DEB_DIR/boot/gnumach-1.8-486-dbg.gz" 128 1 "console=com0"
	grep -q "Multiboot, 32-bit entry 0x1000000" "$TMP/dump.log"
	wait_serial "db>"
	cat "$TMP/serial.log"
	# the E820 map as dbgproxy-vm gives it (Mach rounds the first entry to a page)
	grep -E "biosmem: 0+:0+9f000, available" "$TMP/serial.log"
	grep -E "biosmem: 0+9fc00:0+a0000, reserved" "$TMP/serial.log"
	grep -E "biosmem: 0+e0000:0+100000, reserved" "$TMP/serial.log"
	grep -E "biosmem: 0+100000:0+8000000, available" "$TMP/serial.log"
	grep -q "RTC time is $(date -u +%Y)-" "$TMP/serial.log"
	grep -q "No bootstrap code loaded with the kernel" "$TMP/serial.log"
}

@test "memtest86+ boots by the Linux boot protocol (64-bit entry) and sizes memory from the E820 map" {
	fetch memtest86+
	rom_boot "$DEB_DIR/boot/memtest86+x64.bin" 256 1 "console=ttyS0,115200"
	grep -q "Linux, 64-bit entry" "$TMP/dump.log"
	wait_serial "Memtest86\+ v6"
	wait_serial "Memory  : +256MB"
	wait_serial "Address test"
}

@test "the test guest (an ELF64 multiboot image, which QEMU itself refuses) boots" {
	rom_boot "$GUEST_ELF" 64 1 ""
	grep -q "Multiboot, 32-bit entry" "$TMP/dump.log"
	wait_serial "dbgproxy-guest: cpu 0 up"
}

@test "Debian's Linux takes the zero page, E820 map and ACPI tables (RSDP, XSDT, FADT, MADT) for 2 CPUs" {
	local pkg
	pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || skip "no linux-image-cloud-amd64 in the apt lists (run apt-get update)"
	fetch "$pkg"
	rom_boot "$(ls "$DEB_DIR"/boot/vmlinuz-* | head -1)" 512 2 "console=ttyS0 panic=-1"
	grep -q "Linux, 64-bit entry" "$TMP/dump.log"
	# the FADT is hardware-reduced (as Firecracker's): Linux then wants a
	# clock such as kvmclock, which KVM gives and TCG does not, so this
	# stops once the tables are read, before the APs are started
	wait_serial "smpboot: Allowing 2 CPUs"
	cat "$TMP/serial.log"
	grep -q "Command line: console=ttyS0 panic=-1" "$TMP/serial.log"
	grep -q "BIOS-e820: \[mem 0x0000000000000000-0x000000000009fbff\] usable" "$TMP/serial.log"
	grep -q "BIOS-e820: \[mem 0x0000000000100000-0x000000001fffffff\] usable" "$TMP/serial.log"
	grep -q "ACPI: RSDP 0x00000000000F0010 000024 (v02 DBGPRX)" "$TMP/serial.log"
	grep -qE "ACPI: FACP .*DBGPRX" "$TMP/serial.log"
	grep -qE "ACPI: APIC .*DBGPRX" "$TMP/serial.log"
	grep -q "IOAPIC\[0\]: apic_id 2, version .*, address 0xfec00000, GSI 0-23" "$TMP/serial.log"
	grep -q "INT_SRC_OVR (bus 0 bus_irq 0 global_irq 2" "$TMP/serial.log"
	! grep -qiE "ACPI.*(incorrect|invalid|error)" "$TMP/serial.log" || false
}

@test "Debian's Linux starts its second CPU from the MP table (INIT/SIPI, acpi=off)" {
	local pkg
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || skip "no linux-image-amd64 in the apt lists (run apt-get update)"
	fetch "$pkg"
	rom_boot "$(ls "$DEB_DIR"/boot/vmlinuz-* | head -1)" 512 2 "console=ttyS0 panic=-1 acpi=off"
	wait_serial "smpboot: Total of 2 processors activated"
	cat "$TMP/serial.log"
	grep -q "found SMP MP-table at \[mem 0x000f0000-0x000f000f\]" "$TMP/serial.log"
	grep -q "Processor #0 (Bootup-CPU)" "$TMP/serial.log"
	grep -q "Processor #1" "$TMP/serial.log"
	grep -q "IOAPIC\[0\]: apic_id 2, version .*, address 0xfec00000, GSI 0-23" "$TMP/serial.log"
}
