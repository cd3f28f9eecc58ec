/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-conds.h - breakpoint conditions evaluated where a breakpoint hits (vmdbg
 * POINT_COND): per breakpoint address, gdb's agent-expression bytecode —
 * conditions and commands (dprintf's agent printf), verified when they
 * arrive — and the table from gdb's register numbers to register ids.
 * The back end asks, when a vCPU hits a breakpoint, whether the hit is to
 * be reported or stepped over unseen (as gdbserver: a true condition runs
 * the commands, and a point with commands reports nothing).
 */
#ifndef VMDBG_CONDS_H
#define VMDBG_CONDS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "vmdbg-glib.h"

struct vm_conds;

struct vm_conds *vm_conds_new(void);
void vm_conds_free(struct vm_conds *t);

/* Replaces the conditions and commands of c->addr (none: removes them).  Every
 * expression is verified first: one that fails is EINVAL, with the
 * verifier's words, and nothing changes. */
bool vm_conds_set(struct vm_conds *t, const struct vmdbg_point_cond *c, GError **error);
void vm_conds_clear(struct vm_conds *t);
unsigned vm_conds_count(const struct vm_conds *t);

/* How the back end reads the vCPU that hit: a register by id (value
 * zero-extended; wider registers give their low 64 bits), guest-virtual
 * memory as that vCPU sees it. */
struct vm_cond_access {
	bool (*reg)(void *ctx, uint64_t id, uint64_t *value);
	bool (*mem)(void *ctx, uint64_t addr, unsigned len, uint8_t *out);
	void *ctx;
};

enum vm_cond_verdict {
	VM_COND_REPORT,    /* nothing at addr, or a true condition and no commands */
	VM_COND_SKIP,      /* every condition false, or the commands ran: step over */
	VM_COND_FAILED,    /* an expression failed (message set): report the stop */
};

/* The verdict for a hit at addr; message (VM_COND_FAILED) to g_free;
 * what the commands printed is appended to output. */
enum vm_cond_verdict vm_conds_eval(const struct vm_conds *t, uint64_t addr,
				   const struct vm_cond_access *acc, GString *output,
				   char **message);

#endif
