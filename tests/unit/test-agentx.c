/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-agentx.c - gdb agent expressions: the verifier and the interpreter
 * (src/common/agentx.c) against bytecode written from the gdb manual's
 * "Bytecode Descriptions" (operands big-endian), on a fake machine with
 * four registers and 64 bytes of memory at 0x1000.
 */
#include <string.h>

#include "agentx.h"
#include "check.h"

static uint8_t ram[64];
static GString *printed;

static bool fake_reg(void *ctx, unsigned regnum, uint64_t *value)
{
	static const uint64_t regs[] = { 7, 0xfffffffffffffffeull, 0x1000, 3000 };
	if (regnum >= G_N_ELEMENTS(regs))
		return false;
	*value = regs[regnum];
	return true;
}

static bool fake_mem(void *ctx, uint64_t addr, unsigned len, uint8_t *out)
{
	if (addr < 0x1000 || addr + len > 0x1000 + sizeof(ram) || addr + len < addr)
		return false;
	memcpy(out, ram + (addr - 0x1000), len);
	return true;
}

static void fake_print(void *ctx, const char *text)
{
	g_string_append(printed, text);
}

static const struct ax_env env = { fake_reg, fake_mem, fake_print, NULL, false };

static void setup_ram(void)
{
	for (unsigned i = 0; i < sizeof(ram); i++)
		ram[i] = (uint8_t)(i + 1);
	memcpy(ram + 32, "hello\0", 6);
}

/* code must verify and evaluate to want */
#define EVAL_IS(want, ...)                                                         \
	do {                                                                       \
		static const uint8_t c_[] = { __VA_ARGS__ };                       \
		GError *e_ = NULL;                                                 \
		uint64_t r_ = 0xdead;                                              \
		bool v_ = ax_verify(c_, sizeof c_, &e_);                           \
		CHECK(v_, "line %d: verify: %s", __LINE__, e_ ? e_->message : "");  \
		g_clear_error(&e_);                                                \
		bool ok_ = v_ && ax_eval(c_, sizeof c_, &env, &r_, &e_);           \
		CHECK(ok_ && r_ == (uint64_t)(want), "line %d: got %s 0x%" G_GINT64_MODIFIER \
		      "x, want 0x%" G_GINT64_MODIFIER "x", __LINE__,              \
		      e_ ? e_->message : "", r_, (uint64_t)(want));                 \
		g_clear_error(&e_);                                                \
	} while (0)

/* code is refused by the verifier, with a message containing what */
#define REFUSED(what, ...)                                                         \
	do {                                                                       \
		static const uint8_t c_[] = { __VA_ARGS__ };                       \
		GError *e_ = NULL;                                                 \
		bool v_ = ax_verify(c_, sizeof c_, &e_);                           \
		CHECK(!v_ && e_ && strstr(e_->message, what), "line %d: %s", __LINE__, \
		      e_ ? e_->message : "verified");                             \
		g_clear_error(&e_);                                                \
	} while (0)

/* code verifies, and evaluation fails with a message containing what */
#define EVAL_FAILS(what, ...)                                                      \
	do {                                                                       \
		static const uint8_t c_[] = { __VA_ARGS__ };                       \
		GError *e_ = NULL;                                                 \
		uint64_t r_;                                                       \
		CHECK(ax_verify(c_, sizeof c_, NULL), "line %d: not verified", __LINE__); \
		bool ok_ = ax_eval(c_, sizeof c_, &env, &r_, &e_);                 \
		CHECK(!ok_ && e_ && strstr(e_->message, what), "line %d: %s", __LINE__, \
		      e_ ? e_->message : "no error");                             \
		g_clear_error(&e_);                                                \
	} while (0)

static void test_arith(void)
{
	EVAL_IS(5, 0x22, 2, 0x22, 3, 0x02, 0x27);                     /* 2 + 3 */
	EVAL_IS((uint64_t)-1, 0x22, 2, 0x22, 3, 0x03, 0x27);          /* 2 - 3 */
	EVAL_IS(6, 0x22, 2, 0x22, 3, 0x04, 0x27);                     /* 2 * 3 */
	EVAL_IS(0x1234, 0x23, 0x12, 0x34, 0x27);                     /* const16 big-endian */
	EVAL_IS(0x12345678, 0x24, 0x12, 0x34, 0x56, 0x78, 0x27);
	EVAL_IS(0x0102030405060708ull, 0x25, 1, 2, 3, 4, 5, 6, 7, 8, 0x27);
	/* -7 / 2 signed = -3, rem -1; unsigned on 0xff..f9 */
	EVAL_IS((uint64_t)-3, 0x22, 7, 0x12, 0x22, 1, 0x02, 0x22, 2, 0x05, 0x27);
	EVAL_IS((uint64_t)-1, 0x22, 7, 0x12, 0x22, 1, 0x02, 0x22, 2, 0x07, 0x27);
	EVAL_IS(0x7ffffffffffffffcull, 0x22, 7, 0x12, 0x22, 1, 0x02, 0x22, 2, 0x06, 0x27);
	EVAL_IS(1, 0x22, 7, 0x12, 0x22, 1, 0x02, 0x22, 2, 0x08, 0x27);
	EVAL_IS(0x80, 0x22, 1, 0x22, 7, 0x09, 0x27);                 /* lsh */
	EVAL_IS((uint64_t)-1, 0x22, 0, 0x12, 0x22, 4, 0x0a, 0x27);   /* rsh_signed of ~0 */
	EVAL_IS(0x0fffffffffffffffull, 0x22, 0, 0x12, 0x22, 4, 0x0b, 0x27);
	EVAL_IS(0, 0x22, 1, 0x22, 70, 0x09, 0x27);                   /* shift past 63 */
	EVAL_IS(1, 0x22, 0, 0x0e, 0x27);                             /* log_not */
	EVAL_IS(0, 0x22, 9, 0x0e, 0x27);
	EVAL_IS(0x0c & 0x0a, 0x22, 0x0c, 0x22, 0x0a, 0x0f, 0x27);
	EVAL_IS(0x0c | 0x0a, 0x22, 0x0c, 0x22, 0x0a, 0x10, 0x27);
	EVAL_IS(0x0c ^ 0x0a, 0x22, 0x0c, 0x22, 0x0a, 0x11, 0x27);
	EVAL_IS(1, 0x22, 5, 0x22, 5, 0x13, 0x27);                    /* equal */
	EVAL_IS(0, 0x22, 5, 0x22, 6, 0x13, 0x27);
	/* less_signed: -1 < 1; less_unsigned: ~0 > 1 */
	EVAL_IS(1, 0x22, 0, 0x12, 0x22, 1, 0x14, 0x27);
	EVAL_IS(0, 0x22, 0, 0x12, 0x22, 1, 0x15, 0x27);
	/* ext 8 of 0x80 = -128; zero_ext 4 of 0xff = 0xf */
	EVAL_IS((uint64_t)-128, 0x22, 0x80, 0x16, 8, 0x27);
	EVAL_IS(0x7f, 0x22, 0x7f, 0x16, 8, 0x27);
	EVAL_IS(0xf, 0x22, 0xff, 0x2a, 4, 0x27);
	EVAL_IS(0xff, 0x22, 0xff, 0x2a, 64, 0x27);
}

static void test_stack_ops(void)
{
	EVAL_IS(6, 0x22, 3, 0x28, 0x02, 0x27);                        /* dup add */
	EVAL_IS(3, 0x22, 3, 0x22, 4, 0x29, 0x27);                     /* pop */
	EVAL_IS(1, 0x22, 3, 0x22, 4, 0x2b, 0x03, 0x22, 1, 0x13, 0x27); /* swap: 4-3 */
	/* pick 1 of (10 20) copies 10 */
	EVAL_IS(10, 0x22, 10, 0x22, 20, 0x32, 1, 0x27);
	EVAL_IS(20, 0x22, 10, 0x22, 20, 0x32, 0, 0x27);
	/* rot: a b c => c a b; then the top is b */
	EVAL_IS(2, 0x22, 1, 0x22, 2, 0x22, 3, 0x33, 0x27);
	EVAL_IS(1, 0x22, 1, 0x22, 2, 0x22, 3, 0x33, 0x29, 0x27);
	EVAL_IS(3, 0x22, 1, 0x22, 2, 0x22, 3, 0x33, 0x29, 0x29, 0x27);
}

static void test_control(void)
{
	/* 0: const8 1; 2: if_goto 8; 5: const8 5; 7: end; 8: const8 9; 10: end */
	EVAL_IS(9, 0x22, 1, 0x20, 0x00, 0x08, 0x22, 5, 0x27, 0x22, 9, 0x27);
	EVAL_IS(5, 0x22, 0, 0x20, 0x00, 0x08, 0x22, 5, 0x27, 0x22, 9, 0x27);
	/* 0: goto 5; 3: const8 1; 5: const8 2; 7: end  (3 is dead code) */
	EVAL_IS(2, 0x21, 0x00, 0x05, 0x22, 1, 0x22, 2, 0x27);
	/* a counted loop: n = 10; do n = n - 1 while n; result n
	 * 0: const8 10; 2: const8 1; 4: sub; 5: dup; 6: if_goto 2; 9: end...
	 * needs the value to stay: 0 const8 10 | 2 const8 1 | 4 sub | 5 dup |
	 * 6 if_goto 2 | 9 end */
	EVAL_IS(0, 0x22, 10, 0x22, 1, 0x03, 0x28, 0x20, 0x00, 0x02, 0x27);
}

static void test_registers_memory(void)
{
	EVAL_IS(7, 0x26, 0x00, 0x00, 0x27);
	EVAL_IS(3000, 0x26, 0x00, 0x03, 0x27);
	/* reg 3 == 3000: a typical condition */
	EVAL_IS(1, 0x26, 0x00, 0x03, 0x23, 0x0b, 0xb8, 0x13, 0x27);
	/* ref8/16/32/64 at reg 2 (0x1000): bytes 1, 2, 3, ... little-endian */
	EVAL_IS(0x01, 0x26, 0x00, 0x02, 0x17, 0x27);
	EVAL_IS(0x0201, 0x26, 0x00, 0x02, 0x18, 0x27);
	EVAL_IS(0x04030201, 0x26, 0x00, 0x02, 0x19, 0x27);
	EVAL_IS(0x0807060504030201ull, 0x26, 0x00, 0x02, 0x1a, 0x27);
	EVAL_FAILS("cannot read 4 byte(s) of guest memory at 0x2000", 0x23, 0x20, 0x00, 0x19, 0x27);
	EVAL_FAILS("cannot read 8 byte(s)", 0x23, 0x10, 0x3c, 0x1a, 0x27); /* crosses the end */
	EVAL_FAILS("no register 9", 0x26, 0x00, 0x09, 0x27);
	EVAL_FAILS("division by zero", 0x22, 1, 0x22, 0, 0x05, 0x27);
	EVAL_FAILS("division by zero", 0x22, 1, 0x22, 0, 0x08, 0x27);

	static const uint8_t c[] = { 0x26, 0, 3, 0x26, 0, 1, 0x02, 0x26, 0, 3, 0x27 };
	uint16_t regs[4];
	CHECK(ax_regs_used(c, sizeof c, regs, 4) == 2 && regs[0] == 3 && regs[1] == 1,
	      "regs used");
}

static void test_endless(void)
{
	/* 0: goto 0 — legal bytecode, ended by the step budget */
	EVAL_FAILS("without ending", 0x21, 0x00, 0x00);
}

static void test_printf(void)
{
	/* printf "c=%d s=%s x=%x\n" with 3 args: pushed last first, then
	 * function and channel (0 0) */
	static const uint8_t c[] = {
		0x22, 0x2a,                 /* %x arg: 42 */
		0x23, 0x10, 0x20,           /* %s arg: 0x1020 ("hello") */
		0x22, 0x00, 0x12,           /* %d arg: -1 (0 then bit_not) */
		0x22, 0, 0x22, 0,           /* function, channel */
		0x34, 3, 0x00, 18, 'c', '=', '%', 'd', ' ', 's', '=', '%', 's', ' ', 'x', '=',
		'%', 'x', '%', '%', '\n', 0,
		0x22, 1, 0x27,
	};
	GError *e = NULL;
	uint64_t r;
	g_string_truncate(printed, 0);
	CHECK(ax_verify(c, sizeof c, &e), "verify printf: %s", e ? e->message : "");
	g_clear_error(&e);
	CHECK(ax_eval(c, sizeof c, &env, &r, &e) && r == 1, "eval printf: %s", e ? e->message : "");
	g_clear_error(&e);
	CHECK(strcmp(printed->str, "c=-1 s=hello x=2a%\n") == 0, "printed '%s'", printed->str);

	/* width and long modifiers pass through: "%5ld|%-4lx|" */
	static const uint8_t c2[] = {
		0x22, 0xab, 0x22, 7, 0x22, 0, 0x22, 0,
		0x34, 2, 0x00, 13, '%', '5', 'l', 'd', '|', '%', '-', '4', 'l', 'x', '|', '\n', 0,
		0x22, 0, 0x27,
	};
	g_string_truncate(printed, 0);
	CHECK(ax_verify(c2, sizeof c2, NULL) && ax_eval(c2, sizeof c2, &env, &r, NULL),
	      "printf widths");
	CHECK(strcmp(printed->str, "    7|ab  |\n") == 0, "printed '%s'", printed->str);

	/* escapes as gdb sends them (C source form): \n \t \\ \101 \x42 */
	static const uint8_t c3[] = {
		0x22, 0, 0x22, 0,
		0x34, 0, 0x00, 19, 'a', '\\', 't', 'b', '\\', '\\', '\\', '1', '0', '1', '\\', 'x',
		'4', '2', '%', '%', '\\', 'n', 0,
		0x27,
	};
	g_string_truncate(printed, 0);
	CHECK(ax_verify(c3, sizeof c3, NULL) && ax_eval(c3, sizeof c3, &env, &r, NULL),
	      "printf escapes");
	CHECK(strcmp(printed->str, "a\tb\\AB%\n") == 0, "printed '%s'", printed->str);

	/* more conversions than arguments: an error, nothing printed */
	EVAL_FAILS("more conversions", 0x22, 0, 0x22, 0, 0x34, 0, 0x00, 3, '%', 'd', 0, 0x22, 0,
		   0x27);
	/* %s of unmapped memory */
	EVAL_FAILS("no memory at 0x9", 0x22, 9, 0x22, 0, 0x22, 0, 0x34, 1, 0x00, 3, '%', 's', 0,
		   0x22, 0, 0x27);
	EVAL_FAILS("not supported", 0x22, 9, 0x22, 0, 0x22, 0, 0x34, 1, 0x00, 3, '%', 'f', 0,
		   0x22, 0, 0x27);
}

static void test_verifier(void)
{
	GError *e = NULL;
	CHECK(!ax_verify((const uint8_t *)"", 0, &e) && strstr(e->message, "empty"), "empty");
	g_clear_error(&e);
	g_autofree uint8_t *big = g_malloc0(AX_MAX_LEN + 1);
	CHECK(!ax_verify(big, AX_MAX_LEN + 1, &e) && strstr(e->message, "at most"), "too long");
	g_clear_error(&e);

	REFUSED("unknown", 0x00, 0x27);
	REFUSED("unknown", 0x22, 1, 0x35, 0x27);
	REFUSED("cut short", 0x24, 1, 2);
	REFUSED("not supported", 0x01, 0x27);                   /* float */
	REFUSED("not supported", 0x22, 1, 0x0c);                /* trace */
	REFUSED("not supported", 0x2c, 0, 1, 0x27);             /* getv */
	REFUSED("needs 2 stack value(s), has 1", 0x22, 1, 0x02, 0x27);
	EVAL_IS(0, 0x27);                                        /* end of nothing: 0 */
	REFUSED("needs 2 stack value(s)", 0x22, 1, 0x32, 1, 0x27); /* pick past the bottom */
	REFUSED("runs off its end", 0x22, 1);
	REFUSED("jumps to 9", 0x21, 0x00, 0x09, 0x22, 1, 0x27);
	REFUSED("jumps to 4", 0x22, 1, 0x21, 0x00, 0x04, 0x27); /* into const8's operand */
	REFUSED("reached with", 0x22, 1, 0x20, 0x00, 0x07, 0x22, 2, 0x27, 0x27);
	REFUSED("NUL-terminated", 0x22, 0, 0x22, 0, 0x34, 0, 0x00, 2, 'x', 'y', 0x22, 0, 0x27);
	/* a loop that grows the stack every turn: grows past the limit or
	 * meets itself at another depth */
	REFUSED("reached with", 0x22, 1, 0x21, 0x00, 0x00);
	/* 65 pushes */
	uint8_t deep[65 * 2 + 1];
	for (unsigned i = 0; i < 65; i++) {
		deep[2 * i] = 0x22;
		deep[2 * i + 1] = (uint8_t)i;
	}
	deep[130] = 0x27;
	CHECK(!ax_verify(deep, sizeof deep, &e) && strstr(e->message, "grows past 64"),
	      "65 deep: %s", e ? e->message : "verified");
	g_clear_error(&e);
	/* 64 pushes are fine */
	deep[128] = 0x27;
	CHECK(ax_verify(deep, 129, &e), "64 deep: %s", e ? e->message : "");
	g_clear_error(&e);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	setup_ram();
	printed = g_string_new(NULL);
	g_test_add_func("/agentx/arith", test_arith);
	g_test_add_func("/agentx/stack", test_stack_ops);
	g_test_add_func("/agentx/control", test_control);
	g_test_add_func("/agentx/registers-memory", test_registers_memory);
	g_test_add_func("/agentx/endless", test_endless);
	g_test_add_func("/agentx/printf", test_printf);
	g_test_add_func("/agentx/verifier", test_verifier);
	return g_test_run();
}
