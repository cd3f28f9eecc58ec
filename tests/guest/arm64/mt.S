/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * mt.S - the AArch64 multi-threaded test guest's code: a toy kernel with
 * cooperative threads (data and layout in mt-data.c), for the tasks and
 * taskprof plugins on dbgproxy-vm --arch aarch64.  Only instructions of
 * the simulator's A64 subset.
 *
 * vCPU 0 starts thread idle; idle, a and b each call mt_work (counting in
 * their thread's `work`) and yield to the next (idle -> a -> b -> idle).
 * mt_switch saves x19-x22, x29, sp and the return address in the current
 * thread's ctx and loads the next one's.  vCPU 1 runs thread cpu1, which
 * calls mt_work for ever.  Labels the tests use: mt_work, mt_yield,
 * mt_switch, th_a/th_b/th_idle/th_cpu1 (struct mt_thread).
 */
	.equ	UART_DR, 0x09000000
	.equ	TH_CTX, 24
	.equ	TH_WORK, 80
	.equ	TH_NEXT, 88
	.equ	CTX_X29, 32
	.equ	CTX_SP, 40
	.equ	CTX_PC, 48

	.section .text.boot, "ax"
	.global	_start
_start:
	and	x19, x0, #0xf
	cbnz	x19, 1f
	adr	x0, banner
	bl	puts_early
	adrp	x1, th_idle
	add	x1, x1, :lo12:th_idle
	b	mt_enter
1:	adrp	x1, th_cpu1
	add	x1, x1, :lo12:th_cpu1
	b	mt_enter

/* puts_early(x0): before any thread has a stack (no calls inside) */
puts_early:
	movz	x2, #(UART_DR >> 16), lsl #16
1:	ldrb	w3, [x0], #1
	cbz	w3, 2f
	strb	w3, [x2]
	b	1b
2:	ret

	.text
/* mt_enter(x19 = vCPU, x1 = thread): make it current on this vCPU, run it */
	.global	mt_enter
mt_enter:
	adrp	x2, mt_current
	add	x2, x2, :lo12:mt_current
	str	x1, [x2, x19, lsl #3]
	b	mt_load

/* mt_load(x1 = thread): take its saved registers and resume it */
mt_load:
	add	x2, x1, #TH_CTX
	ldp	x19, x20, [x2]
	ldp	x21, x22, [x2, #16]
	ldr	x29, [x2, #CTX_X29]
	ldr	x3, [x2, #CTX_SP]
	mov	sp, x3
	ldr	x3, [x2, #CTX_PC]
	br	x3

/* mt_switch(x0 = from, x1 = to), vCPU 0 only */
	.global	mt_switch
mt_switch:
	add	x2, x0, #TH_CTX
	stp	x19, x20, [x2]
	stp	x21, x22, [x2, #16]
	str	x29, [x2, #CTX_X29]
	mov	x3, sp
	str	x3, [x2, #CTX_SP]
	str	x30, [x2, #CTX_PC]
	adrp	x2, mt_current
	add	x2, x2, :lo12:mt_current
	str	x1, [x2]
	b	mt_load

/* mt_yield(): vCPU 0 runs the current thread's next_run */
	.global	mt_yield
mt_yield:
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	adrp	x2, mt_current
	add	x2, x2, :lo12:mt_current
	ldr	x0, [x2]
	ldr	x1, [x0, #TH_NEXT]
	bl	mt_switch
	ldp	x29, x30, [sp], #16
	ret

/* mt_work(x0 = thread): one unit of work, counted in the thread */
	.global	mt_work
mt_work:
	ldr	x1, [x0, #TH_WORK]
	add	x1, x1, #1
	str	x1, [x0, #TH_WORK]
	ret

/* the threads' bodies: x19 = their struct mt_thread */
	.global	mt_worker_main
mt_worker_main:
	mov	x0, x19
	bl	mt_work
	bl	mt_yield
	b	mt_worker_main

	.global	mt_idle_main
mt_idle_main:
	mov	x0, x19
	bl	mt_work
	bl	mt_yield
	b	mt_idle_main

	.global	mt_cpu1_main
mt_cpu1_main:
	mov	x0, x19
	bl	mt_work
	b	mt_cpu1_main

	.section .rodata
banner:
	.asciz	"mt guest up\r\n"
