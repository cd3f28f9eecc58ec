/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * bench-a64.c - figures for the A64 interpreter behind dbgproxy-vm --arch
 * aarch64: simulated instructions per second for a load/store loop, with
 * the debug registers off and with every breakpoint and watchpoint pair
 * armed (none matching), so the cost of the debug architecture's checks
 * shows.  Prints numbers; asserts nothing about speed.
 */
#include <stdio.h>
#include <string.h>
#include <glib.h>

#include "a64-sim.h"

#define MEM_BASE 0x40000000ull
#define MEM_SIZE 0x10000u

static uint8_t mem[MEM_SIZE];

static bool rd(void *ctx, uint64_t a, void *buf, unsigned len)
{
	(void)ctx;
	if (a < MEM_BASE || a - MEM_BASE + len > MEM_SIZE)
		return false;
	memcpy(buf, mem + (a - MEM_BASE), len);
	return true;
}

static bool wr(void *ctx, uint64_t a, const void *buf, unsigned len)
{
	(void)ctx;
	if (a < MEM_BASE || a - MEM_BASE + len > MEM_SIZE)
		return false;
	memcpy(mem + (a - MEM_BASE), buf, len);
	return true;
}

static double run(const struct a64_debug *dbg, unsigned long steps)
{
	struct a64_cpu cpu;
	memset(&cpu, 0, sizeof(cpu));
	cpu.pc = MEM_BASE;
	cpu.x[1] = MEM_BASE + 0x8000;
	const struct a64_mem m = { rd, wr, NULL, NULL };
	gint64 t0 = g_get_monotonic_time();
	for (unsigned long i = 0; i < steps; i++) {
		struct a64_event ev;
		if (a64_step(&cpu, dbg, &m, &ev) != A64_OK) {
			fprintf(stderr, "bench-a64: unexpected exit %s\n", a64_exit_name(ev.type));
			return 0;
		}
	}
	return (double)steps / ((double)(g_get_monotonic_time() - t0) / 1e6);
}

int main(void)
{
	/* loop: ldr x2,[x1]; add x2,x2,#1; str x2,[x1,#8]; add x0,x0,#1; b loop */
	static const uint32_t prog[] = { 0xf9400022, 0x91000442, 0xf9000422, 0x91000400, 0x17fffffc };
	for (unsigned i = 0; i < G_N_ELEMENTS(prog); i++) {
		uint32_t le = GUINT32_TO_LE(prog[i]);
		memcpy(mem + 4 * i, &le, 4);
	}
	const unsigned long steps = 20000000ul;
	struct a64_debug off = { 0 };
	struct a64_debug armed = { .enabled = true, .nbps = 16, .nwps = 16 };
	for (unsigned i = 0; i < 16; i++) {
		armed.bcr[i] = 0x1e7;                            /* E, PMC=3, BAS=0xf */
		armed.bvr[i] = MEM_BASE + 0x4000 + 4 * i;       /* never executed */
		armed.wcr[i] = 0x1ff7 | (i % 2 ? 0 : 0x8);      /* E, PAC=3, LSC, BAS=0xff */
		armed.wvr[i] = MEM_BASE + 0x9000 + 8 * i;       /* never accessed */
	}
	printf("a64-sim: %.1f M instructions/s, debug registers off\n", run(&off, steps) / 1e6);
	printf("a64-sim: %.1f M instructions/s, 16 breakpoints + 16 watchpoints armed\n",
	       run(&armed, steps) / 1e6);
	return 0;
}
