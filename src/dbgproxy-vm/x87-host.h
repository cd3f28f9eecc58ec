/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * x87-host.h - running a guest's x87 instruction on the host CPU: the
 * precompiled stubs of x87-stubs.S, and struct kvm_fpu (KVM_GET_FPU,
 * KVM_SET_FPU: the FXSAVE layout spelled out) to and from the 512-byte
 * FXSAVE image the stubs load and save.
 */
#ifndef DBGPROXY_X87_HOST_H
#define DBGPROXY_X87_HOST_H

#include <stdint.h>
#include <string.h>
#include <linux/kvm.h>

/* operand: the memory operand's host copy; guest_fx, host_fx: 16-byte
 * aligned FXSAVE images; rflags: the guest's arithmetic flags in, the
 * host's after the instruction out */
typedef void x87_stub_fn(void *operand, void *guest_fx, void *host_fx, uint64_t *rflags);
extern x87_stub_fn *const x87_reg_stubs[8][64];   /* [opcode - D8][modrm - C0] */
extern x87_stub_fn *const x87_mem_stubs[8][8];    /* [opcode - D8][ModRM.reg] */

#define X87_FX_SIZE 512
#define X87_FX_MXCSR 24
#define X87_FX_ST0 32

/* Only the x87 part goes to the host: MXCSR its reset value and the XMM
 * registers zero (no x87 instruction reads them; the host's stay its own) */
static inline void x87_fpu_to_fx(const struct kvm_fpu *f, uint8_t *fx)
{
	memset(fx, 0, X87_FX_SIZE);
	memcpy(fx + 0, &f->fcw, 2);
	memcpy(fx + 2, &f->fsw, 2);
	fx[4] = f->ftwx;
	memcpy(fx + 6, &f->last_opcode, 2);
	memcpy(fx + 8, &f->last_ip, 8);
	memcpy(fx + 16, &f->last_dp, 8);
	uint32_t mxcsr = 0x1f80;
	memcpy(fx + X87_FX_MXCSR, &mxcsr, 4);
	for (unsigned i = 0; i < 8; i++)
		memcpy(fx + X87_FX_ST0 + 16 * i, f->fpr[i], 10);
}

/* The x87 part back; f's MXCSR and XMM registers are left as they are */
static inline void x87_fx_to_fpu(const uint8_t *fx, struct kvm_fpu *f)
{
	memcpy(&f->fcw, fx + 0, 2);
	memcpy(&f->fsw, fx + 2, 2);
	f->ftwx = fx[4];
	memcpy(&f->last_opcode, fx + 6, 2);
	f->last_opcode &= 0x7ff;
	memcpy(&f->last_ip, fx + 8, 8);
	memcpy(&f->last_dp, fx + 16, 8);
	for (unsigned i = 0; i < 8; i++) {
		memset(f->fpr[i], 0, 16);
		memcpy(f->fpr[i], fx + X87_FX_ST0 + 16 * i, 10);
	}
}

/* The guest's x87 state in its XSAVE image (KVM_GET_XSAVE: the FXSAVE
 * layout first, then the header).  KVM_SET_FPU writes the legacy area but
 * leaves XSTATE_BV alone: while its x87 bit is clear (the state is still
 * the initial one) what it wrote is not the guest's state (measured on
 * kvm_pvm: KVM_GET_FPU reads it back, KVM_GET_XSAVE reports the initial
 * state, as XRSTOR would load it).  So the VM reads and writes the XSAVE
 * image, and sets the bit. */
#define X87_XSTATE_BV 512

static inline void x87_xsave_to_fpu(const struct kvm_xsave *xs, struct kvm_fpu *f)
{
	const uint8_t *r = (const uint8_t *)xs->region;
	uint64_t bv;
	memcpy(&bv, r + X87_XSTATE_BV, 8);
	memset(f, 0, sizeof(*f));
	if (!(bv & 1)) {
		f->fcw = 0x37f;               /* the initial configuration (FNINIT's) */
		return;
	}
	x87_fx_to_fpu(r, f);
}

static inline void x87_fpu_to_xsave(const struct kvm_fpu *f, struct kvm_xsave *xs)
{
	uint8_t *r = (uint8_t *)xs->region;
	memcpy(r + 0, &f->fcw, 2);
	memcpy(r + 2, &f->fsw, 2);
	r[4] = f->ftwx;
	memcpy(r + 6, &f->last_opcode, 2);
	memcpy(r + 8, &f->last_ip, 8);
	memcpy(r + 16, &f->last_dp, 8);
	for (unsigned i = 0; i < 8; i++) {
		memset(r + X87_FX_ST0 + 16 * i, 0, 16);
		memcpy(r + X87_FX_ST0 + 16 * i, f->fpr[i], 10);
	}
	uint64_t bv;
	memcpy(&bv, r + X87_XSTATE_BV, 8);
	bv |= 1;
	memcpy(r + X87_XSTATE_BV, &bv, 8);
}

#endif
