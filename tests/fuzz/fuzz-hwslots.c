/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-hwslots.c - libFuzzer target for the hardware slot allocator
 * (src/dbgproxyd/core/hwslots.c, specified by the comment at the top of
 * src/dbgproxyd/core/hwdebug.h), checked against a reference model written
 * here from that comment and the manuals (Intel SDM Vol. 3B 18.2, Arm ARM
 * D13.3), not from hwslots.c.  The model differs on purpose in how it
 * works: it splits a request top-down over the aligned power-of-two blocks
 * of the address space (a segment tree: the maximal aligned blocks inside
 * the request, size-capped, with sub-doubleword BAS pieces on AArch64)
 * where the code walks left to right, and it checks the registers it gets
 * back by decoding them field by field.
 *
 * Input: byte 0 picks the VM (bit 0: 0 x86-64, one shared bank of
 * hwslots_new(X86_64, n, wps, true) with n mostly 4; 1 AArch64,
 * hwslots_new(AARCH64, bps, wps, false)), byte 1 the slot counts.  Then
 * operations, each an opcode byte (low nibble: what, high nibble: gdb's Z
 * type) and its operand bytes: insert, remove, insert/remove of a live
 * request again (reference counts), a request derived from a live one
 * (overlaps, shared pieces), repeat the last one, clear, and synthetic
 * debug stops.  Addresses are an interesting base (aligned, bit 52 and its
 * sign-extended alias, tagged, the top of the address space, 2 GiB
 * boundaries) plus a signed offset; lengths 0..71, powers of two, 2^k +- 8,
 * multiples of 2 GiB, "up to 2^64" and "past 2^64" and huge ones.
 *
 * After every operation:
 *   - the return value and GError code are the model's: insert succeeds
 *     iff the request is valid and its pieces fit the free slots (identical
 *     pieces share a slot, identical requests a reference); remove iff an
 *     identical request is live (every other call passes error = NULL);
 *   - a failed call changed nothing: hwslots_guest_debug() byte-identical
 *     and hwslots_used() the same (and, on every 16th operation,
 *     hwslots_describe() the same text: it covers the request list);
 *   - hwslots_guest_debug() equals the model's register set exactly
 *     (lowest free slot first, pieces in ascending order, DR7/DBGxCR
 *     encodings), and independently of the model's slot numbers: every
 *     register is well-formed (x86: DR7 only GE, bit 10, Gn, RW/LEN; DR7 0
 *     and everything 0 when nothing is used; AArch64: DBGBCR 0x1E7 with a
 *     4-aligned canonical DBGBVR; DBGWCR E, PAC 11, LSC, contiguous BAS or
 *     BAS 0xFF with MASK 4..31 and an aligned canonical DBGWVR; entries past
 *     the slot counts 0), every enabled slot lies inside a live request of a
 *     matching kind, and the slots inside each live request cover all of its
 *     bytes (AArch64: compared sign-extended from bit 52, as the registers
 *     hold them);
 *   - hwslots_used() = the model's slots in use = the enabled registers;
 *   - hwslots_decode() of synthetic stops: x86 DR6 with one Bn bit (with
 *     and without the reserved 1 bits and BS), every slot: a live request
 *     owning DRn, HW_HIT_NONE for a free DRn; AArch64, one live request per
 *     operation in turn: a watchpoint ESR with FAR at its first byte (as
 *     gdb gave it and sign-extended from bit 52, as the CPU reports it) and
 *     at two more of its bytes or just around it, or a breakpoint ESR at its
 *     address; arbitrary stops from the input.  The expected hit is worked
 *     out in register space: an access of up to 16 bytes at FAR (D2.10.5)
 *     overlapping a slot names a request owning such a slot, one containing
 *     FAR and fitting WnR preferred; otherwise HW_HIT_NONE; a breakpoint at
 *     pc names a live Z1 whose DBGBVR is pc sign-extended;
 *   - hwslots_describe() (sampled: it is the slow part) returns the same
 *     text twice, one line per slot in use plus the title, the column
 *     header (and x86's DR7 line).
 * When the input is used up, everything is removed: all registers 0.
 *
 * Any violation calls abort() after printing the operations so far, the
 * model's state and the registers.
 *
 * Bugs it found at once, fixed in hwdebug-arm64.c (the crash-a64-watch-*
 * seeds in tests/fuzz/corpus-hwslots/ replay them, and test-hwdebug has
 * them as unit cases): the AArch64 watchpoint decode computed far + 16
 * and piece.addr + piece.len in 64 bits, so a piece at the top of the
 * address space never matched; and it compared FAR with the gdb address
 * of the slot's first owner instead of the value sign-extended from bit
 * 52, so a request above bit 52 (or one sharing its slot) was not found at
 * the address the CPU reports.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *          -Isrc/dbgproxyd/core -Iproto -Itests/fuzz $(pkg-config --cflags glib-2.0) \
 *          tests/fuzz/fuzz-hwslots.c src/dbgproxyd/core/hwslots.c \
 *          src/dbgproxyd/core/hwdebug-x86.c src/dbgproxyd/core/hwdebug-arm64.c \
 *          $(pkg-config --libs glib-2.0)
 * Run:   ./fuzz-hwslots -max_len=128 -print_final_stats=1 WORKDIR tests/fuzz/corpus-hwslots
 *        (the checks are per operation: longer inputs only repeat states)
 * Seeds: tests/fuzz/corpus-hwslots/.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include <glib.h>

#include "hwdebug.h"

#define FUZZ_NAME "fuzz-hwslots"
#include "fuzz.h"

typedef unsigned __int128 u128;

/* The checks need no coverage feedback of their own (its comparison
 * callbacks made them several times slower): libFuzzer is steered by
 * hwslots.c, the encoders, the model's decisions and the input decoding. */
#if defined(__clang__)
#define NOCOV __attribute__((no_sanitize("coverage")))
#else
#define NOCOV
#endif

#define M_SLOTS   16u   /* KVM_ARM_MAX_DBG_REGS (VMDBG_MAX_DBG_REGS) */
#define X86_SLOTS 4u    /* DR0-DR3 */
#define M_PIECES  16u   /* more than this many pieces never fit one bank */
#define M_REQS    256u  /* live requests the model keeps (ops beyond are skipped) */
#define BP 0u
#define WP 1u

/* ---- the reference model ----------------------------------------------------- */

/* AArch64: DBGBVR/DBGWVR bits above bit 52 copy bit 52 (written differently
 * from hw_arm64_sext on purpose). */
static uint64_t sext52(uint64_t a)
{
	const uint64_t hi = 0xfff0000000000000ull;
	return (a & (1ull << 52)) ? (a | hi) : (a & ~hi);
}

struct mpiece {
	uint64_t addr, len;    /* the bytes, in gdb's address space */
	unsigned bank, slot;
	uint64_t value;        /* DRn / DBGBVR / DBGWVR */
	uint64_t ctrl;         /* x86: RW | LEN << 2 of DR7; AArch64: DBGBCR / DBGWCR */
};

struct mreq {
	int kind;
	uint64_t addr, len;    /* as gdb sent them */
	unsigned refs, n;
	struct mpiece p[M_PIECES];
};

struct mslot {
	bool used;
	unsigned refs;
	uint64_t value, ctrl;
	u128 lo, hi;           /* the bytes it matches, in register space */
};

struct model {
	bool arm;
	unsigned nslots[2];
	struct mslot slot[2][M_SLOTS];
	struct mreq req[M_REQS];
	unsigned nreq;
};

static struct model M;

/* x86: RW bits (SDM 18.2.4): 00 execute, 01 write, 11 read or write (x86 has
 * no read-only data breakpoint: Z3 is programmed as read/write). */
static uint64_t x86_rw(int kind)
{
	switch (kind) {
	case HW_EXEC: return 0;
	case HW_WRITE: return 1;
	default: return 3;
	}
}

/* x86: LEN bits: 00 1 byte, 01 2 bytes, 11 4 bytes, 10 8 bytes. */
static uint64_t x86_lenbits(uint64_t size)
{
	switch (size) {
	case 1: return 0;
	case 2: return 1;
	case 4: return 3;
	default: return 2;
	}
}

/* AArch64 DBGWCR.LSC: 01 load, 10 store, 11 both. */
static uint64_t a64_lsc(int kind)
{
	return kind == HW_READ ? 1 : kind == HW_WRITE ? 2 : 3;
}

static uint64_t a64_wcr(int kind, uint64_t bas, unsigned mask)
{
	return 1ull /* E */ | 3ull << 1 /* PAC: EL1 and EL0 */ | a64_lsc(kind) << 3 | bas << 5 |
	       (uint64_t)mask << 24;
}

#define A64_BCR 0x1e7ull  /* E | PMC 11 | BAS 1111, unlinked address match */

/* Top-down cover of [lo, hi] (inclusive) by the maximal aligned power-of-two
 * blocks inside it, capped at 2^maxk bytes; on AArch64 a partially covered
 * doubleword becomes one BAS piece of the covered bytes. */
struct splitter {
	bool arm;
	int kind;
	uint64_t lo, hi;
	unsigned maxk;
	unsigned n;            /* pieces found so far (counting stops past M_PIECES) */
	struct mpiece *out;
};

static void add_piece(struct splitter *s, struct mpiece p)
{
	if (s->n < M_PIECES)
		s->out[s->n] = p;
	s->n++;
}

NOCOV static void cover(struct splitter *s, uint64_t base, unsigned k)
{
	if (s->n > M_PIECES)
		return;
	uint64_t last = k == 64 ? UINT64_MAX : base + ((1ull << k) - 1);
	if (last < s->lo || base > s->hi)
		return;
	bool inside = base >= s->lo && last <= s->hi;
	if (inside && k <= s->maxk) {
		struct mpiece p = { .addr = base, .len = 1ull << k };
		if (!s->arm) {
			p.value = base;
			p.ctrl = x86_rw(s->kind) | x86_lenbits(p.len) << 2;
		} else {
			p.value = sext52(base);
			/* 8 bytes: BAS 0xFF, MASK 0; 16 B..2 GiB: BAS 0xFF, MASK k */
			p.ctrl = a64_wcr(s->kind, 0xff, k == 3 ? 0 : k);
		}
		add_piece(s, p);
		return;
	}
	if (s->arm && k == 3) {
		/* part of one doubleword: contiguous bytes a..b */
		uint64_t a = base > s->lo ? base : s->lo, b = last < s->hi ? last : s->hi;
		uint64_t bas = 0;
		for (uint64_t x = a; x <= b && x >= a; x++)
			bas |= 1ull << (x - base);
		struct mpiece p = { .addr = a, .len = b - a + 1, .value = sext52(base),
				    .ctrl = a64_wcr(s->kind, bas, 0) };
		add_piece(s, p);
		return;
	}
	cover(s, base, k - 1);
	cover(s, base + (1ull << (k - 1)), k - 1);
}

/* The pieces of a valid request; returns their count (> M_PIECES: too many;
 * only M_PIECES stored).  0: the hardware cannot do it. */
static unsigned model_split(const struct model *m, int kind, uint64_t addr, uint64_t len,
			    struct mpiece *out)
{
	if (kind == HW_EXEC) {
		if (!m->arm) {
			/* SDM 18.2.5: instruction breakpoints are LEN 00, any address */
			if (len != 1)
				return 0;
			out[0] = (struct mpiece){ addr, 1, BP, 0, addr, 0 };
		} else {
			/* A64 instructions: 4 bytes, 4-aligned */
			if (len != 4 || addr % 4 != 0)
				return 0;
			out[0] = (struct mpiece){ addr, 4, BP, 0, sext52(addr), A64_BCR };
		}
		return 1;
	}
	struct splitter s = { .arm = m->arm, .kind = kind, .lo = addr, .hi = addr + (len - 1),
			      .maxk = m->arm ? 31 : 3, .n = 0, .out = out };
	cover(&s, 0, 64);
	unsigned bank = m->arm ? WP : BP;
	for (unsigned i = 0; i < s.n && i < M_PIECES; i++)
		out[i].bank = bank;
	return s.n;
}

/* Register-space bytes of a piece. */
NOCOV static void piece_range(const struct model *m, const struct mpiece *p, u128 *lo, u128 *hi)
{
	uint64_t a = m->arm ? sext52(p->addr) : p->addr;
	*lo = a;
	*hi = (u128)a + p->len;
}

static struct mreq *model_find(struct model *m, int kind, uint64_t addr, uint64_t len)
{
	for (unsigned i = 0; i < m->nreq; i++)
		if (m->req[i].kind == kind && m->req[i].addr == addr && m->req[i].len == len)
			return &m->req[i];
	return NULL;
}

/* 0 on success, else the HWDEBUG_E_* the call must fail with. */
static int model_insert(struct model *m, int kind, uint64_t addr, uint64_t len)
{
	if (kind < HW_EXEC || kind > HW_ACCESS)
		return HWDEBUG_E_INVAL;
	if (len == 0 || (u128)addr + len > ((u128)1 << 64))
		return HWDEBUG_E_INVAL;   /* empty, or wraps past 2^64 */
	struct mreq *r = model_find(m, kind, addr, len);
	if (r) {
		r->refs++;
		return 0;
	}
	struct mreq nr = { .kind = kind, .addr = addr, .len = len, .refs = 1 };
	unsigned n = model_split(m, kind, addr, len, nr.p);
	if (n == 0)
		return HWDEBUG_E_INVAL;
	unsigned bank = nr.p[0].bank;
	if (n > m->nslots[bank])
		return HWDEBUG_E_NOSPC;   /* distinct pieces need distinct slots */
	struct mslot trial[M_SLOTS];
	memcpy(trial, m->slot[bank], sizeof(trial));
	for (unsigned k = 0; k < n; k++) {
		struct mpiece *p = &nr.p[k];
		int at = -1;
		for (unsigned i = 0; i < m->nslots[bank] && at < 0; i++)
			if (trial[i].used && trial[i].value == p->value && trial[i].ctrl == p->ctrl)
				at = (int)i;
		for (unsigned i = 0; i < m->nslots[bank] && at < 0; i++)
			if (!trial[i].used) {
				at = (int)i;
				trial[i] = (struct mslot){ true, 0, p->value, p->ctrl, 0, 0 };
				piece_range(m, p, &trial[i].lo, &trial[i].hi);
			}
		if (at < 0)
			return HWDEBUG_E_NOSPC;
		trial[at].refs++;
		p->slot = (unsigned)at;
	}
	nr.n = n;
	memcpy(m->slot[bank], trial, sizeof(trial));
	m->req[m->nreq++] = nr;
	return 0;
}

static int model_remove(struct model *m, int kind, uint64_t addr, uint64_t len)
{
	struct mreq *r = model_find(m, kind, addr, len);
	if (!r)
		return HWDEBUG_E_NOENT;
	if (--r->refs > 0)
		return 0;
	for (unsigned k = 0; k < r->n; k++) {
		struct mslot *s = &m->slot[r->p[k].bank][r->p[k].slot];
		if (s->refs == 0)
			FAIL("model: slot refcount underflow");
		if (--s->refs == 0)
			memset(s, 0, sizeof(*s));
	}
	unsigned idx = (unsigned)(r - m->req);
	memmove(&m->req[idx], &m->req[idx + 1], (m->nreq - idx - 1) * sizeof(m->req[0]));
	m->nreq--;
	return 0;
}

NOCOV static void model_clear(struct model *m)
{
	memset(m->slot, 0, sizeof(m->slot));
	m->nreq = 0;
}

NOCOV static unsigned model_used(const struct model *m)
{
	unsigned n = 0;
	for (unsigned b = 0; b < 2; b++)
		for (unsigned i = 0; i < m->nslots[b]; i++)
			n += m->slot[b][i].used;
	return n;
}

/* The register set the spec fixes for the model's slots. */
NOCOV static void model_guest_debug(const struct model *m, uint32_t arch, struct vmdbg_guest_debug *g)
{
	memset(g, 0, sizeof(*g));
	g->arch = arch;
	if (model_used(m) == 0)
		return;
	g->control = VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW;
	if (!m->arm) {
		uint64_t dr7 = 1ull << 9 | 1ull << 10;
		for (unsigned n = 0; n < m->nslots[BP]; n++) {
			const struct mslot *s = &m->slot[BP][n];
			if (!s->used)
				continue;
			g->regs.x86.debugreg[n] = s->value;
			dr7 |= 1ull << (2 * n + 1) | (s->ctrl & 3) << (16 + 4 * n) |
			       (s->ctrl >> 2 & 3) << (18 + 4 * n);
		}
		g->regs.x86.debugreg[7] = dr7;
		return;
	}
	for (unsigned i = 0; i < m->nslots[BP]; i++)
		if (m->slot[BP][i].used) {
			g->regs.arm64.dbg_bcr[i] = m->slot[BP][i].ctrl;
			g->regs.arm64.dbg_bvr[i] = m->slot[BP][i].value;
		}
	for (unsigned i = 0; i < m->nslots[WP]; i++)
		if (m->slot[WP][i].used) {
			g->regs.arm64.dbg_wcr[i] = m->slot[WP][i].ctrl;
			g->regs.arm64.dbg_wvr[i] = m->slot[WP][i].value;
		}
}

/* ---- diagnostics ------------------------------------------------------------- */

enum op_type { OP_INSERT, OP_REMOVE, OP_CLEAR, OP_NONE };

struct op {
	enum op_type type;
	int kind;
	uint64_t addr, len;
};

/* What was done so far, printed when a check fails. */
#define LOG_MAX 8192u
static struct logent {
	struct op op;
	bool ok;
	int want;
} oplog[LOG_MAX];
static unsigned nlog;
static uint32_t cur_arch;
static struct hwslots *cur_hs;

static const char *kname(int kind)
{
	switch (kind) {
	case HW_EXEC: return "Z1";
	case HW_WRITE: return "Z2";
	case HW_READ: return "Z3";
	case HW_ACCESS: return "Z4";
	default: return "Z?";
	}
}

NOCOV static void dump_regs(const char *title, const struct vmdbg_guest_debug *g)
{
	fprintf(stderr, "%s: control %#x arch %u\n", title, g->control, g->arch);
	if (cur_arch == VMDBG_ARCH_X86_64) {
		for (unsigned i = 0; i < 8; i++)
			fprintf(stderr, "  DR%u = 0x%016" PRIx64 "\n", i, g->regs.x86.debugreg[i]);
		return;
	}
	for (unsigned i = 0; i < M_SLOTS; i++)
		if (g->regs.arm64.dbg_bcr[i] || g->regs.arm64.dbg_bvr[i])
			fprintf(stderr, "  BP%u: BCR 0x%08" PRIx64 " BVR 0x%016" PRIx64 "\n", i,
				g->regs.arm64.dbg_bcr[i], g->regs.arm64.dbg_bvr[i]);
	for (unsigned i = 0; i < M_SLOTS; i++)
		if (g->regs.arm64.dbg_wcr[i] || g->regs.arm64.dbg_wvr[i])
			fprintf(stderr, "  WP%u: WCR 0x%08" PRIx64 " WVR 0x%016" PRIx64 "\n", i,
				g->regs.arm64.dbg_wcr[i], g->regs.arm64.dbg_wvr[i]);
}

NOCOV static void dump_state(void)
{
	fprintf(stderr, "---- operations (%s, slots bp %u wp %u):\n", M.arm ? "aarch64" : "x86-64",
		M.nslots[BP], M.nslots[WP]);
	for (unsigned i = 0; i < nlog; i++) {
		const struct logent *l = &oplog[i];
		if (l->op.type == OP_CLEAR)
			fprintf(stderr, "%u: clear\n", i);
		else
			fprintf(stderr, "%u: %s %s 0x%016" PRIx64 " %" PRIu64 " -> %s (model: %s, %d)\n", i,
				l->op.type == OP_INSERT ? "insert" : "remove", kname(l->op.kind),
				l->op.addr, l->op.len, l->ok ? "ok" : "error", l->want ? "fails" : "ok",
				l->want);
	}
	fprintf(stderr, "---- model: %u live request(s)\n", M.nreq);
	for (unsigned i = 0; i < M.nreq; i++) {
		const struct mreq *r = &M.req[i];
		fprintf(stderr, "  %s 0x%016" PRIx64 "+%" PRIu64 " x%u:", kname(r->kind), r->addr,
			r->len, r->refs);
		for (unsigned k = 0; k < r->n; k++)
			fprintf(stderr, " [%s%u 0x%" PRIx64 "+%" PRIu64 "]", r->p[k].bank ? "WP" : "BP",
				r->p[k].slot, r->p[k].addr, r->p[k].len);
		fputc('\n', stderr);
	}
	if (cur_hs) {
		struct vmdbg_guest_debug g, e;
		hwslots_guest_debug(cur_hs, &g);
		model_guest_debug(&M, cur_arch, &e);
		dump_regs("---- hwslots registers", &g);
		dump_regs("---- model registers", &e);
		char *d = hwslots_describe(cur_hs);
		fprintf(stderr, "---- hwslots_describe:\n%s", d ? d : "(null)\n");
		g_free(d);
	}
}

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			dump_state();                                          \
			FAIL(__VA_ARGS__);                                     \
		}                                                              \
	} while (0)

/* ---- checks of the registers, independent of the model's slot numbers ------- */

struct rslot {
	int cls;               /* the kind it matches: x86 1 exec, 2 write, 3 rw; AArch64 = enum hw_kind */
	u128 lo, hi;           /* register-space bytes */
};

NOCOV static int kind_class(int kind)
{
	if (!M.arm && kind == HW_READ)
		return HW_ACCESS; /* read watches are programmed as read/write */
	return kind;
}

NOCOV static bool contiguous_bits(uint64_t v, unsigned *first, unsigned *last)
{
	if (!v)
		return false;
	unsigned f = (unsigned)__builtin_ctzll(v), l = 63u - (unsigned)__builtin_clzll(v);
	*first = f;
	*last = l;
	return v == (((l == 63 ? 0 : 1ull << (l + 1)) - 1) & ~((1ull << f) - 1));
}

/* Parses the registers; returns the number of enabled slots. */
NOCOV static unsigned parse_regs(const struct vmdbg_guest_debug *g, struct rslot *out)
{
	unsigned n = 0;
	if (!M.arm) {
		const uint64_t *dr = g->regs.x86.debugreg;
		uint64_t dr7 = dr[7];
		CHECK(dr[4] == 0 && dr[5] == 0 && dr[6] == 0, "x86: DR4-DR6 not 0");
		uint64_t allowed = 1ull << 9 | 1ull << 10;
		for (unsigned i = 0; i < X86_SLOTS; i++)
			allowed |= 1ull << (2 * i + 1) | 0xfull << (16 + 4 * i);
		CHECK((dr7 & ~allowed) == 0, "x86: DR7 0x%" PRIx64 " has bits other than GE, bit 10, Gn, RW/LEN "
		      "(no Ln, no GD)", dr7);
		for (unsigned i = 0; i < X86_SLOTS; i++) {
			uint64_t rw = dr7 >> (16 + 4 * i) & 3, len = dr7 >> (18 + 4 * i) & 3;
			if (!(dr7 & 1ull << (2 * i + 1))) {
				CHECK(rw == 0 && len == 0 && dr[i] == 0,
				      "x86: DR%u disabled but DR%u or its RW/LEN not 0", i, i);
				continue;
			}
			CHECK(i < M.nslots[BP], "x86: DR%u enabled beyond the %u slots", i, M.nslots[BP]);
			CHECK(rw != 2, "x86: DR%u RW=10 (I/O)", i);
			uint64_t size = len == 0 ? 1 : len == 1 ? 2 : len == 3 ? 4 : 8;
			CHECK(rw != 0 || len == 0, "x86: execute breakpoint DR%u with LEN != 00", i);
			CHECK(dr[i] % size == 0, "x86: DR%u 0x%" PRIx64 " not aligned to its length %" PRIu64,
			      i, dr[i], size);
			out[n++] = (struct rslot){ rw == 0 ? HW_EXEC : rw == 1 ? HW_WRITE : HW_ACCESS,
						   dr[i], (u128)dr[i] + size };
		}
		if (n)
			CHECK((dr7 & (1ull << 9 | 1ull << 10)) == (1ull << 9 | 1ull << 10),
			      "x86: DR7 0x%" PRIx64 " without GE and bit 10", dr7);
		else
			CHECK(dr7 == 0, "x86: DR7 0x%" PRIx64 " != 0 with nothing used", dr7);
	} else {
		const struct vmdbg_arm64_debugregs *a = &g->regs.arm64;
		for (unsigned i = 0; i < M_SLOTS; i++) {
			if (a->dbg_bcr[i] == 0) {
				CHECK(a->dbg_bvr[i] == 0, "aarch64: BP%u disabled, BVR not 0", i);
				continue;
			}
			CHECK(i < M.nslots[BP], "aarch64: BP%u enabled beyond the %u slots", i, M.nslots[BP]);
			CHECK(a->dbg_bcr[i] == A64_BCR, "aarch64: BCR%u 0x%" PRIx64 " != 0x1E7", i,
			      a->dbg_bcr[i]);
			uint64_t v = a->dbg_bvr[i];
			CHECK(v % 4 == 0 && sext52(v) == v,
			      "aarch64: BVR%u 0x%" PRIx64 " not 4-aligned or not sign-extended from bit 52", i, v);
			out[n++] = (struct rslot){ HW_EXEC, v, (u128)v + 4 };
		}
		for (unsigned i = 0; i < M_SLOTS; i++) {
			uint64_t c = a->dbg_wcr[i], v = a->dbg_wvr[i];
			if (c == 0) {
				CHECK(v == 0, "aarch64: WP%u disabled, WVR not 0", i);
				continue;
			}
			CHECK(i < M.nslots[WP], "aarch64: WP%u enabled beyond the %u slots", i, M.nslots[WP]);
			CHECK((c & 1) && (c >> 1 & 3) == 3, "aarch64: WCR%u 0x%" PRIx64 ": E or PAC wrong", i, c);
			uint64_t lsc = c >> 3 & 3, bas = c >> 5 & 0xff, mask = c >> 24 & 0x1f;
			CHECK(lsc != 0, "aarch64: WCR%u LSC 00", i);
			CHECK((c & ~(0x1full << 24 | 0x1fffull)) == 0,
			      "aarch64: WCR%u 0x%" PRIx64 " has HMC/SSC/LBN/WT/reserved bits", i, c);
			CHECK(sext52(v) == v, "aarch64: WVR%u 0x%" PRIx64 " not sign-extended from bit 52", i, v);
			u128 lo, hi;
			if (mask == 0) {
				unsigned f, l;
				CHECK(contiguous_bits(bas, &f, &l), "aarch64: WCR%u BAS 0x%" PRIx64 " not contiguous",
				      i, bas);
				CHECK(v % 8 == 0, "aarch64: WVR%u 0x%" PRIx64 " not doubleword aligned", i, v);
				lo = (u128)v + f;
				hi = (u128)v + l + 1;
			} else {
				CHECK(mask >= 4 && mask <= 31,
				      "aarch64: WCR%u MASK %" PRIu64 " (an aligned doubleword is MASK 0)", i, mask);
				CHECK(bas == 0xff, "aarch64: WCR%u MASK with BAS 0x%" PRIx64, i, bas);
				CHECK((v & ((1ull << mask) - 1)) == 0, "aarch64: WVR%u 0x%" PRIx64 " not 2^%" PRIu64
				      " aligned", i, v, mask);
				lo = v;
				hi = (u128)v + (1ull << mask);
			}
			int cls = lsc == 1 ? HW_READ : lsc == 2 ? HW_WRITE : HW_ACCESS;
			out[n++] = (struct rslot){ cls, lo, hi };
		}
	}
	CHECK(g->control == (n ? (VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW) : 0u),
	      "control 0x%x with %u slot(s) enabled", g->control, n);
	CHECK(g->arch == cur_arch, "guest_debug arch %u, expected %u", g->arch, cur_arch);
	return n;
}

/* A request's bytes in register space: x86 as they are; AArch64 one segment
 * per 2^52 block crossed, each sign-extended from bit 52. */
NOCOV static unsigned req_segments(const struct mreq *r, u128 seg[][2])
{
	if (!M.arm) {
		seg[0][0] = r->addr;
		seg[0][1] = (u128)r->addr + r->len;
		return 1;
	}
	unsigned n = 0;
	u128 a = r->addr, end = (u128)r->addr + r->len;
	while (a < end && n < 4) {
		u128 blk_end = ((a >> 52) + 1) << 52;
		u128 e = end < blk_end ? end : blk_end;
		uint64_t s = sext52((uint64_t)a);
		seg[n][0] = s;
		seg[n][1] = (u128)s + (e - a);
		n++;
		a = e;
	}
	return n;
}

NOCOV static void check_semantics(const struct vmdbg_guest_debug *g, unsigned used)
{
	struct rslot rs[2 * M_SLOTS];
	unsigned n = parse_regs(g, rs);
	CHECK(n == used, "hwslots_used() %u but %u slots enabled in the registers", used, n);

	/* every enabled slot inside some live request of its kind */
	for (unsigned i = 0; i < n; i++) {
		bool ok = false;
		for (unsigned j = 0; j < M.nreq && !ok; j++) {
			if (kind_class(M.req[j].kind) != rs[i].cls)
				continue;
			u128 seg[4][2];
			unsigned ns = req_segments(&M.req[j], seg);
			for (unsigned s = 0; s < ns && !ok; s++)
				ok = rs[i].lo >= seg[s][0] && rs[i].hi <= seg[s][1];
		}
		CHECK(ok, "enabled slot (kind %d, 0x%" PRIx64 "..+%" PRIu64 ") lies in no live request",
		      rs[i].cls, (uint64_t)rs[i].lo, (uint64_t)(rs[i].hi - rs[i].lo));
	}
	/* every live request's bytes covered by the slots inside it */
	for (unsigned j = 0; j < M.nreq; j++) {
		const struct mreq *r = &M.req[j];
		u128 seg[4][2];
		unsigned ns = req_segments(r, seg);
		for (unsigned s = 0; s < ns; s++) {
			u128 cur = seg[s][0];
			bool progress = true;
			while (cur < seg[s][1] && progress) {
				progress = false;
				for (unsigned i = 0; i < n; i++) {
					if (rs[i].cls != kind_class(r->kind) || rs[i].lo < seg[s][0] ||
					    rs[i].hi > seg[s][1])
						continue;
					if (rs[i].lo <= cur && rs[i].hi > cur) {
						cur = rs[i].hi;
						progress = true;
					}
				}
			}
			CHECK(cur >= seg[s][1], "%s 0x%" PRIx64 "+%" PRIu64 ": byte 0x%" PRIx64
			      " (register space) not covered by any slot", kname(r->kind), r->addr, r->len,
			      (uint64_t)cur);
		}
	}
}

/* ---- decoding synthetic stops -------------------------------------------------- */

#define ESR(ec)         ((uint64_t)(ec) << 26 | 1ull << 25 | 0x22)
#define ESR_WNR         (1ull << 6)

NOCOV static bool fits(int kind, bool wnr)
{
	return kind == HW_ACCESS || (wnr ? kind == HW_WRITE : kind == HW_READ);
}

NOCOV static bool owns(const struct mreq *r, unsigned bank, unsigned slot)
{
	for (unsigned k = 0; k < r->n; k++)
		if (r->p[k].bank == bank && r->p[k].slot == slot)
			return true;
	return false;
}

NOCOV static void decode(const struct vmdbg_stopped *ev, struct hw_hit *hit)
{
	memset(hit, 0xa5, sizeof(*hit));
	hwslots_decode(cur_hs, ev, hit);
}

NOCOV static void x86_stop(unsigned n, unsigned variant, uint64_t dr7)
{
	struct vmdbg_stopped ev = { .vcpu = 0, .reason = VMDBG_STOP_DEBUG, .pc = 0x1000 };
	uint64_t dr6 = 1ull << n;
	bool bs = variant & 2;
	if (variant & 1)
		dr6 |= 0xffff0ff0ull;    /* reserved bits that read as 1 */
	if (bs)
		dr6 |= 1ull << 14;
	ev.info[0] = 1;                   /* #DB */
	ev.info[1] = dr6;
	ev.info[2] = dr7;
	struct hw_hit hit;
	decode(&ev, &hit);
	bool used = n < M.nslots[BP] && M.slot[BP][n].used;
	if (!used) {
		CHECK(hit.type == (bs ? HW_HIT_STEP : HW_HIT_NONE),
		      "x86 decode DR6 0x%" PRIx64 " (DR%u free): type %d, expected %s", dr6, n, hit.type,
		      bs ? "HW_HIT_STEP" : "HW_HIT_NONE");
		return;
	}
	if (bs && hit.type == HW_HIT_STEP)
		return;   /* a step that also hit DRn: either answer is fine */
	bool exec = (M.slot[BP][n].ctrl & 3) == 0;
	if (exec) {
		CHECK(hit.type == HW_HIT_BREAK, "x86 decode DR6 0x%" PRIx64 " (DR%u execute): type %d",
		      dr6, n, hit.type);
		return;
	}
	CHECK(hit.type == HW_HIT_WATCH, "x86 decode DR6 0x%" PRIx64 " (DR%u watch): type %d", dr6, n,
	      hit.type);
	for (unsigned j = 0; j < M.nreq; j++)
		if (M.req[j].kind == (int)hit.kind && M.req[j].addr == hit.addr && owns(&M.req[j], BP, n))
			return;
	CHECK(false, "x86 decode DR6 0x%" PRIx64 ": %s 0x%" PRIx64 " is no live request owning DR%u",
	      dr6, kname(hit.kind), hit.addr, n);
}

/* AArch64 watchpoint stop: FAR far, WnR wnr. */
NOCOV static void a64_watch_stop(uint64_t far, bool wnr, bool same_el)
{
	struct vmdbg_stopped ev = { .vcpu = 0, .reason = VMDBG_STOP_DEBUG, .pc = 0x400100 };
	ev.info[0] = ESR(same_el ? 0x35 : 0x34) | (wnr ? ESR_WNR : 0);
	ev.info[1] = far;
	struct hw_hit hit;
	decode(&ev, &hit);

	/* an access of up to 16 bytes at FAR (D2.10.5: FAR may be below the
	 * watched bytes), in register space */
	u128 s = sext52(far), e = s + 16;
	bool cand[M_SLOTS] = { false }, contains[M_SLOTS] = { false };
	bool any = false, any_contains = false, any_contains_fit = false, any_fit = false;
	for (unsigned i = 0; i < M.nslots[WP]; i++) {
		const struct mslot *sl = &M.slot[WP][i];
		if (!sl->used || !(sl->lo < e && sl->hi > s))
			continue;
		cand[i] = true;
		contains[i] = sl->lo <= s && s < sl->hi;
		any = true;
		any_contains |= contains[i];
		for (unsigned j = 0; j < M.nreq; j++)
			if (owns(&M.req[j], WP, i) && fits(M.req[j].kind, wnr)) {
				any_fit = true;
				any_contains_fit |= contains[i];
			}
	}
	if (!any) {
		CHECK(hit.type == HW_HIT_NONE,
		      "aarch64 watch decode FAR 0x%" PRIx64 " WnR %d: type %d, but no watched byte within 16 "
		      "bytes: expected HW_HIT_NONE", far, wnr, hit.type);
		return;
	}
	CHECK(hit.type == HW_HIT_WATCH,
	      "aarch64 watch decode FAR 0x%" PRIx64 " WnR %d: type %d, expected HW_HIT_WATCH (a slot "
	      "overlaps an access at FAR%s)", far, wnr, hit.type,
	      any_contains ? "; one contains FAR" : "");
	for (unsigned j = 0; j < M.nreq; j++) {
		const struct mreq *r = &M.req[j];
		if (r->kind != (int)hit.kind || r->addr != hit.addr)
			continue;
		for (unsigned i = 0; i < M.nslots[WP]; i++) {
			if (!cand[i] || !owns(r, WP, i))
				continue;
			if (any_contains && !contains[i])
				continue;
			if ((any_contains ? any_contains_fit : any_fit) && !fits(r->kind, wnr))
				continue;
			return;
		}
	}
	CHECK(false, "aarch64 watch decode FAR 0x%" PRIx64 " WnR %d: %s 0x%" PRIx64 " is not the best "
	      "request (%s%s)", far, wnr, kname(hit.kind), hit.addr,
	      any_contains ? "a live request contains FAR" : "none contains FAR",
	      any_contains_fit || any_fit ? ", one fits WnR" : "");
}

/* AArch64 breakpoint stop at pc (4-aligned, as A64 pcs are). */
NOCOV static void a64_break_stop(uint64_t pc, bool same_el)
{
	struct vmdbg_stopped ev = { .vcpu = 0, .reason = VMDBG_STOP_DEBUG, .pc = pc };
	ev.info[0] = ESR(same_el ? 0x31 : 0x30);
	struct hw_hit hit;
	decode(&ev, &hit);
	bool live = false;
	for (unsigned j = 0; j < M.nreq; j++)
		if (M.req[j].kind == HW_EXEC && sext52(M.req[j].addr) == sext52(pc))
			live = true;
	CHECK(hit.type == (live ? HW_HIT_BREAK : HW_HIT_NONE),
	      "aarch64 breakpoint decode pc 0x%" PRIx64 ": type %d, expected %s", pc, hit.type,
	      live ? "HW_HIT_BREAK" : "HW_HIT_NONE");
}

NOCOV static void other_stops(void)
{
	struct vmdbg_stopped ev = { .vcpu = 0, .reason = VMDBG_STOP_SW_BP, .pc = 0x1000 };
	struct hw_hit hit;
	ev.info[1] = 0xf;               /* DR6 B0-B3, if it were read */
	decode(&ev, &hit);
	CHECK(hit.type == HW_HIT_NONE, "decode of a non-debug stop: type %d", hit.type);
	ev.reason = VMDBG_STOP_DEBUG;
	if (!M.arm) {
		ev.info[1] = 0xffff4ff0ull;  /* BS only */
		decode(&ev, &hit);
		CHECK(hit.type == HW_HIT_STEP, "x86 decode DR6 BS: type %d", hit.type);
		ev.info[1] = 0;
		decode(&ev, &hit);
		CHECK(hit.type == HW_HIT_NONE, "x86 decode DR6 0: type %d", hit.type);
	} else {
		ev.info[0] = ESR(0x32);
		decode(&ev, &hit);
		CHECK(hit.type == HW_HIT_STEP, "aarch64 decode software step: type %d", hit.type);
		ev.info[0] = ESR(0x3c);     /* BRK */
		decode(&ev, &hit);
		CHECK(hit.type == HW_HIT_NONE, "aarch64 decode BRK: type %d", hit.type);
	}
}

NOCOV static void check_decodes(unsigned opno, uint64_t dr7)
{
	if (!M.arm) {
		for (unsigned n = 0; n < X86_SLOTS; n++)
			x86_stop(n, opno + n, dr7);
	} else {
		/* one live request per operation, in turn: at its first byte
		 * (as gdb gave it and sign-extended from bit 52, as the CPU
		 * reports it) and two of (last byte, a middle byte, the same
		 * sign-extended, one past the end, an access ending just below
		 * it, one reaching its first byte, one ending at its last
		 * byte), in turn: all of them every time would be slow */
		if (M.nreq) {
			unsigned j = opno % M.nreq;
			const struct mreq *r = &M.req[j];
			bool flip = (opno / M.nreq) & 1;
			if (r->kind == HW_EXEC) {
				a64_break_stop(r->addr, flip);
				a64_break_stop(sext52(r->addr), !flip);
			} else {
				uint64_t mid = r->addr + ((opno * 7u + j) % r->len);
				uint64_t fars[7] = { r->addr + (r->len - 1), mid, sext52(mid), r->addr + r->len,
						     r->addr - 16, r->addr - 15, r->addr + r->len - 16 };
				a64_watch_stop(r->addr, flip, !flip);
				a64_watch_stop(sext52(r->addr), !flip, !flip);
				a64_watch_stop(fars[opno % 7], !flip, flip);
				a64_watch_stop(fars[(opno + 3) % 7], flip, flip);
			}
		}
	}
	if (opno % 8 == 0)
		other_stops();
}

/* ---- hwslots_describe ---------------------------------------------------------- */

NOCOV static char *describe_checked(unsigned used, bool twice)
{
	char *d = hwslots_describe(cur_hs);
	CHECK(d != NULL, "hwslots_describe returned NULL");
	if (twice) {
		char *d2 = hwslots_describe(cur_hs);
		CHECK(d2 && strcmp(d, d2) == 0, "hwslots_describe: same state, different text");
		g_free(d2);
	}
	unsigned lines = 0;
	for (const char *c = d; *c; c++)
		lines += *c == '\n';
	unsigned want = used + 2 + (M.arm ? 0 : 1);
	CHECK(lines == want, "hwslots_describe: %u lines for %u slots in use, expected %u", lines, used,
	      want);
	return d;
}

/* ---- input --------------------------------------------------------------------- */

struct reader {
	const uint8_t *p;
	size_t n, i;
};

static uint8_t get8(struct reader *r)
{
	return r->i < r->n ? r->p[r->i++] : 0;
}

static const uint64_t bases[32] = {
	0x0,                   0x1000,                0x1004,                0x4000,
	0x10000,               0x3fffffc0,            0x80000000,            0x7fffff00,
	0x100000000,           0x180000000,           0x400000000,           0x000fffffffffff00,
	0x0010000000000000,    0x000ffffffffffff8,    0xfff0000000000000,    0xffefffffffffff80,
	0x00ff800010001000,    0xffff800010001000,    0xffff800000000000,    0x0000ffffffffff00,
	0x7fffffffffffff80,    0x8000000000000000,    0xffffffffffffff80,    0xffffffffffffffc0,
	0xfffffffffffffff8,    0xffffffff80000000,    0xfffffff800000000,    0x0020000000000000,
	0x0030000000000000,    0xab00000000001000,    0x00000000ffffffc0,    0x1ff8,
};

static uint64_t get_addr(struct reader *rd)
{
	uint8_t a = get8(rd);
	int8_t o = (int8_t)get8(rd);
	uint64_t base = bases[a & 31];
	if ((a & 0x20) && M.nreq)
		base = M.req[(a >> 6) % M.nreq].addr;
	unsigned shift = (a >> 6) == 3 ? 12 : (a >> 6) == 2 ? 3 : 0;
	return base + (uint64_t)((int64_t)o * (int64_t)(1ll << shift));
}

static uint64_t get_len(struct reader *rd, uint64_t addr)
{
	uint8_t l = get8(rd);
	static const uint64_t misc[8] = { 17ull << 31, (15ull << 31) + 8, (16ull << 31) - 8, 3ull << 30,
					  0x7ffffff8, 0x80000008, 0xfffffff8, 0x100000008 };
	static const uint64_t huge[8] = { UINT64_MAX, UINT64_MAX - 7, 1ull << 63, 1ull << 53,
					  1ull << 52, 1ull << 35, (1ull << 35) + 8, 0 };
	if (l < 72)
		return l;
	if (l < 136)
		return 1ull << (l - 72);
	if (l < 168)
		return (1ull << (l - 136 + 3)) + 8;
	if (l < 200)
		return (1ull << (l - 168 + 4)) - 8;
	if (l < 216)
		return (uint64_t)(l - 199) << 31;
	if (l < 224)
		return misc[l - 216];
	if (l < 240)
		return (0 - addr) - (l - 224);      /* ends at or just below 2^64 */
	if (l < 248)
		return (0 - addr) + (l - 239);      /* wraps past 2^64 */
	return huge[l - 248];
}

/* ---- the target ---------------------------------------------------------------- */

NOCOV static void do_op(const struct op *op, unsigned opno)
{
	if (op->type == OP_NONE)
		return;
	if (op->type == OP_INSERT && M.nreq >= M_REQS)
		return; /* the model is full: not a case worth checking */
	struct vmdbg_guest_debug before, after, expect;
	hwslots_guest_debug(cur_hs, &before);
	unsigned used_before = hwslots_used(cur_hs);

	/* the model first: what must happen */
	int want = 0;
	if (op->type == OP_INSERT)
		want = model_insert(&M, op->kind, op->addr, op->len);
	else if (op->type == OP_REMOVE)
		want = model_remove(&M, op->kind, op->addr, op->len);
	else
		model_clear(&M);
	/* hwslots_describe() is the slow part (it formats and allocates):
	 * around every 16th failure (atomicity of the request list too) and
	 * every 64th operation; registers and hwslots_used() are compared
	 * around every failure */
	bool describe = opno % (want ? 16 : 64) == 0;
	char *desc_before = describe ? describe_checked(used_before, false) : NULL;

	bool ok = true;
	GError *err = NULL;
	/* every other call without a GError (allowed, and cheaper) */
	GError **errp = opno & 1 ? NULL : &err;
	switch (op->type) {
	case OP_INSERT:
		ok = hwslots_insert(cur_hs, (enum hw_kind)op->kind, op->addr, op->len, errp);
		break;
	case OP_REMOVE:
		ok = hwslots_remove(cur_hs, (enum hw_kind)op->kind, op->addr, op->len, errp);
		break;
	default:
		hwslots_clear(cur_hs);
		break;
	}
	if (nlog < LOG_MAX)
		oplog[nlog++] = (struct logent){ *op, ok, want };

	CHECK(ok == (want == 0), "%s returned %s, the model says it %s (model error %d)",
	      op->type == OP_INSERT ? "insert" : "remove", ok ? "true" : "false",
	      want ? "fails" : "succeeds", want);
	if (ok || !errp) {
		CHECK(err == NULL, "success with an error set");
	} else {
		CHECK(err != NULL, "failure without an error");
		CHECK(err->domain == HWDEBUG_ERROR, "error domain is not HWDEBUG_ERROR");
		CHECK(err->code == want, "error code %d (%s), the model expects %d", err->code,
		      err->message, want);
	}
	g_clear_error(&err);

	unsigned used = hwslots_used(cur_hs);
	hwslots_guest_debug(cur_hs, &after);
	char *desc_after = describe ? describe_checked(used, opno % 128 == 0) : NULL;
	if (!ok) {
		CHECK(memcmp(&before, &after, sizeof(before)) == 0,
		      "a failed call changed the registers (not atomic)");
		CHECK(used == used_before, "a failed call changed hwslots_used %u -> %u", used_before, used);
		CHECK(!describe || strcmp(desc_before, desc_after) == 0,
		      "a failed call changed hwslots_describe");
	}
	g_free(desc_before);
	g_free(desc_after);

	CHECK(used == model_used(&M), "hwslots_used() %u, the model uses %u slots", used, model_used(&M));
	model_guest_debug(&M, cur_arch, &expect);
	CHECK(memcmp(&after, &expect, sizeof(after)) == 0,
	      "hwslots_guest_debug differs from the model's registers");
	check_semantics(&after, used);
	if (M.nreq == 0)
		CHECK(used == 0 && after.control == 0, "nothing live but slots in use");
	check_decodes(opno, after.regs.x86.debugreg[7]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader rd = { data, size, 0 };
	if (size < 2)
		return 0;
	uint8_t b0 = get8(&rd), b1 = get8(&rd);
	unsigned bps, wps;
	model_clear(&M);
	M.arm = b0 & 1;
	unsigned sel = b0 >> 1 & 7;
	if (!M.arm) {
		static const unsigned x86_counts[8] = { 4, 4, 4, 4, 0, 2, 3, 9 };
		cur_arch = VMDBG_ARCH_X86_64;
		bps = x86_counts[sel];
		wps = b1 & 31;   /* ignored: one shared bank */
		M.nslots[BP] = bps < X86_SLOTS ? bps : X86_SLOTS;
		M.nslots[WP] = 0;
		cur_hs = hwslots_new(VMDBG_ARCH_X86_64, bps, wps, true);
	} else {
		cur_arch = VMDBG_ARCH_AARCH64;
		bps = (b1 & 15) + 1u;
		wps = (b1 >> 4) + 1u;
		if (sel == 6)
			bps = wps = 0;
		else if (sel == 7)
			bps = 40, wps = 17;
		M.nslots[BP] = bps < M_SLOTS ? bps : M_SLOTS;
		M.nslots[WP] = wps < M_SLOTS ? wps : M_SLOTS;
		cur_hs = hwslots_new(VMDBG_ARCH_AARCH64, bps, wps, false);
	}
	REQUIRE(cur_hs != NULL);
	nlog = 0;

	/* the empty state */
	{
		struct vmdbg_guest_debug g, zero;
		hwslots_guest_debug(cur_hs, &g);
		memset(&zero, 0, sizeof(zero));
		zero.arch = cur_arch;
		CHECK(memcmp(&g, &zero, sizeof(g)) == 0, "a new hwslots does not commit all zeros");
		CHECK(hwslots_used(cur_hs) == 0, "a new hwslots uses slots");
		g_free(describe_checked(0, false));
	}

	struct op last = { OP_NONE, 0, 0, 0 };
	unsigned opno = 0;
	while (rd.i < rd.n && opno < 4096) {
		uint8_t c = get8(&rd);
		unsigned t = c & 15, k = c >> 4;
		int kind = (int)(k & 3) + 1;
		if (k == 14)
			kind = 0;
		else if (k == 15)
			kind = 5;
		struct op op = { OP_NONE, kind, 0, 0 };
		switch (t) {
		case 0: case 1: case 2: case 3: case 4: case 5:
			op.type = OP_INSERT;
			op.addr = get_addr(&rd);
			op.len = get_len(&rd, op.addr);
			break;
		case 6: case 7:
			op.type = OP_REMOVE;
			op.addr = get_addr(&rd);
			op.len = get_len(&rd, op.addr);
			break;
		case 8:   /* remove a live request */
		case 9: { /* insert a live request again */
			uint8_t i = get8(&rd);
			if (!M.nreq)
				break;
			const struct mreq *r = &M.req[i % M.nreq];
			op = (struct op){ t == 8 ? OP_REMOVE : OP_INSERT, r->kind, r->addr, r->len };
			break;
		}
		case 10: { /* near a live request: overlaps, shared pieces, aliases */
			uint8_t i = get8(&rd);
			int8_t o = (int8_t)get8(&rd);
			uint64_t base = M.nreq ? M.req[i % M.nreq].addr : bases[i & 31];
			if (i & 0x80)
				base ^= 1ull << 53;   /* same DBGxVR: an alias above bit 52 */
			op.type = OP_INSERT;
			op.addr = base + (uint64_t)(int64_t)o;
			op.len = get_len(&rd, op.addr);
			break;
		}
		case 11:  /* repeat the last operation */
			op = last;
			break;
		case 12: { /* a synthetic stop */
			uint8_t s = get8(&rd);
			uint64_t a = get_addr(&rd);
			if (!M.arm) {
				struct vmdbg_guest_debug g;
				hwslots_guest_debug(cur_hs, &g);
				x86_stop(s & 3, s >> 2, g.regs.x86.debugreg[7]);
			} else if (s & 1)
				a64_break_stop(a & ~3ull, s & 2);
			else
				a64_watch_stop(a, s & 2, s & 4);
			break;
		}
		case 13:
			if (k == 0)
				op.type = OP_CLEAR;
			break;
		default: { /* 14, 15: a hardware breakpoint as gdb sends it */
			op.type = OP_INSERT;
			op.kind = HW_EXEC;
			op.addr = get_addr(&rd);
			if (M.arm)
				op.addr &= ~3ull;
			op.len = M.arm ? 4 : 1;
			if (t == 15 && (k & 1)) { /* and remove one */
				op.type = OP_REMOVE;
				if (M.nreq && (k & 2)) {
					const struct mreq *r = &M.req[op.addr % M.nreq];
					op = (struct op){ OP_REMOVE, r->kind, r->addr, r->len };
				}
			}
			break;
		}
		}
		if (op.type != OP_NONE) {
			do_op(&op, opno);
			last = op;
		}
		opno++;
	}

	/* the richest state: hwslots_describe() once more */
	g_free(describe_checked(hwslots_used(cur_hs), true));

	/* remove everything: all registers 0 */
	while (M.nreq) {
		struct op op = { OP_REMOVE, M.req[M.nreq - 1].kind, M.req[M.nreq - 1].addr,
				 M.req[M.nreq - 1].len };
		do_op(&op, opno++);
	}
	{
		struct vmdbg_guest_debug g, zero;
		hwslots_guest_debug(cur_hs, &g);
		memset(&zero, 0, sizeof(zero));
		zero.arch = cur_arch;
		CHECK(memcmp(&g, &zero, sizeof(g)) == 0, "everything removed but registers not all 0");
		CHECK(hwslots_used(cur_hs) == 0, "everything removed but slots in use");
	}
	hwslots_free(cur_hs);
	cur_hs = NULL;
	return 0;
}
