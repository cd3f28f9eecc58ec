/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-arch-arm64.c - the AArch64 built-in description and bindings over
 * KVM's arm64 register ids: it parses, binds every register, names system
 * registers architecturally (or by encoding), and serves values of 32, 64
 * and 128 bits through the handle cache.
 */
#include <string.h>
#include <glib.h>

#include "arch.h"
#include "regs.h"
#include "tdesc.h"
#include "vmdbg.h"

static GArray *vm_ids(bool with_sysregs)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	uint64_t id;
	for (unsigned n = 0; n < 31; n++) {
		id = VMDBG_ARM64_X(n);
		g_array_append_val(ids, id);
	}
	uint64_t more[] = { VMDBG_ARM64_SP, VMDBG_ARM64_PC, VMDBG_ARM64_PSTATE, VMDBG_ARM64_FPSR,
			    VMDBG_ARM64_FPCR };
	g_array_append_vals(ids, more, G_N_ELEMENTS(more));
	for (unsigned n = 0; n < 32; n++) {
		id = VMDBG_ARM64_V(n);
		g_array_append_val(ids, id);
	}
	if (with_sysregs) {
		uint64_t sys[] = { VMDBG_ARM64_SYSREG(3, 0, 1, 0, 0),   /* SCTLR_EL1 */
				   VMDBG_ARM64_SYSREG(3, 0, 5, 2, 0),   /* ESR_EL1 */
				   VMDBG_ARM64_SYSREG(3, 0, 2, 0, 1),   /* TTBR1_EL1 */
				   VMDBG_ARM64_SYSREG(3, 4, 15, 7, 6) }; /* not in the name table */
		g_array_append_vals(ids, sys, G_N_ELEMENTS(sys));
	}
	return ids;
}

static void test_ids(void)
{
	/* the well-known KVM ids (QEMU's target/arm/kvm64.c uses the same) */
	g_assert_cmphex(VMDBG_ARM64_X(0), ==, 0x6030000000100000ull);
	g_assert_cmphex(VMDBG_ARM64_X(30), ==, 0x603000000010003cull);
	g_assert_cmphex(VMDBG_ARM64_SP, ==, 0x603000000010003eull);
	g_assert_cmphex(VMDBG_ARM64_PC, ==, 0x6030000000100040ull);
	g_assert_cmphex(VMDBG_ARM64_PSTATE, ==, 0x6030000000100042ull);
	g_assert_cmphex(VMDBG_ARM64_V(0), ==, 0x6040000000100054ull);
	g_assert_cmphex(VMDBG_ARM64_V(31), ==, 0x60400000001000d0ull);
	g_assert_cmphex(VMDBG_ARM64_FPSR, ==, 0x60200000001000d4ull);
	g_assert_cmphex(VMDBG_ARM64_FPCR, ==, 0x60200000001000d5ull);
	/* SCTLR_EL1: op0 3, op1 0, CRn 1, CRm 0, op2 0 */
	g_assert_cmphex(VMDBG_ARM64_SYSREG(3, 0, 1, 0, 0), ==, 0x603000000013c080ull);
}

static void test_builtin(void)
{
	GArray *ids = vm_ids(true);
	char *xml = arch_arm64.default_tdesc(ids, NULL, NULL);
	GError *err = NULL;
	struct tdesc *td = tdesc_parse("built-in", xml, strlen(xml), NULL, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(td->architecture, ==, "aarch64");
	g_assert_true(tdesc_require(td, arch_arm64.required, "AArch64 debugging", NULL));
	g_assert_nonnull(tdesc_find(td, "sctlr_el1"));
	g_assert_nonnull(tdesc_find(td, "esr_el1"));
	g_assert_nonnull(tdesc_find(td, "ttbr1_el1"));
	g_assert_nonnull(tdesc_find(td, "s3_4_c15_c7_6"));
	g_assert_cmpstr(tdesc_find(td, "esr_el1")->group, ==, "system");
	struct regset *rs = regset_new(td, &arch_arm64, ids, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(regset_count(rs), ==, 31 + 3 + 32 + 2 + 4);
	/* gdb's numbering: x0-x30, sp 31, pc 32, cpsr 33, v0 34 ... */
	g_assert_cmpstr(reg_handle_name(regset_by_regnum(rs, 32)), ==, "pc");
	g_assert_cmpuint(reg_handle_bytes(regset_by_name(rs, "cpsr")), ==, 4);
	g_assert_cmpuint(reg_handle_bytes(regset_by_name(rs, "v7")), ==, 16);
	g_assert_cmpuint(reg_handle_bytes(regset_by_name(rs, "fpcr")), ==, 4);
	/* expedited registers exist */
	for (unsigned i = 0; arch_arm64.expedite[i]; i++)
		g_assert_nonnull(regset_by_name(rs, arch_arm64.expedite[i]));

	/* values through the cache: cpsr is the low half of the 64-bit PSTATE */
	struct regcache *rc = regcache_new(rs);
	const struct reg_handle *cpsr = regset_by_name(rs, "cpsr"), *v7 = regset_by_name(rs, "v7");
	g_autoptr(GArray) missing = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	const struct reg_handle *both[] = { cpsr, v7 };
	regcache_missing(rc, both, 2, missing);
	g_assert_cmpuint(missing->len, ==, 2);
	uint64_t pstate = 0x00000000600003c5ull;
	g_assert_true(regcache_fill(rc, VMDBG_ARM64_PSTATE, (const uint8_t *)&pstate, 8));
	uint8_t v[16];
	for (unsigned i = 0; i < 16; i++)
		v[i] = (uint8_t)(0xa0 + i);
	g_assert_true(regcache_fill(rc, VMDBG_ARM64_V(7), v, 16));
	uint8_t out[16];
	regcache_read(rc, cpsr, out);
	g_assert_cmphex(out[0] | out[1] << 8 | out[2] << 16 | (uint32_t)out[3] << 24, ==, 0x600003c5);
	regcache_read(rc, v7, out);
	g_assert_cmpmem(out, 16, v, 16);
	regcache_free(rc);
	regset_free(rs);
	tdesc_free(td);
	g_free(xml);
	g_array_unref(ids);
}

static void test_bindings(void)
{
	struct arch_binding b;
	g_assert_true(arch_arm64.bind("x29", &b));
	g_assert_cmphex(b.vm_id, ==, VMDBG_ARM64_X(29));
	g_assert_false(arch_arm64.bind("x31", &b));
	g_assert_false(arch_arm64.bind("v32", &b));
	g_assert_false(arch_arm64.bind("x", &b));
	g_assert_true(arch_arm64.bind("s3_0_c1_c0_0", &b));
	g_assert_cmphex(b.vm_id, ==, VMDBG_ARM64_SYSREG(3, 0, 1, 0, 0));
	g_assert_false(arch_arm64.bind("s3_8_c1_c0_0", &b));   /* op1 is 3 bits */
	g_assert_false(arch_arm64.bind("s3_0_c1_c0_0x", &b));
	g_assert_false(arch_arm64.bind("rax", &b));
	/* a description without system registers still serves the core */
	GArray *ids = vm_ids(false);
	char *xml = arch_arm64.default_tdesc(ids, NULL, NULL);
	g_assert_null(strstr(xml, "system"));
	g_free(xml);
	g_array_unref(ids);
}

/* gdb's sp is the stack pointer in use: SP_EL1 at EL1h, SP_EL0 at EL1t
 * and EL0t, chosen by PSTATE at each stop; writes go to the same bank. */
static void test_banked_sp(void)
{
	GArray *ids = vm_ids(false);
	uint64_t el1[] = { VMDBG_ARM64_SP_EL1, VMDBG_ARM64_ELR_EL1, VMDBG_ARM64_SPSR(0) };
	g_array_append_vals(ids, el1, G_N_ELEMENTS(el1));
	char *xml = arch_arm64.default_tdesc(ids, NULL, NULL);
	GError *err = NULL;
	struct tdesc *td = tdesc_parse("built-in", xml, strlen(xml), NULL, &err);
	g_assert_no_error(err);
	/* the EL1 core state is shown as system registers */
	g_assert_cmpstr(tdesc_find(td, "sp_el1")->group, ==, "system");
	g_assert_nonnull(tdesc_find(td, "sp_el0"));
	g_assert_nonnull(tdesc_find(td, "elr_el1"));
	g_assert_nonnull(tdesc_find(td, "spsr_el1"));
	struct regset *rs = regset_new(td, &arch_arm64, ids, &err);
	g_assert_no_error(err);
	struct regcache *rc = regcache_new(rs);
	const struct reg_handle *sp = regset_by_name(rs, "sp");
	g_autoptr(GArray) missing = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	regcache_missing(rc, &sp, 1, missing);
	g_assert_cmpuint(missing->len, ==, 3); /* PSTATE, SP_EL0, SP_EL1 */
	uint64_t sp0 = 0x1000, sp1 = 0x40091140;
	g_assert_true(regcache_fill(rc, VMDBG_ARM64_SP, (const uint8_t *)&sp0, 8));
	g_assert_false(regcache_valid(rc, sp));
	g_assert_true(regcache_fill(rc, VMDBG_ARM64_SP_EL1, (const uint8_t *)&sp1, 8));
	static const struct { uint64_t pstate, want_id; } cases[] = {
		{ 0x3c5, VMDBG_ARM64_SP_EL1 },   /* EL1h */
		{ 0x3c4, VMDBG_ARM64_SP },       /* EL1t */
		{ 0x000, VMDBG_ARM64_SP },       /* EL0t */
		{ 0x60000005, VMDBG_ARM64_SP_EL1 },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_assert_true(regcache_fill(rc, VMDBG_ARM64_PSTATE, (const uint8_t *)&cases[i].pstate, 8));
		g_assert_true(regcache_valid(rc, sp));
		uint64_t got;
		regcache_read(rc, sp, (uint8_t *)&got);
		g_assert_cmphex(got, ==, cases[i].want_id == VMDBG_ARM64_SP ? sp0 : sp1);
		uint64_t in = 0x5000 + i, vm_id;
		const uint8_t *vm_value;
		uint32_t vm_bytes;
		regcache_write(rc, sp, (const uint8_t *)&in, &vm_id, &vm_value, &vm_bytes);
		g_assert_cmphex(vm_id, ==, cases[i].want_id);
		g_assert_cmpmem(vm_value, vm_bytes, &in, 8);
		if (cases[i].want_id == VMDBG_ARM64_SP)
			sp0 = in;
		else
			sp1 = in;
	}
	regcache_free(rc);
	regset_free(rs);
	tdesc_free(td);
	g_free(xml);
	/* a VM without SP_EL1: sp is SP_EL0, unbanked, and no sp_el0/sp_el1 */
	GArray *plain = vm_ids(false);
	xml = arch_arm64.default_tdesc(plain, NULL, NULL);
	g_assert_null(strstr(xml, "sp_el"));
	td = tdesc_parse("built-in", xml, strlen(xml), NULL, &err);
	g_assert_no_error(err);
	rs = regset_new(td, &arch_arm64, plain, &err);
	g_assert_no_error(err);
	rc = regcache_new(rs);
	sp = regset_by_name(rs, "sp");
	g_array_set_size(missing, 0);
	regcache_missing(rc, &sp, 1, missing);
	g_assert_cmpuint(missing->len, ==, 1);
	g_assert_cmphex(g_array_index(missing, uint64_t, 0), ==, VMDBG_ARM64_SP);
	regcache_free(rc);
	regset_free(rs);
	tdesc_free(td);
	g_free(xml);
	g_array_unref(plain);
	g_array_unref(ids);
}

/* A vCPU with SVE: the VM lists Z/P/FFR and SVE_VLS instead of V. */
static GArray *sve_vm_ids(void)
{
	GArray *ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	uint64_t id;
	for (unsigned n = 0; n < 31; n++) {
		id = VMDBG_ARM64_X(n);
		g_array_append_val(ids, id);
	}
	uint64_t more[] = { VMDBG_ARM64_SP, VMDBG_ARM64_PC, VMDBG_ARM64_PSTATE, VMDBG_ARM64_FPSR,
			    VMDBG_ARM64_FPCR, VMDBG_ARM64_FFR, VMDBG_ARM64_SVE_VLS };
	g_array_append_vals(ids, more, G_N_ELEMENTS(more));
	for (unsigned n = 0; n < 32; n++) {
		id = VMDBG_ARM64_ZREG(n);
		g_array_append_val(ids, id);
	}
	for (unsigned n = 0; n < 16; n++) {
		id = VMDBG_ARM64_PREG(n);
		g_array_append_val(ids, id);
	}
	return ids;
}

static const GBytes *vls_config(const void *ctx, uint64_t id)
{
	return id == VMDBG_ARM64_SVE_VLS ? ctx : NULL;
}

/* SVE at 512 and 2048 bits: gdb's SVE feature (no fpu feature), z of the
 * vector length in 2048-bit VM containers, p/ffr of an eighth, vg derived
 * from SVE_VLS and read-only; v0-v31 are gdb's pseudos then. */
static void test_sve(void)
{
	static const unsigned vls[] = { 512, 2048, 128 };
	for (unsigned t = 0; t < G_N_ELEMENTS(vls); t++) {
		unsigned vl = vls[t], vq = vl / 128;
		uint64_t bitmap[8] = { 0 };
		bitmap[(vq - 1) / 64] = GUINT64_TO_LE(1ull << ((vq - 1) % 64));
		GBytes *cfg = g_bytes_new(bitmap, sizeof(bitmap));
		GArray *ids = sve_vm_ids();
		char *xml = arch_arm64.default_tdesc(ids, vls_config, cfg);
		GError *err = NULL;
		struct tdesc *td = tdesc_parse("built-in", xml, strlen(xml), NULL, &err);
		g_assert_no_error(err);
		g_assert_null(strstr(xml, "org.gnu.gdb.aarch64.fpu"));
		g_assert_nonnull(strstr(xml, "org.gnu.gdb.aarch64.sve"));
		g_assert_cmpuint(tdesc_find(td, "z0")->bitsize, ==, vl);
		g_assert_cmpuint(tdesc_find(td, "p15")->bitsize, ==, vl / 8);
		g_assert_cmpuint(tdesc_find(td, "ffr")->bitsize, ==, vl / 8);
		g_assert_cmpuint(tdesc_find(td, "vg")->bitsize, ==, 64);
		g_assert_null(tdesc_find(td, "v0"));
		struct regset *rs = regset_new(td, &arch_arm64, ids, &err);
		g_assert_no_error(err);
		/* gdb's numbering: z0 follows cpsr (34), then fpsr fpcr p0-15 ffr vg */
		g_assert_cmpstr(reg_handle_name(regset_by_regnum(rs, 34)), ==, "z0");
		g_assert_cmpstr(reg_handle_name(regset_by_regnum(rs, 66)), ==, "fpsr");
		g_assert_cmpstr(reg_handle_name(regset_by_regnum(rs, 68)), ==, "p0");
		g_assert_cmpstr(reg_handle_name(regset_by_regnum(rs, 84)), ==, "ffr");
		g_assert_cmpstr(reg_handle_name(regset_by_regnum(rs, 85)), ==, "vg");
		const struct reg_handle *z7 = regset_by_name(rs, "z7"), *vg = regset_by_name(rs, "vg");
		const struct reg_handle *p2 = regset_by_name(rs, "p2");
		g_assert_cmpuint(reg_handle_bytes(z7), ==, vl / 8);
		g_assert_cmpuint(reg_handle_bytes(p2), ==, vl / 64);
		g_assert_false(reg_handle_writable(vg));
		g_assert_true(reg_handle_writable(z7));

		struct regcache *rc = regcache_new(rs);
		g_autoptr(GArray) missing = g_array_new(FALSE, FALSE, sizeof(uint64_t));
		const struct reg_handle *hs[] = { z7, vg, p2 };
		regcache_missing(rc, hs, 3, missing);
		g_assert_cmpuint(missing->len, ==, 3);
		uint8_t z[256] = { 0 };
		for (unsigned i = 0; i < vl / 8; i++)
			z[i] = (uint8_t)(i + 1);
		g_assert_true(regcache_fill(rc, VMDBG_ARM64_ZREG(7), z, 256));
		g_assert_true(regcache_fill(rc, VMDBG_ARM64_SVE_VLS, (const uint8_t *)bitmap, 64));
		uint8_t p[32] = { 0x5a };
		g_assert_true(regcache_fill(rc, VMDBG_ARM64_PREG(2), p, 32));
		uint8_t out[256];
		regcache_read(rc, z7, out);
		g_assert_cmpmem(out, vl / 8, z, vl / 8);
		uint64_t vgv;
		regcache_read(rc, vg, (uint8_t *)&vgv);
		g_assert_cmpuint(GUINT64_FROM_LE(vgv), ==, vl / 64);
		regcache_read(rc, p2, out);
		g_assert_cmpuint(out[0], ==, 0x5a);
		/* a write of gdb's vl/8 bytes keeps the container's zero tail */
		uint8_t in[256];
		memset(in, 0xee, sizeof(in));
		uint64_t vm_id;
		const uint8_t *vm_value;
		uint32_t vm_bytes;
		regcache_write(rc, z7, in, &vm_id, &vm_value, &vm_bytes);
		g_assert_cmphex(vm_id, ==, VMDBG_ARM64_ZREG(7));
		g_assert_cmpuint(vm_bytes, ==, 256);
		for (unsigned i = 0; i < 256; i++)
			g_assert_cmpuint(vm_value[i], ==, i < vl / 8 ? 0xee : 0);
		regcache_free(rc);
		regset_free(rs);
		tdesc_free(td);
		g_free(xml);
		g_array_unref(ids);
		g_bytes_unref(cfg);
	}
	/* a user description wider than the VM's containers is refused */
	GArray *ids = sve_vm_ids();
	const char *wide = "<target><architecture>aarch64</architecture>"
			   "<feature name=\"org.gnu.gdb.aarch64.core\">"
			   "<reg name=\"x0\" bitsize=\"64\"/><reg name=\"p0\" bitsize=\"512\"/>"
			   "</feature></target>";
	GError *err = NULL;
	struct tdesc *td = tdesc_parse("user.xml", wide, strlen(wide), NULL, &err);
	g_assert_no_error(err);
	g_assert_null(regset_new(td, &arch_arm64, ids, &err));
	g_assert_nonnull(strstr(err->message, "at most 256 bits"));
	g_clear_error(&err);
	tdesc_free(td);
	g_array_unref(ids);
}

/* Two CPU models in one VM: the description is the SVE vCPU's; for a vCPU
 * without SVE (plain V registers) its SVE registers are absent: gdb hears
 * them unavailable, the cache never fetches them, writes are refused, and
 * everything else is served as usual. */
static void test_partial(void)
{
	uint64_t bitmap[8] = { 1ull << 3 };  /* vq 4: 512 bits */
	GBytes *cfg = g_bytes_new(bitmap, sizeof(bitmap));
	GArray *sve = sve_vm_ids(), *plain = vm_ids(false);
	char *xml = arch_arm64.default_tdesc(sve, vls_config, cfg);
	GError *err = NULL;
	struct tdesc *td = tdesc_parse("built-in", xml, strlen(xml), NULL, &err);
	g_assert_no_error(err);
	/* all or nothing without the partial build */
	g_assert_null(regset_new(td, &arch_arm64, plain, &err));
	g_assert_nonnull(strstr(err->message, "not provided by this VM"));
	g_clear_error(&err);
	struct regset *full = regset_new(td, &arch_arm64, sve, &err);
	struct regset *rs = regset_new_partial(td, &arch_arm64, plain, &err);
	g_assert_no_error(err);
	/* the same numbering and g size as gdb's description */
	g_assert_cmpuint(regset_count(rs), ==, regset_count(full));
	g_assert_cmpuint(regset_g_bytes(rs), ==, regset_g_bytes(full));
	const struct reg_handle *z0 = regset_by_name(rs, "z0"), *vg = regset_by_name(rs, "vg");
	const struct reg_handle *x0 = regset_by_name(rs, "x0"), *fpsr = regset_by_name(rs, "fpsr");
	g_assert_false(reg_handle_present(z0));
	g_assert_false(reg_handle_present(vg));
	g_assert_false(reg_handle_writable(z0));
	g_assert_true(reg_handle_present(x0));
	g_assert_true(reg_handle_present(fpsr));
	g_assert_true(reg_handle_present(regset_by_name(full, "z0")));
	g_assert_cmpuint(reg_handle_bytes(z0), ==, 64);
	uint64_t id;
	g_assert_false(regset_plain_vm_id(rs, z0, &id));
	struct regcache *rc = regcache_new(rs);
	g_autoptr(GArray) missing = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	regcache_missing(rc, NULL, 0, missing);
	for (guint i = 0; i < missing->len; i++)
		g_assert_cmphex(g_array_index(missing, uint64_t, i) & VMDBG_ARM64_GROUP_MASK, !=,
				VMDBG_ARM64_SVE_GROUP);
	const struct reg_handle *hs[] = { z0, vg };
	g_array_set_size(missing, 0);
	regcache_missing(rc, hs, 2, missing);
	g_assert_cmpuint(missing->len, ==, 0);
	g_assert_true(regcache_valid(rc, z0));
	uint8_t out[64];
	memset(out, 0xaa, sizeof(out));
	regcache_read(rc, z0, out);
	for (unsigned i = 0; i < sizeof(out); i++)
		g_assert_cmpuint(out[i], ==, 0);
	/* a G carrying the absent register's zeros is fine, anything else not */
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	g_autoptr(GByteArray) vals = g_byte_array_new();
	const struct reg_handle *ro = NULL;
	uint8_t zero[64] = { 0 }, one[64] = { 1 };
	g_assert_true(regcache_write_through(rc, &z0, 1, zero, ids, vals, &ro));
	g_assert_cmpuint(ids->len, ==, 0);
	g_assert_false(regcache_write_through(rc, &z0, 1, one, ids, vals, &ro));
	g_assert_true(ro == z0);
	regcache_free(rc);
	regset_free(rs);
	regset_free(full);
	tdesc_free(td);
	g_free(xml);
	g_array_unref(sve);
	g_array_unref(plain);
	g_bytes_unref(cfg);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/arch-arm64/kvm-ids", test_ids);
	g_test_add_func("/arch-arm64/builtin-description", test_builtin);
	g_test_add_func("/arch-arm64/bindings", test_bindings);
	g_test_add_func("/arch-arm64/banked-sp", test_banked_sp);
	g_test_add_func("/arch-arm64/sve", test_sve);
	g_test_add_func("/arch-arm64/partial-regset", test_partial);
	return g_test_run();
}
