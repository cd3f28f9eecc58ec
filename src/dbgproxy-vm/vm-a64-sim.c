/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-a64-sim.c - the simulated AArch64 machine's own side (vm-a64.c has
 * the vmdbg calls and the design): the simulation thread that runs the
 * vCPUs a quantum at a time, guest memory and the UART, stop events,
 * exceptions delivered to the guest, PSCI, and breakpoint conditions
 * evaluated where they hit.
 */
#include "vm-a64-priv.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* ---- locking: the control thread's side ----------------------------------------- */

void sim_ctl_lock(struct vm_a64 *vm)
{
	g_atomic_int_inc(&vm->ctl_waiting);
	g_mutex_lock(&vm->lock);
	g_atomic_int_dec_and_test(&vm->ctl_waiting);
}

void sim_ctl_unlock(struct vm_a64 *vm)
{
	g_cond_broadcast(&vm->ctl_done);
	g_mutex_unlock(&vm->lock);
}

/* ---- memory --------------------------------------------------------------------- */

bool sim_in_ram(const struct vm_a64 *vm, uint64_t addr, uint64_t len)
{
	return addr >= RAM_BASE && addr - RAM_BASE < vm->ram_size &&
	       vm->ram_size - (addr - RAM_BASE) >= len;
}

void sim_serial_out(struct vm_a64 *vm, uint8_t byte)
{
	g_string_append_c(vm->serial_line, (char)byte);
	if (byte == '\n' || vm->serial_line->len >= 4096) {
		ssize_t r = write(vm->serial_fd, vm->serial_line->str, vm->serial_line->len);
		(void)r; /* the guest's console is best effort */
		g_string_truncate(vm->serial_line, 0);
	}
}

static bool sim_read(void *ctx, uint64_t addr, void *buf, unsigned len)
{
	struct vm_a64 *vm = ctx;
	if (sim_in_ram(vm, addr, len)) {
		memcpy(buf, vm->ram + (addr - RAM_BASE), len);
		return true;
	}
	if (addr >= UART_BASE && addr - UART_BASE + len <= UART_SIZE) {
		memset(buf, 0, len);
		return true;
	}
	return false;
}

static bool sim_write(void *ctx, uint64_t addr, const void *buf, unsigned len)
{
	struct vm_a64 *vm = ctx;
	if (sim_in_ram(vm, addr, len)) {
		memcpy(vm->ram + (addr - RAM_BASE), buf, len);
		return true;
	}
	if (addr >= UART_BASE && addr - UART_BASE + len <= UART_SIZE) {
		if (addr - UART_BASE == UART_DR)
			sim_serial_out(vm, *(const uint8_t *)buf);
		return true;
	}
	return false;
}

/* Page protection, simulated: an access the page table of the watches
 * would trap is a hit (the vCPU stops before it, as for a watchpoint) or
 * silent (counted, and done). */
static bool sim_watch(void *ctx, uint64_t addr, unsigned len, bool store)
{
	struct vm_a64 *vm = ctx;
	return vm_watches_access(vm->watches, addr, len, store, &vm->watch_hit) == VM_WATCH_HIT;
}

uint32_t sim_ram_word(const struct vm_a64 *vm, uint64_t addr)
{
	uint32_t w;
	memcpy(&w, vm->ram + (addr - RAM_BASE), sizeof(w));
	return GUINT32_FROM_LE(w);
}

void sim_set_ram_word(struct vm_a64 *vm, uint64_t addr, uint32_t w)
{
	w = GUINT32_TO_LE(w);
	memcpy(vm->ram + (addr - RAM_BASE), &w, sizeof(w));
}

/* ---- events ------------------------------------------------------------------------ */

static void notify(struct vm_a64 *vm)
{
	uint64_t one = 1;
	ssize_t r = write(vm->notify_fd, &one, sizeof(one));
	(void)r; /* an eventfd at its limit is already readable */
}

/* With vm->lock held: the vCPU stops and reports ev (its vcpu and pc set here). */
static void queue_stop(struct vm_a64 *vm, struct sim_vcpu *v, const struct vmdbg_stopped *ev)
{
	struct vmdbg_stopped *q = g_memdup2(ev, sizeof(*ev));
	q->vcpu = v->index;
	q->pc = v->cpu.pc;
	v->state = VCPU_STOPPED;
	v->step = false;
	g_queue_push_tail(&vm->stops, q);
	notify(vm);
}

static void stop_vcpu(struct vm_a64 *vm, struct sim_vcpu *v, uint32_t reason, uint64_t info0,
		      uint64_t info1)
{
	struct vmdbg_stopped ev = { .reason = reason, .info = { info0, info1, 0 } };
	queue_stop(vm, v, &ev);
}

uint64_t sim_pstate_of(const struct sim_vcpu *v)
{
	return ((uint64_t)v->cpu.nzcv & PSTATE_NZCV_MASK) | v->daif | PSTATE_M_EL1H;
}

/* Synchronous exception to EL1 (D1.10): the guest's own handler runs. */
static void take_exception(struct sim_vcpu *v, uint64_t esr)
{
	v->sys[SR_ESR] = esr;
	v->elr_el1 = v->cpu.pc;
	v->spsr[0] = sim_pstate_of(v);
	v->daif = PSTATE_DAIF_MASK;
	v->cpu.pc = v->sys[SR_VBAR] + VECTOR_CUR_SPX_SYNC;
}

/* A PSCI call (HVC, pc already past it), with vm->lock held.  Returns true
 * when it stopped the machine for good. */
static bool psci_call(struct vm_a64 *vm, struct sim_vcpu *v)
{
	uint32_t fn = (uint32_t)v->cpu.x[0];
	if (fn == PSCI_SYSTEM_OFF || fn == PSCI_SYSTEM_RESET) {
		g_message("vCPU %u: guest %s (PSCI) at 0x%" G_GINT64_MODIFIER "x", v->index,
			  fn == PSCI_SYSTEM_OFF ? "powered off" : "asked for a reset", v->cpu.pc);
		vm->dead = true;
		stop_vcpu(vm, v, VMDBG_STOP_SHUTDOWN,
			  fn == PSCI_SYSTEM_OFF ? VMDBG_SHUTDOWN_POWEROFF : VMDBG_SHUTDOWN_RESET, 0);
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			if (vm->vcpus[i].state == VCPU_RUNNING) {
				vm->vcpus[i].state = VCPU_STOPPED;
				vm->vcpus[i].step = false;
			}
		return true;
	}
	v->cpu.x[0] = fn == PSCI_VERSION ? PSCI_VERSION_1_0 : PSCI_NOT_SUPPORTED;
	return false;
}

/* ---- the simulation thread ---------------------------------------------------------- */

/* After a completed step: does a range step go on (pc still in its range)? */
static bool in_step_range(const struct sim_vcpu *v)
{
	return v->range.end && v->cpu.pc >= v->range.start && v->cpu.pc < v->range.end;
}


struct cond_ctx {
	struct vm_a64 *vm;
	struct sim_vcpu *v;
};

static bool cond_reg(void *ctx, uint64_t id, uint64_t *value)
{
	struct cond_ctx *c = ctx;
	bool pstate;
	void *p = sim_reg_storage(c->vm, c->v, id, &pstate);
	if (pstate) {
		*value = sim_pstate_of(c->v);
		return true;
	}
	if (!p)
		return false;
	uint8_t buf[8] = { 0 };
	memcpy(buf, p, MIN(vmdbg_reg_bytes(id), 8u));
	uint64_t le;
	memcpy(&le, buf, 8);
	*value = GUINT64_FROM_LE(le);
	return true;
}

/* memory as the guest sees it: the original words under software breakpoints */
static bool cond_mem(void *ctx, uint64_t addr, unsigned len, uint8_t *out)
{
	struct cond_ctx *c = ctx;
	if (!sim_in_ram(c->vm, addr, len))
		return false;
	memcpy(out, c->vm->ram + (addr - RAM_BASE), len);
	sim_hide_sw_bps(c->vm, addr, out, len);
	return true;
}


/* With vm->lock held: queue what a breakpoint's commands printed. */
static void queue_output(struct vm_a64 *vm, struct sim_vcpu *v, const GString *text)
{
	if (text->len == 0)
		return;
	if (vm->output_bytes + text->len > OUTPUT_LIMIT) {
		if (vm->output_dropped++ == 0)
			g_warning("breakpoint commands print faster than the debugger reads: "
				  "dropping their output");
		return;
	}
	struct cmd_output *o = g_new(struct cmd_output, 1);
	o->vcpu = v->index;
	o->text = g_strndup(text->str, text->len);
	vm->output_bytes += text->len;
	g_queue_push_tail(&vm->outputs, o);
	notify(vm);
}

/* A breakpoint hit at the vCPU's pc: does a condition say to go on (the
 * commands, if any, ran)? */
static bool cond_skips(struct vm_a64 *vm, struct sim_vcpu *v)
{
	if (vm_conds_count(vm->conds) == 0)
		return false;
	struct cond_ctx c = { vm, v };
	const struct vm_cond_access acc = { cond_reg, cond_mem, &c };
	g_autofree char *msg = NULL;
	g_autoptr(GString) out = g_string_new(NULL);
	enum vm_cond_verdict verdict = vm_conds_eval(vm->conds, v->cpu.pc, &acc, out, &msg);
	queue_output(vm, v, out);
	switch (verdict) {
	case VM_COND_SKIP:
		return true;
	case VM_COND_FAILED:
		g_warning("vCPU %u: %s; stopping there", v->index, msg);
		return false;
	default:
		return false;
	}
}

/* Execute the instruction at pc as if no breakpoint were there: the
 * original word under a software one, hardware breakpoints off for it. */
static enum a64_exit step_over(struct vm_a64 *vm, struct sim_vcpu *v, const struct a64_mem *mem,
			       struct a64_event *ev)
{
	uint64_t pc = v->cpu.pc;
	gpointer orig;
	bool sw = g_hash_table_lookup_extended(vm->sw_bps, &pc, NULL, &orig);
	if (sw)
		sim_set_ram_word(vm, pc, GPOINTER_TO_UINT(orig));
	unsigned nbps = vm->dbg.nbps;
	vm->dbg.nbps = 0;
	enum a64_exit e = a64_step(&v->cpu, &vm->dbg, mem, ev);
	vm->dbg.nbps = nbps;
	if (sw)
		sim_set_ram_word(vm, pc, A64_BRK0);
	return e;
}

/* Run one vCPU for up to a quantum, with vm->lock held. */
static void run_turn(struct vm_a64 *vm, struct sim_vcpu *v)
{
	const struct a64_mem mem = { sim_read, sim_write, vm, sim_watch };
	struct a64_debug *dbg = &vm->dbg;
	unsigned budget = v->step && !v->range.end ? 1 : QUANTUM;
	dbg->single_step = v->step;
	v->idle = false;
	for (unsigned i = 0; i < budget; i++) {
		struct a64_event ev;
		enum a64_exit e = a64_step(&v->cpu, dbg, &mem, &ev);
	again:
		switch (e) {
		case A64_OK:
			continue;
		case A64_WFI:            /* nothing will wake it sooner than the next turn */
			v->idle = true;
			return;
		case A64_SOFTWARE_STEP:
			if (in_step_range(v))
				continue;
			stop_vcpu(vm, v, VMDBG_STOP_DEBUG, ev.esr, ev.far);
			return;
		case A64_BREAKPOINT:
			if (cond_skips(vm, v)) {
				e = step_over(vm, v, &mem, &ev);
				goto again;
			}
			stop_vcpu(vm, v, VMDBG_STOP_DEBUG, ev.esr, ev.far);
			return;
		case A64_WATCHPOINT:
			stop_vcpu(vm, v, VMDBG_STOP_DEBUG, ev.esr, ev.far);
			return;
		case A64_PAGE_WATCH:     /* before the access, as a watchpoint */
			queue_stop(vm, v, &vm->watch_hit);
			return;
		case A64_BRK:
			if (g_hash_table_contains(vm->sw_bps, &v->cpu.pc)) {
				if (cond_skips(vm, v)) {
					e = step_over(vm, v, &mem, &ev);
					goto again;
				}
				stop_vcpu(vm, v, VMDBG_STOP_SW_BP, v->cpu.pc, 0);
				return;
			}
			take_exception(v, ev.esr);
			if (v->step) { /* the step ends at the handler's first instruction */
				stop_vcpu(vm, v, VMDBG_STOP_DEBUG,
					  (uint64_t)A64_EC_SSTEP_CUR << 26 | A64_ESR_IL, 0);
				return;
			}
			continue;
		case A64_HLT:
			v->cpu.pc += INSN_BYTES;
			stop_vcpu(vm, v, VMDBG_STOP_HALTED, 0, 0);
			return;
		case A64_HVC:
			if (psci_call(vm, v))
				return;
			if (v->step && !in_step_range(v)) { /* the HVC completed: that was the step */
				stop_vcpu(vm, v, VMDBG_STOP_DEBUG,
					  (uint64_t)A64_EC_SSTEP_CUR << 26 | A64_ESR_IL, 0);
				return;
			}
			continue;
		case A64_UNDEFINED:
			g_message("vCPU %u: undefined instruction 0x%08x at 0x%" G_GINT64_MODIFIER "x",
				  v->index, ev.insn, v->cpu.pc);
			stop_vcpu(vm, v, VMDBG_STOP_UNDEFINED, ev.insn, 0);
			return;
		case A64_MEM_FAULT:
			g_message("vCPU %u: access to 0x%" G_GINT64_MODIFIER "x outside memory at 0x%"
				  G_GINT64_MODIFIER "x", v->index, ev.far, v->cpu.pc);
			stop_vcpu(vm, v, VMDBG_STOP_FAULT, ev.far, ev.far == v->cpu.pc);
			return;
		}
	}
}

gpointer sim_thread(gpointer arg)
{
	struct vm_a64 *vm = arg;
	unsigned next = 0;
	g_mutex_lock(&vm->lock);
	while (!vm->quit) {
		while (g_atomic_int_get(&vm->ctl_waiting))
			g_cond_wait(&vm->ctl_done, &vm->lock);
		unsigned running = 0, idle = 0;
		for (unsigned k = 0; k < vm->nr_vcpus; k++) {
			struct sim_vcpu *v = &vm->vcpus[(next + k) % vm->nr_vcpus];
			if (v->state != VCPU_RUNNING)
				continue;
			running++;
			if (v->idle && !v->step) {   /* one WFI turn skipped per round */
				v->idle = false;
				idle++;
				continue;
			}
			run_turn(vm, v);
			next = (v->index + 1) % vm->nr_vcpus;
			break;
		}
		if (running == 0) {
			g_cond_wait(&vm->run_cond, &vm->lock);
		} else if (idle == running) {
			gint64 until = g_get_monotonic_time() + IDLE_SLEEP_US;
			g_cond_wait_until(&vm->run_cond, &vm->lock, until);
		}
	}
	g_mutex_unlock(&vm->lock);
	return NULL;
}
