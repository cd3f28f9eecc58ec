/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * a64-sim.h - a pure interpreter for a documented subset of the A64
 * instruction set, with the Arm debug architecture's breakpoint,
 * watchpoint, software-step and BRK behaviour, for dbgproxy-vm's simulated
 * AArch64 back end.  No threads, no I/O: one call executes at most one
 * instruction of one vCPU against caller-supplied memory.
 *
 * Execution state: EL1, AArch64, MMU off (virtual = physical), little
 * endian.  Memory is reached only through struct a64_mem.
 *
 * Subset (Arm ARM C6 "A64 Base Instruction Descriptions"):
 *   MOVZ MOVN MOVK; ADD SUB ADDS SUBS (immediate, shifted register;
 *   CMP/CMN/MOV-to/from-SP aliases); AND ORR EOR ANDS (immediate and
 *   shifted register; MOV (register), TST aliases); UBFM/SBFM (LSL LSR ASR
 *   UXTB UXTH SXTW... aliases); LDR STR LDRB STRB LDRH STRH LDRSW
 *   (unsigned offset, pre-index, post-index, register offset with optional
 *   LSL/UXTW/SXTW/SXTX); LDR (literal); LDP STP (signed offset, pre-index,
 *   post-index; 32- and 64-bit); ADR ADRP; B BL BR BLR RET; CBZ CBNZ; TBZ
 *   TBNZ; B.cond; NOP (and other HINTs, executed as NOP except WFI/WFE);
 *   BRK; HLT; HVC (an exit for the VM to answer); WFI WFE.  Both 32-bit (W) and 64-bit (X) forms where the
 *   instruction has them.  Anything else is UNDEFINED, reported with its
 *   encoding; no state changes.
 */
#ifndef A64_SIM_H
#define A64_SIM_H

#include <stdbool.h>
#include <stdint.h>

struct a64_cpu {
	uint64_t x[31];          /* X0-X30 */
	uint64_t sp;             /* SP_EL1 */
	uint64_t pc;
	uint32_t nzcv;           /* N Z C V in bits 31..28, as the NZCV register */
	uint8_t v[32][16];       /* V0-V31 (kept; no SIMD instructions executed) */
	uint32_t fpsr, fpcr;
};

/* Guest memory.  Return false for an address outside memory (the
 * instruction then stops with A64_MEM_FAULT and no state change). */
struct a64_mem {
	bool (*read)(void *ctx, uint64_t addr, void *buf, unsigned len);
	bool (*write)(void *ctx, uint64_t addr, const void *buf, unsigned len);
	void *ctx;
	/* NULL, or asked before each data access (after the watchpoint
	 * check): true stops it with A64_PAGE_WATCH, nothing executed. */
	bool (*watch)(void *ctx, uint64_t addr, unsigned len, bool store);
};

/* The external debugger's registers, as KVM_SET_GUEST_DEBUG gives them
 * (struct kvm_guest_debug_arch for arm64).  Only the first nbps/nwps
 * entries exist.  Matching follows the Arm ARM for execution at EL1:
 *  - breakpoint n (D2.9): DBGBCR.E = 1, PMC allows EL1 (PMC bit 0 set, with
 *    HMC = 0, SSC = 0), BT = 0b0000 (unlinked address match), BAS = 0b1111,
 *    and DBGBVR[52:2] == PC[52:2] (bits above 52 ignored); taken BEFORE the
 *    instruction executes;
 *  - watchpoint n (D2.10): DBGWCR.E = 1, PAC allows EL1 (PAC bit 0), LSC
 *    matches the access (bit 0 load, bit 1 store), and the access overlaps
 *    the watched bytes: with MASK = 0, the bytes of the 8-byte aligned
 *    doubleword at DBGWVR[52:3] selected by BAS; with MASK = m (3..31), the
 *    2^m bytes at DBGWVR with its low m bits cleared (BAS must be 0xFF).
 *    Taken BEFORE the access changes anything (no register or memory
 *    update of the instruction), with FAR = the lowest address of the
 *    access (which lies within the access) and ESR.ISS.WnR = 1 for a
 *    store.  A load/store pair is one access of its total size. */
struct a64_debug {
	bool enabled;            /* KVM_GUESTDBG_ENABLE|USE_HW: registers live */
	unsigned nbps, nwps;
	uint64_t bcr[16], bvr[16], wcr[16], wvr[16];
	bool single_step;        /* software step: stop after one instruction */
	bool watch_dead;         /* watchpoints are accepted but never match (a host
				  * like nested kvm_pvm, modelled) */
	bool bp_dead;            /* so are breakpoints (QEMU's emulated SVM, modelled) */
};

enum a64_exit {
	A64_OK,                  /* one instruction executed, nothing to report */
	A64_BREAKPOINT,          /* hardware breakpoint before pc; nothing executed */
	A64_WATCHPOINT,          /* watchpoint before the access; nothing executed */
	A64_SOFTWARE_STEP,       /* single_step: the instruction executed */
	A64_BRK,                 /* BRK #imm; pc still at the BRK */
	A64_HLT,                 /* HLT #imm; pc still at the HLT */
	A64_HVC,                 /* HVC #imm: a call to the hypervisor (the VM);
				  * pc advanced past the HVC, the preferred return */
	A64_WFI,                 /* WFI or WFE executed (pc advanced): idle */
	A64_UNDEFINED,           /* not in the subset; nothing executed */
	A64_MEM_FAULT,           /* a fetch or access outside memory; nothing executed */
	A64_PAGE_WATCH,          /* mem->watch claimed the access (far); nothing executed */
};

/* ESR_EL2 values as KVM reports debug exits (Arm ARM D17.2.37 ESR_ELx):
 * EC in bits 31:26, IL (bit 25) = 1. */
#define A64_EC_BREAKPOINT_CUR  0x31u   /* breakpoint, same EL */
#define A64_EC_SSTEP_CUR       0x33u   /* software step, same EL */
#define A64_EC_WATCHPOINT_CUR  0x35u   /* watchpoint, same EL */
#define A64_EC_BRK64           0x3cu
#define A64_ESR_IL             (1u << 25)
#define A64_ESR_WNR            (1u << 6)

struct a64_event {
	enum a64_exit type;
	uint64_t esr;            /* BREAKPOINT, WATCHPOINT, SOFTWARE_STEP, BRK */
	uint64_t far;            /* WATCHPOINT: the access address; MEM_FAULT: the faulting address */
	uint32_t insn;           /* the instruction word (UNDEFINED, BRK, HLT, HVC) */
	unsigned watchpoint;     /* WATCHPOINT: the lowest-numbered matching slot */
};

/* Execute at most one instruction.  Order (Arm ARM): breakpoint check at
 * pc; fetch; decode; for loads/stores, watchpoint check of the whole
 * access; execute; then, if single_step, report A64_SOFTWARE_STEP (ESR EC
 * 0x33) unless another exit was reported. */
enum a64_exit a64_step(struct a64_cpu *cpu, const struct a64_debug *dbg, const struct a64_mem *mem,
		       struct a64_event *ev);

/* Human-readable name of an exit, for logs. */
const char *a64_exit_name(enum a64_exit e);

#endif
