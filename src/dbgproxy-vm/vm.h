/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm.h - the machine behind dbgproxy-vm, seen by the socket server only
 * through these calls.  Two back ends implement them: a KVM x86-64 VM with
 * one thread per vCPU (vm-kvm.c) and a simulated AArch64 machine with the
 * Arm debug architecture (vm-a64.c).  Every call is made from the control
 * thread; each fails with a GError in VM_ERROR whose code is an enum
 * vmdbg_err, so the server can answer with an ERROR frame.
 */
#ifndef VM_H
#define VM_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "vmdbg-glib.h"

#define VM_ERROR (vm_error_quark())
GQuark vm_error_quark(void);

struct vm_config {
	uint32_t arch;         /* enum vmdbg_arch: X86_64 = KVM, AARCH64 = simulated */
	const char *kernel;    /* x86-64: multiboot (v1, v2) or Linux bzImage, maybe gzipped;
	                          AArch64: ELF64 */
	const char *cmdline;   /* x86-64 only */
	const char *initrd;    /* x86-64: Linux initrd / multiboot module 0 (NULL: none) */
	unsigned boot_protocol; /* x86-64: enum boot_protocol (vm-boot.h); 0 = detect */
	const char *vga_file;  /* x86-64: mirror the VGA text screen to this file (NULL: no) */
	bool ap_entry;         /* x86-64: start APs at the entry point (EAX=VMDBG_AP_MAGIC,
	                          EBX=index) instead of waiting for INIT/SIPI */
	int serial_in_fd;      /* x86-64: where COM1's receiver reads from (-1: nowhere) */
	unsigned nr_vcpus;
	uint64_t mem_mib;
	bool start_paused;     /* vCPUs wait for the first RESUME */
	int serial_fd;         /* where guest serial output goes */
	unsigned hw_bps, hw_wps; /* AArch64: debug register pairs (1..16) */
	unsigned sve_vl;       /* AArch64: SVE vector length in bits (0 = no SVE) */
	const unsigned *sve_vls; /* AArch64: nr_vcpus lengths, one per vCPU (NULL: sve_vl for all) */
	bool no_conditions;    /* AArch64: no HELLO feature CONDITIONS (the debugger evaluates) */
	bool dead_watchpoints; /* AArch64: watchpoints never fire, as on nested kvm_pvm */
	bool dead_breakpoints; /* AArch64: nor breakpoints, as in QEMU's emulated SVM */
};

struct vm;

/* What a back end provides; the vm_* wrappers below document each call. */
struct vm_ops {
	void (*destroy)(struct vm *vm);
	int (*notify_fd)(struct vm *vm);
	bool (*pop_stop)(struct vm *vm, struct vmdbg_stopped *out);
	void (*hello)(struct vm *vm, struct vmdbg_hello *out);
	bool (*reg_list)(struct vm *vm, uint32_t vcpu, GArray *ids, GError **error);
	bool (*get_regs)(struct vm *vm, uint32_t vcpu, const uint64_t *ids, uint32_t count,
			 GByteArray *values, GError **error);
	bool (*set_regs)(struct vm *vm, const struct vmdbg_reg_vals *vals, GError **error);
	long (*read_mem)(struct vm *vm, uint32_t vcpu, uint64_t addr, uint32_t len, uint8_t *out,
			 GError **error);
	bool (*write_mem)(struct vm *vm, uint32_t vcpu, uint64_t addr, const uint8_t *data,
			  uint32_t len, GError **error);
	bool (*set_guest_debug)(struct vm *vm, const struct vmdbg_guest_debug *g, GError **error);
	bool (*sw_bp_insert)(struct vm *vm, const struct vmdbg_sw_bp *bp, GError **error);
	bool (*sw_bp_remove)(struct vm *vm, const struct vmdbg_sw_bp *bp, GError **error);
	bool (*pause)(struct vm *vm, GError **error);
	bool (*resume)(struct vm *vm, const struct vmdbg_resume *r, GError **error);
	void (*detach)(struct vm *vm);
	/* NULL: the back end has no conditions (no HELLO feature CONDITIONS) */
	bool (*point_cond)(struct vm *vm, const struct vmdbg_point_cond *c, GError **error);
	/* breakpoint commands' output, in order: false when there is none
	 * (NULL: the back end has none) */
	bool (*pop_output)(struct vm *vm, uint32_t *vcpu, GString *text);
	/* NULL: guest RAM is not shared (no HELLO feature SHARED_MEM) */
	void (*mem_map)(struct vm *vm, struct vmdbg_mem_map *m, struct vmdbg_mem_region *regions,
			int *fd);
	/* NULL: no page-protection watches (no HELLO feature PAGE_WATCH) */
	bool (*watch)(struct vm *vm, bool insert, const struct vmdbg_watch *w, GError **error);
	uint32_t (*watch_list)(struct vm *vm, struct vmdbg_watch_info *out);
};

/* Every back end's machine starts with this. */
struct vm {
	const struct vm_ops *ops;
};

/* The back end for cfg->arch. */
struct vm *vm_create(const struct vm_config *cfg, GError **error);
struct vm *vm_kvm_create(const struct vm_config *cfg, GError **error);
struct vm *vm_a64_create(const struct vm_config *cfg, GError **error);

/* A RANGE_STEP's range: the vCPU steps while its pc is in [start, end). */
struct vm_step_range {
	uint64_t start, end;
};

/* For back ends: is index one of nr_vcpus (else EINVAL)?  And the action of
 * every vCPU (actions[nr_vcpus]) that a RESUME asks for, with the range of
 * each RANGE_STEP in ranges[vcpu] (ranges NULL: a back end without range
 * stepping, for which RANGE_STEP is EINVAL). */
bool vm_check_vcpu(unsigned nr_vcpus, uint32_t index, GError **error);
bool vm_resume_actions(unsigned nr_vcpus, const struct vmdbg_resume *r, uint32_t *actions,
		       struct vm_step_range *ranges, GError **error);

/* Stop every vCPU and release the VM (NULL is ignored). */
static inline void vm_destroy(struct vm *vm)
{
	if (vm)
		vm->ops->destroy(vm);
}

/* The control thread is woken through notify_fd (an eventfd: readable when
 * stop events are queued); vm_pop_stop() takes them in order. */
static inline int vm_notify_fd(struct vm *vm)
{
	return vm->ops->notify_fd(vm);
}
static inline bool vm_pop_stop(struct vm *vm, struct vmdbg_stopped *out)
{
	return vm->ops->pop_stop(vm, out);
}

/* Output breakpoint commands printed (on notify_fd, like stops). */
static inline bool vm_pop_output(struct vm *vm, uint32_t *vcpu, GString *text)
{
	return vm->ops->pop_output && vm->ops->pop_output(vm, vcpu, text);
}

static inline void vm_hello(struct vm *vm, struct vmdbg_hello *out)
{
	vm->ops->hello(vm, out);
}
static inline bool vm_reg_list(struct vm *vm, uint32_t vcpu, GArray *ids, GError **error)
{
	return vm->ops->reg_list(vm, vcpu, ids, error);
}
/* values receives the concatenated values of ids, in order. */
static inline bool vm_get_regs(struct vm *vm, uint32_t vcpu, const uint64_t *ids, uint32_t count,
			       GByteArray *values, GError **error)
{
	return vm->ops->get_regs(vm, vcpu, ids, count, values, error);
}
/* Whole or nothing. */
static inline bool vm_set_regs(struct vm *vm, const struct vmdbg_reg_vals *vals, GError **error)
{
	return vm->ops->set_regs(vm, vals, error);
}
/* Returns the bytes read (>= 1), or -1 with EFAULT when the first byte is unmapped. */
static inline long vm_read_mem(struct vm *vm, uint32_t vcpu, uint64_t addr, uint32_t len,
			       uint8_t *out, GError **error)
{
	return vm->ops->read_mem(vm, vcpu, addr, len, out, error);
}
static inline bool vm_write_mem(struct vm *vm, uint32_t vcpu, uint64_t addr, const uint8_t *data,
				uint32_t len, GError **error)
{
	return vm->ops->write_mem(vm, vcpu, addr, data, len, error);
}
static inline bool vm_set_guest_debug(struct vm *vm, const struct vmdbg_guest_debug *g,
				      GError **error)
{
	return vm->ops->set_guest_debug(vm, g, error);
}
static inline bool vm_sw_bp_insert(struct vm *vm, const struct vmdbg_sw_bp *bp, GError **error)
{
	return vm->ops->sw_bp_insert(vm, bp, error);
}
static inline bool vm_sw_bp_remove(struct vm *vm, const struct vmdbg_sw_bp *bp, GError **error)
{
	return vm->ops->sw_bp_remove(vm, bp, error);
}
static inline bool vm_pause(struct vm *vm, GError **error)
{
	return vm->ops->pause(vm, error);
}
static inline bool vm_resume(struct vm *vm, const struct vmdbg_resume *r, GError **error)
{
	return vm->ops->resume(vm, r, error);
}
/* The conditions of the breakpoint at c->addr, evaluated by the vCPU that
 * hits it: all false, and the hit is stepped over unseen. */
static inline bool vm_point_cond(struct vm *vm, const struct vmdbg_point_cond *c, GError **error)
{
	if (!vm->ops->point_cond) {
		g_set_error(error, VM_ERROR, VMDBG_E_UNKNOWN,
			    "this VM does not evaluate breakpoint conditions");
		return false;
	}
	return vm->ops->point_cond(vm, c, error);
}

/* Guest RAM as a file the client maps (MEM_MAP): the map, its regions
 * (at most VMDBG_MAX_MEM_REGIONS) and the file, which stays the VM's. */
static inline bool vm_mem_map(struct vm *vm, struct vmdbg_mem_map *m,
			      struct vmdbg_mem_region *regions, int *fd, GError **error)
{
	if (!vm->ops->mem_map) {
		g_set_error(error, VM_ERROR, VMDBG_E_UNKNOWN, "this VM does not share its memory");
		return false;
	}
	vm->ops->mem_map(vm, m, regions, fd);
	return true;
}

/* Insert or remove a page-protection watch (all or nothing). */
static inline bool vm_watch(struct vm *vm, bool insert, const struct vmdbg_watch *w,
			    GError **error)
{
	if (!vm->ops->watch) {
		g_set_error(error, VM_ERROR, VMDBG_E_UNKNOWN, "this VM has no page-protection watches");
		return false;
	}
	return vm->ops->watch(vm, insert, w, error);
}
/* Every watch (out: VMDBG_MAX_WATCHES entries). */
static inline bool vm_watch_list(struct vm *vm, struct vmdbg_watch_info *out, uint32_t *count,
				 GError **error)
{
	if (!vm->ops->watch_list) {
		g_set_error(error, VM_ERROR, VMDBG_E_UNKNOWN, "this VM has no page-protection watches");
		return false;
	}
	*count = vm->ops->watch_list(vm, out);
	return true;
}

/* Restore patched bytes, clear guest debug, resume every vCPU (and drop
 * every condition). */
static inline void vm_detach(struct vm *vm)
{
	vm->ops->detach(vm);
}

#endif
