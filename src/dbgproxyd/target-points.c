/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * target-points.c - the target's breakpoint table (target.h): software
 * breakpoints, which the VM plants, and hardware breakpoints and
 * watchpoints through the slot allocator, each point with the clients
 * that own it.
 *
 * A software point is at the VM once, whoever asked: its owners are a
 * set, the VM hears INSERT when the first arrives and REMOVE when the last
 * leaves.  A hardware point is one slot-table request per owner (the
 * allocator already shares identical requests and slots, with counts);
 * after every change the whole register set goes to the VM in one
 * SET_GUEST_DEBUG, and a change the VM refuses is undone so that the table
 * is always what the VM has.
 */
#include <inttypes.h>
#include <string.h>

#include "target-priv.h"

struct sw_point {
	uint64_t addr;
	uint32_t kind;
	GPtrArray *owners;     /* struct target_client *, each once */
	bool busy;             /* an INSERT or REMOVE is on its way */
};

struct hw_point {
	struct target_client *owner;
	enum hw_kind kind;
	uint64_t addr, len;
};

static void sw_point_free(void *p)
{
	struct sw_point *sp = p;
	g_ptr_array_unref(sp->owners);
	g_free(sp);
}

void target_points_init(struct target *t)
{
	t->sw_points = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, sw_point_free);
	t->hw_points = g_array_new(FALSE, FALSE, sizeof(struct hw_point));
	target_watches_init(t);
}

void target_points_reset(struct target *t)
{
	g_hash_table_remove_all(t->sw_points);
	g_array_set_size(t->hw_points, 0);
	target_watches_reset(t);
	g_clear_pointer(&t->hw, hwslots_free);
	memset(&t->hw_committed, 0, sizeof(t->hw_committed));
	if (vmlink_is_ready(t->link)) {
		const struct vmdbg_hello *h = vmlink_hello(t->link);
		t->hw = hwslots_new(h->arch, h->hw_bps, h->hw_wps,
				    h->features & VMDBG_FEAT_HW_SLOTS_SHARED);
		t->hw_committed.arch = h->arch;
	}
}

void target_points_free(struct target *t)
{
	g_hash_table_unref(t->sw_points);
	g_array_unref(t->hw_points);
	g_clear_pointer(&t->hw, hwslots_free);
	target_watches_free(t);
}

bool target_sw_point_at(const struct target *t, uint64_t addr)
{
	const struct sw_point *sp = g_hash_table_lookup(t->sw_points, &addr);
	return sp && sp->owners->len > 0;
}

uint32_t target_sw_point_kind(const struct target *t, uint64_t addr)
{
	const struct sw_point *sp = g_hash_table_lookup(t->sw_points, &addr);
	return sp ? sp->kind : 0;
}

void target_point_owners(const struct target *t, const struct vmdbg_stopped *ev, GPtrArray *owners,
			 uint64_t *addr)
{
	*addr = ev->pc;
	if (ev->reason == VMDBG_STOP_DEBUG) {
		struct hw_hit hit;
		if (!t->hw)
			return;
		hwslots_decode(t->hw, ev, &hit);
		if (hit.type != HW_HIT_BREAK)
			return;
	} else if (ev->reason != VMDBG_STOP_SW_BP) {
		return;
	}
	/* a breakpoint at pc, of either kind: whoever has one there is
	 * stopped there (a slot and a breakpoint instruction at one place
	 * trap as one) */
	const struct sw_point *sp = g_hash_table_lookup(t->sw_points, &ev->pc);
	for (guint i = 0; sp && i < sp->owners->len; i++)
		g_ptr_array_add(owners, g_ptr_array_index(sp->owners, i));
	for (guint i = 0; i < t->hw_points->len; i++) {
		const struct hw_point *q = &g_array_index(t->hw_points, struct hw_point, i);
		if (q->kind == HW_EXEC && q->addr == ev->pc &&
		    !g_ptr_array_find(owners, q->owner, NULL))
			g_ptr_array_add(owners, q->owner);
	}
}

unsigned target_sw_points(const struct target *t)
{
	return g_hash_table_size(t->sw_points);
}

unsigned target_sw_points_leaving(const struct target *t)
{
	GHashTableIter it;
	struct sw_point *sp;
	unsigned n = 0;
	g_hash_table_iter_init(&it, t->sw_points);
	while (g_hash_table_iter_next(&it, NULL, (void **)&sp))
		n += sp->owners->len == 0;
	return n;
}

char *target_describe_hw(const struct target *t)
{
	return t->hw ? hwslots_describe(t->hw) : g_strdup("no hardware slots (not attached)\n");
}

/* ---- software breakpoints ------------------------------------------------------------- */

struct sw_req {
	struct target *t;
	uint64_t addr;
	bool insert;
	struct target_client *owner;  /* insert: the one it was for */
	target_done_fn fn;
	void *ctx;
};

static bool sw_send(struct target *t, struct sw_point *sp, bool insert, uint32_t vcpu,
		    struct target_client *owner, target_done_fn fn, void *ctx, GError **error);

static void sw_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct sw_req *r = ctx;
	struct sw_point *sp = g_hash_table_lookup(r->t->sw_points, &r->addr);
	/* already as wanted counts as done */
	bool ok = m || (err->domain == VMLINK_ERROR &&
			err->code == (r->insert ? VMDBG_E_EXIST : VMDBG_E_NOENT));
	struct target *t = r->t;
	uint64_t addr = r->addr;
	bool orphan = false;
	if (sp) {
		sp->busy = false;
		if (r->insert && !ok)
			g_hash_table_remove(t->sw_points, &r->addr);  /* not at the VM */
		else if (!r->insert && ok && sp->owners->len == 0)
			g_hash_table_remove(t->sw_points, &r->addr);
		else if (!r->insert && !ok && r->owner)
			g_ptr_array_add(sp->owners, r->owner);        /* still at the VM */
		else if (r->insert && sp->owners->len == 0)
			orphan = true;  /* its owner left while it went in */
	}
	if (r->fn)
		r->fn(r->ctx, ok ? NULL : err);
	g_free(r);
	/* the callback may have changed the table: look again */
	sp = orphan ? g_hash_table_lookup(t->sw_points, &addr) : NULL;
	if (sp && !sp->busy && sp->owners->len == 0) {
		g_autoptr(GError) e = NULL;
		if (!sw_send(t, sp, false, 0, NULL, NULL, NULL, &e))
			g_warning("breakpoint at 0x%" PRIx64 " stays: %s", sp->addr, e->message);
	}
}

static bool sw_send(struct target *t, struct sw_point *sp, bool insert, uint32_t vcpu,
		    struct target_client *owner, target_done_fn fn, void *ctx, GError **error)
{
	struct vmdbg_sw_bp bp = { .vcpu = vcpu, .kind = sp->kind, .addr = sp->addr };
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_sw_bp(VMDBG_GBA(f), insert ? VMDBG_SW_BP_INSERT : VMDBG_SW_BP_REMOVE, seq, &bp);
	struct sw_req *r = g_new0(struct sw_req, 1);
	*r = (struct sw_req){ t, sp->addr, insert, owner, fn, ctx };
	if (!target_send(t, f, seq, sw_done, r, error)) {
		g_free(r);
		return false;
	}
	sp->busy = true;
	return true;
}

static enum target_result sw_insert(struct target *t, struct target_client *owner, uint64_t addr,
				    uint32_t kind, uint32_t vcpu, target_done_fn fn, void *ctx,
				    GError **error)
{
	struct sw_point *sp = g_hash_table_lookup(t->sw_points, &addr);
	if (sp && sp->busy) {
		g_set_error(error, TARGET_ERROR, TARGET_E_INVAL,
			    "a change to the breakpoint at 0x%" PRIx64 " is still in progress", addr);
		return TARGET_FAILED;
	}
	if (sp) {
		if (!g_ptr_array_find(sp->owners, owner, NULL))
			g_ptr_array_add(sp->owners, owner);
		return TARGET_DONE;  /* the VM has it already */
	}
	sp = g_new0(struct sw_point, 1);
	sp->addr = addr;
	sp->kind = kind;
	sp->owners = g_ptr_array_new();
	g_ptr_array_add(sp->owners, owner);
	g_hash_table_insert(t->sw_points, &sp->addr, sp);
	if (!sw_send(t, sp, true, vcpu, owner, fn, ctx, error)) {
		g_hash_table_remove(t->sw_points, &addr);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}

static enum target_result sw_remove(struct target *t, struct target_client *owner, uint64_t addr,
				    uint32_t vcpu, target_done_fn fn, void *ctx, GError **error)
{
	struct sw_point *sp = g_hash_table_lookup(t->sw_points, &addr);
	if (!sp || !g_ptr_array_find(sp->owners, owner, NULL))
		return TARGET_DONE;  /* not inserted by this owner: already as wanted */
	if (sp->busy) {
		g_set_error(error, TARGET_ERROR, TARGET_E_INVAL,
			    "a change to the breakpoint at 0x%" PRIx64 " is still in progress", addr);
		return TARGET_FAILED;
	}
	g_ptr_array_remove(sp->owners, owner);
	if (sp->owners->len)
		return TARGET_DONE;  /* others still want it at the VM */
	if (!sw_send(t, sp, false, vcpu, owner, fn, ctx, error)) {
		g_ptr_array_add(sp->owners, owner);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}

/* ---- hardware points ----------------------------------------------------------------- */

struct hw_req {
	struct target *t;
	struct hw_point p;
	bool insert;
	struct vmdbg_guest_debug sent;
	target_done_fn fn;
	void *ctx;
};

static bool hw_record_drop(struct target *t, const struct hw_point *p)
{
	for (guint i = 0; i < t->hw_points->len; i++) {
		const struct hw_point *q = &g_array_index(t->hw_points, struct hw_point, i);
		if (q->owner == p->owner && q->kind == p->kind && q->addr == p->addr &&
		    q->len == p->len) {
			g_array_remove_index(t->hw_points, i);
			return true;
		}
	}
	return false;
}

static void hw_committed(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct hw_req *r = ctx;
	struct target *t = r->t;
	if (m) {
		t->hw_committed = r->sent;
	} else if (t->hw && r->p.owner) {
		/* the VM did not take it: undo, so the table stays the VM's */
		if (r->insert) {
			hwslots_remove(t->hw, r->p.kind, r->p.addr, r->p.len, NULL);
			hw_record_drop(t, &r->p);
		} else {
			hwslots_insert(t->hw, r->p.kind, r->p.addr, r->p.len, NULL);
			g_array_append_val(t->hw_points, r->p);
		}
	}
	if (r->fn) {
		g_autoptr(GError) e = m ? NULL : g_error_new(err->domain, err->code,
			"the VM refused the debug registers: %s", err->message);
		r->fn(r->ctx, e);
	}
	g_free(r);
}

/* Send the slot table to the VM if it differs from what the VM has.  With
 * p->owner set, a refusal undoes that one change. */
static enum target_result hw_commit(struct target *t, const struct hw_point *p, bool insert,
				    target_done_fn fn, void *ctx, GError **error)
{
	struct hw_req *r = g_new0(struct hw_req, 1);
	r->t = t;
	if (p)
		r->p = *p;
	r->insert = insert;
	r->fn = fn;
	r->ctx = ctx;
	hwslots_guest_debug(t->hw, &r->sent);
	if (memcmp(&r->sent, &t->hw_committed, sizeof(r->sent)) == 0) {
		g_free(r);  /* a shared slot: the VM has this already */
		return TARGET_DONE;
	}
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_set_guest_debug(VMDBG_GBA(f), seq, &r->sent);
	if (!target_send(t, f, seq, hw_committed, r, error)) {
		g_free(r);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}

static enum target_result hw_change(struct target *t, struct target_client *owner, bool insert,
				    enum hw_kind kind, uint64_t addr, uint64_t len,
				    target_done_fn fn, void *ctx, GError **error)
{
	struct hw_point p = { owner, kind, addr, len };
	if (!t->hw) {
		g_set_error(error, TARGET_ERROR, TARGET_E_NOT_READY, "not attached to the VM");
		return TARGET_FAILED;
	}
	if (insert) {
		if (!hwslots_insert(t->hw, kind, addr, len, error))
			return TARGET_FAILED;
		g_array_append_val(t->hw_points, p);
	} else {
		if (!hw_record_drop(t, &p)) {
			g_set_error(error, HWDEBUG_ERROR, HWDEBUG_E_NOENT,
				    "no %s point at 0x%" PRIx64 "+%" PRIu64 " was inserted",
				    hw_kind_name(kind), addr, len);
			return TARGET_FAILED;
		}
		hwslots_remove(t->hw, kind, addr, len, NULL);
	}
	enum target_result res = hw_commit(t, &p, insert, fn, ctx, error);
	if (res == TARGET_FAILED) {
		if (insert) {
			hwslots_remove(t->hw, kind, addr, len, NULL);
			hw_record_drop(t, &p);
		} else {
			hwslots_insert(t->hw, kind, addr, len, NULL);
			g_array_append_val(t->hw_points, p);
		}
	}
	return res;
}

/* ---- the interface ----------------------------------------------------------------------- */

static bool check_point(const struct target *t, unsigned type, GError **error)
{
	const char *why;
	if (!target_ready(t, &why)) {
		g_set_error(error, TARGET_ERROR, TARGET_E_NOT_READY, "%s", why);
		return false;
	}
	if (type > HW_ACCESS) {
		g_set_error(error, TARGET_ERROR, TARGET_E_INVAL, "no point of type %u", type);
		return false;
	}
	return true;
}

/* A watch the slots cannot take goes to page protection, where the VM has
 * it: when its data breakpoints never fire, when the slots are full, and
 * when the hardware cannot match the region exactly. */
static enum target_result watch_insert(struct target *t, struct target_client *owner,
				       enum hw_kind kind, uint64_t addr, uint64_t len, uint32_t vcpu,
				       target_done_fn fn, void *ctx, GError **error)
{
	bool pages = target_vm_has(t, VMDBG_FEAT_PAGE_WATCH) &&
		     t->cfg.watch_with != WATCH_WITH_REGISTERS;
	if (t->cfg.watch_with == WATCH_WITH_PAGES && !pages) {
		g_set_error(error, TARGET_ERROR, TARGET_E_INVAL,
			    "--watch-with pages: this VM has no page-protection watches");
		return TARGET_FAILED;
	}
	if (pages && (t->cfg.watch_with == WATCH_WITH_PAGES ||
		      target_vm_has(t, VMDBG_FEAT_HW_WATCH_DEAD) ||
		      target_watch_here(t, NULL, kind, addr, len)))
		return target_watch_change(t, owner, true, kind, addr, len, vcpu, fn, ctx, error);
	GError *slots = NULL;
	enum target_result res = hw_change(t, owner, true, kind, addr, len, fn, ctx, &slots);
	if (res != TARGET_FAILED || !pages || slots->domain != HWDEBUG_ERROR) {
		if (slots)
			g_propagate_error(error, slots);
		return res;
	}
	g_debug("%s watch 0x%" PRIx64 "+%" PRIu64 ": %s; page protection instead",
		hw_kind_name(kind), addr, len, slots->message);
	g_error_free(slots);
	return target_watch_change(t, owner, true, kind, addr, len, vcpu, fn, ctx, error);
}

enum target_result target_point_insert(struct target *t, struct target_client *owner,
				       unsigned type, uint64_t addr, uint64_t len, uint32_t vcpu,
				       target_done_fn fn, void *ctx, GError **error)
{
	if (!check_point(t, type, error))
		return TARGET_FAILED;
	if (type == 0)
		return sw_insert(t, owner, addr, (uint32_t)len, vcpu, fn, ctx, error);
	if (type != HW_EXEC)
		return watch_insert(t, owner, (enum hw_kind)type, addr, len, vcpu, fn, ctx, error);
	if (target_vm_has(t, VMDBG_FEAT_HW_BP_DEAD)) {
		/* accepted by the host, never firing: a wait for ever */
		g_set_error(error, TARGET_ERROR, TARGET_E_INVAL,
			    "hardware breakpoints never fire on this VM's host (HW_BP_DEAD)");
		return TARGET_FAILED;
	}
	return hw_change(t, owner, true, (enum hw_kind)type, addr, len, fn, ctx, error);
}

enum target_result target_point_remove(struct target *t, struct target_client *owner,
				       unsigned type, uint64_t addr, uint64_t len, uint32_t vcpu,
				       target_done_fn fn, void *ctx, GError **error)
{
	if (!check_point(t, type, error))
		return TARGET_FAILED;
	if (type == 0)
		return sw_remove(t, owner, addr, vcpu, fn, ctx, error);
	if (type != HW_EXEC && target_watch_here(t, owner, (enum hw_kind)type, addr, len))
		return target_watch_change(t, owner, false, (enum hw_kind)type, addr, len, vcpu, fn,
					   ctx, error);
	return hw_change(t, owner, false, (enum hw_kind)type, addr, len, fn, ctx, error);
}

struct cond_req {
	target_done_fn fn;
	void *ctx;
};

static void cond_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct cond_req *r = ctx;
	if (r->fn)
		r->fn(r->ctx, m ? NULL : err);
	g_free(r);
}

enum target_result target_point_cond(struct target *t, uint64_t addr,
				     const struct vmdbg_cond_reg *regs, uint32_t nregs,
				     const uint8_t *const *codes, const uint32_t *lens,
				     uint32_t nconds, uint32_t ncmds, target_done_fn fn, void *ctx,
				     GError **error)
{
	if (!target_need_ready(t, error))
		return TARGET_FAILED;
	if (target_conds_local(t))  /* the daemon evaluates them */
		return target_conds_set(t, addr, regs, nregs, codes, lens, nconds, ncmds, error);
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_point_cond(VMDBG_GBA(f), seq, addr, regs, nregs, codes, lens, nconds, ncmds);
	struct cond_req *r = g_new0(struct cond_req, 1);
	*r = (struct cond_req){ fn, ctx };
	if (!target_send(t, f, seq, cond_done, r, error)) {
		g_free(r);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}

static void forgot(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	uint64_t *addr = ctx;
	if (m)
		g_warning("the VM had a breakpoint at 0x%" PRIx64 " that no client wanted; removed it",
			  *addr);
	else
		g_debug("stale stop at 0x%" PRIx64 ": the VM has no breakpoint there (%s)", *addr,
			err->message);
	g_free(addr);
}

void target_sw_point_forget(struct target *t, uint32_t vcpu, uint64_t addr)
{
	if (g_hash_table_contains(t->sw_points, &addr))
		return;  /* on its way out: its REMOVE is ahead of anything we send */
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	struct vmdbg_sw_bp bp = { .vcpu = vcpu, .kind = t->arch ? t->arch->sw_bp_kind : 0,
				  .addr = addr };
	vmdbg_enc_sw_bp(VMDBG_GBA(f), VMDBG_SW_BP_REMOVE, seq, &bp);
	uint64_t *ctx = g_memdup2(&addr, sizeof(addr));
	g_autoptr(GError) err = NULL;
	if (!target_send(t, f, seq, forgot, ctx, &err)) {
		g_debug("stale stop at 0x%" PRIx64 ": %s", addr, err->message);
		g_free(ctx);
	}
}

void target_points_drop_owner(struct target *t, struct target_client *owner, bool vm_too)
{
	if (!vm_too) {
		/* the VM forgets them all (DETACH) or is gone */
		target_points_reset(t);
		return;
	}
	GHashTableIter it;
	struct sw_point *sp;
	g_autoptr(GPtrArray) gone = g_ptr_array_new();
	g_hash_table_iter_init(&it, t->sw_points);
	while (g_hash_table_iter_next(&it, NULL, (void **)&sp))
		if (g_ptr_array_remove(sp->owners, owner) && sp->owners->len == 0 && !sp->busy)
			g_ptr_array_add(gone, sp);
	for (guint i = 0; i < gone->len; i++) {
		sp = g_ptr_array_index(gone, i);
		g_autoptr(GError) err = NULL;
		if (!sw_send(t, sp, false, 0, NULL, NULL, NULL, &err))
			g_warning("breakpoint at 0x%" PRIx64 " stays: %s", sp->addr, err->message);
	}
	target_watches_drop_owner(t, owner);
	bool changed = false;
	for (guint i = t->hw_points->len; i-- > 0;) {
		const struct hw_point *q = &g_array_index(t->hw_points, struct hw_point, i);
		if (q->owner != owner)
			continue;
		hwslots_remove(t->hw, q->kind, q->addr, q->len, NULL);
		g_array_remove_index(t->hw_points, i);
		changed = true;
	}
	if (changed) {
		g_autoptr(GError) err = NULL;
		if (hw_commit(t, NULL, false, NULL, NULL, &err) == TARGET_FAILED)
			g_warning("debug registers not updated: %s", err->message);
	}
}
