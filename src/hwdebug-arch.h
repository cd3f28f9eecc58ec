/*
 * hwdebug-arch.h - what the slot allocator (hwslots.c) needs from each
 * architecture's pure encoder: splitting a request into hardware pieces
 * with their raw register values.  Internal to the hwdebug module.
 */
#ifndef HWDEBUG_ARCH_H
#define HWDEBUG_ARCH_H

#include "hwdebug.h"

#define HW_MAX_SLOTS  16u   /* KVM_ARM_MAX_DBG_REGS; x86 uses 4 */
#define HW_BANK_BP    0u    /* breakpoints (x86: every point, one shared bank) */
#define HW_BANK_WP    1u

struct hw_piece {
	uint64_t addr, len;     /* the bytes this piece matches */
	uint64_t value;         /* x86: DRn; AArch64: DBGBVR/DBGWVR */
	uint64_t ctrl;          /* x86: the RW|LEN<<2 nibble of DR7; AArch64: DBGBCR/DBGWCR */
	unsigned bank;
};

/* Split (kind, addr, len) into at most max pieces.  Returns the count; a
 * count above max means "more than max needed" (the pieces array then
 * holds only max); 0 with error set means the hardware cannot do it. */
unsigned hw_x86_split(enum hw_kind kind, uint64_t addr, uint64_t len, struct hw_piece *out,
		      unsigned max, GError **error);
uint64_t hw_x86_dr7(const bool used[4], const uint64_t ctrl[4]);

unsigned hw_arm64_split(enum hw_kind kind, uint64_t addr, uint64_t len, bool wp_bank,
			struct hw_piece *out, unsigned max, GError **error);
uint64_t hw_arm64_sext(uint64_t addr);

#endif
