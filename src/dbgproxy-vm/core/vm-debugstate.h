/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vm-debugstate.h - the VM's debug state as one immutable snapshot: the
 * software breakpoints it patched (keyed by guest-physical address, with
 * the original bytes) and the hardware debug registers of the last
 * SET_GUEST_DEBUG.
 *
 * The control thread builds a new snapshot for every change and publishes
 * it with RCU (liburcu); vCPU threads read the current snapshot without
 * locks on every debug exit and before every KVM_RUN.  A snapshot is never
 * modified after publication.
 */
#ifndef VM_DEBUGSTATE_H
#define VM_DEBUGSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "vmdbg.h"

#define SW_BP_MAX 4096

struct sw_bp {
	uint64_t gpa;   /* where the breakpoint instruction is */
	uint64_t gva;   /* the address the client asked for */
	uint8_t orig;   /* the guest's byte under it */
};

struct debug_state {
	uint64_t generation;       /* changes with every published snapshot */
	uint32_t control;          /* VMDBG_GDBG_* */
	struct vmdbg_x86_debugregs hw;
	size_t nr_sw;
	struct sw_bp sw[];         /* sorted by gpa */
};

struct debug_state *debug_state_new(void);
/* A copy with room for `extra` more breakpoints and the next generation. */
struct debug_state *debug_state_clone(const struct debug_state *s, size_t extra);
/* Index of the breakpoint at gpa, or -1. */
long debug_state_find(const struct debug_state *s, uint64_t gpa);
/* Index of the first breakpoint at or above gpa (nr_sw if none). */
size_t debug_state_lower_bound(const struct debug_state *s, uint64_t gpa);
/* Insert into a clone made with room; keeps the order. */
void debug_state_insert(struct debug_state *s, const struct sw_bp *bp);
void debug_state_remove(struct debug_state *s, size_t index);

/* What an int3 exit at a guest address means (the vCPU stopped on an
 * int3 it fetched at gpa, reported with rip at the int3):
 *  - INT3_OURS: a breakpoint is patched there (the snapshot has gpa);
 *  - INT3_GUEST: not ours, and the bytes there now are an int3 (0xCC, or
 *    CD 03): the guest's own, for its handler;
 *  - INT3_RERUN: not ours and no int3 there any more: ours, removed (the
 *    original byte restored) after the vCPU fetched it; run the restored
 *    instruction, rip unchanged.  Only once in a row at one pc
 *    (rerun_before: the previous exit of this vCPU was a rerun at the same
 *    pc): a second time it is no stale int3 but a real failure;
 *  - INT3_FAIL: that, or the bytes cannot be read.
 * bytes[0..n) are what guest memory holds at gpa now (n 0: unmapped). */
enum int3_verdict { INT3_OURS, INT3_GUEST, INT3_RERUN, INT3_FAIL };
enum int3_verdict debug_state_int3_verdict(const struct debug_state *s, uint64_t gpa,
					   const uint8_t *bytes, size_t n, bool rerun_before);

#endif
