/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * kvm-probe.c - run a few instructions in a throw-away VM to learn what this
 * host's KVM does with debug events.  Hardware KVM exits with
 * KVM_EXIT_DEBUG on int3, a DR0 hit and a single step; nested and software
 * set-ups differ (measured: kvm_pvm ends KVM_RUN with an emulation failure
 * at an int3 and never fires data breakpoints; QEMU's emulated SVM checks
 * the INTn intercept for int3, so the #BP reaches the guest).  dbgproxy-vm
 * asks once at start which of these it is on, and `dbgproxy-vm --probe`
 * reports all of it, so tests skip from what the host really offers.
 *
 * The probe guest is flat 32-bit protected mode (what a multiboot entry
 * gets, so every KVM that runs our guests runs it): an IDT whose #BP and #DB
 * gates lead to `hlt`, and the probed code at CODE.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvm-probe.h"
#include "x87-host.h"

enum {
	MEM_SIZE = 0x10000,
	HANDLER = 0x100,  /* hlt: where the guest's #BP/#DB handler would run */
	IDT = 0x400,
	GDT = 0x800,
	CODE = 0x1000,
	DATA = 0x3000,
	STACK = 0x8000,
};

struct probe_vm {
	int vm_fd, vcpu_fd;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
};

static void probe_vm_close(struct probe_vm *p)
{
	if (p->run)
		munmap(p->run, p->run_size);
	if (p->mem)
		munmap(p->mem, MEM_SIZE);
	if (p->vcpu_fd >= 0)
		close(p->vcpu_fd);
	if (p->vm_fd >= 0)
		close(p->vm_fd);
}

static void put_gate(uint8_t *idt, unsigned vector, uint32_t handler)
{
	uint8_t *g = idt + vector * 8;
	g[0] = handler & 0xff;
	g[1] = (handler >> 8) & 0xff;
	g[2] = 0x08; /* code selector */
	g[3] = 0;
	g[4] = 0;
	g[5] = 0x8e; /* present, DPL 0, 32-bit interrupt gate */
	g[6] = (handler >> 16) & 0xff;
	g[7] = (handler >> 24) & 0xff;
}

/* A VM with the probe memory and one vCPU at CODE running `code`. */
static bool probe_vm_open(int kvm_fd, struct probe_vm *p, const uint8_t *code, size_t len,
			  char *detail, size_t dlen)
{
	memset(p, 0, sizeof(*p));
	p->vm_fd = p->vcpu_fd = -1;
	const char *what = "KVM_CREATE_VM";
	p->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0UL);
	if (p->vm_fd < 0)
		goto fail;
	what = "mmap";
	p->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		goto fail;
	}
	static const uint64_t gdt[] = { 0, 0x00cf9a000000ffffULL, 0x00cf92000000ffffULL };
	memcpy(p->mem + GDT, gdt, sizeof(gdt));
	for (unsigned v = 0; v < 32; v++)
		put_gate(p->mem + IDT, v, HANDLER);
	p->mem[HANDLER] = 0xf4; /* hlt */
	p->mem[HANDLER + 1] = 0xf4;
	memcpy(p->mem + CODE, code, len);

	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)p->mem,
	};
	what = "KVM_SET_USER_MEMORY_REGION";
	if (ioctl(p->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto fail;
	(void)ioctl(p->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL); /* Intel without unrestricted guest */
	what = "KVM_CREATE_VCPU";
	p->vcpu_fd = ioctl(p->vm_fd, KVM_CREATE_VCPU, 0UL);
	if (p->vcpu_fd < 0)
		goto fail;
	what = "KVM_GET_VCPU_MMAP_SIZE";
	int size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		goto fail;
	p->run_size = (size_t)size;
	what = "mmap kvm_run";
	p->run = mmap(NULL, p->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, p->vcpu_fd, 0);
	if (p->run == MAP_FAILED) {
		p->run = NULL;
		goto fail;
	}
	struct kvm_sregs s;
	what = "KVM_GET_SREGS";
	if (ioctl(p->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		goto fail;
	struct kvm_segment cs = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 0xb,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment ds = cs;
	ds.selector = 0x10;
	ds.type = 0x3;
	s.cs = cs;
	s.ds = s.es = s.fs = s.gs = s.ss = ds;
	s.gdt.base = GDT;
	s.gdt.limit = sizeof(gdt) - 1;
	s.idt.base = IDT;
	s.idt.limit = 32 * 8 - 1;
	s.cr0 = 0x11; /* ET | PE */
	s.cr4 = 0;
	s.efer = 0;
	what = "KVM_SET_SREGS";
	if (ioctl(p->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		goto fail;
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	r.rip = CODE;
	r.rsp = STACK;
	r.rflags = 0x2;
	what = "KVM_SET_REGS";
	if (ioctl(p->vcpu_fd, KVM_SET_REGS, &r) < 0)
		goto fail;
	return true;
fail:
	snprintf(detail, dlen, "%s: %s", what, strerror(errno));
	probe_vm_close(p);
	return false;
}

static bool probe_debug(struct probe_vm *p, uint32_t control, uint64_t dr0, uint64_t dr7,
			char *detail, size_t dlen)
{
	struct kvm_guest_debug dbg;
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | control;
	dbg.arch.debugreg[0] = dr0;
	dbg.arch.debugreg[7] = dr7;
	if (ioctl(p->vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
		snprintf(detail, dlen, "KVM_SET_GUEST_DEBUG: %s", strerror(errno));
		return false;
	}
	return true;
}

/* One KVM_RUN (retried on EINTR); describes a surprising exit in detail. */
static bool probe_run(struct probe_vm *p, char *detail, size_t dlen)
{
	int r;
	do
		r = ioctl(p->vcpu_fd, KVM_RUN, 0UL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		snprintf(detail, dlen, "KVM_RUN: %s", strerror(errno));
		return false;
	}
	struct kvm_regs regs;
	uint64_t rip = ioctl(p->vcpu_fd, KVM_GET_REGS, &regs) == 0 ? regs.rip : 0;
	snprintf(detail, dlen, "exit reason %u at 0x%llx", p->run->exit_reason,
		 (unsigned long long)rip);
	return true;
}

static bool debug_exit(const struct probe_vm *p, uint32_t exception)
{
	return p->run->exit_reason == KVM_EXIT_DEBUG && p->run->debug.arch.exception == exception;
}

enum kvm_int3_mode kvm_probe_int3(int kvm_fd, char *detail, size_t dlen)
{
	static const uint8_t code[] = { 0xcc, 0xf4 }; /* int3; hlt */
	struct probe_vm p;
	if (!probe_vm_open(kvm_fd, &p, code, sizeof(code), detail, dlen))
		return KVM_INT3_UNKNOWN;
	enum kvm_int3_mode m = KVM_INT3_UNKNOWN;
	if (probe_debug(&p, KVM_GUESTDBG_USE_SW_BP, 0, 0, detail, dlen) &&
	    probe_run(&p, detail, dlen)) {
		if (debug_exit(&p, 3))
			m = KVM_INT3_DEBUG_EXIT;
		else if (p.run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			m = KVM_INT3_INTERNAL_ERROR;
		else
			m = KVM_INT3_TO_GUEST; /* hlt in the guest's handler, or a shutdown */
	}
	probe_vm_close(&p);
	return m;
}

/* Run code with the given debug set-up; YES when the first exit is a
 * KVM_EXIT_DEBUG for #DB (vector 1). */
static enum kvm_probe_result probe_db(int kvm_fd, const uint8_t *code, size_t len,
				      uint32_t control, uint64_t dr0, uint64_t dr7, char *detail,
				      size_t dlen)
{
	struct probe_vm p;
	if (!probe_vm_open(kvm_fd, &p, code, len, detail, dlen))
		return KVM_PROBE_UNKNOWN;
	enum kvm_probe_result res = KVM_PROBE_UNKNOWN;
	if (probe_debug(&p, control, dr0, dr7, detail, dlen) && probe_run(&p, detail, dlen))
		res = debug_exit(&p, 1) ? KVM_PROBE_YES : KVM_PROBE_NO;
	probe_vm_close(&p);
	return res;
}

const char *kvm_int3_mode_name(enum kvm_int3_mode m)
{
	switch (m) {
	case KVM_INT3_DEBUG_EXIT: return "debug-exit";
	case KVM_INT3_INTERNAL_ERROR: return "internal-error";
	case KVM_INT3_TO_GUEST: return "to-guest";
	case KVM_INT3_UNKNOWN: break;
	}
	return "unknown";
}

enum kvm_probe_result kvm_probe_hw_exec(int kvm_fd, char *detail, size_t dlen)
{
	/* nop; nop; hlt with DR0 on the second nop, execute, enabled locally
	 * (not the first: an emulator may check breakpoints only between
	 * instructions) */
	static const uint8_t nops[] = { 0x90, 0x90, 0xf4 };
	return probe_db(kvm_fd, nops, sizeof(nops), KVM_GUESTDBG_USE_HW_BP, CODE + 1, 0x1, detail,
			dlen);
}

enum kvm_probe_result kvm_probe_hw_write(int kvm_fd, char *detail, size_t dlen)
{
	/* mov [DATA], al; hlt with DR0 = DATA, write, one byte (RW0 = 01) */
	static const uint8_t store[] = { 0xa2, DATA & 0xff, DATA >> 8, 0, 0, 0xf4 };
	return probe_db(kvm_fd, store, sizeof(store), KVM_GUESTDBG_USE_HW_BP, DATA,
			0x1 | (1u << 16), detail, dlen);
}

enum kvm_probe_result kvm_probe_x87(int kvm_fd, char *detail, size_t dlen)
{
	/* fldz; fstp st(0); hlt: the hlt's exit (no in-kernel APIC in the
	 * probe VM), or the emulation failure at the fldz */
	static const uint8_t code[] = { 0xd9, 0xee, 0xdd, 0xd8, 0xf4 };
	struct probe_vm p;
	if (!probe_vm_open(kvm_fd, &p, code, sizeof(code), detail, dlen))
		return KVM_PROBE_UNKNOWN;
	enum kvm_probe_result res = KVM_PROBE_UNKNOWN;
	if (probe_run(&p, detail, dlen)) {
		if (p.run->exit_reason == KVM_EXIT_HLT)
			res = KVM_PROBE_YES;
		else if (p.run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
			res = KVM_PROBE_NO;
	}
	probe_vm_close(&p);
	return res;
}

/* Where the host fails them: does completing them on the host CPU work
 * here?  The same fldz; fstp st(0); hlt, each x87 instruction run by its
 * stub on the state in KVM_GET_XSAVE's image and put back with
 * KVM_SET_XSAVE (x87-host.h says why not KVM_SET_FPU), rip moved
 * past it; the state must be there at the next exit (after fldz: TOP 7,
 * st(0) tagged; at the hlt: TOP 0, every register empty). */
enum kvm_probe_result kvm_probe_x87_completed(int kvm_fd, char *detail, size_t dlen)
{
	static const uint8_t code[] = { 0xd9, 0xee, 0xdd, 0xd8, 0xf4 };
	struct probe_vm p;
	if (!probe_vm_open(kvm_fd, &p, code, sizeof(code), detail, dlen))
		return KVM_PROBE_UNKNOWN;
	enum kvm_probe_result res = KVM_PROBE_NO;
	for (unsigned step = 0; step < 3; step++) {
		if (!probe_run(&p, detail, dlen)) {
			res = KVM_PROBE_UNKNOWN;
			break;
		}
		struct kvm_regs r;
		struct kvm_fpu f;
		static __thread struct kvm_xsave xs;
		if (ioctl(p.vcpu_fd, KVM_GET_REGS, &r) < 0 || ioctl(p.vcpu_fd, KVM_GET_XSAVE, &xs) < 0) {
			snprintf(detail, dlen, "KVM_GET_REGS/XSAVE: %s", strerror(errno));
			break;
		}
		x87_xsave_to_fpu(&xs, &f);
		unsigned top = (f.fsw >> 11) & 7;
		if (p.run->exit_reason == KVM_EXIT_HLT) {
			if (r.rip == CODE + 5 && top == 0 && f.ftwx == 0)
				res = KVM_PROBE_YES;
			else
				snprintf(detail, dlen, "at the hlt: TOP %u tags 0x%02x", top, f.ftwx);
			break;
		}
		if (p.run->exit_reason != KVM_EXIT_INTERNAL_ERROR || r.rip != CODE + 2 * step ||
		    (step == 1 && (top != 7 || !(f.ftwx & 0x80)))) {
			snprintf(detail, dlen, "exit %u at 0x%llx, TOP %u tags 0x%02x",
				 p.run->exit_reason, (unsigned long long)r.rip, top, f.ftwx);
			break;
		}
		_Alignas(16) uint8_t gfx[X87_FX_SIZE], hfx[X87_FX_SIZE], operand[16];
		uint64_t flags = r.rflags;
		x87_fpu_to_fx(&f, gfx);
		x87_reg_stubs[code[2 * step] - 0xd8][code[2 * step + 1] - 0xc0](operand, gfx, hfx,
										  &flags);
		x87_fx_to_fpu(gfx, &f);
		x87_fpu_to_xsave(&f, &xs);
		r.rip += 2;
		if (ioctl(p.vcpu_fd, KVM_SET_XSAVE, &xs) < 0 || ioctl(p.vcpu_fd, KVM_SET_REGS, &r) < 0) {
			snprintf(detail, dlen, "KVM_SET_XSAVE/REGS: %s", strerror(errno));
			break;
		}
	}
	probe_vm_close(&p);
	return res;
}

bool kvm_probe_all(const char *dev, struct kvm_probe *out, GError **error)
{
	memset(out, 0, sizeof(*out));
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", dev,
			    g_strerror(errno));
		return false;
	}
	char d[sizeof(out->detail)];
	out->int3 = kvm_probe_int3(fd, d, sizeof(d));
	if (out->int3 != KVM_INT3_DEBUG_EXIT)
		g_strlcpy(out->detail, d, sizeof(out->detail));
	out->hw_exec = kvm_probe_hw_exec(fd, d, sizeof(d));
	g_debug("hw execute breakpoint probe: %s", d);
	out->hw_write = kvm_probe_hw_write(fd, d, sizeof(d));
	g_debug("hw write watchpoint probe: %s", d);
	static const uint8_t nops[] = { 0x90, 0x90, 0xf4 };
	out->single_step = probe_db(fd, nops, sizeof(nops), KVM_GUESTDBG_SINGLESTEP, 0, 0, d,
				    sizeof(d));
	out->x87 = kvm_probe_x87(fd, d, sizeof(d));
	g_debug("x87 probe: %s", d);
	out->x87_vm = out->x87;
	if (out->x87 == KVM_PROBE_NO) {
		out->x87_vm = kvm_probe_x87_completed(fd, d, sizeof(d));
		g_debug("x87 completed by the VM: %s", d);
	}
	close(fd);
	return true;
}
