/*
 * hwdebug-arm64.c - AArch64 debug-register encoding (Arm ARM D2.9 and
 * D2.10 breakpoint and watchpoint exceptions; D13.3 DBGBCR<n>_EL1,
 * DBGBVR<n>_EL1, DBGWCR<n>_EL1, DBGWVR<n>_EL1).  Pure.
 */
#include "hwdebug-arch.h"

/* DBGBCR<n>_EL1 */
#define DBGBCR_E          (1ull << 0)
#define DBGBCR_PMC_SHIFT  1
#define DBGBCR_PMC_EL1_EL0 0x3ull             /* with HMC=0, SSC=0: EL1 and EL0 */
#define DBGBCR_BAS_SHIFT  5
#define DBGBCR_BAS_A64    0xfull              /* A64 instructions: all four bytes */
/* HMC (13), SSC (15:14), LBN (19:16), BT (23:20) = 0: unlinked address match */

/* DBGWCR<n>_EL1 */
#define DBGWCR_E          (1ull << 0)
#define DBGWCR_PAC_SHIFT  1
#define DBGWCR_PAC_EL1_EL0 0x3ull
#define DBGWCR_LSC_SHIFT  3
#define DBGWCR_LSC_LOAD   0x1ull
#define DBGWCR_LSC_STORE  0x2ull
#define DBGWCR_LSC_BOTH   0x3ull
#define DBGWCR_BAS_SHIFT  5                   /* one bit per byte of the doubleword */
#define DBGWCR_MASK_SHIFT 24                  /* 5 bits: watch 2^MASK bytes, 3..31 */
#define DBGWCR_MASK_MIN   3u
#define DBGWCR_MASK_MAX   31u

/* DBGBVR/DBGWVR: bits above the implemented VA are RESS (a sign
 * extension); bit 52 is the top VA bit with FEAT_LVA, and for every
 * canonical address this is the identity. */
uint64_t hw_arm64_sext(uint64_t addr)
{
	return (uint64_t)((int64_t)(addr << 11) >> 11);
}

static uint64_t lsc_of(enum hw_kind kind)
{
	return kind == HW_READ ? DBGWCR_LSC_LOAD : kind == HW_WRITE ? DBGWCR_LSC_STORE
								   : DBGWCR_LSC_BOTH;
}

static struct hw_piece bas_piece(enum hw_kind kind, uint64_t addr, uint64_t len, unsigned bank)
{
	uint64_t dw = addr & ~7ull;
	uint64_t bas = ((1ull << len) - 1) << (addr - dw);
	uint64_t ctrl = DBGWCR_E | DBGWCR_PAC_EL1_EL0 << DBGWCR_PAC_SHIFT |
			lsc_of(kind) << DBGWCR_LSC_SHIFT | bas << DBGWCR_BAS_SHIFT;
	return (struct hw_piece){ addr, len, hw_arm64_sext(dw), ctrl, bank };
}

static struct hw_piece mask_piece(enum hw_kind kind, uint64_t addr, unsigned mask, unsigned bank)
{
	uint64_t ctrl = DBGWCR_E | DBGWCR_PAC_EL1_EL0 << DBGWCR_PAC_SHIFT |
			lsc_of(kind) << DBGWCR_LSC_SHIFT | 0xffull << DBGWCR_BAS_SHIFT |
			(uint64_t)mask << DBGWCR_MASK_SHIFT;
	return (struct hw_piece){ addr, 1ull << mask, hw_arm64_sext(addr), ctrl, bank };
}

unsigned hw_arm64_split(enum hw_kind kind, uint64_t addr, uint64_t len, bool wp_bank,
			struct hw_piece *out, unsigned max, GError **error)
{
	if (kind == HW_EXEC) {
		/* A64 instructions are 4 bytes, 4-byte aligned; DBGBVR[1:0] are RES0 */
		if (len != 4 || (addr & 3)) {
			g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_INVAL,
				    "AArch64 hardware breakpoints need a 4-byte aligned address and "
				    "kind 4 (got 0x%" G_GINT64_MODIFIER "x, %" G_GUINT64_FORMAT ")",
				    addr, len);
			return 0;
		}
		if (max)
			out[0] = (struct hw_piece){
				addr, 4, hw_arm64_sext(addr),
				DBGBCR_E | DBGBCR_PMC_EL1_EL0 << DBGBCR_PMC_SHIFT |
					DBGBCR_BAS_A64 << DBGBCR_BAS_SHIFT,
				HW_BANK_BP };
		return 1;
	}
	unsigned bank = wp_bank ? HW_BANK_WP : HW_BANK_BP;
	unsigned n = 0;
	for (uint64_t a = addr, left = len; left > 0; n++) {
		struct hw_piece p;
		if (a & 7) {
			/* bytes up to the end of this doubleword: one BAS piece */
			uint64_t take = MIN(left, 8 - (a & 7));
			p = bas_piece(kind, a, take, bank);
		} else {
			/* the largest naturally aligned power-of-two block that fits */
			unsigned m = DBGWCR_MASK_MIN;
			while (m < DBGWCR_MASK_MAX && (a & ((2ull << m) - 1)) == 0 && (2ull << m) <= left)
				m++;
			if ((1ull << m) > left)
				p = bas_piece(kind, a, left, bank);   /* under 8 bytes */
			else if (m == DBGWCR_MASK_MIN)
				p = bas_piece(kind, a, 8, bank);      /* a doubleword: BAS 0xFF */
			else
				p = mask_piece(kind, a, m, bank);
		}
		if (n < max)
			out[n] = p;
		a += p.len;
		left -= p.len;
		if (n + 1 > max)
			return max + 1;
	}
	return n;
}
