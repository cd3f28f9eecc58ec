/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-pclayout.h - where things live in the guest-physical address space of
 * dbgproxy-vm's PC, and the E820 memory map every boot protocol hands the
 * guest.  Pure constants and one pure function; the boot loaders, the
 * firmware tables and the KVM machine all use this one layout.
 *
 * Guest RAM starts at 0 and is contiguous up to the configured size (at
 * most 3 GiB, so it never reaches the 32-bit MMIO window below 4 GiB).
 *
 *   0x00000 - 0x003ff  real-mode interrupt vector table (left zero)
 *   0x00400 - 0x004ff  BIOS data area (COM1 base, base memory size, EBDA segment)
 *   0x00500 - 0x0051f  the flat GDT the boot entry starts with
 *   0x01000 - 0x08fff  boot data: multiboot information or Linux zero page,
 *                      command line, 64-bit entry page tables (the loader
 *                      moves it above the kernel when a kernel loads here)
 *   0x9fc00 - 0x9ffff  extended BIOS data area (1 KiB; reserved in E820)
 *   0xa0000 - 0xbffff  VGA window: RAM here, the text buffer at 0xb8000
 *   0xe0000 - 0xfffff  "BIOS" area: MP floating pointer, MP table, ACPI
 *                      (reserved in E820)
 *   0x100000 -         usable RAM: kernels load here
 *   0xfec00000         I/O APIC, 0xfee00000 local APIC (in-kernel irqchip)
 */
#ifndef VM_PCLAYOUT_H
#define VM_PCLAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define PC_BDA_ADDR          0x400u
#define PC_GDT_ADDR          0x500u
/* Selectors of the boot GDT (Linux's __BOOT_CS and __BOOT_DS): the code
 * segment is 32-bit flat for a protected-mode entry and 64-bit for the
 * 64-bit Linux entry; the loader writes the GDT for the entry it chose. */
#define PC_GDT_CODE_SEL      0x10u
#define PC_GDT_DATA_SEL      0x18u
#define PC_GDT_END           0x520u
#define PC_BOOT_DATA_ADDR    0x1000u   /* first byte a kernel or the boot data may use */
#define PC_BASE_MEM_END      0x9fc00u  /* 639 KiB of conventional memory */
#define PC_EBDA_ADDR         0x9fc00u
#define PC_EBDA_SIZE         0x400u
#define PC_VGA_ADDR          0xa0000u
#define PC_VGA_TEXT_ADDR     0xb8000u
#define PC_VGA_TEXT_COLS     80u
#define PC_VGA_TEXT_ROWS     25u
#define PC_BIOS_ADDR         0xe0000u  /* tables area, reserved */
#define PC_BIOS_END          0x100000u
/* The firmware tables inside the BIOS area (vm-firmware.c): the ACPI tables
 * in the E segment; the MP floating pointer, the ACPI RSDP and the MP
 * configuration table at the start of the F segment, where both specs'
 * searches look.  PC_FW_END..PC_BIOS_END is left for others. */
#define PC_ACPI_TABLES_ADDR  0xe0000u
#define PC_ACPI_TABLES_END   0xf0000u
#define PC_MP_FLOATING_ADDR  0xf0000u
#define PC_ACPI_RSDP_ADDR    0xf0010u
#define PC_MP_TABLE_ADDR     0xf0040u
#define PC_FW_END            0xf8000u
#define PC_HIGH_MEM          0x100000u
#define PC_IOAPIC_ADDR       0xfec00000u
#define PC_LAPIC_ADDR        0xfee00000u

/* Legacy ISA interrupt lines (in-kernel PIC and I/O APIC). */
#define PC_IRQ_PIT           0u
#define PC_IRQ_KBD           1u
#define PC_IRQ_COM1          4u
#define PC_IRQ_RTC           8u

/* E820 / multiboot memory map types (ACPI 6.4, 15.3 "Address Range Types"). */
#define PC_E820_RAM          1u
#define PC_E820_RESERVED     2u

struct pc_e820_entry {
	uint64_t addr, size;
	uint32_t type;
};

#define PC_E820_MAX 4

/* The memory map of a guest with mem_size bytes of RAM (mem_size >= 2 MiB):
 * conventional memory below the EBDA, the EBDA and the BIOS area reserved,
 * and RAM from 1 MiB up.  Returns the number of entries written to out
 * (at most PC_E820_MAX).  The VGA window is a hole, as on a PC. */
static inline size_t pc_e820_map(uint64_t mem_size, struct pc_e820_entry out[PC_E820_MAX])
{
	size_t n = 0;
	out[n++] = (struct pc_e820_entry){ 0, PC_BASE_MEM_END, PC_E820_RAM };
	out[n++] = (struct pc_e820_entry){ PC_EBDA_ADDR, PC_EBDA_SIZE, PC_E820_RESERVED };
	out[n++] = (struct pc_e820_entry){ PC_BIOS_ADDR, PC_BIOS_END - PC_BIOS_ADDR, PC_E820_RESERVED };
	if (mem_size > PC_HIGH_MEM)
		out[n++] = (struct pc_e820_entry){ PC_HIGH_MEM, mem_size - PC_HIGH_MEM, PC_E820_RAM };
	return n;
}

#endif
