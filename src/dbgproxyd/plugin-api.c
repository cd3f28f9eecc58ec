/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The dbgproxyd authors */
/*
 * plugin-api.c - the VM as plugins see it (dbgproxyd-plugin.h): each
 * plugin is a passive client of the target (target.h) with its own
 * breakpoints, its events, register handles per CPU model and
 * asynchronous reads.
 *
 * Reads made while the target lets passive clients look at a stop hold
 * it (target_hold) until their callback has run: the guest does not move
 * and gdb is not told meanwhile.  Breakpoints are records of the plugin's
 * that go to the VM whenever it can change points (stopped, or in that
 * phase — a running VM is paused for it); a lost VM makes them wanted
 * again, and they go back when it returns.
 */
#include <inttypes.h>
#include <string.h>

#include "plugin-priv.h"
#include "vmlink.h"

#define MAX_READ_REGS 256
#define MAX_READ_MEM (1u << 20)

enum pbreak_state { PB_WANTED, PB_BUSY, PB_IN };

struct pbreak {
	uint32_t id;
	enum dbgp_break_kind kind;
	uint64_t addr;
	dbgp_hit_fn hit;
	void *hit_ctx;
	dbgp_done_fn done;        /* NULL once told */
	void *done_ctx;
	enum pbreak_state st;
	bool removed;             /* dbgp_break_remove: out of the VM, then forgotten */
	uint64_t hits;
};

static struct target *T(const struct dbgp_plugin *p)
{
	return p->h->t;
}

static struct dbgp_stop stop_of(const struct vmdbg_stopped *ev)
{
	struct dbgp_stop s = { ev->vcpu, ev->reason, ev->pc, { ev->info[0], ev->info[1], ev->info[2] } };
	return s;
}

/* ---- the VM ---------------------------------------------------------------------------------- */

bool dbgp_vm_ready(dbgp_plugin *p)
{
	const char *why;
	return target_ready(T(p), &why);
}

static bool can_read(const struct target *t)
{
	return target_state(t) == TGT_STOPPED || target_in_hooks(t);
}

bool dbgp_vm_stopped(dbgp_plugin *p)
{
	return dbgp_vm_ready(p) && can_read(T(p));
}

uint32_t dbgp_vcpu_count(dbgp_plugin *p)
{
	return dbgp_vm_ready(p) ? target_nr_vcpus(T(p)) : 0;
}

const char *dbgp_arch(dbgp_plugin *p)
{
	if (!dbgp_vm_ready(p))
		return NULL;
	const struct arch_ops *a = target_arch(T(p));
	return a == &arch_arm64 ? "aarch64" : a == &arch_i386 ? "i386" : "i386:x86-64";
}

int dbgp_vcpu_model(dbgp_plugin *p, uint32_t vcpu)
{
	return target_vcpu_model(T(p), vcpu);
}

static bool need_stopped(struct dbgp_plugin *p, uint32_t vcpu, GError **error)
{
	const char *why;
	if (!target_ready(T(p), &why)) {
		g_set_error(error, DBGP_ERROR, DBGP_E_NOT_READY, "%s", why);
		return false;
	}
	if (vcpu >= target_nr_vcpus(T(p))) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "no vCPU %u (the VM has %u)", vcpu,
			    target_nr_vcpus(T(p)));
		return false;
	}
	if (!can_read(T(p))) {
		g_set_error(error, DBGP_ERROR, DBGP_E_NOT_READY,
			    "the VM is running: read it in a stop or hit callback, or while gdb has "
			    "it stopped");
		return false;
	}
	return true;
}

static void vm_ready_later(void *data)
{
	struct dbgp_plugin *p = data;
	if (p->events.vm_ready && dbgp_vm_ready(p) && plugin_enter(p)) {
		p->events.vm_ready(p->events_ctx);
		plugin_leave(p);
	}
}

void dbgp_subscribe(dbgp_plugin *p, const struct dbgp_events *events, void *ctx)
{
	memset(&p->events, 0, sizeof(p->events));
	if (events)
		p->events = *events;
	p->events_ctx = ctx;
	if (p->events.vm_ready && dbgp_vm_ready(p))
		plugin_later(p->h, vm_ready_later, plugin_ref(p), (void (*)(void *))plugin_unref);
}

/* ---- registers ---------------------------------------------------------------------------------- */

const dbgp_reg *dbgp_reg_lookup(dbgp_plugin *p, uint32_t vcpu, const char *name, GError **error)
{
	int model = target_vcpu_model(T(p), vcpu);
	if (model < 0) {
		const char *why = "the VM has no such vCPU";
		target_ready(T(p), &why);
		g_set_error(error, DBGP_ERROR, DBGP_E_NOT_READY, "no registers of vCPU %u: %s", vcpu,
			    why);
		return NULL;
	}
	if (!name) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "no register name");
		return NULL;
	}
	g_autofree char *key = g_strdup_printf("%d:%s", model, name);
	struct dbgp_reg *r = g_hash_table_lookup(p->regs, key);
	if (r)
		return r;
	const struct regset *rs = target_model_regset(T(p), (unsigned)model);
	/* not interned: no regset has it (and a bad name is not interned forever) */
	const struct reg_handle *h = g_quark_try_string(name) ? regset_by_name(rs, name) : NULL;
	if (h && !reg_handle_present(h))
		h = NULL;  /* in gdb's description, not on this model */
	if (!h) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "vCPU %u (CPU model %d) has no register '%s'", vcpu, model, name);
		return NULL;
	}
	r = g_new0(struct dbgp_reg, 1);
	*r = (struct dbgp_reg){ p, (unsigned)model, g_strdup(name), reg_handle_bytes(h) * 8,
				target_generation(T(p)), h };
	g_hash_table_insert(p->regs, g_steal_pointer(&key), r);
	return r;
}

const char *dbgp_reg_name(const dbgp_reg *r)
{
	return r->name;
}

unsigned dbgp_reg_bits(const dbgp_reg *r)
{
	return r->bits;
}

/* The handle in the description the target has now. */
const struct reg_handle *plugin_reg_resolve(struct dbgp_reg *r, GError **error)
{
	uint64_t gen = target_generation(T(r->p));
	if (r->gen != gen) {
		const struct regset *rs = target_model_regset(T(r->p), r->model);
		r->h = rs ? regset_by_name(rs, r->name) : NULL;
		if (r->h && !reg_handle_present(r->h))
			r->h = NULL;
		r->gen = gen;
		if (r->h && reg_handle_bytes(r->h) * 8 != r->bits)
			r->h = NULL;  /* not the register the plugin was given */
	}
	if (!r->h)
		g_set_error(error, DBGP_ERROR, DBGP_E_MODEL,
			    "register '%s' of CPU model %u is not in the VM's description now", r->name,
			    r->model);
	return r->h;
}

struct regs_req {
	struct dbgp_plugin *p;
	uint32_t vcpu;
	GPtrArray *regs;          /* struct dbgp_reg * */
	dbgp_regs_fn fn;
	void *ctx;
	uint64_t hold;
	uint64_t gen;
	GByteArray *values;
	GError *err;
};

static void regs_deliver(void *data)
{
	struct regs_req *r = data;
	if (plugin_active(r->p) && plugin_enter(r->p)) {
		r->fn(r->ctx, r->vcpu, r->err ? NULL : r->values->data, r->err);
		plugin_leave(r->p);
	}
}

static void regs_req_free(void *data)
{
	struct regs_req *r = data;
	target_release(T(r->p), r->hold);
	plugin_unref(r->p);
	g_ptr_array_unref(r->regs);
	g_byte_array_unref(r->values);
	g_clear_error(&r->err);
	g_free(r);
}

static void regs_collect(struct regs_req *r)
{
	struct target *t = T(r->p);
	struct regcache *rc = target_regcache(t, r->vcpu);
	for (guint i = 0; i < r->regs->len && !r->err; i++) {
		struct dbgp_reg *reg = g_ptr_array_index(r->regs, i);
		if (r->gen != target_generation(t) || !rc || !regcache_valid(rc, reg->h)) {
			g_set_error(&r->err, DBGP_ERROR, DBGP_E_VM,
				    "register '%s' of vCPU %u could not be read", reg->name, r->vcpu);
			break;
		}
		guint at = r->values->len;
		g_byte_array_set_size(r->values, at + reg->bits / 8);
		regcache_read(rc, reg->h, r->values->data + at);
	}
}

static void regs_fetched(void *ctx, const GError *err)
{
	struct regs_req *r = ctx;
	if (err)
		r->err = g_error_new(DBGP_ERROR, DBGP_E_VM, "reading registers of vCPU %u: %s", r->vcpu,
				     err->message);
	else
		regs_collect(r);
	regs_deliver(r);
	regs_req_free(r);
}

bool dbgp_regs_read(dbgp_plugin *p, uint32_t vcpu, const dbgp_reg *const *regs, unsigned n,
		    dbgp_regs_fn fn, void *ctx, GError **error)
{
	if (!fn || !regs || n == 0 || n > MAX_READ_REGS) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "read 1 to %u registers with a callback",
			    MAX_READ_REGS);
		return false;
	}
	if (!need_stopped(p, vcpu, error))
		return false;
	int model = target_vcpu_model(T(p), vcpu);
	g_autoptr(GPtrArray) list = g_ptr_array_new();
	for (unsigned i = 0; i < n; i++) {
		struct dbgp_reg *reg = (struct dbgp_reg *)regs[i];
		if (!reg || reg->p != p) {
			g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
				    "register %u of the list is not a handle of plugin %s", i, p->name);
			return false;
		}
		if ((int)reg->model != model) {
			g_set_error(error, DBGP_ERROR, DBGP_E_MODEL,
				    "register handle '%s' is of CPU model %u; vCPU %u is of model %d: "
				    "look the name up for that vCPU", reg->name, reg->model, vcpu, model);
			return false;
		}
		if (!plugin_reg_resolve(reg, error))
			return false;
		g_ptr_array_add(list, reg);
	}
	struct regs_req *r = g_new0(struct regs_req, 1);
	r->p = plugin_ref(p);
	r->vcpu = vcpu;
	r->regs = g_steal_pointer(&list);
	r->fn = fn;
	r->ctx = ctx;
	r->gen = target_generation(T(p));
	r->values = g_byte_array_new();
	/* every register of the vCPU: the one GET_REGS gdb's read at this stop
	 * is served from too */
	g_autoptr(GError) err = NULL;
	enum target_result res = target_fetch_regs(T(p), vcpu, NULL, 0, regs_fetched, r, &err);
	if (res == TARGET_FAILED) {
		g_set_error(error, DBGP_ERROR, DBGP_E_VM, "%s", err->message);
		regs_req_free(r);
		return false;
	}
	r->hold = target_hold(T(p));
	if (res == TARGET_DONE) {
		regs_collect(r);
		plugin_later(p->h, regs_deliver, r, regs_req_free);
	}
	return true;
}

/* ---- memory ---------------------------------------------------------------------------------------- */

struct mem_req {
	struct dbgp_plugin *p;
	dbgp_mem_fn fn;
	void *ctx;
	uint64_t hold;
	GByteArray *data;
	GError *err;
};

static void mem_deliver(void *data)
{
	struct mem_req *r = data;
	if (plugin_active(r->p) && plugin_enter(r->p)) {
		r->fn(r->ctx, r->data->data, r->data->len, r->err);
		plugin_leave(r->p);
	}
}

static void mem_req_free(void *data)
{
	struct mem_req *r = data;
	target_release(T(r->p), r->hold);
	plugin_unref(r->p);
	g_byte_array_unref(r->data);
	g_clear_error(&r->err);
	g_free(r);
}

static void mem_read_done(void *ctx, const uint8_t *data, size_t n, const GError *err)
{
	struct mem_req *r = ctx;
	g_byte_array_append(r->data, data, (guint)n);
	if (err)
		r->err = g_error_new(DBGP_ERROR, DBGP_E_VM, "%s", err->message);
	mem_deliver(r);
	mem_req_free(r);
}

bool dbgp_mem_read(dbgp_plugin *p, uint32_t vcpu, uint64_t addr, size_t len, dbgp_mem_fn fn,
		   void *ctx, GError **error)
{
	if (!fn || len == 0 || len > MAX_READ_MEM) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL,
			    "read 1 to %u bytes with a callback (not %zu)", MAX_READ_MEM, len);
		return false;
	}
	if (!need_stopped(p, vcpu, error))
		return false;
	struct mem_req *r = g_new0(struct mem_req, 1);
	r->p = plugin_ref(p);
	r->fn = fn;
	r->ctx = ctx;
	r->data = g_byte_array_sized_new((guint)len);
	g_byte_array_set_size(r->data, (guint)len);
	if (target_read_mem_now(T(p), vcpu, addr, r->data->data, len)) {
		r->hold = target_hold(T(p));
		plugin_later(p->h, mem_deliver, r, mem_req_free);
		return true;
	}
	g_byte_array_set_size(r->data, 0);
	g_autoptr(GError) err = NULL;
	enum target_result res = target_read_mem(T(p), vcpu, addr, len, mem_read_done, r, &err);
	if (res != TARGET_PENDING) {
		g_set_error(error, DBGP_ERROR, DBGP_E_VM, "%s",
			    err ? err->message : "the read was not sent");
		mem_req_free(r);
		return false;
	}
	r->hold = target_hold(T(p));
	return true;
}

/* ---- breakpoints ----------------------------------------------------------------------------------- */

static struct pbreak *break_find(const struct dbgp_plugin *p, uint32_t id)
{
	for (guint i = 0; p->breaks && i < p->breaks->len; i++) {
		struct pbreak *b = g_ptr_array_index(p->breaks, i);
		if (b->id == id)
			return b;
	}
	return NULL;
}

struct break_req {
	struct dbgp_plugin *p;
	uint32_t id;
	uint64_t hold;
};

static void flush_breaks(struct dbgp_plugin *p);

static void tell_done(struct dbgp_plugin *p, struct pbreak *b, const GError *err)
{
	dbgp_done_fn done = b->done;
	b->done = NULL;
	if (done && plugin_enter(p)) {
		done(b->done_ctx, err);
		plugin_leave(p);
	}
}

static void break_changed(void *ctx, const GError *err)
{
	struct break_req *r = ctx;
	struct dbgp_plugin *p = r->p;
	struct pbreak *b = break_find(p, r->id);
	bool lost = err && err->domain == VMLINK_ERROR && err->code == VMLINK_E_LOST;
	if (b && b->st == PB_BUSY && plugin_active(p)) {
		if (lost) {
			b->st = PB_WANTED;  /* back in with the VM */
		} else if (b->removed) {
			if (err)
				g_warning("plugin %s: breakpoint at 0x%" PRIx64 " stays in the VM: %s",
					  p->name, b->addr, err->message);
			g_ptr_array_remove(p->breaks, b);
		} else if (err) {
			g_autoptr(GError) e = g_error_new(DBGP_ERROR, DBGP_E_VM,
							  "breakpoint at 0x%" PRIx64 ": %s", b->addr,
							  err->message);
			dbgp_log(p, G_LOG_LEVEL_WARNING, "%s", e->message);
			tell_done(p, b, e);
			g_ptr_array_remove(p->breaks, b);
		} else {
			b->st = PB_IN;
			tell_done(p, b, NULL);
		}
		flush_breaks(p);
	}
	target_release(T(p), r->hold);
	plugin_unref(p);
	g_free(r);
}

static bool can_change(const struct target *t)
{
	const char *why;
	return target_ready(t, &why) && can_read(t);
}

/* Bring the VM's points of p to what p wants, as far as possible now. */
static void flush_once(struct dbgp_plugin *p);

static void flush_breaks(struct dbgp_plugin *p)
{
	/* not re-entered from a done() it calls: that asks for another round */
	if (p->flushing) {
		p->flush_again = true;
		return;
	}
	p->flushing = true;
	do {
		p->flush_again = false;
		flush_once(p);
	} while (p->flush_again);
	p->flushing = false;
}

static void flush_once(struct dbgp_plugin *p)
{
	struct target *t = T(p);
	if (!p->client || !plugin_active(p))
		return;
	bool wants = false;
	for (guint i = 0; i < p->breaks->len; i++) {
		struct pbreak *b = g_ptr_array_index(p->breaks, i);
		if ((b->st == PB_WANTED && !b->removed) || (b->st == PB_IN && b->removed))
			wants = true;
	}
	if (!wants)
		return;
	if (!can_change(t)) {
		/* a running VM pauses; its paused() brings us back */
		target_pause_for_clients(t);
		return;
	}
	unsigned kind = target_arch(t)->sw_bp_kind;
	for (guint i = 0; i < p->breaks->len;) {
		struct pbreak *b = g_ptr_array_index(p->breaks, i);
		bool insert = b->st == PB_WANTED && !b->removed;
		bool remove = b->st == PB_IN && b->removed;
		if (b->st == PB_WANTED && b->removed) {
			g_ptr_array_remove_index(p->breaks, i);
			continue;
		}
		i++;
		if (!insert && !remove)
			continue;
		struct break_req *r = g_new0(struct break_req, 1);
		r->p = plugin_ref(p);
		r->id = b->id;
		g_autoptr(GError) err = NULL;
		unsigned type = b->kind == DBGP_BREAK_HW ? 1 : 0;
		enum target_result res =
			insert ? target_point_insert(t, p->client, type, b->addr, kind, 0, break_changed, r, &err)
			       : target_point_remove(t, p->client, type, b->addr, kind, 0, break_changed, r, &err);
		if (res == TARGET_PENDING) {
			b->st = PB_BUSY;
			r->hold = target_hold(t);
			continue;
		}
		plugin_unref(p);
		g_free(r);
		if (res == TARGET_DONE && insert) {
			b->st = PB_IN;
			tell_done(p, b, NULL);
		} else if (res == TARGET_DONE) {
			g_ptr_array_remove(p->breaks, b);
			i--;
		} else {
			g_autoptr(GError) e = g_error_new(DBGP_ERROR, DBGP_E_VM,
							  "breakpoint at 0x%" PRIx64 ": %s", b->addr,
							  err->message);
			dbgp_log(p, G_LOG_LEVEL_WARNING, "%s", e->message);
			if (insert) {
				tell_done(p, b, e);
				g_ptr_array_remove(p->breaks, b);
				i--;
			}
		}
	}
}

uint32_t dbgp_break_insert(dbgp_plugin *p, enum dbgp_break_kind kind, uint64_t addr,
			   dbgp_hit_fn hit, void *hit_ctx, dbgp_done_fn done, void *done_ctx,
			   GError **error)
{
	if (kind != DBGP_BREAK_SW && kind != DBGP_BREAK_HW) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "breakpoint kind %d (DBGP_BREAK_SW or _HW)",
			    (int)kind);
		return 0;
	}
	for (guint i = 0; i < p->breaks->len; i++) {
		const struct pbreak *o = g_ptr_array_index(p->breaks, i);
		if (o->addr == addr && o->kind == kind && !o->removed) {
			g_set_error(error, DBGP_ERROR, DBGP_E_EXISTS,
				    "plugin %s has a breakpoint at 0x%" PRIx64 " already (id %u)", p->name,
				    addr, o->id);
			return 0;
		}
	}
	struct pbreak *b = g_new0(struct pbreak, 1);
	*b = (struct pbreak){ .id = ++p->h->next_id, .kind = kind, .addr = addr, .hit = hit,
			      .hit_ctx = hit_ctx, .done = done, .done_ctx = done_ctx, .st = PB_WANTED };
	g_ptr_array_add(p->breaks, b);
	flush_breaks(p);
	return b->id;
}

bool dbgp_break_remove(dbgp_plugin *p, uint32_t id, GError **error)
{
	struct pbreak *b = break_find(p, id);
	if (!b || b->removed) {
		g_set_error(error, DBGP_ERROR, DBGP_E_INVAL, "plugin %s has no breakpoint %u", p->name,
			    id);
		return false;
	}
	b->removed = true;
	b->hit = NULL;
	if (b->done) {
		g_autoptr(GError) e = g_error_new(DBGP_ERROR, DBGP_E_INVAL, "removed before the VM had it");
		tell_done(p, b, e);
	}
	flush_breaks(p);
	return true;
}

/* ---- the plugin as the target's client ------------------------------------------------------------- */

static void client_ready(void *ctx)
{
	struct dbgp_plugin *p = ctx;
	if (p->events.vm_ready)
		plugin_later(p->h, vm_ready_later, plugin_ref(p), (void (*)(void *))plugin_unref);
	flush_breaks(p);
}

static void client_lost(void *ctx, const char *why)
{
	struct dbgp_plugin *p = ctx;
	for (guint i = 0; i < p->breaks->len; i++) {
		struct pbreak *b = g_ptr_array_index(p->breaks, i);
		b->st = PB_WANTED;
	}
	if (p->events.vm_lost && plugin_enter(p)) {
		p->events.vm_lost(p->events_ctx, why);
		plugin_leave(p);
	}
}

static void client_paused(void *ctx)
{
	flush_breaks(ctx);
}

static void client_hit(void *ctx, const struct vmdbg_stopped *ev, uint64_t addr)
{
	struct dbgp_plugin *p = ctx;
	struct dbgp_stop s = stop_of(ev);
	/* by id: a hit() may add and remove breakpoints */
	g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	for (guint i = 0; i < p->breaks->len; i++) {
		struct pbreak *b = g_ptr_array_index(p->breaks, i);
		if (b->addr == addr && !b->removed && b->st == PB_IN)
			g_array_append_val(ids, b->id);
	}
	for (guint i = 0; i < ids->len; i++) {
		struct pbreak *b = break_find(p, g_array_index(ids, uint32_t, i));
		if (!b || b->removed)
			continue;
		b->hits++;
		if (b->hit && plugin_enter(p)) {
			b->hit(b->hit_ctx, &s);
			plugin_leave(p);
		}
		if (!plugin_active(p))
			break;
	}
}

static void client_stop(void *ctx, const struct vmdbg_stopped *ev)
{
	struct dbgp_plugin *p = ctx;
	struct dbgp_stop s = stop_of(ev);
	if (p->events.stop && plugin_enter(p)) {
		p->events.stop(p->events_ctx, &s);
		plugin_leave(p);
	}
}

static const struct target_client_ops plugin_client_ops = {
	.ready = client_ready,
	.lost = client_lost,
	.paused = client_paused,
	.hit = client_hit,
	.stop = client_stop,
};

void plugin_api_attach(struct dbgp_plugin *p)
{
	p->regs = g_hash_table_new(g_str_hash, g_str_equal);
	p->breaks = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *name = g_strdup_printf("plugin %s", p->name);
	p->client = target_client_add_passive(T(p), name, &plugin_client_ops, p);
}

void plugin_api_detach(struct dbgp_plugin *p)
{
	if (!p->client)
		return;
	g_autoptr(GError) err = NULL;
	if (target_client_remove(T(p), p->client, NULL, NULL, &err) == TARGET_FAILED)
		g_warning("plugin %s: its breakpoints stay in the VM: %s", p->name, err->message);
	p->client = NULL;
	memset(&p->events, 0, sizeof(p->events));
}

void plugin_api_free(struct dbgp_plugin *p)
{
	if (p->regs) {
		GHashTableIter it;
		void *k, *v;
		g_hash_table_iter_init(&it, p->regs);
		while (g_hash_table_iter_next(&it, &k, &v)) {
			struct dbgp_reg *r = v;
			g_free(k);
			g_free(r->name);
			g_free(r);
		}
		g_hash_table_unref(p->regs);
	}
	if (p->breaks)
		g_ptr_array_unref(p->breaks);
}

void plugin_api_describe(const struct dbgp_plugin *p, GString *out)
{
	static const char *const st[] = { "waiting for the VM", "changing", "in the VM" };
	for (guint i = 0; i < p->breaks->len; i++) {
		const struct pbreak *b = g_ptr_array_index(p->breaks, i);
		g_string_append_printf(out, "  breakpoint %u: %s at 0x%" PRIx64 ", %s, %" PRIu64 " hits\n",
				       b->id, b->kind == DBGP_BREAK_HW ? "hardware" : "software",
				       b->addr, b->removed ? "being removed" : st[b->st], b->hits);
	}
}
