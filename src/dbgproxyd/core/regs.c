/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * regs.c - register handles and the per-vCPU register cache (see regs.h).
 */
#include "regs.h"

#include <string.h>

#include "vmdbg.h"

struct vm_slot {
	uint64_t id;
	uint32_t bytes;
	uint32_t word;            /* index of its first word in the value buffer */
};

struct reg_handle {
	const char *name;         /* interned */
	unsigned regnum;
	unsigned bytes;           /* gdb's width */
	unsigned slot;            /* index into regset->slots (banked: the selector's) */
	uint32_t offset;          /* byte offset inside the VM value */
	/* banked registers: the VM register is bank_slot[select(selector)] */
	unsigned nbanks;
	unsigned bank_slot[ARCH_MAX_BANKS];
	unsigned (*select)(uint64_t selector_value);
	/* read-only registers computed from the VM value */
	void (*derive)(const uint8_t *vm_value, uint32_t vm_bytes, uint8_t *out, unsigned out_bytes);
	bool absent;              /* in the description, not on this vCPU model: no slot */
};

struct regset {
	GArray *vm_ids;           /* the REG_LIST this set was built for */
	GArray *slots;            /* struct vm_slot: only the VM registers in use */
	GHashTable *slot_of;      /* uint64_t vm id -> slot index + 1 */
	struct reg_handle *handles; /* sorted by regnum */
	unsigned count;
	GHashTable *by_name;      /* interned name -> handle */
	struct reg_handle **by_regnum;
	unsigned max_regnum;
	uint32_t nwords;
	size_t g_bytes;
};

struct regcache {
	const struct regset *rs;
	uint64_t *words;
	bool *valid;              /* per slot */
};

static int by_regnum_cmp(const void *a, const void *b)
{
	const struct reg_handle *x = a, *y = b;
	return x->regnum < y->regnum ? -1 : x->regnum > y->regnum;
}

static bool vm_has(const GArray *vm_ids, uint64_t id)
{
	for (guint i = 0; i < vm_ids->len; i++)
		if (g_array_index(vm_ids, uint64_t, i) == id)
			return true;
	return false;
}

/* The slot of a VM register, added on first use. */
static unsigned slot_for(struct regset *rs, uint64_t vm_id)
{
	gpointer found = g_hash_table_lookup(rs->slot_of, &vm_id);
	if (found)
		return GPOINTER_TO_UINT(found) - 1;
	uint32_t vm_bytes = vmdbg_reg_bytes(vm_id);
	struct vm_slot s = { vm_id, vm_bytes, rs->nwords };
	rs->nwords += (vm_bytes + 7) / 8;
	unsigned slot = rs->slots->len;
	g_array_append_val(rs->slots, s);
	g_hash_table_insert(rs->slot_of, g_memdup2(&vm_id, sizeof(uint64_t)), GUINT_TO_POINTER(slot + 1));
	return slot;
}

/* Can the VM serve every bank of a banked binding (and its selector)? */
static bool banks_served(const struct arch_binding *b, const GArray *vm_ids)
{
	if (!b->nbanks || !vm_has(vm_ids, b->select_id))
		return false;
	for (unsigned i = 0; i < b->nbanks; i++)
		if (!vm_has(vm_ids, b->banks[i]) || vmdbg_reg_bytes(b->banks[i]) != vmdbg_reg_bytes(b->vm_id))
			return false;
	return true;
}

/* Can a VM with vm_ids serve description register r through binding b
 * (after its fallback) at r's width?  What build() checks, without why. */
static bool fits(const struct tdesc_reg *r, const struct arch_binding *b, const GArray *vm_ids)
{
	if (!vm_has(vm_ids, b->vm_id))
		return false;
	uint32_t vm_bytes = vmdbg_reg_bytes(b->vm_id);
	uint32_t span = (vm_bytes + 7) / 8 * 8;
	bool width_ok = b->any_width ? r->bitsize % 8 == 0 && r->bitsize / 8 <= vm_bytes
				     : r->bitsize == b->gdb_bits;
	return width_ok && (b->derive || b->vm_offset + r->bitsize / 8 <= span);
}

static struct regset *build(const struct tdesc *td, const struct arch_ops *arch,
			     const GArray *vm_ids, bool partial, GError **error)
{
	struct regset *rs = g_new0(struct regset, 1);
	rs->vm_ids = g_array_copy((GArray *)vm_ids);
	rs->slots = g_array_new(FALSE, FALSE, sizeof(struct vm_slot));
	rs->slot_of = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	rs->by_name = g_hash_table_new(g_direct_hash, g_direct_equal);
	rs->count = td->regs->len;
	rs->handles = g_new0(struct reg_handle, rs->count);

	for (unsigned i = 0; i < rs->count; i++) {
		const struct tdesc_reg *r = &g_array_index(td->regs, struct tdesc_reg, i);
		struct arch_binding b;
		if (!arch->bind(r->name, &b)) {
			g_set_error(error, TDESC_ERROR, 2,
				    "line %d: register '%s' (feature %s) is not an %s register dbgproxyd knows",
				    r->line, r->name, r->feature, arch->name);
			goto fail;
		}
		if (!vm_has(vm_ids, b.vm_id) && b.fallback_id && vm_has(vm_ids, b.fallback_id)) {
			b.vm_id = b.fallback_id;
			b.vm_offset = b.fallback_offset;
		}
		if (partial && !fits(r, &b, vm_ids)) {
			/* this model lacks it (or has it at another width) */
			rs->handles[i] = (struct reg_handle){ .name = r->name, .regnum = r->regnum,
							      .bytes = r->bitsize / 8, .absent = true };
			rs->g_bytes += r->bitsize / 8;
			if (r->regnum > rs->max_regnum)
				rs->max_regnum = r->regnum;
			continue;
		}
		if (!vm_has(vm_ids, b.vm_id)) {
			g_set_error(error, TDESC_ERROR, 2,
				    "line %d: register '%s' is not provided by this VM (its vCPU lacks it)",
				    r->line, r->name);
			goto fail;
		}
		uint32_t vm_bytes = vmdbg_reg_bytes(b.vm_id);
		/* a slot spans whole words, so a narrower VM register (a 16-bit
		 * selector shown as 32 bits) reads zero-extended */
		uint32_t span = (vm_bytes + 7) / 8 * 8;
		bool width_ok = b.any_width ? r->bitsize % 8 == 0 && r->bitsize / 8 <= vm_bytes
					    : r->bitsize == b.gdb_bits;
		if (b.any_width && !width_ok) {
			g_set_error(error, TDESC_ERROR, 2,
				    "line %d: register '%s' has bitsize %u, but this VM's is at most %u bits",
				    r->line, r->name, r->bitsize, vm_bytes * 8);
			goto fail;
		}
		if (!width_ok || (!b.derive && b.vm_offset + r->bitsize / 8 > span)) {
			g_set_error(error, TDESC_ERROR, 2,
				    "line %d: register '%s' has bitsize %u, but this VM's '%s' is %u bits",
				    r->line, r->name, r->bitsize, r->name, b.gdb_bits);
			goto fail;
		}
		struct reg_handle *h = &rs->handles[i];
		*h = (struct reg_handle){ r->name, r->regnum, r->bitsize / 8, 0, b.vm_offset, 0, { 0 },
					  NULL, b.derive, false };
		if (banks_served(&b, vm_ids)) {
			h->slot = slot_for(rs, b.select_id);
			h->nbanks = b.nbanks;
			h->select = b.select;
			for (unsigned k = 0; k < b.nbanks; k++)
				h->bank_slot[k] = slot_for(rs, b.banks[k]);
		} else {
			h->slot = slot_for(rs, b.vm_id);
		}
		rs->g_bytes += r->bitsize / 8;
		if (r->regnum > rs->max_regnum)
			rs->max_regnum = r->regnum;
	}
	qsort(rs->handles, rs->count, sizeof(struct reg_handle), by_regnum_cmp);
	rs->by_regnum = g_new0(struct reg_handle *, rs->max_regnum + 1);
	for (unsigned i = 0; i < rs->count; i++) {
		struct reg_handle *h = &rs->handles[i];
		if (rs->by_regnum[h->regnum]) {
			g_set_error(error, TDESC_ERROR, 2, "registers '%s' and '%s' share regnum %u",
				    rs->by_regnum[h->regnum]->name, h->name, h->regnum);
			goto fail;
		}
		rs->by_regnum[h->regnum] = h;
		g_hash_table_insert(rs->by_name, (gpointer)h->name, h);
	}
	return rs;
fail:
	regset_free(rs);
	return NULL;
}

struct regset *regset_new(const struct tdesc *td, const struct arch_ops *arch,
			  const GArray *vm_ids, GError **error)
{
	return build(td, arch, vm_ids, false, error);
}

struct regset *regset_new_partial(const struct tdesc *td, const struct arch_ops *arch,
				  const GArray *vm_ids, GError **error)
{
	return build(td, arch, vm_ids, true, error);
}

void regset_free(struct regset *rs)
{
	if (!rs)
		return;
	g_array_unref(rs->vm_ids);
	g_array_unref(rs->slots);
	g_hash_table_unref(rs->slot_of);
	g_hash_table_unref(rs->by_name);
	g_free(rs->handles);
	g_free(rs->by_regnum);
	g_free(rs);
}

bool regset_matches(const struct regset *rs, const GArray *vm_ids)
{
	return rs->vm_ids->len == vm_ids->len &&
	       memcmp(rs->vm_ids->data, vm_ids->data, vm_ids->len * sizeof(uint64_t)) == 0;
}

unsigned regset_count(const struct regset *rs)
{
	return rs->count;
}

const struct reg_handle *regset_nth(const struct regset *rs, unsigned i)
{
	return i < rs->count ? &rs->handles[i] : NULL;
}

const struct reg_handle *regset_by_name(const struct regset *rs, const char *name)
{
	return g_hash_table_lookup(rs->by_name, g_intern_string(name));
}

const struct reg_handle *regset_by_regnum(const struct regset *rs, unsigned regnum)
{
	return regnum <= rs->max_regnum ? rs->by_regnum[regnum] : NULL;
}

bool regset_plain_vm_id(const struct regset *rs, const struct reg_handle *h, uint64_t *id)
{
	if (h->absent || h->nbanks || h->derive || h->offset || h->bytes > 8)
		return false;
	const struct vm_slot *sl = &g_array_index(rs->slots, struct vm_slot, h->slot);
	if (sl->bytes < h->bytes)
		return false;
	*id = sl->id;
	return true;
}

size_t regset_g_bytes(const struct regset *rs)
{
	return rs->g_bytes;
}

const char *reg_handle_name(const struct reg_handle *h)
{
	return h->name;
}

unsigned reg_handle_regnum(const struct reg_handle *h)
{
	return h->regnum;
}

unsigned reg_handle_bytes(const struct reg_handle *h)
{
	return h->bytes;
}

bool reg_handle_writable(const struct reg_handle *h)
{
	return h->derive == NULL && !h->absent;
}

bool reg_handle_present(const struct reg_handle *h)
{
	return !h->absent;
}

/* ---- cache ----------------------------------------------------------------------- */

struct regcache *regcache_new(const struct regset *rs)
{
	struct regcache *rc = g_new0(struct regcache, 1);
	rc->rs = rs;
	rc->words = g_new0(uint64_t, rs->nwords ? rs->nwords : 1);
	rc->valid = g_new0(bool, rs->slots->len ? rs->slots->len : 1);
	return rc;
}

void regcache_free(struct regcache *rc)
{
	if (!rc)
		return;
	g_free(rc->words);
	g_free(rc->valid);
	g_free(rc);
}

void regcache_invalidate(struct regcache *rc)
{
	memset(rc->valid, 0, rc->rs->slots->len * sizeof(bool));
}

/* The slot holding a handle's value now (banked: as the selector says). */
static unsigned value_slot(const struct regcache *rc, const struct reg_handle *h)
{
	if (!h->nbanks)
		return h->slot;
	const struct vm_slot *sel = &g_array_index(rc->rs->slots, struct vm_slot, h->slot);
	unsigned k = h->select(GUINT64_FROM_LE(rc->words[sel->word]));
	return h->bank_slot[k < h->nbanks ? k : 0];
}

bool regcache_valid(const struct regcache *rc, const struct reg_handle *h)
{
	if (h->absent)
		return true;  /* nothing to fetch: it reads as zeros, and gdb hears 'unavailable' */
	if (!rc->valid[h->slot])
		return false;
	for (unsigned k = 0; k < h->nbanks; k++)
		if (!rc->valid[h->bank_slot[k]])
			return false;
	return true;
}

void regcache_missing(const struct regcache *rc, const struct reg_handle *const *hs, unsigned n,
		      GArray *vm_ids)
{
	const struct regset *rs = rc->rs;
	g_autofree bool *taken = g_new0(bool, rs->slots->len ? rs->slots->len : 1);
	unsigned count = hs ? n : rs->count;
	for (unsigned i = 0; i < count; i++) {
		const struct reg_handle *h = hs ? hs[i] : &rs->handles[i];
		for (unsigned k = 0; k <= h->nbanks && !h->absent; k++) {
			unsigned slot = k == 0 ? h->slot : h->bank_slot[k - 1];
			if (rc->valid[slot] || taken[slot])
				continue;
			taken[slot] = true;
			g_array_append_val(vm_ids, g_array_index(rs->slots, struct vm_slot, slot).id);
		}
	}
}

bool regcache_fill(struct regcache *rc, uint64_t vm_id, const uint8_t *value, uint32_t size)
{
	gpointer found = g_hash_table_lookup(rc->rs->slot_of, &vm_id);
	if (!found)
		return false;
	unsigned slot = GPOINTER_TO_UINT(found) - 1;
	const struct vm_slot *s = &g_array_index(rc->rs->slots, struct vm_slot, slot);
	if (size != s->bytes)
		return false;
	memset(&rc->words[s->word], 0, (size + 7) / 8 * 8);
	memcpy(&rc->words[s->word], value, size);
	rc->valid[slot] = true;
	return true;
}

void regcache_read(const struct regcache *rc, const struct reg_handle *h, uint8_t *out)
{
	if (h->absent) {
		memset(out, 0, h->bytes);
		return;
	}
	const struct vm_slot *s = &g_array_index(rc->rs->slots, struct vm_slot, value_slot(rc, h));
	if (h->derive) {
		h->derive((const uint8_t *)&rc->words[s->word], s->bytes, out, h->bytes);
		return;
	}
	memcpy(out, (const uint8_t *)&rc->words[s->word] + h->offset, h->bytes);
}

void regcache_write(struct regcache *rc, const struct reg_handle *h, const uint8_t *in,
		    uint64_t *vm_id, const uint8_t **vm_value, uint32_t *vm_bytes)
{
	g_assert(h->derive == NULL);
	const struct vm_slot *s = &g_array_index(rc->rs->slots, struct vm_slot, value_slot(rc, h));
	uint8_t *base = (uint8_t *)&rc->words[s->word];
	memcpy(base + h->offset, in, h->bytes);
	/* the VM keeps only its register's width (a 16-bit selector written as
	 * 32 bits): the cache must hold what the VM will hold */
	memset(base + s->bytes, 0, (s->bytes + 7) / 8 * 8 - s->bytes);
	*vm_id = s->id;
	*vm_value = base;
	*vm_bytes = s->bytes;
}

bool regcache_write_through(struct regcache *rc, const struct reg_handle *const *hs, unsigned n,
			    const uint8_t *data, GArray *ids, GByteArray *vals,
			    const struct reg_handle **read_only)
{
	size_t off = 0;
	for (unsigned i = 0; i < n; off += hs[i]->bytes, i++) {
		uint8_t cur[256];
		if (reg_handle_writable(hs[i]))
			continue;
		regcache_read(rc, hs[i], cur);
		if (memcmp(cur, data + off, hs[i]->bytes) != 0) {
			*read_only = hs[i];
			return false;
		}
	}
	/* where each touched VM register's value lives in the cache */
	g_autoptr(GPtrArray) values = g_ptr_array_new();
	g_autoptr(GArray) sizes = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	g_array_set_size(ids, 0);
	off = 0;
	for (unsigned i = 0; i < n; off += hs[i]->bytes, i++) {
		if (!reg_handle_writable(hs[i]))
			continue;
		uint64_t id;
		const uint8_t *value;
		uint32_t bytes;
		regcache_write(rc, hs[i], data + off, &id, &value, &bytes);
		guint k = 0;
		while (k < ids->len && g_array_index(ids, uint64_t, k) != id)
			k++;
		if (k == ids->len) {
			g_array_append_val(ids, id);
			g_ptr_array_add(values, (gpointer)value);
			g_array_append_val(sizes, bytes);
		}
	}
	g_byte_array_set_size(vals, 0);
	for (guint k = 0; k < ids->len; k++)
		g_byte_array_append(vals, g_ptr_array_index(values, k), g_array_index(sizes, uint32_t, k));
	return true;
}
