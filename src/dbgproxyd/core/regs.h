/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * regs.h - registers by opaque handle.
 *
 * A regset is built once per CPU model from a target description and the
 * VM's register list: every <reg> becomes a handle that knows its gdb
 * number and width and, hidden from callers, the VM register id and byte
 * slice it maps to.  Identical vCPUs share one regset.  Lookups by name
 * (interned string) and by gdb register number are O(1).
 *
 * A regcache holds one vCPU's values between stops: the VM registers the
 * regset uses, each in ceil(bytes/8) 64-bit words of one buffer, found
 * through an index array; it is filled lazily (callers batch the missing
 * VM ids into one GET_REGS), written through on changes, and invalidated
 * when the vCPU runs.  No width is assumed: 1 to 256 bytes per register.
 *
 * This is also the interface plugins use.
 */
#ifndef REGS_H
#define REGS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "arch.h"
#include "tdesc.h"

struct reg_handle;
struct regset;
struct regcache;

struct regset *regset_new(const struct tdesc *td, const struct arch_ops *arch,
			  const GArray *vm_ids, GError **error);
/* The same for a vCPU of another model than the one the description was
 * made for: registers of the description this vCPU lacks are absent
 * (reg_handle_present false), not an error. */
struct regset *regset_new_partial(const struct tdesc *td, const struct arch_ops *arch,
				  const GArray *vm_ids, GError **error);
void regset_free(struct regset *rs);
/* Does this regset serve a vCPU with exactly these VM register ids? */
bool regset_matches(const struct regset *rs, const GArray *vm_ids);

unsigned regset_count(const struct regset *rs);
/* The i-th handle in gdb register-number order (the 'g' packet order). */
const struct reg_handle *regset_nth(const struct regset *rs, unsigned i);
const struct reg_handle *regset_by_name(const struct regset *rs, const char *name);
const struct reg_handle *regset_by_regnum(const struct regset *rs, unsigned regnum);
/* Total bytes of all registers: the size of a full 'g' reply. */
size_t regset_g_bytes(const struct regset *rs);

/* The VM register h is, when h is all of its low bytes (no bank, no
 * derivation, at most 8 bytes): what an agent expression evaluated in the
 * VM reads for h's gdb number. */
bool regset_plain_vm_id(const struct regset *rs, const struct reg_handle *h, uint64_t *id);

const char *reg_handle_name(const struct reg_handle *h);
unsigned reg_handle_regnum(const struct reg_handle *h);
unsigned reg_handle_bytes(const struct reg_handle *h);
/* False for registers computed from VM state (AArch64 vg): gdb may read
 * them, and write them only with the value they have. */
bool reg_handle_writable(const struct reg_handle *h);
/* False for a register of the description this vCPU's model lacks: gdb
 * hears it unavailable, writes to it are refused; the cache reads it as
 * zeros and never fetches it. */
bool reg_handle_present(const struct reg_handle *h);

struct regcache *regcache_new(const struct regset *rs);
void regcache_free(struct regcache *rc);
void regcache_invalidate(struct regcache *rc);
bool regcache_valid(const struct regcache *rc, const struct reg_handle *h);
/* Append to vm_ids (uint64_t) the VM registers that the n handles need and
 * the cache lacks, each once.  n == 0 with hs == NULL means every handle. */
void regcache_missing(const struct regcache *rc, const struct reg_handle *const *hs, unsigned n,
		      GArray *vm_ids);
/* Store a VM register value (from GET_REGS).  False if not in the set or
 * its size differs from the VM's. */
bool regcache_fill(struct regcache *rc, uint64_t vm_id, const uint8_t *value, uint32_t size);
/* gdb's view of a cached register: reg_handle_bytes(h) bytes. */
void regcache_read(const struct regcache *rc, const struct reg_handle *h, uint8_t *out);
/* Put gdb's new value into the cached VM register; returns that VM
 * register's id and whole new value for SET_REGS.  The VM register must be
 * cached (read-modify-write of slices), the handle writable. */
void regcache_write(struct regcache *rc, const struct reg_handle *h, const uint8_t *in,
		    uint64_t *vm_id, const uint8_t **vm_value, uint32_t *vm_bytes);

/* Write-through of a 'P' or 'G': put the new values of hs[0..n)
 * (concatenated in data, reg_handle_bytes() each) into the cache and
 * return in ids and vals what SET_REGS must carry: each VM register
 * touched, once, in first-touched order, with its whole value after all
 * the writes (slices of one VM register combine).  Read-only handles (a
 * derived register such as AArch64 vg) may only carry their current value,
 * as a G packet does for every register; any other value is refused: false,
 * *read_only = that handle, and nothing is changed.  The VM registers behind
 * hs must be cached. */
bool regcache_write_through(struct regcache *rc, const struct reg_handle *const *hs, unsigned n,
			    const uint8_t *data, GArray *ids, GByteArray *vals,
			    const struct reg_handle **read_only);

#endif
