/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * arch-arm64.c - AArch64: the built-in target description and how gdb's
 * register names bind to KVM's arm64 register ids (proto/vmdbg.h).
 *
 * Features follow gdb's (gdb manual, "AArch64 Features"):
 * org.gnu.gdb.aarch64.core (x0-x30, sp, pc, cpsr) and .fpu (v0-v31,
 * fpsr, fpcr), plus a generated org.dbgproxyd.aarch64.system feature with
 * every system register the VM lists (KVM_REG_ARM64_SYSREG ids), named
 * architecturally (Arm ARM D17 "AArch64 System Register Descriptions")
 * where the name table knows the encoding, else by its encoding
 * ("s<op0>_<op1>_c<CRn>_c<CRm>_<op2>", the assembler's generic spelling).
 */
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "vmdbg.h"

#define SYS_FEATURE "org.dbgproxyd.aarch64.system"

struct sysreg_name {
	const char *name;
	unsigned op0, op1, crn, crm, op2;
};

/* The system registers a kernel debugger looks at first. */
static const struct sysreg_name sysreg_names[] = {
	{ "midr_el1", 3, 0, 0, 0, 0 },       { "mpidr_el1", 3, 0, 0, 0, 5 },
	{ "sctlr_el1", 3, 0, 1, 0, 0 },      { "cpacr_el1", 3, 0, 1, 0, 2 },
	{ "ttbr0_el1", 3, 0, 2, 0, 0 },      { "ttbr1_el1", 3, 0, 2, 0, 1 },
	{ "tcr_el1", 3, 0, 2, 0, 2 },
	{ "afsr0_el1", 3, 0, 5, 1, 0 },      { "afsr1_el1", 3, 0, 5, 1, 1 },
	{ "esr_el1", 3, 0, 5, 2, 0 },        { "far_el1", 3, 0, 6, 0, 0 },
	{ "par_el1", 3, 0, 7, 4, 0 },        { "mair_el1", 3, 0, 10, 2, 0 },
	{ "amair_el1", 3, 0, 10, 3, 0 },     { "vbar_el1", 3, 0, 12, 0, 0 },
	{ "contextidr_el1", 3, 0, 13, 0, 1 }, { "tpidr_el1", 3, 0, 13, 0, 4 },
	{ "tpidr_el0", 3, 3, 13, 0, 2 },     { "tpidrro_el0", 3, 3, 13, 0, 3 },
	{ "cntkctl_el1", 3, 0, 14, 1, 0 },   { "cntv_ctl_el0", 3, 3, 14, 3, 1 },
	{ "cntv_cval_el0", 3, 3, 14, 3, 2 }, { "mdscr_el1", 2, 0, 0, 2, 2 },
};

/* EL1 state KVM serves as core registers (struct kvm_regs), not as
 * KVM_REG_ARM64_SYSREG ids; shown in the system feature when the VM has
 * them.  SPSR_EL1 is kvm_regs.spsr[0] (KVM_SPSR_EL1). */
static const struct {
	const char *name;
	uint64_t id;
	const char *type;
} el1_core[] = {
	{ "sp_el0", VMDBG_ARM64_SP, "data_ptr" },
	{ "sp_el1", VMDBG_ARM64_SP_EL1, "data_ptr" },
	{ "elr_el1", VMDBG_ARM64_ELR_EL1, "code_ptr" },
	{ "spsr_el1", VMDBG_ARM64_SPSR(0), "uint64" },
};

/* gdb's sp is the stack pointer in use: SP_EL0 unless PSTATE.SP (bit 0,
 * SPSel) selects the current EL's own, which for EL1 is SP_EL1 (Arm ARM
 * D1.6.2).  bank 0 = SP_EL0, bank 1 = SP_EL1. */
#define PSTATE_SP     0x1ull
#define PSTATE_EL(ps) (((ps) >> 2) & 3)

static unsigned sp_bank(uint64_t pstate)
{
	return (pstate & PSTATE_SP) && PSTATE_EL(pstate) == 1 ? 1 : 0;
}

static uint64_t sysreg_id(const struct sysreg_name *r)
{
	return VMDBG_ARM64_SYSREG(r->op0, r->op1, r->crn, r->crm, r->op2);
}

static bool is_sysreg(uint64_t id)
{
	return (id & VMDBG_REG_ARCH_MASK) == VMDBG_REG_ARCH_ARM64 &&
	       (id & VMDBG_ARM64_GROUP_MASK) == VMDBG_ARM64_SYSREG_GROUP &&
	       (id & VMDBG_REG_SIZE_MASK) == VMDBG_REG_U64;
}

/* The name gdb shows for a system register id (buf: at least 32 bytes). */
static const char *sysreg_name_of(uint64_t id, char *buf, size_t size)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(sysreg_names); i++)
		if (sysreg_id(&sysreg_names[i]) == id)
			return sysreg_names[i].name;
	g_snprintf(buf, size, "s%u_%u_c%u_c%u_%u", (unsigned)(id >> 14) & 3,
		   (unsigned)(id >> 11) & 7, (unsigned)(id >> 7) & 15, (unsigned)(id >> 3) & 15,
		   (unsigned)id & 7);
	return buf;
}

static bool vm_has_id(const GArray *vm_ids, uint64_t id)
{
	for (guint i = 0; i < vm_ids->len; i++)
		if (g_array_index(vm_ids, uint64_t, i) == id)
			return true;
	return false;
}

static bool parse_number(const char *s, unsigned max, unsigned *out)
{
	guint64 v;
	if (!g_ascii_string_to_unsigned(s, 10, 0, max, &v, NULL))
		return false;
	*out = (unsigned)v;
	return true;
}

/* The vector length in bits a KVM_REG_ARM64_SVE_VLS value gives (the
 * longest one set: a vCPU runs at its maximum), or 0. */
static unsigned vl_from_vls(const uint8_t *vls, uint32_t bytes)
{
	for (int bit = (int)bytes * 8 - 1; bit >= 0; bit--)
		if (vls[bit / 8] & (1u << (bit % 8)))
			return (unsigned)(bit + 1) * 128;
	return 0;
}

/* gdb's vg: the vector length in 64-bit granules. */
static void vg_from_vls(const uint8_t *vls, uint32_t bytes, uint8_t *out, unsigned out_bytes)
{
	uint64_t vg = GUINT64_TO_LE((uint64_t)vl_from_vls(vls, bytes) / 64);
	memset(out, 0, out_bytes);
	memcpy(out, &vg, MIN(out_bytes, sizeof(vg)));
}

static bool bind(const char *name, struct arch_binding *b)
{
	unsigned n;
	if (name[0] == 'x' && parse_number(name + 1, 30, &n)) {
		*b = (struct arch_binding){ .vm_id = VMDBG_ARM64_X(n), .gdb_bits = 64 };
		return true;
	}
	if (name[0] == 'v' && parse_number(name + 1, 31, &n)) {
		*b = (struct arch_binding){ .vm_id = VMDBG_ARM64_V(n), .gdb_bits = 128,
					    .fallback_id = VMDBG_ARM64_ZREG(n) };
		return true;
	}
	if (name[0] == 'z' && parse_number(name + 1, 31, &n)) {
		*b = (struct arch_binding){ .vm_id = VMDBG_ARM64_ZREG(n), .any_width = true };
		return true;
	}
	if (name[0] == 'p' && parse_number(name + 1, 15, &n)) {
		*b = (struct arch_binding){ .vm_id = VMDBG_ARM64_PREG(n), .any_width = true };
		return true;
	}
	if (strcmp(name, "ffr") == 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_ARM64_FFR, .any_width = true };
		return true;
	}
	if (strcmp(name, "vg") == 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_ARM64_SVE_VLS, .gdb_bits = 64,
					    .derive = vg_from_vls };
		return true;
	}
	if (strcmp(name, "sp") == 0) {
		*b = (struct arch_binding){
			.vm_id = VMDBG_ARM64_SP, .gdb_bits = 64, .nbanks = 2,
			.banks = { VMDBG_ARM64_SP, VMDBG_ARM64_SP_EL1 },
			.select_id = VMDBG_ARM64_PSTATE, .select = sp_bank,
		};
		return true;
	}
	for (unsigned i = 0; i < G_N_ELEMENTS(el1_core); i++)
		if (strcmp(name, el1_core[i].name) == 0) {
			*b = (struct arch_binding){ .vm_id = el1_core[i].id, .gdb_bits = 64 };
			return true;
		}
	if (strcmp(name, "pc") == 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_ARM64_PC, .gdb_bits = 64 };
		return true;
	}
	if (strcmp(name, "cpsr") == 0) { /* gdb's 32-bit view of PSTATE */
		*b = (struct arch_binding){ .vm_id = VMDBG_ARM64_PSTATE, .gdb_bits = 32 };
		return true;
	}
	if (strcmp(name, "fpsr") == 0 || strcmp(name, "fpcr") == 0) {
		*b = (struct arch_binding){ .vm_id = name[2] == 's' ? VMDBG_ARM64_FPSR : VMDBG_ARM64_FPCR, .gdb_bits = 32 };
		return true;
	}
	for (unsigned i = 0; i < G_N_ELEMENTS(sysreg_names); i++)
		if (strcmp(name, sysreg_names[i].name) == 0) {
			*b = (struct arch_binding){ .vm_id = sysreg_id(&sysreg_names[i]), .gdb_bits = 64 };
			return true;
		}
	unsigned op0, op1, crn, crm, op2;
	char tail;
	if (sscanf(name, "s%u_%u_c%u_c%u_%u%c", &op0, &op1, &crn, &crm, &op2, &tail) == 5 &&
	    op0 <= 3 && op1 <= 7 && crn <= 15 && crm <= 15 && op2 <= 7) {
		*b = (struct arch_binding){ .vm_id = VMDBG_ARM64_SYSREG(op0, op1, crn, crm, op2),
					    .gdb_bits = 64 };
		return true;
	}
	return false;
}

/* org.gnu.gdb.aarch64.fpu: v0-v31, fpsr, fpcr (a vCPU without SVE). */
static void append_fpu_feature(GString *s, unsigned *regnum_io)
{
	unsigned regnum = *regnum_io;
	g_string_append(s,
			   "  <feature name=\"org.gnu.gdb.aarch64.fpu\">\n"
			   "    <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
			   "    <vector id=\"v2u\" type=\"uint64\" count=\"2\"/>\n"
			   "    <vector id=\"v2i\" type=\"int64\" count=\"2\"/>\n"
			   "    <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
			   "    <vector id=\"v4u\" type=\"uint32\" count=\"4\"/>\n"
			   "    <vector id=\"v4i\" type=\"int32\" count=\"4\"/>\n"
			   "    <vector id=\"v8u\" type=\"uint16\" count=\"8\"/>\n"
			   "    <vector id=\"v8i\" type=\"int16\" count=\"8\"/>\n"
			   "    <vector id=\"v16u\" type=\"uint8\" count=\"16\"/>\n"
			   "    <vector id=\"v16i\" type=\"int8\" count=\"16\"/>\n"
			   "    <union id=\"vnd\"><field name=\"f\" type=\"v2d\"/><field name=\"u\" type=\"v2u\"/><field name=\"s\" type=\"v2i\"/></union>\n"
			   "    <union id=\"vns\"><field name=\"f\" type=\"v4f\"/><field name=\"u\" type=\"v4u\"/><field name=\"s\" type=\"v4i\"/></union>\n"
			   "    <union id=\"vnh\"><field name=\"u\" type=\"v8u\"/><field name=\"s\" type=\"v8i\"/></union>\n"
			   "    <union id=\"vnb\"><field name=\"u\" type=\"v16u\"/><field name=\"s\" type=\"v16i\"/></union>\n"
			   "    <union id=\"vnq\"><field name=\"u\" type=\"uint128\"/><field name=\"s\" type=\"int128\"/></union>\n"
			   "    <union id=\"aarch64v\"><field name=\"d\" type=\"vnd\"/><field name=\"s\" type=\"vns\"/>"
			   "<field name=\"h\" type=\"vnh\"/><field name=\"b\" type=\"vnb\"/><field name=\"q\" type=\"vnq\"/></union>\n");
	for (unsigned i = 0; i < 32; i++)
		g_string_append_printf(s, "    <reg name=\"v%u\" bitsize=\"128\" type=\"aarch64v\" regnum=\"%u\"/>\n",
				       i, regnum++);
	g_string_append_printf(s, "    <reg name=\"fpsr\" bitsize=\"32\" type=\"int\" regnum=\"%u\"/>\n", regnum++);
	g_string_append_printf(s, "    <reg name=\"fpcr\" bitsize=\"32\" type=\"int\" regnum=\"%u\"/>\n", regnum++);
	g_string_append(s, "  </feature>\n");
	*regnum_io = regnum;
}

/* The SVE vector length of a vCPU that has SVE registers, or 0. */
static unsigned sve_vl_of(const GArray *vm_ids, arch_config_fn config, const void *ctx)
{
	if (!vm_has_id(vm_ids, VMDBG_ARM64_ZREG(0)) || !config)
		return 0;
	const GBytes *vls = config(ctx, VMDBG_ARM64_SVE_VLS);
	if (!vls)
		return 0;
	gsize n;
	const uint8_t *v = g_bytes_get_data((GBytes *)vls, &n);
	unsigned vl = vl_from_vls(v, (uint32_t)n);
	return vl <= 2048 ? vl : 0;
}

/* org.gnu.gdb.aarch64.sve (gdb manual, "AArch64 Features"): z0-z31 of the
 * vector length, fpsr, fpcr, p0-p15 and ffr of an eighth of it, vg; gdb
 * then shows v0-v31 (and q, d, s, h, b) as views of z. */
static void append_sve_feature(GString *s, unsigned vl, unsigned *regnum_io)
{
	unsigned regnum = *regnum_io, vq = vl / 128;
	static const struct { const char *id, *type; unsigned per_q; } vecs[] = {
		{ "svevqu", "uint128", 1 }, { "svevqs", "int128", 1 },
		{ "svevdf", "ieee_double", 2 }, { "svevdu", "uint64", 2 }, { "svevds", "int64", 2 },
		{ "svevsf", "ieee_single", 4 }, { "svevsu", "uint32", 4 }, { "svevss", "int32", 4 },
		{ "svevhf", "ieee_half", 8 }, { "svevhu", "uint16", 8 }, { "svevhs", "int16", 8 },
		{ "svevbu", "uint8", 16 }, { "svevbs", "int8", 16 },
	};
	g_string_append(s, "  <feature name=\"org.gnu.gdb.aarch64.sve\">\n");
	for (unsigned i = 0; i < G_N_ELEMENTS(vecs); i++)
		g_string_append_printf(s, "    <vector id=\"%s\" type=\"%s\" count=\"%u\"/>\n",
				       vecs[i].id, vecs[i].type, vecs[i].per_q * vq);
	g_string_append(s, "    <union id=\"svevnq\"><field name=\"u\" type=\"svevqu\"/><field name=\"s\" type=\"svevqs\"/></union>\n"
			   "    <union id=\"svevnd\"><field name=\"f\" type=\"svevdf\"/><field name=\"u\" type=\"svevdu\"/><field name=\"s\" type=\"svevds\"/></union>\n"
			   "    <union id=\"svevns\"><field name=\"f\" type=\"svevsf\"/><field name=\"u\" type=\"svevsu\"/><field name=\"s\" type=\"svevss\"/></union>\n"
			   "    <union id=\"svevnh\"><field name=\"f\" type=\"svevhf\"/><field name=\"u\" type=\"svevhu\"/><field name=\"s\" type=\"svevhs\"/></union>\n"
			   "    <union id=\"svevnb\"><field name=\"u\" type=\"svevbu\"/><field name=\"s\" type=\"svevbs\"/></union>\n"
			   "    <union id=\"svev\"><field name=\"q\" type=\"svevnq\"/><field name=\"d\" type=\"svevnd\"/>"
			   "<field name=\"s\" type=\"svevns\"/><field name=\"h\" type=\"svevnh\"/><field name=\"b\" type=\"svevnb\"/></union>\n");
	g_string_append_printf(s, "    <vector id=\"svep\" type=\"uint8\" count=\"%u\"/>\n", 2 * vq);
	for (unsigned i = 0; i < 32; i++)
		g_string_append_printf(s, "    <reg name=\"z%u\" bitsize=\"%u\" type=\"svev\" regnum=\"%u\"/>\n",
				       i, vl, regnum++);
	g_string_append_printf(s, "    <reg name=\"fpsr\" bitsize=\"32\" type=\"int\" regnum=\"%u\"/>\n", regnum++);
	g_string_append_printf(s, "    <reg name=\"fpcr\" bitsize=\"32\" type=\"int\" regnum=\"%u\"/>\n", regnum++);
	for (unsigned i = 0; i < 16; i++)
		g_string_append_printf(s, "    <reg name=\"p%u\" bitsize=\"%u\" type=\"svep\" regnum=\"%u\"/>\n",
				       i, vl / 8, regnum++);
	g_string_append_printf(s, "    <reg name=\"ffr\" bitsize=\"%u\" type=\"svep\" regnum=\"%u\"/>\n",
			       vl / 8, regnum++);
	g_string_append_printf(s, "    <reg name=\"vg\" bitsize=\"64\" type=\"int\" regnum=\"%u\"/>\n", regnum++);
	g_string_append(s, "  </feature>\n");
	*regnum_io = regnum;
}

static char *default_tdesc(const GArray *vm_ids, arch_config_fn config, const void *ctx)
{
	GString *s = g_string_new(NULL);
	unsigned regnum = 0;
	g_string_append(s, "<?xml version=\"1.0\"?>\n"
			   "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
			   "<!-- dbgproxyd built-in AArch64 description -->\n"
			   "<target version=\"1.0\">\n"
			   "  <architecture>aarch64</architecture>\n"
			   "  <feature name=\"org.gnu.gdb.aarch64.core\">\n"
			   "    <flags id=\"cpsr_flags\" size=\"4\">\n"
			   "      <field name=\"SP\" start=\"0\" end=\"0\"/>\n"
			   "      <field name=\"EL\" start=\"2\" end=\"3\"/>\n"
			   "      <field name=\"nRW\" start=\"4\" end=\"4\"/>\n"
			   "      <field name=\"F\" start=\"6\" end=\"6\"/>\n"
			   "      <field name=\"I\" start=\"7\" end=\"7\"/>\n"
			   "      <field name=\"A\" start=\"8\" end=\"8\"/>\n"
			   "      <field name=\"D\" start=\"9\" end=\"9\"/>\n"
			   "      <field name=\"SS\" start=\"21\" end=\"21\"/>\n"
			   "      <field name=\"V\" start=\"28\" end=\"28\"/>\n"
			   "      <field name=\"C\" start=\"29\" end=\"29\"/>\n"
			   "      <field name=\"Z\" start=\"30\" end=\"30\"/>\n"
			   "      <field name=\"N\" start=\"31\" end=\"31\"/>\n"
			   "    </flags>\n");
	for (unsigned i = 0; i < 31; i++)
		g_string_append_printf(s, "    <reg name=\"x%u\" bitsize=\"64\" type=\"int\" regnum=\"%u\"/>\n",
				       i, regnum++);
	g_string_append_printf(s, "    <reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\" regnum=\"%u\"/>\n",
			       regnum++);
	g_string_append_printf(s, "    <reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"%u\"/>\n",
			       regnum++);
	g_string_append_printf(s, "    <reg name=\"cpsr\" bitsize=\"32\" type=\"cpsr_flags\" regnum=\"%u\"/>\n",
			       regnum++);
	g_string_append(s, "  </feature>\n");
	unsigned vl = sve_vl_of(vm_ids, config, ctx);
	if (vl)
		append_sve_feature(s, vl, &regnum);
	else
		append_fpu_feature(s, &regnum);

	bool any = false;
	for (unsigned k = 0; k < G_N_ELEMENTS(el1_core); k++) {
		/* sp_el0 is the core "sp": shown only beside sp_el1, when sp is banked */
		if (!vm_has_id(vm_ids, el1_core[k].id) ||
		    (k == 0 && !vm_has_id(vm_ids, VMDBG_ARM64_SP_EL1)))
			continue;
		if (!any)
			g_string_append(s, "  <feature name=\"" SYS_FEATURE "\">\n");
		any = true;
		g_string_append_printf(s, "    <reg name=\"%s\" bitsize=\"64\" type=\"%s\" regnum=\"%u\" group=\"system\"/>\n",
				       el1_core[k].name, el1_core[k].type, regnum++);
	}
	for (guint i = 0; i < vm_ids->len; i++) {
		uint64_t id = g_array_index(vm_ids, uint64_t, i);
		if (!is_sysreg(id))
			continue;
		if (!any)
			g_string_append(s, "  <feature name=\"" SYS_FEATURE "\">\n");
		any = true;
		char buf[32];
		g_string_append_printf(s, "    <reg name=\"%s\" bitsize=\"64\" type=\"uint64\" regnum=\"%u\" group=\"system\"/>\n",
				       sysreg_name_of(id, buf, sizeof(buf)), regnum++);
	}
	if (any)
		g_string_append(s, "  </feature>\n");
	g_string_append(s, "</target>\n");
	return g_string_free(s, FALSE);
}

static const uint64_t config_ids[] = { VMDBG_ARM64_SVE_VLS, 0 };

static const char *const required_regs[] = {
	"x0", "x1", "x29", "x30", "sp", "pc", "cpsr", NULL,
};

const struct arch_ops arch_arm64 = {
	.name = "AArch64",
	.vmdbg_arch = VMDBG_ARCH_AARCH64,
	.default_tdesc = default_tdesc,
	.config_ids = config_ids,
	.bind = bind,
	.expedite = { "x29", "sp", "pc", NULL },
	.required = required_regs,
	.sw_bp_kind = 4,
};
