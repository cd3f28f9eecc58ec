/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-hwdebug.c - unit tests of hardware breakpoint/watchpoint slots
 * (src/dbgproxyd/core/hwdebug.h): gdb's Z1-Z4 requests -> raw debug registers, slot
 * allocation and sharing, atomic insertion, and decoding of debug stops.
 *
 * An independent check: only the public API is used (hwslots_new, insert,
 * remove, clear, used, guest_debug, decode, describe), and every expected
 * register value below was derived by hand from the manuals, applying the
 * conventions that hwdebug.h fixes:
 *
 *   - pieces: the fewest hardware-matchable pieces that cover exactly the
 *     requested bytes, laid out in ascending address order; each piece takes
 *     the lowest-numbered free slot of its bank, unless a slot with identical
 *     register values exists (then it is shared, reference counted); identical
 *     requests are reference counted too; insertion is all or nothing.
 *
 *   - x86-64 (Intel SDM Vol. 3B 18.2): one bank DR0-DR3 shared by breakpoints
 *     and watchpoints; pieces are naturally aligned 1/2/4/8 bytes.  The
 *     fewest such pieces covering [a, a+len) are found greedily: at each
 *     address take the largest size s in {8,4,2,1} with addr % s == 0 and
 *     s <= bytes left (this is gdb's size_try_array walk for amd64).
 *       DR7 = 0 when no slot is used, else
 *             0x600 (GE bit 9 | reserved bit 10)
 *           | Gn = 1 << (2n+1)          (G0 0x2, G1 0x8, G2 0x20, G3 0x80)
 *           | nib_n << (16 + 4n)        nib = LEN << 2 | RW
 *       RW: 00 execute, 01 write, 11 read/write (also used for Z3 reads)
 *       LEN: 00 1 byte, 01 2 bytes, 11 4 bytes, 10 8 bytes
 *       nibbles: execute 0x0; write 1B 0x1, 2B 0x5, 4B 0xD, 8B 0x9;
 *                read/write 1B 0x3, 2B 0x7, 4B 0xF, 8B 0xB
 *     So with slots 0..k-1 used the low 16 bits are 0x602 (1 slot), 0x60A
 *     (2), 0x62A (3), 0x6AA (4), and the high 16 bits read nib3 nib2 nib1
 *     nib0 as hex digits.  Unused DRn are 0, as are debugreg[4..6].
 *
 *   - AArch64 (Arm ARM D13.3): breakpoint bank and watchpoint bank.
 *       DBGBCR = E(bit 0) | PMC=0b11 (bits 2:1) | BAS=0b1111 (bits 8:5)
 *              = 0x1 | 0x6 | 0x1E0 = 0x1E7;  DBGBVR = address (4-aligned),
 *              sign-extended from bit 52.
 *       DBGWCR = E (0x1) | PAC=0b11 (0x6) | LSC << 3 | BAS << 5 | MASK << 24
 *         LSC: 01 load (Z3) -> 0x08, 10 store (Z2) -> 0x10, 11 both (Z4) -> 0x18
 *         so the base without BAS is: Z2 0x17, Z3 0x0F, Z4 0x1F.
 *         BAS << 5 for common masks: 0x01->0x20, 0x03->0x60, 0x07->0xE0,
 *         0x0F->0x1E0, 0x1F->0x3E0, 0x3F->0x7E0, 0x7F->0xFE0, 0xFF->0x1FE0.
 *       DBGWVR = the doubleword (addr & ~7) for BAS pieces (any contiguous
 *         bytes of one doubleword: BAS = ((1 << len) - 1) << (addr & 7)), or
 *         the 2^MASK-aligned block for MASK pieces (16 B .. 2 GiB, BAS 0xFF);
 *         a whole aligned doubleword is BAS 0xFF, MASK 0.  Sign-extended
 *         from bit 52.  Unused entries (and entries past the slot counts)
 *         are 0.
 *     The fewest pieces: a partial head doubleword (BAS), then the largest
 *     naturally aligned power-of-two blocks of whole doublewords (8 B as
 *     BAS 0xFF MASK 0, 16 B .. 2 GiB as MASK), then a partial tail
 *     doubleword (BAS).
 *
 *   - control: VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW (= 3) when any slot is
 *     used, else 0 with all registers 0; out->arch names the architecture
 *     (vmdbg_enc_set_guest_debug selects the union member by it).
 *
 * A sample was cross-checked against gdb's own logic (gdb/nat/x86-dregs.c
 * x86_handle_nonaligned_watchpoint/size_try_array/x86_length_and_rw_bits and
 * gdb/nat/aarch64-hw-point.c aarch64_point_encode_ctrl_reg/
 * aarch64_align_watchpoint/aarch64_stopped_data_addresses), adjusting for
 * our conventions: gdb uses L bits + LE (0x100) where we use G bits + GE +
 * bit 10 (0x600), takes the LAST free AArch64 slot where we take the first,
 * and uses PAC/PMC = 0b10 (EL0) where we use 0b11 (so gdb's ctrl + 2 = ours).
 * Cases carrying "[gdb Xn]" / "[gdb An]" were compared that way.
 *
 * Every operation expected to fail is also checked to leave the state
 * exactly as it was: same hwslots_used(), same raw registers and control,
 * same hwslots_describe() text.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "hwdebug.h"
#include "vmdbg.h"
#include "vmdbg-glib.h"

#include "check.h"

/* ---- operation tables ---------------------------------------------------- */

enum op_type { OP_END = 0, OP_INS, OP_REM, OP_CLEAR };

struct op {
	enum op_type op;
	enum hw_kind kind;
	uint64_t addr;
	uint64_t len;
	int err;              /* 0: must succeed; else the HWDEBUG_E_* code */
};

#define Z1 HW_EXEC
#define Z2 HW_WRITE
#define Z3 HW_READ
#define Z4 HW_ACCESS

#define INS(k, a, l)         { OP_INS, (k), (a), (l), 0 }
#define INS_E(k, a, l, e)    { OP_INS, (k), (a), (l), HWDEBUG_E_##e }
#define REM(k, a, l)         { OP_REM, (k), (a), (l), 0 }
#define REM_E(k, a, l, e)    { OP_REM, (k), (a), (l), HWDEBUG_E_##e }
#define CLEAR                { OP_CLEAR, (enum hw_kind)0, 0, 0, 0 }

#define MAX_OPS 24
#define CTRL_ON (VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW)

static const char *kind_name(enum hw_kind k)
{
	switch (k) {
	case HW_EXEC: return "Z1";
	case HW_WRITE: return "Z2";
	case HW_READ: return "Z3";
	case HW_ACCESS: return "Z4";
	}
	return "Z?";
}

static const char *err_name(int code)
{
	switch (code) {
	case 0: return "success";
	case HWDEBUG_E_NOSPC: return "NOSPC";
	case HWDEBUG_E_INVAL: return "INVAL";
	case HWDEBUG_E_NOENT: return "NOENT";
	}
	return "?";
}

/* The state an operation must not change when it fails. */
struct snap {
	struct vmdbg_guest_debug g;
	unsigned used;
	char *text;
};

static void get_debug(const struct hwslots *hs, struct vmdbg_guest_debug *g)
{
	/* Garbage first: hwslots_guest_debug() gives the complete set. */
	memset(g, 0xA5, sizeof(*g));
	hwslots_guest_debug(hs, g);
}

static void snap_take(const struct hwslots *hs, struct snap *s)
{
	get_debug(hs, &s->g);
	s->used = hwslots_used(hs);
	s->text = hwslots_describe(hs);
}

static void run_ops(struct hwslots *hs, const char *name, const struct op *ops)
{
	for (unsigned i = 0; i < MAX_OPS && ops[i].op != OP_END; i++) {
		const struct op *o = &ops[i];
		GError *err = NULL;
		struct snap before = { .text = NULL };
		bool ok;

		if (o->op == OP_CLEAR) {
			hwslots_clear(hs);
			continue;
		}
		if (o->err)
			snap_take(hs, &before);
		if (o->op == OP_INS)
			ok = hwslots_insert(hs, o->kind, o->addr, o->len, &err);
		else
			ok = hwslots_remove(hs, o->kind, o->addr, o->len, &err);

		const char *what = o->op == OP_INS ? "insert" : "remove";
		if (!o->err) {
			CHECK(ok, "%s: op %u %s %s 0x%" G_GINT64_MODIFIER "x len %" G_GUINT64_FORMAT
			      ": expected success, failed: %s", name, i, what, kind_name(o->kind),
			      o->addr, o->len, err ? err->message : "(no GError)");
			CHECK(!ok || err == NULL, "%s: op %u %s succeeded but set a GError",
			      name, i, what);
		} else {
			CHECK(!ok, "%s: op %u %s %s 0x%" G_GINT64_MODIFIER "x len %" G_GUINT64_FORMAT
			      ": expected %s, succeeded", name, i, what, kind_name(o->kind),
			      o->addr, o->len, err_name(o->err));
			if (!ok) {
				CHECK(err != NULL, "%s: op %u %s failed without a GError", name, i, what);
				CHECK(err == NULL || g_error_matches(err, HWDEBUG_ERROR, o->err),
				      "%s: op %u %s %s 0x%" G_GINT64_MODIFIER "x len %" G_GUINT64_FORMAT
				      ": expected HWDEBUG_ERROR %s, got %s %d (%s)", name, i, what,
				      kind_name(o->kind), o->addr, o->len, err_name(o->err),
				      err ? g_quark_to_string(err->domain) : "-",
				      err ? err->code : 0, err ? err->message : "-");
			}
			/* A failure changes nothing. */
			struct snap after;
			snap_take(hs, &after);
			CHECK(after.used == before.used,
			      "%s: op %u failed %s changed hwslots_used %u -> %u", name, i, what,
			      before.used, after.used);
			CHECK(memcmp(&after.g, &before.g, sizeof(after.g)) == 0,
			      "%s: op %u failed %s changed the registers", name, i, what);
			CHECK(g_strcmp0(after.text, before.text) == 0,
			      "%s: op %u failed %s changed hwslots_describe:\n%s\n--- now ---\n%s",
			      name, i, what, before.text, after.text);
			g_free(before.text);
			g_free(after.text);
		}
		g_clear_error(&err);
	}
}

/* ---- x86-64 cases -----------------------------------------------------------
 * Notation in comments: (addr,size) = one piece; nibN = the RW/LEN nibble of
 * slot N; the DR7 sum lists the base, the G bits and the nibbles.
 * Every case runs on hwslots_new(VMDBG_ARCH_X86_64, 4, 4, true).
 */
struct x86_case {
	const char *name;
	struct op ops[MAX_OPS];
	unsigned used;
	uint64_t dr[4];
	uint64_t dr7;
};

static const struct x86_case x86_cases[] = {
	/* ---- aligned single pieces ---- */
	/* (0x1000,1) write: nib0 = LEN00 RW01 = 0x1.  DR7 = 0x600 | G0 0x2 | 0x1<<16 */
	{ .name = "write-1-aligned", .ops = { INS(Z2, 0x1000, 1) },
	  .used = 1, .dr = { 0x1000 }, .dr7 = 0x00010602 },
	/* (0x1000,2) write: nib0 = LEN01 RW01 = 0x5.  0x602 | 0x5<<16 */
	{ .name = "write-2-aligned", .ops = { INS(Z2, 0x1000, 2) },
	  .used = 1, .dr = { 0x1000 }, .dr7 = 0x00050602 },
	/* (0x1000,4) write: nib0 = LEN11 RW01 = 0xD.  0x602 | 0xD<<16.
	 * [KVM selftest K2: 0x400|G0|0xD0000 = 0xD0402, plus GE 0x200] */
	{ .name = "write-4-aligned", .ops = { INS(Z2, 0x1000, 4) },
	  .used = 1, .dr = { 0x1000 }, .dr7 = 0x000D0602 },
	/* (0x1000,8) write: nib0 = LEN10 RW01 = 0x9.  0x602 | 0x9<<16.
	 * [gdb X2: 0x00090101 = same nibble with L0 + LE] */
	{ .name = "write-8-aligned", .ops = { INS(Z2, 0x1000, 8) },
	  .used = 1, .dr = { 0x1000 }, .dr7 = 0x00090602 },
	/* four aligned access watches, one slot each, slots 0..3 in order:
	 * nib 1B RW11 = 0x3, 2B 0x7, 4B 0xF, 8B 0xB.
	 * DR7 = 0x600 | 0xAA | 0x3<<16 | 0x7<<20 | 0xF<<24 | 0xB<<28 */
	{ .name = "access-1-2-4-8-aligned",
	  .ops = { INS(Z4, 0x2000, 1), INS(Z4, 0x2002, 2), INS(Z4, 0x2004, 4), INS(Z4, 0x2008, 8) },
	  .used = 4, .dr = { 0x2000, 0x2002, 0x2004, 0x2008 }, .dr7 = 0xBF7306AA },
	/* Z3 has no x86 encoding of its own: RW=11.  (0x3000,4): nib0 = 0xF */
	{ .name = "read-4-as-readwrite", .ops = { INS(Z3, 0x3000, 4) },
	  .used = 1, .dr = { 0x3000 }, .dr7 = 0x000F0602 },
	/* Z3 (0x3001,1): nib0 = LEN00 RW11 = 0x3 */
	{ .name = "read-1-as-readwrite", .ops = { INS(Z3, 0x3001, 1) },
	  .used = 1, .dr = { 0x3001 }, .dr7 = 0x00030602 },

	/* ---- execution breakpoints: length 1, any address, RW=00 LEN=00 ---- */
	/* DR7 = 0x600 | G0 0x2 = 0x602.  [QEMU Q1 0x602] */
	{ .name = "exec", .ops = { INS(Z1, 0x401000, 1) },
	  .used = 1, .dr = { 0x401000 }, .dr7 = 0x602 },
	/* odd address is fine for execution: 0x602 */
	{ .name = "exec-odd-address", .ops = { INS(Z1, 0x401003, 1) },
	  .used = 1, .dr = { 0x401003 }, .dr7 = 0x602 },
	/* kernel address, unchanged: 0x602 */
	{ .name = "exec-kernel-address", .ops = { INS(Z1, 0xffffffff81000000ull, 1) },
	  .used = 1, .dr = { 0xffffffff81000000ull }, .dr7 = 0x602 },
	/* length 2 / 4 / 0 for an execution breakpoint: INVAL, nothing used */
	{ .name = "exec-bad-length",
	  .ops = { INS_E(Z1, 0x401000, 2, INVAL), INS_E(Z1, 0x401000, 4, INVAL),
		   INS_E(Z1, 0x401000, 0, INVAL) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* four hbreaks: G0..G3 = 0xAA, nibbles 0: 0x6AA; the 5th: NOSPC */
	{ .name = "exec-four-then-nospc",
	  .ops = { INS(Z1, 0x401000, 1), INS(Z1, 0x402000, 1), INS(Z1, 0x403000, 1),
		   INS(Z1, 0x404000, 1), INS_E(Z1, 0x405000, 1, NOSPC) },
	  .used = 4, .dr = { 0x401000, 0x402000, 0x403000, 0x404000 }, .dr7 = 0x6AA },
	/* a full bank still accepts an identical request (shared), and
	 * removing that second reference keeps the slot: 0x6AA, 4 used */
	{ .name = "exec-identical-when-full",
	  .ops = { INS(Z1, 0x401000, 1), INS(Z1, 0x402000, 1), INS(Z1, 0x403000, 1),
		   INS(Z1, 0x404000, 1), INS(Z1, 0x402000, 1), REM(Z1, 0x402000, 1) },
	  .used = 4, .dr = { 0x401000, 0x402000, 0x403000, 0x404000 }, .dr7 = 0x6AA },

	/* ---- unaligned small regions ---- */
	/* 2 at odd 0x1001: 0x1001%2 != 0 -> (0x1001,1)(0x1002,1); nib 0x1, 0x1.
	 * 0x60A | 0x1<<16 | 0x1<<20 */
	{ .name = "write-2-odd", .ops = { INS(Z2, 0x1001, 2) },
	  .used = 2, .dr = { 0x1001, 0x1002 }, .dr7 = 0x0011060A },
	/* Z4 2 at 0x2003: (0x2003,1)(0x2004,1); nib 0x3, 0x3 */
	{ .name = "access-2-odd", .ops = { INS(Z4, 0x2003, 2) },
	  .used = 2, .dr = { 0x2003, 0x2004 }, .dr7 = 0x0033060A },
	/* Z4 4 at 0x2002: (0x2002,2)(0x2004,2); nib 0x7, 0x7.
	 * [gdb X3: 0x00770105, same nibbles] */
	{ .name = "access-4-at-2", .ops = { INS(Z4, 0x2002, 4) },
	  .used = 2, .dr = { 0x2002, 0x2004 }, .dr7 = 0x0077060A },
	/* 8 at 0x1004: (0x1004,4)(0x1008,4); nib 0xD, 0xD */
	{ .name = "write-8-at-4", .ops = { INS(Z2, 0x1004, 8) },
	  .used = 2, .dr = { 0x1004, 0x1008 }, .dr7 = 0x00DD060A },
	/* 2 crossing a page/doubleword at 0x1fff: (0x1fff,1)(0x2000,1) */
	{ .name = "write-2-cross-dword", .ops = { INS(Z2, 0x1fff, 2) },
	  .used = 2, .dr = { 0x1fff, 0x2000 }, .dr7 = 0x0011060A },
	/* 4 crossing a doubleword at 0x1006: (0x1006,2)(0x1008,2); nib 0x5, 0x5 */
	{ .name = "write-4-cross-dword", .ops = { INS(Z2, 0x1006, 4) },
	  .used = 2, .dr = { 0x1006, 0x1008 }, .dr7 = 0x0055060A },

	/* ---- 3 bytes at offsets 0..7 of the doubleword 0x1000, Z2 (RW=01):
	 * write nibbles 1B 0x1, 2B 0x5; two pieces each: low half 0x60A. ---- */
	/* (0x1000,2)(0x1002,1): nib 0x5, 0x1 -> 0x0015060A */
	{ .name = "grid-len3-off0", .ops = { INS(Z2, 0x1000, 3) },
	  .used = 2, .dr = { 0x1000, 0x1002 }, .dr7 = 0x0015060A },
	/* (0x1001,1)(0x1002,2): 0x1, 0x5 -> 0x0051060A */
	{ .name = "grid-len3-off1", .ops = { INS(Z2, 0x1001, 3) },
	  .used = 2, .dr = { 0x1001, 0x1002 }, .dr7 = 0x0051060A },
	/* (0x1002,2)(0x1004,1): 0x5, 0x1 -> 0x0015060A */
	{ .name = "grid-len3-off2", .ops = { INS(Z2, 0x1002, 3) },
	  .used = 2, .dr = { 0x1002, 0x1004 }, .dr7 = 0x0015060A },
	/* (0x1003,1)(0x1004,2): 0x1, 0x5 -> 0x0051060A */
	{ .name = "grid-len3-off3", .ops = { INS(Z2, 0x1003, 3) },
	  .used = 2, .dr = { 0x1003, 0x1004 }, .dr7 = 0x0051060A },
	/* (0x1004,2)(0x1006,1): 0x5, 0x1 -> 0x0015060A */
	{ .name = "grid-len3-off4", .ops = { INS(Z2, 0x1004, 3) },
	  .used = 2, .dr = { 0x1004, 0x1006 }, .dr7 = 0x0015060A },
	/* (0x1005,1)(0x1006,2): 0x1, 0x5 -> 0x0051060A */
	{ .name = "grid-len3-off5", .ops = { INS(Z2, 0x1005, 3) },
	  .used = 2, .dr = { 0x1005, 0x1006 }, .dr7 = 0x0051060A },
	/* crosses: (0x1006,2)(0x1008,1): 0x5, 0x1 -> 0x0015060A */
	{ .name = "grid-len3-off6", .ops = { INS(Z2, 0x1006, 3) },
	  .used = 2, .dr = { 0x1006, 0x1008 }, .dr7 = 0x0015060A },
	/* crosses: (0x1007,1)(0x1008,2): 0x1, 0x5 -> 0x0051060A */
	{ .name = "grid-len3-off7", .ops = { INS(Z2, 0x1007, 3) },
	  .used = 2, .dr = { 0x1007, 0x1008 }, .dr7 = 0x0051060A },

	/* ---- 5 bytes, Z4 (RW=11): nibbles 1B 0x3, 2B 0x7, 4B 0xF ---- */
	/* (0x1000,4)(0x1004,1): 0xF, 0x3 -> 0x003F060A */
	{ .name = "grid-len5-off0", .ops = { INS(Z4, 0x1000, 5) },
	  .used = 2, .dr = { 0x1000, 0x1004 }, .dr7 = 0x003F060A },
	/* (0x1001,1)(0x1002,2)(0x1004,2): 0x3, 0x7, 0x7; 3 slots 0x62A -> 0x0773062A */
	{ .name = "grid-len5-off1", .ops = { INS(Z4, 0x1001, 5) },
	  .used = 3, .dr = { 0x1001, 0x1002, 0x1004 }, .dr7 = 0x0773062A },
	/* (0x1002,2)(0x1004,2)(0x1006,1): 0x7, 0x7, 0x3 -> 0x0377062A */
	{ .name = "grid-len5-off2", .ops = { INS(Z4, 0x1002, 5) },
	  .used = 3, .dr = { 0x1002, 0x1004, 0x1006 }, .dr7 = 0x0377062A },
	/* (0x1003,1)(0x1004,4): 0x3, 0xF -> 0x00F3060A */
	{ .name = "grid-len5-off3", .ops = { INS(Z4, 0x1003, 5) },
	  .used = 2, .dr = { 0x1003, 0x1004 }, .dr7 = 0x00F3060A },
	/* (0x1004,4)(0x1008,1): 0xF, 0x3 -> 0x003F060A */
	{ .name = "grid-len5-off4", .ops = { INS(Z4, 0x1004, 5) },
	  .used = 2, .dr = { 0x1004, 0x1008 }, .dr7 = 0x003F060A },
	/* (0x1005,1)(0x1006,2)(0x1008,2): 0x3, 0x7, 0x7 -> 0x0773062A */
	{ .name = "grid-len5-off5", .ops = { INS(Z4, 0x1005, 5) },
	  .used = 3, .dr = { 0x1005, 0x1006, 0x1008 }, .dr7 = 0x0773062A },
	/* (0x1006,2)(0x1008,2)(0x100a,1): 0x7, 0x7, 0x3 -> 0x0377062A */
	{ .name = "grid-len5-off6", .ops = { INS(Z4, 0x1006, 5) },
	  .used = 3, .dr = { 0x1006, 0x1008, 0x100a }, .dr7 = 0x0377062A },
	/* (0x1007,1)(0x1008,4): 0x3, 0xF -> 0x00F3060A */
	{ .name = "grid-len5-off7", .ops = { INS(Z4, 0x1007, 5) },
	  .used = 2, .dr = { 0x1007, 0x1008 }, .dr7 = 0x00F3060A },

	/* ---- 6 bytes, Z2 (RW=01): nibbles 1B 0x1, 2B 0x5, 4B 0xD ---- */
	/* (0x1000,4)(0x1004,2): 0xD, 0x5 -> 0x005D060A */
	{ .name = "grid-len6-off0", .ops = { INS(Z2, 0x1000, 6) },
	  .used = 2, .dr = { 0x1000, 0x1004 }, .dr7 = 0x005D060A },
	/* (0x1001,1)(0x1002,2)(0x1004,2)(0x1006,1): 0x1 0x5 0x5 0x1, all 4 slots
	 * 0x6AA -> 0x155106AA.  [gdb X1: 0x15510155 = same nibbles, L0-3 + LE] */
	{ .name = "grid-len6-off1", .ops = { INS(Z2, 0x1001, 6) },
	  .used = 4, .dr = { 0x1001, 0x1002, 0x1004, 0x1006 }, .dr7 = 0x155106AA },
	/* (0x1002,2)(0x1004,4): 0x5, 0xD -> 0x00D5060A */
	{ .name = "grid-len6-off2", .ops = { INS(Z2, 0x1002, 6) },
	  .used = 2, .dr = { 0x1002, 0x1004 }, .dr7 = 0x00D5060A },
	/* (0x1003,1)(0x1004,4)(0x1008,1): 0x1, 0xD, 0x1 -> 0x01D1062A */
	{ .name = "grid-len6-off3", .ops = { INS(Z2, 0x1003, 6) },
	  .used = 3, .dr = { 0x1003, 0x1004, 0x1008 }, .dr7 = 0x01D1062A },
	/* (0x1004,4)(0x1008,2): 0xD, 0x5 -> 0x005D060A */
	{ .name = "grid-len6-off4", .ops = { INS(Z2, 0x1004, 6) },
	  .used = 2, .dr = { 0x1004, 0x1008 }, .dr7 = 0x005D060A },
	/* (0x1005,1)(0x1006,2)(0x1008,2)(0x100a,1): 0x1 0x5 0x5 0x1 -> 0x155106AA */
	{ .name = "grid-len6-off5", .ops = { INS(Z2, 0x1005, 6) },
	  .used = 4, .dr = { 0x1005, 0x1006, 0x1008, 0x100a }, .dr7 = 0x155106AA },
	/* (0x1006,2)(0x1008,4): 0x5, 0xD -> 0x00D5060A */
	{ .name = "grid-len6-off6", .ops = { INS(Z2, 0x1006, 6) },
	  .used = 2, .dr = { 0x1006, 0x1008 }, .dr7 = 0x00D5060A },
	/* (0x1007,1)(0x1008,4)(0x100c,1): 0x1, 0xD, 0x1 -> 0x01D1062A */
	{ .name = "grid-len6-off7", .ops = { INS(Z2, 0x1007, 6) },
	  .used = 3, .dr = { 0x1007, 0x1008, 0x100c }, .dr7 = 0x01D1062A },

	/* ---- 7 bytes, Z3 programmed RW=11: 1B 0x3, 2B 0x7, 4B 0xF; 3 pieces ---- */
	/* (0x1000,4)(0x1004,2)(0x1006,1): 0xF 0x7 0x3 -> 0x037F062A */
	{ .name = "grid-len7-off0", .ops = { INS(Z3, 0x1000, 7) },
	  .used = 3, .dr = { 0x1000, 0x1004, 0x1006 }, .dr7 = 0x037F062A },
	/* (0x1001,1)(0x1002,2)(0x1004,4): 0x3 0x7 0xF -> 0x0F73062A */
	{ .name = "grid-len7-off1", .ops = { INS(Z3, 0x1001, 7) },
	  .used = 3, .dr = { 0x1001, 0x1002, 0x1004 }, .dr7 = 0x0F73062A },
	/* (0x1002,2)(0x1004,4)(0x1008,1): 0x7 0xF 0x3 -> 0x03F7062A */
	{ .name = "grid-len7-off2", .ops = { INS(Z3, 0x1002, 7) },
	  .used = 3, .dr = { 0x1002, 0x1004, 0x1008 }, .dr7 = 0x03F7062A },
	/* (0x1003,1)(0x1004,4)(0x1008,2): 0x3 0xF 0x7 -> 0x07F3062A */
	{ .name = "grid-len7-off3", .ops = { INS(Z3, 0x1003, 7) },
	  .used = 3, .dr = { 0x1003, 0x1004, 0x1008 }, .dr7 = 0x07F3062A },
	/* (0x1004,4)(0x1008,2)(0x100a,1): 0xF 0x7 0x3 -> 0x037F062A */
	{ .name = "grid-len7-off4", .ops = { INS(Z3, 0x1004, 7) },
	  .used = 3, .dr = { 0x1004, 0x1008, 0x100a }, .dr7 = 0x037F062A },
	/* (0x1005,1)(0x1006,2)(0x1008,4): 0x3 0x7 0xF -> 0x0F73062A */
	{ .name = "grid-len7-off5", .ops = { INS(Z3, 0x1005, 7) },
	  .used = 3, .dr = { 0x1005, 0x1006, 0x1008 }, .dr7 = 0x0F73062A },
	/* (0x1006,2)(0x1008,4)(0x100c,1): 0x7 0xF 0x3 -> 0x03F7062A */
	{ .name = "grid-len7-off6", .ops = { INS(Z3, 0x1006, 7) },
	  .used = 3, .dr = { 0x1006, 0x1008, 0x100c }, .dr7 = 0x03F7062A },
	/* (0x1007,1)(0x1008,4)(0x100c,2): 0x3 0xF 0x7 -> 0x07F3062A */
	{ .name = "grid-len7-off7", .ops = { INS(Z3, 0x1007, 7) },
	  .used = 3, .dr = { 0x1007, 0x1008, 0x100c }, .dr7 = 0x07F3062A },

	/* ---- longer regions ---- */
	/* 16 aligned: (0x1000,8)(0x1008,8): 0x9, 0x9 -> 0x0099060A */
	{ .name = "write-16-aligned", .ops = { INS(Z2, 0x1000, 16) },
	  .used = 2, .dr = { 0x1000, 0x1008 }, .dr7 = 0x0099060A },
	/* 16 at 0x1008: (0x1008,8)(0x1010,8) -> 0x0099060A */
	{ .name = "write-16-at-8", .ops = { INS(Z2, 0x1008, 16) },
	  .used = 2, .dr = { 0x1008, 0x1010 }, .dr7 = 0x0099060A },
	/* 16 at 0x1004: (0x1004,4)(0x1008,8)(0x1010,4): 0xD 0x9 0xD -> 0x0D9D062A */
	{ .name = "write-16-at-4", .ops = { INS(Z2, 0x1004, 16) },
	  .used = 3, .dr = { 0x1004, 0x1008, 0x1010 }, .dr7 = 0x0D9D062A },
	/* 16 at 0x1001: (0x1001,1)(0x1002,2)(0x1004,4)(0x1008,8)(0x1010,1) = 5: NOSPC */
	{ .name = "write-16-at-1-nospc", .ops = { INS_E(Z2, 0x1001, 16, NOSPC) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* 64 aligned = 8 pieces of 8: NOSPC */
	{ .name = "write-64-nospc", .ops = { INS_E(Z2, 0x4000, 64, NOSPC) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* 64 at 0x4008 = 8 pieces of 8: NOSPC */
	{ .name = "write-64-misaligned-nospc", .ops = { INS_E(Z2, 0x4008, 64, NOSPC) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* 4096 = 512 pieces: NOSPC (aligned and misaligned) */
	{ .name = "access-4096-nospc",
	  .ops = { INS_E(Z4, 0x10000, 4096, NOSPC), INS_E(Z4, 0x10004, 4096, NOSPC) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* 12 aligned: (0x1000,8)(0x1008,4): 0x9, 0xD -> 0x00D9060A */
	{ .name = "write-12", .ops = { INS(Z2, 0x1000, 12) },
	  .used = 2, .dr = { 0x1000, 0x1008 }, .dr7 = 0x00D9060A },
	/* 12 at 0x1002: (0x1002,2)(0x1004,4)(0x1008,4)(0x100c,2): 5 D D 5 -> 0x5DD506AA */
	{ .name = "write-12-at-2", .ops = { INS(Z2, 0x1002, 12) },
	  .used = 4, .dr = { 0x1002, 0x1004, 0x1008, 0x100c }, .dr7 = 0x5DD506AA },
	/* 15 at 0x1001: (0x1001,1)(0x1002,2)(0x1004,4)(0x1008,8): 1 5 D 9 -> 0x9D5106AA */
	{ .name = "write-15-at-1", .ops = { INS(Z2, 0x1001, 15) },
	  .used = 4, .dr = { 0x1001, 0x1002, 0x1004, 0x1008 }, .dr7 = 0x9D5106AA },
	/* 32 aligned = 4 x 8: 9 9 9 9 -> 0x999906AA.  [gdb X7: 32 fits, 33 does not] */
	{ .name = "write-32-aligned", .ops = { INS(Z2, 0x1000, 32) },
	  .used = 4, .dr = { 0x1000, 0x1008, 0x1010, 0x1018 }, .dr7 = 0x999906AA },
	/* 33 = 4 x 8 + 1 = 5 pieces: NOSPC */
	{ .name = "write-33-nospc", .ops = { INS_E(Z2, 0x1000, 33, NOSPC) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },

	/* ---- sharing ---- */
	/* identical requests: one slot, nib 0xD -> 0x000D0602 */
	{ .name = "identical-twice", .ops = { INS(Z2, 0x1000, 4), INS(Z2, 0x1000, 4) },
	  .used = 1, .dr = { 0x1000 }, .dr7 = 0x000D0602 },
	/* removing one of two keeps the slot */
	{ .name = "identical-remove-one",
	  .ops = { INS(Z2, 0x1000, 4), INS(Z2, 0x1000, 4), REM(Z2, 0x1000, 4) },
	  .used = 1, .dr = { 0x1000 }, .dr7 = 0x000D0602 },
	/* removing both frees it: DR7 0, control 0; a third remove is NOENT */
	{ .name = "identical-remove-both",
	  .ops = { INS(Z2, 0x1000, 4), INS(Z2, 0x1000, 4), REM(Z2, 0x1000, 4),
		   REM(Z2, 0x1000, 4), REM_E(Z2, 0x1000, 4, NOENT) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* write x2 shares DR0 (nib 0xD); the access (nib 0xF) needs DR1.
	 * 0x60A | 0xD<<16 | 0xF<<20 = 0x00FD060A.  [gdb X6: 0x00FD0105] */
	{ .name = "write-write-access",
	  .ops = { INS(Z2, 0x1000, 4), INS(Z2, 0x1000, 4), INS(Z4, 0x1000, 4) },
	  .used = 2, .dr = { 0x1000, 0x1000 }, .dr7 = 0x00FD060A },
	/* Z2 3@0x1001 = (0x1001,1)(0x1002,2); Z2 2@0x1002 = (0x1002,2), identical to
	 * slot 1 (same address, nib 0x5): shared.  0x0051060A, 2 used */
	{ .name = "pieces-coincide",
	  .ops = { INS(Z2, 0x1001, 3), INS(Z2, 0x1002, 2) },
	  .used = 2, .dr = { 0x1001, 0x1002 }, .dr7 = 0x0051060A },
	/* then removing the 3-byte request frees slot 0 only; slot 1 stays put:
	 * DR0 = 0, DR1 = 0x1002; DR7 = 0x600 | G1 0x8 | 0x5<<20 = 0x00500608 */
	{ .name = "pieces-coincide-remove-first",
	  .ops = { INS(Z2, 0x1001, 3), INS(Z2, 0x1002, 2), REM(Z2, 0x1001, 3) },
	  .used = 1, .dr = { 0, 0x1002 }, .dr7 = 0x00500608 },
	/* Z3 and Z4 on the same 4 bytes have identical registers on x86
	 * (0x3000, nib 0xF): one shared slot -> 0x000F0602 */
	{ .name = "read-access-share-registers",
	  .ops = { INS(Z3, 0x3000, 4), INS(Z4, 0x3000, 4) },
	  .used = 1, .dr = { 0x3000 }, .dr7 = 0x000F0602 },
	/* removing the read keeps the slot for the access watch */
	{ .name = "read-access-share-remove-one",
	  .ops = { INS(Z3, 0x3000, 4), INS(Z4, 0x3000, 4), REM(Z3, 0x3000, 4) },
	  .used = 1, .dr = { 0x3000 }, .dr7 = 0x000F0602 },
	/* and removing both frees it */
	{ .name = "read-access-share-remove-both",
	  .ops = { INS(Z3, 0x3000, 4), INS(Z4, 0x3000, 4), REM(Z3, 0x3000, 4),
		   REM(Z4, 0x3000, 4) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* all 4 slots used by 6@0x1001; 2@0x1002 = (0x1002,2) shares slot 1, so it
	 * fits although the bank is full: 0x155106AA, 4 used */
	{ .name = "share-when-full",
	  .ops = { INS(Z2, 0x1001, 6), INS(Z2, 0x1002, 2) },
	  .used = 4, .dr = { 0x1001, 0x1002, 0x1004, 0x1006 }, .dr7 = 0x155106AA },
	/* then removing the 6-byte request keeps only slot 1: 0x00500608 */
	{ .name = "share-when-full-remove-big",
	  .ops = { INS(Z2, 0x1001, 6), INS(Z2, 0x1002, 2), REM(Z2, 0x1001, 6) },
	  .used = 1, .dr = { 0, 0x1002 }, .dr7 = 0x00500608 },
	/* execute (nib 0x0) and write 1 byte (nib 0x1) at one address differ:
	 * 0x60A | 0x0<<16 | 0x1<<20 = 0x0010060A */
	{ .name = "exec-and-write-same-address",
	  .ops = { INS(Z1, 0x1000, 1), INS(Z2, 0x1000, 1) },
	  .used = 2, .dr = { 0x1000, 0x1000 }, .dr7 = 0x0010060A },

	/* ---- slot order ---- */
	/* hbreaks in 0,1,2; free 1; 8-byte write takes DR1 (lowest free):
	 * 0x600 | G0 G1 G2 0x2A | 0x9<<20 = 0x0090062A */
	{ .name = "lowest-free-slot-reused",
	  .ops = { INS(Z1, 0x401000, 1), INS(Z1, 0x402000, 1), INS(Z1, 0x403000, 1),
		   REM(Z1, 0x402000, 1), INS(Z2, 0x1000, 8) },
	  .used = 3, .dr = { 0x401000, 0x1000, 0x403000 }, .dr7 = 0x0090062A },
	/* hbreaks in 0..3; free 1 and 3; 4@0x1006 = (0x1006,2)(0x1008,2) fills DR1
	 * then DR3 in ascending order: 0x6AA | 0x5<<20 | 0x5<<28 = 0x505006AA */
	{ .name = "pieces-fill-holes-ascending",
	  .ops = { INS(Z1, 0x401000, 1), INS(Z1, 0x402000, 1), INS(Z1, 0x403000, 1),
		   INS(Z1, 0x404000, 1), REM(Z1, 0x402000, 1), REM(Z1, 0x404000, 1),
		   INS(Z2, 0x1006, 4) },
	  .used = 4, .dr = { 0x401000, 0x1006, 0x403000, 0x1008 }, .dr7 = 0x505006AA },
	/* one bank for both kinds: hbreak DR0, 8-byte write DR1:
	 * 0x60A | 0x9<<20 = 0x0090060A.  [QEMU Q2: 0x0090060A] */
	{ .name = "break-and-watch-share-bank",
	  .ops = { INS(Z1, 0xffffffff81000000ull, 1), INS(Z2, 0x1000, 8) },
	  .used = 2, .dr = { 0xffffffff81000000ull, 0x1000 }, .dr7 = 0x0090060A },

	/* ---- exhaustion: all or nothing ---- */
	/* 2 hbreaks, then 6@0x1001 needs 4 pieces with 2 free: NOSPC, DR7 stays 0x60A */
	{ .name = "two-hbreaks-then-6-at-1-nospc",
	  .ops = { INS(Z1, 0x401000, 1), INS(Z1, 0x402000, 1), INS_E(Z2, 0x1001, 6, NOSPC) },
	  .used = 2, .dr = { 0x401000, 0x402000 }, .dr7 = 0x60A },
	/* 8@0x1000 (DR0 nib 9), 3@0x2001 = (0x2001,1)(0x2002,2) (DR1 1, DR2 5);
	 * Z4 2@0x3001 = (0x3001,1)(0x3002,1) has one slot for two pieces: NOSPC,
	 * nothing half-installed: 0x62A | 9<<16 | 1<<20 | 5<<24 = 0x0519062A */
	{ .name = "partial-fit-unchanged",
	  .ops = { INS(Z2, 0x1000, 8), INS(Z2, 0x2001, 3), INS_E(Z4, 0x3001, 2, NOSPC) },
	  .used = 3, .dr = { 0x1000, 0x2001, 0x2002 }, .dr7 = 0x0519062A },
	/* ... and the slot the failed insert did not keep is still free:
	 * (0x3000,1) write in DR3 -> 0x6AA | 0x1519 << 16 = 0x151906AA */
	{ .name = "partial-fit-slot-still-free",
	  .ops = { INS(Z2, 0x1000, 8), INS(Z2, 0x2001, 3), INS_E(Z4, 0x3001, 2, NOSPC),
		   INS(Z2, 0x3000, 1) },
	  .used = 4, .dr = { 0x1000, 0x2001, 0x2002, 0x3000 }, .dr7 = 0x151906AA },
	/* 2 hbreaks; Z3 7@0x1000 needs 3 pieces: NOSPC */
	{ .name = "two-hbreaks-then-7-nospc",
	  .ops = { INS(Z1, 0x401000, 1), INS(Z1, 0x402000, 1), INS_E(Z3, 0x1000, 7, NOSPC) },
	  .used = 2, .dr = { 0x401000, 0x402000 }, .dr7 = 0x60A },
	/* 1 hbreak; 6@0x1005 needs 4 pieces, 3 free: NOSPC; 0x602 */
	{ .name = "hbreak-then-6-at-5-nospc",
	  .ops = { INS(Z1, 0x401000, 1), INS_E(Z2, 0x1005, 6, NOSPC) },
	  .used = 1, .dr = { 0x401000 }, .dr7 = 0x602 },

	/* ---- refused requests ---- */
	{ .name = "remove-never-inserted",
	  .ops = { REM_E(Z2, 0x1000, 4, NOENT), REM_E(Z1, 0x401000, 1, NOENT) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* only (Z2,0x1000,4) exists: other kind/addr/len are NOENT, state 0x000D0602 */
	{ .name = "remove-mismatch-noent",
	  .ops = { INS(Z2, 0x1000, 4), REM_E(Z2, 0x1000, 2, NOENT), REM_E(Z4, 0x1000, 4, NOENT),
		   REM_E(Z3, 0x1000, 4, NOENT), REM_E(Z2, 0x1004, 4, NOENT),
		   REM_E(Z1, 0x1000, 1, NOENT) },
	  .used = 1, .dr = { 0x1000 }, .dr7 = 0x000D0602 },
	/* a request equal to a piece of another request was never inserted */
	{ .name = "remove-piece-not-request",
	  .ops = { INS(Z2, 0x1001, 3), REM_E(Z2, 0x1002, 2, NOENT) },
	  .used = 2, .dr = { 0x1001, 0x1002 }, .dr7 = 0x0051060A },
	{ .name = "zero-length-inval",
	  .ops = { INS_E(Z2, 0x1000, 0, INVAL), INS_E(Z3, 0x1000, 0, INVAL),
		   INS_E(Z4, 0x1000, 0, INVAL) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* address + length wraps past 2^64 */
	{ .name = "overflow-inval",
	  .ops = { INS_E(Z2, 0xffffffffffffffffull, 2, INVAL),
		   INS_E(Z4, 0xfffffffffffffff0ull, 0x20, INVAL) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* a refused request next to a live one changes nothing: 0x000D0602 */
	{ .name = "inval-keeps-state",
	  .ops = { INS(Z2, 0x1000, 4), INS_E(Z2, 0x2000, 0, INVAL), INS_E(Z1, 0x2000, 2, INVAL) },
	  .used = 1, .dr = { 0x1000 }, .dr7 = 0x000D0602 },

	/* ---- clear and remove-all ---- */
	{ .name = "clear",
	  .ops = { INS(Z1, 0x401000, 1), INS(Z2, 0x1001, 3), CLEAR },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* after clear a new request starts again at DR0: (0x5000,2) nib 5 */
	{ .name = "clear-then-reuse",
	  .ops = { INS(Z1, 0x401000, 1), INS(Z2, 0x1001, 3), CLEAR, INS(Z2, 0x5000, 2) },
	  .used = 1, .dr = { 0x5000 }, .dr7 = 0x00050602 },
	/* clear forgets requests: removing one afterwards is NOENT */
	{ .name = "clear-then-remove-noent",
	  .ops = { INS(Z2, 0x1000, 4), CLEAR, REM_E(Z2, 0x1000, 4, NOENT) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
	/* everything removed: DR7 back to 0 (no GE/bit 10 either), control 0 */
	{ .name = "remove-all",
	  .ops = { INS(Z1, 0x401000, 1), INS(Z4, 0x2002, 4), INS(Z3, 0x3000, 1),
		   REM(Z4, 0x2002, 4), REM(Z1, 0x401000, 1), REM(Z3, 0x3000, 1) },
	  .used = 0, .dr = { 0 }, .dr7 = 0 },
};

static void check_x86_regs(const char *name, const struct hwslots *hs, unsigned used,
			   const uint64_t dr[4], uint64_t dr7)
{
	struct vmdbg_guest_debug g;

	CHECK(hwslots_used(hs) == used, "%s: hwslots_used = %u, expected %u", name,
	      hwslots_used(hs), used);
	get_debug(hs, &g);
	CHECK(g.arch == VMDBG_ARCH_X86_64, "%s: guest_debug arch = %u, expected %u", name,
	      g.arch, (unsigned)VMDBG_ARCH_X86_64);
	CHECK(g.control == (used ? CTRL_ON : 0u), "%s: control = 0x%x, expected 0x%x", name,
	      g.control, used ? CTRL_ON : 0u);
	for (unsigned i = 0; i < 4; i++)
		CHECK(g.regs.x86.debugreg[i] == dr[i],
		      "%s: DR%u = 0x%" G_GINT64_MODIFIER "x, expected 0x%" G_GINT64_MODIFIER "x",
		      name, i, g.regs.x86.debugreg[i], dr[i]);
	for (unsigned i = 4; i < 7; i++)
		CHECK(g.regs.x86.debugreg[i] == 0,
		      "%s: debugreg[%u] = 0x%" G_GINT64_MODIFIER "x, expected 0", name, i,
		      g.regs.x86.debugreg[i]);
	CHECK(g.regs.x86.debugreg[7] == dr7,
	      "%s: DR7 = 0x%08" G_GINT64_MODIFIER "x, expected 0x%08" G_GINT64_MODIFIER "x",
	      name, g.regs.x86.debugreg[7], dr7);
}

static void test_x86_case(gconstpointer data)
{
	const struct x86_case *c = data;
	struct hwslots *hs = hwslots_new(VMDBG_ARCH_X86_64, 4, 4, true);
	static const uint64_t zero[4];

	g_assert_nonnull(hs);
	/* a table entry is consistent: DR7 is 0 exactly when nothing is used */
	g_assert_true((c->dr7 == 0) == (c->used == 0));
	run_ops(hs, c->name, c->ops);
	check_x86_regs(c->name, hs, c->used, c->dr, c->dr7);

	/* hwslots_clear empties everything, whatever the state */
	hwslots_clear(hs);
	check_x86_regs(c->name, hs, 0, zero, 0);
	hwslots_free(hs);
}

/* ---- AArch64 cases --------------------------------------------------------
 * Notation: [n] = slot n of the bank; "wcr@wvr".  Unlisted entries are 0.
 */
struct a64_case {
	const char *name;
	unsigned bps, wps;
	struct op ops[MAX_OPS];
	unsigned used;
	uint64_t bcr[VMDBG_MAX_DBG_REGS], bvr[VMDBG_MAX_DBG_REGS];
	uint64_t wcr[VMDBG_MAX_DBG_REGS], wvr[VMDBG_MAX_DBG_REGS];
};

#define STD .bps = 6, .wps = 4
#define BCR 0x1E7u   /* E 0x1 | PMC=0b11 0x6 | BAS=0b1111 << 5 = 0x1E0 */

static const struct a64_case a64_cases[] = {
	/* ---- breakpoints ---- */
	/* [QEMU QA1: BCR 0x1E7, BVR unchanged] */
	{ .name = "exec", STD, .ops = { INS(Z1, 0x400000, 4) },
	  .used = 1, .bcr = { BCR }, .bvr = { 0x400000 } },
	/* kernel address (bit 52 set, bits 63:53 already ones): unchanged */
	{ .name = "exec-kernel-address", STD, .ops = { INS(Z1, 0xffff800010001000ull, 4) },
	  .used = 1, .bcr = { BCR }, .bvr = { 0xffff800010001000ull } },
	/* 0x00ff800010001000: bit 52 = 1 (0x00ff8... bits 55:48 = 0xff), so bits
	 * 63:53 become ones: (addr & (2^53-1)) = 0x001f800010001000 |
	 * 0xffe0000000000000 = 0xffff800010001000 */
	{ .name = "exec-sign-extended", STD, .ops = { INS(Z1, 0x00ff800010001000ull, 4) },
	  .used = 1, .bcr = { BCR }, .bvr = { 0xffff800010001000ull } },
	/* both spellings give identical registers: one shared slot */
	{ .name = "exec-sign-extended-shares", STD,
	  .ops = { INS(Z1, 0x00ff800010001000ull, 4), INS(Z1, 0xffff800010001000ull, 4) },
	  .used = 1, .bcr = { BCR }, .bvr = { 0xffff800010001000ull } },
	/* not 4-byte aligned, or length other than 4: INVAL */
	{ .name = "exec-invalid", STD,
	  .ops = { INS_E(Z1, 0x1002, 4, INVAL), INS_E(Z1, 0x1001, 4, INVAL),
		   INS_E(Z1, 0x1000, 2, INVAL), INS_E(Z1, 0x1000, 0, INVAL) },
	  .used = 0 },
	/* 6 breakpoint slots fill in order; a 7th is NOSPC; the watch bank is
	 * separate: 8@0x1000 = BAS 0xFF -> 0x17 | 0x1FE0 = 0x1FF7 in wcr[0] */
	{ .name = "exec-six-then-nospc-watch-fits", STD,
	  .ops = { INS(Z1, 0x400000, 4), INS(Z1, 0x400004, 4), INS(Z1, 0x400008, 4),
		   INS(Z1, 0x40000c, 4), INS(Z1, 0x400010, 4), INS(Z1, 0x400014, 4),
		   INS_E(Z1, 0x400018, 4, NOSPC), INS(Z2, 0x1000, 8) },
	  .used = 7, .bcr = { BCR, BCR, BCR, BCR, BCR, BCR },
	  .bvr = { 0x400000, 0x400004, 0x400008, 0x40000c, 0x400010, 0x400014 },
	  .wcr = { 0x1FF7 }, .wvr = { 0x1000 } },
	/* identical breakpoints share; removing one keeps the slot */
	{ .name = "exec-identical", STD,
	  .ops = { INS(Z1, 0x400000, 4), INS(Z1, 0x400000, 4), REM(Z1, 0x400000, 4) },
	  .used = 1, .bcr = { BCR }, .bvr = { 0x400000 } },
	/* 16/16: 16 breakpoints, bcr[0..15]; the 17th is NOSPC */
	{ .name = "exec-16-slots", .bps = 16, .wps = 16,
	  .ops = { INS(Z1, 0x400000, 4), INS(Z1, 0x400004, 4), INS(Z1, 0x400008, 4),
		   INS(Z1, 0x40000c, 4), INS(Z1, 0x400010, 4), INS(Z1, 0x400014, 4),
		   INS(Z1, 0x400018, 4), INS(Z1, 0x40001c, 4), INS(Z1, 0x400020, 4),
		   INS(Z1, 0x400024, 4), INS(Z1, 0x400028, 4), INS(Z1, 0x40002c, 4),
		   INS(Z1, 0x400030, 4), INS(Z1, 0x400034, 4), INS(Z1, 0x400038, 4),
		   INS(Z1, 0x40003c, 4), INS_E(Z1, 0x400040, 4, NOSPC) },
	  .used = 16,
	  .bcr = { BCR, BCR, BCR, BCR, BCR, BCR, BCR, BCR, BCR, BCR, BCR, BCR, BCR, BCR, BCR, BCR },
	  .bvr = { 0x400000, 0x400004, 0x400008, 0x40000c, 0x400010, 0x400014, 0x400018, 0x40001c,
		   0x400020, 0x400024, 0x400028, 0x40002c, 0x400030, 0x400034, 0x400038, 0x40003c } },
	/* 2/2: 3rd breakpoint NOSPC; Z2 4@0x1006 = [0x1000 BAS 0xC0][0x1008 BAS 0x03]
	 * = 0x17|0x1800 = 0x1817 @0x1000, 0x17|0x60 = 0x77 @0x1008 fills both watch
	 * slots; then Z2 1@0x2000 is NOSPC.  [gdb A3: 0x1815/0x75, PAC 10] */
	{ .name = "two-two-slots", .bps = 2, .wps = 2,
	  .ops = { INS(Z1, 0x400000, 4), INS(Z1, 0x400004, 4), INS_E(Z1, 0x400008, 4, NOSPC),
		   INS(Z2, 0x1006, 4), INS_E(Z2, 0x2000, 1, NOSPC) },
	  .used = 4, .bcr = { BCR, BCR }, .bvr = { 0x400000, 0x400004 },
	  .wcr = { 0x1817, 0x77 }, .wvr = { 0x1000, 0x1008 } },

	/* ---- aligned watches ---- */
	/* 1@0x1000: BAS 0x01 -> 0x17 | 0x20 = 0x37 */
	{ .name = "write-1-aligned", STD, .ops = { INS(Z2, 0x1000, 1) },
	  .used = 1, .wcr = { 0x37 }, .wvr = { 0x1000 } },
	/* 2@0x1000: BAS 0x03 -> 0x17 | 0x60 = 0x77 */
	{ .name = "write-2-aligned", STD, .ops = { INS(Z2, 0x1000, 2) },
	  .used = 1, .wcr = { 0x77 }, .wvr = { 0x1000 } },
	/* 4@0x1000: BAS 0x0F -> 0x17 | 0x1E0 = 0x1F7.  [QEMU QA2 0x1F7; gdb A1 0x1F5] */
	{ .name = "write-4-aligned", STD, .ops = { INS(Z2, 0x1000, 4) },
	  .used = 1, .wcr = { 0x1F7 }, .wvr = { 0x1000 } },
	/* 8@0x1000: BAS 0xFF, MASK 0 -> 0x17 | 0x1FE0 = 0x1FF7 */
	{ .name = "write-8-aligned", STD, .ops = { INS(Z2, 0x1000, 8) },
	  .used = 1, .wcr = { 0x1FF7 }, .wvr = { 0x1000 } },
	/* Z4 (base 0x1F): 1@0x2000 BAS 0x01 -> 0x3F; 2@0x2002 BAS 0x0C -> 0x180|0x1F
	 * = 0x19F; 4@0x2004 BAS 0xF0 -> 0x1E00|0x1F = 0x1E1F; 8@0x2008 -> 0x1FFF */
	{ .name = "access-1-2-4-8-aligned", STD,
	  .ops = { INS(Z4, 0x2000, 1), INS(Z4, 0x2002, 2), INS(Z4, 0x2004, 4), INS(Z4, 0x2008, 8) },
	  .used = 4, .wcr = { 0x3F, 0x19F, 0x1E1F, 0x1FFF },
	  .wvr = { 0x2000, 0x2000, 0x2000, 0x2008 } },
	/* Z3 (base 0x0F) 8@0x3000: 0x0F | 0x1FE0 = 0x1FEF */
	{ .name = "read-8-aligned", STD, .ops = { INS(Z3, 0x3000, 8) },
	  .used = 1, .wcr = { 0x1FEF }, .wvr = { 0x3000 } },
	/* 2@0x1003: BAS 0x03<<3 = 0x18 -> 0x300 | 0x17 = 0x317 @0x1000.
	 * [gdb A2: 0x315 = ours - 2 (PAC 10)] */
	{ .name = "write-2-odd", STD, .ops = { INS(Z2, 0x1003, 2) },
	  .used = 1, .wcr = { 0x317 }, .wvr = { 0x1000 } },
	/* Z3 2@0x1007 crosses: [0x1000 BAS 0x80 -> 0x1000|0x0F = 0x100F]
	 * [0x1008 BAS 0x01 -> 0x20|0x0F = 0x2F] */
	{ .name = "read-2-cross-dword", STD, .ops = { INS(Z3, 0x1007, 2) },
	  .used = 2, .wcr = { 0x100F, 0x2F }, .wvr = { 0x1000, 0x1008 } },
	/* Z3 1@0x2007: BAS 0x80 -> 0x100F @0x2000.  [gdb A6: 0x100D] */
	{ .name = "read-1-top-byte", STD, .ops = { INS(Z3, 0x2007, 1) },
	  .used = 1, .wcr = { 0x100F }, .wvr = { 0x2000 } },
	/* Z4 3@0x3000: BAS 0x07 -> 0xE0 | 0x1F = 0xFF.  [gdb A7: 0xFD] */
	{ .name = "access-3-aligned", STD, .ops = { INS(Z4, 0x3000, 3) },
	  .used = 1, .wcr = { 0xFF }, .wvr = { 0x3000 } },

	/* ---- 3 bytes at offsets 0..7 of 0x1000, Z2 (base 0x17) ---- */
	/* BAS 0x07 -> 0xE0: 0xF7 */
	{ .name = "grid-len3-off0", STD, .ops = { INS(Z2, 0x1000, 3) },
	  .used = 1, .wcr = { 0xF7 }, .wvr = { 0x1000 } },
	/* BAS 0x0E -> 0x1C0: 0x1D7 */
	{ .name = "grid-len3-off1", STD, .ops = { INS(Z2, 0x1001, 3) },
	  .used = 1, .wcr = { 0x1D7 }, .wvr = { 0x1000 } },
	/* BAS 0x1C -> 0x380: 0x397 */
	{ .name = "grid-len3-off2", STD, .ops = { INS(Z2, 0x1002, 3) },
	  .used = 1, .wcr = { 0x397 }, .wvr = { 0x1000 } },
	/* BAS 0x38 -> 0x700: 0x717 */
	{ .name = "grid-len3-off3", STD, .ops = { INS(Z2, 0x1003, 3) },
	  .used = 1, .wcr = { 0x717 }, .wvr = { 0x1000 } },
	/* BAS 0x70 -> 0xE00: 0xE17 */
	{ .name = "grid-len3-off4", STD, .ops = { INS(Z2, 0x1004, 3) },
	  .used = 1, .wcr = { 0xE17 }, .wvr = { 0x1000 } },
	/* BAS 0xE0 -> 0x1C00: 0x1C17 */
	{ .name = "grid-len3-off5", STD, .ops = { INS(Z2, 0x1005, 3) },
	  .used = 1, .wcr = { 0x1C17 }, .wvr = { 0x1000 } },
	/* 6+3 > 8: [0x1000 BAS 0xC0 -> 0x1800: 0x1817][0x1008 BAS 0x01 -> 0x37] */
	{ .name = "grid-len3-off6", STD, .ops = { INS(Z2, 0x1006, 3) },
	  .used = 2, .wcr = { 0x1817, 0x37 }, .wvr = { 0x1000, 0x1008 } },
	/* [0x1000 BAS 0x80 -> 0x1000: 0x1017][0x1008 BAS 0x03 -> 0x77] */
	{ .name = "grid-len3-off7", STD, .ops = { INS(Z2, 0x1007, 3) },
	  .used = 2, .wcr = { 0x1017, 0x77 }, .wvr = { 0x1000, 0x1008 } },

	/* ---- 5 bytes, Z3 (base 0x0F) ---- */
	/* BAS 0x1F -> 0x3E0: 0x3EF */
	{ .name = "grid-len5-off0", STD, .ops = { INS(Z3, 0x1000, 5) },
	  .used = 1, .wcr = { 0x3EF }, .wvr = { 0x1000 } },
	/* BAS 0x3E -> 0x7C0: 0x7CF */
	{ .name = "grid-len5-off1", STD, .ops = { INS(Z3, 0x1001, 5) },
	  .used = 1, .wcr = { 0x7CF }, .wvr = { 0x1000 } },
	/* BAS 0x7C -> 0xF80: 0xF8F */
	{ .name = "grid-len5-off2", STD, .ops = { INS(Z3, 0x1002, 5) },
	  .used = 1, .wcr = { 0xF8F }, .wvr = { 0x1000 } },
	/* BAS 0xF8 -> 0x1F00: 0x1F0F */
	{ .name = "grid-len5-off3", STD, .ops = { INS(Z3, 0x1003, 5) },
	  .used = 1, .wcr = { 0x1F0F }, .wvr = { 0x1000 } },
	/* [BAS 0xF0 -> 0x1E00: 0x1E0F][0x1008 BAS 0x01: 0x2F] */
	{ .name = "grid-len5-off4", STD, .ops = { INS(Z3, 0x1004, 5) },
	  .used = 2, .wcr = { 0x1E0F, 0x2F }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0xE0 -> 0x1C00: 0x1C0F][BAS 0x03 -> 0x60: 0x6F] */
	{ .name = "grid-len5-off5", STD, .ops = { INS(Z3, 0x1005, 5) },
	  .used = 2, .wcr = { 0x1C0F, 0x6F }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0xC0 -> 0x1800: 0x180F][BAS 0x07 -> 0xE0: 0xEF] */
	{ .name = "grid-len5-off6", STD, .ops = { INS(Z3, 0x1006, 5) },
	  .used = 2, .wcr = { 0x180F, 0xEF }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0x80 -> 0x1000: 0x100F][BAS 0x0F -> 0x1E0: 0x1EF] */
	{ .name = "grid-len5-off7", STD, .ops = { INS(Z3, 0x1007, 5) },
	  .used = 2, .wcr = { 0x100F, 0x1EF }, .wvr = { 0x1000, 0x1008 } },

	/* ---- 6 bytes, Z4 (base 0x1F) ---- */
	/* BAS 0x3F -> 0x7E0: 0x7FF */
	{ .name = "grid-len6-off0", STD, .ops = { INS(Z4, 0x1000, 6) },
	  .used = 1, .wcr = { 0x7FF }, .wvr = { 0x1000 } },
	/* BAS 0x7E -> 0xFC0: 0xFDF */
	{ .name = "grid-len6-off1", STD, .ops = { INS(Z4, 0x1001, 6) },
	  .used = 1, .wcr = { 0xFDF }, .wvr = { 0x1000 } },
	/* BAS 0xFC -> 0x1F80: 0x1F9F */
	{ .name = "grid-len6-off2", STD, .ops = { INS(Z4, 0x1002, 6) },
	  .used = 1, .wcr = { 0x1F9F }, .wvr = { 0x1000 } },
	/* [BAS 0xF8 -> 0x1F00: 0x1F1F][BAS 0x01: 0x3F] */
	{ .name = "grid-len6-off3", STD, .ops = { INS(Z4, 0x1003, 6) },
	  .used = 2, .wcr = { 0x1F1F, 0x3F }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0xF0 -> 0x1E00: 0x1E1F][BAS 0x03: 0x7F] */
	{ .name = "grid-len6-off4", STD, .ops = { INS(Z4, 0x1004, 6) },
	  .used = 2, .wcr = { 0x1E1F, 0x7F }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0xE0 -> 0x1C00: 0x1C1F][BAS 0x07 -> 0xE0: 0xFF] */
	{ .name = "grid-len6-off5", STD, .ops = { INS(Z4, 0x1005, 6) },
	  .used = 2, .wcr = { 0x1C1F, 0xFF }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0xC0 -> 0x1800: 0x181F][BAS 0x0F -> 0x1E0: 0x1FF] */
	{ .name = "grid-len6-off6", STD, .ops = { INS(Z4, 0x1006, 6) },
	  .used = 2, .wcr = { 0x181F, 0x1FF }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0x80 -> 0x1000: 0x101F][BAS 0x1F -> 0x3E0: 0x3FF] */
	{ .name = "grid-len6-off7", STD, .ops = { INS(Z4, 0x1007, 6) },
	  .used = 2, .wcr = { 0x101F, 0x3FF }, .wvr = { 0x1000, 0x1008 } },

	/* ---- 7 bytes, Z2 (base 0x17) ---- */
	/* BAS 0x7F -> 0xFE0: 0xFF7 */
	{ .name = "grid-len7-off0", STD, .ops = { INS(Z2, 0x1000, 7) },
	  .used = 1, .wcr = { 0xFF7 }, .wvr = { 0x1000 } },
	/* BAS 0xFE -> 0x1FC0: 0x1FD7 */
	{ .name = "grid-len7-off1", STD, .ops = { INS(Z2, 0x1001, 7) },
	  .used = 1, .wcr = { 0x1FD7 }, .wvr = { 0x1000 } },
	/* [BAS 0xFC -> 0x1F80: 0x1F97][BAS 0x01: 0x37] */
	{ .name = "grid-len7-off2", STD, .ops = { INS(Z2, 0x1002, 7) },
	  .used = 2, .wcr = { 0x1F97, 0x37 }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0xF8 -> 0x1F00: 0x1F17][BAS 0x03: 0x77] */
	{ .name = "grid-len7-off3", STD, .ops = { INS(Z2, 0x1003, 7) },
	  .used = 2, .wcr = { 0x1F17, 0x77 }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0xF0 -> 0x1E00: 0x1E17][BAS 0x07: 0xF7] */
	{ .name = "grid-len7-off4", STD, .ops = { INS(Z2, 0x1004, 7) },
	  .used = 2, .wcr = { 0x1E17, 0xF7 }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0xE0 -> 0x1C00: 0x1C17][BAS 0x0F: 0x1F7] */
	{ .name = "grid-len7-off5", STD, .ops = { INS(Z2, 0x1005, 7) },
	  .used = 2, .wcr = { 0x1C17, 0x1F7 }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0xC0 -> 0x1800: 0x1817][BAS 0x1F -> 0x3E0: 0x3F7] */
	{ .name = "grid-len7-off6", STD, .ops = { INS(Z2, 0x1006, 7) },
	  .used = 2, .wcr = { 0x1817, 0x3F7 }, .wvr = { 0x1000, 0x1008 } },
	/* [BAS 0x80 -> 0x1000: 0x1017][BAS 0x3F -> 0x7E0: 0x7F7] */
	{ .name = "grid-len7-off7", STD, .ops = { INS(Z2, 0x1007, 7) },
	  .used = 2, .wcr = { 0x1017, 0x7F7 }, .wvr = { 0x1000, 0x1008 } },

	/* ---- power-of-two ranges: MASK ---- */
	/* 16@0x1000, aligned: MASK 4 -> 4<<24 | 0x1FE0 | 0x17 = 0x04001FF7 */
	{ .name = "write-16-mask", STD, .ops = { INS(Z2, 0x1000, 16) },
	  .used = 1, .wcr = { 0x04001FF7 }, .wvr = { 0x1000 } },
	/* 64@0x4000: MASK 6 -> 0x06001FF7.  [QEMU QA5: 0x06001FF7] */
	{ .name = "write-64-mask", STD, .ops = { INS(Z2, 0x4000, 64) },
	  .used = 1, .wcr = { 0x06001FF7 }, .wvr = { 0x4000 } },
	/* Z4 4096@0x10000: MASK 12 -> 0x0C000000 | 0x1FE0 | 0x1F = 0x0C001FFF */
	{ .name = "access-4096-mask", STD, .ops = { INS(Z4, 0x10000, 4096) },
	  .used = 1, .wcr = { 0x0C001FFF }, .wvr = { 0x10000 } },
	/* 32@0x1020: MASK 5 -> 0x05001FF7 */
	{ .name = "write-32-mask", STD, .ops = { INS(Z2, 0x1020, 32) },
	  .used = 1, .wcr = { 0x05001FF7 }, .wvr = { 0x1020 } },
	/* Z3 2 GiB @0x80000000: MASK 31 -> 0x1F000000 | 0x1FE0 | 0x0F = 0x1F001FEF */
	{ .name = "read-2g-mask", STD, .ops = { INS(Z3, 0x80000000ull, 0x80000000ull) },
	  .used = 1, .wcr = { 0x1F001FEF }, .wvr = { 0x80000000ull } },
	/* 4 GiB @0x100000000: largest block is 2 GiB -> two MASK 31 pieces */
	{ .name = "write-4g-two-masks", STD, .ops = { INS(Z2, 0x100000000ull, 0x100000000ull) },
	  .used = 2, .wcr = { 0x1F001FF7, 0x1F001FF7 },
	  .wvr = { 0x100000000ull, 0x180000000ull } },
	/* 16@0x1008 (not 16-aligned): two whole doublewords, BAS 0xFF MASK 0:
	 * 0x1FF7 @0x1008, 0x1FF7 @0x1010 */
	{ .name = "write-16-at-8", STD, .ops = { INS(Z2, 0x1008, 16) },
	  .used = 2, .wcr = { 0x1FF7, 0x1FF7 }, .wvr = { 0x1008, 0x1010 } },
	/* 16@0x1004: [0x1000 BAS 0xF0: 0x1E17][0x1008 0x1FF7][0x1010 BAS 0x0F: 0x1F7] */
	{ .name = "write-16-at-4", STD, .ops = { INS(Z2, 0x1004, 16) },
	  .used = 3, .wcr = { 0x1E17, 0x1FF7, 0x1F7 }, .wvr = { 0x1000, 0x1008, 0x1010 } },
	/* 16@0x1001: [0x1000 BAS 0xFE: 0x1FD7][0x1008 0x1FF7][0x1010 BAS 0x01: 0x37].
	 * [gdb A4: 0x1FD5, 0x1FF5, 0x35] */
	{ .name = "write-16-at-1", STD, .ops = { INS(Z2, 0x1001, 16) },
	  .used = 3, .wcr = { 0x1FD7, 0x1FF7, 0x37 }, .wvr = { 0x1000, 0x1008, 0x1010 } },
	/* 64@0x4008 = [0x4008,0x4048): 8@0x4008 (0x1FF7), 16@0x4010 (MASK 4:
	 * 0x04001FF7), 32@0x4020 (MASK 5: 0x05001FF7), 8@0x4040 (0x1FF7): 4 pieces */
	{ .name = "write-64-at-8", STD, .ops = { INS(Z2, 0x4008, 64) },
	  .used = 4, .wcr = { 0x1FF7, 0x04001FF7, 0x05001FF7, 0x1FF7 },
	  .wvr = { 0x4008, 0x4010, 0x4020, 0x4040 } },
	/* 64@0x4004 = [0x4004,0x4044): BAS 0xF0 @0x4000, 8, 16, 32, BAS 0x0F @0x4040
	 * = 5 pieces, 4 slots: NOSPC */
	{ .name = "write-64-at-4-nospc", STD, .ops = { INS_E(Z2, 0x4004, 64, NOSPC) },
	  .used = 0 },
	/* the same with 16/16: 0x1E17@0x4000, 0x1FF7@0x4008, 0x04001FF7@0x4010,
	 * 0x05001FF7@0x4020, 0x17|0x1E0 = 0x1F7@0x4040 */
	{ .name = "write-64-at-4-16-slots", .bps = 16, .wps = 16, .ops = { INS(Z2, 0x4004, 64) },
	  .used = 5, .wcr = { 0x1E17, 0x1FF7, 0x04001FF7, 0x05001FF7, 0x1F7 },
	  .wvr = { 0x4000, 0x4008, 0x4010, 0x4020, 0x4040 } },
	/* 4096@0x10800 = [0x10800,0x11800): 2048@0x10800 (0x10800 = 33*2048, not
	 * 4096-aligned) + 2048@0x11000: MASK 11 -> 0x0B001FF7 twice */
	{ .name = "write-4096-at-2k", STD, .ops = { INS(Z2, 0x10800, 4096) },
	  .used = 2, .wcr = { 0x0B001FF7, 0x0B001FF7 }, .wvr = { 0x10800, 0x11000 } },
	/* 4096@0x10008 = 8+16+32+64+128+256+512+1024+2048+8 = 10 pieces: NOSPC */
	{ .name = "write-4096-at-8-nospc", STD, .ops = { INS_E(Z2, 0x10008, 4096, NOSPC) },
	  .used = 0 },
	/* the same with 16/16: MASK 0 (BAS 0xFF), 4, 5, ..., 11, then MASK 0 */
	{ .name = "write-4096-at-8-16-slots", .bps = 16, .wps = 16,
	  .ops = { INS(Z2, 0x10008, 4096) },
	  .used = 10,
	  .wcr = { 0x1FF7, 0x04001FF7, 0x05001FF7, 0x06001FF7, 0x07001FF7, 0x08001FF7,
		   0x09001FF7, 0x0A001FF7, 0x0B001FF7, 0x1FF7 },
	  .wvr = { 0x10008, 0x10010, 0x10020, 0x10040, 0x10080, 0x10100, 0x10200, 0x10400,
		   0x10800, 0x11000 } },
	/* 12@0x1000: [0x1000 0x1FF7][0x1008 BAS 0x0F: 0x1F7] */
	{ .name = "write-12", STD, .ops = { INS(Z2, 0x1000, 12) },
	  .used = 2, .wcr = { 0x1FF7, 0x1F7 }, .wvr = { 0x1000, 0x1008 } },
	/* 12@0x1004: [0x1000 BAS 0xF0: 0x1E17][0x1008 0x1FF7] */
	{ .name = "write-12-at-4", STD, .ops = { INS(Z2, 0x1004, 12) },
	  .used = 2, .wcr = { 0x1E17, 0x1FF7 }, .wvr = { 0x1000, 0x1008 } },
	/* 24@0x1008 = [0x1008,0x1020): 8@0x1008 (0x1FF7) + 16@0x1010 (0x04001FF7) */
	{ .name = "write-24-at-8", STD, .ops = { INS(Z2, 0x1008, 24) },
	  .used = 2, .wcr = { 0x1FF7, 0x04001FF7 }, .wvr = { 0x1008, 0x1010 } },

	/* ---- sharing ---- */
	{ .name = "identical-twice", STD, .ops = { INS(Z2, 0x1000, 4), INS(Z2, 0x1000, 4) },
	  .used = 1, .wcr = { 0x1F7 }, .wvr = { 0x1000 } },
	{ .name = "identical-remove-one", STD,
	  .ops = { INS(Z2, 0x1000, 4), INS(Z2, 0x1000, 4), REM(Z2, 0x1000, 4) },
	  .used = 1, .wcr = { 0x1F7 }, .wvr = { 0x1000 } },
	{ .name = "identical-remove-both", STD,
	  .ops = { INS(Z2, 0x1000, 4), INS(Z2, 0x1000, 4), REM(Z2, 0x1000, 4),
		   REM(Z2, 0x1000, 4), REM_E(Z2, 0x1000, 4, NOENT) },
	  .used = 0 },
	/* 4@0x1006 = [0x1817@0x1000][0x77@0x1008]; 2@0x1008 = BAS 0x03 @0x1008 =
	 * 0x77, identical to slot 1: shared, 2 used */
	{ .name = "pieces-coincide", STD, .ops = { INS(Z2, 0x1006, 4), INS(Z2, 0x1008, 2) },
	  .used = 2, .wcr = { 0x1817, 0x77 }, .wvr = { 0x1000, 0x1008 } },
	/* removing the 4-byte request frees slot 0 only; slot 1 stays in place */
	{ .name = "pieces-coincide-remove-first", STD,
	  .ops = { INS(Z2, 0x1006, 4), INS(Z2, 0x1008, 2), REM(Z2, 0x1006, 4) },
	  .used = 1, .wcr = { 0, 0x77 }, .wvr = { 0, 0x1008 } },
	/* 16@0x1008 = [0x1FF7@0x1008][0x1FF7@0x1010]; 8@0x1010 = 0x1FF7@0x1010: shared */
	{ .name = "dword-pieces-coincide", STD,
	  .ops = { INS(Z2, 0x1008, 16), INS(Z2, 0x1010, 8) },
	  .used = 2, .wcr = { 0x1FF7, 0x1FF7 }, .wvr = { 0x1008, 0x1010 } },
	/* Z3 (LSC 01) and Z4 (LSC 11) differ: 0x0F|0x1E0 = 0x1EF, 0x1F|0x1E0 = 0x1FF */
	{ .name = "read-access-no-share", STD, .ops = { INS(Z3, 0x3000, 4), INS(Z4, 0x3000, 4) },
	  .used = 2, .wcr = { 0x1EF, 0x1FF }, .wvr = { 0x3000, 0x3000 } },
	/* same address in both banks: one slot each */
	{ .name = "break-and-watch-same-address", STD,
	  .ops = { INS(Z1, 0x1000, 4), INS(Z2, 0x1000, 4) },
	  .used = 2, .bcr = { BCR }, .bvr = { 0x1000 }, .wcr = { 0x1F7 }, .wvr = { 0x1000 } },

	/* ---- slot order ---- */
	/* watches in 0,1,2; free 1; Z4 1@0x5000 (BAS 0x01: 0x3F) takes slot 1 */
	{ .name = "lowest-free-slot-reused", STD,
	  .ops = { INS(Z2, 0x1000, 8), INS(Z2, 0x2000, 8), INS(Z2, 0x3000, 8),
		   REM(Z2, 0x2000, 8), INS(Z4, 0x5000, 1) },
	  .used = 3, .wcr = { 0x1FF7, 0x3F, 0x1FF7 }, .wvr = { 0x1000, 0x5000, 0x3000 } },
	/* watches 0..3; free 1 and 3; 4@0x5006 = [0x1817@0x5000][0x77@0x5008] fills
	 * slot 1 then slot 3 */
	{ .name = "pieces-fill-holes-ascending", STD,
	  .ops = { INS(Z2, 0x1000, 8), INS(Z2, 0x2000, 8), INS(Z2, 0x3000, 8), INS(Z2, 0x4000, 8),
		   REM(Z2, 0x2000, 8), REM(Z2, 0x4000, 8), INS(Z2, 0x5006, 4) },
	  .used = 4, .wcr = { 0x1FF7, 0x1817, 0x1FF7, 0x77 },
	  .wvr = { 0x1000, 0x5000, 0x3000, 0x5008 } },

	/* ---- exhaustion: all or nothing ---- */
	/* slot 0: 8@0x1000; slots 1-2: 4@0x2006 = [0x1817@0x2000][0x77@0x2008];
	 * 8@0x3004 = [BAS 0xF0 @0x3000][BAS 0x0F @0x3008] needs 2, 1 free: NOSPC */
	{ .name = "partial-fit-unchanged", STD,
	  .ops = { INS(Z2, 0x1000, 8), INS(Z2, 0x2006, 4), INS_E(Z2, 0x3004, 8, NOSPC) },
	  .used = 3, .wcr = { 0x1FF7, 0x1817, 0x77 }, .wvr = { 0x1000, 0x2000, 0x2008 } },
	/* ... and slot 3 is still free: 1@0x3000 = 0x37 */
	{ .name = "partial-fit-slot-still-free", STD,
	  .ops = { INS(Z2, 0x1000, 8), INS(Z2, 0x2006, 4), INS_E(Z2, 0x3004, 8, NOSPC),
		   INS(Z2, 0x3000, 1) },
	  .used = 4, .wcr = { 0x1FF7, 0x1817, 0x77, 0x37 },
	  .wvr = { 0x1000, 0x2000, 0x2008, 0x3000 } },
	/* 4 watch slots full: a 5th watch is NOSPC, a breakpoint still fits */
	{ .name = "watch-bank-full-break-fits", STD,
	  .ops = { INS(Z2, 0x1000, 8), INS(Z2, 0x2000, 8), INS(Z2, 0x3000, 8), INS(Z2, 0x4000, 8),
		   INS_E(Z2, 0x5000, 1, NOSPC), INS(Z1, 0x400000, 4) },
	  .used = 5, .bcr = { BCR }, .bvr = { 0x400000 },
	  .wcr = { 0x1FF7, 0x1FF7, 0x1FF7, 0x1FF7 }, .wvr = { 0x1000, 0x2000, 0x3000, 0x4000 } },
	/* 2/2: 1@0x1000 in slot 0; 4@0x2006 needs 2 pieces, 1 free: NOSPC */
	{ .name = "two-two-partial-fit", .bps = 2, .wps = 2,
	  .ops = { INS(Z2, 0x1000, 1), INS_E(Z2, 0x2006, 4, NOSPC) },
	  .used = 1, .wcr = { 0x37 }, .wvr = { 0x1000 } },

	/* ---- refused requests ---- */
	{ .name = "remove-never-inserted", STD,
	  .ops = { REM_E(Z2, 0x1000, 4, NOENT), REM_E(Z1, 0x400000, 4, NOENT) },
	  .used = 0 },
	{ .name = "remove-mismatch-noent", STD,
	  .ops = { INS(Z2, 0x1000, 4), REM_E(Z3, 0x1000, 4, NOENT), REM_E(Z2, 0x1000, 8, NOENT),
		   REM_E(Z1, 0x1000, 4, NOENT), REM_E(Z2, 0x1004, 4, NOENT) },
	  .used = 1, .wcr = { 0x1F7 }, .wvr = { 0x1000 } },
	{ .name = "remove-piece-not-request", STD,
	  .ops = { INS(Z2, 0x1006, 4), REM_E(Z2, 0x1008, 2, NOENT) },
	  .used = 2, .wcr = { 0x1817, 0x77 }, .wvr = { 0x1000, 0x1008 } },
	{ .name = "zero-length-inval", STD,
	  .ops = { INS_E(Z2, 0x1000, 0, INVAL), INS_E(Z3, 0x1000, 0, INVAL),
		   INS_E(Z4, 0x1000, 0, INVAL) },
	  .used = 0 },
	{ .name = "overflow-inval", STD,
	  .ops = { INS_E(Z2, 0xfffffffffffffffcull, 8, INVAL),
		   INS_E(Z4, 0xffffffffffffff00ull, 0x1000, INVAL) },
	  .used = 0 },
	{ .name = "inval-keeps-state", STD,
	  .ops = { INS(Z2, 0x1000, 4), INS_E(Z1, 0x2002, 4, INVAL), INS_E(Z2, 0x2000, 0, INVAL) },
	  .used = 1, .wcr = { 0x1F7 }, .wvr = { 0x1000 } },

	/* ---- high addresses ---- */
	/* Z4 8@0xffff000012345678 (0x78 = 15*8, aligned): 0x1FFF, address unchanged */
	{ .name = "watch-kernel-address", STD, .ops = { INS(Z4, 0xffff000012345678ull, 8) },
	  .used = 1, .wcr = { 0x1FFF }, .wvr = { 0xffff000012345678ull } },
	/* 4@0x00ff800010001004: BAS 0xF0 -> 0x1E17, WVR 0x00ff800010001000 sign-extended
	 * from bit 52 = 0xffff800010001000 */
	{ .name = "watch-sign-extended", STD, .ops = { INS(Z2, 0x00ff800010001004ull, 4) },
	  .used = 1, .wcr = { 0x1E17 }, .wvr = { 0xffff800010001000ull } },
	/* 64@0xffff800010002000: MASK 6 -> 0x06001FF7 */
	{ .name = "watch-kernel-mask", STD, .ops = { INS(Z2, 0xffff800010002000ull, 64) },
	  .used = 1, .wcr = { 0x06001FF7 }, .wvr = { 0xffff800010002000ull } },

	/* ---- clear and remove-all ---- */
	{ .name = "clear", STD,
	  .ops = { INS(Z1, 0x400000, 4), INS(Z2, 0x1006, 4), INS(Z3, 0x3000, 64), CLEAR },
	  .used = 0 },
	/* after clear, 2@0x5000 (0x77) starts again at slot 0 */
	{ .name = "clear-then-reuse", STD,
	  .ops = { INS(Z1, 0x400000, 4), INS(Z2, 0x1006, 4), CLEAR, INS(Z2, 0x5000, 2) },
	  .used = 1, .wcr = { 0x77 }, .wvr = { 0x5000 } },
	{ .name = "clear-then-remove-noent", STD,
	  .ops = { INS(Z2, 0x1000, 4), CLEAR, REM_E(Z2, 0x1000, 4, NOENT) },
	  .used = 0 },
	/* everything removed: every register and the control word 0 */
	{ .name = "remove-all", STD,
	  .ops = { INS(Z1, 0x400000, 4), INS(Z1, 0xffff800010001000ull, 4), INS(Z2, 0x1006, 4),
		   INS(Z4, 0x4000, 64), REM(Z2, 0x1006, 4), REM(Z1, 0x400000, 4),
		   REM(Z4, 0x4000, 64), REM(Z1, 0xffff800010001000ull, 4) },
	  .used = 0 },
};

static void check_a64_regs(const char *name, const struct hwslots *hs, unsigned used,
			   const uint64_t *bcr, const uint64_t *bvr,
			   const uint64_t *wcr, const uint64_t *wvr)
{
	struct vmdbg_guest_debug g;
	static const char *names[4] = { "bcr", "bvr", "wcr", "wvr" };
	const uint64_t *want[4] = { bcr, bvr, wcr, wvr };

	CHECK(hwslots_used(hs) == used, "%s: hwslots_used = %u, expected %u", name,
	      hwslots_used(hs), used);
	get_debug(hs, &g);
	CHECK(g.arch == VMDBG_ARCH_AARCH64, "%s: guest_debug arch = %u, expected %u", name,
	      g.arch, (unsigned)VMDBG_ARCH_AARCH64);
	CHECK(g.control == (used ? CTRL_ON : 0u), "%s: control = 0x%x, expected 0x%x", name,
	      g.control, used ? CTRL_ON : 0u);
	const uint64_t *got[4] = { g.regs.arm64.dbg_bcr, g.regs.arm64.dbg_bvr,
				   g.regs.arm64.dbg_wcr, g.regs.arm64.dbg_wvr };
	for (unsigned s = 0; s < 4; s++)
		for (unsigned i = 0; i < VMDBG_MAX_DBG_REGS; i++) {
			uint64_t w = want[s] ? want[s][i] : 0;
			CHECK(got[s][i] == w,
			      "%s: %s[%u] = 0x%" G_GINT64_MODIFIER "x, expected 0x%"
			      G_GINT64_MODIFIER "x", name, names[s], i, got[s][i], w);
		}
}

static void test_a64_case(gconstpointer data)
{
	const struct a64_case *c = data;
	struct hwslots *hs = hwslots_new(VMDBG_ARCH_AARCH64, c->bps, c->wps, false);

	g_assert_nonnull(hs);
	/* consistency of the table entry: no register is set beyond the counts */
	for (unsigned i = 0; i < VMDBG_MAX_DBG_REGS; i++) {
		if (i >= c->bps)
			g_assert_true(c->bcr[i] == 0 && c->bvr[i] == 0);
		if (i >= c->wps)
			g_assert_true(c->wcr[i] == 0 && c->wvr[i] == 0);
	}
	run_ops(hs, c->name, c->ops);
	check_a64_regs(c->name, hs, c->used, c->bcr, c->bvr, c->wcr, c->wvr);

	hwslots_clear(hs);
	check_a64_regs(c->name, hs, 0, NULL, NULL, NULL, NULL);
	hwslots_free(hs);
}

/* ---- decoding debug stops ---------------------------------------------------
 * x86: VMDBG_STOP_DEBUG, info[0] = 1 (#DB), info[1] = DR6, info[2] = DR7.
 * KVM reports DR6 with the active-low pattern 0xffff0ff0 ORed in: Bn hit =
 * 0xffff0ff0 | 1<<n (B0 ..ff1, B1 ..ff2, B2 ..ff4, B3 ..ff8); BS (bit 14)
 * single step = 0xffff4ff0.
 */
struct x86_stop_case {
	const char *name;
	struct op ops[8];
	uint64_t pc, dr6;
	enum hw_hit_type type;
	enum hw_kind kind;     /* HW_HIT_WATCH only */
	uint64_t addr;         /* HW_HIT_WATCH only */
};

static const struct x86_stop_case x86_stops[] = {
	/* hbreak in DR0, B0 */
	{ "break-slot0", { INS(Z1, 0x401000, 1) }, 0x401000, 0xffff0ff1, HW_HIT_BREAK, 0, 0 },
	/* hbreak / watch / hbreak in DR0 / DR1 / DR2; B2 is the second hbreak */
	{ "break-slot2", { INS(Z1, 0x401000, 1), INS(Z2, 0x1000, 4), INS(Z1, 0x402000, 1) },
	  0x402000, 0xffff0ff4, HW_HIT_BREAK, 0, 0 },
	/* 6@0x1001 in DR0-3 = (0x1001,1)(0x1002,2)(0x1004,2)(0x1006,1); B1 is the
	 * piece 0x1002: reported as gdb's 0x1001, a write watch */
	{ "watch-2nd-piece", { INS(Z2, 0x1001, 6) }, 0x400100, 0xffff0ff2,
	  HW_HIT_WATCH, HW_WRITE, 0x1001 },
	/* B3 is the last piece 0x1006 of the same request */
	{ "watch-4th-piece", { INS(Z2, 0x1001, 6) }, 0x400100, 0xffff0ff8,
	  HW_HIT_WATCH, HW_WRITE, 0x1001 },
	/* hbreak DR0, Z4 4@0x2002 = (0x2002,2) DR1 (0x2004,2) DR2; B2 -> awatch 0x2002 */
	{ "access-after-break", { INS(Z1, 0x401000, 1), INS(Z4, 0x2002, 4) }, 0x400100,
	  0xffff0ff4, HW_HIT_WATCH, HW_ACCESS, 0x2002 },
	/* Z3 programmed RW=11 in DR0, B0: reported as a read watch (rwatch) */
	{ "read-watch", { INS(Z3, 0x3000, 4) }, 0x400100, 0xffff0ff1,
	  HW_HIT_WATCH, HW_READ, 0x3000 },
	/* BS: a completed single step, with or without slots in use */
	{ "single-step", { INS(Z2, 0x1000, 4) }, 0x400100, 0xffff4ff0, HW_HIT_STEP, 0, 0 },
	{ "single-step-no-slots", { { OP_END, 0, 0, 0, 0 } }, 0x400100, 0xffff4ff0,
	  HW_HIT_STEP, 0, 0 },
	/* only DR0 in use: B2 is not ours */
	{ "unused-slot", { INS(Z2, 0x1000, 4) }, 0x400100, 0xffff0ff4, HW_HIT_NONE, 0, 0 },
	{ "no-slots", { { OP_END, 0, 0, 0, 0 } }, 0x400100, 0xffff0ff1, HW_HIT_NONE, 0, 0 },
	/* a stale B0 after the watch was removed */
	{ "removed-slot", { INS(Z2, 0x1000, 4), REM(Z2, 0x1000, 4) }, 0x400100, 0xffff0ff1,
	  HW_HIT_NONE, 0, 0 },
	/* kernel address reported unchanged */
	{ "kernel-watch", { INS(Z2, 0xffff888000001000ull, 8) }, 0xffffffff81000100ull,
	  0xffff0ff1, HW_HIT_WATCH, HW_WRITE, 0xffff888000001000ull },
	/* 3@0x1001 = (0x1001,1) DR0 (0x1002,2) DR1; 2@0x1002 shares DR1; B0 only
	 * belongs to the 3-byte request */
	{ "coincide-first-piece", { INS(Z2, 0x1001, 3), INS(Z2, 0x1002, 2) }, 0x400100,
	  0xffff0ff1, HW_HIT_WATCH, HW_WRITE, 0x1001 },
};

static const char *hit_name(enum hw_hit_type t)
{
	switch (t) {
	case HW_HIT_NONE: return "NONE";
	case HW_HIT_BREAK: return "BREAK";
	case HW_HIT_WATCH: return "WATCH";
	case HW_HIT_STEP: return "STEP";
	}
	return "?";
}

static void check_hit(const char *name, const struct hw_hit *h, enum hw_hit_type type,
		      enum hw_kind kind, uint64_t addr)
{
	CHECK(h->type == type, "%s: hit type %s (%d), expected %s", name, hit_name(h->type),
	      (int)h->type, hit_name(type));
	if (type == HW_HIT_WATCH && h->type == HW_HIT_WATCH) {
		CHECK(h->kind == kind, "%s: watch kind %s, expected %s", name,
		      kind_name(h->kind), kind_name(kind));
		CHECK(h->addr == addr,
		      "%s: watch addr 0x%" G_GINT64_MODIFIER "x, expected 0x%" G_GINT64_MODIFIER "x",
		      name, h->addr, addr);
	}
}

static void test_x86_stop(gconstpointer data)
{
	const struct x86_stop_case *c = data;
	struct hwslots *hs = hwslots_new(VMDBG_ARCH_X86_64, 4, 4, true);
	struct vmdbg_guest_debug g;
	struct vmdbg_stopped ev;
	struct hw_hit hit;

	run_ops(hs, c->name, c->ops);
	get_debug(hs, &g);
	memset(&ev, 0, sizeof(ev));
	ev.vcpu = 0;
	ev.reason = VMDBG_STOP_DEBUG;
	ev.pc = c->pc;
	ev.info[0] = 1;
	ev.info[1] = c->dr6;
	ev.info[2] = g.regs.x86.debugreg[7];
	memset(&hit, 0x5A, sizeof(hit));
	hwslots_decode(hs, &ev, &hit);
	check_hit(c->name, &hit, c->type, c->kind, c->addr);
	hwslots_free(hs);
}

/* AArch64: info[0] = ESR_EL2, info[1] = FAR.  ESR = EC << 26 | IL (bit 25) | ISS.
 *   EC 0x30 breakpoint, lower EL: 0x30<<26 = 0xC0000000 | 0x02000000 | IFSC 0x22
 *        = 0xC2000022;  EC 0x31 (same EL) = 0xC4000000 | .. = 0xC6000022
 *   EC 0x32 software step, lower EL = 0xC8000000 | .. = 0xCA000022;
 *      EC 0x33 = 0xCC000000 | .. = 0xCE000022
 *   EC 0x34 watchpoint, lower EL = 0xD0000000 | 0x02000000 | DFSC 0x22 =
 *        0xD2000022 (load), | WnR bit 6 (0x40) = 0xD2000062 (store);
 *      EC 0x35 (same EL) = 0xD4000000 | .. : 0xD6000022 / 0xD6000062
 */
#define ESR_BKPT_LOW  0xC2000022u
#define ESR_BKPT_CUR  0xC6000022u
#define ESR_STEP_LOW  0xCA000022u
#define ESR_STEP_CUR  0xCE000022u
#define ESR_WPT_LOAD  0xD2000022u
#define ESR_WPT_STORE 0xD2000062u
#define ESR_WPT_CUR_STORE 0xD6000062u

struct a64_stop_case {
	const char *name;
	struct op ops[8];
	uint64_t pc, esr, far;
	enum hw_hit_type type;
	enum hw_kind kind;
	uint64_t addr;
};

static const struct a64_stop_case a64_stops[] = {
	/* breakpoint: pc == BVR */
	{ "break-pc", { INS(Z1, 0x400000, 4) }, 0x400000, ESR_BKPT_LOW, 0, HW_HIT_BREAK, 0, 0 },
	{ "break-2nd-slot", { INS(Z1, 0x400000, 4), INS(Z1, 0x400100, 4) }, 0x400100,
	  ESR_BKPT_LOW, 0, HW_HIT_BREAK, 0, 0 },
	{ "break-kernel-same-el", { INS(Z1, 0xffff800010001000ull, 4) }, 0xffff800010001000ull,
	  ESR_BKPT_CUR, 0, HW_HIT_BREAK, 0, 0 },
	/* requested as 0x00ff800010001000: BVR (and the CPU's pc) 0xffff800010001000 */
	{ "break-sign-extended", { INS(Z1, 0x00ff800010001000ull, 4) }, 0xffff800010001000ull,
	  ESR_BKPT_LOW, 0, HW_HIT_BREAK, 0, 0 },
	/* a breakpoint exception at a pc no BVR holds is not ours */
	{ "break-other-pc", { INS(Z1, 0x400000, 4) }, 0x400004, ESR_BKPT_LOW, 0,
	  HW_HIT_NONE, 0, 0 },
	/* 2@0x1003 (BAS 0x18 @0x1000): FAR 0x1004 and 0x1003 are watched bytes */
	{ "watch-far-inside", { INS(Z2, 0x1003, 2) }, 0x400100, ESR_WPT_STORE, 0x1004,
	  HW_HIT_WATCH, HW_WRITE, 0x1003 },
	{ "watch-far-first-byte", { INS(Z2, 0x1003, 2) }, 0x400100, ESR_WPT_STORE, 0x1003,
	  HW_HIT_WATCH, HW_WRITE, 0x1003 },
	/* 4@0x1006 = [0x1000 BAS 0xC0][0x1008 BAS 0x03]: FAR 0x1009 in piece 2 ->
	 * gdb's 0x1006 */
	{ "watch-2nd-piece", { INS(Z2, 0x1006, 4) }, 0x400100, ESR_WPT_STORE, 0x1009,
	  HW_HIT_WATCH, HW_WRITE, 0x1006 },
	/* 1@0x2007; a 16-byte STP at 0x1ff8 covers 0x1ff8..0x2007 and reports
	 * FAR 0x1ff8, 15 below the watched byte (= gdb's align_down(0x2000) - 8
	 * lower bound for write watches) */
	{ "watch-stp-15-below", { INS(Z2, 0x2007, 1) }, 0x400100, ESR_WPT_STORE, 0x1ff8,
	  HW_HIT_WATCH, HW_WRITE, 0x2007 },
	/* 4@0x2008; STP at 0x2000 (covers 0x2000..0x200f): FAR 8 below */
	{ "watch-stp-8-below", { INS(Z2, 0x2008, 4) }, 0x400100, ESR_WPT_STORE, 0x2000,
	  HW_HIT_WATCH, HW_WRITE, 0x2008 },
	/* FAR one past the last watched byte 0x200b, or far away: not ours */
	{ "watch-far-at-end", { INS(Z2, 0x2008, 4) }, 0x400100, ESR_WPT_STORE, 0x200c,
	  HW_HIT_NONE, 0, 0 },
	{ "watch-far-above", { INS(Z2, 0x2008, 4) }, 0x400100, ESR_WPT_STORE, 0x3000,
	  HW_HIT_NONE, 0, 0 },
	{ "watch-far-below", { INS(Z2, 0x2008, 4) }, 0x400100, ESR_WPT_STORE, 0x1f00,
	  HW_HIT_NONE, 0, 0 },
	/* Z3 8@0x3000 (LSC 01), a load (WnR 0) at 0x3004: rwatch 0x3000 */
	{ "read-watch", { INS(Z3, 0x3000, 8) }, 0x400100, ESR_WPT_LOAD, 0x3004,
	  HW_HIT_WATCH, HW_READ, 0x3000 },
	/* Z4 64@0x5000 (MASK 6), a store from EL1 (EC 0x35) at 0x5030: awatch 0x5000 */
	{ "access-mask-same-el", { INS(Z4, 0x5000, 64) }, 0xffff800010000100ull,
	  ESR_WPT_CUR_STORE, 0x5030, HW_HIT_WATCH, HW_ACCESS, 0x5000 },
	/* Z4 4@0x3004; an 8-byte load at 0x3000 overlaps it: FAR 0x3000, same
	 * doubleword (gdb matches from the aligned base for every kind) */
	{ "access-far-below-in-dword", { INS(Z4, 0x3004, 4) }, 0x400100, ESR_WPT_LOAD, 0x3000,
	  HW_HIT_WATCH, HW_ACCESS, 0x3004 },
	/* two watches far apart: FAR picks the right one */
	{ "watch-picks-right-request", { INS(Z2, 0x1000, 4), INS(Z2, 0x3000, 8) }, 0x400100,
	  ESR_WPT_STORE, 0x3002, HW_HIT_WATCH, HW_WRITE, 0x3000 },
	/* 64@0x4008 in 4 pieces; FAR 0x4030 in the 32-byte MASK piece -> 0x4008 */
	{ "watch-mask-piece-of-misaligned", { INS(Z2, 0x4008, 64) }, 0x400100, ESR_WPT_STORE,
	  0x4030, HW_HIT_WATCH, HW_WRITE, 0x4008 },
	/* found by fuzz-hwslots against its model: a watch requested above bit
	 * 52 (gdb's 0x00ff...: DBGWVR and the CPU's FAR say 0xffff...), the
	 * FAR with the tag byte as gdb gave it, and a piece that ends at 2^64 */
	{ "watch-sign-extended", { INS(Z2, 0x00ff800010001010ull, 16) }, 0x400100, ESR_WPT_LOAD,
	  0xffff800010001010ull, HW_HIT_WATCH, HW_WRITE, 0x00ff800010001010ull },
	{ "watch-far-tagged", { INS(Z2, 0x00ff800010001010ull, 16) }, 0x400100, ESR_WPT_LOAD,
	  0x00ff800010001018ull, HW_HIT_WATCH, HW_WRITE, 0x00ff800010001010ull },
	{ "watch-top-of-space", { INS(Z2, 0xfffffffffffffff8ull, 8) }, 0x400100, ESR_WPT_STORE,
	  0xfffffffffffffffcull, HW_HIT_WATCH, HW_WRITE, 0xfffffffffffffff8ull },
	{ "watch-far-below-top", { INS(Z2, 0xfffffffffffffff8ull, 8) }, 0x400100, ESR_WPT_STORE,
	  0xfffffffffffffff0ull, HW_HIT_WATCH, HW_WRITE, 0xfffffffffffffff8ull },
	/* a watchpoint exception with no watch slots in use */
	{ "watch-no-slots", { INS(Z1, 0x400000, 4) }, 0x400100, ESR_WPT_STORE, 0x1000,
	  HW_HIT_NONE, 0, 0 },
	/* software step, lower and same EL */
	{ "step-lower-el", { INS(Z1, 0x400000, 4) }, 0x400104, ESR_STEP_LOW, 0,
	  HW_HIT_STEP, 0, 0 },
	{ "step-same-el", { { OP_END, 0, 0, 0, 0 } }, 0xffff800010000104ull, ESR_STEP_CUR, 0,
	  HW_HIT_STEP, 0, 0 },
};

static void test_a64_stop(gconstpointer data)
{
	const struct a64_stop_case *c = data;
	struct hwslots *hs = hwslots_new(VMDBG_ARCH_AARCH64, 6, 4, false);
	struct vmdbg_stopped ev;
	struct hw_hit hit;

	run_ops(hs, c->name, c->ops);
	memset(&ev, 0, sizeof(ev));
	ev.vcpu = 0;
	ev.reason = VMDBG_STOP_DEBUG;
	ev.pc = c->pc;
	ev.info[0] = c->esr;
	ev.info[1] = c->far;
	memset(&hit, 0x5A, sizeof(hit));
	hwslots_decode(hs, &ev, &hit);
	check_hit(c->name, &hit, c->type, c->kind, c->addr);
	hwslots_free(hs);
}

/* ---- hwslots_describe ----------------------------------------------------- */

static unsigned count_lines(const char *s)
{
	unsigned n = 0;
	char **lines = g_strsplit(s, "\n", -1);

	for (char **l = lines; *l; l++)
		if (**l)
			n++;
	g_strfreev(lines);
	return n;
}

static struct hwslots *build(uint32_t arch, unsigned bps, unsigned wps, bool shared,
			     const struct op *ops)
{
	struct hwslots *hs = hwslots_new(arch, bps, wps, shared);

	run_ops(hs, "describe", ops);
	return hs;
}

/* The same state gives the same text; each slot in use is on its own line
 * (lines >= slots + 1 for the control register) and its piece address is in
 * the text (addresses chosen with decimal-digit hex so any format shows them). */
static void check_describe(uint32_t arch, unsigned bps, unsigned wps, bool shared,
			   const struct op *ops, const struct op *other_path,
			   const char *const *must)
{
	struct hwslots *a = build(arch, bps, wps, shared, ops);
	struct hwslots *b = build(arch, bps, wps, shared, ops);
	struct hwslots *c = build(arch, bps, wps, shared, other_path);
	struct hwslots *e = hwslots_new(arch, bps, wps, shared);
	char *ta = hwslots_describe(a), *ta2 = hwslots_describe(a);
	char *tb = hwslots_describe(b), *tc = hwslots_describe(c), *te = hwslots_describe(e);
	unsigned used = hwslots_used(a);

	g_assert_nonnull(ta);
	g_assert_nonnull(te);
	CHECK(g_strcmp0(ta, ta2) == 0, "describe twice differs:\n%s\n---\n%s", ta, ta2);
	CHECK(g_strcmp0(ta, tb) == 0, "same operations, different text:\n%s\n---\n%s", ta, tb);
	CHECK(hwslots_used(c) == used, "other path: %u slots, expected %u", hwslots_used(c), used);
	CHECK(g_strcmp0(ta, tc) == 0, "same state by another path, different text:\n%s\n---\n%s",
	      ta, tc);
	CHECK(count_lines(ta) >= used + 1, "describe has %u lines for %u slots:\n%s",
	      count_lines(ta), used, ta);
	CHECK(g_strcmp0(ta, te) != 0, "describe of %u slots equals that of none:\n%s", used, ta);
	for (const char *const *m = must; *m; m++)
		CHECK(strstr(ta, *m) != NULL, "describe does not mention %s:\n%s", *m, ta);
	g_free(ta);
	g_free(ta2);
	g_free(tb);
	g_free(tc);
	g_free(te);
	hwslots_free(a);
	hwslots_free(b);
	hwslots_free(c);
	hwslots_free(e);
}

static void test_describe_x86(void)
{
	/* DR0 0x401000 (hbreak), DR1 0x1001, DR2 0x1002 (3@0x1001) */
	static const struct op ops[] = {
		INS(Z1, 0x401000, 1), INS(Z2, 0x1001, 3), { OP_END, 0, 0, 0, 0 }
	};
	/* the same slots reached another way: 0x409000 takes DR0 and leaves */
	static const struct op other[] = {
		INS(Z1, 0x409000, 1), INS(Z2, 0x1001, 3), REM(Z1, 0x409000, 1),
		INS(Z1, 0x401000, 1), { OP_END, 0, 0, 0, 0 }
	};
	static const char *const must[] = { "401000", "1001", "1002", NULL };

	check_describe(VMDBG_ARCH_X86_64, 4, 4, true, ops, other, must);
}

static void test_describe_a64(void)
{
	/* bp[0] 0x400000; wp[0] 0x1000 (BAS 0xC0), wp[1] 0x1008 (BAS 0x03) */
	static const struct op ops[] = {
		INS(Z1, 0x400000, 4), INS(Z2, 0x1006, 4), { OP_END, 0, 0, 0, 0 }
	};
	static const struct op other[] = {
		INS(Z2, 0x9000, 8), INS(Z1, 0x400000, 4), REM(Z2, 0x9000, 8),
		INS(Z2, 0x1006, 4), { OP_END, 0, 0, 0, 0 }
	};
	static const char *const must[] = { "400000", "1000", "1008", NULL };

	check_describe(VMDBG_ARCH_AARCH64, 6, 4, false, ops, other, must);
}

/* ---- main -------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();

	for (size_t i = 0; i < G_N_ELEMENTS(x86_cases); i++) {
		char *path = g_strdup_printf("/hwdebug/x86/%s", x86_cases[i].name);
		g_test_add_data_func(path, &x86_cases[i], test_x86_case);
		g_free(path);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(a64_cases); i++) {
		char *path = g_strdup_printf("/hwdebug/aarch64/%s", a64_cases[i].name);
		g_test_add_data_func(path, &a64_cases[i], test_a64_case);
		g_free(path);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(x86_stops); i++) {
		char *path = g_strdup_printf("/hwdebug/x86-decode/%s", x86_stops[i].name);
		g_test_add_data_func(path, &x86_stops[i], test_x86_stop);
		g_free(path);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(a64_stops); i++) {
		char *path = g_strdup_printf("/hwdebug/aarch64-decode/%s", a64_stops[i].name);
		g_test_add_data_func(path, &a64_stops[i], test_a64_stop);
		g_free(path);
	}
	g_test_add_func("/hwdebug/describe/x86", test_describe_x86);
	g_test_add_func("/hwdebug/describe/aarch64", test_describe_a64);

	return g_test_run();
}
