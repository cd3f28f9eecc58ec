/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * fuzz-vmdbg-frame.c - libFuzzer target for the vmdbg codec.
 *
 * The input is a byte stream from a peer.  It is split into frames with
 * vmdbg_g_frame_peek() exactly as a receiver would, and each frame is handed
 * to vmdbg_g_decode() in a buffer of its own (odd-aligned and ending exactly
 * at the frame's end, so ASan sees any read past it and UBSan any
 * misaligned access).  For every message that decodes:
 *
 *   - the invariants the spec (proto/vmdbg.md) puts on a valid message must
 *     hold: known type, limits, valid register ids, UTF-8 error text...;
 *   - it is re-encoded with the matching encoder, the new frame must have
 *     the same length, and decoding it must give the same fields, variable
 *     parts compared through the API's iterators.
 *
 * Any violation calls abort().  With VMDBG_FUZZ_CANONICAL=1 in the
 * environment the re-encoded frame must also be byte-identical to the
 * input frame: every field of a valid frame is determined by the message
 * (reserved fields are 0, events carry seq 0), so a difference means the
 * decoder accepted something the spec does not allow.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Iproto \
 *          $(pkg-config --cflags glib-2.0) tests/fuzz/fuzz-vmdbg-frame.c \
 *          proto/vmdbg-codec.c proto/vmdbg-enc.c $(pkg-config --libs glib-2.0)
 * Seeds: tests/fuzz/corpus-vmdbg/ (one valid frame per file).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "vmdbg-glib.h"

#define FUZZ_NAME "fuzz-vmdbg-frame"
#include "fuzz.h"
#include "vmdbg-reencode.h"

static bool canonical;

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static bool is_ok_reply(uint8_t t)
{
	switch (t) {
	case VMDBG_SET_REGS | VMDBG_REPLY:
	case VMDBG_WRITE_MEM | VMDBG_REPLY:
	case VMDBG_SET_GUEST_DEBUG | VMDBG_REPLY:
	case VMDBG_SW_BP_INSERT | VMDBG_REPLY:
	case VMDBG_SW_BP_REMOVE | VMDBG_REPLY:
	case VMDBG_PAUSE | VMDBG_REPLY:
	case VMDBG_RESUME | VMDBG_REPLY:
	case VMDBG_DETACH | VMDBG_REPLY:
	case VMDBG_POINT_COND | VMDBG_REPLY:
	case VMDBG_WATCH_INSERT | VMDBG_REPLY:
	case VMDBG_WATCH_REMOVE | VMDBG_REPLY:
		return true;
	default:
		return false;
	}
}

static bool inside(const uint8_t *p, size_t n, const uint8_t *frame, size_t len)
{
	return p >= frame && n <= len && (size_t)(p - frame) <= len - n;
}

/* ---- what a decoded message must satisfy --------------------------------- */

static void check_reg_ids(const struct vmdbg_reg_ids *r, const uint8_t *frame, size_t len)
{
	REQUIRE(r->count <= VMDBG_MAX_REGS);
	REQUIRE(len == VMDBG_HDR_SIZE + 8 + (size_t)8 * r->count);
	if (r->count)
		REQUIRE(inside(r->ids, (size_t)8 * r->count, frame, len));
	for (uint32_t i = 0; i < r->count; i++)
		REQUIRE(vmdbg_reg_id_valid(vmdbg_reg_ids_get(r, i)));
}

static void check_reg_vals(const struct vmdbg_reg_vals *v, const uint8_t *frame, size_t len)
{
	size_t off = 0, total = VMDBG_HDR_SIZE + 8;
	uint64_t id;
	const uint8_t *val;
	uint32_t size, n = 0;

	REQUIRE(v->count <= VMDBG_MAX_REGS);
	while (vmdbg_regvals_next(v, &off, &id, &val, &size)) {
		REQUIRE(n < v->count);
		REQUIRE(vmdbg_reg_id_valid(id));
		REQUIRE(size == vmdbg_reg_bytes(id));
		REQUIRE(inside(val, size, frame, len));
		total += 8 + (size_t)size;
		n++;
	}
	REQUIRE(n == v->count);
	REQUIRE(!vmdbg_regvals_next(v, &off, &id, &val, &size));
	REQUIRE(total == len);
}

/* A watch as WATCH_INSERT allows it: gdb's Z2-Z4, 1..64 KiB, not wrapping. */
static void check_watch(uint32_t kind, uint64_t addr, uint64_t wlen)
{
	REQUIRE(kind >= VMDBG_WATCH_WRITE && kind <= VMDBG_WATCH_ACCESS);
	REQUIRE(wlen >= 1 && wlen <= VMDBG_MAX_WATCH_LEN);
	REQUIRE(addr + (wlen - 1) >= addr);
}

static void check_watch_list(const struct vmdbg_watch_list *l, const uint8_t *frame, size_t len)
{
	struct vmdbg_watch_info w;
	size_t off = 0, total = VMDBG_HDR_SIZE + 8;
	uint32_t n = 0;

	REQUIRE(l->count <= VMDBG_MAX_WATCHES);
	if (l->len)
		REQUIRE(inside(l->data, l->len, frame, len));
	while (vmdbg_watch_list_next(l, &off, &w)) {
		REQUIRE(n < l->count);
		check_watch(w.kind, w.addr, w.len);
		REQUIRE(w.npages >= 1 && w.npages <= VMDBG_WATCH_MAX_PAGES);
		total += 40 + (size_t)8 * w.npages;
		REQUIRE(off == total - VMDBG_HDR_SIZE - 8);
		n++;
	}
	REQUIRE(n == l->count);
	REQUIRE(off == l->len);
	REQUIRE(total == len);
}

static void check_msg(const struct vmdbg_msg *m, const uint8_t *frame, size_t len)
{
	REQUIRE(len >= VMDBG_HDR_SIZE && len <= VMDBG_MAX_FRAME);
	REQUIRE(rd32(frame) == len);
	REQUIRE(frame[6] == m->type && frame[7] == 0);
	REQUIRE(rd32(frame + 8) == m->seq);

	switch (m->type) {
	case VMDBG_HELLO:
		REQUIRE(len == VMDBG_HDR_SIZE + 8);
		break;
	case VMDBG_HELLO | VMDBG_REPLY:
		REQUIRE(len == VMDBG_HDR_SIZE + 32);
		break;
	case VMDBG_REG_LIST:
		REQUIRE(len == VMDBG_HDR_SIZE + 4);
		break;
	case VMDBG_REG_LIST | VMDBG_REPLY:
	case VMDBG_GET_REGS:
		check_reg_ids(&m->u.reg_ids, frame, len);
		break;
	case VMDBG_GET_REGS | VMDBG_REPLY:
	case VMDBG_SET_REGS:
		check_reg_vals(&m->u.reg_vals, frame, len);
		break;
	case VMDBG_READ_MEM:
		REQUIRE(len == VMDBG_HDR_SIZE + 16);
		REQUIRE(m->u.mem.len >= 1 && m->u.mem.len <= VMDBG_MAX_MEM_XFER);
		break;
	case VMDBG_WRITE_MEM:
		REQUIRE(m->u.mem.len >= 1 && m->u.mem.len <= VMDBG_MAX_MEM_XFER);
		/* fall through */
	case VMDBG_READ_MEM | VMDBG_REPLY:
		REQUIRE(m->u.mem.len <= VMDBG_MAX_MEM_XFER);
		REQUIRE(len == VMDBG_HDR_SIZE + 16 + (size_t)m->u.mem.len);
		if (m->u.mem.len)
			REQUIRE(inside(m->u.mem.data, m->u.mem.len, frame, len));
		break;
	case VMDBG_SET_GUEST_DEBUG:
		REQUIRE((m->u.gdbg.control & ~VMDBG_GDBG_VALID) == 0);
		REQUIRE(m->u.gdbg.arch == VMDBG_ARCH_X86_64 ||
			m->u.gdbg.arch == VMDBG_ARCH_AARCH64);
		REQUIRE(len == VMDBG_HDR_SIZE + 8 +
			(m->u.gdbg.arch == VMDBG_ARCH_X86_64 ?
			 sizeof(struct vmdbg_x86_debugregs) :
			 sizeof(struct vmdbg_arm64_debugregs)));
		break;
	case VMDBG_SW_BP_INSERT:
	case VMDBG_SW_BP_REMOVE:
		REQUIRE(len == VMDBG_HDR_SIZE + 16);
		break;
	case VMDBG_RESUME: {
		REQUIRE(m->u.resume.default_action <= VMDBG_ACT_STEP);
		uint32_t ranged = 0;
		for (uint32_t i = 0; i < m->u.resume.count; i++) {
			struct vmdbg_resume_entry e = vmdbg_resume_get(&m->u.resume, i);
			REQUIRE(e.action <= VMDBG_ACT_RANGE_STEP);
			if (e.action == VMDBG_ACT_RANGE_STEP) {
				REQUIRE(e.start < e.end);
				ranged++;
			}
		}
		REQUIRE(ranged == m->u.resume.nranges);
		REQUIRE(len == VMDBG_HDR_SIZE + 8 + (size_t)8 * m->u.resume.count +
			(size_t)16 * ranged);
		break;
	}
	case VMDBG_POINT_COND: {
		const struct vmdbg_point_cond *c = &m->u.cond;
		REQUIRE(c->nregs <= VMDBG_MAX_COND_REGS && c->nconds <= VMDBG_MAX_CONDS &&
			c->ncmds <= VMDBG_MAX_CONDS);
		size_t total = VMDBG_HDR_SIZE + 24 + (size_t)16 * c->nregs, off = 0;
		const uint8_t *code;
		uint32_t clen, index, n = 0;
		while (vmdbg_cond_next(c, &off, &code, &clen, &index)) {
			REQUIRE(index == n);
			REQUIRE(clen >= 1 && clen <= VMDBG_MAX_COND_LEN);
			REQUIRE(inside(code, clen, frame, len));
			total += 4 + clen;
			n++;
		}
		REQUIRE(n == c->nconds + c->ncmds);
		REQUIRE(len == total);
		break;
	}
	case VMDBG_EV_OUTPUT:
		REQUIRE(len == VMDBG_HDR_SIZE + 8 + (size_t)m->u.output.len);
		if (m->u.output.len)
			REQUIRE(inside((const uint8_t *)m->u.output.text, m->u.output.len, frame, len));
		break;
	case VMDBG_EV_STOPPED:
		REQUIRE(len == VMDBG_HDR_SIZE + 40);
		REQUIRE(m->u.stopped.reason >= VMDBG_STOP_DEBUG &&
			m->u.stopped.reason <= VMDBG_STOP_REASON_MAX);
		break;
	case VMDBG_ERROR:
		REQUIRE(m->u.error.len <= VMDBG_MAX_ERROR_TEXT);
		REQUIRE(len == VMDBG_HDR_SIZE + 8 + (size_t)m->u.error.len);
		if (m->u.error.len) {
			REQUIRE(inside((const uint8_t *)m->u.error.text, m->u.error.len,
				       frame, len));
			REQUIRE(memchr(m->u.error.text, 0, m->u.error.len) == NULL);
			REQUIRE(g_utf8_validate(m->u.error.text, m->u.error.len, NULL));
		}
		break;
	case VMDBG_PAUSE:
	case VMDBG_DETACH:
	case VMDBG_MEM_MAP:
	case VMDBG_WATCH_LIST:
		REQUIRE(len == VMDBG_HDR_SIZE);
		break;
	case VMDBG_WATCH_INSERT:
	case VMDBG_WATCH_REMOVE:
		REQUIRE(len == VMDBG_HDR_SIZE + 24);
		check_watch(m->u.watch.kind, m->u.watch.addr, m->u.watch.len);
		break;
	case VMDBG_WATCH_LIST | VMDBG_REPLY:
		check_watch_list(&m->u.watch_list, frame, len);
		break;
	case VMDBG_MEM_MAP | VMDBG_REPLY: {
		const struct vmdbg_mem_map *mm = &m->u.mem_map;
		REQUIRE(mm->translation == VMDBG_XLATE_IDENTITY || mm->translation == VMDBG_XLATE_X86);
		REQUIRE(mm->nregions <= VMDBG_MAX_MEM_REGIONS);
		REQUIRE(len == VMDBG_HDR_SIZE + 24 + (size_t)24 * mm->nregions);
		if (mm->nregions)
			REQUIRE(inside(mm->regions, (size_t)24 * mm->nregions, frame, len));
		for (uint32_t i = 0; i < mm->nregions; i++) {
			struct vmdbg_mem_region r = vmdbg_mem_region_get(mm, i);
			REQUIRE(r.size > 0 && r.gpa + r.size > r.gpa && r.offset + r.size > r.offset);
		}
		break;
	}
	default:
		if (!is_ok_reply(m->type))
			FAIL("decoded a message of unknown type 0x%02x", m->type);
		REQUIRE(len == VMDBG_HDR_SIZE);
		break;
	}
}

/* ---- field comparison ---------------------------------------------------- */

#define SAME(field) \
	do { if (a->field != b->field) FAIL("type 0x%02x: %s differs", a->type, #field); } while (0)

static void same_msg(const struct vmdbg_msg *a, const struct vmdbg_msg *b)
{
	SAME(type);
	if (a->type != VMDBG_EV_STOPPED && a->type != VMDBG_EV_OUTPUT) /* events send seq 0 */
		SAME(seq);

	switch (a->type) {
	case VMDBG_HELLO:
		SAME(u.hello.version);
		SAME(u.hello.features);
		break;
	case VMDBG_HELLO | VMDBG_REPLY:
		SAME(u.hello.version);
		SAME(u.hello.arch);
		SAME(u.hello.nr_vcpus);
		SAME(u.hello.hw_bps);
		SAME(u.hello.hw_wps);
		SAME(u.hello.features);
		SAME(u.hello.max_frame);
		break;
	case VMDBG_REG_LIST:
		SAME(u.vcpu);
		break;
	case VMDBG_REG_LIST | VMDBG_REPLY:
	case VMDBG_GET_REGS:
		SAME(u.reg_ids.vcpu);
		SAME(u.reg_ids.count);
		for (uint32_t i = 0; i < a->u.reg_ids.count; i++)
			if (vmdbg_reg_ids_get(&a->u.reg_ids, i) !=
			    vmdbg_reg_ids_get(&b->u.reg_ids, i))
				FAIL("type 0x%02x: id %u differs", a->type, i);
		break;
	case VMDBG_GET_REGS | VMDBG_REPLY:
	case VMDBG_SET_REGS: {
		SAME(u.reg_vals.vcpu);
		SAME(u.reg_vals.count);
		size_t oa = 0, ob = 0;
		uint64_t ia, ib;
		const uint8_t *va, *vb;
		uint32_t sa, sb;
		for (;;) {
			bool ma = vmdbg_regvals_next(&a->u.reg_vals, &oa, &ia, &va, &sa);
			bool mb = vmdbg_regvals_next(&b->u.reg_vals, &ob, &ib, &vb, &sb);
			if (ma != mb)
				FAIL("type 0x%02x: value lists differ in length", a->type);
			if (!ma)
				break;
			if (ia != ib || sa != sb || memcmp(va, vb, sa) != 0)
				FAIL("type 0x%02x: register 0x%016" G_GINT64_MODIFIER "x differs",
				     a->type, ia);
		}
		break;
	}
	case VMDBG_READ_MEM:
	case VMDBG_WRITE_MEM:
	case VMDBG_READ_MEM | VMDBG_REPLY:
		if (a->type != (VMDBG_READ_MEM | VMDBG_REPLY))
			SAME(u.mem.vcpu);
		SAME(u.mem.len);
		SAME(u.mem.addr);
		if (a->type != VMDBG_READ_MEM && a->u.mem.len &&
		    memcmp(a->u.mem.data, b->u.mem.data, a->u.mem.len) != 0)
			FAIL("type 0x%02x: data differs", a->type);
		break;
	case VMDBG_SET_GUEST_DEBUG:
		SAME(u.gdbg.control);
		SAME(u.gdbg.arch);
		if (a->u.gdbg.arch == VMDBG_ARCH_X86_64 ?
		    memcmp(&a->u.gdbg.regs.x86, &b->u.gdbg.regs.x86,
			   sizeof a->u.gdbg.regs.x86) != 0 :
		    memcmp(&a->u.gdbg.regs.arm64, &b->u.gdbg.regs.arm64,
			   sizeof a->u.gdbg.regs.arm64) != 0)
			FAIL("SET_GUEST_DEBUG: registers differ");
		break;
	case VMDBG_SW_BP_INSERT:
	case VMDBG_SW_BP_REMOVE:
		SAME(u.sw_bp.vcpu);
		SAME(u.sw_bp.kind);
		SAME(u.sw_bp.addr);
		break;
	case VMDBG_WATCH_INSERT:
	case VMDBG_WATCH_REMOVE:
		SAME(u.watch.vcpu);
		SAME(u.watch.kind);
		SAME(u.watch.addr);
		SAME(u.watch.len);
		break;
	case VMDBG_WATCH_LIST | VMDBG_REPLY: {
		SAME(u.watch_list.count);
		SAME(u.watch_list.len);
		size_t oa = 0, ob = 0;
		struct vmdbg_watch_info wa, wb;
		for (uint32_t i = 0;; i++) {
			bool ma = vmdbg_watch_list_next(&a->u.watch_list, &oa, &wa);
			bool mb = vmdbg_watch_list_next(&b->u.watch_list, &ob, &wb);
			if (ma != mb)
				FAIL("WATCH_LIST reply: record lists differ in length");
			if (!ma)
				break;
			if (wa.addr != wb.addr || wa.len != wb.len || wa.kind != wb.kind ||
			    wa.npages != wb.npages || wa.hits != wb.hits || wa.silent != wb.silent ||
			    memcmp(wa.pages, wb.pages, sizeof(wa.pages[0]) * wa.npages) != 0)
				FAIL("WATCH_LIST reply: record %u differs", i);
		}
		break;
	}
	case VMDBG_RESUME:
		SAME(u.resume.default_action);
		SAME(u.resume.count);
		for (uint32_t i = 0; i < a->u.resume.count; i++) {
			struct vmdbg_resume_entry ea = vmdbg_resume_get(&a->u.resume, i);
			struct vmdbg_resume_entry eb = vmdbg_resume_get(&b->u.resume, i);
			if (ea.vcpu != eb.vcpu || ea.action != eb.action || ea.start != eb.start ||
			    ea.end != eb.end)
				FAIL("RESUME: entry %u differs", i);
		}
		break;
	case VMDBG_POINT_COND: {
		SAME(u.cond.addr);
		SAME(u.cond.nregs);
		SAME(u.cond.nconds);
		SAME(u.cond.ncmds);
		for (uint32_t i = 0; i < a->u.cond.nregs; i++) {
			struct vmdbg_cond_reg ra = vmdbg_cond_reg_get(&a->u.cond, i);
			struct vmdbg_cond_reg rb = vmdbg_cond_reg_get(&b->u.cond, i);
			if (ra.id != rb.id || ra.regnum != rb.regnum)
				FAIL("POINT_COND: register %u differs", i);
		}
		size_t oa = 0, ob = 0;
		const uint8_t *ca, *cb;
		uint32_t la, lb, ia, ib;
		while (vmdbg_cond_next(&a->u.cond, &oa, &ca, &la, &ia)) {
			if (!vmdbg_cond_next(&b->u.cond, &ob, &cb, &lb, &ib) || la != lb || ia != ib ||
			    memcmp(ca, cb, la) != 0)
				FAIL("POINT_COND: expression %u differs", ia);
		}
		break;
	}
	case VMDBG_EV_OUTPUT:
		SAME(u.output.vcpu);
		SAME(u.output.len);
		if (a->u.output.len && memcmp(a->u.output.text, b->u.output.text, a->u.output.len))
			FAIL("OUTPUT: text differs");
		break;
	case VMDBG_EV_STOPPED:
		SAME(u.stopped.vcpu);
		SAME(u.stopped.reason);
		SAME(u.stopped.pc);
		SAME(u.stopped.info[0]);
		SAME(u.stopped.info[1]);
		SAME(u.stopped.info[2]);
		break;
	case VMDBG_ERROR:
		SAME(u.error.code);
		SAME(u.error.len);
		if (a->u.error.len &&
		    memcmp(a->u.error.text, b->u.error.text, a->u.error.len) != 0)
			FAIL("ERROR: text differs");
		break;
	default:
		break;
	}
}

static void round_trip(const struct vmdbg_msg *m, const uint8_t *frame, size_t len)
{
	GByteArray *out = g_byte_array_new();
	GError *err = NULL;
	size_t flen = 0;
	struct vmdbg_msg m2;

	REQUIRE(vmdbg_reencode(m, out));
	if (out->len != len)
		FAIL("type 0x%02x: re-encoded to %u bytes, input frame had %zu", m->type,
		     out->len, len);
	if (vmdbg_g_frame_peek(out->data, out->len, &flen, &err) != VMDBG_FRAME_OK ||
	    flen != out->len)
		FAIL("type 0x%02x: re-encoded frame not whole: %s", m->type,
		     err ? err->message : "");
	if (!vmdbg_g_decode(out->data, out->len, &m2, &err))
		FAIL("type 0x%02x: re-encoded frame does not decode: %s", m->type,
		     err ? err->message : "(no GError)");
	REQUIRE(err == NULL);
	check_msg(&m2, out->data, out->len);
	same_msg(m, &m2);

	if (canonical && memcmp(out->data, frame, len) != 0) {
		size_t i = 0;
		while (out->data[i] == frame[i])
			i++;
		FAIL("type 0x%02x: re-encoded frame differs from the input at byte %zu "
		     "(0x%02x, input 0x%02x)", m->type, i, out->data[i], frame[i]);
	}
	g_byte_array_unref(out);
}

static void check_error(GError *err, const char *what)
{
	if (err == NULL)
		FAIL("%s failed without a GError", what);
	if (err->domain != VMDBG_CODEC_ERROR)
		FAIL("%s: GError domain %s", what, g_quark_to_string(err->domain));
	if (err->code < VMDBG_E_PROTO || err->code > VMDBG_E_HOST)
		FAIL("%s: GError code %d is no vmdbg_err", what, err->code);
	if (err->message == NULL || err->message[0] == '\0')
		FAIL("%s: GError without message", what);
}

/* Decode one frame from a private copy that ends exactly where it ends. */
static void one_frame(const uint8_t *src, size_t len)
{
	uint8_t *buf = g_malloc(len + 1);
	uint8_t *frame = buf + 1; /* odd address */
	struct vmdbg_msg m;
	GError *err = NULL;

	memcpy(frame, src, len);
	if (vmdbg_g_decode(frame, len, &m, &err)) {
		REQUIRE(err == NULL);
		check_msg(&m, frame, len);
		round_trip(&m, frame, len);
	} else {
		check_error(err, "vmdbg_decode");
		g_error_free(err);
	}
	g_free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	size_t pos = 0;

	if (!init) {
		const char *c = getenv("VMDBG_FUZZ_CANONICAL");
		canonical = c && c[0] == '1';
		init = true;
	}

	/* The whole input as one frame, whatever its len field says. */
	{
		struct vmdbg_msg m;
		GError *err = NULL;
		if (vmdbg_g_decode(data, size, &m, &err)) {
			REQUIRE(err == NULL);
			REQUIRE(size >= 4 && rd32(data) == size);
		} else {
			check_error(err, "vmdbg_g_decode(whole input)");
			g_error_free(err);
		}
	}

	/* The input as a stream of frames. */
	while (pos < size) {
		size_t flen = 0;
		GError *err = NULL;
		enum vmdbg_frame_status st = vmdbg_g_frame_peek(data + pos, size - pos, &flen, &err);

		if (st == VMDBG_FRAME_NEED_MORE) {
			REQUIRE(err == NULL);
			if (size - pos >= 4) {
				uint32_t l = rd32(data + pos);
				REQUIRE(l >= VMDBG_HDR_SIZE && l <= VMDBG_MAX_FRAME && l > size - pos);
			}
			break;
		}
		if (st == VMDBG_FRAME_BAD) {
			check_error(err, "vmdbg_frame_peek");
			REQUIRE(err->code == VMDBG_E_PROTO);
			g_error_free(err);
			REQUIRE(size - pos >= 4);
			uint32_t l = rd32(data + pos);
			REQUIRE(l < VMDBG_HDR_SIZE || l > VMDBG_MAX_FRAME);
			break; /* the stream is lost */
		}
		REQUIRE(st == VMDBG_FRAME_OK && err == NULL);
		REQUIRE(flen == rd32(data + pos));
		REQUIRE(flen >= VMDBG_HDR_SIZE && flen <= VMDBG_MAX_FRAME && flen <= size - pos);
		one_frame(data + pos, flen);
		pos += flen;
	}
	return 0;
}
