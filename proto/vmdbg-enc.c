/* SPDX-License-Identifier: MIT */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * vmdbg-enc.c - the encoders of vmdbg frames (vmdbg-codec.h): each
 * computes its frame's length, reserves that much of the output and fills
 * it, header and payload as proto/vmdbg.md lays them out, little-endian.
 * Also the ready-made output, struct vmdbg_buf.
 */
#include "vmdbg-codec.h"

#include <stdlib.h>
#include <string.h>

/* ---- struct vmdbg_buf ------------------------------------------------------ */

static uint8_t *buf_reserve(struct vmdbg_out *out, size_t n)
{
	struct vmdbg_buf *b = (struct vmdbg_buf *)out;
	if (n > b->cap - b->len) {
		if (b->fixed || n > SIZE_MAX / 2 - b->len)
			return NULL;
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->data, cap);
		if (!p)
			return NULL;
		b->data = p;
		b->cap = cap;
	}
	uint8_t *p = b->data + b->len;
	b->len += n;
	return p;
}

void vmdbg_buf_init(struct vmdbg_buf *b)
{
	*b = (struct vmdbg_buf){ { buf_reserve }, NULL, 0, 0, false };
}

void vmdbg_buf_init_fixed(struct vmdbg_buf *b, void *mem, size_t cap)
{
	*b = (struct vmdbg_buf){ { buf_reserve }, mem, 0, cap, true };
}

void vmdbg_buf_fini(struct vmdbg_buf *b)
{
	if (!b->fixed)
		free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void vmdbg_buf_consume(struct vmdbg_buf *b, size_t n)
{
	if (n > b->len)
		n = b->len;
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/* ---- a cursor over the reserved bytes ------------------------------------------ */

struct writer {
	uint8_t *p;
};

static void put_le16(struct writer *w, uint16_t v)
{
	w->p[0] = (uint8_t)v;
	w->p[1] = (uint8_t)(v >> 8);
	w->p += 2;
}

static void put_le32(struct writer *w, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		w->p[i] = (uint8_t)(v >> (8 * i));
	w->p += 4;
}

static void put_le64(struct writer *w, uint64_t v)
{
	put_le32(w, (uint32_t)v);
	put_le32(w, (uint32_t)(v >> 32));
}

static void put_bytes(struct writer *w, const void *data, size_t n)
{
	if (n)
		memcpy(w->p, data, n);
	w->p += n;
}

/* Reserve a frame of payload bytes and write its header; 0 or the error.
 * Sizes are computed in 64 bits, so no count can wrap them. */
static int frame_begin(struct vmdbg_out *out, struct writer *w, uint8_t type, uint32_t seq,
		       uint64_t payload)
{
	uint64_t len = VMDBG_HDR_SIZE + payload;
	if (len > VMDBG_MAX_FRAME)
		return VMDBG_E_INVAL;
	w->p = out->reserve(out, (size_t)len);
	if (!w->p)
		return VMDBG_E_NOSPC;
	put_le32(w, (uint32_t)len);
	put_le16(w, VMDBG_VERSION);
	put_le16(w, type);
	put_le32(w, seq);
	put_le32(w, 0);
	return 0;
}

#define BEGIN(type, seq, payload)                                          \
	struct writer w;                                                   \
	int err_ = frame_begin(out, &w, (type), (seq), (payload));         \
	if (err_)                                                          \
		return err_

int vmdbg_enc_empty(struct vmdbg_out *out, uint8_t type, uint32_t seq)
{
	BEGIN(type, seq, 0);
	return 0;
}

int vmdbg_enc_hello_request(struct vmdbg_out *out, uint32_t seq, uint32_t version,
			    uint32_t features)
{
	BEGIN(VMDBG_HELLO, seq, 8);
	put_le32(&w, version);
	put_le32(&w, features);
	return 0;
}

int vmdbg_enc_hello_reply(struct vmdbg_out *out, uint32_t seq, const struct vmdbg_hello *h)
{
	BEGIN(VMDBG_HELLO | VMDBG_REPLY, seq, 32);
	put_le32(&w, h->version);
	put_le32(&w, h->arch);
	put_le32(&w, h->nr_vcpus);
	put_le32(&w, h->hw_bps);
	put_le32(&w, h->hw_wps);
	put_le32(&w, h->features);
	put_le32(&w, h->max_frame);
	put_le32(&w, 0);
	return 0;
}

int vmdbg_enc_reg_list_request(struct vmdbg_out *out, uint32_t seq, uint32_t vcpu)
{
	BEGIN(VMDBG_REG_LIST, seq, 4);
	put_le32(&w, vcpu);
	return 0;
}

int vmdbg_enc_reg_ids(struct vmdbg_out *out, uint8_t type, uint32_t seq, uint32_t vcpu,
		      const uint64_t *ids, uint32_t count)
{
	BEGIN(type, seq, 8 + (uint64_t)count * 8);
	put_le32(&w, vcpu);
	put_le32(&w, count);
	for (uint32_t i = 0; i < count; i++)
		put_le64(&w, ids[i]);
	return 0;
}

int vmdbg_enc_reg_vals(struct vmdbg_out *out, uint8_t type, uint32_t seq, uint32_t vcpu,
		       const uint64_t *ids, uint32_t count, const uint8_t *values)
{
	uint64_t payload = 8;
	for (uint32_t i = 0; i < count; i++)
		payload += 8 + vmdbg_reg_bytes(ids[i]);
	BEGIN(type, seq, payload);
	put_le32(&w, vcpu);
	put_le32(&w, count);
	size_t off = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t n = vmdbg_reg_bytes(ids[i]);
		put_le64(&w, ids[i]);
		put_bytes(&w, values + off, n);
		off += n;
	}
	return 0;
}

int vmdbg_enc_read_mem(struct vmdbg_out *out, uint32_t seq, uint32_t vcpu, uint64_t addr,
		       uint32_t len)
{
	BEGIN(VMDBG_READ_MEM, seq, 16);
	put_le32(&w, vcpu);
	put_le32(&w, len);
	put_le64(&w, addr);
	return 0;
}

int vmdbg_enc_read_mem_reply(struct vmdbg_out *out, uint32_t seq, uint64_t addr,
			     const uint8_t *data, uint32_t len)
{
	BEGIN(VMDBG_READ_MEM | VMDBG_REPLY, seq, 16 + (uint64_t)len);
	put_le64(&w, addr);
	put_le32(&w, len);
	put_le32(&w, 0);
	put_bytes(&w, data, len);
	return 0;
}

int vmdbg_enc_write_mem(struct vmdbg_out *out, uint32_t seq, uint32_t vcpu, uint64_t addr,
			const uint8_t *data, uint32_t len)
{
	BEGIN(VMDBG_WRITE_MEM, seq, 16 + (uint64_t)len);
	put_le32(&w, vcpu);
	put_le32(&w, len);
	put_le64(&w, addr);
	put_bytes(&w, data, len);
	return 0;
}

int vmdbg_enc_set_guest_debug(struct vmdbg_out *out, uint32_t seq,
			      const struct vmdbg_guest_debug *g)
{
	bool arm64 = g->arch == VMDBG_ARCH_AARCH64;
	BEGIN(VMDBG_SET_GUEST_DEBUG, seq, 8 + (arm64 ? 4 * VMDBG_MAX_DBG_REGS * 8 : 8 * 8));
	put_le32(&w, g->control);
	put_le32(&w, g->arch);
	if (arm64) {
		const uint64_t *sets[] = { g->regs.arm64.dbg_bcr, g->regs.arm64.dbg_bvr,
					   g->regs.arm64.dbg_wcr, g->regs.arm64.dbg_wvr };
		for (unsigned k = 0; k < 4; k++)
			for (unsigned i = 0; i < VMDBG_MAX_DBG_REGS; i++)
				put_le64(&w, sets[k][i]);
	} else {
		for (unsigned i = 0; i < 8; i++)
			put_le64(&w, g->regs.x86.debugreg[i]);
	}
	return 0;
}

int vmdbg_enc_sw_bp(struct vmdbg_out *out, uint8_t type, uint32_t seq,
		    const struct vmdbg_sw_bp *bp)
{
	BEGIN(type, seq, 16);
	put_le32(&w, bp->vcpu);
	put_le32(&w, bp->kind);
	put_le64(&w, bp->addr);
	return 0;
}

int vmdbg_enc_resume(struct vmdbg_out *out, uint32_t seq, uint32_t default_action,
		     const struct vmdbg_resume_entry *entries, uint32_t count)
{
	uint64_t payload = 8 + (uint64_t)count * 8;
	for (uint32_t i = 0; i < count; i++)
		payload += entries[i].action == VMDBG_ACT_RANGE_STEP ? 16 : 0;
	BEGIN(VMDBG_RESUME, seq, payload);
	put_le32(&w, default_action);
	put_le32(&w, count);
	for (uint32_t i = 0; i < count; i++) {
		put_le32(&w, entries[i].vcpu);
		put_le32(&w, entries[i].action);
	}
	for (uint32_t i = 0; i < count; i++) {
		if (entries[i].action == VMDBG_ACT_RANGE_STEP) {
			put_le64(&w, entries[i].start);
			put_le64(&w, entries[i].end);
		}
	}
	return 0;
}

int vmdbg_enc_point_cond(struct vmdbg_out *out, uint32_t seq, uint64_t addr,
			 const struct vmdbg_cond_reg *regs, uint32_t nregs,
			 const uint8_t *const *codes, const uint32_t *lens, uint32_t nconds,
			 uint32_t ncmds)
{
	uint64_t n = (uint64_t)nconds + ncmds;
	uint64_t payload = 24 + (uint64_t)nregs * 16 + n * 4;
	for (uint64_t i = 0; i < n; i++)
		payload += lens[i];
	BEGIN(VMDBG_POINT_COND, seq, payload);
	put_le64(&w, addr);
	put_le32(&w, nregs);
	put_le32(&w, nconds);
	put_le32(&w, ncmds);
	put_le32(&w, 0);
	for (uint32_t i = 0; i < nregs; i++) {
		put_le64(&w, regs[i].id);
		put_le32(&w, regs[i].regnum);
		put_le32(&w, 0);
	}
	for (uint64_t i = 0; i < n; i++) {
		put_le32(&w, lens[i]);
		put_bytes(&w, codes[i], lens[i]);
	}
	return 0;
}

int vmdbg_enc_mem_map_reply(struct vmdbg_out *out, uint32_t seq, const struct vmdbg_mem_map *m,
			    const struct vmdbg_mem_region *regions)
{
	BEGIN(VMDBG_MEM_MAP | VMDBG_REPLY, seq, 24 + (uint64_t)m->nregions * 24);
	put_le32(&w, m->translation);
	put_le32(&w, m->nregions);
	put_le64(&w, m->table_offset);
	put_le32(&w, m->table_capacity);
	put_le32(&w, 0);
	for (uint32_t i = 0; i < m->nregions; i++) {
		put_le64(&w, regions[i].gpa);
		put_le64(&w, regions[i].size);
		put_le64(&w, regions[i].offset);
	}
	return 0;
}

int vmdbg_enc_watch(struct vmdbg_out *out, uint8_t type, uint32_t seq, const struct vmdbg_watch *wt)
{
	BEGIN(type, seq, 24);
	put_le32(&w, wt->vcpu);
	put_le32(&w, wt->kind);
	put_le64(&w, wt->addr);
	put_le64(&w, wt->len);
	return 0;
}

int vmdbg_enc_watch_list_reply(struct vmdbg_out *out, uint32_t seq,
			       const struct vmdbg_watch_info *wi, uint32_t count)
{
	uint64_t payload = 8;
	for (uint32_t i = 0; i < count; i++) {
		if (wi[i].npages > VMDBG_WATCH_MAX_PAGES)
			return VMDBG_E_INVAL;
		payload += 40 + (uint64_t)wi[i].npages * 8;
	}
	BEGIN(VMDBG_WATCH_LIST | VMDBG_REPLY, seq, payload);
	put_le32(&w, count);
	put_le32(&w, 0);
	for (uint32_t i = 0; i < count; i++) {
		put_le64(&w, wi[i].addr);
		put_le64(&w, wi[i].len);
		put_le32(&w, wi[i].kind);
		put_le32(&w, wi[i].npages);
		put_le64(&w, wi[i].hits);
		put_le64(&w, wi[i].silent);
		for (uint32_t k = 0; k < wi[i].npages; k++)
			put_le64(&w, wi[i].pages[k]);
	}
	return 0;
}

int vmdbg_enc_output(struct vmdbg_out *out, uint32_t vcpu, const char *text, uint32_t len)
{
	BEGIN(VMDBG_EV_OUTPUT, 0, 8 + (uint64_t)len);
	put_le32(&w, vcpu);
	put_le32(&w, len);
	put_bytes(&w, text, len);
	return 0;
}

int vmdbg_enc_stopped(struct vmdbg_out *out, const struct vmdbg_stopped *st)
{
	BEGIN(VMDBG_EV_STOPPED, 0, 40);
	put_le32(&w, st->vcpu);
	put_le32(&w, st->reason);
	put_le64(&w, st->pc);
	for (unsigned i = 0; i < 3; i++)
		put_le64(&w, st->info[i]);
	return 0;
}

int vmdbg_enc_error(struct vmdbg_out *out, uint32_t seq, uint32_t code, const char *text)
{
	size_t full = strlen(text), n = full;
	if (n > VMDBG_MAX_ERROR_TEXT)
		n = VMDBG_MAX_ERROR_TEXT;
	/* never cut a UTF-8 sequence in half */
	while (n > 0 && n < full && ((uint8_t)text[n] & 0xc0) == 0x80)
		n--;
	BEGIN(VMDBG_ERROR, seq, 8 + (uint64_t)n);
	put_le32(&w, code);
	put_le32(&w, (uint32_t)n);
	put_bytes(&w, text, n);
	return 0;
}
