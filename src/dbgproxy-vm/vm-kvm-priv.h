/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-kvm-priv.h - what the files of dbgproxy-vm's KVM machine share:
 * vm-kvm.c (the vm_ops the vmdbg server calls: registers, memory, guest
 * debug, software breakpoints, run control), vm-kvm-vcpu.c (one thread per
 * vCPU running KVM_RUN, and what each exit means), vm-kvm-platform.c (the
 * devices, console and VGA mirror behind the exits) and vm-kvm-create.c
 * (VM, vCPU and platform creation, and teardown).
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
#ifndef VM_KVM_PRIV_H
#define VM_KVM_PRIV_H

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
#include "x86-paging.h"
#include "vm-shm.h"
#include "vm-watch.h"
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
	struct vm_step_range range;  /* RANGE_STEP: steps go on while pc is in it (end 0: none) */
	void (*work)(struct vcpu *v, void *arg);
	void *work_arg;

	/* owned by the vCPU thread while running, by the control thread while stopped */
	struct kvm_sregs sregs;      /* at the last stop: the page walker's input */
	uint64_t applied_gen;        /* debug-state generation last given to KVM */
	uint64_t applied_dr7;        /* the DR7 KVM has for it (0: no USE_HW_BP) */
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
	/* an instruction fetched from a page without a slot (vm-kvm-watch.c):
	 * stepped with that page mapped in the vCPU's spare slot */
	bool fetch_step;
	uint64_t fetch_page;
	bool stopped_by_event;       /* guarded by vm->lock: its last stop sent STOPPED */
};

struct vm_kvm {
	struct vm base;              /* first: the ops of vm.h */
	int kvm_fd, vm_fd;
	uint8_t *mem;                /* shm.ram */
	uint64_t mem_size;
	struct vm_shm shm;           /* guest RAM as a file a client can map */
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

	/* page-protection watches (vm-kvm-watch.c); slots change only while
	 * every vCPU is stopped */
	struct vm_watches *watches;
	GArray *slots;               /* struct kvm_slot by slot id: what KVM has */
	bool readonly_mem;           /* KVM_CAP_READONLY_MEM: HELLO PAGE_WATCH */
	bool hw_watch_dead;          /* the self-test's DR0 write watchpoint did not fire */
	bool hw_bp_dead;             /* nor its DR0 execution breakpoint */
	uint32_t fetch_slot;         /* spare slot of vCPU i: fetch_slot - i */

	pthread_mutex_t serial_lock;
};

/* vm-kvm-vcpu.c */
bool gva_to_gpa(struct vm_kvm *vm, const struct kvm_sregs *s, uint64_t gva, uint64_t *gpa,
		uint64_t *contig);
void kick_all(struct vm_kvm *vm);
void kick_locked(struct vcpu *v);
void publish(struct vm_kvm *vm, struct debug_state *next);
struct vcpu *stopped_vcpu(struct vm_kvm *vm, uint32_t index, GError **error);
/* Run fn(v, arg) on stopped vCPU index's own thread and wait for it. */
bool on_vcpu(struct vm_kvm *vm, uint32_t index, void (*fn)(struct vcpu *, void *), void *arg,
	     GError **error);
void *vcpu_thread(void *arg);

/* vm-kvm-emul.c: instructions the host failed to emulate (an internal
 * error at pc), completed as the CPU would.  The guest's own int3: true
 * when #BP went to its handler.  Others: what was done. */
bool vm_kvm_deliver_guest_int3(struct vcpu *v, struct kvm_regs *regs, uint64_t pc);
enum emul_result {
	EMUL_FAILED,   /* not an instruction done here, or it cannot be: stop */
	EMUL_DONE,     /* executed: rip is past it */
	EMUL_FAULTED,  /* it raised an exception in the guest: rip is at it */
};
enum emul_result vm_kvm_complete_insn(struct vcpu *v, struct kvm_regs *regs, uint64_t pc);

/* vm-kvm-platform.c: the userspace devices (pc_ops callbacks) and the
 * helper threads (their argument is the struct vm_kvm *) */
bool handle_io(struct vcpu *v);
void handle_mmio(struct vcpu *v);
void *console_thread(void *arg);
int64_t pc_now_ns(void *opaque);
void pc_reset(void *opaque);
void pc_serial_tx(void *opaque, uint8_t byte);
void pc_set_irq(void *opaque, unsigned irq, bool level);
void *vga_thread(void *arg);

/* vm-kvm-watch.c */
bool vm_kvm_watch_init(struct vm_kvm *vm, GError **error);  /* guest RAM's slots, self-test */
void vm_kvm_watch_free(struct vm_kvm *vm);
bool kvm_watch(struct vm *base, bool insert, const struct vmdbg_watch *w, GError **error);
uint32_t kvm_watch_list(struct vm *base, struct vmdbg_watch_info *out);
unsigned vm_kvm_watch_clear(struct vm_kvm *vm);
bool vm_kvm_watch_mmio(struct vcpu *v, bool *hit, struct vmdbg_stopped *ev);
bool vm_kvm_fetch_blocked(struct vcpu *v, uint64_t pc, uint64_t *gpa_page);
bool vm_kvm_fetch_map(struct vcpu *v, uint64_t gpa_page, bool map);

/* vm-kvm.c */
extern const struct vm_ops kvm_ops;
bool kvm_with_all_stopped(struct vm_kvm *vm, bool (*fn)(struct vm_kvm *vm, void *arg), void *arg,
			  GError **error);

/* vm-kvm-create.c */
void kvm_destroy(struct vm *base);

#endif
