/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-kvm.c - the KVM machine of dbgproxy-vm: the vm_ops the vmdbg server
 * calls (registers, memory, guest debug, software breakpoints, run
 * control).  Threads, kicking, exact stops and the platform are described
 * in vm-kvm-priv.h.
 */
#include "vm-kvm-priv.h"

/* ---- registers ------------------------------------------------------------------ */

struct regs_job {
	unsigned parts;              /* X86_PART_* to load (and store back if writing) */
	bool write;
	struct x86_vcpu_state st;
	const uint64_t *ids;
	uint32_t count;
	const struct vmdbg_reg_vals *vals;
	GByteArray *out;
	int err;
	const char *failed;
};

static bool load_parts(struct vcpu *v, struct regs_job *j)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} msrs = { .hdr.nmsrs = 1, .e.index = MSR_KERNEL_GS_BASE };

	if ((j->parts & X86_PART_REGS) && ioctl(v->fd, KVM_GET_REGS, &j->st.regs) < 0)
		j->failed = "KVM_GET_REGS";
	else if ((j->parts & X86_PART_SREGS) && ioctl(v->fd, KVM_GET_SREGS, &j->st.sregs) < 0)
		j->failed = "KVM_GET_SREGS";
	else if ((j->parts & X86_PART_XSAVE) && ioctl(v->fd, KVM_GET_XSAVE, &j->st.xsave) < 0)
		j->failed = "KVM_GET_XSAVE";
	else if ((j->parts & X86_PART_MSRS) && ioctl(v->fd, KVM_GET_MSRS, &msrs) != 1)
		j->failed = "KVM_GET_MSRS";
	else {
		j->st.kernel_gs_base = msrs.e.data;
		return true;
	}
	j->err = errno;
	return false;
}

/* Write back the parts a SET_REGS touched.  KVM may refuse a value (a
 * non-canonical base, reserved CR bits): then the parts already written are
 * put back from `orig`, so a SET_REGS is applied whole or not at all. */
static bool store_one(struct vcpu *v, unsigned part, const struct x86_vcpu_state *st,
		      const char **what)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} msrs = { .hdr.nmsrs = 1, .e.index = MSR_KERNEL_GS_BASE, .e.data = st->kernel_gs_base };

	switch (part) {
	case X86_PART_REGS:
		*what = "KVM_SET_REGS";
		return ioctl(v->fd, KVM_SET_REGS, &st->regs) == 0;
	case X86_PART_SREGS:
		*what = "KVM_SET_SREGS";
		return ioctl(v->fd, KVM_SET_SREGS, &st->sregs) == 0;
	case X86_PART_XSAVE:
		*what = "KVM_SET_XSAVE";
		return ioctl(v->fd, KVM_SET_XSAVE, &st->xsave) == 0;
	default:
		*what = "KVM_SET_MSRS(MSR_KERNEL_GS_BASE)";
		errno = EINVAL; /* KVM reports a refused value as 0 MSRs written */
		return ioctl(v->fd, KVM_SET_MSRS, &msrs) == 1;
	}
}

static void store_parts(struct vcpu *v, struct regs_job *j, const struct x86_vcpu_state *orig)
{
	static const unsigned order[] = { X86_PART_MSRS, X86_PART_SREGS, X86_PART_XSAVE, X86_PART_REGS };
	unsigned written = 0;
	for (unsigned i = 0; i < G_N_ELEMENTS(order); i++) {
		if (!(j->parts & order[i]))
			continue;
		if (!store_one(v, order[i], &j->st, &j->failed)) {
			j->err = errno;
			const char *ignored;
			for (unsigned k = 0; k < i; k++)
				if (written & order[k])
					store_one(v, order[k], orig, &ignored);
			return;
		}
		written |= order[i];
	}
	j->failed = NULL;
	if (j->parts & X86_PART_SREGS)
		v->sregs = j->st.sregs;
}

static void regs_work(struct vcpu *v, void *arg)
{
	struct regs_job *j = arg;
	if (!load_parts(v, j))
		return;
	const struct x86_xsave_layout *l = &v->vm->xl;
	if (!j->write) {
		uint8_t buf[256];
		for (uint32_t i = 0; i < j->count; i++) {
			x86_reg_read(l, &j->st, j->ids[i], buf);
			g_byte_array_append(j->out, buf, vmdbg_reg_bytes(j->ids[i]));
		}
		return;
	}
	struct x86_vcpu_state *orig = g_memdup2(&j->st, sizeof(j->st));
	size_t off = 0;
	uint64_t id;
	const uint8_t *value;
	uint32_t size;
	while (vmdbg_regvals_next(j->vals, &off, &id, &value, &size))
		x86_reg_write(l, &j->st, id, value);
	store_parts(v, j, orig);
	g_free(orig);
}

static bool check_ids(struct vm_kvm *vm, const uint64_t *ids, uint32_t count, unsigned *parts,
		      GError **error)
{
	*parts = 0;
	for (uint32_t i = 0; i < count; i++) {
		unsigned p = x86_reg_part(&vm->xl, ids[i]);
		if (!p) {
			g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
				    "register id 0x%016" G_GINT64_MODIFIER "x is not served by this VM",
				    ids[i]);
			return false;
		}
		*parts |= p;
	}
	return true;
}

static bool kvm_reg_list(struct vm *base, uint32_t vcpu, GArray *ids, GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	if (!vm_check_vcpu(vm->nr_vcpus, vcpu, error))
		return false;
	uint64_t list[X86_REG_MAX];
	size_t n = x86_reg_list(&vm->xl, list);
	g_array_append_vals(ids, list, (guint)n);
	return true;
}

static bool finish_job(struct regs_job *j, uint32_t vcpu, GError **error)
{
	if (!j->failed)
		return true;
	if (j->write && j->err == EINVAL)
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
			    "vCPU %u: %s refused the new values (non-canonical address or "
			    "reserved bits set?); nothing was changed", vcpu, j->failed);
	else
		g_set_error(error, VM_ERROR, VMDBG_E_HOST, "vCPU %u: %s: %s", vcpu, j->failed,
			    g_strerror(j->err));
	return false;
}

static bool kvm_get_regs(struct vm *base, uint32_t vcpu, const uint64_t *ids, uint32_t count,
			 GByteArray *values, GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	struct regs_job *j = g_new0(struct regs_job, 1);
	j->ids = ids;
	j->count = count;
	j->out = values;
	bool ok = check_ids(vm, ids, count, &j->parts, error) &&
		  on_vcpu(vm, vcpu, regs_work, j, error) && finish_job(j, vcpu, error);
	g_free(j);
	return ok;
}

static bool kvm_set_regs(struct vm *base, const struct vmdbg_reg_vals *vals, GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	size_t off = 0;
	uint64_t id;
	const uint8_t *value;
	uint32_t size;
	while (vmdbg_regvals_next(vals, &off, &id, &value, &size))
		g_array_append_val(ids, id);

	struct regs_job *j = g_new0(struct regs_job, 1);
	j->write = true;
	j->vals = vals;
	bool ok = check_ids(vm, (const uint64_t *)(void *)ids->data, ids->len, &j->parts, error) &&
		  on_vcpu(vm, vals->vcpu, regs_work, j, error) && finish_job(j, vals->vcpu, error);
	g_free(j);
	return ok;
}

/* ---- memory -------------------------------------------------------------------- */

/* Replace patched breakpoint bytes in [gpa, gpa+n) of buf by the originals. */
static void hide_sw_bps(struct vm_kvm *vm, uint64_t gpa, uint8_t *buf, uint64_t n)
{
	const struct debug_state *s = vm->dbg; /* control thread: the only writer */
	for (size_t i = debug_state_lower_bound(s, gpa); i < s->nr_sw && s->sw[i].gpa < gpa + n; i++)
		buf[s->sw[i].gpa - gpa] = s->sw[i].orig;
}

static long kvm_read_mem(struct vm *base, uint32_t vcpu, uint64_t addr, uint32_t len, uint8_t *out,
			 GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	struct vcpu *v = stopped_vcpu(vm, vcpu, error);
	if (!v)
		return -1;
	uint64_t done = 0;
	while (done < len) {
		uint64_t gpa, contig;
		if (!gva_to_gpa(vm, &v->sregs, addr + done, &gpa, &contig))
			break;
		uint64_t n = MIN(MIN(contig, (uint64_t)len - done), vm->mem_size - gpa);
		memcpy(out + done, vm->mem + gpa, n);
		hide_sw_bps(vm, gpa, out + done, n);
		done += n;
	}
	if (done == 0) {
		g_set_error(error, VM_ERROR, VMDBG_E_FAULT,
			    "guest-virtual address 0x%" G_GINT64_MODIFIER "x is not mapped on vCPU %u",
			    addr, vcpu);
		return -1;
	}
	return (long)done;
}

static bool kvm_write_mem(struct vm *base, uint32_t vcpu, uint64_t addr, const uint8_t *data,
			  uint32_t len, GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	struct vcpu *v = stopped_vcpu(vm, vcpu, error);
	if (!v)
		return false;
	/* All or nothing: translate every page before touching any. */
	struct piece { uint64_t gpa, len; };
	g_autoptr(GArray) pieces = g_array_new(FALSE, FALSE, sizeof(struct piece));
	for (uint64_t done = 0; done < len;) {
		uint64_t gpa, contig;
		if (!gva_to_gpa(vm, &v->sregs, addr + done, &gpa, &contig)) {
			g_set_error(error, VM_ERROR, VMDBG_E_FAULT,
				    "guest-virtual address 0x%" G_GINT64_MODIFIER "x is not mapped on vCPU %u",
				    addr + done, vcpu);
			return false;
		}
		struct piece p = { gpa, MIN(MIN(contig, (uint64_t)len - done), vm->mem_size - gpa) };
		g_array_append_val(pieces, p);
		done += p.len;
	}
	struct debug_state *next = NULL;
	uint64_t done = 0;
	for (guint i = 0; i < pieces->len; i++) {
		const struct piece *p = &g_array_index(pieces, struct piece, i);
		uint64_t gpa = p->gpa, n = p->len;
		memcpy(vm->mem + gpa, data + done, n);
		/* a breakpoint under the write keeps its int3; the write goes to its saved byte */
		const struct debug_state *s = next ? next : vm->dbg;
		for (size_t k = debug_state_lower_bound(s, gpa); k < s->nr_sw && s->sw[k].gpa < gpa + n; k++) {
			if (!next) {
				next = debug_state_clone(vm->dbg, 0);
				s = next;
			}
			next->sw[k].orig = data[done + (next->sw[k].gpa - gpa)];
			vm->mem[next->sw[k].gpa] = 0xcc;
		}
		done += n;
	}
	if (next)
		publish(vm, next);
	return true;
}

/* ---- breakpoints and guest debug ------------------------------------------------- */

static bool kvm_set_guest_debug(struct vm *base, const struct vmdbg_guest_debug *g, GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	if (g->arch != VMDBG_ARCH_X86_64) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
			    "debug registers for arch %u sent to an x86-64 VM", g->arch);
		return false;
	}
	struct debug_state *next = debug_state_clone(vm->dbg, 0);
	next->control = g->control;
	next->hw = g->regs.x86;
	publish(vm, next);
	kick_all(vm);
	g_debug("guest debug: control 0x%x dr7 0x%" G_GINT64_MODIFIER "x", g->control,
		g->regs.x86.debugreg[7]);
	return true;
}

static bool kvm_sw_bp_insert(struct vm *base, const struct vmdbg_sw_bp *bp, GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	if (bp->kind != 1) { /* int3 is one byte: gdb's x86 breakpoint kind */
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL,
			    "an x86 software breakpoint is kind 1 (int3), not %u", bp->kind);
		return false;
	}
	if (vm->int3 == KVM_INT3_TO_GUEST) {
		g_set_error(error, VM_ERROR, VMDBG_E_HOST,
			    "this KVM host delivers int3 to the guest instead of exiting: "
			    "software breakpoints cannot be trapped here (use a hardware one)");
		return false;
	}
	struct vcpu *v = stopped_vcpu(vm, bp->vcpu, error);
	if (!v)
		return false;
	uint64_t gpa, contig;
	if (!gva_to_gpa(vm, &v->sregs, bp->addr, &gpa, &contig)) {
		g_set_error(error, VM_ERROR, VMDBG_E_FAULT,
			    "breakpoint address 0x%" G_GINT64_MODIFIER "x is not mapped on vCPU %u",
			    bp->addr, bp->vcpu);
		return false;
	}
	if (debug_state_find(vm->dbg, gpa) >= 0) {
		g_set_error(error, VM_ERROR, VMDBG_E_EXIST,
			    "a breakpoint is already inserted at 0x%" G_GINT64_MODIFIER "x", bp->addr);
		return false;
	}
	if (vm->dbg->nr_sw >= SW_BP_MAX) {
		g_set_error(error, VM_ERROR, VMDBG_E_NOSPC, "%u software breakpoints is the limit",
			    SW_BP_MAX);
		return false;
	}
	struct debug_state *next = debug_state_clone(vm->dbg, 1);
	struct sw_bp entry = { gpa, bp->addr, vm->mem[gpa] };
	debug_state_insert(next, &entry);
	/* publish first: a vCPU that hits the int3 must find it in the table */
	publish(vm, next);
	vm->mem[gpa] = 0xcc;
	kick_all(vm); /* running vCPUs need KVM_GUESTDBG_USE_SW_BP */
	g_debug("sw breakpoint at 0x%" G_GINT64_MODIFIER "x (gpa 0x%" G_GINT64_MODIFIER "x)",
		bp->addr, gpa);
	return true;
}

static bool kvm_sw_bp_remove(struct vm *base, const struct vmdbg_sw_bp *bp, GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	struct vcpu *v = stopped_vcpu(vm, bp->vcpu, error);
	if (!v)
		return false;
	uint64_t gpa, contig;
	long i = -1;
	if (gva_to_gpa(vm, &v->sregs, bp->addr, &gpa, &contig))
		i = debug_state_find(vm->dbg, gpa);
	if (i < 0) {
		/* the mapping may have changed since insertion: look for the address asked */
		for (size_t k = 0; k < vm->dbg->nr_sw; k++)
			if (vm->dbg->sw[k].gva == bp->addr)
				i = (long)k;
	}
	if (i < 0) {
		g_set_error(error, VM_ERROR, VMDBG_E_NOENT,
			    "no breakpoint at 0x%" G_GINT64_MODIFIER "x", bp->addr);
		return false;
	}
	vm->mem[vm->dbg->sw[i].gpa] = vm->dbg->sw[i].orig;
	struct debug_state *next = debug_state_clone(vm->dbg, 0);
	debug_state_remove(next, (size_t)i);
	publish(vm, next);
	if (next->nr_sw == 0)
		kick_all(vm);
	return true;
}

/* ---- run control ------------------------------------------------------------------ */

static bool wait_all_stopped_locked(struct vm_kvm *vm, GError **error)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += PAUSE_TIMEOUT_S;
	for (;;) {
		unsigned running = 0;
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			running += vm->vcpus[i].state == VCPU_RUNNING;
		if (!running)
			return true;
		if (pthread_cond_timedwait(&vm->cond, &vm->lock, &deadline) == ETIMEDOUT) {
			g_set_error(error, VM_ERROR, VMDBG_E_HOST,
				    "%u vCPU(s) did not leave KVM_RUN within %d s", running,
				    PAUSE_TIMEOUT_S);
			return false;
		}
	}
}

/* Run fn with every vCPU out of KVM_RUN: running ones are paused for it
 * (no STOPPED event) and then run on as they were — all but those that
 * stopped on an event of their own meanwhile (their STOPPED is queued). */
bool kvm_with_all_stopped(struct vm_kvm *vm, bool (*fn)(struct vm_kvm *vm, void *arg), void *arg,
			  GError **error)
{
	bool was[VMDBG_MAX_VCPUS] = { false }, step[VMDBG_MAX_VCPUS];
	struct vm_step_range range[VMDBG_MAX_VCPUS];
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->state != VCPU_RUNNING)
			continue;
		was[i] = true;
		step[i] = v->step;
		range[i] = v->range;
		v->pause_req = true;
		kick_locked(v);
	}
	bool ok = wait_all_stopped_locked(vm, error);
	pthread_mutex_unlock(&vm->lock);
	if (ok)
		ok = fn(vm, arg);
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!was[i] || v->state != VCPU_STOPPED || v->stopped_by_event || vm->dead)
			continue;
		v->step = step[i];
		v->range = range[i];
		v->pause_req = false;
		v->state = VCPU_RUNNING;
	}
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return ok;
}

static bool kvm_pause(struct vm *base, GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->state == VCPU_RUNNING) {
			v->pause_req = true;
			kick_locked(v);
		}
	}
	bool ok = wait_all_stopped_locked(vm, error);
	pthread_mutex_unlock(&vm->lock);
	return ok;
}

static bool kvm_resume(struct vm *base, const struct vmdbg_resume *r, GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	uint32_t actions[VMDBG_MAX_VCPUS];
	struct vm_step_range ranges[VMDBG_MAX_VCPUS];
	if (!vm_resume_actions(vm->nr_vcpus, r, actions, ranges, error))
		return false;
	pthread_mutex_lock(&vm->lock);
	if (vm->dead) {
		pthread_mutex_unlock(&vm->lock);
		g_set_error(error, VM_ERROR, VMDBG_E_STATE, "the guest has shut down");
		return false;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->state != VCPU_STOPPED || actions[i] == VMDBG_ACT_STAY)
			continue;
		v->step = actions[i] == VMDBG_ACT_STEP || actions[i] == VMDBG_ACT_RANGE_STEP;
		v->range = actions[i] == VMDBG_ACT_RANGE_STEP ? ranges[i] : (struct vm_step_range){ 0, 0 };
		v->pause_req = false;
		v->state = VCPU_RUNNING;
	}
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return true;
}

static void kvm_detach(struct vm *base)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	unsigned watches = 0;
	if (vm_watches_count(vm->watches)) {
		/* slots change only with every vCPU out of KVM_RUN */
		g_autoptr(GError) err = NULL;
		if (!kvm_pause(base, &err))
			g_warning("detach: %s; guest pages stay protected", err->message);
		else
			watches = vm_kvm_watch_clear(vm);
	}
	const struct debug_state *s = vm->dbg;
	size_t removed = s->nr_sw;
	for (size_t i = 0; i < s->nr_sw; i++)
		vm->mem[s->sw[i].gpa] = s->sw[i].orig;
	struct debug_state *next = debug_state_new();
	next->generation = s->generation + 1;
	publish(vm, next); /* frees s */

	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		v->fired_pending = false;
		v->over_slots = 0;
		if (v->state == VCPU_RUNNING)
			kick_locked(v); /* picks up the cleared guest debug */
		else if (!vm->dead) {
			v->step = false;
			v->range = (struct vm_step_range){ 0, 0 };
			v->state = VCPU_RUNNING;
		}
	}
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	g_message("debug state cleared: %zu software breakpoint(s) restored, %u watch(es) removed, "
		  "guest resumed", removed, watches);
}

static int kvm_notify_fd(struct vm *base)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	return vm->notify_fd;
}

static bool kvm_pop_stop(struct vm *base, struct vmdbg_stopped *out)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	pthread_mutex_lock(&vm->lock);
	struct vmdbg_stopped *ev = g_queue_pop_head(&vm->stops);
	pthread_mutex_unlock(&vm->lock);
	if (!ev)
		return false;
	*out = *ev;
	g_free(ev);
	return true;
}

static void kvm_hello(struct vm *base, struct vmdbg_hello *out)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	memset(out, 0, sizeof(*out));
	out->version = VMDBG_VERSION;
	out->arch = VMDBG_ARCH_X86_64;
	out->nr_vcpus = vm->nr_vcpus;
	out->hw_bps = 4; /* DR0-DR3, shared with watchpoints */
	out->hw_wps = 4;
	out->features = VMDBG_FEAT_HW_SLOTS_SHARED | VMDBG_FEAT_SINGLESTEP | VMDBG_FEAT_RANGE_STEP |
			VMDBG_FEAT_SHARED_MEM |
			(vm->int3 != KVM_INT3_TO_GUEST ? VMDBG_FEAT_SW_BP : 0) |
			(vm->blockirq ? VMDBG_FEAT_BLOCKIRQ : 0) |
			(vm->readonly_mem ? VMDBG_FEAT_PAGE_WATCH : 0) |
			(vm->hw_watch_dead ? VMDBG_FEAT_HW_WATCH_DEAD : 0) |
			(vm->hw_bp_dead ? VMDBG_FEAT_HW_BP_DEAD : 0);
	out->max_frame = VMDBG_MAX_FRAME;
}

/* One slot from guest-physical 0; guest-virtual addresses go through the
 * vCPU's page tables. */
static void kvm_mem_map(struct vm *base, struct vmdbg_mem_map *m, struct vmdbg_mem_region *regions,
			int *fd)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	*m = (struct vmdbg_mem_map){ .translation = VMDBG_XLATE_X86, .nregions = 1,
				     .table_offset = vm->shm.table_offset,
				     .table_capacity = vm->shm.capacity };
	regions[0] = (struct vmdbg_mem_region){ 0, vm->mem_size, 0 };
	*fd = vm->shm.fd;
}

const struct vm_ops kvm_ops = {
	.destroy = kvm_destroy,
	.notify_fd = kvm_notify_fd,
	.pop_stop = kvm_pop_stop,
	.hello = kvm_hello,
	.reg_list = kvm_reg_list,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.read_mem = kvm_read_mem,
	.write_mem = kvm_write_mem,
	.set_guest_debug = kvm_set_guest_debug,
	.sw_bp_insert = kvm_sw_bp_insert,
	.sw_bp_remove = kvm_sw_bp_remove,
	.pause = kvm_pause,
	.resume = kvm_resume,
	.detach = kvm_detach,
	.mem_map = kvm_mem_map,
	.watch = kvm_watch,
	.watch_list = kvm_watch_list,
};
