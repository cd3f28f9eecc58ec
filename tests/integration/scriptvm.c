/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * scriptvm.c - a scripted x86-64 VM peer for testing dbgproxyd where there
 * is no /dev/kvm.  Not a VMM: nothing executes.  It serves vmdbg through
 * dbgproxy-vm's own socket server (vm-server.c) and register mapping
 * (vm-x86regs.c), over one vCPU whose state is a fixed snapshot: an ELF
 * loaded at its physical addresses, paging off, and the CPU mode chosen on
 * the command line.  A RESUME "executes" nothing: a step or a continue
 * stops at once, a step with DR6.BS, a continue as a pause would.
 *
 *   scriptvm --socket PATH --kernel FILE.elf --mode prot32|long64
 *
 * The KVM tests (test-vm-kvm, the bats suites) are the real thing; this
 * peer lets the daemon's x86 paths (description choice, i386 registers,
 * stop replies) run against real gdb on any host.
 */
#include <string.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <glib.h>

#include "vm-boot.h"
#include "vm-server.h"
#include "vm-x86regs.h"
#include "vm.h"

#define MEM_SIZE (32u << 20)

struct script_vm {
	struct vm base;
	uint8_t *mem;
	struct x86_xsave_layout xl;
	struct x86_vcpu_state st;
	GQueue stops;
	int notify_fd;
	bool running;
};

static struct script_vm *of(struct vm *base)
{
	return (struct script_vm *)base;
}

G_DEFINE_QUARK(dbgproxy-vm-error-quark, vm_error)

bool vm_check_vcpu(unsigned nr_vcpus, uint32_t index, GError **error)
{
	if (index < nr_vcpus)
		return true;
	g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "no vCPU %u (the VM has %u)", index, nr_vcpus);
	return false;
}

static bool stopped(struct script_vm *vm, uint32_t vcpu, GError **error)
{
	if (!vm_check_vcpu(1, vcpu, error))
		return false;
	if (vm->running) {
		g_set_error(error, VM_ERROR, VMDBG_E_STATE, "vCPU 0 is running: PAUSE first");
		return false;
	}
	return true;
}

static void s_destroy(struct vm *base)
{
	struct script_vm *vm = of(base);
	g_queue_clear_full(&vm->stops, g_free);
	close(vm->notify_fd);
	g_free(vm->mem);
	g_free(vm);
}

static int s_notify_fd(struct vm *base)
{
	return of(base)->notify_fd;
}

static bool s_pop_stop(struct vm *base, struct vmdbg_stopped *out)
{
	struct vmdbg_stopped *ev = g_queue_pop_head(&of(base)->stops);
	if (!ev)
		return false;
	*out = *ev;
	g_free(ev);
	return true;
}

static void s_hello(struct vm *base, struct vmdbg_hello *out)
{
	memset(out, 0, sizeof(*out));
	out->version = VMDBG_VERSION;
	out->arch = VMDBG_ARCH_X86_64;
	out->nr_vcpus = 1;
	out->hw_bps = out->hw_wps = 4;
	out->features = VMDBG_FEAT_HW_SLOTS_SHARED | VMDBG_FEAT_SW_BP | VMDBG_FEAT_SINGLESTEP;
	out->max_frame = VMDBG_MAX_FRAME;
}

static bool s_reg_list(struct vm *base, uint32_t vcpu, GArray *ids, GError **error)
{
	if (!vm_check_vcpu(1, vcpu, error))
		return false;
	uint64_t list[X86_REG_MAX];
	size_t n = x86_reg_list(&of(base)->xl, list);
	g_array_append_vals(ids, list, (guint)n);
	return true;
}

static bool s_get_regs(struct vm *base, uint32_t vcpu, const uint64_t *ids, uint32_t count,
		       GByteArray *values, GError **error)
{
	struct script_vm *vm = of(base);
	if (!stopped(vm, vcpu, error))
		return false;
	for (uint32_t i = 0; i < count; i++)
		if (!x86_reg_part(&vm->xl, ids[i])) {
			g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "register id 0x%016" G_GINT64_MODIFIER
				    "x is not served by this VM", ids[i]);
			return false;
		}
	for (uint32_t i = 0; i < count; i++) {
		uint8_t buf[256];
		x86_reg_read(&vm->xl, &vm->st, ids[i], buf);
		g_byte_array_append(values, buf, vmdbg_reg_bytes(ids[i]));
	}
	return true;
}

static bool s_set_regs(struct vm *base, const struct vmdbg_reg_vals *vals, GError **error)
{
	struct script_vm *vm = of(base);
	if (!stopped(vm, vals->vcpu, error))
		return false;
	size_t off = 0;
	uint64_t id;
	const uint8_t *value;
	uint32_t size;
	while (vmdbg_regvals_next(vals, &off, &id, &value, &size))
		if (!x86_reg_part(&vm->xl, id)) {
			g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "register id not served");
			return false;
		}
	off = 0;
	while (vmdbg_regvals_next(vals, &off, &id, &value, &size))
		x86_reg_write(&vm->xl, &vm->st, id, value);
	return true;
}

/* Paging is off in both modes' snapshots: guest-virtual = physical. */
static long s_read_mem(struct vm *base, uint32_t vcpu, uint64_t addr, uint32_t len, uint8_t *out,
		       GError **error)
{
	struct script_vm *vm = of(base);
	if (!stopped(vm, vcpu, error))
		return -1;
	if (addr >= MEM_SIZE) {
		g_set_error(error, VM_ERROR, VMDBG_E_FAULT, "0x%" G_GINT64_MODIFIER "x is not mapped",
			    addr);
		return -1;
	}
	uint32_t n = (uint32_t)MIN((uint64_t)len, MEM_SIZE - addr);
	memcpy(out, vm->mem + addr, n);
	return n;
}

static bool s_write_mem(struct vm *base, uint32_t vcpu, uint64_t addr, const uint8_t *data,
			uint32_t len, GError **error)
{
	struct script_vm *vm = of(base);
	if (!stopped(vm, vcpu, error))
		return false;
	if (addr >= MEM_SIZE || MEM_SIZE - addr < len) {
		g_set_error(error, VM_ERROR, VMDBG_E_FAULT, "not mapped");
		return false;
	}
	memcpy(vm->mem + addr, data, len);
	return true;
}

static bool s_accept_debug(struct vm *base, const struct vmdbg_guest_debug *g, GError **error)
{
	return true;
}

static bool s_sw_bp(struct vm *base, const struct vmdbg_sw_bp *bp, GError **error)
{
	return stopped(of(base), bp->vcpu, error);
}

static bool s_pause(struct vm *base, GError **error)
{
	of(base)->running = false;
	return true;
}

/* Nothing runs: a step stops with DR6.BS, a continue is over at once. */
static bool s_resume(struct vm *base, const struct vmdbg_resume *r, GError **error)
{
	struct script_vm *vm = of(base);
	uint32_t action = r->default_action;
	for (uint32_t i = 0; i < r->count; i++)
		action = vmdbg_resume_get(r, i).action;
	if (action == VMDBG_ACT_STAY)
		return true;
	vm->running = true;
	struct vmdbg_stopped *ev = g_new0(struct vmdbg_stopped, 1);
	ev->vcpu = 0;
	ev->pc = vm->st.regs.rip;
	ev->reason = VMDBG_STOP_DEBUG;
	ev->info[0] = 1;                                            /* #DB */
	ev->info[1] = action == VMDBG_ACT_STEP ? (1ull << 14) : 0;  /* DR6.BS */
	g_queue_push_tail(&vm->stops, ev);
	vm->running = false;
	uint64_t one = 1;
	ssize_t w = write(vm->notify_fd, &one, sizeof(one));
	(void)w;
	return true;
}

static void s_detach(struct vm *base)
{
	of(base)->running = true;
}

static const struct vm_ops script_ops = {
	.destroy = s_destroy, .notify_fd = s_notify_fd, .pop_stop = s_pop_stop,
	.hello = s_hello, .reg_list = s_reg_list, .get_regs = s_get_regs,
	.set_regs = s_set_regs, .read_mem = s_read_mem, .write_mem = s_write_mem,
	.set_guest_debug = s_accept_debug, .sw_bp_insert = s_sw_bp, .sw_bp_remove = s_sw_bp,
	.pause = s_pause, .resume = s_resume, .detach = s_detach,
};

/* Flat segments; 32-bit protected mode with paging off, or 64-bit long
 * mode as CR0/EFER say (paging structures are not needed: nothing runs). */
static void set_mode(struct x86_vcpu_state *st, bool long64, uint64_t entry)
{
	struct kvm_segment code = {
		.limit = 0xffffffff, .selector = 0x10, .type = 0xb, .present = 1, .db = !long64,
		.s = 1, .l = long64, .g = 1,
	};
	struct kvm_segment data = code;
	data.selector = 0x18;
	data.type = 3;
	data.db = 1;
	data.l = 0;
	st->sregs.cs = code;
	st->sregs.ds = st->sregs.es = st->sregs.fs = st->sregs.gs = st->sregs.ss = data;
	st->sregs.cr0 = long64 ? 0x80000011 : 0x11;
	st->sregs.cr4 = long64 ? 0x20 : 0;
	st->sregs.efer = long64 ? 0x500 : 0;
	st->regs.rip = entry;
	st->regs.rflags = 2;
	st->regs.rax = 0xa1a2a3a4b1b2b3b4ull;   /* upper halves that i386 must not show or touch */
	st->regs.rsp = 0x0000000700ff0000ull;
}

int main(int argc, char **argv)
{
	g_autofree char *socket_path = NULL, *kernel = NULL, *mode = NULL;
	GOptionEntry entries[] = {
		{ "socket", 's', 0, G_OPTION_ARG_FILENAME, &socket_path, "vmdbg socket", "PATH" },
		{ "kernel", 'k', 0, G_OPTION_ARG_FILENAME, &kernel, "ELF to load", "FILE" },
		{ "mode", 'm', 0, G_OPTION_ARG_STRING, &mode, "prot32 or long64", "MODE" },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- scripted x86 vmdbg peer");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_autoptr(GError) err = NULL;
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || !socket_path || !kernel || !mode ||
	    (strcmp(mode, "prot32") != 0 && strcmp(mode, "long64") != 0)) {
		fprintf(stderr, "usage: scriptvm --socket PATH --kernel FILE --mode prot32|long64\n");
		return 2;
	}
	struct script_vm *vm = g_new0(struct script_vm, 1);
	vm->base.ops = &script_ops;
	vm->mem = g_malloc0(MEM_SIZE);
	g_queue_init(&vm->stops);
	vm->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	g_autofree gchar *image = NULL;
	gsize size = 0;
	struct boot_image img;
	memset(&img, 0, sizeof(img));
	struct boot_window w = { vm->mem, 0, MEM_SIZE, 0x1000 };
	if (!g_file_get_contents(kernel, &image, &size, &err) ||
	    !elf_load((const uint8_t *)image, size, &w, 0, &img, &err)) {
		fprintf(stderr, "scriptvm: %s: %s\n", kernel, err->message);
		return 1;
	}
	set_mode(&vm->st, strcmp(mode, "long64") == 0, img.entry);
	int status = server_run(&vm->base, socket_path, &err);
	if (status != 0)
		fprintf(stderr, "scriptvm: %s\n", err->message);
	vm_destroy(&vm->base);
	return status;
}
