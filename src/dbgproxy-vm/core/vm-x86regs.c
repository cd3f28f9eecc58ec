/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-x86regs.c - vmdbg x86-64 register ids <-> KVM vCPU state.
 *
 * The legacy region of the XSAVE area is the FXSAVE layout (Intel SDM
 * Vol. 1 10.5.1, Table 10-2); the extended components follow CPUID leaf
 * 0xD (Vol. 1 13.4-13.5).  The x87 tag word is kept "abridged" there (one
 * bit per register); the full two-bit tags gdb shows are computed from the
 * register contents as FSAVE would (Vol. 1 8.1.7).
 */
#include "vm-x86regs.h"

#include <string.h>
#include <glib.h>

#include "vmdbg.h"

#define FX_FCW    0
#define FX_FSW    2
#define FX_FTW    4   /* abridged, one byte */
#define FX_FOP    6
#define FX_FIP    8
#define FX_FCS    12
#define FX_FDP    16
#define FX_FDS    20
#define FX_MXCSR  24
#define FX_ST0    32
#define FX_XMM0   160
#define XSAVE_HDR 512 /* XSTATE_BV */

#define XFEATURE_X87      0
#define XFEATURE_SSE      1
#define XFEATURE_YMM      2
#define XFEATURE_OPMASK   5
#define XFEATURE_ZMM_HI   6
#define XFEATURE_HI16_ZMM 7

static unsigned group_of(uint64_t id)
{
	return (unsigned)((id >> VMDBG_X86_GROUP_SHIFT) & 0xff);
}

static unsigned num_of(uint64_t id)
{
	return (unsigned)(id & 0x7fff);
}

size_t x86_reg_list(const struct x86_xsave_layout *l, uint64_t *ids)
{
	size_t n = 0;
#define ADD(x) do { if (ids) ids[n] = (x); n++; } while (0)
	for (unsigned i = 0; i < 16; i++)
		ADD(VMDBG_X86_GPR(i));
	ADD(VMDBG_X86_RIP);
	ADD(VMDBG_X86_RFLAGS);
	for (unsigned i = 0; i < 6; i++)
		ADD(VMDBG_X86_SEL(i));
	ADD(VMDBG_X86_FS_BASE);
	ADD(VMDBG_X86_GS_BASE);
	ADD(VMDBG_X86_K_GS_BASE);
	ADD(VMDBG_X86_CR(0));
	ADD(VMDBG_X86_CR(2));
	ADD(VMDBG_X86_CR(3));
	ADD(VMDBG_X86_CR(4));
	ADD(VMDBG_X86_CR(8));
	ADD(VMDBG_X86_EFER);
	for (unsigned i = 0; i < 8; i++)
		ADD(VMDBG_X86_ST(i));
	ADD(VMDBG_X86_FCTRL);
	ADD(VMDBG_X86_FSTAT);
	ADD(VMDBG_X86_FTAG);
	ADD(VMDBG_X86_FISEG);
	ADD(VMDBG_X86_FIOFF);
	ADD(VMDBG_X86_FOSEG);
	ADD(VMDBG_X86_FOOFF);
	ADD(VMDBG_X86_FOP);
	for (unsigned i = 0; i < 16; i++)
		ADD(VMDBG_X86_XMM(i));
	ADD(VMDBG_X86_MXCSR);
	if (l->avx)
		for (unsigned i = 0; i < 16; i++)
			ADD(VMDBG_X86_YMMH(i));
	if (l->avx512) {
		for (unsigned i = 0; i < 16; i++)
			ADD(VMDBG_X86_ZMMH(i));
		for (unsigned i = 16; i < 32; i++)
			ADD(VMDBG_X86_ZMM(i));
		for (unsigned i = 0; i < 8; i++)
			ADD(VMDBG_X86_K(i));
	}
#undef ADD
	return n;
}

unsigned x86_reg_part(const struct x86_xsave_layout *l, uint64_t id)
{
	uint64_t ids[X86_REG_MAX];
	size_t n = x86_reg_list(l, ids);
	for (size_t i = 0; i < n; i++) {
		if (ids[i] != id)
			continue;
		switch (group_of(id)) {
		case VMDBG_X86_G_GPR:
			return X86_PART_REGS;
		case VMDBG_X86_G_SEG:
			return id == VMDBG_X86_K_GS_BASE ? X86_PART_MSRS : X86_PART_SREGS;
		case VMDBG_X86_G_CR:
			return X86_PART_SREGS;
		default:
			return X86_PART_XSAVE;
		}
	}
	return 0;
}

static uint64_t *gpr_slot(struct kvm_regs *r, unsigned n)
{
	uint64_t *const slots[] = {
		(uint64_t *)&r->rax, (uint64_t *)&r->rbx, (uint64_t *)&r->rcx, (uint64_t *)&r->rdx,
		(uint64_t *)&r->rsi, (uint64_t *)&r->rdi, (uint64_t *)&r->rbp, (uint64_t *)&r->rsp,
		(uint64_t *)&r->r8,  (uint64_t *)&r->r9,  (uint64_t *)&r->r10, (uint64_t *)&r->r11,
		(uint64_t *)&r->r12, (uint64_t *)&r->r13, (uint64_t *)&r->r14, (uint64_t *)&r->r15,
		(uint64_t *)&r->rip,
	};
	return slots[n];
}

static struct kvm_segment *seg_slot(struct kvm_sregs *s, unsigned n)
{
	struct kvm_segment *const slots[] = { &s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs };
	return slots[n];
}

static uint64_t *cr_slot(struct kvm_sregs *s, unsigned n)
{
	switch (n) {
	case 0: return (uint64_t *)&s->cr0;
	case 2: return (uint64_t *)&s->cr2;
	case 3: return (uint64_t *)&s->cr3;
	case 4: return (uint64_t *)&s->cr4;
	case 8: return (uint64_t *)&s->cr8;
	default: return (uint64_t *)&s->efer;
	}
}

/* Offset in the XSAVE area of an XSAVE-held id, and the component it needs
 * marked present in XSTATE_BV when written. */
static uint32_t xsave_offset(const struct x86_xsave_layout *l, uint64_t id, unsigned *feature)
{
	unsigned n = num_of(id);
	switch (group_of(id)) {
	case VMDBG_X86_G_X87:
		*feature = XFEATURE_X87;
		if (id & VMDBG_X86_F80)
			return FX_ST0 + 16 * (n & 7);
		switch (n) {
		case 8: return FX_FCW;
		case 9: return FX_FSW;
		case 11: return FX_FCS;
		case 12: return FX_FIP;
		case 13: return FX_FDS;
		case 14: return FX_FDP;
		case 15: return FX_FOP;
		default: return FX_FTW; /* ftag: handled by the caller */
		}
	case VMDBG_X86_G_SSE:
		*feature = XFEATURE_SSE;
		return n == 16 ? FX_MXCSR : FX_XMM0 + 16 * n;
	case VMDBG_X86_G_AVX:
		*feature = XFEATURE_YMM;
		return l->ymmh_off + 16 * n;
	default: /* AVX-512 */
		if (n < 16) {
			*feature = XFEATURE_ZMM_HI;
			return l->zmmh_off + 32 * n;
		}
		if (n < 32) {
			*feature = XFEATURE_HI16_ZMM;
			return l->hi16_off + 64 * (n - 16);
		}
		*feature = XFEATURE_OPMASK;
		return l->k_off + 8 * (n - 32);
	}
}

/* Two-bit x87 tag of an 80-bit register: 0 valid, 1 zero, 2 special. */
static unsigned x87_tag_of(const uint8_t *v)
{
	uint64_t mant;
	uint16_t sexp;
	memcpy(&mant, v, 8);
	memcpy(&sexp, v + 8, 2);
	unsigned exp = sexp & 0x7fff;
	if (exp == 0x7fff)
		return 2;
	if (exp == 0)
		return mant == 0 ? 1 : 2;
	return (mant >> 63) ? 0 : 2;
}

static uint16_t full_tag_word(const uint8_t *fx)
{
	uint16_t fsw;
	memcpy(&fsw, fx + FX_FSW, 2);
	unsigned top = (fsw >> 11) & 7;
	uint8_t abridged = fx[FX_FTW];
	uint16_t tag = 0;
	for (unsigned phys = 0; phys < 8; phys++) {
		unsigned t = 3; /* empty */
		if (abridged & (1u << phys))
			t = x87_tag_of(fx + FX_ST0 + 16 * ((phys - top) & 7));
		tag |= (uint16_t)(t << (2 * phys));
	}
	return tag;
}

void x86_reg_read(const struct x86_xsave_layout *l, const struct x86_vcpu_state *st,
		  uint64_t id, uint8_t *out)
{
	uint32_t size = vmdbg_reg_bytes(id);
	unsigned n = num_of(id);
	struct x86_vcpu_state *s = (struct x86_vcpu_state *)st; /* slot helpers are shared with write */
	const uint8_t *xs = (const uint8_t *)st->xsave.region;
	uint64_t v = 0;

	memset(out, 0, size);
	switch (group_of(id)) {
	case VMDBG_X86_G_GPR:
		v = n == 17 ? st->regs.rflags : *gpr_slot(&s->regs, n);
		break;
	case VMDBG_X86_G_SEG:
		if (n < 6)
			v = seg_slot(&s->sregs, n)->selector;
		else if (n == 6)
			v = st->sregs.fs.base;
		else if (n == 7)
			v = st->sregs.gs.base;
		else
			v = st->kernel_gs_base;
		break;
	case VMDBG_X86_G_CR:
		v = *cr_slot(&s->sregs, n);
		break;
	default: {
		if (id == VMDBG_X86_FTAG) {
			v = full_tag_word(xs);
			break;
		}
		unsigned feature;
		uint32_t off = xsave_offset(l, id, &feature);
		uint32_t len = (id & VMDBG_X86_F80) ? 10 : size;
		memcpy(out, xs + off, len);
		if (id == VMDBG_X86_FOP)
			out[1] &= 0x07; /* 11-bit opcode */
		return;
	}
	}
	memcpy(out, &v, size); /* little-endian host */
}

static void mark_present(uint8_t *xs, unsigned feature)
{
	uint64_t bv;
	memcpy(&bv, xs + XSAVE_HDR, 8);
	bv |= 1ull << feature;
	memcpy(xs + XSAVE_HDR, &bv, 8);
}

void x86_reg_write(const struct x86_xsave_layout *l, struct x86_vcpu_state *st,
		   uint64_t id, const uint8_t *in)
{
	uint32_t size = vmdbg_reg_bytes(id);
	unsigned n = num_of(id);
	uint8_t *xs = (uint8_t *)st->xsave.region;
	uint64_t v = 0;
	memcpy(&v, in, MIN(size, 8u));

	switch (group_of(id)) {
	case VMDBG_X86_G_GPR:
		if (n == 17)
			st->regs.rflags = (st->regs.rflags & ~0xffffffffull) | (uint32_t)v;
		else
			*gpr_slot(&st->regs, n) = v;
		return;
	case VMDBG_X86_G_SEG:
		if (n < 6)
			seg_slot(&st->sregs, n)->selector = (uint16_t)v;
		else if (n == 6)
			st->sregs.fs.base = v;
		else if (n == 7)
			st->sregs.gs.base = v;
		else
			st->kernel_gs_base = v;
		return;
	case VMDBG_X86_G_CR:
		*cr_slot(&st->sregs, n) = v;
		return;
	default:
		break;
	}
	if (id == VMDBG_X86_FTAG) {
		/* FXSAVE keeps only "empty or not" per physical register */
		uint8_t abridged = 0;
		for (unsigned phys = 0; phys < 8; phys++)
			if (((v >> (2 * phys)) & 3) != 3)
				abridged |= (uint8_t)(1u << phys);
		xs[FX_FTW] = abridged;
		mark_present(xs, XFEATURE_X87);
		return;
	}
	unsigned feature;
	uint32_t off = xsave_offset(l, id, &feature);
	uint32_t len = (id & VMDBG_X86_F80) ? 10 : size;
	memcpy(xs + off, in, len);
	if (id == VMDBG_X86_FOP)
		xs[off + 1] &= 0x07;
	mark_present(xs, feature);
	/* MXCSR lives in the legacy area but belongs to SSE and AVX state */
	if (id == VMDBG_X86_MXCSR && l->avx)
		mark_present(xs, XFEATURE_YMM);
}
