/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * arch-x86.c - x86: the built-in target descriptions and how gdb's register
 * names bind to the vmdbg x86-64 register ids (proto/vmdbg.h), for a vCPU
 * in long mode (x86-64) and for one in legacy mode (i386).
 *
 * The descriptions follow the feature names and register sets gdb's amd64
 * and i386 support require (gdb manual, "Standard Target Features" > "i386
 * Features"; gdb/features/i386/64bit-*.xml and 32bit-*.xml):
 * org.gnu.gdb.i386.core, .sse, .avx and .avx512 when the vCPU has them,
 * .segments for x86-64 only, plus our own system feature (control
 * registers, EFER and, in long mode, KERNEL_GS_BASE, in group "system" for
 * `info registers system`).  An i386 register is the low bits of the
 * VM's 64-bit one: the VM is the same whatever gdb is told, only the view
 * is narrower.
 */
#include <string.h>

#include "arch.h"
#include "vmdbg.h"

#define SYS_FEATURE      "org.dbgproxyd.x86-64.system"
#define SYS_FEATURE_I386 "org.dbgproxyd.i386.system"

/* CR0 and EFER bits the mode decision reads (Intel SDM Vol. 3A 2.5
 * "Control Registers", 2.2.1 "Extended Feature Enable Register"). */
#define CR0_PG   (1ull << 31)
#define EFER_LMA (1ull << 10)

static const char *const gpr_names[16] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
/* gdb's i386 order (gdb/i386-tdep.c i386_register_names) is not the VM's
 * (gdb's amd64 order): each name's index into gpr_names. */
static const struct {
	const char *name;
	unsigned vm_gpr;
} gpr32[8] = {
	{ "eax", 0 }, { "ecx", 2 }, { "edx", 3 }, { "ebx", 1 },
	{ "esp", 7 }, { "ebp", 6 }, { "esi", 4 }, { "edi", 5 },
};
static const char *const seg_names[6] = { "cs", "ss", "ds", "es", "fs", "gs" };
static const char *const x87_ctl_names[8] = {
	"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop",
};
static const struct {
	const char *name;
	uint64_t id;
	bool long_mode_only;  /* CR8 and SWAPGS's base exist only in 64-bit mode */
} sys_regs[] = {
	{ "cr0", VMDBG_X86_CR(0), false }, { "cr2", VMDBG_X86_CR(2), false },
	{ "cr3", VMDBG_X86_CR(3), false }, { "cr4", VMDBG_X86_CR(4), false },
	{ "cr8", VMDBG_X86_CR(8), true },  { "efer", VMDBG_X86_EFER, false },
	{ "k_gs_base", VMDBG_X86_K_GS_BASE, true },
};

/* "name<digits>" with the number in [0, limit): its number, else -1. */
static int numbered(const char *name, const char *prefix, const char *suffix, int limit)
{
	size_t pl = strlen(prefix), sl = strlen(suffix), nl = strlen(name);
	if (nl <= pl + sl || strncmp(name, prefix, pl) != 0 || strcmp(name + nl - sl, suffix) != 0)
		return -1;
	int v = 0;
	for (size_t i = pl; i < nl - sl; i++) {
		if (name[i] < '0' || name[i] > '9' || (i == pl && name[i] == '0' && nl - sl - pl > 1))
			return -1;
		v = v * 10 + (name[i] - '0');
		if (v >= limit)
			return -1;
	}
	return v;
}

/* Names both views share, at the same width: eflags, the selectors, x87
 * and mxcsr. */
static bool bind_common(const char *name, struct arch_binding *b)
{
	if (strcmp(name, "eflags") == 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_X86_RFLAGS, .gdb_bits = 32 };
		return true;
	}
	for (unsigned i = 0; i < 6; i++)
		if (strcmp(name, seg_names[i]) == 0) {
			*b = (struct arch_binding){ .vm_id = VMDBG_X86_SEL(i), .gdb_bits = 32 };
			return true;
		}
	int n;
	if ((n = numbered(name, "st", "", 8)) >= 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_X86_ST(n), .gdb_bits = 80 };
		return true;
	}
	for (unsigned i = 0; i < 8; i++)
		if (strcmp(name, x87_ctl_names[i]) == 0) {
			uint64_t size = i == 4 || i == 6 ? VMDBG_REG_U32 : VMDBG_REG_U16;
			*b = (struct arch_binding){ .vm_id = VMDBG_X86_ID(size, VMDBG_X86_G_X87, 8 + i),
						    .gdb_bits = 32 };
			return true;
		}
	if (strcmp(name, "mxcsr") == 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_X86_MXCSR, .gdb_bits = 32 };
		return true;
	}
	return false;
}

/* The system feature's registers, whole (a 32-bit guest's control registers
 * have a zero upper half; EFER is 64 bits in any mode). */
static bool bind_sys(const char *name, bool long_mode, struct arch_binding *b)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(sys_regs); i++)
		if (strcmp(name, sys_regs[i].name) == 0 && (long_mode || !sys_regs[i].long_mode_only)) {
			*b = (struct arch_binding){ .vm_id = sys_regs[i].id, .gdb_bits = 64 };
			return true;
		}
	return false;
}

static bool bind(const char *name, struct arch_binding *b)
{
	b->vm_offset = 0;
	for (unsigned i = 0; i < 16; i++)
		if (strcmp(name, gpr_names[i]) == 0) {
			*b = (struct arch_binding){ .vm_id = VMDBG_X86_GPR(i), .gdb_bits = 64 };
			return true;
		}
	if (strcmp(name, "rip") == 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_X86_RIP, .gdb_bits = 64 };
		return true;
	}
	if (bind_common(name, b) || bind_sys(name, true, b))
		return true;
	if (strcmp(name, "fs_base") == 0 || strcmp(name, "gs_base") == 0) {
		*b = (struct arch_binding){ .vm_id = name[0] == 'f' ? VMDBG_X86_FS_BASE : VMDBG_X86_GS_BASE, .gdb_bits = 64 };
		return true;
	}
	int n;
	if ((n = numbered(name, "xmm", "", 32)) >= 0) {
		/* xmm16-31 are the low quarter of zmm16-31 */
		*b = n < 16 ? (struct arch_binding){ .vm_id = VMDBG_X86_XMM(n), .gdb_bits = 128 }
			    : (struct arch_binding){ .vm_id = VMDBG_X86_ZMM(n), .gdb_bits = 128 };
		return true;
	}
	if ((n = numbered(name, "ymm", "h", 32)) >= 0) {
		*b = n < 16 ? (struct arch_binding){ .vm_id = VMDBG_X86_YMMH(n), .gdb_bits = 128 }
			    : (struct arch_binding){ .vm_id = VMDBG_X86_ZMM(n), .vm_offset = 16, .gdb_bits = 128 };
		return true;
	}
	if ((n = numbered(name, "zmm", "h", 32)) >= 0) {
		*b = n < 16 ? (struct arch_binding){ .vm_id = VMDBG_X86_ZMMH(n), .gdb_bits = 256 }
			    : (struct arch_binding){ .vm_id = VMDBG_X86_ZMM(n), .vm_offset = 32, .gdb_bits = 256 };
		return true;
	}
	if ((n = numbered(name, "k", "", 8)) >= 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_X86_K(n), .gdb_bits = 64 };
		return true;
	}
	return false;
}

/* i386: the 32-bit registers are the low half (vm_offset 0, little-endian)
 * of the VM's 64-bit ones; a write changes only that half (regs.c writes a
 * slice into the cached whole value).  Outside 64-bit mode there are eight
 * vector registers (Intel SDM Vol. 1 10.2.2, 14.1.1, 15.1). */
static bool bind_i386(const char *name, struct arch_binding *b)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(gpr32); i++)
		if (strcmp(name, gpr32[i].name) == 0) {
			*b = (struct arch_binding){ .vm_id = VMDBG_X86_GPR(gpr32[i].vm_gpr), .gdb_bits = 32 };
			return true;
		}
	if (strcmp(name, "eip") == 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_X86_RIP, .gdb_bits = 32 };
		return true;
	}
	if (bind_common(name, b) || bind_sys(name, false, b))
		return true;
	/* gdb/features/i386/32bit-segments.xml: 32-bit bases */
	if (strcmp(name, "fs_base") == 0 || strcmp(name, "gs_base") == 0) {
		*b = (struct arch_binding){ .vm_id = name[0] == 'f' ? VMDBG_X86_FS_BASE : VMDBG_X86_GS_BASE,
					    .gdb_bits = 32 };
		return true;
	}
	int n;
	if ((n = numbered(name, "xmm", "", 8)) >= 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_X86_XMM(n), .gdb_bits = 128 };
		return true;
	}
	if ((n = numbered(name, "ymm", "h", 8)) >= 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_X86_YMMH(n), .gdb_bits = 128 };
		return true;
	}
	if ((n = numbered(name, "zmm", "h", 8)) >= 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_X86_ZMMH(n), .gdb_bits = 256 };
		return true;
	}
	if ((n = numbered(name, "k", "", 8)) >= 0) {
		*b = (struct arch_binding){ .vm_id = VMDBG_X86_K(n), .gdb_bits = 64 };
		return true;
	}
	return false;
}
static bool served(const GArray *vm_ids, uint64_t id)
{
	for (guint i = 0; i < vm_ids->len; i++)
		if (g_array_index(vm_ids, uint64_t, i) == id)
			return true;
	return false;
}

struct xml {
	GString *s;
	unsigned regnum;
};

static void reg(struct xml *x, const char *name, unsigned bits, const char *type, const char *group)
{
	g_string_append_printf(x->s, "    <reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"%s%s%s/>\n",
			       name, bits, type, x->regnum++, group ? " group=\"" : "",
			       group ? group : "", group ? "\"" : "");
}

static void flags(GString *s, const char *id, const char *const *fields, const unsigned *bits,
		  unsigned n)
{
	g_string_append_printf(s, "    <flags id=\"%s\" size=\"4\">\n", id);
	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(s, "      <field name=\"%s\" start=\"%u\" end=\"%u\"/>\n",
				       fields[i], bits[i], bits[i]);
	g_string_append(s, "    </flags>\n");
}

static const char vec128_types[] =
	"    <vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
	"    <vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
	"    <vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
	"    <vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
	"    <vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
	"    <vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
	"    <union id=\"vec128\">\n"
	"      <field name=\"v4_float\" type=\"v4f\"/>\n"
	"      <field name=\"v2_double\" type=\"v2d\"/>\n"
	"      <field name=\"v16_int8\" type=\"v16i8\"/>\n"
	"      <field name=\"v8_int16\" type=\"v8i16\"/>\n"
	"      <field name=\"v4_int32\" type=\"v4i32\"/>\n"
	"      <field name=\"v2_int64\" type=\"v2i64\"/>\n"
	"      <field name=\"uint128\" type=\"uint128\"/>\n"
	"    </union>\n";

/* The pieces both descriptions share, as gdb's 64bit- and 32bit-core.xml
 * and -sse.xml have them: eflags' bits, the x87 registers, the SSE types
 * and mxcsr's bits. */
static void eflags_type(GString *s)
{
	static const char *const ef[] = { "CF", "PF", "AF", "ZF", "SF", "TF", "IF", "DF", "OF",
					  "NT", "RF", "VM", "AC", "VIF", "VIP", "ID" };
	static const unsigned efb[] = { 0, 2, 4, 6, 7, 8, 9, 10, 11, 14, 16, 17, 18, 19, 20, 21 };
	flags(s, "i386_eflags", ef, efb, G_N_ELEMENTS(ef));
}

/* <reg>s PREFIX<i>SUFFIX for i in [from, to), all bits wide of one type. */
static void numbered_regs(struct xml *x, const char *prefix, const char *suffix, unsigned from,
			  unsigned to, unsigned bits, const char *type)
{
	char name[32];
	for (unsigned i = from; i < to; i++) {
		g_snprintf(name, sizeof(name), "%s%u%s", prefix, i, suffix);
		reg(x, name, bits, type, NULL);
	}
}

static void x87_regs(struct xml *x)
{
	numbered_regs(x, "st", "", 0, 8, 80, "i387_ext");
	for (unsigned i = 0; i < 8; i++)
		reg(x, x87_ctl_names[i], 32, "int", "float");
}

static void sse_types(GString *s)
{
	g_string_append(s, vec128_types);
	static const char *const mx[] = { "IE", "DE", "ZE", "OE", "UE", "PE", "DAZ", "IM",
					  "DM", "ZM", "OM", "UM", "PM", "FZ" };
	static const unsigned mxb[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15 };
	flags(s, "i386_mxcsr", mx, mxb, G_N_ELEMENTS(mx));
}

/* The core feature after the GPRs and the pc: eflags, selectors, x87. */
static void core_rest(struct xml *x)
{
	reg(x, "eflags", 32, "i386_eflags", NULL);
	for (unsigned i = 0; i < 6; i++)
		reg(x, seg_names[i], 32, "int32", NULL);
	x87_regs(x);
	g_string_append(x->s, "  </feature>\n");
}

/* org.gnu.gdb.i386.sse with xmm0..xmm(nxmm-1) and mxcsr. */
static void sse_feature(struct xml *x, unsigned nxmm)
{
	g_string_append(x->s, "  <feature name=\"org.gnu.gdb.i386.sse\">\n");
	sse_types(x->s);
	numbered_regs(x, "xmm", "", 0, nxmm, 128, "vec128");
	reg(x, "mxcsr", 32, "i386_mxcsr", "vector");
	g_string_append(x->s, "  </feature>\n");
}

static void system_feature(struct xml *x, const GArray *vm_ids, bool long_mode)
{
	g_string_append_printf(x->s, "  <feature name=\"%s\">\n",
			       long_mode ? SYS_FEATURE : SYS_FEATURE_I386);
	for (unsigned i = 0; i < G_N_ELEMENTS(sys_regs); i++)
		if (served(vm_ids, sys_regs[i].id) && (long_mode || !sys_regs[i].long_mode_only))
			/* data_ptr is as wide as the architecture's pointers: 32
			 * bits for i386, which would shrink a 64-bit cr3 */
			reg(x, sys_regs[i].name, 64,
			    long_mode && sys_regs[i].id == VMDBG_X86_CR(3) ? "data_ptr" : "int64",
			    "system");
	g_string_append(x->s, "  </feature>\n");
}

static char *default_tdesc(const GArray *vm_ids, arch_config_fn config, const void *ctx)
{
	struct xml x = { g_string_new(NULL), 0 };
	GString *s = x.s;
	g_string_append(s, "<?xml version=\"1.0\"?>\n"
			   "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
			   "<!-- dbgproxyd built-in x86-64 description -->\n"
			   "<target version=\"1.0\">\n"
			   "  <architecture>i386:x86-64</architecture>\n");

	/* core: GPRs, rip, eflags, selectors, x87 */
	g_string_append(s, "  <feature name=\"org.gnu.gdb.i386.core\">\n");
	eflags_type(s);
	for (unsigned i = 0; i < 16; i++)
		reg(&x, gpr_names[i], 64, i == 6 || i == 7 ? "data_ptr" : "int64", NULL);
	reg(&x, "rip", 64, "code_ptr", NULL);
	core_rest(&x);
	sse_feature(&x, 16);

	if (served(vm_ids, VMDBG_X86_FS_BASE) && served(vm_ids, VMDBG_X86_GS_BASE)) {
		g_string_append(s, "  <feature name=\"org.gnu.gdb.i386.segments\">\n");
		reg(&x, "fs_base", 64, "int", NULL);
		reg(&x, "gs_base", 64, "int", NULL);
		g_string_append(s, "  </feature>\n");
	}

	if (served(vm_ids, VMDBG_X86_YMMH(0))) {
		g_string_append(s, "  <feature name=\"org.gnu.gdb.i386.avx\">\n");
		numbered_regs(&x, "ymm", "h", 0, 16, 128, "uint128");
		g_string_append(s, "  </feature>\n");
	}
	if (served(vm_ids, VMDBG_X86_ZMMH(0))) {
		g_string_append(s, "  <feature name=\"org.gnu.gdb.i386.avx512\">\n");
		g_string_append(s, vec128_types);
		g_string_append(s, "    <vector id=\"v2ui128\" type=\"uint128\" count=\"2\"/>\n");
		numbered_regs(&x, "xmm", "", 16, 32, 128, "vec128");
		numbered_regs(&x, "ymm", "h", 16, 32, 128, "uint128");
		numbered_regs(&x, "k", "", 0, 8, 64, "uint64");
		numbered_regs(&x, "zmm", "h", 0, 32, 256, "v2ui128");
		g_string_append(s, "  </feature>\n");
	}

	system_feature(&x, vm_ids, true);
	g_string_append(s, "</target>\n");
	return g_string_free(s, FALSE);
}

/* gdb's i386 target (gdb/features/i386/i386-avx-avx512.xml and the
 * 32bit-*.xml it includes): core, sse, then avx and avx512 when the vCPU
 * has them; gdb rejects avx without sse and avx512 without avx
 * (i386-tdep.c, i386_validate_tdesc_p). */
static char *default_tdesc_i386(const GArray *vm_ids, arch_config_fn config, const void *ctx)
{
	struct xml x = { g_string_new(NULL), 0 };
	GString *s = x.s;
	g_string_append(s, "<?xml version=\"1.0\"?>\n"
			   "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
			   "<!-- dbgproxyd built-in i386 description -->\n"
			   "<target version=\"1.0\">\n"
			   "  <architecture>i386</architecture>\n");

	g_string_append(s, "  <feature name=\"org.gnu.gdb.i386.core\">\n");
	eflags_type(s);
	for (unsigned i = 0; i < G_N_ELEMENTS(gpr32); i++)
		reg(&x, gpr32[i].name, 32, i == 4 || i == 5 ? "data_ptr" : "int32", NULL);
	reg(&x, "eip", 32, "code_ptr", NULL);
	core_rest(&x);
	sse_feature(&x, 8);

	/* no org.gnu.gdb.i386.segments (32bit-segments.xml): gdb 13.1's i386
	 * under the GNU/Linux OS ABI, its default for a bare ELF, numbers
	 * fs_base past its register count and aborts (tdesc_use_registers:
	 * "arch_regs.size () <= num_regs"); fs and gs bases are for TLS,
	 * which no 32-bit kernel gdb debugs here relies on */

	bool avx = served(vm_ids, VMDBG_X86_YMMH(0));
	if (avx) {
		g_string_append(s, "  <feature name=\"org.gnu.gdb.i386.avx\">\n");
		numbered_regs(&x, "ymm", "h", 0, 8, 128, "uint128");
		g_string_append(s, "  </feature>\n");
	}
	if (avx && served(vm_ids, VMDBG_X86_ZMMH(0))) {
		g_string_append(s, "  <feature name=\"org.gnu.gdb.i386.avx512\">\n");
		g_string_append(s, "    <vector id=\"v2ui128\" type=\"uint128\" count=\"2\"/>\n");
		numbered_regs(&x, "k", "", 0, 8, 64, "uint64");
		numbered_regs(&x, "zmm", "h", 0, 8, 256, "v2ui128");
		g_string_append(s, "  </feature>\n");
	}

	system_feature(&x, vm_ids, false);
	g_string_append(s, "</target>\n");
	return g_string_free(s, FALSE);
}

/* gdb's amd64 support needs the core and SSE features (gdb manual, "i386
 * Features"); a debugger needs at least these of them. */
static const char *const required_regs[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
	"r12", "r13", "r14", "r15", "rip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
	"xmm0", "mxcsr", NULL,
};

/* gdb's i386 support accepts a core feature only with all of its 32
 * registers (i386_validate_tdesc_p numbers every one). */
static const char *const required_regs_i386[] = {
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags",
	"cs", "ss", "ds", "es", "fs", "gs", "st0", "st1", "st2", "st3", "st4", "st5",
	"st6", "st7", "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop",
	NULL,
};

const struct arch_ops arch_x86_64 = {
	.name = "x86-64",
	.vmdbg_arch = VMDBG_ARCH_X86_64,
	.default_tdesc = default_tdesc,
	.bind = bind,
	.expedite = { "rbp", "rsp", "rip", NULL },
	.required = required_regs,
	.sw_bp_kind = 1,
};

const struct arch_ops arch_i386 = {
	.name = "i386",
	.vmdbg_arch = VMDBG_ARCH_X86_64,
	.default_tdesc = default_tdesc_i386,
	.bind = bind_i386,
	.expedite = { "ebp", "esp", "eip", NULL },
	.required = required_regs_i386,
	.sw_bp_kind = 1,
};

const uint64_t arch_x86_mode_ids[] = { VMDBG_X86_CR(0), VMDBG_X86_EFER, 0 };

/*
 * Which view of an x86 vCPU gdb is given.  gdb's amd64 architecture
 * handles all of IA-32e mode, 64-bit and compatibility segments alike, so
 * the question is only whether long mode is active: EFER.LMA, which the
 * processor sets when paging is enabled with EFER.LME set and clears when
 * paging is disabled (Intel SDM Vol. 3A "Initializing IA-32e Mode"); LMA
 * without CR0.PG is no state a processor can be in, and is not believed.
 * Everything else is i386: protected mode with or without paging or PAE,
 * LME set but paging not yet on, and real mode too.  gdb's i8086 has the
 * same registers as i386 and only disassembles differently; i386 is what
 * real-mode code (a boot sector, GRUB's real-mode stubs) runs in next, and
 * `set architecture i8086` is the user's choice while it runs.
 */
const struct arch_ops *arch_x86_for_mode(uint64_t cr0, uint64_t efer)
{
	return (efer & EFER_LMA) && (cr0 & CR0_PG) ? &arch_x86_64 : &arch_i386;
}

const struct arch_ops *arch_for(uint32_t vmdbg_arch)
{
	if (vmdbg_arch == VMDBG_ARCH_X86_64)
		return &arch_x86_64;
	if (vmdbg_arch == VMDBG_ARCH_AARCH64)
		return &arch_arm64;
	return NULL;
}
