/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * arch.h - what dbgproxyd knows about one target architecture: its default
 * target description, how register names bind to the VM's register ids,
 * and which registers a stop reply expedites.  Everything else in the
 * daemon is architecture-neutral.
 */
#ifndef ARCH_H
#define ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#define ARCH_MAX_BANKS 4

/* A gdb register name bound to (a slice of) a VM register. */
struct arch_binding {
	uint64_t vm_id;
	uint32_t vm_offset;    /* first byte of the slice within the VM value */
	unsigned gdb_bits;     /* the width gdb must be given for this name */
	/* A banked register (AArch64 sp is SP_EL0 or SP_EL1 depending on
	 * PSTATE): when nbanks > 0 and the VM has select_id and every bank,
	 * the VM register behind the name is banks[select(value of
	 * select_id)], decided at each stop; otherwise vm_id is used. */
	unsigned nbanks;
	uint64_t banks[ARCH_MAX_BANKS];
	uint64_t select_id;
	unsigned (*select)(uint64_t selector_value);
	/* Where the value lives when the VM lacks vm_id (0: nowhere else):
	 * AArch64 V registers are the low 128 bits of Z on an SVE vCPU. */
	uint64_t fallback_id;
	uint32_t fallback_offset;
	/* gdb's width is the description's, up to the VM register's (SVE
	 * registers: as wide as the vector length, in 2048-bit containers). */
	bool any_width;
	/* A read-only register computed from the VM register's value (SVE vg
	 * from the vector lengths); gdb_bits is its width. */
	void (*derive)(const uint8_t *vm_value, uint32_t vm_bytes, uint8_t *out, unsigned out_bytes);
};

/* A VM configuration register's value (arch_ops.config_ids), or NULL. */
typedef const GBytes *(*arch_config_fn)(const void *ctx, uint64_t vm_id);

struct arch_ops {
	const char *name;      /* for messages */
	uint32_t vmdbg_arch;   /* enum vmdbg_arch */
	/* The built-in description for a vCPU that serves vm_ids (GArray of
	 * uint64_t), whose configuration registers config(ctx, id) gives. */
	char *(*default_tdesc)(const GArray *vm_ids, arch_config_fn config, const void *ctx);
	/* Configuration registers the description depends on, read once when
	 * the VM connects (0-terminated; NULL: none). */
	const uint64_t *config_ids;
	bool (*bind)(const char *name, struct arch_binding *out);
	const char *expedite[4];  /* register names sent with every stop, NULL-terminated */
	const char *const *required; /* registers every description must have, NULL-terminated */
	unsigned sw_bp_kind;      /* breakpoint kind gdb uses (Z0 kind) */
};

const struct arch_ops *arch_for(uint32_t vmdbg_arch);
extern const struct arch_ops arch_x86_64;
extern const struct arch_ops arch_arm64;
/* The same x86-64 VM seen as gdb's i386 (vmdbg_arch VMDBG_ARCH_X86_64):
 * eax..edi, eip, fs_base/gs_base are the low 32 bits of the VM's registers,
 * xmm0-7/ymm0h-7h/zmm0h-7h/k0-7 of the VM's; a write changes only those. */
extern const struct arch_ops arch_i386;
/* The VM registers arch_x86_for_mode needs, 0-terminated: CR0, EFER. */
extern const uint64_t arch_x86_mode_ids[];
/* The view of an x86 vCPU to serve a connecting gdb: &arch_x86_64 when
 * long mode is active (EFER.LMA with CR0.PG: 64-bit or compatibility
 * code), else &arch_i386 (protected mode with or without paging/PAE, EFER.LME
 * before paging, and real mode, whose registers gdb's i8086 shares). */
const struct arch_ops *arch_x86_for_mode(uint64_t cr0, uint64_t efer);

#endif
