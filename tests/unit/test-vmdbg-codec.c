/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * test-vmdbg-codec.c - unit tests of the vmdbg codec (proto/vmdbg-codec.h).
 *
 * These tests are an independent check of proto/vmdbg-codec.c against the
 * normative proto/vmdbg.md: every expected byte below was written from the
 * spec's frame and payload layouts (header = u32 len | u16 version |
 * u16 type | u32 seq | u32 reserved, all little-endian), never taken from
 * the codec's own output.  Only the public API of vmdbg-codec.h is used.
 *
 * Error codes expected for malformed frames (enum vmdbg_err):
 *   EPROTO   - frame shape: truncated or trailing payload, len field below
 *              16 / above 1 MiB / not matching the frame, the header's
 *              reserved field or a payload's reserved(0) field (HELLO and
 *              READ_MEM replies) not 0 (spec §2 "malformed frame", "bad
 *              payload, reserved field not 0").
 *   EVERSION - header version != 1 (§2, §5).
 *   EUNKNOWN - a type not in the §3 table, including a reply bit on a type
 *              that has no reply (0xc0, 0xff) and types above 0xff.
 *   EINVAL   - "bad argument (vCPU, register id, length, control bits)":
 *              register ids with a size field > 8 or an unknown arch byte
 *              (§3 "Register ids", named explicitly), SET_GUEST_DEBUG
 *              control bits (named explicitly) and arch, READ_MEM/WRITE_MEM
 *              lengths of 0 or above VMDBG_MAX_MEM_XFER (a bad length),
 *              RESUME actions and STOPPED reasons outside their tables,
 *              WATCH_INSERT/WATCH_REMOVE kinds other than 2-4, lengths
 *              outside 1..65536 and ranges that wrap (vmdbg.md, WATCH_*).
 *   EPROTO   - also a WATCH_LIST reply of more than 64 records or a record
 *              of 0 or more than 17 pages (limits of the frame's shape).
 *   EINVAL or EPROTO - where the spec names no code and both readings
 *              hold: more than VMDBG_MAX_REGS ids or more than 1024 bytes
 *              of error text (§2 lists these limits without a code: a bad
 *              length, or a malformed frame), ERROR text that is not UTF-8
 *              or holds a NUL, frames that break two rules at once (a
 *              huge count with a short payload), and WATCH_LIST records
 *              whose watch WATCH_INSERT would refuse (EINVAL there).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "vmdbg-glib.h"

#include "check.h"

#define HDR 16u

/* ---- little-endian byte building, independent of the codec ------------- */

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* g_memdup2() needs GLib 2.68; configure accepts 2.66. */
static void *memdup(const void *p, size_t n)
{
	void *d = g_malloc(n ? n : 1);
	memcpy(d, p, n);
	return d;
}

static void put_u16(GByteArray *b, uint16_t v)
{
	uint8_t x[2];
	wr16(x, v);
	g_byte_array_append(b, x, 2);
}

static void put_u32(GByteArray *b, uint32_t v)
{
	uint8_t x[4];
	wr32(x, v);
	g_byte_array_append(b, x, 4);
}

static void put_u64(GByteArray *b, uint64_t v)
{
	uint8_t x[8];
	wr64(x, v);
	g_byte_array_append(b, x, 8);
}

static void put_bytes(GByteArray *b, const void *p, size_t n)
{
	if (n)
		g_byte_array_append(b, p, (guint)n);
}

/* A header with len 0; frame_done() patches the length in. */
static GByteArray *frame_new(uint16_t type, uint32_t seq)
{
	GByteArray *b = g_byte_array_new();
	put_u32(b, 0);
	put_u16(b, 1);
	put_u16(b, type);
	put_u32(b, seq);
	put_u32(b, 0);
	return b;
}

static void frame_done(GByteArray *b)
{
	wr32(b->data, b->len);
}

/* ---- decode helpers ------------------------------------------------------ */

static bool decode_ok_(const char *what, const uint8_t *buf, size_t len,
		       struct vmdbg_msg *m)
{
	GError *err = NULL;
	size_t flen = 0;
	enum vmdbg_frame_status st = vmdbg_g_frame_peek(buf, len, &flen, &err);

	CHECK(st == VMDBG_FRAME_OK, "%s: vmdbg_g_frame_peek() = %d, expected OK (%d)",
	      what, (int)st, (int)VMDBG_FRAME_OK);
	CHECK(err == NULL, "%s: vmdbg_g_frame_peek() set an error: %s", what,
	      err ? err->message : "");
	CHECK(flen == len, "%s: frame_len %zu, expected %zu", what, flen, len);
	g_clear_error(&err);

	memset(m, 0x5a, sizeof *m);
	bool ok = vmdbg_g_decode(buf, len, m, &err);
	CHECK(ok, "%s: vmdbg_g_decode() failed: %s", what, err ? err->message : "(no GError)");
	CHECK(!ok || err == NULL, "%s: vmdbg_g_decode() succeeded but set an error", what);
	g_clear_error(&err);
	return ok;
}

/* Assertions are non-fatal (see main): a test stops at a failed decode
 * rather than look at a message that is not there. */
#define decode_ok(what, buf, len, m)                     \
	do {                                             \
		if (!decode_ok_((what), (buf), (len), (m))) \
			return;                          \
	} while (0)

/* Decode must fail with VMDBG_CODEC_ERROR code (or alt) and a message. */
static bool expect_fail2(const char *what, const uint8_t *buf, size_t len,
			 int code, int alt, struct vmdbg_msg *out)
{
	struct vmdbg_msg m;
	GError *err = NULL;
	bool good = true;

	memset(&m, 0x5a, sizeof m);
	bool ok = vmdbg_g_decode(buf, len, &m, &err);
	if (out)
		*out = m;
	if (ok) {
		CHECK(!ok, "%s: vmdbg_g_decode() succeeded, expected error %d (%s)", what,
		      code, vmdbg_err_name((uint32_t)code));
		g_clear_error(&err);
		return false;
	}
	if (err == NULL) {
		CHECK(err != NULL, "%s: vmdbg_g_decode() failed without a GError", what);
		return false;
	}
	if (err->domain != VMDBG_CODEC_ERROR) {
		CHECK(err->domain == VMDBG_CODEC_ERROR, "%s: GError domain %s, expected %s",
		      what, g_quark_to_string(err->domain),
		      g_quark_to_string(VMDBG_CODEC_ERROR));
		good = false;
	}
	if (err->code != code && err->code != alt) {
		CHECK(err->code == code || err->code == alt,
		      "%s: error code %d (%s: \"%s\"), expected %d (%s)", what, err->code,
		      vmdbg_err_name((uint32_t)err->code), err->message, code,
		      vmdbg_err_name((uint32_t)code));
		good = false;
	}
	if (err->message == NULL || err->message[0] == '\0') {
		CHECK(0, "%s: GError without message", what);
		good = false;
	}
	g_error_free(err);
	return good;
}

static void expect_fail(const char *what, const uint8_t *buf, size_t len, int code)
{
	expect_fail2(what, buf, len, code, code, NULL);
}

/* ...and the header fields must still be reported (vmdbg-codec.h). */
static void expect_fail_hdr(const char *what, const uint8_t *buf, size_t len,
			    int code, uint8_t type, uint32_t seq)
{
	struct vmdbg_msg m;

	if (!expect_fail2(what, buf, len, code, code, &m))
		return;
	CHECK(m.seq == seq, "%s: msg.seq 0x%x after failure, expected 0x%x", what,
	      m.seq, seq);
	CHECK(m.type == type, "%s: msg.type 0x%x after failure, expected 0x%x", what,
	      m.type, type);
}

static void expect_fail_b(const char *what, GByteArray *b, int code)
{
	expect_fail_hdr(what, b->data, b->len, code, (uint8_t)rd16(b->data + 6),
			rd32(b->data + 8));
}

static void expect_peek(const char *what, const uint8_t *buf, size_t avail,
			enum vmdbg_frame_status want, size_t want_len)
{
	GError *err = NULL;
	size_t flen = 0xdeadbeef;
	enum vmdbg_frame_status st = vmdbg_g_frame_peek(buf, avail, &flen, &err);

	CHECK(st == want, "%s: vmdbg_g_frame_peek(avail=%zu) = %d, expected %d", what,
	      avail, (int)st, (int)want);
	switch (want) {
	case VMDBG_FRAME_OK:
		CHECK(err == NULL, "%s: error set on OK", what);
		CHECK(flen == want_len, "%s: frame_len %zu, expected %zu", what, flen,
		      want_len);
		break;
	case VMDBG_FRAME_NEED_MORE:
		CHECK(err == NULL, "%s: error set on NEED_MORE: %s", what, err->message);
		/* "*frame_len is a hint or 0" */
		if (want_len)
			CHECK(flen == 0 || flen == want_len,
			      "%s: NEED_MORE hint %zu, expected 0 or %zu", what, flen,
			      want_len);
		break;
	case VMDBG_FRAME_BAD:
		CHECK(err != NULL, "%s: BAD without a GError", what);
		CHECK(err->domain == VMDBG_CODEC_ERROR, "%s: BAD error domain %s", what,
		      g_quark_to_string(err->domain));
		CHECK(err->code == VMDBG_E_PROTO, "%s: BAD error code %d, expected EPROTO",
		      what, err->code);
		CHECK(err->message && err->message[0], "%s: BAD GError without message",
		      what);
		break;
	}
	g_clear_error(&err);
}

/* ---- register ids, written out from the spec ----------------------------- */

/* x86: 0x2000000000000000 | size | group << 16 | number */
#define ID_RAX    0x2030000000010000ull /* U64, GPR 0 */
#define ID_RIP    0x2030000000010010ull /* U64, GPR 16 */
#define ID_EFLAGS 0x2020000000010011ull /* U32, GPR 17 */
#define ID_CS     0x2010000000020000ull /* U16, SEG 0 */
#define ID_CR3    0x2030000000030003ull /* U64, CR 3 */
#define ID_ST0    0x2040000000048000ull /* U128, X87 0x8000|0 */
#define ID_XMM0   0x2040000000050000ull /* U128, SSE 0 */
#define ID_MXCSR  0x2020000000050010ull /* U32, SSE 16 */
#define ID_ZMMH0  0x2050000000070000ull /* U256, AVX-512 0 */
#define ID_ZMM16  0x2060000000070010ull /* U512, AVX-512 16 */
#define ID_K0     0x2030000000070020ull /* U64, AVX-512 32 */
/* arm64 (KVM): KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | off/4 */
#define ID_A64_X0 0x6030000000100000ull
#define ID_A64_PC 0x6030000000100040ull

/* ---- hand-written frames -------------------------------------------------- */

/* HELLO request, seq 1: version 1, features 0x1f */
static const uint8_t v_hello_req[] = {
	0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00,
};

/* HELLO reply, seq 1: version 1, arch 2, nr_vcpus 3, hw_bps 6, hw_wps 4,
 * features 0x1e, max_frame 0x100000, reserved 0 */
static const uint8_t v_hello_rep[] = {
	0x30, 0x00, 0x00, 0x00, 0x01, 0x00, 0x81, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* REG_LIST request, seq 0x11223344: vcpu 2 */
static const uint8_t v_reg_list_req[] = {
	0x14, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00,
	0x44, 0x33, 0x22, 0x11, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00,
};

/* REG_LIST reply, seq 0x0a0b0c0d: vcpu 1, count 3, rax eflags st0 */
static const uint8_t v_reg_list_rep[] = {
	0x30, 0x00, 0x00, 0x00, 0x01, 0x00, 0x82, 0x00,
	0x0d, 0x0c, 0x0b, 0x0a, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x30, 0x20,
	0x11, 0x00, 0x01, 0x00, 0x00, 0x00, 0x20, 0x20,
	0x00, 0x80, 0x04, 0x00, 0x00, 0x00, 0x40, 0x20,
};

/* GET_REGS request, seq 6: vcpu 0, count 2, arm64 pc, x0 */
static const uint8_t v_get_regs_req[] = {
	0x28, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00,
	0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x40, 0x00, 0x10, 0x00, 0x00, 0x00, 0x30, 0x60,
	0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x30, 0x60,
};

/* GET_REGS reply, seq 6: vcpu 0, count 3:
 * rip = 0xffffffff81000000, cs = 0x0010, eflags = 0x00000246 */
static const uint8_t v_get_regs_rep[] = {
	0x3e, 0x00, 0x00, 0x00, 0x01, 0x00, 0x83, 0x00,
	0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x30, 0x20,
	0x00, 0x00, 0x00, 0x81, 0xff, 0xff, 0xff, 0xff,
	0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x10, 0x20,
	0x10, 0x00,
	0x11, 0x00, 0x01, 0x00, 0x00, 0x00, 0x20, 0x20,
	0x46, 0x02, 0x00, 0x00,
};

/* SET_REGS request, seq 7: vcpu 1, count 2: xmm0 = 00..0f, mxcsr = 0x1f80 */
static const uint8_t v_set_regs_req[] = {
	0x3c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04, 0x00,
	0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x40, 0x20,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x00, 0x05, 0x00, 0x00, 0x00, 0x20, 0x20,
	0x80, 0x1f, 0x00, 0x00,
};

/* READ_MEM request, seq 8: vcpu 3, len 0x100, addr 0xffff800000001000 */
static const uint8_t v_read_mem_req[] = {
	0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05, 0x00,
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x10, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff,
};

/* READ_MEM reply, seq 8: addr 0xffff800000001000, len 5, 55 48 89 e5 cc */
static const uint8_t v_read_mem_rep[] = {
	0x25, 0x00, 0x00, 0x00, 0x01, 0x00, 0x85, 0x00,
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff,
	0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x55, 0x48, 0x89, 0xe5, 0xcc,
};

/* WRITE_MEM request, seq 9: vcpu 2, len 3, addr 0x401000, 90 90 cc */
static const uint8_t v_write_mem_req[] = {
	0x23, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00,
	0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x90, 0x90, 0xcc,
};

/* SET_GUEST_DEBUG, seq 10: control 3, arch 1 (x86-64),
 * debugreg = { 0x401000, 0xffffffff81234567, 0, 0, 0, 0, 0xffff0ff0, 0x403 } */
static const uint8_t v_gdbg_x86[] = {
	0x58, 0x00, 0x00, 0x00, 0x01, 0x00, 0x07, 0x00,
	0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x67, 0x45, 0x23, 0x81, 0xff, 0xff, 0xff, 0xff,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xf0, 0x0f, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* SW_BP_INSERT, seq 11: vcpu 0, kind 1, addr 0x100000 */
static const uint8_t v_sw_bp_insert[] = {
	0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00,
	0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* SW_BP_REMOVE, seq 12: vcpu 1, kind 4, addr 0xffff000008080000 */
static const uint8_t v_sw_bp_remove[] = {
	0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x09, 0x00,
	0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x08, 0x08, 0x00, 0x00, 0xff, 0xff,
};

/* PAUSE, seq 13 */
static const uint8_t v_pause[] = {
	0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0a, 0x00,
	0x0d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* RESUME, seq 14: default STAY, count 2: {vcpu 0, STEP}, {vcpu 3, CONTINUE} */
static const uint8_t v_resume[] = {
	0x28, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x00,
	0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
};

/* RESUME, seq 7: default STAY, count 2: {vcpu 1, RANGE_STEP}, {vcpu 0,
 * CONTINUE}; then vCPU 1's range [0x401000, 0x401010) */
static const uint8_t v_resume_range[] = {
	0x38, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x00,
	0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x10, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* DETACH, seq 0xffffffff */
static const uint8_t v_detach[] = {
	0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0c, 0x00,
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};

/* STOPPED event, seq 0: vcpu 1, reason DEBUG, pc 0x401005,
 * info = { 1, 0xffff4ff1, 0x403 } */
static const uint8_t v_stopped[] = {
	0x38, 0x00, 0x00, 0x00, 0x01, 0x00, 0x40, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x10, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xf1, 0x4f, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* ERROR, seq 15: code EFAULT (6), "unmapped" */
static const uint8_t v_error[] = {
	0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x7f, 0x00,
	0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
	'u', 'n', 'm', 'a', 'p', 'p', 'e', 'd',
};

/* OK reply to SET_REGS, seq 7 */
static const uint8_t v_ok_set_regs[] = {
	0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x84, 0x00,
	0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* WATCH_INSERT, seq 0x21: vcpu 1, kind 2 (write), addr 0x40080100, len 8 */
static const uint8_t v_watch_insert[] = {
	0x28, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0f, 0x00,
	0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* WATCH_REMOVE, seq 0x22: vcpu 0, kind 4 (access), addr 0xffff000000001ffc,
 * len 8 (across a page boundary) */
static const uint8_t v_watch_remove[] = {
	0x28, 0x00, 0x00, 0x00, 0x01, 0x00, 0x10, 0x00,
	0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
	0xfc, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* WATCH_LIST request, seq 0x23: empty */
static const uint8_t v_watch_list_req[] = {
	0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x11, 0x00,
	0x23, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* WATCH_LIST reply, seq 0x23: 2 watches.
 *   0x40080100, 8 bytes, write, 1 page (0x40080000), hits 3, silent 0x1234
 *   0xffff000000001ffc, 8 bytes, access, 2 pages out of order
 *   (0x8001000, 0x8000000), hits 0, silent 0x0102030405060708
 * Offsets: count 16, reserved 20; record 0 at 24 (addr 24, len 32, kind 40,
 * npages 44, hits 48, silent 56, page 64); record 1 at 72 (kind 88,
 * npages 92, pages 112 and 120); 128 bytes. */
static const uint8_t v_watch_list_rep[] = {
	0x80, 0x00, 0x00, 0x00, 0x01, 0x00, 0x91, 0x00,
	0x23, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* record 0 */
	0x00, 0x01, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x34, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00,
	/* record 1 */
	0xfc, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
	0x00, 0x10, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00,
};

/* OK reply to WATCH_INSERT, seq 0x21 */
static const uint8_t v_watch_ok[] = {
	0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x8f, 0x00,
	0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* STOPPED event, seq 0: vcpu 1, reason WATCH (8), pc 0x40080004; info0 the
 * watch 0x40080100, info1 the access's guest-physical 0x40080104, info2
 * write (2) | size 4 << 8 | kind write (2) << 16 = 0x20402 */
static const uint8_t v_stopped_watch[] = {
	0x38, 0x00, 0x00, 0x00, 0x01, 0x00, 0x40, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
	0x04, 0x00, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x01, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* SET_GUEST_DEBUG, seq 0x20, AArch64: 536 bytes, built field by field. */
static uint64_t a64_bcr(unsigned i) { return 0x1e5u | (uint64_t)i << 5; }
static uint64_t a64_bvr(unsigned i) { return 0xffff000008000000ull + 4 * i; }
static uint64_t a64_wcr(unsigned i) { return 0x1f7u | (uint64_t)i << 24; }
static uint64_t a64_wvr(unsigned i) { return 0xffff000009000000ull + 8 * i; }

static GByteArray *build_gdbg_arm64(uint32_t control, uint32_t arch)
{
	GByteArray *b = frame_new(0x07, 0x20);
	put_u32(b, control);
	put_u32(b, arch);
	for (unsigned i = 0; i < 16; i++)
		put_u64(b, a64_bcr(i));
	for (unsigned i = 0; i < 16; i++)
		put_u64(b, a64_bvr(i));
	for (unsigned i = 0; i < 16; i++)
		put_u64(b, a64_wcr(i));
	for (unsigned i = 0; i < 16; i++)
		put_u64(b, a64_wvr(i));
	frame_done(b);
	return b;
}

struct vec {
	const char *name;
	const uint8_t *p;
	size_t n;
};

#define VEC(a) { #a, a, sizeof(a) }
static const struct vec static_vecs[] = {
	VEC(v_hello_req), VEC(v_hello_rep), VEC(v_reg_list_req), VEC(v_reg_list_rep),
	VEC(v_get_regs_req), VEC(v_get_regs_rep), VEC(v_set_regs_req),
	VEC(v_read_mem_req), VEC(v_read_mem_rep), VEC(v_write_mem_req),
	VEC(v_gdbg_x86), VEC(v_sw_bp_insert), VEC(v_sw_bp_remove), VEC(v_pause),
	VEC(v_resume), VEC(v_resume_range), VEC(v_detach), VEC(v_stopped), VEC(v_error), VEC(v_ok_set_regs),
	VEC(v_watch_insert), VEC(v_watch_remove), VEC(v_watch_list_req), VEC(v_watch_list_rep),
	VEC(v_watch_ok), VEC(v_stopped_watch),
};

/* All valid frames: the static ones plus the built AArch64 one. */
static GArray *all_vectors(GByteArray **keep)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(struct vec));
	g_array_append_vals(a, static_vecs, G_N_ELEMENTS(static_vecs));
	*keep = build_gdbg_arm64(3, 2);
	struct vec v = { "gdbg_arm64", (*keep)->data, (*keep)->len };
	g_array_append_val(a, v);
	return a;
}

/* ---- field checks for the hand-written frames ---------------------------- */

static void check_encoded(const char *what, GByteArray *out, const uint8_t *exp, size_t n)
{
	if (out->len != n || memcmp(out->data, exp, n) != 0) {
		GString *s = g_string_new(NULL);
		g_string_append_printf(s, "%s: encoder output differs from the spec\n  got (%u):", what,
				       out->len);
		for (guint i = 0; i < out->len; i++)
			g_string_append_printf(s, " %02x", out->data[i]);
		g_string_append_printf(s, "\n  want (%zu):", n);
		for (size_t i = 0; i < n; i++)
			g_string_append_printf(s, " %02x", exp[i]);
		g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, s->str);
		g_string_free(s, TRUE);
	}
}

static void test_hello_request(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_hello_request(VMDBG_GBA(out), 1, 1, 0x1f);
	check_encoded("HELLO request", out, v_hello_req, sizeof v_hello_req);

	decode_ok("HELLO request", v_hello_req, sizeof v_hello_req, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_HELLO);
	g_assert_cmpuint(m.seq, ==, 1);
	g_assert_cmpuint(m.u.hello.version, ==, 1);
	g_assert_cmpuint(m.u.hello.features, ==, 0x1f);

	/* round trips with other values */
	static const uint32_t feats[] = { 0, 1, 0x1f, 0x80000000u, 0xffffffffu };
	for (unsigned i = 0; i < G_N_ELEMENTS(feats); i++) {
		g_byte_array_set_size(out, 0);
		vmdbg_enc_hello_request(VMDBG_GBA(out), 0xfffffff0u + i, VMDBG_VERSION, feats[i]);
		decode_ok("HELLO request rt", out->data, out->len, &m);
		g_assert_cmpuint(m.type, ==, VMDBG_HELLO);
		g_assert_cmpuint(m.seq, ==, 0xfffffff0u + i);
		g_assert_cmpuint(m.u.hello.version, ==, 1);
		g_assert_cmpuint(m.u.hello.features, ==, feats[i]);
	}
	g_byte_array_unref(out);
}

static void test_hello_reply(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;
	struct vmdbg_hello h = {
		.version = 1, .arch = VMDBG_ARCH_AARCH64, .nr_vcpus = 3, .hw_bps = 6,
		.hw_wps = 4, .features = 0x1e, .max_frame = VMDBG_MAX_FRAME,
	};

	vmdbg_enc_hello_reply(VMDBG_GBA(out), 1, &h);
	check_encoded("HELLO reply", out, v_hello_rep, sizeof v_hello_rep);

	decode_ok("HELLO reply", v_hello_rep, sizeof v_hello_rep, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_HELLO | VMDBG_REPLY);
	g_assert_cmpuint(m.seq, ==, 1);
	g_assert_cmpuint(m.u.hello.version, ==, 1);
	g_assert_cmpuint(m.u.hello.arch, ==, 2);
	g_assert_cmpuint(m.u.hello.nr_vcpus, ==, 3);
	g_assert_cmpuint(m.u.hello.hw_bps, ==, 6);
	g_assert_cmpuint(m.u.hello.hw_wps, ==, 4);
	g_assert_cmpuint(m.u.hello.features, ==, 0x1e);
	g_assert_cmpuint(m.u.hello.max_frame, ==, 0x100000);

	struct vmdbg_hello x86 = {
		.version = 1, .arch = VMDBG_ARCH_X86_64, .nr_vcpus = 256, .hw_bps = 4,
		.hw_wps = 4, .features = VMDBG_FEAT_HW_SLOTS_SHARED | VMDBG_FEAT_SW_BP |
		VMDBG_FEAT_SINGLESTEP, .max_frame = 65536 + 64,
	};
	g_byte_array_set_size(out, 0);
	vmdbg_enc_hello_reply(VMDBG_GBA(out), 0x12345678, &x86);
	decode_ok("HELLO reply rt", out->data, out->len, &m);
	g_assert_cmpuint(m.type, ==, 0x81);
	g_assert_cmpuint(m.seq, ==, 0x12345678);
	g_assert_cmpuint(m.u.hello.version, ==, x86.version);
	g_assert_cmpuint(m.u.hello.arch, ==, x86.arch);
	g_assert_cmpuint(m.u.hello.nr_vcpus, ==, x86.nr_vcpus);
	g_assert_cmpuint(m.u.hello.hw_bps, ==, x86.hw_bps);
	g_assert_cmpuint(m.u.hello.hw_wps, ==, x86.hw_wps);
	g_assert_cmpuint(m.u.hello.features, ==, 0x7);
	g_assert_cmpuint(m.u.hello.max_frame, ==, x86.max_frame);
	g_byte_array_unref(out);
}

static void test_reg_list_request(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_reg_list_request(VMDBG_GBA(out), 0x11223344, 2);
	check_encoded("REG_LIST request", out, v_reg_list_req, sizeof v_reg_list_req);
	decode_ok("REG_LIST request", v_reg_list_req, sizeof v_reg_list_req, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_REG_LIST);
	g_assert_cmpuint(m.seq, ==, 0x11223344);
	g_assert_cmpuint(m.u.vcpu, ==, 2);

	g_byte_array_set_size(out, 0);
	vmdbg_enc_reg_list_request(VMDBG_GBA(out), 7, 255);
	decode_ok("REG_LIST request rt", out->data, out->len, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_REG_LIST);
	g_assert_cmpuint(m.seq, ==, 7);
	g_assert_cmpuint(m.u.vcpu, ==, 255);
	g_byte_array_unref(out);
}

static void test_reg_list_reply(void)
{
	static const uint64_t ids[] = { ID_RAX, ID_EFLAGS, ID_ST0 };
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_reg_ids(VMDBG_GBA(out), VMDBG_REG_LIST | VMDBG_REPLY, 0x0a0b0c0d, 1, ids, 3);
	check_encoded("REG_LIST reply", out, v_reg_list_rep, sizeof v_reg_list_rep);
	decode_ok("REG_LIST reply", v_reg_list_rep, sizeof v_reg_list_rep, &m);
	g_assert_cmpuint(m.type, ==, 0x82);
	g_assert_cmpuint(m.seq, ==, 0x0a0b0c0d);
	g_assert_cmpuint(m.u.reg_ids.vcpu, ==, 1);
	g_assert_cmpuint(m.u.reg_ids.count, ==, 3);
	/* decoding does not copy: ids point into the frame, after vcpu/count */
	g_assert_true(m.u.reg_ids.ids == v_reg_list_rep + 24);
	for (uint32_t i = 0; i < 3; i++)
		g_assert_cmphex(vmdbg_reg_ids_get(&m.u.reg_ids, i), ==, ids[i]);

	/* round trip: every x86 id of the spec's table */
	GArray *all = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	uint64_t id;
	for (unsigned n = 0; n <= 16; n++) {
		id = VMDBG_X86_GPR(n);
		g_array_append_val(all, id);
	}
	id = VMDBG_X86_RFLAGS; g_array_append_val(all, id);
	for (unsigned n = 0; n <= 5; n++) {
		id = VMDBG_X86_SEL(n);
		g_array_append_val(all, id);
	}
	id = VMDBG_X86_FS_BASE; g_array_append_val(all, id);
	id = VMDBG_X86_GS_BASE; g_array_append_val(all, id);
	id = VMDBG_X86_K_GS_BASE; g_array_append_val(all, id);
	static const unsigned crs[] = { 0, 2, 3, 4, 8 };
	for (unsigned n = 0; n < G_N_ELEMENTS(crs); n++) {
		id = VMDBG_X86_CR(crs[n]);
		g_array_append_val(all, id);
	}
	id = VMDBG_X86_EFER; g_array_append_val(all, id);
	for (unsigned n = 0; n < 8; n++) {
		id = VMDBG_X86_ST(n);
		g_array_append_val(all, id);
	}
	const uint64_t x87[] = { VMDBG_X86_FCTRL, VMDBG_X86_FSTAT, VMDBG_X86_FTAG,
		VMDBG_X86_FISEG, VMDBG_X86_FIOFF, VMDBG_X86_FOSEG, VMDBG_X86_FOOFF,
		VMDBG_X86_FOP, VMDBG_X86_MXCSR };
	g_array_append_vals(all, x87, G_N_ELEMENTS(x87));
	for (unsigned n = 0; n < 16; n++) {
		id = VMDBG_X86_XMM(n); g_array_append_val(all, id);
		id = VMDBG_X86_YMMH(n); g_array_append_val(all, id);
		id = VMDBG_X86_ZMMH(n); g_array_append_val(all, id);
		id = VMDBG_X86_ZMM(16 + n); g_array_append_val(all, id);
	}
	for (unsigned n = 0; n < 8; n++) {
		id = VMDBG_X86_K(n);
		g_array_append_val(all, id);
	}

	g_byte_array_set_size(out, 0);
	vmdbg_enc_reg_ids(VMDBG_GBA(out), VMDBG_REG_LIST | VMDBG_REPLY, 99, 3,
			  (const uint64_t *)(void *)all->data, all->len);
	g_assert_cmpuint(out->len, ==, HDR + 8 + 8 * all->len);
	decode_ok("REG_LIST reply rt", out->data, out->len, &m);
	g_assert_cmpuint(m.type, ==, 0x82);
	g_assert_cmpuint(m.seq, ==, 99);
	g_assert_cmpuint(m.u.reg_ids.vcpu, ==, 3);
	g_assert_cmpuint(m.u.reg_ids.count, ==, all->len);
	for (uint32_t i = 0; i < all->len; i++) {
		g_assert_cmphex(vmdbg_reg_ids_get(&m.u.reg_ids, i), ==,
				g_array_index(all, uint64_t, i));
		g_assert_cmphex(rd64(out->data + 24 + 8 * i), ==,
				g_array_index(all, uint64_t, i));
	}
	g_array_unref(all);
	g_byte_array_unref(out);
}

static void test_get_regs_request(void)
{
	static const uint64_t ids[] = { ID_A64_PC, ID_A64_X0 };
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_reg_ids(VMDBG_GBA(out), VMDBG_GET_REGS, 6, 0, ids, 2);
	check_encoded("GET_REGS request", out, v_get_regs_req, sizeof v_get_regs_req);
	decode_ok("GET_REGS request", v_get_regs_req, sizeof v_get_regs_req, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_GET_REGS);
	g_assert_cmpuint(m.seq, ==, 6);
	g_assert_cmpuint(m.u.reg_ids.vcpu, ==, 0);
	g_assert_cmpuint(m.u.reg_ids.count, ==, 2);
	g_assert_cmphex(vmdbg_reg_ids_get(&m.u.reg_ids, 0), ==, ID_A64_PC);
	g_assert_cmphex(vmdbg_reg_ids_get(&m.u.reg_ids, 1), ==, ID_A64_X0);

	/* exactly VMDBG_MAX_REGS ids is allowed */
	uint64_t *many = g_new(uint64_t, VMDBG_MAX_REGS);
	for (uint32_t i = 0; i < VMDBG_MAX_REGS; i++)
		many[i] = VMDBG_REG_ARCH_ARM64 | VMDBG_REG_SIZE(i % 9) | i;
	g_byte_array_set_size(out, 0);
	vmdbg_enc_reg_ids(VMDBG_GBA(out), VMDBG_GET_REGS, 0xabcdef, 17, many, VMDBG_MAX_REGS);
	g_assert_cmpuint(out->len, ==, HDR + 8 + 8 * VMDBG_MAX_REGS);
	decode_ok("GET_REGS request 4096 ids", out->data, out->len, &m);
	g_assert_cmpuint(m.u.reg_ids.vcpu, ==, 17);
	g_assert_cmpuint(m.u.reg_ids.count, ==, VMDBG_MAX_REGS);
	for (uint32_t i = 0; i < VMDBG_MAX_REGS; i++)
		g_assert_cmphex(vmdbg_reg_ids_get(&m.u.reg_ids, i), ==, many[i]);
	g_free(many);
	g_byte_array_unref(out);
}

static void test_get_regs_reply(void)
{
	static const uint64_t ids[] = { ID_RIP, ID_CS, ID_EFLAGS };
	static const uint8_t vals[] = {
		0x00, 0x00, 0x00, 0x81, 0xff, 0xff, 0xff, 0xff, /* rip */
		0x10, 0x00,                                     /* cs */
		0x46, 0x02, 0x00, 0x00,                         /* eflags */
	};
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_reg_vals(VMDBG_GBA(out), VMDBG_GET_REGS | VMDBG_REPLY, 6, 0, ids, 3, vals);
	check_encoded("GET_REGS reply", out, v_get_regs_rep, sizeof v_get_regs_rep);
	decode_ok("GET_REGS reply", v_get_regs_rep, sizeof v_get_regs_rep, &m);
	g_assert_cmpuint(m.type, ==, 0x83);
	g_assert_cmpuint(m.seq, ==, 6);
	g_assert_cmpuint(m.u.reg_vals.vcpu, ==, 0);
	g_assert_cmpuint(m.u.reg_vals.count, ==, 3);

	size_t off = 0, voff = 0;
	uint64_t id;
	const uint8_t *val;
	uint32_t size;
	static const uint32_t sizes[] = { 8, 2, 4 };
	for (unsigned i = 0; i < 3; i++) {
		g_assert_true(vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size));
		g_assert_cmphex(id, ==, ids[i]);
		g_assert_cmpuint(size, ==, sizes[i]);
		g_assert_cmpmem(val, size, vals + voff, sizes[i]);
		g_assert_true(val >= v_get_regs_rep + 24 &&
			      val + size <= v_get_regs_rep + sizeof v_get_regs_rep);
		voff += size;
	}
	g_assert_false(vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size));
	g_byte_array_unref(out);
}

static void test_set_regs_request(void)
{
	static const uint64_t ids[] = { ID_XMM0, ID_MXCSR };
	uint8_t vals[20];
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	for (unsigned i = 0; i < 16; i++)
		vals[i] = (uint8_t)i;
	wr32(vals + 16, 0x1f80);
	vmdbg_enc_reg_vals(VMDBG_GBA(out), VMDBG_SET_REGS, 7, 1, ids, 2, vals);
	check_encoded("SET_REGS request", out, v_set_regs_req, sizeof v_set_regs_req);
	decode_ok("SET_REGS request", v_set_regs_req, sizeof v_set_regs_req, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_SET_REGS);
	g_assert_cmpuint(m.seq, ==, 7);
	g_assert_cmpuint(m.u.reg_vals.vcpu, ==, 1);
	g_assert_cmpuint(m.u.reg_vals.count, ==, 2);

	size_t off = 0;
	uint64_t id;
	const uint8_t *val;
	uint32_t size;
	g_assert_true(vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size));
	g_assert_cmphex(id, ==, ID_XMM0);
	g_assert_cmpuint(size, ==, 16);
	g_assert_true(val == v_set_regs_req + 32);
	g_assert_true(vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size));
	g_assert_cmphex(id, ==, ID_MXCSR);
	g_assert_cmpuint(size, ==, 4);
	g_assert_cmpuint(rd32(val), ==, 0x1f80);
	g_assert_false(vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size));

	/* OK reply */
	g_byte_array_set_size(out, 0);
	vmdbg_enc_empty(VMDBG_GBA(out), VMDBG_SET_REGS | VMDBG_REPLY, 7);
	check_encoded("SET_REGS OK", out, v_ok_set_regs, sizeof v_ok_set_regs);
	g_byte_array_unref(out);
}

static void test_read_mem(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_read_mem(VMDBG_GBA(out), 8, 3, 0xffff800000001000ull, 0x100);
	check_encoded("READ_MEM request", out, v_read_mem_req, sizeof v_read_mem_req);
	decode_ok("READ_MEM request", v_read_mem_req, sizeof v_read_mem_req, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_READ_MEM);
	g_assert_cmpuint(m.seq, ==, 8);
	g_assert_cmpuint(m.u.mem.vcpu, ==, 3);
	g_assert_cmpuint(m.u.mem.len, ==, 0x100);
	g_assert_cmphex(m.u.mem.addr, ==, 0xffff800000001000ull);

	static const uint8_t data[] = { 0x55, 0x48, 0x89, 0xe5, 0xcc };
	g_byte_array_set_size(out, 0);
	vmdbg_enc_read_mem_reply(VMDBG_GBA(out), 8, 0xffff800000001000ull, data, 5);
	check_encoded("READ_MEM reply", out, v_read_mem_rep, sizeof v_read_mem_rep);
	decode_ok("READ_MEM reply", v_read_mem_rep, sizeof v_read_mem_rep, &m);
	g_assert_cmpuint(m.type, ==, 0x85);
	g_assert_cmpuint(m.seq, ==, 8);
	g_assert_cmphex(m.u.mem.addr, ==, 0xffff800000001000ull);
	g_assert_cmpuint(m.u.mem.len, ==, 5);
	g_assert_true(m.u.mem.data == v_read_mem_rep + 32);
	g_assert_cmpmem(m.u.mem.data, 5, data, 5);

	/* limits: 1 and VMDBG_MAX_MEM_XFER bytes are fine, both directions */
	static const uint32_t lens[] = { 1, 4095, 4096, VMDBG_MAX_MEM_XFER };
	uint8_t *big = g_malloc(VMDBG_MAX_MEM_XFER);
	for (uint32_t i = 0; i < VMDBG_MAX_MEM_XFER; i++)
		big[i] = (uint8_t)(i * 7 + (i >> 8));
	for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
		g_byte_array_set_size(out, 0);
		vmdbg_enc_read_mem(VMDBG_GBA(out), i, 255, 0xfffffffffffff000ull, lens[i]);
		decode_ok("READ_MEM request rt", out->data, out->len, &m);
		g_assert_cmpuint(m.u.mem.vcpu, ==, 255);
		g_assert_cmpuint(m.u.mem.len, ==, lens[i]);
		g_assert_cmphex(m.u.mem.addr, ==, 0xfffffffffffff000ull);

		g_byte_array_set_size(out, 0);
		vmdbg_enc_read_mem_reply(VMDBG_GBA(out), i, 0x1000, big, lens[i]);
		g_assert_cmpuint(out->len, ==, HDR + 16 + lens[i]);
		decode_ok("READ_MEM reply rt", out->data, out->len, &m);
		g_assert_cmpuint(m.u.mem.len, ==, lens[i]);
		g_assert_cmphex(m.u.mem.addr, ==, 0x1000);
		g_assert_cmpmem(m.u.mem.data, lens[i], big, lens[i]);
	}
	g_free(big);
	g_byte_array_unref(out);
}

static void test_write_mem(void)
{
	static const uint8_t data[] = { 0x90, 0x90, 0xcc };
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_write_mem(VMDBG_GBA(out), 9, 2, 0x401000, data, 3);
	check_encoded("WRITE_MEM request", out, v_write_mem_req, sizeof v_write_mem_req);
	decode_ok("WRITE_MEM request", v_write_mem_req, sizeof v_write_mem_req, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_WRITE_MEM);
	g_assert_cmpuint(m.seq, ==, 9);
	g_assert_cmpuint(m.u.mem.vcpu, ==, 2);
	g_assert_cmpuint(m.u.mem.len, ==, 3);
	g_assert_cmphex(m.u.mem.addr, ==, 0x401000);
	g_assert_true(m.u.mem.data == v_write_mem_req + 32);

	uint8_t *big = g_malloc(VMDBG_MAX_MEM_XFER);
	for (uint32_t i = 0; i < VMDBG_MAX_MEM_XFER; i++)
		big[i] = (uint8_t)(i ^ (i >> 9));
	static const uint32_t lens[] = { 1, 17, VMDBG_MAX_MEM_XFER };
	for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
		g_byte_array_set_size(out, 0);
		vmdbg_enc_write_mem(VMDBG_GBA(out), 100 + i, 1, 0x8000000000000000ull, big, lens[i]);
		g_assert_cmpuint(out->len, ==, HDR + 16 + lens[i]);
		decode_ok("WRITE_MEM rt", out->data, out->len, &m);
		g_assert_cmpuint(m.seq, ==, 100 + i);
		g_assert_cmpuint(m.u.mem.vcpu, ==, 1);
		g_assert_cmpuint(m.u.mem.len, ==, lens[i]);
		g_assert_cmphex(m.u.mem.addr, ==, 0x8000000000000000ull);
		g_assert_cmpmem(m.u.mem.data, lens[i], big, lens[i]);
	}
	g_free(big);
	g_byte_array_unref(out);
}

static void test_set_guest_debug_x86(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;
	struct vmdbg_guest_debug g;
	static const uint64_t dr[8] = { 0x401000, 0xffffffff81234567ull, 0, 0, 0, 0,
					0xffff0ff0, 0x403 };

	memset(&g, 0, sizeof g);
	g.control = VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW;
	g.arch = VMDBG_ARCH_X86_64;
	memcpy(g.regs.x86.debugreg, dr, sizeof dr);
	vmdbg_enc_set_guest_debug(VMDBG_GBA(out), 10, &g);
	check_encoded("SET_GUEST_DEBUG x86", out, v_gdbg_x86, sizeof v_gdbg_x86);

	decode_ok("SET_GUEST_DEBUG x86", v_gdbg_x86, sizeof v_gdbg_x86, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_SET_GUEST_DEBUG);
	g_assert_cmpuint(m.seq, ==, 10);
	g_assert_cmpuint(m.u.gdbg.control, ==, 3);
	g_assert_cmpuint(m.u.gdbg.arch, ==, 1);
	for (unsigned i = 0; i < 8; i++)
		g_assert_cmphex(m.u.gdbg.regs.x86.debugreg[i], ==, dr[i]);

	/* every valid control value */
	for (uint32_t c = 0; c <= VMDBG_GDBG_VALID; c++) {
		g.control = c;
		g_byte_array_set_size(out, 0);
		vmdbg_enc_set_guest_debug(VMDBG_GBA(out), c, &g);
		g_assert_cmpuint(out->len, ==, HDR + 8 + 64);
		decode_ok("SET_GUEST_DEBUG x86 rt", out->data, out->len, &m);
		g_assert_cmpuint(m.u.gdbg.control, ==, c);
		g_assert_cmpuint(m.u.gdbg.arch, ==, VMDBG_ARCH_X86_64);
		g_assert_cmpmem(m.u.gdbg.regs.x86.debugreg, 64, dr, 64);
	}
	g_byte_array_unref(out);
}

static void test_set_guest_debug_arm64(void)
{
	GByteArray *out = g_byte_array_new();
	GByteArray *exp = build_gdbg_arm64(VMDBG_GDBG_ENABLE | VMDBG_GDBG_USE_HW,
					   VMDBG_ARCH_AARCH64);
	struct vmdbg_msg m;
	struct vmdbg_guest_debug g;

	g_assert_cmpuint(exp->len, ==, 536);
	memset(&g, 0, sizeof g);
	g.control = 3;
	g.arch = VMDBG_ARCH_AARCH64;
	for (unsigned i = 0; i < 16; i++) {
		g.regs.arm64.dbg_bcr[i] = a64_bcr(i);
		g.regs.arm64.dbg_bvr[i] = a64_bvr(i);
		g.regs.arm64.dbg_wcr[i] = a64_wcr(i);
		g.regs.arm64.dbg_wvr[i] = a64_wvr(i);
	}
	vmdbg_enc_set_guest_debug(VMDBG_GBA(out), 0x20, &g);
	check_encoded("SET_GUEST_DEBUG arm64", out, exp->data, exp->len);

	decode_ok("SET_GUEST_DEBUG arm64", exp->data, exp->len, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_SET_GUEST_DEBUG);
	g_assert_cmpuint(m.seq, ==, 0x20);
	g_assert_cmpuint(m.u.gdbg.control, ==, 3);
	g_assert_cmpuint(m.u.gdbg.arch, ==, 2);
	for (unsigned i = 0; i < 16; i++) {
		g_assert_cmphex(m.u.gdbg.regs.arm64.dbg_bcr[i], ==, a64_bcr(i));
		g_assert_cmphex(m.u.gdbg.regs.arm64.dbg_bvr[i], ==, a64_bvr(i));
		g_assert_cmphex(m.u.gdbg.regs.arm64.dbg_wcr[i], ==, a64_wcr(i));
		g_assert_cmphex(m.u.gdbg.regs.arm64.dbg_wvr[i], ==, a64_wvr(i));
	}

	/* OK reply */
	static const uint8_t ok[] = {
		0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x87, 0x00,
		0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	g_byte_array_set_size(out, 0);
	vmdbg_enc_empty(VMDBG_GBA(out), VMDBG_SET_GUEST_DEBUG | VMDBG_REPLY, 0x20);
	check_encoded("SET_GUEST_DEBUG OK", out, ok, sizeof ok);
	g_byte_array_unref(exp);
	g_byte_array_unref(out);
}

static void test_sw_bp(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;
	struct vmdbg_sw_bp ins = { .vcpu = 0, .kind = 1, .addr = 0x100000 };
	struct vmdbg_sw_bp rem = { .vcpu = 1, .kind = 4, .addr = 0xffff000008080000ull };

	vmdbg_enc_sw_bp(VMDBG_GBA(out), VMDBG_SW_BP_INSERT, 11, &ins);
	check_encoded("SW_BP_INSERT", out, v_sw_bp_insert, sizeof v_sw_bp_insert);
	g_byte_array_set_size(out, 0);
	vmdbg_enc_sw_bp(VMDBG_GBA(out), VMDBG_SW_BP_REMOVE, 12, &rem);
	check_encoded("SW_BP_REMOVE", out, v_sw_bp_remove, sizeof v_sw_bp_remove);

	decode_ok("SW_BP_INSERT", v_sw_bp_insert, sizeof v_sw_bp_insert, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_SW_BP_INSERT);
	g_assert_cmpuint(m.seq, ==, 11);
	g_assert_cmpuint(m.u.sw_bp.vcpu, ==, 0);
	g_assert_cmpuint(m.u.sw_bp.kind, ==, 1);
	g_assert_cmphex(m.u.sw_bp.addr, ==, 0x100000);

	decode_ok("SW_BP_REMOVE", v_sw_bp_remove, sizeof v_sw_bp_remove, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_SW_BP_REMOVE);
	g_assert_cmpuint(m.seq, ==, 12);
	g_assert_cmpuint(m.u.sw_bp.vcpu, ==, 1);
	g_assert_cmpuint(m.u.sw_bp.kind, ==, 4);
	g_assert_cmphex(m.u.sw_bp.addr, ==, 0xffff000008080000ull);
	g_byte_array_unref(out);
}

/* PAUSE, DETACH, WATCH_LIST and every "OK" reply: a bare header. */
static void test_empty_messages(void)
{
	static const uint8_t types[] = {
		VMDBG_PAUSE, VMDBG_DETACH, VMDBG_WATCH_LIST,
		0x84, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8f, 0x90,
	};
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_empty(VMDBG_GBA(out), VMDBG_PAUSE, 13);
	check_encoded("PAUSE", out, v_pause, sizeof v_pause);
	g_byte_array_set_size(out, 0);
	vmdbg_enc_empty(VMDBG_GBA(out), VMDBG_DETACH, 0xffffffffu);
	check_encoded("DETACH", out, v_detach, sizeof v_detach);
	decode_ok("PAUSE", v_pause, sizeof v_pause, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_PAUSE);
	g_assert_cmpuint(m.seq, ==, 13);
	decode_ok("DETACH", v_detach, sizeof v_detach, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_DETACH);
	g_assert_cmpuint(m.seq, ==, 0xffffffffu);

	for (unsigned i = 0; i < G_N_ELEMENTS(types); i++) {
		uint8_t exp[16] = { 0x10, 0, 0, 0, 0x01, 0x00, types[i], 0x00,
				    (uint8_t)(0x30 + i), 0x00, 0x00, 0x80, 0, 0, 0, 0 };
		char *what = g_strdup_printf("empty type 0x%02x", types[i]);
		g_byte_array_set_size(out, 0);
		vmdbg_enc_empty(VMDBG_GBA(out), types[i], 0x80000030u + i);
		check_encoded(what, out, exp, sizeof exp);
		decode_ok(what, exp, sizeof exp, &m);
		g_assert_cmpuint(m.type, ==, types[i]);
		g_assert_cmpuint(m.seq, ==, 0x80000030u + i);
		g_free(what);
	}
	g_byte_array_unref(out);
}

static void test_resume(void)
{
	static const struct vmdbg_resume_entry ents[] = {
		{ .vcpu = 0, .action = VMDBG_ACT_STEP },
		{ .vcpu = 3, .action = VMDBG_ACT_CONTINUE },
	};
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_resume(VMDBG_GBA(out), 14, VMDBG_ACT_STAY, ents, 2);
	check_encoded("RESUME", out, v_resume, sizeof v_resume);
	decode_ok("RESUME", v_resume, sizeof v_resume, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_RESUME);
	g_assert_cmpuint(m.seq, ==, 14);
	g_assert_cmpuint(m.u.resume.default_action, ==, 0);
	g_assert_cmpuint(m.u.resume.count, ==, 2);
	g_assert_true(m.u.resume.entries == v_resume + 24);
	for (uint32_t i = 0; i < 2; i++) {
		struct vmdbg_resume_entry e = vmdbg_resume_get(&m.u.resume, i);
		g_assert_cmpuint(e.vcpu, ==, ents[i].vcpu);
		g_assert_cmpuint(e.action, ==, ents[i].action);
	}

	/* count 0: every vCPU gets the default action */
	static const uint8_t v0[] = {
		0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0b, 0x00,
		0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	g_byte_array_set_size(out, 0);
	vmdbg_enc_resume(VMDBG_GBA(out), 42, VMDBG_ACT_CONTINUE, NULL, 0);
	check_encoded("RESUME count 0", out, v0, sizeof v0);
	decode_ok("RESUME count 0", v0, sizeof v0, &m);
	g_assert_cmpuint(m.u.resume.default_action, ==, 1);
	g_assert_cmpuint(m.u.resume.count, ==, 0);
	g_byte_array_unref(out);
}

static void test_resume_range(void)
{
	static const struct vmdbg_resume_entry ents[] = {
		{ .vcpu = 1, .action = VMDBG_ACT_RANGE_STEP, .start = 0x401000, .end = 0x401010 },
		{ .vcpu = 0, .action = VMDBG_ACT_CONTINUE, .start = 0x5555, .end = 0x6666 },
	};
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	/* only the RANGE_STEP entry's range goes on the wire */
	vmdbg_enc_resume(VMDBG_GBA(out), 7, VMDBG_ACT_STAY, ents, 2);
	check_encoded("RESUME range", out, v_resume_range, sizeof v_resume_range);
	decode_ok("RESUME range", v_resume_range, sizeof v_resume_range, &m);
	g_assert_cmpuint(m.u.resume.count, ==, 2);
	g_assert_cmpuint(m.u.resume.nranges, ==, 1);
	struct vmdbg_resume_entry e = vmdbg_resume_get(&m.u.resume, 0);
	g_assert_cmpuint(e.vcpu, ==, 1);
	g_assert_cmpuint(e.action, ==, VMDBG_ACT_RANGE_STEP);
	g_assert_cmpuint(e.start, ==, 0x401000);
	g_assert_cmpuint(e.end, ==, 0x401010);
	e = vmdbg_resume_get(&m.u.resume, 1);
	g_assert_cmpuint(e.action, ==, VMDBG_ACT_CONTINUE);
	g_assert_cmpuint(e.start, ==, 0);
	g_assert_cmpuint(e.end, ==, 0);

	/* two ranged entries: each gets its own range, in order */
	struct vmdbg_resume_entry two[] = {
		{ .vcpu = 2, .action = VMDBG_ACT_RANGE_STEP, .start = 0x10, .end = 0x20 },
		{ .vcpu = 0, .action = VMDBG_ACT_STAY },
		{ .vcpu = 1, .action = VMDBG_ACT_RANGE_STEP, .start = 0x30, .end = 0x40 },
	};
	g_byte_array_set_size(out, 0);
	vmdbg_enc_resume(VMDBG_GBA(out), 8, VMDBG_ACT_STAY, two, 3);
	g_assert_cmpuint(out->len, ==, HDR + 8 + 3 * 8 + 2 * 16);
	decode_ok("RESUME two ranges", out->data, out->len, &m);
	g_assert_cmpuint(m.u.resume.nranges, ==, 2);
	e = vmdbg_resume_get(&m.u.resume, 2);
	g_assert_cmpuint(e.vcpu, ==, 1);
	g_assert_cmpuint(e.start, ==, 0x30);
	g_assert_cmpuint(e.end, ==, 0x40);
	e = vmdbg_resume_get(&m.u.resume, 0);
	g_assert_cmpuint(e.start, ==, 0x10);
	g_assert_cmpuint(e.end, ==, 0x20);

	/* an empty or reversed range is EINVAL; a missing one or one too many EPROTO */
	uint8_t p[sizeof v_resume_range + 16];
	memcpy(p, v_resume_range, sizeof v_resume_range);
	wr64(p + 48, 0x401000);
	expect_fail_hdr("RESUME empty range", p, sizeof v_resume_range, VMDBG_E_INVAL, 0x0b, 7);
	wr64(p + 48, 0x400fff);
	expect_fail_hdr("RESUME reversed range", p, sizeof v_resume_range, VMDBG_E_INVAL, 0x0b, 7);
	memcpy(p, v_resume_range, sizeof v_resume_range);
	wr32(p, sizeof v_resume_range - 16);
	expect_fail_hdr("RESUME range missing", p, sizeof v_resume_range - 16, VMDBG_E_PROTO, 0x0b,
			7);
	memcpy(p, v_resume_range, sizeof v_resume_range);
	memset(p + sizeof v_resume_range, 0x11, 16);
	wr32(p, sizeof p);
	expect_fail_hdr("RESUME range too many", p, sizeof p, VMDBG_E_PROTO, 0x0b, 7);
	g_byte_array_unref(out);
}

/* MEM_MAP reply, seq 5: x86 paging, 1 region (guest-physical 0, 64 MiB,
 * file offset 0), the breakpoint table at 0x4000000 with 4096 entries */
static const uint8_t v_mem_map_reply[] = {
	0x40, 0x00, 0x00, 0x00, 0x01, 0x00, 0x8e, 0x00,
	0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_mem_map(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;
	const struct vmdbg_mem_region reg = { 0, 0x4000000, 0 };
	const struct vmdbg_mem_map map = { VMDBG_XLATE_X86, 1, 0x4000000, 4096, NULL };
	vmdbg_enc_mem_map_reply(VMDBG_GBA(out), 5, &map, &reg);
	check_encoded("MEM_MAP reply", out, v_mem_map_reply, sizeof v_mem_map_reply);
	decode_ok("MEM_MAP reply", v_mem_map_reply, sizeof v_mem_map_reply, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_MEM_MAP | VMDBG_REPLY);
	g_assert_cmpuint(m.u.mem_map.translation, ==, VMDBG_XLATE_X86);
	g_assert_cmpuint(m.u.mem_map.nregions, ==, 1);
	g_assert_cmphex(m.u.mem_map.table_offset, ==, 0x4000000);
	g_assert_cmpuint(m.u.mem_map.table_capacity, ==, 4096);
	struct vmdbg_mem_region r = vmdbg_mem_region_get(&m.u.mem_map, 0);
	g_assert_cmphex(r.gpa, ==, 0);
	g_assert_cmphex(r.size, ==, 0x4000000);
	g_assert_cmphex(r.offset, ==, 0);

	/* the request is empty */
	g_byte_array_set_size(out, 0);
	vmdbg_enc_empty(VMDBG_GBA(out), VMDBG_MEM_MAP, 6);
	decode_ok("MEM_MAP", out->data, out->len, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_MEM_MAP);

	uint8_t p[sizeof v_mem_map_reply + 24];
	memcpy(p, v_mem_map_reply, sizeof v_mem_map_reply);
	wr32(p + 16, 3);
	expect_fail_hdr("MEM_MAP unknown translation", p, sizeof v_mem_map_reply, VMDBG_E_INVAL, 0x8e, 5);
	memcpy(p, v_mem_map_reply, sizeof v_mem_map_reply);
	wr64(p + 48, 0);
	expect_fail_hdr("MEM_MAP empty region", p, sizeof v_mem_map_reply, VMDBG_E_INVAL, 0x8e, 5);
	memcpy(p, v_mem_map_reply, sizeof v_mem_map_reply);
	wr64(p + 40, 0xfffffffffffff000ull);
	expect_fail_hdr("MEM_MAP region wraps", p, sizeof v_mem_map_reply, VMDBG_E_INVAL, 0x8e, 5);
	memcpy(p, v_mem_map_reply, sizeof v_mem_map_reply);
	wr32(p + 36, 1);
	expect_fail_hdr("MEM_MAP reserved", p, sizeof v_mem_map_reply, VMDBG_E_PROTO, 0x8e, 5);
	memcpy(p, v_mem_map_reply, sizeof v_mem_map_reply);
	wr32(p + 20, 2);
	expect_fail_hdr("MEM_MAP region missing", p, sizeof v_mem_map_reply, VMDBG_E_PROTO, 0x8e, 5);
	memcpy(p, v_mem_map_reply, sizeof v_mem_map_reply);
	wr32(p + 20, VMDBG_MAX_MEM_REGIONS + 1);
	expect_fail_hdr("MEM_MAP too many regions", p, sizeof v_mem_map_reply, VMDBG_E_PROTO, 0x8e, 5);
	memcpy(p, v_mem_map_reply, sizeof v_mem_map_reply);
	memset(p + sizeof v_mem_map_reply, 0, 24);
	wr32(p, sizeof p);
	expect_fail_hdr("MEM_MAP trailing", p, sizeof p, VMDBG_E_PROTO, 0x8e, 5);
	g_byte_array_unref(out);
}

/* ---- page-protection watches: WATCH_INSERT, WATCH_REMOVE, WATCH_LIST ------ */

/* A WATCH_INSERT / WATCH_REMOVE frame from its fields. */
static GByteArray *build_watch(uint8_t type, uint32_t seq, uint32_t vcpu, uint32_t kind,
			       uint64_t addr, uint64_t len)
{
	GByteArray *b = frame_new(type, seq);
	put_u32(b, vcpu);
	put_u32(b, kind);
	put_u64(b, addr);
	put_u64(b, len);
	frame_done(b);
	return b;
}

/* One WATCH_LIST record claiming npages pages and carrying nwritten of
 * them (0x1000 * (k + 1) each). */
static void put_watch_rec(GByteArray *b, uint64_t addr, uint64_t len, uint32_t kind,
			  uint32_t npages, uint32_t nwritten)
{
	put_u64(b, addr);
	put_u64(b, len);
	put_u32(b, kind);
	put_u32(b, npages);
	put_u64(b, 7);       /* hits */
	put_u64(b, 9);       /* silent */
	for (uint32_t k = 0; k < nwritten; k++)
		put_u64(b, 0x1000ull * (k + 1));
}

/* A WATCH_LIST reply header with count records to follow. */
static GByteArray *watch_list_new(uint32_t seq, uint32_t count, uint32_t reserved)
{
	GByteArray *b = frame_new(VMDBG_WATCH_LIST | VMDBG_REPLY, seq);
	put_u32(b, count);
	put_u32(b, reserved);
	return b;
}

static void test_watch_insert_remove(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;
	const struct vmdbg_watch ins = { .vcpu = 1, .kind = VMDBG_WATCH_WRITE,
					 .addr = 0x40080100, .len = 8 };
	const struct vmdbg_watch rem = { .vcpu = 0, .kind = VMDBG_WATCH_ACCESS,
					 .addr = 0xffff000000001ffcull, .len = 8 };

	/* the spec's values */
	g_assert_cmpuint(VMDBG_WATCH_INSERT, ==, 0x0f);
	g_assert_cmpuint(VMDBG_WATCH_REMOVE, ==, 0x10);
	g_assert_cmpuint(VMDBG_WATCH_LIST, ==, 0x11);
	g_assert_cmpuint(VMDBG_WATCH_WRITE, ==, 2);
	g_assert_cmpuint(VMDBG_WATCH_READ, ==, 3);
	g_assert_cmpuint(VMDBG_WATCH_ACCESS, ==, 4);
	g_assert_cmpuint(VMDBG_MAX_WATCH_LEN, ==, 65536);
	g_assert_cmpuint(VMDBG_MAX_WATCHES, ==, 64);
	g_assert_cmpuint(VMDBG_WATCH_MAX_PAGES, ==, 17);
	g_assert_cmpuint(VMDBG_FEAT_PAGE_WATCH, ==, 1u << 8);
	g_assert_cmpuint(VMDBG_FEAT_HW_WATCH_DEAD, ==, 1u << 9);

	vmdbg_enc_watch(VMDBG_GBA(out), VMDBG_WATCH_INSERT, 0x21, &ins);
	check_encoded("WATCH_INSERT", out, v_watch_insert, sizeof v_watch_insert);
	g_byte_array_set_size(out, 0);
	vmdbg_enc_watch(VMDBG_GBA(out), VMDBG_WATCH_REMOVE, 0x22, &rem);
	check_encoded("WATCH_REMOVE", out, v_watch_remove, sizeof v_watch_remove);
	g_byte_array_set_size(out, 0);
	vmdbg_enc_empty(VMDBG_GBA(out), VMDBG_WATCH_INSERT | VMDBG_REPLY, 0x21);
	check_encoded("WATCH_INSERT OK", out, v_watch_ok, sizeof v_watch_ok);
	g_byte_array_set_size(out, 0);
	vmdbg_enc_empty(VMDBG_GBA(out), VMDBG_WATCH_LIST, 0x23);
	check_encoded("WATCH_LIST", out, v_watch_list_req, sizeof v_watch_list_req);

	decode_ok("WATCH_INSERT", v_watch_insert, sizeof v_watch_insert, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_WATCH_INSERT);
	g_assert_cmpuint(m.seq, ==, 0x21);
	g_assert_cmpuint(m.u.watch.vcpu, ==, 1);
	g_assert_cmpuint(m.u.watch.kind, ==, VMDBG_WATCH_WRITE);
	g_assert_cmphex(m.u.watch.addr, ==, 0x40080100);
	g_assert_cmpuint(m.u.watch.len, ==, 8);

	decode_ok("WATCH_REMOVE", v_watch_remove, sizeof v_watch_remove, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_WATCH_REMOVE);
	g_assert_cmpuint(m.seq, ==, 0x22);
	g_assert_cmpuint(m.u.watch.vcpu, ==, 0);
	g_assert_cmpuint(m.u.watch.kind, ==, VMDBG_WATCH_ACCESS);
	g_assert_cmphex(m.u.watch.addr, ==, 0xffff000000001ffcull);
	g_assert_cmpuint(m.u.watch.len, ==, 8);

	decode_ok("WATCH_INSERT OK", v_watch_ok, sizeof v_watch_ok, &m);
	g_assert_cmpuint(m.type, ==, 0x8f);
	g_assert_cmpuint(m.seq, ==, 0x21);
	decode_ok("WATCH_LIST", v_watch_list_req, sizeof v_watch_list_req, &m);
	g_assert_cmpuint(m.type, ==, 0x11);
	g_assert_cmpuint(m.seq, ==, 0x23);

	/* round trips: both types, every kind, the lengths at the limits, a
	 * range whose last byte is the last of a 32-bit space */
	static const struct vmdbg_watch rt[] = {
		{ 0, VMDBG_WATCH_WRITE, 0, 1 },
		{ 255, VMDBG_WATCH_READ, 0x1000, VMDBG_MAX_WATCH_LEN },
		{ 0xffffffffu, VMDBG_WATCH_ACCESS, 0xfffffffffff00000ull, 0xffff },
		{ 3, VMDBG_WATCH_WRITE, 0xffffffffull, 1 },
		{ 7, VMDBG_WATCH_READ, 0xfffffffffffffff0ull, 15 },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(rt); i++) {
		for (unsigned t = 0; t < 2; t++) {
			uint8_t type = t ? VMDBG_WATCH_REMOVE : VMDBG_WATCH_INSERT;
			char *what = g_strdup_printf("WATCH type 0x%x #%u", type, i);
			g_byte_array_set_size(out, 0);
			vmdbg_enc_watch(VMDBG_GBA(out), type, 0x700 + i, &rt[i]);
			CHECK(out->len == HDR + 24, "%s: %u bytes", what, out->len);
			CHECK(rd32(out->data + 16) == rt[i].vcpu && rd32(out->data + 20) == rt[i].kind &&
			      rd64(out->data + 24) == rt[i].addr && rd64(out->data + 32) == rt[i].len,
			      "%s: payload not vcpu, kind, addr, len", what);
			if (decode_ok_(what, out->data, out->len, &m)) {
				CHECK(m.type == type && m.seq == 0x700 + i, "%s: header", what);
				CHECK(m.u.watch.vcpu == rt[i].vcpu && m.u.watch.kind == rt[i].kind &&
				      m.u.watch.addr == rt[i].addr && m.u.watch.len == rt[i].len,
				      "%s: fields", what);
			}
			g_free(what);
		}
	}
	g_byte_array_unref(out);
}

/* Every watch the spec refuses, in both request types. */
static void test_watch_invalid(void)
{
	static const struct {
		const char *what;
		uint32_t kind;
		uint64_t addr, len;
		int code;
	} bad[] = {
		{ "kind 0", 0, 0x1000, 8, VMDBG_E_INVAL },
		{ "kind 1", 1, 0x1000, 8, VMDBG_E_INVAL },
		{ "kind 5", 5, 0x1000, 8, VMDBG_E_INVAL },
		{ "kind 0xffffffff", 0xffffffffu, 0x1000, 8, VMDBG_E_INVAL },
		{ "len 0", VMDBG_WATCH_WRITE, 0x1000, 0, VMDBG_E_INVAL },
		{ "len 0 at 0", VMDBG_WATCH_WRITE, 0, 0, VMDBG_E_INVAL },
		{ "len 65537", VMDBG_WATCH_READ, 0x1000, VMDBG_MAX_WATCH_LEN + 1, VMDBG_E_INVAL },
		{ "len 2^32", VMDBG_WATCH_READ, 0x1000, 0x100000000ull, VMDBG_E_INVAL },
		{ "len 2^64-1", VMDBG_WATCH_ACCESS, 0, ~0ull, VMDBG_E_INVAL },
		{ "wraps", VMDBG_WATCH_ACCESS, 0xfffffffffffffff8ull, 9, VMDBG_E_INVAL },
		{ "wraps far", VMDBG_WATCH_WRITE, 0xffffffffffffff00ull, 0x1000, VMDBG_E_INVAL },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		for (unsigned t = 0; t < 2; t++) {
			uint8_t type = t ? VMDBG_WATCH_REMOVE : VMDBG_WATCH_INSERT;
			char *what = g_strdup_printf("%s %s", vmdbg_type_name(type), bad[i].what);
			GByteArray *f = build_watch(type, 0x800 + i, 0, bad[i].kind, bad[i].addr,
						    bad[i].len);
			expect_fail_b(what, f, bad[i].code);
			g_byte_array_unref(f);
			g_free(what);
		}
	}

	/* at the limits: accepted */
	GByteArray *f = build_watch(VMDBG_WATCH_INSERT, 0x900, 0, VMDBG_WATCH_WRITE,
				    0xfffffffffffefff0ull, VMDBG_MAX_WATCH_LEN);
	struct vmdbg_msg m;
	decode_ok("WATCH_INSERT 65536 bytes", f->data, f->len, &m);
	g_assert_cmpuint(m.u.watch.len, ==, VMDBG_MAX_WATCH_LEN);
	g_byte_array_unref(f);

	/* a short and a long payload, and a payload on an OK reply or a
	 * WATCH_LIST request */
	uint8_t p[sizeof v_watch_insert + 8];
	memcpy(p, v_watch_insert, sizeof v_watch_insert);
	wr32(p, sizeof v_watch_insert - 8);
	expect_fail_hdr("WATCH_INSERT without len", p, sizeof v_watch_insert - 8, VMDBG_E_PROTO,
			0x0f, 0x21);
	memset(p + sizeof v_watch_insert, 0, 8);
	wr32(p, sizeof p);
	expect_fail_hdr("WATCH_INSERT + 8", p, sizeof p, VMDBG_E_PROTO, 0x0f, 0x21);
	for (unsigned t = 0; t < 3; t++) {
		static const uint8_t types[] = { 0x8f, 0x90, VMDBG_WATCH_LIST };
		GByteArray *g = frame_new(types[t], 0x910 + t);
		put_u32(g, 0);
		frame_done(g);
		expect_fail_b("watch message with a stray payload", g, VMDBG_E_PROTO);
		g_byte_array_unref(g);
	}
}

static void test_watch_list(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;
	struct vmdbg_watch_info w[2] = {
		{ .addr = 0x40080100, .len = 8, .kind = VMDBG_WATCH_WRITE, .npages = 1,
		  .hits = 3, .silent = 0x1234, .pages = { 0x40080000 } },
		{ .addr = 0xffff000000001ffcull, .len = 8, .kind = VMDBG_WATCH_ACCESS, .npages = 2,
		  .hits = 0, .silent = 0x0102030405060708ull, .pages = { 0x8001000, 0x8000000 } },
	};

	vmdbg_enc_watch_list_reply(VMDBG_GBA(out), 0x23, w, 2);
	check_encoded("WATCH_LIST reply", out, v_watch_list_rep, sizeof v_watch_list_rep);

	decode_ok("WATCH_LIST reply", v_watch_list_rep, sizeof v_watch_list_rep, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_WATCH_LIST | VMDBG_REPLY);
	g_assert_cmpuint(m.seq, ==, 0x23);
	g_assert_cmpuint(m.u.watch_list.count, ==, 2);
	size_t off = 0;
	struct vmdbg_watch_info got;
	for (unsigned i = 0; i < 2; i++) {
		memset(&got, 0x5a, sizeof got);
		g_assert_true(vmdbg_watch_list_next(&m.u.watch_list, &off, &got));
		g_assert_cmphex(got.addr, ==, w[i].addr);
		g_assert_cmpuint(got.len, ==, w[i].len);
		g_assert_cmpuint(got.kind, ==, w[i].kind);
		g_assert_cmpuint(got.npages, ==, w[i].npages);
		g_assert_cmpuint(got.hits, ==, w[i].hits);
		g_assert_cmphex(got.silent, ==, w[i].silent);
		for (unsigned k = 0; k < w[i].npages; k++)
			g_assert_cmphex(got.pages[k], ==, w[i].pages[k]);
	}
	g_assert_cmpuint(off, ==, sizeof v_watch_list_rep - 24);
	g_assert_false(vmdbg_watch_list_next(&m.u.watch_list, &off, &got));

	/* none */
	g_byte_array_set_size(out, 0);
	vmdbg_enc_watch_list_reply(VMDBG_GBA(out), 0x24, NULL, 0);
	static const uint8_t none[] = {
		0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x91, 0x00,
		0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	check_encoded("WATCH_LIST reply, none", out, none, sizeof none);
	decode_ok("WATCH_LIST reply, none", none, sizeof none, &m);
	g_assert_cmpuint(m.u.watch_list.count, ==, 0);
	off = 0;
	g_assert_false(vmdbg_watch_list_next(&m.u.watch_list, &off, &got));

	/* the most: 64 watches, npages 1..17 in turn, every kind */
	struct vmdbg_watch_info *many = g_new0(struct vmdbg_watch_info, VMDBG_MAX_WATCHES);
	size_t want_len = HDR + 8;
	for (uint32_t i = 0; i < VMDBG_MAX_WATCHES; i++) {
		many[i].addr = 0x100000ull * i + 0x10 * i;
		many[i].len = 1 + i * 1000;
		many[i].kind = VMDBG_WATCH_WRITE + i % 3;
		many[i].npages = 1 + i % VMDBG_WATCH_MAX_PAGES;
		many[i].hits = ~(uint64_t)i;
		many[i].silent = (uint64_t)i << 40;
		for (uint32_t k = 0; k < many[i].npages; k++)
			many[i].pages[k] = 0x7fff000000ull - 0x1000ull * (i * 17 + k);
		want_len += 40 + 8 * (size_t)many[i].npages;
	}
	g_byte_array_set_size(out, 0);
	vmdbg_enc_watch_list_reply(VMDBG_GBA(out), 0x25, many, VMDBG_MAX_WATCHES);
	g_assert_cmpuint(out->len, ==, want_len);
	decode_ok("WATCH_LIST reply, 64", out->data, out->len, &m);
	g_assert_cmpuint(m.u.watch_list.count, ==, VMDBG_MAX_WATCHES);
	off = 0;
	for (uint32_t i = 0; i < VMDBG_MAX_WATCHES; i++) {
		if (!vmdbg_watch_list_next(&m.u.watch_list, &off, &got)) {
			CHECK(0, "WATCH_LIST reply, 64: record %u missing", i);
			break;
		}
		CHECK(got.addr == many[i].addr && got.len == many[i].len &&
		      got.kind == many[i].kind && got.npages == many[i].npages &&
		      got.hits == many[i].hits && got.silent == many[i].silent &&
		      memcmp(got.pages, many[i].pages, 8 * (size_t)got.npages) == 0,
		      "WATCH_LIST reply, 64: record %u differs", i);
	}
	g_assert_false(vmdbg_watch_list_next(&m.u.watch_list, &off, &got));
	g_free(many);
	g_byte_array_unref(out);
}

static void test_watch_list_invalid(void)
{
	struct vmdbg_msg m;
	GByteArray *f;

	/* 65 valid records */
	f = watch_list_new(0x30, VMDBG_MAX_WATCHES + 1, 0);
	for (unsigned i = 0; i <= VMDBG_MAX_WATCHES; i++)
		put_watch_rec(f, 0x1000 * i, 4, VMDBG_WATCH_WRITE, 1, 1);
	frame_done(f);
	expect_fail_b("WATCH_LIST count 65", f, VMDBG_E_PROTO);
	g_byte_array_unref(f);
	/* a huge count, a short payload */
	f = watch_list_new(0x31, 0xffffffffu, 0);
	put_watch_rec(f, 0x1000, 4, VMDBG_WATCH_WRITE, 1, 1);
	frame_done(f);
	expect_fail_b("WATCH_LIST count 2^32-1", f, VMDBG_E_PROTO);
	g_byte_array_unref(f);

	/* npages 0 and 18, each with as many pages as it claims; 17 is fine */
	static const uint32_t np[] = { 0, VMDBG_WATCH_MAX_PAGES + 1, 0xffffffffu };
	for (unsigned i = 0; i < G_N_ELEMENTS(np); i++) {
		char *what = g_strdup_printf("WATCH_LIST npages %u", np[i]);
		f = watch_list_new(0x32 + i, 2, 0);
		put_watch_rec(f, 0x10000, 0x10000, VMDBG_WATCH_READ, 17, 17);
		put_watch_rec(f, 0x20000, 8, VMDBG_WATCH_READ, np[i], MIN(np[i], 32));
		frame_done(f);
		expect_fail_b(what, f, VMDBG_E_PROTO);
		g_byte_array_unref(f);
		g_free(what);
	}
	f = watch_list_new(0x38, 1, 0);
	put_watch_rec(f, 0x10800, 0x10000, VMDBG_WATCH_ACCESS, 17, 17);
	frame_done(f);
	decode_ok("WATCH_LIST npages 17", f->data, f->len, &m);
	g_byte_array_unref(f);

	/* records whose watch WATCH_INSERT would refuse: EINVAL as there, or
	 * EPROTO (a reply the VM should never have sent) */
	static const struct {
		const char *what;
		uint32_t kind;
		uint64_t addr, len;
	} bad[] = {
		{ "kind 1", 1, 0x1000, 8 },
		{ "kind 5", 5, 0x1000, 8 },
		{ "len 0", VMDBG_WATCH_WRITE, 0x1000, 0 },
		{ "len 0 at 0", VMDBG_WATCH_WRITE, 0, 0 },
		{ "len 65537", VMDBG_WATCH_WRITE, 0x1000, VMDBG_MAX_WATCH_LEN + 1 },
		{ "wraps", VMDBG_WATCH_ACCESS, 0xfffffffffffffffcull, 8 },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *what = g_strdup_printf("WATCH_LIST record %s", bad[i].what);
		f = watch_list_new(0x40 + i, 2, 0);
		put_watch_rec(f, 0x1000, 8, VMDBG_WATCH_WRITE, 1, 1);
		put_watch_rec(f, bad[i].addr, bad[i].len, bad[i].kind, 1, 1);
		frame_done(f);
		struct vmdbg_msg mm;
		if (expect_fail2(what, f->data, f->len, VMDBG_E_INVAL, VMDBG_E_PROTO, &mm))
			CHECK(mm.type == 0x91 && mm.seq == 0x40 + i, "%s: header lost", what);
		g_byte_array_unref(f);
		g_free(what);
	}

	/* cut: a record missing, a record without its last page, a record
	 * without its counters */
	uint8_t p[sizeof v_watch_list_rep + 8];
	static const size_t cuts[] = { 72, 120, 56, 24 };
	for (unsigned i = 0; i < G_N_ELEMENTS(cuts); i++) {
		char *what = g_strdup_printf("WATCH_LIST reply cut to %zu", cuts[i]);
		memcpy(p, v_watch_list_rep, cuts[i]);
		wr32(p, (uint32_t)cuts[i]);
		expect_fail_hdr(what, p, cuts[i], VMDBG_E_PROTO, 0x91, 0x23);
		g_free(what);
	}
	/* count 1 with two records there: trailing bytes */
	memcpy(p, v_watch_list_rep, sizeof v_watch_list_rep);
	wr32(p + 16, 1);
	expect_fail_hdr("WATCH_LIST count 1 of 2", p, sizeof v_watch_list_rep, VMDBG_E_PROTO, 0x91,
			0x23);
	/* npages 1 where the record has 2: the extra page is read as the next
	 * record's, leaving 8 bytes over */
	memcpy(p, v_watch_list_rep, sizeof v_watch_list_rep);
	wr32(p + 92, 1);
	expect_fail_hdr("WATCH_LIST npages 1 of 2", p, sizeof v_watch_list_rep, VMDBG_E_PROTO,
			0x91, 0x23);
	/* 8 more bytes after the last record */
	memcpy(p, v_watch_list_rep, sizeof v_watch_list_rep);
	memset(p + sizeof v_watch_list_rep, 0, 8);
	wr32(p, sizeof p);
	expect_fail_hdr("WATCH_LIST + 8", p, sizeof p, VMDBG_E_PROTO, 0x91, 0x23);

	/* the reserved field */
	static const uint32_t rsv[] = { 1, 0x100, 0x80000000u, 0xffffffffu };
	for (unsigned i = 0; i < G_N_ELEMENTS(rsv); i++) {
		memcpy(p, v_watch_list_rep, sizeof v_watch_list_rep);
		wr32(p + 20, rsv[i]);
		expect_fail_hdr("WATCH_LIST reserved", p, sizeof v_watch_list_rep, VMDBG_E_PROTO,
				0x91, 0x23);
	}
	f = watch_list_new(0x50, 0, 1);
	frame_done(f);
	expect_fail_b("WATCH_LIST none, reserved 1", f, VMDBG_E_PROTO);
	g_byte_array_unref(f);
}

/* STOPPED reason 8: a page-protection watch fired. */
static void test_stopped_watch(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;
	const struct vmdbg_stopped s = {
		.vcpu = 1, .reason = VMDBG_STOP_WATCH, .pc = 0x40080004,
		.info = { 0x40080100, 0x40080104,
			  VMDBG_WATCH_ACC_WRITE | 4u << 8 | (uint64_t)VMDBG_WATCH_WRITE << 16 },
	};

	g_assert_cmpuint(VMDBG_STOP_WATCH, ==, 8);
	g_assert_cmpuint(VMDBG_WATCH_ACC_READ, ==, 1);
	g_assert_cmpuint(VMDBG_WATCH_ACC_WRITE, ==, 2);
	vmdbg_enc_stopped(VMDBG_GBA(out), &s);
	check_encoded("STOPPED WATCH", out, v_stopped_watch, sizeof v_stopped_watch);
	decode_ok("STOPPED WATCH", v_stopped_watch, sizeof v_stopped_watch, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_EV_STOPPED);
	g_assert_cmpuint(m.u.stopped.vcpu, ==, 1);
	g_assert_cmpuint(m.u.stopped.reason, ==, 8);
	g_assert_cmphex(m.u.stopped.pc, ==, 0x40080004);
	g_assert_cmphex(m.u.stopped.info[0], ==, 0x40080100);
	g_assert_cmphex(m.u.stopped.info[1], ==, 0x40080104);
	g_assert_cmphex(m.u.stopped.info[2], ==, 0x20402);
	/* reason 9 is past the table */
	uint8_t p[sizeof v_stopped_watch];
	memcpy(p, v_stopped_watch, sizeof p);
	wr32(p + 20, 9);
	expect_fail_hdr("STOPPED reason 9", p, sizeof p, VMDBG_E_INVAL, 0x40, 0);
	g_byte_array_unref(out);
}

/* POINT_COND, seq 9: addr 0x40080000, 1 register (id
 * 0x6030000000100006, x3, as gdb's 3), 2 conditions, 0 commands:
 * {const8 1, end} and {reg 3, end} */
static const uint8_t v_point_cond[] = {
	0x47, 0x00, 0x00, 0x00, 0x01, 0x00, 0x0d, 0x00,
	0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x08, 0x40, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x06, 0x00, 0x10, 0x00, 0x00, 0x00, 0x30, 0x60,
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x22, 0x01, 0x27, 0x04,
	0x00, 0x00, 0x00, 0x26, 0x00, 0x03, 0x27,
};

static void test_point_cond(void)
{
	static const uint8_t c0[] = { 0x22, 0x01, 0x27 }, c1[] = { 0x26, 0x00, 0x03, 0x27 };
	const uint8_t *codes[] = { c0, c1 };
	const uint32_t lens[] = { sizeof c0, sizeof c1 };
	const struct vmdbg_cond_reg regs[] = { { 0x6030000000100006ull, 3 } };
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_point_cond(VMDBG_GBA(out), 9, 0x40080000, regs, 1, codes, lens, 2, 0);
	check_encoded("POINT_COND", out, v_point_cond, sizeof v_point_cond);
	decode_ok("POINT_COND", v_point_cond, sizeof v_point_cond, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_POINT_COND);
	g_assert_cmphex(m.u.cond.addr, ==, 0x40080000);
	g_assert_cmpuint(m.u.cond.nregs, ==, 1);
	g_assert_cmpuint(m.u.cond.nconds, ==, 2);
	g_assert_cmpuint(m.u.cond.ncmds, ==, 0);
	struct vmdbg_cond_reg r = vmdbg_cond_reg_get(&m.u.cond, 0);
	g_assert_cmphex(r.id, ==, 0x6030000000100006ull);
	g_assert_cmpuint(r.regnum, ==, 3);
	size_t off = 0;
	const uint8_t *code;
	uint32_t len, index;
	g_assert_true(vmdbg_cond_next(&m.u.cond, &off, &code, &len, &index));
	g_assert_cmpmem(code, len, c0, sizeof c0);
	g_assert_cmpuint(index, ==, 0);
	g_assert_true(vmdbg_cond_next(&m.u.cond, &off, &code, &len, &index));
	g_assert_cmpmem(code, len, c1, sizeof c1);
	g_assert_cmpuint(index, ==, 1);
	g_assert_false(vmdbg_cond_next(&m.u.cond, &off, &code, &len, &index));

	/* one condition and one command: the command comes after it */
	g_byte_array_set_size(out, 0);
	vmdbg_enc_point_cond(VMDBG_GBA(out), 11, 0x2000, regs, 1, codes, lens, 1, 1);
	decode_ok("POINT_COND command", out->data, out->len, &m);
	g_assert_cmpuint(m.u.cond.nconds, ==, 1);
	g_assert_cmpuint(m.u.cond.ncmds, ==, 1);
	off = 0;
	g_assert_true(vmdbg_cond_next(&m.u.cond, &off, &code, &len, &index));
	g_assert_true(vmdbg_cond_next(&m.u.cond, &off, &code, &len, &index));
	g_assert_cmpuint(index, ==, 1);
	g_assert_cmpmem(code, len, c1, sizeof c1);

	/* nothing: removes them */
	g_byte_array_set_size(out, 0);
	vmdbg_enc_point_cond(VMDBG_GBA(out), 10, 0x1000, NULL, 0, NULL, NULL, 0, 0);
	decode_ok("POINT_COND none", out->data, out->len, &m);
	g_assert_cmpuint(m.u.cond.nconds, ==, 0);

	/* a zero-length condition, a bad register id, nonzero reserved fields,
	 * too many conditions or commands, a cut condition */
	uint8_t f[sizeof v_point_cond];
	memcpy(f, v_point_cond, sizeof f);
	wr32(f + 56, 0);
	expect_fail_hdr("POINT_COND empty condition", f, sizeof f, VMDBG_E_INVAL, 0x0d, 9);
	memcpy(f, v_point_cond, sizeof f);
	wr64(f + 40, 0x00ff000000000003ull);
	expect_fail_hdr("POINT_COND bad id", f, sizeof f, VMDBG_E_INVAL, 0x0d, 9);
	memcpy(f, v_point_cond, sizeof f);
	f[52] = 1;
	expect_fail_hdr("POINT_COND reserved", f, sizeof f, VMDBG_E_PROTO, 0x0d, 9);
	memcpy(f, v_point_cond, sizeof f);
	f[36] = 1;
	expect_fail_hdr("POINT_COND reserved 2", f, sizeof f, VMDBG_E_PROTO, 0x0d, 9);
	memcpy(f, v_point_cond, sizeof f);
	wr32(f + 28, VMDBG_MAX_CONDS + 1);
	expect_fail_hdr("POINT_COND too many", f, sizeof f, VMDBG_E_INVAL, 0x0d, 9);
	memcpy(f, v_point_cond, sizeof f);
	wr32(f + 32, VMDBG_MAX_CONDS + 1);
	expect_fail_hdr("POINT_COND too many commands", f, sizeof f, VMDBG_E_INVAL, 0x0d, 9);
	memcpy(f, v_point_cond, sizeof f);
	wr32(f + 63, 5);
	expect_fail_hdr("POINT_COND cut", f, sizeof f, VMDBG_E_PROTO, 0x0d, 9);
	memcpy(f, v_point_cond, sizeof f);
	wr32(f + 32, 1);  /* a command announced, none there */
	expect_fail_hdr("POINT_COND command missing", f, sizeof f, VMDBG_E_PROTO, 0x0d, 9);

	/* OUTPUT: an event (seq 0) with text */
	g_byte_array_set_size(out, 0);
	vmdbg_enc_output(VMDBG_GBA(out), 2, "tick 5\n", 7);
	g_assert_cmpuint(out->len, ==, HDR + 8 + 7);
	decode_ok("OUTPUT", out->data, out->len, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_EV_OUTPUT);
	g_assert_cmpuint(m.u.output.vcpu, ==, 2);
	g_assert_cmpmem(m.u.output.text, m.u.output.len, "tick 5\n", 7);
	wr32(out->data + 8, 1);
	expect_fail("OUTPUT with a seq", out->data, out->len, VMDBG_E_PROTO);
	g_byte_array_unref(out);
}

static void test_resume_entries(void)
{
	struct vmdbg_resume_entry ents[VMDBG_MAX_VCPUS];
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	for (uint32_t i = 0; i < VMDBG_MAX_VCPUS; i++) {
		ents[i].vcpu = VMDBG_MAX_VCPUS - 1 - i;
		ents[i].action = i % 3;
	}
	vmdbg_enc_resume(VMDBG_GBA(out), 0x5151, VMDBG_ACT_STEP, ents, VMDBG_MAX_VCPUS);
	g_assert_cmpuint(out->len, ==, HDR + 8 + 8 * VMDBG_MAX_VCPUS);
	/* the spec's layout: {u32 vcpu, u32 action}[count] after the counts */
	for (uint32_t i = 0; i < VMDBG_MAX_VCPUS; i++) {
		g_assert_cmpuint(rd32(out->data + 24 + 8 * i), ==, ents[i].vcpu);
		g_assert_cmpuint(rd32(out->data + 28 + 8 * i), ==, ents[i].action);
	}
	decode_ok("RESUME 256", out->data, out->len, &m);
	g_assert_cmpuint(m.u.resume.default_action, ==, VMDBG_ACT_STEP);
	g_assert_cmpuint(m.u.resume.count, ==, VMDBG_MAX_VCPUS);
	for (uint32_t i = 0; i < VMDBG_MAX_VCPUS; i++) {
		struct vmdbg_resume_entry e = vmdbg_resume_get(&m.u.resume, i);
		g_assert_cmpuint(e.vcpu, ==, ents[i].vcpu);
		g_assert_cmpuint(e.action, ==, ents[i].action);
	}
	g_byte_array_unref(out);
}

static void test_stopped(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;
	struct vmdbg_stopped s = {
		.vcpu = 1, .reason = VMDBG_STOP_DEBUG, .pc = 0x401005,
		.info = { 1, 0xffff4ff1, 0x403 },
	};

	vmdbg_enc_stopped(VMDBG_GBA(out), &s);
	check_encoded("STOPPED", out, v_stopped, sizeof v_stopped);
	decode_ok("STOPPED", v_stopped, sizeof v_stopped, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_EV_STOPPED);
	g_assert_cmpuint(m.seq, ==, 0);
	/* events carry seq 0 (vmdbg.md 2): another seq is a malformed frame */
	{
		uint8_t bad_seq[sizeof v_stopped];
		memcpy(bad_seq, v_stopped, sizeof bad_seq);
		bad_seq[8] = 5;
		GError *err = NULL;
		struct vmdbg_msg bm;
		g_assert_false(vmdbg_g_decode(bad_seq, sizeof bad_seq, &bm, &err));
		g_assert_error(err, VMDBG_CODEC_ERROR, VMDBG_E_PROTO);
		g_error_free(err);
	}
	g_assert_cmpuint(m.u.stopped.vcpu, ==, 1);
	g_assert_cmpuint(m.u.stopped.reason, ==, 1);
	g_assert_cmphex(m.u.stopped.pc, ==, 0x401005);
	g_assert_cmphex(m.u.stopped.info[0], ==, 1);
	g_assert_cmphex(m.u.stopped.info[1], ==, 0xffff4ff1);
	g_assert_cmphex(m.u.stopped.info[2], ==, 0x403);

	/* every reason of the spec's table */
	for (uint32_t r = VMDBG_STOP_DEBUG; r <= VMDBG_STOP_REASON_MAX; r++) {
		struct vmdbg_stopped t = {
			.vcpu = 255 - r, .reason = r, .pc = 0xffffffff80000000ull + r,
			.info = { r * 0x1111111111111111ull, ~(uint64_t)r, (uint64_t)r << 60 },
		};
		g_byte_array_set_size(out, 0);
		vmdbg_enc_stopped(VMDBG_GBA(out), &t);
		g_assert_cmpuint(out->len, ==, 56);
		g_assert_cmpuint(rd32(out->data + 8), ==, 0); /* events: seq 0 */
		decode_ok("STOPPED rt", out->data, out->len, &m);
		g_assert_cmpuint(m.type, ==, 0x40);
		g_assert_cmpuint(m.u.stopped.vcpu, ==, t.vcpu);
		g_assert_cmpuint(m.u.stopped.reason, ==, r);
		g_assert_cmphex(m.u.stopped.pc, ==, t.pc);
		for (unsigned i = 0; i < 3; i++)
			g_assert_cmphex(m.u.stopped.info[i], ==, t.info[i]);
	}
	g_byte_array_unref(out);
}

static void test_error(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;

	vmdbg_enc_error(VMDBG_GBA(out), 15, VMDBG_E_FAULT, "unmapped");
	check_encoded("ERROR", out, v_error, sizeof v_error);
	decode_ok("ERROR", v_error, sizeof v_error, &m);
	g_assert_cmpuint(m.type, ==, VMDBG_ERROR);
	g_assert_cmpuint(m.seq, ==, 15);
	g_assert_cmpuint(m.u.error.code, ==, VMDBG_E_FAULT);
	g_assert_cmpuint(m.u.error.len, ==, 8);
	g_assert_true(m.u.error.text == (const char *)v_error + 24);
	g_assert_cmpmem(m.u.error.text, 8, "unmapped", 8);

	/* round trips: every code, empty, multi-byte UTF-8, exactly 1024 */
	char *k1024 = g_strnfill(VMDBG_MAX_ERROR_TEXT, 'k');
	const char *texts[] = { "", "x", "KVM_SET_GUEST_DEBUG: Invalid argument",
				"gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x90\x9b", k1024 };
	for (uint32_t code = VMDBG_E_PROTO; code <= VMDBG_E_HOST; code++) {
		for (unsigned i = 0; i < G_N_ELEMENTS(texts); i++) {
			size_t tl = strlen(texts[i]);
			g_byte_array_set_size(out, 0);
			vmdbg_enc_error(VMDBG_GBA(out), code * 100 + i, code, texts[i]);
			g_assert_cmpuint(out->len, ==, HDR + 8 + tl);
			g_assert_cmpuint(rd32(out->data + 20), ==, tl);
			decode_ok("ERROR rt", out->data, out->len, &m);
			g_assert_cmpuint(m.type, ==, 0x7f);
			g_assert_cmpuint(m.seq, ==, code * 100 + i);
			g_assert_cmpuint(m.u.error.code, ==, code);
			g_assert_cmpuint(m.u.error.len, ==, tl);
			g_assert_cmpmem(m.u.error.text, m.u.error.len, texts[i], tl);
		}
	}
	g_free(k1024);
	g_byte_array_unref(out);
}

/* vmdbg_enc_error() cuts over-long text to 1024 bytes. */
static void test_error_truncation(void)
{
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;
	char *t = g_strnfill(3000, 'z');

	for (unsigned n = 0; n < 26; n++)
		t[n * 100] = (char)('a' + n);
	static const size_t lens[] = { 1025, 1100, 3000 };
	for (unsigned i = 0; i < G_N_ELEMENTS(lens); i++) {
		char *s = g_strndup(t, lens[i]);
		g_byte_array_set_size(out, 0);
		vmdbg_enc_error(VMDBG_GBA(out), 77, VMDBG_E_HOST, s);
		g_assert_cmpuint(out->len, ==, HDR + 8 + VMDBG_MAX_ERROR_TEXT);
		g_assert_cmpuint(rd32(out->data), ==, HDR + 8 + VMDBG_MAX_ERROR_TEXT);
		g_assert_cmpuint(rd32(out->data + 16), ==, VMDBG_E_HOST);
		g_assert_cmpuint(rd32(out->data + 20), ==, VMDBG_MAX_ERROR_TEXT);
		g_assert_cmpmem(out->data + 24, VMDBG_MAX_ERROR_TEXT, t, VMDBG_MAX_ERROR_TEXT);
		decode_ok("ERROR truncated", out->data, out->len, &m);
		g_assert_cmpuint(m.u.error.len, ==, VMDBG_MAX_ERROR_TEXT);
		g_assert_cmpmem(m.u.error.text, m.u.error.len, t, VMDBG_MAX_ERROR_TEXT);
		g_free(s);
	}
	g_free(t);

	/*
	 * Truncation must still leave UTF-8 (spec: text is UTF-8): a
	 * multi-byte character straddling byte 1024 is dropped whole, so the
	 * frame decodes and its text is a prefix of at most 1024 bytes.
	 */
	static const char *tails[] = { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x90\x9b" };
	for (unsigned i = 0; i < G_N_ELEMENTS(tails); i++) {
		for (size_t before = VMDBG_MAX_ERROR_TEXT - strlen(tails[i]) + 1;
		     before < VMDBG_MAX_ERROR_TEXT; before++) {
			GString *s = g_string_new(NULL);
			for (size_t j = 0; j < before; j++)
				g_string_append_c(s, 'a');
			g_string_append(s, tails[i]);
			g_string_append(s, "tail");
			char *what = g_strdup_printf("ERROR truncation, %zu-byte char at %zu",
						     strlen(tails[i]), before);
			g_byte_array_set_size(out, 0);
			vmdbg_enc_error(VMDBG_GBA(out), 78, VMDBG_E_HOST, s->str);
			decode_ok(what, out->data, out->len, &m);
			CHECK(m.u.error.len <= VMDBG_MAX_ERROR_TEXT, "%s: len %u", what,
			      m.u.error.len);
			CHECK(m.u.error.len == before, "%s: text len %u, expected %zu", what,
			      m.u.error.len, before);
			CHECK(g_utf8_validate(m.u.error.text, m.u.error.len, NULL),
			      "%s: not UTF-8", what);
			CHECK(memcmp(m.u.error.text, s->str, m.u.error.len) == 0,
			      "%s: not a prefix", what);
			g_free(what);
			g_string_free(s, TRUE);
		}
	}
	g_byte_array_unref(out);
}

/* ---- register id helpers ----------------------------------------------- */

static void test_reg_bytes(void)
{
	/* size field = log2(bytes): U8 = 0 ... U2048 = 8 */
	static const uint64_t sizes[] = {
		0x0000000000000000ull, 0x0010000000000000ull, 0x0020000000000000ull,
		0x0030000000000000ull, 0x0040000000000000ull, 0x0050000000000000ull,
		0x0060000000000000ull, 0x0070000000000000ull, 0x0080000000000000ull,
	};
	static const uint64_t named[] = {
		VMDBG_REG_U8, VMDBG_REG_U16, VMDBG_REG_U32, VMDBG_REG_U64, VMDBG_REG_U128,
		VMDBG_REG_U256, VMDBG_REG_U512, VMDBG_REG_U1024, VMDBG_REG_U2048,
	};
	static const uint64_t arches[] = { 0x2000000000000000ull, 0x6000000000000000ull };
	for (unsigned a = 0; a < G_N_ELEMENTS(arches); a++) {
		for (unsigned l = 0; l < G_N_ELEMENTS(sizes); l++) {
			g_assert_cmphex(named[l], ==, sizes[l]);
			uint64_t id = arches[a] | sizes[l] | 0x1234;
			g_assert_cmpuint(vmdbg_reg_bytes(id), ==, 1u << l);
			g_assert_cmpuint(vmdbg_reg_bytes(id | 0xffffffffffffull), ==, 1u << l);
			g_assert_true(vmdbg_reg_id_valid(id));
			g_assert_true(vmdbg_reg_id_valid(id | 0xffffffffffffull));
		}
		for (uint64_t l = 9; l <= 15; l++) {
			uint64_t id = arches[a] | l << 52 | 0x10;
			g_assert_cmpuint(vmdbg_reg_bytes(id), ==, 0);
			g_assert_false(vmdbg_reg_id_valid(id));
		}
	}
	/* the header's x86 id macros are the spec's values */
	g_assert_cmphex(VMDBG_X86_RAX, ==, ID_RAX);
	g_assert_cmphex(VMDBG_X86_RIP, ==, ID_RIP);
	g_assert_cmphex(VMDBG_X86_RFLAGS, ==, ID_EFLAGS);
	g_assert_cmphex(VMDBG_X86_SEL(0), ==, ID_CS);
	g_assert_cmphex(VMDBG_X86_CR(3), ==, ID_CR3);
	g_assert_cmphex(VMDBG_X86_ST(0), ==, ID_ST0);
	g_assert_cmphex(VMDBG_X86_XMM(0), ==, ID_XMM0);
	g_assert_cmphex(VMDBG_X86_MXCSR, ==, ID_MXCSR);
	g_assert_cmphex(VMDBG_X86_ZMMH(0), ==, ID_ZMMH0);
	g_assert_cmphex(VMDBG_X86_ZMM(16), ==, ID_ZMM16);
	g_assert_cmphex(VMDBG_X86_K(0), ==, ID_K0);
	g_assert_cmpuint(vmdbg_reg_bytes(ID_ST0), ==, 16);
	g_assert_cmpuint(vmdbg_reg_bytes(ID_ZMM16), ==, 64);
}

static void test_reg_id_valid(void)
{
	/* x86 and arm64, real ids */
	static const uint64_t good[] = {
		ID_RAX, ID_RIP, ID_EFLAGS, ID_CS, ID_CR3, ID_ST0, ID_XMM0, ID_ZMMH0,
		ID_ZMM16, ID_K0, ID_A64_X0, ID_A64_PC,
		0x6080000000150000ull, /* arm64 SVE z0, U2048 */
		0x6040000000100054ull, /* arm64 core v0, U128 */
		0x6030000000138010ull, /* arm64 sysreg */
		0x2000000000000000ull, /* x86 U8 index 0 */
		0x6000000000000000ull, /* arm64 U8 index 0 */
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(good); i++)
		CHECK(vmdbg_reg_id_valid(good[i]), "0x%016" G_GINT64_MODIFIER "x must be valid",
		      good[i]);

	/* any other architecture byte is invalid, whatever the size */
	for (unsigned arch = 0; arch <= 0xff; arch++) {
		if (arch == 0x20 || arch == 0x60)
			continue;
		for (uint64_t l = 0; l <= 8; l += 3) {
			uint64_t id = (uint64_t)arch << 56 | l << 52 | 0x10040;
			CHECK(!vmdbg_reg_id_valid(id), "0x%016" G_GINT64_MODIFIER "x must be invalid",
			      id);
		}
	}
	/* e.g. KVM_REG_ARM (32-bit), KVM_REG_RISCV, KVM_REG_PPC, KVM_REG_S390 */
	g_assert_false(vmdbg_reg_id_valid(0x4030000000100000ull));
	g_assert_false(vmdbg_reg_id_valid(0x8030000000000000ull));
	g_assert_false(vmdbg_reg_id_valid(0x1030000000000000ull));
	g_assert_false(vmdbg_reg_id_valid(0x5030000000000000ull));
	g_assert_false(vmdbg_reg_id_valid(0));
	g_assert_false(vmdbg_reg_id_valid(~0ull));
	/* valid arch, size 9..15 */
	for (uint64_t l = 9; l <= 15; l++) {
		g_assert_false(vmdbg_reg_id_valid(VMDBG_REG_ARCH_X86 | l << 52 | 0x10000));
		g_assert_false(vmdbg_reg_id_valid(VMDBG_REG_ARCH_ARM64 | l << 52 | 0x100000));
	}
}

/* vmdbg_regvals_next over values of 1 ... 256 bytes, both message kinds. */
static void test_regvals_mixed(void)
{
	static const unsigned order[] = { 0, 8, 1, 5, 2, 3, 7, 4, 6, 0, 8 };
	const unsigned n = G_N_ELEMENTS(order);
	uint64_t ids[G_N_ELEMENTS(order)];
	GByteArray *values = g_byte_array_new();
	GByteArray *out = g_byte_array_new();
	struct vmdbg_msg m;
	static const uint8_t types[] = { VMDBG_GET_REGS | VMDBG_REPLY, VMDBG_SET_REGS };

	for (unsigned i = 0; i < n; i++) {
		ids[i] = VMDBG_REG_ARCH_ARM64 | (uint64_t)order[i] << 52 | (0x100 + i);
		for (unsigned j = 0; j < (1u << order[i]); j++) {
			uint8_t b = (uint8_t)(i * 37 + j * 11 + 1);
			g_byte_array_append(values, &b, 1);
		}
	}

	for (unsigned t = 0; t < G_N_ELEMENTS(types); t++) {
		/* expected frame, from the spec */
		GByteArray *exp = frame_new(types[t], 500 + t);
		put_u32(exp, 9);
		put_u32(exp, n);
		size_t voff = 0;
		for (unsigned i = 0; i < n; i++) {
			put_u64(exp, ids[i]);
			put_bytes(exp, values->data + voff, 1u << order[i]);
			voff += 1u << order[i];
		}
		frame_done(exp);

		g_byte_array_set_size(out, 0);
		vmdbg_enc_reg_vals(VMDBG_GBA(out), types[t], 500 + t, 9, ids, n, values->data);
		check_encoded("reg_vals mixed", out, exp->data, exp->len);

		decode_ok("reg_vals mixed", exp->data, exp->len, &m);
		g_assert_cmpuint(m.type, ==, types[t]);
		g_assert_cmpuint(m.u.reg_vals.vcpu, ==, 9);
		g_assert_cmpuint(m.u.reg_vals.count, ==, n);

		size_t off = 0;
		uint64_t id;
		const uint8_t *val;
		uint32_t size;
		voff = 0;
		for (unsigned i = 0; i < n; i++) {
			CHECK(vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size),
			      "regvals_next stopped at %u of %u", i, n);
			g_assert_cmphex(id, ==, ids[i]);
			g_assert_cmpuint(size, ==, 1u << order[i]);
			g_assert_cmpmem(val, size, values->data + voff, 1u << order[i]);
			g_assert_true(val >= exp->data && val + size <= exp->data + exp->len);
			voff += size;
		}
		g_assert_false(vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size));
		g_assert_false(vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size));
		g_byte_array_unref(exp);
	}

	/* count 0 */
	g_byte_array_set_size(out, 0);
	vmdbg_enc_reg_vals(VMDBG_GBA(out), VMDBG_GET_REGS | VMDBG_REPLY, 1, 0, NULL, 0, NULL);
	g_assert_cmpuint(out->len, ==, HDR + 8);
	decode_ok("reg_vals count 0", out->data, out->len, &m);
	g_assert_cmpuint(m.u.reg_vals.count, ==, 0);
	size_t off = 0;
	uint64_t id;
	const uint8_t *val;
	uint32_t size;
	g_assert_false(vmdbg_regvals_next(&m.u.reg_vals, &off, &id, &val, &size));

	g_byte_array_unref(values);
	g_byte_array_unref(out);
}

/* ---- framing ------------------------------------------------------------- */

static void test_peek_bad_len(void)
{
	static const uint32_t bad[] = { 0, 1, 4, 15, VMDBG_MAX_FRAME + 1, 0x00200000,
					0x7fffffff, 0x80000000u, 0xffffffffu };
	uint8_t buf[64];

	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *what = g_strdup_printf("len field %u", bad[i]);
		memcpy(buf, v_pause, 16);
		memset(buf + 16, 0, sizeof buf - 16);
		wr32(buf, bad[i]);
		expect_peek(what, buf, 4, VMDBG_FRAME_BAD, 0);
		expect_peek(what, buf, 16, VMDBG_FRAME_BAD, 0);
		expect_peek(what, buf, sizeof buf, VMDBG_FRAME_BAD, 0);
		/* and decode refuses such a frame too */
		expect_fail(what, buf, bad[i] < sizeof buf ? bad[i] : sizeof buf,
			    VMDBG_E_PROTO);
		g_free(what);
	}
	/* the boundaries themselves are fine */
	memcpy(buf, v_pause, 16);
	expect_peek("len 16", buf, 16, VMDBG_FRAME_OK, 16);
	wr32(buf, VMDBG_MAX_FRAME);
	expect_peek("len 1 MiB, 16 bytes", buf, 16, VMDBG_FRAME_NEED_MORE, VMDBG_MAX_FRAME);
	uint8_t *big = g_malloc0(VMDBG_MAX_FRAME);
	memcpy(big, buf, 16);
	expect_peek("len 1 MiB, 1 MiB - 1 bytes", big, VMDBG_MAX_FRAME - 1,
		    VMDBG_FRAME_NEED_MORE, VMDBG_MAX_FRAME);
	expect_peek("len 1 MiB, 1 MiB bytes", big, VMDBG_MAX_FRAME, VMDBG_FRAME_OK,
		    VMDBG_MAX_FRAME);
	g_free(big);
}

static void test_peek_need_more(void)
{
	/* fewer than 4 bytes: the length is not known yet */
	for (size_t n = 0; n < 4; n++) {
		expect_peek("hello prefix", v_hello_req, n, VMDBG_FRAME_NEED_MORE, 0);
		expect_peek("pause prefix", v_pause, n, VMDBG_FRAME_NEED_MORE, 0);
	}
	/* len larger than what is available */
	expect_peek("4 of 24", v_hello_req, 4, VMDBG_FRAME_NEED_MORE, 24);
	expect_peek("16 of 24", v_hello_req, 16, VMDBG_FRAME_NEED_MORE, 24);
	expect_peek("23 of 24", v_hello_req, 23, VMDBG_FRAME_NEED_MORE, 24);
	expect_peek("24 of 24", v_hello_req, 24, VMDBG_FRAME_OK, 24);

	uint8_t buf[32];
	memcpy(buf, v_pause, 16);
	wr32(buf, 0x10000);
	expect_peek("16 of 64K", buf, 16, VMDBG_FRAME_NEED_MORE, 0x10000);
	expect_peek("32 of 64K", buf, sizeof buf, VMDBG_FRAME_NEED_MORE, 0x10000);
}

/* One byte at a time: NEED_MORE until the whole frame is there. */
static void test_peek_byte_at_a_time(void)
{
	GByteArray *keep;
	GArray *vecs = all_vectors(&keep);

	for (guint v = 0; v < vecs->len; v++) {
		const struct vec *x = &g_array_index(vecs, struct vec, v);
		/* a copy so that reading past avail would be caught by ASan */
		for (size_t avail = 0; avail < x->n; avail++) {
			uint8_t *p = g_malloc(avail ? avail : 1);
			memcpy(p, x->p, avail);
			expect_peek(x->name, p, avail, VMDBG_FRAME_NEED_MORE,
				    avail >= 4 ? x->n : 0);
			g_free(p);
		}
		uint8_t *p = g_malloc(x->n + 1);
		memcpy(p, x->p, x->n);
		p[x->n] = 0x10;
		expect_peek(x->name, p, x->n, VMDBG_FRAME_OK, x->n);
		expect_peek(x->name, p, x->n + 1, VMDBG_FRAME_OK, x->n);
		g_free(p);
	}
	g_array_unref(vecs);
	g_byte_array_unref(keep);
}

/* Three frames back to back, split with peek, decoded one after another. */
static void test_stream_three_frames(void)
{
	static const uint64_t ids[] = { ID_RIP, ID_CS, ID_EFLAGS };
	static const uint8_t vals[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
	struct vmdbg_stopped s = { .vcpu = 2, .reason = VMDBG_STOP_SW_BP, .pc = 0x400000,
				   .info = { 0x400000, 0, 0 } };
	GByteArray *st = g_byte_array_new();

	vmdbg_enc_hello_request(VMDBG_GBA(st), 1, 1, 0);
	size_t l1 = st->len;
	vmdbg_enc_reg_vals(VMDBG_GBA(st), VMDBG_GET_REGS | VMDBG_REPLY, 2, 0, ids, 3, vals);
	size_t l2 = st->len - l1;
	vmdbg_enc_stopped(VMDBG_GBA(st), &s);
	size_t l3 = st->len - l1 - l2;
	g_assert_cmpuint(l1, ==, 24);
	g_assert_cmpuint(l2, ==, 62);
	g_assert_cmpuint(l3, ==, 56);
	/* plus the first 10 bytes of a 4th frame */
	vmdbg_enc_error(VMDBG_GBA(st), 3, VMDBG_E_STATE, "vCPU running");
	size_t total = l1 + l2 + l3 + 10;

	uint8_t *buf = memdup(st->data, total);
	size_t pos = 0, flen;
	unsigned n = 0;
	uint8_t types[3];
	GError *err = NULL;
	for (;;) {
		enum vmdbg_frame_status fs = vmdbg_g_frame_peek(buf + pos, total - pos, &flen, &err);
		g_assert_no_error(err);
		if (fs == VMDBG_FRAME_NEED_MORE)
			break;
		g_assert_cmpint(fs, ==, VMDBG_FRAME_OK);
		g_assert_cmpuint(n, <, 3);
		struct vmdbg_msg m;
		g_assert_true(vmdbg_g_decode(buf + pos, flen, &m, &err));
		g_assert_no_error(err);
		types[n] = m.type;
		switch (n) {
		case 0:
			g_assert_cmpuint(flen, ==, l1);
			g_assert_cmpuint(m.u.hello.version, ==, 1);
			break;
		case 1: {
			g_assert_cmpuint(flen, ==, l2);
			g_assert_cmpuint(m.seq, ==, 2);
			g_assert_cmpuint(m.u.reg_vals.count, ==, 3);
			size_t off = 0;
			uint64_t id;
			const uint8_t *val;
			uint32_t size;
			for (unsigned i = 0; i < 3; i++)
				g_assert_true(vmdbg_regvals_next(&m.u.reg_vals, &off, &id,
								 &val, &size));
			g_assert_cmphex(id, ==, ID_EFLAGS);
			g_assert_cmpmem(val, size, vals + 10, 4);
			g_assert_true(val + size <= buf + l1 + l2);
			break;
		}
		case 2:
			g_assert_cmpuint(flen, ==, l3);
			g_assert_cmpuint(m.u.stopped.vcpu, ==, 2);
			g_assert_cmpuint(m.u.stopped.reason, ==, VMDBG_STOP_SW_BP);
			g_assert_cmphex(m.u.stopped.info[0], ==, 0x400000);
			break;
		}
		pos += flen;
		n++;
	}
	g_assert_cmpuint(n, ==, 3);
	g_assert_cmpuint(pos, ==, l1 + l2 + l3);
	g_assert_cmpuint(types[0], ==, VMDBG_HELLO);
	g_assert_cmpuint(types[1], ==, VMDBG_GET_REGS | VMDBG_REPLY);
	g_assert_cmpuint(types[2], ==, VMDBG_EV_STOPPED);
	g_free(buf);
	g_byte_array_unref(st);
}

/* ---- malformed frames ---------------------------------------------------- */

/* Every strict prefix of every valid frame, with its len field patched. */
static void test_truncated(void)
{
	GByteArray *keep;
	GArray *vecs = all_vectors(&keep);

	for (guint v = 0; v < vecs->len; v++) {
		const struct vec *x = &g_array_index(vecs, struct vec, v);
		for (size_t k = 0; k < x->n; k++) {
			char *what = g_strdup_printf("%s cut to %zu of %zu bytes", x->name, k,
						     x->n);
			uint8_t *p = g_malloc(k ? k : 1);
			memcpy(p, x->p, k);
			if (k >= 4)
				wr32(p, (uint32_t)k);
			if (k >= HDR) {
				expect_peek(what, p, k, VMDBG_FRAME_OK, k);
				expect_fail_hdr(what, p, k, VMDBG_E_PROTO, x->p[6],
						rd32(x->p + 8));
			} else {
				if (k >= 4)
					expect_peek(what, p, k, VMDBG_FRAME_BAD, 0);
				expect_fail(what, p, k, VMDBG_E_PROTO);
			}
			g_free(p);
			g_free(what);
		}
	}
	g_array_unref(vecs);
	g_byte_array_unref(keep);
}

/* Valid frames followed by extra bytes inside the frame. */
static void test_trailing(void)
{
	GByteArray *keep;
	GArray *vecs = all_vectors(&keep);
	static const size_t extra[] = { 1, 2, 4, 8, 16, 64 };

	for (guint v = 0; v < vecs->len; v++) {
		const struct vec *x = &g_array_index(vecs, struct vec, v);
		for (unsigned e = 0; e < G_N_ELEMENTS(extra); e++) {
			char *what = g_strdup_printf("%s + %zu bytes", x->name, extra[e]);
			size_t n = x->n + extra[e];
			uint8_t *p = g_malloc0(n);
			memcpy(p, x->p, x->n);
			wr32(p, (uint32_t)n);
			expect_fail_hdr(what, p, n, VMDBG_E_PROTO, x->p[6], rd32(x->p + 8));
			g_free(p);
			g_free(what);
		}
	}
	g_array_unref(vecs);
	g_byte_array_unref(keep);
}

/* The len argument of vmdbg_g_decode() disagrees with the len field. */
static void test_len_mismatch(void)
{
	uint8_t buf[64];

	memset(buf, 0, sizeof buf);
	memcpy(buf, v_hello_req, sizeof v_hello_req);
	/* field 24, given 23 / 25 / 32 */
	expect_fail("len field 24, decode 23", buf, 23, VMDBG_E_PROTO);
	expect_fail("len field 24, decode 25", buf, 25, VMDBG_E_PROTO);
	expect_fail("len field 24, decode 32", buf, 32, VMDBG_E_PROTO);
	/* field 20, given 24 */
	wr32(buf, 20);
	expect_fail("len field 20, decode 24", buf, 24, VMDBG_E_PROTO);
}

static void test_bad_version(void)
{
	static const uint16_t versions[] = { 0, 2, 3, 0x0100, 0xffff };
	GByteArray *keep;
	GArray *vecs = all_vectors(&keep);

	for (guint v = 0; v < vecs->len; v++) {
		const struct vec *x = &g_array_index(vecs, struct vec, v);
		uint8_t *p = memdup(x->p, x->n);
		for (unsigned i = 0; i < G_N_ELEMENTS(versions); i++) {
			char *what = g_strdup_printf("%s version %u", x->name, versions[i]);
			wr16(p + 4, versions[i]);
			expect_peek(what, p, x->n, VMDBG_FRAME_OK, x->n);
			expect_fail_hdr(what, p, x->n, VMDBG_E_VERSION, x->p[6], rd32(x->p + 8));
			g_free(what);
		}
		g_free(p);
	}
	g_array_unref(vecs);
	g_byte_array_unref(keep);
}

static void test_unknown_type(void)
{
	/* bare header frames with types that are not in the spec's table */
	static const uint16_t types[] = {
		0x00, 0x12, 0x13, 0x3f, 0x42, 0x7e, 0x80, 0x92, 0x93, 0xc0, 0xc1, 0xfe, 0xff,
		0x100, 0x101, 0x10a, 0x10f, 0x111, 0x140, 0x17f, 0x181, 0x18f, 0x8001, 0xff0a,
		0xffff,
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(types); i++) {
		char *what = g_strdup_printf("type 0x%x", types[i]);
		GByteArray *b = frame_new(types[i], 0x4000 + i);
		frame_done(b);
		struct vmdbg_msg m;
		expect_fail2(what, b->data, b->len, VMDBG_E_UNKNOWN, VMDBG_E_UNKNOWN, &m);
		CHECK(m.seq == 0x4000 + i, "%s: seq 0x%x after failure", what, m.seq);
		if (types[i] <= 0xff)
			CHECK(m.type == types[i], "%s: type 0x%x after failure", what, m.type);
		g_byte_array_unref(b);
		g_free(what);
	}

	/* valid payloads under a wrong type: only the type is wrong */
	static const struct {
		const uint8_t *p;
		size_t n;
		uint16_t type;
	} patched[] = {
		{ v_stopped, sizeof v_stopped, 0xc0 },  /* STOPPED | reply */
		{ v_stopped, sizeof v_stopped, 0x140 },
		{ v_stopped, sizeof v_stopped, 0x42 },
		{ v_error, sizeof v_error, 0xff },       /* ERROR | reply */
		{ v_error, sizeof v_error, 0x17f },
		{ v_error, sizeof v_error, 0x7e },
		{ v_hello_req, sizeof v_hello_req, 0x101 },
		{ v_hello_req, sizeof v_hello_req, 0x8001 },
		{ v_hello_rep, sizeof v_hello_rep, 0x181 },
		{ v_read_mem_req, sizeof v_read_mem_req, 0x12 },
		{ v_read_mem_req, sizeof v_read_mem_req, 0x3f },
		{ v_pause, sizeof v_pause, 0x92 },
		{ v_pause, sizeof v_pause, 0x10a },
		{ v_watch_insert, sizeof v_watch_insert, 0x10f },
		{ v_watch_insert, sizeof v_watch_insert, 0x12 },
		{ v_watch_list_rep, sizeof v_watch_list_rep, 0x191 },
		{ v_watch_list_req, sizeof v_watch_list_req, 0x13 },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(patched); i++) {
		char *what = g_strdup_printf("patched type 0x%x", patched[i].type);
		uint8_t *p = memdup(patched[i].p, patched[i].n);
		wr16(p + 6, patched[i].type);
		struct vmdbg_msg m;
		expect_fail2(what, p, patched[i].n, VMDBG_E_UNKNOWN, VMDBG_E_UNKNOWN, &m);
		CHECK(m.seq == rd32(p + 8), "%s: seq 0x%x after failure", what, m.seq);
		g_free(p);
		g_free(what);
	}
}

static void test_reserved(void)
{
	static const uint32_t rsv[] = { 1, 0x100, 0x80000000u, 0xffffffffu };
	GByteArray *keep;
	GArray *vecs = all_vectors(&keep);

	for (guint v = 0; v < vecs->len; v++) {
		const struct vec *x = &g_array_index(vecs, struct vec, v);
		uint8_t *p = memdup(x->p, x->n);
		for (unsigned i = 0; i < G_N_ELEMENTS(rsv); i++) {
			char *what = g_strdup_printf("%s reserved 0x%x", x->name, rsv[i]);
			wr32(p + 12, rsv[i]);
			expect_fail_hdr(what, p, x->n, VMDBG_E_PROTO, x->p[6], rd32(x->p + 8));
			g_free(what);
		}
		g_free(p);
	}
	g_array_unref(vecs);
	g_byte_array_unref(keep);
}

/* The reserved(0) fields inside payloads: HELLO reply, READ_MEM reply. */
static void test_payload_reserved(void)
{
	static const uint32_t rsv[] = { 1, 0x100, 0x80000000u, 0xffffffffu };

	for (unsigned i = 0; i < G_N_ELEMENTS(rsv); i++) {
		uint8_t h[sizeof v_hello_rep], r[sizeof v_read_mem_rep];
		memcpy(h, v_hello_rep, sizeof h);
		wr32(h + 44, rsv[i]);
		expect_fail_hdr("HELLO reply reserved", h, sizeof h, VMDBG_E_PROTO, 0x81, 1);
		memcpy(r, v_read_mem_rep, sizeof r);
		wr32(r + 28, rsv[i]);
		expect_fail_hdr("READ_MEM reply reserved", r, sizeof r, VMDBG_E_PROTO, 0x85, 8);
	}
}

/* Frames holding a register id that the spec calls malformed. */
static void test_bad_reg_ids(void)
{
	GArray *bad = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	uint64_t id;

	for (uint64_t l = 9; l <= 15; l++) {
		id = VMDBG_REG_ARCH_X86 | l << 52 | 0x10000;
		g_array_append_val(bad, id);
		id = VMDBG_REG_ARCH_ARM64 | l << 52 | 0x100040;
		g_array_append_val(bad, id);
	}
	static const uint8_t arches[] = { 0x00, 0x10, 0x1f, 0x21, 0x30, 0x40, 0x50,
					  0x5f, 0x61, 0x80, 0xa0, 0xe0, 0xff };
	for (unsigned a = 0; a < G_N_ELEMENTS(arches); a++) {
		id = (uint64_t)arches[a] << 56 | VMDBG_REG_U64 | 0x10000;
		g_array_append_val(bad, id);
		id = (uint64_t)arches[a] << 56 | VMDBG_REG_U8 | 0x1;
		g_array_append_val(bad, id);
	}

	static const uint16_t id_types[] = { VMDBG_GET_REGS, VMDBG_REG_LIST | VMDBG_REPLY };
	static const uint16_t val_types[] = { VMDBG_SET_REGS, VMDBG_GET_REGS | VMDBG_REPLY };
	uint8_t val[256];
	memset(val, 0xa5, sizeof val);

	for (guint i = 0; i < bad->len; i++) {
		uint64_t b = g_array_index(bad, uint64_t, i);
		uint32_t bsize = vmdbg_reg_bytes(b); /* 0 when the size field is bad */
		for (unsigned pos = 0; pos < 3; pos++) {
			/* id lists: the bad id first, in the middle or last */
			for (unsigned t = 0; t < G_N_ELEMENTS(id_types); t++) {
				char *what = g_strdup_printf("type 0x%x id 0x%016" G_GINT64_MODIFIER
							     "x at %u", id_types[t], b, pos);
				GByteArray *f = frame_new(id_types[t], 0x700 + i);
				put_u32(f, 0);
				put_u32(f, 3);
				for (unsigned j = 0; j < 3; j++)
					put_u64(f, j == pos ? b : ID_RAX);
				frame_done(f);
				expect_fail_b(what, f, VMDBG_E_INVAL);
				g_byte_array_unref(f);
				g_free(what);
			}
			/* id/value lists: a bad size has no value length at all */
			for (unsigned t = 0; t < G_N_ELEMENTS(val_types); t++) {
				char *what = g_strdup_printf("type 0x%x id 0x%016" G_GINT64_MODIFIER
							     "x at %u", val_types[t], b, pos);
				GByteArray *f = frame_new(val_types[t], 0x800 + i);
				put_u32(f, 0);
				put_u32(f, 3);
				for (unsigned j = 0; j < 3; j++) {
					if (j == pos) {
						put_u64(f, b);
						put_bytes(f, val, bsize);
					} else {
						put_u64(f, ID_RIP);
						put_bytes(f, val, 8);
					}
				}
				frame_done(f);
				expect_fail_b(what, f, VMDBG_E_INVAL);
				g_byte_array_unref(f);
				g_free(what);
			}
		}
	}
	g_array_unref(bad);
}

/* More than VMDBG_MAX_REGS ids in one message. */
static void test_reg_count_limit(void)
{
	static const uint16_t id_types[] = { VMDBG_GET_REGS, VMDBG_REG_LIST | VMDBG_REPLY };
	static const uint16_t val_types[] = { VMDBG_SET_REGS, VMDBG_GET_REGS | VMDBG_REPLY };

	for (unsigned t = 0; t < 2; t++) {
		/* 4097 real ids */
		GByteArray *f = frame_new(id_types[t], 0x901);
		put_u32(f, 0);
		put_u32(f, VMDBG_MAX_REGS + 1);
		for (uint32_t i = 0; i <= VMDBG_MAX_REGS; i++)
			put_u64(f, ID_RAX);
		frame_done(f);
		/* §2 gives the limit but no code: a bad length or a malformed frame */
		expect_fail2("ids: count 4097", f->data, f->len, VMDBG_E_INVAL,
			     VMDBG_E_PROTO, NULL);
		g_byte_array_unref(f);

		/* 4097 id/value pairs with 1-byte values */
		f = frame_new(val_types[t], 0x902);
		put_u32(f, 0);
		put_u32(f, VMDBG_MAX_REGS + 1);
		for (uint32_t i = 0; i <= VMDBG_MAX_REGS; i++) {
			put_u64(f, VMDBG_REG_ARCH_X86 | VMDBG_REG_U8 | i);
			put_bytes(f, "\x42", 1);
		}
		frame_done(f);
		expect_fail2("vals: count 4097", f->data, f->len, VMDBG_E_INVAL,
			     VMDBG_E_PROTO, NULL);
		g_byte_array_unref(f);

		/* the same at exactly 4096 decodes */
		f = frame_new(val_types[t], 0x903);
		put_u32(f, 0);
		put_u32(f, VMDBG_MAX_REGS);
		for (uint32_t i = 0; i < VMDBG_MAX_REGS; i++) {
			put_u64(f, VMDBG_REG_ARCH_X86 | VMDBG_REG_U8 | i);
			put_bytes(f, "\x42", 1);
		}
		frame_done(f);
		struct vmdbg_msg m;
		decode_ok("vals: count 4096", f->data, f->len, &m);
		g_assert_cmpuint(m.u.reg_vals.count, ==, VMDBG_MAX_REGS);
		g_byte_array_unref(f);

		/* huge counts with a short payload: over the limit and truncated */
		static const uint32_t huge[] = { VMDBG_MAX_REGS + 1, 0x10000000, 0x20000000,
						 0x80000000u, 0xffffffffu };
		for (unsigned h = 0; h < G_N_ELEMENTS(huge); h++) {
			f = frame_new(id_types[t], 0x904);
			put_u32(f, 0);
			put_u32(f, huge[h]);
			put_u64(f, ID_RAX);
			put_u64(f, ID_RIP);
			frame_done(f);
			expect_fail2("ids: huge count", f->data, f->len, VMDBG_E_INVAL,
				     VMDBG_E_PROTO, NULL);
			g_byte_array_unref(f);

			f = frame_new(val_types[t], 0x905);
			put_u32(f, 0);
			put_u32(f, huge[h]);
			put_u64(f, ID_RAX);
			put_u64(f, 7);
			frame_done(f);
			expect_fail2("vals: huge count", f->data, f->len, VMDBG_E_INVAL,
				     VMDBG_E_PROTO, NULL);
			g_byte_array_unref(f);
		}
	}
}

/* READ_MEM / WRITE_MEM lengths of 0 or above VMDBG_MAX_MEM_XFER. */
static void test_mem_len_limits(void)
{
	static const uint32_t bad[] = { 0, VMDBG_MAX_MEM_XFER + 1, 0x100000, 0xffffffffu };
	uint8_t *data = g_malloc0(VMDBG_MAX_MEM_XFER + 1);

	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *what = g_strdup_printf("READ_MEM len %u", bad[i]);
		GByteArray *f = frame_new(VMDBG_READ_MEM, 0xa00 + i);
		put_u32(f, 0);
		put_u32(f, bad[i]);
		put_u64(f, 0x1000);
		frame_done(f);
		/* vmdbg.md 2: a length of 0 is a bad value, one above the limit a bad frame */
		expect_fail_b(what, f, bad[i] == 0 ? VMDBG_E_INVAL : VMDBG_E_PROTO);
		g_byte_array_unref(f);
		g_free(what);
	}

	/* WRITE_MEM with exactly len data bytes (where that fits a frame) */
	for (unsigned i = 0; i < 2; i++) {
		char *what = g_strdup_printf("WRITE_MEM len %u", bad[i]);
		GByteArray *f = frame_new(VMDBG_WRITE_MEM, 0xb00 + i);
		put_u32(f, 0);
		put_u32(f, bad[i]);
		put_u64(f, 0x1000);
		put_bytes(f, data, bad[i]);
		frame_done(f);
		expect_fail_b(what, f, bad[i] == 0 ? VMDBG_E_INVAL : VMDBG_E_PROTO);
		g_byte_array_unref(f);
		g_free(what);
	}
	/* WRITE_MEM with a huge len and a short payload */
	for (unsigned i = 1; i < G_N_ELEMENTS(bad); i++) {
		GByteArray *f = frame_new(VMDBG_WRITE_MEM, 0xb10 + i);
		put_u32(f, 0);
		put_u32(f, bad[i]);
		put_u64(f, 0x1000);
		put_bytes(f, data, 16);
		frame_done(f);
		expect_fail2("WRITE_MEM huge len", f->data, f->len, VMDBG_E_INVAL,
			     VMDBG_E_PROTO, NULL);
		g_byte_array_unref(f);
	}

	/* a READ_MEM reply carrying more than one transfer's worth */
	GByteArray *f = frame_new(VMDBG_READ_MEM | VMDBG_REPLY, 0xc00);
	put_u64(f, 0x1000);
	put_u32(f, VMDBG_MAX_MEM_XFER + 1);
	put_u32(f, 0);
	put_bytes(f, data, VMDBG_MAX_MEM_XFER + 1);
	frame_done(f);
	expect_fail_b("READ_MEM reply len 65537", f, VMDBG_E_PROTO);
	g_byte_array_unref(f);

	g_free(data);
}

static void test_gdbg_invalid(void)
{
	static const uint32_t bad_ctl[] = { 4, 5, 7, 8, 0x100, 0x80000000u, 0x80000003u,
					    0xffffffffu };
	static const uint32_t bad_arch[] = { 0, 3, 4, 0x20, 0x60, 0xff, 0xffffffffu };

	for (unsigned i = 0; i < G_N_ELEMENTS(bad_ctl); i++) {
		char *what = g_strdup_printf("SET_GUEST_DEBUG x86 control 0x%x", bad_ctl[i]);
		uint8_t p[sizeof v_gdbg_x86];
		memcpy(p, v_gdbg_x86, sizeof p);
		wr32(p + 16, bad_ctl[i]);
		expect_fail_hdr(what, p, sizeof p, VMDBG_E_INVAL, 0x07, 10);
		g_free(what);

		GByteArray *a = build_gdbg_arm64(bad_ctl[i], VMDBG_ARCH_AARCH64);
		expect_fail_b("SET_GUEST_DEBUG arm64 bad control", a, VMDBG_E_INVAL);
		g_byte_array_unref(a);
	}
	for (unsigned i = 0; i < G_N_ELEMENTS(bad_arch); i++) {
		char *what = g_strdup_printf("SET_GUEST_DEBUG arch 0x%x", bad_arch[i]);
		/* with an x86-sized and with an arm64-sized register block */
		uint8_t p[sizeof v_gdbg_x86];
		memcpy(p, v_gdbg_x86, sizeof p);
		wr32(p + 20, bad_arch[i]);
		expect_fail_hdr(what, p, sizeof p, VMDBG_E_INVAL, 0x07, 10);
		GByteArray *a = build_gdbg_arm64(3, bad_arch[i]);
		expect_fail_b(what, a, VMDBG_E_INVAL);
		g_byte_array_unref(a);
		/* and with no register block */
		GByteArray *e = frame_new(VMDBG_SET_GUEST_DEBUG, 0x33);
		put_u32(e, 1);
		put_u32(e, bad_arch[i]);
		frame_done(e);
		expect_fail_b(what, e, VMDBG_E_INVAL);
		g_byte_array_unref(e);
		g_free(what);
	}
	/* register block of the other architecture's size */
	GByteArray *a = build_gdbg_arm64(3, VMDBG_ARCH_X86_64);
	expect_fail_b("x86 arch, arm64 block", a, VMDBG_E_PROTO);
	g_byte_array_unref(a);
	GByteArray *x = g_byte_array_new();
	put_bytes(x, v_gdbg_x86, sizeof v_gdbg_x86);
	wr32(x->data + 20, VMDBG_ARCH_AARCH64);
	expect_fail_b("arm64 arch, x86 block", x, VMDBG_E_PROTO);
	g_byte_array_unref(x);
}

static void test_resume_invalid(void)
{
	static const uint32_t bad[] = { 3, 4, 0x100, 0xffffffffu };

	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *what = g_strdup_printf("RESUME entry action %u", bad[i]);
		uint8_t p[sizeof v_resume];
		/* 3 (RANGE_STEP) is an entry's action, but then its range is missing */
		int code = bad[i] == VMDBG_ACT_RANGE_STEP ? VMDBG_E_PROTO : VMDBG_E_INVAL;
		memcpy(p, v_resume, sizeof p);
		wr32(p + 36, bad[i]); /* second entry's action */
		expect_fail_hdr(what, p, sizeof p, code, 0x0b, 14);
		memcpy(p, v_resume, sizeof p);
		wr32(p + 28, bad[i]); /* first entry's action */
		expect_fail_hdr(what, p, sizeof p, code, 0x0b, 14);
		g_free(what);

		/* RANGE_STEP is never a default: it needs a range */
		what = g_strdup_printf("RESUME default action %u", bad[i]);
		memcpy(p, v_resume, sizeof p);
		wr32(p + 16, bad[i]);
		expect_fail_hdr(what, p, sizeof p, VMDBG_E_INVAL, 0x0b, 14);
		GByteArray *f = frame_new(VMDBG_RESUME, 0x99);
		put_u32(f, bad[i]);
		put_u32(f, 0);
		frame_done(f);
		expect_fail_b(what, f, VMDBG_E_INVAL);
		g_byte_array_unref(f);
		g_free(what);
	}
	/* huge count, short payload */
	static const uint32_t huge[] = { 0x10000000, 0x20000000, 0xffffffffu };
	for (unsigned i = 0; i < G_N_ELEMENTS(huge); i++) {
		uint8_t p[sizeof v_resume];
		memcpy(p, v_resume, sizeof p);
		wr32(p + 20, huge[i]);
		expect_fail2("RESUME huge count", p, sizeof p, VMDBG_E_PROTO, VMDBG_E_INVAL,
			     NULL);
	}
}

static void test_stopped_invalid(void)
{
	static const uint32_t bad[] = { 0, 9, 10, 0x100, 0xffffffffu };

	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *what = g_strdup_printf("STOPPED reason %u", bad[i]);
		uint8_t p[sizeof v_stopped];
		memcpy(p, v_stopped, sizeof p);
		wr32(p + 20, bad[i]);
		expect_fail_hdr(what, p, sizeof p, VMDBG_E_INVAL, 0x40, 0);
		g_free(what);
	}
}

static void test_error_invalid(void)
{
	/* text longer than 1024 bytes */
	static const uint32_t over[] = { VMDBG_MAX_ERROR_TEXT + 1, 2000 };
	for (unsigned i = 0; i < G_N_ELEMENTS(over); i++) {
		GByteArray *f = frame_new(VMDBG_ERROR, 0xe00 + i);
		put_u32(f, VMDBG_E_HOST);
		put_u32(f, over[i]);
		for (uint32_t j = 0; j < over[i]; j++)
			put_bytes(f, "e", 1);
		frame_done(f);
		/* §2 gives the limit but no code: a bad length or a malformed frame */
		expect_fail2("ERROR text > 1024", f->data, f->len, VMDBG_E_INVAL,
			     VMDBG_E_PROTO, NULL);
		g_byte_array_unref(f);
	}
	/* exactly 1024 is fine */
	GByteArray *f = frame_new(VMDBG_ERROR, 0xe10);
	put_u32(f, VMDBG_E_HOST);
	put_u32(f, VMDBG_MAX_ERROR_TEXT);
	for (uint32_t j = 0; j < VMDBG_MAX_ERROR_TEXT; j++)
		put_bytes(f, "e", 1);
	frame_done(f);
	struct vmdbg_msg m;
	decode_ok("ERROR text 1024", f->data, f->len, &m);
	g_assert_cmpuint(m.u.error.len, ==, VMDBG_MAX_ERROR_TEXT);
	g_byte_array_unref(f);

	/* huge len, short payload */
	static const uint32_t huge[] = { 0x10000, 0x80000000u, 0xffffffffu };
	for (unsigned i = 0; i < G_N_ELEMENTS(huge); i++) {
		f = frame_new(VMDBG_ERROR, 0xe20 + i);
		put_u32(f, 1);
		put_u32(f, huge[i]);
		put_bytes(f, "oops", 4);
		frame_done(f);
		expect_fail2("ERROR huge len", f->data, f->len, VMDBG_E_INVAL, VMDBG_E_PROTO,
			     NULL);
		g_byte_array_unref(f);
	}

	/* not UTF-8, or holding a NUL ("UTF-8, no NUL") */
	static const struct {
		const char *s;
		uint32_t n;
	} bad[] = {
		{ "\xff", 1 },
		{ "\xfe\xff", 2 },
		{ "abc\x80", 4 },
		{ "ab\xc3", 3 },                  /* truncated sequence */
		{ "\xc3(", 2 },
		{ "\xc0\x80", 2 },                /* overlong NUL */
		{ "\xc1\xbf", 2 },                /* overlong */
		{ "\xe0\x80\xaf", 3 },            /* overlong */
		{ "\xed\xa0\x80", 3 },            /* UTF-16 surrogate */
		{ "\xf4\x90\x80\x80", 4 },        /* above U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", 5 },    /* 5-byte form */
		{ "a\0b", 3 },
		{ "\0", 1 },
		{ "text\0", 5 },
	};
	for (unsigned i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *what = g_strdup_printf("ERROR bad text #%u", i);
		f = frame_new(VMDBG_ERROR, 0xe30 + i);
		put_u32(f, VMDBG_E_PROTO);
		put_u32(f, bad[i].n);
		put_bytes(f, bad[i].s, bad[i].n);
		frame_done(f);
		/* the spec names no code for this: malformed frame or bad argument */
		struct vmdbg_msg mm;
		expect_fail2(what, f->data, f->len, VMDBG_E_PROTO, VMDBG_E_INVAL, &mm);
		CHECK(mm.seq == 0xe30 + i && mm.type == VMDBG_ERROR, "%s: header lost", what);
		g_byte_array_unref(f);
		g_free(what);
	}
}

/* Garbage and short buffers never crash and always fail cleanly. */
static void test_decode_short_buffers(void)
{
	for (size_t n = 0; n < HDR; n++) {
		uint8_t *p = g_malloc(n ? n : 1);
		memcpy(p, v_pause, n);
		expect_fail("short buffer", p, n, VMDBG_E_PROTO);
		g_free(p);
	}
}

static void test_names(void)
{
	for (unsigned t = 0; t <= 0xff; t++) {
		const char *n = vmdbg_type_name((uint8_t)t);
		CHECK(n != NULL && n[0] != '\0', "type name of 0x%02x", t);
	}
	for (uint32_t c = 0; c <= 12; c++) {
		const char *n = vmdbg_err_name(c);
		CHECK(n != NULL && n[0] != '\0', "error name of %u", c);
	}
	g_assert_nonnull(vmdbg_err_name(0xffffffffu));
	/* the named ones differ from each other */
	g_assert_cmpstr(vmdbg_type_name(VMDBG_HELLO), !=, vmdbg_type_name(VMDBG_DETACH));
	g_assert_cmpstr(vmdbg_err_name(VMDBG_E_PROTO), !=, vmdbg_err_name(VMDBG_E_HOST));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* A failed check fails its test and the run goes on to the next. */
	g_test_set_nonfatal_assertions();

	g_test_add_func("/vmdbg/codec/hello/request", test_hello_request);
	g_test_add_func("/vmdbg/codec/hello/reply", test_hello_reply);
	g_test_add_func("/vmdbg/codec/reg-list/request", test_reg_list_request);
	g_test_add_func("/vmdbg/codec/reg-list/reply", test_reg_list_reply);
	g_test_add_func("/vmdbg/codec/get-regs/request", test_get_regs_request);
	g_test_add_func("/vmdbg/codec/get-regs/reply", test_get_regs_reply);
	g_test_add_func("/vmdbg/codec/set-regs/request", test_set_regs_request);
	g_test_add_func("/vmdbg/codec/read-mem", test_read_mem);
	g_test_add_func("/vmdbg/codec/write-mem", test_write_mem);
	g_test_add_func("/vmdbg/codec/set-guest-debug/x86", test_set_guest_debug_x86);
	g_test_add_func("/vmdbg/codec/set-guest-debug/arm64", test_set_guest_debug_arm64);
	g_test_add_func("/vmdbg/codec/sw-bp", test_sw_bp);
	g_test_add_func("/vmdbg/codec/empty", test_empty_messages);
	g_test_add_func("/vmdbg/codec/resume", test_resume);
	g_test_add_func("/vmdbg/codec/resume/entries", test_resume_entries);
	g_test_add_func("/vmdbg/codec/resume/range", test_resume_range);
	g_test_add_func("/vmdbg/codec/point-cond", test_point_cond);
	g_test_add_func("/vmdbg/codec/stopped", test_stopped);
	g_test_add_func("/vmdbg/codec/error", test_error);
	g_test_add_func("/vmdbg/codec/error/truncation", test_error_truncation);
	g_test_add_func("/vmdbg/codec/reg-id/bytes", test_reg_bytes);
	g_test_add_func("/vmdbg/codec/reg-id/valid", test_reg_id_valid);
	g_test_add_func("/vmdbg/codec/regvals/mixed", test_regvals_mixed);
	g_test_add_func("/vmdbg/codec/frame/peek-bad-len", test_peek_bad_len);
	g_test_add_func("/vmdbg/codec/frame/peek-need-more", test_peek_need_more);
	g_test_add_func("/vmdbg/codec/frame/byte-at-a-time", test_peek_byte_at_a_time);
	g_test_add_func("/vmdbg/codec/frame/stream", test_stream_three_frames);
	g_test_add_func("/vmdbg/codec/malformed/truncated", test_truncated);
	g_test_add_func("/vmdbg/codec/malformed/trailing", test_trailing);
	g_test_add_func("/vmdbg/codec/malformed/len-mismatch", test_len_mismatch);
	g_test_add_func("/vmdbg/codec/malformed/short-buffer", test_decode_short_buffers);
	g_test_add_func("/vmdbg/codec/malformed/version", test_bad_version);
	g_test_add_func("/vmdbg/codec/malformed/unknown-type", test_unknown_type);
	g_test_add_func("/vmdbg/codec/malformed/reserved", test_reserved);
	g_test_add_func("/vmdbg/codec/malformed/payload-reserved", test_payload_reserved);
	g_test_add_func("/vmdbg/codec/malformed/reg-ids", test_bad_reg_ids);
	g_test_add_func("/vmdbg/codec/malformed/reg-count", test_reg_count_limit);
	g_test_add_func("/vmdbg/codec/malformed/mem-len", test_mem_len_limits);
	g_test_add_func("/vmdbg/codec/malformed/set-guest-debug", test_gdbg_invalid);
	g_test_add_func("/vmdbg/codec/malformed/resume", test_resume_invalid);
	g_test_add_func("/vmdbg/codec/malformed/stopped", test_stopped_invalid);
	g_test_add_func("/vmdbg/codec/malformed/error", test_error_invalid);
	g_test_add_func("/vmdbg/codec/names", test_names);
	g_test_add_func("/vmdbg/codec/mem_map", test_mem_map);
	g_test_add_func("/vmdbg/codec/watch/insert-remove", test_watch_insert_remove);
	g_test_add_func("/vmdbg/codec/watch/list", test_watch_list);
	g_test_add_func("/vmdbg/codec/watch/stopped", test_stopped_watch);
	g_test_add_func("/vmdbg/codec/malformed/watch", test_watch_invalid);
	g_test_add_func("/vmdbg/codec/malformed/watch-list", test_watch_list_invalid);

	return g_test_run();
}
