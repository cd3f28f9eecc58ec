/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * target-regmem.c - the target's registers, through one cache per vCPU
 * (valid while the VM is stopped), and guest memory in VM-sized pieces
 * (target.h).
 */
#include <inttypes.h>
#include <string.h>

#include "target-priv.h"
#include "guestmem.h"

/* ---- registers -------------------------------------------------------------------------------- */

struct regcache *target_regcache(struct target *t, uint32_t vcpu)
{
	return t->caches[vcpu];
}

struct regs_req {
	struct target *t;
	uint32_t vcpu;
	target_done_fn fn;
	void *ctx;
	uint64_t paging_gen;
};

/* ---- paging registers, for guest memory the VM shares -------------------------------------- */

static const uint64_t paging_ids[] = { VMDBG_X86_CR(0), VMDBG_X86_CR(3), VMDBG_X86_CR(4),
				       VMDBG_X86_EFER };

void target_paging_invalidate(struct target *t)
{
	t->paging_gen++;
	for (uint32_t v = 0; t->paging && v < t->nr_vcpus; v++)
		t->paging[v].valid = false;
}

/* Does this vCPU's view of shared memory need paging registers not known yet? */
static bool paging_wanted(const struct target *t, uint32_t vcpu)
{
	struct guestmem *gm = vmlink_guestmem(t->link);
	return gm && guestmem_translation(gm) == VMDBG_XLATE_X86 && t->paging &&
	       !t->paging[vcpu].valid;
}

/* Take the paging registers out of a GET_REGS reply asked at generation gen. */
static void paging_fill(struct target *t, uint32_t vcpu, const struct vmdbg_reg_vals *vals,
			uint64_t gen)
{
	if (gen != t->paging_gen || !t->paging || vcpu >= t->nr_vcpus)
		return;  /* the vCPU ran (or was written) since: these are stale */
	struct x86_paging pg = { 0 };
	unsigned seen = 0;
	size_t off = 0;
	uint64_t id;
	const uint8_t *val;
	uint32_t size;
	while (vmdbg_regvals_next(vals, &off, &id, &val, &size)) {
		uint64_t *dst = id == paging_ids[0] ? &pg.cr0 : id == paging_ids[1] ? &pg.cr3 :
				id == paging_ids[2] ? &pg.cr4 : id == paging_ids[3] ? &pg.efer : NULL;
		if (!dst || size != 8)
			continue;
		uint64_t v;
		memcpy(&v, val, 8);
		*dst = GUINT64_FROM_LE(v);
		seen++;
	}
	if (seen == G_N_ELEMENTS(paging_ids)) {
		t->paging[vcpu].pg = pg;
		t->paging[vcpu].valid = true;
	}
}

/* Ask for the paging ids ids lacks (ids: a GArray of uint64_t). */
static void paging_ids_add(GArray *ids)
{
	for (unsigned k = 0; k < G_N_ELEMENTS(paging_ids); k++) {
		bool have = false;
		for (guint i = 0; i < ids->len && !have; i++)
			have = g_array_index(ids, uint64_t, i) == paging_ids[k];
		if (!have)
			g_array_append_val(ids, paging_ids[k]);
	}
}

static void paging_fetched(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct regs_req *r = ctx;
	if (m)
		paging_fill(r->t, r->vcpu, &m->u.reg_vals, r->paging_gen);
	g_free(r);
}

/* Fetch them on their own (pipelined ahead of a memory request). */
static void paging_fetch(struct target *t, uint32_t vcpu)
{
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_reg_ids(VMDBG_GBA(f), VMDBG_GET_REGS, seq, vcpu, paging_ids, G_N_ELEMENTS(paging_ids));
	struct regs_req *r = g_new0(struct regs_req, 1);
	*r = (struct regs_req){ .t = t, .vcpu = vcpu, .paging_gen = t->paging_gen };
	if (!target_send(t, f, seq, paging_fetched, r, NULL))
		g_free(r);
}

/* The shared RAM as vCPU vcpu sees it now (*pg: its paging, or NULL
 * where addresses are physical), or NULL when it must be the VM's to do:
 * not shared, requests still under way (which a transfer must come
 * after), or x86 paging not known yet. */
static struct guestmem *shared_view(struct target *t, uint32_t vcpu, size_t len,
				    const struct x86_paging **pg)
{
	struct guestmem *gm = vmlink_guestmem(t->link);
	if (!gm || vcpu >= t->nr_vcpus || len == 0 || !vmlink_idle(t->link))
		return NULL;
	*pg = NULL;
	if (guestmem_translation(gm) == VMDBG_XLATE_X86) {
		if (!t->paging || !t->paging[vcpu].valid)
			return NULL;
		*pg = &t->paging[vcpu].pg;
	}
	return gm;
}

bool target_read_mem_now(struct target *t, uint32_t vcpu, uint64_t addr, uint8_t *out,
			 size_t len)
{
	const struct x86_paging *pg;
	struct guestmem *gm = shared_view(t, vcpu, len, &pg);
	if (!gm || !guestmem_read(gm, pg, addr, out, len))
		return false;
	t->mem_here[0]++;
	return true;
}

bool target_write_mem_now(struct target *t, uint32_t vcpu, uint64_t addr, const uint8_t *data,
			  size_t len)
{
	const struct x86_paging *pg;
	struct guestmem *gm = t->state == TGT_STOPPED ? shared_view(t, vcpu, len, &pg) : NULL;
	if (!gm || !guestmem_write(gm, pg, addr, data, len))
		return false;
	t->mem_here[1]++;
	return true;
}

char *target_describe_mem(const struct target *t)
{
	struct guestmem *gm = vmlink_guestmem(t->link);
	g_autofree char *how = NULL;
	if (gm)
		how = g_strdup_printf("shared by the VM (%" G_GUINT64_FORMAT " MiB, %s)",
				      guestmem_ram_bytes(gm) >> 20,
				      guestmem_translation(gm) == VMDBG_XLATE_X86 ? "x86 paging"
										  : "virtual = physical");
	else
		how = g_strdup(t->cfg.no_shared_memory ? "through the VM's socket (--no-shared-memory)"
						       : "through the VM's socket (the VM does not share it)");
	return g_strdup_printf("%s; reads/writes served here %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
			       ", by the VM %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
			       how, t->mem_here[0], t->mem_here[1], t->mem_vm[0], t->mem_vm[1]);
}

static void regs_fetched(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct regs_req *r = ctx;
	struct target *t = r->t;
	if (m && r->vcpu < t->nr_vcpus) {
		size_t off = 0;
		uint64_t id;
		const uint8_t *val;
		uint32_t size;
		while (vmdbg_regvals_next(&m->u.reg_vals, &off, &id, &val, &size))
			regcache_fill(t->caches[r->vcpu], id, val, size);
		paging_fill(t, r->vcpu, &m->u.reg_vals, r->paging_gen);
	}
	r->fn(r->ctx, m ? NULL : err);
	g_free(r);
}

enum target_result target_fetch_regs(struct target *t, uint32_t vcpu,
				     const struct reg_handle *const *hs, unsigned n,
				     target_done_fn fn, void *ctx, GError **error)
{
	if (!target_need_vcpu(t, vcpu, error))
		return TARGET_FAILED;
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	regcache_missing(t->caches[vcpu], hs, n, ids);
	if (ids->len == 0)
		return TARGET_DONE;
	if (paging_wanted(t, vcpu))  /* for shared memory, in the same exchange */
		paging_ids_add(ids);
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_reg_ids(VMDBG_GBA(f), VMDBG_GET_REGS, seq, vcpu, (const uint64_t *)(void *)ids->data, ids->len);
	struct regs_req *r = g_new0(struct regs_req, 1);
	*r = (struct regs_req){ t, vcpu, fn, ctx, t->paging_gen };
	if (!target_send(t, f, seq, regs_fetched, r, error)) {
		g_free(r);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}

static void regs_written(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct regs_req *r = ctx;
	if (!m && r->vcpu < r->t->nr_vcpus)
		regcache_invalidate(r->t->caches[r->vcpu]); /* the VM did not take them */
	r->fn(r->ctx, m ? NULL : err);
	g_free(r);
}

enum target_result target_write_regs(struct target *t, uint32_t vcpu,
				     const struct reg_handle *const *hs, unsigned n,
				     const uint8_t *data, const struct reg_handle **read_only,
				     target_done_fn fn, void *ctx, GError **error)
{
	if (!target_need_vcpu(t, vcpu, error))
		return TARGET_FAILED;
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(uint64_t));
	g_autoptr(GByteArray) vals = g_byte_array_new();
	*read_only = NULL;
	if (!regcache_write_through(t->caches[vcpu], hs, n, data, ids, vals, read_only)) {
		g_set_error(error, TARGET_ERROR, TARGET_E_INVAL,
			    "register %s is read-only (the VM fixes it)", reg_handle_name(*read_only));
		return TARGET_FAILED;
	}
	if (ids->len == 0) /* only read-only registers, unchanged */
		return TARGET_DONE;
	target_paging_invalidate(t);  /* a control register may be among them */
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_reg_vals(VMDBG_GBA(f), VMDBG_SET_REGS, seq, vcpu, (const uint64_t *)(void *)ids->data,
			   ids->len, vals->data);
	struct regs_req *r = g_new0(struct regs_req, 1);
	*r = (struct regs_req){ t, vcpu, fn, ctx, 0 };
	if (!target_send(t, f, seq, regs_written, r, error)) {
		g_free(r);
		regcache_invalidate(t->caches[vcpu]);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}

struct vm_regs_req {
	target_regvals_fn fn;
	void *ctx;
};

static void vm_regs_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct vm_regs_req *r = ctx;
	r->fn(r->ctx, m ? &m->u.reg_vals : NULL, m ? NULL : err);
	g_free(r);
}

enum target_result target_get_vm_regs(struct target *t, uint32_t vcpu, const uint64_t *ids,
				      unsigned n, target_regvals_fn fn, void *ctx, GError **error)
{
	if (!target_need_vcpu(t, vcpu, error))
		return TARGET_FAILED;
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_reg_ids(VMDBG_GBA(f), VMDBG_GET_REGS, seq, vcpu, ids, n);
	struct vm_regs_req *r = g_new0(struct vm_regs_req, 1);
	*r = (struct vm_regs_req){ fn, ctx };
	if (!target_send(t, f, seq, vm_regs_done, r, error)) {
		g_free(r);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}

/* ---- memory ------------------------------------------------------------------------------------ */

#define MEM_CHUNK VMDBG_MAX_MEM_XFER

struct mem_req {
	target_mem_fn read_fn;
	target_done_fn write_fn;
	void *ctx;
	uint64_t addr;
	size_t len;
	unsigned outstanding;
	bool short_read;      /* reading: the contiguous part has ended */
	GByteArray *buf;
	GError *err;
};

struct mem_piece {
	struct mem_req *whole;
	uint64_t offset;
};

static void mem_req_free(struct mem_req *r)
{
	if (r->buf)
		g_byte_array_unref(r->buf);
	if (r->err)
		g_error_free(r->err);
	g_free(r);
}

static void mem_read_piece(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct mem_piece *pc = ctx;
	struct mem_req *r = pc->whole;
	uint64_t want = MIN((uint64_t)MEM_CHUNK, r->len - pc->offset);
	if (!r->short_read) {
		/* pieces answer in order: append while contiguous */
		if (m && pc->offset == r->buf->len) {
			g_byte_array_append(r->buf, m->u.mem.data, m->u.mem.len);
			if (m->u.mem.len < want)
				r->short_read = true;
		} else {
			r->short_read = true;
			if (err && !r->err)
				r->err = g_error_copy(err);
		}
	}
	g_free(pc);
	if (--r->outstanding == 0) {
		r->read_fn(r->ctx, r->buf->data, r->buf->len, r->buf->len ? NULL : r->err);
		mem_req_free(r);
	}
}

enum target_result target_read_mem(struct target *t, uint32_t vcpu, uint64_t addr, size_t len,
				   target_mem_fn fn, void *ctx, GError **error)
{
	if (!target_need_vcpu(t, vcpu, error))
		return TARGET_FAILED;
	if (len == 0) {
		g_set_error(error, TARGET_ERROR, TARGET_E_INVAL, "reading 0 bytes");
		return TARGET_FAILED;
	}
	if (paging_wanted(t, vcpu) && t->state == TGT_STOPPED)
		paging_fetch(t, vcpu);  /* pipelined: the next read is served here */
	t->mem_vm[0]++;
	struct mem_req *r = g_new0(struct mem_req, 1);
	r->read_fn = fn;
	r->ctx = ctx;
	r->addr = addr;
	r->len = len;
	r->buf = g_byte_array_sized_new((guint)len);
	/* pipelined: every piece goes out at once */
	for (uint64_t off = 0; off < len; off += MEM_CHUNK) {
		struct mem_piece *pc = g_new0(struct mem_piece, 1);
		pc->whole = r;
		pc->offset = off;
		g_autoptr(GByteArray) f = g_byte_array_new();
		uint32_t seq = target_seq(t);
		vmdbg_enc_read_mem(VMDBG_GBA(f), seq, vcpu, addr + off, (uint32_t)MIN((uint64_t)MEM_CHUNK, len - off));
		if (!target_send(t, f, seq, mem_read_piece, pc, r->outstanding ? NULL : error)) {
			g_free(pc);
			r->short_read = true;
			break;
		}
		r->outstanding++;
	}
	if (r->outstanding == 0) {
		mem_req_free(r);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}

static void mem_write_piece(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct mem_req *r = ctx;
	if (!m && !r->err)
		r->err = g_error_copy(err);
	if (--r->outstanding == 0) {
		r->write_fn(r->ctx, r->err);
		mem_req_free(r);
	}
}

enum target_result target_write_mem(struct target *t, uint32_t vcpu, uint64_t addr,
				    const uint8_t *data, size_t len, target_done_fn fn, void *ctx,
				    GError **error)
{
	if (!target_need_vcpu(t, vcpu, error))
		return TARGET_FAILED;
	if (len == 0)
		return TARGET_DONE;
	t->mem_vm[1]++;
	struct mem_req *r = g_new0(struct mem_req, 1);
	r->write_fn = fn;
	r->ctx = ctx;
	r->addr = addr;
	r->len = len;
	for (size_t off = 0; off < len; off += MEM_CHUNK) {
		g_autoptr(GByteArray) f = g_byte_array_new();
		uint32_t seq = target_seq(t);
		uint32_t n = (uint32_t)MIN((size_t)MEM_CHUNK, len - off);
		vmdbg_enc_write_mem(VMDBG_GBA(f), seq, vcpu, addr + off, data + off, n);
		g_autoptr(GError) e = NULL;
		if (!target_send(t, f, seq, mem_write_piece, r, &e)) {
			if (!r->err)
				r->err = g_error_copy(e);
			break;
		}
		r->outstanding++;
	}
	if (r->outstanding == 0) {
		g_propagate_error(error, r->err);
		r->err = NULL;
		mem_req_free(r);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}
