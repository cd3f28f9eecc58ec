/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-x86regs.h - the vmdbg x86-64 register ids (proto/vmdbg.h) mapped onto
 * KVM's vCPU state: struct kvm_regs, kvm_sregs, the XSAVE area and
 * MSR_KERNEL_GS_BASE.  Pure: reads and writes a snapshot, no ioctls.
 */
#ifndef VM_X86REGS_H
#define VM_X86REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* Where XSAVE keeps the extended components (CPUID leaf 0xD, standard
 * format as KVM_GET_XSAVE returns it). */
struct x86_xsave_layout {
	bool avx, avx512;
	uint32_t ymmh_off;  /* component 2: YMM_Hi128 */
	uint32_t k_off;     /* component 5: opmask */
	uint32_t zmmh_off;  /* component 6: ZMM_Hi256 */
	uint32_t hi16_off;  /* component 7: Hi16_ZMM */
};

struct x86_vcpu_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_xsave xsave;
	uint64_t kernel_gs_base;
};

/* Which parts of the snapshot a register lives in. */
enum x86_state_part {
	X86_PART_REGS  = 1u << 0,
	X86_PART_SREGS = 1u << 1,
	X86_PART_XSAVE = 1u << 2,
	X86_PART_MSRS  = 1u << 3,
};

/* Fill ids (if non-NULL) with every id this vCPU model serves; returns the
 * count.  X86_REG_MAX bounds it. */
#define X86_REG_MAX 160
size_t x86_reg_list(const struct x86_xsave_layout *l, uint64_t *ids);
/* The part an id lives in, or 0 if the id is not served. */
unsigned x86_reg_part(const struct x86_xsave_layout *l, uint64_t id);
/* Read/write one served id; out/in hold vmdbg_reg_bytes(id) bytes. */
void x86_reg_read(const struct x86_xsave_layout *l, const struct x86_vcpu_state *st,
		  uint64_t id, uint8_t *out);
void x86_reg_write(const struct x86_xsave_layout *l, struct x86_vcpu_state *st,
		   uint64_t id, const uint8_t *in);

#endif
