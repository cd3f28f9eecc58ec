/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * x87-decode.c - see x87-decode.h.  The tables are the SDM's x87 opcode
 * maps (Vol. 2, A.4.2, Tables ); the undocumented aliases some
 * CPUs run (D9 D8+i FSTP1, DC D0+i FCOM2, DD C8+i FXCH4, DF C0+i FFREEP...)
 * and the 8087/287 leftovers (FENI, FDISI, FSETPM) are not whitelisted.
 */
#include "x87-decode.h"

#include <string.h>

static bool fisttp_ok = true;

void x87_decode_set_fisttp(bool ok)
{
	fisttp_ok = ok;
}

bool x87_reg_form_ok(unsigned op, unsigned modrm)
{
	if (op > 7 || modrm < 0xc0 || modrm > 0xff)
		return false;
	unsigned row = (modrm >> 3) & 7, i = modrm & 7;
	switch (op) {
	case 0: /* D8: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR st(0),st(i) */
	case 4: /* DC: FADD FMUL st(i),st(0); C? D0-DF aliases; FSUBR FSUB FDIVR FDIV */
		return op == 0 || (row != 2 && row != 3);
	case 1: /* D9 */
		if (row <= 1)                   /* FLD st(i), FXCH */
			return true;
		if (row == 2)
			return i == 0;              /* FNOP */
		if (row == 3)
			return false;               /* FSTP1 alias */
		if (row == 4)                   /* FCHS FABS - - FTST FXAM - - */
			return i == 0 || i == 1 || i == 4 || i == 5;
		if (row == 5)
			return i != 7;              /* FLD1 ... FLDZ */
		return true;                    /* F2XM1 ... FCOS */
	case 2: /* DA: FCMOVB FCMOVE FCMOVBE FCMOVU; FUCOMPP */
		return row <= 3 || modrm == 0xe9;
	case 3: /* DB: FCMOVNB.. FCMOVNU; FNCLEX FNINIT; FUCOMI; FCOMI */
		return row <= 3 || modrm == 0xe2 || modrm == 0xe3 || row == 5 || row == 6;
	case 5: /* DD: FFREE; FST; FSTP; FUCOM; FUCOMP */
		return row == 0 || (row >= 2 && row <= 5);
	case 6: /* DE: FADDP FMULP; FCOMPP; FSUBRP FSUBP FDIVRP FDIVP */
		return row <= 1 || modrm == 0xd9 || row >= 4;
	case 7: /* DF: FNSTSW AX; FUCOMIP; FCOMIP */
		return modrm == 0xe0 || row == 5 || row == 6;
	}
	return false;
}

/* Memory forms: size in bytes (32-bit operand size for the environment
 * and state) and X87_READ/X87_WRITE; 0 for a reserved one */
unsigned x87_mem_form(unsigned op, unsigned reg, unsigned *size)
{
	static const struct { uint8_t size, dir; } t[8][8] = {
#define R X87_READ
#define W X87_WRITE
#define NW (X87_WRITE | X87_NOWAIT)
		/* D8 m32real arithmetic */
		{ {4,R}, {4,R}, {4,R}, {4,R}, {4,R}, {4,R}, {4,R}, {4,R} },
		/* D9 FLD m32, -, FST, FSTP, FLDENV, FLDCW, FNSTENV, FNSTCW */
		{ {4,R}, {0,0}, {4,W}, {4,W}, {28,R}, {2,R}, {28,NW}, {2,NW} },
		/* DA m32int arithmetic */
		{ {4,R}, {4,R}, {4,R}, {4,R}, {4,R}, {4,R}, {4,R}, {4,R} },
		/* DB FILD m32, FISTTP, FIST, FISTP, -, FLD m80, -, FSTP m80 */
		{ {4,R}, {4,W}, {4,W}, {4,W}, {0,0}, {10,R}, {0,0}, {10,W} },
		/* DC m64real arithmetic */
		{ {8,R}, {8,R}, {8,R}, {8,R}, {8,R}, {8,R}, {8,R}, {8,R} },
		/* DD FLD m64, FISTTP m64, FST, FSTP, FRSTOR, -, FNSAVE, FNSTSW */
		{ {8,R}, {8,W}, {8,W}, {8,W}, {108,R}, {0,0}, {108,NW}, {2,NW} },
		/* DE m16int arithmetic */
		{ {2,R}, {2,R}, {2,R}, {2,R}, {2,R}, {2,R}, {2,R}, {2,R} },
		/* DF FILD m16, FISTTP, FIST, FISTP, FBLD, FILD m64, FBSTP, FISTP m64 */
		{ {2,R}, {2,W}, {2,W}, {2,W}, {10,R}, {8,R}, {10,W}, {8,W} },
#undef R
#undef W
#undef NW
	};
	if (op > 7 || reg > 7)
		return 0;
	if (reg == 1 && (op == 3 || op == 5 || op == 7) && !fisttp_ok)
		return 0;
	*size = t[op][reg].size;
	return t[op][reg].dir;
}

bool x87_decode(const uint8_t *b, unsigned n, bool long_mode, bool cs_db, struct x87_insn *in)
{
	memset(in, 0, sizeof(*in));
	in->long_mode = long_mode;
	if (!long_mode && !cs_db)
		return false;
	in->addr32 = !long_mode;
	in->seg = -1;
	unsigned i = 0;
	for (; i < n && i < 15; i++) {
		uint8_t c = b[i];
		if (c == 0xf2 || c == 0xf3)
			continue;
		if (c == 0x66) {
			in->opsize16 = true;
			continue;
		}
		if (c == 0x67) {
			in->addr32 = !in->addr32 || !long_mode;
			continue;
		}
		static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
		const uint8_t *sp = memchr(segs, c, sizeof(segs));
		if (sp) {
			in->seg = (int)(sp - segs);
			continue;
		}
		if (long_mode && (c & 0xf0) == 0x40) {
			/* a REX counts only right before the opcode */
			if (i + 1 < n && (b[i + 1] & 0xf8) == 0xd8) {
				in->rex_b = c & 1;
				in->rex_x = (c >> 1) & 1;
			}
			continue;
		}
		break;
	}
	in->op = i;
	if (i + 2 > n || (b[i] & 0xf8) != 0xd8)  /* (a LOCK, 0xF0, ends here too) */
		return false;
	in->opcode = b[i];
	uint8_t m = in->modrm = b[i + 1];
	unsigned op = in->opcode & 7, mod = m >> 6, rm = m & 7;
	i += 2;
	if (mod == 3) {
		if (!x87_reg_form_ok(op, m))
			return false;
		/* FCMOVcc read EFLAGS; FCOMI, FUCOMI(P) write them */
		if (op == 2 || op == 3 || (op == 7 && ((m >> 3) & 7) >= 5))
			in->flags = X87_FLAGS;
		in->len = i;
		return in->len <= 15;        /* (longer: #GP on the CPU) */
	}
	in->mem = true;
	in->flags = x87_mem_form(op, (m >> 3) & 7, &in->mem_size);
	if (!in->flags)
		return false;
	/* the 16-bit environment and state formats are not run */
	if (in->opsize16 && in->mem_size >= 28)
		return false;
	/* the addressing bytes (32/64-bit addressing; 16-bit is refused) */
	if (!in->addr32 && !long_mode)
		return false;
	unsigned dl = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (rm == 4) {
		if (i >= n)
			return false;
		in->has_sib = true;
		in->sib = b[i++];
		if ((in->sib & 7) == 5 && mod == 0)
			dl = 4;
	} else if (rm == 5 && mod == 0) {
		dl = 4;
	}
	if (dl > n - i)
		return false;
	if (dl == 1)
		in->disp = (int8_t)b[i];
	else if (dl == 4)
		in->disp = (int32_t)((uint32_t)b[i] | (uint32_t)b[i + 1] << 8 |
				     (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 3] << 24);
	in->disp_len = dl;
	in->len = i + dl;
	return in->len <= 15;
}
