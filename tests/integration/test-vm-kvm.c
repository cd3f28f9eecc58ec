/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-vm-kvm.c - dbgproxy-vm driven over its vmdbg socket on real KVM.
 *
 * Each test boots the test guest (tests/guest) in a fresh dbgproxy-vm,
 * speaks vmdbg to it through the shared codec, and checks what the guest
 * really does: counters advancing, memory patterns, breakpoints hit.
 * Without a usable /dev/kvm every test is skipped with that reason.
 *
 * Environment: DBGPROXY_VM (the binary), GUEST_ELF (guest image with
 * symbols), both set by `make check`.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "testutil.h"
#include "vmdbg-glib.h"
#include "vmfix.h"

#define DR6_BS (1ull << 14)

/* ---- guest symbols ----------------------------------------------------------- */

struct guest_syms {
	uint64_t start, tick, guest_main, counters, pattern_buf, mailbox_in, mailbox_out, step;
	uint64_t tick_insn[4]; /* addresses of the first instructions of tick */
	uint64_t io_loop_enable, io_loop, io_loop_top;
	uint64_t io_loop_insn[5]; /* the instructions of the loop from io_loop_top */
};

static struct guest_syms syms;
static const char *vm_bin, *guest_elf;

/* The first n instruction addresses from addr on, from the disassembler. */
static void insn_boundaries(uint64_t addr, uint64_t *out, unsigned n)
{
	g_autofree char *dis = NULL;
	g_autofree char *start = g_strdup_printf("--start-address=0x%" G_GINT64_MODIFIER "x", addr);
	g_autofree char *stop = g_strdup_printf("--stop-address=0x%" G_GINT64_MODIFIER "x", addr + 64);
	const char *od_argv[] = { "objdump", "-d", "--no-show-raw-insn", start, stop, guest_elf, NULL };
	g_assert_true(g_spawn_sync(NULL, (char **)od_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
				   &dis, NULL, NULL, NULL));
	g_auto(GStrv) lines = g_strsplit(dis, "\n", -1);
	unsigned k = 0;
	for (char **l = lines; *l && k < n; l++) {
		char *colon = strchr(*l, ':');
		char *end;
		if (!colon || colon == *l || (*l)[0] != ' ')
			continue;
		uint64_t a = g_ascii_strtoull(*l, &end, 16);
		if (end == colon && a >= addr)
			out[k++] = a;
	}
	g_assert_cmpuint(k, ==, n);
	g_assert_cmphex(out[0], ==, addr);
}

static void load_symbols(void)
{
	syms.start = tu_symbol(guest_elf, "_start");
	syms.tick = tu_symbol(guest_elf, "tick");
	syms.guest_main = tu_symbol(guest_elf, "guest_main");
	syms.counters = tu_symbol(guest_elf, "counters");
	syms.pattern_buf = tu_symbol(guest_elf, "pattern_buf");
	syms.mailbox_in = tu_symbol(guest_elf, "mailbox_in");
	syms.mailbox_out = tu_symbol(guest_elf, "mailbox_out");
	syms.step = tu_symbol(guest_elf, "step");
	syms.io_loop_enable = tu_symbol(guest_elf, "io_loop_enable");
	syms.io_loop = tu_symbol(guest_elf, "io_loop");
	syms.io_loop_top = tu_symbol(guest_elf, "io_loop_top");
	insn_boundaries(syms.io_loop_top, syms.io_loop_insn, G_N_ELEMENTS(syms.io_loop_insn));

	insn_boundaries(syms.tick, syms.tick_insn, G_N_ELEMENTS(syms.tick_insn));
}

/* The test guest starts its APs at the entry point (--ap-entry), not by
 * INIT/SIPI. */
static void vm_start(struct vmfix *f, unsigned vcpus, const char *extra)
{
	g_autofree char *args = g_strdup_printf("--ap-entry %s", extra ? extra : "");
	vmfix_start(f, vm_bin, guest_elf, vcpus, args);
}

static bool skip_without_kvm(void)
{
	return tu_skip_without_kvm();
}

static void sw_bp(struct vmfix *f, uint8_t type, uint64_t addr, uint32_t expect_err)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	struct vmdbg_sw_bp bp = { .vcpu = 0, .kind = 1, .addr = addr };
	vmdbg_enc_sw_bp(VMDBG_GBA(req), type, seq, &bp);
	if (expect_err)
		g_assert_cmpuint(expect_error(f, req, seq), ==, expect_err);
	else
		expect_ok(f, req, seq, type);
}

static void set_guest_debug(struct vmfix *f, uint32_t control, const uint64_t dr[8])
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	struct vmdbg_guest_debug g = { .control = control, .arch = VMDBG_ARCH_X86_64 };
	memcpy(g.regs.x86.debugreg, dr, sizeof(g.regs.x86.debugreg));
	vmdbg_enc_set_guest_debug(VMDBG_GBA(req), seq, &g);
	expect_ok(f, req, seq, VMDBG_SET_GUEST_DEBUG);
}

static void start_running(struct vmfix *f, unsigned vcpus)
{
	vm_start(f, vcpus, NULL);
	hello(f);
	for (unsigned i = 0; i < vcpus; i++) {
		g_autofree char *line = g_strdup_printf("dbgproxy-guest: cpu %u up", i);
		wait_serial(f, line);
	}
}

/* Let the guest run until counters[cpu] has moved past `from`. */
static uint64_t run_until_counter_moves(struct vmfix *f, unsigned cpu, uint64_t from)
{
	for (int i = 0; i < 100; i++) {
		resume_all(f, VMDBG_ACT_CONTINUE);
		g_usleep(50 * 1000);
		pause_vm(f);
		uint64_t now = read_u64(f, syms.counters + 8 * cpu);
		if (now > from)
			return now;
	}
	g_error("counters[%u] never moved past %" G_GUINT64_FORMAT, cpu, from);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_hello_reg_list(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	vm_start(&f, 1, NULL);
	hello(&f);
	g_assert_cmpuint(f.hello.version, ==, VMDBG_VERSION);
	g_assert_cmpuint(f.hello.arch, ==, VMDBG_ARCH_X86_64);
	g_assert_cmpuint(f.hello.nr_vcpus, ==, 1);
	g_assert_cmpuint(f.hello.hw_bps, ==, 4);
	g_assert_cmpuint(f.hello.hw_wps, ==, 4);
	g_assert_cmpuint(f.hello.features & (VMDBG_FEAT_SINGLESTEP | VMDBG_FEAT_HW_SLOTS_SHARED),
			 ==, VMDBG_FEAT_SINGLESTEP | VMDBG_FEAT_HW_SLOTS_SHARED);
	/* software breakpoints are offered where the host traps int3 */
	g_assert_cmpuint(!!(f.hello.features & VMDBG_FEAT_SW_BP), ==,
			 tu_kvm_offers("sw-breakpoints"));
	g_assert_cmpuint(f.hello.max_frame, ==, VMDBG_MAX_FRAME);
	/* the control socket is the owner's only */
	struct stat st;
	g_assert_cmpint(stat(f.sock, &st), ==, 0);
	g_assert_cmpuint(st.st_mode & 0777, ==, 0600);

	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(&f);
	vmdbg_enc_reg_list_request(VMDBG_GBA(req), seq, 0);
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(&f, req, seq, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_REG_LIST | VMDBG_REPLY);
	bool rip = false, cr3 = false, efer = false, xmm15 = false, st7 = false, mxcsr = false;
	for (uint32_t i = 0; i < m.u.reg_ids.count; i++) {
		uint64_t id = vmdbg_reg_ids_get(&m.u.reg_ids, i);
		g_assert_true(vmdbg_reg_id_valid(id));
		rip |= id == VMDBG_X86_RIP;
		cr3 |= id == VMDBG_X86_CR(3);
		efer |= id == VMDBG_X86_EFER;
		xmm15 |= id == VMDBG_X86_XMM(15);
		st7 |= id == VMDBG_X86_ST(7);
		mxcsr |= id == VMDBG_X86_MXCSR;
	}
	g_assert_true(rip && cr3 && efer && xmm15 && st7 && mxcsr);
	g_assert_cmpuint(m.u.reg_ids.count, >=, 16 + 2 + 9 + 6 + 16 + 16 + 1);

	/* out-of-range vCPU */
	g_autoptr(GByteArray) bad = g_byte_array_new();
	seq = next_seq(&f);
	vmdbg_enc_reg_list_request(VMDBG_GBA(bad), seq, 7);
	g_assert_cmpuint(expect_error(&f, bad, seq), ==, VMDBG_E_INVAL);
	vm_stop(&f);
}

static void test_pause_resume(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	start_running(&f, 1);
	pause_vm(&f);
	uint64_t c1 = read_u64(&f, syms.counters);
	uint64_t rip1 = get_reg64(&f, 0, VMDBG_X86_RIP);
	g_usleep(100 * 1000);
	/* paused means paused */
	g_assert_cmpuint(read_u64(&f, syms.counters), ==, c1);
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_RIP), ==, rip1);
	uint64_t c2 = run_until_counter_moves(&f, 0, c1);
	g_assert_cmpuint(c2, >, c1);
	uint64_t rip2 = get_reg64(&f, 0, VMDBG_X86_RIP);
	/* it runs the guest's code (the loop, tick, reg_probe), in long mode */
	g_assert_cmphex(rip2, >=, syms.start);
	g_assert_cmphex(rip2, <, syms.guest_main + 0x200);
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_EFER) & 0x500, ==, 0x500); /* LME|LMA */

	/* registers of a running vCPU are refused */
	resume_all(&f, VMDBG_ACT_CONTINUE);
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(&f);
	uint64_t id = VMDBG_X86_RIP;
	vmdbg_enc_reg_ids(VMDBG_GBA(req), VMDBG_GET_REGS, seq, 0, &id, 1);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_STATE);
	vm_stop(&f);
}

static void test_memory(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	start_running(&f, 1);
	pause_vm(&f);
	uint8_t buf[8192];
	read_mem(&f, 0, syms.pattern_buf, 256, buf);
	for (unsigned i = 0; i < 256; i++)
		g_assert_cmphex(buf[i], ==, (i * 7 + 3) & 0xff);

	/* a transfer crossing a page boundary */
	uint64_t base = (syms.pattern_buf & ~4095ull) - 100;
	read_mem(&f, 0, base, 356, buf);
	for (unsigned i = 0; i < 256; i++)
		g_assert_cmphex(buf[syms.pattern_buf - base + i], ==, (i * 7 + 3) & 0xff);

	/* the end of guest RAM (64 MiB, identity mapped): a short read, then EFAULT */
	uint64_t end = 64ull << 20;
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(&f);
	vmdbg_enc_read_mem(VMDBG_GBA(req), seq, 0, end - 16, 64);
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(&f, req, seq, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_READ_MEM | VMDBG_REPLY);
	g_assert_cmpuint(m.u.mem.len, ==, 16);
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_read_mem(VMDBG_GBA(req), seq, 0, end + 4096, 8);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_FAULT);
	/* beyond the guest's 1 GiB identity map: not mapped at all */
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_read_mem(VMDBG_GBA(req), seq, 0, 0x40000000ull, 8);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_FAULT);
	/* a write that would cross into unmapped memory changes nothing */
	uint8_t ones[32];
	memset(ones, 0xee, sizeof(ones));
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_write_mem(VMDBG_GBA(req), seq, 0, end - 16, ones, sizeof(ones));
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_FAULT);
	read_mem(&f, 0, end - 16, 16, buf);
	for (unsigned i = 0; i < 16; i++)
		g_assert_cmphex(buf[i], ==, 0);

	/* WRITE_MEM is seen by the guest: it copies mailbox_in to mailbox_out */
	uint64_t magic = GUINT64_TO_LE(0x1122334455667788ull);
	write_mem(&f, syms.mailbox_in, &magic, 8);
	uint64_t c = read_u64(&f, syms.counters);
	run_until_counter_moves(&f, 0, c);
	g_assert_cmphex(read_u64(&f, syms.mailbox_out), ==, 0x1122334455667788ull);
	/* and step = 1000 makes the counter jump by 1000s */
	uint64_t step = GUINT64_TO_LE(1000);
	write_mem(&f, syms.step, &step, 8);
	c = read_u64(&f, syms.counters);
	/* the tick in flight at the pause may have loaded the old step of 1 */
	uint64_t c2 = run_until_counter_moves(&f, 0, c + 1);
	g_assert_cmpuint(c2 - c, >=, 1000);
	g_assert_cmpuint((c2 - c) % 1000, <=, 1);
	vm_stop(&f);
}

static void test_registers(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	start_running(&f, 1);
	pause_vm(&f);
	/* a SET_REGS of mixed widths reads back exactly */
	uint64_t ids[] = { VMDBG_X86_GPR(3), VMDBG_X86_XMM(5), VMDBG_X86_ST(2), VMDBG_X86_FCTRL,
			   VMDBG_X86_K_GS_BASE };
	uint8_t vals[8 + 16 + 16 + 2 + 8];
	for (unsigned i = 0; i < sizeof(vals); i++)
		vals[i] = (uint8_t)(0x40 + i);
	memset(vals + 8 + 16 + 10, 0, 6);  /* st2: 80 bits significant */
	vals[8 + 16 + 16] = 0x7f;          /* fctrl 0x037f */
	vals[8 + 16 + 16 + 1] = 0x03;
	uint64_t kgs = GUINT64_TO_LE(0xffff888012345678ull); /* canonical */
	memcpy(vals + 8 + 16 + 16 + 2, &kgs, 8);
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(&f);
	vmdbg_enc_reg_vals(VMDBG_GBA(req), VMDBG_SET_REGS, seq, 0, ids, G_N_ELEMENTS(ids), vals);
	expect_ok(&f, req, seq, VMDBG_SET_REGS);

	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_reg_ids(VMDBG_GBA(req), VMDBG_GET_REGS, seq, 0, ids, G_N_ELEMENTS(ids));
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(&f, req, seq, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_GET_REGS | VMDBG_REPLY);
	g_assert_cmpuint(m.u.reg_vals.count, ==, G_N_ELEMENTS(ids));
	size_t off = 0, voff = 0;
	uint64_t id;
	const uint8_t *val;
	uint32_t size;
	for (unsigned i = 0; vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size); i++) {
		g_assert_cmphex(id, ==, ids[i]);
		g_assert_cmpmem(val, size, vals + voff, size);
		voff += size;
	}
	g_assert_cmpuint(voff, ==, sizeof(vals));

	/* an id the VM does not serve: refused, nothing applied */
	uint64_t bad_ids[] = { VMDBG_X86_GPR(3), VMDBG_X86_ID(VMDBG_REG_U64, 9, 1) };
	uint8_t bad_vals[16] = { 0 };
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_reg_vals(VMDBG_GBA(req), VMDBG_SET_REGS, seq, 0, bad_ids, 2, bad_vals);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_INVAL);
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_GPR(3)), ==, 0x4746454443424140ull);

	/* a value KVM refuses (non-canonical MSR_KERNEL_GS_BASE) changes nothing */
	uint64_t two[] = { VMDBG_X86_GPR(3), VMDBG_X86_K_GS_BASE };
	uint64_t two_vals[] = { GUINT64_TO_LE(0x99), GUINT64_TO_LE(0x4000000000000000ull) };
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_reg_vals(VMDBG_GBA(req), VMDBG_SET_REGS, seq, 0, two, 2, (const uint8_t *)two_vals);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_INVAL);
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_GPR(3)), ==, 0x4746454443424140ull);
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_K_GS_BASE), ==, 0xffff888012345678ull);
	vm_stop(&f);
}

static void test_sw_breakpoint(void)
{
	if (tu_skip_unless_kvm_offers("sw-breakpoints"))
		return;
	struct vmfix f;
	start_running(&f, 1);
	pause_vm(&f);
	uint8_t before[16], after[16];
	read_mem(&f, 0, syms.tick, 16, before);
	sw_bp(&f, VMDBG_SW_BP_INSERT, syms.tick, 0);
	sw_bp(&f, VMDBG_SW_BP_INSERT, syms.tick, VMDBG_E_EXIST);
	sw_bp(&f, VMDBG_SW_BP_REMOVE, syms.tick + 1, VMDBG_E_NOENT);
	{
		/* int3 is one byte: any other kind is refused, nothing patched */
		g_autoptr(GByteArray) req = g_byte_array_new();
		uint32_t seq = next_seq(&f);
		struct vmdbg_sw_bp bad = { .vcpu = 0, .kind = 1000000, .addr = syms.tick + 2 };
		vmdbg_enc_sw_bp(VMDBG_GBA(req), VMDBG_SW_BP_INSERT, seq, &bad);
		g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_INVAL);
	}
	/* the original bytes stay visible */
	read_mem(&f, 0, syms.tick, 16, after);
	g_assert_cmpmem(before, 16, after, 16);

	for (int hit = 0; hit < 3; hit++) {
		resume_all(&f, VMDBG_ACT_CONTINUE);
		struct vmdbg_stopped ev;
		g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
		g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_SW_BP);
		g_assert_cmphex(ev.pc, ==, syms.tick);
		g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_RIP), ==, syms.tick);
		pause_vm(&f);
		uint64_t c = read_u64(&f, syms.counters);
		/* step over it as gdb does: remove, step, re-insert */
		sw_bp(&f, VMDBG_SW_BP_REMOVE, syms.tick, 0);
		resume_all(&f, VMDBG_ACT_STEP);
		g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
		g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_DEBUG);
		sw_bp(&f, VMDBG_SW_BP_INSERT, syms.tick, 0);
		if (hit > 0)
			g_assert_cmpuint(c, >, 0);
	}
	sw_bp(&f, VMDBG_SW_BP_REMOVE, syms.tick, 0);
	read_mem(&f, 0, syms.tick, 16, after);
	g_assert_cmpmem(before, 16, after, 16);
	vm_stop(&f);
}

/* Where int3 reaches the guest (QEMU's emulated SVM), the VM says so in
 * HELLO and refuses software breakpoints instead of letting the guest take
 * a #BP it never asked for; the code stays untouched. */
static void test_sw_breakpoint_refused(void)
{
	if (skip_without_kvm())
		return;
	if (tu_kvm_offers("sw-breakpoints")) {
		g_test_skip("this KVM host traps int3: software breakpoints are offered");
		return;
	}
	struct vmfix f;
	start_running(&f, 1);
	g_assert_cmpuint(f.hello.features & VMDBG_FEAT_SW_BP, ==, 0);
	pause_vm(&f);
	uint8_t before[16], after[16];
	read_mem(&f, 0, syms.tick, 16, before);
	sw_bp(&f, VMDBG_SW_BP_INSERT, syms.tick, VMDBG_E_HOST);
	read_mem(&f, 0, syms.tick, 16, after);
	g_assert_cmpmem(before, 16, after, 16);
	uint64_t c = read_u64(&f, syms.counters);
	run_until_counter_moves(&f, 0, c + 5);
	vm_stop(&f);
}

/* Stop (the paused) vCPU 0 on tick's first instruction however this host
 * allows: a software breakpoint, else single steps. */
static void stop_at_tick(struct vmfix *f)
{
	struct vmdbg_stopped ev;
	if (tu_kvm_offers("sw-breakpoints")) {
		sw_bp(f, VMDBG_SW_BP_INSERT, syms.tick, 0);
		resume_all(f, VMDBG_ACT_CONTINUE);
		g_assert_true(wait_stop(f, &ev, IO_TIMEOUT_MS));
		g_assert_cmphex(ev.pc, ==, syms.tick);
		sw_bp(f, VMDBG_SW_BP_REMOVE, syms.tick, 0);
		return;
	}
	for (int i = 0; i < 5000; i++) {
		if (get_reg64(f, 0, VMDBG_X86_RIP) == syms.tick)
			return;
		resume_all(f, VMDBG_ACT_STEP); /* one vCPU */
		g_assert_true(wait_stop(f, &ev, IO_TIMEOUT_MS));
	}
	g_error("5000 single steps never reached tick");
}

static void test_single_step(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	start_running(&f, 1);
	pause_vm(&f);
	stop_at_tick(&f);
	struct vmdbg_stopped ev;
	/* each step moves rip by exactly one instruction */
	for (unsigned i = 1; i < G_N_ELEMENTS(syms.tick_insn); i++) {
		resume_all(&f, VMDBG_ACT_STEP);
		g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
		g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_DEBUG);
		g_assert_cmpuint(ev.info[0], ==, 1);          /* #DB */
		g_assert_cmphex(ev.info[1] & DR6_BS, ==, DR6_BS);
		g_assert_cmphex(ev.pc, ==, syms.tick_insn[i]);
		g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_RIP), ==, syms.tick_insn[i]);
	}
	vm_stop(&f);
}

/* FWAIT steps like any instruction.  kvm_pvm cannot emulate it (an internal
 * error at the 9B: GNU Mach's and memtest86+'s FINIT stopped there); the
 * VM completes it as the CPU would (nothing pending: it does nothing). */
static void test_fwait_steps(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	start_running(&f, 1);
	pause_vm(&f);
	stop_at_tick(&f);
	/* fwait; fwait; nop; nop in the guest's data (identity-mapped, executable) */
	static const uint8_t code[] = { 0x9b, 0x9b, 0x90, 0x90 };
	write_mem(&f, syms.pattern_buf, code, sizeof(code));
	uint64_t rip_id = VMDBG_X86_RIP, rip = GUINT64_TO_LE(syms.pattern_buf);
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(&f);
	vmdbg_enc_reg_vals(VMDBG_GBA(req), VMDBG_SET_REGS, seq, 0, &rip_id, 1, (const uint8_t *)&rip);
	expect_ok(&f, req, seq, VMDBG_SET_REGS);
	for (unsigned i = 1; i <= 3; i++) {
		struct vmdbg_stopped ev;
		resume_all(&f, VMDBG_ACT_STEP);
		g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
		g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_DEBUG);
		g_assert_cmpuint(ev.info[0], ==, 1);          /* #DB */
		g_assert_cmphex(ev.info[1] & DR6_BS, ==, DR6_BS);
		g_assert_cmphex(ev.pc, ==, syms.pattern_buf + i);
		g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_RIP), ==, syms.pattern_buf + i);
	}
	vm_stop(&f);
}

/* ---- x87 instructions the host fails, run by the VM on the host CPU ------------
 *
 * Each sequence is assembled once, here: the host runs it as a function
 * (data pointer in %rdi) and the guest runs the same bytes, copied into
 * pattern_buf with rdi set to a data area after them.  The guest's x87
 * registers, status, control and tag words, its flags and the data must
 * come out as the host's.  On kvm_pvm every one of these instructions
 * ends KVM_RUN with an emulation failure: without the VM's completion the
 * guest stops at the first (a KVM internal error). */
#define X87_SEQ(name, body)                                                           \
	".globl " name "\n.type " name ", @function\n" name ":\n" body                 \
	"\n.globl " name "_end\n" name "_end:\n\tret\n"
__asm__(".pushsection .text\n"
	/* GNU Mach's init_fpu: the 387's infinity test (its frame in rdi) */
	X87_SEQ("x87_seq_mach",
		"fninit\n\tfld1\n\tfstpl 0x10(%rdi)\n\tfldz\n\tfstpl 0x18(%rdi)\n"
		"\tfldl 0x10(%rdi)\n\tfldl 0x18(%rdi)\n\tfdivrp %st, %st(1)\n"
		"\tfstpl 0x20(%rdi)\n\tfldl 0x20(%rdi)\n\tfldl 0x20(%rdi)\n\tfchs\n"
		"\tfxch %st(1)\n\tfucomip %st(1), %st\n\tfstp %st(0)\n"
		"\tfld1\n\tfldz\n\tfucomip %st(1), %st\n\tpushfq\n\tpopq 0x98(%rdi)")
	/* integers, BCD, 80-bit reals, transcendental ones, SIB addressing */
	X87_SEQ("x87_seq_ints",
		"xorl %eax, %eax\n\tfninit\n\tfilds 0x0(%rdi)\n\tfildl 0x4(%rdi)\n\tfildll 0x8(%rdi)\n"
		"\tfaddp\n\tfimull 0x4(%rdi)\n\tfistpll 0x28(%rdi)\n\tfistpl 0x30(%rdi,%rax,1)\n"
		"\tfldpi\n\tfsqrt\n\tfld %st(0)\n\tfsin\n\tfistps 0x34(%rdi)\n"
		"\tfstpt 0x38(%rdi)\n\tfildl 0x4(%rdi)\n\tfbstp 0x48(%rdi)\n"
		"\tfldl2e\n\tfldln2\n\tfyl2x\n\tfld1\n\tfadd %st(1), %st\n\tfdivs 0x50(%rdi)\n"
		"\tfcoms 0x50(%rdi)\n\tfnstsw %ax\n\tmovw %ax, 0x58(%rdi)\n"
		"\tfldz\n\tfld1\n\tfucomi %st(1), %st\n\tfcmovnbe %st(2), %st\n"
		"\tfcomip %st(1), %st\n\tpushfq\n\tpopq 0x98(%rdi)\n\tfxam\n\tffree %st(3)")
	/* FNSAVE, FRSTOR, FNSTENV, FLDENV: the 108- and 28-byte images */
	X87_SEQ("x87_seq_save",
		"fninit\n\tfldpi\n\tfld1\n\tfldl2t\n\tfnsave 0x0(%rdi)\n\tfldz\n"
		"\tfrstor 0x0(%rdi)\n\tfaddp\n\tfnstenv 0x6c(%rdi)\n\tfld1\n\tfldenv 0x6c(%rdi)\n"
		"\tfdecstp\n\tfincstp")
	/* an unmasked exception (ZE) is only recorded by the division */
	X87_SEQ("x87_seq_zdiv",
		"fninit\n\tfldcw 0x90(%rdi)\n\tfldz\n\tfld1\n\tfdivp %st, %st(1)")
	".popsection\n");

#define X87_DECL(name) extern void name(void *), name##_end(void)
X87_DECL(x87_seq_mach);
X87_DECL(x87_seq_ints);
X87_DECL(x87_seq_save);
X87_DECL(x87_seq_zdiv);

enum { X87_DATA = 160, X87_CODE_MAX = 96 };

struct x87_result {
	uint16_t fcw, fsw, ftw;           /* ftw: the full tag word */
	uint8_t st[8][10];
	uint8_t data[X87_DATA];
};

static void x87_data_init(uint8_t *d)
{
	memset(d, 0, X87_DATA);
	const int16_t w = -1234;
	const int32_t l = 56789;
	const int64_t q = -9876543210LL;
	const float three = 3.0f;
	memcpy(d + 0, &w, 2);
	memcpy(d + 4, &l, 4);
	memcpy(d + 8, &q, 8);
	memcpy(d + 0x50, &three, 4);
	d[0x90] = 0x7b;                   /* control word 037B: ZE unmasked */
	d[0x91] = 0x03;
}

/* The sequence on the host (its x87 state saved around it) */
static void x87_on_host(void (*fn)(void *), struct x87_result *r)
{
	_Alignas(16) uint8_t save[512], fx[512];
	uint8_t env[28];
	x87_data_init(r->data);
	__asm__ volatile("fxsave64 %0" : "=m"(save));
	fn(r->data);
	__asm__ volatile("fxsave64 %0\n\tfnstenv %1\n\tfxrstor64 %2"
			 : "=m"(fx), "=m"(env) : "m"(save));
	memcpy(&r->fcw, env + 0, 2);
	memcpy(&r->fsw, env + 4, 2);
	memcpy(&r->ftw, env + 8, 2);
	for (unsigned i = 0; i < 8; i++)
		memcpy(r->st[i], fx + 32 + 16 * i, 10);
}

static void get_reg_bytes(struct vmfix *f, uint64_t id, uint8_t *out, uint32_t len)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	vmdbg_enc_reg_ids(VMDBG_GBA(req), VMDBG_GET_REGS, seq, 0, &id, 1);
	struct vmdbg_msg m;
	g_autoptr(GByteArray) frame = transact(f, req, seq, &m);
	g_assert_cmpuint(m.type, !=, VMDBG_ERROR);
	size_t off = 0;
	uint64_t got;
	const uint8_t *val;
	uint32_t size;
	g_assert_true(vmdbg_regvals_next(&m.u.reg_vals, &off, &got, &val, &size));
	g_assert_cmpuint(size, >=, len);
	memcpy(out, val, len);
}

static void set_reg64(struct vmfix *f, uint64_t id, uint64_t value)
{
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(f);
	uint64_t le = GUINT64_TO_LE(value);
	vmdbg_enc_reg_vals(VMDBG_GBA(req), VMDBG_SET_REGS, seq, 0, &id, 1, (const uint8_t *)&le);
	expect_ok(f, req, seq, VMDBG_SET_REGS);
}

/* Put the sequence's bytes and `jmp .` at pattern_buf, its data after
 * them, rip and rdi there; returns the address of the jmp */
static uint64_t x87_load_guest(struct vmfix *f, void (*fn)(void *), void (*end)(void))
{
	size_t len = (size_t)((const uint8_t *)end - (const uint8_t *)fn);
	g_assert_cmpuint(len + 2, <=, X87_CODE_MAX);
	uint8_t code[X87_CODE_MAX];
	memcpy(code, (const void *)fn, len);
	code[len] = 0xeb;                 /* jmp . */
	code[len + 1] = 0xfe;
	write_mem(f, syms.pattern_buf, code, (uint32_t)len + 2);
	uint8_t data[X87_DATA];
	x87_data_init(data);
	write_mem(f, syms.pattern_buf + X87_CODE_MAX, data, X87_DATA);
	set_reg64(f, VMDBG_X86_RIP, syms.pattern_buf);
	set_reg64(f, VMDBG_X86_GPR(5), syms.pattern_buf + X87_CODE_MAX);   /* rdi */
	set_reg64(f, VMDBG_X86_RAX, 0);
	return syms.pattern_buf + len;
}

static void x87_on_guest(struct vmfix *f, struct x87_result *r)
{
	r->fcw = (uint16_t)get_reg64(f, 0, VMDBG_X86_FCTRL);
	r->fsw = (uint16_t)get_reg64(f, 0, VMDBG_X86_FSTAT);
	r->ftw = (uint16_t)get_reg64(f, 0, VMDBG_X86_FTAG);
	for (unsigned i = 0; i < 8; i++)
		get_reg_bytes(f, VMDBG_X86_ST(i), r->st[i], 10);
	read_mem(f, 0, syms.pattern_buf + X87_CODE_MAX, X87_DATA, r->data);
}

/* The guest's results are the host's: the registers that hold a value
 * (an empty one keeps whatever was there before), the words, the data
 * (except the FNSAVE/FNSTENV images' instruction and operand pointers:
 * the guest's addresses, not the host's) */
static void x87_compare(const struct x87_result *g, const struct x87_result *h, bool images)
{
	g_assert_cmphex(g->fcw, ==, h->fcw);
	g_assert_cmphex(g->fsw, ==, h->fsw);
	g_assert_cmphex(g->ftw, ==, h->ftw);
	unsigned top = (h->fsw >> 11) & 7;
	for (unsigned i = 0; i < 8; i++) {
		if (((h->ftw >> (2 * ((top + i) & 7))) & 3) == 3)
			continue;
		if (memcmp(g->st[i], h->st[i], 10) != 0)
			g_error("st(%u) differs from the host's", i);
	}
	/* the flags the sequences push: the arithmetic ones (IF differs) */
	uint64_t gf, hf;
	memcpy(&gf, g->data + 0x98, 8);
	memcpy(&hf, h->data + 0x98, 8);
	g_assert_cmphex(gf & 0x8d5, ==, hf & 0x8d5);
	for (unsigned k = 0; k < 0x98; k++) {
		bool ptr = images && ((k >= 12 && k < 28) || (k >= 0x6c + 12 && k < 0x6c + 28));
		if (!ptr && g->data[k] != h->data[k])
			g_error("data byte 0x%x: guest 0x%02x, host 0x%02x", k, g->data[k],
				h->data[k]);
	}
}

/* Step the guest until rip is at `until` (each completed instruction
 * reports its step) */
static void x87_step_to(struct vmfix *f, uint64_t until)
{
	for (unsigned n = 0; n < 100; n++) {
		uint64_t rip = get_reg64(f, 0, VMDBG_X86_RIP);
		if (rip == until)
			return;
		struct vmdbg_stopped ev;
		resume_all(f, VMDBG_ACT_STEP);
		g_assert_true(wait_stop(f, &ev, IO_TIMEOUT_MS));
		g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_DEBUG);
		g_assert_cmpuint(ev.info[0], ==, 1);
		g_assert_cmphex(ev.pc, >, rip);
		g_assert_cmphex(ev.pc, <=, until);
	}
	g_error("100 steps never reached 0x%" G_GINT64_MODIFIER "x", until);
}

static void x87_paused_vm(struct vmfix *f)
{
	start_running(f, 1);
	pause_vm(f);
	stop_at_tick(f);
}

/* GNU Mach's infinity test, run (not stepped) to the jmp after it */
static void test_x87_mach_runs(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	x87_paused_vm(&f);
	uint64_t end = x87_load_guest(&f, x87_seq_mach, x87_seq_mach_end);
	resume_all(&f, VMDBG_ACT_CONTINUE);
	/* no stop (a KVM internal error would be one): it spins at the end */
	struct vmdbg_stopped ev;
	if (wait_stop(&f, &ev, 300))
		g_error("the guest stopped (reason %u) at 0x%" G_GINT64_MODIFIER "x", ev.reason,
			ev.pc);
	pause_vm(&f);
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_RIP), ==, end);
	struct x87_result g, h;
	x87_on_guest(&f, &g);
	x87_on_host(x87_seq_mach, &h);
	x87_compare(&g, &h, false);
	/* 1/0 is +inf (ZE masked: flagged), and inf == -inf is false */
	g_assert_cmphex(h.fsw & 0x4, ==, 0x4);
	/* the last fucomip: 0 < 1, CF set; its flags are the guest's */
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_RFLAGS) & 0x8d5, ==, 0x1);
	vm_stop(&f);
}

static void x87_stepped(void (*fn)(void *), void (*end_fn)(void), bool images)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	x87_paused_vm(&f);
	uint64_t end = x87_load_guest(&f, fn, end_fn);
	x87_step_to(&f, end);
	struct x87_result g, h;
	x87_on_guest(&f, &g);
	x87_on_host(fn, &h);
	x87_compare(&g, &h, images);
	vm_stop(&f);
}

static void test_x87_ints_steps(void)
{
	x87_stepped(x87_seq_ints, x87_seq_ints_end, false);
}

static void test_x87_save_restore(void)
{
	x87_stepped(x87_seq_save, x87_seq_save_end, true);
}

/* An unmasked exception is recorded by the instruction that raises it and
 * delivered as #MF by the next waiting one (here an FWAIT, then an FLD),
 * with rip at that instruction: the guest's #MF handler (an IDT set up
 * for vector 16 only, `jmp .`) runs with the FWAIT's address pushed. */
static void test_x87_unmasked_mf(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	x87_paused_vm(&f);
	uint64_t end = x87_load_guest(&f, x87_seq_zdiv, x87_seq_zdiv_end);
	x87_step_to(&f, end);
	struct x87_result g, h;
	x87_on_guest(&f, &g);
	x87_on_host(x87_seq_zdiv, &h);
	x87_compare(&g, &h, false);
	g_assert_cmphex(g.fsw & 0x84, ==, 0x84);     /* ZE, ES */
	/* fwait at end; the handler at end+16, its gate at end+32 (vector 16
	 * of an IDT based 256 bytes lower), the IDTR operand at end+48 */
	uint64_t cs = get_reg64(&f, 0, VMDBG_X86_SEL(0));
	uint64_t handler = end + 16, gate = end + 32, idtr = end + 48;
	uint8_t code[64];
	memset(code, 0x90, sizeof(code));
	code[0] = 0x0f;                   /* lidt (%rsi) */
	code[1] = 0x01;
	code[2] = 0x1e;
	code[3] = 0x9b;                   /* fwait */
	code[4] = 0xd9;                   /* fld1 */
	code[5] = 0xe8;
	code[16] = 0xeb;                  /* handler: jmp . */
	code[17] = 0xfe;
	uint8_t *gt = code + 32;
	gt[0] = (uint8_t)handler;
	gt[1] = (uint8_t)(handler >> 8);
	gt[2] = (uint8_t)cs;
	gt[3] = (uint8_t)(cs >> 8);
	gt[4] = 0;
	gt[5] = 0x8e;                     /* present, 64-bit interrupt gate */
	gt[6] = (uint8_t)(handler >> 16);
	gt[7] = (uint8_t)(handler >> 24);
	memset(gt + 8, 0, 8);
	uint8_t *ip = code + 48;
	uint16_t limit = 17 * 16 - 1;
	uint64_t base = gate - 16 * 16;
	memcpy(ip, &limit, 2);
	memcpy(ip + 2, &base, 8);
	g_assert_cmphex(handler >> 32, ==, 0);
	g_assert_cmphex(end + sizeof(code), <=, syms.pattern_buf + X87_CODE_MAX);
	write_mem(&f, end, code, sizeof(code));
	set_reg64(&f, VMDBG_X86_GPR(4), idtr);   /* rsi */
	uint64_t rsp = get_reg64(&f, 0, VMDBG_X86_RSP);
	struct vmdbg_stopped ev;
	resume_all(&f, VMDBG_ACT_STEP);           /* lidt */
	g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
	g_assert_cmphex(ev.pc, ==, end + 3);
	resume_all(&f, VMDBG_ACT_CONTINUE);
	g_usleep(100000);
	pause_vm(&f);
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_RIP), ==, handler);
	/* the interrupt frame: the FWAIT's rip (a fault), cs */
	uint64_t frame[2];
	uint64_t nrsp = get_reg64(&f, 0, VMDBG_X86_RSP);
	g_assert_cmphex(nrsp, <, rsp);
	read_mem(&f, 0, nrsp, sizeof(frame), (uint8_t *)frame);
	g_assert_cmphex(frame[0], ==, end + 3);
	g_assert_cmphex(frame[1], ==, cs);
	/* nothing ran past it: the x87 state is as the division left it */
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_FSTAT), ==, g.fsw);
	vm_stop(&f);
}

static void test_hw_breakpoint(void)
{
	if (tu_skip_unless_kvm_offers("hw-breakpoints"))
		return;
	struct vmfix f;
	start_running(&f, 1);
	pause_vm(&f);
	/* DR0 = tick, DR7.L0 (execute, length 1): SDM Vol. 3B 18.2.4 */
	uint64_t dr[8] = { syms.tick, 0, 0, 0, 0, 0, 0, 0x1 };
	set_guest_debug(&f, VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW, dr);
	uint64_t last = 0;
	for (int hit = 0; hit < 3; hit++) {
		resume_all(&f, VMDBG_ACT_CONTINUE);
		struct vmdbg_stopped ev;
		g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
		g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_DEBUG);
		g_assert_cmpuint(ev.info[0], ==, 1);
		g_assert_cmphex(ev.info[1] & 0xf, ==, 0x1);   /* DR6.B0 */
		g_assert_cmphex(ev.pc, ==, syms.tick);
		pause_vm(&f);
		/* resuming runs the instruction (RF): the counter moves one tick per hit */
		uint64_t c = read_u64(&f, syms.counters);
		if (hit > 0)
			g_assert_cmpuint(c, ==, last + 1);
		last = c;
	}
	/* single-stepping keeps the hardware breakpoint armed */
	resume_all(&f, VMDBG_ACT_STEP);
	struct vmdbg_stopped ev;
	g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
	g_assert_cmphex(ev.info[1] & DR6_BS, ==, DR6_BS);
	resume_all(&f, VMDBG_ACT_CONTINUE);
	g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
	g_assert_cmphex(ev.pc, ==, syms.tick);
	g_assert_cmphex(ev.info[1] & 0xf, ==, 0x1);
	/* cleared: the guest runs on */
	uint64_t none[8] = { 0 };
	set_guest_debug(&f, 0, none);
	pause_vm(&f);
	uint64_t c = read_u64(&f, syms.counters);
	run_until_counter_moves(&f, 0, c + 10);
	g_assert_true(g_queue_is_empty(&f.events));
	vm_stop(&f);
}

static void test_two_vcpus(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	vm_start(&f, 2, NULL);
	hello(&f);
	g_assert_cmpuint(f.hello.nr_vcpus, ==, 2);
	wait_serial(&f, "dbgproxy-guest: cpu 0 up");
	wait_serial(&f, "dbgproxy-guest: cpu 1 up");
	pause_vm(&f);
	uint64_t c0 = read_u64(&f, syms.counters), c1 = read_u64(&f, syms.counters + 8);
	run_until_counter_moves(&f, 0, c0);
	run_until_counter_moves(&f, 1, c1);
	/* vCPU 1 runs the same loop with its own index */
	uint64_t rip = get_reg64(&f, 1, VMDBG_X86_RIP);
	g_assert_cmphex(rip, >=, syms.start);
	g_assert_cmphex(rip, <, syms.guest_main + 0x200);
	/* a breakpoint both vCPUs hit: the extra stop is queued, not lost */
	if (tu_kvm_offers("sw-breakpoints")) {
		sw_bp(&f, VMDBG_SW_BP_INSERT, syms.tick, 0);
		resume_all(&f, VMDBG_ACT_CONTINUE);
		struct vmdbg_stopped ev;
		g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
		g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_SW_BP);
		pause_vm(&f);
	} else {
		g_test_message("this KVM host traps no int3: the shared breakpoint part is not run");
	}
	vm_stop(&f);
}

static void hash_code(struct vmfix *f, uint8_t digest[32])
{
	uint8_t page[4096];
	read_mem(f, 0, syms.tick & ~4095ull, sizeof(page), page);
	g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(sum, page, sizeof(page));
	gsize n = 32;
	g_checksum_get_digest(sum, digest, &n);
}

/* Pause, hash the code page, then arm a software breakpoint on tick and a
 * hardware one just after it: what a debugger leaves behind. */
static void arm_debugger(struct vmfix *f, uint8_t before[32])
{
	pause_vm(f);
	hash_code(f, before);
	if (tu_kvm_offers("sw-breakpoints"))
		sw_bp(f, VMDBG_SW_BP_INSERT, syms.tick, 0);
	uint64_t dr[8] = { syms.tick + 1, 0, 0, 0, 0, 0, 0, 0x1 };
	set_guest_debug(f, VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW, dr);
}

/* The guest runs on from counter value c1 and nothing stops it. */
static void assert_runs_clean(struct vmfix *f, uint64_t c1)
{
	resume_all(f, VMDBG_ACT_CONTINUE);
	g_usleep(200 * 1000);
	pause_vm(f);
	g_assert_cmpuint(read_u64(f, syms.counters), >, c1);
	g_assert_true(g_queue_is_empty(&f->events)); /* no stale breakpoint fired */
}

static void test_disconnect_restores(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	start_running(&f, 1);
	uint8_t before[32], after[32];
	arm_debugger(&f, before);
	/* the debugger goes away with the guest paused and armed; a new
	 * debugger finds the guest running and its code intact */
	reconnect(&f);
	pause_vm(&f);
	hash_code(&f, after);
	g_assert_cmpmem(before, 32, after, 32);
	assert_runs_clean(&f, read_u64(&f, syms.counters));
	vm_stop(&f);
}

/* The debugger leaves while its hardware breakpoint is armed and the vCPU
 * runs into it again and again (tick is the guest's loop): a hit that
 * races with the detach is the debugger's, dropped, never a #DB handed to
 * the guest (which has no IDT: it would triple-fault).  Once seen under
 * load, as vmdbg-conform's "disconnect restores" finding vCPU 0 stopped. */
static void test_detach_with_slot_firing(void)
{
	if (tu_skip_unless_kvm_offers("hw-breakpoints"))
		return;
	struct vmfix f;
	start_running(&f, 1);
	uint64_t dr[8] = { syms.tick, 0, 0, 0, 0, 0, 0, 0x1 };
	for (int i = 0; i < 400; i++) {
		pause_vm(&f);
		set_guest_debug(&f, VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW, dr);
		resume_all(&f, VMDBG_ACT_CONTINUE);
		reconnect(&f);   /* the detach races with the slot's next hit */
	}
	pause_vm(&f);
	g_queue_clear_full(&f.events, g_free);
	/* alive: no triple fault, and no slot left armed */
	assert_runs_clean(&f, read_u64(&f, syms.counters));
	vm_stop(&f);
}

/* PAUSE while every vCPU runs into an armed slot: a vCPU that stops on its
 * hit after the pause was asked of it kept the request, and the next
 * resume (the detach's) paused it again, for good and with no event (the
 * next debugger found it stopped; vmdbg-conform's "disconnect restores",
 * under ASan and load) */
static void test_pause_racing_hits(void)
{
	if (tu_skip_unless_kvm_offers("hw-breakpoints"))
		return;
	struct vmfix f;
	start_running(&f, 2);
	uint64_t dr[8] = { syms.tick, 0, 0, 0, 0, 0, 0, 0x2 };  /* G0: every vCPU */
	for (int i = 0; i < 300; i++) {
		pause_vm(&f);
		set_guest_debug(&f, VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW, dr);
		resume_all(&f, VMDBG_ACT_CONTINUE);
		pause_vm(&f);    /* races the vCPUs' hits at tick */
		reconnect(&f);   /* the detach resumes both */
		/* both run again: a paused vCPU answers GET_REGS, a running one ESTATE */
		for (uint32_t vcpu = 0; vcpu < 2; vcpu++) {
			uint64_t id = VMDBG_X86_RIP;
			g_autoptr(GByteArray) req = g_byte_array_new();
			uint32_t seq = next_seq(&f);
			vmdbg_enc_reg_ids(VMDBG_GBA(req), VMDBG_GET_REGS, seq, vcpu, &id, 1);
			uint32_t code = expect_error(&f, req, seq);
			if (code != VMDBG_E_STATE)
				g_error("round %d: vCPU %u not running after the debugger left", i, vcpu);
		}
	}
	vm_stop(&f);
}

static void test_detach(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	start_running(&f, 1);
	uint8_t before[32], after[32];
	arm_debugger(&f, before);
	/* DETACH on a live connection: everything removed, guest running */
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(&f);
	vmdbg_enc_empty(VMDBG_GBA(req), VMDBG_DETACH, seq);
	expect_ok(&f, req, seq, VMDBG_DETACH);
	g_usleep(200 * 1000);
	pause_vm(&f);
	hash_code(&f, after);
	g_assert_cmpmem(before, 32, after, 32);
	uint64_t c1 = read_u64(&f, syms.counters);
	g_assert_cmpuint(c1, >, 0);
	/* the breakpoint is gone from the VM's table as well */
	sw_bp(&f, VMDBG_SW_BP_REMOVE, syms.tick, VMDBG_E_NOENT);
	assert_runs_clean(&f, c1);
	vm_stop(&f);
}

static void test_second_client_refused(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	start_running(&f, 1);
	int second = connect_unix(f.sock);
	g_assert_cmpint(second, >=, 0);
	g_autoptr(GByteArray) in = g_byte_array_new(), frame = g_byte_array_new();
	g_assert_true(read_frame(second, in, frame, IO_TIMEOUT_MS));
	struct vmdbg_msg m;
	g_assert_true(vmdbg_g_decode(frame->data, frame->len, &m, NULL));
	g_assert_cmpuint(m.type, ==, VMDBG_ERROR);
	g_assert_cmpuint(m.u.error.code, ==, VMDBG_E_BUSY);
	g_assert_false(read_frame(second, in, frame, IO_TIMEOUT_MS)); /* then closed */
	close(second);
	/* the first client is undisturbed */
	pause_vm(&f);
	g_assert_cmphex(read_u64(&f, syms.pattern_buf) & 0xff, ==, 3);
	vm_stop(&f);
}

static void test_malformed_frames(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	vm_start(&f, 1, NULL);
	wait_serial(&f, "dbgproxy-guest: cpu 0 up");
	/* a request before HELLO */
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(&f);
	vmdbg_enc_empty(VMDBG_GBA(req), VMDBG_PAUSE, seq);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_STATE);
	/* HELLO with another version */
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_hello_request(VMDBG_GBA(req), seq, 2, 0);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_VERSION);
	hello(&f);
	/* frame version 9 */
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_empty(VMDBG_GBA(req), VMDBG_PAUSE, seq);
	req->data[4] = 9;
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_VERSION);
	/* unknown type */
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_empty(VMDBG_GBA(req), 0x33, seq);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_UNKNOWN);
	/* a reply sent as a request */
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_empty(VMDBG_GBA(req), VMDBG_PAUSE | VMDBG_REPLY, seq);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_UNKNOWN);
	/* a truncated payload */
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_read_mem(VMDBG_GBA(req), seq, 0, syms.pattern_buf, 8);
	g_byte_array_set_size(req, req->len - 4);
	req->data[0] = (uint8_t)req->len;
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_PROTO);
	/* RESUME of a vCPU that does not exist */
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	struct vmdbg_resume_entry e = { 5, VMDBG_ACT_CONTINUE, 0, 0 };
	vmdbg_enc_resume(VMDBG_GBA(req), seq, VMDBG_ACT_STAY, &e, 1);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_INVAL);
	/* pipelined: three requests in one write, three replies in order */
	g_byte_array_set_size(req, 0);
	uint32_t s1 = next_seq(&f), s2 = next_seq(&f), s3 = next_seq(&f);
	vmdbg_enc_empty(VMDBG_GBA(req), VMDBG_PAUSE, s1);
	vmdbg_enc_read_mem(VMDBG_GBA(req), s2, 0, syms.pattern_buf, 4);
	vmdbg_enc_empty(VMDBG_GBA(req), 0x3e, s3);
	send_all(f.fd, req);
	g_autoptr(GByteArray) frame = g_byte_array_new();
	uint32_t want[] = { s1, s2, s3 };
	uint8_t types[] = { VMDBG_PAUSE | VMDBG_REPLY, VMDBG_READ_MEM | VMDBG_REPLY, VMDBG_ERROR };
	for (unsigned i = 0; i < 3; i++) {
		struct vmdbg_msg m;
		g_assert_true(read_frame(f.fd, f.in, frame, IO_TIMEOUT_MS));
		g_assert_true(vmdbg_g_decode(frame->data, frame->len, &m, NULL));
		g_assert_cmpuint(m.seq, ==, want[i]);
		g_assert_cmpuint(m.type, ==, types[i]);
	}
	/* an impossible length: an ERROR, then the connection is closed */
	uint8_t junk[16] = { 8, 0, 0, 0, 1, 0, VMDBG_PAUSE, 0 };
	g_byte_array_set_size(req, 0);
	g_byte_array_append(req, junk, sizeof(junk));
	send_all(f.fd, req);
	struct vmdbg_msg m;
	g_assert_true(read_frame(f.fd, f.in, frame, IO_TIMEOUT_MS));
	g_assert_true(vmdbg_g_decode(frame->data, frame->len, &m, NULL));
	g_assert_cmpuint(m.type, ==, VMDBG_ERROR);
	g_assert_cmpuint(m.u.error.code, ==, VMDBG_E_PROTO);
	g_assert_false(read_frame(f.fd, f.in, frame, IO_TIMEOUT_MS));
	/* the VM survives and takes the next client */
	reconnect(&f);
	pause_vm(&f);
	g_assert_cmphex(read_u64(&f, syms.pattern_buf) & 0xff, ==, 3);
	vm_stop(&f);
}

static void test_guest_shutdown(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	start_running(&f, 1);
	pause_vm(&f);
	/* send the guest to unmapped code: #PF without an IDT is a triple fault */
	uint64_t id = VMDBG_X86_RIP;
	uint64_t bad = GUINT64_TO_LE(0x80000000ull);
	g_autoptr(GByteArray) req = g_byte_array_new();
	uint32_t seq = next_seq(&f);
	vmdbg_enc_reg_vals(VMDBG_GBA(req), VMDBG_SET_REGS, seq, 0, &id, 1, (const uint8_t *)&bad);
	expect_ok(&f, req, seq, VMDBG_SET_REGS);
	resume_all(&f, VMDBG_ACT_CONTINUE);
	struct vmdbg_stopped ev;
	g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
	g_assert_cmpuint(ev.reason, ==, VMDBG_STOP_SHUTDOWN);
	/* still inspectable, but it cannot run again */
	pause_vm(&f);
	g_assert_cmphex(read_u64(&f, syms.pattern_buf) & 0xff, ==, 3);
	g_byte_array_set_size(req, 0);
	seq = next_seq(&f);
	vmdbg_enc_resume(VMDBG_GBA(req), seq, VMDBG_ACT_CONTINUE, NULL, 0);
	g_assert_cmpuint(expect_error(&f, req, seq), ==, VMDBG_E_STATE);
	vm_stop(&f);
}

/* A pause right after a port-I/O exit must first complete the access
 * (api.rst: the vCPU state is not consistent before re-entering KVM_RUN):
 * every stop of the vCPU in io_loop is at one of its instruction
 * boundaries, and the pass counter never goes backwards. */
static void test_exact_stops_in_io_loop(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	start_running(&f, 2);
	pause_vm(&f);
	uint64_t one = 1;
	write_mem(&f, syms.io_loop_enable, &one, sizeof(one));
	uint64_t last_rcx = 0;
	unsigned in_loop = 0;
	GRand *rand = g_rand_new_with_seed(42);
	for (int i = 0; i < 200 && in_loop < 40; i++) {
		resume_all(&f, VMDBG_ACT_CONTINUE);
		g_usleep((gulong)g_rand_int_range(rand, 200, 5000));
		pause_vm(&f);
		uint64_t rip = get_reg64(&f, 1, VMDBG_X86_RIP);
		if (rip < syms.io_loop_top || rip > syms.io_loop_insn[4])
			continue; /* not there yet */
		bool boundary = false;
		for (unsigned k = 0; k < G_N_ELEMENTS(syms.io_loop_insn); k++)
			boundary |= rip == syms.io_loop_insn[k];
		if (!boundary)
			g_error("stop %u: rip 0x%" G_GINT64_MODIFIER "x is inside an instruction of "
				"io_loop", in_loop, rip);
		uint64_t rcx = get_reg64(&f, 1, VMDBG_X86_GPR(2));
		g_assert_cmpuint(rcx, >=, last_rcx);
		last_rcx = rcx;
		in_loop++;
	}
	g_rand_free(rand);
	g_assert_cmpuint(in_loop, ==, 40);
	g_assert_cmpuint(last_rcx, >, 0);
	vm_stop(&f);
}

static void test_paused_start(void)
{
	if (skip_without_kvm())
		return;
	struct vmfix f;
	vm_start(&f, 1, "--paused");
	hello(&f);
	/* stopped at the multiboot entry with the boot registers */
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_RAX), ==, VMDBG_MULTIBOOT_MAGIC);
	uint64_t rip = get_reg64(&f, 0, VMDBG_X86_RIP);
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_CR(0)) & 1, ==, 1); /* protected mode */
	g_assert_cmphex(get_reg64(&f, 0, VMDBG_X86_CR(0)) >> 31, ==, 0); /* paging off */
	/* paging off: virtual = physical, the multiboot info is readable */
	uint8_t mbi[4];
	read_mem(&f, 0, get_reg64(&f, 0, VMDBG_X86_GPR(1)), 4, mbi);
	g_assert_cmphex(mbi[0] & 1, ==, 1); /* MBI_MEM */
	resume_all(&f, VMDBG_ACT_STEP);
	struct vmdbg_stopped ev;
	g_assert_true(wait_stop(&f, &ev, IO_TIMEOUT_MS));
	g_assert_cmphex(ev.pc, >, rip);
	resume_all(&f, VMDBG_ACT_CONTINUE);
	wait_serial(&f, "dbgproxy-guest: cpu 0 up");
	vm_stop(&f);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	vm_bin = g_getenv("DBGPROXY_VM");
	guest_elf = g_getenv("GUEST_ELF");
	if (!vm_bin || !guest_elf) {
		g_printerr("DBGPROXY_VM and GUEST_ELF must be set (make check sets them)\n");
		return 99;
	}
	load_symbols();
	signal(SIGPIPE, SIG_IGN);
	g_test_add_func("/vm-kvm/hello-reg-list", test_hello_reg_list);
	g_test_add_func("/vm-kvm/pause-resume", test_pause_resume);
	g_test_add_func("/vm-kvm/memory", test_memory);
	g_test_add_func("/vm-kvm/registers", test_registers);
	g_test_add_func("/vm-kvm/sw-breakpoint", test_sw_breakpoint);
	g_test_add_func("/vm-kvm/sw-breakpoint-refused", test_sw_breakpoint_refused);
	g_test_add_func("/vm-kvm/single-step", test_single_step);
	g_test_add_func("/vm-kvm/fwait-steps", test_fwait_steps);
	g_test_add_func("/vm-kvm/x87-mach-runs", test_x87_mach_runs);
	g_test_add_func("/vm-kvm/x87-ints-steps", test_x87_ints_steps);
	g_test_add_func("/vm-kvm/x87-save-restore", test_x87_save_restore);
	g_test_add_func("/vm-kvm/x87-unmasked-mf", test_x87_unmasked_mf);
	g_test_add_func("/vm-kvm/hw-breakpoint-dr0", test_hw_breakpoint);
	g_test_add_func("/vm-kvm/two-vcpus", test_two_vcpus);
	g_test_add_func("/vm-kvm/disconnect-restores", test_disconnect_restores);
	g_test_add_func("/vm-kvm/detach", test_detach);
	g_test_add_func("/vm-kvm/detach-with-slot-firing", test_detach_with_slot_firing);
	g_test_add_func("/vm-kvm/pause-racing-hits", test_pause_racing_hits);
	g_test_add_func("/vm-kvm/second-client-refused", test_second_client_refused);
	g_test_add_func("/vm-kvm/malformed-frames", test_malformed_frames);
	g_test_add_func("/vm-kvm/guest-shutdown", test_guest_shutdown);
	g_test_add_func("/vm-kvm/paused-start", test_paused_start);
	g_test_add_func("/vm-kvm/exact-stops-in-io-loop", test_exact_stops_in_io_loop);
	return g_test_run();
}
