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
	.balign 16
	.globl guest_stacks
	.type guest_stacks, @object
	.size guest_stacks, GUEST_MAX_CPUS * STACK_SIZE
guest_stacks:
	.skip GUEST_MAX_CPUS * STACK_SIZE

	.section .note.GNU-stack, "", @progbits
