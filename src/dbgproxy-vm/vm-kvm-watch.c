/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-kvm-watch.c - watchpoints by page protection on the KVM machine
 * (vmdbg WATCH_*; the table and what an access means are vm-watch.c).
 *
 * Guest RAM is KVM memory slots.  Without watches it is one slot; with
 * them the slots are cut around the protected pages: a page protected
 * against stores becomes a slot of its own with KVM_MEM_READONLY (a guest
 * store exits as KVM_EXIT_MMIO with address, length and data; loads run at
 * full speed), a page protected against every access has no slot at all
 * (loads and stores exit as KVM_EXIT_MMIO).  The vCPU thread performs each
 * such access on guest RAM itself (vm_kvm_watch_mmio) and stops after it
 * when it touched watched bytes: KVM completes the instruction on the next
 * KVM_RUN, which the stop does with immediate_exit, so the stop is after
 * the access (x86 watchpoint timing) with pc at the next instruction.
 *
 * Slots change only while every vCPU is out of KVM_RUN (running ones are
 * paused for it and run on): a slot that is deleted and re-created must
 * never be missing under a running vCPU.  Unchanged slots keep their ids
 * and are not touched.
 *
 * Instruction fetches from a page without a slot cannot be emulated (KVM
 * ends KVM_RUN with an emulation failure, queueing #UD): the vCPU thread
 * then maps that one page in a spare slot for a single hidden step and
 * removes it again (vm_kvm_fetch_*), dropping the #UD KVM queued.
 */
#include "vm-kvm-priv.h"

#include <inttypes.h>

struct kvm_slot {
	uint64_t gpa, size;
	uint32_t flags;
	bool keep;             /* layout(): present in the new layout as well */
};

/* The slots guest RAM needs now, in address order. */
static GArray *layout(struct vm_kvm *vm)
{
	GArray *out = g_array_new(FALSE, TRUE, sizeof(struct kvm_slot));
	struct vm_watch_page *pages = g_new(struct vm_watch_page, VM_WATCH_MAX_PAGES_ALL);
	size_t n = vm_watches_pages(vm->watches, pages);
	uint64_t at = 0;
	for (size_t i = 0; i < n && pages[i].gpa < vm->mem_size; i++) {
		if (pages[i].gpa > at) {
			struct kvm_slot ram = { at, pages[i].gpa - at, 0, false };
			g_array_append_val(out, ram);
		}
		if (pages[i].mode == VM_PAGE_READONLY) {
			struct kvm_slot ro = { pages[i].gpa, VM_WATCH_PAGE, KVM_MEM_READONLY, false };
			g_array_append_val(out, ro);
		}
		at = pages[i].gpa + VM_WATCH_PAGE;
	}
	if (at < vm->mem_size) {
		struct kvm_slot ram = { at, vm->mem_size - at, 0, false };
		g_array_append_val(out, ram);
	}
	g_free(pages);
	return out;
}

static bool set_slot(struct vm_kvm *vm, uint32_t id, const struct kvm_slot *s, bool del)
{
	struct kvm_userspace_memory_region r = {
		.slot = id, .flags = del ? 0 : s->flags, .guest_phys_addr = s->gpa,
		.memory_size = del ? 0 : s->size, .userspace_addr = (uintptr_t)(vm->mem + s->gpa),
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) == 0)
		return true;
	g_warning("KVM_SET_USER_MEMORY_REGION slot %u 0x%" PRIx64 "+0x%" PRIx64 " flags %u%s: %s",
		  id, s->gpa, s->size, s->flags, del ? " (delete)" : "", g_strerror(errno));
	return false;
}

static bool same(const struct kvm_slot *a, const struct kvm_slot *b)
{
	return a->gpa == b->gpa && a->size == b->size && a->flags == b->flags;
}

/* Make KVM's slots the layout of the current watches.  Every vCPU must be
 * stopped.  vm->slots[id] is what KVM has in slot id (size 0: free). */
static bool apply_slots(struct vm_kvm *vm, GError **error)
{
	g_autoptr(GArray) want = layout(vm);
	GArray *have = vm->slots;
	for (guint i = 0; i < want->len; i++) {
		struct kvm_slot *w = &g_array_index(want, struct kvm_slot, i);
		for (guint id = 0; id < have->len && !w->keep; id++) {
			struct kvm_slot *h = &g_array_index(have, struct kvm_slot, id);
			if (h->size && !h->keep && same(h, w))
				h->keep = w->keep = true;
		}
	}
	bool ok = true;
	/* first out, so that no two slots ever overlap */
	for (guint id = 0; id < have->len; id++) {
		struct kvm_slot *h = &g_array_index(have, struct kvm_slot, id);
		if (h->size && !h->keep) {
			ok &= set_slot(vm, id, h, true);
			h->size = 0;
		}
		h->keep = false;
	}
	guint id = 0;
	for (guint i = 0; i < want->len && ok; i++) {
		struct kvm_slot *w = &g_array_index(want, struct kvm_slot, i);
		if (w->keep)
			continue;
		while (id < have->len && g_array_index(have, struct kvm_slot, id).size)
			id++;
		if (id == have->len)
			g_array_set_size(have, id + 1);
		if (!(ok = set_slot(vm, id, w, false)))
			break;
		g_array_index(have, struct kvm_slot, id) = *w;
		g_array_index(have, struct kvm_slot, id).keep = false;
	}
	if (!ok)
		g_set_error(error, VM_ERROR, VMDBG_E_HOST,
			    "KVM_SET_USER_MEMORY_REGION failed while protecting guest pages: %s",
			    g_strerror(errno));
	return ok;
}

bool vm_kvm_watch_init(struct vm_kvm *vm, GError **error)
{
	vm->watches = vm_watches_new();
	vm->slots = g_array_new(FALSE, TRUE, sizeof(struct kvm_slot));
	vm->readonly_mem = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0;
	int nslots = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	if (nslots < 32)
		nslots = 32;    /* KVM's minimum (Documentation/virt/kvm/api.rst) */
	vm->fetch_slot = (uint32_t)nslots - 1;
	if (!apply_slots(vm, error))
		return false;
	char detail[160] = "";
	vm->hw_watch_dead = kvm_probe_hw_write(vm->kvm_fd, detail, sizeof(detail)) != KVM_PROBE_YES;
	if (vm->hw_watch_dead)
		g_message("self-test: a DR0 write watchpoint did not stop a vCPU here (%s); "
			  "watchpoints use page protection", detail);
	vm->hw_bp_dead = kvm_probe_hw_exec(vm->kvm_fd, detail, sizeof(detail)) != KVM_PROBE_YES;
	if (vm->hw_bp_dead)
		g_message("self-test: a DR0 execution breakpoint did not stop a vCPU here (%s); "
			  "HELLO says HW_BP_DEAD", detail);
	return true;
}

void vm_kvm_watch_free(struct vm_kvm *vm)
{
	vm_watches_free(vm->watches);
	if (vm->slots)
		g_array_unref(vm->slots);
}

struct xlate_ctx {
	struct vm_kvm *vm;
	const struct kvm_sregs *sregs;
};

static bool kvm_xlate(void *ctx, uint64_t va, uint64_t *gpa, uint64_t *contig)
{
	struct xlate_ctx *x = ctx;
	return gva_to_gpa(x->vm, x->sregs, va, gpa, contig);
}

struct watch_job {
	bool insert;
	const struct vmdbg_watch *w;
	GError **error;
};

/* With every vCPU out of KVM_RUN: change the table and the slots. */
static bool watch_now(struct vm_kvm *vm, void *arg)
{
	struct watch_job *j = arg;
	struct xlate_ctx x = { vm, &vm->vcpus[j->w->vcpu].sregs };  /* at its last stop */
	if (j->insert ? !vm_watches_insert(vm->watches, j->w, kvm_xlate, &x, j->error)
		      : !vm_watches_remove(vm->watches, j->w, j->error))
		return false;
	if (apply_slots(vm, j->error))
		return true;
	/* undo: the table must say what the slots do */
	if (j->insert)
		vm_watches_remove(vm->watches, j->w, NULL);
	else
		vm_watches_insert(vm->watches, j->w, kvm_xlate, &x, NULL);
	apply_slots(vm, NULL);
	return false;
}

bool kvm_watch(struct vm *base, bool insert, const struct vmdbg_watch *w, GError **error)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	if (!vm->readonly_mem) {
		g_set_error(error, VM_ERROR, VMDBG_E_UNKNOWN,
			    "this host's KVM has no read-only memory (KVM_CAP_READONLY_MEM): "
			    "no page-protection watches");
		return false;
	}
	if (!vm_check_vcpu(vm->nr_vcpus, w->vcpu, error))
		return false;
	/* slots change only with every vCPU stopped: running ones pause for it */
	struct watch_job j = { insert, w, error };
	GError *pause_err = NULL;
	bool ok = kvm_with_all_stopped(vm, watch_now, &j, &pause_err);
	if (pause_err)
		g_propagate_error(error, pause_err);
	return ok;
}

uint32_t kvm_watch_list(struct vm *base, struct vmdbg_watch_info *out)
{
	return vm_watches_list(((struct vm_kvm *)base)->watches, out);
}

/* DETACH (every vCPU stopped): no watch, one slot. */
unsigned vm_kvm_watch_clear(struct vm_kvm *vm)
{
	unsigned n = vm_watches_clear(vm->watches);
	g_autoptr(GError) err = NULL;
	if (!apply_slots(vm, &err))
		g_warning("restoring guest RAM as one slot: %s", err->message);
	return n;
}

/* A KVM_EXIT_MMIO: when it is an access to a protected page, do it on
 * guest RAM and say so (true; *hit set when it touched watched bytes, ev
 * filled but for vcpu and pc). */
bool vm_kvm_watch_mmio(struct vcpu *v, bool *hit, struct vmdbg_stopped *ev)
{
	struct vm_kvm *vm = v->vm;
	struct kvm_run *run = v->run;
	uint64_t gpa = run->mmio.phys_addr;
	uint32_t len = MIN(run->mmio.len, (uint32_t)sizeof(run->mmio.data));
	if (gpa >= vm->mem_size || vm->mem_size - gpa < len ||
	    vm_watches_page_mode(vm->watches, gpa) == VM_PAGE_NORMAL)
		return false;
	enum vm_watch_verdict verdict = vm_watches_access(vm->watches, gpa, len, run->mmio.is_write, ev);
	if (run->mmio.is_write)
		memcpy(vm->mem + gpa, run->mmio.data, len);
	else
		memcpy(run->mmio.data, vm->mem + gpa, len);
	*hit = verdict == VM_WATCH_HIT;
	return true;
}

/* An emulation failure at linear pc: is it a fetch from a page without a
 * slot (protected against reads)?  Then the vCPU steps that instruction
 * with the page mapped: *gpa_page is the page. */
bool vm_kvm_fetch_blocked(struct vcpu *v, uint64_t pc, uint64_t *gpa_page)
{
	struct vm_kvm *vm = v->vm;
	/* an instruction (at most 15 bytes) may run on into the next page */
	const uint64_t ends[2] = { pc, pc + 14 };
	for (unsigned k = 0; k < 2; k++) {
		uint64_t gpa, contig;
		if (!gva_to_gpa(vm, &v->sregs, ends[k], &gpa, &contig) ||
		    vm_watches_page_mode(vm->watches, gpa) != VM_PAGE_HOLE)
			continue;
		*gpa_page = gpa & ~(VM_WATCH_PAGE - 1);
		/* KVM queued #UD for the failed emulation: not the guest's */
		struct kvm_vcpu_events e;
		if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &e) == 0 &&
		    (e.exception.injected || e.exception.pending) && e.exception.nr == 6) {
			e.exception.injected = 0;
			e.exception.pending = 0;
			e.flags = 0;
			if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &e) < 0)
				g_warning("vCPU %u: KVM_SET_VCPU_EVENTS: %s", v->index, g_strerror(errno));
		}
		return true;
	}
	return false;
}

/* Map (or unmap) the page of a fetch step in the vCPU's spare slot (the
 * last slot ids, one per vCPU, far above the layout's). */
bool vm_kvm_fetch_map(struct vcpu *v, uint64_t gpa_page, bool map)
{
	struct vm_kvm *vm = v->vm;
	struct kvm_slot s = { gpa_page, VM_WATCH_PAGE, 0, false };
	return set_slot(vm, vm->fetch_slot - v->index, &s, !map);
}
