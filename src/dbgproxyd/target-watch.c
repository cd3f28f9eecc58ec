/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * target-watch.c - watchpoints by page protection (vmdbg WATCH_INSERT,
 * WATCH_REMOVE, WATCH_LIST; VMs with HELLO feature PAGE_WATCH): the ones
 * the debug registers cannot take.
 *
 * target-points.c decides: a watch goes to the slots first, unless the VM
 * says its data breakpoints never fire (HW_WATCH_DEAD); when the slots
 * refuse it (full, or a region the hardware cannot match exactly) it comes
 * here.  As with software breakpoints, a watch is at the VM once, whoever
 * asked: its owners are a set, the VM hears INSERT with the first and
 * REMOVE with the last.  A hit arrives as STOPPED WATCH and is reported to
 * gdb as watch/rwatch/awatch at the watch's address, like a slot's.
 */
#include <inttypes.h>
#include <string.h>

#include "target-priv.h"

struct page_watch {
	enum hw_kind kind;
	uint64_t addr, len;
	GPtrArray *owners;     /* struct target_client *, each once */
	bool busy;             /* an INSERT or REMOVE is on its way */
};

static void page_watch_free(void *p)
{
	struct page_watch *w = p;
	g_ptr_array_unref(w->owners);
	g_free(w);
}

void target_watches_init(struct target *t)
{
	t->watches = g_ptr_array_new_with_free_func(page_watch_free);
}

void target_watches_reset(struct target *t)
{
	g_ptr_array_set_size(t->watches, 0);
}

void target_watches_free(struct target *t)
{
	g_ptr_array_unref(t->watches);
}

static struct page_watch *find(const struct target *t, enum hw_kind kind, uint64_t addr,
			       uint64_t len)
{
	for (guint i = 0; i < t->watches->len; i++) {
		struct page_watch *w = g_ptr_array_index(t->watches, i);
		if (w->kind == kind && w->addr == addr && w->len == len)
			return w;
	}
	return NULL;
}

bool target_watch_here(const struct target *t, struct target_client *owner, enum hw_kind kind,
		       uint64_t addr, uint64_t len)
{
	const struct page_watch *w = find(t, kind, addr, len);
	return w && (!owner || g_ptr_array_find(w->owners, owner, NULL));
}

unsigned target_watch_count(const struct target *t)
{
	return t->watches->len;
}

enum target_watch_with target_watch_with(const struct target *t)
{
	return t->cfg.watch_with;
}

struct watch_req {
	struct target *t;
	enum hw_kind kind;
	uint64_t addr, len;
	bool insert;
	struct target_client *owner;
	target_done_fn fn;
	void *ctx;
};

static void watch_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct watch_req *r = ctx;
	struct page_watch *w = find(r->t, r->kind, r->addr, r->len);
	/* already as wanted counts as done */
	bool ok = m || (err->domain == VMLINK_ERROR &&
			err->code == (r->insert ? VMDBG_E_EXIST : VMDBG_E_NOENT));
	if (w) {
		w->busy = false;
		if ((r->insert && !ok) || (!r->insert && ok && w->owners->len == 0))
			g_ptr_array_remove(r->t->watches, w);       /* not at the VM */
		else if (!r->insert && !ok && r->owner)
			g_ptr_array_add(w->owners, r->owner);         /* still at the VM */
	}
	if (r->fn) {
		g_autoptr(GError) e = ok ? NULL : g_error_new(err->domain, err->code,
			"the VM refused the page-protection watch: %s", err->message);
		r->fn(r->ctx, e);
	}
	g_free(r);
}

static bool watch_send(struct target *t, struct page_watch *w, bool insert, uint32_t vcpu,
		       struct target_client *owner, target_done_fn fn, void *ctx, GError **error)
{
	struct vmdbg_watch req = { vcpu, (uint32_t)w->kind, w->addr, w->len };
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_watch(VMDBG_GBA(f), insert ? VMDBG_WATCH_INSERT : VMDBG_WATCH_REMOVE, seq, &req);
	struct watch_req *r = g_new0(struct watch_req, 1);
	*r = (struct watch_req){ t, w->kind, w->addr, w->len, insert, owner, fn, ctx };
	if (!target_send(t, f, seq, watch_done, r, error)) {
		g_free(r);
		return false;
	}
	w->busy = true;
	return true;
}

enum target_result target_watch_change(struct target *t, struct target_client *owner, bool insert,
				       enum hw_kind kind, uint64_t addr, uint64_t len,
				       uint32_t vcpu, target_done_fn fn, void *ctx, GError **error)
{
	struct page_watch *w = find(t, kind, addr, len);
	if (w && w->busy) {
		g_set_error(error, TARGET_ERROR, TARGET_E_INVAL,
			    "a change to the %s watch at 0x%" PRIx64 " is still in progress",
			    hw_kind_name(kind), addr);
		return TARGET_FAILED;
	}
	if (!insert) {
		if (!w || !g_ptr_array_remove(w->owners, owner))
			return TARGET_DONE;  /* not inserted by this owner: as wanted */
		if (w->owners->len)
			return TARGET_DONE;  /* others still want it */
		if (!watch_send(t, w, false, vcpu, owner, fn, ctx, error)) {
			g_ptr_array_add(w->owners, owner);
			return TARGET_FAILED;
		}
		return TARGET_PENDING;
	}
	if (w) {
		if (!g_ptr_array_find(w->owners, owner, NULL))
			g_ptr_array_add(w->owners, owner);
		return TARGET_DONE;
	}
	w = g_new0(struct page_watch, 1);
	*w = (struct page_watch){ kind, addr, len, g_ptr_array_new(), false };
	g_ptr_array_add(w->owners, owner);
	g_ptr_array_add(t->watches, w);
	if (!watch_send(t, w, true, vcpu, owner, fn, ctx, error)) {
		g_ptr_array_remove(t->watches, w);
		return TARGET_FAILED;
	}
	return TARGET_PENDING;
}

void target_watches_drop_owner(struct target *t, struct target_client *owner)
{
	g_autoptr(GPtrArray) gone = g_ptr_array_new();
	for (guint i = 0; i < t->watches->len; i++) {
		struct page_watch *w = g_ptr_array_index(t->watches, i);
		if (g_ptr_array_remove(w->owners, owner) && w->owners->len == 0 && !w->busy)
			g_ptr_array_add(gone, w);
	}
	for (guint i = 0; i < gone->len; i++) {
		struct page_watch *w = g_ptr_array_index(gone, i);
		g_autoptr(GError) err = NULL;
		if (!watch_send(t, w, false, 0, NULL, NULL, NULL, &err))
			g_warning("%s watch at 0x%" PRIx64 " stays: %s", hw_kind_name(w->kind), w->addr,
				  err->message);
	}
}

bool target_watch_decode(const struct vmdbg_stopped *ev, struct hw_hit *out)
{
	unsigned kind = (unsigned)(ev->info[2] >> 16 & 0xff);
	if (ev->reason != VMDBG_STOP_WATCH || kind < HW_WRITE || kind > HW_ACCESS)
		return false;
	*out = (struct hw_hit){ HW_HIT_WATCH, (enum hw_kind)kind, ev->info[0] };
	return true;
}

/* ---- monitor hw: the VM's own account (hits, silent exits, pages) ---------------------- */

struct list_req {
	target_text_fn fn;
	void *ctx;
	bool dead;
};

static void list_done(void *ctx, const struct vmdbg_msg *m, const GError *err)
{
	struct list_req *r = ctx;
	GString *out = g_string_new(NULL);
	if (r->dead)
		g_string_append(out, "this host's data breakpoints do not fire (the VM's self-test): "
				     "every watch uses page protection\n");
	if (!m) {
		g_string_append_printf(out, "page-protection watches: the VM did not list them: %s\n",
				       err->message);
	} else {
		const struct vmdbg_watch_list *l = &m->u.watch_list;
		g_string_append_printf(out, "page-protection watches: %u\n", l->count);
		if (l->count)
			g_string_append(out, "kind    gdb request                    hits  silent exits"
					     "  pages protected (guest-physical)\n");
		size_t off = 0;
		struct vmdbg_watch_info w;
		while (vmdbg_watch_list_next(l, &off, &w)) {
			g_string_append_printf(out, "%-7s 0x%016" PRIx64 "+%-5" PRIu64 " %9" PRIu64
					       "  %12" PRIu64 " ", hw_kind_name((enum hw_kind)w.kind),
					       w.addr, w.len, w.hits, w.silent);
			for (uint32_t i = 0; i < w.npages; i++)
				g_string_append_printf(out, " 0x%" PRIx64, w.pages[i]);
			g_string_append_c(out, '\n');
		}
	}
	r->fn(r->ctx, out->str);
	g_string_free(out, TRUE);
	g_free(r);
}

bool target_list_watches(struct target *t, target_text_fn fn, void *ctx, GError **error)
{
	struct list_req *r = g_new0(struct list_req, 1);
	*r = (struct list_req){ fn, ctx, target_vm_has(t, VMDBG_FEAT_HW_WATCH_DEAD) };
	g_autoptr(GByteArray) f = g_byte_array_new();
	uint32_t seq = target_seq(t);
	vmdbg_enc_empty(VMDBG_GBA(f), VMDBG_WATCH_LIST, seq);
	if (!target_send(t, f, seq, list_done, r, error)) {
		g_free(r);
		return false;
	}
	return true;
}
