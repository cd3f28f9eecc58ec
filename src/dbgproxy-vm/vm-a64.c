/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-a64.c - dbgproxy-vm's simulated AArch64 machine: a64-sim.c's
 * interpreter behind the same vmdbg calls as the KVM machine, with KVM's
 * own arm64 register ids and struct kvm_guest_debug_arch.
 *
 * The board follows QEMU's "virt" where a bare-metal test program sees
 * it: RAM at 0x40000000, a PL011 UART whose data register (UARTDR, offset
 * 0) is at 0x09000000 (byte stores go to the serial output; every UART
 * register reads as zero, so the flag register never says "busy"), MMU
 * off (virtual = physical).  Every vCPU starts at the ELF entry at EL1h
 * (PSTATE = 0x3c5: D, A, I, F masked, as QEMU starts a -kernel ELF) with
 * x0 = its index and all other registers zero.
 *
 * Threads.  One simulation thread runs the vCPUs round-robin, a quantum
 * of instructions each, holding vm->lock for a quantum at a time; the
 * control thread takes the same lock for every call, so it only ever sees
 * vCPUs between instructions.  A control call that wants the lock raises
 * ctl_waiting and the simulation thread yields to it after the current
 * quantum (a mutex alone is not fair).  Because nothing runs while the
 * control thread holds the lock, a PAUSE is complete the moment it marks
 * the vCPUs stopped.
 *
 * Exceptions the debugger did not cause are delivered to the guest as the
 * architecture does (Arm ARM D1.10 "Exception entry"): ESR_EL1, ELR_EL1,
 * SPSR_EL1 are written, PSTATE.DAIF masked, and execution continues at
 * VBAR_EL1 + 0x200 (current EL with SP_ELx, synchronous).  That is what
 * happens to the guest's own BRK instructions (proto/vmdbg.md: "the guest's
 * own breakpoint instructions are delivered to the guest").
 *
 * HVC is the PSCI conduit, as on QEMU's virt without EL2 (Arm DEN0022
 * "PSCI", 5.1 function ids): PSCI_VERSION answers 1.0, SYSTEM_OFF and
 * SYSTEM_RESET end the guest — a SHUTDOWN stop whose registers and memory
 * stay readable; a dead guest cannot be resumed (ESTATE) — and every other
 * call answers NOT_SUPPORTED in x0.
 */
#include "vm-a64-priv.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vm-boot.h"


static const struct vm_ops a64_ops;
static void a64_destroy(struct vm *base);

/* ---- checks shared by the calls ------------------------------------------------------ */

/* With the lock held: vCPU index exists and the vCPU is stopped. */
struct sim_vcpu *sim_stopped_vcpu(struct vm_a64 *vm, uint32_t index, GError **error)
{
	if (!vm_check_vcpu(vm->nr_vcpus, index, error))
		return NULL;
	struct sim_vcpu *v = &vm->vcpus[index];
	if (v->state != VCPU_STOPPED) {
		g_set_error(error, VM_ERROR, VMDBG_E_STATE, "vCPU %u is running: PAUSE first", index);
		return NULL;
	}
	return v;
}

/* ---- memory calls ------------------------------------------------------------------------ */

/* Put the original instructions back into a copy of RAM [addr, addr+n). */
void sim_hide_sw_bps(struct vm_a64 *vm, uint64_t addr, uint8_t *buf, uint64_t n)
{
	if (g_hash_table_size(vm->sw_bps) == 0)
		return;
	for (uint64_t w = addr & ~(uint64_t)(INSN_BYTES - 1); w < addr + n; w += INSN_BYTES) {
		gpointer orig;
		if (!g_hash_table_lookup_extended(vm->sw_bps, &w, NULL, &orig))
			continue;
		uint32_t le = GUINT32_TO_LE(GPOINTER_TO_UINT(orig));
		for (unsigned b = 0; b < INSN_BYTES; b++)
			if (w + b >= addr && w + b < addr + n)
				buf[w + b - addr] = ((const uint8_t *)&le)[b];
	}
}

static gint cmp_u64(gconstpointer a, gconstpointer b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The shared table of patched words, after every change (control thread, locked). */
static void publish_sw_bps(struct vm_a64 *vm)
{
	guint n = 0;
	g_autofree gpointer *keys = g_hash_table_get_keys_as_array(vm->sw_bps, &n);
	g_autofree uint64_t *addrs = g_new(uint64_t, n + 1);
	for (guint i = 0; i < n; i++)
		addrs[i] = *(const uint64_t *)keys[i];
	qsort(addrs, n, sizeof(*addrs), cmp_u64);
	struct vmdbg_shm_bp *e = vm_shm_bps_begin(&vm->shm);
	for (guint i = 0; i < n; i++) {
		uint32_t le = GUINT32_TO_LE(
			GPOINTER_TO_UINT(g_hash_table_lookup(vm->sw_bps, &addrs[i])));
		e[i] = (struct vmdbg_shm_bp){ .gpa = addrs[i], .len = INSN_BYTES };
		memcpy(e[i].orig, &le, INSN_BYTES);
	}
	vm_shm_bps_end(&vm->shm, n);
}

static long a64_read_mem(struct vm *base, uint32_t vcpu, uint64_t addr, uint32_t len,
			 uint8_t *out, GError **error)
{
	struct vm_a64 *vm = of(base);
	long done = -1;
	sim_ctl_lock(vm);
	if (sim_stopped_vcpu(vm, vcpu, error)) {
		if (!sim_in_ram(vm, addr, 1)) {
			g_set_error(error, VM_ERROR, VMDBG_E_FAULT,
				    "address 0x%" G_GINT64_MODIFIER "x is not in guest RAM "
				    "[0x%" G_GINT64_MODIFIER "x, +%" G_GUINT64_FORMAT " MiB)",
				    addr, RAM_BASE, vm->ram_size >> 20);
		} else {
			uint64_t n = MIN((uint64_t)len, vm->ram_size - (addr - RAM_BASE));
			memcpy(out, vm->ram + (addr - RAM_BASE), n);
			sim_hide_sw_bps(vm, addr, out, n);
			done = (long)n;
		}
	}
	sim_ctl_unlock(vm);
	return done;
}

static bool a64_write_mem(struct vm *base, uint32_t vcpu, uint64_t addr, const uint8_t *data,
			  uint32_t len, GError **error)
{
	struct vm_a64 *vm = of(base);
	bool ok = false;
	sim_ctl_lock(vm);
	if (sim_stopped_vcpu(vm, vcpu, error)) {
		if (!sim_in_ram(vm, addr, len)) {
			g_set_error(error, VM_ERROR, VMDBG_E_FAULT,
				    "[0x%" G_GINT64_MODIFIER "x, +%u) is not all in guest RAM; nothing "
				    "was written", addr, len);
		} else {
			memcpy(vm->ram + (addr - RAM_BASE), data, len);
			/* a breakpoint under the write keeps its BRK; the write goes to its saved word */
			GHashTableIter it;
			gpointer key, orig;
			g_hash_table_iter_init(&it, vm->sw_bps);
			while (g_hash_table_iter_next(&it, &key, &orig)) {
				uint64_t w = *(uint64_t *)key;
				if (w + INSN_BYTES <= addr || w >= addr + len)
					continue;
				g_hash_table_iter_replace(&it, GUINT_TO_POINTER(sim_ram_word(vm, w)));
				sim_set_ram_word(vm, w, A64_BRK0);
			}
			publish_sw_bps(vm);
			ok = true;
		}
	}
	sim_ctl_unlock(vm);
	return ok;
}

/* ---- breakpoints and guest debug --------------------------------------------------------- */

static bool a64_set_guest_debug(struct vm *base, const struct vmdbg_guest_debug *g,
				GError **error)
{
	struct vm_a64 *vm = of(base);
	if (g->arch != VMDBG_ARCH_AARCH64) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
			    "debug registers for arch %u sent to an AArch64 VM", g->arch);
		return false;
	}
	const struct vmdbg_arm64_debugregs *r = &g->regs.arm64;
	sim_ctl_lock(vm);
	for (unsigned i = 0; i < VMDBG_MAX_DBG_REGS; i++) {
		bool bp_past = i >= vm->dbg.nbps && (r->dbg_bcr[i] || r->dbg_bvr[i]);
		bool wp_past = i >= vm->dbg.nwps && (r->dbg_wcr[i] || r->dbg_wvr[i]);
		if (bp_past || wp_past) {
			g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
				    "%s %u is set, but the VM has %u %s", bp_past ? "breakpoint" : "watchpoint",
				    i, bp_past ? vm->dbg.nbps : vm->dbg.nwps,
				    bp_past ? "breakpoint pairs" : "watchpoint pairs");
			sim_ctl_unlock(vm);
			return false;
		}
	}
	vm->dbg.enabled = (g->control & VMDBG_GDBG_VALID) == VMDBG_GDBG_VALID;
	memcpy(vm->dbg.bcr, r->dbg_bcr, sizeof(vm->dbg.bcr));
	memcpy(vm->dbg.bvr, r->dbg_bvr, sizeof(vm->dbg.bvr));
	memcpy(vm->dbg.wcr, r->dbg_wcr, sizeof(vm->dbg.wcr));
	memcpy(vm->dbg.wvr, r->dbg_wvr, sizeof(vm->dbg.wvr));
	sim_ctl_unlock(vm);
	g_debug("guest debug: control 0x%x bcr0 0x%" G_GINT64_MODIFIER "x wcr0 0x%"
		G_GINT64_MODIFIER "x", g->control, r->dbg_bcr[0], r->dbg_wcr[0]);
	return true;
}

static bool sw_bp_check(struct vm_a64 *vm, const struct vmdbg_sw_bp *bp, GError **error)
{
	if (!sim_stopped_vcpu(vm, bp->vcpu, error))
		return false;
	if (bp->kind != INSN_BYTES || (bp->addr & (INSN_BYTES - 1))) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
			    "an A64 breakpoint is kind 4 at a 4-byte aligned address (got kind %u at 0x%"
			    G_GINT64_MODIFIER "x)", bp->kind, bp->addr);
		return false;
	}
	return true;
}

static bool a64_sw_bp_insert(struct vm *base, const struct vmdbg_sw_bp *bp, GError **error)
{
	struct vm_a64 *vm = of(base);
	bool ok = false;
	sim_ctl_lock(vm);
	if (!sw_bp_check(vm, bp, error)) {
		/* error set */
	} else if (!sim_in_ram(vm, bp->addr, INSN_BYTES)) {
		g_set_error(error, VM_ERROR, VMDBG_E_FAULT,
			    "breakpoint address 0x%" G_GINT64_MODIFIER "x is not in guest RAM", bp->addr);
	} else if (g_hash_table_contains(vm->sw_bps, &bp->addr)) {
		g_set_error(error, VM_ERROR, VMDBG_E_EXIST,
			    "a breakpoint is already inserted at 0x%" G_GINT64_MODIFIER "x", bp->addr);
	} else if (g_hash_table_size(vm->sw_bps) >= SW_BP_LIMIT) {
		g_set_error(error, VM_ERROR, VMDBG_E_NOSPC, "%u software breakpoints is the limit",
			    SW_BP_LIMIT);
	} else {
		g_hash_table_insert(vm->sw_bps, g_memdup2(&bp->addr, sizeof(bp->addr)),
				    GUINT_TO_POINTER(sim_ram_word(vm, bp->addr)));
		sim_set_ram_word(vm, bp->addr, A64_BRK0);
		publish_sw_bps(vm);
		ok = true;
	}
	sim_ctl_unlock(vm);
	return ok;
}

static bool a64_point_cond(struct vm *base, const struct vmdbg_point_cond *c, GError **error)
{
	struct vm_a64 *vm = of(base);
	if (vm->no_conditions) {
		g_set_error(error, VM_ERROR, VMDBG_E_UNKNOWN,
			    "this VM does not evaluate breakpoint conditions (--no-conditions)");
		return false;
	}
	sim_ctl_lock(vm);
	bool ok = vm_conds_set(vm->conds, c, error);
	sim_ctl_unlock(vm);
	return ok;
}

static bool a64_sw_bp_remove(struct vm *base, const struct vmdbg_sw_bp *bp, GError **error)
{
	struct vm_a64 *vm = of(base);
	bool ok = false;
	sim_ctl_lock(vm);
	gpointer orig;
	if (!sw_bp_check(vm, bp, error)) {
		/* error set */
	} else if (!g_hash_table_lookup_extended(vm->sw_bps, &bp->addr, NULL, &orig)) {
		g_set_error(error, VM_ERROR, VMDBG_E_NOENT,
			    "no breakpoint at 0x%" G_GINT64_MODIFIER "x", bp->addr);
	} else {
		sim_set_ram_word(vm, bp->addr, GPOINTER_TO_UINT(orig));
		g_hash_table_remove(vm->sw_bps, &bp->addr);
		publish_sw_bps(vm);
		ok = true;
	}
	sim_ctl_unlock(vm);
	return ok;
}

/* ---- run control --------------------------------------------------------------------------- */

static bool a64_pause(struct vm *base, GError **error)
{
	struct vm_a64 *vm = of(base);
	(void)error;
	sim_ctl_lock(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].state = VCPU_STOPPED;
		vm->vcpus[i].step = false;
	}
	sim_ctl_unlock(vm);
	return true;
}

static bool a64_resume(struct vm *base, const struct vmdbg_resume *r, GError **error)
{
	struct vm_a64 *vm = of(base);
	uint32_t actions[VMDBG_MAX_VCPUS];
	struct vm_step_range ranges[VMDBG_MAX_VCPUS];
	if (!vm_resume_actions(vm->nr_vcpus, r, actions, ranges, error))
		return false;
	sim_ctl_lock(vm);
	if (vm->dead) {
		sim_ctl_unlock(vm);
		g_set_error(error, VM_ERROR, VMDBG_E_STATE, "the guest has shut down");
		return false;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct sim_vcpu *v = &vm->vcpus[i];
		if (v->state != VCPU_STOPPED || actions[i] == VMDBG_ACT_STAY)
			continue;
		v->step = actions[i] == VMDBG_ACT_STEP || actions[i] == VMDBG_ACT_RANGE_STEP;
		v->range = actions[i] == VMDBG_ACT_RANGE_STEP ? ranges[i] : (struct vm_step_range){ 0, 0 };
		v->idle = false;
		v->state = VCPU_RUNNING;
	}
	g_cond_broadcast(&vm->run_cond);
	sim_ctl_unlock(vm);
	return true;
}

static void a64_detach(struct vm *base)
{
	struct vm_a64 *vm = of(base);
	sim_ctl_lock(vm);
	guint removed = g_hash_table_size(vm->sw_bps);
	GHashTableIter it;
	gpointer key, orig;
	g_hash_table_iter_init(&it, vm->sw_bps);
	while (g_hash_table_iter_next(&it, &key, &orig))
		sim_set_ram_word(vm, *(uint64_t *)key, GPOINTER_TO_UINT(orig));
	g_hash_table_remove_all(vm->sw_bps);
	publish_sw_bps(vm);
	vm_conds_clear(vm->conds);
	unsigned watches = vm_watches_clear(vm->watches);
	unsigned nbps = vm->dbg.nbps, nwps = vm->dbg.nwps;
	memset(&vm->dbg, 0, sizeof(vm->dbg));
	vm->dbg.nbps = nbps;
	vm->dbg.nwps = nwps;
	vm->dbg.watch_dead = vm->watch_dead;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].step = false;
		if (!vm->dead)
			vm->vcpus[i].state = VCPU_RUNNING;
	}
	g_cond_broadcast(&vm->run_cond);
	sim_ctl_unlock(vm);
	g_message("debug state cleared: %u software breakpoint(s) restored, %u watch(es) removed, "
		  "guest resumed", removed, watches);
}

static int a64_notify_fd(struct vm *base)
{
	return of(base)->notify_fd;
}

static bool a64_pop_stop(struct vm *base, struct vmdbg_stopped *out)
{
	struct vm_a64 *vm = of(base);
	sim_ctl_lock(vm);
	struct vmdbg_stopped *ev = g_queue_pop_head(&vm->stops);
	sim_ctl_unlock(vm);
	if (!ev)
		return false;
	*out = *ev;
	g_free(ev);
	return true;
}

static bool a64_pop_output(struct vm *base, uint32_t *vcpu, GString *text)
{
	struct vm_a64 *vm = of(base);
	sim_ctl_lock(vm);
	struct cmd_output *o = g_queue_pop_head(&vm->outputs);
	if (o)
		vm->output_bytes -= strlen(o->text);
	sim_ctl_unlock(vm);
	if (!o)
		return false;
	*vcpu = o->vcpu;
	g_string_assign(text, o->text);
	g_free(o->text);
	g_free(o);
	return true;
}

static void cmd_output_free(gpointer p)
{
	struct cmd_output *o = p;
	g_free(o->text);
	g_free(o);
}

static void a64_hello(struct vm *base, struct vmdbg_hello *out)
{
	struct vm_a64 *vm = of(base);
	memset(out, 0, sizeof(*out));
	out->version = VMDBG_VERSION;
	out->arch = VMDBG_ARCH_AARCH64;
	out->nr_vcpus = vm->nr_vcpus;
	out->hw_bps = vm->dbg.nbps;  /* fixed at creation: no lock needed */
	out->hw_wps = vm->dbg.nwps;
	out->features = VMDBG_FEAT_SW_BP | VMDBG_FEAT_SINGLESTEP | VMDBG_FEAT_RANGE_STEP |
			(vm->no_conditions ? 0 : VMDBG_FEAT_CONDITIONS) | VMDBG_FEAT_SHARED_MEM |
			VMDBG_FEAT_SIMULATED | VMDBG_FEAT_PAGE_WATCH |
			(vm->watch_dead ? VMDBG_FEAT_HW_WATCH_DEAD : 0) |
			(vm->bp_dead ? VMDBG_FEAT_HW_BP_DEAD : 0);
	out->max_frame = VMDBG_MAX_FRAME;
}

/* ---- page-protection watches ------------------------------------------------------------- */

/* The MMU is off: a virtual address is physical, and must be RAM. */
static bool a64_xlate(void *ctx, uint64_t va, uint64_t *gpa, uint64_t *contig)
{
	struct vm_a64 *vm = ctx;
	if (!sim_in_ram(vm, va, 1))
		return false;
	*gpa = va;
	*contig = vm->ram_size - (va - RAM_BASE);
	return true;
}

static bool a64_watch(struct vm *base, bool insert, const struct vmdbg_watch *w, GError **error)
{
	struct vm_a64 *vm = of(base);
	if (!vm_check_vcpu(vm->nr_vcpus, w->vcpu, error))
		return false;
	sim_ctl_lock(vm);
	bool ok = insert ? vm_watches_insert(vm->watches, w, a64_xlate, vm, error)
			 : vm_watches_remove(vm->watches, w, error);
	sim_ctl_unlock(vm);
	return ok;
}

static uint32_t a64_watch_list(struct vm *base, struct vmdbg_watch_info *out)
{
	return vm_watches_list(of(base)->watches, out);
}

/* The self-test's memory: one page of code at 0x1000, one of data at 0x2000. */
struct probe_mem {
	uint8_t page[2][64];
};

static bool probe_read(void *ctx, uint64_t addr, void *buf, unsigned len)
{
	struct probe_mem *m = ctx;
	unsigned pg = addr >= 0x2000;
	uint64_t off = addr - (pg ? 0x2000 : 0x1000);
	if (addr < 0x1000 || off + len > sizeof(m->page[0]))
		return false;
	memcpy(buf, m->page[pg] + off, len);
	return true;
}

static bool probe_write(void *ctx, uint64_t addr, const void *buf, unsigned len)
{
	struct probe_mem *m = ctx;
	if (addr < 0x2000 || addr - 0x2000 + len > sizeof(m->page[1]))
		return false;
	memcpy(m->page[1] + (addr - 0x2000), buf, len);
	return true;
}

/* Does a store under an armed watchpoint stop the vCPU on this machine?
 * `str x0, [x1]` on a scratch vCPU with watchpoint 0 on [x1] and the
 * machine's own debug configuration otherwise. */
static bool watchpoints_fire(const struct vm_a64 *vm)
{
	struct probe_mem m = { { { 0x20, 0x00, 0x00, 0xf9 } } };  /* str x0, [x1] */
	struct a64_cpu cpu = { .pc = 0x1000 };
	cpu.x[1] = 0x2000;
	struct a64_debug dbg = vm->dbg;
	dbg.enabled = true;
	dbg.single_step = false;
	dbg.wcr[0] = 1u | 3u << 1 | 2u << 3 | 0xffu << 5;  /* E, PAC EL1+EL0, LSC store, BAS 8 */
	dbg.wvr[0] = 0x2000;
	const struct a64_mem mem = { probe_read, probe_write, &m, NULL };
	struct a64_event ev;
	return a64_step(&cpu, &dbg, &mem, &ev) == A64_WATCHPOINT;
}

/* The same for an execution breakpoint on the next instruction. */
static bool breakpoints_fire(const struct vm_a64 *vm)
{
	struct probe_mem m = { { { 0x1f, 0x20, 0x03, 0xd5 } } };  /* nop */
	struct a64_cpu cpu = { .pc = 0x1000 };
	struct a64_debug dbg = vm->dbg;
	dbg.enabled = true;
	dbg.single_step = false;
	dbg.bcr[0] = 1u | 3u << 1 | 0xfu << 5;  /* E, PMC EL1+EL0, BAS A64 */
	dbg.bvr[0] = 0x1000;
	const struct a64_mem mem = { probe_read, probe_write, &m, NULL };
	struct a64_event ev;
	return a64_step(&cpu, &dbg, &mem, &ev) == A64_BREAKPOINT;
}

/* ---- creation -------------------------------------------------------------------------------- */

struct vm *vm_a64_create(const struct vm_config *cfg, GError **error)
{
	if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > VMDBG_MAX_VCPUS) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "--vcpus must be 1..%u", VMDBG_MAX_VCPUS);
		return NULL;
	}
	if (cfg->mem_mib < 2 || cfg->mem_mib > 3072) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "--mem must be 2..3072 MiB");
		return NULL;
	}
	if (cfg->hw_bps < 2 || cfg->hw_bps > VMDBG_MAX_DBG_REGS || cfg->hw_wps < 2 ||
	    cfg->hw_wps > VMDBG_MAX_DBG_REGS) {
		/* D2.8: an implementation has 2 to 16 of each */
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "--hw-bps and --hw-wps must be 2..%u",
			    VMDBG_MAX_DBG_REGS);
		return NULL;
	}
	for (unsigned i = 0; i < cfg->nr_vcpus; i++) {
		unsigned vl = cfg->sve_vls ? cfg->sve_vls[i] : cfg->sve_vl;
		if (vl % 128 || vl > 2048) {
			g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
				    "--sve-vl must be a multiple of 128 from 128 to 2048 bits (or 0: "
				    "no SVE); vCPU %u has %u", i, vl);
			return NULL;
		}
	}
	g_autofree gchar *image = NULL;
	gsize image_size = 0;
	if (!g_file_get_contents(cfg->kernel, &image, &image_size, error))
		return NULL;

	struct vm_a64 *vm = g_new0(struct vm_a64, 1);
	vm->base.ops = &a64_ops;
	vm->notify_fd = -1;
	vm->serial_fd = cfg->serial_fd;
	vm->serial_line = g_string_new(NULL);
	vm->nr_vcpus = cfg->nr_vcpus;
	vm->no_conditions = cfg->no_conditions;
	vm->ram_size = cfg->mem_mib << 20;
	vm->shm.fd = -1;
	vm->dbg.nbps = cfg->hw_bps;
	vm->dbg.nwps = cfg->hw_wps;
	vm->dbg.watch_dead = cfg->dead_watchpoints;
	vm->watch_dead = !watchpoints_fire(vm);
	vm->dbg.bp_dead = cfg->dead_breakpoints;
	vm->bp_dead = !breakpoints_fire(vm);
	vm->watches = vm_watches_new();
	vm->sw_bps = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	vm->conds = vm_conds_new();
	g_mutex_init(&vm->lock);
	g_cond_init(&vm->run_cond);
	g_cond_init(&vm->ctl_done);
	g_queue_init(&vm->stops);
	g_queue_init(&vm->outputs);
	if (!vm_shm_create(&vm->shm, "dbgproxy-vm aarch64 RAM", vm->ram_size, SW_BP_LIMIT, error))
		goto fail;
	vm->ram = vm->shm.ram;
	struct boot_image img = { 0 };
	struct boot_window w = { vm->ram, RAM_BASE, vm->ram_size, 0 };
	GError *boot_err = NULL;
	if (!elf_load((const uint8_t *)image, image_size, &w, EM_AARCH64, &img, &boot_err)) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "%s: %s", cfg->kernel, boot_err->message);
		g_error_free(boot_err);
		goto fail;
	}
	if (!sim_in_ram(vm, img.entry, INSN_BYTES) || (img.entry & (INSN_BYTES - 1))) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
			    "%s: entry point 0x%" G_GINT64_MODIFIER "x is not an aligned RAM address",
			    cfg->kernel, img.entry);
		goto fail;
	}
	vm->vcpus = g_new0(struct sim_vcpu, cfg->nr_vcpus);
	bool any_sve = false;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct sim_vcpu *v = &vm->vcpus[i];
		v->index = i;
		v->cpu.pc = img.entry;
		v->cpu.x[0] = i;
		v->daif = PSTATE_DAIF_MASK;
		for (unsigned k = 0; k < NR_SYSREGS; k++)
			v->sys[k] = sim_sysreg_reset(k);
		v->sys[SR_MPIDR] |= i;
		v->sve_vl = cfg->sve_vls ? cfg->sve_vls[i] : cfg->sve_vl;
		any_sve |= v->sve_vl != 0;
		if (v->sve_vl) {
			v->z = g_malloc0(32 * sizeof(*v->z));
			v->p = g_malloc0(16 * sizeof(*v->p));
		}
		v->state = cfg->start_paused ? VCPU_STOPPED : VCPU_RUNNING;
	}
	vm->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vm->notify_fd < 0) {
		g_set_error(error, VM_ERROR, VMDBG_E_HOST, "eventfd: %s", g_strerror(errno));
		goto fail;
	}
	vm->thread = g_thread_try_new("a64-sim", sim_thread, vm, error);
	if (!vm->thread)
		goto fail;
	g_message("loaded %s: entry 0x%" G_GINT64_MODIFIER "x, %u simulated AArch64 vCPU(s), %"
		  G_GUINT64_FORMAT " MiB at 0x%" G_GINT64_MODIFIER "x, %u breakpoint and %u "
		  "watchpoint pairs%s%s%s%s", cfg->kernel, img.entry, vm->nr_vcpus, cfg->mem_mib, RAM_BASE,
		  cfg->hw_bps, cfg->hw_wps,
		  vm->watch_dead ? " (self-test: watchpoints do not fire; watches use page protection)"
				 : "",
		  vm->bp_dead ? " (self-test: breakpoints do not fire: HW_BP_DEAD)" : "", any_sve ? ", SVE" : "",
		  cfg->start_paused ? ", paused" : "");
	return &vm->base;
fail:
	a64_destroy(&vm->base);
	return NULL;
}

/* The MMU is never on: guest-virtual is guest-physical. */
static void a64_mem_map(struct vm *base, struct vmdbg_mem_map *m, struct vmdbg_mem_region *regions,
			int *fd)
{
	struct vm_a64 *vm = of(base);
	*m = (struct vmdbg_mem_map){ .translation = VMDBG_XLATE_IDENTITY, .nregions = 1,
				     .table_offset = vm->shm.table_offset,
				     .table_capacity = vm->shm.capacity };
	regions[0] = (struct vmdbg_mem_region){ RAM_BASE, vm->ram_size, 0 };
	*fd = vm->shm.fd;
}

static void a64_destroy(struct vm *base)
{
	struct vm_a64 *vm = of(base);
	if (vm->thread) {
		sim_ctl_lock(vm);
		vm->quit = true;
		g_cond_broadcast(&vm->run_cond);
		sim_ctl_unlock(vm);
		g_thread_join(vm->thread);
	}
	if (vm->serial_line->len)
		sim_serial_out(vm, '\n');
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		g_free(vm->vcpus[i].z);
		g_free(vm->vcpus[i].p);
	}
	if (vm->notify_fd >= 0)
		close(vm->notify_fd);
	g_queue_clear_full(&vm->stops, g_free);
	g_hash_table_unref(vm->sw_bps);
	vm_conds_free(vm->conds);
	vm_watches_free(vm->watches);
	g_queue_clear_full(&vm->outputs, cmd_output_free);
	g_string_free(vm->serial_line, TRUE);
	g_mutex_clear(&vm->lock);
	g_cond_clear(&vm->run_cond);
	g_cond_clear(&vm->ctl_done);
	g_free(vm->vcpus);
	vm_shm_destroy(&vm->shm);
	g_free(vm);
}

static const struct vm_ops a64_ops = {
	.destroy = a64_destroy,
	.notify_fd = a64_notify_fd,
	.pop_stop = a64_pop_stop,
	.hello = a64_hello,
	.reg_list = a64_reg_list,
	.get_regs = a64_get_regs,
	.set_regs = a64_set_regs,
	.read_mem = a64_read_mem,
	.write_mem = a64_write_mem,
	.set_guest_debug = a64_set_guest_debug,
	.sw_bp_insert = a64_sw_bp_insert,
	.sw_bp_remove = a64_sw_bp_remove,
	.pause = a64_pause,
	.resume = a64_resume,
	.detach = a64_detach,
	.point_cond = a64_point_cond,
	.pop_output = a64_pop_output,
	.mem_map = a64_mem_map,
	.watch = a64_watch,
	.watch_list = a64_watch_list,
};
