/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-agentx.c - libFuzzer target for gdb agent expressions
 * (src/common/agentx.c): the whole input is bytecode as gdb would send it
 * after ";X<len>,".  It is verified; verified code is evaluated on a fake
 * machine (16 registers, 256 bytes of memory at 0x1000, printf collected).
 *
 * Checked: no memory error or undefined behaviour (ASan+UBSan); every
 * evaluation ends (the step budget) with a result or a message; code the
 * verifier accepts never underflows or overflows the stack at run time
 * (the interpreter's own checks would report it: that is a failure here);
 * printf output stays within AX_MAX_PRINT bytes.
 */
#include <string.h>

#include "agentx.h"

#define FUZZ_NAME "fuzz-agentx"
#include "fuzz.h"

static uint8_t ram[256];
static size_t printed;

static bool fz_reg(void *ctx, unsigned regnum, uint64_t *value)
{
	if (regnum >= 16)
		return false;
	*value = 0x1000 + regnum * 8;
	return true;
}

static bool fz_mem(void *ctx, uint64_t addr, unsigned len, uint8_t *out)
{
	REQUIRE(len >= 1 && len <= 8);
	if (addr < 0x1000 || addr - 0x1000 > sizeof(ram) - len)
		return false;
	memcpy(out, ram + (addr - 0x1000), len);
	return true;
}

static void fz_print(void *ctx, const char *text)
{
	size_t n = strlen(text);
	REQUIRE(n <= AX_MAX_PRINT);
	printed += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ax_env env = { fz_reg, fz_mem, fz_print, NULL, false };
	for (unsigned i = 0; i < sizeof(ram); i++)
		ram[i] = (uint8_t)(i * 37 + 11);
	GError *err = NULL;
	if (!ax_verify(data, size, &err)) {
		REQUIRE(err && err->message[0]);
		g_error_free(err);
		return 0;
	}
	uint64_t result;
	uint16_t regs[8];
	REQUIRE(ax_regs_used(data, size, regs, 8) <= 8);
	if (!ax_eval(data, size, &env, &result, &err)) {
		REQUIRE(err && err->message[0]);
		if (strstr(err->message, "stack underflow") || strstr(err->message, "stack overflow") ||
		    strstr(err->message, "ran off its end") || strstr(err->message, "bad bytecode"))
			FAIL("verified code failed at run time: %s", err->message);
		g_error_free(err);
	}
	return 0;
}
