/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * boot.S - entry of the dbgproxyd test guest (multiboot v1, x86-64).
 *
 * Boot convention (proto/vmdbg.md section 4): every vCPU enters _start in
 * 32-bit protected mode, paging off, flat segments.
 *   vCPU 0:      EAX = 0x2BADB002 (multiboot), EBX = multiboot info pointer
 *   other vCPUs: EAX = 0x44425041 (VMDBG_AP_MAGIC), EBX = vCPU index
 * Anything else (or an index >= GUEST_MAX_CPUS) halts the vCPU for good.
 *
 * Boot work is deliberately tiny: the GDT, the page tables and pattern_buf
 * are all initialised at assembly time, so a vCPU runs only a few dozen
 * instructions before guest_main().
 */

#define MB_MAGIC        0x1BADB002
#define MB_FLAGS        0x00000003      /* page-align modules | mem info */
#define MB_BOOT_MAGIC   0x2BADB002      /* VMDBG_MULTIBOOT_MAGIC */
#define AP_MAGIC        0x44425041      /* VMDBG_AP_MAGIC */

#define GUEST_MAX_CPUS  8
#define STACK_SIZE      8192

#define SEL_CODE64      0x08
#define SEL_DATA        0x10

#define CR0_PE          (1 << 0)
#define CR0_MP          (1 << 1)
#define CR0_EM          (1 << 2)
#define CR0_PG          (1 << 31)
#define CR4_PAE         (1 << 5)
#define CR4_OSFXSR      (1 << 9)
#define CR4_OSXMMEXCPT  (1 << 10)
#define MSR_EFER        0xC0000080
#define EFER_LME        (1 << 8)

/* ---- multiboot v1 header: placed first by guest.ld ------------------- */
	.section .multiboot, "a"
	.balign 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

/* ---- 32-bit entry ---------------------------------------------------- */
	.text
	.code32
	.globl _start
	.type _start, @function
_start:
	cli
	cld
	cmpl $MB_BOOT_MAGIC, %eax
	jne 1f
	xorl %esi, %esi                 /* boot vCPU: index 0 */
	jmp 2f
1:	cmpl $AP_MAGIC, %eax
	jne halt32
	movl %ebx, %esi                 /* secondary vCPU: index in EBX */
	cmpl $GUEST_MAX_CPUS, %esi
	jae halt32
2:	/* %esi = vCPU index from here on */
	lgdt gdt_ptr

	movl %cr4, %eax
	orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	movl %eax, %cr4

	movl $pml4, %eax
	movl %eax, %cr3

	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr

	movl %cr0, %eax
	andl $~CR0_EM, %eax
	orl $(CR0_PG | CR0_MP | CR0_PE), %eax
	movl %eax, %cr0

	ljmp $SEL_CODE64, $start64

halt32:
	cli
	hlt
	jmp halt32
	.size _start, . - _start

/* ---- 64-bit entry ---------------------------------------------------- */
	.code64
	.type start64, @function
start64:
	movl $SEL_DATA, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs

	/* The guest uses SSE only, never XSAVE-family or VEX (AVX)
	 * instructions: under kvm_pvm (nested KVM on the CI hosts) xgetbv and
	 * vmovdqu end KVM_RUN with an emulation failure even though KVM's
	 * CPUID offers AVX.  The upper halves of the ymm registers are still
	 * served (KVM_GET/SET_XSAVE) and tested from the debugger's side. */
	movl %esi, %edi                 /* arg 0 (zero-extends into %rdi) */
	leal 1(%rsi), %eax
	shll $13, %eax                  /* (index + 1) * STACK_SIZE */
	leaq guest_stacks(%rax), %rsp   /* top of this vCPU's stack */
	xorl %ebp, %ebp                 /* terminate frame-pointer chains */

	/* Interrupts stay disabled: no IDT is installed. */
	call guest_main

halt64:
	cli
	hlt
	jmp halt64
	.size start64, . - start64

/* ---- GDT ------------------------------------------------------------- */
	.section .rodata
	.balign 16
gdt:
	.quad 0                         /* null */
	.quad 0x00AF9B000000FFFF        /* 0x08: 64-bit code, DPL 0, accessed */
	.quad 0x00CF93000000FFFF        /* 0x10: data, DPL 0, accessed */
gdt_end:

	.balign 4
	.word 0                         /* align the base of gdt_ptr */
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt

/* ---- page tables: identity-map the first 1 GiB with 2 MiB pages ------ */
#define PTE_P   0x001
#define PTE_RW  0x002
#define PTE_PS  0x080

/*
 * io_loop: never returns; a tight loop of port I/O (three of its five
 * instructions leave KVM_RUN), for the exact-stop tests, which take its
 * instruction boundaries from the disassembly.  %rcx counts the passes.
 */
	.text
	.globl io_loop, io_loop_top
	.type io_loop, @function
io_loop:
	movw $0x80, %dx
	xorl %ecx, %ecx
io_loop_top:
	inb %dx, %al
	outb %al, $0x80
	incq %rcx
	outb %al, %dx
	jmp io_loop_top
	.size io_loop, . - io_loop

/*
 * reg_probe: load known values into every general-purpose and xmm
 * register, store them to reg_probe_saved (GPRs in gdb's order rax rbx rcx
 * rdx rsi rdi rbp rsp r8-r15) and reg_probe_vec (xmm n at 32 * n),
 * then pass reg_probe_point, where a debugger compares its view with
 * memory.  After the point, xmm1 is copied to xmm1_out so a debugger's
 * change to xmm1 shows in guest memory.  Values: GPR n = byte n+1
 * repeated (rax 0x0101..., r15 0x1010...); dword k of xmm n = n << 8 | k.
 */
	.text
	.globl reg_probe
	.type reg_probe, @function
reg_probe:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movabsq $0x0101010101010101, %rax
	movabsq $0x0202020202020202, %rbx
	movabsq $0x0303030303030303, %rcx
	movabsq $0x0404040404040404, %rdx
	movabsq $0x0505050505050505, %rsi
	movabsq $0x0606060606060606, %rdi
	movabsq $0x0707070707070707, %rbp
	movabsq $0x0909090909090909, %r8
	movabsq $0x0a0a0a0a0a0a0a0a, %r9
	movabsq $0x0b0b0b0b0b0b0b0b, %r10
	movabsq $0x0c0c0c0c0c0c0c0c, %r11
	movabsq $0x0d0d0d0d0d0d0d0d, %r12
	movabsq $0x0e0e0e0e0e0e0e0e, %r13
	movabsq $0x0f0f0f0f0f0f0f0f, %r14
	movabsq $0x1010101010101010, %r15
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu reg_probe_table + 32 * \n(%rip), %xmm\n
	movdqu %xmm\n, reg_probe_vec + 32 * \n(%rip)
	.endr
	movq %rax, reg_probe_saved + 0(%rip)
	movq %rbx, reg_probe_saved + 8(%rip)
	movq %rcx, reg_probe_saved + 16(%rip)
	movq %rdx, reg_probe_saved + 24(%rip)
	movq %rsi, reg_probe_saved + 32(%rip)
	movq %rdi, reg_probe_saved + 40(%rip)
	movq %rbp, reg_probe_saved + 48(%rip)
	movq %rsp, reg_probe_saved + 56(%rip)
	movq %r8, reg_probe_saved + 64(%rip)
	movq %r9, reg_probe_saved + 72(%rip)
	movq %r10, reg_probe_saved + 80(%rip)
	movq %r11, reg_probe_saved + 88(%rip)
	movq %r12, reg_probe_saved + 96(%rip)
	movq %r13, reg_probe_saved + 104(%rip)
	movq %r14, reg_probe_saved + 112(%rip)
	movq %r15, reg_probe_saved + 120(%rip)
	.globl reg_probe_point
reg_probe_point:
	nop
	movdqu %xmm1, xmm1_out(%rip)
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret
	.size reg_probe, . - reg_probe

	.section .rodata
	.balign 32
reg_probe_table:
	.set ymm_n, 0
	.rept 16
	.set dw_k, 0
	.rept 8
	.long (ymm_n << 8) | dw_k
	.set dw_k, dw_k + 1
	.endr
	.set ymm_n, ymm_n + 1
	.endr

	.section .data.pagetables, "aw"
	.balign 4096
	.globl pml4
pml4:
	.quad pdpt + (PTE_P | PTE_RW)
	.fill 511, 8, 0
pdpt:
	.quad pd + (PTE_P | PTE_RW)
	.fill 511, 8, 0
pd:
	.set pd_index, 0
	.rept 512
	.quad (pd_index << 21) | (PTE_P | PTE_RW | PTE_PS)
	.set pd_index, pd_index + 1
	.endr

/* ---- pattern_buf: byte i = (i * 7 + 3) & 0xff ------------------------ */
	.data
	.balign 64
	.globl pattern_buf
	.type pattern_buf, @object
	.size pattern_buf, 256
pattern_buf:
	.set pat_index, 0
	.rept 256
	.byte (pat_index * 7 + 3) & 0xff
	.set pat_index, pat_index + 1
	.endr

/* ---- per-vCPU stacks ------------------------------------------------- */
	.bss
	.balign 32
	.globl reg_probe_saved
	.type reg_probe_saved, @object
reg_probe_saved:
	.skip 16 * 8
	.size reg_probe_saved, 16 * 8
	.globl reg_probe_vec
	.type reg_probe_vec, @object
reg_probe_vec:
	.skip 16 * 32
	.size reg_probe_vec, 16 * 32
	.globl xmm1_out
	.type xmm1_out, @object
	.balign 16
xmm1_out:
	.skip 16
	.size xmm1_out, 16
	.balign 16
	.globl guest_stacks
	.type guest_stacks, @object
	.size guest_stacks, GUEST_MAX_CPUS * STACK_SIZE
guest_stacks:
	.skip GUEST_MAX_CPUS * STACK_SIZE

	.section .note.GNU-stack, "", @progbits
