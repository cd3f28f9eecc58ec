/*
 * vm-kvm.c - the KVM machine of dbgproxy-vm: VM and vCPU creation, one
 * thread per vCPU running KVM_RUN, and the run control the vmdbg server
 * asks for (pause, resume, step, guest debug, software breakpoints).
 *
 * Threads.  The control thread (the socket server) never issues vCPU
 * ioctls itself: it hands a work item to the stopped vCPU's own thread and
 * waits (KVM wants vCPU ioctls from the thread that runs the vCPU).  vCPU
 * state (running/stopped, pause requests, work) is guarded by vm->lock.
 * The debug state (breakpoint table and debug registers) is an RCU-published
 * snapshot (vm-debugstate.h) that vCPU threads read without locks.
 *
 * Kicking.  To get a vCPU out of KVM_RUN the control thread sets
 * run->immediate_exit under vm->lock and sends SIGUSR1 to its thread; the
 * vCPU thread clears immediate_exit only under the same lock after seeing no
 * pause request, so a kick can never be lost between check and KVM_RUN.
 *
 * Exact stops.  After a KVM_EXIT_IO or KVM_EXIT_MMIO the instruction is not
 * complete until KVM_RUN is entered again (Documentation/virt/kvm/api.rst,
 * "KVM_RUN": the state is not consistent before).  A vCPU that must stop
 * after such an exit re-enters KVM_RUN once with immediate_exit set, which
 * completes the access and returns without running guest code, so every
 * stop is at an instruction boundary.
 *
 * The platform.  KVM's in-kernel irqchip (PIC, I/O APIC, local APICs) and
 * PIT; the userspace devices (vm-pc.h: 16550A COM1, i8042, CMOS/RTC, reset
 * ports) behind one mutex; the BIOS data area, MP and ACPI tables
 * (vm-firmware.h); the boot protocols of vm-boot.h.  Application
 * processors wait for INIT/SIPI from the boot processor like on a PC,
 * unless --ap-entry starts them at the kernel's entry point.
 */
#include "vm.h"
#include "kvm-probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <urcu/urcu-memb.h>

#include "vm-boot.h"
#include "vm-cpuid.h"
#include "vm-debugstate.h"
#include "vm-firmware.h"
#include "vm-paging.h"
#include "vm-pc.h"
#include "vm-pclayout.h"
#include "vm-x86regs.h"


#define KICK_SIGNAL SIGUSR1
#define DR6_BS        (1ull << 14)
#define DR7_ENABLE_MASK(n) (3ull << (2 * (n)))   /* Ln | Gn */
#define DR7_RW(dr7, n) (((dr7) >> (16 + 4 * (n))) & 3)
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define PAUSE_TIMEOUT_S 5
/* Outside guest RAM (at most 3 GiB) and the APIC windows, as QEMU places them. */
#define KVM_TSS_ADDR          0xfffbd000ul   /* three pages (VMX real-mode emulation) */
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ull  /* one page, below the TSS */
/* Local APIC register offsets and LVT delivery modes (SDM Vol. 3A 11.5.1). */
#define APIC_LVT0             0x350
#define APIC_LVT1             0x360
#define APIC_DM_NMI           0x400u
#define APIC_DM_EXTINT        0x700u
#define APIC_LVT_MASKED       0x10000u
#define VGA_MIRROR_PERIOD_MS  250

enum vcpu_state { VCPU_RUNNING, VCPU_STOPPED };


struct vcpu {
	struct vm_kvm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;

	/* guarded by vm->lock */
	enum vcpu_state state;
	bool pause_req;
	bool step;                   /* the current/next run is a single step */
	void (*work)(struct vcpu *v, void *arg);
	void *work_arg;

	/* owned by the vCPU thread while running, by the control thread while stopped */
	struct kvm_sregs sregs;      /* at the last stop: the page walker's input */
	uint64_t applied_gen;        /* debug-state generation last given to KVM */
	bool applied_step;
	bool debug_applied;          /* KVM has seen at least one SET_GUEST_DEBUG */
	uint32_t applied_suppress;
	uint32_t inject;             /* KVM_GUESTDBG_INJECT_* for the next entry */
	/* Stepping over an instruction breakpoint that just fired: RFLAGS.RF is
	 * not honoured by every KVM (kvm_pvm drops it), so the slots that fired
	 * are disarmed for exactly one instruction instead. */
	uint64_t fired_at;           /* linear pc of the breakpoint stop */
	uint32_t fired_slots;        /* DR0-3 execute slots that fired there */
	bool fired_pending;          /* check on the next resume */
	uint32_t over_slots;         /* slots disarmed for the current instruction */
	bool io_pending;             /* the last exit was I/O or MMIO: not yet completed */
	bool int3_rerun;             /* the last exit was a stale int3 at int3_rerun_pc, */
	uint64_t int3_rerun_pc;      /* re-run (debug_state_int3_verdict) */
	uint64_t guest_bp_pc;        /* the guest int3 last delivered, and how many */
	unsigned guest_bp_count;     /* times in a row with no other exit between */
};

struct vm_kvm {
	struct vm base;              /* first: the ops of vm.h */
	int kvm_fd, vm_fd;
	uint8_t *mem;
	uint64_t mem_size;
	unsigned nr_vcpus;
	struct vcpu *vcpus;
	struct x86_xsave_layout xl;
	bool blockirq;
	bool ap_entry;
	enum kvm_int3_mode int3;     /* what this host does with int3 (kvm-probe.c) */
	int serial_fd;
	struct boot_image img;
	struct pc_firmware fw;

	/* the userspace devices; vCPU threads and the console thread */
	pthread_mutex_t pc_lock;
	struct pc_platform *pc;
	bool reset_requested;        /* set by the platform, taken by handle_io, under pc_lock */
	GHashTable *unhandled_mmio;  /* pages already logged, under pc_lock */
	int serial_in_fd;
	int quit_fd;                 /* eventfd: the helper threads stop */
	pthread_t console_thread, vga_thread;
	bool console_started, vga_started;
	char *vga_file;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool quit;
	bool dead;                   /* the guest shut down */
	GQueue stops;                /* struct vmdbg_stopped *, guarded by lock */
	int notify_fd;

	struct debug_state *dbg;     /* RCU-published; written by the control thread */

	pthread_mutex_t serial_lock;
};

static const struct vm_ops kvm_ops;
static void kvm_destroy(struct vm *base);
			
			static void set_host_error(GError **error, const char *what)
{
	g_set_error(error, VM_ERROR, VMDBG_E_HOST, "%s: %s", what, g_strerror(errno));
}

/* ---- guest memory --------------------------------------------------------- */

static struct x86_paging paging_of(const struct kvm_sregs *s)
{
	struct x86_paging pg = { s->cr0, s->cr3, s->cr4, s->efer };
	return pg;
}

static bool gva_to_gpa(struct vm_kvm *vm, const struct kvm_sregs *s, uint64_t gva,
		       uint64_t *gpa, uint64_t *contig)
{
	struct x86_paging pg = paging_of(s);
	return x86_translate(&pg, vm->mem, vm->mem_size, gva, gpa, contig) &&
	       *gpa < vm->mem_size;
}

/* Linear address of the instruction at rip (segment base matters outside
 * 64-bit mode). */
static uint64_t linear_rip(const struct kvm_sregs *s, uint64_t rip)
{
	if (s->cs.l)
		return rip;
	return (s->cs.base + rip) & 0xffffffffull;
}

/* ---- the debug-state snapshot ----------------------------------------------- */

static void publish(struct vm_kvm *vm, struct debug_state *next)
{
	struct debug_state *old = vm->dbg;
	rcu_assign_pointer(vm->dbg, next);
	urcu_memb_synchronize_rcu();
	g_free(old);
}

/* Make running vCPUs leave KVM_RUN once (to pick up new guest debug). */
static void kick_locked(struct vcpu *v)
{
	if (v->state != VCPU_RUNNING || !v->thread_started)
		return;
	v->run->immediate_exit = 1;
	pthread_kill(v->thread, KICK_SIGNAL);
}

static void kick_all(struct vm_kvm *vm)
{
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		kick_locked(&vm->vcpus[i]);
	pthread_mutex_unlock(&vm->lock);
}

/* ---- the vCPU thread ------------------------------------------------------------ */

static void vcpu_capture_sregs(struct vcpu *v)
{
	if (ioctl(v->fd, KVM_GET_SREGS, &v->sregs) < 0)
		g_warning("vCPU %u: KVM_GET_SREGS: %s", v->index, g_strerror(errno));
}

/* Give KVM the current debug registers and step flag, if they changed;
 * the DR0-3 slots in `suppress` are left disabled in DR7. */
static void vcpu_sync_debug(struct vcpu *v, bool step, uint32_t suppress)
{
	struct vm_kvm *vm = v->vm;
	struct kvm_guest_debug g;
	memset(&g, 0, sizeof(g));

	urcu_memb_read_lock();
	const struct debug_state *s = rcu_dereference(vm->dbg);
	uint64_t gen = s->generation;
	uint32_t ctl = s->control;
	bool have_sw = s->nr_sw > 0;
	memcpy(g.arch.debugreg, s->hw.debugreg, sizeof(g.arch.debugreg));
	urcu_memb_read_unlock();

	if (v->debug_applied && gen == v->applied_gen && step == v->applied_step &&
	    suppress == v->applied_suppress && !v->inject)
		return;
	for (unsigned n = 0; n < 4; n++)
		if (suppress & (1u << n))
			g.arch.debugreg[7] &= ~DR7_ENABLE_MASK(n);
	if ((ctl & VMDBG_GDBG_ENABLE) || have_sw || step || v->inject)
		g.control = KVM_GUESTDBG_ENABLE;
	if (have_sw)
		g.control |= KVM_GUESTDBG_USE_SW_BP;
	if ((ctl & VMDBG_GDBG_ENABLE) && (ctl & VMDBG_GDBG_USE_HW))
		g.control |= KVM_GUESTDBG_USE_HW_BP;
	else
		memset(g.arch.debugreg, 0, sizeof(g.arch.debugreg));
	if (step)
		g.control |= KVM_GUESTDBG_SINGLESTEP | (vm->blockirq ? KVM_GUESTDBG_BLOCKIRQ : 0);
	g.control |= v->inject;
	if (ioctl(v->fd, KVM_SET_GUEST_DEBUG, &g) < 0) {
		g_warning("vCPU %u: KVM_SET_GUEST_DEBUG(0x%x): %s", v->index, g.control,
			  g_strerror(errno));
		return;
	}
	v->inject = 0;
	v->applied_gen = gen;
	v->applied_step = step;
	v->applied_suppress = suppress;
	v->debug_applied = true;
}

/* Is the vCPU still at the instruction breakpoint it stopped on? */
static bool vcpu_still_at(struct vcpu *v, uint64_t linear_pc)
{
	struct kvm_regs regs;
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return false;
	return linear_rip(&v->sregs, regs.rip) == linear_pc;
}

/* ---- the platform: devices, console, VGA mirror --------------------------------- */

/* COM1 transmits straight through, unbuffered: a prompt without a newline
 * ("db> ") must reach the user. */
static void pc_serial_tx(void *opaque, uint8_t byte)
{
	struct vm_kvm *vm = opaque;
	pthread_mutex_lock(&vm->serial_lock);
	ssize_t r;
	do /* a kick (SIGUSR1, no SA_RESTART) may interrupt a blocked write */
		r = write(vm->serial_fd, &byte, 1);
	while (r < 0 && errno == EINTR);
	pthread_mutex_unlock(&vm->serial_lock);
}

static void pc_set_irq(void *opaque, unsigned irq, bool level)
{
	struct vm_kvm *vm = opaque;
	struct kvm_irq_level l = { .irq = irq, .level = level };
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		g_warning("KVM_IRQ_LINE(%u, %d): %s", irq, level, g_strerror(errno));
}

static void pc_reset(void *opaque)
{
	struct vm_kvm *vm = opaque;
	vm->reset_requested = true; /* the vCPU doing the I/O stops the guest */
}

static int64_t pc_now_ns(void *opaque)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Serve a port access; true when it asked for a reset. */
static bool handle_io(struct vcpu *v)
{
	struct vm_kvm *vm = v->vm;
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	pthread_mutex_lock(&vm->pc_lock);
	pc_io(vm->pc, run->io.port, run->io.direction == KVM_EXIT_IO_OUT, run->io.size,
	      run->io.count, data);
	bool reset = vm->reset_requested;
	vm->reset_requested = false;
	pthread_mutex_unlock(&vm->pc_lock);
	return reset;
}

/* Nothing is mapped outside RAM but the in-kernel APICs: reads float. */
static void handle_mmio(struct vcpu *v)
{
	struct vm_kvm *vm = v->vm;
	struct kvm_run *run = v->run;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	uint64_t page = run->mmio.phys_addr & ~0xfffull;
	pthread_mutex_lock(&vm->pc_lock);
	bool first = g_hash_table_add(vm->unhandled_mmio, g_memdup2(&page, sizeof(page)));
	pthread_mutex_unlock(&vm->pc_lock);
	if (first)
		g_debug("vCPU %u: %s of %u byte(s) at unmapped 0x%" G_GINT64_MODIFIER "x (logged once "
			"per page)", v->index, run->mmio.is_write ? "write" : "read", run->mmio.len,
			(uint64_t)run->mmio.phys_addr);
}

/* The host console feeds COM1's receiver: bytes wait in the platform's
 * queue while it is full.  Enter sends CR, as a terminal in raw mode does. */
static void *console_thread(void *arg)
{
	struct vm_kvm *vm = arg;
	uint8_t buf[256];
	for (;;) {
		struct pollfd p[2] = { { vm->serial_in_fd, POLLIN, 0 }, { vm->quit_fd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		/* read no more than is there: another reader of the same terminal
		 * must not leave this thread blocked where destroy cannot end it */
		int avail = 0;
		if (ioctl(vm->serial_in_fd, FIONREAD, &avail) < 0)
			avail = 1;
		ssize_t n = read(vm->serial_in_fd, buf, avail > 0 ? MIN((size_t)avail, sizeof(buf)) : 1);
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			break; /* end of input: the console is gone, the guest runs on */
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n')
				buf[i] = '\r';
		size_t done = 0;
		while (done < (size_t)n) {
			pthread_mutex_lock(&vm->pc_lock);
			done += pc_serial_receive(vm->pc, buf + done, (size_t)n - done);
			pthread_mutex_unlock(&vm->pc_lock);
			if (done < (size_t)n) { /* the guest is not reading: wait, or quit */
				struct pollfd q = { vm->quit_fd, POLLIN, 0 };
				if (poll(&q, 1, 20) > 0)
					return NULL;
			}
		}
	}
	return NULL;
}

/* The VGA text buffer is plain RAM; --vga FILE shows it as 25 lines of
 * text, rewritten (atomically, by rename) when it changes. */
static void vga_render(const uint8_t *cells, GString *out)
{
	g_string_truncate(out, 0);
	for (unsigned row = 0; row < PC_VGA_TEXT_ROWS; row++) {
		gsize start = out->len;
		for (unsigned col = 0; col < PC_VGA_TEXT_COLS; col++) {
			uint8_t c = cells[2 * (row * PC_VGA_TEXT_COLS + col)];
			g_string_append_c(out, c >= 0x20 && c < 0x7f ? (char)c : ' ');
		}
		while (out->len > start && out->str[out->len - 1] == ' ')
			g_string_truncate(out, out->len - 1);
		g_string_append_c(out, '\n');
	}
}

static void *vga_thread(void *arg)
{
	struct vm_kvm *vm = arg;
	g_autoptr(GString) text = g_string_new(NULL), last = g_string_new(NULL);
	g_autofree char *tmp = g_strdup_printf("%s.tmp", vm->vga_file);
	uint8_t cells[2 * PC_VGA_TEXT_COLS * PC_VGA_TEXT_ROWS];
	bool first = true;
	for (;;) {
		memcpy(cells, vm->mem + PC_VGA_TEXT_ADDR, sizeof(cells));
		vga_render(cells, text);
		if (first || !g_string_equal(text, last)) {
			GError *err = NULL;
			if (!g_file_set_contents(tmp, text->str, (gssize)text->len, &err) ||
			    rename(tmp, vm->vga_file) < 0) {
				g_warning("--vga %s: %s", vm->vga_file, err ? err->message : g_strerror(errno));
				g_clear_error(&err);
				return NULL;
			}
			g_string_assign(last, text->str);
			first = false;
		}
		struct pollfd q = { vm->quit_fd, POLLIN, 0 };
		if (poll(&q, 1, VGA_MIRROR_PERIOD_MS) > 0)
			return NULL;
	}
}

/* What the int3 the vCPU stopped on at linear address pc is (see
 * debug_state_int3_verdict); rerun_before: the previous exit re-ran a
 * stale int3 at this pc. */
static enum int3_verdict int3_verdict_at(struct vm_kvm *vm, const struct kvm_sregs *s,
					 uint64_t pc, bool rerun_before)
{
	uint64_t gpa, contig;
	uint8_t bytes[2];
	size_t n = 0;
	if (gva_to_gpa(vm, s, pc, &gpa, &contig) && gpa < vm->mem_size) {
		bytes[n++] = vm->mem[gpa];
		if (contig >= 2 && gpa + 1 < vm->mem_size)
			bytes[n++] = vm->mem[gpa + 1];
	} else {
		gpa = UINT64_MAX;
	}
	urcu_memb_read_lock();
	enum int3_verdict verdict =
		debug_state_int3_verdict(rcu_dereference(vm->dbg), gpa, bytes, n, rerun_before);
	urcu_memb_read_unlock();
	return verdict;
}

/* A #DB is the debugger's if we asked for the step it reports, or if it
 * comes from a slot our DR7 enabled (SDM Vol. 3B 18.2.3 DR6). */
static bool debug_exit_is_ours(struct vcpu *v, const struct kvm_debug_exit_arch *a, bool step)
{
	if (step && (a->dr6 & DR6_BS))
		return true;
	urcu_memb_read_lock();
	const struct debug_state *s = rcu_dereference(v->vm->dbg);
	uint64_t dr7 = (s->control & VMDBG_GDBG_USE_HW) ? s->hw.debugreg[7] : 0;
	urcu_memb_read_unlock();
	for (unsigned n = 0; n < 4; n++)
		if ((a->dr6 & (1ull << n)) && (dr7 & DR7_ENABLE_MASK(n)))
			return true;
	return false;
}

static void note_exec_breakpoint(struct vcpu *v, const struct kvm_debug_exit_arch *a)
{
	urcu_memb_read_lock();
	uint64_t dr7 = rcu_dereference(v->vm->dbg)->hw.debugreg[7];
	urcu_memb_read_unlock();
	v->fired_slots = 0;
	for (unsigned n = 0; n < 4; n++)
		if ((a->dr6 & (1ull << n)) && DR7_RW(dr7, n) == 0)
			v->fired_slots |= 1u << n;
	v->fired_at = a->pc;
	v->fired_pending = v->fired_slots != 0;
}

/* Linear address of the vCPU's next instruction (0 if KVM cannot say). */
static uint64_t current_pc(struct vcpu *v)
{
	struct kvm_regs regs;
	vcpu_capture_sregs(v);
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return 0;
	return linear_rip(&v->sregs, regs.rip);
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
#define GUEST_INT3_REPEAT_MAX 100000
static bool deliver_guest_int3(struct vcpu *v, struct kvm_regs *regs, uint64_t pc)
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
	v->guest_bp_count = v->guest_bp_pc == pc ? v->guest_bp_count + 1 : 1;
	v->guest_bp_pc = pc;
	if (v->guest_bp_count > GUEST_INT3_REPEAT_MAX)
		return false;
	struct kvm_vcpu_events events;
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &events) < 0)
		return false;
	regs->rip += len;
	if (ioctl(v->fd, KVM_SET_REGS, regs) < 0)
		return false;
	events.exception.injected = 1;
	events.exception.nr = 3;            /* #BP */
	events.exception.has_error_code = 0;
	events.exception.error_code = 0;
	events.flags = 0;                   /* leave NMI, SIPI and shadow state alone */
	if (ioctl(v->fd, KVM_SET_VCPU_EVENTS, &events) < 0) {
		regs->rip -= len;
		ioctl(v->fd, KVM_SET_REGS, regs);
		return false;
	}
	g_debug("vCPU %u: the guest's own int3 at 0x%" G_GINT64_MODIFIER "x goes to its handler",
		v->index, pc);
	return true;
}

/* Decide what a KVM exit means.  Returns true and fills ev when the vCPU
 * must stop and report; false to run on. */
static bool handle_exit(struct vcpu *v, bool step, struct vmdbg_stopped *ev)
{
	struct vm_kvm *vm = v->vm;
	struct kvm_run *run = v->run;
	memset(ev, 0, sizeof(*ev));
	ev->vcpu = v->index;
	if (run->exit_reason != KVM_EXIT_INTERNAL_ERROR)
		v->guest_bp_count = 0;
	bool rerun_before = v->int3_rerun;  /* only for the exit right after one */
	v->int3_rerun = false;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		v->io_pending = true;
		if (handle_io(v)) {
			/* the access completes before the stop (exact stops) */
			ev->reason = VMDBG_STOP_SHUTDOWN;
			ev->info[0] = VMDBG_SHUTDOWN_RESET;
			ev->pc = current_pc(v);
			g_message("vCPU %u: the guest asked for a reset at 0x%" G_GINT64_MODIFIER "x; "
				  "it is stopped, not rebooted", v->index, ev->pc);
			return true;
		}
		return false;
	case KVM_EXIT_MMIO:
		handle_mmio(v);
		v->io_pending = true;
		return false;
	case KVM_EXIT_DEBUG: {
		const struct kvm_debug_exit_arch *a = &run->debug.arch;
		if (a->exception == 3) {
			vcpu_capture_sregs(v);
			switch (int3_verdict_at(vm, &v->sregs, a->pc,
						rerun_before && v->int3_rerun_pc == a->pc)) {
			case INT3_OURS:
				break;
			case INT3_RERUN:
				/* our breakpoint, removed after the vCPU fetched it: the
				 * original instruction is back, run it (rip is at it) */
				g_debug("vCPU %u: stale int3 at 0x%" G_GINT64_MODIFIER "x re-run",
					v->index, (uint64_t)a->pc);
				v->int3_rerun = true;
				v->int3_rerun_pc = a->pc;
				return false;
			default:
				v->inject = KVM_GUESTDBG_INJECT_BP; /* the guest's own */
				return false;
			}
			ev->reason = VMDBG_STOP_SW_BP;
			ev->pc = a->pc;
			ev->info[0] = a->pc;
			return true;
		}
		if (!debug_exit_is_ours(v, a, step)) {
			v->inject = KVM_GUESTDBG_INJECT_DB;
			return false;
		}
		note_exec_breakpoint(v, a);
		ev->reason = VMDBG_STOP_DEBUG;
		ev->pc = a->pc;
		ev->info[0] = a->exception;
		ev->info[1] = a->dr6;
		ev->info[2] = a->dr7;
		return true;
	}
	case KVM_EXIT_INTERNAL_ERROR: {
		/* kvm_pvm (and other nested set-ups) fail to emulate a guest int3
		 * instead of exiting with #BP: at a patched address that is our
		 * breakpoint. */
		struct kvm_regs regs;
		vcpu_capture_sregs(v);
		if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0) {
			uint64_t pc = linear_rip(&v->sregs, regs.rip);
			ev->pc = pc;
			enum int3_verdict verdict = INT3_FAIL;
			if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION)
				verdict = int3_verdict_at(vm, &v->sregs, pc,
							  rerun_before && v->int3_rerun_pc == pc);
			if (verdict == INT3_OURS) {
				ev->reason = VMDBG_STOP_SW_BP;
				ev->info[0] = pc;
				return true;
			}
			/* the guest's own int3 (a kernel debugger's): its handler runs */
			if (verdict == INT3_GUEST && deliver_guest_int3(v, &regs, pc))
				return false;
			if (verdict == INT3_RERUN) {
				/* no int3 there now: ours, removed while the vCPU ran;
				 * retried once (a real emulation failure fails again) */
				g_debug("vCPU %u: emulation failure at 0x%" G_GINT64_MODIFIER "x, where "
					"no int3 is now: re-run once", v->index, pc);
				v->int3_rerun = true;
				v->int3_rerun_pc = pc;
				return false;
			}
		}
		ev->reason = VMDBG_STOP_INTERNAL;
		ev->info[0] = run->exit_reason;
		ev->info[1] = run->internal.suberror;
		g_warning("vCPU %u: KVM internal error, suberror %u at 0x%" G_GINT64_MODIFIER "x",
			  v->index, run->internal.suberror, ev->pc);
		return true;
	}
	/* No KVM_EXIT_HLT: with the in-kernel local APIC a halted vCPU waits
	 * inside KVM_RUN for an interrupt (a pause still stops it). */
	case KVM_EXIT_SHUTDOWN:
	case KVM_EXIT_SYSTEM_EVENT: {
		ev->pc = current_pc(v);
		ev->reason = VMDBG_STOP_SHUTDOWN;
		ev->info[0] = VMDBG_SHUTDOWN_FAULT;
		if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT)
			ev->info[0] = run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ?
				      VMDBG_SHUTDOWN_POWEROFF :
				      run->system_event.type == KVM_SYSTEM_EVENT_RESET ?
				      VMDBG_SHUTDOWN_RESET : VMDBG_SHUTDOWN_FAULT;
		g_message("vCPU %u: guest %s at 0x%" G_GINT64_MODIFIER "x; kept for inspection",
			  v->index, run->exit_reason == KVM_EXIT_SHUTDOWN ? "triple-faulted" :
			  "shut down", ev->pc);
		return true;
	}
	default:
		ev->reason = VMDBG_STOP_INTERNAL;
		ev->info[0] = run->exit_reason;
		if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
			ev->info[1] = run->fail_entry.hardware_entry_failure_reason;
		g_warning("vCPU %u: unexpected KVM exit %u", v->index, run->exit_reason);
		return true;
	}
}

static void notify(struct vm_kvm *vm)
{
	uint64_t one = 1;
	ssize_t r = write(vm->notify_fd, &one, sizeof(one));
	(void)r; /* an eventfd at its limit is already readable */
}

/* Called with vm->lock held: the vCPU is now stopped; ev (if any) queued. */
static void enter_stopped_locked(struct vcpu *v, const struct vmdbg_stopped *ev)
{
	struct vm_kvm *vm = v->vm;
	v->state = VCPU_STOPPED;
	v->step = false;
	if (ev) {
		g_queue_push_tail(&vm->stops, g_memdup2(ev, sizeof(*ev)));
		if (ev->reason == VMDBG_STOP_SHUTDOWN) {
			vm->dead = true;
			for (unsigned i = 0; i < vm->nr_vcpus; i++) {
				struct vcpu *o = &vm->vcpus[i];
				if (o->state == VCPU_RUNNING) {
					o->pause_req = true;
					kick_locked(o);
				}
			}
		}
		notify(vm);
	}
	pthread_cond_broadcast(&vm->cond);
}

/* Finish an I/O or MMIO access KVM handed us before the vCPU reports a
 * stop: KVM_RUN with immediate_exit completes it and returns at once with
 * EINTR, running no guest code.  A string access may hand back its next
 * element first; each is served, a bounded number of times.  Returns true
 * with ev filled when completing it stopped the vCPU for a reason of its
 * own (a reset the access asked for, a shutdown). */
static bool complete_io(struct vcpu *v, struct vmdbg_stopped *ev)
{
	bool stop = false;
	struct vmdbg_stopped next;
	for (unsigned i = 0; v->io_pending && i < 4096; i++) {
		v->io_pending = false;
		v->run->immediate_exit = 1;
		if (ioctl(v->fd, KVM_RUN, 0) == 0 && handle_exit(v, false, &next) && !stop) {
			*ev = next;
			stop = true;
		}
	}
	if (v->io_pending) {
		g_warning("vCPU %u: an I/O access did not complete", v->index);
		v->io_pending = false;
	}
	return stop;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm_kvm *vm = v->vm;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	urcu_memb_register_thread();

	pthread_mutex_lock(&vm->lock);
	for (;;) {
		if (v->work) {
			void (*fn)(struct vcpu *, void *) = v->work;
			pthread_mutex_unlock(&vm->lock);
			fn(v, v->work_arg);
			pthread_mutex_lock(&vm->lock);
			v->work = NULL;
			pthread_cond_broadcast(&vm->cond);
			continue;
		}
		if (vm->quit)
			break;
		if (v->state == VCPU_STOPPED) {
			pthread_cond_wait(&vm->cond, &vm->lock);
			continue;
		}
		if (v->pause_req) {
			v->pause_req = false;
			if (v->over_slots) {   /* re-check where it is on the next resume */
				v->over_slots = 0;
				v->fired_pending = true;
			}
			pthread_mutex_unlock(&vm->lock);
			struct vmdbg_stopped why;
			bool own = complete_io(v, &why);
			vcpu_capture_sregs(v);
			pthread_mutex_lock(&vm->lock);
			enter_stopped_locked(v, own ? &why : NULL);
			continue;
		}
		v->run->immediate_exit = 0;
		bool step = v->step;
		pthread_mutex_unlock(&vm->lock);

		if (v->fired_pending) {
			v->fired_pending = false;
			if (vcpu_still_at(v, v->fired_at))
				v->over_slots = v->fired_slots;
		}
		/* a continue from a breakpoint first steps over it, unseen */
		bool hidden_step = v->over_slots && !step;
		vcpu_sync_debug(v, step || hidden_step, v->over_slots);
		int r = ioctl(v->fd, KVM_RUN, 0);
		int err = errno;
		v->io_pending = false; /* entering KVM_RUN completed it */
		struct vmdbg_stopped ev;
		bool stop = false;
		if (r == 0 && v->over_slots && v->run->exit_reason != KVM_EXIT_IO &&
		    v->run->exit_reason != KVM_EXIT_MMIO) {
			v->over_slots = 0; /* the instruction is done (or something stopped it) */
			if (hidden_step && v->run->exit_reason == KVM_EXIT_DEBUG &&
			    v->run->debug.arch.exception == 1 && (v->run->debug.arch.dr6 & DR6_BS) &&
			    !debug_exit_is_ours(v, &v->run->debug.arch, false)) {
				pthread_mutex_lock(&vm->lock);
				continue;
			}
		}
		if (r < 0) {
			if (err != EINTR && err != EAGAIN) {
				memset(&ev, 0, sizeof(ev));
				ev.vcpu = v->index;
				ev.reason = VMDBG_STOP_INTERNAL;
				ev.info[1] = (uint64_t)err;
				g_warning("vCPU %u: KVM_RUN: %s", v->index, g_strerror(err));
				stop = true;
			}
		} else {
			stop = handle_exit(v, step, &ev);
		}
		if (stop) {
			struct vmdbg_stopped later; /* the stop at hand is the one to report */
			complete_io(v, &later);
			if (ev.reason == VMDBG_STOP_SHUTDOWN)
				ev.pc = current_pc(v); /* after the access that asked for it */
			vcpu_capture_sregs(v);
		}
		pthread_mutex_lock(&vm->lock);
		if (stop)
			enter_stopped_locked(v, &ev);
	}
	pthread_mutex_unlock(&vm->lock);
	urcu_memb_unregister_thread();
	return NULL;
}

/* Run fn on the stopped vCPU's own thread and wait for it. */
static bool on_vcpu(struct vm_kvm *vm, uint32_t index, void (*fn)(struct vcpu *, void *),
		    void *arg, GError **error)
{
	if (!vm_check_vcpu(vm->nr_vcpus, index, error))
		return false;
	struct vcpu *v = &vm->vcpus[index];
	pthread_mutex_lock(&vm->lock);
	if (v->state != VCPU_STOPPED) {
		pthread_mutex_unlock(&vm->lock);
		g_set_error(error, VM_ERROR, VMDBG_E_STATE, "vCPU %u is running: PAUSE first", index);
		return false;
	}
	v->work = fn;
	v->work_arg = arg;
	pthread_cond_broadcast(&vm->cond);
	while (v->work)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	return true;
}

static struct vcpu *stopped_vcpu(struct vm_kvm *vm, uint32_t index, GError **error)
{
	if (!vm_check_vcpu(vm->nr_vcpus, index, error))
		return NULL;
	struct vcpu *v = &vm->vcpus[index];
	pthread_mutex_lock(&vm->lock);
	bool stopped = v->state == VCPU_STOPPED;
	pthread_mutex_unlock(&vm->lock);
	if (!stopped) {
		g_set_error(error, VM_ERROR, VMDBG_E_STATE, "vCPU %u is running: PAUSE first", index);
		return NULL;
	}
	return v;
}

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
	if (!vm_resume_actions(vm->nr_vcpus, r, actions, error))
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
		v->step = actions[i] == VMDBG_ACT_STEP;
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
			v->state = VCPU_RUNNING;
		}
	}
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	g_message("debug state cleared: %zu software breakpoint(s) restored, guest resumed", removed);
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
	out->features = VMDBG_FEAT_HW_SLOTS_SHARED | VMDBG_FEAT_SINGLESTEP |
			(vm->int3 != KVM_INT3_TO_GUEST ? VMDBG_FEAT_SW_BP : 0) |
			(vm->blockirq ? VMDBG_FEAT_BLOCKIRQ : 0);
	out->max_frame = VMDBG_MAX_FRAME;
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
		s.cr0 = 0x80000011;  /* PG | ET | PE */
		s.cr3 = img->cr3;
		s.cr4 = 0x20;        /* PAE */
		s.efer = 0x500;      /* LMA | LME */
	} else {
		s.cr0 = 0x11;        /* ET | PE */
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
	vm->kvm_fd = vm->vm_fd = vm->notify_fd = vm->quit_fd = -1;
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

	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		set_host_error(error, "mmap(guest memory)");
		goto fail;
	}
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
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		set_host_error(error, "KVM_CREATE_VM");
		goto fail;
	}
	if (!create_platform(vm, error))
		goto fail;
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = vm->mem_size,
		.userspace_addr = (uintptr_t)vm->mem,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		set_host_error(error, "KVM_SET_USER_MEMORY_REGION");
		goto fail;
	}
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

static void kvm_destroy(struct vm *base)
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
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
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

static const struct vm_ops kvm_ops = {
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
};
