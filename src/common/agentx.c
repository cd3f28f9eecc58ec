/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * agentx.c - verifier and interpreter of gdb's agent expressions
 * (agentx.h).  Opcode values and stack effects from the gdb manual,
 * "Bytecode Descriptions".
 */
#include "agentx.h"

#include <string.h>

G_DEFINE_QUARK(dbgproxy-agentx-error-quark, ax_error)

enum {
	OP_FLOAT = 0x01, OP_ADD, OP_SUB, OP_MUL, OP_DIV_S, OP_DIV_U, OP_REM_S, OP_REM_U, OP_LSH,
	OP_RSH_S, OP_RSH_U, OP_TRACE, OP_TRACE_QUICK, OP_LOG_NOT, OP_BIT_AND, OP_BIT_OR,
	OP_BIT_XOR, OP_BIT_NOT, OP_EQUAL, OP_LESS_S, OP_LESS_U, OP_EXT, OP_REF8, OP_REF16,
	OP_REF32, OP_REF64, OP_REF_FLOAT, OP_REF_DOUBLE, OP_REF_LDOUBLE, OP_L_TO_D, OP_D_TO_L,
	OP_IF_GOTO, OP_GOTO, OP_CONST8, OP_CONST16, OP_CONST32, OP_CONST64, OP_REG, OP_END,
	OP_DUP, OP_POP, OP_ZERO_EXT, OP_SWAP, OP_GETV, OP_SETV, OP_TRACEV, OP_TRACENZ,
	OP_TRACE16, OP_INVALID2, OP_PICK, OP_ROT, OP_PRINTF,
};

/* Stack effect and operand bytes of the bytecodes we run; pops -1: not
 * supported (floating point, tracing). */
struct opinfo {
	const char *name;
	int8_t operands, pops, pushes;
};

static const struct opinfo ops[] = {
	[OP_ADD] = { "add", 0, 2, 1 },           [OP_SUB] = { "sub", 0, 2, 1 },
	[OP_MUL] = { "mul", 0, 2, 1 },           [OP_DIV_S] = { "div_signed", 0, 2, 1 },
	[OP_DIV_U] = { "div_unsigned", 0, 2, 1 }, [OP_REM_S] = { "rem_signed", 0, 2, 1 },
	[OP_REM_U] = { "rem_unsigned", 0, 2, 1 }, [OP_LSH] = { "lsh", 0, 2, 1 },
	[OP_RSH_S] = { "rsh_signed", 0, 2, 1 },  [OP_RSH_U] = { "rsh_unsigned", 0, 2, 1 },
	[OP_LOG_NOT] = { "log_not", 0, 1, 1 },   [OP_BIT_AND] = { "bit_and", 0, 2, 1 },
	[OP_BIT_OR] = { "bit_or", 0, 2, 1 },     [OP_BIT_XOR] = { "bit_xor", 0, 2, 1 },
	[OP_BIT_NOT] = { "bit_not", 0, 1, 1 },   [OP_EQUAL] = { "equal", 0, 2, 1 },
	[OP_LESS_S] = { "less_signed", 0, 2, 1 }, [OP_LESS_U] = { "less_unsigned", 0, 2, 1 },
	[OP_EXT] = { "ext", 1, 1, 1 },           [OP_REF8] = { "ref8", 0, 1, 1 },
	[OP_REF16] = { "ref16", 0, 1, 1 },       [OP_REF32] = { "ref32", 0, 1, 1 },
	[OP_REF64] = { "ref64", 0, 1, 1 },       [OP_IF_GOTO] = { "if_goto", 2, 1, 0 },
	[OP_GOTO] = { "goto", 2, 0, 0 },         [OP_CONST8] = { "const8", 1, 0, 1 },
	[OP_CONST16] = { "const16", 2, 0, 1 },   [OP_CONST32] = { "const32", 4, 0, 1 },
	[OP_CONST64] = { "const64", 8, 0, 1 },   [OP_REG] = { "reg", 2, 0, 1 },
	[OP_END] = { "end", 0, 0, 0 },           [OP_DUP] = { "dup", 0, 1, 2 },
	[OP_POP] = { "pop", 0, 1, 0 },           [OP_ZERO_EXT] = { "zero_ext", 1, 1, 1 },
	[OP_SWAP] = { "swap", 0, 2, 2 },         [OP_PICK] = { "pick", 1, 0, 1 },
	[OP_ROT] = { "rot", 0, 3, 3 },           [OP_PRINTF] = { "printf", 0, 0, 0 },
	/* known, not run */
	[OP_FLOAT] = { "float", 0, -1, 0 },      [OP_TRACE] = { "trace", 0, -1, 0 },
	[OP_TRACE_QUICK] = { "trace_quick", 1, -1, 0 },
	[OP_REF_FLOAT] = { "ref_float", 0, -1, 0 }, [OP_REF_DOUBLE] = { "ref_double", 0, -1, 0 },
	[OP_REF_LDOUBLE] = { "ref_long_double", 0, -1, 0 },
	[OP_L_TO_D] = { "l_to_d", 0, -1, 0 },    [OP_D_TO_L] = { "d_to_l", 0, -1, 0 },
	[OP_GETV] = { "getv", 2, -1, 0 },        [OP_SETV] = { "setv", 2, -1, 0 },
	[OP_TRACEV] = { "tracev", 2, -1, 0 },    [OP_TRACENZ] = { "tracenz", 0, -1, 0 },
	[OP_TRACE16] = { "trace16", 2, -1, 0 },
};

static uint64_t be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The bytes of the bytecode at pc (opcode and operands), 0 when it does
 * not fit or is unknown; printf's are its count, length and string. */
static size_t insn_len(const uint8_t *code, size_t len, size_t pc)
{
	uint8_t op = code[pc];
	if (op >= G_N_ELEMENTS(ops) || !ops[op].name)
		return 0;
	size_t n = 1 + (size_t)ops[op].operands;
	if (op == OP_PRINTF) {
		if (pc + 4 > len)
			return 0;
		n = 4 + be(code + pc + 2, 2);
	}
	return pc + n <= len ? n : 0;
}

static bool fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool fail(GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_autofree char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(error, AX_ERROR, 0, msg);
	return false;
}

bool ax_verify(const uint8_t *code, size_t len, GError **error)
{
	if (len == 0)
		return fail(error, "empty agent expression");
	if (len > AX_MAX_LEN)
		return fail(error, "agent expression of %zu bytes (at most %d)", len, AX_MAX_LEN);
	/* depth[pc] + 1: the stack depth on entry to the bytecode at pc (0:
	 * not reached yet); start[pc]: a bytecode starts there */
	g_autofree int16_t *depth = g_new0(int16_t, len);
	g_autofree uint8_t *start = g_new0(uint8_t, len);
	for (size_t pc = 0; pc < len;) {
		size_t n = insn_len(code, len, pc);
		if (n == 0)
			return fail(error, "bytecode 0x%02x at offset %zu is %s", code[pc], pc,
				    code[pc] < G_N_ELEMENTS(ops) && ops[code[pc]].name ?
				    "cut short" : "unknown");
		uint8_t op = code[pc];
		if (ops[op].pops < 0)
			return fail(error, "bytecode %s at offset %zu is not supported (no floating "
				    "point or tracing in conditions)", ops[op].name, pc);
		if (op == OP_PRINTF && (n < 5 || code[pc + n - 1] != 0))
			return fail(error, "printf at offset %zu: format string not NUL-terminated",
				    pc);
		start[pc] = 1;
		pc += n;
	}
	/* every path, by a worklist over bytecode starts */
	g_autofree size_t *work = g_new(size_t, len + 1);
	size_t nwork = 0;
	depth[0] = 1;
	work[nwork++] = 0;
	while (nwork) {
		size_t pc = work[--nwork];
		int d = depth[pc] - 1;
		uint8_t op = code[pc];
		size_t n = insn_len(code, len, pc);
		int pops = ops[op].pops, pushes = ops[op].pushes;
		if (op == OP_PICK) {
			pops = code[pc + 1] + 1;  /* needs the picked one, leaves it */
			pushes = pops + 1;
		} else if (op == OP_PRINTF) {
			pops = code[pc + 1] + 2;  /* the arguments, function and channel */
		}
		if (d < pops)
			return fail(error, "%s at offset %zu needs %d stack value(s), has %d",
				    ops[op].name, pc, pops, d);
		int nd = d - pops + pushes;
		if (nd > AX_MAX_STACK)
			return fail(error, "the stack grows past %d values at offset %zu",
				    AX_MAX_STACK, pc);
		size_t next[2];
		unsigned nnext = 0;
		if (op == OP_IF_GOTO || op == OP_GOTO) {
			size_t to = be(code + pc + 1, 2);
			if (to >= len || !start[to])
				return fail(error, "%s at offset %zu jumps to %zu, not a bytecode",
					    ops[op].name, pc, to);
			next[nnext++] = to;
		}
		if (op != OP_GOTO && op != OP_END) {
			if (pc + n >= len)
				return fail(error, "the expression runs off its end after offset %zu "
					    "(no end bytecode)", pc);
			next[nnext++] = pc + n;
		}
		for (unsigned i = 0; i < nnext; i++) {
			size_t to = next[i];
			if (depth[to] == 0) {
				depth[to] = (int16_t)(nd + 1);
				work[nwork++] = to;
			} else if (depth[to] != nd + 1) {
				return fail(error, "offset %zu is reached with %d and with %d stack "
					    "values", to, depth[to] - 1, nd);
			}
		}
	}
	return true;
}

unsigned ax_regs_used(const uint8_t *code, size_t len, uint16_t *regs, unsigned max)
{
	unsigned n = 0;
	for (size_t pc = 0; pc < len;) {
		size_t l = insn_len(code, len, pc);
		if (l == 0)
			break;
		if (code[pc] == OP_REG) {
			uint16_t r = (uint16_t)be(code + pc + 1, 2);
			bool seen = false;
			for (unsigned i = 0; i < n; i++)
				seen |= regs[i] == r;
			if (!seen && n < max)
				regs[n++] = r;
		}
		pc += l;
	}
	return n;
}

/* ---- printf ------------------------------------------------------------------------ */

/* A conversion's flags, width and precision (-1: none). */
struct spec {
	bool left, zero, plus, space, alt;
	int width, prec;
};

/* Appends body, with its prefix (sign, 0x), padded as spec says. */
static void pad_out(GString *out, const struct spec *sp, const char *prefix, const char *body,
		    bool numeric)
{
	int len = (int)(strlen(prefix) + strlen(body));
	int fill = sp->width > len ? sp->width - len : 0;
	if (!sp->left && !(sp->zero && numeric && sp->prec < 0))
		for (int i = 0; i < fill; i++)
			g_string_append_c(out, ' ');
	g_string_append(out, prefix);
	if (!sp->left && sp->zero && numeric && sp->prec < 0)
		for (int i = 0; i < fill; i++)
			g_string_append_c(out, '0');
	g_string_append(out, body);
	if (sp->left)
		for (int i = 0; i < fill; i++)
			g_string_append_c(out, ' ');
}

/* Appends one conversion for the 64-bit argument v (length modifiers do
 * not matter: every argument is a 64-bit stack value). */
static bool print_one(GString *out, const struct spec *sp, char conv, uint64_t v,
		      const struct ax_env *env, GError **error)
{
	char digits[80];
	switch (conv) {
	case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'p': {
		bool is_signed = conv == 'd' || conv == 'i';
		bool neg = is_signed && (int64_t)v < 0;
		uint64_t mag = neg ? (uint64_t)0 - v : v;
		unsigned base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X' || conv == 'p') ? 16 : 10;
		const char *set = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
		char rev[72];
		int n = 0;
		if (!(sp->prec == 0 && mag == 0))
			do {
				rev[n++] = set[mag % base];
				mag /= base;
			} while (mag && n < 70);
		int want = sp->prec > 64 ? 64 : sp->prec;
		int k = 0;
		for (int z = n; z < want; z++)
			digits[k++] = '0';
		while (n)
			digits[k++] = rev[--n];
		digits[k] = 0;
		const char *prefix = "";
		if (neg)
			prefix = "-";
		else if (is_signed && sp->plus)
			prefix = "+";
		else if (is_signed && sp->space)
			prefix = " ";
		else if (conv == 'p' || (sp->alt && v && conv == 'x'))
			prefix = "0x";
		else if (sp->alt && v && conv == 'X')
			prefix = "0X";
		else if (sp->alt && conv == 'o' && digits[0] != '0')
			prefix = "0";
		pad_out(out, sp, prefix, digits, true);
		return true;
	}
	case 'c':
		digits[0] = (char)(unsigned char)v;
		digits[1] = 0;
		pad_out(out, sp, "", digits, false);
		return true;
	case 's': {
		char buf[257];
		size_t n = 0, max = sizeof(buf) - 1;
		uint8_t b;
		if (sp->prec >= 0 && (size_t)sp->prec < max)
			max = (size_t)sp->prec;
		while (n < max && env->mem(env->ctx, v + n, 1, &b) && b)
			buf[n++] = (char)b;
		buf[n] = 0;
		if (n == 0 && max && !env->mem(env->ctx, v, 1, &b))
			return fail(error, "printf %%s: no memory at 0x%" G_GINT64_MODIFIER "x", v);
		pad_out(out, sp, "", buf, false);
		return true;
	}
	default:
		return fail(error, "printf: conversion %%%c is not supported", conv);
	}
}

static bool do_printf(const char *format, const uint64_t *args, unsigned nargs,
		      const struct ax_env *env, GError **error)
{
	GString *out = g_string_new(NULL);
	unsigned used = 0;
	bool ok = true;
	for (const char *p = format; *p && ok; p++) {
		if (*p == '\\' && p[1]) {
			/* the format comes as C source writes it (gdb manual, printf):
			 * \n, \t, \\, \", octal and hex escapes */
			static const char from[] = "abfnrtv\\\"'?", to[] = "\a\b\f\n\r\t\v\\\"'?";
			const char *k = strchr(from, p[1]);
			if (k) {
				g_string_append_c(out, to[k - from]);
				p++;
			} else if (p[1] >= '0' && p[1] <= '7') {
				unsigned v = 0, n = 0;
				for (p++; n < 3 && *p >= '0' && *p <= '7'; n++, p++)
					v = v * 8 + (unsigned)(*p - '0');
				g_string_append_c(out, (char)v);
				p--;
			} else if (p[1] == 'x' && g_ascii_isxdigit(p[2])) {
				unsigned v = 0;
				for (p += 2; g_ascii_isxdigit(*p); p++)
					v = (v * 16 + (unsigned)g_ascii_xdigit_value(*p)) & 0xff;
				g_string_append_c(out, (char)v);
				p--;
			} else {
				g_string_append_c(out, *p);
			}
			continue;
		}
		if (*p != '%') {
			g_string_append_c(out, *p);
			continue;
		}
		if (p[1] == '%') {
			g_string_append_c(out, '%');
			p++;
			continue;
		}
		/* flags, width, precision, length modifiers, conversion */
		struct spec sp = { .prec = -1 };
		p++;
		for (; *p && strchr("-+ #0", *p); p++) {
			sp.left |= *p == '-';
			sp.plus |= *p == '+';
			sp.space |= *p == ' ';
			sp.alt |= *p == '#';
			sp.zero |= *p == '0';
		}
		for (; *p >= '0' && *p <= '9'; p++)
			sp.width = sp.width < 1000 ? sp.width * 10 + (*p - '0') : sp.width;
		if (*p == '.') {
			sp.prec = 0;
			for (p++; *p >= '0' && *p <= '9'; p++)
				sp.prec = sp.prec < 1000 ? sp.prec * 10 + (*p - '0') : sp.prec;
		}
		while (*p && strchr("hlLqjzt", *p))
			p++;
		if (!*p) {
			ok = fail(error, "printf: format ends inside a conversion");
			break;
		}
		if (used >= nargs) {
			ok = fail(error, "printf: more conversions than the %u argument(s)", nargs);
			break;
		}
		ok = print_one(out, &sp, *p, args[used++], env, error);
		if (out->len > AX_MAX_PRINT)
			break;
	}
	if (ok && env->print) {
		if (out->len > AX_MAX_PRINT)
			g_string_truncate(out, AX_MAX_PRINT);
		env->print(env->ctx, out->str);
	}
	g_string_free(out, TRUE);
	return ok;
}

/* ---- evaluation -------------------------------------------------------------------- */

bool ax_eval(const uint8_t *code, size_t len, const struct ax_env *env, uint64_t *result,
	     GError **error)
{
	uint64_t st[AX_MAX_STACK + 1];
	int sp = 0;  /* values on the stack */
	size_t pc = 0;
#define NEED(k) do { if (sp < (k)) return fail(error, "stack underflow at offset %zu", pc); } while (0)
#define ROOM(k) do { if (sp + (k) > AX_MAX_STACK) return fail(error, "stack overflow at offset %zu", pc); } while (0)
	for (unsigned steps = 0;; steps++) {
		if (steps >= AX_MAX_STEPS)
			return fail(error, "the expression ran %d bytecodes without ending",
				    AX_MAX_STEPS);
		if (pc >= len)
			return fail(error, "the expression ran off its end");
		size_t n = insn_len(code, len, pc);
		if (n == 0)
			return fail(error, "bad bytecode 0x%02x at offset %zu", code[pc], pc);
		uint8_t op = code[pc];
		const uint8_t *arg = code + pc + 1;
		uint64_t a, b;
		switch (op) {
		case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV_S: case OP_DIV_U: case OP_REM_S:
		case OP_REM_U: case OP_LSH: case OP_RSH_S: case OP_RSH_U: case OP_BIT_AND:
		case OP_BIT_OR: case OP_BIT_XOR: case OP_EQUAL: case OP_LESS_S: case OP_LESS_U:
			NEED(2);
			a = st[sp - 2];
			b = st[sp - 1];
			sp--;
			switch (op) {
			case OP_ADD: a += b; break;
			case OP_SUB: a -= b; break;
			case OP_MUL: a *= b; break;
			case OP_DIV_S: case OP_REM_S:
				if (b == 0)
					return fail(error, "division by zero at offset %zu", pc);
				if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
					a = op == OP_DIV_S ? a : 0;  /* wraps, as the CPU would not trap here */
				else
					a = op == OP_DIV_S ? (uint64_t)((int64_t)a / (int64_t)b)
							   : (uint64_t)((int64_t)a % (int64_t)b);
				break;
			case OP_DIV_U: case OP_REM_U:
				if (b == 0)
					return fail(error, "division by zero at offset %zu", pc);
				a = op == OP_DIV_U ? a / b : a % b;
				break;
			case OP_LSH: a = b >= 64 ? 0 : a << b; break;
			case OP_RSH_S: a = (uint64_t)((int64_t)a >> (b >= 64 ? 63 : b)); break;
			case OP_RSH_U: a = b >= 64 ? 0 : a >> b; break;
			case OP_BIT_AND: a &= b; break;
			case OP_BIT_OR: a |= b; break;
			case OP_BIT_XOR: a ^= b; break;
			case OP_EQUAL: a = a == b; break;
			case OP_LESS_S: a = (int64_t)a < (int64_t)b; break;
			default: a = a < b; break;  /* OP_LESS_U */
			}
			st[sp - 1] = a;
			break;
		case OP_LOG_NOT:
			NEED(1);
			st[sp - 1] = !st[sp - 1];
			break;
		case OP_BIT_NOT:
			NEED(1);
			st[sp - 1] = ~st[sp - 1];
			break;
		case OP_EXT: case OP_ZERO_EXT: {
			NEED(1);
			unsigned bits = arg[0];
			if (bits > 0 && bits < 64) {
				uint64_t mask = (1ull << bits) - 1, v = st[sp - 1] & mask;
				if (op == OP_EXT && (v >> (bits - 1)) & 1)
					v |= ~mask;
				st[sp - 1] = v;
			}
			break;
		}
		case OP_REF8: case OP_REF16: case OP_REF32: case OP_REF64: {
			NEED(1);
			unsigned size = 1u << (op - OP_REF8);
			uint8_t buf[8];
			uint64_t addr = st[sp - 1];
			if (!env->mem(env->ctx, addr, size, buf))
				return fail(error, "cannot read %u byte(s) of guest memory at 0x%"
					    G_GINT64_MODIFIER "x", size, addr);
			uint64_t v = 0;
			for (unsigned i = 0; i < size; i++)
				v |= (uint64_t)buf[env->big_endian ? size - 1 - i : i] << (8 * i);
			st[sp - 1] = v;
			break;
		}
		case OP_IF_GOTO:
			NEED(1);
			if (st[--sp]) {
				pc = be(arg, 2);
				continue;
			}
			break;
		case OP_GOTO:
			pc = be(arg, 2);
			continue;
		case OP_CONST8: case OP_CONST16: case OP_CONST32: case OP_CONST64:
			ROOM(1);
			st[sp++] = be(arg, n - 1);
			break;
		case OP_REG: {
			ROOM(1);
			unsigned r = (unsigned)be(arg, 2);
			if (!env->reg(env->ctx, r, &st[sp]))
				return fail(error, "no register %u", r);
			sp++;
			break;
		}
		case OP_END:  /* the result; commands (printf) end with nothing left */
			*result = sp ? st[sp - 1] : 0;
			return true;
		case OP_DUP:
			NEED(1);
			ROOM(1);
			st[sp] = st[sp - 1];
			sp++;
			break;
		case OP_POP:
			NEED(1);
			sp--;
			break;
		case OP_SWAP:
			NEED(2);
			a = st[sp - 1];
			st[sp - 1] = st[sp - 2];
			st[sp - 2] = a;
			break;
		case OP_PICK:
			NEED((int)arg[0] + 1);
			ROOM(1);
			st[sp] = st[sp - 1 - arg[0]];
			sp++;
			break;
		case OP_ROT:  /* a b c => c a b */
			NEED(3);
			a = st[sp - 1];
			st[sp - 1] = st[sp - 2];
			st[sp - 2] = st[sp - 3];
			st[sp - 3] = a;
			break;
		case OP_PRINTF: {
			unsigned nargs = arg[0];
			NEED((int)nargs + 2);
			uint64_t args[AX_MAX_STACK];
			sp -= 2;  /* function and channel: the printing is ours */
			for (unsigned i = 0; i < nargs; i++)
				args[i] = st[--sp];
			if (!do_printf((const char *)arg + 3, args, nargs, env, error))
				return false;
			break;
		}
		default:
			return fail(error, "bytecode %s at offset %zu is not supported",
				    ops[op].name ? ops[op].name : "?", pc);
		}
		pc += n;
	}
#undef NEED
#undef ROOM
}
