/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-vmdbg-plain.c - libvmdbg's own C API, as a VMM without GLib uses
 * it (only the test harness is GLib's): struct vmdbg_buf fixed and
 * growable, encoders' return codes, vmdbg_decode()'s codes and
 * struct vmdbg_diag, the strict UTF-8 check of ERROR text.
 */
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "check.h"
#include "vmdbg-codec.h"

/* A fixed buffer: a frame that does not fit is refused whole. */
static void test_fixed_buffer(void)
{
	uint8_t mem[40];
	memset(mem, 0xaa, sizeof(mem));
	struct vmdbg_buf b;
	vmdbg_buf_init_fixed(&b, mem, sizeof(mem));
	CHECK(vmdbg_enc_hello_request(&b.out, 1, 1, 0) == 0, "HELLO (24 bytes) fits");
	CHECK(b.len == 24, "len %zu", b.len);
	/* 16 bytes left: a READ_MEM request needs 32 */
	CHECK(vmdbg_enc_read_mem(&b.out, 2, 0, 0x1000, 4) == VMDBG_E_NOSPC, "READ_MEM refused");
	CHECK(b.len == 24 && mem[24] == 0xaa, "nothing appended (len %zu)", b.len);
	CHECK(vmdbg_enc_empty(&b.out, VMDBG_PAUSE, 3) == 0, "PAUSE (16 bytes) fits exactly");
	CHECK(b.len == 40, "len %zu", b.len);
	vmdbg_buf_consume(&b, 24);
	CHECK(b.len == 16 && mem[6] == VMDBG_PAUSE && mem[8] == 3, "PAUSE moved to the start");
	vmdbg_buf_fini(&b);  /* the caller's memory: not freed */
	CHECK(b.data == NULL && b.len == 0, "emptied");
}

/* A growable buffer takes frames up to VMDBG_MAX_FRAME, no more. */
static void test_growable_buffer(void)
{
	struct vmdbg_buf b;
	vmdbg_buf_init(&b);
	static uint8_t data[VMDBG_MAX_MEM_XFER];
	for (unsigned i = 0; i < 20; i++)
		CHECK(vmdbg_enc_write_mem(&b.out, i + 1, 0, 0x1000, data, sizeof(data)) == 0, "frame %u", i);
	CHECK(b.len == 20 * (VMDBG_HDR_SIZE + 16 + sizeof(data)), "len %zu", b.len);
	struct vmdbg_msg m;
	CHECK(vmdbg_decode(b.data, VMDBG_HDR_SIZE + 16 + sizeof(data), &m, NULL) == 0 && m.seq == 1,
	      "the first frame decodes");
	/* 4096 U2048 values: 4096 × 264 + 24 bytes > 1 MiB */
	static uint64_t ids[VMDBG_MAX_REGS];
	static uint8_t vals[VMDBG_MAX_REGS * 256];
	for (unsigned i = 0; i < VMDBG_MAX_REGS; i++)
		ids[i] = VMDBG_ARM64_ZREG(0);
	size_t before = b.len;
	CHECK(vmdbg_enc_reg_vals(&b.out, VMDBG_SET_REGS, 99, 0, ids, VMDBG_MAX_REGS, vals) ==
	      VMDBG_E_INVAL, "a frame over VMDBG_MAX_FRAME is refused");
	CHECK(b.len == before, "and nothing appended");
	vmdbg_buf_fini(&b);
}

/* vmdbg_decode's answer is the code the spec names; diag says why. */
static void test_decode_codes(void)
{
	uint8_t f[24] = { 24, 0, 0, 0, 1, 0, VMDBG_HELLO, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 };
	struct vmdbg_msg m;
	struct vmdbg_diag d;
	CHECK(vmdbg_decode(f, sizeof(f), &m, &d) == 0 && m.seq == 7, "HELLO decodes");
	f[4] = 2;
	CHECK(vmdbg_decode(f, sizeof(f), &m, &d) == VMDBG_E_VERSION && d.code == VMDBG_E_VERSION &&
	      strstr(d.text, "version 2"), "version 2: %s", d.text);
	CHECK(m.seq == 7, "seq kept for the ERROR answer");
	f[4] = 1;
	f[6] = 0x33;
	CHECK(vmdbg_decode(f, sizeof(f), &m, NULL) == VMDBG_E_UNKNOWN, "unknown type, no diag asked");
	f[6] = VMDBG_HELLO;
	CHECK(vmdbg_decode(f, 20, &m, &d) == VMDBG_E_PROTO, "length field and frame disagree: %s", d.text);
	f[0] = 20;
	CHECK(vmdbg_decode(f, 20, &m, &d) == VMDBG_E_PROTO && strstr(d.text, "HELLO payload of 4 bytes is truncated"),
	      "truncated: %s", d.text);
	size_t len;
	uint8_t bad[4] = { 8, 0, 0, 0 };
	CHECK(vmdbg_frame_peek(bad, 4, &len, &d) == VMDBG_FRAME_BAD && d.code == VMDBG_E_PROTO,
	      "length 8: %s", d.text);
	CHECK(vmdbg_frame_peek(f, 3, &len, NULL) == VMDBG_FRAME_NEED_MORE, "3 bytes: need more");
}

/* ERROR text: strict UTF-8, as RFC 3629 has it, and no NUL. */
static void test_error_text_utf8(void)
{
	static const struct {
		const char *text;
		bool ok;
	} cases[] = {
		{ "plain", true },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", true },   /* é € 😀 */
		{ "\xc0\x80", false },               /* overlong NUL */
		{ "\xe0\x80\xaf", false },           /* overlong '/' */
		{ "\xed\xa0\x80", false },           /* a surrogate */
		{ "\xf4\x90\x80\x80", false },       /* past U+10FFFF */
		{ "\xe2\x82", false },               /* cut short */
		{ "\x80", false },                   /* a lone continuation byte */
		{ "\xf8\x88\x80\x80\x80", false },   /* a 5-byte form */
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint8_t f[64];
		size_t n = strlen(cases[i].text);
		memcpy(f, (const uint8_t[]){ 0, 0, 0, 0, 1, 0, VMDBG_ERROR, 0, 5, 0, 0, 0, 0, 0, 0, 0,
					     VMDBG_E_INVAL, 0, 0, 0 }, 20);
		f[0] = (uint8_t)(24 + n);
		f[20] = (uint8_t)n, f[21] = f[22] = f[23] = 0;
		memcpy(f + 24, cases[i].text, n);
		struct vmdbg_msg m;
		struct vmdbg_diag d;
		int r = vmdbg_decode(f, 24 + n, &m, &d);
		CHECK(cases[i].ok ? r == 0 : r == VMDBG_E_PROTO, "case %u: %d (%s)", i, r, r ? d.text : "");
	}
	/* a NUL inside the counted text */
	uint8_t z[26] = { 26, 0, 0, 0, 1, 0, VMDBG_ERROR, 0, 5, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 'a', 0 };
	struct vmdbg_msg m;
	CHECK(vmdbg_decode(z, sizeof(z), &m, NULL) == VMDBG_E_PROTO, "NUL in the text");
}

/* The encoder cuts long text at VMDBG_MAX_ERROR_TEXT, never inside a character. */
static void test_error_text_cut(void)
{
	char text[VMDBG_MAX_ERROR_TEXT + 8];
	memset(text, 'a', sizeof(text));
	memcpy(text + VMDBG_MAX_ERROR_TEXT - 1, "\xe2\x82\xac", 3);  /* € across the limit */
	text[sizeof(text) - 1] = 0;
	struct vmdbg_buf b;
	vmdbg_buf_init(&b);
	CHECK(vmdbg_enc_error(&b.out, 1, VMDBG_E_HOST, text) == 0, "encoded");
	struct vmdbg_msg m;
	struct vmdbg_diag d;
	CHECK(vmdbg_decode(b.data, b.len, &m, &d) == 0, "decodes: %s", d.text);
	CHECK(m.u.error.len == VMDBG_MAX_ERROR_TEXT - 1, "cut before the euro sign: %u", m.u.error.len);
	vmdbg_buf_fini(&b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_set_nonfatal_assertions();
	g_test_add_func("/vmdbg/plain/fixed-buffer", test_fixed_buffer);
	g_test_add_func("/vmdbg/plain/growable-buffer", test_growable_buffer);
	g_test_add_func("/vmdbg/plain/decode-codes", test_decode_codes);
	g_test_add_func("/vmdbg/plain/error-text-utf8", test_error_text_utf8);
	g_test_add_func("/vmdbg/plain/error-text-cut", test_error_text_cut);
	return g_test_run();
}
