/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * x87-stubs.S - one precompiled stub per x87 encoding, so that the VM can
 * run a guest's x87 instruction on the host CPU without generating code
 * (no writable and executable memory: MemoryDenyWriteExecute=yes).
 *
 *   void stub(void *operand, void *guest_fx, void *host_fx, uint64_t *rflags)
 *
 * operand (%rdi): the memory operand's host copy (memory forms are encoded
 * with ModRM mod=00 rm=111, i.e. (%rdi)); guest_fx (%rsi) and host_fx
 * (%rdx): 512-byte FXSAVE images, 16-byte aligned; rflags (%rcx): the
 * guest's arithmetic flags in (FCMOVcc reads them), the host's after the
 * instruction out (FCOMI writes them).  The stub saves the host's x87/SSE
 * state, loads the guest's, runs the instruction, saves the result into
 * guest_fx and restores the host's.  FXSAVE and FXRSTOR do not wait, so an
 * exception the instruction leaves pending is only recorded (the caller
 * checks none is pending before, as a waiting instruction would).
 *
 * x87_reg_stubs[op][modrm - 0xC0] (op = opcode - 0xD8) and
 * x87_mem_stubs[op][reg]: the stubs' addresses.  Which of them may run is
 * x87-decode.c's whitelist; the table has every encoding.
 */
#ifdef __CET__
#include <cet.h>
#else
#define _CET_ENDBR
#endif

	.text

.macro STUB name, b0, b1
	.p2align 4
	.type \name, @function
\name:
	_CET_ENDBR
	fxsave64 (%rdx)
	fxrstor64 (%rsi)
	pushfq
	movq (%rcx), %rax
	andl $0x8d5, %eax                 /* CF PF AF ZF SF OF */
	andq $~0x8d5, (%rsp)
	orq %rax, (%rsp)
	popfq
	.byte \b0, \b1
	pushfq
	popq (%rcx)
	fxsave64 (%rsi)
	fxrstor64 (%rdx)
	ret
	.size \name, . - \name
.endm

.macro REG_STUBS op
	.irp hi, c, d, e, f
	.irp lo, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, a, b, c, d, e, f
	STUB x87_r_\op\hi\lo, 0x\op, 0x\hi\lo
	.endr
	.endr
.endm

.macro MEM_STUBS op
	.irp m, 07, 0f, 17, 1f, 27, 2f, 37, 3f
	STUB x87_m_\op\m, 0x\op, 0x\m
	.endr
.endm

	.irp op, d8, d9, da, db, dc, dd, de, df
	REG_STUBS \op
	MEM_STUBS \op
	.endr

	.section .data.rel.ro, "aw"
	.p2align 3
	.globl x87_reg_stubs
	.hidden x87_reg_stubs
	.type x87_reg_stubs, @object
x87_reg_stubs:
	.irp op, d8, d9, da, db, dc, dd, de, df
	.irp hi, c, d, e, f
	.irp lo, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, a, b, c, d, e, f
	.quad x87_r_\op\hi\lo
	.endr
	.endr
	.endr
	.size x87_reg_stubs, . - x87_reg_stubs

	.globl x87_mem_stubs
	.hidden x87_mem_stubs
	.type x87_mem_stubs, @object
x87_mem_stubs:
	.irp op, d8, d9, da, db, dc, dd, de, df
	.irp m, 07, 0f, 17, 1f, 27, 2f, 37, 3f
	.quad x87_m_\op\m
	.endr
	.endr
	.size x87_mem_stubs, . - x87_mem_stubs

	.section .note.GNU-stack, "", @progbits
