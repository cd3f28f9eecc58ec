/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
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

/* One slot of a bank as the allocator keeps it. */
struct hw_slot {
	bool used;
	unsigned refs;          /* pieces of points sharing it */
	struct hw_piece piece;
};

/* The allocator's state an architecture reads: both banks, their sizes,
 * and who owns a slot. */
struct hw_bank_view {
	const struct hw_slot (*slots)[HW_MAX_SLOTS];  /* [bank][slot] */
	const unsigned *nslots;                       /* [bank] */
	bool shared;                                  /* one bank for everything */
	/* The kind (enum hw_kind) of the point owning (bank, slot), one whose
	 * kind can match the access preferred (write_access 1 write, 0 read,
	 * -1 either); -1 when nobody owns it. */
	int (*owner_kind)(const void *ctx, unsigned bank, unsigned slot, int write_access);
	const void *ctx;
};

/* What a debug stop names. */
enum hw_decoded { HW_DECODED_NONE, HW_DECODED_SLOT, HW_DECODED_STEP };

/* Everything the slot allocator (hwslots.c) needs from an architecture:
 * it has no architecture branches of its own. */
struct hw_arch {
	const char *name;
	unsigned max_bps;       /* cap on the breakpoint bank (x86: DR0-DR3) */
	/* Split (kind, addr, len) into at most max pieces for bank HW_BANK_BP
	 * or, with wp_bank, HW_BANK_WP.  Returns the count; a count above max
	 * means "more than max needed" (out then holds only max); 0 with error
	 * set means the hardware cannot do it. */
	unsigned (*split)(enum hw_kind kind, uint64_t addr, uint64_t len, bool wp_bank,
			  struct hw_piece *out, unsigned max, GError **error);
	/* The debug registers of the used slots, into out->regs. */
	void (*commit)(const struct hw_bank_view *v, struct vmdbg_guest_debug *out);
	/* Which slot (bank, slot, the access's direction: 1 write, 0 read,
	 * -1 unknown) a debug stop names, or that it is a single step. */
	enum hw_decoded (*decode)(const struct hw_bank_view *v, const struct vmdbg_stopped *ev,
				  unsigned *bank, unsigned *slot, int *write_access);
	/* `monitor hw`: the title, a slot's name and registers, a closing line. */
	void (*describe_title)(const struct hw_bank_view *v, unsigned used, GString *out);
	void (*describe_slot)(unsigned bank, unsigned slot, const struct hw_piece *p, GString *name,
			      GString *regs);
	void (*describe_end)(const struct vmdbg_guest_debug *committed, GString *out);
};

extern const struct hw_arch hw_arch_x86;
extern const struct hw_arch hw_arch_arm64;

/* Exposed for the encoders' unit tests. */
uint64_t hw_x86_dr7(const bool used[4], const uint64_t ctrl[4]);
uint64_t hw_arm64_sext(uint64_t addr);

#endif
