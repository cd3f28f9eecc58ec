/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * hwdebug-arm64.c - AArch64 debug registers for the slot allocator (Arm
 * ARM D2.9 and D2.10 breakpoint and watchpoint exceptions; D13.3
 * DBGBCR<n>_EL1, DBGBVR<n>_EL1, DBGWCR<n>_EL1, DBGWVR<n>_EL1; D17.2.37
 * ESR_ELx): splitting requests into BAS and MASK pieces, the register
 * values, decoding ESR and FAR, and the slot table for people.  Pure.
 */
#include "hwdebug-arch.h"

#include <inttypes.h>

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

/* ESR_ELx as KVM reports debug exits */
#define ESR_EC(esr)        (((esr) >> 26) & 0x3f)
#define ESR_EC_BKPT_LOW    0x30u   /* breakpoint from a lower EL */
#define ESR_EC_BKPT_CUR    0x31u
#define ESR_EC_SSTEP_LOW   0x32u   /* software step */
#define ESR_EC_SSTEP_CUR   0x33u
#define ESR_EC_WATCH_LOW   0x34u   /* watchpoint */
#define ESR_EC_WATCH_CUR   0x35u
#define ESR_ISS_WNR        (1ull << 6)  /* the access was a write */
/* Widest access an AArch64 instruction makes (LDP/STP of two X
 * registers, 16 bytes): a watchpoint's FAR can be that far below it. */
#define ARM64_MAX_ACCESS   16u

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

static unsigned arm64_split(enum hw_kind kind, uint64_t addr, uint64_t len, bool wp_bank,
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

static void arm64_commit(const struct hw_bank_view *v, struct vmdbg_guest_debug *out)
{
	for (unsigned i = 0; i < v->nslots[HW_BANK_BP]; i++) {
		const struct hw_slot *s = &v->slots[HW_BANK_BP][i];
		if (s->used) {
			out->regs.arm64.dbg_bcr[i] = s->piece.ctrl;
			out->regs.arm64.dbg_bvr[i] = s->piece.value;
		}
	}
	for (unsigned i = 0; i < v->nslots[HW_BANK_WP]; i++) {
		const struct hw_slot *s = &v->slots[HW_BANK_WP][i];
		if (s->used) {
			out->regs.arm64.dbg_wcr[i] = s->piece.ctrl;
			out->regs.arm64.dbg_wvr[i] = s->piece.value;
		}
	}
}

/* Arm ARM D2.10.5: FAR is an address within the access, which may start
 * below the watched bytes; pick the slot whose bytes an access at FAR can
 * overlap, preferring one that contains FAR and then one whose kind fits
 * the access (WnR). */
static bool best_watch_slot(const struct hw_bank_view *v, uint64_t far, int write_access,
			    unsigned *bank, unsigned *slot)
{
	unsigned b = v->shared ? HW_BANK_BP : HW_BANK_WP;
	int best = -1, best_score = -1;
	for (unsigned i = 0; i < v->nslots[b]; i++) {
		const struct hw_slot *s = &v->slots[b][i];
		if (!s->used)
			continue;
		/* the hardware compares bits 52:0 (DBGWVR's upper bits repeat bit
		 * 52, and FAR's top byte may be a tag): compare both sign-extended
		 * from bit 52, never gdb's bits above it; and in differences, which
		 * do not wrap at the top of the address space */
		uint64_t lo = hw_arm64_sext(s->piece.addr);
		uint64_t f = hw_arm64_sext(far);
		bool overlaps = f >= lo ? f - lo < s->piece.len : lo - f < ARM64_MAX_ACCESS;
		if (!overlaps)
			continue;
		int kind = v->owner_kind(v->ctx, b, i, write_access);
		if (kind < 0 || kind == HW_EXEC)
			continue;
		bool fits = kind == HW_ACCESS || (write_access ? kind == HW_WRITE : kind == HW_READ);
		int score = (f >= lo ? 2 : 0) + (fits ? 1 : 0);
		if (score > best_score) {
			best = (int)i;
			best_score = score;
		}
	}
	if (best < 0)
		return false;
	*bank = b;
	*slot = (unsigned)best;
	return true;
}

/* info[0] is ESR, info[1] FAR. */
static enum hw_decoded arm64_decode(const struct hw_bank_view *v, const struct vmdbg_stopped *ev,
				    unsigned *bank, unsigned *slot, int *write_access)
{
	uint64_t esr = ev->info[0], far = ev->info[1];
	switch (ESR_EC(esr)) {
	case ESR_EC_BKPT_LOW:
	case ESR_EC_BKPT_CUR:
		for (unsigned i = 0; i < v->nslots[HW_BANK_BP]; i++) {
			const struct hw_slot *s = &v->slots[HW_BANK_BP][i];
			if (s->used && s->piece.value == hw_arm64_sext(ev->pc)) {
				*bank = HW_BANK_BP;
				*slot = i;
				*write_access = -1;
				return HW_DECODED_SLOT;
			}
		}
		return HW_DECODED_NONE;
	case ESR_EC_SSTEP_LOW:
	case ESR_EC_SSTEP_CUR:
		return HW_DECODED_STEP;
	case ESR_EC_WATCH_LOW:
	case ESR_EC_WATCH_CUR:
		*write_access = (esr & ESR_ISS_WNR) ? 1 : 0;
		return best_watch_slot(v, far, *write_access, bank, slot) ? HW_DECODED_SLOT
									  : HW_DECODED_NONE;
	default:
		return HW_DECODED_NONE;
	}
}

static void arm64_describe_title(const struct hw_bank_view *v, unsigned used, GString *out)
{
	g_string_append_printf(out,
			       "hardware debug slots: aarch64, %u breakpoint + %u watchpoint, %u in use\n",
			       v->nslots[HW_BANK_BP], v->nslots[HW_BANK_WP], used);
}

static void arm64_describe_slot(unsigned bank, unsigned slot, const struct hw_piece *p,
				GString *name, GString *regs)
{
	bool bp = bank == HW_BANK_BP;
	g_string_printf(name, "%s%u", bp ? "BP" : "WP", slot);
	g_string_printf(regs, "%s=0x%016" PRIx64 " %s=0x%08" PRIx64 " ", bp ? "BVR" : "WVR", p->value,
			bp ? "BCR" : "WCR", p->ctrl);
}

static void arm64_describe_end(const struct vmdbg_guest_debug *committed, GString *out)
{
	(void)committed; /* the registers are on the slot lines */
	(void)out;
}

const struct hw_arch hw_arch_arm64 = {
	.name = "aarch64",
	.max_bps = HW_MAX_SLOTS,
	.split = arm64_split,
	.commit = arm64_commit,
	.decode = arm64_decode,
	.describe_title = arm64_describe_title,
	.describe_slot = arm64_describe_slot,
	.describe_end = arm64_describe_end,
};
