/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * hwdebug-x86.c - x86-64 debug registers for the slot allocator (Intel SDM
 * Vol. 3B, 18.2 "Debug Registers": 18.2.3 DR6, 18.2.4 DR7, 18.2.5
 * breakpoint field recognition): splitting requests into DR0-DR3 pieces,
 * DR7, decoding DR6, and the slot table for people.  Pure.
 */
#include "hwdebug-arch.h"

#include <inttypes.h>

/* SDM 18.2.4, Figure 18-1 (DR7) */
#define DR7_G(n)          (1ull << (2 * (n) + 1))   /* global enable of DRn */
#define DR7_GE            (1ull << 9)               /* exact data breakpoints (global) */
#define DR7_RESERVED1     (1ull << 10)              /* reserved, reads as 1 */
#define DR7_RW_SHIFT(n)   (16 + 4 * (n))            /* R/Wn: 2 bits */
#define DR7_LEN_SHIFT(n)  (18 + 4 * (n))            /* LENn: 2 bits */
#define DR7_RW_EXEC       0x0ull                    /* break on instruction execution */
#define DR7_RW_WRITE      0x1ull                    /* break on data writes */
#define DR7_RW_READWRITE  0x3ull                    /* break on data reads or writes */
#define DR7_LEN_1         0x0ull
#define DR7_LEN_2         0x1ull
#define DR7_LEN_8         0x2ull                    /* 64-bit mode only */
#define DR7_LEN_4         0x3ull
#define DR6_B(n)          (1ull << (n))             /* SDM 18.2.3: DRn matched */
#define DR6_BS            (1ull << 14)              /* single step */
#define X86_DEBUG_SLOTS   4u

/* The 4-bit RW|LEN<<2 field of one slot. */
static uint64_t rwlen(enum hw_kind kind, uint64_t len)
{
	uint64_t rw = kind == HW_EXEC ? DR7_RW_EXEC : kind == HW_WRITE ? DR7_RW_WRITE
									 : DR7_RW_READWRITE;
	uint64_t lc = len == 1 ? DR7_LEN_1 : len == 2 ? DR7_LEN_2 : len == 4 ? DR7_LEN_4 : DR7_LEN_8;
	return kind == HW_EXEC ? DR7_RW_EXEC : (rw | lc << 2);
}

/* One bank (HW_BANK_BP) serves breakpoints and watchpoints alike. */
static unsigned x86_split(enum hw_kind kind, uint64_t addr, uint64_t len, bool wp_bank,
			  struct hw_piece *out, unsigned max, GError **error)
{
	if (kind == HW_EXEC) {
		/* SDM 18.2.5: instruction breakpoints must have LEN 00 (1 byte) */
		if (len != 1) {
			g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_INVAL,
				    "x86 hardware breakpoints have length 1, not %" G_GUINT64_FORMAT, len);
			return 0;
		}
		if (max)
			out[0] = (struct hw_piece){ addr, 1, addr, rwlen(kind, 1), HW_BANK_BP };
		return 1;
	}
	/* Data breakpoints match 1, 2, 4 or 8 naturally aligned bytes: cover
	 * the region with the largest aligned pieces, left to right (this is
	 * the fewest pieces that cover exactly its bytes). */
	unsigned n = 0;
	for (uint64_t a = addr, left = len; left > 0; n++) {
		uint64_t size = 8;
		while (size > 1 && (a % size != 0 || size > left))
			size /= 2;
		if (n < max)
			out[n] = (struct hw_piece){ a, size, a, rwlen(kind, size), HW_BANK_BP };
		a += size;
		left -= size;
		if (n + 1 > max)
			return max + 1; /* no need to count further */
	}
	return n;
}

uint64_t hw_x86_dr7(const bool used[4], const uint64_t ctrl[4])
{
	uint64_t dr7 = 0;
	for (unsigned n = 0; n < 4; n++) {
		if (!used[n])
			continue;
		dr7 |= DR7_G(n) | (ctrl[n] & 3) << DR7_RW_SHIFT(n) | (ctrl[n] >> 2 & 3) << DR7_LEN_SHIFT(n);
	}
	return dr7 ? dr7 | DR7_GE | DR7_RESERVED1 : 0;
}

static void x86_commit(const struct hw_bank_view *v, struct vmdbg_guest_debug *out)
{
	bool used[X86_DEBUG_SLOTS] = { false };
	uint64_t ctrl[X86_DEBUG_SLOTS] = { 0 };
	for (unsigned i = 0; i < MIN(v->nslots[HW_BANK_BP], X86_DEBUG_SLOTS); i++) {
		const struct hw_slot *s = &v->slots[HW_BANK_BP][i];
		used[i] = s->used;
		ctrl[i] = s->piece.ctrl;
		out->regs.x86.debugreg[i] = s->used ? s->piece.value : 0;
	}
	out->regs.x86.debugreg[7] = hw_x86_dr7(used, ctrl);
}

/* info[1] is DR6: B0-B3 say which DRn matched, BS a single step. */
static enum hw_decoded x86_decode(const struct hw_bank_view *v, const struct vmdbg_stopped *ev,
				  unsigned *bank, unsigned *slot, int *write_access)
{
	uint64_t dr6 = ev->info[1];
	for (unsigned n = 0; n < MIN(v->nslots[HW_BANK_BP], X86_DEBUG_SLOTS); n++) {
		if (!(dr6 & DR6_B(n)) || !v->slots[HW_BANK_BP][n].used ||
		    v->owner_kind(v->ctx, HW_BANK_BP, n, -1) < 0)
			continue;
		*bank = HW_BANK_BP;
		*slot = n;
		*write_access = -1; /* DR6 does not say */
		return HW_DECODED_SLOT;
	}
	return (dr6 & DR6_BS) ? HW_DECODED_STEP : HW_DECODED_NONE;
}

static void x86_describe_title(const struct hw_bank_view *v, unsigned used, GString *out)
{
	unsigned n = v->nslots[HW_BANK_BP];
	g_string_append_printf(out, "hardware debug slots: x86-64, %u shared (DR0-DR%u), %u in use\n",
			       n, n ? n - 1 : 0, used);
}

static void x86_describe_slot(unsigned bank, unsigned slot, const struct hw_piece *p,
			      GString *name, GString *regs)
{
	g_string_printf(name, "DR%u", slot);
	g_string_printf(regs, "DR%u=0x%016" PRIx64 " RW/LEN=0x%" PRIx64 "       ", slot, p->value,
			p->ctrl);
}

static void x86_describe_end(const struct vmdbg_guest_debug *committed, GString *out)
{
	g_string_append_printf(out, "DR7=0x%016" PRIx64 "\n", committed->regs.x86.debugreg[7]);
}

const struct hw_arch hw_arch_x86 = {
	.name = "x86-64",
	.max_bps = X86_DEBUG_SLOTS,
	.split = x86_split,
	.commit = x86_commit,
	.decode = x86_decode,
	.describe_title = x86_describe_title,
	.describe_slot = x86_describe_slot,
	.describe_end = x86_describe_end,
};
