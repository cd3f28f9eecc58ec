/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-boot.h - putting a kernel into guest memory the way a PC boot loader
 * does: Multiboot (0.6.96), Multiboot2 (2.0) and the Linux x86 boot
 * protocol (Documentation/arch/x86/boot.rst), plus the ELF loader the
 * AArch64 machine uses.  Pure: file bytes in, guest memory and the initial
 * vCPU state out.  A load is planned completely before anything is
 * written, so a refused image leaves guest memory as it was.
 *
 * There is no BIOS: the Linux kernel is entered at its 32-bit or 64-bit
 * entry, never through its real-mode setup code, so images that need BIOS
 * services to start (iPXE's ipxe.lkrn, zImage kernels) cannot run.
 *
 * The vCPU state for each boot_image.mode (the KVM glue sets it up):
 *
 * BOOT_MODE_PROT32 (Multiboot 3.2, Multiboot2 3.3, boot.rst "32-bit Boot
 * Protocol"): CR0 = PE|ET (paging off), CR4 = 0, EFER = 0; GDTR base
 * PC_GDT_ADDR, limit PC_GDT_END - PC_GDT_ADDR - 1 (0x1f); CS =
 * PC_GDT_CODE_SEL with base 0, limit 0xffffffff, type 0xb (execute/read,
 * accessed), S = 1, DPL 0, P = 1, D/B = 1, L = 0, G = 1; DS = ES = FS = GS
 * = SS = PC_GDT_DATA_SEL with base 0, limit 0xffffffff, type 0x3
 * (read/write, accessed), S = 1, P = 1, D/B = 1, G = 1; RFLAGS = 0x2
 * (IF = 0); RIP = entry; EAX, EBX and ESI from the boot_image, every other
 * general register 0 (Linux wants EBX, EBP and EDI zero: EBX is 0 in a
 * Linux boot_image).
 *
 * BOOT_MODE_LONG64 (boot.rst "64-bit Boot Protocol"): CR0 = PE|ET|PG,
 * CR4 = PAE, EFER = LME|LMA, CR3 = boot_image.cr3 (4-level tables mapping
 * 0-4 GiB onto itself with 2 MiB pages); CS = PC_GDT_CODE_SEL as above but
 * L = 1, D/B = 0; the data segments as above; RFLAGS = 0x2; RIP = entry;
 * RSI = boot_image.esi (the zero page), every other general register 0.
 *
 * The GDT at PC_GDT_ADDR holds exactly these descriptors for the mode
 * chosen; the hidden parts of the segment registers must match them.
 */
#ifndef VM_BOOT_H
#define VM_BOOT_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <glib.h>

enum boot_protocol { BOOT_AUTO, BOOT_MULTIBOOT, BOOT_MULTIBOOT2, BOOT_LINUX };
enum boot_cpu_mode { BOOT_MODE_PROT32, BOOT_MODE_LONG64 };

#define BOOT_FILE_MAX (512u << 20) /* largest kernel or initrd, after gunzip */

struct boot_request {
	uint8_t *mem;                /* guest RAM, at guest-physical 0 */
	uint64_t mem_size;           /* at least 2 MiB */
	const char *cmdline;         /* may be NULL: an empty command line */
	/* Linux: the initrd.  Multiboot v1/v2: module 0, its string
	 * initrd_name (or empty).  NULL when there is none. */
	const uint8_t *initrd;
	size_t initrd_size;
	const char *initrd_name;
	enum boot_protocol protocol; /* BOOT_AUTO: Linux bzImage, else multiboot2, else multiboot */
	/* 0, or the guest-physical address of the RSDP the firmware tables
	 * put down: Multiboot2 gets a copy (tag 14 or 15), Linux its address
	 * (boot_params.acpi_rsdp_addr). */
	uint64_t acpi_rsdp;
};

struct boot_image {
	enum boot_protocol protocol;   /* what was booted */
	enum boot_cpu_mode mode;
	uint64_t entry;                /* physical entry point (RIP) */
	uint64_t cr3;                  /* BOOT_MODE_LONG64: the identity page tables */
	uint32_t eax, ebx, esi;        /* multiboot: magic, info address; Linux: ESI = zero page */
	uint64_t load_start, load_end; /* lowest and highest+1 byte of the kernel written */
	uint64_t info_start, info_end; /* hull of the boot information written (MBI or
					* zero page, command line, memory map, page tables) */
	uint64_t initrd_start, initrd_end; /* the initrd / module 0; both 0 without one */
	bool elf64;                    /* the kernel was an ELF64 file */
};

/* Load a kernel into req->mem with the protocol req->protocol asks for (or
 * the one its headers show) and write the boot information and the boot
 * GDT.  Every offset and size in the file is checked against the file and
 * guest memory; on failure guest memory is left untouched. */
bool boot_load(const uint8_t *file, size_t size, const struct boot_request *req,
	       struct boot_image *out, GError **error);

/* Read a kernel or initrd file, gunzipping it if it is gzip data (as GRUB
 * does: Debian ships GNU Mach as boot/gnumach-*.gz).  At most
 * BOOT_FILE_MAX bytes, before and after decompression. */
bool boot_read_file(const char *path, GBytes **out, GError **error);

/* "Multiboot", "Multiboot2", "Linux", "auto". */
const char *boot_protocol_name(enum boot_protocol p);

/* Guest-physical [base, base + size) is held at mem; no segment may start
 * below reserved_end. */
struct boot_window {
	uint8_t *mem;
	uint64_t base, size;
	uint64_t reserved_end;
};

/* Load an ELF executable's PT_LOAD segments at their physical addresses.
 * want_machine: an ELF64 e_machine (EM_AARCH64), or 0 for x86 (EM_386 or
 * EM_X86_64, ELF32 or ELF64).  img->entry is the entry point, moved to its
 * physical address when a segment's virtual and physical addresses differ;
 * img->load_start/load_end and img->elf64 are set too.  Segments must not
 * overlap; nothing is written unless every segment fits. */
bool elf_load(const uint8_t *file, size_t size, const struct boot_window *w, unsigned want_machine,
	      struct boot_image *img, GError **error);

#endif
