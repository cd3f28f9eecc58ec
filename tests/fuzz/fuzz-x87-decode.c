/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-x87-decode.c - libFuzzer target for the x87 decoder that decides
 * which guest instructions dbgproxy-vm runs on the host CPU
 * (src/dbgproxy-vm/x87-decode.c).  Whatever it accepts is executed by a
 * precompiled stub in the VMM's own process, so:
 *
 *   - it never accepts an encoding outside the whitelist, checked against
 *     a reference written here from the SDM's x87 opcode maps (Vol. 2,
 *     A.4.2) as ranges, not from the decoder's switch: the defined
 *     register forms, the memory forms that exist (not D9 /1, DB /4,
 *     DB /6, DD /5), no 0x66 on FLDENV/FNSTENV/FRSTOR/FNSAVE, no FISTTP
 *     when told the host lacks SSE3, nothing in 16-bit code or after LOCK;
 *   - everything before the opcode is a prefix, and the length is the one
 *     ModRM, SIB and the displacement give (at most 15, within the input);
 *   - it never reads past the bytes it is given: they are copied into a
 *     buffer of exactly that size, so AddressSanitizer stops an over-read.
 *
 * Input: byte 0 the mode (bit 0 64-bit, bit 1 CS.D, bit 2 no SSE3), the
 * rest the instruction bytes (at most 20).
 */
#define FUZZ_NAME "fuzz-x87-decode"
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "x87-decode.h"

/* the defined register forms: opcode, first and last ModRM */
static const struct { uint8_t op, lo, hi; } reg_forms[] = {
	{ 0xd8, 0xc0, 0xff },
	{ 0xd9, 0xc0, 0xcf }, { 0xd9, 0xd0, 0xd0 }, { 0xd9, 0xe0, 0xe1 }, { 0xd9, 0xe4, 0xe5 },
	{ 0xd9, 0xe8, 0xee }, { 0xd9, 0xf0, 0xff },
	{ 0xda, 0xc0, 0xdf }, { 0xda, 0xe9, 0xe9 },
	{ 0xdb, 0xc0, 0xdf }, { 0xdb, 0xe2, 0xe3 }, { 0xdb, 0xe8, 0xf7 },
	{ 0xdc, 0xc0, 0xcf }, { 0xdc, 0xe0, 0xff },
	{ 0xdd, 0xc0, 0xc7 }, { 0xdd, 0xd0, 0xef },
	{ 0xde, 0xc0, 0xcf }, { 0xde, 0xd9, 0xd9 }, { 0xde, 0xe0, 0xff },
	{ 0xdf, 0xe0, 0xe0 }, { 0xdf, 0xe8, 0xf7 },
};

static bool ref_reg_ok(uint8_t op, uint8_t modrm)
{
	for (size_t i = 0; i < sizeof(reg_forms) / sizeof(reg_forms[0]); i++)
		if (reg_forms[i].op == op && modrm >= reg_forms[i].lo && modrm <= reg_forms[i].hi)
			return true;
	return false;
}

static bool is_prefix(uint8_t c, bool long_mode)
{
	switch (c) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf2: case 0xf3:
		return true;
	}
	return long_mode && c >= 0x40 && c <= 0x4f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	bool long_mode = data[0] & 1, cs_db = data[0] & 2, no_sse3 = data[0] & 4;
	size_t n = size - 1;
	if (n > 20)
		n = 20;
	uint8_t *b = malloc(n ? n : 1);
	REQUIRE(b != NULL);
	memcpy(b, data + 1, n);
	x87_decode_set_fisttp(!no_sse3);
	struct x87_insn in;
	bool ok = x87_decode(b, (unsigned)n, long_mode, cs_db, &in);
	if (ok) {
		REQUIRE(long_mode || cs_db);
		REQUIRE(in.len <= n && in.len <= 15);
		REQUIRE(in.op + 2 <= in.len);
		for (unsigned i = 0; i < in.op; i++)
			REQUIRE(is_prefix(b[i], long_mode));
		uint8_t op = b[in.op], modrm = b[in.op + 1];
		REQUIRE(op >= 0xd8 && op <= 0xdf && in.opcode == op && in.modrm == modrm);
		bool opsize16 = memchr(b, 0x66, in.op) != NULL;
		if (modrm >= 0xc0) {
			REQUIRE(!in.mem);
			if (!ref_reg_ok(op, modrm))
				FAIL("accepted the undefined register form %02x %02x", op, modrm);
			REQUIRE(in.len == in.op + 2);
		} else {
			REQUIRE(in.mem);
			unsigned reg = (modrm >> 3) & 7, mod = modrm >> 6, rm = modrm & 7;
			if ((op == 0xd9 && reg == 1) || (op == 0xdb && (reg == 4 || reg == 6)) ||
			    (op == 0xdd && reg == 5))
				FAIL("accepted the reserved memory form %02x /%u", op, reg);
			bool env = (op == 0xd9 && (reg == 4 || reg == 6)) ||
				   (op == 0xdd && (reg == 4 || reg == 6));
			if (env && opsize16)
				FAIL("accepted the 16-bit environment/state form %02x /%u", op, reg);
			bool fisttp = reg == 1 && (op == 0xdb || op == 0xdd || op == 0xdf);
			if (fisttp && no_sse3)
				FAIL("accepted FISTTP without SSE3");
			/* the sizes the SDM gives */
			unsigned want = env ? (reg == 4 || reg == 6) && op == 0xd9 ? 28 : 108 : 0;
			if (!env) {
				if ((op == 0xd9 && (reg == 5 || reg == 7)) || (op == 0xdd && reg == 7) ||
				    op == 0xde || (op == 0xdf && reg <= 3))
					want = 2;
				else if (op == 0xd8 || op == 0xda || op == 0xd9 ||
					 (op == 0xdb && reg <= 3))
					want = 4;
				else if (op == 0xdc || op == 0xdd || (op == 0xdf && (reg == 5 || reg == 7)))
					want = 8;
				else
					want = 10;   /* DB /5 /7, DF /4 /6 */
			}
			REQUIRE(in.mem_size == want);
			/* ModRM, SIB, displacement */
			unsigned len = in.op + 2;
			if (rm == 4)
				len++;
			if (mod == 1)
				len += 1;
			else if (mod == 2 || (mod == 0 && rm == 5) ||
				 (mod == 0 && rm == 4 && (b[in.op + 2] & 7) == 5))
				len += 4;
			REQUIRE(in.len == len);
		}
	}
	free(b);
	return 0;
}
