/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-vm-a64.c - dbgproxy-vm --arch aarch64 driven over its vmdbg socket:
 * HELLO and register ids as KVM's arm64 ones, the debug exits the Arm
 * debug architecture defines (ESR/FAR of a watchpoint taken before the
 * store), the guest's own BRK delivered to its vector, HLT, SVE registers,
 * and every malformed request refused with its error code.  No KVM needed.
 *
 * Environment: DBGPROXY_VM, GUEST_ARM64 (set by `make check`).
 */
#include <signal.h>
#include <string.h>

#include "testutil.h"
#include "vmdbg-glib.h"
#include "vmfix.h"

#define ESR_EC(esr)   (((esr) >> 26) & 0x3f)
#define ESR_WNR       (1ull << 6)
#define EC_WATCH_CUR  0x35
#define EC_SSTEP_CUR  0x33
#define BRK(imm)      (0xd4200000u | ((uint32_t)(imm) << 5))
#define HLT(imm)      (0xd4400000u | ((uint32_t)(imm) << 5))
#define MPIDR_EL1     VMDBG_ARM64_SYSREG(3, 0, 0, 0, 5)
#define VBAR_EL1      VMDBG_ARM64_SYSREG(3, 0, 12, 0, 0)
#define ESR_EL1       VMDBG_ARM64_SYSREG(3, 0, 5, 2, 0)

static const char *vm_bin, *guest;
static uint64_t sym_tick, sym_counters, sym_after_probe, sym_spin_line, sym_spin_count;

static void start(struct vmfix *f, unsigned vcpus, const char *extra)
{
	g_autofree char *args = g_strdup_printf("--arch aarch64 %s", extra ? extra : "");
	vmfix_start(f, vm_bin, guest, vcpus, args);
	hello(f);
	wait_serial(f, "arm64 test guest up");
}

static bool has_id(const struct vmdbg_reg_ids *ids, uint64_t id)
{
	for (uint32_t i = 0; i < ids->count; i++)
		if (vmdbg_reg_ids_get(ids, i) == id)
			return true;
	return false;
}

static void reg_list(struct vmfix *f, bool sve)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	vmdbg_enc_reg_list_request(VMDBG_GBA(req), seq, 0);
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(f, req, seq, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_REG_LIST | VMDBG_REPLY);
	for (unsigned n = 0; n < 31; n++)
		g_assert_true(has_id(&m.u.reg_ids, VMDBG_ARM64_X(n)));
	g_assert_true(has_id(&m.u.reg_ids, VMDBG_ARM64_SP));
	g_assert_true(has_id(&m.u.reg_ids, VMDBG_ARM64_SP_EL1));
	g_assert_true(has_id(&m.u.reg_ids, VMDBG_ARM64_PC));
	g_assert_true(has_id(&m.u.reg_ids, VMDBG_ARM64_PSTATE));
	g_assert_true(has_id(&m.u.reg_ids, VMDBG_ARM64_FPSR));
	g_assert_true(has_id(&m.u.reg_ids, MPIDR_EL1));
	/* as KVM: with SVE the V registers are the low bits of Z only */
	g_assert_cmpint(has_id(&m.u.reg_ids, VMDBG_ARM64_V(0)), ==, !sve);
	g_assert_cmpint(has_id(&m.u.reg_ids, VMDBG_ARM64_ZREG(31)), ==, sve);
	g_assert_cmpint(has_id(&m.u.reg_ids, VMDBG_ARM64_PREG(15)), ==, sve);
	g_assert_cmpint(has_id(&m.u.reg_ids, VMDBG_ARM64_FFR), ==, sve);
	g_assert_cmpint(has_id(&m.u.reg_ids, VMDBG_ARM64_SVE_VLS), ==, sve);
}

static void set_debug(struct vmfix *f, const struct vmdbg_arm64_debugregs *r, uint32_t expect_err)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	struct vmdbg_guest_debug g = { .control = VMDBG_GDBG_VALID, .arch = VMDBG_ARCH_AARCH64 };
	g.regs.arm64 = *r;
	vmdbg_enc_set_guest_debug(VMDBG_GBA(req), seq, &g);
	if (expect_err)
		g_assert_cmpuint(expect_error(f, req, seq), ==, expect_err);
	else
		expect_ok(f, req, seq, VMDBG_SET_GUEST_DEBUG);
}

static void set_reg(struct vmfix *f, uint64_t id, const void *value, uint32_t expect_err)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	vmdbg_enc_reg_vals(VMDBG_GBA(req), VMDBG_SET_REGS, seq, 0, &id, 1, value);
	if (expect_err)
		g_assert_cmpuint(expect_error(f, req, seq), ==, expect_err);
	else
		expect_ok(f, req, seq, VMDBG_SET_REGS);
}

static void set_reg64(struct vmfix *f, uint64_t id, uint64_t v)
{
	uint64_t le = GUINT64_TO_LE(v);
	set_reg(f, id, &le, 0);
}

static void write_insn(struct vmfix *f, uint64_t addr, uint32_t insn)
{
	uint32_t le = GUINT32_TO_LE(insn);
	write_mem(f, addr, &le, 4);
}

static struct vmdbg_stopped resume_until_stop(struct vmfix *f, uint32_t action)
{
	resume_all(f, action);
	struct vmdbg_stopped ev;
	g_assert_true(wait_stop(f, &ev, IO_TIMEOUT_MS));
	return ev;
}

static void test_hello_reg_list(void)
{
	struct vmfix f;
	start(&f, 2, "--hw-bps 3 --hw-wps 5");
	g_assert_cmpuint(f.hello.arch, ==, VMDBG_ARCH_AARCH64);
	g_assert_cmpuint(f.hello.nr_vcpus, ==, 2);
	g_assert_cmpuint(f.hello.hw_bps, ==, 3);
	g_assert_cmpuint(f.hello.hw_wps, ==, 5);
	g_assert_cmphex(f.hello.features, ==,
			VMDBG_FEAT_SW_BP | VMDBG_FEAT_SINGLESTEP | VMDBG_FEAT_SIMULATED |
			VMDBG_FEAT_RANGE_STEP | VMDBG_FEAT_CONDITIONS | VMDBG_FEAT_SHARED_MEM |
			VMDBG_FEAT_PAGE_WATCH);
	pause_vm(&f);
	reg_list(&f, false);
	g_assert_cmphex(get_reg64(&f, 1, MPIDR_EL1), ==, 0x80000001ull);
	/* EL1h with D A I F masked, as QEMU starts a -kernel ELF */
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_ARM64_PSTATE) & 0x3ff, ==, 0x3c5);
	vm_stop(&f);
}

/* A store watchpoint on counters[0]: taken before the STR in tick writes
 * (memory still old, x2 already incremented), ESR EC 0x35 with WnR, FAR in
 * the access. */
static void test_watchpoint_before_store(void)
{
	struct vmfix f;
	start(&f, 1, NULL);
	pause_vm(&f);
	struct vmdbg_arm64_debugregs r = { 0 };
	r.dbg_wvr[0] = sym_counters;
	r.dbg_wcr[0] = 1u | 3u << 1 | 2u << 3 | 0xffu << 5; /* E, PAC=EL1+EL0, LSC=store, BAS=all */
	set_debug(&f, &r, 0);
	struct vmdbg_stopped ev = resume_until_stop(&f, VMDBG_ACT_CONTINUE);
	g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_DEBUG);
	g_assert_cmpuint(ESR_EC(ev.info[0]), ==, EC_WATCH_CUR);
	g_assert_true(ev.info[0] & ESR_WNR);
	g_assert_cmphex(ev.info[1], ==, sym_counters);
	g_assert_cmphex(ev.pc, ==, sym_tick + 12);    /* the STR */
	uint64_t x2 = get_reg64(&f, 0, VMDBG_ARM64_X(2));
	g_assert_cmpuint(read_u64(&f, sym_counters), ==, x2 - 1);

	/* a single step from there (debug registers cleared) executes the store */
	memset(&r, 0, sizeof(r));
	set_debug(&f, &r, 0);
	ev = resume_until_stop(&f, VMDBG_ACT_STEP);
	g_assert_cmpuint(ESR_EC(ev.info[0]), ==, EC_SSTEP_CUR);
	g_assert_cmphex(ev.pc, ==, sym_tick + 16);
	g_assert_cmpuint(read_u64(&f, sym_counters), ==, x2);
	vm_stop(&f);
}

/* The guest's own BRK goes to its vector (VBAR_EL1 + 0x200), HLT stops. */
static void test_guest_exceptions(void)
{
	struct vmfix f;
	start(&f, 1, NULL);
	pause_vm(&f);
	uint64_t vbar = 0x40100000ull; /* 2 KiB-aligned RAM above the guest image */
	write_insn(&f, vbar + 0x200, HLT(7));
	set_reg64(&f, VBAR_EL1, vbar);
	set_reg64(&f, VMDBG_ARM64_PC, sym_after_probe);
	write_insn(&f, sym_after_probe, BRK(0x42));
	struct vmdbg_stopped ev = resume_until_stop(&f, VMDBG_ACT_CONTINUE);
	g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_HALTED);
	g_assert_cmphex(ev.pc, ==, vbar + 0x204);
	g_assert_cmphex(get_reg64(&f, 0, ESR_EL1), ==, 0xf2000042ull); /* EC 0x3c, IL, imm */
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_ARM64_ELR_EL1), ==, sym_after_probe);
	vm_stop(&f);
}

static void test_bad_requests(void)
{
	struct vmfix f;
	start(&f, 1, NULL);
	g_autoptr(GByteArray) req = g_byte_array_new();

	/* registers and memory of a running vCPU */
	uint64_t id = VMDBG_ARM64_PC;
	uint32_t seq = next_seq(&f);
	vmdbg_enc_reg_ids(VMDBG_GBA(req), VMDBG_GET_REGS, seq, 0, &id, 1);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_STATE);
	pause_vm(&f);

	/* a slot past the VM's 6 breakpoint pairs; x86 registers */
	struct vmdbg_arm64_debugregs r = { 0 };
	r.dbg_bcr[6] = 0x1e7;
	set_debug(&f, &r, VMDBG_E_INVAL);
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	struct vmdbg_guest_debug g = { .control = VMDBG_GDBG_VALID, .arch = VMDBG_ARCH_X86_64 };
	vmdbg_enc_set_guest_debug(VMDBG_GBA(req), seq, &g);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_INVAL);

	/* software breakpoints: unaligned, x86 kind, outside RAM, twice, absent */
	struct { uint64_t addr; uint32_t kind; uint8_t type; uint32_t err; } bps[] = {
		{ sym_tick + 2, 4, VMDBG_SW_BP_INSERT, VMDBG_E_INVAL },
		{ sym_tick, 1, VMDBG_SW_BP_INSERT, VMDBG_E_INVAL },
		{ 0x1000, 4, VMDBG_SW_BP_INSERT, VMDBG_E_FAULT },
		{ sym_tick, 4, VMDBG_SW_BP_INSERT, 0 },
		{ sym_tick, 4, VMDBG_SW_BP_INSERT, VMDBG_E_EXIST },
		{ sym_tick, 4, VMDBG_SW_BP_REMOVE, 0 },
		{ sym_tick, 4, VMDBG_SW_BP_REMOVE, VMDBG_E_NOENT },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(bps); i++) {
		g_byte_array_set_size(req, 0);
		seq = next_seq(&f);
		struct vmdbg_sw_bp bp = { .vcpu = 0, .kind = bps[i].kind, .addr = bps[i].addr };
		vmdbg_enc_sw_bp(VMDBG_GBA(req), bps[i].type, seq, &bp);
		if (bps[i].err)
			g_assert_cmpuint(expect_error(&f, req, seq), ==, bps[i].err);
		else
			expect_ok(&f, req, seq, bps[i].type);
	}

	/* memory outside RAM; a write running past its end changes nothing */
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_read_mem(VMDBG_GBA(req), seq, 0, 0x1000, 4);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_FAULT);
	uint64_t end = 0x40000000ull + (64ull << 20);
	uint8_t before[4], junk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	read_mem(&f, 0, end - 4, 4, before);
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_write_mem(VMDBG_GBA(req), seq, 0, end - 4, junk, sizeof(junk));
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_FAULT);
	uint8_t after[4];
	read_mem(&f, 0, end - 4, 4, after);
	g_assert_cmpmem(before, 4, after, 4);

	/* PSTATE the simulated vCPU cannot take (EL0t), and with it in the same
	 * SET_REGS a register that must then stay unchanged */
	uint64_t x5 = get_reg64(&f, 0, VMDBG_ARM64_X(5));
	uint64_t ids[2] = { VMDBG_ARM64_X(5), VMDBG_ARM64_PSTATE };
	uint64_t vals[2] = { GUINT64_TO_LE(0x5555), GUINT64_TO_LE(0x3c0) };
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_reg_vals(VMDBG_GBA(req), VMDBG_SET_REGS, seq, 0, ids, 2, (const uint8_t *)vals);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_INVAL);
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_ARM64_X(5)), ==, x5);
	/* an x86 id */
	id = VMDBG_X86_RIP;
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_reg_ids(VMDBG_GBA(req), VMDBG_GET_REGS, seq, 0, &id, 1);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_INVAL);

	/* the guest still runs after all of it */
	uint64_t c = read_u64(&f, sym_counters);
	for (int i = 0; i < 100 && read_u64(&f, sym_counters) == c; i++) {
		resume_all(&f, VMDBG_ACT_CONTINUE);
		g_usleep(20 * 1000);
		pause_vm(&f);
	}
	g_assert_cmpuint(read_u64(&f, sym_counters), >, c);
	vm_stop(&f);
}

static void send_cond(struct vmfix *f, uint64_t addr, const uint8_t *code, uint32_t len,
		      uint32_t regnum, uint32_t expect_err)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	const struct vmdbg_cond_reg reg = { VMDBG_ARM64_X(0), regnum };
	const uint8_t *codes[] = { code };
	vmdbg_enc_point_cond(VMDBG_GBA(req), seq, addr, &reg, 1, codes, &len, code ? 1 : 0, 0);
	if (expect_err)
		g_assert_cmpuint(expect_error(f, req, seq), ==, expect_err);
	else
		expect_ok(f, req, seq, VMDBG_POINT_COND);
}

/* Breakpoint conditions and range steps, as the daemon sends them. */
static void test_conditions_range(void)
{
	struct vmfix f;
	start(&f, 1, NULL);
	pause_vm(&f);
	/* refused: bytecode that underflows; a register the table lacks */
	static const uint8_t underflow[] = { 0x02, 0x27 };
	send_cond(&f, sym_tick, underflow, sizeof underflow, 0, VMDBG_E_INVAL);
	static const uint8_t reads_r5[] = { 0x26, 0x00, 0x05, 0x27 };
	send_cond(&f, sym_tick, reads_r5, sizeof reads_r5, 0, VMDBG_E_INVAL);

	/* x0 == 1 is never true on vCPU 0 (tick's argument is the vCPU index):
	 * the breakpoint is stepped over unseen while the guest ticks */
	static const uint8_t x0_is_1[] = { 0x26, 0x00, 0x00, 0x22, 0x01, 0x13, 0x27 };
	static const uint8_t x0_is_0[] = { 0x26, 0x00, 0x00, 0x22, 0x00, 0x13, 0x27 };
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(&f);
	struct vmdbg_sw_bp bp = { .vcpu = 0, .kind = 4, .addr = sym_tick };
	vmdbg_enc_sw_bp(VMDBG_GBA(req), VMDBG_SW_BP_INSERT, seq, &bp);
	expect_ok(&f, req, seq, VMDBG_SW_BP_INSERT);
	send_cond(&f, sym_tick, x0_is_1, sizeof x0_is_1, 0, 0);
	uint64_t c0 = read_u64(&f, sym_counters);
	resume_all(&f, VMDBG_ACT_CONTINUE);
	struct vmdbg_stopped ev;
	g_assert_false(wait_stop(&f, &ev, 300));
	pause_vm(&f);
	g_assert_cmpuint(read_u64(&f, sym_counters), >, c0 + 10);
	/* x0 == 0: it stops there */
	send_cond(&f, sym_tick, x0_is_0, sizeof x0_is_0, 0, 0);
	resume_all(&f, VMDBG_ACT_CONTINUE);
	g_assert_true(wait_stop(&f, &ev, 5000));
	g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_SW_BP);
	g_assert_cmphex(ev.pc, ==, sym_tick);
	/* no conditions: removed */
	send_cond(&f, sym_tick, NULL, 0, 0, 0);
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_sw_bp(VMDBG_GBA(req), VMDBG_SW_BP_REMOVE, seq, &bp);
	expect_ok(&f, req, seq, VMDBG_SW_BP_REMOVE);

	/* a range step from tick over its first four instructions stops at the
	 * fifth (ret), in one exchange */
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	const struct vmdbg_resume_entry e = { 0, VMDBG_ACT_RANGE_STEP, sym_tick, sym_tick + 16 };
	vmdbg_enc_resume(VMDBG_GBA(req), seq, VMDBG_ACT_STAY, &e, 1);
	expect_ok(&f, req, seq, VMDBG_RESUME);
	g_assert_true(wait_stop(&f, &ev, 5000));
	g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_DEBUG);
	g_assert_cmphex(ev.pc, ==, sym_tick + 16);

	/* a command (printf "s") on a two-instruction loop prints as fast as
	 * it can be read; the VM still answers (PAUSE) and the text arrives */
	uint64_t spins = GUINT64_TO_LE(100000000);
	write_mem(&f, sym_spin_count, &spins, sizeof(spins));
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	bp.addr = sym_spin_line;
	vmdbg_enc_sw_bp(VMDBG_GBA(req), VMDBG_SW_BP_INSERT, seq, &bp);
	expect_ok(&f, req, seq, VMDBG_SW_BP_INSERT);
	static const uint8_t print_s[] = { 0x22, 0, 0x22, 0, 0x34, 0, 0x00, 0x02, 's', 0, 0x27 };
	const uint8_t *codes[] = { print_s };
	uint32_t lens[] = { sizeof print_s };
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_point_cond(VMDBG_GBA(req), seq, sym_spin_line, NULL, 0, codes, lens, 0, 1);
	expect_ok(&f, req, seq, VMDBG_POINT_COND);
	resume_all(&f, VMDBG_ACT_CONTINUE);
	g_usleep(300 * 1000);
	pause_vm(&f);
	g_assert_nonnull(f.output);
	g_assert_cmpuint(f.output->len, >, 100);
	g_assert_cmpuint(strspn(f.output->str, "s"), ==, f.output->len);
	g_assert_false(wait_stop(&f, &ev, 100));  /* the breakpoint never stopped it */
	vm_stop(&f);
}

/* SVE at 512 bits: Z in 2048-bit containers, bits past the vector length
 * zero and refused when set. */
static void test_sve_registers(void)
{
	struct vmfix f;
	start(&f, 1, "--sve-vl 512");
	pause_vm(&f);
	reg_list(&f, true);
	uint8_t z[256] = { 0 };
	for (unsigned i = 0; i < 64; i++)
		z[i] = (uint8_t)(i * 3 + 1);
	set_reg(&f, VMDBG_ARM64_ZREG(7), z, 0);
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint64_t id = VMDBG_ARM64_ZREG(7);
	uint32_t seq = next_seq(&f);
	/* vmdbg.md: SVE_VLS is listed beside the SVE registers */
	vmdbg_enc_reg_ids(VMDBG_GBA(req), VMDBG_GET_REGS, seq, 0, &id, 1);
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(&f, req, seq, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_GET_REGS | VMDBG_REPLY);
	size_t off = 0;
	uint64_t got;
	const uint8_t *val;
	uint32_t size;
	g_assert_true(vmdbg_regvals_next(&m.u.reg_vals, &off, &got, &val, &size));
	g_assert_cmpmem(val, size, z, sizeof(z));
	/* SVE_VLS: bit vq-1 = 3 for 512 bits, readable while running, read-only */
	resume_all(&f, VMDBG_ACT_CONTINUE);
	g_byte_array_set_size(req, 0);
	id = VMDBG_ARM64_SVE_VLS;
	seq = next_seq(&f);
	vmdbg_enc_reg_ids(VMDBG_GBA(req), VMDBG_GET_REGS, seq, 0, &id, 1);
	g_autoptr(GByteArray) frame2 = transact(&f, req, seq, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_GET_REGS | VMDBG_REPLY);
	off = 0;
	g_assert_true(vmdbg_regvals_next(&m.u.reg_vals, &off, &got, &val, &size));
	g_assert_cmpuint(size, ==, 64);
	g_assert_cmphex(val[0], ==, 1u << 3);
	for (unsigned i = 1; i < 64; i++)
		g_assert_cmpuint(val[i], ==, 0);
	pause_vm(&f);
	uint8_t vls[64] = { 0xff };
	set_reg(&f, VMDBG_ARM64_SVE_VLS, vls, VMDBG_E_INVAL);
	z[64] = 1; /* bit 512: past the vector length */
	set_reg(&f, VMDBG_ARM64_ZREG(7), z, VMDBG_E_INVAL);
	uint8_t p[32] = { 0 };
	p[8] = 1;  /* P registers have VL/8 = 64 bits */
	set_reg(&f, VMDBG_ARM64_PREG(0), p, VMDBG_E_INVAL);
	vm_stop(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	vm_bin = g_getenv("DBGPROXY_VM");
	guest = g_getenv("GUEST_ARM64");
	if (!vm_bin || !guest) {
		g_printerr("DBGPROXY_VM and GUEST_ARM64 must be set (make check sets them)\n");
		return 99;
	}
	sym_tick = tu_symbol(guest, "tick");
	sym_counters = tu_symbol(guest, "counters");
	sym_after_probe = tu_symbol(guest, "after_probe");
	sym_spin_line = tu_symbol(guest, "spin_line");
	sym_spin_count = tu_symbol(guest, "spin_count");
	signal(SIGPIPE, SIG_IGN);
	g_test_add_func("/vm-a64/hello-reg-list", test_hello_reg_list);
	g_test_add_func("/vm-a64/watchpoint-before-store", test_watchpoint_before_store);
	g_test_add_func("/vm-a64/guest-exceptions", test_guest_exceptions);
	g_test_add_func("/vm-a64/bad-requests", test_bad_requests);
	g_test_add_func("/vm-a64/conditions-range", test_conditions_range);
	g_test_add_func("/vm-a64/sve-registers", test_sve_registers);
	return g_test_run();
}
