/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * hwdebug.h - hardware breakpoints and watchpoints: gdb's Z1-Z4 requests
 * turned into debug-register encodings for one VM, with slot allocation.
 *
 * The model is gdb's own (gdb/nat/x86-dregs.c, aarch64-hw-point.c): a pure
 * mirror of the debug registers.  A request (gdb's address and length, as
 * gdb sent them) is split into the fewest pieces the hardware can match
 * that cover exactly its bytes; each piece needs one slot; a slot whose
 * register values are identical to a new piece's is shared with a
 * reference count, as are identical requests.  Insertion works on a copy
 * and commits only if every piece found a slot: it is atomic.  The caller
 * then sends the whole register set (hwslots_guest_debug) in one
 * SET_GUEST_DEBUG.
 *
 * Conventions (they fix the raw register values tests expect):
 *  - Pieces are laid out in ascending address order and each takes the
 *    lowest-numbered free slot of its bank (unless it shares one).
 *  - x86-64 (Intel SDM Vol. 3B 18.2): one bank of 4 slots (DR0-DR3) shared
 *    by breakpoints and watchpoints.  Pieces are 1, 2, 4 or 8 bytes,
 *    naturally aligned.  DR7 = 0 when no slot is used; otherwise GE (bit 9)
 *    and bit 10 (reserved, reads as 1), and per used slot n: Gn (bit 2n+1),
 *    RWn at bits 16+4n (00 execute, 01 write, 11 read/write), LENn at bits
 *    18+4n (00 1 byte, 01 2, 11 4, 10 8).  Execution breakpoints have
 *    length 1 at any address.  x86 has no read-only watch: a read watch
 *    (Z3) is programmed as read/write (RW=11) and reported as rwatch; gdb
 *    then ignores the hits where the value changed (writes), as it does for
 *    every target that reports read watchpoints this way.
 *  - AArch64 (Arm ARM D13.3 DBGBCR/DBGBVR/DBGWCR/DBGWVR<n>_EL1): a
 *    breakpoint bank and a watchpoint bank.  DBGBCR = E | PMC=0b11 (EL1 and
 *    EL0) | BAS=0b1111 (A64) with HMC=0, SSC=0, BT=0 (unlinked address
 *    match): 0x1E7; DBGBVR = the address, 4-byte aligned (others are
 *    refused), sign-extended from bit 52.  DBGWCR = E | PAC=0b11 | LSC
 *    (01 load = Z3, 10 store = Z2, 11 both = Z4) at bits 4:3 | BAS at bits
 *    12:5 | MASK at bits 28:24; DBGWVR = the 8-byte aligned doubleword
 *    address (BAS pieces, any contiguous bytes of one doubleword) or the
 *    2^MASK-aligned block address (MASK pieces, naturally aligned power-of-
 *    two blocks of 16 bytes to 2 GiB, BAS = 0xFF; an aligned 8-byte piece
 *    is BAS = 0xFF with MASK = 0), sign-extended from bit 52.
 */
#ifndef HWDEBUG_H
#define HWDEBUG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "vmdbg-glib.h"

#define HWDEBUG_ERROR (hwdebug_error_quark())
GQuark hwdebug_error_quark(void);
enum hwdebug_err {
	HWDEBUG_E_NOSPC = 1,   /* not enough free slots (nothing changed) */
	HWDEBUG_E_INVAL,       /* a request the hardware cannot do at all */
	HWDEBUG_E_NOENT,       /* removing what was never inserted */
};

/* gdb's Z packet types 1-4. */
enum hw_kind {
	HW_EXEC = 1,           /* Z1 hardware breakpoint */
	HW_WRITE = 2,          /* Z2 write watchpoint */
	HW_READ = 3,           /* Z3 read watchpoint */
	HW_ACCESS = 4,         /* Z4 access watchpoint */
};

struct hwslots;

/* "exec", "write", "read" or "access". */
const char *hw_kind_name(enum hw_kind kind);

/* Slot counts as the VM's HELLO reports them; shared: breakpoints and
 * watchpoints use one bank (x86 DR0-DR3, hw_bps slots). */
struct hwslots *hwslots_new(uint32_t vmdbg_arch, unsigned hw_bps, unsigned hw_wps, bool shared);
void hwslots_free(struct hwslots *hs);

/* Insert/remove gdb's request (kind, addr, len) exactly as gdb sent it.
 * Insert is all or nothing; remove must match an earlier insert. */
bool hwslots_insert(struct hwslots *hs, enum hw_kind kind, uint64_t addr, uint64_t len,
		    GError **error);
bool hwslots_remove(struct hwslots *hs, enum hw_kind kind, uint64_t addr, uint64_t len,
		    GError **error);
/* Forget everything (gdb detached, VM lost). */
void hwslots_clear(struct hwslots *hs);

/* Slots in use, over all banks. */
unsigned hwslots_used(const struct hwslots *hs);

/* The complete register set and control bits for SET_GUEST_DEBUG:
 * ENABLE|USE_HW when any slot is used, 0 (and all registers 0) otherwise. */
void hwslots_guest_debug(const struct hwslots *hs, struct vmdbg_guest_debug *out);

/* What a debug stop means in terms of gdb's requests. */
enum hw_hit_type {
	HW_HIT_NONE,           /* not caused by our slots */
	HW_HIT_BREAK,          /* a hardware breakpoint: report hwbreak */
	HW_HIT_WATCH,          /* a watchpoint: report watch/rwatch/awatch at addr */
	HW_HIT_STEP,           /* a single step completed */
};

struct hw_hit {
	enum hw_hit_type type;
	enum hw_kind kind;     /* HW_HIT_WATCH: HW_WRITE, HW_READ or HW_ACCESS */
	uint64_t addr;         /* HW_HIT_WATCH: the start of the region gdb asked for */
};

/* Decode a VMDBG_STOP_DEBUG event (x86: DR6 in info[1]; AArch64: ESR in
 * info[0], FAR in info[1]) against the current slots. */
void hwslots_decode(const struct hwslots *hs, const struct vmdbg_stopped *ev, struct hw_hit *out);

/* The slot table for people (monitor hw): one line per slot in use with
 * kind, gdb's address and length, the piece, reference count and raw
 * registers, then the control register(s).  Same state, same text. */
char *hwslots_describe(const struct hwslots *hs);

#endif
