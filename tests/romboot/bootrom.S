/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * bootrom.S - a 32 KiB "BIOS" for QEMU that starts a kernel dbgproxy-vm's
 * loader has already put in memory, in the CPU state vm-boot.h documents
 * for the KVM machine.  With it, QEMU's TCG runs the very memory image
 * (kernel, boot information, BIOS data area, MP and ACPI tables) that
 * dbgproxy-vm builds, where there is no /dev/kvm: a check of the boot
 * protocols and firmware tables with real kernels, on QEMU's devices.
 *
 * It occupies 0xf8000-0xfffff (vm-firmware.h leaves that free) and takes
 * its parameters from `params` (filled by bootimg-dump): the CPU starts at
 * the reset vector in real mode, enters protected mode on its own
 * GDT, enables long mode for a 64-bit entry, then loads the loader's GDT at
 * 0x500, sets the segments, EAX/EBX/ESI and jumps to the entry.
 */
	.set	ROM_CODE_BASE, 0xf8000    /* see bootrom.ld */
	.set	LOADER_CODE, 0x10
	.set	LOADER_DATA, 0x18
	.set	ROM_CODE32, 0x08
	.set	ROM_DATA, 0x10

	.section .text
	.code16
	.globl	start16
start16:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	/* the rom's GDT; ds = 0, addresses below 1 MiB need the 0xf000 segment */
	movw	$0xf000, %ax
	movw	%ax, %ds
	lgdtl	%ds:(rom_gdt_desc - 0xf0000)
	movl	%cr0, %eax
	orl	$1, %eax
	movl	%eax, %cr0
	ljmpl	$ROM_CODE32, $start32

	.code32
start32:
	movw	$ROM_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	cmpl	$1, params_mode
	je	to_long
	/* 32-bit entry: the loader's GDT, its 32-bit code segment */
	lgdtl	loader_gdt_desc
	ljmpl	$LOADER_CODE, $final32
final32:
	movw	$LOADER_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	movl	params_esi, %esi
	movl	params_ebx, %ebx
	movl	params_eax, %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	jmp	*params_entry

to_long:
	movl	%cr4, %eax
	orl	$0x20, %eax              /* PAE */
	movl	%eax, %cr4
	movl	params_cr3, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx        /* EFER */
	rdmsr
	orl	$0x100, %eax             /* LME */
	wrmsr
	movl	%cr0, %eax
	orl	$0x80000000, %eax        /* PG: long mode active, compatibility mode */
	movl	%eax, %cr0
	/* the loader's GDT: selector 0x10 is its 64-bit code segment */
	lgdtl	loader_gdt_desc
	ljmpl	$LOADER_CODE, $final64

	.code64
final64:
	movw	$LOADER_DATA, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movw	%ax, %ss
	movl	params_esi, %esi
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	movq	params_entry, %rax
	jmp	*%rax

	.balign	8
rom_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff       /* 0x08: 32-bit code, flat */
	.quad	0x00cf93000000ffff       /* 0x10: data, flat */
rom_gdt_desc:
	.word	rom_gdt_desc - rom_gdt - 1
	.long	rom_gdt
loader_gdt_desc:
	.word	0x1f                     /* PC_GDT_END - PC_GDT_ADDR - 1 */
	.long	0x500                    /* PC_GDT_ADDR */

	.balign	16
	.globl	params
params:
	.ascii	"DBGPBOOT"
params_mode:  .long 0                  /* 0 prot32, 1 long64 */
params_eax:   .long 0
params_ebx:   .long 0
params_esi:   .long 0
params_entry: .quad 0
params_cr3:   .quad 0

	.section .reset, "ax"
	.code16
reset:
	ljmpw	$0xf000, $(start16 - 0xf0000)
	.fill	11, 1, 0
