/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-vm-core.c - unit tests of dbgproxy-vm's pure parts: the x86 page
 * walker, the register-id mapping and the software breakpoint table.  No
 * KVM needed.  The boot loaders have their own, test-vm-boot.c.
 */
#include <string.h>
#include <glib.h>

#include "vm-debugstate.h"
#include "x86-paging.h"
#include "vm-x86regs.h"
#include "vmdbg.h"

/* ---- page walker ------------------------------------------------------------ */

#define MEM_SIZE (8u << 20)
#define P 1ull
#define RW 2ull
#define PS 0x80ull

static uint8_t *pmem;

static void put64(uint64_t addr, uint64_t v)
{
	memcpy(pmem + addr, &v, 8);
}

static void put32(uint64_t addr, uint32_t v)
{
	memcpy(pmem + addr, &v, 4);
}

static void check_map(const struct x86_paging *pg, uint64_t gva, uint64_t want_gpa,
		      uint64_t want_contig)
{
	uint64_t gpa = 0, contig = 0;
	g_assert_true(x86_translate(pg, pmem, MEM_SIZE, gva, &gpa, &contig));
	g_assert_cmphex(gpa, ==, want_gpa);
	g_assert_cmphex(contig, ==, want_contig);
}

static void check_unmapped(const struct x86_paging *pg, uint64_t gva)
{
	uint64_t gpa, contig;
	g_assert_false(x86_translate(pg, pmem, MEM_SIZE, gva, &gpa, &contig));
}

static void test_paging_off(void)
{
	pmem = g_malloc0(MEM_SIZE);
	struct x86_paging pg = { .cr0 = X86_CR0_PE };
	check_map(&pg, 0x1234, 0x1234, 4096 - 0x234);
	check_map(&pg, 0xfffff000, 0xfffff000, 4096);
	check_unmapped(&pg, 0x100000000ull); /* 32-bit linear addresses only */
	g_free(pmem);
}

/* 4-level: PML4 at 0x1000, PDPT 0x2000, PD 0x3000, PT 0x4000. */
static void build_4level(void)
{
	uint64_t gva = 0x00007f8040201000ull; /* indexes 255, 1, 1, 1 */
	put64(0x1000 + 8 * 255, 0x2000 | P | RW);
	put64(0x2000 + 8 * 1, 0x3000 | P | RW);
	put64(0x3000 + 8 * 1, 0x4000 | P | RW);
	put64(0x4000 + 8 * 1, 0x5000 | P | RW);
	(void)gva;
	/* a 2 MiB page: PD index 2 -> 0x400000 */
	put64(0x3000 + 8 * 2, 0x400000 | P | RW | PS);
	/* a 1 GiB page: PDPT index 3 (base 0, inside our small memory for the test) */
	put64(0x2000 + 8 * 3, 0x0 | P | RW | PS);
	/* kernel half: PML4 index 511 -> same PDPT */
	put64(0x1000 + 8 * 511, 0x2000 | P | RW);
	/* an entry pointing outside memory */
	put64(0x3000 + 8 * 5, 0x80000000ull | P | RW);
}

static void test_paging_4level(void)
{
	pmem = g_malloc0(MEM_SIZE);
	build_4level();
	struct x86_paging pg = { .cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = 0x1000,
				 .cr4 = X86_CR4_PAE, .efer = X86_EFER_LMA };
	check_map(&pg, 0x00007f8040201000ull, 0x5000, 4096);
	check_map(&pg, 0x00007f8040201ff8ull, 0x5ff8, 8);
	check_map(&pg, 0x00007f8040400000ull + 0x1234, 0x401234, (2u << 20) - 0x1234);
	check_map(&pg, 0x00007f80c0000000ull + 0x12345, 0x12345, (1u << 30) - 0x12345);
	/* the same tables seen from the top of the address space */
	check_map(&pg, 0xffffff8040201010ull, 0x5010, 4096 - 0x10);
	check_unmapped(&pg, 0x00007f8040202000ull);    /* PTE not present */
	check_unmapped(&pg, 0x0000000000001000ull);    /* PML4E not present */
	check_unmapped(&pg, 0x0000800000000000ull);    /* not canonical */
	check_unmapped(&pg, 0x00007f8040a00000ull);    /* PD entry points outside memory */
	/* a CR3 outside guest memory */
	pg.cr3 = 0x10000000;
	check_unmapped(&pg, 0x00007f8040201000ull);
	g_free(pmem);
}

static void test_paging_5level(void)
{
	pmem = g_malloc0(MEM_SIZE);
	build_4level();
	/* PML5 at 0x6000, index 1 -> the PML4 above */
	put64(0x6000 + 8 * 1, 0x1000 | P | RW);
	struct x86_paging pg = { .cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = 0x6000,
				 .cr4 = X86_CR4_PAE | X86_CR4_LA57, .efer = X86_EFER_LMA };
	uint64_t gva = (1ull << 48) | 0x00007f8040201000ull;
	check_map(&pg, gva, 0x5000, 4096);
	/* canonical for 4 levels, but bit 56 sign rule under LA57 */
	check_unmapped(&pg, 0x0100000000000000ull);
	g_free(pmem);
}

static void test_paging_pae(void)
{
	pmem = g_malloc0(MEM_SIZE);
	/* PDPT at 0x1020 (32-byte aligned), PD at 0x2000, PT at 0x3000 */
	put64(0x1020 + 8 * 2, 0x2000 | P);
	put64(0x2000 + 8 * 3, 0x3000 | P | RW);
	put64(0x3000 + 8 * 4, 0x7000 | P | RW);
	put64(0x2000 + 8 * 4, 0x600000 | P | RW | PS);
	struct x86_paging pg = { .cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = 0x1020, .cr4 = X86_CR4_PAE };
	check_map(&pg, 0x80604abcull, 0x7abc, 4096 - 0xabc);
	check_map(&pg, 0x80812345ull, 0x612345, (2u << 20) - 0x12345);
	check_unmapped(&pg, 0x00000000ull);
	check_unmapped(&pg, 0x100000000ull);
	g_free(pmem);
}

static void test_paging_32bit(void)
{
	pmem = g_malloc0(MEM_SIZE);
	/* PD at 0x1000, PT at 0x2000 */
	put32(0x1000 + 4 * 3, 0x2000 | P);
	put32(0x2000 + 4 * 5, 0x9000 | P);
	put32(0x1000 + 4 * 4, 0x400000 | P | PS); /* 4 MiB page */
	struct x86_paging pg = { .cr0 = X86_CR0_PE | X86_CR0_PG, .cr3 = 0x1000, .cr4 = X86_CR4_PSE };
	check_map(&pg, 0x00c05123ull, 0x9123, 4096 - 0x123);
	check_map(&pg, 0x01012345ull, 0x412345, (4u << 20) - 0x12345);
	/* without CR4.PSE the PS bit is ignored: the entry points at a page
	 * table (at 0x400000, all zero), so the address is not mapped */
	pg.cr4 = 0;
	check_unmapped(&pg, 0x01012345ull);
	put32(0x400000 + 4 * 0x12, 0xa000 | P);
	check_map(&pg, 0x01012345ull, 0xa345, 4096 - 0x345);
	check_unmapped(&pg, 0x00400000ull); /* PD index 1 not present */
	g_free(pmem);
}

/* ---- register mapping ------------------------------------------------------------- */

static const struct x86_xsave_layout avx_layout = { .avx = true, .ymmh_off = 576 };
static const struct x86_xsave_layout avx512_layout = {
	.avx = true, .avx512 = true, .ymmh_off = 576, .k_off = 1088, .zmmh_off = 1152,
	.hi16_off = 1664,
};

static void test_reg_list(void)
{
	struct x86_xsave_layout none = { 0 };
	size_t base = x86_reg_list(&none, NULL);
	g_assert_cmpuint(base, ==, 18 + 9 + 6 + 16 + 17);
	g_assert_cmpuint(x86_reg_list(&avx_layout, NULL), ==, base + 16);
	g_assert_cmpuint(x86_reg_list(&avx512_layout, NULL), ==, base + 16 + 40);
	g_assert_cmpuint(x86_reg_list(&avx512_layout, NULL), <=, X86_REG_MAX);
	uint64_t ids[X86_REG_MAX];
	size_t n = x86_reg_list(&avx512_layout, ids);
	GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
	for (size_t i = 0; i < n; i++) {
		g_assert_true((ids[i] & VMDBG_REG_ARCH_MASK) == VMDBG_REG_ARCH_X86);
		g_assert_cmpuint(vmdbg_reg_bytes(ids[i]), >=, 2);
		g_assert_false(g_hash_table_contains(seen, &ids[i]));
		g_hash_table_add(seen, &ids[i]);
		g_assert_cmpuint(x86_reg_part(&avx512_layout, ids[i]), !=, 0);
	}
	g_hash_table_unref(seen);
	g_assert_cmpuint(x86_reg_part(&none, VMDBG_X86_YMMH(0)), ==, 0);
	g_assert_cmpuint(x86_reg_part(&none, VMDBG_X86_RIP), ==, X86_PART_REGS);
	g_assert_cmpuint(x86_reg_part(&none, VMDBG_X86_CR(3)), ==, X86_PART_SREGS);
	g_assert_cmpuint(x86_reg_part(&none, VMDBG_X86_K_GS_BASE), ==, X86_PART_MSRS);
	g_assert_cmpuint(x86_reg_part(&none, VMDBG_X86_XMM(0)), ==, X86_PART_XSAVE);
	g_assert_cmpuint(x86_reg_part(&none, VMDBG_X86_CR(1)), ==, 0);
}

static void test_reg_roundtrip(void)
{
	struct x86_vcpu_state *st = g_new0(struct x86_vcpu_state, 1);
	uint64_t ids[X86_REG_MAX];
	size_t n = x86_reg_list(&avx512_layout, ids);
	for (size_t i = 0; i < n; i++) {
		uint8_t in[256], out[256];
		uint32_t size = vmdbg_reg_bytes(ids[i]);
		for (uint32_t b = 0; b < size; b++)
			in[b] = (uint8_t)(i * 13 + b + 1);
		if (ids[i] & VMDBG_X86_F80)
			memset(in + 10, 0, 6);
		if (ids[i] == VMDBG_X86_FOP)
			in[1] &= 7;
		if (ids[i] == VMDBG_X86_FTAG)
			continue; /* derived, tested below */
		x86_reg_write(&avx512_layout, st, ids[i], in);
		x86_reg_read(&avx512_layout, st, ids[i], out);
		g_assert_cmpmem(in, size, out, size);
	}
	/* the registers land where KVM keeps them */
	uint8_t v[8] = { 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
	x86_reg_write(&avx512_layout, st, VMDBG_X86_GPR(7), v);
	g_assert_cmphex(st->regs.rsp, ==, 0x1122334455667788ull);
	x86_reg_write(&avx512_layout, st, VMDBG_X86_CR(3), v);
	g_assert_cmphex(st->sregs.cr3, ==, 0x1122334455667788ull);
	x86_reg_write(&avx512_layout, st, VMDBG_X86_FS_BASE, v);
	g_assert_cmphex(st->sregs.fs.base, ==, 0x1122334455667788ull);
	/* eflags is 32 bits wide: the upper half of rflags is kept */
	st->regs.rflags = 0xaaaaaaaa00000000ull;
	x86_reg_write(&avx512_layout, st, VMDBG_X86_RFLAGS, v);
	g_assert_cmphex(st->regs.rflags, ==, 0xaaaaaaaa55667788ull);
	const uint8_t *xs = (const uint8_t *)st->xsave.region;
	x86_reg_write(&avx512_layout, st, VMDBG_X86_K(3), v);
	g_assert_cmpmem(xs + 1088 + 24, 8, v, 8);
	uint64_t bv;
	memcpy(&bv, xs + 512, 8);
	g_assert_cmphex(bv & 0xe7, ==, 0xe7); /* x87 SSE YMM opmask ZMM_Hi256 Hi16_ZMM */
	g_free(st);
}

static void test_reg_x87_tags(void)
{
	struct x86_vcpu_state *st = g_new0(struct x86_vcpu_state, 1);
	uint8_t *fx = (uint8_t *)st->xsave.region;
	/* TOP = 6: st0 is physical register 6, st1 physical 7 */
	uint16_t fsw = 6 << 11;
	memcpy(fx + 2, &fsw, 2);
	fx[4] = (1 << 6) | (1 << 7) | (1 << 0); /* physical 6, 7, 0 in use */
	/* st0 = 1.0 (valid), st1 = 0.0 (zero), st2 (physical 0) = infinity (special) */
	uint8_t one[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f };
	uint8_t inf[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f };
	memcpy(fx + 32 + 16 * 0, one, 10);
	memcpy(fx + 32 + 16 * 2, inf, 10);
	uint8_t out[2];
	x86_reg_read(&avx_layout, st, VMDBG_X86_FTAG, out);
	uint16_t tag = (uint16_t)(out[0] | out[1] << 8);
	/* physical 6: valid(0), 7: zero(1), 0: special(2), others empty(3) */
	uint16_t want = (uint16_t)(2 << 0 | 3 << 2 | 3 << 4 | 3 << 6 | 3 << 8 | 3 << 10 | 0 << 12 | 1 << 14);
	g_assert_cmphex(tag, ==, want);
	/* writing a full tag word keeps "empty or not" per register */
	uint8_t in[2] = { 0xff, 0x3f }; /* physical 7 valid, all others empty */
	x86_reg_write(&avx_layout, st, VMDBG_X86_FTAG, in);
	g_assert_cmphex(fx[4], ==, 0x80);
	g_free(st);
}

/* ---- software breakpoint table ------------------------------------------------------ */

static void test_debug_state(void)
{
	struct debug_state *s = debug_state_new();
	g_assert_cmpuint(s->nr_sw, ==, 0);
	g_assert_cmpint(debug_state_find(s, 0x1000), ==, -1);
	uint64_t addrs[] = { 0x5000, 0x1000, 0x3000, 0x2000, 0x4000 };
	for (unsigned i = 0; i < G_N_ELEMENTS(addrs); i++) {
		struct debug_state *n = debug_state_clone(s, 1);
		g_assert_cmpuint(n->generation, ==, s->generation + 1);
		struct sw_bp bp = { addrs[i], addrs[i] + 0xffff0000, (uint8_t)i };
		debug_state_insert(n, &bp);
		g_free(s);
		s = n;
	}
	for (size_t i = 0; i + 1 < s->nr_sw; i++)
		g_assert_cmphex(s->sw[i].gpa, <, s->sw[i + 1].gpa);
	g_assert_cmpint(debug_state_find(s, 0x3000), ==, 2);
	g_assert_cmpuint(s->sw[2].orig, ==, 2);
	g_assert_cmpint(debug_state_find(s, 0x3001), ==, -1);
	g_assert_cmpuint(debug_state_lower_bound(s, 0x2800), ==, 2);
	g_assert_cmpuint(debug_state_lower_bound(s, 0x9000), ==, 5);
	debug_state_remove(s, 0);
	g_assert_cmpuint(s->nr_sw, ==, 4);
	g_assert_cmphex(s->sw[0].gpa, ==, 0x2000);
	debug_state_remove(s, 3);
	g_assert_cmphex(s->sw[s->nr_sw - 1].gpa, ==, 0x4000);
	g_free(s);
}

/* An int3 exit: ours, the guest's, or a breakpoint removed while the
 * vCPU ran (issue 12: it must re-run the restored instruction, not kill
 * the guest or hand the guest a #BP it never executed). */
static void test_int3_verdict(void)
{
	struct debug_state *empty = debug_state_new();
	struct debug_state *s = debug_state_clone(empty, 1);
	g_free(empty);
	debug_state_insert(s, &(struct sw_bp){ .gpa = 0x2000, .gva = 0x2000, .orig = 0x55 });
	static const uint8_t cc[] = { 0xcc, 0x90 }, cd3[] = { 0xcd, 0x03 }, cd4[] = { 0xcd, 0x04 },
			     push[] = { 0x55, 0x48 };
	/* patched by us: ours, whatever memory says (the VM hides it) */
	g_assert_cmpint(debug_state_int3_verdict(s, 0x2000, cc, 2, false), ==, INT3_OURS);
	g_assert_cmpint(debug_state_int3_verdict(s, 0x2000, push, 2, true), ==, INT3_OURS);
	/* not ours, an int3 there: the guest's (both encodings) */
	g_assert_cmpint(debug_state_int3_verdict(s, 0x3000, cc, 2, false), ==, INT3_GUEST);
	g_assert_cmpint(debug_state_int3_verdict(s, 0x3000, cd3, 2, false), ==, INT3_GUEST);
	g_assert_cmpint(debug_state_int3_verdict(s, 0x3000, cc, 1, true), ==, INT3_GUEST);
	/* CD at the last readable byte: not known to be int 3 */
	g_assert_cmpint(debug_state_int3_verdict(s, 0x3000, cd3, 1, false), ==, INT3_RERUN);
	g_assert_cmpint(debug_state_int3_verdict(s, 0x3000, cd4, 2, false), ==, INT3_RERUN);
	/* restored under a running vCPU: run the original instruction, once */
	g_assert_cmpint(debug_state_int3_verdict(s, 0x3000, push, 2, false), ==, INT3_RERUN);
	g_assert_cmpint(debug_state_int3_verdict(s, 0x3000, push, 2, true), ==, INT3_FAIL);
	g_assert_cmpint(debug_state_int3_verdict(s, 0x3000, NULL, 0, false), ==, INT3_FAIL);
	g_assert_cmpint(debug_state_int3_verdict(NULL, 0x2000, push, 2, false), ==, INT3_RERUN);
	g_free(s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/paging/off", test_paging_off);
	g_test_add_func("/paging/4-level", test_paging_4level);
	g_test_add_func("/paging/5-level", test_paging_5level);
	g_test_add_func("/paging/pae", test_paging_pae);
	g_test_add_func("/paging/32-bit", test_paging_32bit);
	g_test_add_func("/x86regs/list", test_reg_list);
	g_test_add_func("/x86regs/roundtrip", test_reg_roundtrip);
	g_test_add_func("/x86regs/x87-tags", test_reg_x87_tags);
	g_test_add_func("/debugstate/table", test_debug_state);
	g_test_add_func("/debugstate/int3-verdict", test_int3_verdict);
	return g_test_run();
}
