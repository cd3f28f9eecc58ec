/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-firmware.h - the data a PC BIOS leaves in memory for the kernel it
 * starts: the BIOS data area, the extended BIOS data area, the Intel
 * MultiProcessor tables and the ACPI tables.  Kernels read them to learn
 * the memory size, the processors' APIC ids (to start them by INIT/SIPI)
 * and how the I/O APIC is wired.  Pure: writes guest memory, nothing else.
 */
#ifndef VM_FIRMWARE_H
#define VM_FIRMWARE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

/* The I/O APIC input the ISA timer (IRQ0) arrives on, as on a PC and in
 * QEMU: the tables say IRQ0 -> GSI 2 (an interrupt source override), the
 * other ISA IRQs identity.  KVM's own default routing sends GSI 0 to I/O
 * APIC pin 0, so the machine must install QEMU's routing (GSI 0 -> I/O APIC
 * pin 2 and PIC pin 0) with KVM_SET_GSI_ROUTING for the tables to be true. */
#define PC_FW_IRQ0_GSI       2u
#define PC_FW_IOAPIC_PINS    24u
#define PC_FW_IOAPIC_VERSION 0x11u /* KVM's in-kernel I/O APIC */
#define PC_FW_LAPIC_VERSION  0x14u /* KVM's in-kernel local APIC (xAPIC) */

/* An MP table names every APIC on one 8-bit id space where 0xff means
 * "all": the processors 0..n-1 and the I/O APIC n fit while n <= 254
 * (Firecracker's limit too).  Larger machines get ACPI tables only. */
#define PC_FW_MP_MAX_VCPUS   254u

struct pc_firmware {
	uint64_t rsdp;        /* guest-physical address of the ACPI RSDP (revision 2) */
	uint64_t mp_floating; /* guest-physical address of the MP floating pointer
			       * structure; 0 when nr_vcpus > PC_FW_MP_MAX_VCPUS */
};

/* The I/O APIC id the tables give: nr_vcpus, the first id after the
 * processors', while that is a usable xAPIC id (< 0xff); otherwise 0, as
 * QEMU always does (I/O APIC ids live apart from processor ids on xAPIC). */
unsigned pc_firmware_ioapic_id(unsigned nr_vcpus);

/* Write the BIOS data area, the EBDA, the MP tables and the ACPI tables for a
 * PC with mem_size bytes of RAM at guest-physical 0 (mem) and nr_vcpus
 * processors whose local APIC ids are 0..nr_vcpus-1 (vCPU 0 the bootstrap
 * processor), an I/O APIC at PC_IOAPIC_ADDR with 24 pins, the legacy ISA
 * IRQs wired as PC_FW_IRQ0_GSI says, and COM1 at 0x3f8.  Everything lands in
 * the areas vm-pclayout.h reserves (BDA, EBDA, PC_ACPI_TABLES_ADDR..PC_FW_END),
 * which are cleared first.  Fails, writing nothing, when nr_vcpus is 0 or
 * above VMDBG_MAX_VCPUS or the memory does not reach 1 MiB. */
bool pc_firmware_build(uint8_t *mem, uint64_t mem_size, unsigned nr_vcpus,
		       struct pc_firmware *out, GError **error);

#endif
