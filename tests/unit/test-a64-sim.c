/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-a64-sim.c - unit tests of the A64 interpreter (src/dbgproxy-vm/core/a64-sim.h):
 * the instruction subset, exits (BRK HLT WFI UNDEFINED MEM_FAULT) and the
 * debug architecture (hardware breakpoints and watchpoints, software step).
 *
 * Instruction words are built by the small encoders below, each written
 * from the field layout of its encoding class in the Arm ARM (DDI 0487,
 * chapter C4 "A64 Instruction Set Encoding"; C6.2 for the individual
 * instructions).  Every word goes through E(word, "assembler text"); with
 * A64_SIM_DUMP_ENCODINGS set in the environment the test prints
 * "ENC <word> <text>" lines on stderr, which were compared against
 * aarch64-linux-gnu-as/objdump output while writing this file (the test
 * itself needs no assembler).  PC-relative texts use ".+offset" so the
 * comparison does not depend on where the word sits (ADRP: "." on a page
 * boundary).
 *
 * Memory: 64 KiB of RAM at 0x40000000; everything else faults.
 */
#include "a64-sim.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- memory --------------------------------------------------------------- */

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000u
#define CODE     (RAM_BASE + 0x1000)   /* where test instructions go */
#define DATA     (RAM_BASE + 0x8000)   /* a data area */

static uint8_t ram[RAM_SIZE];

static bool in_ram(uint64_t addr, unsigned len)
{
	return addr >= RAM_BASE && addr - RAM_BASE <= RAM_SIZE && len <= RAM_SIZE - (addr - RAM_BASE);
}

static bool ram_read(void *ctx, uint64_t addr, void *buf, unsigned len)
{
	if (!in_ram(addr, len))
		return false;
	memcpy(buf, ram + (addr - RAM_BASE), len);
	return true;
}

static bool ram_write(void *ctx, uint64_t addr, const void *buf, unsigned len)
{
	if (!in_ram(addr, len))
		return false;
	memcpy(ram + (addr - RAM_BASE), buf, len);
	return true;
}

static const struct a64_mem mem = { ram_read, ram_write, NULL, NULL };

static void poke32(uint64_t addr, uint32_t v)
{
	g_assert_true(in_ram(addr, 4));
	for (unsigned i = 0; i < 4; i++)
		ram[addr - RAM_BASE + i] = (uint8_t)(v >> (8 * i));
}

static void poke64(uint64_t addr, uint64_t v)
{
	g_assert_true(in_ram(addr, 8));
	for (unsigned i = 0; i < 8; i++)
		ram[addr - RAM_BASE + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t peek(uint64_t addr, unsigned len)
{
	uint64_t v = 0;
	g_assert_true(in_ram(addr, len));
	for (unsigned i = len; i-- > 0;)
		v = v << 8 | ram[addr - RAM_BASE + i];
	return v;
}

/* ---- encoders (Arm ARM C4.1) ------------------------------------------------ */

/* Record a word with the assembler text it encodes (see the file comment). */
static uint32_t E(uint32_t word, const char *text)
{
	if (getenv("A64_SIM_DUMP_ENCODINGS"))
		fprintf(stderr, "ENC %08x %s\n", word, text);
	return word;
}

/* Data Processing -- Immediate */
/* Move wide (immediate): sf opc(2) 100101 hw(2) imm16 Rd; opc 00 MOVN 10 MOVZ 11 MOVK */
static uint32_t movw(unsigned sf, unsigned opc, unsigned hw, unsigned imm16, unsigned rd)
{
	return sf << 31 | opc << 29 | 0x25u << 23 | hw << 21 | (imm16 & 0xffff) << 5 | rd;
}
#define MOVN 0u
#define MOVZ 2u
#define MOVK 3u

/* Add/subtract (immediate): sf op S 100010 sh imm12 Rn Rd */
static uint32_t addsub_imm(unsigned sf, unsigned op, unsigned s, unsigned sh, unsigned imm12, unsigned rn,
			   unsigned rd)
{
	return sf << 31 | op << 30 | s << 29 | 0x22u << 23 | sh << 22 | (imm12 & 0xfff) << 10 | rn << 5 | rd;
}

/* Logical (immediate): sf opc(2) 100100 N immr imms Rn Rd; opc 00 AND 01 ORR 10 EOR 11 ANDS */
static uint32_t logic_imm(unsigned sf, unsigned opc, unsigned n, unsigned immr, unsigned imms, unsigned rn,
			  unsigned rd)
{
	return sf << 31 | opc << 29 | 0x24u << 23 | n << 22 | immr << 16 | imms << 10 | rn << 5 | rd;
}

/* Bitfield: sf opc(2) 100110 N immr imms Rn Rd; opc 00 SBFM 10 UBFM */
static uint32_t bitfield(unsigned sf, unsigned opc, unsigned immr, unsigned imms, unsigned rn, unsigned rd)
{
	return sf << 31 | opc << 29 | 0x26u << 23 | sf << 22 | immr << 16 | imms << 10 | rn << 5 | rd;
}

/* PC-rel. addressing: op immlo(2) 10000 immhi(19) Rd; op 0 ADR, 1 ADRP */
static uint32_t adr(unsigned op, int64_t imm21, unsigned rd)
{
	uint32_t imm = (uint32_t)imm21 & 0x1fffff;
	return op << 31 | (imm & 3) << 29 | 0x10u << 24 | (imm >> 2) << 5 | rd;
}

/* Data Processing -- Register */
/* Add/subtract (shifted register): sf op S 01011 shift(2) 0 Rm imm6 Rn Rd */
static uint32_t addsub_reg(unsigned sf, unsigned op, unsigned s, unsigned shift, unsigned rm, unsigned imm6,
			   unsigned rn, unsigned rd)
{
	return sf << 31 | op << 30 | s << 29 | 0x0bu << 24 | shift << 22 | rm << 16 | imm6 << 10 | rn << 5 | rd;
}

/* Logical (shifted register): sf opc(2) 01010 shift(2) N Rm imm6 Rn Rd */
static uint32_t logic_reg(unsigned sf, unsigned opc, unsigned shift, unsigned rm, unsigned imm6, unsigned rn,
			  unsigned rd)
{
	return sf << 31 | opc << 29 | 0x0au << 24 | shift << 22 | rm << 16 | imm6 << 10 | rn << 5 | rd;
}
#define LSL 0u
#define LSR 1u
#define ASR 2u

/* Loads and Stores */
/* Load/store register (unsigned immediate): size(2) 111 V=0 01 opc(2) imm12 Rn Rt */
static uint32_t ldst_uimm(unsigned size, unsigned opc, unsigned imm12, unsigned rn, unsigned rt)
{
	return size << 30 | 0x39u << 24 | opc << 22 | imm12 << 10 | rn << 5 | rt;
}
#define ST 0u      /* opc: store */
#define LD 1u      /* opc: load (zero-extending) */
#define LDSW 2u    /* opc with size 10: LDRSW */

/* Load/store register (immediate post-indexed / pre-indexed):
 * size(2) 111 V=0 00 opc(2) 0 imm9 idx(2) Rn Rt; idx 01 post, 11 pre */
static uint32_t ldst_idx(unsigned size, unsigned opc, int imm9, unsigned idx, unsigned rn, unsigned rt)
{
	return size << 30 | 0x38u << 24 | opc << 22 | ((uint32_t)imm9 & 0x1ff) << 12 | idx << 10 | rn << 5 | rt;
}
#define POST 1u
#define PRE  3u

/* Load/store register (register offset):
 * size(2) 111 V=0 00 opc(2) 1 Rm option(3) S 10 Rn Rt */
static uint32_t ldst_reg(unsigned size, unsigned opc, unsigned rm, unsigned option, unsigned s, unsigned rn,
			 unsigned rt)
{
	return size << 30 | 0x38u << 24 | opc << 22 | 1u << 21 | rm << 16 | option << 13 | s << 12 | 2u << 10 |
	       rn << 5 | rt;
}
#define UXTW 2u
#define XLSL 3u    /* option 011: LSL (UXTX) */
#define SXTW 6u
#define SXTX 7u

/* Load register (literal): opc(2) 011 V=0 00 imm19 Rt; opc 00 W, 01 X */
static uint32_t ldr_lit(unsigned opc, int imm19, unsigned rt)
{
	return opc << 30 | 0x18u << 24 | ((uint32_t)imm19 & 0x7ffff) << 5 | rt;
}

/* Load/store register pair: opc(2) 101 V=0 idx(3 bits 25:23, 0xx) L imm7 Rt2 Rn Rt;
 * opc 00 32-bit, 10 64-bit; idx 001 post, 010 signed offset, 011 pre */
static uint32_t ldstp(unsigned opc, unsigned idx, unsigned l, int imm7, unsigned rt2, unsigned rn, unsigned rt)
{
	return opc << 30 | 0x5u << 27 | idx << 23 | l << 22 | ((uint32_t)imm7 & 0x7f) << 15 | rt2 << 10 | rn << 5 |
	       rt;
}
#define P_POST 1u
#define P_OFF  2u
#define P_PRE  3u

/* Branches, Exception Generating and System instructions */
/* Unconditional branch (immediate): op 00101 imm26; op 0 B, 1 BL */
static uint32_t b_imm(unsigned op, int64_t off)
{
	return op << 31 | 0x5u << 26 | ((uint32_t)(off / 4) & 0x3ffffff);
}

/* Unconditional branch (register): 1101011 opc(4) 11111 000000 Rn 00000 */
static uint32_t br_reg(unsigned opc, unsigned rn)
{
	return 0xd61f0000u | opc << 21 | rn << 5;
}
#define BR  0u
#define BLR 1u
#define RET 2u

/* Compare and branch (immediate): sf 011010 op imm19 Rt; op 0 CBZ 1 CBNZ */
static uint32_t cb(unsigned sf, unsigned op, int64_t off, unsigned rt)
{
	return sf << 31 | 0x1au << 25 | op << 24 | ((uint32_t)(off / 4) & 0x7ffff) << 5 | rt;
}

/* Test and branch (immediate): b5 011011 op b40(5) imm14 Rt; op 0 TBZ 1 TBNZ */
static uint32_t tb(unsigned op, unsigned bitpos, int64_t off, unsigned rt)
{
	return (bitpos >> 5) << 31 | 0x1bu << 25 | op << 24 | (bitpos & 0x1f) << 19 |
	       ((uint32_t)(off / 4) & 0x3fff) << 5 | rt;
}

/* Conditional branch (immediate): 0101010 0 imm19 0 cond */
static uint32_t bcond(unsigned cond, int64_t off)
{
	return 0x54000000u | ((uint32_t)(off / 4) & 0x7ffff) << 5 | cond;
}

/* Exception generation: 11010100 opc(3) imm16 op2(3) LL(2); BRK opc 001, HLT opc 010 */
static uint32_t excgen(unsigned opc, unsigned imm16)
{
	return 0xd4000000u | opc << 21 | imm16 << 5;
}

/* Hints: 1101010100 0 00 011 0010 CRm op2 11111 */
static uint32_t hint(unsigned crm, unsigned op2)
{
	return 0xd503201fu | crm << 8 | op2 << 5;
}

/* ---- the machine ---------------------------------------------------------- */

#define N_FLAG (1u << 31)
#define Z_FLAG (1u << 30)
#define C_FLAG (1u << 29)
#define V_FLAG (1u << 28)

#define ESR_EC(ec) ((uint64_t)(ec) << 26)

static struct a64_cpu cpu;
static struct a64_debug dbg;
static struct a64_event ev;

static void reset(void)
{
	memset(ram, 0, sizeof(ram));
	memset(&cpu, 0, sizeof(cpu));
	memset(&dbg, 0, sizeof(dbg));
	memset(&ev, 0, sizeof(ev));
	cpu.pc = CODE;
	cpu.sp = RAM_BASE + 0xf000;
	dbg.nbps = 6;
	dbg.nwps = 4;
}

/* Place insn at pc and execute one step. */
static enum a64_exit run(uint32_t insn)
{
	poke32(cpu.pc, insn);
	memset(&ev, 0xa5, sizeof(ev));
	enum a64_exit e = a64_step(&cpu, &dbg, &mem, &ev);
	g_assert_cmpint(ev.type, ==, e);
	return e;
}

/* Execute one instruction that must complete normally. */
static void ok(uint32_t insn)
{
	uint64_t pc = cpu.pc;
	enum a64_exit e = run(insn);
	if (e != A64_OK)
		g_error("insn %08x at %#llx: %s, expected ok", insn, (unsigned long long)pc, a64_exit_name(e));
}

/* Execute insn and check that it stops with `want` and changes neither
 * registers nor memory. */
static void no_change(uint32_t insn, enum a64_exit want)
{
	poke32(cpu.pc, insn);
	struct a64_cpu before = cpu;
	static uint8_t ram_before[RAM_SIZE];
	memcpy(ram_before, ram, sizeof(ram));
	memset(&ev, 0xa5, sizeof(ev));
	enum a64_exit e = a64_step(&cpu, &dbg, &mem, &ev);
	g_assert_cmpstr(a64_exit_name(e), ==, a64_exit_name(want));
	g_assert_cmpint(ev.type, ==, want);
	g_assert_true(memcmp(&before, &cpu, sizeof(cpu)) == 0);
	g_assert_true(memcmp(ram_before, ram, sizeof(ram)) == 0);
}

/* ---- data processing -------------------------------------------------------- */

static void test_movewide(void)
{
	reset();
	ok(E(movw(1, MOVZ, 1, 0x1234, 0), "movz x0, #0x1234, lsl #16"));
	g_assert_cmphex(cpu.x[0], ==, 0x12340000);
	g_assert_cmphex(cpu.pc, ==, CODE + 4);
	ok(E(movw(1, MOVK, 3, 0xdead, 0), "movk x0, #0xdead, lsl #48"));
	g_assert_cmphex(cpu.x[0], ==, 0xdead000012340000ull);
	ok(E(movw(1, MOVK, 0, 0xbeef, 0), "movk x0, #0xbeef"));
	g_assert_cmphex(cpu.x[0], ==, 0xdead00001234beefull);
	ok(E(movw(1, MOVN, 0, 0, 1), "movn x1, #0x0"));
	g_assert_cmphex(cpu.x[1], ==, ~0ull);
	ok(E(movw(1, MOVN, 2, 0x5, 2), "movn x2, #0x5, lsl #32"));
	g_assert_cmphex(cpu.x[2], ==, 0xfffffffaffffffffull);
	/* W forms zero-extend */
	ok(E(movw(0, MOVN, 0, 0x1, 3), "movn w3, #0x1"));
	g_assert_cmphex(cpu.x[3], ==, 0xfffffffe);
	cpu.x[4] = 0xffffffffffffffffull;
	ok(E(movw(0, MOVK, 1, 0x1234, 4), "movk w4, #0x1234, lsl #16"));
	g_assert_cmphex(cpu.x[4], ==, 0x1234ffff);
	ok(E(movw(0, MOVZ, 0, 0xffff, 5), "movz w5, #0xffff"));
	g_assert_cmphex(cpu.x[5], ==, 0xffff);
	/* writes to XZR are discarded */
	ok(E(movw(1, MOVZ, 0, 7, 31), "movz xzr, #0x7"));
	for (unsigned i = 6; i < 31; i++)
		g_assert_cmphex(cpu.x[i], ==, 0);
	g_assert_cmphex(cpu.sp, ==, RAM_BASE + 0xf000);
}

static void test_addsub_imm(void)
{
	reset();
	cpu.x[1] = 100;
	ok(E(addsub_imm(1, 0, 0, 0, 23, 1, 0), "add x0, x1, #23"));
	g_assert_cmphex(cpu.x[0], ==, 123);
	ok(E(addsub_imm(1, 0, 0, 1, 2, 1, 0), "add x0, x1, #0x2, lsl #12"));
	g_assert_cmphex(cpu.x[0], ==, 100 + 0x2000);
	ok(E(addsub_imm(1, 1, 0, 0, 101, 1, 0), "sub x0, x1, #101"));
	g_assert_cmphex(cpu.x[0], ==, ~0ull);
	g_assert_cmphex(cpu.nzcv, ==, 0);   /* SUB does not set flags */

	/* SP as base and destination (MOV to/from SP aliases, ADD/SUB sp) */
	cpu.sp = RAM_BASE + 0xf000;
	ok(E(addsub_imm(1, 1, 0, 0, 0x20, 31, 31), "sub sp, sp, #0x20"));
	g_assert_cmphex(cpu.sp, ==, RAM_BASE + 0xefe0);
	ok(E(addsub_imm(1, 0, 0, 0, 0, 31, 2), "mov x2, sp"));
	g_assert_cmphex(cpu.x[2], ==, RAM_BASE + 0xefe0);
	cpu.x[3] = 0x40002000;
	ok(E(addsub_imm(1, 0, 0, 0, 0, 3, 31), "mov sp, x3"));
	g_assert_cmphex(cpu.sp, ==, 0x40002000);
	ok(E(addsub_imm(1, 0, 0, 0, 16, 31, 4), "add x4, sp, #16"));
	g_assert_cmphex(cpu.x[4], ==, 0x40002010);

	/* ADDS/SUBS flags; S forms write XZR, not SP (CMP/CMN) */
	cpu.x[5] = 5;
	ok(E(addsub_imm(1, 1, 1, 0, 5, 5, 31), "cmp x5, #5"));
	g_assert_cmphex(cpu.nzcv, ==, Z_FLAG | C_FLAG);
	g_assert_cmphex(cpu.sp, ==, 0x40002000);
	ok(E(addsub_imm(1, 1, 1, 0, 6, 5, 6), "subs x6, x5, #6"));
	g_assert_cmphex(cpu.x[6], ==, ~0ull);
	g_assert_cmphex(cpu.nzcv, ==, N_FLAG);   /* borrow: C clear */
	cpu.x[7] = 0x7fffffffffffffffull;
	ok(E(addsub_imm(1, 0, 1, 0, 1, 7, 8), "adds x8, x7, #1"));
	g_assert_cmphex(cpu.x[8], ==, 0x8000000000000000ull);
	g_assert_cmphex(cpu.nzcv, ==, N_FLAG | V_FLAG);
	cpu.x[9] = ~0ull;
	ok(E(addsub_imm(1, 0, 1, 0, 1, 9, 31), "cmn x9, #1"));
	g_assert_cmphex(cpu.nzcv, ==, Z_FLAG | C_FLAG);
	cpu.x[10] = 0x8000000000000000ull;
	ok(E(addsub_imm(1, 1, 1, 0, 1, 10, 11), "subs x11, x10, #1"));
	g_assert_cmphex(cpu.x[11], ==, 0x7fffffffffffffffull);
	g_assert_cmphex(cpu.nzcv, ==, C_FLAG | V_FLAG);

	/* 32-bit: flags from bit 31, result zero-extended */
	cpu.x[12] = 0xffffffff7fffffffull;
	ok(E(addsub_imm(0, 0, 1, 0, 1, 12, 13), "adds w13, w12, #1"));
	g_assert_cmphex(cpu.x[13], ==, 0x80000000ull);
	g_assert_cmphex(cpu.nzcv, ==, N_FLAG | V_FLAG);
	cpu.x[14] = 0x1ffffffffull;
	ok(E(addsub_imm(0, 0, 1, 0, 1, 14, 15), "adds w15, w14, #1"));
	g_assert_cmphex(cpu.x[15], ==, 0);
	g_assert_cmphex(cpu.nzcv, ==, Z_FLAG | C_FLAG);
	ok(E(addsub_imm(0, 1, 0, 0, 1, 31, 16), "sub w16, wsp, #1"));
	g_assert_cmphex(cpu.x[16], ==, 0x40001fffull);
	ok(E(addsub_imm(0, 0, 0, 0, 0, 9, 31), "mov wsp, w9"));
	g_assert_cmphex(cpu.sp, ==, 0xffffffffull);
}

static void test_addsub_reg(void)
{
	reset();
	cpu.x[1] = 0x1000;
	cpu.x[2] = 3;
	ok(E(addsub_reg(1, 0, 0, LSL, 2, 4, 1, 0), "add x0, x1, x2, lsl #4"));
	g_assert_cmphex(cpu.x[0], ==, 0x1030);
	ok(E(addsub_reg(1, 1, 0, LSL, 2, 0, 1, 0), "sub x0, x1, x2"));
	g_assert_cmphex(cpu.x[0], ==, 0xffd);
	cpu.x[3] = 0x8000000000000000ull;
	ok(E(addsub_reg(1, 0, 0, ASR, 3, 60, 31, 4), "add x4, xzr, x3, asr #60"));
	g_assert_cmphex(cpu.x[4], ==, 0xfffffffffffffff8ull);
	ok(E(addsub_reg(1, 0, 0, LSR, 3, 60, 1, 4), "add x4, x1, x3, lsr #60"));
	g_assert_cmphex(cpu.x[4], ==, 0x1008);
	ok(E(addsub_reg(1, 1, 0, LSL, 1, 0, 31, 5), "neg x5, x1"));
	g_assert_cmphex(cpu.x[5], ==, (uint64_t)-0x1000);
	g_assert_cmphex(cpu.nzcv, ==, 0);

	/* flags: carry without overflow, overflow without carry, both */
	cpu.x[6] = ~0ull;
	cpu.x[7] = 2;
	ok(E(addsub_reg(1, 0, 1, LSL, 7, 0, 6, 8), "adds x8, x6, x7"));
	g_assert_cmphex(cpu.x[8], ==, 1);
	g_assert_cmphex(cpu.nzcv, ==, C_FLAG);
	cpu.x[6] = 0x4000000000000000ull;
	ok(E(addsub_reg(1, 0, 1, LSL, 6, 0, 6, 8), "adds x8, x6, x6"));
	g_assert_cmphex(cpu.nzcv, ==, N_FLAG | V_FLAG);
	cpu.x[6] = 0x8000000000000000ull;
	ok(E(addsub_reg(1, 0, 1, LSL, 6, 0, 6, 8), "adds x8, x6, x6"));
	g_assert_cmphex(cpu.x[8], ==, 0);
	g_assert_cmphex(cpu.nzcv, ==, Z_FLAG | C_FLAG | V_FLAG);
	cpu.x[7] = 1;
	ok(E(addsub_reg(1, 1, 1, LSL, 7, 0, 6, 31), "cmp x6, x7"));
	g_assert_cmphex(cpu.nzcv, ==, C_FLAG | V_FLAG);
	ok(E(addsub_reg(1, 1, 1, LSL, 6, 0, 7, 9), "subs x9, x7, x6"));
	g_assert_cmphex(cpu.x[9], ==, 0x8000000000000001ull);
	g_assert_cmphex(cpu.nzcv, ==, N_FLAG | V_FLAG);

	/* 32-bit */
	cpu.x[10] = 0xdeadbeef00000001ull;
	cpu.x[11] = 0x12345678ffffffffull;
	ok(E(addsub_reg(0, 0, 1, LSL, 11, 0, 10, 12), "adds w12, w10, w11"));
	g_assert_cmphex(cpu.x[12], ==, 0);
	g_assert_cmphex(cpu.nzcv, ==, Z_FLAG | C_FLAG);
	ok(E(addsub_reg(0, 1, 1, LSL, 11, 0, 10, 12), "subs w12, w10, w11"));
	g_assert_cmphex(cpu.x[12], ==, 2);
	g_assert_cmphex(cpu.nzcv, ==, 0);
	ok(E(addsub_reg(0, 0, 0, LSL, 10, 31, 10, 13), "add w13, w10, w10, lsl #31"));
	g_assert_cmphex(cpu.x[13], ==, 0x80000001ull);
}

static void test_logical(void)
{
	reset();
	cpu.x[1] = 0x123456789abcdef0ull;
	/* bitmask immediates (DecodeBitMasks) */
	ok(E(logic_imm(1, 0, 1, 0, 7, 1, 0), "and x0, x1, #0xff"));
	g_assert_cmphex(cpu.x[0], ==, 0xf0);
	ok(E(logic_imm(1, 1, 0, 0, 0x30, 31, 2), "orr x2, xzr, #0x0101010101010101"));
	g_assert_cmphex(cpu.x[2], ==, 0x0101010101010101ull);
	ok(E(logic_imm(1, 2, 0, 0, 0x2e, 1, 3), "eor x3, x1, #0x7fff7fff7fff7fff"));
	g_assert_cmphex(cpu.x[3], ==, 0x123456789abcdef0ull ^ 0x7fff7fff7fff7fffull);
	ok(E(logic_imm(1, 0, 1, 4, 3, 1, 4), "and x4, x1, #0xf000000000000000"));
	g_assert_cmphex(cpu.x[4], ==, 0x1000000000000000ull);
	ok(E(logic_imm(1, 1, 0, 0, 0x3c, 31, 31), "orr sp, xzr, #0x5555555555555555"));
	g_assert_cmphex(cpu.sp, ==, 0x5555555555555555ull);
	ok(E(logic_imm(0, 1, 0, 16, 15, 31, 5), "orr w5, wzr, #0xffff0000"));
	g_assert_cmphex(cpu.x[5], ==, 0xffff0000ull);
	ok(E(logic_imm(0, 2, 0, 0, 0, 1, 6), "eor w6, w1, #0x1"));
	g_assert_cmphex(cpu.x[6], ==, 0x9abcdef1ull);
	/* ANDS / TST */
	ok(E(logic_imm(1, 3, 1, 1, 0, 1, 7), "ands x7, x1, #0x8000000000000000"));
	g_assert_cmphex(cpu.x[7], ==, 0);
	g_assert_cmphex(cpu.nzcv, ==, Z_FLAG);
	cpu.nzcv = C_FLAG | V_FLAG;   /* C and V are cleared */
	ok(E(logic_imm(0, 3, 0, 1, 0, 1, 31), "tst w1, #0x80000000"));
	g_assert_cmphex(cpu.nzcv, ==, N_FLAG);
	/* a reserved immediate (imms all ones within the element) */
	no_change(E(0x92400000u | (0x3fu << 10), ".inst 0x9240fc00"), A64_UNDEFINED);

	/* register forms */
	cpu.x[8] = 0xff00ff00ff00ff00ull;
	cpu.x[9] = 0x0ff00ff00ff00ff0ull;
	ok(E(logic_reg(1, 0, LSL, 9, 0, 8, 10), "and x10, x8, x9"));
	g_assert_cmphex(cpu.x[10], ==, 0x0f000f000f000f00ull);
	ok(E(logic_reg(1, 1, LSR, 9, 4, 8, 10), "orr x10, x8, x9, lsr #4"));
	g_assert_cmphex(cpu.x[10], ==, 0xffffffffffffffffull);
	ok(E(logic_reg(1, 2, LSL, 9, 0, 8, 10), "eor x10, x8, x9"));
	g_assert_cmphex(cpu.x[10], ==, 0xf0f0f0f0f0f0f0f0ull);
	ok(E(logic_reg(1, 1, LSL, 8, 0, 31, 11), "mov x11, x8"));
	g_assert_cmphex(cpu.x[11], ==, 0xff00ff00ff00ff00ull);
	ok(E(logic_reg(0, 1, LSL, 8, 0, 31, 12), "mov w12, w8"));
	g_assert_cmphex(cpu.x[12], ==, 0xff00ff00ull);
	ok(E(logic_reg(1, 3, ASR, 8, 63, 8, 13), "ands x13, x8, x8, asr #63"));
	g_assert_cmphex(cpu.x[13], ==, 0xff00ff00ff00ff00ull);
	g_assert_cmphex(cpu.nzcv, ==, N_FLAG);
	ok(E(logic_reg(0, 3, LSL, 9, 0, 8, 31), "tst w8, w9"));
	g_assert_cmphex(cpu.nzcv, ==, 0);
	cpu.x[14] = 0xf0;
	ok(E(logic_reg(1, 3, LSL, 14, 0, 14, 31), "tst x14, x14"));
	g_assert_cmphex(cpu.nzcv, ==, 0);
	ok(E(logic_reg(1, 3, LSL, 31, 0, 14, 31), "tst x14, xzr"));
	g_assert_cmphex(cpu.nzcv, ==, Z_FLAG);
}

static void test_bitfield(void)
{
	reset();
	cpu.x[1] = 0x8000000080000001ull;
	ok(E(bitfield(1, 2, 60, 59, 1, 0), "lsl x0, x1, #4"));
	g_assert_cmphex(cpu.x[0], ==, 0x0000000800000010ull);
	ok(E(bitfield(1, 2, 4, 63, 1, 0), "lsr x0, x1, #4"));
	g_assert_cmphex(cpu.x[0], ==, 0x0800000008000000ull);
	ok(E(bitfield(1, 0, 4, 63, 1, 0), "asr x0, x1, #4"));
	g_assert_cmphex(cpu.x[0], ==, 0xf800000008000000ull);
	ok(E(bitfield(0, 0, 4, 31, 1, 0), "asr w0, w1, #4"));
	g_assert_cmphex(cpu.x[0], ==, 0xf8000000ull);
	ok(E(bitfield(0, 2, 4, 31, 1, 0), "lsr w0, w1, #4"));
	g_assert_cmphex(cpu.x[0], ==, 0x08000000ull);
	ok(E(bitfield(0, 2, 31, 30, 1, 0), "lsl w0, w1, #1"));
	g_assert_cmphex(cpu.x[0], ==, 0x2ull);
	ok(E(bitfield(1, 0, 0, 31, 1, 2), "sxtw x2, w1"));
	g_assert_cmphex(cpu.x[2], ==, 0xffffffff80000001ull);
	cpu.x[3] = 0x7fffffff;
	ok(E(bitfield(1, 0, 0, 31, 3, 2), "sxtw x2, w3"));
	g_assert_cmphex(cpu.x[2], ==, 0x7fffffffull);
	cpu.x[4] = 0x12345680;
	ok(E(bitfield(0, 2, 0, 7, 4, 5), "uxtb w5, w4"));
	g_assert_cmphex(cpu.x[5], ==, 0x80);
	ok(E(bitfield(0, 2, 0, 15, 4, 5), "uxth w5, w4"));
	g_assert_cmphex(cpu.x[5], ==, 0x5680);
	ok(E(bitfield(1, 0, 0, 7, 4, 5), "sxtb x5, w4"));
	g_assert_cmphex(cpu.x[5], ==, 0xffffffffffffff80ull);
	ok(E(bitfield(1, 2, 8, 15, 4, 6), "ubfx x6, x4, #8, #8"));
	g_assert_cmphex(cpu.x[6], ==, 0x56);
	/* BFM is outside the subset; sf != N is reserved */
	no_change(E(0xb3401c20u, "bfxil x0, x1, #0, #8"), A64_UNDEFINED);
	no_change(E(0x93007c20u, ".inst 0x93007c20"), A64_UNDEFINED);
}

/* ---- loads and stores ------------------------------------------------------- */

static void test_ldst_single(void)
{
	reset();
	poke64(DATA, 0x8877665544332211ull);
	poke64(DATA + 8, 0xfedcba9876543210ull);
	cpu.x[1] = DATA;

	/* unsigned offset, all sizes */
	ok(E(ldst_uimm(3, LD, 1, 1, 0), "ldr x0, [x1, #8]"));
	g_assert_cmphex(cpu.x[0], ==, 0xfedcba9876543210ull);
	cpu.x[2] = ~0ull;
	ok(E(ldst_uimm(2, LD, 1, 1, 2), "ldr w2, [x1, #4]"));
	g_assert_cmphex(cpu.x[2], ==, 0x88776655ull);
	ok(E(ldst_uimm(1, LD, 3, 1, 2), "ldrh w2, [x1, #6]"));
	g_assert_cmphex(cpu.x[2], ==, 0x8877ull);
	ok(E(ldst_uimm(0, LD, 7, 1, 2), "ldrb w2, [x1, #7]"));
	g_assert_cmphex(cpu.x[2], ==, 0x88ull);
	ok(E(ldst_uimm(2, LDSW, 1, 1, 3), "ldrsw x3, [x1, #4]"));
	g_assert_cmphex(cpu.x[3], ==, 0xffffffff88776655ull);
	ok(E(ldst_uimm(2, LDSW, 0, 1, 3), "ldrsw x3, [x1]"));
	g_assert_cmphex(cpu.x[3], ==, 0x44332211ull);

	cpu.x[4] = 0x0102030405060708ull;
	ok(E(ldst_uimm(3, ST, 2, 1, 4), "str x4, [x1, #16]"));
	g_assert_cmphex(peek(DATA + 16, 8), ==, 0x0102030405060708ull);
	ok(E(ldst_uimm(2, ST, 6, 1, 4), "str w4, [x1, #24]"));
	g_assert_cmphex(peek(DATA + 24, 8), ==, 0x05060708ull);
	ok(E(ldst_uimm(1, ST, 13, 1, 4), "strh w4, [x1, #26]"));
	g_assert_cmphex(peek(DATA + 24, 8), ==, 0x07080708ull);
	ok(E(ldst_uimm(0, ST, 31, 1, 4), "strb w4, [x1, #31]"));
	g_assert_cmphex(peek(DATA + 24, 8), ==, 0x0800000007080708ull);
	ok(E(ldst_uimm(3, ST, 4, 1, 31), "str xzr, [x1, #32]"));
	g_assert_cmphex(peek(DATA + 32, 8), ==, 0);

	/* SP as base */
	cpu.sp = DATA;
	ok(E(ldst_uimm(3, LD, 0, 31, 5), "ldr x5, [sp]"));
	g_assert_cmphex(cpu.x[5], ==, 0x8877665544332211ull);

	/* pre-index and post-index writeback */
	cpu.x[6] = DATA + 16;
	ok(E(ldst_idx(3, LD, -8, PRE, 6, 7), "ldr x7, [x6, #-8]!"));
	g_assert_cmphex(cpu.x[7], ==, 0xfedcba9876543210ull);
	g_assert_cmphex(cpu.x[6], ==, DATA + 8);
	ok(E(ldst_idx(3, LD, -8, POST, 6, 7), "ldr x7, [x6], #-8"));
	g_assert_cmphex(cpu.x[7], ==, 0xfedcba9876543210ull);
	g_assert_cmphex(cpu.x[6], ==, DATA);
	ok(E(ldst_idx(0, LD, 1, POST, 6, 7), "ldrb w7, [x6], #1"));
	g_assert_cmphex(cpu.x[7], ==, 0x11);
	g_assert_cmphex(cpu.x[6], ==, DATA + 1);
	ok(E(ldst_idx(1, LD, 1, PRE, 6, 7), "ldrh w7, [x6, #1]!"));
	g_assert_cmphex(cpu.x[7], ==, 0x4433);
	g_assert_cmphex(cpu.x[6], ==, DATA + 2);
	ok(E(ldst_idx(2, LDSW, 2, PRE, 6, 7), "ldrsw x7, [x6, #2]!"));
	g_assert_cmphex(cpu.x[7], ==, 0xffffffff88776655ull);
	g_assert_cmphex(cpu.x[6], ==, DATA + 4);

	cpu.sp = DATA + 0x100;
	cpu.x[8] = 0xaaaabbbbccccddddull;
	ok(E(ldst_idx(3, ST, -16, PRE, 31, 8), "str x8, [sp, #-16]!"));
	g_assert_cmphex(cpu.sp, ==, DATA + 0xf0);
	g_assert_cmphex(peek(DATA + 0xf0, 8), ==, 0xaaaabbbbccccddddull);
	ok(E(ldst_idx(2, ST, 4, POST, 31, 8), "str w8, [sp], #4"));
	g_assert_cmphex(cpu.sp, ==, DATA + 0xf4);
	ok(E(ldst_idx(0, ST, -1, PRE, 31, 8), "strb w8, [sp, #-1]!"));
	g_assert_cmphex(cpu.sp, ==, DATA + 0xf3);
	g_assert_cmphex(peek(DATA + 0xf0, 8), ==, 0xaaaabbbbddccdddd);
	ok(E(ldst_idx(1, ST, 255, POST, 31, 8), "strh w8, [sp], #255"));
	g_assert_cmphex(cpu.sp, ==, DATA + 0xf3 + 255);
	g_assert_cmphex(peek(DATA + 0xf0, 8), ==, 0xaaaabbddddccddddull);

	/* register offset */
	cpu.x[9] = DATA;
	cpu.x[10] = 1;
	ok(E(ldst_reg(3, LD, 10, XLSL, 1, 9, 11), "ldr x11, [x9, x10, lsl #3]"));
	g_assert_cmphex(cpu.x[11], ==, 0xfedcba9876543210ull);
	ok(E(ldst_reg(3, LD, 10, XLSL, 0, 9, 11), "ldr x11, [x9, x10]"));
	g_assert_cmphex(cpu.x[11], ==, 0x1088776655443322ull);
	cpu.x[10] = 0xffffffff00000003ull;   /* UXTW ignores the top half */
	ok(E(ldst_reg(2, LD, 10, UXTW, 1, 9, 11), "ldr w11, [x9, w10, uxtw #2]"));
	g_assert_cmphex(cpu.x[11], ==, 0xfedcba98ull);
	cpu.x[12] = DATA + 8;
	cpu.x[10] = 0xfffffffffull;   /* SXTW: -1 */
	ok(E(ldst_reg(3, LD, 10, SXTW, 1, 12, 11), "ldr x11, [x12, w10, sxtw #3]"));
	g_assert_cmphex(cpu.x[11], ==, 0x8877665544332211ull);
	cpu.x[10] = (uint64_t)-2;
	ok(E(ldst_reg(1, LD, 10, SXTX, 0, 12, 11), "ldrh w11, [x12, x10, sxtx]"));
	g_assert_cmphex(cpu.x[11], ==, 0x8877ull);
	cpu.x[10] = 2;
	ok(E(ldst_reg(0, ST, 10, XLSL, 0, 12, 31), "strb wzr, [x12, x10]"));
	g_assert_cmphex(peek(DATA + 8, 8), ==, 0xfedcba9876003210ull);
	ok(E(ldst_reg(2, LDSW, 10, XLSL, 1, 9, 13), "ldrsw x13, [x9, x10, lsl #2]"));
	g_assert_cmphex(cpu.x[13], ==, 0x76003210ull);

	/* CONSTRAINED UNPREDICTABLE Rt == Rn with writeback, as a64-sim.c
	 * chooses: a load suppresses the writeback, a store stores the old
	 * base */
	cpu.x[1] = DATA;
	ok(E(ldst_idx(3, LD, 8, POST, 1, 1), "ldr x1, [x1], #8"));
	g_assert_cmphex(cpu.x[1], ==, 0x8877665544332211ull);
	cpu.x[1] = DATA + 0x40;
	ok(E(ldst_idx(3, ST, 8, PRE, 1, 1), "str x1, [x1, #8]!"));
	g_assert_cmphex(cpu.x[1], ==, DATA + 0x48);
	g_assert_cmphex(peek(DATA + 0x48, 8), ==, DATA + 0x40);
	cpu.x[1] = DATA;
	ok(E(ldstp(2, P_POST, 1, 2, 2, 1, 1), "ldp x1, x2, [x1], #16"));
	g_assert_cmphex(cpu.x[1], ==, 0x8877665544332211ull);
	g_assert_cmphex(cpu.x[2], ==, 0xfedcba9876003210ull);
}

static void test_ldr_literal(void)
{
	reset();
	poke64(CODE + 0x40, 0x1122334455667788ull);
	ok(E(ldr_lit(1, 0x40 / 4, 0), "ldr x0, .+0x40"));
	g_assert_cmphex(cpu.x[0], ==, 0x1122334455667788ull);
	cpu.x[1] = ~0ull;
	ok(E(ldr_lit(0, 0x3c / 4, 1), "ldr w1, .+0x3c"));   /* pc is now CODE + 4 */
	g_assert_cmphex(cpu.x[1], ==, 0x55667788ull);
	poke32(CODE, 0xcafef00d);
	ok(E(ldr_lit(0, -8 / 4, 2), "ldr w2, .-8"));
	g_assert_cmphex(cpu.x[2], ==, 0xcafef00dull);
}

static void test_ldst_pair(void)
{
	reset();
	cpu.x[1] = 0x1111111111111111ull;
	cpu.x[2] = 0x2222222222222222ull;
	cpu.x[3] = DATA;
	ok(E(ldstp(2, P_OFF, 0, 2, 2, 3, 1), "stp x1, x2, [x3, #16]"));
	g_assert_cmphex(peek(DATA + 16, 8), ==, 0x1111111111111111ull);
	g_assert_cmphex(peek(DATA + 24, 8), ==, 0x2222222222222222ull);
	g_assert_cmphex(cpu.x[3], ==, DATA);
	ok(E(ldstp(2, P_OFF, 1, 2, 4, 3, 5), "ldp x5, x4, [x3, #16]"));
	g_assert_cmphex(cpu.x[5], ==, 0x1111111111111111ull);
	g_assert_cmphex(cpu.x[4], ==, 0x2222222222222222ull);

	/* the usual prologue / epilogue */
	cpu.sp = DATA + 0x200;
	cpu.x[29] = 0x2929;
	cpu.x[30] = 0x3030;
	ok(E(ldstp(2, P_PRE, 0, -2, 30, 31, 29), "stp x29, x30, [sp, #-16]!"));
	g_assert_cmphex(cpu.sp, ==, DATA + 0x1f0);
	g_assert_cmphex(peek(DATA + 0x1f0, 8), ==, 0x2929);
	g_assert_cmphex(peek(DATA + 0x1f8, 8), ==, 0x3030);
	cpu.x[29] = cpu.x[30] = 0;
	ok(E(ldstp(2, P_POST, 1, 2, 30, 31, 29), "ldp x29, x30, [sp], #16"));
	g_assert_cmphex(cpu.sp, ==, DATA + 0x200);
	g_assert_cmphex(cpu.x[29], ==, 0x2929);
	g_assert_cmphex(cpu.x[30], ==, 0x3030);

	/* 32-bit: 4-byte elements, zero-extended loads */
	cpu.x[6] = 0xaaaaaaaa01020304ull;
	cpu.x[7] = 0xbbbbbbbb05060708ull;
	cpu.x[8] = DATA + 0x100;
	ok(E(ldstp(0, P_PRE, 0, -1, 7, 8, 6), "stp w6, w7, [x8, #-4]!"));
	g_assert_cmphex(cpu.x[8], ==, DATA + 0xfc);
	g_assert_cmphex(peek(DATA + 0xfc, 8), ==, 0x0506070801020304ull);
	ok(E(ldstp(0, P_POST, 1, 3, 10, 8, 9), "ldp w9, w10, [x8], #12"));
	g_assert_cmphex(cpu.x[8], ==, DATA + 0x108);
	g_assert_cmphex(cpu.x[9], ==, 0x01020304ull);
	g_assert_cmphex(cpu.x[10], ==, 0x05060708ull);
	ok(E(ldstp(0, P_OFF, 1, -3, 9, 8, 10), "ldp w10, w9, [x8, #-12]"));
	g_assert_cmphex(cpu.x[10], ==, 0x01020304ull);
	g_assert_cmphex(cpu.x[9], ==, 0x05060708ull);
	ok(E(ldstp(2, P_OFF, 0, -8, 31, 8, 31), "stp xzr, xzr, [x8, #-64]"));
	g_assert_cmphex(peek(DATA + 0xc8, 8), ==, 0);
}

static void test_adr(void)
{
	reset();
	ok(E(adr(0, 0x101, 0), "adr x0, .+0x101"));
	g_assert_cmphex(cpu.x[0], ==, CODE + 0x101);
	ok(E(adr(0, -4, 1), "adr x1, .-4"));
	g_assert_cmphex(cpu.x[1], ==, CODE);
	cpu.pc = CODE + 0x234;
	ok(E(adr(1, 3, 2), "adrp x2, .+0x3000"));
	g_assert_cmphex(cpu.x[2], ==, CODE + 0x3000);
	ok(E(adr(1, -0x40000, 3), "adrp x3, .-0x40000000"));
	g_assert_cmphex(cpu.x[3], ==, CODE - 0x40000000ull);
}

/* ---- branches ----------------------------------------------------------------- */

static void test_branches(void)
{
	reset();
	ok(E(b_imm(0, 0x100), "b .+0x100"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x100);
	ok(E(b_imm(0, -0x80), "b .-0x80"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x80);
	ok(E(b_imm(1, 0x20), "bl .+0x20"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0xa0);
	g_assert_cmphex(cpu.x[30], ==, CODE + 0x84);
	ok(E(br_reg(RET, 30), "ret"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x84);
	cpu.x[5] = CODE + 0x400;
	ok(E(br_reg(BR, 5), "br x5"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x400);
	cpu.x[6] = CODE + 0x10;
	ok(E(br_reg(BLR, 6), "blr x6"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x10);
	g_assert_cmphex(cpu.x[30], ==, CODE + 0x404);
	/* BLR x30: the target is read before the link is written */
	cpu.x[30] = CODE + 0x800;
	ok(E(br_reg(BLR, 30), "blr x30"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x800);
	g_assert_cmphex(cpu.x[30], ==, CODE + 0x14);
	cpu.x[7] = CODE + 0x20;
	ok(E(br_reg(RET, 7), "ret x7"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x20);
}

static void test_cbz_tbz(void)
{
	reset();
	cpu.x[1] = 0;
	ok(E(cb(1, 0, 0x40, 1), "cbz x1, .+0x40"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x40);
	ok(E(cb(1, 1, 0x40, 1), "cbnz x1, .+0x40"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x44);
	cpu.x[1] = 0x100000000ull;   /* W form sees only the low half */
	ok(E(cb(0, 0, -0x44, 1), "cbz w1, .-0x44"));
	g_assert_cmphex(cpu.pc, ==, CODE);
	ok(E(cb(1, 0, -0x44, 1), "cbz x1, .-0x44"));
	g_assert_cmphex(cpu.pc, ==, CODE + 4);
	ok(E(cb(1, 1, 0x3c, 1), "cbnz x1, .+0x3c"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x40);
	ok(E(cb(0, 1, 0x40, 1), "cbnz w1, .+0x40"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x44);

	cpu.pc = CODE;
	cpu.x[2] = 1ull << 40 | 1u << 3;
	ok(E(tb(0, 3, 0x20, 2), "tbz x2, #3, .+0x20"));
	g_assert_cmphex(cpu.pc, ==, CODE + 4);
	ok(E(tb(1, 3, 0x20, 2), "tbnz x2, #3, .+0x20"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x24);
	ok(E(tb(1, 40, -0x24, 2), "tbnz x2, #40, .-0x24"));
	g_assert_cmphex(cpu.pc, ==, CODE);
	ok(E(tb(0, 40, 0x20, 2), "tbz x2, #40, .+0x20"));
	g_assert_cmphex(cpu.pc, ==, CODE + 4);
	ok(E(tb(0, 39, 0x1c, 2), "tbz x2, #39, .+0x1c"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x20);
	ok(E(tb(1, 4, 0x20, 2), "tbnz w2, #4, .+0x20"));
	g_assert_cmphex(cpu.pc, ==, CODE + 0x24);
}

/* The reference: each condition from the operands' comparison, not from
 * the flags. */
static bool cond_ref(unsigned cond, uint64_t a, uint64_t b)
{
	int64_t sa = (int64_t)a, sb = (int64_t)b, d;
	bool ovf = __builtin_sub_overflow(sa, sb, &d);
	bool r;
	switch (cond >> 1) {
	case 0: r = a == b; break;          /* EQ */
	case 1: r = a >= b; break;          /* CS/HS */
	case 2: r = (int64_t)(a - b) < 0; break;   /* MI */
	case 3: r = ovf; break;             /* VS */
	case 4: r = a > b; break;           /* HI */
	case 5: r = sa >= sb; break;        /* GE */
	case 6: r = sa > sb; break;         /* GT */
	default: return true;               /* AL, NV */
	}
	return (cond & 1) ? !r : r;
}

static void test_bcond(void)
{
	static const char *const names[16] = { "eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc",
					       "hi", "ls", "ge", "lt", "gt", "le", "al", "nv" };
	static const uint64_t pairs[][2] = {
		{ 1, 2 }, { 2, 1 }, { 5, 5 }, { 0, 0 }, { 0x8000000000000000ull, 1 },
		{ 0x7fffffffffffffffull, ~0ull }, { ~0ull, 1 }, { 1, ~0ull }, { 0x8000000000000000ull, 0 },
	};
	unsigned taken = 0, not_taken = 0;
	reset();
	for (unsigned p = 0; p < G_N_ELEMENTS(pairs); p++) {
		for (unsigned c = 0; c < 16; c++) {
			char text[32];
			cpu.pc = CODE;
			cpu.x[1] = pairs[p][0];
			cpu.x[2] = pairs[p][1];
			ok(E(addsub_reg(1, 1, 1, LSL, 2, 0, 1, 31), "cmp x1, x2"));
			snprintf(text, sizeof(text), "b.%s .+0x80", names[c]);
			ok(E(bcond(c, 0x80), text));
			bool want = cond_ref(c, pairs[p][0], pairs[p][1]);
			if (cpu.pc != (want ? CODE + 4 + 0x80 : CODE + 8))
				g_error("b.%s after cmp %#llx, %#llx: pc %#llx", names[c],
					(unsigned long long)pairs[p][0], (unsigned long long)pairs[p][1],
					(unsigned long long)cpu.pc);
			if (want)
				taken++;
			else
				not_taken++;
		}
	}
	g_assert_cmpuint(taken, >, 0);
	g_assert_cmpuint(not_taken, >, 0);
	/* a backward conditional branch */
	cpu.pc = CODE + 0x100;
	cpu.nzcv = Z_FLAG;
	ok(E(bcond(0, -0x100), "b.eq .-0x100"));
	g_assert_cmphex(cpu.pc, ==, CODE);
}

/* ---- exits -------------------------------------------------------------------- */

static void test_nop_brk_hlt_wfi(void)
{
	reset();
	struct a64_cpu before = cpu;
	ok(E(hint(0, 0), "nop"));
	g_assert_cmphex(cpu.pc, ==, CODE + 4);
	before.pc = CODE + 4;
	g_assert_true(memcmp(&before, &cpu, sizeof(cpu)) == 0);
	ok(E(hint(0, 1), "yield"));
	g_assert_cmphex(cpu.pc, ==, CODE + 8);

	no_change(E(excgen(1, 0x1234), "brk #0x1234"), A64_BRK);
	g_assert_cmphex(ev.esr, ==, ESR_EC(A64_EC_BRK64) | A64_ESR_IL | 0x1234);
	g_assert_cmphex(ev.esr, ==, 0xf2001234ull);
	g_assert_cmphex(ev.insn, ==, 0xd4224680u);
	no_change(E(excgen(1, 0), "brk #0x0"), A64_BRK);
	g_assert_cmphex(ev.esr, ==, 0xf2000000ull);
	no_change(E(excgen(2, 0xf000), "hlt #0xf000"), A64_HLT);
	g_assert_cmphex(ev.insn, ==, 0xd45e0000u);

	g_assert_cmpint(run(E(hint(0, 3), "wfi")), ==, A64_WFI);
	g_assert_cmphex(cpu.pc, ==, CODE + 12);
	/* HVC (LL = 10) is the VM's to answer: pc moves past it, the preferred
	 * return address (Arm ARM D1.10.1), and registers are untouched */
	struct a64_cpu at_hvc = cpu;
	g_assert_cmpint(run(E(excgen(0, 0) | 2, "hvc #0x0")), ==, A64_HVC);
	g_assert_cmphex(cpu.pc, ==, CODE + 16);
	at_hvc.pc = CODE + 16;
	g_assert_true(memcmp(&at_hvc, &cpu, sizeof(cpu)) == 0);
	cpu.pc = CODE + 12;
	g_assert_cmpint(run(E(hint(0, 2), "wfe")), ==, A64_WFI);
	g_assert_cmphex(cpu.pc, ==, CODE + 16);
}

static void test_undefined(void)
{
	reset();
	cpu.x[1] = DATA;
	cpu.x[0] = 0x5555;
	static const struct {
		uint32_t word;
		const char *text;
	} undef[] = {
		{ 0x1e622820u, "fadd d0, d1, d2" },
		{ 0xd518d080u, "msr tpidr_el1, x0" },
		{ 0xd50342df, "msr daifset, #0x2" },
		{ 0xc85f7c20u, "ldxr x0, [x1]" },
		{ 0x8b214020u, "add x0, x1, w1, uxtw" },   /* extended register: not in the subset */
		{ 0xd4000001u, "svc #0x0" },
		{ 0xd4000003u, "smc #0x0" },
		{ 0x00000000u, "udf #0x0" },
		{ 0xf8408020u, "ldur x0, [x1, #8]" },
		{ 0x3dc00020u, "ldr q0, [x1]" },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(undef); i++) {
		no_change(E(undef[i].word, undef[i].text), A64_UNDEFINED);
		g_assert_cmphex(ev.insn, ==, undef[i].word);
	}
}

static void test_mem_fault(void)
{
	reset();
	cpu.x[1] = 0x1000;
	no_change(E(ldst_uimm(3, LD, 0, 1, 0), "ldr x0, [x1]"), A64_MEM_FAULT);
	g_assert_cmphex(ev.far, ==, 0x1000);
	no_change(E(ldst_idx(3, LD, 8, PRE, 1, 0), "ldr x0, [x1, #8]!"), A64_MEM_FAULT);
	g_assert_cmphex(ev.far, ==, 0x1008);
	cpu.x[1] = RAM_BASE + RAM_SIZE - 4;   /* straddles the end of RAM */
	no_change(E(ldst_idx(3, ST, 0, POST, 1, 0), "str x0, [x1], #0"), A64_MEM_FAULT);
	g_assert_cmphex(ev.far, ==, RAM_BASE + RAM_SIZE - 4);
	/* a fetch outside RAM */
	cpu.pc = 0x2000;
	struct a64_cpu before = cpu;
	g_assert_cmpint(a64_step(&cpu, &dbg, &mem, &ev), ==, A64_MEM_FAULT);
	g_assert_cmphex(ev.far, ==, 0x2000);
	g_assert_true(memcmp(&before, &cpu, sizeof(cpu)) == 0);
}

/* ---- debug architecture ------------------------------------------------------- */

/* DBGBCR: E (bit 0), PMC (2:1), BAS (8:5), HMC (13), SSC (15:14), BT (23:20) */
#define BCR_E         0x1u
#define BCR_PMC(x)    ((uint64_t)(x) << 1)
#define BCR_BAS(x)    ((uint64_t)(x) << 5)
#define BCR_HMC       (1ull << 13)
#define BCR_SSC(x)    ((uint64_t)(x) << 14)
#define BCR_BT(x)     ((uint64_t)(x) << 20)
#define BCR_A64_EL1   (BCR_E | BCR_PMC(3) | BCR_BAS(0xf))   /* 0x1E7, as hwdebug.h */

/* DBGWCR: E (0), PAC (2:1), LSC (4:3), BAS (12:5), MASK (28:24) */
#define WCR_E         0x1u
#define WCR_PAC(x)    ((uint64_t)(x) << 1)
#define WCR_LSC(x)    ((uint64_t)(x) << 3)
#define WCR_BAS(x)    ((uint64_t)(x) << 5)
#define WCR_MASK(x)   ((uint64_t)(x) << 24)
#define WCR(lsc, bas) (WCR_E | WCR_PAC(3) | WCR_LSC(lsc) | WCR_BAS(bas))
#define LSC_LOAD  1u
#define LSC_STORE 2u
#define LSC_BOTH  3u

#define ADD_X0_1 addsub_imm(1, 0, 0, 0, 1, 0, 0)   /* add x0, x0, #1 */

static void test_breakpoint(void)
{
	reset();
	dbg.enabled = true;
	dbg.bcr[2] = BCR_A64_EL1;
	dbg.bvr[2] = CODE + 8;
	uint32_t add = E(ADD_X0_1, "add x0, x0, #1");
	ok(add);
	ok(add);
	g_assert_cmphex(cpu.pc, ==, CODE + 8);
	no_change(add, A64_BREAKPOINT);
	g_assert_cmphex(ev.esr, ==, ESR_EC(A64_EC_BREAKPOINT_CUR) | A64_ESR_IL);
	g_assert_cmphex(ev.esr, ==, 0xc6000000ull);
	g_assert_cmphex(cpu.x[0], ==, 2);
	/* bits above 52 of DBGBVR are ignored (sign extension) */
	dbg.bvr[2] = (CODE + 8) | 0xffe0000000000000ull;
	no_change(add, A64_BREAKPOINT);
	/* even before an instruction that would fault */
	no_change(0, A64_BREAKPOINT);

	struct {
		bool enabled;
		uint64_t bcr;
		const char *what;
	} quiet[] = {
		{ false, BCR_A64_EL1, "dbg disabled" },
		{ true, BCR_PMC(3) | BCR_BAS(0xf), "E = 0" },
		{ true, BCR_E | BCR_PMC(3) | BCR_BAS(0x3), "BAS = 0b0011" },
		{ true, BCR_E | BCR_PMC(3) | BCR_BAS(0xc), "BAS = 0b1100" },
		{ true, BCR_E | BCR_PMC(2) | BCR_BAS(0xf), "PMC = EL0 only" },
		{ true, BCR_E | BCR_PMC(0) | BCR_BAS(0xf), "PMC = 0" },
		{ true, BCR_A64_EL1 | BCR_BT(1), "BT = linked" },
		{ true, BCR_A64_EL1 | BCR_BT(4), "BT = unlinked context id" },
		{ true, BCR_A64_EL1 | BCR_HMC, "HMC = 1" },
		{ true, BCR_A64_EL1 | BCR_SSC(1), "SSC = 1" },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(quiet); i++) {
		cpu.pc = CODE + 8;
		cpu.x[0] = 0;
		dbg.enabled = quiet[i].enabled;
		dbg.bcr[2] = quiet[i].bcr;
		if (run(add) != A64_OK)
			g_error("breakpoint with %s fired", quiet[i].what);
		g_assert_cmphex(cpu.x[0], ==, 1);
	}
	/* PMC = 0b01 (EL1 only) matches */
	dbg.enabled = true;
	dbg.bcr[2] = BCR_E | BCR_PMC(1) | BCR_BAS(0xf);
	cpu.pc = CODE + 8;
	no_change(add, A64_BREAKPOINT);
	/* a different address, and a slot beyond nbps, do not match */
	dbg.bvr[2] = CODE + 12;
	ok(add);
	dbg.bcr[2] = 0;
	dbg.bcr[7] = BCR_A64_EL1;
	dbg.bvr[7] = CODE + 12;
	ok(add);
	g_assert_cmphex(cpu.pc, ==, CODE + 16);
}

/* Check a watchpoint exit that changed nothing. */
static void expect_watch(uint32_t insn, uint64_t far, bool store, unsigned slot)
{
	no_change(insn, A64_WATCHPOINT);
	g_assert_cmphex(ev.esr, ==, ESR_EC(A64_EC_WATCHPOINT_CUR) | A64_ESR_IL | (store ? A64_ESR_WNR : 0));
	g_assert_cmphex(ev.far, ==, far);
	g_assert_cmpuint(ev.watchpoint, ==, slot);
}

static void test_watchpoint_basic(void)
{
	reset();
	dbg.enabled = true;
	const uint64_t D = DATA + 0x40;
	poke64(D, 0x0123456789abcdefull);
	dbg.wcr[1] = WCR(LSC_STORE, 0xff);
	dbg.wvr[1] = D;

	/* an 8-byte store to the watched doubleword, pre-index: nothing changes */
	cpu.x[1] = 0xdeadbeefdeadbeefull;
	cpu.x[2] = D - 8;
	expect_watch(E(ldst_idx(3, ST, 8, PRE, 2, 1), "str x1, [x2, #8]!"), D, true, 1);
	g_assert_cmphex(cpu.x[2], ==, D - 8);
	g_assert_cmphex(peek(D, 8), ==, 0x0123456789abcdefull);
	g_assert_cmphex(ev.esr, ==, 0xd6000040ull);
	/* an unaligned store that ends in it: FAR = its lowest byte */
	cpu.x[2] = D - 3;
	expect_watch(E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]"), D - 3, true, 1);
	/* one just below does not fire */
	cpu.x[2] = D - 8;
	ok(E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]"));
	g_assert_cmphex(peek(D - 8, 8), ==, 0xdeadbeefdeadbeefull);
	/* disabled debug registers: the store happens */
	dbg.enabled = false;
	cpu.x[2] = D;
	ok(E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]"));
	g_assert_cmphex(peek(D, 8), ==, 0xdeadbeefdeadbeefull);
	dbg.enabled = true;
	/* E = 0, PAC excluding EL1, a slot beyond nwps: quiet */
	dbg.wcr[1] = WCR(LSC_STORE, 0xff) & ~(uint64_t)WCR_E;
	ok(E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]"));
	dbg.wcr[1] = WCR_E | WCR_PAC(2) | WCR_LSC(LSC_STORE) | WCR_BAS(0xff);
	ok(E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]"));
	dbg.wcr[1] = WCR_E | WCR_PAC(1) | WCR_LSC(LSC_STORE) | WCR_BAS(0xff);
	expect_watch(E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]"), D, true, 1);
	dbg.wcr[1] = 0;
	dbg.wcr[5] = WCR(LSC_STORE, 0xff);
	dbg.wvr[5] = D;
	ok(E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]"));
}

static void test_watchpoint_bas(void)
{
	reset();
	dbg.enabled = true;
	const uint64_t D = DATA + 0x80;
	dbg.wcr[0] = WCR(LSC_BOTH, 0x0e);   /* bytes 1, 2, 3 */
	dbg.wvr[0] = D;
	cpu.x[1] = 0x77;
	uint32_t strb = E(ldst_uimm(0, ST, 0, 2, 1), "strb w1, [x2]");
	cpu.x[2] = D + 1;
	expect_watch(strb, D + 1, true, 0);
	cpu.x[2] = D + 3;
	expect_watch(strb, D + 3, true, 0);
	cpu.x[2] = D;
	ok(strb);
	cpu.x[2] = D + 4;
	ok(strb);
	g_assert_cmphex(peek(D, 8), ==, 0x0000007700000077ull);
	/* a halfword store at D + 3 covers D + 3 .. D + 4 */
	cpu.x[2] = D + 3;
	expect_watch(E(ldst_uimm(1, ST, 0, 2, 1), "strh w1, [x2]"), D + 3, true, 0);
	/* loads with LSC = both */
	cpu.x[2] = D;
	expect_watch(E(ldst_uimm(2, LD, 0, 2, 3), "ldr w3, [x2]"), D, false, 0);
	g_assert_cmphex(ev.esr, ==, 0xd6000000ull);
	ok(E(ldst_uimm(0, LD, 0, 2, 3), "ldrb w3, [x2]"));
	g_assert_cmphex(cpu.x[3], ==, 0x77);
}

static void test_watchpoint_lsc(void)
{
	reset();
	dbg.enabled = true;
	const uint64_t D = DATA + 0x100;
	poke64(D, 42);
	cpu.x[2] = D;
	cpu.x[1] = 7;
	uint32_t ldr = E(ldst_uimm(3, LD, 0, 2, 3), "ldr x3, [x2]");
	uint32_t str = E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]");
	dbg.wvr[0] = D;
	dbg.wcr[0] = WCR(LSC_LOAD, 0xff);
	expect_watch(ldr, D, false, 0);
	g_assert_cmphex(cpu.x[3], ==, 0);
	ok(str);
	g_assert_cmphex(peek(D, 8), ==, 7);
	dbg.wcr[0] = WCR(LSC_STORE, 0xff);
	ok(ldr);
	g_assert_cmphex(cpu.x[3], ==, 7);
	expect_watch(str, D, true, 0);
	/* LDR (literal) and LDP are loads too */
	dbg.wcr[0] = WCR(LSC_LOAD, 0xff);
	dbg.wvr[0] = CODE + 0x40;
	cpu.pc = CODE;
	expect_watch(E(ldr_lit(0, 0x40 / 4, 4), "ldr w4, .+0x40"), CODE + 0x40, false, 0);
	dbg.wvr[0] = D + 8;
	expect_watch(E(ldstp(2, P_OFF, 1, 0, 5, 2, 4), "ldp x4, x5, [x2]"), D, false, 0);
}

static void test_watchpoint_mask(void)
{
	reset();
	dbg.enabled = true;
	const uint64_t BLK = DATA + 0x400;   /* 64-byte aligned */
	dbg.wcr[3] = WCR(LSC_STORE, 0xff) | WCR_MASK(6);
	dbg.wvr[3] = BLK;
	cpu.x[1] = 0x99;
	uint32_t strb = E(ldst_uimm(0, ST, 0, 2, 1), "strb w1, [x2]");
	uint32_t strx = E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]");
	static const unsigned inside[] = { 0, 1, 0x17, 0x20, 0x3f };
	for (unsigned i = 0; i < G_N_ELEMENTS(inside); i++) {
		cpu.x[2] = BLK + inside[i];
		expect_watch(strb, BLK + inside[i], true, 3);
	}
	cpu.x[2] = BLK - 1;
	ok(strb);
	cpu.x[2] = BLK + 0x40;
	ok(strb);
	cpu.x[2] = BLK - 8;
	ok(strx);
	cpu.x[2] = BLK - 7;   /* its last byte is the block's first */
	expect_watch(strx, BLK - 7, true, 3);
	cpu.x[2] = BLK + 0x3c;
	expect_watch(strx, BLK + 0x3c, true, 3);
	/* low bits of DBGWVR within the block are ignored */
	dbg.wvr[3] = BLK + 0x28;
	cpu.x[2] = BLK + 0x3f;
	expect_watch(strb, BLK + 0x3f, true, 3);
	/* MASK with BAS != 0xFF, and reserved MASK values, never match */
	dbg.wcr[3] = WCR(LSC_STORE, 0x0f) | WCR_MASK(6);
	cpu.x[2] = BLK;
	ok(strb);
	dbg.wcr[3] = WCR(LSC_STORE, 0xff) | WCR_MASK(2);
	ok(strb);
}

static void test_watchpoint_pair_and_priority(void)
{
	reset();
	dbg.enabled = true;
	const uint64_t D = DATA + 0x208;
	dbg.wcr[2] = WCR(LSC_STORE, 0xff);
	dbg.wvr[2] = D;
	cpu.x[1] = 0x1111;
	cpu.x[3] = 0x3333;
	cpu.x[2] = D - 8 + 16;
	/* STP of 16 bytes at D - 8 .. D + 7: FAR = D - 8, and no writeback */
	expect_watch(E(ldstp(2, P_PRE, 0, -2, 3, 2, 1), "stp x1, x3, [x2, #-16]!"), D - 8, true, 2);
	g_assert_cmphex(cpu.x[2], ==, D + 8);
	/* a 32-bit STP ending just below it does not fire */
	cpu.x[2] = D - 8;
	ok(E(ldstp(0, P_OFF, 0, 0, 3, 2, 1), "stp w1, w3, [x2]"));
	g_assert_cmphex(peek(D - 8, 8), ==, 0x0000333300001111ull);
	/* one 4 bytes higher does (first byte D - 4) */
	cpu.x[2] = D - 4;
	expect_watch(E(ldstp(0, P_OFF, 0, 0, 3, 2, 1), "stp w1, w3, [x2]"), D - 4, true, 2);

	/* the lowest-numbered matching slot is reported */
	dbg.wcr[0] = WCR(LSC_LOAD, 0xff);   /* right address, wrong LSC */
	dbg.wvr[0] = D;
	dbg.wcr[1] = WCR(LSC_STORE, 0xff);  /* wrong address */
	dbg.wvr[1] = D + 0x100;
	dbg.wcr[3] = WCR(LSC_BOTH, 0x01);
	dbg.wvr[3] = D;
	cpu.x[2] = D;
	expect_watch(E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]"), D, true, 2);
	dbg.wcr[1] = WCR(LSC_STORE, 0x80);
	dbg.wvr[1] = D;
	expect_watch(E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]"), D, true, 1);
}

static void test_single_step(void)
{
	reset();
	dbg.single_step = true;
	uint32_t add = E(ADD_X0_1, "add x0, x0, #1");
	poke32(CODE + 4, add);
	g_assert_cmpint(run(add), ==, A64_SOFTWARE_STEP);
	g_assert_cmphex(ev.esr, ==, ESR_EC(A64_EC_SSTEP_CUR) | A64_ESR_IL);
	g_assert_cmphex(ev.esr, ==, 0xce000000ull);
	g_assert_cmphex(cpu.pc, ==, CODE + 4);
	g_assert_cmphex(cpu.x[0], ==, 1);
	/* after a taken branch, pc is the target */
	g_assert_cmpint(run(E(b_imm(0, 0x40), "b .+0x40")), ==, A64_SOFTWARE_STEP);
	g_assert_cmphex(cpu.pc, ==, CODE + 0x44);
	/* a store completes before the step is reported */
	cpu.x[2] = DATA;
	cpu.x[1] = 5;
	g_assert_cmpint(run(E(ldst_idx(3, ST, 8, POST, 2, 1), "str x1, [x2], #8")), ==, A64_SOFTWARE_STEP);
	g_assert_cmphex(peek(DATA, 8), ==, 5);
	g_assert_cmphex(cpu.x[2], ==, DATA + 8);
	/* WFI completes and the step is reported (a64-sim.c's documented choice) */
	uint64_t wfi_pc = cpu.pc;
	g_assert_cmpint(run(E(hint(0, 3), "wfi")), ==, A64_SOFTWARE_STEP);
	g_assert_cmphex(cpu.pc, ==, wfi_pc + 4);
	/* exits where nothing executed are reported as themselves */
	no_change(E(excgen(1, 5), "brk #0x5"), A64_BRK);
	no_change(E(0x1e622820u, "fadd d0, d1, d2"), A64_UNDEFINED);
	/* single step works without debug registers enabled; with them,
	 * a breakpoint on the instruction takes precedence */
	uint64_t pc = cpu.pc;
	dbg.enabled = true;
	dbg.bcr[0] = BCR_A64_EL1;
	dbg.bvr[0] = pc;
	no_change(add, A64_BREAKPOINT);
	g_assert_cmphex(ev.esr, ==, 0xc6000000ull);
	/* a watchpoint on the access, too */
	dbg.bcr[0] = 0;
	dbg.wcr[0] = WCR(LSC_STORE, 0xff);
	dbg.wvr[0] = DATA + 8;
	expect_watch(E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]"), DATA + 8, true, 0);
	/* a NULL event pointer is accepted */
	dbg.wcr[0] = 0;
	struct a64_cpu before = cpu;
	g_assert_cmpint(a64_step(&cpu, &dbg, &mem, NULL), ==, A64_SOFTWARE_STEP);
	g_assert_cmphex(cpu.pc, ==, before.pc + 4);
}

/* mem.watch (page protection, dbgproxy-vm's): asked after the watchpoint
 * check, before the access; claiming it stops the instruction unexecuted. */
static uint64_t watch_lo, watch_hi;
static unsigned watch_calls;

static bool page_watch(void *ctx, uint64_t addr, unsigned len, bool store)
{
	(void)ctx;
	(void)store;
	watch_calls++;
	return addr < watch_hi && watch_lo < addr + len;
}

static void test_page_watch(void)
{
	reset();
	const struct a64_mem wm = { ram_read, ram_write, NULL, page_watch };
	const uint64_t D = DATA + 0x80;
	poke64(D, 0x1111);
	poke64(D + 8, 0x3333);
	watch_lo = D + 4;
	watch_hi = D + 5;
	cpu.x[1] = 0x2222;
	cpu.x[2] = D;
	uint32_t str = E(ldst_uimm(3, ST, 0, 2, 1), "str x1, [x2]");
	poke32(cpu.pc, str);
	struct a64_cpu before = cpu;
	watch_calls = 0;
	g_assert_cmpint(a64_step(&cpu, &dbg, &wm, &ev), ==, A64_PAGE_WATCH);
	g_assert_cmpint(ev.type, ==, A64_PAGE_WATCH);
	g_assert_cmphex(ev.far, ==, D);
	g_assert_cmpuint(watch_calls, ==, 1);
	g_assert_true(memcmp(&before, &cpu, sizeof(cpu)) == 0);
	g_assert_cmphex(peek(D, 8), ==, 0x1111);
	/* a hardware watchpoint on the same access is checked first */
	dbg.enabled = true;
	dbg.wcr[0] = WCR(LSC_STORE, 0xff);
	dbg.wvr[0] = D;
	g_assert_cmpint(a64_step(&cpu, &dbg, &wm, &ev), ==, A64_WATCHPOINT);
	/* unless the machine's watchpoints never fire */
	dbg.watch_dead = true;
	g_assert_cmpint(a64_step(&cpu, &dbg, &wm, &ev), ==, A64_PAGE_WATCH);
	g_assert_cmphex(peek(D, 8), ==, 0x1111);
	/* an access it does not claim is done */
	cpu.x[2] = D + 8;
	g_assert_cmpint(a64_step(&cpu, &dbg, &wm, &ev), ==, A64_OK);
	g_assert_cmphex(peek(D + 8, 8), ==, 0x2222);
	dbg.watch_dead = false;
}

static void test_exit_names(void)
{
	for (int e = A64_OK; e <= A64_PAGE_WATCH; e++) {
		const char *n = a64_exit_name((enum a64_exit)e);
		g_assert_nonnull(n);
		g_assert_cmpstr(n, !=, "unknown");
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/a64-sim/movewide", test_movewide);
	g_test_add_func("/a64-sim/addsub-imm", test_addsub_imm);
	g_test_add_func("/a64-sim/addsub-reg", test_addsub_reg);
	g_test_add_func("/a64-sim/logical", test_logical);
	g_test_add_func("/a64-sim/bitfield", test_bitfield);
	g_test_add_func("/a64-sim/ldst-single", test_ldst_single);
	g_test_add_func("/a64-sim/ldr-literal", test_ldr_literal);
	g_test_add_func("/a64-sim/ldst-pair", test_ldst_pair);
	g_test_add_func("/a64-sim/adr", test_adr);
	g_test_add_func("/a64-sim/branches", test_branches);
	g_test_add_func("/a64-sim/cbz-tbz", test_cbz_tbz);
	g_test_add_func("/a64-sim/bcond", test_bcond);
	g_test_add_func("/a64-sim/nop-brk-hlt-wfi", test_nop_brk_hlt_wfi);
	g_test_add_func("/a64-sim/undefined", test_undefined);
	g_test_add_func("/a64-sim/mem-fault", test_mem_fault);
	g_test_add_func("/a64-sim/debug/breakpoint", test_breakpoint);
	g_test_add_func("/a64-sim/debug/watchpoint-basic", test_watchpoint_basic);
	g_test_add_func("/a64-sim/debug/watchpoint-bas", test_watchpoint_bas);
	g_test_add_func("/a64-sim/debug/watchpoint-lsc", test_watchpoint_lsc);
	g_test_add_func("/a64-sim/debug/watchpoint-mask", test_watchpoint_mask);
	g_test_add_func("/a64-sim/debug/watchpoint-pair-priority", test_watchpoint_pair_and_priority);
	g_test_add_func("/a64-sim/debug/single-step", test_single_step);
	g_test_add_func("/a64-sim/debug/page-watch", test_page_watch);
	g_test_add_func("/a64-sim/exit-names", test_exit_names);
	return g_test_run();
}
