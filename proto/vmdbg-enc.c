/* SPDX-License-Identifier: MIT */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-enc.c - the encoders of vmdbg frames (vmdbg-codec.h): each
 * appends one whole frame, header and payload as proto/vmdbg.md lays them
 * out, little-endian.
 */
#include "vmdbg-codec.h"

#include <string.h>

/* ---- little-endian primitives ------------------------------------------- */

static void put_le16(GByteArray *out, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	g_byte_array_append(out, b, sizeof(b));
}

static void put_le32(GByteArray *out, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	g_byte_array_append(out, b, sizeof(b));
}

static void put_le64(GByteArray *out, uint64_t v)
{
	put_le32(out, (uint32_t)v);
	put_le32(out, (uint32_t)(v >> 32));
}

/* ---- encoding ------------------------------------------------------------- */

static guint frame_begin(GByteArray *out, uint8_t type, uint32_t seq)
{
	guint start = out->len;
	put_le32(out, 0); /* patched by frame_end */
	put_le16(out, VMDBG_VERSION);
	put_le16(out, type);
	put_le32(out, seq);
	put_le32(out, 0);
	return start;
}

static void frame_end(GByteArray *out, guint start)
{
	uint32_t len = out->len - start;
	g_assert(len <= VMDBG_MAX_FRAME);
	uint8_t *p = out->data + start;
	p[0] = (uint8_t)len;
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)(len >> 16);
	p[3] = (uint8_t)(len >> 24);
}

void vmdbg_enc_empty(GByteArray *out, uint8_t type, uint32_t seq)
{
	frame_end(out, frame_begin(out, type, seq));
}

void vmdbg_enc_hello_request(GByteArray *out, uint32_t seq, uint32_t version, uint32_t features)
{
	guint s = frame_begin(out, VMDBG_HELLO, seq);
	put_le32(out, version);
	put_le32(out, features);
	frame_end(out, s);
}

void vmdbg_enc_hello_reply(GByteArray *out, uint32_t seq, const struct vmdbg_hello *h)
{
	guint s = frame_begin(out, VMDBG_HELLO | VMDBG_REPLY, seq);
	put_le32(out, h->version);
	put_le32(out, h->arch);
	put_le32(out, h->nr_vcpus);
	put_le32(out, h->hw_bps);
	put_le32(out, h->hw_wps);
	put_le32(out, h->features);
	put_le32(out, h->max_frame);
	put_le32(out, 0);
	frame_end(out, s);
}

void vmdbg_enc_reg_list_request(GByteArray *out, uint32_t seq, uint32_t vcpu)
{
	guint s = frame_begin(out, VMDBG_REG_LIST, seq);
	put_le32(out, vcpu);
	frame_end(out, s);
}

void vmdbg_enc_reg_ids(GByteArray *out, uint8_t type, uint32_t seq, uint32_t vcpu,
		       const uint64_t *ids, uint32_t count)
{
	guint s = frame_begin(out, type, seq);
	put_le32(out, vcpu);
	put_le32(out, count);
	for (uint32_t i = 0; i < count; i++)
		put_le64(out, ids[i]);
	frame_end(out, s);
}

void vmdbg_enc_reg_vals(GByteArray *out, uint8_t type, uint32_t seq, uint32_t vcpu,
			const uint64_t *ids, uint32_t count, const uint8_t *values)
{
	guint s = frame_begin(out, type, seq);
	put_le32(out, vcpu);
	put_le32(out, count);
	size_t off = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t n = vmdbg_reg_bytes(ids[i]);
		put_le64(out, ids[i]);
		g_byte_array_append(out, values + off, n);
		off += n;
	}
	frame_end(out, s);
}

void vmdbg_enc_read_mem(GByteArray *out, uint32_t seq, uint32_t vcpu, uint64_t addr, uint32_t len)
{
	guint s = frame_begin(out, VMDBG_READ_MEM, seq);
	put_le32(out, vcpu);
	put_le32(out, len);
	put_le64(out, addr);
	frame_end(out, s);
}

void vmdbg_enc_read_mem_reply(GByteArray *out, uint32_t seq, uint64_t addr,
			      const uint8_t *data, uint32_t len)
{
	guint s = frame_begin(out, VMDBG_READ_MEM | VMDBG_REPLY, seq);
	put_le64(out, addr);
	put_le32(out, len);
	put_le32(out, 0);
	g_byte_array_append(out, data, len);
	frame_end(out, s);
}

void vmdbg_enc_write_mem(GByteArray *out, uint32_t seq, uint32_t vcpu, uint64_t addr,
			 const uint8_t *data, uint32_t len)
{
	guint s = frame_begin(out, VMDBG_WRITE_MEM, seq);
	put_le32(out, vcpu);
	put_le32(out, len);
	put_le64(out, addr);
	g_byte_array_append(out, data, len);
	frame_end(out, s);
}

void vmdbg_enc_set_guest_debug(GByteArray *out, uint32_t seq, const struct vmdbg_guest_debug *g)
{
	guint s = frame_begin(out, VMDBG_SET_GUEST_DEBUG, seq);
	put_le32(out, g->control);
	put_le32(out, g->arch);
	if (g->arch == VMDBG_ARCH_AARCH64) {
		const uint64_t *sets[] = { g->regs.arm64.dbg_bcr, g->regs.arm64.dbg_bvr,
					   g->regs.arm64.dbg_wcr, g->regs.arm64.dbg_wvr };
		for (unsigned k = 0; k < G_N_ELEMENTS(sets); k++)
			for (unsigned i = 0; i < VMDBG_MAX_DBG_REGS; i++)
				put_le64(out, sets[k][i]);
	} else {
		for (unsigned i = 0; i < 8; i++)
			put_le64(out, g->regs.x86.debugreg[i]);
	}
	frame_end(out, s);
}

void vmdbg_enc_sw_bp(GByteArray *out, uint8_t type, uint32_t seq, const struct vmdbg_sw_bp *bp)
{
	guint s = frame_begin(out, type, seq);
	put_le32(out, bp->vcpu);
	put_le32(out, bp->kind);
	put_le64(out, bp->addr);
	frame_end(out, s);
}

void vmdbg_enc_resume(GByteArray *out, uint32_t seq, uint32_t default_action,
		      const struct vmdbg_resume_entry *entries, uint32_t count)
{
	guint s = frame_begin(out, VMDBG_RESUME, seq);
	put_le32(out, default_action);
	put_le32(out, count);
	for (uint32_t i = 0; i < count; i++) {
		put_le32(out, entries[i].vcpu);
		put_le32(out, entries[i].action);
	}
	for (uint32_t i = 0; i < count; i++) {
		if (entries[i].action == VMDBG_ACT_RANGE_STEP) {
			put_le64(out, entries[i].start);
			put_le64(out, entries[i].end);
		}
	}
	frame_end(out, s);
}

void vmdbg_enc_point_cond(GByteArray *out, uint32_t seq, uint64_t addr,
			  const struct vmdbg_cond_reg *regs, uint32_t nregs,
			  const uint8_t *const *codes, const uint32_t *lens, uint32_t nconds,
			  uint32_t ncmds)
{
	guint s = frame_begin(out, VMDBG_POINT_COND, seq);
	put_le64(out, addr);
	put_le32(out, nregs);
	put_le32(out, nconds);
	put_le32(out, ncmds);
	put_le32(out, 0);
	for (uint32_t i = 0; i < nregs; i++) {
		put_le64(out, regs[i].id);
		put_le32(out, regs[i].regnum);
		put_le32(out, 0);
	}
	for (uint32_t i = 0; i < nconds + ncmds; i++) {
		put_le32(out, lens[i]);
		g_byte_array_append(out, codes[i], lens[i]);
	}
	frame_end(out, s);
}

void vmdbg_enc_mem_map_reply(GByteArray *out, uint32_t seq, const struct vmdbg_mem_map *m,
			     const struct vmdbg_mem_region *regions)
{
	guint s = frame_begin(out, VMDBG_MEM_MAP | VMDBG_REPLY, seq);
	put_le32(out, m->translation);
	put_le32(out, m->nregions);
	put_le64(out, m->table_offset);
	put_le32(out, m->table_capacity);
	put_le32(out, 0);
	for (uint32_t i = 0; i < m->nregions; i++) {
		put_le64(out, regions[i].gpa);
		put_le64(out, regions[i].size);
		put_le64(out, regions[i].offset);
	}
	frame_end(out, s);
}

void vmdbg_enc_watch(GByteArray *out, uint8_t type, uint32_t seq, const struct vmdbg_watch *w)
{
	guint s = frame_begin(out, type, seq);
	put_le32(out, w->vcpu);
	put_le32(out, w->kind);
	put_le64(out, w->addr);
	put_le64(out, w->len);
	frame_end(out, s);
}

void vmdbg_enc_watch_list_reply(GByteArray *out, uint32_t seq, const struct vmdbg_watch_info *w,
				uint32_t count)
{
	guint s = frame_begin(out, VMDBG_WATCH_LIST | VMDBG_REPLY, seq);
	put_le32(out, count);
	put_le32(out, 0);
	for (uint32_t i = 0; i < count; i++) {
		put_le64(out, w[i].addr);
		put_le64(out, w[i].len);
		put_le32(out, w[i].kind);
		put_le32(out, w[i].npages);
		put_le64(out, w[i].hits);
		put_le64(out, w[i].silent);
		for (uint32_t k = 0; k < w[i].npages; k++)
			put_le64(out, w[i].pages[k]);
	}
	frame_end(out, s);
}

void vmdbg_enc_output(GByteArray *out, uint32_t vcpu, const char *text, uint32_t len)
{
	guint s = frame_begin(out, VMDBG_EV_OUTPUT, 0);
	put_le32(out, vcpu);
	put_le32(out, len);
	g_byte_array_append(out, (const guint8 *)text, len);
	frame_end(out, s);
}

void vmdbg_enc_stopped(GByteArray *out, const struct vmdbg_stopped *st)
{
	guint s = frame_begin(out, VMDBG_EV_STOPPED, 0);
	put_le32(out, st->vcpu);
	put_le32(out, st->reason);
	put_le64(out, st->pc);
	for (unsigned i = 0; i < 3; i++)
		put_le64(out, st->info[i]);
	frame_end(out, s);
}

void vmdbg_enc_error(GByteArray *out, uint32_t seq, uint32_t code, const char *text)
{
	size_t n = strlen(text);
	if (n > VMDBG_MAX_ERROR_TEXT)
		n = VMDBG_MAX_ERROR_TEXT;
	/* never cut a UTF-8 sequence in half */
	while (n > 0 && n < strlen(text) && ((uint8_t)text[n] & 0xc0) == 0x80)
		n--;
	guint s = frame_begin(out, VMDBG_ERROR, seq);
	put_le32(out, code);
	put_le32(out, (uint32_t)n);
	g_byte_array_append(out, (const guint8 *)text, (guint)n);
	frame_end(out, s);
}
