/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-kvm-create.c - creating and destroying the KVM machine: KVM, guest memory,
 * CPUID, the vCPUs and their boot state, the in-kernel irqchip and PIT,
 * the platform and its threads.
 */
#include "vm-kvm-priv.h"

static void set_host_error(GError **error, const char *what)
{
	g_set_error(error, VM_ERROR, VMDBG_E_HOST, "%s: %s", what, g_strerror(errno));
}

/* ---- creation ---------------------------------------------------------------------- */

static void kick_handler(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd, GError **error)
{
	for (unsigned n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		int err = errno;
		g_free(c);
		if (err != E2BIG) {
			errno = err;
			set_host_error(error, "KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
	}
	g_set_error(error, VM_ERROR, VMDBG_E_HOST, "KVM_GET_SUPPORTED_CPUID: too many entries");
	return NULL;
}

static const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *c, uint32_t fn,
						 uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

/* CPUID leaf 0xD tells where XSAVE components live and which exist. */
static void xsave_layout_from_cpuid(const struct kvm_cpuid2 *c, struct x86_xsave_layout *l)
{
	memset(l, 0, sizeof(*l));
	const struct kvm_cpuid_entry2 *l1 = cpuid_find(c, 1, 0), *l7 = cpuid_find(c, 7, 0);
	const struct kvm_cpuid_entry2 *xd = cpuid_find(c, 0xd, 0);
	const struct kvm_cpuid_entry2 *c2 = cpuid_find(c, 0xd, 2), *c5 = cpuid_find(c, 0xd, 5);
	const struct kvm_cpuid_entry2 *c6 = cpuid_find(c, 0xd, 6), *c7 = cpuid_find(c, 0xd, 7);
	if (!l1 || !xd || !(l1->ecx & (1u << 26)))  /* XSAVE */
		return;
	if ((l1->ecx & (1u << 28)) && (xd->eax & (1u << 2)) && c2 && c2->eax) {
		l->avx = true;
		l->ymmh_off = c2->ebx;
	}
	if (l->avx && l7 && (l7->ebx & (1u << 16)) && (xd->eax & 0xe0) == 0xe0 && c5 && c6 && c7 &&
	    c7->ebx + c7->eax <= sizeof(((struct kvm_xsave *)0)->region)) {
		l->avx512 = true;
		l->k_off = c5->ebx;
		l->zmmh_off = c6->ebx;
		l->hi16_off = c7->ebx;
	}
}

/* The boot protocol's machine state (vm-boot.h): flat segments from the
 * loader's GDT, 32-bit protected mode with paging off, or 64-bit long mode
 * on the loader's identity page tables; the protocol's registers. */
static bool set_boot_state(struct vcpu *v, const struct boot_image *img, uint32_t eax,
			   uint32_t ebx, GError **error)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		set_host_error(error, "KVM_GET_SREGS");
		return false;
	}
	bool long64 = img->mode == BOOT_MODE_LONG64;
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = PC_GDT_CODE_SEL, .type = 0xb,
		.present = 1, .dpl = 0, .db = !long64, .s = 1, .l = long64, .g = 1,
	};
	struct kvm_segment data = code;
	data.selector = PC_GDT_DATA_SEL;
	data.type = 0x3;
	data.db = 1;
	data.l = 0;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.gdt.base = PC_GDT_ADDR;
	s.gdt.limit = PC_GDT_END - PC_GDT_ADDR - 1;
	if (long64) {
		s.cr0 = 0x80000031;  /* PG | NE | ET | PE */
		s.cr3 = img->cr3;
		s.cr4 = 0x20;        /* PAE */
		s.efer = 0x500;      /* LMA | LME */
	} else {
		s.cr0 = 0x31;        /* NE | ET | PE */
		s.cr4 = 0;
		s.efer = 0;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0) {
		set_host_error(error, "KVM_SET_SREGS");
		return false;
	}
	v->sregs = s;
	struct kvm_regs r;
	memset(&r, 0, sizeof(r));
	r.rip = img->entry;
	r.rflags = 0x2;
	r.rax = eax;
	r.rbx = ebx;
	r.rsi = img->esi;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0) {
		set_host_error(error, "KVM_SET_REGS");
		return false;
	}
	return true;
}

/* What a PC BIOS leaves in the local APICs ("virtual wire" mode, MP spec
 * 3.6.2.2): the boot processor's LINT0 takes the PIC's ExtINT, every LINT1
 * the NMI; the APs' LINT0 stays masked (as QEMU and Linux leave it).
 * Without it the in-kernel PIC could not interrupt a kernel that never
 * programs the APIC. */
static bool set_lint(struct vcpu *v, GError **error)
{
	struct kvm_lapic_state lapic;
	if (ioctl(v->fd, KVM_GET_LAPIC, &lapic) < 0) {
		set_host_error(error, "KVM_GET_LAPIC");
		return false;
	}
	uint32_t lvt0 = v->index == 0 ? APIC_DM_EXTINT : APIC_LVT_MASKED, lvt1 = APIC_DM_NMI;
	memcpy(&lapic.regs[APIC_LVT0], &lvt0, sizeof(lvt0));
	memcpy(&lapic.regs[APIC_LVT1], &lvt1, sizeof(lvt1));
	if (ioctl(v->fd, KVM_SET_LAPIC, &lapic) < 0) {
		set_host_error(error, "KVM_SET_LAPIC");
		return false;
	}
	return true;
}

static bool setup_vcpu(struct vm_kvm *vm, struct vcpu *v, const struct kvm_cpuid2 *cpuid,
		       int run_size, GError **error)
{
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->index);
	if (v->fd < 0) {
		set_host_error(error, "KVM_CREATE_VCPU");
		return false;
	}
	v->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		set_host_error(error, "mmap(kvm_run)");
		return false;
	}
	/* each vCPU reports its own APIC id, in a package of nr_vcpus cores
	 * (not the host's topology) */
	g_autofree struct kvm_cpuid2 *c =
		g_memdup2(cpuid, sizeof(*cpuid) + cpuid->nent * sizeof(struct kvm_cpuid_entry2));
	g_autofree struct cpuid_leaf *leaves = g_new0(struct cpuid_leaf, c->nent ? c->nent : 1);
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];
		leaves[i] = (struct cpuid_leaf){ e->function, e->index, e->eax, e->ebx, e->ecx, e->edx };
	}
	cpuid_fit_vcpu(leaves, c->nent, v->index, vm->nr_vcpus);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		e->eax = leaves[i].eax;
		e->ebx = leaves[i].ebx;
		e->ecx = leaves[i].ecx;
		e->edx = leaves[i].edx;
	}
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0) {
		set_host_error(error, "KVM_SET_CPUID2");
		return false;
	}
	if (!set_lint(v, error))
		return false;
	if (v->index == 0)
		return set_boot_state(v, &vm->img, vm->img.eax, vm->img.ebx, error);
	if (!vm->ap_entry)
		return true; /* KVM keeps it waiting for INIT/SIPI (mp_state UNINITIALIZED) */
	/* --ap-entry: every AP runs the kernel's entry with its index */
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0) {
		set_host_error(error, "KVM_SET_MP_STATE");
		return false;
	}
	return set_boot_state(v, &vm->img, VMDBG_AP_MAGIC, v->index, error);
}

/* The machine: RAM, firmware tables, the kernel, then KVM's VM with its
 * in-kernel irqchip and PIT (both before any vCPU, as KVM requires). */
static bool load_guest(struct vm_kvm *vm, const struct vm_config *cfg, GError **error)
{
	g_autoptr(GBytes) image = NULL, initrd = NULL;
	if (!boot_read_file(cfg->kernel, &image, error))
		return false;
	if (cfg->initrd && !boot_read_file(cfg->initrd, &initrd, error))
		return false;
	if (!pc_firmware_build(vm->mem, vm->mem_size, vm->nr_vcpus, &vm->fw, error))
		return false;
	gsize image_size = 0, initrd_size = 0;
	const uint8_t *image_data = g_bytes_get_data(image, &image_size);
	struct boot_request req = {
		.mem = vm->mem, .mem_size = vm->mem_size, .cmdline = cfg->cmdline,
		.initrd = initrd ? g_bytes_get_data(initrd, &initrd_size) : NULL,
		.initrd_name = cfg->initrd, .protocol = cfg->boot_protocol,
		.acpi_rsdp = vm->fw.rsdp,
	};
	req.initrd_size = initrd_size;
	GError *boot_err = NULL;
	if (!boot_load(image_data, image_size, &req, &vm->img, &boot_err)) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "%s: %s", cfg->kernel, boot_err->message);
		g_error_free(boot_err);
		return false;
	}
	return true;
}

/* Interrupt routing as on a PC and in QEMU (kvm_pc_setup_irq_routing): ISA
 * IRQs to the two PICs, every GSI to its I/O APIC pin except the timer,
 * GSI 0, which arrives on pin 2 — what the MP and ACPI tables say
 * (PC_FW_IRQ0_GSI).  KVM's default would put GSI 0 on pin 0. */
static bool set_gsi_routing(struct vm_kvm *vm, GError **error)
{
	enum { ISA_IRQS = 16 };
	g_autofree struct kvm_irq_routing *r =
		g_malloc0(sizeof(*r) + (ISA_IRQS + PC_FW_IOAPIC_PINS) * sizeof(struct kvm_irq_routing_entry));
	unsigned n = 0;
	for (unsigned irq = 0; irq < ISA_IRQS; irq++) {
		if (irq == 2)
			continue; /* the cascade */
		struct kvm_irq_routing_entry *e = &r->entries[n++];
		e->gsi = irq;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = irq < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		e->u.irqchip.pin = irq % 8;
	}
	for (unsigned gsi = 0; gsi < PC_FW_IOAPIC_PINS; gsi++) {
		if (gsi == PC_FW_IRQ0_GSI)
			continue;
		struct kvm_irq_routing_entry *e = &r->entries[n++];
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = gsi == 0 ? PC_FW_IRQ0_GSI : gsi;
	}
	r->nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0) {
		set_host_error(error, "KVM_SET_GSI_ROUTING");
		return false;
	}
	return true;
}

static bool create_platform(struct vm_kvm *vm, GError **error)
{
	/* Intel without unrestricted guest needs a TSS area and an identity-map
	 * page to run real mode (an AP's SIPI trampoline); harmless elsewhere. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0) {
			set_host_error(error, "KVM_SET_TSS_ADDR");
			return false;
		}
		g_debug("KVM_SET_TSS_ADDR: %s (not offered)", g_strerror(errno));
	}
	uint64_t idmap = KVM_IDENTITY_MAP_ADDR;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		g_debug("KVM_SET_IDENTITY_MAP_ADDR: %s (ignored)", g_strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		set_host_error(error, "KVM_CREATE_IRQCHIP (the in-kernel PIC, I/O APIC and local APICs)");
		return false;
	}
	if (!set_gsi_routing(vm, error))
		return false;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		set_host_error(error, "KVM_CREATE_PIT2");
		return false;
	}
	/* Ticks missed while the debugger holds the guest are not replayed
	 * as a burst when it runs again (nor walked into by single steps). */
	struct kvm_reinject_control reinject = { .pit_reinject = 0 };
	if (ioctl(vm->vm_fd, KVM_REINJECT_CONTROL, &reinject) < 0)
		g_debug("KVM_REINJECT_CONTROL: %s (ignored)", g_strerror(errno));
	const struct pc_platform_ops ops = {
		.serial_tx = pc_serial_tx, .set_irq = pc_set_irq, .reset = pc_reset,
		.now_ns = pc_now_ns, .opaque = vm,
	};
	vm->pc = pc_platform_new(&ops, vm->mem_size);
	return true;
}

static bool start_thread(pthread_t *t, void *(*fn)(void *), void *arg, const char *name,
			 GError **error)
{
	int err = pthread_create(t, NULL, fn, arg);
	if (err) {
		errno = err;
		set_host_error(error, "pthread_create");
		return false;
	}
	pthread_setname_np(*t, name);
	return true;
}

struct vm *vm_kvm_create(const struct vm_config *cfg, GError **error)
{
	if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > VMDBG_MAX_VCPUS) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "--vcpus must be 1..%u", VMDBG_MAX_VCPUS);
		return NULL;
	}
	if (cfg->mem_mib < 2 || cfg->mem_mib > 3072) {
		g_set_error(error, VM_ERROR, VMDBG_E_INVAL, "--mem must be 2..3072 MiB");
		return NULL;
	}
	g_autofree struct kvm_cpuid2 *cpuid = NULL;

	struct vm_kvm *vm = g_new0(struct vm_kvm, 1);
	vm->base.ops = &kvm_ops;
	vm->kvm_fd = vm->vm_fd = vm->notify_fd = vm->quit_fd = vm->shm.fd = -1;
	vm->serial_fd = cfg->serial_fd;
	vm->serial_in_fd = cfg->serial_in_fd;
	vm->ap_entry = cfg->ap_entry;
	vm->vga_file = g_strdup(cfg->vga_file);
	vm->nr_vcpus = cfg->nr_vcpus;
	vm->mem_size = cfg->mem_mib << 20;
	vm->vcpus = g_new0(struct vcpu, cfg->nr_vcpus);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].index = i;
		vm->vcpus[i].fd = -1;
		vm->vcpus[i].state = cfg->start_paused ? VCPU_STOPPED : VCPU_RUNNING;
	}
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	pthread_mutex_init(&vm->serial_lock, NULL);
	pthread_mutex_init(&vm->pc_lock, NULL);
	g_queue_init(&vm->stops);
	vm->unhandled_mmio = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	vm->dbg = debug_state_new();

	if (!vm_shm_create(&vm->shm, "dbgproxy-vm guest RAM", vm->mem_size, SW_BP_MAX, error))
		goto fail;
	vm->mem = vm->shm.ram;
	if (!load_guest(vm, cfg, error))
		goto fail;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		set_host_error(error, "open /dev/kvm");
		goto fail;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		g_set_error(error, VM_ERROR, VMDBG_E_HOST, "/dev/kvm: unexpected KVM API version");
		goto fail;
	}
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		g_set_error(error, VM_ERROR, VMDBG_E_HOST,
			    "/dev/kvm lacks KVM_CAP_IMMEDIATE_EXIT (Linux 4.11+): pauses would run "
			    "guest code");
		goto fail;
	}
	char probe_detail[160];
	vm->int3 = kvm_probe_int3(vm->kvm_fd, probe_detail, sizeof(probe_detail));
	if (vm->int3 == KVM_INT3_UNKNOWN) { /* the probe VM could not run: go by the module */
		g_debug("int3 probe: %s", probe_detail);
		vm->int3 = access("/sys/module/kvm_pvm", F_OK) == 0 ? KVM_INT3_INTERNAL_ERROR
								     : KVM_INT3_DEBUG_EXIT;
	}
	if (vm->int3 == KVM_INT3_TO_GUEST)
		g_warning("this KVM host delivers int3 to the guest instead of exiting (%s): "
			  "software breakpoints are refused, use hardware ones where the host fires them",
			  probe_detail);
	else
		g_debug("int3 under KVM_GUESTDBG_USE_SW_BP: %s", kvm_int3_mode_name(vm->int3));
	if (kvm_probe_x87(vm->kvm_fd, probe_detail, sizeof(probe_detail)) == KVM_PROBE_NO) {
		if (kvm_probe_x87_completed(vm->kvm_fd, probe_detail, sizeof(probe_detail)) ==
		    KVM_PROBE_YES)
			g_message("this KVM host cannot run x87 FPU instructions in a guest: the VM "
				  "completes each (on the host CPU, with the guest's x87 state)");
		else
			g_warning("this KVM host cannot run x87 FPU instructions in a guest, and "
				  "completing them failed (%s): a kernel that uses the FPU stops at "
				  "its first", probe_detail);
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		set_host_error(error, "KVM_CREATE_VM");
		goto fail;
	}
	if (!create_platform(vm, error))
		goto fail;
	if (!vm_kvm_watch_init(vm, error))  /* guest RAM: one slot from guest-physical 0 */
		goto fail;
	int dbg2 = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);
	vm->blockirq = dbg2 > 0 && (dbg2 & KVM_GUESTDBG_BLOCKIRQ);
	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0) {
		set_host_error(error, "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	cpuid = supported_cpuid(vm->kvm_fd, error);
	if (!cpuid)
		goto fail;
	xsave_layout_from_cpuid(cpuid, &vm->xl);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (!setup_vcpu(vm, &vm->vcpus[i], cpuid, run_size, error))
			goto fail;
	vm->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vm->quit_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vm->notify_fd < 0 || vm->quit_fd < 0) {
		set_host_error(error, "eventfd");
		goto fail;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigaction(KICK_SIGNAL, &sa, NULL);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		char name[16];
		g_snprintf(name, sizeof(name), "vcpu%u", i);
		if (!start_thread(&v->thread, vcpu_thread, v, name, error))
			goto fail;
		v->thread_started = true;
	}
	if (vm->serial_in_fd >= 0) {
		if (!start_thread(&vm->console_thread, console_thread, vm, "console", error))
			goto fail;
		vm->console_started = true;
	}
	if (vm->vga_file) {
		if (!start_thread(&vm->vga_thread, vga_thread, vm, "vga", error))
			goto fail;
		vm->vga_started = true;
	}
	g_message("booted %s (%s%s): entry 0x%" G_GINT64_MODIFIER "x, %u vCPU(s)%s, %" G_GUINT64_FORMAT
		  " MiB%s%s%s", cfg->kernel, boot_protocol_name(vm->img.protocol),
		  vm->img.mode == BOOT_MODE_LONG64 ? ", 64-bit entry" : "", vm->img.entry,
		  vm->nr_vcpus, vm->nr_vcpus > 1 && !vm->ap_entry ? " (APs wait for INIT/SIPI)" : "",
		  cfg->mem_mib, vm->xl.avx ? ", AVX" : "", vm->xl.avx512 ? ", AVX-512" : "",
		  cfg->start_paused ? ", paused" : "");
	return &vm->base;
fail:
	kvm_destroy(&vm->base);
	return NULL;
}

void kvm_destroy(struct vm *base)
{
	struct vm_kvm *vm = (struct vm_kvm *)base;
	if (!vm)
		return;
	pthread_mutex_lock(&vm->lock);
	vm->quit = true;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		kick_locked(&vm->vcpus[i]);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	if (vm->quit_fd >= 0) {
		uint64_t one = 1;
		ssize_t r = write(vm->quit_fd, &one, sizeof(one));
		(void)r;
	}
	if (vm->console_started)
		pthread_join(vm->console_thread, NULL);
	if (vm->vga_started)
		pthread_join(vm->vga_thread, NULL);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->thread_started)
			pthread_join(v->thread, NULL);
		if (v->run)
			munmap(v->run, (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0));
		if (v->fd >= 0)
			close(v->fd);
	}
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->notify_fd >= 0)
		close(vm->notify_fd);
	if (vm->quit_fd >= 0)
		close(vm->quit_fd);
	vm_kvm_watch_free(vm);
	vm_shm_destroy(&vm->shm);
	if (vm->pc)
		pc_platform_free(vm->pc);
	g_queue_clear_full(&vm->stops, g_free);
	g_hash_table_destroy(vm->unhandled_mmio);
	g_free(vm->dbg);
	g_free(vm->vga_file);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->serial_lock);
	pthread_mutex_destroy(&vm->pc_lock);
	g_free(vm->vcpus);
	g_free(vm);
}
