/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-arch-x86.c - the i386 view of an x86-64 VM (arch_i386) and the
 * choice between it and x86-64 (arch_x86_for_mode).
 *
 * The expectations come from gdb, not from src/dbgproxyd/core/arch-x86.c:
 *   - gdb/features/i386/32bit-core.xml: eax ecx edx ebx esp ebp esi edi eip
 *     eflags cs ss ds es fs gs (32 bits each), st0-st7 (80), fctrl fstat ftag
 *     fiseg fioff foseg fooff fop (32), in that order from regnum 0;
 *   - 32bit-sse.xml: xmm0-xmm7 (128) from regnum 32, then mxcsr (32);
 *   - 32bit-avx.xml: ymm0h-ymm7h (128); 32bit-avx512.xml: k0-k7 (64),
 *     zmm0h-zmm7h (256); gdb's i386_validate_tdesc_p rejects avx without
 *     sse and avx512 without avx;
 *   - so a g packet of core and sse is 16*4 + 8*10 + 8*4 + 8*16 + 4 = 308
 *     bytes (gdb 13.1 `maint print remote-registers` agrees);
 *   - the VM's GPR ids are in gdb's amd64 order, rax rbx rcx rdx rsi rdi rbp
 *     rsp (proto/vmdbg.h), so eax is GPR(0) but ecx is GPR(2), esp GPR(7);
 *   - long mode is active iff EFER.LMA (bit 10), set by the processor when
 *     CR0.PG (bit 31) is set with EFER.LME (bit 8) (Intel SDM Vol. 3A 2.2.1,
 *     "Initializing IA-32e Mode").
 * The VM register lists are what src/dbgproxy-vm/core/vm-x86regs.c serves (x86_reg_list).
 */
#include <string.h>
#include <glib.h>

#include "arch.h"
#include "regs.h"
#include "tdesc.h"
#include "vm-x86regs.h"
#include "vmdbg.h"

#define F_CORE "org.gnu.gdb.i386.core"
#define F_SSE  "org.gnu.gdb.i386.sse"
#define F_AVX  "org.gnu.gdb.i386.avx"
#define F_512  "org.gnu.gdb.i386.avx512"

struct want {
	const char *name;
	unsigned bits;
	const char *feature;  /* NULL: our own system feature */
};

/* 32bit-core.xml and 32bit-sse.xml, in order */
static const struct want gdb_core_sse[] = {
	{ "eax", 32, F_CORE },    { "ecx", 32, F_CORE },   { "edx", 32, F_CORE },
	{ "ebx", 32, F_CORE },    { "esp", 32, F_CORE },   { "ebp", 32, F_CORE },
	{ "esi", 32, F_CORE },    { "edi", 32, F_CORE },   { "eip", 32, F_CORE },
	{ "eflags", 32, F_CORE }, { "cs", 32, F_CORE },    { "ss", 32, F_CORE },
	{ "ds", 32, F_CORE },     { "es", 32, F_CORE },    { "fs", 32, F_CORE },
	{ "gs", 32, F_CORE },     { "st0", 80, F_CORE },   { "st1", 80, F_CORE },
	{ "st2", 80, F_CORE },    { "st3", 80, F_CORE },   { "st4", 80, F_CORE },
	{ "st5", 80, F_CORE },    { "st6", 80, F_CORE },   { "st7", 80, F_CORE },
	{ "fctrl", 32, F_CORE },  { "fstat", 32, F_CORE }, { "ftag", 32, F_CORE },
	{ "fiseg", 32, F_CORE },  { "fioff", 32, F_CORE }, { "foseg", 32, F_CORE },
	{ "fooff", 32, F_CORE },  { "fop", 32, F_CORE },
	{ "xmm0", 128, F_SSE },   { "xmm1", 128, F_SSE },  { "xmm2", 128, F_SSE },
	{ "xmm3", 128, F_SSE },   { "xmm4", 128, F_SSE },  { "xmm5", 128, F_SSE },
	{ "xmm6", 128, F_SSE },   { "xmm7", 128, F_SSE },  { "mxcsr", 32, F_SSE },
};

static const struct want gdb_avx[] = {
	{ "ymm0h", 128, F_AVX }, { "ymm1h", 128, F_AVX }, { "ymm2h", 128, F_AVX },
	{ "ymm3h", 128, F_AVX }, { "ymm4h", 128, F_AVX }, { "ymm5h", 128, F_AVX },
	{ "ymm6h", 128, F_AVX }, { "ymm7h", 128, F_AVX },
};

static const struct want gdb_avx512[] = {
	{ "k0", 64, F_512 },     { "k1", 64, F_512 },     { "k2", 64, F_512 },
	{ "k3", 64, F_512 },     { "k4", 64, F_512 },     { "k5", 64, F_512 },
	{ "k6", 64, F_512 },     { "k7", 64, F_512 },     { "zmm0h", 256, F_512 },
	{ "zmm1h", 256, F_512 }, { "zmm2h", 256, F_512 }, { "zmm3h", 256, F_512 },
	{ "zmm4h", 256, F_512 }, { "zmm5h", 256, F_512 }, { "zmm6h", 256, F_512 },
	{ "zmm7h", 256, F_512 },
};

/* The system registers a 32-bit guest has: whole, as the VM holds them
 * (CR8 and KERNEL_GS_BASE exist only in 64-bit mode). */
static const struct want system_regs[] = {
	{ "cr0", 64, NULL }, { "cr2", 64, NULL }, { "cr3", 64, NULL },
	{ "cr4", 64, NULL }, { "efer", 64, NULL },
};

/* What the VM serves for a vCPU with or without AVX / AVX-512. */
static GArray *served_ids(bool avx, bool avx512)
{
	struct x86_xsave_layout l = { .avx = avx, .avx512 = avx512 };
	uint64_t ids[X86_REG_MAX];
	size_t n = x86_reg_list(&l, ids);
	GArray *a = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	g_array_append_vals(a, ids, (guint)n);
	return a;
}

static struct tdesc *parse(const char *xml)
{
	GError *err = NULL;
	struct tdesc *td = tdesc_parse("target.xml", xml, strlen(xml), NULL, &err);
	g_assert_no_error(err);
	return td;
}

static struct regset *regset_for(const struct tdesc *td, const GArray *ids)
{
	GError *err = NULL;
	struct regset *rs = regset_new(td, &arch_i386, ids, &err);
	g_assert_no_error(err);
	return rs;
}

/* Check the next n registers of the description against gdb's list. */
static unsigned expect_regs(const struct tdesc *td, unsigned at, const struct want *w, unsigned n,
			    size_t *g_bytes)
{
	for (unsigned i = 0; i < n; i++, at++) {
		g_assert_cmpuint(at, <, td->regs->len);
		const struct tdesc_reg *r = &g_array_index(td->regs, struct tdesc_reg, at);
		g_assert_cmpstr(r->name, ==, w[i].name);
		g_assert_cmpuint(r->bitsize, ==, w[i].bits);
		g_assert_cmpuint(r->regnum, ==, at);
		if (w[i].feature)
			g_assert_cmpstr(r->feature, ==, w[i].feature);
		else
			g_assert_cmpstr(r->group, ==, "system");
		*g_bytes += w[i].bits / 8;
	}
	return at;
}

static void check_description(bool avx, bool avx512)
{
	GArray *ids = served_ids(avx, avx512);
	char *xml = arch_i386.default_tdesc(ids, NULL, NULL);
	struct tdesc *td = parse(xml);
	g_assert_cmpstr(td->architecture, ==, "i386");
	g_assert_true(tdesc_require(td, arch_i386.required, "i386 debugging", NULL));

	size_t g_bytes = 0;
	unsigned at = expect_regs(td, 0, gdb_core_sse, G_N_ELEMENTS(gdb_core_sse), &g_bytes);
	g_assert_cmpuint(g_bytes, ==, 308);
	if (avx)
		at = expect_regs(td, at, gdb_avx, G_N_ELEMENTS(gdb_avx), &g_bytes);
	if (avx512)
		at = expect_regs(td, at, gdb_avx512, G_N_ELEMENTS(gdb_avx512), &g_bytes);
	at = expect_regs(td, at, system_regs, G_N_ELEMENTS(system_regs), &g_bytes);
	g_assert_cmpuint(at, ==, td->regs->len);
	/* 64-bit-only state and the segments feature (see arch-x86.c) are absent */
	static const char *const absent[] = { "rax", "rip", "r8", "xmm8", "ymm8h", "zmm16h", "cr8",
					      "k_gs_base", "fs_base", "gs_base" };
	for (unsigned i = 0; i < G_N_ELEMENTS(absent); i++)
		g_assert_null(tdesc_find(td, absent[i]));
	g_assert_null(strstr(xml, "org.gnu.gdb.i386.segments"));

	/* the g packet as gdb 13.1 sizes it for this description */
	g_assert_cmpuint(g_bytes, ==, 308 + 40 + (avx ? 128 : 0) + (avx512 ? 64 + 256 : 0));
	struct regset *rs = regset_for(td, ids);
	g_assert_cmpuint(regset_count(rs), ==, td->regs->len);
	g_assert_cmpuint(regset_g_bytes(rs), ==, g_bytes);
	for (unsigned i = 0; arch_i386.expedite[i]; i++) {
		const struct reg_handle *h = regset_by_name(rs, arch_i386.expedite[i]);
		g_assert_nonnull(h);
		g_assert_cmpuint(reg_handle_bytes(h), ==, 4);
	}
	regset_free(rs);
	tdesc_free(td);
	g_free(xml);
	g_array_unref(ids);
}

static void test_description(void)
{
	check_description(false, false);
	check_description(true, false);
	check_description(true, true);
}

/* gdb rejects avx512 without avx: a VM with ZMM state but no YMM ids
 * gets neither. */
static void test_description_avx512_needs_avx(void)
{
	GArray *full = served_ids(true, true), *ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	for (guint i = 0; i < full->len; i++) {
		uint64_t id = g_array_index(full, uint64_t, i);
		if (((id >> VMDBG_X86_GROUP_SHIFT) & 0xff) != VMDBG_X86_G_AVX)
			g_array_append_val(ids, id);
	}
	char *xml = arch_i386.default_tdesc(ids, NULL, NULL);
	g_assert_null(strstr(xml, F_AVX));
	struct tdesc *td = parse(xml);
	g_assert_null(tdesc_find(td, "k0"));
	g_assert_null(tdesc_find(td, "zmm0h"));
	regset_free(regset_for(td, ids));
	tdesc_free(td);
	g_free(xml);
	g_array_unref(ids);
	g_array_unref(full);
}

struct want_bind {
	const char *name;
	uint64_t vm_id;
	uint32_t offset;
	unsigned bits;
};

static void test_bindings(void)
{
	static const struct want_bind w[] = {
		/* the VM's GPRs are rax rbx rcx rdx rsi rdi rbp rsp */
		{ "eax", VMDBG_X86_GPR(0), 0, 32 }, { "ecx", VMDBG_X86_GPR(2), 0, 32 },
		{ "edx", VMDBG_X86_GPR(3), 0, 32 }, { "ebx", VMDBG_X86_GPR(1), 0, 32 },
		{ "esp", VMDBG_X86_RSP, 0, 32 },    { "ebp", VMDBG_X86_RBP, 0, 32 },
		{ "esi", VMDBG_X86_GPR(4), 0, 32 }, { "edi", VMDBG_X86_GPR(5), 0, 32 },
		{ "eip", VMDBG_X86_RIP, 0, 32 },    { "eflags", VMDBG_X86_RFLAGS, 0, 32 },
		{ "cs", VMDBG_X86_SEL(0), 0, 32 },  { "gs", VMDBG_X86_SEL(5), 0, 32 },
		{ "st0", VMDBG_X86_ST(0), 0, 80 },  { "st7", VMDBG_X86_ST(7), 0, 80 },
		{ "fctrl", VMDBG_X86_FCTRL, 0, 32 }, { "fioff", VMDBG_X86_FIOFF, 0, 32 },
		{ "fop", VMDBG_X86_FOP, 0, 32 },
		{ "xmm0", VMDBG_X86_XMM(0), 0, 128 }, { "xmm7", VMDBG_X86_XMM(7), 0, 128 },
		{ "mxcsr", VMDBG_X86_MXCSR, 0, 32 },
		{ "ymm7h", VMDBG_X86_YMMH(7), 0, 128 },
		{ "k7", VMDBG_X86_K(7), 0, 64 },     { "zmm7h", VMDBG_X86_ZMMH(7), 0, 256 },
		/* 32bit-segments.xml, for a description that brings it */
		{ "fs_base", VMDBG_X86_FS_BASE, 0, 32 }, { "gs_base", VMDBG_X86_GS_BASE, 0, 32 },
		{ "cr0", VMDBG_X86_CR(0), 0, 64 },   { "cr3", VMDBG_X86_CR(3), 0, 64 },
		{ "efer", VMDBG_X86_EFER, 0, 64 },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(w); i++) {
		struct arch_binding b;
		memset(&b, 0x5a, sizeof(b));
		g_assert_true(arch_i386.bind(w[i].name, &b));
		g_assert_cmphex(b.vm_id, ==, w[i].vm_id);
		g_assert_cmpuint(b.vm_offset, ==, w[i].offset);
		g_assert_cmpuint(b.gdb_bits, ==, w[i].bits);
		g_assert_cmpuint(b.nbanks, ==, 0);
		g_assert_false(b.any_width);
		g_assert_null(b.derive);
	}
	/* 64-bit mode only, or not a register */
	static const char *const unknown[] = { "rax", "rsp", "rip", "r8", "r15", "xmm8", "xmm16",
					       "ymm8h", "zmm8h", "zmm16h", "k8", "cr8", "k_gs_base",
					       "EAX", "ax", "eax0", "" };
	for (unsigned i = 0; i < G_N_ELEMENTS(unknown); i++) {
		struct arch_binding b;
		g_assert_false(arch_i386.bind(unknown[i], &b));
	}
	/* and x86-64 keeps its own names */
	struct arch_binding b;
	g_assert_false(arch_x86_64.bind("eax", &b));
	g_assert_false(arch_x86_64.bind("eip", &b));
	g_assert_true(arch_x86_64.bind("fs_base", &b));
	g_assert_cmpuint(b.gdb_bits, ==, 64);
}

/* gdb's own i386 files, as a user description: core and sse (the xmm
 * regnum 32 written out, as 32bit-sse.xml does), plus segments. */
static void test_gdb_files(void)
{
	GString *s = g_string_new("<target><architecture>i386</architecture>"
				  "<feature name=\"" F_CORE "\">");
	for (unsigned i = 0; i < 32; i++)
		g_string_append_printf(s, "<reg name=\"%s\" bitsize=\"%u\"/>", gdb_core_sse[i].name,
				       gdb_core_sse[i].bits);
	g_string_append(s, "</feature><feature name=\"" F_SSE "\">");
	for (unsigned i = 32; i < G_N_ELEMENTS(gdb_core_sse); i++)
		g_string_append_printf(s, "<reg name=\"%s\" bitsize=\"%u\"%s/>", gdb_core_sse[i].name,
				       gdb_core_sse[i].bits, i == 32 ? " regnum=\"32\"" : "");
	g_string_append(s, "</feature><feature name=\"org.gnu.gdb.i386.segments\">"
			   "<reg name=\"fs_base\" bitsize=\"32\" type=\"int\"/>"
			   "<reg name=\"gs_base\" bitsize=\"32\" type=\"int\"/>"
			   "</feature></target>");
	GArray *ids = served_ids(false, false);
	struct tdesc *td = parse(s->str);
	struct regset *rs = regset_for(td, ids);
	g_assert_cmpuint(regset_g_bytes(rs), ==, 308 + 8);
	struct regcache *rc = regcache_new(rs);
	const struct reg_handle *fsb = regset_by_name(rs, "fs_base");
	uint64_t base = GUINT64_TO_LE(0x00000000c1a2b3c4ull);
	g_assert_true(regcache_fill(rc, VMDBG_X86_FS_BASE, (const uint8_t *)&base, 8));
	uint32_t got;
	regcache_read(rc, fsb, (uint8_t *)&got);
	g_assert_cmphex(GUINT32_FROM_LE(got), ==, 0xc1a2b3c4);
	regcache_free(rc);
	regset_free(rs);
	tdesc_free(td);
	g_array_unref(ids);
	g_string_free(s, TRUE);
}

/* Distinct halves: low 0x1000_00nn + n, high 0xa5a5_00nn. */
static uint64_t gpr_value(unsigned n)
{
	return (0xa5a50000ull + n) << 32 | (0x10000000u + n);
}

struct fixture {
	GArray *ids;
	char *xml;
	struct tdesc *td;
	struct regset *rs;
	struct regcache *rc;
};

static void fixture_init(struct fixture *f)
{
	f->ids = served_ids(true, false);
	f->xml = arch_i386.default_tdesc(f->ids, NULL, NULL);
	f->td = parse(f->xml);
	f->rs = regset_for(f->td, f->ids);
	f->rc = regcache_new(f->rs);
	for (unsigned n = 0; n < 16; n++) {
		uint64_t v = GUINT64_TO_LE(gpr_value(n));
		/* only the 8 legacy GPRs are in the set: r8-r15 are refused */
		g_assert_true(regcache_fill(f->rc, VMDBG_X86_GPR(n), (const uint8_t *)&v, 8) == (n < 8));
	}
	uint64_t rip = GUINT64_TO_LE(0xffffffff00100020ull);
	g_assert_true(regcache_fill(f->rc, VMDBG_X86_RIP, (const uint8_t *)&rip, 8));
}

static void fixture_clear(struct fixture *f)
{
	regcache_free(f->rc);
	regset_free(f->rs);
	tdesc_free(f->td);
	g_free(f->xml);
	g_array_unref(f->ids);
}

static uint32_t read32(struct fixture *f, const char *name)
{
	const struct reg_handle *h = regset_by_name(f->rs, name);
	g_assert_nonnull(h);
	g_assert_cmpuint(reg_handle_bytes(h), ==, 4);
	g_assert_true(regcache_valid(f->rc, h));
	uint32_t v;
	regcache_read(f->rc, h, (uint8_t *)&v);
	return GUINT32_FROM_LE(v);
}

/* eax..edi read the low halves of the VM registers gdb's order names. */
static void test_read(void)
{
	struct fixture f;
	fixture_init(&f);
	static const struct {
		const char *name;
		unsigned vm_gpr;  /* rax rbx rcx rdx rsi rdi rbp rsp */
	} gprs[] = { { "eax", 0 }, { "ecx", 2 }, { "edx", 3 }, { "ebx", 1 },
		     { "esp", 7 }, { "ebp", 6 }, { "esi", 4 }, { "edi", 5 } };
	for (unsigned i = 0; i < G_N_ELEMENTS(gprs); i++) {
		const struct reg_handle *h = regset_by_name(f.rs, gprs[i].name);
		g_assert_cmpuint(reg_handle_regnum(h), ==, i);
		g_assert_cmphex(read32(&f, gprs[i].name), ==, (uint32_t)gpr_value(gprs[i].vm_gpr));
	}
	g_assert_cmphex(read32(&f, "eip"), ==, 0x00100020);

	/* what a stop reply or 'g' needs, in VM ids */
	struct regcache *fresh = regcache_new(f.rs);
	g_autoptr(GArray) missing = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	const struct reg_handle *hs[] = { regset_by_name(f.rs, "ebx"), regset_by_name(f.rs, "esp"),
					  regset_by_name(f.rs, "eip") };
	regcache_missing(fresh, hs, 3, missing);
	g_assert_cmpuint(missing->len, ==, 3);
	g_assert_cmphex(g_array_index(missing, uint64_t, 0), ==, VMDBG_X86_GPR(1));
	g_assert_cmphex(g_array_index(missing, uint64_t, 1), ==, VMDBG_X86_RSP);
	g_assert_cmphex(g_array_index(missing, uint64_t, 2), ==, VMDBG_X86_RIP);
	regcache_free(fresh);
	fixture_clear(&f);
}

static void write32(struct fixture *f, const char *name, uint32_t value, uint64_t want_id,
		    uint64_t want_vm_value)
{
	const struct reg_handle *h = regset_by_name(f->rs, name);
	uint32_t in = GUINT32_TO_LE(value);
	uint64_t vm_id;
	const uint8_t *vm_value;
	uint32_t vm_bytes;
	regcache_write(f->rc, h, (const uint8_t *)&in, &vm_id, &vm_value, &vm_bytes);
	g_assert_cmphex(vm_id, ==, want_id);
	g_assert_cmpuint(vm_bytes, ==, 8);   /* the whole VM register goes to SET_REGS */
	uint64_t sent;
	memcpy(&sent, vm_value, 8);
	g_assert_cmphex(GUINT64_FROM_LE(sent), ==, want_vm_value);
	g_assert_cmphex(read32(f, name), ==, value);
}

/* A write of a 32-bit register changes only the low half of the VM's. */
static void test_write_keeps_upper_half(void)
{
	struct fixture f;
	fixture_init(&f);
	write32(&f, "eax", 0x11223344, VMDBG_X86_GPR(0), 0xa5a5000011223344ull);
	write32(&f, "ebx", 0xcafef00d, VMDBG_X86_GPR(1), 0xa5a50001cafef00dull);
	write32(&f, "esp", 0x0009fff0, VMDBG_X86_RSP, 0xa5a500070009fff0ull);
	write32(&f, "eip", 0x00100000, VMDBG_X86_RIP, 0xffffffff00100000ull);
	/* the others are untouched */
	g_assert_cmphex(read32(&f, "ecx"), ==, (uint32_t)gpr_value(2));
	g_assert_cmphex(read32(&f, "ebp"), ==, (uint32_t)gpr_value(6));

	/* system registers are whole: cr3 takes all 64 bits */
	const struct reg_handle *cr3 = regset_by_name(f.rs, "cr3");
	g_assert_cmpuint(reg_handle_bytes(cr3), ==, 8);
	uint64_t old = GUINT64_TO_LE(0x1000), in = GUINT64_TO_LE(0x0000000123456000ull), vm_id;
	g_assert_true(regcache_fill(f.rc, VMDBG_X86_CR(3), (const uint8_t *)&old, 8));
	const uint8_t *vm_value;
	uint32_t vm_bytes;
	regcache_write(f.rc, cr3, (const uint8_t *)&in, &vm_id, &vm_value, &vm_bytes);
	g_assert_cmphex(vm_id, ==, VMDBG_X86_CR(3));
	g_assert_cmpmem(vm_value, vm_bytes, &in, 8);

	/* a selector written as gdb's 32 bits is the VM's 16 */
	const struct reg_handle *cs = regset_by_name(f.rs, "cs");
	uint16_t sel = GUINT16_TO_LE(0x10);
	g_assert_true(regcache_fill(f.rc, VMDBG_X86_SEL(0), (const uint8_t *)&sel, 2));
	uint32_t cs_in = GUINT32_TO_LE(0x18);
	regcache_write(f.rc, cs, (const uint8_t *)&cs_in, &vm_id, &vm_value, &vm_bytes);
	g_assert_cmphex(vm_id, ==, VMDBG_X86_SEL(0));
	g_assert_cmpuint(vm_bytes, ==, 2);
	g_assert_cmpuint(vm_value[0] | vm_value[1] << 8, ==, 0x18);
	fixture_clear(&f);
}

/* CR0 and EFER as a vCPU has them on the way from reset to long mode. */
#define CR0_PE  0x00000001ull
#define CR0_ET  0x00000010ull
#define CR0_CD_NW 0x60000000ull
#define CR0_PG  0x80000000ull
#define EFER_SCE 0x001ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull
#define EFER_NXE 0x800ull

static void test_mode(void)
{
	static const struct {
		const char *what;
		uint64_t cr0, efer;
		bool long_mode;
	} cases[] = {
		{ "reset (real mode)", CR0_CD_NW | CR0_ET, 0, false },
		{ "real mode, EFER.LME set", CR0_ET, EFER_LME, false },
		{ "protected mode, no paging (multiboot entry)", CR0_PE | CR0_ET, 0, false },
		{ "protected mode with paging", CR0_PG | CR0_PE | CR0_ET, 0, false },
		{ "PAE paging with NX", CR0_PG | CR0_PE | CR0_ET, EFER_NXE, false },
		{ "EFER.LME before paging", CR0_PE | CR0_ET, EFER_LME, false },
		{ "long mode", CR0_PG | CR0_PE | CR0_ET, EFER_LME | EFER_LMA, true },
		{ "long mode, SCE and NXE", CR0_PG | CR0_PE | CR0_ET,
		  EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE, true },
		{ "LMA without paging (no such state)", CR0_PE | CR0_ET, EFER_LME | EFER_LMA, false },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
		const struct arch_ops *a = arch_x86_for_mode(cases[i].cr0, cases[i].efer);
		if (a != (cases[i].long_mode ? &arch_x86_64 : &arch_i386))
			g_error("%s: got %s", cases[i].what, a ? a->name : "NULL");
	}
	/* what the caller reads first */
	g_assert_cmphex(arch_x86_mode_ids[0], ==, VMDBG_X86_CR(0));
	g_assert_cmphex(arch_x86_mode_ids[1], ==, VMDBG_X86_EFER);
	g_assert_cmphex(arch_x86_mode_ids[2], ==, 0);
	/* the same VM either way */
	g_assert_cmpuint(arch_i386.vmdbg_arch, ==, VMDBG_ARCH_X86_64);
	g_assert_true(arch_for(VMDBG_ARCH_X86_64) == &arch_x86_64);
	g_assert_cmpstr(arch_i386.name, ==, "i386");
	g_assert_cmpuint(arch_i386.sw_bp_kind, ==, 1);
	g_assert_cmpstr(arch_i386.expedite[0], ==, "ebp");
	g_assert_cmpstr(arch_i386.expedite[1], ==, "esp");
	g_assert_cmpstr(arch_i386.expedite[2], ==, "eip");
	g_assert_null(arch_i386.expedite[3]);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/arch-x86/i386/description", test_description);
	g_test_add_func("/arch-x86/i386/avx512-needs-avx", test_description_avx512_needs_avx);
	g_test_add_func("/arch-x86/i386/bindings", test_bindings);
	g_test_add_func("/arch-x86/i386/gdb-files", test_gdb_files);
	g_test_add_func("/arch-x86/i386/read-low-halves", test_read);
	g_test_add_func("/arch-x86/i386/write-keeps-upper-half", test_write_keeps_upper_half);
	g_test_add_func("/arch-x86/mode", test_mode);
	return g_test_run();
}
