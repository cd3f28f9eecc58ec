/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * a64-sim.c - a pure interpreter for the A64 subset documented in
 * a64-sim.h, with the Arm debug architecture's hardware breakpoints,
 * watchpoints, software step and BRK/HLT, for dbgproxy-vm's simulated
 * AArch64 back end.
 *
 * This file owns: instruction fetch and decode by the encoding tables of
 * the Arm Architecture Reference Manual for A-profile (DDI 0487, section
 * numbers as in issue K.a; titles are authoritative where numbering
 * differs between issues), chapter C4 "A64 Instruction Set Encoding":
 *   C4.1.86 Data Processing -- Immediate
 *   C4.1.87 Branches, Exception Generating and System instructions
 *   C4.1.88 Loads and Stores
 *   C4.1.89 Data Processing -- Register
 * with the operation of each instruction taken from its pseudocode in C6.2
 * (AddWithCarry, DecodeBitMasks, ShiftReg, ExtendReg, ConditionHolds as in
 * the shared pseudocode, J1); the matching rules of DBGBCR<n>_EL1 /
 * DBGBVR<n>_EL1 breakpoints (D2.9) and DBGWCR<n>_EL1 / DBGWVR<n>_EL1
 * watchpoints (D2.10) for execution at EL1; and the ESR_ELx syndromes that
 * KVM reports for debug exits.  No threads, no I/O, no allocation.
 *
 * Choices where the architecture is CONSTRAINED UNPREDICTABLE (none of
 * them matters to a well-formed guest):
 *   - load with writeback and Rt == Rn (or Rt2 == Rn): the writeback is
 *     suppressed, the register gets the loaded value (WBSUPPRESS);
 *   - store with writeback and Rt == Rn: the value stored is the register
 *     before the writeback (the "NONE" option);
 *   - LDP with Rt == Rt2: Rt2's value is the one left in the register;
 *   - an unaligned data access is performed (no alignment fault);
 *   - a breakpoint or watchpoint whose BAS/MASK programming is reserved
 *     (MASK 1 or 2, MASK with BAS != 0xFF, LSC 0) never matches.
 * Choices where a64-sim.h leaves room:
 *   - WFI/WFE with single_step: the instruction completes (pc advanced)
 *     and A64_SOFTWARE_STEP is reported, not A64_WFI, so that a debugger's
 *     step always stops after exactly one instruction (architecturally the
 *     step exception is taken once the WFI completes, D2.12);
 *   - only what the header lists is executed: ADD/SUB (extended register),
 *     BIC/ORN/EON, LDUR/STUR, LDRSB/LDRSH, LDRSW (literal), BFM, etc. are
 *     A64_UNDEFINED.
 * Two simplifications: a PC that is not 4-byte aligned (after BR/BLR/RET
 * to such an address) is reported as A64_MEM_FAULT at the fetch, with FAR
 * = the PC (architecturally a PC alignment fault); a MEM_FAULT on a data
 * access reports FAR = the lowest address of the access.
 */
#include "a64-sim.h"

#include <stddef.h>
#include <string.h>

/* ---- debug registers (Arm ARM D13.3, issue F.c numbering) ---------------- */

/* DBGBCR<n>_EL1, Debug Breakpoint Control Registers (D13.3.2) */
#define DBGBCR_E            (1ull << 0)   /* E, bit 0: enable */
#define DBGBCR_PMC_SHIFT    1             /* PMC, bits 2:1: privilege mode control */
#define DBGBCR_PMC_MASK     0x3ull
#define DBGBCR_PMC_EL1      0x1ull        /* PMC bit 0 (HMC = 0, SSC = 0): EL1 */
#define DBGBCR_BAS_SHIFT    5             /* BAS, bits 8:5: byte address select */
#define DBGBCR_BAS_MASK     0xfull
#define DBGBCR_BAS_A64      0xfull        /* an A64 instruction: all four bytes */
#define DBGBCR_HMC          (1ull << 13)  /* HMC, bit 13: higher mode control */
#define DBGBCR_SSC_SHIFT    14            /* SSC, bits 15:14: security state control */
#define DBGBCR_SSC_MASK     0x3ull
#define DBGBCR_BT_SHIFT     20            /* BT, bits 23:20: breakpoint type */
#define DBGBCR_BT_MASK      0xfull
#define DBGBCR_BT_UNLINKED_ADDR 0x0ull    /* unlinked instruction address match */

/* DBGBVR<n>_EL1 (D13.3.3): VA bits 52:2 compared; 63:53 RESS (sign
 * extension, ignored here); 1:0 RES0. */
#define DBGBVR_VA_MASK      (((1ull << 53) - 1) & ~3ull)

/* DBGWCR<n>_EL1, Debug Watchpoint Control Registers (D13.3.11) */
#define DBGWCR_E            (1ull << 0)   /* E, bit 0: enable */
#define DBGWCR_PAC_SHIFT    1             /* PAC, bits 2:1: privilege of access control */
#define DBGWCR_PAC_MASK     0x3ull
#define DBGWCR_PAC_EL1      0x1ull        /* PAC bit 0 (HMC = 0, SSC = 0): EL1 */
#define DBGWCR_LSC_SHIFT    3             /* LSC, bits 4:3: load/store control */
#define DBGWCR_LSC_MASK     0x3ull
#define DBGWCR_LSC_LOAD     0x1ull        /* match loads */
#define DBGWCR_LSC_STORE    0x2ull        /* match stores */
#define DBGWCR_BAS_SHIFT    5             /* BAS, bits 12:5: byte address select */
#define DBGWCR_BAS_MASK     0xffull
#define DBGWCR_BAS_ALL      0xffull       /* required with MASK != 0 */
#define DBGWCR_HMC          (1ull << 13)  /* HMC, bit 13 */
#define DBGWCR_SSC_SHIFT    14            /* SSC, bits 15:14 */
#define DBGWCR_SSC_MASK     0x3ull
#define DBGWCR_WT           (1ull << 20)  /* WT, bit 20: linked watchpoint */
#define DBGWCR_MASK_SHIFT   24            /* MASK, bits 28:24: address mask */
#define DBGWCR_MASK_MASK    0x1full
#define DBGWCR_MASK_MIN     3u            /* 1 and 2 are reserved */

/* DBGWVR<n>_EL1 (D13.3.12): VA bits 52:2; 63:53 RESS (ignored); 1:0 RES0.
 * With MASK = 0 the watched doubleword is DBGWVR[52:3] and BAS[7:0] pick
 * its bytes, as a64-sim.h fixes.  (The architecture also allows a
 * word-aligned DBGWVR, bit 2 set, with BAS[3:0] selecting bytes of that
 * word, D2.10.5; the header's contract ignores bit 2, and dbgproxyd's
 * encoder, hwdebug.h, always writes doubleword-aligned values.) */
#define DBGWVR_VA_MASK      (((1ull << 53) - 1) & ~3ull)
#define DBGWVR_DW_MASK      (((1ull << 53) - 1) & ~7ull)
#define DBGWVR_DW_BYTES     8u

/* Addresses compared by the debug logic: bits 52:0 (header contract). */
#define DEBUG_ADDR_MASK     ((1ull << 53) - 1)

#define DEBUG_MAX_SLOTS     16u

/* ESR_ELx (D17.2.37) */
#define ESR_EC_SHIFT        26
#define ESR_BRK_IMM_MASK    0xffffu       /* ISS.Comment for EC 0x3C */

/* ---- instruction fields ------------------------------------------------- */

static inline uint32_t bits(uint32_t insn, unsigned hi, unsigned lo)
{
	return (insn >> lo) & ((2u << (hi - lo)) - 1);
}

static inline uint32_t bit(uint32_t insn, unsigned n)
{
	return (insn >> n) & 1;
}

static inline uint64_t sext(uint64_t v, unsigned width)
{
	uint64_t m = 1ull << (width - 1);
	v &= (width == 64) ? ~0ull : ((1ull << width) - 1);
	return (v ^ m) - m;
}

static inline uint64_t ones(unsigned n)
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static inline uint64_t dmask(bool sf)
{
	return sf ? ~0ull : 0xffffffffull;
}

/* ---- the state of one step ------------------------------------------------ */

struct step {
	struct a64_cpu *cpu;
	const struct a64_debug *dbg;   /* NULL: no debug registers */
	const struct a64_mem *mem;
	struct a64_event *ev;
	uint32_t insn;
	uint64_t pc;
	uint64_t next_pc;
};

/* Register 31 as the zero register (reads 0, writes ignored). */
static uint64_t xr(const struct step *s, unsigned r)
{
	return r == 31 ? 0 : s->cpu->x[r];
}

static void set_xr(struct step *s, unsigned r, uint64_t v, bool sf)
{
	if (r != 31)
		s->cpu->x[r] = v & dmask(sf);
}

/* Register 31 as SP. */
static uint64_t xr_sp(const struct step *s, unsigned r)
{
	return r == 31 ? s->cpu->sp : s->cpu->x[r];
}

static void set_xr_sp(struct step *s, unsigned r, uint64_t v, bool sf)
{
	if (r == 31)
		s->cpu->sp = v & dmask(sf);
	else
		s->cpu->x[r] = v & dmask(sf);
}

static enum a64_exit undefined(struct step *s)
{
	return A64_UNDEFINED;
}

/* ---- shared pseudocode ---------------------------------------------------- */

/* AddWithCarry() (J1.1.3): the result and, in *nzcv, the flags. */
static uint64_t add_with_carry(uint64_t x, uint64_t y, unsigned carry_in, bool sf, uint32_t *nzcv)
{
	uint64_t m = dmask(sf);
	unsigned top = sf ? 63 : 31;
	x &= m;
	y &= m;
	uint64_t r = (x + y + carry_in) & m;
	uint32_t n = (uint32_t)(r >> top) & 1;
	uint32_t z = r == 0;
	/* carry out of the top bit: majority(x, y, carry into the top bit) */
	uint32_t c = (uint32_t)((((x & y) | ((x | y) & ~r)) >> top) & 1);
	/* signed overflow: both operands of one sign, the result of the other */
	uint32_t v = (uint32_t)((((x ^ r) & (y ^ r)) >> top) & 1);
	*nzcv = n << 31 | z << 30 | c << 29 | v << 28;
	return r;
}

static uint32_t logic_flags(uint64_t r, bool sf)
{
	unsigned top = sf ? 63 : 31;
	return (uint32_t)((r >> top) & 1) << 31 | (uint32_t)((r & dmask(sf)) == 0) << 30;
}

static uint64_t ror(uint64_t v, unsigned amount, unsigned width)
{
	v &= ones(width);
	amount %= width;
	if (amount == 0)
		return v;
	return ((v >> amount) | (v << (width - amount))) & ones(width);
}

enum shift_type { SHIFT_LSL, SHIFT_LSR, SHIFT_ASR, SHIFT_ROR };

/* ShiftReg(): amount < datasize (checked by the decoders). */
static uint64_t shift_reg(uint64_t v, unsigned type, unsigned amount, bool sf)
{
	unsigned width = sf ? 64 : 32;
	v &= dmask(sf);
	switch (type) {
	case SHIFT_LSL:
		return (v << amount) & dmask(sf);
	case SHIFT_LSR:
		return v >> amount;
	case SHIFT_ASR:
		return (uint64_t)((int64_t)sext(v, width) >> amount) & dmask(sf);
	default:
		return ror(v, amount, width);
	}
}

/* ExtendReg(): option UXTB UXTH UXTW UXTX SXTB SXTH SXTW SXTX (0..7),
 * shift 0..4. */
static uint64_t extend_reg(uint64_t v, unsigned option, unsigned shift, bool sf)
{
	static const unsigned len[4] = { 8, 16, 32, 64 };
	unsigned l = len[option & 3];
	v = (option & 4) ? sext(v, l) : (v & ones(l));
	return (v << shift) & dmask(sf);
}

/* DecodeBitMasks() (J1.1.3 "aarch64/instrs/integer/bitmasks"). */
static bool decode_bit_masks(unsigned immn, unsigned imms, unsigned immr, bool immediate, bool sf,
			     uint64_t *wmask, uint64_t *tmask)
{
	unsigned datasize = sf ? 64 : 32;
	unsigned v = immn << 6 | (~imms & 0x3f);
	if (v == 0)
		return false;
	unsigned len = 31 - (unsigned)__builtin_clz(v);   /* HighestSetBit */
	if (len < 1)
		return false;
	unsigned esize = 1u << len;
	if (esize > datasize)
		return false;
	unsigned levels = esize - 1;
	if (immediate && (imms & levels) == levels)
		return false;
	unsigned S = imms & levels, R = immr & levels;
	unsigned d = (S - R) & levels;
	uint64_t welem = ror(ones(S + 1), R, esize);
	uint64_t telem = ones(d + 1);
	for (unsigned n = esize; n < datasize; n *= 2) {
		welem |= welem << n;
		telem |= telem << n;
	}
	*wmask = welem & dmask(sf);
	*tmask = telem & dmask(sf);
	return true;
}

/* ConditionHolds() (J1.1.3 "shared/functions/system/ConditionHolds"). */
static bool condition_holds(unsigned cond, uint32_t nzcv)
{
	bool n = (nzcv >> 31) & 1, z = (nzcv >> 30) & 1, c = (nzcv >> 29) & 1, v = (nzcv >> 28) & 1;
	bool r;
	switch (cond >> 1) {
	case 0: r = z; break;              /* EQ / NE */
	case 1: r = c; break;              /* CS / CC */
	case 2: r = n; break;              /* MI / PL */
	case 3: r = v; break;              /* VS / VC */
	case 4: r = c && !z; break;        /* HI / LS */
	case 5: r = n == v; break;         /* GE / LT */
	case 6: r = n == v && !z; break;   /* GT / LE */
	default: r = true; break;          /* AL / NV */
	}
	if ((cond & 1) && cond != 0xf)
		r = !r;
	return r;
}

/* ---- debug architecture --------------------------------------------------- */

static unsigned nslots(unsigned n)
{
	return n > DEBUG_MAX_SLOTS ? DEBUG_MAX_SLOTS : n;
}

/* D2.9: does breakpoint n match an A64 instruction fetch at pc, at EL1? */
static bool breakpoint_matches(uint64_t bcr, uint64_t bvr, uint64_t pc)
{
	if (!(bcr & DBGBCR_E))
		return false;
	if (!((bcr >> DBGBCR_PMC_SHIFT) & DBGBCR_PMC_MASK & DBGBCR_PMC_EL1))
		return false;
	if ((bcr & DBGBCR_HMC) || ((bcr >> DBGBCR_SSC_SHIFT) & DBGBCR_SSC_MASK))
		return false;
	if (((bcr >> DBGBCR_BT_SHIFT) & DBGBCR_BT_MASK) != DBGBCR_BT_UNLINKED_ADDR)
		return false;
	if (((bcr >> DBGBCR_BAS_SHIFT) & DBGBCR_BAS_MASK) != DBGBCR_BAS_A64)
		return false;
	return ((bvr ^ pc) & DBGBVR_VA_MASK) == 0;
}

/* D2.10: is byte address b (bits 52:0) among those watchpoint n watches? */
static bool watch_covers_byte(uint64_t wcr, uint64_t wvr, uint64_t b)
{
	unsigned mask = (unsigned)((wcr >> DBGWCR_MASK_SHIFT) & DBGWCR_MASK_MASK);
	unsigned bas = (unsigned)((wcr >> DBGWCR_BAS_SHIFT) & DBGWCR_BAS_MASK);
	uint64_t va = wvr & DBGWVR_VA_MASK;

	if (mask == 0)
		return (b & DBGWVR_DW_MASK) == (wvr & DBGWVR_DW_MASK) &&
		       ((bas >> (b & (DBGWVR_DW_BYTES - 1))) & 1);
	if (mask < DBGWCR_MASK_MIN || bas != DBGWCR_BAS_ALL)
		return false;
	return (b >> mask) == (va >> mask);
}

static bool watchpoint_matches(uint64_t wcr, uint64_t wvr, uint64_t addr, unsigned size, bool store)
{
	if (!(wcr & DBGWCR_E))
		return false;
	if (!((wcr >> DBGWCR_PAC_SHIFT) & DBGWCR_PAC_MASK & DBGWCR_PAC_EL1))
		return false;
	if ((wcr & DBGWCR_HMC) || ((wcr >> DBGWCR_SSC_SHIFT) & DBGWCR_SSC_MASK) || (wcr & DBGWCR_WT))
		return false;
	if (!((wcr >> DBGWCR_LSC_SHIFT) & DBGWCR_LSC_MASK & (store ? DBGWCR_LSC_STORE : DBGWCR_LSC_LOAD)))
		return false;
	for (unsigned i = 0; i < size; i++)
		if (watch_covers_byte(wcr, wvr, (addr + i) & DEBUG_ADDR_MASK))
			return true;
	return false;
}

/* ---- memory --------------------------------------------------------------- */

static uint64_t get_le(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;
	for (unsigned i = len; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* One data access of `size` bytes (at most 16) at addr: the watchpoint
 * check of the whole access, then one read or one write of all of it.
 * Nothing of the instruction has changed any state yet; on a non-OK
 * return the caller changes nothing. */
static enum a64_exit data_access(struct step *s, uint64_t addr, unsigned size, bool store, uint8_t *buf)
{
	const struct a64_debug *dbg = s->dbg;
	if (dbg && dbg->enabled && !dbg->watch_dead) {
		unsigned n = nslots(dbg->nwps);
		for (unsigned i = 0; i < n; i++) {
			if (watchpoint_matches(dbg->wcr[i], dbg->wvr[i], addr, size, store)) {
				s->ev->esr = (uint64_t)A64_EC_WATCHPOINT_CUR << ESR_EC_SHIFT | A64_ESR_IL |
					     (store ? A64_ESR_WNR : 0);
				s->ev->far = addr;
				s->ev->watchpoint = i;
				return A64_WATCHPOINT;
			}
		}
	}
	if (s->mem->watch && s->mem->watch(s->mem->ctx, addr, size, store)) {
		s->ev->far = addr;
		return A64_PAGE_WATCH;
	}
	bool ok = store ? s->mem->write(s->mem->ctx, addr, buf, size)
			: s->mem->read(s->mem->ctx, addr, buf, size);
	if (!ok) {
		s->ev->far = addr;
		return A64_MEM_FAULT;
	}
	return A64_OK;
}

/* ---- C4.1.86 Data Processing -- Immediate ------------------------------- */

static enum a64_exit dp_pcrel(struct step *s)
{
	uint32_t insn = s->insn;
	uint64_t imm = sext((uint64_t)bits(insn, 23, 5) << 2 | bits(insn, 30, 29), 21);
	uint64_t r = bit(insn, 31) ? (s->pc & ~0xfffull) + (imm << 12)   /* ADRP */
				   : s->pc + imm;                        /* ADR */
	set_xr(s, bits(insn, 4, 0), r, true);
	return A64_OK;
}

/* ADD, ADDS, SUB, SUBS (immediate): Rn is SP; Rd is SP unless S. */
static enum a64_exit dp_addsub_imm(struct step *s)
{
	uint32_t insn = s->insn;
	bool sf = bit(insn, 31), sub = bit(insn, 30), setflags = bit(insn, 29);
	uint64_t imm = bits(insn, 21, 10);
	if (bit(insn, 22))
		imm <<= 12;
	uint64_t x = xr_sp(s, bits(insn, 9, 5));
	uint32_t nzcv;
	uint64_t r = sub ? add_with_carry(x, ~imm, 1, sf, &nzcv) : add_with_carry(x, imm, 0, sf, &nzcv);
	if (setflags) {
		s->cpu->nzcv = nzcv;
		set_xr(s, bits(insn, 4, 0), r, sf);
	} else {
		set_xr_sp(s, bits(insn, 4, 0), r, sf);
	}
	return A64_OK;
}

/* AND, ORR, EOR, ANDS (immediate): Rn is XZR; Rd is SP unless ANDS. */
static enum a64_exit dp_logical_imm(struct step *s)
{
	uint32_t insn = s->insn;
	bool sf = bit(insn, 31);
	unsigned opc = bits(insn, 30, 29), n = bit(insn, 22);
	uint64_t imm, tmask;
	if (!sf && n)
		return undefined(s);
	if (!decode_bit_masks(n, bits(insn, 15, 10), bits(insn, 21, 16), true, sf, &imm, &tmask))
		return undefined(s);
	uint64_t x = xr(s, bits(insn, 9, 5)), r;
	switch (opc) {
	case 0: r = x & imm; break;
	case 1: r = x | imm; break;
	case 2: r = x ^ imm; break;
	default:
		r = x & imm & dmask(sf);
		s->cpu->nzcv = logic_flags(r, sf);
		set_xr(s, bits(insn, 4, 0), r, sf);
		return A64_OK;
	}
	set_xr_sp(s, bits(insn, 4, 0), r, sf);
	return A64_OK;
}

/* MOVN, MOVZ, MOVK */
static enum a64_exit dp_movewide(struct step *s)
{
	uint32_t insn = s->insn;
	bool sf = bit(insn, 31);
	unsigned opc = bits(insn, 30, 29), hw = bits(insn, 22, 21), rd = bits(insn, 4, 0);
	if (opc == 1 || (!sf && hw >= 2))
		return undefined(s);
	unsigned pos = hw * 16;
	uint64_t imm = (uint64_t)bits(insn, 20, 5) << pos, r;
	switch (opc) {
	case 0: r = ~imm; break;                                         /* MOVN */
	case 2: r = imm; break;                                          /* MOVZ */
	default: r = (xr(s, rd) & ~(0xffffull << pos)) | imm; break;    /* MOVK */
	}
	set_xr(s, rd, r, sf);
	return A64_OK;
}

/* SBFM, UBFM (BFM is not in the subset) */
static enum a64_exit dp_bitfield(struct step *s)
{
	uint32_t insn = s->insn;
	bool sf = bit(insn, 31);
	unsigned opc = bits(insn, 30, 29), n = bit(insn, 22);
	unsigned immr = bits(insn, 21, 16), imms = bits(insn, 15, 10);
	uint64_t wmask, tmask;
	if (opc != 0 && opc != 2)
		return undefined(s);
	if (sf != n || (!sf && ((immr | imms) & 0x20)))
		return undefined(s);
	if (!decode_bit_masks(n, imms, immr, false, sf, &wmask, &tmask))
		return undefined(s);
	uint64_t src = xr(s, bits(insn, 9, 5)) & dmask(sf);
	uint64_t bot = ror(src, immr, sf ? 64 : 32) & wmask;
	uint64_t r;
	if (opc == 0) {   /* SBFM */
		uint64_t top = ((src >> imms) & 1) ? dmask(sf) : 0;
		r = (top & ~tmask) | (bot & tmask);
	} else {          /* UBFM */
		r = bot & tmask;
	}
	set_xr(s, bits(insn, 4, 0), r, sf);
	return A64_OK;
}

static enum a64_exit dp_imm(struct step *s)
{
	switch (bits(s->insn, 25, 23)) {
	case 0: case 1: return dp_pcrel(s);
	case 2: return dp_addsub_imm(s);
	case 4: return dp_logical_imm(s);
	case 5: return dp_movewide(s);
	case 6: return dp_bitfield(s);
	default: return undefined(s);   /* 011 add/sub with tags, 111 extract */
	}
}

/* ---- C4.1.87 Branches, Exception Generating and System instructions ------ */

static enum a64_exit br_system(struct step *s)
{
	uint32_t insn = s->insn;
	struct a64_cpu *cpu = s->cpu;

	if ((insn & 0x7c000000u) == 0x14000000u) {          /* B, BL: op 00101 */
		if (bit(insn, 31))
			cpu->x[30] = s->pc + 4;
		s->next_pc = s->pc + (sext(bits(insn, 25, 0), 26) << 2);
		return A64_OK;
	}
	if ((insn & 0x7e000000u) == 0x34000000u) {          /* CBZ, CBNZ: 011010 */
		bool sf = bit(insn, 31), nz = bit(insn, 24);
		bool zero = (xr(s, bits(insn, 4, 0)) & dmask(sf)) == 0;
		if (zero != nz)
			s->next_pc = s->pc + (sext(bits(insn, 23, 5), 19) << 2);
		return A64_OK;
	}
	if ((insn & 0x7e000000u) == 0x36000000u) {          /* TBZ, TBNZ: 011011 */
		unsigned pos = bit(insn, 31) << 5 | bits(insn, 23, 19);
		bool set = (xr(s, bits(insn, 4, 0)) >> pos) & 1;
		if (set == (bool)bit(insn, 24))
			s->next_pc = s->pc + (sext(bits(insn, 18, 5), 14) << 2);
		return A64_OK;
	}
	if ((insn & 0xff000010u) == 0x54000000u) {          /* B.cond: o1 = 0, o0 = 0 */
		if (condition_holds(bits(insn, 3, 0), cpu->nzcv))
			s->next_pc = s->pc + (sext(bits(insn, 23, 5), 19) << 2);
		return A64_OK;
	}
	if ((insn & 0xfe000000u) == 0xd6000000u) {          /* unconditional branch (register) */
		unsigned opc = bits(insn, 24, 21);
		if (bits(insn, 20, 16) != 0x1f || bits(insn, 15, 10) != 0 || bits(insn, 4, 0) != 0 ||
		    opc > 2)
			return undefined(s);
		uint64_t target = xr(s, bits(insn, 9, 5));   /* read before the link */
		if (opc == 1)                                 /* BLR */
			cpu->x[30] = s->pc + 4;
		s->next_pc = target;                          /* BR, BLR, RET */
		return A64_OK;
	}
	if ((insn & 0xff000000u) == 0xd4000000u) {          /* exception generation */
		unsigned opc = bits(insn, 23, 21), op2_ll = bits(insn, 4, 0);
		if (opc == 1 && op2_ll == 0) {                /* BRK */
			s->ev->esr = (uint64_t)A64_EC_BRK64 << ESR_EC_SHIFT | A64_ESR_IL |
				     (bits(insn, 20, 5) & ESR_BRK_IMM_MASK);
			return A64_BRK;
		}
		if (opc == 2 && op2_ll == 0)                  /* HLT */
			return A64_HLT;
		if (opc == 0 && op2_ll == 2) {                /* HVC: the VM answers it */
			return A64_HVC;
		}
		return undefined(s);                          /* SVC SMC DCPSn TCANCEL */
	}
	if ((insn & 0xfffff01fu) == 0xd503201fu) {          /* HINT (Rt = 11111) */
		unsigned crm_op2 = bits(insn, 11, 5);
		if (crm_op2 == 2 || crm_op2 == 3)             /* WFE, WFI */
			return A64_WFI;
		return A64_OK;                                /* NOP YIELD SEV ... */
	}
	return undefined(s);
}

/* ---- C4.1.88 Loads and Stores ------------------------------------------- */

/* size (bits 31:30) and opc (bits 23:22) of a single-register load/store */
struct ldst_op {
	unsigned size;      /* bytes */
	bool store;
	bool sign;          /* LDRSW */
};

static bool ldst_decode(uint32_t insn, struct ldst_op *op)
{
	unsigned size = bits(insn, 31, 30), opc = bits(insn, 23, 22);
	op->size = 1u << size;
	op->store = opc == 0;
	op->sign = false;
	if (opc <= 1)
		return true;                 /* STRx / LDRx */
	if (opc == 2 && size == 2) {
		op->sign = true;             /* LDRSW */
		return true;
	}
	return false;                        /* LDRSB LDRSH PRFM, unallocated */
}

/* One single-register access at addr, then (if wback) base <- wb_addr. */
static enum a64_exit ldst_single(struct step *s, const struct ldst_op *op, uint64_t addr, bool wback,
				 uint64_t wb_addr)
{
	unsigned rt = bits(s->insn, 4, 0), rn = bits(s->insn, 9, 5);
	uint8_t buf[8];
	if (op->store)
		put_le(buf, xr(s, rt), op->size);
	enum a64_exit e = data_access(s, addr, op->size, op->store, buf);
	if (e != A64_OK)
		return e;
	if (!op->store) {
		uint64_t v = get_le(buf, op->size);
		if (op->sign)
			v = sext(v, op->size * 8);
		set_xr(s, rt, v, true);
		if (wback && rn == rt && rn != 31)
			wback = false;           /* CONSTRAINED UNPREDICTABLE: WBSUPPRESS */
	}
	if (wback)
		set_xr_sp(s, rn, wb_addr, true);
	return A64_OK;
}

/* LDR (literal): opc 00 32-bit, 01 64-bit */
static enum a64_exit ld_literal(struct step *s)
{
	uint32_t insn = s->insn;
	unsigned opc = bits(insn, 31, 30);
	if (bit(insn, 26) || opc > 1)
		return undefined(s);   /* SIMD&FP, LDRSW (literal), PRFM (literal) */
	struct ldst_op op = { opc ? 8 : 4, false, false };
	uint64_t addr = s->pc + (sext(bits(insn, 23, 5), 19) << 2);
	unsigned rt = bits(insn, 4, 0);
	uint8_t buf[8];
	enum a64_exit e = data_access(s, addr, op.size, false, buf);
	if (e != A64_OK)
		return e;
	set_xr(s, rt, get_le(buf, op.size), true);
	return A64_OK;
}

/* LDP, STP (post-index, signed offset, pre-index), 32- and 64-bit */
static enum a64_exit ldst_pair(struct step *s)
{
	uint32_t insn = s->insn;
	unsigned opc = bits(insn, 31, 30), type = bits(insn, 24, 23);
	bool load = bit(insn, 22);
	unsigned rt = bits(insn, 4, 0), rt2 = bits(insn, 14, 10), rn = bits(insn, 9, 5);
	if (bit(insn, 26) || type == 0 || (opc != 0 && opc != 2))
		return undefined(s);   /* SIMD&FP, LDNP/STNP, STGP/LDPSW, unallocated */
	unsigned scale = 2 + (opc >> 1), size = 1u << scale;
	uint64_t off = sext(bits(insn, 21, 15), 7) << scale;
	uint64_t base = xr_sp(s, rn);
	bool wback = type != 2, post = type == 1;
	uint64_t addr = post ? base : base + off;
	uint8_t buf[16];
	if (!load) {
		put_le(buf, xr(s, rt), size);
		put_le(buf + size, xr(s, rt2), size);
	}
	enum a64_exit e = data_access(s, addr, 2 * size, !load, buf);
	if (e != A64_OK)
		return e;
	if (load) {
		set_xr(s, rt, get_le(buf, size), true);
		set_xr(s, rt2, get_le(buf + size, size), true);
		if (wback && (rn == rt || rn == rt2) && rn != 31)
			wback = false;           /* CONSTRAINED UNPREDICTABLE: WBSUPPRESS */
	}
	if (wback)
		set_xr_sp(s, rn, base + off, true);
	return A64_OK;
}

static enum a64_exit ldst(struct step *s)
{
	uint32_t insn = s->insn;
	struct ldst_op op;

	if ((insn & 0x3b000000u) == 0x18000000u)          /* load register (literal) */
		return ld_literal(s);
	if ((insn & 0x3a000000u) == 0x28000000u)          /* load/store register pair */
		return ldst_pair(s);
	if ((insn & 0x3b000000u) == 0x39000000u) {        /* load/store register (unsigned immediate) */
		if (bit(insn, 26) || !ldst_decode(insn, &op))
			return undefined(s);
		uint64_t addr = xr_sp(s, bits(insn, 9, 5)) + ((uint64_t)bits(insn, 21, 10) * op.size);
		return ldst_single(s, &op, addr, false, 0);
	}
	if ((insn & 0x3b200000u) == 0x38000000u) {        /* imm9: unscaled, post, unpriv, pre */
		unsigned kind = bits(insn, 11, 10);
		if (bit(insn, 26) || (kind != 1 && kind != 3) || !ldst_decode(insn, &op))
			return undefined(s);   /* LDUR/STUR, LDTR/STTR not in the subset */
		uint64_t base = xr_sp(s, bits(insn, 9, 5));
		uint64_t wb = base + sext(bits(insn, 20, 12), 9);
		return ldst_single(s, &op, kind == 1 ? base : wb, true, wb);
	}
	if ((insn & 0x3b200c00u) == 0x38200800u) {        /* register offset */
		unsigned option = bits(insn, 15, 13);
		if (bit(insn, 26) || !(option & 2) || !ldst_decode(insn, &op))
			return undefined(s);
		unsigned shift = bit(insn, 12) ? bits(insn, 31, 30) : 0;
		uint64_t off = extend_reg(xr(s, bits(insn, 20, 16)), option, shift, true);
		return ldst_single(s, &op, xr_sp(s, bits(insn, 9, 5)) + off, false, 0);
	}
	return undefined(s);   /* exclusives, atomics, LDAPR, SIMD structures, ... */
}

/* ---- C4.1.89 Data Processing -- Register ---------------------------------- */

/* AND, ORR, EOR, ANDS (shifted register); N = 1 (BIC ORN EON BICS) is not
 * in the subset. */
static enum a64_exit dp_logical_reg(struct step *s)
{
	uint32_t insn = s->insn;
	bool sf = bit(insn, 31);
	unsigned opc = bits(insn, 30, 29), amount = bits(insn, 15, 10);
	if (bit(insn, 21) || (!sf && amount >= 32))
		return undefined(s);
	uint64_t x = xr(s, bits(insn, 9, 5)) & dmask(sf);
	uint64_t y = shift_reg(xr(s, bits(insn, 20, 16)), bits(insn, 23, 22), amount, sf), r;
	switch (opc) {
	case 0: r = x & y; break;
	case 1: r = x | y; break;
	case 2: r = x ^ y; break;
	default:
		r = x & y;
		s->cpu->nzcv = logic_flags(r, sf);
		break;
	}
	set_xr(s, bits(insn, 4, 0), r, sf);
	return A64_OK;
}

/* ADD, ADDS, SUB, SUBS (shifted register): all of Rd, Rn, Rm are XZR. */
static enum a64_exit dp_addsub_shifted(struct step *s)
{
	uint32_t insn = s->insn;
	bool sf = bit(insn, 31), sub = bit(insn, 30), setflags = bit(insn, 29);
	unsigned type = bits(insn, 23, 22), amount = bits(insn, 15, 10);
	if (type == SHIFT_ROR || (!sf && amount >= 32))
		return undefined(s);
	uint64_t x = xr(s, bits(insn, 9, 5));
	uint64_t y = shift_reg(xr(s, bits(insn, 20, 16)), type, amount, sf);
	uint32_t nzcv;
	uint64_t r = sub ? add_with_carry(x, ~y, 1, sf, &nzcv) : add_with_carry(x, y, 0, sf, &nzcv);
	if (setflags)
		s->cpu->nzcv = nzcv;
	set_xr(s, bits(insn, 4, 0), r, sf);
	return A64_OK;
}

static enum a64_exit dp_reg(struct step *s)
{
	uint32_t insn = s->insn;
	if ((insn & 0x1f000000u) == 0x0a000000u)
		return dp_logical_reg(s);
	if ((insn & 0x1f200000u) == 0x0b000000u)
		return dp_addsub_shifted(s);
	/* ADD/SUB (extended register) is not in the a64-sim.h subset */
	return undefined(s);   /* extended register, ADC, CSEL, MUL, DIV, CLZ, ... */
}

/* ---- C4.1 A64 instruction set encoding (op0, bits 28:25) ----------------- */

static enum a64_exit execute(struct step *s)
{
	switch (bits(s->insn, 28, 25)) {
	case 0x8: case 0x9:
		return dp_imm(s);
	case 0xa: case 0xb:
		return br_system(s);
	case 0x4: case 0x6: case 0xc: case 0xe:
		return ldst(s);
	case 0x5: case 0xd:
		return dp_reg(s);
	default:
		return undefined(s);   /* reserved, SME, SVE, SIMD&FP, unallocated */
	}
}

enum a64_exit a64_step(struct a64_cpu *cpu, const struct a64_debug *dbg, const struct a64_mem *mem,
		       struct a64_event *ev)
{
	struct a64_event scratch;
	if (!ev)
		ev = &scratch;
	memset(ev, 0, sizeof(*ev));

	struct step s = { .cpu = cpu, .dbg = dbg, .mem = mem, .ev = ev, .pc = cpu->pc };
	enum a64_exit e;

	/* 1. breakpoints, before the instruction (D2.9) */
	if (dbg && dbg->enabled && !dbg->bp_dead) {
		unsigned n = nslots(dbg->nbps);
		for (unsigned i = 0; i < n; i++) {
			if (breakpoint_matches(dbg->bcr[i], dbg->bvr[i], s.pc)) {
				ev->esr = (uint64_t)A64_EC_BREAKPOINT_CUR << ESR_EC_SHIFT | A64_ESR_IL;
				ev->type = A64_BREAKPOINT;
				return A64_BREAKPOINT;
			}
		}
	}

	/* 2. fetch */
	uint8_t word[4];
	if ((s.pc & 3) || !mem->read(mem->ctx, s.pc, word, 4)) {
		ev->far = s.pc;
		ev->type = A64_MEM_FAULT;
		return A64_MEM_FAULT;
	}
	s.insn = (uint32_t)get_le(word, 4);
	ev->insn = s.insn;
	s.next_pc = s.pc + 4;

	/* 3. decode and execute (watchpoints inside, before any access) */
	e = execute(&s);

	/* 4. completion; software step after an instruction that completed
	 * (an HVC completes when the VM has answered it: the VM steps) */
	if (e == A64_HVC)
		cpu->pc = s.next_pc;
	if (e == A64_OK || e == A64_WFI) {
		cpu->pc = s.next_pc;
		if (dbg && dbg->single_step) {
			ev->esr = (uint64_t)A64_EC_SSTEP_CUR << ESR_EC_SHIFT | A64_ESR_IL;
			e = A64_SOFTWARE_STEP;
		}
	}
	ev->type = e;
	return e;
}

const char *a64_exit_name(enum a64_exit e)
{
	switch (e) {
	case A64_OK: return "ok";
	case A64_BREAKPOINT: return "breakpoint";
	case A64_WATCHPOINT: return "watchpoint";
	case A64_SOFTWARE_STEP: return "software-step";
	case A64_BRK: return "brk";
	case A64_HLT: return "hlt";
	case A64_HVC: return "hvc";
	case A64_WFI: return "wfi";
	case A64_UNDEFINED: return "undefined";
	case A64_MEM_FAULT: return "mem-fault";
	case A64_PAGE_WATCH: return "page-watch";
	}
	return "unknown";
}
