/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-a64-priv.h - what the two halves of the simulated AArch64 machine
 * share: vm-a64-sim.c (the simulation thread, guest memory, events) and
 * vm-a64.c (the vmdbg calls, creation).  Private to them.
 */
#ifndef VM_A64_PRIV_H
#define VM_A64_PRIV_H

#include "vm.h"

#include "a64-sim.h"
#include "vmdbg-conds.h"
#include "vm-shm.h"
#include "vm-watch.h"

#define RAM_BASE      UINT64_C(0x40000000)
#define UART_BASE     0x09000000ull   /* PL011 */
#define UART_SIZE     0x1000ull
#define UART_DR       0x0             /* data register */
#define QUANTUM       4096u           /* instructions per vCPU turn */
#define IDLE_SLEEP_US 1000            /* every running vCPU is in WFI */
#define SW_BP_LIMIT   4096u
#define A64_BRK0      0xd4200000u     /* BRK #0 */
#define INSN_BYTES    4u

/* PSTATE as KVM's core "pstate" register shows it (SPSR layout, D1.7) */
#define PSTATE_NZCV_MASK 0xf0000000ull
#define PSTATE_DAIF_MASK 0x3c0ull     /* D A I F, bits 9:6 */
#define PSTATE_M_EL1H    0x5ull       /* M[3:0] = EL1 with SP_EL1, M[4] = 0 (AArch64) */
#define PSTATE_M_MASK    0x1full
#define PSTATE_RESET     (PSTATE_DAIF_MASK | PSTATE_M_EL1H)

/* Vector offset for a synchronous exception from the current EL with
 * SP_ELx (D1.10.2, Table D1-7). */
#define VECTOR_CUR_SPX_SYNC 0x200ull

/* KVM core register word offsets past user_pt_regs (proto/vmdbg.h). */
#define NR_SPSR 5

/* The system registers the simulated vCPU has (KVM_REG_ARM64_SYSREG). */
enum sysreg_index {
	SR_MIDR, SR_MPIDR, SR_SCTLR, SR_CPACR, SR_TTBR0, SR_TTBR1, SR_TCR, SR_ESR, SR_FAR,
	SR_MAIR, SR_VBAR, SR_CONTEXTIDR, SR_TPIDR_EL1, SR_TPIDR_EL0, SR_MDSCR, NR_SYSREGS
};

enum vcpu_state { VCPU_RUNNING, VCPU_STOPPED };

struct sim_vcpu {
	unsigned index;
	unsigned sve_vl;             /* bits, 0 = no SVE (vCPUs may differ: --sve-vl 512,0) */
	struct a64_cpu cpu;          /* SP_EL1 is cpu.sp: the vCPU runs at EL1h */
	uint64_t sp_el0, elr_el1, spsr[NR_SPSR];
	uint64_t daif;               /* PSTATE.DAIF bits; NZCV lives in cpu.nzcv */
	uint64_t sys[NR_SYSREGS];
	/* SVE (when the VM has it): Z as 2048-bit containers, P and FFR as
	 * 256-bit ones; bytes past the vector length stay zero. */
	uint8_t (*z)[256];
	uint8_t (*p)[32];
	uint8_t ffr[32];
	enum vcpu_state state;
	bool step;                   /* the next instruction is a single step */
	struct vm_step_range range;  /* with step: steps go on while pc is in it (end 0: none) */
	bool idle;                   /* its last turn ended in WFI */
};

struct vm_a64 {
	struct vm base;              /* first: the ops of vm.h */
	uint8_t *ram;                /* shm.ram */
	struct vm_shm shm;
	bool no_conditions;          /* HELLO without CONDITIONS */
	bool watch_dead;             /* the self-test saw no watchpoint fire: HW_WATCH_DEAD */
	bool bp_dead;                /* nor a breakpoint: HW_BP_DEAD */
	struct vm_watches *watches;  /* page-protection watches (WATCH_INSERT) */
	struct vmdbg_stopped watch_hit; /* simulation thread: the hit mem.watch claimed */
	uint64_t ram_size;
	unsigned nr_vcpus;
	struct sim_vcpu *vcpus;
	int serial_fd;
	GString *serial_line;        /* simulation thread only */

	GMutex lock;
	GCond run_cond;              /* vCPUs to run, or quit */
	GCond ctl_done;              /* the control thread released the lock */
	gint ctl_waiting;            /* atomic */
	bool quit;
	GThread *thread;

	/* guarded by lock */
	struct a64_debug dbg;        /* the last SET_GUEST_DEBUG, for every vCPU */
	GHashTable *sw_bps;          /* uint64_t *addr -> original instruction word */
	struct vm_conds *conds;      /* breakpoint conditions (POINT_COND) */
	GQueue outputs;              /* struct cmd_output *: what commands printed */
	size_t output_bytes;         /* in outputs; past OUTPUT_LIMIT new text is dropped */
	uint64_t output_dropped;
	GQueue stops;                /* struct vmdbg_stopped * */
	bool dead;                   /* PSCI SYSTEM_OFF/RESET: the guest is over */
	int notify_fd;
};

/* PSCI function ids (DEN0022D, 5.1) and return values (5.2.2). */
#define PSCI_VERSION        0x84000000u
#define PSCI_SYSTEM_OFF     0x84000008u
#define PSCI_SYSTEM_RESET   0x84000009u
#define PSCI_VERSION_1_0    0x00010000u
#define PSCI_NOT_SUPPORTED  UINT64_MAX      /* -1 */

#define OUTPUT_LIMIT (1u << 20)

struct cmd_output {
	uint32_t vcpu;
	char *text;
};

static inline struct vm_a64 *of(struct vm *base)
{
	return (struct vm_a64 *)base;
}

/* vm-a64-sim.c */
void sim_ctl_lock(struct vm_a64 *vm);
void sim_ctl_unlock(struct vm_a64 *vm);
bool sim_in_ram(const struct vm_a64 *vm, uint64_t addr, uint64_t len);
void sim_serial_out(struct vm_a64 *vm, uint8_t byte);
uint32_t sim_ram_word(const struct vm_a64 *vm, uint64_t addr);
void sim_set_ram_word(struct vm_a64 *vm, uint64_t addr, uint32_t w);
uint64_t sim_pstate_of(const struct sim_vcpu *v);
gpointer sim_thread(gpointer arg);

/* vm-a64.c */
/* Put the original instructions back into a copy of RAM [addr, addr+n). */
void sim_hide_sw_bps(struct vm_a64 *vm, uint64_t addr, uint8_t *buf, uint64_t n);
/* With the lock held: vCPU index exists and the vCPU is stopped. */
struct sim_vcpu *sim_stopped_vcpu(struct vm_a64 *vm, uint32_t index, GError **error);

/* vm-a64-regs.c: the register calls of vm_ops */
/* Where register id lives in v (NULL: not one of v's; *pstate: it is PSTATE). */
void *sim_reg_storage(struct vm_a64 *vm, struct sim_vcpu *v, uint64_t id, bool *pstate);
uint64_t sim_sysreg_reset(unsigned k);  /* system register k's value at reset */
bool a64_reg_list(struct vm *base, uint32_t vcpu, GArray *ids, GError **error);
bool a64_get_regs(struct vm *base, uint32_t vcpu, const uint64_t *ids, uint32_t count,
		  GByteArray *values, GError **error);
bool a64_set_regs(struct vm *base, const struct vmdbg_reg_vals *vals, GError **error);

#endif
