/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-kvm-emul.c - the instructions some KVM hosts fail to emulate
 * (KVM_EXIT_INTERNAL_ERROR, KVM_INTERNAL_ERROR_EMULATION), completed by
 * the VMM as the CPU would have executed them: a guest's own int3 (#BP to
 * its handler), FWAIT, and the x87 control instructions a kernel's FPU
 * set-up runs (FNINIT, FNCLEX, FNSTSW, FNSTCW, FLDCW, FNOP).  kvm_pvm
 * fails all of them (every x87 instruction, in fact: those that compute
 * are not done here, and such a guest stops at the first); GNU Mach's
 * init_fpu needs exactly these.
 */
#include "vm-kvm-priv.h"
#include "x87-decode.h"
#include "x87-host.h"

#include <pthread.h>

/* Raise a fault (#NM, #MF: rip stays at the instruction) or, with rip
 * already moved past it, a trap in the guest. */
static bool inject_exception(struct vcpu *v, uint8_t nr)
{
	struct kvm_vcpu_events events;
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &events) < 0)
		return false;
	events.exception.injected = 1;
	events.exception.nr = nr;
	events.exception.has_error_code = 0;
	events.exception.error_code = 0;
	events.flags = 0;                   /* leave NMI, SIPI and shadow state alone */
	return ioctl(v->fd, KVM_SET_VCPU_EVENTS, &events) == 0;
}

/* The same instruction failing over and over with no other exit between
 * means the host cannot run past it even so: give up (the vCPU stops with
 * the internal error). */
#define EMUL_REPEAT_MAX 100000

static bool repeats_too_often(struct vcpu *v, uint64_t pc)
{
	v->guest_bp_count = v->guest_bp_pc == pc ? v->guest_bp_count + 1 : 1;
	v->guest_bp_pc = pc;
	return v->guest_bp_count > EMUL_REPEAT_MAX;
}

/* kvm_pvm ends KVM_RUN with an emulation failure at a guest int3 instead
 * of delivering #BP.  When the bytes at pc are an int3 we did not patch
 * (0xCC, or CD 03), deliver it as the CPU would: #BP is a trap, so the
 * handler sees the address after the instruction.  rip is moved past it
 * and #BP injected (KVM_SET_VCPU_EVENTS): kvm_pvm delivers an injected
 * exception with the current rip as the return address.  VMX and SVM
 * compute a soft exception's return address themselves (from the exit's
 * instruction length, or by decoding the instruction at rip), so this
 * would be wrong there — and there a guest int3 never fails this way: on
 * any other host, false, and the vCPU stops with the internal error.  The
 * same int3 failing over and over with no other exit between means the
 * host cannot deliver it either: false too. */
bool vm_kvm_deliver_guest_int3(struct vcpu *v, struct kvm_regs *regs, uint64_t pc)
{
	struct vm_kvm *vm = v->vm;
	uint64_t gpa, contig;
	if (vm->int3 != KVM_INT3_INTERNAL_ERROR || !gva_to_gpa(vm, &v->sregs, pc, &gpa, &contig))
		return false;
	unsigned len = 0;
	if (vm->mem[gpa] == 0xcc)
		len = 1;
	else if (vm->mem[gpa] == 0xcd && contig >= 2 && gpa + 1 < vm->mem_size &&
		 vm->mem[gpa + 1] == 0x03)
		len = 2;
	if (!len)
		return false;
	if (repeats_too_often(v, pc))
		return false;
	regs->rip += len;
	if (ioctl(v->fd, KVM_SET_REGS, regs) < 0)
		return false;
	if (!inject_exception(v, 3)) {      /* #BP */
		regs->rip -= len;
		ioctl(v->fd, KVM_SET_REGS, regs);
		return false;
	}
	g_debug("vCPU %u: the guest's own int3 at 0x%" G_GINT64_MODIFIER "x goes to its handler",
		v->index, pc);
	return true;
}


/* ---- x87 control instructions ------------------------------------------------ */

#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_NE (1u << 5)
#define FSW_CLEX 0x80ffu      /* FNCLEX: PE UE OE ZE DE IE, SF, ES, B */

/* An instruction at pc, decoded as far as these need */
struct insn {
	uint8_t b[15];
	unsigned n;               /* bytes readable at pc */
	unsigned len;             /* the instruction's length, once decoded */
	unsigned op;              /* offset of the opcode */
	bool long_mode, addr32, rex_b, rex_x;
	int seg;                  /* segment override: 0 ES ... 5 GS, -1 none */
	uint8_t modrm;
	uint64_t ea;              /* memory operand's linear address */
};

static unsigned fetch(struct vcpu *v, uint64_t pc, uint8_t *out, unsigned max)
{
	struct vm_kvm *vm = v->vm;
	unsigned n = 0;
	while (n < max) {
		uint64_t gpa, contig;
		if (!gva_to_gpa(vm, &v->sregs, pc + n, &gpa, &contig))
			break;
		for (; n < max && contig > 0 && gpa < vm->mem_size; n++, contig--)
			out[n] = vm->mem[gpa++];
		if (contig > 0)
			break;
	}
	return n;
}

static const struct kvm_segment *segment(const struct kvm_sregs *s, int seg)
{
	switch (seg) {
	case 0: return &s->es;
	case 1: return &s->cs;
	case 2: return &s->ss;
	case 4: return &s->fs;
	case 5: return &s->gs;
	default: return &s->ds;
	}
}

/* Prefixes and the opcode byte's offset; false on a mode or prefix these
 * instructions do not come in (16-bit code, a lock). */
static bool decode_prefixes(struct vcpu *v, struct insn *in)
{
	const struct kvm_sregs *s = &v->sregs;
	in->long_mode = s->cs.l && (s->efer & (1u << 10));
	if (!in->long_mode && !s->cs.db)
		return false;
	in->addr32 = !in->long_mode;
	in->seg = -1;
	unsigned i = 0;
	for (; i < in->n; i++) {
		uint8_t c = in->b[i];
		if (c == 0x66 || c == 0xf2 || c == 0xf3)
			continue;
		if (c == 0x67) {
			in->addr32 = !in->addr32 || !in->long_mode;
			continue;
		}
		static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
		const uint8_t *sp = memchr(segs, c, sizeof(segs));
		if (sp) {
			in->seg = (int)(sp - segs);
			continue;
		}
		if (in->long_mode && (c & 0xf0) == 0x40) {
			in->rex_b = c & 1;
			in->rex_x = (c >> 1) & 1;
			continue;  /* (a REX not right before the opcode is ignored by the CPU) */
		}
		break;
	}
	in->op = i;
	return i + 1 < in->n || (i < in->n && in->b[i] == 0x9b);
}

static uint64_t gpr(const struct kvm_regs *r, unsigned n)
{
	const uint64_t v[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
				 r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	return v[n & 15];
}

/* The ModRM after the opcode: a memory operand's linear address in in->ea
 * and the length in in->len.  False for a register form or bytes missing. */
static bool decode_mem(struct vcpu *v, const struct kvm_regs *r, struct insn *in)
{
	unsigned i = in->op + 1;
	if (i >= in->n)
		return false;
	uint8_t m = in->modrm = in->b[i++];
	unsigned mod = m >> 6, rm = m & 7;
	if (mod == 3)
		return false;
	uint64_t ea = 0;
	bool rip_rel = false;
	int base_reg = -1;                 /* rsp or rbp as base: SS by default */
	unsigned dl = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (rm == 4) {                     /* SIB */
		if (i >= in->n)
			return false;
		uint8_t sib = in->b[i++];
		unsigned base = sib & 7, index = ((sib >> 3) & 7) | (in->rex_x << 3);
		if (index != 4)
			ea += gpr(r, index) << (sib >> 6);
		if (base == 5 && mod == 0) {
			dl = 4;                    /* disp32, no base */
		} else {
			base_reg = (int)base;
			ea += gpr(r, base | (in->rex_b << 3));
		}
	} else if (rm == 5 && mod == 0) {  /* disp32: rip-relative in 64-bit mode */
		rip_rel = in->long_mode;
		dl = 4;
	} else {
		base_reg = (int)rm;
		ea += gpr(r, rm | (in->rex_b << 3));
	}
	int64_t disp = 0;
	if (i + dl > in->n)
		return false;
	if (dl == 1)
		disp = (int8_t)in->b[i];
	else if (dl == 4)
		disp = (int32_t)((uint32_t)in->b[i] | (uint32_t)in->b[i + 1] << 8 |
				 (uint32_t)in->b[i + 2] << 16 | (uint32_t)in->b[i + 3] << 24);
	i += dl;
	in->len = i;
	if (rip_rel)
		ea = r->rip + in->len;
	ea += (uint64_t)disp;
	if (in->addr32)
		ea &= 0xffffffffu;
	/* segment bases: FS and GS in 64-bit mode, every one outside it */
	int seg = in->seg >= 0 ? in->seg : (base_reg == 4 || base_reg == 5) ? 2 : 3;
	if (!in->long_mode || seg >= 4)
		ea += segment(&v->sregs, seg)->base;
	if (!in->long_mode)
		ea &= 0xffffffffu;
	in->ea = ea;
	return true;
}

/* 2 bytes at a linear address: both in guest RAM */
static bool mem16(struct vcpu *v, uint64_t la, uint16_t *val, bool write)
{
	struct vm_kvm *vm = v->vm;
	uint64_t gpa[2], contig;
	for (unsigned k = 0; k < 2; k++)
		if (!gva_to_gpa(vm, &v->sregs, la + k, &gpa[k], &contig))
			return false;
	if (write) {
		vm->mem[gpa[0]] = (uint8_t)*val;
		vm->mem[gpa[1]] = (uint8_t)(*val >> 8);
	} else {
		*val = (uint16_t)(vm->mem[gpa[0]] | vm->mem[gpa[1]] << 8);
	}
	return true;
}

/* The guest's x87 state: from its XSAVE image (see x87-host.h), or
 * KVM_GET_FPU/KVM_SET_FPU where the host has no XSAVE */
struct fpu_state {
	struct kvm_fpu f;
	bool have_xs;
	struct kvm_xsave xs;
};

static bool fpu_get(struct vcpu *v, struct fpu_state *st)
{
	st->have_xs = ioctl(v->fd, KVM_GET_XSAVE, &st->xs) == 0;
	if (!st->have_xs)
		return ioctl(v->fd, KVM_GET_FPU, &st->f) == 0;
	x87_xsave_to_fpu(&st->xs, &st->f);
	return true;
}

static bool fpu_set(struct vcpu *v, struct fpu_state *st)
{
	if (!st->have_xs)
		return ioctl(v->fd, KVM_SET_FPU, &st->f) == 0;
	x87_fpu_to_xsave(&st->f, &st->xs);
	return ioctl(v->fd, KVM_SET_XSAVE, &st->xs) == 0;
}

/* A pending unmasked exception: an exception flag the control word leaves
 * unmasked (the error summary). */
static bool x87_pending(const struct kvm_fpu *f)
{
	return (f->fsw & ~f->fcw & 0x3f) != 0;
}

/* #MF for a waiting instruction with an exception pending (CR0.NE; the
 * legacy FERR#/IRQ13 route is not modelled: such a vCPU stops). */
static enum emul_result raise_pending(struct vcpu *v)
{
	if (!(v->sregs.cr0 & CR0_NE))
		return EMUL_FAILED;
	return inject_exception(v, 16) ? EMUL_FAULTED : EMUL_FAILED;
}

/* ---- the other x87 instructions, run on the host ------------------------------ */

#define RFLAGS_ARITH 0x8d5ull        /* CF PF AF ZF SF OF */

/* The memory operand's offset in its segment and linear address */
static void x87_ea(const struct vcpu *v, const struct kvm_regs *r, const struct x87_insn *in,
		   uint64_t *off, uint64_t *la)
{
	unsigned mod = in->modrm >> 6, rm = in->modrm & 7;
	uint64_t ea = 0;
	int base_reg = -1;
	bool rip_rel = false;
	if (in->has_sib) {
		unsigned base = in->sib & 7, index = ((in->sib >> 3) & 7) | ((unsigned)in->rex_x << 3);
		if (index != 4)
			ea += gpr(r, index) << (in->sib >> 6);
		if (!(base == 5 && mod == 0)) {
			base_reg = (int)base;
			ea += gpr(r, base | ((unsigned)in->rex_b << 3));
		}
	} else if (rm == 5 && mod == 0) {
		rip_rel = in->long_mode;
	} else {
		base_reg = (int)rm;
		ea += gpr(r, rm | ((unsigned)in->rex_b << 3));
	}
	if (rip_rel)
		ea = r->rip + in->len;
	ea += (uint64_t)in->disp;
	if (in->addr32)
		ea &= 0xffffffffu;
	*off = ea;
	int seg = in->seg >= 0 ? in->seg : (base_reg == 4 || base_reg == 5) ? 2 : 3;
	if (!in->long_mode || seg >= 4)
		ea += segment(&v->sregs, seg)->base;
	if (!in->long_mode)
		ea &= 0xffffffffu;
	*la = ea;
}

/* Copy len bytes between guest linear address la and buf, page by page;
 * false (nothing written) unless every byte is in guest RAM */
static bool guest_copy(struct vcpu *v, uint64_t la, uint8_t *buf, unsigned len, bool write)
{
	struct vm_kvm *vm = v->vm;
	uint64_t gpa[128];
	unsigned run[128], nrun = 0;
	for (unsigned k = 0; k < len;) {
		uint64_t g, contig;
		if (nrun == G_N_ELEMENTS(gpa) || !gva_to_gpa(vm, &v->sregs, la + k, &g, &contig) ||
		    contig == 0 || g >= vm->mem_size)
			return false;
		uint64_t c = MIN(MIN(contig, (uint64_t)(len - k)), vm->mem_size - g);
		gpa[nrun] = g;
		run[nrun++] = (unsigned)c;
		k += (unsigned)c;
	}
	for (unsigned j = 0, k = 0; j < nrun; k += run[j], j++) {
		if (write)
			memcpy(vm->mem + gpa[j], buf + k, run[j]);
		else
			memcpy(buf + k, vm->mem + gpa[j], run[j]);
	}
	return true;
}

static pthread_once_t host_checked = PTHREAD_ONCE_INIT;

static void check_host(void)
{
	__builtin_cpu_init();
	x87_decode_set_fisttp(__builtin_cpu_supports("sse3"));
}

/* Run the x87 instruction at pc on the host CPU with the guest's state f:
 * only encodings x87-decode.c whitelists; #NM and a pending #MF first, as
 * the CPU checks them; the memory operand copied in and (written) out. */
static enum emul_result complete_on_host(struct vcpu *v, struct kvm_regs *regs, uint64_t pc,
					 const uint8_t *b, unsigned n, struct fpu_state *st)
{
	pthread_once(&host_checked, check_host);
	const struct kvm_sregs *s = &v->sregs;
	struct kvm_fpu *f = &st->f;
	struct x87_insn in;
	if (!x87_decode(b, n, s->cs.l && (s->efer & (1u << 10)), s->cs.db, &in))
		return EMUL_FAILED;
	unsigned op = in.opcode & 7;
	if (!in.mem && op == 7 && in.modrm == 0xe0)
		return EMUL_FAILED;      /* FNSTSW AX: done above, never with a stub */
	/* a fault raised over and over with no other exit between: the host
	 * cannot deliver it either (a completed one is progress) */
	bool nm = s->cr0 & (CR0_EM | CR0_TS), mf = !(in.flags & X87_NOWAIT) && x87_pending(f);
	if ((nm || mf) && repeats_too_often(v, pc))
		return EMUL_FAILED;
	if (nm)
		return inject_exception(v, 7) ? EMUL_FAULTED : EMUL_FAILED;   /* #NM */
	if (mf)
		return raise_pending(v);
	_Alignas(16) uint8_t gfx[X87_FX_SIZE], hfx[X87_FX_SIZE], mem[128];
	memset(mem, 0, sizeof(mem));
	uint64_t off = 0, la = 0;
	if (in.mem) {
		x87_ea(v, regs, &in, &off, &la);
		if (!guest_copy(v, la, mem, in.mem_size, false))
			return EMUL_FAILED;
	}
	x87_fpu_to_fx(f, gfx);
	uint64_t flags = regs->rflags;
	x87_stub_fn *stub = in.mem ? x87_mem_stubs[op][(in.modrm >> 3) & 7]
				   : x87_reg_stubs[op][in.modrm - 0xc0];
	stub(mem, gfx, hfx, &flags);
	if (in.mem && (in.flags & X87_WRITE) && !guest_copy(v, la, mem, in.mem_size, true))
		return EMUL_FAILED;      /* (checked readable above: not reached) */
	struct kvm_fpu out = *f;
	x87_fx_to_fpu(gfx, &out);
	/* the last instruction's pointers: the guest's, not the stub's (the
	 * control instructions leave them; FLDENV/FRSTOR load them) */
	unsigned reg = (in.modrm >> 3) & 7;
	bool control = in.mem && ((op == 1 && reg >= 4) || (op == 5 && (reg == 4 || reg == 6)));
	if (!control && !(!in.mem && op == 3 && (in.modrm == 0xe2 || in.modrm == 0xe3))) {
		out.last_ip = regs->rip;
		out.last_opcode = (uint16_t)(op << 8 | in.modrm);
		if (in.mem)
			out.last_dp = off;
	}
	*f = out;
	if (!fpu_set(v, st))
		return EMUL_FAILED;
	regs->rflags = (regs->rflags & ~RFLAGS_ARITH) | (flags & RFLAGS_ARITH);
	regs->rip += in.len;
	if (ioctl(v->fd, KVM_SET_REGS, regs) < 0)
		return EMUL_FAILED;
	v->guest_bp_count = 0;
	g_debug("vCPU %u: x87 %02x %02x at 0x%" G_GINT64_MODIFIER "x run on the host",
		v->index, in.opcode, in.modrm, pc);
	return EMUL_DONE;
}

enum emul_result vm_kvm_complete_insn(struct vcpu *v, struct kvm_regs *regs, uint64_t pc)
{
	struct insn in = { .n = 0 };
	in.n = fetch(v, pc, in.b, sizeof(in.b));
	if (!decode_prefixes(v, &in))
		return EMUL_FAILED;
	const uint8_t *op = in.b + in.op;
	uint64_t cr0 = v->sregs.cr0;
	static __thread struct fpu_state st;   /* (4 KiB: not on the stack) */
	if (!fpu_get(v, &st))
		return EMUL_FAILED;
	struct kvm_fpu f = st.f;
	/* FWAIT: #NM when MP and TS, #MF when an exception is pending */
	if (op[0] == 0x9b) {
		if (repeats_too_often(v, pc))
			return EMUL_FAILED;
		if ((cr0 & CR0_MP) && (cr0 & CR0_TS))
			return inject_exception(v, 7) ? EMUL_FAULTED : EMUL_FAILED;
		if (x87_pending(&f))
			return raise_pending(v);
		in.len = in.op + 1;
		goto done;
	}
	if (op[0] < 0xd8 || op[0] > 0xdf)
		return EMUL_FAILED;
	bool wait = false, write_fpu = false;
	uint16_t v16;
	in.len = in.op + 2;
	if (op[0] == 0xdf && op[1] == 0xe0) {                  /* FNSTSW AX */
		regs->rax = (regs->rax & ~0xffffull) | f.fsw;
	} else if (op[0] == 0xdb && op[1] == 0xe2) {           /* FNCLEX */
		f.fsw &= (uint16_t)~FSW_CLEX;
		write_fpu = true;
	} else if (op[0] == 0xdb && op[1] == 0xe3) {           /* FNINIT */
		/* control 037F, status 0, every tag empty, pointers 0; MXCSR
		 * and the XMM registers are not x87 state */
		f.fcw = 0x37f;
		f.fsw = 0;
		f.ftwx = 0;
		f.last_opcode = 0;
		f.last_ip = 0;
		f.last_dp = 0;
		write_fpu = true;
	} else if (op[0] == 0xd9 && op[1] == 0xd0) {           /* FNOP (waits) */
		wait = true;
	} else if ((op[0] == 0xdd || op[0] == 0xd9) && ((op[1] >> 3) & 7) == 7 &&
		   (op[1] >> 6) != 3) {                          /* FNSTSW m16, FNSTCW m16 */
		if (!decode_mem(v, regs, &in))
			return EMUL_FAILED;
		v16 = op[0] == 0xdd ? f.fsw : f.fcw;
		if ((cr0 & (CR0_EM | CR0_TS)) == 0 && !mem16(v, in.ea, &v16, true))
			return EMUL_FAILED;
	} else if (op[0] == 0xd9 && ((op[1] >> 3) & 7) == 5 && (op[1] >> 6) != 3) {  /* FLDCW */
		if (!decode_mem(v, regs, &in))
			return EMUL_FAILED;
		wait = true;
		if ((cr0 & (CR0_EM | CR0_TS)) == 0) {
			if (!mem16(v, in.ea, &v16, false))
				return EMUL_FAILED;
			f.fcw = v16;
			write_fpu = true;
		}
	} else {
		/* the rest (computing, FLDENV, FNSTENV, FRSTOR, FNSAVE...) run on
		 * the host CPU with the guest's x87 state */
		return complete_on_host(v, regs, pc, in.b, in.n, &st);
	}
	if (repeats_too_often(v, pc))
		return EMUL_FAILED;
	/* every x87 instruction: #NM with CR0.EM or CR0.TS */
	if (cr0 & (CR0_EM | CR0_TS))
		return inject_exception(v, 7) ? EMUL_FAULTED : EMUL_FAILED;
	if (wait && x87_pending(&f))
		return raise_pending(v);
	st.f = f;
	if (write_fpu && !fpu_set(v, &st))
		return EMUL_FAILED;
done:
	regs->rip += in.len;
	if (ioctl(v->fd, KVM_SET_REGS, regs) < 0)
		return EMUL_FAILED;
	v->guest_bp_count = 0;      /* progress: a loop over it is no repeat */
	g_debug("vCPU %u: x87 %02x at 0x%" G_GINT64_MODIFIER "x completed by the VMM",
		v->index, op[0], pc);
	return EMUL_DONE;
}
