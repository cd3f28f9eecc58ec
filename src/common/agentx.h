/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * agentx.h - gdb's agent expressions (gdb manual, "Agent Expressions"):
 * the bytecode gdb sends with a breakpoint's condition (Z0/Z1 ";X") and
 * commands (";cmds:"), checked once by a verifier and then evaluated where
 * the breakpoint hits — on the vCPU's own thread in dbgproxy-vm.
 *
 * Stack values are 64-bit integers; multi-byte operands are big-endian, as
 * gdb writes them.  Supported: every integer bytecode (arithmetic, bit and
 * comparison ops, ext/zero_ext, ref8..ref64, const8..const64, reg,
 * if_goto/goto, dup/pop/swap/pick/rot, end) and printf.  Floating point,
 * trace and trace-state-variable bytecodes are refused by the verifier.
 *
 * Bounds: at most AX_MAX_LEN bytes of code, a stack of AX_MAX_STACK values
 * (checked for every path by the verifier, and again while running), and
 * AX_MAX_STEPS bytecodes per evaluation (a loop is legal bytecode; an
 * endless one ends with an error instead of wedging the vCPU).
 */
#ifndef AGENTX_H
#define AGENTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#define AX_MAX_LEN   4096
#define AX_MAX_STACK 64
#define AX_MAX_STEPS 100000
#define AX_MAX_PRINT 1024   /* bytes of printf output per evaluation */

/* What an evaluation reads from the machine it runs for.  reg: gdb's
 * register number as the bytecode has it, the value zero-extended to 64
 * bits (false: no such register); mem: guest-virtual memory, len <= 8
 * (false: not mapped).  print: printf output, NUL-terminated (may be NULL:
 * printf then prints nothing). */
struct ax_env {
	bool (*reg)(void *ctx, unsigned regnum, uint64_t *value);
	bool (*mem)(void *ctx, uint64_t addr, unsigned len, uint8_t *out);
	void (*print)(void *ctx, const char *text);
	void *ctx;
	bool big_endian;    /* how ref16..ref64 assemble bytes (the target's order) */
};

/* Checks code once, before it is used: known bytecodes with their operands
 * inside the code, jumps to the start of a bytecode, no path that pops an
 * empty stack or grows it past AX_MAX_STACK, no path that runs off the end
 * without `end`.  False with a message that says where. */
bool ax_verify(const uint8_t *code, size_t len, GError **error);

/* Runs verified code.  True with *result the top of the stack at `end`
 * (0 when the stack is empty there, as after a command's printf);
 * false with a message (memory not mapped, division by zero, register
 * unknown, step budget spent, stack out of bounds). */
bool ax_eval(const uint8_t *code, size_t len, const struct ax_env *env, uint64_t *result,
	     GError **error);

/* The register numbers code reads (each once, in order of appearance);
 * returns how many, up to max (verified code only). */
unsigned ax_regs_used(const uint8_t *code, size_t len, uint16_t *regs, unsigned max);

#define AX_ERROR (ax_error_quark())
GQuark ax_error_quark(void);

#endif
