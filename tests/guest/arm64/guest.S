/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * guest.S - the AArch64 test guest for dbgproxy-vm --arch aarch64 (and
 * qemu-system-aarch64 -M virt -kernel, for comparison).
 *
 * Bare metal, EL1, MMU off.  Every vCPU enters _start with x0 = its index
 * (dbgproxy-vm; QEMU starts only CPU 0, with x0 = 0 or a page-aligned
 * device-tree address, which the "and" below turns into 0).  Only
 * instructions of dbgproxy-vm's documented A64 subset (src/dbgproxy-vm/core/a64-sim.h) are
 * used.
 *
 * vCPU 0 prints a banner on the PL011 UART, then loops: tick, then the
 * memory accesses the watchpoint tests watch, then the register probe.
 * Other vCPUs only tick.  Labels the tests use:
 *   counters       u64 per vCPU, +1 per tick (tick: counters[cpu] += 1)
 *   round          u64, +1 per pass of vCPU 0; the value every store writes
 *   byte_area      16 bytes, 8-aligned; byte_stores stores round's low byte
 *                  into byte_area[x5] for x5 = 0..15 in order
 *   block64        64 bytes, 64-aligned, with guard doublewords either side;
 *                  wide_stores stores round (8 bytes) at block64 - 8 + 8*x7
 *                  for x7 = 0..9: guard, the 8 doublewords, guard
 *   pair_target    16 bytes; pair_store does STP of round+0x100, round+0x200
 *   load_target    u64 0x1234, loaded once per pass by load_once
 *   reg_probe_point  x1..x18 hold 0x0101..01 * n, x30 = after_probe
 *   spin_count     u64, 0; when a debugger sets it to N, the next pass runs
 *                  spin_line, a loop of 2N instructions on one source line
 *                  (the range-stepping tests `next` over it), and clears it
 *   conform_scratch  64 bytes the guest never touches: vmdbg-conform --scratch
 *   power_off      never called by the guest: a test jumps there; it asks
 *                  PSCI (HVC) for SYSTEM_OFF with x19 = 0x5ca1ab1e, so the
 *                  dead guest's registers can be checked
 */
	.equ	UART_DR, 0x09000000
	.equ	STACK_SIZE, 4096
	.equ	MAX_STACKS, 16

	.section .text.boot, "ax"
	.global	_start
_start:
	and	x19, x0, #0xf			// vCPU index (stack slot)
	adr	x1, stacks_top
	lsl	x2, x19, #12
	sub	x1, x1, x2
	mov	sp, x1
	cbnz	x19, main_loop
	adr	x0, banner
	bl	puts

	.global	main_loop
main_loop:
	mov	x0, x19
	bl	tick
	cbnz	x19, main_loop
	bl	byte_stores
	bl	wide_stores
	bl	pair_store
	bl	load_once
	bl	spin
	bl	reg_probe
	.global	after_probe
after_probe:
	b	main_loop

	.text
/* puts(x0 = NUL-terminated string) */
	.global	puts
puts:
	ldr	x1, =UART_DR
1:	ldrb	w2, [x0], #1
	cbz	w2, 2f
	strb	w2, [x1]
	b	1b
2:	ret

/* tick(x0 = vCPU index) */
	.global	tick
tick:
	adr	x1, counters
	ldr	x2, [x1, x0, lsl #3]
	add	x2, x2, #1
	str	x2, [x1, x0, lsl #3]
	ret

	.global	byte_stores
byte_stores:
	adr	x1, round
	ldr	x6, [x1]
	add	x6, x6, #1
	str	x6, [x1]
	adr	x4, byte_area
	mov	x5, #0
	.global	byte_store_insn
byte_store_insn:
	strb	w6, [x4, x5]
	add	x5, x5, #1
	cmp	x5, #16
	b.ne	byte_store_insn
	ret

	.global	wide_stores
wide_stores:
	adr	x4, block64
	sub	x4, x4, #8
	mov	x7, #0
	.global	wide_store_insn
wide_store_insn:
	str	x6, [x4], #8
	add	x7, x7, #1
	cmp	x7, #10
	b.ne	wide_store_insn
	ret

	.global	pair_store
pair_store:
	adr	x4, pair_target
	add	x10, x6, #0x100
	add	x11, x6, #0x200
	stp	x10, x11, [x4]
	ret

/* spin: the loop on ONE source line (';' separates its two instructions,
 * so the assembler's line table gives both that line) */
	.global	spin
spin:
	adr	x1, spin_count
	ldr	x9, [x1]
	cbz	x9, 2f
	.global	spin_line
spin_line:
1:	subs	x9, x9, #1; b.ne 1b
	str	xzr, [x1]
2:	ret

	.global	load_once
load_once:
	adr	x4, load_target
	ldr	x9, [x4]
	ret

	.global	reg_probe
reg_probe:
	ldr	x1, =0x0101010101010101
	ldr	x2, =0x0202020202020202
	ldr	x3, =0x0303030303030303
	ldr	x4, =0x0404040404040404
	ldr	x5, =0x0505050505050505
	ldr	x6, =0x0606060606060606
	ldr	x7, =0x0707070707070707
	ldr	x8, =0x0808080808080808
	ldr	x9, =0x0909090909090909
	ldr	x10, =0x0a0a0a0a0a0a0a0a
	ldr	x11, =0x0b0b0b0b0b0b0b0b
	ldr	x12, =0x0c0c0c0c0c0c0c0c
	ldr	x13, =0x0d0d0d0d0d0d0d0d
	ldr	x14, =0x0e0e0e0e0e0e0e0e
	ldr	x15, =0x0f0f0f0f0f0f0f0f
	ldr	x16, =0x1010101010101010
	ldr	x17, =0x1111111111111111
	ldr	x18, =0x1212121212121212
	.global	reg_probe_point
reg_probe_point:
	nop
	ret

/* PSCI SYSTEM_OFF (DEN0022 5.1.9): does not return */
	.global	power_off
power_off:
	ldr	x19, =0x5ca1ab1e
	ldr	x0, =0x84000008
	hvc	#0
	b	power_off
	.ltorg

	.section .rodata
banner:
	.asciz	"dbgproxyd arm64 test guest up\n"

	.data
	.balign	64
	.space	56
	.global	guard_lo
guard_lo:
	.quad	0
	.global	block64
block64:
	.space	64
	.global	guard_hi
guard_hi:
	.quad	0
	.balign	16
	.global	byte_area
byte_area:
	.space	16
	.global	pair_target
pair_target:
	.space	16
	.global	load_target
load_target:
	.quad	0x1234
	.global	round
round:
	.quad	0
	.global	counters
counters:
	.space	8 * MAX_STACKS
	.global	spin_count
spin_count:
	.quad	0
	.global	conform_scratch
conform_scratch:
	.space	64

	.bss
	.balign	16
stacks:
	.space	STACK_SIZE * MAX_STACKS
	.global	stacks_top
stacks_top:
