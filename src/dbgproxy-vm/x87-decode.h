/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * x87-decode.h - which x87 FPU instruction the bytes at a guest's pc are,
 * as far as running it on the host needs (x87-stubs.S): prefixes, the
 * opcode (D8-DF) and ModRM, the memory operand's addressing fields, and
 * whether the encoding is one the SDM defines (Vol. 2, Appendix A.4.2:
 * the x87 opcode maps).  Pure: it reads only the n bytes it is given.
 */
#ifndef DBGPROXY_X87_DECODE_H
#define DBGPROXY_X87_DECODE_H

#include <stdbool.h>
#include <stdint.h>

enum {
	X87_READ = 1,       /* the memory operand is read */
	X87_WRITE = 2,      /* ... and/or written */
	X87_NOWAIT = 4,     /* FNSTENV, FNSAVE: no check for a pending exception */
	X87_FLAGS = 8,      /* reads or writes EFLAGS (FCMOVcc, FCOMI...) */
};

struct x87_insn {
	unsigned op;              /* offset of the opcode byte (after prefixes) */
	unsigned len;             /* the whole instruction's length */
	bool long_mode, addr32, opsize16, rex_b, rex_x;
	int seg;                  /* segment override: 0 ES ... 5 GS, -1 none */
	uint8_t opcode, modrm;    /* D8..DF, ModRM */
	bool mem;                 /* a memory operand (ModRM.mod != 3) */
	bool has_sib;
	uint8_t sib;
	unsigned disp_len;        /* 0, 1 or 4 */
	int64_t disp;
	unsigned mem_size;        /* bytes of the memory operand */
	unsigned flags;           /* X87_* */
};

/* Decodes the instruction in b[0..n) for a CPU in 64-bit mode (long_mode)
 * or 32-bit protected mode (cs_db; 16-bit code is refused).  True only for
 * an architecturally defined x87 encoding (D8-DF, not a reserved or
 * undocumented-alias register form, no LOCK, no 0x66 on FLDENV, FNSTENV,
 * FRSTOR, FNSAVE) whose bytes are all within n. */
bool x87_decode(const uint8_t *b, unsigned n, bool long_mode, bool cs_db, struct x87_insn *in);

/* The register form (D8+op, ModRM C0-FF) is defined; memory forms' sizes
 * and directions: 0 where reserved.  Both exported for the fuzz target. */
bool x87_reg_form_ok(unsigned op, unsigned modrm);
unsigned x87_mem_form(unsigned op, unsigned reg, unsigned *size);

/* FISTTP (SSE3) is left out of the whitelist when the host lacks it */
void x87_decode_set_fisttp(bool ok);

#endif
